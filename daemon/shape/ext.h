#ifndef PCAD_EXT_H
#define PCAD_EXT_H
/* X.509 extensions (and their parts) from the API's JSON shapes. */
#include <openssl/x509v3.h>

#include "base/err.h"

struct json_t; /* jansson's json_t: only shape/ and api/ look inside */

/* GeneralName: exactly one member set, else InvalidArgsException. */
GENERAL_NAME *ext_general_name(const struct json_t *gn, err_t *e);
/* KeyUsage booleans -> the keyUsage extension (critical). NULL with e set
 * when no bit is set or on failure. */
X509_EXTENSION *ext_key_usage(const struct json_t *ku, err_t *e);
/* AccessDescription list -> subjectInfoAccess. */
X509_EXTENSION *ext_subject_info_access(const struct json_t *list, err_t *e);
/* ExtendedKeyUsage list (enum names or OIDs) -> extKeyUsage. */
X509_EXTENSION *ext_eku(const struct json_t *list, err_t *e);
/* GeneralName list -> subjectAltName. */
X509_EXTENSION *ext_san(const struct json_t *list, err_t *e);
/* PolicyInformation list -> certificatePolicies. */
X509_EXTENSION *ext_policies(const struct json_t *list, err_t *e);
/* CustomExtension {ObjectIdentifier, Value: base64 DER, Critical}. */
X509_EXTENSION *ext_custom(const struct json_t *ce, err_t *e);

#endif
