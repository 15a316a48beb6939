"""Matrix A1 (security-and-faults.md 5.2), nominal concurrent issuance
under the invariant checker: 16 connections, 2,000 IssueCertificate calls
each with its own IdempotencyToken, then a GetCertificate of every ARN:
all 200, no 5xx, every certificate verifies against its CA (tearDown),
p99 under 2 s (the latencies are printed)."""
import concurrent.futures
import json
import os
import statistics
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from cryptography import x509  # noqa: E402
from invariants import FaultCase  # noqa: E402
from load import Load  # noqa: E402

CONNS, TOTAL = 16, 2000


class NominalLoad(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_ca('nominal load root')

    def test_a1_2000_issuances_then_gets(self):
        before = self.certs()
        load = Load(self.pe, self.issue_body, CONNS, TOTAL // CONNS).start()
        load.wait(600)
        self.assertEqual(load.kinds(), {200})
        arns = load.arns()
        self.assertEqual(len(arns), TOTAL)
        self.assertEqual(len(set(arns)), TOTAL)
        self.assertEqual(self.certs(), before + TOTAL)
        lat = sorted(o[3] for o in load.outcomes)
        p50, p99 = statistics.median(lat), lat[int(len(lat) * 0.99)]
        print('A1: %d issuances over %d connections: p50 %.1f ms, p99 %.1f ms'
              % (TOTAL, CONNS, p50 * 1e3, p99 * 1e3), file=sys.stderr)
        self.assertLess(p99, 2.0)

        def get(arn):
            st, _, data = self.pe.raw('GetCertificate', json.dumps(
                {'CertificateAuthorityArn': self.ca, 'CertificateArn': arn}))
            self.assertEqual(st, 200, data)
            cert = x509.load_pem_x509_certificate(data['Certificate'].encode())
            return '%032x' % cert.serial_number == arn.rsplit('/', 1)[1]
        with concurrent.futures.ThreadPoolExecutor(CONNS) as ex:
            self.assertTrue(all(ex.map(get, arns)))
        self.acknowledged = arns


if __name__ == '__main__':
    unittest.main()
