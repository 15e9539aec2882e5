/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: mapping a list for a device into a DMA range table.
 */
#ifndef __DRM_PHYR_DMA_H__
#define __DRM_PHYR_DMA_H__

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/gfp_types.h>
#include <linux/minmax.h>
#include <linux/types.h>

#include <drm/phyr/phyr_list.h>

/**
 * DOC: DMA range tables
 *
 * Mapping a phyr list for a device gives a &struct dma_range_table: the
 * ranges as the device must address them. A &struct dma_range is a type of
 * its own (a DMA address is not a CPU physical address) but has the layout
 * of &struct phyr, so a table stores its ranges in a &struct phyr_list and
 * shares all of its machinery: chained chunks, iterators, slicing, block
 * iteration and page-size selection. Its flags keep the source entry's
 * interconnect, %PHYR_F_MMIO and %PHYR_F_PINNED bits (%PHYR_F_WC is how the
 * CPU maps the memory) and add, in bits 4..6, how the range was
 * mapped (``DMA_RANGE_VIA_*``).
 *
 * phyr_dma_map() picks the mapping per device and per entry:
 *
 * * Passthrough: every entry of the list is system memory (no peer
 *   interconnect, no %PHYR_F_MMIO, no %PHYR_F_WC) and the DMA core says
 *   that the device reaches the span from the lowest start to the highest
 *   end as it is (dma_map_phys_is_direct(): dma-direct without bus offset
 *   or memory encryption bit, cache coherent, no forced bouncing, within
 *   the DMA mask). The decision reads the list's summary (&struct
 *   phyr_list_summary), never its entries, so it costs the same for one
 *   page and for 2^20: the table aliases the input list, nothing is
 *   allocated and no per-page work is done. Entries longer than the
 *   device's segment limit or across its segment boundary are cut into
 *   pieces while the table is walked (&dma_range_table.piece); the rest of
 *   the list is unaffected. The input list must stay unchanged and alive
 *   until phyr_dma_unmap(). With CONFIG_DMA_API_DEBUG each piece is also
 *   mapped with dma_map_page_attrs() (which must return the same address)
 *   so that the DMA-API debug code sees and checks it.
 * * IOMMU: when dma-iommu translates for the device, the device is cache
 *   coherent and every range is system memory whose joins fall on IOMMU
 *   page boundaries, the whole slice lands in one IOVA range: one
 *   dma_iova_try_alloc(), a dma_iova_link() per range and one
 *   dma_iova_sync() (the two-step IOVA interface of Linux 6.16, which
 *   ``patches/0006`` gives 6.12). The table holds one entry, flagged with
 *   what all source ranges have in common, and nothing of the input:
 *   phyr_dma_unmap() needs the table alone (dma_iova_destroy()). Where the
 *   DMA core gives no IOVA range (a device that needs swiotlb bouncing, an
 *   untrusted one) the slice is mapped range by range as below.
 * * Otherwise each system-memory range is mapped with dma_map_page_attrs()
 *   in pieces (see below; an IOVA each under an
 *   IOMMU when peer ranges are mixed in, a bounce buffer or a bus offset
 *   without one): one table entry per piece, so unmapping repeats exactly
 *   what was mapped.
 * * Ranges flagged %PHYR_IC_P2P, %PHYR_IC_DEVICE or %PHYR_F_MMIO that lie in
 *   a PCI BAR are peer-to-peer, one part per BAR (ranges of two BARs back
 *   to back coalesce in a list). The P2PDMA core decides for the BAR's
 *   device and the mapping device (pci_p2pdma_map_type_of(), with ACS
 *   redirect and the host bridge allowlist): a path below a common switch
 *   gives the PCI bus address (%DMA_RANGE_VIA_BUS, no mapping call); a
 *   path through the host bridge maps with dma_map_resource()
 *   (%DMA_RANGE_VIA_HOST_BRIDGE); no path fails the map with -EOPNOTSUPP.
 *   Under dma-iommu, a slice that is all peer memory reached through the
 *   host bridge is linked into one IOVA range instead, as MMIO
 *   (DMA_ATTR_MMIO): one %DMA_RANGE_VIA_HOST_BRIDGE entry per attachment
 *   rather than an IOVA per range.
 *
 * Pieces: a range longer than the device takes in one segment
 * (dma_get_max_seg_size(), at most 4 GiB - 1, and dma_max_mapping_size())
 * is split in pieces of the largest power of two below that limit, so that
 * every piece but the last of a range starts on an aligned boundary; no
 * piece crosses a multiple of the segment boundary, counted in the
 * device's addresses. Outside the IOMMU path each piece is one entry.
 */

#define DMA_RANGE_VIA_SHIFT		4
#define DMA_RANGE_VIA_MASK		(0x7u << DMA_RANGE_VIA_SHIFT)
/* identity mapping: the DMA address is the physical address */
#define DMA_RANGE_VIA_DIRECT		(0x0u << DMA_RANGE_VIA_SHIFT)
/* dma_map_page_attrs(): IOVA, bounce buffer or bus offset */
#define DMA_RANGE_VIA_PAGE		(0x1u << DMA_RANGE_VIA_SHIFT)
/* peer-to-peer by PCI bus address, below a common switch */
#define DMA_RANGE_VIA_BUS		(0x2u << DMA_RANGE_VIA_SHIFT)
/* peer-to-peer through the host bridge: dma_map_resource() */
#define DMA_RANGE_VIA_HOST_BRIDGE	(0x3u << DMA_RANGE_VIA_SHIFT)
/* one IOVA range for the whole slice: dma_iova_try_alloc() and links */
#define DMA_RANGE_VIA_IOMMU		(0x4u << DMA_RANGE_VIA_SHIFT)
/* a GPU-to-GPU link address declared by the exporter; no mapping call */
#define DMA_RANGE_VIA_LINK		(0x5u << DMA_RANGE_VIA_SHIFT)
/* taken over from an exporter's mapped scatterlist; the exporter unmaps */
#define DMA_RANGE_VIA_SG		(0x6u << DMA_RANGE_VIA_SHIFT)

/*
 * The source flags a DMA range keeps: how the CPU maps the memory
 * (%PHYR_F_WC) is no business of the device, and its bit carries the
 * ``DMA_RANGE_VIA_*`` value in a table.
 */
#define DMA_RANGE_SRC_MASK	(PHYR_IC_MASK | PHYR_F_MMIO | PHYR_F_PINNED)
static_assert(!(DMA_RANGE_SRC_MASK & DMA_RANGE_VIA_MASK));
static_assert(((DMA_RANGE_SRC_MASK | DMA_RANGE_VIA_MASK) & ~PHYR_W_FLAGS_MAX) == 0);

/**
 * struct dma_range - one range of a DMA mapping
 * @addr: DMA address as the device uses it
 * @len_flags: length in bits 0..55, flags in bits 56..63, as in
 *	&struct phyr; use dma_range_len() and dma_range_flags()
 */
struct dma_range {
	dma_addr_t addr;
	u64 len_flags;
};

/**
 * dma_range_len() - length of a DMA range
 * @r: the range
 *
 * Return: the length in bytes.
 */
static inline u64 dma_range_len(const struct dma_range *r)
{
	return r->len_flags & PHYR_MAX_LEN;
}

/**
 * dma_range_flags() - flags of a DMA range
 * @r: the range
 *
 * Return: the source entry's interconnect and attribute bits and the
 * ``DMA_RANGE_VIA_*`` value.
 */
static inline unsigned int dma_range_flags(const struct dma_range *r)
{
	return r->len_flags >> PHYR_LEN_BITS;
}

/**
 * dma_range_via() - how a DMA range was mapped
 * @r: the range
 *
 * Return: one of the ``DMA_RANGE_VIA_*`` values.
 */
static inline unsigned int dma_range_via(const struct dma_range *r)
{
	return dma_range_flags(r) & DMA_RANGE_VIA_MASK;
}

struct device;
struct sg_table;

/**
 * struct dma_range_table - a phyr list mapped for a device
 * @ranges: the DMA ranges, unless @alias is set
 * @alias: passthrough: the mapped list, whose ranges are the DMA ranges
 * @offset: byte offset of the mapped slice in @alias
 * @len: number of bytes mapped
 * @dev: the device the table was mapped for
 * @dir: DMA direction of the mapping
 * @attrs: DMA attributes of the mapping
 * @iova: IOMMU path: the one IOVA range the slice was linked into
 * @src_sgt: a table taken over from an exporter's scatterlist: synced
 *	through it (with @dir), never unmapped here
 * @piece: passthrough and IOMMU paths: entries are cut into pieces of at
 *	most this many bytes (a power of two) within @boundary while the
 *	table is walked; 0 when no entry needs cutting
 * @boundary: the device's segment boundary mask, with @piece
 * @debug_mapped: passthrough: the pieces were also mapped through the DMA
 *	API for CONFIG_DMA_API_DEBUG, and are unmapped the same way
 *
 * Filled by phyr_dma_map(), released by phyr_dma_unmap().
 */
struct dma_range_table {
	struct phyr_list ranges;
	const struct phyr_list *alias;
	u64 offset;
	u64 len;
	struct device *dev;
	enum dma_data_direction dir;
	unsigned long attrs;
	struct dma_iova_state iova;
	struct sg_table *src_sgt;
	u64 piece;
	u64 boundary;
	bool debug_mapped;
};

/**
 * struct dma_range_iter - position in a DMA range table
 * @it: position in the underlying storage
 * @piece: longest range to yield, 0 for whole entries (see
 *	&dma_range_table.piece)
 * @boundary: segment boundary mask the yielded ranges stay within
 */
struct dma_range_iter {
	struct phyr_iter it;
	u64 piece;
	u64 boundary;
};

/**
 * dma_range_piece_len() - length of the next piece of a long range
 * @dma: device address the piece starts at
 * @left: bytes left in the range
 * @max: longest piece the device takes
 * @mask: the device's segment boundary mask (dma_get_seg_boundary())
 *
 * Return: at most @max bytes, not across a multiple of @mask + 1.
 */
static inline u64 dma_range_piece_len(u64 dma, u64 left, u64 max, u64 mask)
{
	u64 n = min(left, max);
	u64 room = (dma | mask) - dma + 1;	/* 0: up to the end of it all */

	return room && room < n ? room : n;
}

/**
 * dma_range_table_is_alias() - test whether a table aliases its input
 * @t: the table
 *
 * Return: true if @t was mapped by passthrough and owns no storage.
 */
static inline bool dma_range_table_is_alias(const struct dma_range_table *t)
{
	return t->alias;
}

/**
 * dma_range_table_length() - total length of a table
 * @t: the table
 *
 * Return: the number of bytes mapped.
 */
static inline u64 dma_range_table_length(const struct dma_range_table *t)
{
	return t->len;
}

/**
 * dma_range_iter_init() - start iterating over a table
 * @t: the table
 * @it: the iterator to set up
 */
static inline void dma_range_iter_init(const struct dma_range_table *t,
				       struct dma_range_iter *it)
{
	it->piece = t->piece;
	it->boundary = t->boundary;
	if (t->alias)
		WARN_ON_ONCE(phyr_iter_init_slice(t->alias, t->offset, t->len,
						  &it->it));
	else
		phyr_iter_init(&t->ranges, &it->it);
}

/**
 * dma_range_iter_next() - take the next range of a table
 * @it: the iterator
 * @r: receives the range
 *
 * Return: true if @r was filled, false at the end of the table.
 */
static inline bool dma_range_iter_next(struct dma_range_iter *it,
				       struct dma_range *r)
{
	struct phyr seg;
	u64 len;

	if (!it->it.size)
		return false;
	seg = phyr_iter_cur(&it->it);
	len = phyr_len(&seg);
	if (it->piece)
		len = dma_range_piece_len(seg.addr, len, it->piece,
					  it->boundary);
	/* same layout; an aliased entry's flags say DMA_RANGE_VIA_DIRECT */
	*r = (struct dma_range){
		.addr = seg.addr,
		.len_flags = len | ((u64)phyr_flags(&seg) << PHYR_LEN_BITS),
	};
	phyr_iter_advance(&it->it, len);
	return true;
}

/**
 * dma_range_for_each() - walk the ranges of a table
 * @r: &struct dma_range receiving each range
 * @it: pointer to a &struct dma_range_iter set up by dma_range_iter_init()
 */
#define dma_range_for_each(r, it)	for (; dma_range_iter_next((it), &(r));)

unsigned long dma_range_table_nents(const struct dma_range_table *t);
unsigned long dma_range_table_best_pgsz(const struct dma_range_table *t,
					unsigned long pgsz_bitmap, u64 iova);
struct phyr_block_iter *dma_range_block_start(struct phyr_block_iter *bi,
					      const struct dma_range_table *t,
					      u64 pgsz);

/**
 * dma_range_for_each_block() - walk a table in aligned device-page blocks
 * @t: the table
 * @bi: &struct phyr_block_iter used as the cursor; phyr_block_addr() gives
 *	the DMA address of each block
 * @pgsz: block size, a power of two, e.g. from dma_range_table_best_pgsz()
 */
#define dma_range_for_each_block(t, bi, pgsz)				\
	for (struct phyr_block_iter *__bi =				\
		dma_range_block_start((bi), (t), (pgsz));		\
	     phyr_block_iter_next(__bi);)

int phyr_dma_map(struct device *dev, const struct phyr_list *l, u64 offset,
		 u64 len, enum dma_data_direction dir, unsigned long attrs,
		 struct dma_range_table *t);
void phyr_dma_unmap(struct dma_range_table *t);
void phyr_dma_sync_for_cpu(const struct dma_range_table *t);
void phyr_dma_sync_for_device(const struct dma_range_table *t);

struct sg_table *dma_range_table_to_sgt(const struct dma_range_table *t,
					gfp_t gfp);
void dma_range_free_sgt(struct sg_table *sgt);
int dma_range_table_from_sgt(struct dma_range_table *t, struct device *dev,
			     const struct sg_table *sgt, unsigned int flags);

#endif /* __DRM_PHYR_DMA_H__ */
