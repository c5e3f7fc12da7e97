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
#include "model/vhost.h"
#include "util/diag.h"

/* Parse text as a device of kind and add it to set.  option names the
 * command-line option for messages ("--channel"). */
int vsc_option_parse(vsc_kind kind, const char *text, const char *option,
                     vsc_devset *set, vsc_diags *diags);

/* A vhost-user device in the same syntax, as virt-install's --filesystem,
 * --network vhostuser,... and --disk type=vhostuser,... write them: keys
 * are the spec's paths with '.' (driver.queue, source.reconnect.enabled)
 * plus virt-install's short names (mac=, model=, path=, bus=, target=,
 * source=, socket=, alias.name=, address.*=). */
int vsc_option_parse_vhost(vsc_vhost_kind kind, const char *text, const char *option, vsc_devset *set,
                           vsc_diags *diags);

/* --memorybacking source.type=memfd,access.mode=shared[,hugepages=on]. */
int vsc_option_parse_memory_backing(const char *text, const char *option, vsc_devset *set, vsc_diags *diags);
