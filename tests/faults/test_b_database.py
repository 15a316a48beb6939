"""Matrix B, the database hanging (security-and-faults.md 5.2, B4 and the
SIGSTOP case of issue 12): every PostgreSQL process is stopped with SIGSTOP
while pcad serves. Each API call then gets 503 ServiceUnavailable within the
statement deadline (statement_timeout_ms plus a second), /readyz turns not
ready, SIGTERM still ends pcad in bounded time, and the group-commit batch
that was in the server's socket when it froze commits nothing when it
thaws (the guard before COMMIT has expired)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from pcatest import gone, wait_for  # noqa: E402
from invariants import FaultCase  # noqa: E402

DEADLINE_MS = 1000


class HungDatabase(FaultCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pe.reconfigure({'database': {'statement_timeout_ms': str(DEADLINE_MS)}})
        cls.make_ca('hung database root')

    def pg_pids(self):
        with open(os.path.join(self.pe.dir, 'pg', 'data', 'postmaster.pid')) as f:
            master = int(f.readline())
        kids = subprocess.run(['pgrep', '-P', str(master)], capture_output=True,
                              text=True).stdout.split()
        return [master] + [int(k) for k in kids]

    def signal_pg(self, sig):
        for pid in self.pg_pids():
            os.kill(pid, sig)

    def timed(self, fn):
        t0 = time.monotonic()
        r = fn()
        return r, time.monotonic() - t0

    def test_sigstop_gives_503_within_the_deadline_and_term_still_exits(self):
        before = self.certs()
        self.assertEqual(self.pe.raw('IssueCertificate', self.issue_body)[0], 200)
        pid = self.pe.pid()
        self.signal_pg(signal.SIGSTOP)
        try:
            bound = DEADLINE_MS / 1000 + 1 + 2.5  # pcad's wait, plus a reconnect and slack
            for target, body in (('ListCertificateAuthorities', b'{}'),
                                 ('IssueCertificate', self.issue_body),
                                 ('DescribeCertificateAuthority',
                                  json.dumps({'CertificateAuthorityArn': self.ca}).encode())):
                with self.subTest(target=target):
                    resp, took = self.timed(lambda: self.pe.raw(target, body))
                    self.assertAwsError(resp, 503, 'ServiceUnavailable')
                    self.assertLess(took, bound, target)
            # concurrent issuances (one group-commit batch in the frozen socket)
            results = []

            def issue():
                results.append(self.timed(lambda: self.pe.raw('IssueCertificate', self.issue_body)))
            threads = [threading.Thread(target=issue) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            self.assertEqual(len(results), 8)
            for resp, took in results:
                self.assertEqual(resp[0], 503, resp)
                self.assertLess(took, bound * 2)
            self.assertTrue(wait_for(lambda: self.pe.admin('/readyz')[0] == 503, 10))
            # SIGTERM ends pcad although every database call would hang
            os.kill(pid, signal.SIGTERM)
            t0 = time.monotonic()
            self.assertTrue(wait_for(lambda: gone(pid), 20),
                            'pcad did not exit within 20 s of SIGTERM')
            self.assertLess(time.monotonic() - t0, 20)
        finally:
            self.signal_pg(signal.SIGCONT)
        time.sleep(DEADLINE_MS / 1000 + 2)  # the guards have long expired when the server runs
        self.pe.up()
        # what was answered 503 left nothing behind: only the one 200
        self.assertEqual(self.certs(), before + 1)
        self.assertEqual(self.pe.raw()[0], 200)
        log = self.pe.log()
        self.assertIn('did not answer within', log)
        # one line per log entry: no raw libpq continuation lines
        for line in log.splitlines():
            if line.strip():
                self.assertRegex(line, r'^(<\d>pcad: req=|\d{4}-)', line)


if __name__ == '__main__':
    unittest.main()
