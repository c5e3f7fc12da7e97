/* What a qemu-server config gives the VM at its next start, as far as
 * character devices go: the ISA serial ports, the virtio-serial port names
 * and whether SPICE runs.  qemu-server adds its own devices for serialN,
 * agent, vga and spice_enhancements before the args: line (proxmox.md,
 * sections 2 and 3), so a config that is fine line by line can still give
 * QEMU two ports of one name, or five ISA serial ports, and QEMU refuses
 * to start the VM. */
#include "pve.h"

#include "qemu/qemu.h"

#include "util/buf.h"
#include "util/strset.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One item of a Proxmox property string ("key=value,key=value"), an
 * item without '=' anywhere standing for first_key (as
 * parse_property_string reads its default key); such strings have no
 * escaped comma.  NULL when absent.  (QEMU's strings:
 * vsc_qemu_opt_value.) */
static char *opt_get(const char *s, const char *key, const char *first_key)
{
  size_t klen = strlen(key);
  for (const char *p = s ? s : ""; *p;) {
    size_t len = strcspn(p, ",");
    VSC_AUTOFREE(char) text = vsc_strndup(p, len);
    p += len + (p[len] == ',');
    if (strncmp(text, key, klen) == 0 && text[klen] == '=')
      return vsc_strdup(text + klen + 1);
    if (first_key && strcmp(key, first_key) == 0 && !strchr(text, '='))
      return vsc_steal(&text);
  }
  return NULL;
}

/* Proxmox's booleans (PVE::JSONSchema: 1|0, on|off, yes|no, true|false). */
static bool prop_true(const char *v)
{
  return v && (strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0 || strcasecmp(v, "yes") == 0 ||
               strcasecmp(v, "true") == 0);
}

vsc_pve_agent_port vsc_pve_agent_port_of(const char *value)
{
  VSC_AUTOFREE(char) enabled = opt_get(value, "enabled", "enabled");
  VSC_AUTOFREE(char) atype = opt_get(value, "type", NULL);
  if (!prop_true(enabled))
    return VSC_PVE_AGENT_OFF;
  return atype && strcmp(atype, "isa") == 0 ? VSC_PVE_AGENT_ISA : VSC_PVE_AGENT_VIRTIO;
}

typedef struct {
  bool agent_virtio;     /* agent enabled, its port on qemu-server's qga0 */
  bool agent_isa;        /* agent enabled with type=isa: an ISA serial port */
  bool spice;            /* vga: qxl, qxl2, qxl3, qxl4: SPICE and its agent port */
  bool vnc_clipboard;    /* vga: ...,clipboard=vnc: a qemu-vdagent port */
  bool foldersharing;    /* spice_enhancements: foldersharing=1 (with SPICE) */
  bool serial[VSC_PVE_MAX_SERIAL]; /* serialN lines */
  char **argv;           /* args:, split as qemu-server splits it */
  size_t argc;
  bool args_unbalanced;  /* qemu-server drops such an args: line whole */
} vm_view;

static void vm_view_read(const vsc_pve_conf *conf, bool pending, vm_view *vm)
{
  memset(vm, 0, sizeof(*vm));
  VSC_AUTOFREE(char) agent = vsc_pve_conf_get_for(conf, pending, "agent");
  vsc_pve_agent_port port = vsc_pve_agent_port_of(agent);
  vm->agent_isa = port == VSC_PVE_AGENT_ISA;
  vm->agent_virtio = port == VSC_PVE_AGENT_VIRTIO;

  /* qemu-server's vga_conf_has_spice: type qxl, qxl2, qxl3 or qxl4. */
  VSC_AUTOFREE(char) vga = vsc_pve_conf_get_for(conf, pending, "vga");
  VSC_AUTOFREE(char) vtype = opt_get(vga, "type", "type");
  VSC_AUTOFREE(char) clipboard = opt_get(vga, "clipboard", NULL);
  vm->spice = vtype && strncmp(vtype, "qxl", 3) == 0 &&
              (vtype[3] == '\0' || (vtype[3] >= '2' && vtype[3] <= '4' && vtype[4] == '\0'));
  vm->vnc_clipboard = clipboard && strcmp(clipboard, "vnc") == 0;
  VSC_AUTOFREE(char) enh = vsc_pve_conf_get_for(conf, pending, "spice_enhancements");
  VSC_AUTOFREE(char) folders = opt_get(enh, "foldersharing", NULL);
  vm->foldersharing = vm->spice && prop_true(folders);

  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++) {
    VSC_AUTOFREE(char) key = vsc_asprintf("serial%d", i);
    VSC_AUTOFREE(char) v = vsc_pve_conf_get_for(conf, pending, key);
    vm->serial[i] = v != NULL;
  }

  VSC_AUTOFREE(char) args = vsc_pve_conf_get_for(conf, pending, "args");
  vsc_diags split_diags = { 0 };
  vm->argv = vsc_pve_args_split(args, &vm->argc, NULL, &split_diags);
  vsc_diags_clear(&split_diags);
  /* Said once here rather than as !argv, so that the readers below need no
   * NULL check of their own (clang's analyzer cannot tie argv to argc). */
  vm->args_unbalanced = !vm->argv;
  if (!vm->argv)
    vm->argc = 0;
}

static void vm_view_clear(vm_view *vm)
{
  vsc_pve_argv_free(vm->argv);
  memset(vm, 0, sizeof(*vm));
}

/* The options of args: as (option, value) pairs; "--opt" is "-opt". */
static const char *arg_opt(const vm_view *vm, size_t i)
{
  return vm->argv[i] + (strncmp(vm->argv[i], "--", 2) == 0);
}

/* A -device value's driver and property, in key=value or JSON form. */
static char *device_prop(const char *val, const char *key)
{
  if (val[0] != '{')
    return vsc_qemu_opt_value(val, "driver", key);
  json_t *obj = json_loads(val, 0, NULL);
  const char *v = json_string_value(json_object_get(obj, key));
  char *copy = v ? vsc_strdup(v) : NULL;
  json_decref(obj);
  return copy;
}

/* The ISA serial ports QEMU creates, in its order (checked with QEMU 7.2's
 * info qtree): first the -serial options of args, at machine init, the
 * Nth taking index N; then the isa-serial devices in command-line order:
 * qemu-server's serialN ports, its ISA agent, then those of args.  A
 * device without index= takes the count of ISA serial ports realized
 * before it (serial_isa_realizefn's static counter), whatever their
 * indices, and QEMU does not refuse two ports at one index: the guest
 * then finds only one at that I/O port. */
typedef struct {
  int index;
  char *what; /* for the message */
  bool ours;  /* vschan's (its id prefix) */
} isa_port;

static void isa_add(isa_port **ports, size_t *n, int index, char *what, bool ours)
{
  *(isa_port *)vsc_append(ports, n, sizeof(isa_port)) = (isa_port){ index, what, ours };
}

static size_t isa_ports(const vm_view *vm, const char *prefix, isa_port **ports)
{
  size_t n = 0;
  int nth_serial = 0;

  *ports = NULL;
  for (size_t i = 0; i + 1 < vm->argc; i++) {
    if (strcmp(arg_opt(vm, i), "-serial") != 0)
      continue;
    if (strcmp(vm->argv[i + 1], "none") != 0)
      isa_add(ports, &n, nth_serial, vsc_asprintf("'-serial %s' in args:", vm->argv[i + 1]),
              vsc_pve_arg_is_owned(vm->argv[i + 1], prefix));
    nth_serial++;
  }
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++)
    if (vm->serial[i])
      isa_add(ports, &n, (int)n, vsc_asprintf("'serial%d:'", i), false);
  if (vm->agent_isa)
    isa_add(ports, &n, (int)n, vsc_strdup("'agent: type=isa'"), false);
  for (size_t i = 0; i + 1 < vm->argc; i++) {
    const char *val = vm->argv[i + 1];
    if (strcmp(arg_opt(vm, i), "-device") != 0)
      continue;
    VSC_AUTOFREE(char) driver = device_prop(val, "driver");
    if (!driver || strcmp(driver, "isa-serial") != 0)
      continue;
    VSC_AUTOFREE(char) index = device_prop(val, "index");
    char *end = NULL;
    long idx = index ? strtol(index, &end, 0) : (long)n;
    if (index && (*end || idx < 0 || idx > 1000))
      idx = (long)n;
    isa_add(ports, &n, (int)idx, vsc_asprintf("'-device %s' in args:", val),
            vsc_pve_arg_is_owned(val, prefix));
  }
  return n;
}

/* At most four ISA serial ports, each at its own index; a clash the user
 * made alone is only a warning (vschan does not refuse to edit around
 * it). */
static int check_isa_serial(const vm_view *vm, const char *prefix, vsc_diags *diags)
{
  isa_port *ports;
  size_t n = isa_ports(vm, prefix, &ports);
  int rc = 0;

  if (n > VSC_PVE_MAX_SERIAL) {
    vsc_error(diags, NULL, "pve-serial-count",
              "QEMU has four ISA serial ports (COM1-COM4); use virtio consoles or channels for "
              "more",
              "the VM would have %zu ISA serial ports (serialN lines, isa-serial devices and "
              "-serial options in args, an ISA agent)", n);
    rc = -1;
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    for (size_t j = 0; j < i; j++) {
      if (ports[i].index != ports[j].index)
        continue;
      bool ours = ports[i].ours || ports[j].ours;
      vsc_diag_add(diags, ours ? VSC_SEV_ERROR : VSC_SEV_WARNING, &(vsc_loc){ 0 }, "pve-serial-index",
                   ours ? "give vschan's serial port a target port no other port has, or leave the port "
                          "out (it then takes the next free one)"
                        : "give the isa-serial device in args: another index=, or none",
                   "ISA serial index %d (COM%d) is taken twice, by %s and by %s: QEMU starts, but "
                   "the guest sees only one of them", ports[i].index, ports[i].index + 1,
                   ports[j].what, ports[i].what);
      if (ours)
        rc = -1;
      break;
    }
  }
  for (size_t i = 0; i < n; i++)
    free(ports[i].what);
  free(ports);
  return rc;
}

typedef struct {
  char *name;
  const char *from; /* what adds it, for the message */
} port_name;

static void port_add(port_name **ports, size_t *n, const char *name, const char *from)
{
  *(port_name *)vsc_append(ports, n, sizeof(port_name)) = (port_name){ vsc_strdup(name), from };
}

/* Every virtio-serial port name the VM gets, with what adds it; two of
 * one name and QEMU stops: "A port already exists by name NAME". */
static int check_port_names(const vm_view *vm, vsc_diags *diags)
{
  port_name *ports = NULL;
  size_t n = 0;
  int rc = 0;

  if (vm->agent_virtio)
    port_add(&ports, &n, "org.qemu.guest_agent.0", "'agent:' (qemu-server's agent port)");
  if (vm->spice || vm->vnc_clipboard)
    port_add(&ports, &n, "com.redhat.spice.0",
             vm->spice ? "'vga: qxl' (qemu-server's SPICE agent port)"
                       : "'vga: clipboard=vnc' (qemu-server's vdagent port)");
  if (vm->foldersharing)
    port_add(&ports, &n, "org.spice-space.webdav.0",
             "'spice_enhancements: foldersharing' (qemu-server's webdav port)");
  for (size_t i = 0; i + 1 < vm->argc; i++) {
    if (strcmp(arg_opt(vm, i), "-device") != 0)
      continue;
    VSC_AUTOFREE(char) driver = device_prop(vm->argv[i + 1], "driver");
    if (!driver || (strcmp(driver, "virtserialport") != 0 && strcmp(driver, "virtconsole") != 0))
      continue;
    VSC_AUTOFREE(char) name = device_prop(vm->argv[i + 1], "name");
    if (name)
      port_add(&ports, &n, name, "'args:'");
  }

  /* hashed: a name seen before is the second port of that name */
  vsc_strset seen = { 0 };
  for (size_t i = 0; i < n; i++) {
    if (vsc_strset_add(&seen, ports[i].name)) {
      vsc_strset_find(&seen, ports[i].name)->value = i;
      continue;
    }
    size_t j = vsc_strset_find(&seen, ports[i].name)->value;
    vsc_error(diags, NULL, "pve-port-name",
              "drop the device from the spec, or turn off what qemu-server adds its port for",
              "the VM would have two virtio-serial ports named '%s', one from %s, one from "
              "%s; QEMU refuses to start it",
              ports[i].name, ports[j].from, ports[i].from);
    rc = -1;
  }
  vsc_strset_clear(&seen);
  for (size_t i = 0; i < n; i++)
    free(ports[i].name);
  free(ports);
  return rc;
}

/* spiceport needs a SPICE server ("spice not enabled", checked with real
 * QEMU); a spicevmc chardev starts without one but carries nothing. */
static int check_spice(const vm_view *vm, vsc_diags *diags)
{
  if (vm->spice)
    return 0;
  int rc = 0;
  for (size_t i = 0; i + 1 < vm->argc; i++) {
    if (strcmp(arg_opt(vm, i), "-chardev") != 0)
      continue;
    VSC_AUTOFREE(char) backend = vsc_qemu_opt_value(vm->argv[i + 1], "backend", "backend");
    if (backend && strcmp(backend, "spiceport") == 0) {
      vsc_error(diags, NULL, "pve-spice-not-enabled",
                "set a SPICE display (vga: qxl), or drop the spiceport channel",
                "args: has a spiceport chardev but the VM has no SPICE display; QEMU refuses to "
                "start it (\"spice not enabled\")");
      rc = -1;
    } else if (backend && strcmp(backend, "spicevmc") == 0) {
      vsc_warning(diags, NULL, "pve-spice-not-enabled",
                  "set a SPICE display (vga: qxl); for the VNC clipboard use vga: "
                  "...,clipboard=vnc instead",
                  "args: has a spicevmc chardev but the VM has no SPICE display: it carries "
                  "nothing");
    }
  }
  return rc;
}

int vsc_pve_vm_check(const vsc_pve_conf *conf, bool pending, const char *prefix, vsc_diags *diags)
{
  vm_view vm;
  int rc = 0;

  vm_view_read(conf, pending, &vm);
  if (vm.args_unbalanced)
    vsc_warning(diags, NULL, "pve-args-quotes",
                "fix the quoting of args by hand; qemu-server currently ignores all of it",
                "the quotes of args do not balance");
  if (check_isa_serial(&vm, prefix ? prefix : VSC_PVE_ID_PREFIX, diags) < 0)
    rc = -1;
  if (check_port_names(&vm, diags) < 0)
    rc = -1;
  if (check_spice(&vm, diags) < 0)
    rc = -1;
  vm_view_clear(&vm);
  return rc;
}
