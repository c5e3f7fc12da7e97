/* qemu-server's sockets of a running VM: what 'qm terminal' and 'qm guest
 * cmd' open, reached without libvirt. */
#include "pve.h"

#include <string.h>

int vsc_pve_vm_socket(const char *run_dir, const char *vmid_text, const char *name, char **path,
                      vsc_diags *diags)
{
  unsigned vmid;
  *path = NULL;
  if (vsc_pve_vmid_parse(vmid_text, &vmid, diags) < 0)
    return -1;
  bool ok = name && *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
  for (const char *p = name; ok && *p; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
         *p == '_' || *p == '-';
  if (!ok) {
    vsc_error_usage(diags, NULL, "pve-socket", "name serial0 to serial3, or a channel's port name",
                    "'%s' is not the name of one of the VM's sockets", name ? name : "");
    return -1;
  }
  /* qemu-server's own sockets that carry no guest's byte stream */
  static const struct {
    const char *name, *what;
  } own[] = {
    { "qmp", "QEMU's QMP monitor" },
    { "mon", "QEMU's monitor" },
    { "vnc", "the VNC display" },
    { "pid", "the pid file" },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(own); i++) {
    if (strcmp(name, own[i].name) == 0) {
      vsc_error_usage(diags, NULL, "pve-socket", "name serial0 to serial3, or a channel's port name",
                      "VM %u's '%s' is %s, not a channel", vmid, name, own[i].what);
      return -1;
    }
  }
  *path = vsc_asprintf("%s/%u.%s", run_dir && *run_dir ? run_dir : VSC_PVE_RUN_DIR, vmid, name);
  return 0;
}
