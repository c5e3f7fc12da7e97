/* Ids other programs give their own QEMU objects.  vschan's arguments go
 * next to theirs (Proxmox's args: line, libvirt's <qemu:commandline>), so
 * an id of ours that equals one of theirs makes QEMU refuse to start. */
#include "qemu.h"

#include <string.h>

bool vsc_qemu_id_reserved(const char *id)
{
  /* qemu-server (proxmox.md, "IDs already in use") and libvirt's QEMU
   * driver: exact names, and names followed by a number. */
  static const char *const exact[] = {
    "qmp", "qmp-event", "qga0", "vdagent", "foldershare", "tpmchar", "tpmdev", "spice",
    "pcidmi", "uhci", "xhci", "ehci", "tablet", "keyboard", "vga", "balloon0", "rng0",
    "audio0", "ivshmem", "virtiofs-mem", "monitor", "charmonitor", "pcie.0", NULL,
  };
  static const char *const numbered[] = {
    "serial", "parallel", "pci.", "ich9-pcie-port-", "ehci-", "uhci-", "scsihw", "virtioscsi",
    "ahci", "scsi", "virtio", "ide", "sata", "net", "hostpci", "usb", "usbredirdev",
    "usbredirchardev", "cpu", "dimm", "virtiofs",
    "channel", "console", "charchannel", "charserial", "charconsole", "charparallel",
    "virtio-serial", NULL,
  };
  for (const char *const *e = exact; *e; e++)
    if (strcmp(id, *e) == 0)
      return true;
  for (const char *const *n = numbered; *n; n++) {
    size_t len = strlen(*n);
    if (strncmp(id, *n, len) == 0 && id[len] >= '0' && id[len] <= '9')
      return true;
  }
  return strncmp(id, "drive-", 6) == 0 || strncmp(id, "iothread-", 9) == 0 ||
         strncmp(id, "mem-", 4) == 0;
}
