/* Small helpers around jansson shared by the JSON readers. */
#pragma once

#include <jansson.h>

/* "an object", "a string", ... for messages about a value of this type. */
const char *vsc_json_type_name(json_type type);
