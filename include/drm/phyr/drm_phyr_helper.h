/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: the DRM helpers a GPU driver uses to hand out its memory as phyr
 * lists (regions, GEM objects, PRIME export and import).
 */
#ifndef __DRM_PHYR_HELPER_H__
#define __DRM_PHYR_HELPER_H__

#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/gpu_buddy.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include <drm/drm_gem.h>
#include <drm/phyr/phyr_dma.h>
#include <drm/phyr/phyr_list.h>

/**
 * DOC: DRM helpers
 *
 * What a GPU driver calls to hand out its memory as phyr lists.
 *
 * A &struct drm_phyr_region is a range of physical memory without struct
 * pages, typically a PCI BAR of VRAM, with the interconnect kind its
 * entries carry. Allocations in it come from a &struct gpu_buddy allocator;
 * each allocation is a phyr list whose entries are the allocated blocks in
 * address order, adjacent blocks coalesced.
 *
 * A &struct drm_phyr_gem_object is a GEM object whose backing store is a
 * phyr list: blocks of a region (VRAM) or pages of system memory. CPU
 * mappings insert PFNs (write-combined for VRAM) and never touch a struct
 * page; kernel mappings use vmap_pfn(). drm_phyr_gem_evict() moves an
 * object from VRAM to system memory under its reservation lock, in the
 * order that loses no write: importers get move_notify and CPU mappings
 * are zapped first, then the contents are copied, then the new placement
 * is published; faults wait for the reservation lock and map the new one.
 * A mapping reaches an importer only once the kernel fences of the
 * reservation object have signalled.
 *
 * When the device goes away, drm_phyr_gem_revoke_region() revokes every
 * object of its region: importers are told to move and cannot map again
 * (-ENODEV), CPU mappings fault with SIGBUS. The memory stays allocated,
 * and the driver keeps its BAR reserved, until the last user is gone.
 *
 * Exported objects use &drm_phyr_gem_dmabuf_ops, which implement the
 * dma-buf range operations (&dma_buf_ops.map_dma_ranges, a patch to the
 * dma-buf core in ``patches/``). An importer that calls
 * drm_phyr_attachment_map() gets, through dma_buf_map_attachment_ranges()
 * and with the core's locking, pinning and fence rules, a &struct
 * dma_range_table mapped for its device straight from the object's list
 * (peer-to-peer decided per entry by phyr_dma_map(), link addresses for a
 * device the region is linked to). Any other importer gets, through
 * dma_buf_map_attachment(), a scatterlist whose entries carry DMA addresses
 * only (no struct pages, as amdgpu and xe hand out VRAM). An attachment
 * that cannot do peer-to-peer (not allowed by the importer, or
 * pci_p2pdma_distance() says no) makes the object migrate to system memory
 * first, as amdgpu does; if it is pinned in VRAM the map fails with
 * -EOPNOTSUPP.
 *
 * drm_phyr_attachment_map() works on any dma-buf: exporters with range
 * operations (phyr GEM objects, udmabuf) fill the table themselves; with
 * the others (vgem, dma-heaps) it maps the attachment the usual way and
 * turns the scatterlist's DMA addresses into a table (%DMA_RANGE_VIA_SG).
 *
 * Locking: the object's backing store may only be looked at or changed
 * with its reservation lock (&drm_gem_object.resv) held. The allocator of a
 * region has its own mutex, taken inside the reservation lock.
 */

/**
 * struct drm_phyr_region - device memory managed by the phyr helpers
 * @dev: the device the memory belongs to
 * @base: CPU physical address of the first byte
 * @size: size in bytes
 * @flags: phyr flags of every entry allocated here (interconnect, MMIO)
 * @lock: protects @mm, @link_peer, @link_base, @objects and @revoked
 * @mm: the buddy allocator, in offsets from @base
 * @link_peer: a device linked to this one by a GPU-to-GPU link, or NULL;
 *	the region holds a reference on it
 * @link_base: where @link_peer sees @base over the link
 * @objects: the GEM objects created with this region
 *	(&drm_phyr_gem_object.region_node)
 * @revoked: the device is gone: drm_phyr_gem_revoke_region() ran
 * @wc: the range has a write-combining memtype reservation
 */
struct drm_phyr_region {
	struct device *dev;
	phys_addr_t base;
	u64 size;
	unsigned int flags;
	struct mutex lock;	/* protects mm, link_*, objects and revoked */
	struct gpu_buddy mm;
	struct device *link_peer;
	u64 link_base;
	struct list_head objects;
	bool revoked;
	bool wc;
};

/**
 * struct drm_phyr_region_mem - memory allocated in a region
 * @region: the region
 * @blocks: the &struct gpu_buddy_block s, linked through their @link
 * @list: the same memory as a phyr list, in address order
 */
struct drm_phyr_region_mem {
	struct drm_phyr_region *region;
	struct list_head blocks;
	struct phyr_list list;
};

struct pci_dev;

int drm_phyr_region_init(struct drm_phyr_region *r, struct device *dev,
			 phys_addr_t base, u64 size, unsigned int flags);
int drm_phyr_region_init_bar(struct drm_phyr_region *r, struct pci_dev *pdev,
			     int bar);
void drm_phyr_region_fini(struct drm_phyr_region *r);
int drm_phyr_region_alloc(struct drm_phyr_region *r, u64 size,
			  struct drm_phyr_region_mem *a);
void drm_phyr_region_free(struct drm_phyr_region_mem *a);
u64 drm_phyr_region_used(struct drm_phyr_region *r);
int drm_phyr_region_link(struct drm_phyr_region *r, struct device *peer,
			 u64 link_base);
void drm_phyr_region_unlink(struct drm_phyr_region *r);
bool drm_phyr_region_linked_to(struct drm_phyr_region *r, struct device *dev,
			       u64 *link_base);

/**
 * enum drm_phyr_placement - where the backing store of an object lives
 * @DRM_PHYR_PLACE_SYSTEM: system memory pages
 * @DRM_PHYR_PLACE_VRAM: blocks of the object's region
 */
enum drm_phyr_placement {
	DRM_PHYR_PLACE_SYSTEM = 1,
	DRM_PHYR_PLACE_VRAM,
};

struct drm_phyr_backing;

/**
 * struct drm_phyr_gem_object - a GEM object backed by a phyr list
 * @base: the GEM object
 * @region: region for %DRM_PHYR_PLACE_VRAM, NULL for system memory only
 * @backing: the current backing store (reservation lock)
 * @pin_count: pins by attachments and kernel mappings (reservation lock);
 *	a pinned object does not move
 * @vmap_count: users of @vaddr (reservation lock)
 * @vaddr: kernel mapping while @vmap_count is not zero
 * @vmap_io: @vaddr maps I/O memory (no struct pages, write-combined)
 * @dmabuf: the dma-buf exported for the object while it exists
 *	(reservation lock); further exports return it again
 * @generation: number of moves so far (reservation lock)
 * @userptr: the backing store is pinned user memory
 *	(drm_phyr_gem_create_userptr()); it never moves
 * @region_node: link in the region's list of objects (region lock)
 * @revoked: the region's device is gone (drm_phyr_region_revoke()); the
 *	object is no longer mapped for anyone (reservation lock)
 */
struct drm_phyr_gem_object {
	struct drm_gem_object base;
	struct drm_phyr_region *region;
	struct drm_phyr_backing *backing;
	unsigned int pin_count;
	unsigned int vmap_count;
	void *vaddr;
	bool vmap_io;
	struct dma_buf *dmabuf;
	u32 generation;
	bool userptr;
	struct list_head region_node;
	bool revoked;
};

/**
 * to_drm_phyr_gem() - upcast a GEM object
 * @obj: a GEM object created by drm_phyr_gem_create()
 *
 * Return: the &struct drm_phyr_gem_object containing @obj.
 */
static inline struct drm_phyr_gem_object *
to_drm_phyr_gem(struct drm_gem_object *obj)
{
	return container_of(obj, struct drm_phyr_gem_object, base);
}

struct drm_phyr_gem_object *
drm_phyr_gem_create(struct drm_device *dev, struct drm_phyr_region *region,
		    size_t size, enum drm_phyr_placement place);
struct drm_phyr_gem_object *
drm_phyr_gem_create_userptr(struct drm_device *dev, unsigned long addr,
			    size_t size);
bool drm_phyr_gem_is_phyr(const struct drm_gem_object *obj);
const struct phyr_list *drm_phyr_gem_list(struct drm_phyr_gem_object *pobj);
enum drm_phyr_placement
drm_phyr_gem_placement(struct drm_phyr_gem_object *pobj);
int drm_phyr_gem_evict(struct drm_phyr_gem_object *pobj);
void drm_phyr_gem_revoke_region(struct drm_phyr_region *r);
struct dma_buf *drm_phyr_gem_prime_export(struct drm_gem_object *obj,
					  int flags);

extern const struct dma_buf_ops drm_phyr_gem_dmabuf_ops;

/**
 * struct drm_phyr_attachment - an importer's view of a dma-buf attachment
 * @attach: the attachment
 * @table: the DMA ranges while @mapped
 * @sgt: the exporter's scatterlist, for an exporter without range tables
 * @backing: the phyr exporter's backing store, for @phys
 * @dir: direction of the mapping
 * @mapped: @table (or the list, for @phys) is valid
 * @phys: mapped by drm_phyr_attachment_map_phys(): no DMA mapping
 * @ranges: @table came from the exporter through
 *	dma_buf_map_attachment_ranges()
 *
 * Set up with drm_phyr_attachment_init(), mapped and unmapped with the
 * dma-buf's reservation lock held.
 */
struct drm_phyr_attachment {
	struct dma_buf_attachment *attach;
	struct dma_range_table table;
	struct sg_table *sgt;
	struct drm_phyr_backing *backing;
	enum dma_data_direction dir;
	bool mapped;
	bool phys;
	bool ranges;
};

void drm_phyr_attachment_init(struct drm_phyr_attachment *pa,
			      struct dma_buf_attachment *attach);
int drm_phyr_attachment_map(struct drm_phyr_attachment *pa,
			    enum dma_data_direction dir);
void drm_phyr_attachment_unmap(struct drm_phyr_attachment *pa);
int drm_phyr_attachment_map_phys(struct drm_phyr_attachment *pa,
				 const struct phyr_list **list);

#endif /* __DRM_PHYR_HELPER_H__ */
