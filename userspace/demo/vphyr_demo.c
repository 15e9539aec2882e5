// SPDX-License-Identifier: GPL-2.0-only
/*
 * vphyr_demo: export VRAM from one vphyr instance, import it into another
 * and show what each side sees: the exporter's phyr list, the importer's
 * DMA range table, and a copy the importing device made through those DMA
 * addresses, checked against what the CPU wrote; then the same after the
 * buffer was evicted to system memory while imported.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libphyr_test.h"

#define SIZE	(4u << 20)
#define SEED	0xd3e0

static int show_ranges(struct vphyr_bo *bo, const char *who)
{
	struct vphyr_ranges q;
	bool dma;
	uint32_t i;

	if (vphyr_bo_ranges(bo, &q))
		return -1;
	dma = q.kind == VPHYR_RANGES_KIND_DMA;
	printf("  %s: %s, %u %s, %" PRIu64 " bytes, placement %s, generation %u\n",
	       who, dma ? "dma_range table" : "phyr list", q.count,
	       q.count == 1 ? "entry" : "entries", q.total_len,
	       vphyr_placement_name(q.placement), q.generation);
	for (i = 0; i < q.count && i < 16; i++)
		printf("    [%u] %s 0x%012" PRIx64 " + 0x%" PRIx64 "  %s%s%s%s\n",
		       i, dma ? "dma " : "phys", q.range[i].addr,
		       q.range[i].len, vphyr_ic_name(q.range[i].ic),
		       q.range[i].mmio ? " mmio" : "", dma ? " via " : "",
		       dma ? vphyr_via_name(q.range[i].via) : "");
	if (q.count > 16)
		printf("    ... %u more\n", q.count - 16);
	vphyr_ranges_free(&q);
	return 0;
}

/* The first two instances with VRAM, opened. */
static int open_pair(struct vphyr_dev **a, struct vphyr_dev **b)
{
	struct vphyr_device_info info[16];
	struct vphyr_dev **want[2] = { a, b };
	int i, n, found = 0;

	n = vphyr_list_devices(info, 16);
	for (i = 0; i < n && i < 16 && found < 2; i++) {
		if (!(info[i].flags & VPHYR_DEV_VRAM))
			continue;
		if (vphyr_dev_open(info[i].instance, want[found]))
			return -1;
		printf("  instance %u (%s): VRAM 0x%" PRIx64 " + %" PRIu64 " MiB%s\n",
		       info[i].instance, info[i].node, info[i].vram_base,
		       info[i].vram_size >> 20,
		       info[i].flags & VPHYR_DEV_IOMMU ? ", behind an IOMMU" : "");
		found++;
	}
	if (found < 2)
		printf("vphyr demo: needs two vphyr instances with VRAM, found %d\n",
		       found);
	return found < 2 ? 1 : 0;
}

/* The importer's device reads the whole buffer; 0 if it matches. */
static int device_copy(struct vphyr_bo *bo, void *back, const char *when)
{
	size_t bad;

	memset(back, 0, SIZE);
	if (vphyr_bo_read(bo, 0, back, SIZE))
		return -1;
	bad = phyr_pattern_check(back, SIZE, SEED, 0, NULL);
	printf("  device copy of %u bytes%s %s what the CPU wrote\n", SIZE,
	       when, bad ? "DIFFERS from" : "matches");
	return bad ? 1 : 0;
}

/* Share @bo of instance a with instance b, read it there, move it. */
static int share(struct vphyr_bo *bo, struct vphyr_dev *b, void *back)
{
	struct vphyr_bo *imported;
	int dmabuf, bad;

	printf("3. export as a dma-buf, import into %s\n", vphyr_dev_name(b));
	if (vphyr_bo_export(bo, &dmabuf))
		return -1;
	bad = vphyr_bo_import(b, dmabuf, &imported);
	close(dmabuf);
	if (bad)
		return -1;
	if (show_ranges(imported, "importer") || show_ranges(bo, "exporter"))
		goto err;

	printf("4. %s reads the buffer through its DMA addresses\n",
	       vphyr_dev_name(b));
	bad = device_copy(imported, back, "");
	if (bad < 0)
		goto err;

	printf("5. evict the buffer to system memory while it is imported\n");
	if (vphyr_bo_evict(bo) || show_ranges(bo, "exporter") ||
	    show_ranges(imported, "importer"))
		goto err;
	bad |= device_copy(imported, back, " after the move");
	vphyr_bo_unref(imported);
	return bad < 0 ? -1 : bad;

err:
	vphyr_bo_unref(imported);
	return -1;
}

static int demo(struct vphyr_dev *a, struct vphyr_dev *b, void *back)
{
	struct vphyr_bo *bo;
	void *cpu;
	int ret;

	printf("2. allocate %u MiB of VRAM on %s and fill it from the CPU\n",
	       SIZE >> 20, vphyr_dev_name(a));
	if (vphyr_bo_create(a, SIZE, VPHYR_REGION_VRAM, &bo))
		return -1;
	ret = vphyr_bo_map(bo, &cpu);
	if (!ret) {
		phyr_pattern_fill(cpu, SIZE, SEED, 0);
		ret = show_ranges(bo, "exporter");
	}
	if (!ret)
		ret = share(bo, b, back);
	vphyr_bo_unref(bo);
	return ret;
}

int main(void)
{
	struct vphyr_dev *a = NULL, *b = NULL;
	void *back = NULL;
	int ret;

	printf("1. two vphyr instances with VRAM (ivshmem BARs):\n");
	ret = open_pair(&a, &b);
	if (ret > 0)
		goto out;
	back = ret ? NULL : malloc(SIZE);
	ret = back ? demo(a, b, back) : -1;
	if (ret < 0)
		printf("vphyr demo: failed: %s\n", vphyr_last_error());
	else
		printf("vphyr demo: %s\n", ret ? "FAILED" : "OK");
out:
	free(back);
	vphyr_dev_close(b);
	vphyr_dev_close(a);
	return ret ? 1 : 0;
}
