// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl gbm-import: a buffer allocated the way applications allocate
 * them, through GBM, imported into vphyr.
 *
 * vgem has no userspace driver: Mesa's GBM falls back to kms_swrast, which
 * allocates dumb buffers on the node it is given (the card node: dumb
 * buffers are not allowed on render nodes). gbm_bo_get_fd() exports the
 * buffer as a dma-buf of vgem, a foreign exporter whose scatterlist vphyr's
 * importer converts into a dma_range table (via "sg").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef PHYRCTL_NO_GBM
#include <drm_fourcc.h>
#include <gbm.h>
#endif

#include "phyrctl.h"

#ifndef PHYRCTL_NO_GBM

#define BPP 4	/* XRGB8888 */

/*
 * Mesa reports on stderr what it tries while it looks for a driver ("failed
 * to get driver name", MESA-LOADER lines): keep that aside and show it only
 * when the call fails or with --verbose.
 */
struct quiet {
	int saved;
	int memfd;
};

static void quiet_begin(struct quiet *q, bool verbose)
{
	q->saved = -1;
	q->memfd = -1;
	if (verbose)
		return;
	fflush(stderr);
	q->memfd = memfd_create("phyrctl-stderr", MFD_CLOEXEC);
	if (q->memfd < 0)
		return;
	q->saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (q->saved < 0 || dup2(q->memfd, 2) < 0) {
		if (q->saved >= 0)
			close(q->saved);
		close(q->memfd);
		q->saved = -1;
		q->memfd = -1;
	}
}

static void quiet_end(struct quiet *q, bool show)
{
	char buf[1024];
	ssize_t n;

	if (q->saved < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	dup2(q->saved, 2);
	close(q->saved);
	if (show && lseek(q->memfd, 0, SEEK_SET) == 0) {
		while ((n = read(q->memfd, buf, sizeof(buf))) > 0)
			if (write(2, buf, n) != n)
				break;
	}
	close(q->memfd);
	q->saved = -1;
	q->memfd = -1;
}

struct gbm_buf {
	int drm_fd;
	struct gbm_device *gbm;
	struct gbm_bo *bo;
	int dmabuf;
	uint32_t width, height, stride, offset;
	uint64_t size;
	const char *how;
};

/* Check every pixel row of @base (rows @pitch apart) against the pattern. */
static int check_rows(const unsigned char *base, uint32_t pitch,
		      const struct gbm_buf *b, uint32_t seed, const char *what)
{
	size_t bad = 0, n, first = 0;
	uint64_t row_bytes = (uint64_t)b->width * BPP, pos = 0;
	uint8_t got = 0, want = 0;
	uint32_t y;
	char s[32];

	for (y = 0; y < b->height; y++) {
		uint64_t at = b->offset + (uint64_t)y * b->stride;

		n = phyr_pattern_check(base + (uint64_t)y * pitch, row_bytes,
				       seed, at, &first);
		if (n && !bad) {
			pos = at + first;
			got = base[(uint64_t)y * pitch + first];
			want = phyr_pattern_byte(seed, pos);
		}
		bad += n;
	}
	json_check(what, row_bytes * b->height, seed, bad, pos);
	if (!bad) {
		tprint("%sverified: %s (%ux%u pixels, %s, pattern %u)\n",
		       check_indent, what,
		       b->width, b->height,
		       vphyr_size_name(row_bytes * b->height, s, sizeof(s)), seed);
		return EXIT_OK;
	}
	tprint("%sMISMATCH: %s: %zu of %" PRIu64 " bytes differ, first at dma-buf offset 0x%" PRIx64 ": expected 0x%02x, got 0x%02x\n",
	       check_indent, what, bad, row_bytes * b->height, pos, want, got);
	return EXIT_FAIL;
}

/* The CPU view of the buffer: gbm_bo_map(), else an mmap of the dma-buf. */
static int cpu_access(struct gbm_buf *b, bool write, uint32_t seed,
		      const char *what)
{
	uint32_t flags = write ? GBM_BO_TRANSFER_WRITE : GBM_BO_TRANSFER_READ;
	uint32_t pitch = 0, y;
	void *data = NULL;
	unsigned char *p;
	int ret = EXIT_OK;

	p = gbm_bo_map(b->bo, 0, 0, b->width, b->height, flags, &pitch, &data);
	if (p) {
		if (write) {
			for (y = 0; y < b->height; y++)
				phyr_pattern_fill(p + (uint64_t)y * pitch,
						  (size_t)b->width * BPP, seed,
						  b->offset +
						  (uint64_t)y * b->stride);
		} else {
			ret = check_rows(p, pitch, b, seed, what);
		}
		gbm_bo_unmap(b->bo, data);
		return ret;
	}

	/* no gbm_bo_map(): map the dma-buf itself */
	p = mmap(NULL, b->size, write ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, b->dmabuf, 0);
	if (p == MAP_FAILED)
		return error("gbm_bo_map failed and so did mmap of the dma-buf: %s",
			     strerror(errno));
	tprint("%sgbm: gbm_bo_map failed, using an mmap of the dma-buf\n",
	       note_indent);
	flags = write ? VPHYR_SYNC_WRITE : VPHYR_SYNC_READ;
	vphyr_dmabuf_sync(b->dmabuf, flags);
	if (write) {
		for (y = 0; y < b->height; y++)
			phyr_pattern_fill(p + b->offset + (uint64_t)y * b->stride,
					  (size_t)b->width * BPP, seed,
					  b->offset + (uint64_t)y * b->stride);
	} else {
		ret = check_rows(p + b->offset, b->stride, b, seed, what);
	}
	vphyr_dmabuf_sync(b->dmabuf, flags | VPHYR_SYNC_END);
	munmap(p, b->size);
	return ret;
}

static void gbm_buf_release(struct gbm_buf *b)
{
	if (b->dmabuf >= 0)
		close(b->dmabuf);
	if (b->bo)
		gbm_bo_destroy(b->bo);
	if (b->gbm)
		gbm_device_destroy(b->gbm);
	if (b->drm_fd >= 0)
		close(b->drm_fd);
}

static int gbm_buf_create(struct gbm_buf *b, const struct gbm_opts *o)
{
	uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct vphyr_dmabuf_info di;
	char node[64], s[32], ms[32];
	struct quiet q;
	uint64_t mod;

	if (o->node) {
		snprintf(node, sizeof(node), "%s", o->node);
	} else if (vphyr_find_drm_node("vgem", true, node, sizeof(node))) {
		return absent("no vgem card node (%s)", vphyr_last_error());
	}
	b->drm_fd = open(node, O_RDWR | O_CLOEXEC);
	if (b->drm_fd < 0)
		return error("open %s: %s", node, strerror(errno));

	quiet_begin(&q, o->verbose);
	b->gbm = gbm_create_device(b->drm_fd);
	quiet_end(&q, !b->gbm);
	if (!b->gbm)
		return error("gbm_create_device on %s failed (Mesa's kms_swrast needs libgl1-mesa-dri)",
			     node);
	tprint("%sgbm: GBM device on %s, backend \"%s\"\n", note_indent, node,
	       gbm_device_get_backend_name(b->gbm));

	quiet_begin(&q, o->verbose);
	b->how = "gbm_bo_create(LINEAR)";
	b->bo = gbm_bo_create(b->gbm, o->width, o->height, GBM_FORMAT_XRGB8888,
			      GBM_BO_USE_LINEAR);
	if (!b->bo) {
		b->how = "gbm_bo_create(LINEAR | RENDERING)";
		b->bo = gbm_bo_create(b->gbm, o->width, o->height,
				      GBM_FORMAT_XRGB8888,
				      GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING);
	}
	if (!b->bo) {
		b->how = "gbm_bo_create_with_modifiers(LINEAR)";
		b->bo = gbm_bo_create_with_modifiers(b->gbm, o->width,
						     o->height,
						     GBM_FORMAT_XRGB8888,
						     &linear, 1);
	}
	quiet_end(&q, !b->bo);
	if (!b->bo)
		return error("GBM could not allocate a linear %ux%u XRGB8888 buffer on %s: %s",
			     o->width, o->height, node, strerror(errno));
	b->width = gbm_bo_get_width(b->bo);
	b->height = gbm_bo_get_height(b->bo);
	b->stride = gbm_bo_get_stride(b->bo);
	b->offset = gbm_bo_get_offset(b->bo, 0);
	mod = gbm_bo_get_modifier(b->bo);
	if (mod == DRM_FORMAT_MOD_INVALID)
		snprintf(ms, sizeof(ms), "none (implicit)");
	else if (mod == DRM_FORMAT_MOD_LINEAR)
		snprintf(ms, sizeof(ms), "linear");
	else
		snprintf(ms, sizeof(ms), "0x%" PRIx64, mod);
	tprint("%sgbm: %ux%u XRGB8888 buffer from %s: stride %u, offset %u, modifier %s\n",
	       note_indent, b->width, b->height, b->how, b->stride, b->offset,
	       ms);

	b->dmabuf = gbm_bo_get_fd(b->bo);
	if (b->dmabuf < 0)
		return error("gbm_bo_get_fd failed: %s", strerror(errno));
	if (vphyr_dmabuf_info(b->dmabuf, &di))
		return lib_error();
	b->size = di.size;
	tprint("%sgbm: gbm_bo_get_fd gave dma-buf fd %d: %s, exporter \"%s\"\n",
	       note_indent, b->dmabuf, vphyr_size_name(di.size, s, sizeof(s)), di.exporter);
	if (b->stride < b->width * BPP ||
	    b->offset + (uint64_t)(b->height - 1) * b->stride +
	    (uint64_t)b->width * BPP > b->size)
		return error("the dma-buf (%" PRIu64 " bytes) is smaller than stride %u x %u rows at offset %u",
			     b->size, b->stride, b->height, b->offset);
	return EXIT_OK;
}

/* import into @dev, check by DMA, write by DMA, check through GBM */
static int gbm_check_on(struct gbm_buf *b, struct vphyr_dev *dev,
			uint32_t seed, const struct gbm_opts *o)
{
	unsigned char *buf;
	char what[200];
	uint32_t h;
	int ret;

	if (vphyr_gem_import(dev, b->dmabuf, &h))
		return lib_error();
	tprint("%sgbm: imported into %s as handle %u\n", note_indent,
	       vphyr_dev_name(dev), h);
	json_import(NULL, 0, "gbm", dev, h);
	ret = show_ranges(dev, h, &o->show, NULL);
	if (ret)
		goto close;
	buf = calloc(1, b->size);
	if (!buf) {
		ret = error("out of memory");
		goto close;
	}
	if (vphyr_gem_read(dev, h, 0, buf, b->size)) {
		ret = lib_error();
		goto free;
	}
	snprintf(what, sizeof(what),
		 "%s reads what the CPU wrote through GBM", vphyr_dev_name(dev));
	ret = check_rows(buf + b->offset, b->stride, b, seed, what);
	if (ret)
		goto free;
	phyr_pattern_fill(buf, b->size, seed + 1, 0);
	if (vphyr_gem_write(dev, h, 0, buf, b->size)) {
		ret = lib_error();
		goto free;
	}
	tprint("%sgbm: %s wrote pattern %u through its DMA addresses\n",
	       note_indent, vphyr_dev_name(dev), seed + 1);
	ret = cpu_access(b, false, seed + 1,
			 "the GBM mapping shows what the device wrote");
free:
	free(buf);
close:
	vphyr_gem_close(dev, h);
	return ret;
}

int gbm_import(struct vphyr_dev **devs, int ndev, const struct gbm_opts *o)
{
	struct gbm_buf b = { .drm_fd = -1, .dmabuf = -1 };
	uint32_t seed = o->seed;
	int ret, i;

	ret = gbm_buf_create(&b, o);
	if (ret)
		goto out;
	ret = cpu_access(&b, true, seed, NULL);
	if (ret)
		goto out;
	tprint("%sgbm: the CPU wrote pattern %u into it\n", note_indent, seed);
	for (i = 0; i < ndev && !ret; i++, seed++)
		ret = gbm_check_on(&b, devs[i], seed, o);
out:
	gbm_buf_release(&b);
	return ret;
}

#else /* PHYRCTL_NO_GBM */

int gbm_import(struct vphyr_dev **devs, int ndev, const struct gbm_opts *o)
{
	(void)devs;
	(void)ndev;
	(void)o;
	return absent("phyrctl was built without GBM (install libgbm-dev and rebuild)");
}

#endif /* PHYRCTL_NO_GBM */

static int run_gbm_import(const struct opts *opt)
{
	struct gbm_opts o = {
		.node = opt->node, .width = opt->width, .height = opt->height,
		.seed = opt->seed, .verbose = opt->verbose, .show = opt->table,
	};
	int into[MAX_DEVS], n = opt->peers.n, i, ret;
	struct vphyr_dev *devs[MAX_DEVS];
	struct devset ds;

	memcpy(into, opt->peers.v, sizeof(into));
	ret = devs_load(&ds);
	if (ret)
		return ret;
	if (!n)
		into[n++] = devs_default_on(&ds);
	for (i = 0; i < n && !ret; i++)
		ret = devs_open(&ds, into[i], &devs[i]);
	if (!ret)
		ret = gbm_import(devs, n, &o);
	devs_close(&ds);
	return ret;
}

const struct command cmd_gbm_import = {
	.name = "gbm-import",
	.synopsis = "[--into N]... [--node PATH] [--width W] [--height H]\n"
		    "                          [--seed S] [--verbose] [--all] [--raw] [--json]",
	.summary = "import a GBM (Mesa) buffer and check it end to end",
	.help =
		"Allocate a linear XRGB8888 buffer with GBM on vgem's card node (Mesa\n"
		"falls back to kms_swrast over dumb buffers there), write a pattern into\n"
		"it through gbm_bo_map(), export it with gbm_bo_get_fd() and import the\n"
		"dma-buf into instance N: print the dma_range table (a foreign exporter:\n"
		"via sg), let N read it by GEM_DMA and compare every pixel row, then let\n"
		"N write a new pattern by DMA and check it through a GBM mapping.\n"
		"\n"
		"  -i, --into N    importing instance (repeatable; default: the first with\n"
		"                  VRAM)\n"
		"      --node PATH DRM node for the GBM device (default: vgem's card node)\n"
		"      --width W   pixels (default 256)\n"
		"      --height H  rows (default 64)\n"
		"      --seed S    pattern seed (default 31)\n"
		"  -v, --verbose   show what Mesa prints while it looks for a driver\n"
		"      --all, --raw  table options (see alloc)\n"
		"\n"
		"Needs libgbm1 and libgl1-mesa-dri (kms_swrast_dri.so) at run time.\n"
		"Exits 3 without vgem or when built without GBM.\n"
		"\n"
		"Example: phyrctl gbm-import --into 1\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with imports, tables, checks.\n",
	.options = OPT(INTO_ALL) | OPT(NODE) | OPT(WIDTH) | OPT(HEIGHT) |
		   OPT(SEED) | OPT(VERBOSE) | OPTS_TABLE |
		   OPTS_DATA,
	.seed = 31,
	.run = run_gbm_import,
};
