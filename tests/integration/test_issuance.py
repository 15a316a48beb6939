"""Issuance through boto3 and both CLIs: every template checked field by
field against pca-behavior.md's table, validity, the root activation flow,
a subordinate in the same pcad, passthrough, CDP/AIA, idempotency, errors,
revocation."""
import base64
import concurrent.futures
import datetime
import json
import os
import re
import subprocess
import time
import unittest

import botocore.exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from pcatest import ROOT, TEMPLATE_ARN, EnvTestCase, make_root, wait_for
from pki import TestRoot, load_cert, run

REFERENCE = os.path.join(ROOT, 'tests', 'reference', 'reference', 'pca-behavior.md')
CUSTOM_OID = '1.3.6.1.4.1.99999.1'
KU_NAMES = {'digital signature': 'digital_signature', 'key encipherment': 'key_encipherment',
            'keyCertSign': 'key_cert_sign', 'CRL sign': 'crl_sign'}
EKU_NAMES = {'TLS web server authentication': ExtendedKeyUsageOID.SERVER_AUTH,
             'TLS web client authentication': ExtendedKeyUsageOID.CLIENT_AUTH,
             'code signing': ExtendedKeyUsageOID.CODE_SIGNING,
             'OCSP signing': ExtendedKeyUsageOID.OCSP_SIGNING}
KU_FIELDS = ('digital_signature', 'content_commitment', 'key_encipherment', 'data_encipherment',
             'key_agreement', 'key_cert_sign', 'crl_sign')


def reference_templates():
    """The template table of the reference, parsed here on its own."""
    rows = []
    with open(REFERENCE) as f:
        for line in f:
            if line.startswith('| ') and '/V1 |' in line:
                rows.append([c.strip() for c in line.strip().strip('|').split('|')])
    return rows


def ext(cert, oid):
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def ku_set(ku_ext):
    if not ku_ext:
        return None
    return {f for f in KU_FIELDS if getattr(ku_ext.value, f)}


def make_csr(workdir, name, key='rsa:2048', subj='/CN=csr.example.com', exts=()):
    keyf = os.path.join(workdir, name + '.key')
    out = os.path.join(workdir, name + '.csr')
    kopt = ['-newkey', key] if key.startswith('rsa') else [
        '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:' + key.split(':')[1]]
    cmd = ['openssl', 'req', '-new', *kopt, '-nodes', '-keyout', keyf, '-subj', subj, '-out', out]
    for x in exts:
        cmd += ['-addext', x]
    run(cmd)
    return out


def der(tag, body):
    """One DER TLV."""
    n = len(body)
    size = bytes([n]) if n < 128 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, 'big')
    return bytes([tag]) + size + body


def der_int(v):
    return der(0x02, v.to_bytes(v.bit_length() // 8 + 1, 'big'))


def e1_csr(cn):
    """A CSR whose RSA key is a real modulus with e = 1 and whose
    "signature" is the PKCS#1 v1.5 padded SHA-256 DigestInfo itself: with
    e = 1 a verifier computes s^1 mod n = s, so it verifies, and no private
    key exists. PEM bytes."""
    n = rsa.generate_private_key(65537, 2048).private_numbers().public_numbers.n
    k = (n.bit_length() + 7) // 8
    rsa_alg = der(0x30, der(0x06, bytes.fromhex('2a864886f70d010101')) + b'\x05\x00')
    spki = der(0x30, rsa_alg + der(0x03, b'\x00' + der(0x30, der_int(n) + der_int(1))))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]).public_bytes()
    info = der(0x30, der_int(0) + name + spki + b'\xa0\x00')
    h = hashes.Hash(hashes.SHA256())
    h.update(info)
    digest_info = der(0x30, der(0x30, der(0x06, bytes.fromhex('608648016503040201')) +
                                b'\x05\x00') + der(0x04, h.finalize()))
    em = b'\x00\x01' + b'\xff' * (k - len(digest_info) - 3) + b'\x00' + digest_info
    sha256_rsa = der(0x30, der(0x06, bytes.fromhex('2a864886f70d01010b')) + b'\x05\x00')
    csr = der(0x30, info + sha256_rsa + der(0x03, b'\x00' + em))
    return (b'-----BEGIN CERTIFICATE REQUEST-----\n' + base64.encodebytes(csr) +
            b'-----END CERTIFICATE REQUEST-----\n')


def next_prime(v):
    """The first prime from v (Miller-Rabin, 32 random bases)."""
    v |= 1
    while True:
        d, s = v - 1, 0
        while d % 2 == 0:
            d, s = d // 2, s + 1
        for a in (int.from_bytes(os.urandom(32), 'big') % (v - 3) + 2 for _ in range(32)):
            x = pow(a, d, v)
            if x in (1, v - 1):
                continue
            for _ in range(s - 1):
                x = x * x % v
                if x == v - 1:
                    break
            else:
                break
        else:
            return v
        v += 2


def close_primes_key():
    """A working RSA-2048 key whose primes are so close that Fermat's
    method factors the modulus in a few rounds."""
    p = next_prime(int.from_bytes(os.urandom(128), 'big') | (3 << 1022))
    q = next_prime(p + (1 << 500))
    phi, e = (p - 1) * (q - 1), 65537
    d = pow(e, -1, phi)
    return rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p),
                                 rsa.RSAPublicNumbers(e, p * q)).private_key()


class Issuance(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = cls.pe.boto3()
        cls.root_arn = cls.make_root(cls.c, 'RSA_2048', 'SHA256WITHRSA', 'Issuance Root')
        cls.root_pem = cls.ca_cert(cls.root_arn)
        with open(os.path.join(cls.pe.dir, 'root.pem'), 'w') as f:
            f.write(cls.root_pem)
        cls.csr = make_csr(cls.pe.dir, 'leaf', exts=[
            'subjectAltName=DNS:csr.example.com,IP:10.0.0.1',
            'keyUsage=critical,digitalSignature,keyAgreement',
            'extendedKeyUsage=emailProtection',
            'certificatePolicies=1.2.3.4.5',
            CUSTOM_OID + '=ASN1:UTF8String:from-csr'])

    @classmethod
    def make_root(cls, c, key, sig, cn, years=10):
        return make_root(c, key, sig, cn, years)

    @classmethod
    def ca_cert(cls, arn):
        return cls.c.get_certificate_authority_certificate(CertificateAuthorityArn=arn)[
            'Certificate']

    def issue(self, csr_path=None, ca=None, template=None, validity=None, sig='SHA256WITHRSA',
              c=None, **kw):
        c = c or self.c
        with open(csr_path or self.csr, 'rb') as f:
            csr = f.read()
        args = dict(CertificateAuthorityArn=ca or self.root_arn, Csr=csr, SigningAlgorithm=sig,
                    Validity=validity or {'Value': 30, 'Type': 'DAYS'}, **kw)
        if template:
            args['TemplateArn'] = TEMPLATE_ARN + template
        arn = c.issue_certificate(**args)['CertificateArn']
        got = c.get_certificate(CertificateAuthorityArn=args['CertificateAuthorityArn'],
                                CertificateArn=arn)
        return arn, got['Certificate'], got.get('CertificateChain')

    def error(self, fn, code, part=None, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        self.assertEqual(cm.exception.response['Error']['Code'], code,
                         cm.exception.response['Error'].get('Message'))
        if part:
            self.assertIn(part, cm.exception.response['Error']['Message'])

    def verify(self, cert_pem, chain_pem):
        d = self.pe.dir
        for name, text in (('v-leaf.pem', cert_pem), ('v-chain.pem', chain_pem)):
            with open(os.path.join(d, name), 'w') as f:
                f.write(text)
        roots = [b for b in re.findall(r'-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----',
                                       chain_pem, re.S)]
        with open(os.path.join(d, 'v-root.pem'), 'w') as f:
            f.write(roots[-1] + '\n')
        with open(os.path.join(d, 'v-untrusted.pem'), 'w') as f:
            f.write('\n'.join(roots[:-1]) + '\n')
        cmd = ['openssl', 'verify', '-CAfile', os.path.join(d, 'v-root.pem')]
        if len(roots) > 1:
            cmd += ['-untrusted', os.path.join(d, 'v-untrusted.pem')]
        r = subprocess.run(cmd + [os.path.join(d, 'v-leaf.pem')], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    # ---- every template, field by field ----

    API = {'Subject': {'CommonName': 'api-subject', 'Organization': 'API Org'},
           'Extensions': {'KeyUsage': {'DigitalSignature': True, 'NonRepudiation': True},
                          'ExtendedKeyUsage': [{'ExtendedKeyUsageType': 'SMART_CARD_LOGIN'},
                                               {'ExtendedKeyUsageType': 'CLIENT_AUTH'}],
                          'SubjectAlternativeNames': [{'DnsName': 'api.example.com'}]}}

    def test_every_template(self):
        rows = reference_templates()
        self.assertEqual(len(rows), 61)
        root_csr = os.path.join(self.pe.dir, 'root-own.csr')
        with open(root_csr, 'w') as f:
            f.write(self.c.get_certificate_authority_csr(CertificateAuthorityArn=self.root_arn)['Csr'])
        issuer = load_cert(self.root_pem)
        issuer_ski = ext(issuer, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
        for name, variety, bc, ku, eku, aki, subj, cdp in rows:
            with self.subTest(template=name):
                root_tpl = name.startswith(('RootCA', 'BlankRootCA'))
                api = variety in ('API', 'APICSR')
                csr_pt = variety in ('CSR', 'APICSR')
                arn, pem, chain = self.issue(
                    csr_path=root_csr if root_tpl else None, template=name,
                    validity={'Value': 5 if root_tpl else 30, 'Type': 'YEARS' if root_tpl else 'DAYS'},
                    ApiPassthrough=self.API)
                cert = load_cert(pem)
                # basic constraints
                m = re.match(r'(Critical, )?CA:(TRUE|FALSE)(, pathlen: (\d))?$', bc)
                b = ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
                self.assertEqual(b.value.ca, m.group(2) == 'TRUE')
                self.assertEqual(b.critical, bool(m.group(1)))
                self.assertEqual(b.value.path_length,
                                 int(m.group(4)) if m.group(4) is not None else None)
                # key usage: the template's, or the passthrough's for blank templates
                k = ext(cert, ExtensionOID.KEY_USAGE)
                if ku.startswith('—'):
                    want = ({'digital_signature', 'content_commitment'} if api else
                            {'digital_signature', 'key_agreement'} if csr_pt else None)
                    self.assertEqual(ku_set(k), want)
                else:
                    parts = [p.strip() for p in ku.split(',')]
                    self.assertEqual(k.critical, parts[0] == 'Critical')
                    self.assertEqual(ku_set(k), {KU_NAMES[p] for p in parts if p != 'Critical'})
                # extended key usage
                x = ext(cert, ExtensionOID.EXTENDED_KEY_USAGE)
                if eku.startswith('—'):
                    want = ({x509.ObjectIdentifier('1.3.6.1.4.1.311.20.2.2'),
                             ExtendedKeyUsageOID.CLIENT_AUTH} if api else
                            {ExtendedKeyUsageOID.EMAIL_PROTECTION} if csr_pt else None)
                    self.assertEqual(set(x.value) if x else None, want)
                else:
                    parts = [p.strip() for p in eku.split(',')]
                    self.assertEqual(x.critical, parts[0] == 'Critical')
                    self.assertEqual(set(x.value),
                                     {EKU_NAMES[p] for p in parts if p != 'Critical'})
                # SKI from the subject key; AKI the issuer's SKI (none for roots)
                ski = ext(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
                self.assertEqual(ski, x509.SubjectKeyIdentifier.from_public_key(cert.public_key()))
                a = ext(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
                if aki == 'issuer SKI':
                    self.assertEqual(a.value.key_identifier, issuer_ski)
                else:
                    self.assertIsNone(a)
                # subject and SAN: API when the template honours it, else the CSR
                cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
                san = ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
                if api:
                    self.assertEqual(cn, 'api-subject')
                    self.assertEqual(san.value.get_values_for_type(x509.DNSName),
                                     ['api.example.com'])
                elif root_tpl:
                    self.assertEqual(cn, 'Issuance Root')
                else:
                    self.assertEqual(cn, 'csr.example.com')
                    self.assertEqual(san.value.get_values_for_type(x509.DNSName),
                                     ['csr.example.com'])
                # the CSR's other extensions pass only with a CSR passthrough
                self.assertEqual(ext(cert, x509.ObjectIdentifier(CUSTOM_OID)) is not None,
                                 csr_pt and not root_tpl)
                # no CRL configured on this CA: no CDP
                self.assertIsNone(ext(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS))
                if root_tpl:
                    self.assertEqual(cert.issuer, cert.subject)
                    # the issuing CA's certificate: the root's current one
                    self.assertEqual(load_cert(chain), issuer)
                else:
                    self.verify(pem, chain)
                self.assertEqual(arn.rsplit('/', 1)[1], '%032x' % cert.serial_number)

    # ---- validity ----

    def test_validity_types(self):
        now = time.time()
        cases = [({'Value': 10, 'Type': 'DAYS'}, now + 10 * 86400),
                 ({'Value': 2, 'Type': 'MONTHS'}, None),
                 ({'Value': 1, 'Type': 'YEARS'}, None),
                 ({'Value': int(now) + 5000, 'Type': 'ABSOLUTE'}, int(now) + 5000),
                 ({'Value': 301231235959, 'Type': 'END_DATE'},
                  datetime.datetime(2030, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc).timestamp()),
                 ({'Value': 20301231235959, 'Type': 'END_DATE'},
                  datetime.datetime(2030, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc).timestamp())]
        for v, want in cases:
            with self.subTest(validity=v):
                _, pem, _ = self.issue(validity=v)
                cert = load_cert(pem)
                self.assertLess(abs(cert.not_valid_before_utc.timestamp() - (now - 3600)), 120)
                if want:
                    self.assertLess(abs(cert.not_valid_after_utc.timestamp() - want), 120)
        # ValidityNotBefore, ABSOLUTE only
        nb = int(now) + 86400
        _, pem, _ = self.issue(ValidityNotBefore={'Value': nb, 'Type': 'ABSOLUTE'})
        self.assertEqual(int(load_cert(pem).not_valid_before_utc.timestamp()), nb)
        with open(self.csr, 'rb') as f:
            csr = f.read()
        base = dict(CertificateAuthorityArn=self.root_arn, Csr=csr, SigningAlgorithm='SHA256WITHRSA')
        self.error(self.c.issue_certificate, 'InvalidArgsException', 'ABSOLUTE',
                   Validity={'Value': 3, 'Type': 'DAYS'},
                   ValidityNotBefore={'Value': 1, 'Type': 'DAYS'}, **base)
        for v in ({'Value': 100, 'Type': 'YEARS'}, {'Value': 2**63 - 1, 'Type': 'ABSOLUTE'},
                  {'Value': 10000, 'Type': 'YEARS'}, {'Value': 2**63 - 1, 'Type': 'DAYS'},
                  {'Value': 20991231235959, 'Type': 'END_DATE'},
                  {'Value': 20261330000000, 'Type': 'END_DATE'},
                  {'Value': 1, 'Type': 'ABSOLUTE'}):
            with self.subTest(bad=v):
                self.error(self.c.issue_certificate, 'InvalidArgsException', Validity=v, **base)
        # a CA certificate must end strictly before its issuer's
        ca_na = self.c.describe_certificate_authority(CertificateAuthorityArn=self.root_arn)[
            'CertificateAuthority']['NotAfter']
        self.error(self.c.issue_certificate, 'InvalidArgsException', 'CA certificate',
                   TemplateArn=TEMPLATE_ARN + 'SubordinateCACertificate_PathLen0/V1',
                   Validity={'Value': int(ca_na.timestamp()), 'Type': 'ABSOLUTE'}, **base)
        # an end-entity certificate may end with it
        self.issue(validity={'Value': int(ca_na.timestamp()), 'Type': 'ABSOLUTE'})

    def subordinate(self, key, sig, cn, years, **create):
        """A SUBORDINATE CA signed by the suite's root; its ARN and what
        GetCertificate gave for its certificate (not yet imported)."""
        sub = self.c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE', CertificateAuthorityConfiguration={
                'KeyAlgorithm': key, 'SigningAlgorithm': sig, 'Subject': {'CommonName': cn}},
            **create)['CertificateAuthorityArn']
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=sub, WaiterConfig={'Delay': 1})
        csr = self.c.get_certificate_authority_csr(CertificateAuthorityArn=sub)['Csr']
        cert_arn = self.c.issue_certificate(
            CertificateAuthorityArn=self.root_arn, Csr=csr.encode(), SigningAlgorithm='SHA256WITHRSA',
            TemplateArn=TEMPLATE_ARN + 'SubordinateCACertificate_PathLen0/V1',
            Validity={'Value': years, 'Type': 'YEARS'})['CertificateArn']
        return sub, self.c.get_certificate(CertificateAuthorityArn=self.root_arn,
                                           CertificateArn=cert_arn)

    def test_short_lived_ca(self):
        sub, got = self.subordinate('EC_prime256v1', 'SHA256WITHECDSA', 'Short-lived Sub', 1,
                                    UsageMode='SHORT_LIVED_CERTIFICATE')
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=sub, Certificate=got['Certificate'].encode(),
            CertificateChain=got['CertificateChain'].encode())
        ec_csr = make_csr(self.pe.dir, 'short', key='ec:P-256', subj='/CN=short.example')
        self.issue(csr_path=ec_csr, ca=sub, sig='SHA256WITHECDSA',
                   validity={'Value': 7, 'Type': 'DAYS'})
        with open(ec_csr, 'rb') as f:
            self.error(self.c.issue_certificate, 'InvalidArgsException', '7 days',
                       CertificateAuthorityArn=sub, Csr=f.read(), SigningAlgorithm='SHA256WITHECDSA',
                       Validity={'Value': 8, 'Type': 'DAYS'})

    # ---- the root activation flow, a subordinate in the same pcad ----

    def test_root_flow_rules(self):
        arn = self.c.create_certificate_authority(
            CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration={
                'KeyAlgorithm': 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA',
                'Subject': {'CommonName': 'Pending Root'}})['CertificateAuthorityArn']
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=arn, WaiterConfig={'Delay': 1})
        own = self.c.get_certificate_authority_csr(CertificateAuthorityArn=arn)['Csr'].encode()
        with open(self.csr, 'rb') as f:
            other = f.read()
        base = dict(CertificateAuthorityArn=arn, SigningAlgorithm='SHA256WITHECDSA',
                    Validity={'Value': 1, 'Type': 'YEARS'})
        # while PENDING_CERTIFICATE only its own CSR with a root template
        self.error(self.c.issue_certificate, 'InvalidStateException', Csr=own, **base)
        self.error(self.c.issue_certificate, 'InvalidArgsException', Csr=other,
                   TemplateArn=TEMPLATE_ARN + 'RootCACertificate/V1', **base)
        self.error(self.c.issue_certificate, 'InvalidArgsException', 'does not fit', Csr=own,
                   TemplateArn=TEMPLATE_ARN + 'RootCACertificate/V1',
                   **dict(base, SigningAlgorithm='SHA256WITHRSA'))
        cert_arn = self.c.issue_certificate(
            Csr=own, TemplateArn=TEMPLATE_ARN + 'BlankRootCACertificate_PathLen1_APIPassthrough/V1',
            ApiPassthrough={'Extensions': {'KeyUsage': {'KeyCertSign': True, 'CRLSign': True}}},
            **base)['CertificateArn']
        cert = self.c.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=cert['Certificate'].encode())
        self.assertEqual(self.c.describe_certificate_authority(CertificateAuthorityArn=arn)[
            'CertificateAuthority']['Status'], 'ACTIVE')
        got = load_cert(cert['Certificate'])
        self.assertEqual(ku_set(ext(got, ExtensionOID.KEY_USAGE)), {'key_cert_sign', 'crl_sign'})
        self.assertEqual(ext(got, ExtensionOID.BASIC_CONSTRAINTS).value.path_length, 1)

    def test_subordinate_in_same_pcad(self):
        sub, got = self.subordinate('EC_secp384r1', 'SHA384WITHECDSA', 'Issuing Sub', 3)
        self.assertEqual(load_cert(got['CertificateChain']), load_cert(self.root_pem))
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=sub, Certificate=got['Certificate'].encode(),
            CertificateChain=got['CertificateChain'].encode())
        ec_csr = make_csr(self.pe.dir, 'ecleaf', key='ec:P-256', subj='/CN=leaf.sub.example')
        _, pem, chain = self.issue(csr_path=ec_csr, ca=sub, sig='SHA384WITHECDSA')
        self.assertEqual(len(re.findall('BEGIN CERTIFICATE', chain)), 2)  # sub, then root
        self.verify(pem, chain)
        # pathlen 0 below: no CA certificates from the sub
        with open(ec_csr, 'rb') as f:
            self.error(self.c.issue_certificate, 'InvalidArgsException', 'path length',
                       CertificateAuthorityArn=sub, Csr=f.read(), SigningAlgorithm='SHA384WITHECDSA',
                       TemplateArn=TEMPLATE_ARN + 'SubordinateCACertificate_PathLen0/V1',
                       Validity={'Value': 30, 'Type': 'DAYS'})

    def test_pss_signatures(self):
        arn = self.make_root(self.c, 'RSA_3072', 'SHA384WITHRSA_PSS', 'PSS Root')
        _, pem, chain = self.issue(ca=arn, sig='SHA256WITHRSA_PSS')
        cert = load_cert(pem)
        self.assertEqual(cert.signature_algorithm_oid.dotted_string, '1.2.840.113549.1.1.10')
        self.verify(pem, chain)
        self.assertEqual(load_cert(self.ca_cert(arn)).signature_algorithm_oid.dotted_string,
                         '1.2.840.113549.1.1.10')

    # ---- the CLI example, idempotency ----

    def test_cli_example_verbatim(self):
        run(['cp', self.csr, os.path.join(self.pe.dir, 'cert_1.csr')])
        arns = []
        for v2 in (False, True, False, True):
            cmd = ['issue-certificate', '--certificate-authority-arn', self.root_arn,
                   '--csr', 'fileb://cert_1.csr', '--signing-algorithm', 'SHA256WITHRSA',
                   '--validity', 'Value=365,Type=DAYS', '--idempotency-token', '1234']
            r = self.pe.aws(*cmd, v2=v2, cwd=self.pe.dir)
            self.assertEqual(r.returncode, 0, r.stderr)
            arns.append(json.loads(r.stdout)['CertificateArn'])
            r = self.pe.aws('wait', 'certificate-issued', '--certificate-authority-arn',
                            self.root_arn, '--certificate-arn', arns[-1], v2=v2)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(set(arns)), 1)
        self.assertEqual(self.pe.psql("SELECT count(*) FROM certificates WHERE arn = '%s'" % arns[0]),
                         '1')

    def test_concurrent_duplicates_make_one_certificate(self):
        before = int(self.pe.psql('SELECT count(*) FROM certificates'))

        def one(_):
            return self.pe.boto3().issue_certificate(
                CertificateAuthorityArn=self.root_arn, Csr=open(self.csr, 'rb').read(),
                SigningAlgorithm='SHA256WITHRSA', Validity={'Value': 5, 'Type': 'DAYS'},
                IdempotencyToken='race-token')['CertificateArn']
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            arns = set(ex.map(one, range(16)))
        self.assertEqual(len(arns), 1)
        self.assertEqual(int(self.pe.psql('SELECT count(*) FROM certificates')), before + 1)
        arn = arns.pop()
        self.c.get_waiter('certificate_issued').wait(CertificateAuthorityArn=self.root_arn,
                                                     CertificateArn=arn)

    # ---- passthrough in full; CDP and AIA ----

    def test_api_passthrough_in_full(self):
        der_value = base64.b64encode(bytes.fromhex('0c03616263')).decode()  # UTF8String "abc"
        api = {
            'Subject': {'CustomAttributes': [{'ObjectIdentifier': '2.5.4.3', 'Value': 'custom-cn'}]},
            'Extensions': {
                'KeyUsage': {'DigitalSignature': True, 'KeyAgreement': True},
                'ExtendedKeyUsage': [{'ExtendedKeyUsageObjectIdentifier': '1.2.3.4.5.6'},
                                     {'ExtendedKeyUsageType': 'DOCUMENT_SIGNING'}],
                'SubjectAlternativeNames': [
                    {'DnsName': 'a.example.com'}, {'Rfc822Name': 'ops@example.com'},
                    {'UniformResourceIdentifier': 'https://example.com/x'},
                    {'IpAddress': '192.0.2.7'}, {'IpAddress': '2001:db8::1'},
                    {'DirectoryName': {'CommonName': 'dir', 'Country': 'US'}},
                    {'RegisteredId': '1.2.3.4'},
                    {'OtherName': {'TypeId': '1.3.6.1.4.1.311.20.2.3', 'Value': 'upn@example'}}],
                'CertificatePolicies': [{'CertPolicyId': '2.23.140.1.2.1', 'PolicyQualifiers': [
                    {'PolicyQualifierId': 'CPS', 'Qualifier': {'CpsUri': 'https://cps.example'}}]}],
                'CustomExtensions': [{'ObjectIdentifier': '1.3.6.1.4.1.99999.7', 'Value': der_value,
                                      'Critical': False}]}}
        _, pem, chain = self.issue(template='BlankEndEntityCertificate_APIPassthrough/V1',
                                   ApiPassthrough=api)
        cert = load_cert(pem)
        self.assertEqual(cert.subject.rfc4514_string(), 'CN=custom-cn')
        self.assertEqual(ku_set(ext(cert, ExtensionOID.KEY_USAGE)),
                         {'digital_signature', 'key_agreement'})
        self.assertEqual({o.dotted_string for o in ext(cert, ExtensionOID.EXTENDED_KEY_USAGE).value},
                         {'1.2.3.4.5.6', '1.3.6.1.4.1.311.10.3.12'})
        san = ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        self.assertEqual(san.get_values_for_type(x509.DNSName), ['a.example.com'])
        self.assertEqual(san.get_values_for_type(x509.RFC822Name), ['ops@example.com'])
        self.assertEqual([str(i) for i in san.get_values_for_type(x509.IPAddress)],
                         ['192.0.2.7', '2001:db8::1'])
        self.assertEqual(len(list(san)), 8)
        pol = ext(cert, ExtensionOID.CERTIFICATE_POLICIES).value[0]
        self.assertEqual(pol.policy_identifier.dotted_string, '2.23.140.1.2.1')
        self.assertEqual(pol.policy_qualifiers, ['https://cps.example'])
        self.assertEqual(ext(cert, x509.ObjectIdentifier('1.3.6.1.4.1.99999.7')).value.value,
                         bytes.fromhex('0c03616263'))
        self.verify(pem, chain)
        # EdiPartyName (cryptography cannot read it; openssl can)
        edi = {'Extensions': {'SubjectAlternativeNames': [
            {'EdiPartyName': {'PartyName': 'party', 'NameAssigner': 'assigner'}}]}}
        _, pem, _ = self.issue(template='EndEntityCertificate_APIPassthrough/V1',
                               ApiPassthrough=edi)
        text = subprocess.run(['openssl', 'x509', '-noout', '-text'], input=pem,
                              capture_output=True, text=True, check=True).stdout
        self.assertIn('EdiPartyName', text)
        # a base template ignores the passthrough
        _, pem, _ = self.issue(template='EndEntityCertificate/V1', ApiPassthrough=api)
        self.assertEqual(load_cert(pem).subject.rfc4514_string(), 'CN=csr.example.com')
        # and bad passthrough values are InvalidArgs
        with open(self.csr, 'rb') as f:
            csr = f.read()
        for bad in ({'Extensions': {'SubjectAlternativeNames': [{'IpAddress': '300.1.1.1'}]}},
                    {'Extensions': {'SubjectAlternativeNames': [
                        {'DnsName': 'a', 'Rfc822Name': 'b@c'}]}},
                    {'Extensions': {'CustomExtensions': [{'ObjectIdentifier': '1.2.3',
                                                          'Value': 'AAAA'}]}}):
            with self.subTest(bad=bad):
                self.error(self.c.issue_certificate, 'InvalidArgsException',
                           CertificateAuthorityArn=self.root_arn, Csr=csr,
                           SigningAlgorithm='SHA256WITHRSA', Validity={'Value': 1, 'Type': 'DAYS'},
                           TemplateArn=TEMPLATE_ARN + 'BlankEndEntityCertificate_APIPassthrough/V1',
                           ApiPassthrough=bad)

    def test_cdp_and_ocsp_from_the_ca(self):
        arn = self.make_root(self.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'CRL Root')
        ca_id = arn.rsplit('/', 1)[1]
        ec_csr = make_csr(self.pe.dir, 'cdp', key='ec:P-256', subj='/CN=cdp.example')
        cases = [
            ({'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'crl-bucket',
                                   'CustomCname': 'crl.example.com'},
              'OcspConfiguration': {'Enabled': True, 'OcspCustomCname': 'ocsp.example.com'}},
             'http://crl.example.com/crl/%s.crl' % ca_id, 'http://ocsp.example.com/'),
            ({'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'crl-bucket'}},
             'http://crl-bucket.s3.us-east-1.amazonaws.com/crl/%s.crl' % ca_id, None),
            ({'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'crl-bucket',
                                   'CustomCname': 'crl.example.com', 'CustomPath': 'pki/crls'}},
             'http://crl.example.com/pki/crls/%s.crl' % ca_id, None),
            ({'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'crl-bucket',
                                   'CrlDistributionPointExtensionConfiguration':
                                       {'OmitExtension': True}}}, None, None),
        ]
        for rc, cdp, ocsp in cases:
            with self.subTest(rc=rc):
                self.c.update_certificate_authority(CertificateAuthorityArn=arn,
                                                    RevocationConfiguration=rc)
                _, pem, _ = self.issue(csr_path=ec_csr, ca=arn, sig='SHA256WITHECDSA')
                cert = load_cert(pem)
                d = ext(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
                self.assertEqual(d.value[0].full_name[0].value if d else None, cdp)
                a = ext(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
                self.assertEqual(a.value[0].access_location.value if a else None, ocsp)

    # ---- errors ----

    def test_csr_errors(self):
        base = dict(CertificateAuthorityArn=self.root_arn, SigningAlgorithm='SHA256WITHRSA',
                    Validity={'Value': 1, 'Type': 'DAYS'})
        with open(self.csr, 'rb') as f:
            good = f.read()
        der = base64.b64decode(b''.join(good.splitlines()[1:-1]))
        flipped = bytearray(der)
        flipped[-5] ^= 1
        flipped_pem = (b'-----BEGIN CERTIFICATE REQUEST-----\n' + base64.encodebytes(bytes(flipped))
                       + b'-----END CERTIFICATE REQUEST-----\n')
        bad = [b'garbage', good[:200], self.root_pem.encode(), flipped_pem, good + good]
        for i, csr in enumerate(bad):
            with self.subTest(case=i):
                self.error(self.c.issue_certificate, 'MalformedCSRException', Csr=csr, **base)
        # DER works
        self.c.issue_certificate(Csr=der, **base)
        # key policy
        for key in ('rsa:1024', 'ec:secp256k1', 'ec:P-224'):
            with self.subTest(key=key):
                p = make_csr(self.pe.dir, 'weak-' + key.replace(':', ''), key=key)
                self.error(self.c.issue_certificate, 'MalformedCSRException', Csr=open(p, 'rb').read(),
                           **base)
        # over 32 KB
        self.error(self.c.issue_certificate, 'ValidationException', Csr=b'A' * 33000, **base)
        self.error(self.c.issue_certificate, 'InvalidArgsException', 'does not fit', Csr=good,
                   **dict(base, SigningAlgorithm='SHA256WITHECDSA'))
        self.error(self.c.issue_certificate, 'InvalidArgsException', 'template', Csr=good,
                   TemplateArn=TEMPLATE_ARN + 'NoSuchTemplate/V1', **base)
        self.error(self.c.issue_certificate, 'ResourceNotFoundException', Csr=good,
                   **dict(base, CertificateAuthorityArn=self.root_arn[:-4] + 'ffff'))

    # ---- key quality (BR 6.1.1.3, 6.1.6) ----

    def test_weak_keys_refused(self):
        base = dict(CertificateAuthorityArn=self.root_arn, SigningAlgorithm='SHA256WITHRSA',
                    Validity={'Value': 1, 'Type': 'DAYS'})
        before = int(self.pe.psql('SELECT count(*) FROM certificates'))
        self.error(self.c.issue_certificate, 'MalformedCSRException', 'public exponent 1;',
                   Csr=e1_csr('e1.example'), **base)
        key = close_primes_key()
        fermat = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, 'fermat.example')])).sign(key, hashes.SHA256())
        self.error(self.c.issue_certificate, 'MalformedCSRException', 'too close',
                   Csr=fermat.public_bytes(serialization.Encoding.PEM), **base)
        sha1 = make_csr(self.pe.dir, 'sha1', subj='/CN=sha1.example')
        run(['openssl', 'req', '-new', '-sha1', '-key', sha1[:-4] + '.key', '-subj',
             '/CN=sha1.example', '-out', sha1])
        self.error(self.c.issue_certificate, 'MalformedCSRException', 'SHA-1',
                   Csr=open(sha1, 'rb').read(), **base)
        self.assertEqual(int(self.pe.psql('SELECT count(*) FROM certificates')), before)

    def test_weak_key_in_imported_chain(self):
        """A subordinate's certificate signed by a root whose key Fermat's
        method factors: MalformedCertificateException, the CA stays
        PENDING_CERTIFICATE."""
        sub = self.c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE', CertificateAuthorityConfiguration={
                'KeyAlgorithm': 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA',
                'Subject': {'CommonName': 'Weak-rooted Sub'}})['CertificateAuthorityArn']
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=sub, WaiterConfig={'Delay': 1})
        csr = x509.load_pem_x509_csr(
            self.c.get_certificate_authority_csr(CertificateAuthorityArn=sub)['Csr'].encode())
        key = close_primes_key()
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Fermat Root')])
        now = datetime.datetime.now(datetime.timezone.utc)

        def cert(subject, pub, ca):
            return (x509.CertificateBuilder().subject_name(subject).issuer_name(root_name)
                    .public_key(pub).serial_number(x509.random_serial_number())
                    .not_valid_before(now - datetime.timedelta(hours=1))
                    .not_valid_after(now + datetime.timedelta(days=ca))
                    .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                    .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
        root = cert(root_name, key.public_key(), 3650)
        leaf = cert(csr.subject, csr.public_key(), 365)
        self.error(self.c.import_certificate_authority_certificate,
                   'MalformedCertificateException', 'too close', CertificateAuthorityArn=sub,
                   Certificate=leaf, CertificateChain=root)
        self.assertEqual(self.c.describe_certificate_authority(CertificateAuthorityArn=sub)[
            'CertificateAuthority']['Status'], 'PENDING_CERTIFICATE')

    # ---- name constraints (RFC 5280 4.2.1.10) ----

    def test_name_constraints(self):
        """A subordinate whose certificate permits only DNS:.good.example
        issues www.good.example (which openssl verify accepts) and refuses
        evil.example, in the SAN or as a host-name CN."""
        nc = x509.NameConstraints(permitted_subtrees=[x509.DNSName('.good.example')],
                                  excluded_subtrees=None)
        sub = self.c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE', CertificateAuthorityConfiguration={
                'KeyAlgorithm': 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA',
                'Subject': {'CommonName': 'Constrained Sub'}})['CertificateAuthorityArn']
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=sub, WaiterConfig={'Delay': 1})
        csr = self.c.get_certificate_authority_csr(CertificateAuthorityArn=sub)['Csr']
        arn = self.c.issue_certificate(
            CertificateAuthorityArn=self.root_arn, Csr=csr.encode(),
            SigningAlgorithm='SHA256WITHRSA', Validity={'Value': 2, 'Type': 'YEARS'},
            TemplateArn=TEMPLATE_ARN + 'BlankSubordinateCACertificate_PathLen0_APIPassthrough/V1',
            ApiPassthrough={'Extensions': {
                'KeyUsage': {'KeyCertSign': True, 'CRLSign': True},
                'CustomExtensions': [{'ObjectIdentifier': '2.5.29.30', 'Critical': True,
                                      'Value': base64.b64encode(nc.public_bytes()).decode()}]}}
        )['CertificateArn']
        got = self.c.get_certificate(CertificateAuthorityArn=self.root_arn, CertificateArn=arn)
        self.assertEqual(ext(load_cert(got['Certificate']), ExtensionOID.NAME_CONSTRAINTS).value,
                         nc)
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=sub, Certificate=got['Certificate'].encode(),
            CertificateChain=got['CertificateChain'].encode())
        before = int(self.pe.psql('SELECT count(*) FROM certificates'))
        for name, subj, san in (('nc-evil', '/CN=evil.example', 'DNS:evil.example'),
                                ('nc-mixed', '/CN=www.good.example',
                                 'DNS:www.good.example,DNS:evil.example'),
                                ('nc-cn', '/CN=evil.example', None)):
            with self.subTest(name=name):
                p = make_csr(self.pe.dir, name, key='ec:P-256', subj=subj,
                             exts=['subjectAltName=' + san] if san else [])
                self.error(self.c.issue_certificate, 'InvalidArgsException',
                           'evil.example is outside the name constraints',
                           CertificateAuthorityArn=sub, Csr=open(p, 'rb').read(),
                           SigningAlgorithm='SHA256WITHECDSA',
                           Validity={'Value': 30, 'Type': 'DAYS'})
        self.assertEqual(int(self.pe.psql('SELECT count(*) FROM certificates')), before)
        good = make_csr(self.pe.dir, 'nc-good', key='ec:P-256', subj='/CN=www.good.example',
                        exts=['subjectAltName=DNS:www.good.example'])
        _, pem, chain = self.issue(csr_path=good, ca=sub, sig='SHA256WITHECDSA')
        self.verify(pem, chain)

    def test_name_constraints_at_import(self):
        """A subordinate's certificate outside its issuer's name
        constraints is refused at import (path validation does it)."""
        d = os.path.join(self.pe.dir, 'ncroot')
        os.makedirs(d, exist_ok=True)
        run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
             '-nodes', '-days', '3650', '-subj', '/CN=Constraining Root',
             '-keyout', os.path.join(d, 'root.key'), '-out', os.path.join(d, 'root.pem'),
             '-addext', 'basicConstraints=critical,CA:TRUE',
             '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
             '-addext', 'nameConstraints=critical,permitted;DNS:.good.example'])
        sub = self.c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE', CertificateAuthorityConfiguration={
                'KeyAlgorithm': 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA',
                'Subject': {'CommonName': 'Import Sub'}})['CertificateAuthorityArn']
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=sub, WaiterConfig={'Delay': 1})
        with open(os.path.join(d, 'sub.csr'), 'w') as f:
            f.write(self.c.get_certificate_authority_csr(CertificateAuthorityArn=sub)['Csr'])
        root = open(os.path.join(d, 'root.pem'), 'rb').read()
        for san, ok in (('DNS:sub.evil.example', False), ('DNS:sub.good.example', True)):
            with open(os.path.join(d, 'ext'), 'w') as f:
                f.write('basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,'
                        'cRLSign\nsubjectAltName=%s\n' % san)
            run(['openssl', 'x509', '-req', '-in', os.path.join(d, 'sub.csr'),
                 '-CA', os.path.join(d, 'root.pem'), '-CAkey', os.path.join(d, 'root.key'),
                 '-set_serial', str(int.from_bytes(os.urandom(8), 'big')), '-days', '365',
                 '-extfile', os.path.join(d, 'ext'), '-out', os.path.join(d, 'sub.pem')])
            cert = open(os.path.join(d, 'sub.pem'), 'rb').read()
            if ok:
                self.c.import_certificate_authority_certificate(
                    CertificateAuthorityArn=sub, Certificate=cert, CertificateChain=root)
            else:
                self.error(self.c.import_certificate_authority_certificate,
                           'CertificateMismatchException', 'permitted subtree violation',
                           CertificateAuthorityArn=sub, Certificate=cert, CertificateChain=root)

    def test_state_errors(self):
        arn = self.make_root(self.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'Disabled Root')
        ec_csr = make_csr(self.pe.dir, 'st', key='ec:P-256', subj='/CN=state.example')
        cert_arn, _, _ = self.issue(csr_path=ec_csr, ca=arn, sig='SHA256WITHECDSA')
        self.c.update_certificate_authority(CertificateAuthorityArn=arn, Status='DISABLED')
        self.error(self.c.issue_certificate, 'InvalidStateException',
                   CertificateAuthorityArn=arn, Csr=open(ec_csr, 'rb').read(),
                   SigningAlgorithm='SHA256WITHECDSA', Validity={'Value': 1, 'Type': 'DAYS'})
        # a DISABLED CA still revokes and serves its certificates
        serial = cert_arn.rsplit('/', 1)[1]
        self.c.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial=serial,
                                  RevocationReason='SUPERSEDED')
        self.c.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)
        self.c.delete_certificate_authority(CertificateAuthorityArn=arn)
        self.error(self.c.get_certificate, 'InvalidStateException', 'correct state',
                   CertificateAuthorityArn=arn, CertificateArn=cert_arn)

    def test_get_certificate_errors(self):
        cert_arn, _, _ = self.issue()
        other = self.make_root(self.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'Other Root')
        self.error(self.c.get_certificate, 'ResourceNotFoundException',
                   CertificateAuthorityArn=other, CertificateArn=cert_arn)
        self.error(self.c.get_certificate, 'ResourceNotFoundException',
                   CertificateAuthorityArn=self.root_arn,
                   CertificateArn=self.root_arn + '/certificate/' + '0' * 31 + '1')
        self.error(self.c.get_certificate, 'InvalidArnException',
                   CertificateAuthorityArn=self.root_arn, CertificateArn='not an arn')

    def test_pending_and_failed(self):
        cert_arn, _, _ = self.issue()
        self.pe.psql("UPDATE certificates SET status = 'PENDING', der = NULL WHERE arn = '%s'"
                     % cert_arn)
        self.error(self.c.get_certificate, 'RequestInProgressException',
                   CertificateAuthorityArn=self.root_arn, CertificateArn=cert_arn)
        self.pe.psql("UPDATE certificates SET created_at = now() - interval '1 hour'"
                     " WHERE arn = '%s'" % cert_arn)
        self.assertTrue(wait_for(lambda: self.pe.psql(
            "SELECT status FROM certificates WHERE arn = '%s'" % cert_arn) == 'FAILED', 30))
        self.error(self.c.get_certificate, 'RequestFailedException',
                   CertificateAuthorityArn=self.root_arn, CertificateArn=cert_arn)

    def test_revocation(self):
        cert_arn, pem, _ = self.issue()
        serial = load_cert(pem).serial_number
        colon = ':'.join('%02X' % b for b in serial.to_bytes(16, 'big'))
        for reason in ('UNSPECIFIED', 'KEY_COMPROMISE', 'CERTIFICATE_AUTHORITY_COMPROMISE',
                       'AFFILIATION_CHANGED', 'SUPERSEDED', 'CESSATION_OF_OPERATION',
                       'PRIVILEGE_WITHDRAWN', 'A_A_COMPROMISE'):
            with self.subTest(reason=reason):
                arn, pem, _ = self.issue()
                form = '%x' % load_cert(pem).serial_number
                self.c.revoke_certificate(CertificateAuthorityArn=self.root_arn,
                                          CertificateSerial='000' + form.upper(),
                                          RevocationReason=reason)
                self.assertEqual(self.pe.psql("SELECT revocation_reason FROM certificates"
                                              " WHERE arn = '%s'" % arn), reason)
        self.c.revoke_certificate(CertificateAuthorityArn=self.root_arn, CertificateSerial=colon,
                                  RevocationReason='KEY_COMPROMISE')
        self.error(self.c.revoke_certificate, 'RequestAlreadyProcessedException',
                   CertificateAuthorityArn=self.root_arn, CertificateSerial=colon.lower(),
                   RevocationReason='KEY_COMPROMISE')
        self.assertEqual(self.pe.psql("SELECT count(*) FROM audit_events WHERE event ="
                                      " 'RevokeCertificate' AND serial = '%x'" % serial), '1')
        # the revoked certificate can still be fetched
        self.c.get_certificate(CertificateAuthorityArn=self.root_arn, CertificateArn=cert_arn)
        self.error(self.c.revoke_certificate, 'ResourceNotFoundException',
                   CertificateAuthorityArn=self.root_arn, CertificateSerial='0123456789abcdef',
                   RevocationReason='KEY_COMPROMISE')
        own = self.c.describe_certificate_authority(CertificateAuthorityArn=self.root_arn)[
            'CertificateAuthority']['Serial']
        self.error(self.c.revoke_certificate, 'InvalidRequestException',
                   CertificateAuthorityArn=self.root_arn, CertificateSerial=own,
                   RevocationReason='KEY_COMPROMISE')
        self.error(self.c.revoke_certificate, 'InvalidRequestException',
                   CertificateAuthorityArn=self.root_arn, CertificateSerial='xyz',
                   RevocationReason='KEY_COMPROMISE')

    def test_every_issuance_is_audited(self):
        cert_arn, _, _ = self.issue()
        serial = cert_arn.rsplit('/', 1)[1].lstrip('0')
        events = self.pe.psql("SELECT string_agg(event || '/' || coalesce(actor, ''), ',' ORDER BY id)"
                              " FROM audit_events WHERE serial = '%s'" % serial).split(',')
        key = self.pe.env['AWS_ACCESS_KEY_ID']
        self.assertEqual(events, ['IssueCertificate/' + key, 'SignCertificate/' + key])


if __name__ == '__main__':
    unittest.main()
