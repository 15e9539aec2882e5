// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr: buffer objects with a handle table. See libphyr.h.
 *
 * A struct vphyr_bo stands for one GEM handle of one device. The device
 * keeps its objects in a table keyed by handle, so that whatever gives
 * the same handle (a second PRIME import of a dma-buf, the import of a
 * dma-buf exported by the same device) gives the same object, one
 * reference more. The handle is closed when the last reference goes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vphyr_drm.h"
#include "libphyr.h"
#include "libphyr_priv.h"
#include "libphyr_uapi.h"

/*
 * struct vphyr_bo - one GEM handle of one device
 * @dev: the device
 * @handle: the GEM handle
 * @size: bytes
 * @placement: where it was made: VRAM, system, imported or userptr
 * @refs: references; the handle is closed when the last one goes
 * @map: the CPU mapping of the whole object, NULL until vphyr_bo_map()
 * @next: the next object of the same bucket of @dev->bos
 */
struct vphyr_bo {
	struct vphyr_dev *dev;
	uint32_t handle;
	uint64_t size;
	enum vphyr_placement placement;
	unsigned int refs;
	void *map;
	struct vphyr_bo *next;
};

static struct vphyr_bo **bucket(struct vphyr_dev *dev, uint32_t handle)
{
	return &dev->bos[handle % VPHYR_BO_BUCKETS];
}

static struct vphyr_bo *table_find(struct vphyr_dev *dev, uint32_t handle)
{
	struct vphyr_bo *bo;

	for (bo = *bucket(dev, handle); bo; bo = bo->next)
		if (bo->handle == handle)
			return bo;
	return NULL;
}

static void table_remove(struct vphyr_bo *bo)
{
	struct vphyr_bo **p = bucket(bo->dev, bo->handle);

	while (*p != bo)
		p = &(*p)->next;
	*p = bo->next;
}

/*
 * Give the object of @handle, a handle the kernel has just returned: the
 * one in the table with a reference more, or a new one. On failure the
 * handle is closed unless an object holds it.
 */
static int table_get(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
		     enum vphyr_placement placement, struct vphyr_bo **bop)
{
	struct vphyr_bo *bo = table_find(dev, handle);

	if (bo) {
		bo->refs++;
		*bop = bo;
		return 0;
	}
	bo = calloc(1, sizeof(*bo));
	if (!bo) {
		vphyr_uapi_gem_close(dev->fd, handle);
		return vphyr_fail(-ENOMEM, "object of handle %u on %s",
				  handle, vphyr_dev_name(dev));
	}
	bo->dev = dev;
	bo->handle = handle;
	bo->size = size;
	bo->placement = placement;
	bo->refs = 1;
	bo->next = *bucket(dev, handle);
	*bucket(dev, handle) = bo;
	*bop = bo;
	return 0;
}

void vphyr_bo_table_free(struct vphyr_dev *dev)
{
	struct vphyr_bo *bo, *next;
	unsigned int i;

	for (i = 0; i < VPHYR_BO_BUCKETS; i++) {
		for (bo = dev->bos[i]; bo; bo = next) {
			next = bo->next;
			if (bo->map)
				munmap(bo->map, bo->size);
			free(bo);
		}
		dev->bos[i] = NULL;
	}
}

int vphyr_bo_create(struct vphyr_dev *dev, uint64_t size,
		    enum vphyr_region region, struct vphyr_bo **bop)
{
	uint32_t handle;
	int ret;

	*bop = NULL;
	ret = vphyr_gem_create(dev, size, region, &handle);
	if (ret)
		return ret;
	return table_get(dev, handle, size,
			 region == VPHYR_REGION_VRAM ? VPHYR_PLACEMENT_VRAM :
						       VPHYR_PLACEMENT_SYSTEM,
			 bop);
}

int vphyr_bo_userptr(struct vphyr_dev *dev, void *addr, uint64_t size,
		     struct vphyr_bo **bop)
{
	uint32_t handle;
	int ret;

	*bop = NULL;
	ret = vphyr_gem_userptr(dev, addr, size, &handle);
	if (ret)
		return ret;
	return table_get(dev, handle, size, VPHYR_PLACEMENT_USERPTR, bop);
}

int vphyr_bo_import(struct vphyr_dev *dev, int dmabuf_fd,
		    struct vphyr_bo **bop)
{
	uint32_t handle;
	off_t size;
	int ret;

	*bop = NULL;
	size = lseek(dmabuf_fd, 0, SEEK_END);
	if (size < 0)
		return vphyr_fail(errno ? -errno : -EIO,
				  "size of dma-buf fd %d", dmabuf_fd);
	ret = vphyr_gem_import(dev, dmabuf_fd, &handle);
	if (ret)
		return ret;
	/* a dma-buf of this device gives the handle of its own object */
	return table_get(dev, handle, size, VPHYR_PLACEMENT_IMPORTED, bop);
}

struct vphyr_bo *vphyr_bo_ref(struct vphyr_bo *bo)
{
	if (bo)
		bo->refs++;
	return bo;
}

int vphyr_bo_unref(struct vphyr_bo *bo)
{
	struct vphyr_dev *dev;
	uint32_t handle;

	if (!bo || --bo->refs)
		return 0;
	dev = bo->dev;
	handle = bo->handle;
	table_remove(bo);
	if (bo->map)
		munmap(bo->map, bo->size);
	free(bo);
	return vphyr_gem_close(dev, handle);
}

uint32_t vphyr_bo_handle(const struct vphyr_bo *bo)
{
	return bo->handle;
}

uint64_t vphyr_bo_size(const struct vphyr_bo *bo)
{
	return bo->size;
}

struct vphyr_dev *vphyr_bo_dev(const struct vphyr_bo *bo)
{
	return bo->dev;
}

enum vphyr_placement vphyr_bo_placement(const struct vphyr_bo *bo)
{
	struct drm_vphyr_gem_ranges q = { .handle = bo->handle };

	/* only an own object moves; count 0 asks for the header only */
	if (bo->placement == VPHYR_PLACEMENT_IMPORTED ||
	    bo->placement == VPHYR_PLACEMENT_USERPTR)
		return bo->placement;
	if (vphyr_uapi_gem_ranges(bo->dev->fd, &q))
		return VPHYR_PLACEMENT_UNKNOWN;
	if (q.placement == VPHYR_PLACE_VRAM)
		return VPHYR_PLACEMENT_VRAM;
	if (q.placement == VPHYR_PLACE_SYSTEM)
		return VPHYR_PLACEMENT_SYSTEM;
	return VPHYR_PLACEMENT_UNKNOWN;
}

int vphyr_bo_map(struct vphyr_bo *bo, void **ptr)
{
	int ret;

	if (!bo->map) {
		ret = vphyr_gem_map(bo->dev, bo->handle, bo->size, &bo->map);
		if (ret) {
			*ptr = NULL;
			return ret;
		}
	}
	*ptr = bo->map;
	return 0;
}

int vphyr_bo_export(struct vphyr_bo *bo, int *dmabuf_fd)
{
	return vphyr_gem_export(bo->dev, bo->handle, dmabuf_fd);
}

int vphyr_bo_read(struct vphyr_bo *bo, uint64_t offset, void *buf,
		  uint64_t size)
{
	return vphyr_gem_read(bo->dev, bo->handle, offset, buf, size);
}

int vphyr_bo_write(struct vphyr_bo *bo, uint64_t offset, const void *buf,
		   uint64_t size)
{
	return vphyr_gem_write(bo->dev, bo->handle, offset, buf, size);
}

int vphyr_bo_copy(struct vphyr_bo *src, uint64_t src_offset,
		  struct vphyr_bo *dst, uint64_t dst_offset, uint64_t size)
{
	if (src->dev != dst->dev)
		return vphyr_fail(-EINVAL,
				  "device copy from %s to %s: not one device",
				  vphyr_dev_name(src->dev),
				  vphyr_dev_name(dst->dev));
	return vphyr_gem_copy(src->dev, src->handle, src_offset, dst->handle,
			      dst_offset, size);
}

int vphyr_bo_evict(struct vphyr_bo *bo)
{
	return vphyr_gem_evict(bo->dev, bo->handle);
}

int vphyr_bo_ranges(struct vphyr_bo *bo, struct vphyr_ranges *out)
{
	return vphyr_gem_ranges(bo->dev, bo->handle, out);
}
