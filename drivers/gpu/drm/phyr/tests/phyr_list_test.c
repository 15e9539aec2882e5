// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for phyr lists: append, coalescing, chunks, reservation.
 */

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <kunit/test.h>

#include "../phyr_internal.h"
#include "phyr_test_model.h"

static unsigned int phyr_test_chunks(const struct phyr_list *l)
{
	const struct phyr_chunk *c;
	unsigned int n = 0;

	for (c = l->head; c; c = c->next)
		n++;
	return n;
}

/* A new list is empty, iterates nothing and can be freed twice. */
static void phyr_list_empty_list(struct kunit *test)
{
	struct phyr_list empty = PHYR_LIST_INIT, *l = &empty;
	struct phyr_iter it;
	struct phyr seg;
	unsigned int n = 0;

	KUNIT_EXPECT_TRUE(test, phyr_list_empty(l));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 0);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), 0);
	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it)
		n++;
	KUNIT_EXPECT_EQ(test, n, 0);
	phyr_list_free(l);
	phyr_list_free(l);
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(l));
}

/* Rejected ranges return the phyr_check() error and change nothing. */
static void phyr_list_append_errors(struct kunit *test)
{
	struct phyr_list *l;

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1M, SZ_4K, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_list_append(l, SZ_1M + SZ_4K, 0, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_list_append(l, SZ_2M, 1, BIT(5), GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_list_append(l, U64_MAX, 1, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -E2BIG, phyr_list_append(l, 0, PHYR_MAX_LEN + 1, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 1);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), SZ_4K);
}

struct phyr_coalesce_case {
	const char *name;
	u64 addr2;
	u64 len2;
	unsigned int flags2;
	unsigned long nents;
};

/* The first range is always [1 MiB, 1 MiB + 4 KiB) with PHYR_IC_HOST. */
static const struct phyr_coalesce_case phyr_coalesce_cases[] = {
	{ "adjacent-same-flags", SZ_1M + SZ_4K, SZ_4K, PHYR_IC_HOST, 1 },
	{ "adjacent-1-byte", SZ_1M + SZ_4K, 1, PHYR_IC_HOST, 1 },
	{ "adjacent-above-4GiB", SZ_1M + SZ_4K, SZ_4G + 3, PHYR_IC_HOST, 1 },
	{ "adjacent-other-interconnect", SZ_1M + SZ_4K, SZ_4K, PHYR_IC_P2P, 2 },
	{ "adjacent-other-attribute", SZ_1M + SZ_4K, SZ_4K, PHYR_F_PINNED, 2 },
	{ "gap-of-1-byte", SZ_1M + SZ_4K + 1, SZ_4K, PHYR_IC_HOST, 2 },
	{ "overlapping", SZ_1M + SZ_2K, SZ_4K, PHYR_IC_HOST, 2 },
	{ "preceding", SZ_1M - SZ_4K, SZ_4K, PHYR_IC_HOST, 2 },
	{ "same-range-again", SZ_1M, SZ_4K, PHYR_IC_HOST, 2 },
};

static void phyr_coalesce_case_desc(const struct phyr_coalesce_case *c,
				    char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phyr_coalesce, phyr_coalesce_cases, phyr_coalesce_case_desc);

/*
 * Only a range that starts exactly at the end of the last entry and has
 * the same flags merges into it; the list length is the sum either way.
 */
static void phyr_list_coalesce(struct kunit *test)
{
	const struct phyr_coalesce_case *c = test->param_value;
	struct phyr_model m;
	struct phyr_list *l;

	l = phyr_test_list(test);
	phyr_model_init(test, &m, 2);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1M, SZ_4K, PHYR_IC_HOST, GFP_KERNEL));
	phyr_model_append(&m, SZ_1M, SZ_4K, PHYR_IC_HOST);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, c->addr2, c->len2, c->flags2, GFP_KERNEL));
	phyr_model_append(&m, c->addr2, c->len2, c->flags2);

	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), c->nents);
	phyr_model_expect_list(test, &m, l);
}

/* Coalescing stops where the merged entry would exceed PHYR_MAX_LEN. */
static void phyr_list_coalesce_max_len(struct kunit *test)
{
	struct phyr_list *l;

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, 0, PHYR_MAX_LEN - 10, 0, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, PHYR_MAX_LEN - 10, 10, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 1);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, PHYR_MAX_LEN, 1, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 2);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), PHYR_MAX_LEN + 1);
}

/*
 * With the last entry in the last slot of a full chunk, an adjacent range
 * still merges into it: no new entry and no new chunk. The next separate
 * range opens a chunk and merges there in turn.
 */
static void phyr_list_coalesce_across_chunks(struct kunit *test)
{
	struct phyr_list *l;
	unsigned int i, cap;
	u64 addr = 0;

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, addr, SZ_4K, 0, GFP_KERNEL));
	cap = l->head->cap;
	for (i = 1; i < cap; i++) {
		addr += SZ_8K;
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, addr, SZ_4K, 0, GFP_KERNEL));
	}
	KUNIT_ASSERT_EQ(test, l->head->nr, cap);
	KUNIT_ASSERT_EQ(test, phyr_test_chunks(l), 1);

	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, addr + SZ_4K, SZ_4K, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), cap);
	KUNIT_EXPECT_EQ(test, phyr_test_chunks(l), 1);
	KUNIT_EXPECT_EQ(test, phyr_ent_len(&l->head->words[cap - 1]), SZ_8K);

	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, addr + SZ_1M, SZ_4K, 0, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, addr + SZ_1M + SZ_4K, 1, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), cap + 1);
	KUNIT_EXPECT_EQ(test, phyr_test_chunks(l), 2);
	KUNIT_EXPECT_EQ(test, phyr_ent_len(&l->head->next->words[0]), SZ_4K + 1);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), (u64)cap * SZ_4K + SZ_8K + 1);
}

/*
 * After phyr_list_reserve(n), n appends add no chunk; the list holds what
 * was appended, and a reservation can be topped up.
 */
static void phyr_list_reserve_no_alloc(struct kunit *test)
{
	const unsigned int n = 1000;
	struct phyr_model m;
	struct phyr_list *l;
	unsigned int i, chunks;

	l = phyr_test_list(test);
	phyr_model_init(test, &m, n);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(l, n, GFP_KERNEL));
	KUNIT_EXPECT_GE(test, l->spare, n);
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(l));
	chunks = phyr_test_chunks(l);

	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, (u64)i * SZ_2M, SZ_4K,
							  i & 1, GFP_KERNEL));
		phyr_model_append(&m, (u64)i * SZ_2M, SZ_4K, i & 1);
	}
	KUNIT_EXPECT_EQ(test, phyr_test_chunks(l), chunks);
	phyr_model_expect_list(test, &m, l);

	KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(l, l->spare, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_test_chunks(l), chunks);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(l, l->spare + 1, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_test_chunks(l), chunks + 1);
}

/* The total length never wraps: the append that would overflow it fails. */
static void phyr_list_total_overflow(struct kunit *test)
{
	struct phyr_list *l;
	unsigned int i;
	int ret = 0;

	l = phyr_test_list(test);
	for (i = 0; i < 300 && !ret; i++)
		ret = phyr_list_append(l, 0, PHYR_MAX_LEN, 0, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, ret, -E2BIG);
	/* 256 * (2^56 - 1) fits in 64 bits, 257 times does not */
	KUNIT_EXPECT_EQ(test, i, 257);
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 256);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), 256 * PHYR_MAX_LEN);
}

/*
 * 2^18 separate 4 KiB ranges (1 GiB fragmented page by page) fit in
 * chunks of at most one page each, no vmalloc, and read back in order.
 */
static void phyr_list_large(struct kunit *test)
{
	const unsigned long n = 1ul << 18;
	const struct phyr_chunk *c;
	struct phyr_list *l;
	struct phyr_iter it;
	struct phyr seg;
	unsigned long i = 0;
	bool ok = true;

	l = phyr_test_list(test);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, (u64)i * SZ_8K, SZ_4K,
							  PHYR_IC_HOST, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), n);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), (u64)SZ_1G);
	for (c = l->head; c; c = c->next) {
		KUNIT_EXPECT_LE(test, struct_size(c, words, c->cap), PAGE_SIZE);
		KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(c));
	}

	i = 0;
	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		ok &= phyr_addr(&seg) == (u64)i * SZ_8K && phyr_len(&seg) == SZ_4K;
		i++;
	}
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_EQ(test, i, n);
}

/* Seeded random appends give exactly what the reference model holds. */
static void phyr_list_random_vs_model(struct kunit *test)
{
	const unsigned int n = 4000;
	struct rnd_state rnd;
	struct phyr_model m;
	struct phyr_list *l;
	unsigned int round;

	phyr_test_rnd_init(test, &rnd);
	for (round = 0; round < 8; round++) {
		l = phyr_test_list(test);
		phyr_model_init(test, &m, n);
		phyr_test_random_fill(test, &rnd, l, &m, n, round % 2 ? PAGE_SHIFT : 0);
		phyr_model_expect_list(test, &m, l);
		phyr_list_free(l);
	}
}

/*
 * Page-aligned ranges of up to 2^16 pages take one word, any other range
 * two; the iterator gives back the same ranges either way.
 */
static void phyr_list_entry_forms(struct kunit *test)
{
	static const struct {
		u64 addr, len;
		unsigned int words;
	} cases[] = {
		{ SZ_1M, SZ_4K, 1 },
		{ 0, (u64)SZ_4K << PHYR_W_PAGES_BITS, 1 },
		{ SZ_1G, ((u64)SZ_4K << PHYR_W_PAGES_BITS) + SZ_4K, 2 },
		{ SZ_1M + 1, SZ_4K, 2 },
		{ SZ_1M, SZ_4K + 1, 2 },
		{ (PHYR_W_PFN << PAGE_SHIFT), SZ_4K, 1 },
		{ (PHYR_W_PFN + 1) << PAGE_SHIFT, SZ_4K, 2 },
		{ SZ_4G, 3, 2 },
	};
	struct phyr_model m;
	struct phyr_list *l;
	unsigned int i, words = 0;

	l = phyr_test_list(test);
	phyr_model_init(test, &m, ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		/* flags alternate, so that no two entries merge */
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, cases[i].addr, cases[i].len,
							  i & 1, GFP_KERNEL));
		phyr_model_append(&m, cases[i].addr, cases[i].len, i & 1);
		words += cases[i].words;
	}
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), ARRAY_SIZE(cases));
	phyr_model_expect_list(test, &m, l);
	/* the first two chunks (8 and 16 words) hold every entry */
	KUNIT_EXPECT_EQ(test, l->head->nr + l->head->next->nr, words);
}

/*
 * A one-word entry that grows past 2^16 pages by coalescing becomes a
 * two-word entry: in place while its chunk has a word left, at the start
 * of the next chunk when it sits in the last word of a full one.
 */
static void phyr_list_grow_to_wide(struct kunit *test)
{
	const u64 big = (u64)SZ_4K << PHYR_W_PAGES_BITS;
	struct phyr_model m;
	struct phyr_list *l;
	unsigned int i, cap;

	/* in place */
	l = phyr_test_list(test);
	phyr_model_init(test, &m, 4);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, 0, big, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, l->head->nr, 1);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, big, SZ_4K, 0, GFP_KERNEL));
	phyr_model_append(&m, 0, big + SZ_4K, 0);
	KUNIT_EXPECT_EQ(test, l->head->nr, 2);
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 1);
	KUNIT_EXPECT_EQ(test, l->head->bytes, big + SZ_4K);
	phyr_model_expect_list(test, &m, l);
	phyr_list_free(l);

	/* the last word of a full chunk */
	phyr_model_init(test, &m, 600);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, 0, SZ_4K, 1, GFP_KERNEL));
	phyr_model_append(&m, 0, SZ_4K, 1);
	cap = l->head->cap;
	for (i = 1; i < cap - 1; i++) {
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, (u64)i * SZ_8K, SZ_4K,
							  1, GFP_KERNEL));
		phyr_model_append(&m, (u64)i * SZ_8K, SZ_4K, 1);
	}
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1G, big, 0, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, l->head->nr, cap);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1G + big, SZ_8K, 0, GFP_KERNEL));
	phyr_model_append(&m, SZ_1G, big + SZ_8K, 0);
	KUNIT_EXPECT_EQ(test, l->head->nr, cap - 1);
	KUNIT_EXPECT_EQ(test, l->head->bytes, (u64)(cap - 1) * SZ_4K);
	KUNIT_ASSERT_NOT_NULL(test, l->head->next);
	KUNIT_EXPECT_EQ(test, l->head->next->nr, 2);
	KUNIT_EXPECT_EQ(test, l->head->next->bytes, big + SZ_8K);
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), cap);
	phyr_model_expect_list(test, &m, l);
	/* and the list goes on from there */
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_4G, SZ_4K, 1, GFP_KERNEL));
	phyr_model_append(&m, SZ_4G, SZ_4K, 1);
	phyr_model_expect_list(test, &m, l);
}

/*
 * A two-word entry does not fit in the last word of a chunk: it opens the
 * next one, and the word left over is not counted as room.
 */
static void phyr_list_wide_at_chunk_end(struct kunit *test)
{
	struct phyr_model m;
	struct phyr_list *l;
	unsigned int i, cap;

	l = phyr_test_list(test);
	phyr_model_init(test, &m, 16);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, 0, SZ_4K, 0, GFP_KERNEL));
	phyr_model_append(&m, 0, SZ_4K, 0);
	cap = l->head->cap;
	for (i = 1; i < cap - 1; i++) {
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, (u64)i * SZ_8K, SZ_4K,
							  0, GFP_KERNEL));
		phyr_model_append(&m, (u64)i * SZ_8K, SZ_4K, 0);
	}
	KUNIT_EXPECT_EQ(test, l->spare, 0);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1G + 1, 5, 0, GFP_KERNEL));
	phyr_model_append(&m, SZ_1G + 1, 5, 0);
	KUNIT_EXPECT_EQ(test, l->head->nr, cap - 1);
	KUNIT_EXPECT_EQ(test, l->head->next->nr, 2);
	phyr_model_expect_list(test, &m, l);
}

/*
 * The reservation holds whatever form the entries take: appends of
 * one-word and two-word entries, merges that widen entries included, never
 * allocate after phyr_list_reserve(n).
 */
static void phyr_list_reserve_mixed(struct kunit *test)
{
	const u64 big = (u64)SZ_4K << PHYR_W_PAGES_BITS;
	const unsigned int n = 3000;
	struct rnd_state rnd;
	struct phyr_model m;
	struct phyr_list *l;
	unsigned int i, chunks;
	u64 end = 0;

	phyr_test_rnd_init(test, &rnd);
	l = phyr_test_list(test);
	phyr_model_init(test, &m, n);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(l, n, GFP_KERNEL));
	chunks = phyr_test_chunks(l);
	for (i = 0; i < n; i++) {
		u32 r = prandom_u32_state(&rnd);
		u64 addr = r & 1 ? end : end + SZ_1M;
		u64 len = r & 2 ? big : SZ_4K;

		if (r & 4)
			len += 1;
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, addr, len, 0, GFP_KERNEL));
		phyr_model_append(&m, addr, len, 0);
		end = round_up(addr + len, SZ_4K);
	}
	KUNIT_EXPECT_EQ(test, phyr_test_chunks(l), chunks);
	phyr_model_expect_list(test, &m, l);
}

/*
 * Seeded random page-aligned appends that mostly coalesce: entries keep
 * crossing 2^16 pages, at every position in a chunk; the list always
 * matches the model, slices included.
 */
static void phyr_list_random_widen(struct kunit *test)
{
	const unsigned int n = 3000;
	struct rnd_state rnd;
	struct phyr_model m, ms;
	struct phyr_list *l;
	struct phyr_iter it;
	unsigned int i, k;
	u64 end = 0;

	phyr_test_rnd_init(test, &rnd);
	l = phyr_test_list(test);
	phyr_model_init(test, &m, n);
	for (i = 0; i < n; i++) {
		u32 r = prandom_u32_state(&rnd);
		u64 len = (1 + (r >> 8) % 16384) << PAGE_SHIFT;
		u64 addr = (r & 3) ? end : end + SZ_2M;

		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, addr, len, 0, GFP_KERNEL));
		phyr_model_append(&m, addr, len, 0);
		end = addr + len;
	}
	phyr_model_expect_list(test, &m, l);
	for (k = 0; k < 32; k++) {
		u64 off = ((u64)prandom_u32_state(&rnd) << 12) % m.len;
		u64 len = ((u64)prandom_u32_state(&rnd) << 10) % (m.len - off + 1);

		phyr_model_slice(test, &ms, &m, off, len);
		KUNIT_ASSERT_EQ(test, 0, phyr_iter_init_slice(l, off, len, &it));
		phyr_model_expect_iter(test, &ms, &it);
	}
}

/*
 * A list of 2^18 separate page-aligned pages costs 8 bytes per page, plus
 * a chunk header per 500 entries or so and the unused end of the last
 * chunk.
 */
static void phyr_list_storage_per_page(struct kunit *test)
{
	const unsigned long n = 1ul << 18;
	struct phyr_list *l;
	unsigned long i;

	l = phyr_test_list(test);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, (u64)i * SZ_8K, SZ_4K,
							  PHYR_IC_HOST, GFP_KERNEL));
	kunit_info(test, "%lu pages: %zu bytes of storage\n", n,
		   phyr_list_storage(l));
	KUNIT_EXPECT_LE(test, phyr_list_storage(l),
			n * 8 + (n / 500 + 8) * sizeof(struct phyr_chunk) + PAGE_SIZE);
	KUNIT_EXPECT_GE(test, phyr_list_storage(l), n * 8);
}

/* A freed list is empty and can be filled again. */
static void phyr_list_free_reuse(struct kunit *test)
{
	struct phyr_list *l;

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(l, 600, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1G, SZ_1G, 0, GFP_KERNEL));
	phyr_list_free(l);
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(l));
	KUNIT_EXPECT_NULL(test, l->head);
	KUNIT_EXPECT_EQ(test, l->spare, 0);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_4K, 1, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 1);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), 1);
}

KUNIT_DEFINE_ACTION_WRAPPER(phyr_test_kvfree, kvfree, const void *);

/*
 * An array of @n page pointers for the page frame numbers @pfns. Only the
 * frame number of such a pointer is ever computed (page_to_pfn() on the
 * virtual memory map is arithmetic): no struct page is read, so any frame
 * number will do.
 */
static struct page **phyr_test_pages(struct kunit *test,
				     const unsigned long *pfns,
				     unsigned long n)
{
	struct page **pages = kvmalloc_array(max(n, 1ul), sizeof(*pages),
					     GFP_KERNEL);
	unsigned long i;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	ret = kunit_add_action_or_reset(test, phyr_test_kvfree, pages);
	KUNIT_ASSERT_EQ(test, 0, ret);
	for (i = 0; i < n; i++)
		pages[i] = pfn_to_page(pfns[i]);
	return pages;
}

/* @a and @b hold the same entries in the same forms and the same chunks. */
static void phyr_test_expect_same(struct kunit *test,
				  const struct phyr_list *a,
				  const struct phyr_list *b)
{
	const struct phyr_chunk *ca = a->head, *cb = b->head;

	phyr_test_expect_layout(test, a);
	phyr_test_expect_layout(test, b);
	KUNIT_EXPECT_EQ(test, a->nents, b->nents);
	KUNIT_EXPECT_EQ(test, a->len, b->len);
	KUNIT_EXPECT_EQ(test, a->spare, b->spare);
	KUNIT_EXPECT_EQ(test, a->sum.lowest, b->sum.lowest);
	KUNIT_EXPECT_EQ(test, a->sum.end, b->sum.end);
	KUNIT_EXPECT_EQ(test, a->sum.longest, b->sum.longest);
	KUNIT_EXPECT_EQ(test, fls64(a->sum.cross), fls64(b->sum.cross));
	KUNIT_EXPECT_EQ(test, a->sum.flags, b->sum.flags);
	KUNIT_EXPECT_EQ(test, phyr_list_storage(a), phyr_list_storage(b));
	for (; ca && cb; ca = ca->next, cb = cb->next) {
		KUNIT_ASSERT_EQ(test, ca->cap, cb->cap);
		KUNIT_ASSERT_EQ(test, ca->nr, cb->nr);
		KUNIT_ASSERT_EQ(test, 0, memcmp(ca->words, cb->words,
						ca->nr * sizeof(u64)));
	}
	KUNIT_EXPECT_TRUE(test, !ca && !cb);
}

/*
 * Frame numbers for a batch: runs of contiguous pages of random length
 * (now and then longer than an 8-byte entry holds), separated by gaps;
 * the first run continues the list's last entry a third of the time, and
 * one batch in eight has a run beyond the 8-byte form's frame numbers.
 */
static unsigned long phyr_test_pfns(struct rnd_state *rnd, unsigned long *pfns,
				    unsigned long max, unsigned long pfn)
{
	unsigned long n = 0, run, i;
	u32 r = prandom_u32_state(rnd);

	if (r % 3)
		pfn += 1 + r % 1000;
	while (n < max) {
		r = prandom_u32_state(rnd);
		if (r % 16 == 0)
			run = BIT(PHYR_W_PAGES_BITS) - 2 + r % 5;
		else
			run = 1 + (r % 4 ? 0 : r % 40);
		if (prandom_u32_state(rnd) % 512 == 0)
			pfn = PHYR_W_PFN - 2;
		run = min(run, max - n);
		for (i = 0; i < run; i++)
			pfns[n++] = pfn++;
		pfn += 1 + prandom_u32_state(rnd) % 3;
		if (prandom_u32_state(rnd) % 4 == 0)
			break;
	}
	return n;
}

/*
 * phyr_list_append_pages() leaves exactly what a loop of phyr_list_append()
 * leaves: same entries, forms, chunks and summary, after random prefixes
 * (8-byte, 16-byte, full and reserved) and with random flags.
 */
static void phyr_list_pages_vs_append(struct kunit *test)
{
	static const unsigned int flags[] = {
		PHYR_IC_HOST, PHYR_IC_HOST | PHYR_F_PINNED, PHYR_IC_P2P,
	};
	const unsigned long max = 3 * BIT(PHYR_W_PAGES_BITS);
	unsigned long *pfns, n, i, pfn;
	struct phyr_list *a, *b;
	struct rnd_state rnd;
	struct page **pages;
	unsigned int round, k, f;
	int ret;
	u32 r;

	phyr_test_rnd_init(test, &rnd);
	pfns = kvmalloc_array(max, sizeof(*pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);
	ret = kunit_add_action_or_reset(test, phyr_test_kvfree, pfns);
	KUNIT_ASSERT_EQ(test, 0, ret);
	for (round = 0; round < 24; round++) {
		a = phyr_test_list(test);
		b = phyr_test_list(test);
		pfn = 0x100000;
		for (k = prandom_u32_state(&rnd) % 4; k; k--) {
			u64 addr = (u64)pfn << PAGE_SHIFT, len;

			r = prandom_u32_state(&rnd);
			f = flags[r % ARRAY_SIZE(flags)];
			switch ((r >> 4) % 4) {
			case 0:	/* 8-byte, sometimes full */
				len = (r & 256 ? BIT(PHYR_W_PAGES_BITS) :
				       1 + (r >> 9) % 64) << PAGE_SHIFT;
				break;
			case 1:	/* 16-byte: an unaligned start */
				addr += 0x800;
				len = SZ_8K - 0x800;
				break;
			case 2:	/* 16-byte: longer than 2^16 pages */
				len = SZ_512M;
				break;
			default:
				KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(a, r % 700, GFP_KERNEL));
				KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(b, r % 700, GFP_KERNEL));
				continue;
			}
			KUNIT_ASSERT_EQ(test, 0, phyr_list_append(a, addr, len, f, GFP_KERNEL));
			KUNIT_ASSERT_EQ(test, 0, phyr_list_append(b, addr, len, f, GFP_KERNEL));
			pfn = (addr + len) >> PAGE_SHIFT;
		}
		for (k = 0; k < 3; k++) {
			n = phyr_test_pfns(&rnd, pfns, max, pfn);
			pages = phyr_test_pages(test, pfns, n);
			f = flags[prandom_u32_state(&rnd) % ARRAY_SIZE(flags)];
			for (i = 0; i < n; i++) {
				ret = phyr_list_append(a, page_to_phys(pages[i]),
						       PAGE_SIZE, f, GFP_KERNEL);
				KUNIT_ASSERT_EQ(test, 0, ret);
			}
			ret = phyr_list_append_pages(b, pages, n, f, GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, 0, ret);
			phyr_test_expect_same(test, a, b);
			if (n)
				pfn = pfns[n - 1] + 1;
		}
		phyr_list_free(a);
		phyr_list_free(b);
	}
}

/* Rejected batches change nothing; an empty batch is no change either. */
static void phyr_list_pages_errors(struct kunit *test)
{
	unsigned long pfns[4] = { 16, 17, 19, 20 }, n;
	struct phyr_list *l, *ref;
	struct page **pages;
	int ret;

	l = phyr_test_list(test);
	ref = phyr_test_list(test);
	pages = phyr_test_pages(test, pfns, ARRAY_SIZE(pfns));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_4K, SZ_4K, 0, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(ref, SZ_4K, SZ_4K, 0, GFP_KERNEL));

	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_list_append_pages(l, pages, 4, BIT(5), GFP_KERNEL));
	ret = phyr_list_append_pages(l, pages, 4, BIT(7), GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, -EINVAL, ret);
	KUNIT_EXPECT_EQ(test, -E2BIG, phyr_list_append_pages(l, NULL, ULONG_MAX, 0, GFP_KERNEL));
	n = (U64_MAX - SZ_4K) / PAGE_SIZE + 1;
	KUNIT_EXPECT_EQ(test, -E2BIG, phyr_list_append_pages(l, NULL, n, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, 0, phyr_list_append_pages(l, NULL, 0, 0, GFP_KERNEL));
	phyr_test_expect_same(test, ref, l);

	KUNIT_ASSERT_EQ(test, 0, phyr_list_append_pages(l, pages, 4, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 3);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), 5 * SZ_4K);
}

/*
 * phyr_list_rewind() takes back any mix of appends: new entries, a last
 * entry that grew, widened in place or moved to the next chunk, reserved
 * chunks that filled up and chunks linked since.
 */
static void phyr_list_rewind_appends(struct kunit *test)
{
	struct phyr_list_mark mark;
	struct phyr_model m, scratch;
	unsigned int round, prefix;
	struct phyr_list *l;
	struct rnd_state rnd;
	size_t storage;
	int ret;

	phyr_test_rnd_init(test, &rnd);
	for (round = 0; round < 64; round++) {
		l = phyr_test_list(test);
		prefix = prandom_u32_state(&rnd) % 1200;
		phyr_model_init(test, &m, prefix + 1);
		phyr_test_random_fill(test, &rnd, l, &m, prefix, PAGE_SHIFT);
		if (round & 1) {
			ret = phyr_list_reserve(l, prandom_u32_state(&rnd) % 600,
						GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, 0, ret);
		}
		storage = phyr_list_storage(l);
		phyr_list_mark(l, &mark);
		if (m.n && (round & 4)) {
			/* grow the last entry, past the 8-byte form at times */
			const struct phyr_model_ent *e = &m.e[m.n - 1];
			u64 len = (1 + prandom_u32_state(&rnd) % 70000) << PAGE_SHIFT;

			ret = phyr_list_append(l, e->addr + e->len, len,
					       e->flags, GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, 0, ret);
		}
		phyr_model_init(test, &scratch, 2000);
		phyr_test_random_fill(test, &rnd, l, &scratch,
				      1 + prandom_u32_state(&rnd) % 2000,
				      round & 2 ? PAGE_SHIFT : 0);
		phyr_list_rewind(l, &mark);
		phyr_model_expect_list(test, &m, l);
		KUNIT_EXPECT_EQ(test, phyr_list_storage(l), storage);
		phyr_list_free(l);
	}
}

static struct kunit_case phyr_list_tests[] = {
	KUNIT_CASE(phyr_list_empty_list),
	KUNIT_CASE(phyr_list_append_errors),
	KUNIT_CASE_PARAM(phyr_list_coalesce, phyr_coalesce_gen_params),
	KUNIT_CASE(phyr_list_coalesce_max_len),
	KUNIT_CASE(phyr_list_coalesce_across_chunks),
	KUNIT_CASE(phyr_list_reserve_no_alloc),
	KUNIT_CASE(phyr_list_total_overflow),
	KUNIT_CASE_SLOW(phyr_list_large),
	KUNIT_CASE(phyr_list_random_vs_model),
	KUNIT_CASE(phyr_list_free_reuse),
	KUNIT_CASE(phyr_list_entry_forms),
	KUNIT_CASE(phyr_list_grow_to_wide),
	KUNIT_CASE(phyr_list_wide_at_chunk_end),
	KUNIT_CASE(phyr_list_reserve_mixed),
	KUNIT_CASE(phyr_list_random_widen),
	KUNIT_CASE_SLOW(phyr_list_storage_per_page),
	KUNIT_CASE_SLOW(phyr_list_pages_vs_append),
	KUNIT_CASE(phyr_list_pages_errors),
	KUNIT_CASE(phyr_list_rewind_appends),
	{}
};

static struct kunit_suite phyr_list_suite = {
	.name = "phyr_list",
	.test_cases = phyr_list_tests,
};

kunit_test_suite(phyr_list_suite);
