#ifndef PCAD_AWSERROR_H
#define PCAD_AWSERROR_H
/* The body of an AWS JSON 1.1 error, for the router and for the front
 * door's refusals (which must not see jansson). */
#include "base/err.h"

/* {"__type": name, "message": msg} as a malloc'ed string, or NULL. */
char *awserror_body(err_code_t code, const char *msg);

#endif
