/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: the RDMA umem feed, user memory or a dma-buf as DMA ranges for
 * an RDMA device.
 */
#ifndef __DRM_PHYR_UMEM_H__
#define __DRM_PHYR_UMEM_H__

#include <linux/bits.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

#include <drm/phyr/drm_phyr_helper.h>
#include <drm/phyr/phyr_block.h>
#include <drm/phyr/phyr_cpu.h>
#include <drm/phyr/phyr_dma.h>
#include <drm/phyr/phyr_list.h>
#include <drm/phyr/phyr_pin.h>

struct phyr_umem;

/**
 * struct phyr_umem_ops - what the owner of a dma-buf umem is told
 * @invalidate: the exporter is moving the buffer. The driver must stop
 *	using the addresses it took from the umem (zap its page tables, fail
 *	further accesses) before returning; the umem's mapping is released
 *	right after. Called with the dma-buf's reservation lock held.
 */
struct phyr_umem_ops {
	void (*invalidate)(struct phyr_umem *umem, void *priv);
};

#define PHYR_UMEM_WRITE		BIT(0)	/* the device writes the memory */

/**
 * struct phyr_umem - memory an RDMA device accesses: pinned user pages or
 *	an imported dma-buf, mapped for the device
 * @dev: the importing device
 * @length: number of bytes
 * @access: PHYR_UMEM_* flags
 * @cpu: @dev reaches memory with the CPU (no DMA mask, as software RDMA
 *	devices): the umem is described by @list and accessed through
 *	phyr_umem_copy() instead of a DMA mapping
 * @pin: user memory: the pinned pages
 * @dmabuf: dma-buf memory: the buffer, NULL for user memory
 * @attach: dma-buf memory: the attachment
 * @pa: dma-buf memory: the importer state of @attach
 * @offset: dma-buf memory: offset of the first byte in the buffer
 * @ops: dma-buf memory: the owner's callbacks; NULL for a pinned attachment
 * @priv: argument for @ops
 * @list: the umem's ranges while @mapped: DMA ranges for @dev, or CPU
 *	physical ranges for a @cpu umem
 * @table: user memory: the pinned pages mapped for @dev (not for @cpu)
 * @mapped: @list (and @table) may be used
 * @lock: protects @cpu_map and @mapped against invalidation
 * @cpu_map: @cpu: kernel mappings of @list while @mapped
 * @invalidations: number of times the exporter moved the buffer
 */
struct phyr_umem {
	struct device *dev;
	u64 length;
	unsigned int access;
	bool cpu;
	struct phyr_user_pin pin;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct drm_phyr_attachment pa;
	u64 offset;
	const struct phyr_umem_ops *ops;
	void *priv;
	struct phyr_list list;
	struct dma_range_table table;
	bool mapped;
	spinlock_t lock;	/* see @lock above */
	struct phyr_cpu_map *cpu_map;
	unsigned int invalidations;
};

struct phyr_umem *phyr_umem_get_user(struct device *dev, unsigned long addr,
				     u64 len, unsigned int access);
struct phyr_umem *phyr_umem_get_dmabuf(struct device *dev,
				       struct dma_buf *dmabuf, u64 offset,
				       u64 len, unsigned int access,
				       const struct phyr_umem_ops *ops,
				       void *priv);
struct phyr_umem *phyr_umem_get_dmabuf_fd(struct device *dev, int fd,
					  u64 offset, u64 len,
					  unsigned int access,
					  const struct phyr_umem_ops *ops,
					  void *priv);
void phyr_umem_release(struct phyr_umem *umem);
int phyr_umem_map(struct phyr_umem *umem);
unsigned long phyr_umem_best_pgsz(struct phyr_umem *umem,
				  unsigned long pgsz_bitmap, u64 virt);
struct phyr_block_iter *phyr_umem_block_start(struct phyr_block_iter *bi,
					      struct phyr_umem *umem,
					      unsigned long pgsz);
int phyr_umem_copy(struct phyr_umem *umem, u64 offset, void *buf, u64 len,
		   bool to_umem);

/**
 * phyr_umem_for_each_block() - walk a mapped umem in device-page blocks
 * @umem: the umem, mapped
 * @bi: &struct phyr_block_iter used as the cursor; phyr_block_addr() gives
 *	the DMA address of each block (the physical address for a CPU umem)
 * @pgsz: block size, from phyr_umem_best_pgsz()
 */
#define phyr_umem_for_each_block(umem, bi, pgsz)			\
	for (struct phyr_block_iter *__bi =				\
		phyr_umem_block_start((bi), (umem), (pgsz));		\
	     phyr_block_iter_next(__bi);)

#endif /* __DRM_PHYR_UMEM_H__ */
