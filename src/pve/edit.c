/* The locked, atomic edit of a VM config, done the way qemu-server's own
 * lock_config and PVE::File::file_set_contents do it, so the two exclude
 * each other and a reader never sees half a file. */
#define _GNU_SOURCE
#include "pve.h"

#include "util/clock.h"
#include "util/sha1.h"

#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

VSC_ENUM_IMPL(vsc_pve_fault, VSC_PVE_FAULT_LAST, "none", "write-half", "before-rename");

static vsc_pve_fault forced_fault = VSC_PVE_FAULT_NONE;

void vsc_pve_set_fault(vsc_pve_fault fault)
{
  forced_fault = fault;
}

static vsc_pve_fault current_fault(void)
{
  if (forced_fault != VSC_PVE_FAULT_NONE)
    return forced_fault;
  const char *env = getenv("VSCHAN_PVE_FAULT");
  int f = env ? vsc_pve_fault_from_string(env) : -1;
  return f < 0 ? VSC_PVE_FAULT_NONE : (vsc_pve_fault)f;
}

int vsc_pve_lock(const char *lock_dir, unsigned vmid, double timeout, vsc_diags *diags)
{
  const char *dir = lock_dir ? lock_dir : VSC_PVE_LOCK_DIR;
  VSC_AUTOFREE(char) path = vsc_asprintf("%s/lock-%u.conf", dir, vmid);
  vsc_loc loc = { .file = path };
  int fd;

  if (timeout <= 0)
    timeout = VSC_PVE_LOCK_TIMEOUT;
  fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  /* Another editor may create the directory at the same moment. */
  if (fd < 0 && errno == ENOENT && (mkdir(dir, 0755) == 0 || errno == EEXIST))
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    vsc_error_io(diags, &loc, "pve-lock",
                 errno == EACCES ? "run as root, as qm does" : "check that the lock directory exists",
                 "cannot open lock file '%s': %s", path, strerror(errno));
    return -1;
  }

  /* Poll rather than block, so the timeout needs no signal handler. */
  double deadline = vsc_now() + timeout;
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return fd;
    if (errno == EINTR)
      continue;
    if (errno != EWOULDBLOCK) {
      vsc_error_io(diags, &loc, "pve-lock", NULL, "cannot lock '%s': %s", path, strerror(errno));
      break;
    }
    if (vsc_now() >= deadline) {
      vsc_error(diags, &loc, "pve-lock-timeout",
                "another task (qm, vzdump, the web interface or vschan) is changing this VM; "
                "retry when it has finished",
                "cannot lock the config of VM %u: '%s' is still locked after %g s",
                vmid, path, timeout);
      break;
    }
    vsc_sleep_ms(20);
  }
  close(fd);
  return -1;
}

bool vsc_pve_vm_running(const char *run_dir, unsigned vmid)
{
  VSC_AUTOFREE(char) path = vsc_asprintf("%s/%u.pid", run_dir ? run_dir : VSC_PVE_RUN_DIR, vmid);
  FILE *f = fopen(path, "re");
  char line[32], *end;
  long pid = 0;
  if (!f)
    return false;
  /* strtol, not fscanf: a garbage or overflowing pid file must read as no pid. */
  if (fgets(line, sizeof(line), f)) {
    errno = 0;
    pid = strtol(line, &end, 10);
    if (errno || end == line || (*end && *end != '\n'))
      pid = 0;
  }
  fclose(f);
  if (pid <= 0 || pid > INT_MAX)
    return false;
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}


/* Replace path by data: "PATH.tmp.PID" (O_EXCL) with the owner, group and
 * mode of the old file (st), one write, fsync, rename.  On failure path is
 * untouched and the temporary file is gone, also after SIGINT, SIGTERM or
 * SIGHUP. */
static int replace_file(const char *path, const struct stat *st, const char *data, size_t len,
                        vsc_diags *diags)
{
  VSC_AUTOFREE(char) tmp = vsc_asprintf("%s.tmp.%d", path, (int)getpid());
  vsc_pve_fault fault = current_fault();
  vsc_loc loc = { .file = path };
  const char *step = "create";
  bool failed_on_tmp = true;   /* only creating the temp file names it */
  int fd;

  vsc_file_tmp_track(tmp);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    /* A left-over of an earlier run with our pid: nobody else uses it. */
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (fd < 0) {
    vsc_file_tmp_untrack(tmp);
    goto fail_noclean;
  }

  /* The umask must not narrow who may read the config (qemu-server's
   * www-data group, a backup user). */
  step = "keep the owner and mode of";
  failed_on_tmp = false;
  if (vsc_file_keep_attrs(fd, st) < 0)
    goto fail;
  step = "write";
  if (fault == VSC_PVE_FAULT_WRITE_HALF) {
    if (vsc_write_all(fd, data, len / 2) == 0)
      errno = ENOSPC;
    goto fail;
  }
  if (vsc_write_all(fd, data, len) < 0)
    goto fail;
  /* pmxcfs has no fsync; FUSE then reports ENOSYS once and 0 after. */
  step = "sync";
  if (fsync(fd) < 0 && errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    goto fail;
  step = "close";
  if (close(fd) < 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  step = "rename";
  if (fault == VSC_PVE_FAULT_BEFORE_RENAME) {
    errno = EIO;
    goto fail;
  }
  if (rename(tmp, path) < 0)
    goto fail;
  vsc_file_tmp_untrack(tmp);
  return 0;

fail:
  {
    int saved = errno;
    if (fd >= 0)
      close(fd);
    unlink(tmp);
    vsc_file_tmp_untrack(tmp);
    errno = saved;
  }
fail_noclean:
  vsc_error_io(diags, &loc, "pve-write",
               errno == EACCES || errno == EPERM || errno == EROFS
                 ? "/etc/pve is read-only without cluster quorum (check 'pvecm status') and "
                   "writable by root only; the config was left unchanged"
                 : "the config was left unchanged",
               "cannot %s '%s': %s", step, failed_on_tmp ? tmp : path,
               strerror(errno));
  return -1;
}

static char *default_conf_path(unsigned vmid)
{
  return vsc_asprintf("%s/%u.conf", VSC_PVE_CONF_DIR, vmid);
}

char *vsc_pve_conf_read(const char *path, unsigned vmid, struct stat *st, size_t *len, vsc_diags *diags)
{
  vsc_loc loc = { .file = path };
  if (stat(path, st) < 0) {
    vsc_error_io(diags, &loc, "io",
                 errno == ENOENT ? "check the VMID, run on the node that owns the VM, or give "
                                   "the config path"
                                 : NULL,
                 "cannot read the config of VM %u '%s': %s", vmid, path, strerror(errno));
    return NULL;
  }
  /* A rename would put a file where a device or FIFO was, and reading a
   * FIFO waits for a writer. */
  if (!S_ISREG(st->st_mode)) {
    vsc_error(diags, &loc, "pve-conf", "give the path of the VM's config file",
              "the config of VM %u '%s' is not a regular file", vmid, path);
    return NULL;
  }
  return vsc_file_read(path, VSC_PVE_MAX_CONF_SIZE, len, diags);
}

int vsc_pve_edit(const vsc_pve_edit_opts *opts, vsc_pve_edit_fn fn, void *opaque,
                 char **old_out, char **new_out, vsc_diags *diags)
{
  VSC_AUTOFREE(char) path = opts->conf_path ? vsc_strdup(opts->conf_path)
                                            : default_conf_path(opts->vmid);
  VSC_AUTOFREE(char) old_text = NULL;
  VSC_AUTOFREE(char) new_text = NULL;
  VSC_AUTOFREE(char) lock_value = NULL;
  VSC_AUTOPTR(vsc_pve_conf) conf = NULL;
  vsc_loc loc = { .file = path };
  struct stat st;
  size_t old_len = 0, new_len = 0;
  int lock_fd = -1, ret = -1;

  if (opts->vmid < 100 || opts->vmid > 999999999) {
    vsc_error(diags, NULL, "pve-vmid", "a Proxmox VMID is a number from 100 to 999999999",
              "invalid VMID %u", opts->vmid);
    return -1;
  }
  /* Replace the file a symbolic link points to, not the link. */
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
    char *real = realpath(path, NULL);
    if (real) {
      free(path);
      path = vsc_strdup(real);
      free(real);
      loc.file = path;
    }
  }

  if (!opts->dry_run) {
    lock_fd = vsc_pve_lock(opts->lock_dir, opts->vmid, opts->timeout, diags);
    if (lock_fd < 0)
      return -1;
  }

  /* Read under the lock: what we change is what is there now. */
  old_text = vsc_pve_conf_read(path, opts->vmid, &st, &old_len, diags);
  if (!old_text)
    goto out;
  if (opts->digest) {
    /* Proxmox's digest is the SHA-1 of the file as it is stored. */
    char now[VSC_SHA1_HEX_LEN + 1];
    vsc_sha1_hex(old_text, old_len, now);
    if (strcasecmp(now, opts->digest) != 0) {
      vsc_error(diags, &loc, "pve-digest",
                "look at the change again (--write --dry-run) and pass the digest it shows",
                "the config of VM %u changed: its digest is %s, not %s", opts->vmid, now,
                opts->digest);
      goto out;
    }
  }
  conf = vsc_pve_conf_parse(old_text, old_len, path, diags);
  if (!conf)
    goto out;

  lock_value = vsc_pve_conf_lock(conf);
  if (lock_value && !opts->skiplock) {
    vsc_error(diags, &loc, "pve-locked",
              "wait for the task to finish; if the lock is stale, remove it with "
              "'qm unlock VMID' or give --skiplock",
              "the config of VM %u is locked (%s)", opts->vmid, lock_value);
    goto out;
  }
  if (lock_value)
    vsc_warning(diags, &loc, "pve-locked", NULL,
                "editing the config of VM %u although it is locked (%s)", opts->vmid,
                lock_value);

  if (fn(conf, opaque, diags) < 0)
    goto out;
  new_text = vsc_pve_conf_format(conf, &new_len);
  if (new_len > VSC_PVE_MAX_CONF_SIZE) {
    vsc_error(diags, &loc, "pve-conf", "shorten the args line",
              "the new config would be %zu bytes, more than pmxcfs accepts (%d)", new_len,
              VSC_PVE_MAX_CONF_SIZE);
    goto out;
  }
  if (!opts->dry_run && (old_len != new_len || memcmp(old_text, new_text, old_len) != 0) &&
      replace_file(path, &st, new_text, new_len, diags) < 0)
    goto out;

  if (old_out)
    *old_out = vsc_steal(&old_text);
  if (new_out)
    *new_out = vsc_steal(&new_text);
  ret = 0;

out:
  if (lock_fd >= 0)
    close(lock_fd);
  return ret;
}
