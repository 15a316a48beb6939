"""CRLs that relying parties can see: made after enabling and after
revocations, signed in the token, written into the bucket directory and
served by the publish listener; checked with openssl."""
import email.utils
import os
import re
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from pcatest import Env, make_root, wait_for
from pki import ca_pem, issue_leaf, leaf_csr, run

EC = ('EC_prime256v1', 'SHA256WITHECDSA')


class Crl(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()
        cls.pe.reconfigure({'publish': {'crl_publish_delay': 1, 'crl_partition_size': 2}})
        cls.c = cls.pe.boto3()
        cls.work = tempfile.mkdtemp(dir=cls.pe.dir)
        cls.ca = make_root(cls.c, *EC, 'crl root')
        cls.ca_id = cls.ca.rsplit('/', 1)[1]
        cls.ca_pem = ca_pem(cls.c, cls.ca, cls.work)
        cls.csr = leaf_csr(cls.work, 'crl.test')

    @classmethod
    def tearDownClass(cls):
        cls.pe.close()

    def bucket_crl(self):
        path = os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'pki-crl', 'crl', self.ca_id + '.crl')
        if not os.path.exists(path):
            return None
        with open(path, 'rb') as f:
            return f.read()

    def http_crl(self):
        url = 'http://%s/crl/%s.crl' % (self.pe.env['PCA_PUBLISH'], self.ca_id)
        with urllib.request.urlopen(url, timeout=5) as r:
            self.assertEqual(r.headers['Content-Type'], 'application/pkix-crl')
            return r.read()

    def number(self, der):
        crl = x509.load_der_x509_crl(der)
        return crl.extensions.get_extension_for_oid(ExtensionOID.CRL_NUMBER).value.crl_number

    def issue(self):
        return issue_leaf(self.c, self.ca, self.csr, self.work, EC[1])

    def openssl_verify(self, crl_der, leaf):
        crl_pem = os.path.join(self.work, 'crl.pem')
        subprocess.run(['openssl', 'crl', '-inform', 'DER', '-out', crl_pem],
                       input=crl_der, check=True, capture_output=True)
        return subprocess.run(['openssl', 'verify', '-crl_check', '-CAfile', self.ca_pem,
                               '-CRLfile', crl_pem, leaf], capture_output=True, text=True)

    def test_1_crl_after_enabling_and_revocations(self):
        self.assertIsNone(self.bucket_crl())
        self.enable()
        first = self.bucket_crl()
        out = subprocess.run(['openssl', 'crl', '-inform', 'DER', '-CAfile', self.ca_pem,
                              '-noout', '-text'], input=first, capture_output=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b'verify OK', out.stderr + out.stdout)
        crl = x509.load_der_x509_crl(first)
        with open(self.ca_pem, 'rb') as f:
            ca = x509.load_pem_x509_certificate(f.read())
        self.assertEqual(crl.issuer, ca.subject)
        self.assertEqual(len(crl), 0)
        life = crl.next_update_utc - crl.last_update_utc
        self.assertAlmostEqual(life.total_seconds(), 7 * 86400 + 3600, delta=5)
        aki = crl.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
        ski = ca.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
        self.assertEqual(aki.key_identifier, ski.digest)
        self.assertEqual(self.http_crl(), first)

        (live, live_path), (bad, bad_path), (old, _) = self.issue(), self.issue(), self.issue()
        self.assertEqual(self.openssl_verify(first, bad_path).returncode, 0)
        reasons = {bad.serial_number: 'KEY_COMPROMISE', old.serial_number: 'SUPERSEDED'}
        revoked = time.time()
        for serial, reason in reasons.items():
            self.c.revoke_certificate(CertificateAuthorityArn=self.ca,
                                      CertificateSerial='%x' % serial, RevocationReason=reason)
        self.assertTrue(wait_for(lambda: self.bucket_crl() and len(
            x509.load_der_x509_crl(self.bucket_crl())) == 2, 5), 'the revocations are not in a CRL')
        print('\nrevocations in the published CRL after %.1f s' % (time.time() - revoked))
        second = self.bucket_crl()
        self.assertGreater(self.number(second), self.number(first))
        crl = x509.load_der_x509_crl(second)
        got = {r.serial_number: r.extensions.get_extension_for_oid(
            x509.oid.CRLEntryExtensionOID.CRL_REASON).value.reason.name for r in crl}
        self.assertEqual(got, {bad.serial_number: 'key_compromise',
                               old.serial_number: 'superseded'})
        self.assertEqual(self.http_crl(), second)
        v = self.openssl_verify(second, bad_path)
        self.assertNotEqual(v.returncode, 0)
        self.assertIn('certificate revoked', v.stdout + v.stderr)
        self.assertEqual(self.openssl_verify(second, live_path).returncode, 0)
        # every CRL is one use of the CA key: audited
        self.assertGreaterEqual(int(self.pe.psql(
            "SELECT count(*) FROM audit_events WHERE event = 'GenerateCrl'")), 2)

    def enable(self):
        self.c.update_certificate_authority(CertificateAuthorityArn=self.ca,
                                            RevocationConfiguration={'CrlConfiguration': {
                                                'Enabled': True, 'S3BucketName': 'pki-crl',
                                                'ExpirationInDays': 7}})
        self.assertTrue(wait_for(lambda: self.bucket_crl() is not None, 5),
                        'no CRL after enabling')

    def test_2_full_disk_keeps_the_previous_crl(self):
        self.enable()
        before = self.bucket_crl()
        d = os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'pki-crl', 'crl')
        run(['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d])
        try:
            with open(os.path.join(d, self.ca_id + '.crl'), 'wb') as f:
                f.write(before)
            filler = os.path.join(d, 'filler')
            subprocess.run(['dd', 'if=/dev/zero', 'of=' + filler, 'bs=1k', 'count=128'],
                           capture_output=True)
            (cert, _) = self.issue()
            self.c.revoke_certificate(CertificateAuthorityArn=self.ca,
                                      CertificateSerial='%x' % cert.serial_number,
                                      RevocationReason='CESSATION_OF_OPERATION')
            self.assertTrue(wait_for(lambda: 'not written' in self.pe.log(), 5))
            self.assertEqual(self.bucket_crl(), before, 'the previous CRL was damaged')
            self.assertEqual(self.http_crl(), before)
            os.unlink(filler)
            self.assertTrue(wait_for(lambda: self.bucket_crl() != before, 20),
                            'not republished once the disk had room')
            after = x509.load_der_x509_crl(self.bucket_crl())
            self.assertIn(cert.serial_number, [r.serial_number for r in after])
            self.assertGreater(self.number(self.bucket_crl()), self.number(before))
            # older CRLs than the newest two are not kept
            self.assertEqual(self.pe.psql("SELECT count(*) FROM crls WHERE ca_id = '%s'"
                                          % self.ca_id), '2')
        finally:
            subprocess.run(['umount', d], capture_output=True)

    def test_3_http_caching_headers(self):
        self.enable()
        url = 'http://%s/crl/%s.crl' % (self.pe.env['PCA_PUBLISH'], self.ca_id)
        with urllib.request.urlopen(url, timeout=5) as r:
            body, h = r.read(), r.headers
        crl = x509.load_der_x509_crl(body)
        self.assertRegex(h['ETag'], r'^"[0-9a-f]{32}"$')
        modified = email.utils.parsedate_to_datetime(h['Last-Modified'])
        path = os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'pki-crl', 'crl', self.ca_id + '.crl')
        self.assertEqual(int(modified.timestamp()), int(os.path.getmtime(path)))
        cc = dict(p.strip().partition('=')[::2] for p in h['Cache-Control'].split(','))
        self.assertIn('public', cc)
        self.assertIn('must-revalidate', cc)
        # up to nextUpdate, not beyond
        left = crl.next_update_utc.timestamp() - time.time()
        self.assertAlmostEqual(int(cc['max-age']), left, delta=5)
        # the client has it: 304 without a body, the same ETag
        req = urllib.request.Request(url, headers={'If-None-Match': h['ETag']})
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=5)
        self.assertEqual(cm.exception.code, 304)
        self.assertEqual(cm.exception.headers['ETag'], h['ETag'])
        self.assertEqual(cm.exception.read(), b'')
        # a new CRL has another ETag, and a stale If-None-Match gets it whole
        (cert, _) = self.issue()
        self.c.revoke_certificate(CertificateAuthorityArn=self.ca,
                                  CertificateSerial='%x' % cert.serial_number,
                                  RevocationReason='UNSPECIFIED')
        self.assertTrue(wait_for(lambda: self.bucket_crl() != body, 10))
        with urllib.request.urlopen(req, timeout=5) as r:
            self.assertNotEqual(r.headers['ETag'], h['ETag'])
            self.assertEqual(r.read(), self.bucket_crl())

    def test_4_partitioned(self):
        """CrlType PARTITIONED (2 certificates a partition here): each leaf's
        CDP names its partition's CRL, which exists once the leaf does, has
        the critical IDP of that URL, and lists the partition's revocations
        only; openssl keeps the scopes apart."""
        host = self.pe.env['PCA_PUBLISH']
        ca = make_root(self.c, *EC, 'partitioned root')
        work = tempfile.mkdtemp(dir=self.pe.dir)
        issuer = ca_pem(self.c, ca, work)
        self.c.update_certificate_authority(CertificateAuthorityArn=ca, RevocationConfiguration={
            'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'pki-part', 'CustomCname': host,
                                 'CrlType': 'PARTITIONED'}})
        got = self.c.describe_certificate_authority(CertificateAuthorityArn=ca)
        self.assertEqual(got['CertificateAuthority']['RevocationConfiguration'][
            'CrlConfiguration']['CrlType'], 'PARTITIONED')
        leaves = []
        for _ in range(3):
            cert, path = issue_leaf(self.c, ca, self.csr, work, EC[1])
            url = cert.extensions.get_extension_for_class(
                x509.CRLDistributionPoints).value[0].full_name[0].value
            self.assertRegex(url, r'^http://%s/crl/[0-9a-f-]{36}\.crl$' % re.escape(host))
            self.assertNotIn(ca.rsplit('/', 1)[1], url)
            leaves.append((cert, path, url))
        urls = sorted({u for _, _, u in leaves})
        self.assertEqual(len(urls), 2, 'three certificates, two a partition')

        def fetch(url):
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    return x509.load_der_x509_crl(r.read())
            except urllib.error.HTTPError:
                return None
        for url in urls:
            self.assertTrue(wait_for(lambda: fetch(url) is not None, 10), 'no CRL at ' + url)
            crl = fetch(url)
            idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
            self.assertTrue(idp.critical)
            self.assertEqual(idp.value.full_name[0].value, url)
            self.assertEqual(len(crl), 0)
        (bad, bad_path, bad_url), = [x for x in leaves if x[2] == urls[1]][:1]
        live, live_path, live_url = [x for x in leaves if x[2] == urls[0]][0]
        self.c.revoke_certificate(CertificateAuthorityArn=ca,
                                  CertificateSerial='%x' % bad.serial_number,
                                  RevocationReason='KEY_COMPROMISE')
        self.assertTrue(wait_for(lambda: len(fetch(bad_url)) == 1, 10))
        self.assertEqual(fetch(bad_url)[0].serial_number, bad.serial_number)
        self.assertEqual(len(fetch(live_url)), 0)

        def verify(leaf, url):
            with urllib.request.urlopen(url, timeout=5) as r:
                der = r.read()
            pem = os.path.join(work, 'p.crl.pem')
            subprocess.run(['openssl', 'crl', '-inform', 'DER', '-out', pem], input=der,
                           check=True, capture_output=True)
            v = subprocess.run(['openssl', 'verify', '-crl_check', '-CAfile', issuer,
                                '-CRLfile', pem, leaf], capture_output=True, text=True)
            return v.returncode, v.stdout + v.stderr
        rc, out = verify(bad_path, bad_url)
        self.assertIn('certificate revoked', out)
        self.assertEqual(verify(live_path, live_url), (0, '%s: OK\n' % live_path))
        # another partition's CRL is out of the certificate's scope
        rc, out = verify(live_path, bad_url)
        self.assertNotEqual(rc, 0)
        self.assertIn('different CRL scope', out)

    def test_unknown_paths_are_404(self):
        for path in ('/crl/00000000-0000-0000-0000-000000000000.crl', '/crl/../pcad.conf',
                     '/etc/passwd', '/'):
            try:
                urllib.request.urlopen('http://%s%s' % (self.pe.env['PCA_PUBLISH'], path),
                                       timeout=5)
                self.fail('%s was served' % path)
            except urllib.error.HTTPError as e:
                self.assertEqual(e.code, 404, path)


if __name__ == '__main__':
    unittest.main()
