#include "api/awserror.h"

#include <jansson.h>

char *awserror_body(err_code_t code, const char *msg) {
  json_t *o = json_pack("{s:s, s:s}", "__type", err_name(code), "message", msg ? msg : "");
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return s;
}
