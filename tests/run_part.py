#!/usr/bin/env python3
"""run_part.py MODULE NAME... | MODULE --rest NAME...: runs part of a test
module (unittest -v), so that its long parts can run side by side as ctest
entries of their own. A NAME is a class or Class.test_method of MODULE.
  MODULE NAME...         the tests NAME... name
  MODULE --rest NAME...  every other test of MODULE: with the parts above,
                         the whole module, whatever is added to it later
Exits 1 if a NAME matches no test (a renamed part would otherwise run
nothing, or everything twice)."""
import importlib
import os
import sys
import unittest


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def main(argv):
    rest = len(argv) > 1 and argv[1] == '--rest'
    module, names = argv[0], argv[2:] if rest else argv[1:]
    if not names:
        sys.exit(__doc__)
    sys.path.insert(0, os.getcwd())  # as python3 -m unittest does
    tests = list(flatten(unittest.defaultTestLoader.loadTestsFromModule(
        importlib.import_module(module))))

    def named(t, n):
        short = t.id()[len(module) + 1:]
        return short == n or short.startswith(n + '.')
    for n in names:
        if not any(named(t, n) for t in tests):
            sys.exit('run_part: %s.%s names no test' % (module, n))
    part = [t for t in tests if any(named(t, n) for n in names) != rest]
    result = unittest.TextTestRunner(verbosity=2).run(unittest.TestSuite(part))
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
