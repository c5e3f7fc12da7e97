#include "mem.h"
#include "exitcode.h"

#include <jansson.h>
#include <libxml/xmlmemory.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define VSC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VSC_ASAN 1
#endif
#endif
#ifdef VSC_ASAN
#include <sanitizer/lsan_interface.h>
#endif

static atomic_long fail_at;     /* VSCHAN_FAIL_ALLOC: fail this allocation (1-based) */
static atomic_long alloc_count;

static _Noreturn void oom(void)
{
  /* Leak checks at the abort (valgrind at _exit, LSan below) must see what
   * the callers still hold: spill the callee-saved registers to this frame,
   * which a noreturn function would otherwise clobber unsaved. */
  __builtin_unwind_init();
  static const char msg[] = "vschan: error: out of memory\n";
  ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)r;
#ifdef VSC_ASAN
  /* _exit skips LSan's check at exit; tests/hardening/faults.py relies on
   * it to prove nothing was lost before the failed allocation. */
  __lsan_do_leak_check();
#endif
  _exit(VSC_EXIT_OOM);
}

static int injected_failure(void)
{
  long n = atomic_load(&fail_at);
  return n > 0 && atomic_fetch_add(&alloc_count, 1) + 1 == n;
}

void *vsc_malloc(size_t size)
{
  void *p = injected_failure() ? NULL : malloc(size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *vsc_calloc(size_t n, size_t size)
{
  void *p = injected_failure() ? NULL : calloc(n ? n : 1, size ? size : 1);
  if (!p)
    oom();
  return p;
}

void *vsc_realloc(void *old, size_t size)
{
  void *p = injected_failure() ? NULL : realloc(old, size ? size : 1);
  if (!p)
    oom();
  return p;
}

char *vsc_strdup(const char *s)
{
  return s ? vsc_strndup(s, strlen(s)) : NULL;
}

char *vsc_strndup(const char *s, size_t n)
{
  size_t len = strnlen(s, n);
  char *p = vsc_malloc(len + 1);
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

char *vsc_asprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (len < 0)
    oom();
  char *p = vsc_malloc((size_t)len + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)len + 1, fmt, ap);
  va_end(ap);
  return p;
}

void *vsc_append(void *array_ptr, size_t *n, size_t elem)
{
  char **arr = array_ptr;
  /* Grow by half again when full, so that n appends cost n: the block's
   * usable size is its capacity, however the array was allocated. */
  size_t want = (*n + 1) * elem;
  if (!*arr || malloc_usable_size(*arr) < want)
    *arr = vsc_realloc(*arr, want + (*n / 2) * elem);
  char *slot = *arr + *n * elem;
  memset(slot, 0, elem);
  (*n)++;
  return slot;
}

static void *xml_strdup(const char *s) { return vsc_strdup(s); }

void vsc_mem_init(void)
{
  const char *f = getenv("VSCHAN_FAIL_ALLOC");
  if (f && *f)
    atomic_store(&fail_at, strtol(f, NULL, 10));
  json_set_alloc_funcs(vsc_malloc, free);
  xmlMemSetup(free, vsc_malloc, vsc_realloc, (xmlStrdupFunc)xml_strdup);
}
