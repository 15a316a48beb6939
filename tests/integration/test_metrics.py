"""GET /metrics on the admin listener: Prometheus text that promtool
accepts, every series issue 13 names, and values that follow what pcad
did (requests by operation and status, certificates issued, signatures,
the CA's expiry and CRL time, the database going away); a deleted CA's
series go."""
import base64
import json
import os
import re
import shutil
import subprocess
import time
import unittest

from cryptography import x509

from pcatest import EnvTestCase, make_root, wait_for
from pki import leaf_csr

PROMTOOL = shutil.which('promtool')
NAMES = ('pcad_requests_total', 'pcad_request_duration_seconds', 'pcad_token_sign_duration_seconds',
         'pcad_token_up', 'pcad_db_up', 'pcad_db_connections_in_use', 'pcad_queue_depth',
         'pcad_certificates_issued_total', 'pcad_crl_last_success_timestamp_seconds',
         'pcad_ca_certificate_expiry_timestamp_seconds', 'pcad_build_info', 'pcad_signer_keys',
         'pcad_publish_workers_busy', 'pcad_publish_queue_depth')


def series(text):
    """{'name{labels}': value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith('#'):
            key, value = line.rsplit(' ', 1)
            out[key] = float(value)
    return out


class Metrics(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pe.reconfigure({'publish': {'crl_publish_delay': '1'}})
        cls.c = cls.pe.boto3()
        cls.ca = make_root(cls.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'metrics root')
        cls.ca_id = cls.ca.rsplit('/', 1)[1]

    def scrape(self):
        st, body = self.pe.admin('/metrics')
        self.assertEqual(st, 200)
        return body

    @unittest.skipUnless(PROMTOOL, 'promtool (Debian prometheus) is not installed: scripts/deps')
    def test_promtool_accepts_it(self):
        self.assertEqual(self.pe.raw('IssueCertificate', json.dumps({
            'CertificateAuthorityArn': self.ca, 'SigningAlgorithm': 'SHA256WITHECDSA',
            'Csr': base64.b64encode(leaf_csr(self.pe.dir)).decode(),
            'Validity': {'Value': 1, 'Type': 'DAYS'}}))[0], 200)
        text = self.scrape()
        r = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text, capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for name in NAMES:
            self.assertIn('# TYPE %s ' % name, text)

    def test_values_follow_what_pcad_did(self):
        csr = leaf_csr(self.pe.dir)
        before = series(self.scrape())
        for _ in range(3):
            self.c.issue_certificate(CertificateAuthorityArn=self.ca, Csr=csr,
                                     SigningAlgorithm='SHA256WITHECDSA',
                                     Validity={'Value': 1, 'Type': 'DAYS'})
        self.assertEqual(self.pe.raw('IssueCertificate', b'{}')[0], 400)
        self.c.update_certificate_authority(CertificateAuthorityArn=self.ca, RevocationConfiguration={
            'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'pki-metrics'}})
        t0 = time.time()
        self.assertTrue(wait_for(lambda: 'pcad_crl_last_success_timestamp_seconds{ca="%s"}'
                                 % self.ca_id in self.scrape(), 10))
        self.assertTrue(wait_for(lambda: 'pcad_ca_certificate_expiry_timestamp_seconds{ca="%s"}'
                                 % self.ca_id in self.scrape(), 35))
        after = series(self.scrape())

        def delta(key):
            return after.get(key, 0) - before.get(key, 0)
        self.assertEqual(delta('pcad_requests_total{operation="IssueCertificate",code="200"}'), 3)
        self.assertEqual(delta('pcad_requests_total{operation="IssueCertificate",code="400"}'), 1)
        self.assertEqual(delta('pcad_certificates_issued_total'), 3)
        self.assertEqual(delta('pcad_request_duration_seconds_count{operation="IssueCertificate"}'), 4)
        self.assertGreaterEqual(delta('pcad_token_sign_duration_seconds_count'), 3)
        self.assertEqual(after['pcad_token_up'], 1)
        self.assertEqual(after['pcad_db_up'], 1)
        self.assertEqual(after['pcad_build_info{version="%s"}' % self.version()], 1)
        crl_t = after['pcad_crl_last_success_timestamp_seconds{ca="%s"}' % self.ca_id]
        self.assertLess(abs(crl_t - t0), 15)
        pem = self.c.get_certificate_authority_certificate(
            CertificateAuthorityArn=self.ca)['Certificate']
        not_after = x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc.timestamp()
        self.assertEqual(after['pcad_ca_certificate_expiry_timestamp_seconds{ca="%s"}'
                               % self.ca_id], int(not_after))
        # buckets are cumulative and end at the count
        b = [v for k, v in after.items()
             if k.startswith('pcad_request_duration_seconds_bucket{operation="IssueCertificate"')]
        self.assertEqual(b, sorted(b))
        self.assertEqual(b[-1], after['pcad_request_duration_seconds_count{operation="IssueCertificate"}'])
        # the database goes away: db_up says so within the health check's second
        self.pe.pg_ctl('stop')
        try:
            self.assertTrue(wait_for(lambda: series(self.scrape())['pcad_db_up'] == 0, 5))
        finally:
            self.pe.pg_ctl('start')
        self.assertTrue(wait_for(lambda: series(self.scrape())['pcad_db_up'] == 1, 10))

    def test_a_deleted_cas_gauges_go(self):
        gone = make_root(self.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'metrics deleted')
        key = 'pcad_ca_certificate_expiry_timestamp_seconds{ca="%s"}' % gone.rsplit('/', 1)[1]
        # the health thread reads the CAs' notAfter every 30 s
        self.assertTrue(wait_for(lambda: key in self.scrape(), 35))
        self.c.update_certificate_authority(CertificateAuthorityArn=gone, Status='DISABLED')
        self.c.delete_certificate_authority(CertificateAuthorityArn=gone,
                                            PermanentDeletionTimeInDays=7)
        # a deleted CA raises no expiry alert: its series goes with the next read
        self.assertTrue(wait_for(lambda: key not in self.scrape(), 35))
        self.assertIn('pcad_ca_certificate_expiry_timestamp_seconds{ca="%s"}' % self.ca_id,
                      self.scrape())

    def version(self):
        out = subprocess.run([os.environ.get('PCAD_BIN', 'pcad'), '--version'],
                             capture_output=True, text=True).stdout
        return re.match(r'pcad (\S+)', out).group(1)


if __name__ == '__main__':
    unittest.main()
