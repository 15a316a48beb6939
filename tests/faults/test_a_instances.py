"""Matrix A4 and F1 (security-and-faults.md 5.2) and issue 14's
instances: three pcad instances on one PostgreSQL, one SoftHSM token and
one bucket directory (`scripts/pcaenv up DIR 3`).
  A4  issuance spread over all three under load: distinct serials, every
      certificate retrievable through another instance, an
      IdempotencyToken sent to all three at once makes one certificate;
      CRLs published by whichever instance gets there first, their numbers
      strictly increasing, never repeated, byte-identical from every
      publish listener; OCSP says revoked on all three right after a
      revocation through one; a CA made through one signs at once through
      the others;
  F1  the deletion window across instances: delete, issue refused,
      restore, delete again, the window moved past, every janitor running:
      the CA is purged and its key destroyed exactly once, each step
      audited (the key's destruction made to last 2.5 s, so that every
      janitor finds it waiting meanwhile)."""
import concurrent.futures
import json
import os
import re
import sys
import time
import unittest
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509 import ocsp  # noqa: E402
from pcatest import make_root, wait_for  # noqa: E402
from invariants import FaultCase, issue_body  # noqa: E402
from load import Load  # noqa: E402


DESTROY_DELAY_MS = 2500


class Instances(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the janitor that claims a key to destroy takes 2.5 s over it: the
        # other two (a round a second) try it meanwhile
        cls.pe.reconfigure({'publish': {'crl_publish_delay': '1'},
                            'janitor': {'interval': '1'}},
                           extra_env={'PCAD_FAILPOINTS': 'key_destroy_delay_ms=%d' % DESTROY_DELAY_MS})
        cls.make_ca('three instances root')
        cls.pe.up(3)
        cls.all = [cls.pe.instance(k) for k in (1, 2, 3)]
        cls.two = cls.all[1]
        cls.c2 = cls.two.boto3()

    def get(self, via, ca, arn):
        st, _, data = via.raw('GetCertificate', json.dumps(
            {'CertificateAuthorityArn': ca, 'CertificateArn': arn}))
        self.assertEqual(st, 200, data)
        return x509.load_pem_x509_certificate(data['Certificate'].encode())

    def revoke(self, via, serial, reason='KEY_COMPROMISE'):
        st, _, data = via.raw('RevokeCertificate', json.dumps(
            {'CertificateAuthorityArn': self.ca, 'CertificateSerial': '%x' % serial,
             'RevocationReason': reason}))
        self.assertEqual(st, 200, data)

    def crl_from(self, via):
        url = 'http://%s/crl/%s.crl' % (via.env['PCA_PUBLISH'], self.ca.rsplit('/', 1)[1])
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read()
        except urllib.error.HTTPError:
            return None

    def ocsp_status(self, via, leaf, issuer):
        req = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1()).build()
        r = urllib.request.Request('http://%s/' % via.env['PCA_PUBLISH'],
                                   data=req.public_bytes(serialization.Encoding.DER),
                                   headers={'Content-Type': 'application/ocsp-request'})
        with urllib.request.urlopen(r, timeout=5) as resp:
            return ocsp.load_der_ocsp_response(resp.read()).certificate_status

    def crl_numbers(self, ca):
        notes = self.pe.psql("SELECT detail->>'note' FROM audit_events WHERE event ="
                             " 'GenerateCrl' AND ca_arn = '%s' ORDER BY id" % ca).splitlines()
        return [int(re.search(r'number=(\d+)', n).group(1)) for n in notes]

    def test_a4_shared_database_and_token(self):
        self.c.update_certificate_authority(CertificateAuthorityArn=self.ca, RevocationConfiguration={
            'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'pki-two'},
            'OcspConfiguration': {'Enabled': True}})
        before = self.certs()
        loads = [Load(via, self.issue_body, 8, 40).start() for via in self.all]
        for load in loads:
            load.wait(300)
            self.assertEqual(load.kinds(), {200})
        arns = [load.arns() for load in loads]
        self.acknowledged = arns[0] + arns[1] + arns[2]
        self.assertEqual(len(set(self.acknowledged)), 960)
        self.assertEqual(self.certs(), before + 960)
        # each instance serves what the next one issued
        for k, via in enumerate(self.all):
            for arn in arns[(k + 1) % 3][::40]:
                self.assertEqual('%032x' % self.get(via, self.ca, arn).serial_number,
                                 arn.rsplit('/', 1)[1])
        # one IdempotencyToken sent to all three at once: one certificate
        body = json.loads(self.issue_body)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            for _ in range(5):
                b = json.dumps(dict(body, IdempotencyToken=uuid.uuid4().hex))
                got = list(ex.map(lambda via: via.raw('IssueCertificate', b),
                                  self.all + [self.pe]))
                self.assertEqual({g[0] for g in got}, {200}, got)
                self.assertEqual(len({g[2]['CertificateArn'] for g in got}), 1, got)
                self.acknowledged.append(got[0][2]['CertificateArn'])
        self.assertEqual(self.certs(), before + 965)
        # revocations through each: whichever publishes, the numbers follow
        # one another and every listener serves the same bytes
        issuer = x509.load_pem_x509_certificate(self.c.get_certificate_authority_certificate(
            CertificateAuthorityArn=self.ca)['Certificate'].encode())
        revoked = []
        for i, arn in enumerate(self.acknowledged[:8]):
            via = self.all[i % 3]
            leaf = self.get(via, self.ca, arn)
            self.revoke(via, leaf.serial_number)
            revoked.append(leaf.serial_number)
            # OCSP on all three, at once
            for other in self.all:
                self.assertEqual(self.ocsp_status(other, leaf, issuer),
                                 ocsp.OCSPCertStatus.REVOKED)
            time.sleep(0.7)

        def crl_has_all():
            got = [self.crl_from(via) for via in self.all]
            return got[0] and got.count(got[0]) == 3 and {
                r.serial_number for r in x509.load_der_x509_crl(got[0])} == set(revoked)
        self.assertTrue(wait_for(crl_has_all, 15), 'the listeners disagree, or a CRL misses')
        # (the numbers are at least the epoch milliseconds of their making,
        # as AWS's are: strictly increasing, never repeated, not consecutive)
        numbers = self.crl_numbers(self.ca)
        self.assertGreater(len(numbers), 2)
        self.assertEqual(numbers, sorted(set(numbers)), numbers)
        made = [via.log().count('audit: GenerateCrl') for via in self.all]
        print('A4: CRLs made by each instance: %s' % made, file=sys.stderr)
        self.assertEqual(sum(made), len(numbers))
        crl = x509.load_der_x509_crl(self.crl_from(self.two))
        self.assertEqual(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number,
                         numbers[-1])
        # a CA made through one instance signs at once through the others
        fresh = make_root(self.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'made on one')
        for via in self.all[1:]:
            st, _, data = via.raw('IssueCertificate', issue_body(fresh, self.csr))
            self.assertEqual(st, 200, data)
            self.acknowledged.append(data['CertificateArn'])

    def error(self, via, target, body):
        st, _, data = via.raw(target, json.dumps(body))
        return 'OK' if st == 200 else data.get('__type')

    def signer_keys(self, via):
        """pcad_signer_keys of via's /metrics (the keys its signer keeps)."""
        text = via.admin('/metrics')[1]
        return int(re.search(r'^pcad_signer_keys (\d+)$', text, re.M).group(1))

    def test_f1_purge_once_across_instances(self):
        arn = make_root(self.c2, 'EC_prime256v1', 'SHA256WITHECDSA', 'purged root')
        ca = {'CertificateAuthorityArn': arn}
        for via in self.all:  # each signer keeps the key
            st, _, data = via.raw('IssueCertificate', issue_body(arn, self.csr))
            self.assertEqual(st, 200, data)  # (purged below with its CA)
        time.sleep(2.5)  # a janitor round (1 s) on each sets the gauge
        kept = [self.signer_keys(via) for via in self.all]
        self.assertEqual(self.error(self.pe, 'UpdateCertificateAuthority',
                                    dict(ca, Status='DISABLED')), 'OK')
        self.assertEqual(self.error(self.two, 'DeleteCertificateAuthority',
                                    dict(ca, PermanentDeletionTimeInDays=7)), 'OK')
        st, _, data = self.pe.raw('IssueCertificate', issue_body(arn, self.csr))
        self.assertEqual((st, data.get('__type')), (400, 'InvalidStateException'))
        self.assertEqual(self.error(self.pe, 'RestoreCertificateAuthority', ca), 'OK')
        self.assertEqual(self.c2.describe_certificate_authority(**ca)['CertificateAuthority'][
            'Status'], 'DISABLED')
        self.assertEqual(self.error(self.two, 'DeleteCertificateAuthority',
                                    dict(ca, PermanentDeletionTimeInDays=7)), 'OK')
        # the window ends: both janitors see it at once
        self.pe.psql("UPDATE certificate_authorities SET restorable_until = now() - interval '1s'"
                     " WHERE arn = '%s'" % arn)
        for via in (self.pe, self.two):
            self.assertTrue(wait_for(lambda: self.error(via, 'DescribeCertificateAuthority', ca)
                                     == 'ResourceNotFoundException', 30))
            self.assertIn(self.error(via, 'RestoreCertificateAuthority', ca),
                          ('ResourceNotFoundException', 'InvalidStateException'))
        events = lambda: self.pe.psql("SELECT event FROM audit_events WHERE ca_arn = '%s'"
                                      " ORDER BY id" % arn).splitlines()
        self.assertTrue(wait_for(lambda: 'DestroyKey' in events(), 30))
        # every janitor saw the key waiting while one destroyed it (fabdc61
        # ... 31f84ad: each destroyed it, and audited it); more rounds:
        # nothing more happens
        time.sleep(DESTROY_DELAY_MS / 1000 + 3)
        events = events()
        for ev, n in (('DeleteCertificateAuthority', 2), ('RestoreCertificateAuthority', 1),
                      ('PurgeCertificateAuthority', 1), ('DestroyKey', 1)):
            self.assertEqual(events.count(ev), n, (ev, events))
        self.assertEqual(self.pe.psql('SELECT count(*) FROM key_destroy_pending'), '0')
        # every instance's signer forgot the destroyed key, whichever
        # destroyed it (the one that destroys it forgets every key, found
        # again on their next use; the others forget this one)
        now = lambda: [self.signer_keys(via) for via in self.all]
        self.assertTrue(wait_for(lambda: all(n < k for n, k in zip(now(), kept)), 10),
                        (kept, now()))


if __name__ == '__main__':
    unittest.main()
