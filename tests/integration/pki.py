"""Test PKI helpers: a throwaway root made by openssl, signing CSRs, and
reading what pcad put in the token."""
import os
import subprocess
import tempfile

from cryptography import x509


class TestRoot:
    """A root CA of the test's own (openssl, software key), to activate
    SUBORDINATE CAs until pcad can issue CA certificates itself."""

    def __init__(self, workdir, cn='Test Root', key='ec:P-256', pathlen=None, days=3650):
        self.dir = tempfile.mkdtemp(dir=workdir)
        self.key = os.path.join(self.dir, 'root.key')
        self.pem = os.path.join(self.dir, 'root.pem')
        bc = 'critical,CA:TRUE' + ('' if pathlen is None else ',pathlen:%d' % pathlen)
        kopt = (['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:' + key.split(':')[1]]
                if key.startswith('ec') else ['-newkey', 'rsa:2048'])
        run(['openssl', 'req', '-x509', *kopt, '-nodes', '-days', str(days), '-subj',
             '/CN=' + cn, '-keyout', self.key, '-out', self.pem,
             '-addext', 'basicConstraints=' + bc,
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
             '-addext', 'subjectKeyIdentifier=hash'])

    def sign(self, csr_pem, ext_lines=None, days=1000, out=None):
        """Signs a CSR (PEM text) as a CA certificate; returns the PEM path."""
        n = len(os.listdir(self.dir))
        csr = os.path.join(self.dir, 'req%d.csr' % n)
        ext = os.path.join(self.dir, 'req%d.ext' % n)
        out = out or os.path.join(self.dir, 'cert%d.pem' % n)
        with open(csr, 'w') as f:
            f.write(csr_pem)
        with open(ext, 'w') as f:
            f.write('\n'.join(ext_lines if ext_lines is not None else [
                'basicConstraints=critical,CA:TRUE',
                'keyUsage=critical,keyCertSign,cRLSign',
                'subjectKeyIdentifier=hash',
                'authorityKeyIdentifier=keyid']) + '\n')
        run(['openssl', 'x509', '-req', '-in', csr, '-CA', self.pem, '-CAkey', self.key,
             '-set_serial', str(int.from_bytes(os.urandom(8), 'big')), '-days', str(days),
             '-extfile', ext, '-out', out])
        return out

    def read(self):
        with open(self.pem) as f:
            return f.read()


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError('%s failed: %s' % (cmd[0], r.stderr))
    return r.stdout


def token_objects(env):
    """The token's objects as pkcs11-tool lists them: a list of dicts with
    'type', 'label', 'Usage', 'Access' (and more) keys."""
    with open(env['PCA_PIN_FILE']) as f:
        pin = f.read().strip()
    out = run(['pkcs11-tool', '--module', env['PCA_PKCS11_MODULE'], '--token-label',
               env['PCA_TOKEN_LABEL'], '--login', '--pin', pin, '--list-objects'],
              env=dict(os.environ, SOFTHSM2_CONF=env['SOFTHSM2_CONF']))
    objs = []
    for line in out.splitlines():
        if line and not line.startswith(' '):
            objs.append({'type': line.split(';')[0].strip()})
        elif ':' in line and objs:
            k, v = line.strip().split(':', 1)
            objs[-1][k.strip()] = v.strip()
    return objs


def load_csr(pem):
    return x509.load_pem_x509_csr(pem.encode())


def load_cert(pem):
    return x509.load_pem_x509_certificate(pem.encode())


def issue_leaf(c, ca, csr, workdir, sig='SHA256WITHECDSA', days=30):
    """Issues csr under ca, writes the PEM into workdir: (certificate, path)."""
    arn = c.issue_certificate(CertificateAuthorityArn=ca, Csr=csr, SigningAlgorithm=sig,
                              Validity={'Value': days, 'Type': 'DAYS'})['CertificateArn']
    pem = c.get_certificate(CertificateAuthorityArn=ca, CertificateArn=arn)['Certificate']
    path = os.path.join(workdir, arn.rsplit('/', 1)[1] + '.pem')
    with open(path, 'w') as f:
        f.write(pem)
    return x509.load_pem_x509_certificate(pem.encode()), path


def leaf_csr(workdir, cn='leaf.example'):
    """An EC P-256 CSR made once per workdir (its key beside it): the bytes."""
    key, csr = os.path.join(workdir, 'leaf.key'), os.path.join(workdir, 'leaf.csr')
    if not os.path.exists(csr):
        run(['openssl', 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
             '-nodes', '-keyout', key, '-subj', '/CN=' + cn, '-out', csr])
    with open(csr, 'rb') as f:
        return f.read()


def ca_pem(c, ca, workdir):
    """The CA's certificate written to workdir/ca.pem: the path."""
    path = os.path.join(workdir, 'ca.pem')
    with open(path, 'w') as f:
        f.write(c.get_certificate_authority_certificate(CertificateAuthorityArn=ca)[
            'Certificate'])
    return path
