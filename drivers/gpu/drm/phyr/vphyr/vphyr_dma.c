// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vphyr "device": reads and writes memory by DMA address.
 *
 * A real device would put the DMA addresses of a table on the bus. This
 * one resolves each address the way the platform would deliver it (IOMMU
 * translation, PCI bus address to BAR, link window to the peer's VRAM,
 * identity or bus offset for dma-direct) and copies with the CPU, so a
 * wrong address in a table shows up as wrong data.
 */

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/vphyr_drm.h>

#include "vphyr_drv.h"

#define VPHYR_DMA_CHUNK	SZ_64K

/* Where the bus delivers @len bytes at DMA address @addr (one page at most). */
static int vphyr_resolve(struct vphyr_device *v, dma_addr_t addr, size_t len,
			 unsigned int via, phys_addr_t *phys)
{
	struct device *dev = v->drm.dev;
	struct iommu_domain *dom;

	switch (via) {
	case DMA_RANGE_VIA_LINK:
		return vphyr_link_to_phys(v, addr, len, phys) ? 0 : -EFAULT;
	case DMA_RANGE_VIA_BUS: {
		struct pci_bus_region region = { addr, addr + len - 1 };
		struct resource res = { };

		if (!v->pdev)
			return -EFAULT;
		pcibios_bus_to_resource(v->pdev->bus, &res, &region);
		*phys = res.start;
		return 0;
	}
	default:
		dom = iommu_get_domain_for_dev(dev);
		if (dom && (dom->type & __IOMMU_DOMAIN_PAGING)) {
			*phys = iommu_iova_to_phys(dom, addr);
			return *phys ? 0 : -EFAULT;
		}
		*phys = dma_to_phys(dev, addr);
		return 0;
	}
}

/* CPU copy to or from @len bytes at @phys, within one page. */
static int vphyr_copy_phys(phys_addr_t phys, void *buf, size_t len, bool write)
{
	void *p;

	if (pfn_valid(PHYS_PFN(phys))) {
		p = kmap_local_pfn(PHYS_PFN(phys)) + offset_in_page(phys);
		if (write)
			memcpy(p, buf, len);
		else
			memcpy(buf, p, len);
		kunmap_local(p);
		return 0;
	}
	p = memremap(phys, len, MEMREMAP_WC);
	if (!p)
		return -EFAULT;
	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
	memunmap(p);
	return 0;
}

/**
 * vphyr_dma_access() - let the device access memory through a table
 * @v: the device
 * @t: a table mapped for @v
 * @offset: byte offset in the mapped memory
 * @buf: the data
 * @len: bytes to copy
 * @write: copy @buf to the memory instead of from it
 *
 * Return: 0, or -EFAULT if an address does not resolve or the table is
 * shorter than @offset + @len.
 */
int vphyr_dma_access(struct vphyr_device *v, const struct dma_range_table *t,
		     u64 offset, void *buf, size_t len, bool write)
{
	struct dma_range_iter it;
	struct dma_range r;
	int ret;

	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it) {
		u64 rlen = dma_range_len(&r);
		dma_addr_t addr;

		if (offset >= rlen) {
			offset -= rlen;
			continue;
		}
		addr = r.addr + offset;
		rlen -= offset;
		offset = 0;
		while (rlen && len) {
			size_t n = min3((u64)len, rlen,
					(u64)(PAGE_SIZE - offset_in_page(addr)));
			phys_addr_t phys;

			ret = vphyr_resolve(v, addr, n, dma_range_via(&r), &phys);
			if (ret)
				return ret;
			n = min_t(size_t, n, PAGE_SIZE - offset_in_page(phys));
			ret = vphyr_copy_phys(phys, buf, n, write);
			if (ret)
				return ret;
			buf += n;
			len -= n;
			rlen -= n;
			addr += n;
		}
		if (!len)
			return 0;
	}
	return len ? -EFAULT : 0;
}

/* One chunk through the object's mapping for this device. */
static int vphyr_dma_chunk(struct vphyr_device *v, struct drm_gem_object *obj,
			   u64 offset, void *buf, size_t len, bool write)
{
	struct vphyr_import *imp = vphyr_to_import(obj);
	struct dma_range_table t;
	int ret;

	ret = dma_resv_lock_interruptible(obj->resv, NULL);
	if (ret)
		return ret;
	if (imp) {
		/* the importer's long-lived table, mapped again if it moved */
		ret = drm_phyr_attachment_map(&imp->pa, DMA_BIDIRECTIONAL);
		if (!ret) {
			phyr_dma_sync_for_device(&imp->pa.table);
			ret = vphyr_dma_access(v, &imp->pa.table, offset, buf,
					       len, write);
			phyr_dma_sync_for_cpu(&imp->pa.table);
		}
	} else {
		/*
		 * An own object: map just this chunk for the device. The
		 * memory may be mapped for this device through an attachment
		 * as well, so sync explicitly instead of at map and unmap.
		 */
		ret = phyr_dma_map(v->drm.dev,
				   drm_phyr_gem_list(to_drm_phyr_gem(obj)),
				   offset, len, DMA_BIDIRECTIONAL,
				   DMA_ATTR_SKIP_CPU_SYNC, &t);
		if (!ret) {
			phyr_dma_sync_for_device(&t);
			ret = vphyr_dma_access(v, &t, 0, buf, len, write);
			phyr_dma_sync_for_cpu(&t);
			phyr_dma_unmap(&t);
		}
	}
	dma_resv_unlock(obj->resv);
	return ret;
}

int vphyr_ioctl_gem_dma(struct drm_device *drm, void *data,
			struct drm_file *file)
{
	struct drm_vphyr_gem_dma *args = data;
	void __user *user = u64_to_user_ptr(args->data_ptr);
	bool write = args->flags == VPHYR_DMA_WRITE;
	struct drm_gem_object *obj;
	u64 end, done = 0;
	void *buf;
	int ret = 0;

	if (args->flags != VPHYR_DMA_READ && args->flags != VPHYR_DMA_WRITE)
		return -EINVAL;
	if (!args->size || check_add_overflow(args->offset, args->size, &end))
		return -EINVAL;
	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (end > obj->size ||
	    (!vphyr_to_import(obj) &&
	     (!drm_phyr_gem_is_phyr(obj) || obj->dev != drm))) {
		ret = -EINVAL;
		goto out_put;
	}
	buf = kvmalloc(min_t(u64, args->size, VPHYR_DMA_CHUNK), GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_put;
	}

	/* user copies happen outside the reservation lock */
	while (done < args->size) {
		size_t n = min_t(u64, args->size - done, VPHYR_DMA_CHUNK);

		if (write && copy_from_user(buf, user + done, n)) {
			ret = -EFAULT;
			break;
		}
		ret = vphyr_dma_chunk(to_vphyr(drm), obj, args->offset + done,
				      buf, n, write);
		if (ret)
			break;
		if (!write && copy_to_user(user + done, buf, n)) {
			ret = -EFAULT;
			break;
		}
		done += n;
	}
	kvfree(buf);
out_put:
	drm_gem_object_put(obj);
	return ret;
}
