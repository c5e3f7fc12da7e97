/* Shared by the commands that talk to libvirt.  See virt-cmd.h. */
#include "virt-cmd.h"

#include "util/clock.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void vsc_virt_session_start_clock(vsc_virt_session *s)
{
  s->started = vsc_now();
}

int vsc_virt_session_begin(vsc_cli *cli, const char *domain, vsc_virt_session *s,
                           vsc_diags *diags)
{
  if (!s->started)
    vsc_virt_session_start_clock(s);
  s->virt = vsc_virt_open(cli->uri, diags);
  if (!s->virt)
    return -1;
  s->dom = vsc_virt_domain_lookup(s->virt, domain, diags);
  return s->dom ? 0 : -1;
}

void vsc_virt_session_end(vsc_virt_session *s)
{
  vsc_virt_domain_free(s->dom);
  s->dom = NULL;
  vsc_virt_close(s->virt);
  s->virt = NULL;
  const char *timing = getenv("VSCHAN_TIMING");
  if (timing && *timing && strcmp(timing, "0") != 0 && s->started) {
    double total = vsc_now() - s->started;
    double inside = vsc_virt_libvirt_seconds();
    double own = total - inside;
    fprintf(stderr,
            "vschan: timing: total %.3f ms, inside libvirt %.3f ms, vschan %.3f ms (%.2f%%)\n",
            total * 1e3, inside * 1e3, own * 1e3, total > 0 ? 100.0 * own / total : 0.0);
  }
}

static const char *step_verb(vsc_virt_step step, bool done)
{
  switch (step) {
  case VSC_VIRT_STEP_ADD:
    return done ? "added" : "adding";
  case VSC_VIRT_STEP_REMOVE:
    return done ? "removed" : "removing";
  case VSC_VIRT_STEP_REPLACE:
    return done ? "replaced" : "replacing";
  case VSC_VIRT_STEP_ROLLBACK:
    return done ? "taken back" : "taking back";
  }
  return "";
}

static void print_progress(void *opaque, vsc_virt_step step, size_t index, size_t total,
                           const char *what, bool done, bool ok)
{
  vsc_cli *cli = opaque;
  bool tty = isatty(STDERR_FILENO);

  if (!done) {
    /* On a terminal the line is finished in place when the step ends. */
    if (tty)
      fprintf(stderr, "[%zu/%zu] %s %s ...", index, total, step_verb(step, false), what);
    return;
  }
  const char *status = ok ? "ok" : "failed";
  if (tty)
    fprintf(stderr, "\r\033[K[%zu/%zu] %s %s: %s%s%s\n", index, total, step_verb(step, false),
            what, cli->color_stderr ? (ok ? "\033[32m" : "\033[31m") : "", status,
            cli->color_stderr ? "\033[0m" : "");
  else
    fprintf(stderr, "[%zu/%zu] %s %s: %s\n", index, total, step_verb(step, false), what, status);
  fflush(stderr);
}

vsc_virt_progress vsc_virt_cli_progress(vsc_cli *cli)
{
  vsc_virt_progress p = { 0 };
  if (cli->verbosity > 0 || (cli->verbosity == 0 && isatty(STDERR_FILENO))) {
    p.fn = print_progress;
    p.opaque = cli;
  }
  return p;
}

void vsc_virt_change_init(vsc_virt_change *ch, vsc_cli *cli, int argc, char **argv,
                          void (*usage)(FILE *out), const struct option *opts)
{
  memset(ch, 0, sizeof(*ch));
  ch->cli = cli;
  ch->opts.timeout = VSC_VIRT_DEFAULT_TIMEOUT;
  vsc_virt_session_start_clock(&ch->session);
  vsc_cli_args_init(&ch->args, cli, argc, argv, usage);
  vsc_cli_args_options(&ch->args, opts, NULL);
}

int vsc_virt_change_next(vsc_virt_change *ch)
{
  vsc_virt_change_opts *o = &ch->opts;
  int c;

  while ((c = vsc_cli_args_next(&ch->args)) > 0) {
    switch (c) {
    case VSC_OPT_LIVE:
      o->live = true;
      break;
    case VSC_OPT_CONFIG:
      o->config = true;
      break;
    case VSC_OPT_PERSISTENT:
      o->persistent = true;
      break;
    case VSC_OPT_CURRENT:
      o->current = true;
      break;
    case VSC_OPT_TIMEOUT:
      if (vsc_cli_parse_timeout(optarg, ch->cli->cmd->name, &o->timeout) < 0)
        ch->args.rc = VSC_EXIT_USAGE;
      break;
    default:
      return c;
    }
  }
  if (c < 0)
    ch->rc = ch->args.rc;
  return c;
}

int vsc_virt_change_read(vsc_virt_change *ch, vsc_devset *set)
{
  if (vsc_virt_affect_from_opts(&ch->opts, ch->cli->cmd->name, &ch->affect) < 0) {
    ch->rc = VSC_EXIT_USAGE;
    return -1;
  }
  if (set && vsc_cli_args_devices(&ch->args, set, &ch->diags) < 0) {
    ch->rc = ch->args.rc;
    return -1;
  }
  return 0;
}

int vsc_virt_change_connect(vsc_virt_change *ch)
{
  if (vsc_virt_session_begin(ch->cli, ch->args.operands[0], &ch->session, &ch->diags) < 0)
    return -1;
  return vsc_virt_affect_resolve(ch->session.dom, ch->affect, &ch->live, &ch->config, &ch->diags);
}

int vsc_virt_change_finish(vsc_virt_change *ch)
{
  int reported = vsc_cli_report(ch->cli, &ch->diags);
  int rc = ch->rc ? ch->rc : reported;
  vsc_virt_session_end(&ch->session);
  vsc_diags_clear(&ch->diags);
  vsc_cli_args_clear(&ch->args);
  return rc;
}

int vsc_virt_affect_from_opts(const vsc_virt_change_opts *o, const char *cmd,
                              vsc_virt_affect *out)
{
  if (o->current && (o->live || o->config || o->persistent)) {
    vsc_cli_usage_error(cmd, "--current goes alone, not with --live, --config or --persistent");
    return -1;
  }
  if (o->persistent && o->config) {
    vsc_cli_usage_error(cmd, "--persistent already includes --config");
    return -1;
  }
  if (o->current)
    *out = VSC_VIRT_AFFECT_CURRENT;
  else if (o->persistent)
    *out = o->live ? VSC_VIRT_AFFECT_LIVE_CONFIG : VSC_VIRT_AFFECT_PERSISTENT;
  else if (o->live && o->config)
    *out = VSC_VIRT_AFFECT_LIVE_CONFIG;
  else if (o->live)
    *out = VSC_VIRT_AFFECT_LIVE;
  else if (o->config)
    *out = VSC_VIRT_AFFECT_CONFIG;
  else
    *out = VSC_VIRT_AFFECT_DEFAULT;
  return 0;
}

const char *vsc_virt_where(bool live, bool config)
{
  if (live && config)
    return "live and persistent";
  return live ? "live" : "persistent";
}

json_t *vsc_virt_cli_vhost_json(const vsc_vhost *dev, bool live, bool persistent)
{
  VSC_AUTOFREE(char) what = vsc_vhost_describe(dev);
  return json_pack("{s:s,s:s?,s:s,s:b,s:b}", "kind", vsc_vhost_info_of(dev->kind)->element, "alias",
                   vsc_vhost_get(dev, VSC_VF_ALIAS), "device", what, "live", live, "persistent", persistent);
}

json_t *vsc_virt_cli_device_json(const vsc_chardev *dev, bool live, bool persistent)
{
  VSC_AUTOFREE(char) what = vsc_chardev_describe(dev);
  return json_pack("{s:s,s:s?,s:s,s:b,s:b}", "kind", vsc_kind_to_string(dev->kind), "alias",
                   dev->alias, "device", what, "live", live, "persistent", persistent);
}
