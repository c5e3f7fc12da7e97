#include "qemu-test-util.h"

#include "spec/spec.h"
#include "util/buf.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void add_opt(t_opts *o, char *key, char *value)
{
  t_opt *it = vsc_append(&o->items, &o->n, sizeof(*it));
  it->key = key;
  it->value = value;
}

/* A value runs to the first ',' that is not doubled. */
static const char *parse_value(const char *p, char **value)
{
  vsc_buf b = { 0 };

  for (;;) {
    const char *comma = strchr(p, ',');
    if (!comma) {
      vsc_buf_add(&b, p);
      p += strlen(p);
      break;
    }
    vsc_buf_addn(&b, p, (size_t)(comma - p));
    if (comma[1] != ',') {
      p = comma;
      break;
    }
    vsc_buf_addc(&b, ',');
    p = comma + 2;
  }
  *value = vsc_buf_steal(&b);
  return p;
}

void t_qemu_opts_parse(const char *s, const char *implied, t_opts *out)
{
  const char *p = s;
  bool first = true;

  while (*p) {
    size_t len = strcspn(p, "=,");
    char *key, *value;

    if (p[len] != '=') {
      if (first && implied) {
        key = vsc_strdup(implied);
        p = parse_value(p, &value);
      } else {
        key = vsc_strndup(p, len);
        p += len;
        if (strncmp(key, "no", 2) == 0) {
          memmove(key, key + 2, strlen(key + 2) + 1);
          value = vsc_strdup("off");
        } else {
          value = vsc_strdup("on");
        }
      }
    } else {
      key = vsc_strndup(p, len);
      p = parse_value(p + len + 1, &value);
    }
    add_opt(out, key, value);
    if (*p == ',')
      p++;
    first = false;
  }
}

void t_opts_clear(t_opts *o)
{
  for (size_t i = 0; i < o->n; i++) {
    free(o->items[i].key);
    free(o->items[i].value);
  }
  free(o->items);
  o->items = NULL;
  o->n = 0;
}

const char *t_opts_get(const t_opts *o, const char *key)
{
  for (size_t i = 0; i < o->n; i++)
    if (strcmp(o->items[i].key, key) == 0)
      return o->items[i].value;
  return NULL;
}

char *t_opts_keys(const t_opts *o)
{
  vsc_buf b = { 0 };
  for (size_t i = 0; i < o->n; i++) {
    if (i)
      vsc_buf_addc(&b, ',');
    vsc_buf_add(&b, o->items[i].key);
  }
  return vsc_buf_steal(&b);
}

void t_strv_free(char **v)
{
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

bool t_have_program(const char *name)
{
  VSC_AUTOFREE(char) cmd = vsc_asprintf("command -v '%s' >/dev/null 2>&1", name);
  return system(cmd) == 0;
}

/* Run argv with input on stdin (a file: the line can be longer than
 * one argument may be), collect stdout, split it at NUL bytes. */
static char **run_split(char *const *argv, const char *input, size_t *n)
{
  FILE *in = tmpfile();
  int fds[2];
  pid_t pid;
  vsc_buf out = { 0 };
  char chunk[65536];
  ssize_t got;
  int status;
  char **words = NULL;
  size_t nwords = 0;

  if (!in || fputs(input, in) < 0 || fflush(in) != 0 || fseek(in, 0, SEEK_SET) != 0 ||
      pipe(fds) < 0) {
    if (in)
      fclose(in);
    return NULL;
  }
  pid = fork();
  if (pid < 0)
    return NULL;
  if (pid == 0) {
    dup2(fileno(in), 0);
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  fclose(in);
  while ((got = read(fds[0], chunk, sizeof(chunk))) > 0)
    vsc_buf_addn(&out, chunk, (size_t)got);
  close(fds[0]);
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    vsc_buf_clear(&out);
    return NULL;
  }
  for (size_t start = 0; start < out.len;) {
    size_t len = strlen(out.data + start);
    *(char **)vsc_append(&words, &nwords, sizeof(char *)) = vsc_strndup(out.data + start, len);
    start += len + 1;
  }
  *(char **)vsc_append(&words, &nwords, sizeof(char *)) = NULL;
  *n = nwords - 1;
  vsc_buf_clear(&out);
  return words;
}

char **t_split_sh(const char *line, size_t *n)
{
  char *const argv[] = { "/bin/sh", "-c",
                         "line=$(cat); eval \"set -- $line\"; "
                         "for a in \"$@\"; do printf '%s\\000' \"$a\"; done",
                         NULL };
  return run_split(argv, line, n);
}

char **t_split_shellwords(const char *line, size_t *n)
{
  char *const argv[] = { "perl", "-MText::ParseWords", "-e",
                         "local $/; my $line = <STDIN>; print map { $_ . \"\\0\" } shellwords($line);",
                         NULL };
  return run_split(argv, line, n);
}

char **t_spec_argv(const char *json, const vsc_qemu_opts *opts, size_t *argc, vsc_diags *diags)
{
  vsc_devset set;
  char **argv = NULL;

  vsc_devset_init(&set);
  if (vsc_spec_parse(json, strlen(json), "test.json", &set, diags) == 0)
    vsc_qemu_build_argv(&set, opts, &argv, argc, diags);
  vsc_devset_clear(&set);
  return argv;
}

char **t_chardev_values(char *const *argv, size_t argc, size_t *n)
{
  char **v = NULL;
  size_t nv = 0;

  for (size_t i = 0; i + 1 < argc; i++)
    if (strcmp(argv[i], "-chardev") == 0)
      *(char **)vsc_append(&v, &nv, sizeof(char *)) = vsc_strdup(argv[i + 1]);
  *(char **)vsc_append(&v, &nv, sizeof(char *)) = NULL;
  *n = nv - 1;
  return v;
}
