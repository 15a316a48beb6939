"""Group commit and the CA cache, tried for real with the C load generator
(16 keep-alive connections, SigV4 afresh per request): concurrent
IssueCertificate writes share transactions (the rows' xmin: fewer
transactions than writes), a statement that fails inside a batch fails
only its own request, and nothing pcad acknowledged is lost when pcad is
killed with -9 and PostgreSQL stopped the immediate (crash-like) way under
load. The CA row IssueCertificate and GetCertificate keep for a second
never shows: a change another instance makes (here straight in the
database) is honoured by the very next call."""
import base64
import json
import os
import re
import signal
import subprocess
import time
import unittest

from cryptography import x509

from pcatest import EnvTestCase, make_root, wait_for
from pki import leaf_csr

EC = ('EC_prime256v1', 'SHA256WITHECDSA')
LOADGEN = os.environ.get('PCAD_LOADGEN') or os.path.join(
    os.path.dirname(os.environ.get('PCAD_BIN', '')), 'pcad-loadgen')


class GroupCommit(EnvTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = cls.pe.boto3()
        cls.ca = make_root(cls.c, *EC, 'group commit root')
        d = cls.pe.dir
        cls.body = os.path.join(d, 'issue.json')
        with open(cls.body, 'w') as f:
            json.dump({'CertificateAuthorityArn': cls.ca, 'SigningAlgorithm': EC[1],
                       'Csr': base64.b64encode(leaf_csr(d, 'group.example')).decode(),
                       'Validity': {'Value': 1, 'Type': 'DAYS'}}, f)
        cls.secret = os.path.join(d, 'loadgen.secret')
        with open(cls.secret, 'w') as f:
            f.write(cls.pe.env['AWS_SECRET_ACCESS_KEY'])

    def loadgen_cmd(self, record, *limit):
        return [LOADGEN, '--endpoint', self.pe.endpoint.split('//', 1)[1], '--ca-bundle',
                self.pe.env['PCA_CA_BUNDLE'], '--akid', self.pe.env['AWS_ACCESS_KEY_ID'],
                '--secret-file', self.secret, '--conns', '16', *limit, '--record', record,
                '--op', 'IssueCertificate=' + self.body]

    def loadgen(self, name, count):
        """count issuances over 16 connections: (report, the ARNs answered)."""
        record = os.path.join(self.pe.dir, name + '.jsonl')
        out = subprocess.run(self.loadgen_cmd(record, '--count', str(count)),
                             capture_output=True, text=True, timeout=300, check=True).stdout
        return out, self.arns(record)

    @staticmethod
    def arns(record):
        with open(record) as f:
            return [json.loads(line)['CertificateArn'] for line in f if line.strip()]

    @staticmethod
    def errors(report):
        return {m.group(1): int(m.group(2)) for m in re.finditer(r'error (\w+): (\d+)', report)}

    def issued(self, arns):
        """How many of arns are ISSUED rows with their DER."""
        quoted = ','.join("'%s'" % a for a in arns)
        return int(self.pe.psql("SELECT count(*) FROM certificates WHERE arn IN (%s)"
                                " AND status = 'ISSUED' AND der IS NOT NULL" % quoted))

    def test_1_concurrent_issuances_share_commits(self):
        n = 800
        self.assertEqual(self.pe.psql('SHOW synchronous_commit'), 'on')
        self.assertEqual(self.pe.psql('SHOW fsync'), 'on')
        report, arns = self.loadgen('share', n)
        self.assertEqual(self.errors(report), {}, report)
        self.assertEqual(len(set(arns)), n, report)
        self.assertEqual(self.issued(arns), n)
        # each issuance wrote both its events
        serials = ','.join("'%s'" % a.rsplit('/', 1)[1].lstrip('0') for a in arns)
        self.assertEqual(self.pe.psql(
            "SELECT count(*) FROM audit_events WHERE serial IN (%s) AND event IN"
            " ('IssueCertificate', 'SignCertificate')" % serials), str(2 * n))
        # the transactions that wrote them: a row's xmin is the transaction
        # that inserted (T1's audit event) or last updated it (T2's ISSUED);
        # alone, each statement would be a transaction of its own
        quoted = ','.join("'%s'" % a for a in arns)
        t2 = int(self.pe.psql("SELECT count(DISTINCT xmin::text) FROM certificates"
                              " WHERE arn IN (%s)" % quoted))
        t1 = int(self.pe.psql("SELECT count(DISTINCT xmin::text) FROM audit_events"
                              " WHERE serial IN (%s) AND event = 'IssueCertificate'" % serials))
        self.assertLess(t1, 0.75 * n, 'T1: %d transactions for %d issuances' % (t1, n))
        self.assertLess(t2, 0.75 * n, 'T2: %d transactions for %d issuances' % (t2, n))

    def test_2_a_failing_statement_fails_only_its_request(self):
        # a real fault in the database: T1 (the INSERT) fails for serials
        # starting with a, T2 (the UPDATE to ISSUED) for serials starting with b
        self.pe.psql("""
            CREATE FUNCTION pcad_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF (TG_OP = 'INSERT' AND NEW.serial LIKE 'a%')
                 OR (TG_OP = 'UPDATE' AND NEW.status = 'ISSUED' AND NEW.serial LIKE 'b%') THEN
                RAISE EXCEPTION 'injected fault for %', NEW.serial;
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER pcad_test_fault BEFORE INSERT OR UPDATE ON certificates
              FOR EACH ROW EXECUTE FUNCTION pcad_test_fault();""")
        try:
            n = 640
            start = self.pe.psql('SELECT now()')
            report, arns = self.loadgen('fault', n)
        finally:
            self.pe.psql('DROP TRIGGER pcad_test_fault ON certificates;'
                         ' DROP FUNCTION pcad_test_fault()')
        errs = self.errors(report)
        self.assertEqual(set(errs), {'InternalFailure'}, report)
        self.assertEqual(len(arns) + errs['InternalFailure'], n, report)
        # about 2 in 16 fail; every other request succeeded
        self.assertGreater(errs['InternalFailure'], n // 40, report)
        self.assertLess(errs['InternalFailure'], n // 3, report)
        self.assertFalse([a for a in arns if a.rsplit('/', 1)[1].lstrip('0')[0] in 'ab'])
        self.assertEqual(self.issued(arns), len(arns))
        rows = self.pe.psql("SELECT left(serial, 1), status, count(*) FROM certificates"
                            " WHERE created_at >= '%s' GROUP BY 1, 2" % start).splitlines()
        by = {tuple(r.split('|')[:2]): int(r.split('|')[2]) for r in rows}
        self.assertFalse([k for k in by if k[0] == 'a'], by)  # T1 failed: no row
        # T2 failed: the row stays PENDING for the janitor, never ISSUED
        self.assertFalse([k for k in by if k[0] == 'b' and k[1] != 'PENDING'], by)
        pending_b = by.get(('b', 'PENDING'), 0)
        self.assertEqual(sum(v for k, v in by.items() if k[1] == 'ISSUED'), len(arns), by)
        # both faults happened: some T2s (PENDING b rows), some T1s (the rest)
        self.assertGreater(pending_b, 0, by)
        self.assertGreater(errs['InternalFailure'] - pending_b, 0, by)

    def test_3_kill_loses_nothing_acknowledged(self):
        record = os.path.join(self.pe.dir, 'crash.jsonl')
        lg = subprocess.Popen(self.loadgen_cmd(record, '--seconds', '30'),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(record) and
                                     os.path.getsize(record) > 20000, 20))
            os.kill(self.pe.pid(), signal.SIGKILL)
            self.pe.pg_ctl('stop', mode='immediate')
            lg.wait(timeout=60)
        finally:
            if lg.poll() is None:
                lg.kill()
                lg.wait()
        arns = self.arns(record)
        self.assertGreater(len(arns), 100)
        self.pe.down()
        self.pe.up()
        self.assertEqual(self.issued(arns), len(arns))
        for arn in arns[-3:]:
            self.assertIn('BEGIN CERTIFICATE', self.pe.boto3().get_certificate(
                CertificateAuthorityArn=self.ca, CertificateArn=arn)['Certificate'])

    # ---- the CA cache ----

    def issue(self):
        return self.c.issue_certificate(
            CertificateAuthorityArn=self.ca, Csr=leaf_csr(self.pe.dir), SigningAlgorithm=EC[1],
            Validity={'Value': 1, 'Type': 'DAYS'})['CertificateArn']

    def cdp(self, arn):
        pem = self.pe.boto3().get_certificate(CertificateAuthorityArn=self.ca,
                                              CertificateArn=arn)['Certificate']
        cert = x509.load_pem_x509_certificate(pem.encode())
        ext = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        return ext.value[0].full_name[0].value

    def elsewhere(self, sql):
        """A change as another instance would make it: in the database only."""
        self.pe.psql(sql + " WHERE arn = '%s'" % self.ca)

    def code(self, fn, **kw):
        try:
            fn(**kw)
            return 'OK'
        except self.c.exceptions.ClientError as e:
            return e.response['Error']['Code']

    def test_4_a_cached_ca_row_never_shows(self):
        self.c.update_certificate_authority(
            CertificateAuthorityArn=self.ca, RevocationConfiguration={'CrlConfiguration': {
                'Enabled': True, 'S3BucketName': 'pki-cache', 'CustomCname': 'one.example'}})
        arn = self.issue()  # the row is cached now
        self.assertTrue(wait_for(lambda: self.code(
            self.c.get_certificate, CertificateAuthorityArn=self.ca, CertificateArn=arn) == 'OK',
            5))
        self.assertIn('one.example', self.cdp(arn))
        # the revocation configuration changes elsewhere: the next
        # certificate already names the new CRL host
        self.elsewhere("UPDATE certificate_authorities SET revocation_config ="
                       " replace(revocation_config::text, 'one.example', 'two.example')::jsonb")
        self.assertIn('two.example', self.cdp(self.issue()))
        # disabled elsewhere: refused at once; enabled again: issues at once
        self.issue()
        self.elsewhere("UPDATE certificate_authorities SET status = 'DISABLED'")
        self.assertEqual(self.code(self.issue), 'InvalidStateException')
        time.sleep(1.2)  # past the cache's second: the refusal caches DISABLED
        self.assertEqual(self.code(self.issue), 'InvalidStateException')
        self.elsewhere("UPDATE certificate_authorities SET status = 'ACTIVE'")
        self.assertTrue(self.issue().startswith(self.ca))
        # GetCertificate: a CA deleted elsewhere refuses at once, and serves
        # again once it is back
        self.elsewhere("UPDATE certificate_authorities SET status = 'DELETED',"
                       " status_before_deletion = 'ACTIVE',"
                       " restorable_until = now() + interval '7 days'")
        self.assertEqual(self.code(self.c.get_certificate, CertificateAuthorityArn=self.ca,
                                   CertificateArn=arn), 'InvalidStateException')
        self.elsewhere("UPDATE certificate_authorities SET status = 'ACTIVE',"
                       " status_before_deletion = NULL, restorable_until = NULL")
        self.assertIn('BEGIN CERTIFICATE', self.c.get_certificate(
            CertificateAuthorityArn=self.ca, CertificateArn=arn)['Certificate'])


if __name__ == '__main__':
    unittest.main()
