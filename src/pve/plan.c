#include "plan.h"

#include "model/backend.h"

#include "util/str.h"

#include <stdio.h>
#include <string.h>

/* Nothing qemu-server's serialN/agent lines could not carry. */
static bool plain(const vsc_chardev *dev)
{
  return !dev->alias && !dev->address.type && !dev->log_file && !dev->has_acpi_index &&
         dev->protocol == VSC_PROTOCOL_ABSENT && dev->nsources <= 1;
}

/* serialN: for a serial port qemu-server can create itself, else -1. */
static int native_serial(unsigned vmid, const vsc_chardev *dev, int next_free, char **value)
{
  vsc_target_type tt = vsc_chardev_target_type(dev);
  const vsc_source *src = vsc_chardev_main_source(dev);
  int port = dev->has_target && dev->target.has_port ? (int)dev->target.port : next_free;

  if (dev->kind != VSC_KIND_SERIAL || tt != VSC_TARGET_ISA_SERIAL || !plain(dev) ||
      (dev->target.model != VSC_MODEL_ABSENT && dev->target.model != VSC_MODEL_ISA_SERIAL) ||
      port < 0 || port >= VSC_PVE_MAX_SERIAL || !src || !src->path)
    return -1;
  vsc_pve_native native = vsc_chardev_backend_info(dev)->pve;
  if (native == VSC_PVE_OWN_SOCKET && src->mode == VSC_MODE_BIND && !src->has_reconnect) {
    /* qemu-server's own socket names the port: VMID.serialN. */
    for (int n = 0; n < VSC_PVE_MAX_SERIAL; n++) {
      char own[128], own_run[128];
      snprintf(own, sizeof(own), "/var/run/qemu-server/%u.serial%d", vmid, n);
      snprintf(own_run, sizeof(own_run), "/run/qemu-server/%u.serial%d", vmid, n);
      if ((vsc_streq(src->path, own) || vsc_streq(src->path, own_run)) &&
          (!dev->has_target || !dev->target.has_port || (int)dev->target.port == n)) {
        *value = vsc_strdup("socket");
        return n;
      }
    }
    return -1;
  }
  /* qemu-server's pattern is /dev/[^,]+ */
  if (native == VSC_PVE_HOST_DEVICE && strncmp(src->path, "/dev/", 5) == 0 &&
      !strchr(src->path, ',') && !strpbrk(src->path, " \t\n\r")) {
    *value = vsc_strdup(src->path);
    return port;
  }
  return -1;
}

static bool native_agent(unsigned vmid, const vsc_chardev *dev)
{
  const vsc_source *src = vsc_chardev_main_source(dev);
  char own[128];
  snprintf(own, sizeof(own), "/var/run/qemu-server/%u.qga", vmid);
  return dev->kind == VSC_KIND_CHANNEL && vsc_chardev_is_virtio_serial(dev) && plain(dev) &&
         vsc_streq(dev->target.name, "org.qemu.guest_agent.0") &&
         vsc_chardev_backend_info(dev)->pve == VSC_PVE_OWN_SOCKET && !vsc_chardev_virtio_port(dev) &&
         (!src || ((!src->path || vsc_streq(src->path, own)) && src->mode != VSC_MODE_CONNECT &&
                   !src->has_reconnect));
}

int vsc_pve_plan_build(unsigned vmid, const vsc_devset *set, const vsc_qemu_opts *qopts,
                       vsc_pve_plan *plan, vsc_diags *diags)
{
  int next_free = 0;

  bool has_serial = vsc_devset_first(set, VSC_KIND_SERIAL) != NULL;

  memset(plan, 0, sizeof(*plan));
  vsc_devset_init(&plan->rest);
  plan->rest.controller = set->controller;
  for (size_t i = 0; i < set->ndevs; i++) {
    const vsc_chardev *dev = set->devs[i];
    char *value = NULL;
    int port;

    if (vsc_chardev_backend_info(dev)->flags & VSC_BF_NEEDS_STDIO) {
      VSC_AUTOFREE(char) what = vsc_chardev_describe(dev);
      vsc_error(diags, NULL, "pve-backend",
                "use a unix socket (vschan connect reaches it) or a pty (qm terminal)",
                "%s: qemu-server starts QEMU with -daemonize, which refuses a %s chardev",
                what, vsc_backend_to_string(vsc_chardev_backend(dev)));
      return -1;
    }

    while (next_free < VSC_PVE_MAX_SERIAL && plan->serial[next_free])
      next_free++;
    if ((port = native_serial(vmid, dev, next_free, &value)) >= 0 && !plan->serial[port]) {
      plan->serial[port] = value;
      continue;
    }
    free(value);
    if (!plan->agent && native_agent(vmid, dev)) {
      plan->agent = true;
      continue;
    }
    /* A <console> with a serial target is libvirt's alias of the first
     * serial port; QEMU has nothing to add for it, unless there is no
     * serial port: then it is one (libvirt adds it), never dropped. */
    if (vsc_chardev_is_compat_console(dev) && has_serial)
      continue;
    vsc_chardev *copy = vsc_chardev_copy(dev);
    /* QEMU is started with -daemonize: a unix channel without a path listens
     * next to qemu-server's own sockets. */
    if (vsc_chardev_path_generated(copy) && copy->target.name) {
      vsc_source *src = copy->nsources ? &copy->sources[0] : vsc_chardev_add_source(copy);
      src->path = vsc_asprintf("/var/run/qemu-server/%u.%s", vmid, copy->target.name);
      src->mode = VSC_MODE_BIND;
    }
    vsc_devset_add(&plan->rest, copy);
  }
  /* qemu-server adds its serialN ports first, without index=, so they take
   * the lowest ISA indices; one of ours with an explicit lower index would
   * clash with them at start. */
  int nnative = 0;
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++)
    nnative += plan->serial[i] != NULL;
  for (size_t i = 0; i < plan->rest.ndevs; i++) {
    const vsc_chardev *dev = plan->rest.devs[i];
    /* a lone serial console is ISA serial port 0 (or its target port) */
    bool console = vsc_chardev_is_compat_console(dev);
    bool isa = console || (dev->kind == VSC_KIND_SERIAL && vsc_chardev_target_type(dev) == VSC_TARGET_ISA_SERIAL);
    bool has_port = dev->has_target && dev->target.has_port;
    unsigned int index = has_port ? dev->target.port : 0;
    if (isa && (has_port || console) && (int)index < nnative) {
      vsc_error(diags, NULL, "pve-serial-index",
                "give it a target port of at least the number of serialN lines, or leave the port out",
                "%s %u would take an ISA index that qemu-server's own serialN ports use",
                console ? "the serial console, serial port" : "serial port", index);
      return -1;
    }
  }
  if (plan->rest.ndevs == 0)
    return 0;
  return vsc_qemu_build_argv(&plan->rest, qopts, &plan->argv, &plan->argc, diags);
}

void vsc_pve_plan_clear(vsc_pve_plan *plan)
{
  for (size_t i = 0; i < VSC_PVE_MAX_SERIAL; i++)
    free(plan->serial[i]);
  vsc_devset_clear(&plan->rest);
  if (plan->argv)
    vsc_qemu_argv_free(plan->argv, plan->argc);
  memset(plan, 0, sizeof(*plan));
}
