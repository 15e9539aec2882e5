// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for struct phyr: validation, layout and every flag bit.
 */

#include <kunit/test.h>

#include "phyr_test_model.h"

/* The entry is two 64-bit words on 64-bit kernels, bio_vec sized. */
static void phyr_entry_size(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct phyr), 16);
	KUNIT_EXPECT_EQ(test, PHYR_MAX_LEN, BIT_ULL(56) - 1);
	KUNIT_EXPECT_EQ(test, PHYR_F_VALID_MASK, 0x1fu);
}

struct phyr_entry_case {
	const char *name;
	u64 addr;
	u64 len;
	unsigned int flags;
	int ret;
};

static const struct phyr_entry_case phyr_entry_cases[] = {
	{ "zero-length", 0x1000, 0, 0, -EINVAL },
	{ "one-byte", 0x1000, 1, 0, 0 },
	{ "unaligned-ends", 0x1001, 0x1ffe, PHYR_IC_HOST, 0 },
	{ "exactly-4GiB", 0x100000000ull, SZ_4G, PHYR_IC_DEVICE, 0 },
	{ "above-4GiB", 0x7000, SZ_4G + 1, PHYR_IC_P2P, 0 },
	{ "max-length", 0x0, PHYR_MAX_LEN, PHYR_IC_LINK, 0 },
	{ "too-long", 0x0, PHYR_MAX_LEN + 1, 0, -E2BIG },
	{ "u64-length", 0x0, U64_MAX, 0, -E2BIG },
	{ "wraps", U64_MAX, 2, 0, -EINVAL },
	{ "end-is-2^64", U64_MAX - 4095, 4096, 0, -EINVAL },
	{ "ends-below-2^64", U64_MAX - 4096, 4096, 0, 0 },
	{ "wc-flag", 0x1000, 1, PHYR_F_WC, 0 },
	{ "reserved-flag-5", 0x1000, 1, BIT(5), -EINVAL },
	{ "reserved-flag-7", 0x1000, 1, BIT(7), -EINVAL },
	{ "flag-above-byte", 0x1000, 1, BIT(8), -EINVAL },
	{ "all-valid-flags", 0x1000, 1, PHYR_F_VALID_MASK, 0 },
};

static void phyr_entry_case_desc(const struct phyr_entry_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(phyr_entry, phyr_entry_cases, phyr_entry_case_desc);

/*
 * phyr_check() and phyr_set() accept exactly the valid ranges; a valid
 * range reads back unchanged, an invalid one leaves the entry untouched.
 */
static void phyr_entry_check(struct kunit *test)
{
	const struct phyr_entry_case *c = test->param_value;
	struct phyr p = { .addr = 0xdead, .len_flags = 0xbeef };

	KUNIT_EXPECT_EQ(test, phyr_check(c->addr, c->len, c->flags), c->ret);
	KUNIT_ASSERT_EQ(test, phyr_set(&p, c->addr, c->len, c->flags), c->ret);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, p.addr, 0xdead);
		KUNIT_EXPECT_EQ(test, p.len_flags, 0xbeef);
		return;
	}
	KUNIT_EXPECT_EQ(test, phyr_addr(&p), c->addr);
	KUNIT_EXPECT_EQ(test, phyr_len(&p), c->len);
	KUNIT_EXPECT_EQ(test, phyr_flags(&p), c->flags);
	KUNIT_EXPECT_EQ(test, phyr_end(&p), c->addr + c->len);
}

/*
 * Every combination of flag bits reads back exactly, next to the largest
 * length and address, so no bit leaks between length, flags and address.
 */
static void phyr_entry_flag_bits(struct kunit *test)
{
	unsigned int flags;
	struct phyr p;

	for (flags = 0; flags <= PHYR_F_VALID_MASK; flags++) {
		KUNIT_ASSERT_EQ(test, 0, phyr_set(&p, 0, PHYR_MAX_LEN, flags));
		KUNIT_EXPECT_EQ(test, phyr_len(&p), PHYR_MAX_LEN);
		KUNIT_EXPECT_EQ(test, phyr_flags(&p), flags);
		KUNIT_EXPECT_EQ(test, phyr_interconnect(&p), flags & PHYR_IC_MASK);

		KUNIT_ASSERT_EQ(test, 0, phyr_set(&p, U64_MAX - 1, 1, flags));
		KUNIT_EXPECT_EQ(test, phyr_addr(&p), U64_MAX - 1);
		KUNIT_EXPECT_EQ(test, phyr_len(&p), 1);
		KUNIT_EXPECT_EQ(test, phyr_flags(&p), flags);
	}
}

/* The four interconnect kinds and two attributes are distinct bits. */
static void phyr_entry_interconnects(struct kunit *test)
{
	static const unsigned int ics[] = {
		PHYR_IC_HOST, PHYR_IC_DEVICE, PHYR_IC_P2P, PHYR_IC_LINK,
	};
	unsigned int i;
	struct phyr p;

	for (i = 0; i < ARRAY_SIZE(ics); i++) {
		unsigned int f = ics[i] | PHYR_F_MMIO;

		KUNIT_ASSERT_EQ(test, 0, phyr_set(&p, SZ_1M, SZ_2M, f));
		KUNIT_EXPECT_EQ(test, phyr_interconnect(&p), ics[i]);
		KUNIT_EXPECT_TRUE(test, phyr_flags(&p) & PHYR_F_MMIO);
		KUNIT_EXPECT_FALSE(test, phyr_flags(&p) & PHYR_F_PINNED);
	}
	KUNIT_EXPECT_EQ(test, PHYR_IC_MASK & (PHYR_F_MMIO | PHYR_F_PINNED), 0);
	KUNIT_EXPECT_NE(test, PHYR_F_MMIO, PHYR_F_PINNED);
}

static struct kunit_case phyr_entry_tests[] = {
	KUNIT_CASE(phyr_entry_size),
	KUNIT_CASE_PARAM(phyr_entry_check, phyr_entry_gen_params),
	KUNIT_CASE(phyr_entry_flag_bits),
	KUNIT_CASE(phyr_entry_interconnects),
	{}
};

static struct kunit_suite phyr_entry_suite = {
	.name = "phyr_entry",
	.test_cases = phyr_entry_tests,
};

kunit_test_suite(phyr_entry_suite);
