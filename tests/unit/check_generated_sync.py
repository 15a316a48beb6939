#!/usr/bin/env python3
"""Fails when a generated C table differs from what its generator makes now.
usage: check_generated_sync.py GENERATOR SOURCE GENERATED_C"""
import subprocess
import sys

gen, src, out = sys.argv[1:4]
want = subprocess.run([sys.executable, gen, src, '-'], check=True, capture_output=True,
                      text=True).stdout
with open(out) as f:
    have = f.read()
if want != have:
    print('%s is out of date: run %s' % (out, gen))
    sys.exit(1)
print('%s matches %s' % (out, src))
