#ifndef PCAD_PAGETOKEN_H
#define PCAD_PAGETOKEN_H
/* Opaque NextToken values: a cursor authenticated with a server key and
 * bound to a scope (account and operation), so a tampered or foreign token
 * is recognised.
 *
 * A token is base64(HMAC-SHA256(key, scope NUL cursor)[:16] || cursor).
 * The key is the server secret next_token_key (server_secrets: one for all
 * instances of a database); the scope is "<operation>:<account>:<filter>"
 * (api/act_page.c), and a token that fails is InvalidNextTokenException.
 * Cursors are keyset positions ("<created_at micros>:<id>", store/), so a
 * page stays stable while rows are added. */

/* malloc'ed token for cursor within scope. */
char *pagetoken_encode(const unsigned char key[32], const char *scope, const char *cursor);
/* The cursor of token (malloc'ed), or NULL when the token is not ours for
 * this scope. */
char *pagetoken_decode(const unsigned char key[32], const char *scope, const char *token);

#endif
