/* virt-install / virt-xml's compact option syntax for character devices:
 *
 *   --channel unix,path=/run/app.sock,name=org.example.app.0
 *   --serial tcp,host=:2222,mode=bind,protocol=telnet
 *
 * The first bare token is the backend type; then key=value pairs, with a
 * literal comma written ",,".  The result is a device of the model, checked
 * by the same rules as a spec.  virt-install's defaults apply: a channel
 * without a target type is virtio, a unix socket without a mode binds,
 * spicevmc and qemu-vdagent channels are named com.redhat.spice.0, and an
 * empty host (host=:PORT) is 127.0.0.1. */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"

/* Parse text as a device of kind and add it to set.  option names the
 * command-line option for messages ("--channel"). */
int vsc_option_parse(vsc_kind kind, const char *text, const char *option,
                     vsc_devset *set, vsc_diags *diags);
