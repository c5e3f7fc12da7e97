#!/bin/sh
# apply on many domains (issue 16), on a private libvirtd and real QEMU:
# running domains reached through two URIs, qemu+unix and qemu+tcp, as two
# hosts; one domain that cannot take a virtio channel (no virtio-serial
# controller) and one that does not exist fail, an unreachable host is
# named, and none of them stops the others; --tag marks the converged
# domains and --tagged selects them; a second run changes nothing.
#
#   fleet.sh VSCHAN
# Exit 0 pass, 1 fail, 77 no libvirtd (a failure when CI is set).
set -u

vschan=${1:?usage: fleet.sh VSCHAN}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/test.sh"
# shellcheck source=tests/virt/private-libvirtd.sh
. "$here/private-libvirtd.sh"
command -v python3 >/dev/null || skip "python3 not found"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vsct-fleet.XXXXXX")
cleanup() {
  private_libvirtd_stop
  rm -rf "${TEST_TMP:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
private_libvirtd_start "$TEST_TMP/daemon" || skip "$PRIVATE_LIBVIRTD_WHY"
unix_uri=$PRIVATE_LIBVIRTD_UNIX tcp_uri=$PRIVATE_LIBVIRTD_TCP
dead_uri="qemu+tcp://127.0.0.1:$(private_libvirtd_free_port)/system"

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
  virsh -c "$unix_uri" define "$TEST_TMP/$1.xml" >/dev/null &&
    virsh -c "$unix_uri" start "$1" >/dev/null ||
    { fail "cannot start domain $1"; summary; exit 1; }
}
for d in fl-a-1 fl-a-2 fl-a-3 fl-b-1 fl-b-2 fl-b-3; do
  domain "$d" controller
done
domain fl-b-bare   # no virtio-serial controller: cannot take a virtio channel live

cat >"$TEST_TMP/spec.json" <<'JSON'
{ "channels": [
    { "type": "unix", "source": { "mode": "bind" },
      "target": { "type": "virtio", "name": "org.qemu.guest_agent.0" } },
    { "type": "pty", "target": { "type": "virtio", "name": "org.example.monitor.0" } } ] }
JSON

# json_get EXPR: evaluate a Python expression on the last run's stdout (j).
json_get() {
  printf '%s' "$out" | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}
# channels DOMAIN [--inactive]: how many of the spec's channels it has.
channels() {
  virsh -c "$unix_uri" dumpxml "$@" | grep -c "<target type=.virtio. name=.\(org.qemu.guest_agent.0\|org.example.monitor.0\)"
}

# --- the command line: one host, a pattern, a dry run ---
run "$vschan" -c "$unix_uri" apply --domains 'fl-a-*' "$TEST_TMP/spec.json" --dry-run --tag monitoring --json
expect 0 "dry run on the domains a pattern selects"
check "the dry run lists the three fl-a domains" '[ "$(json_get "sorted(d[\"domain\"] for d in j[\"domains\"])")" = "['"'fl-a-1', 'fl-a-2', 'fl-a-3'"']" ]'
check "each would get both channels" '[ "$(json_get "[len(d[\"plan\"]) for d in j[\"domains\"]]")" = "[2, 2, 2]" ]'
check "the summary counts three to change" '[ "$(json_get "j[\"summary\"][\"planned\"]")" = 3 ]'
check "a dry run with changes to make has not converged" '[ "$(json_get "j[\"summary\"][\"converged\"]")" = False ]'
check "each would change, and would get the tag" '[ "$(json_get "[(d[\"changed\"], d[\"tag_added\"]) for d in j[\"domains\"]]")" = "[(True, True), (True, True), (True, True)]" ]'
run "$vschan" -c "$unix_uri" apply fl-b-bare "$TEST_TMP/spec.json" --dry-run --json
expect 1 "a dry run predicts the refusal of a domain without a virtio-serial controller"
check "its record says failed, with the rule" '[ "$(json_get "(j[\"result\"], j[\"changed\"], [e[\"rule\"] for e in j[\"errors\"]])")" = "('"'failed', False, ['virt-no-controller']"')" ]'
run "$vschan" -c "$unix_uri" apply --tagged no-such-tag "$TEST_TMP/spec.json" --json
expect 0 "a tag no domain carries selects nothing, and that is no failure"
check "but the host says so" '[ "$(json_get "[w[\"rule\"] for w in j[\"hosts\"][0][\"warnings\"]]")" = "['"'fleet-no-match'"']" ]'
check "the dry run changed nothing" '[ "$(channels fl-a-1)" = 0 ]'
cpus=$(virsh -c "$unix_uri" nodeinfo | awk '/^CPU\(s\)/ { print 2 * $2 }')
[ "$cpus" -gt 16 ] && cpus=16
check "the default parallelism is twice the host's CPUs ($cpus)" '[ "$(json_get "j[\"hosts\"][0][\"parallel\"]")" = "$cpus" ]'

# --- a fleet file: two URIs of the daemon as two hosts, an unreachable one ---
cat >"$TEST_TMP/fleet.json" <<JSON
{ "version": 1, "spec": "spec.json",
  "hosts": [
    { "uri": "$unix_uri", "domains": ["fl-a-*"], "parallel": 2 },
    { "uri": "$tcp_uri", "domains": ["fl-b-*", "fl-missing"] },
    { "uri": "$dead_uri", "domains": ["anything"] } ] }
JSON
run "$vschan" apply --fleet "$TEST_TMP/fleet.json" --tag monitoring --json
expect 3 "the fleet run: exit 3 (an unreachable host, a domain libvirt does not have)"
check "six domains applied" '[ "$(json_get "j[\"summary\"][\"applied\"]")" = 6 ]'
check "two failed" '[ "$(json_get "sorted(d[\"domain\"] for d in j[\"domains\"] if d[\"result\"] == \"failed\")")" = "['"'fl-b-bare', 'fl-missing'"']" ]'
check "the bare domain is refused: no virtio-serial controller" '[ "$(json_get "[e[\"rule\"] for d in j[\"domains\"] if d[\"domain\"] == \"fl-b-bare\" for e in d[\"errors\"]][0]")" = virt-no-controller ]'
has "$(json_get "[e[\"message\"] for d in j[\"domains\"] if d[\"domain\"] == \"fl-missing\" for e in d[\"errors\"]]")" "fl-missing" "the missing domain is named"
check "one host unreachable, named with its error" '[ "$(json_get "[h[\"uri\"] for h in j[\"hosts\"] if not h[\"reachable\"] and h[\"errors\"]]")" = "['"'$dead_uri'"']" ]'
check "the unix host worked on 2 domains at once, as its entry says" '[ "$(json_get "j[\"hosts\"][0][\"parallel\"]")" = 2 ]'
check "every applied domain was tagged" '[ "$(json_get "sum(d[\"tag_added\"] for d in j[\"domains\"])")" = 6 ]'
has "$err" "domain 'fl-b-bare' on $tcp_uri" "stderr names the failing domain and its host"
for d in fl-a-1 fl-a-2 fl-a-3 fl-b-1 fl-b-2 fl-b-3; do
  check "$d has both channels, live and persistent" '[ "$(channels $d)" = 2 ] && [ "$(channels $d --inactive)" = 2 ]'
done
check "the bare domain was left as it was" '[ "$(channels fl-b-bare)" = 0 ]'
tags=$(virsh -c "$unix_uri" metadata fl-a-1 --uri https://vschan.dev/xmlns/libvirt/tags/1 --config)
has "$tags" "<tag>monitoring</tag>" "the tag is in the persistent definition's metadata"

# --- by tag, again: nothing to do ---
cat >"$TEST_TMP/again.json" <<JSON
{ "version": 1, "spec": "spec.json",
  "hosts": [ { "uri": "$tcp_uri", "tagged": ["monitoring"] } ] }
JSON
run "$vschan" apply --fleet "$TEST_TMP/again.json" --tag monitoring
expect 0 "a second run on the tagged domains converges" \
  "^Fleet: 1 host, 6 domains: 0 applied, 6 unchanged, 0 failed\\.$"
lacks "$out" "^Tagged" "and adds no tag twice"
lacks "$out" "Plan for" "and plans nothing"

# --- a terminal sees each host's progress ---
if command -v script >/dev/null; then
  tty_out=$(script -qec "'$vschan' apply --fleet '$TEST_TMP/again.json'" /dev/null 2>&1)
  has "$tty_out" "$tcp_uri 6/6" "a terminal sees the host's progress"
  has "$tty_out" "Fleet: 1 host, 6 domains" "and the summary after it"
else
  fail "script (bsdutils) is needed to check the progress line on a terminal"
fi

# --- the remaining ways to say it wrong ---
run "$vschan" -c "$unix_uri" apply --fleet "$TEST_TMP/fleet.json"
expect 2 "--fleet with -c is a usage error" '^$' "--fleet names the hosts"
run "$vschan" -c "$unix_uri" -c "$tcp_uri" apply fl-a-1 "$TEST_TMP/spec.json"
expect 2 "two -c for one domain is a usage error" '^$' "several hosts need --domains"
run "$vschan" apply --domains 'fl-a-*' --parallel 0 "$TEST_TMP/spec.json"
expect 2 "--parallel 0 is a usage error" '^$' "--parallel takes a number from 1 to 16"
printf '{"hosts": [{"uri": "qemu:///system", "domain": ["x"]}]}\n' >"$TEST_TMP/bad.json"
run "$vschan" apply --fleet "$TEST_TMP/bad.json"
expect 1 "a fleet file with a misspelt key is refused, by JSON pointer" '^$' \
  "bad.json: error: at /hosts/0/domain: unknown key 'domain'"
has "$err" "at /hosts/0: the host selects no domain" "and the host that selects nothing is named"

summary
