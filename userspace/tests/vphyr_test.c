// SPDX-License-Identifier: GPL-2.0-only
/*
 * vphyr_test: userspace tests of the vphyr DRM driver.
 *
 * Every case runs in a child process of its own with freshly opened
 * device files, so whatever one case leaves behind (even by crashing)
 * cannot change what the next one sees; the child also releases every
 * resource it took before it exits. The parent prints one line per case:
 *
 *	PASS name
 *	FAIL name
 *	SKIP name reason
 *
 * and diagnostics go to stderr. The P2P expectation (phyr_p2p=none|host|bus)
 * comes from the kernel command line or from --p2p.
 *
 * usage: vphyr_test [--list] [--run NAME]... [--p2p none|host|bus]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/udmabuf.h>

#include "vphyr_umem.h"
#include "vphyr_util.h"

#define CASE_TIMEOUT_S	90
#define BAD_HANDLE	0x7ffffff0u
#define OBJ_PAGES	16

static uint64_t obj_size(void)
{
	return OBJ_PAGES * g.page;
}

static const char *p2p_name(enum p2p_mode m)
{
	switch (m) {
	case P2P_NONE:
		return "none";
	case P2P_HOST:
		return "host";
	case P2P_BUS:
		return "bus";
	default:
		return "unknown";
	}
}

/* The device most error cases use: a VRAM instance if there is one. */
static int primary(void)
{
	if (g.nvram)
		return g.vram[0];
	if (g.sys >= 0)
		return g.sys;
	return g.ndev ? 0 : -1;
}

#define NEED_DEVICE() \
	do { \
		if (!g.ndev) \
			SKIP("no vphyr device"); \
	} while (0)

#define NEED_VRAM(n) \
	do { \
		if (g.nvram < (n)) \
			SKIP("needs %d VRAM instance(s), found %d", (n), \
			     g.nvram); \
	} while (0)

#define NEED_SYS() \
	do { \
		if (g.sys < 0) \
			SKIP("no vphyr instance without VRAM"); \
	} while (0)

#define NEED_VGEM() \
	do { \
		if (!g.vgem_path[0]) \
			SKIP("no vgem device"); \
	} while (0)

#define NEED_P2P() \
	do { \
		if (g.p2p == P2P_UNKNOWN) \
			SKIP("P2P expectation unknown: %s", \
			     "no phyr_p2p= on the command line, no --p2p"); \
	} while (0)

/* Objects the error cases are tried on: a system object, a VRAM one. */
struct tobj {
	int dev;
	int fd;
	uint32_t handle;
	uint32_t flags;
	const char *what;
};

static int make_error_objects(struct tobj *o, uint64_t size)
{
	int n = 0, d = primary(), ret;

	o[n] = (struct tobj){ .dev = d, .fd = g.dev[d].fd,
			      .flags = VPHYR_GEM_SYSTEM, .what = "system" };
	ret = obj_create(d, size, o[n].flags, &o[n].handle);
	if (!EXPECT_RET(ret, 0, "create a system object on %s", dev_name(d)))
		return -1;
	n++;
	if (!has_vram(d))
		return n;
	o[n] = (struct tobj){ .dev = d, .fd = g.dev[d].fd,
			      .flags = VPHYR_GEM_VRAM, .what = "VRAM" };
	ret = obj_create(d, size, o[n].flags, &o[n].handle);
	if (!EXPECT_RET(ret, 0, "create a VRAM object on %s", dev_name(d)))
		return -1;
	return n + 1;
}

/* How many of the handle numbers 1..max are open on fd. */
static int count_handles(int fd, uint32_t max)
{
	struct drm_vphyr_gem_ranges q;
	uint32_t h;
	int n = 0, ret;

	for (h = 1; h <= max; h++) {
		memset(&q, 0, sizeof(q));
		q.handle = h;
		ret = vp_ranges(fd, &q);
		if (!ret)
			n++;
		else if (ret != -ENOENT)
			t_note("GEM_RANGES on handle %u: %s", h, errname(ret));
	}
	return n;
}

/* ================= devices ================= */

static void case_devices_present(void)
{
	bool vm = g.p2p != P2P_UNKNOWN;
	int i;

	if (!vm && !g.ndev)
		SKIP("no vphyr device and no phyr_p2p= expectation");
	for (i = 0; i < g.ndev; i++)
		t_note("%s: flags 0x%x vram 0x%llx", dev_name(i),
		       g.dev[i].info.flags,
		       (unsigned long long)g.dev[i].info.vram_size);
	REQUIRE(g.ndev > 0, "no vphyr render node under /dev/dri");
	CHECK(g.sys >= 0, "no vphyr instance without VRAM");
	if (!vm)
		return;
	CHECK(g.nvram >= 2,
	      "%d VRAM instance(s); phyr_p2p=%s is about P2P between two",
	      g.nvram, p2p_name(g.p2p));
	CHECK(g.vgem_path[0], "no vgem card node under /dev/dri");
}

static void case_info(void)
{
	struct drm_vphyr_info info;
	uint32_t seen[MAX_DEVS];
	int i, j, ret;

	NEED_DEVICE();
	for (i = 0; i < g.ndev; i++) {
		const char *n = dev_name(i);

		seen[i] = NO_PEER;
		ret = vp_info(g.dev[i].fd, &info);
		if (!EXPECT_RET(ret, 0, "INFO on %s", n))
			continue;
		seen[i] = info.instance;
		for (j = 0; j < i; j++)
			CHECK(seen[j] == NO_PEER || seen[j] != info.instance,
			      "%s: instance number also used by %s", n,
			      dev_name(j));
		CHECK(!(info.flags & ~(VPHYR_INFO_VRAM | VPHYR_INFO_IOMMU)),
		      "%s: unknown flags 0x%x", n, info.flags);
		CHECK(!info.pad, "%s: pad %u", n, info.pad);
		CHECK(info.link_peer == NO_PEER, "%s: linked to %u at start",
		      n, info.link_peer);
		if (info.flags & VPHYR_INFO_VRAM) {
			CHECK(info.instance != 0, "%s: instance 0 has VRAM", n);
			CHECK(info.vram_size && !(info.vram_size % g.page),
			      "%s: vram_size 0x%llx", n,
			      (unsigned long long)info.vram_size);
			if (geteuid() == 0)
				CHECK(info.vram_base &&
				      !(info.vram_base % g.page),
				      "%s: vram_base 0x%llx reported to root",
				      n, (unsigned long long)info.vram_base);
		} else {
			CHECK(info.instance == 0,
			      "%s: no VRAM but instance %u", n, info.instance);
			CHECK(!info.vram_size && !info.vram_base,
			      "%s: no VRAM flag but vram_size 0x%llx base 0x%llx",
			      n, (unsigned long long)info.vram_size,
			      (unsigned long long)info.vram_base);
		}
	}
}

/* ================= own objects ================= */

static void create_and_check(int d, uint32_t flags)
{
	uint64_t sizes[] = { g.page, 3 * g.page, obj_size() };
	uint32_t place = flags == VPHYR_GEM_VRAM ? VPHYR_PLACE_VRAM :
						   VPHYR_PLACE_SYSTEM;
	struct expect e;
	struct table t;
	char what[128];
	uint32_t h;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(what, sizeof(what), "%s object of 0x%llx bytes on %s",
			 place == VPHYR_PLACE_VRAM ? "VRAM" : "system",
			 (unsigned long long)sizes[i], dev_name(d));
		ret = obj_create(d, sizes[i], flags, &h);
		if (!EXPECT_RET(ret, 0, "create %s", what))
			continue;
		CHECK(h != 0, "%s: handle 0", what);
		ret = get_table(g.dev[d].fd, h, &t);
		if (!EXPECT_RET(ret, 0, "GEM_RANGES of %s", what))
			continue;
		expect_own(&e, d, place, sizes[i]);
		check_table(what, &t, &e);
		CHECK(t.q.generation == 0, "%s: generation %u when new", what,
		      t.q.generation);
	}
}

static void case_create_system(void)
{
	int d;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++)
		create_and_check(d, VPHYR_GEM_SYSTEM);
}

static void case_create_vram(void)
{
	int i;

	NEED_VRAM(1);
	for (i = 0; i < g.nvram; i++)
		create_and_check(g.vram[i], VPHYR_GEM_VRAM);
}

/* CPU writes through mmap, the device reads by DMA, and the other way. */
static void mmap_dma_roundtrip(int d, uint32_t flags)
{
	uint64_t size = obj_size(), poff = g.page - 7, plen = 30;
	int fd = g.dev[d].fd, ret;
	unsigned char *map, *buf;
	uint32_t h;

	ret = obj_create(d, size, flags, &h);
	if (!EXPECT_RET(ret, 0, "create on %s", dev_name(d)))
		return;
	map = obj_map(fd, h, size);
	buf = t_alloc(size);
	if (!map || !buf)
		return;

	fill_pattern(buf, size, 1, 0);
	memcpy(map, buf, size);
	check_obj_dma("DMA read of what the CPU wrote", fd, h, 0, size, 1);
	check_obj_dma("DMA read at an unaligned offset", fd, h, 100,
		      2 * g.page + 13, 1);

	if (!write_obj_dma(fd, h, 0, size, 2))
		return;
	memcpy(buf, map, size);
	check_pattern("CPU read of what the device wrote", buf, size, 2, 0);

	/* a short write across a page boundary changes only those bytes */
	if (!write_obj_dma(fd, h, poff, plen, 3))
		return;
	memcpy(buf, map, size);
	check_pattern("bytes before a short DMA write", buf, poff, 2, 0);
	check_pattern("a short DMA write across a page boundary", buf + poff,
		      plen, 3, poff);
	check_pattern("bytes after a short DMA write", buf + poff + plen,
		      size - poff - plen, 2, poff + plen);
}

static void case_mmap_dma_system(void)
{
	int d;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++)
		mmap_dma_roundtrip(d, VPHYR_GEM_SYSTEM);
}

static void case_mmap_dma_vram(void)
{
	int i;

	NEED_VRAM(1);
	for (i = 0; i < g.nvram; i++)
		mmap_dma_roundtrip(g.vram[i], VPHYR_GEM_VRAM);
}

/*
 * Find a system object with several ranges: large ones first, then one
 * allocated right after freeing every other page of a set of small ones.
 */
static int multi_range_object(int d, uint32_t *handle, struct table *t)
{
	uint64_t sizes[] = { 64 * g.page, 512 * g.page };
	uint32_t small[64], h;
	int fd = g.dev[d].fd, i, n, ret;
	size_t s;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		ret = obj_create(d, sizes[s], VPHYR_GEM_SYSTEM, &h);
		if (!EXPECT_RET(ret, 0, "create 0x%llx bytes",
				(unsigned long long)sizes[s]))
			return ret;
		ret = get_table(fd, h, t);
		if (!EXPECT_RET(ret, 0, "GEM_RANGES"))
			return ret;
		if (t->q.count >= 2) {
			*handle = h;
			return 0;
		}
		t_close_handle(fd, h);
	}
	for (n = 0; n < 64; n++)
		if (obj_create(d, g.page, VPHYR_GEM_SYSTEM, &small[n]))
			break;
	for (i = 0; i < n; i += 2)
		t_close_handle(fd, small[i]);
	ret = obj_create(d, 32 * g.page, VPHYR_GEM_SYSTEM, &h);
	if (!EXPECT_RET(ret, 0, "create 32 pages"))
		return ret;
	ret = get_table(fd, h, t);
	if (!EXPECT_RET(ret, 0, "GEM_RANGES"))
		return ret;
	*handle = h;
	return 0;
}

static bool query_truncated(int fd, uint32_t h, const struct table *full,
			    uint32_t room)
{
	struct drm_vphyr_gem_ranges q = { .handle = h, .count = room };
	struct drm_vphyr_range *r, sentinel;
	uint32_t n = full->q.count, i;
	bool ok = true;
	int ret;

	r = t_alloc((room + 1) * sizeof(*r));
	if (!r)
		return false;
	memset(r, 0xa5, (room + 1) * sizeof(*r));
	memset(&sentinel, 0xa5, sizeof(sentinel));
	q.ranges_ptr = (uintptr_t)r;
	ret = vp_ranges(fd, &q);
	if (!EXPECT_RET(ret, 0, "GEM_RANGES with room for %u of %u", room, n))
		return false;
	ok &= CHECK(q.count == n, "room for %u: count %u, expected %u", room,
		    q.count, n);
	ok &= CHECK(q.total_len == full->q.total_len && q.kind == full->q.kind &&
		    q.placement == full->q.placement,
		    "room for %u: total/kind/placement differ from a full read",
		    room);
	for (i = 0; i < room; i++)
		ok &= CHECK(!memcmp(&r[i], &full->r[i], sizeof(r[i])),
			    "room for %u: entry %u differs from a full read",
			    room, i);
	ok &= CHECK(!memcmp(&r[room], &sentinel, sizeof(sentinel)),
		    "room for %u: entry %u written", room, room);
	return ok;
}

static void case_ranges_truncated(void)
{
	int d = g.sys >= 0 ? g.sys : primary();
	struct table t;
	uint32_t h = 0, n;

	NEED_DEVICE();
	if (multi_range_object(d, &h, &t))
		return;
	n = t.q.count;
	t_note("object with %u range(s) on %s", n, dev_name(d));
	query_truncated(g.dev[d].fd, h, &t, 0);
	if (n < 2) {
		t_note("no object with several ranges found: only count 0 was tried");
		return;
	}
	query_truncated(g.dev[d].fd, h, &t, 1);
	if (n > 2)
		query_truncated(g.dev[d].fd, h, &t, n - 1);
}

/* ================= CREATE errors ================= */

static void case_create_flags_zero(void)
{
	uint32_t h;

	NEED_DEVICE();
	EXPECT_RET(vp_create(g.dev[primary()].fd, g.page, 0, &h), -EINVAL,
		   "create with flags 0");
}

static void case_create_flags_both(void)
{
	uint32_t h;

	NEED_DEVICE();
	EXPECT_RET(vp_create(g.dev[primary()].fd, g.page,
			     VPHYR_GEM_VRAM | VPHYR_GEM_SYSTEM, &h),
		   -EINVAL, "create with both placements");
}

static void case_create_flags_unknown(void)
{
	int d, fd;
	uint32_t h;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	EXPECT_RET(vp_create(fd, g.page, 1u << 2, &h), -EINVAL,
		   "create with flags 1 << 2");
	EXPECT_RET(vp_create(fd, g.page, VPHYR_GEM_SYSTEM | 1u << 2, &h),
		   -EINVAL, "create with SYSTEM | 1 << 2");
	EXPECT_RET(vp_create(fd, g.page, VPHYR_GEM_SYSTEM | 1u << 31, &h),
		   -EINVAL, "create with SYSTEM | 1 << 31");
	if (has_vram(d))
		EXPECT_RET(vp_create(fd, g.page, VPHYR_GEM_VRAM | 1u << 2, &h),
			   -EINVAL, "create with VRAM | 1 << 2");
}

static void case_create_size_zero(void)
{
	int d, fd;
	uint32_t h;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	EXPECT_RET(vp_create(fd, 0, VPHYR_GEM_SYSTEM, &h), -EINVAL,
		   "system object of size 0");
	if (has_vram(d))
		EXPECT_RET(vp_create(fd, 0, VPHYR_GEM_VRAM, &h), -EINVAL,
			   "VRAM object of size 0");
}

static void case_create_size_unaligned(void)
{
	uint64_t sizes[] = { 1, g.page - 1, g.page + 1, 3 * g.page + 512 };
	int d, fd;
	uint32_t h;
	size_t i;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_RET(vp_create(fd, sizes[i], VPHYR_GEM_SYSTEM, &h),
			   -EINVAL, "system object of size 0x%llx",
			   (unsigned long long)sizes[i]);
		if (has_vram(d))
			EXPECT_RET(vp_create(fd, sizes[i], VPHYR_GEM_VRAM, &h),
				   -EINVAL, "VRAM object of size 0x%llx",
				   (unsigned long long)sizes[i]);
	}
}

static void case_create_vram_too_big(void)
{
	uint64_t vs;
	uint32_t h;
	int i, d;

	NEED_VRAM(1);
	for (i = 0; i < g.nvram; i++) {
		d = g.vram[i];
		vs = g.dev[d].info.vram_size;
		EXPECT_RET(vp_create(g.dev[d].fd, vs + g.page, VPHYR_GEM_VRAM,
				     &h),
			   -E2BIG, "VRAM object of vram_size + 1 page on %s",
			   dev_name(d));
		EXPECT_RET(vp_create(g.dev[d].fd, 2 * vs, VPHYR_GEM_VRAM, &h),
			   -E2BIG, "VRAM object of 2 * vram_size on %s",
			   dev_name(d));
	}
}

static void case_create_vram_no_vram(void)
{
	uint32_t h;

	NEED_SYS();
	EXPECT_RET(vp_create(g.dev[g.sys].fd, g.page, VPHYR_GEM_VRAM, &h),
		   -ENODEV, "VRAM object on %s", dev_name(g.sys));
}

#define MAX_FILL 4096

static void fill_vram(int d)
{
	uint64_t vs = g.dev[d].info.vram_size, chunk, total = 0;
	int fd = g.dev[d].fd, n = 0, i, ret;
	bool full = false;
	uint32_t *hs, h;

	hs = t_alloc(MAX_FILL * sizeof(*hs));
	if (!hs)
		return;
	chunk = (vs / 4) & ~(g.page - 1);
	if (!chunk)
		chunk = g.page;
	while (n < MAX_FILL) {
		ret = obj_create(d, chunk, VPHYR_GEM_VRAM, &h);
		if (!ret) {
			hs[n++] = h;
			total += chunk;
			/* more than fits: something moved out of VRAM */
			if (!CHECK(total <= vs,
				   "%s: 0x%llx bytes of VRAM objects in 0x%llx",
				   dev_name(d), (unsigned long long)total,
				   (unsigned long long)vs))
				break;
			continue;
		}
		if (!EXPECT_RET(ret, -ENOSPC,
				"VRAM object of 0x%llx bytes with 0x%llx of 0x%llx allocated on %s",
				(unsigned long long)chunk,
				(unsigned long long)total,
				(unsigned long long)vs, dev_name(d)))
			break;
		if (chunk == g.page) {
			full = true;
			break;
		}
		chunk = (chunk / 2) & ~(g.page - 1);
		if (chunk < g.page)
			chunk = g.page;
	}
	t_note("%s: %d objects, 0x%llx of 0x%llx bytes before ENOSPC",
	       dev_name(d), n, (unsigned long long)total,
	       (unsigned long long)vs);
	CHECK(full, "%s: never got ENOSPC after %d objects", dev_name(d), n);
	CHECK(total > 0 && total <= vs,
	      "%s: 0x%llx bytes allocated of a 0x%llx VRAM", dev_name(d),
	      (unsigned long long)total, (unsigned long long)vs);
	for (i = 0; i < n; i++)
		EXPECT_RET(t_close_handle(fd, hs[i]), 0, "close handle %u",
			   hs[i]);
	/* freeing it all gives the space back */
	ret = obj_create(d, (vs / 2) & ~(g.page - 1), VPHYR_GEM_VRAM, &h);
	if (EXPECT_RET(ret, 0, "half the VRAM after freeing everything on %s",
		       dev_name(d)))
		t_close_handle(fd, h);
}

static void case_create_vram_enospc(void)
{
	int i;

	NEED_VRAM(1);
	for (i = 0; i < g.nvram; i++)
		fill_vram(g.vram[i]);
}

/* ================= MMAP errors ================= */

static void case_mmap_pad_nonzero(void)
{
	int d, fd;
	uint64_t off;
	uint32_t h;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	if (!EXPECT_RET(obj_create(d, g.page, VPHYR_GEM_SYSTEM, &h), 0,
			"create"))
		return;
	EXPECT_RET(vp_mmap_offset(fd, h, 1, &off), -EINVAL, "GEM_MMAP pad 1");
	EXPECT_RET(vp_mmap_offset(fd, h, 1u << 31, &off), -EINVAL,
		   "GEM_MMAP pad 1 << 31");
	EXPECT_RET(vp_mmap_offset(fd, h, 0, &off), 0, "GEM_MMAP pad 0");
}

static void case_mmap_bad_handle(void)
{
	int fd, stale;
	uint64_t off;

	NEED_DEVICE();
	fd = g.dev[primary()].fd;
	EXPECT_RET(vp_mmap_offset(fd, BAD_HANDLE, 0, &off), -ENOENT,
		   "GEM_MMAP of handle 0x%x", BAD_HANDLE);
	stale = stale_handle(fd);
	if (stale > 0)
		EXPECT_RET(vp_mmap_offset(fd, stale, 0, &off), -ENOENT,
			   "GEM_MMAP of closed handle %d", stale);
}

/* ================= RANGES errors ================= */

static void case_ranges_flags_nonzero(void)
{
	struct drm_vphyr_gem_ranges q;
	uint32_t flags[] = { 1, 1u << 31 };
	int d, fd;
	uint32_t h;
	size_t i;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	if (!EXPECT_RET(obj_create(d, g.page, VPHYR_GEM_SYSTEM, &h), 0,
			"create"))
		return;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		memset(&q, 0, sizeof(q));
		q.handle = h;
		q.flags = flags[i];
		EXPECT_RET(vp_ranges(fd, &q), -EINVAL, "GEM_RANGES flags 0x%x",
			   flags[i]);
	}
	memset(&q, 0, sizeof(q));
	q.handle = h;
	EXPECT_RET(vp_ranges(fd, &q), 0, "GEM_RANGES flags 0");
}

static void case_ranges_bad_handle(void)
{
	struct drm_vphyr_gem_ranges q;
	int fd, stale;

	NEED_DEVICE();
	fd = g.dev[primary()].fd;
	memset(&q, 0, sizeof(q));
	q.handle = BAD_HANDLE;
	EXPECT_RET(vp_ranges(fd, &q), -ENOENT, "GEM_RANGES of handle 0x%x",
		   BAD_HANDLE);
	stale = stale_handle(fd);
	if (stale <= 0)
		return;
	memset(&q, 0, sizeof(q));
	q.handle = stale;
	EXPECT_RET(vp_ranges(fd, &q), -ENOENT, "GEM_RANGES of closed handle %d",
		   stale);
}

static void case_ranges_efault(void)
{
	struct tobj o[2];
	struct drm_vphyr_gem_ranges q;
	int i, n;
	void *bad;

	NEED_DEVICE();
	n = make_error_objects(o, obj_size());
	for (i = 0; i < n; i++) {
		memset(&q, 0, sizeof(q));
		q.handle = o[i].handle;
		if (!EXPECT_RET(vp_ranges(o[i].fd, &q), 0, "count the ranges"))
			continue;
		REQUIRE(q.count > 0, "%s object: no ranges", o[i].what);
		bad = unmapped_address();
		if (!bad)
			return;
		memset(&q, 0, sizeof(q));
		q.handle = o[i].handle;
		q.count = 1;
		q.ranges_ptr = (uintptr_t)bad;
		EXPECT_RET(vp_ranges(o[i].fd, &q), -EFAULT,
			   "%s object: GEM_RANGES into unmapped memory",
			   o[i].what);
	}
}

/* ================= DMA errors ================= */

#define DMA_PAGES 4

static void dma_expect(int ret_want, uint32_t flags, uint64_t off,
		       uint64_t len, bool bad_ptr)
{
	struct tobj o[2];
	void *buf, *ptr;
	int i, n;

	NEED_DEVICE();
	n = make_error_objects(o, DMA_PAGES * g.page);
	buf = t_alloc(2 * DMA_PAGES * g.page);
	if (!buf)
		return;
	for (i = 0; i < n; i++) {
		ptr = bad_ptr ? unmapped_address() : buf;
		if (!ptr)
			return;
		EXPECT_RET(vp_dma(o[i].fd, o[i].handle, flags, off, len, ptr),
			   ret_want,
			   "%s object of 0x%llx: GEM_DMA flags 0x%x offset 0x%llx size 0x%llx%s",
			   o[i].what, (unsigned long long)(DMA_PAGES * g.page),
			   flags, (unsigned long long)off,
			   (unsigned long long)len,
			   bad_ptr ? " into unmapped memory" : "");
	}
}

static void case_dma_flags_zero(void)
{
	dma_expect(-EINVAL, 0, 0, g.page, false);
}

static void case_dma_flags_both(void)
{
	dma_expect(-EINVAL, VPHYR_DMA_READ | VPHYR_DMA_WRITE, 0, g.page,
		   false);
}

static void case_dma_flags_unknown(void)
{
	dma_expect(-EINVAL, 1u << 2, 0, g.page, false);
	dma_expect(-EINVAL, VPHYR_DMA_READ | 1u << 2, 0, g.page, false);
	dma_expect(-EINVAL, VPHYR_DMA_WRITE | 1u << 31, 0, g.page, false);
}

static void case_dma_size_zero(void)
{
	dma_expect(-EINVAL, VPHYR_DMA_READ, 0, 0, false);
	dma_expect(-EINVAL, VPHYR_DMA_WRITE, 0, 0, false);
	dma_expect(-EINVAL, VPHYR_DMA_READ, g.page, 0, false);
}

static void case_dma_out_of_bounds(void)
{
	uint64_t size = DMA_PAGES * g.page;
	uint32_t dirs[] = { VPHYR_DMA_READ, VPHYR_DMA_WRITE };
	size_t i;

	for (i = 0; i < 2; i++) {
		dma_expect(-EINVAL, dirs[i], size - g.page, 2 * g.page, false);
		dma_expect(-EINVAL, dirs[i], size, 1, false);
		dma_expect(-EINVAL, dirs[i], 0, size + 1, false);
		dma_expect(-EINVAL, dirs[i], size + g.page, g.page, false);
		/* the same access ending exactly at the end is fine */
		dma_expect(0, dirs[i], size - g.page, g.page, false);
	}
}

static void case_dma_wrap(void)
{
	uint32_t dirs[] = { VPHYR_DMA_READ, VPHYR_DMA_WRITE };
	size_t i;

	/* offset + size wraps past 2^64 to a small value inside the object */
	for (i = 0; i < 2; i++) {
		dma_expect(-EINVAL, dirs[i], UINT64_MAX - g.page + 1,
			   2 * g.page, false);
		dma_expect(-EINVAL, dirs[i], UINT64_MAX, 2, false);
	}
}

static void case_dma_read_efault(void)
{
	dma_expect(-EFAULT, VPHYR_DMA_READ, 0, g.page, true);
}

static void case_dma_write_efault(void)
{
	dma_expect(-EFAULT, VPHYR_DMA_WRITE, 0, g.page, true);
}

static void case_dma_bad_handle(void)
{
	int fd, stale;
	void *buf;

	NEED_DEVICE();
	fd = g.dev[primary()].fd;
	buf = t_alloc(g.page);
	if (!buf)
		return;
	EXPECT_RET(vp_dma(fd, BAD_HANDLE, VPHYR_DMA_READ, 0, g.page, buf),
		   -ENOENT, "GEM_DMA read of handle 0x%x", BAD_HANDLE);
	EXPECT_RET(vp_dma(fd, BAD_HANDLE, VPHYR_DMA_WRITE, 0, g.page, buf),
		   -ENOENT, "GEM_DMA write of handle 0x%x", BAD_HANDLE);
	stale = stale_handle(fd);
	if (stale <= 0)
		return;
	EXPECT_RET(vp_dma(fd, stale, VPHYR_DMA_READ, 0, g.page, buf), -ENOENT,
		   "GEM_DMA read of closed handle %d", stale);
	EXPECT_RET(vp_dma(fd, stale, VPHYR_DMA_WRITE, 0, g.page, buf), -ENOENT,
		   "GEM_DMA write of closed handle %d", stale);
}

/* ================= EVICT ================= */

static void case_evict_flags_nonzero(void)
{
	uint32_t flags[] = { 1, 1u << 31 };
	struct expect e;
	struct table t;
	int d, fd;
	uint32_t h, place;
	size_t i;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	place = has_vram(d) ? VPHYR_PLACE_VRAM : VPHYR_PLACE_SYSTEM;
	if (!EXPECT_RET(obj_create(d, obj_size(), has_vram(d) ?
				   VPHYR_GEM_VRAM : VPHYR_GEM_SYSTEM, &h),
			0, "create"))
		return;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		EXPECT_RET(vp_evict(fd, h, flags[i]), -EINVAL,
			   "GEM_EVICT flags 0x%x", flags[i]);
	/* and it did nothing */
	if (!EXPECT_RET(get_table(fd, h, &t), 0, "GEM_RANGES"))
		return;
	expect_own(&e, d, place, obj_size());
	check_table("after the failed evictions", &t, &e);
	CHECK(t.q.generation == 0, "generation %u after failed evictions",
	      t.q.generation);
}

static void case_evict_bad_handle(void)
{
	int fd, stale;

	NEED_DEVICE();
	fd = g.dev[primary()].fd;
	EXPECT_RET(vp_evict(fd, BAD_HANDLE, 0), -ENOENT,
		   "GEM_EVICT of handle 0x%x", BAD_HANDLE);
	stale = stale_handle(fd);
	if (stale > 0)
		EXPECT_RET(vp_evict(fd, stale, 0), -ENOENT,
			   "GEM_EVICT of closed handle %d", stale);
}

static int create_dumb(int fd, uint32_t *handle, uint64_t *size)
{
	struct drm_mode_create_dumb c = {
		.width = 256, .height = 16, .bpp = 32,
	};

	*handle = 0;
	*size = 0;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return -errno;
	t_track_handle(fd, c.handle);
	*handle = c.handle;
	*size = c.size;
	return 0;
}

static void *map_dumb(int fd, uint32_t handle, uint64_t size, int *err)
{
	struct drm_mode_map_dumb m = { .handle = handle };
	void *p;

	*err = 0;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m)) {
		*err = -errno;
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	if (p == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	t_track_map(p, size);
	return p;
}

static void case_evict_imported(void)
{
	int a, b, vg, err, tried = 0;
	uint32_t h, ih;
	uint64_t size;

	NEED_DEVICE();
	if (g.ndev >= 2) {
		a = g.sys >= 0 ? g.sys : 0;
		b = primary() != a ? primary() : (a + 1) % g.ndev;
		if (EXPECT_RET(obj_create(a, obj_size(), VPHYR_GEM_SYSTEM, &h),
			       0, "create") &&
		    !obj_share(g.dev[a].fd, h, g.dev[b].fd, &ih)) {
			EXPECT_RET(vp_evict(g.dev[b].fd, ih, 0), -EINVAL,
				   "GEM_EVICT of an object of %s imported into %s",
				   dev_name(a), dev_name(b));
			tried++;
		}
	}
	if (g.vgem_path[0]) {
		vg = vgem_fd();
		if (vg < 0)
			return;
		err = create_dumb(vg, &h, &size);
		if (EXPECT_RET(err, 0, "vgem dumb buffer") &&
		    !obj_share(vg, h, g.dev[primary()].fd, &ih)) {
			EXPECT_RET(vp_evict(g.dev[primary()].fd, ih, 0),
				   -EINVAL,
				   "GEM_EVICT of a vgem buffer imported into %s",
				   dev_name(primary()));
			tried++;
		}
	}
	if (!tried && !t_failed())
		SKIP("needs two vphyr devices or vgem");
}

static void case_evict_system_noop(void)
{
	struct table before, after;
	struct expect e;
	int d, fd;
	uint32_t h;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++) {
		fd = g.dev[d].fd;
		if (!EXPECT_RET(obj_create(d, obj_size(), VPHYR_GEM_SYSTEM, &h),
				0, "create on %s", dev_name(d)))
			continue;
		if (!write_obj_cpu(fd, h, obj_size(), 5))
			continue;
		if (!EXPECT_RET(get_table(fd, h, &before), 0, "GEM_RANGES"))
			continue;
		EXPECT_RET(vp_evict(fd, h, 0), 0,
			   "GEM_EVICT of a system object on %s", dev_name(d));
		if (!EXPECT_RET(get_table(fd, h, &after), 0, "GEM_RANGES"))
			continue;
		expect_own(&e, d, VPHYR_PLACE_SYSTEM, obj_size());
		check_table("system object after GEM_EVICT", &after, &e);
		CHECK(same_table(&before, &after),
		      "%s: the ranges changed", dev_name(d));
		CHECK(after.q.generation == before.q.generation,
		      "%s: generation %u -> %u", dev_name(d),
		      before.q.generation, after.q.generation);
		check_obj_dma("data after GEM_EVICT", fd, h, 0, obj_size(), 5);
	}
}

static void evict_vram(int d)
{
	int fd = g.dev[d].fd;
	uint64_t size = obj_size();
	struct table t, t2;
	struct expect e;
	uint32_t h;

	if (!EXPECT_RET(obj_create(d, size, VPHYR_GEM_VRAM, &h), 0,
			"create on %s", dev_name(d)))
		return;
	if (!write_obj_cpu(fd, h, size, 6))
		return;
	EXPECT_RET(vp_evict(fd, h, 0), 0, "GEM_EVICT on %s", dev_name(d));
	if (!EXPECT_RET(get_table(fd, h, &t), 0, "GEM_RANGES"))
		return;
	expect_own(&e, d, VPHYR_PLACE_SYSTEM, size);
	check_table("evicted VRAM object", &t, &e);
	CHECK(t.q.generation == 1, "generation %u after one eviction",
	      t.q.generation);
	check_obj_dma("DMA read after eviction", fd, h, 0, size, 6);
	check_obj_cpu("CPU read after eviction", fd, h, size, 6);
	if (write_obj_dma(fd, h, 0, size, 7))
		check_obj_cpu("CPU read of a DMA write after eviction", fd, h,
			      size, 7);

	/* evicting it again leaves it alone */
	EXPECT_RET(vp_evict(fd, h, 0), 0, "second GEM_EVICT");
	if (!EXPECT_RET(get_table(fd, h, &t2), 0, "GEM_RANGES"))
		return;
	CHECK(same_table(&t, &t2), "the ranges changed on a second eviction");
	CHECK(t2.q.generation == 1, "generation %u after a second eviction",
	      t2.q.generation);
}

static void case_evict_vram(void)
{
	int i;

	NEED_VRAM(1);
	for (i = 0; i < g.nvram; i++)
		evict_vram(g.vram[i]);
}

/* A mapping made before the eviction must follow the object. */
static void case_evict_mmap_follows(void)
{
	uint64_t size = obj_size();
	unsigned char *map, *buf;
	int d, fd;
	uint32_t h;

	NEED_VRAM(1);
	d = g.vram[0];
	fd = g.dev[d].fd;
	if (!EXPECT_RET(obj_create(d, size, VPHYR_GEM_VRAM, &h), 0, "create"))
		return;
	map = obj_map(fd, h, size);
	buf = t_alloc(size);
	if (!map || !buf)
		return;
	fill_pattern(buf, size, 8, 0);
	memcpy(map, buf, size);
	if (!EXPECT_RET(vp_evict(fd, h, 0), 0, "GEM_EVICT"))
		return;
	/* the old VRAM still holds seed 8: a stale mapping would show it */
	if (!write_obj_dma(fd, h, 0, size, 9))
		return;
	memcpy(buf, map, size);
	check_pattern("old mapping after eviction and a DMA write", buf, size,
		      9, 0);
	fill_pattern(buf, size, 10, 0);
	memcpy(map, buf, size);
	check_obj_dma("DMA read of a write through the old mapping", fd, h, 0,
		      size, 10);
}

/* ================= PRIME ================= */

static void case_prime_system_cross_instance(void)
{
	uint64_t size = obj_size();
	struct table t;
	struct expect e;
	int a, b, fa, fb;
	uint32_t h, ih;
	char what[160];

	if (g.ndev < 2)
		SKIP("needs two vphyr devices, found %d", g.ndev);
	for (a = 0; a < g.ndev; a++) {
		for (b = 0; b < g.ndev; b++) {
			if (a == b)
				continue;
			fa = g.dev[a].fd;
			fb = g.dev[b].fd;
			snprintf(what, sizeof(what),
				 "system object of %s imported into %s",
				 dev_name(a), dev_name(b));
			if (!EXPECT_RET(obj_create(a, size, VPHYR_GEM_SYSTEM,
						   &h), 0, "create"))
				continue;
			if (!write_obj_cpu(fa, h, size, 11))
				continue;
			if (obj_share(fa, h, fb, &ih))
				continue;
			if (EXPECT_RET(get_table(fb, ih, &t), 0,
				       "GEM_RANGES of the import")) {
				expect_dma(&e, VPHYR_RANGE_IC_HOST, 0,
					   VIA_HOSTMEM, size);
				check_table(what, &t, &e);
				CHECK(t.q.generation == 0,
				      "%s: generation %u", what,
				      t.q.generation);
			}
			check_obj_dma(what, fb, ih, 0, size, 11);
			if (write_obj_dma(fb, ih, 0, size, 12))
				check_obj_cpu("exporter's view of an importer's DMA write",
					      fa, h, size, 12);
			if (EXPECT_RET(get_table(fa, h, &t), 0,
				       "GEM_RANGES of the exporter")) {
				expect_own(&e, a, VPHYR_PLACE_SYSTEM, size);
				check_table("exporter", &t, &e);
			}
			t_close_handle(fb, ih);
			t_close_handle(fa, h);
		}
	}
}

static void vram_cross(int a, int b)
{
	uint64_t size = obj_size();
	int fa = g.dev[a].fd, fb = g.dev[b].fd;
	struct table ti, te;
	struct expect e;
	uint32_t h, ih, via;
	char what[160];

	snprintf(what, sizeof(what),
		 "VRAM object of %s imported into %s (phyr_p2p=%s)",
		 dev_name(a), dev_name(b), p2p_name(g.p2p));
	if (!EXPECT_RET(obj_create(a, size, VPHYR_GEM_VRAM, &h), 0, "create"))
		return;
	if (!write_obj_cpu(fa, h, size, 13))
		return;
	if (obj_share(fa, h, fb, &ih))
		return;
	if (!EXPECT_RET(get_table(fb, ih, &ti), 0, "GEM_RANGES of the import"))
		return;
	if (!EXPECT_RET(get_table(fa, h, &te), 0, "GEM_RANGES of the exporter"))
		return;
	if (g.p2p == P2P_NONE) {
		expect_dma(&e, VPHYR_RANGE_IC_HOST, 0, VIA_HOSTMEM, size);
		check_table(what, &ti, &e);
		expect_own(&e, a, VPHYR_PLACE_SYSTEM, size);
		check_table("exporter after a non-P2P import", &te, &e);
	} else {
		via = g.p2p == P2P_HOST ? VPHYR_RANGE_VIA_HOST_BRIDGE :
					  VPHYR_RANGE_VIA_BUS;
		expect_dma(&e, VPHYR_RANGE_IC_P2P, 1, VIA_BIT(via), size);
		check_table(what, &ti, &e);
		CHECK(ti.q.generation == 0, "%s: generation %u", what,
		      ti.q.generation);
		expect_own(&e, a, VPHYR_PLACE_VRAM, size);
		check_table("exporter after a P2P import", &te, &e);
		CHECK(te.q.generation == 0, "exporter generation %u",
		      te.q.generation);
	}
	check_obj_dma(what, fb, ih, 0, size, 13);
	check_obj_dma("exporter's DMA read after the import", fa, h, 0, size,
		      13);
	check_obj_cpu("exporter's CPU read after the import", fa, h, size, 13);
	if (write_obj_dma(fb, ih, 0, size, 14))
		check_obj_cpu("exporter's view of an importer's DMA write", fa,
			      h, size, 14);
	t_close_handle(fb, ih);
	t_close_handle(fa, h);
}

static void case_prime_vram_cross_instance(void)
{
	NEED_VRAM(2);
	NEED_P2P();
	vram_cross(g.vram[0], g.vram[1]);
	vram_cross(g.vram[1], g.vram[0]);
}

static void case_prime_vgem_import(void)
{
	struct table t;
	struct expect e;
	uint32_t h, ih, seed = 15;
	uint64_t size;
	unsigned char *map, *buf;
	int vg, err, d;

	NEED_DEVICE();
	NEED_VGEM();
	vg = vgem_fd();
	if (vg < 0)
		return;
	if (!EXPECT_RET(create_dumb(vg, &h, &size), 0, "vgem dumb buffer"))
		return;
	map = map_dumb(vg, h, size, &err);
	if (!EXPECT_RET(err, 0, "map the vgem dumb buffer"))
		return;
	buf = t_alloc(size);
	if (!buf)
		return;
	fill_pattern(buf, size, seed, 0);
	memcpy(map, buf, size);
	for (d = 0; d < g.ndev; d++) {
		if (obj_share(vg, h, g.dev[d].fd, &ih))
			continue;
		if (EXPECT_RET(get_table(g.dev[d].fd, ih, &t), 0,
			       "GEM_RANGES of the import into %s",
			       dev_name(d))) {
			expect_dma(&e, VPHYR_RANGE_IC_HOST, 0,
				   VIA_BIT(VPHYR_RANGE_VIA_SG), size);
			check_table("vgem buffer imported into vphyr", &t, &e);
			CHECK(t.q.generation == 0, "generation %u",
			      t.q.generation);
		}
		if (!check_obj_dma("DMA read of a vgem buffer", g.dev[d].fd,
				   ih, 0, size, seed))
			continue;
		if (!write_obj_dma(g.dev[d].fd, ih, 0, size, seed + 1))
			continue;
		seed++;
		memcpy(buf, map, size);
		check_pattern("vgem's view of a DMA write", buf, size, seed, 0);
		t_close_handle(g.dev[d].fd, ih);
	}
}

/*
 * udmabuf turns memfd pages into a dma-buf: another exporter that knows
 * nothing of phyr, whose scatterlist the importer converts.
 */
static void case_prime_udmabuf_import(void)
{
	const uint64_t size = 1u << 20;
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = size,
	};
	struct table t;
	struct expect e;
	unsigned char *map;
	int memfd, ub, buf, d;
	uint32_t ih, seed = 41;

	NEED_DEVICE();
	ub = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (ub < 0)
		SKIP("no /dev/udmabuf (%s)", errname(errno));
	t_track_fd(ub);
	memfd = memfd_create("phyr-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	REQUIRE(memfd >= 0, "memfd_create: %s", errname(errno));
	t_track_fd(memfd);
	REQUIRE(!ftruncate(memfd, size), "ftruncate: %s", errname(errno));
	REQUIRE(!fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), "F_SEAL_SHRINK: %s",
		errname(errno));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	REQUIRE(map != MAP_FAILED, "mmap memfd: %s", errname(errno));
	t_track_map(map, size);
	fill_pattern(map, size, seed, 0);

	create.memfd = memfd;
	buf = ioctl(ub, UDMABUF_CREATE, &create);
	REQUIRE(buf >= 0, "UDMABUF_CREATE: %s", errname(errno));
	t_track_fd(buf);

	for (d = 0; d < g.ndev; d++) {
		if (!EXPECT_RET(prime_import(g.dev[d].fd, buf, &ih), 0,
				"import the udmabuf into %s", dev_name(d)))
			continue;
		t_track_handle(g.dev[d].fd, ih);
		if (EXPECT_RET(get_table(g.dev[d].fd, ih, &t), 0,
			       "GEM_RANGES of the udmabuf in %s", dev_name(d))) {
			expect_dma(&e, VPHYR_RANGE_IC_HOST, 0,
				   VIA_BIT(VPHYR_RANGE_VIA_SG), size);
			check_table("udmabuf imported into vphyr", &t, &e);
		}
		if (!check_obj_dma("DMA read of a udmabuf", g.dev[d].fd, ih, 0,
				   size, seed))
			continue;
		if (!write_obj_dma(g.dev[d].fd, ih, 0, size, seed + 1))
			continue;
		seed++;
		check_pattern("the memfd's view of a DMA write", map, size,
			      seed, 0);
		t_close_handle(g.dev[d].fd, ih);
	}
}

/* vgem may refuse to map an imported buffer: then only note it. */
static void check_vgem_view(int vg, uint32_t vh, uint64_t size, uint32_t seed)
{
	unsigned char *map, *buf;
	int err;

	map = map_dumb(vg, vh, size, &err);
	if (!map) {
		t_note("vgem cannot map the imported buffer (%s): checked through vphyr only",
		       errname(err));
		return;
	}
	buf = t_alloc(size);
	if (!buf)
		return;
	memcpy(buf, map, size);
	check_pattern("vgem's view of the imported buffer", buf, size, seed, 0);
	t_unmap(map, size);
}

static void to_vgem(int d, uint32_t flags)
{
	uint64_t size = obj_size();
	int fd = g.dev[d].fd, vg = vgem_fd();
	struct table t;
	struct expect e;
	uint32_t h, vh;
	char what[128];

	if (vg < 0)
		return;
	snprintf(what, sizeof(what), "%s object of %s imported into vgem",
		 flags == VPHYR_GEM_VRAM ? "VRAM" : "system", dev_name(d));
	if (!EXPECT_RET(obj_create(d, size, flags, &h), 0, "create"))
		return;
	if (!write_obj_cpu(fd, h, size, 17))
		return;
	if (obj_share(fd, h, vg, &vh))
		return;
	if (EXPECT_RET(get_table(fd, h, &t), 0, "GEM_RANGES of the exporter")) {
		/* vgem cannot do P2P: a VRAM object moves to system memory */
		expect_own(&e, d, VPHYR_PLACE_SYSTEM, size);
		check_table(what, &t, &e);
	}
	check_obj_dma(what, fd, h, 0, size, 17);
	check_obj_cpu(what, fd, h, size, 17);
	check_vgem_view(vg, vh, size, 17);
}

static void case_prime_system_to_vgem(void)
{
	int d;

	NEED_DEVICE();
	NEED_VGEM();
	for (d = 0; d < g.ndev; d++)
		to_vgem(d, VPHYR_GEM_SYSTEM);
}

static void case_prime_vram_to_vgem(void)
{
	int i;

	NEED_VRAM(1);
	NEED_VGEM();
	for (i = 0; i < g.nvram; i++)
		to_vgem(g.vram[i], VPHYR_GEM_VRAM);
}

static void case_evict_with_importer(void)
{
	uint64_t size = obj_size();
	struct table te, ti, te2, ti2;
	struct expect e;
	int a, b, fa, fb;
	uint32_t h, ih;

	NEED_VRAM(2);
	NEED_P2P();
	a = g.vram[0];
	b = g.vram[1];
	fa = g.dev[a].fd;
	fb = g.dev[b].fd;
	if (!EXPECT_RET(obj_create(a, size, VPHYR_GEM_VRAM, &h), 0, "create"))
		return;
	if (!write_obj_cpu(fa, h, size, 19))
		return;
	if (obj_share(fa, h, fb, &ih))
		return;
	/* map it for the importer, then look at both sides */
	if (!EXPECT_RET(get_table(fb, ih, &ti), 0, "GEM_RANGES of the import"))
		return;
	if (!EXPECT_RET(get_table(fa, h, &te), 0, "GEM_RANGES of the exporter"))
		return;
	if (g.p2p != P2P_NONE)
		CHECK(te.q.placement == VPHYR_PLACE_VRAM,
		      "exporter placement %u before eviction", te.q.placement);

	EXPECT_RET(vp_evict(fa, h, 0), 0, "GEM_EVICT with an importer");

	if (!EXPECT_RET(get_table(fa, h, &te2), 0, "GEM_RANGES of the exporter"))
		return;
	expect_own(&e, a, VPHYR_PLACE_SYSTEM, size);
	check_table("exporter after eviction", &te2, &e);
	if (!EXPECT_RET(get_table(fb, ih, &ti2), 0, "GEM_RANGES of the import"))
		return;
	expect_dma(&e, VPHYR_RANGE_IC_HOST, 0, VIA_HOSTMEM, size);
	check_table("importer after eviction", &ti2, &e);
	if (g.p2p == P2P_NONE) {
		/* the import already moved it: evicting changes nothing */
		CHECK(te2.q.generation == te.q.generation,
		      "exporter generation %u -> %u evicting a system object",
		      te.q.generation, te2.q.generation);
		CHECK(ti2.q.generation == ti.q.generation,
		      "importer generation %u -> %u evicting a system object",
		      ti.q.generation, ti2.q.generation);
	} else {
		CHECK(te2.q.generation == te.q.generation + 1,
		      "exporter generation %u -> %u", te.q.generation,
		      te2.q.generation);
		CHECK(ti2.q.generation == ti.q.generation + 1,
		      "importer generation %u -> %u (no move_notify?)",
		      ti.q.generation, ti2.q.generation);
	}
	check_obj_dma("importer's DMA read after eviction", fb, ih, 0, size, 19);
	if (write_obj_dma(fb, ih, 0, size, 20)) {
		check_obj_cpu("exporter's CPU view of the importer's write", fa,
			      h, size, 20);
		check_obj_dma("exporter's DMA view of the importer's write", fa,
			      h, 0, size, 20);
	}
}

/* ================= LINK ================= */

static void expect_peer(int d, uint32_t peer)
{
	struct drm_vphyr_info info;

	if (!EXPECT_RET(vp_info(g.dev[d].fd, &info), 0, "INFO"))
		return;
	CHECK(info.link_peer == peer, "%s: link_peer 0x%x, expected 0x%x",
	      dev_name(d), info.link_peer, peer);
}

/* Link and record it so that the cleanup unlinks whatever happens. */
static bool link_pair(int a, int b)
{
	int ret;

	t_track_link(g.dev[a].fd, g.dev[b].fd);
	ret = vp_link(g.dev[a].fd, g.dev[b].fd, 0);
	return EXPECT_RET(ret, 0, "LINK %s with %s", dev_name(a), dev_name(b));
}

static void case_link_flags_unknown(void)
{
	uint32_t flags[] = { 1u << 1, 1u << 31, VPHYR_LINK_REMOVE | 1u << 1 };
	int a, b;
	size_t i;

	NEED_VRAM(2);
	a = g.vram[0];
	b = g.vram[1];
	t_track_link(g.dev[a].fd, g.dev[b].fd);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		EXPECT_RET(vp_link(g.dev[a].fd, g.dev[b].fd, flags[i]), -EINVAL,
			   "LINK flags 0x%x", flags[i]);
	expect_peer(a, NO_PEER);
	expect_peer(b, NO_PEER);
}

static void case_link_bad_fd(void)
{
	int a, fd;

	NEED_VRAM(1);
	a = g.vram[0];
	EXPECT_RET(vp_link(g.dev[a].fd, -1, 0), -EBADF, "LINK with peer_fd -1");
	fd = dup(g.dev[a].fd);
	REQUIRE(fd >= 0, "dup: %s", strerror(errno));
	close(fd);
	EXPECT_RET(vp_link(g.dev[a].fd, fd, 0), -EBADF,
		   "LINK with a closed peer_fd %d", fd);
	expect_peer(a, NO_PEER);
}

static void case_link_pipe_fd(void)
{
	int a, p[2];

	NEED_VRAM(1);
	a = g.vram[0];
	REQUIRE(!pipe(p), "pipe: %s", strerror(errno));
	t_track_fd(p[0]);
	t_track_fd(p[1]);
	EXPECT_RET(vp_link(g.dev[a].fd, p[0], 0), -EINVAL,
		   "LINK with the read end of a pipe");
	EXPECT_RET(vp_link(g.dev[a].fd, p[1], 0), -EINVAL,
		   "LINK with the write end of a pipe");
	expect_peer(a, NO_PEER);
}

static void case_link_vgem_fd(void)
{
	int a, vg;

	NEED_VRAM(1);
	NEED_VGEM();
	a = g.vram[0];
	vg = vgem_fd();
	if (vg < 0)
		return;
	EXPECT_RET(vp_link(g.dev[a].fd, vg, 0), -EINVAL,
		   "LINK with a vgem file");
	expect_peer(a, NO_PEER);
}

static void case_link_self(void)
{
	int a, fd;

	NEED_VRAM(1);
	a = g.vram[0];
	t_track_link(g.dev[a].fd, g.dev[a].fd);
	EXPECT_RET(vp_link(g.dev[a].fd, g.dev[a].fd, 0), -EINVAL,
		   "LINK with its own file");
	fd = t_track_fd(open(g.dev[a].path, O_RDWR | O_CLOEXEC));
	REQUIRE(fd >= 0, "open %s: %s", g.dev[a].path, strerror(errno));
	t_track_link(g.dev[a].fd, fd);
	EXPECT_RET(vp_link(g.dev[a].fd, fd, 0), -EINVAL,
		   "LINK with another file of the same device");
	expect_peer(a, NO_PEER);
}

static void case_link_no_vram(void)
{
	int a, s;

	NEED_SYS();
	NEED_VRAM(1);
	a = g.vram[0];
	s = g.sys;
	t_track_link(g.dev[a].fd, g.dev[s].fd);
	EXPECT_RET(vp_link(g.dev[s].fd, g.dev[a].fd, 0), -ENODEV,
		   "LINK %s with %s", dev_name(s), dev_name(a));
	EXPECT_RET(vp_link(g.dev[a].fd, g.dev[s].fd, 0), -ENODEV,
		   "LINK %s with %s", dev_name(a), dev_name(s));
	expect_peer(a, NO_PEER);
	expect_peer(s, NO_PEER);
}

static void case_link_remove_not_linked(void)
{
	int a, b;

	NEED_VRAM(2);
	a = g.vram[0];
	b = g.vram[1];
	EXPECT_RET(vp_link(g.dev[a].fd, g.dev[b].fd, VPHYR_LINK_REMOVE),
		   -ENOENT, "unlink %s from %s, never linked", dev_name(a),
		   dev_name(b));
	EXPECT_RET(vp_link(g.dev[b].fd, g.dev[a].fd, VPHYR_LINK_REMOVE),
		   -ENOENT, "unlink %s from %s, never linked", dev_name(b),
		   dev_name(a));
	if (!link_pair(a, b))
		return;
	EXPECT_RET(t_unlink(g.dev[a].fd, g.dev[b].fd), 0, "unlink");
	EXPECT_RET(vp_link(g.dev[a].fd, g.dev[b].fd, VPHYR_LINK_REMOVE),
		   -ENOENT, "unlink again");
}

static void case_link_busy(void)
{
	int a, b, c;

	NEED_VRAM(3);
	a = g.vram[0];
	b = g.vram[1];
	c = g.vram[2];
	if (!link_pair(a, b))
		return;
	t_track_link(g.dev[a].fd, g.dev[c].fd);
	t_track_link(g.dev[c].fd, g.dev[b].fd);
	EXPECT_RET(vp_link(g.dev[a].fd, g.dev[c].fd, 0), -EBUSY,
		   "LINK %s, already linked, with %s", dev_name(a),
		   dev_name(c));
	EXPECT_RET(vp_link(g.dev[c].fd, g.dev[b].fd, 0), -EBUSY,
		   "LINK %s with %s, already linked", dev_name(c),
		   dev_name(b));
	expect_peer(a, g.dev[b].info.instance);
	expect_peer(b, g.dev[a].info.instance);
	expect_peer(c, NO_PEER);
	EXPECT_RET(t_unlink(g.dev[a].fd, g.dev[b].fd), 0, "unlink");
}

static void case_link_info(void)
{
	int a, b;

	NEED_VRAM(2);
	a = g.vram[0];
	b = g.vram[1];
	if (!link_pair(a, b))
		return;
	expect_peer(a, g.dev[b].info.instance);
	expect_peer(b, g.dev[a].info.instance);
	EXPECT_RET(t_unlink(g.dev[a].fd, g.dev[b].fd), 0, "unlink");
	expect_peer(a, NO_PEER);
	expect_peer(b, NO_PEER);

	/* the other way round, and unlinked from the side that did not link */
	if (!link_pair(b, a))
		return;
	expect_peer(a, g.dev[b].info.instance);
	expect_peer(b, g.dev[a].info.instance);
	EXPECT_RET(t_unlink(g.dev[a].fd, g.dev[b].fd), 0,
		   "unlink from the other side");
	expect_peer(a, NO_PEER);
	expect_peer(b, NO_PEER);
}

static void link_share(int a, int b)
{
	uint64_t size = obj_size();
	int fa = g.dev[a].fd, fb = g.dev[b].fd;
	struct table t;
	struct expect e;
	uint32_t h, ih;
	char what[160];

	snprintf(what, sizeof(what), "VRAM object of %s imported into linked %s",
		 dev_name(a), dev_name(b));
	if (!EXPECT_RET(obj_create(a, size, VPHYR_GEM_VRAM, &h), 0, "create"))
		return;
	if (!write_obj_cpu(fa, h, size, 21))
		return;
	if (obj_share(fa, h, fb, &ih))
		return;
	if (EXPECT_RET(get_table(fb, ih, &t), 0, "GEM_RANGES of the import")) {
		expect_dma(&e, VPHYR_RANGE_IC_LINK, -1,
			   VIA_BIT(VPHYR_RANGE_VIA_LINK), size);
		check_table(what, &t, &e);
	}
	if (EXPECT_RET(get_table(fa, h, &t), 0, "GEM_RANGES of the exporter")) {
		expect_own(&e, a, VPHYR_PLACE_VRAM, size);
		check_table("exporter of a linked import", &t, &e);
	}
	check_obj_dma(what, fb, ih, 0, size, 21);
	if (write_obj_dma(fb, ih, 0, size, 22))
		check_obj_cpu("exporter's view of a write over the link", fa, h,
			      size, 22);
	t_close_handle(fb, ih);
	t_close_handle(fa, h);
}

static void case_link_prime(void)
{
	int a, b;

	NEED_VRAM(2);
	a = g.vram[0];
	b = g.vram[1];
	if (!link_pair(a, b))
		return;
	link_share(a, b);
	link_share(b, a);
	EXPECT_RET(t_unlink(g.dev[a].fd, g.dev[b].fd), 0, "unlink");
}

static void case_link_keeps_old_mapping(void)
{
	uint64_t size = obj_size();
	struct table t0, t1;
	int a, b, fa, fb;
	uint32_t h, ih;

	NEED_VRAM(2);
	a = g.vram[0];
	b = g.vram[1];
	fa = g.dev[a].fd;
	fb = g.dev[b].fd;
	if (!EXPECT_RET(obj_create(a, size, VPHYR_GEM_VRAM, &h), 0, "create"))
		return;
	if (!write_obj_cpu(fa, h, size, 23))
		return;
	if (obj_share(fa, h, fb, &ih))
		return;
	if (!EXPECT_RET(get_table(fb, ih, &t0), 0, "GEM_RANGES before linking"))
		return;
	if (!link_pair(a, b))
		return;
	if (!EXPECT_RET(get_table(fb, ih, &t1), 0, "GEM_RANGES after linking"))
		return;
	CHECK(same_table(&t0, &t1) && t0.q.generation == t1.q.generation,
	      "a mapping made before the link changed when linking (entry 0 flags 0x%x -> 0x%x, generation %u -> %u)",
	      t0.r[0].flags, t1.r[0].flags, t0.q.generation, t1.q.generation);
	check_obj_dma("importer's DMA read after linking", fb, ih, 0, size, 23);
	EXPECT_RET(t_unlink(fa, fb), 0, "unlink");
}

static void case_link_evict(void)
{
	uint64_t size = obj_size();
	struct table te, ti, ti2;
	struct expect e;
	int a, b, fa, fb;
	uint32_t h, ih;

	NEED_VRAM(2);
	a = g.vram[0];
	b = g.vram[1];
	fa = g.dev[a].fd;
	fb = g.dev[b].fd;
	if (!link_pair(a, b))
		return;
	if (!EXPECT_RET(obj_create(a, size, VPHYR_GEM_VRAM, &h), 0, "create"))
		return;
	if (!write_obj_cpu(fa, h, size, 25))
		return;
	if (obj_share(fa, h, fb, &ih))
		return;
	if (!EXPECT_RET(get_table(fb, ih, &ti), 0, "GEM_RANGES of the import"))
		return;
	expect_dma(&e, VPHYR_RANGE_IC_LINK, -1, VIA_BIT(VPHYR_RANGE_VIA_LINK),
		   size);
	check_table("linked import before eviction", &ti, &e);

	EXPECT_RET(vp_evict(fa, h, 0), 0, "GEM_EVICT of a linked import");

	if (EXPECT_RET(get_table(fa, h, &te), 0, "GEM_RANGES of the exporter")) {
		expect_own(&e, a, VPHYR_PLACE_SYSTEM, size);
		check_table("exporter after eviction", &te, &e);
		CHECK(te.q.generation == 1, "exporter generation %u",
		      te.q.generation);
	}
	if (EXPECT_RET(get_table(fb, ih, &ti2), 0, "GEM_RANGES of the import")) {
		expect_dma(&e, VPHYR_RANGE_IC_HOST, 0, VIA_HOSTMEM, size);
		check_table("linked import after eviction", &ti2, &e);
		CHECK(ti2.q.generation == ti.q.generation + 1,
		      "importer generation %u -> %u (no move_notify?)",
		      ti.q.generation, ti2.q.generation);
	}
	check_obj_dma("importer's DMA read after eviction", fb, ih, 0, size, 25);
	t_close_handle(fb, ih);
	t_close_handle(fa, h);
	EXPECT_RET(t_unlink(fa, fb), 0, "unlink");
}

/* ================= large objects and leaks ================= */

static void case_large_object(void)
{
	uint64_t size, last;
	unsigned char *map, *buf;
	struct table t;
	struct expect e;
	int i, d, fd;
	uint32_t h;

	NEED_VRAM(1);
	d = g.vram[0];
	for (i = 1; i < g.nvram; i++)
		if (g.dev[g.vram[i]].info.vram_size > g.dev[d].info.vram_size)
			d = g.vram[i];
	fd = g.dev[d].fd;
	/* all of it: as large as the BAR allows, in one or two ranges */
	size = g.dev[d].info.vram_size & ~(g.page - 1);
	last = size - g.page;
	REQUIRE(size >= 2 * g.page, "VRAM of %s too small", dev_name(d));
	if (!EXPECT_RET(obj_create(d, size, VPHYR_GEM_VRAM, &h), 0,
			"create all the VRAM (0x%llx bytes) of %s",
			(unsigned long long)size, dev_name(d)))
		return;
	if (EXPECT_RET(get_table(fd, h, &t), 0, "GEM_RANGES")) {
		expect_own(&e, d, VPHYR_PLACE_VRAM, size);
		e.max_ranges = 2;
		check_table("all the VRAM", &t, &e);
	}
	map = obj_map(fd, h, size);
	buf = t_alloc(g.page);
	if (!map || !buf)
		return;
	fill_pattern(map, g.page, 27, 0);
	fill_pattern(buf, g.page, 27, last);
	memcpy(map + last, buf, g.page);
	check_obj_dma("first page", fd, h, 0, g.page, 27);
	check_obj_dma("last page", fd, h, last, g.page, 27);
	if (write_obj_dma(fd, h, 0, g.page, 28)) {
		memcpy(buf, map, g.page);
		check_pattern("CPU view of a DMA write to the first page", buf,
			      g.page, 28, 0);
	}
	if (write_obj_dma(fd, h, last, g.page, 28)) {
		memcpy(buf, map + last, g.page);
		check_pattern("CPU view of a DMA write to the last page", buf,
			      g.page, 28, last);
	}
}

#define LEAK_MMAP_CYCLES	500
#define LEAK_PRIME_CYCLES	200

static bool mmap_cycle(int fd, uint32_t flags, int i, uint32_t *maxh)
{
	uint64_t size = 2 * g.page, off, *p;
	uint32_t h;
	bool ok = false;
	int ret;

	ret = vp_create(fd, size, flags, &h);
	if (!EXPECT_RET(ret, 0, "cycle %d: create flags 0x%x", i, flags))
		return false;
	if (h > *maxh)
		*maxh = h;
	ret = vp_mmap_offset(fd, h, 0, &off);
	if (!EXPECT_RET(ret, 0, "cycle %d: GEM_MMAP", i))
		goto close;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (!CHECK(p != MAP_FAILED, "cycle %d: mmap: %s", i, strerror(errno)))
		goto close;
	p[0] = 0x1000 + i;
	p[size / 8 - 1] = 0x2000 + i;
	ok = CHECK(p[0] == 0x1000u + i && p[size / 8 - 1] == 0x2000u + i,
		   "cycle %d: read back 0x%llx 0x%llx", i,
		   (unsigned long long)p[0],
		   (unsigned long long)p[size / 8 - 1]);
	munmap(p, size);
close:
	ret = gem_close(fd, h);
	return EXPECT_RET(ret, 0, "cycle %d: GEM_CLOSE", i) && ok;
}

static void case_leak_create_mmap(void)
{
	int d, fd, fds0, fds1, maps0, maps1, i, left;
	uint32_t maxh = 0, flags;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	fds0 = count_open_fds();
	maps0 = count_maps();
	REQUIRE(fds0 > 0 && maps0 > 0, "cannot read /proc/self");
	for (i = 0; i < LEAK_MMAP_CYCLES; i++) {
		flags = has_vram(d) && (i & 1) ? VPHYR_GEM_VRAM :
						 VPHYR_GEM_SYSTEM;
		if (!mmap_cycle(fd, flags, i, &maxh))
			break;
	}
	fds1 = count_open_fds();
	maps1 = count_maps();
	CHECK(fds1 == fds0, "open files: %d before, %d after", fds0, fds1);
	CHECK(maps1 == maps0, "mappings: %d before, %d after", maps0, maps1);
	left = count_handles(fd, maxh + 16);
	CHECK(left == 0, "%d handle(s) still open on %s", left, dev_name(d));
	CHECK(i == LEAK_MMAP_CYCLES, "stopped after %d cycles", i);
}

static bool prime_cycle(int a, int b, uint32_t flags, int i, uint32_t *maxa,
			uint32_t *maxb)
{
	struct drm_vphyr_gem_ranges q;
	int fa = g.dev[a].fd, fb = g.dev[b].fd, dmabuf = -1, ret;
	uint32_t h, ih = 0;
	bool ok = false;

	ret = vp_create(fa, 2 * g.page, flags, &h);
	if (!EXPECT_RET(ret, 0, "cycle %d: create", i))
		return false;
	if (h > *maxa)
		*maxa = h;
	ret = prime_export(fa, h, &dmabuf);
	if (!EXPECT_RET(ret, 0, "cycle %d: export", i))
		goto close;
	ret = prime_import(fb, dmabuf, &ih);
	if (!EXPECT_RET(ret, 0, "cycle %d: import", i))
		goto close;
	if (ih > *maxb)
		*maxb = ih;
	/* map it for the importer too */
	memset(&q, 0, sizeof(q));
	q.handle = ih;
	ok = EXPECT_RET(vp_ranges(fb, &q), 0, "cycle %d: GEM_RANGES", i);
close:
	if (ih)
		ok &= EXPECT_RET(gem_close(fb, ih), 0, "cycle %d: close import",
				 i);
	ok &= EXPECT_RET(gem_close(fa, h), 0, "cycle %d: close", i);
	if (dmabuf >= 0)
		ok &= CHECK(!close(dmabuf), "cycle %d: close dma-buf: %s", i,
			    strerror(errno));
	return ok;
}

static void case_leak_prime(void)
{
	int a, b, fds0, fds1, i, left;
	uint32_t flags = VPHYR_GEM_SYSTEM, maxa = 0, maxb = 0;

	if (g.nvram >= 2) {
		a = g.vram[0];
		b = g.vram[1];
		flags = VPHYR_GEM_VRAM;
	} else if (g.ndev >= 2) {
		a = 0;
		b = 1;
	} else {
		SKIP("needs two vphyr devices, found %d", g.ndev);
	}
	fds0 = count_open_fds();
	REQUIRE(fds0 > 0, "cannot read /proc/self/fd");
	for (i = 0; i < LEAK_PRIME_CYCLES; i++)
		if (!prime_cycle(a, b, flags, i, &maxa, &maxb))
			break;
	fds1 = count_open_fds();
	CHECK(fds1 == fds0, "open files: %d before, %d after", fds0, fds1);
	left = count_handles(g.dev[a].fd, maxa + 16);
	CHECK(left == 0, "%d handle(s) still open on the exporter %s", left,
	      dev_name(a));
	left = count_handles(g.dev[b].fd, maxb + 16);
	CHECK(left == 0, "%d handle(s) still open on the importer %s", left,
	      dev_name(b));
	CHECK(i == LEAK_PRIME_CYCLES, "stopped after %d cycles", i);
}

/* ================= userptr ================= */

#define UPTR_PAGES		16
#define HUGETLB_DIR		"/sys/kernel/mm/hugepages/hugepages-2048kB"
#define HUGETLB_SIZE		(2ull << 20)
#define HUGETLB_PAGES		2
#define MEMLOCK_LIMIT		(64u << 10)
#define MEMLOCK_SMALL		(32u << 10)
#define MEMLOCK_BIG		(1u << 20)
#define LEAK_USERPTR_CYCLES	300

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB		(21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

static uint64_t uptr_size(void)
{
	return UPTR_PAGES * g.page;
}

static long long vmpin_kb(void)
{
	return proc_status_kb("VmPin");
}

/* Private anonymous memory, unmapped at cleanup. */
static unsigned char *anon_map(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!CHECK(p != MAP_FAILED, "anonymous mmap of 0x%llx bytes: %s",
		   (unsigned long long)size, strerror(errno)))
		return NULL;
	t_track_map(p, size);
	return p;
}

/* GEM_USERPTR on device d; the handle is closed at cleanup. */
static int uptr_create(int d, const void *addr, uint64_t size, uint32_t *h)
{
	int ret = umem_userptr(g.dev[d].fd, (uintptr_t)addr, size, 0, h);

	if (!ret) {
		t_track_handle(g.dev[d].fd, *h);
		CHECK(*h != 0, "GEM_USERPTR on %s gave handle 0", dev_name(d));
	}
	return ret;
}

/* Memory written with a pattern and a userptr object of it on device d. */
static unsigned char *uptr_filled(int d, uint64_t size, uint32_t seed,
				  uint32_t *h)
{
	unsigned char *m = anon_map(size);

	if (!m)
		return NULL;
	fill_pattern(m, size, seed, 0);
	if (!EXPECT_RET(uptr_create(d, m, size, h), 0,
			"GEM_USERPTR of 0x%llx bytes on %s",
			(unsigned long long)size, dev_name(d)))
		return NULL;
	return m;
}

/*
 * Read back the table of userptr object h of device d: a physical table
 * in host memory, placement USERPTR, generation 0, and what
 * umem_check_ranges() checks. Return: -1 if wrong, else 1 if the ranges
 * were matched against pagemap, 0 if not.
 */
static int check_userptr(int d, uint32_t h, const char *what,
			 const struct umem_expect *x, struct table *t)
{
	struct expect e;
	char msg[256];
	bool ok;
	int r;

	if (!EXPECT_RET(get_table(g.dev[d].fd, h, t), 0, "GEM_RANGES of %s",
			what))
		return -1;
	expect_own(&e, d, VPHYR_PLACE_USERPTR, x->size);
	ok = check_table(what, t, &e);
	ok &= CHECK(t->q.generation == 0, "%s: generation %u", what,
		    t->q.generation);
	r = umem_check_ranges(t->r, t->q.count, x, msg, sizeof(msg));
	ok &= CHECK(r >= 0, "%s: %s", what, msg);
	return ok ? r : -1;
}

/* The device's DMA read of all of object h must give the bytes at mem. */
static bool dma_matches(const char *what, int fd, uint32_t h,
			const void *mem, uint64_t len)
{
	const unsigned char *c = mem;
	unsigned char *buf = t_alloc(len);
	uint64_t i;

	if (!buf)
		return false;
	memset(buf, 0xa5, len);
	if (!EXPECT_RET(vp_dma(fd, h, VPHYR_DMA_READ, 0, len, buf), 0,
			"%s: GEM_DMA read of 0x%llx bytes", what,
			(unsigned long long)len))
		return false;
	for (i = 0; i < len && buf[i] == c[i]; i++)
		;
	return CHECK(i == len,
		     "%s: the DMA read differs from the user memory at offset 0x%llx: 0x%02x, expected 0x%02x",
		     what, (unsigned long long)i, i < len ? buf[i] : 0,
		     i < len ? c[i] : 0);
}

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

struct uptr_shape {
	uint64_t pages;		/* of the object */
	uint64_t map_pages;	/* of the mapping it is taken from */
	uint64_t first;		/* its first page in the mapping */
	bool touch;		/* written before GEM_USERPTR */
	const char *what;
};

static const struct uptr_shape uptr_shapes[] = {
	{ 1, 1, 0, true, "1 page" },
	{ 3, 3, 0, true, "3 pages" },
	{ UPTR_PAGES, UPTR_PAGES, 0, true, "16 pages" },
	{ UPTR_PAGES, UPTR_PAGES, 0, false, "16 never touched pages" },
	{ 4, UPTR_PAGES, 5, true, "4 pages inside a 16-page mapping" },
};

static void userptr_basic(int d)
{
	struct umem_expect x = { .unit = g.page };
	struct table t, t2;
	unsigned char *m;
	char what[160];
	uint32_t h, h2;
	size_t i;

	for (i = 0; i < sizeof(uptr_shapes) / sizeof(uptr_shapes[0]); i++) {
		const struct uptr_shape *s = &uptr_shapes[i];

		snprintf(what, sizeof(what), "userptr object of %s on %s",
			 s->what, dev_name(d));
		m = anon_map(s->map_pages * g.page);
		if (!m)
			return;
		if (s->touch)
			memset(m, 0x11, s->map_pages * g.page);
		x.addr = m + s->first * g.page;
		x.size = s->pages * g.page;
		if (EXPECT_RET(uptr_create(d, x.addr, x.size, &h), 0,
			       "GEM_USERPTR: %s", what))
			check_userptr(d, h, what, &x, &t);
	}

	/* the same memory twice: two objects with the same ranges */
	x.size = uptr_size();
	m = anon_map(x.size);
	if (!m)
		return;
	memset(m, 0x22, x.size);
	x.addr = m;
	snprintf(what, sizeof(what), "first userptr object of a range on %s",
		 dev_name(d));
	if (!EXPECT_RET(uptr_create(d, m, x.size, &h), 0, "GEM_USERPTR: %s",
			what) || check_userptr(d, h, what, &x, &t) < 0)
		return;
	snprintf(what, sizeof(what), "second userptr object of a range on %s",
		 dev_name(d));
	if (!EXPECT_RET(uptr_create(d, m, x.size, &h2), 0, "GEM_USERPTR: %s",
			what) || check_userptr(d, h2, what, &x, &t2) < 0)
		return;
	CHECK(h2 != h, "%s: the second object got the first one's handle %u",
	      dev_name(d), h);
	CHECK(same_table(&t, &t2),
	      "%s: two objects of the same memory have different ranges",
	      dev_name(d));
}

static void case_userptr_basic(void)
{
	int d;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++)
		userptr_basic(d);
}

static void userptr_dma(int d)
{
	uint64_t size = uptr_size(), poff = g.page - 7, plen = 30;
	unsigned char *m, *z, *buf;
	int fd = g.dev[d].fd;
	uint32_t h, hz;

	m = uptr_filled(d, size, 60, &h);
	if (!m)
		return;
	check_obj_dma("DMA read of what the CPU wrote before GEM_USERPTR", fd,
		      h, 0, size, 60);
	fill_pattern(m, size, 61, 0);
	check_obj_dma("DMA read of what the CPU wrote after GEM_USERPTR", fd,
		      h, 0, size, 61);
	check_obj_dma("DMA read at an unaligned offset", fd, h, 100,
		      2 * g.page + 13, 61);

	if (write_obj_dma(fd, h, 0, size, 62))
		check_pattern("CPU read of the user memory after a DMA write", m,
			      size, 62, 0);
	/* a short write across a page boundary changes only those bytes */
	if (write_obj_dma(fd, h, poff, plen, 63)) {
		check_pattern("bytes before a short DMA write", m, poff, 62, 0);
		check_pattern("a short DMA write across a page boundary",
			      m + poff, plen, 63, poff);
		check_pattern("bytes after a short DMA write", m + poff + plen,
			      size - poff - plen, 62, poff + plen);
	}

	/* memory never touched: the pin faults in zeroed pages */
	z = anon_map(size);
	buf = t_alloc(size);
	if (!z || !buf || !EXPECT_RET(uptr_create(d, z, size, &hz), 0,
				      "GEM_USERPTR of untouched memory on %s",
				      dev_name(d)))
		return;
	memset(buf, 0xa5, size);
	if (EXPECT_RET(vp_dma(fd, hz, VPHYR_DMA_READ, 0, size, buf), 0,
		       "GEM_DMA read of untouched memory"))
		CHECK(all_zero(buf, size),
		      "%s: DMA read of untouched memory is not all zero",
		      dev_name(d));
	if (write_obj_dma(fd, hz, 0, size, 64))
		check_pattern("CPU read of untouched memory after a DMA write",
			      z, size, 64, 0);
}

static void case_userptr_dma_roundtrip(void)
{
	int d;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++)
		userptr_dma(d);
}

static void userptr_errors(int d)
{
	struct umem_bad b[UMEM_BAD_MAX];
	int fd = g.dev[d].fd, n, i, ret, cap, left;
	long long pin0, pin1;
	uint32_t h, maxh = 0;
	void *area;

	cap = umem_has_cap(CAP_IPC_LOCK);
	area = umem_bad_area();
	REQUIRE(area, "map the test area: %s", strerror(errno));
	n = umem_bad_args(area, cap > 0, b);
	pin0 = vmpin_kb();
	for (i = 0; i < n; i++) {
		ret = umem_userptr(fd, b[i].addr, b[i].size, b[i].flags, &h);
		EXPECT_RET(ret, b[i].err,
			   "%s: GEM_USERPTR of %s (addr 0x%llx size 0x%llx flags 0x%x)",
			   dev_name(d), b[i].what,
			   (unsigned long long)b[i].addr,
			   (unsigned long long)b[i].size, b[i].flags);
		if (ret)
			continue;
		CHECK(h != 0, "%s: %s: handle 0", dev_name(d), b[i].what);
		if (h > maxh)
			maxh = h;
		EXPECT_RET(gem_close(fd, h), 0, "close the handle of %s",
			   b[i].what);
	}
	umem_bad_area_free(area);
	pin1 = vmpin_kb();
	CHECK(pin0 >= 0 && pin1 == pin0,
	      "%s: VmPin %lld kB before the calls, %lld kB after", dev_name(d),
	      pin0, pin1);
	left = count_handles(fd, maxh + 16);
	CHECK(left == 0, "%s: %d handle(s) open after the calls", dev_name(d),
	      left);
	if (cap <= 0 && d == 0)
		t_note("no CAP_IPC_LOCK: the E2BIG call is left out, RLIMIT_MEMLOCK could refuse it first");
}

static void case_userptr_errors(void)
{
	int d;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++)
		userptr_errors(d);
}

static void case_userptr_thp(void)
{
	uint64_t hp = umem_thp_size();
	struct umem_expect x;
	unsigned char *m;
	struct table t;
	char msg[256], what[160];
	long long kb;
	uint32_t h;
	void *p;
	int d, ret;

	NEED_DEVICE();
	ret = umem_thp_map(hp, &p, msg, sizeof(msg));
	if (ret > 0)
		SKIP("%s", msg);
	REQUIRE(!ret, "%s", msg);
	t_track_map(p, hp);
	m = p;
	fill_pattern(m, hp, 70, 0);
	for (d = 0; d < g.ndev; d++) {
		snprintf(what, sizeof(what),
			 "userptr object of a transparent huge page on %s",
			 dev_name(d));
		if (!EXPECT_RET(uptr_create(d, m, hp, &h), 0, "GEM_USERPTR: %s",
				what))
			continue;
		kb = umem_anon_huge_kb(m);
		if (kb < (long long)(hp >> 10))
			SKIP("the huge page was split or moved when pinned (AnonHugePages %lld kB)",
			     kb);
		x = (struct umem_expect){
			.addr = m, .size = hp, .unit = hp, .max_ranges = 1,
		};
		if (check_userptr(d, h, what, &x, &t) > 0 && !d)
			t_note("one 0x%llx-byte range at 0x%llx, as pagemap shows",
			       (unsigned long long)t.r[0].len,
			       (unsigned long long)t.r[0].addr);
		dma_matches(what, g.dev[d].fd, h, m, hp);

		/* a part of the huge page is physically contiguous too */
		snprintf(what, sizeof(what),
			 "userptr object of 2 pages inside a transparent huge page on %s",
			 dev_name(d));
		if (!EXPECT_RET(uptr_create(d, m + g.page, 2 * g.page, &h), 0,
				"GEM_USERPTR: %s", what))
			continue;
		x = (struct umem_expect){
			.addr = m + g.page, .size = 2 * g.page,
			.unit = g.page, .max_ranges = 1,
		};
		check_userptr(d, h, what, &x, &t);
		dma_matches(what, g.dev[d].fd, h, m + g.page, 2 * g.page);
	}
}

/*
 * Make sure n free 2 MiB hugetlb pages exist, reserving more as root
 * (nr_hugepages goes back at cleanup). 1: there are, 0: skipped, -1: failed.
 */
static int get_huge_pages(unsigned long long n)
{
	unsigned long long nfree, nr, want;
	int ret;

	ret = read_ull(HUGETLB_DIR "/free_hugepages", &nfree);
	if (ret) {
		t_skip("no 2 MiB hugetlb pages (%s/free_hugepages: %s)",
		       HUGETLB_DIR, errname(ret));
		return 0;
	}
	if (nfree >= n)
		return 1;
	if (geteuid() != 0) {
		t_skip("%llu free 2 MiB hugetlb pages, %llu needed, and only root may reserve more",
		       nfree, n);
		return 0;
	}
	ret = read_ull(HUGETLB_DIR "/nr_hugepages", &nr);
	if (!EXPECT_RET(ret, 0, "read %s/nr_hugepages", HUGETLB_DIR))
		return -1;
	want = nr + n - nfree;
	t_restore_ull(HUGETLB_DIR "/nr_hugepages", nr);
	ret = write_ull(HUGETLB_DIR "/nr_hugepages", want);
	if (ret) {
		t_skip("cannot reserve 2 MiB hugetlb pages: writing %llu to nr_hugepages: %s",
		       want, errname(ret));
		return 0;
	}
	ret = read_ull(HUGETLB_DIR "/free_hugepages", &nfree);
	if (ret || nfree < n) {
		t_skip("asked for %llu 2 MiB hugetlb pages in all, %llu free",
		       want, ret ? 0 : nfree);
		return 0;
	}
	t_note("nr_hugepages %llu -> %llu for this case", nr, want);
	return 1;
}

static void userptr_hugetlb(int d, unsigned char *m)
{
	const struct {
		uint64_t first;	/* bytes into the huge pages */
		uint64_t size;
		bool huge;	/* made of whole huge pages */
		const char *what;
	} parts[] = {
		{ 0, HUGETLB_SIZE, true, "one hugetlb page" },
		{ 0, HUGETLB_PAGES * HUGETLB_SIZE, true, "two hugetlb pages" },
		{ HUGETLB_SIZE - g.page, 2 * g.page, false,
		  "2 pages across two hugetlb pages" },
	};
	struct umem_expect x;
	struct table t;
	char what[160];
	uint32_t h;
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(what, sizeof(what), "userptr object of %s on %s",
			 parts[i].what, dev_name(d));
		x = (struct umem_expect){
			.addr = m + parts[i].first,
			.size = parts[i].size,
			/* one range per huge page, fewer where contiguous */
			.unit = parts[i].huge ? HUGETLB_SIZE : g.page,
			.max_ranges = parts[i].huge ?
				      parts[i].size / HUGETLB_SIZE : 2,
		};
		if (!EXPECT_RET(uptr_create(d, x.addr, x.size, &h), 0,
				"GEM_USERPTR: %s", what))
			continue;
		if (check_userptr(d, h, what, &x, &t) >= 0)
			t_note("%s: %u range(s)", what, t.q.count);
		dma_matches(what, g.dev[d].fd, h, x.addr, x.size);
	}
}

static void case_userptr_hugetlb(void)
{
	uint64_t size = HUGETLB_PAGES * HUGETLB_SIZE;
	void *p;
	int d;

	NEED_DEVICE();
	if (get_huge_pages(HUGETLB_PAGES) <= 0)
		return;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1,
		 0);
	REQUIRE(p != MAP_FAILED, "mmap of %d 2 MiB hugetlb pages: %s",
		HUGETLB_PAGES, strerror(errno));
	t_track_map(p, size);
	fill_pattern(p, size, 80, 0);
	for (d = 0; d < g.ndev; d++)
		userptr_hugetlb(d, p);
}

/*
 * Runs in a child of the case, which drops CAP_IPC_LOCK for good: pins are
 * charged to VmPin and limited by a 64 KiB RLIMIT_MEMLOCK.
 */
static void memlock_child(int d)
{
	long long pin0, pin;
	unsigned char *m;
	struct rlimit rl;
	uint32_t h, h2;
	int fd, ret;

	alarm(CASE_TIMEOUT_S);
	ret = umem_drop_cap(CAP_IPC_LOCK);
	REQUIRE(!ret, "drop CAP_IPC_LOCK: %s", errname(ret));
	REQUIRE(!getrlimit(RLIMIT_MEMLOCK, &rl), "getrlimit: %s",
		strerror(errno));
	REQUIRE(rl.rlim_max >= MEMLOCK_LIMIT,
		"RLIMIT_MEMLOCK hard limit %llu below 64 KiB",
		(unsigned long long)rl.rlim_max);
	rl.rlim_cur = MEMLOCK_LIMIT;
	REQUIRE(!setrlimit(RLIMIT_MEMLOCK, &rl), "setrlimit: %s",
		strerror(errno));
	fd = t_track_fd(open(g.dev[d].path, O_RDWR | O_CLOEXEC));
	REQUIRE(fd >= 0, "open %s: %s", g.dev[d].path, strerror(errno));
	m = anon_map(MEMLOCK_BIG);
	if (!m)
		return;
	memset(m, 0x33, MEMLOCK_BIG);
	pin0 = vmpin_kb();
	REQUIRE(pin0 >= 0 && pin0 + MEMLOCK_SMALL / 1024 <= MEMLOCK_LIMIT / 1024,
		"VmPin %lld kB at the start", pin0);

	EXPECT_RET(umem_userptr(fd, (uintptr_t)m, MEMLOCK_BIG, 0, &h), -ENOMEM,
		   "GEM_USERPTR of 1 MiB with RLIMIT_MEMLOCK 64 KiB");
	pin = vmpin_kb();
	CHECK(pin == pin0, "VmPin %lld kB after the refused pin, %lld kB before",
	      pin, pin0);

	ret = umem_userptr(fd, (uintptr_t)m, MEMLOCK_SMALL, 0, &h);
	if (EXPECT_RET(ret, 0, "GEM_USERPTR of 32 KiB with RLIMIT_MEMLOCK 64 KiB")) {
		pin = vmpin_kb();
		CHECK(pin == pin0 + MEMLOCK_SMALL / 1024,
		      "VmPin %lld kB with 32 KiB pinned, %lld kB before", pin,
		      pin0);
		EXPECT_RET(gem_close(fd, h), 0, "close the 32 KiB object");
		pin = vmpin_kb();
		CHECK(pin == pin0,
		      "VmPin %lld kB after closing the 32 KiB object, %lld kB before",
		      pin, pin0);
	}
	if (pin0)
		return;

	/* up to the limit is fine, one page more is over it */
	ret = umem_userptr(fd, (uintptr_t)m, MEMLOCK_LIMIT, 0, &h);
	if (!EXPECT_RET(ret, 0, "GEM_USERPTR of exactly RLIMIT_MEMLOCK (64 KiB)"))
		return;
	EXPECT_RET(umem_userptr(fd, (uintptr_t)m + MEMLOCK_LIMIT, g.page, 0,
				&h2), -ENOMEM,
		   "GEM_USERPTR of one page with RLIMIT_MEMLOCK used up");
	pin = vmpin_kb();
	CHECK(pin == MEMLOCK_LIMIT / 1024,
	      "VmPin %lld kB with 64 KiB pinned and one page refused", pin);
	EXPECT_RET(gem_close(fd, h), 0, "close the 64 KiB object");
	pin = vmpin_kb();
	CHECK(pin == 0, "VmPin %lld kB after closing everything", pin);
}

static void case_userptr_memlock(void)
{
	int d, status = 0;
	pid_t pid, w;
	long long pin;

	NEED_DEVICE();
	d = primary();
	pin = vmpin_kb();
	REQUIRE(pin >= 0, "no VmPin in /proc/self/status: %s",
		errname((int)pin));
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		memlock_child(d);
		_exit(t_failed() ? 1 : 0);
	}
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	REQUIRE(w == pid, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		CHECK(false, "the child without CAP_IPC_LOCK died of signal %d",
		      WTERMSIG(status));
	else
		CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
		      "the child without CAP_IPC_LOCK failed (status 0x%x)",
		      status);
}

static void userptr_munmap(int d)
{
	uint64_t size = uptr_size();
	long long pin0, pin1, pin2, pin3;
	struct umem_expect x;
	struct table t0, t1;
	unsigned char *m, *n;
	int fd = g.dev[d].fd;
	uint32_t h;

	pin0 = vmpin_kb();
	m = uptr_filled(d, size, 90, &h);
	if (!m)
		return;
	x = (struct umem_expect){ .addr = m, .size = size, .unit = g.page };
	if (check_userptr(d, h, "userptr object before munmap", &x, &t0) < 0)
		return;
	pin1 = vmpin_kb();
	t_unmap(m, size);
	pin2 = vmpin_kb();
	CHECK(pin2 == pin1,
	      "%s: VmPin %lld kB before munmap, %lld kB after: the pages must stay pinned",
	      dev_name(d), pin1, pin2);

	check_obj_dma("DMA read after munmap", fd, h, 0, size, 90);
	if (EXPECT_RET(get_table(fd, h, &t1), 0, "GEM_RANGES after munmap"))
		CHECK(same_table(&t0, &t1), "%s: the ranges changed with munmap",
		      dev_name(d));

	/* new memory at the same address is not the object's */
	n = mmap(m, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (n != MAP_FAILED && n != m)
		munmap(n, size);
	if (n != m) {
		t_note("%s: the address was taken again meanwhile: new memory there not tried",
		       dev_name(d));
	} else {
		t_track_map(n, size);
		CHECK(all_zero(n, size), "%s: new memory at the old address not zero",
		      dev_name(d));
		if (write_obj_dma(fd, h, 0, size, 91))
			CHECK(all_zero(n, size),
			      "%s: a DMA write to the object reached the new memory at its old address",
			      dev_name(d));
		check_obj_dma("DMA read of a DMA write after munmap", fd, h, 0,
			      size, 91);
		fill_pattern(n, size, 92, 0);
		check_obj_dma("DMA read after the CPU wrote new memory at the old address",
			      fd, h, 0, size, 91);
	}

	EXPECT_RET(t_close_handle(fd, h), 0, "close the userptr object");
	pin3 = vmpin_kb();
	CHECK(pin3 == pin0,
	      "%s: VmPin %lld kB before GEM_USERPTR, %lld kB after closing the unmapped object",
	      dev_name(d), pin0, pin3);
}

static void case_userptr_munmap_keeps_pages(void)
{
	int d;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++)
		userptr_munmap(d);
}

static void userptr_prime(int a, int b)
{
	int fa = g.dev[a].fd, fb = g.dev[b].fd;
	uint64_t size = uptr_size();
	struct umem_expect x;
	struct table t;
	struct expect e;
	unsigned char *m;
	char what[160];
	uint32_t h, ih;

	snprintf(what, sizeof(what), "userptr object of %s imported into %s",
		 dev_name(a), dev_name(b));
	m = uptr_filled(a, size, 110, &h);
	if (!m)
		return;
	if (obj_share(fa, h, fb, &ih))
		return;
	if (EXPECT_RET(get_table(fb, ih, &t), 0, "GEM_RANGES of the import")) {
		expect_dma(&e, VPHYR_RANGE_IC_HOST, 0, VIA_HOSTMEM, size);
		check_table(what, &t, &e);
		CHECK(t.q.generation == 0, "%s: generation %u", what,
		      t.q.generation);
	}
	check_obj_dma("importer's DMA read of the user memory", fb, ih, 0,
		      size, 110);
	if (write_obj_dma(fb, ih, 0, size, 111))
		check_pattern("user memory after the importer's DMA write", m,
			      size, 111, 0);
	fill_pattern(m, size, 112, 0);
	check_obj_dma("importer's DMA read of a CPU write", fb, ih, 0, size,
		      112);
	check_obj_dma("exporter's DMA read of a CPU write", fa, h, 0, size,
		      112);
	x = (struct umem_expect){ .addr = m, .size = size, .unit = g.page };
	check_userptr(a, h, "exporter of a userptr object", &x, &t);

	/* the dma-buf keeps the object, and its pages, without the handle */
	if (!EXPECT_RET(t_close_handle(fa, h), 0, "close the exporter's handle"))
		return;
	if (write_obj_dma(fb, ih, 0, size, 113))
		check_pattern("user memory after a DMA write by the importer alone",
			      m, size, 113, 0);
	t_close_handle(fb, ih);
}

static void case_userptr_prime(void)
{
	int a, b;

	if (g.ndev < 2)
		SKIP("needs two vphyr devices, found %d", g.ndev);
	for (a = 0; a < g.ndev; a++)
		for (b = 0; b < g.ndev; b++)
			if (a != b)
				userptr_prime(a, b);
}

static void userptr_evict(int d)
{
	uint64_t size = uptr_size();
	struct umem_expect x;
	struct table t0, t1;
	int fd = g.dev[d].fd, i;
	unsigned char *m;
	char what[128];
	uint32_t h;

	m = uptr_filled(d, size, 100, &h);
	if (!m)
		return;
	x = (struct umem_expect){ .addr = m, .size = size, .unit = g.page };
	if (check_userptr(d, h, "userptr object before GEM_EVICT", &x,
			  &t0) < 0)
		return;
	for (i = 1; i <= 2; i++) {
		snprintf(what, sizeof(what),
			 "userptr object on %s after GEM_EVICT #%d",
			 dev_name(d), i);
		EXPECT_RET(vp_evict(fd, h, 0), 0,
			   "GEM_EVICT #%d of a userptr object on %s", i,
			   dev_name(d));
		if (check_userptr(d, h, what, &x, &t1) >= 0)
			CHECK(same_table(&t0, &t1), "%s: the ranges changed",
			      what);
	}
	check_obj_dma("DMA read after GEM_EVICT", fd, h, 0, size, 100);
	/* still the user's pages: CPU and device see each other's writes */
	fill_pattern(m, size, 101, 0);
	check_obj_dma("DMA read of a CPU write after GEM_EVICT", fd, h, 0,
		      size, 101);
	if (write_obj_dma(fd, h, 0, size, 102))
		check_pattern("CPU read of a DMA write after GEM_EVICT", m, size,
			      102, 0);
}

static void case_userptr_evict_noop(void)
{
	int d;

	NEED_DEVICE();
	for (d = 0; d < g.ndev; d++)
		userptr_evict(d);
}

static void case_userptr_leak(void)
{
	uint64_t size = 8 * g.page, kb = size / 1024;
	int d, fd, fds0, fds1, i, ret, left;
	struct drm_vphyr_gem_ranges q;
	long long pin0, pin;
	uint32_t h, maxh = 0;
	unsigned char *m;
	struct rlimit rl;
	bool ok;

	NEED_DEVICE();
	d = primary();
	fd = g.dev[d].fd;
	/* this process runs only this case: charge every pin to VmPin */
	ret = umem_drop_cap(CAP_IPC_LOCK);
	REQUIRE(!ret, "drop CAP_IPC_LOCK: %s", errname(ret));
	m = anon_map(size);
	if (!m)
		return;
	memset(m, 0x44, size);
	fds0 = count_open_fds();
	pin0 = vmpin_kb();
	REQUIRE(fds0 > 0 && pin0 >= 0, "cannot read /proc/self (VmPin %lld)",
		pin0);
	REQUIRE(!getrlimit(RLIMIT_MEMLOCK, &rl), "getrlimit: %s",
		strerror(errno));
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < size + (uint64_t)pin0 * 1024)
		SKIP("RLIMIT_MEMLOCK %llu bytes, %llu needed",
		     (unsigned long long)rl.rlim_cur,
		     (unsigned long long)(size + pin0 * 1024));

	for (i = 0; i < LEAK_USERPTR_CYCLES; i++) {
		ret = umem_userptr(fd, (uintptr_t)m, size, 0, &h);
		if (!EXPECT_RET(ret, 0, "cycle %d: GEM_USERPTR", i))
			break;
		if (h > maxh)
			maxh = h;
		pin = vmpin_kb();
		ok = CHECK(pin == pin0 + (long long)kb,
			   "cycle %d: VmPin %lld kB with the object open, expected %lld",
			   i, pin, pin0 + (long long)kb);
		memset(&q, 0, sizeof(q));
		q.handle = h;
		ok &= EXPECT_RET(vp_ranges(fd, &q), 0, "cycle %d: GEM_RANGES", i);
		ok &= EXPECT_RET(gem_close(fd, h), 0, "cycle %d: GEM_CLOSE", i);
		if (!ok)
			break;
	}
	pin = vmpin_kb();
	CHECK(pin == pin0, "VmPin %lld kB before the cycles, %lld kB after",
	      pin0, pin);
	fds1 = count_open_fds();
	CHECK(fds1 == fds0, "open files: %d before, %d after", fds0, fds1);
	left = count_handles(fd, maxh + 16);
	CHECK(left == 0, "%d handle(s) still open on %s", left, dev_name(d));
	CHECK(i == LEAK_USERPTR_CYCLES, "stopped after %d cycles", i);
}

/* ================= runner ================= */

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define CASE(n, f) { n, f }

static const struct test_case cases[] = {
	CASE("devices-present", case_devices_present),
	CASE("info", case_info),
	CASE("create-system", case_create_system),
	CASE("create-vram", case_create_vram),
	CASE("mmap-dma-system", case_mmap_dma_system),
	CASE("mmap-dma-vram", case_mmap_dma_vram),
	CASE("large-object", case_large_object),
	CASE("ranges-truncated", case_ranges_truncated),
	CASE("create-flags-zero", case_create_flags_zero),
	CASE("create-flags-both", case_create_flags_both),
	CASE("create-flags-unknown", case_create_flags_unknown),
	CASE("create-size-zero", case_create_size_zero),
	CASE("create-size-unaligned", case_create_size_unaligned),
	CASE("create-vram-too-big", case_create_vram_too_big),
	CASE("create-vram-no-vram", case_create_vram_no_vram),
	CASE("create-vram-enospc", case_create_vram_enospc),
	CASE("mmap-pad-nonzero", case_mmap_pad_nonzero),
	CASE("mmap-bad-handle", case_mmap_bad_handle),
	CASE("ranges-flags-nonzero", case_ranges_flags_nonzero),
	CASE("ranges-bad-handle", case_ranges_bad_handle),
	CASE("ranges-efault", case_ranges_efault),
	CASE("dma-flags-zero", case_dma_flags_zero),
	CASE("dma-flags-both", case_dma_flags_both),
	CASE("dma-flags-unknown", case_dma_flags_unknown),
	CASE("dma-size-zero", case_dma_size_zero),
	CASE("dma-out-of-bounds", case_dma_out_of_bounds),
	CASE("dma-wrap", case_dma_wrap),
	CASE("dma-read-efault", case_dma_read_efault),
	CASE("dma-write-efault", case_dma_write_efault),
	CASE("dma-bad-handle", case_dma_bad_handle),
	CASE("evict-flags-nonzero", case_evict_flags_nonzero),
	CASE("evict-bad-handle", case_evict_bad_handle),
	CASE("evict-imported", case_evict_imported),
	CASE("evict-system-noop", case_evict_system_noop),
	CASE("evict-vram", case_evict_vram),
	CASE("evict-mmap-follows", case_evict_mmap_follows),
	CASE("prime-system-cross-instance", case_prime_system_cross_instance),
	CASE("prime-vram-cross-instance", case_prime_vram_cross_instance),
	CASE("prime-vgem-import", case_prime_vgem_import),
	CASE("prime-udmabuf-import", case_prime_udmabuf_import),
	CASE("prime-system-to-vgem", case_prime_system_to_vgem),
	CASE("prime-vram-to-vgem", case_prime_vram_to_vgem),
	CASE("evict-with-importer", case_evict_with_importer),
	CASE("link-flags-unknown", case_link_flags_unknown),
	CASE("link-bad-fd", case_link_bad_fd),
	CASE("link-pipe-fd", case_link_pipe_fd),
	CASE("link-vgem-fd", case_link_vgem_fd),
	CASE("link-self", case_link_self),
	CASE("link-no-vram", case_link_no_vram),
	CASE("link-remove-not-linked", case_link_remove_not_linked),
	CASE("link-busy", case_link_busy),
	CASE("link-info", case_link_info),
	CASE("link-prime", case_link_prime),
	CASE("link-keeps-old-mapping", case_link_keeps_old_mapping),
	CASE("link-evict", case_link_evict),
	CASE("leak-create-mmap", case_leak_create_mmap),
	CASE("leak-prime", case_leak_prime),
	CASE("userptr-basic", case_userptr_basic),
	CASE("userptr-dma-roundtrip", case_userptr_dma_roundtrip),
	CASE("userptr-errors", case_userptr_errors),
	CASE("userptr-thp", case_userptr_thp),
	CASE("userptr-hugetlb", case_userptr_hugetlb),
	CASE("userptr-memlock", case_userptr_memlock),
	CASE("userptr-munmap-keeps-pages", case_userptr_munmap_keeps_pages),
	CASE("userptr-prime", case_userptr_prime),
	CASE("userptr-evict-noop", case_userptr_evict_noop),
	CASE("userptr-leak", case_userptr_leak),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

enum result { R_PASS, R_FAIL, R_SKIP };

static void case_body(const void *arg)
{
	const struct test_case *c = arg;

	if (!open_devices())
		c->fn();
}

static enum result run_case(const struct test_case *c)
{
	char r = t_run_forked(c->name, CASE_TIMEOUT_S, case_body, c);

	if (r == 'F')
		reset_links();
	return r == 'P' ? R_PASS : r == 'S' ? R_SKIP : R_FAIL;
}

static int parse_p2p(const char *s, enum p2p_mode *m)
{
	if (!strcmp(s, "none"))
		*m = P2P_NONE;
	else if (!strcmp(s, "host"))
		*m = P2P_HOST;
	else if (!strcmp(s, "bus"))
		*m = P2P_BUS;
	else
		return -1;
	return 0;
}

/* 1: found and valid, 0: absent, -1: present but invalid */
static int p2p_from_cmdline(enum p2p_mode *m)
{
	char buf[4096], *tok, *save;
	const char *key = "phyr_p2p=";
	FILE *f = fopen("/proc/cmdline", "re");
	int ret = 0;
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(tok, key, strlen(key)))
			continue;
		if (parse_p2p(tok + strlen(key), m)) {
			fprintf(stderr, "vphyr_test: invalid %s on the kernel command line\n",
				tok);
			return -1;
		}
		ret = 1;
	}
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vphyr_test [--list] [--run NAME]... [--p2p none|host|bus]\n"
		"  --list        print the case names\n"
		"  --run NAME    run only this case (may be repeated)\n"
		"  --p2p MODE    expected P2P between VRAM instances, instead of\n"
		"                phyr_p2p= on the kernel command line\n"
		"Prints PASS/FAIL/SKIP lines; exits 1 if any case failed.\n");
}

int main(int argc, char **argv)
{
	bool list = false, selected[NCASES] = { false }, any_sel = false;
	bool p2p_set = false;
	int i, failed = 0;
	long page;
	size_t c;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list")) {
			list = true;
		} else if (!strcmp(argv[i], "--run") && i + 1 < argc) {
			for (c = 0; c < NCASES; c++)
				if (!strcmp(cases[c].name, argv[i + 1]))
					break;
			if (c == NCASES) {
				fprintf(stderr, "vphyr_test: no case named '%s' (see --list)\n",
					argv[i + 1]);
				return 2;
			}
			selected[c] = true;
			any_sel = true;
			i++;
		} else if (!strcmp(argv[i], "--p2p") && i + 1 < argc) {
			if (parse_p2p(argv[i + 1], &g.p2p)) {
				usage(stderr);
				return 2;
			}
			p2p_set = true;
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (list) {
		for (c = 0; c < NCASES; c++)
			printf("%s\n", cases[c].name);
		return 0;
	}

	page = sysconf(_SC_PAGESIZE);
	g.page = page > 0 ? (uint64_t)page : 4096;
	if (!p2p_set) {
		i = p2p_from_cmdline(&g.p2p);
		if (i < 0)
			return 2;
		g.p2p_from_cmdline = i > 0;
	}
	discover();
	fprintf(stderr,
		"vphyr_test: %d vphyr device(s), %d with VRAM, vgem %s, phyr_p2p=%s%s\n",
		g.ndev, g.nvram, g.vgem_path[0] ? g.vgem_path : "absent",
		p2p_name(g.p2p), p2p_set ? " (--p2p)" : "");

	for (c = 0; c < NCASES; c++) {
		if (any_sel && !selected[c])
			continue;
		if (run_case(&cases[c]) == R_FAIL)
			failed++;
	}
	fprintf(stderr, "vphyr_test: %d case(s) failed\n", failed);
	return failed ? 1 : 0;
}
