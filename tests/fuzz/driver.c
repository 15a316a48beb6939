/* Runs a fuzz target over files without libFuzzer (gcc, any build): each
 * argument is a file or a folder of files (the seeds in corpus/<target>/
 * and the crashes kept in regress/<target>/), so every input that once
 * broke a target stays a regression test in ctest. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int driver_file(const char *path) {
  FILE *f = fopen(path, "rb");
  long n;
  uint8_t *buf;
  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "cannot read %s\n", path);
    if (f)
      fclose(f);
    return -1;
  }
  buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %s\n", path);
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

static int driver_path(const char *path, int *count) {
  struct stat st;
  DIR *d;
  struct dirent *de;
  int rc = 0;
  if (stat(path, &st) < 0)
    return 0; /* a folder not made yet (no regressions so far) */
  if (!S_ISDIR(st.st_mode)) {
    ++*count;
    return driver_file(path);
  }
  if (!(d = opendir(path)))
    return -1;
  while ((de = readdir(d)) != NULL) {
    char sub[4096];
    if (de->d_name[0] == '.')
      continue;
    snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
    if (driver_path(sub, count) < 0)
      rc = -1;
  }
  closedir(d);
  return rc;
}

int main(int argc, char **argv) {
  int count = 0, rc = 0;
  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++)
    if (driver_path(argv[i], &count) < 0)
      rc = 1;
  printf("%d inputs run\n", count);
  return rc || count == 0;
}
