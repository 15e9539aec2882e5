/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User memory helpers of the vphyr tests, shared by the userspace suite
 * (userspace/tests) and the IGT tests (igt-tests), which both build this
 * file: the GEM_USERPTR ioctl, what the ranges of a userptr object must
 * look like (checked against /proc/self/pagemap where it shows page
 * frames), transparent huge pages, the table of invalid GEM_USERPTR
 * arguments, and capabilities.
 *
 * Nothing here depends on either test framework, or on anything but libc
 * and the uAPI header: results come back as return values, and what went
 * wrong (or why a test cannot run) as a message for the caller to report
 * its own way.
 */
#ifndef VPHYR_UMEM_H
#define VPHYR_UMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vphyr_drm.h"

/* the flags of every range of a userptr object */
#define UMEM_RANGE_FLAGS	(VPHYR_RANGE_IC_HOST | VPHYR_RANGE_PINNED)

/* GEM_USERPTR: 0 or a negative errno; *handle is 0 on failure */
int umem_userptr(int fd, uint64_t addr, uint64_t size, uint32_t flags,
		 uint32_t *handle);

/* ---- ranges ---- */

/**
 * struct umem_expect - what the ranges of a userptr object must be
 * @addr: the user range the object wraps
 * @size: its length in bytes
 * @unit: every length, and every address when addresses are shown, is a
 *	multiple of this: the page size, or the huge page size for memory
 *	made of huge pages
 * @max_ranges: at most this many ranges; 0: one per @unit
 */
struct umem_expect {
	const void *addr;
	uint64_t size;
	uint64_t unit;
	uint32_t max_ranges;
};

/*
 * The checks a userptr object's table (count entries at r) gets beyond
 * those of any physical table: count within bounds, every entry's flags
 * exactly UMEM_RANGE_FLAGS, lengths and addresses multiples of the unit,
 * lengths adding up to the size; where addresses are shown, no two
 * neighbours physically contiguous (they would be one run) and, when
 * /proc/self/pagemap shows page frames (CAP_SYS_ADMIN) and the range is
 * still mapped, exactly the physically contiguous runs of the range, in
 * order.
 *
 * Return: 1 if all is right and the ranges matched pagemap, 0 if all is
 * right without pagemap, -1 if something is wrong (msg says what).
 */
int umem_check_ranges(const struct drm_vphyr_range *r, uint32_t count,
		      const struct umem_expect *x, char *msg, size_t len);

/* ---- transparent huge pages ---- */

/* the PMD huge page size (hpage_pmd_size), 0 without THP support */
uint64_t umem_thp_size(void);

/* AnonHugePages of the mapping containing addr in kB, or a negative errno */
long long umem_anon_huge_kb(const void *addr);

/*
 * Map size bytes of anonymous memory (a multiple of umem_thp_size())
 * aligned to the huge page size, ask for transparent huge pages
 * (MADV_HUGEPAGE), write every page and check that the mapping is now
 * backed by huge pages (AnonHugePages in /proc/self/smaps).
 *
 * Return: 0 with the mapping in *out (munmap() it), 1 if no huge pages
 * can be had (msg says why: a reason to skip), or a negative errno
 * (msg says what failed).
 */
int umem_thp_map(uint64_t size, void **out, char *msg, size_t len);

/* ---- invalid arguments ---- */

/*
 * The area the invalid GEM_USERPTR arguments point into, UMEM_BAD_PAGES
 * pages: 0-1 read/write, 2-3 not mapped, 4 read/write, 5 read-only.
 */
#define UMEM_BAD_PAGES	6
#define UMEM_BAD_MAX	32

struct umem_bad {
	char what[72];
	uint64_t addr;
	uint64_t size;
	uint32_t flags;
	int err;		/* what GEM_USERPTR must return: 0 or -errno */
};

/* map the area described above: NULL (errno set) on failure */
void *umem_bad_area(void);
void umem_bad_area_free(void *area);

/*
 * Fill b (UMEM_BAD_MAX entries) with GEM_USERPTR arguments and the result
 * each must give: unaligned addresses, zero and unaligned sizes, nonzero
 * flags, wrapping ranges (EINVAL), unmapped, partly unmapped and read-only
 * ranges (EFAULT), two valid ranges of the area as controls (success),
 * and with e2big a size just over half of system RAM (E2BIG; only for a
 * caller that RLIMIT_MEMLOCK cannot stop first, one with CAP_IPC_LOCK).
 *
 * Return: the number of entries.
 */
int umem_bad_args(const void *area, bool e2big, struct umem_bad *b);

/* ---- capabilities ---- */

/* 1 if cap is in this thread's effective set, 0 if not, or -errno */
int umem_has_cap(int cap);

/*
 * Remove cap from this thread's effective, permitted and inheritable sets
 * (for good: a process that must keep it drops it in a child).
 * Return: 0, or a negative errno.
 */
int umem_drop_cap(int cap);

#endif /* VPHYR_UMEM_H */
