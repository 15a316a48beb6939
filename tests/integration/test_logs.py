"""pcad's log as an operator reads it: one line per request with who,
what, which CA, the outcome and the time taken; a timestamp first in a
file (not under journald, which stamps its own); the key id of a request
whose signature failed; JSON lines with [log] format = json (switched by
SIGHUP); every line one line."""
import base64
import json
import os
import re
import signal
import time
import unittest

from pcatest import EnvTestCase, make_root, wait_for
from pki import leaf_csr

STAMP = r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z '


class Logs(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = cls.pe.boto3()
        cls.ca = make_root(cls.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'logs root')
        cls.body = json.dumps({'CertificateAuthorityArn': cls.ca,
                               'SigningAlgorithm': 'SHA256WITHECDSA',
                               'Csr': base64.b64encode(leaf_csr(cls.pe.dir)).decode(),
                               'Validity': {'Value': 1, 'Type': 'DAYS'}})

    def line_of(self, rid):
        lines = [line for line in self.pe.log().splitlines()
                 if rid in line and ('op=' in line or '"op"' in line)]
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def test_1_request_lines_in_text(self):
        st, hs, data = self.pe.raw('IssueCertificate', self.body)
        self.assertEqual(st, 200, data)
        line = self.line_of(hs['x-amzn-requestid'])
        self.assertRegex(line, '^' + STAMP + r'<6>pcad: req=%s op=IssueCertificate account=%s '
                         r'key=%s ca=%s status=200 error=- ms=[\d.]+ remote=127\.0\.0\.1:\d+$' % (
                             hs['x-amzn-requestid'], self.pe.env['PCA_ACCOUNT'],
                             self.pe.env['AWS_ACCESS_KEY_ID'], re.escape(self.ca)))
        # a wrong secret: the key that was tried is named, no account
        st, hs, data = self.pe.raw('ListCertificateAuthorities', secret='x' * 40)
        self.assertEqual(data['__type'], 'InvalidSignatureException')
        line = self.line_of(hs['x-amzn-requestid'])
        self.assertIn(' op=- account=- key=%s ca=- status=400 error=InvalidSignatureException '
                      % self.pe.env['AWS_ACCESS_KEY_ID'], line)
        for line in self.pe.log().splitlines():
            self.assertRegex(line, '^' + STAMP + r'<\d>pcad: req=')

    def test_2_json_after_sighup(self):
        self.pe.edit_conf({'log': {'format': 'json', 'timestamps': 'off'}})
        os.kill(self.pe.pid(), signal.SIGHUP)
        self.assertTrue(wait_for(lambda: '"msg":"SIGHUP: credentials reloaded' in self.pe.log(), 5))
        st, hs, data = self.pe.raw('IssueCertificate', self.body)
        self.assertEqual(st, 200, data)
        line = self.line_of(hs['x-amzn-requestid'])
        self.assertTrue(line.startswith('<6>{'), line)
        entry = json.loads(line[3:])
        self.assertEqual({k: entry[k] for k in ('level', 'req', 'op', 'account', 'key', 'ca',
                                                'status', 'error')},
                         {'level': 'info', 'req': hs['x-amzn-requestid'],
                          'op': 'IssueCertificate', 'account': self.pe.env['PCA_ACCOUNT'],
                          'key': self.pe.env['AWS_ACCESS_KEY_ID'], 'ca': self.ca,
                          'status': '200', 'error': '-'})
        self.assertNotIn('time', entry)
        self.assertGreater(float(entry['ms']), 0)
        # every line after the switch is one JSON object, a message with quotes too
        self.pe.raw('DescribeCertificateAuthority', '{"CertificateAuthorityArn": "x\\"y"}')
        time.sleep(0.2)
        after = self.pe.log().split('"msg":"SIGHUP: credentials reloaded', 1)[1].splitlines()[1:]
        self.assertTrue(after)
        for line in after:
            self.assertRegex(line, r'^<\d>\{')
            json.loads(line[3:])


if __name__ == '__main__':
    unittest.main()
