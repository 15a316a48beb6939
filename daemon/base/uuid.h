#ifndef PCAD_UUID_H
#define PCAD_UUID_H

#define UUID_LEN 36
/* A random lower-case UUID v4 into out[UUID_LEN + 1]; also used for ARNs. */
int uuid_v4(char out[UUID_LEN + 1]);

#endif
