/* vschan agent set-password: set a guest user's password, read from
 * standard input. */
#define _GNU_SOURCE
#include "agent-verb.h"

#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

enum { OPT_CRYPTED = 0x310 };

const struct option agent_password_options[] = {
  { "crypted", no_argument, NULL, OPT_CRYPTED },
  { NULL, 0, NULL, 0 },
};

int agent_password_option(agent_call *call, int opt, const char *arg)
{
  (void)arg;
  if (opt == OPT_CRYPTED)
    call->crypted = true;
  return 0;
}

/* One line of standard input, without echo on a terminal. */
static char *read_password(const char *user, vsc_diags *diags)
{
  struct termios old, quiet;
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  char *line = NULL;
  size_t cap = 0;

  if (tty) {
    fprintf(stderr, "new password for '%s': ", user);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  ssize_t n = getline(&line, &cap, stdin);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  if (n <= 0) {
    free(line);
    vsc_error_io(diags, NULL, "agent-local-io", "write the password as one line on standard input",
                 "no password on standard input");
    return NULL;
  }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  return line;
}

int agent_run_set_password(agent_call *call)
{
  const char *user = call->argv[0];

  char *password = read_password(user, call->diags);
  if (!password)
    return agent_report(call);
  if (!*password) {
    free(password);
    return vsc_cli_usage_error("agent", "the password on standard input is empty");
  }
  int rc = vsc_agent_set_password(call->agent, user, password, call->crypted, call->diags);
  explicit_bzero(password, strlen(password));
  free(password);
  if (rc < 0)
    return agent_report(call);
  if (call->json)
    fputs("{}\n", stdout);
  else if (call->cli->verbosity >= 0)
    printf("password of '%s' set\n", user);
  return VSC_EXIT_OK;
}
