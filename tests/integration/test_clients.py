"""The real AWS clients against pcad: aws-cli v1, aws-cli v2 (Debian), boto3."""
import json
import os
import subprocess
import tempfile
import unittest
import uuid

import botocore.exceptions

from pcatest import EnvTestCase, make_root

UUID_RE = r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'


class Clients(EnvTestCase):

    def test_list_empty_cli_v1(self):
        r = self.pe.aws('list-certificate-authorities')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {'CertificateAuthorities': []})

    def test_list_empty_cli_v2(self):
        r = self.pe.aws('list-certificate-authorities', v2=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {'CertificateAuthorities': []})

    def test_list_empty_boto3(self):
        resp = self.pe.boto3().list_certificate_authorities()
        self.assertEqual(resp['CertificateAuthorities'], [])
        self.assertNotIn('NextToken', resp)
        self.assertRegex(resp['ResponseMetadata']['RequestId'], UUID_RE)

    def test_service_error_reaches_the_cli(self):
        arn = 'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/' + str(uuid.uuid4())
        for v2, code in ((False, 255), (True, 254)):
            r = self.pe.aws('list-permissions', '--certificate-authority-arn', arn, v2=v2)
            self.assertEqual(r.returncode, code, r.stderr)
            self.assertIn('An error occurred (ResourceNotFoundException) when calling the '
                          'ListPermissions operation', r.stderr)

    def test_constraint_errors_reach_the_cli(self):
        r = self.pe.aws('list-certificate-authorities', '--max-results', '1001',
                        '--no-paginate', v2=True)
        self.assertEqual(r.returncode, 254, r.stderr)
        self.assertIn('(ValidationException)', r.stderr)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.pe.boto3().list_certificate_authorities(ResourceOwner='EVERYONE')
        self.assertEqual(cm.exception.response['Error']['Code'], 'ValidationException')

    # the seed's CLI example, verbatim, after `. env.sh` (aws-cli v1 finds
    # pcad through AWS_ENDPOINT_URL_ACM_PCA, the CA bundle through
    # AWS_CA_BUNDLE)
    SEED_EXAMPLE = ('aws acm-pca issue-certificate --certificate-authority-arn ARN --csr '
                    'fileb://cert_1.csr --signing-algorithm "SHA256WITHRSA" '
                    '--validity Value=365,Type="DAYS" --idempotency-token 1234')

    def test_the_seed_cli_example_works_verbatim_after_env_sh(self):
        c = self.pe.boto3()
        ca = make_root(c, 'RSA_2048', 'SHA256WITHRSA', 'seed example root')
        work = tempfile.mkdtemp(dir=self.pe.dir)
        subprocess.run(['openssl', 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout',
                        os.path.join(work, 'cert_1.key'), '-subj', '/CN=cert_1.example',
                        '-out', os.path.join(work, 'cert_1.csr')], check=True,
                       capture_output=True)
        script = '. %s/env.sh && %s' % (self.pe.dir, self.SEED_EXAMPLE.replace('ARN', ca))
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env['AWS_CONFIG_FILE'] = env['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull
        runs = [subprocess.run(['bash', '-c', script], cwd=work, env=env, capture_output=True,
                               text=True, timeout=120) for _ in range(2)]
        for r in runs:
            self.assertEqual(r.returncode, 0, r.stderr)
        arns = [json.loads(r.stdout)['CertificateArn'] for r in runs]
        self.assertTrue(arns[0].startswith(ca + '/certificate/'))
        self.assertEqual(arns[0], arns[1])  # --idempotency-token 1234: one certificate



class Pagination(EnvTestCase):
    """CAs are put in the table directly (creation arrives with the CA
    lifecycle issue); listing must page through them."""

    def setUp(self):
        acct = self.pe.env['PCA_ACCOUNT']
        self.arns = []
        for i in range(7):
            owner = acct if i < 5 else '000000000001'
            cid = str(uuid.uuid4())
            arn = 'arn:aws:acm-pca:us-east-1:%s:certificate-authority/%s' % (owner, cid)
            if i < 5:
                self.arns.append(arn)
            self.pe.psql(
                "INSERT INTO certificate_authorities (id, arn, account_id, region, type, status,"
                " ca_config, created_at) VALUES ('%s', '%s', '%s', 'us-east-1', 'ROOT',"
                " 'PENDING_CERTIFICATE', '{\"KeyAlgorithm\":\"EC_prime256v1\","
                "\"SigningAlgorithm\":\"SHA256WITHECDSA\",\"Subject\":{\"CommonName\":\"ca%d\"}}',"
                " now() + interval '%d seconds')" % (cid, arn, owner, i, i))

    def tearDown(self):
        self.pe.psql('DELETE FROM certificate_authorities')

    def test_pages_boto3(self):
        c = self.pe.boto3()
        seen, token, pages = [], None, 0
        while True:
            kw = {'MaxResults': 2}
            if token:
                kw['NextToken'] = token
            resp = c.list_certificate_authorities(**kw)
            pages += 1
            self.assertLessEqual(len(resp['CertificateAuthorities']), 2)
            seen += resp['CertificateAuthorities']
            token = resp.get('NextToken')
            if not token:
                break
        self.assertEqual(pages, 3)
        self.assertEqual([ca['Arn'] for ca in seen], self.arns)
        ca = seen[0]
        self.assertEqual(ca['OwnerAccount'], self.pe.env['PCA_ACCOUNT'])
        self.assertEqual(ca['Status'], 'PENDING_CERTIFICATE')
        self.assertEqual(ca['Type'], 'ROOT')
        self.assertEqual(ca['CertificateAuthorityConfiguration']['Subject']['CommonName'], 'ca0')
        self.assertEqual(ca['RevocationConfiguration'],
                         {'CrlConfiguration': {'Enabled': False},
                          'OcspConfiguration': {'Enabled': False}})
        self.assertEqual(ca['KeyStorageSecurityStandard'], 'FIPS_140_2_LEVEL_3_OR_HIGHER')
        self.assertEqual(ca['UsageMode'], 'GENERAL_PURPOSE')
        self.assertIn('CreatedAt', ca)
        self.assertNotIn('RestorableUntil', ca)

    def test_clis_follow_next_token(self):
        for v2 in (False, True):
            r = self.pe.aws('list-certificate-authorities', '--page-size', '2', v2=v2)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([c['Arn'] for c in json.loads(r.stdout)['CertificateAuthorities']],
                             self.arns)

    def test_page_cap_is_100(self):
        resp = self.pe.boto3().list_certificate_authorities(MaxResults=1000)
        self.assertEqual(len(resp['CertificateAuthorities']), 5)
        self.assertNotIn('NextToken', resp)

    def test_bad_tokens(self):
        c = self.pe.boto3()
        token = c.list_certificate_authorities(MaxResults=1)['NextToken']
        bad = [token[:-4] + ('AAAA' if token[-4:] != 'AAAA' else 'BBBB'), 'garbage', 'QUJD']
        for t in bad:
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                c.list_certificate_authorities(NextToken=t)
            self.assertEqual(cm.exception.response['Error']['Code'], 'InvalidNextTokenException')
        # a token of the SELF listing is foreign to the OTHER_ACCOUNTS listing
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.list_certificate_authorities(NextToken=token, ResourceOwner='OTHER_ACCOUNTS')
        self.assertEqual(cm.exception.response['Error']['Code'], 'InvalidNextTokenException')

    def test_other_accounts_is_empty(self):
        resp = self.pe.boto3().list_certificate_authorities(ResourceOwner='OTHER_ACCOUNTS')
        self.assertEqual(resp['CertificateAuthorities'], [])


if __name__ == '__main__':
    unittest.main()
