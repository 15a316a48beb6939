#ifndef PCAD_FAILPOINT_H
#define PCAD_FAILPOINT_H
/* Failpoints, compiled only into test builds (cmake -DPCAD_FAILPOINTS=ON,
 * as scripts/test builds): the environment variable PCAD_FAILPOINTS at
 * start, "name=value[,name=value...]", arms them. failpoint(name) is the
 * armed value, 0 when unarmed and always 0 in other builds.
 *   crash_after_t1=1    SIGKILL right after an issuance's T1 committed
 *   sign_delay_ms=N     an issuance waits N ms before it signs
 *   key_destroy_delay_ms=N  the janitor waits N ms between claiming a
 *                       key to destroy and destroying it */
#ifdef PCAD_FAILPOINTS
long failpoint(const char *name);
#else
#define failpoint(name) 0L
#endif

#endif
