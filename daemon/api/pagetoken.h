#ifndef PCAD_PAGETOKEN_H
#define PCAD_PAGETOKEN_H
/* Opaque NextToken values: a cursor authenticated with a server key and
 * bound to a scope (account and operation), so a tampered or foreign token
 * is recognised. */

/* malloc'ed token for cursor within scope. */
char *pagetoken_encode(const unsigned char key[32], const char *scope, const char *cursor);
/* The cursor of token (malloc'ed), or NULL when the token is not ours for
 * this scope. */
char *pagetoken_decode(const unsigned char key[32], const char *scope, const char *token);

#endif
