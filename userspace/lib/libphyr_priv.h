/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the parts of libphyr share and do not publish.
 */
#ifndef LIBPHYR_PRIV_H
#define LIBPHYR_PRIV_H

#include <stddef.h>

/*
 * phyr_say() - write a message into @msg (@len bytes, may be 0) and
 * return @ret: for functions that answer with a code and a message.
 */
int phyr_say(int ret, char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* LIBPHYR_PRIV_H */
