#!/bin/sh
# The manuals render without warnings, every command and long option in
# the code appears in vschan(1), and every command's --help has a synopsis,
# options and examples.  Usage: check-man.sh SOURCE_DIR [VSCHAN]
set -u
src=$1
vschan=${2:-}
. "$src/tests/lib/test.sh"
for tool in mandoc groff; do
  command -v $tool >/dev/null || skip "$tool is missing (Debian packages mandoc, groff-base)"
done
for page in "$src"/man/*.[15]; do
  out=$(mandoc -Tlint -W warning "$page" 2>&1; groff -ww -man -z "$page" 2>&1)
  if [ -n "$out" ]; then fail "$(basename "$page") has warnings:"; test_quote "$out"; else ok "$(basename "$page") renders without warnings"; fi
done

man1="$src/man/vschan.1"
# Commands: the names in the command table, both kinds (VSC_COMMAND and
# VSC_LIBVIRT_COMMAND); all of them, or the checks below check too little.
. "$src/tests/lib/commands.sh"
commands=$(vsct_commands "$src")
declared=$(vsct_commands_declared "$src")
check "read $(echo "$commands" | wc -w) command names of $declared declared in commands.def" \
  '[ "$(echo "$commands" | wc -w)" -eq "$declared" ] && [ "$declared" -ge 12 ]'
for cmd in $commands; do
  if grep -q "^\.SS vschan $(echo "$cmd" | sed 's/-/\\\\-/g')" "$man1"; then ok "command '$cmd' has a section in vschan(1)"; else fail "command '$cmd' has no section in vschan(1)"; fi
done
# Options: every long option of every getopt table in src/cli.
for opt in $(grep -ho '{ "[a-z][a-z-]*", *\(no\|required\|optional\)_argument' "$src"/src/cli/*.c "$src"/src/cli/*.h | sed 's/{ "\([^"]*\)".*/\1/' | sort -u); do
  pat=$(echo "$opt" | sed 's/-/\\\\-/g')
  if grep -q "\\\\-\\\\-$pat" "$man1"; then ok "option '--$opt' is in vschan(1)"; else fail "option '--$opt' is not in vschan(1)"; fi
done
# Options per command: each option of src/cli/cmd-NAME.c (its getopt
# tables, with the shared VSC_*_OPTIONS macros of src/cli/*.h expanded, and
# its short options; for agent also its verbs' files, agent-*.c), and those
# its entry in commands.def asks src/cli/args.c to read (--json, the device
# options), appears in the section of that command, so an option of add
# documented only under xml fails.  The global options belong in GLOBAL
# OPTIONS.
macro_options() {
  found=$(sed -s -n "/^#define $1\\b/,/[^\\\\]\$/p" "$src"/src/cli/*.h | grep -o '{ "[a-z][a-z-]*"' | sed 's/{ "//; s/"//')
  [ -n "$found" ] || echo "MISSING-MACRO-$1"
  echo "$found"
}
long_options() {
  grep -ho '{ "[a-z][a-z-]*", *\(no\|required\|optional\)_argument' "$@" | sed 's/{ "\([^"]*\)".*/\1/'
  for macro in $(grep -ho 'VSC_[A-Z_]*_OPTIONS' "$@" | sort -u); do
    macro_options "$macro"
  done
}
needed_options() {
  case $(vsct_command_needs "$src" "$1") in *VSC_CMD_JSON*) echo json ;; esac
  case $(vsct_command_needs "$src" "$1") in *VSC_CMD_DEVICES*) macro_options VSC_CLI_INPUT_OPTIONS ;; esac
}
short_options() {
  grep -ho '\(getopt_long(argc, argv\|vsc_cli_args_options(&a, [a-z_]*\), "[^"]*"' "$@" | sed 's/.*"\(.*\)"/\1/' | tr -d '+:h' | fold -w1
}
# section TITLE-REGEX: the lines of the man page from that heading to the next.
section() {
  awk -v re="$1" '/^\.S[HS] / { on = ($0 ~ re) } on' "$man1"
}
check_section() {  # LABEL SECTION-TEXT OPTION...
  label=$1 text=$2
  shift 2
  for opt in "$@"; do
    case $opt in
      help) continue ;;
      MISSING-MACRO-*) fail "$label uses ${opt#MISSING-MACRO-}, whose #define is not in src/cli/*.h"; continue ;;
      ?) dashes='\\-' ;;
      *) dashes='\\-\\-' ;;
    esac
    pat=$(echo "$opt" | sed 's/-/\\\\-/g')
    if echo "$text" | grep -Eq "$dashes$pat([^a-z\\]|\\\\[^-]|\$)"; then
      ok "option '$(echo "$dashes" | tr -d '\\')$opt' of $label is in its section of vschan(1)"; else
      fail "option '$(echo "$dashes" | tr -d '\\')$opt' of $label is not in its section of vschan(1)"; fi
  done
}
check_section "the global options" "$(section '^\.SH GLOBAL OPTIONS')" $(long_options "$src/src/cli/main.c") $(short_options "$src/src/cli/main.c")
for cmd in $commands; do
  file="$src/src/cli/cmd-$cmd.c"
  if [ ! -f "$file" ]; then fail "command '$cmd' has no $file"; continue; fi
  files=$file
  [ "$cmd" = agent ] && files="$file $(ls "$src"/src/cli/agent-*.c 2>/dev/null)"
  if [ -n "$(vsct_command_needs "$src" "$cmd")" ]; then ok "read the needs of '$cmd' from commands.def"; else
    fail "read no needs of '$cmd' from commands.def"; fi
  text=$(section "^\\.SS vschan $(echo "$cmd" | sed 's/-/\\\\\\\\-/g')( |\$)")
  # shellcheck disable=SC2086
  check_section "'vschan $cmd'" "$text" $( (long_options $files; needed_options "$cmd") | sort -u) \
    $(short_options $files | sort -u)
done
# The compact option syntax: every key the parser compares against (its
# key_is/strcmp/strncmp calls in src/spec/option.c) appears as a word in
# the OPTION SYNTAX section of vschan-spec(5); a prefix key ("address.")
# appears followed by something.
man5="$src/man/vschan-spec.5"
optsec=$(sed -n '/^\.SH OPTION SYNTAX/,/^\.SH /p' "$man5")
keys=$(grep -o '\(key_is(p, \|strn\{0,1\}cmp(\)key, [^)]*)' "$src/src/spec/option.c" | grep -o '"[^"]*"' | tr -d '"' | sort -u)
if [ "$(echo "$keys" | wc -w)" -ge 25 ]; then ok "read $(echo "$keys" | wc -w) option keys from src/spec/option.c"; else
  fail "read only $(echo "$keys" | wc -w) option keys from src/spec/option.c: the parser changed shape, update this test"; fi
for key in $keys; do
  re=$(printf '%s' "$key" | sed 's/\./\\./g')
  case $key in
    *.) pat="(^|[^A-Za-z0-9_.])$re[^ ]" ;;
    *) pat="(^|[^A-Za-z0-9_.])$re([^A-Za-z0-9_.]|\\.([^a-z]|\$)|\$)" ;;
  esac
  if echo "$optsec" | grep -Eq "$pat"; then ok "option key '$key' is in the OPTION SYNTAX section of vschan-spec(5)"; else
    fail "option key '$key' is not in the OPTION SYNTAX section of vschan-spec(5)"; fi
done
# Every rule of the model (its table in src/model/rules.c) has an entry
# in the RULES section of vschan-spec(5): messages name rules by id.
rulesec=$(sed -n '/^\.SH RULES/,/^\.SH /p' "$man5")
rules=$(sed -n 's/^  { "\([a-z0-9-]*\)", VSC_SEV_[A-Z]*, VSC_CLASS_[A-Z]*, VSC_LAYER_RULES,.*/\1/p' "$src/src/model/rules.c")
if [ "$(echo "$rules" | wc -w)" -ge 40 ]; then ok "read $(echo "$rules" | wc -w) rules from src/model/rules.c"; else
  fail "read only $(echo "$rules" | wc -w) rules from src/model/rules.c: the table changed shape, update this test"; fi
for rule in $rules; do
  if echo "$rulesec" | grep -Eq "^\.BR? (.*[ \"])?$rule([ ,\"]|\$)"; then ok "rule '$rule' has an entry in the RULES section of vschan-spec(5)"; else
    fail "rule '$rule' has no entry in the RULES section of vschan-spec(5)"; fi
done
if [ -n "$vschan" ]; then
  for cmd in $commands; do
    help=$("$vschan" "$cmd" --help 2>&1)
    for part in '^usage: vschan' '^Options:' '^Examples*:'; do
      if echo "$help" | grep -q "$part"; then ok "'vschan $cmd --help' has $part"; else fail "'vschan $cmd --help' lacks $part"; fi
    done
    if [ "$("$vschan" help "$cmd" 2>&1)" = "$help" ]; then ok "'vschan help $cmd' is 'vschan $cmd --help'"; else fail "'vschan help $cmd' differs from 'vschan $cmd --help'"; fi
  done
fi
summary
