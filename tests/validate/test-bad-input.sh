#!/bin/sh
# Hostile and broken input: each bad file gets a clear error of its own,
# nothing is fetched, nothing crashes, and the good file next to them is
# still validated.
#
# usage: test-bad-input.sh VSCHAN
set -u
vschan=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/vschan-bad-input.XXXXXX")
trap 'rm -rf "${dir:?}"' EXIT INT TERM
. "$(dirname "$0")/../lib/test.sh"

cat >"$dir/good.xml" <<'XML'
<channel type='unix'>
  <source mode='bind' path='/run/vm/ga.sock'/>
  <target type='virtio' name='org.qemu.guest_agent.0'/>
</channel>
XML
printf '<domain type="kvm"><name>x</name><devices><serial type="pty">\n' >"$dir/malformed.xml"
printf '<serial type="pty"><alias name="ua-\377\376"/></serial>\n' >"$dir/not-utf8.xml"
printf '' >"$dir/empty.xml"
head -c 4096 /dev/urandom >"$dir/binary.xml" 2>/dev/null || printf '\001\002\003' >"$dir/binary.xml"
cat >"$dir/laughs.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<serial type="pty"><alias name="&lol9;"/></serial>
XML
cat >"$dir/xxe.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE serial [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<serial type="file"><source path="&secret;"/></serial>
XML
# 192.0.2.0/24 is TEST-NET-1: a fetch would hang until the timeout.
cat >"$dir/dtd.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE domain SYSTEM "http://192.0.2.1/libvirt.dtd">
<domain type="kvm"><name>x</name></domain>
XML
cat >"$dir/xinclude.xml" <<'XML'
<serial type="pty" xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></serial>
XML
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "<a>"; for (i = 0; i < 20000; i++) printf "</a>"; print "" }' >"$dir/deep.xml"
# Larger than vschan reads: refused from its size, never read (sparse).
truncate -s 100M "$dir/huge.xml" 2>/dev/null || dd if=/dev/zero of="$dir/huge.xml" bs=1M count=0 seek=100 2>/dev/null
printf '<devices><paint colour="blue"/></devices>\n' >"$dir/odd-root.xml"
printf '<video/>\n' >"$dir/unknown-root.xml"
mkdir "$dir/a-directory.xml"

files="good malformed not-utf8 empty binary laughs xxe dtd xinclude deep huge unknown-root"
args=""
for f in $files; do args="$args $dir/$f.xml"; done

# shellcheck disable=SC2086
timeout "$TEST_LONG_S" "$vschan" validate --json $args >"$dir/out.json" 2>"$dir/err.txt"
rc=$?
[ $rc -eq 1 ] || fail "exit status $rc, expected 1 (invalid files, all readable)"

# errs_with NAME RULE...: the JSON line of NAME.xml has an error of one
# of the rules given.  libxml2 itself stops entity loops and external
# entities before vschan sees the DOCTYPE, so those may come as either.
errs_with() {
  name=$1
  shift
  line=$(grep "\"file\":\"$dir/$name.xml\"" "$dir/out.json")
  [ -n "$line" ] || { fail "$name: no result"; return; }
  for rule in "$@"; do
    case "$line" in
      *"\"severity\":\"error\""*"\"rule\":\"$rule\""*) ok "$name: an error [$rule]"; return ;;
    esac
  done
  fail "$name: expected an error [$*], got: $line"
}
grep -q "\"file\":\"$dir/good.xml\",\"kind\":\"channel\",\"valid\":true" "$dir/out.json" ||
  fail "good.xml was not validated as valid among the bad ones"
errs_with malformed xml-syntax
errs_with not-utf8 xml-syntax
errs_with empty xml-syntax
errs_with binary xml-syntax
errs_with laughs xml-doctype xml-syntax
errs_with xxe xml-doctype xml-syntax
errs_with dtd xml-doctype
errs_with xinclude schema
errs_with deep xml-syntax
errs_with huge input-size
errs_with unknown-root input-kind
if grep -q 'root:' "$dir/out.json"; then fail "the content of /etc/passwd leaked into the output"; fi
grep -q '"summary":{"files":12,"valid":1,"invalid":11,"unreadable":0' "$dir/out.json" ||
  fail "summary: $(tail -1 "$dir/out.json")"

# Unreadable files: exit status 2, the others still validated.
timeout "$TEST_LONG_S" "$vschan" validate "$dir/good.xml" "$dir/missing.xml" "$dir/a-directory.xml" >"$dir/out.txt" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "unreadable files: exit status $rc, expected 2"
grep -q "missing.xml: error: cannot open" "$dir/out.txt" || fail "missing.xml: $(cat "$dir/out.txt")"
grep -q "a-directory.xml: error" "$dir/out.txt" || fail "a directory: $(cat "$dir/out.txt")"

# Standard input.
timeout "$TEST_LONG_S" "$vschan" validate - <"$dir/laughs.xml" >"$dir/out.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "stdin: exit status $rc, expected 1"
grep -q "<stdin>:.*\[xml-\(doctype\|syntax\)\]" "$dir/out.txt" || fail "stdin: $(cat "$dir/out.txt")"

# Messages in the document's terms, never the parser libraries' own words
# (their option names, "entity reference loop").
grep -q "nests elements more than 256 levels deep" "$dir/out.json" || fail "deep: $(grep deep.xml "$dir/out.json")"
grep -q "the document uses entities" "$dir/out.json" || fail "laughs: $(grep laughs.xml "$dir/out.json")"
printf '{"channels":[{"type":"pty","target":{"type":"virtio","name":"a\\u0000b"}}]}\n' >"$dir/nul.json"
printf '%s' "$(printf '[%.0s' $(seq 3000))" >"$dir/deep.json"
for spec in nul deep; do
  timeout 60 "$vschan" xml "$dir/$spec.json" >/dev/null 2>>"$dir/specs.txt"
  rc=$?
  [ $rc -eq 1 ] || fail "$spec.json: exit status $rc, expected 1"
done
grep -q "a string holds \\\\u0000 (a NUL character)" "$dir/specs.txt" || fail "nul.json: $(cat "$dir/specs.txt")"
grep -q "nests arrays and objects too deeply" "$dir/specs.txt" || fail "deep.json: $(cat "$dir/specs.txt")"
if grep -E "XML_PARSE|JSON_ALLOW|entity reference loop|raise the limit" "$dir/out.json" "$dir/specs.txt"; then
  fail "a message speaks of the parser library, not of the document"
fi

if [ "$TEST_FAILED" -ne 0 ]; then
  echo "vschan said:"
  cat "$dir/out.json" "$dir/err.txt"
fi
summary
