/* Shared between the files of src/validate; not an interface. */
#pragma once

#include "validate.h"

#include <libxml/tree.h>

/* Check doc's root (a <domain>, <devices> or one device element) against
 * the grammar.  Each schema failure is reported once, at the deepest
 * element at fault, with what the grammar expects there.  Device elements
 * (children of <devices>, or the root) that fail on their own are
 * appended to *bad so the rules can leave them out; free the array.
 * Returns the number of errors reported. */
size_t vsc_schema_check(const vsc_schema *schema, xmlDocPtr doc, const char *file,
                        vsc_diags *diags, xmlNodePtr **bad, size_t *nbad);
