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
 * As in vphyr_test, every case runs in a child process of its own, which
 * opens the verbs device and the vphyr nodes afresh and releases all it
 * took before it exits. The parent prints one line per case:
 *
 *	PASS name
 *	FAIL name
 *	SKIP name reason
 *
 * and diagnostics go to stderr. Exit status: 0 when no case failed, 1
 * otherwise, 2 for a bad invocation.
 *
 * usage: phyr_rdma_test [-d DEVICE] [-g GID_INDEX] [-p PORT]
 *			 [--reg auto|verbs|ioctl] [--list] [--run NAME]...
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>

#include "vphyr_util.h"

#define CASE_TIMEOUT_S	90
#define OP_TIMEOUT_MS	30000

/* the data cases move 1 MiB: many pages, many packets at RoCE MTUs */
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

#define EVICT_SIZE	(16 * g.page)
#define LEAK_CYCLES	200

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

/*
 * A dma-buf MR: registered by ibv_reg_dmabuf_mr() (mr set) or by the
 * uverbs ioctl directly (handle), see pick_reg_mode().
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
	bool ioctl_reg;
	uint64_t wr_id;
	struct dmr dmr[MAX_DMR];
} r;

/* ---- registration through the uverbs ioctl ---- */

#define UV_MAX_ATTRS	9

static void uv_attr(struct ib_uverbs_attr *a, uint16_t id, uint16_t len,
		    uint64_t data)
{
	memset(a, 0, sizeof(*a));
	a->attr_id = id;
	a->len = len;
	a->flags = UVERBS_ATTR_F_MANDATORY;
	a->data = data;
}

/* 0 or a negative errno; attrs get back what the kernel wrote into them */
static int uv_call(uint16_t object, uint16_t method,
		   struct ib_uverbs_attr *attrs, unsigned int n)
{
	uint64_t buf[(sizeof(struct ib_uverbs_ioctl_hdr) +
		      UV_MAX_ATTRS * sizeof(struct ib_uverbs_attr)) /
		     sizeof(uint64_t)];
	struct ib_uverbs_ioctl_hdr *hdr = (void *)buf;

	if (n > UV_MAX_ATTRS)
		return -E2BIG;
	memset(buf, 0, sizeof(buf));
	hdr->length = sizeof(*hdr) + n * sizeof(*attrs);
	hdr->object_id = object;
	hdr->method_id = method;
	hdr->num_attrs = n;
	/* the kernel only takes methods addressed to the device's driver */
	hdr->driver_id = RDMA_DRIVER_RXE;
	memcpy(hdr->attrs, attrs, n * sizeof(*attrs));
	if (ioctl(r.ctx->cmd_fd, RDMA_VERBS_IOCTL, hdr))
		return -errno;
	memcpy(attrs, hdr->attrs, n * sizeof(*attrs));
	return 0;
}

static int uv_reg_dmabuf(uint64_t off, uint64_t len, uint64_t iova, int fd,
			 int access, struct dmr *m)
{
	struct ib_uverbs_attr a[9];
	uint32_t lkey = 0, rkey = 0;
	int ret;

	uv_attr(&a[0], UVERBS_ATTR_REG_DMABUF_MR_HANDLE, 0, 0);
	uv_attr(&a[1], UVERBS_ATTR_REG_DMABUF_MR_PD_HANDLE, 0, r.pd->handle);
	uv_attr(&a[2], UVERBS_ATTR_REG_DMABUF_MR_OFFSET, 8, off);
	uv_attr(&a[3], UVERBS_ATTR_REG_DMABUF_MR_LENGTH, 8, len);
	uv_attr(&a[4], UVERBS_ATTR_REG_DMABUF_MR_IOVA, 8, iova);
	uv_attr(&a[5], UVERBS_ATTR_REG_DMABUF_MR_FD, 4, (uint32_t)fd);
	uv_attr(&a[6], UVERBS_ATTR_REG_DMABUF_MR_ACCESS_FLAGS, 8, access);
	uv_attr(&a[7], UVERBS_ATTR_REG_DMABUF_MR_RESP_LKEY, 4,
		(uintptr_t)&lkey);
	uv_attr(&a[8], UVERBS_ATTR_REG_DMABUF_MR_RESP_RKEY, 4,
		(uintptr_t)&rkey);
	ret = uv_call(UVERBS_OBJECT_MR, UVERBS_METHOD_REG_DMABUF_MR, a, 9);
	if (ret)
		return ret;
	m->mr = NULL;
	m->handle = a[0].data;
	m->lkey = lkey;
	m->rkey = rkey;
	return 0;
}

static int uv_destroy_mr(uint32_t handle)
{
	struct ib_uverbs_attr a;

	uv_attr(&a, UVERBS_ATTR_DESTROY_MR_HANDLE, 0, handle);
	return uv_call(UVERBS_OBJECT_MR, UVERBS_METHOD_MR_DESTROY, &a, 1);
}

/*
 * rdma-core's rxe provider (Debian 12 ships rdma-core 44) has no
 * reg_dmabuf_mr: libibverbs then fails ibv_reg_dmabuf_mr() with EOPNOTSUPP
 * without asking the kernel at all. Ask both the library and the kernel
 * about fd -1: a library that passes the call on gives the kernel's answer.
 * When the answers differ, register with the REG_DMABUF_MR ioctl that the
 * library would have issued, so the kernel's dma-buf MRs get tested anyway.
 * A kernel without them answers EOPNOTSUPP too, and every registration
 * then fails with it.
 */
static void pick_reg_mode(void)
{
	struct ibv_mr *mr;
	struct dmr m;
	int lib, ret;

	r.ioctl_reg = opt.reg == REG_IOCTL;
	if (opt.reg != REG_AUTO)
		return;
	errno = 0;
	mr = ibv_reg_dmabuf_mr(r.pd, 0, g.page, 0, -1, IBV_ACCESS_LOCAL_WRITE);
	if (mr) {
		ibv_dereg_mr(mr);
		CHECK(false, "%s: ibv_reg_dmabuf_mr() accepted fd -1", r.name);
		return;
	}
	lib = errno ? -errno : -EIO;
	ret = uv_reg_dmabuf(0, g.page, 0, -1, IBV_ACCESS_LOCAL_WRITE, &m);
	if (!ret) {
		uv_destroy_mr(m.handle);
		CHECK(false, "%s: REG_DMABUF_MR accepted fd -1", r.name);
		return;
	}
	if (ret == -EOPNOTSUPP)
		t_note("%s: the kernel has no dma-buf MRs for this device (EOPNOTSUPP)",
		       r.name);
	if (ret == lib)
		return;
	r.ioctl_reg = true;
	t_note("%s: for fd -1 ibv_reg_dmabuf_mr() says %s, the kernel %s: registering with the REG_DMABUF_MR ioctl",
	       r.name, errname(lib), errname(ret));
}

/* Register a dma-buf MR: 0 and *out, or a negative errno. */
static int dmr_reg(int fd, uint64_t off, uint64_t len, uint64_t iova,
		   int access, struct dmr **out)
{
	struct dmr *m = NULL;
	int i, ret;

	*out = NULL;
	for (i = 0; i < MAX_DMR && !m; i++)
		if (!r.dmr[i].live)
			m = &r.dmr[i];
	if (!CHECK(m, "more than %d dma-buf MRs at once", MAX_DMR))
		return -ENOSPC;
	if (r.ioctl_reg) {
		ret = uv_reg_dmabuf(off, len, iova, fd, access, m);
		if (ret)
			return ret;
	} else {
		errno = 0;
		m->mr = ibv_reg_dmabuf_mr(r.pd, off, len, iova, fd, access);
		if (!m->mr)
			return errno ? -errno : -EIO;
		m->lkey = m->mr->lkey;
		m->rkey = m->mr->rkey;
	}
	m->live = true;
	*out = m;
	return 0;
}

/* Deregister: 0 or a negative errno (the MR is forgotten either way). */
static int dmr_dereg(struct dmr *m)
{
	int ret;

	if (!m || !m->live)
		return -EINVAL;
	m->live = false;
	if (m->mr)
		ret = -ibv_dereg_mr(m->mr);
	else
		ret = uv_destroy_mr(m->handle);
	m->mr = NULL;
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

	r.buf = t_alloc(LOCAL_SIZE);
	if (!r.buf)
		return false;
	r.mr = ibv_reg_mr(r.pd, r.buf, LOCAL_SIZE, ACCESS_RW);
	if (!CHECK(r.mr, "ibv_reg_mr of %llu bytes: %s",
		   (unsigned long long)LOCAL_SIZE, strerror(errno)))
		return false;
	pick_reg_mode();
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
	/* buf is t_alloc()ed: t_cleanup() frees it */
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

static int userptr_create(int fd, void *addr, uint64_t size,
			  uint32_t *handle)
{
	struct drm_vphyr_gem_userptr u = {
		.addr = (uintptr_t)addr,
		.size = size,
	};

	*handle = 0;
	if (drmIoctl(fd, DRM_IOCTL_VPHYR_GEM_USERPTR, &u))
		return -errno;
	*handle = u.handle;
	return 0;
}

/* The dma-buf of an object, closed by t_cleanup() if the case does not. */
static int export_dmabuf(int fd, uint32_t handle)
{
	int dmabuf, ret;

	ret = prime_export(fd, handle, &dmabuf);
	if (!EXPECT_RET(ret, 0, "PRIME export of handle %u", handle))
		return -1;
	return t_track_fd(dmabuf);
}

static bool check_placement(const char *what, int fd, uint32_t handle,
			    uint32_t want)
{
	struct drm_vphyr_gem_ranges q = { .handle = handle };
	int ret = vp_ranges(fd, &q);

	if (!EXPECT_RET(ret, 0, "GEM_RANGES of handle %u", handle))
		return false;
	return CHECK(q.placement == want, "%s: placement %u, expected %u",
		     what, q.placement, want);
}

/* The first instance with VRAM, or the system-memory instance 0. */
static int rdma_dev(bool vram)
{
	if (vram)
		return g.nvram ? g.vram[0] : -1;
	return dev_by_instance(0) >= 0 ? dev_by_instance(0) : g.sys;
}

/* ---- cases ---- */

#define NEED_DEV(d, vram) \
	do { \
		(d) = rdma_dev(vram); \
		if ((d) < 0) \
			SKIP("%s", (vram) ? "no vphyr instance with VRAM" : \
				   "no vphyr system-memory instance"); \
	} while (0)

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
static void write_case(bool vram)
{
	uint64_t off = 3 * g.page + 100, len = 64 * 1024 + 123;
	uint64_t loc = g.page + 17;
	uint32_t place = vram ? VPHYR_PLACE_VRAM : VPHYR_PLACE_SYSTEM;
	struct dmr *m;
	uint32_t h;
	int d, fd, dmabuf, ret;

	NEED_DEV(d, vram);
	if (!rdma_up())
		return;
	fd = g.dev[d].fd;
	ret = obj_create(d, OBJ_SIZE, vram ? VPHYR_GEM_VRAM : VPHYR_GEM_SYSTEM,
			 &h);
	REQUIRE(!ret, "create a 1 MiB %s object on %s: %s",
		vram ? "VRAM" : "system", dev_name(d), errname(ret));
	dmabuf = export_dmabuf(fd, h);
	if (dmabuf < 0)
		return;
	ret = dmr_reg(dmabuf, 0, OBJ_SIZE, MR_IOVA, ACCESS_RW, &m);
	REQUIRE(!ret, "register the dma-buf: %s", errname(ret));

	fill_pattern(r.buf, OBJ_SIZE, SEED_WRITE, 0);
	if (!rdma_ok("of the whole object", IBV_WR_RDMA_WRITE, 0, OBJ_SIZE,
		     MR_IOVA, m->rkey))
		return;
	if (!check_obj_dma("object after the WRITE", fd, h, 0, OBJ_SIZE,
			   SEED_WRITE))
		return;

	fill_pattern(r.buf + loc, len, SEED_PART, off);
	if (!rdma_ok("of a range", IBV_WR_RDMA_WRITE, loc, len, MR_IOVA + off,
		     m->rkey))
		return;
	check_obj_dma("before the range", fd, h, 0, off, SEED_WRITE);
	check_obj_dma("the range", fd, h, off, len, SEED_PART);
	check_obj_dma("after the range", fd, h, off + len,
		      OBJ_SIZE - off - len, SEED_WRITE);
	check_placement("after the WRITEs", fd, h, place);
	if (!t_failed())
		t_note("RDMA WRITE of 1 MiB and of 0x%llx bytes at 0x%llx into the %s dma-buf MR of %s: the device reads the same bytes back, the object stayed in %s",
		       (unsigned long long)len, (unsigned long long)off,
		       vram ? "VRAM" : "system-memory", dev_name(d),
		       vram ? "VRAM" : "system memory");

	ret = dmr_dereg(m);
	EXPECT_RET(ret, 0, "deregister the dma-buf MR");
}

/*
 * READ from a dma-buf MR that covers the object less its first and last
 * page (a nonzero dma-buf offset): all of it, then a misaligned range into
 * a misaligned local address, whose neighbours must stay untouched.
 * Finally a READ of the last page, outside the MR, must be refused.
 */
static void read_case(bool vram)
{
	uint64_t mr_len = OBJ_SIZE - 2 * g.page;
	uint64_t off = 5 * g.page + 7, len = 3 * g.page + 1000;
	uint64_t loc = 2 * g.page + 3;
	uint32_t place = vram ? VPHYR_PLACE_VRAM : VPHYR_PLACE_SYSTEM;
	struct dmr *m;
	uint32_t h;
	int d, fd, dmabuf, ret;

	NEED_DEV(d, vram);
	if (!rdma_up())
		return;
	fd = g.dev[d].fd;
	ret = obj_create(d, OBJ_SIZE, vram ? VPHYR_GEM_VRAM : VPHYR_GEM_SYSTEM,
			 &h);
	REQUIRE(!ret, "create a 1 MiB %s object on %s: %s",
		vram ? "VRAM" : "system", dev_name(d), errname(ret));
	if (!write_obj_dma(fd, h, 0, OBJ_SIZE, SEED_READ))
		return;
	dmabuf = export_dmabuf(fd, h);
	if (dmabuf < 0)
		return;
	ret = dmr_reg(dmabuf, g.page, mr_len, MR_IOVA, ACCESS_RW, &m);
	REQUIRE(!ret, "register the dma-buf from offset 0x%llx: %s",
		(unsigned long long)g.page, errname(ret));

	memset(r.buf, 0, LOCAL_SIZE);
	if (!rdma_ok("of the whole MR", IBV_WR_RDMA_READ, 0, mr_len, MR_IOVA,
		     m->rkey))
		return;
	check_pattern("READ of the whole MR", r.buf, mr_len, SEED_READ,
		      g.page);

	memset(r.buf, 0xa5, LOCAL_SIZE);
	if (!rdma_ok("of a range", IBV_WR_RDMA_READ, loc, len, MR_IOVA + off,
		     m->rkey))
		return;
	check_pattern("READ of a range", r.buf + loc, len, SEED_READ,
		      g.page + off);
	CHECK(r.buf[loc - 1] == 0xa5 && r.buf[loc + len] == 0xa5,
	      "READ of 0x%llx bytes wrote outside them: 0x%02x before, 0x%02x after",
	      (unsigned long long)len, r.buf[loc - 1], r.buf[loc + len]);
	check_placement("after the READs", fd, h, place);

	/* the QP goes to the error state: nothing may follow on it */
	rdma_refused("past the end of the MR", IBV_WR_RDMA_READ, 0, g.page,
		     MR_IOVA + mr_len, m->rkey);

	ret = dmr_dereg(m);
	EXPECT_RET(ret, 0, "deregister the dma-buf MR");
}

static void case_write_vram(void)
{
	write_case(true);
}

static void case_read_vram(void)
{
	read_case(true);
}

static void case_write_system(void)
{
	write_case(false);
}

static void case_read_system(void)
{
	read_case(false);
}

/*
 * A userptr object wraps this process's memory: WRITE into its dma-buf and
 * find the bytes in that memory; then have the CPU write it and READ it.
 */
static void case_userptr_dmabuf(void)
{
	uint64_t off = 2 * g.page + 64, len = 256 * 1024 + 5;
	uint64_t loc = 100;
	unsigned char *mem;
	struct dmr *m;
	uint32_t h;
	int d, fd, dmabuf, ret;

	NEED_DEV(d, false);
	if (!rdma_up())
		return;
	fd = g.dev[d].fd;
	mem = mmap(NULL, OBJ_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(mem != MAP_FAILED, "mmap 1 MiB: %s", strerror(errno));
	t_track_map(mem, OBJ_SIZE);
	fill_pattern(mem, OBJ_SIZE, SEED_OLD, 0);

	ret = userptr_create(fd, mem, OBJ_SIZE, &h);
	REQUIRE(!ret, "GEM_USERPTR of 1 MiB on %s: %s", dev_name(d),
		errname(ret));
	t_track_handle(fd, h);
	check_placement("userptr object", fd, h, VPHYR_PLACE_USERPTR);
	dmabuf = export_dmabuf(fd, h);
	if (dmabuf < 0)
		return;
	ret = dmr_reg(dmabuf, 0, OBJ_SIZE, MR_IOVA, ACCESS_RW, &m);
	REQUIRE(!ret, "register the dma-buf: %s", errname(ret));

	fill_pattern(r.buf + loc, len, SEED_NEW, off);
	if (!rdma_ok("of a range", IBV_WR_RDMA_WRITE, loc, len, MR_IOVA + off,
		     m->rkey))
		return;
	check_pattern("user memory before the range", mem, off, SEED_OLD, 0);
	check_pattern("user memory in the range", mem + off, len, SEED_NEW,
		      off);
	check_pattern("user memory after the range", mem + off + len,
		      OBJ_SIZE - off - len, SEED_OLD, off + len);

	fill_pattern(mem, OBJ_SIZE, SEED_USER, 0);
	memset(r.buf, 0, LOCAL_SIZE);
	if (rdma_ok("of the whole object", IBV_WR_RDMA_READ, 0, OBJ_SIZE,
		    MR_IOVA, m->rkey))
		check_pattern("READ of what the CPU wrote", r.buf, OBJ_SIZE,
			      SEED_USER, 0);

	ret = dmr_dereg(m);
	EXPECT_RET(ret, 0, "deregister the dma-buf MR");
}

/*
 * Evicting a VRAM object invalidates the MR over its dma-buf (move_notify):
 * a WRITE that worked before must now fail, leave the object as it was, and
 * the MR, the dma-buf and the object must still come apart cleanly.
 */
static void case_evict_invalidates(void)
{
	uint64_t size = EVICT_SIZE;
	int d, fd, dmabuf, fds0, fds1, ret;
	struct dmr *m;
	uint32_t h;

	NEED_DEV(d, true);
	if (!rdma_up())
		return;
	fd = g.dev[d].fd;
	ret = obj_create(d, size, VPHYR_GEM_VRAM, &h);
	REQUIRE(!ret, "create a VRAM object on %s: %s", dev_name(d),
		errname(ret));
	fds0 = count_open_fds();
	dmabuf = export_dmabuf(fd, h);
	if (dmabuf < 0)
		return;
	ret = dmr_reg(dmabuf, 0, size, MR_IOVA, ACCESS_RW, &m);
	REQUIRE(!ret, "register the dma-buf: %s", errname(ret));

	fill_pattern(r.buf, size, SEED_OLD, 0);
	if (!rdma_ok("before the eviction", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     m->rkey))
		return;
	if (!check_obj_dma("object before the eviction", fd, h, 0, size,
			   SEED_OLD))
		return;

	ret = vp_evict(fd, h, 0);
	REQUIRE(!ret, "GEM_EVICT with an RDMA MR on the dma-buf: %s",
		errname(ret));
	check_placement("after GEM_EVICT", fd, h, VPHYR_PLACE_SYSTEM);

	fill_pattern(r.buf, size, SEED_NEW, 0);
	rdma_refused("after the eviction", IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
		     m->rkey);
	check_obj_dma("evicted object", fd, h, 0, size, SEED_OLD);
	if (!t_failed())
		t_note("after GEM_EVICT the MR is invalid: the WRITE was refused and the evicted object still holds the earlier bytes");

	ret = dmr_dereg(m);
	EXPECT_RET(ret, 0, "deregister the invalidated MR");
	t_close_fd(dmabuf);
	ret = t_close_handle(fd, h);
	EXPECT_RET(ret, 0, "GEM_CLOSE of the evicted object");
	fds1 = count_open_fds();
	CHECK(fds0 == fds1, "open files: %d before the export, %d at the end",
	      fds0, fds1);
	/* the QPs, one of them in the error state, go now, checked */
	rdma_down();
}

static void case_reg_errors(void)
{
	const uint64_t size = 4 * g.page;
	const struct {
		uint64_t off;
		uint64_t len;
		const char *what;
	} bad[] = {
		{ 0, size + g.page, "one page longer than the dma-buf" },
		{ g.page, size, "offset 1 page, the dma-buf's length" },
		{ size, g.page, "the page after the dma-buf" },
		{ -g.page, 2 * g.page, "offset + length wrapping around" },
	};
	struct dmr *m;
	int d, fd, dmabuf, p[2], ret;
	uint32_t h;
	size_t i;

	NEED_DEV(d, false);
	if (!rdma_up())
		return;
	fd = g.dev[d].fd;
	ret = obj_create(d, size, VPHYR_GEM_SYSTEM, &h);
	REQUIRE(!ret, "create a system object: %s", errname(ret));
	dmabuf = export_dmabuf(fd, h);
	if (dmabuf < 0)
		return;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = dmr_reg(dmabuf, bad[i].off, bad[i].len, MR_IOVA,
			      ACCESS_RW, &m);
		if (!ret)
			dmr_dereg(m);
		EXPECT_RET(ret, -EINVAL,
			   "register %s (offset 0x%llx length 0x%llx)",
			   bad[i].what, (unsigned long long)bad[i].off,
			   (unsigned long long)bad[i].len);
	}

	ret = dmr_reg(dmabuf, 0, size, MR_IOVA,
		      ACCESS_RW | IBV_ACCESS_REMOTE_ATOMIC, &m);
	if (!ret)
		dmr_dereg(m);
	EXPECT_RET(ret, -EOPNOTSUPP, "register with IBV_ACCESS_REMOTE_ATOMIC");

	/* a DRM device file and a pipe are files, but not dma-bufs */
	ret = dmr_reg(fd, 0, size, MR_IOVA, ACCESS_RW, &m);
	if (!ret)
		dmr_dereg(m);
	t_note("register the DRM device fd: %s", errname(ret));
	CHECK(ret < 0, "registered a DRM device file as a dma-buf");
	REQUIRE(!pipe2(p, O_CLOEXEC), "pipe: %s", strerror(errno));
	t_track_fd(p[0]);
	t_track_fd(p[1]);
	ret = dmr_reg(p[0], 0, g.page, MR_IOVA, ACCESS_RW, &m);
	if (!ret)
		dmr_dereg(m);
	t_note("register a pipe fd: %s", errname(ret));
	CHECK(ret < 0, "registered a pipe as a dma-buf");

	/* the refusals above must not come from registration being broken */
	ret = dmr_reg(dmabuf, 0, size, MR_IOVA, ACCESS_RW, &m);
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
	const uint64_t size = 2 * g.page;
	int d, fd, dmabuf, fds0, fds1, i, ret;
	char what[64];
	struct dmr *m;
	uint32_t h;

	NEED_DEV(d, false);
	if (!rdma_up())
		return;
	fd = g.dev[d].fd;
	ret = obj_create(d, size, VPHYR_GEM_SYSTEM, &h);
	REQUIRE(!ret, "create a system object: %s", errname(ret));
	fds0 = count_open_fds();
	REQUIRE(fds0 > 0, "cannot count the open files in /proc/self/fd");

	for (i = 0; i < LEAK_CYCLES; i++) {
		ret = prime_export(fd, h, &dmabuf);
		if (!EXPECT_RET(ret, 0, "cycle %d: PRIME export", i))
			break;
		ret = dmr_reg(dmabuf, 0, size, MR_IOVA, ACCESS_RW, &m);
		if (!EXPECT_RET(ret, 0, "cycle %d: register", i)) {
			close(dmabuf);
			break;
		}
		if (!(i % 50)) {
			snprintf(what, sizeof(what), "in cycle %d", i);
			fill_pattern(r.buf, size, i, 0);
			if (rdma_ok(what, IBV_WR_RDMA_WRITE, 0, size, MR_IOVA,
				    m->rkey))
				check_obj_dma(what, fd, h, 0, size, i);
		}
		ret = dmr_dereg(m);
		close(dmabuf);
		if (!EXPECT_RET(ret, 0, "cycle %d: deregister", i) ||
		    t_failed())
			break;
	}
	fds1 = count_open_fds();
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
	{ "rdma-reg-errors", case_reg_errors },
	{ "rdma-leak-cycles", case_leak_cycles },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Runs in the case's child process. */
static void case_body(const void *arg)
{
	const struct test_case *c = arg;

	if (!open_devices())
		c->fn();
	/* MRs hold the dma-bufs: the verbs side goes before the files */
	rdma_down();
}

/* Fork the case, print its line; false if it failed. */
static bool run_case(const struct test_case *c)
{
	return t_run_forked(c->name, CASE_TIMEOUT_S, case_body, c) != 'F';
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
	int i, failed = 0;
	long page;
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

	page = sysconf(_SC_PAGESIZE);
	g.page = page > 0 ? (uint64_t)page : 4096;
	/* verbs are opened in each case's child only: nothing to fork here */
	discover();
	if (opt.gid >= 0)
		snprintf(gid, sizeof(gid), "%d", opt.gid);
	fprintf(stderr,
		"phyr_rdma_test: %d vphyr device(s), %d with VRAM; RDMA device %s port %d, GID %s\n",
		g.ndev, g.nvram, opt.dev ? opt.dev : "rxe* (first)", opt.port,
		gid);

	for (c = 0; c < NCASES; c++) {
		if (any && !selected[c])
			continue;
		if (!run_case(&cases[c]))
			failed++;
	}
	fprintf(stderr, "phyr_rdma_test: %d case(s) failed\n", failed);
	return failed ? 1 : 0;
}
