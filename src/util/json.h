/* Small helpers around jansson shared by the JSON readers. */
#pragma once

#include "diag.h"

#include <jansson.h>

/* "an object", "a string", ... for messages about a value of this type. */
const char *vsc_json_type_name(json_type type);

/* What went wrong in a json_load*() call, in the terms of the document
 * (line and column are in err). */
const char *vsc_json_load_message(const json_error_t *err);

/* A diagnostic as JSON: {severity, file, line, column, pointer, rule,
 * message, hint}, null for what it lacks; a file name that is not UTF-8
 * is escaped (\xHH).  What every --json output gives for an error. */
json_t *vsc_json_diag(const vsc_diag *d);
/* A string, or null; escaped as vsc_json_diag does. */
json_t *vsc_json_text_or_null(const char *s);
