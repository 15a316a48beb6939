#ifndef PCAD_SDNOTIFY_H
#define PCAD_SDNOTIFY_H
/* systemd's service notification protocol (sd_notify(3)), without
 * libsystemd: one datagram of "KEY=value" lines to $NOTIFY_SOCKET, a
 * socket path or, with a leading '@', a name in the abstract namespace.
 * The protocol is systemd's stable interface; pcad speaks the part it
 * needs: READY=1, RELOADING=1 (with MONOTONIC_USEC), STOPPING=1, STATUS=,
 * WATCHDOG=1. */

/* Sends the formatted message: 1 sent, 0 when there is no $NOTIFY_SOCKET
 * (not started by systemd: nothing to do), -1 when it could not be sent. */
int sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog period systemd asks for ($WATCHDOG_USEC, when $WATCHDOG_PID
 * is unset or this process), in microseconds; 0 when there is none. */
long long sdnotify_watchdog_usec(void);

#endif
