// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs benchmark: the same pages described and mapped through phyr and
 * through a scatterlist, side by side in one run.
 */

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <drm/drm_phyr.h>

#include "phyr_internal.h"

#define PHYR_BENCH_POOL		1024	/* distinct pages behind the inputs */
#define PHYR_BENCH_REPEAT	5	/* best of */

struct phyr_bench_result {
	u64 ns;
	size_t bytes;
	unsigned long nents;
};

/* Storage a list really holds: its chunks, reserved ones included. */
static size_t phyr_bench_list_bytes(const struct phyr_list *l)
{
	const struct phyr_chunk *c;
	size_t bytes = 0;

	for (c = l->head; c; c = c->next)
		bytes += struct_size(c, ents, c->cap);
	return bytes;
}

static int phyr_bench_phyr(struct device *dev, struct page **pages,
			   unsigned long n, struct phyr_bench_result *res)
{
	struct dma_range_table t;
	struct phyr_list l;
	unsigned long i;
	u64 start;
	int ret;

	phyr_list_init(&l);
	start = ktime_get_ns();
	/* plain appends: a reservation would be sized for no coalescing */
	for (i = 0; i < n; i++) {
		ret = phyr_list_append(&l, page_to_phys(pages[i]), PAGE_SIZE,
				       PHYR_IC_HOST, GFP_KERNEL);
		if (ret)
			goto out;
	}
	ret = phyr_dma_map(dev, &l, 0, phyr_list_length(&l), DMA_TO_DEVICE, 0,
			   &t);
	if (ret)
		goto out;
	res->ns = ktime_get_ns() - start;
	res->nents = dma_range_table_nents(&t);
	res->bytes = phyr_bench_list_bytes(&l) +
		     phyr_bench_list_bytes(&t.ranges) +
		     (t.sgt ? t.sgt->orig_nents * sizeof(struct scatterlist) : 0);
	phyr_dma_unmap(&t);
out:
	phyr_list_free(&l);
	return ret;
}

static int phyr_bench_sg(struct device *dev, struct page **pages,
			 unsigned long n, struct phyr_bench_result *res)
{
	struct sg_table sgt;
	u64 start;
	int ret;

	start = ktime_get_ns();
	/* segments no longer than the device takes, as phyr_dma_map() does */
	ret = sg_alloc_table_from_pages_segment(&sgt, pages, n, 0,
						n << PAGE_SHIFT,
						dma_get_max_seg_size(dev),
						GFP_KERNEL);
	if (ret)
		return ret;
	ret = dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	if (ret)
		goto out;
	res->ns = ktime_get_ns() - start;
	res->nents = sgt.nents;
	res->bytes = sgt.orig_nents * sizeof(struct scatterlist);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
out:
	sg_free_table(&sgt);
	return ret;
}

static int phyr_bench_one(struct seq_file *m, struct device *dev,
			  const char *what, struct page **pages,
			  unsigned long n)
{
	struct phyr_bench_result p = { .ns = U64_MAX }, s = { .ns = U64_MAX };
	unsigned int r;
	int ret;

	for (r = 0; r < PHYR_BENCH_REPEAT; r++) {
		struct phyr_bench_result x;

		ret = phyr_bench_phyr(dev, pages, n, &x);
		if (ret)
			return ret;
		if (x.ns < p.ns)
			p = x;
		ret = phyr_bench_sg(dev, pages, n, &x);
		if (ret)
			return ret;
		if (x.ns < s.ns)
			s = x;
		cond_resched();
	}
	seq_printf(m, "%-22s %8lu  phyr %8lu ent %10zu B %8llu.%01llu ns/page | sg %8lu ent %10zu B %8llu.%01llu ns/page | phyr/sg bytes %3llu%% time %3llu%%\n",
		   what, n, p.nents, p.bytes, div64_u64(p.ns, n),
		   div64_u64(p.ns * 10, n) % 10, s.nents, s.bytes,
		   div64_u64(s.ns, n), div64_u64(s.ns * 10, n) % 10,
		   div64_u64(p.bytes * 100, max_t(size_t, s.bytes, 1)),
		   div64_u64(p.ns * 100, max_t(u64, s.ns, 1)));
	return 0;
}

static int phyr_bench_cmp_page(const void *a, const void *b)
{
	unsigned long pa = page_to_pfn(*(struct page * const *)a);
	unsigned long pb = page_to_pfn(*(struct page * const *)b);

	return pa < pb ? -1 : pa > pb;
}

/* The i-th input page: every other page of the sorted pool, cycling. */
static struct page *phyr_bench_pool(struct page **sorted, unsigned long i)
{
	return sorted[2 * (i % (PHYR_BENCH_POOL / 2))];
}

static int phyr_bench_show(struct seq_file *m, void *unused)
{
	unsigned long i, big = 1ul << 18;
	struct page *block;
	struct page **pages, **scratch;
	struct pci_dev *pdev;
	struct device *dev;
	int ret = -ENOMEM;

	pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110, NULL);
	if (!pdev) {
		seq_puts(m, "no ivshmem PCI device to map for: benchmark skipped\n");
		return 0;
	}
	dev = &pdev->dev;

	pages = kvcalloc(big, sizeof(*pages), GFP_KERNEL);
	scratch = kvcalloc(PHYR_BENCH_POOL, sizeof(*scratch), GFP_KERNEL);
	block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	if (!pages || !scratch || !block)
		goto out;

	/*
	 * Fragmented inputs: every other page of a sorted pool, so no two
	 * neighbours in the input are physically adjacent and neither side
	 * can coalesce; the large input cycles through the pool.
	 */
	for (i = 0; i < PHYR_BENCH_POOL; i++) {
		scratch[i] = alloc_page(GFP_KERNEL);
		if (!scratch[i])
			goto out_pool;
	}
	sort(scratch, PHYR_BENCH_POOL, sizeof(*scratch), phyr_bench_cmp_page, NULL);

	seq_printf(m, "device %s (%s), best of %d, DMA_TO_DEVICE; bytes: list + table (phyr), sg entries (sg)\n",
		   pci_name(pdev), dma_get_merge_boundary(dev) ? "IOMMU" : "dma-direct",
		   PHYR_BENCH_REPEAT);
	seq_printf(m, "%-22s %8s\n", "input", "pages");

	for (i = 0; i < 512; i++)
		pages[i] = block + i;
	ret = phyr_bench_one(m, dev, "1 x 2 MiB block", pages, 512);
	for (i = 0; i < 1024; i++)
		pages[i] = phyr_bench_pool(scratch, i);
	if (!ret)
		ret = phyr_bench_one(m, dev, "1 x 4 KiB page", pages, 1);
	if (!ret)
		ret = phyr_bench_one(m, dev, "2^10 x 4 KiB fragments", pages, 1024);
	if (!ret) {
		for (i = 0; i < big; i++)
			pages[i] = phyr_bench_pool(scratch, i);
		ret = phyr_bench_one(m, dev, "2^18 x 4 KiB fragments", pages, big);
	}
	if (ret)
		seq_printf(m, "benchmark failed: %d\n", ret);
	ret = 0;
out_pool:
	for (i = 0; i < PHYR_BENCH_POOL && scratch[i]; i++)
		__free_page(scratch[i]);
out:
	if (block)
		__free_pages(block, 9);
	kvfree(scratch);
	kvfree(pages);
	pci_dev_put(pdev);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(phyr_bench);

void phyr_bench_register(struct dentry *dir)
{
	debugfs_create_file("bench", 0400, dir, NULL, &phyr_bench_fops);
}
