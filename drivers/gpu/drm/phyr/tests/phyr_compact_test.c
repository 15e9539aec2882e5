// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the compact encoding of phyr lists.
 */

#include <linux/slab.h>
#include <kunit/test.h>

#include "phyr_test_model.h"

struct phyr_cm_case {
	const char *name;
	u64 addr;
	u64 len;
	unsigned int words;
};

static const struct phyr_cm_case phyr_cm_cases[] = {
	{ "one-page", SZ_4K, SZ_4K, 1 },
	{ "2MiB", SZ_2M, SZ_2M, 1 },
	{ "1GiB-page-count-max", SZ_1G, SZ_1G, 1 },
	{ "1GiB-plus-a-page", SZ_1G, SZ_1G + SZ_4K, 2 },
	{ "exactly-4GiB", 0, SZ_4G, 1 },
	{ "6GiB", 0x4000000000ull, 6ull * SZ_1G, 1 },
	{ "4095-units-of-128-pages", 0, 4095ull * SZ_512K, 1 },
	{ "4097-units-of-128-pages", 0, 4097ull * SZ_512K, 2 },
	{ "2^55-bytes", 0, BIT_ULL(55), 1 },
	{ "largest-page-multiple", 0, PHYR_MAX_LEN + 1 - SZ_4K, 2 },
	{ "max-length", 0, PHYR_MAX_LEN, 2 },
	{ "unaligned-start", SZ_4K + 1, SZ_4K, 2 },
	{ "unaligned-length", SZ_4K, SZ_4K + 1, 2 },
	{ "one-byte", 0x1234, 1, 2 },
	{ "last-40-bit-pfn", (BIT_ULL(40) - 1) << PAGE_SHIFT, SZ_4K, 1 },
	{ "pfn-beyond-40-bits", BIT_ULL(40) << PAGE_SHIFT, SZ_4K, 2 },
	{ "top-of-address-space", U64_MAX - SZ_8K + 1 - 1, SZ_4K, 2 },
};

static void phyr_cm_case_desc(const struct phyr_cm_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phyr_cm, phyr_cm_cases, phyr_cm_case_desc);

/* Encode @l, decode it again and expect the same ranges as @m. */
static ssize_t phyr_cm_round_trip(struct kunit *test, const struct phyr_list *l,
				  const struct phyr_model *m)
{
	struct phyr_list *back;
	ssize_t n;
	u64 *buf;

	n = phyr_compact_encode(l, NULL, 0);
	KUNIT_ASSERT_GE(test, n, 0);
	buf = kunit_kcalloc(test, n ? n : 1, sizeof(*buf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, phyr_compact_encode(l, buf, n), n);

	back = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_compact_decode(back, buf, n, GFP_KERNEL));
	phyr_model_expect_list(test, m, back);
	phyr_list_free(back);
	kunit_kfree(test, buf);
	return n;
}

/*
 * Each range takes the documented number of words (1 when page aligned
 * and representable, else 2) and survives the round trip with every
 * flag combination.
 */
static void phyr_compact_sizes(struct kunit *test)
{
	const struct phyr_cm_case *c = test->param_value;
	unsigned int flags;

	for (flags = 0; flags <= PHYR_F_VALID_MASK; flags++) {
		struct phyr_model m;
		struct phyr_list *l;

		l = phyr_test_list(test);
		phyr_model_init(test, &m, 1);
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, c->addr, c->len, flags,
							  GFP_KERNEL));
		phyr_model_append(&m, c->addr, c->len, flags);
		KUNIT_EXPECT_EQ_MSG(test, phyr_cm_round_trip(test, l, &m), c->words,
				    "flags %#x", flags);
		phyr_list_free(l);
	}
}

/*
 * Random lists, page aligned or not, round trip exactly; an aligned list
 * of ranges up to 1 GiB costs 8 bytes per entry.
 */
static void phyr_compact_random_round_trip(struct kunit *test)
{
	struct rnd_state rnd;
	unsigned int round;

	phyr_test_rnd_init(test, &rnd);
	for (round = 0; round < 16; round++) {
		struct phyr_model m;
		struct phyr_list *l;
		ssize_t n;

		l = phyr_test_list(test);
		phyr_model_init(test, &m, 500);
		phyr_test_random_fill(test, &rnd, l, &m, 500, round % 2 ? PAGE_SHIFT : 0);
		n = phyr_cm_round_trip(test, l, &m);
		KUNIT_EXPECT_GE(test, n, (ssize_t)phyr_list_nents(l));
		KUNIT_EXPECT_LE(test, n, 2 * (ssize_t)phyr_list_nents(l));
		phyr_list_free(l);
	}
}

/*
 * 2^18 separate 4 KiB pages (1 GiB fragmented) take 8 bytes each, half
 * of the plain list and a quarter of a scatterlist.
 */
static void phyr_compact_fragmented_gib(struct kunit *test)
{
	const unsigned long n = 1ul << 18;
	struct phyr_list *l;
	unsigned long i;

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(l, n, GFP_KERNEL));
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, (u64)i * SZ_8K, SZ_4K, 0,
							  GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_compact_encode(l, NULL, 0), (ssize_t)n);
}

/* A short buffer is -ENOSPC; a NULL buffer only sizes. */
static void phyr_compact_enospc(struct kunit *test)
{
	struct phyr_list *l;
	u64 buf[3];

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_4K, SZ_4K, 0, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1M + 1, 5, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_compact_encode(l, NULL, 0), 3);
	KUNIT_EXPECT_EQ(test, phyr_compact_encode(l, buf, 2), -ENOSPC);
	KUNIT_EXPECT_EQ(test, phyr_compact_encode(l, buf, 0), -ENOSPC);
	KUNIT_EXPECT_EQ(test, phyr_compact_encode(l, buf, 3), 3);
}

struct phyr_cm_bad_case {
	const char *name;
	u64 words[2];
	unsigned int nwords;
};

#define PHYR_CM_W(mode)		((u64)(mode) << 62)

static const struct phyr_cm_bad_case phyr_cm_bad_cases[] = {
	{ "reserved-mode-3", { PHYR_CM_W(3) }, 1 },
	{ "wide-truncated", { PHYR_CM_W(2) | 1 }, 1 },
	{ "wide-reserved-bits", { PHYR_CM_W(2) | BIT_ULL(56) | 1, 0 }, 2 },
	{ "wide-zero-length", { PHYR_CM_W(2), SZ_4K }, 2 },
	{ "wide-wraps", { PHYR_CM_W(2) | 2, U64_MAX }, 2 },
	{ "order-overflows-64-bits", { PHYR_CM_W(1) | (63ull << 52) }, 1 },
	{ "order-beyond-max-length", { PHYR_CM_W(1) | (44ull << 52) | (1ull << 40) }, 1 },
};

static void phyr_cm_bad_case_desc(const struct phyr_cm_bad_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phyr_cm_bad, phyr_cm_bad_cases, phyr_cm_bad_case_desc);

/*
 * Malformed input after one good entry is -EINVAL and leaves the list
 * empty (the good entry is dropped too).
 */
static void phyr_compact_decode_malformed(struct kunit *test)
{
	const struct phyr_cm_bad_case *c = test->param_value;
	struct phyr_list *l;
	u64 buf[3];

	l = phyr_test_list(test);
	buf[0] = 1ull;		/* mode 0, one page at pfn 1 */
	buf[1] = c->words[0];
	buf[2] = c->words[1];
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_compact_decode(l, buf, 1 + c->nwords,
							   GFP_KERNEL));
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(l));
	KUNIT_EXPECT_NULL(test, l->head);

	KUNIT_ASSERT_EQ(test, 0, phyr_compact_decode(l, buf, 1, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), PAGE_SIZE);
	/* decoding into a list that is not empty is refused */
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_compact_decode(l, buf, 1, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 1);
}

static struct kunit_case phyr_compact_tests[] = {
	KUNIT_CASE_PARAM(phyr_compact_sizes, phyr_cm_gen_params),
	KUNIT_CASE(phyr_compact_random_round_trip),
	KUNIT_CASE_SLOW(phyr_compact_fragmented_gib),
	KUNIT_CASE(phyr_compact_enospc),
	KUNIT_CASE_PARAM(phyr_compact_decode_malformed, phyr_cm_bad_gen_params),
	{}
};

static struct kunit_suite phyr_compact_suite = {
	.name = "phyr_compact",
	.test_cases = phyr_compact_tests,
};

kunit_test_suite(phyr_compact_suite);
