"""The relying parties' own validators check what pcad makes (issue 26,
docs/COMPATIBILITY.md "Relying parties"): OpenSSL, GnuTLS (certtool,
ocsptool, gnutls-cli), NSS (vfychain, crlutil, tstclnt), Go crypto/x509
with x/crypto/ocsp, Java PKIX, Botan 2 and strongSwan's pki validate each
chain of relying.py's PKI for its intended use, check revocation through
the complete and the partitioned CRL and through OCSP, and reach a TLS
server holding a pcad certificate; negative controls (wrong usage, wrong
host, a foreign root, no intermediate, no CRL) must fail.

Where a validator's verdict differs from what the certificate deserves and
the fault is the validator's, the verdict is pinned in KNOWN with its
reason: a change either way fails the test, so it is seen.

Every check runs in every tool that can express it (a tool without a
purpose or host check runs the positive checks without it and skips the
controls that need it); the mismatches are collected and reported
together."""
import collections
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
from pcatest import Env, tcp_listening, wait_for  # noqa: E402
from freeport import free_ports  # noqa: E402
import relying  # noqa: E402

GOPATH = '/usr/share/gocode'  # Debian's golang-golang-x-crypto-dev
EKU = {'server': '1.3.6.1.5.5.7.3.1', 'client': '1.3.6.1.5.5.7.3.2',
       'code': '1.3.6.1.5.5.7.3.3', 'ocsp': '1.3.6.1.5.5.7.3.9'}

# one check: mode path|crl|ocsp|tls; needs: what a tool must be able to
# check for this check to mean anything ('usage', 'host', 'nocrl')
Check = collections.namedtuple(
    'Check', 'id mode fam leaf inters roots usage host crls expect needs')


def checks(pki):
    """Every check over pki, with the verdict the certificate deserves."""
    out = []
    fams = list(pki.fam)
    for i, fam in enumerate(fams):
        f = pki.fam[fam]
        foreign = [pki.fam[fams[(i + 1) % len(fams)]]['root']]
        sub, root = [f['sub']], [f['root']]

        def add(cid, mode, leaf, expect, inters=sub, roots=root, usage='any', host='-',
                crls=(), needs=()):
            out.append(Check('%s-%s' % (fam, cid), mode, fam, leaf, inters, roots, usage,
                             host if host == '-' else f['host'][host] if host in f['host']
                             else host, list(crls), expect, set(needs)))
        for leaf, (_, uses, _) in relying.LEAVES.items():
            for use in uses:
                add('%s-as-%s' % (leaf, use), 'path', leaf, 'OK', usage=use,
                    host=leaf if use == 'server' else '-')
        add('client-as-server', 'path', 'client', 'FAIL', usage='server', needs=['usage'])
        add('server-as-client', 'path', 'server', 'FAIL', usage='client', needs=['usage'])
        add('code-as-server', 'path', 'code', 'FAIL', usage='server', needs=['usage'])
        add('server-wrong-host', 'path', 'server', 'FAIL', usage='server',
            host='wrong.%s.interop.test' % fam, needs=['host'])
        add('server-foreign-root', 'path', 'server', 'FAIL', usage='server', roots=foreign)
        add('server-no-sub', 'path', 'server', 'FAIL', usage='server', inters=[])
        add('crl-good', 'crl', 'server', 'OK', crls=[f['crl']])
        add('crl-revoked', 'crl', 'revoked', 'REVOKED', crls=[f['crl']])
        add('crl-part-good', 'crl', 'pgood', 'OK', crls=[f['part_crl']])
        add('crl-part-revoked', 'crl', 'prevoked', 'REVOKED', crls=[f['part_crl']])
        add('crl-none', 'crl', 'server', 'FAIL', needs=['nocrl'])
        add('ocsp-good', 'ocsp', 'server', 'OK')
        add('ocsp-revoked', 'ocsp', 'revoked', 'REVOKED')
        add('ocsp-part-revoked', 'ocsp', 'prevoked', 'REVOKED')
        add('tls', 'tls', 'server', 'OK', host='server')
        add('tls-wrong-host', 'tls', 'server', 'FAIL', host='wrong.%s.interop.test' % fam)
        add('tls-foreign-root', 'tls', 'server', 'FAIL', host='server', roots=foreign)
    f = pki.fam['p256']
    out.append(Check('p256-edi-as-server', 'path', 'p256', 'edi', [f['sub']], [f['root']], 'server',
                     f['host']['edi'], [], 'OK', set()))
    out.append(Check('p256-code-under-code-sub', 'path', 'p256', 'codeviasub', [f['codesub']],
                     [f['root']], 'code', '-', [], 'OK', set()))
    return out


# (tool, check id suffix, verdict, reason): the validator's own faults
KNOWN = [
    ('nss', 'code-as-code', 'FAIL',
     'NSS wants the codeSigning EKU in every CA of a code-signing chain (SEC_ERROR_INADEQUATE_'
     'CERT_TYPE on the subordinate); AWS\'s SubordinateCACertificate_PathLen0 has no EKU. '
     'Workaround: a subordinate with EKU CODE_SIGNING (p256-code-under-code-sub)'),
    ('nss', 'crl-part-revoked', 'OK',
     'NSS refuses a CRL with a critical IssuingDistributionPoint '
     '(SEC_ERROR_CRL_UNKNOWN_CRITICAL_EXTENSION) and soft-fails to good'),
    ('botan', 'crl-good', 'FAIL',
     'Botan 2.19 wants a CRL whose IssuingDistributionPoint matches the leaf\'s distribution '
     'point (NO_MATCHING_CRLDP); a complete CRL has no IDP (RFC 5280 5.2.5: it need not)'),
    ('gnutls', 'edi-as-server', 'FAIL', 'GnuTLS cannot parse an EdiPartyName SAN'),
    ('java', 'edi-as-server', 'FAIL', 'Java cannot parse an EdiPartyName SAN'),
]


def known(tool, check):
    for t, suffix, verdict, reason in KNOWN:
        if t == tool and check.id.endswith('-' + suffix):
            return verdict, reason
    return None


def sh(cmd, timeout=60, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    return r.returncode, (r.stdout + r.stderr).strip()


def last_line(text):
    lines = [x for x in text.splitlines() if x.strip()]
    return lines[-1].strip() if lines else ''


class Tool:
    """One validator. caps: what it can check besides the path ('usage',
    'host', 'nocrl'); modes: the modes it runs. Each mode method returns
    (verdict, detail)."""
    name, caps, modes = '', set(), ('path', 'crl', 'ocsp', 'tls')

    def __init__(self, ctx):
        self.ctx = ctx

    def runs(self, check):
        return check.mode in self.modes and check.needs <= self.caps

    def run(self, check):
        return getattr(self, check.mode)(check)


class OpenSSL(Tool):
    name, caps, modes = 'openssl', {'usage', 'host', 'nocrl'}, ('path', 'crl', 'ocsp')
    PURPOSE = {'server': 'sslserver', 'client': 'sslclient', 'ocsp': 'ocsphelper', 'any': 'any'}

    def runs(self, check):  # OpenSSL 3.0 has no code-signing purpose
        return super().runs(check) and check.usage != 'code'

    def verify(self, check, *extra):
        cmd = ['openssl', 'verify', '-CAfile', self.ctx.bundle(check.roots),
               '-purpose', self.PURPOSE[check.usage], *extra]
        if check.inters:
            cmd += ['-untrusted', self.ctx.bundle(check.inters)]
        if check.host != '-':
            cmd += ['-verify_hostname', check.host]
        rc, out = sh(cmd + [self.ctx.leaf(check)])
        if 'certificate revoked' in out:
            return 'REVOKED', last_line(out)
        return ('OK' if rc == 0 else 'FAIL'), last_line(out)

    def path(self, check):
        return self.verify(check)

    def crl(self, check):
        return self.verify(check, '-crl_check', *[a for c in check.crls
                                                  for a in ('-CRLfile', self.ctx.pem_crl(c))])

    def ocsp(self, check):
        leaf, issuer = self.ctx.leaf(check), check.inters[0]
        rc, out = sh(['openssl', 'ocsp', '-issuer', issuer, '-cert', leaf,
                      '-url', self.ctx.ocsp_url(), '-CAfile', self.ctx.bundle(check.roots),
                      '-verify_other', issuer])
        status = [x for x in out.splitlines() if x.startswith(leaf + ':')]
        if rc != 0 or 'Response verify OK' not in out or not status:
            return 'FAIL', last_line(out)
        return {'good': 'OK', 'revoked': 'REVOKED'}.get(status[0].split()[-1], 'FAIL'), status[0]


class GnuTLS(Tool):
    name, caps = 'gnutls', {'usage', 'host'}  # no CRL at hand: not revoked

    def verify(self, check, *extra):
        cmd = ['certtool', '--verify', '--load-ca-certificate', self.ctx.bundle(check.roots),
               '--infile', self.ctx.bundle([self.ctx.leaf(check)] + check.inters), *extra]
        if check.usage != 'any':
            cmd += ['--verify-purpose', EKU[check.usage]]
        if check.host != '-':
            cmd += ['--verify-hostname', check.host]
        rc, out = sh(cmd)
        if 'is revoked' in out:
            return 'REVOKED', last_line(out)
        return ('OK' if rc == 0 else 'FAIL'), last_line(out)

    def path(self, check):
        return self.verify(check)

    def crl(self, check):
        return self.verify(check, '--load-crl', self.ctx.bundle(
            [self.ctx.pem_crl(c) for c in check.crls]))

    def ocsp(self, check):
        """ocsptool with the issuer as the response's signer (pcad signs
        with the CA's own key; see KNOWN for --load-trust)."""
        issuer = check.inters[0]
        rc, out = sh(['ocsptool', '--ask', '--load-cert', self.ctx.leaf(check),
                      '--load-issuer', issuer, '--load-signer', issuer])
        if rc != 0 or 'Verifying OCSP Response: Success.' not in out:
            return 'FAIL', last_line(out)
        status = [x.strip() for x in out.splitlines() if 'Certificate Status:' in x]
        return {'good': 'OK', 'revoked': 'REVOKED'}.get(
            status[0].split()[-1] if status else '', 'FAIL'), status[0] if status else out

    def tls(self, check):
        rc, out = sh(['gnutls-cli', '--x509cafile', self.ctx.bundle(check.roots),
                      '-p', str(self.ctx.tls_port(check)), '--verify-hostname', check.host,
                      '--sni-hostname', check.host, '127.0.0.1'],
                     input='GET / HTTP/1.0\r\n\r\n')
        ok = rc == 0 and 'HTTP/1.0 200' in out
        return ('OK' if ok else 'FAIL'), last_line(out)


class Nss(Tool):
    """vfychain (libpkix, -pp) over a database trusting check.roots; no
    host name check outside TLS (tstclnt)."""
    name, caps = 'nss', {'usage'}  # no CRL at hand: not revoked
    USAGE = {'client': '0', 'server': '1', 'code': '6', 'ocsp': '10', 'any': '1'}

    def vfychain(self, check, db, *revocation):
        cmd = ['vfychain', '-d', 'sql:' + db, '-pp', '-u', self.USAGE[check.usage],
               *revocation, '-a', self.ctx.leaf(check)]
        for c in check.inters:
            cmd += ['-a', c]
        rc, out = sh(cmd)
        if revocation and 'ERROR -8180' in out:
            return 'REVOKED', last_line(out)
        return ('OK' if rc == 0 else 'FAIL'), last_line(out)

    def path(self, check):
        return self.vfychain(check, self.ctx.nssdb(check.roots))

    def crl(self, check):
        """A database of its own: the CRLs imported (crlutil checks each
        under the subordinate), no fetching."""
        db = self.ctx.nssdb(check.roots, fresh=True)
        sh(['certutil', '-A', '-d', 'sql:' + db, '-n', 'sub', '-t', ',,', '-a', '-i',
            check.inters[0]])
        for c in check.crls:
            sh(['crlutil', '-I', '-d', 'sql:' + db, '-i', c])
        return self.vfychain(check, db, '-g', 'leaf', '-m', 'crl', '-s', 'forbidFetching')

    def ocsp(self, check):
        return self.vfychain(check, self.ctx.nssdb(check.roots), '-g', 'leaf', '-m', 'ocsp',
                             '-s', 'failIfNoInfo')

    def tls(self, check):
        rc, out = sh(['tstclnt', '-h', '127.0.0.1', '-p', str(self.ctx.tls_port(check)),
                      '-d', 'sql:' + self.ctx.nssdb(check.roots), '-a', check.host, '-Q'],
                     input='')
        return ('OK' if rc == 0 else 'FAIL'), last_line(out)


class StrongSwan(Tool):
    """pki --verify: the path and revocation (no purpose, no host name).
    CRL checks load no fetcher (strongswan.conf of its own), so that the
    CRLs given are what decides; OCSP checks load curl."""
    name, caps, modes = 'strongswan', set(), ('path', 'crl', 'ocsp')

    def pki(self, check, conf, *extra):
        cmd = ['pki', '--verify', '--in', self.ctx.leaf(check), *extra]
        for c in check.inters + check.roots:
            cmd += ['--cacert', c]
        rc, out = sh(cmd, env=dict(os.environ, STRONGSWAN_CONF=self.ctx.swan_conf(conf)))
        if 'certificate was revoked' in out:
            return 'REVOKED', [x for x in out.splitlines() if 'was revoked' in x][0].strip()
        return ('OK' if rc == 0 else 'FAIL'), last_line(out)

    def path(self, check):
        return self.pki(check, 'offline')

    def crl(self, check):
        return self.pki(check, 'offline', *[a for c in check.crls for a in ('--crl', c)])

    def ocsp(self, check):
        return self.pki(check, 'online', '--online')


class Batch(Tool):
    """A program of tests/interop speaking its line protocol
    (tests/interop/PROTOCOL.md): every check in one run."""
    caps = {'usage', 'host', 'nocrl'}

    def command(self):
        raise NotImplementedError

    def run_all(self, todo):
        lines = []
        for c in todo:
            leaf, inters = self.ctx.leaf(c), ','.join(c.inters) or '-'
            roots = ','.join(c.roots)
            fields = {'path': [leaf, inters, roots, c.usage, c.host],
                      'crl': [leaf, inters, roots, ','.join(c.crls) or '-'],
                      'ocsp': [leaf, inters, roots],
                      'tls': [str(self.ctx.tls_port(c)), c.host, roots]}[c.mode]
            lines.append('\t'.join([c.mode, c.id] + fields))
        r = subprocess.run(self.command(), input='\n'.join(lines) + '\n', capture_output=True,
                           text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError('%s exited %d: %s' % (self.name, r.returncode, r.stderr))
        got = {}
        for line in r.stdout.splitlines():
            parts = line.split('\t')
            got[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else '')
        return got


class Go(Batch):
    name = 'go'

    def command(self):
        return [self.ctx.go_verifier()]


class Java(Batch):
    name = 'java'

    def command(self):
        return self.ctx.java_command()


class Botan(Batch):
    name = 'botan'

    def command(self):
        return [self.ctx.botan_verifier()]


TOOLS = (OpenSSL, GnuTLS, Nss, StrongSwan, Go, Java, Botan)


class Context:
    """What the tools share: files made once (bundles, PEM CRLs, NSS
    databases, strongswan.conf), the TLS servers' ports, the verifiers
    built from tests/interop."""

    def __init__(self, pki, work):
        self.pki, self.work, self.made = pki, work, {}
        self.ports, self.servers = {}, []

    def file(self, key, make):
        if key not in self.made:
            self.made[key] = make(os.path.join(self.work, 'f%d' % len(self.made)))
        return self.made[key]

    def bundle(self, paths):
        def make(out):
            with open(out, 'w') as f:
                for p in paths:
                    with open(p) as src:
                        f.write(src.read())
            return out
        return self.file(('bundle',) + tuple(paths), make)

    def pem_crl(self, der):
        def make(out):
            rc, msg = sh(['openssl', 'crl', '-inform', 'der', '-in', der, '-out', out])
            if rc != 0:
                raise AssertionError('openssl crl %s: %s' % (der, msg))
            return out
        return self.file(('crl', der), make)

    def leaf(self, check):
        return self.pki.fam[check.fam]['leaf'][check.leaf]

    def ocsp_url(self):
        return 'http://%s/' % self.pki.publish  # what relying.py puts in the AIA

    def nssdb(self, roots, fresh=False):
        def make(out):
            os.makedirs(out, exist_ok=True)
            sh(['certutil', '-N', '-d', 'sql:' + out, '--empty-password'])
            for i, r in enumerate(roots):
                sh(['certutil', '-A', '-d', 'sql:' + out, '-n', 'root%d' % i, '-t', 'CT,C,C',
                    '-a', '-i', r])
            return out
        if fresh:
            return make(tempfile.mkdtemp(dir=self.work))
        return self.file(('nss',) + tuple(roots), make)

    def swan_conf(self, kind):
        plugins = 'pem pkcs1 pkcs8 x509 revocation constraints pubkey openssl random nonce ' \
            'sha1 sha2' + (' curl' if kind == 'online' else '')

        def make(out):
            with open(out, 'w') as f:
                f.write('pki {\n  load = %s\n}\nlibstrongswan {\n  plugins {\n'
                        '    revocation { enable_crl = yes }\n  }\n}\n' % plugins)
            return out
        return self.file(('swan', kind), make)

    def serve_tls(self):
        """openssl s_server -www per family with its 'server' leaf."""
        for fam, f in self.pki.fam.items():
            port = free_ports(1, self.work)[0]
            self.servers.append(subprocess.Popen(
                ['openssl', 's_server', '-www', '-quiet', '-accept', '127.0.0.1:%d' % port,
                 '-cert', f['leaf']['server'], '-cert_chain', f['sub'], '-key', f['key']],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.ports[fam] = port
        for port in self.ports.values():
            if not wait_for(lambda: tcp_listening(port), 30):
                raise AssertionError('openssl s_server is not listening on %d' % port)

    def tls_port(self, check):
        return self.ports[check.fam]

    def go_verifier(self):
        def make(out):
            env = dict(os.environ, GO111MODULE='off', GOPATH=GOPATH, GOPROXY='off', GOFLAGS='',
                       GOCACHE=os.path.join(self.work, 'gocache'))
            rc, msg = sh(['go', 'build', '-o', out, './relying_go'], cwd=HERE, env=env,
                         timeout=300)
            if rc != 0:
                raise AssertionError('go build: ' + msg)
            return out
        return self.file('go', make)

    def java_command(self):
        return ['java', '--add-exports', 'java.base/sun.security.validator=ALL-UNNAMED',
                '--add-exports', 'java.base/sun.security.util=ALL-UNNAMED',
                os.path.join(HERE, 'Relying.java')]

    def botan_verifier(self):
        path = os.environ.get('PCAD_RELYING_BOTAN') or os.path.join(
            os.environ.get('PCAD_ROOT', os.path.join(HERE, '..', '..')), 'build', 'tests',
            'pcad-relying-botan')
        if not os.path.exists(path):
            raise AssertionError('%s was not built: CMake found no botan-2 '
                                 '(libbotan-2-dev; scripts/deps installs it)' % path)
        return path

    def close(self):
        for p in self.servers:
            p.kill()
            p.wait()


class RelyingParties(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pe = Env()
        try:
            cls.pe.reconfigure({'publish': {'crl_publish_delay': 1}})
            cls.work = tempfile.mkdtemp(dir=cls.pe.dir)
            t = time.monotonic()
            cls.pki = relying.Pki(cls.pe, os.path.join(cls.work, 'pki'))
            print('interop PKI made by pcad in %.1f s' % (time.monotonic() - t), file=sys.stderr)
            cls.ctx = Context(cls.pki, cls.work)
            cls.checks = checks(cls.pki)
            cls.ctx.serve_tls()
        except BaseException:
            if hasattr(cls, 'ctx'):
                cls.ctx.close()
            cls.pe.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.ctx.close()
        cls.pe.close()

    def verdicts(self, tool, todo):
        if isinstance(tool, Batch):
            got = tool.run_all(todo)
            return {c.id: got.get(c.id, ('FAIL', 'no answer')) for c in todo}
        return {c.id: tool.run(c) for c in todo}

    def validate_with(self, cls):
        """Every check cls can run: its verdicts against the expected ones
        (KNOWN's where pinned); every mismatch reported at once."""
        tool = cls(self.ctx)
        todo = [c for c in self.checks if tool.runs(c)]
        t = time.monotonic()
        got = self.verdicts(tool, todo)
        bad, pinned = [], 0
        for c in todo:
            pin = known(tool.name, c)
            want = pin[0] if pin else c.expect
            pinned += bool(pin)
            if got[c.id][0] != want:
                bad.append('%-34s want %-7s got %-7s %s%s' % (
                    c.id, want, got[c.id][0], got[c.id][1][:160],
                    ' (pinned: %s)' % pin[1] if pin else ''))
        print('%s: %d checks (%d pinned) in %.1f s, %d mismatches' % (
            tool.name, len(todo), pinned, time.monotonic() - t, len(bad)), file=sys.stderr)
        self.assertGreater(len(todo), 20)
        self.assertFalse(bad, '\n' + '\n'.join(bad))

    def test_openssl(self):
        self.validate_with(OpenSSL)

    def test_gnutls(self):
        self.validate_with(GnuTLS)

    def test_nss(self):
        self.validate_with(Nss)

    def test_strongswan(self):
        self.validate_with(StrongSwan)

    def test_go(self):
        self.validate_with(Go)

    def test_java(self):
        self.validate_with(Java)

    def test_botan(self):
        self.validate_with(Botan)

    def test_curl(self):
        """curl (OpenSSL underneath) to each TLS server: the name checked,
        a foreign root refused."""
        bad = []
        for c in (c for c in self.checks if c.mode == 'tls'):
            port = self.ctx.tls_port(c)
            rc, out = sh(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert',
                          self.ctx.bundle(c.roots), '--resolve', '%s:%d:127.0.0.1' % (c.host, port),
                          'https://%s:%d/' % (c.host, port)])
            if ('OK' if rc == 0 and out == '200' else 'FAIL') != c.expect:
                bad.append('%s: curl exit %d %s' % (c.id, rc, out))
        self.assertFalse(bad)

    def test_gnutls_ocsp_trusting_the_root_only(self):
        """Pinned: ocsptool -e with the root as its only trust anchor wants
        a responder certificate with the OCSPSigning EKU; pcad's responses
        are signed by the issuing CA itself (RFC 6960 2.6 allows it), which
        it then does not find (GnuTLS's fault; --load-signer <issuer>
        verifies, test_gnutls)."""
        f = self.pki.fam['p256']
        rc, out = sh(['ocsptool', '--ask', '--load-cert', f['leaf']['server'],
                      '--load-issuer', f['sub'], '--load-trust', f['root']])
        self.assertIn('Certificate Status: good', out)
        self.assertIn('Verifying OCSP Response: Failure, Signer cert not found.', out)

    def test_known_entries_are_used(self):
        """Every pinned verdict matches a check of its tool (a stale entry
        would hide nothing and say something false)."""
        names = {t.name: t(self.ctx) for t in TOOLS}
        for tool, suffix, _, _ in KNOWN:
            self.assertTrue(any(c.id.endswith('-' + suffix) and names[tool].runs(c)
                                for c in self.checks), (tool, suffix))


if __name__ == '__main__':
    unittest.main()
