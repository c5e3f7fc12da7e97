/* src/util pieces that stand on their own: SHA-1 (Proxmox's config digest)
 * against FIPS 180's vectors and the system's sha1sum; durations; the
 * string set. */
#include "unit.h"
#include "util/clock.h"
#include "util/mem.h"
#include "util/sha1.h"
#include "util/strset.h"

static void expect_sha1(const void *data, size_t len, const char *want)
{
  char hex[VSC_SHA1_HEX_LEN + 1];
  vsc_sha1_hex(data, len, hex);
  if (strcmp(hex, want) != 0)
    fprintf(stderr, "\nsha1 of %zu bytes: %s, expected %s\n", len, hex, want);
  CU_ASSERT_STRING_EQUAL(hex, want);
}

static void test_sha1_vectors(void)
{
  expect_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  expect_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
  expect_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  char *million = vsc_malloc(1000000);
  memset(million, 'a', 1000000);
  expect_sha1(million, 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  free(million);
}

/* Every length around the block and padding edges, compared with sha1sum. */
static void test_sha1_vs_sha1sum(void)
{
  if (system("command -v sha1sum >/dev/null 2>&1") != 0) {
    fprintf(stderr, "\nsha1sum is missing (coreutils)\n");
    CU_FAIL("sha1sum missing");
    return;
  }
  char path[] = "/tmp/vschan-sha1.XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  unsigned char data[200];
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (unsigned char)(i * 37 + 11);
  int compared = 0;
  for (size_t len = 0; len <= sizeof(data); len++) {
    FILE *f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_FATAL(fwrite(data, 1, len, f) == len);
    fclose(f);
    VSC_AUTOFREE(char) cmd = vsc_asprintf("sha1sum '%s'", path);
    FILE *p = popen(cmd, "r");
    char want[64] = "";
    CU_ASSERT_FATAL(p && fscanf(p, "%40s", want) == 1);
    pclose(p);
    expect_sha1(data, len, want);
    compared++;
  }
  unlink(path);
  CU_ASSERT_EQUAL(compared, 201);
}

static void test_seconds_parse(void)
{
  static const struct {
    const char *text;
    bool allow_zero;
    int rc;
    double want;
  } cases[] = {
    { "5", false, 0, 5 },         { "0.25", false, 0, 0.25 },  { "1e1", false, 0, 10 },
    { "86400", false, 0, 86400 }, { "0", true, 0, 0 },         { "0", false, -1, 0 },
    { "-1", true, -1, 0 },        { "86400.5", false, -1, 0 }, { "nan", true, -1, 0 },
    { "inf", true, -1, 0 },       { "", true, -1, 0 },         { "5s", false, -1, 0 },
    { " ", true, -1, 0 },         { "1e999", false, -1, 0 },   { "0x10", false, 0, 16 },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(cases); i++) {
    double got = -42;
    int rc = vsc_seconds_parse(cases[i].text, cases[i].allow_zero, 86400, &got);
    if (rc != cases[i].rc || (rc == 0 && got != cases[i].want))
      fprintf(stderr, "\nseconds '%s': rc %d value %g\n", cases[i].text, rc, got);
    CU_ASSERT_EQUAL(rc, cases[i].rc);
    if (rc == 0) {
      CU_ASSERT_DOUBLE_EQUAL(got, cases[i].want, 1e-9);
    } else {
      CU_ASSERT_DOUBLE_EQUAL(got, -42, 0);  /* untouched on error */
    }
  }
  CU_ASSERT_EQUAL(vsc_seconds_parse(NULL, true, 1, &(double){ 0 }), -1);
}

/* The set keeps every key through its growth, counts, and tells a key
 * that is there from one that only hashes alike. */
static void test_strset(void)
{
  vsc_strset set = { 0 };
  char key[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    CU_ASSERT_TRUE(vsc_strset_add(&set, key));
  }
  CU_ASSERT_EQUAL(set.n, 5000);
  for (int i = 0; i < 5000; i += 7) {
    snprintf(key, sizeof(key), "k%d", i);
    CU_ASSERT_FALSE(vsc_strset_add(&set, key));
    CU_ASSERT_EQUAL(vsc_strset_count(&set, key), 2);
  }
  CU_ASSERT_EQUAL(vsc_strset_count(&set, "k1"), 1);
  CU_ASSERT_EQUAL(vsc_strset_count(&set, "k5000"), 0);
  CU_ASSERT_EQUAL(vsc_strset_count(&set, ""), 0);
  CU_ASSERT_TRUE(vsc_strset_add(&set, ""));
  CU_ASSERT_EQUAL(set.n, 5001);
  vsc_strset_clear(&set);
  CU_ASSERT_EQUAL(vsc_strset_count(&set, "k1"), 0);
  CU_ASSERT_PTR_NULL(set.slots);
}

int main(void)
{
  static const CU_TestInfo tests[] = {
    { "sha1 vectors", test_sha1_vectors },
    { "sha1 vs sha1sum", test_sha1_vs_sha1sum },
    { "seconds parse", test_seconds_parse },
    { "string set", test_strset },
    CU_TEST_INFO_NULL,
  };
  return unit_run("util", tests);
}
