/* SHA-1, for Proxmox VE's config digest (qm config prints it; qm set
 * --digest compares it).  Not for anything that needs a secure hash. */
#pragma once

#include <stddef.h>

#define VSC_SHA1_HEX_LEN 40

/* The SHA-1 of data[0..len) as 40 lower-case hex digits and a NUL. */
void vsc_sha1_hex(const void *data, size_t len, char hex[VSC_SHA1_HEX_LEN + 1]);
