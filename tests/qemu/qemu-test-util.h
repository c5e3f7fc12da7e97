/* Helpers shared by the qemu tests: a reference parser for QEMU option
 * strings, shell and shellwords round trips, and spec → argv. */
#pragma once

#include "model/chardev.h"
#include "qemu/qemu.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char *key;
  char *value;
} t_opt;

typedef struct {
  t_opt *items;
  size_t n;
} t_opts;

/* Split an option string the way QEMU's QemuOpts does (util/qemu-option.c,
 * get_opt_name_value/get_opt_value): elements end at a single ',', ",,"
 * is a literal ',', "key=value" or, for the first element only, a bare
 * value of the implied key (implied may be NULL); any other bare word is
 * a flag ("on", or "off" with a "no" prefix). */
void t_qemu_opts_parse(const char *s, const char *implied, t_opts *out);
void t_opts_clear(t_opts *o);
const char *t_opts_get(const t_opts *o, const char *key);
/* "backend,id,path,server,wait": the keys in order. Caller frees. */
char *t_opts_keys(const t_opts *o);

/* Split line with /bin/sh (eval "set -- LINE") or with Perl's
 * Text::ParseWords::shellwords.  Returns the words (NULL-terminated,
 * free with t_strv_free) and their count, or NULL if the tool failed. */
char **t_split_sh(const char *line, size_t *n);
char **t_split_shellwords(const char *line, size_t *n);
void t_strv_free(char **v);
bool t_have_program(const char *name);

/* Parse spec JSON text and build its arguments; NULL on errors, which
 * are left in diags.  opts may be NULL. */
char **t_spec_argv(const char *json, const vsc_qemu_opts *opts, size_t *argc, vsc_diags *diags);

/* The value following each "-chardev" in argv, in order.  NULL-terminated. */
char **t_chardev_values(char *const *argv, size_t argc, size_t *n);
