/* Exit codes shared by every command (documented in vschan(1)). */
#pragma once

enum {
  VSC_EXIT_OK = 0,
  VSC_EXIT_FAILURE = 1,   /* the input is invalid or the operation failed */
  VSC_EXIT_USAGE = 2,     /* bad command line, or a file could not be read/written */
  VSC_EXIT_RUNTIME = 3,   /* libvirt, QEMU or the guest agent failed or timed out */
  VSC_EXIT_OOM = 4,       /* out of memory */
};
