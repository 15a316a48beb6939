#ifndef PCAD_HOSTNAMES_H
#define PCAD_HOSTNAMES_H
/* The names clients reach the API by ([server] names): a signed Host that
 * is not one of them is refused (security-and-faults.md 3.1(4)), so a
 * request signed for another endpoint cannot be replayed here. */
#include <stddef.h>
#include <sys/socket.h>

typedef struct hostnames hostnames_t;

/* names: "host" or "host:port" entries, separated by commas or blanks
 * ("[v6]" and "[v6]:port" for IPv6); an entry without a port matches any
 * port. Empty: the host of listen and localhost. NULL with msg set when an
 * entry is malformed. */
hostnames_t *hostnames_new(const char *names, const char *listen, char *msg, size_t msglen);
void hostnames_free(hostnames_t *h);
/* A listen address, "host:port" or "[v6]:port" (port 0: any free one),
 * resolved for binding into *ss (*len bytes): 0, -1 when it is not
 * host:port, -2 when the host does not resolve. */
int hostnames_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len);
/* Whether a Host header value names this endpoint (case-insensitive). */
int hostnames_match(const hostnames_t *h, const char *host);

#endif
