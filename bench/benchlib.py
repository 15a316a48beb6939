"""Shared by the wrk benchmarks: wrk itself, its rate, a client."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests',
                                'integration'))
import boto3  # noqa: E402


def ensure_wrk():
    """Installs Debian's wrk when it is missing."""
    if subprocess.run(['which', 'wrk'], capture_output=True).returncode != 0:
        subprocess.run(['apt-get', 'install', '-y', '-qq', 'wrk'], check=True,
                       capture_output=True)


def wrk_rate(url, script, seconds, conns):
    """Requests/s of one wrk run; exits when any answer was not a 2xx."""
    out = subprocess.run(['wrk', '-t2', '-c%d' % conns, '-d%ds' % seconds, '-s', script, url],
                         capture_output=True, text=True, check=True).stdout
    bad = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    if bad:
        sys.exit('wrk: %s non-2xx answers\n%s' % (bad.group(1), out))
    return float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))


def client(e):
    """boto3 for a pcaenv environment (its env.sh as a dict)."""
    return boto3.client('acm-pca', endpoint_url=e['PCA_ENDPOINT'], region_name=e['AWS_REGION'],
                        aws_access_key_id=e['AWS_ACCESS_KEY_ID'],
                        aws_secret_access_key=e['AWS_SECRET_ACCESS_KEY'],
                        verify=e['PCA_CA_BUNDLE'])


def psql(e, sql):
    """One statement against a pcaenv environment's database: its output."""
    cmd = ['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-tA', '-c', sql]
    if os.geteuid() == 0:
        cmd = ['runuser', '-u', 'postgres', '--'] + cmd
    env = dict(os.environ, **{k: e[k] for k in ('PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER')})
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(r.stderr)
    return r.stdout.strip()
