/* Files: read whole, write atomically. */
#pragma once

#include "diag.h"

#include <stddef.h>

/* Read PATH ("-" is stdin) into a NUL-terminated buffer of *len bytes.
 * Files larger than max_size are refused (0: no limit). */
char *vsc_file_read(const char *path, size_t max_size, size_t *len, vsc_diags *diags);

/* write() all of data, through EINTR and short writes; -1 with errno (EIO
 * for a write that makes no progress). */
int vsc_write_all(int fd, const void *data, size_t len);

/* Write data to PATH through a temporary file in the same directory, fsync
 * and rename, so PATH holds either the old or the new content, never a
 * mix.  The mode of an existing file is kept.  "-" writes to stdout; an
 * existing PATH that is no regular file (/dev/null, a FIFO, a terminal)
 * is written to in place, as a shell redirection would: a rename would
 * put a file where the device was. */
int vsc_file_write_atomic(const char *path, const char *data, size_t len, vsc_diags *diags);
