"""Matrix B6 (security-and-faults.md 5.2): RevokeCertificate of one serial
from many connections at once, while the CA's status is flipped between
ACTIVE and DISABLED, its revocation configuration rewritten and its CRL
published (crl_publish_delay = 1): PostgreSQL's serialization failures and
deadlocks never surface. Each call answers 200 or a 400 that names the
conflict (RequestAlreadyProcessedException, ConcurrentModificationException,
InvalidStateException while DISABLED); each serial is revoked exactly once,
and the last CRL lists every revoked serial."""
import concurrent.futures
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from cryptography import x509  # noqa: E402
from pcatest import wait_for  # noqa: E402
from invariants import FaultCase  # noqa: E402

ROUNDS = 12
REVOKERS = 12
CONFLICTS = {'RequestAlreadyProcessedException', 'ConcurrentModificationException',
             'InvalidStateException'}


class Races(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pe.reconfigure({'publish': {'crl_publish_delay': '1'}})
        cls.make_ca('races root')
        cls.ca_id = cls.ca.rsplit('/', 1)[1]

    def crl_config(self, days):
        return {'CrlConfiguration': {'Enabled': True, 'S3BucketName': 'pki-races',
                                     'ExpirationInDays': days}}

    def call(self, target, body):
        st, _, data = self.pe.raw(target, json.dumps(body))
        return 'OK' if st == 200 else (st, data.get('__type'))

    def issue(self):
        st, _, data = self.pe.raw('IssueCertificate', self.issue_body)
        self.assertEqual(st, 200, data)
        self.acknowledged.append(data['CertificateArn'])
        return data['CertificateArn']

    def wait_issued(self, arn):
        body = json.dumps({'CertificateAuthorityArn': self.ca, 'CertificateArn': arn})
        self.assertTrue(wait_for(lambda: self.pe.raw('GetCertificate', body)[0] == 200, 10))
        return x509.load_pem_x509_certificate(
            self.pe.raw('GetCertificate', body)[2]['Certificate'].encode()).serial_number

    def crl(self):
        path = os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'pki-races', 'crl',
                            self.ca_id + '.crl')
        with open(path, 'rb') as f:
            return x509.load_der_x509_crl(f.read())

    def test_b6_revocations_race_status_and_crl_changes(self):
        ca = {'CertificateAuthorityArn': self.ca}
        self.assertEqual(self.call('UpdateCertificateAuthority',
                                   dict(ca, RevocationConfiguration=self.crl_config(7))), 'OK')
        serials, outcomes = [], []
        with concurrent.futures.ThreadPoolExecutor(REVOKERS + 2) as ex:
            for r in range(ROUNDS):
                # the CA is ACTIVE to issue; the race may leave it DISABLED
                self.assertEqual(self.call('UpdateCertificateAuthority',
                                           dict(ca, Status='ACTIVE')), 'OK')
                serial = self.wait_issued(self.issue())
                serials.append(serial)
                revoke = dict(ca, CertificateSerial='%x' % serial, RevocationReason=(
                    'KEY_COMPROMISE' if r % 2 else 'SUPERSEDED'))
                jobs = [ex.submit(self.call, 'RevokeCertificate', revoke)
                        for _ in range(REVOKERS)]
                others = [ex.submit(self.call, 'UpdateCertificateAuthority',
                                    dict(ca, Status='DISABLED' if r % 2 else 'ACTIVE')),
                          ex.submit(self.call, 'UpdateCertificateAuthority',
                                    dict(ca, RevocationConfiguration=self.crl_config(7 + r)))]
                got = [j.result() for j in jobs]
                outcomes.append(got)
                for o in others:
                    res = o.result()
                    self.assertTrue(res == 'OK' or (res[0] == 400 and res[1] in CONFLICTS), res)
                for res in got:
                    self.assertTrue(res == 'OK' or (res[0] == 400 and res[1] in CONFLICTS), res)
        # exactly one revocation per serial: the rest were told it was done
        # (or that the CA was DISABLED at that moment: then another round
        # of revocations below finds it)
        self.assertEqual(self.call('UpdateCertificateAuthority', dict(ca, Status='ACTIVE')), 'OK')
        for serial, got in zip(serials, outcomes):
            self.assertLessEqual(got.count('OK'), 1, got)
            if got.count('OK') == 0:
                self.assertEqual(self.call('RevokeCertificate', dict(
                    ca, CertificateSerial='%x' % serial, RevocationReason='SUPERSEDED')), 'OK')
        self.assertTrue(any(g.count('OK') == 1 for g in outcomes))
        rows = self.pe.psql("SELECT count(*) FROM certificates c JOIN certificate_authorities a"
                            " ON a.id = c.ca_id WHERE a.arn = '%s' AND c.revoked_at IS NOT NULL"
                            % self.ca)
        self.assertEqual(int(rows), ROUNDS)
        self.assertEqual(self.pe.psql(
            "SELECT count(*) FROM audit_events WHERE event = 'RevokeCertificate'"
            " AND ca_arn = '%s'" % self.ca), str(ROUNDS))
        # the CRL catches up with every revocation
        self.assertTrue(wait_for(lambda: {r.serial_number for r in self.crl()} >= set(serials),
                                 15), 'a revoked serial is missing from the CRL')
        self.assertNotIn('InternalFailure', self.pe.log())
        self.assertNotIn('40001', self.pe.log())


if __name__ == '__main__':
    unittest.main()
