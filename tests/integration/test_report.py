"""Audit reports: CreateCertificateAuthorityAuditReport writes every
certificate the CA issued or revoked into the bucket, as JSON or CSV, in
AWS's columns and formats; Describe and the audit-report-created waiter
(both CLIs) follow it from CREATING to SUCCESS or FAILED."""
import csv
import datetime
import io
import json
import os
import tempfile
import time
import unittest

from cryptography import x509
from cryptography.x509.oid import NameOID

from pcatest import TEMPLATE_ARN, EnvTestCase, make_root
from pki import run

EC = ('EC_prime256v1', 'SHA256WITHECDSA')
COLUMNS = ['awsAccountId', 'requestedByServicePrincipal', 'certificateArn', 'serial', 'subject',
           'notBefore', 'notAfter', 'issuedAt', 'revokedAt', 'revocationReason', 'templateArn']
# RFC 2253's attribute names; every other attribute is written as OID=#DER
NAMED = {NameOID.COMMON_NAME: 'CN', NameOID.COUNTRY_NAME: 'C', NameOID.LOCALITY_NAME: 'L',
         NameOID.STATE_OR_PROVINCE_NAME: 'ST', NameOID.ORGANIZATION_NAME: 'O',
         NameOID.ORGANIZATIONAL_UNIT_NAME: 'OU', NameOID.STREET_ADDRESS: 'STREET',
         NameOID.DOMAIN_COMPONENT: 'DC', NameOID.USER_ID: 'UID'}
SUBJECTS = [
    # an unnamed attribute (emailAddress, IA5String) and a comma to escape
    ('/C=US/ST=Washington/L=Seattle/O=Example, Inc./OU=Sales/CN=www.example1.com'
     '/emailAddress=sales@example.com', []),
    # several values in one RDN, and UTF-8
    ('/O=Z\u00fcrich AG/CN=multi+UID=u42', ['-multivalue-rdn', '-utf8']),
    ('/CN=plain.example', []),
]


def aws_time(t):
    return t.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S+0000')


def aws_serial(n):
    h = '%x' % n
    h = '0' * (len(h) % 2) + h
    return ':'.join(h[i:i + 2] for i in range(0, len(h), 2))


def attribute(a):
    if a.oid in NAMED:
        return a.rfc4514_string({a.oid: NAMED[a.oid]})
    raw = a.value.encode('utf-16-be' if a._type.value == 30 else 'utf-8')
    assert len(raw) < 128
    return '%s=#%02x%02x%s' % (a.oid.dotted_string, a._type.value, len(raw), raw.hex())


def aws_subject(name):
    return ','.join('+'.join(attribute(a) for a in rdn) for rdn in reversed(name.rdns))


class Report(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = cls.pe.boto3()
        cls.work = tempfile.mkdtemp(dir=cls.pe.dir)
        cls.account = None
        cls.cas = {}
        for name in ('json', 'csv'):
            ca = make_root(cls.c, *EC, 'report root ' + name)
            cls.account = ca.split(':')[4]
            cls.cas[name] = (ca, cls.issue_all(ca))

    @classmethod
    def issue_all(cls, ca):
        """The CA's certificates as the report must list them: its own, three
        leaves (two revoked), each with the window its issue and revoke fell in."""
        own = cls.c.get_certificate_authority_certificate(CertificateAuthorityArn=ca)
        certs = [{'arn': None, 'x': x509.load_pem_x509_certificate(own['Certificate'].encode()),
                  'template': 'RootCACertificate/V1', 'issued': None}]
        for i, (subj, opts) in enumerate(SUBJECTS):
            key, csr = (os.path.join(cls.work, 'l%d.%s' % (i, x)) for x in ('key', 'csr'))
            run(['openssl', 'req', '-new', '-newkey', 'ec', '-pkeyopt',
                 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', subj, *opts,
                 '-out', csr])
            with open(csr, 'rb') as f:
                csr_der = f.read()
            t0 = time.time()
            arn = cls.c.issue_certificate(CertificateAuthorityArn=ca, Csr=csr_der,
                                          SigningAlgorithm=EC[1],
                                          Validity={'Value': 30, 'Type': 'DAYS'})[
                'CertificateArn']
            pem = cls.wait_cert(ca, arn)
            certs.append({'arn': arn, 'x': x509.load_pem_x509_certificate(pem.encode()),
                          'template': 'EndEntityCertificate/V1', 'issued': (t0, time.time())})
        for cert, reason in ((certs[1], 'KEY_COMPROMISE'), (certs[2], 'AFFILIATION_CHANGED')):
            t0 = time.time()
            cls.c.revoke_certificate(CertificateAuthorityArn=ca,
                                     CertificateSerial='%x' % cert['x'].serial_number,
                                     RevocationReason=reason)
            cert['revoked'] = (t0, time.time(), reason)
        certs[0]['arn'] = '%s/certificate/%032x' % (ca, certs[0]['x'].serial_number)
        return certs

    @classmethod
    def wait_cert(cls, ca, arn):
        for _ in range(50):
            try:
                return cls.c.get_certificate(CertificateAuthorityArn=ca,
                                             CertificateArn=arn)['Certificate']
            except cls.c.exceptions.RequestInProgressException:
                time.sleep(0.1)
        raise AssertionError('certificate not issued')

    def bucket_object(self, bucket, key):
        with open(os.path.join(self.pe.env['PCA_BUCKET_DIR'], bucket, key), 'rb') as f:
            return f.read()

    def within(self, text, window, what):
        """text (YYYY-MM-DDTHH:MM:SS+0000) falls in the window (epoch seconds)."""
        t = datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S%z').timestamp()
        self.assertTrue(int(window[0]) <= t <= window[1] + 1, '%s %s not in %r' % (what, text,
                                                                                     window))

    def check_rows(self, rows, certs):
        """rows: dicts by column name ('' or missing for no value)."""
        self.assertEqual(len(rows), len(certs))
        by_arn = {r['certificateArn']: r for r in rows}
        for cert in certs:
            x, r = cert['x'], by_arn[cert['arn']]
            self.assertEqual(r['awsAccountId'], self.account)
            self.assertEqual(r.get('requestedByServicePrincipal', ''), '')
            self.assertEqual(r['serial'], aws_serial(x.serial_number))
            self.assertEqual(r['subject'], aws_subject(x.subject))
            self.assertEqual(r['notBefore'], aws_time(x.not_valid_before_utc))
            self.assertEqual(r['notAfter'], aws_time(x.not_valid_after_utc))
            if cert['issued']:
                self.within(r['issuedAt'], cert['issued'], 'issuedAt')
            if 'revoked' in cert:
                self.within(r['revokedAt'], cert['revoked'], 'revokedAt')
                self.assertEqual(r['revocationReason'], cert['revoked'][2])
            else:
                self.assertEqual(r.get('revokedAt', ''), '')
                self.assertEqual(r.get('revocationReason', ''), '')
            self.assertEqual(r['templateArn'], TEMPLATE_ARN + cert['template'])
        # in the order they were issued
        self.assertEqual([r['issuedAt'] for r in rows], sorted(r['issuedAt'] for r in rows))

    def create(self, ca, bucket, fmt, v2):
        r = self.pe.aws('create-certificate-authority-audit-report', '--certificate-authority-arn',
                        ca, '--s3-bucket-name', bucket, '--audit-report-response-format', fmt,
                        v2=v2)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertRegex(out['AuditReportId'],
                         '^[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}$')
        self.assertEqual(out['S3Key'], 'audit-report/%s/%s.%s' % (
            ca.rsplit('/', 1)[1], out['AuditReportId'], fmt.lower()))
        return out

    def wait(self, ca, rid, v2):
        return self.pe.aws('wait', 'audit-report-created', '--certificate-authority-arn', ca,
                           '--audit-report-id', rid, v2=v2)

    def test_json_report_with_aws_cli_v1(self):
        ca, certs = self.cas['json']
        t0 = time.time()
        out = self.create(ca, 'pki-audit', 'JSON', v2=False)
        r = self.wait(ca, out['AuditReportId'], v2=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = self.c.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, AuditReportId=out['AuditReportId'])
        self.assertEqual((d['AuditReportStatus'], d['S3BucketName'], d['S3Key']),
                         ('SUCCESS', 'pki-audit', out['S3Key']))
        self.assertAlmostEqual(d['CreatedAt'].timestamp(), t0, delta=5)
        rows = json.loads(self.bucket_object('pki-audit', out['S3Key']))
        self.assertIsInstance(rows, list)
        for row in rows:
            self.assertEqual(list(row), [k for k in COLUMNS if k in row], 'column order')
            self.assertNotIn('requestedByServicePrincipal', row)
            self.assertEqual(set(row) >= {'revokedAt', 'revocationReason'},
                             'revokedAt' in row, row)
            self.assertTrue(all(isinstance(v, str) and v for v in row.values()), row)
        self.check_rows(rows, certs)
        # one report per CA per 30 minutes: the next one is refused, and
        # nothing is recorded for it
        before = self.pe.psql('SELECT count(*) FROM audit_reports')
        with self.assertRaises(self.c.exceptions.RequestInProgressException):
            self.c.create_certificate_authority_audit_report(
                CertificateAuthorityArn=ca, S3BucketName='pki-audit',
                AuditReportResponseFormat='CSV')
        self.assertEqual(self.pe.psql('SELECT count(*) FROM audit_reports'), before)

    def test_csv_report_with_aws_cli_v2_after_a_failed_one(self):
        ca, certs = self.cas['csv']
        # a file where the bucket's directory belongs: the write fails
        with open(os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'blocked-bucket'), 'w') as f:
            f.write('not a directory')
        failed = self.create(ca, 'blocked-bucket', 'CSV', v2=True)
        for v2 in (False, True):
            r = self.wait(ca, failed['AuditReportId'], v2=v2)
            self.assertNotEqual(r.returncode, 0, 'the waiter accepted a FAILED report')
            self.assertIn('FAILED', r.stderr)
        self.assertEqual(self.c.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=ca, AuditReportId=failed['AuditReportId'])[
            'AuditReportStatus'], 'FAILED')
        self.assertIn('audit report %s' % failed['AuditReportId'], self.pe.log())
        # a FAILED report does not count against the 30 minutes
        out = self.create(ca, 'pki-audit', 'CSV', v2=True)
        r = self.wait(ca, out['AuditReportId'], v2=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = self.bucket_object('pki-audit', out['S3Key']).decode()
        self.assertEqual(text.splitlines()[0], ','.join(COLUMNS))
        print('\n' + '\n'.join(text.splitlines()[:3]))
        table = list(csv.reader(io.StringIO(text, newline='')))
        self.assertTrue(all(len(row) == len(COLUMNS) for row in table))
        self.check_rows([dict(zip(COLUMNS, row)) for row in table[1:]], certs)

    def test_bad_requests_change_nothing(self):
        ca = self.cas['json'][0]
        before = self.pe.psql('SELECT count(*) FROM audit_reports')
        pending = self.c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE',
            CertificateAuthorityConfiguration={
                'KeyAlgorithm': EC[0], 'SigningAlgorithm': EC[1],
                'Subject': {'CommonName': 'report pending'}})['CertificateAuthorityArn']
        cases = [
            (dict(CertificateAuthorityArn=ca, S3BucketName='Bad_Bucket',
                  AuditReportResponseFormat='JSON'), 'InvalidArgsException'),
            (dict(CertificateAuthorityArn=ca, S3BucketName='pki-audit/sub',
                  AuditReportResponseFormat='JSON'), 'InvalidArgsException'),
            (dict(CertificateAuthorityArn=ca[:-1] + ('1' if ca.endswith('0') else '0'),
                  S3BucketName='pki-audit',
                  AuditReportResponseFormat='JSON'), 'ResourceNotFoundException'),
            (dict(CertificateAuthorityArn='arn:aws:acm-pca:us-east-1:1:nothing',
                  S3BucketName='pki-audit', AuditReportResponseFormat='JSON'),
             'InvalidArnException'),
            (dict(CertificateAuthorityArn=pending, S3BucketName='pki-audit',
                  AuditReportResponseFormat='JSON'), 'InvalidStateException'),
        ]
        for args, code in cases:
            with self.subTest(code=code, args=args):
                with self.assertRaises(self.c.exceptions.ClientError) as cm:
                    self.c.create_certificate_authority_audit_report(**args)
                self.assertEqual(cm.exception.response['Error']['Code'], code)
                self.assertTrue(cm.exception.response['Error']['Message'])
        r = self.pe.raw('CreateCertificateAuthorityAuditReport', json.dumps(
            {'CertificateAuthorityArn': ca, 'S3BucketName': 'pki-audit',
             'AuditReportResponseFormat': 'XML'}).encode())
        self.assertAwsError(r, 400, 'ValidationException')
        with self.assertRaises(self.c.exceptions.ResourceNotFoundException):
            self.c.describe_certificate_authority_audit_report(
                CertificateAuthorityArn=ca, AuditReportId='00000000-0000-4000-8000-000000000000')
        self.assertEqual(self.pe.psql('SELECT count(*) FROM audit_reports'), before)


if __name__ == '__main__':
    unittest.main()
