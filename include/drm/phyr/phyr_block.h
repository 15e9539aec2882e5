/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: walking a list in aligned device-page blocks.
 */
#ifndef __DRM_PHYR_BLOCK_H__
#define __DRM_PHYR_BLOCK_H__

#include <linux/types.h>

#include <drm/phyr/phyr_list.h>

/**
 * struct phyr_block_iter - walk a list in aligned device-page blocks
 * @it: position in the list
 * @pgsz: block size, a power of two
 * @addr: physical address of the current block, aligned to @pgsz
 *
 * Set up with phyr_block_iter_start() and advanced with
 * phyr_block_iter_next(), usually through phyr_for_each_block().
 */
struct phyr_block_iter {
	struct phyr_iter it;
	u64 pgsz;
	phys_addr_t addr;
};

struct phyr_block_iter *phyr_block_iter_start(struct phyr_block_iter *bi,
					      const struct phyr_list *l,
					      u64 pgsz);
struct phyr_block_iter *phyr_block_iter_start_at(struct phyr_block_iter *bi,
						 const struct phyr_iter *it,
						 u64 pgsz);
bool phyr_block_iter_next(struct phyr_block_iter *bi);

/**
 * phyr_block_addr() - address of the current block
 * @bi: block iterator after a successful phyr_block_iter_next()
 *
 * Return: the @pgsz-aligned physical address of the block.
 */
static inline phys_addr_t phyr_block_addr(const struct phyr_block_iter *bi)
{
	return bi->addr;
}

/**
 * phyr_for_each_block() - walk a list in aligned blocks of a device page size
 * @l: the list
 * @bi: &struct phyr_block_iter used as the cursor
 * @pgsz: block size, a power of two, typically from phyr_list_best_pgsz()
 */
#define phyr_for_each_block(l, bi, pgsz)				\
	for (struct phyr_block_iter *__bi =				\
		phyr_block_iter_start((bi), (l), (pgsz));		\
	     phyr_block_iter_next(__bi);)

unsigned long phyr_iter_best_pgsz(const struct phyr_iter *it,
				  unsigned long pgsz_bitmap, u64 iova);
unsigned long phyr_list_best_pgsz(const struct phyr_list *l,
				  unsigned long pgsz_bitmap, u64 iova);

#endif /* __DRM_PHYR_BLOCK_H__ */
