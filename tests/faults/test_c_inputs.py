"""Matrix C (security-and-faults.md 5.2), the cases the other suites do not
already pin: C3's per-operation body cap and C9's CSR blocks, against the
real pcad; each refusal changes nothing (the certificate count)."""
import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import botocore.exceptions  # noqa: E402
from invariants import FaultCase  # noqa: E402


class BadInputs(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_ca('bad inputs root')

    def test_c3_per_operation_body_cap(self):
        before = self.certs()
        # a valid IssueCertificate padded with JSON blanks past 64 KiB: only the
        # cap can refuse it
        body = self.issue_body
        self.assertEqual(self.pe.raw('IssueCertificate', body)[0], 200)
        padded = body[:-1] + b' ' * (64 * 1024) + b'}'
        self.assertAwsError(self.pe.raw('IssueCertificate', padded), 400, 'ValidationException',
                            'limit of IssueCertificate')
        self.assertEqual(self.certs(), before + 1)
        # Import takes a 2 MiB chain: a 100 KiB body is not refused for its size
        imp = json.dumps({'CertificateAuthorityArn': self.ca,
                          'Certificate': base64.b64encode(b'x' * 100).decode()}).encode()
        st, _, data = self.pe.raw('ImportCertificateAuthorityCertificate',
                                  imp[:-1] + b' ' * (100 * 1024) + b'}')
        self.assertEqual(st, 400)
        self.assertNotIn('limit of', data.get('message', ''))

    def assertMalformed(self, csr):
        before = self.certs()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.c.issue_certificate(CertificateAuthorityArn=self.ca, Csr=csr,
                                     SigningAlgorithm='SHA256WITHECDSA',
                                     Validity={'Value': 1, 'Type': 'DAYS'})
        self.assertEqual(cm.exception.response['Error']['Code'], 'MalformedCSRException')
        self.assertEqual(self.certs(), before)

    def test_c9_one_csr_block_and_nothing_else(self):
        ca_cert = self.c.get_certificate_authority_certificate(
            CertificateAuthorityArn=self.ca)['Certificate'].encode()
        self.assertMalformed(ca_cert + self.csr)
        self.assertMalformed(self.csr + ca_cert)
        self.assertMalformed(self.csr + b'trailing garbage\n')
        self.assertMalformed(self.csr + self.csr)
        self.assertMalformed(ca_cert)
        self.assertMalformed(self.csr[:len(self.csr) // 2])
        self.assertMalformed(os.urandom(300))
        # blanks after the block are fine
        arn = self.c.issue_certificate(CertificateAuthorityArn=self.ca, Csr=self.csr + b'\n\n  ',
                                       SigningAlgorithm='SHA256WITHECDSA',
                                       Validity={'Value': 1, 'Type': 'DAYS'})['CertificateArn']
        self.assertIn('/certificate/', arn)


if __name__ == '__main__':
    unittest.main()
