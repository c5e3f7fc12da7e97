/* The table of 'vschan agent' verbs, and the verbs that ask the agent
 * one thing and print the answer. */
#include "agent-verb.h"

#include "util/buf.h"

#include <string.h>
#include <time.h>

/* Strings from the guest are untrusted: never let them reach the terminal
 * as they are. */
static char *shown(const char *text)
{
  return vsc_agent_printable(text ? text : "-", 200);
}

static const char *str(json_t *object, const char *key)
{
  return json_string_value(json_object_get(object, key));
}

/* ---- ping ---- */

static json_t *ask_ping(agent_call *call)
{
  return vsc_agent_ping(call->agent, call->diags) < 0 ? NULL : json_object();
}

static void show_ping(agent_call *call, json_t *answer)
{
  (void)answer;
  if (call->cli->verbosity >= 0)
    puts("the guest agent answers");
}

/* ---- info ---- */

static json_t *ask_info(agent_call *call)
{
  return vsc_agent_info(call->agent, call->diags);
}

static void show_info(agent_call *call, json_t *info)
{
  json_t *list = json_object_get(info, "supported_commands");
  VSC_AUTOFREE(char) version = shown(str(info, "version"));
  size_t i;
  json_t *item;

  (void)call;
  printf("qemu-ga %s, %zu commands\n\n", version, json_array_size(list));
  printf("%-36s %-8s %s\n", "COMMAND", "ENABLED", "REPLIES");
  json_array_foreach(list, i, item) {
    VSC_AUTOFREE(char) name = shown(str(item, "name"));
    json_t *reply = json_object_get(item, "success-response");
    printf("%-36s %-8s %s\n", name, json_is_true(json_object_get(item, "enabled")) ? "yes" : "no",
           json_is_false(reply) ? "no" : "yes");
  }
}

/* ---- osinfo ---- */

static json_t *ask_osinfo(agent_call *call)
{
  return vsc_agent_osinfo(call->agent, call->diags);
}

static void show_osinfo(agent_call *call, json_t *os)
{
  static const char *const order[] = {
    "pretty-name", "name", "id", "version", "version-id", "variant", "variant-id",
    "kernel-release", "kernel-version", "machine",
  };
  const char *key;
  json_t *value;

  (void)call;
  for (size_t i = 0; i < VSC_N_ELEMENTS(order); i++)
    if (json_is_string(json_object_get(os, order[i]))) {
      VSC_AUTOFREE(char) v = shown(str(os, order[i]));
      printf("%-16s %s\n", order[i], v);
    }
  /* Fields a newer agent adds. */
  json_object_foreach(os, key, value) {
    bool known = false;
    for (size_t i = 0; i < VSC_N_ELEMENTS(order); i++)
      known |= strcmp(key, order[i]) == 0;
    if (known || !json_is_string(value))
      continue;
    VSC_AUTOFREE(char) k = shown(key);
    VSC_AUTOFREE(char) v = shown(json_string_value(value));
    printf("%-16s %s\n", k, v);
  }
}

/* ---- hostname ---- */

static json_t *ask_hostname(agent_call *call)
{
  VSC_AUTOFREE(char) name = vsc_agent_hostname(call->agent, call->diags);
  return name ? json_pack("{s:s}", "host-name", name) : NULL;
}

static void show_hostname(agent_call *call, json_t *answer)
{
  VSC_AUTOFREE(char) s = shown(str(answer, "host-name"));
  (void)call;
  puts(s);
}

/* ---- time ---- */

static json_t *ask_time(agent_call *call)
{
  int64_t ns;
  return vsc_agent_time(call->agent, &ns, call->diags) < 0 ? NULL : json_integer(ns);
}

static void show_time(agent_call *call, json_t *answer)
{
  int64_t ns = json_integer_value(answer);
  time_t secs = (time_t)(ns / 1000000000);
  long frac = (long)(ns % 1000000000);
  struct tm tm;
  char when[64];

  (void)call;
  if (frac < 0) {
    secs--;
    frac += 1000000000;
  }
  if (!gmtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
    snprintf(when, sizeof(when), "?");
  printf("%s.%09ldZ\n", when, frac);
}

/* ---- interfaces ---- */

static json_t *ask_interfaces(agent_call *call)
{
  return vsc_agent_interfaces(call->agent, call->diags);
}

static void show_interfaces(agent_call *call, json_t *list)
{
  size_t i, j;
  json_t *nic, *addr;

  (void)call;
  printf("%-16s %-18s %s\n", "NAME", "MAC", "ADDRESSES");
  json_array_foreach(list, i, nic) {
    VSC_AUTOFREE(char) name = shown(str(nic, "name"));
    VSC_AUTOFREE(char) mac = shown(str(nic, "hardware-address"));
    vsc_buf addrs = { 0 };
    vsc_buf_add(&addrs, "");
    json_array_foreach(json_object_get(nic, "ip-addresses"), j, addr) {
      VSC_AUTOFREE(char) ip = shown(str(addr, "ip-address"));
      json_t *prefix = json_object_get(addr, "prefix");
      vsc_buf_printf(&addrs, "%s%s", addrs.len ? ", " : "", ip);
      if (json_is_integer(prefix))
        vsc_buf_printf(&addrs, "/%jd", (intmax_t)json_integer_value(prefix));
    }
    VSC_AUTOFREE(char) joined = vsc_buf_steal(&addrs);
    printf("%-16s %-18s %s\n", name, mac, *joined ? joined : "-");
  }
}

/* ---- fsinfo ---- */

static void human_size(json_t *bytes, char *out, size_t n)
{
  static const char units[] = "KMGTPE";
  if (!json_is_integer(bytes)) {
    snprintf(out, n, "-");
    return;
  }
  double v = (double)json_integer_value(bytes);
  int u = -1;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  if (u < 0)
    snprintf(out, n, "%.0fB", v);
  else
    snprintf(out, n, "%.1f%ci", v, units[u]);
}

static json_t *ask_fsinfo(agent_call *call)
{
  return vsc_agent_fsinfo(call->agent, call->diags);
}

static void show_fsinfo(agent_call *call, json_t *list)
{
  size_t i;
  json_t *fs;

  (void)call;
  printf("%-24s %-8s %-10s %9s %9s  %s\n", "MOUNTPOINT", "TYPE", "NAME", "USED", "TOTAL", "DISKS");
  json_array_foreach(list, i, fs) {
    VSC_AUTOFREE(char) mount = shown(str(fs, "mountpoint"));
    VSC_AUTOFREE(char) type = shown(str(fs, "type"));
    VSC_AUTOFREE(char) name = shown(str(fs, "name"));
    char used[32], total[32];
    vsc_buf disks = { 0 };
    size_t j;
    json_t *disk;
    human_size(json_object_get(fs, "used-bytes"), used, sizeof(used));
    human_size(json_object_get(fs, "total-bytes"), total, sizeof(total));
    vsc_buf_add(&disks, "");
    json_array_foreach(json_object_get(fs, "disk"), j, disk) {
      VSC_AUTOFREE(char) dev = shown(str(disk, "dev") ? str(disk, "dev") : str(disk, "serial"));
      vsc_buf_printf(&disks, "%s%s", disks.len ? ", " : "", dev);
    }
    VSC_AUTOFREE(char) joined = vsc_buf_steal(&disks);
    printf("%-24s %-8s %-10s %9s %9s  %s\n", mount, type, name, used, total,
           *joined ? joined : "-");
  }
}

/* ---- users ---- */

static json_t *ask_users(agent_call *call)
{
  return vsc_agent_users(call->agent, call->diags);
}

static void show_users(agent_call *call, json_t *list)
{
  size_t i;
  json_t *user;

  (void)call;
  printf("%-20s %-16s %s\n", "USER", "DOMAIN", "LOGIN-TIME");
  json_array_foreach(list, i, user) {
    VSC_AUTOFREE(char) name = shown(str(user, "user"));
    VSC_AUTOFREE(char) domain = shown(str(user, "domain"));
    json_t *login = json_object_get(user, "login-time");
    char when[64] = "-";
    if (json_is_number(login)) {
      time_t t = (time_t)json_number_value(login);
      struct tm tm;
      if (gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    printf("%-20s %-16s %s\n", name, domain, when);
  }
}

/* ---- fsfreeze ---- */

/* In the order of vsc_agent_fsfreeze_op. */
static const char *const fsfreeze_actions[] = { "status", "freeze", "thaw" };

static int fsfreeze_action(const agent_call *call)
{
  for (size_t i = 0; i < VSC_N_ELEMENTS(fsfreeze_actions); i++)
    if (strcmp(call->argv[0], fsfreeze_actions[i]) == 0)
      return (int)i;
  return -1;
}

static int check_fsfreeze(agent_call *call)
{
  if (fsfreeze_action(call) < 0)
    return vsc_cli_usage_error("agent", "unknown fsfreeze action '%s': give status, freeze or thaw",
                               call->argv[0]);
  return 0;
}

static json_t *ask_fsfreeze(agent_call *call)
{
  return vsc_agent_fsfreeze(call->agent, (vsc_agent_fsfreeze_op)fsfreeze_action(call), call->diags);
}

static void show_fsfreeze(agent_call *call, json_t *answer)
{
  switch ((vsc_agent_fsfreeze_op)fsfreeze_action(call)) {
  case VSC_AGENT_FSFREEZE_STATUS: {
    VSC_AUTOFREE(char) s = shown(json_string_value(answer));
    puts(s);
    break;
  }
  case VSC_AGENT_FSFREEZE_FREEZE:
    printf("%jd file systems frozen\n", (intmax_t)json_integer_value(answer));
    break;
  case VSC_AGENT_FSFREEZE_THAW:
    printf("%jd file systems thawed\n", (intmax_t)json_integer_value(answer));
    break;
  }
}

/* ---- shutdown, reboot ---- */

static bool is_reboot(const agent_call *call)
{
  return strcmp(call->verb->name, "reboot") == 0;
}

static json_t *ask_power(agent_call *call)
{
  vsc_agent_power_op op = is_reboot(call) ? VSC_AGENT_POWER_REBOOT : VSC_AGENT_POWER_SHUTDOWN;
  return vsc_agent_power(call->agent, op, call->diags) < 0 ? NULL : json_null();
}

static void show_power(agent_call *call, json_t *answer)
{
  (void)answer;
  if (call->cli->verbosity >= 0)
    printf("%s requested (the agent sends no reply when it complies)\n",
           is_reboot(call) ? "reboot" : "shutdown");
}

/* ---- raw ---- */

static json_t *ask_raw(agent_call *call)
{
  return vsc_agent_raw(call->agent, call->argv[0], call->diags);
}

/* The return value is the output, with or without --json. */
static void show_raw(agent_call *call, json_t *answer)
{
  (void)call;
  vsc_cli_print_json(json_incref(answer), JSON_ENCODE_ANY);
}

/* ---- the table ---- */

const agent_verb agent_verbs[] = {
  { .name = "ping", .ask = ask_ping, .show = show_ping },
  { .name = "info", .ask = ask_info, .show = show_info },
  { .name = "osinfo", .ask = ask_osinfo, .show = show_osinfo },
  { .name = "hostname", .ask = ask_hostname, .show = show_hostname },
  { .name = "time", .ask = ask_time, .show = show_time },
  { .name = "interfaces", .ask = ask_interfaces, .show = show_interfaces },
  { .name = "fsinfo", .ask = ask_fsinfo, .show = show_fsinfo },
  { .name = "users", .ask = ask_users, .show = show_users },
  { .name = "exec", .min_args = 1, .max_args = -1,
    .wrong_count = "exec needs a program: 'exec [OPTIONS] -- PROGRAM [ARG]...'",
    .options = agent_exec_options, .option = agent_exec_option, .stops_at_operand = true,
    .run = agent_run_exec },
  { .name = "file-get", .min_args = 2, .max_args = 2, .run = agent_run_file_get },
  { .name = "file-put", .min_args = 2, .max_args = 2, .run = agent_run_file_put },
  { .name = "fsfreeze", .min_args = 1, .max_args = 1, .check = check_fsfreeze,
    .ask = ask_fsfreeze, .show = show_fsfreeze },
  { .name = "shutdown", .ask = ask_power, .show = show_power },
  { .name = "reboot", .ask = ask_power, .show = show_power },
  { .name = "set-password", .min_args = 1, .max_args = 1,
    .wrong_count = "set-password takes one USER; the password comes on stdin",
    .options = agent_password_options, .option = agent_password_option,
    .run = agent_run_set_password },
  { .name = "raw", .min_args = 1, .max_args = 1, .ask = ask_raw, .show = show_raw },
};
const size_t agent_nverbs = VSC_N_ELEMENTS(agent_verbs);

const agent_verb *agent_verb_find(const char *name)
{
  for (size_t i = 0; i < agent_nverbs; i++)
    if (strcmp(agent_verbs[i].name, name) == 0)
      return &agent_verbs[i];
  return NULL;
}
