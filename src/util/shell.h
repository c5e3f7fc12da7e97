/* Quoting for a POSIX shell: the one quoter for every command line vschan
 * prints for a person to run or to eval ('vschan qemu-args', 'vschan qm
 * --print-command').
 *
 * Proxmox's "args:" value is another dialect with its own quoter,
 * vsc_pve_args_quote in pve/args.c, next to the shellwords splitter it
 * is proved against: qemu-server splits it with Perl's Text::ParseWords::
 * shellwords, whose regex gives up on long unquoted runs and long runs of
 * backslash escapes (the whole line is then dropped), and it strips a
 * value that starts and ends with '"'.  That quoter writes quotes and
 * backslashes inside double quotes and quotes any long word; its output
 * stays as it is because configs on disk were written with it and the
 * merge of args: compares against them. */
#pragma once

#include "buf.h"

/* Append s to b as one word: as it is when it is made only of letters,
 * digits and "_@%+=:,./-" (and not empty), else in single quotes, with
 * every ' and \ written outside them ('it'\''s', 'a'\\'b').  Both a POSIX
 * shell and Perl's shellwords read the result back as s: inside single
 * quotes sh keeps a backslash as it is while shellwords takes \\ and \'
 * as escapes; outside quotes both read \' and \\ alike. */
void vsc_shell_quote(vsc_buf *b, const char *s);
