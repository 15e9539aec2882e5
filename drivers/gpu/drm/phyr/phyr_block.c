// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr lists in device page sizes: block iteration and page-size choice.
 */

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/module.h>

#include <drm/drm_phyr.h>

/**
 * DOC: device blocks
 *
 * A device that maps memory through its own page tables (an RDMA NIC, a
 * GPU MMU) wants the list as a sequence of naturally aligned blocks of one
 * page size. phyr_list_best_pgsz() picks that size from the device's
 * bitmap of supported sizes; phyr_for_each_block() then yields the block
 * addresses.
 *
 * Blocks cover every byte of the list: the first block of an entry is its
 * start address rounded down to the page size, so a list whose first entry
 * starts mid-page yields that whole page. Entries only share no block when
 * every interior boundary (each start but the first, each end but the
 * last) is aligned to the page size, which is what phyr_list_best_pgsz()
 * guarantees.
 */

/**
 * phyr_block_iter_start_at() - set up a block iterator over an iteration
 * @bi: the block iterator
 * @it: where to walk, e.g. from phyr_iter_init_slice(); copied
 * @pgsz: block size, a power of two
 *
 * A @pgsz that is not a power of two is a caller bug: it warns once and
 * the iteration yields no block.
 *
 * Return: @bi, for use in a loop header.
 */
struct phyr_block_iter *phyr_block_iter_start_at(struct phyr_block_iter *bi,
						 const struct phyr_iter *it,
						 u64 pgsz)
{
	bi->it = *it;
	bi->pgsz = pgsz;
	bi->addr = 0;
	if (WARN_ONCE(!pgsz || !is_power_of_2(pgsz),
		      "phyr: block size %#llx is not a power of two\n", pgsz))
		bi->it.size = 0;
	return bi;
}
EXPORT_SYMBOL_NS_GPL(phyr_block_iter_start_at, DRM_PHYR);

/**
 * phyr_block_iter_start() - set up a block iterator over a whole list
 * @bi: the block iterator
 * @l: the list to walk
 * @pgsz: block size, a power of two
 *
 * Return: @bi, for use in a loop header.
 */
struct phyr_block_iter *phyr_block_iter_start(struct phyr_block_iter *bi,
					      const struct phyr_list *l,
					      u64 pgsz)
{
	struct phyr_iter it;

	phyr_iter_init(l, &it);
	return phyr_block_iter_start_at(bi, &it, pgsz);
}
EXPORT_SYMBOL_NS_GPL(phyr_block_iter_start, DRM_PHYR);

/**
 * phyr_block_iter_next() - advance to the next block
 * @bi: the block iterator
 *
 * Return: true with phyr_block_addr() set to the next block, false when
 * every byte of the list has been covered.
 */
bool phyr_block_iter_next(struct phyr_block_iter *bi)
{
	struct phyr seg;
	phys_addr_t blk;
	u64 step;

	if (!bi->it.size)
		return false;

	seg = phyr_iter_cur(&bi->it);
	blk = round_down(phyr_addr(&seg), bi->pgsz);
	/* Bytes of this entry up to the end of the block, at most. */
	step = min(phyr_len(&seg), blk + bi->pgsz - phyr_addr(&seg));
	phyr_iter_advance(&bi->it, step);
	bi->addr = blk;
	return true;
}
EXPORT_SYMBOL_NS_GPL(phyr_block_iter_next, DRM_PHYR);

/**
 * phyr_iter_best_pgsz() - best device page size to map the ranges of an iteration
 * @it: the ranges, e.g. a slice from phyr_iter_init_slice(); not consumed
 * @pgsz_bitmap: page sizes the device supports, bit n meaning 2^n bytes
 * @iova: device virtual address the first byte will have
 *
 * A page size works when the first byte's offset inside a page is the same
 * in @iova and in the ranges, and every interior boundary is aligned to
 * it. Among those, the largest is returned, but never one above the
 * smallest supported size that already covers all ranges in a single
 * page: larger pages would only map memory that is not there. This is the
 * rule RDMA drivers know from ib_umem_find_best_pgsz().
 *
 * Return: the chosen page size in bytes, or 0 if there are no bytes or no
 * size in @pgsz_bitmap works.
 */
unsigned long phyr_iter_best_pgsz(const struct phyr_iter *it,
				  unsigned long pgsz_bitmap, u64 iova)
{
	struct phyr_iter pos = *it;
	unsigned long mask = 0;
	u64 total = it->size;
	unsigned int cover;
	struct phyr seg;
	u64 done = 0;

	if (!total || !pgsz_bitmap)
		return 0;

	/*
	 * @mask collects address bits that must be zero in a page offset:
	 * any page size above its lowest set bit does not work. Seed it with
	 * the supported sizes that cover the ranges in one page.
	 */
	cover = fls64((iova + total - 1) ^ iova);
	if (cover < BITS_PER_LONG)
		mask = pgsz_bitmap & ~(BIT(cover) - 1);

	phyr_for_each(seg, &pos) {
		if (!done)
			mask |= phyr_addr(&seg) ^ iova;
		else
			mask |= phyr_addr(&seg);
		done += phyr_len(&seg);
		if (done != total)
			mask |= phyr_end(&seg);
	}

	if (mask)
		pgsz_bitmap &= GENMASK(__ffs(mask), 0);
	return pgsz_bitmap ? rounddown_pow_of_two(pgsz_bitmap) : 0;
}
EXPORT_SYMBOL_NS_GPL(phyr_iter_best_pgsz, DRM_PHYR);

/**
 * phyr_list_best_pgsz() - best device page size to map a list
 * @l: the list
 * @pgsz_bitmap: page sizes the device supports, bit n meaning 2^n bytes
 * @iova: device virtual address the first byte of the list will have
 *
 * phyr_iter_best_pgsz() over the whole list.
 *
 * Return: the chosen page size in bytes, or 0 if the list is empty or no
 * size in @pgsz_bitmap works.
 */
unsigned long phyr_list_best_pgsz(const struct phyr_list *l,
				  unsigned long pgsz_bitmap, u64 iova)
{
	struct phyr_iter it;

	phyr_iter_init(l, &it);
	return phyr_iter_best_pgsz(&it, pgsz_bitmap, iova);
}
EXPORT_SYMBOL_NS_GPL(phyr_list_best_pgsz, DRM_PHYR);
