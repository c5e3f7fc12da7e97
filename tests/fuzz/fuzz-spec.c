/* The spec reader (JSON): any bytes either parse or give an error; a
 * parsed spec writes back into a spec that parses to the same model, and
 * one the rules accept renders to XML that reads back to the same model. */
#include "fuzz.h"
#include "model/rules.h"
#include "spec/spec.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  vsc_diags diags = { 0 };
  vsc_devset set;
  vsc_devset_init(&set);

  if (vsc_spec_parse((const char *)data, size, "fuzz.json", &set, &diags) == 0) {
    FUZZ_CHECK(!vsc_diags_has_errors(&diags), "parse succeeded with errors recorded");
    char *text = fuzz_spec_text(&set);
    vsc_devset again;
    vsc_devset_init(&again);
    vsc_diags d2 = { 0 };
    int rc = vsc_spec_parse(text, strlen(text), "again.json", &again, &d2);
    FUZZ_CHECK(rc == 0, "the written spec does not parse: %s\n%s",
               d2.n ? d2.items[0].message : "?", text);
    char *text2 = fuzz_spec_text(&again);
    FUZZ_CHECK(strcmp(text, text2) == 0, "spec round trip differs\n%s\n%s", text, text2);
    free(text);
    free(text2);
    vsc_devset_clear(&again);
    vsc_diags_clear(&d2);
    fuzz_check_xml_round_trip(&set);
  } else {
    FUZZ_CHECK(vsc_diags_has_errors(&diags), "parse failed without an error");
  }
  vsc_devset_clear(&set);
  vsc_diags_clear(&diags);
  return 0;
}
