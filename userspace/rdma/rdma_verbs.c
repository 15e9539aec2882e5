// SPDX-License-Identifier: GPL-2.0-only
/*
 * rdma_verbs: the verbs side of the RDMA programs; see rdma_verbs.h.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <rdma/rdma_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/ib_user_ioctl_verbs.h>

#include "rdma_verbs.h"

static int __attribute__((format(printf, 3, 4)))
fail(struct rv *v, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return ret;
}

static void __attribute__((format(printf, 2, 3)))
note(struct rv *v, const char *fmt, ...)
{
	size_t n = strlen(v->note);
	va_list ap;

	if (n && n < sizeof(v->note) - 1)
		v->note[n++] = '\n';
	va_start(ap, fmt);
	vsnprintf(v->note + n, sizeof(v->note) - n, fmt, ap);
	va_end(ap);
}

/* ---- the provider gap ---- */

/* what a dma-buf MR is registered over */
struct mr_args {
	int fd;
	uint64_t off;
	uint64_t len;
	uint64_t iova;
	int access;
};

/*
 * rdma-core's rxe provider (Debian 12 ships rdma-core 44) has no
 * reg_dmabuf_mr: libibverbs then fails ibv_reg_dmabuf_mr() with EOPNOTSUPP
 * without asking the kernel. For such a provider, gap_mr() issues the
 * uverbs method itself on the context's command fd, as libibverbs' generic
 * command layer would: UVERBS_METHOD_REG_DMABUF_MR to register @m over @a,
 * UVERBS_METHOD_MR_DESTROY to destroy it (@a NULL). Nothing else here
 * talks to the uverbs ABI. 0 or a negative errno.
 */
static int gap_mr(struct rv *v, struct rv_mr *m, const struct mr_args *a)
{
	uint64_t buf[(sizeof(struct ib_uverbs_ioctl_hdr) +
		      9 * sizeof(struct ib_uverbs_attr)) / sizeof(uint64_t)];
	struct ib_uverbs_ioctl_hdr *hdr = memset(buf, 0, sizeof(buf));
	/* attribute id, length, value: the method's attributes in order */
	const uint64_t reg[9][3] = {
		{ UVERBS_ATTR_REG_DMABUF_MR_HANDLE, 0, 0 },
		{ UVERBS_ATTR_REG_DMABUF_MR_PD_HANDLE, 0, v->pd->handle },
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
	const uint64_t (*val)[3] = a ? reg : destroy;
	unsigned int i, n = a ? 9 : 1;

	hdr->object_id = UVERBS_OBJECT_MR;
	hdr->method_id = a ? UVERBS_METHOD_REG_DMABUF_MR :
			     UVERBS_METHOD_MR_DESTROY;
	hdr->num_attrs = n;
	hdr->length = sizeof(*hdr) + n * sizeof(hdr->attrs[0]);
	/* the kernel only takes methods addressed to the device's driver */
	hdr->driver_id = RDMA_DRIVER_RXE;
	for (i = 0; i < n; i++) {
		hdr->attrs[i].attr_id = val[i][0];
		hdr->attrs[i].len = val[i][1];
		hdr->attrs[i].flags = UVERBS_ATTR_F_MANDATORY;
		hdr->attrs[i].data = val[i][2];
	}
	if (ioctl(v->ctx->cmd_fd, RDMA_VERBS_IOCTL, hdr))
		return -errno;
	if (a)
		m->handle = hdr->attrs[0].data;
	return 0;
}

/* what libibverbs says when the provider has no reg_dmabuf_mr */
static bool provider_lacks_dmabuf_mr(int err)
{
	return err == EOPNOTSUPP || err == ENOSYS;
}

/*
 * Whether to register through the gap: with RV_REG_AUTO, when the provider
 * lacks reg_dmabuf_mr. Asked about fd -1, a provider that has it passes
 * the call to the kernel, which refuses the fd (EBADF) or dma-buf MRs
 * altogether (EOPNOTSUPP: the gap then gets the same answer). rv_mr_reg()
 * still falls back to the gap should ibv_reg_dmabuf_mr() answer so later.
 */
static int pick_reg_path(struct rv *v, enum rv_reg_mode reg)
{
	struct ibv_mr *mr;

	v->reg = reg;
	v->gap = reg == RV_REG_IOCTL;
	if (reg != RV_REG_AUTO)
		return 0;
	errno = 0;
	mr = ibv_reg_dmabuf_mr(v->pd, 0, sysconf(_SC_PAGESIZE), 0, -1,
			       IBV_ACCESS_LOCAL_WRITE);
	if (mr) {
		ibv_dereg_mr(mr);
		return fail(v, -EPROTO, "%s: ibv_reg_dmabuf_mr() accepted fd -1",
			    v->name);
	}
	v->gap = provider_lacks_dmabuf_mr(errno);
	if (v->gap)
		note(v, "%s: ibv_reg_dmabuf_mr() says %s for fd -1: registering through the uverbs REG_DMABUF_MR method",
		     v->name, errno == ENOSYS ? "ENOSYS" : "EOPNOTSUPP");
	return 0;
}

/* ibv_reg_dmabuf_mr(), the provider's own path; 0 or a negative errno */
static int verbs_mr(struct rv *v, struct rv_mr *m, const struct mr_args *a)
{
	errno = 0;
	m->mr = ibv_reg_dmabuf_mr(v->pd, a->off, a->len, a->iova, a->fd,
				  a->access);
	if (!m->mr)
		return errno ? -errno : -EIO;
	m->lkey = m->mr->lkey;
	m->rkey = m->mr->rkey;
	return 0;
}

int rv_mr_reg(struct rv *v, struct rv_mr *m, int fd, uint64_t off,
	      uint64_t len, uint64_t iova, int access)
{
	const struct mr_args a = { fd, off, len, iova, access };
	int ret;

	memset(m, 0, sizeof(*m));
	/* the provider's ibv_reg_dmabuf_mr() first, the gap where it has none */
	ret = v->gap ? -EOPNOTSUPP : verbs_mr(v, m, &a);
	if (ret && provider_lacks_dmabuf_mr(-ret) && v->reg != RV_REG_VERBS) {
		v->gap = true;
		ret = gap_mr(v, m, &a);
	}
	if (ret)
		return fail(v, ret, "register a dma-buf MR over fd %d from 0x%llx, 0x%llx bytes: %s",
			    fd, (unsigned long long)off,
			    (unsigned long long)len, strerror(-ret));
	m->live = true;
	return 0;
}

int rv_mr_dereg(struct rv *v, struct rv_mr *m)
{
	int ret;

	if (!m || !m->live)
		return fail(v, -EINVAL, "deregister an MR that is not registered");
	m->live = false;
	ret = m->mr ? -ibv_dereg_mr(m->mr) : gap_mr(v, m, NULL);
	if (ret)
		return fail(v, ret, "deregister a dma-buf MR: %s",
			    strerror(-ret));
	return 0;
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

static int find_gid(struct rv *v, const struct ibv_port_attr *pa, int gid)
{
	struct ibv_gid_entry e;
	char txt[INET6_ADDRSTRLEN];
	int i;

	if (gid >= 0) {
		v->gid = gid;
		if (ibv_query_gid(v->ctx, v->port, gid, &v->gid_val))
			return fail(v, -errno, "%s: GID index %d: %s", v->name,
				    gid, strerror(errno));
	} else {
		for (i = 0; i < pa->gid_tbl_len; i++) {
			if (ibv_query_gid_ex(v->ctx, v->port, i, &e, 0))
				continue;
			if (is_roce_v2_ipv4(&e))
				break;
		}
		if (i >= pa->gid_tbl_len)
			return fail(v, -ENOENT,
				    "%s port %d: no RoCE v2 GID of an IPv4 address among %d (give the netdev an address, or pass -g)",
				    v->name, v->port, pa->gid_tbl_len);
		v->gid = i;
		v->gid_val = e.gid;
	}
	if (!inet_ntop(AF_INET6, v->gid_val.raw, txt, sizeof(txt)))
		snprintf(txt, sizeof(txt), "?");
	note(v, "%s port %d: GID %d %s, MTU %d", v->name, v->port, v->gid, txt,
	     128 << pa->active_mtu);
	return 0;
}

static int qp_init(struct rv *v, struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.pkey_index = 0,
		.port_num = v->port,
		.qp_access_flags = RV_ACCESS_RW,
	};
	int ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);

	if (ret)
		return fail(v, -ret, "QP %u to INIT: %s", qp->qp_num,
			    strerror(ret));
	return 0;
}

#define PSN(i)	(0x1000u * ((i) + 1))

/* Connect qp[i] to qp[1 - i]: both ends are the same port and GID. */
static int qp_connect(struct rv *v, int i)
{
	struct ibv_qp *qp = v->qp[i], *peer = v->qp[1 - i];
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = v->mtu,
		.dest_qp_num = peer->qp_num,
		.rq_psn = PSN(1 - i),
		.max_dest_rd_atomic = 4,
		.min_rnr_timer = 12,
		.ah_attr = {
			.is_global = 1,
			.grh = {
				.dgid = v->gid_val,
				.sgid_index = v->gid,
				.hop_limit = 1,
			},
			.port_num = v->port,
		},
	};
	int ret;

	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV |
			    IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
			    IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			    IBV_QP_MIN_RNR_TIMER);
	if (ret)
		return fail(v, -ret, "QP %u to RTR: %s", qp->qp_num,
			    strerror(ret));
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
	if (ret)
		return fail(v, -ret, "QP %u to RTS: %s", qp->qp_num,
			    strerror(ret));
	return 0;
}

/* create both QPs and connect them to each other */
static int qps_up(struct rv *v)
{
	struct ibv_qp_init_attr qa = {
		.send_cq = v->cq,
		.recv_cq = v->cq,
		.cap = {
			.max_send_wr = 16,
			.max_recv_wr = 16,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
		.qp_type = IBV_QPT_RC,
	};
	int i, ret;

	for (i = 0; i < 2; i++) {
		v->qp[i] = ibv_create_qp(v->pd, &qa);
		if (!v->qp[i])
			return fail(v, -errno, "ibv_create_qp: %s",
				    strerror(errno));
		ret = qp_init(v, v->qp[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < 2; i++) {
		ret = qp_connect(v, i);
		if (ret)
			return ret;
	}
	return 0;
}

static int qps_down(struct rv *v)
{
	int i, ret, first = 0;

	for (i = 0; i < 2; i++) {
		if (!v->qp[i])
			continue;
		ret = ibv_destroy_qp(v->qp[i]);
		v->qp[i] = NULL;
		if (ret && !first)
			first = fail(v, -ret, "ibv_destroy_qp: %s",
				     strerror(ret));
	}
	return first;
}

int rv_qp_reset(struct rv *v)
{
	int ret = qps_down(v);

	return ret ? ret : qps_up(v);
}

static struct ibv_device *pick_device(struct ibv_device **list, int n,
				      const char *want)
{
	const char *name;
	int i;

	for (i = 0; i < n; i++) {
		name = ibv_get_device_name(list[i]);
		if (!name)
			continue;
		if (want ? !strcmp(name, want) : !strncmp(name, "rxe", 3))
			return list[i];
	}
	return NULL;
}

void rv_preload(void)
{
	struct ibv_device **list;
	int n = 0;

	list = ibv_get_device_list(&n);
	if (list)
		ibv_free_device_list(list);
}

int rv_open(struct rv *v, const struct rv_opts *o, size_t buf_len)
{
	struct ibv_device **list;
	struct ibv_device *dev;
	struct ibv_port_attr pa;
	int n = 0, err, ret;

	memset(v, 0, sizeof(*v));
	v->port = o->port;
	errno = 0;
	list = ibv_get_device_list(&n);
	err = errno;
	dev = list ? pick_device(list, n, o->dev) : NULL;
	if (!dev) {
		if (list)
			ibv_free_device_list(list);
		if (o->dev)
			return fail(v, -ENOENT, "no RDMA device named %s (%d device(s), %s)",
				    o->dev, n, list ? "listed" : strerror(err));
		return fail(v, -ENODEV, "no rxe device (rdma link add rxe0 type rxe netdev IFACE)");
	}
	snprintf(v->name, sizeof(v->name), "%s", ibv_get_device_name(dev));
	v->ctx = ibv_open_device(dev);
	ibv_free_device_list(list);
	if (!v->ctx)
		return fail(v, -errno, "ibv_open_device %s: %s", v->name,
			    strerror(errno));

	ret = ibv_query_port(v->ctx, v->port, &pa);
	if (ret)
		return fail(v, -ret, "%s port %d: %s", v->name, v->port,
			    strerror(ret));
	if (pa.state != IBV_PORT_ACTIVE)
		return fail(v, -ENETDOWN, "%s port %d is %s, not active",
			    v->name, v->port, ibv_port_state_str(pa.state));
	v->mtu = pa.active_mtu;
	ret = find_gid(v, &pa, o->gid);
	if (ret)
		return ret;

	v->pd = ibv_alloc_pd(v->ctx);
	if (!v->pd)
		return fail(v, -errno, "ibv_alloc_pd: %s", strerror(errno));
	v->cq = ibv_create_cq(v->ctx, 64, NULL, NULL, 0);
	if (!v->cq)
		return fail(v, -errno, "ibv_create_cq: %s", strerror(errno));
	ret = qps_up(v);
	if (ret)
		return ret;

	v->buf = calloc(1, buf_len);
	if (!v->buf)
		return fail(v, -ENOMEM, "out of memory");
	v->buf_len = buf_len;
	v->mr = ibv_reg_mr(v->pd, v->buf, buf_len, RV_ACCESS_RW);
	if (!v->mr)
		return fail(v, -errno, "ibv_reg_mr of %zu bytes: %s", buf_len,
			    strerror(errno));
	return pick_reg_path(v, o->reg);
}

int rv_close(struct rv *v)
{
	char err[sizeof(v->err)] = "";
	int ret, first = 0;

/* keep the first error */
#define KEEP(expr) do {							\
		ret = (expr);						\
		if (ret && !first) {					\
			first = ret;					\
			memcpy(err, v->err, sizeof(err));		\
		}							\
	} while (0)

	if (v->mr)
		KEEP(ibv_dereg_mr(v->mr) ?
		     fail(v, -errno, "ibv_dereg_mr: %m") : 0);
	KEEP(qps_down(v));
	if (v->cq)
		KEEP(ibv_destroy_cq(v->cq) ?
		     fail(v, -errno, "ibv_destroy_cq: %m") : 0);
	if (v->pd)
		KEEP(ibv_dealloc_pd(v->pd) ?
		     fail(v, -errno, "ibv_dealloc_pd: %m") : 0);
	if (v->ctx)
		KEEP(ibv_close_device(v->ctx) ?
		     fail(v, -errno, "ibv_close_device: %m") : 0);
#undef KEEP
	free(v->buf);
	memset(v, 0, sizeof(*v));
	memcpy(v->err, err, sizeof(err));
	return first;
}

/* ---- work requests ---- */

uint64_t rv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int rv_op(struct rv *v, enum ibv_wr_opcode op, uint64_t loc_off,
	  uint64_t len, uint64_t raddr, uint32_t rkey, int timeout_ms,
	  enum ibv_wc_status *status)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)(v->buf + loc_off),
		.length = len,
		.lkey = v->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = ++v->wr_id,
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

	if (loc_off + len > v->buf_len || len > UINT32_MAX)
		return fail(v, -EINVAL, "0x%llx bytes at 0x%llx of a %zu-byte buffer",
			    (unsigned long long)len,
			    (unsigned long long)loc_off, v->buf_len);
	ret = ibv_post_send(v->qp[0], &wr, &bad);
	if (ret)
		return fail(v, -ret, "ibv_post_send: %s", strerror(ret));
	deadline = rv_now_ms() + timeout_ms;
	for (;;) {
		n = ibv_poll_cq(v->cq, 1, &wc);
		if (n < 0)
			return fail(v, -EIO, "ibv_poll_cq failed");
		if (!n) {
			if (rv_now_ms() > deadline)
				return fail(v, -ETIMEDOUT, "no completion in %d ms",
					    timeout_ms);
			/* sleep, not spin: rxe works in kernel threads */
			nanosleep(&nap, NULL);
			continue;
		}
		if (wc.wr_id != wr.wr_id) {
			v->stale++;
			continue;
		}
		*status = wc.status;
		return 0;
	}
}
