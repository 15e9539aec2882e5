// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the phyr DRM helpers that need no hardware: the region
 * allocator and its phyr lists, links, and the scatterlist compatibility
 * conversions (DMA addresses only, never a struct page).
 */

#include <linux/list_sort.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <kunit/device.h>
#include <kunit/test.h>

#include "phyr_test_model.h"

/* Somewhere no RAM is: the region never touches its memory. */
#define TEST_BASE	BIT_ULL(40)

static void drm_phyr_test_region_fini(void *r)
{
	drm_phyr_region_fini(r);
}

static struct drm_phyr_region *test_region(struct kunit *test, u64 size)
{
	struct drm_phyr_region *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_region_init(r, NULL, TEST_BASE, size,
						      PHYR_IC_DEVICE | PHYR_F_MMIO));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, drm_phyr_test_region_fini, r));
	return r;
}

static void drm_phyr_test_free(void *a)
{
	drm_phyr_region_free(a);
}

static struct drm_phyr_region_mem *test_alloc(struct kunit *test,
					      struct drm_phyr_region *r,
					      u64 size)
{
	struct drm_phyr_region_mem *a = kunit_kzalloc(test, sizeof(*a),
						      GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_region_alloc(r, size, a));
	/* freed before the region: actions run in reverse order */
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, drm_phyr_test_free, a));
	return a;
}

/*
 * The list must be exactly the allocated blocks, sorted, with adjacent
 * blocks merged: compare against a model built from the block list.
 */
static void expect_alloc_matches_blocks(struct kunit *test,
					struct drm_phyr_region_mem *a,
					u64 size)
{
	struct drm_phyr_region *r = a->region;
	struct gpu_buddy_block *block;
	unsigned int nblocks = 0;
	struct phyr_model m;
	struct phyr_iter it;
	u64 total = 0, prev_end = 0;
	struct phyr seg;

	/* sorted and merged: every entry starts after a gap */
	phyr_iter_init(&a->list, &it);
	phyr_for_each(seg, &it) {
		if (prev_end)
			KUNIT_EXPECT_GT(test, phyr_addr(&seg), prev_end);
		prev_end = phyr_end(&seg);
	}

	list_for_each_entry(block, &a->blocks, link)
		nblocks++;
	phyr_model_init(test, &m, nblocks);
	list_for_each_entry(block, &a->blocks, link) {
		u64 off = gpu_buddy_block_offset(block);
		u64 len = gpu_buddy_block_size(&r->mm, block);

		phyr_model_append(&m, r->base + off, len, r->flags);
		total += len;
	}
	KUNIT_EXPECT_EQ(test, total, size);
	KUNIT_EXPECT_EQ(test, phyr_list_length(&a->list), size);
	phyr_model_expect_list(test, &m, &a->list);
}

static void drm_phyr_region_one_entry(struct kunit *test)
{
	struct drm_phyr_region *r = test_region(test, SZ_64M);
	struct drm_phyr_region_mem *a = test_alloc(test, r, SZ_32M);
	struct phyr_iter it;
	struct phyr seg;

	/* an empty region gives one block, one entry, with the region's flags */
	KUNIT_EXPECT_EQ(test, phyr_list_nents(&a->list), 1);
	phyr_iter_init(&a->list, &it);
	KUNIT_ASSERT_TRUE(test, phyr_iter_next(&it, &seg));
	KUNIT_EXPECT_GE(test, phyr_addr(&seg), TEST_BASE);
	KUNIT_EXPECT_LE(test, phyr_end(&seg), TEST_BASE + SZ_64M);
	KUNIT_EXPECT_EQ(test, phyr_len(&seg), SZ_32M);
	KUNIT_EXPECT_EQ(test, phyr_flags(&seg), PHYR_IC_DEVICE | PHYR_F_MMIO);
	KUNIT_EXPECT_EQ(test, r->mm.avail, SZ_32M);
	expect_alloc_matches_blocks(test, a, SZ_32M);
}

/* 3 MiB + 4 KiB needs blocks of three orders; adjacent ones merge. */
static void drm_phyr_region_multi_block(struct kunit *test)
{
	struct drm_phyr_region *r = test_region(test, SZ_64M);
	u64 size = SZ_2M + SZ_1M + SZ_4K;
	struct drm_phyr_region_mem *a = test_alloc(test, r, size);
	struct gpu_buddy_block *block;
	unsigned int nblocks = 0;

	list_for_each_entry(block, &a->blocks, link)
		nblocks++;
	KUNIT_EXPECT_EQ(test, nblocks, 3);
	KUNIT_EXPECT_LE(test, phyr_list_nents(&a->list), nblocks);
	expect_alloc_matches_blocks(test, a, size);
}

/* Free every other page: a new allocation is scattered, not merged. */
static void drm_phyr_region_fragmented(struct kunit *test)
{
	struct drm_phyr_region *r = test_region(test, SZ_1M);
	struct drm_phyr_region_mem *pages[32], *a;
	int i;

	for (i = 0; i < ARRAY_SIZE(pages); i++)
		pages[i] = test_alloc(test, r, SZ_4K);
	for (i = 0; i < ARRAY_SIZE(pages); i += 2)
		drm_phyr_region_free(pages[i]);
	/* 16 holes of one page and 128 KiB free after the 32 pages */
	a = test_alloc(test, r, SZ_1M - 32 * SZ_4K + 16 * SZ_4K);
	/* the 16 holes never touch each other; the rest may touch one */
	KUNIT_EXPECT_GE(test, phyr_list_nents(&a->list), 16);
	KUNIT_EXPECT_LE(test, phyr_list_nents(&a->list), 16 + 1);
	expect_alloc_matches_blocks(test, a, SZ_1M - 16 * SZ_4K);
	KUNIT_EXPECT_EQ(test, r->mm.avail, 0);
}

static void drm_phyr_region_errors(struct kunit *test)
{
	struct drm_phyr_region *r = test_region(test, SZ_1M);
	struct drm_phyr_region_mem a = { };
	struct drm_phyr_region bad;

	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_alloc(r, 0, &a));
	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_alloc(r, 100, &a));
	KUNIT_EXPECT_EQ(test, -E2BIG, drm_phyr_region_alloc(r, SZ_2M, &a));
	test_alloc(test, r, SZ_512K + SZ_256K);
	KUNIT_EXPECT_EQ(test, -ENOSPC, drm_phyr_region_alloc(r, SZ_512K, &a));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(&a.list), 0);
	drm_phyr_region_free(&a);	/* a failed allocation frees nothing */

	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_init(&bad, NULL, TEST_BASE + 1,
							    SZ_1M, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_init(&bad, NULL, TEST_BASE, 0, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_init(&bad, NULL, TEST_BASE,
							    SZ_1M, 0x80));
}

static void drm_phyr_region_links(struct kunit *test)
{
	struct device *own = kunit_device_register(test, "phyr-own");
	struct device *peer = kunit_device_register(test, "phyr-peer");
	struct drm_phyr_region *r;
	unsigned int refs;
	u64 base = 0;

	KUNIT_ASSERT_FALSE(test, IS_ERR(own));
	KUNIT_ASSERT_FALSE(test, IS_ERR(peer));
	r = test_region(test, SZ_1M);
	r->dev = own;

	KUNIT_EXPECT_FALSE(test, drm_phyr_region_linked_to(r, peer, &base));
	KUNIT_EXPECT_FALSE(test, drm_phyr_region_linked_to(NULL, peer, &base));
	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_link(r, own, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_link(r, NULL, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, drm_phyr_region_link(r, peer, U64_MAX - SZ_4K));
	refs = kref_read(&peer->kobj.kref);
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_region_link(r, peer, 1ULL << 44));
	/* the link holds the peer device */
	KUNIT_EXPECT_EQ(test, kref_read(&peer->kobj.kref), refs + 1);
	KUNIT_EXPECT_EQ(test, -EBUSY, drm_phyr_region_link(r, peer, 0));
	KUNIT_EXPECT_EQ(test, kref_read(&peer->kobj.kref), refs + 1);
	KUNIT_EXPECT_TRUE(test, drm_phyr_region_linked_to(r, peer, &base));
	KUNIT_EXPECT_EQ(test, base, 1ULL << 44);
	KUNIT_EXPECT_FALSE(test, drm_phyr_region_linked_to(r, own, &base));
	drm_phyr_region_unlink(r);
	KUNIT_EXPECT_FALSE(test, drm_phyr_region_linked_to(r, peer, &base));
	KUNIT_EXPECT_EQ(test, kref_read(&peer->kobj.kref), refs);
}

static void drm_phyr_test_free_sgt(void *sgt)
{
	dma_range_free_sgt(sgt);
}

static void drm_phyr_test_free_table(void *t)
{
	phyr_dma_unmap(t);
}

static void drm_phyr_test_free_sgt_table(void *sgt)
{
	sg_free_table(sgt);
}

/* A scatterlist as an exporter maps it: DMA addresses, no pages. */
static struct sg_table *test_sgt(struct kunit *test, const u64 (*segs)[2],
				 unsigned int n)
{
	struct sg_table *sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, 0, sg_alloc_table(sgt, n, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, drm_phyr_test_free_sgt_table, sgt));
	for_each_sgtable_sg(sgt, sg, i) {
		sg_dma_address(sg) = segs[i][0];
		sg_dma_len(sg) = segs[i][1];
	}
	sgt->nents = n;
	return sgt;
}

static void drm_phyr_sgt_from(struct kunit *test)
{
	static const u64 segs[][2] = {
		{ 0x10000, SZ_64K }, { 0x20000, SZ_4K },	/* contiguous */
		{ 0x40000, SZ_8K }, { 0x42000, 0 },		/* empty one */
		{ 0x1000000000ULL, SZ_2M },
	};
	struct sg_table *sgt = test_sgt(test, segs, ARRAY_SIZE(segs));
	struct dma_range_table *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct dma_range_table *bad;
	static const u64 empty[][2] = { { 0x42000, 0 } };
	static const u64 want[][2] = {
		{ 0x10000, SZ_64K + SZ_4K }, { 0x40000, SZ_8K },
		{ 0x1000000000ULL, SZ_2M },
	};
	struct dma_range_iter it;
	struct dma_range r;
	unsigned int i = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, 0, dma_range_table_from_sgt(t, NULL, sgt,
							  PHYR_IC_P2P | PHYR_F_MMIO));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, drm_phyr_test_free_table, t));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, dma_range_table_length(t),
			SZ_64K + SZ_4K + SZ_8K + SZ_2M);
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(want));
		KUNIT_EXPECT_EQ(test, r.addr, want[i][0]);
		KUNIT_EXPECT_EQ(test, dma_range_len(&r), want[i][1]);
		KUNIT_EXPECT_EQ(test, dma_range_flags(&r),
				PHYR_IC_P2P | PHYR_F_MMIO | DMA_RANGE_VIA_SG);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(want));
	phyr_dma_unmap(t);

	/*
	 * A foreign exporter's peer-to-peer segment (a PCI bus address, as
	 * the P2PDMA core marks it) is not host memory, whatever the caller
	 * says the rest is: it becomes its own %PHYR_IC_P2P range.
	 */
	sg_dma_mark_bus_address(sg_next(sg_next(sgt->sgl)));
	KUNIT_ASSERT_EQ(test, 0, dma_range_table_from_sgt(t, NULL, sgt, PHYR_IC_HOST));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), ARRAY_SIZE(want));
	i = 0;
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(want));
		KUNIT_EXPECT_EQ(test, r.addr, want[i][0]);
		KUNIT_EXPECT_EQ_MSG(test, dma_range_flags(&r),
				    (i == 1 ? PHYR_IC_P2P : PHYR_IC_HOST) | DMA_RANGE_VIA_SG,
				    "range %u", i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(want));

	/* bad flags, and a scatterlist with nothing in it */
	bad = kunit_kzalloc(test, sizeof(*bad), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	KUNIT_EXPECT_EQ(test, -EINVAL, dma_range_table_from_sgt(bad, NULL, sgt, BIT(5)));
	sgt = test_sgt(test, empty, ARRAY_SIZE(empty));
	KUNIT_EXPECT_EQ(test, -EINVAL, dma_range_table_from_sgt(bad, NULL, sgt, 0));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(&bad->ranges), 0);
}

static void drm_phyr_sgt_to(struct kunit *test)
{
	struct dma_range_table *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	u64 big = 5ULL << 30;	/* more than a scatterlist entry can hold */
	struct scatterlist *sg;
	struct sg_table *sgt;
	/* long ranges split on power-of-two boundaries, not at UINT_MAX */
	u64 expect_addr[4] = { 0x100000, 0x200000000ULL, 0x280000000ULL,
			       0x300000000ULL };
	u64 expect_len[4] = { SZ_64K, SZ_2G, SZ_2G, SZ_1G };
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	phyr_list_init(&t->ranges);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, drm_phyr_test_free_table, t));

	sgt = dma_range_table_to_sgt(t, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(sgt), -EINVAL);

	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(&t->ranges, 0x100000, SZ_64K,
						  PHYR_IC_HOST, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(&t->ranges, 0x200000000ULL, big,
						  PHYR_IC_P2P, GFP_KERNEL));
	t->len = SZ_64K + big;

	sgt = dma_range_table_to_sgt(t, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, drm_phyr_test_free_sgt, sgt));
	KUNIT_EXPECT_EQ(test, sgt->nents, 4);
	KUNIT_EXPECT_EQ(test, sgt->orig_nents, 4);
	for_each_sgtable_sg(sgt, sg, i) {
		KUNIT_ASSERT_LT(test, i, 4);
		/* no struct page and no CPU length: importers see DMA only */
		KUNIT_EXPECT_NULL(test, sg_page(sg));
		KUNIT_EXPECT_EQ(test, sg->length, 0);
		KUNIT_EXPECT_EQ(test, sg_dma_address(sg), expect_addr[i]);
		KUNIT_EXPECT_EQ(test, sg_dma_len(sg), expect_len[i]);
	}
}

static struct kunit_case drm_phyr_helper_cases[] = {
	KUNIT_CASE(drm_phyr_region_one_entry),
	KUNIT_CASE(drm_phyr_region_multi_block),
	KUNIT_CASE(drm_phyr_region_fragmented),
	KUNIT_CASE(drm_phyr_region_errors),
	KUNIT_CASE(drm_phyr_region_links),
	KUNIT_CASE(drm_phyr_sgt_from),
	KUNIT_CASE(drm_phyr_sgt_to),
	{ }
};

static struct kunit_suite drm_phyr_helper_suite = {
	.name = "drm_phyr_helper",
	.test_cases = drm_phyr_helper_cases,
};

kunit_test_suite(drm_phyr_helper_suite);
