/* Shared scaffolding for the CUnit programs: run the suites, exit non-zero
 * on any failure, and iterate over the golden cases. */
#pragma once

#include <CUnit/Basic.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES_DIR VSCHAN_SOURCE_DIR "/tests/cases"

/* name is the case's AREA/NAME */
typedef void (*unit_case_fn)(const char *dir, const char *name);

/* Call fn for every case directory CASES_DIR/AREA/NAME that has file.
 * Returns the count. */
static inline int unit_each_case(const char *file, unit_case_fn fn)
{
  DIR *areas = opendir(CASES_DIR);
  struct dirent *a, *e;
  int n = 0;
  CU_ASSERT_PTR_NOT_NULL_FATAL(areas);
  while ((a = readdir(areas))) {
    char path[4096];
    if (a->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "%s/%s", CASES_DIR, a->d_name);
    DIR *d = opendir(path);
    if (!d)
      continue; /* a file: the driver, CMakeLists.txt */
    while ((e = readdir(d))) {
      char name[1024];
      struct stat st;
      if (e->d_name[0] == '.')
        continue;
      snprintf(name, sizeof(name), "%s/%s", a->d_name, e->d_name);
      snprintf(path, sizeof(path), "%s/%s/%s", CASES_DIR, name, file);
      if (stat(path, &st) != 0)
        continue;
      snprintf(path, sizeof(path), "%s/%s", CASES_DIR, name);
      fn(path, name);
      n++;
    }
    closedir(d);
  }
  closedir(areas);
  return n;
}

static inline int unit_run(const char *suite, const CU_TestInfo *tests)
{
  CU_SuiteInfo suites[] = { { suite, NULL, NULL, NULL, NULL, (CU_TestInfo *)tests }, CU_SUITE_INFO_NULL };
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  CU_register_suites(suites);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned int failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
