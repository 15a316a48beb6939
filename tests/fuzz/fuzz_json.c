/* A request body through the AWS JSON decoder (duplicate keys, depth,
 * blobs) and the model validation of one operation's input (the first
 * byte picks the operation). */
#include <jansson.h>

#include "api/awsjson.h"
#include "api/model.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  err_t e;
  (void)argc;
  (void)argv;
  FUZZ_ASSERT(model_init(&e) == 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const model_op_t *op;
  json_t *in = NULL;
  err_t e;
  if (size < 1)
    return 0;
  op = &model_ops[data[0] % model_nops];
  if (awsjson_decode_body((const char *)data + 1, size - 1, &in, &e) == 0) {
    FUZZ_ASSERT(in);
    if (op->input >= 0 && model_validate(in, op->input, &e) < 0)
      FUZZ_ASSERT(e.code != ERR_OK && e.msg[0]);
    json_decref(in);
  } else {
    FUZZ_ASSERT(e.code == ERR_SerializationException);
  }
  return 0;
}
