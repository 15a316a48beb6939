"""Raw signed requests: every authentication and protocol error is an
AWS-shaped JSON error, and no rejected request changes anything."""
import datetime
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

from freeport import free_ports
from pcatest import EnvTestCase


class Auth(EnvTestCase):

    def test_signed_request_works(self):
        st, hs, body = self.pe.raw()
        self.assertEqual(st, 200, body)
        self.assertEqual(body, {'CertificateAuthorities': []})
        self.assertEqual(hs['content-type'], 'application/x-amz-json-1.1')
        self.assertRegex(hs['x-amzn-requestid'], r'^[0-9a-f-]{36}$')

    def test_missing_authorization(self):
        self.assertAwsError(self.pe.raw(sign=False), 400, 'MissingAuthenticationTokenException')

    def test_malformed_authorization(self):
        for bad in ('garbage', 'AWS4-HMAC-SHA1 Credential=a/b/c/d/e, SignedHeaders=host, '
                    'Signature=00', 'AWS4-HMAC-SHA256 Credential=x'):
            def m(hs, bad=bad):
                return [(k, bad if k == 'Authorization' else v) for k, v in hs]
            self.assertAwsError(self.pe.raw(mutate=m), 400, 'IncompleteSignatureException')

    def test_required_headers_must_be_signed(self):
        for missing in ('x-amz-target', 'content-type', 'host'):
            signed = [h for h in ('content-type', 'host', 'x-amz-date', 'x-amz-target')
                      if h != missing]
            self.assertAwsError(self.pe.raw(signed=signed), 400, 'IncompleteSignatureException',
                                missing)

    def test_wrong_secret(self):
        self.assertAwsError(self.pe.raw(secret='wrong' + self.pe.env['AWS_SECRET_ACCESS_KEY']),
                            400, 'InvalidSignatureException', 'does not match')

    def test_unknown_key(self):
        self.assertAwsError(self.pe.raw(akid='AKIANOSUCHKEY0000000'), 400,
                            'UnrecognizedClientException')

    def test_old_and_future_signatures(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertAwsError(self.pe.raw(when=now - datetime.timedelta(minutes=20)), 400,
                            'InvalidSignatureException', 'Signature expired')
        self.assertAwsError(self.pe.raw(when=now + datetime.timedelta(minutes=20)), 400,
                            'InvalidSignatureException', 'not yet current')
        st, _, body = self.pe.raw(when=now - datetime.timedelta(minutes=10))
        self.assertEqual(st, 200, body)

    def test_scope(self):
        self.assertAwsError(self.pe.raw(region='eu-west-1'), 400, 'InvalidSignatureException',
                            'region')
        self.assertAwsError(self.pe.raw(service='s3'), 400, 'InvalidSignatureException',
                            'service')

    def test_tampering_after_signing(self):
        # target changed after signing: GetCertificate -> RevokeCertificate
        def retarget(hs):
            return [(k, 'ACMPrivateCA.RevokeCertificate' if k == 'X-Amz-Target' else v)
                    for k, v in hs]
        self.assertAwsError(self.pe.raw('GetCertificate', mutate=retarget), 400,
                            'InvalidSignatureException')
        # body changed after signing
        signed = []

        def capture(hs):
            signed.extend(hs)
            return hs
        self.pe.raw(body=b'{"MaxResults": 1}', mutate=capture)
        resp = self.pe.send('POST', '/', signed, b'{"MaxResults": 2}')
        self.assertAwsError(resp, 400, 'InvalidSignatureException')

    def test_payload_hash_header_must_match(self):
        self.assertAwsError(
            self.pe.raw(extra_headers=[('X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD')],
                        signed=('content-type', 'host', 'x-amz-content-sha256', 'x-amz-date',
                                'x-amz-target')),
            400, 'InvalidSignatureException')

    def test_duplicate_auth_headers(self):
        def dup_auth(hs):
            return hs + [a for a in hs if a[0] == 'Authorization']
        self.assertAwsError(self.pe.raw(mutate=dup_auth), 400, 'IncompleteSignatureException')

        def dup_date(hs):
            return hs + [a for a in hs if a[0] == 'X-Amz-Date']
        self.assertAwsError(self.pe.raw(mutate=dup_date), 400, 'IncompleteSignatureException')

    def test_session_tokens_are_not_ours(self):
        self.assertAwsError(
            self.pe.raw(extra_headers=[('X-Amz-Security-Token', 'FQoGZXIvYXdzEXAMPLE')],
                        signed=('content-type', 'host', 'x-amz-date', 'x-amz-security-token',
                                'x-amz-target')),
            400, 'UnrecognizedClientException')

    def test_secrets_never_logged(self):
        self.pe.raw()
        self.pe.raw(secret='wrong')
        log = self.pe.log()
        self.assertNotIn('Signature=', log)
        self.assertNotIn(self.pe.env['AWS_SECRET_ACCESS_KEY'], log)
        with open(self.pe.env['PCA_PIN_FILE']) as f:
            self.assertNotIn(f.read().strip(), log)


class Protocol(EnvTestCase):

    def test_unknown_and_missing_target(self):
        self.assertAwsError(self.pe.raw('Nope'), 400, 'UnknownOperationException')
        self.assertAwsError(self.pe.raw('CertificateManager.ListCertificates'), 400,
                            'UnknownOperationException')
        self.assertAwsError(self.pe.raw(None, signed=('content-type', 'host', 'x-amz-date')),
                            400, 'IncompleteSignatureException')

        def drop_target(hs):
            return [h for h in hs if h[0] != 'X-Amz-Target']
        self.assertAwsError(self.pe.raw(mutate=drop_target), 400, 'InvalidSignatureException')

    def test_wrong_content_type(self):
        self.assertAwsError(self.pe.raw(content_type='text/plain'), 400, 'SerializationException')

    def test_get_is_not_an_operation(self):
        self.assertAwsError(self.pe.raw(method='GET', body=b''), 400, 'UnknownOperationException')

    def test_malformed_json(self):
        for body in (b'{', b'{} trailing', b'[]', b'{"a":"\\u0000"}', b'{"a":"\xff"}',
                     b'[' * 60000, b'{"MaxResults":1,"MaxResults":2}'):
            self.assertAwsError(self.pe.raw(body=body), 400, 'SerializationException')

    def test_wrong_types(self):
        self.assertAwsError(self.pe.raw(body=b'{"MaxResults":"5"}'), 400, 'SerializationException')
        self.assertAwsError(
            self.pe.raw('DeleteCertificateAuthority',
                        b'{"CertificateAuthorityArn":"arn:aws:acm-pca:us-east-1:123456789012:'
                        b'certificate-authority/x","PermanentDeletionTimeInDays":"7"}'),
            400, 'SerializationException')

    def test_constraints(self):
        self.assertAwsError(self.pe.raw(body=b'{"MaxResults":0}'), 400, 'ValidationException',
                            "at 'maxResults'")
        arn = (b'arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/'
               b'11111111-2222-3333-4444-555555555555')
        self.assertAwsError(self.pe.raw('DeleteCertificateAuthority',
                                        b'{"CertificateAuthorityArn":"' + arn + b'",'
                                        b'"PermanentDeletionTimeInDays":6}'),
                            400, 'ValidationException', 'permanentDeletionTimeInDays')
        self.assertAwsError(self.pe.raw('DeleteCertificateAuthority',
                                        b'{"CertificateAuthorityArn":"x"}'),
                            400, 'InvalidArnException')

    def _raw_exchange(self, head_extra, tail):
        """Sends a signed request's headers plus head_extra, then tail, over
        a TLS socket of its own; returns what the server answered."""
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        headers = []
        self.pe.raw(mutate=lambda hs: headers.extend(hs) or hs)
        req = 'POST / HTTP/1.1\r\n' + ''.join('%s: %s\r\n' % h for h in headers) + head_extra
        with socket.create_connection((host, int(port)), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                t.sendall(req.encode() + tail)
                return t.recv(65536).decode('utf-8', 'replace')

    def test_body_over_cap(self):
        # 5 MiB announced, over the 4 MiB default: refused before it is read
        data = self._raw_exchange('Content-Length: %d\r\n\r\n' % (5 * 1024 * 1024), b'{"a":')
        self.assertTrue(data.startswith('HTTP/1.1 413'), data)
        # the daemon carries on
        self.assertEqual(self.pe.raw()[0], 200)

    def test_headers_over_cap(self):
        # one 20 KiB header, over the 16 KiB default: libevent 2.1.12 refuses
        # it with its own HTML 400 and closes; the daemon carries on
        data = self._raw_exchange('X-Big: ' + 'x' * 20480 + '\r\nContent-Length: 2\r\n\r\n',
                                  b'{}')
        self.assertRegex(data, r'^HTTP/1\.1 (400|413) ')
        self.assertIn('Connection: close', data)
        self.assertEqual(self.pe.raw()[0], 200)

    def test_transfer_encoding_refused(self):
        data = self._raw_exchange('Transfer-Encoding: chunked\r\n\r\n', b'2\r\n{}\r\n0\r\n\r\n')
        self.assertTrue(data.startswith('HTTP/1.1 400'), data)
        self.assertIn('SerializationException', data)

    def test_tls_floor(self):
        """A client offering only TLS 1.0 or only TLS 1.1 (openssl s_client at
        SECLEVEL 0) is refused with a protocol_version alert. The control: the
        same client completes its handshake with an openssl s_server that
        allows that version, so the refusal is pcad's, not the client's."""
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        d = tempfile.mkdtemp(prefix='pcad-tls-')
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=control',
                        '-keyout', os.path.join(d, 'k.pem'), '-out', os.path.join(d, 'c.pem')],
                       check=True, capture_output=True)
        for flag, name in (('-tls1', 'TLSv1'), ('-tls1_1', 'TLSv1.1')):
            with self.subTest(flag):
                control = free_ports(1)[0]
                srv = subprocess.Popen(['openssl', 's_server', '-accept', '127.0.0.1:%d' % control,
                                        '-cert', os.path.join(d, 'c.pem'), '-key',
                                        os.path.join(d, 'k.pem'), flag,
                                        '-cipher', 'DEFAULT@SECLEVEL=0', '-www'],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
                self.addCleanup(srv.wait)
                self.addCleanup(srv.kill)
                said = [srv.stdout.readline() for _ in range(2)]  # DH parameters, then ACCEPT
                self.assertEqual(said[-1], 'ACCEPT\n', said)
                ok = s_client('127.0.0.1', control, flag)
                self.assertRegex(ok, r'Protocol +: %s\n' % re.escape(name), ok)
                self.assertNotIn('Cipher is (NONE)', ok)
                refused = s_client(host, int(port), flag)
                self.assertIn('alert protocol version', refused)
                self.assertIn('Cipher is (NONE)', refused)

    def test_slow_client_is_cut_off_and_others_served(self):
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        s = socket.create_connection((host, int(port)), timeout=30)
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        t = ctx.wrap_socket(s, server_hostname=host)
        t.sendall(b'POST / HTTP/1.1\r\nHost: x\r\n')
        # a normal client is served meanwhile
        self.assertEqual(self.pe.raw()[0], 200)
        # the dribbling one is closed by the request deadline (10 s by default)
        t.settimeout(20)
        closed = False
        try:
            for _ in range(30):
                t.sendall(b'X-Slow: 1\r\n')
                if t.recv(1) == b'':
                    closed = True
                    break
        except (OSError, ssl.SSLError):
            closed = True
        self.assertTrue(closed)
        t.close()


def s_client(host, port, flag):
    """openssl s_client's report of a handshake offering only one old TLS
    version (flag: -tls1 or -tls1_1), its ciphers at security level 0."""
    r = subprocess.run(['openssl', 's_client', '-connect', '%s:%d' % (host, port), flag,
                        '-cipher', 'DEFAULT@SECLEVEL=0'], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


if __name__ == '__main__':
    unittest.main()
