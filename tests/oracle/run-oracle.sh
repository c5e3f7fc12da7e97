#!/bin/sh
# ctest driver for the libvirt oracle: each run gets a fresh embed root,
# removed afterwards (with any QEMU a crashed test left running in it).
#
#   run-oracle.sh check    ORACLE EMBED_ROOT_SH CASES_DIR
#       every directory under CASES_DIR holding an expected.xml must pass
#       (VSCHAN_ORACLE_OUT=DIR keeps libvirt's read-back XML there)
#   run-oracle.sh selftest ORACLE EMBED_ROOT_SH SELFTEST_DIR
#       good fixtures must pass; a fixture named broken-STAGE-* must fail
#       at STAGE (rng, define, readback)
#   run-oracle.sh smoke    PROGRAM EMBED_ROOT_SH
#       run PROGRAM ROOT (starts and stops a real minimal domain)
set -u

mode=$1 prog=$2 embed_root_sh=$3
dir=${4:-}
case $prog in /*) ;; *) prog=$PWD/$prog ;; esac  # the modes below cd

# shellcheck source=../lib/test.sh
. "${embed_root_sh%/*}/test.sh"

root=$(mktemp -d "${TMPDIR:-/tmp}/vsct-embed.XXXXXX") || exit 1
# shellcheck disable=SC2317  # called through the trap
# shellcheck source=../lib/embed.sh
. "${embed_root_sh%/*}/embed.sh"
cleanup() {
  embed_kill_qemus "$root"
  rm -rf "${root:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$embed_root_sh" "$root"
rc=$?
[ $rc -eq 77 ] && skip "this machine cannot run the embedded libvirt driver"
[ $rc -ne 0 ] && exit 1

case $mode in
check)
  cd "$dir" || exit 1
  cases=$(find . -name expected.xml -exec dirname {} \; | sed 's|^\./||' | LC_ALL=C sort)
  [ -n "$cases" ] || skip "no case with an expected.xml under '$dir' yet"
  # shellcheck disable=SC2086  # case directory names have no blanks
  "$prog" --root "$root" ${VSCHAN_ORACLE_OUT:+--out "$VSCHAN_ORACLE_OUT"} $cases
  exit $?
  ;;
selftest)
  cd "$dir" || exit 1
  out=$("$prog" --root "$root" ${VSCHAN_ORACLE_OUT:+--out "$VSCHAN_ORACLE_OUT"} ./*/)
  rc=$?
  printf '%s\n' "$out"
  [ $rc -eq 77 ] && exit 77
  bad=0
  for fixture in */; do
    name=${fixture%/}
    case $name in
    broken-*)
      stage=${name#broken-}
      stage=${stage%%-*}
      if ! printf '%s\n' "$out" | grep -q "^FAIL $name: $stage "; then
        echo "selftest: '$name' should have failed at stage '$stage'" >&2
        bad=1
      fi
      ;;
    *)
      if ! printf '%s\n' "$out" | grep -qx "ok $name"; then
        echo "selftest: '$name' should have passed" >&2
        bad=1
      fi
      ;;
    esac
  done
  # Broken fixtures exist, so the oracle itself must report failure.
  if [ $rc -ne 1 ]; then
    echo "selftest: the oracle exited $rc, expected 1 (some fixtures are broken)" >&2
    bad=1
  fi
  exit $bad
  ;;
smoke)
  "$prog" "$root"
  exit $?
  ;;
*)
  echo "usage: run-oracle.sh check|selftest|smoke PROGRAM EMBED_ROOT_SH [DIR]" >&2
  exit 2
  ;;
esac
