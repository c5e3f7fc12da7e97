/* The fleet runner: a thread per host opens its connection and selects
 * its domains, then a bounded pool of workers converges them, each domain
 * one transaction (plan, then vsc_virt_plan_apply). */
#include "fleet.h"

#include "util/exitcode.h"
#include "util/text.h"

#include <fnmatch.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

void vsc_fleet_clear(vsc_fleet *f)
{
  for (size_t i = 0; i < f->nentries; i++) {
    vsc_fleet_entry *e = &f->entries[i];
    free(e->uri);
    for (size_t j = 0; j < e->npatterns; j++)
      free(e->patterns[j]);
    free(e->patterns);
    for (size_t j = 0; j < e->ntagged; j++)
      free(e->tagged[j]);
    free(e->tagged);
    free(e->spec_name);
    free(e->origin);
  }
  free(f->entries);
  for (size_t i = 0; i < f->nsets; i++) {
    vsc_devset_clear(f->sets[i]);
    free(f->sets[i]);
  }
  free(f->sets);
  memset(f, 0, sizeof(*f));
}

const vsc_devset *vsc_fleet_keep(vsc_fleet *f, vsc_devset *set)
{
  *(vsc_devset **)vsc_append(&f->sets, &f->nsets, sizeof(vsc_devset *)) = set;
  return set;
}

vsc_fleet_entry *vsc_fleet_add(vsc_fleet *f)
{
  vsc_fleet_entry *e = vsc_append(&f->entries, &f->nentries, sizeof(*e));
  memset(e, 0, sizeof(*e));
  return e;
}

bool vsc_fleet_tag_valid(const char *tag)
{
  size_t len = strlen(tag);
  return len > 0 && len <= 64 && vsc_text_only_chars(tag, "_.-");
}

/* ---- one host ---- */

typedef struct {
  const vsc_fleet_opts *o;
  vsc_fleet_host *host;
  const vsc_fleet_entry **entries;   /* the fleet's entries for this host */
  size_t nentries;
  vsc_virt *virt;
  atomic_size_t next, done;
  pthread_t thread;
} host_run;

static bool is_glob(const char *pattern)
{
  return strpbrk(pattern, "*?[") != NULL;
}

static bool same_uri(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

static vsc_fleet_record *add_record(vsc_fleet_host *host, const char *domain,
                                    const vsc_fleet_entry *entry)
{
  vsc_fleet_record *r = vsc_append(&host->records, &host->nrecords, sizeof(*r));
  memset(r, 0, sizeof(*r));
  r->domain = vsc_strdup(domain);
  r->entry = entry;
  r->result = VSC_FLEET_FAILED;
  return r;
}

static int cmp_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The domains of this host the entries select, by name, as records. */
static void select_domains(host_run *h)
{
  virConnectPtr conn = vsc_virt_conn(h->virt);
  virDomainPtr *doms = NULL;
  bool by_tag = false;
  int n = virConnectListAllDomains(conn, &doms, 0);

  if (n < 0) {
    vsc_virt_error(&h->host->diags, NULL, "cannot list the domains");
    return;
  }
  char **names = vsc_calloc((size_t)n + 1, sizeof(char *));
  for (int i = 0; i < n; i++) {
    const char *name = virDomainGetName(doms[i]);
    names[i] = vsc_strdup(name ? name : "");
    virDomainFree(doms[i]);
  }
  free(doms);
  qsort(names, (size_t)n, sizeof(char *), cmp_name);
  for (size_t k = 0; k < h->nentries; k++)
    by_tag |= h->entries[k]->ntagged > 0;

  /* how many domains each selector of each entry matched */
  size_t **hits = vsc_calloc(h->nentries, sizeof(size_t *));
  for (size_t k = 0; k < h->nentries; k++)
    hits[k] = vsc_calloc(h->entries[k]->npatterns + h->entries[k]->ntagged + 1, sizeof(size_t));

  for (int i = 0; i < n; i++) {
    char **tags = NULL;
    size_t ntags = 0;
    const vsc_fleet_entry *first = NULL, *second = NULL;
    vsc_diags tag_diags = { 0 };

    if (by_tag) {
      VSC_AUTOPTR(vsc_virt_domain) d = vsc_virt_domain_lookup(h->virt, names[i], &tag_diags);
      if (d)
        vsc_virt_domain_tags(d, &tags, &ntags, &tag_diags);
    }
    for (size_t k = 0; k < h->nentries; k++) {
      const vsc_fleet_entry *e = h->entries[k];
      bool hit = false;
      for (size_t p = 0; p < e->npatterns; p++)
        if (fnmatch(e->patterns[p], names[i], 0) == 0)
          hits[k][p]++, hit = true;
      for (size_t t = 0; t < e->ntagged; t++)
        for (size_t j = 0; j < ntags; j++)
          if (strcmp(e->tagged[t], tags[j]) == 0)
            hits[k][e->npatterns + t]++, hit = true;
      if (hit && !first)
        first = e;
      else if (hit && !second && e != first)
        second = e;
    }
    if (first) {
      vsc_fleet_record *r = add_record(h->host, names[i], first);
      vsc_diags_move(&r->diags, &tag_diags);
      if (second)
        vsc_error(&r->diags, NULL, "fleet-selected-twice",
                  "give each domain one entry of the fleet (a narrower pattern, or another tag)",
                  "domain '%s' is selected by %s and by %s, each with its own spec", names[i],
                  first->origin, second->origin);
    }
    vsc_diags_clear(&tag_diags);
    vsc_virt_tags_free(tags, ntags);
  }

  /* A name that matched nothing is a domain that is not there: its
   * record fails as a single apply would.  A pattern or a tag that
   * matched nothing may be right (no such domain yet): a warning. */
  for (size_t k = 0; k < h->nentries; k++) {
    const vsc_fleet_entry *e = h->entries[k];
    for (size_t p = 0; p < e->npatterns + e->ntagged; p++) {
      if (hits[k][p])
        continue;
      if (p < e->npatterns && !is_glob(e->patterns[p])) {
        add_record(h->host, e->patterns[p], e);
        continue;
      }
      const char *what = p < e->npatterns ? e->patterns[p] : e->tagged[p - e->npatterns];
      vsc_warning(&h->host->diags, NULL, "fleet-no-match", "check the pattern, or tag the domains with apply --tag",
                  "%s %s '%s' selects no domain on this host", e->origin,
                  p < e->npatterns ? "pattern" : "tag", what);
    }
    free(hits[k]);
  }
  free(hits);
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* Plan and apply one domain: what `vschan apply DOMAIN` does. */
static void converge_one(host_run *h, vsc_fleet_record *r)
{
  const vsc_fleet_opts *o = h->o;

  if (vsc_diags_has_errors(&r->diags))
    return;   /* refused at selection */
  VSC_AUTOPTR(vsc_virt_domain) d = vsc_virt_domain_lookup(h->virt, r->domain, &r->diags);
  if (!d || vsc_virt_affect_resolve(d, o->affect, &r->live, &r->config, &r->diags) < 0 ||
      vsc_virt_state_read(d, &r->st, &r->diags) < 0 ||
      vsc_virt_plan(&r->st, r->entry->set, r->live, r->config, o->prune, &r->plan, &r->diags) < 0)
    return;
  /* a dry run predicts the refusals too */
  if (r->plan.nitems > 0 && vsc_virt_plan_check(d, &r->st, &r->plan, &r->diags) < 0)
    return;
  if (o->dry_run) {
    if (o->tag && vsc_virt_domain_lacks_tag(d, o->tag, &r->tag_added, &r->diags) < 0)
      return;
    r->result = r->plan.nitems > 0 ? VSC_FLEET_DRY_RUN : VSC_FLEET_NOTHING;
    return;
  }
  if (r->plan.nitems > 0 &&
      vsc_virt_plan_apply(d, &r->st, &r->plan, o->timeout, NULL, &r->diags) < 0)
    return;
  if (o->tag && vsc_virt_domain_add_tag(d, o->tag, &r->tag_added, &r->diags) < 0)
    return;
  r->result = r->plan.nitems > 0 ? VSC_FLEET_APPLIED : VSC_FLEET_NOTHING;
}

static void *worker(void *opaque)
{
  host_run *h = opaque;
  for (;;) {
    size_t i = atomic_fetch_add(&h->next, 1);
    if (i >= h->host->nrecords)
      return NULL;
    converge_one(h, &h->host->records[i]);
    size_t done = atomic_fetch_add(&h->done, 1) + 1;
    if (h->o->progress)
      h->o->progress(h->o->opaque, h->host->uri, done, h->host->nrecords);
  }
}

/* Domains at once: an entry's "parallel", else --parallel, else twice the
 * host's CPUs (a worker mostly waits for libvirtd and QEMU: bench/fleet.sh
 * measured 2 workers on 2 CPUs 11% slower than 4); at least 1, at most
 * VSC_FLEET_MAX_PARALLEL. */
static int parallel_for(const host_run *h)
{
  int p = 0;
  for (size_t k = 0; k < h->nentries; k++)
    if (h->entries[k]->parallel > p)
      p = h->entries[k]->parallel;
  if (p == 0)
    p = h->o->parallel;
  if (p == 0) {
    virNodeInfo info;
    p = virNodeGetInfo(vsc_virt_conn(h->virt), &info) == 0 ? 2 * (int)info.cpus : 4;
    virResetLastError();
  }
  return p < 1 ? 1 : p > VSC_FLEET_MAX_PARALLEL ? VSC_FLEET_MAX_PARALLEL : p;
}

static void *host_main(void *opaque)
{
  host_run *h = opaque;
  vsc_fleet_host *host = h->host;

  h->virt = vsc_virt_open(host->uri, &host->diags);
  if (!h->virt)
    return NULL;
  host->reachable = true;
  char *actual = virConnectGetURI(vsc_virt_conn(h->virt));
  host->actual_uri = actual ? vsc_strdup(actual) : NULL;
  free(actual);
  host->parallel = parallel_for(h);
  select_domains(h);

  size_t nworkers = host->nrecords < (size_t)host->parallel ? host->nrecords : (size_t)host->parallel;
  pthread_t *workers = vsc_calloc(nworkers + 1, sizeof(pthread_t));
  size_t started = 0;
  for (; started < nworkers; started++)
    if (pthread_create(&workers[started], NULL, worker, h) != 0)
      break;
  if (started == 0)
    worker(h);   /* no thread to be had: this one does the work */
  for (size_t i = 0; i < started; i++)
    pthread_join(workers[i], NULL);
  free(workers);
  vsc_virt_close(h->virt);
  h->virt = NULL;
  return NULL;
}

int vsc_fleet_run(const vsc_fleet *f, const vsc_fleet_opts *o, vsc_fleet_report *report)
{
  host_run *runs = vsc_calloc(f->nentries + 1, sizeof(host_run));
  size_t nruns = 0;

  memset(report, 0, sizeof(*report));
  report->hosts = vsc_calloc(f->nentries + 1, sizeof(vsc_fleet_host));
  /* one host per URI, in the order the URIs first appear */
  for (size_t i = 0; i < f->nentries; i++) {
    const vsc_fleet_entry *e = &f->entries[i];
    size_t k = 0;
    while (k < nruns && !same_uri(runs[k].host->uri, e->uri))
      k++;
    if (k == nruns) {
      runs[k].o = o;
      runs[k].host = &report->hosts[k];
      runs[k].host->uri = e->uri ? vsc_strdup(e->uri) : NULL;
      nruns++;
    }
    *(const vsc_fleet_entry **)vsc_append(&runs[k].entries, &runs[k].nentries,
                                          sizeof(vsc_fleet_entry *)) = e;
  }
  report->nhosts = nruns;

  size_t started = 0;
  for (; started < nruns; started++)
    if (pthread_create(&runs[started].thread, NULL, host_main, &runs[started]) != 0)
      break;
  for (size_t k = started; k < nruns; k++)
    host_main(&runs[k]);   /* no thread to be had: one after the other */
  for (size_t k = 0; k < started; k++)
    pthread_join(runs[k].thread, NULL);
  for (size_t k = 0; k < nruns; k++)
    free(runs[k].entries);
  free(runs);
  return vsc_fleet_report_exit_code(report) == 0 ? 0 : -1;
}

void vsc_fleet_report_clear(vsc_fleet_report *r)
{
  for (size_t k = 0; k < r->nhosts; k++) {
    vsc_fleet_host *h = &r->hosts[k];
    for (size_t i = 0; i < h->nrecords; i++) {
      vsc_fleet_record *rec = &h->records[i];
      free(rec->domain);
      vsc_plan_clear(&rec->plan);
      vsc_virt_state_clear(&rec->st);
      vsc_diags_clear(&rec->diags);
    }
    free(h->records);
    free(h->uri);
    free(h->actual_uri);
    vsc_diags_clear(&h->diags);
  }
  free(r->hosts);
  memset(r, 0, sizeof(*r));
}

int vsc_fleet_report_exit_code(const vsc_fleet_report *r)
{
  int rc = VSC_EXIT_OK;
  for (size_t k = 0; k < r->nhosts; k++) {
    const vsc_fleet_host *h = &r->hosts[k];
    rc = vsc_exit_code_graver(rc, vsc_diags_exit_code(&h->diags));
    for (size_t i = 0; i < h->nrecords; i++) {
      const vsc_fleet_record *rec = &h->records[i];
      if (rec->result != VSC_FLEET_FAILED)
        continue;
      int code = vsc_diags_exit_code(&rec->diags);
      rc = vsc_exit_code_graver(rc, code ? code : VSC_EXIT_FAILURE);
    }
  }
  return rc;
}
