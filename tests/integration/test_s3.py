"""The bucket store on a real S3 endpoint: moto_server's S3, started here on
a free loopback port with its signature checks on (an IAM user of its own).
CRLs (with their S3ObjectAcl) and audit reports are PUT there by libcurl,
signed with SigV4; a missing bucket gives AWS's error, fails the report,
and holds CRLs back until the bucket exists, without a restart. The audit
checkpoints go there too, and into the directory."""
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import boto3
import botocore.exceptions

from pcatest import Env, make_root, wait_for

EC = ('EC_prime256v1', 'SHA256WITHECDSA')
ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Relay(socketserver.ThreadingTCPServer):
    """Forwards connections from a loopback port to another one."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, to):
        class Pipe(socketserver.BaseRequestHandler):
            def handle(self):
                with socket.create_connection(('127.0.0.1', to)) as up:
                    t = threading.Thread(target=self.copy, args=(up, self.request), daemon=True)
                    t.start()
                    self.copy(self.request, up)
                    t.join()

            @staticmethod
            def copy(a, b):
                try:
                    while (data := a.recv(65536)):
                        b.sendall(data)
                    b.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
        super().__init__(('127.0.0.1', port), Pipe)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class S3(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix='pcad-s3-')
        cls.url = 'http://127.0.0.1:%d' % free_port()
        # the first three requests (the IAM user, its policy, its key) go
        # unsigned; every later one must carry a valid signature
        cls.moto_log = open(os.path.join(cls.work, 'moto.log'), 'w')
        cls.moto = cls.start_moto(cls.url.rsplit(':', 1)[1],
                                  dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT='3'))
        cls.pe = None
        try:
            cls.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_moto(cls, port, env=None):
        """moto_server in a process group of its own (the pyenv shim runs it
        as a child), so that stop_moto ends all of it."""
        return subprocess.Popen(['moto_server', '-H', '127.0.0.1', '-p', str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=cls.moto_log,
                                start_new_session=True)

    @staticmethod
    def stop_moto(p):
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()

    @classmethod
    def start(cls):
        def up():
            try:
                urllib.request.urlopen(cls.url + '/moto-api/', timeout=1)
                return True
            except OSError:
                return False
        assert wait_for(up, 30), 'moto_server did not start'
        kw = dict(endpoint_url=cls.url, region_name='us-east-1')
        iam = boto3.client('iam', aws_access_key_id='boot', aws_secret_access_key='boot', **kw)
        iam.create_user(UserName='pcad')
        iam.put_user_policy(UserName='pcad', PolicyName='s3', PolicyDocument=json.dumps({
            'Version': '2012-10-17',
            'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))
        key = iam.create_access_key(UserName='pcad')['AccessKey']
        cls.s3 = boto3.client('s3', aws_access_key_id=key['AccessKeyId'],
                              aws_secret_access_key=key['SecretAccessKey'], **kw)
        for b in ('pki-crl', 'pki-audit'):
            cls.s3.create_bucket(Bucket=b)
        secret = os.path.join(cls.work, 's3.secret')
        with open(secret, 'w') as f:
            f.write(key['SecretAccessKey'] + '\n')
        cls.pe = Env()
        cls.pe.reconfigure({'s3': {'endpoint': cls.url, 'access_key_id': key['AccessKeyId'],
                                   'secret_access_key_file': secret},
                            'publish': {'crl_publish_delay': 1},
                            'audit': {'checkpoint_interval': 1, 'checkpoint_bucket': 'pki-audit'}})
        cls.c = cls.pe.boto3()

    @classmethod
    def tearDownClass(cls):
        if cls.pe:
            cls.pe.close()
        cls.stop_moto(cls.moto)
        cls.moto_log.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    def s3_object(self, bucket, key):
        try:
            return self.s3.get_object(Bucket=bucket, Key=key)
        except self.s3.exceptions.NoSuchKey:
            return None
        except botocore.exceptions.ClientError as e:
            if e.response['Error']['Code'] in ('NoSuchBucket', 'NoSuchKey'):
                return None
            raise

    def local(self, bucket, key):
        with open(os.path.join(self.pe.env['PCA_BUCKET_DIR'], bucket, key), 'rb') as f:
            return f.read()

    def enable_crl(self, ca, bucket, acl=None):
        crl = {'Enabled': True, 'S3BucketName': bucket}
        if acl:
            crl['S3ObjectAcl'] = acl
        self.c.update_certificate_authority(CertificateAuthorityArn=ca,
                                            RevocationConfiguration={'CrlConfiguration': crl})

    def test_crls_with_their_acl(self):
        for acl, public in ((None, True), ('BUCKET_OWNER_FULL_CONTROL', False)):
            with self.subTest(acl=acl):
                ca = make_root(self.c, *EC, 's3 crl %s' % acl)
                key = 'crl/%s.crl' % ca.rsplit('/', 1)[1]
                self.enable_crl(ca, 'pki-crl', acl)
                self.assertTrue(wait_for(lambda: self.s3_object('pki-crl', key), 10),
                                'no CRL in S3')
                obj = self.s3_object('pki-crl', key)
                body = obj['Body'].read()
                self.assertEqual(obj['ContentType'], 'application/pkix-crl')
                # the local copy is renamed into place right after the PUT
                local = os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'pki-crl', key)
                self.assertTrue(wait_for(lambda: os.path.exists(local), 5), 'no local CRL')
                self.assertEqual(body, self.local('pki-crl', key))
                grants = self.s3.get_object_acl(Bucket='pki-crl', Key=key)['Grants']
                self.assertEqual(any(g['Grantee'].get('URI') == ALL_USERS and
                                     g['Permission'] == 'READ' for g in grants), public, grants)
                got = self.c.describe_certificate_authority(CertificateAuthorityArn=ca)
                self.assertEqual(got['CertificateAuthority']['RevocationConfiguration'][
                    'CrlConfiguration'].get('S3ObjectAcl'), acl)
                subprocess.run(['openssl', 'crl', '-inform', 'DER', '-noout'], input=body,
                               check=True, capture_output=True)

    def test_audit_report_in_s3(self):
        ca = make_root(self.c, *EC, 's3 report')
        r = self.c.create_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, S3BucketName='pki-audit', AuditReportResponseFormat='CSV')
        rid = r['AuditReportId']
        self.assertTrue(wait_for(lambda: self.c.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, AuditReportId=rid)['AuditReportStatus'] != 'CREATING',
            10))
        self.assertEqual(self.c.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, AuditReportId=rid)['AuditReportStatus'], 'SUCCESS')
        body = self.s3_object('pki-audit', r['S3Key'])['Body'].read()
        self.assertEqual(body, self.local('pki-audit', r['S3Key']))
        self.assertTrue(body.startswith(b'awsAccountId,'))
        self.assertIn(ca.encode(), body)

    def test_audit_checkpoints_in_s3_and_in_the_directory(self):
        ckdir = os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'pki-audit', 'checkpoints')

        def written():  # (moto refuses a signed listing with a prefix: asked by name)
            names = sorted(os.listdir(ckdir)) if os.path.isdir(ckdir) else []
            return [n for n in names if self.s3_object('pki-audit', 'checkpoints/' + n)]
        self.assertTrue(wait_for(lambda: len(written()) >= 2, 15), written())
        for name in written()[:2]:
            body = self.s3_object('pki-audit', 'checkpoints/' + name)['Body'].read()
            self.assertTrue(body.startswith(b'pcad audit checkpoint 1\n'), body)
            self.assertEqual(body, self.local('pki-audit', 'checkpoints/' + name))

    def test_missing_bucket_gives_s3s_error_and_heals(self):
        pid = self.pe.pid()
        ca = make_root(self.c, *EC, 's3 missing bucket')
        r = self.c.create_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, S3BucketName='not-there', AuditReportResponseFormat='JSON')
        self.assertTrue(wait_for(lambda: self.c.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, AuditReportId=r['AuditReportId'])['AuditReportStatus'] ==
            'FAILED', 10))
        self.assertIn('NoSuchBucket', self.pe.log())
        self.assertIsNone(self.s3_object('not-there', r['S3Key']))
        # a CRL for a bucket that does not exist yet: kept back and retried,
        # written once the bucket is there
        key = 'crl/%s.crl' % ca.rsplit('/', 1)[1]
        self.enable_crl(ca, 'later-bucket')
        self.assertTrue(wait_for(lambda: 'later-bucket/%s' % key in self.pe.log() and
                                 'not written' in self.pe.log(), 10))
        self.assertFalse(os.path.exists(os.path.join(self.pe.env['PCA_BUCKET_DIR'],
                                                     'later-bucket', key)),
                         'the local copy counts only once S3 has the object')
        self.s3.create_bucket(Bucket='later-bucket')
        # S3 first, then the local copy: wait for both
        self.assertTrue(wait_for(lambda: self.s3_object('later-bucket', key) and os.path.exists(
            os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'later-bucket', key)), 40),
                        'the CRL did not reach the new bucket')
        self.assertEqual(self.s3_object('later-bucket', key)['Body'].read(),
                         self.local('later-bucket', key))
        self.assertEqual(self.pe.pid(), pid, 'healed by a restart')

    def test_z_s3_away_keeps_the_report_creating(self):
        ca = make_root(self.c, *EC, 's3 away')
        self.stop_moto(self.moto)
        r = self.c.create_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, S3BucketName='pki-audit', AuditReportResponseFormat='CSV')
        self.assertTrue(wait_for(lambda: 'audit reports: S3 PutObject' in self.pe.log(), 10))
        time.sleep(2)
        self.assertEqual(self.c.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, AuditReportId=r['AuditReportId'])['AuditReportStatus'],
            'CREATING')
        # S3 back: a fresh moto (without signature checks) on another port,
        # its bucket made first, then reached at the old address through a
        # relay, so that pcad never sees it without the bucket
        port2 = free_port()
        type(self).moto = self.start_moto(port2)  # tearDownClass stops this one
        s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:%d' % port2,
                          region_name='us-east-1', aws_access_key_id='any',
                          aws_secret_access_key='any')

        def bucket():
            try:
                s3.create_bucket(Bucket='pki-audit')
                return True
            except botocore.exceptions.EndpointConnectionError:
                return False
        self.assertTrue(wait_for(bucket, 30))
        relay = Relay(int(self.url.rsplit(':', 1)[1]), port2)
        try:
            self.assertTrue(wait_for(lambda: self.c.describe_certificate_authority_audit_report(
                CertificateAuthorityArn=ca, AuditReportId=r['AuditReportId'])[
                'AuditReportStatus'] == 'SUCCESS', 15))
        finally:
            relay.close()
        self.assertIn(ca.encode(), s3.get_object(Bucket='pki-audit', Key=r['S3Key'])['Body'].read())


if __name__ == '__main__':
    unittest.main()
