#ifndef PCAD_CTX_H
#define PCAD_CTX_H
/* What an operation runs with: who asks, and the worker's resources. */
#include "p11.h"
#include "store.h"

typedef struct {
  const char *rid;      /* request id, for log lines and audit events */
  const char *account;  /* the caller's account */
  const char *actor;    /* the caller's access key id */
  const char *region;
  const char *partition;
  const unsigned char *page_key; /* 32 bytes: authenticates NextToken */
  store_t *store;                /* this worker's connection, ready */
  p11_t *p11;
  long ca_quota;                 /* CAs per account */
  void (*kick)(void *arg);       /* wakes the janitor (key generation) */
  void *kick_arg;
} ctx_t;

#endif
