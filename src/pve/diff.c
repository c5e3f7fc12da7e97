/* A small unified diff, so "vschan qm --write" can show what it changed
 * without running diff(1).  Configs are small and edits are local: the
 * common head and tail are skipped and the rest compared with a longest
 * common subsequence table. */
#include "pve.h"

#include "util/buf.h"

#include <stdint.h>
#include <string.h>

#define DIFF_CONTEXT 3
#define DIFF_MAX_CELLS (16u * 1024 * 1024) /* beyond this: replace the middle wholesale */

typedef struct {
  const char *text;
  size_t len;
  bool newline;
} diff_line;

typedef enum { OP_EQUAL, OP_DEL, OP_ADD } diff_op_kind;

typedef struct {
  diff_op_kind kind;
  size_t a; /* index into old (EQUAL, DEL) */
  size_t b; /* index into new (EQUAL, ADD) */
} diff_op;

static diff_line *split_lines(const char *text, size_t *n)
{
  diff_line *lines = NULL;
  *n = 0;
  for (const char *p = text; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    diff_line *l = vsc_append(&lines, n, sizeof(*lines));
    *l = (diff_line){ .text = p, .len = len, .newline = nl != NULL };
    p += len + (nl != NULL);
  }
  return lines;
}

static bool line_eq(const diff_line *x, const diff_line *y)
{
  return x->len == y->len && x->newline == y->newline && memcmp(x->text, y->text, x->len) == 0;
}

static void add_op(diff_op **ops, size_t *n, diff_op_kind kind, size_t a, size_t b)
{
  diff_op *op = vsc_append(ops, n, sizeof(**ops));
  *op = (diff_op){ .kind = kind, .a = a, .b = b };
}

/* The edit script turning old[0, na) into new[0, nb). */
static diff_op *edit_script(const diff_line *old, size_t na, const diff_line *new,
                            size_t nb, size_t *n_ops)
{
  diff_op *ops = NULL;
  size_t head = 0, tail = 0;
  *n_ops = 0;

  while (head < na && head < nb && line_eq(&old[head], &new[head]))
    head++;
  while (tail < na - head && tail < nb - head &&
         line_eq(&old[na - 1 - tail], &new[nb - 1 - tail]))
    tail++;
  for (size_t i = 0; i < head; i++)
    add_op(&ops, n_ops, OP_EQUAL, i, i);

  size_t ma = na - head - tail, mb = nb - head - tail;
  /* An empty text has no lines at all (NULL): no arithmetic on it. */
  const diff_line *a = old ? old + head : NULL, *b = new ? new + head : NULL;
  if ((ma + 1) * (mb + 1) > DIFF_MAX_CELLS) {
    for (size_t i = 0; i < ma; i++)
      add_op(&ops, n_ops, OP_DEL, head + i, head);
    for (size_t j = 0; j < mb; j++)
      add_op(&ops, n_ops, OP_ADD, head + ma, head + j);
  } else {
    /* lcs[i][j]: length of the LCS of a[i..] and b[j..]. */
    uint32_t *lcs = vsc_calloc((ma + 1) * (mb + 1), sizeof(*lcs));
#define LCS(i, j) lcs[(i) * (mb + 1) + (j)]
    for (size_t i = ma; i-- > 0;)
      for (size_t j = mb; j-- > 0;)
        LCS(i, j) = line_eq(&a[i], &b[j]) ? LCS(i + 1, j + 1) + 1
                    : LCS(i + 1, j) >= LCS(i, j + 1) ? LCS(i + 1, j) : LCS(i, j + 1);
    size_t i = 0, j = 0;
    while (i < ma || j < mb) {
      if (i < ma && j < mb && line_eq(&a[i], &b[j])) {
        add_op(&ops, n_ops, OP_EQUAL, head + i++, head + j++);
      } else if (i < ma && (j >= mb || LCS(i + 1, j) >= LCS(i, j + 1))) {
        add_op(&ops, n_ops, OP_DEL, head + i++, head + j);
      } else {
        add_op(&ops, n_ops, OP_ADD, head + i, head + j++);
      }
    }
#undef LCS
    free(lcs);
  }
  for (size_t k = 0; k < tail; k++)
    add_op(&ops, n_ops, OP_EQUAL, na - tail + k, nb - tail + k);
  return ops;
}

/* Slide each run of changed lines of one file as diff(1) does (GNU
 * diffutils' shift_boundaries): as far down as lines that equal it allow,
 * merging with runs it meets, then back up to where it lines up with a
 * change of the other file if it can.  Among the equally short scripts
 * this picks the one people read as "diff -u" output.  changed[-1] and
 * changed[n] are false sentinels, as are other[-1] and other[n_other]. */
/* other[j] is the next unchanged line of the other file after the
 * changed ones from j on: past them and that line. */
static size_t past_changes_and_one(const bool *other, size_t j)
{
  while (other[j])
    j++;
  return j + 1;
}

/* Back over the changed lines of the other file before j, and one more. */
static size_t back_over_changes(const bool *other, size_t j)
{
  while (j > 0) {
    j--;
    if (!other[j])
      break;
  }
  return j;
}

static void shift_boundaries(const diff_line *lines, bool *changed, size_t n, const bool *other)
{
  size_t i = 0, j = 0;

  for (;;) {
    while (i < n && !changed[i]) {
      j = past_changes_and_one(other, j);
      i++;
    }
    if (i == n)
      break;
    size_t start = i, runlength, corresponding;
    do
      i++;
    while (changed[i]);
    while (other[j])
      j++;
    do {
      runlength = i - start;
      /* up, while the line above equals the last changed one */
      while (start && line_eq(&lines[start - 1], &lines[i - 1])) {
        changed[--start] = true;
        changed[--i] = false;
        while (start && changed[start - 1])
          start--;
        j = back_over_changes(other, j);
      }
      corresponding = j && other[j - 1] ? i : n;
      /* down, while the line below equals the first changed one */
      while (i != n && line_eq(&lines[start], &lines[i])) {
        changed[start++] = false;
        changed[i++] = true;
        while (changed[i])
          i++;
        while (other[++j])
          corresponding = i;
      }
    } while (runlength != i - start);
    /* back to a run that lines up with a change of the other file */
    while (corresponding < i) {
      changed[--start] = true;
      changed[--i] = false;
      j = back_over_changes(other, j);
    }
  }
}

/* The script again, with its runs of changes where diff(1) puts them. */
static diff_op *normalize(const diff_line *old, size_t na, const diff_line *new, size_t nb,
                          diff_op *ops, size_t *n_ops)
{
  bool *del_buf = vsc_calloc(na + 2, sizeof(bool)), *add_buf = vsc_calloc(nb + 2, sizeof(bool));
  bool *del = del_buf + 1, *add = add_buf + 1;
  size_t n = *n_ops;

  for (size_t k = 0; k < n; k++) {
    if (ops[k].kind == OP_DEL)
      del[ops[k].a] = true;
    else if (ops[k].kind == OP_ADD)
      add[ops[k].b] = true;
  }
  free(ops);
  shift_boundaries(old, del, na, add);
  shift_boundaries(new, add, nb, del);
  ops = NULL;
  *n_ops = 0;
  for (size_t i = 0, j = 0; i < na || j < nb;) {
    if (i < na && del[i])
      add_op(&ops, n_ops, OP_DEL, i++, j);
    else if (j < nb && add[j])
      add_op(&ops, n_ops, OP_ADD, i, j++);
    else
      add_op(&ops, n_ops, OP_EQUAL, i++, j++);
  }
  free(del_buf);
  free(add_buf);
  return ops;
}

static void emit_line(vsc_buf *out, char mark, const diff_line *l)
{
  vsc_buf_addc(out, mark);
  vsc_buf_addn(out, l->text, l->len);
  vsc_buf_addc(out, '\n');
  if (!l->newline)
    vsc_buf_add(out, "\\ No newline at end of file\n");
}

/* "start,count" as diff(1) writes it: 1-based; an empty range names the
 * line before it; ",1" is left out. */
static void emit_range(vsc_buf *out, size_t start0, size_t count)
{
  if (count == 1)
    vsc_buf_printf(out, "%zu", start0 + 1);
  else
    vsc_buf_printf(out, "%zu,%zu", count ? start0 + 1 : start0, count);
}

char *vsc_pve_diff(const char *old_text, const char *new_text, const char *old_label,
                   const char *new_label)
{
  size_t na, nb, n_ops;
  VSC_AUTOFREE(diff_line) old = split_lines(old_text ? old_text : "", &na);
  VSC_AUTOFREE(diff_line) new = split_lines(new_text ? new_text : "", &nb);
  VSC_AUTOFREE(diff_op) ops = normalize(old, na, new, nb, edit_script(old, na, new, nb, &n_ops), &n_ops);
  vsc_buf out = { 0 };
  size_t k = 0;

  while (k < n_ops) {
    /* Next change, and the end of its hunk: changes closer than twice
     * the context share one hunk. */
    while (k < n_ops && ops[k].kind == OP_EQUAL)
      k++;
    if (k == n_ops)
      break;
    size_t first = k >= DIFF_CONTEXT ? k - DIFF_CONTEXT : 0;
    size_t last = k, equal_run = 0;
    for (size_t m = k; m < n_ops; m++) {
      if (ops[m].kind == OP_EQUAL) {
        if (++equal_run > 2 * DIFF_CONTEXT)
          break;
      } else {
        equal_run = 0;
        last = m;
      }
    }
    size_t end = last + 1 + DIFF_CONTEXT < n_ops ? last + 1 + DIFF_CONTEXT : n_ops;

    if (!out.len)
      vsc_buf_printf(&out, "--- %s\n+++ %s\n", old_label ? old_label : "a",
                     new_label ? new_label : "b");
    size_t a_count = 0, b_count = 0;
    for (size_t m = first; m < end; m++) {
      a_count += ops[m].kind != OP_ADD;
      b_count += ops[m].kind != OP_DEL;
    }
    vsc_buf_add(&out, "@@ -");
    emit_range(&out, ops[first].a, a_count);
    vsc_buf_add(&out, " +");
    emit_range(&out, ops[first].b, b_count);
    vsc_buf_add(&out, " @@\n");
    for (size_t m = first; m < end; m++) {
      switch (ops[m].kind) {
      case OP_EQUAL:
        emit_line(&out, ' ', &old[ops[m].a]);
        break;
      case OP_DEL:
        emit_line(&out, '-', &old[ops[m].a]);
        break;
      case OP_ADD:
        emit_line(&out, '+', &new[ops[m].b]);
        break;
      }
    }
    k = end;
  }
  return vsc_buf_steal(&out);
}
