#!/usr/bin/env python3
"""Fails when daemon/model_gen.c is not what scripts/gen-model makes from the model."""
import subprocess
import sys

model, root = sys.argv[1], sys.argv[2]
want = subprocess.run([sys.executable, root + '/scripts/gen-model', model, '-'], check=True,
                      capture_output=True, text=True).stdout
with open(root + '/daemon/model_gen.c') as f:
    have = f.read()
if want != have:
    print('daemon/model_gen.c is out of date: run scripts/gen-model')
    sys.exit(1)
print('model_gen.c matches', model)
