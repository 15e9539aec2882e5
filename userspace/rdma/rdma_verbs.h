/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rdma_verbs: the verbs side of the RDMA programs (phyr_rdma_test, and
 * phyr_fuzz through build/phyr_fuzz_rdma.so).
 *
 * One verbs device, a protection domain, a completion queue, two RC queue
 * pairs on one port connected to each other (the port talks to its own
 * GID, so one process plays both ends), and an ordinary MR over a local
 * buffer. QP 0 posts RDMA WRITE and READ requests from the local buffer;
 * the remote side is a dma-buf MR on the same protection domain.
 *
 * Functions return 0 or a negative errno and leave what went wrong in
 * &rv.err; nothing here prints.
 */
#ifndef RDMA_VERBS_H
#define RDMA_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <infiniband/verbs.h>

/* what the local MR and the dma-buf MRs allow */
#define RV_ACCESS_RW	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

enum rv_reg_mode {
	RV_REG_AUTO,		/* the provider gap only where it is needed */
	RV_REG_VERBS,		/* ibv_reg_dmabuf_mr() */
	RV_REG_IOCTL,		/* the uverbs REG_DMABUF_MR method */
};

struct rv_opts {
	const char *dev;	/* NULL: the first device named rxe* */
	int gid;		/* -1: the first RoCE v2 IPv4 GID */
	int port;
	enum rv_reg_mode reg;
};

/*
 * A dma-buf MR: registered by ibv_reg_dmabuf_mr() (mr set) or through the
 * provider gap (handle).
 */
struct rv_mr {
	bool live;
	struct ibv_mr *mr;
	uint32_t handle;
	uint32_t lkey;
	uint32_t rkey;
};

struct rv {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	struct ibv_mr *mr;		/* over buf */
	unsigned char *buf;
	size_t buf_len;
	char name[64];
	int port;
	int gid;
	union ibv_gid gid_val;
	enum ibv_mtu mtu;
	enum rv_reg_mode reg;		/* as opened */
	bool gap;			/* register through the provider gap */
	uint64_t wr_id;
	unsigned int stale;		/* completions of earlier requests */
	char err[256];			/* what failed last */
	char note[512];			/* what rv_open() found */
};

/* load libibverbs' providers (seconds under an emulated CPU), once */
void rv_preload(void);

/*
 * Open the device and set up the PD, CQ, connected QPs and the MR over a
 * fresh buffer of buf_len bytes. -ENODEV when no device was named and
 * there is no rxe device; after any error, rv_close() releases what was
 * set up.
 */
int rv_open(struct rv *v, const struct rv_opts *o, size_t buf_len);

/* release everything rv_open() set up: 0 or the first error */
int rv_close(struct rv *v);

/* destroy both QPs and connect new ones, e.g. after an error completion */
int rv_qp_reset(struct rv *v);

/* register a dma-buf MR over [off, off + len) of fd, at iova */
int rv_mr_reg(struct rv *v, struct rv_mr *m, int fd, uint64_t off,
	      uint64_t len, uint64_t iova, int access);

/* deregister it (it is forgotten either way) */
int rv_mr_dereg(struct rv *v, struct rv_mr *m);

/*
 * Post one signalled RDMA WRITE or READ on QP 0 between buf + loc_off and
 * raddr, and wait up to timeout_ms for its completion: 0 with its status,
 * or a negative errno when it could not be posted or did not complete.
 */
int rv_op(struct rv *v, enum ibv_wr_opcode op, uint64_t loc_off,
	  uint64_t len, uint64_t raddr, uint32_t rkey, int timeout_ms,
	  enum ibv_wc_status *status);

uint64_t rv_now_ms(void);

#endif
