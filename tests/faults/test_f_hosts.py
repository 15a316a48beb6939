"""Issue 14's shared token across hosts: two pcad instances, each in a
network namespace of the test's own (ip netns, a veth pair to the host),
reach one PostgreSQL and one token only over TCP across their veth:
PostgreSQL listens on the host ends of the pairs, and one `p11-kit server`
exports the SoftHSM token, its socket carried over TCP by socat (as
`ssh -L` carries it between real hosts: a forwarder on the host end, and
in each namespace a socket of its own that pcad's p11-kit-client.so
uses). With pcaenv's own pcad on the host that makes three instances on
one database and one token:
  - both namespaced instances become ready and issue under load at once;
    serials distinct, each certificate retrievable through the other;
  - one IdempotencyToken sent to both at once makes one certificate;
  - a CA made through the host's instance signs at once through both;
  - the p11-kit server killed: both answer 503, and issue again by
    themselves once it is back (no restart)."""
import concurrent.futures
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from freeport import free_ports  # noqa: E402
from pcatest import SANITIZER_REPORT, make_root, wait_for  # noqa: E402
from invariants import PCAD, FaultCase, issue_body  # noqa: E402
from load import Load  # noqa: E402
from standby import as_pg, PGBIN  # noqa: E402
from test_signer import P11KIT_CLIENT, P11KitServer  # noqa: E402

API, ADMIN, PUBLISH = 8443, 9100, 8080  # inside a namespace of its own


def ip(*args, ns=None):
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + ['ip'] + list(args)
    subprocess.run(cmd, check=True, capture_output=True)


class Host:
    """A network namespace joined to the host by a veth pair: the host end
    is 10.77.N.1, the namespace's 10.77.N.2."""

    def __init__(self, net, tag):
        self.ns, self.veth = 'pcad-%s' % tag, 'pcv%s' % tag
        self.outside, self.inside = '10.77.%d.1' % net, '10.77.%d.2' % net
        subprocess.run(['ip', 'netns', 'add', self.ns], check=True)
        ip('link', 'add', self.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', self.ns)
        ip('addr', 'add', self.outside + '/24', 'dev', self.veth)
        ip('link', 'set', self.veth, 'up')
        ip('addr', 'add', self.inside + '/24', 'dev', 'eth0', ns=self.ns)
        ip('link', 'set', 'eth0', 'up', ns=self.ns)
        ip('link', 'set', 'lo', 'up', ns=self.ns)
        self.procs = []

    def spawn(self, cmd, inside, log, env=None):
        prefix = ['ip', 'netns', 'exec', self.ns] if inside else []
        with open(log, 'ab') as f:
            p = subprocess.Popen(prefix + cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        subprocess.run(['ip', 'link', 'del', self.veth], capture_output=True)
        subprocess.run(['ip', 'netns', 'del', self.ns], capture_output=True)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which('socat'),
                     'needs root (ip netns) and socat')
class Hosts(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hosts = []
        try:
            cls.start_hosts()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_hosts(cls):
        pe = cls.pe
        base, tag = random.randrange(20, 240), '%d' % (os.getpid() % 100000)
        cls.hosts = [Host(base + k, '%s%d' % (tag, k)) for k in (0, 1)]
        # PostgreSQL on the hosts' ends of the pairs, and the unix socket
        pe.down()
        with open(os.path.join(pe.dir, 'pg', 'data', 'pg_hba.conf'), 'a') as f:
            f.write('host all all 10.77.0.0/16 trust\n')
        subprocess.run(as_pg([
            PGBIN + '/pg_ctl', '-D', os.path.join(pe.dir, 'pg', 'data'), '-w', '-l',
            os.path.join(pe.dir, 'pg', 'log'), '-o', "-k %s -p %s -c listen_addresses='%s'" % (
                pe.env['PGHOST'], pe.env['PGPORT'], ','.join(h.outside for h in cls.hosts)),
            'start']), check=True, capture_output=True)
        # the token: one p11-kit server, reached by pcaenv's pcad too
        cls.srv = P11KitServer(pe)
        cls.srv.start()
        pe.edit_conf({'hsm': {'module': P11KIT_CLIENT}, 'janitor': {'interval': '1'}})
        pe.extra_env = {'P11_KIT_SERVER_ADDRESS': cls.srv.address}
        pe.up()
        cls.make_ca('hosts root')
        cert, key = pe.server_cert('hosts', [h.inside for h in cls.hosts])
        cls.views = [cls.start_pcad(h, cert, key) for h in cls.hosts]

    @classmethod
    def start_pcad(cls, h, cert, key):
        """pcad inside h's namespace: its token socket is socat's, carried
        over TCP to the host's end of the pair; PostgreSQL over TCP."""
        pe, d = cls.pe, os.path.join(cls.pe.dir, h.ns)
        os.makedirs(d)
        port = free_ports(1)[0]
        h.spawn(['socat', 'TCP-LISTEN:%d,bind=%s,fork,reuseaddr' % (port, h.outside),
                 'UNIX-CONNECT:' + cls.srv.sock], False, os.path.join(d, 'socat.log'))
        sock = os.path.join(d, 'p11.sock')
        h.spawn(['socat', 'UNIX-LISTEN:%s,fork,unlink-early' % sock,
                 'TCP:%s:%d' % (h.outside, port)], True, os.path.join(d, 'socat.log'))
        with open(pe.env['PCA_CONFIG']) as f:
            conf = f.read()
        section, out = None, []
        for line in conf.splitlines():
            if line.startswith('['):
                section = line
            key_ = line.split('=')[0].strip()
            if key_ == 'listen':
                line = 'listen = %s:%d' % (h.inside, {'[server]': API, '[admin]': ADMIN}.get(
                    section, PUBLISH))
                if section == '[admin]':  # the host's own address: not loopback
                    line += '\nallow_remote = yes'
            elif key_ == 'conninfo':
                line = 'conninfo = host=%s port=%s dbname=pcad user=postgres' % (
                    h.outside, pe.env['PGPORT'])
            elif key_ in ('tls_cert_file', 'tls_key_file'):
                line = '%s = %s' % (key_, cert if key_ == 'tls_cert_file' else key)
            out.append(line)
        config = os.path.join(d, 'pcad.conf')
        with open(config, 'w') as f:
            f.write('\n'.join(out) + '\n')
        log = os.path.join(d, 'pcad.log')
        wait_for(lambda: os.path.exists(sock), 10, 0.05)
        p = h.spawn([PCAD, '--config', config], True, log, env=dict(
            os.environ, P11_KIT_SERVER_ADDRESS='unix:path=' + sock))
        view = copy.copy(pe)
        view.env = dict(pe.env, PCA_ENDPOINT='https://%s:%d' % (h.inside, API),
                        PCA_ADMIN='%s:%d' % (h.inside, ADMIN),
                        PCA_PUBLISH='%s:%d' % (h.inside, PUBLISH),
                        PCA_PID_FILE=os.path.join(d, 'pcad.pid'), PCA_LOG=log,
                        PCA_CONFIG=config, PCA_AUDIT_CONFIG=pe.env['PCA_CONFIG'])
        with open(view.env['PCA_PID_FILE'], 'w') as f:
            f.write(str(p.pid))
        if not wait_for(lambda: p.poll() is None and view.admin_up() and
                        view.admin('/readyz')[0] == 200, 30):
            raise AssertionError('pcad in %s did not become ready: %s' % (h.ns, view.log()))
        return view

    @classmethod
    def tearDownClass(cls):
        logs = []
        try:
            for h in cls.hosts:
                h.close()
            for view in getattr(cls, 'views', []):
                logs.append(view.log())
            if getattr(cls, 'srv', None):
                cls.srv.kill()
        finally:
            super().tearDownClass()
        for log in logs:
            hit = SANITIZER_REPORT.search(log)
            assert not hit, 'sanitizer report in a namespaced pcad:\n' + log[
                max(0, hit.start() - 200):hit.start() + 4000]

    def test_two_hosts_share_the_database_and_the_token(self):
        a, b = self.views
        loads = [Load(v, self.issue_body, 8, 30).start() for v in self.views]
        for load in loads:
            load.wait(300)
            self.assertEqual(load.kinds(), {200})
        arns = [load.arns() for load in loads]
        self.acknowledged = arns[0] + arns[1]
        self.assertEqual(len(set(self.acknowledged)), 480)
        for via, theirs in ((b, arns[0]), (a, arns[1])):
            for arn in theirs[::30]:
                st, _, data = via.raw('GetCertificate', json.dumps(
                    {'CertificateAuthorityArn': self.ca, 'CertificateArn': arn}))
                self.assertEqual(st, 200, data)
        # one IdempotencyToken to both at once: one certificate
        body = json.loads(self.issue_body)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            for _ in range(5):
                req = json.dumps(dict(body, IdempotencyToken=uuid.uuid4().hex))
                got = list(ex.map(lambda via: via.raw('IssueCertificate', req), (a, b, a, b)))
                self.assertEqual({g[0] for g in got}, {200}, got)
                self.assertEqual(len({g[2]['CertificateArn'] for g in got}), 1, got)
                self.acknowledged.append(got[0][2]['CertificateArn'])
        # a CA whose key the host's instance made signs at once in both
        fresh = make_root(self.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'made on the host')
        for via in self.views:
            st, _, data = via.raw('IssueCertificate', issue_body(fresh, self.csr))
            self.assertEqual(st, 200, data)
            self.acknowledged.append(data['CertificateArn'])

    def test_the_token_lost_and_back(self):
        # (/readyz may still say what the last probe found: issuance is
        # what tells that an instance healed)
        self.srv.kill()
        for via in self.views:
            self.assertTrue(wait_for(lambda: via.raw('IssueCertificate', self.issue_body)[0]
                                     == 503, 20), via.env['PCA_ENDPOINT'])
        self.srv.start()
        back = time.monotonic()
        for via in self.views:
            got = []
            self.assertTrue(wait_for(lambda: got.append(via.raw(
                'IssueCertificate', self.issue_body)) or got[-1][0] == 200, 30), got[-1:])
            self.acknowledged.append(got[-1][2]['CertificateArn'])
            self.assertEqual({g[0] for g in got}, {200, 503} if len(got) > 1 else {200})
            # the token's failure is named as such (and quarantines the
            # signer at once), never taken for a missing key
            self.assertNotIn('key is not in the token', via.log())
        print('\nhosts: both namespaced instances issue again %.1f s after the token came back'
              % (time.monotonic() - back))


if __name__ == '__main__':
    unittest.main()
