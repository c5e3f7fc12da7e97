/* vschan apply: converge a domain to a spec, with a plan first. */
#include "cli.h"
#include "virt-cmd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
  fputs("usage: vschan [-c URI] apply DOMAIN SPEC.json|- [--prune] [--dry-run] [--json]\n"
        "                             [--live|--config|--persistent|--current] [--timeout S]\n"
        "                             [--tag TAG]\n"
        "       vschan [-c URI] apply DOMAIN --template NAME [--set KEY=VALUE]... [...]\n"
        "       vschan [-c URI]... apply --domains PATTERN... [--tagged TAG]... SPEC.json|-\n"
        "                             [--parallel N] [...]\n"
        "       vschan apply --fleet FLEET.json [--parallel N] [...]\n"
        "\n"
        "Make the domain's character devices match the spec.  The devices are compared\n"
        "after taking away what libvirt adds by itself (aliases, addresses, generated\n"
        "socket paths, pty paths, state, default target types and ports), so a second\n"
        "apply of the same spec finds nothing to do.  The plan is printed (+ add,\n"
        "~ replace, - remove), then carried out as one transaction: on a failure the\n"
        "domain is put back as it was.  Live and persistent definitions are compared\n"
        "separately, so drift between them is repaired.\n"
        "\n"
        "With --domains, --tagged or --fleet, every domain they select is converged,\n"
        "each as its own transaction: one connection per host (-c may be repeated),\n"
        "a bounded number of domains at once per host; a failing domain or an\n"
        "unreachable host does not stop the others and is named in the summary.\n"
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
        "                         or \"failed\", changed, tag_added, errors, warnings\n"
        "                         (errors also go to standard error); for many domains\n"
        "                         {dry_run, domains: [such objects with uri and spec],\n"
        "                         hosts, summary}\n"
        "  --live, --config, --persistent, --current\n"
        "                         which definitions to converge, as for 'vschan add'\n"
        "                         (default: live if running, and persistent)\n"
        "  --timeout S            wait at most S seconds for each unplug (default 10)\n"
        "  --tag TAG              record TAG in each converged domain's metadata, for\n"
        "                         --tagged and fleet files to select it by\n"
        "  --domains PATTERN      the domains to converge, by name or glob pattern\n"
        "                         (repeatable, or comma-separated), on every -c URI\n"
        "  --tagged TAG           also the domains carrying TAG (repeatable)\n"
        "  --fleet FLEET.json     the hosts, domains and specs from a fleet file (see\n"
        "                         vschan(1), FLEET FILES)\n"
        "  --parallel N           domains worked on at once per host, 1 to 16 (default:\n"
        "                         twice the host's CPUs)\n"
        "  --template NAME        use a shipped template; --set KEY=VALUE, --templates-dir\n"
        "  --channel/--console/--serial/--parallel OPTS\n"
        "                         a device in virt-install's syntax (repeatable)\n"
        "  -h, --help             show this help\n"
        "\n"
        "Exit status: 0 converged (or nothing to do; every domain, for many), 1 refused\n"
        "before touching the domain, 2 usage, 3 libvirt or QEMU failed (the domain was\n"
        "put back) or a host was unreachable.\n"
        "\n"
        "Examples:\n"
        "  vschan apply vm1 channels.json --dry-run\n"
        "  vschan apply vm1 channels.json --prune\n"
        "  vschan apply vm1 channels.json --dry-run --json | jq '.plan | length'\n"
        "  vschan -c qemu+ssh://root@host/system apply vm1 --template guest-agent --config\n"
        "  vschan -c qemu+ssh://h1/system -c qemu+ssh://h2/system apply --domains 'web-*' \\\n"
        "         --template guest-agent --tag agent\n"
        "  vschan apply --fleet fleet.json --dry-run --json\n", out);
}

/* Plan, print, and unless --dry-run carry it out (and tag). */
static void converge(vsc_cli *cli, vsc_virt_change *ch, const vsc_devset *set, bool prune,
                     bool dry_run, const char *tag)
{
  vsc_virt_domain *d = ch->session.dom;
  bool json = ch->args.json, quiet = json || cli->verbosity < 0;
  vsc_virt_state st = { 0 };
  vsc_plan plan = { 0 };
  const char *result = "failed";
  bool tag_added = false;

  if (vsc_virt_state_read(d, &st, &ch->diags) < 0 ||
      vsc_virt_plan(&st, set, ch->live, ch->config, prune, &plan, &ch->diags) < 0)
    goto print;
  /* a dry run predicts the refusals too */
  if (plan.nitems > 0 && vsc_virt_plan_check(d, &st, &plan, &ch->diags) < 0)
    goto print;
  if (plan.nitems == 0) {
    result = "nothing-to-do";
    if (!quiet)
      printf("Nothing to do: domain '%s' matches the spec (%s).\n", d->name,
             vsc_virt_where(ch->live, ch->config));
  } else {
    if (!quiet)
      vsc_apply_print_plan(cli, d->name, &plan);
    if (dry_run) {
      result = "dry-run";
      if (!quiet)
        puts("Dry run: nothing was changed.");
    } else {
      fflush(stdout);
      vsc_virt_progress progress = vsc_virt_cli_progress(cli);
      if (vsc_virt_plan_apply(d, &st, &plan, ch->opts.timeout, &progress, &ch->diags) < 0)
        goto print;
      result = "applied";
      if (!quiet)
        printf("Applied: domain '%s' matches the spec.\n", d->name);
    }
  }
  if (tag) {
    int rc = dry_run ? vsc_virt_domain_lacks_tag(d, tag, &tag_added, &ch->diags)
                     : vsc_virt_domain_add_tag(d, tag, &tag_added, &ch->diags);
    if (rc < 0) {
      result = "failed";
      goto print;
    }
    if (tag_added && !quiet)
      printf(dry_run ? "Dry run: domain '%s' would get tag '%s'.\n" : "Tagged: domain '%s' carries tag '%s'.\n",
             d->name, tag);
  }
print:
  if (json) {
    json_t *j = vsc_apply_plan_json(d->name, &plan, dry_run, result);
    bool failed = strcmp(result, "failed") == 0;
    vsc_apply_json_outcome(j, !failed && (plan.nitems > 0 || tag_added), tag_added, &ch->diags);
    vsc_cli_print_json(j, 0);
  }
  vsc_plan_clear(&plan);
  vsc_virt_state_clear(&st);
}

/* "a,b" and repeated options: every item, in order. */
static void add_items(char ***v, size_t *n, const char *arg)
{
  VSC_AUTOFREE(char) copy = vsc_strdup(arg);
  char *save = NULL;
  for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
    *(char **)vsc_append(v, n, sizeof(char *)) = vsc_strdup(item);
}

static void free_items(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* --domains/--tagged: one fleet entry per -c URI, the spec shared. */
static int fleet_from_args(vsc_cli *cli, vsc_virt_change *ch, char **domains, size_t ndomains,
                           char **tagged, size_t ntagged, vsc_fleet *f)
{
  vsc_cli_args *a = &ch->args;
  if (a->noperands > 1) {
    ch->rc = vsc_cli_usage_error("apply", "--domains and --tagged name the domains: give only the spec");
    return -1;
  }
  vsc_devset *set = vsc_calloc(1, sizeof(*set));
  vsc_devset_init(set);
  vsc_fleet_keep(f, set);
  if (vsc_cli_input_load(&a->input, a->noperands ? a->operands[0] : NULL, set, &ch->diags, "apply",
                         &ch->rc) < 0)
    return -1;
  vsc_virt_derive_aliases(set, NULL);
  size_t nhosts = cli->nuris ? cli->nuris : 1;
  for (size_t k = 0; k < nhosts; k++) {
    vsc_fleet_entry *e = vsc_fleet_add(f);
    e->uri = cli->nuris ? vsc_strdup(cli->uris[k]) : NULL;
    for (size_t i = 0; i < ndomains; i++)
      *(char **)vsc_append(&e->patterns, &e->npatterns, sizeof(char *)) = vsc_strdup(domains[i]);
    for (size_t i = 0; i < ntagged; i++)
      *(char **)vsc_append(&e->tagged, &e->ntagged, sizeof(char *)) = vsc_strdup(tagged[i]);
    e->set = set;
    /* the spec's file; null in --json for a template or options */
    e->spec_name = a->noperands ? vsc_strdup(a->operands[0]) : NULL;
    e->origin = vsc_strdup("the command line");
  }
  return 0;
}

int cmd_apply(vsc_cli *cli, int argc, char **argv)
{
  enum { OPT_PRUNE = 0x1200, OPT_DRY_RUN, OPT_DOMAINS, OPT_TAGGED, OPT_FLEET, OPT_PARALLEL, OPT_TAG };
  static const struct option opts[] = {
    { "prune", no_argument, NULL, OPT_PRUNE },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "domains", required_argument, NULL, OPT_DOMAINS },
    { "tagged", required_argument, NULL, OPT_TAGGED },
    { "fleet", required_argument, NULL, OPT_FLEET },
    { "parallel", required_argument, NULL, OPT_PARALLEL },
    { "tag", required_argument, NULL, OPT_TAG },
    VSC_VIRT_CHANGE_OPTIONS,
    { NULL, 0, NULL, 0 },
  };
  vsc_virt_change ch;
  vsc_devset set;
  vsc_fleet fleet = { 0 };
  bool prune = false, dry_run = false;
  const char *fleet_file = NULL, *tag = NULL;
  char **domains = NULL, **tagged = NULL;
  size_t ndomains = 0, ntagged = 0;
  int parallel = 0, c;

  vsc_devset_init(&set);
  vsc_virt_change_init(&ch, cli, argc, argv, usage, opts);
  while ((c = vsc_virt_change_next(&ch)) > 0) {
    char *end;
    switch (c) {
    case OPT_PRUNE:
      prune = true;
      break;
    case OPT_DRY_RUN:
      dry_run = true;
      break;
    case OPT_DOMAINS:
      add_items(&domains, &ndomains, optarg);
      break;
    case OPT_TAGGED:
      add_items(&tagged, &ntagged, optarg);
      break;
    case OPT_FLEET:
      fleet_file = optarg;
      break;
    case OPT_PARALLEL:
      parallel = (int)strtol(optarg, &end, 10);
      if (*end || end == optarg || parallel < 1 || parallel > VSC_FLEET_MAX_PARALLEL)
        ch.args.rc = vsc_cli_usage_error("apply", "--parallel takes a number from 1 to %d, not '%s'",
                                         VSC_FLEET_MAX_PARALLEL, optarg);
      break;
    case OPT_TAG:
      tag = optarg;
      if (!vsc_fleet_tag_valid(tag))
        ch.args.rc = vsc_cli_usage_error("apply", "--tag takes 1 to 64 of [A-Za-z0-9_.-], not '%s'", tag);
      break;
    }
    if (ch.args.rc) {
      ch.rc = ch.args.rc;
      c = -1;
      break;
    }
  }
  for (size_t i = 0; c == 0 && i < ntagged; i++)
    if (!vsc_fleet_tag_valid(tagged[i])) {
      ch.rc = vsc_cli_usage_error("apply", "--tagged takes 1 to 64 of [A-Za-z0-9_.-], not '%s'", tagged[i]);
      c = -1;
    }
  bool many = fleet_file || ndomains || ntagged;
  if (c == 0 && fleet_file && (ndomains || ntagged || cli->nuris || ch.args.noperands ||
                               ch.args.input.template_name || ch.args.input.ncompact)) {
    ch.rc = vsc_cli_usage_error("apply", "--fleet names the hosts, domains and specs itself: "
                                         "give no -c, --domains, --tagged, domain or spec with it");
    c = -1;
  } else if (c == 0 && !many && (parallel || cli->nuris > 1 || ch.args.noperands == 0)) {
    ch.rc = vsc_cli_usage_error("apply", "%s",
                                ch.args.noperands == 0 ? "name the domain (or --domains, --tagged, --fleet)"
                                : parallel ? "--parallel goes with --domains, --tagged or --fleet"
                                           : "-c is given more than once: several hosts need --domains "
                                             "or --tagged");
    c = -1;
  }

  if (c == 0 && many) {
    vsc_fleet_opts o = { .prune = prune, .dry_run = dry_run, .timeout = ch.opts.timeout,
                         .tag = tag, .parallel = parallel };
    if (vsc_virt_change_read(&ch, NULL) == 0 &&
        (fleet_file ? (vsc_fleet_load(fleet_file, &fleet, &ch.diags) < 0 ? (ch.rc = VSC_EXIT_FAILURE, -1) : 0)
                    : fleet_from_args(cli, &ch, domains, ndomains, tagged, ntagged, &fleet)) == 0) {
      o.affect = ch.affect;
      ch.rc = vsc_apply_fleet(cli, &fleet, &o, ch.args.json);
    }
  } else if (c == 0 && vsc_virt_change_read(&ch, &set) == 0) {
    vsc_virt_derive_aliases(&set, NULL);
    if (vsc_virt_change_connect(&ch) == 0)
      converge(cli, &ch, &set, prune, dry_run, tag);
  }
  vsc_fleet_clear(&fleet);
  free_items(domains, ndomains);
  free_items(tagged, ntagged);
  vsc_devset_clear(&set);
  return vsc_virt_change_finish(&ch);
}
