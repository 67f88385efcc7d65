/*
 * hashtab.c - the open-addressing index (fw_hashtab.h): sizing, insert and
 * backward-shift delete.  Lookup is inline in the header.
 */
#include "fw_hashtab.h"

#include <stdlib.h>

int
fw_hashtab_init(struct fw_hashtab *t, size_t max_entries)
{
	size_t n = 16;

	t->slot = NULL;
	t->mask = 0;
	if (max_entries >= (size_t)1 << 30)
		return FW_EINVAL;
	while (n < max_entries * 2)  /* at most half full */
		n <<= 1;
	if ((t->slot = calloc(n, sizeof(*t->slot))) == NULL)
		return FW_ENOMEM;
	t->mask = (uint32_t)(n - 1);
	return FW_OK;
}

void
fw_hashtab_fini(struct fw_hashtab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->mask = 0;
}

size_t
fw_hashtab_bytes(const struct fw_hashtab *t)
{
	return t->slot != NULL ? ((size_t)t->mask + 1) * sizeof(*t->slot) : 0;
}

void
fw_hashtab_insert(struct fw_hashtab *t, uint32_t h, uint32_t e)
{
	uint32_t i = h & t->mask;

	while (t->slot[i] != 0)
		i = (i + 1) & t->mask;
	t->slot[i] = (uint64_t)h << 32 | ((uint64_t)e + 1);
}

void
fw_hashtab_remove(struct fw_hashtab *t, uint32_t h, uint32_t e)
{
	uint64_t want = (uint64_t)h << 32 | ((uint64_t)e + 1);
	uint32_t i = h & t->mask, j;

	for (; t->slot[i] != want; i = (i + 1) & t->mask)
		if (t->slot[i] == 0)
			return;  /* not indexed */
	/* Backward shift: pull each later slot of the cluster into the hole
	 * unless its home lies cyclically in (hole, it]. */
	for (j = i;;) {
		uint32_t home;

		j = (j + 1) & t->mask;
		if (t->slot[j] == 0)
			break;
		home = (uint32_t)(t->slot[j] >> 32) & t->mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slot[i] = t->slot[j];
		i = j;
	}
	t->slot[i] = 0;
}

