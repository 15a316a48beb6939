#!/usr/bin/env python3
"""The layer check bites: the forbidden includes, planted in a copy of the
tree, fail it, each named; the unchanged copy passes. Only the files the
plants reach are checked (build_layers checks the whole tree).

usage: test_check_layers.py SRC_ROOT BUILD_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC, BUILD = sys.argv[1], sys.argv[2]
CHECK = os.path.join(SRC, 'tests', 'check_layers')

# (file, line to plant after the first #include, what the check must say)
PLANTS = [
    # transitive: a core header drags the store's rows into every handler
    ('daemon/core/ca.h', '#include "store/store_cert.h"',
     'daemon/api/act_ca.c reaches daemon/store/store_cert.h'),
    ('daemon/api/act_tags.c', '#include "p11.h"', 'daemon/api/act_tags.c reaches pkcs11/p11.h'),
    ('daemon/api/router.h', '#include "net/httpd.h"', 'daemon/api/router.h reaches daemon/net/httpd.h'),
    ('daemon/core/tag.c', '#include <jansson.h>', 'daemon/core/tag.c reaches </usr/include/jansson.h>'),
    ('daemon/api/act_cert.c', '#include <libpq-fe.h>', 'daemon/api/act_cert.c reaches <'),
    ('daemon/net/admin.c', '#include "store/store.h"', 'daemon/net/admin.c reaches daemon/store/store.h'),
    # pkcs11/ stands alone: daemon/ is not even on its include path
    ('pkcs11/p11.h', '#include "base/err.h"', 'base/err.h, which does not resolve'),
]
# the planted files and those the plants reach through them
ONLY = sorted({path for path, _, _ in PLANTS} |
              {says.split()[0] for _, _, says in PLANTS if says.startswith(('daemon/', 'pkcs11/'))})


class CheckLayers(unittest.TestCase):
    def copy(self):
        d = tempfile.mkdtemp(prefix='pcad-layers-')
        self.addCleanup(shutil.rmtree, d)
        for sub in ('daemon', 'pkcs11'):
            shutil.copytree(os.path.join(SRC, sub), os.path.join(d, sub))
        return d

    def run_check(self, root):
        return subprocess.run([CHECK, root, BUILD, '--as', SRC] + ONLY, capture_output=True,
                              text=True)

    def test_clean_copy_passes(self):
        r = self.run_check(self.copy())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('layers ok: %d files checked' % len(ONLY), r.stdout)

    def test_each_planted_violation_fails(self):
        """All planted in one copy (a run checks each file of ONLY, and each plant
        has its own message): the check fails and names each one."""
        root = self.copy()
        for path, line, _ in PLANTS:
            f = os.path.join(root, path)
            with open(f) as fh:
                text = fh.read()
            i = text.index('#include')
            with open(f, 'w') as fh:
                fh.write(text[:i] + line + '\n' + text[i:])
        r = self.run_check(root)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for path, line, says in PLANTS:
            with self.subTest(path=path, line=line):
                self.assertIn(says, r.stdout)

if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1], verbosity=2)
