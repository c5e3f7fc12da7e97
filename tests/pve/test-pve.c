/* Tests of src/pve: shellwords splitting and quoting (against real Perl),
 * the byte-preserving config model, the args merge, the diff, and the
 * locked atomic edit (lock timeout, concurrent editors, injected write
 * failures); and the golden edits of realistic configs, tests/cases/pve/.
 *
 *   test-pve GROUP     GROUP: split quote conf merge apply diff edit perl
 *   test-pve case FILE a golden edit (tests/cases/run-case.sh runs it)
 *   VSCHAN_TEST_SEED=N seed of the generated cases */
#define _GNU_SOURCE
#include "pve/pve.h"
#include "util/buf.h"
#include "util/file.h"
#include "test.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static char *data_path(const char *name)
{
  return vsc_asprintf("%s/%s", PVE_TEST_DATA, name);
}

/* The config golden case NAME expects, tests/cases/pve/NAME/expected.pve */
static char *golden_path(const char *name)
{
  return vsc_asprintf("%s/%s/expected.pve", PVE_TEST_CASES, name);
}

static char *read_data(const char *name, size_t *len)
{
  VSC_AUTOFREE(char) path = data_path(name);
  vsc_diags d = { 0 };
  char *text = vsc_file_read(path, 0, len, &d);
  if (!text)
    vsc_diags_print(&d, stderr, false);
  vsc_diags_clear(&d);
  return text;
}

static const char *first_rule(const vsc_diags *d)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].severity == VSC_SEV_ERROR)
      return d->items[i].rule ? d->items[i].rule : "";
  return NULL;
}

static bool has_rule(const vsc_diags *d, vsc_severity sev, const char *rule)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].severity == sev && d->items[i].rule && strcmp(d->items[i].rule, rule) == 0)
      return true;
  return false;
}

static char *tmpdir_make(void)
{
  const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char *dir = vsc_asprintf("%s/vschan-pve-XXXXXX", base);
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    exit(1);
  }
  return dir;
}

static void tmpdir_remove(char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    VSC_AUTOFREE(char) p = vsc_asprintf("%s/%s", dir, e->d_name);
    unlink(p);
  }
  if (d)
    closedir(d);
  rmdir(dir);
  free(dir);
}

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  CU_ASSERT_FATAL(f != NULL);
  fputs(text, f);
  fclose(f);
}

static char *slurp(const char *path)
{
  vsc_diags d = { 0 };
  char *t = vsc_file_read(path, 0, NULL, &d);
  vsc_diags_clear(&d);
  return t;
}

static size_t count_tmp_files(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;
  while (d && (e = readdir(d)))
    n += strstr(e->d_name, ".tmp.") != NULL;
  if (d)
    closedir(d);
  return n;
}

static bool argv_eq(char **got, size_t n_got, const char *const *want, size_t n_want)
{
  if (n_got != n_want)
    return false;
  for (size_t i = 0; i < n_want; i++)
    if (strcmp(got[i], want[i]) != 0)
      return false;
  return true;
}

/* What vschan's QEMU module emits for a controller, a socket channel
 * whose path has a space, a quote and a comma, and a guestfwd. */
static char *const vschan_argv[] = {
  "-device", "virtio-serial-pci,id=vschan-vser0,bus=pci.2,addr=0x19",
  "-chardev", "socket,id=vschan-sensor,path=/run/vschan/it's a sensor,,1.sock,server=on,wait=off",
  "-device", "virtserialport,bus=vschan-vser0.0,nr=1,chardev=vschan-sensor,id=vschan-port1,name=org.example.sensor",
  "-chardev", "socket,id=vschan-fwd0c,host=127.0.0.1,port=5555",
  "-netdev", "user,id=vschan-fwd0,guestfwd=tcp:10.0.2.100:1234-chardev:vschan-fwd0c",
};
#define VSCHAN_ARGC VSC_N_ELEMENTS(vschan_argv)

/* ------------------------------------------------------------------ */
/* split                                                                */

typedef struct {
  const char *line;
  int n; /* -1: error */
  const char *words[4];
} split_case;

/* Expected results checked with Perl 5.36, Text::ParseWords 3.31. */
static const split_case split_cases[] = {
  { "", 0, { 0 } },
  { "   \t ", 0, { 0 } },
  { "a b", 2, { "a", "b" } },
  { "  a  b  ", 2, { "a", "b" } },
  { "a\"b c\"d", 1, { "ab cd" } },
  { "'a\\'b'", 1, { "a\\'b" } },
  { "'a\\\\b'", 1, { "a\\\\b" } },
  { "\"a\\\\b\\\"c\"", 1, { "a\\b\"c" } },
  { "a\\ b", 1, { "a b" } },
  { "''", 1, { "" } },
  { "a '' b", 3, { "a", "", "b" } },
  { "\"\"", 1, { "" } },
  { "x\\'y", 1, { "x'y" } },
  { "a\"", -1, { 0 } },
  { "'a", -1, { 0 } },
  { "a\\", -1, { 0 } },
  { "'\\'", -1, { 0 } },
  { "\"a\"'b'c", 1, { "abc" } },
  { "-a \"b\"", 2, { "-a", "b" } },
  { "a\\\"b", 1, { "a\"b" } },
  { "a\\,b", 1, { "a,b" } },
  { "\"a\" b", 2, { "a", "b" } },
  { "a\vb\fc", 3, { "a", "b", "c" } },
  { "-fw_cfg name=opt/x,file=/root/ign.json", 2, { "-fw_cfg", "name=opt/x,file=/root/ign.json" } },
};

static void test_split_cases(void)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(split_cases); i++) {
    const split_case *c = &split_cases[i];
    vsc_diags d = { 0 };
    size_t n = 99;
    char **w = vsc_pve_args_split(c->line, &n, NULL, &d);
    if (c->n < 0) {
      CU_ASSERT_PTR_NULL(w);
      CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-args-quotes");
    } else {
      CU_ASSERT_PTR_NOT_NULL_FATAL(w);
      if (!argv_eq(w, n, c->words, (size_t)c->n)) {
        fprintf(stderr, "split case %zu [%s]: got %zu words\n", i, c->line, n);
        CU_FAIL("split result");
      }
      CU_ASSERT_PTR_NULL(w[n]);
    }
    vsc_pve_argv_free(w);
    vsc_diags_clear(&d);
  }
}

static void test_split_spans(void)
{
  const char *v = "-a  'b c'd \"e\" f\\ g";
  vsc_pve_span *spans = NULL;
  size_t n;
  vsc_diags d = { 0 };
  char **w = vsc_pve_args_split(v, &n, &spans, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(w);
  CU_ASSERT_EQUAL_FATAL(n, 4);
  const char *raw[] = { "-a", "'b c'd", "\"e\"", "f\\ g" };
  for (size_t i = 0; i < n; i++)
    CU_ASSERT_NSTRING_EQUAL(v + spans[i].start, raw[i], spans[i].end - spans[i].start);
  free(spans);
  vsc_pve_argv_free(w);
}

/* ------------------------------------------------------------------ */
/* quote                                                                */

static void check_quote_roundtrip(char *const *argv, size_t n)
{
  vsc_diags d = { 0 };
  VSC_AUTOFREE(char) q = vsc_pve_args_quote(argv, n, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(q);
  size_t len = strlen(q);
  CU_ASSERT_FALSE(len >= 2 && q[0] == '"' && q[len - 1] == '"');
  CU_ASSERT_PTR_NULL(strpbrk(q, "\n\r"));
  size_t m;
  char **w = vsc_pve_args_split(q, &m, NULL, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(w);
  CU_ASSERT_TRUE(argv_eq(w, m, (const char *const *)argv, n));
  vsc_pve_argv_free(w);
  vsc_diags_clear(&d);
}

static void test_quote_style(void)
{
  char *plain[] = { "-device", "isa-serial,chardev=vschan-com1" };
  vsc_diags d = { 0 };
  VSC_AUTOFREE(char) q1 = vsc_pve_args_quote(plain, 2, &d);
  CU_ASSERT_STRING_EQUAL(q1, "-device isa-serial,chardev=vschan-com1");

  char *odd[] = { "", "a b", "it's", "C:\\x", "\"q\"", "é", "'", "\\'x" };
  VSC_AUTOFREE(char) q2 = vsc_pve_args_quote(odd, 8, &d);
  /* quotes and backslashes in double quotes, never bare (Perl's regex
   * would match a long bare run step by step and give up), and never
   * '"' at either end of a word */
  CU_ASSERT_STRING_EQUAL(q2, "'' 'a b' 'it'\"'\"'s' 'C:'\"\\\\\"'x' '\"q\"' 'é' ''\"'\"'' ''\"\\\\'\"'x'");
  check_quote_roundtrip(odd, 8);
  check_quote_roundtrip((char **)vschan_argv, VSCHAN_ARGC);

  VSC_AUTOFREE(char) q3 = vsc_pve_args_quote(NULL, 0, &d);
  CU_ASSERT_STRING_EQUAL(q3, "");
  CU_ASSERT_FALSE(vsc_diags_has_errors(&d));
  vsc_diags_clear(&d);
}

static void test_quote_newline(void)
{
  char *nl[] = { "-chardev", "socket,id=vschan-x,path=/tmp/a\nb" };
  char *cr[] = { "a\rb" };
  vsc_diags d = { 0 };
  CU_ASSERT_PTR_NULL(vsc_pve_args_quote(nl, 2, &d));
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-args-line");
  vsc_diags_clear(&d);
  CU_ASSERT_PTR_NULL(vsc_pve_args_quote(cr, 1, &d));
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-args-line");
  vsc_diags_clear(&d);
}

/* ------------------------------------------------------------------ */
/* conf                                                                 */

static const char *const data_files[] = {
  "100-snapshots.conf", "101-pending.conf", "102-locked.conf", "103-vschan.conf",
  "104-noeol.conf", "105-crlf.conf", "106-unbalanced.conf", "107-empty.conf", "108-odd.conf",
};

static void test_conf_roundtrip(void)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(data_files); i++) {
    size_t len, out_len;
    VSC_AUTOFREE(char) text = read_data(data_files[i], &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    vsc_diags d = { 0 };
    VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, len, data_files[i], &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    VSC_AUTOFREE(char) out = vsc_pve_conf_format(conf, &out_len);
    CU_ASSERT_EQUAL(out_len, len);
    CU_ASSERT_TRUE(out_len == len && memcmp(out, text, len) == 0);
    vsc_diags_clear(&d);
  }
}

static void test_conf_sections(void)
{
  size_t len;
  VSC_AUTOFREE(char) text = read_data("100-snapshots.conf", &len);
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, len, NULL, &d);
  CU_ASSERT_EQUAL_FATAL(conf->n_sections, 4);
  CU_ASSERT_EQUAL(conf->sections[0].kind, VSC_PVE_SECTION_MAIN);
  CU_ASSERT_EQUAL(conf->sections[1].kind, VSC_PVE_SECTION_SPECIAL);
  CU_ASSERT_STRING_EQUAL(conf->sections[1].name, "special:cloudinit");
  CU_ASSERT_EQUAL(conf->sections[2].kind, VSC_PVE_SECTION_SNAPSHOT);
  CU_ASSERT_STRING_EQUAL(conf->sections[2].name, "before-upgrade");
  CU_ASSERT_PTR_NULL(vsc_pve_conf_pending(conf));

  VSC_AUTOFREE(char) args = vsc_pve_conf_get(conf, false, "args");
  CU_ASSERT_STRING_EQUAL(args,
    "-fw_cfg name=opt/com.coreos/config,file=/root/ign.json -global 'ICH9-LPC.disable_s3=1'");
  VSC_AUTOFREE(char) cores = vsc_pve_conf_get(conf, false, "cores");
  CU_ASSERT_STRING_EQUAL(cores, "2");
  CU_ASSERT_PTR_NULL(vsc_pve_conf_get(conf, false, "snaptime")); /* only in snapshots */
  CU_ASSERT_PTR_NULL(vsc_pve_conf_lock(conf));

  size_t len8;
  VSC_AUTOFREE(char) odd = read_data("108-odd.conf", &len8);
  VSC_AUTOPTR(vsc_pve_conf) c8 = vsc_pve_conf_parse(odd, len8, NULL, &d);
  CU_ASSERT_EQUAL_FATAL(c8->n_sections, 3);
  CU_ASSERT_EQUAL(c8->sections[1].kind, VSC_PVE_SECTION_UNKNOWN);
  CU_ASSERT_EQUAL(c8->sections[2].kind, VSC_PVE_SECTION_PENDING); /* [pending]: case-insensitive */
  CU_ASSERT_PTR_NULL(vsc_pve_conf_get(c8, false, "memory"));      /* indented: not a key */
  CU_ASSERT_PTR_NULL(vsc_pve_conf_get(c8, false, "foo"));         /* in the unknown section */
  vsc_diags_clear(&d);
}

static void test_conf_lock(void)
{
  size_t len;
  VSC_AUTOFREE(char) text = read_data("102-locked.conf", &len);
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, len, NULL, &d);
  VSC_AUTOFREE(char) lock = vsc_pve_conf_lock(conf);
  CU_ASSERT_STRING_EQUAL(lock, "backup");

  /* lock: inside a snapshot section does not lock the VM */
  const char *snap = "cores: 1\n\n[s1]\nlock: snapshot\n";
  VSC_AUTOPTR(vsc_pve_conf) c2 = vsc_pve_conf_parse(snap, strlen(snap), NULL, &d);
  CU_ASSERT_PTR_NULL(vsc_pve_conf_lock(c2));
}

static char *edit_text(const char *text, void (*fn)(vsc_pve_conf *, vsc_diags *))
{
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, strlen(text), NULL, &d);
  fn(conf, &d);
  CU_ASSERT_FALSE(vsc_diags_has_errors(&d));
  vsc_diags_clear(&d);
  return vsc_pve_conf_format(conf, NULL);
}

static void set_args_pending(vsc_pve_conf *c, vsc_diags *d)
{
  vsc_pve_conf_set(c, true, "args", "-x y", d);
}
static void set_main_keys(vsc_pve_conf *c, vsc_diags *d)
{
  vsc_pve_conf_set(c, false, "args", "-x y", d);
  vsc_pve_conf_set(c, false, "zzz", "last", d);
  vsc_pve_conf_set(c, false, "cores", "4", d);
}
static void set_pending_same(vsc_pve_conf *c, vsc_diags *d)
{
  vsc_pve_conf_set(c, true, "cores", "1", d);
}
static void set_pending_serial1(vsc_pve_conf *c, vsc_diags *d)
{
  vsc_pve_conf_set_serial(c, true, 1, "socket", d);
}
static void delete_pending_all(vsc_pve_conf *c, vsc_diags *d)
{
  (void)d;
  vsc_pve_conf_delete(c, true, "cores");
  vsc_pve_conf_delete(c, true, "delete");
  vsc_pve_conf_delete(c, true, "memory");
}
static void agent_on(vsc_pve_conf *c, vsc_diags *d)
{
  vsc_pve_conf_set_agent(c, false, d);
}

static void test_conf_set(void)
{
  /* a new [PENDING] goes after the main section, before special/snapshots */
  const char *base = "#descr\ncores: 1\nmemory: 512\n\n[special:cloudinit]\nname: x\n\n[snap]\ncores: 1\n";
  VSC_AUTOFREE(char) p1 = edit_text(base, set_args_pending);
  CU_ASSERT_STRING_EQUAL(p1, "#descr\ncores: 1\nmemory: 512\n\n[PENDING]\nargs: -x y\n\n"
                             "[special:cloudinit]\nname: x\n\n[snap]\ncores: 1\n");
  /* no other section, no trailing newline */
  VSC_AUTOFREE(char) p2 = edit_text("cores: 1", set_args_pending);
  CU_ASSERT_STRING_EQUAL(p2, "cores: 1\n\n[PENDING]\nargs: -x y\n");
  VSC_AUTOFREE(char) p3 = edit_text("", set_args_pending);
  CU_ASSERT_STRING_EQUAL(p3, "[PENDING]\nargs: -x y\n");

  /* main: sorted insertion, in-place replacement */
  VSC_AUTOFREE(char) m1 = edit_text(base, set_main_keys);
  CU_ASSERT_STRING_EQUAL(m1, "#descr\nargs: -x y\ncores: 4\nmemory: 512\nzzz: last\n\n"
                             "[special:cloudinit]\nname: x\n\n[snap]\ncores: 1\n");

  /* a pending value equal to the current one is not kept, nothing changes */
  VSC_AUTOFREE(char) s1 = edit_text(base, set_pending_same);
  CU_ASSERT_STRING_EQUAL(s1, base);

  /* setting a pending-deleted key takes it off the delete list */
  const char *pend = "cores: 1\n\n[PENDING]\ndelete: serial1,!usb0\n";
  VSC_AUTOFREE(char) d1 = edit_text(pend, set_pending_serial1);
  CU_ASSERT_STRING_EQUAL(d1, "cores: 1\n\n[PENDING]\ndelete: !usb0\nserial1: socket\n");

  /* deleting everything in [PENDING] removes the section */
  const char *pend2 = "cores: 1\n\n[PENDING]\ncores: 2\ndelete: usb0\n\n[snap]\ncores: 1\n";
  VSC_AUTOFREE(char) d2 = edit_text(pend2, delete_pending_all);
  CU_ASSERT_STRING_EQUAL(d2, "cores: 1\n\n[snap]\ncores: 1\n");

  /* agent: keep the other options */
  VSC_AUTOFREE(char) a1 = edit_text("agent: 0,fstrim_cloned_disks=1\n", agent_on);
  CU_ASSERT_STRING_EQUAL(a1, "agent: 1,fstrim_cloned_disks=1\n");
  VSC_AUTOFREE(char) a2 = edit_text("agent: enabled=0,type=virtio\n", agent_on);
  CU_ASSERT_STRING_EQUAL(a2, "agent: 1,type=virtio\n");

  /* duplicates: the last line wins on read, set replaces it and drops the rest */
  const char *dup = "cores: 1\nmemory: 1\ncores: 2\n";
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) c = vsc_pve_conf_parse(dup, strlen(dup), NULL, &d);
  VSC_AUTOFREE(char) v = vsc_pve_conf_get(c, false, "cores");
  CU_ASSERT_STRING_EQUAL(v, "2");
  vsc_pve_conf_set(c, false, "cores", "3", &d);
  VSC_AUTOFREE(char) out = vsc_pve_conf_format(c, NULL);
  CU_ASSERT_STRING_EQUAL(out, "memory: 1\ncores: 3\n");
}

static void test_conf_bad_values(void)
{
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) c = vsc_pve_conf_parse("", 0, NULL, &d);
  const char *bad[] = { "a\nb", "a\rb", "", " x", "x ", "\"-a\" \"b\"" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++) {
    CU_ASSERT_EQUAL(vsc_pve_conf_set(c, false, "args", bad[i], &d), -1);
    CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-value");
    vsc_diags_clear(&d);
  }
  CU_ASSERT_EQUAL(vsc_pve_conf_set(c, false, "Bad", "1", &d), -1);
  vsc_diags_clear(&d);
  CU_ASSERT_EQUAL(vsc_pve_conf_set_serial(c, false, 4, "socket", &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-serial");
  vsc_diags_clear(&d);
  const char *bad_serial[] = { "tcp", "/dev/", "/dev/tty,S0", "/dev/tty\nS0", "/dev/tty S0" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad_serial); i++) {
    CU_ASSERT_EQUAL(vsc_pve_conf_set_serial(c, false, 0, bad_serial[i], &d), -1);
    CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-serial");
    vsc_diags_clear(&d);
  }
  CU_ASSERT_EQUAL(vsc_pve_conf_set_serial(c, false, 3, "/dev/ttyUSB0", &d), 0);
  VSC_AUTOFREE(char) out = vsc_pve_conf_format(c, NULL);
  CU_ASSERT_STRING_EQUAL(out, "serial3: /dev/ttyUSB0\n");

  CU_ASSERT_PTR_NULL(vsc_pve_conf_parse("a\0b", 3, "x.conf", &d));
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-conf");
  vsc_diags_clear(&d);
}

static void test_vmid(void)
{
  const char *good[] = { "100", "101", "999999999", "4711" };
  const char *bad[] = { "", "99", "0100", "100a", " 100", "100 ", "+100", "-100", "1e3",
                        "1000000000", "0x64", "10.0" };
  unsigned v;
  vsc_diags d = { 0 };
  for (size_t i = 0; i < VSC_N_ELEMENTS(good); i++) {
    CU_ASSERT_EQUAL(vsc_pve_vmid_parse(good[i], &v, &d), 0);
    CU_ASSERT_EQUAL(v, strtoul(good[i], NULL, 10));
  }
  CU_ASSERT_FALSE(vsc_diags_has_errors(&d));
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++) {
    CU_ASSERT_EQUAL(vsc_pve_vmid_parse(bad[i], &v, &d), -1);
    CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-vmid");
    vsc_diags_clear(&d);
  }
  CU_ASSERT_EQUAL(vsc_pve_vmid_parse(NULL, &v, &d), -1);
  vsc_diags_clear(&d);
}

/* ------------------------------------------------------------------ */
/* merge                                                                */

static void test_owned(void)
{
  const char *p = "vschan-";
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("socket,id=vschan-a,path=/x", p));
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("virtserialport,bus=vschan-vser0.0,name=x", p));
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("isa-serial,chardev=vschan-com1", p));
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("user,id=x,guestfwd=tcp:1.2.3.4:1-chardev:vschan-c", p));
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("virtio-net,netdev=vschan-n", p));
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("{\"driver\":\"virtserialport\",\"id\":\"vschan-p\"}", p));
  CU_ASSERT_FALSE(vsc_pve_arg_is_owned("socket,id=kd,path=/run/vschan-a.sock", p));
  CU_ASSERT_FALSE(vsc_pve_arg_is_owned("virtserialport,name=vschan-x", p));
  /* ",," is a literal comma inside a value, not a new option */
  CU_ASSERT_FALSE(vsc_pve_arg_is_owned("socket,id=kd,path=/a,,id=vschan-x", p));
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("socket,path=/a,,b,id=vschan-x", p));
  CU_ASSERT_TRUE(vsc_pve_arg_is_owned("socket,id=my-x", "my-"));
}

static void test_merge(void)
{
  size_t len;
  VSC_AUTOFREE(char) text = read_data("103-vschan.conf", &len);
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, len, NULL, &d);
  VSC_AUTOFREE(char) old = vsc_pve_conf_get(conf, false, "args");

  VSC_AUTOFREE(char) merged = vsc_pve_args_merge(old, vschan_argv, VSCHAN_ARGC, NULL, 0, NULL, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(merged);
  /* the user's arguments stay first, in order and as written */
  const char *user = "-fw_cfg name=opt/x,file=/root/ign.json "
                     "-chardev socket,id=kd,host=0.0.0.0,port=4445,server=on,wait=off "
                     "-device isa-serial,chardev=kd ";
  CU_ASSERT_NSTRING_EQUAL(merged, user, strlen(user));

  size_t n;
  char **w = vsc_pve_args_split(merged, &n, NULL, &d);
  CU_ASSERT_EQUAL_FATAL(n, 6 + VSCHAN_ARGC);
  for (size_t i = 0; i < VSCHAN_ARGC; i++)
    CU_ASSERT_STRING_EQUAL(w[6 + i], vschan_argv[i]);
  vsc_pve_argv_free(w);

  /* idempotent */
  VSC_AUTOFREE(char) again = vsc_pve_args_merge(merged, vschan_argv, VSCHAN_ARGC, NULL, 0, NULL, &d);
  CU_ASSERT_STRING_EQUAL(again, merged);

  /* removing vschan's arguments keeps exactly the user's */
  VSC_AUTOFREE(char) removed = vsc_pve_args_merge(merged, NULL, 0, NULL, 0, NULL, &d);
  char user_only[256];
  snprintf(user_only, sizeof(user_only), "%.*s", (int)strlen(user) - 1, user);
  CU_ASSERT_STRING_EQUAL(removed, user_only);
  VSC_AUTOFREE(char) none = vsc_pve_args_merge("-device isa-serial,chardev=vschan-a", NULL, 0, NULL, 0, NULL, &d);
  CU_ASSERT_STRING_EQUAL(none, "");
  CU_ASSERT_FALSE(vsc_diags_has_errors(&d));

  /* a different prefix leaves vschan- arguments alone */
  char *mine[] = { "-device", "isa-serial,chardev=my-com1" };
  VSC_AUTOFREE(char) other = vsc_pve_args_merge(merged, mine, 2, NULL, 0, "my-", &d);
  CU_ASSERT_NSTRING_EQUAL(other, merged, strlen(merged));
  vsc_diags_clear(&d);
}

static void test_merge_requote(void)
{
  vsc_diags d = { 0 };
  /* keeping the user's text would give "\"-a\" ... \"b\"": requote instead */
  VSC_AUTOFREE(char) m = vsc_pve_args_merge("\"-a\" -device isa-serial,chardev=vschan-x \"b\"",
                                            NULL, 0, NULL, 0, NULL, &d);
  CU_ASSERT_STRING_EQUAL(m, "-a b");
  vsc_diags_clear(&d);
}

static void test_merge_errors(void)
{
  vsc_diags d = { 0 };
  CU_ASSERT_PTR_NULL(vsc_pve_args_merge("-fw_cfg 'name=x", vschan_argv, VSCHAN_ARGC, NULL, 0, NULL, &d));
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-args-quotes");
  vsc_diags_clear(&d);

  char *unowned[] = { "-device", "isa-serial,chardev=com1" };
  CU_ASSERT_PTR_NULL(vsc_pve_args_merge("", unowned, 2, NULL, 0, NULL, &d));
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-args-owner");
  vsc_diags_clear(&d);

  char *nl[] = { "-chardev", "socket,id=vschan-x,path=/tmp/a\nb" };
  CU_ASSERT_PTR_NULL(vsc_pve_args_merge("", nl, 2, NULL, 0, NULL, &d));
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-args-line");
  vsc_diags_clear(&d);
}

/* ------------------------------------------------------------------ */
/* case: a golden edit of a realistic config, tests/cases/pve/NAME/     */

/* The case's changes file, one change a line:
 *   conf NAME       the config edited, tests/pve/data/NAME
 *   args vschan     replace vschan's arguments in args: by vschan_argv
 *   args none       remove vschan's arguments
 *   serialN VALUE   serialN: VALUE (socket or /dev/...)
 *   agent           enable the guest agent
 *   pending         write to [PENDING] (the VM is running) */
typedef struct {
  char *conf;
  vsc_pve_changes changes;
} golden_case;

static void golden_case_clear(golden_case *g)
{
  free(g->conf);
  for (int i = 0; i < VSC_PVE_MAX_SERIAL; i++)
    free((char *)g->changes.serial[i]);
}

static int golden_case_read(const char *path, golden_case *g)
{
  VSC_AUTOFREE(char) text = slurp(path);
  int rc = 0;
  *g = (golden_case){ 0 };
  if (!text) {
    fprintf(stderr, "cannot read '%s'\n", path);
    return -1;
  }
  for (char *line = strtok(text, "\n"); line && rc == 0; line = strtok(NULL, "\n")) {
    char *value = strchr(line, ' ');
    int n;
    if (value)
      *value++ = '\0';
    if (strcmp(line, "conf") == 0 && value && !g->conf) {
      g->conf = vsc_strdup(value);
    } else if (strcmp(line, "args") == 0 && value && !g->changes.merge_args &&
               (strcmp(value, "vschan") == 0 || strcmp(value, "none") == 0)) {
      g->changes.merge_args = true;
      if (strcmp(value, "vschan") == 0) {
        g->changes.args = vschan_argv;
        g->changes.n_args = VSCHAN_ARGC;
      }
    } else if (sscanf(line, "serial%d", &n) == 1 && n >= 0 && n < VSC_PVE_MAX_SERIAL && value &&
               !g->changes.serial[n]) {
      g->changes.serial[n] = vsc_strdup(value);
    } else if (strcmp(line, "agent") == 0 && !value) {
      g->changes.agent = true;
    } else if (strcmp(line, "pending") == 0 && !value) {
      g->changes.pending = true;
    } else {
      fprintf(stderr, "%s: cannot read the change '%s%s%s'\n", path, line, value ? " " : "",
              value ? value : "");
      rc = -1;
    }
  }
  if (rc == 0 && !g->conf) {
    fprintf(stderr, "%s: no 'conf NAME' line\n", path);
    rc = -1;
  }
  return rc;
}

/* Apply the changes to conf and print the result, as it would be written.
 * Exit status as run_case's. */
static int edit_and_print(vsc_pve_conf *conf, const vsc_pve_changes *ch, vsc_diags *d)
{
  if (vsc_pve_changes_apply(conf, ch, d) < 0) {
    vsc_diags_print(d, stderr, false);
    return 1;
  }
  size_t out_len, out2_len, n = 0;
  VSC_AUTOFREE(char) out = vsc_pve_conf_format(conf, &out_len);

  /* applying the same changes again changes nothing */
  int again = vsc_pve_changes_apply(conf, ch, d);
  VSC_AUTOFREE(char) out2 = vsc_pve_conf_format(conf, &out2_len);
  if (again < 0 || out_len != out2_len || memcmp(out, out2, out_len) != 0) {
    vsc_diags_print(d, stderr, false);
    fprintf(stderr, "the same changes again change the config: not idempotent\n");
    return 3;
  }
  /* the written args split (shellwords) into the user's plus vschan's */
  VSC_AUTOFREE(char) args = vsc_pve_conf_get_effective(conf, "args");
  char **w = vsc_pve_args_split(args, &n, NULL, d);
  if (!w) {
    vsc_diags_print(d, stderr, false);
    fprintf(stderr, "the args written do not split into words\n");
    return 3;
  }
  bool ends_with_ours = n >= ch->n_args;
  for (size_t k = 0; ends_with_ours && k < ch->n_args; k++)
    ends_with_ours = strcmp(w[n - ch->n_args + k], ch->args[k]) == 0;
  vsc_pve_argv_free(w);
  if (!ends_with_ours) {
    fprintf(stderr, "the args written do not end with vschan's arguments: %s\n", args);
    return 3;
  }
  return fwrite(out, 1, out_len, stdout) == out_len && fflush(stdout) == 0 ? 0 : 3;
}

/* Print the config the case's changes make.  Exit 0; 1 when vschan
 * refuses the changes (its diagnostics on stderr); 3 when the case cannot
 * be read or the edit breaks a property every edit must have. */
static int run_case(const char *path)
{
  golden_case g;
  vsc_diags d = { 0 };
  int rc = 3;
  if (golden_case_read(path, &g) == 0) {
    size_t len;
    VSC_AUTOFREE(char) text = read_data(g.conf, &len);
    VSC_AUTOPTR(vsc_pve_conf) conf = text ? vsc_pve_conf_parse(text, len, g.conf, &d) : NULL;
    if (conf)
      rc = edit_and_print(conf, &g.changes, &d);
    else
      vsc_diags_print(&d, stderr, false);
  }
  vsc_diags_clear(&d);
  golden_case_clear(&g);
  return rc;
}

/* vsc_pve_vm_check on whole configs: what qemu-server adds itself and
 * what args: adds, in every form qemu-server passes on to QEMU. */
static void test_vm_check(void) {
  static const struct {
    const char *conf;
    const char *rule; /* the first error, NULL: none */
    const char *warning;
  } cases[] = {
      /* the agent port: enabled in every spelling, virtio by default */
      {"agent: 1\nargs: -device virtserialport,name=org.qemu.guest_agent.0\n",
       "pve-port-name", NULL},
      {"agent: enabled=1,fstrim_cloned_disks=1\nargs: -device "
       "virtserialport,name=org.qemu.guest_agent.0\n",
       "pve-port-name", NULL},
      {"agent: on,type=virtio\nargs: -device "
       "virtserialport,name=org.qemu.guest_agent.0\n",
       "pve-port-name", NULL},
      {"agent: type=virtio,1\nargs: -device "
       "virtserialport,name=org.qemu.guest_agent.0\n",
       "pve-port-name", NULL},
      {"agent: 0\nargs: -device virtserialport,name=org.qemu.guest_agent.0\n",
       NULL, NULL},
      {"agent: enabled=0\nargs: -device "
       "virtserialport,name=org.qemu.guest_agent.0\n",
       NULL, NULL},
      {"agent: 1,type=isa\nargs: -device "
       "virtserialport,name=org.qemu.guest_agent.0\n",
       NULL, NULL},
      /* JSON form, driver= form, --device, virtconsole, a quoted value */
      {"agent: 1\nargs: -device "
       "'{\"driver\":\"virtserialport\",\"name\":\"org.qemu.guest_agent.0\"}'"
       "\n",
       "pve-port-name", NULL},
      {"agent: 1\nargs: --device "
       "driver=virtconsole,name=org.qemu.guest_agent.0\n",
       "pve-port-name", NULL},
      {"args: -device virtconsole,name=a.b -device "
       "'virtserialport,id=x,name=a.b'\n",
       "pve-port-name", NULL},
      /* QEMU's ",," is a comma inside the value: these names differ */
      {"args: -device virtserialport,name=a,,b -device virtserialport,name=a\n",
       NULL, NULL},
      {"args: -device virtserialport,name=a,,b -device "
       "virtserialport,name=a,,b\n",
       "pve-port-name", NULL},
      /* a name= of another driver is no port */
      {"agent: 1\nargs: -device "
       "virtio-serial-pci,name=org.qemu.guest_agent.0\n",
       NULL, NULL},
      /* SPICE (qxl, qxl2..4) and the VNC clipboard take the vdagent port */
      {"vga: qxl\nargs: -device virtserialport,name=com.redhat.spice.0\n",
       "pve-port-name", NULL},
      {"vga: type=qxl4,memory=32\nargs: -device "
       "virtserialport,name=com.redhat.spice.0\n",
       "pve-port-name", NULL},
      {"vga: std,clipboard=vnc\nargs: -device "
       "virtserialport,name=com.redhat.spice.0\n",
       "pve-port-name", NULL},
      {"vga: qxl5\nargs: -device virtserialport,name=com.redhat.spice.0\n",
       NULL, NULL},
      {"vga: std\nargs: -device virtserialport,name=com.redhat.spice.0\n", NULL,
       NULL},
      /* folder sharing only with SPICE */
      {"vga: qxl\nspice_enhancements: foldersharing=1\nargs: -device "
       "virtserialport,name=org.spice-space.webdav.0\n",
       "pve-port-name", NULL},
      {"spice_enhancements: foldersharing=1\nargs: -device "
       "virtserialport,name=org.spice-space.webdav.0\n",
       NULL, NULL},
      /* spiceport needs SPICE; spicevmc only warns */
      {"args: -chardev spiceport,id=p,name=org.x.0\n", "pve-spice-not-enabled",
       NULL},
      {"vga: qxl\nargs: -chardev spiceport,id=p,name=org.x.0\n", NULL, NULL},
      {"args: -chardev spicevmc,id=p,name=vdagent\n", NULL,
       "pve-spice-not-enabled"},
      /* ISA ports: serialN, the ISA agent, isa-serial in either form, -serial
       */
      {"serial0: socket\nserial1: socket\nagent: 1,type=isa\n"
       "args: -device '{\"driver\":\"isa-serial\"}' -serial null\n",
       "pve-serial-count", NULL},
      {"serial0: socket\nserial1: socket\nagent: 1,type=isa\nargs: -serial "
       "none -device isa-serial\n",
       NULL, NULL},
      /* a pending value counts in pending mode only (see below) */
      {"[PENDING]\nagent: 1\nargs: -device "
       "virtserialport,name=org.qemu.guest_agent.0\n",
       NULL, NULL},
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(cases); i++) {
    vsc_diags d = {0};
    VSC_AUTOPTR(vsc_pve_conf)
    conf = vsc_pve_conf_parse(cases[i].conf, strlen(cases[i].conf), NULL, &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
    int rc = vsc_pve_vm_check(conf, false, NULL, &d);
    const char *rule = first_rule(&d);
    bool ok = cases[i].rule
                  ? rc == -1 && rule && strcmp(rule, cases[i].rule) == 0
                  : rc == 0 && !rule;
    if (cases[i].warning)
      ok &= has_rule(&d, VSC_SEV_WARNING, cases[i].warning);
    if (!ok) {
      fprintf(stderr, "\nvm check of:\n%sgave %d, first error %s, expected %s\n", cases[i].conf, rc,
              rule ? rule : "(none)", cases[i].rule ? cases[i].rule : "(none)");
      CU_FAIL("vm check");
    }
    vsc_diags_clear(&d);
  }

  /* pending mode sees [PENDING]'s agent */
  const char *text = "args: -device virtserialport,name=org.qemu.guest_agent.0\n\n[PENDING]\nagent: 1\n";
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, strlen(text), NULL, &d);
  CU_ASSERT_EQUAL(vsc_pve_vm_check(conf, false, NULL, &d), 0);
  CU_ASSERT_EQUAL(vsc_pve_vm_check(conf, true, NULL, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-port-name");
  vsc_diags_clear(&d);
}

static void test_apply_errors(void)
{
  size_t len;
  VSC_AUTOFREE(char) text = read_data("103-vschan.conf", &len);
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, len, NULL, &d);

  /* 103 has one isa-serial of the user's: four serialN lines make five */
  vsc_pve_changes ch = { .serial = { "socket", "socket", "socket", "socket" } };
  CU_ASSERT_EQUAL(vsc_pve_changes_apply(conf, &ch, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-serial-count");
  vsc_diags_clear(&d);

  /* unbalanced existing args: error, nothing to write */
  VSC_AUTOFREE(char) t6 = read_data("106-unbalanced.conf", &len);
  VSC_AUTOPTR(vsc_pve_conf) c6 = vsc_pve_conf_parse(t6, len, NULL, &d);
  vsc_pve_changes ch6 = { .merge_args = true, .args = vschan_argv, .n_args = VSCHAN_ARGC };
  CU_ASSERT_EQUAL(vsc_pve_changes_apply(c6, &ch6, &d), -1);
  CU_ASSERT_TRUE(has_rule(&d, VSC_SEV_ERROR, "pve-args-quotes"));
  vsc_diags_clear(&d);

  /* unbalanced args left alone, only a serial port set: a warning */
  VSC_AUTOPTR(vsc_pve_conf) c6b = vsc_pve_conf_parse(t6, strlen(t6), NULL, &d);
  vsc_pve_changes ch6b = { .serial = { "socket" } };
  CU_ASSERT_EQUAL(vsc_pve_changes_apply(c6b, &ch6b, &d), 0);
  CU_ASSERT_TRUE(has_rule(&d, VSC_SEV_WARNING, "pve-args-quotes"));
  CU_ASSERT_FALSE(vsc_diags_has_errors(&d));
  vsc_diags_clear(&d);

  /* main edit while [PENDING] changes the same key: warning */
  VSC_AUTOFREE(char) t1 = read_data("101-pending.conf", &len);
  VSC_AUTOPTR(vsc_pve_conf) c1 = vsc_pve_conf_parse(t1, len, NULL, &d);
  vsc_pve_changes ch1 = { .serial = { NULL, "socket" } };
  CU_ASSERT_EQUAL(vsc_pve_changes_apply(c1, &ch1, &d), 0);
  CU_ASSERT_TRUE(has_rule(&d, VSC_SEV_WARNING, "pve-pending"));
  vsc_diags_clear(&d);
}

/* ------------------------------------------------------------------ */
/* diff                                                                 */

static void test_diff_basic(void)
{
  VSC_AUTOFREE(char) same = vsc_pve_diff("a\nb\n", "a\nb\n", "x", "y");
  CU_ASSERT_STRING_EQUAL(same, "");
  VSC_AUTOFREE(char) d1 = vsc_pve_diff("a\nb\nc\n", "a\nB\nc\nd\n", "old", "new");
  CU_ASSERT_STRING_EQUAL(d1, "--- old\n+++ new\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
  VSC_AUTOFREE(char) d2 = vsc_pve_diff("", "x\n", "old", "new");
  CU_ASSERT_STRING_EQUAL(d2, "--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n");
  VSC_AUTOFREE(char) d3 = vsc_pve_diff("a", "a\n", "old", "new");
  CU_ASSERT_STRING_EQUAL(d3, "--- old\n+++ new\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n");
}

/* Compare with diff(1) -u on pairs of real configs. */
static void test_diff_vs_gnu(void)
{
  if (system("diff --version >/dev/null 2>&1") != 0) {
    fprintf(stderr, "diff(1) not found: comparison with GNU diff skipped\n");
    if (getenv("CI"))
      CU_FAIL("diff(1) is needed under CI");
    return;
  }
  char *dir = tmpdir_make();
  /* a config against an edit of it (a golden case), or another config */
  const struct {
    const char *a, *golden, *b;
  } pairs[] = {
    { "100-snapshots.conf", "100-main", NULL },
    { "100-snapshots.conf", "100-pending", NULL },
    { "101-pending.conf", "101-pending", NULL },
    { "103-vschan.conf", "103-remove", NULL },
    { "104-noeol.conf", "104-noeol", NULL },
    { "107-empty.conf", "107-empty", NULL },
    { "100-snapshots.conf", NULL, "101-pending.conf" },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(pairs); i++) {
    VSC_AUTOFREE(char) pa = data_path(pairs[i].a);
    VSC_AUTOFREE(char) pb = pairs[i].golden ? golden_path(pairs[i].golden) : data_path(pairs[i].b);
    VSC_AUTOFREE(char) a = slurp(pa);
    VSC_AUTOFREE(char) b = slurp(pb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    VSC_AUTOFREE(char) mine = vsc_pve_diff(a, b, "A", "B");
    VSC_AUTOFREE(char) out = vsc_asprintf("%s/gnu.diff", dir);
    VSC_AUTOFREE(char) cmd = vsc_asprintf("diff -u --label A --label B '%s' '%s' > '%s'", pa, pb, out);
    int rc = system(cmd);
    (void)rc;
    VSC_AUTOFREE(char) gnu = slurp(out);
    if (!gnu || strcmp(gnu, mine) != 0) {
      fprintf(stderr, "diff %s %s differs from diff -u:\n--- mine\n%s--- gnu\n%s", pa, pb, mine,
              gnu ? gnu : "(none)");
      CU_FAIL("diff -u");
    }
  }
  tmpdir_remove(dir);
}

/* ------------------------------------------------------------------ */
/* edit                                                                 */

typedef struct {
  char *dir;
  char *conf;
  char *lockdir;
} edit_env;

static void env_setup(edit_env *e, const char *data_file)
{
  e->dir = tmpdir_make();
  e->conf = vsc_asprintf("%s/100.conf", e->dir);
  e->lockdir = vsc_asprintf("%s/lock", e->dir); /* created by vsc_pve_lock */
  VSC_AUTOFREE(char) text = read_data(data_file, NULL);
  write_text(e->conf, text);
}

static void env_teardown(edit_env *e)
{
  VSC_AUTOFREE(char) lockfile = vsc_asprintf("%s/lock-100.conf", e->lockdir);
  unlink(lockfile);
  rmdir(e->lockdir);
  tmpdir_remove(e->dir);
  free(e->conf);
  free(e->lockdir);
}

static vsc_pve_edit_opts env_opts(const edit_env *e)
{
  return (vsc_pve_edit_opts){ .vmid = 100, .conf_path = e->conf, .lock_dir = e->lockdir,
                              .timeout = 5 };
}

static void test_edit_ok(void)
{
  edit_env e;
  env_setup(&e, "100-snapshots.conf");
  vsc_pve_edit_opts o = env_opts(&e);
  vsc_pve_changes ch = { .merge_args = true, .args = vschan_argv, .n_args = VSCHAN_ARGC,
                         .serial = { "socket" } };
  vsc_diags d = { 0 };
  char *old = NULL, *new = NULL;
  struct stat st0, st1;
  chmod(e.conf, 0640);
  stat(e.conf, &st0);

  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, &old, &new, &d), 0);
  vsc_diags_print(&d, stderr, false);
  VSC_AUTOFREE(char) orig = read_data("100-snapshots.conf", NULL);
  VSC_AUTOFREE(char) want_path = golden_path("100-main");
  VSC_AUTOFREE(char) want = slurp(want_path);
  VSC_AUTOFREE(char) now = slurp(e.conf);
  CU_ASSERT_STRING_EQUAL(old, orig);
  CU_ASSERT_STRING_EQUAL(new, want);
  CU_ASSERT_STRING_EQUAL(now, want);
  stat(e.conf, &st1);
  CU_ASSERT_EQUAL(st1.st_mode & 0777, 0640);
  CU_ASSERT_NOT_EQUAL(st0.st_ino, st1.st_ino); /* replaced by rename */
  CU_ASSERT_EQUAL(count_tmp_files(e.dir), 0);
  free(old);
  free(new);

  /* the same edit again: nothing to write, the file is not replaced */
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, &old, &new, &d), 0);
  CU_ASSERT_STRING_EQUAL(old, new);
  struct stat st2;
  stat(e.conf, &st2);
  CU_ASSERT_EQUAL(st1.st_ino, st2.st_ino);
  free(old);
  free(new);

  /* dry run: the content is computed, nothing written */
  vsc_pve_changes ch2 = { .serial = { NULL, "socket" } };
  o.dry_run = true;
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch2, &old, &new, &d), 0);
  CU_ASSERT_STRING_NOT_EQUAL(old, new);
  VSC_AUTOFREE(char) after_dry = slurp(e.conf);
  CU_ASSERT_STRING_EQUAL(after_dry, want);
  free(old);
  free(new);
  vsc_diags_clear(&d);
  env_teardown(&e);
}

static void test_edit_locked(void)
{
  edit_env e;
  env_setup(&e, "102-locked.conf");
  vsc_pve_edit_opts o = env_opts(&e);
  vsc_pve_changes ch = { .serial = { "socket" } };
  vsc_diags d = { 0 };
  VSC_AUTOFREE(char) before = slurp(e.conf);

  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-locked");
  VSC_AUTOFREE(char) after = slurp(e.conf);
  CU_ASSERT_STRING_EQUAL(after, before);
  vsc_diags_clear(&d);

  o.skiplock = true;
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), 0);
  CU_ASSERT_TRUE(has_rule(&d, VSC_SEV_WARNING, "pve-locked"));
  VSC_AUTOFREE(char) forced = slurp(e.conf);
  CU_ASSERT_PTR_NOT_NULL(strstr(forced, "lock: backup\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(forced, "serial0: socket\n"));
  vsc_diags_clear(&d);
  env_teardown(&e);
}

static void test_edit_bad_input(void)
{
  edit_env e;
  env_setup(&e, "100-snapshots.conf");
  vsc_pve_edit_opts o = env_opts(&e);
  vsc_diags d = { 0 };
  VSC_AUTOFREE(char) before = slurp(e.conf);

  char *nl[] = { "-chardev", "socket,id=vschan-x,path=/tmp/new\nline.sock,server=on,wait=off" };
  vsc_pve_changes ch = { .merge_args = true, .args = nl, .n_args = 2 };
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-args-line");
  vsc_diags_clear(&d);

  vsc_pve_changes ch2 = { .serial = { "/dev/tty\nS0" } };
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch2, NULL, NULL, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-serial");
  vsc_diags_clear(&d);

  o.vmid = 99;
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch2, NULL, NULL, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-vmid");
  vsc_diags_clear(&d);

  o.vmid = 100;
  VSC_AUTOFREE(char) missing = vsc_asprintf("%s/555.conf", e.dir);
  o.conf_path = missing;
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch2, NULL, NULL, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "io");  /* a missing config is an I/O error: exit 2 */
  CU_ASSERT_EQUAL(vsc_diags_exit_code(&d), 2);
  vsc_diags_clear(&d);

  VSC_AUTOFREE(char) after = slurp(e.conf);
  CU_ASSERT_STRING_EQUAL(after, before);
  CU_ASSERT_EQUAL(count_tmp_files(e.dir), 0);
  env_teardown(&e);
}

static void test_edit_faults(void)
{
  static const vsc_pve_fault faults[] = { VSC_PVE_FAULT_WRITE_HALF, VSC_PVE_FAULT_BEFORE_RENAME };
  for (size_t i = 0; i < 2 * VSC_N_ELEMENTS(faults); i++) {
    bool via_env = i >= VSC_N_ELEMENTS(faults);
    vsc_pve_fault f = faults[i % VSC_N_ELEMENTS(faults)];
    edit_env e;
    env_setup(&e, "100-snapshots.conf");
    vsc_pve_edit_opts o = env_opts(&e);
    vsc_pve_changes ch = { .merge_args = true, .args = vschan_argv, .n_args = VSCHAN_ARGC };
    vsc_diags d = { 0 };
    VSC_AUTOFREE(char) before = slurp(e.conf);
    struct stat st0, st1;
    stat(e.conf, &st0);

    if (via_env)
      setenv("VSCHAN_PVE_FAULT", vsc_pve_fault_to_string(f), 1);
    else
      vsc_pve_set_fault(f);
    CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), -1);
    vsc_pve_set_fault(VSC_PVE_FAULT_NONE);
    unsetenv("VSCHAN_PVE_FAULT");
    CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-write");

    VSC_AUTOFREE(char) after = slurp(e.conf);
    CU_ASSERT_STRING_EQUAL(after, before);
    stat(e.conf, &st1);
    CU_ASSERT_EQUAL(st0.st_ino, st1.st_ino);
    CU_ASSERT_EQUAL(count_tmp_files(e.dir), 0);
    vsc_diags_clear(&d);

    /* and the lock was released: the next edit works */
    CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), 0);
    vsc_diags_clear(&d);
    env_teardown(&e);
  }
}

static void test_vm_running(void)
{
  char *dir = tmpdir_make();
  VSC_AUTOFREE(char) pidfile = vsc_asprintf("%s/100.pid", dir);
  CU_ASSERT_FALSE(vsc_pve_vm_running(dir, 100));
  VSC_AUTOFREE(char) me = vsc_asprintf("%d\n", (int)getpid());
  write_text(pidfile, me);
  CU_ASSERT_TRUE(vsc_pve_vm_running(dir, 100));

  pid_t child = fork();
  if (child == 0)
    _exit(0);
  waitpid(child, NULL, 0);
  VSC_AUTOFREE(char) dead = vsc_asprintf("%d\n", (int)child);
  write_text(pidfile, dead);
  CU_ASSERT_FALSE(vsc_pve_vm_running(dir, 100));
  write_text(pidfile, "garbage\n");
  CU_ASSERT_FALSE(vsc_pve_vm_running(dir, 100));
  tmpdir_remove(dir);
}

static void test_edit_stale_tmp(void)
{
  edit_env e;
  env_setup(&e, "104-noeol.conf");
  vsc_pve_edit_opts o = env_opts(&e);
  VSC_AUTOFREE(char) stale = vsc_asprintf("%s.tmp.%d", e.conf, (int)getpid());
  write_text(stale, "half a file");
  vsc_pve_changes ch = { .agent = true };
  vsc_diags d = { 0 };
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), 0);
  CU_ASSERT_EQUAL(count_tmp_files(e.dir), 0);
  VSC_AUTOFREE(char) now = slurp(e.conf);
  CU_ASSERT_STRING_EQUAL(now, "#vschan owns agent=356a192b\nagent: 1\ncores: 1\nmemory: 512\nname: no-final-newline");
  vsc_diags_clear(&d);
  env_teardown(&e);
}

/* Fork a process that holds the lock until it is killed (or for
 * hold_ms), and return once it holds it. */
static pid_t hold_lock(const edit_env *e, int hold_ms)
{
  int p[2];
  CU_ASSERT_FATAL(pipe(p) == 0);
  pid_t pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    mkdir(e->lockdir, 0755);
    VSC_AUTOFREE(char) lf = vsc_asprintf("%s/lock-100.conf", e->lockdir);
    int fd = open(lf, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) < 0)
      _exit(1);
    if (write(p[1], "L", 1) != 1)
      _exit(1);
    if (hold_ms > 0)
      nanosleep(&(struct timespec){ .tv_sec = hold_ms / 1000,
                                    .tv_nsec = (hold_ms % 1000) * 1000000L }, NULL);
    else
      pause();
    _exit(0);
  }
  close(p[1]);
  char c;
  CU_ASSERT_FATAL(read(p[0], &c, 1) == 1);
  close(p[0]);
  return pid;
}

static double mono(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_edit_lock_timeout(void)
{
  edit_env e;
  env_setup(&e, "100-snapshots.conf");
  vsc_pve_edit_opts o = env_opts(&e);
  vsc_pve_changes ch = { .serial = { NULL, "socket" } };
  vsc_diags d = { 0 };
  VSC_AUTOFREE(char) before = slurp(e.conf);

  /* held for good: times out with a clear error, nothing written */
  pid_t holder = hold_lock(&e, 0);
  o.timeout = 0.3;
  double t0 = mono();
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), -1);
  double waited = mono() - t0;
  CU_ASSERT_TRUE(waited >= 0.29 && waited < 0.3 + VSCT_MARGIN_S);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-lock-timeout");
  VSC_AUTOFREE(char) after = slurp(e.conf);
  CU_ASSERT_STRING_EQUAL(after, before);
  kill(holder, SIGTERM);
  waitpid(holder, NULL, 0);
  vsc_diags_clear(&d);

  /* held briefly: the edit waits, then succeeds (the clock starts
   * before the holder, which holds for 0.4 s once it has the lock) */
  t0 = mono();
  holder = hold_lock(&e, 400);
  o.timeout = VSCT_LONG_S;
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), 0);
  waited = mono() - t0;
  CU_ASSERT_TRUE(waited >= 0.4);
  waitpid(holder, NULL, 0);
  VSC_AUTOFREE(char) now = slurp(e.conf);
  CU_ASSERT_PTR_NOT_NULL(strstr(now, "\nserial1: socket\n"));
  vsc_diags_clear(&d);
  env_teardown(&e);
}

/* Each editor increments "cores"; a lost update shows as a lower total. */
static int increment_cores(vsc_pve_conf *conf, void *opaque, vsc_diags *diags)
{
  (void)opaque;
  VSC_AUTOFREE(char) v = vsc_pve_conf_get(conf, false, "cores");
  VSC_AUTOFREE(char) next = vsc_asprintf("%ld", (v ? strtol(v, NULL, 10) : 0) + 1);
  return vsc_pve_conf_set(conf, false, "cores", next, diags);
}

static void test_edit_concurrent(void)
{
  enum { EDITORS = 4, EDITS = 25 };
  edit_env e;
  env_setup(&e, "100-snapshots.conf"); /* cores: 2 */
  pid_t pids[EDITORS + 1];

  for (int i = 0; i < EDITORS; i++) {
    pids[i] = fork();
    CU_ASSERT_FATAL(pids[i] >= 0);
    if (pids[i] == 0) {
      vsc_pve_edit_opts o = env_opts(&e);
      o.timeout = 60;
      for (int k = 0; k < EDITS; k++) {
        vsc_diags d = { 0 };
        if (vsc_pve_edit(&o, increment_cores, NULL, NULL, NULL, &d) < 0) {
          vsc_diags_print(&d, stderr, false);
          _exit(1);
        }
        vsc_diags_clear(&d);
      }
      _exit(0);
    }
  }
  /* A reader that never takes the lock must always see a whole file. */
  pids[EDITORS] = fork();
  if (pids[EDITORS] == 0) {
    for (int k = 0; k < 400; k++) {
      VSC_AUTOFREE(char) t = slurp(e.conf);
      if (!t || !strstr(t, "#Ignition test VM") || !strstr(t, "snaptime: 1712300000\n"))
        _exit(2);
    }
    _exit(0);
  }
  for (int i = 0; i <= EDITORS; i++) {
    int status;
    waitpid(pids[i], &status, 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  size_t len;
  VSC_AUTOFREE(char) text = slurp(e.conf);
  len = strlen(text);
  vsc_diags d = { 0 };
  VSC_AUTOPTR(vsc_pve_conf) conf = vsc_pve_conf_parse(text, len, NULL, &d);
  VSC_AUTOFREE(char) cores = vsc_pve_conf_get(conf, false, "cores");
  VSC_AUTOFREE(char) want = vsc_asprintf("%d", 2 + EDITORS * EDITS);
  CU_ASSERT_STRING_EQUAL(cores, want);
  CU_ASSERT_EQUAL(count_tmp_files(e.dir), 0);
  env_teardown(&e);
}

/* ------------------------------------------------------------------ */
/* perl: the real Text::ParseWords and flock                            */

static bool perl_available(void)
{
  return system("perl -MText::ParseWords -MFcntl -e 1 >/dev/null 2>&1") == 0;
}

/* Run shellwords on each NUL-terminated record of in (utf8: decode the
 * input as UTF-8 first, as if qemu-server had decoded the file), and read
 * the words back: per record a count then the words, NUL-terminated. */
static char *perl_shellwords(const char *dir, const vsc_buf *in, bool utf8, size_t *out_len)
{
  VSC_AUTOFREE(char) inpath = vsc_asprintf("%s/in", dir);
  VSC_AUTOFREE(char) outpath = vsc_asprintf("%s/out", dir);
  VSC_AUTOFREE(char) script = vsc_asprintf("%s/sw.pl", dir);
  FILE *f = fopen(inpath, "wb");
  fwrite(in->data, 1, in->len, f);
  fclose(f);
  write_text(script,
    "use strict; use warnings; use Text::ParseWords;\n"
    "my ($utf8, $in, $out) = @ARGV;\n"
    "local $/ = \"\\0\";\n"
    "open(my $fi, '<', $in) or die; open(my $fo, '>', $out) or die;\n"
    "binmode($fi, $utf8 ? ':encoding(UTF-8)' : ':raw');\n"
    "binmode($fo, $utf8 ? ':encoding(UTF-8)' : ':raw');\n"
    "while (my $line = <$fi>) { chomp $line; my @w = shellwords($line);\n"
    "  print $fo scalar(@w), \"\\0\"; print $fo \"$_\\0\" for @w; }\n");
  VSC_AUTOFREE(char) cmd = vsc_asprintf("perl '%s' %d '%s' '%s'", script, utf8, inpath, outpath);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  vsc_diags d = { 0 };
  char *out = vsc_file_read(outpath, 0, out_len, &d);
  vsc_diags_clear(&d);
  return out;
}

static unsigned test_seed(void)
{
  const char *s = getenv("VSCHAN_TEST_SEED");
  return s ? (unsigned)strtoul(s, NULL, 10) : 20240605u;
}

/* Pieces that arguments are made of: QEMU syntax, both quotes, spaces,
 * backslashes, shell specials, UTF-8 (including a no-break space). */
static const char *const pieces[] = {
  "a", "Z", "0", "-", ",", ",,", "=", "'", "\"", " ", "  ", "\t", "\\", "\\\\", "$", "$HOME",
  "`", "!", "*", "?", ";", "&", "|", "<", ">", "(", ")", "{", "}", "[", "]", "#", "~", "%",
  "é", "€", "\xc2\xa0", "日本", "/", ".", ":", "@", "\v", "\f", "path=/run/x", "id=vschan-",
};

static void gen_arg(vsc_buf *b)
{
  int n = rand() % 8;
  for (int i = 0; i < n; i++)
    vsc_buf_add(b, pieces[(size_t)rand() % VSC_N_ELEMENTS(pieces)]);
}

static void test_perl_quote_property(void)
{
  enum { CASES = 1500 };
  char *dir = tmpdir_make();
  srand(test_seed());
  char **argvs[CASES];
  size_t argcs[CASES];
  vsc_buf in = { 0 };

  for (int c = 0; c < CASES; c++) {
    argcs[c] = (size_t)(rand() % 6);
    argvs[c] = vsc_calloc(argcs[c] + 1, sizeof(char *));
    for (size_t i = 0; i < argcs[c]; i++) {
      vsc_buf a = { 0 };
      gen_arg(&a);
      argvs[c][i] = vsc_buf_steal(&a);
    }
    vsc_diags d = { 0 };
    VSC_AUTOFREE(char) q = vsc_pve_args_quote(argvs[c], argcs[c], &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    size_t ql = strlen(q);
    CU_ASSERT_FALSE(ql >= 2 && q[0] == '"' && q[ql - 1] == '"');
    vsc_buf_add(&in, q);
    vsc_buf_addc(&in, '\0');
  }

  for (int utf8 = 0; utf8 <= 1; utf8++) {
    size_t len;
    VSC_AUTOFREE(char) out = perl_shellwords(dir, &in, utf8, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    size_t pos = 0, bad = 0;
    int records = 0;
    for (int c = 0; c < CASES && pos < len; c++, records++) {
      size_t n = strtoul(out + pos, NULL, 10);
      pos += strlen(out + pos) + 1;
      bool ok = n == argcs[c];
      for (size_t i = 0; i < n && pos < len; i++) {
        ok = ok && i < argcs[c] && strcmp(out + pos, argvs[c][i]) == 0;
        pos += strlen(out + pos) + 1;
      }
      if (!ok && bad++ < 5) {
        VSC_AUTOFREE(char) q = vsc_pve_args_quote(argvs[c], argcs[c], NULL);
        fprintf(stderr, "perl (%s) splits [%s] differently\n", utf8 ? "utf8" : "bytes", q);
      }
    }
    CU_ASSERT_EQUAL(records, CASES); /* Perl answered for every case */
    CU_ASSERT_EQUAL(pos, len);
    CU_ASSERT_EQUAL(bad, 0);
  }
  for (int c = 0; c < CASES; c++)
    vsc_pve_argv_free(argvs[c]);
  vsc_buf_clear(&in);
  tmpdir_remove(dir);
}

/* Differential test of the splitter: random lines, ours against Perl's. */
static void test_perl_split_differential(void)
{
  enum { CASES = 4000 };
  static const char *const alpha[] = { "a", "b", " ", "\t", "'", "\"", "\\", ",", "é", "=" };
  char *dir = tmpdir_make();
  srand(test_seed() + 1);
  char *lines[CASES];
  vsc_buf in = { 0 };

  for (int c = 0; c < CASES; c++) {
    vsc_buf l = { 0 };
    int n = rand() % 14;
    for (int i = 0; i < n; i++)
      vsc_buf_add(&l, alpha[(size_t)rand() % VSC_N_ELEMENTS(alpha)]);
    lines[c] = vsc_buf_steal(&l);
    vsc_buf_add(&in, lines[c]);
    vsc_buf_addc(&in, '\0');
  }
  size_t len;
  VSC_AUTOFREE(char) out = perl_shellwords(dir, &in, false, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  size_t pos = 0, bad = 0, errors = 0;
  int records = 0;
  for (int c = 0; c < CASES && pos < len; c++, records++) {
    size_t n = strtoul(out + pos, NULL, 10);
    pos += strlen(out + pos) + 1;
    vsc_diags d = { 0 };
    size_t m = 0;
    char **w = vsc_pve_args_split(lines[c], &m, NULL, &d);
    /* Perl gives () both for a blank line and for a parse failure. */
    bool blank = strspn(lines[c], " \t") == strlen(lines[c]);
    bool ok = w ? (m == n) : (n == 0 && !blank);
    errors += w == NULL;
    for (size_t i = 0; i < n && pos < len; i++) {
      ok = ok && w && i < m && strcmp(out + pos, w[i]) == 0;
      pos += strlen(out + pos) + 1;
    }
    if (!ok && bad++ < 5)
      fprintf(stderr, "split of [%s] differs from perl\n", lines[c]);
    vsc_pve_argv_free(w);
    vsc_diags_clear(&d);
  }
  CU_ASSERT_EQUAL(records, CASES);
  CU_ASSERT_EQUAL(pos, len);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_TRUE(errors > 0 && errors < CASES); /* both kinds were exercised */
  for (int c = 0; c < CASES; c++)
    free(lines[c]);
  vsc_buf_clear(&in);
  tmpdir_remove(dir);
}

/* qemu-server's lock is Perl's flock on lock-VMID.conf: ours must wait
 * for it.  Perl holds it until its standard input ends. */
static void test_perl_flock(void)
{
  edit_env e;
  env_setup(&e, "100-snapshots.conf");
  mkdir(e.lockdir, 0755);
  int p[2], release[2];
  CU_ASSERT_FATAL(pipe(p) == 0 && pipe(release) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], STDOUT_FILENO);
    dup2(release[0], STDIN_FILENO);
    close(p[0]);
    close(release[1]);
    VSC_AUTOFREE(char) lf = vsc_asprintf("%s/lock-100.conf", e.lockdir);
    execlp("perl", "perl", "-MFcntl=:flock", "-e",
           "open(my $f, '>>', $ARGV[0]) or die; flock($f, LOCK_EX) or die; $| = 1;"
           "print \"L\"; my @rest = <STDIN>;", lf, (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  close(release[0]);
  char c;
  CU_ASSERT_FATAL(read(p[0], &c, 1) == 1);
  close(p[0]);

  vsc_pve_edit_opts o = env_opts(&e);
  o.timeout = 0.1;
  vsc_pve_changes ch = { .serial = { NULL, "socket" } };
  vsc_diags d = { 0 };
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), -1);
  CU_ASSERT_STRING_EQUAL(first_rule(&d), "pve-lock-timeout");
  vsc_diags_clear(&d);
  close(release[1]);
  o.timeout = VSCT_LONG_S;
  CU_ASSERT_EQUAL(vsc_pve_edit_changes(&o, &ch, NULL, NULL, &d), 0);
  VSC_AUTOFREE(char) now = slurp(e.conf);
  CU_ASSERT_PTR_NOT_NULL(strstr(now, "\nserial1: socket\n"));
  int status;
  waitpid(pid, &status, 0);
  CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  vsc_diags_clear(&d);
  env_teardown(&e);
}

/* ------------------------------------------------------------------ */

typedef struct {
  const char *group;
  const char *name;
  CU_TestFunc fn;
} test_entry;

static const test_entry tests[] = {
  { "split", "known cases", test_split_cases },
  { "split", "spans", test_split_spans },
  { "quote", "style", test_quote_style },
  { "quote", "newline", test_quote_newline },
  { "conf", "round trip", test_conf_roundtrip },
  { "conf", "sections", test_conf_sections },
  { "conf", "lock", test_conf_lock },
  { "conf", "set and delete", test_conf_set },
  { "conf", "bad values", test_conf_bad_values },
  { "conf", "vmid", test_vmid },
  { "merge", "owned", test_owned },
  { "merge", "merge", test_merge },
  { "merge", "requote", test_merge_requote },
  { "merge", "errors", test_merge_errors },
  { "apply", "apply errors", test_apply_errors },
  { "apply", "vm check", test_vm_check },
  { "diff", "basic", test_diff_basic },
  { "diff", "vs diff -u", test_diff_vs_gnu },
  { "edit", "ok", test_edit_ok },
  { "edit", "locked", test_edit_locked },
  { "edit", "bad input", test_edit_bad_input },
  { "edit", "faults", test_edit_faults },
  { "edit", "stale tmp", test_edit_stale_tmp },
  { "edit", "vm running", test_vm_running },
  { "edit", "lock timeout", test_edit_lock_timeout },
  { "edit", "concurrent", test_edit_concurrent },
  { "perl", "quote property", test_perl_quote_property },
  { "perl", "split differential", test_perl_split_differential },
  { "perl", "flock interop", test_perl_flock },
};

int main(int argc, char **argv)
{
  const char *group = argc > 1 ? argv[1] : NULL;

  if (group && strcmp(group, "case") == 0) {
    if (argc != 3) {
      fprintf(stderr, "usage: test-pve case FILE\n");
      return 2;
    }
    return run_case(argv[2]);
  }
  if ((!group || strcmp(group, "perl") == 0) && !perl_available()) {
    const char *why = "perl with Text::ParseWords is not available: the perl group cannot run";
    const char *ci = getenv("CI");
    if (group || (ci && *ci))
      return vsct_skip("%s", why);
    fprintf(stderr, "%s\n", why);
  }
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite(group ? group : "pve", NULL, NULL);
  size_t added = 0;
  for (size_t i = 0; i < VSC_N_ELEMENTS(tests); i++) {
    if (group && strcmp(group, tests[i].group) != 0)
      continue;
    if (!group && strcmp(tests[i].group, "perl") == 0 && !perl_available())
      continue;
    CU_add_test(suite, tests[i].name, tests[i].fn);
    added++;
  }
  if (!added) {
    fprintf(stderr, "unknown test group '%s'\n", group);
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
