/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vphyr: test driver for the phyr DRM helpers.
 */
#ifndef __VPHYR_DRV_H__
#define __VPHYR_DRV_H__

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_phyr.h>

struct drm_file;
struct drm_mode_create_dumb;
struct pci_dev;

/**
 * struct vphyr_device - one vphyr instance
 * @drm: the DRM device
 * @instance: 0 for the system-memory-only instance, then 1, 2, ...
 * @pdev: the ivshmem device, NULL for instance 0
 * @has_vram: @region is set up
 * @region: VRAM: BAR 2 of @pdev
 * @link_peer: the instance linked to this one (vphyr_lock)
 * @node: in the list of instances (vphyr_lock)
 * @imports_lock: protects @imports and @imports_revoked; taken before a
 *	dma-buf's reservation lock
 * @imports: the dma-bufs imported into this instance (&vphyr_import.node)
 * @imports_revoked: the device went away: every import was unmapped and
 *	no new one is taken
 */
struct vphyr_device {
	struct drm_device drm;
	unsigned int instance;
	struct pci_dev *pdev;
	bool has_vram;
	struct drm_phyr_region region;
	struct vphyr_device *link_peer;
	struct list_head node;
	struct mutex imports_lock;	/* see @imports_lock above */
	struct list_head imports;
	bool imports_revoked;
};

static inline struct vphyr_device *to_vphyr(struct drm_device *drm)
{
	return container_of(drm, struct vphyr_device, drm);
}

/* Link addresses: instance n sees linked VRAM at its peer's window. */
#define VPHYR_LINK_WINDOW_SHIFT	40
static inline u64 vphyr_link_base(const struct vphyr_device *v)
{
	return (u64)(v->instance + 1) << VPHYR_LINK_WINDOW_SHIFT;
}

/**
 * struct vphyr_import - a dma-buf imported into a vphyr instance
 * @base: the GEM object
 * @pa: the dynamic attachment and its DMA range table
 * @generation: move notifications received (reservation lock)
 * @node: in &vphyr_device.imports of the importing instance
 * @dmabuf: the imported buffer, referenced until the object is freed
 * @detached: the instance went away and took the attachment down
 */
struct vphyr_import {
	struct drm_gem_object base;
	struct drm_phyr_attachment pa;
	u32 generation;
	struct list_head node;
	struct dma_buf *dmabuf;
	bool detached;
};

extern struct mutex vphyr_lock;

struct vphyr_device *vphyr_from_file(struct file *f);
bool vphyr_link_to_phys(struct vphyr_device *v, u64 addr, u64 len,
			phys_addr_t *phys);

struct drm_gem_object *vphyr_gem_prime_import(struct drm_device *drm,
					      struct dma_buf *dmabuf);
struct vphyr_import *vphyr_to_import(struct drm_gem_object *obj);
void vphyr_gem_revoke_imports(struct vphyr_device *v);

int vphyr_dma_access(struct vphyr_device *v, const struct dma_range_table *t,
		     u64 offset, void *buf, size_t len, bool write);

int vphyr_gem_dumb_create(struct drm_file *file, struct drm_device *drm,
			  struct drm_mode_create_dumb *args);

int vphyr_ioctl_info(struct drm_device *drm, void *data,
		     struct drm_file *file);
int vphyr_ioctl_gem_create(struct drm_device *drm, void *data,
			   struct drm_file *file);
int vphyr_ioctl_gem_userptr(struct drm_device *drm, void *data,
			    struct drm_file *file);
int vphyr_ioctl_gem_mmap(struct drm_device *drm, void *data,
			 struct drm_file *file);
int vphyr_ioctl_gem_ranges(struct drm_device *drm, void *data,
			   struct drm_file *file);
int vphyr_ioctl_gem_dma(struct drm_device *drm, void *data,
			struct drm_file *file);
int vphyr_ioctl_gem_evict(struct drm_device *drm, void *data,
			  struct drm_file *file);
int vphyr_ioctl_link(struct drm_device *drm, void *data,
		     struct drm_file *file);

#endif
