"""scripts/quickstart: the lines it prints work as printed, with both CLIs."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from pcatest import AWS_V2, ROOT, parse_env_sh


class Quickstart(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='pcad-qs-')
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.addCleanup(subprocess.run, [os.path.join(ROOT, 'scripts', 'pcaenv'), 'down',
                                         self.dir], capture_output=True)

    def test_printed_commands_work(self):
        r = subprocess.run([os.path.join(ROOT, 'scripts', 'quickstart'), self.dir],
                           capture_output=True, text=True, timeout=900)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l.strip() for l in r.stdout.splitlines() if l.startswith('  ')]
        source = [l for l in lines if l.startswith('. ')]
        cmds = [l for l in lines if 'acm-pca' in l]
        self.assertEqual(len(source), 1)
        self.assertEqual(len(cmds), 3)
        env = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        env['AWS_CONFIG_FILE'] = env['AWS_SHARED_CREDENTIALS_FILE'] = os.devnull
        for aws in ('aws', AWS_V2):
            script = '\n'.join(['set -e', source[0]] +
                               [c.replace('aws acm-pca', aws + ' acm-pca', 1) for c in cmds])
            r = subprocess.run(['bash', '-c', script], capture_output=True, text=True, env=env,
                               timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
            out = r.stdout
            # the list (first), then describe's output of the CA just made
            first = json.JSONDecoder().raw_decode(out)[0]
            self.assertIn('CertificateAuthorities', first)
            described = json.loads(out[out.rindex('{\n    "CertificateAuthority"'):])
            ca = described['CertificateAuthority']
            self.assertEqual(ca['Type'], 'ROOT')
            self.assertIn(ca['Status'], ('CREATING', 'PENDING_CERTIFICATE'))
        self.assertEqual(parse_env_sh(os.path.join(self.dir, 'env.sh'))['AWS_REGION'], 'us-east-1')


if __name__ == '__main__':
    unittest.main()
