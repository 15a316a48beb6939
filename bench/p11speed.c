/* pcad-p11speed: the token's raw signing rate, straight through PKCS#11,
 * as the yardstick for pcad's IssueCertificate rate (bench/run).
 *
 * usage: pcad-p11speed --module SO --label TOKEN --pin-file F
 *          --key EC_prime256v1|RSA_2048 [--threads N] [--seconds S]
 * Generates a session key pair of that type (gone when the tool exits),
 * then N threads, each with a session of its own, sign for S seconds what
 * pcad's engine signs per certificate: C_SignInit + C_Sign of a SHA-256
 * digest (CKM_ECDSA) or of its DigestInfo (CKM_RSA_PKCS). Prints the
 * signatures per second. */
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PS_MAX_THREADS 64

typedef struct {
  CK_FUNCTION_LIST_PTR f;
  CK_SLOT_ID slot;
  CK_OBJECT_HANDLE key;
  CK_MECHANISM_TYPE mech;
  int rsa;
  double seconds;
} ps_t;

typedef struct {
  ps_t *p;
  long signs;
  CK_RV rv;
} ps_thread_t;

static double ps_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SHA-256 DigestInfo prefix (RFC 8017 9.2) and a digest's worth of bytes */
static const unsigned char ps_digest_info[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                 0x01, 0x05, 0x00, 0x04, 0x20};

static void *ps_signer(void *arg) {
  ps_thread_t *t = arg;
  ps_t *p = t->p;
  CK_SESSION_HANDLE s;
  CK_MECHANISM m = {p->mech, NULL, 0};
  unsigned char data[51], sig[512];
  size_t off = p->rsa ? sizeof ps_digest_info : 0;
  double end;
  memcpy(data, ps_digest_info, sizeof ps_digest_info);
  memset(data + off, 0x5a, 32);
  if ((t->rv = p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &s)) != CKR_OK)
    return NULL;
  end = ps_now() + p->seconds;
  while (ps_now() < end) {
    CK_ULONG len = sizeof sig;
    if ((t->rv = p->f->C_SignInit(s, &m, p->key)) != CKR_OK ||
        (t->rv = p->f->C_Sign(s, data, (CK_ULONG)(off + 32), sig, &len)) != CKR_OK)
      break;
    t->signs++;
  }
  p->f->C_CloseSession(s);
  return NULL;
}

/* The slot of the token labelled label (blank-padded to 32). */
static int ps_slot(CK_FUNCTION_LIST_PTR f, const char *label, CK_SLOT_ID *out) {
  CK_SLOT_ID slots[64];
  CK_ULONG n = 64;
  char want[32];
  memset(want, ' ', sizeof want);
  memcpy(want, label, strlen(label) < 32 ? strlen(label) : 32);
  if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
    return -1;
  for (CK_ULONG i = 0; i < n; i++) {
    CK_TOKEN_INFO ti;
    if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && memcmp(ti.label, want, 32) == 0) {
      *out = slots[i];
      return 0;
    }
  }
  return -1;
}

/* A session key pair (CKA_TOKEN false) of the CA key's type. */
static CK_RV ps_keygen(ps_t *p, CK_SESSION_HANDLE s) {
  static const unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
                                       0x07};
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ULONG bits = 2048;
  unsigned char e65537[] = {1, 0, 1};
  CK_ATTRIBUTE ec_pub[] = {{CKA_TOKEN, &no, sizeof no},
                           {CKA_EC_PARAMS, (void *)p256, sizeof p256},
                           {CKA_VERIFY, &yes, sizeof yes}};
  CK_ATTRIBUTE rsa_pub[] = {{CKA_TOKEN, &no, sizeof no},
                            {CKA_MODULUS_BITS, &bits, sizeof bits},
                            {CKA_PUBLIC_EXPONENT, e65537, sizeof e65537},
                            {CKA_VERIFY, &yes, sizeof yes}};
  CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &no, sizeof no},
                         {CKA_PRIVATE, &yes, sizeof yes},
                         {CKA_SENSITIVE, &yes, sizeof yes},
                         {CKA_SIGN, &yes, sizeof yes}};
  CK_MECHANISM gen = {p->rsa ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0};
  CK_OBJECT_HANDLE pub;
  return p->f->C_GenerateKeyPair(s, &gen, p->rsa ? rsa_pub : ec_pub, p->rsa ? 4 : 3, priv, 4,
                                 &pub, &p->key);
}

static int ps_usage(void) {
  fprintf(stderr, "usage: pcad-p11speed --module SO --label TOKEN --pin-file F"
                  " --key EC_prime256v1|RSA_2048 [--threads N] [--seconds S]\n");
  return 2;
}

static int ps_args(int argc, char **argv, const char *v[4], int *threads, double *seconds) {
  static const char *names[4] = {"--module", "--label", "--pin-file", "--key"};
  for (int i = 1; i + 1 < argc; i += 2) {
    int k;
    for (k = 0; k < 4 && strcmp(argv[i], names[k]) != 0; k++)
      ;
    if (k < 4)
      v[k] = argv[i + 1];
    else if (strcmp(argv[i], "--threads") == 0)
      *threads = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0)
      *seconds = atof(argv[i + 1]);
    else
      return -1;
  }
  return v[0] && v[1] && v[2] && v[3] && *threads >= 1 && *threads <= PS_MAX_THREADS &&
                 *seconds > 0
             ? 0
             : -1;
}

int main(int argc, char **argv) {
  const char *v[4] = {0};
  int threads = 1, rc = 1;
  ps_t p = {.seconds = 5};
  ps_thread_t t[PS_MAX_THREADS];
  pthread_t th[PS_MAX_THREADS];
  CK_C_GetFunctionList get;
  CK_C_INITIALIZE_ARGS init = {.flags = CKF_OS_LOCKING_OK};
  CK_SESSION_HANDLE s;
  char pin[256] = "";
  FILE *pf;
  void *lib;
  double t0, took;
  long total = 0;
  if (ps_args(argc, argv, v, &threads, &p.seconds) < 0)
    return ps_usage();
  p.rsa = strcmp(v[3], "RSA_2048") == 0;
  if (!p.rsa && strcmp(v[3], "EC_prime256v1") != 0)
    return ps_usage();
  p.mech = p.rsa ? CKM_RSA_PKCS : CKM_ECDSA;
  if ((pf = fopen(v[2], "r"))) {
    if (!fgets(pin, sizeof pin, pf))
      pin[0] = '\0';
    fclose(pf);
  }
  pin[strcspn(pin, "\r\n")] = '\0';
  if (!(lib = dlopen(v[0], RTLD_NOW)) ||
      !(get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList")) || get(&p.f) != CKR_OK ||
      p.f->C_Initialize(&init) != CKR_OK || ps_slot(p.f, v[1], &p.slot) < 0 ||
      p.f->C_OpenSession(p.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s) != CKR_OK ||
      p.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK ||
      ps_keygen(&p, s) != CKR_OK) {
    fprintf(stderr, "pcad-p11speed: cannot open the token %s in %s with a key\n", v[1], v[0]);
    goto out;
  }
  t0 = ps_now();
  for (int i = 0; i < threads; i++) {
    t[i] = (ps_thread_t){&p, 0, CKR_OK};
    pthread_create(&th[i], NULL, ps_signer, &t[i]);
  }
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    total += t[i].signs;
    if (t[i].rv != CKR_OK)
      fprintf(stderr, "pcad-p11speed: thread %d stopped: CK_RV 0x%lx\n", i, t[i].rv);
  }
  took = ps_now() - t0;
  printf("%s: %ld signatures in %.2f s with %d threads: %.1f/s\n", v[3], total, took, threads,
         (double)total / took);
  rc = 0;
out:
  memset(pin, 0, sizeof pin);
  if (p.f)
    p.f->C_Finalize(NULL);
  return rc;
}
