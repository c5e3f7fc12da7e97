/* What `vschan apply` prints, for one domain and for a fleet: the plan as
 * text and as JSON, the fleet's progress, records and summary. */
#include "virt-cmd.h"

#include "util/json.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

/* The record of an item's device: the spec's, or for a removal the domain's. */
static json_t *item_json(const vsc_plan_item *it)
{
  if (it->vwant || it->vhave)
    return vsc_virt_cli_vhost_json(it->vwant ? it->vwant : vsc_virt_vhost_main(it->vhave), it->live, it->config);
  return vsc_virt_cli_device_json(it->want ? it->want : vsc_virt_dev_main(it->have), it->live, it->config);
}

void vsc_apply_print_plan(vsc_cli *cli, const char *domain, const vsc_plan *plan)
{
  size_t counts[VSC_PLAN_LAST] = { 0 };
  bool color = cli->color_stdout;

  printf("Plan for domain '%s' (%s):\n", domain, vsc_virt_where(plan->live, plan->config));
  for (size_t i = 0; i < plan->nitems; i++) {
    const vsc_plan_item *it = &plan->items[i];
    VSC_AUTOFREE(char) what = vsc_plan_item_describe(it);
    static const char *const sign[] = { "+", "~", "-" };
    static const char *const col[] = { "\033[32m", "\033[33m", "\033[31m" };
    counts[it->action]++;
    printf("  %s%s %-8s%s %s [%s]", color ? col[it->action] : "", sign[it->action],
           vsc_plan_action_to_string(it->action), color ? "\033[0m" : "", what,
           vsc_virt_where(it->live, it->config));
    if (it->why)
      printf(": %s", it->why);
    putchar('\n');
  }
  printf("Plan: %zu to add, %zu to replace, %zu to remove.\n", counts[VSC_PLAN_ADD],
         counts[VSC_PLAN_REPLACE], counts[VSC_PLAN_REMOVE]);
}

json_t *vsc_apply_plan_json(const char *domain, const vsc_plan *plan, bool dry_run,
                            const char *result)
{
  json_t *items = json_array();
  for (size_t i = 0; i < plan->nitems; i++) {
    const vsc_plan_item *it = &plan->items[i];
    json_t *item = item_json(it);
    json_object_set_new(item, "action", json_string(vsc_plan_action_to_string(it->action)));
    json_object_set_new(item, "why", it->why ? json_string(it->why) : json_null());
    json_array_append_new(items, item);
  }
  return json_pack("{s:s,s:b,s:b,s:b,s:o,s:s}", "domain", domain, "live", plan->live,
                   "persistent", plan->config, "dry_run", dry_run, "plan", items, "result", result);
}

static json_t *diags_json(const vsc_diags *d, vsc_severity sev)
{
  json_t *a = json_array();
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].severity == sev)
      json_array_append_new(a, vsc_json_diag(&d->items[i]));
  return a;
}

void vsc_apply_json_outcome(json_t *record, bool changed, bool tag_added, const vsc_diags *d)
{
  json_object_set_new(record, "changed", json_boolean(changed));
  json_object_set_new(record, "tag_added", json_boolean(tag_added));
  json_object_set_new(record, "errors", diags_json(d, VSC_SEV_ERROR));
  json_object_set_new(record, "warnings", diags_json(d, VSC_SEV_WARNING));
}

/* ---- the fleet ---- */

static const char *const result_names[] = {
  [VSC_FLEET_NOTHING] = "nothing-to-do",
  [VSC_FLEET_DRY_RUN] = "dry-run",
  [VSC_FLEET_APPLIED] = "applied",
  [VSC_FLEET_FAILED] = "failed",
};

static const char *host_name(const vsc_fleet_host *h)
{
  return h->uri ? h->uri : h->actual_uri ? h->actual_uri : "the default URI";
}

/* On a terminal, one line that changes in place: every host's count. */
typedef struct {
  pthread_mutex_t lock;
  const vsc_fleet_report *report;   /* the hosts, in order */
  size_t *done, *total;              /* per host, as the workers said (0/0: not yet) */
  bool shown;
} progress_state;

static void print_progress(void *opaque, const char *uri, size_t done, size_t total)
{
  progress_state *p = opaque;
  pthread_mutex_lock(&p->lock);
  fputs("\r\033[K", stderr);
  for (size_t k = 0; k < p->report->nhosts; k++) {
    const vsc_fleet_host *h = &p->report->hosts[k];
    if (h->uri == uri) {   /* the runner passes the host's own string */
      p->done[k] = done;
      p->total[k] = total;
    }
    fprintf(stderr, "%s%s %zu/%zu", k ? ", " : "", h->uri ? h->uri : "default URI", p->done[k],
            p->total[k]);
  }
  fflush(stderr);
  p->shown = true;
  pthread_mutex_unlock(&p->lock);
}

typedef struct {
  size_t domains, applied, unchanged, planned, failed, unreachable, tagged;
} summary;

static void count(const vsc_fleet_report *r, summary *s)
{
  memset(s, 0, sizeof(*s));
  for (size_t k = 0; k < r->nhosts; k++) {
    s->unreachable += !r->hosts[k].reachable;
    for (size_t i = 0; i < r->hosts[k].nrecords; i++) {
      const vsc_fleet_record *rec = &r->hosts[k].records[i];
      s->domains++;
      s->tagged += rec->tag_added;
      switch (rec->result) {
      case VSC_FLEET_NOTHING:
        s->unchanged += !rec->tag_added;
        break;
      case VSC_FLEET_DRY_RUN:
        s->planned++;
        break;
      case VSC_FLEET_APPLIED:
        s->applied++;
        break;
      case VSC_FLEET_FAILED:
        s->failed++;
        break;
      }
    }
  }
}

static void print_json(const vsc_fleet_report *r, const vsc_fleet_opts *o)
{
  json_t *domains = json_array(), *hosts = json_array();
  summary s;

  for (size_t k = 0; k < r->nhosts; k++) {
    const vsc_fleet_host *h = &r->hosts[k];
    json_array_append_new(hosts, json_pack("{s:o,s:o,s:b,s:i,s:I,s:o,s:o}",
                                           "uri", vsc_json_text_or_null(h->uri),
                                           "actual_uri", vsc_json_text_or_null(h->actual_uri),
                                           "reachable", h->reachable, "parallel", h->parallel,
                                           "domains", (json_int_t)h->nrecords,
                                           "errors", diags_json(&h->diags, VSC_SEV_ERROR),
                                           "warnings", diags_json(&h->diags, VSC_SEV_WARNING)));
    for (size_t i = 0; i < h->nrecords; i++) {
      const vsc_fleet_record *rec = &h->records[i];
      json_t *j = vsc_apply_plan_json(rec->domain, &rec->plan, o->dry_run, result_names[rec->result]);
      /* before the plan is made, the definitions are not known */
      json_object_set_new(j, "live", json_boolean(rec->live));
      json_object_set_new(j, "persistent", json_boolean(rec->config));
      json_object_set_new(j, "uri", vsc_json_text_or_null(h->uri));
      json_object_set_new(j, "spec", vsc_json_text_or_null(rec->entry ? rec->entry->spec_name : NULL));
      /* changed: what the run changed, or with --dry-run would change */
      bool changed = rec->result == VSC_FLEET_APPLIED || rec->result == VSC_FLEET_DRY_RUN ||
                     (rec->result != VSC_FLEET_FAILED && rec->tag_added);
      vsc_apply_json_outcome(j, changed, rec->tag_added, &rec->diags);
      json_array_append_new(domains, j);
    }
  }
  count(r, &s);
  /* converged: every domain matches the spec (and carries the tag) now */
  bool converged = vsc_fleet_report_exit_code(r) == 0 && !(o->dry_run && (s.planned || s.tagged));
  json_t *sum = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "hosts", (json_int_t)r->nhosts,
                          "unreachable", (json_int_t)s.unreachable, "domains", (json_int_t)s.domains,
                          "applied", (json_int_t)s.applied, "unchanged", (json_int_t)s.unchanged,
                          "planned", (json_int_t)s.planned, "failed", (json_int_t)s.failed,
                          "tagged", (json_int_t)s.tagged, "converged", converged);
  vsc_cli_print_json(json_pack("{s:b,s:o,s:o,s:o}", "dry_run", o->dry_run, "domains", domains,
                               "hosts", hosts, "summary", sum), 0);
}

/* A domain's or host's errors on stderr, under a line that names it. */
static void print_failure(vsc_cli *cli, const char *what, const vsc_diags *d)
{
  fprintf(stderr, "vschan: apply: %s:\n", what);
  vsc_diags_print(d, stderr, cli->color_stderr);
}

/* A host that could not be reached or listed: its errors.  Whether it was one. */
static bool print_host_failure(vsc_cli *cli, const vsc_fleet_host *h)
{
  if (h->reachable && !vsc_diags_has_errors(&h->diags))
    return false;
  VSC_AUTOFREE(char) what = vsc_asprintf("host %s", host_name(h));
  print_failure(cli, what, &h->diags);
  return true;
}

/* A failed domain: its errors.  Whether it failed. */
static bool print_domain_failure(vsc_cli *cli, const vsc_fleet_host *h, const vsc_fleet_record *rec)
{
  if (rec->result != VSC_FLEET_FAILED)
    return false;
  VSC_AUTOFREE(char) what = vsc_asprintf("domain '%s' on %s", rec->domain, host_name(h));
  print_failure(cli, what, &rec->diags);
  return true;
}

static void print_text(vsc_cli *cli, const vsc_fleet_report *r, const vsc_fleet_opts *o)
{
  bool quiet = cli->verbosity < 0;
  summary s;

  for (size_t k = 0; k < r->nhosts; k++) {
    const vsc_fleet_host *h = &r->hosts[k];
    if (print_host_failure(cli, h))
      continue;
    if (h->diags.n)
      vsc_diags_print(&h->diags, stderr, cli->color_stderr);
    if (!quiet)
      printf("Host %s: %zu domain%s, %d at once\n", host_name(h), h->nrecords,
             h->nrecords == 1 ? "" : "s", h->parallel);
    for (size_t i = 0; i < h->nrecords; i++) {
      const vsc_fleet_record *rec = &h->records[i];
      if (print_domain_failure(cli, h, rec))
        continue;
      if (quiet)
        continue;
      if (rec->plan.nitems)
        vsc_apply_print_plan(cli, rec->domain, &rec->plan);
      if (rec->result == VSC_FLEET_NOTHING)
        printf("Nothing to do: domain '%s' matches the spec (%s).\n", rec->domain,
               vsc_virt_where(rec->live, rec->config));
      else if (rec->result == VSC_FLEET_APPLIED)
        printf("Applied: domain '%s' matches the spec.\n", rec->domain);
      if (rec->tag_added)
        printf(o->dry_run ? "Dry run: domain '%s' would get tag '%s'.\n"
                          : "Tagged: domain '%s' carries tag '%s'.\n", rec->domain, o->tag);
    }
  }
  count(r, &s);
  if (quiet)
    return;
  printf("Fleet: %zu host%s", r->nhosts, r->nhosts == 1 ? "" : "s");
  if (s.unreachable)
    printf(" (%zu unreachable)", s.unreachable);
  printf(", %zu domain%s: ", s.domains, s.domains == 1 ? "" : "s");
  if (o->dry_run)
    printf("%zu to change, %zu unchanged, %zu failed (dry run: nothing was changed).\n", s.planned,
           s.unchanged, s.failed);
  else
    printf("%zu applied, %zu unchanged, %zu failed.\n", s.applied, s.unchanged, s.failed);
  for (size_t k = 0; k < r->nhosts; k++) {
    const vsc_fleet_host *h = &r->hosts[k];
    if (!h->reachable)
      printf("  unreachable: %s\n", host_name(h));
    for (size_t i = 0; i < h->nrecords; i++)
      if (h->records[i].result == VSC_FLEET_FAILED) {
        const vsc_diags *d = &h->records[i].diags;
        const char *first = NULL;
        for (size_t j = 0; j < d->n && !first; j++)
          if (d->items[j].severity == VSC_SEV_ERROR)
            first = d->items[j].message;
        printf("  failed: %s on %s: %s\n", h->records[i].domain, host_name(h),
               first ? first : "(no message)");
      }
  }
}

int vsc_apply_fleet(vsc_cli *cli, const vsc_fleet *f, const vsc_fleet_opts *opts, bool json)
{
  vsc_fleet_opts run = *opts;   /* with this call's progress printer */
  vsc_fleet_report report;
  progress_state progress = { .lock = PTHREAD_MUTEX_INITIALIZER, .report = &report };

  progress.done = vsc_calloc(f->nentries + 1, sizeof(size_t));
  progress.total = vsc_calloc(f->nentries + 1, sizeof(size_t));
  if (!json && cli->verbosity >= 0 && isatty(STDERR_FILENO)) {
    run.progress = print_progress;
    run.opaque = &progress;
  }
  vsc_fleet_run(f, &run, &report);
  if (progress.shown)
    fputs("\r\033[K", stderr);
  free(progress.done);
  free(progress.total);
  if (json) {
    /* the errors also where a person looks, as for one domain */
    for (size_t k = 0; k < report.nhosts; k++) {
      if (print_host_failure(cli, &report.hosts[k]))
        continue;
      for (size_t i = 0; i < report.hosts[k].nrecords; i++)
        print_domain_failure(cli, &report.hosts[k], &report.hosts[k].records[i]);
    }
    print_json(&report, opts);
  } else
    print_text(cli, &report, opts);
  int rc = vsc_fleet_report_exit_code(&report);
  vsc_fleet_report_clear(&report);
  return rc;
}
