/* A transaction on a domain: each change it makes is recorded with what
 * takes it back, so a failure part-way leaves the domain as it was.
 * Internal to src/virt. */
#pragma once

#include "virt.h"

typedef struct vsc_virt_txn vsc_virt_txn;

vsc_virt_txn *vsc_virt_txn_new(vsc_virt_domain *d, const vsc_virt_state *st, double timeout,
                               const vsc_virt_progress *progress, size_t total);
void vsc_virt_txn_free(vsc_virt_txn *txn);

/* Add a virtio-serial controller to the persistent definition. */
int vsc_virt_txn_add_controller(vsc_virt_txn *txn, const vsc_controller *spec, vsc_diags *diags);
/* Attach dev (live first, then config).  A virtio channel without an
 * address gets an explicit virtio-serial port free in both definitions. */
int vsc_virt_txn_attach(vsc_virt_txn *txn, const vsc_chardev *dev, bool live, bool config,
                        vsc_virt_step step, vsc_diags *diags);
/* Attach a vhost-user device (live first, then config); it has a user
 * alias, by which a rollback detaches it. */
int vsc_virt_txn_attach_vhost(vsc_virt_txn *txn, const vsc_vhost *dev, bool live, bool config,
                              vsc_virt_step step, vsc_diags *diags);
/* Detach a device the domain has (live by alias, waiting; then config). */
int vsc_virt_txn_detach(vsc_virt_txn *txn, const vsc_virt_dev *have, bool live, bool config,
                        vsc_virt_step step, vsc_diags *diags);
/* The same for a vhost-user device the domain has. */
int vsc_virt_txn_detach_vhost(vsc_virt_txn *txn, const vsc_virt_vhost *have, bool live, bool config,
                              vsc_virt_step step, vsc_diags *diags);
/* Take back everything recorded, newest first. */
void vsc_virt_txn_rollback(vsc_virt_txn *txn, vsc_diags *diags);
