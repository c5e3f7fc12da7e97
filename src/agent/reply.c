#include "reply.h"
#include "util/buf.h"
#include "util/mem.h"

#include <string.h>

void vsc_agent_stream_init(vsc_agent_stream *s, size_t max_line)
{
  memset(s, 0, sizeof(*s));
  s->max_line = max_line;
}

void vsc_agent_stream_free(vsc_agent_stream *s)
{
  free(s->data);
  memset(s, 0, sizeof(*s));
}

void vsc_agent_stream_reset(vsc_agent_stream *s)
{
  s->start = s->len = s->scanned = 0;
  s->skip_to_sentinel = s->skip_line = false;
}

static void consume(vsc_agent_stream *s, size_t n)
{
  s->start += n;
  s->len -= n;
  s->scanned = 0;
}

void vsc_agent_stream_feed(vsc_agent_stream *s, const void *bytes, size_t n)
{
  const unsigned char *in = bytes;

  /* While skipping, drop what we can before it is ever buffered, so a
   * guest that streams garbage costs no memory. */
  if (s->len == 0 && s->skip_to_sentinel) {
    const unsigned char *ff = memchr(in, VSC_AGENT_SENTINEL, n);
    if (!ff)
      return;
    n -= (size_t)(ff - in);
    in = ff;
    s->skip_to_sentinel = false;
  }
  if (s->len == 0 && s->skip_line) {
    size_t i = 0;
    while (i < n && in[i] != '\n' && in[i] != VSC_AGENT_SENTINEL)
      i++;
    if (i == n)
      return;
    s->skip_line = false;
    if (in[i] == '\n')
      i++;
    in += i;
    n -= i;
  }
  if (n == 0)
    return;

  if (s->start > 0 && (s->len == 0 || s->start >= s->cap / 2)) {
    memmove(s->data, s->data + s->start, s->len);
    s->start = 0;
  }
  if (s->start + s->len + n > s->cap) {
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->start + s->len + n)
      cap *= 2;
    s->data = vsc_realloc(s->data, cap);
    s->cap = cap;
  }
  memcpy(s->data + s->start + s->len, in, n);
  s->len += n;
}

vsc_agent_token vsc_agent_stream_next(vsc_agent_stream *s, const char **line, size_t *len)
{
  for (;;) {
    if (s->len == 0)
      return VSC_AGENT_TOKEN_NEED_MORE;
    unsigned char *p = s->data + s->start;
    if (s->skip_to_sentinel) {
      unsigned char *ff = memchr(p, VSC_AGENT_SENTINEL, s->len);
      if (!ff) {
        consume(s, s->len);
        return VSC_AGENT_TOKEN_NEED_MORE;
      }
      consume(s, (size_t)(ff - p));
      s->skip_to_sentinel = false;
      continue;
    }
    if (s->skip_line) {
      size_t i = 0;
      while (i < s->len && p[i] != '\n' && p[i] != VSC_AGENT_SENTINEL)
        i++;
      if (i == s->len) {
        consume(s, s->len);
        return VSC_AGENT_TOKEN_NEED_MORE;
      }
      s->skip_line = false;
      consume(s, p[i] == '\n' ? i + 1 : i);
      continue;
    }
    if (p[0] == VSC_AGENT_SENTINEL) {
      consume(s, 1);
      return VSC_AGENT_TOKEN_SENTINEL;
    }

    /* Look for the end of the line only in bytes not looked at before:
     * a reply of many MiB arrives in many reads. */
    unsigned char *from = p + s->scanned;
    size_t avail = s->len - s->scanned;
    unsigned char *nl = memchr(from, '\n', avail);
    unsigned char *ff = memchr(from, VSC_AGENT_SENTINEL, nl ? (size_t)(nl - from) : avail);
    if (ff) {
      /* The sentinel flushes the partial line before it. */
      consume(s, (size_t)(ff - p) + 1);
      return VSC_AGENT_TOKEN_SENTINEL;
    }
    if (!nl) {
      s->scanned = s->len;
      if (s->len > s->max_line) {
        consume(s, s->len);
        s->skip_line = true;
        return VSC_AGENT_TOKEN_OVERSIZE;
      }
      return VSC_AGENT_TOKEN_NEED_MORE;
    }
    size_t n = (size_t)(nl - p);
    consume(s, n + 1);
    if (n > s->max_line)
      return VSC_AGENT_TOKEN_OVERSIZE;
    if (n > 0 && p[n - 1] == '\r')
      n--;
    *line = (const char *)p;
    *len = n;
    return VSC_AGENT_TOKEN_LINE;
  }
}

size_t vsc_agent_stream_pending(const vsc_agent_stream *s)
{
  return s->skip_to_sentinel || s->skip_line ? 0 : s->len;
}

char *vsc_agent_quote_bytes(const void *bytes, size_t n, size_t max)
{
  const unsigned char *p = bytes;
  vsc_buf b = { 0 };

  vsc_buf_addc(&b, '\'');
  for (size_t i = 0; i < n && i < max; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' && p[i] != '\'')
      vsc_buf_addc(&b, (char)p[i]);
    else
      vsc_buf_printf(&b, "\\x%02x", p[i]);
  }
  vsc_buf_addc(&b, '\'');
  if (n > max)
    vsc_buf_add(&b, "...");
  return vsc_buf_steal(&b);
}

static void garbage(vsc_diags *diags, const char *line, size_t len, const char *why)
{
  VSC_AUTOFREE(char) q = vsc_agent_quote_bytes(line, len, 60);
  vsc_error_peer(diags, NULL, "agent-garbage",
                 "check that the socket is the host end of the org.qemu.guest_agent.0 "
                 "channel and that qemu-ga runs in the guest, then retry",
                 "the guest agent sent %s: %s", why, q);
}

static int classify(json_t *object, vsc_agent_reply *reply, const char *line, size_t len,
                    vsc_diags *diags)
{
  memset(reply, 0, sizeof(*reply));
  if (!json_is_object(object)) {
    garbage(diags, line, len, "a reply that is not a JSON object");
    return -1;
  }
  json_t *ret = json_object_get(object, "return");
  json_t *err = json_object_get(object, "error");
  if (ret && err) {
    garbage(diags, line, len, "a reply with both \"return\" and \"error\"");
    return -1;
  }
  if (!ret && !err) {
    garbage(diags, line, len, "a reply with neither \"return\" nor \"error\"");
    return -1;
  }
  if (err && !json_is_object(err)) {
    garbage(diags, line, len, "an \"error\" that is not an object");
    return -1;
  }
  reply->object = json_incref(object);
  if (ret) {
    reply->kind = VSC_AGENT_REPLY_RETURN;
    reply->value = ret;
  } else {
    reply->kind = VSC_AGENT_REPLY_ERROR;
    reply->error_class = json_string_value(json_object_get(err, "class"));
    reply->error_desc = json_string_value(json_object_get(err, "desc"));
  }
  return 0;
}

int vsc_agent_reply_parse(const char *line, size_t len, vsc_agent_reply *reply, vsc_diags *diags)
{
  json_error_t error;
  /* NULs are rejected by jansson unless asked otherwise, and so they
   * should be: qemu-ga never sends one. */
  json_t *object = json_loadb(line, len, JSON_REJECT_DUPLICATES, &error);

  memset(reply, 0, sizeof(*reply));
  if (!object) {
    VSC_AUTOFREE(char) why = vsc_asprintf("a line that is not JSON (%s)", error.text);
    garbage(diags, line, len, why);
    return -1;
  }
  int rc = classify(object, reply, line, len, diags);
  json_decref(object);
  return rc;
}

int vsc_agent_reply_from_json(json_t *object, vsc_agent_reply *reply, vsc_diags *diags)
{
  char *text = object ? json_dumps(object, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  int rc = classify(object, reply, text ? text : "", text ? strlen(text) : 0, diags);
  free(text);
  return rc;
}

void vsc_agent_reply_clear(vsc_agent_reply *reply)
{
  json_decref(reply->object);
  memset(reply, 0, sizeof(*reply));
}

static bool blank(const char *line, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      return false;
  return true;
}

size_t vsc_agent_scan(const void *bytes, size_t n, size_t max_line, vsc_agent_item **items)
{
  vsc_agent_stream s;
  size_t count = 0;
  const char *line;
  size_t len;

  *items = NULL;
  vsc_agent_stream_init(&s, max_line);
  vsc_agent_stream_feed(&s, bytes, n);
  for (;;) {
    vsc_agent_token t = vsc_agent_stream_next(&s, &line, &len);
    if (t == VSC_AGENT_TOKEN_NEED_MORE)
      break;
    if (t == VSC_AGENT_TOKEN_LINE && blank(line, len))
      continue;
    vsc_agent_item *item = vsc_append(items, &count, sizeof(**items));
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
      if (vsc_agent_reply_parse(line, len, &item->reply, &d) == 0) {
        item->kind = VSC_AGENT_ITEM_REPLY;
      } else {
        item->kind = VSC_AGENT_ITEM_GARBAGE;
        item->message = vsc_strdup(d.n ? d.items[0].message : "garbage");
      }
      vsc_diags_clear(&d);
      break;
    }
    }
  }
  if (vsc_agent_stream_pending(&s) > 0)
    ((vsc_agent_item *)vsc_append(items, &count, sizeof(**items)))->kind = VSC_AGENT_ITEM_PARTIAL;
  vsc_agent_stream_free(&s);
  return count;
}

void vsc_agent_items_free(vsc_agent_item *items, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    vsc_agent_reply_clear(&items[i].reply);
    free(items[i].message);
  }
  free(items);
}
