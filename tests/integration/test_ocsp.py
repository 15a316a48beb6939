"""The OCSP responder on the publish listener, checked with `openssl ocsp`
and cryptography: good, revoked (within a second of the 200), unknown, an
unknown issuer, a malformed request; POST and GET; the nonce echoed; the
responses of a root and of a subordinate parsed by Go's x/crypto/ocsp;
up to 16 CertIDs in one request (more: malformedRequest) answered with one
database statement; nonces of 1 to 32 octets (RFC 8954; else
malformedRequest); request bodies of at most 64 KiB (else 413)."""
import base64
import http.client
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

import ocspreq
from pcatest import TEMPLATE_ARN, Env, make_root, wait_for
from pki import TestRoot, ca_pem, issue_leaf, leaf_csr

EC = ('EC_prime256v1', 'SHA256WITHECDSA')
HERE = os.path.dirname(os.path.abspath(__file__))
GOPATH = '/usr/share/gocode'  # Debian's golang-golang-x-crypto-dev
GO_OCSP = os.path.join(GOPATH, 'src', 'golang.org', 'x', 'crypto', 'ocsp')


class Ocsp(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()
        # pg_stat_statements counts the statements an OCSP request runs
        # (test_one_statement_whatever_the_certids); the restart loads it
        cls.pe.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        cls.pe.reconfigure({'janitor': {'interval': 1}})  # OCSP signature counts flushed often
        try:
            cls.pe.psql('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
            cls.pgss = True
        except subprocess.CalledProcessError:
            cls.pgss = False
        cls.c = cls.pe.boto3()
        cls.work = tempfile.mkdtemp(dir=cls.pe.dir)
        cls.ca = make_root(cls.c, *EC, 'ocsp root')
        cls.c.update_certificate_authority(
            CertificateAuthorityArn=cls.ca,
            RevocationConfiguration={'OcspConfiguration': {'Enabled': True}})
        cls.ca_pem = ca_pem(cls.c, cls.ca, cls.work)
        cls.csr = leaf_csr(cls.work, 'ocsp.test')
        cls.url = 'http://%s/' % cls.pe.env['PCA_PUBLISH']

    @classmethod
    def tearDownClass(cls):
        cls.pe.close()

    def issue(self):
        return issue_leaf(self.c, self.ca, self.csr, self.work, EC[1])

    def openssl(self, *args):
        r = subprocess.run(['openssl', 'ocsp', '-issuer', self.ca_pem, '-CAfile', self.ca_pem,
                            '-url', self.url, '-resp_text', *args],
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def request(self, cert=None, serial=None, nonce=True):
        with open(self.ca_pem, 'rb') as f:
            issuer = x509.load_pem_x509_certificate(f.read())
        b = ocsp.OCSPRequestBuilder()
        if cert is not None:
            b = b.add_certificate(cert, issuer, hashes.SHA1())
        else:
            b = b.add_certificate_by_hash(
                *self.issuer_hashes(issuer), serial, hashes.SHA1())
        if nonce:
            b = b.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
        return b.build()

    @staticmethod
    def issuer_hashes(issuer):
        name = hashes.Hash(hashes.SHA1())
        name.update(issuer.subject.public_bytes())
        key = hashes.Hash(hashes.SHA1())
        key.update(issuer.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint))
        return name.finalize(), key.finalize()

    def post(self, der):
        req = urllib.request.Request(self.url, data=der,
                                     headers={'Content-Type': 'application/ocsp-request'})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.headers['Content-Type'], 'application/ocsp-response')
            return ocsp.load_der_ocsp_response(r.read())

    def get(self, der):
        path = urllib.parse.quote(base64.b64encode(der).decode(), safe='')
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return ocsp.load_der_ocsp_response(r.read())

    def test_good_revoked_unknown_with_openssl(self):
        (live, live_path), (bad, bad_path) = self.issue(), self.issue()
        rc, out = self.openssl('-cert', live_path)
        self.assertEqual(rc, 0, out)
        self.assertIn('Response verify OK', out)
        self.assertIn('%s: good' % live_path, out)
        self.c.revoke_certificate(CertificateAuthorityArn=self.ca,
                                  CertificateSerial='%x' % bad.serial_number,
                                  RevocationReason='KEY_COMPROMISE')
        revoked = time.time()
        rc, out = self.openssl('-cert', bad_path)
        self.assertLess(time.time() - revoked, 1.0 + 2)  # openssl's own start-up included
        self.assertEqual(rc, 0, out)
        self.assertIn('Response verify OK', out)
        self.assertIn('%s: revoked' % bad_path, out)
        self.assertIn('Reason: keyCompromise', out)
        rc, out = self.openssl('-serial', '0x1234567890abcdef')
        self.assertIn('Response verify OK', out)
        self.assertIn(': unknown', out)

    def test_post_and_get_echo_the_nonce(self):
        cert, _ = self.issue()
        for send in (self.post, self.get):
            req = self.request(cert)
            resp = send(req.public_bytes(serialization.Encoding.DER))
            self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.SUCCESSFUL)
            self.assertEqual(resp.certificate_status, ocsp.OCSPCertStatus.GOOD)
            self.assertEqual(resp.serial_number, cert.serial_number)
            want = req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            got = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            self.assertEqual(got, want)
            self.assertGreater(resp.next_update_utc, resp.this_update_utc)

    def signed_since(self, mark):
        """(responses, events): the OCSPSign events of the CA after audit id mark."""
        out = self.pe.psql("SELECT coalesce(sum(substring(detail->>'note' FROM"
                           " 'responses=([0-9]+)')::int), 0) || ' ' || count(*) FROM audit_events"
                           " WHERE event = 'OCSPSign' AND ca_arn = '%s' AND id > %d"
                           % (self.ca, mark))
        return tuple(int(x) for x in out.split())

    def test_signatures_are_audited_per_interval(self):
        """Every response signed with the CA key is counted; the count is an
        OCSPSign event per CA per janitor round, not a row per response; a
        response served from the cache is not a signature."""
        cert, _ = self.issue()
        time.sleep(1.5)  # whatever earlier tests signed is flushed
        mark = int(self.pe.psql("SELECT coalesce(max(id), 0) FROM audit_events"))
        n = 12
        for _ in range(n):  # a nonce: a fresh signature each
            resp = self.post(self.request(cert).public_bytes(serialization.Encoding.DER))
            self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.SUCCESSFUL)
        plain = self.request(cert, nonce=False).public_bytes(serialization.Encoding.DER)
        for _ in range(3):  # no nonce: signed once, then from the cache
            self.assertEqual(self.post(plain).certificate_status, ocsp.OCSPCertStatus.GOOD)
        self.assertTrue(wait_for(lambda: self.signed_since(mark)[0] >= n + 1, 10),
                        self.signed_since(mark))
        time.sleep(1.5)
        responses, events = self.signed_since(mark)
        self.assertEqual(responses, n + 1)
        self.assertLess(events, n)  # counts per interval, not rows per response
        note = self.pe.psql("SELECT detail->>'note' FROM audit_events WHERE event = 'OCSPSign'"
                            " AND id > %d ORDER BY id LIMIT 1" % mark)
        self.assertRegex(note, r'^responses=[0-9]+ since=\S+Z seconds=[0-9]+$')
        r = subprocess.run([os.environ.get('PCAD_BIN', 'pcad'), 'audit', 'verify', '--config',
                            os.path.join(self.pe.dir, 'pcad.conf')], capture_output=True,
                           text=True, env=dict(os.environ, SOFTHSM2_CONF=self.pe.env['SOFTHSM2_CONF']))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_revoked_is_answered_at_once(self):
        cert, _ = self.issue()
        self.c.revoke_certificate(CertificateAuthorityArn=self.ca,
                                  CertificateSerial='%x' % cert.serial_number,
                                  RevocationReason='SUPERSEDED')
        t = time.time()
        resp = self.post(self.request(cert).public_bytes(serialization.Encoding.DER))
        self.assertLess(time.time() - t, 1.0)
        self.assertEqual(resp.certificate_status, ocsp.OCSPCertStatus.REVOKED)
        self.assertEqual(resp.revocation_reason, x509.ReasonFlags.superseded)

    # ---- the cache of signed responses ----

    def raw_post(self, der):
        req = urllib.request.Request(self.url, data=der,
                                     headers={'Content-Type': 'application/ocsp-request'})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read()

    def test_cached_response_follows_the_database(self):
        cert, path = self.issue()
        der = self.request(cert, nonce=False).public_bytes(serialization.Encoding.DER)
        first = self.raw_post(der)
        # a second ask is the kept response, byte for byte (a new one would
        # have another ECDSA signature); openssl verifies it
        self.assertEqual(self.raw_post(der), first)
        resp = os.path.join(self.work, 'cached.der')
        with open(resp, 'wb') as f:
            f.write(first)
        r = subprocess.run(['openssl', 'ocsp', '-respin', resp, '-issuer', self.ca_pem,
                            '-CAfile', self.ca_pem, '-cert', path, '-no_nonce', '-resp_text'],
                           capture_output=True, text=True)
        self.assertIn('Response verify OK', r.stdout + r.stderr)
        self.assertIn('%s: good' % path, r.stdout)
        # a revocation written by another instance (straight into the
        # database: this process is told nothing) is answered at once
        self.pe.psql("UPDATE certificates SET revoked_at = now(), revocation_reason ="
                     " 'CESSATION_OF_OPERATION' WHERE serial = '%x'" % cert.serial_number)
        got = ocsp.load_der_ocsp_response(self.raw_post(der))
        self.assertEqual(got.certificate_status, ocsp.OCSPCertStatus.REVOKED)
        self.assertEqual(got.revocation_reason, x509.ReasonFlags.cessation_of_operation)
        # requests with a nonce are signed afresh, each with its nonce
        nonced = [self.post(self.request(cert).public_bytes(serialization.Encoding.DER))
                  for _ in range(2)]
        self.assertNotEqual(nonced[0].extensions.get_extension_for_class(x509.OCSPNonce).value,
                            nonced[1].extensions.get_extension_for_class(x509.OCSPNonce).value)

    def test_cached_issuer_disabled_is_unauthorized(self):
        ca = make_root(self.c, *EC, 'ocsp disabled later')
        self.c.update_certificate_authority(
            CertificateAuthorityArn=ca,
            RevocationConfiguration={'OcspConfiguration': {'Enabled': True}})
        work = tempfile.mkdtemp(dir=self.pe.dir)
        cert, _ = issue_leaf(self.c, ca, leaf_csr(work, 'later.test'), work, EC[1])
        with open(ca_pem(self.c, ca, work), 'rb') as f:
            issuer = x509.load_pem_x509_certificate(f.read())
        der = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA256()).build() \
            .public_bytes(serialization.Encoding.DER)
        for _ in range(2):  # the issuer and the response are now kept
            self.assertEqual(ocsp.load_der_ocsp_response(self.raw_post(der)).certificate_status,
                             ocsp.OCSPCertStatus.GOOD)
        self.c.update_certificate_authority(
            CertificateAuthorityArn=ca,
            RevocationConfiguration={'OcspConfiguration': {'Enabled': False}})
        self.assertEqual(ocsp.load_der_ocsp_response(self.raw_post(der)).response_status,
                         ocsp.OCSPResponseStatus.UNAUTHORIZED)

    def test_relying_party_follows_the_urls_in_the_certificate(self):
        """CustomCname and OcspCustomCname naming the publish listener: the
        CDP and AIA of an issued certificate lead to a CRL and an OCSP
        responder that both say revoked once RevokeCertificate returned."""
        host = self.pe.env['PCA_PUBLISH']
        ca = make_root(self.c, *EC, 'relying party root')
        self.c.update_certificate_authority(CertificateAuthorityArn=ca, RevocationConfiguration={
            'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'rp-crl', 'CustomCname': host,
                                 'CustomPath': 'pki/crls'},
            'OcspConfiguration': {'Enabled': True, 'OcspCustomCname': host}})
        work = tempfile.mkdtemp(dir=self.pe.dir)
        issuer = ca_pem(self.c, ca, work)
        cert, path = issue_leaf(self.c, ca, leaf_csr(work, 'rp.test'), work, EC[1])
        cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        crl_url = cdp[0].full_name[0].value
        self.assertEqual(crl_url, 'http://%s/pki/crls/%s.crl' % (host, ca.rsplit('/', 1)[1]))
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp_url = aia[0].access_location.value
        self.assertEqual(ocsp_url, 'http://%s/' % host)
        self.c.revoke_certificate(CertificateAuthorityArn=ca,
                                  CertificateSerial='%x' % cert.serial_number,
                                  RevocationReason='KEY_COMPROMISE')
        r = subprocess.run(['openssl', 'ocsp', '-issuer', issuer, '-CAfile', issuer, '-cert', path,
                            '-url', ocsp_url, '-resp_text'], capture_output=True, text=True)
        self.assertIn('Response verify OK', r.stdout + r.stderr)
        self.assertIn('%s: revoked' % path, r.stdout)

        def crl_rejects():
            try:
                with urllib.request.urlopen(crl_url, timeout=5) as resp:
                    der = resp.read()
            except urllib.error.HTTPError:
                return False  # not written yet
            pem = os.path.join(work, 'rp.crl.pem')
            subprocess.run(['openssl', 'crl', '-inform', 'DER', '-out', pem], input=der,
                           check=True, capture_output=True)
            v = subprocess.run(['openssl', 'verify', '-crl_check', '-CAfile', issuer,
                                '-CRLfile', pem, path], capture_output=True, text=True)
            return 'certificate revoked' in v.stdout + v.stderr
        self.assertTrue(wait_for(crl_rejects, 10), 'the CRL at the CDP URL does not list it')

    # ---- other relying parties: Go ----

    def go_ocspcheck(self):
        """tests/integration/ocspcheck built offline against Debian's x/crypto
        into the test's directory: its path."""
        out = os.path.join(self.work, 'ocspcheck')
        env = {k: v for k, v in os.environ.items() if not k.startswith('GO')}
        env.update(GO111MODULE='off', GOPATH=GOPATH, GOPROXY='off',
                   GOCACHE=os.path.join(self.work, 'gocache'))
        t = time.time()
        r = subprocess.run(['go', 'build', '-o', out, './ocspcheck'], cwd=HERE, env=env,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        print('go build of ocspcheck: %.1f s' % (time.time() - t), file=sys.stderr)
        return out

    def subordinate(self, cn):
        """A SUBORDINATE CA signed by the suite's root, activated, its OCSP on:
        its ARN and the path of its certificate."""
        sub = self.c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE', CertificateAuthorityConfiguration={
                'KeyAlgorithm': EC[0], 'SigningAlgorithm': EC[1], 'Subject': {'CommonName': cn}},
            RevocationConfiguration={'OcspConfiguration': {'Enabled': True}})[
            'CertificateAuthorityArn']
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=sub, WaiterConfig={'Delay': 1})
        csr = self.c.get_certificate_authority_csr(CertificateAuthorityArn=sub)['Csr']
        arn = self.c.issue_certificate(
            CertificateAuthorityArn=self.ca, Csr=csr.encode(), SigningAlgorithm=EC[1],
            TemplateArn=TEMPLATE_ARN + 'SubordinateCACertificate_PathLen0/V1',
            Validity={'Value': 1, 'Type': 'YEARS'})['CertificateArn']
        got = self.c.get_certificate(CertificateAuthorityArn=self.ca, CertificateArn=arn)
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=sub, Certificate=got['Certificate'].encode(),
            CertificateChain=got['CertificateChain'].encode())
        work = tempfile.mkdtemp(dir=self.work)
        return sub, ca_pem(self.c, sub, work)

    def fetch(self, cert, issuer_pem, path):
        """The DER response to a nonce-less request for cert, written to
        path: its certs field."""
        with open(issuer_pem, 'rb') as f:
            issuer = x509.load_pem_x509_certificate(f.read())
        der = self.raw_post(ocsp.OCSPRequestBuilder().add_certificate(
            cert, issuer, hashes.SHA1()).build().public_bytes(serialization.Encoding.DER))
        with open(path, 'wb') as f:
            f.write(der)
        return ocsp.load_der_ocsp_response(der).certificates

    @unittest.skipUnless(shutil.which('go') and os.path.isdir(GO_OCSP),
                         'golang-go and golang-golang-x-crypto-dev are not installed: scripts/deps')
    def test_go_and_openssl_accept_root_and_subordinate(self):
        """Go's ParseResponseForCert takes a certificate in the response for a
        delegated responder's, signed by the issuer: the issuing CA's own
        certificate there fails it under a subordinate ('bad OCSP
        signature'). pcad's responses carry none."""
        self.go = self.go_ocspcheck()
        sub, sub_pem = self.subordinate('ocsp sub')
        sub_work = os.path.dirname(sub_pem)
        for ca, issuer, work in ((sub, sub_pem, sub_work), (self.ca, self.ca_pem, self.work)):
            kind = 'root' if ca == self.ca else 'subordinate'
            cert, leaf = issue_leaf(self.c, ca, leaf_csr(work, 'go.test'), work, EC[1])
            for want in ('good', 'revoked'):
                if want == 'revoked':
                    self.c.revoke_certificate(CertificateAuthorityArn=ca,
                                              CertificateSerial='%x' % cert.serial_number,
                                              RevocationReason='KEY_COMPROMISE')
                with self.subTest(kind=kind, want=want):
                    self.relying_parties(cert, leaf, issuer, want,
                                         os.path.join(self.work, '%s-%s.der' % (kind, want)))

    def relying_parties(self, cert, leaf, issuer, want, resp):
        """Go says want of the response (revoked: within a second of the 200
        of RevokeCertificate), which carries no certificates, and openssl
        verifies it (the signer found as the issuer, or given with the
        chain to the suite's root)."""
        said = []

        def go_says():
            certs = self.fetch(cert, issuer, resp)
            r = subprocess.run([self.go, resp, leaf, issuer], capture_output=True, text=True,
                               timeout=30)
            said.append((certs, r.returncode, (r.stdout + r.stderr).strip()))
            return said[-1][1:] == (0, want)
        self.assertTrue(wait_for(go_says, 1.0), 'Go says %r' % (said[-1][1:],))
        self.assertEqual(said[-1][0], [], 'the response carries certificates')
        for other in ([], ['-verify_other', issuer]):
            r = subprocess.run(['openssl', 'ocsp', '-respin', resp, '-issuer', issuer,
                                '-CAfile', self.ca_pem, '-cert', leaf, '-no_nonce',
                                '-resp_text', *other], capture_output=True, text=True)
            self.assertIn('Response verify OK', r.stdout + r.stderr, other)
            self.assertIn('%s: %s' % (leaf, want), r.stdout, other)

    # ---- many CertIDs in one request; nonces (issue 25) ----

    def issuer(self):
        with open(self.ca_pem, 'rb') as f:
            return x509.load_pem_x509_certificate(f.read())

    def mixed_serials(self):
        """16 serials in a shuffled order, and {serial: the status pcad must
        say}: two good, two revoked, twelve it never issued."""
        want = {}
        for i, reason in enumerate((None, None, 'KEY_COMPROMISE', 'SUPERSEDED')):
            cert, _ = self.issue()
            want[cert.serial_number] = ocsp.OCSPCertStatus.GOOD
            if reason:
                self.c.revoke_certificate(CertificateAuthorityArn=self.ca,
                                          CertificateSerial='%x' % cert.serial_number,
                                          RevocationReason=reason)
                want[cert.serial_number] = ocsp.OCSPCertStatus.REVOKED
        while len(want) < 16:
            want[random.getrandbits(127) | 1 << 127] = ocsp.OCSPCertStatus.UNKNOWN
        serials = list(want)
        random.shuffle(serials)
        return serials, want

    def test_certids_up_to_the_cap(self):
        """16 CertIDs and a 32-octet nonce: one signed response with 16
        single responses, each right, the nonce echoed; 17: malformedRequest
        (the 3.9 MB request of 50,000 CertIDs was answered 200 after 1.6 s
        of a worker)."""
        serials, want = self.mixed_serials()
        nonce = os.urandom(32)
        resp = self.post(ocspreq.request(self.issuer(), serials, nonce))
        self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.SUCCESSFUL)
        single = list(resp.responses)
        self.assertEqual(len(single), 16)
        self.assertEqual({r.serial_number: r.certificate_status for r in single}, want)
        for r in single:
            if r.certificate_status == ocsp.OCSPCertStatus.REVOKED:
                self.assertIsNotNone(r.revocation_time_utc)
        self.assertEqual(resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce,
                         nonce)
        self.issuer().public_key().verify(resp.signature, resp.tbs_response_bytes,
                                          ec.ECDSA(resp.signature_hash_algorithm))
        for extra in (serials[:1], list(range(1, 100))):
            with self.subTest(certids=16 + len(extra)):
                resp = self.post(ocspreq.request(self.issuer(), serials + extra, nonce))
                self.assertEqual(resp.response_status,
                                 ocsp.OCSPResponseStatus.MALFORMED_REQUEST)

    def test_nonce_of_1_to_32_octets(self):
        """RFC 8954: a nonce of 1 to 32 octets is echoed; an empty one, or
        one longer than 32 octets, is malformedRequest."""
        cert, _ = self.issue()
        for n, ok in ((1, True), (16, True), (32, True), (0, False), (33, False), (200, False)):
            with self.subTest(octets=n):
                nonce = os.urandom(n)
                resp = self.post(ocspreq.request(self.issuer(), [cert.serial_number], nonce))
                if not ok:
                    self.assertEqual(resp.response_status,
                                     ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
                    continue
                self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.SUCCESSFUL)
                self.assertEqual(resp.certificate_status, ocsp.OCSPCertStatus.GOOD)
                got = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
                self.assertEqual(got, nonce)

    def test_request_body_cap(self):
        """A POST body of 64 KiB is read (and is no OCSP request); a
        Content-Length one byte more is refused with 413 at once, before
        any of the body is sent, and the connection closed (the cap was
        server.max_request_bytes, 4 MiB)."""
        host, port = self.pe.env['PCA_PUBLISH'].split(':')
        for size, want in ((64 * 1024, 200), (64 * 1024 + 1, 413), (3900000, 413)):
            with self.subTest(size=size):
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                conn.putrequest('POST', '/')
                conn.putheader('Content-Type', 'application/ocsp-request')
                conn.putheader('Content-Length', str(size))
                conn.endheaders(b'\x30' * size if want == 200 else None)
                r = conn.getresponse()
                body = r.read()
                self.assertEqual(r.status, want)
                if want == 200:
                    self.assertEqual(ocsp.load_der_ocsp_response(body).response_status,
                                     ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
                else:
                    self.assertTrue(r.will_close)
                conn.close()

    def certificate_statements(self):
        """Statements run since the last pg_stat_statements_reset() that
        name a table of certificates or CAs (psql's own left out)."""
        return int(self.pe.psql(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE"
            " '%certificate%' AND query NOT LIKE '%pg_stat_statements%'"))

    def test_one_statement_whatever_the_certids(self):
        """A request for 16 serials is one statement in PostgreSQL, as one
        for a single serial is (it was one per CertID). The background
        threads (health, janitor, publisher) read those tables too, about
        once a second: the fewest of up to 12 tries counts."""
        if not self.pgss:
            self.skipTest('pg_stat_statements cannot be loaded')
        serials, _ = self.mixed_serials()
        der = ocspreq.request(self.issuer(), serials, os.urandom(32))
        self.assertEqual(self.post(der).response_status, ocsp.OCSPResponseStatus.SUCCESSFUL)
        seen = []
        for _ in range(12):  # the request was answered once: issuers loaded, statement prepared
            self.pe.psql('SELECT pg_stat_statements_reset()')
            resp = self.post(ocspreq.request(self.issuer(), serials, os.urandom(32)))
            self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.SUCCESSFUL)
            self.assertEqual(len(list(resp.responses)), 16)
            seen.append(self.certificate_statements())
            if seen[-1] <= 1:
                break
        self.assertEqual(min(seen), 1, 'statements per try: %r' % seen)

    def test_unknown_issuer_and_malformed(self):
        other = TestRoot(self.work, cn='not pcad')
        with open(other.pem, 'rb') as f:
            stranger = x509.load_pem_x509_certificate(f.read())
        req = ocsp.OCSPRequestBuilder().add_certificate(stranger, stranger,
                                                        hashes.SHA1()).build()
        resp = self.post(req.public_bytes(serialization.Encoding.DER))
        self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.UNAUTHORIZED)
        resp = self.post(b'\x30\x03\x02\x01\x00')
        self.assertEqual(resp.response_status, ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        # the daemon is still there
        self.assertEqual(self.pe.admin('/readyz')[0], 200)


if __name__ == '__main__':
    unittest.main()
