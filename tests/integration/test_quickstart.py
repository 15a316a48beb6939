"""scripts/quickstart: the lines it prints work as printed, with both CLIs."""
import json
import os
import re
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
        # the build it was given (PCAD_BIN: the suite's, sanitized or not)
        with open(os.path.join(self.dir, 'pcad.pid')) as f:
            exe = os.readlink('/proc/%s/exe' % f.read().strip())
        self.assertEqual(exe, os.path.realpath(os.environ['PCAD_BIN']))
        intro, demo = r.stdout.split('== The guided demo', 1)
        self.check_demo(demo)
        lines = [l.strip() for l in intro.splitlines() if l.startswith('  ')]
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


    def check_demo(self, out):
        """The demo's steps happened, as printed."""
        steps = re.findall(r'^== (\d)\. ', out, re.M)
        self.assertEqual(steps, list('1234567'))
        self.assertEqual(out.count('    | ACTIVE'), 2)  # the root and the subordinate
        self.assertIn('    |     DNS:demo.example', out)
        self.assertIn('    | Ciphers supported in s_server binary', out)  # curl got the page
        serial = re.search(r'^\$ SERIAL=.*\n    \| ([0-9A-F]+)$', out, re.M).group(1)
        self.assertIn('    |     Serial Number: ' + serial, out)  # in the CRL
        self.assertIn('    |     Cert Status: revoked', out)
        self.assertIn('    | Response verify OK', out)
        for line in out.splitlines():
            if line.startswith('$ '):
                self.assertNotIn('arn:aws:acm-pca:us-east-1', line)  # variables, not values


if __name__ == '__main__':
    unittest.main()
