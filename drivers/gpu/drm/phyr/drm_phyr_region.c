// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device memory regions: buddy allocation handed out as phyr lists.
 */

#include <linux/io.h>
#include <linux/list_sort.h>
#include <linux/module.h>
#include <linux/pci.h>

#include <drm/drm_phyr.h>

/**
 * drm_phyr_region_init() - set up a region of device memory
 * @r: the region
 * @dev: the device the memory belongs to
 * @base: CPU physical address of the first byte, page aligned
 * @size: size in bytes, a nonzero multiple of the page size
 * @flags: phyr flags for every allocation (e.g. %PHYR_IC_DEVICE |
 *	%PHYR_F_MMIO | %PHYR_F_WC for VRAM in a BAR)
 *
 * The region manages offsets only: it never maps the memory itself.
 *
 * Return: 0, -EINVAL for a misaligned or empty range or bad flags, or
 * -ENOMEM.
 */
int drm_phyr_region_init(struct drm_phyr_region *r, struct device *dev,
			 phys_addr_t base, u64 size, unsigned int flags)
{
	int ret;

	if (!size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size))
		return -EINVAL;
	ret = phyr_check(base, size, flags);
	if (ret)
		return ret;

	*r = (struct drm_phyr_region){
		.dev = dev, .base = base, .size = size, .flags = flags,
	};
	INIT_LIST_HEAD(&r->objects);
	mutex_init(&r->lock);
	ret = gpu_buddy_init(&r->mm, size, PAGE_SIZE);
	if (ret)
		mutex_destroy(&r->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_init, DRM_PHYR);

/**
 * drm_phyr_region_init_bar() - set up a region for a PCI memory BAR
 * @r: the region
 * @pdev: the device
 * @bar: the BAR number
 *
 * The region covers the whole BAR, its entries are %PHYR_IC_DEVICE |
 * %PHYR_F_MMIO | %PHYR_F_WC, and a write-combining memtype is reserved for
 * it so that CPU mappings of VRAM objects are write-combined. The caller must have
 * requested the BAR.
 *
 * Return: 0, -EINVAL if @bar is not a memory BAR, or an error of
 * drm_phyr_region_init().
 */
int drm_phyr_region_init_bar(struct drm_phyr_region *r, struct pci_dev *pdev,
			     int bar)
{
	resource_size_t start = pci_resource_start(pdev, bar);
	resource_size_t len = pci_resource_len(pdev, bar);
	int ret;

	if (bar < 0 || bar >= PCI_STD_NUM_BARS ||
	    !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) || !len)
		return -EINVAL;

	ret = drm_phyr_region_init(r, &pdev->dev, start, len,
				   PHYR_IC_DEVICE | PHYR_F_MMIO | PHYR_F_WC);
	if (ret)
		return ret;
	r->wc = !arch_io_reserve_memtype_wc(start, len);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_init_bar, DRM_PHYR);

/**
 * drm_phyr_region_fini() - tear down a region
 * @r: the region; every allocation must have been freed
 *
 * A link still declared is removed (drm_phyr_region_unlink()).
 */
void drm_phyr_region_fini(struct drm_phyr_region *r)
{
	WARN_ON(r->mm.avail != r->mm.size || !list_empty(&r->objects));
	drm_phyr_region_unlink(r);
	gpu_buddy_fini(&r->mm);
	if (r->wc)
		arch_io_free_memtype_wc(r->base, r->size);
	mutex_destroy(&r->lock);
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_fini, DRM_PHYR);

static int drm_phyr_block_cmp(void *priv, const struct list_head *a,
			      const struct list_head *b)
{
	u64 oa = gpu_buddy_block_offset(list_entry(a, struct gpu_buddy_block,
						   link));
	u64 ob = gpu_buddy_block_offset(list_entry(b, struct gpu_buddy_block,
						   link));

	return oa < ob ? -1 : oa > ob;
}

/**
 * drm_phyr_region_alloc() - allocate memory in a region
 * @r: the region
 * @size: bytes to allocate, a nonzero multiple of the page size
 * @a: receives the allocation
 *
 * The buddy allocator may return several blocks; @a->list describes them
 * in address order, adjacent blocks coalesced into one entry, so an
 * allocation in an unfragmented region is a handful of entries however
 * large it is. The memory is not cleared.
 *
 * Context: process context, may sleep; takes @r->lock.
 * Return: 0, -EINVAL for a bad size, -E2BIG if @size exceeds the region,
 * -ENOSPC if the region has no room, or -ENOMEM.
 */
int drm_phyr_region_alloc(struct drm_phyr_region *r, u64 size,
			  struct drm_phyr_region_mem *a)
{
	struct gpu_buddy_block *block;
	int ret;

	a->region = r;
	INIT_LIST_HEAD(&a->blocks);
	phyr_list_init(&a->list);
	if (!size || !PAGE_ALIGNED(size))
		return -EINVAL;
	if (size > r->size)
		return -E2BIG;

	mutex_lock(&r->lock);
	ret = gpu_buddy_alloc_blocks(&r->mm, 0, r->size, size, PAGE_SIZE,
				     &a->blocks, 0);
	mutex_unlock(&r->lock);
	if (ret)
		return ret;

	list_sort(NULL, &a->blocks, drm_phyr_block_cmp);
	list_for_each_entry(block, &a->blocks, link) {
		ret = phyr_list_append(&a->list,
				       r->base + gpu_buddy_block_offset(block),
				       gpu_buddy_block_size(&r->mm, block),
				       r->flags, GFP_KERNEL);
		if (ret) {
			drm_phyr_region_free(a);
			return ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_alloc, DRM_PHYR);

/**
 * drm_phyr_region_free() - free an allocation
 * @a: what drm_phyr_region_alloc() filled; empty afterwards
 *
 * Context: process context, may sleep; takes the region's lock.
 */
void drm_phyr_region_free(struct drm_phyr_region_mem *a)
{
	struct drm_phyr_region *r = a->region;

	if (!r)
		return;
	mutex_lock(&r->lock);
	gpu_buddy_free_list(&r->mm, &a->blocks, 0);
	mutex_unlock(&r->lock);
	phyr_list_free(&a->list);
	a->region = NULL;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_free, DRM_PHYR);

/**
 * drm_phyr_region_used() - bytes allocated in a region
 * @r: the region
 *
 * Context: process context, may sleep; takes @r->lock.
 * Return: the bytes of @r that allocations hold now.
 */
u64 drm_phyr_region_used(struct drm_phyr_region *r)
{
	u64 used;

	mutex_lock(&r->lock);
	used = r->size - r->mm.avail;
	mutex_unlock(&r->lock);
	return used;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_used, DRM_PHYR);

/**
 * drm_phyr_region_link() - declare a GPU-to-GPU link to another device
 * @r: the region
 * @peer: the device at the other end of the link
 * @link_base: the address at which @peer reaches the first byte of @r
 *
 * Mappings of @r's memory for @peer made from now on carry %PHYR_IC_LINK
 * and link addresses (%DMA_RANGE_VIA_LINK) instead of PCI addresses. The
 * region holds a reference on @peer until drm_phyr_region_unlink() or
 * drm_phyr_region_fini().
 *
 * Return: 0, -EINVAL if @peer is the region's own device or the link
 * window would wrap, -EBUSY if @r is already linked.
 */
int drm_phyr_region_link(struct drm_phyr_region *r, struct device *peer,
			 u64 link_base)
{
	u64 end;
	int ret = 0;

	if (!peer || peer == r->dev ||
	    check_add_overflow(link_base, r->size, &end))
		return -EINVAL;
	mutex_lock(&r->lock);
	if (r->link_peer) {
		ret = -EBUSY;
	} else {
		r->link_peer = get_device(peer);
		r->link_base = link_base;
	}
	mutex_unlock(&r->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_link, DRM_PHYR);

/**
 * drm_phyr_region_unlink() - remove the link declared for a region
 * @r: the region
 *
 * Existing link mappings keep their addresses; the caller must make sure
 * they are not used once the link is gone.
 */
void drm_phyr_region_unlink(struct drm_phyr_region *r)
{
	struct device *peer;

	mutex_lock(&r->lock);
	peer = r->link_peer;
	r->link_peer = NULL;
	r->link_base = 0;
	mutex_unlock(&r->lock);
	put_device(peer);
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_unlink, DRM_PHYR);

/**
 * drm_phyr_region_linked_to() - test whether a device reaches a region by link
 * @r: the region, may be NULL
 * @dev: the device
 * @link_base: receives the link address of the region's first byte
 *
 * Return: true if @r is linked to @dev.
 */
bool drm_phyr_region_linked_to(struct drm_phyr_region *r, struct device *dev,
			       u64 *link_base)
{
	bool linked;

	if (!r)
		return false;
	mutex_lock(&r->lock);
	linked = r->link_peer && r->link_peer == dev;
	if (linked)
		*link_base = r->link_base;
	mutex_unlock(&r->lock);
	return linked;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_region_linked_to, DRM_PHYR);
