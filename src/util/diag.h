/* Diagnostics: every library function that can fail takes a vsc_diags *
 * and records what went wrong there, once, with where (file, line,
 * JSON pointer or element), a rule id for checks, and what to do.  The
 * command decides how to print them (text, JSON, JUnit). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { VSC_SEV_ERROR, VSC_SEV_WARNING, VSC_SEV_NOTE } vsc_severity;

/* What kind of failure a diagnostic is, said where it arises; the exit
 * status follows from it (vsc_diags_exit_code, vschan(1)). */
typedef enum {
  VSC_CLASS_INVALID,  /* the input is invalid, or vschan refuses what is asked
                       * as things are: exit 1 */
  VSC_CLASS_USAGE,    /* the command line asks for something impossible: exit 2 */
  VSC_CLASS_IO,       /* a file or stream of vschan's own side could not be read
                       * or written: exit 2 */
  VSC_CLASS_PEER,     /* libvirt, QEMU or the guest agent failed, refused or did
                       * not answer: exit 3 */
  VSC_CLASS_OOM,      /* out of memory: exit 4 */
} vsc_diag_class;

/* Where something is.  All fields optional. */
typedef struct {
  const char *file;
  int line;            /* 1-based; 0 unknown */
  int column;          /* 1-based; 0 unknown */
  const char *pointer; /* JSON pointer (/channels/2/target) or element path */
} vsc_loc;

typedef struct {
  vsc_severity severity;
  vsc_diag_class cls;
  char *file;
  int line;
  int column;
  char *pointer;
  char *rule;
  char *message;
  char *hint;
} vsc_diag;

typedef struct {
  vsc_diag *items;
  size_t n;
} vsc_diags;

/* A diagnostic of class VSC_CLASS_INVALID. */
void vsc_diag_add(vsc_diags *d, vsc_severity sev, const vsc_loc *loc,
                  const char *rule, const char *hint, const char *fmt, ...)
  __attribute__((format(printf, 6, 7)));
void vsc_diag_add_class(vsc_diags *d, vsc_diag_class cls, vsc_severity sev, const vsc_loc *loc,
                        const char *rule, const char *hint, const char *fmt, ...)
  __attribute__((format(printf, 7, 8)));

/* Shorthands for the common case: an error with a hint.  vsc_error is
 * invalid input or a refusal of vschan's own; the others say whose the
 * failure is. */
#define vsc_error(d, loc, rule, hint, ...) \
  vsc_diag_add((d), VSC_SEV_ERROR, (loc), (rule), (hint), __VA_ARGS__)
#define vsc_warning(d, loc, rule, hint, ...) \
  vsc_diag_add((d), VSC_SEV_WARNING, (loc), (rule), (hint), __VA_ARGS__)
#define vsc_error_usage(d, loc, rule, hint, ...) \
  vsc_diag_add_class((d), VSC_CLASS_USAGE, VSC_SEV_ERROR, (loc), (rule), (hint), __VA_ARGS__)
#define vsc_error_io(d, loc, rule, hint, ...) \
  vsc_diag_add_class((d), VSC_CLASS_IO, VSC_SEV_ERROR, (loc), (rule), (hint), __VA_ARGS__)
#define vsc_error_peer(d, loc, rule, hint, ...) \
  vsc_diag_add_class((d), VSC_CLASS_PEER, VSC_SEV_ERROR, (loc), (rule), (hint), __VA_ARGS__)
#define vsc_warning_peer(d, loc, rule, hint, ...) \
  vsc_diag_add_class((d), VSC_CLASS_PEER, VSC_SEV_WARNING, (loc), (rule), (hint), __VA_ARGS__)

/* The exit status of a class (exitcode.h), and of a set of diagnostics:
 * 0 without errors, else that of the gravest class among the errors, in
 * the order: out of memory, usage, I/O, libvirt/QEMU/agent, invalid. */
int vsc_exit_code(vsc_diag_class cls);
int vsc_diags_exit_code(const vsc_diags *d);
/* Of two exit statuses, the one vsc_diags_exit_code would choose. */
int vsc_exit_code_graver(int a, int b);

size_t vsc_diags_count(const vsc_diags *d, vsc_severity sev);
bool vsc_diags_has_errors(const vsc_diags *d);
/* Turn every warning into an error (--werror). */
void vsc_diags_promote(vsc_diags *d);
/* Move the items of src to the end of dst. */
void vsc_diags_move(vsc_diags *dst, vsc_diags *src);
void vsc_diags_clear(vsc_diags *d);

/* gcc style: "file:line:col: error: at POINTER: message [rule]" and a
 * "  hint: ..." line.  Colour when use_color. */
void vsc_diags_print(const vsc_diags *d, FILE *out, bool use_color);

const char *vsc_severity_to_string(vsc_severity s);
