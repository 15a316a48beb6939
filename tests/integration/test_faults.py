"""PostgreSQL going away and coming back; pcaenv restarting on its state."""
import time
import unittest

from pcatest import EnvTestCase, wait_for


class DatabaseOutage(EnvTestCase):

    def test_readyz_follows_postgres_with_the_same_process(self):
        pid = self.pe.pid()
        self.assertEqual(self.pe.admin('/readyz')[0], 200)
        self.assertEqual(self.pe.admin('/livez')[0], 200)
        self.pe.pg_ctl('stop')
        try:
            self.assertTrue(wait_for(lambda: self.pe.admin('/readyz')[0] == 503, 10))
            status, text = self.pe.admin('/readyz')
            self.assertIn('database unreachable', text)
            self.assertEqual(self.pe.admin('/livez')[0], 200)
            # API requests fail fast with 503 ServiceUnavailable
            t0 = time.monotonic()
            self.assertAwsError(self.pe.raw(), 503, 'ServiceUnavailable')
            self.assertLess(time.monotonic() - t0, 3.0)
        finally:
            self.pe.pg_ctl('start')
        self.assertTrue(wait_for(lambda: self.pe.admin('/readyz')[0] == 200, 15))
        self.assertTrue(wait_for(lambda: self.pe.raw()[0] == 200, 10))
        self.assertEqual(self.pe.pid(), pid)
        r = self.pe.aws('list-certificate-authorities')
        self.assertEqual(r.returncode, 0, r.stderr)


class Restart(EnvTestCase):

    def test_down_up_keeps_endpoint_credentials_and_data(self):
        before = dict(self.pe.env)
        self.pe.psql("CREATE TABLE restart_marker (x int); INSERT INTO restart_marker VALUES (7)")
        old_pid = self.pe.pid()
        self.pe.down()
        with self.assertRaises(OSError):
            self.pe.admin('/livez')
        self.pe.up()
        self.assertNotEqual(self.pe.pid(), old_pid)
        for k in ('PCA_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'PCA_ADMIN',
                  'PCA_PUBLISH', 'PGPORT', 'PCA_ACCOUNT'):
            self.assertEqual(self.pe.env[k], before[k], k)
        self.assertEqual(self.pe.psql('SELECT x FROM restart_marker'), '7')
        self.assertEqual(self.pe.psql('SELECT count(*) FROM schema_migrations'),
                         self.pe.psql("SELECT count(*) FROM schema_migrations WHERE version LIKE '0%'"))
        for v2 in (False, True):
            r = self.pe.aws('list-certificate-authorities', v2=v2)
            self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == '__main__':
    unittest.main()
