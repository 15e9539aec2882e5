// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs benchmark: the same pages described and mapped through phyr and
 * through a scatterlist, side by side in one run: building the
 * description, mapping it, unmapping it, and what the mapping keeps, for
 * 2^10 to 2^20 separate pages and one 2 MiB block. Each line of the table
 * is followed by CSV lines (prefix "csv,") with the median, minimum and
 * maximum of the runs, which make bench collects.
 */

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <drm/drm_phyr.h>

#include "phyr_selftest.h"

#define PHYR_BENCH_POOL		1024	/* distinct pages behind the inputs */
#define PHYR_BENCH_REPEAT	5	/* runs per input: median, min, max */
#define PHYR_BENCH_MAX_SHIFT	20	/* the largest input: 2^20 pages */

/*
 * What is timed, per path, for one input: describing the pages (building
 * the phyr list or the scatterlist), walking the description once (address
 * and length of every range), mapping it for the device and unmapping it;
 * "write" is the baseline for building and walking, a plain array of as
 * many 16-byte entries that exists already, stored and then read.
 */
enum phyr_bench_step {
	PHYR_BENCH_BUILD,
	PHYR_BENCH_ITER,
	PHYR_BENCH_MAP,
	PHYR_BENCH_UNMAP,
	PHYR_BENCH_NSTEPS,
};

static const char *const phyr_bench_step_name[PHYR_BENCH_NSTEPS] = {
	"build", "iter", "map", "unmap",
};

struct phyr_bench_run {
	u64 ns[PHYR_BENCH_NSTEPS];
	u64 sink;	/* what the walk read, so that it is not optimised out */
	size_t bytes;
	unsigned long nents;
};

struct phyr_bench_stat {
	u64 med, min, max;
};

static int phyr_bench_phyr(struct device *dev, struct page **pages,
			   unsigned long n, struct phyr_bench_run *res)
{
	struct dma_range_table t;
	struct phyr_cursor cur;
	struct phyr_list l;
	struct phyr seg;
	u64 t0, t1, t2, t3, t4, sum = 0;
	int ret;

	phyr_list_init(&l);
	t0 = ktime_get_ns();
	/* the page array in one call, as sg_alloc_table_from_pages() */
	ret = phyr_list_append_pages(&l, pages, n, PHYR_IC_HOST, GFP_KERNEL);
	if (ret)
		goto out;
	t1 = ktime_get_ns();
	phyr_cursor_init(&l, &cur);
	phyr_for_each_entry(seg, &cur)
		sum += phyr_addr(&seg) ^ phyr_len(&seg);
	res->sink = sum;
	t2 = ktime_get_ns();
	ret = phyr_dma_map(dev, &l, 0, phyr_list_length(&l), DMA_TO_DEVICE, 0,
			   &t);
	if (ret)
		goto out;
	t3 = ktime_get_ns();
	/* counting walks a passthrough table: not part of any step */
	res->nents = dma_range_table_nents(&t);
	/* what the mapping keeps: the list and the table's storage */
	res->bytes = phyr_list_storage(&l) +
		     phyr_list_storage(&t.ranges);
	t4 = ktime_get_ns();
	phyr_dma_unmap(&t);
	res->ns[PHYR_BENCH_UNMAP] = ktime_get_ns() - t4;
	res->ns[PHYR_BENCH_BUILD] = t1 - t0;
	res->ns[PHYR_BENCH_ITER] = t2 - t1;
	res->ns[PHYR_BENCH_MAP] = t3 - t2;
out:
	phyr_list_free(&l);
	return ret;
}

static int phyr_bench_sg(struct device *dev, struct page **pages,
			 unsigned long n, struct phyr_bench_run *res)
{
	struct scatterlist *sg;
	struct sg_table sgt;
	u64 t0, t1, t2, t3, sum = 0;
	unsigned int i;
	int ret;

	t0 = ktime_get_ns();
	/* segments no longer than the device takes, as phyr_dma_map() does */
	ret = sg_alloc_table_from_pages_segment(&sgt, pages, n, 0,
						n << PAGE_SHIFT,
						dma_get_max_seg_size(dev),
						GFP_KERNEL);
	if (ret)
		return ret;
	t1 = ktime_get_ns();
	for_each_sgtable_sg(&sgt, sg, i)
		sum += sg_phys(sg) ^ sg->length;
	res->sink = sum;
	t2 = ktime_get_ns();
	ret = dma_map_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	if (ret)
		goto out;
	t3 = ktime_get_ns();
	res->nents = sgt.nents;
	res->bytes = sgt.orig_nents * sizeof(struct scatterlist);
	dma_unmap_sgtable(dev, &sgt, DMA_TO_DEVICE, 0);
	res->ns[PHYR_BENCH_UNMAP] = ktime_get_ns() - t3;
	res->ns[PHYR_BENCH_BUILD] = t1 - t0;
	res->ns[PHYR_BENCH_ITER] = t2 - t1;
	res->ns[PHYR_BENCH_MAP] = t3 - t2;
out:
	sg_free_table(&sgt);
	return ret;
}

/*
 * The baseline for building and walking: the same entries stored into an
 * array of 16-byte entries that is already there, with nothing else done
 * (no coalescing check, no chunk, no summary), then read back.
 */
static void phyr_bench_write(struct phyr *arr, struct page **pages,
			     unsigned long n, struct phyr_bench_run *res)
{
	unsigned long i;
	u64 t0, t1, sum = 0;

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		WRITE_ONCE(arr[i].addr, page_to_phys(pages[i]));
		WRITE_ONCE(arr[i].len_flags, PAGE_SIZE);
	}
	t1 = ktime_get_ns();
	for (i = 0; i < n; i++)
		sum += phyr_addr(&arr[i]) ^ phyr_len(&arr[i]);
	res->sink = sum;
	res->ns[PHYR_BENCH_ITER] = ktime_get_ns() - t1;
	res->ns[PHYR_BENCH_BUILD] = t1 - t0;
	res->bytes = n * sizeof(*arr);
	res->nents = n;
}

static int phyr_bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static struct phyr_bench_stat phyr_bench_stat(const struct phyr_bench_run *r,
					      enum phyr_bench_step step)
{
	u64 v[PHYR_BENCH_REPEAT];
	unsigned int i;

	for (i = 0; i < PHYR_BENCH_REPEAT; i++)
		v[i] = r[i].ns[step];
	sort(v, PHYR_BENCH_REPEAT, sizeof(v[0]), phyr_bench_cmp_u64, NULL);
	return (struct phyr_bench_stat){
		v[PHYR_BENCH_REPEAT / 2], v[0], v[PHYR_BENCH_REPEAT - 1]
	};
}

/* @a / @b in percent, one decimal, as "123.4" */
static void phyr_bench_pct(struct seq_file *m, u64 a, u64 b)
{
	u64 permille = div64_u64(a * 1000, max_t(u64, b, 1));

	seq_printf(m, " %7llu.%01llu%%", div_u64(permille, 10), permille % 10);
}

static void phyr_bench_csv(struct seq_file *m, const char *kind,
			   const char *input, unsigned long n, const char *path,
			   const struct phyr_bench_run *r, int step)
{
	struct phyr_bench_stat st = phyr_bench_stat(r, step);

	seq_printf(m, "csv,%s,%s,%lu,%s,%s,%llu,%llu,%llu,%zu,%lu\n", kind,
		   input, n, path, phyr_bench_step_name[step], st.med, st.min,
		   st.max, r[0].bytes, r[0].nents);
}

static int phyr_bench_one(struct seq_file *m, struct device *dev,
			  const char *kind, const char *what,
			  struct page **pages, unsigned long n, struct phyr *arr)
{
	struct phyr_bench_run *p, *s, *w;
	struct phyr_bench_stat ps, ss;
	unsigned int r;
	int ret, step;

	/* phyr, sg and write runs, off the stack */
	p = kcalloc(3 * PHYR_BENCH_REPEAT, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	s = p + PHYR_BENCH_REPEAT;
	w = s + PHYR_BENCH_REPEAT;
	for (r = 0; r < PHYR_BENCH_REPEAT; r++) {
		ret = phyr_bench_phyr(dev, pages, n, &p[r]);
		if (ret)
			goto out;
		cond_resched();
		ret = phyr_bench_sg(dev, pages, n, &s[r]);
		if (ret)
			goto out;
		cond_resched();
		phyr_bench_write(arr, pages, n, &w[r]);
		cond_resched();
	}

	seq_printf(m, "%-24s %8lu %8lu %8lu", what, n, p[0].nents, s[0].nents);
	for (step = 0; step < PHYR_BENCH_NSTEPS; step++) {
		ps = phyr_bench_stat(p, step);
		ss = phyr_bench_stat(s, step);
		phyr_bench_pct(m, ps.med, ss.med);
	}
	ps = phyr_bench_stat(p, PHYR_BENCH_MAP);
	ss = phyr_bench_stat(s, PHYR_BENCH_MAP);
	seq_printf(m, " %10llu %10llu", ps.med, ss.med);
	phyr_bench_pct(m, p[0].bytes, s[0].bytes);
	phyr_bench_pct(m, phyr_bench_stat(p, PHYR_BENCH_BUILD).med,
		       phyr_bench_stat(w, PHYR_BENCH_BUILD).med);
	phyr_bench_pct(m, phyr_bench_stat(p, PHYR_BENCH_ITER).med,
		       phyr_bench_stat(w, PHYR_BENCH_ITER).med);
	seq_putc(m, '\n');

	for (step = 0; step < PHYR_BENCH_NSTEPS; step++) {
		phyr_bench_csv(m, kind, what, n, "phyr", p, step);
		phyr_bench_csv(m, kind, what, n, "sg", s, step);
	}
	phyr_bench_csv(m, kind, what, n, "write", w, PHYR_BENCH_BUILD);
	phyr_bench_csv(m, kind, what, n, "write", w, PHYR_BENCH_ITER);
	ret = 0;
out:
	kfree(p);
	return ret;
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
	unsigned long i, big = 1ul << PHYR_BENCH_MAX_SHIFT;
	struct page *block;
	struct page **pages, **scratch;
	struct pci_dev *pdev;
	struct phyr *arr;
	struct device *dev;
	const char *kind;
	unsigned int shift;
	char what[32];
	int ret = -ENOMEM;

	pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110, NULL);
	if (!pdev) {
		seq_puts(m, "no ivshmem PCI device to map for: benchmark skipped\n");
		return 0;
	}
	dev = &pdev->dev;
	kind = dma_get_merge_boundary(dev) ? "iommu" : "direct";

	pages = kvcalloc(big, sizeof(*pages), GFP_KERNEL);
	arr = kvcalloc(big, sizeof(*arr), GFP_KERNEL);
	scratch = kvcalloc(PHYR_BENCH_POOL, sizeof(*scratch), GFP_KERNEL);
	block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	if (!pages || !arr || !scratch || !block)
		goto out;

	/*
	 * Fragmented inputs: every other page of a sorted pool, so no two
	 * neighbours in the input are physically adjacent and neither side
	 * can coalesce; the large inputs cycle through the pool.
	 */
	for (i = 0; i < PHYR_BENCH_POOL; i++) {
		scratch[i] = alloc_page(GFP_KERNEL);
		if (!scratch[i])
			goto out_pool;
	}
	sort(scratch, PHYR_BENCH_POOL, sizeof(*scratch), phyr_bench_cmp_page, NULL);
	for (i = 0; i < big; i++)
		pages[i] = phyr_bench_pool(scratch, i);

	seq_printf(m, "# device %s (%s), DMA_TO_DEVICE, median of %d runs; phyr/sg ratios of the medians, of bytes kept while mapped (phyr: list + table), phyr build/plain write of the entries and phyr walk/walk of a 16-byte array\n",
		   pci_name(pdev), kind, PHYR_BENCH_REPEAT);
	seq_printf(m, "# %-22s %8s %8s %8s %9s %9s %9s %9s %10s %10s %9s %9s %9s\n",
		   "input", "pages", "phyr ent", "sg ent", "build", "iter",
		   "map", "unmap", "map phyr", "map sg", "bytes", "build/wr",
		   "iter/arr");
	seq_printf(m, "# %-22s %8s %8s %8s %9s %9s %9s %9s %10s %10s %9s %9s %9s\n",
		   "", "", "", "", "phyr/sg", "phyr/sg", "phyr/sg", "phyr/sg",
		   "ns", "ns", "phyr/sg", "", "");
	seq_puts(m, "# csv,device,input,pages,path,step,median_ns,min_ns,max_ns,bytes,entries\n");

	ret = 0;
	for (shift = 10; !ret && shift <= PHYR_BENCH_MAX_SHIFT; shift += 2) {
		snprintf(what, sizeof(what), "2^%u x 4 KiB fragments", shift);
		ret = phyr_bench_one(m, dev, kind, what, pages, 1ul << shift, arr);
	}
	for (i = 0; i < 512; i++)
		pages[i] = block + i;
	if (!ret)
		ret = phyr_bench_one(m, dev, kind, "1 x 2 MiB block", pages, 512,
				     arr);
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
	kvfree(arr);
	kvfree(pages);
	pci_dev_put(pdev);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(phyr_bench);

void phyr_bench_register(struct dentry *dir)
{
	debugfs_create_file("bench", 0400, dir, NULL, &phyr_bench_fops);
}
