#ifndef PCAD_P11_PRIV_H
#define PCAD_P11_PRIV_H
/* Inside pkcs11/ only: the context and the key-algorithm table. */
#include <p11-kit/pkcs11.h>
#include <openssl/engine.h>
#include <pthread.h>

#include "p11.h"

struct p11 {
  void *dl;
  CK_FUNCTION_LIST_PTR fl;
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE session;
  int initialized;
  pthread_mutex_t mu; /* one operation per session at a time */
  ENGINE *engine;
  char label[33];
};

typedef struct {
  const char *name; /* AWS KeyAlgorithm */
  CK_KEY_TYPE type;
  CK_ULONG bits;             /* RSA */
  const unsigned char *oid;  /* EC: DER of the curve OID */
  size_t oid_len;
  const char *group;         /* EC: OpenSSL group name */
} p11_alg_t;

extern const p11_alg_t p11_alg_table[];
extern const size_t p11_alg_count;
/* The AWS KeyAlgorithm's entry, or NULL. */
const p11_alg_t *p11_alg_find(const char *name);

#endif
