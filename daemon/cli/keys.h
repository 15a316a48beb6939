#ifndef PCAD_KEYS_H
#define PCAD_KEYS_H
/* `pcad keys`: the operator's commands on the credentials file the
 * daemon reads (api/creds.h), so nobody edits it by hand:
 *   add --account ID [--policy FILE]   prints "KEY_ID SECRET" once
 *   list                               KEY_ID ACCOUNT [POLICY_FILE]
 *   revoke KEY_ID
 * Changes are written whole (temporary file, fsync, rename, under an
 * exclusive lock) after the new file has been loaded as the daemon would
 * load it; a running daemon picks them up within a second. */

/* argv: what follows "keys". The exit code. */
int keys_main(const char *credentials_file, int argc, char **argv);

#endif
