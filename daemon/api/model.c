#include "api/model.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/awsjson.h"
#include "base/buf.h"

static pcre2_code **model_re;

int model_init(err_t *e) {
  if (model_re)
    return 0;
  model_re = calloc((size_t)model_nshapes, sizeof *model_re);
  if (!model_re)
    return err_set(e, ERR_InternalFailure, "out of memory");
  for (int i = 0; i < model_nshapes; i++) {
    int ec;
    PCRE2_SIZE off;
    if (!model_shapes[i].pattern)
      continue;
    /* Smithy patterns are unanchored Java regexes with \uXXXX escapes;
     * the model means them as full matches. */
    model_re[i] = pcre2_compile((PCRE2_SPTR)model_shapes[i].pattern, PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_ANCHORED |
                                    PCRE2_ENDANCHORED,
                                &ec, &off, NULL);
    if (!model_re[i])
      return err_set(e, ERR_InternalFailure, "model pattern of %s does not compile",
                     model_shapes[i].name);
  }
  return 0;
}

const model_op_t *model_op(const char *name) {
  for (int i = 0; i < model_nops; i++)
    if (strcmp(model_ops[i].name, name) == 0)
      return &model_ops[i];
  return NULL;
}

typedef enum { MODEL_REQUIRED, MODEL_MIN, MODEL_MAX, MODEL_ENUM, MODEL_PATTERN } model_kind_t;

/* Where AWS names a violation by its own exception rather than
 * ValidationException: the first violation picks the code. */
#define MODEL_K(k) (1u << (k))
#define MODEL_SHAPE_KINDS (MODEL_K(MODEL_MIN) | MODEL_K(MODEL_MAX) | MODEL_K(MODEL_PATTERN))
static const struct {
  const char *shape;
  unsigned kinds;
  err_code_t code;
} model_overrides[] = {
    {"TagList", MODEL_K(MODEL_MAX), ERR_TooManyTagsException},
    {"TagList", MODEL_K(MODEL_MIN), ERR_InvalidTagException},
    {"TagKey", MODEL_SHAPE_KINDS | MODEL_K(MODEL_REQUIRED), ERR_InvalidTagException},
    {"TagValue", MODEL_SHAPE_KINDS, ERR_InvalidTagException},
    {"Arn", MODEL_SHAPE_KINDS, ERR_InvalidArnException},
};

typedef struct {
  err_t *e;
  int serialization; /* a type error stops the walk */
  int nerrors;
  buf_t msgs;
  err_code_t code; /* from the first violation */
} model_walk_t;

static err_code_t model_override(int shape, model_kind_t kind) {
  for (size_t i = 0; i < sizeof model_overrides / sizeof model_overrides[0]; i++)
    if ((model_overrides[i].kinds & MODEL_K(kind)) &&
        strcmp(model_overrides[i].shape, model_shapes[shape].name) == 0)
      return model_overrides[i].code;
  return ERR_ValidationException;
}

static size_t model_utf8_len(const char *s, size_t n) {
  size_t chars = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80)
      chars++;
  return chars;
}

static void model_violation(model_walk_t *w, int shape, model_kind_t kind, const char *path,
                            const json_t *v, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void model_violation(model_walk_t *w, int shape, model_kind_t kind, const char *path,
                            const json_t *v, const char *fmt, ...) {
  char what[400];
  va_list ap;
  if (!w->nerrors)
    w->code = model_override(shape, kind);
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (w->nerrors++)
    buf_puts(&w->msgs, "; ");
  if (!v)
    buf_printf(&w->msgs, "Value null at '%s' failed to satisfy constraint: %s", path, what);
  else if (json_is_string(v))
    buf_printf(&w->msgs, "Value '%.80s' at '%s' failed to satisfy constraint: %s",
               json_string_value(v), path, what);
  else if (json_is_integer(v))
    buf_printf(&w->msgs, "Value '%lld' at '%s' failed to satisfy constraint: %s",
               (long long)json_integer_value(v), path, what);
  else if (json_is_array(v))
    buf_printf(&w->msgs, "Value '[%zu items]' at '%s' failed to satisfy constraint: %s",
               json_array_size(v), path, what);
  else
    buf_printf(&w->msgs, "Value at '%s' failed to satisfy constraint: %s", path, what);
}

static void model_type_error(model_walk_t *w, const char *path, const char *want) {
  if (!w->serialization)
    err_set(w->e, ERR_SerializationException, "Expected %s for '%s'", want, path);
  w->serialization = 1;
}

static void model_check_length(model_walk_t *w, int shape, const char *path, const json_t *v,
                               long long n) {
  const model_shape_t *s = &model_shapes[shape];
  if (s->has_min && n < s->min)
    model_violation(w, shape, MODEL_MIN, path, v,
                    "Member must have length greater than or equal to %lld", s->min);
  if (s->has_max && n > s->max)
    model_violation(w, shape, MODEL_MAX, path, v,
                    "Member must have length less than or equal to %lld", s->max);
}

static void model_walk(model_walk_t *w, json_t *v, int shape, const char *path);

/* A member the shape does not have is dropped, as AWS ignores it: nothing
 * after validation can read it. */
static void model_drop_unknown(json_t *v, const model_shape_t *s) {
  const char *k;
  json_t *mv;
  void *tmp;
  json_object_foreach_safe(v, tmp, k, mv) {
    int i = 0;
    while (i < s->nmembers && strcmp(s->members[i].name, k) != 0)
      i++;
    if (i == s->nmembers)
      json_object_del(v, k);
  }
}

static void model_walk_struct(model_walk_t *w, json_t *v, const model_shape_t *s,
                              const char *path) {
  if (!json_is_object(v)) {
    model_type_error(w, path, "an object");
    return;
  }
  model_drop_unknown(v, s);
  for (int i = 0; i < s->nmembers && !w->serialization; i++) {
    const model_member_t *m = &s->members[i];
    json_t *mv = json_object_get(v, m->name);
    char sub[512];
    /* Coral names members in lowerCamelCase in its messages */
    snprintf(sub, sizeof sub, "%s%s%c%s", path, *path ? "." : "",
             tolower((unsigned char)m->name[0]), m->name + 1);
    if (!mv || json_is_null(mv)) {
      if (m->required)
        model_violation(w, m->shape, MODEL_REQUIRED, sub, NULL, "Member must not be null");
      continue;
    }
    model_walk(w, mv, m->shape, sub);
  }
}

static void model_walk_list(model_walk_t *w, json_t *v, int shape, const char *path) {
  size_t i;
  json_t *el;
  if (!json_is_array(v)) {
    model_type_error(w, path, "a list");
    return;
  }
  model_check_length(w, shape, path, v, (long long)json_array_size(v));
  json_array_foreach(v, i, el) {
    char sub[512];
    if (w->serialization)
      return;
    snprintf(sub, sizeof sub, "%s.%zu.member", path, i + 1);
    model_walk(w, el, model_shapes[shape].member, sub);
  }
}

static void model_walk_enum(model_walk_t *w, const json_t *v, int shape, const char *path) {
  const model_shape_t *s = &model_shapes[shape];
  const char *str = json_string_value(v);
  buf_t set = {0};
  for (const char *const *e = s->enums; *e; e++)
    if (strcmp(*e, str) == 0)
      return;
  for (const char *const *e = s->enums; *e; e++)
    buf_printf(&set, "%s%s", e == s->enums ? "" : ", ", *e);
  model_violation(w, shape, MODEL_ENUM, path, v, "Member must satisfy enum value set: [%s]",
                  set.data ? set.data : "");
  buf_free(&set);
}

static void model_walk_string(model_walk_t *w, const json_t *v, int shape, const char *path) {
  const model_shape_t *s = &model_shapes[shape];
  const char *str;
  size_t n;
  if (!json_is_string(v)) {
    model_type_error(w, path, "a string");
    return;
  }
  str = json_string_value(v);
  n = json_string_length(v);
  model_check_length(w, shape, path, v, (long long)model_utf8_len(str, n));
  if (s->enums)
    model_walk_enum(w, v, shape, path);
  if (s->pattern && model_re && model_re[shape]) {
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(model_re[shape], NULL);
    int rc = md ? pcre2_match(model_re[shape], (PCRE2_SPTR)str, n, 0, 0, md, NULL) : -1;
    pcre2_match_data_free(md);
    if (rc < 0)
      model_violation(w, shape, MODEL_PATTERN, path, v,
                      "Member must satisfy regular expression pattern: %s", s->pattern);
  }
}

static void model_walk_integer(model_walk_t *w, const json_t *v, int shape, const char *path) {
  const model_shape_t *s = &model_shapes[shape];
  long long n;
  if (!json_is_integer(v)) {
    model_type_error(w, path, "an integer");
    return;
  }
  n = (long long)json_integer_value(v);
  if (s->type == MODEL_INTEGER && (n < -2147483648LL || n > 2147483647LL)) {
    model_type_error(w, path, "a 32-bit integer");
    return;
  }
  if (s->has_min && n < s->min)
    model_violation(w, shape, MODEL_MIN, path, v,
                    "Member must have value greater than or equal to %lld", s->min);
  if (s->has_max && n > s->max)
    model_violation(w, shape, MODEL_MAX, path, v,
                    "Member must have value less than or equal to %lld", s->max);
}

static void model_walk_blob(model_walk_t *w, const json_t *v, int shape, const char *path) {
  unsigned char *bytes = NULL;
  size_t n = 0;
  if (!json_is_string(v) ||
      awsjson_base64_decode(json_string_value(v), json_string_length(v), &bytes, &n) < 0) {
    model_type_error(w, path, "a base64-encoded blob");
    return;
  }
  free(bytes);
  model_check_length(w, shape, path, v, (long long)n);
}

static void model_walk(model_walk_t *w, json_t *v, int shape, const char *path) {
  const model_shape_t *s = &model_shapes[shape];
  switch (s->type) {
  case MODEL_STRUCT:
    model_walk_struct(w, v, s, path);
    return;
  case MODEL_LIST:
    model_walk_list(w, v, shape, path);
    return;
  case MODEL_STRING:
    model_walk_string(w, v, shape, path);
    return;
  case MODEL_INTEGER:
  case MODEL_LONG:
    model_walk_integer(w, v, shape, path);
    return;
  case MODEL_BOOLEAN:
    if (!json_is_boolean(v))
      model_type_error(w, path, "a boolean");
    return;
  case MODEL_BLOB:
    model_walk_blob(w, v, shape, path);
    return;
  case MODEL_TIMESTAMP:
    if (!json_is_number(v))
      model_type_error(w, path, "a timestamp in epoch seconds");
    return;
  case MODEL_MAP:
    if (!json_is_object(v))
      model_type_error(w, path, "a map");
    return;
  }
}

int model_validate(json_t *v, int shape, err_t *e) {
  model_walk_t w = {e, 0, 0, {0}, ERR_ValidationException};
  int rc = 0;
  model_walk(&w, v, shape, "");
  if (w.serialization) {
    rc = -1;
  } else if (w.nerrors) {
    err_set(e, w.code, "%d validation error%s detected: %s", w.nerrors,
            w.nerrors == 1 ? "" : "s", w.msgs.data);
    rc = -1;
  }
  buf_free(&w.msgs);
  return rc;
}
