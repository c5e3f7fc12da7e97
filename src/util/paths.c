#include "paths.h"
#include "mem.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *p)
{
  struct stat st;
  return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *vsc_data_dir(void)
{
  static char *cached;
  char exe[PATH_MAX];
  ssize_t n;

  if (cached)
    return cached;
  const char *env = getenv("VSCHAN_DATADIR");
  if (env && *env) {
    cached = vsc_strdup(env);
    return cached;
  }
  /* A relocated install: BIN/../share/vschan. */
  n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      char *candidate = vsc_asprintf("%s/../share/vschan", exe);
      if (is_dir(candidate)) {
        cached = candidate;
        return cached;
      }
      free(candidate);
    }
  }
  if (is_dir(VSCHAN_DATADIR)) {
    cached = vsc_strdup(VSCHAN_DATADIR);
    return cached;
  }
  /* Run from the build tree: the data is the source tree's. */
  if (is_dir(VSCHAN_SOURCE_DIR "/templates")) {
    cached = vsc_strdup(VSCHAN_SOURCE_DIR);
    return cached;
  }
  return NULL;
}

char *vsc_data_path(const char *sub)
{
  const char *dir = vsc_data_dir();
  return dir ? vsc_asprintf("%s/%s", dir, sub) : NULL;
}

const char *vsc_version(void)
{
  return VSCHAN_VERSION;
}
