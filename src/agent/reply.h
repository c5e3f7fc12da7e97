/* The agent's byte stream, cut into replies.
 *
 * qemu-ga writes one compact JSON object per line ("\n").  A 0xFF byte is
 * the sentinel that guest-sync-delimited puts before its reply: whatever
 * partial line precedes it is stale and dropped.  The guest is untrusted,
 * so every function here accepts arbitrary bytes: it may return errors,
 * never crash, and never buffer more than the reply cap plus one read.
 *
 * This file does no I/O; a fuzzer drives vsc_agent_scan() directly. */
#pragma once

#include "util/diag.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define VSC_AGENT_SENTINEL 0xFF

typedef struct {
  unsigned char *data;
  size_t start;      /* unread bytes are data[start, start + len) */
  size_t len;
  size_t cap;
  size_t scanned;    /* unread bytes already known to hold no '\n' or 0xFF */
  size_t max_line;   /* a line longer than this is refused */
  bool skip_to_sentinel;  /* drop everything up to the next 0xFF */
  bool skip_line;         /* drop the rest of an oversized line */
} vsc_agent_stream;

typedef enum {
  VSC_AGENT_TOKEN_NEED_MORE,  /* no complete line buffered */
  VSC_AGENT_TOKEN_LINE,       /* a line, without "\n" and a trailing "\r" */
  VSC_AGENT_TOKEN_SENTINEL,   /* a 0xFF: the partial line before it was dropped */
  VSC_AGENT_TOKEN_OVERSIZE,   /* a line exceeded max_line; its rest is skipped */
} vsc_agent_token;

void vsc_agent_stream_init(vsc_agent_stream *s, size_t max_line);
void vsc_agent_stream_free(vsc_agent_stream *s);
/* Forget buffered bytes (a new connection, or a resync). */
void vsc_agent_stream_reset(vsc_agent_stream *s);
void vsc_agent_stream_feed(vsc_agent_stream *s, const void *bytes, size_t n);
/* The next token.  A LINE points into the stream's buffer and stays valid
 * until the next call to feed or next. */
vsc_agent_token vsc_agent_stream_next(vsc_agent_stream *s, const char **line, size_t *len);
/* Bytes buffered of a line not yet complete (0 when between lines). */
size_t vsc_agent_stream_pending(const vsc_agent_stream *s);

/* One reply line, classified. */
typedef enum {
  VSC_AGENT_REPLY_RETURN,  /* {"return": VALUE} */
  VSC_AGENT_REPLY_ERROR,   /* {"error": {"class": ..., "desc": ...}} */
} vsc_agent_reply_kind;

typedef struct {
  vsc_agent_reply_kind kind;
  json_t *object;           /* the whole reply; owned */
  json_t *value;            /* RETURN: borrowed from object */
  const char *error_class;  /* ERROR: borrowed, NULL when absent */
  const char *error_desc;   /* ERROR: borrowed, NULL when absent */
} vsc_agent_reply;

/* Parse one line.  Returns 0, or -1 with an "agent-garbage" error when the
 * line is not a JSON object with exactly one of "return" and "error". */
int vsc_agent_reply_parse(const char *line, size_t len, vsc_agent_reply *reply, vsc_diags *diags);
/* The same checks on an object some transport already parsed (libvirt
 * hands back the reply as text or JSON).  Takes a new reference. */
int vsc_agent_reply_from_json(json_t *object, vsc_agent_reply *reply, vsc_diags *diags);
void vsc_agent_reply_clear(vsc_agent_reply *reply);

/* Show untrusted bytes in a message: printable ASCII as is, everything
 * else as \xNN, at most max bytes of input, "..." when cut. */
char *vsc_agent_quote_bytes(const void *bytes, size_t n, size_t max);

/* Bytes in, replies out: what a whole stream holds.  For tests and the
 * fuzzer; the socket client uses the stream and parser above. */
typedef enum {
  VSC_AGENT_ITEM_REPLY,
  VSC_AGENT_ITEM_SENTINEL,
  VSC_AGENT_ITEM_GARBAGE,   /* message says why */
  VSC_AGENT_ITEM_OVERSIZE,
  VSC_AGENT_ITEM_PARTIAL,   /* bytes of an unfinished line at the end */
} vsc_agent_item_kind;

typedef struct {
  vsc_agent_item_kind kind;
  vsc_agent_reply reply;    /* REPLY only */
  char *message;            /* GARBAGE only */
} vsc_agent_item;

size_t vsc_agent_scan(const void *bytes, size_t n, size_t max_line, vsc_agent_item **items);
void vsc_agent_items_free(vsc_agent_item *items, size_t n);
