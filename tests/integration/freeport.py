"""Free loopback TCP ports for listeners, taken below the kernel's
ephemeral range: a port from inside it can be taken by any client's
outgoing connection in the moment between a kill and a restart (then the
restarted pcad cannot listen; seen under load). Usage: freeport.py N."""
import random
import socket
import sys


def ephemeral_low():
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(n):
    low = min(ephemeral_low(), 65536)
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    out, held = [], []
    for port in candidates:
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', port))
        except OSError:
            s.close()
            continue
        held.append(s)
        out.append(port)
        if len(out) == n:
            break
    for s in held:
        s.close()
    if len(out) < n:
        raise SystemExit('no %d free ports below %d' % (n, low))
    return out


if __name__ == '__main__':
    print(' '.join(str(p) for p in free_ports(int(sys.argv[1]))))
