"""Shared harness of the integration tests: a private pcaenv environment per
test class, the real AWS clients pointed at it, and a raw SigV4 signer for
requests no client would send."""
import copy
import datetime
import glob
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

from pgwire import PgConn

ROOT = os.environ.get('PCAD_ROOT') or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
PCAENV = os.path.join(ROOT, 'scripts', 'pcaenv')
PGBIN = '/usr/lib/postgresql/15/bin'
AWS_V1 = shutil.which('aws') or 'aws'
AWS_V2 = '/usr/bin/aws'


def parse_env_sh(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('export '):
                k, v = line[7:].split('=', 1)
                env[k] = v.strip("'")
    return env


SANITIZER_REPORT = re.compile(r'ERROR: (AddressSanitizer|LeakSanitizer)|: runtime error: ')


class Env:
    """One pcaenv directory: up on creation, down and removed by close()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='pcad-it-')
        self.pg_conns = {}  # psql(): a connection per cluster and role
        try:
            self.up()
        except BaseException:
            self.close()
            raise

    extra_env = {}

    def up(self, instances=None):
        """pcaenv up (instances: that many pcad on the one database and
        token; None: as many as before)."""
        subprocess.run([PCAENV, 'up', self.dir] + ([str(instances)] if instances else []),
                       check=True, env=dict(os.environ, **self.extra_env))
        self.env = parse_env_sh(os.path.join(self.dir, 'env.sh'))

    def instance(self, k):
        """A view of this environment whose requests, admin calls, pid and
        log are pcad instance k's (1 is this Env's own)."""
        view = copy.copy(self)
        name = 'pcad' if k == 1 else 'pcad%d' % k
        view.env = dict(self.env, PCA_ENDPOINT=self.env['PCA_ENDPOINTS'].split()[k - 1],
                        PCA_ADMIN=self.env['PCA_ADMINS'].split()[k - 1],
                        PCA_PUBLISH=self.env['PCA_PUBLISHES'].split()[k - 1],
                        **{key: os.path.join(self.dir, name + ext) for key, ext in (
                            ('PCA_PID_FILE', '.pid'), ('PCA_LOG', '.log'),
                            ('PCA_CONFIG', '.conf'))})
        return view

    def reconfigure(self, settings, extra_env=None):
        """Restarts pcad with settings ({section: {key: value}}) written into
        its pcad.conf and extra_env added to its environment."""
        self.down()
        self.edit_conf(settings)
        self.extra_env = dict(extra_env or {})
        self.up()

    def edit_conf(self, settings):
        """Writes settings ({section: {key: value}}) into pcad.conf."""
        path = os.path.join(self.dir, 'pcad.conf')
        with open(path) as f:
            lines = f.read().splitlines()
        for section, kv in settings.items():
            head = '[%s]' % section
            if head not in lines:
                lines += ['', head]
            for k, v in kv.items():
                start = lines.index(head) + 1
                end = next((i for i in range(start, len(lines)) if lines[i].startswith('[')),
                           len(lines))
                hit = [i for i in range(start, end) if lines[i].split('=')[0].strip() == k]
                if hit:
                    lines[hit[0]] = '%s = %s' % (k, v)
                else:
                    lines.insert(end, '%s = %s' % (k, v))
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')

    def down(self):
        self.psql_close()
        subprocess.run([PCAENV, 'down', self.dir], check=True)

    def close(self):
        try:
            if os.path.exists(os.path.join(self.dir, 'state')):
                self.down()
            self.print_log_errors()
            self.assert_no_sanitizer_reports()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # what print_log_errors shows: errors and warnings, each start and each
    # signal (when pcad came and went), and what was not pcad's log line
    # (an abort's or a sanitizer's words on stderr)
    TELLING = re.compile(r'^\S+Z <[0-4]>|^\S+Z <5>pcad: req=- (pcad \S+ serving|signal )|^(?!\S+Z <)')

    def print_log_errors(self, last=40):
        """Prints the last telling lines of each pcad log to stderr (ctest
        --output-on-failure shows them only when the suite fails), so that a
        failure in CI says what pcad saw."""
        for path in sorted(glob.glob(os.path.join(self.dir, 'pcad*.log'))):
            with open(path, errors='replace') as f:
                hits = [line for line in f if line.strip() and self.TELLING.search(line)]
            if hits:
                sys.stderr.write('--- %s: last %d of %d error, warning, start and signal lines\n%s'
                                 % (os.path.basename(path), min(last, len(hits)), len(hits),
                                    ''.join(hits[-last:])))

    def assert_no_sanitizer_reports(self):
        """With a sanitizer build (PCAD_SANITIZE=1 scripts/test) pcad reports
        to its log, at exit for leaks: any report fails the suite."""
        for path in glob.glob(os.path.join(self.dir, 'pcad*.log')):
            with open(path, errors='replace') as f:
                lines = f.read().splitlines()
            hits = [i for i, line in enumerate(lines) if SANITIZER_REPORT.search(line)]
            if hits:
                raise AssertionError('sanitizer report in %s:\n%s' % (
                    path, '\n'.join(lines[hits[0]:hits[0] + 40])))

    @property
    def endpoint(self):
        return self.env['PCA_ENDPOINT']

    def pid(self):
        with open(self.env['PCA_PID_FILE']) as f:
            return int(f.read())

    def log(self):
        with open(self.env['PCA_LOG']) as f:
            return f.read()

    def client_env(self):
        """The environment for the AWS clients: env.sh, nothing from ~/.aws."""
        e = {k: v for k, v in os.environ.items() if not k.startswith('AWS_')}
        e.update(self.env)
        e['AWS_CONFIG_FILE'] = os.path.join(self.dir, 'no-aws-config')
        e['AWS_SHARED_CREDENTIALS_FILE'] = os.path.join(self.dir, 'no-aws-credentials')
        return e

    def aws(self, *args, v2=False, cwd=None):
        """Runs aws-cli (v1 `aws`, or Debian's v2 at /usr/bin/aws)."""
        cmd = [AWS_V2 if v2 else AWS_V1, 'acm-pca', *args, '--endpoint-url', self.endpoint,
               '--ca-bundle', self.env['PCA_CA_BUNDLE'], '--output', 'json']
        return subprocess.run(cmd, capture_output=True, text=True, env=self.client_env(),
                              timeout=300, cwd=cwd)

    def boto3(self, **kw):
        import boto3
        import botocore.config
        return boto3.client(
            'acm-pca', endpoint_url=self.endpoint, region_name=self.env['AWS_REGION'],
            aws_access_key_id=self.env['AWS_ACCESS_KEY_ID'],
            aws_secret_access_key=self.env['AWS_SECRET_ACCESS_KEY'],
            verify=self.env['PCA_CA_BUNDLE'],
            config=botocore.config.Config(retries={'max_attempts': 1, 'mode': 'standard'}, **kw))

    def admin(self, path):
        try:
            with urllib.request.urlopen('http://%s%s' % (self.env['PCA_ADMIN'], path),
                                        timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop_pcad(self):
        """pcad alone stopped (SIGTERM: it drains), PostgreSQL left running.
        Returns once the process has exited: its admin listener closes when
        the drain starts, before it lets go of its database sessions, token
        and ports (a pcaenv up in that gap took the old process for a
        running one and started none)."""
        pid = self.pid()
        os.kill(pid, signal.SIGTERM)
        if not wait_for(lambda: gone(pid), 30):
            raise AssertionError('pcad did not stop')

    def spawn(self, extra_env=None, pcad=None):
        """pcad as the caller's own child (to read its exit status, or to
        hand it a NOTIFY_SOCKET), in place of the one pcaenv started: that
        one is stopped (SIGTERM), the new one logs to pcad.log and owns the
        pid file. Returns the Popen once it answers /livez."""
        self.stop_pcad()
        env = dict(os.environ, SOFTHSM2_CONF=self.env['SOFTHSM2_CONF'], **(extra_env or {}))
        with open(self.env['PCA_LOG'], 'ab') as log:
            p = subprocess.Popen([pcad or os.environ.get('PCAD_BIN') or
                                  os.path.join(ROOT, 'build', 'pcad'),
                                  '--config', self.env['PCA_CONFIG']],
                                 stdout=log, stderr=subprocess.STDOUT, env=env)
        with open(self.env['PCA_PID_FILE'], 'w') as f:
            f.write(str(p.pid))
        if not wait_for(lambda: p.poll() is not None or self.admin_up(), 30) or p.poll() is not None:
            raise AssertionError('the spawned pcad did not start')
        return p

    def admin_up(self):
        """pcad answers /livez (False while nothing listens)."""
        try:
            return self.admin('/livez')[0] == 200
        except OSError:
            return False

    def psql(self, sql, user=None):
        """sql as the cluster's superuser, or as the database role user:
        what psql -tA -c prints (pgwire: a connection kept per cluster and role)."""
        # by where it goes, read afresh: a test may point env at another
        # cluster (a promoted standby)
        where = (self.env['PGHOST'], self.env['PGPORT'], user or self.env['PGUSER'],
                 self.env['PGDATABASE'])
        conn = self.pg_conns.get(where)
        if conn is None:
            conn = self.pg_conns.setdefault(where, PgConn(*where))
        return conn.query(sql).strip()

    def psql_close(self):
        """Lets go of the connections psql() keeps (before a DROP DATABASE)."""
        for conn in self.pg_conns.values():
            conn.close()

    def pg_ctl(self, action, mode='fast'):
        cmd = [PGBIN + '/pg_ctl', '-D', os.path.join(self.dir, 'pg', 'data'),
               '-w', '-m', mode, '-l', os.path.join(self.dir, 'pg', 'log'), action]
        if action == 'start':
            cmd += ['-o', "-k %s -c listen_addresses='' -p %s" % (self.env['PGHOST'],
                                                                    self.env['PGPORT'])]
        if os.geteuid() == 0:
            cmd = ['runuser', '-u', 'postgres', '--'] + cmd
        subprocess.run(cmd, check=True, capture_output=True)

    def server_cert(self, name, ips=('127.0.0.1',)):
        """A new listener certificate (IP SANs ips) and key from pcaenv's
        local TLS CA, written next to the old ones: (cert path, key path)."""
        import ipaddress
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        tls = os.path.join(self.dir, 'tls')
        with open(os.path.join(tls, 'ca.key'), 'rb') as f:
            ca_key = serialization.load_pem_private_key(f.read(), None)
        with open(os.path.join(tls, 'ca.pem'), 'rb') as f:
            ca = x509.load_pem_x509_certificate(f.read())
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([
                    x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]), False)
                .sign(ca_key, hashes.SHA256()))
        paths = os.path.join(tls, name + '.pem'), os.path.join(tls, name + '.key')
        with open(paths[0], 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(paths[1], 'wb') as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        os.chmod(paths[1], 0o600)
        return paths

    # ---- raw requests ----

    def raw(self, target='ListCertificateAuthorities', body=b'{}', *, sign=True, akid=None,
            secret=None, when=None, region=None, service='acm-pca', extra_headers=(),
            signed=('content-type', 'host', 'x-amz-date', 'x-amz-target'),
            content_type='application/x-amz-json-1.1', method='POST', path='/',
            mutate=None):
        """Sends one request signed by this harness's own SigV4 signer.
        mutate(headers) may change the header list after signing.
        Returns (status, headers dict with lower-case names, parsed JSON or text)."""
        if isinstance(body, str):
            body = body.encode()
        host = self.endpoint.split('//', 1)[1]
        when = when or datetime.datetime.now(datetime.timezone.utc)
        amz_date = when.strftime('%Y%m%dT%H%M%SZ')
        headers = [('Host', host), ('X-Amz-Date', amz_date), ('Content-Type', content_type)]
        if target is not None:
            headers.append(('X-Amz-Target', 'ACMPrivateCA.' + target if '.' not in target
                            else target))
        headers += list(extra_headers)
        if sign:
            headers.append(('Authorization', sigv4(
                method, path, headers, body, akid or self.env['AWS_ACCESS_KEY_ID'],
                secret or self.env['AWS_SECRET_ACCESS_KEY'], region or self.env['AWS_REGION'],
                service, amz_date, signed)))
        if mutate:
            headers = mutate(headers)
        return self.send(method, path, headers, body)

    def send(self, method, path, headers, body):
        ctx = ssl.create_default_context(cafile=self.env['PCA_CA_BUNDLE'])
        host, port = self.endpoint.split('//', 1)[1].split(':')
        c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
        try:
            c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            names = {k.lower() for k, _ in headers}
            for k, v in headers:
                c.putheader(k, v)
            if 'content-length' not in names and 'transfer-encoding' not in names:
                c.putheader('Content-Length', str(len(body)))
            c.endheaders()
            if body:
                c.send(body)
            r = c.getresponse()
            data = r.read().decode('utf-8', 'replace')
            hs = {k.lower(): v for k, v in r.getheaders()}
            try:
                data = json.loads(data)
            except ValueError:
                pass
            return r.status, hs, data
        finally:
            c.close()


def sigv4(method, path, headers, body, akid, secret, region, service, amz_date, signed):
    """An independent SigV4 signer (the server's is C; this one is Python)."""
    signed = sorted(signed)
    lower = {}
    for k, v in headers:
        lower.setdefault(k.lower(), []).append(' '.join(v.strip().split()))
    canon_headers = ''.join('%s:%s\n' % (h, ','.join(lower.get(h, []))) for h in signed)
    creq = '\n'.join([method, path, '', canon_headers, ';'.join(signed),
                      hashlib.sha256(body).hexdigest()])
    scope = '%s/%s/%s/aws4_request' % (amz_date[:8], region, service)
    sts = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])

    def h(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    k = h(h(h(h(('AWS4' + secret).encode(), amz_date[:8]), region), service), 'aws4_request')
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
        akid, scope, ';'.join(signed), sig)


class EnvTestCase(unittest.TestCase):
    """A test class sharing one environment between its tests."""

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()

    @classmethod
    def tearDownClass(cls):
        cls.pe.close()

    def assertAwsError(self, resp, status, type_, message_part=None):
        st, hs, body = resp
        self.assertEqual(st, status, body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(body.get('__type'), type_, body)
        self.assertIn('message', body)
        self.assertEqual(hs.get('x-amzn-errortype'), type_)
        self.assertRegex(hs.get('x-amzn-requestid', ''), r'^[0-9a-f-]{36}$')
        if message_part:
            self.assertIn(message_part, body['message'])


TEMPLATE_ARN = 'arn:aws:acm-pca:::template/'


def make_root(c, key, sig, cn, years=10):
    """A ROOT CA made and activated through the API (its own certificate
    issued by itself and imported); its ARN."""
    arn = c.create_certificate_authority(
        CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration={
            'KeyAlgorithm': key, 'SigningAlgorithm': sig, 'Subject': {'CommonName': cn}})[
        'CertificateAuthorityArn']
    c.get_waiter('certificate_authority_csr_created').wait(
        CertificateAuthorityArn=arn, WaiterConfig={'Delay': 1})
    csr = c.get_certificate_authority_csr(CertificateAuthorityArn=arn)['Csr']
    cert_arn = c.issue_certificate(
        CertificateAuthorityArn=arn, Csr=csr.encode(), SigningAlgorithm=sig,
        TemplateArn=TEMPLATE_ARN + 'RootCACertificate/V1',
        Validity={'Value': years, 'Type': 'YEARS'})['CertificateArn']
    c.get_waiter('certificate_issued').wait(CertificateAuthorityArn=arn,
                                            CertificateArn=cert_arn,
                                            WaiterConfig={'Delay': 1})
    cert = c.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)
    assert 'CertificateChain' not in cert, 'a pending root has no chain yet'
    c.import_certificate_authority_certificate(CertificateAuthorityArn=arn,
                                               Certificate=cert['Certificate'].encode())
    return arn


def tcp_listening(port):
    """Something listens on TCP `port` (read from /proc, no connection made)."""
    for name in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(name) as f:
            for line in f.readlines()[1:]:
                local, st = line.split()[1], line.split()[3]
                if st == '0A' and int(local.rsplit(':', 1)[1], 16) == int(port):
                    return True
    return False


def gone(pid):
    """pid has exited (pcad is not the test's child: a zombie counts as
    gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


def wait_for(pred, timeout, step=0.2):
    """Whether pred() held within timeout seconds. A file, socket or
    process that is not there yet (FileNotFoundError, ConnectionError,
    ProcessLookupError) is "not yet", never an error; the last try's error
    is raised only when the time is up."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except (FileNotFoundError, ConnectionError, ProcessLookupError):
            pass
        time.sleep(step)
    return pred()
