#!/bin/bash
# Load the bash completion in a real bash and check what COMPREPLY holds
# for partial command lines.  Usage: check-bash.sh VSCHAN SOURCE_DIR
set -u
vschan_bin=$(readlink -f "$1")
src=$2
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
ln -s "$vschan_bin" "$bindir/vschan"
export PATH="$bindir:$PATH"
# shellcheck source=/dev/null
. "$src/completions/vschan.bash"
pass=0 fail=0

# complete LINE: split LINE into words; the cursor is at its end.
complete_line() {
    read -r -a COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$1
    COMPREPLY=()
    _vschan
}

# expect LINE WORD...: every WORD is among the completions of LINE.
expect() {
    local line=$1 w
    shift
    complete_line "$line"
    for w in "$@"; do
        if printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$w"; then
            pass=$((pass + 1))
        else
            echo "FAIL '$line' should offer '$w'; got: ${COMPREPLY[*]}"
            fail=$((fail + 1))
        fi
    done
}

# reject LINE WORD: WORD is not offered.
reject() {
    complete_line "$1"
    if printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$2"; then
        echo "FAIL '$1' should not offer '$2'"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}

expect "vschan te" template
expect "vschan q" qemu-args qm
reject "vschan q" xml
expect "vschan " xml template qemu-args qm agent help
expect "vschan --ver" --version --verbose
expect "vschan xml --tem" --template --templates-dir
expect "vschan xml --template gu" guest-agent guestfwd
reject "vschan xml --template gu" app-channel
expect "vschan template " list show
expect "vschan template show se" serial-pty serial-telnet
expect "vschan qm 100 --print-c" --print-command
expect "vschan qemu-args --ar" --argv
expect "vschan help q" qemu-args qm
expect "vschan xml --channel x --in" --into
if command -v virsh >/dev/null; then
    # libvirt's test driver always has a domain named 'test'
    expect "vschan -c test:///default agent te" test
    # a test node with a domain that has character devices
    node="test://$src/tests/completions/testnode.xml"
    expect "vschan -c $node remove " vm1
    expect "vschan --connect $node list v" vm1
    expect "vschan -c $node remove vm1 " ua-app org.example.app.0 serial0 console0
    expect "vschan -c $node connect vm1 ua" ua-app
    expect "vschan -c $node remove vm1 ua" ua-app
    reject "vschan -c $node remove vm1 ua" serial0
    # options before or between the positionals, with and without a value
    expect "vschan -c $node remove --live vm1 " ua-app serial0
    expect "vschan -c $node remove --timeout 5 vm1 " ua-app org.example.app.0
    expect "vschan -c $node remove --timeout=5 --config vm1 ua" ua-app
    expect "vschan -c $node remove vm1 --timeout 5 ua" ua-app
    # after "--" every word is an operand, even one that starts with '-'
    expect "vschan -c $node remove -- vm1 " ua-app serial0
    reject "vschan -c $node remove -- -x " vm1
    expect "vschan -c $node connect --escape ^A --force vm1 " ua-app serial0
    expect "vschan -c $node connect --drain-timeout 3 v" vm1
    reject "vschan -c $node remove --timeout 5 v" 5
    # connect takes one identifier
    reject "vschan -c $node connect vm1 ua-app " serial0
else
    echo "virsh is missing: domain completion not checked"
    [ -n "${CI:-}" ] && fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
