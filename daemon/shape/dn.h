#ifndef PCAD_DN_H
#define PCAD_DN_H
/* Distinguished names as text, the way AWS writes them in audit reports. */
#include <openssl/x509.h>

/* RFC 2253 in reverse RDN order, as Java's X500Principal writes it:
 * CN, C, L, ST, O, OU, STREET, DC and UID by name with their value escaped
 * (RFC 2253 section 2.4), every other attribute as <dotted OID>=#<hex of
 * the value's DER>, lower case; several values of one RDN joined by '+'
 * in their DER (sorted) order.
 * malloc'ed, or NULL when out of memory. */
char *dn_rfc2253(const X509_NAME *name);

#endif
