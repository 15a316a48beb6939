"""The AWS SDK for JavaScript v3 (@aws-sdk/client-acm-pca from the npm
registry, pinned by tests/js/package-lock.json) against pcad, through a
custom endpoint and the test CA bundle (NODE_EXTRA_CA_CERTS): a ROOT CA
created and activated, a leaf issued, each followed with the SDK's own
waiters, a paginator, a modeled error (tests/js/acm.mjs)."""
import json
import os
import shutil
import subprocess
import unittest

from cryptography import x509

from pcatest import ROOT, EnvTestCase
from pki import leaf_csr

JS = os.path.join(ROOT, 'tests', 'js')
NPM = shutil.which('npm')


@unittest.skipUnless(NPM and shutil.which('node'), 'Node.js and npm are not installed')
class JsSdk(EnvTestCase):

    def test_create_activate_issue_wait_get(self):
        work = os.path.join(self.pe.dir, 'js')
        os.makedirs(work, exist_ok=True)
        for f in ('package.json', 'package-lock.json', 'acm.mjs'):
            shutil.copy(os.path.join(JS, f), work)
        r = subprocess.run([NPM, 'ci', '--no-audit', '--no-fund'], cwd=work, capture_output=True,
                           text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        leaf_csr(self.pe.dir, 'js.example')
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env.update({k: self.pe.env[k] for k in ('PCA_ENDPOINT', 'AWS_REGION', 'AWS_ACCESS_KEY_ID',
                                                'AWS_SECRET_ACCESS_KEY')})
        env.update(NODE_EXTRA_CA_CERTS=self.pe.env['PCA_CA_BUNDLE'],
                   LEAF_CSR=os.path.join(self.pe.dir, 'leaf.csr'),
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        r = subprocess.run(['node', 'acm.mjs'], cwd=work, capture_output=True, text=True,
                           env=env, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out['status'], 'ACTIVE')
        root = x509.load_pem_x509_certificate(out['root'].encode())
        leaf = x509.load_pem_x509_certificate(out['leaf'].encode())
        root.verify_directly_issued_by(root)
        leaf.verify_directly_issued_by(root)
        self.assertEqual(x509.load_pem_x509_certificate(out['chain'].encode()), root)
        self.assertTrue(out['leafArn'].startswith(out['ca'] + '/certificate/'))
        self.assertIn(out['ca'], out['listed'])
        self.assertEqual(out['error'], {'name': 'ResourceNotFoundException', 'status': 400})


if __name__ == '__main__':
    unittest.main()
