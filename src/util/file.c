#define _GNU_SOURCE
#include "file.h"
#include "mem.h"

#include <errno.h>
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

int vsc_file_write_atomic(const char *path, const char *data, size_t len, vsc_diags *diags)
{
  vsc_loc loc = { .file = path };
  VSC_AUTOFREE(char) dircopy = vsc_strdup(path);
  VSC_AUTOFREE(char) tmp = NULL;
  struct stat st;
  int fd;

  if (strcmp(path, "-") == 0) {
    if (vsc_write_all(STDOUT_FILENO, data, len) < 0) {
      vsc_error(diags, NULL, NULL, NULL, "cannot write to standard output: %s", strerror(errno));
      return -1;
    }
    return 0;
  }
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || vsc_write_all(fd, data, len) < 0) {
      vsc_error(diags, &loc, NULL, NULL, "cannot write '%s': %s", path, strerror(errno));
      if (fd >= 0)
        close(fd);
      return -1;
    }
    close(fd);
    return 0;
  }

  tmp = vsc_asprintf("%s/.%s.vschan-XXXXXX", dirname(dircopy), strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    vsc_error(diags, &loc, NULL, "check that the directory exists and is writable",
              "cannot create a temporary file next to '%s': %s", path, strerror(errno));
    return -1;
  }
  /* Keep the mode of the file being replaced; a new file gets 0644 less umask. */
  if (stat(path, &st) == 0) {
    if (fchmod(fd, st.st_mode & 07777) < 0)
      goto fail;
  } else {
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) < 0)
      goto fail;
  }
  if (vsc_write_all(fd, data, len) < 0 || fsync(fd) < 0)
    goto fail;
  if (close(fd) < 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  if (rename(tmp, path) < 0)
    goto fail;
  return 0;

fail:
  vsc_error(diags, &loc, NULL, "the original file was left unchanged",
            "cannot write '%s': %s", path, strerror(errno));
  if (fd >= 0)
    close(fd);
  unlink(tmp);
  return -1;
}
