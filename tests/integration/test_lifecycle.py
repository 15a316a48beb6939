"""CA lifecycle through boto3 and both CLIs: keys born in the token, CSR,
import, describe/list, update, delete/restore/purge, tags, ARNs."""
import base64
import concurrent.futures
import datetime
import json
import os
import signal
import subprocess
import time
import unittest

import botocore.exceptions
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pcatest import EnvTestCase, wait_for
from pki import TestRoot, load_cert, load_csr, token_objects

ALGS = {
    'RSA_2048': ('SHA256WITHRSA', rsa.RSAPublicKey, 2048),
    'RSA_3072': ('SHA384WITHRSA_PSS', rsa.RSAPublicKey, 3072),
    'RSA_4096': ('SHA512WITHRSA', rsa.RSAPublicKey, 4096),
    'EC_prime256v1': ('SHA256WITHECDSA', ec.EllipticCurvePublicKey, 256),
    'EC_secp384r1': ('SHA384WITHECDSA', ec.EllipticCurvePublicKey, 384),
    'EC_secp521r1': ('SHA512WITHECDSA', ec.EllipticCurvePublicKey, 521),
}
UNKNOWN = ('arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/'
           '11111111-2222-3333-4444-555555555555')


def config(key='EC_prime256v1', sig=None, **subject):
    return {'KeyAlgorithm': key, 'SigningAlgorithm': sig or ALGS[key][0],
            'Subject': subject or {'CommonName': 'Test CA'}}


class Lifecycle(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = cls.pe.boto3()
        cls.root = TestRoot(cls.pe.dir)

    # ---- helpers ----

    def create(self, ca_type='SUBORDINATE', cfg=None, **kw):
        return self.c.create_certificate_authority(
            CertificateAuthorityType=ca_type, CertificateAuthorityConfiguration=cfg or config(),
            **kw)['CertificateAuthorityArn']

    def wait_csr(self, arn):
        self.c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=arn, WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        return self.c.get_certificate_authority_csr(CertificateAuthorityArn=arn)['Csr']

    def activate(self, arn, root=None):
        root = root or self.root
        cert = root.sign(self.wait_csr(arn))
        with open(cert, 'rb') as f:
            body = f.read()
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=body, CertificateChain=root.read().encode())
        return body

    def describe(self, arn):
        return self.c.describe_certificate_authority(CertificateAuthorityArn=arn)[
            'CertificateAuthority']

    def error(self, fn, code, part=None, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        self.assertEqual(cm.exception.response['Error']['Code'], code,
                         cm.exception.response['Error'].get('Message'))
        if part:
            self.assertIn(part, cm.exception.response['Error']['Message'])
        return cm.exception.response['Error']['Message']

    def import_error(self, arn, cert, chain, code, part=None):
        kw = {'CertificateAuthorityArn': arn, 'Certificate': cert}
        if chain is not None:
            kw['CertificateChain'] = chain
        return self.error(self.c.import_certificate_authority_certificate, code, part, **kw)

    # ---- creation, keys, CSRs, activation for all six key algorithms ----

    def test_all_key_algorithms(self):
        for key, (sig, kind, bits) in ALGS.items():
            with self.subTest(key=key):
                arn = self.create(cfg=config(key, CommonName='CA ' + key, Organization='Ex'))
                csr = load_csr(self.wait_csr(arn))
                self.assertTrue(csr.is_signature_valid)
                self.assertIsInstance(csr.public_key(), kind)
                self.assertEqual(csr.public_key().key_size, bits)
                if sig.endswith('_PSS'):
                    self.assertEqual(csr.signature_algorithm_oid.dotted_string,
                                     '1.2.840.113549.1.1.10')
                ca = self.describe(arn)
                self.assertEqual(ca['Status'], 'PENDING_CERTIFICATE')
                body = self.activate(arn)
                ca = self.describe(arn)
                self.assertEqual(ca['Status'], 'ACTIVE')
                cert = load_cert(body.decode())
                hexs = '%x' % cert.serial_number
                self.assertEqual(ca['Serial'], hexs.rjust(len(hexs) + len(hexs) % 2, '0'))
                self.assertEqual(int(ca['NotAfter'].timestamp()),
                                 int(cert.not_valid_after_utc.timestamp()))
                got = self.c.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
                self.assertEqual(load_cert(got['Certificate']), cert)
                self.assertEqual(load_cert(got['CertificateChain']), load_cert(self.root.read()))

    def test_keys_in_token_have_safe_attributes(self):
        arn = self.create()
        self.wait_csr(arn)
        keys = [o for o in token_objects(self.pe.env) if o['type'].startswith('Private Key')]
        self.assertGreater(len(keys), 0)
        for k in keys:
            with self.subTest(label=k.get('label')):
                access = [a.strip() for a in k['Access'].split(',')]
                for want in ('sensitive', 'always sensitive', 'never extractable', 'local'):
                    self.assertIn(want, access)
                self.assertNotIn('extractable', access)  # only "never extractable"
                usage = [u.strip() for u in k['Usage'].split(',')]
                self.assertEqual(usage, ['sign'])  # no decrypt, unwrap, derive

    def test_unsupported_algorithms(self):
        for key, sig in (('SM2', 'SM3WITHSM2'), ('ML_DSA_44', 'ML_DSA_44')):
            self.error(self.c.create_certificate_authority, 'InvalidArgsException', key,
                       CertificateAuthorityType='ROOT',
                       CertificateAuthorityConfiguration=config(key, sig))
        self.error(self.c.create_certificate_authority, 'InvalidArgsException',
                   'does not fit', CertificateAuthorityType='ROOT',
                   CertificateAuthorityConfiguration=config('EC_prime256v1', 'SHA256WITHRSA'))
        self.error(self.c.create_certificate_authority, 'InvalidArgsException',
                   'does not fit', CertificateAuthorityType='ROOT',
                   CertificateAuthorityConfiguration=config('RSA_2048', 'SHA256WITHECDSA'))
        self.error(self.c.create_certificate_authority, 'ValidationException',
                   CertificateAuthorityType='INTERMEDIATE',
                   CertificateAuthorityConfiguration=config())

    def test_subject_attributes_and_csr_extensions(self):
        subject = {'Country': 'US', 'Organization': 'Example Corp', 'OrganizationalUnit': 'PKI',
                   'DistinguishedNameQualifier': 'dnq1', 'State': 'WA', 'CommonName': 'Full',
                   'SerialNumber': 'SN-1', 'Locality': 'Seattle', 'Title': 'CA', 'Surname': 'Doe',
                   'GivenName': 'Jane', 'Initials': 'JD', 'Pseudonym': 'jd',
                   'GenerationQualifier': 'III'}
        cfg = config(**subject)
        cfg['CsrExtensions'] = {
            'KeyUsage': {'KeyCertSign': True, 'CRLSign': True, 'DigitalSignature': True},
            'SubjectInformationAccess': [{
                'AccessMethod': {'AccessMethodType': 'CA_REPOSITORY'},
                'AccessLocation': {'UniformResourceIdentifier': 'http://repo.example/ca'}}]}
        arn = self.create(cfg=cfg)
        csr = load_csr(self.wait_csr(arn))
        attrs = [a.oid.dotted_string for a in csr.subject]
        self.assertEqual(len(attrs), 14)
        self.assertEqual(attrs[0], '2.5.4.6')       # Country first (model order)
        self.assertEqual(attrs[5], '2.5.4.3')       # CommonName sixth
        self.assertIn('CN=Full', csr.subject.rfc4514_string())
        ku = csr.extensions.get_extension_for_oid(x509_oid('2.5.29.15'))
        self.assertTrue(ku.critical)
        self.assertTrue(ku.value.key_cert_sign and ku.value.crl_sign and
                        ku.value.digital_signature)
        sia = csr.extensions.get_extension_for_oid(x509_oid('1.3.6.1.5.5.7.1.11'))
        self.assertEqual(sia.value[0].access_location.value, 'http://repo.example/ca')
        self.assertEqual(self.describe(arn)['CertificateAuthorityConfiguration'], cfg)
        # custom attributes alone work; mixed with standard ones they do not
        cfg = config()
        cfg['Subject'] = {'CustomAttributes': [{'ObjectIdentifier': '2.5.4.3', 'Value': 'cust'},
                                               {'ObjectIdentifier': '1.2.3.4.5', 'Value': 'x'}]}
        csr = load_csr(self.wait_csr(self.create(cfg=cfg)))
        self.assertEqual([a.oid.dotted_string for a in csr.subject], ['2.5.4.3', '1.2.3.4.5'])
        cfg['Subject']['CommonName'] = 'mixed'
        self.error(self.c.create_certificate_authority, 'InvalidArgsException', 'CustomAttributes',
                   CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration=cfg)
        self.error(self.c.create_certificate_authority, 'InvalidArgsException',
                   CertificateAuthorityType='ROOT',
                   CertificateAuthorityConfiguration=config(Country='US', CommonName='a' * 65)
                   | {'Subject': {}})
        for bad in ({'CommonName': 'a' * 65}, {'Country': 'USA'},
                    {'SerialNumber': 'bad*char'}):
            self.error(self.c.create_certificate_authority, 'ValidationException',
                       CertificateAuthorityType='ROOT',
                       CertificateAuthorityConfiguration=config(**bad))

    def test_revocation_configuration_rules(self):
        ok = {'CrlConfiguration': {'Enabled': True, 'ExpirationInDays': 7,
                                   'CustomCname': 'crl.example.com', 'S3BucketName': 'my-crls'},
              'OcspConfiguration': {'Enabled': True, 'OcspCustomCname': 'ocsp.example.com'}}
        arn = self.create(RevocationConfiguration=ok)
        self.assertEqual(self.describe(arn)['RevocationConfiguration'], ok)
        bad = [
            ({'CrlConfiguration': {'Enabled': False, 'ExpirationInDays': 7}}, 'Enabled'),
            ({'OcspConfiguration': {'Enabled': False, 'OcspCustomCname': 'x.example'}}, 'Enabled'),
            ({'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'b-1',
                                   'CustomCname': 'http://crl.example'}}, 'scheme'),
            ({'OcspConfiguration': {'Enabled': True, 'OcspCustomCname': 'https://o.example'}},
             'scheme'),
            ({'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'b-1',
                                   'CustomCname': 'crl.example',
                                   'CrlDistributionPointExtensionConfiguration':
                                       {'OmitExtension': True}}}, 'OmitExtension'),
            ({'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'Bad_Bucket'}}, 'S3'),
            ({'CrlConfiguration': {'Enabled': True}}, 'S3BucketName'),
        ]
        for rc, part in bad:
            with self.subTest(rc=rc):
                self.error(self.c.create_certificate_authority, 'InvalidArgsException', part,
                           CertificateAuthorityType='ROOT',
                           CertificateAuthorityConfiguration=config(),
                           RevocationConfiguration=rc)
        self.error(self.c.create_certificate_authority, 'ValidationException',
                   CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration=config(),
                   RevocationConfiguration={'CrlConfiguration': {
                       'Enabled': True, 'S3BucketName': 'b-1', 'ExpirationInDays': 5001}})

    def test_usage_mode_and_security_standard(self):
        arn = self.create(UsageMode='SHORT_LIVED_CERTIFICATE',
                          KeyStorageSecurityStandard='FIPS_140_2_LEVEL_2_OR_HIGHER')
        ca = self.describe(arn)
        self.assertEqual(ca['UsageMode'], 'SHORT_LIVED_CERTIFICATE')
        self.assertEqual(ca['KeyStorageSecurityStandard'], 'FIPS_140_2_LEVEL_2_OR_HIGHER')
        self.error(self.c.create_certificate_authority, 'InvalidArgsException', 'security standard',
                   CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration=config(),
                   KeyStorageSecurityStandard='CCPC_LEVEL_1_OR_HIGHER')

    def test_idempotency_token(self):
        a = self.create(IdempotencyToken='same-token')
        b = self.create(IdempotencyToken='same-token')
        self.assertEqual(a, b)
        self.assertNotEqual(self.create(IdempotencyToken='other-token'), a)
        # concurrent duplicates make one CA
        before = self.count_cas()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            arns = set(ex.map(lambda _: self.pe.boto3().create_certificate_authority(
                CertificateAuthorityType='ROOT', CertificateAuthorityConfiguration=config(),
                IdempotencyToken='race')['CertificateAuthorityArn'], range(8)))
        self.assertEqual(len(arns), 1)
        self.assertEqual(self.count_cas(), before + 1)
        # five minutes later the token is free again
        self.pe.psql("UPDATE idempotency_tokens SET created_at = now() - interval '6 minutes'"
                     " WHERE token = 'same-token'")
        self.assertNotEqual(self.create(IdempotencyToken='same-token'), a)

    def count_cas(self):
        return int(self.pe.psql('SELECT count(*) FROM certificate_authorities'))

    # ---- import rules ----

    def test_import_rules(self):
        sub = self.create()
        csr = self.wait_csr(sub)
        good = open(self.root.sign(csr), 'rb').read()
        chain = self.root.read().encode()
        other = TestRoot(self.pe.dir, cn='Other Root')
        self.import_error(sub, b'not a certificate', chain, 'MalformedCertificateException')
        self.import_error(sub, b'-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
                          chain, 'MalformedCertificateException')
        self.import_error(sub, csr.encode(), chain, 'MalformedCertificateException')
        # a certificate for another key
        self.import_error(sub, other.read().encode(), None, 'CertificateMismatchException')
        self.import_error(sub, good, None, 'InvalidRequestException', 'CertificateChain')
        self.import_error(sub, good, good + chain, 'InvalidRequestException', 'must not contain')
        self.import_error(sub, good, other.read().encode(), 'CertificateMismatchException')
        self.import_error(sub, good, b'garbage', 'MalformedCertificateException')
        # basic constraints: missing, not critical, or CA=false
        for ext in (['keyUsage=critical,keyCertSign'],
                    ['basicConstraints=CA:TRUE', 'keyUsage=critical,keyCertSign'],
                    ['basicConstraints=critical,CA:FALSE']):
            cert = open(self.root.sign(csr, ext), 'rb').read()
            self.import_error(sub, cert, chain, 'MalformedCertificateException', 'basic constraints')
        # critical extensions: AIA may not be; an unknown one may not be either
        for ext in ('authorityInfoAccess=critical,caIssuers;URI:http://x.example/ca.crt',
                    'crlDistributionPoints=critical,URI:http://x.example/ca.crl',
                    '1.2.3.4.5.6=critical,ASN1:UTF8String:surprise'):
            cert = open(self.root.sign(csr, ['basicConstraints=critical,CA:TRUE', ext]), 'rb').read()
            self.import_error(sub, cert, chain, 'MalformedCertificateException', 'critical')
        # path length: a root with pathlen 0 cannot have an intermediate below it
        tight = TestRoot(self.pe.dir, cn='Tight Root', pathlen=0)
        mid_csr = subprocess.run(
            ['openssl', 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
             '-nodes', '-keyout', os.path.join(tight.dir, 'mid.key'), '-subj', '/CN=Mid'],
            capture_output=True, text=True, check=True).stdout
        mid = tight.sign(mid_csr)
        mid_ca = TestRoot.__new__(TestRoot)
        mid_ca.dir, mid_ca.key, mid_ca.pem = tight.dir, os.path.join(tight.dir, 'mid.key'), mid
        cert = open(mid_ca.sign(csr), 'rb').read()
        self.import_error(sub, cert, open(mid, 'rb').read() + tight.read().encode(),
                          'CertificateMismatchException', 'path length')
        # out of order: root first
        self.import_error(sub, cert, tight.read().encode() + open(mid, 'rb').read(),
                          'CertificateMismatchException')
        self.assertEqual(self.describe(sub)['Status'], 'PENDING_CERTIFICATE')
        # DER works as well as PEM, and then the CA is ACTIVE
        der = load_cert(good.decode()).public_bytes(encoding=der_encoding())
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=sub, Certificate=der, CertificateChain=chain)
        self.assertEqual(self.describe(sub)['Status'], 'ACTIVE')

    def test_root_import_rules(self):
        root_ca = self.create('ROOT')
        csr = self.wait_csr(root_ca)
        # the CA's own key, but not self-signed
        cert = open(self.root.sign(csr), 'rb').read()
        self.import_error(root_ca, cert, None, 'InvalidRequestException', 'self-signed')
        # self-signed, but another key
        self.import_error(root_ca, self.root.read().encode(), None, 'CertificateMismatchException')
        self.error(self.c.get_certificate_authority_certificate, 'InvalidStateException',
                   CertificateAuthorityArn=root_ca)

    def test_renewal_keeps_status(self):
        arn = self.create()
        first = self.activate(arn)
        serial1 = self.describe(arn)['Serial']
        csr = self.c.get_certificate_authority_csr(CertificateAuthorityArn=arn)['Csr']
        renewed = open(self.root.sign(csr, days=2000), 'rb').read()
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=renewed,
            CertificateChain=self.root.read().encode())
        ca = self.describe(arn)
        self.assertEqual(ca['Status'], 'ACTIVE')
        self.assertNotEqual(ca['Serial'], serial1)
        self.c.update_certificate_authority(CertificateAuthorityArn=arn, Status='DISABLED')
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=first,
            CertificateChain=self.root.read().encode())
        ca = self.describe(arn)
        self.assertEqual(ca['Status'], 'DISABLED')
        self.assertEqual(ca['Serial'], serial1)

    # ---- update, delete, restore, purge, expiry ----

    def test_update(self):
        arn = self.create()
        self.wait_csr(arn)
        msg = self.error(self.c.update_certificate_authority, 'InvalidStateException',
                         CertificateAuthorityArn=arn, Status='DISABLED')
        self.assertIn('must be in the ACTIVE or DISABLED state to be updated', msg)
        self.activate(arn)
        self.c.update_certificate_authority(CertificateAuthorityArn=arn, Status='DISABLED')
        self.assertEqual(self.describe(arn)['Status'], 'DISABLED')
        self.c.update_certificate_authority(CertificateAuthorityArn=arn, Status='ACTIVE')
        self.assertEqual(self.describe(arn)['Status'], 'ACTIVE')
        self.error(self.c.update_certificate_authority, 'InvalidArgsException',
                   CertificateAuthorityArn=arn, Status='DELETED')
        rc = {'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'crl-bucket'}}
        self.c.update_certificate_authority(CertificateAuthorityArn=arn,
                                            RevocationConfiguration=rc)
        got = self.describe(arn)['RevocationConfiguration']
        self.assertEqual(got['CrlConfiguration'], rc['CrlConfiguration'])
        self.assertEqual(got['OcspConfiguration'], {'Enabled': False})
        self.error(self.c.update_certificate_authority, 'InvalidArgsException',
                   CertificateAuthorityArn=arn, RevocationConfiguration={
                       'CrlConfiguration': {'Enabled': False, 'S3BucketName': 'crl-bucket'}})
        self.assertEqual(self.describe(arn)['RevocationConfiguration']['CrlConfiguration'],
                         rc['CrlConfiguration'])

    def test_concurrent_updates_serialize(self):
        """Four clients at once, five updates each: two flip the status, two
        set the OCSP CNAME. Every call succeeds and is audited once, and the
        CA ends as the last audited update left it: its status is the one
        the last event names, its CNAME a writer's last (no update lost)."""
        arn = self.create()
        self.activate(arn)
        before = int(self.pe.psql('SELECT coalesce(max(id), 0) FROM audit_events'))

        def update(i):
            c = self.pe.boto3()
            for k in range(5):
                if i < 2:
                    c.update_certificate_authority(CertificateAuthorityArn=arn,
                                                   Status='DISABLED' if (i + k) % 2 else 'ACTIVE')
                else:
                    c.update_certificate_authority(
                        CertificateAuthorityArn=arn, RevocationConfiguration={'OcspConfiguration': {
                            'Enabled': True, 'OcspCustomCname': 'ocsp%d-%d.example.com' % (i, k)}})
            return True
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            self.assertEqual(list(ex.map(update, range(4))), [True] * 4)
        notes = self.pe.psql("SELECT detail->>'note' FROM audit_events WHERE id > %d AND ca_arn = '%s'"
                             " AND event = 'UpdateCertificateAuthority' ORDER BY id"
                             % (before, arn)).splitlines()
        self.assertEqual(len(notes), 20, notes)
        self.assertEqual(sum(n.endswith('revocation=changed') for n in notes), 10, notes)
        ca = self.describe(arn)
        self.assertEqual('status=%s' % ca['Status'], notes[-1].split()[0], notes)
        self.assertIn(ca['RevocationConfiguration']['OcspConfiguration']['OcspCustomCname'],
                      ('ocsp2-4.example.com', 'ocsp3-4.example.com'))

    def test_delete_restore_and_purge(self):
        arn = self.create()
        self.activate(arn)
        ca_id = arn.rsplit('/', 1)[1]
        self.error(self.c.delete_certificate_authority, 'InvalidStateException', 'disable',
                   CertificateAuthorityArn=arn)
        self.c.update_certificate_authority(CertificateAuthorityArn=arn, Status='DISABLED')
        # botocore checks the minimum itself; the raw request reaches pcad
        self.assertAwsError(self.pe.raw('DeleteCertificateAuthority', json.dumps(
            {'CertificateAuthorityArn': arn, 'PermanentDeletionTimeInDays': 6})),
            400, 'ValidationException')
        self.error(self.c.delete_certificate_authority, 'ValidationException',
                   CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=31)
        self.c.delete_certificate_authority(CertificateAuthorityArn=arn,
                                            PermanentDeletionTimeInDays=7)
        ca = self.describe(arn)
        self.assertEqual(ca['Status'], 'DELETED')
        in7 = time.time() + 7 * 86400
        self.assertLess(abs(ca['RestorableUntil'].timestamp() - in7), 120)
        self.assertIn(arn, [x['Arn'] for x in self.list_all()])
        self.error(self.c.delete_certificate_authority, 'InvalidStateException',
                   CertificateAuthorityArn=arn)
        self.c.restore_certificate_authority(CertificateAuthorityArn=arn)
        ca = self.describe(arn)
        self.assertEqual(ca['Status'], 'DISABLED')
        self.assertNotIn('RestorableUntil', ca)
        self.error(self.c.restore_certificate_authority, 'InvalidStateException',
                   CertificateAuthorityArn=arn)
        # default window: 30 days
        self.c.delete_certificate_authority(CertificateAuthorityArn=arn)
        self.assertLess(abs(self.describe(arn)['RestorableUntil'].timestamp() - time.time()
                            - 30 * 86400), 120)
        self.assertTrue(any(o.get('label') == ca_id for o in token_objects(self.pe.env)))
        # the window ends: the janitor purges the CA and destroys its key
        self.pe.psql("UPDATE certificate_authorities SET restorable_until = now() - interval '1s'"
                     " WHERE arn = '%s'" % arn)
        self.assertTrue(wait_for(lambda: self.not_found(arn), 30))
        self.error(self.c.restore_certificate_authority, 'ResourceNotFoundException',
                   CertificateAuthorityArn=arn)
        self.assertTrue(wait_for(lambda: not any(o.get('label') == ca_id
                                                 for o in token_objects(self.pe.env)), 30))
        events = self.pe.psql("SELECT string_agg(event, ',' ORDER BY id) FROM audit_events"
                              " WHERE ca_arn = '%s'" % arn).split(',')
        for ev in ('CreateCertificateAuthority', 'CreateKey', 'DeleteCertificateAuthority',
                   'RestoreCertificateAuthority', 'PurgeCertificateAuthority', 'DestroyKey'):
            self.assertIn(ev, events)

    def test_delete_pending_restores_to_pending(self):
        arn = self.create()
        self.wait_csr(arn)
        self.c.delete_certificate_authority(CertificateAuthorityArn=arn,
                                            PermanentDeletionTimeInDays=10)
        self.error(self.c.get_certificate_authority_csr, 'InvalidStateException',
                   CertificateAuthorityArn=arn)
        self.c.restore_certificate_authority(CertificateAuthorityArn=arn)
        self.assertEqual(self.describe(arn)['Status'], 'PENDING_CERTIFICATE')

    def test_delete_failed_is_final(self):
        arn = self.create()
        self.wait_csr(arn)
        ca_id = arn.rsplit('/', 1)[1]
        self.pe.psql("UPDATE certificate_authorities SET status = 'FAILED',"
                     " failure_reason = 'OTHER' WHERE arn = '%s'" % arn)
        self.assertEqual(self.describe(arn)['FailureReason'], 'OTHER')
        self.error(self.c.get_certificate_authority_csr, 'RequestFailedException',
                   CertificateAuthorityArn=arn)
        self.c.delete_certificate_authority(CertificateAuthorityArn=arn)
        self.assertTrue(self.not_found(arn))
        self.assertTrue(wait_for(lambda: not any(o.get('label') == ca_id
                                                 for o in token_objects(self.pe.env)), 30))

    def test_expiry(self):
        arn = self.create()
        self.activate(arn)
        self.pe.psql("UPDATE certificate_authorities SET not_after = now() - interval '1s'"
                     " WHERE arn = '%s'" % arn)
        self.assertTrue(wait_for(lambda: self.describe(arn)['Status'] == 'EXPIRED', 30))
        self.error(self.c.update_certificate_authority, 'InvalidStateException',
                   CertificateAuthorityArn=arn, Status='ACTIVE')
        # a renewal brings it back
        csr = self.c.get_certificate_authority_csr(CertificateAuthorityArn=arn)['Csr']
        self.c.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=open(self.root.sign(csr), 'rb').read(),
            CertificateChain=self.root.read().encode())
        self.assertEqual(self.describe(arn)['Status'], 'ACTIVE')

    def not_found(self, arn):
        try:
            self.describe(arn)
            return False
        except botocore.exceptions.ClientError as e:
            return e.response['Error']['Code'] == 'ResourceNotFoundException'

    def list_all(self):
        out = []
        for page in self.c.get_paginator('list_certificate_authorities').paginate():
            out += page['CertificateAuthorities']
        return out

    # ---- tags ----

    def test_tags(self):
        arn = self.create(Tags=[{'Key': 'a', 'Value': '1'}, {'Key': 'b'}])
        tags = self.c.list_tags(CertificateAuthorityArn=arn)['Tags']
        self.assertEqual(tags, [{'Key': 'a', 'Value': '1'}, {'Key': 'b'}])
        self.c.tag_certificate_authority(CertificateAuthorityArn=arn,
                                         Tags=[{'Key': 'k%d' % i, 'Value': 'v'} for i in range(48)])
        self.error(self.c.tag_certificate_authority, 'TooManyTagsException',
                   CertificateAuthorityArn=arn, Tags=[{'Key': 'one-too-many'}])
        # overwriting an existing key does not add one
        self.c.tag_certificate_authority(CertificateAuthorityArn=arn,
                                         Tags=[{'Key': 'a', 'Value': '2'}])
        self.error(self.c.tag_certificate_authority, 'InvalidTagException',
                   CertificateAuthorityArn=arn, Tags=[{'Key': 'bad*key'}])
        self.error(self.c.tag_certificate_authority, 'InvalidTagException',
                   CertificateAuthorityArn=arn, Tags=[{'Key': 'aws:reserved'}])
        self.error(self.c.tag_certificate_authority, 'InvalidTagException',
                   CertificateAuthorityArn=arn, Tags=[{'Key': 'x' * 129}])
        self.error(self.c.tag_certificate_authority, 'TooManyTagsException',
                   CertificateAuthorityArn=arn, Tags=[{'Key': 'n%d' % i} for i in range(51)])
        # untag: by key alone, whatever the value; by key and value only on a match
        self.c.untag_certificate_authority(CertificateAuthorityArn=arn,
                                           Tags=[{'Key': 'a', 'Value': 'nope'}, {'Key': 'b'}])
        keys = {t['Key']: t.get('Value') for t in self.all_tags(arn)}
        self.assertEqual(keys['a'], '2')
        self.assertNotIn('b', keys)
        self.c.untag_certificate_authority(CertificateAuthorityArn=arn,
                                           Tags=[{'Key': 'a', 'Value': '2'}])
        self.assertNotIn('a', {t['Key'] for t in self.all_tags(arn)})
        self.assertEqual(len(self.all_tags(arn)), 48)
        page = self.c.list_tags(CertificateAuthorityArn=arn, MaxResults=5)
        self.assertEqual(len(page['Tags']), 5)
        self.assertIn('NextToken', page)
        self.error(self.c.list_tags, 'ResourceNotFoundException', CertificateAuthorityArn=UNKNOWN)

    def test_tags_are_audited(self):
        """Tag and Untag change a CA: each is an event in its chain, in the
        tag change's transaction, naming the keys and never the values; an
        Untag that removes nothing is recorded too (what was asked)."""
        arn = self.create()
        self.c.tag_certificate_authority(CertificateAuthorityArn=arn, Tags=[
            {'Key': 'team', 'Value': 'value-not-audited'}, {'Key': 'env'}])
        self.c.untag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{'Key': 'team'}])
        self.c.untag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{'Key': 'none'}])
        self.error(self.c.tag_certificate_authority, 'InvalidTagException',
                   CertificateAuthorityArn=arn, Tags=[{'Key': 'aws:reserved'}])
        rows = self.pe.psql("SELECT event || ' ' || (detail->>'note') FROM audit_events"
                            " WHERE ca_arn = '%s' AND event IN ('TagCertificateAuthority',"
                            " 'UntagCertificateAuthority')"
                            " ORDER BY id" % arn).splitlines()
        self.assertEqual(rows, ['TagCertificateAuthority keys=team,env tags=2',
                                'UntagCertificateAuthority keys=team tags=1',
                                'UntagCertificateAuthority keys=none tags=1'])
        self.assertEqual(self.pe.psql("SELECT count(*) FROM audit_events WHERE"
                                      " detail::text LIKE '%value-not-audited%'"), '0')

    def all_tags(self, arn):
        out = []
        for page in self.c.get_paginator('list_tags').paginate(CertificateAuthorityArn=arn,
                                                               PaginationConfig={'PageSize': 7}):
            out += page['Tags']
        return out

    # ---- ARNs ----

    def test_arns(self):
        for bad in ('arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/not-a-uuid',
                    "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/' OR 1=1--",
                    'arn:aws:acm-pca:us-east-1:1234:certificate-authority/'
                    '11111111-2222-3333-4444-555555555555',
                    'arn:aws:acm:us-east-1:123456789012:certificate-authority/x', 'x' * 201):
            with self.subTest(arn=bad):
                self.error(self.c.describe_certificate_authority, 'InvalidArnException',
                           CertificateAuthorityArn=bad)
        self.error(self.c.describe_certificate_authority, 'ResourceNotFoundException',
                   CertificateAuthorityArn=UNKNOWN)
        # another account's CA is not found either
        arn = self.create()
        other = self.pe.env['PCA_ACCOUNT'][:-1] + ('1' if self.pe.env['PCA_ACCOUNT'][-1] != '1'
                                                   else '2')
        self.error(self.c.describe_certificate_authority, 'ResourceNotFoundException',
                   CertificateAuthorityArn=arn.replace(self.pe.env['PCA_ACCOUNT'], other))
        creds = os.path.join(os.path.dirname(self.pe.env['PCA_CONFIG']), 'credentials')
        with open(creds) as f:
            original = f.read()
        with open(creds, 'a') as f:
            f.write('AKIAOTHERACCOUNT0000 other-secret %s\n' % other)
        try:
            os.kill(self.pe.pid(), signal.SIGHUP)
            self.assertTrue(wait_for(lambda: self.pe.raw(akid='AKIAOTHERACCOUNT0000',
                                                         secret='other-secret')[0] == 200, 5))
            st, _, body = self.pe.raw('DescribeCertificateAuthority',
                                      json.dumps({'CertificateAuthorityArn': arn}),
                                      akid='AKIAOTHERACCOUNT0000', secret='other-secret')
            self.assertEqual(body.get('__type'), 'ResourceNotFoundException', body)
            st, _, body = self.pe.raw(akid='AKIAOTHERACCOUNT0000', secret='other-secret')
            self.assertEqual(body, {'CertificateAuthorities': []})
        finally:
            with open(creds, 'w') as f:
                f.write(original)
            os.kill(self.pe.pid(), signal.SIGHUP)


class Clis(EnvTestCase):
    """The same flow with aws-cli v1 and v2: create, the csr-created waiter,
    import with fileb://, describe."""

    def test_cli_flow(self):
        root = TestRoot(self.pe.dir)
        for v2 in (False, True):
            with self.subTest(v2=v2):
                r = self.pe.aws('create-certificate-authority', '--certificate-authority-type',
                                'SUBORDINATE', '--certificate-authority-configuration',
                                'KeyAlgorithm=RSA_2048,SigningAlgorithm=SHA256WITHRSA,'
                                'Subject={CommonName=CLI CA,Country=US}',
                                '--idempotency-token', 'cli-%d' % v2, v2=v2)
                self.assertEqual(r.returncode, 0, r.stderr)
                arn = json.loads(r.stdout)['CertificateAuthorityArn']
                r = self.pe.aws('wait', 'certificate-authority-csr-created',
                                '--certificate-authority-arn', arn, v2=v2)
                self.assertEqual(r.returncode, 0, r.stderr)
                r = self.pe.aws('get-certificate-authority-csr', '--certificate-authority-arn',
                                arn, v2=v2)
                self.assertEqual(r.returncode, 0, r.stderr)
                cert = root.sign(json.loads(r.stdout)['Csr'])
                r = self.pe.aws('import-certificate-authority-certificate',
                                '--certificate-authority-arn', arn, '--certificate',
                                'fileb://' + cert, '--certificate-chain', 'fileb://' + root.pem,
                                v2=v2)
                self.assertEqual(r.returncode, 0, r.stderr)
                r = self.pe.aws('describe-certificate-authority', '--certificate-authority-arn',
                                arn, v2=v2)
                self.assertEqual(json.loads(r.stdout)['CertificateAuthority']['Status'], 'ACTIVE')
                r = self.pe.aws('describe-certificate-authority', '--certificate-authority-arn',
                                arn + 'x', v2=v2)
                self.assertIn('InvalidArnException', r.stderr)


class Restart(EnvTestCase):

    def test_state_survives_restart(self):
        c = self.pe.boto3()
        root = TestRoot(self.pe.dir)
        arn = c.create_certificate_authority(
            CertificateAuthorityType='SUBORDINATE', CertificateAuthorityConfiguration=config(),
            Tags=[{'Key': 'keep', 'Value': 'me'}])['CertificateAuthorityArn']
        c.get_waiter('certificate_authority_csr_created').wait(
            CertificateAuthorityArn=arn, WaiterConfig={'Delay': 1})
        csr = c.get_certificate_authority_csr(CertificateAuthorityArn=arn)['Csr']
        c.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=open(root.sign(csr), 'rb').read(),
            CertificateChain=root.read().encode())
        before = c.describe_certificate_authority(CertificateAuthorityArn=arn)
        self.pe.down()
        self.pe.up()
        c = self.pe.boto3()
        after = c.describe_certificate_authority(CertificateAuthorityArn=arn)
        self.assertEqual(after['CertificateAuthority'], before['CertificateAuthority'])
        self.assertEqual(c.list_tags(CertificateAuthorityArn=arn)['Tags'],
                         [{'Key': 'keep', 'Value': 'me'}])
        # the key still works: a new CSR-based import (renewal) verifies against it
        c.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=open(root.sign(csr), 'rb').read(),
            CertificateChain=root.read().encode())


def x509_oid(dotted):
    from cryptography.x509.oid import ObjectIdentifier
    return ObjectIdentifier(dotted)


def der_encoding():
    from cryptography.hazmat.primitives.serialization import Encoding
    return Encoding.DER


if __name__ == '__main__':
    unittest.main()
