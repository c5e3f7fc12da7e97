/* Templates: specs with ${name} placeholders and documented defaults.
 *
 * A template file (templates/NAME.json) is
 *   { "description": "...",
 *     "parameters": { "name": { "default": "...", "description": "...",
 *                               "type": "string" | "integer" } , ... },
 *     "spec": { ...a spec with "${name}" inside string values... } }
 * Substitution works on the parsed JSON, inside string values only, so a
 * value can never change the structure.  A string that is exactly
 * "${name}" becomes an integer for integer parameters, and is removed from
 * its object when the value is empty (an optional field). */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"

#include <jansson.h>

typedef struct {
  char *key;
  char *value;
} vsc_template_setting;

/* The directory templates are read from: dir if given, else the installed
 * one.  Caller frees; NULL with an error if none. */
char *vsc_template_dir(const char *dir, vsc_diags *diags);

/* Names of the templates in dir, sorted; NULL-terminated, caller frees
 * with vsc_strv_free. */
char **vsc_template_list(const char *dir, vsc_diags *diags);
void vsc_strv_free(char **strv);

/* Load a template file as JSON (description, parameters, spec). */
json_t *vsc_template_load(const char *dir, const char *name, vsc_diags *diags);

/* Expand a template with settings into a spec document.  Unknown keys
 * and unresolved placeholders are errors. */
json_t *vsc_template_expand(json_t *tmpl, const char *name, const vsc_template_setting *settings,
                            size_t nsettings, vsc_diags *diags);

/* Load, expand and parse into set. */
int vsc_template_render(const char *dir, const char *name, const vsc_template_setting *settings,
                        size_t nsettings, vsc_devset *set, vsc_diags *diags);
