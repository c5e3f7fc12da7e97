/* A set of strings that counts how often each was added and keeps a
 * number for each, hashed: what makes a search for duplicates linear in
 * the number of devices instead of comparing every pair.  vsc_index
 * lists items under string keys. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char *key;      /* NULL: a free slot */
  size_t count;
  size_t value;   /* the caller's, 0 when added */
} vsc_strset_entry;

typedef struct {
  vsc_strset_entry *slots;  /* open addressing, linear probing */
  size_t cap;               /* a power of two, or 0 */
  size_t n;                 /* distinct keys */
} vsc_strset;

/* Add key (a copy): true when it was not there yet. */
bool vsc_strset_add(vsc_strset *set, const char *key);
/* How often key was added (0: never). */
size_t vsc_strset_count(const vsc_strset *set, const char *key);
/* The entry of key, or NULL. */
vsc_strset_entry *vsc_strset_find(const vsc_strset *set, const char *key);
void vsc_strset_clear(vsc_strset *set);

/* Items (numbers) listed under string keys, in the order added. */
typedef struct {
  vsc_strset lists;   /* key -> its list (value) */
  struct vsc_index_list { size_t head, tail; } *heads;  /* postings; SIZE_MAX: none */
  size_t nlists;
  struct vsc_index_posting { size_t item, next; } *postings;
  size_t npostings;
} vsc_index;

void vsc_index_add(vsc_index *ix, const char *key, size_t item);
/* The first item listed under key that skip (indexed by item; NULL:
 * none) does not mark, or SIZE_MAX.  Marked items are dropped from the
 * list for good: skip may only gain marks between calls. */
size_t vsc_index_first(vsc_index *ix, const char *key, const bool *skip);
void vsc_index_clear(vsc_index *ix);

/* Unique names: base, else base-2, base-3, ... the first not taken.  The
 * search starts past the names earlier requests for the same base took
 * (all taken), so that n names of one base cost n, not n^2. */
typedef struct {
  vsc_strset taken;
  vsc_strset bases;   /* how often each base was asked for */
} vsc_namer;

/* name is in use (NULL: nothing). */
void vsc_namer_take(vsc_namer *nm, const char *name);
/* A new name for base, taken from now on; free it. */
char *vsc_namer_new(vsc_namer *nm, const char *base);
void vsc_namer_clear(vsc_namer *nm);
