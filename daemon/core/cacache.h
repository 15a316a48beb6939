#ifndef PCAD_CACACHE_H
#define PCAD_CACACHE_H
/* CA certificates, parsed once: d2i_X509 costs OpenSSL 3's decoders on
 * every call, and every issuance needs its issuer's certificate. Entries
 * are keyed by the CA id and hold the DER they were parsed from; a lookup
 * with other DER (a renewed or imported certificate) parses afresh. Safe
 * from any thread. */
#include <openssl/x509.h>
#include <stddef.h>

/* The certificate of der (a reference: X509_free when done), or NULL when
 * der does not parse. */
X509 *cacache_get(const char *ca_id, const unsigned char *der, size_t len);
/* Drops every entry (at exit, so that leak checkers stay quiet). */
void cacache_flush(void);

#endif
