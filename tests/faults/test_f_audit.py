"""F3 (security-and-faults.md 5.2) and issue 12's audit findings: the
audit trail is append-only for every role, hash-chained per CA, and `pcad
audit verify` (which recomputes every hash itself) finds an edited row, a
re-hashed row, a deleted row and a deleted tail, each made by hand as the
database owner with the triggers switched off. An event's log line is
written only once its transaction has committed, a database lost while an
event is written is a 503 (not a 500), and certificate events are keyed
by the CA's ARN and the serial."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import botocore.exceptions  # noqa: E402
from invariants import FaultCase, audit_verify  # noqa: E402


class AuditTrail(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_ca('audit root')
        cls.leaves = [cls.c.issue_certificate(
            CertificateAuthorityArn=cls.ca, Csr=cls.csr, SigningAlgorithm='SHA256WITHECDSA',
            Validity={'Value': 1, 'Type': 'DAYS'})['CertificateArn'] for _ in range(4)]
        for arn in cls.leaves:
            cls.c.get_waiter('certificate_issued').wait(
                CertificateAuthorityArn=cls.ca, CertificateArn=arn, WaiterConfig={'Delay': 1})

    def verify(self):
        return audit_verify(self.pe)

    def assertVerifies(self):
        r = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('audit trail ok', r.stdout)
        return r.stdout

    def assertBroken(self, *parts):
        r = self.verify()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for p in parts:
            self.assertIn(p, r.stdout)

    def owner(self, sql):
        """sql as the database owner, with the audit triggers off."""
        return self.pe.psql('BEGIN; ALTER TABLE audit_events DISABLE TRIGGER USER; %s;'
                            ' ALTER TABLE audit_events ENABLE TRIGGER USER; COMMIT' % sql)

    def ca_rows(self):
        return [int(x) for x in self.pe.psql(
            "SELECT seq FROM audit_events WHERE chain = '%s' ORDER BY seq" % self.ca).split()]

    def test_append_only_for_every_role(self):
        for sql in ('UPDATE audit_events SET actor = actor',
                    "DELETE FROM audit_events WHERE event = 'IssueCertificate'",
                    'TRUNCATE audit_events'):
            with self.subTest(sql=sql):
                with self.assertRaises(subprocess.CalledProcessError) as cm:
                    self.pe.psql(sql)
                self.assertIn('append-only', cm.exception.stderr)
        self.assertVerifies()

    def test_certificate_events_are_keyed_by_ca_and_serial(self):
        rows = self.pe.psql(
            "SELECT event, ca_arn, coalesce(serial, '-') FROM audit_events WHERE event IN"
            " ('IssueCertificate', 'SignCertificate', 'IssueCertificateFailed',"
            " 'RevokeCertificate') ORDER BY id").splitlines()
        self.assertGreaterEqual(len(rows), 8)
        for row in rows:
            event, ca_arn, serial = row.split('|')
            self.assertEqual(ca_arn, self.ca, row)
            self.assertRegex(serial, r'^[0-9a-f]{2,40}$', row)

    def test_f3_tampering_is_found(self):
        self.assertVerifies()
        seqs = self.ca_rows()
        self.assertGreaterEqual(len(seqs), 6)
        mid, last = seqs[len(seqs) // 2], seqs[-1]
        where = "chain = '%s' AND seq = %%d" % self.ca
        self.pe.psql('CREATE TABLE saved_audit AS SELECT * FROM audit_events WHERE false')
        self.addCleanup(self.pe.psql, 'DROP TABLE saved_audit')

        def save(seq):
            self.pe.psql('TRUNCATE saved_audit; INSERT INTO saved_audit'
                         ' SELECT * FROM audit_events WHERE ' + where % seq)

        def restore(seq):
            self.owner('DELETE FROM audit_events WHERE %s; INSERT INTO audit_events'
                       ' SELECT * FROM saved_audit' % (where % seq))
            self.assertVerifies()

        # an edited row
        save(mid)
        self.owner("UPDATE audit_events SET detail = '{\"note\": \"nothing happened\"}'"
                   " WHERE " + where % mid)
        self.assertBroken('seq %d was changed' % mid)
        # the same edit with its own hash recomputed: the next row no longer links
        self.owner("UPDATE audit_events SET hash = sha256(prev_hash ||"
                   " convert_to(audit_events_content(audit_events), 'UTF8')) WHERE " + where % mid)
        self.assertBroken('seq %d does not link' % (mid + 1))
        restore(mid)
        # a deleted row
        self.owner('DELETE FROM audit_events WHERE ' + where % mid)
        self.assertBroken('seq %d follows a gap' % (mid + 1))
        restore(mid)
        # a deleted tail
        save(last)
        self.owner('DELETE FROM audit_events WHERE ' + where % last)
        self.assertBroken('head is at seq %d' % last)
        restore(last)

    def test_log_line_only_after_commit_and_lost_database_is_503(self):
        serials = self.pe.psql("SELECT serial FROM certificates WHERE arn IN ('%s', '%s')"
                               % (self.leaves[2], self.leaves[3])).split()
        arn_fail_commit, arn_kill = self.leaves[2], self.leaves[3]
        # the revocation's COMMIT fails (a deferred constraint trigger)
        self.pe.psql(
            "CREATE FUNCTION t_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'test: commit refused'; END $$;"
            " CREATE CONSTRAINT TRIGGER t_fail AFTER UPDATE ON certificates"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.arn = '%s')"
            " EXECUTE FUNCTION t_fail();"
            # the audit insert of the other revocation loses its connection
            " CREATE FUNCTION t_kill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.event = 'RevokeCertificate' AND NEW.serial = '%s' THEN"
            " PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NEW; END $$;"
            " CREATE TRIGGER t_kill BEFORE INSERT ON audit_events FOR EACH ROW"
            " EXECUTE FUNCTION t_kill()" % (arn_fail_commit, serials[1]))
        self.addCleanup(self.pe.psql, 'DROP TRIGGER t_fail ON certificates;'
                        ' DROP TRIGGER t_kill ON audit_events; DROP FUNCTION t_fail();'
                        ' DROP FUNCTION t_kill()')
        codes = {}
        for arn in (arn_fail_commit, arn_kill):
            serial = self.c.get_certificate(CertificateAuthorityArn=self.ca, CertificateArn=arn)
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                self.c.revoke_certificate(
                    CertificateAuthorityArn=self.ca,
                    CertificateSerial=self.serial_of(serial['Certificate']),
                    RevocationReason='KEY_COMPROMISE')
            codes[arn] = (cm.exception.response['ResponseMetadata']['HTTPStatusCode'],
                          cm.exception.response['Error']['Code'])
        self.assertEqual(codes[arn_kill], (503, 'ServiceUnavailable'))
        self.assertEqual(codes[arn_fail_commit][0], 500)
        log = self.pe.log()
        for s in serials:
            self.assertNotIn('audit: RevokeCertificate ca=%s serial=%s' % (self.ca, s), log)
        self.assertEqual(self.pe.psql("SELECT count(*) FROM audit_events WHERE event ="
                                      " 'RevokeCertificate'"), '0')
        self.assertVerifies()

    @staticmethod
    def serial_of(pem):
        from cryptography import x509
        n = x509.load_pem_x509_certificate(pem.encode()).serial_number
        h = '%x' % n
        h = ('0' + h) if len(h) % 2 else h
        return ':'.join(h[i:i + 2] for i in range(0, len(h), 2))


if __name__ == '__main__':
    unittest.main()
