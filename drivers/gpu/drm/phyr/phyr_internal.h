/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces between the files of the phyr module.
 */
#ifndef __PHYR_INTERNAL_H__
#define __PHYR_INTERNAL_H__

#include <drm/drm_phyr.h>

struct dentry;

void phyr_bench_register(struct dentry *dir);
int phyr_list_add(struct phyr_list *l, u64 addr, u64 len, unsigned int flags,
		  u64 merge_max, gfp_t gfp);

#endif
