"""The invariant checker of security-and-faults.md 5.1, run after every
fault case (FaultCase.tearDown): what pcad acknowledged is still there and
sound, whatever the case did.
  (a)+(c) every ISSUED certificate (and every ARN a case got a 200 for) is
          retrievable, parses, has the serial its row says, and verifies
          against its CA's certificate; serials are positive, at most 20
          bytes, at least 64 bits;
  (b)     no (CA, serial) twice;
  (d)     every ISSUED or revoked row has its audit events, and `pcad audit
          verify` finds every chain intact;
  (e)     no PENDING row older than the janitor's deadline;
  (g)     pcad answers /livez within 1 s, with bounded memory and fds."""
import base64
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from cryptography import x509  # noqa: E402
from pcatest import EnvTestCase, make_root  # noqa: E402
from pki import leaf_csr  # noqa: E402

PCAD = os.environ.get('PCAD_BIN') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'build', 'pcad')
# under ASan (scripts/test with PCAD_SANITIZE=1 sets ASAN_OPTIONS) memory
# is the quarantine's and the shadow's too; leaks are LeakSanitizer's there
RSS_MAX_KIB = (1024 if 'ASAN_OPTIONS' in os.environ else 256) * 1024
FDS_MAX = 1024


def audit_verify(pe):
    """pcad audit verify on pe's database and token (PCA_AUDIT_CONFIG: the
    config that reaches them from here, when pe's own does not), in the
    environment pcad runs in (a token served by p11-kit, say)."""
    env = dict(os.environ, SOFTHSM2_CONF=pe.env['SOFTHSM2_CONF'], **pe.extra_env)
    config = pe.env.get('PCA_AUDIT_CONFIG', pe.env['PCA_CONFIG'])
    return subprocess.run([PCAD, 'audit', 'verify', '--config', config],
                          capture_output=True, text=True, env=env, timeout=120)


def check(tc, pe, acknowledged=()):
    """Asserts the invariants on pe through the test case tc."""
    # (b)
    tc.assertEqual(pe.psql('SELECT count(*) FROM (SELECT 1 FROM certificates'
                           ' GROUP BY ca_id, serial HAVING count(*) > 1) d'), '0')
    # (e)
    tc.assertEqual(pe.psql("SELECT count(*) FROM certificates WHERE status = 'PENDING'"
                           " AND created_at < now() - interval '130 seconds'"), '0')
    # (a) + (c)
    rows = pe.psql("SELECT c.arn, c.serial, translate(encode(c.der, 'base64'), E'\\n', ''),"
                   " translate(encode(ca.certificate_der, 'base64'), E'\\n', '')"
                   " FROM certificates c"
                   " JOIN certificate_authorities ca ON ca.id = c.ca_id"
                   " WHERE c.status = 'ISSUED' AND ca.certificate_der IS NOT NULL")
    issued = set()
    for line in rows.splitlines():
        arn, serial, der, ca_der = line.split('|')
        cert = x509.load_der_x509_certificate(base64.b64decode(der))
        ca = x509.load_der_x509_certificate(base64.b64decode(ca_der))
        cert.verify_directly_issued_by(ca)
        tc.assertEqual(cert.serial_number, int(serial, 16), arn)
        tc.assertTrue(2 ** 63 <= cert.serial_number < 2 ** 160, arn)
        issued.add(arn)
    for arn in acknowledged:
        tc.assertIn(arn, issued, 'acknowledged but not ISSUED: ' + arn)
    # (d)
    tc.assertEqual(pe.psql(
        "SELECT count(*) FROM certificates c WHERE c.status = 'ISSUED' AND NOT EXISTS"
        " (SELECT 1 FROM audit_events a WHERE a.serial = c.serial"
        " AND a.event = 'SignCertificate')"), '0')
    r = audit_verify(pe)
    tc.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    # (g)
    t0 = time.monotonic()
    tc.assertEqual(pe.admin('/livez')[0], 200)
    tc.assertLess(time.monotonic() - t0, 1.0)
    pid = pe.pid()
    with open('/proc/%d/status' % pid) as f:
        rss = int(next(x for x in f if x.startswith('VmRSS:')).split()[1])
    tc.assertLess(rss, RSS_MAX_KIB)
    tc.assertLess(len(os.listdir('/proc/%d/fd' % pid)), FDS_MAX)


def issue_body(ca, csr):
    """The JSON body of an IssueCertificate of csr under the EC CA ca."""
    return json.dumps({'CertificateAuthorityArn': ca, 'SigningAlgorithm': 'SHA256WITHECDSA',
                       'Csr': base64.b64encode(csr).decode(),
                       'Validity': {'Value': 1, 'Type': 'DAYS'}}).encode()


class FaultCase(EnvTestCase):
    """A fault case: the invariants are checked after each of its tests,
    with the ARNs it collected in self.acknowledged."""

    @classmethod
    def make_ca(cls, cn):
        """An active EC P-256 root (cls.ca, through cls.c), a CSR (cls.csr)
        and an IssueCertificate body for them (cls.issue_body)."""
        cls.c = cls.pe.boto3()
        cls.ca = make_root(cls.c, 'EC_prime256v1', 'SHA256WITHECDSA', cn)
        cls.csr = leaf_csr(cls.pe.dir, cn.replace(' ', '-') + '.example')
        cls.issue_body = issue_body(cls.ca, cls.csr)

    def certs(self):
        return int(self.pe.psql('SELECT count(*) FROM certificates'))

    def setUp(self):
        self.acknowledged = []

    def tearDown(self):
        check(self, self.pe, self.acknowledged)
