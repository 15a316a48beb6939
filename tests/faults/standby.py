"""A synchronous streaming standby of a pcaenv's PostgreSQL, in DIR/pg2:
pg_basebackup of the primary (-R: standby.signal and primary_conninfo),
its own unix socket and port, and the primary's synchronous_standby_names
set to it, so that a COMMIT the primary acknowledges is on the standby
too (synchronous_commit on: flushed there)."""
import os
import shutil
import subprocess

from freeport import free_ports
from pcatest import PGBIN, wait_for


def as_pg(cmd):
    return ['runuser', '-u', 'postgres', '--'] + cmd if os.geteuid() == 0 else cmd


class Standby:

    def __init__(self, pe):
        self.pe = pe
        self.dir = os.path.join(pe.dir, 'pg2')
        self.sock = os.path.join(self.dir, 'sock')
        self.data = os.path.join(self.dir, 'data')
        self.port = free_ports(1)[0]
        os.makedirs(self.sock)
        for path in (self.dir, self.sock):
            if os.geteuid() == 0:
                shutil.chown(path, 'postgres')
        os.chmod(self.dir, 0o700)
        subprocess.run(as_pg([PGBIN + '/pg_basebackup', '-h', pe.env['PGHOST'], '-p',
                              pe.env['PGPORT'], '-U', 'postgres', '-D', self.data, '-R',
                              '-X', 'stream', '-c', 'fast']),
                       check=True, capture_output=True)
        self.pg_ctl('start')

    def pg_ctl(self, action, mode='fast'):
        cmd = [PGBIN + '/pg_ctl', '-D', self.data, '-w', '-t', '60', '-m', mode, '-l',
               os.path.join(self.dir, 'log'), action]
        if action == 'start':
            cmd += ['-o', "-k %s -c listen_addresses='' -p %d -c cluster_name=standby" % (
                self.sock, self.port)]
        subprocess.run(as_pg(cmd), check=True, capture_output=True)

    def psql(self, sql):
        e = dict(os.environ, PGHOST=self.sock, PGPORT=str(self.port), PGDATABASE='pcad',
                 PGUSER='postgres')
        return subprocess.run([PGBIN + '/psql', '-X', '-v', 'ON_ERROR_STOP=1', '-tA', '-c', sql],
                              check=True, capture_output=True, text=True, env=e).stdout.strip()

    def make_synchronous(self):
        """The primary waits for this standby at every COMMIT from now on."""
        self.pe.psql("ALTER SYSTEM SET synchronous_standby_names = 'standby'")
        self.pe.psql('SELECT pg_reload_conf()')
        if not wait_for(lambda: self.pe.psql(
                "SELECT sync_state FROM pg_stat_replication"
                " WHERE application_name = 'standby'") == 'sync', 30):
            raise AssertionError('the standby did not become synchronous')

    def conninfo(self):
        """pcad's conninfo naming the primary, then this standby; only the
        one that takes writes is used."""
        return ('host=%s,%s port=%s,%d dbname=pcad user=postgres'
                ' target_session_attrs=read-write' % (self.pe.env['PGHOST'], self.sock,
                                                      self.pe.env['PGPORT'], self.port))

    def promote(self):
        subprocess.run(as_pg([PGBIN + '/pg_ctl', '-D', self.data, '-w', 'promote']),
                       check=True, capture_output=True)

    def stop(self):
        if os.path.exists(os.path.join(self.data, 'postmaster.pid')):
            self.pg_ctl('stop', 'immediate')
