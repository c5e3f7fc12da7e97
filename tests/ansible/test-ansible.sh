#!/bin/sh
# The Ansible collection vschan.libvirt (contrib/ansible) with real
# ansible-playbook runs on localhost, against a private libvirtd with
# running QEMU domains: check mode plans and changes nothing, a real run
# converges, a second run changes nothing, a refused apply fails the task
# with vschan's message and hint, vschan_validate passes good files and
# fails a bad one.  The collection is built and installed with
# ansible-galaxy into the test's directory; ansible's home, temporary
# directories and configuration are there too.
#
#   test-ansible.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no ansible or libvirtd (a failure when CI is set).
set -u

vschan=${1:?usage: test-ansible.sh VSCHAN}
case $vschan in /*) ;; *) vschan=$(pwd)/$vschan ;; esac
here=$(cd "$(dirname "$0")" && pwd)
collection=$here/../../contrib/ansible
# shellcheck source=tests/lib/test.sh
. "$here/../lib/test.sh"
# shellcheck source=tests/virt/private-libvirtd.sh
. "$here/../virt/private-libvirtd.sh"
for tool in ansible-playbook ansible-galaxy ansible-doc python3; do
  command -v "$tool" >/dev/null || skip "'$tool' not found (apt-get install ansible-core)"
done
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vsct-ansible.XXXXXX")
cleanup() {
  private_libvirtd_stop
  rm -rf "${TEST_TMP:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ansible writes nothing outside the test's directory.
export HOME="$TEST_TMP/home"
export ANSIBLE_CONFIG="$TEST_TMP/ansible.cfg"
export ANSIBLE_LOCAL_TEMP="$TEST_TMP/ansible-local"
export ANSIBLE_REMOTE_TEMP="$TEST_TMP/ansible-remote"
export ANSIBLE_COLLECTIONS_PATH="$TEST_TMP/collections"
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_PYTHON_INTERPRETER=auto_silent ANSIBLE_LOCALHOST_WARNING=0
mkdir -p "$HOME"
printf '[defaults]\n# written by tests/ansible/test-ansible.sh\n' >"$ANSIBLE_CONFIG"

# --- the collection: built and installed as a user would ---
run ansible-galaxy collection build "$collection" --output-path "$TEST_TMP"
expect 0 "ansible-galaxy builds the collection" "Created collection for vschan.libvirt"
run ansible-galaxy collection install --offline -p "$ANSIBLE_COLLECTIONS_PATH" "$TEST_TMP"/vschan-libvirt-*.tar.gz
expect 0 "ansible-galaxy installs it" "vschan.libvirt.* was installed successfully"
for m in vschan_apply vschan_validate; do
  run ansible-doc "vschan.libvirt.$m"
  expect 0 "ansible-doc renders $m" "^> VSCHAN\.LIBVIRT\.$(echo "$m" | tr "[:lower:]" "[:upper:]") .*$TEST_TMP/collections" &&
    has "$out" "^RETURN VALUES:" "$m documents its return values" &&
    has "$out" "^EXAMPLES:" "$m has examples"
done

# --- the domains ---
private_libvirtd_start "$TEST_TMP/daemon" || skip "$PRIVATE_LIBVIRTD_WHY"
uri=$PRIVATE_LIBVIRTD_UNIX

# domain NAME [controller]: a persistent, running minimal domain (TCG).
domain() {
  controller=
  [ "${2-}" = controller ] && controller="<controller type='virtio-serial'/>"
  cat >"$TEST_TMP/$1.xml" <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    $controller
  </devices>
</domain>
XML
  virsh -c "$uri" define "$TEST_TMP/$1.xml" >/dev/null &&
    virsh -c "$uri" start "$1" >/dev/null ||
    { fail "cannot start domain $1"; summary; exit 1; }
}
domain an-1 controller
domain an-2 controller
domain bare-1   # no virtio-serial controller: cannot take a virtio channel live

# channels DOMAIN [--inactive]: how many of the test's channels it has,
# after checking that virsh printed the domain at all.
channels() {
  xml=$(virsh -c "$uri" dumpxml "$@") && printf '%s\n' "$xml" | grep -q "<name>$1</name>" ||
    { echo "no XML for $1"; return; }
  printf '%s\n' "$xml" | grep -c "<target type=.virtio. name=.org\.\(qemu\.guest_agent\|example\.monitor\|example\.extra\|example\.tpl\)\.0"
}

# A vschan that records the spec files the module passes (their mode, to
# check that they exist no longer after the run).
cat >"$TEST_TMP/vschan-wrapper" <<EOF
#!/bin/sh
for a; do
  case \$a in */vschan-spec-*) echo "\$a \$(stat -c %a "\$a")" >>"$TEST_TMP/spec-files" ;; esac
done
exec "$vschan" "\$@"
EOF
chmod +x "$TEST_TMP/vschan-wrapper"
mkdir -p "$TEST_TMP/sock"
cat >"$TEST_TMP/fleet.json" <<JSON
{ "version": 1, "spec": "$here/files/spec.json",
  "hosts": [ { "uri": "$uri", "domains": ["an-*"], "parallel": 2 } ] }
JSON
cat >"$TEST_TMP/vars.json" <<JSON
{ "vschan": "$vschan", "wrapper": "$TEST_TMP/vschan-wrapper", "uri": "$uri",
  "files": "$here/files", "fleet": "$TEST_TMP/fleet.json", "sockdir": "$TEST_TMP/sock",
  "extra": { "channels": [ { "type": "pty",
                             "target": { "type": "virtio", "name": "org.example.extra.0" } } ] } }
JSON

# playbook NAME [ARG]...: run tests/ansible/NAME.yml on localhost.
playbook() {
  pb=$1
  shift
  run ansible-playbook -i localhost, -c local -e "@$TEST_TMP/vars.json" "$@" "$here/$pb.yml"
}

# --- check mode ---
playbook check --check --diff
expect 0 "check mode: the playbook's assertions hold" "changed=3 .*failed=0 .*skipped=0" || echo "$out" >&2
has "$out" "+ channel 'ua-vschan-org-example-monitor-0' (live, persistent)" "--diff shows the plan"
for d in an-1 an-2; do
  check "check mode left $d as it was (live)" '[ "$(channels $d)" = 0 ]'
  check "check mode left $d as it was (persistent)" '[ "$(channels $d --inactive)" = 0 ]'
done
xml=$(virsh -c "$uri" dumpxml an-1 --inactive)
has "$xml" "<name>an-1</name>" "virsh prints an-1's definition" &&
  lacks "$xml" "<tag>ansible</tag>" "check mode added no tag"

# --- a real run, then the same again ---
playbook apply -e '{"first": true}'
expect 0 "first run: the playbook's assertions hold" "changed=3 .*failed=0 .*skipped=0" || echo "$out" >&2
for d in an-1 an-2; do
  check "$d has its three channels, live" '[ "$(channels $d)" = 3 ]'
  check "$d has its three channels, persistent" '[ "$(channels $d --inactive)" = 3 ]'
done
tags=$(virsh -c "$uri" metadata an-2 --uri https://vschan.dev/xmlns/libvirt/tags/1 --config)
has "$tags" "<tag>ansible</tag>" "the domains carry the tag"
playbook apply -e '{"first": false}'
expect 0 "second run: the playbook's assertions hold" "changed=0 .*failed=0 .*skipped=0" || echo "$out" >&2
check "the second run left an-1 as it was" '[ "$(channels an-1)" = 3 ] && [ "$(channels an-1 --inactive)" = 3 ]'

# spec_content: a file of mode 0600 for each run, gone afterwards.
check "spec_content was passed as a file three times" '[ "$(wc -l <"$TEST_TMP/spec-files")" = 3 ]'
check "each with mode 600" '[ "$(awk "\$2 != 600" "$TEST_TMP/spec-files")" = "" ]'
while read -r f _; do
  check "$(basename "$f") was removed" '[ ! -e "$f" ]'
done <"$TEST_TMP/spec-files"

# --- refusals ---
playbook fail -e '{"strict": false}'
expect 0 "failures: the playbook's assertions hold" "failed=0 .*skipped=0 .*ignored=3" || echo "$out" >&2
playbook fail -e '{"strict": true}'
expect 2 "a refused apply fails the playbook" "fatal: .*running domain 'bare-1' has no virtio-serial controller.*\\[virt-no-controller\\]" &&
  has "$out" "hint: apply with --config" "with vschan's hint"
check "the refused domain was left as it was" '[ "$(channels bare-1)" = 0 ] && [ "$(channels bare-1 --inactive)" = 0 ]'

# --- vschan_validate ---
playbook validate
expect 0 "validate: the playbook's assertions hold" "changed=0 .*failed=0 .*skipped=0 .*ignored=3" || echo "$out" >&2

summary
