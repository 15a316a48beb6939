#ifndef PCAD_REVCFG_H
#define PCAD_REVCFG_H
/* RevocationConfiguration rules shared by Create and Update. */
#include <jansson.h>

#include "err.h"

/* InvalidArgsException when a rule of pca-behavior.md is broken:
 * a disabled block says anything but Enabled=false; a CNAME with a scheme;
 * OmitExtension with CustomCname; a bucket name against S3's rules; an
 * enabled CRL without a bucket. */
int revcfg_check(const json_t *rc, err_t *e);

#endif
