/* The "args:" value: shellwords splitting, quoting and the merge of
 * vschan's arguments with the user's. */
#include "pve.h"

#include "util/buf.h"
#include "util/strset.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Perl's \s for a byte string. */
static bool pw_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool pw_quote(unsigned char c)
{
  return c == '"' || c == '\'';
}

void vsc_pve_argv_free(char **argv)
{
  if (!argv)
    return;
  for (char **p = argv; *p; p++)
    free(*p);
  free(argv);
}

/* Scan a quoted string starting at s[pos] (the quote); returns the index
 * of the closing quote, or (size_t)-1 when there is none.  Inside both
 * kinds of quotes a backslash pairs with the next character, as in
 * Text::ParseWords' ((?>[^\\"]*(?:\\.[^\\"]*)*)). */
static size_t pw_closing_quote(const char *s, size_t len, size_t pos)
{
  char q = s[pos];
  for (size_t i = pos + 1; i < len; i++) {
    if (s[i] == '\\') {
      if (i + 1 >= len)
        return (size_t)-1;
      i++;
    } else if (s[i] == q) {
      return i;
    }
  }
  return (size_t)-1;
}

/* Append s[from, to) dropping the backslash of every "\x" pair. */
static void pw_add_unescaped(vsc_buf *b, const char *s, size_t from, size_t to)
{
  for (size_t i = from; i < to; i++) {
    if (s[i] == '\\' && i + 1 < to)
      i++;
    vsc_buf_addc(b, s[i]);
  }
}

static void pw_push(char ***words, size_t *n, vsc_pve_span **spans, vsc_buf *word,
                    size_t start, size_t end)
{
  *words = vsc_realloc(*words, (*n + 2) * sizeof(**words));
  (*words)[*n] = vsc_buf_steal(word);
  (*words)[*n + 1] = NULL;
  if (spans) {
    *spans = vsc_realloc(*spans, (*n + 1) * sizeof(**spans));
    (*spans)[*n] = (vsc_pve_span){ .start = start, .end = end };
  }
  (*n)++;
}

char **vsc_pve_args_split(const char *value, size_t *n_out, vsc_pve_span **spans_out,
                          vsc_diags *diags)
{
  const char *s = value ? value : "";
  size_t len = strlen(s), pos = 0, n = 0;
  char **words = vsc_calloc(1, sizeof(*words));
  vsc_pve_span *spans = NULL;
  vsc_buf word = { 0 };
  bool in_word = false; /* Perl's $word is defined */
  size_t word_start = 0, word_end = 0;

  /* shellwords: $line =~ s/^\s+//; */
  while (pos < len && pw_space((unsigned char)s[pos]))
    pos++;

  /* parse_line('\s+', 0, $line): each round removes one piece from the
   * front: a quoted string, or an unquoted run up to whitespace, a quote
   * or the end. */
  while (pos < len) {
    size_t delim_len = 0;

    if (!in_word) {
      in_word = true;
      word_start = pos;
    }
    if (pw_quote((unsigned char)s[pos])) {
      size_t close = pw_closing_quote(s, len, pos);
      if (close == (size_t)-1) {
        vsc_error(diags, NULL, "pve-args-quotes",
                  "close the quote or escape it with a backslash; qemu-server would silently "
                  "drop every argument of this line",
                  "unbalanced %s quote at offset %zu in args '%s'",
                  s[pos] == '"' ? "double" : "single", pos, s);
        goto fail;
      }
      if (s[pos] == '"')
        pw_add_unescaped(&word, s, pos + 1, close);
      else
        vsc_buf_addn(&word, s + pos + 1, close - pos - 1);
      pos = close + 1;
      word_end = pos;
    } else {
      size_t i = pos;
      for (;;) {
        if (i >= len)
          break; /* \Z */
        if (pw_space((unsigned char)s[i])) {
          size_t j = i;
          while (j < len && pw_space((unsigned char)s[j]))
            j++;
          delim_len = j - i;
          break;
        }
        if (pw_quote((unsigned char)s[i]))
          break; /* (?!^)(?=["']): i > pos here, a quote at pos took the branch above */
        if (s[i] == '\\') {
          if (i + 1 >= len) {
            vsc_error(diags, NULL, "pve-args-quotes",
                      "remove the backslash or double it; qemu-server would silently drop "
                      "every argument of this line",
                      "trailing backslash in args '%s'", s);
            goto fail;
          }
          i += 2;
        } else {
          i++;
        }
      }
      pw_add_unescaped(&word, s, pos, i);
      word_end = i;
      pos = i + delim_len;
    }
    if (delim_len > 0 || pos >= len) {
      pw_push(&words, &n, spans_out ? &spans : NULL, &word, word_start, word_end);
      in_word = false;
    }
  }
  vsc_buf_clear(&word);
  if (n_out)
    *n_out = n;
  if (spans_out)
    *spans_out = spans;
  else
    free(spans);
  return words;

fail:
  vsc_buf_clear(&word);
  vsc_pve_argv_free(words);
  free(spans);
  return NULL;
}

/* Characters that need no quoting for shellwords nor for a POSIX shell. */
static bool pw_safe(unsigned char c)
{
  return isascii(c) && (isalnum(c) || strchr("-_./=:,@%+^~", c)) && c != '\0';
}

/* Perl's shellwords matches an unquoted word, and a run of backslash
 * escapes, one character per step of a recursive regex, and gives up past
 * 65534 steps: it then returns nothing at all, and qemu-server silently
 * drops the whole args: line.  Its quoted forms are matched atomically, at
 * any length.  So a long argument is always quoted. */
#define PW_BARE_MAX 4096

/* Bare when every byte is safe and it is short; else in quotes: runs of
 * ordinary bytes in single quotes, runs of "'" and "\\" in double quotes
 * (where "\\" is written "\\\\"), as in 'it'"'"'s'.  Nothing but the
 * quotes themselves is ever left unquoted, so no run is matched step by
 * step. */
static void quote_one(vsc_buf *b, const char *arg)
{
  bool safe = *arg != '\0' && strlen(arg) <= PW_BARE_MAX;

  for (const char *p = arg; *p && safe; p++)
    safe = pw_safe((unsigned char)*p);
  if (safe) {
    vsc_buf_add(b, arg);
    return;
  }
  if (!*arg) {
    vsc_buf_add(b, "''");
    return;
  }
  /* Never begin or end with '"': qemu-server strips a value's surrounding
   * double quotes on its next write.  '' adds nothing to the word. */
  if (*arg == '\'' || *arg == '\\')
    vsc_buf_add(b, "''");
  for (const char *p = arg; *p;) {
    bool special = *p == '\'' || *p == '\\';
    vsc_buf_addc(b, special ? '"' : '\'');
    for (; *p && (*p == '\'' || *p == '\\') == special; p++) {
      if (*p == '\\')
        vsc_buf_addc(b, '\\');
      vsc_buf_addc(b, *p);
    }
    vsc_buf_addc(b, special ? '"' : '\'');
  }
  char last = arg[strlen(arg) - 1];
  if (last == '\'' || last == '\\')
    vsc_buf_add(b, "''");
}

static bool argv_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (strcmp(a[i], b[i]) != 0)
      return false;
  return true;
}

char *vsc_pve_args_quote(char *const *argv, size_t n, vsc_diags *diags)
{
  vsc_buf b = { 0 };

  for (size_t i = 0; i < n; i++) {
    if (strpbrk(argv[i], "\n\r")) {
      vsc_error(diags, NULL, "pve-args-line",
                "a Proxmox config value is one line; rename the path or value so it has no "
                "line break",
                "argument %zu '%s' contains a line break", i + 1, argv[i]);
      vsc_buf_clear(&b);
      return NULL;
    }
    if (i > 0)
      vsc_buf_addc(&b, ' ');
    quote_one(&b, argv[i]);
  }
  char *value = vsc_buf_steal(&b);

  /* Prove it: the value must split back into argv. */
  vsc_diags tmp = { 0 };
  size_t nsplit = 0;
  char **split = vsc_pve_args_split(value, &nsplit, NULL, &tmp);
  bool ok = split && argv_equal(split, nsplit, argv, n);
  vsc_pve_argv_free(split);
  vsc_diags_clear(&tmp);
  if (!ok) {
    vsc_error(diags, NULL, "pve-internal", "please report this as a bug of vschan",
              "quoted args '%s' do not split back into the arguments", value);
    free(value);
    return NULL;
  }
  return value;
}

/* Does the value of a QEMU option belong to the prefix? */
static bool opt_value_owned(const char *key, size_t klen, const char *val, const char *prefix)
{
  /* keys whose value is an id: ours when it has our prefix (memory-backend:
   * the shared memory object vhost-user devices need) */
  static const char *const id_keys[] = { "id", "chardev", "bus", "netdev", "memory-backend" };
  size_t plen = strlen(prefix);

  for (size_t i = 0; i < VSC_N_ELEMENTS(id_keys); i++)
    if (klen == strlen(id_keys[i]) && strncmp(key, id_keys[i], klen) == 0)
      return strncmp(val, prefix, plen) == 0;
  if (klen == strlen("guestfwd") && strncmp(key, "guestfwd", klen) == 0) {
    VSC_AUTOFREE(char) needle = vsc_asprintf("-chardev:%s", prefix);
    return strstr(val, needle) != NULL;
  }
  return false;
}

bool vsc_pve_arg_is_owned(const char *arg, const char *prefix)
{
  if (!prefix || !*prefix)
    prefix = VSC_PVE_ID_PREFIX;

  if (arg[0] == '{') {
    /* QEMU's JSON syntax: any string value starting with the prefix. */
    VSC_AUTOFREE(char) needle = vsc_asprintf("\"%s", prefix);
    for (const char *p = strstr(arg, needle); p; p = strstr(p + 1, needle))
      if (p > arg && strchr(":[ \t", p[-1]))
        return true;
    return false;
  }

  /* QEMU's key=value list: "," separates, ",," is a literal comma. */
  vsc_buf elem = { 0 };
  bool owned = false;
  for (const char *p = arg;; p++) {
    if (*p == ',' && p[1] == ',') {
      vsc_buf_addc(&elem, ',');
      p++;
      continue;
    }
    if (*p == ',' || *p == '\0') {
      const char *e = elem.data ? elem.data : "";
      const char *eq = strchr(e, '=');
      if (eq && opt_value_owned(e, (size_t)(eq - e), eq + 1, prefix))
        owned = true;
      vsc_buf_clear(&elem);
      if (*p == '\0' || owned)
        break;
      continue;
    }
    vsc_buf_addc(&elem, *p);
  }
  vsc_buf_clear(&elem);
  return owned;
}

static bool is_option(const char *arg)
{
  return arg[0] == '-' && arg[1] != '\0';
}

/* Mark the arguments that belong to vschan: an owned value together with
 * the option before it, or an owned argument on its own. */
static bool *owned_marks(char *const *argv, size_t n, const char *prefix)
{
  bool *mark = vsc_calloc(n ? n : 1, sizeof(*mark));
  for (size_t i = 0; i < n; i++) {
    if (is_option(argv[i]) && i + 1 < n && !is_option(argv[i + 1]) &&
        vsc_pve_arg_is_owned(argv[i + 1], prefix)) {
      mark[i] = mark[i + 1] = true;
      i++;
    } else if (vsc_pve_arg_is_owned(argv[i], prefix)) {
      mark[i] = true;
    }
  }
  return mark;
}

char *vsc_pve_args_merge(const char *existing, char *const *argv, size_t n, char *const *drop, size_t n_drop,
                         const char *prefix, vsc_diags *diags)
{
  VSC_AUTOFREE(vsc_pve_span) spans = NULL;
  VSC_AUTOFREE(bool) old_mark = NULL;
  VSC_AUTOFREE(bool) new_mark = NULL;
  VSC_AUTOFREE(char) quoted_new = NULL;
  char **old = NULL;
  size_t n_old = 0;
  const char *src = existing ? existing : "";
  char *result = NULL;

  if (!prefix || !*prefix)
    prefix = VSC_PVE_ID_PREFIX;

  new_mark = owned_marks(argv, n, prefix);
  for (size_t i = 0; i < n; i++) {
    if (!new_mark[i]) {
      vsc_error(diags, NULL, "pve-args-owner",
                "give every device, chardev and netdev an id starting with the prefix",
                "argument '%s' names no id starting with '%s', so vschan could not find and "
                "replace it in args on the next run", argv[i], prefix);
      return NULL;
    }
  }
  quoted_new = vsc_pve_args_quote(argv, n, diags);
  if (!quoted_new)
    return NULL;

  old = vsc_pve_args_split(src, &n_old, &spans, diags);
  if (!old) {
    vsc_error(diags, NULL, "pve-args-quotes",
              "fix the quoting of the existing args line by hand first; nothing was changed",
              "cannot merge into the existing args: its quotes do not balance");
    return NULL;
  }
  old_mark = owned_marks(old, n_old, prefix);
  /* the user's arguments vschan takes over go as its own do: each
   * option with its value, as often as the pair is listed */
  vsc_strset dropping = { 0 };
  for (size_t k = 0; k + 1 < n_drop; k += 2) {
    VSC_AUTOFREE(char) pair = vsc_asprintf("%s\n%s", drop[k], drop[k + 1]);
    vsc_strset_add(&dropping, pair);
  }
  for (size_t i = 0; i + 1 < n_old && dropping.n; i++) {
    if (old_mark[i] || old_mark[i + 1])
      continue;
    VSC_AUTOFREE(char) pair = vsc_asprintf("%s\n%s", old[i], old[i + 1]);
    vsc_strset_entry *e = vsc_strset_find(&dropping, pair);
    if (e && e->count > 0) {
      old_mark[i] = old_mark[i + 1] = true;
      e->count--;
      i++;
    }
  }
  vsc_strset_clear(&dropping);

  /* Keep the user's words as they were written, so the diff shows only
   * vschan's part; fall back to requoting if that would change meaning. */
  vsc_buf b = { 0 };
  size_t n_all = 0;
  char **all = vsc_calloc(n_old + n + 1, sizeof(*all));
  for (size_t i = 0; i < n_old; i++) {
    if (old_mark[i])
      continue;
    if (b.len)
      vsc_buf_addc(&b, ' ');
    vsc_buf_addn(&b, src + spans[i].start, spans[i].end - spans[i].start);
    all[n_all++] = old[i];
  }
  if (n && *quoted_new) {
    if (b.len)
      vsc_buf_addc(&b, ' ');
    vsc_buf_add(&b, quoted_new);
  }
  for (size_t i = 0; i < n; i++)
    all[n_all++] = argv[i];
  result = vsc_buf_steal(&b);

  vsc_diags tmp = { 0 };
  size_t n_check = 0;
  char **check = vsc_pve_args_split(result, &n_check, NULL, &tmp);
  size_t rlen = strlen(result);
  bool wrapped = rlen >= 2 && result[0] == '"' && result[rlen - 1] == '"';
  if (!check || !argv_equal(check, n_check, all, n_all) || wrapped) {
    free(result);
    result = vsc_pve_args_quote(all, n_all, diags);
  }
  vsc_pve_argv_free(check);
  vsc_diags_clear(&tmp);
  free(all);
  vsc_pve_argv_free(old);
  return result;
}

char **vsc_pve_args_user(const char *value, const char *prefix, size_t *n)
{
  vsc_diags tmp = { 0 };
  size_t n_all = 0, k = 0;
  char **all = vsc_pve_args_split(value ? value : "", &n_all, NULL, &tmp);
  vsc_diags_clear(&tmp);
  *n = 0;
  if (!all)
    return vsc_calloc(1, sizeof(char *));
  VSC_AUTOFREE(bool) mark = owned_marks(all, n_all, prefix && *prefix ? prefix : VSC_PVE_ID_PREFIX);
  for (size_t i = 0; i < n_all; i++) {
    if (mark[i])
      free(all[i]);
    else
      all[k++] = all[i];
  }
  all[k] = NULL;
  *n = k;
  return all;
}

bool vsc_pve_args_have_ours(const vsc_pve_conf *conf, bool pending, const char *prefix)
{
  VSC_AUTOFREE(char) args = vsc_pve_conf_get_for(conf, pending, "args");
  size_t n_words = 0, n_user = 0;
  vsc_diags quiet = { 0 };
  char **words = vsc_pve_args_split(args ? args : "", &n_words, NULL, &quiet);
  char **user = vsc_pve_args_user(args, prefix, &n_user);
  bool ours = !words || n_user != n_words;
  vsc_pve_argv_free(words);
  vsc_pve_argv_free(user);
  vsc_diags_clear(&quiet);
  return ours;
}
