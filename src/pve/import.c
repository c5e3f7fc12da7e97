/* A VM config read back into devices: what `vschan qm import` prints, so
 * that a user can take a hand-written config over with a spec.  The
 * native lines (serialN:, parallelN:, agent:) become the devices
 * vsc_pve_plan_build turns back into those very lines, and the user's
 * words of args: what qemu/read.c reads in them; writing the spec then
 * changes nothing (a device the config already has is left as it is). */
#include "pve.h"

#include "qemu/qemu.h"
#include "util/str.h"

#include <stdio.h>
#include <string.h>

static void set_origin(vsc_chardev *dev, const vsc_pve_conf *conf, bool pending, const char *key)
{
  vsc_loc loc = vsc_pve_conf_key_loc(conf, pending, key);
  dev->origin.file = loc.file ? vsc_strdup(loc.file) : NULL;
  dev->origin.line = loc.line;
}

static vsc_chardev *port_device(vsc_kind kind, unsigned int port, vsc_backend backend, const char *path,
                                vsc_mode mode)
{
  vsc_chardev *dev = vsc_chardev_new(kind);
  dev->backend = backend;
  dev->has_backend = true;
  vsc_source *src = vsc_chardev_add_source(dev);
  src->path = vsc_strdup(path);
  src->mode = mode;
  dev->has_target = true;
  if (kind == VSC_KIND_SERIAL)
    dev->target.type = VSC_TARGET_ISA_SERIAL;
  dev->target.has_port = true;
  dev->target.port = port;
  return dev;
}

int vsc_pve_import(const vsc_pve_conf *conf, unsigned vmid, bool pending, const char *prefix,
                   vsc_devset *set, vsc_diags *diags)
{
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++) {
    char key[16];
    snprintf(key, sizeof(key), "serial%d", i);
    VSC_AUTOFREE(char) v = vsc_pve_conf_get_for(conf, pending, key);
    if (!v)
      continue;
    vsc_chardev *dev;
    if (strcmp(v, "socket") == 0) {
      VSC_AUTOFREE(char) path = vsc_asprintf("%s/%u.serial%d", VSC_PVE_RUN_DIR, vmid, i);
      dev = port_device(VSC_KIND_SERIAL, (unsigned)i, VSC_BACKEND_UNIX, path, VSC_MODE_BIND);
    } else {
      dev = port_device(VSC_KIND_SERIAL, (unsigned)i, VSC_BACKEND_DEV, v, VSC_MODE_ABSENT);
    }
    set_origin(dev, conf, pending, key);
    vsc_devset_add(set, dev);
  }
  for (int i = 0; i < VSC_PVE_MAX_PARALLEL; i++) {
    char key[16];
    snprintf(key, sizeof(key), "parallel%d", i);
    VSC_AUTOFREE(char) v = vsc_pve_conf_get_for(conf, pending, key);
    if (!v)
      continue;
    vsc_chardev *dev = port_device(VSC_KIND_PARALLEL, (unsigned)i, VSC_BACKEND_DEV, v, VSC_MODE_ABSENT);
    set_origin(dev, conf, pending, key);
    vsc_devset_add(set, dev);
  }
  VSC_AUTOFREE(char) agent = vsc_pve_conf_get_for(conf, pending, "agent");
  if (agent && vsc_pve_agent_is_virtio(agent)) {
    vsc_chardev *dev = vsc_chardev_new(VSC_KIND_CHANNEL);
    dev->backend = VSC_BACKEND_UNIX;
    dev->has_backend = true;
    vsc_source *src = vsc_chardev_add_source(dev);
    src->path = vsc_asprintf("%s/%u.qga", VSC_PVE_RUN_DIR, vmid);
    src->mode = VSC_MODE_BIND;
    dev->has_target = true;
    dev->target.type = VSC_TARGET_VIRTIO;
    dev->target.name = vsc_strdup("org.qemu.guest_agent.0");
    set_origin(dev, conf, pending, "agent");
    vsc_devset_add(set, dev);
  } else if (agent && strstr(agent, "type=isa")) {
    vsc_loc loc = vsc_pve_conf_key_loc(conf, pending, "agent");
    vsc_warning(diags, &loc, "qemu-import",
                "keep the line as it is, or use the agent on its virtio port (agent: 1), which a spec can hold",
                "'agent: %s' is not read: qemu-server's agent on an ISA serial port has no form in a spec", agent);
  }

  VSC_AUTOFREE(char) args = vsc_pve_conf_get_for(conf, pending, "args");
  size_t n_all = 0, n_user = 0;
  vsc_diags tmp = { 0 };
  char **all = vsc_pve_args_split(args ? args : "", &n_all, NULL, &tmp);
  vsc_diags_clear(&tmp);
  if (!all) {
    vsc_loc loc = vsc_pve_conf_key_loc(conf, pending, "args");
    vsc_error(diags, &loc, "pve-args-quotes", "fix the quoting of args: by hand first",
              "args: cannot be read: its quotes do not balance (qemu-server ignores all of it)");
    return -1;
  }
  char **user = vsc_pve_args_user(args, prefix, &n_user);
  if (n_user < n_all) {
    vsc_loc loc = vsc_pve_conf_key_loc(conf, pending, "args");
    vsc_diag_add(diags, VSC_SEV_NOTE, &loc, NULL, "the spec vschan wrote them from has them",
             "%zu words of args: are vschan's own (ids starting with '%s'): not read", n_all - n_user,
             prefix && *prefix ? prefix : VSC_PVE_ID_PREFIX);
  }
  size_t first = set->ndevs;
  vsc_qemu_read_args(user, n_user, set, NULL, diags);
  for (size_t i = first; i < set->ndevs; i++)
    set_origin(set->devs[i], conf, pending, "args");
  vsc_pve_argv_free(user);
  vsc_pve_argv_free(all);
  return 0;
}
