"""Access: accounts are isolated, a CA's resource policy shares exactly
what it says with another account (and only the operations and templates
AWS shares), a key's own policy limits it within its account (the
aws-privateca-issuer policy), Deny wins, and key or policy changes take
effect without a restart."""
import json
import os
import secrets
import signal
import subprocess
import tempfile
import time

import botocore
import botocore.config
import boto3

from pcatest import AWS_V1, AWS_V2, TEMPLATE_ARN, EnvTestCase, make_root, wait_for
from pki import leaf_csr

EC = ('EC_prime256v1', 'SHA256WITHECDSA')
ISSUER_POLICY = {  # aws-privateca-issuer's documented IAM policy, on one CA
    'Version': '2012-10-17',
    'Statement': [{'Effect': 'Allow', 'Action': ['acm-pca:DescribeCertificateAuthority',
                                                 'acm-pca:GetCertificate',
                                                 'acm-pca:IssueCertificate'],
                   'Resource': None}]}


def new_key(account):
    return 'AKIA' + secrets.token_hex(8).upper(), secrets.token_urlsafe(30), account


class Access(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.work = tempfile.mkdtemp(dir=cls.pe.dir)
        cls.a = cls.pe.boto3()
        cls.ca = make_root(cls.a, *EC, 'access root')
        cls.account = cls.ca.split(':')[4]
        cls.other = '%012d' % (int(cls.account) ^ 1)
        cls.csr = leaf_csr(cls.work, 'access.test')
        cls.keys_table = {'b': new_key(cls.other), 'issuer': new_key(cls.account),
                    'nodeny': new_key(cls.account)}
        issuer = dict(ISSUER_POLICY)
        issuer['Statement'] = [dict(issuer['Statement'][0], Resource=cls.ca),
                               {'Effect': 'Deny', 'Action': 'acm-pca:IssueCertificate',
                                'Resource': '*', 'Condition': {'StringLike': {
                                    'acm-pca:TemplateArn': TEMPLATE_ARN + '*CACertificate*'}}}]
        cls.policies = {
            'issuer': issuer,
            'nodeny': {'Statement': [
                {'Effect': 'Allow', 'Action': 'acm-pca:*', 'Resource': '*'},
                {'Effect': 'Deny', 'Action': 'acm-pca:Revoke*', 'Resource': '*'}]}}
        cls.write_keys()

    @classmethod
    def write_keys(cls, drop=()):
        path = os.path.join(cls.pe.dir, 'credentials')
        with open(path) as f:
            own = [line for line in f.read().splitlines() if line.count(' ') == 2][:1]
        lines = own[:]
        for name, (akid, secret, account) in cls.keys_table.items():
            if name in drop:
                continue
            line = '%s %s %s' % (akid, secret, account)
            if name in cls.policies:
                pf = os.path.join(cls.work, name + '.policy.json')
                with open(pf, 'w') as f:
                    json.dump(cls.policies[name], f)
                line += ' ' + pf
            lines.append(line)
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        before = cls.pe.log().count('credentials reloaded')
        os.kill(cls.pe.pid(), signal.SIGHUP)
        assert wait_for(lambda: cls.pe.log().count('credentials reloaded') > before, 5)

    def client(self, name):
        akid, secret, _ = self.keys_table[name]
        return boto3.client(
            'acm-pca', endpoint_url=self.pe.endpoint, region_name=self.pe.env['AWS_REGION'],
            aws_access_key_id=akid, aws_secret_access_key=secret,
            verify=self.pe.env['PCA_CA_BUNDLE'],
            config=botocore.config.Config(retries={'max_attempts': 0}))

    def cli(self, name, v2, *args):
        akid, secret, _ = self.keys_table[name]
        env = dict(self.pe.client_env(), AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
        return subprocess.run([AWS_V2 if v2 else AWS_V1, 'acm-pca', *args, '--endpoint-url',
                               self.pe.endpoint, '--ca-bundle', self.pe.env['PCA_CA_BUNDLE'],
                               '--output', 'json'], capture_output=True, text=True, env=env,
                              cwd=self.work, timeout=120)

    def code(self, fn, **kw):
        try:
            fn(**kw)
            return 'OK'
        except self.a.exceptions.ClientError as e:
            return e.response['Error']['Code']

    def issue(self, c, template='EndEntityCertificate/V1'):
        return c.issue_certificate(CertificateAuthorityArn=self.ca, Csr=self.csr,
                                   SigningAlgorithm=EC[1], TemplateArn=TEMPLATE_ARN + template,
                                   Validity={'Value': 10, 'Type': 'DAYS'})['CertificateArn']

    def issue_token(self, c, token):
        return c.issue_certificate(CertificateAuthorityArn=self.ca, Csr=self.csr,
                                   SigningAlgorithm=EC[1], IdempotencyToken=token,
                                   Validity={'Value': 10, 'Type': 'DAYS'})['CertificateArn']

    def state(self):
        return self.pe.psql("SELECT status, coalesce(policy, ''), revocation_config::text,"
                            " (SELECT count(*) FROM certificates WHERE ca_id = ca.id),"
                            " (SELECT count(*) FROM ca_permissions WHERE ca_id = ca.id),"
                            " (SELECT count(*) FROM ca_tags WHERE ca_id = ca.id)"
                            " FROM certificate_authorities ca WHERE arn = '%s'" % self.ca)

    # ---- isolation ----

    def calls(self, cert_arn):
        ca = self.ca
        return {
            'CreatePermission': dict(CertificateAuthorityArn=ca, Principal='acm.amazonaws.com',
                                     Actions=['IssueCertificate']),
            'DeletePermission': dict(CertificateAuthorityArn=ca, Principal='acm.amazonaws.com'),
            'ListPermissions': dict(CertificateAuthorityArn=ca),
            'CreateCertificateAuthorityAuditReport': dict(
                CertificateAuthorityArn=ca, S3BucketName='pki-audit',
                AuditReportResponseFormat='JSON'),
            'DeleteCertificateAuthority': dict(CertificateAuthorityArn=ca),
            'DeletePolicy': dict(ResourceArn=ca),
            'DescribeCertificateAuthority': dict(CertificateAuthorityArn=ca),
            'DescribeCertificateAuthorityAuditReport': dict(
                CertificateAuthorityArn=ca, AuditReportId='00000000-0000-4000-8000-000000000000'),
            'GetCertificate': dict(CertificateAuthorityArn=ca, CertificateArn=cert_arn),
            'GetCertificateAuthorityCertificate': dict(CertificateAuthorityArn=ca),
            'GetCertificateAuthorityCsr': dict(CertificateAuthorityArn=ca),
            'GetPolicy': dict(ResourceArn=ca),
            'ImportCertificateAuthorityCertificate': dict(
                CertificateAuthorityArn=ca, Certificate=b'x'),
            'IssueCertificate': dict(CertificateAuthorityArn=ca, Csr=self.csr,
                                     SigningAlgorithm=EC[1],
                                     Validity={'Value': 1, 'Type': 'DAYS'}),
            'ListTags': dict(CertificateAuthorityArn=ca),
            'PutPolicy': dict(ResourceArn=ca, Policy=json.dumps(self.share_policy())),
            'RestoreCertificateAuthority': dict(CertificateAuthorityArn=ca),
            'RevokeCertificate': dict(CertificateAuthorityArn=ca, CertificateSerial='01',
                                      RevocationReason='UNSPECIFIED'),
            'TagCertificateAuthority': dict(CertificateAuthorityArn=ca,
                                            Tags=[{'Key': 'k', 'Value': 'v'}]),
            'UntagCertificateAuthority': dict(CertificateAuthorityArn=ca, Tags=[{'Key': 'k'}]),
            'UpdateCertificateAuthority': dict(CertificateAuthorityArn=ca, Status='DISABLED'),
        }

    def assert_isolated(self, allowed=()):
        """Every operation of account b on the CA: not found (no policy
        names b) or denied, and nothing changes."""
        b = self.client('b')
        cert = self.issue(self.a)
        before = self.state()
        for op, kw in self.calls(cert).items():
            if op in allowed:
                continue
            with self.subTest(op=op):
                got = self.code(getattr(b, botocore.xform_name(op)), **kw)
                self.assertIn(got, ('ResourceNotFoundException', 'AccessDeniedException'), op)
                if not allowed:
                    self.assertEqual(got, 'ResourceNotFoundException', op)
        self.assertEqual(self.state(), before)
        listed = [x['Arn'] for x in b.list_certificate_authorities()['CertificateAuthorities']]
        self.assertNotIn(self.ca, listed)

    def test_1_accounts_are_isolated(self):
        self.assert_isolated()

    # ---- resource policies ----

    def share_policy(self, deny_get=False):
        st = [{'Sid': 'issue', 'Effect': 'Allow', 'Principal': {'AWS': self.other},
               'Action': ['acm-pca:IssueCertificate'], 'Resource': self.ca,
               'Condition': {'StringEquals': {
                   'acm-pca:TemplateArn': TEMPLATE_ARN + 'EndEntityCertificate/V1'}}},
              {'Sid': 'read', 'Effect': 'Allow',
               'Principal': {'AWS': 'arn:aws:iam::%s:root' % self.other},
               'Action': ['acm-pca:GetCertificate', 'acm-pca:Describe*',
                          'acm-pca:GetCertificateAuthorityCertificate',
                          'acm-pca:RevokeCertificate'],
               'Resource': self.ca}]
        if deny_get:
            st.append({'Effect': 'Deny', 'Principal': {'AWS': self.other},
                       'Action': 'acm-pca:GetCertificate', 'Resource': self.ca})
        return {'Version': '2012-10-17', 'Statement': st}

    def test_2_policy_shares_what_it_says(self):
        a, b = self.a, self.client('b')
        self.assertEqual(self.code(a.get_policy, ResourceArn=self.ca), 'ResourceNotFoundException')
        a.delete_policy(ResourceArn=self.ca)  # none: succeeds, as on AWS
        text = json.dumps(self.share_policy())
        a.put_policy(ResourceArn=self.ca, Policy=text)
        self.assertEqual(json.loads(a.get_policy(ResourceArn=self.ca)['Policy']),
                         json.loads(text))
        try:
            arn = self.issue(b)
            self.assertTrue(arn.startswith(self.ca + '/certificate/'))
            # an IdempotencyToken is the caller's: the owner's token, reused
            # by account b, issues b its own certificate, and b's repeat
            # gives b's
            tok = 'shared-token-%d' % os.getpid()
            mine = self.issue_token(a, tok)
            theirs = self.issue_token(b, tok)
            self.assertNotEqual(theirs, mine)
            self.assertEqual(self.issue_token(b, tok), theirs)
            self.assertEqual(self.issue_token(a, tok), mine)
            self.assertTrue(wait_for(lambda: self.code(
                b.get_certificate, CertificateAuthorityArn=self.ca, CertificateArn=arn) == 'OK',
                5))
            self.assertEqual(b.describe_certificate_authority(CertificateAuthorityArn=self.ca)[
                'CertificateAuthority']['Arn'], self.ca)
            # listed as shared with b, and only there
            self.assertEqual(self.shared_arns(b), [self.ca])
            self.assertEqual(self.shared_arns(a), [])
            # both CLIs, as account b
            for v2 in (False, True):
                r = self.cli('b', v2, 'issue-certificate', '--certificate-authority-arn', self.ca,
                             '--csr', 'fileb://leaf.csr', '--signing-algorithm', EC[1],
                             '--validity', 'Value=5,Type=DAYS')
                self.assertEqual(r.returncode, 0, r.stderr)
                r = self.cli('b', v2, 'issue-certificate', '--certificate-authority-arn', self.ca,
                             '--csr', 'fileb://leaf.csr', '--signing-algorithm', EC[1],
                             '--validity', 'Value=5,Type=DAYS', '--template-arn',
                             TEMPLATE_ARN + 'EndEntityClientAuthCertificate/V1')
                self.assertNotEqual(r.returncode, 0)
                self.assertIn('AccessDeniedException', r.stderr)
            # a template the policy does not name, one AWS never shares, an
            # action AWS never shares (even though the policy names it), and
            # every other operation: denied, nothing changes
            self.assertEqual(self.code(self.issue, c=b,
                                       template='EndEntityServerAuthCertificate/V1'),
                             'AccessDeniedException')
            self.assertEqual(self.code(self.issue, c=b, template='RootCACertificate/V1'),
                             'AccessDeniedException')
            self.assertEqual(self.code(b.revoke_certificate, CertificateAuthorityArn=self.ca,
                                       CertificateSerial=arn.rsplit('/', 1)[1],
                                       RevocationReason='KEY_COMPROMISE'),
                             'AccessDeniedException')
            self.assert_isolated(allowed=('IssueCertificate', 'GetCertificate',
                                          'DescribeCertificateAuthority',
                                          'GetCertificateAuthorityCertificate'))
            # Deny over Allow
            a.put_policy(ResourceArn=self.ca, Policy=json.dumps(self.share_policy(True)))
            self.assertEqual(self.code(b.get_certificate, CertificateAuthorityArn=self.ca,
                                       CertificateArn=arn), 'AccessDeniedException')
            self.assertIn('acm-pca:GetCertificate', self.deny_message(b, arn))
        finally:
            a.delete_policy(ResourceArn=self.ca)
        # gone at once: the CA no longer exists for b
        self.assertEqual(self.code(b.describe_certificate_authority,
                                   CertificateAuthorityArn=self.ca), 'ResourceNotFoundException')
        self.assertEqual(self.shared_arns(b), [])

    @staticmethod
    def shared_arns(c):
        return [x['Arn'] for x in c.list_certificate_authorities(
            ResourceOwner='OTHER_ACCOUNTS')['CertificateAuthorities']]

    def deny_message(self, b, arn):
        try:
            b.get_certificate(CertificateAuthorityArn=self.ca, CertificateArn=arn)
        except b.exceptions.ClientError as e:
            return e.response['Error']['Message']
        return ''

    def test_3_bad_policies(self):
        cases = [
            ('{not json', 'not a JSON object'),
            (json.dumps({'Statement': {'Effect': 'Allow', 'Principal': {'AWS': self.other},
                                       'Action': 's3:*', 'Resource': self.ca}}),
             "action 's3:*'"),
            (json.dumps({'Statement': {'Effect': 'Allow', 'Principal': {'AWS': self.other},
                                       'Action': 'acm-pca:*', 'Resource': '*'}}),
             'not this certificate authority'),
            (json.dumps({'Statement': {'Effect': 'Allow', 'Principal': {'AWS': self.other},
                                       'Action': 'acm-pca:*', 'Resource': self.ca,
                                       'Extra': 1}}), "unsupported key 'Extra'"),
            ('{"Statement": {"Effect": "Allow"}, "x": "%s"}' % ('y' * 20480), 'longer than'),
        ]
        for text, why in cases:
            with self.subTest(why=why):
                try:
                    self.a.put_policy(ResourceArn=self.ca, Policy=text)
                    self.fail('accepted')
                except self.a.exceptions.InvalidPolicyException as e:
                    self.assertIn(why, e.response['Error']['Message'])
        self.assertEqual(self.pe.psql("SELECT coalesce(policy, 'none') FROM"
                                      " certificate_authorities WHERE arn = '%s'" % self.ca),
                         'none')

    # ---- a key's own policy ----

    def test_4_issue_only_key(self):
        c = self.client('issuer')
        arn = self.issue(c)
        self.assertTrue(wait_for(lambda: self.code(
            c.get_certificate, CertificateAuthorityArn=self.ca, CertificateArn=arn) == 'OK', 5))
        c.describe_certificate_authority(CertificateAuthorityArn=self.ca)
        before = self.state()
        denied = [
            (c.create_certificate_authority, dict(
                CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration={
                    'KeyAlgorithm': EC[0], 'SigningAlgorithm': EC[1],
                    'Subject': {'CommonName': 'nope'}})),
            (c.delete_certificate_authority, dict(CertificateAuthorityArn=self.ca)),
            (c.revoke_certificate, dict(CertificateAuthorityArn=self.ca,
                                        CertificateSerial=arn.rsplit('/', 1)[1],
                                        RevocationReason='KEY_COMPROMISE')),
            (c.list_certificate_authorities, {}),
            (c.put_policy, dict(ResourceArn=self.ca, Policy=json.dumps(self.share_policy()))),
            (self.issue, dict(c=c, template='SubordinateCACertificate_PathLen0/V1')),
        ]
        for fn, kw in denied:
            with self.subTest(fn=getattr(fn, '__name__', fn)):
                self.assertEqual(self.code(fn, **kw), 'AccessDeniedException')
        self.assertEqual(self.state(), before)
        # with both CLIs
        for v2 in (False, True):
            r = self.cli('issuer', v2, 'revoke-certificate', '--certificate-authority-arn',
                         self.ca, '--certificate-serial', arn.rsplit('/', 1)[1],
                         '--revocation-reason', 'KEY_COMPROMISE')
            self.assertIn('AccessDeniedException', r.stderr)
            r = self.cli('issuer', v2, 'describe-certificate-authority',
                         '--certificate-authority-arn', self.ca)
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_5_deny_over_allow(self):
        c = self.client('nodeny')
        arn = self.issue(c)
        self.assertTrue(wait_for(lambda: self.code(
            c.get_certificate, CertificateAuthorityArn=self.ca, CertificateArn=arn) == 'OK', 5))
        self.assertEqual(self.code(c.revoke_certificate, CertificateAuthorityArn=self.ca,
                                   CertificateSerial=arn.rsplit('/', 1)[1],
                                   RevocationReason='KEY_COMPROMISE'), 'AccessDeniedException')
        self.assertIn(self.ca, [x['Arn'] for x in c.list_certificate_authorities()[
            'CertificateAuthorities']])

    def test_6_key_changes_without_restart(self):
        pid = self.pe.pid()
        c = self.client('nodeny')
        self.assertEqual(self.code(c.list_certificate_authorities), 'OK')
        # the policy loosened: revoking is allowed now
        self.policies['nodeny'] = {'Statement': [
            {'Effect': 'Allow', 'Action': 'acm-pca:*', 'Resource': '*'}]}
        self.write_keys()
        arn = self.issue(c)
        self.assertTrue(wait_for(lambda: self.code(
            c.get_certificate, CertificateAuthorityArn=self.ca, CertificateArn=arn) == 'OK', 5))
        c.revoke_certificate(CertificateAuthorityArn=self.ca,
                             CertificateSerial=arn.rsplit('/', 1)[1],
                             RevocationReason='SUPERSEDED')
        # the key revoked
        self.write_keys(drop=('nodeny',))
        self.assertEqual(self.code(c.list_certificate_authorities),
                         'UnrecognizedClientException')
        self.assertEqual(self.pe.pid(), pid)

    # ---- permissions ----

    def test_7_permissions(self):
        a = self.a
        acm = 'acm.amazonaws.com'
        a.create_permission(CertificateAuthorityArn=self.ca, Principal=acm,
                            Actions=['IssueCertificate', 'GetCertificate', 'ListPermissions'])
        self.assertEqual(self.code(a.create_permission, CertificateAuthorityArn=self.ca,
                                   Principal=acm, Actions=['GetCertificate']),
                         'PermissionAlreadyExistsException')
        a.create_permission(CertificateAuthorityArn=self.ca, Principal=acm,
                            SourceAccount=self.account, Actions=['IssueCertificate'])
        self.assertEqual(self.code(a.create_permission, CertificateAuthorityArn=self.ca,
                                   Principal='ec2.amazonaws.com', Actions=['IssueCertificate']),
                         'RequestFailedException')
        first = a.list_permissions(CertificateAuthorityArn=self.ca, MaxResults=1)
        self.assertEqual(len(first['Permissions']), 1)
        rest = a.list_permissions(CertificateAuthorityArn=self.ca, NextToken=first['NextToken'])
        perms = first['Permissions'] + rest['Permissions']
        self.assertNotIn('NextToken', rest)
        self.assertEqual([p.get('SourceAccount') for p in perms], [None, self.account])
        self.assertEqual(perms[0]['Actions'], ['IssueCertificate', 'GetCertificate',
                                               'ListPermissions'])
        for p in perms:
            self.assertEqual((p['CertificateAuthorityArn'], p['Principal']), (self.ca, acm))
            self.assertLess(abs(p['CreatedAt'].timestamp() - time.time()), 60)
            pol = json.loads(p['Policy'])
            st = pol['Statement'][0]
            self.assertEqual(st['Principal'], {'Service': acm})
            self.assertEqual(st['Resource'], self.ca)
            self.assertEqual(st['Action'], ['acm-pca:' + x for x in p['Actions']])
        self.assertEqual(json.loads(perms[1]['Policy'])['Statement'][0]['Condition'],
                         {'StringEquals': {'aws:SourceAccount': self.account}})
        for v2 in (False, True):
            r = self.pe.aws('list-permissions', '--certificate-authority-arn', self.ca, v2=v2)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(json.loads(r.stdout)['Permissions']), 2)
        a.delete_permission(CertificateAuthorityArn=self.ca, Principal=acm)
        self.assertEqual(self.code(a.delete_permission, CertificateAuthorityArn=self.ca,
                                   Principal=acm), 'ResourceNotFoundException')
        a.delete_permission(CertificateAuthorityArn=self.ca, Principal=acm,
                            SourceAccount=self.account)
        self.assertEqual(a.list_permissions(CertificateAuthorityArn=self.ca)['Permissions'], [])
        events = self.pe.psql("SELECT string_agg(event, ',' ORDER BY id) FROM audit_events"
                              " WHERE ca_arn = '%s' AND event LIKE '%%Permission'" % self.ca)
        self.assertEqual(events, 'CreatePermission,CreatePermission,DeletePermission,'
                                 'DeletePermission')

    # ---- pcad keys ----

    def keys(self, *args):
        return subprocess.run([os.environ.get('PCAD_BIN', 'pcad'), 'keys', '--config',
                               os.path.join(self.pe.dir, 'pcad.conf'), *args],
                              capture_output=True, text=True, timeout=30)

    def test_8_keys_command(self):
        pid = self.pe.pid()
        path = os.path.join(self.pe.dir, 'credentials')
        before = open(path).read()
        bad = os.path.join(self.work, 'bad.policy.json')
        with open(bad, 'w') as f:
            f.write('{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}')
        r = self.keys('add', '--account', self.other, '--policy', bad)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("action 's3:*'", r.stderr)
        self.assertEqual(open(path).read(), before, 'a refused change changed the file')
        self.assertNotEqual(self.keys('add', '--account', '12').returncode, 0)
        # an issue-only key for the other account, usable without a restart
        pol = os.path.join(self.work, 'list-only.policy.json')
        with open(pol, 'w') as f:
            json.dump({'Statement': [{'Effect': 'Allow', 'Action': 'acm-pca:List*',
                                      'Resource': '*'}]}, f)
        r = self.keys('add', '--account', self.other, '--policy', pol)
        self.assertEqual(r.returncode, 0, r.stderr)
        akid, secret = r.stdout.split()
        self.assertRegex(akid, r'^AKIA[A-Z2-7]{16}$')
        self.assertEqual(len(secret), 40)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.keys_table['new'] = (akid, secret, self.other)
        c = self.client('new')
        self.assertTrue(wait_for(lambda: self.code(c.list_certificate_authorities) == 'OK', 5))
        self.assertEqual(self.code(c.create_certificate_authority, CertificateAuthorityType='ROOT',
                                   CertificateAuthorityConfiguration={
                                       'KeyAlgorithm': EC[0], 'SigningAlgorithm': EC[1],
                                       'Subject': {'CommonName': 'x'}}),
                         'AccessDeniedException')
        listed = self.keys('list')
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn('%s %s %s' % (akid, self.other, pol), listed.stdout)
        self.assertNotIn(secret, listed.stdout)
        self.assertNotIn(self.pe.env['AWS_SECRET_ACCESS_KEY'], listed.stdout)
        # revoked: refused within a second or two, still without a restart
        self.assertEqual(self.keys('revoke', akid).returncode, 0)
        self.assertNotEqual(self.keys('revoke', akid).returncode, 0)
        self.assertTrue(wait_for(lambda: self.code(c.list_certificate_authorities) ==
                                 'UnrecognizedClientException', 5))
        self.assertEqual(self.pe.pid(), pid)
        # both in the audit trail (chain 'pcad'): who, which key, when; never a secret
        sql = ("SELECT event || ' ' || coalesce(account_id, '-') || ' ' || (detail->>'note')"
               " FROM audit_events WHERE actor = '%s' AND chain = 'pcad' ORDER BY id" % akid)
        self.assertTrue(wait_for(lambda: len(self.pe.psql(sql).splitlines()) >= 2, 10),
                        self.pe.psql(sql))
        rows = self.pe.psql(sql).splitlines()
        self.assertEqual([r.split()[:2] for r in rows],
                         [['AccessKeyAdded', self.other], ['AccessKeyRemoved', self.other]])
        for r in rows:
            self.assertIn('key=%s account=%s policy=%s ' % (akid, self.other, pol), r)
            self.assertRegex(r, r' seen=\S+Z \(credentials file changed\)$')
        dump = self.pe.psql("SELECT audit_events::text FROM audit_events")
        self.assertNotIn(secret, dump)
        for k in self.keys_table.values():
            self.assertNotIn(k[1], dump)
        self.assertNotIn(self.pe.env['AWS_SECRET_ACCESS_KEY'], dump)

    # ---- the resource acted on is the resource authorized (issue 24) ----

    def snapshot(self, arn):
        """Everything an operation could change on one CA, and its audit rows."""
        return self.pe.psql(
            "SELECT status, coalesce(policy, ''), revocation_config::text, ca_config::text,"
            " (SELECT count(*) FROM certificates WHERE ca_id = ca.id),"
            " (SELECT count(*) FROM certificates WHERE ca_id = ca.id AND revoked_at IS NOT NULL),"
            " (SELECT count(*) FROM ca_permissions WHERE ca_id = ca.id),"
            " (SELECT count(*) FROM ca_tags WHERE ca_id = ca.id),"
            " (SELECT count(*) FROM audit_reports WHERE ca_id = ca.id),"
            " (SELECT count(*) FROM audit_events WHERE ca_arn = ca.arn)"
            " FROM certificate_authorities ca WHERE arn = '%s'" % arn)

    def ca_count(self):
        return self.pe.psql("SELECT count(*) FROM certificate_authorities")

    def bodies(self, t, cert, report_id):
        """A valid input of every operation, aimed at CA t (cert: a
        certificate of t); (resource member, body) by operation, in an order
        that a run against one CA can follow (state changes last)."""
        import base64
        csr = base64.b64encode(self.csr).decode()
        cfg = {'KeyAlgorithm': EC[0], 'SigningAlgorithm': EC[1], 'Subject': {'CommonName': 'z'}}
        share = {'Version': '2012-10-17', 'Statement': [{
            'Effect': 'Allow', 'Principal': {'AWS': self.other},
            'Action': 'acm-pca:DescribeCertificateAuthority', 'Resource': t}]}
        ca = 'CertificateAuthorityArn'
        return {
            'CreateCertificateAuthority': (None, {'CertificateAuthorityType': 'ROOT',
                                                  'CertificateAuthorityConfiguration': cfg}),
            'ListCertificateAuthorities': (None, {}),
            'DescribeCertificateAuthority': (ca, {ca: t}),
            'GetCertificateAuthorityCertificate': (ca, {ca: t}),
            'GetCertificateAuthorityCsr': (ca, {ca: t}),
            'IssueCertificate': (ca, {ca: t, 'Csr': csr, 'SigningAlgorithm': EC[1],
                                      'Validity': {'Value': 1, 'Type': 'DAYS'}}),
            'GetCertificate': (ca, {ca: t, 'CertificateArn': cert}),
            'RevokeCertificate': (ca, {ca: t, 'CertificateSerial': cert.rsplit('/', 1)[1],
                                       'RevocationReason': 'UNSPECIFIED'}),
            'CreatePermission': (ca, {ca: t, 'Principal': 'acm.amazonaws.com',
                                      'Actions': ['IssueCertificate']}),
            'ListPermissions': (ca, {ca: t}),
            'DeletePermission': (ca, {ca: t, 'Principal': 'acm.amazonaws.com'}),
            'TagCertificateAuthority': (ca, {ca: t, 'Tags': [{'Key': 'k', 'Value': 'v'}]}),
            'ListTags': (ca, {ca: t}),
            'UntagCertificateAuthority': (ca, {ca: t, 'Tags': [{'Key': 'k'}]}),
            'PutPolicy': ('ResourceArn', {'ResourceArn': t, 'Policy': json.dumps(share)}),
            'GetPolicy': ('ResourceArn', {'ResourceArn': t}),
            'DeletePolicy': ('ResourceArn', {'ResourceArn': t}),
            'CreateCertificateAuthorityAuditReport': (ca, {
                ca: t, 'S3BucketName': 'authz-%s' % self.account,
                'AuditReportResponseFormat': 'JSON'}),
            'DescribeCertificateAuthorityAuditReport': (ca, {ca: t, 'AuditReportId': report_id}),
            'ImportCertificateAuthorityCertificate': (ca, {ca: t, 'Certificate': 'eA=='}),
            'UpdateCertificateAuthority': (ca, {ca: t, 'Status': 'DISABLED'}),
            'DeleteCertificateAuthority': (ca, {ca: t, 'PermanentDeletionTimeInDays': 7}),
            'RestoreCertificateAuthority': (ca, {ca: t}),
        }

    @staticmethod
    def variants(member, body, other):
        """The body, then with `other` in every other place a resource could
        hide: the other ARN member, unknown members, other spellings."""
        twin = 'ResourceArn' if member == 'CertificateAuthorityArn' else 'CertificateAuthorityArn'
        extra = {'Extra': other, 'certificateAuthorityArn': other, 'resourceArn': other,
                 'CertificateAuthorityARN': other}
        if member is None:
            return [dict(body, CertificateAuthorityArn=other), dict(body, ResourceArn=other),
                    dict(body, **extra)]
        return [body, dict(body, **{twin: other}), dict(body, **extra),
                dict(body, **{twin: other}, **extra)]

    def raw_as(self, name, op, body):
        akid, secret, _ = self.keys_table[name]
        st, _, out = self.pe.raw(op, json.dumps(body), akid=akid, secret=secret)
        return 'OK' if st == 200 else out.get('__type', str(st)) if isinstance(out, dict) else st

    def test_9a_resource_members(self):
        """A key allowed only on CA X: every operation aimed at CA Y is
        denied whatever X is added to the body, and changes nothing; the
        same calls aimed at X act on X and never on Y (fabdc61: PutPolicy
        with ResourceArn Y and CertificateAuthorityArn X put the policy on
        Y; Create and List with X added ran)."""
        x = make_root(self.a, *EC, 'authz X')
        y = make_root(self.a, *EC, 'authz Y')
        self.keys_table['onlyx'] = new_key(self.account)
        self.policies['onlyx'] = {'Statement': [
            {'Effect': 'Allow', 'Action': 'acm-pca:*', 'Resource': x}]}
        self.write_keys(drop=('new', 'nodeny'))
        certs = {t: self.a.issue_certificate(
            CertificateAuthorityArn=t, Csr=self.csr, SigningAlgorithm=EC[1],
            Validity={'Value': 3, 'Type': 'DAYS'})['CertificateArn'] for t in (x, y)}
        for t in (x, y):
            self.assertTrue(wait_for(lambda t=t: self.code(
                self.a.get_certificate, CertificateAuthorityArn=t,
                CertificateArn=certs[t]) == 'OK', 5))
        before = (self.snapshot(x), self.snapshot(y), self.ca_count())
        rid = '00000000-0000-4000-8000-000000000000'
        for op, (member, body) in self.bodies(y, certs[y], rid).items():
            for i, v in enumerate(self.variants(member, body, x)):
                with self.subTest(op=op, variant=i):
                    self.assertEqual(self.raw_as('onlyx', op, v), 'AccessDeniedException')
        self.assertEqual((self.snapshot(x), self.snapshot(y), self.ca_count()), before)
        # the twin: aimed at X with Y everywhere else, it acts on X only
        log_before, report_id = len(self.pe.log()), rid
        for op, (member, body) in self.bodies(x, certs[x], rid).items():
            if member is None:
                continue
            if op == 'DescribeCertificateAuthorityAuditReport':
                body['AuditReportId'] = report_id
            got = self.raw_as('onlyx', op, self.variants(member, body, y)[-1])
            with self.subTest(op=op, twin='X'):
                self.assertNotIn(got, ('AccessDeniedException', 'ResourceNotFoundException'))
            if op == 'CreateCertificateAuthorityAuditReport':
                report_id = self.pe.psql("SELECT r.id FROM audit_reports r JOIN"
                                         " certificate_authorities ca ON ca.id = r.ca_id"
                                         " WHERE ca.arn = '%s'" % x)
        self.assertEqual(self.snapshot(y), before[1])
        self.assertNotEqual(self.snapshot(x), before[0])
        # the request line and the audit row name the same CA: X
        put = [ln for ln in self.pe.log()[log_before:].splitlines() if 'op=PutPolicy' in ln]
        self.assertEqual(len(put), 1, put)
        self.assertIn('ca=' + x, put[0])
        self.assertNotIn(y, put[0])
        self.assertEqual(self.pe.psql("SELECT string_agg(ca_arn, ',') FROM audit_events"
                                      " WHERE event = 'PutPolicy' AND actor = '%s'"
                                      % self.keys_table['onlyx'][0]), x)

    def test_9b_template_spellings(self):
        """Only the canonical template ARN names a template: the other
        spellings that walked past a Deny on *CACertificate* are refused
        (fabdc61: each issued a CA:TRUE certificate)."""
        self.keys_table['nocasub'] = new_key(self.account)
        self.policies['nocasub'] = {'Statement': [
            {'Effect': 'Allow', 'Action': 'acm-pca:*', 'Resource': '*'},
            {'Effect': 'Deny', 'Action': 'acm-pca:IssueCertificate', 'Resource': '*',
             'Condition': {'StringLike': {
                 'acm-pca:TemplateArn': 'arn:aws:acm-pca:::template/*CACertificate*'}}}]}
        self.write_keys(drop=('new', 'nodeny'))
        c = self.client('nocasub')
        before = self.state()
        name = ':acm-pca:::template/SubordinateCACertificate_PathLen0/V1'
        for spelling in ('arn:AWS', 'arn:aws-cn', 'arn:aws-us-gov', 'arn:x', 'arn:Aws', 'ARN:aws'):
            want = 'InvalidArnException' if spelling == 'ARN:aws' else 'InvalidArgsException'
            with self.subTest(spelling=spelling):
                try:
                    c.issue_certificate(CertificateAuthorityArn=self.ca, Csr=self.csr,
                                        SigningAlgorithm=EC[1], TemplateArn=spelling + name,
                                        Validity={'Value': 1, 'Type': 'DAYS'})
                    self.fail('issued')
                except c.exceptions.ClientError as e:
                    self.assertEqual(e.response['Error']['Code'], want)
                    self.assertIn('emplate', e.response['Error']['Message'])
        self.assertEqual(
            self.code(self.issue, c=c, template='SubordinateCACertificate_PathLen0/V1'),
            'AccessDeniedException')
        self.assertEqual(self.state(), before)
        self.issue(c)  # the default template is not denied

    def test_9c_ca_arn_spellings(self):
        """A CA ARN names this endpoint's partition and region, else
        InvalidArnException (fabdc61: ResourceNotFoundException)."""
        acct_id = self.ca.split(':', 4)[4]
        region = self.pe.env['AWS_REGION']
        for arn in ('arn:aws-cn:acm-pca:%s:%s' % (region, acct_id),
                    'arn:aws:acm-pca:eu-west-3:%s' % acct_id):
            with self.subTest(arn=arn):
                self.assertEqual(self.code(self.a.describe_certificate_authority,
                                           CertificateAuthorityArn=arn),
                                 'InvalidArnException')

    def test_9d_shared_only_when_allowed(self):
        """A resource policy that denies account b (and allows c), or that
        allows b only what AWS never shares: for b the CA does not exist
        (fabdc61: listed to b with its description, and AccessDenied on
        Describe where an unshared CA is ResourceNotFound)."""
        c_acct = '%012d' % (int(self.account) ^ 2)
        self.keys_table['c'] = new_key(c_acct)
        self.write_keys(drop=('new', 'nodeny'))
        b, c = self.client('b'), self.client('c')
        read = ['acm-pca:DescribeCertificateAuthority', 'acm-pca:GetCertificate']
        policies = [
            [{'Effect': 'Allow', 'Principal': {'AWS': [self.other, c_acct]}, 'Action': read,
              'Resource': self.ca},
             {'Effect': 'Deny', 'Principal': {'AWS': self.other}, 'Action': 'acm-pca:*',
              'Resource': self.ca}],
            [{'Effect': 'Allow', 'Principal': {'AWS': c_acct}, 'Action': read,
              'Resource': self.ca},
             {'Effect': 'Allow', 'Principal': {'AWS': self.other},
              'Action': 'acm-pca:DeleteCertificateAuthority', 'Resource': self.ca}],
        ]
        try:
            for st in policies:
                self.a.put_policy(ResourceArn=self.ca,
                                  Policy=json.dumps({'Version': '2012-10-17', 'Statement': st}))
                with self.subTest(policy=st):
                    self.assertEqual(self.shared_arns(b), [])
                    self.assertEqual(self.code(b.describe_certificate_authority,
                                               CertificateAuthorityArn=self.ca),
                                     'ResourceNotFoundException')
                    self.assertEqual(self.shared_arns(c), [self.ca])
                    self.assertEqual(self.code(c.describe_certificate_authority,
                                               CertificateAuthorityArn=self.ca), 'OK')
        finally:
            self.a.delete_policy(ResourceArn=self.ca)

    def test_9e_permission_pages(self):
        """25 permissions page in creation order, each exactly once
        (fabdc61 ordered by seq::text: "10" < "9")."""
        accounts = ['%012d' % (100000000000 + i) for i in range(25)]
        for acct in accounts:
            self.a.create_permission(CertificateAuthorityArn=self.ca,
                                     Principal='acm.amazonaws.com', SourceAccount=acct,
                                     Actions=['IssueCertificate'])
        try:
            for size in (1, 5, 10):
                with self.subTest(size=size):
                    got, kw = [], {}
                    while True:
                        page = self.a.list_permissions(CertificateAuthorityArn=self.ca,
                                                       MaxResults=size, **kw)
                        self.assertLessEqual(len(page['Permissions']), size)
                        got += [p['SourceAccount'] for p in page['Permissions']]
                        if 'NextToken' not in page:
                            break
                        kw = {'NextToken': page['NextToken']}
                    self.assertEqual(got, accounts)
        finally:
            for acct in accounts:
                self.a.delete_permission(CertificateAuthorityArn=self.ca,
                                         Principal='acm.amazonaws.com', SourceAccount=acct)

    def test_9f_tag_limit_message(self):
        """51 tags: the error names the member (fabdc61: "Value null")."""
        body = {'CertificateAuthorityArn': self.ca,
                'Tags': [{'Key': 'k%d' % i, 'Value': 'v'} for i in range(51)]}
        resp = self.pe.raw('TagCertificateAuthority', json.dumps(body))
        self.assertAwsError(resp, 400, 'TooManyTagsException',
                            "at 'tags' failed to satisfy constraint: Member must have length "
                            "less than or equal to 50")
        self.assertNotIn('null', resp[2]['message'])
