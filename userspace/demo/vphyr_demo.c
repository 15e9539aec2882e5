// SPDX-License-Identifier: GPL-2.0-only
/*
 * vphyr_demo: export VRAM from one vphyr instance, import it into another
 * and show what each side sees: the exporter's phyr list, the importer's
 * DMA range table, and a copy the importing device made through those DMA
 * addresses, checked against what the CPU wrote.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "vphyr_drm.h"

#define SIZE	(4u << 20)

struct dev {
	int fd;
	struct drm_vphyr_info info;
	char node[280];
};

static int open_vram_devices(struct dev *devs, int max)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/dev/dri");
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct dev *v = &devs[n];
		drmVersionPtr ver;

		if (strncmp(de->d_name, "renderD", 7))
			continue;
		snprintf(v->node, sizeof(v->node), "/dev/dri/%s", de->d_name);
		v->fd = open(v->node, O_RDWR | O_CLOEXEC);
		if (v->fd < 0)
			continue;
		ver = drmGetVersion(v->fd);
		if (ver && !strcmp(ver->name, "vphyr") &&
		    !drmIoctl(v->fd, DRM_IOCTL_VPHYR_INFO, &v->info) &&
		    (v->info.flags & VPHYR_INFO_VRAM))
			n++;
		else
			close(v->fd);
		drmFreeVersion(ver);
	}
	closedir(d);
	return n;
}

static const char *ic_name(uint32_t flags)
{
	static const char *const names[] = { "host", "device", "p2p", "link" };

	return names[flags & VPHYR_RANGE_IC_MASK];
}

static const char *via_name(uint32_t flags)
{
	static const char *const names[] = {
		"direct", "page", "pci-bus-address", "host-bridge", "iommu",
		"link", "exporter-sg", "?",
	};

	return names[(flags & VPHYR_RANGE_VIA_MASK) >> 4];
}

static int show_ranges(int fd, uint32_t handle, const char *who)
{
	struct drm_vphyr_range r[16];
	struct drm_vphyr_gem_ranges q = {
		.handle = handle, .count = 16,
		.ranges_ptr = (uintptr_t)r,
	};
	static const char *const place[] = { "?", "VRAM", "system", "imported" };

	if (drmIoctl(fd, DRM_IOCTL_VPHYR_GEM_RANGES, &q)) {
		fprintf(stderr, "GEM_RANGES: %s\n", strerror(errno));
		return -1;
	}
	printf("  %s: %s, %u %s, %" PRIu64 " bytes, placement %s, generation %u\n",
	       who, q.kind == VPHYR_RANGES_PHYS ? "phyr list" : "dma_range table",
	       q.count, q.count == 1 ? "entry" : "entries", (uint64_t)q.total_len,
	       place[q.placement < 4 ? q.placement : 0], q.generation);
	for (uint32_t i = 0; i < q.count && i < 16; i++)
		printf("    [%u] %s 0x%012" PRIx64 " + 0x%" PRIx64 "  %s%s%s%s\n", i,
		       q.kind == VPHYR_RANGES_PHYS ? "phys" : "dma ",
		       (uint64_t)r[i].addr, (uint64_t)r[i].len, ic_name(r[i].flags),
		       r[i].flags & VPHYR_RANGE_MMIO ? " mmio" : "",
		       q.kind == VPHYR_RANGES_DMA ? " via " : "",
		       q.kind == VPHYR_RANGES_DMA ? via_name(r[i].flags) : "");
	return 0;
}

int main(void)
{
	struct drm_vphyr_gem_create c = { .size = SIZE, .flags = VPHYR_GEM_VRAM };
	struct drm_vphyr_gem_mmap m = { 0 };
	struct drm_vphyr_gem_dma dma = { 0 };
	struct drm_vphyr_gem_evict ev = { 0 };
	struct dev devs[8];
	uint32_t *cpu, *back, imported;
	int n, dmabuf, bad = 0;

	n = open_vram_devices(devs, 8);
	if (n < 2) {
		printf("vphyr demo: needs two vphyr instances with VRAM, found %d\n", n);
		return 1;
	}
	struct dev *a = &devs[0], *b = &devs[1];

	printf("1. two vphyr instances with VRAM (ivshmem BARs):\n");
	for (int i = 0; i < 2; i++)
		printf("  instance %u (%s): VRAM 0x%" PRIx64 " + %" PRIu64 " MiB%s\n",
		       devs[i].info.instance, devs[i].node,
		       (uint64_t)devs[i].info.vram_base,
		       (uint64_t)devs[i].info.vram_size >> 20,
		       devs[i].info.flags & VPHYR_INFO_IOMMU ? ", behind an IOMMU" : "");

	printf("2. allocate %u MiB of VRAM on instance %u and fill it from the CPU\n",
	       SIZE >> 20, a->info.instance);
	if (drmIoctl(a->fd, DRM_IOCTL_VPHYR_GEM_CREATE, &c))
		goto fail;
	m.handle = c.handle;
	if (drmIoctl(a->fd, DRM_IOCTL_VPHYR_GEM_MMAP, &m))
		goto fail;
	cpu = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, m.offset);
	if (cpu == MAP_FAILED)
		goto fail;
	for (uint32_t i = 0; i < SIZE / 4; i++)
		cpu[i] = i * 2654435761u;
	if (show_ranges(a->fd, c.handle, "exporter"))
		goto fail;

	printf("3. export as a dma-buf, import into instance %u\n", b->info.instance);
	if (drmPrimeHandleToFD(a->fd, c.handle, DRM_CLOEXEC | DRM_RDWR, &dmabuf) ||
	    drmPrimeFDToHandle(b->fd, dmabuf, &imported))
		goto fail;
	if (show_ranges(b->fd, imported, "importer"))
		goto fail;
	if (show_ranges(a->fd, c.handle, "exporter"))
		goto fail;

	printf("4. instance %u reads the buffer through its DMA addresses\n",
	       b->info.instance);
	back = calloc(1, SIZE);
	dma = (struct drm_vphyr_gem_dma){
		.handle = imported, .flags = VPHYR_DMA_READ, .size = SIZE,
		.data_ptr = (uintptr_t)back,
	};
	if (!back || drmIoctl(b->fd, DRM_IOCTL_VPHYR_GEM_DMA, &dma))
		goto fail;
	bad = memcmp(back, cpu, SIZE) != 0;
	printf("  device copy of %u bytes %s what the CPU wrote\n", SIZE,
	       bad ? "DIFFERS from" : "matches");

	printf("5. evict the buffer to system memory while it is imported\n");
	ev.handle = c.handle;
	if (drmIoctl(a->fd, DRM_IOCTL_VPHYR_GEM_EVICT, &ev))
		goto fail;
	if (show_ranges(a->fd, c.handle, "exporter") ||
	    show_ranges(b->fd, imported, "importer"))
		goto fail;
	memset(back, 0, SIZE);
	if (drmIoctl(b->fd, DRM_IOCTL_VPHYR_GEM_DMA, &dma))
		goto fail;
	bad |= memcmp(back, cpu, SIZE) != 0;
	printf("  device copy after the move %s\n",
	       memcmp(back, cpu, SIZE) ? "DIFFERS" : "matches");

	munmap(cpu, SIZE);
	free(back);
	close(dmabuf);
	printf("vphyr demo: %s\n", bad ? "FAILED" : "OK");
	return bad;

fail:
	printf("vphyr demo: failed: %s\n", strerror(errno));
	return 1;
}
