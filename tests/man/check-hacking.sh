#!/bin/sh
# HACKING.md's layer table is the law of the includes: every
# '#include "FOLDER/..."' in src/FOLDER2/ names FOLDER2 itself or a folder
# that the table's row for FOLDER2 lists under "may include", and every
# folder of src/ has a row.  Usage: check-hacking.sh SOURCE_DIR
set -u
src=$1
. "$src/tests/lib/test.sh"
table=$(sed -n '/<!-- layers: begin/,/<!-- layers: end/p' "$src/HACKING.md" | grep '^| `')
rows=$(printf '%s\n' "$table" | grep -c .)
# the rows of a real table: at least the ten folders the house has had
check "HACKING.md: $rows rows in the layer table" '[ "$rows" -ge 10 ]'
allowed() {  # allowed FOLDER: what its row says it may include
  printf '%s\n' "$table" | awk -F'|' -v f="\`$1\`" '{ gsub(/ /, "", $2) } $2 == f { print $4 }' | tr -d '—'
}
for dir in "$src"/src/*/; do
  folder=$(basename "$dir")
  if ! printf '%s\n' "$table" | grep -q "^| \`$folder\` |"; then
    fail "src/$folder has no row in HACKING.md's layer table"; continue
  fi
  may=" $folder $(allowed "$folder") "
  bad=$(grep -Ho '#include "[a-z]*/' "$dir"*.[ch] 2>/dev/null | sed 's/#include "//; s/\/$//' |
        while IFS=: read -r file inc; do
          case $may in *" $inc "*) ;; *) echo "${file#"$src"/} includes $inc/" ;; esac
        done)
  if [ -z "$bad" ]; then ok "src/$folder includes only what its row allows"; else
    fail "src/$folder may include only:$may"; test_quote "$bad"; fi
done
summary
