#define _GNU_SOURCE
#include "file.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *vsc_file_read(const char *path, size_t max_size, size_t *len, vsc_diags *diags)
{
  vsc_loc loc = { .file = path };
  int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
  size_t cap = 8192, n = 0;
  char *buf;

  if (fd < 0) {
    vsc_error_io(diags, &loc, NULL, errno == ENOENT ? "check the path" : NULL,
                 "cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  buf = vsc_malloc(cap);
  for (;;) {
    if (n + 1 >= cap)
      buf = vsc_realloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      vsc_error_io(diags, &loc, NULL, NULL, "cannot read '%s': %s", path, strerror(errno));
      goto fail;
    }
    if (r == 0)
      break;
    n += (size_t)r;
    if (max_size && n > max_size) {
      vsc_error_io(diags, &loc, NULL, "check that this is the file you meant",
                   "'%s' is larger than %zu bytes, the most vschan reads of such a file", path,
                   max_size);
      goto fail;
    }
  }
  if (fd != STDIN_FILENO)
    close(fd);
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;

fail:
  if (fd != STDIN_FILENO)
    close(fd);
  free(buf);
  return NULL;
}

int vsc_write_all(int fd, const void *buf, size_t len)
{
  const char *data = buf;
  while (len > 0) {
    ssize_t w = write(fd, data, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    if (w == 0) {
      errno = EIO;
      return -1;
    }
    data += w;
    len -= (size_t)w;
  }
  return 0;
}

/* Temporary files that a signal must not leave behind: set before the
 * file exists, cleared after its rename or unlink, read by the handler. */
static char *volatile pending_tmp[4];

static void remove_pending_and_die(int sig)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(pending_tmp); i++) {
    char *tmp = pending_tmp[i];
    if (tmp)
      unlink(tmp);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Once per process: SIGINT, SIGTERM and SIGHUP remove the pending
 * temporary files, unless the program (or whoever started it) set its own
 * disposition; SIGXFSZ (ulimit -f) is ignored, so that a write past the
 * limit fails with EFBIG like any other write error instead of killing
 * the process between the write and the clean-up. */
static void handle_signals_once(void)
{
  static bool done;
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

  if (done)
    return;
  done = true;
  signal(SIGXFSZ, SIG_IGN);
  for (size_t i = 0; i < VSC_N_ELEMENTS(sigs); i++) {
    struct sigaction old;
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
      struct sigaction sa = { .sa_handler = remove_pending_and_die };
      sigemptyset(&sa.sa_mask);
      sigaction(sigs[i], &sa, NULL);
    }
  }
}

void vsc_file_tmp_track(char *tmp)
{
  handle_signals_once();
  for (size_t i = 0; i < VSC_N_ELEMENTS(pending_tmp); i++) {
    if (!pending_tmp[i]) {
      pending_tmp[i] = tmp;
      return;
    }
  }
}

void vsc_file_tmp_untrack(const char *tmp)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(pending_tmp); i++)
    if (pending_tmp[i] == tmp)
      pending_tmp[i] = NULL;
}

int vsc_file_keep_attrs(int fd, const struct stat *st)
{
  struct stat now;

  if (fstat(fd, &now) < 0)
    return -1;
  /* Owner first: chown clears the set-id bits that fchmod then restores. */
  if ((now.st_uid != st->st_uid || now.st_gid != st->st_gid) &&
      fchown(fd, st->st_uid, st->st_gid) < 0)
    return -1;
  return fchmod(fd, st->st_mode & 07777);
}

int vsc_file_replace_begin(vsc_file_replace *r, const char *path, const char *rule,
                           vsc_diags *diags)
{
  vsc_loc loc = { .file = path };
  struct stat st;
  bool exists = stat(path, &st) == 0;

  *r = (vsc_file_replace){ .fd = STDOUT_FILENO, .path = path };
  if (strcmp(path, "-") == 0)
    return 0;
  if (exists && !S_ISREG(st.st_mode)) {
    r->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (r->fd < 0) {
      vsc_error_io(diags, &loc, rule, NULL, "cannot write '%s': %s", path, strerror(errno));
      return -1;
    }
    return 0;
  }
  VSC_AUTOFREE(char) dircopy = vsc_strdup(path);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  r->tmp = vsc_asprintf("%s/.%s.vschan-XXXXXX", dirname(dircopy), base);
  vsc_file_tmp_track(r->tmp);
  r->fd = mkostemp(r->tmp, O_CLOEXEC);
  if (r->fd < 0) {
    vsc_error_io(diags, &loc, rule, "check that the directory exists and is writable",
                 "cannot create a temporary file next to '%s': %s", path, strerror(errno));
    vsc_file_tmp_untrack(r->tmp);
    free(r->tmp);
    r->tmp = NULL;
    return -1;
  }
  if (exists) {
    if (vsc_file_keep_attrs(r->fd, &st) < 0) {
      vsc_error_io(diags, &loc, rule, "the original file was left unchanged",
                   "cannot give the new '%s' the owner %ju:%ju and mode %04o of the old one: %s",
                   path, (uintmax_t)st.st_uid, (uintmax_t)st.st_gid, (unsigned)(st.st_mode & 07777),
                   strerror(errno));
      vsc_file_replace_abort(r);
      return -1;
    }
  } else {
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(r->fd, 0666 & ~mask) < 0) {
      vsc_error_io(diags, &loc, rule, NULL, "cannot write '%s': %s", path, strerror(errno));
      vsc_file_replace_abort(r);
      return -1;
    }
  }
  return 0;
}

int vsc_file_replace_commit(vsc_file_replace *r, const char *rule, vsc_diags *diags)
{
  vsc_loc loc = { .file = r->path };
  int rc = 0;

  if (r->fd == STDOUT_FILENO)
    return 0;
  if (!r->tmp) {
    rc = close(r->fd);
    r->fd = -1;
  } else {
    rc = fsync(r->fd);
    if (close(r->fd) < 0)
      rc = -1;
    r->fd = -1;
    if (rc == 0)
      rc = rename(r->tmp, r->path);
    if (rc == 0)
      vsc_file_tmp_untrack(r->tmp);
  }
  if (rc < 0) {
    vsc_error_io(diags, &loc, rule, r->tmp ? "the original file was left unchanged" : NULL,
                 "cannot write '%s': %s", r->path, strerror(errno));
    vsc_file_replace_abort(r);
    return -1;
  }
  free(r->tmp);
  r->tmp = NULL;
  return 0;
}

void vsc_file_replace_abort(vsc_file_replace *r)
{
  if (r->fd >= 0 && r->fd != STDOUT_FILENO)
    close(r->fd);
  r->fd = -1;
  if (r->tmp) {
    unlink(r->tmp);
    vsc_file_tmp_untrack(r->tmp);
  }
  free(r->tmp);
  r->tmp = NULL;
}

int vsc_file_write_atomic(const char *path, const char *data, size_t len, vsc_diags *diags)
{
  vsc_file_replace r;
  if (vsc_file_replace_begin(&r, path, NULL, diags) < 0)
    return -1;
  if (vsc_write_all(r.fd, data, len) < 0) {
    vsc_loc loc = { .file = path };
    if (r.fd == STDOUT_FILENO)
      vsc_error_io(diags, NULL, NULL, NULL, "cannot write to standard output: %s", strerror(errno));
    else
      vsc_error_io(diags, &loc, NULL, r.tmp ? "the original file was left unchanged" : NULL,
                   "cannot write '%s': %s", path, strerror(errno));
    vsc_file_replace_abort(&r);
    return -1;
  }
  return vsc_file_replace_commit(&r, NULL, diags);
}

static int by_path(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_suffix(const char *name, const char *suffix)
{
  size_t n = strlen(name), m = strlen(suffix);
  return n > m && strcmp(name + n - m, suffix) == 0;
}

/* Walk path (a directory) into *paths; root is the tree's real path. */
static int walk(const char *path, const char *root, const char *suffix, char ***paths, size_t *n,
                vsc_diags *diags)
{
  DIR *d = opendir(path);
  vsc_loc loc = { .file = path };
  if (!d) {
    vsc_error_io(diags, &loc, "io", "check the path and its permissions", "cannot read the directory: %s",
                 strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    VSC_AUTOFREE(char) child = vsc_asprintf("%s/%s", path, e->d_name);
    struct stat st;
    if (lstat(child, &st) < 0)
      continue;  /* gone since readdir */
    if (S_ISDIR(st.st_mode)) {
      rc = walk(child, root, suffix, paths, n, diags);
    } else if (has_suffix(e->d_name, suffix) && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
      if (S_ISLNK(st.st_mode)) {
        VSC_AUTOFREE(char) target = realpath(child, NULL);
        size_t len = strlen(root);
        struct stat tst;
        if (!target || strncmp(target, root, len) != 0 || target[len] != '/' || stat(target, &tst) < 0 ||
            !S_ISREG(tst.st_mode))
          continue;  /* out of the tree, dangling, or not a file */
      }
      *(char **)vsc_append(paths, n, sizeof(char *)) = vsc_steal(&child);
    }
  }
  closedir(d);
  return rc;
}

int vsc_dir_find(const char *dir, const char *suffix, char ***paths, size_t *n, vsc_diags *diags)
{
  size_t first = *n;
  VSC_AUTOFREE(char) root = realpath(dir, NULL);
  if (!root) {
    vsc_loc loc = { .file = dir };
    vsc_error_io(diags, &loc, "io", "check the path", "cannot read the directory: %s", strerror(errno));
    return -1;
  }
  VSC_AUTOFREE(char) base = vsc_strdup(dir);
  size_t len = strlen(base);
  while (len > 1 && base[len - 1] == '/')
    base[--len] = '\0';
  if (walk(base, root, suffix, paths, n, diags) < 0)
    return -1;
  qsort(*paths + first, *n - first, sizeof(char *), by_path);
  return 0;
}
