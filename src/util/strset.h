/* A set of strings that counts how often each was added, hashed: what
 * makes a search for duplicates linear in the number of devices instead
 * of comparing every pair. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char *key;      /* NULL: a free slot */
  size_t count;
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
void vsc_strset_clear(vsc_strset *set);
