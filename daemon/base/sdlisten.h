#ifndef PCAD_SDLISTEN_H
#define PCAD_SDLISTEN_H
/* systemd's socket activation (sd_listen_fds(3)), without libsystemd: the
 * listening sockets a .socket unit (or systemd-socket-activate) passed,
 * from fd 3 on, when $LISTEN_PID is this process; $LISTEN_FDNAMES names
 * them (FileDescriptorName=). */

/* The passed socket named name ("api", "admin", "publish"), or -1 when
 * none is. An unnamed single socket is the API's. */
int sdlisten_fd(const char *name);

#endif
