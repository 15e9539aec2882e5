// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_rdma_test: RDMA end to end over soft-RoCE (rdma_rxe), with memory
 * regions on dma-bufs exported by vphyr.
 *
 * Two RC queue pairs on the same rxe port are connected to each other: the
 * port talks to its own GID, so one process plays both ends. QP 0 posts
 * RDMA WRITE and READ requests whose local buffer is an ordinary malloc'd
 * MR; the remote buffer is a dma-buf MR on the same protection domain, so
 * rxe's responder reads or writes the exporter's memory. The bytes are then
 * checked through a path that does not involve rxe: vphyr's GEM_DMA (the
 * exporter's device reading its own object) or, for a userptr object, the
 * process memory itself. The verbs side (device, queue pairs, the uverbs
 * registration where libibverbs lacks ibv_reg_dmabuf_mr()) is
 * rdma_verbs.c, which phyr_fuzz's RDMA kinds use too.
 *
 * Every case runs in a child process of its own (phyr_case_run()), which
 * opens the verbs device and the vphyr instance afresh; what it leaves goes
 * away with it. The parent prints one line per case:
 *
 *	PASS name
 *	FAIL name
 *	SKIP name reason
 *
 * and diagnostics go to stderr, with the time each case took. Exit status:
 * 0 when no case failed, 1 otherwise, 2 for a bad invocation.
 *
 * usage: phyr_rdma_test [-d DEVICE] [-g GID_INDEX] [-p PORT]
 *			 [--reg auto|verbs|ioctl] [--list] [--run NAME]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <xf86drm.h>
#ifndef PHYR_RDMA_NO_GBM
#include <gbm.h>
#endif

#include "libphyr_test.h"
#include "rdma_verbs.h"

#define CHECK		PHYR_CHECK
#define REQUIRE		PHYR_REQUIRE
#define EXPECT_RET	PHYR_EXPECT_RET
#define SKIP		PHYR_SKIP
#define errname		vphyr_errname
#define t_note		phyr_case_note
#define t_skip		phyr_case_skip
#define t_failed	phyr_case_failed

#define CASE_TIMEOUT_S	90
#define OP_TIMEOUT_MS	30000

/*
 * The data cases move 1 MiB: 256 pages, more than one phyr list chunk
 * holds (a system-memory object's list may span two chunks), and 256
 * packets at RoCE's largest MTU.
 */
#define OBJ_SIZE	(1ull << 20)
/* room for the data cases plus a misaligned start in the local buffer */
#define LOCAL_SIZE	(OBJ_SIZE + 64 * 1024)
/*
 * Remote addresses of the dma-buf MRs start here rather than at the
 * dma-buf offset, so a driver that confuses the two (or truncates an
 * address to 32 bits) moves the wrong bytes.
 */
#define MR_IOVA		0x100000000ull

#define ACCESS_RW	RV_ACCESS_RW

#define EVICT_SIZE	(16 * page)
/*
 * A leaked file or MR shows after the first cycle already; the cycles
 * after it catch what leaks only now and then, and every LEAK_CHECK_EVERY
 * cycles a WRITE proves that the fresh MR works.
 */
#define LEAK_CYCLES	50
#define LEAK_CHECK_EVERY 25

static uint64_t page;

/* ---- options ---- */

static struct rv_opts opt = {
	.gid = -1,
	.port = 1,
	.reg = RV_REG_AUTO,
};

/* ---- the verbs side of the running case (rdma_verbs.h) ---- */

#define MAX_DMR	8

static struct rv r;
static struct rv_mr dmrs[MAX_DMR];

/* Register a dma-buf MR: 0 and *out, or a negative errno. */
static int dmr_reg(int fd, uint64_t off, uint64_t len, uint64_t iova,
		   int access, struct rv_mr **out)
{
	struct rv_mr *m = NULL;
	int i, ret;

	*out = NULL;
	for (i = 0; i < MAX_DMR && !m; i++)
		if (!dmrs[i].live)
			m = &dmrs[i];
	if (!CHECK(m, "more than %d dma-buf MRs at once", MAX_DMR))
		return -ENOSPC;
	ret = rv_mr_reg(&r, m, fd, off, len, iova, access);
	if (ret)
		return ret;
	*out = m;
	return 0;
}

/* Deregister: 0 or a negative errno (the MR is forgotten either way). */
static int dmr_dereg(struct rv_mr *m)
{
	return rv_mr_dereg(&r, m);
}

/* A registration that must fail: its error (0 if it did not fail). */
static int dmr_refused(int fd, uint64_t off, uint64_t len, int access)
{
	struct rv_mr *m;
	int ret = dmr_reg(fd, off, len, MR_IOVA, access, &m);

	if (!ret)
		dmr_dereg(m);
	return ret;
}

/*
 * Open the device and set up PD, CQ, the connected QPs and the ordinary
 * MR. False when the case cannot go on: a failure was recorded, or, when
 * no device was named and there is no rxe device, the case is skipped.
 */
static bool rdma_up(void)
{
	char *line, *save = NULL;
	int ret;

	ret = rv_open(&r, &opt, LOCAL_SIZE);
	for (line = strtok_r(r.note, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		t_note("%s", line);
	if (ret == -ENODEV) {
		t_skip("%s", r.err);
		return false;
	}
	return CHECK(!ret, "%s", r.err) && !t_failed();
}

/* Release what rdma_up() and the case left; failures count against it. */
static void rdma_down(void)
{
	int i, ret;

	for (i = 0; i < MAX_DMR; i++) {
		if (!dmrs[i].live)
			continue;
		ret = dmr_dereg(&dmrs[i]);
		CHECK(!ret, "deregister a dma-buf MR left by the case: %s",
		      errname(ret));
	}
	ret = rv_close(&r);
	CHECK(!ret, "%s", r.err);
}

/* ---- work requests ---- */

/*
 * Post one signalled RDMA WRITE or READ on QP 0 between buf + loc_off and
 * the remote address raddr, and wait for its completion. 0 with the
 * completion status in *status, or a negative errno when the request
 * could not be posted or did not complete in time.
 */
static int rdma_op(enum ibv_wr_opcode op, uint64_t loc_off, uint64_t len,
		   uint64_t raddr, uint32_t rkey, enum ibv_wc_status *status)
{
	unsigned int stale = r.stale;
	int ret;

	ret = rv_op(&r, op, loc_off, len, raddr, rkey, OP_TIMEOUT_MS, status);
	if (r.stale != stale)
		t_note("%u completion(s) of earlier requests", r.stale - stale);
	if (ret)
		t_note("%s", r.err);
	return ret;
}

static const char *op_name(enum ibv_wr_opcode op)
{
	return op == IBV_WR_RDMA_WRITE ? "WRITE" : "READ";
}

/* rdma_op() that must complete successfully */
static bool rdma_ok(const char *what, enum ibv_wr_opcode op, uint64_t loc_off,
		    uint64_t len, uint64_t raddr, uint32_t rkey)
{
	enum ibv_wc_status st = IBV_WC_SUCCESS;
	int ret;

	ret = rdma_op(op, loc_off, len, raddr, rkey, &st);
	if (!EXPECT_RET(ret, 0, "RDMA %s %s (0x%llx bytes to 0x%llx)",
			op_name(op), what, (unsigned long long)len,
			(unsigned long long)raddr))
		return false;
	return CHECK(st == IBV_WC_SUCCESS,
		     "RDMA %s %s (0x%llx bytes at 0x%llx): completion status %s (%d)",
		     op_name(op), what, (unsigned long long)len,
		     (unsigned long long)raddr, ibv_wc_status_str(st), st);
}

/* rdma_op() that must complete, with an error status */
static bool rdma_refused(const char *what, enum ibv_wr_opcode op,
			 uint64_t loc_off, uint64_t len, uint64_t raddr,
			 uint32_t rkey)
{
	enum ibv_wc_status st = IBV_WC_SUCCESS;
	int ret;

	ret = rdma_op(op, loc_off, len, raddr, rkey, &st);
	if (!EXPECT_RET(ret, 0, "RDMA %s %s", op_name(op), what))
		return false;
	t_note("RDMA %s %s: completion status %s (%d)", op_name(op), what,
	       ibv_wc_status_str(st), st);
	return CHECK(st != IBV_WC_SUCCESS,
		     "RDMA %s %s completed successfully", op_name(op), what);
}

/* ---- vphyr objects ---- */

enum backing {
	BACK_VRAM,
	BACK_SYSTEM,
	BACK_USERPTR,
};

static const char *const backing_name[] = {
	[BACK_VRAM] = "VRAM",
	[BACK_SYSTEM] = "system-memory",
	[BACK_USERPTR] = "userptr",
};

/* What a case moves data into and out of: an object and its dma-buf. */
struct target {
	struct vphyr_dev *dev;
	struct vphyr_bo *bo;
	uint64_t size;
	int dmabuf;
	struct rv_mr *mr;		/* NULL unless registered */
	unsigned char *mem;	/* BACK_USERPTR: the memory it wraps */
};

/*
 * The instance the cases use: the first one with VRAM, or else the system
 * memory instance 0 (the first one without VRAM if there is no 0).
 */
static int open_instance(bool vram, struct vphyr_dev **dev)
{
	struct vphyr_device_info info[16];
	int i, n, pick = -1;

	*dev = NULL;
	n = vphyr_list_devices(info, 16);
	if (!CHECK(n >= 0, "%s", vphyr_last_error()))
		return -1;
	for (i = 0; i < n && i < 16; i++) {
		if (vram != !!(info[i].flags & VPHYR_DEV_VRAM))
			continue;
		if (pick < 0 || info[i].instance == 0)
			pick = i;
		if (vram || info[i].instance == 0)
			break;
	}
	if (pick < 0) {
		t_skip("no vphyr %s instance", vram ? "VRAM" : "system-memory");
		return -1;
	}
	if (!CHECK(!vphyr_dev_open(info[pick].instance, dev), "%s",
		   vphyr_last_error()))
		return -1;
	return 0;
}

/*
 * The preamble of every case: the instance (a skip without one), the
 * verbs side (rdma_up()), an object of @size bytes backed as @b, its
 * dma-buf, and, unless @mr_len is 0, a dma-buf MR over [mr_off, mr_off +
 * mr_len) of it at MR_IOVA. A userptr object wraps fresh memory of this
 * process, filled with the pattern of @seed. False when the case cannot go
 * on (a failure or a skip was recorded).
 */
static bool target_up(struct target *t, enum backing b, uint64_t size,
		      uint64_t mr_off, uint64_t mr_len, uint32_t seed)
{
	enum vphyr_region region = b == BACK_VRAM ? VPHYR_REGION_VRAM :
						   VPHYR_REGION_SYSTEM;
	int ret;

	memset(t, 0, sizeof(*t));
	t->dmabuf = -1;
	t->size = size;
	if (open_instance(b == BACK_VRAM, &t->dev) || !rdma_up())
		return false;
	if (b == BACK_USERPTR) {
		t->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!CHECK(t->mem != MAP_FAILED, "mmap of %llu bytes: %s",
			   (unsigned long long)size, strerror(errno)))
			return false;
		phyr_pattern_fill(t->mem, size, seed, 0);
		ret = vphyr_bo_userptr(t->dev, t->mem, size, &t->bo);
	} else {
		ret = vphyr_bo_create(t->dev, size, region, &t->bo);
	}
	if (!CHECK(!ret, "%s object: %s", backing_name[b], vphyr_last_error()) ||
	    !CHECK(!vphyr_bo_export(t->bo, &t->dmabuf), "%s",
		   vphyr_last_error()))
		return false;
	if (!mr_len)
		return true;
	ret = dmr_reg(t->dmabuf, mr_off, mr_len, MR_IOVA, ACCESS_RW, &t->mr);
	return CHECK(!ret, "register the dma-buf from offset 0x%llx, 0x%llx bytes: %s",
		     (unsigned long long)mr_off, (unsigned long long)mr_len,
		     errname(ret));
}

/* Bytes that must hold the pattern of @seed from position @pos. */
static bool check_bytes(const char *what, const void *buf, uint64_t len,
			uint32_t seed, uint64_t pos)
{
	const unsigned char *c = buf;
	size_t bad, first = 0;

	bad = phyr_pattern_check(buf, len, seed, pos, &first);
	return CHECK(!bad,
		     "%s: %zu of %llu bytes differ, first at offset 0x%llx: expected 0x%02x, got 0x%02x",
		     what, bad, (unsigned long long)len,
		     (unsigned long long)(pos + first),
		     phyr_pattern_byte(seed, pos + first), bad ? c[first] : 0);
}

/* What the exporter's device reads at [off, off + len) of the object. */
static bool check_device(const struct target *t, const char *what,
			 uint64_t off, uint64_t len, uint32_t seed)
{
	void *buf = malloc(len ? len : 1);
	bool ok;

	if (!CHECK(buf, "out of memory"))
		return false;
	ok = CHECK(!vphyr_bo_read(t->bo, off, buf, len), "%s: %s",
		   what, vphyr_last_error()) &&
	     check_bytes(what, buf, len, seed, off);
	free(buf);
	return ok;
}

static bool check_placement(const struct target *t, const char *what,
			    enum vphyr_placement want)
{
	struct vphyr_ranges q;
	bool ok;

	if (!CHECK(!vphyr_bo_ranges(t->bo, &q), "%s: %s", what,
		   vphyr_last_error()))
		return false;
	ok = CHECK(q.placement == want, "%s: placement %s, expected %s", what,
		   vphyr_placement_name(q.placement),
		   vphyr_placement_name(want));
	vphyr_ranges_free(&q);
	return ok;
}

/* ---- cases ---- */

#define SEED_WRITE	0x5752
#define SEED_PART	0x5041
#define SEED_READ	0x5244
#define SEED_USER	0x5553
#define SEED_OLD	0x4f4c
#define SEED_NEW	0x4e45

/*
 * WRITE into the dma-buf MR: once the whole object, then a range that
 * starts and ends inside pages, from a misaligned local address. The
 * exporter's device reads the object back; the bytes around the range must
 * still hold the first write. The object must not have moved for it.
 */
static void write_case(enum backing b)
{
	uint64_t off = 3 * page + 100, len = 64 * 1024 + 123;
	uint64_t loc = page + 17;
	enum vphyr_placement place = b == BACK_VRAM ? VPHYR_PLACEMENT_VRAM :
						     VPHYR_PLACEMENT_SYSTEM;
	struct target t;

	if (!target_up(&t, b, OBJ_SIZE, 0, OBJ_SIZE, 0))
		return;
	phyr_pattern_fill(r.buf, OBJ_SIZE, SEED_WRITE, 0);
	if (!rdma_ok("of the whole object", IBV_WR_RDMA_WRITE, 0, OBJ_SIZE,
		     MR_IOVA, t.mr->rkey) ||
	    !check_device(&t, "object after the WRITE", 0, OBJ_SIZE,
			  SEED_WRITE))
		return;

	phyr_pattern_fill(r.buf + loc, len, SEED_PART, off);
	if (!rdma_ok("of a range", IBV_WR_RDMA_WRITE, loc, len, MR_IOVA + off,
		     t.mr->rkey))
		return;
	check_device(&t, "before the range", 0, off, SEED_WRITE);
	check_device(&t, "the range", off, len, SEED_PART);
	check_device(&t, "after the range", off + len, OBJ_SIZE - off - len,
		     SEED_WRITE);
	check_placement(&t, "after the WRITEs", place);
	if (!t_failed())
		t_note("RDMA WRITE of 1 MiB and of 0x%llx bytes at 0x%llx into the %s dma-buf MR of %s: the device reads the same bytes back, the object stayed in %s",
		       (unsigned long long)len, (unsigned long long)off,
		       backing_name[b], vphyr_dev_name(t.dev),
		       vphyr_placement_name(place));
}

/*
 * READ from a dma-buf MR that covers the object less its first and last
 * page (a nonzero dma-buf offset): all of it, then a misaligned range into
 * a misaligned local address, whose neighbours must stay untouched.
 * Finally a READ of the last page, outside the MR, must be refused.
 */
static void read_case(enum backing b)
{
	uint64_t mr_len = OBJ_SIZE - 2 * page;
	uint64_t off = 5 * page + 7, len = 3 * page + 1000;
	uint64_t loc = 2 * page + 3;
	enum vphyr_placement place = b == BACK_VRAM ? VPHYR_PLACEMENT_VRAM :
						     VPHYR_PLACEMENT_SYSTEM;
	struct target t;
	void *fill;

	if (!target_up(&t, b, OBJ_SIZE, page, mr_len, 0))
		return;
	fill = malloc(OBJ_SIZE);
	REQUIRE(fill, "out of memory");
	phyr_pattern_fill(fill, OBJ_SIZE, SEED_READ, 0);
	REQUIRE(!vphyr_bo_write(t.bo, 0, fill, OBJ_SIZE), "%s",
		vphyr_last_error());
	free(fill);

	memset(r.buf, 0, LOCAL_SIZE);
	if (!rdma_ok("of the whole MR", IBV_WR_RDMA_READ, 0, mr_len, MR_IOVA,
		     t.mr->rkey))
		return;
	check_bytes("READ of the whole MR", r.buf, mr_len, SEED_READ, page);

	memset(r.buf, 0xa5, LOCAL_SIZE);
	if (!rdma_ok("of a range", IBV_WR_RDMA_READ, loc, len, MR_IOVA + off,
		     t.mr->rkey))
		return;
	check_bytes("READ of a range", r.buf + loc, len, SEED_READ,
		    page + off);
	CHECK(r.buf[loc - 1] == 0xa5 && r.buf[loc + len] == 0xa5,
	      "READ of 0x%llx bytes wrote outside them: 0x%02x before, 0x%02x after",
	      (unsigned long long)len, r.buf[loc - 1], r.buf[loc + len]);
	check_placement(&t, "after the READs", place);

	/* the QP goes to the error state: nothing may follow on it */
	rdma_refused("past the end of the MR", IBV_WR_RDMA_READ, 0, page,
		     MR_IOVA + mr_len, t.mr->rkey);
}

static void case_write_vram(void)
{
	write_case(BACK_VRAM);
}

static void case_read_vram(void)
{
	read_case(BACK_VRAM);
}

static void case_write_system(void)
{
	write_case(BACK_SYSTEM);
}

static void case_read_system(void)
{
	read_case(BACK_SYSTEM);
}

/*
 * A userptr object wraps this process's memory: WRITE into its dma-buf and
 * find the bytes in that memory; then have the CPU write it and READ it.
 */
static void case_userptr_dmabuf(void)
{
	uint64_t off = 2 * page + 64, len = 256 * 1024 + 5;
	uint64_t loc = 100;
	struct target t;

	if (!target_up(&t, BACK_USERPTR, OBJ_SIZE, 0, OBJ_SIZE, SEED_OLD))
		return;
	check_placement(&t, "userptr object", VPHYR_PLACEMENT_USERPTR);

	phyr_pattern_fill(r.buf + loc, len, SEED_NEW, off);
	if (!rdma_ok("of a range", IBV_WR_RDMA_WRITE, loc, len, MR_IOVA + off,
		     t.mr->rkey))
		return;
	check_bytes("user memory before the range", t.mem, off, SEED_OLD, 0);
	check_bytes("user memory in the range", t.mem + off, len, SEED_NEW,
		    off);
	check_bytes("user memory after the range", t.mem + off + len,
		    OBJ_SIZE - off - len, SEED_OLD, off + len);

	phyr_pattern_fill(t.mem, OBJ_SIZE, SEED_USER, 0);
	memset(r.buf, 0, LOCAL_SIZE);
	if (rdma_ok("of the whole object", IBV_WR_RDMA_READ, 0, OBJ_SIZE,
		    MR_IOVA, t.mr->rkey))
		check_bytes("READ of what the CPU wrote", r.buf, OBJ_SIZE,
			    SEED_USER, 0);
}

#ifndef PHYR_RDMA_NO_GBM
/*
 * A buffer allocated the way applications allocate: Mesa's GBM on the card
 * node of the VRAM instance (kms_swrast over vphyr's dumb buffers), 1 MiB
 * of linear XRGB8888. Its dma-buf is registered as an MR and written by
 * RDMA; the instance, importing the dma-buf back (the same object), finds
 * the bytes in VRAM with its device, and READ returns what it then writes.
 */
static void case_gbm_vram(void)
{
	const uint32_t width = 512, height = OBJ_SIZE / (512 * 4);
	struct gbm_device *gbm = NULL;
	struct gbm_bo *gbo = NULL;
	struct target t = { .dmabuf = -1 };
	int card = -1, ret;
	char *node;

	t.size = OBJ_SIZE;
	if (open_instance(true, &t.dev) || !rdma_up())
		return;
	node = drmGetPrimaryDeviceNameFromFd(vphyr_dev_fd(t.dev));
	if (!CHECK(node, "%s has no card node", vphyr_dev_name(t.dev)))
		return;
	card = open(node, O_RDWR | O_CLOEXEC);
	if (!CHECK(card >= 0, "open %s: %s", node, strerror(errno)))
		goto out;
	gbm = gbm_create_device(card);
	if (!gbm) {
		t_skip("gbm_create_device on %s failed (Mesa's kms_swrast needs libgl1-mesa-dri)",
		       node);
		goto out;
	}
	gbo = gbm_bo_create(gbm, width, height, GBM_FORMAT_XRGB8888,
			    GBM_BO_USE_LINEAR);
	if (!CHECK(gbo, "gbm_bo_create(%ux%u, LINEAR) on %s: %s", width,
		   height, node, strerror(errno)))
		goto out;
	if (!CHECK(gbm_bo_get_stride(gbo) == width * 4,
		   "stride %u, expected %u", gbm_bo_get_stride(gbo), width * 4))
		goto out;
	t.dmabuf = gbm_bo_get_fd(gbo);
	if (!CHECK(t.dmabuf >= 0, "gbm_bo_get_fd: %s", strerror(errno)) ||
	    !CHECK(!vphyr_bo_import(t.dev, t.dmabuf, &t.bo), "import: %s",
		   vphyr_last_error()) ||
	    !check_placement(&t, "the GBM buffer", VPHYR_PLACEMENT_VRAM))
		goto out;
	ret = dmr_reg(t.dmabuf, 0, OBJ_SIZE, MR_IOVA, ACCESS_RW, &t.mr);
	if (!CHECK(!ret, "register the GBM dma-buf: %s", errname(ret)))
		goto out;

	phyr_pattern_fill(r.buf, OBJ_SIZE, SEED_WRITE, 0);
	if (!rdma_ok("of the whole buffer", IBV_WR_RDMA_WRITE, 0, OBJ_SIZE,
		     MR_IOVA, t.mr->rkey) ||
	    !check_device(&t, "GBM buffer after the WRITE", 0, OBJ_SIZE,
			  SEED_WRITE))
		goto out;
	phyr_pattern_fill(r.buf, OBJ_SIZE, SEED_NEW, 0);
	if (!CHECK(!vphyr_bo_write(t.bo, 0, r.buf, OBJ_SIZE), "device write: %s",
		   vphyr_last_error()))
		goto out;
	memset(r.buf, 0, LOCAL_SIZE);
	if (rdma_ok("of the whole buffer", IBV_WR_RDMA_READ, 0, OBJ_SIZE,
		    MR_IOVA, t.mr->rkey) &&
	    check_bytes("READ of what the device wrote", r.buf, OBJ_SIZE,
			SEED_NEW, 0) &&
	    check_placement(&t, "after the WRITE and READ", VPHYR_PLACEMENT_VRAM))
		t_note("GBM buffer %ux%u XRGB8888 on %s, in VRAM: RDMA WRITE and READ of 1 MiB through its dma-buf MR match what the device reads and writes",
		       width, height, node);
out:
	if (t.mr)
		CHECK(!dmr_dereg(t.mr), "deregister the MR");
	if (t.bo)
		vphyr_bo_unref(t.bo);
	if (t.dmabuf >= 0)
		close(t.dmabuf);
	if (gbo)
		gbm_bo_destroy(gbo);
	if (gbm)
		gbm_device_destroy(gbm);
	if (card >= 0)
		close(card);
	free(node);
}
#endif

/*
 * Evicting a VRAM object invalidates the MR over its dma-buf (move_notify):
 * a WRITE that worked before must now fail, leave the object as it was, and
 * the MR, the dma-buf and the object must still come apart cleanly.
 */
static void case_evict_invalidates(void)
{
	uint64_t size = EVICT_SIZE;
	int fds0, fds1, ret;
	struct target t;

	if (!target_up(&t, BACK_VRAM, size, 0, size, 0))
		return;
	fds0 = phyr_count_fds();

	phyr_pattern_fill(r.buf, size, SEED_OLD, 0);
	if (!rdma_ok("before the eviction", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     t.mr->rkey) ||
	    !check_device(&t, "object before the eviction", 0, size, SEED_OLD))
		return;

	REQUIRE(!vphyr_bo_evict(t.bo),
		"GEM_EVICT with an RDMA MR on the dma-buf: %s",
		vphyr_last_error());
	check_placement(&t, "after GEM_EVICT", VPHYR_PLACEMENT_SYSTEM);

	phyr_pattern_fill(r.buf, size, SEED_NEW, 0);
	rdma_refused("after the eviction", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     t.mr->rkey);
	check_device(&t, "evicted object", 0, size, SEED_OLD);
	if (!t_failed())
		t_note("after GEM_EVICT the MR is invalid: the WRITE was refused and the evicted object still holds the earlier bytes");

	ret = dmr_dereg(t.mr);
	EXPECT_RET(ret, 0, "deregister the invalidated MR");
	CHECK(!close(t.dmabuf), "close the dma-buf: %s", strerror(errno));
	CHECK(!vphyr_bo_unref(t.bo), "%s", vphyr_last_error());
	fds1 = phyr_count_fds();
	CHECK(fds1 == fds0 - 1,
	      "open files: %d with the dma-buf, %d after closing it", fds0,
	      fds1);
	/* the QPs, one of them in the error state, go now, checked */
	rdma_down();
}

/*
 * RDMA WRITEs racing an eviction. The writer keeps RACE_WINDOW page-sized
 * WRITEs in flight, round a 16 MiB VRAM object again and again, each with
 * the pattern of its own generation, until the MR is refused; a second
 * thread evicts the object once RACE_START WRITEs have completed, and the
 * copy of 16 MiB takes long enough for many WRITEs to land while it runs.
 * Invalidating the MR comes before the copy, so every WRITE that completed
 * successfully must be found in the evicted object, every page no WRITE
 * reached still holds the first pattern, and a page whose last WRITE was
 * refused or flushed holds, byte by byte, either what it held before or
 * that WRITE's pattern (packets that arrived before the invalidation).
 * With copy-then-invalidate, WRITEs that land on pages the copy already
 * passed are lost.
 */
#define RACE_SIZE	(16ull << 20)
#define RACE_SLICE	4096u
#define RACE_PAGES	((unsigned int)(RACE_SIZE / RACE_SLICE))
#define RACE_WINDOW	8u
#define RACE_START	64u
#define RACE_MAX_WRITES	(16u * RACE_PAGES)

struct race_evict {
	struct vphyr_bo *bo;
	_Atomic unsigned int writes;	/* completed by the writer */
	_Atomic bool stop;		/* the writer gave up */
	int ret;
	char err[128];
};

static void *race_evictor(void *arg)
{
	struct race_evict *e = arg;
	struct timespec nap = { .tv_nsec = 100 * 1000 };

	while (e->writes < RACE_START && !e->stop)
		nanosleep(&nap, NULL);
	e->ret = vphyr_bo_evict(e->bo);
	if (e->ret)
		snprintf(e->err, sizeof(e->err), "%s", vphyr_last_error());
	return NULL;
}

/* Generation @g's pattern seed; generation -1 is the first fill. */
static uint32_t race_seed(int g)
{
	return g < 0 ? SEED_OLD : SEED_NEW + (uint32_t)g;
}

/* Post WRITE number @n: page n % RACE_PAGES from local slot n % window. */
static int race_post(unsigned int n, uint32_t rkey)
{
	unsigned int page = n % RACE_PAGES, slot = n % RACE_WINDOW;
	uint64_t loc = (uint64_t)slot * RACE_SLICE;
	struct ibv_sge sge = {
		.addr = (uintptr_t)(r.buf + loc),
		.length = RACE_SLICE,
		.lkey = r.mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = n,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_RDMA_WRITE,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = {
			.remote_addr = MR_IOVA + (uint64_t)page * RACE_SLICE,
			.rkey = rkey,
		},
	}, *bad = NULL;

	phyr_pattern_fill(r.buf + loc, RACE_SLICE,
			  race_seed(n / RACE_PAGES), (uint64_t)page * RACE_SLICE);
	return -ibv_post_send(r.qp[0], &wr, &bad);
}

/* The next completion, within OP_TIMEOUT_MS; 0 or a negative errno. */
static int race_poll(struct ibv_wc *wc)
{
	struct timespec nap = { .tv_nsec = 100 * 1000 };
	uint64_t deadline = rv_now_ms() + OP_TIMEOUT_MS;
	int n;

	for (;;) {
		n = ibv_poll_cq(r.cq, 1, wc);
		if (n < 0)
			return -EIO;
		if (n)
			return 0;
		if (rv_now_ms() > deadline)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

static void case_write_racing_evict(void)
{
	unsigned int posted = 0, done = 0, ok = 0, refused = 0, bad = 0, i;
	enum ibv_wc_status first_err = IBV_WC_SUCCESS;
	int *last = NULL, *maybe = NULL, ret = 0;
	struct race_evict e = { 0 };
	unsigned char *obj = NULL;
	bool stop = false;
	pthread_t thr;
	struct target t;

	if (!target_up(&t, BACK_VRAM, RACE_SIZE, 0, RACE_SIZE, 0))
		return;
	obj = malloc(RACE_SIZE);
	last = malloc(RACE_PAGES * sizeof(*last));
	maybe = malloc(RACE_PAGES * sizeof(*maybe));
	REQUIRE(obj && last && maybe, "out of memory");
	phyr_pattern_fill(obj, RACE_SIZE, SEED_OLD, 0);
	if (!CHECK(!vphyr_bo_write(t.bo, 0, obj, RACE_SIZE),
		   "fill the object: %s", vphyr_last_error()))
		goto out;
	for (i = 0; i < RACE_PAGES; i++)
		last[i] = maybe[i] = -1;

	e.bo = t.bo;
	REQUIRE(!pthread_create(&thr, NULL, race_evictor, &e),
		"pthread_create failed");
	/* completions of one send queue come in order */
	while (done < posted || (!stop && posted < RACE_MAX_WRITES)) {
		struct ibv_wc wc;

		while (!stop && posted < RACE_MAX_WRITES &&
		       posted - done < RACE_WINDOW) {
			ret = race_post(posted, t.mr->rkey);
			if (ret)
				break;
			posted++;
		}
		if (ret)
			break;
		ret = race_poll(&wc);
		if (ret)
			break;
		i = wc.wr_id % RACE_PAGES;
		if (wc.status == IBV_WC_SUCCESS && !stop) {
			last[i] = wc.wr_id / RACE_PAGES;
			ok++;
			e.writes = ok;
		} else {
			/* refused, or flushed after the refusal: may have landed */
			if (!stop)
				first_err = wc.status;
			stop = true;
			maybe[i] = wc.wr_id / RACE_PAGES;
			refused++;
		}
		done++;
	}
	e.stop = true;
	pthread_join(thr, NULL);

	REQUIRE(!e.ret, "GEM_EVICT racing the WRITEs: %s", e.err);
	REQUIRE(!ret, "WRITE %u: %s", posted, errname(ret));
	REQUIRE(stop, "%u WRITEs completed and none was refused after the eviction",
		ok);
	CHECK(ok >= RACE_START, "a WRITE was refused after %u, before the eviction began: %s",
	      ok, ibv_wc_status_str(first_err));
	t_note("%u WRITEs completed, then %u refused or flushed (first: %s); %u pages written %s",
	       ok, refused, ibv_wc_status_str(first_err),
	       ok < RACE_PAGES ? ok : RACE_PAGES,
	       ok < RACE_PAGES ? "once" : "one or more times");
	check_placement(&t, "after the race", VPHYR_PLACEMENT_SYSTEM);

	if (!CHECK(!vphyr_bo_read(t.bo, 0, obj, RACE_SIZE),
		   "read the evicted object: %s", vphyr_last_error()))
		goto out;
	for (i = 0; i < RACE_PAGES; i++) {
		uint64_t pos = (uint64_t)i * RACE_SLICE, k;

		for (k = 0; k < RACE_SLICE; k++) {
			uint8_t b = obj[pos + k];

			if (b == phyr_pattern_byte(race_seed(last[i]), pos + k) ||
			    (maybe[i] >= 0 &&
			     b == phyr_pattern_byte(race_seed(maybe[i]), pos + k)))
				continue;
			if (bad++ < 8)
				t_note("page %u: byte 0x%llx is 0x%02x, the last completed WRITE (generation %d) wrote 0x%02x",
				       i, (unsigned long long)(pos + k), b,
				       last[i],
				       phyr_pattern_byte(race_seed(last[i]),
							 pos + k));
			break;
		}
	}
	CHECK(!bad, "%u of %u pages of the evicted object lost a completed WRITE",
	      bad, RACE_PAGES);
	if (!t_failed())
		t_note("the evicted object holds every one of the %u completed WRITEs",
		       ok);
out:
	free(maybe);
	free(last);
	free(obj);
}

/*
 * Unbinding the exporter's PCI device while a dma-buf MR covers its VRAM:
 * the MR is invalidated (a WRITE is refused), the MR, the dma-buf, the
 * object and the file still come apart cleanly, and binding the device
 * again gives a working instance. The device is bound again whatever
 * happened.
 */
/* Whether an instance sits on PCI device @pci. */
static bool pci_instance_present(const char *pci)
{
	struct vphyr_device_info info[16];
	int i, n;

	n = vphyr_list_devices(info, 16);
	for (i = 0; i < n && i < 16; i++)
		if (!strncmp(info[i].bus, "pci:", 4) &&
		    !strcmp(info[i].bus + 4, pci))
			return true;
	return false;
}

static void case_unbind_with_mr(void)
{
	const uint64_t size = EVICT_SIZE;
	struct timespec nap = { .tv_nsec = 50 * 1000 * 1000 };
	struct vphyr_dev *again;
	struct vphyr_bo *bo;
	unsigned char *buf;
	char pci[64];
	int ret, i;
	struct target t;

	if (!target_up(&t, BACK_VRAM, size, 0, size, 0))
		return;
	if (strncmp(vphyr_dev_info(t.dev)->bus, "pci:", 4)) {
		t_skip("%s is not a PCI device", vphyr_dev_name(t.dev));
		return;
	}
	snprintf(pci, sizeof(pci), "%s", vphyr_dev_info(t.dev)->bus + 4);

	phyr_pattern_fill(r.buf, size, SEED_OLD, 0);
	if (!rdma_ok("before the unbind", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     t.mr->rkey) ||
	    !check_device(&t, "object before the unbind", 0, size, SEED_OLD))
		return;

	ret = phyr_pci_unbind(pci);
	REQUIRE(!ret, "unbind %s: %s", pci, errname(ret));
	t_note("unbound %s (%s) with a dma-buf MR over 0x%llx bytes of its VRAM",
	       pci, vphyr_dev_name(t.dev), (unsigned long long)size);

	phyr_pattern_fill(r.buf, size, SEED_NEW, 0);
	rdma_refused("after the unbind", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     t.mr->rkey);
	ret = vphyr_bo_create(t.dev, size, VPHYR_REGION_VRAM, &bo);
	EXPECT_RET(ret, -ENODEV, "GEM_CREATE on the unbound instance");
	if (!ret)
		vphyr_bo_unref(bo);
	ret = vphyr_bo_read(t.bo, 0, r.buf, page);
	EXPECT_RET(ret, -ENODEV, "GEM_DMA on the unbound instance");

	ret = dmr_dereg(t.mr);
	EXPECT_RET(ret, 0, "deregister the MR of the unbound device");
	CHECK(!close(t.dmabuf), "close the dma-buf: %s", strerror(errno));
	vphyr_bo_unref(t.bo);
	vphyr_dev_close(t.dev);

	ret = phyr_pci_bind(pci);
	CHECK(!ret, "bind %s again: %s", pci, errname(ret));
	for (i = 0; i < 100 && !pci_instance_present(pci); i++)
		nanosleep(&nap, NULL);
	REQUIRE(pci_instance_present(pci), "no vphyr instance on %s after binding it again",
		pci);

	/* the new instance works: an object in VRAM, written and read back */
	buf = malloc(size);
	REQUIRE(buf, "out of memory");
	if (open_instance(true, &again)) {
		free(buf);
		return;
	}
	ret = vphyr_bo_create(again, size, VPHYR_REGION_VRAM, &bo);
	if (CHECK(!ret, "VRAM object on the bound instance: %s",
		  vphyr_last_error())) {
		phyr_pattern_fill(buf, size, SEED_WRITE, 0);
		CHECK(!vphyr_bo_write(bo, 0, buf, size),
		      "GEM_DMA write: %s", vphyr_last_error());
		memset(buf, 0, size);
		if (CHECK(!vphyr_bo_read(bo, 0, buf, size),
			  "GEM_DMA read: %s", vphyr_last_error()))
			check_bytes("object on the bound instance", buf, size,
				    SEED_WRITE, 0);
		vphyr_bo_unref(bo);
	}
	vphyr_dev_close(again);
	free(buf);
}

/* Registrations that must fail, then one that must work. */
static void case_reg_errors(void)
{
	const uint64_t size = 4 * page;
	const struct {
		uint64_t off;
		uint64_t len;
		const char *what;
	} bad[] = {
		{ 0, size + page, "one page longer than the dma-buf" },
		{ page, size, "offset 1 page, the dma-buf's length" },
		{ size, page, "the page after the dma-buf" },
		{ -page, 2 * page, "offset + length wrapping around" },
	};
	struct target t;
	struct rv_mr *m;
	int p[2], ret;
	size_t i;

	if (!target_up(&t, BACK_SYSTEM, size, 0, 0, 0))
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_RET(dmr_refused(t.dmabuf, bad[i].off, bad[i].len,
				       ACCESS_RW), -EINVAL,
			   "register %s (offset 0x%llx length 0x%llx)",
			   bad[i].what, (unsigned long long)bad[i].off,
			   (unsigned long long)bad[i].len);
	EXPECT_RET(dmr_refused(t.dmabuf, 0, size,
			       ACCESS_RW | IBV_ACCESS_REMOTE_ATOMIC),
		   -EOPNOTSUPP, "register with IBV_ACCESS_REMOTE_ATOMIC");

	/* a DRM device file and a pipe are files, but not dma-bufs */
	ret = dmr_refused(vphyr_dev_fd(t.dev), 0, size, ACCESS_RW);
	t_note("register the DRM device fd: %s", errname(ret));
	CHECK(ret < 0, "registered a DRM device file as a dma-buf");
	REQUIRE(!pipe2(p, O_CLOEXEC), "pipe: %s", strerror(errno));
	ret = dmr_refused(p[0], 0, page, ACCESS_RW);
	t_note("register a pipe fd: %s", errname(ret));
	CHECK(ret < 0, "registered a pipe as a dma-buf");

	/* the refusals above must not come from registration being broken */
	ret = dmr_reg(t.dmabuf, 0, size, MR_IOVA, ACCESS_RW, &m);
	REQUIRE(!ret, "register the whole dma-buf after the errors: %s",
		errname(ret));
	ret = dmr_dereg(m);
	EXPECT_RET(ret, 0, "deregister it");
}

/*
 * Export, register, deregister, close, over and over: no file may be left
 * behind. Now and then a WRITE proves the fresh MR is a working one.
 */
static void case_leak_cycles(void)
{
	const uint64_t size = 2 * page;
	int dmabuf, fds0, fds1, i, ret;
	struct target t;
	char what[64];
	struct rv_mr *m;

	if (!target_up(&t, BACK_SYSTEM, size, 0, 0, 0))
		return;
	fds0 = phyr_count_fds();
	REQUIRE(fds0 > 0, "cannot count the open files in /proc/self/fd");

	for (i = 0; i < LEAK_CYCLES; i++) {
		ret = vphyr_bo_export(t.bo, &dmabuf);
		if (!EXPECT_RET(ret, 0, "cycle %d: %s", i, vphyr_last_error()))
			break;
		ret = dmr_reg(dmabuf, 0, size, MR_IOVA, ACCESS_RW, &m);
		if (!EXPECT_RET(ret, 0, "cycle %d: register", i)) {
			close(dmabuf);
			break;
		}
		if (!(i % LEAK_CHECK_EVERY)) {
			snprintf(what, sizeof(what), "in cycle %d", i);
			phyr_pattern_fill(r.buf, size, i, 0);
			if (rdma_ok(what, IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
				    m->rkey))
				check_device(&t, what, 0, size, i);
		}
		ret = dmr_dereg(m);
		close(dmabuf);
		if (!EXPECT_RET(ret, 0, "cycle %d: deregister", i) ||
		    t_failed())
			break;
	}
	fds1 = phyr_count_fds();
	CHECK(i == LEAK_CYCLES, "stopped after %d of %d cycles", i,
	      LEAK_CYCLES);
	CHECK(fds1 == fds0, "open files: %d before, %d after %d cycles", fds0,
	      fds1, i);
}

/* ---- running the cases ---- */

struct test_case {
	const char *name;
	void (*fn)(void);
};

static const struct test_case cases[] = {
	{ "rdma-write-vram", case_write_vram },
	{ "rdma-read-vram", case_read_vram },
	{ "rdma-write-system", case_write_system },
	{ "rdma-read-system", case_read_system },
	{ "rdma-userptr-dmabuf", case_userptr_dmabuf },
	{ "rdma-evict-invalidates", case_evict_invalidates },
	{ "rdma-write-racing-evict", case_write_racing_evict },
	{ "rdma-reg-errors", case_reg_errors },
	{ "rdma-leak-cycles", case_leak_cycles },
	{ "rdma-unbind-with-mr", case_unbind_with_mr },
#ifndef PHYR_RDMA_NO_GBM
	{ "rdma-gbm-vram", case_gbm_vram },
#endif
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Runs in the case's child process. */
static enum phyr_case_result case_body(const void *arg, char *reason,
				       size_t len)
{
	const struct test_case *c = arg;

	phyr_case_begin(c->name);
	c->fn();
	/* MRs hold the dma-bufs: the verbs side goes before the files */
	rdma_down();
	return phyr_case_end(reason, len);
}


/* Fork the case, print its line and how long it took; false if it failed. */
static bool run_case(const struct test_case *c)
{
	uint64_t t0 = rv_now_ms();
	enum phyr_case_result res;

	res = phyr_case_run(c->name, CASE_TIMEOUT_S, case_body, c);
	fprintf(stderr, "%s: %.1f s\n", c->name, (rv_now_ms() - t0) / 1000.0);
	return res != PHYR_CASE_FAIL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: phyr_rdma_test [-d DEVICE] [-g GID_INDEX] [-p PORT]\n"
		"                      [--reg auto|verbs|ioctl] [--list] [--run NAME]...\n"
		"  -d DEVICE     verbs device (default: the first named rxe*; a\n"
		"                named device that is missing fails the cases,\n"
		"                no rxe device at all skips them)\n"
		"  -g GID_INDEX  GID of the port to connect through (default: the\n"
		"                first RoCE v2 GID of an IPv4 address)\n"
		"  -p PORT       port number (default 1)\n"
		"  --reg MODE    how to register dma-buf MRs: ibv_reg_dmabuf_mr()\n"
		"                (verbs), the uverbs REG_DMABUF_MR ioctl (ioctl), or\n"
		"                the ioctl only where libibverbs lacks it (auto)\n"
		"  --list        print the case names\n"
		"  --run NAME    run only this case (may be repeated)\n"
		"Prints PASS/FAIL/SKIP lines; exits 1 if any case failed.\n");
}

/* verbs carry port numbers and GID indices in 8 bits */
static bool parse_u8(const char *s, int min, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > 255)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	bool list = false, selected[NCASES] = { false }, any = false;
	char gid[16] = "auto";
	const char *a;
	int i, n, failed = 0;
	size_t c;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (!strcmp(a, "--list")) {
			list = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		} else if (!strcmp(a, "--run")) {
			for (c = 0; c < NCASES; c++)
				if (!strcmp(cases[c].name, argv[i + 1]))
					break;
			if (c == NCASES) {
				fprintf(stderr, "phyr_rdma_test: no case named '%s' (see --list)\n",
					argv[i + 1]);
				return 2;
			}
			selected[c] = true;
			any = true;
			i++;
		} else if (!strcmp(a, "-d")) {
			opt.dev = argv[++i];
		} else if (!strcmp(a, "-g")) {
			if (!parse_u8(argv[++i], 0, &opt.gid)) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(a, "-p")) {
			if (!parse_u8(argv[++i], 1, &opt.port)) {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(a, "--reg")) {
			a = argv[++i];
			if (!strcmp(a, "auto")) {
				opt.reg = RV_REG_AUTO;
			} else if (!strcmp(a, "verbs")) {
				opt.reg = RV_REG_VERBS;
			} else if (!strcmp(a, "ioctl")) {
				opt.reg = RV_REG_IOCTL;
			} else {
				usage(stderr);
				return 2;
			}
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

	page = vphyr_page_size();
	n = vphyr_list_devices(NULL, 0);
	/*
	 * libibverbs loads its providers on the first ibv_get_device_list()
	 * of a process, which takes seconds under an emulated CPU: do it
	 * once, here, and every case's child inherits them. Nothing is
	 * opened before the fork: devices and vphyr instances are opened by
	 * each case.
	 */
	rv_preload();
	if (opt.gid >= 0)
		snprintf(gid, sizeof(gid), "%d", opt.gid);
	fprintf(stderr,
		"phyr_rdma_test: %d vphyr instance(s); RDMA device %s port %d, GID %s\n",
		n, opt.dev ? opt.dev : "rxe* (first)", opt.port, gid);

	for (c = 0; c < NCASES; c++) {
		if (any && !selected[c])
			continue;
		if (!run_case(&cases[c]))
			failed++;
	}
	fprintf(stderr, "phyr_rdma_test: %d case(s) failed\n", failed);
	return failed ? 1 : 0;
}
