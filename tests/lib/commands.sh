# shellcheck shell=sh
# The commands of src/cli/commands.def, for tests that check something
# per command.  Source it, then:
#   vsct_commands SRC            the command names, one a line
#   vsct_commands_declared SRC   how many VSC_*COMMAND lines there are, so
#                                a caller can check the names were all read
vsct_commands() {
  sed -n 's/^VSC_\(LIBVIRT_\)\{0,1\}COMMAND([a-z_]*, "\([a-z-]*\)".*/\2/p' "$1/src/cli/commands.def"
}
vsct_commands_declared() {
  grep -c '^VSC_[A-Z_]*COMMAND(' "$1/src/cli/commands.def"
}
