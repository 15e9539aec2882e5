// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for mapping phyr lists for DMA.
 *
 * A KUnit device stands for a DMA master behind dma-direct (no IOMMU);
 * the QEMU ivshmem PCI devices, when present, provide PCI BARs for the
 * peer-to-peer cases.
 */

#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iommu-dma.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>
#include <kunit/device.h>
#include <kunit/test.h>

#include "phyr_test_model.h"

#define PHYR_TEST_IVSHMEM	0x1110

/* What the VM's PCI topology promises for P2P between two ivshmem BARs. */
static char *p2p = "";
module_param(p2p, charp, 0400);
MODULE_PARM_DESC(p2p, "expected P2P path between ivshmem devices: none, bus or host");

static void phyr_dma_free_pages(void *page)
{
	__free_page(page);
}

static void phyr_dma_free_block(void *page)
{
	__free_pages(page, 9);
}

/* The physical address of a new page, freed when the test ends. */
static phys_addr_t phyr_dma_test_page(struct kunit *test)
{
	struct page *p = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_free_pages, p));
	return page_to_phys(p);
}

KUNIT_DEFINE_ACTION_WRAPPER(phyr_dma_unmap_action, phyr_dma_unmap,
			    struct dma_range_table *);

/* A table unmapped when the test ends, even if an assertion stops it. */
static struct dma_range_table *phyr_dma_test_table(struct kunit *test)
{
	struct dma_range_table *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_unmap_action, t));
	return t;
}

/* A DMA-capable device with a 64-bit mask and @max_seg as segment limit. */
static struct device *phyr_dma_device(struct kunit *test, unsigned int max_seg)
{
	struct device *dev = kunit_device_register(test, "phyr-dma");

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	KUNIT_ASSERT_EQ(test, 0, dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	if (max_seg) {
		dev->dma_parms = kunit_kzalloc(test, sizeof(*dev->dma_parms), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, dev->dma_parms);
		dma_set_max_seg_size(dev, max_seg);
	}
	return dev;
}

/* @n separately allocated pages, in a list and in the model. */
static struct phyr_list *phyr_dma_pages(struct kunit *test, unsigned int n,
					struct phyr_model *m)
{
	struct phyr_list *l = phyr_test_list(test);
	unsigned int i;

	phyr_model_init(test, m, n);
	for (i = 0; i < n; i++) {
		phys_addr_t pa = phyr_dma_test_page(test);

		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pa, PAGE_SIZE, PHYR_IC_HOST,
							  GFP_KERNEL));
		phyr_model_append(m, pa, PAGE_SIZE, PHYR_IC_HOST);
	}
	return l;
}

/* Expect @t to hold exactly the ranges of @m, each with @via. */
static void phyr_dma_expect(struct kunit *test, const struct dma_range_table *t,
			    const struct phyr_model *m, unsigned int via)
{
	struct dma_range_iter it;
	struct dma_range r;
	unsigned int i = 0;

	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		KUNIT_ASSERT_LT(test, i, m->n);
		KUNIT_ASSERT_EQ_MSG(test, r.addr, m->e[i].addr, "range %u", i);
		KUNIT_ASSERT_EQ_MSG(test, dma_range_len(&r), m->e[i].len, "range %u", i);
		KUNIT_ASSERT_EQ_MSG(test, dma_range_flags(&r), m->e[i].flags | via,
				    "range %u", i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, m->n);
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), (unsigned long)m->n);
	KUNIT_EXPECT_EQ(test, dma_range_table_length(t), m->len);
}

/*
 * 2^10 separate pages on a dma-direct device without bus offset: the table
 * aliases the list (no storage of its own) and every DMA address is the
 * physical address; a slice aliases too.
 */
static void phyr_dma_passthrough(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, UINT_MAX);
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct phyr_model m, want;
	struct phyr_list *l;

	l = phyr_dma_pages(test, 1024, &m);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, phyr_list_length(l),
					      DMA_BIDIRECTIONAL, 0, t));
	KUNIT_EXPECT_TRUE(test, dma_range_table_is_alias(t));
	KUNIT_EXPECT_NULL(test, t->ranges.head);
	phyr_dma_expect(test, t, &m, DMA_RANGE_VIA_DIRECT);
	phyr_dma_sync_for_cpu(t);
	phyr_dma_sync_for_device(t);
	phyr_dma_unmap(t);
	KUNIT_EXPECT_FALSE(test, dma_range_table_is_alias(t));

	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 100, 3 * PAGE_SIZE,
					      DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_TRUE(test, dma_range_table_is_alias(t));
	phyr_model_slice(test, &want, &m, 100, 3 * PAGE_SIZE);
	phyr_dma_expect(test, t, &want, DMA_RANGE_VIA_DIRECT);
	phyr_dma_unmap(t);
}

/* Expect no range of @t to cross a multiple of @mask + 1. */
static unsigned int phyr_dma_expect_within(struct kunit *test,
					   const struct dma_range_table *t,
					   u64 mask, u64 max)
{
	struct dma_range_iter it;
	struct dma_range r;
	unsigned int n = 0;

	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		u64 last = r.addr + dma_range_len(&r) - 1;

		KUNIT_EXPECT_EQ_MSG(test, r.addr & ~mask, last & ~mask,
				    "range %u: %llx+%llx crosses a boundary", n,
				    (u64)r.addr, dma_range_len(&r));
		KUNIT_EXPECT_LE_MSG(test, dma_range_len(&r), max, "range %u", n);
		n++;
	}
	return n;
}

/* A 2 MiB block in a list of its own, freed when the test ends. */
static struct phyr_list *phyr_dma_block(struct kunit *test, unsigned int flags,
					phys_addr_t *pa)
{
	struct phyr_list *l;
	struct page *block;

	block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	if (!block)
		kunit_skip(test, "no free 2 MiB block");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_free_block, block));
	*pa = page_to_phys(block);
	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, *pa, SZ_2M, flags, GFP_KERNEL));
	return l;
}

/*
 * Expect @t to hold the 2 MiB block at @pa (@dma for the device) in 32
 * pieces of 64 KiB, each with @flags, and the page-size helper and the
 * block iterator to see the 64 KiB boundaries; then sync and unmap.
 */
static void phyr_dma_expect_64k_pieces(struct kunit *test, struct dma_range_table *t,
				       dma_addr_t dma, unsigned int flags)
{
	struct phyr_block_iter bi;
	struct phyr_model m;
	unsigned int n = 0, i;

	phyr_model_init(test, &m, 32);
	for (i = 0; i < 32; i++) {
		/* no merging: each entry is one piece */
		m.e[m.n++] = (struct phyr_model_ent){ dma + i * SZ_64K, SZ_64K, flags };
		m.len += SZ_64K;
	}
	phyr_dma_expect(test, t, &m, 0);

	KUNIT_EXPECT_EQ(test, dma_range_table_best_pgsz(t, SZ_4K | SZ_64K | SZ_2M, dma),
			SZ_64K);
	dma_range_for_each_block(t, &bi, SZ_64K) {
		KUNIT_EXPECT_EQ(test, phyr_block_addr(&bi), dma + n * SZ_64K);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 32);

	phyr_dma_sync_for_cpu(t);
	phyr_dma_sync_for_device(t);
	phyr_dma_unmap(t);
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 0);
}

/*
 * A 2 MiB block on a device with the default 64 KiB segment limit: the
 * table still aliases the list (the summary says that only this entry is
 * too long), and walking it cuts the entry into 32 pieces of 64 KiB. With
 * CONFIG_DMA_API_DEBUG each piece was mapped through the DMA API too, and
 * the debug code checks that unmap gives every one of them back.
 */
static void phyr_dma_split_at_max_segment(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, 0);
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct phyr_list *l;
	phys_addr_t pa;

	KUNIT_ASSERT_EQ(test, dma_get_max_seg_size(dev), SZ_64K);
	l = phyr_dma_block(test, PHYR_F_PINNED, &pa);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, SZ_2M, DMA_FROM_DEVICE, 0, t));
	KUNIT_EXPECT_TRUE(test, dma_range_table_is_alias(t));
	KUNIT_EXPECT_EQ(test, t->piece, SZ_64K);
	KUNIT_EXPECT_EQ(test, t->debug_mapped, IS_ENABLED(CONFIG_DMA_API_DEBUG));
	phyr_dma_expect_64k_pieces(test, t, pa, PHYR_F_PINNED | DMA_RANGE_VIA_DIRECT);
}

/*
 * A device whose DMA addresses are its physical addresses plus an offset
 * (&device.dma_range_map, as on many SoCs) cannot use the list's addresses:
 * the DMA core says so (dma_map_phys_is_direct()), and the block is mapped
 * piece by piece with dma_map_page_attrs(), at the offset addresses. A map
 * without offset leaves passthrough possible.
 */
static void phyr_dma_bus_offset(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, 0);
	struct dma_range_table *t = phyr_dma_test_table(test);
	const u64 off = SZ_1T;
	struct bus_dma_region *map;
	struct phyr_list *l;
	phys_addr_t pa;

	l = phyr_dma_block(test, PHYR_IC_HOST, &pa);
	/* freed by the device core when the device goes */
	map = kcalloc(2, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	map[0] = (struct bus_dma_region){ .cpu_start = 0, .dma_start = off, .size = SZ_1T };
	dev->dma_range_map = map;

	KUNIT_EXPECT_FALSE(test, dma_map_phys_is_direct(dev, pa, SZ_2M));
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, SZ_2M, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_FALSE(test, dma_range_table_is_alias(t));
	phyr_dma_expect_64k_pieces(test, t, pa + off, PHYR_IC_HOST | DMA_RANGE_VIA_PAGE);

	map[0].dma_start = 0;
	KUNIT_EXPECT_TRUE(test, dma_map_phys_is_direct(dev, pa, SZ_2M));
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, SZ_2M, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_TRUE(test, dma_range_table_is_alias(t));
	phyr_dma_expect_64k_pieces(test, t, pa, PHYR_IC_HOST | DMA_RANGE_VIA_DIRECT);

	/* a range the map does not cover is not direct either */
	KUNIT_EXPECT_FALSE(test, dma_map_phys_is_direct(dev, SZ_1T - SZ_4K, SZ_8K));
}

/*
 * Write-combined system memory (%PHYR_F_WC) is system memory to a device:
 * mapped like any other, not aliased (a table's flags have the mapping
 * kind where a list's have WC), and the entries say how they were mapped,
 * nothing of how the CPU maps the memory.
 */
static void phyr_dma_wc_system(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, 0);
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct phyr_list *l;
	phys_addr_t pa;

	l = phyr_dma_block(test, PHYR_IC_HOST | PHYR_F_WC, &pa);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, SZ_2M, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_FALSE(test, dma_range_table_is_alias(t));
	phyr_dma_expect_64k_pieces(test, t, pa, PHYR_IC_HOST | DMA_RANGE_VIA_PAGE);
}

/*
 * The passthrough decision reads the summary, not the entries: 2^10
 * separate pages and one 2 MiB block on a 64 KiB device alias the list,
 * and only the block is cut (16 + 32 pieces for the last 16 pages and the
 * block); one peer entry at the end of the list takes even a slice
 * without it off passthrough (the summary covers the whole list).
 */
static void phyr_dma_passthrough_summary(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, 0);
	struct dma_range_table *t = phyr_dma_test_table(test);
	u64 mask = dma_get_seg_boundary(dev);
	struct phyr_model m, want;
	unsigned long pieces = 0;
	struct phyr_list *l;
	unsigned int i;
	phys_addr_t pa;
	u64 tail;

	l = phyr_dma_pages(test, 1024, &m);
	phyr_dma_block(test, PHYR_IC_HOST, &pa);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pa, SZ_2M, PHYR_IC_HOST, GFP_KERNEL));
	phyr_model_append(&m, pa, SZ_2M, PHYR_IC_HOST);
	KUNIT_EXPECT_EQ(test, l->sum.longest, SZ_2M);
	KUNIT_EXPECT_EQ(test, l->sum.flags, PHYR_IC_HOST);

	/* the last 16 pages and the block, as the device takes them */
	tail = 16 * PAGE_SIZE + SZ_2M;
	phyr_model_slice(test, &want, &m, m.len - tail, tail);
	for (i = 0; i < want.n; i++) {
		u64 a = want.e[i].addr, left = want.e[i].len;

		while (left) {
			u64 n = dma_range_piece_len(a, left, SZ_64K, mask);

			a += n;
			left -= n;
			pieces++;
		}
	}
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, m.len - tail, tail, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_TRUE(test, dma_range_table_is_alias(t));
	KUNIT_EXPECT_GE(test, pieces, 32 + 1);
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), pieces);
	KUNIT_EXPECT_EQ(test, phyr_dma_expect_within(test, t, mask, SZ_64K), pieces);
	phyr_dma_unmap(t);

	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, SZ_1T, SZ_4K, PHYR_IC_P2P | PHYR_F_MMIO,
						  GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, PAGE_SIZE, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_FALSE(test, dma_range_table_is_alias(t));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 1);
	phyr_dma_unmap(t);
	/* the whole list: the peer entry is out of reach of a non-PCI device */
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, phyr_dma_map(dev, l, 0, phyr_list_length(l),
							DMA_TO_DEVICE, 0, t));
}

/*
 * Splits land on power-of-two boundaries and honour the device's segment
 * boundary. A 2 MiB block on a device whose segment limit is 192 KiB (not
 * a power of two) is mapped in 16 naturally aligned 128 KiB pieces, never
 * in 192 KiB pieces that start at odd offsets. With a 64 KiB segment
 * boundary and no size limit, a slice that starts 32 KiB into the block
 * cannot be passed through as one range: it is cut at every 64 KiB line.
 */
static void phyr_dma_split_boundaries(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, 3 * SZ_64K);
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct dma_range_iter it;
	struct phyr_list *l;
	struct page *block;
	struct dma_range r;
	unsigned int i = 0;
	phys_addr_t pa;

	block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	if (!block)
		kunit_skip(test, "no free 2 MiB block");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_free_block, block));
	pa = page_to_phys(block);
	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pa, SZ_2M, PHYR_IC_HOST, GFP_KERNEL));

	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, SZ_2M, DMA_TO_DEVICE, 0, t));
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		KUNIT_EXPECT_EQ_MSG(test, r.addr, pa + i * SZ_128K, "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, dma_range_len(&r), SZ_128K, "range %u", i);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, 16);
	phyr_dma_unmap(t);

	dma_set_max_seg_size(dev, UINT_MAX);
	dma_set_seg_boundary(dev, SZ_64K - 1);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, SZ_32K, SZ_256K, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_EQ(test, phyr_dma_expect_within(test, t, SZ_64K - 1, SZ_64K), 5);
	KUNIT_EXPECT_EQ(test, dma_range_table_length(t), SZ_256K);
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, r.addr, pa + SZ_32K);
	KUNIT_EXPECT_EQ(test, dma_range_len(&r), SZ_32K);
	phyr_dma_unmap(t);
}

/* Bad requests fail with the documented errno and leave nothing mapped. */
static void phyr_dma_errors(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, UINT_MAX);
	struct device *nomask = kunit_device_register(test, "phyr-nomask");
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct phyr_list *l, *peer;
	struct phyr_model m;

	KUNIT_ASSERT_FALSE(test, IS_ERR(nomask));
	nomask->dma_mask = NULL;
	l = phyr_dma_pages(test, 2, &m);
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_dma_map(dev, l, 0, 0, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_dma_map(dev, l, 1, m.len, DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_dma_map(dev, l, 0, m.len, DMA_NONE, 0, t));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_dma_map(nomask, l, 0, m.len, DMA_TO_DEVICE, 0, t));

	/* system memory without struct pages */
	peer = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(peer, BIT_ULL(50), SZ_4K, PHYR_IC_HOST,
						  GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_dma_map(dev, peer, 0, SZ_4K, DMA_TO_DEVICE, 0, t));

	/* peer memory for a device that is not on PCI, or over a link */
	phyr_list_free(peer);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(peer, BIT_ULL(40), SZ_4K,
						  PHYR_IC_P2P | PHYR_F_MMIO, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, phyr_dma_map(dev, peer, 0, SZ_4K, DMA_TO_DEVICE,
							0, t));
	phyr_list_free(peer);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(peer, BIT_ULL(40), SZ_4K, PHYR_IC_LINK,
						  GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, phyr_dma_map(dev, peer, 0, SZ_4K, DMA_TO_DEVICE,
							0, t));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 0);
}

static void phyr_dma_put_pci(void *pdev)
{
	pci_dev_put(pdev);
}

/* The first ivshmem device with a BAR 2 of at least @size, referenced. */
static struct pci_dev *phyr_dma_big_bar(struct kunit *test, u64 size)
{
	struct pci_dev *pdev = NULL;

	while ((pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET,
				      PHYR_TEST_IVSHMEM, pdev))) {
		int ret;

		if (pci_resource_len(pdev, 2) < size)
			continue;
		ret = kunit_add_action_or_reset(test, phyr_dma_put_pci, pdev);
		KUNIT_ASSERT_EQ(test, 0, ret);
		return pdev;
	}
	return NULL;
}

/*
 * Under dma-iommu, peer memory reached through the host bridge is linked
 * into one IOVA range per attachment: three separate pages of @a's BAR
 * (every other page) give one %DMA_RANGE_VIA_HOST_BRIDGE entry, and every
 * page of it translates to its page of the BAR.
 */
static void phyr_dma_p2p_one_iova(struct kunit *test, struct pci_dev *a,
				  struct pci_dev *b, struct dma_range_table *t)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(&b->dev);
	phys_addr_t bar = pci_resource_start(a, 2);
	struct phyr_list *l = phyr_test_list(test);
	struct dma_range_iter it;
	struct dma_range r;
	unsigned int i;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, bar + 2 * i * PAGE_SIZE, PAGE_SIZE,
							  PHYR_IC_P2P | PHYR_F_MMIO, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 3, phyr_list_nents(l));
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&b->dev, l, 0, 3 * PAGE_SIZE, DMA_BIDIRECTIONAL,
					      0, t));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 1);
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, dma_range_len(&r), 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_HOST_BRIDGE);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(dom, r.addr + i * PAGE_SIZE + 9),
				    bar + 2 * i * PAGE_SIZE + 9, "page %u", i);
	phyr_dma_unmap(t);
}

/*
 * Peer-to-peer over the VM's ivshmem BARs (skipped without them). A device
 * reaching its own BAR uses the PCI bus address; for another device the
 * P2P distance decides: refused (-EOPNOTSUPP), bus address through a
 * shared switch, or dma_map_resource() through the host bridge (an IOVA
 * that translates to the BAR under an IOMMU). The VM run says which one
 * its topology must give (drm_phyr_test.p2p=none|bus|host). Memory in no
 * BAR is -EINVAL.
 */
static void phyr_dma_p2p(struct kunit *test)
{
	struct pci_dev *a, *b;
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct dma_range_iter it;
	struct phyr_list *l, *dl;
	enum pci_p2pdma_map_type type;
	struct sg_table *sgt;
	struct dma_range r;
	int dist, ret;
	u64 len;

	a = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, PHYR_TEST_IVSHMEM, NULL);
	if (!a)
		kunit_skip(test, "no ivshmem PCI device");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_put_pci, a));
	len = pci_resource_len(a, 2);
	KUNIT_ASSERT_GT(test, len, 0);

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pci_resource_start(a, 2), len,
						  PHYR_IC_P2P | PHYR_F_MMIO, GFP_KERNEL));

	/* its own BAR: distance 0, bus address, split at the segment limit */
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&a->dev, l, 0, len, DMA_BIDIRECTIONAL, 0, t));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t),
			DIV_ROUND_UP(len, dma_get_max_seg_size(&a->dev)));
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, r.addr, pci_bus_address(a, 2));
	KUNIT_EXPECT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_BUS);
	KUNIT_EXPECT_EQ(test, dma_range_flags(&r) & ~DMA_RANGE_VIA_MASK,
			PHYR_IC_P2P | PHYR_F_MMIO);
	/* handed out as a scatterlist, bus addresses are marked as such */
	sgt = dma_range_table_to_sgt(t, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sgt));
	KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(sgt->sgl));
	dma_range_free_sgt(sgt);
	phyr_dma_unmap(t);

	/* device-local memory stays device-local for its own device */
	dl = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(dl, pci_resource_start(a, 2), len,
						  PHYR_IC_DEVICE | PHYR_F_MMIO, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&a->dev, dl, 0, len, DMA_BIDIRECTIONAL, 0, t));
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, dma_range_flags(&r) & ~DMA_RANGE_VIA_MASK,
			PHYR_IC_DEVICE | PHYR_F_MMIO);
	phyr_dma_unmap(t);

	b = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, PHYR_TEST_IVSHMEM, a);
	if (!b)
		kunit_skip(test, "only one ivshmem PCI device");
	pci_dev_get(a);	/* pci_get_device() dropped the reference on a */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_put_pci, b));

	dist = pci_p2pdma_distance(a, &b->dev, false);
	type = pci_p2pdma_map_type_of(a, &b->dev);
	ret = phyr_dma_map(&b->dev, l, 0, len, DMA_TO_DEVICE, 0, t);
	kunit_info(test, "%s BAR2 for %s: distance %d, P2PDMA map type %d, map %d\n",
		   pci_name(a), pci_name(b), dist, type, ret);
	if (!strcmp(p2p, "none"))
		KUNIT_EXPECT_LT(test, dist, 0);
	else if (p2p[0])
		KUNIT_EXPECT_GE(test, dist, 0);
	/* one source of truth: the P2PDMA core's decision, ACS included */
	KUNIT_EXPECT_EQ(test, dist < 0, type == PCI_P2PDMA_MAP_NOT_SUPPORTED);
	if (dist < 0) {
		KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
	} else {
		KUNIT_ASSERT_EQ(test, ret, 0);
		dma_range_iter_init(t, &it);
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
		KUNIT_EXPECT_EQ(test, dma_range_via(&r),
				type == PCI_P2PDMA_MAP_BUS_ADDR ? DMA_RANGE_VIA_BUS :
								  DMA_RANGE_VIA_HOST_BRIDGE);
		if (!strcmp(p2p, "bus")) {
			/* below one switch: the peer's PCI bus address */
			KUNIT_EXPECT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_BUS);
			KUNIT_EXPECT_EQ(test, r.addr, pci_bus_address(a, 2));
		} else if (!strcmp(p2p, "host")) {
			KUNIT_EXPECT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_HOST_BRIDGE);
			struct iommu_domain *dom = iommu_get_domain_for_dev(&b->dev);

			if (use_dma_iommu(&b->dev))
				KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, r.addr + 123),
						pci_resource_start(a, 2) + 123);
			else
				KUNIT_EXPECT_EQ(test, r.addr, pci_resource_start(a, 2));
		}
		KUNIT_EXPECT_EQ(test, dma_range_table_length(t), len);
		phyr_dma_unmap(t);

		/* a's device-local memory is peer-to-peer memory for b */
		KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&b->dev, dl, 0, len, DMA_TO_DEVICE, 0, t));
		dma_range_iter_init(t, &it);
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
		KUNIT_EXPECT_EQ(test, dma_range_flags(&r) & DMA_RANGE_SRC_MASK,
				PHYR_IC_P2P | PHYR_F_MMIO);
		phyr_dma_unmap(t);

		if (type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE && use_dma_iommu(&b->dev))
			phyr_dma_p2p_one_iova(test, a, b, t);
	}

	/* peer memory that lies in no BAR */
	phyr_list_free(l);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, BIT_ULL(45), SZ_4K,
						  PHYR_IC_P2P | PHYR_F_MMIO, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_dma_map(&b->dev, l, 0, SZ_4K, DMA_TO_DEVICE, 0, t));
}

struct phyr_dma_seg_limit {
	struct device *dev;
	unsigned int max;
};

static void phyr_dma_restore_seg_size(void *p)
{
	struct phyr_dma_seg_limit *s = p;

	dma_set_max_seg_size(s->dev, s->max);
}

/*
 * A BAR of 8 GiB or more (sparse on the host) mapped for its own device,
 * whose segment limit is raised to UINT_MAX for the test (as GPU drivers
 * raise it): a range across the 4 GiB line of the device's address space
 * is cut on that line (the PCI default segment boundary is 4 GiB), and the
 * whole first 8 GiB, one list entry, becomes four naturally aligned 2 GiB
 * pieces, none across a 4 GiB line. Skipped without such a BAR.
 */
static void phyr_dma_p2p_above_4g(struct kunit *test)
{
	struct phyr_dma_seg_limit *limit;
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct pci_dev *big;
	u64 mask, max, bus, next, total = 0;
	struct dma_range_iter it;
	struct phyr_list *l;
	struct dma_range r;
	unsigned int n = 0;

	big = phyr_dma_big_bar(test, SZ_8G);
	if (!big)
		kunit_skip(test, "no ivshmem BAR of 8 GiB");
	KUNIT_ASSERT_NOT_NULL(test, big->dev.dma_parms);
	limit = kunit_kzalloc(test, sizeof(*limit), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, limit);
	*limit = (struct phyr_dma_seg_limit){ &big->dev, dma_get_max_seg_size(&big->dev) };
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_restore_seg_size,
							   limit));
	dma_set_max_seg_size(&big->dev, UINT_MAX);
	mask = dma_get_seg_boundary(&big->dev);
	max = dma_get_max_seg_size(&big->dev);
	bus = pci_bus_address(big, 2);
	kunit_info(test, "%s: BAR2 at bus %llx, segment boundary %llx, max segment %llx\n",
		   pci_name(big), bus, mask, max);
	KUNIT_ASSERT_EQ(test, bus & (SZ_8G - 1), 0);
	KUNIT_ASSERT_LE(test, mask, U32_MAX);

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pci_resource_start(big, 2), SZ_8G,
						  PHYR_IC_DEVICE | PHYR_F_MMIO, GFP_KERNEL));

	/* 64 KiB on either side of the 4 GiB line */
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&big->dev, l, SZ_4G - SZ_64K, SZ_128K,
					      DMA_BIDIRECTIONAL, 0, t));
	KUNIT_EXPECT_EQ(test, phyr_dma_expect_within(test, t, mask, max), 2);
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, r.addr, bus + SZ_4G - SZ_64K);
	KUNIT_EXPECT_EQ(test, dma_range_len(&r), SZ_64K);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, r.addr, bus + SZ_4G);
	phyr_dma_unmap(t);

	/* all of it: aligned power-of-two pieces, contiguous */
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&big->dev, l, 0, SZ_8G, DMA_BIDIRECTIONAL,
					      0, t));
	n = phyr_dma_expect_within(test, t, mask, max);
	next = bus;
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		u64 len = dma_range_len(&r);

		KUNIT_EXPECT_EQ(test, r.addr, next);
		KUNIT_EXPECT_TRUE_MSG(test, is_power_of_2(len) && IS_ALIGNED(r.addr, len),
				      "piece %llx+%llx", (u64)r.addr, len);
		next = r.addr + len;
		total += len;
	}
	KUNIT_EXPECT_EQ(test, total, SZ_8G);
	KUNIT_EXPECT_EQ(test, n, 4);
}

/*
 * Two BARs back to back coalesce into one list entry; mapping it must not
 * fail on the provider lookup: each part goes its own device's way. The
 * first part is the mapping device's own BAR (bus address), the second a
 * peer's, reached as the P2P distance allows or refused (-EOPNOTSUPP, not
 * -EINVAL). Skipped where no two ivshmem BARs are adjacent.
 */
static void phyr_dma_p2p_adjacent_bars(struct kunit *test)
{
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct pci_dev *a = NULL, *b = NULL, *found = NULL;
	struct dma_range_iter it;
	struct phyr_list *l;
	struct dma_range r;
	u64 la, lb;
	int ret;

	while (!found && (a = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET,
					     PHYR_TEST_IVSHMEM, a))) {
		b = NULL;
		while ((b = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET,
					   PHYR_TEST_IVSHMEM, b))) {
			if (pci_resource_len(a, 2) && pci_resource_len(b, 2) &&
			    pci_resource_end(a, 2) + 1 == pci_resource_start(b, 2)) {
				found = b;
				break;
			}
		}
	}
	if (!found)
		kunit_skip(test, "no two ivshmem BARs back to back");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_put_pci, a));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_put_pci, b));
	la = pci_resource_len(a, 2);
	lb = pci_resource_len(b, 2);

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pci_resource_start(a, 2), la,
						  PHYR_IC_P2P | PHYR_F_MMIO, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pci_resource_start(b, 2), lb,
						  PHYR_IC_P2P | PHYR_F_MMIO, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 1);

	ret = phyr_dma_map(&a->dev, l, 0, la + lb, DMA_TO_DEVICE, 0, t);
	kunit_info(test, "%s and %s back to back: map for %s %d\n", pci_name(a),
		   pci_name(b), pci_name(a), ret);
	if (pci_p2pdma_distance(b, &a->dev, false) < 0) {
		KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
		return;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, dma_range_table_length(t), la + lb);
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, r.addr, pci_bus_address(a, 2));
	KUNIT_EXPECT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_BUS);
}

/*
 * 1 GiB of contiguous device memory: the largest ivshmem BAR (the VM gives
 * one of 1 GiB) mapped for its own device is one phyr entry and a table of
 * contiguous bus-address pieces of at most the maximum segment size.
 */
static void phyr_dma_p2p_gib(struct kunit *test)
{
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct pci_dev *big;
	u64 max_seg, next, n = 0, total = 0;
	struct dma_range_iter it;
	struct phyr_list *l;
	struct dma_range r;

	big = phyr_dma_big_bar(test, SZ_1G);
	if (!big)
		kunit_skip(test, "no ivshmem BAR of 1 GiB");

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pci_resource_start(big, 2), SZ_1G,
						  PHYR_IC_DEVICE | PHYR_F_MMIO, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), 1);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&big->dev, l, 0, SZ_1G, DMA_BIDIRECTIONAL,
					      0, t));
	max_seg = dma_get_max_seg_size(&big->dev);
	next = pci_bus_address(big, 2);
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		if (r.addr != next || dma_range_len(&r) > max_seg ||
		    dma_range_via(&r) != DMA_RANGE_VIA_BUS)
			break;
		next += dma_range_len(&r);
		total += dma_range_len(&r);
		n++;
	}
	KUNIT_EXPECT_EQ(test, total, SZ_1G);
	KUNIT_EXPECT_EQ(test, n, DIV_ROUND_UP_ULL(SZ_1G, max_seg));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), n);
	phyr_dma_unmap(t);
}

/*
 * The second kind of P2P memory: a provider's BAR published as p2pmem (an
 * NVMe controller memory buffer), which has struct pages (ZONE_DEVICE).
 * Mapped for the provider itself it is reached by PCI bus address; for an
 * ivshmem device pci_p2pdma_distance() decides, as for BAR memory.
 */
static void phyr_dma_p2pmem(struct kunit *test)
{
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct pci_dev *prov = NULL, *client;
	struct iommu_domain *dom;
	struct dma_range_iter it;
	struct phyr_list *l;
	struct dma_range r;
	phys_addr_t phys;
	int dist, ret;
	void *mem;

	/* the NVMe driver probes asynchronously */
	wait_for_device_probe();
	while ((prov = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, prov)))
		if (pci_has_p2pmem(prov))
			break;
	if (!prov)
		kunit_skip(test, "no published p2pmem (boot with an NVMe CMB)");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_put_pci, prov));

	mem = pci_alloc_p2pmem(prov, SZ_64K);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	phys = page_to_phys(virt_to_page(mem));
	KUNIT_EXPECT_TRUE(test, pfn_valid(PHYS_PFN(phys)));
	kunit_info(test, "%s p2pmem at %pa\n", pci_name(prov), &phys);

	l = phyr_test_list(test);
	KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, phys, SZ_64K, PHYR_IC_P2P,
						  GFP_KERNEL));
	ret = phyr_dma_map(&prov->dev, l, 0, SZ_64K, DMA_BIDIRECTIONAL, 0, t);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret) {
		KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 1);
		dma_range_iter_init(t, &it);
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
		KUNIT_EXPECT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_BUS);
		KUNIT_EXPECT_EQ(test, r.addr, pci_p2pmem_virt_to_bus(prov, mem));
		KUNIT_EXPECT_EQ(test, dma_range_len(&r), SZ_64K);
		phyr_dma_unmap(t);
	}

	client = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, PHYR_TEST_IVSHMEM, NULL);
	if (client) {
		dist = pci_p2pdma_distance(prov, &client->dev, false);
		ret = phyr_dma_map(&client->dev, l, 0, SZ_64K, DMA_TO_DEVICE, 0, t);
		kunit_info(test, "p2pmem for %s: distance %d, map %d\n",
			   pci_name(client), dist, ret);
		if (dist < 0) {
			KUNIT_EXPECT_EQ(test, ret, -EOPNOTSUPP);
		} else {
			KUNIT_EXPECT_EQ(test, ret, 0);
			if (!ret) {
				dma_range_iter_init(t, &it);
				KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
				KUNIT_EXPECT_NE(test, dma_range_via(&r), DMA_RANGE_VIA_PAGE);
				dom = iommu_get_domain_for_dev(&client->dev);
				if (dma_range_via(&r) == DMA_RANGE_VIA_HOST_BRIDGE &&
				    use_dma_iommu(&client->dev))
					KUNIT_EXPECT_EQ(test,
							iommu_iova_to_phys(dom, r.addr + 100),
							phys + 100);
				phyr_dma_unmap(t);
			}
		}
		pci_dev_put(client);
	}
	pci_free_p2pmem(prov, mem, SZ_64K);
}

/* The first ivshmem PCI device, referenced until the test ends. */
static struct pci_dev *phyr_dma_pci_client(struct kunit *test)
{
	struct pci_dev *pdev;

	pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, PHYR_TEST_IVSHMEM, NULL);
	if (!pdev)
		kunit_skip(test, "no ivshmem PCI device");
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_put_pci, pdev));
	return pdev;
}

/* Expect the IOMMU to translate every page of @r to the bytes of @m. */
static void phyr_dma_expect_iova(struct kunit *test, struct iommu_domain *dom,
				 const struct dma_range *r,
				 const struct phyr_model *m)
{
	dma_addr_t iova = r->addr;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		u64 off;

		for (off = 0; off < m->e[i].len; off += PAGE_SIZE) {
			u64 step = min_t(u64, 123, m->e[i].len - off - 1);

			KUNIT_ASSERT_EQ_MSG(test, iommu_iova_to_phys(dom, iova + off + step),
					    m->e[i].addr + off + step,
					    "range %u offset %llu", i, off + step);
		}
		iova += m->e[i].len;
	}
	KUNIT_EXPECT_EQ(test, iova, r->addr + dma_range_len(r));
}

/*
 * A PCI device that dma-iommu translates (the VM run with an emulated
 * Intel IOMMU): 64 separate pages, and slices of them starting mid-page
 * (5 pages, and 1 to 48 around the batch size of the links), each land in
 * one IOVA range, a single table entry, which the IOMMU translates back to
 * the right physical byte for every page. Skipped when the device is not
 * translated.
 */
static void phyr_dma_iommu_one_iova(struct kunit *test)
{
	struct pci_dev *pdev = phyr_dma_pci_client(test);
	struct phyr_model m, want;
	struct iommu_domain *dom;
	struct dma_range_table *t = phyr_dma_test_table(test);
	static const unsigned int sizes[] = { 1, 15, 16, 17, 33, 48 };
	struct dma_range_iter it;
	struct phyr_list *l;
	struct dma_range r;
	unsigned int i;

	if (!use_dma_iommu(&pdev->dev))
		kunit_skip(test, "%s: DMA not translated by an IOMMU", pci_name(pdev));
	dom = iommu_get_domain_for_dev(&pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, dom);

	l = phyr_dma_pages(test, 64, &m);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&pdev->dev, l, 0, m.len, DMA_BIDIRECTIONAL,
					      0, t));
	KUNIT_EXPECT_FALSE(test, dma_range_table_is_alias(t));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 1);
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, dma_range_len(&r), m.len);
	KUNIT_EXPECT_EQ(test, dma_range_flags(&r), PHYR_IC_HOST | DMA_RANGE_VIA_IOMMU);
	phyr_dma_expect_iova(test, dom, &r, &m);
	phyr_dma_sync_for_cpu(t);
	phyr_dma_sync_for_device(t);
	phyr_dma_unmap(t);

	phyr_model_slice(test, &want, &m, 100, 5 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&pdev->dev, l, 100, 5 * PAGE_SIZE,
					      DMA_TO_DEVICE, 0, t));
	KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 1);
	dma_range_iter_init(t, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, dma_range_len(&r), 5 * PAGE_SIZE);
	phyr_dma_expect_iova(test, dom, &r, &want);
	phyr_dma_unmap(t);

	/* ranges are linked in batches: one short of, at and past a batch */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u64 off = sizes[i] > 1 ? 300 : 0;
		u64 len = sizes[i] * PAGE_SIZE - off;

		phyr_model_slice(test, &want, &m, off, len);
		KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&pdev->dev, l, off, len,
						      DMA_TO_DEVICE, 0, t));
		KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 1);
		dma_range_iter_init(t, &it);
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
		KUNIT_EXPECT_EQ_MSG(test, dma_range_len(&r), len, "%u pages", sizes[i]);
		phyr_dma_expect_iova(test, dom, &r, &want);
		phyr_dma_unmap(t);
	}
}

/*
 * The two-step IOVA interface phyr's IOMMU path is built on
 * (dma_iova_try_alloc(), dma_iova_link(), dma_iova_sync(),
 * dma_iova_unlink(), dma_iova_destroy()), checked page by page with
 * iommu_iova_to_phys(): three separate pages linked into one IOVA range,
 * the first from 100 bytes into its page; the middle one unlinked and
 * replaced; links outside the range or off a page boundary refused. A
 * device without IOMMU translation gets no IOVA range.
 */
static void phyr_dma_iova_api(struct kunit *test)
{
	struct device *plain = phyr_dma_device(test, UINT_MAX);
	struct pci_dev *pdev = phyr_dma_pci_client(test);
	struct device *dev = &pdev->dev;
	struct dma_iova_state st;
	struct iommu_domain *dom;
	phys_addr_t pa[4];
	unsigned int i;

	KUNIT_EXPECT_FALSE(test, dma_iova_try_alloc(plain, &st, 0, PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, dma_use_iova(&st));
	if (!use_dma_iommu(dev))
		kunit_skip(test, "%s: DMA not translated by an IOMMU", pci_name(pdev));
	dom = iommu_get_domain_for_dev(dev);
	KUNIT_ASSERT_NOT_NULL(test, dom);

	for (i = 0; i < ARRAY_SIZE(pa); i++)
		pa[i] = phyr_dma_test_page(test);

	/* 100 bytes into the first page, then two whole pages */
	KUNIT_ASSERT_TRUE(test, dma_iova_try_alloc(dev, &st, pa[0] + 100, 3 * PAGE_SIZE - 100));
	KUNIT_EXPECT_TRUE(test, dma_use_iova(&st));
	KUNIT_EXPECT_EQ(test, dma_iova_size(&st), 3 * PAGE_SIZE - 100);
	KUNIT_EXPECT_EQ(test, st.addr & ~PAGE_MASK, 100);
	KUNIT_EXPECT_EQ(test, 0, dma_iova_link(dev, &st, pa[0] + 100, 0, PAGE_SIZE - 100,
					       DMA_BIDIRECTIONAL, 0));
	KUNIT_EXPECT_EQ(test, 0, dma_iova_link(dev, &st, pa[1], PAGE_SIZE - 100, PAGE_SIZE,
					       DMA_BIDIRECTIONAL, 0));
	KUNIT_EXPECT_EQ(test, 0, dma_iova_link(dev, &st, pa[2], 2 * PAGE_SIZE - 100,
					       PAGE_SIZE, DMA_BIDIRECTIONAL, 0));
	/* outside the range, and a second link that starts inside a page */
	KUNIT_EXPECT_EQ(test, -EINVAL, dma_iova_link(dev, &st, pa[3], 3 * PAGE_SIZE - 100,
						     PAGE_SIZE, DMA_BIDIRECTIONAL, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, dma_iova_link(dev, &st, pa[3] + 8, PAGE_SIZE - 100,
						     8, DMA_BIDIRECTIONAL, 0));
	KUNIT_EXPECT_EQ(test, 0, dma_iova_sync(dev, &st, 0, 3 * PAGE_SIZE - 100));

	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr), pa[0] + 100);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr + PAGE_SIZE - 101),
			pa[0] + PAGE_SIZE - 1);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr + PAGE_SIZE - 100), pa[1]);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr + 2 * PAGE_SIZE - 100 + 5),
			pa[2] + 5);

	/* the middle page goes, another takes its place */
	dma_iova_unlink(dev, &st, PAGE_SIZE - 100, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr + PAGE_SIZE - 100), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr), pa[0] + 100);
	KUNIT_EXPECT_EQ(test, 0, dma_iova_link(dev, &st, pa[3], PAGE_SIZE - 100, PAGE_SIZE,
					       DMA_BIDIRECTIONAL, 0));
	KUNIT_EXPECT_EQ(test, 0, dma_iova_sync(dev, &st, PAGE_SIZE - 100, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr + PAGE_SIZE - 100 + 7),
			pa[3] + 7);

	dma_iova_destroy(dev, &st, 3 * PAGE_SIZE - 100, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_FALSE(test, dma_use_iova(&st));

	/* allocated, nothing linked, freed */
	KUNIT_ASSERT_TRUE(test, dma_iova_try_alloc(dev, &st, pa[0], SZ_1M));
	dma_iova_free(dev, &st);
	KUNIT_EXPECT_FALSE(test, dma_use_iova(&st));
}

/*
 * dma_iova_link_vec(): an array of ranges linked one after another, the
 * same as one dma_iova_link() per element. Five separate pages, the first
 * from 100 bytes in, checked page by page with iommu_iova_to_phys(). An
 * array with a bad element (starting inside a page, past the end of the
 * range, empty) is refused with -EINVAL and leaves nothing of itself
 * mapped, while links of earlier calls stay.
 */
static void phyr_dma_iova_link_vec(struct kunit *test)
{
	struct pci_dev *pdev = phyr_dma_pci_client(test);
	struct device *dev = &pdev->dev;
	const size_t size = 5 * PAGE_SIZE - 100;
	struct dma_iova_state st;
	struct iommu_domain *dom;
	struct phys_vec vec[5];
	phys_addr_t pa[6];
	unsigned int i, bad;

	if (!use_dma_iommu(dev))
		kunit_skip(test, "%s: DMA not translated by an IOMMU", pci_name(pdev));
	dom = iommu_get_domain_for_dev(dev);
	KUNIT_ASSERT_NOT_NULL(test, dom);

	for (i = 0; i < ARRAY_SIZE(pa); i++)
		pa[i] = phyr_dma_test_page(test);
	/* in an order other than the allocation's */
	for (i = 0; i < ARRAY_SIZE(vec); i++) {
		vec[i].paddr = pa[(i * 3) % ARRAY_SIZE(vec)];
		vec[i].len = PAGE_SIZE;
	}
	vec[0].paddr += 100;
	vec[0].len -= 100;

	KUNIT_ASSERT_TRUE(test, dma_iova_try_alloc(dev, &st, vec[0].paddr, size));
	KUNIT_EXPECT_EQ(test, 0, dma_iova_link_vec(dev, &st, vec, ARRAY_SIZE(vec), 0,
						   DMA_BIDIRECTIONAL, 0));
	KUNIT_EXPECT_EQ(test, 0, dma_iova_sync(dev, &st, 0, size));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr), vec[0].paddr);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr + PAGE_SIZE - 101),
			vec[0].paddr + PAGE_SIZE - 101);
	for (i = 1; i < ARRAY_SIZE(vec); i++) {
		dma_addr_t at = st.addr + i * PAGE_SIZE - 100;

		KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(dom, at), vec[i].paddr,
				    "element %u", i);
		KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(dom, at + PAGE_SIZE - 1),
				    vec[i].paddr + PAGE_SIZE - 1, "element %u", i);
	}
	dma_iova_destroy(dev, &st, size, DMA_BIDIRECTIONAL, 0);

	/*
	 * The first element linked alone; then the other four, with one of
	 * them bad: refused, none of the four mapped, the first still there.
	 */
	for (bad = 1; bad < ARRAY_SIZE(vec); bad++) {
		struct phys_vec v[4];

		memcpy(v, &vec[1], sizeof(v));
		switch (bad) {
		case 1:
			v[bad - 1].paddr += 8;	/* starts inside a page */
			v[bad - 1].len -= 8;
			break;
		case 2:
			v[bad - 1].len = 0;
			break;
		default:
			v[bad - 1].len += PAGE_SIZE;	/* past the end */
			break;
		}
		KUNIT_ASSERT_TRUE(test, dma_iova_try_alloc(dev, &st, vec[0].paddr, size));
		KUNIT_EXPECT_EQ(test, 0, dma_iova_link_vec(dev, &st, vec, 1, 0,
							   DMA_BIDIRECTIONAL, 0));
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    dma_iova_link_vec(dev, &st, v, ARRAY_SIZE(v),
						      PAGE_SIZE - 100, DMA_BIDIRECTIONAL, 0),
				    "bad element %u", bad);
		KUNIT_EXPECT_EQ(test, 0, dma_iova_sync(dev, &st, 0, PAGE_SIZE - 100));
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(dom, st.addr), vec[0].paddr);
		for (i = 1; i < ARRAY_SIZE(vec); i++)
			KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(dom, st.addr +
								     i * PAGE_SIZE - 100),
					    0, "bad element %u: page %u still mapped", bad, i);
		/* the range is free again: the four link now */
		KUNIT_EXPECT_EQ(test, 0, dma_iova_link_vec(dev, &st, &vec[1], 4,
							   PAGE_SIZE - 100,
							   DMA_BIDIRECTIONAL, 0));
		dma_iova_destroy(dev, &st, size, DMA_BIDIRECTIONAL, 0);
	}
}

/*
 * A PCI device without IOMMU translation (no IOMMU, or iommu=pt): the
 * table aliases the list. When dma-iommu translates, the DMA core says
 * that the pages need mapping, the table is no alias, and the case ends
 * as a skip.
 */
static void phyr_dma_pci_passthrough(struct kunit *test)
{
	struct pci_dev *pdev = phyr_dma_pci_client(test);
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct phyr_list *l;
	struct phyr_model m;

	l = phyr_dma_pages(test, 64, &m);
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&pdev->dev, l, 0, m.len, DMA_BIDIRECTIONAL,
					      0, t));
	/* the DMA core's answer decides: translated by an IOMMU, no alias */
	if (use_dma_iommu(&pdev->dev)) {
		KUNIT_EXPECT_FALSE(test, dma_map_phys_is_direct(&pdev->dev, l->sum.lowest,
								l->sum.end - l->sum.lowest));
		KUNIT_EXPECT_FALSE(test, dma_range_table_is_alias(t));
		phyr_dma_unmap(t);
		kunit_skip(test, "%s: DMA translated by an IOMMU, mapped, not passed through",
			   pci_name(pdev));
	}
	KUNIT_EXPECT_TRUE(test, dma_range_table_is_alias(t));
	phyr_dma_expect(test, t, &m, DMA_RANGE_VIA_DIRECT);
	phyr_dma_unmap(t);
}

static void phyr_dma_expect_bytes(struct kunit *test, const void *p, u8 v,
				  size_t len, const char *what)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != v)
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, len, "%s: byte %zu is %#x, not %#x", what, i,
			    i < len ? b[i] : 0, v);
}

/*
 * With swiotlb forced (the VM run with swiotlb=force), nothing can be
 * aliased: every page is mapped through a bounce buffer, and the data
 * moves both ways at map, sync_for_cpu, sync_for_device and unmap.
 * Skipped when the device does not bounce.
 */
static void phyr_dma_bounce(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, UINT_MAX);
	const unsigned int n = 4;
	struct dma_range_table *t = phyr_dma_test_table(test);
	struct dma_range_iter it;
	struct phyr_iter src;
	struct page *pages[4];
	struct phyr_list *l;
	struct dma_range r;
	struct phyr seg;
	unsigned int i;

	if (!is_swiotlb_force_bounce(dev))
		kunit_skip(test, "swiotlb does not force bouncing (boot with swiotlb=force)");

	l = phyr_test_list(test);
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_free_pages,
								   pages[i]));
		memset(page_address(pages[i]), 0x11 * (i + 1), PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, page_to_phys(pages[i]), PAGE_SIZE,
							  PHYR_IC_HOST, GFP_KERNEL));
	}
	KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, 0, phyr_list_length(l),
					      DMA_BIDIRECTIONAL, 0, t));
	KUNIT_EXPECT_FALSE(test, dma_range_table_is_alias(t));

	/* map copied each range into its bounce buffer; the "device" writes */
	i = 0;
	phyr_iter_init(l, &src);
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		void *bounce = phys_to_virt(r.addr);

		KUNIT_ASSERT_TRUE(test, phyr_iter_next(&src, &seg));
		KUNIT_ASSERT_EQ(test, dma_range_len(&r), phyr_len(&seg));
		KUNIT_ASSERT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_PAGE);
		KUNIT_EXPECT_NE(test, r.addr, phyr_addr(&seg));
		KUNIT_EXPECT_EQ_MSG(test, 0, memcmp(bounce, phys_to_virt(phyr_addr(&seg)),
						    dma_range_len(&r)),
				    "range %u: bounce buffer differs after map", i);
		memset(bounce, 0xa5, dma_range_len(&r));
		i++;
	}
	KUNIT_ASSERT_EQ(test, i, phyr_list_nents(l));

	phyr_dma_sync_for_cpu(t);
	for (i = 0; i < n; i++) {
		phyr_dma_expect_bytes(test, page_address(pages[i]), 0xa5, PAGE_SIZE,
				      "page after sync_for_cpu");
		memset(page_address(pages[i]), 0x3c, PAGE_SIZE);
	}
	phyr_dma_sync_for_device(t);

	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		phyr_dma_expect_bytes(test, phys_to_virt(r.addr), 0x3c, dma_range_len(&r),
				      "bounce after sync_for_device");
		memset(phys_to_virt(r.addr), 0x77, dma_range_len(&r));
	}
	phyr_dma_unmap(t);
	for (i = 0; i < n; i++)
		phyr_dma_expect_bytes(test, page_address(pages[i]), 0x77, PAGE_SIZE,
				      "page after unmap");
}

static int phyr_dma_cmp_page(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page * const *)a);
	unsigned long pb = page_to_pfn(*(struct page * const *)b);

	return pa < pb ? -1 : pa > pb;
}

/*
 * 2^18 fragments: 1 GiB described page by page, cycling over every other
 * page of a sorted pool so that no two neighbours coalesce. Mapped and
 * unmapped repeatedly (kmemleak scans after the run): 16 MiB slices of
 * it aliased on the dma-direct KUnit device, and, when an IOMMU
 * translates for an ivshmem device, one 1 GiB IOVA range whose every page
 * translates back. (The
 * device has a 32-bit mask: with 2 GiB of guest RAM, [1 GiB, 2 GiB) is
 * the aligned IOVA slot left below the PCI hole.)
 */
static void phyr_dma_fragments_2e18(struct kunit *test)
{
	struct device *dev = phyr_dma_device(test, UINT_MAX);
	struct dma_range_table *t = phyr_dma_test_table(test);
	const unsigned long n = 1ul << 18, pool = 1024;
	struct iommu_domain *dom = NULL;
	struct pci_dev *pdev;
	struct page **pages;
	struct dma_range_iter it;
	struct phyr_list *l;
	struct dma_range r;
	unsigned long i;
	unsigned int round;

	pages = kunit_kcalloc(test, pool, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < pool; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_free_pages,
								   pages[i]));
	}
	sort(pages, pool, sizeof(*pages), phyr_dma_cmp_page, NULL);

	l = phyr_test_list(test);
	for (i = 0; i < n; i++) {
		phys_addr_t pa = page_to_phys(pages[2 * (i % (pool / 2))]);

		KUNIT_ASSERT_EQ(test, 0, phyr_list_append(l, pa, PAGE_SIZE, PHYR_IC_HOST,
							  GFP_KERNEL));
	}
	KUNIT_ASSERT_EQ(test, phyr_list_nents(l), n);

	/*
	 * Passthrough is decided from the summary whatever the length; with
	 * CONFIG_DMA_API_DEBUG every piece is registered too, so a slice of
	 * 2^12 pages from the middle of the list is mapped (its start is
	 * found by skipping whole chunks).
	 */
	for (round = 0; round < 4; round++) {
		u64 off = (n / 2 + round * 1000) * PAGE_SIZE;

		KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(dev, l, off, SZ_16M, DMA_TO_DEVICE, 0, t));
		KUNIT_EXPECT_TRUE(test, dma_range_table_is_alias(t));
		KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), SZ_16M / PAGE_SIZE);
		dma_range_iter_init(t, &it);
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
		KUNIT_EXPECT_EQ(test, r.addr, page_to_phys(pages[2 * ((off / PAGE_SIZE) %
									  (pool / 2))]));
		phyr_dma_unmap(t);
	}

	pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, PHYR_TEST_IVSHMEM, NULL);
	if (!pdev)
		return;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, phyr_dma_put_pci, pdev));
	if (!use_dma_iommu(&pdev->dev))
		return;
	dom = iommu_get_domain_for_dev(&pdev->dev);
	for (round = 0; round < 2; round++) {
		KUNIT_ASSERT_EQ(test, 0, phyr_dma_map(&pdev->dev, l, 0, SZ_1G, DMA_TO_DEVICE,
						      0, t));
		KUNIT_EXPECT_EQ(test, dma_range_table_nents(t), 1);
		dma_range_iter_init(t, &it);
		KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
		KUNIT_ASSERT_EQ(test, dma_range_len(&r), SZ_1G);
		for (i = 0; i < n; i++) {
			if (iommu_iova_to_phys(dom, r.addr + i * PAGE_SIZE) !=
			    page_to_phys(pages[2 * (i % (pool / 2))]))
				break;
			/* 2^18 walks of the page table: minutes under TCG */
			if (!(i % 4096))
				cond_resched();
		}
		KUNIT_EXPECT_EQ_MSG(test, i, n, "IOVA page %lu translates wrong", i);
		phyr_dma_unmap(t);
	}
}

static struct kunit_case phyr_dma_tests[] = {
	KUNIT_CASE(phyr_dma_passthrough),
	KUNIT_CASE(phyr_dma_split_at_max_segment),
	KUNIT_CASE(phyr_dma_bus_offset),
	KUNIT_CASE(phyr_dma_wc_system),
	KUNIT_CASE(phyr_dma_passthrough_summary),
	KUNIT_CASE(phyr_dma_split_boundaries),
	KUNIT_CASE(phyr_dma_errors),
	KUNIT_CASE(phyr_dma_p2p),
	KUNIT_CASE(phyr_dma_p2pmem),
	KUNIT_CASE(phyr_dma_p2p_gib),
	KUNIT_CASE(phyr_dma_p2p_adjacent_bars),
	KUNIT_CASE(phyr_dma_p2p_above_4g),
	KUNIT_CASE(phyr_dma_iommu_one_iova),
	KUNIT_CASE(phyr_dma_iova_api),
	KUNIT_CASE(phyr_dma_iova_link_vec),
	KUNIT_CASE(phyr_dma_pci_passthrough),
	KUNIT_CASE(phyr_dma_bounce),
	KUNIT_CASE_SLOW(phyr_dma_fragments_2e18),
	{}
};

static struct kunit_suite phyr_dma_suite = {
	.name = "phyr_dma",
	.test_cases = phyr_dma_tests,
};

kunit_test_suite(phyr_dma_suite);
