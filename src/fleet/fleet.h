/* apply on many domains and many hosts: which domains (a fleet file, or
 * the command line's URIs and patterns), and the runner that converges
 * them with one libvirt connection per host and a bounded number of
 * domains per host at once.  Each domain is its own transaction, as with
 * a single `vschan apply`; a failing domain or an unreachable host never
 * stops the others.  The library never prints: the runner fills records
 * that the command prints. */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"
#include "virt/virt.h"

#include <stdbool.h>
#include <stddef.h>

/* The most domains worked on at once on one host, whatever --parallel or
 * the host's CPUs say (libvirt's daemon has 20 workers by default, and
 * each attach occupies one). */
#define VSC_FLEET_MAX_PARALLEL 16

/* What to converge on one host: the domains, by name or glob pattern
 * (fnmatch) or by a tag vschan set with apply --tag, and their spec. */
typedef struct {
  char *uri;                 /* NULL: LIBVIRT_DEFAULT_URI, libvirt's default */
  char **patterns;
  size_t npatterns;
  char **tagged;             /* domains carrying any of these tags */
  size_t ntagged;
  const vsc_devset *set;     /* the spec, aliases derived (one of the fleet's sets) */
  char *spec_name;           /* for messages: the spec's file */
  int parallel;              /* 0: the fleet's, else sized to the host */
  char *origin;              /* where it was given: "fleet.json: /hosts/1" */
} vsc_fleet_entry;

typedef struct {
  vsc_fleet_entry *entries;
  size_t nentries;
  vsc_devset **sets;         /* the specs the entries share; owned */
  size_t nsets;
} vsc_fleet;

void vsc_fleet_clear(vsc_fleet *f);
/* A new entry at the end (zeroed). */
vsc_fleet_entry *vsc_fleet_add(vsc_fleet *f);
/* Give the fleet a spec: it frees set (allocated) with itself. */
const vsc_devset *vsc_fleet_keep(vsc_fleet *f, vsc_devset *set);

/* Read a fleet file (file.c):
 *   {"version": 1, "spec": "monitoring.json",
 *    "hosts": [{"uri": "qemu+ssh://root@h1/system",
 *               "domains": ["web-*", "db1"], "tagged": ["monitoring"],
 *               "spec": "other.json" | {...inline spec...}, "parallel": 4}]}
 * A spec path is relative to the fleet file; a host's spec replaces the
 * top-level one.  -1 with errors (file and JSON pointer) in diags. */
int vsc_fleet_load(const char *path, vsc_fleet *f, vsc_diags *diags);

/* A tag vschan sets and selects on: [A-Za-z0-9_.-], 1 to 64 characters. */
bool vsc_fleet_tag_valid(const char *tag);

typedef struct {
  vsc_virt_affect affect;
  bool prune, dry_run;
  double timeout;            /* seconds for each unplug */
  const char *tag;           /* set on each domain that converged, or NULL */
  int parallel;              /* domains at once per host; 0: sized to the host */
  /* Called from the worker threads as each domain is done (may be NULL). */
  void (*progress)(void *opaque, const char *uri, size_t done, size_t total);
  void *opaque;
} vsc_fleet_opts;

typedef enum {
  VSC_FLEET_NOTHING,         /* it matched the spec already */
  VSC_FLEET_DRY_RUN,         /* --dry-run with changes to make */
  VSC_FLEET_APPLIED,         /* it converged */
  VSC_FLEET_FAILED,          /* refused, or libvirt failed (the domain was put back) */
} vsc_fleet_result;

/* One domain's run. */
typedef struct {
  char *domain;
  const vsc_fleet_entry *entry;
  vsc_fleet_result result;
  bool live, config;         /* the definitions compared */
  vsc_virt_state st;         /* what the plan's items point into */
  vsc_plan plan;
  bool tag_added;            /* --tag was new to it (with dry_run: would be) */
  vsc_diags diags;
} vsc_fleet_record;

/* One host's run: its connection and its domains, by name. */
typedef struct {
  char *uri;                 /* as given; NULL: the default */
  char *actual_uri;          /* as libvirt names it, once connected */
  bool reachable;
  int parallel;              /* domains worked on at once */
  vsc_fleet_record *records;
  size_t nrecords;
  vsc_diags diags;           /* the connection's error; patterns that matched nothing */
} vsc_fleet_host;

typedef struct {
  vsc_fleet_host *hosts;     /* in the order their URIs first appear */
  size_t nhosts;
} vsc_fleet_report;

/* Converge every domain the fleet names.  Entries with the same URI share
 * one connection; a domain two entries of one host select is an error of
 * that domain.  Returns 0 when every host was reached and every domain
 * converged (or would, with dry_run), else -1; the report holds it all. */
int vsc_fleet_run(const vsc_fleet *f, const vsc_fleet_opts *o, vsc_fleet_report *report);
void vsc_fleet_report_clear(vsc_fleet_report *r);

/* The exit status a report means: 0, or that of the gravest error class
 * among the failed domains and hosts (vsc_diags_exit_code). */
int vsc_fleet_report_exit_code(const vsc_fleet_report *r);
