/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The verbs side of phyr_fuzz, built as build/phyr_fuzz_rdma.so (with
 * libibverbs) from phyr_fuzz_rdma.c and rdma/rdma_verbs.c. phyr_fuzz loads
 * it with dlopen(): without libibverbs, or without the module, the RDMA
 * kinds are not run, and phyr_fuzz needs no verbs header to build.
 *
 * One verbs device (the first rxe*), a protection domain, a completion
 * queue, two RC queue pairs on its port connected to each other, and an
 * ordinary MR over a malloc()ed local buffer; dma-buf MRs on the same
 * protection domain, known by a small index.
 */
#ifndef PHYR_FUZZ_RDMA_H
#define PHYR_FUZZ_RDMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYR_FUZZ_RDMA_SO	"phyr_fuzz_rdma.so"
#define PHYR_FUZZ_RDMA_SYM	"phyr_fuzz_rdma"
#define PHYR_FUZZ_RDMA_MRS	16

struct phyr_fuzz_rdma {
	/*
	 * Open the first rxe device and set everything up, with a local
	 * buffer of local_len bytes. 0, -ENODEV when there is no rxe device
	 * (or no active port with a RoCE v2 GID), another negative errno on
	 * a failure; why says what happened.
	 */
	int (*open)(size_t local_len, char *why, size_t len);
	/* tear it all down (dma-buf MRs included): 0 or the first error */
	int (*close)(char *why, size_t len);
	/* the local buffer */
	uint8_t *(*local)(void);
	/*
	 * Register a dma-buf MR over [off, off + len) of the dma-buf fd at
	 * iova, readable and writable remotely (and atomically, with
	 * atomic: dma-buf MRs refuse that). 0 with *id and *rkey, or a
	 * negative errno.
	 */
	int (*reg)(int fd, uint64_t off, uint64_t len, uint64_t iova,
		   bool atomic, int *id, uint32_t *rkey);
	/* deregister MR id: 0 or a negative errno */
	int (*dereg)(int id);
	/*
	 * Post one signalled RDMA WRITE (write) or READ of len bytes between
	 * local + loc_off and raddr/rkey on the first QP and wait for its
	 * completion: 0 with *ok telling whether it completed successfully
	 * (status names the completion status), or a negative errno when it
	 * could not be posted or did not complete in time.
	 */
	int (*op)(bool write, uint64_t loc_off, uint64_t len, uint64_t raddr,
		  uint32_t rkey, bool *ok, char *status, size_t slen);
	/* connect new QPs (after an error completion): 0 or -errno */
	int (*reset)(char *why, size_t len);
};

#endif
