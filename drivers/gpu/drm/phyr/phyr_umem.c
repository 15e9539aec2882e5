// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RDMA umem feed: user memory or a dma-buf, described for a device.
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <drm/drm_phyr.h>

#include "phyr_internal.h"

/**
 * DOC: RDMA umem feed
 *
 * An RDMA driver registering a memory region needs the region's bytes as
 * its device addresses them, the largest device page size that describes
 * them and a walk in blocks of that size to fill its page tables: what
 * &struct ib_umem, ib_umem_find_best_pgsz() and
 * rdma_umem_for_each_dma_block() provide on scatterlists. &struct
 * phyr_umem provides the same on phyr lists, from two sources:
 *
 * - user memory, pinned with phyr_pin_user() (long-term, charged to
 *   RLIMIT_MEMLOCK) and mapped with phyr_dma_map();
 * - a dma-buf, attached dynamically (the exporter may move the buffer and
 *   calls move_notify) or pinned (@ops is NULL). Mapping goes through
 *   drm_phyr_attachment_map(), so VRAM of a phyr exporter arrives as
 *   peer-to-peer ranges and any other exporter's scatterlist is converted.
 *
 * &phyr_umem.list holds the umem's ranges as the device sees them, and
 * phyr_umem_best_pgsz() and phyr_umem_for_each_block() work on it with the
 * block and page-size machinery of every phyr list.
 *
 * A device without a DMA mask (software RDMA devices such as rxe) reaches
 * memory with the CPU. Its umem is not DMA mapped: the list holds CPU
 * physical ranges, each mapped once for the CPU (see "CPU access"), and
 * the driver copies with phyr_umem_copy(). Only phyr exporters can feed
 * such a umem, since the CPU can reach their memory whatever it is (a BAR
 * included); for them the exporter keeps VRAM in place.
 *
 * Invalidation: when the exporter moves the buffer, &phyr_umem_ops.invalidate
 * runs first, so that the driver stops using the old addresses; the umem's
 * mapping is then released and the exporter may free the memory.
 * phyr_umem_copy() fails with -EFAULT from the moment the mapping is gone,
 * and phyr_umem_map() maps the buffer's new location.
 */

static void phyr_umem_move_notify(struct dma_buf_attachment *attach);

static const struct dma_buf_attach_ops phyr_umem_attach_ops = {
	.allow_peer2peer = true,
	.move_notify = phyr_umem_move_notify,
};

/* Copy a byte slice of ranges (DMA ranges included) into @dst. */
static int phyr_umem_take(struct phyr_list *dst, const struct phyr_iter *src)
{
	struct phyr_iter it = *src;
	struct phyr seg;
	int ret;

	phyr_for_each(seg, &it) {
		ret = phyr_list_add(dst, phyr_addr(&seg), phyr_len(&seg),
				    seg.len_flags >> PHYR_LEN_BITS,
				    PHYR_MAX_LEN, GFP_KERNEL);
		if (ret) {
			phyr_list_free(dst);
			return ret;
		}
	}
	return 0;
}

static int phyr_umem_take_table(struct phyr_list *dst,
				const struct dma_range_table *t, u64 offset,
				u64 len)
{
	struct phyr_iter it;
	int ret;

	if (t->alias)
		ret = phyr_iter_init_slice(t->alias, t->offset + offset, len,
					   &it);
	else
		ret = phyr_iter_init_slice(&t->ranges, offset, len, &it);
	return ret ?: phyr_umem_take(dst, &it);
}

/* Publish the CPU mapping of @umem->list; the copy path may use it now. */
static int phyr_umem_publish(struct phyr_umem *umem)
{
	struct phyr_cpu_map *m = NULL;

	if (umem->cpu) {
		m = phyr_cpu_map(&umem->list, GFP_KERNEL);
		if (IS_ERR(m))
			return PTR_ERR(m);
	}
	spin_lock_bh(&umem->lock);
	umem->cpu_map = m;
	umem->mapped = true;
	spin_unlock_bh(&umem->lock);
	return 0;
}

/* Withdraw the CPU mapping: no copy runs on it once this returns. */
static void phyr_umem_withdraw(struct phyr_umem *umem)
{
	struct phyr_cpu_map *m;

	spin_lock_bh(&umem->lock);
	m = umem->cpu_map;
	umem->cpu_map = NULL;
	umem->mapped = false;
	spin_unlock_bh(&umem->lock);
	phyr_cpu_unmap(m);
	phyr_list_free(&umem->list);
}

static int phyr_umem_map_dmabuf_locked(struct phyr_umem *umem)
{
	const struct phyr_list *full;
	struct phyr_iter it;
	int ret;

	dma_resv_assert_held(umem->dmabuf->resv);
	if (umem->mapped)
		return 0;

	if (umem->cpu) {
		ret = drm_phyr_attachment_map_phys(&umem->pa, &full);
		if (ret)
			return ret;
		ret = phyr_iter_init_slice(full, umem->offset, umem->length,
					   &it);
		if (!ret)
			ret = phyr_umem_take(&umem->list, &it);
	} else {
		ret = drm_phyr_attachment_map(&umem->pa, DMA_BIDIRECTIONAL);
		if (ret)
			return ret;
		ret = phyr_umem_take_table(&umem->list, &umem->pa.table,
					   umem->offset, umem->length);
	}
	if (!ret)
		ret = phyr_umem_publish(umem);
	if (ret) {
		phyr_list_free(&umem->list);
		drm_phyr_attachment_unmap(&umem->pa);
	}
	return ret;
}

static void phyr_umem_unmap_dmabuf_locked(struct phyr_umem *umem)
{
	dma_resv_assert_held(umem->dmabuf->resv);
	if (!umem->mapped)
		return;
	phyr_umem_withdraw(umem);
	drm_phyr_attachment_unmap(&umem->pa);
}

static void phyr_umem_move_notify(struct dma_buf_attachment *attach)
{
	struct phyr_umem *umem = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	umem->invalidations++;
	if (!umem->mapped)
		return;
	if (umem->ops && umem->ops->invalidate)
		umem->ops->invalidate(umem, umem->priv);
	phyr_umem_unmap_dmabuf_locked(umem);
}

static struct phyr_umem *phyr_umem_alloc(struct device *dev, u64 len,
					 unsigned int access)
{
	struct phyr_umem *umem;

	if (!dev || !len || (access & ~PHYR_UMEM_WRITE))
		return ERR_PTR(-EINVAL);
	umem = kzalloc(sizeof(*umem), GFP_KERNEL);
	if (!umem)
		return ERR_PTR(-ENOMEM);
	umem->dev = dev;
	umem->length = len;
	umem->access = access;
	/* no DMA mask: the device is the CPU (virtual DMA) */
	umem->cpu = !dev->dma_mask;
	spin_lock_init(&umem->lock);
	return umem;
}

/**
 * phyr_umem_get_user() - pin user memory for a device
 * @dev: the device that will access the memory
 * @addr: start of the range in current's address space
 * @len: length in bytes
 * @access: %PHYR_UMEM_WRITE if the device writes the memory
 *
 * Pins the range long-term, charged to RLIMIT_MEMLOCK (see "Pinning user
 * memory"), and maps it for @dev (bidirectional), or for CPU access if
 * @dev has no DMA mask.
 *
 * Context: process context; may sleep.
 * Return: the mapped umem or an ERR_PTR(): -EINVAL for bad arguments,
 * -EFAULT, -ENOMEM (RLIMIT_MEMLOCK included), or an error of
 * phyr_dma_map().
 */
struct phyr_umem *phyr_umem_get_user(struct device *dev, unsigned long addr,
				     u64 len, unsigned int access)
{
	unsigned int flags = PHYR_PIN_LONGTERM | PHYR_PIN_ACCOUNT;
	struct phyr_umem *umem;
	struct phyr_iter it;
	int ret;

	umem = phyr_umem_alloc(dev, len, access);
	if (IS_ERR(umem))
		return umem;
	if (access & PHYR_UMEM_WRITE)
		flags |= PHYR_PIN_WRITE;
	ret = phyr_pin_user(&umem->pin, addr, len, flags);
	if (ret)
		goto err_free;

	if (umem->cpu) {
		phyr_iter_init(&umem->pin.list, &it);
		ret = phyr_umem_take(&umem->list, &it);
	} else {
		ret = phyr_dma_map(dev, &umem->pin.list, 0, len,
				   DMA_BIDIRECTIONAL, 0, &umem->table);
		if (ret)
			goto err_unpin;
		ret = phyr_umem_take_table(&umem->list, &umem->table, 0, len);
		if (ret)
			phyr_dma_unmap(&umem->table);
	}
	if (ret)
		goto err_unpin;
	ret = phyr_umem_publish(umem);
	if (ret)
		goto err_list;
	return umem;

err_list:
	phyr_list_free(&umem->list);
	if (!umem->cpu)
		phyr_dma_unmap(&umem->table);
err_unpin:
	phyr_unpin_user(&umem->pin, false);
err_free:
	kfree(umem);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_get_user, DRM_PHYR);

/**
 * phyr_umem_get_dmabuf() - import part of a dma-buf for a device
 * @dev: the importing device
 * @dmabuf: the buffer; the umem takes its own reference
 * @offset: byte offset of the first byte in the buffer
 * @len: number of bytes
 * @access: %PHYR_UMEM_WRITE if the device writes the memory
 * @ops: callbacks of a dynamic attachment, whose buffer the exporter may
 *	move; NULL pins the buffer where it is for the umem's lifetime
 * @priv: argument passed to @ops
 *
 * The umem is mapped on return. After an invalidation, phyr_umem_map()
 * maps it again.
 *
 * Context: process context; may sleep. Takes the reservation lock.
 * Return: the umem or an ERR_PTR(): -EINVAL for bad arguments or a range
 * outside the buffer, -EOPNOTSUPP if @dev has no DMA mask and the buffer
 * is not a phyr exporter's, or if the device cannot reach a pinned
 * buffer's memory; an error of the exporter.
 */
struct phyr_umem *phyr_umem_get_dmabuf(struct device *dev,
				       struct dma_buf *dmabuf, u64 offset,
				       u64 len, unsigned int access,
				       const struct phyr_umem_ops *ops,
				       void *priv)
{
	struct dma_buf_attachment *attach;
	struct phyr_umem *umem;
	u64 end;
	int ret;

	if (!dmabuf || check_add_overflow(offset, len, &end) ||
	    end > dmabuf->size)
		return ERR_PTR(-EINVAL);
	umem = phyr_umem_alloc(dev, len, access);
	if (IS_ERR(umem))
		return umem;
	if (umem->cpu && dmabuf->ops != &drm_phyr_gem_dmabuf_ops) {
		ret = -EOPNOTSUPP;
		goto err_free;
	}
	umem->offset = offset;
	umem->ops = ops;
	umem->priv = priv;

	get_dma_buf(dmabuf);
	umem->dmabuf = dmabuf;
	attach = dma_buf_dynamic_attach(dmabuf, dev, &phyr_umem_attach_ops,
					umem);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto err_put;
	}
	umem->attach = attach;
	drm_phyr_attachment_init(&umem->pa, attach);

	dma_resv_lock(dmabuf->resv, NULL);
	ret = ops ? 0 : dma_buf_pin(attach);
	if (!ret) {
		ret = phyr_umem_map_dmabuf_locked(umem);
		if (ret && !ops)
			dma_buf_unpin(attach);
	}
	dma_resv_unlock(dmabuf->resv);
	if (ret)
		goto err_detach;
	return umem;

err_detach:
	dma_buf_detach(dmabuf, attach);
err_put:
	dma_buf_put(dmabuf);
err_free:
	kfree(umem);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_get_dmabuf, DRM_PHYR);

/**
 * phyr_umem_get_dmabuf_fd() - phyr_umem_get_dmabuf() by file descriptor
 * @dev: the importing device
 * @fd: a dma-buf file descriptor of the caller
 * @offset: byte offset of the first byte in the buffer
 * @len: number of bytes
 * @access: %PHYR_UMEM_WRITE if the device writes the memory
 * @ops: callbacks of a dynamic attachment, NULL to pin
 * @priv: argument passed to @ops
 *
 * Context: process context; may sleep.
 * Return: as phyr_umem_get_dmabuf(), and -EBADF or -EINVAL for an @fd that
 * is not a dma-buf.
 */
struct phyr_umem *phyr_umem_get_dmabuf_fd(struct device *dev, int fd,
					  u64 offset, u64 len,
					  unsigned int access,
					  const struct phyr_umem_ops *ops,
					  void *priv)
{
	struct phyr_umem *umem;
	struct dma_buf *dmabuf;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	umem = phyr_umem_get_dmabuf(dev, dmabuf, offset, len, access, ops,
				    priv);
	dma_buf_put(dmabuf);
	return umem;
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_get_dmabuf_fd, DRM_PHYR);

/**
 * phyr_umem_map() - map a dma-buf umem again after an invalidation
 * @umem: the umem
 *
 * Does nothing for user memory or a mapped umem.
 *
 * Context: process context; takes the reservation lock.
 * Return: 0 or an error of the exporter or of the mapping.
 */
int phyr_umem_map(struct phyr_umem *umem)
{
	int ret;

	if (!umem->dmabuf)
		return 0;
	ret = dma_resv_lock_interruptible(umem->dmabuf->resv, NULL);
	if (ret)
		return ret;
	ret = phyr_umem_map_dmabuf_locked(umem);
	dma_resv_unlock(umem->dmabuf->resv);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_map, DRM_PHYR);

/**
 * phyr_umem_release() - unmap, unpin or detach, and free a umem
 * @umem: the umem, or NULL
 *
 * User pages written by the device (%PHYR_UMEM_WRITE) are marked dirty.
 *
 * Context: process context; may sleep.
 */
void phyr_umem_release(struct phyr_umem *umem)
{
	struct dma_buf *dmabuf;

	if (!umem)
		return;
	dmabuf = umem->dmabuf;
	if (dmabuf) {
		dma_resv_lock(dmabuf->resv, NULL);
		phyr_umem_unmap_dmabuf_locked(umem);
		if (!umem->ops)
			dma_buf_unpin(umem->attach);
		dma_resv_unlock(dmabuf->resv);
		dma_buf_detach(dmabuf, umem->attach);
		dma_buf_put(dmabuf);
	} else {
		phyr_umem_withdraw(umem);
		if (!umem->cpu)
			phyr_dma_unmap(&umem->table);
		phyr_unpin_user(&umem->pin, umem->access & PHYR_UMEM_WRITE);
	}
	kfree(umem);
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_release, DRM_PHYR);

/**
 * phyr_umem_best_pgsz() - the largest device page size for a umem
 * @umem: the umem, mapped
 * @pgsz_bitmap: page sizes the device supports
 * @virt: the address the device will give the first byte (the MR's IOVA)
 *
 * As ib_umem_find_best_pgsz(): every block boundary inside the umem falls
 * on a range boundary, @virt and the first address agree in the bits below
 * the page size, and sizes below the CPU page size are not considered.
 *
 * Context: the umem must stay mapped: for a dynamic dma-buf umem hold the
 * reservation lock or a lock the invalidate callback takes.
 * Return: the page size, or 0 if none fits or the umem is not mapped.
 */
unsigned long phyr_umem_best_pgsz(struct phyr_umem *umem,
				  unsigned long pgsz_bitmap, u64 virt)
{
	pgsz_bitmap &= GENMASK(BITS_PER_LONG - 1, PAGE_SHIFT);
	if (!umem->mapped)
		return 0;
	return phyr_list_best_pgsz(&umem->list, pgsz_bitmap, virt);
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_best_pgsz, DRM_PHYR);

/**
 * phyr_umem_block_start() - start walking a umem in device-page blocks
 * @bi: the block iterator
 * @umem: the umem, mapped (see phyr_umem_best_pgsz() for the locking)
 * @pgsz: block size, from phyr_umem_best_pgsz()
 *
 * Usually called through phyr_umem_for_each_block(). An unmapped umem
 * yields no blocks.
 *
 * Return: @bi.
 */
struct phyr_block_iter *phyr_umem_block_start(struct phyr_block_iter *bi,
					      struct phyr_umem *umem,
					      unsigned long pgsz)
{
	static const struct phyr_list empty = PHYR_LIST_INIT;

	return phyr_block_iter_start(bi, umem->mapped ? &umem->list : &empty,
				     pgsz);
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_block_start, DRM_PHYR);

/**
 * phyr_umem_copy() - copy between a kernel buffer and a CPU umem
 * @umem: a umem of a device without a DMA mask
 * @offset: byte offset in the umem
 * @buf: kernel buffer
 * @len: number of bytes
 * @to_umem: copy @buf into the umem (true) or the umem into @buf
 *
 * The software device's "DMA". Safe against a concurrent invalidation:
 * either the copy completes on the old memory before the exporter may
 * free it, or it fails.
 *
 * Context: any context that may take a BH-disabling spinlock.
 * Return: 0; -EFAULT if the umem is not mapped (invalidated) or the range
 * lies outside it; -EACCES for a write to a umem without
 * %PHYR_UMEM_WRITE; -EOPNOTSUPP for a umem of a DMA device.
 */
int phyr_umem_copy(struct phyr_umem *umem, u64 offset, void *buf, u64 len,
		   bool to_umem)
{
	int ret = -EFAULT;

	if (!umem->cpu)
		return -EOPNOTSUPP;
	if (to_umem && !(umem->access & PHYR_UMEM_WRITE))
		return -EACCES;

	spin_lock_bh(&umem->lock);
	if (umem->cpu_map)
		ret = phyr_cpu_copy(umem->cpu_map, offset, buf, len, to_umem);
	spin_unlock_bh(&umem->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(phyr_umem_copy, DRM_PHYR);
