/* The audit checkpoint document (core/checkpoint.c): written, read back,
 * its signature checked, and refused when it is anything else; the marks
 * `pcad audit verify` holds the chains against. Signed here with a
 * software key in place of the token's audit key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checkpoint.h"
#include "core/sigalg.h"

static const store_chain_head_t heads[] = {
    {"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/b", 7, {1, 2, 3}},
    {"pcad", 12, {0xff}},
    {"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/a", 3, {9}},
};

/* The document whole, signed with key (naming key's own SHA-256). */
static char *signed_doc(EVP_PKEY *key, const store_chain_head_t *h, int n, size_t *len) {
  char hex[65], *body, *doc;
  unsigned char *sig = NULL;
  size_t blen = 0, siglen = 0;
  err_t e;
  assert_int_equal(checkpoint_key_sha256(key, hex), 0);
  body = checkpoint_body(h, n, 1796641191, "host-1", hex, &blen);
  assert_non_null(body);
  assert_int_equal(sigalg_sign_data((unsigned char *)body, blen, key, "SHA256WITHECDSA", &sig,
                                    &siglen, &e), 0);
  doc = malloc(blen + 200);
  memcpy(doc, body, blen);
  strcpy(doc + blen, "signature ");
  EVP_EncodeBlock((unsigned char *)doc + blen + 10, sig, (int)siglen);
  strcat(doc, "\n");
  *len = strlen(doc);
  free(body);
  free(sig);
  return doc;
}

static EVP_PKEY *p256(void) { return EVP_EC_gen("P-256"); }

static void test_round_trip(void **state) {
  EVP_PKEY *key = p256();
  size_t len;
  char *doc = signed_doc(key, heads, 3, &len), hex[65];
  checkpoint_t cp;
  err_t e;
  (void)state;
  assert_non_null(strstr(doc, "pcad audit checkpoint 1\nwritten 1796641191 2026-12-07T10:59:51Z\n"
                              "by host-1\nkey "));
  assert_non_null(strstr(doc, "\nchain 12 ff000000"));
  assert_int_equal(checkpoint_parse(doc, len, &cp, &e), 0);
  assert_int_equal(cp.n, 3);
  assert_int_equal(cp.written, 1796641191);
  assert_int_equal(checkpoint_key_sha256(key, hex), 0);
  assert_string_equal(cp.key_sha256, hex);
  assert_string_equal(cp.heads[1].chain, "pcad");
  assert_int_equal(cp.heads[1].seq, 12);
  assert_memory_equal(cp.heads[0].hash, heads[0].hash, 32);
  assert_true(sigalg_verify_data((unsigned char *)doc, cp.body_len, cp.sig, cp.siglen, key,
                                 "SHA256WITHECDSA"));
  doc[cp.body_len - 2] ^= 1; /* the last chain's name */
  assert_false(sigalg_verify_data((unsigned char *)doc, cp.body_len, cp.sig, cp.siglen, key,
                                  "SHA256WITHECDSA"));
  checkpoint_clear(&cp);
  free(doc);
  EVP_PKEY_free(key);
}

static void test_chain_names_are_one_word(void **state) {
  store_chain_head_t bad[] = {{"a b", 1, {0}}, {"a\nchain 1 00 x", 1, {0}}, {"a\tb", 1, {0}}};
  char key[65];
  size_t len;
  (void)state;
  memset(key, '0', 64);
  key[64] = '\0';
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_null(checkpoint_body(&bad[i], 1, 1, "h", key, &len));
}

static void test_refused(void **state) {
  static const char *const docs[] = {
      "",
      "pcad audit checkpoint 2\nwritten 1 x\nby h\nkey " /* another version */
      "0000000000000000000000000000000000000000000000000000000000000000\nsignature AAAA\n",
      "pcad audit checkpoint 1\nwritten 1 x\nby h\n" /* no key */ "signature AAAA\n",
      "pcad audit checkpoint 1\nwritten 1 x\nby h\nkey "
      "0000000000000000000000000000000000000000000000000000000000000000\n" /* no signature */,
      "pcad audit checkpoint 1\nwritten 1 x\nby h\nkey "
      "0000000000000000000000000000000000000000000000000000000000000000\nsignature AAAA\nmore\n",
      "pcad audit checkpoint 1\nwritten 1 x\nby h\nkey "
      "0000000000000000000000000000000000000000000000000000000000000000\n"
      "chain 0 0000000000000000000000000000000000000000000000000000000000000000 c\n" /* seq 0 */
      "signature AAAA\n",
      "pcad audit checkpoint 1\nwritten 1 x\nby h\nkey "
      "0000000000000000000000000000000000000000000000000000000000000000\n"
      "chain 1 00 c\n" /* a short hash */ "signature AAAA\n",
      "pcad audit checkpoint 1\nwritten 1 x\nby h\nkey "
      "0000000000000000000000000000000000000000000000000000000000000000\n"
      "chain 1 0000000000000000000000000000000000000000000000000000000000000000 c d\n"
      "signature AAAA\n",
      "pcad audit checkpoint 1\nwritten 1 x\nby h\nkey "
      "0000000000000000000000000000000000000000000000000000000000000000\nsignature AAA\n",
      "pcad audit checkpoint 1\nwritten 1 x\nby h\nkey "
      "0000000000000000000000000000000000000000000000000000000000000000\nunknown line\n"
      "signature AAAA\n",
  };
  checkpoint_t cp;
  err_t e;
  (void)state;
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    assert_int_equal(checkpoint_parse(docs[i], strlen(docs[i]), &cp, &e), -1);
  }
  /* a NUL inside is not a document either */
  assert_int_equal(checkpoint_parse("pcad audit checkpoint 1\n\0", 25, &cp, &e), -1);
}

static void put(const char *dir, const char *name, const char *doc, size_t len) {
  char path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(doc, 1, len, f), len);
  fclose(f);
}

/* A directory of checkpoints, as `pcad audit verify` reads it. */
static void test_load(void **state) {
  char dir[] = "/tmp/pcad-test-checkpoint-XXXXXX", why[512], *doc, *other_doc;
  EVP_PKEY *key = p256(), *other = p256();
  checkpoint_t *cps;
  store_chain_mark_t *marks;
  size_t len, olen;
  int n, nm;
  err_t e;
  (void)state;
  assert_non_null(mkdtemp(dir));
  doc = signed_doc(key, heads, 3, &len);
  put(dir, "20261207T000000Z-h-1-0.txt", doc, len);
  put(dir, "20261207T000001Z-h-1-1.txt", doc, len);
  put(dir, "notes.md", "not a checkpoint", 16); /* only *.txt are */
  assert_int_equal(checkpoint_load(dir, key, &cps, &n, &marks, &nm, why, sizeof why, &e), 0);
  assert_int_equal(n, 2);
  assert_int_equal(nm, 6);
  assert_string_equal(cps[1].name, "20261207T000001Z-h-1-1.txt");
  /* sorted by chain, then seq: .../a, .../a, .../b, .../b, pcad, pcad */
  assert_int_equal(marks[0].at.seq, 3);
  assert_int_equal(marks[2].at.seq, 7);
  assert_string_equal(marks[5].at.chain, "pcad");
  assert_non_null(marks[5].from);
  free(marks);
  checkpoint_free(cps, n);
  /* one of another key */
  other_doc = signed_doc(other, heads, 1, &olen);
  put(dir, "20261207T000002Z-h-1-2.txt", other_doc, olen);
  assert_int_equal(checkpoint_load(dir, key, &cps, &n, &marks, &nm, why, sizeof why, &e), 1);
  assert_non_null(strstr(why, "20261207T000002Z-h-1-2.txt names key"));
  checkpoint_free(cps, n);
  free(marks);
  /* one changed after it was signed */
  doc[strstr(doc, "chain 12 ff") - doc + 9] = 'e';
  put(dir, "20261207T000002Z-h-1-2.txt", doc, len);
  assert_int_equal(checkpoint_load(dir, key, &cps, &n, &marks, &nm, why, sizeof why, &e), 1);
  assert_non_null(strstr(why, "its signature does not verify"));
  checkpoint_free(cps, n);
  free(marks);
  /* none yet: no directory */
  assert_int_equal(checkpoint_load("/nonexistent/pcad", key, &cps, &n, &marks, &nm, why,
                                   sizeof why, &e), 0);
  assert_int_equal(n, 0);
  checkpoint_free(cps, n);
  free(marks);
  for (const char *const *f = (const char *const[]){"20261207T000000Z-h-1-0.txt",
           "20261207T000001Z-h-1-1.txt", "20261207T000002Z-h-1-2.txt", "notes.md", NULL};
       *f; f++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, *f);
    unlink(path);
  }
  rmdir(dir);
  free(doc);
  free(other_doc);
  EVP_PKEY_free(key);
  EVP_PKEY_free(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_chain_names_are_one_word),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_load),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
