/* Which native lines of a VM config (agent:, serialN:) are vschan's.
 *
 * qemu-server drops the keys it does not know on its next write, so the
 * record lives in the description, the one free text it keeps: a "#" line
 * of the main section,
 *
 *     #vschan owns agent=356a192b serial1=2e0e1a6c
 *
 * naming each line vschan wrote with the first 8 hex digits of the SHA-1
 * of the value it wrote.  The line has none of the characters encode_text
 * escapes (':', '%', control and non-ASCII bytes), so a rewrite by
 * qemu-server keeps it as it is (it moves every "#" line to the top of the
 * section, and so does this file).  A line whose value no longer has its
 * hash was changed by someone else: it is the user's now, and vschan
 * leaves it alone unless told to take it over. */
#include "pve.h"

#include "util/buf.h"
#include "util/sha1.h"
#include "util/str.h"

#include <string.h>

#define RECORD_MARK "#vschan owns"

const char *const vsc_pve_native_keys[VSC_PVE_N_NATIVE_KEYS + 1] = {
  "agent", "serial0", "serial1", "serial2", "serial3", "parallel0", "parallel1", "parallel2", NULL,
};
#define HASH_LEN 8

const char *vsc_pve_native_pick(const char *key, bool agent, const char *const *serial,
                                const char *const *parallel)
{
  const char *n;
  if (strcmp(key, "agent") == 0)
    return agent ? "1" : NULL;
  if ((n = vsc_str_skip(key, "serial")))
    return serial[*n - '0'];
  n = vsc_str_skip(key, "parallel");
  return n ? parallel[*n - '0'] : NULL;
}

static bool is_record(const char *text)
{
  size_t n = strlen(RECORD_MARK);
  return strncmp(text, RECORD_MARK, n) == 0 &&
         (text[n] == '\0' || text[n] == ' ' || (text[n] == '\r' && text[n + 1] == '\0'));
}

static void value_hash(const char *value, char out[HASH_LEN + 1])
{
  char hex[VSC_SHA1_HEX_LEN + 1];
  vsc_sha1_hex(value, strlen(value), hex);
  memcpy(out, hex, HASH_LEN);
  out[HASH_LEN] = '\0';
}

/* The hash the record gives key, or false. */
static bool record_hash(const vsc_pve_conf *conf, const char *key, char out[HASH_LEN + 1])
{
  const vsc_pve_section *s = &conf->sections[0];
  size_t klen = strlen(key);
  bool found = false;

  for (size_t j = 0; j < s->n_lines; j++) {
    const char *t = s->lines[j].text;
    if (!is_record(t))
      continue;
    for (const char *p = t + strlen(RECORD_MARK); *p;) {
      p += strspn(p, " \r");
      size_t len = strcspn(p, " \r");
      if (len == klen + 1 + HASH_LEN && strncmp(p, key, klen) == 0 && p[klen] == '=') {
        memcpy(out, p + klen + 1, HASH_LEN);
        out[HASH_LEN] = '\0';
        found = true;
      }
      p += len;
    }
  }
  return found;
}

static bool hash_matches(const char *value, const char *hash)
{
  char h[HASH_LEN + 1];
  if (!value)
    return false;
  value_hash(value, h);
  return strcmp(h, hash) == 0;
}

vsc_pve_line_owner vsc_pve_owner_of(const vsc_pve_conf *conf, bool pending, const char *key)
{
  VSC_AUTOFREE(char) value = vsc_pve_conf_get_for(conf, pending, key);
  char hash[HASH_LEN + 1];

  if (!value)
    return VSC_PVE_LINE_ABSENT;
  if (!record_hash(conf, key, hash))
    return VSC_PVE_LINE_USERS;
  /* The main value too: a change vschan wrote under [PENDING] and the
   * VM's restart applied is still the one it wrote. */
  VSC_AUTOFREE(char) main_value = vsc_pve_conf_get(conf, false, key);
  return hash_matches(value, hash) || hash_matches(main_value, hash) ? VSC_PVE_LINE_OURS
                                                                      : VSC_PVE_LINE_USERS;
}

void vsc_pve_owner_record(vsc_pve_conf *conf, bool pending, const char *const *keys, size_t n)
{
  vsc_pve_section *s = &conf->sections[0];
  vsc_buf b = { 0 };
  size_t at = (size_t)-1, after_comments = 0;

  vsc_buf_add(&b, RECORD_MARK);
  for (size_t i = 0; i < n; i++) {
    VSC_AUTOFREE(char) value = vsc_pve_conf_get_for(conf, pending, keys[i]);
    char hash[HASH_LEN + 1];
    if (!value)
      continue;
    value_hash(value, hash);
    vsc_buf_printf(&b, " %s=%s", keys[i], hash);
  }
  bool empty = b.len == strlen(RECORD_MARK);

  /* The first record line is rewritten in place, any other removed. */
  for (size_t j = s->n_lines; j-- > 0;) {
    if (s->lines[j].text[0] == '#' && !after_comments)
      after_comments = j + 1;
    if (!is_record(s->lines[j].text))
      continue;
    if (at != (size_t)-1) {
      vsc_pve_section_remove_line(s, at);
      after_comments -= after_comments > at;
    }
    at = j;
  }
  if (empty) {
    if (at != (size_t)-1)
      vsc_pve_section_remove_line(s, at);
    vsc_buf_clear(&b);
    return;
  }
  /* Follow the file's line ending: a CRLF file gets a CRLF line. */
  size_t near = at != (size_t)-1 ? at : after_comments;
  const char *neighbour = near < s->n_lines ? s->lines[near].text
                          : near > 0        ? s->lines[near - 1].text
                                            : "";
  size_t nlen = strlen(neighbour);
  if (nlen && neighbour[nlen - 1] == '\r')
    vsc_buf_addc(&b, '\r');
  char *text = vsc_buf_steal(&b);
  if (at != (size_t)-1) {
    free(s->lines[at].text);
    s->lines[at].text = text;
    return;
  }
  if (after_comments > 0)
    s->lines[after_comments - 1].newline = true;
  vsc_pve_section_insert_line(s, after_comments, text);
}
