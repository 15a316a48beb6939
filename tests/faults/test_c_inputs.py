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


    # C15: what a stored string may hold. Each either comes back verbatim or
    # is refused with ValidationException (the model's pattern), never a
    # 500, never a format-string effect; a JSON \u0000 is refused while the
    # body is decoded (SerializationException: pcad keeps no NUL in a string)
    NASTY = ["it's", 'back\\slash', 'semi;colon', '$(id)', '%s%n%x', 'emoji \U0001F512',
             'nul\x00byte']

    def assertVerbatimOrRefused(self, resp, value, got, refusal='ValidationException'):
        """resp is a 200 whose value (got(resp)) is value, or a 400 refusal."""
        st, _, data = resp
        self.assertLess(st, 500, data)
        if st == 200:
            self.assertEqual(got(data), value)
        else:
            self.assertEqual(st, 400, data)
            want = 'SerializationException' if '\x00' in value else refusal
            self.assertEqual(data['__type'], want, (value, data))
        return st == 200

    def test_c15_metacharacters_round_trip_or_are_refused(self):
        arn = {'CertificateAuthorityArn': self.ca}
        kept = 0
        for v in self.NASTY:
            with self.subTest(value=v):
                tags = [{'Key': 'k-%d' % len(v), 'Value': v}]
                st = self.pe.raw('TagCertificateAuthority', json.dumps(dict(arn, Tags=tags)))
                if st[0] == 200:
                    listed = self.pe.raw('ListTags', json.dumps(arn))
                    self.assertIn(tags[0], listed[2]['Tags'])
                    kept += 1
                else:  # tags have a pattern of their own
                    self.assertVerbatimOrRefused(st, v, None, 'InvalidTagException')
                cfg = {'KeyAlgorithm': 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA',
                       'Subject': {'CommonName': v, 'Organization': v}}
                made = self.pe.raw('CreateCertificateAuthority', json.dumps({
                    'CertificateAuthorityType': 'ROOT',
                    'CertificateAuthorityConfiguration': cfg}))
                if made[0] == 200:
                    d = self.pe.raw('DescribeCertificateAuthority', json.dumps(
                        {'CertificateAuthorityArn': made[2]['CertificateAuthorityArn']}))
                    kept += self.assertVerbatimOrRefused(
                        d, v, lambda x: x['CertificateAuthority'][
                            'CertificateAuthorityConfiguration']['Subject']['CommonName'])
                else:
                    self.assertVerbatimOrRefused(made, v, None)
                body = json.loads(self.issue_body)
                body['IdempotencyToken'] = v
                st, _, data = self.pe.raw('IssueCertificate', json.dumps(body))
                if st == 200:
                    self.acknowledged.append(data['CertificateArn'])
                    again = self.pe.raw('IssueCertificate', json.dumps(body))
                    self.assertEqual(again[2].get('CertificateArn'), data['CertificateArn'])
                    kept += 1
                else:
                    self.assertVerbatimOrRefused((st, _, data), v, None)
        self.assertGreaterEqual(kept, len(self.NASTY))  # most are stored, not refused

    def test_c16_bad_idempotency_tokens(self):
        before = self.certs()
        body = json.loads(self.issue_body)
        for token in ('x' * 37, 'ctl\x01', 'emoji \U0001F512', 'vtab\x0b'):
            with self.subTest(token=token):
                self.assertAwsError(self.pe.raw('IssueCertificate', json.dumps(
                    dict(body, IdempotencyToken=token))), 400, 'ValidationException')
        self.assertEqual(self.certs(), before)
        # the limits themselves are fine: 36 characters, tab, newline, \xff
        for token in ('y' * 36, 'tab\there\nline', 'latin \xff'):
            with self.subTest(token=token):
                st, _, data = self.pe.raw('IssueCertificate', json.dumps(
                    dict(body, IdempotencyToken=token)))
                self.assertEqual(st, 200, data)
                self.acknowledged.append(data['CertificateArn'])

if __name__ == '__main__':
    unittest.main()
