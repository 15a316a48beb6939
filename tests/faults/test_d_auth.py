"""Matrix B15, D9 and D10 (security-and-faults.md 5.2), against the real
pcad:
  B15  the client's clock 20 minutes ahead or behind (libfaketime around
       aws-cli v1 and v2): InvalidSignatureException, nothing executed; 5
       minutes off is inside the allowed skew and works;
  D9   one signed IssueCertificate sent twice byte for byte: with an
       IdempotencyToken one certificate and the same ARN, without one two
       certificates (AWS's semantics: SigV4 has no replay cache);
  D10  signatures wrong in their first or in their last hex digit are
       refused in the same time (CRYPTO_memcmp): interleaved samples, a
       Welch t-test."""
import datetime
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from pcatest import AWS_V1, AWS_V2  # noqa: E402
from invariants import FaultCase  # noqa: E402
from load import Load  # noqa: E402

FAKETIME = shutil.which('faketime')


class Auth(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_ca('auth root')
        cls.csr_file = os.path.join(cls.pe.dir, 'skew.csr')
        with open(cls.csr_file, 'wb') as f:
            f.write(cls.csr)

    def aws_at(self, offset, v2):
        cmd = [FAKETIME, '-f', offset, AWS_V2 if v2 else AWS_V1, 'acm-pca', 'issue-certificate',
               '--certificate-authority-arn', self.ca, '--csr', 'fileb://' + self.csr_file,
               '--signing-algorithm', 'SHA256WITHECDSA', '--validity', 'Value=1,Type=DAYS',
               '--endpoint-url', self.pe.endpoint, '--ca-bundle', self.pe.env['PCA_CA_BUNDLE'],
               '--output', 'json']
        return subprocess.run(cmd, capture_output=True, text=True, env=self.pe.client_env(),
                              timeout=120)

    @unittest.skipUnless(FAKETIME, 'faketime is not installed (scripts/deps installs it)')
    def test_b15_client_clock_skew(self):
        for v2 in (False, True):
            for offset, says in (('+20m', 'not yet current'), ('-20m', 'Signature expired')):
                with self.subTest(v2=v2, offset=offset):
                    before = self.certs()
                    r = self.aws_at(offset, v2)
                    self.assertNotEqual(r.returncode, 0, r.stdout)
                    self.assertIn('InvalidSignatureException', r.stderr)
                    self.assertIn(says, r.stderr)
                    self.assertEqual(self.certs(), before)
            r = self.aws_at('+5m', v2)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.acknowledged.append(json.loads(r.stdout)['CertificateArn'])

    def test_d9_a_replayed_request(self):
        when = datetime.datetime.now(datetime.timezone.utc)
        body = json.loads(self.issue_body)
        with_token = json.dumps(dict(body, IdempotencyToken='replayed-once'))
        before = self.certs()
        a = self.pe.raw('IssueCertificate', with_token, when=when)
        b = self.pe.raw('IssueCertificate', with_token, when=when)
        self.assertEqual((a[0], b[0]), (200, 200), (a, b))
        self.assertEqual(a[2]['CertificateArn'], b[2]['CertificateArn'])
        self.assertEqual(self.certs(), before + 1)
        a = self.pe.raw('IssueCertificate', self.issue_body, when=when)
        b = self.pe.raw('IssueCertificate', self.issue_body, when=when)
        self.assertEqual((a[0], b[0]), (200, 200), (a, b))
        self.assertNotEqual(a[2]['CertificateArn'], b[2]['CertificateArn'])
        self.assertEqual(self.certs(), before + 3)
        self.acknowledged += [a[2]['CertificateArn'], b[2]['CertificateArn']]

    @staticmethod
    def wrong_at(headers, where):
        """headers with the Authorization's signature changed in one hex
        digit, its first or its last."""
        out = []
        for k, v in headers:
            if k == 'Authorization':
                head, sig = v.rsplit('Signature=', 1)
                i = 0 if where == 'first' else len(sig) - 1
                sig = sig[:i] + ('0' if sig[i] != '0' else '1') + sig[i + 1:]
                v = head + 'Signature=' + sig
            out.append((k, v))
        return dict(out)

    # Timing is the product build's: under ASan+UBSan (scripts/test sets
    # ASAN_OPTIONS) first-digit errors measured 5 to 10 us faster (t -1.7 and
    # -8.5 in two runs) where the plain build shows none (t -0.27 to 0.03);
    # the comparison itself is CRYPTO_memcmp. Not explained yet: see
    # RELIABILITY.md, D10.
    @unittest.skipIf('ASAN_OPTIONS' in os.environ, 'timing under the sanitizers is not the product')
    def test_d10_no_timing_difference_in_the_signature_check(self):
        load = Load(self.pe, self.issue_body)
        conn = load.connect()
        samples = {'first': [], 'last': []}
        try:
            for i in range(1500):
                for where in (('first', 'last') if i % 2 else ('last', 'first')):
                    body = load.request('d10-%d' % i)
                    hs = self.wrong_at(load.headers(body), where)
                    t0 = time.perf_counter()
                    conn.request('POST', '/', body, hs)
                    r = conn.getresponse()
                    data = json.loads(r.read())
                    samples[where].append(time.perf_counter() - t0)
                    self.assertEqual(data.get('__type'), 'InvalidSignatureException')
        finally:
            conn.close()
        # the slowest tenth is the machine's noise (other processes, GC)
        a, b = (sorted(s)[:int(len(s) * 0.9)] for s in (samples['first'], samples['last']))
        ma, mb = statistics.mean(a), statistics.mean(b)
        se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
        t = (ma - mb) / se
        # what this resolves: a difference of about 4.5 standard errors
        print('D10: first %.1f us, last %.1f us, Welch t = %.2f (resolves %.1f us)'
              % (ma * 1e6, mb * 1e6, t, 4.5 * se * 1e6), file=sys.stderr)
        self.assertLess(abs(t), 4.5, 'first %.1f us, last %.1f us' % (ma * 1e6, mb * 1e6))
        self.assertEqual(self.certs(), self.certs_before)

    def setUp(self):
        super().setUp()
        self.certs_before = self.certs()


if __name__ == '__main__':
    unittest.main()
