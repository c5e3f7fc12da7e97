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
zmodload zsh/zpty 2>/dev/null || {
  print "zsh/zpty is missing"
  [[ -n ${CI:-} ]] && exit 1
  exit 77
}
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
pass=0 fail=0
log=$tmp/log

zpty vsc zsh -f -i
# Drain what the shell prints, so it never blocks on a full terminal.
drain() { local out; while zpty -r -t vsc out 2>/dev/null; do :; done; return 0 }
# wait_file FILE: until FILE exists (10 s at most).
wait_file() {
  local n
  for n in {1..200}; do
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

# expect LINE WORD...: every WORD is among the completions of LINE.
expect() {
  local line=$1 w
  shift
  complete_line $line
  for w in "$@"; do
    if (( ${got[(Ie)$w]} )); then
      (( ++pass ))
    else
      print -r -- "FAIL '$line' should offer '$w'; got: $got"
      (( ++fail ))
    fi
  done
  return 0
}

# reject LINE WORD: WORD is not offered.
reject() {
  complete_line $1
  if (( ${got[(Ie)$2]} )); then
    print -r -- "FAIL '$1' should not offer '$2'"
    (( ++fail ))
  else
    (( ++pass ))
  fi
  return 0
}

expect "vschan te" template
expect "vschan q" qemu-args qm
reject "vschan q" xml
expect "vschan " xml template validate qemu-args qm agent add remove list apply wait-agent connect help
expect "vschan --ver" --version --verbose
expect "vschan xml --tem" --template --templates-dir
reject "vschan xml --tem" --timeout
expect "vschan add vm1 --ti" --timeout
expect "vschan apply vm1 --j" --json
expect "vschan connect --dr" --drain-timeout
reject "vschan xml --" --drain-timeout
expect "vschan xml --template gu" guest-agent guestfwd
reject "vschan xml --template gu" app-channel
expect "vschan add vm1 --template se" serial-pty serial-telnet
expect "vschan template " list show
expect "vschan template show se" serial-pty serial-telnet
expect "vschan qm 100 --print-c" --print-command
expect "vschan help q" qemu-args qm
expect "vschan xml --channel x --in" --into
if (( $+commands[virsh] )); then
  # libvirt's test driver always has a domain named 'test'
  expect "vschan -c test:///default agent te" test
  expect "vschan -c test:///default agent test " ping osinfo file-get
  expect "vschan --connect test:///default wait-agent te" test
  node="test://$src/tests/completions/testnode.xml"
  for cmd in add apply list remove connect wait-agent agent; do
    expect "vschan -c $node $cmd " vm1
  done
  reject "vschan -c $node remove " test
  expect "vschan --connect $node list v" vm1
  expect "vschan -c $node remove vm1 " ua-app org.example.app.0 serial0 console0
  expect "vschan -c $node connect vm1 ua" ua-app
  expect "vschan -c $node remove vm1 ua" ua-app
  reject "vschan -c $node remove vm1 ua" serial0
  expect "vschan -c $node remove vm1 ua-app " serial0
  reject "vschan -c $node connect vm1 ua-app " serial0
  # options before or between the positionals, with and without a value
  expect "vschan -c $node remove --live vm1 " ua-app serial0
  expect "vschan -c $node remove --timeout 5 vm1 " ua-app org.example.app.0
  expect "vschan -c $node remove --timeout=5 --config vm1 ua" ua-app
  expect "vschan -c $node remove vm1 --timeout 5 ua" ua-app
  # after "--" every word is an operand, even one that starts with '-'
  expect "vschan -c $node remove -- vm1 " ua-app serial0
  reject "vschan -c $node remove -- -x " vm1
  expect "vschan -c $node connect --escape ^A --force vm1 " ua-app serial0
else
  print "virsh is missing: domain completion not checked"
  [[ -n ${CI:-} ]] && (( ++fail ))
fi
print "$pass passed, $fail failed"
(( fail == 0 ))
