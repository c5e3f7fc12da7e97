/* vschan qm: the Proxmox VE config lines for a spec, printed, as a 'qm set'
 * command, or written into /etc/pve/qemu-server/VMID.conf. */
#include "cli.h"
#include "qemu-version.h"
#include "pve/plan.h"
#include "spec/spec.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/sha1.h"
#include "util/shell.h"
#include "util/str.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
  fputs("usage: vschan qm VMID SPEC.json|- [--print-command]\n"
        "       vschan qm VMID SPEC.json|- --write [--conf PATH] [--lock-dir DIR] [--pending]\n"
        "                                  [--force] [--skiplock] [--timeout S] [--dry-run]\n"
        "                                  [--digest SHA1]\n"
        "       vschan qm import VMID [--conf PATH] [--pending]\n"
        "\n"
        "Print the Proxmox VE config lines for the devices: serialN: socket or\n"
        "serialN: /dev/... where qemu-server can create the port itself (a unix listen\n"
        "socket at /var/run/qemu-server/VMID.serialN, or a host device), agent: 1 for the\n"
        "standard guest agent channel, and one args: line for everything else.  The\n"
        "args: value survives Proxmox's shellwords splitting and QEMU's option parser.\n"
        "vschan changes only lines it wrote: its ids in args:, and the serialN:/agent:\n"
        "lines named in its record, a '#vschan owns ...' line of the VM's description.\n"
        "\n"
        "Options:\n"
        "  --print-command      print the equivalent 'qm set VMID ...' command; with the\n"
        "                       VM's config here (or --conf), the whole args: value and\n"
        "                       the lines that change, computed as --write would\n"
        "  --json               print {vmid, agent, serial, args, argv} as JSON\n"
        "  --write              edit the VM's config in place: take qemu-server's lock,\n"
        "                       re-read, replace vschan's own arguments in args: and keep\n"
        "                       the user's, keep every other line byte for byte, write a\n"
        "                       temporary file and rename it; print the diff.  Refuses\n"
        "                       a result QEMU could not start: five ISA serial ports, a\n"
        "                       port name qemu-server already uses (agent, SPICE, VNC\n"
        "                       clipboard), spiceport without a SPICE display\n"
        "  --dry-run            with --write: print the diff and the config's digest,\n"
        "                       take no lock, write nothing\n"
        "  --digest SHA1        with --write: refuse unless the config is still the one\n"
        "                       with this digest (as 'qm set --digest'; qm config prints it)\n"
        "  --conf PATH          the config file (default /etc/pve/qemu-server/VMID.conf)\n"
        "  --lock-dir DIR       the lock directory (default /var/lock/qemu-server)\n"
        "  --pending            write under [PENDING], applied at the next start (the\n"
        "                       default when the VM is running, as 'qm set' does)\n"
        "  --force              take over what of the user's the spec needs: serialN:,\n"
        "                       parallelN:, agent: lines and devices in args: (then\n"
        "                       written with vschan's ids, and managed by the spec)\n"
        "  --skiplock           edit even when the config has a lock: line (as qm set)\n"
        "  --timeout S          wait at most S seconds for the lock (default 10)\n"
        "  --prefix P           id prefix (default: vschan-)\n"
        "  --bus BUS, --addr A  pin vschan's virtio-serial-pci controller (default pci.2,\n"
        "                       0x1f: a slot qemu-server leaves free)\n"
        "  --tls-dir DIR, --tls-no-verify   TLS of a tcp source with tls: true, as for\n"
        "                       'vschan qemu-args'\n"
        "  --qemu-version V     the VM's QEMU, e.g. 9.2 (default: the installed kvm); from\n"
        "                       9.2 on, reconnect is written as reconnect-ms\n"
        "  --memory SIZE        the guest's memory for vhost-user devices when the VM's\n"
        "                       config is not here (else its memory: is used); with\n"
        "                       numa: 1 and hugepages, or virtiofsN: lines, qemu-server\n"
        "                       shares the memory itself and args: gets no memory object\n"
        "  --template NAME, --set KEY=VALUE, --templates-dir DIR,\n"
        "  --channel/--console/--serial/--parallel OPTS   as for 'vschan xml'\n"
        "  -h, --help           show this help\n"
        "\n"
        "Examples:\n"
        "  vschan qm 100 spec.json\n"
        "  vschan qm 100 --channel unix,path=/run/app.sock,name=org.example.app.0 --print-command\n"
        "  vschan qm 100 spec.json --write\n", out);
}

/* The value the VM's config gets for key (NULL: none). */
typedef struct {
  const vsc_pve_conf *conf; /* the config after the change; NULL: not at hand */
  bool pending;
} qm_result;

/* The lines for the devices: the native ones the plan has (with the
 * VM's config, the line as it will be), and the args: value. */
static void print_lines(const vsc_pve_plan *plan, const qm_result *res, const char *args)
{
  for (const char *const *key = vsc_pve_native_keys; *key; key++) {
    const char *want = vsc_pve_plan_native(plan, *key);
    if (!want)
      continue;
    VSC_AUTOFREE(char) v = res->conf ? vsc_pve_conf_get_for(res->conf, res->pending, *key) : NULL;
    printf("%s: %s\n", *key, v ? v : want);
  }
  if (args && *args)
    printf("args: %s\n", args);
}

/* The qm set command that makes the change.  With the VM's config (old
 * and new), every key that changes: the whole args: (the user's
 * arguments too, since --args replaces it), --delete for vschan's lines
 * that go, and --description when vschan's record in it changes. */
static void print_command(unsigned vmid, const vsc_pve_plan *plan, const vsc_pve_conf *old,
                          const qm_result *res, const char *args)
{
  vsc_buf b = { 0 }, del = { 0 };

  vsc_buf_printf(&b, "qm set %u", vmid);
  /* the native keys, then args (VSC_PVE_N_NATIVE_KEYS) */
  for (size_t k = 0; k <= VSC_PVE_N_NATIVE_KEYS; k++) {
    const char *key = k < VSC_PVE_N_NATIVE_KEYS ? vsc_pve_native_keys[k] : "args";
    VSC_AUTOFREE(char) was = res->conf ? vsc_pve_conf_get_for(old, res->pending, key) : NULL;
    VSC_AUTOFREE(char) now = res->conf ? vsc_pve_conf_get_for(res->conf, res->pending, key)
                             : vsc_strdup(k < VSC_PVE_N_NATIVE_KEYS ? vsc_pve_plan_native(plan, key)
                                          : args && *args ? args : NULL);
    if (vsc_streq0(was, now))
      continue;
    if (now) {
      vsc_buf_printf(&b, " --%s ", key);
      vsc_shell_quote(&b, now);
    } else {
      vsc_buf_printf(&del, "%s%s", del.len ? "," : "", key);
    }
  }
  if (res->conf) {
    if (del.len)
      vsc_buf_printf(&b, " --delete %s", del.data);
    VSC_AUTOFREE(char) descr_was = vsc_pve_conf_description(old);
    VSC_AUTOFREE(char) descr_now = vsc_pve_conf_description(res->conf);
    if (!vsc_streq0(descr_was, descr_now)) {
      vsc_buf_add(&b, " --description ");
      vsc_shell_quote(&b, descr_now ? descr_now : "");
    }
  }
  vsc_buf_addc(&b, '\n');
  fputs(b.data, stdout);
  vsc_buf_clear(&b);
  vsc_buf_clear(&del);
}

/* {"vmid": N, "agent": BOOL, "serial": {"serial0": "socket", ...},
 *  "parallel": {"parallel0": "/dev/parport0", ...},
 *  "args": "the args: value" | null, "argv": [the arguments in it]} */
static void print_json(unsigned vmid, const vsc_pve_plan *plan, const char *args)
{
  json_t *serial = json_object(), *parallel = json_object(), *argv = json_array();
  for (const char *const *key = vsc_pve_native_keys; *key; key++) {
    const char *v = vsc_pve_plan_native(plan, *key);
    if (v && strcmp(*key, "agent") != 0)
      json_object_set_new(strncmp(*key, "serial", 6) == 0 ? serial : parallel, *key, json_string(v));
  }
  for (size_t i = 0; i < plan->argc; i++)
    json_array_append_new(argv, json_string(plan->argv[i]));
  json_t *o = json_pack("{s:I, s:b, s:o, s:o, s:s?, s:o}", "vmid", (json_int_t)vmid, "agent", plan->agent,
                        "serial", serial, "parallel", parallel, "args", args, "argv", argv);
  vsc_cli_print_json(o, JSON_PRESERVE_ORDER);
}

/* --write: the diff of the config, or that nothing changed; with
 * --dry-run the digest that makes the same change. */
static void print_change(vsc_cli *cli, const vsc_pve_edit_opts *eopts, const char *old_text,
                         const char *new_text)
{
  if (strcmp(old_text, new_text) == 0) {
    if (cli->verbosity >= 0)
      fprintf(stderr, "vschan: VM %u already has these devices; nothing changed\n", eopts->vmid);
  } else {
    char label_old[64], label_new[64];
    snprintf(label_old, sizeof(label_old), "a/%u.conf", eopts->vmid);
    snprintf(label_new, sizeof(label_new), "b/%u.conf", eopts->vmid);
    char *diff = vsc_pve_diff(old_text, new_text, label_old, label_new);
    fputs(diff, stdout);
    free(diff);
  }
  if (eopts->dry_run && cli->verbosity >= 0) {
    /* The config the change was computed from, for --digest. */
    char digest[VSC_SHA1_HEX_LEN + 1];
    vsc_sha1_hex(old_text, strlen(old_text), digest);
    fprintf(stderr, "vschan: dry run, nothing written; to write exactly this change: --digest %s\n",
            digest);
  }
}

/* The VM's config when it is here (--conf, else the default path), for
 * what is planned against it: *conf NULL when there is no such file (the
 * output then says what it cannot know); one that cannot be read is an
 * error. */
static int load_conf(const vsc_pve_edit_opts *eopts, char **path_out, char **text_out,
                     vsc_pve_conf **conf, vsc_diags *diags)
{
  char *path = eopts->conf_path ? vsc_strdup(eopts->conf_path)
                                : vsc_asprintf("%s/%u.conf", VSC_PVE_CONF_DIR, eopts->vmid);
  size_t len;
  *conf = NULL;
  *text_out = NULL;
  *path_out = path;
  struct stat st;
  if (access(path, F_OK) != 0 && errno == ENOENT)
    return 0;
  char *text = vsc_pve_conf_read(path, eopts->vmid, &st, &len, diags);
  if (!text)
    return -1;
  *text_out = text;
  *conf = vsc_pve_conf_parse(text, len, path, diags);
  return *conf ? 0 : -1;
}

/* The guest memory for vhost-user devices: from the VM's config when there
 * is one (--memory must then agree with it), else --memory. */
static int vhost_memory(const vsc_pve_conf *conf, const char *path, vsc_qemu_opts *qopts, char **size,
                        vsc_diags *diags)
{
  const char *given = qopts->memory;
  if (!conf) {
    if (given)
      return 0;
    vsc_loc loc = { .file = path };
    vsc_error(diags, &loc, "pve-memory", "give --memory SIZE (the VM's memory: value, e.g. 4096), or --conf FILE",
              "vhost-user devices need the guest's memory size, and this VM's config is not here");
    return -1;
  }
  if (vsc_pve_plan_memory(conf, path, qopts, size, diags) < 0)
    return -1;
  unsigned long long a, b;
  if (given && *size && (vsc_qemu_memory_parse(given, &a) < 0 || vsc_qemu_memory_parse(*size, &b) < 0 || a != b)) {
    vsc_loc loc = { .file = path };
    vsc_error(diags, &loc, "pve-memory", "leave --memory out: the config says the size",
              "--memory %s is not the VM's memory: (%s): QEMU refuses a shared memory of another size", given,
              *size);
    return -1;
  }
  return 0;
}

/* vschan qm import VMID: the spec of the config's character devices. */
static int qm_import(const vsc_cli_args *a, vsc_pve_edit_opts *eopts, bool pending, const char *prefix,
                     vsc_diags *diags)
{
  if (a->input.template_name || a->input.ncompact || a->input.nsettings || a->noperands != 2)
    return vsc_cli_usage_error("qm", "qm import takes a VMID and no devices: it prints the spec of the VM's");
  if (vsc_pve_vmid_parse(a->operands[1], &eopts->vmid, diags) < 0)
    return VSC_EXIT_USAGE;
  char *path = NULL, *text = NULL;
  vsc_pve_conf *conf = NULL;
  vsc_devset set;
  int rc = VSC_EXIT_FAILURE;
  vsc_devset_init(&set);
  if (load_conf(eopts, &path, &text, &conf, diags) < 0)
    goto out;
  if (!conf) {
    /* the usual message of a config that cannot be read */
    size_t len;
    struct stat st;
    free(vsc_pve_conf_read(path, eopts->vmid, &st, &len, diags));
    goto out;
  }
  pending = pending || vsc_pve_vm_running(VSC_PVE_RUN_DIR, eopts->vmid);
  if (vsc_pve_import(conf, eopts->vmid, pending, prefix, &set, diags) < 0)
    goto out;
  vsc_cli_print_json(vsc_spec_format(&set), JSON_PRESERVE_ORDER);
  rc = VSC_EXIT_OK;
out:
  vsc_devset_clear(&set);
  vsc_pve_conf_free(conf);
  free(path);
  free(text);
  return rc;
}

int cmd_qm(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_PRINT_COMMAND = 0x2000, OPT_WRITE, OPT_CONF, OPT_LOCK_DIR, OPT_PENDING, OPT_FORCE,
         OPT_TIMEOUT, OPT_PREFIX, OPT_BUS, OPT_ADDR, OPT_QEMU_VERSION, OPT_DRY_RUN, OPT_DIGEST, OPT_MEMORY, OPT_SKIPLOCK,
         OPT_TLS_DIR, OPT_TLS_NO_VERIFY };
  static const struct option opts[] = {
    { "print-command", no_argument, NULL, OPT_PRINT_COMMAND },
    { "write", no_argument, NULL, OPT_WRITE },
    { "conf", required_argument, NULL, OPT_CONF },
    { "lock-dir", required_argument, NULL, OPT_LOCK_DIR },
    { "pending", no_argument, NULL, OPT_PENDING },
    { "force", no_argument, NULL, OPT_FORCE },
    { "skiplock", no_argument, NULL, OPT_SKIPLOCK },
    { "tls-dir", required_argument, NULL, OPT_TLS_DIR },
    { "tls-no-verify", no_argument, NULL, OPT_TLS_NO_VERIFY },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "prefix", required_argument, NULL, OPT_PREFIX },
    { "bus", required_argument, NULL, OPT_BUS },
    { "addr", required_argument, NULL, OPT_ADDR },
    { "qemu-version", required_argument, NULL, OPT_QEMU_VERSION },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "digest", required_argument, NULL, OPT_DIGEST },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { NULL, 0, NULL, 0 },
  };
  vsc_cli_args a;
  vsc_qemu_opts qopts = { .controller_bus = "pci.2", .controller_addr = "0x1f" };
  vsc_pve_edit_opts eopts = { 0 };
  vsc_diags diags = { 0 };
  vsc_pve_plan plan = { 0 };
  vsc_devset set;
  bool command = false, write = false, pending = false, force = false;
  char *args = NULL, *old_text = NULL, *new_text = NULL, *memory_size = NULL;
  char *conf_path = NULL, *conf_text = NULL;
  vsc_pve_conf *conf = NULL, *edited = NULL;
  int rc = VSC_EXIT_OK, c;

  vsc_devset_init(&set);
  vsc_devset_init(&plan.rest);
  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, NULL);
  while ((c = vsc_cli_args_next(&a)) > 0) {
    switch (c) {
    case OPT_PRINT_COMMAND:
      command = true;
      break;
    case OPT_WRITE:
      write = true;
      break;
    case OPT_CONF:
      eopts.conf_path = optarg;
      break;
    case OPT_LOCK_DIR:
      eopts.lock_dir = optarg;
      break;
    case OPT_PENDING:
      pending = true;
      break;
    case OPT_FORCE:
      force = true;
      break;
    case OPT_SKIPLOCK:
      eopts.skiplock = true;
      break;
    case OPT_DRY_RUN:
      eopts.dry_run = true;
      break;
    case OPT_DIGEST:
      if (strlen(optarg) != VSC_SHA1_HEX_LEN || strspn(optarg, "0123456789abcdefABCDEF") != VSC_SHA1_HEX_LEN)
        a.rc = vsc_cli_usage_error("qm", "--digest takes the 40 hex digits of a SHA-1 (qm config prints it), not '%s'",
                                   optarg);
      eopts.digest = optarg;
      break;
    case OPT_TIMEOUT:
      if (vsc_cli_parse_timeout(optarg, "qm", &eopts.timeout) < 0)
        a.rc = VSC_EXIT_USAGE;
      break;
    case OPT_PREFIX:
      qopts.id_prefix = optarg;
      break;
    case OPT_BUS:
      qopts.controller_bus = *optarg ? optarg : NULL;
      break;
    case OPT_ADDR:
      qopts.controller_addr = *optarg ? optarg : NULL;
      break;
    case OPT_QEMU_VERSION:
      a.rc = vsc_cli_qemu_version_option("qm", optarg, &qopts.qemu_version);
      break;
    case OPT_MEMORY:
      qopts.memory = optarg;
      break;
    case OPT_TLS_DIR:
      qopts.tls_dir = optarg;
      break;
    case OPT_TLS_NO_VERIFY:
      qopts.tls_no_verify = true;
      break;
    }
  }
  if (c < 0) {
    rc = a.rc;
    goto report;
  }
  if (a.noperands && strcmp(a.operands[0], "import") == 0) {
    if (command || write || eopts.dry_run || eopts.digest || force || eopts.skiplock)
      rc = vsc_cli_usage_error("qm", "qm import prints a spec: --print-command, --write, --dry-run, --digest "
                                     "--force and --skiplock do not go with it");
    else
      rc = qm_import(&a, &eopts, pending, qopts.id_prefix, &diags);
    goto report;
  }
  if ((command || a.json) && write) {
    rc = vsc_cli_usage_error("qm", "--print-command and --json do not go with --write");
    goto report;
  }
  if ((eopts.dry_run || eopts.digest) && !write) {
    rc = vsc_cli_usage_error("qm", "--dry-run and --digest go with --write");
    goto report;
  }
  if (vsc_pve_vmid_parse(a.operands[0], &eopts.vmid, &diags) < 0) {
    rc = VSC_EXIT_USAGE;
    goto report;
  }
  if (vsc_cli_args_devices(&a, &set, &diags) < 0) {
    rc = a.rc;
    goto report;
  }
  if (!qopts.qemu_version)
    qopts.qemu_version = vsc_cli_qemu_version_default(&set);
  if (load_conf(&eopts, &conf_path, &conf_text, &conf, &diags) < 0) {
    rc = VSC_EXIT_FAILURE;
    goto report;
  }
  /* as 'qm set' does, a running VM gets the change at its next start */
  bool plan_pending = pending || (conf && vsc_pve_vm_running(VSC_PVE_RUN_DIR, eopts.vmid));
  if (set.nvhosts && vhost_memory(conf, conf_path, &qopts, &memory_size, &diags) < 0) {
    rc = VSC_EXIT_FAILURE;
    goto report;
  }
  if (vsc_pve_plan_build(eopts.vmid, &set, &qopts, conf, plan_pending, force, &plan, &diags) < 0) {
    rc = VSC_EXIT_FAILURE;
    goto report;
  }

  if (!write) {
    if (plan.argc && !(args = vsc_pve_args_quote(plan.argv, plan.argc, &diags))) {
      rc = VSC_EXIT_FAILURE;
      goto report;
    }
    qm_result res = { .pending = plan_pending };
    if (conf) {
      /* what --write would make of the config, computed here without a lock */
      edited = vsc_pve_conf_parse(conf_text, strlen(conf_text), conf_path, &diags);
      vsc_pve_changes changes = vsc_pve_plan_changes(&plan, qopts.id_prefix, plan_pending, force);
      if (!edited || vsc_pve_changes_apply(edited, &changes, &diags) < 0) {
        rc = VSC_EXIT_FAILURE;
        goto report;
      }
      res.conf = edited;
      free(args);
      args = vsc_pve_conf_get_for(edited, plan_pending, "args");
    } else if (command) {
      /* the command is written blind: say what it may overwrite */
      vsc_loc loc = { .file = conf_path };
      if (args || vsc_pve_plan_has_native(&plan))
        vsc_warning(&diags, &loc, "pve-no-config",
                    "run it on the VM's node, or give --conf with a copy of its config, so that the "
                    "command keeps the VM's own arguments and lines",
                    "the VM's config is not here: --args replaces the whole args: line (the VM's "
                    "own arguments too), and vschan cannot tell which lines are the user's");
    }
    if (a.json)
      print_json(eopts.vmid, &plan, args);
    else if (command)
      print_command(eopts.vmid, &plan, conf, &res, args);
    else
      print_lines(&plan, &res, args);
    if (conf && !vsc_pve_plan_has_native(&plan) && !plan.argc && (set.ndevs || set.nvhosts) && cli->verbosity >= 0)
      fprintf(stderr, "vschan: VM %u's config gives these devices already (lines and args: of its own); "
                      "nothing to add\n", eopts.vmid);
    goto report;
  }

  if (vsc_pve_plan_write(&eopts, &plan, qopts.id_prefix, pending, force, &old_text, &new_text, &diags) < 0) {
    rc = VSC_EXIT_FAILURE;
    goto report;
  }
  print_change(cli, &eopts, old_text, new_text);

report:
  rc = vsc_cli_finish(cli, &diags, rc);
  vsc_pve_conf_free(conf);
  vsc_pve_conf_free(edited);
  free(conf_path);
  free(conf_text);
  free(memory_size);
  free(args);
  free(old_text);
  free(new_text);
  vsc_pve_plan_clear(&plan);
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
  vsc_cli_args_clear(&a);
  return rc;
}
