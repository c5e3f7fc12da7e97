#include "json.h"

#include "mem.h"
#include "text.h"

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

json_t *vsc_json_text_or_null(const char *s)
{
  if (!s)
    return json_null();
  VSC_AUTOFREE(char) escaped = vsc_text_printable(s);
  return json_string(escaped ? escaped : s);
}

json_t *vsc_json_diag(const vsc_diag *d)
{
  return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o}",
                   "severity", vsc_severity_to_string(d->severity),
                   "file", vsc_json_text_or_null(d->file),
                   "line", d->line > 0 ? json_integer(d->line) : json_null(),
                   "column", d->column > 0 ? json_integer(d->column) : json_null(),
                   "pointer", vsc_json_text_or_null(d->pointer && *d->pointer ? d->pointer : NULL),
                   "rule", vsc_json_text_or_null(d->rule),
                   "message", d->message ? d->message : "",
                   "hint", vsc_json_text_or_null(d->hint));
}
