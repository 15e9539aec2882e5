/* SPDX-License-Identifier: MIT */
/*
 * vphyr: test driver for the phyr DRM helpers.
 *
 * vphyr is a DRM driver without display that has "VRAM": every QEMU
 * ivshmem-plain PCI device (1af4:1110) becomes one instance whose BAR 2 is
 * device memory without struct pages, and one more instance has system
 * memory only, like vgem. Objects are exported and imported with the
 * ordinary PRIME ioctls. From version 1.1 the core's sync object ioctls
 * (timelines included) work on every node, and the dumb buffer ioctls on
 * the card node allocate linear buffers in VRAM (system memory on the
 * instance without VRAM); GEM_RANGES and GEM_DMA work on dumb buffers too.
 * The ioctls below exist to test the helpers: they read back the physical
 * ranges of an object or the DMA ranges of an imported one, and let the
 * "device" read and write memory through those DMA addresses.
 *
 * Rules shared by every ioctl: unknown flags, nonzero pads and sizes that
 * overflow or exceed the object fail with -EINVAL; a handle that does not
 * exist fails with -ENOENT.
 */
#ifndef __UAPI_VPHYR_DRM_H__
#define __UAPI_VPHYR_DRM_H__

#include "drm.h"

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_VPHYR_INFO		0x00
#define DRM_VPHYR_GEM_CREATE	0x01
#define DRM_VPHYR_GEM_MMAP	0x02
#define DRM_VPHYR_GEM_RANGES	0x03
#define DRM_VPHYR_GEM_DMA	0x04
#define DRM_VPHYR_GEM_EVICT	0x05
#define DRM_VPHYR_LINK		0x06
#define DRM_VPHYR_GEM_USERPTR	0x07

/* drm_vphyr_info.flags */
#define VPHYR_INFO_VRAM		(1u << 0)	/* the instance has a BAR region */
#define VPHYR_INFO_IOMMU	(1u << 1)	/* DMA is translated by an IOMMU */

/**
 * struct drm_vphyr_info - describe the instance
 * @flags: out: VPHYR_INFO_*
 * @instance: out: instance number (0 is the system-memory-only instance)
 * @vram_size: out: size of the VRAM region in bytes, 0 without one
 * @vram_base: out: CPU physical address of the VRAM region (CAP_SYS_ADMIN
 *	only, 0 otherwise)
 * @link_peer: out: instance this one is linked with, or ~0u
 * @pad: must be 0
 */
struct drm_vphyr_info {
	__u32 flags;
	__u32 instance;
	__u64 vram_size;
	__u64 vram_base;
	__u32 link_peer;
	__u32 pad;
};

/* drm_vphyr_gem_create.flags: exactly one placement */
#define VPHYR_GEM_VRAM		(1u << 0)
#define VPHYR_GEM_SYSTEM	(1u << 1)

/**
 * struct drm_vphyr_gem_create - create an object
 * @size: in: size in bytes, a nonzero multiple of the page size
 * @flags: in: VPHYR_GEM_VRAM or VPHYR_GEM_SYSTEM
 * @handle: out: GEM handle
 */
struct drm_vphyr_gem_create {
	__u64 size;
	__u32 flags;
	__u32 handle;
};

/**
 * struct drm_vphyr_gem_mmap - get the fake offset to mmap an object
 * @handle: in: GEM handle (created here, not imported)
 * @pad: must be 0
 * @offset: out: offset to pass to mmap() on the DRM fd
 */
struct drm_vphyr_gem_mmap {
	__u32 handle;
	__u32 pad;
	__u64 offset;
};

/* phyr entry flags, as in include/drm/phyr/phyr_list.h */
#define VPHYR_RANGE_IC_MASK		0x3u
#define VPHYR_RANGE_IC_HOST		0x0u	/* host (system) memory */
#define VPHYR_RANGE_IC_DEVICE		0x1u	/* the device's own memory */
#define VPHYR_RANGE_IC_P2P		0x2u	/* a PCI peer's memory */
#define VPHYR_RANGE_IC_LINK		0x3u	/* over a GPU-to-GPU link */
#define VPHYR_RANGE_MMIO		(1u << 2)
#define VPHYR_RANGE_PINNED		(1u << 3)
/* how a DMA range was mapped (kind VPHYR_RANGES_DMA only) */
#define VPHYR_RANGE_VIA_MASK		(0x7u << 4)
#define VPHYR_RANGE_VIA_DIRECT		(0x0u << 4)
#define VPHYR_RANGE_VIA_PAGE		(0x1u << 4)
#define VPHYR_RANGE_VIA_BUS		(0x2u << 4)
#define VPHYR_RANGE_VIA_HOST_BRIDGE	(0x3u << 4)
#define VPHYR_RANGE_VIA_IOMMU		(0x4u << 4)
#define VPHYR_RANGE_VIA_LINK		(0x5u << 4)
#define VPHYR_RANGE_VIA_SG		(0x6u << 4)

/**
 * struct drm_vphyr_range - one range as read back
 * @addr: CPU physical address (VPHYR_RANGES_PHYS) or DMA address
 *	(VPHYR_RANGES_DMA)
 * @len: length in bytes
 * @flags: VPHYR_RANGE_*
 * @pad: 0
 */
struct drm_vphyr_range {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 pad;
};

/* drm_vphyr_gem_ranges.kind */
#define VPHYR_RANGES_PHYS	1	/* an object of this device: its phyr list */
#define VPHYR_RANGES_DMA	2	/* an imported object: its dma_range table */

/* drm_vphyr_gem_ranges.placement */
#define VPHYR_PLACE_VRAM	1
#define VPHYR_PLACE_SYSTEM	2
#define VPHYR_PLACE_IMPORTED	3
#define VPHYR_PLACE_USERPTR	4	/* pinned pages of a process */

/**
 * struct drm_vphyr_gem_ranges - read back the ranges of an object
 * @handle: in: GEM handle
 * @flags: in: must be 0
 * @count: in: number of entries @ranges_ptr has room for (may be 0);
 *	out: number of ranges the object has (only min(in, out) are written)
 * @kind: out: VPHYR_RANGES_*
 * @ranges_ptr: in: user pointer to an array of &struct drm_vphyr_range
 * @total_len: out: sum of the range lengths
 * @placement: out: VPHYR_PLACE_*
 * @generation: out: how many times the backing moved (evictions of an own
 *	object, move notifications received for an imported one)
 *
 * For an imported object the attachment is (re)mapped if needed, so this
 * shows the table the device would use now. Addresses, physical and DMA
 * alike (without an IOMMU a DMA address is the physical address), are
 * only reported to CAP_SYS_ADMIN; others read 0, with lengths and flags.
 */
struct drm_vphyr_gem_ranges {
	__u32 handle;
	__u32 flags;
	__u32 count;
	__u32 kind;
	__u64 ranges_ptr;
	__u64 total_len;
	__u32 placement;
	__u32 generation;
};

/* drm_vphyr_gem_dma.flags: exactly one direction */
#define VPHYR_DMA_READ		(1u << 0)	/* object -> user buffer */
#define VPHYR_DMA_WRITE		(1u << 1)	/* user buffer -> object */

/**
 * struct drm_vphyr_gem_dma - let the device access an object by DMA address
 * @handle: in: GEM handle
 * @flags: in: VPHYR_DMA_READ or VPHYR_DMA_WRITE
 * @offset: in: byte offset in the object
 * @size: in: number of bytes, offset + size <= object size
 * @data_ptr: in: user buffer of @size bytes
 *
 * The device resolves each DMA address of the object's mapping for this
 * device back to memory the way hardware would see it: through the IOMMU
 * when one translates, through the PCI bus address of a peer BAR, through
 * the link aperture of a linked peer. A test that compares the bytes with
 * what the CPU wrote through another path therefore proves the addresses.
 */
struct drm_vphyr_gem_dma {
	__u32 handle;
	__u32 flags;
	__u64 offset;
	__u64 size;
	__u64 data_ptr;
};

/**
 * struct drm_vphyr_gem_evict - move an object from VRAM to system memory
 * @handle: in: GEM handle (created here)
 * @flags: in: must be 0
 *
 * Importers are told through move_notify and map again on next use. Fails
 * with -EBUSY while a non-dynamic importer has the object pinned. An
 * object already in system memory is left alone (returns 0).
 */
struct drm_vphyr_gem_evict {
	__u32 handle;
	__u32 flags;
};

/* drm_vphyr_link.flags */
#define VPHYR_LINK_REMOVE	(1u << 0)

/**
 * struct drm_vphyr_link - declare a GPU-to-GPU link to another instance
 * @peer_fd: in: open file descriptor of the other vphyr device
 * @flags: in: 0 to link, VPHYR_LINK_REMOVE to unlink
 *
 * Both instances need VRAM. While linked, the VRAM of each is mapped for
 * the other through the link (VPHYR_RANGE_IC_LINK, VPHYR_RANGE_VIA_LINK)
 * instead of PCI; mappings made before keep their addresses until moved.
 * Needs CAP_SYS_ADMIN. -EBUSY if either is already linked elsewhere;
 * -ENODEV if @peer_fd is a file of an instance that was unbound.
 */
struct drm_vphyr_link {
	__s32 peer_fd;
	__u32 flags;
};

/**
 * struct drm_vphyr_gem_userptr - wrap pinned user memory in an object
 * @addr: in: start of the range in the caller's address space, page aligned
 * @size: in: length in bytes, a nonzero multiple of the page size
 * @flags: in: must be 0
 * @handle: out: GEM handle
 *
 * The pages are pinned for as long as the object lives (FOLL_LONGTERM,
 * writable) and described by one range per physically contiguous run, so
 * a transparent or hugetlb huge page is one range. The pinned pages are
 * charged to the caller's locked memory (RLIMIT_MEMLOCK, VmPin in
 * /proc/PID/status) unless it has CAP_IPC_LOCK: -ENOMEM when over the
 * limit. -EFAULT for a range that is not mapped, -E2BIG for more than half
 * of system RAM.
 */
struct drm_vphyr_gem_userptr {
	__u64 addr;
	__u64 size;
	__u32 flags;
	__u32 handle;
};

#define DRM_IOCTL_VPHYR_INFO \
	DRM_IOR(DRM_COMMAND_BASE + DRM_VPHYR_INFO, struct drm_vphyr_info)
#define DRM_IOCTL_VPHYR_GEM_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPHYR_GEM_CREATE, struct drm_vphyr_gem_create)
#define DRM_IOCTL_VPHYR_GEM_MMAP \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPHYR_GEM_MMAP, struct drm_vphyr_gem_mmap)
#define DRM_IOCTL_VPHYR_GEM_RANGES \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPHYR_GEM_RANGES, struct drm_vphyr_gem_ranges)
#define DRM_IOCTL_VPHYR_GEM_DMA \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VPHYR_GEM_DMA, struct drm_vphyr_gem_dma)
#define DRM_IOCTL_VPHYR_GEM_EVICT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VPHYR_GEM_EVICT, struct drm_vphyr_gem_evict)
#define DRM_IOCTL_VPHYR_LINK \
	DRM_IOW(DRM_COMMAND_BASE + DRM_VPHYR_LINK, struct drm_vphyr_link)

#define DRM_IOCTL_VPHYR_GEM_USERPTR \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_VPHYR_GEM_USERPTR, struct drm_vphyr_gem_userptr)

#if defined(__cplusplus)
}
#endif

#endif /* __UAPI_VPHYR_DRM_H__ */
