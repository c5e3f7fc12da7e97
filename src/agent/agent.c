/* The transport-independent part: requests, replies, agent errors. */
#include "agent.h"
#include "util/json.h"
#include "base64.h"
#include "reply.h"
#include "util/buf.h"

#include <string.h>

struct vsc_agent {
  vsc_agent_send_fn send;
  vsc_agent_close_fn close;
  void *opaque;
  char *where;
  int timeout_ms;
  vsc_agent_failure last_failure;
};

vsc_agent *vsc_agent_new(vsc_agent_send_fn send, vsc_agent_close_fn close, void *opaque,
                         const char *where)
{
  vsc_agent *agent = vsc_calloc(1, sizeof(*agent));
  agent->send = send;
  agent->close = close;
  agent->opaque = opaque;
  agent->where = vsc_strdup(where ? where : "the guest agent");
  agent->timeout_ms = VSC_AGENT_DEFAULT_TIMEOUT_MS;
  return agent;
}

void vsc_agent_free(vsc_agent *agent)
{
  if (!agent)
    return;
  if (agent->close)
    agent->close(agent->opaque);
  free(agent->where);
  free(agent);
}

vsc_agent_failure vsc_agent_last_failure(const vsc_agent *agent)
{
  return agent->last_failure;
}

void vsc_agent_set_timeout(vsc_agent *agent, int timeout_ms)
{
  agent->timeout_ms = timeout_ms > 0 ? timeout_ms : VSC_AGENT_DEFAULT_TIMEOUT_MS;
}

char *vsc_agent_printable(const char *text, size_t max)
{
  vsc_buf b = { 0 };
  size_t i;

  vsc_buf_add(&b, "");
  if (!text)
    return vsc_buf_steal(&b);
  for (i = 0; text[i]; i++) {
    unsigned char c = (unsigned char)text[i];
    if (i >= max && (c & 0xc0) != 0x80)
      break;   /* cut between characters, not inside one */
    /* Keep UTF-8 (jansson has checked it); escape what a terminal would
     * act on. */
    if (c < 0x20 || c == 0x7f) {
      vsc_buf_printf(&b, "\\x%02x", c);
    } else if (c == 0xc2 && (unsigned char)text[i + 1] >= 0x80 &&
               (unsigned char)text[i + 1] <= 0x9f) {
      /* U+0080..U+009F: C1 controls (U+009B is a CSI to some terminals). */
      vsc_buf_printf(&b, "\\u%04x", (unsigned char)text[i + 1]);
      i++;
    } else {
      vsc_buf_addc(&b, (char)c);
    }
  }
  if (text[i])
    vsc_buf_add(&b, "...");
  return vsc_buf_steal(&b);
}

bool vsc_agent_command_has_no_reply(const char *command)
{
  static const char *const silent[] = {
    "guest-shutdown", "guest-suspend-disk", "guest-suspend-ram", "guest-suspend-hybrid",
  };
  for (size_t i = 0; i < VSC_N_ELEMENTS(silent); i++)
    if (strcmp(command, silent[i]) == 0)
      return true;
  return false;
}

static bool is_disabled(const vsc_agent_reply *reply)
{
  const char *cls = reply->error_class ? reply->error_class : "";
  const char *desc = reply->error_desc ? reply->error_desc : "";
  if (strstr(desc, "frozen state"))
    return false;
  return strcmp(cls, "CommandNotFound") == 0 || strstr(desc, "has been disabled") != NULL;
}

/* An {"error": ...} reply, told the way the user can act on it. */
static void record_agent_error(vsc_agent *agent, const char *command,
                               const vsc_agent_reply *reply, vsc_diags *diags)
{
  VSC_AUTOFREE(char) desc = vsc_agent_printable(
    reply->error_desc ? reply->error_desc
                      : reply->error_class ? reply->error_class : "an error without description",
    500);

  if (is_disabled(reply)) {
    vsc_error_peer(diags, NULL, "agent-command-disabled",
                   "the guest's qemu-ga policy blocks it (--block-rpcs, or block-rpcs/allow-rpcs in "
                   "/etc/qemu/qemu-ga.conf), or the agent is too old to know it; "
                   "'vschan agent info' lists the commands it allows",
                   "'%s' is not allowed by guest policy on %s: %s", command, agent->where, desc);
  } else if (strstr(desc, "frozen state")) {
    vsc_error_peer(diags, NULL, "agent-frozen",
                   "the guest's file systems are frozen; thaw them with 'vschan agent fsfreeze thaw'",
                   "'%s' refused by %s: %s", command, agent->where, desc);
  } else {
    vsc_error_peer(diags, NULL, "agent-error", "the message comes from qemu-ga in the guest",
                   "'%s' failed on %s: %s", command, agent->where, desc);
  }
}

/* Send one command; on success *value is the "return" value (or NULL for a
 * no-reply command that got none). */
static int call(vsc_agent *agent, const char *command, json_t *args, bool no_reply,
                json_t **value, vsc_diags *diags)
{
  json_t *request = json_pack("{s:s}", "execute", command);
  json_t *reply = NULL;
  vsc_agent_reply parsed;
  vsc_agent_call_opts opts = {
    .command = command,
    .timeout_ms = agent->timeout_ms,
    .no_reply = no_reply,
    .failure = &agent->last_failure,
  };

  *value = NULL;
  if (args)
    json_object_set_new(request, "arguments", args);
  agent->last_failure = VSC_AGENT_FAILED;
  int rc = agent->send(agent->opaque, request, &opts, &reply, diags);
  json_decref(request);
  if (rc < 0)
    return -1;
  if (!reply)
    return no_reply ? 0 : -1;
  rc = vsc_agent_reply_from_json(reply, &parsed, diags);
  json_decref(reply);
  if (rc < 0)
    return -1;
  if (parsed.kind == VSC_AGENT_REPLY_ERROR) {
    record_agent_error(agent, command, &parsed, diags);
    vsc_agent_reply_clear(&parsed);
    return -1;
  }
  *value = json_incref(parsed.value);
  vsc_agent_reply_clear(&parsed);
  return 0;
}

json_t *vsc_agent_call(vsc_agent *agent, const char *command, json_t *args, vsc_diags *diags)
{
  json_t *value;
  if (call(agent, command, args, false, &value, diags) < 0)
    return NULL;
  return value;
}


json_t *vsc_agent_call_typed(vsc_agent *agent, const char *command, json_t *args, json_type type,
                             vsc_diags *diags)
{
  json_t *value = vsc_agent_call(agent, command, args, diags);
  if (!value)
    return NULL;
  if (json_typeof(value) != type) {
    VSC_AUTOFREE(char) text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    VSC_AUTOFREE(char) shown = vsc_agent_printable(text ? text : "", 80);
    vsc_error_peer(diags, NULL, "agent-bad-reply",
                   "the agent in the guest does not speak the qemu-ga protocol as expected",
                   "'%s' on %s returned %s where %s was expected: %s", command, agent->where,
                   vsc_json_type_name(json_typeof(value)), vsc_json_type_name(type), shown);
    json_decref(value);
    return NULL;
  }
  return value;
}

int vsc_agent_call_no_reply(vsc_agent *agent, const char *command, json_t *args, vsc_diags *diags)
{
  json_t *value;
  if (call(agent, command, args, true, &value, diags) < 0)
    return -1;
  json_decref(value);
  return 0;
}

json_t *vsc_agent_raw(vsc_agent *agent, const char *text, vsc_diags *diags)
{
  json_error_t error;
  json_auto_t *request = json_loads(text, JSON_REJECT_DUPLICATES, &error);
  const char *command;
  json_t *args = NULL;
  json_t *value;

  if (!request) {
    vsc_error_usage(diags, NULL, "agent-raw-json", "write the command as one JSON object",
                    "the raw command is not valid JSON: %s (column %d)", error.text, error.column);
    return NULL;
  }
  if (json_unpack_ex(request, &error, JSON_STRICT, "{s:s, s?o}", "execute", &command,
                     "arguments", &args) < 0) {
    vsc_error_usage(diags, NULL, "agent-raw-json",
                    "example: '{\"execute\": \"guest-get-time\"}'; \"arguments\" is optional",
                    "the raw command must be {\"execute\": NAME, \"arguments\": {...}}: %s",
                    error.text);
    return NULL;
  }
  if (args && !json_is_object(args)) {
    vsc_error_usage(diags, NULL, "agent-raw-json", "example: '{\"execute\": \"guest-file-close\", "
                    "\"arguments\": {\"handle\": 1000}}'",
                    "the \"arguments\" of the raw command must be an object");
    return NULL;
  }
  bool no_reply = vsc_agent_command_has_no_reply(command);
  if (call(agent, command, json_incref(args), no_reply, &value, diags) < 0)
    return NULL;
  return value ? value : json_null();
}

int vsc_agent_ping(vsc_agent *agent, vsc_diags *diags)
{
  json_t *value = vsc_agent_call_typed(agent, "guest-ping", NULL, JSON_OBJECT, diags);
  json_decref(value);
  return value ? 0 : -1;
}

json_t *vsc_agent_info(vsc_agent *agent, vsc_diags *diags)
{
  json_t *info = vsc_agent_call_typed(agent, "guest-info", NULL, JSON_OBJECT, diags);
  if (info && !json_is_array(json_object_get(info, "supported_commands"))) {
    vsc_error_peer(diags, NULL, "agent-bad-reply", "the agent in the guest may not be qemu-ga",
                   "'guest-info' on %s has no \"supported_commands\" list", agent->where);
    json_decref(info);
    return NULL;
  }
  return info;
}

bool vsc_agent_info_enabled(json_t *info, const char *command)
{
  json_t *list = json_object_get(info, "supported_commands");
  size_t i;
  json_t *item;

  json_array_foreach(list, i, item) {
    const char *name = json_string_value(json_object_get(item, "name"));
    if (name && strcmp(name, command) == 0)
      return json_is_true(json_object_get(item, "enabled"));
  }
  return false;
}

json_t *vsc_agent_osinfo(vsc_agent *agent, vsc_diags *diags)
{
  return vsc_agent_call_typed(agent, "guest-get-osinfo", NULL, JSON_OBJECT, diags);
}

char *vsc_agent_hostname(vsc_agent *agent, vsc_diags *diags)
{
  json_auto_t *value = vsc_agent_call_typed(agent, "guest-get-host-name", NULL, JSON_OBJECT, diags);
  if (!value)
    return NULL;
  const char *name = json_string_value(json_object_get(value, "host-name"));
  if (!name) {
    vsc_error_peer(diags, NULL, "agent-bad-reply", "the agent in the guest may not be qemu-ga",
                   "'guest-get-host-name' on %s returned no \"host-name\" string", agent->where);
    return NULL;
  }
  return vsc_strdup(name);
}

int vsc_agent_time(vsc_agent *agent, int64_t *ns, vsc_diags *diags)
{
  json_t *value = vsc_agent_call_typed(agent, "guest-get-time", NULL, JSON_INTEGER, diags);
  if (!value)
    return -1;
  *ns = (int64_t)json_integer_value(value);
  json_decref(value);
  return 0;
}

json_t *vsc_agent_interfaces(vsc_agent *agent, vsc_diags *diags)
{
  return vsc_agent_call_typed(agent, "guest-network-get-interfaces", NULL, JSON_ARRAY, diags);
}

json_t *vsc_agent_fsinfo(vsc_agent *agent, vsc_diags *diags)
{
  return vsc_agent_call_typed(agent, "guest-get-fsinfo", NULL, JSON_ARRAY, diags);
}

json_t *vsc_agent_users(vsc_agent *agent, vsc_diags *diags)
{
  return vsc_agent_call_typed(agent, "guest-get-users", NULL, JSON_ARRAY, diags);
}

json_t *vsc_agent_fsfreeze(vsc_agent *agent, vsc_agent_fsfreeze_op op, vsc_diags *diags)
{
  switch (op) {
  case VSC_AGENT_FSFREEZE_STATUS:
    return vsc_agent_call_typed(agent, "guest-fsfreeze-status", NULL, JSON_STRING, diags);
  case VSC_AGENT_FSFREEZE_FREEZE:
    return vsc_agent_call_typed(agent, "guest-fsfreeze-freeze", NULL, JSON_INTEGER, diags);
  case VSC_AGENT_FSFREEZE_THAW:
    return vsc_agent_call_typed(agent, "guest-fsfreeze-thaw", NULL, JSON_INTEGER, diags);
  }
  return NULL;
}

int vsc_agent_power(vsc_agent *agent, vsc_agent_power_op op, vsc_diags *diags)
{
  const char *mode = "powerdown";
  switch (op) {
  case VSC_AGENT_POWER_SHUTDOWN:
    mode = "powerdown";
    break;
  case VSC_AGENT_POWER_REBOOT:
    mode = "reboot";
    break;
  }
  return vsc_agent_call_no_reply(agent, "guest-shutdown", json_pack("{s:s}", "mode", mode), diags);
}

int vsc_agent_set_password(vsc_agent *agent, const char *user, const char *password, bool crypted,
                           vsc_diags *diags)
{
  VSC_AUTOFREE(char) encoded = vsc_base64_encode(password, strlen(password));
  json_t *value = vsc_agent_call_typed(agent, "guest-set-user-password",
                                       json_pack("{s:s, s:s, s:b}", "username", user,
                                                 "password", encoded, "crypted", crypted),
                                       JSON_OBJECT, diags);
  /* Our copy at least does not linger in freed memory. */
  explicit_bzero(encoded, strlen(encoded));
  json_decref(value);
  return value ? 0 : -1;
}
