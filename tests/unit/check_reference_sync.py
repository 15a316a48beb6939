#!/usr/bin/env python3
"""check_reference_sync.py VENDORED SHARED: every file vendored under
tests/reference/ (VENDORED) is byte for byte its original in the shared
reference folder (SHARED, ../shared beside the checkout) when that folder
exists, so that a drift of either is seen. A clone alone has no SHARED:
then it says so and passes (the vendored copy is what the tests use)."""
import os
import sys

vendored, shared = sys.argv[1], sys.argv[2]
if not os.path.isdir(shared):
    print('skipped: no %s beside the checkout; the tests use the vendored copy' % shared)
    sys.exit(0)
drift, n = [], 0
for top, _, files in os.walk(vendored):
    for name in files:
        rel = os.path.relpath(os.path.join(top, name), vendored)
        if rel == 'README.md' or rel == os.path.join('aws-model', 'LICENSE'):
            continue  # the vendored folder's own notes
        n += 1
        theirs = os.path.join(shared, rel)
        with open(os.path.join(vendored, rel), 'rb') as f:
            mine = f.read()
        if not os.path.exists(theirs):
            drift.append('%s: not in %s' % (rel, shared))
            continue
        with open(theirs, 'rb') as f:
            if f.read() != mine:
                drift.append('%s: differs from %s' % (rel, theirs))
for d in drift:
    print('drift: ' + d)
print('%d vendored files checked against %s: %s' % (n, shared, 'drift' if drift else 'same'))
sys.exit(1 if drift or n == 0 else 0)
