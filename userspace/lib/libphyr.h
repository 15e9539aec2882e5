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
 * Names: everything here starts with vphyr_ (VPHYR_ for constants), then
 * says what it acts on:
 *   vphyr_dev_*	an open instance, struct vphyr_dev
 *   vphyr_bo_*		a buffer object, struct vphyr_bo: a reference counted
 *			GEM handle with its size, placement and device
 *   vphyr_gem_*	a raw GEM handle of a device, for callers that manage
 *			handles themselves (tests of the uAPI)
 *   vphyr_dmabuf_*	a dma-buf file descriptor
 *   vphyr_ranges_*, vphyr_link(), ...	the rest, one idea each
 * The kernel's phyr_* and PHYR_* names (phyr lists, their flags) and the
 * uAPI's drm_vphyr_* and VPHYR_* macros of vphyr_drm.h are not used here.
 *
 * Objects: a device keeps a table of its struct vphyr_bo by GEM handle, as
 * libdrm_amdgpu does. Whatever gives a handle the table holds already (a
 * dma-buf imported twice, or a dma-buf of the device's own object
 * imported back) gives the same object with one reference more, and the
 * handle is closed when the last reference goes (vphyr_bo_unref()). Do not
 * close a handle an object holds with vphyr_gem_close(), and do not mix
 * vphyr_gem_import() and vphyr_bo_import() of one dma-buf on one device:
 * both get the same handle.
 *
 * Lifetime: an object lives as long as a GEM handle or a dma-buf file
 * refers to it, so everything created here goes away with the process
 * (closing a struct vphyr_dev closes its handles and frees the objects
 * still in its table). Links between instances (vphyr_link()) are state
 * of the devices and outlive the process.
 *
 * Errors: functions that can fail return 0 (or a count) on success and a
 * negative errno value on failure, and then record a message saying what
 * failed and why; vphyr_last_error() returns it. The message is per thread.
 * The helpers of libphyr_test.h and libphyr_uapi.h's ioctls return errors
 * without a message.
 *
 * What tests need beyond the devices (data patterns, what this process
 * can learn about its own memory and files, test cases in child processes)
 * is in libphyr_test.h, and the ioctls one by one for tests that pass
 * invalid arguments are in libphyr_uapi.h: neither is installed, and
 * libphyr.so exports only what this header declares.
 *
 * Threads: a struct vphyr_dev, with its objects, may be used by one thread
 * at a time.
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
 * vphyr_last_error() - what the last failing call of this thread did wrong
 *
 * Return: a message such as "GEM_CREATE of 4 MiB in VRAM on instance 0
 * (/dev/dri/renderD128): No such device (ENODEV)"; "" before any error.
 * Valid until the next failing call in this thread.
 */
const char *vphyr_last_error(void);

/**
 * vphyr_errname() - symbolic name of an errno value
 * @err: an errno value, negative or positive
 *
 * Return: "EINVAL" for -EINVAL or EINVAL, "success" for 0, "errno N" for
 * values without a name here (in one of four buffers of this thread, used
 * in turn: up to four results may be printed together).
 */
const char *vphyr_errname(int err);

/* ---- devices ---- */

#define VPHYR_NO_PEER		0xffffffffu	/* vphyr_device_info.link_peer */

#define VPHYR_DEV_VRAM		(1u << 0)	/* the instance has VRAM */
#define VPHYR_DEV_IOMMU		(1u << 1)	/* its DMA is translated by an IOMMU */

/**
 * struct vphyr_device_info - one vphyr instance
 * @instance: instance number (0: the system-memory-only instance)
 * @flags: PHYR_DEV_*
 * @vram_size: size of the VRAM in bytes, 0 without VRAM
 * @vram_base: CPU physical address of the VRAM; 0 unless the caller has
 *	CAP_SYS_ADMIN
 * @link_peer: the instance this one is linked with, or VPHYR_NO_PEER
 * @node: its render node, e.g. "/dev/dri/renderD129"
 * @bus: where it sits, e.g. "pci:0000:00:03.0" or "platform:vphyr"; "" if
 *	libdrm could not tell
 */
struct vphyr_device_info {
	uint32_t instance;
	uint32_t flags;
	uint64_t vram_size;
	uint64_t vram_base;
	uint32_t link_peer;
	char node[64];
	char bus[64];
};

/**
 * vphyr_list_devices() - find the vphyr instances
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
int vphyr_list_devices(struct vphyr_device_info *devs, int max);

/**
 * vphyr_find_drm_node() - find a DRM device node by driver name
 * @driver: driver name as drmGetVersion() reports it, e.g. "vgem"
 * @primary: true for the primary node (/dev/dri/cardN, which dumb buffers
 *	need), false for the render node
 * @path: receives the node path
 * @len: size of @path
 *
 * Return: 0, or -ENODEV if no such node exists.
 */
int vphyr_find_drm_node(const char *driver, bool primary, char *path,
			size_t len);

/* an open vphyr instance */
struct vphyr_dev;

/**
 * vphyr_dev_open() - open a vphyr instance by number
 * @instance: the instance number (see vphyr_list_devices())
 * @devp: receives the device
 *
 * Return: 0, -ENODEV if there is no such instance, or another negative
 * errno.
 */
int vphyr_dev_open(uint32_t instance, struct vphyr_dev **devp);

/**
 * vphyr_dev_open_node() - open a vphyr instance by node path
 * @node: e.g. "/dev/dri/renderD129"
 * @devp: receives the device
 *
 * Return: 0, -ENODEV if @node is not a vphyr device, or another negative
 * errno.
 */
int vphyr_dev_open_node(const char *node, struct vphyr_dev **devp);

/**
 * vphyr_dev_open_fd() - open a vphyr instance from a DRM file descriptor
 * @fd: a DRM file descriptor of a vphyr device; it is duplicated, the
 *	caller keeps @fd and closes it when it likes
 * @devp: receives the device
 *
 * Objects of the device are those of the duplicate: GEM handles belong to
 * the open file, which @fd and the duplicate share.
 *
 * Return: 0, -ENODEV if @fd is not a vphyr device, -EBADF, or another
 * negative errno.
 */
int vphyr_dev_open_fd(int fd, struct vphyr_dev **devp);

/**
 * vphyr_dev_close() - close a device
 * @dev: the device, or NULL
 *
 * Every handle opened through @dev is closed with it, and the objects
 * left in its table are freed (their mappings with them); mappings made
 * with vphyr_gem_map() stay valid until unmapped.
 */
void vphyr_dev_close(struct vphyr_dev *dev);

/* vphyr_dev_fd() - the DRM file descriptor (owned by @dev) */
int vphyr_dev_fd(const struct vphyr_dev *dev);

/* vphyr_dev_info() - the description read when @dev was opened */
const struct vphyr_device_info *vphyr_dev_info(const struct vphyr_dev *dev);

/* vphyr_dev_name() - "instance N (/dev/dri/renderDM)", for messages */
const char *vphyr_dev_name(const struct vphyr_dev *dev);

/**
 * vphyr_dev_query() - read the description of an instance again
 * @dev: the device
 * @info: receives it (link_peer changes with vphyr_link())
 *
 * Return: 0 or a negative errno.
 */
int vphyr_dev_query(struct vphyr_dev *dev, struct vphyr_device_info *info);

/* ---- GEM handles ---- */

/* vphyr_page_size() - the CPU page size objects are sized in */
uint64_t vphyr_page_size(void);

enum vphyr_region {
	VPHYR_REGION_VRAM = 1,
	VPHYR_REGION_SYSTEM = 2,
};

/**
 * vphyr_gem_create() - create an object
 * @dev: the instance
 * @size: bytes, a nonzero multiple of the page size
 * @region: where its memory comes from
 * @handle: receives its GEM handle
 *
 * Return: 0; -EINVAL for a bad size; -ENODEV for VRAM on an instance
 * without VRAM; -E2BIG when larger than the VRAM; -ENOSPC when the VRAM is
 * full; another negative errno.
 */
int vphyr_gem_create(struct vphyr_dev *dev, uint64_t size,
		     enum vphyr_region region, uint32_t *handle);

/**
 * vphyr_gem_userptr() - wrap memory of this process in an object
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
int vphyr_gem_userptr(struct vphyr_dev *dev, void *addr, uint64_t size,
		      uint32_t *handle);

/* vphyr_gem_close() - drop a handle (the object lives on while shared) */
int vphyr_gem_close(struct vphyr_dev *dev, uint32_t handle);

/**
 * vphyr_gem_map() - map an object created on @dev for the CPU
 * @dev: the instance
 * @handle: the object (not an imported one)
 * @size: bytes to map from its start
 * @ptr: receives the address
 *
 * The mapping follows the object when it moves (eviction). Unmap with
 * vphyr_gem_unmap().
 *
 * Return: 0 or a negative errno.
 */
int vphyr_gem_map(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
		  void **ptr);

/* vphyr_gem_unmap() - undo vphyr_gem_map(); @ptr may be NULL */
int vphyr_gem_unmap(void *ptr, uint64_t size);

/**
 * vphyr_gem_export() - export an object as a dma-buf
 * @dev: the instance
 * @handle: the object
 * @dmabuf_fd: receives a new file descriptor (close-on-exec, read-write)
 *
 * Return: 0 or a negative errno.
 */
int vphyr_gem_export(struct vphyr_dev *dev, uint32_t handle, int *dmabuf_fd);

/**
 * vphyr_gem_import() - import a dma-buf from any exporter
 * @dev: the importing instance
 * @dmabuf_fd: the dma-buf (stays open; close it when done)
 * @handle: receives the handle of the imported object
 *
 * The importer maps the dma-buf when it first needs the DMA addresses
 * (vphyr_gem_ranges(), vphyr_gem_read(), ...).
 *
 * Return: 0 or a negative errno.
 */
int vphyr_gem_import(struct vphyr_dev *dev, int dmabuf_fd, uint32_t *handle);

/**
 * vphyr_gem_read() - let the device read an object through its DMA addresses
 * @dev: the instance doing the access
 * @handle: an object created on @dev or imported into it
 * @offset: byte offset in the object
 * @buf: receives @size bytes
 * @size: bytes, nonzero, @offset + @size within the object
 *
 * Return: 0 or a negative errno (-EFAULT when an address does not resolve).
 */
int vphyr_gem_read(struct vphyr_dev *dev, uint32_t handle, uint64_t offset,
		   void *buf, uint64_t size);

/* vphyr_gem_write() - the same, the device writes @buf into the object */
int vphyr_gem_write(struct vphyr_dev *dev, uint32_t handle, uint64_t offset,
		    const void *buf, uint64_t size);

/**
 * vphyr_gem_copy() - device copy from one object to another
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
int vphyr_gem_copy(struct vphyr_dev *dev, uint32_t src, uint64_t src_offset,
		   uint32_t dst, uint64_t dst_offset, uint64_t size);

/**
 * vphyr_gem_evict() - move an object created on @dev to system memory
 * @dev: the instance
 * @handle: the object
 *
 * Importers are told (move_notify) and map it again on next use. An object
 * already in system memory is left alone.
 *
 * Return: 0; -EINVAL for an imported object; -EBUSY while pinned by a
 * non-dynamic importer; another negative errno.
 */
int vphyr_gem_evict(struct vphyr_dev *dev, uint32_t handle);

/* ---- buffer objects ---- */

/* a reference counted GEM handle of one device */
struct vphyr_bo;
struct vphyr_ranges;

/**
 * vphyr_bo_create() - create an object
 * @dev: the instance
 * @size: bytes, a nonzero multiple of the page size
 * @region: where its memory comes from
 * @bop: receives the object, one reference
 *
 * Return: 0 or a negative errno, as vphyr_gem_create().
 */
int vphyr_bo_create(struct vphyr_dev *dev, uint64_t size,
		    enum vphyr_region region, struct vphyr_bo **bop);

/**
 * vphyr_bo_userptr() - wrap memory of this process in an object
 * @dev: the instance
 * @addr: start, page aligned
 * @size: bytes, a nonzero multiple of the page size
 * @bop: receives the object, one reference
 *
 * Return: 0 or a negative errno, as vphyr_gem_userptr().
 */
int vphyr_bo_userptr(struct vphyr_dev *dev, void *addr, uint64_t size,
		     struct vphyr_bo **bop);

/**
 * vphyr_bo_import() - import a dma-buf
 * @dev: the importing instance
 * @dmabuf_fd: the dma-buf (stays open; close it when done)
 * @bop: receives the object
 *
 * A dma-buf @dev has imported before, or one exported from an object of
 * @dev, gives the object it already has, with one reference more.
 *
 * Return: 0 or a negative errno.
 */
int vphyr_bo_import(struct vphyr_dev *dev, int dmabuf_fd,
		    struct vphyr_bo **bop);

/* vphyr_bo_ref() - take a reference; returns @bo (which may be NULL) */
struct vphyr_bo *vphyr_bo_ref(struct vphyr_bo *bo);

/**
 * vphyr_bo_unref() - drop a reference
 * @bo: the object, or NULL
 *
 * The last reference closes the GEM handle, unmaps the mapping of
 * vphyr_bo_map() and frees @bo.
 *
 * Return: 0, or the negative errno of closing the handle.
 */
int vphyr_bo_unref(struct vphyr_bo *bo);

/* vphyr_bo_handle() - the GEM handle, valid while @bo is referenced */
uint32_t vphyr_bo_handle(const struct vphyr_bo *bo);

/* vphyr_bo_size() - bytes (of the dma-buf for an import) */
uint64_t vphyr_bo_size(const struct vphyr_bo *bo);

/* vphyr_bo_dev() - the device @bo belongs to */
struct vphyr_dev *vphyr_bo_dev(const struct vphyr_bo *bo);

/*
 * vphyr_bo_placement() - where @bo is now: VRAM or system memory for an
 * object created on its device (asked of the kernel: eviction moves it),
 * VPHYR_PLACEMENT_IMPORTED or _USERPTR for the others, _UNKNOWN when the
 * kernel cannot tell
 */
enum vphyr_placement vphyr_bo_placement(const struct vphyr_bo *bo);

/**
 * vphyr_bo_map() - map an object created on its device for the CPU
 * @bo: the object
 * @ptr: receives the address of the whole object
 *
 * The mapping is made once and lasts until the last reference goes; it
 * follows the object when it moves.
 *
 * Return: 0 or a negative errno.
 */
int vphyr_bo_map(struct vphyr_bo *bo, void **ptr);

/* vphyr_bo_export() - vphyr_gem_export() of @bo's handle */
int vphyr_bo_export(struct vphyr_bo *bo, int *dmabuf_fd);

/* vphyr_bo_read() - vphyr_gem_read() by @bo's device */
int vphyr_bo_read(struct vphyr_bo *bo, uint64_t offset, void *buf,
		  uint64_t size);

/* vphyr_bo_write() - vphyr_gem_write() by @bo's device */
int vphyr_bo_write(struct vphyr_bo *bo, uint64_t offset, const void *buf,
		   uint64_t size);

/*
 * vphyr_bo_copy() - vphyr_gem_copy() between two objects of one device
 * (-EINVAL for objects of two devices)
 */
int vphyr_bo_copy(struct vphyr_bo *src, uint64_t src_offset,
		  struct vphyr_bo *dst, uint64_t dst_offset, uint64_t size);

/* vphyr_bo_evict() - vphyr_gem_evict() of @bo */
int vphyr_bo_evict(struct vphyr_bo *bo);

/* vphyr_bo_ranges() - vphyr_gem_ranges() of @bo */
int vphyr_bo_ranges(struct vphyr_bo *bo, struct vphyr_ranges *out);

/* ---- range tables ---- */

enum vphyr_ranges_kind {
	VPHYR_RANGES_KIND_PHYS = 1,	/* physical ranges of an object of this instance */
	VPHYR_RANGES_KIND_DMA = 2,	/* DMA ranges of an object it imported */
};

enum vphyr_placement {
	VPHYR_PLACEMENT_UNKNOWN = 0,
	VPHYR_PLACEMENT_VRAM = 1,
	VPHYR_PLACEMENT_SYSTEM = 2,
	VPHYR_PLACEMENT_IMPORTED = 3,
	VPHYR_PLACEMENT_USERPTR = 4,		/* pinned pages of a process */
};

/* how the memory of a range is reached */
enum vphyr_ic {
	VPHYR_IC_HOST,		/* host (system) memory */
	VPHYR_IC_DEVICE,		/* the device's own memory */
	VPHYR_IC_P2P,		/* a PCI peer's memory */
	VPHYR_IC_LINK,		/* a linked peer's memory, over the link */
};

/* how a DMA range was mapped (VPHYR_VIA_NONE for physical ranges) */
enum vphyr_via {
	VPHYR_VIA_NONE,
	VPHYR_VIA_DIRECT,	/* dma-direct, the physical address */
	VPHYR_VIA_PAGE,		/* dma_map_page() */
	VPHYR_VIA_BUS,		/* PCI bus address, peers below one switch */
	VPHYR_VIA_HOST_BRIDGE,	/* dma_map_resource() through the host bridge */
	VPHYR_VIA_IOMMU,		/* an IOVA */
	VPHYR_VIA_LINK,		/* a link address */
	VPHYR_VIA_SG,		/* taken from a foreign exporter's scatterlist */
	VPHYR_VIA_UNKNOWN,	/* a value this library does not know */
};

/**
 * struct vphyr_range - one range
 * @addr: CPU physical address (VPHYR_RANGES_KIND_PHYS; 0 without CAP_SYS_ADMIN)
 *	or DMA address (VPHYR_RANGES_KIND_DMA)
 * @len: bytes
 * @ic: interconnect
 * @via: how it was mapped (DMA ranges only)
 * @mmio: the memory is MMIO (a BAR)
 * @pinned: the memory cannot move
 * @flags: the raw VPHYR_RANGE_* bits
 */
struct vphyr_range {
	uint64_t addr;
	uint64_t len;
	enum vphyr_ic ic;
	enum vphyr_via via;
	bool mmio;
	bool pinned;
	uint32_t flags;
};

/**
 * struct vphyr_ranges - the ranges of an object as read back
 * @kind: which table
 * @placement: where the object is (VPHYR_PLACEMENT_IMPORTED for imports)
 * @generation: how often the backing moved (evictions of an own object,
 *	move notifications received for an import)
 * @total_len: sum of the lengths
 * @count: entries in @range
 * @range: the entries, allocated; free with vphyr_ranges_free()
 */
struct vphyr_ranges {
	enum vphyr_ranges_kind kind;
	enum vphyr_placement placement;
	uint32_t generation;
	uint64_t total_len;
	uint32_t count;
	struct vphyr_range *range;
};

/**
 * vphyr_gem_ranges() - read back the ranges of an object
 * @dev: the instance
 * @handle: an object created on @dev (its phyr list) or imported into it
 *	(its dma_range table, mapped first if needed)
 * @out: receives the table; free it with vphyr_ranges_free()
 *
 * Asks for the count, then for the entries, and asks again if the table
 * grew in between.
 *
 * Return: 0 or a negative errno.
 */
int vphyr_gem_ranges(struct vphyr_dev *dev, uint32_t handle,
		     struct vphyr_ranges *out);

/* vphyr_ranges_free() - free the entries of @r (which may be zeroed) */
void vphyr_ranges_free(struct vphyr_ranges *r);

/* names for printing: "host", "device", "p2p", "link" */
const char *vphyr_ic_name(enum vphyr_ic ic);
/* "-", "direct", "page", "bus", "host-bridge", "iommu", "link", "sg", "?" */
const char *vphyr_via_name(enum vphyr_via via);
/* "?", "VRAM", "system", "imported", "userptr" */
const char *vphyr_placement_name(enum vphyr_placement placement);

/*
 * vphyr_size_name() - @bytes for messages: "4 MiB", "12 KiB", "4097 bytes"
 * (the largest unit that divides it); returns @buf
 */
const char *vphyr_size_name(uint64_t bytes, char *buf, size_t len);

/* ---- links ---- */

/**
 * vphyr_link() - declare a GPU-to-GPU link between two instances
 * @a: one instance with VRAM
 * @b: another instance with VRAM
 *
 * While linked, each maps the other's VRAM through the link instead of
 * PCI. The link belongs to the devices and stays until vphyr_unlink(),
 * whoever calls it. Needs CAP_SYS_ADMIN.
 *
 * Return: 0; -EBUSY if either is linked already; -ENODEV if either has no
 * VRAM; -EPERM; another negative errno.
 */
int vphyr_link(struct vphyr_dev *a, struct vphyr_dev *b);

/* vphyr_unlink() - remove it (-ENOENT if @a and @b are not linked) */
int vphyr_unlink(struct vphyr_dev *a, struct vphyr_dev *b);

/* ---- dma-bufs ---- */

/**
 * struct vphyr_dmabuf_info - what the kernel tells about a dma-buf
 * @size: bytes
 * @inode: inode number (the same buffer has the same inode in every
 *	process)
 * @exporter: name of the exporting driver, e.g. "vphyr"; "" if unknown
 */
struct vphyr_dmabuf_info {
	uint64_t size;
	uint64_t inode;
	char exporter[32];
};

/* vphyr_dmabuf_info() - describe the dma-buf @fd; 0 or a negative errno */
int vphyr_dmabuf_info(int fd, struct vphyr_dmabuf_info *info);

#define VPHYR_SYNC_READ		(1u << 0)
#define VPHYR_SYNC_WRITE		(1u << 1)
#define VPHYR_SYNC_END		(1u << 2)	/* else start */

/* vphyr_dmabuf_sync() - bracket CPU access to an mmap()ed dma-buf */
int vphyr_dmabuf_sync(int fd, unsigned int flags);

#if defined(__cplusplus)
}
#endif

#endif /* LIBPHYR_H */
