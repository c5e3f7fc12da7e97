/* The vschan spec (JSON, version 1): reading into the device model and
 * writing it back.  Format: vschan-spec(5), schemas/vschan-spec.schema.json. */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"

#include <jansson.h>

#define VSC_SPEC_VERSION 1
#define VSC_SPEC_MAX_SIZE (16 * 1024 * 1024)

/* Parse spec text.  filename is used in messages ("-" for stdin).  Devices
 * are appended to set.  Structural problems (syntax, unknown keys, wrong
 * types, bad enum values) are errors here; meaning is checked later by
 * vsc_rules_check().  Returns 0, or -1 with the errors in diags. */
int vsc_spec_parse(const char *text, size_t len, const char *filename,
                   vsc_devset *set, vsc_diags *diags);

/* Same, for an already parsed JSON document (templates). */
int vsc_spec_parse_json(json_t *root, const char *filename, vsc_devset *set, vsc_diags *diags);

/* Read and parse a spec file ("-" for stdin). */
int vsc_spec_load(const char *path, vsc_devset *set, vsc_diags *diags);

/* The mirror of vsc_spec_parse: a spec document for the set. */
json_t *vsc_spec_format(const vsc_devset *set);
json_t *vsc_spec_format_vhost(const vsc_vhost *dev);
json_t *vsc_spec_format_chardev(const vsc_chardev *dev);

/* The keys each object of the spec takes, by object name ("root",
 * "device", "source", "target", ...); NULL-terminated. */
typedef struct {
  const char *name;
  const char *const *keys;
} vsc_spec_object;
extern const vsc_spec_object vsc_spec_objects[];

/* The top-level array key of a kind: "channels", "consoles", ... */
const char *vsc_spec_kind_key(vsc_kind kind);
