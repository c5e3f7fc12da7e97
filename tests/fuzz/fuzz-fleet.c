/* The fleet file reader (apply --fleet): any bytes either load or give an
 * error, never both, never neither; a loaded fleet has an entry per host
 * that selects something and has a spec the rules accept.  The input is
 * written to a file first (the reader reads files: spec paths are
 * relative to it); the seeds name no spec file that exists, so specs come
 * inline. */
#include "fuzz.h"
#include "fleet/fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_init();
  snprintf(path, sizeof(path), "/tmp/vschan-fuzz-fleet.%ld.json", (long)getpid());
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vsc_diags diags = { 0 };
  vsc_fleet fleet = { 0 };
  FILE *f = fopen(path, "w");

  if (!f)
    return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  if (vsc_fleet_load(path, &fleet, &diags) == 0) {
    FUZZ_CHECK(!vsc_diags_has_errors(&diags), "load succeeded with errors recorded");
    FUZZ_CHECK(fleet.nentries > 0, "a loaded fleet has no host");
    for (size_t i = 0; i < fleet.nentries; i++) {
      const vsc_fleet_entry *e = &fleet.entries[i];
      FUZZ_CHECK(e->set != NULL, "host %zu has no spec", i);
      FUZZ_CHECK(e->npatterns + e->ntagged > 0, "host %zu selects nothing", i);
    }
  } else {
    FUZZ_CHECK(vsc_diags_has_errors(&diags), "load failed without an error");
  }
  unlink(path);
  vsc_fleet_clear(&fleet);
  vsc_diags_clear(&diags);
  return 0;
}
