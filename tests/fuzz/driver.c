/* Replays fuzz inputs without libFuzzer: every argument is a file or a
 * directory of files, each given once to LLVMFuzzerTestOneInput;
 * "--lines FILE" gives each line of FILE that is not blank or a "#"
 * comment as one input (without its newline).  A broken
 * invariant aborts; under ASan a leak fails at exit.  Exit 0 when every
 * input ran, 2 when an input cannot be read. */
#include "fuzz.h"
#include "util/file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
  vsc_diags diags = { 0 };
  size_t len;
  char *data = vsc_file_read(path, 0, &len, &diags);
  if (!data) {
    vsc_diags_print(&diags, stderr, false);
    vsc_diags_clear(&diags);
    return -1;
  }
  /* An exact-size copy, so ASan sees reads past the end as libFuzzer does. */
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy)
    abort();
  memcpy(copy, data, len);
  free(data);
  LLVMFuzzerTestOneInput(copy, len);
  free(copy);
  return 0;
}

static int run_lines(const char *path, size_t *count)
{
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  if (!f) {
    perror(path);
    return -1;
  }
  while ((len = getline(&line, &cap, f)) >= 0) {
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = '\0';
    if (len == 0 || line[0] == '#')
      continue;
    uint8_t *copy = malloc((size_t)len + 1);
    if (!copy)
      abort();
    memcpy(copy, line, (size_t)len);
    LLVMFuzzerTestOneInput(copy, (size_t)len);
    free(copy);
    (*count)++;
  }
  free(line);
  fclose(f);
  return 0;
}

static int compare_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *path, size_t *count)
{
  DIR *d = opendir(path);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0;
  int rc = 0;
  if (!d) {
    perror(path);
    return -1;
  }
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      *(char **)vsc_append(&names, &n, sizeof(char *)) = vsc_asprintf("%s/%s", path, e->d_name);
  closedir(d);
  if (n > 1)
    qsort(names, n, sizeof(char *), compare_names);   /* the same order every run */
  for (size_t i = 0; i < n; i++) {
    if (run_file(names[i]) < 0)
      rc = -1;
    else
      (*count)++;
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv)
{
  size_t count = 0;
  int rc = 0;
  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc) {
      if (run_lines(argv[++i], &count) < 0)
        rc = 2;
    } else if (stat(argv[i], &st) < 0) {
      perror(argv[i]);
      rc = 2;
    } else if (S_ISDIR(st.st_mode)) {
      if (run_dir(argv[i], &count) < 0)
        rc = 2;
    } else if (run_file(argv[i]) < 0) {
      rc = 2;
    } else {
      count++;
    }
  }
  printf("%zu inputs replayed\n", count);
  if (count == 0 && rc == 0) {
    fprintf(stderr, "no input to replay: the corpus is missing or empty\n");
    rc = 1;
  }
  return rc;
}
