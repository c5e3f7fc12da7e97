/* Where vschan's data (templates, schemas) lives. */
#pragma once

/* The first existing directory of: $VSCHAN_DATADIR, the installed data
 * directory (relative to the executable, then the configured prefix), and
 * the source tree (for a binary run from its build tree).  Returned string
 * is static; NULL if none exists. */
const char *vsc_data_dir(void);

/* vsc_data_dir()/SUB, or NULL.  Caller frees. */
char *vsc_data_path(const char *sub);

const char *vsc_version(void);
