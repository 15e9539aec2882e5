// SPDX-License-Identifier: GPL-2.0-only
/*
 * Code shared by the vphyr IGT tests.
 *
 * The vphyr instances are opened through IGT's own device helpers, so
 * that --device and IGT_DEVICE pick them as they pick any IGT device; the
 * tests then work on each instance's render node. vgem is opened through
 * __drm_open_driver(). The P2P topology the machine has comes from the
 * --p2p=none|host|bus option every vphyr test takes (igt_vphyr_main).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <xf86drm.h>

#include "igt_vphyr.h"

#define IGT_VPHYR_SENTINEL	0xa5

static const struct igt_vphyr_env *exit_env;

/* ---- environment ---- */

const char *igt_vphyr_p2p_name(enum igt_vphyr_p2p p)
{
	switch (p) {
	case VPHYR_P2P_NONE:
		return "none";
	case VPHYR_P2P_HOST:
		return "host";
	case VPHYR_P2P_BUS:
		return "bus";
	default:
		return "unknown";
	}
}

/* ---- the --p2p option ---- */

#define OPT_P2P	0x7001

static enum igt_vphyr_p2p opt_p2p = VPHYR_P2P_UNKNOWN;

const struct option igt_vphyr_long_opts[] = {
	{ "p2p", required_argument, NULL, OPT_P2P },
	{ NULL, 0, NULL, 0 },
};

const char igt_vphyr_help_str[] =
	"  --p2p=none|host|bus\n"
	"\t\tthe P2P path between the VRAM instances: refused (importing\n"
	"\t\tVRAM migrates it), through the host bridge, or by PCI bus\n"
	"\t\taddress below a switch; without it the subtests that depend\n"
	"\t\ton it skip\n";

int igt_vphyr_opt_handler(int opt, int opt_index, void *data)
{
	static const enum igt_vphyr_p2p modes[] = {
		VPHYR_P2P_NONE, VPHYR_P2P_HOST, VPHYR_P2P_BUS,
	};
	size_t i;

	(void)opt_index;
	(void)data;
	if (opt != OPT_P2P)
		return IGT_OPT_HANDLER_ERROR;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(optarg, igt_vphyr_p2p_name(modes[i]))) {
			opt_p2p = modes[i];
			return IGT_OPT_HANDLER_SUCCESS;
		}
	}
	igt_warn("--p2p=%s: expected none, host or bus\n", optarg);
	return IGT_OPT_HANDLER_ERROR;
}

static bool is_vphyr(int fd)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool ret;

	if (!v)
		return false;
	ret = v->name && !strcmp(v->name, "vphyr");
	drmFreeVersion(v);
	return ret;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct igt_vphyr_dev *x = a, *y = b;

	return x->info.instance < y->info.instance ? -1 :
	       x->info.instance > y->info.instance;
}

/*
 * Keep the instance behind fd (a node IGT opened): its render node, where
 * there is one, becomes the file the tests use. Return: true if kept.
 */
static bool add_instance(struct igt_vphyr_env *e, int fd)
{
	struct igt_vphyr_dev *d = &e->dev[e->ndev];
	char link[32], path[PATH_MAX];
	char *render;
	ssize_t n;
	int ret;

	memset(d, 0, sizeof(*d));
	render = drmGetRenderDeviceNameFromFd(fd);
	if (render) {
		snprintf(path, sizeof(path), "%s", render);
		free(render);
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n <= 0)
			return false;
		path[n] = '\0';
	}
	if (strlen(path) >= sizeof(d->path)) {
		igt_info("%s: path too long, left out\n", path);
		return false;
	}
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->fd = open(d->path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		igt_info("%s: %s, left out\n", d->path, strerror(errno));
		return false;
	}
	ret = vphyr_uapi_info(d->fd, &d->info);
	if (ret) {
		igt_info("%s: VPHYR_INFO failed: %s\n", d->path, strerror(-ret));
		close(d->fd);
		return false;
	}
	snprintf(d->name, sizeof(d->name), "vphyr%u", d->info.instance);
	e->ndev++;
	return true;
}

/*
 * IGT opens device idx as the idx-th --device filter says, or else the
 * next DRM device not opened yet; with no filter, every vphyr device is
 * taken, with filters, only what they name. Devices of other drivers are
 * passed over (IGT_FORCE_DRIVER=vphyr, unless the caller set it, keeps
 * IGT from opening them in the first place).
 */
static void find_instances(struct igt_vphyr_env *e)
{
	int i, fd, nfilter = igt_device_filter_count();
	int limit = nfilter > 0 ? nfilter : IGT_VPHYR_MAX_DEVS;

	if (!getenv("IGT_FORCE_DRIVER"))
		__set_forced_driver("vphyr");
	for (i = 0; i < limit && e->ndev < IGT_VPHYR_MAX_DEVS; i++) {
		fd = __drm_open_driver_another(i, DRIVER_ANY);
		if (fd < 0 && nfilter > 0)
			continue;	/* IGT said which filter matched nothing */
		if (fd < 0)
			break;
		if (!is_vphyr(fd))
			igt_info("device %d is not a vphyr device, left out\n", i);
		else
			add_instance(e, fd);
		close(fd);
	}
	if (nfilter > 0 && e->ndev < nfilter)
		igt_info("%d device filter(s), %d vphyr instance(s) found\n",
			 nfilter, e->ndev);

	qsort(e->dev, e->ndev, sizeof(e->dev[0]), cmp_dev);
	for (i = 0; i < e->ndev; i++) {
		if (e->dev[i].info.flags & VPHYR_INFO_VRAM)
			e->vram[e->nvram++] = i;
		else if (e->sys < 0)
			e->sys = i;
	}
}

static void exit_handler(int sig)
{
	(void)sig;
	if (exit_env)
		igt_vphyr_reset_links(exit_env);
}

/*
 * Open every vphyr instance and vgem, read the P2P mode. Finding nothing
 * is not an error here: each subtest requires what it needs.
 */
void igt_vphyr_env_open(struct igt_vphyr_env *e)
{
	long page = sysconf(_SC_PAGESIZE);

	memset(e, 0, sizeof(*e));
	e->sys = -1;
	e->vgem = -1;
	e->page = page > 0 ? (uint64_t)page : 4096;
	e->root = geteuid() == 0;
	e->p2p = opt_p2p;
	e->in_vm = opt_p2p != VPHYR_P2P_UNKNOWN;
	find_instances(e);
	e->vgem = __drm_open_driver(DRIVER_VGEM);

	igt_info("%d vphyr instance(s), %d with VRAM, vgem %s, phyr_p2p=%s%s\n",
		 e->ndev, e->nvram, e->vgem >= 0 ? "present" : "absent",
		 igt_vphyr_p2p_name(e->p2p), e->in_vm ? "" : " (no --p2p)");

	/* a link left behind by an earlier run would change what we see */
	igt_vphyr_reset_links(e);
	exit_env = e;
	igt_install_exit_handler(exit_handler);
}

void igt_vphyr_env_close(struct igt_vphyr_env *e)
{
	int i;

	igt_vphyr_reset_links(e);
	exit_env = NULL;
	for (i = 0; i < e->ndev; i++)
		close(e->dev[i].fd);
	if (e->vgem >= 0)
		close(e->vgem);
	e->ndev = 0;
	e->nvram = 0;
	e->sys = -1;
	e->vgem = -1;
}

/* Another file of the same instance, for per-file state (handles). */
int igt_vphyr_open_again(const struct igt_vphyr_env *e, int idx)
{
	int fd = open(e->dev[idx].path, O_RDWR | O_CLOEXEC);

	igt_assert_f(fd >= 0, "open %s: %s\n", e->dev[idx].path,
		     strerror(errno));
	return fd;
}

bool igt_vphyr_has_vram(const struct igt_vphyr_env *e, int idx)
{
	return e->dev[idx].info.flags & VPHYR_INFO_VRAM;
}

/* The instance most single-device subtests use: one with VRAM if any. */
int igt_vphyr_primary(const struct igt_vphyr_env *e)
{
	if (e->nvram)
		return e->vram[0];
	if (e->sys >= 0)
		return e->sys;
	return e->ndev ? 0 : -1;
}

int igt_vphyr_by_instance(const struct igt_vphyr_env *e, uint32_t instance)
{
	int i;

	for (i = 0; i < e->ndev; i++)
		if (e->dev[i].info.instance == instance)
			return i;
	return -1;
}

/* Remove every link between instances; safe from an exit handler. */
void igt_vphyr_reset_links(const struct igt_vphyr_env *e)
{
	struct drm_vphyr_info info;
	int i, p;

	for (i = 0; i < e->ndev; i++) {
		if (vphyr_uapi_info(e->dev[i].fd, &info) ||
		    info.link_peer == IGT_VPHYR_NO_PEER)
			continue;
		p = igt_vphyr_by_instance(e, info.link_peer);
		if (p >= 0)
			vphyr_uapi_link(e->dev[i].fd, e->dev[p].fd,
					VPHYR_LINK_REMOVE);
	}
}

void igt_vphyr_require_dev(const struct igt_vphyr_env *e)
{
	igt_require_f(e->ndev > 0, "no vphyr device found\n");
}

void igt_vphyr_require_devs(const struct igt_vphyr_env *e, int n)
{
	igt_require_f(e->ndev >= n, "needs %d vphyr instances, found %d\n",
		      n, e->ndev);
}

void igt_vphyr_require_vram(const struct igt_vphyr_env *e, int n)
{
	igt_require_f(e->nvram >= n,
		      "needs %d vphyr instance(s) with VRAM, found %d\n", n,
		      e->nvram);
}

void igt_vphyr_require_sys(const struct igt_vphyr_env *e)
{
	igt_require_f(e->sys >= 0, "no vphyr instance without VRAM\n");
}

void igt_vphyr_require_vgem(const struct igt_vphyr_env *e)
{
	igt_require_f(e->vgem >= 0, "no vgem device\n");
}

void igt_vphyr_require_p2p(const struct igt_vphyr_env *e)
{
	igt_require_f(e->p2p != VPHYR_P2P_UNKNOWN,
		      "P2P expectation unknown: run with --p2p=none|host|bus\n");
}

void igt_vphyr_require_root(const struct igt_vphyr_env *e)
{
	igt_require_f(e->root, "needs CAP_SYS_ADMIN (run as root)\n");
}

/* ---- ioctls ---- */

void igt_vphyr_info(int fd, struct drm_vphyr_info *info)
{
	igt_assert_eq(vphyr_uapi_info(fd, info), 0);
}

uint32_t igt_vphyr_gem_create(int fd, uint64_t size, uint32_t flags)
{
	uint32_t handle;

	igt_assert_eq(vphyr_uapi_gem_create(fd, size, flags, &handle), 0);
	igt_assert_neq_u32(handle, 0);
	return handle;
}

void *igt_vphyr_gem_mmap(int fd, uint32_t handle, uint64_t size)
{
	uint64_t off;
	void *p;

	igt_assert_eq(vphyr_uapi_gem_mmap(fd, handle, 0, &off), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	igt_assert_f(p != MAP_FAILED, "mmap of handle %u (0x%llx bytes at 0x%llx): %s\n",
		     handle, (unsigned long long)size,
		     (unsigned long long)off, strerror(errno));
	return p;
}

void igt_vphyr_gem_evict(int fd, uint32_t handle)
{
	igt_assert_eq(vphyr_uapi_gem_evict(fd, handle, 0), 0);
}

void igt_vphyr_link(int fd, int peer_fd)
{
	igt_assert_eq(vphyr_uapi_link(fd, peer_fd, 0), 0);
}

void igt_vphyr_unlink(int fd, int peer_fd)
{
	igt_assert_eq(vphyr_uapi_link(fd, peer_fd, VPHYR_LINK_REMOVE), 0);
}

/* Export from one file and import into another (with IGT's PRIME functions). */
uint32_t igt_vphyr_share(int exp_fd, uint32_t handle, int imp_fd)
{
	int dmabuf = prime_handle_to_fd(exp_fd, handle);
	uint32_t h;

	h = prime_fd_to_handle(imp_fd, dmabuf);
	close(dmabuf);
	return h;
}

/* ---- range tables ---- */

static bool all_sentinel(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != IGT_VPHYR_SENTINEL)
			return false;
	return true;
}

/*
 * Read the whole table: ask for the count, then read into an array one
 * entry larger than needed and check the extra entry stayed untouched.
 */
void igt_vphyr_get_table(int fd, uint32_t handle, struct igt_vphyr_table *t)
{
	struct drm_vphyr_gem_ranges q = { .handle = handle };
	uint32_t n;

	memset(t, 0, sizeof(*t));
	igt_assert_eq(vphyr_uapi_gem_ranges(fd, &q), 0);
	n = q.count;
	igt_assert_f(n > 0 && n <= 1u << 20, "handle %u reports %u ranges\n",
		     handle, n);
	t->r = malloc((n + 1) * sizeof(*t->r));
	igt_assert(t->r);
	memset(t->r, IGT_VPHYR_SENTINEL, (n + 1) * sizeof(*t->r));
	t->q.handle = handle;
	t->q.count = n;
	t->q.ranges_ptr = (uintptr_t)t->r;
	igt_assert_eq(vphyr_uapi_gem_ranges(fd, &t->q), 0);
	igt_assert_f(t->q.count == n, "handle %u: %u ranges, then %u\n",
		     handle, n, t->q.count);
	igt_assert_f(all_sentinel(&t->r[n], sizeof(t->r[n])),
		     "handle %u: entry %u written, beyond the room given\n",
		     handle, n);
	igt_assert_f(t->q.kind == q.kind && t->q.placement == q.placement &&
		     t->q.total_len == q.total_len &&
		     t->q.generation == q.generation,
		     "handle %u: two reads disagree (kind %u/%u placement %u/%u generation %u/%u)\n",
		     handle, q.kind, t->q.kind, q.placement, t->q.placement,
		     q.generation, t->q.generation);
}

void igt_vphyr_table_fini(struct igt_vphyr_table *t)
{
	free(t->r);
	t->r = NULL;
}

void igt_vphyr_dump_table(const char *what, const struct igt_vphyr_table *t)
{
	uint32_t i;

	igt_debug("%s: kind %u placement %u generation %u count %u total 0x%llx\n",
		  what, t->q.kind, t->q.placement, t->q.generation, t->q.count,
		  (unsigned long long)t->q.total_len);
	for (i = 0; i < t->q.count && i < 32; i++)
		igt_debug("  [%u] addr 0x%llx len 0x%llx flags 0x%x pad %u\n", i,
			  (unsigned long long)t->r[i].addr,
			  (unsigned long long)t->r[i].len, t->r[i].flags,
			  t->r[i].pad);
	if (t->q.count > 32)
		igt_debug("  ... %u more\n", t->q.count - 32);
}

static bool vram_window(const struct igt_vphyr_env *e, int idx, uint64_t *lo,
			uint64_t *hi)
{
	const struct drm_vphyr_info *i = &e->dev[idx].info;

	if (!(i->flags & VPHYR_INFO_VRAM) || !i->vram_base)
		return false;
	*lo = i->vram_base;
	*hi = i->vram_base + i->vram_size;
	return true;
}

static int cmp_range(const void *a, const void *b)
{
	const struct drm_vphyr_range *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

#define KNOWN_RANGE_FLAGS (VPHYR_RANGE_IC_MASK | VPHYR_RANGE_MMIO | \
			   VPHYR_RANGE_PINNED | VPHYR_RANGE_VIA_MASK)

/*
 * The checks every table gets: header, entry count bounds, lengths adding
 * up to the total, flags (interconnect, MMIO, how each DMA range is
 * reached), and for physical ranges read by root: alignment, placement
 * inside or outside the VRAM windows, no overlaps.
 */
void igt_vphyr_check_table(const struct igt_vphyr_env *e, const char *what,
			   const struct igt_vphyr_table *t,
			   const struct igt_vphyr_expect *x)
{
	const struct drm_vphyr_gem_ranges *q = &t->q;
	bool phys = x->kind == VPHYR_RANGES_PHYS;
	uint32_t i, f, max = x->max_ranges;
	struct drm_vphyr_range *s;
	uint64_t sum = 0, lo, hi;
	int d;

	igt_vphyr_dump_table(what, t);
	if (!max)
		max = x->total / e->page;

	igt_assert_f(q->kind == x->kind, "%s: kind %u, expected %u\n", what,
		     q->kind, x->kind);
	igt_assert_f(q->placement == x->placement,
		     "%s: placement %u, expected %u\n", what, q->placement,
		     x->placement);
	igt_assert_f(q->total_len == x->total,
		     "%s: total_len 0x%llx, expected 0x%llx\n", what,
		     (unsigned long long)q->total_len,
		     (unsigned long long)x->total);
	igt_assert_f(q->count >= 1 && q->count <= max,
		     "%s: %u ranges, expected 1 to %u\n", what, q->count, max);

	for (i = 0; i < q->count; i++) {
		const struct drm_vphyr_range *r = &t->r[i];

		f = r->flags;
		igt_assert_f(r->len > 0, "%s: [%u] empty\n", what, i);
		igt_assert_f(r->len <= UINT64_MAX - sum,
			     "%s: [%u] lengths overflow\n", what, i);
		sum += r->len;
		igt_assert_f(!r->pad, "%s: [%u] pad %u\n", what, i, r->pad);
		igt_assert_f(!(f & ~KNOWN_RANGE_FLAGS),
			     "%s: [%u] unknown flags 0x%x\n", what, i,
			     f & ~KNOWN_RANGE_FLAGS);
		igt_assert_f((f & VPHYR_RANGE_IC_MASK) == x->ic,
			     "%s: [%u] interconnect %u, expected %u\n", what, i,
			     f & VPHYR_RANGE_IC_MASK, x->ic);
		if (x->mmio >= 0)
			igt_assert_f(!!(f & VPHYR_RANGE_MMIO) == x->mmio,
				     "%s: [%u] MMIO %s, expected %s\n", what, i,
				     f & VPHYR_RANGE_MMIO ? "set" : "clear",
				     x->mmio ? "set" : "clear");
		if (!phys) {
			igt_assert_f(IGT_VPHYR_VIA_BIT(f) & x->via,
				     "%s: [%u] via %u, expected one of mask 0x%x\n",
				     what, i, IGT_VPHYR_VIA(f), x->via);
			continue;
		}
		igt_assert_f(!(f & VPHYR_RANGE_VIA_MASK),
			     "%s: [%u] via %u on a physical range\n", what, i,
			     IGT_VPHYR_VIA(f));
		igt_assert_f(!(r->len % e->page),
			     "%s: [%u] length 0x%llx not page aligned\n", what,
			     i, (unsigned long long)r->len);
		if (!e->root) {
			igt_assert_f(!r->addr,
				     "%s: [%u] physical address shown to a user without CAP_SYS_ADMIN\n",
				     what, i);
			continue;
		}
		igt_assert_f(r->addr && !(r->addr % e->page),
			     "%s: [%u] address 0x%llx\n", what, i,
			     (unsigned long long)r->addr);
		igt_assert_f(r->addr + r->len - 1 >= r->addr,
			     "%s: [%u] wraps\n", what, i);
		if (x->in_dev >= 0 && vram_window(e, x->in_dev, &lo, &hi))
			igt_assert_f(r->addr >= lo && r->addr + r->len <= hi,
				     "%s: [%u] 0x%llx+0x%llx outside the VRAM [0x%llx, 0x%llx) of %s\n",
				     what, i, (unsigned long long)r->addr,
				     (unsigned long long)r->len,
				     (unsigned long long)lo,
				     (unsigned long long)hi,
				     e->dev[x->in_dev].name);
		if (!x->out_vram)
			continue;
		for (d = 0; d < e->ndev; d++)
			if (vram_window(e, d, &lo, &hi))
				igt_assert_f(r->addr + r->len <= lo ||
					     r->addr >= hi,
					     "%s: [%u] 0x%llx+0x%llx inside the VRAM of %s\n",
					     what, i,
					     (unsigned long long)r->addr,
					     (unsigned long long)r->len,
					     e->dev[d].name);
	}
	igt_assert_f(sum == q->total_len,
		     "%s: lengths add up to 0x%llx, total_len 0x%llx\n", what,
		     (unsigned long long)sum,
		     (unsigned long long)q->total_len);

	if (!phys || !e->root || q->count < 2)
		return;
	/* the physical ranges of one object never overlap */
	s = malloc(q->count * sizeof(*s));
	igt_assert(s);
	memcpy(s, t->r, q->count * sizeof(*s));
	qsort(s, q->count, sizeof(*s), cmp_range);
	for (i = 1; i < q->count; i++)
		igt_assert_f(s[i - 1].addr + s[i - 1].len <= s[i].addr,
			     "%s: ranges at 0x%llx and 0x%llx overlap\n", what,
			     (unsigned long long)s[i - 1].addr,
			     (unsigned long long)s[i].addr);
	free(s);
}

bool igt_vphyr_same_table(const struct igt_vphyr_table *a,
			  const struct igt_vphyr_table *b)
{
	return a->q.count == b->q.count && a->q.kind == b->q.kind &&
	       a->q.placement == b->q.placement &&
	       a->q.total_len == b->q.total_len &&
	       !memcmp(a->r, b->r, a->q.count * sizeof(*a->r));
}

/* An object of instance idx read back by its own instance. */
void igt_vphyr_expect_own(struct igt_vphyr_expect *x, int idx, uint32_t placement,
			  uint64_t size)
{
	bool vram = placement == VPHYR_PLACE_VRAM;

	memset(x, 0, sizeof(*x));
	x->kind = VPHYR_RANGES_PHYS;
	x->placement = placement;
	x->total = size;
	x->ic = vram ? VPHYR_RANGE_IC_DEVICE : VPHYR_RANGE_IC_HOST;
	x->mmio = vram;
	x->in_dev = vram ? idx : -1;
	x->out_vram = !vram;
}

/* An imported object: the importer's DMA range table. */
void igt_vphyr_expect_dma(struct igt_vphyr_expect *x, uint32_t ic, int mmio,
			  uint32_t via, uint64_t size)
{
	memset(x, 0, sizeof(*x));
	x->kind = VPHYR_RANGES_DMA;
	x->placement = VPHYR_PLACE_IMPORTED;
	x->total = size;
	x->ic = ic;
	x->mmio = mmio;
	x->via = via;
	x->in_dev = -1;
}

/* ---- data ---- */

/* The bytes of buf are the pattern of seed from object offset pos on. */
void igt_vphyr_assert_pattern(const char *what, const void *buf, size_t len,
			      uint32_t seed, uint64_t pos)
{
	const unsigned char *c = buf;
	size_t bad, first = 0;

	bad = phyr_pattern_check(buf, len, seed, pos, &first);
	igt_assert_f(!bad,
		     "%s: %zu of %zu bytes differ, first at object offset 0x%llx: expected 0x%02x, got 0x%02x\n",
		     what, bad, len, (unsigned long long)(pos + first),
		     phyr_pattern_byte(seed, pos + first), c[first]);
}

void igt_vphyr_write_cpu(int fd, uint32_t handle, uint64_t size, uint32_t seed)
{
	void *map = igt_vphyr_gem_mmap(fd, handle, size);

	phyr_pattern_fill(map, size, seed, 0);
	munmap(map, size);
}

void igt_vphyr_check_cpu(const char *what, int fd, uint32_t handle,
			 uint64_t size, uint32_t seed)
{
	void *map = igt_vphyr_gem_mmap(fd, handle, size);
	void *buf = malloc(size);

	igt_assert(buf);
	memcpy(buf, map, size);
	munmap(map, size);
	igt_vphyr_assert_pattern(what, buf, size, seed, 0);
	free(buf);
}

void igt_vphyr_write_dma(int fd, uint32_t handle, uint64_t offset, uint64_t len,
			 uint32_t seed)
{
	void *buf = malloc(len);
	int ret;

	igt_assert(buf);
	phyr_pattern_fill(buf, len, seed, offset);
	ret = vphyr_uapi_gem_dma(fd, handle, VPHYR_DMA_WRITE, offset, len, buf);
	free(buf);
	igt_assert_f(ret == 0, "GEM_DMA write of handle %u at 0x%llx+0x%llx: %s\n",
		     handle, (unsigned long long)offset,
		     (unsigned long long)len, strerror(-ret));
}

void igt_vphyr_check_dma(const char *what, int fd, uint32_t handle,
			 uint64_t offset, uint64_t len, uint32_t seed)
{
	void *buf = malloc(len);
	int ret;

	igt_assert(buf);
	memset(buf, IGT_VPHYR_SENTINEL, len);
	ret = vphyr_uapi_gem_dma(fd, handle, VPHYR_DMA_READ, offset, len, buf);
	igt_assert_f(ret == 0, "%s: GEM_DMA read of handle %u at 0x%llx+0x%llx: %s\n",
		     what, handle, (unsigned long long)offset,
		     (unsigned long long)len, strerror(-ret));
	igt_vphyr_assert_pattern(what, buf, len, seed, offset);
	free(buf);
}

/* ---- resources ---- */

int igt_vphyr_count_fds(void)
{
	int n = phyr_count_fds();

	igt_assert_f(n >= 0, "counting open files: %s\n", strerror(-n));
	return n;
}

int igt_vphyr_count_maps(void)
{
	int n = phyr_count_maps();

	igt_assert_f(n >= 0, "/proc/self/maps: %s\n", strerror(-n));
	return n;
}

/* How many of the handle numbers 1..max are open on fd. */
int igt_vphyr_count_handles(int fd, uint32_t max)
{
	struct drm_vphyr_gem_ranges q;
	uint32_t h;
	int n = 0, ret;

	for (h = 1; h <= max; h++) {
		memset(&q, 0, sizeof(q));
		q.handle = h;
		ret = vphyr_uapi_gem_ranges(fd, &q);
		igt_assert_f(ret == 0 || ret == -ENOENT,
			     "GEM_RANGES probing handle %u: %s\n", h,
			     strerror(-ret));
		if (!ret)
			n++;
	}
	return n;
}

/* VmPin of this process (pages pinned for devices) in kB. */
long long igt_vphyr_vmpin_kb(void)
{
	long long kb = phyr_status_kb("VmPin");

	igt_assert_f(kb >= 0, "VmPin of /proc/self/status: %s\n",
		     strerror((int)-kb));
	return kb;
}

/* A handle number that existed on fd and does not any more. */
uint32_t igt_vphyr_stale_handle(const struct igt_vphyr_env *e, int fd)
{
	uint32_t h = igt_vphyr_gem_create(fd, e->page, VPHYR_GEM_SYSTEM);

	gem_close(fd, h);
	return h;
}

/* An address with nothing mapped at it (right now). */
void *igt_vphyr_unmapped_address(const struct igt_vphyr_env *e)
{
	void *p = mmap(NULL, e->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	igt_assert(p != MAP_FAILED);
	munmap(p, e->page);
	return p;
}
