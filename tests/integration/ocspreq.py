"""OCSP requests written by hand in DER: any number of CertIDs and a nonce
of any length, which cryptography's OCSPRequestBuilder (one certificate,
its own nonce rules) cannot make."""
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

SHA1_ALG = bytes.fromhex('300906052b0e03021a0500')  # AlgorithmIdentifier sha1, NULL
NONCE_OID = bytes.fromhex('06092b0601050507300102')  # id-pkix-ocsp-nonce


def tlv(tag, body):
    """One DER element: tag, definite length, body."""
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(size)]) + size + body


def integer(v):
    """A non-negative INTEGER (a leading zero octet when the top bit is set)."""
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, 'big'))


def issuer_hashes(issuer):
    """SHA-1 of the issuer's subject and of its public key (the BIT STRING's
    contents), as a CertID names it."""
    pub = issuer.public_key()
    if isinstance(pub, ec.EllipticCurvePublicKey):
        key = pub.public_bytes(serialization.Encoding.X962,
                               serialization.PublicFormat.UncompressedPoint)
    else:
        key = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return (hashlib.sha1(issuer.subject.public_bytes()).digest(),
            hashlib.sha1(key).digest())


def request(issuer, serials, nonce=None):
    """The DER OCSPRequest asking about serials (ints) of issuer (an
    x509.Certificate); nonce (bytes): a Nonce extension whose extnValue is
    the OCTET STRING of nonce (RFC 8954), whatever its length."""
    name, key = issuer_hashes(issuer)
    head = SHA1_ALG + tlv(0x04, name) + tlv(0x04, key)
    reqs = b''.join(tlv(0x30, tlv(0x30, head + integer(s))) for s in serials)
    exts = b''
    if nonce is not None:
        ext = tlv(0x30, NONCE_OID + tlv(0x04, tlv(0x04, nonce)))
        exts = tlv(0xa2, tlv(0x30, ext))
    return tlv(0x30, tlv(0x30, tlv(0x30, reqs) + exts))
