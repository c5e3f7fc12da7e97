/* Small helpers around jansson shared by the JSON readers. */
#pragma once

#include <jansson.h>

/* "an object", "a string", ... for messages about a value of this type. */
const char *vsc_json_type_name(json_type type);

/* What went wrong in a json_load*() call, in the terms of the document
 * (line and column are in err). */
const char *vsc_json_load_message(const json_error_t *err);
