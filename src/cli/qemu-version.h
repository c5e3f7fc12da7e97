/* --qemu-version, shared by qemu-args and qm. */
#pragma once

#include "model/chardev.h"

/* Parse the option's argument into *version; on a bad one print a usage
 * error for cmd and return its exit status, else 0. */
int vsc_cli_qemu_version_option(const char *cmd, const char *arg, unsigned *version);

/* Without --qemu-version: the installed QEMU's version, asked only when
 * the devices have something whose syntax depends on it (reconnect). */
unsigned vsc_cli_qemu_version_default(const vsc_devset *set);
