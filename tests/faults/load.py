"""A load of IssueCertificate requests for the fault cases: n threads, each
on its own keep-alive HTTPS connection, each request signed afresh and
carrying a fresh IdempotencyToken (the same one again after a connection
error, as a client retries), every outcome recorded with its token: 200
(and its ARN), the __type of an AWS error, or 'conn' when the connection
failed (refused, reset, cut before an answer).

A load that runs until stop() (the background of a fault case) is paced:
each connection starts a request at most every PACE seconds (80 a second
over 16 connections), as a fleet of clients would, so that there are
requests in flight at every fault without the load taking the CPU the
other suites beside it need (flat out, B1's load alone burnt ~50 s of CPU
a pass). A counted load (A1's 2,000) runs flat out."""
import datetime
import http.client
import json
import ssl
import threading
import time
import uuid

from pcatest import sigv4

PACE = 0.2


class Load:

    def __init__(self, pe, body, n=16, each=None):
        """n threads; each: requests per thread (None: until stop())."""
        self.pe, self.body, self.n, self.each = pe, json.loads(body), n, each
        self.outcomes = []  # (token, kind, arn or None, seconds)
        self.mu = threading.Lock()
        self.stop_ev = threading.Event()
        self.threads = []

    def request(self, token):
        body = dict(self.body, IdempotencyToken=token)
        return json.dumps(body).encode()

    def headers(self, body):
        e = self.pe.env
        host = self.pe.endpoint.split('//', 1)[1]
        amz = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        hs = [('Host', host), ('X-Amz-Date', amz),
              ('Content-Type', 'application/x-amz-json-1.1'),
              ('X-Amz-Target', 'ACMPrivateCA.IssueCertificate')]
        hs.append(('Authorization', sigv4(
            'POST', '/', hs, body, e['AWS_ACCESS_KEY_ID'], e['AWS_SECRET_ACCESS_KEY'],
            e['AWS_REGION'], 'acm-pca', amz, ('content-type', 'host', 'x-amz-date',
                                               'x-amz-target'))))
        return hs

    def connect(self):
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        return http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)

    def once(self, conn, token):
        """(kind, arn) of one IssueCertificate with token over conn."""
        body = self.request(token)
        conn.request('POST', '/', body, dict(self.headers(body)))
        r = conn.getresponse()
        data = json.loads(r.read() or b'{}')
        if r.status == 200:
            return 200, data['CertificateArn']
        return data.get('__type', str(r.status)), None

    def run(self):
        """Requests until stopped; after a connection error the same token
        again, as a client retries."""
        conn, token, done, t0 = self.connect(), None, 0, None
        while not self.stop_ev.is_set() and done != self.each:
            if (self.each is None and t0 is not None
                    and self.stop_ev.wait(t0 + PACE - time.monotonic())):
                break
            token = token or uuid.uuid4().hex
            t0 = time.monotonic()
            try:
                kind, arn = self.once(conn, token)
            except (OSError, http.client.HTTPException, ValueError):
                kind, arn = 'conn', None
                conn.close()
                conn = self.connect()
                time.sleep(0.05)
            with self.mu:
                self.outcomes.append((token, kind, arn, time.monotonic() - t0))
            if kind != 'conn':
                token, done = None, done + 1
        conn.close()

    def start(self):
        self.threads = [threading.Thread(target=self.run) for _ in range(self.n)]
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.wait()

    def wait(self, timeout=60):
        for t in self.threads:
            t.join(timeout)

    def count(self, kind):
        with self.mu:
            return sum(1 for o in self.outcomes if o[1] == kind)

    def kinds(self):
        with self.mu:
            return {o[1] for o in self.outcomes}

    def arns(self):
        return [o[2] for o in self.outcomes if o[1] == 200]

    def answers(self):
        """{token: its last outcome's ARN (None: no 200)}, and the tokens a
        connection error cut off at least once."""
        last, cut = {}, set()
        for token, kind, arn, _ in self.outcomes:
            last[token] = arn
            if kind == 'conn':
                cut.add(token)
        return last, cut

    def retry(self, token):
        """One more IssueCertificate with token, on a fresh connection."""
        conn = self.connect()
        try:
            return self.once(conn, token)
        finally:
            conn.close()
