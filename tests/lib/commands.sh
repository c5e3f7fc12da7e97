# shellcheck shell=sh
# The commands of src/cli/commands.def, for tests that check something
# per command.  Source it, then:
#   vsct_commands SRC            the command names, one a line
#   vsct_commands_declared SRC   how many VSC_*COMMAND lines there are, so
#                                a caller can check the names were all read
#   vsct_command_needs SRC NAME  what the entry of NAME says it needs
#                                (VSC_CMD_DEVICES, VSC_CMD_JSON, or 0)
vsct_commands() {
  sed -n 's/^VSC_\(LIBVIRT_\)\{0,1\}COMMAND([a-z_]*, "\([a-z-]*\)".*/\2/p' "$1/src/cli/commands.def"
}
vsct_commands_declared() {
  grep -c '^VSC_[A-Z_]*COMMAND(' "$1/src/cli/commands.def"
}
vsct_command_needs() {
  sed -n 's/^VSC_\(LIBVIRT_\)\{0,1\}COMMAND([a-z_]*, "'"$2"'", *\([^,]*\),.*/\2/p' "$1/src/cli/commands.def"
}
