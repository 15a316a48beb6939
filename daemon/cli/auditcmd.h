#ifndef PCAD_AUDITCMD_H
#define PCAD_AUDITCMD_H
/* pcad audit: the auditor's commands.
 *   verify --config FILE [--key PEM] [--checkpoints DIR]
 *       every chain recomputed, then held against every signed checkpoint
 *       (core/checkpoint.h) in DIR (default: the checkpoint bucket under
 *       [publish] bucket_root), their signatures checked with the audit
 *       key: PEM (as `pcad audit key` printed it), else the token's.
 *       Exit 0 when all holds, 1 with the first thing that does not, 2
 *       when it cannot tell.
 *   key --config FILE
 *       the audit key's public key (PEM) and its SHA-256, from the token. */

/* argv after "audit"; the exit code. */
int auditcmd_main(int argc, char **argv);

#endif
