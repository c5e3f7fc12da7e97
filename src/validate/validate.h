/* vschan validate: domain XML, device fragments and spec files checked in
 * two layers, libvirt's RNG schema and the rules (model/rules.h).
 *
 * The schema is compiled once per process (vsc_schema_load) and shared
 * read-only by every thread; each validation makes its own libxml2
 * validation context.  Results are diagnostics with the element's own
 * line and a rule id: "schema" for the grammar, the rule's id for the
 * rules, "xml-syntax"/"xml-doctype"/"input-kind"/"io" for input that is
 * not a document vschan can check. */
#pragma once

#include "model/rules.h"
#include "util/diag.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* libvirt's installed schemas. */
#define VSC_LIBVIRT_SCHEMA_DIR "/usr/share/libvirt/schemas"
/* The bundled character-device schema, below the data directory. */
#define VSC_BUNDLED_SCHEMA "schemas/libvirt-chardev.rng"

typedef enum { VSC_SCHEMA_LIBVIRT, VSC_SCHEMA_BUNDLED } vsc_schema_origin;

typedef struct vsc_schema vsc_schema;

/* Compile the grammars: dir's domain.rng and domaincommon.rng when dir is
 * given (an error if they are missing); otherwise libvirt's installed
 * schemas, and the bundled schema when they are not installed (or when
 * bundled is true).  NULL with the error in diags. */
vsc_schema *vsc_schema_load(const char *dir, bool bundled, vsc_diags *diags);
void vsc_schema_free(vsc_schema *schema);
vsc_schema_origin vsc_schema_get_origin(const vsc_schema *schema);
/* The file the domain grammar came from. */
const char *vsc_schema_get_path(const vsc_schema *schema);

/* What a file turned out to be. */
typedef enum {
  VSC_INPUT_UNKNOWN,   /* unreadable, not well-formed, or none of these */
  VSC_INPUT_DOMAIN,
  VSC_INPUT_DEVICES,
  VSC_INPUT_CHANNEL,
  VSC_INPUT_CONSOLE,
  VSC_INPUT_SERIAL,
  VSC_INPUT_PARALLEL,
  VSC_INPUT_SPEC,
  VSC_INPUT_LAST
} vsc_input_kind;
const char *vsc_input_kind_to_string(vsc_input_kind kind);

typedef struct {
  const vsc_schema *schema;  /* NULL: rules only */
  bool werror;               /* warnings count as errors */
  int host_spice_tls;        /* the host's qemu.conf spice_tls: 1, 0, -1 unknown */
  const vsc_host_caps *host; /* the host's capabilities (--host), or NULL */
} vsc_validate_opts;

/* Read `virsh capabilities` output (host.c).  -1 with an error in diags. */
int vsc_host_caps_load(const char *path, vsc_host_caps *caps, vsc_diags *diags);

/* libvirt's default qemu.conf, read when readable. */
#define VSC_QEMU_CONF "/etc/libvirt/qemu.conf"

/* spice_tls of a qemu.conf (libvirt's default 0 when it is not set), or
 * -1 with an "io" error in diags when path cannot be read. */
int vsc_qemu_conf_spice_tls(const char *path, vsc_diags *diags);

typedef struct {
  char *file;                /* as given; "-" becomes "<stdin>" */
  vsc_input_kind kind;
  bool io_error;             /* the file could not be read */
  vsc_diags diags;
} vsc_validate_result;

/* Validate one document held in memory. */
void vsc_validate_text(const char *text, size_t len, const char *file,
                       const vsc_validate_opts *opts, vsc_validate_result *res);
/* Read path ("-": standard input) and validate it. */
void vsc_validate_file(const char *path, const vsc_validate_opts *opts, vsc_validate_result *res);
bool vsc_validate_result_valid(const vsc_validate_result *res);
void vsc_validate_result_clear(vsc_validate_result *res);

/* Validate paths[0..n) on jobs threads (0: one per core) and hand each
 * result to done() in the order of paths, on the calling thread; done
 * owns nothing (the result is cleared after it returns).  At most a few
 * results per thread are held at any time, so memory does not grow with
 * n. */
typedef void (*vsc_validate_done_fn)(size_t index, const vsc_validate_result *res, void *opaque);
void vsc_validate_run(char *const *paths, size_t n, unsigned int jobs,
                      const vsc_validate_opts *opts, vsc_validate_done_fn done, void *opaque);

/* Output formats (report.c).  JSON shape: vschan-validate section of
 * vschan(1); keep it stable. */
json_t *vsc_validate_result_to_json(const vsc_validate_result *res);
/* One JUnit <testcase> element for the result, as text.  Caller frees. */
char *vsc_validate_result_to_junit(const vsc_validate_result *res);
/* A SARIF 2.1.0 log for code-scanning uploads: one run of vschan whose
 * rules are those validate reports (--list-rules); add each file's
 * diagnostics as results. */
json_t *vsc_validate_sarif_new(void);
void vsc_validate_sarif_add(json_t *sarif, const vsc_validate_result *res);
