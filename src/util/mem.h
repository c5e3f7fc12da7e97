/* Memory helpers.
 *
 * Policy (the one libvirt and GLib follow): an allocation failure is not
 * recoverable in a command-line tool, so every allocation goes through
 * these wrappers, which print "out of memory" and exit with
 * VSC_EXIT_OOM instead of returning NULL.  jansson and libxml2 are pointed
 * at the same allocator, so an exhausted heap ends every run the same way:
 * a clear message, no crash.  Tests fail the n-th allocation through
 * VSCHAN_FAIL_ALLOC=n to prove it.
 */
#pragma once

#include <stddef.h>
#include <stdlib.h>

void *vsc_malloc(size_t size);
void *vsc_calloc(size_t n, size_t size);
void *vsc_realloc(void *p, size_t size);
char *vsc_strdup(const char *s);
char *vsc_strndup(const char *s, size_t n);
char *vsc_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *array (of *n elements of size elem) by one zeroed element and
 * return a pointer to it. */
void *vsc_append(void *array_ptr, size_t *n, size_t elem);

/* Install the allocator in jansson and libxml2; honours VSCHAN_FAIL_ALLOC. */
void vsc_mem_init(void);

/* The macros below take a type name, which cannot be put in parentheses;
 * hence the NOLINTs. */
static inline void vsc_freep(void *p) { free(*(void **)p); }
#define VSC_AUTOFREE(type) __attribute__((cleanup(vsc_freep))) type * // NOLINT(bugprone-macro-parentheses)

/* Hand ownership on: return the pointer and clear the variable. */
#define vsc_steal(pp) ({ __typeof__(*(pp)) _v = *(pp); *(pp) = NULL; _v; })

/* Scope-based cleanup for a type with a free function:
 *   VSC_DEFINE_AUTOPTR(vsc_chardev, vsc_chardev_free)
 *   VSC_AUTOPTR(vsc_chardev) dev = ...; */
#define VSC_DEFINE_AUTOPTR(type, fn) \
  static inline void vsc_autoptr_##type(type **p) { if (*p) fn(*p); } // NOLINT(bugprone-macro-parentheses)
#define VSC_AUTOPTR(type) __attribute__((cleanup(vsc_autoptr_##type))) type * // NOLINT(bugprone-macro-parentheses)

#define VSC_N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
