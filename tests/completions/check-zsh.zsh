# Drive the zsh completion in a real interactive zsh (on a pseudo-terminal,
# zsh/zpty) and check which words it offers for partial command lines.
# compadd is wrapped so that every word a completion function adds, and
# that matches what is on the line, is written to a log.
# Usage: zsh -f check-zsh.zsh VSCHAN SOURCE_DIR
emulate -L zsh
setopt err_return no_unset
vschan_bin=${1:A} src=${2:A}
# The file parses, with or without zpty to drive it.
zsh -n $src/completions/_vschan || { print "FAIL completions/_vschan does not parse"; exit 1 }
# ok, fail, skip, summary (POSIX sh: sourced as such).
emulate sh -c '. "$src/tests/lib/test.sh"'
zmodload zsh/zpty 2>/dev/null || skip "zsh/zpty is missing"
tmp=$(mktemp -d)
cleanup() {
  zpty -d vsc 2>/dev/null
  rm -rf $tmp
}
trap cleanup EXIT INT TERM
mkdir $tmp/bin
ln -s $vschan_bin $tmp/bin/vschan
export PATH=$tmp/bin:$PATH HOME=$tmp TERM=dumb
cd $tmp   # so that file completion lists nothing of the caller
log=$tmp/log

zpty vsc zsh -f -i
# Drain what the shell prints, so it never blocks on a full terminal.
drain() { local out; while zpty -r -t vsc out 2>/dev/null; do :; done; return 0 }
# wait_file FILE: until FILE exists (TEST_LONG_S at most).
wait_file() {
  local n
  for n in {1..$(( TEST_LONG_S * 20 ))}; do
    drain
    [[ -e $1 ]] && return 0
    sleep 0.05
  done
  return 1
}

# One line per command, so no prompt text ends up between them.
zpty -w vsc "PS1='' RPS1='' PS2=''; unsetopt beep auto_list list_ambiguous auto_menu menu_complete"
zpty -w vsc "fpath=(${(q)src}/completions \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w vsc "compadd() { setopt localoptions extendedglob; if (( \${argv[(I)-[[:alpha:]]#[OAD]*]} )); then builtin compadd \"\$@\"; return; fi; local -a m; builtin compadd -O m \"\$@\"; (( \$#m )) && print -rl -- \$m >> ${(q)log}.part; builtin compadd \"\$@\"; }"
zpty -w vsc "vsc-test() { : >| ${(q)log}.part; zle complete-word; mv ${(q)log}.part ${(q)log}; zle kill-whole-line; }"
zpty -w vsc "zle -N vsc-test; bindkey '^T' vsc-test; print ready > ${(q)tmp}/ready"
if ! wait_file $tmp/ready; then
  print "FAIL the zsh under test did not start"
  exit 1
fi
zpty -w vsc "print -r -- \${_comps[vschan]:-none} > ${(q)tmp}/comp"
wait_file $tmp/comp
if [[ $(<$tmp/comp) != _vschan ]]; then
  print "FAIL compinit did not pick up completions/_vschan for vschan"
  exit 1
fi

# complete LINE: the words offered for LINE (cursor at its end) in $got.
typeset -a got
complete_line() {
  rm -f $log
  zpty -w -n vsc "$1"$'\x14'
  if ! wait_file $log; then
    print "FAIL '$1': the completion did not finish"
    got=()
    return 0
  fi
  got=(${(f)"$(<$log)"})
}

# offers LINE WORD...: every WORD is among the completions of LINE.
offers() {
  local line=$1 w
  shift
  complete_line $line
  for w in "$@"; do
    if (( ${got[(Ie)$w]} )); then
      ok "'$line' offers '$w'"
    else
      fail "'$line' should offer '$w'; got: $got"
    fi
  done
  return 0
}

# refuses LINE WORD: WORD is not offered.
refuses() {
  complete_line $1
  if (( ${got[(Ie)$2]} )); then
    fail "'$1' should not offer '$2'"
  else
    ok "'$1' does not offer '$2'"
  fi
  return 0
}

offers "vschan te" template
offers "vschan q" qemu-args qm
refuses "vschan q" xml
offers "vschan " xml template validate qemu-args qm agent add remove list apply wait-agent connect help
offers "vschan --ver" --version --verbose
offers "vschan xml --tem" --template --templates-dir
refuses "vschan xml --tem" --timeout
offers "vschan add vm1 --ti" --timeout
offers "vschan apply vm1 --j" --json
offers "vschan connect --dr" --drain-timeout
refuses "vschan xml --" --drain-timeout
offers "vschan xml --template gu" guest-agent guestfwd
refuses "vschan xml --template gu" app-channel
offers "vschan add vm1 --template se" serial-pty serial-telnet
offers "vschan template " list show
offers "vschan template show se" serial-pty serial-telnet
offers "vschan qm 100 --print-c" --print-command
offers "vschan help q" qemu-args qm
offers "vschan xml --channel x --in" --into
if (( $+commands[virsh] )); then
  # libvirt's test driver always has a domain named 'test'
  offers "vschan -c test:///default agent te" test
  offers "vschan -c test:///default agent test " ping osinfo file-get
  offers "vschan --connect test:///default wait-agent te" test
  node="test://$src/tests/completions/testnode.xml"
  for cmd in add apply list remove connect wait-agent agent; do
    offers "vschan -c $node $cmd " vm1
  done
  refuses "vschan -c $node remove " test
  offers "vschan --connect $node list v" vm1
  offers "vschan -c $node remove vm1 " ua-app org.example.app.0 serial0 console0
  offers "vschan -c $node connect vm1 ua" ua-app
  offers "vschan -c $node remove vm1 ua" ua-app
  refuses "vschan -c $node remove vm1 ua" serial0
  offers "vschan -c $node remove vm1 ua-app " serial0
  refuses "vschan -c $node connect vm1 ua-app " serial0
  # options before or between the positionals, with and without a value
  offers "vschan -c $node remove --live vm1 " ua-app serial0
  offers "vschan -c $node remove --timeout 5 vm1 " ua-app org.example.app.0
  offers "vschan -c $node remove --timeout=5 --config vm1 ua" ua-app
  offers "vschan -c $node remove vm1 --timeout 5 ua" ua-app
  # after "--" every word is an operand, even one that starts with '-'
  offers "vschan -c $node remove -- vm1 " ua-app serial0
  refuses "vschan -c $node remove -- -x " vm1
  offers "vschan -c $node connect --escape ^A --force vm1 " ua-app serial0
else
  print "virsh is missing: domain completion not checked"
  [[ -n ${CI:-} ]] && fail "virsh is required in CI"
fi
summary
