// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_fuzz_rdma.so: phyr_fuzz's verbs side over rdma/rdma_verbs.c, see
 * phyr_fuzz_rdma.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "phyr_fuzz_rdma.h"
#include "rdma_verbs.h"

#define OP_TIMEOUT_MS	30000

static struct rv v;
static struct rv_mr mrs[PHYR_FUZZ_RDMA_MRS];
static bool preloaded;

static int fz_close(char *why, size_t len)
{
	int i, ret, first = 0;

	for (i = 0; i < PHYR_FUZZ_RDMA_MRS; i++) {
		if (!mrs[i].live)
			continue;
		ret = rv_mr_dereg(&v, &mrs[i]);
		if (ret && !first) {
			first = ret;
			snprintf(why, len, "%s", v.err);
		}
	}
	ret = rv_close(&v);
	if (ret && !first) {
		first = ret;
		snprintf(why, len, "%s", v.err);
	}
	return first;
}

static int fz_open(size_t local_len, char *why, size_t len)
{
	const struct rv_opts o = { .gid = -1, .port = 1, .reg = RV_REG_AUTO };
	char ignored[8];
	int ret;

	if (!preloaded) {
		rv_preload();
		preloaded = true;
	}
	ret = rv_open(&v, &o, local_len);
	if (ret) {
		snprintf(why, len, "%s", v.err);
		fz_close(ignored, sizeof(ignored));
	}
	return ret;
}

static uint8_t *fz_local(void)
{
	return v.buf;
}

static int fz_reg(int fd, uint64_t off, uint64_t len, uint64_t iova,
		  bool atomic, int *id, uint32_t *rkey)
{
	int i, ret;

	for (i = 0; i < PHYR_FUZZ_RDMA_MRS; i++)
		if (!mrs[i].live)
			break;
	if (i == PHYR_FUZZ_RDMA_MRS)
		return -ENOSPC;
	ret = rv_mr_reg(&v, &mrs[i], fd, off, len, iova,
			RV_ACCESS_RW | (atomic ? IBV_ACCESS_REMOTE_ATOMIC : 0));
	if (ret)
		return ret;
	*id = i;
	*rkey = mrs[i].rkey;
	return 0;
}

static int fz_dereg(int id)
{
	if (id < 0 || id >= PHYR_FUZZ_RDMA_MRS)
		return -EINVAL;
	return rv_mr_dereg(&v, &mrs[id]);
}

static int fz_op(bool write, uint64_t loc_off, uint64_t len, uint64_t raddr,
		 uint32_t rkey, bool *ok, char *status, size_t slen)
{
	enum ibv_wc_status st = IBV_WC_GENERAL_ERR;
	int ret;

	ret = rv_op(&v, write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ, loc_off,
		    len, raddr, rkey, OP_TIMEOUT_MS, &st);
	*ok = !ret && st == IBV_WC_SUCCESS;
	snprintf(status, slen, "%s", ret ? v.err : ibv_wc_status_str(st));
	return ret;
}

static int fz_reset(char *why, size_t len)
{
	int ret = rv_qp_reset(&v);

	if (ret)
		snprintf(why, len, "%s", v.err);
	return ret;
}

const struct phyr_fuzz_rdma phyr_fuzz_rdma = {
	.open = fz_open,
	.close = fz_close,
	.local = fz_local,
	.reg = fz_reg,
	.dereg = fz_dereg,
	.op = fz_op,
	.reset = fz_reset,
};
