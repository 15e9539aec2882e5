// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared helpers of the vphyr userspace tests.
 *
 * Every resource a case takes (file descriptors, GEM handles, mappings,
 * links, memory) is recorded here and released by t_cleanup() once the
 * case returns, whichever way it returns.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vphyr_util.h"

struct globals g = {
	.sys = -1,
	.vgem_fd = -1,
};

/* ---- case state ---- */

void t_reset(const char *name)
{
	g.case_name = name;
	phyr_case_begin(name);
}

/* ---- resources ---- */

enum res_kind {
	RES_FREE,
	RES_LINK,
	RES_HANDLE,
	RES_MAP,
	RES_MEM,
	RES_FD,
	RES_VALUE,
};

struct res {
	enum res_kind kind;
	int fd;
	int peer;
	uint32_t handle;
	void *addr;
	size_t len;
	unsigned long long value;
};

#define MAX_RES 1024
static struct res res[MAX_RES];

static struct res *res_add(enum res_kind kind)
{
	int i;

	for (i = 0; i < MAX_RES; i++) {
		if (res[i].kind == RES_FREE) {
			memset(&res[i], 0, sizeof(res[i]));
			res[i].kind = kind;
			return &res[i];
		}
	}
	t_note("resource table full, the case will leak");
	return NULL;
}

int t_track_fd(int fd)
{
	struct res *r;

	if (fd < 0)
		return fd;
	r = res_add(RES_FD);
	if (r)
		r->fd = fd;
	return fd;
}

void t_close_fd(int fd)
{
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_RES; i++) {
		/* handles and links of this file go away with it */
		if ((res[i].kind == RES_FD || res[i].kind == RES_HANDLE) &&
		    res[i].fd == fd)
			res[i].kind = RES_FREE;
		if (res[i].kind == RES_LINK &&
		    (res[i].fd == fd || res[i].peer == fd))
			res[i].kind = RES_FREE;
	}
	close(fd);
}

void t_track_handle(int fd, uint32_t handle)
{
	struct res *r = res_add(RES_HANDLE);

	if (r) {
		r->fd = fd;
		r->handle = handle;
	}
}

int t_close_handle(int fd, uint32_t handle)
{
	int i;

	for (i = 0; i < MAX_RES; i++)
		if (res[i].kind == RES_HANDLE && res[i].fd == fd &&
		    res[i].handle == handle)
			res[i].kind = RES_FREE;
	return gem_close(fd, handle);
}

void t_track_map(void *addr, size_t len)
{
	struct res *r = res_add(RES_MAP);

	if (r) {
		r->addr = addr;
		r->len = len;
	}
}

void t_unmap(void *addr, size_t len)
{
	int i;

	for (i = 0; i < MAX_RES; i++)
		if (res[i].kind == RES_MAP && res[i].addr == addr)
			res[i].kind = RES_FREE;
	munmap(addr, len);
}

void t_track_link(int fd, int peer_fd)
{
	struct res *r = res_add(RES_LINK);

	if (r) {
		r->fd = fd;
		r->peer = peer_fd;
	}
}

int t_unlink(int fd, int peer_fd)
{
	int i;

	for (i = 0; i < MAX_RES; i++)
		if (res[i].kind == RES_LINK &&
		    ((res[i].fd == fd && res[i].peer == peer_fd) ||
		     (res[i].fd == peer_fd && res[i].peer == fd)))
			res[i].kind = RES_FREE;
	return vp_link(fd, peer_fd, VPHYR_LINK_REMOVE);
}

void *t_alloc(size_t len)
{
	struct res *r;
	void *p = calloc(1, len ? len : 1);

	if (!p) {
		CHECK(p, "out of memory allocating %zu bytes", len);
		return NULL;
	}
	r = res_add(RES_MEM);
	if (r)
		r->addr = p;
	return p;
}

/* Write value back to the file at path (a sysfs knob) at cleanup. */
void t_restore_ull(const char *path, unsigned long long value)
{
	char *copy = strdup(path);
	struct res *r;

	if (!CHECK(copy, "out of memory"))
		return;
	r = res_add(RES_VALUE);
	if (!r) {
		free(copy);
		return;
	}
	r->addr = copy;
	r->value = value;
}

static void release_kind(enum res_kind kind)
{
	struct res *r;
	int i, ret;

	for (i = MAX_RES - 1; i >= 0; i--) {
		r = &res[i];
		if (r->kind != kind)
			continue;
		r->kind = RES_FREE;
		switch (kind) {
		case RES_LINK:
			/* links a case tried and expected to fail included */
			ret = vp_link(r->fd, r->peer, VPHYR_LINK_REMOVE);
			if (ret && ret != -ENOENT && ret != -EINVAL &&
			    ret != -ENODEV)
				t_note("cleanup: unlink failed: %s",
				       errname(ret));
			break;
		case RES_HANDLE:
			gem_close(r->fd, r->handle);
			break;
		case RES_MAP:
			munmap(r->addr, r->len);
			break;
		case RES_MEM:
			free(r->addr);
			break;
		case RES_FD:
			close(r->fd);
			break;
		case RES_VALUE:
			ret = write_ull(r->addr, r->value);
			if (ret)
				t_note("cleanup: writing %llu back to %s: %s",
				       r->value, (char *)r->addr, errname(ret));
			free(r->addr);
			break;
		case RES_FREE:
			break;
		}
	}
}

void t_cleanup(void)
{
	int i;

	/* links need both files, handles their file: files go last */
	release_kind(RES_LINK);
	release_kind(RES_HANDLE);
	release_kind(RES_MAP);
	release_kind(RES_MEM);
	release_kind(RES_FD);
	/* settings last, once nothing of the case uses what they provide */
	release_kind(RES_VALUE);
	for (i = 0; i < g.ndev; i++)
		g.dev[i].fd = -1;
	g.vgem_fd = -1;
}

/* ---- devices ---- */

/* The vphyr instances (sorted by instance) and vgem's primary node. */
void discover(void)
{
	struct phyr_device_info info[MAX_DEVS];
	struct vdev *d;
	int i, n, fd, ret;

	g.ndev = 0;
	g.nvram = 0;
	g.sys = -1;
	if (phyr_find_drm_node("vgem", true, g.vgem_path, sizeof(g.vgem_path)))
		g.vgem_path[0] = '\0';
	n = phyr_list_devices(info, MAX_DEVS);
	if (n < 0)
		fprintf(stderr, "finding vphyr devices: %s\n", phyr_last_error());
	for (i = 0; i < n && i < MAX_DEVS; i++) {
		d = &g.dev[g.ndev];
		snprintf(d->path, sizeof(d->path), "%s", info[i].node);
		d->fd = -1;
		fd = open(d->path, O_RDWR | O_CLOEXEC);
		ret = fd < 0 ? -errno : vp_info(fd, &d->info);
		if (fd >= 0)
			close(fd);
		if (ret) {
			fprintf(stderr, "%s: INFO failed: %s\n", d->path,
				errname(ret));
			continue;
		}
		if (d->info.flags & VPHYR_INFO_VRAM)
			g.vram[g.nvram++] = g.ndev;
		else if (g.sys < 0)
			g.sys = g.ndev;
		g.ndev++;
	}
}

/* Open every discovered vphyr device afresh for the running case. */
int open_devices(void)
{
	struct drm_vphyr_info info;
	int i, fd, ret;

	for (i = 0; i < g.ndev; i++) {
		fd = open(g.dev[i].path, O_RDWR | O_CLOEXEC);
		if (!CHECK(fd >= 0, "open %s: %s", g.dev[i].path,
			   strerror(errno)))
			return -1;
		g.dev[i].fd = t_track_fd(fd);
		ret = vp_info(fd, &info);
		if (!EXPECT_RET(ret, 0, "INFO on %s", g.dev[i].path))
			return -1;
		if (!CHECK(info.instance == g.dev[i].info.instance,
			   "%s: instance %u, was %u at start", g.dev[i].path,
			   info.instance, g.dev[i].info.instance))
			return -1;
	}
	return 0;
}

int vgem_fd(void)
{
	int fd;

	if (g.vgem_fd >= 0 || !g.vgem_path[0])
		return g.vgem_fd;
	fd = open(g.vgem_path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", g.vgem_path, strerror(errno));
	g.vgem_fd = t_track_fd(fd);
	return g.vgem_fd;
}

int dev_by_instance(uint32_t instance)
{
	int i;

	for (i = 0; i < g.ndev; i++)
		if (g.dev[i].info.instance == instance)
			return i;
	return -1;
}

const char *dev_name(int idx)
{
	static char buf[4][96];
	static int next;

	next = (next + 1) % 4;
	snprintf(buf[next], sizeof(buf[next]), "instance %u (%s)",
		 g.dev[idx].info.instance, g.dev[idx].path);
	return buf[next];
}

bool has_vram(int idx)
{
	return g.dev[idx].info.flags & VPHYR_INFO_VRAM;
}

/* Undo whatever links a crashed case left behind. */
void reset_links(void)
{
	int fds[MAX_DEVS];
	struct drm_vphyr_info info;
	int i, p, ret;

	for (i = 0; i < g.ndev; i++)
		fds[i] = open(g.dev[i].path, O_RDWR | O_CLOEXEC);
	for (i = 0; i < g.ndev; i++) {
		if (fds[i] < 0 || vp_info(fds[i], &info))
			continue;
		if (info.link_peer == NO_PEER)
			continue;
		p = dev_by_instance(info.link_peer);
		if (p < 0 || fds[p] < 0)
			continue;
		ret = vp_link(fds[i], fds[p], VPHYR_LINK_REMOVE);
		fprintf(stderr, "removed a leftover link %u-%u: %s\n",
			info.instance, info.link_peer, errname(ret));
	}
	for (i = 0; i < g.ndev; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- objects ---- */

int obj_create(int dev, uint64_t size, uint32_t flags, uint32_t *handle)
{
	int ret = vp_create(g.dev[dev].fd, size, flags, handle);

	if (!ret)
		t_track_handle(g.dev[dev].fd, *handle);
	return ret;
}

void *obj_map(int fd, uint32_t handle, uint64_t size)
{
	uint64_t off;
	void *p;
	int ret;

	ret = vp_mmap_offset(fd, handle, 0, &off);
	if (!EXPECT_RET(ret, 0, "GEM_MMAP handle %u", handle))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (!CHECK(p != MAP_FAILED, "mmap handle %u size %llu offset 0x%llx: %s",
		   handle, (unsigned long long)size, (unsigned long long)off,
		   strerror(errno)))
		return NULL;
	t_track_map(p, size);
	return p;
}

/* Export from one file and import into another; the dma-buf fd is closed. */
int obj_share(int exp_fd, uint32_t handle, int imp_fd, uint32_t *imp_handle)
{
	int dmabuf, ret;

	ret = prime_export(exp_fd, handle, &dmabuf);
	if (!EXPECT_RET(ret, 0, "PRIME export of handle %u", handle))
		return ret;
	t_track_fd(dmabuf);
	ret = prime_import(imp_fd, dmabuf, imp_handle);
	if (EXPECT_RET(ret, 0, "PRIME import of handle %u", handle))
		t_track_handle(imp_fd, *imp_handle);
	t_close_fd(dmabuf);
	return ret;
}

/* A handle number that existed on fd and does not any more. */
int stale_handle(int fd)
{
	uint32_t h;
	int ret;

	ret = vp_create(fd, g.page, VPHYR_GEM_SYSTEM, &h);
	if (!EXPECT_RET(ret, 0, "create a scratch object"))
		return -1;
	ret = gem_close(fd, h);
	if (!EXPECT_RET(ret, 0, "close the scratch object"))
		return -1;
	return (int)h;
}

/* An address with nothing mapped at it (right now). */
void *unmapped_address(void)
{
	void *p = mmap(NULL, g.page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!CHECK(p != MAP_FAILED, "anonymous mmap: %s", strerror(errno)))
		return NULL;
	munmap(p, g.page);
	return p;
}

/* ---- range tables ---- */

#define SENTINEL 0xa5

static bool is_sentinel(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != SENTINEL)
			return false;
	return true;
}

static void dump_table(const char *what, const struct table *t)
{
	uint32_t i;

	fprintf(stderr, "%s: %s: kind %u placement %u generation %u count %u total 0x%llx\n",
		g.case_name, what, t->q.kind, t->q.placement, t->q.generation,
		t->q.count, (unsigned long long)t->q.total_len);
	for (i = 0; i < t->q.count && i < 32; i++)
		fprintf(stderr, "%s:   [%u] addr 0x%llx len 0x%llx flags 0x%x pad %u\n",
			g.case_name, i, (unsigned long long)t->r[i].addr,
			(unsigned long long)t->r[i].len, t->r[i].flags,
			t->r[i].pad);
	if (t->q.count > 32)
		fprintf(stderr, "%s:   ... %u more\n", g.case_name,
			t->q.count - 32);
}

/*
 * Read the whole table: ask for the count, then fetch into an array one
 * entry larger than needed and check that the extra entry was not written.
 */
int get_table(int fd, uint32_t handle, struct table *t)
{
	struct drm_vphyr_gem_ranges q = { .handle = handle };
	struct drm_vphyr_range *r;
	uint32_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = vp_ranges(fd, &q);
	if (ret)
		return ret;
	n = q.count;
	if (!CHECK(n <= 1u << 20, "handle %u reports %u ranges", handle, n))
		return -E2BIG;
	r = t_alloc((n + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(r, SENTINEL, (n + 1) * sizeof(*r));
	t->q.handle = handle;
	t->q.count = n;
	t->q.ranges_ptr = (uintptr_t)r;
	ret = vp_ranges(fd, &t->q);
	if (!EXPECT_RET(ret, 0, "GEM_RANGES handle %u with room for %u",
			handle, n))
		return ret;
	t->r = r;
	CHECK(t->q.count == n, "handle %u: count %u, then %u", handle, n,
	      t->q.count);
	CHECK(is_sentinel(&r[n], sizeof(r[n])),
	      "handle %u: entry %u written beyond the count given", handle, n);
	CHECK(t->q.kind == q.kind && t->q.placement == q.placement &&
	      t->q.total_len == q.total_len && t->q.generation == q.generation,
	      "handle %u: two reads disagree: kind %u/%u placement %u/%u total 0x%llx/0x%llx generation %u/%u",
	      handle, q.kind, t->q.kind, q.placement, t->q.placement,
	      (unsigned long long)q.total_len,
	      (unsigned long long)t->q.total_len, q.generation,
	      t->q.generation);
	if (t->q.count > n)
		t->q.count = n;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct drm_vphyr_range *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool vram_window(int dev, uint64_t *lo, uint64_t *hi)
{
	const struct drm_vphyr_info *i = &g.dev[dev].info;

	if (!(i->flags & VPHYR_INFO_VRAM) || !i->vram_base)
		return false;
	*lo = i->vram_base;
	*hi = i->vram_base + i->vram_size;
	return true;
}

#define KNOWN_RANGE_FLAGS (VPHYR_RANGE_IC_MASK | VPHYR_RANGE_MMIO | \
			   VPHYR_RANGE_PINNED | VPHYR_RANGE_VIA_MASK)

bool check_table(const char *what, const struct table *t,
		 const struct expect *e)
{
	const struct drm_vphyr_gem_ranges *q = &t->q;
	bool phys = e->kind == VPHYR_RANGES_PHYS;
	bool fail = false, addrs = geteuid() == 0;
	uint64_t sum = 0, lo, hi;
	struct drm_vphyr_range *s;
	uint32_t i, f;
	int d;

#define TCHECK(cond, ...) (fail |= !CHECK(cond, __VA_ARGS__))
	TCHECK(q->kind == e->kind, "%s: kind %u, expected %u", what, q->kind,
	       e->kind);
	TCHECK(q->placement == e->placement, "%s: placement %u, expected %u",
	       what, q->placement, e->placement);
	TCHECK(q->total_len == e->total, "%s: total_len 0x%llx, expected 0x%llx",
	       what, (unsigned long long)q->total_len,
	       (unsigned long long)e->total);
	TCHECK(q->count > 0, "%s: no ranges", what);
	if (e->max_ranges)
		TCHECK(q->count <= e->max_ranges,
		       "%s: %u ranges, expected at most %u", what, q->count,
		       e->max_ranges);
	for (i = 0; i < q->count; i++) {
		const struct drm_vphyr_range *r = &t->r[i];

		f = r->flags;
		TCHECK(r->len > 0, "%s: [%u] empty", what, i);
		TCHECK(r->len <= UINT64_MAX - sum, "%s: [%u] lengths overflow",
		       what, i);
		sum += r->len;
		TCHECK(!r->pad, "%s: [%u] pad %u", what, i, r->pad);
		TCHECK(!(f & ~KNOWN_RANGE_FLAGS), "%s: [%u] unknown flags 0x%x",
		       what, i, f & ~KNOWN_RANGE_FLAGS);
		TCHECK((f & VPHYR_RANGE_IC_MASK) == e->ic,
		       "%s: [%u] interconnect %u, expected %u", what, i,
		       f & VPHYR_RANGE_IC_MASK, e->ic);
		if (e->mmio >= 0)
			TCHECK(!!(f & VPHYR_RANGE_MMIO) == e->mmio,
			       "%s: [%u] MMIO %s, expected %s", what, i,
			       f & VPHYR_RANGE_MMIO ? "set" : "clear",
			       e->mmio ? "set" : "clear");
		if (phys)
			TCHECK(!(f & VPHYR_RANGE_VIA_MASK),
			       "%s: [%u] via 0x%x on a physical range", what, i,
			       f & VPHYR_RANGE_VIA_MASK);
		else
			TCHECK(VIA_BIT(f) & e->via,
			       "%s: [%u] via %u not among the expected (mask 0x%x)",
			       what, i, (f & VPHYR_RANGE_VIA_MASK) >> 4, e->via);
		if (!phys)
			continue;
		TCHECK(!(r->addr % g.page) && !(r->len % g.page),
		       "%s: [%u] not page aligned", what, i);
		if (!addrs)
			continue;
		TCHECK(r->addr != 0, "%s: [%u] address 0 reported to root",
		       what, i);
		TCHECK(r->addr + r->len - 1 >= r->addr, "%s: [%u] wraps", what,
		       i);
		if (e->in_dev >= 0 && vram_window(e->in_dev, &lo, &hi))
			TCHECK(r->addr >= lo && r->addr + r->len <= hi,
			       "%s: [%u] 0x%llx+0x%llx outside VRAM [0x%llx, 0x%llx) of %s",
			       what, i, (unsigned long long)r->addr,
			       (unsigned long long)r->len,
			       (unsigned long long)lo, (unsigned long long)hi,
			       dev_name(e->in_dev));
		if (!e->out_vram)
			continue;
		for (d = 0; d < g.ndev; d++)
			if (vram_window(d, &lo, &hi))
				TCHECK(r->addr + r->len <= lo || r->addr >= hi,
				       "%s: [%u] 0x%llx+0x%llx inside the VRAM of %s",
				       what, i, (unsigned long long)r->addr,
				       (unsigned long long)r->len,
				       dev_name(d));
	}
	TCHECK(sum == q->total_len, "%s: lengths add up to 0x%llx, total_len 0x%llx",
	       what, (unsigned long long)sum,
	       (unsigned long long)q->total_len);

	/* physical ranges of one object must not overlap */
	if (phys && addrs && q->count > 1) {
		s = t_alloc(q->count * sizeof(*s));
		if (s) {
			memcpy(s, t->r, q->count * sizeof(*s));
			qsort(s, q->count, sizeof(*s), cmp_range);
			for (i = 1; i < q->count; i++)
				TCHECK(s[i - 1].addr + s[i - 1].len <= s[i].addr,
				       "%s: ranges at 0x%llx and 0x%llx overlap",
				       what, (unsigned long long)s[i - 1].addr,
				       (unsigned long long)s[i].addr);
		}
	}
#undef TCHECK
	if (fail)
		dump_table(what, t);
	return !fail;
}

bool same_table(const struct table *a, const struct table *b)
{
	return a->q.count == b->q.count && a->q.kind == b->q.kind &&
	       a->q.placement == b->q.placement &&
	       a->q.total_len == b->q.total_len &&
	       !memcmp(a->r, b->r, a->q.count * sizeof(*a->r));
}

void expect_own(struct expect *e, int dev, uint32_t placement, uint64_t size)
{
	bool vram = placement == VPHYR_PLACE_VRAM;

	memset(e, 0, sizeof(*e));
	e->kind = VPHYR_RANGES_PHYS;
	e->placement = placement;
	e->total = size;
	e->ic = vram ? VPHYR_RANGE_IC_DEVICE : VPHYR_RANGE_IC_HOST;
	e->mmio = vram;
	e->in_dev = vram ? dev : -1;
	e->out_vram = !vram;
}

void expect_dma(struct expect *e, uint32_t ic, int mmio, uint32_t via,
		uint64_t size)
{
	memset(e, 0, sizeof(*e));
	e->kind = VPHYR_RANGES_DMA;
	e->placement = VPHYR_PLACE_IMPORTED;
	e->total = size;
	e->ic = ic;
	e->mmio = mmio;
	e->via = via;
	e->in_dev = -1;
}

/* ---- data ---- */

bool check_pattern(const char *what, const void *buf, size_t len,
		   uint32_t seed, uint64_t pos)
{
	const unsigned char *c = buf;
	size_t bad, first = 0;

	bad = phyr_pattern_check(buf, len, seed, pos, &first);
	if (!bad)
		return true;
	return CHECK(false,
		     "%s: %zu of %zu bytes differ, first at object offset 0x%llx: expected 0x%02x, got 0x%02x",
		     what, bad, len, (unsigned long long)(pos + first),
		     phyr_pattern_byte(seed, pos + first), c[first]);
}

bool write_obj_cpu(int fd, uint32_t handle, uint64_t size, uint32_t seed)
{
	void *map = obj_map(fd, handle, size);
	void *buf;

	if (!map)
		return false;
	buf = t_alloc(size);
	if (buf) {
		fill_pattern(buf, size, seed, 0);
		memcpy(map, buf, size);
	}
	t_unmap(map, size);
	return !!buf;
}

bool check_obj_cpu(const char *what, int fd, uint32_t handle, uint64_t size,
		   uint32_t seed)
{
	void *map = obj_map(fd, handle, size);
	void *buf;
	bool ok;

	if (!map)
		return false;
	buf = t_alloc(size);
	ok = !!buf;
	if (ok) {
		memcpy(buf, map, size);
		ok = check_pattern(what, buf, size, seed, 0);
	}
	t_unmap(map, size);
	return ok;
}

bool write_obj_dma(int fd, uint32_t handle, uint64_t off, uint64_t len,
		   uint32_t seed)
{
	void *buf = t_alloc(len);
	int ret;

	if (!buf)
		return false;
	fill_pattern(buf, len, seed, off);
	ret = vp_dma(fd, handle, VPHYR_DMA_WRITE, off, len, buf);
	return EXPECT_RET(ret, 0, "GEM_DMA write handle %u offset 0x%llx size 0x%llx",
			  handle, (unsigned long long)off,
			  (unsigned long long)len);
}

bool check_obj_dma(const char *what, int fd, uint32_t handle, uint64_t off,
		   uint64_t len, uint32_t seed)
{
	void *buf = t_alloc(len);
	int ret;

	if (!buf)
		return false;
	memset(buf, SENTINEL, len);
	ret = vp_dma(fd, handle, VPHYR_DMA_READ, off, len, buf);
	if (!EXPECT_RET(ret, 0, "%s: GEM_DMA read handle %u offset 0x%llx size 0x%llx",
			what, handle, (unsigned long long)off,
			(unsigned long long)len))
		return false;
	return check_pattern(what, buf, len, seed, off);
}

/* ---- running one case in a child process ---- */

struct forked_case {
	const char *name;
	void (*body)(const void *);
	const void *arg;
};

static enum phyr_case_result forked_body(const void *arg, char *reason,
					 size_t len)
{
	const struct forked_case *c = arg;

	t_reset(c->name);
	c->body(c->arg);
	t_cleanup();
	return phyr_case_end(reason, len);
}

char t_run_forked(const char *name, unsigned int timeout_s,
		  void (*body)(const void *), const void *arg)
{
	const struct forked_case c = { name, body, arg };

	switch (phyr_case_run(name, timeout_s, forked_body, &c)) {
	case PHYR_CASE_PASS:
		return 'P';
	case PHYR_CASE_SKIP:
		return 'S';
	default:
		return 'F';
	}
}
