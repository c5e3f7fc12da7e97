#include "plan.h"

#include "model/backend.h"
#include "model/vhost.h"

#include "util/buf.h"
#include "util/str.h"
#include "util/strset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nothing qemu-server's serialN/agent lines could not carry. */
static bool plain(const vsc_chardev *dev)
{
  return !dev->alias && !dev->address.type && !dev->log_file && !dev->has_acpi_index &&
         dev->protocol == VSC_PROTOCOL_ABSENT && dev->nsources <= 1;
}

/* serialN: *value for a serial port qemu-server can create itself, with
 * *port its index (-1: the spec leaves it open).  False when the port has
 * no native line. */
static bool native_serial(unsigned vmid, const vsc_chardev *dev, int *port, char **value)
{
  vsc_target_type tt = vsc_chardev_target_type(dev);
  const vsc_source *src = vsc_chardev_main_source(dev);

  *port = dev->has_target && dev->target.has_port ? (int)dev->target.port : -1;
  if (dev->kind != VSC_KIND_SERIAL || tt != VSC_TARGET_ISA_SERIAL || !plain(dev) ||
      (dev->target.model != VSC_MODEL_ABSENT && dev->target.model != VSC_MODEL_ISA_SERIAL) ||
      *port >= VSC_PVE_MAX_SERIAL || !src || !src->path)
    return false;
  vsc_pve_native native = vsc_chardev_backend_info(dev)->pve;
  if (native == VSC_PVE_OWN_SOCKET && src->mode == VSC_MODE_BIND && !src->has_reconnect) {
    /* qemu-server's own socket names the port: VMID.serialN. */
    for (int n = 0; n < VSC_PVE_MAX_SERIAL; n++) {
      char own[128], own_run[128];
      snprintf(own, sizeof(own), "/var/run/qemu-server/%u.serial%d", vmid, n);
      snprintf(own_run, sizeof(own_run), "/run/qemu-server/%u.serial%d", vmid, n);
      if ((vsc_streq(src->path, own) || vsc_streq(src->path, own_run)) && (*port < 0 || *port == n)) {
        *value = vsc_strdup("socket");
        *port = n;
        return true;
      }
    }
    return false;
  }
  /* qemu-server's pattern is /dev/[^,]+ */
  if (native == VSC_PVE_HOST_DEVICE && strncmp(src->path, "/dev/", 5) == 0 &&
      !strchr(src->path, ',') && !strpbrk(src->path, " \t\n\r")) {
    *value = vsc_strdup(src->path);
    return true;
  }
  return false;
}

/* The line (serialN, parallelN) a port the spec leaves open takes: the
 * one that already has its value, else the first one neither planned nor
 * the user's. */
static int open_index(char *const *planned, int max, const char *prefix, const vsc_pve_conf *conf,
                      bool pending, const char *value)
{
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < max; i++) {
      char key[32];
      snprintf(key, sizeof(key), "%s%d", prefix, i);
      if (planned[i])
        continue;
      if (!conf)
        return i;
      VSC_AUTOFREE(char) cur = vsc_pve_conf_get_for(conf, pending, key);
      if (pass == 0 ? vsc_streq(cur, value)
                    : vsc_pve_owner_of(conf, pending, key) != VSC_PVE_LINE_USERS)
        return i;
    }
  }
  return -1;
}

/* parallelN: *value for a parallel port on a host device qemu-server
 * takes (/dev/parportN, /dev/usb/lpN), *port its index (-1: open). */
static bool native_parallel(const vsc_chardev *dev, int *port, char **value)
{
  const vsc_source *src = vsc_chardev_main_source(dev);
  *port = dev->has_target && dev->target.has_port ? (int)dev->target.port : -1;
  if (dev->kind != VSC_KIND_PARALLEL || !plain(dev) || *port >= VSC_PVE_MAX_PARALLEL || !src ||
      !src->path || vsc_chardev_backend_info(dev)->pve != VSC_PVE_HOST_DEVICE)
    return false;
  if (!vsc_pve_parallel_value_ok(src->path))
    return false;
  *value = vsc_strdup(src->path);
  return true;
}

/* The QEMU arguments of one device on its own, ids and placement as
 * vschan writes them: two devices with the same text are the same
 * device to QEMU.  NULL when vschan cannot write it. */
static char *device_text(const vsc_chardev *dev, const vsc_qemu_opts *qopts)
{
  VSC_AUTOPTR(vsc_chardev) copy = vsc_chardev_copy(dev);
  free(copy->alias);
  copy->alias = NULL;
  return vsc_qemu_device_text(copy, qopts);
}

/* The devices the user's own words of args: give (not vschan's): a
 * device of the spec the VM has there already is left to the user, as a
 * native line of the user's is, or taken over (--force). */
typedef struct {
  char **words;       /* the user's words of args: */
  size_t nwords;
  size_t *device_of;  /* per word: 1 + the device it belongs to, or 0 */
  vsc_strset texts;   /* each device's device_text -> 1 + its number */
} user_args;

static void user_args_read(const vsc_pve_conf *conf, bool pending, const vsc_qemu_opts *qopts, user_args *u)
{
  VSC_AUTOFREE(char) args = vsc_pve_conf_get_for(conf, pending, "args");
  vsc_devset found;
  vsc_diags quiet = { 0 };
  u->words = vsc_pve_args_user(args, qopts->id_prefix, &u->nwords);
  u->device_of = vsc_calloc(u->nwords + 1, sizeof(size_t));
  vsc_devset_init(&found);
  vsc_qemu_read_args(u->words, u->nwords, NULL, &found, u->device_of, &quiet);
  for (size_t i = 0; i < found.ndevs; i++) {
    VSC_AUTOFREE(char) text = device_text(found.devs[i], qopts);
    if (*text && vsc_strset_add(&u->texts, text))
      vsc_strset_find(&u->texts, text)->value = i + 1;
  }
  vsc_devset_clear(&found);
  vsc_diags_clear(&quiet);
}

static void user_args_clear(user_args *u)
{
  vsc_pve_argv_free(u->words);
  free(u->device_of);
  vsc_strset_clear(&u->texts);
}

/* The serialN lines the VM will have, the plan's and the user's, as
 * "serial0, serial2": *n of them. */
static char *serial_lines(const vsc_pve_plan *plan, const vsc_pve_conf *conf, bool pending, int *n)
{
  vsc_buf b = { 0 };
  *n = 0;
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++) {
    char key[16];
    snprintf(key, sizeof(key), "serial%d", i);
    if (plan->serial[i] || (conf && vsc_pve_owner_of(conf, pending, key) == VSC_PVE_LINE_USERS)) {
      vsc_buf_printf(&b, "%s'%s:'", *n ? ", " : "", key);
      (*n)++;
    }
  }
  return vsc_buf_steal(&b);
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

static int plan_build(unsigned vmid, const vsc_devset *set, const vsc_qemu_opts *qopts,
                      const vsc_pve_conf *conf, bool pending, bool adopt, const user_args *user,
                      vsc_pve_plan *plan, vsc_diags *diags)
{
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

    if (native_serial(vmid, dev, &port, &value)) {
      if (port < 0)
        port = open_index(plan->serial, VSC_PVE_MAX_SERIAL, "serial", conf, pending, value);
      if (port >= 0 && !plan->serial[port]) {
        plan->serial[port] = value;
        continue;
      }
    } else if (native_parallel(dev, &port, &value)) {
      if (port < 0)
        port = open_index(plan->parallel, VSC_PVE_MAX_PARALLEL, "parallel", conf, pending, value);
      if (port >= 0 && !plan->parallel[port]) {
        plan->parallel[port] = value;
        continue;
      }
    }
    free(value);
    value = NULL;
    if (!plan->agent && native_agent(vmid, dev)) {
      plan->agent = true;
      continue;
    }
    /* A <console> with a serial target is libvirt's alias of the first
     * serial port; QEMU has nothing to add for it, unless there is no
     * serial port: then it is one (libvirt adds it), never dropped. */
    if (vsc_chardev_is_compat_console(dev) && has_serial)
      continue;
    if (user->texts.n) {
      VSC_AUTOFREE(char) text = device_text(dev, qopts);
      vsc_strset_entry *e = *text ? vsc_strset_find(&user->texts, text) : NULL;
      if (e && !adopt)
        continue;
      /* taken over: its arguments (option and value) go, vschan writes
       * it with its own ids */
      for (size_t w = 0; e && w + 1 < user->nwords; w++) {
        if (user->device_of[w] != e->value || user->device_of[w + 1] != e->value)
          continue;
        *(char **)vsc_append(&plan->drop, &plan->ndrop, sizeof(char *)) = vsc_strdup(user->words[w]);
        *(char **)vsc_append(&plan->drop, &plan->ndrop, sizeof(char *)) = vsc_strdup(user->words[w + 1]);
        w++;
      }
    }
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
  int nnative;
  VSC_AUTOFREE(char) lines = serial_lines(plan, conf, pending, &nnative);
  for (size_t i = 0; i < plan->rest.ndevs; i++) {
    const vsc_chardev *dev = plan->rest.devs[i];
    /* a lone serial console is ISA serial port 0 (or its target port) */
    bool console = vsc_chardev_is_compat_console(dev);
    bool isa = console || (dev->kind == VSC_KIND_SERIAL && vsc_chardev_target_type(dev) == VSC_TARGET_ISA_SERIAL);
    bool has_port = dev->has_target && dev->target.has_port;
    unsigned int index = has_port ? dev->target.port : 0;
    if (isa && (has_port || console) && (int)index < nnative) {
      vsc_loc loc = { .file = conf ? conf->file : NULL };
      VSC_AUTOFREE(char) hint = vsc_asprintf("give it target port %d or higher, or leave the port out (a "
                                             "template: --set port=%d)", nnative, nnative);
      vsc_error(diags, &loc, "pve-serial-index", hint,
                "%s %u would take ISA index %u, which qemu-server gives to the port of %s (it numbers "
                "its serialN ports first, from 0)",
                console ? "the serial console, serial port" : "serial port", index, index, lines);
      return -1;
    }
    /* serialN is the port N of a spec (so qm import reads it): a port of
     * that number in args: would be a second port N */
    char key[32];
    snprintf(key, sizeof(key), "serial%u", index);
    if (isa && has_port && index < VSC_PVE_MAX_SERIAL &&
        (plan->serial[index] || (conf && vsc_pve_owner_of(conf, pending, key) == VSC_PVE_LINE_USERS))) {
      vsc_loc loc = vsc_pve_conf_key_loc(conf, pending, key);
      if (!conf)
        loc = (vsc_loc){ 0 };
      vsc_error(diags, &loc, "pve-serial-index", "give the serial port another target port",
                "serial port %u: '%s:' is serial port %u already (an ISA port of qemu-server's), and this one "
                "cannot be that line",
                index, key, index);
      return -1;
    }
  }
  /* vhost-user devices: qemu-server has no line for a daemon the user
   * runs.  A directory for libvirt's own virtiofsd is qemu-server's
   * virtiofsN line, which names a directory mapping of the cluster:
   * vschan cannot make that, and says how. */
  bool dir_fs = false;
  for (size_t i = 0; i < set->nvhosts; i++) {
    const vsc_vhost *v = set->vhosts[i];
    if (v->kind == VSC_VHOST_FS && !vsc_vhost_socket(v)) {
      const char *tag = vsc_vhost_name(v) ? vsc_vhost_name(v) : "TAG";
      const char *dir = vsc_vhost_get(v, VSC_VF_SOURCE_DIR) ? vsc_vhost_get(v, VSC_VF_SOURCE_DIR) : "DIR";
      vsc_loc loc = { .file = v->origin.file, .line = v->origin.line, .pointer = v->origin.pointer };
      VSC_AUTOFREE(char) hint = vsc_asprintf(
        "Proxmox VE 8.4 shares a directory itself: map it once for the cluster ('pvesh create "
        "/cluster/mapping/dir --id %s --map node=NODE,path=%s') and add it to the VM ('qm set %u "
        "--virtiofs0 dirid=%s'; the mapping id is the guest's mount tag); or run virtiofsd yourself "
        "and give source.socket", tag, dir, vmid, tag);
      vsc_error(diags, &loc, "qemu-virtiofsd", hint,
                "virtiofs filesystem '%s': source.dir needs a virtiofsd that qemu-server starts from a "
                "directory mapping, which vschan does not write", tag);
      dir_fs = true;
      continue;
    }
    vsc_devset_add_vhost(&plan->rest, vsc_vhost_copy(v));
  }
  if (dir_fs)
    return -1;
  if (set->memory.present) {
    plan->rest.memory = set->memory;
    plan->rest.memory.source_type = vsc_strdup(set->memory.source_type);
    plan->rest.memory.access_mode = vsc_strdup(set->memory.access_mode);
    vsc_origin_copy(&plan->rest.memory.origin, &set->memory.origin);
  }
  if (plan->rest.ndevs == 0 && plan->rest.nvhosts == 0)
    return 0;
  return vsc_qemu_build_argv(&plan->rest, qopts, &plan->argv, &plan->argc, diags);
}

int vsc_pve_plan_build(unsigned vmid, const vsc_devset *set, const vsc_qemu_opts *qopts,
                       const vsc_pve_conf *conf, bool pending, bool adopt, vsc_pve_plan *plan, vsc_diags *diags)
{
  user_args user = { 0 };
  if (conf)
    user_args_read(conf, pending, qopts, &user);
  int rc = plan_build(vmid, set, qopts, conf, pending, adopt, &user, plan, diags);
  user_args_clear(&user);
  return rc;
}

/* The MiB of "memory: 4096" or "memory: current=4096,...": qemu-server's
 * default is 512. */
static unsigned long config_memory_mib(const vsc_pve_conf *conf)
{
  VSC_AUTOFREE(char) v = vsc_pve_conf_get_effective(conf, "memory");
  const char *at = v;
  if (!v)
    return 512;
  for (const char *p = v; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
    if (strncmp(p, "current=", 8) == 0)
      at = p + 8;
  if (at == v && strchr(v, '='))
    return 512;   /* only other keys: the default size */
  return strtoul(at, NULL, 10);
}

int vsc_pve_plan_memory(const vsc_pve_conf *conf, const char *path, vsc_qemu_opts *qopts, char **size,
                        vsc_diags *diags)
{
  vsc_loc loc = { .file = path };
  VSC_AUTOFREE(char) numa = vsc_pve_conf_get_effective(conf, "numa");
  VSC_AUTOFREE(char) hugepages = vsc_pve_conf_get_effective(conf, "hugepages");
  bool has_virtiofs = false;
  for (int i = 0; i < 10 && !has_virtiofs; i++) {
    char key[16];
    snprintf(key, sizeof(key), "virtiofs%d", i);
    VSC_AUTOFREE(char) v = vsc_pve_conf_get_effective(conf, key);
    has_virtiofs = v != NULL;
  }
  *size = NULL;
  if (numa && strcmp(numa, "0") != 0) {
    /* qemu-server backs each NUMA node itself: memory-backend-file with
     * share=on under hugepages, memory-backend-ram (not shareable) without */
    if (!hugepages) {
      vsc_error(diags, &loc, "pve-memory",
                "set hugepages (qemu-server then shares each node's memory), or numa: 0 (vschan then adds "
                "shared memory)",
                "numa: 1 without hugepages: qemu-server backs the guest's memory with memory-backend-ram, "
                "which vhost-user daemons cannot map");
      return -1;
    }
    qopts->memory_shared = true;
    return 0;
  }
  if (has_virtiofs) {
    /* qemu-server shares the memory for its own virtiofs (its virtiofs-mem
     * object): a second memory backend would fight it */
    qopts->memory_shared = true;
    return 0;
  }
  unsigned long mib = config_memory_mib(conf);
  if (mib == 0) {
    vsc_error(diags, &loc, "pve-memory", "write memory: as qemu-server does, a number of MiB",
              "cannot read the guest's memory size from 'memory:'");
    return -1;
  }
  *size = vsc_asprintf("%luM", mib);
  qopts->memory = *size;
  return 0;
}

void vsc_pve_plan_clear(vsc_pve_plan *plan)
{
  for (size_t i = 0; i < VSC_PVE_MAX_SERIAL; i++)
    free(plan->serial[i]);
  for (size_t i = 0; i < VSC_PVE_MAX_PARALLEL; i++)
    free(plan->parallel[i]);
  for (size_t i = 0; i < plan->ndrop; i++)
    free(plan->drop[i]);
  free(plan->drop);
  vsc_devset_clear(&plan->rest);
  if (plan->argv)
    vsc_qemu_argv_free(plan->argv, plan->argc);
  memset(plan, 0, sizeof(*plan));
}

const char *vsc_pve_plan_native(const vsc_pve_plan *plan, const char *key)
{
  return vsc_pve_native_pick(key, plan->agent, (const char *const *)plan->serial,
                             (const char *const *)plan->parallel);
}

bool vsc_pve_plan_has_native(const vsc_pve_plan *plan)
{
  for (size_t k = 0; k < VSC_PVE_N_NATIVE_KEYS; k++)
    if (vsc_pve_plan_native(plan, vsc_pve_native_keys[k]))
      return true;
  return false;
}
