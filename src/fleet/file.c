/* Reading a fleet file (fleet.h has its format; vschan-fleet is in
 * vschan(1)).  Every problem names the file and the JSON pointer. */
#define _GNU_SOURCE  /* vasprintf */
#include "fleet.h"

#include "model/rules.h"
#include "spec/spec.h"
#include "util/file.h"
#include "util/buf.h"
#include "util/json.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLEET_MAX_SIZE (16 * 1024 * 1024)

typedef struct {
  const char *file;
  char *dir;                 /* of the file: spec paths are relative to it */
  vsc_diags *diags;
  bool failed;
} reader;

static void bad(reader *r, const char *pointer, const char *hint, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));
static void bad(reader *r, const char *pointer, const char *hint, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  vsc_loc loc = { .file = r->file, .pointer = pointer };
  vsc_error(r->diags, &loc, "fleet", hint, "%s", msg ? msg : "out of memory");
  free(msg);
  r->failed = true;
}

static bool check_keys(reader *r, json_t *obj, const char *pointer, const char *const *keys)
{
  const char *key;
  json_t *v;
  bool ok = true;
  json_object_foreach(obj, key, v) {
    size_t i = 0;
    while (keys[i] && strcmp(keys[i], key) != 0)
      i++;
    if (!keys[i]) {
      VSC_AUTOFREE(char) at = vsc_asprintf("%s/%s", pointer, key);
      VSC_AUTOFREE(char) known = NULL;
      vsc_buf b = { 0 };
      for (size_t j = 0; keys[j]; j++)
        vsc_buf_printf(&b, "%s%s", j ? ", " : "", keys[j]);
      known = vsc_buf_steal(&b);
      bad(r, at, NULL, "unknown key '%s' (this object takes %s)", key, known);
      ok = false;
    }
  }
  return ok;
}

/* A string, or an array of strings, into *out. */
static void read_strings(reader *r, json_t *v, const char *pointer, char ***out, size_t *n)
{
  if (json_is_string(v)) {
    *(char **)vsc_append(out, n, sizeof(char *)) = vsc_strdup(json_string_value(v));
    return;
  }
  if (!json_is_array(v)) {
    bad(r, pointer, "write [\"web-*\", \"db1\"]", "a string or an array of strings, not %s",
        vsc_json_type_name(json_typeof(v)));
    return;
  }
  size_t i;
  json_t *item;
  json_array_foreach(v, i, item) {
    if (!json_is_string(item) || !*json_string_value(item)) {
      VSC_AUTOFREE(char) at = vsc_asprintf("%s/%zu", pointer, i);
      bad(r, at, NULL, "a non-empty string, not %s",
          json_is_string(item) ? "\"\"" : vsc_json_type_name(json_typeof(item)));
      continue;
    }
    *(char **)vsc_append(out, n, sizeof(char *)) = vsc_strdup(json_string_value(item));
  }
}

/* "spec": a path relative to the fleet file, or the spec inline. */
static const vsc_devset *read_spec(reader *r, json_t *v, const char *pointer, char **name,
                                   vsc_fleet *f)
{
  vsc_devset *set = vsc_calloc(1, sizeof(*set));
  int rc;

  vsc_devset_init(set);
  if (json_is_string(v)) {
    const char *p = json_string_value(v);
    *name = p[0] == '/' ? vsc_strdup(p) : vsc_asprintf("%s/%s", r->dir, p);
    rc = vsc_spec_load(*name, set, r->diags);
  } else if (json_is_object(v)) {
    *name = vsc_asprintf("%s: %s", r->file, pointer);
    rc = vsc_spec_parse_json(v, *name, set, r->diags);
  } else {
    bad(r, pointer, "name a spec file (relative to the fleet file) or write the spec inline",
        "a file name or a spec object, not %s", vsc_json_type_name(json_typeof(v)));
    rc = -1;
  }
  /* the rule pass every front end runs before a generator */
  if (rc < 0 || vsc_rules_require_clean(set, NULL, r->diags) < 0) {
    vsc_devset_clear(set);
    free(set);
    r->failed = true;
    return NULL;
  }
  vsc_virt_derive_aliases(set, NULL);
  return vsc_fleet_keep(f, set);
}

static void read_host(reader *r, json_t *host, size_t index, json_t *default_spec, vsc_fleet *f)
{
  static const char *const keys[] = { "uri", "domains", "tagged", "spec", "parallel", NULL };
  VSC_AUTOFREE(char) pointer = vsc_asprintf("/hosts/%zu", index);

  if (!json_is_object(host)) {
    bad(r, pointer, NULL, "a host is an object ({\"uri\": ..., \"domains\": [...]}), not %s",
        vsc_json_type_name(json_typeof(host)));
    return;
  }
  check_keys(r, host, pointer, keys);
  vsc_fleet_entry *e = vsc_fleet_add(f);
  e->origin = vsc_asprintf("%s: %s", r->file, pointer);

  json_t *uri = json_object_get(host, "uri");
  if (uri && (!json_is_string(uri) || !*json_string_value(uri))) {
    VSC_AUTOFREE(char) at = vsc_asprintf("%s/uri", pointer);
    bad(r, at, "write a libvirt URI such as qemu+ssh://root@host/system", "the URI is a non-empty string");
  } else if (uri) {
    e->uri = vsc_strdup(json_string_value(uri));
  }
  json_t *v;
  if ((v = json_object_get(host, "domains"))) {
    VSC_AUTOFREE(char) at = vsc_asprintf("%s/domains", pointer);
    read_strings(r, v, at, &e->patterns, &e->npatterns);
  }
  if ((v = json_object_get(host, "tagged"))) {
    VSC_AUTOFREE(char) at = vsc_asprintf("%s/tagged", pointer);
    read_strings(r, v, at, &e->tagged, &e->ntagged);
    for (size_t i = 0; i < e->ntagged; i++)
      if (!vsc_fleet_tag_valid(e->tagged[i]))
        bad(r, at, "a tag is 1 to 64 of [A-Za-z0-9_.-]", "'%s' is not a tag", e->tagged[i]);
  }
  if (e->npatterns + e->ntagged == 0)
    bad(r, pointer, "add \"domains\": [\"NAME\", \"PATTERN*\"] or \"tagged\": [\"TAG\"]",
        "the host selects no domain");
  if ((v = json_object_get(host, "parallel"))) {
    json_int_t p = json_is_integer(v) ? json_integer_value(v) : 0;
    if (p < 1 || p > VSC_FLEET_MAX_PARALLEL) {
      VSC_AUTOFREE(char) at = vsc_asprintf("%s/parallel", pointer);
      bad(r, at, NULL, "parallel is a whole number from 1 to %d", VSC_FLEET_MAX_PARALLEL);
    } else {
      e->parallel = (int)p;
    }
  }
  json_t *spec = json_object_get(host, "spec");
  VSC_AUTOFREE(char) spec_pointer = spec ? vsc_asprintf("%s/spec", pointer) : vsc_strdup("/spec");
  if (!spec)
    spec = default_spec;
  if (!spec)
    bad(r, pointer, "give the host a \"spec\", or the fleet a top-level one", "no spec for this host");
  else
    e->set = read_spec(r, spec, spec_pointer, &e->spec_name, f);
}

int vsc_fleet_load(const char *path, vsc_fleet *f, vsc_diags *diags)
{
  static const char *const keys[] = { "version", "spec", "hosts", NULL };
  size_t len;
  json_error_t err;
  VSC_AUTOFREE(char) text = vsc_file_read(path, FLEET_MAX_SIZE, &len, diags);
  VSC_AUTOFREE(char) copy = vsc_strdup(path);
  reader r = { .file = path, .dir = vsc_strdup(dirname(copy)), .diags = diags };

  if (!text) {
    free(r.dir);
    return -1;
  }
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
  if (!root) {
    vsc_loc loc = { .file = path, .line = err.line, .column = err.column };
    vsc_error(diags, &loc, "fleet", "a fleet file is JSON: see vschan(1), FLEET FILES",
              "%s", vsc_json_load_message(&err));
    free(r.dir);
    return -1;
  }
  if (!json_is_object(root)) {
    bad(&r, "", "write {\"version\": 1, \"spec\": ..., \"hosts\": [...]}", "a fleet file is an object");
  } else {
    check_keys(&r, root, "", keys);
    json_t *version = json_object_get(root, "version");
    if (version && !(json_is_integer(version) && json_integer_value(version) == 1))
      bad(&r, "/version", "write \"version\": 1", "this vschan reads fleet files of version 1");
    json_t *hosts = json_object_get(root, "hosts");
    if (!json_is_array(hosts) || json_array_size(hosts) == 0) {
      bad(&r, "/hosts", "list the hosts: \"hosts\": [{\"uri\": ..., \"domains\": [...]}]",
          "a fleet file has a non-empty array of hosts");
    } else {
      size_t i;
      json_t *host;
      json_array_foreach(hosts, i, host) {
        read_host(&r, host, i, json_object_get(root, "spec"), f);
      }
    }
  }
  json_decref(root);
  free(r.dir);
  return r.failed ? -1 : 0;
}
