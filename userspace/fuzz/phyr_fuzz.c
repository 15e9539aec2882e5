// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_fuzz: seeded random sequences of calls over the whole vphyr surface.
 *
 * Opens every vphyr instance (and vgem's card node when there is one) and
 * issues random calls: every vphyr ioctl with valid, boundary and invalid
 * arguments, GEM create and close, CPU mappings of objects and of dma-bufs
 * with reads and writes, PRIME export and import between the instances and
 * vgem, DMA_BUF_IOCTL_SYNC, eviction, userptr objects over mmap()ed and
 * malloc()ed memory (unmapped or freed while the object lives), links,
 * GEM_DMA reads and writes, closing and reopening DRM files, and unbinding
 * a PCI instance from the vphyr driver while it holds objects, CPU
 * mappings, exports and imports by other instances, then binding it again
 * ("replug": root only, never the platform instance, rarely).
 *
 * While an instance is unbound the model says what the kernel documents:
 * every ioctl on its open files fails with ENODEV; every object created
 * with its region (VRAM and system objects, not userptr ones) is revoked,
 * so CPU mappings of it fault with SIGBUS (a read or write of one byte,
 * caught with sigsetjmp()), other instances cannot map their imports of it
 * again (GEM_DMA, GEM_RANGES: ENODEV) and nobody can import it anew; its
 * link is gone and its BAR stays reserved exactly as long as something
 * holds the instance. Binding it again first lets go of everything of the
 * old instance (which must work), sees the BAR released, then finds the
 * new instance by its PCI name (its number and node may differ) and opens
 * a file of it.
 *
 * With soft-RoCE (an rxe device, and libibverbs: the verbs side is
 * build/phyr_fuzz_rdma.so, loaded at run time) it also registers dma-buf
 * MRs over valid and invalid slices of vphyr objects' dma-bufs,
 * deregisters them, and moves bytes by RDMA WRITE and READ between a
 * malloc()ed MR and a dma-buf MR on two connected RC QPs of one port,
 * checked against the model. The MR is dynamic: once the exporter moves
 * the object (an eviction, an importer that cannot reach VRAM) or revokes
 * it, every access is refused with a completion error (the QPs then go to
 * the error state and are connected anew); an access past the MR's end
 * is refused too. Without rxe or libibverbs these kinds are not run and
 * the summary says why.
 *
 * A model of every file, handle, object, dma-buf, mapping and piece of user
 * memory decides what each call may return: an errno outside the set the
 * uAPI documents for that call, data read back (through a mapping or by the
 * device) that differs from what the model says was written, a crash
 * (SIGSEGV, SIGBUS) or a call that does not return within the time limit
 * (SIGALRM) is a failure: the seed, the call number and the call with its
 * arguments are printed, and the exit status is 1. At the end everything is
 * released and the process must be back where it started: as many open
 * file descriptors and memory mappings, no pinned memory (VmPin), the links
 * as they were, and each instance's VRAM free again (the uAPI has no free
 * or used counter: an object the size of the whole VRAM must be creatable
 * whenever it was at the start).
 *
 * usage: phyr_fuzz [--seed N] [--calls N] [--seconds N] [--verbose]
 *		    [--log FILE] [--skip KIND,...] [--timeout S]
 *		    [--no-vram-check]
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "vphyr_drm.h"
#include "libphyr_test.h"
#include "libphyr_uapi.h"
#include "phyr_fuzz_rdma.h"

#define MAX_DEVS	8
#define MAX_FILES	24
#define MAX_BOS		96
#define MAX_HANDLES	256
#define MAX_BUFS	96
#define MAX_MAPS	96
#define MAX_UMEMS	32
#define MAX_STORES	(MAX_BOS + MAX_UMEMS)
#define SHADOW_MAX	(8ull << 20)	/* larger objects are not modelled */
#define WHOLE_VRAM_MAX	(64ull << 20)
#define BAD_KPTR	0xffffffff80000000ull
#define HISTORY		24

static uint64_t page;

/* ---- options and reporting ---- */

static uint64_t opt_seed;
static uint64_t opt_calls;
static unsigned int opt_seconds;
static unsigned int opt_timeout = 120;
static bool opt_verbose;
static bool opt_vram_check = true;
static FILE *logf;

static uint64_t callno;
static char cur[768];
static char history[HISTORY][768];

/* the kinds of calls, for --skip and the summary */
enum kind {
	K_INFO, K_CREATE, K_VGEM_CREATE, K_CLOSE, K_MMAP, K_MUNMAP, K_CPU,
	K_RANGES, K_DMA, K_EVICT, K_LINK, K_USERPTR, K_UMEM, K_EXPORT,
	K_IMPORT, K_DMABUF_MMAP, K_SYNC, K_CLOSE_FD, K_FILE, K_BADIOCTL,
	K_REPLUG, K_RDMA_REG, K_RDMA_DEREG, K_RDMA_RW,
	K_NR,
};

static const char *const kind_name[K_NR] = {
	"info", "create", "vgem-create", "close", "mmap", "munmap", "cpu",
	"ranges", "dma", "evict", "link", "userptr", "umem", "export",
	"import", "dmabuf-mmap", "sync", "close-fd", "file", "bad-ioctl",
	"replug", "rdma-reg", "rdma-dereg", "rdma-rw",
};

static const unsigned int kind_weight[K_NR] = {
	[K_INFO] = 2, [K_CREATE] = 12, [K_VGEM_CREATE] = 4, [K_CLOSE] = 9,
	[K_MMAP] = 7, [K_MUNMAP] = 4, [K_CPU] = 12, [K_RANGES] = 6,
	[K_DMA] = 12, [K_EVICT] = 5, [K_LINK] = 3, [K_USERPTR] = 5,
	[K_UMEM] = 4, [K_EXPORT] = 8, [K_IMPORT] = 8, [K_DMABUF_MMAP] = 4,
	[K_SYNC] = 3, [K_CLOSE_FD] = 5, [K_FILE] = 2, [K_BADIOCTL] = 2,
	/* each is many calls and a driver probe or remove: rare */
	[K_REPLUG] = 1,
	[K_RDMA_REG] = 4, [K_RDMA_DEREG] = 2, [K_RDMA_RW] = 6,
};

#define RDMA_LOCAL	(1ull << 20)	/* the local MR of the verbs side */

static bool skipped[K_NR];
/*
 * swiotlb=force: every streaming mapping bounces, and one fails with EIO
 * (the DMA API's DMA_MAPPING_ERROR) while the bounce pool is full. Imports
 * and device DMA may then fail that way; they are counted.
 */
static bool bounce_forced;
static unsigned long bounce_full;
/* the verbs side, NULL without one */
static const struct phyr_fuzz_rdma *rdma;
static char rdma_why[256];
/* why a kind cannot run here (no such device), NULL if it can */
static const char *unavailable[K_NR];
static uint64_t n_ok[K_NR], n_err[K_NR];

/* stdout and the log; usable in a signal handler as long as no log is kept */
static void out_both(const char *s)
{
	ssize_t r;

	fflush(stdout);
	r = write(1, s, strlen(s));
	(void)r;
	if (logf) {
		fputs(s, logf);
		fflush(logf);
	}
}

static void print_history(void)
{
	char line[900];
	uint64_t i, first = callno > HISTORY ? callno - HISTORY + 1 : 1;

	out_both("phyr_fuzz: the calls before it:\n");
	for (i = first; i < callno; i++) {
		snprintf(line, sizeof(line), "  #%" PRIu64 " %s\n", i,
			 history[i % HISTORY]);
		out_both(line);
	}
}

static void __attribute__((noreturn, format(printf, 1, 2)))
failf(const char *fmt, ...)
{
	char why[1024], line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line),
		 "phyr_fuzz: FAIL seed %" PRIu64 " call %" PRIu64 ": %s: %s\n",
		 opt_seed, callno, cur, why);
	out_both(line);
	print_history();
	snprintf(line, sizeof(line),
		 "phyr_fuzz: reproduce with: phyr_fuzz --seed %" PRIu64
		 " --calls %" PRIu64 "\n", opt_seed, callno);
	out_both(line);
	_exit(1);
}

static void on_signal(int sig)
{
	char line[1024];

	snprintf(line, sizeof(line),
		 "phyr_fuzz: FAIL seed %" PRIu64 " call %" PRIu64 ": %s: %s\n",
		 opt_seed, callno, cur,
		 sig == SIGALRM ? "no return within the time limit (hang)" :
		 sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" :
		 "signal");
	out_both(line);
	print_history();
	_exit(1);
}

/* start call number callno + 1, described by fmt */
static void __attribute__((format(printf, 1, 2))) call(const char *fmt, ...)
{
	va_list ap;

	callno++;
	va_start(ap, fmt);
	vsnprintf(cur, sizeof(cur), fmt, ap);
	va_end(ap);
	memcpy(history[callno % HISTORY], cur, sizeof(cur));
	if (logf)
		fprintf(logf, "#%" PRIu64 " %s\n", callno, cur);
	if (opt_verbose)
		fprintf(stderr, "#%" PRIu64 " %s\n", callno, cur);
	alarm(opt_timeout);
}

static void note_result(enum kind k, int ret)
{
	alarm(0);
	if (ret)
		n_err[k]++;
	else
		n_ok[k]++;
	if (logf)
		fprintf(logf, "  -> %s\n", vphyr_errname(ret));
	if (opt_verbose)
		fprintf(stderr, "  -> %s\n", vphyr_errname(ret));
}

/* what a call created, for the log */
static void __attribute__((format(printf, 1, 2))) logx(const char *fmt, ...)
{
	va_list ap;

	if (logf) {
		fputs("  = ", logf);
		va_start(ap, fmt);
		vfprintf(logf, fmt, ap);
		va_end(ap);
		fputc('\n', logf);
	}
}

/* the errno sets: arrays ending with -1 (valid for the full expression) */
#define ERRS(...) ((const int[]){ __VA_ARGS__, -1 })
/* the same, copied into an int[8] that outlives the block */
#define SET_ERRS(dst, ...) do { \
		const int _s[] = { __VA_ARGS__, -1 }; \
		memcpy(dst, _s, sizeof(_s)); \
	} while (0)

/* check that ret (0 or -errno) is in the set (0 meaning success) */
static void expect(enum kind k, int ret, const int *set)
{
	char names[256] = "";
	int i;

	note_result(k, ret);
	for (i = 0; set[i] >= 0; i++)
		if (-ret == set[i])
			return;
	if (ret == -EIO && bounce_forced && (k == K_IMPORT || k == K_DMA)) {
		bounce_full++;
		return;
	}
	for (i = 0; set[i] >= 0; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", i ? ", " : "", vphyr_errname(-set[i]));
	failf("returned %s, allowed: %s", vphyr_errname(ret), names);
}

/* ---- random numbers ---- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t n)
{
	return n ? rnd64() % n : 0;
}

/* true with probability pct % */
static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

static void rnd_fill(uint8_t *p, size_t n)
{
	uint64_t v = rnd64();
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(i & 7))
			v = rnd64();
		p[i] = v >> ((i & 7) * 8);
	}
}

/* ---- the model ---- */

enum dev_kind { DEV_VPHYR, DEV_VGEM };

struct dev {
	enum dev_kind kind;
	char node[64];
	uint32_t instance;
	bool vram;
	uint64_t vram_size;
	uint64_t vram_base;	/* 0 if not known */
	char pci[32];		/* PCI name ("0000:00:03.0"), "" if not PCI */
	bool gone;		/* unbound: its files and region are revoked */
	int link;		/* linked device index, -1 */
	int link0;		/* at the start */
	bool vram_free0;	/* the whole VRAM could be allocated at the start */
};

struct file {
	bool live;
	int fd;
	int dev;
	unsigned int id;	/* never reused, unlike the slot */
};

/* the bytes behind objects; shared by userptr objects over one memory */
struct store {
	bool live;
	void *heap;		/* malloc()ed memory to free with the store */
	uint8_t *bytes;		/* NULL: not modelled */
	uint64_t size;
	bool known;
	int refs;
};

enum bo_kind { BO_VRAM, BO_SYSTEM, BO_USERPTR, BO_VGEM };

struct bo {
	bool live;
	enum bo_kind kind;
	int dev;		/* the exporting device */
	uint64_t size;
	int store;
	uint64_t soff;		/* offset in the store */
	int refs;		/* handles, dma-buf fds, mappings */
	int pins;		/* vgem imports (non-dynamic importers) */
	bool seen_system;	/* placement read back as system memory */
	bool ro_export;		/* exported without DRM_RDWR: its dma-buf may be read-only */
	uint32_t generation;
	uint32_t evicts;	/* GEM_EVICTs that succeeded */
	uint32_t moves;		/* calls that may have moved it (importers) */
};

struct handle {
	bool live;
	int file;
	uint32_t h;
	int bo;
	uint32_t link_epoch;	/* links when an import was made */
};

struct buf {
	bool live;
	int fd;
	int bo;
};

enum map_kind { MAP_GEM, MAP_DMABUF, MAP_DUMB };

struct map {
	bool live;
	uint8_t *p;
	uint64_t len;
	int bo;
	enum map_kind kind;
	unsigned int file_id;	/* GEM and dumb: the DRM file mapped */
};

/*
 * A handle of a DRM file that was closed while mappings made through it
 * remained: each such mapping keeps the file open in the kernel, and the
 * file keeps its handles, until the last of them goes.
 */
struct ghost {
	bool live;
	unsigned int file_id;
	int bo;
	bool pin;		/* a vgem import: it pins the object */
};

struct umem {
	bool live;
	uint8_t *p;
	uint64_t len;
	int store;
	bool malloced;
	bool readonly;
};

static struct dev devs[MAX_DEVS];
static int ndevs;
static struct file files[MAX_FILES];
static struct store stores[MAX_STORES];
static struct bo bos[MAX_BOS];
static struct handle handles[MAX_HANDLES];
static struct buf bufs[MAX_BUFS];
static struct map maps[MAX_MAPS];
static struct ghost ghosts[MAX_HANDLES];
static unsigned int file_ids;
static struct umem umems[MAX_UMEMS];
static uint32_t link_epoch;

/* an area for bad pointers: rw page, inaccessible page, read-only page */
static uint8_t *bad_area;
/* scratch for data */
static uint8_t *scratch;
static uint64_t scratch_len;
static struct drm_vphyr_range *rbuf;
static uint64_t rbuf_len;

static const char *kind_str(enum bo_kind k)
{
	static const char *const s[] = { "vram", "system", "userptr", "vgem" };

	return s[k];
}

static const char *dev_str(int d)
{
	static char buf[4][32];
	static int i;

	i = (i + 1) & 3;
	if (devs[d].kind == DEV_VGEM)
		snprintf(buf[i], sizeof(buf[i]), "vgem");
	else
		snprintf(buf[i], sizeof(buf[i]), "inst%u%s", devs[d].instance,
			 devs[d].gone ? " (unbound)" : "");
	return buf[i];
}

/* a file of an unbound instance: every ioctl on it fails with ENODEV */
static bool file_dead(int f)
{
	return devs[files[f].dev].gone;
}

/*
 * An object of an unbound instance: drm_phyr_gem_revoke_region() revoked
 * every object created with the instance's region (VRAM and system
 * placements alike); userptr objects have no region and stay usable.
 */
static bool bo_revoked(int b)
{
	return devs[bos[b].dev].gone && bos[b].kind != BO_USERPTR;
}

/* a free slot of a model array, -1 if none */
#define FREE_SLOT(arr, n) ({ \
	int _i, _r = -1; \
	for (_i = 0; _i < (n); _i++) { \
		if (!(arr)[_i].live) { \
			_r = _i; \
			break; \
		} \
	} \
	_r; })

/* a random live entry for which cond holds (_i is its index), -1 if none */
#define PICK(arr, n, cond) ({ \
	int _i, _c = 0, _r = -1; \
	for (_i = 0; _i < (n); _i++) \
		if ((arr)[_i].live && (cond)) \
			_c++; \
	if (_c) { \
		int _k = rnd(_c); \
		for (_i = 0; _i < (n); _i++) { \
			if ((arr)[_i].live && (cond) && !_k--) { \
				_r = _i; \
				break; \
			} \
		} \
	} \
	_r; })

static int store_new(uint64_t size)
{
	int s = FREE_SLOT(stores, MAX_STORES);

	if (s < 0)
		failf("model: out of store slots");
	stores[s] = (struct store){ .live = true, .size = size, .refs = 0 };
	if (size <= SHADOW_MAX) {
		stores[s].bytes = calloc(1, size);
		if (!stores[s].bytes)
			failf("model: out of memory");
		stores[s].known = true;
	}
	return s;
}

static void store_put(int s)
{
	if (--stores[s].refs > 0)
		return;
	free(stores[s].heap);
	free(stores[s].bytes);
	stores[s] = (struct store){ 0 };
}

static uint8_t *bo_shadow(int b)
{
	struct store *s = &stores[bos[b].store];

	return s->bytes && s->known ? s->bytes + bos[b].soff : NULL;
}

static void bo_forget(int b)
{
	stores[bos[b].store].known = false;
}

static int bo_new(enum bo_kind kind, int dev, uint64_t size, int store,
		  uint64_t soff)
{
	int b = FREE_SLOT(bos, MAX_BOS);

	if (b < 0)
		failf("model: out of object slots");
	bos[b] = (struct bo){ .live = true, .kind = kind, .dev = dev,
			      .size = size, .store = store, .soff = soff };
	stores[store].refs++;
	return b;
}

static void bo_put(int b)
{
	if (--bos[b].refs > 0)
		return;
	store_put(bos[b].store);
	bos[b] = (struct bo){ 0 };
}

static int bo_count(void)
{
	int i, n = 0;

	for (i = 0; i < MAX_BOS; i++)
		n += bos[i].live;
	return n;
}

static int handle_find(int f, uint32_t h)
{
	int i;

	for (i = 0; i < MAX_HANDLES; i++)
		if (handles[i].live && handles[i].file == f && handles[i].h == h)
			return i;
	return -1;
}

static bool handle_imported(int i)
{
	return files[handles[i].file].dev != bos[handles[i].bo].dev;
}

static void handle_add(int f, uint32_t h, int b)
{
	int i = handle_find(f, h);

	if (i >= 0) {
		/* PRIME gives a file one handle per object */
		if (handles[i].bo != b)
			failf("handle %u of file %d is already object %d, not %d",
			      h, f, handles[i].bo, b);
		return;
	}
	i = FREE_SLOT(handles, MAX_HANDLES);
	if (i < 0)
		failf("model: out of handle slots");
	handles[i] = (struct handle){ .live = true, .file = f, .h = h,
				      .bo = b, .link_epoch = link_epoch };
	bos[b].refs++;
	logx("handle %u of file %d: object %d", h, f, b);
	if (devs[files[f].dev].kind == DEV_VGEM && bos[b].dev != files[f].dev)
		bos[b].pins++;
}

static void handle_drop(int i)
{
	int b = handles[i].bo;

	if (devs[files[handles[i].file].dev].kind == DEV_VGEM &&
	    bos[b].dev != files[handles[i].file].dev)
		bos[b].pins--;
	handles[i].live = false;
	bo_put(b);
}

/* a handle number that file f does not have */
static uint32_t bad_handle(int f)
{
	static const uint32_t special[] = { 0, 0xffffffffu, 0x7fffffffu, 4096 };
	uint32_t h;

	do {
		h = chance(50) ? special[rnd(4)] : (uint32_t)rnd(64);
	} while (handle_find(f, h) >= 0);
	return h;
}

/* ---- setup ---- */


static int open_file(int d)
{
	int f = FREE_SLOT(files, MAX_FILES);
	int fd;

	if (f < 0)
		return -1;
	fd = open(devs[d].node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	files[f] = (struct file){ .live = true, .fd = fd, .dev = d,
				  .id = ++file_ids };
	logx("file %d (fd %d)", f, fd);
	return f;
}

static int pick_vphyr_file(void)
{
	return PICK(files, MAX_FILES, devs[files[_i].dev].kind == DEV_VPHYR);
}

static void find_devices(void)
{
	struct vphyr_device_info info[MAX_DEVS];
	char node[64];
	int i, n;

	n = vphyr_list_devices(info, MAX_DEVS - 1);
	if (n < 0) {
		fprintf(stderr, "phyr_fuzz: listing vphyr devices: %s\n",
			vphyr_last_error());
		exit(2);
	}
	if (n == 0) {
		fprintf(stderr, "phyr_fuzz: no vphyr instance\n");
		exit(2);
	}
	if (n > MAX_DEVS - 1)
		n = MAX_DEVS - 1;
	for (i = 0; i < n; i++) {
		devs[ndevs] = (struct dev){
			.kind = DEV_VPHYR,
			.instance = info[i].instance,
			.vram = info[i].flags & VPHYR_DEV_VRAM,
			.vram_size = info[i].vram_size,
			.vram_base = info[i].vram_base,
			.link = -1,
		};
		snprintf(devs[ndevs].node, sizeof(devs[ndevs].node), "%s",
			 info[i].node);
		if (!strncmp(info[i].bus, "pci:", 4))
			snprintf(devs[ndevs].pci, sizeof(devs[ndevs].pci), "%s",
				 info[i].bus + 4);
		ndevs++;
	}
	for (i = 0; i < n; i++) {
		int j;

		if (info[i].link_peer == VPHYR_NO_PEER)
			continue;
		for (j = 0; j < n; j++)
			if (info[j].instance == info[i].link_peer)
				devs[i].link = j;
	}
	for (i = 0; i < n; i++)
		devs[i].link0 = devs[i].link;
	if (!vphyr_find_drm_node("vgem", true, node, sizeof(node))) {
		devs[ndevs] = (struct dev){ .kind = DEV_VGEM, .link = -1,
					    .link0 = -1 };
		snprintf(devs[ndevs].node, sizeof(devs[ndevs].node), "%s", node);
		ndevs++;
	}
}

/*
 * The verbs side, from phyr_fuzz_rdma.so next to this program: opened
 * and closed once here, which loads libibverbs' providers (seconds under
 * an emulated CPU) before the process takes its measure, then opened for
 * the run by rdma_open(). Without it the RDMA kinds are not run.
 */
static void rdma_load(void)
{
	static const struct phyr_fuzz_rdma *ops;
	char path[PATH_MAX], why[256] = "";
	ssize_t n;
	char *slash;
	void *h;
	int ret;

	if (skipped[K_RDMA_REG] && skipped[K_RDMA_DEREG] && skipped[K_RDMA_RW])
		return;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		n = 0;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash)
		slash[1] = '\0';
	else
		path[0] = '\0';
	if (strlen(path) + sizeof(PHYR_FUZZ_RDMA_SO) > sizeof(path))
		return;
	strcat(path, PHYR_FUZZ_RDMA_SO);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h)
		ops = dlsym(h, PHYR_FUZZ_RDMA_SYM);
	if (!ops) {
		snprintf(rdma_why, sizeof(rdma_why),
			 "no verbs (%s: %s)", PHYR_FUZZ_RDMA_SO,
			 h ? "no " PHYR_FUZZ_RDMA_SYM : dlerror());
		if (h)
			dlclose(h);
		goto off;
	}
	ret = ops->open(RDMA_LOCAL, why, sizeof(why));
	if (!ret)
		ret = ops->close(why, sizeof(why));
	if (ret == -ENODEV) {
		snprintf(rdma_why, sizeof(rdma_why), "no rxe device: %s", why);
		goto off;
	}
	if (ret) {
		fprintf(stderr, "phyr_fuzz: the verbs side: %s\n", why);
		exit(2);
	}
	rdma = ops;
	return;
off:
	unavailable[K_RDMA_REG] = rdma_why;
	unavailable[K_RDMA_DEREG] = rdma_why;
	unavailable[K_RDMA_RW] = rdma_why;
}

static void rdma_open(void)
{
	char why[256] = "";

	if (!rdma)
		return;
	if (rdma->open(RDMA_LOCAL, why, sizeof(why))) {
		fprintf(stderr, "phyr_fuzz: the verbs side: %s\n", why);
		exit(2);
	}
}

/* which instances can be unbound and bound again */
static void find_replug(void)
{
	char path[160];
	int d, n = 0;

	for (d = 0; d < ndevs; d++) {
		if (!devs[d].pci[0])
			continue;
		snprintf(path, sizeof(path), PHYR_VPHYR_PCI_DRIVER "/%s",
			 devs[d].pci);
		if (access(path, F_OK))
			devs[d].pci[0] = '\0';
		else
			n++;
	}
	if (!n)
		unavailable[K_REPLUG] = "no vphyr instance on PCI";
	else if (access(PHYR_VPHYR_PCI_DRIVER "/unbind", W_OK) ||
		 access(PHYR_VPHYR_PCI_DRIVER "/bind", W_OK))
		unavailable[K_REPLUG] = "no write access to " PHYR_VPHYR_PCI_DRIVER;
}

/* can the whole VRAM of device d be allocated now? */
static bool vram_all_free(int d)
{
	uint32_t h;
	int fd, ret;

	fd = open(devs[d].node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		failf("open %s: %s", devs[d].node, strerror(errno));
	ret = vphyr_uapi_gem_create(fd, devs[d].vram_size, VPHYR_GEM_VRAM, &h);
	if (!ret)
		vphyr_uapi_gem_close(fd, h);
	close(fd);
	if (ret && ret != -ENOSPC)
		failf("GEM_CREATE of the whole VRAM (%" PRIu64 " bytes) of %s: %s",
		      devs[d].vram_size, dev_str(d), vphyr_errname(ret));
	return !ret;
}

/* ---- the calls ---- */

/* an object size: mostly small, sometimes boundary values */
static uint64_t rnd_size(uint64_t vram, bool *valid)
{
	*valid = true;
	switch (rnd(20)) {
	case 0:
		*valid = false;
		return 0;
	case 1:
		*valid = false;
		return 1 + rnd(page - 1);
	case 2:
		*valid = false;
		return page * (1 + rnd(8)) + 1 + rnd(page - 1);
	case 3:
		*valid = false;
		return chance(50) ? (1ull << 40) : ~0ull - page + 1;
	case 4:
		if (vram) {
			*valid = false;
			return vram + page;
		}
		return page;
	case 5:
		/* the whole VRAM, where evicting it cannot exhaust the VM */
		return vram && vram <= WHOLE_VRAM_MAX && chance(30) ? vram :
			(1 + rnd(1024)) * page;
	case 6:
		return page;
	default:
		return (1 + rnd(chance(80) ? 16 : 256)) * page;
	}
}

static void do_create(void)
{
	int f = pick_vphyr_file(), ret, b, s, d;
	struct drm_vphyr_gem_create c = { 0 };
	bool size_ok, flags_ok, vram;
	enum bo_kind kind;

	if (f < 0)
		return;
	d = files[f].dev;
	switch (rnd(12)) {
	case 0:
		c.flags = 0;
		break;
	case 1:
		c.flags = VPHYR_GEM_VRAM | VPHYR_GEM_SYSTEM;
		break;
	case 2:
		c.flags = 1u << (2 + rnd(30));
		break;
	default:
		c.flags = chance(60) ? VPHYR_GEM_VRAM : VPHYR_GEM_SYSTEM;
	}
	flags_ok = c.flags == VPHYR_GEM_VRAM || c.flags == VPHYR_GEM_SYSTEM;
	vram = c.flags == VPHYR_GEM_VRAM;
	c.size = rnd_size(vram ? devs[d].vram_size : 0, &size_ok);
	/* keep the memory of the VM: huge system objects are invalid ones */
	if (!vram && size_ok && c.size > (64ull << 20))
		c.size = 64ull << 20;
	call("GEM_CREATE %s size %#" PRIx64 " flags %#x", dev_str(d), (uint64_t)c.size,
	     c.flags);
	ret = drmIoctl(files[f].fd, DRM_IOCTL_VPHYR_GEM_CREATE, &c) ? -errno : 0;
	if (file_dead(f)) {
		expect(K_CREATE, ret, ERRS(ENODEV));
		return;
	}
	if (!flags_ok || !size_ok) {
		/* sizes: zero, unaligned -> EINVAL; too large -> E2BIG */
		if (!flags_ok || !c.size || c.size % page)
			expect(K_CREATE, ret, ERRS(EINVAL));
		else if (vram && !devs[d].vram)
			expect(K_CREATE, ret, ERRS(ENODEV));
		else
			expect(K_CREATE, ret, ERRS(E2BIG, EINVAL));
		return;
	}
	if (vram && !devs[d].vram) {
		expect(K_CREATE, ret, ERRS(ENODEV));
		return;
	}
	expect(K_CREATE, ret, vram ? ERRS(0, ENOSPC, ENOMEM) : ERRS(0, ENOMEM));
	if (ret)
		return;
	if (handle_find(f, c.handle) >= 0)
		failf("GEM_CREATE returned handle %u, which the file has", c.handle);
	kind = vram ? BO_VRAM : BO_SYSTEM;
	s = store_new(c.size);
	b = bo_new(kind, d, c.size, s, 0);
	handle_add(f, c.handle, b);
}

static void do_vgem_create(void)
{
	int f = PICK(files, MAX_FILES, devs[files[_i].dev].kind == DEV_VGEM);
	struct drm_mode_create_dumb c = { 0 };
	int ret, b, s;

	if (f < 0)
		return;
	c.width = page;
	c.height = 1 + rnd(chance(80) ? 16 : 256);
	c.bpp = 8;
	call("vgem CREATE_DUMB %ux%u bpp 8", c.width, c.height);
	ret = drmIoctl(files[f].fd, DRM_IOCTL_MODE_CREATE_DUMB, &c) ? -errno : 0;
	expect(K_VGEM_CREATE, ret, ERRS(0, ENOMEM));
	if (ret)
		return;
	if (c.size < (uint64_t)c.width * c.height || c.size % page)
		failf("CREATE_DUMB size %" PRIu64, (uint64_t)c.size);
	if (handle_find(f, c.handle) >= 0)
		failf("CREATE_DUMB returned handle %u, which the file has",
		      c.handle);
	s = store_new(c.size);
	b = bo_new(BO_VGEM, files[f].dev, c.size, s, 0);
	handle_add(f, c.handle, b);
}

static void do_close(void)
{
	int i = PICK(handles, MAX_HANDLES, true), f, ret;
	uint32_t h;

	if (i < 0 || chance(8)) {
		f = PICK(files, MAX_FILES, true);
		if (f < 0)
			return;
		h = bad_handle(f);
		call("GEM_CLOSE %s file %d bad handle %u",
		     dev_str(files[f].dev), f, h);
		ret = vphyr_uapi_gem_close(files[f].fd, h);
		expect(K_CLOSE, ret, file_dead(f) ? ERRS(ENODEV) : ERRS(EINVAL));
		return;
	}
	f = handles[i].file;
	call("GEM_CLOSE %s file %d handle %u (object %d)", dev_str(files[f].dev),
	     f, handles[i].h, handles[i].bo);
	ret = vphyr_uapi_gem_close(files[f].fd, handles[i].h);
	/* the handles of a file of an unbound instance go with the file */
	if (file_dead(f)) {
		expect(K_CLOSE, ret, ERRS(ENODEV));
		return;
	}
	expect(K_CLOSE, ret, ERRS(0));
	handle_drop(i);
}

static int map_add(uint8_t *p, uint64_t len, int b, enum map_kind kind,
		   int f)
{
	int m = FREE_SLOT(maps, MAX_MAPS);

	if (m < 0)
		failf("model: out of mapping slots");
	maps[m] = (struct map){ .live = true, .p = p, .len = len, .bo = b,
				.kind = kind,
				.file_id = f >= 0 ? files[f].id : 0 };
	bos[b].refs++;
	logx("mapping %d of object %d at %p", m, b, (void *)p);
	return m;
}

/* whether a mapping made through DRM file id is left */
static bool file_mapped(unsigned int id)
{
	int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].live && maps[i].file_id == id)
			return true;
	return false;
}

/* the model's side of munmap() of all of mapping m */
static void map_drop(int m)
{
	unsigned int id = maps[m].file_id;
	int i;

	maps[m].live = false;
	bo_put(maps[m].bo);
	if (!id || file_mapped(id))
		return;
	/* the last mapping of a closed file: the kernel releases the file */
	for (i = 0; i < MAX_HANDLES; i++) {
		if (!ghosts[i].live || ghosts[i].file_id != id)
			continue;
		if (ghosts[i].pin)
			bos[ghosts[i].bo].pins--;
		ghosts[i].live = false;
		bo_put(ghosts[i].bo);
	}
}

/*
 * The model's side of close() of DRM file f: its handles go, unless
 * mappings made through it keep the file open in the kernel.
 */
static void file_closed(int f)
{
	bool mapped = file_mapped(files[f].id);
	int i, g;

	for (i = 0; i < MAX_HANDLES; i++) {
		if (!handles[i].live || handles[i].file != f)
			continue;
		if (!mapped) {
			handle_drop(i);
			continue;
		}
		g = FREE_SLOT(ghosts, MAX_HANDLES);
		if (g < 0)
			failf("model: out of ghost slots");
		ghosts[g] = (struct ghost){
			.live = true, .file_id = files[f].id,
			.bo = handles[i].bo,
			.pin = devs[files[f].dev].kind == DEV_VGEM &&
			       bos[handles[i].bo].dev != files[f].dev,
		};
		handles[i].live = false;
		logx("handle %u of file %d lives on in the kernel (mapped)",
		     handles[i].h, f);
	}
	files[f].live = false;
}

/* GEM_MMAP (or vgem's MAP_DUMB) and mmap() of the DRM file */
static void do_mmap(void)
{
	int i = PICK(handles, MAX_HANDLES, true), f, d, ret, b, other;
	uint64_t off = 0, len;
	bool vgem, own;
	void *p;

	if (i < 0 || FREE_SLOT(maps, MAX_MAPS) < 0)
		return;
	f = handles[i].file;
	d = files[f].dev;
	b = handles[i].bo;
	vgem = devs[d].kind == DEV_VGEM;
	own = !handle_imported(i);
	if (vgem) {
		struct drm_mode_map_dumb m = { .handle = handles[i].h };

		call("vgem MAP_DUMB handle %u (object %d, %s)", m.handle, b,
		     own ? "own" : "imported");
		ret = drmIoctl(files[f].fd, DRM_IOCTL_MODE_MAP_DUMB, &m) ?
			-errno : 0;
		expect(K_MMAP, ret, own ? ERRS(0) : ERRS(EINVAL));
		off = m.offset;
	} else {
		uint32_t pad = chance(5) ? 1 + rnd(0xffff) : 0;

		call("GEM_MMAP %s handle %u pad %u (object %d, %s)",
		     dev_str(d), handles[i].h, pad, b, own ? "own" : "imported");
		ret = vphyr_uapi_gem_mmap(files[f].fd, handles[i].h, pad, &off);
		expect(K_MMAP, ret, file_dead(f) ? ERRS(ENODEV) :
		       pad || !own ? ERRS(EINVAL) : ERRS(0));
	}
	if (ret)
		return;

	len = bos[b].size;
	if (chance(30))
		len = page * (1 + rnd(len / page));
	switch (rnd(16)) {
	case 0:
		/* a private mapping: PFN mappings cannot be copied on write */
		call("mmap MAP_PRIVATE %s offset %#" PRIx64 " len %#" PRIx64,
		     dev_str(d), off, len);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			 files[f].fd, off);
		ret = p == MAP_FAILED ? -errno : 0;
		if (!ret)
			munmap(p, len);
		expect(K_MMAP, ret, vgem ? ERRS(0, EINVAL) : ERRS(EINVAL));
		return;
	case 1:
		/* longer than the object */
		call("mmap %s offset %#" PRIx64 " len %#" PRIx64 " (object is %#"
		     PRIx64 ")", dev_str(d), off, bos[b].size + page,
		     bos[b].size);
		p = mmap(NULL, bos[b].size + page, PROT_READ | PROT_WRITE,
			 MAP_SHARED, files[f].fd, off);
		ret = p == MAP_FAILED ? -errno : 0;
		if (!ret)
			munmap(p, bos[b].size + page);
		expect(K_MMAP, ret, ERRS(EINVAL, EACCES));
		return;
	case 2:
		/* the offset through another file of the same device */
		other = PICK(files, MAX_FILES, files[_i].dev == d && _i != f);
		if (other < 0)
			break;
		/* unless that file has a handle of the same object */
		for (int j = 0; j < MAX_HANDLES; j++)
			if (handles[j].live && handles[j].file == other &&
			    handles[j].bo == b)
				other = -1;
		if (other < 0)
			break;
		call("mmap %s offset %#" PRIx64 " of file %d through file %d",
		     dev_str(d), off, f, other);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 files[other].fd, off);
		ret = p == MAP_FAILED ? -errno : 0;
		if (!ret)
			munmap(p, len);
		expect(K_MMAP, ret, ERRS(EACCES, EINVAL));
		return;
	}
	call("mmap %s offset %#" PRIx64 " len %#" PRIx64 " (object %d)",
	     dev_str(d), off, len, b);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, files[f].fd, off);
	ret = p == MAP_FAILED ? -errno : 0;
	expect(K_MMAP, ret, ERRS(0, ENOMEM));
	if (!ret)
		map_add(p, len, b, vgem ? MAP_DUMB : MAP_GEM, f);
}

static void do_munmap(void)
{
	int m = PICK(maps, MAX_MAPS, true), ret;
	uint64_t keep;

	if (m < 0)
		return;
	if (maps[m].len > page && chance(25)) {
		/* the tail only: the mapping is split */
		keep = page * (1 + rnd(maps[m].len / page - 1));
		call("munmap the tail of mapping %d (object %d) at %#" PRIx64
		     " len %#" PRIx64, m, maps[m].bo, keep, maps[m].len - keep);
		ret = munmap(maps[m].p + keep, maps[m].len - keep) ? -errno : 0;
		expect(K_MUNMAP, ret, ERRS(0));
		maps[m].len = keep;
		return;
	}
	call("munmap mapping %d (object %d) len %#" PRIx64, m, maps[m].bo,
	     maps[m].len);
	ret = munmap(maps[m].p, maps[m].len) ? -errno : 0;
	expect(K_MUNMAP, ret, ERRS(0));
	map_drop(m);
}

static void compare(const uint8_t *got, const uint8_t *want, uint64_t len,
		    uint64_t off, const char *how)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			failf("data mismatch %s at object offset %#" PRIx64
			      ": read %#04x, the model has %#04x (%" PRIu64
			      " bytes compared)", how, off + i, got[i], want[i],
			      len);
}

/* a range in an object: mostly aligned pieces, sometimes odd ones */
static void rnd_range(uint64_t size, uint64_t max, uint64_t *off,
		      uint64_t *len)
{
	switch (rnd(6)) {
	case 0:
		*off = 0;
		*len = size;
		break;
	case 1:
		*len = 1 + rnd(16);
		*off = size - *len;
		break;
	case 2:
		*off = rnd(size);
		*len = 1 + rnd(size - *off);
		break;
	default:
		*off = page * rnd(size / page);
		*len = page * (1 + rnd((size - *off) / page));
	}
	if (*len > max)
		*len = max;
}

static sigjmp_buf fault_jmp;

static void on_expected_fault(int sig __attribute__((unused)))
{
	siglongjmp(fault_jmp, 1);
}

/*
 * Access one byte at p where the model says the access faults (a CPU
 * mapping of a revoked object): SIGBUS is caught here instead of being a
 * failure, and an access that does not fault is one.
 */
static void expect_fault(enum kind k, volatile uint8_t *p, bool write)
{
	struct sigaction sa = { .sa_handler = on_expected_fault }, old;
	volatile bool faulted = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(fault_jmp, 1)) {
		if (write)
			*p = 0xa5;
		else
			(void)*p;
	} else {
		faulted = true;
	}
	sigaction(SIGBUS, &old, NULL);
	alarm(0);
	if (logf)
		fprintf(logf, "  -> %s\n", faulted ? "SIGBUS" : "no fault");
	if (!faulted)
		failf("the %s did not fault (SIGBUS expected: the object was revoked)",
		      write ? "write" : "read");
	n_err[k]++;
}

/* CPU reads and writes through a mapping or through user memory */
static void do_cpu(void)
{
	bool umem = chance(25);
	int m, b = -1, ret = 0;
	uint64_t off, len;
	uint8_t *p, *shadow;
	bool write = chance(50);
	struct store *s = NULL;

	if (umem) {
		m = PICK(umems, MAX_UMEMS, true);
		if (m < 0)
			return;
		p = umems[m].p;
		s = &stores[umems[m].store];
		rnd_range(umems[m].len, 1 << 20, &off, &len);
		if (umems[m].readonly)
			write = false;
		call("CPU %s user memory %d [%#" PRIx64 ", +%#" PRIx64 ")",
		     write ? "write" : "read", m, off, len);
		shadow = s->bytes && s->known ? s->bytes : NULL;
	} else {
		m = PICK(maps, MAX_MAPS, true);
		if (m < 0)
			return;
		b = maps[m].bo;
		p = maps[m].p;
		if (bo_revoked(b)) {
			off = rnd(maps[m].len);
			call("CPU %s mapping %d (object %d, %s, revoked) at %#"
			     PRIx64, write ? "write" : "read", m, b,
			     kind_str(bos[b].kind), off);
			expect_fault(K_CPU, p + off, write);
			return;
		}
		rnd_range(maps[m].len, 1 << 20, &off, &len);
		call("CPU %s mapping %d (object %d, %s) [%#" PRIx64 ", +%#"
		     PRIx64 ")", write ? "write" : "read", m, b,
		     kind_str(bos[b].kind), off, len);
		shadow = bo_shadow(b);
	}
	if (write) {
		rnd_fill(scratch, len);
		memcpy(p + off, scratch, len);
		if (shadow)
			memcpy(shadow + off, scratch, len);
		else if (umem)
			s->known = false;
	} else {
		memcpy(scratch, p + off, len);
		if (shadow)
			compare(scratch, shadow + off, len, off,
				umem ? "through user memory" :
				"through a CPU mapping");
	}
	note_result(K_CPU, ret);
}

static void do_ranges(void)
{
	int i = PICK(handles, MAX_HANDLES, true), f, d, b, ret;
	struct drm_vphyr_gem_ranges q = { 0 };
	uint64_t cap, sum = 0;
	bool bad_ptr = false, imported;
	uint32_t k, asked;

	f = i >= 0 ? handles[i].file : pick_vphyr_file();
	if (f < 0 || devs[files[f].dev].kind != DEV_VPHYR) {
		f = pick_vphyr_file();
		i = -1;
		if (f < 0)
			return;
	}
	if (i >= 0 && handles[i].file != f)
		i = -1;
	d = files[f].dev;
	if (i < 0 || chance(8)) {
		q.handle = bad_handle(f);
		q.count = rnd(4);
		q.ranges_ptr = (uintptr_t)rbuf;
		call("GEM_RANGES %s bad handle %u count %u", dev_str(d),
		     q.handle, q.count);
		ret = vphyr_uapi_gem_ranges(files[f].fd, &q);
		expect(K_RANGES, ret, file_dead(f) ? ERRS(ENODEV) :
		       ERRS(ENOENT));
		return;
	}
	b = handles[i].bo;
	imported = handle_imported(i);
	cap = bos[b].size / page;
	if (cap > rbuf_len)
		return;
	q.handle = handles[i].h;
	switch (rnd(8)) {
	case 0:
		q.count = 0;
		break;
	case 1:
		q.count = 1;
		break;
	case 2:
		q.count = 0xffffffffu;
		break;
	default:
		q.count = cap;
	}
	q.ranges_ptr = (uintptr_t)rbuf;
	if (chance(10)) {
		static const uint64_t bad[] = { 0, BAD_KPTR, 1 };

		q.ranges_ptr = chance(50) ? bad[rnd(3)] :
			(uintptr_t)(bad_area + page * (1 + rnd(2)));
		bad_ptr = true;
	}
	if (chance(5))
		q.flags = 1u << rnd(32);
	asked = q.count;
	if (!bad_ptr)
		memset(rbuf, 0, cap * sizeof(*rbuf));
	call("GEM_RANGES %s handle %u (object %d, %s%s) count %u ptr %#" PRIx64
	     " flags %#x", dev_str(d), q.handle, b, kind_str(bos[b].kind),
	     imported ? ", imported" : "", q.count, (uint64_t)q.ranges_ptr,
	     q.flags);
	if (imported)
		bos[b].moves++;
	ret = vphyr_uapi_gem_ranges(files[f].fd, &q);
	if (file_dead(f)) {
		expect(K_RANGES, ret, ERRS(ENODEV));
		return;
	}
	if (q.flags) {
		expect(K_RANGES, ret, ERRS(EINVAL));
		return;
	}
	/* an importer cannot map a revoked object again */
	if (bo_revoked(b)) {
		expect(K_RANGES, ret, ERRS(ENODEV));
		return;
	}
	if (imported && bos[b].pins)
		expect(K_RANGES, ret, bad_ptr && asked ?
		       ERRS(EFAULT, EOPNOTSUPP, ENOMEM) :
		       ERRS(0, EOPNOTSUPP, ENOMEM));
	else
		expect(K_RANGES, ret, bad_ptr && asked ? ERRS(EFAULT, ENOMEM) :
		       ERRS(0, ENOMEM));
	if (ret)
		return;
	/* what came back must describe the object */
	if (q.total_len != bos[b].size)
		failf("total_len %" PRIu64 ", the object has %" PRIu64,
		      (uint64_t)q.total_len, bos[b].size);
	if (!q.count || q.count > cap)
		failf("count %u for an object of %" PRIu64 " pages", q.count, cap);
	if (imported) {
		if (q.kind != VPHYR_RANGES_DMA ||
		    q.placement != VPHYR_PLACE_IMPORTED)
			failf("an import reads back kind %u placement %u",
			      q.kind, q.placement);
	} else {
		uint32_t want = bos[b].kind == BO_USERPTR ? VPHYR_PLACE_USERPTR :
			bos[b].kind == BO_VRAM ? VPHYR_PLACE_VRAM :
			VPHYR_PLACE_SYSTEM;

		if (q.kind != VPHYR_RANGES_PHYS)
			failf("an own object reads back kind %u", q.kind);
		if (q.placement != want &&
		    !(bos[b].kind == BO_VRAM && q.placement == VPHYR_PLACE_SYSTEM))
			failf("placement %u, expected %u", q.placement, want);
		if (bos[b].kind == BO_VRAM && bos[b].seen_system &&
		    q.placement == VPHYR_PLACE_VRAM)
			failf("a VRAM object back in VRAM after it moved to system memory");
		if (q.placement == VPHYR_PLACE_SYSTEM)
			bos[b].seen_system = true;
		if (q.generation < bos[b].generation)
			failf("generation went back from %u to %u",
			      bos[b].generation, q.generation);
		bos[b].generation = q.generation;
	}
	/* a table asked for in full adds up to the object */
	if (asked < q.count)
		return;
	for (k = 0; k < q.count; k++) {
		if (!rbuf[k].len || rbuf[k].pad)
			failf("range %u of %u: len %" PRIu64 " pad %u", k, q.count,
			      (uint64_t)rbuf[k].len, rbuf[k].pad);
		sum += rbuf[k].len;
	}
	if (sum != q.total_len)
		failf("the ranges add up to %" PRIu64 ", total_len is %" PRIu64,
		      sum, (uint64_t)q.total_len);
}

/* GEM_DMA: the device reads or writes an object through its DMA addresses */
static void do_dma(void)
{
	int i = PICK(handles, MAX_HANDLES,
		     devs[files[handles[_i].file].dev].kind == DEV_VPHYR);
	struct drm_vphyr_gem_dma a = { 0 };
	int f, d, b, ret, invalid = 0;
	bool imported, write, partial = false, badptr = false;
	uint8_t *shadow;
	uint64_t off, len;

	if (i < 0 || chance(5)) {
		f = pick_vphyr_file();
		if (f < 0)
			return;
		a.handle = bad_handle(f);
		a.flags = VPHYR_DMA_READ;
		a.size = page;
		a.data_ptr = (uintptr_t)scratch;
		call("GEM_DMA %s bad handle %u", dev_str(files[f].dev), a.handle);
		ret = drmIoctl(files[f].fd, DRM_IOCTL_VPHYR_GEM_DMA, &a) ?
			-errno : 0;
		expect(K_DMA, ret, file_dead(f) ? ERRS(ENODEV) : ERRS(ENOENT));
		return;
	}
	f = handles[i].file;
	d = files[f].dev;
	b = handles[i].bo;
	imported = handle_imported(i);
	write = chance(50);
	rnd_range(bos[b].size, scratch_len, &off, &len);
	a.handle = handles[i].h;
	a.flags = write ? VPHYR_DMA_WRITE : VPHYR_DMA_READ;
	a.offset = off;
	a.size = len;
	a.data_ptr = (uintptr_t)scratch;
	switch (rnd(24)) {
	case 0:
		a.flags = rnd(2) ? 0 : (chance(50) ? 3 : 1u << (2 + rnd(30)));
		invalid = 1;
		break;
	case 1:
		a.size = 0;
		invalid = 1;
		break;
	case 2:
		a.offset = bos[b].size - rnd(2) * page;
		a.size = page + 1;
		invalid = 1;
		break;
	case 3:
		a.offset = ~0ull - rnd(page);
		a.size = page * 2;
		invalid = 1;
		break;
	case 4: {
		static const uint64_t bad[] = { 0, BAD_KPTR, 8 };

		a.data_ptr = bad[rnd(3)];
		badptr = true;
		break;
	}
	case 5:
		/* a buffer running into an unmapped page */
		a.offset = 0;
		a.size = bos[b].size < 2 * page ? bos[b].size : 2 * page;
		a.data_ptr = (uintptr_t)(bad_area + page - (a.size > page ?
				page / 2 : 0));
		if (a.size > page / 2) {
			badptr = true;
			partial = true;
		}
		break;
	case 6:
		if (write)
			break;
		/* reading into read-only memory */
		a.data_ptr = (uintptr_t)(bad_area + 2 * page);
		a.size = a.size > page ? page : a.size;
		if (a.offset + a.size > bos[b].size)
			a.offset = 0;
		badptr = true;
		break;
	}
	call("GEM_DMA %s %s handle %u (object %d, %s%s) offset %#" PRIx64
	     " size %#" PRIx64 " ptr %#" PRIx64 " flags %#x", dev_str(d),
	     write ? "write" : "read", a.handle, b, kind_str(bos[b].kind),
	     imported ? ", imported" : "", (uint64_t)a.offset,
	     (uint64_t)a.size, (uint64_t)a.data_ptr, a.flags);
	if (write && !badptr)
		rnd_fill(scratch, a.size);
	if (imported)
		bos[b].moves++;
	ret = drmIoctl(files[f].fd, DRM_IOCTL_VPHYR_GEM_DMA, &a) ? -errno : 0;
	if (file_dead(f)) {
		expect(K_DMA, ret, ERRS(ENODEV));
		return;
	}
	if (invalid) {
		expect(K_DMA, ret, ERRS(EINVAL));
		return;
	}
	/*
	 * An importer of a revoked object cannot map it again; a write
	 * copies its first chunk from the caller before it tries.
	 */
	if (bo_revoked(b)) {
		expect(K_DMA, ret, write && badptr ? ERRS(EFAULT) :
		       ERRS(ENODEV));
		return;
	}
	{
		/* a table mapped for a link that changed since may not resolve */
		bool stale = imported && handles[i].link_epoch != link_epoch;
		bool pinned = imported && bos[b].pins;

		if (badptr)
			expect(K_DMA, ret, stale || pinned ?
			       ERRS(EFAULT, EOPNOTSUPP) : ERRS(EFAULT));
		else if (stale || pinned)
			expect(K_DMA, ret, ERRS(0, EFAULT, EOPNOTSUPP, ENOMEM));
		else
			expect(K_DMA, ret, ERRS(0, ENOMEM));
	}
	if (write && partial)
		bo_forget(b);
	if (ret)
		return;
	shadow = bo_shadow(b);
	if (!shadow)
		return;
	if (write)
		memcpy(shadow + a.offset, scratch, a.size);
	else
		compare(scratch, shadow + a.offset, a.size, a.offset,
			imported ? "by the importing device" : "by the device");
}

static void do_evict(void)
{
	int i = PICK(handles, MAX_HANDLES,
		     devs[files[handles[_i].file].dev].kind == DEV_VPHYR);
	int f, b, ret;
	uint32_t flags = 0;
	bool imported;

	if (i < 0 || chance(5)) {
		f = pick_vphyr_file();
		if (f < 0)
			return;
		call("GEM_EVICT %s bad handle", dev_str(files[f].dev));
		ret = vphyr_uapi_gem_evict(files[f].fd, bad_handle(f), 0);
		expect(K_EVICT, ret, file_dead(f) ? ERRS(ENODEV) : ERRS(ENOENT));
		return;
	}
	f = handles[i].file;
	b = handles[i].bo;
	imported = handle_imported(i);
	if (chance(5))
		flags = 1u << rnd(32);
	call("GEM_EVICT %s handle %u (object %d, %s%s) flags %#x",
	     dev_str(files[f].dev), handles[i].h, b, kind_str(bos[b].kind),
	     imported ? ", imported" : "", flags);
	ret = vphyr_uapi_gem_evict(files[f].fd, handles[i].h, flags);
	if (file_dead(f)) {
		expect(K_EVICT, ret, ERRS(ENODEV));
		return;
	}
	if (flags || imported)
		expect(K_EVICT, ret, ERRS(EINVAL));
	else if (bos[b].pins)
		expect(K_EVICT, ret, ERRS(0, EBUSY, ENOMEM));
	else
		expect(K_EVICT, ret, ERRS(0, ENOMEM));
	if (!ret && !flags && !imported && bos[b].kind == BO_VRAM) {
		bos[b].seen_system = true;
		bos[b].evicts++;
	}
}

static void do_link(void)
{
	int f = pick_vphyr_file(), g, d, p = -1, ret, want;
	uint32_t flags;
	int peer_fd;
	const char *what;

	if (f < 0)
		return;
	d = files[f].dev;
	flags = chance(50) ? VPHYR_LINK_REMOVE : 0;
	if (chance(5))
		flags |= 2u << rnd(31);
	switch (rnd(10)) {
	case 0:
		peer_fd = chance(50) ? -1 : 100000;
		what = "a bad fd";
		want = EBADF;
		break;
	case 1:
		g = PICK(bufs, MAX_BUFS, true);
		if (g >= 0) {
			peer_fd = bufs[g].fd;
			what = "a dma-buf";
		} else {
			g = PICK(files, MAX_FILES, devs[files[_i].dev].kind ==
				 DEV_VGEM);
			if (g < 0)
				return;
			peer_fd = files[g].fd;
			what = "vgem";
		}
		want = EINVAL;
		break;
	default:
		g = pick_vphyr_file();
		if (devs[d].vram && chance(60)) {
			/* mostly a link or unlink that can work */
			int h = PICK(files, MAX_FILES, files[_i].dev != d &&
				     devs[files[_i].dev].vram);

			if (h >= 0) {
				g = h;
				flags &= ~VPHYR_LINK_REMOVE;
				if (devs[d].link >= 0)
					flags |= VPHYR_LINK_REMOVE;
			}
		}
		peer_fd = files[g].fd;
		p = files[g].dev;
		what = dev_str(p);
		if (p == d)
			want = EINVAL;
		else if (!devs[d].vram || !devs[p].vram)
			want = ENODEV;
		else if (flags & VPHYR_LINK_REMOVE)
			want = devs[d].link == p ? 0 : ENOENT;
		else
			want = devs[d].link >= 0 || devs[p].link >= 0 ? EBUSY : 0;
	}
	if (flags & ~VPHYR_LINK_REMOVE)
		want = EINVAL;
	call("LINK %s peer %s (fd %d) flags %#x", dev_str(d), what, peer_fd,
	     flags);
	ret = vphyr_uapi_link(files[f].fd, peer_fd, flags);
	if (file_dead(f)) {
		expect(K_LINK, ret, ERRS(ENODEV));
		return;
	}
	if (p >= 0 && p != d && devs[p].gone && want != EINVAL &&
	    want != ENODEV) {
		/*
		 * A peer that was unbound is no instance any more: never
		 * linked to; it was not linked to anything either
		 */
		if (flags & VPHYR_LINK_REMOVE)
			expect(K_LINK, ret, ERRS(ENODEV, ENOENT));
		else if (devs[d].link >= 0)
			expect(K_LINK, ret, ERRS(ENODEV, EBUSY));
		else
			expect(K_LINK, ret, ERRS(ENODEV));
		return;
	}
	expect(K_LINK, ret, ERRS(want));
	if (ret)
		return;
	link_epoch++;
	if (flags & VPHYR_LINK_REMOVE) {
		devs[d].link = -1;
		devs[p].link = -1;
	} else {
		devs[d].link = p;
		devs[p].link = d;
	}
}

static void do_umem(void)
{
	int u = PICK(umems, MAX_UMEMS, true), s, ret = 0;
	uint64_t len;
	void *p;
	int i;

	if (u >= 0 && (chance(50) || FREE_SLOT(umems, MAX_UMEMS) < 0)) {
		call("%s user memory %d (%p, %#" PRIx64 " bytes)",
		     umems[u].malloced ? "free" : "munmap", u, umems[u].p,
		     umems[u].len);
		if (umems[u].malloced) {
			/*
			 * free() may hand the pages out again while an object
			 * has them pinned: the last object frees them
			 */
			if (stores[umems[u].store].refs > 1)
				stores[umems[u].store].heap = umems[u].p;
			else
				free(umems[u].p);
		} else {
			ret = munmap(umems[u].p, umems[u].len) ? -errno : 0;
		}
		expect(K_UMEM, ret, ERRS(0));
		umems[u].live = false;
		store_put(umems[u].store);
		return;
	}
	u = FREE_SLOT(umems, MAX_UMEMS);
	if (u < 0)
		return;
	len = page * (1 + rnd(chance(80) ? 16 : 512));
	umems[u] = (struct umem){ .len = len };
	switch (rnd(4)) {
	case 0:
		call("malloc user memory %#" PRIx64 " bytes", len);
		p = aligned_alloc(page, len);
		ret = p ? 0 : -ENOMEM;
		umems[u].malloced = true;
		break;
	case 1:
		call("mmap read-only user memory %#" PRIx64 " bytes", len);
		p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_POPULATE, -1, 0);
		ret = p == MAP_FAILED ? -errno : 0;
		umems[u].readonly = true;
		break;
	default:
		call("mmap user memory %#" PRIx64 " bytes", len);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 (chance(50) ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS,
			 -1, 0);
		ret = p == MAP_FAILED ? -errno : 0;
	}
	expect(K_UMEM, ret, ERRS(0));
	s = store_new(len);
	stores[s].refs = 1;
	umems[u].live = true;
	umems[u].p = p;
	umems[u].store = s;
	logx("user memory %d at %p", u, p);
	if (umems[u].readonly)
		return;
	/* fill it, so that the model knows its bytes */
	if (stores[s].bytes) {
		rnd_fill(stores[s].bytes, len);
		memcpy(p, stores[s].bytes, len);
	} else {
		for (i = 0; (uint64_t)i < len; i += page)
			((uint8_t *)p)[i] = 1;
	}
}

static void do_userptr(void)
{
	int f = pick_vphyr_file(), u, m, ret, b, d, want0 = 1;
	uint64_t addr, size, off = 0;
	uint32_t flags = 0, h = 0;
	int set[8];

	if (f < 0)
		return;
	SET_ERRS(set, 0, ENOMEM);
	d = files[f].dev;
	u = PICK(umems, MAX_UMEMS, true);
	if (u < 0 || chance(25)) {
		want0 = 0;
		switch (rnd(7)) {
		case 0:
			addr = 0;
			size = page;
			SET_ERRS(set, EFAULT);
			break;
		case 1:
			addr = BAD_KPTR;
			size = page;
			SET_ERRS(set, EFAULT, EINVAL);
			break;
		case 2:
			addr = (uintptr_t)bad_area + page;
			size = page;
			SET_ERRS(set, EFAULT);
			break;
		case 3:
			addr = (uintptr_t)bad_area;
			size = 1ull << 40;
			SET_ERRS(set, E2BIG, EFAULT, ENOMEM);
			break;
		case 4:
			addr = ~0ull - page + 1;
			size = page * 2;
			SET_ERRS(set, EINVAL);
			break;
		case 5:
			/* a CPU mapping of an object: PFN memory cannot be pinned */
			m = PICK(maps, MAX_MAPS, maps[_i].kind != MAP_DUMB);
			if (m < 0)
				return;
			addr = (uintptr_t)maps[m].p;
			size = maps[m].len;
			SET_ERRS(set, EFAULT);
			break;
		default:
			addr = (uintptr_t)bad_area + rnd(2) * page;
			size = page + 1 + rnd(page - 1);
			SET_ERRS(set, EINVAL);
		}
	} else {
		size = page * (1 + rnd(umems[u].len / page));
		off = page * rnd((umems[u].len - size) / page + 1);
		addr = (uintptr_t)umems[u].p + off;
		if (umems[u].readonly) {
			want0 = 0;
			SET_ERRS(set, EFAULT);
		}
		switch (rnd(16)) {
		case 0:
			addr += 1 + rnd(page - 1);
			want0 = 0;
			SET_ERRS(set, EINVAL);
			break;
		case 1:
			size = 0;
			want0 = 0;
			SET_ERRS(set, EINVAL);
			break;
		case 2:
			flags = 1u << rnd(32);
			want0 = 0;
			SET_ERRS(set, EINVAL);
			break;
		}
	}
	call("GEM_USERPTR %s addr %#" PRIx64 " size %#" PRIx64 " flags %#x%s",
	     dev_str(d), addr, size, flags, want0 ? " (user memory)" : "");
	ret = vphyr_uapi_gem_userptr(files[f].fd, addr, size, flags, &h);
	if (file_dead(f))
		SET_ERRS(set, ENODEV);
	expect(K_USERPTR, ret, set);
	if (ret)
		return;
	if (!want0)
		failf("an invalid GEM_USERPTR succeeded");
	if (handle_find(f, h) >= 0)
		failf("GEM_USERPTR returned handle %u, which the file has", h);
	b = bo_new(BO_USERPTR, d, size, umems[u].store, off);
	handle_add(f, h, b);
}

static void do_export(void)
{
	int i = PICK(handles, MAX_HANDLES, true), f, g, ret, fd = -1;
	uint32_t flags = DRM_CLOEXEC | DRM_RDWR;

	if (FREE_SLOT(bufs, MAX_BUFS) < 0)
		return;
	if (i < 0 || chance(8)) {
		struct drm_prime_handle a = { .fd = -1 };

		f = PICK(files, MAX_FILES, true);
		if (f < 0)
			return;
		a.handle = bad_handle(f);
		a.flags = flags;
		if (chance(50) && i >= 0 && handles[i].file == f) {
			a.handle = handles[i].h;
			a.flags = 1u << rnd(31);
			if (a.flags & (DRM_CLOEXEC | DRM_RDWR))
				a.flags <<= 3;
		}
		call("PRIME_HANDLE_TO_FD %s handle %u flags %#x",
		     dev_str(files[f].dev), a.handle, a.flags);
		ret = drmIoctl(files[f].fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &a) ?
			-errno : 0;
		if (!ret)
			close(a.fd);
		expect(K_EXPORT, ret, file_dead(f) ? ERRS(ENODEV) :
		       ERRS(ENOENT, EINVAL));
		return;
	}
	f = handles[i].file;
	if (chance(15))
		flags = DRM_CLOEXEC;
	call("drmPrimeHandleToFD %s handle %u (object %d, %s) flags %#x",
	     dev_str(files[f].dev), handles[i].h, handles[i].bo,
	     kind_str(bos[handles[i].bo].kind), flags);
	ret = drmPrimeHandleToFD(files[f].fd, handles[i].h, flags, &fd) ?
		-errno : 0;
	/* an import of a revoked object gives back the dma-buf it came from */
	expect(K_EXPORT, ret, file_dead(f) ? ERRS(ENODEV) : ERRS(0, ENOMEM));
	if (ret)
		return;
	g = FREE_SLOT(bufs, MAX_BUFS);
	bufs[g] = (struct buf){ .live = true, .fd = fd, .bo = handles[i].bo };
	logx("dma-buf fd %d of object %d", fd, handles[i].bo);
	/* the mode is the dma-buf's, set by the export that created it */
	if (!(flags & DRM_RDWR))
		bos[handles[i].bo].ro_export = true;
	bos[handles[i].bo].refs++;
}

static void do_import(void)
{
	int g = PICK(bufs, MAX_BUFS, true), f = PICK(files, MAX_FILES, true);
	int ret, b, d, fd;
	uint32_t h = 0;
	bool vgem;

	if (f < 0)
		return;
	d = files[f].dev;
	vgem = devs[d].kind == DEV_VGEM;
	if (g < 0 || chance(6)) {
		int bad = rnd(3);

		fd = bad == 0 ? -1 : bad == 1 ? 100000 : files[f].fd;
		call("drmPrimeFDToHandle %s fd %d (%s)", dev_str(d), fd,
		     bad == 2 ? "a DRM file" : "bad");
		ret = drmPrimeFDToHandle(files[f].fd, fd, &h) ? -errno : 0;
		expect(K_IMPORT, ret, file_dead(f) ? ERRS(ENODEV) :
		       bad == 2 ? ERRS(EINVAL) : ERRS(EBADF));
		return;
	}
	b = bufs[g].bo;
	call("drmPrimeFDToHandle %s file %d dma-buf fd %d (object %d, %s of %s)",
	     dev_str(d), f, bufs[g].fd, b, kind_str(bos[b].kind),
	     dev_str(bos[b].dev));
	/* an importer that cannot reach VRAM moves the object, even if it fails */
	if (bos[b].dev != d)
		bos[b].moves++;
	ret = drmPrimeFDToHandle(files[f].fd, bufs[g].fd, &h) ? -errno : 0;
	if (file_dead(f)) {
		expect(K_IMPORT, ret, ERRS(ENODEV));
		return;
	}
	if (bo_revoked(b)) {
		/*
		 * Nobody attaches to a revoked object; a file that imported
		 * it before gets its handle from the PRIME cache
		 */
		bool has = false;

		for (int j = 0; j < MAX_HANDLES; j++)
			if (handles[j].live && handles[j].file == f &&
			    handles[j].bo == b)
				has = true;
		expect(K_IMPORT, ret, has ? ERRS(0) : ERRS(ENODEV));
		if (!ret)
			handle_add(f, h, b);
		return;
	}
	if (!vgem && bos[b].pins && bos[b].dev != d)
		expect(K_IMPORT, ret, ERRS(0, EOPNOTSUPP, ENOMEM));
	else
		expect(K_IMPORT, ret, ERRS(0, ENOMEM));
	if (ret)
		return;
	handle_add(f, h, b);
}

static void do_dmabuf_mmap(void)
{
	int g = PICK(bufs, MAX_BUFS, true), ret;
	uint64_t len, off = 0;
	bool bad = false;
	void *p;

	if (g < 0 || FREE_SLOT(maps, MAX_MAPS) < 0)
		return;
	len = bos[bufs[g].bo].size;
	switch (rnd(10)) {
	case 0:
		off = len;
		bad = true;
		break;
	case 1:
		len += page;
		bad = true;
		break;
	case 2:
		len = page * (1 + rnd(len / page));
		break;
	}
	call("mmap dma-buf fd %d (object %d, %s) offset %#" PRIx64 " len %#"
	     PRIx64, bufs[g].fd, bufs[g].bo, kind_str(bos[bufs[g].bo].kind),
	     off, len);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bufs[g].fd, off);
	ret = p == MAP_FAILED ? -errno : 0;
	if (bos[bufs[g].bo].ro_export)
		expect(K_DMABUF_MMAP, ret, bad ? ERRS(EINVAL, EACCES) :
		       ERRS(0, ENOMEM, EACCES));
	else
		expect(K_DMABUF_MMAP, ret, bad ? ERRS(EINVAL) : ERRS(0, ENOMEM));
	if (ret)
		return;
	if (bad) {
		munmap(p, len);
		failf("an mmap() beyond the dma-buf succeeded");
	}
	map_add(p, len, bufs[g].bo, MAP_DMABUF, -1);
}

static void do_sync(void)
{
	int g = PICK(bufs, MAX_BUFS, true), ret, fd;
	struct dma_buf_sync s;
	bool bad = false;

	static const uint64_t ok[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};

	if (g < 0)
		return;
	fd = bufs[g].fd;
	s.flags = ok[rnd(6)];
	if (chance(15)) {
		s.flags = chance(50) ? 0 : s.flags | (8ull << rnd(60));
		bad = true;
	}
	if (chance(5)) {
		int f = PICK(files, MAX_FILES, true);

		if (f >= 0) {
			call("DMA_BUF_IOCTL_SYNC on DRM file %d flags %#" PRIx64,
			     f, (uint64_t)s.flags);
			ret = ioctl(files[f].fd, DMA_BUF_IOCTL_SYNC, &s) ?
				-errno : 0;
			/* drm_ioctl() looks at the number only: DRM_IOCTL_VERSION */
			expect(K_SYNC, ret, file_dead(f) ? ERRS(ENODEV) :
			       ERRS(0, EINVAL, ENOTTY));
			return;
		}
	}
	call("DMA_BUF_IOCTL_SYNC fd %d (object %d) flags %#" PRIx64, fd,
	     bufs[g].bo, (uint64_t)s.flags);
	ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
	/* SYNC_READ alone is 1, SYNC_WRITE 2: flags 0 has no direction */
	expect(K_SYNC, ret, bad ? ERRS(EINVAL) : ERRS(0));
}

static void do_close_fd(void)
{
	int g = PICK(bufs, MAX_BUFS, true), ret;

	if (g < 0 || chance(5)) {
		call("close bad fd 100000");
		ret = close(100000) ? -errno : 0;
		expect(K_CLOSE_FD, ret, ERRS(EBADF));
		return;
	}
	call("close dma-buf fd %d (object %d)", bufs[g].fd, bufs[g].bo);
	ret = close(bufs[g].fd) ? -errno : 0;
	expect(K_CLOSE_FD, ret, ERRS(0));
	bufs[g].live = false;
	bo_put(bufs[g].bo);
}

static void do_file(void)
{
	int f = PICK(files, MAX_FILES, true), ret, d;

	if (f >= 0 && (chance(50) || FREE_SLOT(files, MAX_FILES) < 0)) {
		/* closing a DRM file drops its handles, not its mappings */
		call("close DRM file %d of %s (fd %d)", f,
		     dev_str(files[f].dev), files[f].fd);
		ret = close(files[f].fd) ? -errno : 0;
		expect(K_FILE, ret, ERRS(0));
		file_closed(f);
		return;
	}
	d = rnd(ndevs);
	if (devs[d].gone) {
		/* its node went with it */
		call("open %s (%s)", devs[d].node, dev_str(d));
		ret = open(devs[d].node, O_RDWR | O_CLOEXEC);
		if (ret >= 0)
			close(ret);
		expect(K_FILE, ret < 0 ? -errno : 0,
		       ERRS(ENOENT, ENODEV, ENXIO));
		return;
	}
	call("open %s (%s)", devs[d].node, dev_str(d));
	ret = open_file(d);
	expect(K_FILE, ret < 0 ? ret : 0, ERRS(0));
}

static void do_info(void)
{
	int f = pick_vphyr_file(), d, ret;
	struct drm_vphyr_info info;

	if (f < 0)
		return;
	d = files[f].dev;
	call("INFO %s", dev_str(d));
	ret = vphyr_uapi_info(files[f].fd, &info);
	if (file_dead(f)) {
		expect(K_INFO, ret, ERRS(ENODEV));
		return;
	}
	expect(K_INFO, ret, ERRS(0));
	if (info.instance != devs[d].instance ||
	    !!(info.flags & VPHYR_INFO_VRAM) != devs[d].vram ||
	    info.vram_size != devs[d].vram_size || info.pad)
		failf("INFO changed: instance %u flags %#x vram %" PRIu64,
		      info.instance, info.flags, (uint64_t)info.vram_size);
	if (devs[d].link < 0 ? info.link_peer != ~0u :
	    info.link_peer != devs[devs[d].link].instance)
		failf("INFO link_peer %u, the model has %s", info.link_peer,
		      devs[d].link < 0 ? "none" : dev_str(devs[d].link));
}

/* vphyr ioctls the driver does not have, and ioctls on the wrong files */
static void do_bad_ioctl(void)
{
	int f = pick_vphyr_file(), g, ret;
	uint8_t arg[64] = { 0 };
	unsigned int nr;

	if (f < 0)
		return;
	switch (rnd(3)) {
	case 0:
		nr = DRM_COMMAND_BASE + 0x08 + rnd(0x58);
		call("ioctl nr %#x (none of vphyr's) on %s", nr,
		     dev_str(files[f].dev));
		ret = ioctl(files[f].fd, DRM_IOWR(nr, struct drm_vphyr_info),
			    arg) ? -errno : 0;
		expect(K_BADIOCTL, ret, file_dead(f) ? ERRS(ENODEV) :
		       ERRS(EINVAL));
		break;
	case 1:
		g = PICK(bufs, MAX_BUFS, true);
		if (g < 0)
			return;
		call("VPHYR_INFO on dma-buf fd %d", bufs[g].fd);
		ret = ioctl(bufs[g].fd, DRM_IOCTL_VPHYR_INFO, arg) ? -errno : 0;
		expect(K_BADIOCTL, ret, ERRS(ENOTTY));
		break;
	default:
		call("VPHYR_INFO with a bad pointer on %s",
		     dev_str(files[f].dev));
		ret = ioctl(files[f].fd, DRM_IOCTL_VPHYR_INFO,
			    chance(50) ? NULL : (void *)BAD_KPTR) ? -errno : 0;
		expect(K_BADIOCTL, ret, file_dead(f) ? ERRS(ENODEV) :
		       ERRS(EFAULT));
	}
}

/* ---- RDMA: dma-buf MRs on rxe ---- */

/* remote addresses: MR r starts at (r + 1) << 32, never at its offset */
#define RDMA_IOVA(r)	((uint64_t)((r) + 1) << 32)

/* what an access through a dma-buf MR must do */
enum rmr_state { RMR_VALID, RMR_MAYBE, RMR_INVALID };

struct rmr {
	bool live;
	int id;			/* the verbs side's */
	int bo;
	uint64_t off;		/* in the object */
	uint64_t len;
	uint64_t iova;
	uint32_t rkey;
	bool vram;		/* in VRAM at registration, known */
	bool system;		/* in system memory at registration, known */
	bool refused;		/* an access in range was refused */
	uint32_t evicts;	/* the object's counters at registration */
	uint32_t moves;
};

static struct rmr rmrs[PHYR_FUZZ_RDMA_MRS];

/*
 * The MR is dynamic: the exporter moving the buffer (an eviction, an
 * importer that cannot reach VRAM) or revoking it invalidates the MR for
 * good, and every later access is refused with a completion error. An
 * object in system memory never moves again.
 */
static enum rmr_state rmr_state(int r)
{
	struct rmr *m = &rmrs[r];
	struct bo *o = &bos[m->bo];

	if (bo_revoked(m->bo) || m->refused)
		return RMR_INVALID;
	if (o->kind != BO_VRAM || m->system)
		return RMR_VALID;
	if (o->evicts != m->evicts)
		return m->vram ? RMR_INVALID : RMR_MAYBE;
	return o->moves != m->moves ? RMR_MAYBE : RMR_VALID;
}

static const char *const rmr_state_name[] = {
	[RMR_VALID] = "valid", [RMR_MAYBE] = "maybe moved",
	[RMR_INVALID] = "invalid",
};

static void rmr_drop(int r, enum kind k)
{
	int ret;

	call("deregister MR %d (object %d, %s)", r, rmrs[r].bo,
	     rmr_state_name[rmr_state(r)]);
	ret = rdma->dereg(rmrs[r].id);
	expect(k, ret, ERRS(0));
	rmrs[r].live = false;
	bo_put(rmrs[r].bo);
}

/* the placement of object b now, through a handle of its own, if any */
static void rdma_placement(int b, bool *vram, bool *system)
{
	struct drm_vphyr_gem_ranges q = { 0 };
	int i, ret;

	*vram = false;
	*system = bos[b].kind != BO_VRAM || bos[b].seen_system;
	if (*system)
		return;
	i = PICK(handles, MAX_HANDLES, handles[_i].bo == b &&
		 !file_dead(handles[_i].file) && !handle_imported(_i));
	if (i < 0)
		return;
	q.handle = handles[i].h;
	call("GEM_RANGES %s handle %u (object %d): where it is before the registration",
	     dev_str(files[handles[i].file].dev), q.handle, b);
	ret = vphyr_uapi_gem_ranges(files[handles[i].file].fd, &q);
	expect(K_RDMA_REG, ret, ERRS(0, ENOMEM));
	if (ret)
		return;
	if (q.placement == VPHYR_PLACE_SYSTEM) {
		bos[b].seen_system = true;
		*system = true;
	} else if (q.placement == VPHYR_PLACE_VRAM) {
		if (bos[b].seen_system)
			failf("a VRAM object back in VRAM after it moved to system memory");
		*vram = true;
	} else {
		failf("placement %u of a VRAM object", q.placement);
	}
}

/* register a dma-buf MR over a random slice of a vphyr object's dma-buf */
static void do_rdma_reg(void)
{
	int g = PICK(bufs, MAX_BUFS, bos[bufs[_i].bo].kind != BO_VGEM);
	int r = FREE_SLOT(rmrs, PHYR_FUZZ_RDMA_MRS), b, fd, ret, id = -1;
	uint64_t size, off, len, iova;
	bool atomic = false, vram, system;
	const char *what = "";
	uint32_t rkey = 0;
	int set[8];

	if (g < 0 || r < 0)
		return;
	b = bufs[g].bo;
	fd = bufs[g].fd;
	size = bos[b].size;
	switch (rnd(6)) {
	case 0:
		off = 0;
		len = size;
		break;
	case 1:
		/* any bytes: the iova keeps the offset in the page */
		off = rnd(size);
		len = 1 + rnd(size - off);
		break;
	default:
		off = page * rnd(size / page);
		len = page * (1 + rnd((size - off) / page));
	}
	iova = RDMA_IOVA(r) + (off & (page - 1));
	SET_ERRS(set, 0);
	if (bo_revoked(b))
		SET_ERRS(set, ENODEV);
	if (chance(20)) {
		switch (rnd(6)) {
		case 0:
			len = size - off + 1 + rnd(page);
			what = " (beyond the dma-buf)";
			SET_ERRS(set, EINVAL);
			break;
		case 1:
			len = 0;
			what = " (empty)";
			SET_ERRS(set, EINVAL);
			break;
		case 2:
			off = ~0ull - rnd(page);
			len = 2 * page;
			iova = RDMA_IOVA(r) + (off & (page - 1));
			what = " (offset + length wrapping)";
			SET_ERRS(set, EINVAL);
			break;
		case 3:
			atomic = true;
			what = " (remote atomic access)";
			SET_ERRS(set, EOPNOTSUPP);
			break;
		case 4:
			/* a DRM file is no dma-buf; nor is fd -1 */
			fd = chance(50) ? -1 : PICK(files, MAX_FILES, true);
			if (fd >= 0)
				fd = files[fd].fd;
			what = " (not a dma-buf)";
			SET_ERRS(set, EBADF, EINVAL, EOPNOTSUPP);
			break;
		default:
			/* iova and offset apart in the page */
			iova += page / 2;
			what = " (iova and offset apart in the page)";
			SET_ERRS(set, EINVAL);
		}
	}
	rdma_placement(b, &vram, &system);
	call("register a dma-buf MR over fd %d (object %d, %s of %s) offset %#"
	     PRIx64 " len %#" PRIx64 " at iova %#" PRIx64 "%s", fd, b,
	     kind_str(bos[b].kind), dev_str(bos[b].dev), off, len, iova, what);
	ret = rdma->reg(fd, off, len, iova, atomic, &id, &rkey);
	expect(K_RDMA_REG, ret, set);
	if (ret)
		return;
	if (set[0] != 0) {
		rdma->dereg(id);
		failf("an invalid registration succeeded");
	}
	rmrs[r] = (struct rmr){ .live = true, .id = id, .bo = b, .off = off,
				.len = len, .iova = iova, .rkey = rkey,
				.vram = vram, .system = system,
				.evicts = bos[b].evicts,
				.moves = bos[b].moves };
	bos[b].refs++;
	logx("MR %d (rkey %#x) of object %d", r, rkey, b);
}

static void do_rdma_dereg(void)
{
	int r = PICK(rmrs, PHYR_FUZZ_RDMA_MRS, true);

	if (r >= 0)
		rmr_drop(r, K_RDMA_DEREG);
}

/*
 * RDMA WRITE or READ between the local MR and a dma-buf MR: what a valid
 * MR gives must be the model's bytes, an invalid one and an access past
 * the MR's end must be refused; after a refusal the QPs are in the error
 * state and are connected anew.
 */
static void do_rdma_rw(void)
{
	int r = PICK(rmrs, PHYR_FUZZ_RDMA_MRS, true), ret, b;
	uint64_t x, n, loc, max;
	enum rmr_state st;
	bool write = chance(50), past = false, ok = false;
	uint8_t *local = rdma ? rdma->local() : NULL, *shadow;
	char status[64] = "";
	char why[256] = "";

	if (r < 0)
		return;
	b = rmrs[r].bo;
	st = rmr_state(r);
	loc = rnd(RDMA_LOCAL / 2);
	x = rnd(rmrs[r].len);
	max = rmrs[r].len - x;
	if (max > RDMA_LOCAL - loc)
		max = RDMA_LOCAL - loc;
	switch (rnd(8)) {
	case 0:
		x = 0;
		n = rmrs[r].len < RDMA_LOCAL - loc ? rmrs[r].len :
			RDMA_LOCAL - loc;
		break;
	case 1:
		n = 1 + rnd(max < 64 ? max : 64);
		break;
	default:
		n = 1 + rnd(max);
	}
	if (chance(8)) {
		/* running past the end of the MR */
		x = rmrs[r].len - rnd(rmrs[r].len < page ? rmrs[r].len : page);
		n = rmrs[r].len - x + 1 + rnd(page);
		past = true;
	}
	call("RDMA %s MR %d (object %d, %s, %s) at %#" PRIx64 " (object offset %#"
	     PRIx64 "), %#" PRIx64 " bytes%s, local offset %#" PRIx64,
	     write ? "WRITE to" : "READ from", r, b, kind_str(bos[b].kind),
	     rmr_state_name[st], rmrs[r].iova + x, rmrs[r].off + x, n,
	     past ? " (past the end of the MR)" : "", loc);
	if (write)
		rnd_fill(local + loc, n);
	else
		memset(local + loc, 0x5a, n);
	ret = rdma->op(write, loc, n, rmrs[r].iova + x, rmrs[r].rkey, &ok,
		       status, sizeof(status));
	logx("completion: %s", ret ? "none" : status);
	/* a refusal is a completion with an error status */
	note_result(K_RDMA_RW, ret ? ret : ok ? 0 : -EREMOTEIO);
	if (ret)
		failf("no completion: %s", vphyr_errname(ret));
	if (ok && (past || st == RMR_INVALID))
		failf("the %s completed successfully (%s)",
		      write ? "WRITE" : "READ",
		      past ? "past the end of the MR" : "the MR was invalidated");
	if (!ok && st == RMR_VALID && !past)
		failf("the %s was refused (%s), the MR should be valid",
		      write ? "WRITE" : "READ", status);
	if (ok) {
		shadow = bo_shadow(b);
		if (shadow && write)
			memcpy(shadow + rmrs[r].off + x, local + loc, n);
		else if (shadow)
			compare(local + loc, shadow + rmrs[r].off + x, n,
				rmrs[r].off + x, "by RDMA READ");
		return;
	}
	if (!past)
		rmrs[r].refused = true;
	call("connect new QPs after the error");
	ret = rdma->reset(why, sizeof(why));
	if (ret)
		failf("%s", why);
	note_result(K_RDMA_RW, 0);
}

/* ---- unbinding and binding an instance again ---- */

/* whether /proc/iomem shows the memory at base reserved by vphyr */
static bool bar_reserved(uint64_t base)
{
	int ret = phyr_iomem_reserved(base, "vphyr");

	if (ret < 0)
		failf("/proc/iomem: %s", strerror(-ret));
	return ret;
}

/* for a failure: what the process still has open or mapped of DRM */
static void print_held(void)
{
	char path[64], target[256], line[512];
	ssize_t n;
	FILE *f;
	int fd;

	out_both("phyr_fuzz: DRM files, dma-bufs and their mappings still open:\n");
	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strstr(target, "/dev/dri/") && !strstr(target, "dmabuf"))
			continue;
		snprintf(line, sizeof(line), "  fd %d: %s\n", fd, target);
		out_both(line);
	}
	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "re");
		while (f && fgets(target, sizeof(target), f))
			if (!strncmp(target, "ino:", 4) ||
			    !strncmp(target, "exp_name:", 9)) {
				snprintf(line, sizeof(line), "  fd %d %s", fd,
					 target);
				out_both(line);
			}
		if (f)
			fclose(f);
	}
	f = fopen("/proc/self/maps", "re");
	while (f && fgets(line, sizeof(line) - 4, f)) {
		if (!strstr(line, "/dev/dri/") && !strstr(line, "dmabuf") &&
		    !strstr(line, "drm mm object"))
			continue;
		memmove(line + 2, line, strlen(line) + 1);
		line[0] = line[1] = ' ';
		out_both(line);
	}
	if (f)
		fclose(f);
	for (fd = 0; fd < MAX_BUFS; fd++) {
		if (!bufs[fd].live)
			continue;
		snprintf(line, sizeof(line),
			 "  model: dma-buf fd %d: object %d (%s of %s)\n",
			 bufs[fd].fd, bufs[fd].bo,
			 kind_str(bos[bufs[fd].bo].kind),
			 dev_str(bos[bufs[fd].bo].dev));
		out_both(line);
	}
	/* every dma-buf in the system, with the devices attached to it */
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");
	if (f)
		out_both("phyr_fuzz: /sys/kernel/debug/dma_buf/bufinfo:\n");
	while (f && fgets(line, sizeof(line) - 4, f)) {
		memmove(line + 2, line, strlen(line) + 1);
		line[0] = line[1] = ' ';
		out_both(line);
	}
	if (f)
		fclose(f);
}

/* does anything of the model still hold instance d (a file, an object)? */
static bool dev_held(int d)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		if (files[i].live && files[i].dev == d)
			return true;
	for (i = 0; i < MAX_BOS; i++)
		if (bos[i].live && bos[i].dev == d)
			return true;
	return false;
}

/*
 * Unbind instance d while the model holds whatever it holds of it. Then:
 * ioctls on its files fail with ENODEV, CPU mappings of its objects fault
 * with SIGBUS, importers cannot map them again (ENODEV), its link is gone
 * and its BAR stays reserved for as long as anything holds the instance.
 * A few of these are checked here; the other kinds meet the rest.
 */
static void replug_unbind(int d)
{
	int i, m, n, nf = 0, nb = 0, nm = 0, ret;
	uint64_t off;
	bool held;

	for (i = 0; i < MAX_FILES; i++)
		nf += files[i].live && files[i].dev == d;
	for (i = 0; i < MAX_BOS; i++)
		nb += bos[i].live && bos[i].dev == d;
	for (i = 0; i < MAX_MAPS; i++)
		nm += maps[i].live && bos[maps[i].bo].dev == d;
	call("unbind %s (PCI %s; %d file(s), %d object(s), %d mapping(s) of it)",
	     dev_str(d), devs[d].pci, nf, nb, nm);
	ret = phyr_pci_unbind(devs[d].pci);
	expect(K_REPLUG, ret, ERRS(0));
	devs[d].gone = true;
	if (devs[d].link >= 0) {
		/* the remove path takes the link down */
		devs[devs[d].link].link = -1;
		devs[d].link = -1;
		link_epoch++;
	}

	held = dev_held(d);
	if (devs[d].vram_base) {
		call("the BAR of %s at %#" PRIx64 " is %sreserved", dev_str(d),
		     devs[d].vram_base, held ? "still " : "no longer ");
		note_result(K_REPLUG, 0);
		if (bar_reserved(devs[d].vram_base) != held)
			failf("%s", held ?
			      "the BAR was released while the instance was still in use" :
			      "the BAR is still reserved, nobody holds the instance");
	}

	/* ioctls on its files */
	for (i = 0; i < MAX_FILES; i++) {
		struct drm_vphyr_info info;

		if (!files[i].live || files[i].dev != d)
			continue;
		call("INFO %s file %d after the unbind", dev_str(d), i);
		ret = vphyr_uapi_info(files[i].fd, &info);
		expect(K_REPLUG, ret, ERRS(ENODEV));
	}
	/* CPU mappings of its objects */
	for (n = 0; n < 3; n++) {
		m = PICK(maps, MAX_MAPS, bo_revoked(maps[_i].bo));
		if (m < 0)
			break;
		off = rnd(maps[m].len);
		call("CPU read of mapping %d (object %d, %s, %s) at %#" PRIx64
		     " after the unbind", m, maps[m].bo,
		     kind_str(bos[maps[m].bo].kind),
		     maps[m].kind == MAP_DMABUF ? "dma-buf" : "GEM", off);
		expect_fault(K_REPLUG, maps[m].p + off, false);
	}
	/* DMA by the instances that imported its objects */
	for (n = 0; n < 3; n++) {
		i = PICK(handles, MAX_HANDLES, bo_revoked(handles[_i].bo) &&
			 !file_dead(handles[_i].file) &&
			 devs[files[handles[_i].file].dev].kind == DEV_VPHYR);
		if (i < 0)
			break;
		call("GEM_DMA read %s handle %u (object %d of %s) after the unbind",
		     dev_str(files[handles[i].file].dev), handles[i].h,
		     handles[i].bo, dev_str(d));
		ret = vphyr_uapi_gem_dma(files[handles[i].file].fd, handles[i].h,
					 VPHYR_DMA_READ, 0, page, scratch);
		expect(K_REPLUG, ret, ERRS(ENODEV));
	}
}

/*
 * Let go of everything of the unbound instance d (which must work: the
 * mappings, the dma-bufs, the imports by other files, its own files), see
 * its BAR released, bind the device again and find the new instance (its
 * number and node may differ) in the same slot, with a file open.
 */
static void replug_bind(int d)
{
	struct vphyr_device_info info[MAX_DEVS];
	char bus[40];
	int i, n, ret;

	for (i = 0; i < PHYR_FUZZ_RDMA_MRS; i++)
		if (rmrs[i].live && bos[rmrs[i].bo].dev == d)
			rmr_drop(i, K_REPLUG);
	for (i = 0; i < MAX_MAPS; i++) {
		if (!maps[i].live || bos[maps[i].bo].dev != d)
			continue;
		call("munmap mapping %d (object %d of %s)", i, maps[i].bo,
		     dev_str(d));
		ret = munmap(maps[i].p, maps[i].len) ? -errno : 0;
		expect(K_REPLUG, ret, ERRS(0));
		map_drop(i);
	}
	/* closed files that hold its objects, kept open by their mappings */
	for (i = 0; i < MAX_HANDLES; i++) {
		unsigned int id = ghosts[i].file_id;

		if (!ghosts[i].live || bos[ghosts[i].bo].dev != d)
			continue;
		for (n = 0; n < MAX_MAPS; n++) {
			if (!maps[n].live || maps[n].file_id != id)
				continue;
			call("munmap mapping %d (object %d), the last use of a "
			     "closed file that holds object %d of %s", n,
			     maps[n].bo, ghosts[i].bo, dev_str(d));
			ret = munmap(maps[n].p, maps[n].len) ? -errno : 0;
			expect(K_REPLUG, ret, ERRS(0));
			map_drop(n);
		}
	}
	for (i = 0; i < MAX_BUFS; i++) {
		if (!bufs[i].live || bos[bufs[i].bo].dev != d)
			continue;
		call("close dma-buf fd %d (object %d of %s)", bufs[i].fd,
		     bufs[i].bo, dev_str(d));
		ret = close(bufs[i].fd) ? -errno : 0;
		expect(K_REPLUG, ret, ERRS(0));
		bufs[i].live = false;
		bo_put(bufs[i].bo);
	}
	for (i = 0; i < MAX_HANDLES; i++) {
		int f = handles[i].file;

		if (!handles[i].live || file_dead(f) ||
		    bos[handles[i].bo].dev != d)
			continue;
		call("GEM_CLOSE %s file %d handle %u (object %d of %s)",
		     dev_str(files[f].dev), f, handles[i].h, handles[i].bo,
		     dev_str(d));
		ret = vphyr_uapi_gem_close(files[f].fd, handles[i].h);
		expect(K_REPLUG, ret, ERRS(0));
		handle_drop(i);
	}
	for (i = 0; i < MAX_FILES; i++) {
		if (!files[i].live || files[i].dev != d)
			continue;
		call("close DRM file %d of %s (fd %d)", i, dev_str(d),
		     files[i].fd);
		ret = close(files[i].fd) ? -errno : 0;
		expect(K_REPLUG, ret, ERRS(0));
		file_closed(i);
	}
	if (dev_held(d))
		failf("model: %s is still held after letting go of it",
		      dev_str(d));
	if (devs[d].vram_base) {
		call("the BAR of %s at %#" PRIx64 " is released", dev_str(d),
		     devs[d].vram_base);
		note_result(K_REPLUG, 0);
		if (bar_reserved(devs[d].vram_base)) {
			print_held();
			failf("the BAR is still reserved after the last user went");
		}
	}

	call("bind %s (PCI %s) again", dev_str(d), devs[d].pci);
	ret = phyr_pci_bind(devs[d].pci);
	expect(K_REPLUG, ret, ERRS(0));

	call("find the instance at PCI %s", devs[d].pci);
	n = vphyr_list_devices(info, MAX_DEVS);
	note_result(K_REPLUG, n < 0 ? n : 0);
	snprintf(bus, sizeof(bus), "pci:%s", devs[d].pci);
	for (i = 0; i < n && i < MAX_DEVS; i++)
		if (!strcmp(info[i].bus, bus))
			break;
	if (n < 0 || i >= n || i >= MAX_DEVS)
		failf("no vphyr instance at PCI %s after binding it again",
		      devs[d].pci);
	if (!!(info[i].flags & VPHYR_DEV_VRAM) != devs[d].vram ||
	    info[i].vram_size != devs[d].vram_size ||
	    (devs[d].vram_base && info[i].vram_base != devs[d].vram_base) ||
	    info[i].link_peer != VPHYR_NO_PEER)
		failf("instance %u at PCI %s: flags %#x VRAM %#" PRIx64 " + %#"
		      PRIx64 ", link peer %u; it was VRAM %#" PRIx64 " + %#"
		      PRIx64 ", no link", info[i].instance, devs[d].pci,
		      info[i].flags, info[i].vram_base, info[i].vram_size,
		      info[i].link_peer, devs[d].vram_base, devs[d].vram_size);
	logx("%s at PCI %s is instance %u (%s) now", dev_str(d), devs[d].pci,
	     info[i].instance, info[i].node);
	devs[d].instance = info[i].instance;
	snprintf(devs[d].node, sizeof(devs[d].node), "%s", info[i].node);
	devs[d].gone = false;

	call("open %s (%s, bound again)", devs[d].node, dev_str(d));
	ret = open_file(d);
	expect(K_REPLUG, ret < 0 ? ret : 0, ERRS(0));
}

/* unbind a PCI instance, or bind the one that is unbound again */
static void do_replug(void)
{
	int d, n = 0, k;

	for (d = 0; d < ndevs; d++)
		if (devs[d].gone) {
			replug_bind(d);
			return;
		}
	for (d = 0; d < ndevs; d++)
		n += devs[d].pci[0] != '\0';
	if (!n)
		return;
	k = rnd(n);
	for (d = 0; d < ndevs; d++)
		if (devs[d].pci[0] && !k--)
			break;
	replug_unbind(d);
}

static void (*const ops[K_NR])(void) = {
	[K_INFO] = do_info, [K_CREATE] = do_create,
	[K_VGEM_CREATE] = do_vgem_create, [K_CLOSE] = do_close,
	[K_MMAP] = do_mmap, [K_MUNMAP] = do_munmap, [K_CPU] = do_cpu,
	[K_RANGES] = do_ranges, [K_DMA] = do_dma, [K_EVICT] = do_evict,
	[K_LINK] = do_link, [K_USERPTR] = do_userptr, [K_UMEM] = do_umem,
	[K_EXPORT] = do_export, [K_IMPORT] = do_import,
	[K_DMABUF_MMAP] = do_dmabuf_mmap, [K_SYNC] = do_sync,
	[K_CLOSE_FD] = do_close_fd, [K_FILE] = do_file,
	[K_BADIOCTL] = do_bad_ioctl, [K_REPLUG] = do_replug,
	[K_RDMA_REG] = do_rdma_reg, [K_RDMA_DEREG] = do_rdma_dereg,
	[K_RDMA_RW] = do_rdma_rw,
};

static enum kind pick_kind(void)
{
	unsigned int total = 0, r, k;

	for (k = 0; k < K_NR; k++)
		if (!skipped[k] && !unavailable[k])
			total += kind_weight[k];
	/* keep the number of objects in bounds */
	r = rnd(total);
	for (k = 0; k < K_NR; k++) {
		if (skipped[k] || unavailable[k])
			continue;
		if (r < kind_weight[k])
			break;
		r -= kind_weight[k];
	}
	if ((k == K_CREATE || k == K_VGEM_CREATE || k == K_USERPTR) &&
	    bo_count() > MAX_BOS - 8)
		k = K_CLOSE;
	return k;
}

/* ---- the end: release everything and check that nothing is left ---- */

static void release_all(void)
{
	int i;

	/* an instance left unbound is let go of and bound again first */
	for (i = 0; i < ndevs; i++)
		if (devs[i].gone)
			replug_bind(i);
	for (i = 0; i < PHYR_FUZZ_RDMA_MRS; i++)
		if (rmrs[i].live)
			rmr_drop(i, K_RDMA_DEREG);
	if (rdma) {
		char why[256] = "";

		call("release: close the verbs device");
		if (rdma->close(why, sizeof(why)))
			failf("%s", why);
		note_result(K_RDMA_RW, 0);
	}
	call("release: unmap every mapping, close every dma-buf, handle and file");
	for (i = 0; i < MAX_MAPS; i++)
		if (maps[i].live) {
			if (munmap(maps[i].p, maps[i].len))
				failf("munmap: %s", strerror(errno));
			map_drop(i);
		}
	for (i = 0; i < MAX_BUFS; i++)
		if (bufs[i].live) {
			if (close(bufs[i].fd))
				failf("close dma-buf: %s", strerror(errno));
			bufs[i].live = false;
			bo_put(bufs[i].bo);
		}
	for (i = 0; i < MAX_HANDLES; i++)
		if (handles[i].live) {
			int ret = vphyr_uapi_gem_close(files[handles[i].file].fd,
						       handles[i].h);

			if (ret)
				failf("GEM_CLOSE handle %u: %s", handles[i].h,
				      vphyr_errname(ret));
			handle_drop(i);
		}
	for (i = 0; i < MAX_FILES; i++)
		if (files[i].live) {
			close(files[i].fd);
			file_closed(i);
		}
	for (i = 0; i < MAX_UMEMS; i++)
		if (umems[i].live) {
			if (umems[i].malloced)
				stores[umems[i].store].heap = umems[i].p;
			else
				munmap(umems[i].p, umems[i].len);
			umems[i].live = false;
			store_put(umems[i].store);
		}
	alarm(0);
	if (bo_count())
		failf("model: %d object(s) still live after releasing everything",
		      bo_count());
}

/* put the links back the way they were */
static void restore_links(void)
{
	int d, fd1, fd2, ret;

	for (d = 0; d < ndevs; d++) {
		int p = devs[d].link;

		if (p == devs[d].link0 || p < 0 || p < d)
			continue;
		call("restore: unlink %s and %s", dev_str(d), dev_str(p));
		fd1 = open(devs[d].node, O_RDWR | O_CLOEXEC);
		fd2 = open(devs[p].node, O_RDWR | O_CLOEXEC);
		ret = vphyr_uapi_link(fd1, fd2, VPHYR_LINK_REMOVE);
		close(fd1);
		close(fd2);
		expect(K_LINK, ret, ERRS(0));
		devs[d].link = devs[p].link = -1;
	}
	for (d = 0; d < ndevs; d++) {
		int p = devs[d].link0;

		if (p < 0 || p < d || devs[d].link == p)
			continue;
		call("restore: link %s and %s again", dev_str(d), dev_str(p));
		fd1 = open(devs[d].node, O_RDWR | O_CLOEXEC);
		fd2 = open(devs[p].node, O_RDWR | O_CLOEXEC);
		ret = vphyr_uapi_link(fd1, fd2, 0);
		close(fd1);
		close(fd2);
		expect(K_LINK, ret, ERRS(0));
		devs[d].link = p;
		devs[p].link = d;
	}
}

static void usage(FILE *f)
{
	int k;

	fprintf(f,
		"usage: phyr_fuzz [--seed N] [--calls N] [--seconds N] [--verbose]\n"
		"                 [--log FILE] [--skip KIND,...] [--timeout S]\n"
		"                 [--no-vram-check]\n"
		"Random calls over every vphyr instance and vgem, checked against a\n"
		"model. --seed defaults to one from the time (always printed);\n"
		"--calls defaults to 10000, or no limit (0) with --seconds; --timeout is\n"
		"the limit for one call (default 120 s). Exit status 0: no failure,\n"
		"1: a failure (seed, call number and call printed), 2: bad usage or\n"
		"no device.\nKinds:");
	for (k = 0; k < K_NR; k++)
		fprintf(f, " %s", kind_name[k]);
	fprintf(f, "\n"
		"replug unbinds a PCI instance (root only) and, the next time,\n"
		"binds it again; rdma-* need an rxe device and libibverbs (through\n"
		"phyr_fuzz_rdma.so next to this program). A kind without its device\n"
		"is not run and says so in the summary.\n");
}

static void parse_skip(const char *arg)
{
	char *s = strdup(arg), *tok, *save = NULL;
	int k;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < K_NR; k++)
			if (!strcmp(tok, kind_name[k]))
				break;
		if (k == K_NR) {
			fprintf(stderr, "phyr_fuzz: --skip: no kind '%s'\n", tok);
			usage(stderr);
			exit(2);
		}
		skipped[k] = true;
	}
	free(s);
}

static uint64_t parse_num(const char *opt, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg ? arg : "", &end, 0);
	if (!arg || !*arg || *end || errno) {
		fprintf(stderr, "phyr_fuzz: %s needs a number\n", opt);
		exit(2);
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether the kernel command line holds the word @word. */
static bool cmdline_has(const char *word)
{
	char buf[4096], *tok, *save;
	FILE *f = fopen("/proc/cmdline", "r");
	bool found = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, " \n", &save); tok && !found;
		     tok = strtok_r(NULL, " \n", &save))
			found = !strcmp(tok, word);
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	bool have_seed = false, have_calls = false;
	int fds0, maps0, i, k, nvphyr = 0;
	long long pin0, pin1;
	double t0, t;
	struct sigaction sa = { .sa_handler = on_signal };
	char line[512];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seed")) {
			opt_seed = parse_num(a, v);
			have_seed = true;
			i++;
		} else if (!strcmp(a, "--calls")) {
			opt_calls = parse_num(a, v);
			have_calls = true;
			i++;
		} else if (!strcmp(a, "--seconds")) {
			opt_seconds = parse_num(a, v);
			i++;
		} else if (!strcmp(a, "--timeout")) {
			opt_timeout = parse_num(a, v);
			i++;
		} else if (!strcmp(a, "--verbose")) {
			opt_verbose = true;
		} else if (!strcmp(a, "--no-vram-check")) {
			opt_vram_check = false;
		} else if (!strcmp(a, "--log")) {
			if (!v) {
				fprintf(stderr, "phyr_fuzz: --log needs a file\n");
				return 2;
			}
			logf = fopen(v, "we");
			if (!logf) {
				fprintf(stderr, "phyr_fuzz: %s: %s\n", v,
					strerror(errno));
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--skip")) {
			if (!v) {
				usage(stderr);
				return 2;
			}
			parse_skip(v);
			i++;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "phyr_fuzz: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!have_seed)
		opt_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (!have_calls)
		opt_calls = opt_seconds ? 0 : 10000;
	if (!opt_calls)
		opt_calls = UINT64_MAX;
	if (!opt_timeout)
		opt_timeout = 1;
	for (k = 0; k < K_NR; k++)
		if (!skipped[k])
			break;
	if (k == K_NR) {
		fprintf(stderr, "phyr_fuzz: every kind is skipped\n");
		return 2;
	}
	rng_state = opt_seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(line, sizeof(line), "phyr_fuzz: seed %" PRIu64 "\n", opt_seed);
	out_both(line);

	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	page = vphyr_page_size();
	scratch_len = 4ull << 20;
	scratch = malloc(scratch_len);
	rbuf_len = SHADOW_MAX / page * 8;
	rbuf = calloc(rbuf_len, sizeof(*rbuf));
	/* rw page, inaccessible page, read-only page */
	bad_area = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!scratch || !rbuf || bad_area == MAP_FAILED) {
		fprintf(stderr, "phyr_fuzz: out of memory\n");
		return 2;
	}
	/* PROT_NONE rather than unmapped: nothing else may land there */
	if (mprotect(bad_area + page, page, PROT_NONE) ||
	    mprotect(bad_area + 2 * page, page, PROT_READ)) {
		perror("phyr_fuzz: mprotect");
		return 2;
	}

	find_devices();
	find_replug();
	rdma_load();
	for (k = 0; k < K_NR; k++)
		if (!skipped[k] && !unavailable[k])
			break;
	if (k == K_NR) {
		fprintf(stderr, "phyr_fuzz: no kind that is not skipped can run here\n");
		return 2;
	}
	bounce_forced = cmdline_has("swiotlb=force");
	fds0 = phyr_count_fds();
	maps0 = phyr_count_maps();
	pin0 = phyr_status_kb("VmPin");
	for (i = 0; i < ndevs; i++) {
		if (devs[i].kind == DEV_VPHYR)
			nvphyr++;
		if (devs[i].vram && opt_vram_check)
			devs[i].vram_free0 = vram_all_free(i);
		snprintf(line, sizeof(line),
			 "phyr_fuzz: %s %s%s%s%s\n", dev_str(i), devs[i].node,
			 devs[i].vram ? ", VRAM" : "",
			 devs[i].link >= 0 ? ", linked" : "",
			 devs[i].vram && opt_vram_check && !devs[i].vram_free0 ?
			 ", VRAM not free at the start" : "");
		out_both(line);
	}
	for (i = 0; i < ndevs; i++)
		if (open_file(i) < 0) {
			fprintf(stderr, "phyr_fuzz: open %s: %s\n", devs[i].node,
				strerror(errno));
			return 2;
		}
	rdma_open();
	snprintf(line, sizeof(line), "phyr_fuzz: RDMA: %s\n",
		 rdma ? "dma-buf MRs on rxe" : unavailable[K_RDMA_RW] ?
		 unavailable[K_RDMA_RW] : "skipped");
	out_both(line);

	t0 = now();
	while (callno < opt_calls) {
		if (opt_seconds && now() - t0 >= opt_seconds)
			break;
		k = pick_kind();
		ops[k]();
	}
	t = now() - t0;
	snprintf(line, sizeof(line), "phyr_fuzz: %" PRIu64 " calls in %.1f s "
		 "(%.0f calls/s)%s\n", callno, t, t > 0 ? callno / t : 0.0,
		 callno < opt_calls && opt_calls != UINT64_MAX ?
		 ", stopped by the time limit" : "");
	out_both(line);

	release_all();
	restore_links();
	callno++;
	snprintf(cur, sizeof(cur), "the final checks");
	alarm(opt_timeout);
	i = phyr_count_fds();
	if (i != fds0)
		failf("%d open file descriptors at the end, %d at the start", i,
		      fds0);
	i = phyr_count_maps();
	if (i != maps0)
		failf("%d mappings at the end, %d at the start", i, maps0);
	pin1 = phyr_status_kb("VmPin");
	if (pin1 != pin0)
		failf("VmPin %lld kB at the end, %lld kB at the start", pin1,
		      pin0);
	for (i = 0; i < ndevs; i++)
		if (devs[i].vram && opt_vram_check && devs[i].vram_free0 &&
		    !vram_all_free(i))
			failf("the VRAM of %s is not all free at the end (a leak)",
			      dev_str(i));
	alarm(0);

	for (k = 0; k < K_NR; k++) {
		char why[96] = "";

		if (skipped[k])
			snprintf(why, sizeof(why), " (skipped)");
		else if (unavailable[k])
			snprintf(why, sizeof(why), " (not run: %s)",
				 unavailable[k]);
		snprintf(line, sizeof(line), "phyr_fuzz:   %-12s %8" PRIu64
			 " ok %8" PRIu64 " failed as expected%s\n", kind_name[k],
			 n_ok[k], n_err[k], why);
		if (logf)
			fputs(line, logf);
		if (opt_verbose)
			fputs(line, stderr);
		fputs(line, stdout);
	}
	if (bounce_forced) {
		snprintf(line, sizeof(line),
			 "phyr_fuzz:   %lu import(s) and DMA call(s) failed with EIO: the forced bounce pool was full\n",
			 bounce_full);
		out_both(line);
	}
	snprintf(line, sizeof(line), "phyr_fuzz: PASS seed %" PRIu64 ", %" PRIu64
		 " calls, %d vphyr instance(s)%s, nothing left behind\n",
		 opt_seed, callno - 1, nvphyr,
		 devs[ndevs - 1].kind == DEV_VGEM ? " and vgem" : "");
	out_both(line);
	if (logf)
		fclose(logf);
	return 0;
}
