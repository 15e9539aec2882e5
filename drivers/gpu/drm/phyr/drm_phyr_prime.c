// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma-buf for phyr GEM objects: the exporter ops and the importer helper.
 */

#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/rcupdate.h>
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

/* One range table filled for an importer, and the store it describes. */
struct drm_phyr_range_map {
	struct list_head node;
	struct dma_range_table *table;
	struct drm_phyr_backing *backing;
};

/*
 * Exporter state of an attachment (&dma_buf_attachment.priv): the
 * scatterlists and the range tables handed out, under the reservation
 * lock.
 */
struct drm_phyr_attach_priv {
	struct list_head maps;
	struct list_head ranges;
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
	INIT_LIST_HEAD(&priv->ranges);
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

	WARN_ON(!list_empty(&priv->maps) || !list_empty(&priv->ranges));
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

/*
 * CPU access through the dma-buf (DMA_BUF_IOCTL_SYNC, dma_buf_begin_cpu_
 * access()): wait for the device work the access must follow, as the
 * implicit synchronisation rules say: a read waits for writers, a write
 * for every user. Coherence of the importers' own mappings (bounce buffers,
 * caches) is theirs to keep around their DMA (phyr_dma_sync_for_cpu() and
 * _for_device()): copying an importer's bounce buffer back here would
 * overwrite what the exporter's clients wrote through its GEM mapping.
 */
static int drm_phyr_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
					    enum dma_data_direction dir)
{
	bool write = dir != DMA_FROM_DEVICE;
	long ret;

	ret = dma_resv_wait_timeout(dmabuf->resv, dma_resv_usage_rw(write),
				    true, MAX_SCHEDULE_TIMEOUT);
	return ret < 0 ? ret : 0;
}

static int drm_phyr_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
					  enum dma_data_direction dir)
{
	if (dir == DMA_FROM_DEVICE)
		return 0;
	/* stores through a write-combined VRAM mapping reach memory first */
	wmb();
	return 0;
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

/* &dma_buf_ops.map_dma_ranges: the object's list mapped for the importer */
static int drm_phyr_dmabuf_map_ranges(struct dma_buf_attachment *attach,
				      enum dma_data_direction dir,
				      struct dma_range_table *t)
{
	struct drm_phyr_gem_object *pobj = drm_phyr_dmabuf_obj(attach->dmabuf);
	struct drm_phyr_attach_priv *priv = attach->priv;
	struct drm_phyr_range_map *rm;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	/* a device that cannot do DMA maps physical ranges itself */
	if (!attach->dev->dma_mask)
		return -EOPNOTSUPP;
	rm = kzalloc(sizeof(*rm), GFP_KERNEL);
	if (!rm)
		return -ENOMEM;
	ret = drm_phyr_gem_map(pobj, attach, dir, t, &rm->backing);
	if (ret) {
		kfree(rm);
		return ret;
	}
	rm->table = t;
	list_add(&rm->node, &priv->ranges);
	return 0;
}

static void drm_phyr_dmabuf_unmap_ranges(struct dma_buf_attachment *attach,
					 struct dma_range_table *t,
					 enum dma_data_direction dir)
{
	struct drm_phyr_attach_priv *priv = attach->priv;
	struct drm_phyr_range_map *rm;

	dma_resv_assert_held(attach->dmabuf->resv);
	list_for_each_entry(rm, &priv->ranges, node) {
		if (rm->table != t)
			continue;
		list_del(&rm->node);
		phyr_dma_unmap(t);
		drm_phyr_backing_put(rm->backing);
		kfree(rm);
		return;
	}
	WARN(1, "phyr: unmapping a range table this exporter did not map\n");
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

/**
 * DOC: drm_phyr_gem_dmabuf_ops
 *
 * ``const struct dma_buf_ops drm_phyr_gem_dmabuf_ops`` (exported) holds the
 * dma-buf operations of phyr GEM objects; drm_phyr_gem_prime_export()
 * installs it, and an importer compares a dma-buf's ops with it to know
 * that the buffer is a phyr GEM object.
 *
 * It is a dynamic exporter (pin/unpin, move_notify on eviction).
 * map_dma_buf gives scatterlists with DMA addresses and no struct pages;
 * map_dma_ranges gives range tables (dma_buf_map_attachment_ranges(),
 * which drm_phyr_attachment_map() uses). begin_cpu_access waits for the
 * device work a CPU access must follow, end_cpu_access flushes
 * write-combining. mmap, vmap and vunmap are the DRM PRIME helpers'.
 */
const struct dma_buf_ops drm_phyr_gem_dmabuf_ops = {
	.attach = drm_phyr_dmabuf_attach,
	.detach = drm_phyr_dmabuf_detach,
	.pin = drm_phyr_dmabuf_pin,
	.unpin = drm_phyr_dmabuf_unpin,
	.map_dma_buf = drm_phyr_dmabuf_map,
	.unmap_dma_buf = drm_phyr_dmabuf_unmap,
	.map_dma_ranges = drm_phyr_dmabuf_map_ranges,
	.unmap_dma_ranges = drm_phyr_dmabuf_unmap_ranges,
	.release = drm_phyr_dmabuf_release,
	.begin_cpu_access = drm_phyr_dmabuf_begin_cpu_access,
	.end_cpu_access = drm_phyr_dmabuf_end_cpu_access,
	.mmap = drm_gem_dmabuf_mmap,
	.vmap = drm_gem_dmabuf_vmap,
	.vunmap = drm_gem_dmabuf_vunmap,
};
EXPORT_SYMBOL_NS_GPL(drm_phyr_gem_dmabuf_ops, DRM_PHYR);

/*
 * A new reference to the object's dma-buf, or NULL when it has none or its
 * last reference is already gone (its release has not cleared
 * @pobj->dmabuf yet). Called under the reservation lock, which the release
 * takes before the dma-buf is freed.
 */
static struct dma_buf *drm_phyr_gem_dmabuf_get(struct drm_phyr_gem_object *pobj)
{
	struct dma_buf *dmabuf = pobj->dmabuf;
	struct file *f;

	dma_resv_assert_held(pobj->base.resv);
	if (!dmabuf)
		return NULL;
	rcu_read_lock();
	f = get_file_active(&dmabuf->file);
	rcu_read_unlock();
	return f ? dmabuf : NULL;
}

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
	struct dma_buf *dmabuf, *cur;

	dma_resv_lock(obj->resv, NULL);
	cur = drm_phyr_gem_dmabuf_get(pobj);
	dma_resv_unlock(obj->resv);
	if (cur)
		return cur;

	/*
	 * Not under the reservation lock: dma_buf_export() takes the dma-buf
	 * core's list lock, which its debugfs file takes before reservation
	 * locks.
	 */
	exp_info.ops = &drm_phyr_gem_dmabuf_ops;
	exp_info.size = obj->size;
	exp_info.flags = flags;
	exp_info.priv = obj;
	exp_info.resv = obj->resv;
	dmabuf = drm_gem_dmabuf_export(obj->dev, &exp_info);
	if (IS_ERR(dmabuf))
		return dmabuf;

	dma_resv_lock(obj->resv, NULL);
	cur = drm_phyr_gem_dmabuf_get(pobj);
	if (!cur)
		pobj->dmabuf = dmabuf;
	dma_resv_unlock(obj->resv);
	if (!cur)
		return dmabuf;
	/* another export got there first: use its dma-buf */
	dma_buf_put(dmabuf);
	return cur;
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
 * An exporter with range operations fills the table itself through
 * dma_buf_map_attachment_ranges(): a phyr exporter maps the object's list
 * for the attachment's device (see "DRM helpers": peer-to-peer entries say
 * how they are reached, a linked device gets link addresses), udmabuf its
 * pinned pages. With any other exporter the attachment is mapped with
 * dma_buf_map_attachment() and its DMA addresses become the table
 * (%PHYR_IC_HOST, or %PHYR_IC_P2P for bus addresses; %DMA_RANGE_VIA_SG).
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

	ret = dma_buf_map_attachment_ranges(attach, dir, &pa->table);
	if (ret && ret != -EOPNOTSUPP)
		return ret;
	if (!ret) {
		pa->ranges = true;
	} else {
		/* an exporter without range tables: take its scatterlist */
		sgt = dma_buf_map_attachment(attach, dir);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
		ret = dma_range_table_from_sgt(&pa->table, attach->dev, sgt,
					       PHYR_IC_HOST);
		if (ret) {
			dma_buf_unmap_attachment(attach, sgt, dir);
			return ret;
		}
		/* phyr_dma_sync_*() go through the exporter's scatterlist */
		pa->table.src_sgt = sgt;
		pa->table.dir = dir;
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
	if (pa->ranges)
		dma_buf_unmap_attachment_ranges(pa->attach, &pa->table, pa->dir);
	else if (!pa->phys)
		phyr_dma_unmap(&pa->table);	/* frees a scatterlist's table */
	if (pa->sgt)
		dma_buf_unmap_attachment(pa->attach, pa->sgt, pa->dir);
	drm_phyr_backing_put(pa->backing);
	pa->sgt = NULL;
	pa->backing = NULL;
	pa->mapped = false;
	pa->phys = false;
	pa->ranges = false;
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
