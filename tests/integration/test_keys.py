"""Keys fail closed, one by one: a KEY_ID on two lines authenticates with
neither secret, a policy file is watched and checked like the credentials
file, `pcad keys revoke` goes through whatever the other lines say, and a
reload always replaces the whole key set with what the file now says."""
import json
import os
import secrets
import subprocess
import tempfile

import botocore
import botocore.config
import botocore.exceptions
import boto3

from pcatest import EnvTestCase, wait_for

ALLOW_ALL = {'Statement': [{'Effect': 'Allow', 'Action': 'acm-pca:*', 'Resource': '*'}]}
DENY_ALL = {'Statement': [{'Effect': 'Deny', 'Action': 'acm-pca:*', 'Resource': '*'}]}
GET_ONLY = {'Statement': [{'Effect': 'Allow', 'Action': 'acm-pca:GetCertificate',
                           'Resource': '*'}]}
SOON = 3  # seconds: the daemon looks once a second


def new_key():
    return 'AKIA' + secrets.token_hex(8).upper(), secrets.token_urlsafe(30)


class Keys(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.work = tempfile.mkdtemp(dir=cls.pe.dir)
        cls.path = os.path.join(cls.pe.dir, 'credentials')
        with open(cls.path) as f:
            cls.own = [line for line in f.read().splitlines()
                       if line and not line.startswith('#')][:1]
        cls.account = cls.own[0].split()[2]

    def tearDown(self):
        # every test starts from the environment's own key alone
        self.write_creds([])
        self.assertTrue(wait_for(lambda: self.code(self.pe.boto3().list_certificate_authorities)
                                 == 'OK', SOON))

    def write_creds(self, lines):
        """The credentials file: the environment's own key and lines, replaced
        whole (mode 0600), as an editor or `pcad keys` would."""
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            f.write('\n'.join(self.own + lines) + '\n')
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def policy(self, name, doc, mode=0o644):
        path = os.path.join(self.work, name + '.policy.json')
        with open(path, 'w') as f:
            json.dump(doc, f)
        os.chmod(path, mode)
        return path

    def reloads(self):
        return self.pe.log().count('credentials reloaded')

    def wait_reload(self, before):
        self.assertTrue(wait_for(lambda: self.reloads() > before, SOON), 'no reload')

    def client(self, akid, secret):
        return boto3.client(
            'acm-pca', endpoint_url=self.pe.endpoint, region_name=self.pe.env['AWS_REGION'],
            aws_access_key_id=akid, aws_secret_access_key=secret,
            verify=self.pe.env['PCA_CA_BUNDLE'],
            config=botocore.config.Config(retries={'max_attempts': 0}))

    def code(self, fn, **kw):
        try:
            fn(**kw)
            return 'OK'
        except botocore.exceptions.ClientError as e:
            return e.response['Error']['Code']

    def lists(self, akid, secret):
        return self.code(self.client(akid, secret).list_certificate_authorities)

    def keys(self, *args):
        return subprocess.run([os.environ.get('PCAD_BIN', 'pcad'), 'keys', '--config',
                               os.path.join(self.pe.dir, 'pcad.conf'), *args],
                              capture_output=True, text=True, timeout=30)

    def test_1_duplicate_key_id_disabled(self):
        """A full-control line, then a restricted line with a new secret for
        the same KEY_ID appended: neither secret authenticates (before, the
        new secret was checked against the last line and got the first
        line's full control)."""
        akid, full = new_key()
        _, restricted = new_key()
        other, other_secret = new_key()
        before = self.reloads()
        self.write_creds(['%s %s %s' % (akid, full, self.account),
                          '%s %s %s' % (other, other_secret, self.account)])
        self.wait_reload(before)
        self.assertEqual(self.lists(akid, full), 'OK')
        before = self.reloads()
        self.write_creds(['%s %s %s' % (akid, full, self.account),
                          '%s %s %s' % (other, other_secret, self.account),
                          '%s %s %s %s' % (akid, restricted, self.account,
                                           self.policy('get-only', GET_ONLY))])
        self.wait_reload(before)
        self.assertEqual(self.lists(akid, restricted), 'UnrecognizedClientException')
        self.assertEqual(self.lists(akid, full), 'UnrecognizedClientException')
        self.assertEqual(self.lists(other, other_secret), 'OK')
        log = self.pe.log()
        self.assertIn('key %s is on lines 2, 4' % akid, log)
        self.assertNotIn(restricted, log)
        self.assertNotIn(full, log)

    def test_2_policy_rewritten_takes_effect(self):
        """A policy file rewritten to Deny-all takes effect within a second
        or two, without SIGHUP (before: never)."""
        akid, secret = new_key()
        pf = self.policy('rewritten', ALLOW_ALL)
        before = self.reloads()
        self.write_creds(['%s %s %s %s' % (akid, secret, self.account, pf)])
        self.wait_reload(before)
        self.assertEqual(self.lists(akid, secret), 'OK')
        pid = self.pe.pid()
        self.policy('rewritten', DENY_ALL)
        self.assertTrue(wait_for(lambda: self.lists(akid, secret) == 'AccessDeniedException',
                                 SOON))
        self.assertEqual(self.pe.pid(), pid)

    def test_3_group_writable_policy_disables_its_key(self):
        """chmod 0664 on a policy file disables that key within a second or
        two; the other keys keep working; 0644 again restores it."""
        akid, secret = new_key()
        other, other_secret = new_key()
        pf = self.policy('loose', ALLOW_ALL)
        before = self.reloads()
        self.write_creds(['%s %s %s %s' % (akid, secret, self.account, pf),
                          '%s %s %s' % (other, other_secret, self.account)])
        self.wait_reload(before)
        self.assertEqual(self.lists(akid, secret), 'OK')
        os.chmod(pf, 0o664)
        self.assertTrue(wait_for(lambda: self.lists(akid, secret) ==
                                 'UnrecognizedClientException', SOON))
        self.assertEqual(self.lists(other, other_secret), 'OK')
        self.assertEqual(self.code(self.pe.boto3().list_certificate_authorities), 'OK')
        self.assertIn('key %s disabled: policy file %s: mode 0664' % (akid, pf), self.pe.log())
        os.chmod(pf, 0o644)
        self.assertTrue(wait_for(lambda: self.lists(akid, secret) == 'OK', SOON))

    def test_4_revoke_despite_another_broken_policy(self):
        """`pcad keys revoke A` goes through while key B's policy file is
        missing, and A is refused within a second or two (before: "the
        change was not made", and A kept working)."""
        a, a_secret = new_key()
        b, b_secret = new_key()
        pf = self.policy('b', ALLOW_ALL)
        before = self.reloads()
        self.write_creds(['%s %s %s' % (a, a_secret, self.account),
                          '%s %s %s %s' % (b, b_secret, self.account, pf)])
        self.wait_reload(before)
        self.assertEqual(self.lists(a, a_secret), 'OK')
        self.assertEqual(self.lists(b, b_secret), 'OK')
        os.unlink(pf)
        r = self.keys('revoke', a)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(a, self.keys('list').stdout)
        self.assertTrue(wait_for(lambda: self.lists(a, a_secret) ==
                                 'UnrecognizedClientException', SOON))
        self.assertEqual(self.lists(b, b_secret), 'UnrecognizedClientException')
        self.assertEqual(self.code(self.pe.boto3().list_certificate_authorities), 'OK')

    def test_5_removed_key_not_kept_by_a_broken_line(self):
        """A key removed from the file stops working even when another line
        of the new file is broken (before: the load failed and the old keys,
        the removed one included, stayed)."""
        c, c_secret = new_key()
        d, d_secret = new_key()
        before = self.reloads()
        self.write_creds(['%s %s %s' % (c, c_secret, self.account),
                          '%s %s %s' % (d, d_secret, self.account)])
        self.wait_reload(before)
        self.assertEqual(self.lists(c, c_secret), 'OK')
        self.write_creds(['%s %s %s' % (d, d_secret, self.account),
                          'AKIABROKENLINE secret 1234',
                          '%s %s %s %s' % (*new_key(), self.account,
                                           os.path.join(self.work, 'absent.json'))])
        self.assertTrue(wait_for(lambda: self.lists(c, c_secret) ==
                                 'UnrecognizedClientException', SOON))
        self.assertEqual(self.lists(d, d_secret), 'OK')

    def test_6_unloadable_credentials_file_honours_no_key(self):
        """A credentials file that fails its own mode check on a reload
        leaves no key honoured (before: the old keys stayed), pcad keeps
        running, and the next good change brings the keys back."""
        pid = self.pe.pid()
        own = self.pe.boto3()
        self.assertEqual(self.code(own.list_certificate_authorities), 'OK')
        os.chmod(self.path, 0o644)
        try:
            self.assertTrue(wait_for(lambda: self.code(own.list_certificate_authorities) ==
                                     'UnrecognizedClientException', SOON))
            self.assertIn('no access key is honoured', self.pe.log())
        finally:
            os.chmod(self.path, 0o600)
        self.assertTrue(wait_for(lambda: self.code(own.list_certificate_authorities) == 'OK',
                                 SOON))
        self.assertEqual(self.pe.pid(), pid)
