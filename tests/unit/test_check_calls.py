#!/usr/bin/env python3
"""The call-cycle check bites: the tree as built passes; a call planted in
one file, compiled with that file's own command from the compile database
and put in place of its object, closes a cycle the check names, with the
symbols that close it.

usage: test_check_calls.py SRC_ROOT BUILD_DIR
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC, BUILD = sys.argv[1], sys.argv[2]
CHECK = os.path.join(SRC, 'tests', 'check_calls')
sys.path.insert(0, os.path.join(SRC, 'tests'))

# (file, code appended to it, the edges the check must name)
PLANTS = [
    # the cycle core/ca_row.c was made to break: the row cache reading rows
    ('daemon/core/cacache.c',
     '#include "core/ca_row.h"\n'
     'int planted(const ctx_t *c, store_ca_t *r, int *k, err_t *e);\n'
     'int planted(const ctx_t *c, store_ca_t *r, int *k, err_t *e) {\n'
     '  return ca_row_cached(c, "arn", r, k, e);\n}\n',
     ['daemon/core/ca_row.c -> daemon/core/cacache.c (cacache_forget',
      'daemon/core/cacache.c -> daemon/core/ca_row.c (ca_row_cached)']),
    # pkcs11/'s bottom calling its top: a loop through three files
    ('pkcs11/p11_state.c',
     'void planted(p11_t *p);\nvoid planted(p11_t *p) { p11_token_down(p); }\n',
     ['pkcs11/p11_state.c -> pkcs11/p11_token.c (p11_token_down)',
      'pkcs11/p11_session.c -> pkcs11/p11_state.c (p11_deadline',
      'pkcs11/p11_token.c -> pkcs11/p11_session.c (']),
]


def objects():
    """The check's own view of the build: {source: object}."""
    loader = {}
    with open(CHECK) as f:
        exec(compile(f.read(), CHECK, 'exec'), loader)
    return loader['objects_of'](BUILD)


def compile_planted(tmp, path, code):
    """path with code appended, compiled as the build compiles path."""
    with open(os.path.join(BUILD, 'compile_commands.json')) as f:
        ent = next(e for e in json.load(f)
                   if os.path.normpath(os.path.join(e['directory'], e['file'])) ==
                   os.path.join(SRC, path))
    src = os.path.join(tmp, os.path.basename(path))
    obj = src + '.o'
    with open(os.path.join(SRC, path)) as f:
        text = f.read()
    with open(src, 'w') as f:
        f.write(text + '\n' + code)
    args = shlex.split(ent['command'])
    args[args.index('-o') + 1] = obj
    args[args.index(ent['file']) if ent['file'] in args else -1] = src
    subprocess.run(args, cwd=ent['directory'], check=True)
    return obj


class CheckCalls(unittest.TestCase):
    def run_check(self, objs):
        return subprocess.run([sys.executable, CHECK, '--objects'] +
                              ['%s=%s' % kv for kv in sorted(objs.items())],
                              capture_output=True, text=True)

    def test_tree_passes(self):
        res = subprocess.run([sys.executable, CHECK, BUILD], capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn('no cycle', res.stdout)

    def test_planted_cycles_fail(self):
        base = objects()
        self.assertGreater(len(base), 50)
        for path, code, says in PLANTS:
            with self.subTest(path=path):
                tmp = tempfile.mkdtemp(prefix='pcad-calls-')
                self.addCleanup(shutil.rmtree, tmp)
                objs = dict(base)
                objs[path] = compile_planted(tmp, path, code)
                res = self.run_check(objs)
                self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
                for edge in says:
                    self.assertIn(edge, res.stdout)


if __name__ == '__main__':
    unittest.main(argv=sys.argv[:1])
