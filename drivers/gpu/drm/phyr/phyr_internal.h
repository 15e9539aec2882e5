/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces between the files of the phyr module.
 */
#ifndef __PHYR_INTERNAL_H__
#define __PHYR_INTERNAL_H__

#include <linux/kref.h>

#include <drm/drm_phyr.h>

int phyr_list_add(struct phyr_list *l, u64 addr, u64 len, unsigned int flags,
		  u64 merge_max, gfp_t gfp);
/*
 * What a list looked like before a batch of appends, enough to take the
 * batch back: entries are only ever added at the end, the last entry can
 * only grow (its first word changes, its chunk may gain a word) and chunks
 * after the last entry are empty.
 */
struct phyr_list_mark {
	struct phyr_list hdr;
	u64 word;
	u32 nr;
	u64 bytes;
};

#if IS_ENABLED(CONFIG_KUNIT)
void phyr_list_mark(const struct phyr_list *l, struct phyr_list_mark *m);
void phyr_list_rewind(struct phyr_list *l, const struct phyr_list_mark *m);
#endif
int phyr_dma_map_link(struct device *dev, const struct phyr_list *l,
		      u64 offset, u64 len, phys_addr_t phys_base, u64 link_base,
		      struct dma_range_table *t);

/*
 * The backing store of a phyr GEM object. Reference counted: mappings of
 * it (DMA range tables handed to importers) keep it alive after the object
 * moved, so that its memory is only reused once nobody can reach it.
 */
struct drm_phyr_backing {
	struct kref ref;
	enum drm_phyr_placement place;
	struct drm_phyr_region_mem vram;	/* DRM_PHYR_PLACE_VRAM */
	struct phyr_list sys;			/* DRM_PHYR_PLACE_SYSTEM */
	struct phyr_user_pin user;		/* userptr: pinned user pages */
	bool userptr;
};

static inline const struct phyr_list *
drm_phyr_backing_list(const struct drm_phyr_backing *b)
{
	if (b->place == DRM_PHYR_PLACE_VRAM)
		return &b->vram.list;
	return b->userptr ? &b->user.list : &b->sys;
}

struct drm_phyr_backing *drm_phyr_backing_get(struct drm_phyr_backing *b);
void drm_phyr_backing_put(struct drm_phyr_backing *b);
int drm_phyr_gem_reach(struct drm_phyr_gem_object *pobj,
		       struct dma_buf_attachment *attach);
int drm_phyr_gem_map(struct drm_phyr_gem_object *pobj,
		     struct dma_buf_attachment *attach,
		     enum dma_data_direction dir, struct dma_range_table *t,
		     struct drm_phyr_backing **bp);

#endif
