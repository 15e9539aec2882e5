// SPDX-License-Identifier: GPL-2.0-only
/*
 * vphyr: a DRM driver without display whose "VRAM" is the BAR of QEMU's
 * ivshmem-plain device, plus one instance with system memory only. It
 * exists to exercise the phyr DRM helpers from userspace. Besides its own
 * ioctls it offers what the DRM core gives a generic render driver: sync
 * objects with timelines, dumb buffers on the card node (in VRAM where the
 * instance has some, so that Mesa's software GBM allocates there), master
 * and authentication on the card node.
 */

#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/vphyr_drm.h>

#include "vphyr_drv.h"

#define VPHYR_IVSHMEM_VENDOR	0x1af4
#define VPHYR_IVSHMEM_DEVICE	0x1110
#define VPHYR_VRAM_BAR		2

#define VPHYR_NAME		"vphyr"
#define VPHYR_DESC		"phyr helper test driver"
#define VPHYR_MAJOR		1
#define VPHYR_MINOR		1
#define VPHYR_PATCHLEVEL	0

/* protects the list of instances and their link_peer */
DEFINE_MUTEX(vphyr_lock);
static LIST_HEAD(vphyr_devices);
static DEFINE_IDA(vphyr_ida);
static struct platform_device *vphyr_platform;
static struct vphyr_device *vphyr_system;

/*
 * Every ioctl runs between drm_dev_enter() and drm_dev_exit(): one that
 * started before the device was unplugged finishes before the remove path
 * goes on (drm_dev_unplug() waits for it), and none starts after.
 */
#define VPHYR_IOCTL_ENTERED(name)					\
static int vphyr_entered_##name(struct drm_device *drm, void *data,	\
				struct drm_file *file)			\
{									\
	int idx, ret = -ENODEV;						\
									\
	if (drm_dev_enter(drm, &idx)) {					\
		ret = vphyr_ioctl_##name(drm, data, file);		\
		drm_dev_exit(idx);					\
	}								\
	return ret;							\
}

VPHYR_IOCTL_ENTERED(info)
VPHYR_IOCTL_ENTERED(gem_create)
VPHYR_IOCTL_ENTERED(gem_mmap)
VPHYR_IOCTL_ENTERED(gem_ranges)
VPHYR_IOCTL_ENTERED(gem_dma)
VPHYR_IOCTL_ENTERED(gem_evict)
VPHYR_IOCTL_ENTERED(link)
VPHYR_IOCTL_ENTERED(gem_userptr)

static const struct drm_ioctl_desc vphyr_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VPHYR_INFO, vphyr_entered_info, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPHYR_GEM_CREATE, vphyr_entered_gem_create,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPHYR_GEM_MMAP, vphyr_entered_gem_mmap,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPHYR_GEM_RANGES, vphyr_entered_gem_ranges,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPHYR_GEM_DMA, vphyr_entered_gem_dma,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPHYR_GEM_EVICT, vphyr_entered_gem_evict,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPHYR_LINK, vphyr_entered_link, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(VPHYR_GEM_USERPTR, vphyr_entered_gem_userptr,
			  DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(vphyr_fops);

static int vphyr_dumb_create(struct drm_file *file, struct drm_device *drm,
			     struct drm_mode_create_dumb *args)
{
	int idx, ret = -ENODEV;

	if (drm_dev_enter(drm, &idx)) {
		ret = vphyr_gem_dumb_create(file, drm, args);
		drm_dev_exit(idx);
	}
	return ret;
}

/*
 * Minor 1.1 added sync objects (with timelines) and dumb buffers. No date:
 * the DRM core reports "0" for every driver.
 */
static const struct drm_driver vphyr_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER | DRIVER_SYNCOBJ |
			   DRIVER_SYNCOBJ_TIMELINE,
	.ioctls = vphyr_ioctls,
	.num_ioctls = ARRAY_SIZE(vphyr_ioctls),
	.fops = &vphyr_fops,
	.gem_prime_import = vphyr_gem_prime_import,
	.dumb_create = vphyr_dumb_create,
	.dumb_map_offset = drm_gem_dumb_map_offset,
	.name = VPHYR_NAME,
	.desc = VPHYR_DESC,
	.major = VPHYR_MAJOR,
	.minor = VPHYR_MINOR,
	.patchlevel = VPHYR_PATCHLEVEL,
};

/**
 * vphyr_from_file() - the vphyr instance behind an open DRM file
 * @f: a file
 *
 * Return: the instance, or NULL if @f is not a vphyr device file.
 */
struct vphyr_device *vphyr_from_file(struct file *f)
{
	struct drm_file *file;

	if (f->f_op != &vphyr_fops)
		return NULL;
	file = f->private_data;
	return to_vphyr(file->minor->dev);
}

/**
 * vphyr_link_to_phys() - resolve a link address seen by an instance
 * @v: the instance that uses the address
 * @addr: the link address
 * @len: bytes from @addr that must resolve
 * @phys: receives the CPU physical address
 *
 * Return: true if @addr lies in the VRAM window of the instance linked to
 * @v.
 */
bool vphyr_link_to_phys(struct vphyr_device *v, u64 addr, u64 len,
			phys_addr_t *phys)
{
	struct vphyr_device *peer;
	bool found = false;
	u64 base;

	mutex_lock(&vphyr_lock);
	peer = v->link_peer;
	if (peer) {
		base = vphyr_link_base(peer);
		if (addr >= base && len <= peer->region.size &&
		    addr - base <= peer->region.size - len) {
			*phys = peer->region.base + (addr - base);
			found = true;
		}
	}
	mutex_unlock(&vphyr_lock);
	return found;
}

/*
 * debugfs dri/<device>/vphyr_info (also under the card minor's number):
 * "key: value" lines describing the instance.
 */
static int vphyr_debugfs_info(struct seq_file *m, void *data)
{
	struct drm_debugfs_entry *entry = m->private;
	struct vphyr_device *v = to_vphyr(entry->dev);
	int peer = -1;

	mutex_lock(&vphyr_lock);
	if (v->link_peer)
		peer = v->link_peer->instance;
	mutex_unlock(&vphyr_lock);

	seq_printf(m, "instance: %u\n", v->instance);
	seq_printf(m, "pci: %s\n", v->pdev ? pci_name(v->pdev) : "none");
	seq_printf(m, "vram: %s\n", v->has_vram ? "yes" : "no");
	seq_printf(m, "vram_size: %llu\n", v->has_vram ? v->region.size : 0);
	seq_printf(m, "vram_used: %llu\n",
		   v->has_vram ? drm_phyr_region_used(&v->region) : 0);
	seq_printf(m, "link_peer: %d\n", peer);
	return 0;
}

static void vphyr_remove_instance(struct vphyr_device *v)
{
	mutex_lock(&vphyr_lock);
	if (v->link_peer) {
		drm_phyr_region_unlink(&v->link_peer->region);
		v->link_peer->link_peer = NULL;
		drm_phyr_region_unlink(&v->region);
		v->link_peer = NULL;
	}
	/* an empty node tells vphyr_ioctl_link() that @v went away */
	list_del_init(&v->node);
	mutex_unlock(&vphyr_lock);
	ida_free(&vphyr_ida, v->instance);
}

static void vphyr_region_fini(struct drm_device *drm, void *region)
{
	drm_phyr_region_fini(region);
}

static void vphyr_release_pci(struct drm_device *drm, void *pdev)
{
	pci_release_region(pdev, VPHYR_VRAM_BAR);
	pci_disable_device(pdev);
}

/*
 * The PCI device stays enabled and its VRAM BAR reserved for as long as
 * the DRM device lives, past an unbind: objects, CPU mappings and
 * importers may still hold the memory. Hence no pcim_*() here: managed
 * resources go at unbind, and a managed device makes pci_request_region()
 * managed too.
 */
static int vphyr_claim_pci(struct vphyr_device *v, struct pci_dev *pdev)
{
	int ret;

	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_request_region(pdev, VPHYR_VRAM_BAR, VPHYR_NAME);
	if (ret) {
		pci_disable_device(pdev);
		return ret;
	}
	ret = drmm_add_action_or_reset(&v->drm, vphyr_release_pci, pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	/* like a GPU: any segment length (the PCI default is 64 KiB) */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	pci_set_master(pdev);
	return 0;
}

static struct vphyr_device *vphyr_create(struct device *parent,
					 struct pci_dev *pdev)
{
	struct vphyr_device *v;
	int ret;

	v = devm_drm_dev_alloc(parent, &vphyr_driver, struct vphyr_device, drm);
	if (IS_ERR(v))
		return v;
	v->pdev = pdev;
	INIT_LIST_HEAD(&v->node);
	INIT_LIST_HEAD(&v->imports);
	ret = drmm_mutex_init(&v->drm, &v->imports_lock);
	if (ret)
		return ERR_PTR(ret);

	if (pdev) {
		ret = vphyr_claim_pci(v, pdev);
		if (ret)
			return ERR_PTR(ret);
		ret = drm_phyr_region_init_bar(&v->region, pdev, VPHYR_VRAM_BAR);
		if (ret)
			return ERR_PTR(ret);
		ret = drmm_add_action_or_reset(&v->drm, vphyr_region_fini,
					       &v->region);
		if (ret)
			return ERR_PTR(ret);
		v->has_vram = true;
	}

	ret = ida_alloc_range(&vphyr_ida, pdev ? 1 : 0, pdev ? INT_MAX : 0,
			      GFP_KERNEL);
	if (ret < 0)
		return ERR_PTR(ret);
	v->instance = ret;
	drm_debugfs_add_file(&v->drm, "vphyr_info", vphyr_debugfs_info, NULL);
	mutex_lock(&vphyr_lock);
	list_add_tail(&v->node, &vphyr_devices);
	mutex_unlock(&vphyr_lock);

	ret = drm_dev_register(&v->drm, 0);
	if (ret) {
		vphyr_remove_instance(v);
		return ERR_PTR(ret);
	}
	drm_info(&v->drm, "vphyr instance %u, VRAM %pa + %llu bytes\n",
		 v->instance, &v->region.base, v->has_vram ? v->region.size : 0);
	return v;
}

static int vphyr_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vphyr_device *v;

	v = vphyr_create(&pdev->dev, pdev);
	if (IS_ERR(v))
		return PTR_ERR(v);
	pci_set_drvdata(pdev, v);
	return 0;
}

static void vphyr_pci_remove(struct pci_dev *pdev)
{
	struct vphyr_device *v = pci_get_drvdata(pdev);

	/* no ioctl runs from here on; then nobody keeps using the VRAM */
	drm_dev_unplug(&v->drm);
	drm_phyr_gem_revoke_region(&v->region);
	/* and the device keeps no DMA mapping of other buffers */
	vphyr_gem_revoke_imports(v);
	vphyr_remove_instance(v);
}

static const struct pci_device_id vphyr_pci_ids[] = {
	{ PCI_DEVICE(VPHYR_IVSHMEM_VENDOR, VPHYR_IVSHMEM_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vphyr_pci_ids);

static struct pci_driver vphyr_pci_driver = {
	.name = VPHYR_NAME,
	.id_table = vphyr_pci_ids,
	.probe = vphyr_pci_probe,
	.remove = vphyr_pci_remove,
};

static int __init vphyr_init(void)
{
	struct platform_device *pdev;
	struct vphyr_device *v;
	int ret;

	pdev = platform_device_register_simple(VPHYR_NAME, -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	if (!devres_open_group(&pdev->dev, NULL, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto err_pdev;
	}
	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto err_devres;
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	v = vphyr_create(&pdev->dev, NULL);
	if (IS_ERR(v)) {
		ret = PTR_ERR(v);
		goto err_devres;
	}
	vphyr_platform = pdev;
	vphyr_system = v;

	ret = pci_register_driver(&vphyr_pci_driver);
	if (ret)
		goto err_system;
	return 0;

err_system:
	drm_dev_unregister(&v->drm);
	vphyr_remove_instance(v);
err_devres:
	devres_release_group(&pdev->dev, NULL);
err_pdev:
	platform_device_unregister(pdev);
	return ret;
}

static void __exit vphyr_exit(void)
{
	pci_unregister_driver(&vphyr_pci_driver);
	drm_dev_unregister(&vphyr_system->drm);
	vphyr_remove_instance(vphyr_system);
	devres_release_group(&vphyr_platform->dev, NULL);
	platform_device_unregister(vphyr_platform);
}

module_init(vphyr_init);
module_exit(vphyr_exit);

MODULE_DESCRIPTION("vphyr: test driver for the phyr DRM helpers");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DRM_PHYR);
