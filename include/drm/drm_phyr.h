/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: lists of physical address ranges for DRM, dma-buf and RDMA.
 *
 * The entry point for drivers: it includes the header of every layer.
 */
#ifndef __DRM_PHYR_H__
#define __DRM_PHYR_H__

#include <drm/phyr/phyr_list.h>
#include <drm/phyr/phyr_block.h>
#include <drm/phyr/phyr_dma.h>
#include <drm/phyr/phyr_pin.h>
#include <drm/phyr/phyr_cpu.h>
#include <drm/phyr/drm_phyr_helper.h>
#include <drm/phyr/phyr_umem.h>

#endif /* __DRM_PHYR_H__ */
