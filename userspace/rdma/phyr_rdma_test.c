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
 * process memory itself.
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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>

#include "libphyr.h"

#define CHECK		PHYR_CHECK
#define REQUIRE		PHYR_REQUIRE
#define EXPECT_RET	PHYR_EXPECT_RET
#define SKIP		PHYR_SKIP
#define errname		phyr_errname
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

#define ACCESS_RW	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

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

enum reg_mode {
	REG_AUTO,
	REG_VERBS,
	REG_IOCTL,
};

static struct {
	const char *dev;	/* NULL: the first device named rxe* */
	int gid;		/* -1: the first RoCE v2 IPv4 GID */
	int port;
	enum reg_mode reg;
} opt = {
	.gid = -1,
	.port = 1,
};

/* ---- the verbs side of the running case ---- */

#define MAX_DMR	8

/* what a dma-buf MR is registered over */
struct mr_args {
	int fd;
	uint64_t off;
	uint64_t len;
	uint64_t iova;
	int access;
};

/*
 * A dma-buf MR: registered by ibv_reg_dmabuf_mr() (mr set) or through the
 * provider gap below (handle).
 */
struct dmr {
	bool live;
	struct ibv_mr *mr;
	uint32_t handle;
	uint32_t lkey;
	uint32_t rkey;
};

static struct {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	struct ibv_mr *mr;		/* over buf */
	unsigned char *buf;		/* LOCAL_SIZE bytes */
	char name[64];
	int gid;
	bool gap;			/* register through the provider gap */
	uint64_t wr_id;
	struct dmr dmr[MAX_DMR];
} r;

/* ---- the provider gap ---- */

/*
 * rdma-core's rxe provider (Debian 12 ships rdma-core 44) has no
 * reg_dmabuf_mr: libibverbs then fails ibv_reg_dmabuf_mr() with EOPNOTSUPP
 * without asking the kernel. For such a provider, gap_mr() issues the
 * uverbs method itself on the context's command fd, as libibverbs' generic
 * command layer would: UVERBS_METHOD_REG_DMABUF_MR to register @m over @a,
 * UVERBS_METHOD_MR_DESTROY to destroy it (@a NULL). Nothing else in this
 * file talks to the uverbs ABI. 0 or a negative errno.
 */
static int gap_mr(struct dmr *m, const struct mr_args *a)
{
	uint64_t buf[(sizeof(struct ib_uverbs_ioctl_hdr) +
		      9 * sizeof(struct ib_uverbs_attr)) / sizeof(uint64_t)];
	struct ib_uverbs_ioctl_hdr *hdr = memset(buf, 0, sizeof(buf));
	/* attribute id, length, value: the method's attributes in order */
	const uint64_t reg[9][3] = {
		{ UVERBS_ATTR_REG_DMABUF_MR_HANDLE, 0, 0 },
		{ UVERBS_ATTR_REG_DMABUF_MR_PD_HANDLE, 0, r.pd->handle },
		{ UVERBS_ATTR_REG_DMABUF_MR_OFFSET, 8, a ? a->off : 0 },
		{ UVERBS_ATTR_REG_DMABUF_MR_LENGTH, 8, a ? a->len : 0 },
		{ UVERBS_ATTR_REG_DMABUF_MR_IOVA, 8, a ? a->iova : 0 },
		{ UVERBS_ATTR_REG_DMABUF_MR_FD, 4, a ? (uint32_t)a->fd : 0 },
		{ UVERBS_ATTR_REG_DMABUF_MR_ACCESS_FLAGS, 8, a ? a->access : 0 },
		{ UVERBS_ATTR_REG_DMABUF_MR_RESP_LKEY, 4, (uintptr_t)&m->lkey },
		{ UVERBS_ATTR_REG_DMABUF_MR_RESP_RKEY, 4, (uintptr_t)&m->rkey },
	}, destroy[1][3] = {
		{ UVERBS_ATTR_DESTROY_MR_HANDLE, 0, m->handle },
	};
	const uint64_t (*v)[3] = a ? reg : destroy;
	unsigned int i, n = a ? 9 : 1;

	hdr->object_id = UVERBS_OBJECT_MR;
	hdr->method_id = a ? UVERBS_METHOD_REG_DMABUF_MR :
			     UVERBS_METHOD_MR_DESTROY;
	hdr->num_attrs = n;
	hdr->length = sizeof(*hdr) + n * sizeof(hdr->attrs[0]);
	/* the kernel only takes methods addressed to the device's driver */
	hdr->driver_id = RDMA_DRIVER_RXE;
	for (i = 0; i < n; i++) {
		hdr->attrs[i].attr_id = v[i][0];
		hdr->attrs[i].len = v[i][1];
		hdr->attrs[i].flags = UVERBS_ATTR_F_MANDATORY;
		hdr->attrs[i].data = v[i][2];
	}
	if (ioctl(r.ctx->cmd_fd, RDMA_VERBS_IOCTL, hdr))
		return -errno;
	if (a)
		m->handle = hdr->attrs[0].data;
	return 0;
}

/*
 * Whether to register through the gap: with --reg auto, when the provider
 * lacks reg_dmabuf_mr. Asked about fd -1, a provider that has it passes
 * the call to the kernel, which refuses the fd (EBADF) or dma-buf MRs
 * altogether (EOPNOTSUPP: the gap then gets the same answer).
 */
static void pick_reg_path(void)
{
	struct ibv_mr *mr;

	r.gap = opt.reg == REG_IOCTL;
	if (opt.reg != REG_AUTO)
		return;
	errno = 0;
	mr = ibv_reg_dmabuf_mr(r.pd, 0, page, 0, -1, IBV_ACCESS_LOCAL_WRITE);
	if (mr) {
		ibv_dereg_mr(mr);
		CHECK(false, "%s: ibv_reg_dmabuf_mr() accepted fd -1", r.name);
		return;
	}
	r.gap = errno == EOPNOTSUPP;
	if (r.gap)
		t_note("%s: ibv_reg_dmabuf_mr() says EOPNOTSUPP for fd -1: registering through the uverbs REG_DMABUF_MR method",
		       r.name);
}

/* Register a dma-buf MR: 0 and *out, or a negative errno. */
static int dmr_reg(int fd, uint64_t off, uint64_t len, uint64_t iova,
		   int access, struct dmr **out)
{
	struct dmr *m = NULL;
	int i, ret = 0;

	*out = NULL;
	for (i = 0; i < MAX_DMR && !m; i++)
		if (!r.dmr[i].live)
			m = &r.dmr[i];
	if (!CHECK(m, "more than %d dma-buf MRs at once", MAX_DMR))
		return -ENOSPC;
	memset(m, 0, sizeof(*m));
	if (r.gap) {
		const struct mr_args a = { fd, off, len, iova, access };

		ret = gap_mr(m, &a);
	} else {
		errno = 0;
		m->mr = ibv_reg_dmabuf_mr(r.pd, off, len, iova, fd, access);
		if (m->mr) {
			m->lkey = m->mr->lkey;
			m->rkey = m->mr->rkey;
		} else {
			ret = errno ? -errno : -EIO;
		}
	}
	if (ret)
		return ret;
	m->live = true;
	*out = m;
	return 0;
}

/* Deregister: 0 or a negative errno (the MR is forgotten either way). */
static int dmr_dereg(struct dmr *m)
{
	if (!m || !m->live)
		return -EINVAL;
	m->live = false;
	if (m->mr)
		return -ibv_dereg_mr(m->mr);
	return gap_mr(m, NULL);
}

/* A registration that must fail: its error (0 if it did not fail). */
static int dmr_refused(int fd, uint64_t off, uint64_t len, int access)
{
	struct dmr *m;
	int ret = dmr_reg(fd, off, len, MR_IOVA, access, &m);

	if (!ret)
		dmr_dereg(m);
	return ret;
}

/* ---- device, queue pairs ---- */

static bool is_roce_v2_ipv4(const struct ibv_gid_entry *e)
{
	static const uint8_t prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};

	return e->gid_type == IBV_GID_TYPE_ROCE_V2 &&
	       !memcmp(e->gid.raw, prefix, sizeof(prefix));
}

static bool find_gid(const struct ibv_port_attr *pa, union ibv_gid *gid)
{
	struct ibv_gid_entry e;
	char txt[INET6_ADDRSTRLEN];
	int i;

	if (opt.gid >= 0) {
		r.gid = opt.gid;
		if (!CHECK(!ibv_query_gid(r.ctx, opt.port, opt.gid, gid),
			   "%s: GID index %d: %s", r.name, opt.gid,
			   strerror(errno)))
			return false;
	} else {
		for (i = 0; i < pa->gid_tbl_len; i++) {
			if (ibv_query_gid_ex(r.ctx, opt.port, i, &e, 0))
				continue;
			if (is_roce_v2_ipv4(&e))
				break;
		}
		if (!CHECK(i < pa->gid_tbl_len,
			   "%s port %d: no RoCE v2 GID of an IPv4 address among %d (give the netdev an address, or pass -g)",
			   r.name, opt.port, pa->gid_tbl_len))
			return false;
		r.gid = i;
		*gid = e.gid;
	}
	if (!inet_ntop(AF_INET6, gid->raw, txt, sizeof(txt)))
		snprintf(txt, sizeof(txt), "?");
	t_note("%s port %d: GID %d %s, MTU %d", r.name, opt.port, r.gid, txt,
	       128 << pa->active_mtu);
	return true;
}

static bool qp_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = opt.port,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	int ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);

	return CHECK(!ret, "QP %u to INIT: %s", qp->qp_num, strerror(ret));
}

#define PSN(i)	(0x1000u * ((i) + 1))

/* Connect qp[i] to qp[1 - i]: both ends are the same port and GID. */
static bool qp_connect(int i, const union ibv_gid *gid, enum ibv_mtu mtu)
{
	struct ibv_qp *qp = r.qp[i], *peer = r.qp[1 - i];
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = mtu,
		.dest_qp_num = peer->qp_num,
		.rq_psn = PSN(1 - i),
		.max_dest_rd_atomic = 4,
		.min_rnr_timer = 12,
		.ah_attr = {
			.is_global = 1,
			.grh = {
				.dgid = *gid,
				.sgid_index = r.gid,
				.hop_limit = 1,
			},
			.port_num = opt.port,
		},
	};
	int ret;

	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV |
			    IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			    IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			    IBV_QP_MIN_RNR_TIMER);
	if (!CHECK(!ret, "QP %u to RTR: %s", qp->qp_num, strerror(ret)))
		return false;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	/*
	 * 4.096 us << 16 = 268 ms per try: rxe under an emulated CPU is slow,
	 * and a request that is lost still fails within seconds.
	 */
	a.timeout = 16;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.sq_psn = PSN(i);
	a.max_rd_atomic = 4;
	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			    IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			    IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
	return CHECK(!ret, "QP %u to RTS: %s", qp->qp_num, strerror(ret));
}

static struct ibv_device *pick_device(struct ibv_device **list, int n)
{
	const char *name;
	int i;

	for (i = 0; i < n; i++) {
		name = ibv_get_device_name(list[i]);
		if (!name)
			continue;
		if (opt.dev ? !strcmp(name, opt.dev) : !strncmp(name, "rxe", 3))
			return list[i];
	}
	return NULL;
}

/*
 * Open the device and set up PD, CQ, the connected QPs and the ordinary
 * MR. False when the case cannot go on: a failure was recorded, or, when
 * no device was named and there is no rxe device, the case is skipped.
 */
static bool rdma_up(void)
{
	struct ibv_qp_init_attr qa = {
		.cap = {
			.max_send_wr = 16,
			.max_recv_wr = 16,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
		.qp_type = IBV_QPT_RC,
	};
	struct ibv_device **list;
	struct ibv_device *dev;
	struct ibv_port_attr pa;
	union ibv_gid gid;
	int n = 0, err, i, ret;

	errno = 0;
	list = ibv_get_device_list(&n);
	err = errno;
	dev = list ? pick_device(list, n) : NULL;
	if (!dev) {
		if (list)
			ibv_free_device_list(list);
		if (opt.dev)
			CHECK(false, "no RDMA device named %s (%d device(s), %s)",
			      opt.dev, n, list ? "listed" : strerror(err));
		else
			t_skip("no rxe device (rdma link add rxe0 type rxe netdev IFACE)");
		return false;
	}
	snprintf(r.name, sizeof(r.name), "%s", ibv_get_device_name(dev));
	r.ctx = ibv_open_device(dev);
	ibv_free_device_list(list);
	if (!CHECK(r.ctx, "ibv_open_device %s: %s", r.name, strerror(errno)))
		return false;

	ret = ibv_query_port(r.ctx, opt.port, &pa);
	if (!CHECK(!ret, "%s port %d: %s", r.name, opt.port, strerror(ret)))
		return false;
	if (!CHECK(pa.state == IBV_PORT_ACTIVE, "%s port %d is %s, not active",
		   r.name, opt.port, ibv_port_state_str(pa.state)))
		return false;
	if (!find_gid(&pa, &gid))
		return false;

	r.pd = ibv_alloc_pd(r.ctx);
	if (!CHECK(r.pd, "ibv_alloc_pd: %s", strerror(errno)))
		return false;
	r.cq = ibv_create_cq(r.ctx, 64, NULL, NULL, 0);
	if (!CHECK(r.cq, "ibv_create_cq: %s", strerror(errno)))
		return false;
	qa.send_cq = r.cq;
	qa.recv_cq = r.cq;
	for (i = 0; i < 2; i++) {
		r.qp[i] = ibv_create_qp(r.pd, &qa);
		if (!CHECK(r.qp[i], "ibv_create_qp: %s", strerror(errno)))
			return false;
		if (!qp_init(r.qp[i]))
			return false;
	}
	for (i = 0; i < 2; i++)
		if (!qp_connect(i, &gid, pa.active_mtu))
			return false;

	r.buf = calloc(1, LOCAL_SIZE);
	if (!CHECK(r.buf, "out of memory"))
		return false;
	r.mr = ibv_reg_mr(r.pd, r.buf, LOCAL_SIZE, ACCESS_RW);
	if (!CHECK(r.mr, "ibv_reg_mr of %llu bytes: %s",
		   (unsigned long long)LOCAL_SIZE, strerror(errno)))
		return false;
	pick_reg_path();
	return !t_failed();
}

/* Release what rdma_up() and the case left; failures count against it. */
static void rdma_down(void)
{
	int i, ret;

	for (i = 0; i < MAX_DMR; i++) {
		if (!r.dmr[i].live)
			continue;
		ret = dmr_dereg(&r.dmr[i]);
		CHECK(!ret, "deregister a dma-buf MR left by the case: %s",
		      errname(ret));
	}
	if (r.mr) {
		ret = ibv_dereg_mr(r.mr);
		CHECK(!ret, "ibv_dereg_mr: %s", strerror(ret));
	}
	for (i = 0; i < 2; i++) {
		if (!r.qp[i])
			continue;
		ret = ibv_destroy_qp(r.qp[i]);
		CHECK(!ret, "ibv_destroy_qp: %s", strerror(ret));
	}
	if (r.cq) {
		ret = ibv_destroy_cq(r.cq);
		CHECK(!ret, "ibv_destroy_cq: %s", strerror(ret));
	}
	if (r.pd) {
		ret = ibv_dealloc_pd(r.pd);
		CHECK(!ret, "ibv_dealloc_pd: %s", strerror(ret));
	}
	if (r.ctx) {
		ret = ibv_close_device(r.ctx);
		CHECK(!ret, "ibv_close_device: %s", strerror(errno));
	}
	free(r.buf);
	memset(&r, 0, sizeof(r));
}

/* ---- work requests ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/*
 * Post one signalled RDMA WRITE or READ on QP 0 between buf + loc_off and
 * the remote address raddr, and wait for its completion. 0 with the
 * completion status in *status, or a negative errno when the request
 * could not be posted or did not complete in time.
 */
static int rdma_op(enum ibv_wr_opcode op, uint64_t loc_off, uint64_t len,
		   uint64_t raddr, uint32_t rkey, enum ibv_wc_status *status)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(r.buf + loc_off),
		.length = len,
		.lkey = r.mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = ++r.wr_id,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = {
			.remote_addr = raddr,
			.rkey = rkey,
		},
	}, *bad = NULL;
	struct timespec nap = { .tv_nsec = 200 * 1000 };
	uint64_t deadline;
	struct ibv_wc wc;
	int n, ret;

	if (loc_off + len > LOCAL_SIZE || len > UINT32_MAX)
		return -EINVAL;
	ret = ibv_post_send(r.qp[0], &wr, &bad);
	if (ret)
		return -ret;
	deadline = now_ms() + OP_TIMEOUT_MS;
	for (;;) {
		n = ibv_poll_cq(r.cq, 1, &wc);
		if (n < 0)
			return -EIO;
		if (!n) {
			if (now_ms() > deadline)
				return -ETIMEDOUT;
			/* sleep, not spin: rxe works in kernel threads */
			nanosleep(&nap, NULL);
			continue;
		}
		if (wc.wr_id != wr.wr_id) {
			t_note("completion of an earlier request %llu: %s",
			       (unsigned long long)wc.wr_id,
			       ibv_wc_status_str(wc.status));
			continue;
		}
		*status = wc.status;
		return 0;
	}
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
	struct phyr_dev *dev;
	uint32_t handle;
	uint64_t size;
	int dmabuf;
	struct dmr *mr;		/* NULL unless registered */
	unsigned char *mem;	/* BACK_USERPTR: the memory it wraps */
};

/*
 * The instance the cases use: the first one with VRAM, or else the system
 * memory instance 0 (the first one without VRAM if there is no 0).
 */
static int open_instance(bool vram, struct phyr_dev **dev)
{
	struct phyr_device_info info[16];
	int i, n, pick = -1;

	*dev = NULL;
	n = phyr_list_devices(info, 16);
	if (!CHECK(n >= 0, "%s", phyr_last_error()))
		return -1;
	for (i = 0; i < n && i < 16; i++) {
		if (vram != !!(info[i].flags & PHYR_DEV_VRAM))
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
	if (!CHECK(!phyr_open(info[pick].instance, dev), "%s",
		   phyr_last_error()))
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
	enum phyr_region region = b == BACK_VRAM ? PHYR_REGION_VRAM :
						   PHYR_REGION_SYSTEM;
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
		ret = phyr_bo_userptr(t->dev, t->mem, size, &t->handle);
	} else {
		ret = phyr_bo_create(t->dev, size, region, &t->handle);
	}
	if (!CHECK(!ret, "%s object: %s", backing_name[b], phyr_last_error()) ||
	    !CHECK(!phyr_bo_export(t->dev, t->handle, &t->dmabuf), "%s",
		   phyr_last_error()))
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
	ok = CHECK(!phyr_bo_read(t->dev, t->handle, off, buf, len), "%s: %s",
		   what, phyr_last_error()) &&
	     check_bytes(what, buf, len, seed, off);
	free(buf);
	return ok;
}

static bool check_placement(const struct target *t, const char *what,
			    enum phyr_placement want)
{
	struct phyr_ranges q;
	bool ok;

	if (!CHECK(!phyr_bo_ranges(t->dev, t->handle, &q), "%s: %s", what,
		   phyr_last_error()))
		return false;
	ok = CHECK(q.placement == want, "%s: placement %s, expected %s", what,
		   phyr_placement_name(q.placement),
		   phyr_placement_name(want));
	phyr_ranges_free(&q);
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
	enum phyr_placement place = b == BACK_VRAM ? PHYR_PLACE_VRAM :
						     PHYR_PLACE_SYSTEM;
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
		       backing_name[b], phyr_dev_name(t.dev),
		       phyr_placement_name(place));
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
	enum phyr_placement place = b == BACK_VRAM ? PHYR_PLACE_VRAM :
						     PHYR_PLACE_SYSTEM;
	struct target t;
	void *fill;

	if (!target_up(&t, b, OBJ_SIZE, page, mr_len, 0))
		return;
	fill = malloc(OBJ_SIZE);
	REQUIRE(fill, "out of memory");
	phyr_pattern_fill(fill, OBJ_SIZE, SEED_READ, 0);
	REQUIRE(!phyr_bo_write(t.dev, t.handle, 0, fill, OBJ_SIZE), "%s",
		phyr_last_error());
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
	check_placement(&t, "userptr object", PHYR_PLACE_USERPTR);

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

	REQUIRE(!phyr_bo_evict(t.dev, t.handle),
		"GEM_EVICT with an RDMA MR on the dma-buf: %s",
		phyr_last_error());
	check_placement(&t, "after GEM_EVICT", PHYR_PLACE_SYSTEM);

	phyr_pattern_fill(r.buf, size, SEED_NEW, 0);
	rdma_refused("after the eviction", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     t.mr->rkey);
	check_device(&t, "evicted object", 0, size, SEED_OLD);
	if (!t_failed())
		t_note("after GEM_EVICT the MR is invalid: the WRITE was refused and the evicted object still holds the earlier bytes");

	ret = dmr_dereg(t.mr);
	EXPECT_RET(ret, 0, "deregister the invalidated MR");
	CHECK(!close(t.dmabuf), "close the dma-buf: %s", strerror(errno));
	CHECK(!phyr_bo_close(t.dev, t.handle), "%s", phyr_last_error());
	fds1 = phyr_count_fds();
	CHECK(fds1 == fds0 - 1,
	      "open files: %d with the dma-buf, %d after closing it", fds0,
	      fds1);
	/* the QPs, one of them in the error state, go now, checked */
	rdma_down();
}

/*
 * RDMA WRITEs racing an eviction. The writer posts one page-sized WRITE
 * after another, round the object again and again, each with the pattern
 * of its own generation, until one fails; a second thread evicts the object
 * once RACE_START writes have completed. Invalidating the MR comes before
 * the copy, so every WRITE that completed successfully must be found in
 * the evicted object, every page no WRITE reached still holds the first
 * pattern, and the page of the WRITE that failed holds, byte by byte,
 * either what it held before or that WRITE's pattern (the packets that
 * arrived before the invalidation). With copy-then-invalidate, the WRITEs
 * that landed between the copy and the invalidation would be lost.
 */
#define RACE_PAGES	((unsigned int)(OBJ_SIZE / 4096))
#define RACE_START	8
#define RACE_MAX_WRITES	(64 * RACE_PAGES)

struct race_evict {
	struct phyr_dev *dev;
	uint32_t handle;
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
	e->ret = phyr_bo_evict(e->dev, e->handle);
	if (e->ret)
		snprintf(e->err, sizeof(e->err), "%s", phyr_last_error());
	return NULL;
}

/* Generation @g's pattern seed; generation -1 is the first fill. */
static uint32_t race_seed(int g)
{
	return g < 0 ? SEED_OLD : SEED_NEW + (uint32_t)g;
}

static void case_write_racing_evict(void)
{
	const uint64_t slice = 4096;
	int last[RACE_PAGES];
	struct race_evict e = { 0 };
	enum ibv_wc_status st = IBV_WC_SUCCESS;
	unsigned int n, i, failed = RACE_PAGES, bad = 0;
	int gen = -1, prev = -1, ret = 0;
	unsigned char *obj;
	pthread_t thr;
	struct target t;

	if (!target_up(&t, BACK_VRAM, OBJ_SIZE, 0, OBJ_SIZE, 0))
		return;
	phyr_pattern_fill(r.buf, OBJ_SIZE, SEED_OLD, 0);
	if (!rdma_ok("before the race", IBV_WR_RDMA_WRITE, 0, OBJ_SIZE,
		     MR_IOVA, t.mr->rkey) ||
	    !check_device(&t, "object before the race", 0, OBJ_SIZE, SEED_OLD))
		return;
	for (i = 0; i < RACE_PAGES; i++)
		last[i] = -1;

	e.dev = t.dev;
	e.handle = t.handle;
	REQUIRE(!pthread_create(&thr, NULL, race_evictor, &e),
		"pthread_create failed");
	for (n = 0; n < RACE_MAX_WRITES; n++) {
		i = n % RACE_PAGES;
		gen = n / RACE_PAGES;
		phyr_pattern_fill(r.buf + i * slice, slice, race_seed(gen),
				  i * slice);
		ret = rdma_op(IBV_WR_RDMA_WRITE, i * slice, slice,
			      MR_IOVA + i * slice, t.mr->rkey, &st);
		if (ret || st != IBV_WC_SUCCESS)
			break;
		last[i] = gen;
		e.writes++;
	}
	e.stop = true;
	pthread_join(thr, NULL);

	REQUIRE(!e.ret, "GEM_EVICT racing the WRITEs: %s", e.err);
	REQUIRE(!ret, "WRITE %u: %s", n, errname(ret));
	REQUIRE(n < RACE_MAX_WRITES,
		"%u WRITEs completed and none was refused after the eviction",
		n);
	CHECK(n >= RACE_START, "WRITE %u was refused before the eviction began: %s",
	      n, ibv_wc_status_str(st));
	failed = n % RACE_PAGES;
	prev = last[failed];
	t_note("%u WRITEs completed, WRITE %u (page %u, generation %d) was refused: %s",
	       n, n, failed, gen, ibv_wc_status_str(st));
	check_placement(&t, "after the race", PHYR_PLACE_SYSTEM);

	obj = malloc(OBJ_SIZE);
	REQUIRE(obj, "out of memory");
	if (!CHECK(!phyr_bo_read(t.dev, t.handle, 0, obj, OBJ_SIZE),
		   "read the evicted object: %s", phyr_last_error())) {
		free(obj);
		return;
	}
	for (i = 0; i < RACE_PAGES; i++) {
		uint64_t pos = i * slice, k;

		if (i != failed) {
			if (!phyr_pattern_check(obj + pos, slice,
						race_seed(last[i]), pos, &k))
				continue;
			if (bad++ < 8)
				t_note("page %u: byte 0x%llx is 0x%02x, the last successful WRITE (generation %d) wrote 0x%02x",
				       i, (unsigned long long)(pos + k),
				       obj[pos + k], last[i],
				       phyr_pattern_byte(race_seed(last[i]),
							 pos + k));
			continue;
		}
		for (k = 0; k < slice; k++) {
			uint8_t b = obj[pos + k];

			if (b == phyr_pattern_byte(race_seed(prev), pos + k) ||
			    b == phyr_pattern_byte(race_seed(gen), pos + k))
				continue;
			if (bad++ < 8)
				t_note("page %u (the refused WRITE): byte 0x%llx is 0x%02x, neither generation %d nor %d",
				       i, (unsigned long long)(pos + k), b,
				       prev, gen);
			break;
		}
	}
	free(obj);
	CHECK(!bad, "%u of %u pages of the evicted object lost a completed WRITE",
	      bad, RACE_PAGES);
	if (!t_failed())
		t_note("the evicted object holds every one of the %u completed WRITEs",
		       n);
}

/*
 * Unbinding the exporter's PCI device while a dma-buf MR covers its VRAM:
 * the MR is invalidated (a WRITE is refused), the MR, the dma-buf, the
 * object and the file still come apart cleanly, and binding the device
 * again gives a working instance. The device is bound again whatever
 * happened.
 */
#define VPHYR_DRIVER_DIR	"/sys/bus/pci/drivers/vphyr"

static int driver_write(const char *what, const char *pci)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), VPHYR_DRIVER_DIR "/%s", what);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, pci, strlen(pci));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

/* Whether an instance sits on PCI device @pci. */
static bool pci_instance_present(const char *pci)
{
	struct phyr_device_info info[16];
	int i, n;

	n = phyr_list_devices(info, 16);
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
	struct phyr_dev *again;
	unsigned char *buf;
	uint32_t h;
	char pci[64];
	int ret, i;
	struct target t;

	if (!target_up(&t, BACK_VRAM, size, 0, size, 0))
		return;
	if (strncmp(phyr_dev_info(t.dev)->bus, "pci:", 4)) {
		t_skip("%s is not a PCI device", phyr_dev_name(t.dev));
		return;
	}
	snprintf(pci, sizeof(pci), "%s", phyr_dev_info(t.dev)->bus + 4);

	phyr_pattern_fill(r.buf, size, SEED_OLD, 0);
	if (!rdma_ok("before the unbind", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     t.mr->rkey) ||
	    !check_device(&t, "object before the unbind", 0, size, SEED_OLD))
		return;

	ret = driver_write("unbind", pci);
	REQUIRE(!ret, "unbind %s: %s", pci, errname(ret));
	t_note("unbound %s (%s) with a dma-buf MR over 0x%llx bytes of its VRAM",
	       pci, phyr_dev_name(t.dev), (unsigned long long)size);

	phyr_pattern_fill(r.buf, size, SEED_NEW, 0);
	rdma_refused("after the unbind", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     t.mr->rkey);
	ret = phyr_bo_create(t.dev, size, PHYR_REGION_VRAM, &h);
	EXPECT_RET(ret, -ENODEV, "GEM_CREATE on the unbound instance");
	ret = phyr_bo_read(t.dev, t.handle, 0, r.buf, page);
	EXPECT_RET(ret, -ENODEV, "GEM_DMA on the unbound instance");

	ret = dmr_dereg(t.mr);
	EXPECT_RET(ret, 0, "deregister the MR of the unbound device");
	CHECK(!close(t.dmabuf), "close the dma-buf: %s", strerror(errno));
	phyr_bo_close(t.dev, t.handle);
	phyr_close(t.dev);

	ret = driver_write("bind", pci);
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
	ret = phyr_bo_create(again, size, PHYR_REGION_VRAM, &h);
	if (CHECK(!ret, "VRAM object on the bound instance: %s",
		  phyr_last_error())) {
		phyr_pattern_fill(buf, size, SEED_WRITE, 0);
		CHECK(!phyr_bo_write(again, h, 0, buf, size),
		      "GEM_DMA write: %s", phyr_last_error());
		memset(buf, 0, size);
		if (CHECK(!phyr_bo_read(again, h, 0, buf, size),
			  "GEM_DMA read: %s", phyr_last_error()))
			check_bytes("object on the bound instance", buf, size,
				    SEED_WRITE, 0);
		phyr_bo_close(again, h);
	}
	phyr_close(again);
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
	struct dmr *m;
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
	ret = dmr_refused(phyr_dev_fd(t.dev), 0, size, ACCESS_RW);
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
	struct dmr *m;

	if (!target_up(&t, BACK_SYSTEM, size, 0, 0, 0))
		return;
	fds0 = phyr_count_fds();
	REQUIRE(fds0 > 0, "cannot count the open files in /proc/self/fd");

	for (i = 0; i < LEAK_CYCLES; i++) {
		ret = phyr_bo_export(t.dev, t.handle, &dmabuf);
		if (!EXPECT_RET(ret, 0, "cycle %d: %s", i, phyr_last_error()))
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

/*
 * libibverbs loads its providers on the first ibv_get_device_list() of a
 * process, which takes seconds under an emulated CPU: do it once, here,
 * and every case's child inherits them. Nothing is opened before the fork:
 * devices and vphyr instances are opened by each case.
 */
static void verbs_preload(void)
{
	struct ibv_device **list;
	int n = 0;

	list = ibv_get_device_list(&n);
	if (list)
		ibv_free_device_list(list);
}

/* Fork the case, print its line and how long it took; false if it failed. */
static bool run_case(const struct test_case *c)
{
	uint64_t t0 = now_ms();
	enum phyr_case_result res;

	res = phyr_case_run(c->name, CASE_TIMEOUT_S, case_body, c);
	fprintf(stderr, "%s: %.1f s\n", c->name, (now_ms() - t0) / 1000.0);
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
				opt.reg = REG_AUTO;
			} else if (!strcmp(a, "verbs")) {
				opt.reg = REG_VERBS;
			} else if (!strcmp(a, "ioctl")) {
				opt.reg = REG_IOCTL;
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

	page = phyr_page_size();
	n = phyr_list_devices(NULL, 0);
	verbs_preload();
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
