#!/bin/bash
# Load the bash completion in a real bash and check what COMPREPLY holds
# for partial command lines.  Usage: check-bash.sh VSCHAN SOURCE_DIR
set -u
vschan_bin=$(readlink -f "$1")
src=$2
bindir=$(mktemp -d)
trap 'rm -rf "${bindir:?}"' EXIT
ln -s "$vschan_bin" "$bindir/vschan"
export PATH="$bindir:$PATH"
# shellcheck source=/dev/null
. "$src/completions/vschan.bash"
. "$src/tests/lib/test.sh"

# complete LINE: split LINE into words; the cursor is at its end.
complete_line() {
    read -r -a COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$1
    COMPREPLY=()
    _vschan
}

# offers LINE WORD...: every WORD is among the completions of LINE.
offers() {
    local line=$1 w
    shift
    complete_line "$line"
    for w in "$@"; do
        if printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$w"; then
            ok "'$line' offers '$w'"
        else
            fail "'$line' should offer '$w'; got: ${COMPREPLY[*]}"
        fi
    done
}

# refuses LINE WORD: WORD is not offered.
refuses() {
    complete_line "$1"
    if printf '%s\n' "${COMPREPLY[@]}" | grep -qx -- "$2"; then
        fail "'$1' should not offer '$2'"
    else
        ok "'$1' does not offer '$2'"
    fi
}

offers "vschan te" template
offers "vschan q" qemu-args qm
refuses "vschan q" xml
offers "vschan " xml template qemu-args qm agent help
offers "vschan --ver" --version --verbose
offers "vschan xml --tem" --template --templates-dir
offers "vschan xml --template gu" guest-agent guestfwd
refuses "vschan xml --template gu" app-channel
offers "vschan template " list show
offers "vschan template show se" serial-pty serial-telnet
offers "vschan qm 100 --print-c" --print-command
offers "vschan qemu-args --ar" --argv
offers "vschan help q" qemu-args qm
offers "vschan xml --channel x --in" --into
if command -v virsh >/dev/null; then
    # libvirt's test driver always has a domain named 'test'
    offers "vschan -c test:///default agent te" test
    # a test node with a domain that has character devices
    node="test://$src/tests/completions/testnode.xml"
    offers "vschan -c $node remove " vm1
    offers "vschan --connect $node list v" vm1
    offers "vschan -c $node remove vm1 " ua-app org.example.app.0 serial0 console0
    offers "vschan -c $node connect vm1 ua" ua-app
    offers "vschan -c $node remove vm1 ua" ua-app
    refuses "vschan -c $node remove vm1 ua" serial0
    # options before or between the positionals, with and without a value
    offers "vschan -c $node remove --live vm1 " ua-app serial0
    offers "vschan -c $node remove --timeout 5 vm1 " ua-app org.example.app.0
    offers "vschan -c $node remove --timeout=5 --config vm1 ua" ua-app
    offers "vschan -c $node remove vm1 --timeout 5 ua" ua-app
    # after "--" every word is an operand, even one that starts with '-'
    offers "vschan -c $node remove -- vm1 " ua-app serial0
    refuses "vschan -c $node remove -- -x " vm1
    offers "vschan -c $node connect --escape ^A --force vm1 " ua-app serial0
    offers "vschan -c $node connect --drain-timeout 3 v" vm1
    refuses "vschan -c $node remove --timeout 5 v" 5
    # connect takes one identifier
    refuses "vschan -c $node connect vm1 ua-app " serial0
else
    echo "virsh is missing: domain completion not checked"
    [ -n "${CI:-}" ] && fail "virsh is required in CI"
fi
summary
