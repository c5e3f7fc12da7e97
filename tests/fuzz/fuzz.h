/* Shared by the fuzz targets.  Each target defines LLVMFuzzerTestOneInput;
 * it is linked either with libFuzzer (-fsanitize=fuzzer, VSCHAN_FUZZ=ON)
 * or with driver.c, a plain main() that replays files, so the regression
 * inputs run under any compiler in the normal test suite. */
#pragma once

#include "model/chardev.h"
#include "util/diag.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code promises was broken: print and abort, so both
 * libFuzzer and the replay driver report the input as a crash. */
#define FUZZ_CHECK(cond, ...) \
  do { \
    if (!(cond)) \
      fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (0)
_Noreturn void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

/* The allocator and libxml2 set up once, as vschan's main() does. */
void fuzz_init(void);

/* A NUL-terminated copy of the input, cut at its first NUL. */
char *fuzz_cstring(const uint8_t *data, size_t size);

/* What 'vschan xml' promises for a set the rules accept: the XML it writes
 * reads back into the same model.  Checks set against the rules first and
 * does nothing when they object (vschan would print nothing). */
void fuzz_check_xml_round_trip(const vsc_devset *set);

/* What 'vschan qemu-args' writes reads back (qm import, qemu/read.c) into
 * devices that give the same arguments again.  Nothing when the rules or
 * the generator refuse set. */
void fuzz_check_argv_round_trip(const vsc_devset *set);

/* The spec document of set as text (sorted keys), to compare models. */
char *fuzz_spec_text(const vsc_devset *set);
