/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The user memory helpers of the vphyr tests now live in libphyr
 * (lib/libphyr.h: this process's memory; lib/libphyr_uapi.h: GEM_USERPTR,
 * the ranges of a userptr object, invalid arguments). This header keeps
 * their former names for the code not yet moved to the new ones.
 */
#ifndef VPHYR_UMEM_H
#define VPHYR_UMEM_H

#include "../lib/libphyr.h"
#include "../lib/libphyr_uapi.h"

#define UMEM_RANGE_FLAGS	PHYR_USERPTR_RANGE_FLAGS
#define UMEM_BAD_PAGES		PHYR_BAD_AREA_PAGES
#define UMEM_BAD_MAX		PHYR_BAD_ARGS_MAX

#define umem_expect		phyr_userptr_expect
#define umem_bad		phyr_bad_userptr

#define umem_userptr		phyr_uapi_gem_userptr
#define umem_check_ranges	phyr_userptr_check_ranges
#define umem_thp_size		phyr_thp_size
#define umem_anon_huge_kb(addr)	phyr_anon_huge_kb((addr), 0, NULL)
#define umem_thp_map		phyr_thp_map
#define umem_bad_area		phyr_bad_area_map
#define umem_bad_area_free	phyr_bad_area_unmap
#define umem_bad_args		phyr_bad_userptr_args
#define umem_has_cap		phyr_has_cap
#define umem_drop_cap		phyr_drop_cap

#endif /* VPHYR_UMEM_H */
