/* vschan list: the character devices and vhost-user devices of a domain,
 * live and persistent. */
#include "cli.h"
#include "virt-cmd.h"
#include "model/backend.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] list DOMAIN [--json] [--inactive]\n"
        "\n"
        "List every character device of a domain: kind, alias, backend, host side\n"
        "(pty, socket path, host:port, file), target (virtio name and port, guestfwd\n"
        "address:port, serial type and port), the virtio connection state as the\n"
        "guest reports it, and whether the device is in the live definition, the\n"
        "persistent one, or both.  Then every vhost-user device (filesystem, disk,\n"
        "interface): its daemon's socket (\"no socket\" when it is not there), and\n"
        "its mount tag, disk target or MAC.\n"
        "\n"
        "Options:\n"
        "  --json                 print a JSON array instead of a table\n"
        "  --inactive             only the persistent definition\n"
        "  -h, --help             show this help\n"
        "\n"
        "Examples:\n"
        "  vschan list vm1\n"
        "  vschan list vm1 --json | jq '.[] | select(.state == \"connected\")'\n"
        "  vschan -c qemu+tcp://host/system list vm1 --inactive\n", out);
}

static char *target_text(const vsc_chardev *dev)
{
  vsc_target_type tt = vsc_chardev_target_type(dev);
  const char *type = vsc_target_type_to_string(tt);
  unsigned int vport = vsc_chardev_virtio_port(dev);

  if (tt == VSC_TARGET_GUESTFWD)
    return vsc_asprintf("guestfwd %s:%u", dev->target.address ? dev->target.address : "",
                        dev->target.port);
  if (tt == VSC_TARGET_VIRTIO && dev->kind == VSC_KIND_CHANNEL) {
    if (vport)
      return vsc_asprintf("virtio %s (port %u)", dev->target.name ? dev->target.name : "-", vport);
    return vsc_asprintf("virtio %s", dev->target.name ? dev->target.name : "-");
  }
  if (dev->has_target && dev->target.has_port)
    return vsc_asprintf("%s port %u", *type ? type : vsc_kind_to_string(dev->kind), dev->target.port);
  return vsc_strdup(*type ? type : "-");
}

static const char *where(bool live, bool config)
{
  if (live && config)
    return "both";
  return live ? "live" : "persistent";
}

/* A vhost-user device's host side: its daemon's socket, or the directory
 * libvirt's own virtiofsd shares. */
static char *vhost_host_side(const vsc_vhost *dev)
{
  if (vsc_vhost_socket(dev))
    return vsc_strdup(vsc_vhost_socket(dev));
  const char *dir = vsc_vhost_get(dev, VSC_VF_SOURCE_DIR);
  return dir ? vsc_asprintf("virtiofsd %s", dir) : vsc_strdup("-");
}

/* Whether the daemon's socket (or, in server mode, QEMU's) is there: 1
 * yes, 0 no, -1 cannot be told (a remote host, no socket). */
static int socket_exists(const vsc_vhost *dev, bool local)
{
  struct stat st;
  const char *path = vsc_vhost_socket(dev);
  if (!local || !path)
    return -1;
  return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static char *vhost_target_text(const vsc_vhost *dev)
{
  const char *name = vsc_vhost_name(dev);
  switch (dev->kind) {
  case VSC_VHOST_FS:
    return vsc_asprintf("tag %s", name ? name : "-");
  case VSC_VHOST_BLK: {
    const char *bus = vsc_vhost_get(dev, VSC_VF_TARGET_BUS);
    return vsc_asprintf("%s %s", bus ? bus : "disk", name ? name : "-");
  }
  case VSC_VHOST_NET:
    return vsc_asprintf("mac %s", name ? name : "-");
  default:
    return vsc_strdup(name ? name : "-");
  }
}


static json_t *to_json(const vsc_virt_dev *e, const char *ident)
{
  const vsc_chardev *dev = vsc_virt_dev_main(e);
  const vsc_source *src = vsc_chardev_main_source(dev);
  vsc_target_type tt = vsc_chardev_target_type(dev);
  json_t *o = json_object();
  json_t *target = json_object();
  VSC_AUTOFREE(char) host = vsc_chardev_host_side(dev);

  json_object_set_new(o, "kind", json_string(vsc_kind_to_string(dev->kind)));
  json_object_set_new(o, "ident", json_string(ident));
  json_object_set_new(o, "alias", dev->alias ? json_string(dev->alias) : json_null());
  json_object_set_new(o, "backend", json_string(vsc_backend_to_string(vsc_chardev_backend(dev))));
  json_object_set_new(o, "host", json_string(host));
  if (src && src->path)
    json_object_set_new(o, "path", json_string(src->path));
  else if (dev->tty)
    json_object_set_new(o, "path", json_string(dev->tty));
  if (src && src->mode)
    json_object_set_new(o, "mode", json_string(vsc_mode_to_string(src->mode)));
  if (src && src->host)
    json_object_set_new(o, "address", json_string(src->host));
  if (src && src->service)
    json_object_set_new(o, "service", json_string(src->service));
  if (*vsc_target_type_to_string(tt))
    json_object_set_new(target, "type", json_string(vsc_target_type_to_string(tt)));
  if (dev->target.name)
    json_object_set_new(target, "name", json_string(dev->target.name));
  if (dev->target.address)
    json_object_set_new(target, "address", json_string(dev->target.address));
  if (dev->has_target && dev->target.has_port)
    json_object_set_new(target, "port", json_integer(dev->target.port));
  if (vsc_chardev_virtio_port(dev))
    json_object_set_new(target, "virtio_port", json_integer(vsc_chardev_virtio_port(dev)));
  json_object_set_new(o, "target", target);
  json_object_set_new(o, "state", dev->target.state ? json_string(dev->target.state) : json_null());
  json_object_set_new(o, "live", json_boolean(e->live != NULL));
  json_object_set_new(o, "persistent", json_boolean(e->config != NULL));
  json_object_set_new(o, "managed", json_boolean(vsc_virt_dev_is_managed(e)));
  return o;
}

/* The same record for a vhost-user device: backend "vhost-user", the
 * target as its element has it. */
static json_t *vhost_to_json(const vsc_virt_vhost *e, const char *ident, bool local)
{
  const vsc_vhost *dev = vsc_virt_vhost_main(e);
  const char *alias = vsc_vhost_get(dev, VSC_VF_ALIAS);
  static const struct { vsc_vhost_field_id field; const char *key; } targets[] = {
    { VSC_VF_TARGET_DIR, "dir" }, { VSC_VF_TARGET_DEV, "dev" }, { VSC_VF_TARGET_BUS, "bus" },
    { VSC_VF_MAC, "mac" },
  };
  json_t *target = json_object();
  for (size_t i = 0; i < VSC_N_ELEMENTS(targets); i++)
    if (vsc_vhost_get(dev, targets[i].field))
      json_object_set_new(target, targets[i].key, json_string(vsc_vhost_get(dev, targets[i].field)));
  VSC_AUTOFREE(char) host = vhost_host_side(dev);
  json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:n, s:b, s:b, s:b}",
                        "kind", vsc_vhost_info_of(dev->kind)->element, "ident", ident,
                        "alias", alias ? json_string(alias) : json_null(), "backend", "vhost-user",
                        "host", host, "target", target, "state",
                        "live", e->live != NULL, "persistent", e->config != NULL,
                        "managed", vsc_virt_vhost_is_managed(e));
  if (vsc_vhost_socket(dev))
    json_object_set_new(o, "path", json_string(vsc_vhost_socket(dev)));
  if (vsc_vhost_get(dev, VSC_VF_SOURCE_MODE))
    json_object_set_new(o, "mode", json_string(vsc_vhost_get(dev, VSC_VF_SOURCE_MODE)));
  int exists = socket_exists(dev, local);
  json_object_set_new(o, "socket_exists", exists < 0 ? json_null() : json_boolean(exists));
  return o;
}

static void print_cell(const char *text, size_t width, bool last)
{
  if (last)
    printf("%s\n", text);
  else
    printf("%-*s  ", (int)width, text);
}

static void print_table(const vsc_virt_state *st, bool inactive, bool local)
{
  static const char *const head[] = { "KIND", "ALIAS", "BACKEND", "HOST SIDE", "TARGET", "STATE", "IN" };
  enum { NCOL = 7 };
  size_t n = 0, width[NCOL];
  char ***rows = vsc_calloc(st->ndevs + st->nvhosts + 1, sizeof(char **));

  for (size_t c = 0; c < NCOL; c++)
    width[c] = strlen(head[c]);
  for (size_t i = 0; i < st->ndevs; i++) {
    const vsc_virt_dev *e = &st->devs[i];
    if (inactive && !e->config)
      continue;
    const vsc_chardev *dev = inactive ? e->config : vsc_virt_dev_main(e);
    char **row = rows[n++] = vsc_calloc(NCOL, sizeof(char *));
    row[0] = vsc_strdup(vsc_kind_to_string(dev->kind));
    row[1] = vsc_strdup(dev->alias ? dev->alias : "-");
    row[2] = vsc_strdup(vsc_backend_to_string(vsc_chardev_backend(dev)));
    row[3] = vsc_chardev_host_side(dev);
    row[4] = target_text(dev);
    row[5] = vsc_strdup(dev->target.state ? dev->target.state : "-");
    row[6] = vsc_strdup(inactive ? "persistent" : where(e->live != NULL, e->config != NULL));
  }
  for (size_t i = 0; i < st->nvhosts; i++) {
    const vsc_virt_vhost *e = &st->vhosts[i];
    if (inactive && !e->config)
      continue;
    const vsc_vhost *dev = inactive ? e->config : vsc_virt_vhost_main(e);
    const char *alias = vsc_vhost_get(dev, VSC_VF_ALIAS);
    char **row = rows[n++] = vsc_calloc(NCOL, sizeof(char *));
    row[0] = vsc_strdup(vsc_vhost_info_of(dev->kind)->element);
    row[1] = vsc_strdup(alias ? alias : "-");
    row[2] = vsc_strdup("vhost-user");
    row[3] = vhost_host_side(dev);
    if (socket_exists(dev, local) == 0) {
      char *marked = vsc_asprintf("%s (no socket)", row[3]);
      free(row[3]);
      row[3] = marked;
    }
    row[4] = vhost_target_text(dev);
    row[5] = vsc_strdup("-");
    row[6] = vsc_strdup(inactive ? "persistent" : where(e->live != NULL, e->config != NULL));
  }
  for (size_t r = 0; r < n; r++)
    for (size_t c = 0; c < NCOL; c++)
      if (strlen(rows[r][c]) > width[c])
        width[c] = strlen(rows[r][c]);
  for (size_t c = 0; c < NCOL; c++)
    print_cell(head[c], width[c], c + 1 == NCOL);
  for (size_t r = 0; r < n; r++) {
    for (size_t c = 0; c < NCOL; c++) {
      print_cell(rows[r][c], width[c], c + 1 == NCOL);
      free(rows[r][c]);
    }
    free(rows[r]);
  }
  free(rows);
}

int cmd_list(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_INACTIVE = 0x100 };
  static const struct option opts[] = {
    { "inactive", no_argument, NULL, OPT_INACTIVE },
    { NULL, 0, NULL, 0 },
  };
  vsc_virt_session s = { 0 };
  vsc_cli_args a;
  vsc_diags diags = { 0 };
  vsc_virt_state st = { 0 };
  bool inactive = false;
  int rc = VSC_EXIT_OK, c;

  vsc_virt_session_start_clock(&s);
  vsc_cli_args_init(&a, cli, argc, argv, usage);
  vsc_cli_args_options(&a, opts, NULL);
  while ((c = vsc_cli_args_next(&a)) > 0)
    if (c == OPT_INACTIVE)
      inactive = true;
  if (c < 0) {
    rc = a.rc;
    goto out;
  }
  if (vsc_virt_session_begin(cli, a.operands[0], &s, &diags) < 0)
    goto report;
  if (inactive && !s.dom->persistent) {
    vsc_error(&diags, NULL, "virt-transient", "leave out --inactive",
              "domain '%s' is transient: it has no persistent definition", s.dom->name);
    goto report;
  }
  if (vsc_virt_state_read(s.dom, &st, &diags) < 0)
    goto report;

  if (a.json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < st.ndevs; i++) {
      if (inactive && !st.devs[i].config)
        continue;
      vsc_virt_dev view = st.devs[i];
      if (inactive)
        view.live = NULL;
      VSC_AUTOFREE(char) ident = vsc_virt_dev_ident(&st, i);
      json_array_append_new(arr, to_json(&view, ident));
    }
    for (size_t i = 0; i < st.nvhosts; i++) {
      if (inactive && !st.vhosts[i].config)
        continue;
      vsc_virt_vhost view = st.vhosts[i];
      if (inactive)
        view.live = NULL;
      VSC_AUTOFREE(char) ident = vsc_virt_vhost_ident(&st, i);
      json_array_append_new(arr, vhost_to_json(&view, ident, vsc_virt_is_local(s.virt)));
    }
    vsc_cli_print_json(arr, 0);
  } else {
    print_table(&st, inactive, vsc_virt_is_local(s.virt));
  }

report: {
  int reported = vsc_cli_report(cli, &diags);
  if (rc == VSC_EXIT_OK)
    rc = reported;
}
out:
  vsc_virt_state_clear(&st);
  vsc_virt_session_end(&s);
  vsc_diags_clear(&diags);
  vsc_cli_args_clear(&a);
  return rc;
}
