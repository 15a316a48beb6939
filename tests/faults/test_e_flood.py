"""Matrix E4, E5 and E6 (security-and-faults.md 5.2): slow and idle
clients against the real pcad (request_timeout = 5 s: the TLS handshake,
the head and the body of a request must all arrive within it).
  E4  200 TLS connections sending their head a byte a second: each is
      closed at the deadline, and a normal client is served meanwhile;
  E5  20 connections sending a 60,000-byte body at a byte a second: closed
      at the deadline, pcad's memory unmoved;
  E6  5,000 idle connections: pcad accepts up to max_connections and
      pauses (the rest wait in the kernel's backlog), its descriptors stay
      bounded, the accepted ones are closed at the deadline, its admin
      listener answers throughout, and once the flood is gone a new client
      is served at once.
  E6b the same on the unauthenticated publish and admin listeners: each
      accepts up to its own cap ([publish]/[admin] max_connections), the
      API is served within a second meanwhile (WAIT_MAX: two under ASan).
  E6c the publish listener busy and flooded at once (16 clients sending
      3.9 MB OCSP requests of 50,000 CertIDs in a loop, 4 sending 16
      CertIDs with a nonce (a signature by the CA key each), 4 sending 500
      CertIDs, and 200 idle sockets held open): it has its own workers, so
      no API call waits more than a second."""
import http.client
import json
import multiprocessing
import os
import random
import re
import resource
import selectors
import socket
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from cryptography import x509  # noqa: E402
from invariants import FaultCase  # noqa: E402
from pcatest import wait_for  # noqa: E402
import ocspreq  # noqa: E402
from pki import ca_pem  # noqa: E402

TIMEOUT = 5       # [server] request_timeout
MAX_CONNS = 512   # [server] max_connections
PUBLISH_CAP = 32  # [publish] max_connections
ADMIN_CAP = 8     # [admin] max_connections
# the longest a normal client may wait during a flood: 1 s, twice that
# under ASan+UBSan, which makes pcad two to three times slower (timing
# under the sanitizers is not the product's; E6b's API call once took
# 1.05 s there)
WAIT_MAX = 2.0 if 'ASAN_OPTIONS' in os.environ else 1.0


class Flood(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pe.reconfigure({'server': {'request_timeout': str(TIMEOUT),
                                       'max_connections': str(MAX_CONNS)},
                            'publish': {'max_connections': str(PUBLISH_CAP)},
                            'admin': {'max_connections': str(ADMIN_CAP)}})
        cls.make_ca('flood root')
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))

    def addr(self):
        host, port = self.pe.endpoint.split('//', 1)[1].split(':')
        return host, int(port)

    def tls(self, born):
        """A TLS connection to the API, kept in born with when it connected
        (its deadline runs from pcad's accept)."""
        host, port = self.addr()
        ctx = ssl.create_default_context(cafile=self.pe.env['PCA_CA_BUNDLE'])
        t0 = time.monotonic()
        born[ctx.wrap_socket(socket.create_connection((host, port), timeout=10),
                             server_hostname=host)] = t0

    def fds(self):
        return len(os.listdir('/proc/%d/fd' % self.pe.pid()))

    def conns(self, addr):
        """pcad's connections accepted on the listener at addr ('host:port'),
        and the connections waiting in that listener's accept queue."""
        port = int(addr.rsplit(':', 1)[1])
        fd_dir = '/proc/%d/fd' % self.pe.pid()
        mine = set()
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except FileNotFoundError:  # closed meanwhile
                continue
            if target.startswith('socket:['):
                mine.add(target[8:-1])
        # by inode: the kernel writes these tables in chunks while sockets
        # come and go, and a socket can be listed twice in one read
        accepted, queued = set(), {}
        for table in ('/proc/net/tcp', '/proc/net/tcp6'):
            with open(table) as f:
                for row in list(f)[1:]:
                    col = row.split()
                    if int(col[1].rsplit(':', 1)[1], 16) != port or col[9] not in mine:
                        continue
                    if col[3] == '0A':  # LISTEN: rx_queue is the accept queue
                        queued[col[9]] = int(col[4].split(':')[1], 16)
                    else:
                        accepted.add(col[9])
        return len(accepted), sum(queued.values())

    def rss_kib(self):
        with open('/proc/%d/status' % self.pe.pid()) as f:
            return int(next(x for x in f if x.startswith('VmRSS:')).split()[1])

    def dribble(self, born, payload, every):
        """Sends payload a byte per `every` seconds on each socket of born
        until pcad closes them; {sock: seconds from its connect to the
        close}."""
        sel = selectors.DefaultSelector()
        socks, closed, sent = list(born), {}, 0
        for s in socks:
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        next_send = time.monotonic()
        end = time.monotonic() + TIMEOUT + 10
        while len(closed) < len(socks) and time.monotonic() < end:
            if time.monotonic() >= next_send and sent < len(payload):
                for s in socks:
                    if s not in closed:
                        try:
                            s.send(payload[sent:sent + 1])
                        except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                            pass
                        except OSError:
                            closed[s] = time.monotonic() - born[s]
                sent += 1
                next_send += every
            for key, _ in sel.select(0.2):
                s = key.fileobj
                try:
                    if s.recv(4096):
                        continue
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    continue
                except OSError:
                    pass
                closed.setdefault(s, time.monotonic() - born[s])
                sel.unregister(s)
        for s in socks:
            s.close()
        return closed

    def served_meanwhile(self, stop, worst):
        while not stop.is_set():
            t0 = time.monotonic()
            st = self.pe.raw()[0]
            worst.append((st, time.monotonic() - t0))
            time.sleep(0.3)

    def test_e4_slowloris(self):
        born = {}
        for _ in range(200):
            self.tls(born)
        stop, seen = threading.Event(), []
        t = threading.Thread(target=self.served_meanwhile, args=(stop, seen))
        t.start()
        try:
            closed = self.dribble(born, b'POST / HTTP/1.1\r\nHost: x\r\n', 1.0)
        finally:
            stop.set()
            t.join()
        self.assertEqual(len(closed), 200, 'slow connections still open after the deadline')
        late = max(closed.values())
        self.assertGreater(min(closed.values()), TIMEOUT - 1)
        self.assertLess(late, TIMEOUT + 3)
        self.assertTrue(seen)
        self.assertEqual({st for st, _ in seen}, {200})
        self.assertLess(max(d for _, d in seen), 2 * WAIT_MAX,
                        'a normal client waited during the attack')

    def test_e5_slow_body(self):
        rss = self.rss_kib()
        born = {}
        for _ in range(20):
            self.tls(born)
        for s in born:
            s.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n'
                      b'Content-Length: 60000\r\n\r\n{')
        closed = self.dribble(born, b'"' * 60000, 1.0)
        self.assertEqual(len(closed), 20)
        self.assertLess(max(closed.values()), TIMEOUT + 3)
        self.assertLess(self.rss_kib() - rss, 16 * 1024)

    def test_e6_connection_flood(self):
        host, port = self.addr()
        base = self.fds()
        socks, peak = [], 0
        for _ in range(5000):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((host, port))
            socks.append(s)
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        closed = set()
        end = time.monotonic() + TIMEOUT + 4
        livez = []
        while time.monotonic() < end:
            peak = max(peak, self.fds())
            t0 = time.monotonic()
            livez.append((self.pe.admin('/livez')[0], time.monotonic() - t0))
            for key, _ in sel.select(0.5):
                try:
                    if key.fileobj.recv(1):
                        continue
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                closed.add(key.fileobj)
                sel.unregister(key.fileobj)
        self.assertLess(peak, base + MAX_CONNS + 16, 'descriptors beyond the connection cap')
        self.assertEqual({st for st, _ in livez}, {200})
        self.assertLess(max(d for _, d in livez), WAIT_MAX)
        # those accepted were closed at the deadline (the others wait)
        self.assertGreaterEqual(len(closed), MAX_CONNS - 16)
        self.assertIn('connection cap (%d) reached' % MAX_CONNS, self.pe.log())
        for s in socks:
            s.close()
        t0 = time.monotonic()
        st = self.pe.raw()[0]
        took = time.monotonic() - t0
        self.assertEqual(st, 200)
        self.assertLess(took, TIMEOUT)
        print('E6: peak %d fds (base %d), %d closed at the deadline, served %.2f s after'
              % (peak, base, len(closed), took), file=sys.stderr)
        # the closed clients left their connections in the accept queue:
        # pcad accepts each and closes it on its end of file
        self.assertTrue(wait_for(lambda: self.conns(self.pe.endpoint) == (0, 0), TIMEOUT + 5, 0.5),
                        self.conns(self.pe.endpoint))
        self.assertTrue(wait_fds(self, base + 16))

    def test_e6b_publish_and_admin_caps(self):
        """Idle floods on the unauthenticated listeners (1,000 sockets on
        publish, 300 on admin) are accepted only up to each listener's own
        cap, and the API answers within a second throughout (fabdc61: only
        TLS connections were counted, every plain socket was accepted)."""
        listeners = (self.pe.env['PCA_PUBLISH'], self.pe.env['PCA_ADMIN'])
        socks, api, most = [], [], [0, 0]
        for addr, n in zip(listeners, (1000, 300)):
            host, port = addr.split(':')
            for _ in range(n):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex((host, int(port)))
                socks.append(s)
        try:
            end = time.monotonic() + 4
            while time.monotonic() < end:
                most = [max(m, self.conns(addr)[0]) for m, addr in zip(most, listeners)]
                t0 = time.monotonic()
                api.append((self.pe.raw()[0], time.monotonic() - t0))
                time.sleep(0.2)
            # each listener's own connections (the process's descriptor
            # count also moves with E6's clients, whose connections the
            # kernel completes for tens of seconds after they closed)
            self.assertEqual(most, [PUBLISH_CAP, ADMIN_CAP], 'connections beyond a listener\'s cap')
            self.assertEqual({st for st, _ in api}, {200})
            self.assertLess(max(d for _, d in api), WAIT_MAX)
            log = self.pe.log()
            self.assertIn('publish: connection cap (%d) reached' % PUBLISH_CAP, log)
            self.assertIn('admin: connection cap (%d) reached' % ADMIN_CAP, log)
        finally:
            for s in socks:
                s.close()
        print('E6b: at most %d publish and %d admin connections' % tuple(most), file=sys.stderr)
        self.assertTrue(wait_for(lambda: [self.conns(a) for a in listeners] == [(0, 0)] * 2,
                                 TIMEOUT + 5, 0.5))
        self.assertTrue(wait_for_admin(self))


LOAD_SECONDS = 10
IDLE_SOCKETS = 200  # below [publish] max_connections (256) with the 24 clients: all accepted


class PublishLoad(FaultCase):
    """E6c: the defaults of [server] and [publish] (the API's 16 workers;
    publish's own pool, if it has one)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_ca('publish load root')
        cls.c.update_certificate_authority(
            CertificateAuthorityArn=cls.ca,
            RevocationConfiguration={'OcspConfiguration': {'Enabled': True}})
        with open(ca_pem(cls.c, cls.ca, cls.pe.dir), 'rb') as f:
            cls.issuer = x509.load_pem_x509_certificate(f.read())

    def requests(self):
        """{kind: (DER request or a function making one, clients)}."""
        def serials(n):
            return [random.getrandbits(127) | 1 << 127 for _ in range(n)]
        huge = ocspreq.request(self.issuer, serials(50000))
        some = ocspreq.request(self.issuer, serials(500), os.urandom(32))
        return {'huge': (huge, 16), 'over': (some, 4),
                'nonce': (lambda: ocspreq.request(self.issuer, serials(16), os.urandom(32)), 4)}

    def test_e6c_publish_load_leaves_the_api_alone(self):
        """The API's DescribeCertificateAuthority, every 0.2 s for 10 s while
        the publish listener is loaded and flooded, never waits a second
        (d498921: publish shared the API's workers; with 16 such requests
        running a call waited 8.6 s). The loaders are another process, so
        that the timing here does not wait for their GIL."""
        ctx = multiprocessing.get_context('fork')
        stop, results = ctx.Event(), ctx.Queue()
        load = ctx.Process(target=publish_load, args=(
            self.pe.env['PCA_PUBLISH'], self.requests(), stop, results))
        load.start()
        api = []
        try:
            time.sleep(1)  # the clients connected and sending
            end = time.monotonic() + LOAD_SECONDS
            while time.monotonic() < end:
                t0 = time.monotonic()
                st = self.pe.raw('DescribeCertificateAuthority',
                                 json.dumps({'CertificateAuthorityArn': self.ca}))[0]
                api.append((st, time.monotonic() - t0))
                time.sleep(0.2)
        finally:
            stop.set()
            got = results.get(timeout=60)
            load.join(30)
        worst = max(d for _, d in api)
        inside = [float(ms) for ms in re.findall(
            r'op=DescribeCertificateAuthority .*?ms=([0-9.]+)', self.pe.log())]
        print('E6c: %d API calls, worst %.3f s (in pcad %.0f ms); publish answers %r'
              % (len(api), worst, max(inside or [0]), got), file=sys.stderr)
        self.assertLess(worst, WAIT_MAX, 'an API call waited while the publish listener was busy')
        self.assertEqual({st for st, _ in api}, {200})
        self.assertGreater(len(api), LOAD_SECONDS * 2)
        # the load was there, and answered as it should be: the 3.9 MB
        # requests refused before a worker sees them (413, or the
        # connection reset while the client is still sending: pcad reads
        # 64 KiB of a refused body at most), 500 CertIDs malformedRequest,
        # 16 with a nonce signed
        refused = {413, 'ConnectionResetError', 'BrokenPipeError'}
        self.assertLessEqual(set(got['huge']), refused, got)
        self.assertGreater(sum(got['huge'].values()), 10, got)
        self.assertGreater(got['over'].get('malformedRequest', 0), 10, got)
        self.assertEqual(set(got['over']), {'malformedRequest'}, got)
        self.assertGreater(got['nonce'].get('successful', 0), 10, got)
        self.assertEqual(set(got['nonce']), {'successful'}, got)
        self.assertGreaterEqual(got['idle'].get('open', 0), IDLE_SOCKETS)


def publish_client(addr, kind, req, stop, counts, lock):
    """Sends req (or req()) to the publish listener at addr until stop,
    counting the answers by status (or the error that ended one)."""
    host, port = addr.split(':')
    conn = None
    while not stop.is_set():
        try:
            conn = conn or http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request('POST', '/', body=req() if callable(req) else req,
                         headers={'Content-Type': 'application/ocsp-request'})
            r = conn.getresponse()
            what = ocsp_status(r.status, r.read())
            if r.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as e:
            what = type(e).__name__
            if conn:
                conn.close()
            conn = None
            time.sleep(0.05)
        with lock:
            counts[kind][what] = counts[kind].get(what, 0) + 1
    if conn:
        conn.close()


OCSP_STATUS = ('successful', 'malformedRequest', 'internalError', 'tryLater', '4', 'sigRequired',
               'unauthorized')


def ocsp_status(http_status, body):
    """What an answer said: the HTTP status when not 200, else the
    responseStatus of the OCSPResponse (30 len 0a 01 status)."""
    if http_status != 200:
        return http_status
    i = 2 + (body[1] & 0x7f if body[1] & 0x80 else 0)
    return OCSP_STATUS[body[i + 2]] if body[i:i + 2] == b'\x0a\x01' else 'not OCSP'


def idle_flood(addr, stop, counts, lock):
    """IDLE_SOCKETS connections to addr that send nothing, each opened again
    once pcad closes it (request_timeout)."""
    host, port = addr.split(':')
    sel = selectors.DefaultSelector()

    def connect():
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, int(port)))
        sel.register(s, selectors.EVENT_READ)
        with lock:
            counts['idle']['open'] = counts['idle'].get('open', 0) + 1
    for _ in range(IDLE_SOCKETS):
        connect()
    while not stop.is_set():
        for key, _ in sel.select(0.2):
            try:
                if key.fileobj.recv(1):
                    continue
            except BlockingIOError:
                continue
            except OSError:
                pass
            sel.unregister(key.fileobj)
            key.fileobj.close()
            connect()
    for key in list(sel.get_map().values()):
        key.fileobj.close()


def publish_load(addr, requests, stop, results):
    """The loader process: the clients of requests and the idle flood, in
    threads, until stop; then {kind: {status or error: count}} to results."""
    os.nice(10)  # an attacker's CPU is not pcad's host's: the timing measures pcad
    counts, lock = {kind: {} for kind in list(requests) + ['idle']}, threading.Lock()
    threads = [threading.Thread(target=idle_flood, args=(addr, stop, counts, lock))]
    for kind, (req, n) in requests.items():
        threads += [threading.Thread(target=publish_client, args=(addr, kind, req, stop, counts,
                                                                  lock)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put(counts)


def wait_for_admin(tc):
    """The admin listener answers again once its flood is gone."""
    return wait_for(tc.pe.admin_up, TIMEOUT + 5, 0.5)


def wait_fds(tc, bound):
    return wait_for(lambda: tc.fds() <= bound, TIMEOUT + 5, 0.5)


if __name__ == '__main__':
    unittest.main()
