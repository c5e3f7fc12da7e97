/* Which QEMU the arguments are for.  Syntax moves on: QEMU 9.2 deprecated
 * the socket chardev's reconnect=SECONDS for reconnect-ms=MILLISECONDS
 * and a later release removed it, while QEMU before 9.2 knows only the
 * old name.  qemu-server asks the installed kvm for its version for the
 * same reason. */
#include "qemu.h"

#include <stdio.h>
#include <string.h>

int vsc_qemu_version_parse(const char *s, unsigned *version)
{
  unsigned major, minor, micro;
  int end = 0;
  if (!s || (sscanf(s, "%3u.%3u%n.%3u%n", &major, &minor, &end, &micro, &end) < 2) ||
      s[end] != '\0' || s[0] < '0' || s[0] > '9')
    return -1;
  *version = VSC_QEMU_VERSION(major, minor);
  return 0;
}

unsigned vsc_qemu_version_detect(void)
{
  /* Proxmox VE installs its QEMU as kvm; elsewhere it is qemu-system-x86_64. */
  static const char *const probes[] = { "kvm --version 2>/dev/null",
                                        "qemu-system-x86_64 --version 2>/dev/null" };
  for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
    FILE *p = popen(probes[i], "r");
    if (!p)
      continue;
    char line[256] = "";
    bool got = fgets(line, sizeof(line), p) != NULL;
    while (got && fgetc(p) != EOF) /* let it finish writing */
      ;
    pclose(p);
    /* "QEMU emulator version 9.2.0 (pve-qemu-kvm_9.2.0-5)" */
    const char *v = got ? strstr(line, "version ") : NULL;
    unsigned major, minor;
    if (v && sscanf(v + 8, "%3u.%3u", &major, &minor) == 2)
      return VSC_QEMU_VERSION(major, minor);
  }
  return 0;
}
