#ifndef PCAD_REQID_H
#define PCAD_REQID_H

#define REQID_LEN 36
/* A random lower-case UUID v4 into out[REQID_LEN + 1]; also used for ARNs. */
int reqid_uuid4(char out[REQID_LEN + 1]);

#endif
