/* Oracle 1: the chardev backend options vschan generates equal what
 * libvirt generates for the same devices (`virsh domxml-to-native
 * qemu-argv`, recorded by record-libvirt.sh), ids aside.
 *
 *   test-libvirt-oracle CASES_DIR
 *
 * Compared: every golden case CASES_DIR/AREA/NAME with an expected.xml
 * against its libvirt.chardev: the devices of expected.xml (read with the
 * XML reader) and, when spec.json is the case's whole input, the spec too
 * (read with the spec reader), so both readers meet libvirt.  --into
 * cases (domain.xml) are left out.  A golden case without a record fails
 * (run record-libvirt.sh AREA/NAME), and so does a record in a case that
 * should have none. */
#include "qemu-test-util.h"

#include "spec/spec.h"
#include "util/buf.h"
#include "util/mem.h"
#include "xml/xml.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The directory libvirt's embed driver generates unnamed sockets in,
 * with the temporary root as libvirt-argv.sh writes it. */
#define LIBVIRT_CHANNEL_DIR "@ROOT@/lib/qemu/channel/target/domain--1-vschan-oracle"

/* Cases where vschan refuses on purpose what libvirt translates. */
static const struct {
  const char *name;
  const char *error;
} deliberate[] = {
  /* libvirt starts virtiofsd for a source dir; QEMU cannot */
  { "vhost/virtiofs-virtiofsd", "QEMU does not start virtiofsd" },
};

static int failures, compared, refused;

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **sorted_normalised(char **lines, size_t n)
{
  char **out = vsc_calloc(n + 1, sizeof(char *));

  for (size_t i = 0; i < n; i++) {
    t_opts o = { 0 };
    vsc_buf b = { 0 };
    t_qemu_opts_parse(lines[i], "backend", &o);
    for (size_t j = 0; j < o.n; j++) {
      if (strcmp(o.items[j].key, "id") == 0)
        continue;
      /* the credentials object's id is each one's own, as the chardev's */
      if (strcmp(o.items[j].key, "tls-creds") == 0) {
        vsc_buf_printf(&b, "%stls-creds=*", b.len ? "," : "");
        continue;
      }
      /* QEMU's form again, so a message shows what QEMU reads */
      VSC_AUTOFREE(char) v = vsc_qemu_escape_value(o.items[j].value);
      vsc_buf_printf(&b, "%s%s=%s", b.len ? "," : "", o.items[j].key, v);
    }
    out[i] = vsc_buf_steal(&b);
    t_opts_clear(&o);
  }
  qsort(out, n, sizeof(char *), cmp_str);
  return out;
}

/* Read a record: its chardev lines, or NULL with *libvirt_error set. */
static char **read_record(const char *path, size_t *n, char **libvirt_error)
{
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  char **v = NULL;
  size_t nv = 0;

  *libvirt_error = NULL;
  if (!f)
    return NULL;
  while ((len = getline(&line, &cap, f)) >= 0) {
    if (len > 0 && line[len - 1] == '\n')
      line[--len] = '\0';
    if (strncmp(line, "# libvirt-error: ", 17) == 0)
      *libvirt_error = vsc_strdup(line + 17);
    if (line[0] == '#' || line[0] == '\0')
      continue;
    *(char **)vsc_append(&v, &nv, sizeof(char *)) = vsc_strdup(line);
  }
  free(line);
  fclose(f);
  *(char **)vsc_append(&v, &nv, sizeof(char *)) = NULL;
  *n = nv - 1;
  return v;
}

/* name: the case, AREA/NAME; label: which reader made set. */
static void compare(const char *name, const char *label, vsc_devset *set, const char *record)
{
  /* the memory of libvirt-argv.sh's domain, for vhost-user devices */
  vsc_qemu_opts opts = { .socket_dir = LIBVIRT_CHANNEL_DIR, .memory = "64M" };
  vsc_diags d = { 0 };
  char **argv = NULL, **ours = NULL, **theirs = NULL, **a = NULL, **b = NULL;
  size_t argc = 0, nours = 0, ntheirs = 0;
  char *libvirt_error = NULL;
  const char *expect_refusal = NULL;

  for (size_t i = 0; i < VSC_N_ELEMENTS(deliberate); i++)
    if (strcmp(deliberate[i].name, name) == 0)
      expect_refusal = deliberate[i].error;

  theirs = read_record(record, &ntheirs, &libvirt_error);
  if (!theirs) {
    printf("FAIL %s: no record '%s'; run tests/qemu/record-libvirt.sh %s\n", name, record, name);
    failures++;
    goto out;
  }
  if (libvirt_error) {
    printf("skip %s: libvirt cannot translate it: %s\n", name, libvirt_error);
    goto out;
  }
  if (vsc_qemu_build_argv(set, &opts, &argv, &argc, &d) < 0) {
    bool as_expected = expect_refusal && d.n && strstr(d.items[0].message, expect_refusal);
    printf("%s %s (%s): vschan refuses it: %s\n", as_expected ? "ok  " : "FAIL", name, label,
           d.n ? d.items[0].message : "(no message)");
    if (as_expected)
      refused++;
    else
      failures++;
    goto out;
  }
  if (expect_refusal) {
    printf("FAIL %s (%s): vschan should refuse it (%s)\n", name, label, expect_refusal);
    failures++;
    goto out;
  }
  ours = t_chardev_values(argv, argc, &nours);
  a = sorted_normalised(ours, nours);
  b = sorted_normalised(theirs, ntheirs);
  bool same = nours == ntheirs;
  for (size_t i = 0; same && i < nours; i++)
    same = strcmp(a[i], b[i]) == 0;
  compared++;
  if (same) {
    printf("ok   %s (%s): %zu chardev(s) equal\n", name, label, nours);
  } else {
    failures++;
    printf("FAIL %s (%s): chardevs differ\n", name, label);
    for (size_t i = 0; i < ntheirs; i++)
      printf("  libvirt: %s\n", b[i]);
    for (size_t i = 0; i < nours; i++)
      printf("  vschan:  %s\n", a[i]);
  }
out:
  vsc_qemu_argv_free(argv, argc);
  t_strv_free(ours);
  t_strv_free(theirs);
  t_strv_free(a);
  t_strv_free(b);
  free(libvirt_error);
  vsc_diags_clear(&d);
}

static void compare_xml(const char *name, const char *xml, const char *record)
{
  vsc_diags d = { 0 };
  vsc_devset set;
  xmlDocPtr doc;

  vsc_devset_init(&set);
  doc = vsc_xml_read_file(xml, &d);
  if (!doc || vsc_xml_collect(xmlDocGetRootElement(doc), xml, &set, &d) < 0) {
    vsc_diags_print(&d, stdout, false);
    printf("FAIL %s: cannot read '%s'\n", name, xml);
    failures++;
  } else {
    compare(name, "xml", &set, record);
  }
  if (doc)
    xmlFreeDoc(doc);
  vsc_devset_clear(&set);
  vsc_diags_clear(&d);
}

static void compare_spec(const char *name, const char *spec, const char *record)
{
  vsc_diags d = { 0 };
  vsc_devset set;

  vsc_devset_init(&set);
  if (vsc_spec_load(spec, &set, &d) < 0) {
    vsc_diags_print(&d, stdout, false);
    printf("FAIL %s: cannot read '%s'\n", name, spec);
    failures++;
  } else {
    compare(name, "spec", &set, record);
  }
  vsc_devset_clear(&set);
  vsc_diags_clear(&d);
}

static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char **v = NULL;
  size_t nv = 0;

  *n = 0;
  if (!d)
    return NULL;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name), slen = strlen(suffix);
    if (e->d_name[0] == '.' || len < slen || strcmp(e->d_name + len - slen, suffix) != 0)
      continue;
    *(char **)vsc_append(&v, &nv, sizeof(char *)) = vsc_strndup(e->d_name, len - slen);
  }
  closedir(d);
  if (v)
    qsort(v, nv, sizeof(char *), cmp_str);
  *n = nv;
  return v;
}

/* The golden cases under dir as AREA/NAME, area by area, each sorted. */
static char **list_cases(const char *dir, size_t *n)
{
  size_t n_areas;
  char **areas = list_dir(dir, "", &n_areas);
  char **v = NULL;
  size_t nv = 0;

  for (size_t i = 0; i < n_areas; i++) {
    VSC_AUTOFREE(char) area = vsc_asprintf("%s/%s", dir, areas[i]);
    size_t n_names;
    char **names = list_dir(area, "", &n_names); /* NULL for a file */
    for (size_t j = 0; j < n_names; j++) {
      *(char **)vsc_append(&v, &nv, sizeof(char *)) = vsc_asprintf("%s/%s", areas[i], names[j]);
      free(names[j]);
    }
    free(names);
    free(areas[i]);
  }
  free(areas);
  *n = nv;
  return v;
}

static bool exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: test-libvirt-oracle CASES_DIR\n");
    return 2;
  }
  const char *cases = argv[1];
  size_t n;
  char **names;

  vsc_mem_init();
  names = list_cases(cases, &n);
  for (size_t i = 0; i < n; i++) {
    VSC_AUTOFREE(char) spec = vsc_asprintf("%s/%s/spec.json", cases, names[i]);
    VSC_AUTOFREE(char) args = vsc_asprintf("%s/%s/args", cases, names[i]);
    VSC_AUTOFREE(char) domain = vsc_asprintf("%s/%s/domain.xml", cases, names[i]);
    VSC_AUTOFREE(char) expected = vsc_asprintf("%s/%s/expected.xml", cases, names[i]);
    VSC_AUTOFREE(char) record = vsc_asprintf("%s/%s/libvirt.chardev", cases, names[i]);
    /* --into cases describe a merge, not the devices alone */
    if (!exists(expected) || exists(domain)) {
      if (exists(record)) {
        printf("FAIL %s: has a libvirt.chardev but no devices of its own to compare; remove it\n",
               names[i]);
        failures++;
      }
      free(names[i]);
      continue;
    }
    compare_xml(names[i], expected, record);
    /* the spec when it is the whole input (what `vschan qemu-args
     * spec.json` reads) */
    if (exists(spec) && !exists(args))
      compare_spec(names[i], spec, record);
    free(names[i]);
  }
  free(names);

  printf("%d compared, %d refused on purpose, %d failed\n", compared, refused, failures);
  if (compared == 0) {
    printf("FAIL: nothing was compared\n");
    return 1;
  }
  return failures ? 1 : 0;
}
