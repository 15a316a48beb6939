"""Overload, tried for real: 16 keep-alive connections against a pcad made
small on purpose (2 workers, a queue of 4, every signature 50 ms late):
10 more than fit at any time. (It was 32: beside a CPU burner the 32
client threads flooding the 2 cores starved pcad's loop thread, and one
admitted request of 31,000 took 2.06 s, the client's scheduling, not
pcad's queue.)
What does not fit is refused at once with ThrottlingException (HTTP 400),
what was admitted succeeds and is stored, no connection breaks, nothing
waits long, and pcad answers normally afterwards."""
import base64
import json
import os
import re
import subprocess
import unittest

from pcatest import EnvTestCase, make_root
from pki import leaf_csr

EC = ('EC_prime256v1', 'SHA256WITHECDSA')
LOADGEN = os.environ.get('PCAD_LOADGEN') or os.path.join(
    os.path.dirname(os.environ.get('PCAD_BIN', '')), 'pcad-loadgen')


class Overload(EnvTestCase):

    def test_overload_is_refused_fast_and_admitted_work_succeeds(self):
        pe = self.pe
        ca = make_root(pe.boto3(), *EC, 'overload root')
        pe.reconfigure({'server': {'worker_threads': '2', 'queue_max': '4'}},
                       {'PCAD_FAILPOINTS': 'sign_delay_ms=50'})
        body, secret, record = (os.path.join(pe.dir, n) for n in
                                ('issue.json', 'secret', 'ok.jsonl'))
        with open(body, 'w') as f:
            json.dump({'CertificateAuthorityArn': ca, 'SigningAlgorithm': EC[1],
                       'Csr': base64.b64encode(leaf_csr(pe.dir)).decode(),
                       'Validity': {'Value': 1, 'Type': 'DAYS'}}, f)
        with open(secret, 'w') as f:
            f.write(pe.env['AWS_SECRET_ACCESS_KEY'])
        out = subprocess.run(
            [LOADGEN, '--endpoint', pe.endpoint.split('//', 1)[1], '--ca-bundle',
             pe.env['PCA_CA_BUNDLE'], '--akid', pe.env['AWS_ACCESS_KEY_ID'], '--secret-file',
             secret, '--conns', '16', '--seconds', '4', '--record', record,
             '--op', 'IssueCertificate=' + body],
            capture_output=True, text=True, timeout=120, check=True).stdout
        errors = dict(re.findall(r'error (\w+): (\d+)', out))
        self.assertEqual(set(errors), {'ThrottlingException'}, out)
        self.assertIn('broken connections 0', out)
        # a refusal comes at once; an admitted request waits for at most the
        # queue ahead of it (4 requests of ~50 ms on 2 workers) and its own
        worst = float(re.search(r'max ([\d.]+)', out).group(1))
        self.assertLess(worst, 2000, out)
        with open(record) as f:
            arns = [json.loads(line)['CertificateArn'] for line in f if line.strip()]
        self.assertGreater(len(arns), 20, out)
        self.assertGreater(int(errors['ThrottlingException']), len(arns), out)
        quoted = ','.join("'%s'" % a for a in arns)
        self.assertEqual(pe.psql("SELECT count(*) FROM certificates WHERE arn IN (%s)"
                                 " AND status = 'ISSUED'" % quoted), str(len(arns)))
        self.assertEqual(pe.boto3().describe_certificate_authority(
            CertificateAuthorityArn=ca)['CertificateAuthority']['Status'], 'ACTIVE')


if __name__ == '__main__':
    unittest.main()
