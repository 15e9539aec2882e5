// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for phyr iterators and byte slices.
 */

#include <kunit/test.h>

#include "phyr_test_model.h"

/* Entries with odd sizes, one above 4 GiB, distinct flags: no merging. */
static const struct phyr_model_ent phyr_iter_ents[] = {
	{ 0x10000, 1, PHYR_IC_HOST },
	{ 0x20001, 4095, PHYR_IC_DEVICE },
	{ 0x30000, SZ_4K, PHYR_IC_P2P | PHYR_F_MMIO },
	{ 0x100000000ull, SZ_4G + 3, PHYR_IC_LINK },
	{ 0x40000, 3, PHYR_IC_HOST | PHYR_F_PINNED },
	{ 0x50000, SZ_8K, PHYR_IC_DEVICE },
};

static struct phyr_list *phyr_iter_build(struct kunit *test,
					 struct phyr_model *m)
{
	struct phyr_list *l = phyr_test_list(test);
	unsigned int i;

	phyr_model_init(test, m, ARRAY_SIZE(phyr_iter_ents));
	for (i = 0; i < ARRAY_SIZE(phyr_iter_ents); i++) {
		const struct phyr_model_ent *e = &phyr_iter_ents[i];

		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, e->addr, e->len, e->flags,
							  GFP_KERNEL));
		phyr_model_append(m, e->addr, e->len, e->flags);
	}
	KUNIT_ASSERT_EQ(test, phyr_list_nents(l), ARRAY_SIZE(phyr_iter_ents));
	return l;
}

/* Iterating the whole list yields each entry once, unclipped. */
static void phyr_iter_whole_list(struct kunit *test)
{
	struct phyr_model m;
	struct phyr_list *l;
	struct phyr_iter it;

	l = phyr_iter_build(test, &m);
	phyr_iter_init(l, &it);
	KUNIT_EXPECT_EQ(test, it.size, phyr_list_length(l));
	phyr_model_expect_iter(test, &m, &it);
	KUNIT_EXPECT_EQ(test, it.size, 0);
}

/*
 * Slices starting and ending at every entry boundary and one byte on each
 * side of it match the reference model, zero-length slices included.
 */
static void phyr_iter_slice_every_boundary(struct kunit *test)
{
	u64 cuts[3 * ARRAY_SIZE(phyr_iter_ents) + 3];
	unsigned int ncuts = 0, i, j;
	struct phyr_model m, want;
	struct phyr_list *l;
	u64 pos = 0;

	l = phyr_iter_build(test, &m);
	for (i = 0; i <= m.n; i++) {
		if (pos)
			cuts[ncuts++] = pos - 1;
		cuts[ncuts++] = pos;
		if (pos < m.len)
			cuts[ncuts++] = pos + 1;
		if (i < m.n)
			pos += m.e[i].len;
	}

	for (i = 0; i < ncuts; i++) {
		for (j = i; j < ncuts; j++) {
			u64 off = cuts[i], len = cuts[j] - cuts[i];
			struct phyr_iter it;

			if (cuts[j] < cuts[i])
				continue;
			KUNIT_ASSERT_EQ(test, 0, phyr_iter_init_slice(l, off, len, &it));
			KUNIT_EXPECT_EQ(test, it.size, len);
			phyr_model_slice(test, &want, &m, off, len);
			phyr_model_expect_iter(test, &want, &it);
		}
	}
}

struct phyr_slice_err_case {
	const char *name;
	u64 off;
	u64 len;
};

static const struct phyr_slice_err_case phyr_slice_err_cases[] = {
	{ "offset-past-end", SZ_8G, 0 },
	{ "end-past-end", 0, SZ_8G },
	{ "one-byte-too-long", 1, SZ_4G + SZ_16K + 6 },
	{ "offset-plus-length-wraps", U64_MAX, 2 },
	{ "length-u64-max", 1, U64_MAX },
};

static void phyr_slice_err_case_desc(const struct phyr_slice_err_case *c,
				     char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phyr_slice_err, phyr_slice_err_cases, phyr_slice_err_case_desc);

/*
 * A slice outside the list is -EINVAL and leaves both the iterator and
 * the destination list untouched. (The list is 4 GiB + 16 KiB + 6 bytes.)
 */
static void phyr_iter_slice_errors(struct kunit *test)
{
	const struct phyr_slice_err_case *c = test->param_value;
	struct phyr_iter it = { .size = 1234 };
	struct phyr_list *l, *dst;
	struct phyr_model m;

	l = phyr_iter_build(test, &m);
	dst = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, m.len, SZ_4G + SZ_16K + 6);
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_iter_init_slice(l, c->off, c->len, &it));
	KUNIT_EXPECT_EQ(test, it.size, 1234);
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_list_slice(dst, l, c->off, c->len, GFP_KERNEL));
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(dst));
}

/*
 * phyr_list_slice() copies exactly what the slice iterator yields, into
 * an empty list only.
 */
static void phyr_iter_list_slice(struct kunit *test)
{
	struct phyr_model m, want;
	struct phyr_list *l, *dst;
	u64 off = 3, len = SZ_4G + SZ_4K;

	l = phyr_iter_build(test, &m);
	dst = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_slice(dst, l, off, len, GFP_KERNEL));
	phyr_model_slice(test, &want, &m, off, len);
	phyr_model_expect_list(test, &want, dst);
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_list_slice(dst, l, 0, 1, GFP_KERNEL));
	phyr_model_expect_list(test, &want, dst);

	phyr_list_free(dst);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_slice(dst, l, 5, 0, GFP_KERNEL));
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(dst));
}

/*
 * An iterator is a value: a copy keeps its position while the original
 * advances, and advancing in arbitrary steps visits every byte in order.
 */
static void phyr_iter_value_and_steps(struct kunit *test)
{
	struct phyr_iter it, saved;
	struct phyr_model m;
	struct phyr_list *l;
	struct phyr cur;
	u64 expect_addr, total = 0;
	unsigned int i = 0;

	l = phyr_iter_build(test, &m);
	phyr_iter_init(l, &it);
	phyr_iter_advance(&it, 2);	/* 1 byte into the second entry */
	saved = it;
	phyr_iter_advance(&it, SZ_4K);
	cur = phyr_iter_cur(&saved);
	KUNIT_EXPECT_EQ(test, phyr_addr(&cur), m.e[1].addr + 1);
	KUNIT_EXPECT_EQ(test, phyr_len(&cur), m.e[1].len - 1);
	KUNIT_EXPECT_EQ(test, phyr_flags(&cur), m.e[1].flags);
	KUNIT_EXPECT_EQ(test, saved.size, m.len - 2);

	/* steps of 1000 bytes: each step lies within one entry */
	phyr_iter_init(l, &it);
	expect_addr = m.e[0].addr;
	while (it.size) {
		u64 step;

		cur = phyr_iter_cur(&it);
		KUNIT_ASSERT_EQ(test, phyr_addr(&cur), expect_addr);
		step = min_t(u64, 1000 + (total % 7) * SZ_1G, phyr_len(&cur));
		phyr_iter_advance(&it, step);
		total += step;
		if (step == phyr_len(&cur) && i + 1 < m.n)
			expect_addr = m.e[++i].addr;
		else
			expect_addr += step;
	}
	KUNIT_EXPECT_EQ(test, total, m.len);
	KUNIT_EXPECT_EQ(test, i, m.n - 1);
}

/* Random slices of random lists match the model (seed printed). */
static void phyr_iter_random_slices(struct kunit *test)
{
	struct phyr_model m, want;
	struct rnd_state rnd;
	struct phyr_list *l;
	unsigned int i;

	phyr_test_rnd_init(test, &rnd);
	l = phyr_test_list(test);
	phyr_model_init(test, &m, 600);
	phyr_test_random_fill(test, &rnd, l, &m, 600, 0);

	for (i = 0; i < 200; i++) {
		u64 a = ((u64)prandom_u32_state(&rnd) << 32 | prandom_u32_state(&rnd)) %
			(m.len + 1);
		u64 b = ((u64)prandom_u32_state(&rnd) << 32 | prandom_u32_state(&rnd)) %
			(m.len + 1);
		struct phyr_iter it;

		if (a > b)
			swap(a, b);
		KUNIT_ASSERT_EQ(test, 0, phyr_iter_init_slice(l, a, b - a, &it));
		phyr_model_slice(test, &want, &m, a, b - a);
		phyr_model_expect_iter(test, &want, &it);
	}
}

/*
 * A cursor walks the entries of random lists, in either form, with
 * reserved empty chunks after the last entry or none, and of an empty
 * list with and without chunks.
 */
static void phyr_iter_cursor_random(struct kunit *test)
{
	struct rnd_state rnd;
	struct phyr_model m;
	struct phyr_list *l;
	unsigned int round, n;

	phyr_test_rnd_init(test, &rnd);
	for (round = 0; round < 40; round++) {
		l = phyr_test_list(test);
		n = round < 2 ? 0 : prandom_u32_state(&rnd) % 3000;
		phyr_model_init(test, &m, n + 1);
		phyr_test_random_fill(test, &rnd, l, &m, n,
				      round & 2 ? PAGE_SHIFT : 0);
		if (round & 1)
			KUNIT_ASSERT_EQ(test, 0, phyr_list_reserve(l, 1 + n / 2,
								   GFP_KERNEL));
		phyr_model_expect_entries(test, &m, l);
		phyr_list_free(l);
	}
}

static struct kunit_case phyr_iter_tests[] = {
	KUNIT_CASE(phyr_iter_whole_list),
	KUNIT_CASE(phyr_iter_slice_every_boundary),
	KUNIT_CASE_PARAM(phyr_iter_slice_errors, phyr_slice_err_gen_params),
	KUNIT_CASE(phyr_iter_list_slice),
	KUNIT_CASE(phyr_iter_value_and_steps),
	KUNIT_CASE(phyr_iter_random_slices),
	KUNIT_CASE(phyr_iter_cursor_random),
	{}
};

static struct kunit_suite phyr_iter_suite = {
	.name = "phyr_iter",
	.test_cases = phyr_iter_tests,
};

kunit_test_suite(phyr_iter_suite);
