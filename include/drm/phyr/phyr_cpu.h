/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: CPU access to the ranges of a list.
 */
#ifndef __DRM_PHYR_CPU_H__
#define __DRM_PHYR_CPU_H__

#include <linux/gfp_types.h>
#include <linux/types.h>

#include <drm/phyr/phyr_list.h>

struct phyr_cpu_map;

struct phyr_cpu_map *phyr_cpu_map(const struct phyr_list *l, gfp_t gfp);
void phyr_cpu_unmap(struct phyr_cpu_map *m);
u64 phyr_cpu_map_length(const struct phyr_cpu_map *m);
int phyr_cpu_copy(const struct phyr_cpu_map *m, u64 offset, void *buf,
		  u64 len, bool to_mem);

#endif /* __DRM_PHYR_CPU_H__ */
