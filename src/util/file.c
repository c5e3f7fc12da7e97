#define _GNU_SOURCE
#include "file.h"
#include "mem.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
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
    vsc_error(diags, &loc, NULL, errno == ENOENT ? "check the path" : NULL,
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
      vsc_error(diags, &loc, NULL, NULL, "cannot read '%s': %s", path, strerror(errno));
      goto fail;
    }
    if (r == 0)
      break;
    n += (size_t)r;
    if (max_size && n > max_size) {
      vsc_error(diags, &loc, NULL, "split the input or raise the limit",
                "'%s' is larger than %zu bytes", path, max_size);
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
      vsc_error(diags, &loc, rule, NULL, "cannot write '%s': %s", path, strerror(errno));
      return -1;
    }
    return 0;
  }
  VSC_AUTOFREE(char) dircopy = vsc_strdup(path);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  r->tmp = vsc_asprintf("%s/.%s.vschan-XXXXXX", dirname(dircopy), base);
  r->fd = mkostemp(r->tmp, O_CLOEXEC);
  if (r->fd < 0) {
    vsc_error(diags, &loc, rule, "check that the directory exists and is writable",
              "cannot create a temporary file next to '%s': %s", path, strerror(errno));
    free(r->tmp);
    r->tmp = NULL;
    return -1;
  }
  mode_t mode;
  if (exists) {
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  if (fchmod(r->fd, mode) < 0) {
    vsc_error(diags, &loc, rule, "the original file was left unchanged", "cannot write '%s': %s",
              path, strerror(errno));
    vsc_file_replace_abort(r);
    return -1;
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
  }
  if (rc < 0) {
    vsc_error(diags, &loc, rule, r->tmp ? "the original file was left unchanged" : NULL,
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
  if (r->tmp)
    unlink(r->tmp);
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
      vsc_error(diags, NULL, NULL, NULL, "cannot write to standard output: %s", strerror(errno));
    else
      vsc_error(diags, &loc, NULL, r.tmp ? "the original file was left unchanged" : NULL,
                "cannot write '%s': %s", path, strerror(errno));
    vsc_file_replace_abort(&r);
    return -1;
  }
  return vsc_file_replace_commit(&r, NULL, diags);
}
