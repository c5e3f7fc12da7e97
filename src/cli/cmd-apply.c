/* vschan apply: converge a domain to a spec, with a plan first. */
#include "cli.h"
#include "virt-cmd.h"

#include <jansson.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] apply DOMAIN SPEC.json|- [--prune] [--dry-run] [--json]\n"
        "                             [--live|--config|--persistent|--current] [--timeout S]\n"
        "       vschan [-c URI] apply DOMAIN --template NAME [--set KEY=VALUE]... [...]\n"
        "\n"
        "Make the domain's character devices match the spec.  The devices are compared\n"
        "after taking away what libvirt adds by itself (aliases, addresses, generated\n"
        "socket paths, pty paths, state, default target types and ports), so a second\n"
        "apply of the same spec finds nothing to do.  The plan is printed (+ add,\n"
        "~ replace, - remove), then carried out as one transaction: on a failure the\n"
        "domain is put back as it was.  Live and persistent definitions are compared\n"
        "separately, so drift between them is repaired.\n"
        "\n"
        "Options:\n"
        "  --prune                also remove devices vschan manages that the spec no\n"
        "                         longer lists.  vschan manages the devices whose alias\n"
        "                         starts with 'ua-vschan-' (what it derives for a spec\n"
        "                         device without an alias); others are never removed\n"
        "  --dry-run              print the plan and change nothing\n"
        "  --json                 print the plan and its outcome as one JSON object:\n"
        "                         {domain, live, persistent, dry_run, plan: [{action,\n"
        "                         kind, alias, device, live, persistent, why}], result}\n"
        "                         with result \"nothing-to-do\", \"dry-run\", \"applied\"\n"
        "                         or \"failed\" (errors still go to standard error)\n"
        "  --live, --config, --persistent, --current\n"
        "                         which definitions to converge, as for 'vschan add'\n"
        "                         (default: live if running, and persistent)\n"
        "  --timeout S            wait at most S seconds for each unplug (default 10)\n"
        "  --template NAME        use a shipped template; --set KEY=VALUE, --templates-dir\n"
        "  --channel/--console/--serial/--parallel OPTS\n"
        "                         a device in virt-install's syntax (repeatable)\n"
        "  -h, --help             show this help\n"
        "\n"
        "Exit status: 0 converged (or nothing to do), 1 refused before touching the\n"
        "domain, 2 usage, 3 libvirt or QEMU failed (the domain was put back).\n"
        "\n"
        "Examples:\n"
        "  vschan apply vm1 channels.json --dry-run\n"
        "  vschan apply vm1 channels.json --prune\n"
        "  vschan apply vm1 channels.json --dry-run --json | jq '.plan | length'\n"
        "  vschan -c qemu+ssh://root@host/system apply vm1 --template guest-agent --config\n", out);
}

static const char *where(const vsc_plan_item *it)
{
  return vsc_virt_where(it->live, it->config);
}

/* The device an item is about: the spec's, or for a removal the domain's. */
static const vsc_chardev *item_dev(const vsc_plan_item *it)
{
  return it->want ? it->want : vsc_virt_dev_main(it->have);
}

static void print_plan(vsc_cli *cli, const vsc_virt_domain *d, const vsc_plan *plan)
{
  size_t counts[VSC_PLAN_LAST] = { 0 };
  bool color = cli->color_stdout;

  printf("Plan for domain '%s' (%s):\n", d->name, vsc_virt_where(plan->live, plan->config));
  for (size_t i = 0; i < plan->nitems; i++) {
    const vsc_plan_item *it = &plan->items[i];
    VSC_AUTOFREE(char) what = vsc_chardev_describe(item_dev(it));
    static const char *const sign[] = { "+", "~", "-" };
    static const char *const col[] = { "\033[32m", "\033[33m", "\033[31m" };
    counts[it->action]++;
    printf("  %s%s %-8s%s %s [%s]", color ? col[it->action] : "", sign[it->action],
           vsc_plan_action_to_string(it->action), color ? "\033[0m" : "", what, where(it));
    if (it->why)
      printf(": %s", it->why);
    putchar('\n');
  }
  printf("Plan: %zu to add, %zu to replace, %zu to remove.\n", counts[VSC_PLAN_ADD],
         counts[VSC_PLAN_REPLACE], counts[VSC_PLAN_REMOVE]);
}

/* The --json document: the plan as print_plan shows it, and what became of
 * it.  A stable shape: keys are never removed, only added. */
static void print_json(const vsc_virt_domain *d, const vsc_plan *plan, bool dry_run,
                       const char *result)
{
  json_t *items = json_array();
  for (size_t i = 0; i < plan->nitems; i++) {
    const vsc_plan_item *it = &plan->items[i];
    json_t *item = vsc_virt_cli_device_json(item_dev(it), it->live, it->config);
    json_object_set_new(item, "action", json_string(vsc_plan_action_to_string(it->action)));
    json_object_set_new(item, "why", it->why ? json_string(it->why) : json_null());
    json_array_append_new(items, item);
  }
  vsc_cli_print_json(json_pack("{s:s,s:b,s:b,s:b,s:o,s:s}", "domain", d->name, "live",
                                    plan->live, "persistent", plan->config, "dry_run", dry_run,
                                    "plan", items, "result", result), 0);
}

/* Plan, print, and unless --dry-run carry it out. */
static void converge(vsc_cli *cli, vsc_virt_change *ch, const vsc_devset *set, bool prune,
                     bool dry_run)
{
  const vsc_virt_domain *d = ch->session.dom;
  bool json = ch->args.json;
  vsc_virt_state st = { 0 };
  vsc_plan plan = { 0 };

  if (vsc_virt_state_read(ch->session.dom, &st, &ch->diags) < 0 ||
      vsc_virt_plan(&st, set, ch->live, ch->config, prune, &plan, &ch->diags) < 0)
    goto out;
  if (plan.nitems == 0) {
    if (json)
      print_json(d, &plan, dry_run, "nothing-to-do");
    else if (cli->verbosity >= 0)
      printf("Nothing to do: domain '%s' matches the spec (%s).\n", d->name,
             vsc_virt_where(ch->live, ch->config));
    goto out;
  }
  if (!json && cli->verbosity >= 0)
    print_plan(cli, d, &plan);
  if (dry_run) {
    if (json)
      print_json(d, &plan, true, "dry-run");
    else if (cli->verbosity >= 0)
      puts("Dry run: nothing was changed.");
    goto out;
  }
  fflush(stdout);
  vsc_virt_progress progress = vsc_virt_cli_progress(cli);
  bool applied = vsc_virt_plan_apply(ch->session.dom, &st, &plan, ch->opts.timeout, &progress,
                                     &ch->diags) == 0;
  if (json)
    print_json(d, &plan, false, applied ? "applied" : "failed");
  else if (applied && cli->verbosity >= 0)
    printf("Applied: domain '%s' matches the spec.\n", d->name);
out:
  vsc_plan_clear(&plan);
  vsc_virt_state_clear(&st);
}

int cmd_apply(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_PRUNE = 0x1200, OPT_DRY_RUN };
  static const struct option opts[] = {
    { "prune", no_argument, NULL, OPT_PRUNE },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    VSC_VIRT_CHANGE_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  vsc_virt_change ch;
  vsc_devset set;
  bool prune = false, dry_run = false;
  int c;

  vsc_devset_init(&set);
  vsc_virt_change_init(&ch, cli, argc, argv, usage, opts);
  while ((c = vsc_virt_change_next(&ch)) > 0) {
    if (c == OPT_PRUNE)
      prune = true;
    else if (c == OPT_DRY_RUN)
      dry_run = true;
  }
  if (c == 0 && vsc_virt_change_read(&ch, &set) == 0) {
    vsc_virt_derive_aliases(&set, NULL);
    if (vsc_virt_change_connect(&ch) == 0)
      converge(cli, &ch, &set, prune, dry_run);
  }
  vsc_devset_clear(&set);
  return vsc_virt_change_finish(&ch);
}
