"""Matrix B5 (security-and-faults.md 5.2): the connection is lost while T2
(PENDING -> ISSUED) commits. Two real faults, each at the COMMIT of an
issuance's T2 (the sign_delay_ms failpoint holds the request between T1
and T2 so that the fault is set for T2 alone):
  - lost before the commit: a deferred constraint trigger, which PostgreSQL
    runs inside COMMIT, terminates its own backend; nothing is committed,
    and the retry on a new connection issues (200);
  - lost after the commit: with synchronous_standby_names naming a standby
    that does not exist, COMMIT writes its record and waits; the waiting
    backend is terminated, which commits locally and sends the client no
    answer. pcad's retry then finds the row no longer PENDING and must
    confirm it ISSUED (200 with the ARN), not give up with a 503.
Either way a retry with the same IdempotencyToken answers the same ARN, and
there is one certificate."""
import json
import os
import sys
import threading
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from pcatest import wait_for  # noqa: E402
from invariants import FaultCase  # noqa: E402

SIGN_DELAY_MS = 1500


class LostCommit(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pe.reconfigure({}, extra_env={'PCAD_FAILPOINTS': 'sign_delay_ms=%d' % SIGN_DELAY_MS})
        cls.make_ca('lost commit root')

    def issue_async(self, token):
        """IssueCertificate with token in a thread, sent once (no client
        retry hides the first answer): (thread, [(status, headers, body)])."""
        body = json.loads(self.issue_body)
        body['IdempotencyToken'] = token
        out = []
        t = threading.Thread(target=lambda: out.append(
            self.pe.raw('IssueCertificate', json.dumps(body))))
        t.start()
        return t, out

    def answered(self, out):
        """The ARN of the one 200 in out."""
        self.assertEqual(len(out), 1)
        self.assertEqual(out[0][0], 200, out[0])
        return out[0][2]['CertificateArn']

    def pg_log(self):
        with open(os.path.join(self.pe.dir, 'pg', 'log'), errors='replace') as f:
            return f.read()

    def pending(self):
        return int(self.pe.psql("SELECT count(*) FROM certificates WHERE status = 'PENDING'"))

    def converge(self, token, arn):
        again = self.c.issue_certificate(
            CertificateAuthorityArn=self.ca, Csr=self.csr, SigningAlgorithm='SHA256WITHECDSA',
            Validity={'Value': 1, 'Type': 'DAYS'}, IdempotencyToken=token)['CertificateArn']
        self.assertEqual(again, arn)
        serial = arn.rsplit('/', 1)[1].lstrip('0')
        self.assertEqual(self.pe.psql("SELECT status FROM certificates WHERE serial = '%s'"
                                      % serial), 'ISSUED')
        self.acknowledged.append(arn)

    def test_1_lost_before_the_commit(self):
        # one kill (a sequence: not rolled back with the transaction it kills)
        self.pe.psql("""
            CREATE SEQUENCE pcad_test_kills;
            GRANT USAGE ON SEQUENCE pcad_test_kills TO PUBLIC;  -- pcad's role runs the trigger
            CREATE FUNCTION pcad_test_kill() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.status = 'ISSUED' AND nextval('pcad_test_kills') = 1 THEN
                PERFORM pg_terminate_backend(pg_backend_pid());
                PERFORM pg_sleep(5);
              END IF;
              RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER pcad_test_kill AFTER UPDATE ON certificates
              DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pcad_test_kill();""")
        try:
            before = self.certs()
            token = uuid.uuid4().hex[:32]
            t, out = self.issue_async(token)
            t.join(30)
            # killed once, then the retry on a new connection went through
            self.assertEqual(self.pe.psql('SELECT last_value FROM pcad_test_kills'), '2')
        finally:
            self.pe.psql('DROP TRIGGER pcad_test_kill ON certificates;'
                         ' DROP FUNCTION pcad_test_kill(); DROP SEQUENCE pcad_test_kills')
        arn = self.answered(out)
        self.assertEqual(self.certs(), before + 1)
        self.converge(token, arn)
        self.assertIn('terminating connection due to administrator command', self.pg_log())

    def sync_standby(self, names):
        self.pe.psql("ALTER SYSTEM SET synchronous_standby_names = '%s'" % names)
        self.pe.psql('SELECT pg_reload_conf()')

    def test_2_lost_after_the_commit(self):
        before = self.certs()
        token = uuid.uuid4().hex[:32]
        t, out = self.issue_async(token)
        # T1 has committed: the request now waits before it signs
        self.assertTrue(wait_for(lambda: self.pending() == 1, 10))
        waiting = ("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'"
                   " AND application_name <> 'psql'")
        self.sync_standby('pcad_test_nobody')
        try:
            # T2's COMMIT is written and waits for the standby
            self.assertTrue(wait_for(lambda: self.pe.psql(waiting) != '', 10 + SIGN_DELAY_MS))
            self.pe.psql('SELECT pg_terminate_backend(pid) FROM (%s) w' % waiting)
            t.join(30)
        finally:
            self.sync_standby('')
        arn = self.answered(out)
        self.assertEqual(self.certs(), before + 1)
        self.assertEqual(self.pending(), 0)
        self.assertIn('canceling the wait for synchronous replication', self.pg_log())
        self.converge(token, arn)

    def tearDown(self):
        self.sync_standby('')
        super().tearDown()


if __name__ == '__main__':
    unittest.main()
