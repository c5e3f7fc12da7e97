#include "strset.h"
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a: short keys from the user's own spec or domain. */
static size_t hash(const char *s)
{
  uint64_t h = 14695981039346656037ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return (size_t)h;
}

static size_t find(const vsc_strset_entry *slots, size_t cap, const char *key)
{
  size_t i = hash(key) & (cap - 1);
  while (slots[i].key && strcmp(slots[i].key, key) != 0)
    i = (i + 1) & (cap - 1);
  return i;
}

static void grow(vsc_strset *set)
{
  size_t cap = set->cap ? set->cap * 2 : 16;
  vsc_strset_entry *slots = vsc_calloc(cap, sizeof(*slots));
  for (size_t i = 0; i < set->cap; i++)
    if (set->slots[i].key)
      slots[find(slots, cap, set->slots[i].key)] = set->slots[i];
  free(set->slots);
  set->slots = slots;
  set->cap = cap;
}

vsc_strset_entry *vsc_strset_find(const vsc_strset *set, const char *key)
{
  vsc_strset_entry *e = set->cap ? &set->slots[find(set->slots, set->cap, key)] : NULL;
  return e && e->key ? e : NULL;
}

size_t vsc_strset_count(const vsc_strset *set, const char *key)
{
  const vsc_strset_entry *e = vsc_strset_find(set, key);
  return e ? e->count : 0;
}

/* The entry of key, made (count 0) when it is not there. */
static vsc_strset_entry *entry(vsc_strset *set, const char *key)
{
  if ((set->n + 1) * 2 > set->cap)
    grow(set);
  vsc_strset_entry *e = &set->slots[find(set->slots, set->cap, key)];
  if (!e->key) {
    e->key = vsc_strdup(key);
    set->n++;
  }
  return e;
}

bool vsc_strset_add(vsc_strset *set, const char *key)
{
  return ++entry(set, key)->count == 1;
}

void vsc_strset_clear(vsc_strset *set)
{
  for (size_t i = 0; i < set->cap; i++)
    free(set->slots[i].key);
  free(set->slots);
  memset(set, 0, sizeof(*set));
}

void vsc_index_add(vsc_index *ix, const char *key, size_t item)
{
  vsc_strset_entry *e = entry(&ix->lists, key);
  if (e->count++ == 0) {
    e->value = ix->nlists;
    struct vsc_index_list *fresh = vsc_append(&ix->heads, &ix->nlists, sizeof(*fresh));
    fresh->head = fresh->tail = SIZE_MAX;
  }
  struct vsc_index_list *l = &ix->heads[e->value];
  size_t at = ix->npostings;
  struct vsc_index_posting *p = vsc_append(&ix->postings, &ix->npostings, sizeof(*p));
  p->item = item;
  p->next = SIZE_MAX;
  if (l->tail == SIZE_MAX)
    l->head = at;
  else
    ix->postings[l->tail].next = at;
  l->tail = at;
}

size_t vsc_index_first(vsc_index *ix, const char *key, const bool *skip)
{
  const vsc_strset_entry *e = vsc_strset_find(&ix->lists, key);
  if (!e)
    return SIZE_MAX;
  struct vsc_index_list *l = &ix->heads[e->value];
  while (l->head != SIZE_MAX && skip && skip[ix->postings[l->head].item])
    l->head = ix->postings[l->head].next;
  return l->head == SIZE_MAX ? SIZE_MAX : ix->postings[l->head].item;
}

void vsc_index_clear(vsc_index *ix)
{
  vsc_strset_clear(&ix->lists);
  free(ix->heads);
  free(ix->postings);
  memset(ix, 0, sizeof(*ix));
}

void vsc_namer_take(vsc_namer *nm, const char *name)
{
  if (name)
    vsc_strset_add(&nm->taken, name);
}

char *vsc_namer_new(vsc_namer *nm, const char *base)
{
  char *name;
  /* candidate 1 is the base itself, candidate n the base + "-n" */
  for (size_t n = vsc_strset_count(&nm->bases, base) + 1;; n++) {
    name = n == 1 ? vsc_strdup(base) : vsc_asprintf("%s-%zu", base, n);
    if (vsc_strset_count(&nm->taken, name) == 0)
      break;
    free(name);
  }
  vsc_strset_add(&nm->bases, base);
  vsc_strset_add(&nm->taken, name);
  return name;
}

void vsc_namer_clear(vsc_namer *nm)
{
  vsc_strset_clear(&nm->taken);
  vsc_strset_clear(&nm->bases);
}
