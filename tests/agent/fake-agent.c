/* A hostile (or, with "good", a well-behaved) fake qemu-ga for the tests.
 *
 *   vschan-fake-agent SOCKET SCENARIO [LOG]
 *
 * Listens on the unix socket SOCKET and serves one connection at a time,
 * like QEMU's chardev.  Requests are parsed as qemu-ga does (0xFF bytes
 * are dropped, and answered with a parse error); each request's name and
 * arguments go to LOG, one line each, so tests can check what was sent.
 * SCENARIO picks the misbehaviour; see the table at the bottom.  It exits
 * on SIGTERM, when its parent dies, or after 60 s without a connection. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *scenario;
static FILE *log_file;
static int client = -1;
static bool trickling;        /* send one byte every TRICKLE_MS */
static int exec_polls;        /* guest-exec-status calls so far */
#define TRICKLE_MS 20

static bool is(const char *name)
{
  return strcmp(scenario, name) == 0;
}

static void sleep_us(long us)
{
  struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

/* Blocking writes; a client that went away is not our problem. */
static int send_bytes(const void *data, size_t n)
{
  const char *p = data;
  while (n > 0) {
    ssize_t w = send(client, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* "split": every reply goes out a few bytes at a time. */
static void send_text(const char *text, size_t n)
{
  if (!is("split")) {
    send_bytes(text, n);
    return;
  }
  for (size_t i = 0; i < n; i += 3) {
    send_bytes(text + i, n - i < 3 ? n - i : 3);
    sleep_us(300);
  }
}

static void send_json(json_t *reply)
{
  char *text = json_dumps(reply, JSON_COMPACT);
  size_t n = strlen(text);
  text = realloc(text, n + 2);
  text[n] = '\n';
  text[n + 1] = '\0';
  send_text(text, n + 1);
  free(text);
  json_decref(reply);
}

static void send_return(json_t *value)
{
  send_json(json_pack("{s:o}", "return", value));
}

static void send_error(const char *cls, const char *desc)
{
  send_json(json_pack("{s:{s:s, s:s}}", "error", "class", cls, "desc", desc));
}

static const char stray_error[] =
  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\uFFFD'\"}}\n";

/* "flood-ff" and "flood-stale": data as fast as the client takes it,
 * never the sync reply, until the client goes or FLOOD_S pass (so that a
 * client that ignores its deadline ends with "closed", not a hang). */
#define FLOOD_S 30
static void flood(void)
{
  static char chunk[65536];
  static const char stale[] = "\xff{\"return\": 1}\n";
  size_t n = 0;
  time_t end = time(NULL) + FLOOD_S;
  /* A deep queue (root may force it), so that the client finds data
   * waiting at every read however fast it is. */
  int size = 64 << 20;
  if (setsockopt(client, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
    setsockopt(client, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));

  if (is("flood-ff")) {
    memset(chunk, 0xff, sizeof(chunk));
    n = sizeof(chunk);
  } else {
    while (n + sizeof(stale) - 1 <= sizeof(chunk)) {
      memcpy(chunk + n, stale, sizeof(stale) - 1);
      n += sizeof(stale) - 1;
    }
  }
  while (time(NULL) < end && send_bytes(chunk, n) == 0) {
  }
}

/* Returns false to close the connection. */
static bool handle_sync(json_int_t id, bool saw_ff)
{
  char buf[4096];
  size_t n = 0;

  if (is("silence") || is("deaf") || is("trickle"))
    return true;
  if (is("flood-ff") || is("flood-stale")) {
    flood();
    return false;
  }
  if (saw_ff)
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", stray_error);
  if (is("garbage-before-sync")) {
    static const char garbage[] = "hello, I am not JSON\n"
                                  "\x00\x01\x02{\"return\"\n"
                                  "\x80\x81\xfe\xc3\x28 high bytes\n"
                                  "[1, 2, 3]\n"
                                  "{\"return\": 999}\n";
    memcpy(buf + n, garbage, sizeof(garbage) - 1);
    n += sizeof(garbage) - 1;
  }
  if (is("stale") || is("batch")) {
    /* Late replies of earlier clients, and their syncs. */
    n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                          "{\"return\": {}}\n"
                          "{\"return\": {\"host-name\": \"stale\"}}\n"
                          "\xff{\"return\": 1}\n"
                          "\xff{\"return\": %lld}\n",
                          (long long)id - 1);
  }
  n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\xff{\"return\": %lld}\n", (long long)id);
  /* Everything above in one write: several replies in one read. */
  if (is("split"))
    send_text(buf, n);
  else
    send_bytes(buf, n);
  return true;
}

static json_t *exec_status(void)
{
  if (++exec_polls < 3)
    return json_pack("{s:b}", "exited", 0);
  exec_polls = 0;
  return json_pack("{s:b, s:i, s:s, s:s, s:b}", "exited", 1, "exitcode", 3, "out-data", "b3V0Cg==",
                   "err-data", "ZXJyCg==", "out-truncated", 1);
}

/* How a well-behaved agent answers. */
static bool answer_good(const char *cmd, json_t *args)
{
  if (strcmp(cmd, "guest-ping") == 0) {
    send_return(json_object());
  } else if (strcmp(cmd, "guest-info") == 0) {
    json_t *list = json_array();
    static const char *const names[] = { "guest-ping", "guest-exec", "guest-shutdown" };
    for (size_t i = 0; i < 3; i++)
      json_array_append_new(list, json_pack("{s:s, s:b, s:b}", "name", names[i], "enabled",
                                            strcmp(names[i], "guest-exec") != 0 || !is("disabled"),
                                            "success-response", i != 2));
    send_return(json_pack("{s:s, s:o}", "version", "0.0-fake", "supported_commands", list));
  } else if (strcmp(cmd, "guest-get-host-name") == 0) {
    send_return(json_pack("{s:s}", "host-name", "fake"));
  } else if (strcmp(cmd, "guest-get-time") == 0) {
    send_return(json_integer(1795288610762502000LL));
  } else if (strcmp(cmd, "guest-fsfreeze-status") == 0) {
    send_return(json_string("thawed"));
  } else if (strcmp(cmd, "guest-fsfreeze-freeze") == 0 || strcmp(cmd, "guest-fsfreeze-thaw") == 0) {
    send_return(json_integer(2));
  } else if (strcmp(cmd, "guest-shutdown") == 0) {
    /* Success sends nothing; "shutdown-close" also hangs up, as QEMU
     * does when the guest powers off. */
    return !is("shutdown-close");
  } else if (strcmp(cmd, "guest-set-user-password") == 0) {
    /* base64 of "s3cret pass" */
    const char *user = json_string_value(json_object_get(args, "username"));
    const char *pw = json_string_value(json_object_get(args, "password"));
    if (user && pw && strcmp(user, "alice") == 0 && strcmp(pw, "czNjcmV0IHBhc3M=") == 0)
      send_return(json_object());
    else
      send_error("GenericError", "child process has failed to set user password");
  } else if (strcmp(cmd, "guest-exec") == 0) {
    if (is("disabled"))
      send_error("CommandNotFound", "Command guest-exec has been disabled");
    else
      send_return(json_pack("{s:i}", "pid", 4242));
  } else if (strcmp(cmd, "guest-exec-status") == 0) {
    send_return(exec_status());
  } else if (strcmp(cmd, "guest-file-open") == 0) {
    send_return(json_integer(1000));
  } else if (strcmp(cmd, "guest-file-read") == 0) {
    if (is("file-read-error"))
      send_error("GenericError", "simulated read failure");
    else if (is("file-read-silent"))
      ;
    else if (is("file-bad-b64"))
      send_return(json_pack("{s:i, s:s, s:b}", "count", 3, "buf-b64", "!!!!", "eof", 0));
    else
      send_return(json_pack("{s:i, s:s, s:b}", "count", 3, "buf-b64", "YWJj", "eof", 1));
  } else if (strcmp(cmd, "guest-file-close") == 0) {
    send_return(json_object());
  } else {
    char desc[256];
    snprintf(desc, sizeof(desc), "The command %s has not been found", cmd);
    send_error("CommandNotFound", desc);
  }
  return true;
}

/* Returns false to close the connection. */
static bool handle(json_t *req, bool saw_ff)
{
  const char *cmd = json_string_value(json_object_get(req, "execute"));
  json_t *args = json_object_get(req, "arguments");

  if (log_file) {
    char *a = args ? json_dumps(args, JSON_COMPACT) : strdup("{}");
    fprintf(log_file, "%s %s\n", cmd ? cmd : "?", a);
    fflush(log_file);
    free(a);
  }
  if (!cmd) {
    send_error("GenericError", "Invalid JSON syntax");
    return true;
  }
  if (strcmp(cmd, "guest-sync-delimited") == 0)
    return handle_sync(json_integer_value(json_object_get(args, "id")), saw_ff);
  if (saw_ff)
    send_bytes(stray_error, sizeof(stray_error) - 1);

  if (is("silent-command"))
    return true;
  if (is("garbage-reply")) {
    send_bytes("this is not json\n", 17);
  } else if (is("nul-reply")) {
    send_bytes("{\"return\": {}\0}\n", 16);
  } else if (is("highbytes-reply")) {
    send_bytes("\x80\x81\xc3\x28{\"return\": {}}\n", 19);
  } else if (is("not-object")) {
    send_bytes("[1, 2, 3]\n", 10);
  } else if (is("no-return")) {
    send_bytes("{\"result\": {}}\n", 15);
  } else if (is("wrong-type")) {
    send_return(json_integer(42));
  } else if (is("error-reply")) {
    send_error("GenericError", "boom \x1b[31mred\x1b[0m");
  } else if (is("oversize")) {
    /* 3 MiB in one line, well formed */
    size_t n = (size_t)3 << 20;
    char *big = malloc(n + 32);
    memcpy(big, "{\"return\": \"", 12);
    memset(big + 12, 'a', n);
    memcpy(big + 12 + n, "\"}\n", 3);
    send_bytes(big, n + 15);
    free(big);
  } else if (is("endless")) {
    char chunk[65536];
    memset(chunk, 'a', sizeof(chunk));
    send_bytes("{\"return\": \"", 12);
    while (send_bytes(chunk, sizeof(chunk)) == 0) {
    }
    return false;
  } else if (is("close-half")) {
    send_bytes("{\"return\": {\"host-na", 20);
    return false;
  } else if (is("trickle-reply")) {
    send_bytes("{\"return\": \"", 12);
    trickling = true;
  } else {
    return answer_good(cmd, args);
  }
  return true;
}

/* Split what the client sent into requests, as qemu-ga's streaming parser
 * would (our client always ends a request with a newline). */
static bool take_requests(char *buf, size_t *len)
{
  for (;;) {
    char *nl = memchr(buf, '\n', *len);
    if (!nl)
      return true;
    size_t n = (size_t)(nl - buf);
    bool saw_ff = false;
    static char line[4 << 20];
    size_t m = 0;
    for (size_t i = 0; i < n && m < sizeof(line); i++) {
      if ((unsigned char)buf[i] == 0xff)
        saw_ff = true;
      else
        line[m++] = buf[i];
    }
    memmove(buf, nl + 1, *len - n - 1);
    *len -= n + 1;
    json_t *req = json_loadb(line, m, 0, NULL);
    bool keep = true;
    if (req)
      keep = handle(req, saw_ff);
    else
      send_error("GenericError", "JSON parse error");
    json_decref(req);
    if (!keep)
      return false;
  }
}

static void serve(void)
{
  static char buf[4 << 20];
  size_t len = 0;

  trickling = is("trickle");
  if (is("close-immediately"))
    return;
  for (;;) {
    struct pollfd p = { .fd = client, .events = POLLIN };
    int r = poll(&p, 1, trickling ? TRICKLE_MS : 60000);
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0) {
      if (!trickling)
        return;
      if (send_bytes("x", 1) < 0)
        return;
      continue;
    }
    ssize_t n = recv(client, buf + len, sizeof(buf) - len, 0);
    if (n <= 0) {
      /* "deaf" keeps the connection open after the client's EOF, longer
       * than the tests' bound, so the client's drain runs into its own. */
      if (n == 0 && is("deaf"))
        sleep_us(FLOOD_S * 1000000L);
      return;
    }
    len += (size_t)n;
    if (!take_requests(buf, &len))
      return;
    if (len == sizeof(buf))
      return;
  }
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fputs("usage: vschan-fake-agent SOCKET SCENARIO [LOG]\n", stderr);
    return 2;
  }
  scenario = argv[2];
  if (argc > 3 && !(log_file = fopen(argv[3], "a"))) {
    perror(argv[3]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_IGN);

  /* Listen under a temporary name, then rename: the socket appears under
   * its name only once it takes connections (tests wait for the name). */
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.tmp", argv[1]);
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  unlink(argv[1]);
  unlink(sa.sun_path);
  if (srv < 0 || bind(srv, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv, 4) < 0 ||
      rename(sa.sun_path, argv[1]) < 0) {
    perror("fake agent: listen");
    return 2;
  }
  for (;;) {
    struct pollfd p = { .fd = srv, .events = POLLIN };
    if (poll(&p, 1, 60000) <= 0)
      break;
    client = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0)
      continue;
    exec_polls = 0;
    serve();
    close(client);
    client = -1;
  }
  unlink(argv[1]);
  return 0;
}
