"""Buckets belong to accounts (issue 24 item 6): the first CA configuration
or audit report naming a bucket claims it for its account; a CA of another
account naming it is refused (InvalidArgsException, AWS's s3:PutObject
message) and nothing changes; [publish] bucket_owner shares a bucket; on
upgrade, a bucket already named gets the oldest CA's account, the other
accounts' CAs keep it and the conflict is logged."""
import os
import secrets
import signal
import threading

import boto3
import botocore.config
from botocore.exceptions import ClientError

from pcatest import EnvTestCase, make_root, wait_for

EC = ('EC_prime256v1', 'SHA256WITHECDSA')
CFG = {'KeyAlgorithm': EC[0], 'SigningAlgorithm': EC[1], 'Subject': {'CommonName': 'bucket ca'}}
REFUSED = ("The ACM Private CA service principal 'acm-pca.amazonaws.com' requires "
           "'s3:PutObject' permission for the specified Amazon S3 bucket %s.")


def crl(bucket):
    return {'CrlConfiguration': {'Enabled': True, 'S3BucketName': bucket}}


class Buckets(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = cls.pe.boto3()
        cls.ca_a = make_root(cls.a, *EC, 'bucket root a')
        cls.acct_a = cls.ca_a.split(':')[4]
        cls.acct_b = '%012d' % (int(cls.acct_a) ^ 1)
        cls.key_b = ('AKIA' + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
        path = os.path.join(cls.pe.dir, 'credentials')
        with open(path, 'a') as f:
            f.write('%s %s %s\n' % (cls.key_b + (cls.acct_b,)))
        before = cls.pe.log().count('credentials reloaded')
        os.kill(cls.pe.pid(), signal.SIGHUP)
        assert wait_for(lambda: cls.pe.log().count('credentials reloaded') > before, 5)
        cls.b = boto3.client(
            'acm-pca', endpoint_url=cls.pe.endpoint, region_name=cls.pe.env['AWS_REGION'],
            aws_access_key_id=cls.key_b[0], aws_secret_access_key=cls.key_b[1],
            verify=cls.pe.env['PCA_CA_BUNDLE'],
            config=botocore.config.Config(retries={'max_attempts': 1, 'mode': 'standard'}))
        cls.ca_b = make_root(cls.b, *EC, 'bucket root b')

    # ---- helpers ----

    def refused(self, fn, name, **kw):
        """fn(**kw) is refused: bucket name is another account's. Its
        request id."""
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        err = cm.exception.response['Error']
        self.assertEqual(err['Code'], 'InvalidArgsException', err)
        self.assertEqual(err['Message'], REFUSED % name)
        return cm.exception.response['ResponseMetadata']['RequestId']

    def owner(self, bucket):
        return self.pe.psql("SELECT account_id || ' ' || source FROM bucket_owners"
                            " WHERE bucket = '%s'" % bucket)

    def counts(self, account):
        """CA rows, audit events and audit reports of the account."""
        return self.pe.psql(
            "SELECT (SELECT count(*) FROM certificate_authorities WHERE account_id = '%s')"
            " || ' ' || (SELECT count(*) FROM audit_events WHERE account_id = '%s')"
            " || ' ' || (SELECT count(*) FROM audit_reports r JOIN certificate_authorities c"
            " ON c.id = r.ca_id WHERE c.account_id = '%s')" % (account, account, account))

    def revocation(self, c, arn):
        return c.describe_certificate_authority(CertificateAuthorityArn=arn)[
            'CertificateAuthority'].get('RevocationConfiguration')

    def create(self, c, bucket):
        return c.create_certificate_authority(
            CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration=CFG,
            RevocationConfiguration=crl(bucket))['CertificateAuthorityArn']

    # ---- tests ----

    def test_1_first_naming_claims_and_others_are_refused(self):
        self.create(self.a, 'owned-x/crls')
        before = self.counts(self.acct_b)
        # Create by another account: no CA row, no event
        self.refused(self.create, 'owned-x', c=self.b, bucket='owned-x')
        self.refused(self.create, 'owned-x', c=self.b, bucket='owned-x/other/path')
        # Update by another account: its configuration stays
        rev = self.revocation(self.b, self.ca_b)
        rid = self.refused(self.b.update_certificate_authority, 'owned-x',
                           CertificateAuthorityArn=self.ca_b,
                           RevocationConfiguration=crl('owned-x'))
        self.assertEqual(self.revocation(self.b, self.ca_b), rev)
        # the refusal is logged on the request's behalf: its id and context
        # (base/log.h log_ctx_t), ahead of the message
        why = [line for line in self.pe.log().splitlines() if 'refused to account' in line
               and 'req=%s ' % rid in line]
        self.assertEqual(len(why), 1, self.pe.log()[-3000:])
        self.assertIn('req=%s op=UpdateCertificateAuthority account=%s key=%s ca=%s bucket '
                      'owned-x belongs to account %s: refused to account %s' % (
                          rid, self.acct_b, self.key_b[0], self.ca_b, self.acct_a,
                          self.acct_b), why[0])
        # an audit report into it: no report row, no object
        self.refused(self.b.create_certificate_authority_audit_report, 'owned-x',
                     CertificateAuthorityArn=self.ca_b, S3BucketName='owned-x',
                     AuditReportResponseFormat='JSON')
        self.assertEqual(self.counts(self.acct_b), before)
        self.assertFalse(os.path.exists(os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'owned-x',
                                                     'audit-report')))
        self.assertEqual(self.owner('owned-x'), self.acct_a + ' claim')

    def test_2_the_owner_still_uses_it(self):
        self.a.update_certificate_authority(CertificateAuthorityArn=self.ca_a,
                                            RevocationConfiguration=crl('owned-x'))
        self.assertEqual(self.revocation(self.a, self.ca_a)['CrlConfiguration']['S3BucketName'],
                         'owned-x')
        rid = self.a.create_certificate_authority_audit_report(
            CertificateAuthorityArn=self.ca_a, S3BucketName='owned-x',
            AuditReportResponseFormat='JSON')['AuditReportId']
        self.a.get_waiter('audit_report_created').wait(
            CertificateAuthorityArn=self.ca_a, AuditReportId=rid, WaiterConfig={'Delay': 1})
        # B claims a bucket of its own the same way
        self.b.update_certificate_authority(CertificateAuthorityArn=self.ca_b,
                                            RevocationConfiguration=crl('bucket-b'))
        self.refused(self.create, 'bucket-b', c=self.a, bucket='bucket-b')
        self.assertEqual(self.owner('bucket-b'), self.acct_b + ' claim')

    def test_3_a_configured_bucket_is_shared(self):
        self.pe.reconfigure({'publish': {
            'bucket_owner': 'shared-y %s,%s' % (self.acct_a, self.acct_b)}})
        self.assertEqual(self.owner('shared-y'), self.acct_a + ' config')
        self.b.update_certificate_authority(CertificateAuthorityArn=self.ca_b,
                                            RevocationConfiguration=crl('shared-y/b'))
        self.b.create_certificate_authority_audit_report(
            CertificateAuthorityArn=self.ca_b, S3BucketName='shared-y',
            AuditReportResponseFormat='CSV')
        self.create(self.a, 'shared-y')
        # owned-x is still A's alone
        self.refused(self.create, 'owned-x', c=self.b, bucket='owned-x')

    def test_4_upgrade_gives_the_oldest_ca_its_bucket(self):
        self.create(self.a, 'legacy-z')  # the oldest CA naming it
        # B's CA named it before buckets had owners: made without A's row
        newer = make_root(self.b, *EC, 'bucket legacy b')
        self.pe.psql("DELETE FROM bucket_owners WHERE bucket = 'legacy-z'")
        self.b.update_certificate_authority(CertificateAuthorityArn=newer,
                                            RevocationConfiguration=crl('legacy-z'))
        self.assertEqual(self.owner('legacy-z'), self.acct_b + ' claim')
        # the state before migration 0009: no ownership tables at all
        self.pe.psql("DROP TABLE bucket_sharers, bucket_owners;"
                     " DELETE FROM schema_migrations WHERE version = '0009_bucket_owners.sql'")
        self.pe.down()
        self.pe.up()
        self.assertEqual(self.owner('legacy-z'), self.acct_a + ' upgrade')
        self.assertEqual(self.owner('owned-x'), self.acct_a + ' upgrade')
        # B's root moved from bucket-b to shared-y: nothing names bucket-b now
        self.assertEqual(self.owner('bucket-b'), '')
        self.assertEqual(self.owner('shared-y'), self.acct_a + ' config')
        self.assertIn('bucket legacy-z belongs to account %s but CAs of account(s) %s name it too'
                      % (self.acct_a, self.acct_b), self.pe.log())
        # B's CA keeps its bucket; a new naming by B is refused
        self.b.update_certificate_authority(CertificateAuthorityArn=newer,
                                            RevocationConfiguration=crl('legacy-z/kept'))
        self.assertEqual(self.revocation(self.b, newer)['CrlConfiguration']['S3BucketName'],
                         'legacy-z/kept')
        self.refused(self.create, 'legacy-z', c=self.b, bucket='legacy-z')
        self.refused(self.b.update_certificate_authority, 'legacy-z',
                     CertificateAuthorityArn=self.ca_b, RevocationConfiguration=crl('legacy-z'))
        self.a.update_certificate_authority(CertificateAuthorityArn=self.ca_a,
                                            RevocationConfiguration=crl('legacy-z'))

    def test_5_concurrent_claims_have_one_winner(self):
        """Two accounts name a new bucket at once: exactly one gets it."""
        for i in range(4):
            bucket = 'race-%d-%s' % (i, secrets.token_hex(4))
            won, go = {}, threading.Barrier(2)

            def name(who, c):
                go.wait()
                try:
                    self.create(c, bucket)
                    won[who] = True
                except ClientError as e:
                    self.assertEqual(e.response['Error']['Message'], REFUSED % bucket)
                    won[who] = False
            ts = [threading.Thread(target=name, args=(who, c))
                  for who, c in ((self.acct_a, self.a), (self.acct_b, self.b))]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            winners = [who for who, ok in won.items() if ok]
            self.assertEqual(len(winners), 1, won)
            self.assertEqual(self.owner(bucket), winners[0] + ' claim')
