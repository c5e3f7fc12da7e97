#include "diag.h"
#include "exitcode.h"
#include "mem.h"
#include "text.h"

#include <stdarg.h>
#include <string.h>

/* Messages quote input (libxml2 and jansson quote bytes of the document
 * as they are): printed, they must not reach a terminal or a report as
 * raw control characters or invalid UTF-8. */
static void escape_unprintable(char **text)
{
  char *escaped = *text ? vsc_text_printable(*text) : NULL;
  if (escaped) {
    free(*text);
    *text = escaped;
  }
}

static void __attribute__((format(printf, 7, 0)))
diag_add(vsc_diags *d, vsc_diag_class cls, vsc_severity sev, const vsc_loc *loc,
                     const char *rule, const char *hint, const char *fmt, va_list ap)
{
  vsc_diag *item = vsc_append(&d->items, &d->n, sizeof(*d->items));
  va_list again;

  item->severity = sev;
  item->cls = cls;
  if (loc) {
    item->file = vsc_strdup(loc->file);
    item->line = loc->line;
    item->column = loc->column;
    item->pointer = vsc_strdup(loc->pointer);
    escape_unprintable(&item->pointer);  /* it names keys of the input */
  }
  item->rule = vsc_strdup(rule);
  item->hint = vsc_strdup(hint);
  escape_unprintable(&item->hint);

  va_copy(again, ap);
  int len = vsnprintf(NULL, 0, fmt, ap);
  item->message = vsc_malloc((size_t)(len < 0 ? 0 : len) + 1);
  item->message[0] = '\0';
  vsnprintf(item->message, (size_t)(len < 0 ? 0 : len) + 1, fmt, again);
  va_end(again);
  escape_unprintable(&item->message);
}

void vsc_diag_add(vsc_diags *d, vsc_severity sev, const vsc_loc *loc,
                  const char *rule, const char *hint, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  diag_add(d, VSC_CLASS_INVALID, sev, loc, rule, hint, fmt, ap);
  va_end(ap);
}

void vsc_diag_add_class(vsc_diags *d, vsc_diag_class cls, vsc_severity sev, const vsc_loc *loc,
                        const char *rule, const char *hint, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  diag_add(d, cls, sev, loc, rule, hint, fmt, ap);
  va_end(ap);
}

int vsc_exit_code(vsc_diag_class cls)
{
  switch (cls) {
  case VSC_CLASS_INVALID:
    return VSC_EXIT_FAILURE;
  case VSC_CLASS_USAGE:
  case VSC_CLASS_IO:
    return VSC_EXIT_USAGE;
  case VSC_CLASS_PEER:
    return VSC_EXIT_RUNTIME;
  case VSC_CLASS_OOM:
    return VSC_EXIT_OOM;
  }
  return VSC_EXIT_FAILURE;
}

int vsc_diags_exit_code(const vsc_diags *d)
{
  /* One status for several errors: the one the user can act on least. */
  static const vsc_diag_class gravest_first[] = { VSC_CLASS_OOM, VSC_CLASS_USAGE, VSC_CLASS_IO,
                                                  VSC_CLASS_PEER, VSC_CLASS_INVALID };
  size_t rank = VSC_N_ELEMENTS(gravest_first);
  for (size_t i = 0; i < d->n; i++) {
    if (d->items[i].severity != VSC_SEV_ERROR)
      continue;
    for (size_t r = 0; r < rank; r++)
      if (gravest_first[r] == d->items[i].cls)
        rank = r;
  }
  return rank == VSC_N_ELEMENTS(gravest_first) ? VSC_EXIT_OK : vsc_exit_code(gravest_first[rank]);
}

int vsc_exit_code_graver(int a, int b)
{
  static const int gravest_first[] = { VSC_EXIT_OOM, VSC_EXIT_USAGE, VSC_EXIT_RUNTIME,
                                       VSC_EXIT_FAILURE, VSC_EXIT_OK };
  for (size_t r = 0; r < VSC_N_ELEMENTS(gravest_first); r++)
    if (a == gravest_first[r] || b == gravest_first[r])
      return gravest_first[r];
  return a;
}

size_t vsc_diags_count(const vsc_diags *d, vsc_severity sev)
{
  size_t c = 0;
  for (size_t i = 0; i < d->n; i++)
    c += d->items[i].severity == sev;
  return c;
}

bool vsc_diags_has_errors(const vsc_diags *d)
{
  return vsc_diags_count(d, VSC_SEV_ERROR) > 0;
}

void vsc_diags_promote(vsc_diags *d)
{
  for (size_t i = 0; i < d->n; i++)
    if (d->items[i].severity == VSC_SEV_WARNING)
      d->items[i].severity = VSC_SEV_ERROR;
}

void vsc_diags_move(vsc_diags *dst, vsc_diags *src)
{
  for (size_t i = 0; i < src->n; i++)
    *(vsc_diag *)vsc_append(&dst->items, &dst->n, sizeof(*dst->items)) = src->items[i];
  free(src->items);
  src->items = NULL;
  src->n = 0;
}

void vsc_diags_clear(vsc_diags *d)
{
  for (size_t i = 0; i < d->n; i++) {
    vsc_diag *item = &d->items[i];
    free(item->file);
    free(item->pointer);
    free(item->rule);
    free(item->message);
    free(item->hint);
  }
  free(d->items);
  d->items = NULL;
  d->n = 0;
}

const char *vsc_severity_to_string(vsc_severity s)
{
  switch (s) {
  case VSC_SEV_ERROR:
    return "error";
  case VSC_SEV_WARNING:
    return "warning";
  case VSC_SEV_NOTE:
    return "note";
  }
  return "error";
}

static void print_prefix(const vsc_diag *item, FILE *out)
{
  if (item->file) {
    fputs(item->file, out);
    if (item->line > 0) {
      fprintf(out, ":%d", item->line);
      if (item->column > 0)
        fprintf(out, ":%d", item->column);
    }
    fputs(": ", out);
  } else {
    fputs("vschan: ", out);
  }
}

void vsc_diags_print(const vsc_diags *d, FILE *out, bool use_color)
{
  for (size_t i = 0; i < d->n; i++) {
    const vsc_diag *item = &d->items[i];
    const char *color = item->severity == VSC_SEV_ERROR ? "\033[1;31m"
                        : item->severity == VSC_SEV_WARNING ? "\033[1;35m" : "\033[1;36m";

    print_prefix(item, out);
    fprintf(out, "%s%s:%s ", use_color ? color : "", vsc_severity_to_string(item->severity),
            use_color ? "\033[0m" : "");
    if (item->pointer && *item->pointer)
      fprintf(out, "at %s: ", item->pointer);
    fputs(item->message, out);
    if (item->rule)
      fprintf(out, " [%s]", item->rule);
    fputc('\n', out);
    if (item->hint)
      fprintf(out, "  hint: %s\n", item->hint);
  }
}
