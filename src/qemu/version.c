/* Which QEMU the arguments are for.  Syntax moves on: QEMU 9.2 deprecated
 * the socket chardev's reconnect=SECONDS for reconnect-ms=MILLISECONDS
 * and a later release removed it, while QEMU before 9.2 knows only the
 * old name.  qemu-server asks the installed kvm for its version for the
 * same reason. */
#include "qemu.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A decimal number of at most max at *p; *p moves past it. */
static bool take_number(const char **p, unsigned long max, unsigned *out)
{
  char *end;
  if (!isdigit((unsigned char)**p))
    return false;
  errno = 0;
  unsigned long v = strtoul(*p, &end, 10);
  if (errno || v > max)
    return false;
  *out = (unsigned)v;
  *p = end;
  return true;
}

/* "MAJOR.MINOR[.MICRO]" at s; *rest gets what follows. */
static bool take_version(const char *s, unsigned *version, const char **rest)
{
  unsigned major, minor, micro;
  if (!take_number(&s, 999, &major) || *s++ != '.' || !take_number(&s, 999, &minor))
    return false;
  if (*s == '.' && isdigit((unsigned char)s[1])) {
    s++;
    take_number(&s, 999, &micro);
  }
  *version = VSC_QEMU_VERSION(major, minor);
  *rest = s;
  return true;
}

int vsc_qemu_version_parse(const char *s, unsigned *version)
{
  const char *rest;
  if (!s || !take_version(s, version, &rest) || *rest != '\0')
    return -1;
  return 0;
}

/* The first line PROGRAM --version prints, run without a shell; "" when
 * it cannot run. */
static void first_line(const char *program, char *line, size_t size)
{
  char *const argv[] = { (char *)program, "--version", NULL };
  posix_spawn_file_actions_t fa;
  int fds[2];
  pid_t pid;

  line[0] = '\0';
  if (pipe(fds) < 0)
    return;
  /* Other threads' children must not inherit the pipe. */
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc == 0) {
    size_t len = 0;
    ssize_t n;
    char sink[256];
    while (len + 1 < size && (n = read(fds[0], line + len, size - 1 - len)) != 0) {
      if (n < 0 && errno != EINTR)
        break;
      len += n > 0 ? (size_t)n : 0;
    }
    line[len] = '\0';
    line[strcspn(line, "\n")] = '\0';
    while ((n = read(fds[0], sink, sizeof(sink))) > 0 || (n < 0 && errno == EINTR))
      ; /* let it finish writing */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  close(fds[0]);
}

unsigned vsc_qemu_version_detect(void)
{
  /* Proxmox VE installs its QEMU as kvm; elsewhere it is qemu-system-x86_64. */
  static const char *const programs[] = { "kvm", "qemu-system-x86_64" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(programs); i++) {
    char line[256];
    first_line(programs[i], line, sizeof(line));
    /* "QEMU emulator version 9.2.0 (pve-qemu-kvm_9.2.0-5)" */
    const char *v = strstr(line, "version ");
    unsigned version;
    const char *rest;
    if (v && take_version(v + 8, &version, &rest))
      return version;
  }
  return 0;
}
