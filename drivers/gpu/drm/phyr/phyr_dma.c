// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping phyr lists for DMA: phyr lists in, DMA range tables out.
 */

#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iommu-dma.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/pfn.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_phyr.h>

#include "phyr_internal.h"

/* Entries that are another device's memory rather than system RAM. */
static bool phyr_dma_is_peer(unsigned int flags)
{
	return (flags & PHYR_F_MMIO) ||
	       (flags & PHYR_IC_MASK) != PHYR_IC_HOST;
}

/* System memory is mapped through its struct pages: they must exist. */
static bool phyr_dma_has_pages(const struct phyr *p)
{
	return pfn_valid(PHYS_PFN(phyr_addr(p))) &&
	       pfn_valid(PHYS_PFN(phyr_end(p) - 1));
}

/*
 * Whether the system memory of @l has struct pages, as far as a check of
 * the two ends of the list's span tells: the cheap guard of the paths that
 * do not look at every entry (with CONFIG_DMA_API_DEBUG they do).
 */
static bool phyr_dma_span_has_pages(const struct phyr_list *l)
{
	return pfn_valid(PHYS_PFN(l->sum.lowest)) &&
	       pfn_valid(PHYS_PFN(l->sum.end - 1));
}

/*
 * Whether @dev may use the addresses of @l as they are, decided from the
 * list's summary alone (O(1) whatever its length): system memory only, and
 * the DMA core's word that the device reaches the whole span directly. The
 * struct pages behind the span's two ends are checked as a cheap guard;
 * with CONFIG_DMA_API_DEBUG phyr_dma_debug_map() checks every piece.
 */
static bool phyr_dma_can_alias(struct device *dev, const struct phyr_list *l)
{
	const struct phyr_list_summary *s = &l->sum;

	/* a table's flags say DMA_RANGE_VIA_* where source lists say WC */
	if (!l->nents || (s->flags & (PHYR_IC_MASK | PHYR_F_MMIO | PHYR_F_WC)))
		return false;
	if (!phyr_dma_span_has_pages(l))
		return false;
	return dma_map_phys_is_direct(dev, s->lowest, s->end - s->lowest);
}

/*
 * The longest piece a device takes in one mapping, rounded down to a power
 * of two so that the pieces of a long range start on aligned boundaries
 * (a 4 GiB range on a device with a UINT_MAX limit is two 2 GiB pieces,
 * not 4 GiB - 1 and 1 byte).
 */
static u64 phyr_dma_max_piece(struct device *dev, bool mapping_size)
{
	u64 max = dma_get_max_seg_size(dev);

	if (mapping_size)
		max = min_t(u64, max, dma_max_mapping_size(dev));
	return max ? rounddown_pow_of_two(max) : PAGE_SIZE;
}

/* The PCI device whose memory BAR holds @addr, referenced. */
static struct pci_dev *phyr_dma_provider(phys_addr_t addr, int *bar)
{
	struct pci_dev *pdev = NULL;
	int i;

	for_each_pci_dev(pdev) {
		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			struct resource *r = &pdev->resource[i];

			if (resource_type(r) == IORESOURCE_MEM && r->start <= addr &&
			    addr <= r->end) {
				*bar = i;
				return pdev;
			}
		}
	}
	return NULL;
}

struct phyr_dma_peer {
	unsigned int via;
	bool foreign;		/* the memory is not the mapping device's */
	s64 bus_offset;		/* bus address - CPU physical address */
};

/*
 * Decide how @dev reaches the peer memory at @addr, in the BAR that holds
 * it; @part receives how much of the @len bytes from @addr lie in that
 * BAR (ranges of two BARs back to back coalesce in a list).
 */
static int phyr_dma_peer_path(struct device *dev, phys_addr_t addr, u64 len,
			      unsigned int flags, struct phyr_dma_peer *peer,
			      u64 *part)
{
	struct pci_dev *provider;
	int bar, ret = 0;

	/* A GPU-to-GPU link needs a link address no device declared yet. */
	if ((flags & PHYR_IC_MASK) == PHYR_IC_LINK || !dev_is_pci(dev))
		return -EOPNOTSUPP;

	provider = phyr_dma_provider(addr, &bar);
	if (!provider)
		return -EINVAL;
	*part = min_t(u64, len, pci_resource_end(provider, bar) - addr + 1);

	peer->foreign = &provider->dev != dev;
	/* the P2PDMA core's decision: ACS redirect and the host bridge count */
	switch (pci_p2pdma_map_type_of(provider, dev)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		peer->via = DMA_RANGE_VIA_BUS;
		peer->bus_offset = pci_bus_address(provider, bar) -
				   pci_resource_start(provider, bar);
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		peer->via = DMA_RANGE_VIA_HOST_BRIDGE;
		break;
	default:
		ret = -EOPNOTSUPP;
		break;
	}
	pci_dev_put(provider);
	return ret;
}

static void phyr_dma_unmap_range(struct dma_range_table *t,
				 const struct dma_range *r)
{
	switch (dma_range_via(r)) {
	case DMA_RANGE_VIA_PAGE:
		dma_unmap_page_attrs(t->dev, r->addr, dma_range_len(r), t->dir,
				     t->attrs);
		break;
	case DMA_RANGE_VIA_HOST_BRIDGE:
		dma_unmap_resource(t->dev, r->addr, dma_range_len(r), t->dir,
				   t->attrs);
		break;
	}
}

/* Map one piece of at most the maximum segment size. */
static int phyr_dma_map_piece(struct dma_range_table *t, phys_addr_t addr,
			      u64 len, unsigned int flags,
			      const struct phyr_dma_peer *peer)
{
	unsigned int via = DMA_RANGE_VIA_PAGE;
	struct dma_range r;
	dma_addr_t dma;
	int ret;

	if (!phyr_dma_is_peer(flags)) {
		dma = dma_map_page_attrs(t->dev, pfn_to_page(PHYS_PFN(addr)),
					 offset_in_page(addr), len, t->dir,
					 t->attrs);
	} else if (peer->via == DMA_RANGE_VIA_BUS) {
		dma = addr + peer->bus_offset;
		via = DMA_RANGE_VIA_BUS;
	} else {
		dma = dma_map_resource(t->dev, addr, len, t->dir, t->attrs);
		via = DMA_RANGE_VIA_HOST_BRIDGE;
	}
	if (via != DMA_RANGE_VIA_BUS && dma_mapping_error(t->dev, dma))
		return -EIO;

	flags = (flags & DMA_RANGE_SRC_MASK) | via;
	ret = phyr_list_add(&t->ranges, dma, len, flags, 0, GFP_KERNEL);
	if (ret) {
		r = (struct dma_range){ dma, len | ((u64)flags << PHYR_LEN_BITS) };
		phyr_dma_unmap_range(t, &r);
	}
	return ret;
}

/*
 * Whether @dev reaches all of @seg, another device's memory, through the
 * host bridge (where an IOMMU translates it); @flags becomes the flags a
 * mapping of it carries (a foreign device's local memory is P2P to @dev).
 */
static bool phyr_dma_peer_thru_host(struct device *dev, const struct phyr *seg,
				    unsigned int *flags)
{
	phys_addr_t addr = phyr_addr(seg);
	u64 left = phyr_len(seg);

	*flags = phyr_flags(seg);
	while (left) {
		struct phyr_dma_peer peer = { };
		u64 part;

		if (phyr_dma_peer_path(dev, addr, left, *flags, &peer, &part) ||
		    peer.via != DMA_RANGE_VIA_HOST_BRIDGE)
			return false;
		if (peer.foreign && (*flags & PHYR_IC_MASK) == PHYR_IC_DEVICE)
			*flags = (*flags & ~PHYR_IC_MASK) | PHYR_IC_P2P;
		addr += part;
		left -= part;
	}
	return true;
}

/*
 * Whether @seg can be linked into the IOVA range of a slice whose ranges
 * are all system memory with struct pages (@via: %DMA_RANGE_VIA_IOMMU) or
 * all peer memory @dev reaches through the host bridge
 * (%DMA_RANGE_VIA_HOST_BRIDGE, linked as MMIO). The struct pages of
 * system memory are looked up only when @pages says so. @flags gets the
 * flags the mapping of @seg carries. Where the range may start and end
 * is checked by the caller.
 */
static bool phyr_dma_iova_fits(struct device *dev, const struct phyr *seg,
			       bool pages, unsigned int via,
			       unsigned int *flags)
{
	bool peer = phyr_dma_is_peer(phyr_flags(seg));
	bool want_peer = via == DMA_RANGE_VIA_HOST_BRIDGE;

	*flags = phyr_flags(seg);
	if (peer != want_peer)
		return false;
	return peer ? phyr_dma_peer_thru_host(dev, seg, flags) :
		      !pages || phyr_dma_has_pages(seg);
}

/* The number of pieces the ranges of @it split into (dma_range_piece_len()). */
static unsigned long phyr_dma_count_pieces(const struct phyr_iter *it, u64 max,
					   u64 mask)
{
	struct phyr_iter pos = *it;
	unsigned long n = 0;
	struct phyr seg;

	phyr_for_each(seg, &pos) {
		phys_addr_t addr = phyr_addr(&seg);
		u64 left = phyr_len(&seg);

		while (left) {
			u64 k = dma_range_piece_len(addr, left, max, mask);

			addr += k;
			left -= k;
			n++;
		}
	}
	return n;
}

/* Ranges handed to dma_iova_link_vec() at a time, from the stack. */
#define PHYR_DMA_LINK_BATCH	16

/*
 * One IOVA range for the whole slice (dma_iova_try_alloc()), every range
 * linked into it and one IOTLB sync: the table holds a single entry and
 * keeps nothing of the input; walking it cuts that entry where the device
 * needs it (&dma_range_table.piece). Each range is checked as it is
 * queued for linking (phyr_dma_iova_fits()), in the one walk over the
 * slice; when the list's summary says every entry is system memory with
 * struct pages, only where it starts and ends is. The ranges are linked
 * PHYR_DMA_LINK_BATCH at a time (dma_iova_link_vec()), so that the DMA
 * core's per-call lookups are not paid per 4 KiB page. -EAGAIN, with
 * nothing left mapped, when the DMA core has no IOVA range to give or a
 * range does not fit (the caller maps range by range).
 */
static int phyr_dma_map_iova(struct dma_range_table *t,
			     const struct phyr_list *l, struct phyr_iter *it)
{
	/* as for passthrough: the span's ends, unless debugging */
	bool pages = IS_ENABLED(CONFIG_DMA_API_DEBUG) ||
		     !phyr_dma_span_has_pages(l);
	/* every entry is system memory that needs no look of its own */
	bool plain = !pages &&
		     !(l->sum.flags & (PHYR_IC_MASK | PHYR_F_MMIO));
	u64 merge = dma_get_merge_boundary(t->dev);
	u64 max = phyr_dma_max_piece(t->dev, false);
	u64 mask = dma_get_seg_boundary(t->dev);
	unsigned int flags, common = PHYR_F_VALID_MASK, via;
	struct phys_vec vec[PHYR_DMA_LINK_BATCH];
	unsigned long attrs = t->attrs;
	struct phyr_iter pos = *it;
	unsigned int nr = 0;
	unsigned long n = 0;
	u64 done = 0, linked = 0, last;
	struct phyr seg;
	int ret;

	if (!phyr_iter_next(&pos, &seg))
		return -EAGAIN;
	via = phyr_dma_is_peer(phyr_flags(&seg)) ? DMA_RANGE_VIA_HOST_BRIDGE :
						    DMA_RANGE_VIA_IOMMU;
	if (!dma_iova_try_alloc(t->dev, &t->iova, phyr_addr(&seg), t->len))
		return -EAGAIN;
	/* a peer's BAR: no struct page, no CPU cache maintenance */
	if (via == DMA_RANGE_VIA_HOST_BRIDGE)
		t->attrs |= DMA_ATTR_MMIO;

	pos = *it;
	phyr_for_each(seg, &pos) {
		/* only the first range may start, the last end, mid-page */
		if ((done && (phyr_addr(&seg) & merge)) ||
		    (pos.size && (phyr_end(&seg) & merge))) {
			ret = -EAGAIN;
			goto err;
		}
		if (plain) {
			flags = phyr_flags(&seg);
		} else if (!phyr_dma_iova_fits(t->dev, &seg, pages, via,
					       &flags)) {
			ret = -EAGAIN;
			goto err;
		}
		vec[nr].paddr = phyr_addr(&seg);
		vec[nr].len = phyr_len(&seg);
		done += phyr_len(&seg);
		common &= flags;
		if (++nr < PHYR_DMA_LINK_BATCH)
			continue;
		ret = dma_iova_link_vec(t->dev, &t->iova, vec, nr, linked,
					t->dir, t->attrs);
		if (ret)
			goto err_link;
		linked = done;
		nr = 0;
		if (!(++n % 64))
			cond_resched();
	}
	if (nr) {
		ret = dma_iova_link_vec(t->dev, &t->iova, vec, nr, linked,
					t->dir, t->attrs);
		if (ret)
			goto err_link;
		linked = done;
	}
	ret = dma_iova_sync(t->dev, &t->iova, 0, linked);
	if (ret)
		goto err;

	ret = phyr_list_add(&t->ranges, t->iova.addr, t->len,
			    (common & DMA_RANGE_SRC_MASK) | via, 0, GFP_KERNEL);
	if (ret)
		goto err;
	last = t->iova.addr + t->len - 1;
	if (t->len > max || ((t->iova.addr ^ last) & ~mask)) {
		t->piece = max;
		t->boundary = mask;
	}
	return 0;

err_link:
	ret = ret == -EAGAIN ? -EIO : ret;
err:
	dma_iova_destroy(t->dev, &t->iova, linked, t->dir, t->attrs);
	t->attrs = attrs;
	return ret;
}

/*
 * Map @len bytes at @addr, memory of one kind reached one way (@peer), in
 * pieces the device accepts: at most @max bytes, within its segment
 * boundary @mask, whose addresses are the device's (bus addresses count).
 */
static int phyr_dma_map_part(struct dma_range_table *t, phys_addr_t addr,
			     u64 len, unsigned int flags,
			     const struct phyr_dma_peer *peer, u64 max, u64 mask)
{
	u64 off = peer->via == DMA_RANGE_VIA_BUS ? peer->bus_offset : 0;
	int ret;

	while (len) {
		u64 n = dma_range_piece_len(addr + off, len, max, mask);

		ret = phyr_dma_map_piece(t, addr, n, flags, peer);
		if (ret)
			return ret;
		addr += n;
		len -= n;
	}
	return 0;
}

/* Map range by range, in pieces the device accepts, one entry per piece. */
static int phyr_dma_map_ranges(struct dma_range_table *t, struct phyr_iter *it)
{
	u64 max = phyr_dma_max_piece(t->dev, true);
	u64 mask = dma_get_seg_boundary(t->dev);
	struct phyr seg;
	int ret;

	/* one entry per piece: reserve them all, no allocation per mapping */
	ret = phyr_list_reserve(&t->ranges,
				phyr_dma_count_pieces(it, max, mask),
				GFP_KERNEL);
	if (ret)
		return ret;

	phyr_for_each(seg, it) {
		phys_addr_t addr = phyr_addr(&seg);
		u64 left = phyr_len(&seg);

		if (!phyr_dma_is_peer(phyr_flags(&seg)) && !phyr_dma_has_pages(&seg))
			return -EINVAL;
		/* peer memory in one part per BAR, the rest in one */
		while (left) {
			unsigned int flags = phyr_flags(&seg);
			struct phyr_dma_peer peer = { };
			u64 part = left;

			if (phyr_dma_is_peer(flags)) {
				ret = phyr_dma_peer_path(t->dev, addr, left, flags,
							 &peer, &part);
				if (ret)
					return ret;
				/* another device's local memory is P2P to us */
				if (peer.foreign &&
				    (flags & PHYR_IC_MASK) == PHYR_IC_DEVICE)
					flags = (flags & ~PHYR_IC_MASK) | PHYR_IC_P2P;
			}
			ret = phyr_dma_map_part(t, addr, part, flags, &peer, max,
						mask);
			if (ret)
				return ret;
			addr += part;
			left -= part;
		}
	}
	return 0;
}

/*
 * Passthrough: the table is the list. Only when some entry is longer than
 * the device takes or crosses its segment boundary (the summary tells)
 * does the walk cut entries into pieces.
 */
static void phyr_dma_alias(struct dma_range_table *t, const struct phyr_list *l)
{
	u64 max = phyr_dma_max_piece(t->dev, true);
	u64 mask = dma_get_seg_boundary(t->dev);

	t->alias = l;
	if (l->sum.longest > max || (l->sum.cross & ~mask)) {
		t->piece = max;
		t->boundary = mask;
	}
}

/* Undo phyr_dma_debug_map() for the first @n pieces of @t. */
static void phyr_dma_debug_unmap(struct dma_range_table *t, unsigned long n)
{
	struct dma_range_iter it;
	struct dma_range r;

	dma_range_iter_init(t, &it);
	while (n-- && dma_range_iter_next(&it, &r)) {
		dma_unmap_page_attrs(t->dev, r.addr, dma_range_len(&r), t->dir,
				     t->attrs);
		if (!(n % 4096))
			cond_resched();
	}
}

/*
 * With CONFIG_DMA_API_DEBUG, map every piece of a passthrough table through
 * the DMA API as well, so that the debug code tracks it (and checks that
 * it is unmapped); the DMA core must hand back the physical address, as
 * dma_map_phys_is_direct() promised. Costs a walk, in debug kernels only.
 */
static int phyr_dma_debug_map(struct dma_range_table *t)
{
	struct dma_range_iter it;
	unsigned long n = 0;
	struct dma_range r;
	int ret = 0;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG))
		return 0;
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		struct phyr p = { r.addr, r.len_flags };
		dma_addr_t dma;

		if (!phyr_dma_has_pages(&p)) {
			ret = -EINVAL;
			break;
		}
		dma = dma_map_page_attrs(t->dev, pfn_to_page(PHYS_PFN(r.addr)),
					 offset_in_page(r.addr),
					 dma_range_len(&r), t->dir, t->attrs);
		if (dma_mapping_error(t->dev, dma)) {
			ret = -EIO;
			break;
		}
		if (!(++n % 4096))
			cond_resched();
		if (WARN_ONCE(dma != r.addr,
			      "phyr: passthrough of %pa mapped at %pad\n",
			      &r.addr, &dma)) {
			ret = -EIO;
			break;
		}
	}
	if (ret) {
		phyr_dma_debug_unmap(t, n);
		t->alias = NULL;
		t->piece = 0;
		return ret;
	}
	t->debug_mapped = true;
	return 0;
}

/**
 * phyr_dma_map() - map a byte slice of a phyr list for DMA by a device
 * @dev: the device that will do the DMA
 * @l: the list
 * @offset: byte offset of the slice to map
 * @len: length of the slice, not zero
 * @dir: DMA direction
 * @attrs: DMA attributes (``DMA_ATTR_*``), passed to the DMA API
 * @t: the table to fill
 *
 * Chooses passthrough, per-range mapping or peer-to-peer per the rules in
 * "DMA range tables" above. A passthrough table aliases @l: keep @l
 * unchanged and alive until phyr_dma_unmap(). Other tables own their
 * storage and do not refer to @l.
 *
 * Context: process context, may sleep.
 * Entries keep the flags of their source range, except that a range
 * flagged %PHYR_IC_DEVICE in another device's BAR becomes %PHYR_IC_P2P:
 * the interconnect is the one the mapping device uses.
 *
 * Entries flagged as system memory (%PHYR_IC_HOST without %PHYR_F_MMIO)
 * must have struct pages: passthrough and the one-IOVA path check only the
 * two ends of the list's span, range-by-range mapping (and every path with
 * CONFIG_DMA_API_DEBUG) checks every range.
 *
 * Return: 0 on success; -EINVAL for a bad slice, direction or device
 * without a DMA mask, for system memory without struct pages (where it is
 * checked) or peer memory outside any PCI BAR; -EOPNOTSUPP when @dev
 * cannot reach peer memory (no P2P path, not a PCI device, or a
 * GPU-to-GPU link range);
 * -EIO if the DMA API failed; -ENOMEM. Nothing stays mapped on error.
 */
int phyr_dma_map(struct device *dev, const struct phyr_list *l, u64 offset,
		 u64 len, enum dma_data_direction dir, unsigned long attrs,
		 struct dma_range_table *t)
{
	struct phyr_iter it;
	u64 end;
	int ret;

	*t = (struct dma_range_table){
		.dev = dev, .dir = dir, .attrs = attrs, .len = len,
		.offset = offset,
	};
	if (!len || !valid_dma_direction(dir) || !dev->dma_mask ||
	    check_add_overflow(offset, len, &end) || end > phyr_list_length(l))
		return -EINVAL;

	/* decided from the summary: no entry is looked at */
	if (phyr_dma_can_alias(dev, l)) {
		phyr_dma_alias(t, l);
		return phyr_dma_debug_map(t);
	}

	ret = phyr_iter_init_slice(l, offset, len, &it);
	if (ret)
		return ret;
	ret = -EAGAIN;
	if (use_dma_iommu(dev) && dev_is_dma_coherent(dev))
		ret = phyr_dma_map_iova(t, l, &it);
	if (ret == -EAGAIN)
		ret = phyr_dma_map_ranges(t, &it);
	if (ret)
		phyr_dma_unmap(t);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(phyr_dma_map, DRM_PHYR);

/*
 * A table of link addresses for a slice of @l: what a device linked to
 * the memory's owner uses instead of PCI addresses. @phys_base is the CPU
 * address the link address @link_base stands for. No mapping call.
 */
int phyr_dma_map_link(struct device *dev, const struct phyr_list *l,
		      u64 offset, u64 len, phys_addr_t phys_base, u64 link_base,
		      struct dma_range_table *t)
{
	struct phyr_iter it;
	struct phyr seg;
	int ret;

	*t = (struct dma_range_table){
		.dev = dev, .dir = DMA_BIDIRECTIONAL, .len = len,
		.offset = offset,
	};
	ret = phyr_iter_init_slice(l, offset, len, &it);
	if (ret)
		return ret;
	phyr_for_each(seg, &it) {
		unsigned int flags = (phyr_flags(&seg) & DMA_RANGE_SRC_MASK &
				      ~PHYR_IC_MASK) | PHYR_IC_LINK |
				     DMA_RANGE_VIA_LINK;

		if (phyr_addr(&seg) < phys_base) {
			ret = -EINVAL;
			break;
		}
		ret = phyr_list_add(&t->ranges,
				    link_base + (phyr_addr(&seg) - phys_base),
				    phyr_len(&seg), flags, PHYR_MAX_LEN,
				    GFP_KERNEL);
		if (ret)
			break;
	}
	if (ret)
		phyr_list_free(&t->ranges);
	return ret;
}

/**
 * phyr_dma_unmap() - undo phyr_dma_map()
 * @t: the table phyr_dma_map() filled
 *
 * Unmaps every range exactly as it was mapped and frees the table's
 * storage; @t is empty afterwards.
 *
 * Context: process context, may sleep.
 */
void phyr_dma_unmap(struct dma_range_table *t)
{
	struct dma_range_iter it;
	struct dma_range r;

	if (dma_use_iova(&t->iova)) {
		dma_iova_destroy(t->dev, &t->iova, t->len, t->dir, t->attrs);
	} else if (t->alias) {
		if (t->debug_mapped)
			phyr_dma_debug_unmap(t, ULONG_MAX);
	} else {
		dma_range_iter_init(t, &it);
		dma_range_for_each(r, &it)
			phyr_dma_unmap_range(t, &r);
	}
	phyr_list_free(&t->ranges);
	t->alias = NULL;
	t->piece = 0;
	t->debug_mapped = false;
	t->src_sgt = NULL;
	t->len = 0;
}
EXPORT_SYMBOL_NS_GPL(phyr_dma_unmap, DRM_PHYR);

static void phyr_dma_sync(const struct dma_range_table *t, bool for_cpu)
{
	struct dma_range_iter it;
	struct dma_range r;

	if (t->src_sgt) {
		if (for_cpu)
			dma_sync_sgtable_for_cpu(t->dev, t->src_sgt, t->dir);
		else
			dma_sync_sgtable_for_device(t->dev, t->src_sgt, t->dir);
		return;
	}

	/*
	 * Passthrough and IOVA tables are only made for coherent devices
	 * that do not bounce: nothing to do.
	 */
	if (t->alias || dma_use_iova(&t->iova))
		return;
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		if (dma_range_via(&r) != DMA_RANGE_VIA_PAGE)
			continue;
		if (for_cpu)
			dma_sync_single_for_cpu(t->dev, r.addr, dma_range_len(&r),
						t->dir);
		else
			dma_sync_single_for_device(t->dev, r.addr,
						   dma_range_len(&r), t->dir);
	}
}

/**
 * phyr_dma_sync_for_cpu() - give the CPU access to mapped memory
 * @t: a mapped table
 *
 * Copies bounce buffers back and does cache maintenance where the mapping
 * needs it, like dma_sync_single_for_cpu() for each range; a table taken
 * over from an exporter's scatterlist is synced through that scatterlist.
 */
void phyr_dma_sync_for_cpu(const struct dma_range_table *t)
{
	phyr_dma_sync(t, true);
}
EXPORT_SYMBOL_NS_GPL(phyr_dma_sync_for_cpu, DRM_PHYR);

/**
 * phyr_dma_sync_for_device() - give the device access to mapped memory
 * @t: a mapped table
 *
 * The inverse of phyr_dma_sync_for_cpu().
 */
void phyr_dma_sync_for_device(const struct dma_range_table *t)
{
	phyr_dma_sync(t, false);
}
EXPORT_SYMBOL_NS_GPL(phyr_dma_sync_for_device, DRM_PHYR);

/**
 * dma_range_table_nents() - number of ranges in a table
 * @t: the table
 *
 * Walks the ranges of a table that is cut into pieces while walked (a
 * passthrough table, or an IOVA table longer than a device segment).
 *
 * Return: the number of &struct dma_range a walk yields.
 */
unsigned long dma_range_table_nents(const struct dma_range_table *t)
{
	struct dma_range_iter it;
	unsigned long n = 0;
	struct dma_range r;

	if (!t->alias && !t->piece)
		return phyr_list_nents(&t->ranges);
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it)
		n++;
	return n;
}
EXPORT_SYMBOL_NS_GPL(dma_range_table_nents, DRM_PHYR);

/**
 * dma_range_table_best_pgsz() - best device page size for a table
 * @t: the table
 * @pgsz_bitmap: page sizes the device supports, bit n meaning 2^n bytes
 * @iova: device virtual address of the first byte
 *
 * phyr_iter_best_pgsz() on the DMA addresses of @t; a passthrough table
 * whose walk cuts entries into pieces allows no page larger than a piece.
 *
 * Return: the chosen page size, or 0 if none works.
 */
unsigned long dma_range_table_best_pgsz(const struct dma_range_table *t,
					unsigned long pgsz_bitmap, u64 iova)
{
	struct dma_range_iter it;

	/* a passthrough table cut into pieces: no page across a cut */
	if (t->piece) {
		u64 lim = t->piece;

		if (t->boundary != U64_MAX)
			lim = min(lim, t->boundary + 1);
		pgsz_bitmap &= GENMASK_ULL(ilog2(lim), 0);
	}
	dma_range_iter_init(t, &it);
	return phyr_iter_best_pgsz(&it.it, pgsz_bitmap, iova);
}
EXPORT_SYMBOL_NS_GPL(dma_range_table_best_pgsz, DRM_PHYR);

/**
 * dma_range_block_start() - set up a block iterator over a table
 * @bi: the block iterator
 * @t: the table
 * @pgsz: block size, a power of two
 *
 * Return: @bi, for dma_range_for_each_block().
 */
struct phyr_block_iter *dma_range_block_start(struct phyr_block_iter *bi,
					      const struct dma_range_table *t,
					      u64 pgsz)
{
	struct dma_range_iter it;

	dma_range_iter_init(t, &it);
	return phyr_block_iter_start_at(bi, &it.it, pgsz);
}
EXPORT_SYMBOL_NS_GPL(dma_range_block_start, DRM_PHYR);
