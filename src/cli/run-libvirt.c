/* The libvirt commands live in a second executable, vschan-libvirt, so
 * that the others (xml, validate, qemu-args, ...) start without loading
 * libvirt and the ~60 libraries it brings: that is most of their run time.
 * vschan runs it with the same command line, as git runs its dashed
 * commands. */
#include "cli.h"
#include "util/mem.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef VSCHAN_WITH_LIBVIRT

/* Next to vschan (a build tree), in the relocated install's libexec, or in
 * the configured one. */
static char *find_helper(void)
{
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  const char *env = getenv("VSCHAN_LIBVIRT_HELPER");

  if (env && *env)
    return vsc_strdup(env);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      char *candidates[] = {
        vsc_asprintf("%s/vschan-libvirt", exe),
        vsc_asprintf("%s/../libexec/vschan/vschan-libvirt", exe),
      };
      char *found = NULL;
      for (size_t i = 0; i < VSC_N_ELEMENTS(candidates); i++) {
        if (!found && access(candidates[i], X_OK) == 0)
          found = candidates[i];
        else
          free(candidates[i]);
      }
      if (found)
        return found;
    }
  }
  return vsc_strdup(VSCHAN_LIBEXECDIR "/vschan/vschan-libvirt");
}

int vsc_cli_run_libvirt(vsc_cli *cli)
{
  VSC_AUTOFREE(char) helper = find_helper();

  fflush(stdout);
  fflush(stderr);
  execv(helper, cli->argv);
  fprintf(stderr, "vschan: error: cannot run '%s': %s\n"
                  "  hint: the libvirt commands need it; reinstall vschan\n",
          helper, strerror(errno));
  return VSC_EXIT_USAGE;
}

#endif
