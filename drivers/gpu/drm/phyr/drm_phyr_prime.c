// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf for phyr GEM objects: the exporter ops and the importer helper.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/slab.h>

#include <drm/drm_device.h>
#include <drm/drm_gem.h>
#include <drm/drm_phyr.h>
#include <drm/drm_prime.h>

#include "phyr_internal.h"

/* One scatterlist handed to a legacy importer and what it describes. */
struct drm_phyr_sg_map {
	struct list_head node;
	struct sg_table *sgt;
	struct dma_range_table table;
	struct drm_phyr_backing *backing;
};

/*
 * Exporter state of an attachment (&dma_buf_attachment.priv): the
 * scatterlists handed out, and the table a phyr importer mapped through
 * drm_phyr_attachment_map(). Both under the reservation lock.
 */
struct drm_phyr_attach_priv {
	struct list_head maps;
	struct drm_phyr_attachment *pa;
};

static struct drm_phyr_gem_object *drm_phyr_dmabuf_obj(struct dma_buf *dmabuf)
{
	return to_drm_phyr_gem(dmabuf->priv);
}

static bool drm_phyr_p2p_possible(struct drm_phyr_region *region,
				  struct device *dev)
{
	if (!dev_is_pci(region->dev) || !dev_is_pci(dev))
		return false;
	return pci_p2pdma_distance(to_pci_dev(region->dev), dev, false) >= 0;
}

static int drm_phyr_dmabuf_attach(struct dma_buf *dmabuf,
				  struct dma_buf_attachment *attach)
{
	struct drm_phyr_gem_object *pobj = drm_phyr_dmabuf_obj(dmabuf);
	struct drm_phyr_attach_priv *priv;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	INIT_LIST_HEAD(&priv->maps);
	attach->priv = priv;

	/*
	 * Without a P2P path VRAM objects move to system memory when mapped.
	 * A device without a DMA mask reaches memory with the CPU, which
	 * reaches any BAR (drm_phyr_attachment_map_phys()).
	 */
	if (attach->peer2peer && pobj->region && attach->dev->dma_mask &&
	    !drm_phyr_p2p_possible(pobj->region, attach->dev))
		attach->peer2peer = false;
	return 0;
}

static void drm_phyr_dmabuf_detach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attach)
{
	struct drm_phyr_attach_priv *priv = attach->priv;

	WARN_ON(!list_empty(&priv->maps) || priv->pa);
	kfree(priv);
	attach->priv = NULL;
}

static int drm_phyr_dmabuf_pin(struct dma_buf_attachment *attach)
{
	struct drm_phyr_gem_object *pobj = drm_phyr_dmabuf_obj(attach->dmabuf);
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	ret = drm_phyr_gem_reach(pobj, attach);
	if (!ret)
		pobj->pin_count++;
	return ret;
}

static void drm_phyr_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	struct drm_phyr_gem_object *pobj = drm_phyr_dmabuf_obj(attach->dmabuf);

	dma_resv_assert_held(attach->dmabuf->resv);
	if (!WARN_ON(!pobj->pin_count))
		pobj->pin_count--;
}

/* Sync every mapping of every attachment for the CPU or for the devices. */
static int drm_phyr_dmabuf_sync(struct dma_buf *dmabuf, bool for_cpu)
{
	struct dma_buf_attachment *attach;
	int ret;

	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		struct drm_phyr_attach_priv *priv = attach->priv;
		struct drm_phyr_sg_map *m;
		const struct dma_range_table *t;

		list_for_each_entry(m, &priv->maps, node) {
			if (for_cpu)
				phyr_dma_sync_for_cpu(&m->table);
			else
				phyr_dma_sync_for_device(&m->table);
		}
		if (!priv->pa)
			continue;
		t = &priv->pa->table;
		if (for_cpu)
			phyr_dma_sync_for_cpu(t);
		else
			phyr_dma_sync_for_device(t);
	}
	dma_resv_unlock(dmabuf->resv);
	return 0;
}

/*
 * Importers map without CPU syncs (DMA_ATTR_SKIP_CPU_SYNC): CPU access
 * through the dma-buf (DMA_BUF_IOCTL_SYNC, dma_buf_begin_cpu_access())
 * syncs every importer's mapping, so bounce buffers and non-coherent
 * caches agree with what the CPU sees.
 */
static int drm_phyr_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
					    enum dma_data_direction dir)
{
	return drm_phyr_dmabuf_sync(dmabuf, true);
}

static int drm_phyr_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
					  enum dma_data_direction dir)
{
	return drm_phyr_dmabuf_sync(dmabuf, false);
}

static struct sg_table *
drm_phyr_dmabuf_map(struct dma_buf_attachment *attach,
		    enum dma_data_direction dir)
{
	struct drm_phyr_gem_object *pobj = drm_phyr_dmabuf_obj(attach->dmabuf);
	struct drm_phyr_attach_priv *priv = attach->priv;
	struct drm_phyr_sg_map *m;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	/* a device that cannot do DMA gets no scatterlist of DMA addresses */
	if (!attach->dev->dma_mask)
		return ERR_PTR(-EOPNOTSUPP);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	ret = drm_phyr_gem_map(pobj, attach, dir, &m->table, &m->backing);
	if (ret)
		goto err_free;
	m->sgt = dma_range_table_to_sgt(&m->table, GFP_KERNEL);
	if (IS_ERR(m->sgt)) {
		ret = PTR_ERR(m->sgt);
		goto err_unmap;
	}
	list_add(&m->node, &priv->maps);
	return m->sgt;

err_unmap:
	phyr_dma_unmap(&m->table);
	drm_phyr_backing_put(m->backing);
err_free:
	kfree(m);
	return ERR_PTR(ret);
}

static void drm_phyr_dmabuf_unmap(struct dma_buf_attachment *attach,
				  struct sg_table *sgt,
				  enum dma_data_direction dir)
{
	struct drm_phyr_attach_priv *priv = attach->priv;
	struct drm_phyr_sg_map *m;

	dma_resv_assert_held(attach->dmabuf->resv);
	list_for_each_entry(m, &priv->maps, node) {
		if (m->sgt != sgt)
			continue;
		list_del(&m->node);
		dma_range_free_sgt(m->sgt);
		phyr_dma_unmap(&m->table);
		drm_phyr_backing_put(m->backing);
		kfree(m);
		return;
	}
	WARN(1, "phyr: unmapping a scatterlist this exporter did not map\n");
}

static void drm_phyr_dmabuf_release(struct dma_buf *dmabuf)
{
	struct drm_phyr_gem_object *pobj = drm_phyr_dmabuf_obj(dmabuf);

	dma_resv_lock(pobj->base.resv, NULL);
	if (pobj->dmabuf == dmabuf)
		pobj->dmabuf = NULL;
	dma_resv_unlock(pobj->base.resv);
	drm_gem_dmabuf_release(dmabuf);
}

/*
 * The dma-buf operations of phyr GEM objects.
 *
 * A dynamic exporter (pin/unpin, move_notify on eviction). map_dma_buf
 * gives scatterlists with DMA addresses and no struct pages; phyr-aware
 * importers use drm_phyr_attachment_map() instead and get the DMA range
 * table directly. begin/end_cpu_access sync every importer's mapping for
 * the CPU and back.
 */
const struct dma_buf_ops drm_phyr_gem_dmabuf_ops = {
	.attach = drm_phyr_dmabuf_attach,
	.detach = drm_phyr_dmabuf_detach,
	.pin = drm_phyr_dmabuf_pin,
	.unpin = drm_phyr_dmabuf_unpin,
	.map_dma_buf = drm_phyr_dmabuf_map,
	.unmap_dma_buf = drm_phyr_dmabuf_unmap,
	.release = drm_phyr_dmabuf_release,
	.begin_cpu_access = drm_phyr_dmabuf_begin_cpu_access,
	.end_cpu_access = drm_phyr_dmabuf_end_cpu_access,
	.mmap = drm_gem_dmabuf_mmap,
	.vmap = drm_gem_dmabuf_vmap,
	.vunmap = drm_gem_dmabuf_vunmap,
};
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_dmabuf_ops, DRM_PHYR);

/**
 * drm_phyr_gem_prime_export() - export a phyr GEM object as a dma-buf
 * @obj: the object
 * @flags: file flags of the new dma-buf (O_RDWR, O_CLOEXEC)
 *
 * The &drm_gem_object_funcs.export of phyr objects. An object has at most
 * one dma-buf at a time: exporting again returns a new reference to it.
 *
 * Return: the dma-buf or an ERR_PTR().
 */
struct dma_buf *drm_phyr_gem_prime_export(struct drm_gem_object *obj,
					  int flags)
{
	struct drm_phyr_gem_object *pobj = to_drm_phyr_gem(obj);
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;

	dma_resv_lock(obj->resv, NULL);
	if (pobj->dmabuf) {
		dmabuf = pobj->dmabuf;
		get_dma_buf(dmabuf);
		goto out;
	}
	exp_info.ops = &drm_phyr_gem_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;
	dmabuf = drm_gem_dmabuf_export(obj->dev, &exp_info);
	if (!IS_ERR(dmabuf))
		pobj->dmabuf = dmabuf;
out:
	dma_resv_unlock(obj->resv);
	return dmabuf;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_prime_export, DRM_PHYR);

/*
 * Wait for the exporter's kernel fences (a move or a clear of the memory
 * still in flight) before the importer gets the mapping: what it reads or
 * writes through it must be the memory's current contents.
 */
static int drm_phyr_attachment_wait(struct drm_phyr_attachment *pa)
{
	long ret = dma_resv_wait_timeout(pa->attach->dmabuf->resv,
					 DMA_RESV_USAGE_KERNEL, true,
					 MAX_SCHEDULE_TIMEOUT);

	if (ret >= 0)
		return 0;
	drm_phyr_attachment_unmap(pa);
	return ret;
}

/**
 * drm_phyr_attachment_init() - prepare an importer's attachment
 * @pa: the importer's state
 * @attach: an attachment from dma_buf_attach() or dma_buf_dynamic_attach()
 */
void drm_phyr_attachment_init(struct drm_phyr_attachment *pa,
			      struct dma_buf_attachment *attach)
{
	*pa = (struct drm_phyr_attachment){ .attach = attach };
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_attachment_init, DRM_PHYR);

/**
 * drm_phyr_attachment_map() - map an attachment as a DMA range table
 * @pa: the importer's state
 * @dir: DMA direction
 *
 * With a phyr exporter the object's list is mapped for the attachment's
 * device directly (see "DRM helpers"): peer-to-peer entries say how they
 * are reached, a linked device gets link addresses. With any other
 * exporter the attachment is mapped with dma_buf_map_attachment() and
 * its DMA addresses become the table (%PHYR_IC_HOST, %DMA_RANGE_VIA_SG).
 * Mapping a mapped attachment does nothing. A new mapping is returned
 * only once the kernel fences of the dma-buf's reservation object have
 * signalled (%DMA_RESV_USAGE_KERNEL: the exporter moving or clearing the
 * memory), so the importer may use it at once. The table is valid until
 * drm_phyr_attachment_unmap(); a dynamic importer must unmap when its
 * move_notify is called and map again before the next use.
 *
 * Context: the dma-buf's reservation lock must be held.
 * Return: 0, -EOPNOTSUPP if the importer cannot reach the memory,
 * -ERESTARTSYS if interrupted while waiting for the fences (nothing stays
 * mapped), or an error of the exporter or of phyr_dma_map().
 */
int drm_phyr_attachment_map(struct drm_phyr_attachment *pa,
			    enum dma_data_direction dir)
{
	struct dma_buf_attachment *attach = pa->attach;
	struct dma_buf *dmabuf = attach->dmabuf;
	struct sg_table *sgt;
	int ret;

	dma_resv_assert_held(dmabuf->resv);
	if (pa->mapped)
		return 0;

	if (dmabuf->ops == &drm_phyr_gem_dmabuf_ops) {
		struct drm_phyr_attach_priv *priv = attach->priv;

		ret = drm_phyr_gem_map(drm_phyr_dmabuf_obj(dmabuf), attach, dir,
				       &pa->table, &pa->backing);
		if (ret)
			return ret;
		priv->pa = pa;
	} else {
		sgt = dma_buf_map_attachment(attach, dir);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		ret = dma_range_table_from_sgt(&pa->table, attach->dev, sgt,
					       PHYR_IC_HOST);
		if (ret) {
			dma_buf_unmap_attachment(attach, sgt, dir);
			return ret;
		}
		pa->sgt = sgt;
	}
	pa->dir = dir;
	pa->mapped = true;
	return drm_phyr_attachment_wait(pa);
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_attachment_map, DRM_PHYR);

/**
 * drm_phyr_attachment_unmap() - release the table of an attachment
 * @pa: the importer's state; unmapping an unmapped attachment does nothing
 *
 * Context: the dma-buf's reservation lock must be held.
 */
void drm_phyr_attachment_unmap(struct drm_phyr_attachment *pa)
{
	dma_resv_assert_held(pa->attach->dmabuf->resv);
	if (!pa->mapped)
		return;
	if (pa->attach->dmabuf->ops == &drm_phyr_gem_dmabuf_ops) {
		struct drm_phyr_attach_priv *priv = pa->attach->priv;

		if (priv->pa == pa)
			priv->pa = NULL;
	}
	if (!pa->phys)
		phyr_dma_unmap(&pa->table);
	if (pa->sgt)
		dma_buf_unmap_attachment(pa->attach, pa->sgt, pa->dir);
	drm_phyr_backing_put(pa->backing);
	pa->sgt = NULL;
	pa->backing = NULL;
	pa->mapped = false;
	pa->phys = false;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_attachment_unmap, DRM_PHYR);

/**
 * drm_phyr_attachment_map_phys() - the physical ranges behind an attachment
 * @pa: the importer's state
 * @list: receives the exporter's phyr list, valid until
 *	drm_phyr_attachment_unmap()
 *
 * For importers that access memory with the CPU instead of DMA (software
 * devices, whose attachment's device has no DMA mask): nothing is DMA
 * mapped, the list is the object's backing store as it is, VRAM included,
 * and the importer maps what it needs with phyr_cpu_map(). The same move
 * and fence rules apply as for drm_phyr_attachment_map(): a dynamic
 * importer unmaps on move_notify, and a new mapping waits for the kernel
 * fences.
 *
 * Context: the dma-buf's reservation lock must be held.
 * Return: 0, -EOPNOTSUPP if the dma-buf is not a phyr exporter's, -EBUSY
 * if the attachment is mapped by drm_phyr_attachment_map(), -ERESTARTSYS
 * if interrupted while waiting for the fences, or an error of the
 * exporter.
 */
int drm_phyr_attachment_map_phys(struct drm_phyr_attachment *pa,
				 const struct phyr_list **list)
{
	struct dma_buf_attachment *attach = pa->attach;
	struct dma_buf *dmabuf = attach->dmabuf;
	struct drm_phyr_gem_object *pobj;
	int ret;

	dma_resv_assert_held(dmabuf->resv);
	if (dmabuf->ops != &drm_phyr_gem_dmabuf_ops)
		return -EOPNOTSUPP;
	if (pa->mapped && !pa->phys)
		return -EBUSY;
	pobj = drm_phyr_dmabuf_obj(dmabuf);
	if (!pa->mapped) {
		ret = drm_phyr_gem_reach(pobj, attach);
		if (ret)
			return ret;
		pa->backing = drm_phyr_backing_get(pobj->backing);
		pa->phys = true;
		pa->mapped = true;
		ret = drm_phyr_attachment_wait(pa);
		if (ret)
			return ret;
	}
	*list = drm_phyr_backing_list(pa->backing);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(drm_phyr_attachment_map_phys, DRM_PHYR);
