/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the parts of libphyr share and do not publish.
 */
#ifndef LIBPHYR_PRIV_H
#define LIBPHYR_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "libphyr.h"

#define VPHYR_BO_BUCKETS	64

/*
 * struct vphyr_dev - an open vphyr instance
 * @fd: its DRM file descriptor, owned
 * @info: what INFO said when it was opened (or last queried)
 * @name: "instance N (/dev/dri/renderDM)"
 * @bos: the handle table: the objects of this device by GEM handle, in
 *	buckets of singly linked lists (libphyr_bo.c)
 */
struct vphyr_dev {
	int fd;
	struct vphyr_device_info info;
	char name[96];
	struct vphyr_bo *bos[VPHYR_BO_BUCKETS];
};

/*
 * vphyr_fail() - record "<what>: <strerror> (<ENAME>)" as the message of
 * this thread (vphyr_last_error()) and return @err, a negative errno
 */
int vphyr_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* vphyr_bo_table_free() - free the objects left when @dev closes */
void vphyr_bo_table_free(struct vphyr_dev *dev);

/*
 * phyr_say() - write a message into @msg (@len bytes, may be 0) and
 * return @ret: for functions that answer with a code and a message.
 */
int phyr_say(int ret, char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* LIBPHYR_PRIV_H */
