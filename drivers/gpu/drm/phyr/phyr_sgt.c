// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scatterlist compatibility: DMA range tables to and from sg_tables.
 */

#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <drm/drm_phyr.h>

#include "phyr_internal.h"

/* The longest piece of a range in one entry: a power of two, for alignment. */
#define PHYR_SG_MAX	SZ_2G

/**
 * dma_range_table_to_sgt() - describe a DMA range table as a scatterlist
 * @t: a mapped table
 * @gfp: allocation flags
 *
 * For importers that only know scatterlists. Each entry carries the DMA
 * address and length of one range (ranges longer than a scatterlist entry
 * holds are split in 2 GiB pieces, on 2 GiB boundaries of the range) and
 * no struct page: the page link is NULL and the CPU length is zero, so an
 * importer that touches pages finds nothing to touch. This is what a
 * dma-buf exporter of memory without struct pages has to hand out. Ranges
 * reached by PCI bus address (%DMA_RANGE_VIA_BUS) are marked as such
 * (sg_dma_is_bus_address()), as the P2PDMA core marks them.
 *
 * The scatterlist only describes @t: unmap @t, not the scatterlist, and
 * free it with dma_range_free_sgt() first.
 *
 * Return: a new &struct sg_table, or an ERR_PTR(): -EINVAL for an empty
 * table, -E2BIG if it needs more than UINT_MAX entries, -ENOMEM.
 */
struct sg_table *dma_range_table_to_sgt(const struct dma_range_table *t,
					gfp_t gfp)
{
	struct dma_range_iter it;
	struct scatterlist *sg;
	unsigned long n = 0;
	struct sg_table *sgt;
	struct dma_range r;
	int ret;

	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it)
		n += DIV_ROUND_UP_ULL(dma_range_len(&r), PHYR_SG_MAX);
	if (!n)
		return ERR_PTR(-EINVAL);
	if (n > UINT_MAX)
		return ERR_PTR(-E2BIG);

	sgt = kzalloc(sizeof(*sgt), gfp);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, n, gfp);
	if (ret) {
		kfree(sgt);
		return ERR_PTR(ret);
	}

	sg = sgt->sgl;
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		dma_addr_t addr = r.addr;
		u64 left = dma_range_len(&r);

		while (left) {
			unsigned int len = min_t(u64, left, PHYR_SG_MAX);

			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = len;
			if (dma_range_via(&r) == DMA_RANGE_VIA_BUS)
				sg_dma_mark_bus_address(sg);
			sg = sg_next(sg);
			addr += len;
			left -= len;
		}
	}
	return sgt;
}
EXPORT_SYMBOL_NS_GPL(dma_range_table_to_sgt, DRM_PHYR);

/**
 * dma_range_free_sgt() - free a scatterlist from dma_range_table_to_sgt()
 * @sgt: the scatterlist, may be NULL
 */
void dma_range_free_sgt(struct sg_table *sgt)
{
	if (!sgt)
		return;
	sg_free_table(sgt);
	kfree(sgt);
}
EXPORT_SYMBOL_NS_GPL(dma_range_free_sgt, DRM_PHYR);

/**
 * dma_range_table_from_sgt() - take over the DMA side of a mapped scatterlist
 * @t: the table to fill
 * @dev: the device @sgt was mapped for
 * @sgt: a scatterlist mapped for @dev, e.g. by dma_buf_map_attachment()
 * @flags: phyr flags for every range (the scatterlist does not say what
 *	the memory is), e.g. %PHYR_IC_HOST
 *
 * Reads only the DMA addresses and lengths: struct pages are never looked
 * at. Contiguous DMA segments coalesce into one range. Every range is
 * flagged %DMA_RANGE_VIA_SG. A segment the P2PDMA core marked as a PCI
 * bus address (sg_dma_is_bus_address()) is another device's memory
 * whatever @flags say: its interconnect becomes %PHYR_IC_P2P. The mapping
 * stays the scatterlist owner's: phyr_dma_unmap() on @t frees the table
 * and unmaps nothing; unmap @sgt afterwards the way it was mapped.
 *
 * Return: 0, -EINVAL for bad flags or an empty scatterlist, -ENOMEM.
 */
int dma_range_table_from_sgt(struct dma_range_table *t, struct device *dev,
			     const struct sg_table *sgt, unsigned int flags)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	*t = (struct dma_range_table){ .dev = dev, .dir = DMA_NONE };
	if (flags & ~PHYR_F_VALID_MASK)
		return -EINVAL;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		unsigned int f = flags & DMA_RANGE_SRC_MASK;

		if (!sg_dma_len(sg))
			continue;
		if (sg_dma_is_bus_address(sg))
			f = (f & ~PHYR_IC_MASK) | PHYR_IC_P2P;
		ret = phyr_list_add(&t->ranges, sg_dma_address(sg),
				    sg_dma_len(sg), f | DMA_RANGE_VIA_SG,
				    PHYR_MAX_LEN, GFP_KERNEL);
		if (ret) {
			phyr_list_free(&t->ranges);
			return ret;
		}
		t->len += sg_dma_len(sg);
	}
	return t->len ? 0 : -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(dma_range_table_from_sgt, DRM_PHYR);
