// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs demo of the phyr core: reading /sys/kernel/debug/phyr/demo
 * builds lists from real memory and prints what they hold. This file also
 * sets up the drm_phyr_selftest module, which holds the demo and the two
 * benchmarks under /sys/kernel/debug/phyr/. For testing and benchmarking,
 * not for production.
 */

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include <drm/drm_phyr.h>

#include "phyr_selftest.h"

#define PHYR_DEMO_PAGES		64
#define PHYR_DEMO_ORDER		9	/* one 2 MiB block with 4 KiB pages */
#define PHYR_DEMO_BITMAP	(SZ_4K | SZ_64K | SZ_2M | SZ_1G)

static struct dentry *phyr_debugfs_root;

static const char * const phyr_demo_ic[] = {
	[PHYR_IC_HOST] = "host",
	[PHYR_IC_DEVICE] = "device",
	[PHYR_IC_P2P] = "p2p",
	[PHYR_IC_LINK] = "link",
};

static void phyr_demo_print(struct seq_file *m, const char *what,
			    const struct phyr_list *l)
{
	unsigned long pgsz = phyr_list_best_pgsz(l, PHYR_DEMO_BITMAP, 0);
	struct phyr_block_iter bi;
	unsigned long blocks = 0;
	struct phyr_iter it;
	struct phyr seg;
	unsigned int i = 0;

	if (pgsz)
		phyr_for_each_block(l, &bi, pgsz)
			blocks++;

	seq_printf(m, "%s: %lu entries, %llu bytes, list storage %zu bytes\n",
		   what, phyr_list_nents(l), phyr_list_length(l),
		   phyr_list_storage(l));
	seq_printf(m, "  best page size %#lx (of 4K|64K|2M|1G at iova 0): %lu blocks\n",
		   pgsz, blocks);

	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		if (i++ == 4) {
			seq_puts(m, "  ...\n");
			break;
		}
		seq_printf(m, "  [%u] %pa + %#llx %s%s%s\n", i - 1, &seg.addr,
			   phyr_len(&seg), phyr_demo_ic[phyr_interconnect(&seg)],
			   phyr_flags(&seg) & PHYR_F_MMIO ? " mmio" : "",
			   phyr_flags(&seg) & PHYR_F_PINNED ? " pinned" : "");
	}
}

/* The same pages as a scatterlist, for comparison. */
static void phyr_demo_sg(struct seq_file *m, struct page **pages,
			 unsigned int n)
{
	struct sg_table sgt;

	if (sg_alloc_table_from_pages(&sgt, pages, n, 0,
				      (unsigned long)n << PAGE_SHIFT, GFP_KERNEL))
		return;
	seq_printf(m, "  scatterlist of the same pages: %u entries, %zu bytes (+ %zu bytes of page pointers)\n",
		   sgt.orig_nents, sgt.orig_nents * sizeof(struct scatterlist),
		   n * sizeof(*pages));
	sg_free_table(&sgt);
}

static int phyr_demo_pages(struct seq_file *m)
{
	struct page **pages;
	struct phyr_list l;
	unsigned int i;
	int ret = 0;

	pages = kcalloc(PHYR_DEMO_PAGES, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	phyr_list_init(&l);
	for (i = 0; i < PHYR_DEMO_PAGES; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i]) {
			ret = -ENOMEM;
			goto out;
		}
		ret = phyr_list_append(&l, page_to_phys(pages[i]), PAGE_SIZE,
				       PHYR_IC_HOST, GFP_KERNEL);
		if (ret)
			goto out;
	}
	phyr_demo_print(m, "64 separately allocated pages", &l);
	phyr_demo_sg(m, pages, PHYR_DEMO_PAGES);
out:
	phyr_list_free(&l);
	for (i = 0; i < PHYR_DEMO_PAGES && pages[i]; i++)
		__free_page(pages[i]);
	kfree(pages);
	return ret;
}

static int phyr_demo_block(struct seq_file *m)
{
	unsigned int n = 1u << PHYR_DEMO_ORDER;
	struct page *page, **pages;
	struct phyr_list l;
	unsigned int i;
	int ret;

	page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, PHYR_DEMO_ORDER);
	if (!page) {
		seq_puts(m, "2 MiB block: no order-9 page free, skipped\n");
		return 0;
	}
	phyr_list_init(&l);
	pages = kcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		ret = -ENOMEM;
		goto out;
	}
	/* Page by page, as a page array would describe it: it coalesces. */
	for (i = 0; i < n; i++) {
		pages[i] = page + i;
		ret = phyr_list_append(&l, page_to_phys(page + i), PAGE_SIZE,
				       PHYR_IC_HOST | PHYR_F_PINNED, GFP_KERNEL);
		if (ret)
			goto out;
	}
	phyr_demo_print(m, "one 2 MiB block appended page by page", &l);
	phyr_demo_sg(m, pages, n);
out:
	kfree(pages);
	phyr_list_free(&l);
	__free_pages(page, PHYR_DEMO_ORDER);
	return ret;
}

/* Every ivshmem BAR2 in the machine: PCI memory without struct pages. */
static int phyr_demo_bars(struct seq_file *m)
{
	struct pci_dev *pdev = NULL;
	struct phyr_list l, half;
	unsigned int found = 0;
	int ret = 0;

	phyr_list_init(&l);
	phyr_list_init(&half);
	while ((pdev = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110,
				      pdev))) {
		resource_size_t start = pci_resource_start(pdev, 2);
		resource_size_t size = pci_resource_len(pdev, 2);

		if (!size)
			continue;
		seq_printf(m, "ivshmem %s BAR2: %pa, %pa bytes, pfn_valid=%d\n",
			   pci_name(pdev), &start, &size,
			   pfn_valid(PHYS_PFN(start)));
		ret = phyr_list_append(&l, start, size,
				       PHYR_IC_DEVICE | PHYR_F_MMIO, GFP_KERNEL);
		if (ret) {
			pci_dev_put(pdev);
			goto out;
		}
		found++;
	}
	if (!found) {
		seq_puts(m, "no ivshmem device: BAR demo skipped\n");
		return 0;
	}
	phyr_demo_print(m, "ivshmem BARs as device-local MMIO", &l);
	if (phyr_list_nents(&l) < found)
		seq_printf(m, "  (%u BARs, %lu entries: physically adjacent BARs with equal flags coalesce)\n",
			   found, phyr_list_nents(&l));

	ret = phyr_list_slice(&half, &l, phyr_list_length(&l) / 4,
			      phyr_list_length(&l) / 2, GFP_KERNEL);
	if (ret)
		goto out;
	phyr_demo_print(m, "the middle half of it (a slice)", &half);
out:
	phyr_list_free(&half);
	phyr_list_free(&l);
	return ret;
}

/*
 * A VRAM-like range above 4 GiB and larger than 4 GiB, and a range that is
 * not page aligned: both take the 16-byte form in the list.
 */
static int phyr_demo_large(struct seq_file *m)
{
	struct phyr_list l;
	int ret;

	phyr_list_init(&l);
	ret = phyr_list_append(&l, 0x4000000000ull, 6ull * SZ_1G,
			       PHYR_IC_P2P | PHYR_F_MMIO, GFP_KERNEL);
	if (!ret)
		ret = phyr_list_append(&l, 0x4180000000ull, 3, PHYR_IC_LINK,
				       GFP_KERNEL);
	if (!ret)
		phyr_demo_print(m, "a 6 GiB P2P range and a 3-byte link range", &l);
	phyr_list_free(&l);
	return ret;
}

static int phyr_demo_show(struct seq_file *m, void *unused)
{
	int ret;

	seq_printf(m, "struct phyr: %zu bytes; struct scatterlist: %zu bytes\n",
		   sizeof(struct phyr), sizeof(struct scatterlist));
	ret = phyr_demo_pages(m);
	if (!ret)
		ret = phyr_demo_block(m);
	if (!ret)
		ret = phyr_demo_bars(m);
	if (!ret)
		ret = phyr_demo_large(m);
	if (ret)
		seq_printf(m, "demo failed: %d\n", ret);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(phyr_demo);

static int __init phyr_selftest_init(void)
{
	phyr_debugfs_root = debugfs_create_dir("phyr", NULL);
	debugfs_create_file("demo", 0444, phyr_debugfs_root, NULL,
			    &phyr_demo_fops);
	phyr_bench_register(phyr_debugfs_root);
	phyr_pin_bench_register(phyr_debugfs_root);
	return 0;
}

static void __exit phyr_selftest_exit(void)
{
	debugfs_remove_recursive(phyr_debugfs_root);
}

module_init(phyr_selftest_init);
module_exit(phyr_selftest_exit);

MODULE_DESCRIPTION("phyr: debugfs demo and benchmarks, for testing only");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DRM_PHYR);
