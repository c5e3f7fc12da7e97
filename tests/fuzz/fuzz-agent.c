/* The guest agent's byte stream (the guest is untrusted): vsc_agent_scan
 * over the whole input, and the same bytes fed to a stream in chunks whose
 * sizes come from the input must give the same replies in the same order
 * (a reply never depends on how the guest's writes were cut). */
#include "fuzz.h"
#include "agent/reply.h"
#include "util/mem.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  fuzz_init();
  return 0;
}

static bool blank(const char *line, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      return false;
  return true;
}

/* Drain the stream into items, as vsc_agent_scan does. */
static void drain(vsc_agent_stream *s, vsc_agent_item **items, size_t *n)
{
  const char *line;
  size_t len;
  for (;;) {
    vsc_agent_token t = vsc_agent_stream_next(s, &line, &len);
    if (t == VSC_AGENT_TOKEN_NEED_MORE)
      return;
    if (t == VSC_AGENT_TOKEN_LINE && blank(line, len))
      continue;
    vsc_agent_item *item = vsc_append(items, n, sizeof(**items));
    switch (t) {
    case VSC_AGENT_TOKEN_NEED_MORE:
      break;
    case VSC_AGENT_TOKEN_SENTINEL:
      item->kind = VSC_AGENT_ITEM_SENTINEL;
      break;
    case VSC_AGENT_TOKEN_OVERSIZE:
      item->kind = VSC_AGENT_ITEM_OVERSIZE;
      break;
    case VSC_AGENT_TOKEN_LINE: {
      vsc_diags d = { 0 };
      FUZZ_CHECK(len <= s->max_line, "a line of %zu bytes passed max_line %zu", len, s->max_line);
      if (vsc_agent_reply_parse(line, len, &item->reply, &d) == 0) {
        item->kind = VSC_AGENT_ITEM_REPLY;
        FUZZ_CHECK(item->reply.object != NULL, "a reply without its object");
      } else {
        FUZZ_CHECK(d.n > 0, "garbage without a message");
        item->kind = VSC_AGENT_ITEM_GARBAGE;
        item->message = vsc_agent_quote_bytes(line, len, 64);
      }
      vsc_diags_clear(&d);
      break;
    }
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* The first byte picks the line cap, so oversize lines are reachable. */
  size_t max_line = size ? 16 + (size_t)data[0] * 4 : 64;
  vsc_agent_item *whole, *chunked = NULL;
  size_t nwhole = vsc_agent_scan(data, size, max_line, &whole), nchunked = 0;

  vsc_agent_stream s;
  vsc_agent_stream_init(&s, max_line);
  for (size_t off = 0, i = 1; off < size; i++) {
    size_t chunk = 1 + (size > 1 ? data[i % size] % 97 : 0);
    if (chunk > size - off)
      chunk = size - off;
    vsc_agent_stream_feed(&s, data + off, chunk);
    off += chunk;
    drain(&s, &chunked, &nchunked);
    FUZZ_CHECK(s.len <= max_line + 97, "buffered %zu bytes with a cap of %zu", s.len, max_line);
  }
  if (vsc_agent_stream_pending(&s) > 0)
    ((vsc_agent_item *)vsc_append(&chunked, &nchunked, sizeof(*chunked)))->kind = VSC_AGENT_ITEM_PARTIAL;
  vsc_agent_stream_free(&s);

  /* A line that outgrows the cap before its sentinel arrives is OVERSIZE
   * in a stream, while the whole buffer sees the sentinel first; both drop
   * it.  Everything else must match. */
  size_t i = 0, j = 0, over_whole = 0, over_chunked = 0;
  for (;;) {
    while (i < nwhole && whole[i].kind == VSC_AGENT_ITEM_OVERSIZE)
      i++, over_whole++;
    while (j < nchunked && chunked[j].kind == VSC_AGENT_ITEM_OVERSIZE)
      j++, over_chunked++;
    if (i == nwhole || j == nchunked)
      break;
    FUZZ_CHECK(whole[i].kind == chunked[j].kind, "item %zu/%zu: kind %d whole, %d chunked",
               i, j, (int)whole[i].kind, (int)chunked[j].kind);
    if (whole[i].kind == VSC_AGENT_ITEM_REPLY)
      FUZZ_CHECK(json_equal(whole[i].reply.object, chunked[j].reply.object),
                 "item %zu: replies differ", i);
    i++, j++;
  }
  FUZZ_CHECK(i == nwhole && j == nchunked, "whole stream gave %zu items, chunked %zu", nwhole, nchunked);
  FUZZ_CHECK(over_whole <= over_chunked, "whole stream saw more oversize lines (%zu) than chunked (%zu)",
             over_whole, over_chunked);
  vsc_agent_items_free(whole, nwhole);
  vsc_agent_items_free(chunked, nchunked);
  return 0;
}
