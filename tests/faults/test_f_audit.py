"""F3 (security-and-faults.md 5.2) and issue 12's audit findings: the
audit trail is append-only for every role, hash-chained per CA, and `pcad
audit verify` (which recomputes every hash itself) finds an edited row, a
re-hashed row, a deleted row and a deleted tail, each made by hand as the
database owner with the triggers switched off. An event's log line is
written only once its transaction has committed, a database lost while an
event is written is a 503 (not a 500), and certificate events are keyed
by the CA's ARN and the serial.

Issue 25 (class Checkpoints): pcad's own database role cannot rewrite the
trail at all, and what the owner role can do to a chain and its head (a
row deleted and the rest relinked, a chain dropped with its head, the tail
cut and the head moved back: each invisible to the chain alone) is found
against the checkpoints signed with the token's audit key."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import botocore.exceptions  # noqa: E402
from invariants import PCAD, FaultCase, audit_verify  # noqa: E402
from pcatest import EnvTestCase, make_root, wait_for  # noqa: E402


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

    def test_checkpoints_at_start_and_at_shutdown(self):
        """([audit] checkpoint_interval is 300 s here: no round in between.)"""
        ckdir = os.path.join(self.pe.env['PCA_BUCKET_DIR'], 'pcad-audit', 'checkpoints')

        def newest():
            with open(sorted(glob.glob(os.path.join(ckdir, '*.txt')))[-1]) as f:
                return f.read()
        self.assertIn('pcad audit checkpoint 1\n', newest())  # one written at start
        self.c.tag_certificate_authority(CertificateAuthorityArn=self.ca,
                                         Tags=[{'Key': 'at', 'Value': 'shutdown'}])
        seq, h = self.pe.psql("SELECT seq, encode(hash, 'hex') FROM audit_chain_heads"
                              " WHERE chain = '%s'" % self.ca).split('|')
        self.assertNotIn('chain %s %s %s' % (seq, h, self.ca), newest())
        self.pe.down()
        try:
            self.assertIn('chain %s %s %s' % (seq, h, self.ca), newest().splitlines())
            self.assertIn('audit checkpoint pcad-audit/checkpoints/', self.pe.log())
        finally:
            self.pe.up()

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


# A chain rewritten as its owner would: a row deleted and every later row
# renumbered, relinked and rehashed, the head moved to the new last row.
RELINK = """
DO $$
DECLARE
  r audit_events;
  last bytea := decode(repeat('00', 32), 'hex');
  before bytea;
  n bigint := 0;
BEGIN
  FOR r IN SELECT * FROM audit_events WHERE chain = '%(chain)s' ORDER BY seq LOOP
    n := n + 1;
    r.seq := n;
    r.prev_hash := last;
    r.hash := sha256(last || convert_to(audit_events_content(r), 'UTF8'));
    UPDATE audit_events SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
    before := last;
    last := r.hash;
  END LOOP;
  UPDATE audit_chain_heads SET seq = n, prev = before, hash = last WHERE chain = '%(chain)s';
END $$"""


class Checkpoints(EnvTestCase):
    """Each attack has a chain (a CA) of its own; the trail stays broken
    afterwards, so no invariant check follows these tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pe.reconfigure({'audit': {'checkpoint_interval': '1'}})
        cls.c = cls.pe.boto3()
        cls.victims = {}
        for name in ('relink', 'drop', 'cut'):
            ca = make_root(cls.c, 'EC_prime256v1', 'SHA256WITHECDSA', 'victim ' + name)
            for i in range(3):
                cls.c.tag_certificate_authority(CertificateAuthorityArn=ca,
                                                Tags=[{'Key': 'k%d' % i, 'Value': name}])
            cls.victims[name] = ca
        cls.dir = os.path.join(cls.pe.env['PCA_BUCKET_DIR'], 'pcad-audit', 'checkpoints')

    def verify(self, *args):
        env = dict(os.environ, SOFTHSM2_CONF=self.pe.env['SOFTHSM2_CONF'])
        return subprocess.run([PCAD, 'audit', 'verify', '--config', self.pe.env['PCA_CONFIG']]
                              + list(args), capture_output=True, text=True, env=env,
                              timeout=120)

    def head(self, chain):
        return int(self.pe.psql("SELECT seq FROM audit_chain_heads WHERE chain = '%s'" % chain))

    def signed(self, chain):
        """Waits for a checkpoint that has chain at its head now."""
        want = 'chain %d ' % self.head(chain)

        def found():
            for path in glob.glob(os.path.join(self.dir, '*.txt')):
                with open(path) as f:
                    if any(x.startswith(want) and x.endswith(' ' + chain)
                           for x in f.read().splitlines()):
                        return True
            return False
        self.assertTrue(wait_for(found, 20), 'no checkpoint signed ' + chain)

    def owner(self, sql):
        """sql as the tables' owner (pcad_owner), with the audit triggers off."""
        return self.pe.psql('BEGIN; ALTER TABLE audit_events DISABLE TRIGGER USER; %s;'
                            ' ALTER TABLE audit_events ENABLE TRIGGER USER; COMMIT' % sql,
                            user='pcad_owner')

    def assertFound(self, chain, *parts):
        """The chain alone hides the attack; the checkpoints do not."""
        empty = tempfile.mkdtemp(dir=self.pe.dir)
        r = self.verify('--checkpoints', empty)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.verify()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [x for x in r.stdout.splitlines() if chain in x]
        self.assertTrue(lines, r.stdout)
        self.assertTrue(any(all(p in x for p in parts) for x in lines), r.stdout)

    def test_a_daemon_role_cannot_rewrite_the_trail(self):
        denied = ('permission denied', 'must be owner')
        for sql in ("DELETE FROM audit_events WHERE seq = 1",
                    "UPDATE audit_events SET actor = actor",
                    "TRUNCATE audit_events",
                    "ALTER TABLE audit_events DISABLE TRIGGER USER",
                    "DROP TRIGGER audit_events_append_only ON audit_events",
                    "CREATE TRIGGER t BEFORE INSERT ON audit_events FOR EACH ROW"
                    " EXECUTE FUNCTION audit_events_refuse()",
                    "ALTER FUNCTION audit_events_link() SECURITY INVOKER",
                    "UPDATE audit_chain_heads SET seq = seq",
                    "DELETE FROM audit_chain_heads",
                    "INSERT INTO audit_chain_heads VALUES ('x', 1, '', '')",
                    "CREATE TABLE audit_copy (x int)",
                    "SET ROLE pcad_owner"):
            with self.subTest(sql=sql):
                with self.assertRaises(subprocess.CalledProcessError) as cm:
                    self.pe.psql(sql, user='pcad')
                self.assertTrue(any(d in cm.exception.stderr for d in denied),
                                cm.exception.stderr)
        # and what it must do, it does: append (through the trigger) and read
        self.assertEqual(self.pe.psql("SELECT count(*) > 0 FROM audit_events", user='pcad'), 't')
        self.c.tag_certificate_authority(CertificateAuthorityArn=self.victims['relink'],
                                         Tags=[{'Key': 'more', 'Value': 'events'}])
        self.assertNotIn('could rewrite the audit trail', self.pe.log())
        r = self.verify()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('checkpoints signed', r.stdout)

    def test_b_relinked_after_a_delete(self):
        ca = self.victims['relink']
        self.signed(ca)
        before = self.head(ca)
        self.owner("DELETE FROM audit_events WHERE chain = '%s' AND seq = 2; %s"
                   % (ca, RELINK % {'chain': ca}))
        self.assertEqual(self.head(ca), before - 1)
        self.assertFound(ca, 'checkpoint')

    def test_c_chain_dropped_with_its_head(self):
        ca = self.victims['drop']
        self.signed(ca)
        self.owner("DELETE FROM audit_events WHERE chain = '%s';"
                   " DELETE FROM audit_chain_heads WHERE chain = '%s'" % (ca, ca))
        # the CA row alone tells, checkpoints or not
        r = self.verify('--checkpoints', tempfile.mkdtemp(dir=self.pe.dir))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('CA %s has no audit chain' % ca, r.stdout)
        # so a thorough owner drops it too
        self.pe.psql("DELETE FROM certificate_authorities WHERE arn = '%s'" % ca,
                     user='pcad_owner')
        self.assertFound(ca, 'it has no events now')

    def test_d_tail_cut_and_head_moved_back(self):
        ca = self.victims['cut']
        self.signed(ca)
        last = self.head(ca)
        self.owner("DELETE FROM audit_events WHERE chain = '%(ca)s' AND seq > %(k)d;"
                   " UPDATE audit_chain_heads h SET seq = e.seq, prev = e.prev_hash,"
                   " hash = e.hash FROM audit_events e WHERE h.chain = '%(ca)s'"
                   " AND e.chain = h.chain AND e.seq = %(k)d" % {'ca': ca, 'k': last - 2})
        self.assertFound(ca, 'ends before that now')

    def test_e_checkpoints_verify_outside_pcad_and_forgeries_are_refused(self):
        env = dict(os.environ, SOFTHSM2_CONF=self.pe.env['SOFTHSM2_CONF'])
        pem = subprocess.run([PCAD, 'audit', 'key', '--config', self.pe.env['PCA_CONFIG']],
                             capture_output=True, text=True, env=env, check=True).stdout
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        key = serialization.load_pem_public_key(pem.split('-----END PUBLIC KEY-----')[0].encode()
                                                + b'-----END PUBLIC KEY-----\n')
        newest = sorted(glob.glob(os.path.join(self.dir, '*.txt')))[-1]
        with open(newest, 'rb') as f:
            doc = f.read()
        body, sig = doc.split(b'signature ')
        import base64
        key.verify(base64.b64decode(sig), body, ec.ECDSA(hashes.SHA256()))  # an auditor's check
        # a checkpoint with a head changed, its signature kept
        forged = tempfile.mkdtemp(dir=self.pe.dir)
        lines = body.decode().splitlines()
        i = next(k for k, x in enumerate(lines) if x.startswith('chain '))
        seq, h, name = lines[i].split()[1:]
        lines[i] = 'chain %s %s %s' % (seq, ('0' if h[0] != '0' else '1') + h[1:], name)
        with open(os.path.join(forged, os.path.basename(newest)), 'wb') as f:
            f.write(('\n'.join(lines) + '\n').encode() + b'signature ' + sig)
        keyfile = os.path.join(forged, 'audit.pem')
        with open(keyfile, 'w') as f:
            f.write(pem)
        r = self.verify('--checkpoints', forged, '--key', keyfile)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('signature does not verify', r.stdout)
        shutil.rmtree(forged)

    def test_f_single_role_keeps_working_and_is_told_how_to_split(self):
        with open(self.pe.env['PCA_CONFIG']) as f:
            conninfo = next(x for x in f.read().splitlines() if x.startswith('conninfo = '))
        self.pe.reconfigure({'database': {
            'conninfo': conninfo.split(' = ', 1)[1].replace('user=pcad', 'user=postgres'),
            'owner_conninfo': ''}})
        self.assertGreater(len(self.c.list_certificate_authorities()['CertificateAuthorities']), 0)
        self.assertIn("pcad's role 'postgres' is a superuser, so it could rewrite the audit trail",
                      self.pe.log())
        self.assertIn('owner_conninfo', self.pe.log())


if __name__ == '__main__':
    unittest.main()
