/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libphyr_uapi: the vphyr ioctls one by one, on a plain DRM file
 * descriptor and with the uAPI structures of include/uapi/drm/vphyr_drm.h,
 * for tests that must pass any value (nonzero pads, unknown flags, stale
 * handles) and compare the errno that comes back. libphyr.h builds its
 * device API on these.
 *
 * Every wrapper returns 0 or a negative errno, restarts on EINTR and
 * EAGAIN as drmIoctl() does, leaves vphyr_last_error() alone and zeroes its
 * outputs (-1 for a file descriptor) when it fails.
 *
 * Also here: what the ranges of a userptr object must look like, and the
 * table of invalid GEM_USERPTR arguments with the errno each must give.
 *
 * Needs the uAPI header and libdrm's drm.h on the include path
 * (pkg-config --cflags libdrm), but nothing but libc to link.
 */
#ifndef LIBPHYR_UAPI_H
#define LIBPHYR_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vphyr_drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* ---- the ioctls ---- */

/* VPHYR_INFO into @info (zeroed first) */
int vphyr_uapi_info(int fd, struct drm_vphyr_info *info);

/* VPHYR_GEM_CREATE: @flags is VPHYR_GEM_VRAM, VPHYR_GEM_SYSTEM or any */
int vphyr_uapi_gem_create(int fd, uint64_t size, uint32_t flags,
			  uint32_t *handle);

/* VPHYR_GEM_MMAP: the fake offset to mmap() @fd at */
int vphyr_uapi_gem_mmap(int fd, uint32_t handle, uint32_t pad,
			uint64_t *offset);

/* VPHYR_GEM_RANGES with @q as the caller filled it in (in and out) */
int vphyr_uapi_gem_ranges(int fd, struct drm_vphyr_gem_ranges *q);

/* VPHYR_GEM_DMA: VPHYR_DMA_READ into or VPHYR_DMA_WRITE from @data */
int vphyr_uapi_gem_dma(int fd, uint32_t handle, uint32_t flags,
		       uint64_t offset, uint64_t size, void *data);

/* VPHYR_GEM_EVICT */
int vphyr_uapi_gem_evict(int fd, uint32_t handle, uint32_t flags);

/* VPHYR_LINK: @flags 0 links @fd with @peer_fd, VPHYR_LINK_REMOVE unlinks */
int vphyr_uapi_link(int fd, int peer_fd, uint32_t flags);

/* VPHYR_GEM_USERPTR of [addr, addr + size) of this process */
int vphyr_uapi_gem_userptr(int fd, uint64_t addr, uint64_t size,
			   uint32_t flags, uint32_t *handle);

/* DRM_IOCTL_GEM_CLOSE */
int vphyr_uapi_gem_close(int fd, uint32_t handle);

/* DRM_IOCTL_PRIME_HANDLE_TO_FD, close-on-exec and read-write */
int vphyr_uapi_prime_export(int fd, uint32_t handle, int *dmabuf_fd);

/* DRM_IOCTL_PRIME_FD_TO_HANDLE */
int vphyr_uapi_prime_import(int fd, int dmabuf_fd, uint32_t *handle);

/* ---- the ranges of a userptr object ---- */

/* the flags of every range of a userptr object */
#define PHYR_USERPTR_RANGE_FLAGS (VPHYR_RANGE_IC_HOST | VPHYR_RANGE_PINNED)

/**
 * struct phyr_userptr_expect - what the ranges of a userptr object must be
 * @addr: the user range the object wraps
 * @size: its length in bytes
 * @unit: every length, and every address when addresses are shown, is a
 *	multiple of this: the page size, or the huge page size for memory
 *	made of huge pages (0: the page size)
 * @max_ranges: at most this many ranges; 0: one per @unit
 */
struct phyr_userptr_expect {
	const void *addr;
	uint64_t size;
	uint64_t unit;
	uint32_t max_ranges;
};

/**
 * phyr_userptr_check_ranges() - check the table of a userptr object
 * @r: the entries
 * @count: their number
 * @x: what they must describe
 * @msg: receives what is wrong
 * @len: room in @msg
 *
 * Beyond what any physical table gets: the count within bounds, every
 * entry's flags exactly PHYR_USERPTR_RANGE_FLAGS, lengths and addresses
 * multiples of the unit, lengths adding up to the size; where addresses
 * are shown, no two neighbours physically contiguous (they would be one
 * run) and, when /proc/self/pagemap shows page frames (CAP_SYS_ADMIN) and
 * the range is still mapped, exactly its physically contiguous runs, in
 * order.
 *
 * Return: 1 if all is right and the ranges matched pagemap, 0 if all is
 * right without pagemap, -1 if something is wrong.
 */
int phyr_userptr_check_ranges(const struct drm_vphyr_range *r,
			      uint32_t count,
			      const struct phyr_userptr_expect *x, char *msg,
			      size_t len);

/* ---- invalid GEM_USERPTR arguments ---- */

/*
 * The area the invalid arguments point into, PHYR_BAD_AREA_PAGES pages:
 * 0-1 read/write, 2-3 not mapped, 4 read/write, 5 read-only.
 */
#define PHYR_BAD_AREA_PAGES	6
#define PHYR_BAD_ARGS_MAX	32

struct phyr_bad_userptr {
	char what[72];
	uint64_t addr;
	uint64_t size;
	uint32_t flags;
	int err;		/* what GEM_USERPTR must return: 0 or -errno */
};

/* map the area described above: NULL (errno set) on failure */
void *phyr_bad_area_map(void);
void phyr_bad_area_unmap(void *area);

/**
 * phyr_bad_userptr_args() - the invalid arguments and their errors
 * @area: from phyr_bad_area_map()
 * @e2big: add a size just over half of system RAM (E2BIG; only for a
 *	caller that RLIMIT_MEMLOCK cannot stop first, one with CAP_IPC_LOCK)
 * @b: receives up to PHYR_BAD_ARGS_MAX entries
 *
 * Unaligned addresses, zero and unaligned sizes, nonzero flags, wrapping
 * ranges (EINVAL), unmapped, partly unmapped and read-only ranges
 * (EFAULT), and two valid ranges of the area as controls (success).
 *
 * Return: the number of entries.
 */
int phyr_bad_userptr_args(const void *area, bool e2big,
			  struct phyr_bad_userptr *b);

#if defined(__cplusplus)
}
#endif

#endif /* LIBPHYR_UAPI_H */
