// SPDX-License-Identifier: GPL-2.0-only
/*
 * vphyr objects: creation, mapping, range readback, eviction, import.
 */

#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>
#include <drm/vphyr_drm.h>

#include "vphyr_drv.h"

/* The range flags of the uAPI are the kernel's entry flags, bit for bit. */
static_assert(VPHYR_RANGE_IC_MASK == PHYR_IC_MASK);
static_assert(VPHYR_RANGE_IC_HOST == PHYR_IC_HOST);
static_assert(VPHYR_RANGE_IC_DEVICE == PHYR_IC_DEVICE);
static_assert(VPHYR_RANGE_IC_P2P == PHYR_IC_P2P);
static_assert(VPHYR_RANGE_IC_LINK == PHYR_IC_LINK);
static_assert(VPHYR_RANGE_MMIO == PHYR_F_MMIO);
static_assert(VPHYR_RANGE_PINNED == PHYR_F_PINNED);
static_assert(VPHYR_RANGE_VIA_MASK == DMA_RANGE_VIA_MASK);
static_assert(VPHYR_RANGE_VIA_DIRECT == DMA_RANGE_VIA_DIRECT);
static_assert(VPHYR_RANGE_VIA_PAGE == DMA_RANGE_VIA_PAGE);
static_assert(VPHYR_RANGE_VIA_BUS == DMA_RANGE_VIA_BUS);
static_assert(VPHYR_RANGE_VIA_HOST_BRIDGE == DMA_RANGE_VIA_HOST_BRIDGE);
static_assert(VPHYR_RANGE_VIA_IOMMU == DMA_RANGE_VIA_IOMMU);
static_assert(VPHYR_RANGE_VIA_LINK == DMA_RANGE_VIA_LINK);
static_assert(VPHYR_RANGE_VIA_SG == DMA_RANGE_VIA_SG);
/* what each kind of table reports fits in the bits the uAPI defines */
static_assert(((PHYR_F_VALID_MASK & ~PHYR_F_WC) &
	       ~(VPHYR_RANGE_IC_MASK | VPHYR_RANGE_MMIO |
		 VPHYR_RANGE_PINNED)) == 0);
static_assert(((DMA_RANGE_SRC_MASK | DMA_RANGE_VIA_MASK) &
	       ~(VPHYR_RANGE_IC_MASK | VPHYR_RANGE_MMIO | VPHYR_RANGE_PINNED |
		 VPHYR_RANGE_VIA_MASK)) == 0);

/* Dumb buffer rows start on this boundary, as display engines want. */
#define VPHYR_DUMB_PITCH_ALIGN	64

static const struct drm_gem_object_funcs vphyr_import_funcs;

/**
 * vphyr_to_import() - the import behind a GEM object
 * @obj: a GEM object of a vphyr device
 *
 * Return: the &struct vphyr_import, or NULL if @obj was not imported.
 */
struct vphyr_import *vphyr_to_import(struct drm_gem_object *obj)
{
	if (obj->funcs != &vphyr_import_funcs)
		return NULL;
	return container_of(obj, struct vphyr_import, base);
}

int vphyr_ioctl_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct vphyr_device *v = to_vphyr(drm);
	struct drm_vphyr_info *args = data;
	struct iommu_domain *dom = iommu_get_domain_for_dev(drm->dev);

	*args = (struct drm_vphyr_info){
		.instance = v->instance,
		.link_peer = ~0u,
	};
	if (v->has_vram) {
		args->flags |= VPHYR_INFO_VRAM;
		args->vram_size = v->region.size;
		if (capable(CAP_SYS_ADMIN))
			args->vram_base = v->region.base;
	}
	if (dom && (dom->type & __IOMMU_DOMAIN_PAGING))
		args->flags |= VPHYR_INFO_IOMMU;
	mutex_lock(&vphyr_lock);
	if (v->link_peer)
		args->link_peer = v->link_peer->instance;
	mutex_unlock(&vphyr_lock);
	return 0;
}

int vphyr_ioctl_gem_create(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct vphyr_device *v = to_vphyr(drm);
	struct drm_vphyr_gem_create *args = data;
	enum drm_phyr_placement place;
	struct drm_phyr_gem_object *pobj;
	int ret;

	if (args->flags == VPHYR_GEM_VRAM)
		place = DRM_PHYR_PLACE_VRAM;
	else if (args->flags == VPHYR_GEM_SYSTEM)
		place = DRM_PHYR_PLACE_SYSTEM;
	else
		return -EINVAL;
	if (!args->size || !PAGE_ALIGNED(args->size) || args->size > SIZE_MAX)
		return -EINVAL;

	pobj = drm_phyr_gem_create(drm, v->has_vram ? &v->region : NULL,
				   args->size, place);
	if (IS_ERR(pobj))
		return PTR_ERR(pobj);
	ret = drm_gem_handle_create(file, &pobj->base, &args->handle);
	drm_gem_object_put(&pobj->base);
	return ret;
}

/**
 * vphyr_gem_dumb_create() - create a dumb buffer
 * @file: the DRM file that gets the handle
 * @drm: the instance
 * @args: width, height and bpp in (the DRM core checked them for zero and
 *	for a 32-bit overflow of bpp * width * height); handle, pitch and
 *	size out
 *
 * A linear buffer, its rows 64-byte aligned, in VRAM when the instance has
 * some and in system memory otherwise: a buffer Mesa's software GBM
 * allocates on the card node is VRAM the other instances can import.
 *
 * Context: process context, between drm_dev_enter() and drm_dev_exit().
 * Return: 0, -EINVAL for nonzero flags or a pitch or size that overflows,
 * -E2BIG for more than the VRAM (or half of system RAM), -ENOMEM when the
 * VRAM has no room left or memory runs out.
 */
int vphyr_gem_dumb_create(struct drm_file *file, struct drm_device *drm,
			  struct drm_mode_create_dumb *args)
{
	struct vphyr_device *v = to_vphyr(drm);
	struct drm_phyr_gem_object *pobj;
	u64 pitch, size;
	int ret;

	if (args->flags)
		return -EINVAL;
	pitch = ALIGN((u64)DIV_ROUND_UP(args->bpp, 8) * args->width,
		      VPHYR_DUMB_PITCH_ALIGN);
	if (!pitch || pitch > U32_MAX ||
	    check_mul_overflow(pitch, (u64)args->height, &size) ||
	    size > SIZE_MAX - PAGE_SIZE)
		return -EINVAL;
	size = PAGE_ALIGN(size);

	pobj = drm_phyr_gem_create(drm, v->has_vram ? &v->region : NULL, size,
				   v->has_vram ? DRM_PHYR_PLACE_VRAM :
				   DRM_PHYR_PLACE_SYSTEM);
	if (IS_ERR(pobj)) {
		ret = PTR_ERR(pobj);
		/* a full VRAM is out of memory to a dumb buffer's user */
		return ret == -ENOSPC ? -ENOMEM : ret;
	}
	ret = drm_gem_handle_create(file, &pobj->base, &args->handle);
	drm_gem_object_put(&pobj->base);
	if (ret)
		return ret;
	args->pitch = pitch;
	args->size = size;
	return 0;
}

int vphyr_ioctl_gem_userptr(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct drm_vphyr_gem_userptr *args = data;
	struct drm_phyr_gem_object *pobj;
	int ret;

	if (args->flags || !args->size || args->size > SIZE_MAX ||
	    args->addr > ULONG_MAX)
		return -EINVAL;
	pobj = drm_phyr_gem_create_userptr(drm, args->addr, args->size);
	if (IS_ERR(pobj))
		return PTR_ERR(pobj);
	ret = drm_gem_handle_create(file, &pobj->base, &args->handle);
	drm_gem_object_put(&pobj->base);
	return ret;
}

int vphyr_ioctl_gem_mmap(struct drm_device *drm, void *data,
			 struct drm_file *file)
{
	struct drm_vphyr_gem_mmap *args = data;
	struct drm_gem_object *obj;
	int ret = 0;

	if (args->pad)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (drm_phyr_gem_is_phyr(obj) && obj->dev == drm)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	else
		ret = -EINVAL;
	drm_gem_object_put(obj);
	return ret;
}

/*
 * Copy up to @max entries of @it into @out, with the flags in @mask (the
 * bits the uAPI defines); returns the entry count.
 */
static u32 vphyr_fill_ranges(struct phyr_iter *it, struct drm_vphyr_range *out,
			     u32 max, bool hide, u32 mask, u64 *total)
{
	struct phyr seg;
	u32 n = 0;

	*total = 0;
	phyr_for_each(seg, it) {
		if (n < max)
			out[n] = (struct drm_vphyr_range){
				.addr = hide ? 0 : phyr_addr(&seg),
				.len = phyr_len(&seg),
				.flags = phyr_flags(&seg) & mask,
			};
		n++;
		*total += phyr_len(&seg);
	}
	return n;
}

int vphyr_ioctl_gem_ranges(struct drm_device *drm, void *data,
			   struct drm_file *file)
{
	struct drm_vphyr_gem_ranges *args = data;
	struct drm_vphyr_range *out = NULL;
	bool hide = !capable(CAP_SYS_ADMIN);
	struct drm_gem_object *obj;
	struct vphyr_import *imp;
	struct dma_range_iter dit;
	struct phyr_iter it;
	u32 n, max;
	int ret = 0;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	/* never more than the object can have: one entry per page */
	max = min_t(u64, args->count, obj->size >> PAGE_SHIFT);
	if (max) {
		out = kvmalloc_array(max, sizeof(*out), GFP_KERNEL | __GFP_ZERO);
		if (!out) {
			ret = -ENOMEM;
			goto out_put;
		}
	}

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out_free;
	imp = vphyr_to_import(obj);
	if (imp) {
		ret = drm_phyr_attachment_map(&imp->pa, DMA_BIDIRECTIONAL);
		if (!ret) {
			dma_range_iter_init(&imp->pa.table, &dit);
			/* without an IOMMU DMA addresses are physical ones */
			n = vphyr_fill_ranges(&dit.it, out, max, hide,
					      DMA_RANGE_SRC_MASK |
					      DMA_RANGE_VIA_MASK,
					      &args->total_len);
			args->kind = VPHYR_RANGES_DMA;
			args->placement = VPHYR_PLACE_IMPORTED;
			args->generation = imp->generation;
		}
	} else if (drm_phyr_gem_is_phyr(obj)) {
		struct drm_phyr_gem_object *pobj = to_drm_phyr_gem(obj);

		phyr_iter_init(drm_phyr_gem_list(pobj), &it);
		/* how the CPU maps the memory is not part of the uAPI */
		n = vphyr_fill_ranges(&it, out, max, hide,
				      PHYR_F_VALID_MASK & ~PHYR_F_WC,
				      &args->total_len);
		args->kind = VPHYR_RANGES_PHYS;
		if (pobj->userptr)
			args->placement = VPHYR_PLACE_USERPTR;
		else if (drm_phyr_gem_placement(pobj) == DRM_PHYR_PLACE_VRAM)
			args->placement = VPHYR_PLACE_VRAM;
		else
			args->placement = VPHYR_PLACE_SYSTEM;
		args->generation = pobj->generation;
	} else {
		ret = -EINVAL;
	}
	dma_resv_unlock(obj->resv);
	if (ret)
		goto out_free;

	if (max && copy_to_user(u64_to_user_ptr(args->ranges_ptr), out,
				array_size(min(n, max), sizeof(*out))))
		ret = -EFAULT;
	args->count = n;
out_free:
	kvfree(out);
out_put:
	drm_gem_object_put(obj);
	return ret;
}

int vphyr_ioctl_gem_evict(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	struct drm_vphyr_gem_evict *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->flags)
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (!drm_phyr_gem_is_phyr(obj) || obj->dev != drm) {
		ret = -EINVAL;
		goto out;
	}
	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		goto out;
	ret = drm_phyr_gem_evict(to_drm_phyr_gem(obj));
	dma_resv_unlock(obj->resv);
out:
	drm_gem_object_put(obj);
	return ret;
}

int vphyr_ioctl_link(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct vphyr_device *v = to_vphyr(drm), *peer;
	struct drm_vphyr_link *args = data;
	struct file *f;
	int ret = 0;

	if (args->flags & ~VPHYR_LINK_REMOVE)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	f = fget(args->peer_fd);
	if (!f)
		return -EBADF;
	peer = vphyr_from_file(f);
	if (!peer || peer == v) {
		ret = -EINVAL;
		goto out;
	}
	if (!v->has_vram || !peer->has_vram) {
		ret = -ENODEV;
		goto out;
	}

	mutex_lock(&vphyr_lock);
	if (list_empty(&peer->node)) {
		/* a file of an instance that was unbound or removed */
		ret = -ENODEV;
	} else if (args->flags & VPHYR_LINK_REMOVE) {
		if (v->link_peer != peer) {
			ret = -ENOENT;
		} else {
			drm_phyr_region_unlink(&v->region);
			drm_phyr_region_unlink(&peer->region);
			v->link_peer = NULL;
			peer->link_peer = NULL;
		}
	} else if (v->link_peer || peer->link_peer) {
		ret = -EBUSY;
	} else {
		ret = drm_phyr_region_link(&v->region, peer->drm.dev,
					   vphyr_link_base(v));
		if (!ret) {
			ret = drm_phyr_region_link(&peer->region, v->drm.dev,
						   vphyr_link_base(peer));
			if (ret)
				drm_phyr_region_unlink(&v->region);
		}
		if (!ret) {
			v->link_peer = peer;
			peer->link_peer = v;
		}
	}
	mutex_unlock(&vphyr_lock);
out:
	fput(f);
	return ret;
}

static void vphyr_move_notify(struct dma_buf_attachment *attach)
{
	struct vphyr_import *imp = attach->importer_priv;

	/* stop using the old addresses now; map again on next use */
	drm_phyr_attachment_unmap(&imp->pa);
	imp->generation++;
}

static const struct dma_buf_attach_ops vphyr_importer_ops = {
	.allow_peer2peer = true,
	.move_notify = vphyr_move_notify,
};

static void vphyr_import_free(struct drm_gem_object *obj)
{
	struct vphyr_import *imp = vphyr_to_import(obj);
	struct vphyr_device *v = to_vphyr(obj->dev);

	mutex_lock(&v->imports_lock);
	list_del(&imp->node);
	mutex_unlock(&v->imports_lock);

	if (imp->detached) {
		dma_buf_put(imp->dmabuf);
	} else {
		dma_resv_lock(obj->resv, NULL);
		drm_phyr_attachment_unmap(&imp->pa);
		dma_resv_unlock(obj->resv);
		drm_prime_gem_destroy(obj, NULL);
	}
	drm_gem_object_release(obj);
	kfree(imp);
}

static const struct drm_gem_object_funcs vphyr_import_funcs = {
	.free = vphyr_import_free,
};

/**
 * vphyr_gem_prime_import() - import a dma-buf through the phyr importer
 * @drm: the importing instance
 * @dmabuf: the buffer
 *
 * Attaches dynamically (peer-to-peer allowed, move_notify handled) and
 * maps once, so that an importer that cannot reach the memory fails here.
 *
 * Return: the GEM object or an ERR_PTR(): -ENODEV once the instance was
 * removed.
 */
struct drm_gem_object *vphyr_gem_prime_import(struct drm_device *drm,
					      struct dma_buf *dmabuf)
{
	struct vphyr_device *v = to_vphyr(drm);
	struct dma_buf_attachment *attach;
	struct vphyr_import *imp;
	int ret;

	if (dmabuf->ops == &drm_phyr_gem_dmabuf_ops) {
		struct drm_gem_object *obj = dmabuf->priv;

		if (obj->dev == drm) {
			drm_gem_object_get(obj);
			return obj;
		}
	}

	imp = kzalloc(sizeof(*imp), GFP_KERNEL);
	if (!imp)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&imp->node);
	imp->base.funcs = &vphyr_import_funcs;
	drm_gem_private_object_init(drm, &imp->base, dmabuf->size);

	attach = dma_buf_dynamic_attach(dmabuf, drm->dev, &vphyr_importer_ops,
					imp);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto err_free;
	}
	drm_phyr_attachment_init(&imp->pa, attach);
	get_dma_buf(dmabuf);
	imp->dmabuf = dmabuf;
	imp->base.import_attach = attach;
	imp->base.resv = dmabuf->resv;

	/* listed and mapped at once: the remove path unmaps every import */
	mutex_lock(&v->imports_lock);
	ret = -ENODEV;
	if (!v->imports_revoked) {
		list_add_tail(&imp->node, &v->imports);
		dma_resv_lock(dmabuf->resv, NULL);
		ret = drm_phyr_attachment_map(&imp->pa, DMA_BIDIRECTIONAL);
		dma_resv_unlock(dmabuf->resv);
	}
	mutex_unlock(&v->imports_lock);
	if (ret) {
		drm_gem_object_put(&imp->base);
		return ERR_PTR(ret);
	}
	return &imp->base;

err_free:
	drm_gem_object_release(&imp->base);
	kfree(imp);
	return ERR_PTR(ret);
}

/**
 * vphyr_gem_revoke_imports() - stop using every import of an instance
 * @v: the instance, unplugged (no ioctl runs or starts)
 *
 * Unmaps the DMA range table of every dma-buf imported into @v and
 * detaches from the buffer, so that no mapping for the device outlives its
 * removal (an exporter that caches its scatterlist, as the DRM PRIME
 * helpers do, unmaps it only at detach), and refuses imports from then on.
 * The GEM objects stay, holding a reference on their dma-bufs, until their
 * handles and files are closed.
 */
void vphyr_gem_revoke_imports(struct vphyr_device *v)
{
	struct dma_buf_attachment *attach;
	struct vphyr_import *imp;

	mutex_lock(&v->imports_lock);
	v->imports_revoked = true;
	list_for_each_entry(imp, &v->imports, node) {
		attach = imp->pa.attach;
		dma_resv_lock(imp->dmabuf->resv, NULL);
		drm_phyr_attachment_unmap(&imp->pa);
		dma_resv_unlock(imp->dmabuf->resv);
		dma_buf_detach(imp->dmabuf, attach);
		imp->base.import_attach = NULL;
		imp->pa.attach = NULL;
		imp->detached = true;
	}
	mutex_unlock(&v->imports_lock);
}
