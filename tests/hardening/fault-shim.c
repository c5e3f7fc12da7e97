/* LD_PRELOAD shim that makes file writes fail the way disks and crashes
 * do, for tests of vschan's atomic writes (-o, qm --write).  Root ignores
 * permissions, so this is how a test gets EACCES.  Only regular files are
 * touched: the test's pipes (stdout, stderr) keep working.
 *
 * VSCHAN_SHIM is a comma-separated list of:
 *   enospc-after=N     regular-file writes fail with ENOSPC once N bytes were written
 *   short=N            a regular-file write() writes at most N bytes
 *   eintr              every regular-file write() fails once with EINTR first
 *   fsync=eio          fsync() fails with EIO
 *   rename=eacces      rename() fails with EACCES (also: exdev)
 *   tmp=eacces         mkostemp() and open(O_CREAT|O_EXCL) fail with EACCES
 *   kill-before-rename the process gets SIGKILL when it calls rename()
 *   kill-after=N       SIGKILL once N bytes were written to regular files
 *   raise=SIG@N        signal SIG (a number) once N bytes were written to
 *                      regular files, then go on: the program's handler runs
 *
 * With VSCHAN_SHIM_LOG=PATH the shim writes to PATH, at exit, how many
 * writes it cut short or failed with EINTR: a test of a mode the program
 * survives proves so that the shim was there at all. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long enospc_after = -1, short_len = -1, kill_after = -1, raise_after = -1;
static int raise_sig;
static int fsync_errno, rename_errno, tmp_errno;
static bool eintr, kill_before_rename;
static long written;
static bool eintr_pending = true;
static long injected; /* short writes and EINTRs */

static int errno_named(const char *name)
{
  if (strcmp(name, "eacces") == 0)
    return EACCES;
  if (strcmp(name, "eio") == 0)
    return EIO;
  if (strcmp(name, "exdev") == 0)
    return EXDEV;
  if (strcmp(name, "enospc") == 0)
    return ENOSPC;
  return EIO;
}

__attribute__((constructor)) static void shim_init(void)
{
  const char *env = getenv("VSCHAN_SHIM");
  char *copy, *tok, *save = NULL;
  if (!env)
    return;
  copy = strdup(env);
  for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    const char *val = eq ? eq + 1 : "";
    if (eq)
      *eq = '\0';
    if (strcmp(tok, "enospc-after") == 0)
      enospc_after = atol(val);
    else if (strcmp(tok, "short") == 0)
      short_len = atol(val);
    else if (strcmp(tok, "eintr") == 0)
      eintr = true;
    else if (strcmp(tok, "fsync") == 0)
      fsync_errno = errno_named(val);
    else if (strcmp(tok, "rename") == 0)
      rename_errno = errno_named(val);
    else if (strcmp(tok, "tmp") == 0)
      tmp_errno = errno_named(val);
    else if (strcmp(tok, "kill-before-rename") == 0)
      kill_before_rename = true;
    else if (strcmp(tok, "kill-after") == 0)
      kill_after = atol(val);
    else if (strcmp(tok, "raise") == 0 && strchr(val, '@')) {
      raise_sig = atoi(val);
      raise_after = atol(strchr(val, '@') + 1);
    }
    else {
      fprintf(stderr, "fault-shim: unknown directive '%s'\n", tok);
      _exit(125);
    }
  }
  free(copy);
}

__attribute__((destructor)) static void shim_report(void)
{
  const char *path = getenv("VSCHAN_SHIM_LOG");
  if (!path)
    return;
  /* The real calls: the shim's own write must not be faulted. */
  int (*real_open)(const char *, int, ...) =
    (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
  ssize_t (*real_write)(int, const void *, size_t) =
    (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  int fd = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  char line[64];
  int len = snprintf(line, sizeof(line), "injected %ld\n", injected);
  if (real_write(fd, line, (size_t)len) != len)
    _exit(125);
  close(fd);
}

static bool regular(int fd)
{
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

ssize_t write(int fd, const void *buf, size_t n)
{
  static ssize_t (*real)(int, const void *, size_t);
  if (!real)
    real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (n == 0 || !regular(fd))
    return real(fd, buf, n);
  if (eintr && eintr_pending) {
    eintr_pending = false;
    injected++;
    errno = EINTR;
    return -1;
  }
  eintr_pending = true;
  if (enospc_after >= 0) {
    if (written >= enospc_after) {
      errno = ENOSPC;
      return -1;
    }
    if ((long)n > enospc_after - written)
      n = (size_t)(enospc_after - written);   /* a short write, then ENOSPC */
  }
  if (short_len > 0 && (long)n > short_len) {
    n = (size_t)short_len;
    injected++;
  }
  if (kill_after >= 0 && written + (long)n >= kill_after) {
    n = (size_t)(kill_after - written);
    if (n > 0)
      real(fd, buf, n);
    raise(SIGKILL);
  }
  if (raise_after >= 0 && written + (long)n >= raise_after) {
    long first = raise_after - written;
    raise_after = -1;
    if (first > 0) {
      ssize_t w = real(fd, buf, (size_t)first);
      if (w > 0)
        written += w;
      raise(raise_sig);
      return w;
    }
    raise(raise_sig);
  }
  ssize_t w = real(fd, buf, n);
  if (w > 0)
    written += w;
  return w;
}

int fsync(int fd)
{
  static int (*real)(int);
  if (!real)
    real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  if (fsync_errno && regular(fd)) {
    errno = fsync_errno;
    return -1;
  }
  return real(fd);
}

int rename(const char *from, const char *to)
{
  static int (*real)(const char *, const char *);
  if (!real)
    real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  if (kill_before_rename)
    raise(SIGKILL);
  if (rename_errno) {
    errno = rename_errno;
    return -1;
  }
  return real(from, to);
}

int mkostemp(char *template, int flags)
{
  static int (*real)(char *, int);
  if (!real)
    real = (int (*)(char *, int))dlsym(RTLD_NEXT, "mkostemp");
  if (tmp_errno) {
    errno = tmp_errno;
    return -1;
  }
  return real(template, flags);
}

int open(const char *path, int flags, ...)
{
  static int (*real)(const char *, int, ...);
  mode_t mode = 0;
  if (!real)
    real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (tmp_errno && (flags & O_CREAT) && (flags & O_EXCL)) {
    errno = tmp_errno;
    return -1;
  }
  return real(path, flags, mode);
}
