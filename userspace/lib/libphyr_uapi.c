// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr_uapi: the vphyr ioctls on a plain file descriptor (see
 * libphyr_uapi.h; libphyr_uapi_test.c has the checks it also declares),
 * and what the rest of libphyr.h needs only libc for: the page size, the
 * names of errno values, messages. Needs nothing but libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libphyr.h"
#include "libphyr_uapi.h"
#include "libphyr_priv.h"

uint64_t vphyr_page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (uint64_t)page : 4096;
}

/* ---- errno names ---- */

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" }, { EIO, "EIO" }, { ENXIO, "ENXIO" },
	{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
	{ ENOTDIR, "ENOTDIR" }, { EINVAL, "EINVAL" }, { ENFILE, "ENFILE" },
	{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { EFBIG, "EFBIG" },
	{ ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" }, { ERANGE, "ERANGE" },
	{ ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ETIMEDOUT, "ETIMEDOUT" },
};

const char *vphyr_errname(int err)
{
	static _Thread_local char buf[4][32];
	static _Thread_local unsigned int next;
	size_t i;

	if (err < 0)
		err = -err;
	if (!err)
		return "success";
	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	next = (next + 1) % 4;
	snprintf(buf[next], sizeof(buf[next]), "errno %d", err);
	return buf[next];
}

int phyr_say(int ret, char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return ret;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- the ioctls ---- */

/* 0 or -errno; restarted like drmIoctl() */
static int uapi_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg) ? -errno : 0;
	} while (ret == -EINTR || ret == -EAGAIN);
	return ret;
}

int vphyr_uapi_info(int fd, struct drm_vphyr_info *info)
{
	memset(info, 0, sizeof(*info));
	return uapi_ioctl(fd, DRM_IOCTL_VPHYR_INFO, info);
}

int vphyr_uapi_gem_create(int fd, uint64_t size, uint32_t flags,
			  uint32_t *handle)
{
	struct drm_vphyr_gem_create c = { .size = size, .flags = flags };
	int ret = uapi_ioctl(fd, DRM_IOCTL_VPHYR_GEM_CREATE, &c);

	*handle = ret ? 0 : c.handle;
	return ret;
}

int vphyr_uapi_gem_mmap(int fd, uint32_t handle, uint32_t pad,
			uint64_t *offset)
{
	struct drm_vphyr_gem_mmap m = { .handle = handle, .pad = pad };
	int ret = uapi_ioctl(fd, DRM_IOCTL_VPHYR_GEM_MMAP, &m);

	*offset = ret ? 0 : m.offset;
	return ret;
}

int vphyr_uapi_gem_ranges(int fd, struct drm_vphyr_gem_ranges *q)
{
	return uapi_ioctl(fd, DRM_IOCTL_VPHYR_GEM_RANGES, q);
}

int vphyr_uapi_gem_dma(int fd, uint32_t handle, uint32_t flags,
		       uint64_t offset, uint64_t size, void *data)
{
	struct drm_vphyr_gem_dma d = {
		.handle = handle,
		.flags = flags,
		.offset = offset,
		.size = size,
		.data_ptr = (uintptr_t)data,
	};

	return uapi_ioctl(fd, DRM_IOCTL_VPHYR_GEM_DMA, &d);
}

int vphyr_uapi_gem_evict(int fd, uint32_t handle, uint32_t flags)
{
	struct drm_vphyr_gem_evict e = { .handle = handle, .flags = flags };

	return uapi_ioctl(fd, DRM_IOCTL_VPHYR_GEM_EVICT, &e);
}

int vphyr_uapi_link(int fd, int peer_fd, uint32_t flags)
{
	struct drm_vphyr_link l = { .peer_fd = peer_fd, .flags = flags };

	return uapi_ioctl(fd, DRM_IOCTL_VPHYR_LINK, &l);
}

int vphyr_uapi_gem_userptr(int fd, uint64_t addr, uint64_t size,
			   uint32_t flags, uint32_t *handle)
{
	struct drm_vphyr_gem_userptr u = {
		.addr = addr,
		.size = size,
		.flags = flags,
	};
	int ret = uapi_ioctl(fd, DRM_IOCTL_VPHYR_GEM_USERPTR, &u);

	*handle = ret ? 0 : u.handle;
	return ret;
}

int vphyr_uapi_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return uapi_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

int vphyr_uapi_prime_export(int fd, uint32_t handle, int *dmabuf_fd)
{
	struct drm_prime_handle p = {
		.handle = handle,
		.flags = DRM_CLOEXEC | DRM_RDWR,
		.fd = -1,
	};
	int ret = uapi_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	*dmabuf_fd = ret ? -1 : p.fd;
	return ret;
}

int vphyr_uapi_prime_import(int fd, int dmabuf_fd, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf_fd };
	int ret = uapi_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	*handle = ret ? 0 : p.handle;
	return ret;
}
