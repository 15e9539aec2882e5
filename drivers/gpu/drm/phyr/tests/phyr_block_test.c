// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for device block iteration and page-size selection.
 */

#include <linux/log2.h>
#include <kunit/test.h>

#include "phyr_test_model.h"

struct phyr_block_case {
	const char *name;
	struct phyr_model_ent ents[3];
	u64 pgsz;
	unsigned int nblocks;
	u64 blocks[8];
};

static const struct phyr_block_case phyr_block_cases[] = {
	{ "aligned-2MiB", { { SZ_2M, SZ_4M, 0 } }, SZ_2M, 2, { SZ_2M, SZ_4M } },
	{ "unaligned-ends", { { 0x1800, 0x4000, 0 } }, SZ_4K, 5,
	  { 0x1000, 0x2000, 0x3000, 0x4000, 0x5000 } },
	{ "one-byte", { { 0x12345, 1, 0 } }, SZ_4K, 1, { 0x12000 } },
	{ "two-entries", { { 0x10000, SZ_8K, 0 }, { 0x80000, SZ_4K, 1 } }, SZ_4K,
	  3, { 0x10000, 0x11000, 0x80000 } },
	{ "entry-inside-one-block", { { SZ_1G + 5, 10, 0 } }, SZ_1G, 1, { SZ_1G } },
	{ "block-size-1", { { 7, 3, 0 } }, 1, 3, { 7, 8, 9 } },
	{ "above-4GiB", { { SZ_4G - SZ_2M, SZ_4M, 0 } }, SZ_2M, 2,
	  { SZ_4G - SZ_2M, SZ_4G } },
};

static void phyr_block_case_desc(const struct phyr_block_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phyr_block, phyr_block_cases, phyr_block_case_desc);

static struct phyr_list *phyr_block_build(struct kunit *test,
					  const struct phyr_model_ent *ents,
					  unsigned int n)
{
	struct phyr_list *l = phyr_test_list(test);
	unsigned int i;

	for (i = 0; i < n && ents[i].len; i++)
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, ents[i].addr, ents[i].len,
							  ents[i].flags, GFP_KERNEL));
	return l;
}

/* The iterator yields exactly the listed block addresses, in order. */
static void phyr_block_iterate(struct kunit *test)
{
	const struct phyr_block_case *c = test->param_value;
	struct phyr_block_iter bi;
	struct phyr_list *l;
	unsigned int n = 0;

	l = phyr_block_build(test, c->ents, ARRAY_SIZE(c->ents));
	phyr_for_each_block(l, &bi, c->pgsz) {
		KUNIT_ASSERT_LT(test, n, c->nblocks);
		KUNIT_EXPECT_EQ_MSG(test, phyr_block_addr(&bi), c->blocks[n], "block %u", n);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, c->nblocks);
}

/* An empty list has no block. */
static void phyr_block_empty(struct kunit *test)
{
	struct phyr_list empty = PHYR_LIST_INIT, *l = &empty;
	struct phyr_block_iter bi;
	unsigned int n = 0;

	phyr_for_each_block(l, &bi, SZ_4K)
		n++;
	KUNIT_EXPECT_EQ(test, n, 0);
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(l, SZ_4K | SZ_2M, 0), 0);
}

struct phyr_pgsz_case {
	const char *name;
	struct phyr_model_ent ents[3];
	unsigned long bitmap;
	u64 iova;
	unsigned long pgsz;
};

#define PHYR_BITMAP_STD		(SZ_4K | SZ_64K | SZ_2M | SZ_1G)

static const struct phyr_pgsz_case phyr_pgsz_cases[] = {
	{ "one-4KiB-page", { { SZ_1M, SZ_4K } }, PHYR_BITMAP_STD, 0, SZ_4K },
	{ "2MiB-aligned", { { SZ_2M, SZ_2M } }, PHYR_BITMAP_STD, SZ_4M, SZ_2M },
	{ "1GiB-aligned", { { SZ_1G, SZ_1G } }, PHYR_BITMAP_STD, 0, SZ_1G },
	{ "8GiB-in-1GiB-pages", { { SZ_8G, SZ_8G } }, PHYR_BITMAP_STD, SZ_1G, SZ_1G },
	{ "iova-offset-differs", { { SZ_2M, SZ_2M } }, PHYR_BITMAP_STD, SZ_4K, SZ_4K },
	{ "iova-offset-matches", { { SZ_2M + 0x100, SZ_2M } }, PHYR_BITMAP_STD,
	  SZ_64M + 0x100, SZ_2M },
	{ "interior-start-64KiB", { { SZ_2M, SZ_2M }, { SZ_64K, SZ_2M, 1 } },
	  PHYR_BITMAP_STD, 0, SZ_64K },
	{ "interior-end-unaligned", { { SZ_2M, SZ_4K + 1 }, { SZ_8M, SZ_4K } },
	  PHYR_BITMAP_STD, 0, 0 },
	{ "only-2MiB-supported", { { SZ_4K, SZ_4K } }, SZ_2M, SZ_4K, SZ_2M },
	{ "only-2MiB-offset-differs", { { SZ_4K, SZ_4K } }, SZ_2M, 0, 0 },
	{ "only-2MiB-misaligned", { { SZ_4K, SZ_4K }, { SZ_8M, SZ_4K } }, SZ_2M,
	  0, 0 },
	{ "empty-bitmap", { { SZ_2M, SZ_2M } }, 0, 0, 0 },
	{ "capped-at-cover", { { SZ_1G, SZ_8K } }, SZ_4K | SZ_16K | SZ_2M, SZ_1G,
	  SZ_16K },
	{ "unaligned-first-and-last", { { 0x1800, 0x800 }, { 0x10000, 0x123 } },
	  PHYR_BITMAP_STD, 0x800, SZ_4K },
};

static void phyr_pgsz_case_desc(const struct phyr_pgsz_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phyr_pgsz, phyr_pgsz_cases, phyr_pgsz_case_desc);

/* The chosen page size for hand-picked lists (see each case's name). */
static void phyr_block_best_pgsz(struct kunit *test)
{
	const struct phyr_pgsz_case *c = test->param_value;
	struct phyr_list *l;

	l = phyr_block_build(test, c->ents, ARRAY_SIZE(c->ents));
	KUNIT_EXPECT_EQ(test, phyr_list_best_pgsz(l, c->bitmap, c->iova), c->pgsz);
}

/* Brute force: does page size @p map @m at @iova? */
static bool phyr_model_pgsz_ok(const struct phyr_model *m, u64 p, u64 iova)
{
	unsigned int i;

	if ((m->e[0].addr ^ iova) & (p - 1))
		return false;
	for (i = 0; i < m->n; i++) {
		if (i && (m->e[i].addr & (p - 1)))
			return false;
		if (i + 1 < m->n && ((m->e[i].addr + m->e[i].len) & (p - 1)))
			return false;
	}
	return true;
}

/* Blocks of @m in page size @p, by definition. */
static u64 phyr_model_blocks(const struct phyr_model *m, u64 p)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < m->n; i++)
		n += (round_up(m->e[i].addr + m->e[i].len, p) -
		      round_down(m->e[i].addr, p)) / p;
	return n;
}

/*
 * On random lists, the chosen size is the largest working size that is
 * not above the smallest size covering the list in one page; and the
 * block iterator then yields disjoint blocks, as many as the model says.
 */
static void phyr_block_random_pgsz(struct kunit *test)
{
	unsigned int round, good = 0;
	struct rnd_state rnd;

	phyr_test_rnd_init(test, &rnd);
	for (round = 0; round < 300; round++) {
		unsigned long bitmap = (prandom_u32_state(&rnd) | 1ul << 31) << 12;
		unsigned int align = 12 + prandom_u32_state(&rnd) % 10;
		u64 iova = (u64)prandom_u32_state(&rnd) << align, want = 0, cover;
		u64 prev = U64_MAX, nblocks = 0, bit;
		struct phyr_block_iter bi;
		struct phyr_model m;
		struct phyr_list *l;
		unsigned long got;

		l = phyr_test_list(test);
		phyr_model_init(test, &m, 8);
		phyr_test_random_fill(test, &rnd, l, &m, 1 + round % 8, align);

		cover = BIT_ULL(fls64((iova + m.len - 1) ^ iova));
		for (bit = 12; bit < 44; bit++) {
			u64 p = BIT_ULL(bit);

			if (!(bitmap & p) || !phyr_model_pgsz_ok(&m, p, iova))
				continue;
			want = p;
			if (p >= cover)
				break;
		}
		got = phyr_list_best_pgsz(l, bitmap, iova);
		KUNIT_ASSERT_EQ_MSG(test, got, want, "round %u", round);
		if (!got)
			continue;
		good++;

		phyr_for_each_block(l, &bi, got) {
			KUNIT_ASSERT_TRUE(test, IS_ALIGNED(phyr_block_addr(&bi), got));
			KUNIT_ASSERT_NE(test, phyr_block_addr(&bi), prev);
			prev = phyr_block_addr(&bi);
			nblocks++;
		}
		KUNIT_EXPECT_EQ(test, nblocks, phyr_model_blocks(&m, got));
		phyr_list_free(l);
	}
	kunit_info(test, "%u of 300 random lists had a working page size\n", good);
	KUNIT_EXPECT_GT(test, good, 0);
}

static struct kunit_case phyr_block_tests[] = {
	KUNIT_CASE_PARAM(phyr_block_iterate, phyr_block_gen_params),
	KUNIT_CASE(phyr_block_empty),
	KUNIT_CASE_PARAM(phyr_block_best_pgsz, phyr_pgsz_gen_params),
	KUNIT_CASE_SLOW(phyr_block_random_pgsz),
	{}
};

static struct kunit_suite phyr_block_suite = {
	.name = "phyr_block",
	.test_cases = phyr_block_tests,
};

kunit_test_suite(phyr_block_suite);
