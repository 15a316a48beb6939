"""Shared by the benchmarks: wrk and its rate, pcad-loadgen and its report,
a client, psql."""
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests',
                                'integration'))
import boto3  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PCAD_BIN = os.environ.get('PCAD_BIN') or os.path.join(ROOT, 'build', 'pcad')
TOOLS = os.path.dirname(os.path.abspath(PCAD_BIN))
LOADGEN = os.path.join(TOOLS, 'pcad-loadgen')


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


# ---- the load generator ----

def parse_report(out):
    r = {'rate': float(re.search(r': ([\d.]+)/s', out).group(1)), 'errors': {}}
    m = re.search(r'p50 ([\d.]+) p95 ([\d.]+) p99 ([\d.]+) max ([\d.]+)', out)
    if m:
        r.update(zip(('p50', 'p95', 'p99', 'max'), map(float, m.groups())))
    for t, n in re.findall(r'error (\w+): (\d+)', out):
        r['errors'][t] = int(n)
    r['broken'] = int(re.search(r'broken connections (\d+)', out).group(1))
    return r


class Target:
    """Something the load generator drives: pcad of an environment, or cfssl."""

    def __init__(self, name, endpoint, ca_bundle, op, body, creds=None, post=None):
        self.name, self.endpoint, self.ca_bundle = name, endpoint, ca_bundle
        self.op, self.body, self.creds, self.post = op, body, creds, post

    def run(self, seconds=None, count=None, conns=16):
        cmd = [LOADGEN, '--endpoint', self.endpoint, '--ca-bundle', self.ca_bundle,
               '--conns', str(conns), '--op', '%s=%s' % (self.op, self.body)]
        cmd += ['--seconds', str(seconds)] if seconds else ['--count', str(count)]
        if self.post:
            cmd += ['--post', self.post]
        else:
            cmd += ['--akid', self.creds[0], '--secret-file', self.creds[1]]
        return parse_report(sh(*cmd, timeout=3600))


def alternate(targets, rounds, seconds, conns):
    """Rounds of each target in turn; {name: [report, ...]}."""
    got = {t.name: [] for t in targets}
    for _ in range(rounds):
        for t in targets:
            got[t.name].append(t.run(seconds=seconds, conns=conns))
    return got


def median(reports, key='rate'):
    return statistics.median(r[key] for r in reports)


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
