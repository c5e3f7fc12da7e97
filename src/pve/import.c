/* A VM config read back into devices: what `vschan qm import` prints, so
 * that a user can take a hand-written config over with a spec, or get
 * back the spec of one vschan wrote.  The native lines (serialN:,
 * parallelN:, agent:) become the devices vsc_pve_plan_build turns back
 * into those very lines, and args: what qemu/read.c reads in it; writing
 * the spec then changes nothing (a device the user's words already give
 * is left to the user; vschan's own are written again as they were). */
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

/* A native line qemu-server would refuse is not a device: said, not read. */
static bool native_value_ok(const vsc_pve_conf *conf, bool pending, const char *key, bool ok, vsc_diags *diags)
{
  if (ok)
    return true;
  vsc_loc loc = vsc_pve_conf_key_loc(conf, pending, key);
  vsc_warning(diags, &loc, "qemu-import", "fix the line: qemu-server refuses the config as it is",
              "'%s:' is not read: qemu-server takes %s only", key,
              strncmp(key, "serial", 6) == 0 ? "'socket' or a /dev/ path without commas"
                                             : "/dev/parportN or /dev/usb/lpN");
  return false;
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

/* The controller's port count and vectors (its place is --bus/--addr's). */
static void read_controller(const char *value, vsc_devset *set)
{
  VSC_AUTOFREE(char) ports = vsc_qemu_opt_value(value, "driver", "max_ports");
  VSC_AUTOFREE(char) vectors = vsc_qemu_opt_value(value, "driver", "vectors");
  if (ports && vsc_str_to_uint(ports, UINT_MAX, &set->controller.ports))
    set->controller.present = set->controller.has_ports = true;
  if (vectors && vsc_str_to_uint(vectors, UINT_MAX, &set->controller.vectors))
    set->controller.present = set->controller.has_vectors = true;
}

/* The id vschan derives for dev's chardev (prefix and all), or NULL. */
static char *derived_id(const vsc_chardev *dev, const char *prefix)
{
  vsc_qemu_opts opts = { .id_prefix = prefix };
  VSC_AUTOFREE(char) text = vsc_qemu_device_text(dev, &opts);
  const char *chardev = strstr(text, "-chardev\n");
  if (!chardev)
    return NULL;
  VSC_AUTOFREE(char) value = vsc_strndup(chardev + 9, strcspn(chardev + 9, "\n"));
  return vsc_qemu_opt_value(value, "backend", "id");
}

/* A device read from vschan's own arguments has the alias of its id; it
 * needs none when vschan derives that id without one (from the port
 * name, the kind and port). */
static void drop_derived_alias(vsc_chardev *dev, const char *prefix)
{
  if (!dev->alias)
    return;
  VSC_AUTOFREE(char) with = derived_id(dev, prefix);
  char *alias = dev->alias;
  dev->alias = NULL;
  VSC_AUTOFREE(char) without = derived_id(dev, prefix);
  if (with && vsc_streq(with, without))
    free(alias);
  else
    dev->alias = alias;
}

int vsc_pve_import(const vsc_pve_conf *conf, unsigned vmid, bool pending, const char *prefix,
                   vsc_devset *set, vsc_diags *diags)
{
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++) {
    char key[16];
    snprintf(key, sizeof(key), "serial%d", i);
    VSC_AUTOFREE(char) v = vsc_pve_conf_get_for(conf, pending, key);
    if (!v || !native_value_ok(conf, pending, key, vsc_pve_serial_value_ok(v), diags))
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
    if (!v || !native_value_ok(conf, pending, key, vsc_pve_parallel_value_ok(v), diags))
      continue;
    vsc_chardev *dev = port_device(VSC_KIND_PARALLEL, (unsigned)i, VSC_BACKEND_DEV, v, VSC_MODE_ABSENT);
    set_origin(dev, conf, pending, key);
    vsc_devset_add(set, dev);
  }
  VSC_AUTOFREE(char) agent = vsc_pve_conf_get_for(conf, pending, "agent");
  vsc_pve_agent_port agent_port = vsc_pve_agent_port_of(agent);
  if (agent_port == VSC_PVE_AGENT_VIRTIO) {
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
  } else if (agent_port == VSC_PVE_AGENT_ISA) {
    vsc_loc loc = vsc_pve_conf_key_loc(conf, pending, "agent");
    vsc_warning(diags, &loc, "qemu-import",
                "keep the line as it is, or use the agent on its virtio port (agent: 1), which a spec can hold",
                "'agent: %s' is not read: qemu-server's agent on an ISA serial port has no form in a spec", agent);
  }

  VSC_AUTOFREE(char) args = vsc_pve_conf_get_for(conf, pending, "args");
  vsc_loc args_loc = vsc_pve_conf_key_loc(conf, pending, "args");
  size_t n = 0;
  vsc_diags tmp = { 0 };
  char **words = vsc_pve_args_split(args ? args : "", &n, NULL, &tmp);
  vsc_diags_clear(&tmp);
  if (!words) {
    vsc_error(diags, &args_loc, "pve-args-quotes", "fix the quoting of args: by hand first",
              "args: cannot be read: its quotes do not balance (qemu-server ignores all of it)");
    return -1;
  }
  const char *pfx = prefix && *prefix ? prefix : VSC_PVE_ID_PREFIX;
  VSC_AUTOFREE(size_t) used = vsc_calloc(n + 1, sizeof(size_t));
  size_t first = set->ndevs;
  vsc_qemu_read_args(words, n, pfx, set, used, diags);
  for (size_t i = first; i < set->ndevs; i++) {
    vsc_chardev *dev = set->devs[i];
    set_origin(dev, conf, pending, "args");
    drop_derived_alias(dev, pfx);
  }
  /* vschan's own controller, and what of vschan's is not a character
   * device (vhost-user devices, the memory object): said, not read */
  size_t not_read = 0;
  for (size_t i = 0; i < n; i++) {
    if (used[i] || !vsc_pve_arg_is_owned(words[i], pfx))
      continue;
    if (i > 0 && strcmp(words[i - 1], "-device") == 0 && strncmp(words[i], "virtio-serial-pci,", 18) == 0) {
      read_controller(words[i], set);
      continue;
    }
    not_read++;
  }
  if (not_read)
    vsc_diag_add(diags, VSC_SEV_NOTE, &args_loc, NULL,
                 "keep the spec they were written from for them, or write them into this one",
                 "%zu arguments of vschan's in args: are not character devices (vhost-user devices, "
                 "their memory): not read", not_read);
  vsc_pve_argv_free(words);
  return 0;
}
