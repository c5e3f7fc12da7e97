/* Files: read whole, write atomically. */
#pragma once

#include "diag.h"

#include <stddef.h>
#include <sys/stat.h>

/* Read PATH ("-" is stdin) into a NUL-terminated buffer of *len bytes.
 * Files larger than max_size are refused (0: no limit). */
char *vsc_file_read(const char *path, size_t max_size, size_t *len, vsc_diags *diags);

/* write() all of data, through EINTR and short writes; -1 with errno (EIO
 * for a write that makes no progress). */
int vsc_write_all(int fd, const void *data, size_t len);

/* Replacing a file by writing into it, for writers that stream: begin
 * gives the descriptor to write (stdout for "-"; the path itself when it
 * exists and is no regular file -- /dev/null, a FIFO, a terminal -- as a
 * shell redirection would, since a rename would put a file where the
 * device was; otherwise a temporary file in the same directory with the
 * mode of the file it replaces, or 0666 less umask).  commit fsyncs and
 * renames it over the path, so the path holds either the old or the new
 * content, never a mix; abort removes it and leaves the path as it was.
 * Errors go to diags with rule (may be NULL); after a failed commit the
 * temporary file is gone. */
typedef struct {
  int fd;
  const char *path;
  char *tmp;          /* NULL when writing in place or to stdout */
} vsc_file_replace;

int vsc_file_replace_begin(vsc_file_replace *r, const char *path, const char *rule,
                           vsc_diags *diags);
int vsc_file_replace_commit(vsc_file_replace *r, const char *rule, vsc_diags *diags);
void vsc_file_replace_abort(vsc_file_replace *r);

/* The whole of data through vsc_file_replace. */
int vsc_file_write_atomic(const char *path, const char *data, size_t len, vsc_diags *diags);

/* Give the file open on fd the owner, group and mode of st (the file it is
 * about to replace); -1 with errno where that is not allowed. */
int vsc_file_keep_attrs(int fd, const struct stat *st);

/* A temporary file that SIGINT, SIGTERM or SIGHUP must not leave behind:
 * track it before it is created, untrack it once renamed or removed (the
 * pointer is kept, not copied).  The first call also makes SIGXFSZ an
 * ordinary write error (EFBIG). */
void vsc_file_tmp_track(char *tmp);
void vsc_file_tmp_untrack(const char *tmp);

/* The files below dir (recursively) whose names end in suffix, sorted,
 * appended to *paths (free each and the array).  A symbolic link is taken
 * when it names a regular file inside dir; a linked directory is not
 * entered, so that the walk stays in the tree.  -1 (an "io" error in
 * diags) when dir cannot be read. */
int vsc_dir_find(const char *dir, const char *suffix, char ***paths, size_t *n, vsc_diags *diags);
