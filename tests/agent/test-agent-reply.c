/* The reply parser and the stream splitter: bytes in, replies out, for
 * every shape of input the guest can send.  No sockets here. */
#include "agent/agent.h"
#include "agent/base64.h"
#include "agent/reply.h"
#include "unit.h"
#include "util/mem.h"

#include <stdint.h>

/* Scan a C string literal (with embedded NULs, hence the size). */
#define SCAN(lit, max, items) vsc_agent_scan(lit, sizeof(lit) - 1, (max), (items))

static void test_one_reply(void)
{
  vsc_agent_item *items;
  size_t n = SCAN("{\"return\": {}}\n", 100, &items);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(items[0].kind, VSC_AGENT_ITEM_REPLY);
  CU_ASSERT_EQUAL(items[0].reply.kind, VSC_AGENT_REPLY_RETURN);
  CU_ASSERT_TRUE(json_is_object(items[0].reply.value));
  vsc_agent_items_free(items, n);
}

static void test_captured_sync(void)
{
  /* What qemu-ga 7.2 sent for 0xFF + guest-sync-delimited. */
  static const char bytes[] =
    "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\uFFFD'\"}}\n"
    "\xff{\"return\": 1234567890}\n";
  vsc_agent_item *items;
  size_t n = vsc_agent_scan(bytes, sizeof(bytes) - 1, 1000, &items);
  CU_ASSERT_EQUAL_FATAL(n, 3);
  CU_ASSERT_EQUAL(items[0].kind, VSC_AGENT_ITEM_REPLY);
  CU_ASSERT_EQUAL(items[0].reply.kind, VSC_AGENT_REPLY_ERROR);
  CU_ASSERT_STRING_EQUAL(items[0].reply.error_class, "GenericError");
  CU_ASSERT_STRING_EQUAL(items[0].reply.error_desc, "JSON parse error, stray '\xef\xbf\xbd'");
  CU_ASSERT_EQUAL(items[1].kind, VSC_AGENT_ITEM_SENTINEL);
  CU_ASSERT_EQUAL(items[2].kind, VSC_AGENT_ITEM_REPLY);
  CU_ASSERT_EQUAL(json_integer_value(items[2].reply.value), 1234567890);
  vsc_agent_items_free(items, n);
}

static void test_sentinel_flushes_partial_line(void)
{
  vsc_agent_item *items;
  size_t n = SCAN("{\"return\": {\"host\xff{\"return\": 7}\n", 100, &items);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_EQUAL(items[0].kind, VSC_AGENT_ITEM_SENTINEL);
  CU_ASSERT_EQUAL(items[1].kind, VSC_AGENT_ITEM_REPLY);
  CU_ASSERT_EQUAL(json_integer_value(items[1].reply.value), 7);
  vsc_agent_items_free(items, n);
}

static void test_several_and_partial(void)
{
  vsc_agent_item *items;
  size_t n = SCAN("{\"return\": 1}\r\n\n{\"return\": 2}\n{\"ret", 100, &items);
  CU_ASSERT_EQUAL_FATAL(n, 3);
  CU_ASSERT_EQUAL(json_integer_value(items[0].reply.value), 1);   /* \r\n accepted */
  CU_ASSERT_EQUAL(json_integer_value(items[1].reply.value), 2);   /* blank line skipped */
  CU_ASSERT_EQUAL(items[2].kind, VSC_AGENT_ITEM_PARTIAL);
  vsc_agent_items_free(items, n);
}

static void expect_garbage(const char *bytes, size_t len, const char *needle)
{
  vsc_agent_item *items;
  size_t n = vsc_agent_scan(bytes, len, 1000, &items);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(items[0].kind, VSC_AGENT_ITEM_GARBAGE);
  if (!strstr(items[0].message, needle)) {
    fprintf(stderr, "\n  '%s' lacks '%s'\n", items[0].message, needle);
    CU_FAIL("message");
  }
  vsc_agent_items_free(items, n);
}
#define GARBAGE(lit, needle) expect_garbage(lit, sizeof(lit) - 1, needle)

static void test_garbage(void)
{
  GARBAGE("hello\n", "not JSON");
  GARBAGE("{\"return\": {}\0}\n", "'{\"return\": {}\\x00}'");
  GARBAGE("\x80\x81{\"return\": 1}\n", "'\\x80\\x81{");
  GARBAGE("[1]\n", "not a JSON object");
  GARBAGE("\"return\"\n", "not JSON");   /* jansson takes only containers */
  GARBAGE("{}\n", "neither \"return\" nor \"error\"");
  GARBAGE("{\"return\": 1, \"error\": {}}\n", "both");
  GARBAGE("{\"error\": \"x\"}\n", "not an object");
  GARBAGE("{\"return\": 1, \"return\": 2}\n", "duplicate");
  GARBAGE("{\"return\": 18446744073709551615}\n", "not JSON");
  GARBAGE("{\"return\": \"\xc3\x28\"}\n", "not JSON");   /* invalid UTF-8 */
}

static void test_quote_cut(void)
{
  char line[200];
  memset(line, 'x', sizeof(line));
  line[0] = '\'';
  char *q = vsc_agent_quote_bytes(line, sizeof(line), 10);
  CU_ASSERT_STRING_EQUAL(q, "'\\x27xxxxxxxxx'...");
  free(q);
}

static void test_printable(void)
{
  static const struct {
    const char *in;
    size_t max;
    const char *out;
  } cases[] = {
    { "plain", 100, "plain" },
    { "caf\xc3\xa9", 100, "caf\xc3\xa9" },                 /* UTF-8 kept */
    { "a\x1b[2Jb\n\x7f", 100, "a\\x1b[2Jb\\x0a\\x7f" },   /* C0 and DEL escaped */
    { "x\xc2\x9b" "31m", 100, "x\\u009b31m" },              /* C1 CSI escaped */
    { "\xc3\xa9\xc3\xa9", 1, "\xc3\xa9..." },              /* cut between characters */
    { "abc", 2, "ab..." },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(cases); i++) {
    char *p = vsc_agent_printable(cases[i].in, cases[i].max);
    CU_ASSERT_STRING_EQUAL(p, cases[i].out);
    free(p);
  }
  char *p = vsc_agent_printable(NULL, 10);
  CU_ASSERT_STRING_EQUAL(p, "");
  free(p);
}

static void test_error_without_desc(void)
{
  vsc_agent_item *items;
  size_t n = SCAN("{\"error\": {\"class\": 5}}\n", 100, &items);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(items[0].reply.kind, VSC_AGENT_REPLY_ERROR);
  CU_ASSERT_PTR_NULL(items[0].reply.error_class);
  CU_ASSERT_PTR_NULL(items[0].reply.error_desc);
  vsc_agent_items_free(items, n);
}

static void test_oversize(void)
{
  vsc_agent_item *items;
  /* Complete but too long, then a good line: the stream recovers. */
  size_t n = SCAN("{\"return\": \"0123456789\"}\n{\"return\": 1}\n", 20, &items);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_EQUAL(items[0].kind, VSC_AGENT_ITEM_OVERSIZE);
  CU_ASSERT_EQUAL(items[1].kind, VSC_AGENT_ITEM_REPLY);
  vsc_agent_items_free(items, n);
  /* Unfinished and too long: refused, the rest of it skipped. */
  n = SCAN("{\"return\": \"0123456789012345678901234567890", 20, &items);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(items[0].kind, VSC_AGENT_ITEM_OVERSIZE);
  vsc_agent_items_free(items, n);
  /* Exactly at the limit is fine. */
  n = SCAN("{\"return\": 12345}\n", 17, &items);
  CU_ASSERT_EQUAL_FATAL(n, 1);
  CU_ASSERT_EQUAL(items[0].kind, VSC_AGENT_ITEM_REPLY);
  vsc_agent_items_free(items, n);
}

/* Feeding byte by byte gives the same tokens as feeding at once; the
 * skipped rest of an oversized line ends at the next sentinel too. */
static void test_stream_bytewise(void)
{
  static const char bytes[] = "garbage\xff{\"return\": 1}\n{\"return\": \"toolongtoolongtoolong"
                              "toolong\xff{\"return\": 2}\n";
  vsc_agent_stream s;
  const char *line;
  size_t len;
  int lines = 0, sentinels = 0, oversize = 0;

  vsc_agent_stream_init(&s, 20);
  for (size_t i = 0; i < sizeof(bytes) - 1; i++) {
    vsc_agent_stream_feed(&s, &bytes[i], 1);
    for (;;) {
      vsc_agent_token t = vsc_agent_stream_next(&s, &line, &len);
      if (t == VSC_AGENT_TOKEN_NEED_MORE)
        break;
      lines += t == VSC_AGENT_TOKEN_LINE;
      sentinels += t == VSC_AGENT_TOKEN_SENTINEL;
      oversize += t == VSC_AGENT_TOKEN_OVERSIZE;
    }
  }
  CU_ASSERT_EQUAL(lines, 2);
  CU_ASSERT_EQUAL(sentinels, 2);
  CU_ASSERT_EQUAL(oversize, 1);
  CU_ASSERT_EQUAL(vsc_agent_stream_pending(&s), 0);
  vsc_agent_stream_free(&s);
}

static void test_skip_to_sentinel(void)
{
  vsc_agent_stream s;
  const char *line;
  size_t len;

  vsc_agent_stream_init(&s, 100);
  s.skip_to_sentinel = true;
  vsc_agent_stream_feed(&s, "{\"return\": 5}\n", 14);
  CU_ASSERT_EQUAL(vsc_agent_stream_next(&s, &line, &len), VSC_AGENT_TOKEN_NEED_MORE);
  /* Nothing of the skipped bytes is kept. */
  CU_ASSERT_EQUAL(s.len, 0);
  static const char rest[] = "xx\xff{\"return\": 6}\n";
  vsc_agent_stream_feed(&s, rest, sizeof(rest) - 1);
  CU_ASSERT_EQUAL(vsc_agent_stream_next(&s, &line, &len), VSC_AGENT_TOKEN_SENTINEL);
  CU_ASSERT_EQUAL(vsc_agent_stream_next(&s, &line, &len), VSC_AGENT_TOKEN_LINE);
  CU_ASSERT_EQUAL(len, 13);
  CU_ASSERT_NSTRING_EQUAL(line, "{\"return\": 6}", 13);
  vsc_agent_stream_free(&s);
}

/* Random bytes over the parser: it must not crash (ASan and UBSan builds
 * make this sharper), and every item must be well formed. */
static void test_random_bytes(void)
{
  uint32_t seed = 12345;
  static const char *const pieces[] = {
    "{\"return\": ", "{\"error\": {\"class\": \"X\", \"desc\": \"d\"}}", "}", "{", "\n",
    "\xff", "\0", "\x80", "\"", "[", "]", "1", ",", "\r\n", "null", "\"s\"",
  };
  size_t replies = 0, garbage = 0;
  for (int round = 0; round < 2000; round++) {
    char buf[256];
    size_t len = 0;
    while (len < sizeof(buf) - 64) {
      seed = seed * 1103515245 + 12345;
      if ((seed >> 16) % 4 == 0) {
        buf[len++] = (char)(seed >> 8);
      } else {
        const char *p = pieces[(seed >> 16) % VSC_N_ELEMENTS(pieces)];
        size_t n = *p ? strlen(p) : 1;
        memcpy(buf + len, p, n);
        len += n;
      }
      if ((seed >> 20) % 16 == 0)
        break;
    }
    vsc_agent_item *items;
    size_t n = vsc_agent_scan(buf, len, 1 + (seed >> 24) % 128, &items);
    for (size_t i = 0; i < n; i++) {
      if (items[i].kind == VSC_AGENT_ITEM_REPLY) {
        CU_ASSERT_PTR_NOT_NULL(items[i].reply.object);
        replies++;
      }
      if (items[i].kind == VSC_AGENT_ITEM_GARBAGE) {
        CU_ASSERT_PTR_NOT_NULL(items[i].message);
        garbage++;
      }
    }
    vsc_agent_items_free(items, n);
  }
  /* The random input reaches both kinds of item, so both checks ran. */
  CU_ASSERT(replies > 0);
  CU_ASSERT(garbage > 0);
}

static void test_base64(void)
{
  static const struct {
    const char *plain;
    const char *encoded;
  } vectors[] = {
    { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    { "hi\n", "aGkK" }, { "out\n", "b3V0Cg==" },
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(vectors); i++) {
    char *e = vsc_base64_encode(vectors[i].plain, strlen(vectors[i].plain));
    CU_ASSERT_STRING_EQUAL(e, vectors[i].encoded);
    free(e);
    size_t n;
    unsigned char *d = vsc_base64_decode(vectors[i].encoded, strlen(vectors[i].encoded), &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(n, strlen(vectors[i].plain));
    CU_ASSERT_NSTRING_EQUAL(d, vectors[i].plain, n);
    free(d);
  }
  /* Every byte value survives the round trip. */
  unsigned char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (unsigned char)i;
  char *e = vsc_base64_encode(all, sizeof(all));
  size_t n;
  unsigned char *d = vsc_base64_decode(e, strlen(e), &n);
  CU_ASSERT_EQUAL(n, 256);
  CU_ASSERT_EQUAL(memcmp(d, all, 256), 0);
  free(e);
  free(d);
  /* What the guest might send instead. */
  static const char *const bad[] = { "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "Zh==", "Zm9=", "=Zg=" };
  for (size_t i = 0; i < VSC_N_ELEMENTS(bad); i++)
    CU_ASSERT_PTR_NULL(vsc_base64_decode(bad[i], strlen(bad[i]), &n));
}

int main(void)
{
  static const CU_TestInfo tests[] = {
    { "one reply", test_one_reply },
    { "captured sync bytes of qemu-ga 7.2", test_captured_sync },
    { "sentinel flushes a partial line", test_sentinel_flushes_partial_line },
    { "several replies and a partial one", test_several_and_partial },
    { "garbage lines", test_garbage },
    { "quoting cuts long input", test_quote_cut },
    { "printable text from the guest", test_printable },
    { "error without desc", test_error_without_desc },
    { "oversized lines", test_oversize },
    { "byte-wise feeding", test_stream_bytewise },
    { "skip to the sentinel", test_skip_to_sentinel },
    { "random bytes", test_random_bytes },
    { "base64", test_base64 },
    CU_TEST_INFO_NULL,
  };
  vsc_mem_init();
  return unit_run("agent-reply", tests);
}
