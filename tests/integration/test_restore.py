"""The restore drill of docs/OPERATIONS.md (Backups): a pg_dump of one
environment's database and a copy of its SoftHSM token, taken with pcad
stopped, restored into a second, fresh environment: the CAs are there and
ACTIVE, the certificates issued before are served, and the CAs still sign
(their keys came with the token), under the same access keys."""
import base64
import copy
import json
import os
import shutil
import subprocess
import unittest

from cryptography import x509

from pcatest import Env, make_root
from pki import leaf_csr

def as_postgres(env, *cmd):
    e = dict(os.environ, **{k: env[k] for k in ('PGHOST', 'PGPORT')})
    full = list(cmd)
    if os.geteuid() == 0:
        full = ['runuser', '-u', 'postgres', '--'] + full
    return subprocess.run(full, check=True, capture_output=True, text=True, env=e)


class RestoreDrill(unittest.TestCase):

    def setUp(self):
        self.a = Env()
        self.addCleanup(self.a.close)
        self.b = Env()
        self.addCleanup(self.b.close)

    def issue(self, via, ca):
        st, _, data = via.raw('IssueCertificate', json.dumps({
            'CertificateAuthorityArn': ca, 'SigningAlgorithm': 'SHA256WITHECDSA',
            'Csr': base64.b64encode(leaf_csr(via.dir)).decode(),
            'Validity': {'Value': 1, 'Type': 'DAYS'}}))
        self.assertEqual(st, 200, data)
        return data['CertificateArn']

    def get(self, via, ca, arn):
        st, _, data = via.raw('GetCertificate', json.dumps(
            {'CertificateAuthorityArn': ca, 'CertificateArn': arn}))
        self.assertEqual(st, 200, data)
        return x509.load_pem_x509_certificate(data['Certificate'].encode())

    def test_pg_dump_and_token_copy_restore_and_sign(self):
        ca = make_root(self.a.boto3(), 'EC_prime256v1', 'SHA256WITHECDSA', 'restored root')
        before = self.issue(self.a, ca)
        # the backup: the database dumped, then pcad stopped and the token copied
        dump = os.path.join(self.a.dir, 'pg', 'pcad.dump')
        as_postgres(self.a.env, 'pg_dump', '-Fc', '-f', dump, 'pcad')
        self.a.stop_pcad()
        token = os.path.join(self.a.dir, 'softhsm', 'tokens')
        saved = os.path.join(self.b.dir, 'token-backup')
        shutil.copytree(token, saved)
        # the restore, into B: its pcad stopped, its database and token replaced
        self.b.stop_pcad()
        self.b.psql_close()
        as_postgres(self.b.env, 'dropdb', 'pcad')
        as_postgres(self.b.env, 'createdb', '-O', 'pcad_owner', 'pcad')
        shutil.copy(dump, os.path.join(self.b.dir, 'pg', 'pcad.dump'))
        as_postgres(self.b.env, 'pg_restore', '-d', 'pcad',
                    os.path.join(self.b.dir, 'pg', 'pcad.dump'))
        tokens = os.path.join(self.b.dir, 'softhsm', 'tokens')
        shutil.rmtree(tokens)
        shutil.copytree(saved, tokens)
        for f in ('pin', 'credentials'):  # the PIN and the keys come back with them
            shutil.copy(os.path.join(self.a.dir, f), os.path.join(self.b.dir, f))
        self.b.up()
        b = self.b_as_a()
        self.assertEqual(b.boto3().describe_certificate_authority(CertificateAuthorityArn=ca)[
            'CertificateAuthority']['Status'], 'ACTIVE')
        old = self.get(b, ca, before)
        self.assertEqual('%032x' % old.serial_number, before.rsplit('/', 1)[1])
        # the key came with the token: B signs for the CA
        ca_cert = x509.load_pem_x509_certificate(b.boto3().get_certificate_authority_certificate(
            CertificateAuthorityArn=ca)['Certificate'].encode())
        fresh = self.get(b, ca, self.issue(b, ca))
        fresh.verify_directly_issued_by(ca_cert)
        old.verify_directly_issued_by(ca_cert)

    def b_as_a(self):
        """B's endpoints with A's access keys (restored with its credentials)."""
        view = copy.copy(self.b)
        view.env = dict(self.b.env, **{k: self.a.env[k] for k in (
            'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'PCA_ACCOUNT')})
        return view


if __name__ == '__main__':
    unittest.main()
