"""Free loopback TCP ports for listeners, taken below the kernel's
ephemeral range: a port from inside it can be taken by any client's
outgoing connection in the moment between a kill and a restart (then the
restarted pcad cannot listen; seen under load).

Suites run side by side, and a port is free only until its listener binds
it (or again while a test has its pcad stopped): so each port handed out
is also reserved, as a symlink $PCAD_PORTS_DIR/<port> (default
/tmp/pcad-ports-<uid>) to its owner, a path that exists as long as the port is
used (an environment's directory; by default this process, /proc/<pid>).
A reservation whose owner is gone is free again.
Usage: freeport.py N [OWNER]."""
import os
import random
import socket
import sys

PORTS_DIR = os.environ.get('PCAD_PORTS_DIR', '/tmp/pcad-ports-%d' % os.getuid())


def ephemeral_low():
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def reserve(port, owner):
    """True if port is now owner's: no live owner held it."""
    link = os.path.join(PORTS_DIR, str(port))
    for _ in range(2):
        try:
            os.symlink(owner, link)
            return True
        except FileExistsError:
            if os.path.exists(link):  # its owner lives
                return False
            try:
                os.unlink(link)  # a stale one: taken over (once)
            except FileNotFoundError:
                pass
    return False


def bindable(port):
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_ports(n, owner=None):
    owner = os.path.realpath(owner or '/proc/%d' % os.getpid())
    os.makedirs(PORTS_DIR, exist_ok=True)
    low = min(ephemeral_low(), 65536)
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    out = []
    for port in candidates:
        if bindable(port) and reserve(port, owner):
            out.append(port)
            if len(out) == n:
                return out
    raise SystemExit('no %d free ports below %d' % (n, low))


if __name__ == '__main__':
    print(' '.join(str(p) for p in free_ports(int(sys.argv[1]),
                                               sys.argv[2] if len(sys.argv) > 2 else None)))
