"""How the moduli of test_goodkey.c were made (run once, output pasted in;
the seeds of that run were not kept, so a rerun gives other moduli of the
same kinds).
GOOD_N came from `openssl genrsa 2048 | openssl rsa -noout -modulus`."""
import math
import random


def is_prime(n):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(40):
        x = pow(random.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def next_prime(n):
    n |= 1
    while not is_prime(n):
        n += 2
    return n


def fermat_rounds(n, limit):
    a = math.isqrt(n)
    a += a * a != n
    for r in range(limit):
        b = math.isqrt(a * a - n)
        if b * b == a * a - n:
            return r + 1
        a += 1
    return None


def close_primes(shift):
    """n = p * q, q the next prime after p + a random shift-bit number."""
    while True:
        p = next_prime(random.getrandbits(1024) | (3 << 1022))
        q = next_prime(p + random.getrandbits(shift) | (1 << (shift - 1)))
        if (p * q).bit_length() == 2048:
            return p * q


def roca_prime(bits, m):
    """k*M + (65537^a mod M), the form of the ROCA paper's primes."""
    b = bits - m.bit_length() + 1
    while True:
        c = random.getrandbits(b) * m + pow(65537, random.randrange(1, 1 << 60), m)
        if c.bit_length() == bits and c >> (bits - 2) == 3 and is_prime(c):
            return c


random.seed(25)
for name, shift in (('FERMAT_N', 516), ('FERMAT_FAR_N', 519)):
    n = close_primes(shift)
    print('//', name, 'Fermat rounds:', fermat_rounds(n, 2000))
    print(name, '%x' % n)
random.seed(26)
M = math.prod(p for p in range(2, 168) if is_prime(p))
print('ROCA_N', '%x' % (roca_prime(1024, M) * roca_prime(1024, M)))
