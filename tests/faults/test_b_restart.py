"""Matrix B1, B3 and B4 (security-and-faults.md 5.2) under a 16-connection
IssueCertificate load (tests/faults/load.py: a fresh IdempotencyToken per
request):
  B1  pcad killed with -9 five times, restarted each time: clients see 200s
      or connection errors only; every 200 is an ISSUED certificate; a
      retry with any request's token converges on one ARN; the rows the
      kills left PENDING are finished by the janitor;
  B3  PostgreSQL restarted fast, then immediate (a crash): 200 or 503
      ServiceUnavailable only, nothing acknowledged lost, the same pcad
      process issues again within 5 s of the database accepting;
  B4  PostgreSQL down for 60 s: every call answered 503 fast all along,
      /readyz 503, and the same process heals by itself."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from pcatest import gone, wait_for  # noqa: E402
from invariants import FaultCase  # noqa: E402
from load import Load  # noqa: E402

PENDING_DEADLINE = 12  # seconds: the janitor finishes what a kill left
KILLS = 5
KILL_EVERY = 8
OUTAGE = int(os.environ.get('PCAD_B4_SECONDS', '60'))


class Restarts(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pe.reconfigure({'hsm': {'sign_timeout_ms': '2000'},
                            'janitor': {'interval': '1',
                                        'pending_deadline': str(PENDING_DEADLINE)}})
        cls.make_ca('restarts root')

    def load(self):
        return Load(self.pe, self.issue_body).start()

    def converges(self, load, token):
        """A retry with token answers an ARN, and a second the same one."""
        kind, arn = load.retry(token)
        self.assertEqual(kind, 200, token)
        self.assertEqual(load.retry(token), (200, arn), token)
        return arn

    def issues_again_within(self, seconds):
        t0 = time.monotonic()
        self.assertTrue(wait_for(lambda: self.pe.raw('IssueCertificate', self.issue_body)[0]
                                 == 200, seconds, step=0.1),
                        'no issuance within %d s' % seconds)
        return time.monotonic() - t0

    def test_b1_kill_9_five_times_under_load(self):
        start = self.pe.psql('SELECT now()')
        load = self.load()
        try:
            for _ in range(KILLS):
                time.sleep(KILL_EVERY)
                pid = self.pe.pid()
                os.kill(pid, signal.SIGKILL)
                self.assertTrue(wait_for(lambda: gone(pid), 5))
                self.pe.up()
            time.sleep(2)
        finally:
            load.stop()
        self.assertLessEqual(load.kinds(), {200, 'conn'})
        self.assertGreater(load.count(200), 200)
        self.assertGreaterEqual(load.count('conn'), KILLS)
        self.acknowledged = load.arns()
        # the rows the kills left PENDING: finished by the janitor
        self.assertTrue(wait_for(lambda: self.pe.psql(
            "SELECT count(*) FROM certificates WHERE status = 'PENDING'") == '0',
            PENDING_DEADLINE + 15), 'PENDING rows left past the janitor deadline')
        # one certificate per token: a token retried after a cut connection
        # got its first request's row, not a second
        last, cut = load.answers()
        answered = sum(1 for a in last.values() if a)
        made = int(self.pe.psql("SELECT count(*) FROM certificates WHERE created_at >= '%s'"
                                % start))
        self.assertGreaterEqual(made, answered)
        self.assertLessEqual(made, len(last), 'more certificates than tokens')
        self.assertGreater(len([t for t in cut if last[t]]), 0, 'no retried token answered')
        # and any token sent again now answers the same ARN
        sample = [t for t, a in last.items() if a][:: max(1, answered // 40)]
        for token in sorted(cut) + sample:
            arn = self.converges(load, token)
            if last[token]:
                self.assertEqual(arn, last[token])
            self.acknowledged.append(arn)
        self.assertEqual(self.pe.psql("SELECT count(*) FROM certificates WHERE status"
                                      " NOT IN ('ISSUED', 'FAILED')"), '0')

    def test_b3_postgres_restarted_fast_then_immediate(self):
        pid = self.pe.pid()
        load = self.load()
        healed = []
        try:
            for mode in ('fast', 'immediate'):
                time.sleep(3)
                if mode == 'fast':
                    self.pe.pg_ctl('restart', mode='fast')
                else:
                    self.pe.pg_ctl('stop', mode='immediate')
                    self.pe.pg_ctl('start')
                healed.append(self.issues_again_within(5))
            time.sleep(2)
        finally:
            load.stop()
        self.assertEqual(self.pe.pid(), pid, 'pcad restarted')
        self.assertLessEqual(load.kinds(), {200, 'ServiceUnavailable'})
        self.assertGreater(load.count(200), 100)
        self.acknowledged = load.arns()
        self.assertTrue(wait_for(lambda: self.pe.psql(
            "SELECT count(*) FROM certificates WHERE status = 'PENDING'") == '0',
            PENDING_DEADLINE + 15))
        print('B3: issuing again %.2f s (fast), %.2f s (immediate) after PostgreSQL accepted;'
              ' %d 200, %d 503' % (healed[0], healed[1], load.count(200),
                                   load.count('ServiceUnavailable')), file=sys.stderr)

    def test_b4_postgres_down_for_60_s(self):
        pid = self.pe.pid()
        self.pe.pg_ctl('stop', mode='fast')
        try:
            self.assertTrue(wait_for(lambda: self.pe.admin('/readyz')[0] == 503, 5))
            worst, calls, end = 0.0, 0, time.monotonic() + OUTAGE
            while time.monotonic() < end:
                t0 = time.monotonic()
                resp = self.pe.raw('IssueCertificate', self.issue_body)
                worst = max(worst, time.monotonic() - t0)
                calls += 1
                self.assertAwsError(resp, 503, 'ServiceUnavailable')
                self.assertEqual(self.pe.admin('/readyz')[0], 503)
                time.sleep(0.5)
        finally:
            self.pe.pg_ctl('start')
        self.assertLess(worst, 2.0, 'a call waited %.2f s while the database was down' % worst)
        self.assertGreater(calls, OUTAGE)
        took = self.issues_again_within(5)
        self.assertTrue(wait_for(lambda: self.pe.admin('/readyz')[0] == 200, 5))
        self.assertEqual(self.pe.pid(), pid)
        print('B4: %d calls in %d s, the slowest %.3f s; issuing %.2f s after the start'
              % (calls, OUTAGE, worst, took), file=sys.stderr)


if __name__ == '__main__':
    unittest.main()
