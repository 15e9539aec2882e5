// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl gbm-import: a buffer allocated the way applications allocate
 * them, through GBM, imported into vphyr.
 *
 * vphyr has no userspace driver: Mesa's GBM falls back to kms_swrast, which
 * allocates dumb buffers on the node it is given (the card node: dumb
 * buffers are not allowed on render nodes). On a vphyr instance with VRAM
 * a dumb buffer is VRAM: gbm_bo_get_fd() exports it as a vphyr dma-buf,
 * which the exporting instance imports as the object itself (its phyr list
 * shows the placement) and another instance imports peer-to-peer where
 * the topology allows. With --node the buffer comes from another driver's
 * node instead (vgem: a foreign exporter whose scatterlist vphyr's importer
 * converts into a dma_range table, via "sg").
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
#include <xf86drm.h>
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

static int gbm_buf_create(struct gbm_buf *b, struct vphyr_dev *on,
			  const struct gbm_opts *o)
{
	uint64_t linear = DRM_FORMAT_MOD_LINEAR;
	struct vphyr_dmabuf_info di;
	char node[64], s[32], ms[32];
	struct quiet q;
	uint64_t mod;
	char *card;

	if (o->node) {
		snprintf(node, sizeof(node), "%s", o->node);
	} else {
		/* dumb buffers live on the card node of the instance */
		card = drmGetPrimaryDeviceNameFromFd(vphyr_dev_fd(on));
		if (!card)
			return absent("%s has no card node", vphyr_dev_name(on));
		snprintf(node, sizeof(node), "%s", card);
		free(card);
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

/*
 * The buffer imported into the instance whose card node allocated it: the
 * object itself, whose phyr list says where it is.
 */
static int gbm_show_own(struct gbm_buf *b, struct vphyr_dev *on,
			const struct gbm_opts *o)
{
	struct vphyr_ranges t;
	uint32_t h;
	int ret;

	if (vphyr_gem_import(on, b->dmabuf, &h))
		return lib_error();
	ret = show_ranges(on, h, &o->show, &t);
	if (!ret) {
		if (t.kind != VPHYR_RANGES_KIND_PHYS ||
		    t.placement != VPHYR_PLACEMENT_VRAM)
			ret = error("the GBM buffer is not in the VRAM of %s (placement %s)",
				    vphyr_dev_name(on),
				    vphyr_placement_name(t.placement));
		else
			tprint("%sgbm: the buffer is a dumb buffer in the VRAM of %s\n",
			       note_indent, vphyr_dev_name(on));
		vphyr_ranges_free(&t);
	}
	vphyr_gem_close(on, h);
	return ret;
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

int gbm_import(struct vphyr_dev *on, struct vphyr_dev **devs, int ndev,
	       const struct gbm_opts *o)
{
	struct gbm_buf b = { .drm_fd = -1, .dmabuf = -1 };
	uint32_t seed = o->seed;
	int ret, i;

	ret = gbm_buf_create(&b, on, o);
	if (ret)
		goto out;
	if (!o->node) {
		ret = gbm_show_own(&b, on, o);
		if (ret)
			goto out;
	}
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

int gbm_import(struct vphyr_dev *on, struct vphyr_dev **devs, int ndev,
	       const struct gbm_opts *o)
{
	(void)on;
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
	int into[MAX_DEVS], n = opt->peers.n, i, ret, on = opt->on;
	struct vphyr_dev *devs[MAX_DEVS], *on_dev = NULL;
	struct devset ds;

	memcpy(into, opt->peers.v, sizeof(into));
	ret = devs_load(&ds);
	if (ret)
		return ret;
	if (on == NO_INSTANCE)
		on = devs_default_on(&ds);
	if (!n)
		into[n++] = o.node ? on : devs_default_peer(&ds, on);
	if (!o.node)
		ret = devs_open(&ds, on, &on_dev);
	if (!ret && on_dev && !(vphyr_dev_info(on_dev)->flags & VPHYR_DEV_VRAM))
		ret = error("%s has no VRAM: GBM would allocate system memory there",
			    vphyr_dev_name(on_dev));
	for (i = 0; i < n && !ret; i++)
		ret = devs_open(&ds, into[i], &devs[i]);
	if (!ret)
		ret = gbm_import(on_dev, devs, n, &o);
	devs_close(&ds);
	return ret;
}

const struct command cmd_gbm_import = {
	.name = "gbm-import",
	.synopsis = "[--on N] [--into M]... [--node PATH] [--width W]\n"
		    "                          [--height H] [--seed S] [--verbose] [--all] [--raw]\n"
		    "                          [--json]",
	.summary = "share a GBM (Mesa) buffer in VRAM and check it end to end",
	.help =
		"Allocate a linear XRGB8888 buffer with GBM on the card node of vphyr\n"
		"instance N (Mesa falls back to kms_swrast over dumb buffers there, which\n"
		"vphyr puts in VRAM), write a pattern into it through gbm_bo_map(),\n"
		"export it with gbm_bo_get_fd(), import the dma-buf into N itself to show\n"
		"its phyr list (placement VRAM), then into instance M: print the\n"
		"dma_range table (P2P where the topology allows), let M read it by\n"
		"GEM_DMA and compare every pixel row, then let M write a new pattern by\n"
		"DMA and check it through a GBM mapping.\n"
		"\n"
		"  -o, --on N      instance whose card node allocates (default: the first\n"
		"                  with VRAM)\n"
		"  -i, --into M    importing instance (repeatable; default: another, with\n"
		"                  VRAM if any)\n"
		"      --node PATH DRM card node of another driver for the GBM device\n"
		"                  (e.g. vgem's) instead of N's; M defaults to N\n"
		"      --width W   pixels (default 256)\n"
		"      --height H  rows (default 64)\n"
		"      --seed S    pattern seed (default 31)\n"
		"  -v, --verbose   show what Mesa prints while it looks for a driver\n"
		"      --all, --raw  table options (see alloc)\n"
		"\n"
		"Needs libgbm1 and libgl1-mesa-dri (kms_swrast_dri.so) at run time.\n"
		"Exits 3 without the instances or when built without GBM.\n"
		"\n"
		"Example: phyrctl gbm-import --on 1 --into 2\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with imports, tables, checks.\n",
	.options = OPT(ON) | OPT(INTO_ALL) | OPT(NODE) | OPT(WIDTH) | OPT(HEIGHT) |
		   OPT(SEED) | OPT(VERBOSE) | OPTS_TABLE |
		   OPTS_DATA,
	.seed = 31,
	.run = run_gbm_import,
};
