// SPDX-License-Identifier: GPL-2.0-only
/*
 * GEM objects backed by phyr lists: VRAM blocks or system memory pages.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pfn.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_phyr.h>
#include <drm/drm_vma_manager.h>

#include "phyr_internal.h"

static const struct drm_gem_object_funcs drm_phyr_gem_funcs;

/* Backing store for system memory: split high-order pages, freed one by one. */
static void drm_phyr_sys_free(struct phyr_list *l)
{
	struct phyr_cursor cur;
	struct phyr seg;

	phyr_cursor_init(l, &cur);
	phyr_for_each_entry(seg, &cur) {
		unsigned long pfn = PHYS_PFN(phyr_addr(&seg));
		unsigned long end = pfn + PHYS_PFN(phyr_len(&seg));

		for (; pfn < end; pfn++)
			__free_page(pfn_to_page(pfn));
	}
	phyr_list_free(l);
}

static int drm_phyr_sys_alloc(struct phyr_list *l, u64 size)
{
	unsigned int order = min_t(unsigned int, MAX_PAGE_ORDER,
				   ilog2(size >> PAGE_SHIFT));
	u64 left = size;
	int ret;

	phyr_list_init(l);
	while (left) {
		gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
		struct page *page;

		while ((PAGE_SIZE << order) > left)
			order--;
		if (order)
			gfp |= __GFP_NORETRY;
		page = alloc_pages(gfp, order);
		if (!page) {
			if (!order) {
				ret = -ENOMEM;
				goto err;
			}
			order--;
			continue;
		}
		split_page(page, order);
		ret = phyr_list_append(l, page_to_phys(page), PAGE_SIZE << order,
				       PHYR_IC_HOST, GFP_KERNEL);
		if (ret) {
			for (unsigned int i = 0; i < (1u << order); i++)
				__free_page(page + i);
			goto err;
		}
		left -= PAGE_SIZE << order;
		cond_resched();
	}
	return 0;

err:
	drm_phyr_sys_free(l);
	return ret;
}

/*
 * The CPU clears and copies at most this much between two chances to
 * reschedule: one entry can be gigabytes of VRAM.
 */
#define DRM_PHYR_CPU_STEP	SZ_16M

/* CPU mapping of one range: the direct map for RAM, as flagged for I/O. */
static void *drm_phyr_memremap(const struct phyr *seg)
{
	return memremap(phyr_addr(seg), phyr_len(seg),
			(phyr_flags(seg) & PHYR_F_WC) ? MEMREMAP_WC :
							MEMREMAP_WB);
}

/* Copy the contents described by @src into the memory described by @dst. */
static int drm_phyr_copy(const struct phyr_list *dst, const struct phyr_list *src)
{
	struct phyr_iter di, si;
	void *dv = NULL, *sv = NULL;
	u64 doff = 0, soff = 0;
	struct phyr d, s;
	int ret = 0;
	bool hd, hs;

	phyr_iter_init(dst, &di);
	phyr_iter_init(src, &si);
	hd = phyr_iter_next(&di, &d);
	hs = phyr_iter_next(&si, &s);
	while (hd && hs) {
		u64 n;

		if (!dv)
			dv = drm_phyr_memremap(&d);
		if (!sv)
			sv = drm_phyr_memremap(&s);
		if (!dv || !sv) {
			ret = -ENOMEM;
			break;
		}
		n = min3(phyr_len(&d) - doff, phyr_len(&s) - soff,
			 (u64)DRM_PHYR_CPU_STEP);
		memcpy(dv + doff, sv + soff, n);
		doff += n;
		soff += n;
		if (doff == phyr_len(&d)) {
			memunmap(dv);
			dv = NULL;
			doff = 0;
			hd = phyr_iter_next(&di, &d);
		}
		if (soff == phyr_len(&s)) {
			memunmap(sv);
			sv = NULL;
			soff = 0;
			hs = phyr_iter_next(&si, &s);
		}
		cond_resched();
	}
	if (dv)
		memunmap(dv);
	if (sv)
		memunmap(sv);
	return ret;
}

/* Clear new VRAM: a new object never shows what a freed one held. */
static int drm_phyr_clear(const struct phyr_list *l)
{
	struct phyr_iter it;
	struct phyr seg;

	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		void *v = drm_phyr_memremap(&seg);
		u64 off, n;

		if (!v)
			return -ENOMEM;
		for (off = 0; off < phyr_len(&seg); off += n) {
			n = min(phyr_len(&seg) - off, (u64)DRM_PHYR_CPU_STEP);
			memset(v + off, 0, n);
			cond_resched();
		}
		memunmap(v);
	}
	return 0;
}

static struct drm_phyr_backing *
drm_phyr_backing_create(struct drm_phyr_region *region, u64 size,
			enum drm_phyr_placement place)
{
	struct drm_phyr_backing *b;
	int ret;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	kref_init(&b->ref);
	b->place = place;
	if (place == DRM_PHYR_PLACE_VRAM) {
		ret = drm_phyr_region_alloc(region, size, &b->vram);
		if (!ret) {
			ret = drm_phyr_clear(&b->vram.list);
			if (ret)
				drm_phyr_region_free(&b->vram);
		}
	} else {
		ret = drm_phyr_sys_alloc(&b->sys, size);
	}
	if (ret) {
		kfree(b);
		return ERR_PTR(ret);
	}
	return b;
}

static void drm_phyr_backing_release(struct kref *ref)
{
	struct drm_phyr_backing *b = container_of(ref, typeof(*b), ref);

	if (b->place == DRM_PHYR_PLACE_VRAM)
		drm_phyr_region_free(&b->vram);
	else if (b->userptr)
		phyr_unpin_user(&b->user, true);
	else
		drm_phyr_sys_free(&b->sys);
	kfree(b);
}

struct drm_phyr_backing *drm_phyr_backing_get(struct drm_phyr_backing *b)
{
	kref_get(&b->ref);
	return b;
}

void drm_phyr_backing_put(struct drm_phyr_backing *b)
{
	if (b)
		kref_put(&b->ref, drm_phyr_backing_release);
}

/* A GEM object around a backing store; the reference to @b passes to it. */
static struct drm_phyr_gem_object *
drm_phyr_gem_wrap(struct drm_device *dev, struct drm_phyr_region *region,
		  size_t size, struct drm_phyr_backing *b)
{
	struct drm_phyr_gem_object *pobj;
	int ret;

	pobj = kzalloc(sizeof(*pobj), GFP_KERNEL);
	if (!pobj) {
		drm_phyr_backing_put(b);
		return ERR_PTR(-ENOMEM);
	}
	pobj->region = region;
	pobj->backing = b;
	pobj->userptr = b->userptr;
	pobj->base.funcs = &drm_phyr_gem_funcs;
	INIT_LIST_HEAD(&pobj->region_node);
	drm_gem_private_object_init(dev, &pobj->base, size);
	if (region) {
		mutex_lock(&region->lock);
		/* created while the device went away: born revoked */
		pobj->revoked = region->revoked;
		list_add_tail(&pobj->region_node, &region->objects);
		mutex_unlock(&region->lock);
	}
	ret = drm_gem_create_mmap_offset(&pobj->base);
	if (ret) {
		drm_gem_object_put(&pobj->base);
		return ERR_PTR(ret);
	}
	return pobj;
}

/**
 * drm_phyr_gem_create() - create a GEM object backed by a phyr list
 * @dev: the DRM device
 * @region: the device's VRAM region, or NULL if it has none
 * @size: size in bytes, a nonzero multiple of the page size
 * @place: initial placement
 *
 * VRAM is cleared, system memory is zeroed. The object has an mmap offset
 * and uses &drm_phyr_gem_dmabuf_ops when exported.
 *
 * Return: the object with one reference, or an ERR_PTR(): -EINVAL for a
 * bad size or placement, -ENODEV for VRAM without a region or in a region
 * revoked by drm_phyr_gem_revoke_region(), -E2BIG if @size exceeds the
 * region (or half of system RAM), -ENOSPC if the region is full, -ENOMEM.
 */
struct drm_phyr_gem_object *
drm_phyr_gem_create(struct drm_device *dev, struct drm_phyr_region *region,
		    size_t size, enum drm_phyr_placement place)
{
	struct drm_phyr_backing *b;

	if (!size || !PAGE_ALIGNED(size))
		return ERR_PTR(-EINVAL);
	switch (place) {
	case DRM_PHYR_PLACE_VRAM:
		if (!region || READ_ONCE(region->revoked))
			return ERR_PTR(-ENODEV);
		break;
	case DRM_PHYR_PLACE_SYSTEM:
		if (size >> PAGE_SHIFT > totalram_pages() / 2)
			return ERR_PTR(-E2BIG);
		break;
	default:
		return ERR_PTR(-EINVAL);
	}

	b = drm_phyr_backing_create(region, size, place);
	if (IS_ERR(b))
		return ERR_CAST(b);
	return drm_phyr_gem_wrap(dev, region, size, b);
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_create, DRM_PHYR);

/**
 * drm_phyr_gem_create_userptr() - wrap user memory in a phyr GEM object
 * @dev: the DRM device
 * @addr: start of the range in current's address space, page aligned
 * @size: size in bytes, a nonzero multiple of the page size
 *
 * The range is pinned with phyr_pin_user() for the object's lifetime
 * (long-term, writable, charged to RLIMIT_MEMLOCK) and the object's
 * backing store is the pinned list: one entry per physically contiguous
 * run, in system memory, never moved by drm_phyr_gem_evict(). The pages
 * are marked dirty when the object is freed, since devices may have
 * written them.
 *
 * Context: process context of the memory's owner.
 * Return: the object with one reference, or an ERR_PTR(): -EINVAL for a
 * bad address or size, -E2BIG beyond half of system RAM, -EFAULT for a
 * range that is not mapped writable, -ENOMEM (RLIMIT_MEMLOCK included).
 */
struct drm_phyr_gem_object *
drm_phyr_gem_create_userptr(struct drm_device *dev, unsigned long addr,
			    size_t size)
{
	struct drm_phyr_backing *b;
	unsigned long end;
	int ret;

	if (!size || !PAGE_ALIGNED(size) || !PAGE_ALIGNED(addr) ||
	    check_add_overflow(addr, size, &end))
		return ERR_PTR(-EINVAL);
	if (size >> PAGE_SHIFT > totalram_pages() / 2)
		return ERR_PTR(-E2BIG);

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	kref_init(&b->ref);
	b->place = DRM_PHYR_PLACE_SYSTEM;
	ret = phyr_pin_user(&b->user, addr, size,
			    PHYR_PIN_WRITE | PHYR_PIN_LONGTERM |
			    PHYR_PIN_ACCOUNT);
	if (ret) {
		kfree(b);
		return ERR_PTR(ret);
	}
	b->userptr = true;
	return drm_phyr_gem_wrap(dev, NULL, size, b);
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_create_userptr, DRM_PHYR);

/**
 * drm_phyr_gem_is_phyr() - test whether a GEM object is a phyr object
 * @obj: the object
 *
 * Return: true if @obj was created by drm_phyr_gem_create().
 */
bool drm_phyr_gem_is_phyr(const struct drm_gem_object *obj)
{
	return obj->funcs == &drm_phyr_gem_funcs;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_is_phyr, DRM_PHYR);

/**
 * drm_phyr_gem_list() - the phyr list of an object's backing store
 * @pobj: the object
 *
 * Context: the reservation lock of @pobj must be held; the list is only
 * valid while it is.
 * Return: the list, whose entries carry the region's flags (VRAM) or
 * %PHYR_IC_HOST (system memory).
 */
const struct phyr_list *drm_phyr_gem_list(struct drm_phyr_gem_object *pobj)
{
	dma_resv_assert_held(pobj->base.resv);
	return drm_phyr_backing_list(pobj->backing);
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_list, DRM_PHYR);

/**
 * drm_phyr_gem_placement() - where an object's backing store is
 * @pobj: the object
 *
 * Context: the reservation lock of @pobj must be held.
 * Return: the placement.
 */
enum drm_phyr_placement drm_phyr_gem_placement(struct drm_phyr_gem_object *pobj)
{
	dma_resv_assert_held(pobj->base.resv);
	return pobj->backing->place;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_placement, DRM_PHYR);

/**
 * drm_phyr_gem_evict() - move an object from VRAM to system memory
 * @pobj: the object
 *
 * In the order that loses no write: waits for the fences of the
 * reservation object, allocates the system memory, then invalidates every
 * user of the old place (dynamic importers through move_notify, which
 * may finish their in-flight accesses before they return; CPU mappings
 * are zapped, and faulting them in again waits for the reservation lock
 * held here), copies the contents and only then publishes the new
 * backing store. The VRAM is freed once the last mapping of it is gone
 * (importers unmap on move_notify or on their next map). An object in
 * system memory is left alone.
 *
 * Context: the reservation lock of @pobj must be held.
 * Return: 0, -EBUSY if the object is pinned or vmapped, -ENODEV if it was
 * revoked, -ENOMEM, or -ERESTARTSYS if interrupted. On error the object
 * stays where it was; importers told to move map it there again.
 */
int drm_phyr_gem_evict(struct drm_phyr_gem_object *pobj)
{
	struct drm_gem_object *obj = &pobj->base;
	struct drm_phyr_backing *old = pobj->backing, *b;
	long lret;
	int ret;

	dma_resv_assert_held(obj->resv);
	if (pobj->revoked)
		return -ENODEV;
	if (old->place == DRM_PHYR_PLACE_SYSTEM)
		return 0;
	if (pobj->pin_count)
		return -EBUSY;

	lret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_BOOKKEEP, true,
				     MAX_SCHEDULE_TIMEOUT);
	if (lret < 0)
		return lret;

	b = drm_phyr_backing_create(NULL, obj->size, DRM_PHYR_PLACE_SYSTEM);
	if (IS_ERR(b))
		return PTR_ERR(b);

	/* nobody writes the old place from here on */
	if (pobj->dmabuf)
		dma_buf_move_notify(pobj->dmabuf);
	drm_vma_node_unmap(&obj->vma_node, obj->dev->anon_inode->i_mapping);

	ret = drm_phyr_copy(&b->sys, drm_phyr_backing_list(old));
	if (ret) {
		drm_phyr_backing_put(b);
		return ret;
	}

	pobj->backing = b;
	pobj->generation++;
	drm_phyr_backing_put(old);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_evict, DRM_PHYR);

/* Withdraw the object from everyone: importers, CPU mappings, new maps. */
static void drm_phyr_gem_revoke(struct drm_phyr_gem_object *pobj)
{
	struct drm_gem_object *obj = &pobj->base;

	dma_resv_assert_held(obj->resv);
	if (pobj->revoked)
		return;
	pobj->revoked = true;
	if (pobj->dmabuf)
		dma_buf_move_notify(pobj->dmabuf);
	drm_vma_node_unmap(&obj->vma_node, obj->dev->anon_inode->i_mapping);
}

/**
 * drm_phyr_gem_revoke_region() - revoke every object that may use a region
 * @r: the region of a device that is going away
 *
 * For a driver's remove path, after drm_dev_unplug(): every object created
 * with @r (in VRAM, evicted from it, or in system memory from the start;
 * userptr objects have no region) is revoked under its reservation lock.
 * Dynamic importers are told through move_notify and their next map
 * fails with -ENODEV, as do pins, kernel mappings and evictions; CPU
 * mappings are zapped and fault with SIGBUS from then on; creating a VRAM
 * object in @r fails with -ENODEV. Importers that pinned the object keep
 * their mapping until they unmap it. The memory itself stays allocated
 * until the last object and mapping is gone, so the caller must keep the
 * region's memory (the BAR) reserved until drm_phyr_region_fini().
 *
 * Context: process context; takes the region lock and the reservation
 * lock of each object, never both at once.
 */
void drm_phyr_gem_revoke_region(struct drm_phyr_region *r)
{
	struct drm_phyr_gem_object *pobj;
	LIST_HEAD(todo);

	mutex_lock(&r->lock);
	r->revoked = true;
	list_splice_init(&r->objects, &todo);
	while ((pobj = list_first_entry_or_null(&todo, typeof(*pobj),
						region_node))) {
		list_move_tail(&pobj->region_node, &r->objects);
		/* an object on its way out is freed, not revoked */
		if (!kref_get_unless_zero(&pobj->base.refcount))
			continue;
		mutex_unlock(&r->lock);
		dma_resv_lock(pobj->base.resv, NULL);
		drm_phyr_gem_revoke(pobj);
		dma_resv_unlock(pobj->base.resv);
		drm_gem_object_put(&pobj->base);
		mutex_lock(&r->lock);
	}
	mutex_unlock(&r->lock);
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_revoke_region, DRM_PHYR);

/*
 * Make the object reachable for @attach: memory in VRAM that the importer
 * cannot reach by peer-to-peer or by a link moves to system memory. A
 * revoked object is reachable by nobody (-ENODEV).
 */
int drm_phyr_gem_reach(struct drm_phyr_gem_object *pobj,
		       struct dma_buf_attachment *attach)
{
	u64 link_base;

	if (pobj->revoked)
		return -ENODEV;
	if (pobj->backing->place != DRM_PHYR_PLACE_VRAM || attach->peer2peer ||
	    drm_phyr_region_linked_to(pobj->region, attach->dev, &link_base))
		return 0;
	return pobj->pin_count ? -EOPNOTSUPP : drm_phyr_gem_evict(pobj);
}

/*
 * Map the current backing store for @attach->dev: link addresses for a
 * linked device, phyr_dma_map() otherwise. Takes a reference on the
 * backing store, returned in @bp, that keeps it alive until unmapped.
 */
int drm_phyr_gem_map(struct drm_phyr_gem_object *pobj,
		     struct dma_buf_attachment *attach,
		     enum dma_data_direction dir, struct dma_range_table *t,
		     struct drm_phyr_backing **bp)
{
	struct drm_phyr_backing *b;
	const struct phyr_list *l;
	u64 link_base;
	int ret;

	dma_resv_assert_held(pobj->base.resv);
	ret = drm_phyr_gem_reach(pobj, attach);
	if (ret)
		return ret;

	b = pobj->backing;
	l = drm_phyr_backing_list(b);
	if (b->place == DRM_PHYR_PLACE_VRAM &&
	    drm_phyr_region_linked_to(pobj->region, attach->dev, &link_base))
		ret = phyr_dma_map_link(attach->dev, l, 0, pobj->base.size,
					pobj->region->base, link_base, t);
	else
		/*
		 * As dma-buf exporters do: importers sync through
		 * begin/end_cpu_access or phyr_dma_sync_*(), and several
		 * attachments of one device may map the same memory.
		 */
		ret = phyr_dma_map(attach->dev, l, 0, pobj->base.size, dir,
				   DMA_ATTR_SKIP_CPU_SYNC, t);
	if (ret)
		return ret;
	*bp = drm_phyr_backing_get(b);
	return 0;
}

static void drm_phyr_gem_free(struct drm_gem_object *obj)
{
	struct drm_phyr_gem_object *pobj = to_drm_phyr_gem(obj);

	WARN_ON(pobj->pin_count || pobj->vmap_count);
	if (pobj->region) {
		mutex_lock(&pobj->region->lock);
		list_del(&pobj->region_node);
		mutex_unlock(&pobj->region->lock);
	}
	drm_phyr_backing_put(pobj->backing);
	drm_gem_free_mmap_offset(obj);
	drm_gem_object_release(obj);
	kfree(pobj);
}

static vm_fault_t drm_phyr_gem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct drm_gem_object *obj = vma->vm_private_data;
	struct drm_phyr_gem_object *pobj = to_drm_phyr_gem(obj);
	u64 offset = (u64)(vmf->pgoff - drm_vma_node_start(&obj->vma_node)) <<
		     PAGE_SHIFT;
	struct phyr_iter it;
	pgprot_t prot;
	vm_fault_t ret;
	struct phyr seg;

	if (offset >= obj->size)
		return VM_FAULT_SIGBUS;

	dma_resv_lock(obj->resv, NULL);
	if (pobj->revoked ||
	    phyr_iter_init_slice(drm_phyr_backing_list(pobj->backing), offset,
				 PAGE_SIZE, &it) || !phyr_iter_next(&it, &seg)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	prot = vm_get_page_prot(vma->vm_flags);
	if (phyr_flags(&seg) & PHYR_F_WC)
		prot = pgprot_writecombine(prot);
	ret = vmf_insert_pfn_prot(vma, vmf->address, PHYS_PFN(phyr_addr(&seg)),
				  prot);
out:
	dma_resv_unlock(obj->resv);
	return ret;
}

static const struct vm_operations_struct drm_phyr_gem_vm_ops = {
	.fault = drm_phyr_gem_fault,
	.open = drm_gem_vm_open,
	.close = drm_gem_vm_close,
};

static int drm_phyr_gem_mmap(struct drm_gem_object *obj,
			     struct vm_area_struct *vma)
{
	/* PFN mappings cannot be copied on write */
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	return 0;
}

/*
 * A kernel mapping of the backing store: vmap() of the struct pages for
 * memory that has them (system memory, p2pmem), vmap_pfn() of the PFNs,
 * write-combined, for memory that has none (a BAR). vmap_pfn() refuses
 * PFNs with struct pages, so the two kinds cannot be mixed in one object.
 */
static void *drm_phyr_gem_vmap_list(const struct phyr_list *l, size_t npages,
				    bool io)
{
	unsigned long *pfns, n = 0;
	struct page **pages;
	struct phyr_iter it;
	struct phyr seg;
	void *vaddr;

	pfns = kvmalloc_array(npages, max(sizeof(*pfns), sizeof(*pages)),
			      GFP_KERNEL);
	if (!pfns)
		return NULL;
	pages = (struct page **)pfns;
	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		unsigned long pfn = PHYS_PFN(phyr_addr(&seg));
		unsigned long end = pfn + PHYS_PFN(phyr_len(&seg));

		for (; pfn < end && n < npages; pfn++, n++) {
			if (pfn_valid(pfn) == io) {
				kvfree(pfns);
				return NULL;
			}
			if (io)
				pfns[n] = pfn;
			else
				pages[n] = pfn_to_page(pfn);
		}
	}
	if (io)
		vaddr = vmap_pfn(pfns, n, pgprot_writecombine(PAGE_KERNEL));
	else
		vaddr = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	kvfree(pfns);
	return vaddr;
}

static int drm_phyr_gem_vmap(struct drm_gem_object *obj, struct iosys_map *map)
{
	struct drm_phyr_gem_object *pobj = to_drm_phyr_gem(obj);
	const struct phyr_list *l = drm_phyr_backing_list(pobj->backing);
	struct phyr_iter it;
	bool io;

	dma_resv_assert_held(obj->resv);
	if (pobj->revoked)
		return -ENODEV;
	phyr_iter_init(l, &it);
	io = !pfn_valid(PHYS_PFN(phyr_iter_cur(&it).addr));
	if (!pobj->vmap_count) {
		pobj->vaddr = drm_phyr_gem_vmap_list(l, obj->size >> PAGE_SHIFT,
						     io);
		if (!pobj->vaddr)
			return -ENOMEM;
		pobj->vmap_io = io;
	}
	pobj->vmap_count++;
	pobj->pin_count++;
	if (pobj->vmap_io)
		iosys_map_set_vaddr_iomem(map, (void __iomem *)pobj->vaddr);
	else
		iosys_map_set_vaddr(map, pobj->vaddr);
	return 0;
}

static void drm_phyr_gem_vunmap(struct drm_gem_object *obj,
				struct iosys_map *map)
{
	struct drm_phyr_gem_object *pobj = to_drm_phyr_gem(obj);

	dma_resv_assert_held(obj->resv);
	if (WARN_ON(!pobj->vmap_count))
		return;
	pobj->pin_count--;
	if (!--pobj->vmap_count) {
		vunmap(pobj->vaddr);
		pobj->vaddr = NULL;
	}
}

static const struct drm_gem_object_funcs drm_phyr_gem_funcs = {
	.free = drm_phyr_gem_free,
	.export = drm_phyr_gem_prime_export,
	.vmap = drm_phyr_gem_vmap,
	.vunmap = drm_phyr_gem_vunmap,
	.mmap = drm_phyr_gem_mmap,
	.vm_ops = &drm_phyr_gem_vm_ops,
};
