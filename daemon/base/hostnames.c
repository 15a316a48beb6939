#include "base/hostnames.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOSTNAMES_MAX 32

typedef struct {
  char host[256];
  long port; /* -1: any */
} hostnames_entry_t;

struct hostnames {
  hostnames_entry_t e[HOSTNAMES_MAX];
  int n;
};

/* "host", "host:port", "[v6]" or "[v6]:port" -> host (brackets kept off)
 * and port (-1 when absent). -1 when malformed. */
static int hostnames_split(const char *s, size_t len, char *host, size_t hostlen, long *port) {
  const char *colon = NULL, *end = s + len;
  size_t hl;
  *port = -1;
  if (len && s[0] == '[') {
    const char *rb = memchr(s, ']', len);
    if (!rb || (rb + 1 < end && rb[1] != ':'))
      return -1;
    colon = rb + 1 < end ? rb + 1 : NULL;
    s++;
    hl = (size_t)(rb - s);
  } else {
    colon = memchr(s, ':', len);
    if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
      return -1; /* an IPv6 address needs its brackets */
    hl = colon ? (size_t)(colon - s) : len;
  }
  if (hl == 0 || hl >= hostlen)
    return -1;
  memcpy(host, s, hl);
  host[hl] = '\0';
  for (size_t i = 0; i < hl; i++)
    if (host[i] <= ' ' || host[i] == '/' || host[i] == '@' || (unsigned char)host[i] >= 0x7f)
      return -1;
  if (colon) {
    char *pend;
    if (colon + 1 == end)
      return -1;
    *port = strtol(colon + 1, &pend, 10);
    if (pend != end || *port < 0 || *port > 65535 || colon[1] == '-' || colon[1] == '+')
      return -1;
  }
  return 0;
}

int hostnames_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len) {
  struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM},
                  *ai = NULL;
  char host[256], port[24];
  long p;
  if (hostnames_split(addr, strlen(addr), host, sizeof host, &p) < 0 || p < 0)
    return -1;
  snprintf(port, sizeof port, "%ld", p);
  if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
    return -2;
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  *len = ai->ai_addrlen;
  freeaddrinfo(ai);
  return 0;
}

static int hostnames_add(hostnames_t *h, const char *s, size_t len, int any_port) {
  if (h->n == HOSTNAMES_MAX)
    return -1;
  if (hostnames_split(s, len, h->e[h->n].host, sizeof h->e[h->n].host, &h->e[h->n].port) < 0)
    return -1;
  if (any_port)
    h->e[h->n].port = -1;
  h->n++;
  return 0;
}

hostnames_t *hostnames_new(const char *names, const char *listen, char *msg, size_t msglen) {
  hostnames_t *h = calloc(1, sizeof *h);
  const char *p = names ? names : "";
  if (!h) {
    snprintf(msg, msglen, "out of memory");
    return NULL;
  }
  while (*p) {
    size_t len = strcspn(p, ", \t");
    if (len && hostnames_add(h, p, len, 0) < 0) {
      snprintf(msg, msglen, "server.names: '%.*s' is not host or host:port (or too many names)",
               (int)(len > 200 ? 200 : len), p);
      free(h);
      return NULL;
    }
    p += len;
    p += strspn(p, ", \t");
  }
  if (h->n == 0 && (hostnames_add(h, listen, strlen(listen), 1) < 0 ||
                    hostnames_add(h, "localhost", 9, 1) < 0)) {
    snprintf(msg, msglen, "server.listen '%s' is not host:port", listen);
    free(h);
    return NULL;
  }
  return h;
}

void hostnames_free(hostnames_t *h) { free(h); }

int hostnames_match(const hostnames_t *h, const char *host) {
  char name[256];
  long port;
  if (!host || hostnames_split(host, strlen(host), name, sizeof name, &port) < 0)
    return 0;
  if (port < 0)
    port = 443; /* the scheme's own: clients leave it out */
  for (int i = 0; i < h->n; i++)
    if (strcasecmp(h->e[i].host, name) == 0 && (h->e[i].port < 0 || h->e[i].port == port))
      return 1;
  return 0;
}
