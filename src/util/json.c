#include "json.h"

const char *vsc_json_type_name(json_type type)
{
  switch (type) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "a value";
}

const char *vsc_json_load_message(const json_error_t *err)
{
  /* jansson's own words name its flags and internals for these. */
  switch (json_error_code(err)) {
  case json_error_null_character:
  case json_error_null_byte_in_key:
    return "a string holds \\u0000 (a NUL character), which no device name or path can hold";
  case json_error_stack_overflow:
    return "the document nests arrays and objects too deeply (more than 2048 levels)";
  case json_error_numeric_overflow:
    return "a number is too large";
  default:
    return err->text;
  }
}
