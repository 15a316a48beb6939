"""The signer, tried for real: PKCS#11 calls per issuance counted by
OpenSC's pkcs11-spy with 1 and with 200 CAs in the token; a token served by
`p11-kit server` killed under load and brought back, and stopped past the
signing deadline; key generation while issuing."""
import concurrent.futures
import itertools
import os
import re
import signal
import statistics
import subprocess
import threading
import time
import unittest
import uuid

import botocore.config
import boto3
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from pcatest import Env, make_root, wait_for
from pki import leaf_csr, run

SOFTHSM = '/usr/lib/softhsm/libsofthsm2.so'
MODULES = '/usr/lib/x86_64-linux-gnu/pkcs11'
SPY = MODULES + '/pkcs11-spy.so'
P11KIT_CLIENT = MODULES + '/p11-kit-client.so'
EC = ('EC_prime256v1', 'SHA256WITHECDSA')


def client(env, **kw):
    """A boto3 client of its own (one per thread), no retries (botocore's
    max_attempts counts the retries)."""
    return boto3.client(
        'acm-pca', endpoint_url=env.endpoint, region_name=env.env['AWS_REGION'],
        aws_access_key_id=env.env['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=env.env['AWS_SECRET_ACCESS_KEY'], verify=env.env['PCA_CA_BUNDLE'],
        config=botocore.config.Config(retries={'max_attempts': 0, 'mode': 'standard'},
                                      max_pool_connections=32, read_timeout=60, **kw))


def issue(c, ca, csr, **kw):
    return c.issue_certificate(CertificateAuthorityArn=ca, Csr=csr, SigningAlgorithm=EC[1],
                               Validity={'Value': 1, 'Type': 'DAYS'}, **kw)['CertificateArn']


def outcome(fn):
    """(start, end, 'ok' or the error code, result)."""
    t = time.time()
    try:
        r = fn()
        return t, time.time(), 'ok', r
    except Exception as ex:  # botocore's ClientError, or a transport error
        code = (getattr(ex, 'response', None) or {}).get('Error', {}).get('Code')
        return t, time.time(), code or type(ex).__name__, None


class Load:
    """n threads issuing against the CAs in turn until stop()."""

    def __init__(self, env, cas, csr, n):
        self.results, self.lock, self.done = [], threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(env, cas, csr, i))
                        for i in range(n)]
        for t in self.threads:
            t.start()

    def run(self, env, cas, csr, i):
        c, k = client(env), i
        while not self.done.is_set():
            r = outcome(lambda: issue(c, cas[k % len(cas)], csr))
            k += 1
            with self.lock:
                self.results.append(r)

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join()
        return self.results


class P11KitServer:
    """The test token exported by `p11-kit server`: the daemon then reaches
    it through p11-kit-client.so, as it would a network HSM."""

    def __init__(self, env):
        self.sock = os.path.join(env.dir, 'p11kit.sock')
        self.softhsm_conf = env.env['SOFTHSM2_CONF']
        self.proc = None

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(
            ['p11-kit', 'server', '-f', '-n', self.sock, '--provider', SOFTHSM,
             'pkcs11:token=pcad'], env=dict(os.environ, SOFTHSM2_CONF=self.softhsm_conf),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        assert wait_for(lambda: os.path.exists(self.sock), 10), 'p11-kit server did not start'

    def signal(self, sig):
        """To the server and the p11-kit-remote child serving each client."""
        os.killpg(self.proc.pid, sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.proc.wait()

    @property
    def address(self):
        return 'unix:path=' + self.sock


class Outage(unittest.TestCase):
    """B8 and B13 of security-and-faults.md: the HSM lost, and hung."""
    SIGN_TIMEOUT_MS = 2000

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()
        cls.srv = P11KitServer(cls.pe)
        cls.srv.start()
        cls.pe.reconfigure({'hsm': {'module': P11KIT_CLIENT,
                                    'sign_timeout_ms': cls.SIGN_TIMEOUT_MS}},
                           {'P11_KIT_SERVER_ADDRESS': cls.srv.address})
        cls.c = client(cls.pe)
        cls.cas = [make_root(cls.c, *EC, 'outage %d' % i) for i in range(2)]
        cls.csr = leaf_csr(cls.pe.dir)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.kill()
        finally:
            cls.pe.close()

    def audit_count(self, event):
        return int(self.pe.psql("SELECT count(*) FROM audit_events WHERE event = '%s'" % event))

    def check_invariants(self, results):
        """Every 200 is retrievable and verifies; nothing else than 200 and
        503 was answered; no row is left PENDING."""
        codes = {r[2] for r in results}
        self.assertLessEqual(codes, {'ok', 'ServiceUnavailable'}, codes)
        c = client(self.pe)  # a fresh connection (the class's may have idled out)
        oks = [r[3] for r in results if r[2] == 'ok']
        for arn in oks[::max(1, len(oks) // 40)]:
            ca = arn.split('/certificate/')[0]
            pem = c.get_certificate(CertificateAuthorityArn=ca, CertificateArn=arn)
            cert = x509.load_pem_x509_certificate(pem['Certificate'].encode())
            ca_pem = c.get_certificate_authority_certificate(CertificateAuthorityArn=ca)
            ca_cert = x509.load_pem_x509_certificate(ca_pem['Certificate'].encode())
            ca_cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                        ec.ECDSA(cert.signature_hash_algorithm))
        self.assertEqual(self.pe.psql("SELECT count(*) FROM certificates"
                                      " WHERE status = 'ISSUED' AND der IS NULL"), '0')
        self.assertTrue(wait_for(lambda: self.pe.psql(
            "SELECT count(*) FROM certificates WHERE status = 'PENDING'") == '0', 20),
            self.pe.psql("SELECT arn, created_at FROM certificates WHERE status = 'PENDING'"))

    def test_1_server_killed_under_load_heals_without_restart(self):
        pid = self.pe.pid()
        unhealthy, recovered = self.audit_count('SignerUnhealthy'), self.audit_count(
            'SignerRecovered')
        load = Load(self.pe, self.cas, self.csr, 8)
        time.sleep(3)
        killed = time.time()
        self.srv.kill()
        time.sleep(20)
        self.assertEqual(self.pe.admin('/readyz')[0], 503)
        back = time.time()
        self.srv.start()
        self.assertTrue(wait_for(lambda: any(r[2] == 'ok' and r[0] > back
                                             for r in list(load.results)), 10),
                        'no issuance within 10 s of the token coming back')
        first_ok = min(r[1] for r in load.results if r[2] == 'ok' and r[0] > back)
        time.sleep(2)
        results = load.stop()
        down = [r for r in results if r[0] > killed + 1 and r[1] < back]
        self.assertGreater(len(down), 20)
        self.assertEqual({r[2] for r in down}, {'ServiceUnavailable'})
        # answered within the signing deadline, not hung
        self.assertLess(max(r[1] - r[0] for r in down), self.SIGN_TIMEOUT_MS / 1000 + 3)
        self.assertEqual(self.pe.pid(), pid, 'pcad restarted')
        self.assertEqual(self.pe.admin('/readyz')[0], 200)
        self.assertEqual(self.audit_count('SignerUnhealthy'), unhealthy + 1)
        self.assertTrue(wait_for(lambda: self.audit_count('SignerRecovered') == recovered + 1,
                                 5))
        self.check_invariants(results)
        print('\nkill: %d requests while down, all 503 (max %.2f s); first 200 %.1f s after '
              'the token came back' % (len(down), max(r[1] - r[0] for r in down),
                                       first_ok - back))

    def test_2_server_stopped_past_the_deadline(self):
        pid = self.pe.pid()
        load = Load(self.pe, self.cas, self.csr, 4)
        time.sleep(2)
        stopped = time.time()
        self.srv.signal(signal.SIGSTOP)
        try:
            idle = set()
            for _ in range(12):  # a transaction between two statements is fine
                time.sleep(self.SIGN_TIMEOUT_MS / 1000 / 4)
                idle.add(self.pe.psql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'pcad' AND state ="
                    " 'idle in transaction' AND state_change < now() - interval '1 second'"))
            self.assertEqual(self.pe.admin('/readyz')[0], 503)
        finally:
            cont = time.time()
            self.srv.signal(signal.SIGCONT)
        self.assertEqual(idle, {'0'}, 'a transaction was left open across the hung token')
        self.assertTrue(wait_for(lambda: any(r[2] == 'ok' and r[0] > cont
                                             for r in list(load.results)), 10))
        results = load.stop()
        hung = [r for r in results if r[0] > stopped + 0.5 and r[1] < cont]
        self.assertTrue(hung, 'no request was answered while the token hung')
        self.assertEqual({r[2] for r in hung}, {'ServiceUnavailable'})
        self.assertLess(max(r[1] - r[0] for r in hung), self.SIGN_TIMEOUT_MS / 1000 + 3)
        self.assertEqual(self.pe.pid(), pid)
        self.check_invariants(results)


    def test_3_key_generation_cut_by_the_token_is_made_again(self):
        # the token lost in the middle of an RSA-4096 generation: the CA
        # stays CREATING and gets its key once the token is back (it used
        # to be FAILED for good)
        for attempt in range(4):
            arn = self.c.create_certificate_authority(
                CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration={
                    'KeyAlgorithm': 'RSA_4096', 'SigningAlgorithm': 'SHA256WITHRSA',
                    'Subject': {'CommonName': 'cut keygen %d' % attempt}})[
                        'CertificateAuthorityArn']
            claimed = "SELECT count(*) FROM certificate_authorities WHERE arn = '%s'" \
                      " AND keygen_claimed_at IS NOT NULL AND status = 'CREATING'" % arn
            self.assertTrue(wait_for(lambda: self.pe.psql(claimed) == '1', 10, 0.02))
            self.srv.kill()
            # a CA asked for meanwhile is refused for the token, not its algorithm
            with self.assertRaises(self.c.exceptions.ClientError) as cm:
                self.c.create_certificate_authority(
                    CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration={
                        'KeyAlgorithm': 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA',
                        'Subject': {'CommonName': 'token away'}})
            self.assertEqual(cm.exception.response['Error']['Code'], 'ServiceUnavailable',
                             cm.exception.response['Error'])
            status = lambda: self.c.describe_certificate_authority(
                CertificateAuthorityArn=arn)['CertificateAuthority']['Status']
            time.sleep(6)  # the janitor's rounds (2 s) go by with the token away
            cut = status()
            self.srv.start()
            if cut != 'PENDING_CERTIFICATE':  # else the key was made before the kill
                break
        self.assertEqual(cut, 'CREATING')
        self.assertTrue(wait_for(lambda: status() == 'PENDING_CERTIFICATE', 60), status())
        self.assertIn('key generation failed, tried again next round', self.pe.log())
        self.assertEqual(self.pe.psql(
            "SELECT count(*) FROM audit_events WHERE event = 'CreateKey' AND ca_arn = '%s'" % arn),
            '1')
        self.assertTrue(wait_for(lambda: self.pe.admin('/readyz')[0] == 200, 15))

    def test_4_a_refused_pin_is_never_tried_again(self):
        pin_file = self.pe.env['PCA_PIN_FILE']
        with open(pin_file) as f:
            pin = f.read()
        with open(pin_file, 'w') as f:
            f.write('not-the-pin\n')
        try:
            self.srv.kill()  # the rebuild reads the PIN file again
            self.srv.start()
            self.assertTrue(wait_for(lambda: 'PIN refused' in self.pe.admin('/readyz')[1], 15),
                            self.pe.admin('/readyz'))
        finally:
            with open(pin_file, 'w') as f:
                f.write(pin)
        # the right PIN is back, but a refused PIN is final: no second login
        time.sleep(6)
        status, why = self.pe.admin('/readyz')
        self.assertEqual(status, 503)
        self.assertIn('CKR_PIN_INCORRECT', why)


def spy_calls(path, start):
    """The PKCS#11 calls logged by pkcs11-spy after byte offset start:
    ({name: count}, end offset)."""
    with open(path, 'rb') as f:
        f.seek(start)
        data = f.read()
    calls = {}
    for name in re.findall(rb'^\d+: (C_\w+)', data, re.M):
        calls[name.decode()] = calls.get(name.decode(), 0) + 1
    return calls, start + len(data)


def spy_finds(path, start):
    """The C_FindObjectsInit calls pkcs11-spy logged after byte offset
    start, each as the text the spy wrote for it (its template included)."""
    with open(path, 'rb') as f:
        f.seek(start)
        calls = re.split(rb'^\d+: ', f.read(), flags=re.M)
    return [x for x in calls if x.startswith(b'C_FindObjectsInit\n')]


class SpyCase(unittest.TestCase):
    """An environment whose token is reached through pkcs11-spy (every
    PKCS#11 call logged to cls.spy_log), a client and a CSR."""

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()
        cls.spy_log = os.path.join(cls.pe.dir, 'spy.log')
        cls.pe.reconfigure({'hsm': {'module': SPY}},
                           {'PKCS11SPY': SOFTHSM, 'PKCS11SPY_OUTPUT': cls.spy_log})
        cls.c = client(cls.pe)
        cls.csr = leaf_csr(cls.pe.dir)

    @classmethod
    def tearDownClass(cls):
        cls.pe.close()


class CallBudget(SpyCase):
    """At most 3 PKCS#11 calls per IssueCertificate in steady state (C_SignInit
    and C_Sign), the same with 1 and with 200 CAs in the token; then 16
    clients issuing across many CAs."""
    N = 60

    def per_issuance(self, cas):
        for ca in cas:  # warm: each key found once
            issue(self.c, ca, self.csr)
        calls, start = spy_calls(self.spy_log, 0)
        for i in range(self.N):
            issue(self.c, cas[i % len(cas)], self.csr)
        calls, _ = spy_calls(self.spy_log, start)
        if 'C_FindObjectsInit' in calls:  # what was looked for, and when
            calls['finds'] = [x.decode(errors='replace')
                              for x in spy_finds(self.spy_log, start)[:3]]
        return sum(v for v in calls.values() if isinstance(v, int)) / self.N, calls

    def test_budget_with_1_and_200_cas_then_16_clients(self):
        first = make_root(self.c, *EC, 'budget 0')
        one, calls1 = self.per_issuance([first])
        # 199 more CAs: 200 key pairs in the token, 200 being the account's quota
        try:
            more = [self.c.create_certificate_authority(
                CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration={
                    'KeyAlgorithm': EC[0], 'SigningAlgorithm': EC[1],
                    'Subject': {'CommonName': 'budget %d' % i}})['CertificateAuthorityArn']
                for i in range(1, 196)]
        except Exception as ex:  # say why, from pcad's log
            why = [line for line in self.pe.log().splitlines()
                   if '<3>' in line or 'Signer' in line]
            raise AssertionError('%s; pcad: %s' % (ex, why[-5:])) from ex
        # their keys first (the janitor makes them in order): a waiter on a
        # CA behind 195 others would time out on a slow (sanitizer) build
        self.assertTrue(wait_for(lambda: self.pe.psql(
            "SELECT count(*) FROM certificate_authorities WHERE status <> 'CREATING'") == '196',
            300), 'the 195 CA keys were not generated')
        try:
            active = [first] + [make_root(self.c, *EC, 'budget active %d' % i)
                                for i in range(4)]
        except Exception as ex:  # say why the token refused, from pcad's log
            why = [line for line in self.pe.log().splitlines() if 'key generation' in line]
            raise AssertionError('%s; pcad: %s' % (ex, why[-3:])) from ex
        self.assertTrue(wait_for(lambda: self.pe.psql(
            "SELECT count(*) FROM certificate_authorities WHERE status <> 'CREATING'") == '200',
            180), 'the 200 CA keys were not generated')
        self.assertEqual(len(more) + len(active), 200)
        many, calls200 = self.per_issuance(active)
        print('\nPKCS#11 calls per IssueCertificate: %.2f with 1 CA %s, %.2f with 200 CAs %s'
              % (one, calls1, many, calls200))
        for per, calls in ((one, calls1), (many, calls200)):
            self.assertLessEqual(per, 3.0, calls)
            self.assertGreaterEqual(calls.get('C_Sign', 0), self.N)
            self.assertNotIn('C_FindObjectsInit', calls)
        # 16 clients across the active CAs: every certificate distinct and
        # signed by its own CA's key
        def one_issue(i):
            c = client(self.pe)
            ca = active[i % len(active)]
            arn = issue(c, ca, self.csr)
            return ca, c.get_certificate(CertificateAuthorityArn=ca,
                                         CertificateArn=arn)['Certificate']
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            got = list(ex.map(one_issue, range(160)))
        ca_keys = {ca: x509.load_pem_x509_certificate(
            self.c.get_certificate_authority_certificate(CertificateAuthorityArn=ca)[
                'Certificate'].encode()).public_key() for ca in active}
        serials = set()
        for ca, pem in got:
            cert = x509.load_pem_x509_certificate(pem.encode())
            ca_keys[ca].verify(cert.signature, cert.tbs_certificate_bytes,
                               ec.ECDSA(cert.signature_hash_algorithm))
            serials.add(cert.serial_number)
        self.assertEqual(len(serials), 160)


class KeysStayCached(SpyCase):
    """A CA's key is found once, however many other CAs get keys: the
    janitor's key generation (which destroys any leftover of the new CA's
    own key first) leaves the other keys cached, so no issuance has to find
    its key again while a key is being generated. With SoftHSM 2.6.1 such a
    search, concurrent with a generation, could fail either side: the
    generation with CKR_GENERAL_ERROR, the search with an invalid handle
    (and the issuance got ServiceUnavailable)."""

    def finds_of(self, ca, start):
        """How many C_FindObjectsInit after spy log offset start look for
        ca's key (its CKA_ID in the template, as the spy dumps it)."""
        key_id = self.pe.psql("SELECT encode(key_id, 'hex') FROM certificate_authorities"
                              " WHERE arn = '%s'" % ca)
        dump = ' '.join(key_id[i:i + 2] for i in range(0, 32, 2)).upper().encode()
        return sum(1 for x in spy_finds(self.spy_log, start) if dump in x)

    def test_other_cas_keys_do_not_evict_a_key(self):
        ca = make_root(self.c, *EC, 'stays cached')
        for _ in range(3):
            issue(self.c, ca, self.csr)
        start = os.path.getsize(self.spy_log)
        for i in range(10):  # each key generation destroys any leftover first
            make_root(self.c, *EC, 'another %d' % i)
            issue(self.c, ca, self.csr)
        self.assertEqual(self.finds_of(ca, start), 0)
        # and each key was made at the first try
        self.assertNotIn('key generation failed', self.pe.log())


class KeygenWhileIssuing(unittest.TestCase):
    """Key generation never holds a lock that signing with a loaded key
    needs (a key's first load waits for it: obj_mu): RSA-4096 CAs get
    their keys (one after the other) while issuance goes on, and issuance
    keeps going through each generation."""

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()
        cls.c = client(cls.pe)
        cls.csr = leaf_csr(cls.pe.dir)

    @classmethod
    def tearDownClass(cls):
        cls.pe.close()

    def generate_while_issuing(self, ca, tag):
        """Three RSA-4096 CAs made while issuing through ca until their keys
        are there: ([(seconds, issuances) per key generation], latencies in
        ms, the three ARNs)."""
        made = [self.c.create_certificate_authority(
            CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration={
                'KeyAlgorithm': 'RSA_4096', 'SigningAlgorithm': 'SHA256WITHRSA',
                'Subject': {'CommonName': 'rsa4096 %s %d' % (tag, i)}})['CertificateAuthorityArn']
            for i in range(3)]
        creating = lambda: int(self.pe.psql("SELECT count(*) FROM certificate_authorities"
                                            " WHERE status = 'CREATING'"))
        seen, left, start = [], creating(), time.time()  # (when done, CAs left, ms)
        while left or not seen:
            t = time.time()
            issue(self.c, ca, self.csr)
            done = time.time()
            left = creating()
            seen.append((done, left, (done - t) * 1000))
        # while the k-th key is made, `left` stays the same: one stretch per
        # generation
        stretches, since = [], start
        for k, group in itertools.groupby(seen, key=lambda x: x[1]):
            group = list(group)
            stretches.append((group[-1][0] - since, len(group)))
            since = group[-1][0]
        return stretches, [x[2] for x in seen], made

    def test_rsa4096_keygen_does_not_stall_issuance(self):
        """Issuance serialized behind a generation would complete one or two
        requests in its stretch however long it lasts: every stretch over a
        second has at least 3. An RSA-4096 generation takes from a fraction
        of a second to several: rounds of three until one lasted a second
        (at most six rounds)."""
        ca = make_root(self.c, *EC, 'keygen while issuing')
        for _ in range(5):
            issue(self.c, ca, self.csr)
        stretches, lat, made = [], [], []
        for r in range(6):
            s, l, m = self.generate_while_issuing(ca, r)
            stretches, lat, made = stretches + s, lat + l, made + m
            if any(secs > 1.0 for secs, _ in stretches):
                break
        lat.sort()
        print('\n%d issuances during %d RSA-4096 key generations (median %.1f ms, max %.1f ms);'
              ' (seconds, issuances) per stretch: %s' % (
                  len(lat), len(made), statistics.median(lat), lat[-1],
                  ', '.join('(%.1f, %d)' % x for x in stretches)))
        judged = [(secs, n) for secs, n in stretches if secs > 1.0]
        self.assertTrue(judged, 'no generation lasted a second: %r' % stretches)
        for secs, n in judged:
            self.assertGreaterEqual(n, 3, 'issuance stalled: %r' % stretches)
        self.assertLess(statistics.median(lat), 50)
        for arn in made:
            st = self.c.describe_certificate_authority(CertificateAuthorityArn=arn)[
                'CertificateAuthority']['Status']
            self.assertEqual(st, 'PENDING_CERTIFICATE')

if __name__ == '__main__':
    unittest.main()


class IssuanceContract(unittest.TestCase):
    """No 200 for a certificate that was never signed: a failed signature
    marks its row FAILED and releases its token; a signature slower than the
    janitor's deadline is an error; a crash between T1 and T2 is finished by
    the janitor from the kept to-be-signed certificate."""
    DEADLINE = 12

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()
        cls.settings = {'hsm': {'sign_timeout_ms': 2000},
                        'janitor': {'interval': 1, 'pending_deadline': cls.DEADLINE}}
        cls.pe.reconfigure(cls.settings)
        cls.c = client(cls.pe)
        cls.ca = make_root(cls.c, *EC, 'contract')
        cls.ca_id = cls.ca.rsplit('/', 1)[1]
        cls.csr = leaf_csr(cls.pe.dir)

    @classmethod
    def tearDownClass(cls):
        cls.pe.close()

    def failpoints(self, value):
        self.pe.reconfigure(self.settings, {'PCAD_FAILPOINTS': value} if value else {})

    def rows(self, where):
        return self.pe.psql("SELECT status FROM certificates WHERE ca_id = '%s' AND %s"
                            " ORDER BY created_at" % (self.ca_id, where)).split()

    def token_rows(self, token):
        return self.pe.psql("SELECT count(*) FROM idempotency_tokens WHERE token = '%s'" % token)

    def tokendir(self):
        with open(self.pe.env['SOFTHSM2_CONF']) as f:
            conf = f.read()
        root = re.search(r'directories.tokendir = (\S+)', conf).group(1)
        return os.path.join(root, os.listdir(root)[0])

    def test_1_key_deleted_by_hand(self):
        with open(self.pe.env['PCA_PIN_FILE']) as f:
            pin = f.read().strip()
        d = self.tokendir()
        saved = {}
        for f in os.listdir(d):
            with open(os.path.join(d, f), 'rb') as fh:
                saved[f] = fh.read()
        run(['pkcs11-tool', '--module', SOFTHSM, '--token-label', 'pcad', '--login', '--pin',
             pin, '--delete-object', '--type', 'privkey', '--label', self.ca_id],
            env=dict(os.environ, SOFTHSM2_CONF=self.pe.env['SOFTHSM2_CONF']))
        gone = [f for f in saved if not os.path.exists(os.path.join(d, f))]
        self.assertTrue(gone)
        before = len(self.rows('true'))
        # the SDK's own retries (standard mode: 3 retries) with the same token
        retrying = boto3.client(
            'acm-pca', endpoint_url=self.pe.endpoint, region_name=self.pe.env['AWS_REGION'],
            aws_access_key_id=self.pe.env['AWS_ACCESS_KEY_ID'],
            aws_secret_access_key=self.pe.env['AWS_SECRET_ACCESS_KEY'],
            verify=self.pe.env['PCA_CA_BUNDLE'],
            config=botocore.config.Config(retries={'max_attempts': 3, 'mode': 'standard'}))
        r = outcome(lambda: issue(retrying, self.ca, self.csr, IdempotencyToken='deleted-key'))
        self.assertEqual(r[2], 'ServiceUnavailable', r)
        failed = self.rows('true')[before:]
        self.assertTrue(failed)
        self.assertEqual(set(failed), {'FAILED'}, failed)
        self.assertEqual(self.token_rows('deleted-key'), '0', 'the token was not released')
        # the key back (its object restored from a backup, as a new file:
        # SoftHSM never takes back a file name it saw deleted): the same
        # token issues afresh
        for f in gone:
            if f.endswith('.object'):
                name = str(uuid.uuid4())
                for ext in ('.object', '.lock'):
                    with open(os.path.join(d, name + ext), 'wb') as out:
                        out.write(saved.get(f[:-7] + ext, b''))
        gen = os.path.join(d, 'generation')
        with open(gen, 'rb') as f:
            n = int.from_bytes(f.read(), 'big')
        with open(gen, 'wb') as f:
            f.write((n + 1).to_bytes(8, 'big'))
        arn = issue(self.c, self.ca, self.csr, IdempotencyToken='deleted-key')
        self.assertEqual(self.c.get_certificate(CertificateAuthorityArn=self.ca,
                                                CertificateArn=arn)['Certificate'][:27],
                         '-----BEGIN CERTIFICATE-----')
        self.assertEqual(issue(self.c, self.ca, self.csr, IdempotencyToken='deleted-key'), arn)
        self.assertEqual(self.pe.admin('/readyz')[0], 200)

    def test_2_signature_slower_than_the_janitor_deadline_gets_the_janitors(self):
        self.failpoints('sign_delay_ms=%d' % ((self.DEADLINE + 4) * 1000))
        try:
            r = outcome(lambda: issue(self.c, self.ca, self.csr, IdempotencyToken='slow'))
        finally:
            self.failpoints(None)
        # the janitor finished the row meanwhile: the late request confirms
        # it ISSUED and answers its ARN (B5), and so does the token
        self.assertEqual(r[2], 'ok', r)
        self.assertIn('pending certificate %s finished' % r[3], self.pe.log())
        arn = issue(self.c, self.ca, self.csr, IdempotencyToken='slow')
        self.assertEqual(arn, r[3])
        self.assertIn('BEGIN CERTIFICATE', self.c.get_certificate(
            CertificateAuthorityArn=self.ca, CertificateArn=arn)['Certificate'])
        self.assertEqual(self.pe.psql("SELECT status FROM certificates WHERE arn = '%s'" % arn),
                         'ISSUED')

    def test_3_crash_between_t1_and_t2_is_finished_by_the_janitor(self):
        self.failpoints('crash_after_t1=1')
        pid = self.pe.pid()
        r = outcome(lambda: issue(self.c, self.ca, self.csr, IdempotencyToken='crash'))
        self.assertNotEqual(r[2], 'ok', r)
        self.assertTrue(wait_for(lambda: subprocess.run(['kill', '-0', str(pid)],
                                                        capture_output=True).returncode != 0, 5))
        pending = self.pe.psql("SELECT arn FROM certificates WHERE status = 'PENDING'"
                               " AND tbs IS NOT NULL")
        self.assertTrue(pending, 'T1 did not keep the certificate to sign')
        self.failpoints(None)
        # the same token while PENDING: the same ARN, still in progress
        self.assertEqual(issue(self.c, self.ca, self.csr, IdempotencyToken='crash'), pending)
        with self.assertRaises(Exception) as cm:
            self.c.get_certificate(CertificateAuthorityArn=self.ca, CertificateArn=pending)
        self.assertEqual(cm.exception.response['Error']['Code'], 'RequestInProgressException')
        self.assertTrue(wait_for(lambda: self.pe.psql(
            "SELECT status FROM certificates WHERE arn = '%s'" % pending) == 'ISSUED',
            self.DEADLINE + 15))
        # a fresh connection: the old one idled for about pcad's 10 s idle limit,
        # and this client does not retry a connection closed under it
        c = client(self.pe)
        pem = c.get_certificate(CertificateAuthorityArn=self.ca,
                                CertificateArn=pending)['Certificate']
        cert = x509.load_pem_x509_certificate(pem.encode())
        ca_cert = x509.load_pem_x509_certificate(c.get_certificate_authority_certificate(
            CertificateAuthorityArn=self.ca)['Certificate'].encode())
        ca_cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                    ec.ECDSA(cert.signature_hash_algorithm))
        self.assertEqual('%x' % cert.serial_number, pending.rsplit('/', 1)[1].lstrip('0'))
        self.assertEqual(issue(c, self.ca, self.csr, IdempotencyToken='crash'), pending)

    def test_4_t2_outlasts_a_database_restart(self):
        self.failpoints('sign_delay_ms=1500')
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as ex:
                fut = ex.submit(outcome, lambda: issue(self.c, self.ca, self.csr,
                                                       IdempotencyToken='pg-restart'))
                time.sleep(0.7)  # T1 is done, the signature waits
                self.pe.pg_ctl('stop')
                time.sleep(2.5)  # signed by now; T2 finds no database
                self.pe.pg_ctl('start')
                r = fut.result()
        finally:
            self.failpoints(None)
        self.assertEqual(r[2], 'ok', r)
        self.assertGreater(r[1] - r[0], 3)
        self.assertEqual(self.pe.psql("SELECT status FROM certificates WHERE arn = '%s'" % r[3]),
                         'ISSUED')
        self.assertIn('BEGIN CERTIFICATE', self.c.get_certificate(
            CertificateAuthorityArn=self.ca, CertificateArn=r[3])['Certificate'])
