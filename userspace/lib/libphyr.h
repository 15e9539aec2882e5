/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libphyr: a small C library over libdrm for vphyr, the test DRM driver of
 * phyr (include/uapi/drm/vphyr_drm.h).
 *
 * A vphyr instance is a DRM render node whose driver is named "vphyr".
 * Instance 0 has system memory only; every other instance has "VRAM", the
 * BAR of a QEMU ivshmem device (PCI memory without struct page). Objects
 * (GEM buffers) are created in VRAM or in system memory, mapped for the
 * CPU, shared as dma-bufs (PRIME), and read and written by the device
 * through their DMA addresses. The ranges behind an object can be read
 * back: the physical ranges (the phyr list) of an object created on the
 * instance, or the DMA ranges (the dma_range table) an instance uses for an
 * object it imported, each with flags that say how it is reached.
 *
 * Lifetime: an object lives as long as a GEM handle or a dma-buf file
 * refers to it, so everything created here goes away with the process
 * (closing a struct phyr_dev closes its handles). Links between instances
 * (phyr_link()) are state of the devices and outlive the process.
 *
 * Errors: functions that can fail return 0 (or a count) on success and a
 * negative errno value on failure, and then record a message saying what
 * failed and why; phyr_last_error() returns it. The message is per thread.
 * The helpers of libphyr_test.h and libphyr_uapi.h's ioctls return errors
 * without a message.
 *
 * What tests need beyond the devices (data patterns, what this process
 * can learn about its own memory and files, test cases in child processes)
 * is in libphyr_test.h, and the ioctls one by one for tests that pass
 * invalid arguments are in libphyr_uapi.h: neither is installed, and
 * libphyr.so exports only what this header declares.
 *
 * Threads: a struct phyr_dev may be used by one thread at a time.
 *
 * Nothing here exposes libdrm types: the header needs only the C library.
 */
#ifndef LIBPHYR_H
#define LIBPHYR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

/* ---- errors ---- */

/**
 * phyr_last_error() - what the last failing call of this thread did wrong
 *
 * Return: a message such as "GEM_CREATE of 4 MiB in VRAM on instance 0
 * (/dev/dri/renderD128): No such device (ENODEV)"; "" before any error.
 * Valid until the next failing call in this thread.
 */
const char *phyr_last_error(void);

/**
 * phyr_errname() - symbolic name of an errno value
 * @err: an errno value, negative or positive
 *
 * Return: "EINVAL" for -EINVAL or EINVAL, "success" for 0, "errno N" for
 * values without a name here (in one of four buffers of this thread, used
 * in turn: up to four results may be printed together).
 */
const char *phyr_errname(int err);

/* ---- devices ---- */

#define PHYR_NO_PEER		0xffffffffu	/* phyr_device_info.link_peer */

#define PHYR_DEV_VRAM		(1u << 0)	/* the instance has VRAM */
#define PHYR_DEV_IOMMU		(1u << 1)	/* its DMA is translated by an IOMMU */

/**
 * struct phyr_device_info - one vphyr instance
 * @instance: instance number (0: the system-memory-only instance)
 * @flags: PHYR_DEV_*
 * @vram_size: size of the VRAM in bytes, 0 without VRAM
 * @vram_base: CPU physical address of the VRAM; 0 unless the caller has
 *	CAP_SYS_ADMIN
 * @link_peer: the instance this one is linked with, or PHYR_NO_PEER
 * @node: its render node, e.g. "/dev/dri/renderD129"
 * @bus: where it sits, e.g. "pci:0000:00:03.0" or "platform:vphyr"; "" if
 *	libdrm could not tell
 */
struct phyr_device_info {
	uint32_t instance;
	uint32_t flags;
	uint64_t vram_size;
	uint64_t vram_base;
	uint32_t link_peer;
	char node[64];
	char bus[64];
};

/**
 * phyr_list_devices() - find the vphyr instances
 * @devs: array receiving up to @max descriptions, sorted by instance
 * @max: room in @devs (may be 0 to count only)
 *
 * Looks at the devices drmGetDevices2() reports, then at any render node it
 * left out, and keeps those whose driver is "vphyr".
 *
 * Return: the number of instances found (which may exceed @max; only
 * min(@max, count) entries are written), 0 when there is none or no
 * /dev/dri at all, or a negative errno.
 */
int phyr_list_devices(struct phyr_device_info *devs, int max);

/**
 * phyr_find_drm_node() - find a DRM device node by driver name
 * @driver: driver name as drmGetVersion() reports it, e.g. "vgem"
 * @primary: true for the primary node (/dev/dri/cardN, which dumb buffers
 *	need), false for the render node
 * @path: receives the node path
 * @len: size of @path
 *
 * Return: 0, or -ENODEV if no such node exists.
 */
int phyr_find_drm_node(const char *driver, bool primary, char *path,
		       size_t len);

/* an open vphyr instance */
struct phyr_dev;

/**
 * phyr_open() - open a vphyr instance by number
 * @instance: the instance number (see phyr_list_devices())
 * @devp: receives the device
 *
 * Return: 0, -ENODEV if there is no such instance, or another negative
 * errno.
 */
int phyr_open(uint32_t instance, struct phyr_dev **devp);

/**
 * phyr_open_node() - open a vphyr instance by node path
 * @node: e.g. "/dev/dri/renderD129"
 * @devp: receives the device
 *
 * Return: 0, -ENODEV if @node is not a vphyr device, or another negative
 * errno.
 */
int phyr_open_node(const char *node, struct phyr_dev **devp);

/**
 * phyr_close() - close a device
 * @dev: the device, or NULL
 *
 * Every handle opened through @dev is closed with it; mappings stay valid
 * until unmapped.
 */
void phyr_close(struct phyr_dev *dev);

/* phyr_dev_fd() - the DRM file descriptor (owned by @dev) */
int phyr_dev_fd(const struct phyr_dev *dev);

/* phyr_dev_info() - the description read when @dev was opened */
const struct phyr_device_info *phyr_dev_info(const struct phyr_dev *dev);

/* phyr_dev_name() - "instance N (/dev/dri/renderDM)", for messages */
const char *phyr_dev_name(const struct phyr_dev *dev);

/**
 * phyr_dev_query() - read the description of an instance again
 * @dev: the device
 * @info: receives it (link_peer changes with phyr_link())
 *
 * Return: 0 or a negative errno.
 */
int phyr_dev_query(struct phyr_dev *dev, struct phyr_device_info *info);

/* ---- objects ---- */

/* phyr_page_size() - the CPU page size objects are sized in */
uint64_t phyr_page_size(void);

enum phyr_region {
	PHYR_REGION_VRAM = 1,
	PHYR_REGION_SYSTEM = 2,
};

/**
 * phyr_bo_create() - create an object
 * @dev: the instance
 * @size: bytes, a nonzero multiple of the page size
 * @region: where its memory comes from
 * @handle: receives its GEM handle
 *
 * Return: 0; -EINVAL for a bad size; -ENODEV for VRAM on an instance
 * without VRAM; -E2BIG when larger than the VRAM; -ENOSPC when the VRAM is
 * full; another negative errno.
 */
int phyr_bo_create(struct phyr_dev *dev, uint64_t size,
		   enum phyr_region region, uint32_t *handle);

/**
 * phyr_bo_userptr() - wrap memory of this process in an object
 * @dev: the instance
 * @addr: start, page aligned
 * @size: bytes, a nonzero multiple of the page size
 * @handle: receives its GEM handle
 *
 * The pages are pinned (charged to RLIMIT_MEMLOCK without CAP_IPC_LOCK)
 * and stay so while the object lives, even after munmap().
 *
 * Return: 0; -EINVAL for a misaligned range; -EFAULT for memory that is
 * not mapped writable; -ENOMEM past RLIMIT_MEMLOCK; another negative errno.
 */
int phyr_bo_userptr(struct phyr_dev *dev, void *addr, uint64_t size,
		    uint32_t *handle);

/* phyr_bo_close() - drop a handle (the object lives on while shared) */
int phyr_bo_close(struct phyr_dev *dev, uint32_t handle);

/**
 * phyr_bo_map() - map an object created on @dev for the CPU
 * @dev: the instance
 * @handle: the object (not an imported one)
 * @size: bytes to map from its start
 * @ptr: receives the address
 *
 * The mapping follows the object when it moves (eviction). Unmap with
 * phyr_bo_unmap().
 *
 * Return: 0 or a negative errno.
 */
int phyr_bo_map(struct phyr_dev *dev, uint32_t handle, uint64_t size,
		void **ptr);

/* phyr_bo_unmap() - undo phyr_bo_map(); @ptr may be NULL */
int phyr_bo_unmap(void *ptr, uint64_t size);

/**
 * phyr_bo_export() - export an object as a dma-buf
 * @dev: the instance
 * @handle: the object
 * @dmabuf_fd: receives a new file descriptor (close-on-exec, read-write)
 *
 * Return: 0 or a negative errno.
 */
int phyr_bo_export(struct phyr_dev *dev, uint32_t handle, int *dmabuf_fd);

/**
 * phyr_bo_import() - import a dma-buf from any exporter
 * @dev: the importing instance
 * @dmabuf_fd: the dma-buf (stays open; close it when done)
 * @handle: receives the handle of the imported object
 *
 * The importer maps the dma-buf when it first needs the DMA addresses
 * (phyr_bo_ranges(), phyr_bo_read(), ...).
 *
 * Return: 0 or a negative errno.
 */
int phyr_bo_import(struct phyr_dev *dev, int dmabuf_fd, uint32_t *handle);

/**
 * phyr_bo_read() - let the device read an object through its DMA addresses
 * @dev: the instance doing the access
 * @handle: an object created on @dev or imported into it
 * @offset: byte offset in the object
 * @buf: receives @size bytes
 * @size: bytes, nonzero, @offset + @size within the object
 *
 * Return: 0 or a negative errno (-EFAULT when an address does not resolve).
 */
int phyr_bo_read(struct phyr_dev *dev, uint32_t handle, uint64_t offset,
		 void *buf, uint64_t size);

/* phyr_bo_write() - the same, the device writes @buf into the object */
int phyr_bo_write(struct phyr_dev *dev, uint32_t handle, uint64_t offset,
		  const void *buf, uint64_t size);

/**
 * phyr_bo_copy() - device copy from one object to another
 * @dev: the instance doing both accesses
 * @src: object read (own or imported)
 * @src_offset: where to start reading
 * @dst: object written (own or imported)
 * @dst_offset: where to start writing
 * @size: bytes
 *
 * The device reads @src and writes @dst through their DMA addresses, in
 * pieces of at most 1 MiB staged in a bounce buffer.
 *
 * Return: 0 or a negative errno.
 */
int phyr_bo_copy(struct phyr_dev *dev, uint32_t src, uint64_t src_offset,
		 uint32_t dst, uint64_t dst_offset, uint64_t size);

/**
 * phyr_bo_evict() - move an object created on @dev to system memory
 * @dev: the instance
 * @handle: the object
 *
 * Importers are told (move_notify) and map it again on next use. An object
 * already in system memory is left alone.
 *
 * Return: 0; -EINVAL for an imported object; -EBUSY while pinned by a
 * non-dynamic importer; another negative errno.
 */
int phyr_bo_evict(struct phyr_dev *dev, uint32_t handle);

/* ---- range tables ---- */

enum phyr_ranges_kind {
	PHYR_RANGES_PHYS = 1,	/* physical ranges of an object of this instance */
	PHYR_RANGES_DMA = 2,	/* DMA ranges of an object it imported */
};

enum phyr_placement {
	PHYR_PLACE_UNKNOWN = 0,
	PHYR_PLACE_VRAM = 1,
	PHYR_PLACE_SYSTEM = 2,
	PHYR_PLACE_IMPORTED = 3,
	PHYR_PLACE_USERPTR = 4,		/* pinned pages of a process */
};

/* how the memory of a range is reached */
enum phyr_ic {
	PHYR_IC_HOST,		/* host (system) memory */
	PHYR_IC_DEVICE,		/* the device's own memory */
	PHYR_IC_P2P,		/* a PCI peer's memory */
	PHYR_IC_LINK,		/* a linked peer's memory, over the link */
};

/* how a DMA range was mapped (PHYR_VIA_NONE for physical ranges) */
enum phyr_via {
	PHYR_VIA_NONE,
	PHYR_VIA_DIRECT,	/* dma-direct, the physical address */
	PHYR_VIA_PAGE,		/* dma_map_page() */
	PHYR_VIA_BUS,		/* PCI bus address, peers below one switch */
	PHYR_VIA_HOST_BRIDGE,	/* dma_map_resource() through the host bridge */
	PHYR_VIA_IOMMU,		/* an IOVA */
	PHYR_VIA_LINK,		/* a link address */
	PHYR_VIA_SG,		/* taken from a foreign exporter's scatterlist */
	PHYR_VIA_UNKNOWN,	/* a value this library does not know */
};

/**
 * struct phyr_range - one range
 * @addr: CPU physical address (PHYR_RANGES_PHYS; 0 without CAP_SYS_ADMIN)
 *	or DMA address (PHYR_RANGES_DMA)
 * @len: bytes
 * @ic: interconnect
 * @via: how it was mapped (DMA ranges only)
 * @mmio: the memory is MMIO (a BAR)
 * @pinned: the memory cannot move
 * @flags: the raw VPHYR_RANGE_* bits
 */
struct phyr_range {
	uint64_t addr;
	uint64_t len;
	enum phyr_ic ic;
	enum phyr_via via;
	bool mmio;
	bool pinned;
	uint32_t flags;
};

/**
 * struct phyr_ranges - the ranges of an object as read back
 * @kind: which table
 * @placement: where the object is (PHYR_PLACE_IMPORTED for imports)
 * @generation: how often the backing moved (evictions of an own object,
 *	move notifications received for an import)
 * @total_len: sum of the lengths
 * @count: entries in @range
 * @range: the entries, allocated; free with phyr_ranges_free()
 */
struct phyr_ranges {
	enum phyr_ranges_kind kind;
	enum phyr_placement placement;
	uint32_t generation;
	uint64_t total_len;
	uint32_t count;
	struct phyr_range *range;
};

/**
 * phyr_bo_ranges() - read back the ranges of an object
 * @dev: the instance
 * @handle: an object created on @dev (its phyr list) or imported into it
 *	(its dma_range table, mapped first if needed)
 * @out: receives the table; free it with phyr_ranges_free()
 *
 * Asks for the count, then for the entries, and asks again if the table
 * grew in between.
 *
 * Return: 0 or a negative errno.
 */
int phyr_bo_ranges(struct phyr_dev *dev, uint32_t handle,
		   struct phyr_ranges *out);

/* phyr_ranges_free() - free the entries of @r (which may be zeroed) */
void phyr_ranges_free(struct phyr_ranges *r);

/* names for printing: "host", "device", "p2p", "link" */
const char *phyr_ic_name(enum phyr_ic ic);
/* "-", "direct", "page", "bus", "host-bridge", "iommu", "link", "sg", "?" */
const char *phyr_via_name(enum phyr_via via);
/* "?", "VRAM", "system", "imported", "userptr" */
const char *phyr_placement_name(enum phyr_placement placement);

/*
 * phyr_size_name() - @bytes for messages: "4 MiB", "12 KiB", "4097 bytes"
 * (the largest unit that divides it); returns @buf
 */
const char *phyr_size_name(uint64_t bytes, char *buf, size_t len);

/* ---- links ---- */

/**
 * phyr_link() - declare a GPU-to-GPU link between two instances
 * @a: one instance with VRAM
 * @b: another instance with VRAM
 *
 * While linked, each maps the other's VRAM through the link instead of
 * PCI. The link belongs to the devices and stays until phyr_unlink(),
 * whoever calls it. Needs CAP_SYS_ADMIN.
 *
 * Return: 0; -EBUSY if either is linked already; -ENODEV if either has no
 * VRAM; -EPERM; another negative errno.
 */
int phyr_link(struct phyr_dev *a, struct phyr_dev *b);

/* phyr_unlink() - remove it (-ENOENT if @a and @b are not linked) */
int phyr_unlink(struct phyr_dev *a, struct phyr_dev *b);

/* ---- dma-bufs ---- */

/**
 * struct phyr_dmabuf_info - what the kernel tells about a dma-buf
 * @size: bytes
 * @inode: inode number (the same buffer has the same inode in every
 *	process)
 * @exporter: name of the exporting driver, e.g. "vphyr"; "" if unknown
 */
struct phyr_dmabuf_info {
	uint64_t size;
	uint64_t inode;
	char exporter[32];
};

/* phyr_dmabuf_info() - describe the dma-buf @fd; 0 or a negative errno */
int phyr_dmabuf_info(int fd, struct phyr_dmabuf_info *info);

#define PHYR_SYNC_READ		(1u << 0)
#define PHYR_SYNC_WRITE		(1u << 1)
#define PHYR_SYNC_END		(1u << 2)	/* else start */

/* phyr_dmabuf_sync() - bracket CPU access to an mmap()ed dma-buf */
int phyr_dmabuf_sync(int fd, unsigned int flags);

#if defined(__cplusplus)
}
#endif

#endif /* LIBPHYR_H */
