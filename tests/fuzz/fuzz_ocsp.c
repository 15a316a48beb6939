/* The OCSP responder's request side: the GET form's decoding
 * (net/publish.c) and the request parsing, issuer matching and serial
 * reading of core/ocsp.c. The first byte picks how the rest is read: a
 * DER OCSPRequest, or the URL-encoded base64 path of a GET. One CA is
 * known (a fixed certificate, so that the seeds name it); there is
 * no database, so a request for that CA is answered tryLater and any other
 * unauthorized or malformedRequest: always an OCSPResponse that parses,
 * never SUCCESSFUL. */
#include <openssl/bio.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/ocsp.h"
#include "fuzz.h"
#include "net/publish.h"
#include "store/store_ca.h"

/* The one CA it answers for (openssl req -x509 -subj "/CN=fuzz OCSP CA");
 * the seeds are `openssl ocsp -issuer` requests naming it. */
static const char fuzz_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBgjCCASmgAwIBAgIUEt7uOpRHrnrrN54USNByl0LTkWgwCgYIKoZIzj0EAwIw\n"
    "FzEVMBMGA1UEAwwMZnV6eiBPQ1NQIENBMB4XDTI2MTIwMTIwNTEyMloXDTQ2MTEy\n"
    "NjIwNTEyMlowFzEVMBMGA1UEAwwMZnV6eiBPQ1NQIENBMFkwEwYHKoZIzj0CAQYI\n"
    "KoZIzj0DAQcDQgAEHwMDGDhQStk84PKCJqolAH1CVF3zc9ydfdD9hQUFXN5UXHW0\n"
    "jUX/FGtun8vZNM8t+uVMGPPYtjtknH0WVsD1x6NTMFEwHQYDVR0OBBYEFNcYvP8b\n"
    "vuyxRZeqYVSKRMOheZJnMB8GA1UdIwQYMBaAFNcYvP8bvuyxRZeqYVSKRMOheZJn\n"
    "MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgEaMjGie11Mk8Quqp\n"
    "C0q/0sQBM83tvJgTrf1N5g4Yzc0CID/nnGjdemCx6AmNiJPqvbNNwHCDcwCE7Yq2\n"
    "zHFMt++2\n"
    "-----END CERTIFICATE-----\n";

static ocsp_t *fuzz_ocsp;
static ctx_t fuzz_ctx;

/* The status of the response to der: it always parses, never SUCCESSFUL. */
static int fuzz_status(const unsigned char *der, size_t len) {
  unsigned char *out = NULL;
  const unsigned char *q;
  OCSP_RESPONSE *resp;
  int out_len = 0, st;
  FUZZ_ASSERT(ocsp_respond(fuzz_ocsp, &fuzz_ctx, der, len, &out, &out_len) == 0);
  q = out;
  resp = d2i_OCSP_RESPONSE(NULL, &q, out_len);
  FUZZ_ASSERT(resp && q == out + out_len);
  st = OCSP_response_status(resp);
  FUZZ_ASSERT(st == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST ||
              st == OCSP_RESPONSE_STATUS_UNAUTHORIZED || st == OCSP_RESPONSE_STATUS_TRYLATER);
  OCSP_RESPONSE_free(resp);
  OPENSSL_free(out);
  return st;
}

/* A request for serial 7 of issuer (the CA's own certificate stands for
 * its issuer's name and key): its status. */
static int fuzz_status_for(X509 *issuer) {
  OCSP_REQUEST *req = OCSP_REQUEST_new();
  ASN1_INTEGER *serial = ASN1_INTEGER_new();
  OCSP_CERTID *id;
  unsigned char *der = NULL;
  int len, st;
  FUZZ_ASSERT(req && serial && ASN1_INTEGER_set(serial, 7));
  id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer),
                        serial);
  FUZZ_ASSERT(id && OCSP_request_add0_id(req, id));
  len = i2d_OCSP_REQUEST(req, &der);
  FUZZ_ASSERT(len > 0);
  st = fuzz_status(der, (size_t)len);
  OPENSSL_free(der);
  ASN1_INTEGER_free(serial);
  OCSP_REQUEST_free(req);
  return st;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  static cfg_t cfg;
  static char id[] = "00000000-0000-4000-8000-000000000001",
              arn[] = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/"
                      "00000000-0000-4000-8000-000000000001",
              conf[] = "{\"KeyAlgorithm\":\"EC_prime256v1\","
                       "\"SigningAlgorithm\":\"SHA256WITHECDSA\"}";
  BIO *b = BIO_new_mem_buf(fuzz_ca_pem, -1);
  X509 *ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
  store_ca_t row;
  (void)argc;
  (void)argv;
  FUZZ_ASSERT(ca);
  log_set_level(LOG_LVL_ERR);
  memset(&row, 0, sizeof row);
  row.id = id;
  row.arn = arn;
  row.ca_config = conf;
  row.cert_len = (size_t)i2d_X509(ca, &row.cert_der);
  cfg.db_conninfo = "host=/nonexistent/pcad-fuzz dbname=none";
  cfg.db_connect_timeout = 1;
  cfg.db_statement_timeout_ms = 100;
  fuzz_ctx = (ctx_t){.log = {.rid = "fuzz"}, .region = "us-east-1", .partition = "aws",
                     .store = store_new(&cfg)};
  fuzz_ocsp = ocsp_new(16, 60);
  FUZZ_ASSERT(fuzz_ctx.store && fuzz_ocsp && ocsp_install(fuzz_ocsp, &fuzz_ctx, &row, 1) == 0);
  OPENSSL_free(row.cert_der);
  /* the CA is recognized (the database is asked, and is away); another
   * name is not pcad's */
  FUZZ_ASSERT(fuzz_status_for(ca) == OCSP_RESPONSE_STATUS_TRYLATER);
  FUZZ_ASSERT(X509_NAME_add_entry_by_txt(X509_get_subject_name(ca), "O", MBSTRING_ASC,
                                         (const unsigned char *)"other", -1, -1, 0));
  FUZZ_ASSERT(fuzz_status_for(ca) == OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  X509_free(ca);
  BIO_free(b);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned char *der;
  size_t len = size ? size - 1 : 0;
  if (size < 1)
    return 0;
  if (data[0] & 1) {
    char *path = fuzz_string(data + 1, size - 1);
    der = publish_ocsp_der(path, &len);
    free(path);
    if (!der)
      return 0;
  } else {
    der = malloc(len ? len : 1);
    FUZZ_ASSERT(der);
    memcpy(der, data + 1, len);
  }
  fuzz_status(der, len);
  free(der);
  return 0;
}
