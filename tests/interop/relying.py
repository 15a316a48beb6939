"""The PKI that the relying parties check, made by a real pcad: for each
key family a ROOT, a PathLen0 SUBORDINATE under it (CRL and OCSP on, both
served by pcad's publish listener) and under that a leaf of each end-entity
template, one revoked leaf, and a good and a revoked leaf issued after the
subordinate moved to partitioned CRLs. Everything is written as files
(certificates PEM, CRLs DER) under one directory; Pki.fam[name] says where.

Leaves carry DNS names <leaf>.<family>.interop.test; one key per family
(the leaves' keys are not what is tested)."""
import os
import sys
import time
import urllib.error
import urllib.request

from cryptography import x509

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
from pcatest import TEMPLATE_ARN, make_root, wait_for  # noqa: E402
from pki import run  # noqa: E402

# name, KeyAlgorithm, SigningAlgorithm, the leaves' key (openssl -newkey)
FAMILIES = (('rsa2048', 'RSA_2048', 'SHA256WITHRSA', 'rsa:2048'),
            ('p256', 'EC_prime256v1', 'SHA256WITHECDSA', 'ec'),
            ('rsa4096', 'RSA_4096', 'SHA512WITHRSA', 'rsa:2048'))

SERVER_EXT = {'ExtendedKeyUsage': [{'ExtendedKeyUsageType': 'SERVER_AUTH'}],
              'KeyUsage': {'DigitalSignature': True, 'KeyEncipherment': True}}

# leaf: (template, the uses it is made for, ApiPassthrough extensions or
# None); the CSR passthrough leaf's CSR asks for what SERVER_EXT gives
LEAVES = {
    'endentity': ('EndEntityCertificate/V1', ('server', 'client'), None),
    'server': ('EndEntityServerAuthCertificate/V1', ('server',), None),
    'client': ('EndEntityClientAuthCertificate/V1', ('client',), None),
    'code': ('CodeSigningCertificate/V1', ('code',), None),
    'ocsp': ('OCSPSigningCertificate/V1', ('ocsp',), None),
    'csrpass': ('BlankEndEntityCertificate_CSRPassthrough/V1', ('server',), None),
    'apipass': ('BlankEndEntityCertificate_APIPassthrough/V1', ('server',), SERVER_EXT),
}


class Pki:
    """Pki(env, out).fam[family] = {'root', 'sub', 'key', 'crl',
    'part_crl': paths; 'leaf': {name: path}; 'host': {name: dns}}
    with leaves LEAVES plus 'revoked', and 'pgood'/'prevoked' (partitioned);
    p256 also has 'codesub' and the leaves 'codeviasub' and 'edi' (extras)."""

    def __init__(self, env, out):
        self.env, self.out = env, out
        self.c = env.boto3()
        self.publish = env.env['PCA_PUBLISH']
        self.fam = {}
        for name, key, sig, leafkey in FAMILIES:
            t = time.monotonic()
            self.fam[name] = self.family(name, key, sig, leafkey)
            print('interop PKI %s: %.1f s' % (name, time.monotonic() - t), file=sys.stderr)

    def family(self, name, key, sig, leafkey):
        d = os.path.join(self.out, name)
        os.makedirs(d)
        f = {'leaf': {}, 'host': {}, 'key': os.path.join(d, 'leaf.key'), 'sig': sig, 'dir': d}
        run(['openssl', 'genpkey', '-out', f['key']] + (
            ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] if leafkey == 'ec'
            else ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']))
        root = make_root(self.c, key, sig, 'Interop %s Root' % name)
        self.c.update_certificate_authority(CertificateAuthorityArn=root,
                                            RevocationConfiguration=self.revocation())
        f['root'] = self.ca_file(root, d, 'root.pem')
        sub = self.subordinate(root, key, sig, 'Interop %s Sub' % name)
        f['sub'], f['sub_arn'] = self.ca_file(sub, d, 'sub.pem'), sub
        for leaf, (template, _, api) in LEAVES.items():
            self.leaf(f, sub, name, leaf, template, api)
        revoked = self.leaf(f, sub, name, 'revoked', LEAVES['server'][0], None)
        f['crl'] = self.revoke(sub, revoked, f['leaf']['revoked'], os.path.join(d, 'sub.crl'))
        self.c.update_certificate_authority(
            CertificateAuthorityArn=sub, RevocationConfiguration=self.revocation('PARTITIONED'))
        self.leaf(f, sub, name, 'pgood', LEAVES['server'][0], None)
        prevoked = self.leaf(f, sub, name, 'prevoked', LEAVES['server'][0], None)
        f['part_crl'] = self.revoke(sub, prevoked, f['leaf']['prevoked'],
                                    os.path.join(d, 'part.crl'))
        if name == 'p256':
            self.extras(f, root, key, sig)
        return f

    def extras(self, f, root, key, sig):
        """The workaround for NSS's code signing (a subordinate with EKU
        codeSigning, 'codesub', and a code-signing leaf 'codeviasub' under
        it) and a server leaf with an EdiPartyName SAN besides its DNS name
        ('edi')."""
        codesub = self.subordinate(
            root, key, sig, 'Interop code signing Sub',
            'BlankSubordinateCACertificate_PathLen0_APIPassthrough/V1',
            {'KeyUsage': {'KeyCertSign': True, 'CRLSign': True},
             'ExtendedKeyUsage': [{'ExtendedKeyUsageType': 'CODE_SIGNING'}]})
        f['codesub'] = self.ca_file(codesub, f['dir'], 'codesub.pem')
        self.leaf(f, codesub, 'p256', 'codeviasub', LEAVES['code'][0], None)
        host = 'edi.p256.interop.test'
        self.leaf(f, f['sub_arn'], 'p256', 'edi', 'EndEntityCertificate_APIPassthrough/V1',
                  {'SubjectAlternativeNames': [
                      {'DnsName': host},
                      {'EdiPartyName': {'PartyName': 'party', 'NameAssigner': 'assigner'}}]})

    def revocation(self, crl_type='COMPLETE'):
        return {'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'pki-interop',
                                     'CustomCname': self.publish, 'CrlType': crl_type},
                'OcspConfiguration': {'Enabled': True, 'OcspCustomCname': self.publish}}

    def ca_file(self, ca, d, name):
        path = os.path.join(d, name)
        with open(path, 'w') as f:
            f.write(self.c.get_certificate_authority_certificate(
                CertificateAuthorityArn=ca)['Certificate'])
        return path

    def subordinate(self, root, key, sig, cn, template='SubordinateCACertificate_PathLen0/V1',
                    api=None):
        sub = self.c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE', CertificateAuthorityConfiguration={
                'KeyAlgorithm': key, 'SigningAlgorithm': sig, 'Subject': {'CommonName': cn}},
            RevocationConfiguration=self.revocation())['CertificateAuthorityArn']
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=sub, WaiterConfig={'Delay': 1})
        csr = self.c.get_certificate_authority_csr(CertificateAuthorityArn=sub)['Csr']
        arn = self.c.issue_certificate(
            CertificateAuthorityArn=root, Csr=csr.encode(), SigningAlgorithm=sig,
            TemplateArn=TEMPLATE_ARN + template, Validity={'Value': 2, 'Type': 'YEARS'},
            **({'ApiPassthrough': {'Extensions': api}} if api else {}))['CertificateArn']
        got = self.c.get_certificate(CertificateAuthorityArn=root, CertificateArn=arn)
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=sub, Certificate=got['Certificate'].encode(),
            CertificateChain=got['CertificateChain'].encode())
        return sub

    def leaf(self, f, ca, fam, name, template, api):
        """Issues leaf `name` under ca, writes it to f['dir']/name.pem:
        its certificate ARN."""
        host = '%s.%s.interop.test' % (name, fam)
        exts = ['-addext', 'subjectAltName=DNS:' + host]
        if template.startswith('BlankEndEntityCertificate_CSR'):
            exts += ['-addext', 'extendedKeyUsage=serverAuth',
                     '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment']
        csr = run(['openssl', 'req', '-new', '-key', f['key'], '-subj', '/CN=' + host] + exts)
        kw = {'ApiPassthrough': {'Extensions': dict({'SubjectAlternativeNames': [
            {'DnsName': host}]}, **api)}} if api else {}
        arn = self.c.issue_certificate(
            CertificateAuthorityArn=ca, Csr=csr.encode(), SigningAlgorithm=f['sig'],
            TemplateArn=TEMPLATE_ARN + template, Validity={'Value': 30, 'Type': 'DAYS'},
            **kw)['CertificateArn']
        path = os.path.join(f['dir'], name + '.pem')
        with open(path, 'w') as out:
            out.write(self.c.get_certificate(CertificateAuthorityArn=ca,
                                             CertificateArn=arn)['Certificate'])
        f['leaf'][name], f['host'][name] = path, host
        return arn

    def revoke(self, ca, arn, leaf, path):
        """Revokes arn (the certificate at leaf); writes the CRL of leaf's
        distribution point once it lists it to path: the path."""
        serial = int(arn.rsplit('/', 1)[1], 16)
        self.c.revoke_certificate(CertificateAuthorityArn=ca, RevocationReason='KEY_COMPROMISE',
                                  CertificateSerial='%x' % serial)
        return self.crl(leaf, path, lambda crl: crl.get_revoked_certificate_by_serial_number(
            serial) is not None)

    def crl(self, cert_path, path, ready=lambda crl: True):
        """The CRL at cert_path's distribution point, once ready(crl),
        written to path (DER): the path."""
        with open(cert_path, 'rb') as f:
            cert = x509.load_pem_x509_certificate(f.read())
        url = cert.extensions.get_extension_for_class(
            x509.CRLDistributionPoints).value[0].full_name[0].value
        got = {}

        def fetch():
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    got['der'] = r.read()
            except urllib.error.HTTPError:  # 404: not published yet
                return False
            return ready(x509.load_der_x509_crl(got['der']))
        if not wait_for(fetch, 30):
            raise AssertionError('no CRL at %s with what was asked' % url)
        with open(path, 'wb') as f:
            f.write(got['der'])
        return path

