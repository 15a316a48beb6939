"""pcad under systemd's eyes, with systemd's own protocols played by the
test: NOTIFY_SOCKET is a datagram socket the test reads (READY=1 once the
listeners answer, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on
SIGTERM, WATCHDOG=1 at half of WATCHDOG_USEC); SIGHUP reloads the TLS
certificate and key (new connections get the new one, open ones keep
theirs), the log level and the credentials, and an invalid file changes
nothing and says why."""
import hashlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pcatest import EnvTestCase, tcp_listening, wait_for

WATCHDOG_USEC = 400000


class Systemd(EnvTestCase):

    def setUp(self):
        self.sock_path = os.path.join(self.pe.dir, 'notify.sock')
        if os.path.exists(self.sock_path):
            os.unlink(self.sock_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.sock_path)
        self.addCleanup(self.notify.close)
        with open(self.pe.env['PCA_CONFIG']) as f:
            self.conf = f.read()
        self.p = None

    def start(self, **extra):
        self.p = self.pe.spawn(dict({'NOTIFY_SOCKET': self.sock_path,
                                     'WATCHDOG_USEC': str(WATCHDOG_USEC)}, **extra))

    def tearDown(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            self.p.wait(30)
        with open(self.pe.env['PCA_CONFIG'], 'w') as f:
            f.write(self.conf)
        self.pe.up()  # pcaenv's pcad again, for the next test and close()

    def messages(self, until, timeout=10):
        """Datagrams until one contains `until` (its lines as a dict last)."""
        got, end = [], time.monotonic() + timeout
        while time.monotonic() < end:
            self.notify.settimeout(max(0.01, end - time.monotonic()))
            try:
                msg = self.notify.recv(4096).decode()
            except socket.timeout:
                break
            got.append(msg)
            if until in msg.split('\n'):
                return got
        raise AssertionError('no %s in %r' % (until, got))

    def cert_of_new_connection(self):
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        with socket.create_connection((host, int(port)), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()

    def test_ready_watchdog_and_stopping(self):
        self.start()
        msgs = self.messages('READY=1')
        self.assertIn('STATUS=serving acm-pca on https://', msgs[-1])
        # READY=1 came once the listeners were up: the API answers now
        self.assertEqual(self.pe.raw()[0], 200)
        t0 = time.monotonic()
        pings = 0
        while time.monotonic() - t0 < 1.0:
            pings += 'WATCHDOG=1' in self.messages('WATCHDOG=1', 2)[-1]
        self.assertGreaterEqual(pings, 3)  # every 0.2 s
        self.p.send_signal(signal.SIGTERM)
        self.assertIn('STATUS=draining the requests in flight',
                      self.messages('STOPPING=1')[-1])
        self.assertEqual(self.p.wait(30), 0)

    def test_sighup_reloads_tls_log_level_and_refuses_a_bad_file(self):
        self.start()
        self.messages('READY=1')
        before = self.cert_of_new_connection()
        # a keep-alive connection made before the reload
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        keep = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        keep.request('GET', '/livez-nothing')
        keep.getresponse().read()
        cert, key = self.pe.server_cert('rotated')
        self.pe.edit_conf({'server': {'tls_cert_file': cert, 'tls_key_file': key},
                           'log': {'level': 'debug'}})
        self.p.send_signal(signal.SIGHUP)
        msgs = self.messages('READY=1')
        self.assertTrue(any('RELOADING=1' in m.split('\n') for m in msgs), msgs)
        self.assertTrue(any(line.startswith('MONOTONIC_USEC=') for m in msgs
                            for line in m.split('\n')))
        after = self.cert_of_new_connection()
        self.assertNotEqual(after, before)
        with open(cert, 'rb') as f:
            self.assertEqual(after, hashlib.sha256(x509.load_pem_x509_certificate(
                f.read()).public_bytes(serialization.Encoding.DER)).hexdigest())
        # the open connection was not dropped
        keep.request('GET', '/livez-nothing')
        self.assertEqual(keep.getresponse().status, 400)
        keep.close()
        log = self.pe.log()
        self.assertIn('SIGHUP: TLS certificate reloaded from ' + cert, log)
        self.assertTrue(wait_for(lambda: '<7>pcad:' in self.pe.log(), 5), 'no debug line')
        # a change that needs a restart is named; an invalid file changes nothing
        self.pe.edit_conf({'server': {'worker_threads': '3'}})
        self.p.send_signal(signal.SIGHUP)
        self.messages('READY=1')
        self.assertIn('SIGHUP: server.worker_threads changed: it takes effect when pcad next'
                      ' starts', self.pe.log())
        self.pe.edit_conf({'server': {'tls_cert_file': '/nonexistent.pem',
                                      'max_connections': 'many'}})
        self.p.send_signal(signal.SIGHUP)
        self.messages('READY=1')
        self.assertIn("SIGHUP: the configuration stays as it was", self.pe.log())
        self.assertIn("server.max_connections: 'many'", self.pe.log())
        self.assertEqual(self.cert_of_new_connection(), after)
        self.assertEqual(self.pe.raw()[0], 200)

    def test_pin_and_keys_from_load_credential(self):
        # what LoadCredential=hsm-pin:... and sigv4-keys:... leave for the service
        creds = os.path.join(self.pe.dir, 'run-credentials')
        os.makedirs(creds, mode=0o700, exist_ok=True)
        for src, name in (('pin', 'hsm-pin'), ('credentials', 'sigv4-keys')):
            with open(os.path.join(self.pe.dir, src), 'rb') as f:
                data = f.read()
            dst = os.path.join(creds, name)
            with open(dst, 'wb') as f:
                f.write(data)
            os.chmod(dst, 0o400)
        self.pe.edit_conf({'hsm': {'pin_file': 'credential:hsm-pin'},
                           'aws': {'credentials_file': 'credential:sigv4-keys'}})
        self.start(CREDENTIALS_DIRECTORY=creds)
        self.messages('READY=1')
        self.assertEqual(self.pe.raw()[0], 200)
        # the same config without systemd's directory: refused, and why
        r = subprocess.run([os.environ.get('PCAD_BIN', 'pcad'), '--check-config', '--config',
                            self.pe.env['PCA_CONFIG']], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("hsm.pin_file = credential:hsm-pin needs systemd's LoadCredential=",
                      r.stderr)

    def test_socket_activation(self):
        # systemd-socket-activate holds the API port and starts pcad on the
        # first connection, handing it the socket as fd 3 named "api"
        self.pe.stop_pcad()
        host_port = self.pe.endpoint.split('//', 1)[1]
        pcad = os.environ.get('PCAD_BIN') or os.path.join(os.environ['PCAD_ROOT'], 'build', 'pcad')
        with open(self.pe.env['PCA_LOG'], 'ab') as log:
            self.p = subprocess.Popen(
                ['systemd-socket-activate', '-l', host_port, '--fdname=api',
                 '-E', 'SOFTHSM2_CONF=' + self.pe.env['SOFTHSM2_CONF'],
                 '-E', 'NOTIFY_SOCKET=' + self.sock_path,
                 pcad, '--config', self.pe.env['PCA_CONFIG']], stdout=log, stderr=log)
        with open(self.pe.env['PCA_PID_FILE'], 'w') as f:
            f.write(str(self.p.pid))
        port = host_port.rsplit(':', 1)[1]
        listening = lambda: self.p.poll() is not None or tcp_listening(port)
        self.assertTrue(wait_for(listening, 10) and self.p.poll() is None,
                        'systemd-socket-activate is not listening: %s' % self.pe.log()[-2000:])
        time.sleep(0.3)
        self.assertFalse(self.pe.admin_up(), 'pcad started before a client came')
        # the first request is what starts pcad; it waits in the backlog
        st, _, body = self.pe.raw()
        self.assertEqual(st, 200, body)
        self.messages('READY=1')
        self.assertIn('api: listening on the socket systemd passed (fd 3)', self.pe.log())
        self.assertTrue(self.pe.admin_up())  # the admin listener pcad bound itself
        self.p.send_signal(signal.SIGTERM)
        self.assertEqual(self.p.wait(30), 0)


if __name__ == '__main__':
    unittest.main()
