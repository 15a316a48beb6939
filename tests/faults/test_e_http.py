"""Matrix E (security-and-faults.md 5.2) and C18: the HTTP front door
tried with raw TLS sockets against the real pcad. Every smuggling shape is
refused with a 400 (or 411/413/505) and the connection closed; the complete
signed IssueCertificate sent behind it in the same write is never run (the
certificate count does not move); only POST / reaches an operation."""
import datetime
import os
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from pcatest import sigv4  # noqa: E402
from invariants import FaultCase  # noqa: E402


class FrontDoor(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_ca('front door root')

    def signed(self, target='ListCertificateAuthorities', body=b'{}', path='/', host=None):
        """The bytes of one correctly signed request (not sent)."""
        env = self.pe.env
        host = host or self.pe.endpoint.split('//', 1)[1]
        amz_date = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        hs = [('Host', host), ('X-Amz-Date', amz_date),
              ('Content-Type', 'application/x-amz-json-1.1'),
              ('X-Amz-Target', 'ACMPrivateCA.' + target)]
        hs.append(('Authorization', sigv4(
            'POST', path, hs, body, env['AWS_ACCESS_KEY_ID'], env['AWS_SECRET_ACCESS_KEY'],
            env['AWS_REGION'], 'acm-pca', amz_date,
            ('content-type', 'host', 'x-amz-date', 'x-amz-target'))))
        return (('POST %s HTTP/1.1\r\n' % path) + ''.join('%s: %s\r\n' % h for h in hs) +
                'Content-Length: %d\r\n\r\n' % len(body)).encode() + body

    def issue_request(self):
        return self.signed('IssueCertificate', self.issue_body)

    def exchange(self, data, wait=3.0):
        """Sends data in one write; returns everything the server answered
        until it closed the connection (or wait passed): (bytes, closed)."""
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        out, closed = b'', False
        with socket.create_connection((host, int(port)), timeout=wait) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                t.sendall(data)
                deadline = time.monotonic() + wait
                try:
                    while time.monotonic() < deadline:
                        chunk = t.recv(65536)
                        if not chunk:
                            closed = True
                            break
                        out += chunk
                except (ssl.SSLError, ConnectionResetError):
                    closed = True
                except socket.timeout:
                    pass
        return out, closed

    def assertRefused(self, head, status=400, type_='SerializationException'):
        """head (a request head and maybe a body) followed by a complete
        signed IssueCertificate: one refusal, the connection closed,
        nothing issued."""
        before = self.certs()
        out, closed = self.exchange(head + self.issue_request())
        text = out.decode('utf-8', 'replace')
        self.assertTrue(text.startswith('HTTP/1.1 %d ' % status), (head, text[:300]))
        self.assertEqual(text.count('\r\n\r\n'), 1, (head, text))  # one reply
        self.assertIn('Connection: close', text)
        self.assertIn('"__type":"%s"' % type_, text.replace(' ', ''))
        self.assertTrue(closed, head)
        self.assertEqual(self.certs(), before, head)

    def test_e8_smuggling_shapes(self):
        host = self.pe.endpoint.split('//', 1)[1]
        pre = b'POST / HTTP/1.1\r\nHost: ' + host.encode() + b'\r\n'
        shapes = [
            pre + b'Content-Length: 2\r\nContent-Length: 900\r\n\r\n{}',
            pre + b'Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
            pre + b'Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
            pre + b'Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
            pre + b'Transfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n\r\n',
            pre + b'X-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\n{}',
            pre + b'Content-Length: 2\x00 445\r\n\r\n{}',
            pre + b': empty\r\nContent-Length: 2\r\n\r\n{}',
            b'POST / HTTP/1.1\nHost: ' + host.encode() + b'\nContent-Length: 2\n\n{}',
            pre + b'X-A: 1\rX-B: 2\r\nContent-Length: 2\r\n\r\n{}',
            b'POST / HTTP/1.99999999999\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
            pre + b'Host: evil.example.com\r\nContent-Length: 2\r\n\r\n{}',
            b'POST http://x/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}',
            # RFC 9112 5.1: white space before the colon (fabdc61: framed the body)
            pre + b'Content-Length : 2\r\n\r\n{}',
            b'POST / HTTP/1.1\r\nHost : ' + host.encode() + b'\r\nContent-Length: 2\r\n\r\n{}',
        ]
        for shape in shapes:
            with self.subTest(shape=shape):
                self.assertRefused(shape)
        self.assertRefused(pre + b'\r\n', 411, 'MissingContentLength')
        self.assertRefused(b'POST / HTTP/2.0\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', 505,
                           'HttpVersionNotSupported')
        self.assertRefused(b'PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', 405,
                           'MethodNotAllowed')
        # the daemon carries on, and a clean pair on one connection is served
        out, _ = self.exchange(self.signed() + self.signed(), wait=2)
        self.assertEqual(out.count(b'HTTP/1.1 200 OK'), 2, out)

    def test_e9_trailing_blanks_on_several_headers(self):
        """A signed request whose headers (not only the last) end in blanks
        is served (fabdc61: the header walk lost its place, "400 Empty
        header name")."""
        req = self.signed()
        head, body = req.split(b'\r\n\r\n', 1)
        lines = head.split(b'\r\n')
        # (http-parser takes no HTAB after a Content-Length's digits: spaces there)
        head = b'\r\n'.join([lines[0]] + [
            ln + (b'  ' if ln.lower().startswith(b'content-length') else b' \t ')
            for ln in lines[1:]])
        out, _ = self.exchange(head + b'\r\n\r\n' + body, wait=2)
        self.assertTrue(out.startswith(b'HTTP/1.1 200 OK'), out[:300])
        self.assertIn(b'"CertificateAuthorities"', out)

    def test_e7_pipelined_issue_in_order(self):
        before = self.certs()
        out, _ = self.exchange(self.signed() + self.issue_request() + self.signed(), wait=5)
        replies = [r for r in out.split(b'HTTP/1.1 ')[1:]]
        self.assertEqual(len(replies), 3, out)
        self.assertTrue(all(r.startswith(b'200 OK') for r in replies), out)
        self.assertIn(b'"CertificateArn"', replies[1])
        self.assertNotIn(b'CertificateArn', replies[0] + replies[2])
        self.assertEqual(self.certs(), before + 1)

    def test_c18_only_post_slash_runs_an_operation(self):
        before = self.certs()
        for path in ('/x', '/x/y', '/?a=b', '//'):
            with self.subTest(path=path):
                out, _ = self.exchange(self.signed('IssueCertificate', self.issue_body, path),
                                       wait=2)
                self.assertTrue(out.startswith(b'HTTP/1.1 400 '), out[:200])
                self.assertIn(b'UnknownOperationException', out)
        self.assertEqual(self.certs(), before)
        # GET is not an operation either, signed or not
        self.assertAwsError(self.pe.raw(method='GET', body=b''), 400, 'UnknownOperationException')

    def s_client(self, *args):
        """openssl s_client with args against pcad: (handshake done, output)."""
        host_port = self.pe.endpoint.split('//', 1)[1]
        r = subprocess.run(['openssl', 's_client', '-connect', host_port, '-CAfile',
                            self.pe.env['PCA_CA_BUNDLE'], '-brief', *args],
                           input='', capture_output=True, text=True, timeout=30)
        return 'CONNECTION ESTABLISHED' in r.stderr + r.stdout, r.stderr + r.stdout

    def test_e2_weak_suites_are_refused(self):
        # the suites the listener offers for TLS 1.2: ECDHE, AEAD (what
        # aws-cli and the SDKs use); one of them is accepted
        ok, out = self.s_client('-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256')
        self.assertTrue(ok, out)
        # RSA key exchange, CBC, SHA-1 MACs, no forward secrecy, DHE, NULL
        for suite in ('AES128-SHA', 'AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-SHA',
                      'ECDHE-ECDSA-AES256-SHA384', 'DHE-RSA-AES128-GCM-SHA256',
                      'ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0'):
            with self.subTest(suite=suite):
                ok, out = self.s_client('-tls1_2', '-cipher', suite)
                self.assertFalse(ok, out)
        ok, out = self.s_client('-tls1_3')
        self.assertTrue(ok, out)

    def test_e3_plain_http_on_the_tls_port(self):
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}')
            data = b''
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except (ConnectionResetError, socket.timeout):
                pass
        self.assertNotIn(b'HTTP/1.1 200', data)
        self.assertEqual(self.pe.raw()[0], 200)

    def test_c3_c4_caps_close_the_connection(self):
        host = self.pe.endpoint.split('//', 1)[1].encode()
        pre = b'POST / HTTP/1.1\r\nHost: ' + host + b'\r\n'
        self.assertRefused(pre + b'Content-Length: %d\r\n\r\n' % (5 * 1024 * 1024), 413,
                           'RequestEntityTooLarge')
        self.assertRefused(pre + b'X-Big: ' + b'x' * 20480 + b'\r\nContent-Length: 2\r\n\r\n{}',
                           413, 'RequestEntityTooLarge')
        self.assertRefused(pre + b'X: 1\r\n' * 200 + b'Content-Length: 2\r\n\r\n{}', 413,
                           'RequestEntityTooLarge')

    def reply(self, data):
        out, _ = self.exchange(data, wait=2)
        return out.decode('utf-8', 'replace')

    def test_signed_host_is_bound_to_the_names_served(self):
        port = self.pe.endpoint.rsplit(':', 1)[1]
        before = self.certs()
        for host in ('evil.example.com', 'evil.example.com:' + port, '127.0.0.2:' + port):
            with self.subTest(host=host):
                text = self.reply(self.signed('IssueCertificate', self.issue_body, host=host))
                self.assertTrue(text.startswith('HTTP/1.1 400 '), text[:200])
                self.assertIn('InvalidSignatureException', text)
                self.assertIn('is not a name of this endpoint', text)
        self.assertEqual(self.certs(), before)
        # by default: the listen host and localhost, on any port
        self.assertIn('200 OK', self.reply(self.signed(host='localhost:' + port)))
        self.assertIn('200 OK', self.reply(self.signed(host='LOCALHOST')))
        self.pe.reconfigure({'server': {'names': 'pki.test:%s, [::1]' % port}})
        try:
            self.assertIn('200 OK', self.reply(self.signed(host='PKI.test:' + port)))
            self.assertIn('200 OK', self.reply(self.signed(host='[::1]:1234')))
            for host in ('pki.test:1', 'pki.test', '127.0.0.1:' + port):
                with self.subTest(host=host):
                    self.assertIn('InvalidSignatureException', self.reply(self.signed(host=host)))
        finally:
            self.pe.reconfigure({'server': {'names': ''}})
        self.assertIn('200 OK', self.reply(self.signed()))


if __name__ == '__main__':
    unittest.main()
