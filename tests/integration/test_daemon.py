"""The pcad binary itself: flags, config errors, and a token it cannot use."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from pcatest import EnvTestCase

PCAD = os.environ.get('PCAD_BIN') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'build', 'pcad')


class Daemon(EnvTestCase):

    def run_pcad(self, *args, conf=None, timeout=30):
        env = dict(os.environ, SOFTHSM2_CONF=self.pe.env['SOFTHSM2_CONF'])
        cmd = [PCAD, *args]
        if conf is not None:
            cmd += ['--config', conf]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)

    def conf_with(self, replace):
        """A copy of the environment's config with some lines replaced, on
        other ports so it cannot collide with the running pcad."""
        with open(self.pe.env['PCA_CONFIG']) as f:
            text = f.read()
        text = re.sub(r'listen = 127\.0\.0\.1:\d+', 'listen = 127.0.0.1:0', text)
        for old, new in replace:
            self.assertIn(old, text)
            text = text.replace(old, new)
        d = tempfile.mkdtemp(prefix='pcad-conf-')
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, 'pcad.conf')
        with open(path, 'w') as f:
            f.write(text)
        return path, d

    def start_second(self, extra):
        """A second pcad on the same database and token, on fresh ports, with
        extra config lines in [server]. Returns (api_port, admin_port)."""
        import socket
        import time
        ports = []
        socks = [socket.socket() for _ in range(3)]
        for so in socks:
            so.bind(('127.0.0.1', 0))
            ports.append(so.getsockname()[1])
        for so in socks:
            so.close()
        path, d = self.conf_with([])
        with open(path) as f:
            text = f.read()
        listens = iter(ports)
        text = re.sub(r'listen = 127\.0\.0\.1:0', lambda m: 'listen = 127.0.0.1:%d' % next(listens),
                      text)
        text = text.replace('[server]\n', '[server]\n' + extra + '\n', 1)
        with open(path, 'w') as f:
            f.write(text)
        env = dict(os.environ, SOFTHSM2_CONF=self.pe.env['SOFTHSM2_CONF'])
        log = open(os.path.join(d, 'pcad.log'), 'w')
        proc = subprocess.Popen([PCAD, '--config', path], stdout=log, stderr=log, env=env)
        self.addCleanup(log.close)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.terminate)
        from pcatest import wait_for
        import urllib.request

        def ready():
            try:
                with urllib.request.urlopen('http://127.0.0.1:%d/readyz' % ports[1], timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        self.assertTrue(wait_for(ready, 20), 'second pcad did not start')
        return ports[0], ports[1]

    def tls_connect(self, port, timeout):
        import socket
        import ssl
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        try:
            return ctx.wrap_socket(s, server_hostname='127.0.0.1')
        except BaseException:
            s.close()
            raise

    def test_connection_cap(self):
        import socket
        api, _ = self.start_second('max_connections = 3')
        held = [self.tls_connect(api, 5) for _ in range(3)]
        # at the cap, accepting pauses: a fourth handshake does not complete
        with self.assertRaises((socket.timeout, TimeoutError)):
            self.tls_connect(api, 1.5).close()
        held.pop().close()
        # below the cap again: served
        c = self.tls_connect(api, 5)
        c.close()
        for h in held:
            h.close()

    def test_pipelined_requests_answered_in_order(self):
        headers = []
        bodies = [b'{"MaxResults": 1}', b'{"MaxResults": 2}', b'{"MaxResults": 3}']
        reqs = b''
        for b in bodies:
            hs = []
            self.pe.raw(body=b, mutate=lambda h, hs=hs: hs.extend(h) or h)
            reqs += ('POST / HTTP/1.1\r\n' + ''.join('%s: %s\r\n' % h for h in hs) +
                     'Content-Length: %d\r\n\r\n' % len(b)).encode() + b
        port = int(self.pe.endpoint.rsplit(':', 1)[1])
        t = self.tls_connect(port, 10)
        t.sendall(reqs)
        data = b''
        while data.count(b'HTTP/1.1 200') < 3:
            chunk = t.recv(65536)
            if not chunk:
                break
            data += chunk
        t.close()
        self.assertEqual(data.count(b'HTTP/1.1 200 OK'), 3, data)
        self.assertEqual(self.pe.raw()[0], 200)

    def test_version(self):
        r = self.run_pcad('--version')
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r'^pcad \d+\.\d+\.\d+')
        for lib in ('OpenSSL 3', 'libevent 2.1', 'libpq ', 'jansson 2'):
            self.assertIn(lib, r.stdout)

    def test_check_config(self):
        r = self.run_pcad('--check-config', conf=self.pe.env['PCA_CONFIG'])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('configuration ok', r.stdout)

    def test_check_config_refuses_listen_addresses_that_cannot_bind(self):
        # each passed --check-config before, and then failed at start
        for bad, says in (('127.0.0.1:99999', 'is not host:port'),
                          ('localhost:nonsense', 'is not host:port'),
                          ('127.0.0.1', 'is not host:port'),
                          ('::1:8443', 'is not host:port'),
                          ('no-such-host.invalid:8443', 'does not resolve'),
                          # unauthenticated: loopback only without allow_remote (issue 25)
                          ('0.0.0.0:0', 'is not a loopback address'),
                          ('[::]:0', 'is not a loopback address')):
            with self.subTest(listen=bad):
                path, _ = self.conf_with([('[admin]\nlisten = 127.0.0.1:0',
                                           '[admin]\nlisten = ' + bad)])
                r = self.run_pcad('--check-config', conf=path)
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertIn("admin.listen", r.stderr)
                self.assertIn(says, r.stderr)
        path, _ = self.conf_with([('[admin]\nlisten = 127.0.0.1:0', '[admin]\nlisten = [::1]:0')])
        r = self.run_pcad('--check-config', conf=path)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_check_config_loads_the_tls_pair_and_parses_the_conninfo(self):
        tls = os.path.join(self.pe.dir, 'tls')
        # a key that is not the certificate's
        path, _ = self.conf_with([(os.path.join(tls, 'server.key'), os.path.join(tls, 'ca.key'))])
        r = self.run_pcad('--check-config', conf=path)
        self.assertEqual(r.returncode, 1)
        self.assertIn('does not match the certificate', r.stderr)
        with open(self.pe.env['PCA_CONFIG']) as f:
            conninfo = re.search(r'^conninfo = (.*)$', f.read(), re.M).group(1)
        path, _ = self.conf_with([(conninfo, conninfo + " sslmode='unterminated")])
        r = self.run_pcad('--check-config', conf=path)
        self.assertEqual(r.returncode, 1)
        self.assertIn('database.conninfo: ', r.stderr)

    def test_check_config_connect_tries_the_database_and_the_token(self):
        r = self.run_pcad('--check-config', '--connect', conf=self.pe.env['PCA_CONFIG'])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('database: ok', r.stdout)
        self.assertIn("token '%s': ok (logged in, the probe key signs)"
                      % self.pe.env['PCA_TOKEN_LABEL'], r.stdout)
        # the database away, the token still there: which failed, and why
        with open(self.pe.env['PCA_CONFIG']) as f:
            conninfo = re.search(r'^conninfo = (.*)$', f.read(), re.M).group(1)
        path, _ = self.conf_with([(conninfo, 'host=/nonexistent dbname=pcad')])
        r = self.run_pcad('--check-config', '--connect', conf=path)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r'database: The database is unavailable: .*/nonexistent')
        self.assertIn("': ok (logged in, the probe key signs)", r.stdout)
        self.assertEqual(self.run_pcad('--connect', conf=path).returncode, 2)

    def test_config_errors_name_the_line(self):
        path, _ = self.conf_with([('[admin]', '[admin]\nlisten_address = 1')])
        r = self.run_pcad('--check-config', conf=path)
        self.assertNotEqual(r.returncode, 0)
        with open(path) as f:
            line = f.read().split('\n').index('listen_address = 1') + 1
        self.assertIn('%s:%d: unknown key' % (path, line), r.stderr)
        path, _ = self.conf_with([('region = us-east-1', 'region = us-east-1\nmax_clock_skew = soon')])
        r = self.run_pcad(conf=path)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("aws.max_clock_skew: 'soon'", r.stderr)

    def test_wrong_pin_exits(self):
        path, d = self.conf_with([])
        pin = os.path.join(d, 'pin')
        with open(pin, 'w') as f:
            f.write('not-the-pin\n')
        os.chmod(pin, 0o600)
        path, _ = self.conf_with([('pin_file = ' + self.pe.env['PCA_PIN_FILE'], 'pin_file = ' + pin)])
        r = self.run_pcad(conf=path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('CKR_PIN_INCORRECT', r.stderr)
        self.assertNotIn('not-the-pin', r.stderr)

    def test_pin_file_must_be_private(self):
        path, d = self.conf_with([])
        pin = os.path.join(d, 'pin')
        shutil.copy(self.pe.env['PCA_PIN_FILE'], pin)
        os.chmod(pin, 0o644)
        path, _ = self.conf_with([('pin_file = ' + self.pe.env['PCA_PIN_FILE'], 'pin_file = ' + pin)])
        with open(pin) as f:
            secret = f.read().strip()
        # refused by --check-config already (it passed before, and the start
        # failed), and by a start
        for args in (('--check-config',), ()):
            r = self.run_pcad(*args, conf=path)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn('0600', r.stderr)
            self.assertIn('mode 0644', r.stderr)
            self.assertNotIn(secret, r.stderr + r.stdout)
        # B10: 0600 but owned by another user (nobody); a symlink to it
        os.chmod(pin, 0o600)
        os.chown(pin, 65534, 65534)
        r = self.run_pcad(conf=path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('owner uid 65534', r.stderr)
        self.assertNotIn(secret, r.stderr)
        link = os.path.join(d, 'pin-link')
        os.symlink(self.pe.env['PCA_PIN_FILE'], link)
        path, _ = self.conf_with([('pin_file = ' + self.pe.env['PCA_PIN_FILE'],
                                   'pin_file = ' + link)])
        r = self.run_pcad(conf=path)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn('cannot open', r.stderr)

    def test_wrong_label_exits(self):
        path, _ = self.conf_with([('token_label = pcad', 'token_label = no-such-token')])
        r = self.run_pcad(conf=path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no token labelled 'no-such-token'", r.stderr)

    def test_wrong_module_exits(self):
        path, _ = self.conf_with([(self.pe.env['PCA_PKCS11_MODULE'], '/usr/lib/x86_64-linux-gnu/libc.so.6')])
        r = self.run_pcad(conf=path)
        self.assertEqual(r.returncode, 1)
        self.assertIn('is not a PKCS#11 module', r.stderr)
        path, _ = self.conf_with([(self.pe.env['PCA_PKCS11_MODULE'], '/nonexistent/module.so')])
        r = self.run_pcad(conf=path)
        self.assertEqual(r.returncode, 1)

    def test_sighup_reloads_credentials(self):
        import signal
        creds = os.path.join(os.path.dirname(self.pe.env['PCA_CONFIG']), 'credentials')
        with open(creds) as f:
            original = f.read()
        try:
            with open(creds, 'a') as f:
                f.write('AKIAEXTRAKEY00000000 extra-secret 111111111111\n')
            os.kill(self.pe.pid(), signal.SIGHUP)
            from pcatest import wait_for
            self.assertTrue(wait_for(lambda: self.pe.raw(akid='AKIAEXTRAKEY00000000',
                                                         secret='extra-secret')[0] == 200, 5))
        finally:
            with open(creds, 'w') as f:
                f.write(original)
            os.kill(self.pe.pid(), signal.SIGHUP)
        from pcatest import wait_for
        self.assertTrue(wait_for(lambda: self.pe.raw(akid='AKIAEXTRAKEY00000000',
                                                     secret='extra-secret')[0] == 400, 5))
        self.assertEqual(self.pe.raw()[0], 200)


if __name__ == '__main__':
    unittest.main()
