"""A second pcad on a pcaenv's database and token (what issue 14 makes
scripts/pcaenv do for N instances): its own config with its own three
listeners, everything else (PostgreSQL, the SoftHSM token directory, the
bucket directory, the access keys) shared. Returns an Env-like view whose
raw(), admin(), boto3() and pid() talk to the second instance."""
import copy
import os
import re
import subprocess

from freeport import free_ports
from pcatest import wait_for
from invariants import PCAD


class Second:

    def __init__(self, pe, name='pcad2', extra_env=None):
        self.pe, self.name = pe, name
        ports = dict(zip(('api', 'admin', 'publish'), free_ports(3)))
        with open(pe.env['PCA_CONFIG']) as f:
            conf = f.read()
        section = None
        out = []
        for line in conf.splitlines():
            m = re.match(r'\[(\w+)\]', line)
            if m:
                section = m.group(1)
            if line.split('=')[0].strip() == 'listen':
                key = {'server': 'api', 'admin': 'admin', 'publish': 'publish'}[section]
                line = 'listen = 127.0.0.1:%d' % ports[key]
            out.append(line)
        self.config = os.path.join(pe.dir, name + '.conf')
        with open(self.config, 'w') as f:
            f.write('\n'.join(out) + '\n')
        env = dict(os.environ, SOFTHSM2_CONF=pe.env['SOFTHSM2_CONF'], **(extra_env or {}))
        self.log_path = os.path.join(pe.dir, name + '.log')
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen([PCAD, '--config', self.config], stdout=log,
                                         stderr=subprocess.STDOUT, env=env)
        self.view = copy.copy(pe)
        self.view.env = dict(pe.env, PCA_ENDPOINT='https://127.0.0.1:%d' % ports['api'],
                             PCA_ADMIN='127.0.0.1:%d' % ports['admin'],
                             PCA_PUBLISH='127.0.0.1:%d' % ports['publish'],
                             PCA_PID_FILE=os.path.join(pe.dir, name + '.pid'),
                             PCA_LOG=self.log_path, PCA_CONFIG=self.config)
        with open(self.view.env['PCA_PID_FILE'], 'w') as f:
            f.write(str(self.proc.pid))
        if not wait_for(lambda: self.view.admin_up() and
                        self.view.admin('/readyz')[0] == 200, 30):
            self.stop()
            raise AssertionError('the second pcad did not become ready: ' + self.log())

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def stop(self):
        """SIGTERM, and its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
