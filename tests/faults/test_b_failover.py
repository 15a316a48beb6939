"""Issue 14's PostgreSQL failover: pcad's conninfo names a primary and its
synchronous streaming standby (tests/faults/standby.py) with
target_session_attrs=read-write. Under an issuance load the primary is
stopped (immediate: a crash for its clients), a second later the standby
is promoted (pg_ctl promote), and:
  - pcad issues again by itself within 5 s of the promotion, no restart;
  - while no server takes writes the answers are 503s (or a cut
    connection, retried with its IdempotencyToken), nothing else;
  - every certificate acknowledged (a 200), before or after, is ISSUED on
    the new primary, and the invariants hold there (the audit chain,
    serials, no PENDING left behind)."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from pcatest import wait_for  # noqa: E402
from invariants import FaultCase  # noqa: E402
from load import Load  # noqa: E402
from standby import Standby  # noqa: E402


class Failover(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.standby = Standby(cls.pe)
        cls.pe.reconfigure({'database': {'conninfo': cls.standby.conninfo()}})
        cls.standby.make_synchronous()
        cls.make_ca('failover root')

    @classmethod
    def tearDownClass(cls):
        try:
            cls.standby.stop()
        finally:
            super().tearDownClass()

    def test_failover_under_load(self):
        pid = self.pe.pid()
        load = Load(self.pe, self.issue_body, 8).start()
        self.assertTrue(wait_for(lambda: load.count(200) >= 50, 30), load.kinds())
        self.pe.pg_ctl('stop', 'immediate')
        time.sleep(1)
        self.standby.promote()
        promoted, seen = time.monotonic(), len(load.outcomes)
        back = wait_for(lambda: any(o[1] == 200 for o in load.outcomes[seen:]), 5, 0.02)
        healed = time.monotonic() - promoted
        time.sleep(2)
        load.stop()
        self.assertTrue(back, 'no issuance within 5 s of the promotion: %r' % load.kinds())
        self.assertEqual(self.pe.pid(), pid, 'pcad restarted')
        self.assertLessEqual(load.kinds(), {200, 'ServiceUnavailable', 'conn'})
        # the invariants, on the new primary
        self.pe.env.update(PGHOST=self.standby.sock, PGPORT=str(self.standby.port))
        self.assertEqual(self.pe.psql('SELECT pg_is_in_recovery()'), 'f')
        last, cut = load.answers()
        for token in cut:
            if last[token] is None:  # cut and never answered: the retry says
                kind, arn = load.retry(token)
                self.assertIn(kind, (200,), kind)
                last[token] = arn
        self.acknowledged = [arn for arn in last.values() if arn]
        after = [o for o in load.outcomes[seen:] if o[1] == 200]
        print('\nfailover: %d issued (%d after the promotion), %d 503s; issuing again %.2f s'
              ' after the promotion' % (load.count(200), len(after),
                                        load.count('ServiceUnavailable'), healed))


if __name__ == '__main__':
    unittest.main()
