"""What `psql -X -v ON_ERROR_STOP=1 -tA -c SQL` prints, without a process
and a new server backend per query: one connection per role, kept open,
speaking PostgreSQL's simple-query protocol over the cluster's socket (the
test clusters trust their socket). A psql start and a backend start cost
~60 ms of CPU each on these machines, and the suites run ~900 queries.
Python has no PostgreSQL driver here (no PyPI; Debian's psycopg2 is built
for Debian's interpreter, not the image's), hence this small client.

Output as psql's: every statement's rows ('|' between the columns, NULL
empty), or its command tag when it returns none; an error raises
subprocess.CalledProcessError (returncode 1, stderr 'ERROR:  ...'), after
the output of the statements before it; a connection that fails raises it
with returncode 2, as psql does.
"""
import os
import select
import socket
import struct
import subprocess
import threading

PROTOCOL_3 = 196608


class PgConn:
    def __init__(self, sockdir, port, user, database):
        self.path = os.path.join(sockdir, '.s.PGSQL.%s' % port)
        self.user, self.database = user, database
        self.sock = self.rf = None
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = self.rf = None

    def _read(self):
        head = self.rf.read(5)
        if len(head) < 5:
            raise EOFError('the server closed the connection')
        n = struct.unpack('!i', head[1:])[0] - 4
        body = self.rf.read(n)
        if len(body) < n:
            raise EOFError('the server closed the connection')
        return head[:1], body

    def _connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)
        self.rf = self.sock.makefile('rb')
        params = b''.join(k + b'\0' + v.encode() + b'\0' for k, v in (
            (b'user', self.user), (b'database', self.database), (b'application_name', 'psql'),
            (b'client_encoding', 'UTF8'))) + b'\0'
        self.sock.sendall(struct.pack('!ii', len(params) + 8, PROTOCOL_3) + params)
        while True:
            kind, body = self._read()
            if kind == b'R' and struct.unpack('!i', body[:4])[0] != 0:
                raise OSError('the server asks for a password (the test clusters trust their socket)')
            if kind == b'E':
                raise OSError(error_text(body))
            if kind == b'Z':
                return

    def _stale(self):
        """The idle connection has something to say: the server ended it
        (a restart, a terminated backend) or sent a notice."""
        while select.select([self.sock], [], [], 0)[0]:
            try:
                kind, body = self._read()
            except (OSError, EOFError):
                return True
            if kind == b'E':
                return True
        return False

    def query(self, sql):
        with self.lock:
            if self.pid != os.getpid():  # a forked child: the parent's stays the parent's
                self.sock = self.rf = None
                self.pid = os.getpid()
            try:
                if self.sock and self._stale():
                    self.close()
                if not self.sock:
                    self._connect()
                payload = sql.encode() + b'\0'
                self.sock.sendall(b'Q' + struct.pack('!i', len(payload) + 4) + payload)
                out, err, status = self._results()
                if status != b'I':  # psql's exit would end the transaction left open
                    rollback = b'ROLLBACK\0'
                    self.sock.sendall(b'Q' + struct.pack('!i', len(rollback) + 4) + rollback)
                    self._results()
            except (OSError, EOFError) as e:
                self.close()
                raise subprocess.CalledProcessError(2, ['psql', '-c', sql], '',
                                                    'psql: error: %s\n' % e)
        stdout = ''.join(line + '\n' for line in out)
        if any(e.startswith(('ERROR:', 'FATAL:', 'PANIC:')) for e in err):
            raise subprocess.CalledProcessError(1, ['psql', '-c', sql], stdout, '\n'.join(err))
        return stdout

    def _results(self):
        out, err, rows = [], [], False
        while True:
            kind, body = self._read()
            if kind == b'T':
                rows = True
            elif kind == b'D':
                out.append(data_row(body))
            elif kind == b'd':  # COPY ... TO STDOUT
                out.append(body.decode().rstrip('\n'))
            elif kind == b'H':
                rows = True
            elif kind == b'C':
                if not rows:
                    out.append(body[:-1].decode())
                rows = False
            elif kind in (b'E', b'N'):
                err.append(error_text(body))
            elif kind == b'G':  # COPY FROM STDIN: nothing to send
                why = b'no input\0'
                self.sock.sendall(b'f' + struct.pack('!i', 4 + len(why)) + why)
            elif kind == b'Z':  # its status: I idle, T in a transaction, E failed one
                return out, err, body[:1]


def data_row(body):
    n, i, cols = struct.unpack('!h', body[:2])[0], 2, []
    for _ in range(n):
        size = struct.unpack('!i', body[i:i + 4])[0]
        i += 4
        if size < 0:
            cols.append('')
        else:
            cols.append(body[i:i + size].decode())
            i += size
    return '|'.join(cols)


def error_text(body):
    """An ErrorResponse or NoticeResponse as psql prints it."""
    fields = {}
    for part in body.split(b'\0'):
        if part:
            fields[part[:1]] = part[1:].decode()
    text = '%s:  %s' % (fields.get(b'S', 'ERROR'), fields.get(b'M', ''))
    for code, label in ((b'D', 'DETAIL'), (b'H', 'HINT')):
        if code in fields:
            text += '\n%s:  %s' % (label, fields[code])
    return text
