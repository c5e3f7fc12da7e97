#include "qemu-version.h"

#include "cli.h"
#include "qemu/qemu.h"

int vsc_cli_qemu_version_option(const char *cmd, const char *arg, unsigned *version)
{
  if (vsc_qemu_version_parse(arg, version) < 0)
    return vsc_cli_usage_error(cmd, "--qemu-version takes a version such as 9.2, not '%s'", arg);
  return 0;
}

unsigned vsc_cli_qemu_version_default(const vsc_devset *set)
{
  for (size_t i = 0; i < set->ndevs; i++)
    for (size_t s = 0; s < set->devs[i]->nsources; s++)
      if (set->devs[i]->sources[s].has_reconnect)
        return vsc_qemu_version_detect();
  return 0;
}
