// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr: userspace access to vphyr over libdrm. See libphyr.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "vphyr_drm.h"
#include "libphyr.h"
#include "libphyr_uapi.h"
#include "libphyr_priv.h"

#define MAX_NODES	64
#define COPY_CHUNK	(1u << 20)
#define MAX_RANGES	(1u << 24)

/* ---- errors ---- */

static _Thread_local char last_error[512];

const char *vphyr_last_error(void)
{
	return last_error;
}

static int vfail(int err, const char *fmt, va_list ap)
{
	char what[384];

	if (err >= 0)
		err = -EIO;
	vsnprintf(what, sizeof(what), fmt, ap);
	snprintf(last_error, sizeof(last_error), "%s: %s (%s)", what,
		 strerror(-err), vphyr_errname(err));
	return err;
}

/*
 * Record "<what>: <strerror> (<ENAME>)" and return @err, a negative errno.
 */
static int __attribute__((format(printf, 2, 3)))
fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(err, fmt, ap);
	va_end(ap);
	return err;
}

int vphyr_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = vfail(err, fmt, ap);
	va_end(ap);
	return err;
}

/* errno after a failed call, never 0 */
static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* ---- sizes in messages ---- */

const char *vphyr_size_name(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB",
					    "TiB" };
	int u = 0;

	while (u < 4 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", v, unit[u]);
	return buf;
}

/* ---- devices ---- */

static bool driver_is(int fd, const char *name)
{
	drmVersionPtr v = drmGetVersion(fd);
	bool ok;

	if (!v)
		return false;
	ok = v->name && !strcmp(v->name, name);
	drmFreeVersion(v);
	return ok;
}

static int query_info(int fd, struct vphyr_device_info *info)
{
	struct drm_vphyr_info vi;
	int ret;

	ret = vphyr_uapi_info(fd, &vi);
	if (ret)
		return ret;
	info->instance = vi.instance;
	info->flags = 0;
	if (vi.flags & VPHYR_INFO_VRAM)
		info->flags |= VPHYR_DEV_VRAM;
	if (vi.flags & VPHYR_INFO_IOMMU)
		info->flags |= VPHYR_DEV_IOMMU;
	info->vram_size = vi.vram_size;
	info->vram_base = vi.vram_base;
	info->link_peer = vi.link_peer;
	return 0;
}

/* A DRM node found by a scan: its path and where it sits. */
struct node {
	char path[64];
	char bus[64];
	dev_t rdev;
};

static void bus_string(drmDevicePtr d, char *buf, size_t len)
{
	buf[0] = '\0';
	switch (d->bustype) {
	case DRM_BUS_PCI:
		if (d->businfo.pci)
			snprintf(buf, len, "pci:%04x:%02x:%02x.%u",
				 d->businfo.pci->domain, d->businfo.pci->bus,
				 d->businfo.pci->dev, d->businfo.pci->func);
		break;
	case DRM_BUS_PLATFORM:
		if (d->businfo.platform)
			snprintf(buf, len, "platform:%.50s",
				 d->businfo.platform->fullname);
		break;
	default:
		break;
	}
}

static bool have_rdev(const struct node *nodes, int n, dev_t rdev)
{
	int i;

	for (i = 0; i < n; i++)
		if (nodes[i].rdev == rdev)
			return true;
	return false;
}

static int add_node(struct node *nodes, int n, const char *path,
		    const char *bus)
{
	struct stat st;

	if (n >= MAX_NODES || strlen(path) >= sizeof(nodes[0].path))
		return n;
	if (stat(path, &st) || !S_ISCHR(st.st_mode) ||
	    have_rdev(nodes, n, st.st_rdev))
		return n;
	snprintf(nodes[n].path, sizeof(nodes[n].path), "%s", path);
	snprintf(nodes[n].bus, sizeof(nodes[n].bus), "%s", bus);
	nodes[n].rdev = st.st_rdev;
	return n + 1;
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * The render (or primary) nodes of every DRM device: those drmGetDevices2()
 * reports first, then any node of the right kind it left out (libdrm skips
 * devices on buses it cannot parse).
 */
static int scan_nodes(bool primary, struct node *nodes)
{
	int type = primary ? DRM_NODE_PRIMARY : DRM_NODE_RENDER;
	const char *prefix = primary ? "card" : "renderD";
	drmDevicePtr devs[MAX_NODES];
	struct dirent **ents;
	char bus[64], path[64];
	int n = 0, nd, i;

	nd = drmGetDevices2(0, devs, MAX_NODES);
	for (i = 0; i < nd; i++) {
		if (devs[i]->available_nodes & (1 << type)) {
			bus_string(devs[i], bus, sizeof(bus));
			n = add_node(nodes, n, devs[i]->nodes[type], bus);
		}
	}
	if (nd > 0)
		drmFreeDevices(devs, nd);

	nd = scandir("/dev/dri", &ents, NULL, cmp_dirent);
	for (i = 0; i < nd; i++) {
		const char *name = ents[i]->d_name;

		if (!strncmp(name, prefix, strlen(prefix)) &&
		    strlen(name) < 40) {
			snprintf(path, sizeof(path), "/dev/dri/%.40s", name);
			n = add_node(nodes, n, path, "");
		}
		free(ents[i]);
	}
	if (nd >= 0)
		free(ents);
	return n;
}

static int cmp_info(const void *a, const void *b)
{
	const struct vphyr_device_info *x = a, *y = b;

	return x->instance < y->instance ? -1 : x->instance > y->instance;
}

/* Every vphyr instance, sorted; *found gets the count (max MAX_NODES). */
static int collect_devices(struct vphyr_device_info *all, int *found)
{
	struct node *nodes;
	int n, i, fd, count = 0;

	nodes = calloc(MAX_NODES, sizeof(*nodes));
	if (!nodes)
		return fail(-ENOMEM, "listing DRM nodes");
	n = scan_nodes(false, nodes);
	for (i = 0; i < n; i++) {
		struct vphyr_device_info *info = &all[count];

		fd = open(nodes[i].path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (driver_is(fd, "vphyr")) {
			memset(info, 0, sizeof(*info));
			if (!query_info(fd, info)) {
				snprintf(info->node, sizeof(info->node), "%s",
					 nodes[i].path);
				snprintf(info->bus, sizeof(info->bus), "%s",
					 nodes[i].bus);
				count++;
			}
		}
		close(fd);
	}
	free(nodes);
	qsort(all, count, sizeof(*all), cmp_info);
	*found = count;
	return 0;
}

int vphyr_list_devices(struct vphyr_device_info *devs, int max)
{
	struct vphyr_device_info *all;
	int count, ret;

	all = calloc(MAX_NODES, sizeof(*all));
	if (!all)
		return fail(-ENOMEM, "listing vphyr devices");
	ret = collect_devices(all, &count);
	if (!ret && devs && max > 0)
		memcpy(devs, all, (count < max ? count : max) * sizeof(*all));
	free(all);
	return ret ? ret : count;
}

int vphyr_find_drm_node(const char *driver, bool primary, char *path,
			size_t len)
{
	struct node *nodes;
	int n, i, fd, ret = -ENODEV;

	nodes = calloc(MAX_NODES, sizeof(*nodes));
	if (!nodes)
		return fail(-ENOMEM, "listing DRM nodes");
	n = scan_nodes(primary, nodes);
	for (i = 0; i < n && ret; i++) {
		fd = open(nodes[i].path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (driver_is(fd, driver)) {
			snprintf(path, len, "%s", nodes[i].path);
			ret = 0;
		}
		close(fd);
	}
	free(nodes);
	if (ret)
		return fail(ret, "no %s node of a DRM device named \"%s\"",
			    primary ? "primary" : "render", driver);
	return 0;
}

/*
 * Make a device of @fd, a DRM file descriptor the device then owns (closed
 * here on failure) opened on @node.
 */
static int setup_dev(int fd, const char *node, struct vphyr_dev **devp)
{
	struct vphyr_dev *dev;
	int ret;

	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		ret = fail(-ENOMEM, "opening %s", node);
		goto err_close;
	}
	dev->fd = fd;
	if (!driver_is(fd, "vphyr")) {
		ret = fail(-ENODEV, "%s is not a vphyr device", node);
		goto err_free;
	}
	ret = query_info(fd, &dev->info);
	if (ret) {
		fail(ret, "INFO on %s", node);
		goto err_free;
	}
	snprintf(dev->info.node, sizeof(dev->info.node), "%s", node);
	snprintf(dev->name, sizeof(dev->name), "instance %u (%s)",
		 dev->info.instance, node);
	*devp = dev;
	return 0;

err_free:
	free(dev);
err_close:
	close(fd);
	return ret;
}

static int open_node(const char *node, struct vphyr_dev **devp)
{
	int fd;

	*devp = NULL;
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail(neg_errno(), "open %s", node);
	return setup_dev(fd, node, devp);
}

int vphyr_dev_open(uint32_t instance, struct vphyr_dev **devp)
{
	struct vphyr_device_info *all;
	char have[160] = "";
	int count, i, ret;
	size_t len;

	*devp = NULL;
	all = calloc(MAX_NODES, sizeof(*all));
	if (!all)
		return fail(-ENOMEM, "opening vphyr instance %u", instance);
	ret = collect_devices(all, &count);
	if (ret)
		goto out;
	for (i = 0; i < count; i++)
		if (all[i].instance == instance)
			break;
	if (i < count) {
		ret = open_node(all[i].node, devp);
		if (!ret)
			snprintf((*devp)->info.bus, sizeof((*devp)->info.bus),
				 "%s", all[i].bus);
		goto out;
	}
	for (i = 0; i < count; i++) {
		len = strlen(have);
		snprintf(have + len, sizeof(have) - len, "%s%u", i ? ", " : "",
			 all[i].instance);
	}
	if (count)
		ret = fail(-ENODEV, "no vphyr instance %u (there are: %s)",
			   instance, have);
	else
		ret = fail(-ENODEV, "no vphyr instance %u: no vphyr devices",
			   instance);
out:
	free(all);
	return ret;
}

int vphyr_dev_open_node(const char *node, struct vphyr_dev **devp)
{
	return open_node(node, devp);
}

int vphyr_dev_open_fd(int fd, struct vphyr_dev **devp)
{
	char node[64];
	char *name;
	int own;

	*devp = NULL;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return fail(neg_errno(), "duplicating DRM fd %d", fd);
	name = drmGetDeviceNameFromFd2(own);
	snprintf(node, sizeof(node), "%s", name ? name : "DRM fd");
	free(name);
	return setup_dev(own, node, devp);
}

void vphyr_dev_close(struct vphyr_dev *dev)
{
	if (!dev)
		return;
	vphyr_bo_table_free(dev);
	close(dev->fd);
	free(dev);
}

int vphyr_dev_fd(const struct vphyr_dev *dev)
{
	return dev->fd;
}

const struct vphyr_device_info *vphyr_dev_info(const struct vphyr_dev *dev)
{
	return &dev->info;
}

const char *vphyr_dev_name(const struct vphyr_dev *dev)
{
	return dev->name;
}

int vphyr_dev_query(struct vphyr_dev *dev, struct vphyr_device_info *info)
{
	int ret = query_info(dev->fd, &dev->info);

	if (ret)
		return fail(ret, "INFO on %s", dev->name);
	if (info)
		*info = dev->info;
	return 0;
}

/* ---- objects ---- */

int vphyr_gem_create(struct vphyr_dev *dev, uint64_t size,
		     enum vphyr_region region, uint32_t *handle)
{
	uint32_t flags;
	char s[32];
	int ret;

	*handle = 0;
	if (region == VPHYR_REGION_VRAM)
		flags = VPHYR_GEM_VRAM;
	else if (region == VPHYR_REGION_SYSTEM)
		flags = VPHYR_GEM_SYSTEM;
	else
		return fail(-EINVAL, "GEM_CREATE on %s: unknown region %d",
			    dev->name, (int)region);
	ret = vphyr_uapi_gem_create(dev->fd, size, flags, handle);
	if (ret)
		return fail(ret, "GEM_CREATE of %s in %s on %s",
			    vphyr_size_name(size, s, sizeof(s)),
			    region == VPHYR_REGION_VRAM ? "VRAM" : "system memory",
			    dev->name);
	return 0;
}

int vphyr_gem_userptr(struct vphyr_dev *dev, void *addr, uint64_t size,
		      uint32_t *handle)
{
	char s[32];
	int ret;

	ret = vphyr_uapi_gem_userptr(dev->fd, (uintptr_t)addr, size, 0, handle);
	if (ret)
		return fail(ret, "GEM_USERPTR of %s at %p on %s",
			    vphyr_size_name(size, s, sizeof(s)), addr, dev->name);
	return 0;
}

int vphyr_gem_close(struct vphyr_dev *dev, uint32_t handle)
{
	int ret = vphyr_uapi_gem_close(dev->fd, handle);

	if (ret)
		return fail(ret, "GEM_CLOSE of handle %u on %s", handle,
			    dev->name);
	return 0;
}

int vphyr_gem_map(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
		  void **ptr)
{
	uint64_t offset;
	void *p;
	int ret;

	*ptr = NULL;
	if (!size || size > SIZE_MAX)
		return fail(-EINVAL, "mmap of handle %u on %s: size %" PRIu64,
			    handle, dev->name, size);
	ret = vphyr_uapi_gem_mmap(dev->fd, handle, 0, &offset);
	if (ret)
		return fail(ret, "GEM_MMAP of handle %u on %s", handle,
			    dev->name);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd,
		 offset);
	if (p == MAP_FAILED)
		return fail(neg_errno(), "mmap of handle %u on %s", handle,
			    dev->name);
	*ptr = p;
	return 0;
}

int vphyr_gem_unmap(void *ptr, uint64_t size)
{
	if (ptr && munmap(ptr, size))
		return fail(neg_errno(), "munmap");
	return 0;
}

int vphyr_gem_export(struct vphyr_dev *dev, uint32_t handle, int *dmabuf_fd)
{
	int ret = vphyr_uapi_prime_export(dev->fd, handle, dmabuf_fd);

	if (ret)
		return fail(ret, "PRIME export of handle %u on %s", handle,
			    dev->name);
	return 0;
}

int vphyr_gem_import(struct vphyr_dev *dev, int dmabuf_fd, uint32_t *handle)
{
	int ret = vphyr_uapi_prime_import(dev->fd, dmabuf_fd, handle);

	if (ret)
		return fail(ret, "PRIME import of dma-buf fd %d into %s",
			    dmabuf_fd, dev->name);
	return 0;
}

static int gem_dma(struct vphyr_dev *dev, uint32_t handle, uint32_t flags,
		   uint64_t offset, const void *buf, uint64_t size)
{
	char s[32];
	int ret;

	/* the device only reads from buf for a write */
	ret = vphyr_uapi_gem_dma(dev->fd, handle, flags, offset, size,
				 (void *)(uintptr_t)buf);
	if (ret)
		return fail(ret, "GEM_DMA %s of %s at offset 0x%" PRIx64
			    " of handle %u on %s",
			    flags == VPHYR_DMA_READ ? "read" : "write",
			    vphyr_size_name(size, s, sizeof(s)), offset, handle,
			    dev->name);
	return 0;
}

int vphyr_gem_read(struct vphyr_dev *dev, uint32_t handle, uint64_t offset,
		   void *buf, uint64_t size)
{
	return gem_dma(dev, handle, VPHYR_DMA_READ, offset, buf, size);
}

int vphyr_gem_write(struct vphyr_dev *dev, uint32_t handle, uint64_t offset,
		    const void *buf, uint64_t size)
{
	return gem_dma(dev, handle, VPHYR_DMA_WRITE, offset, buf, size);
}

int vphyr_gem_copy(struct vphyr_dev *dev, uint32_t src, uint64_t src_offset,
		   uint32_t dst, uint64_t dst_offset, uint64_t size)
{
	uint64_t done = 0, n;
	void *buf;
	int ret = 0;

	if (!size)
		return fail(-EINVAL, "device copy on %s: size 0", dev->name);
	n = size < COPY_CHUNK ? size : COPY_CHUNK;
	/* zeroed: what the kernel writes into it is then "defined" to tools */
	buf = calloc(1, n);
	if (!buf)
		return fail(-ENOMEM, "device copy on %s", dev->name);
	while (done < size) {
		n = size - done < COPY_CHUNK ? size - done : COPY_CHUNK;
		ret = vphyr_gem_read(dev, src, src_offset + done, buf, n);
		if (ret)
			break;
		ret = vphyr_gem_write(dev, dst, dst_offset + done, buf, n);
		if (ret)
			break;
		done += n;
	}
	free(buf);
	return ret;
}

int vphyr_gem_evict(struct vphyr_dev *dev, uint32_t handle)
{
	int ret = vphyr_uapi_gem_evict(dev->fd, handle, 0);

	if (ret)
		return fail(ret, "GEM_EVICT of handle %u on %s", handle,
			    dev->name);
	return 0;
}

/* ---- range tables ---- */

/*
 * The uAPI's codes are small numbers in their fields: the tables below are
 * indexed by them.
 */
_Static_assert(VPHYR_RANGE_VIA_SG >> 4 == 6 && VPHYR_RANGE_IC_LINK == 3 &&
	       VPHYR_PLACE_USERPTR == 4, "vphyr uAPI codes as tabulated");

static enum vphyr_via decode_via(uint32_t flags)
{
	static const enum vphyr_via via[8] = {
		VPHYR_VIA_DIRECT, VPHYR_VIA_PAGE, VPHYR_VIA_BUS,
		VPHYR_VIA_HOST_BRIDGE, VPHYR_VIA_IOMMU, VPHYR_VIA_LINK,
		VPHYR_VIA_SG, VPHYR_VIA_UNKNOWN,
	};

	return via[(flags & VPHYR_RANGE_VIA_MASK) >> 4];
}

static enum vphyr_ic decode_ic(uint32_t flags)
{
	static const enum vphyr_ic ic[4] = {
		VPHYR_IC_HOST, VPHYR_IC_DEVICE, VPHYR_IC_P2P, VPHYR_IC_LINK,
	};

	return ic[flags & VPHYR_RANGE_IC_MASK];
}

static enum vphyr_placement decode_placement(uint32_t p)
{
	static const enum vphyr_placement place[] = {
		VPHYR_PLACEMENT_UNKNOWN, VPHYR_PLACEMENT_VRAM, VPHYR_PLACEMENT_SYSTEM,
		VPHYR_PLACEMENT_IMPORTED, VPHYR_PLACEMENT_USERPTR,
	};

	return p < sizeof(place) / sizeof(place[0]) ? place[p] :
						       VPHYR_PLACEMENT_UNKNOWN;
}

int vphyr_gem_ranges(struct vphyr_dev *dev, uint32_t handle,
		     struct vphyr_ranges *out)
{
	struct drm_vphyr_range *raw = NULL;
	struct drm_vphyr_gem_ranges q;
	uint32_t room = 0, i;
	int tries, ret;

	memset(out, 0, sizeof(*out));
	/* count, then fetch; the table may grow in between (a move) */
	for (tries = 0; tries < 8; tries++) {
		memset(&q, 0, sizeof(q));
		q.handle = handle;
		q.count = room;
		q.ranges_ptr = (uintptr_t)raw;
		ret = vphyr_uapi_gem_ranges(dev->fd, &q);
		if (ret) {
			free(raw);
			return fail(ret, "GEM_RANGES of handle %u on %s",
				    handle, dev->name);
		}
		if (q.count <= room && (room || !q.count))
			break;
		if (q.count > MAX_RANGES) {
			free(raw);
			return fail(-E2BIG, "GEM_RANGES of handle %u on %s: %u ranges",
				    handle, dev->name, q.count);
		}
		free(raw);
		room = q.count;
		/* zeroed, so that tools like valgrind see defined memory */
		raw = calloc(room, sizeof(*raw));
		if (!raw)
			return fail(-ENOMEM, "GEM_RANGES of handle %u on %s",
				    handle, dev->name);
	}
	if (q.count > room) {
		free(raw);
		return fail(-EAGAIN, "GEM_RANGES of handle %u on %s: the table keeps changing",
			    handle, dev->name);
	}

	out->count = q.count;
	out->kind = q.kind == VPHYR_RANGES_DMA ? VPHYR_RANGES_KIND_DMA :
						  VPHYR_RANGES_KIND_PHYS;
	out->placement = decode_placement(q.placement);
	out->generation = q.generation;
	out->total_len = q.total_len;
	if (q.count) {
		out->range = calloc(q.count, sizeof(*out->range));
		if (!out->range) {
			free(raw);
			out->count = 0;
			return fail(-ENOMEM, "GEM_RANGES of handle %u on %s",
				    handle, dev->name);
		}
	}
	for (i = 0; i < q.count; i++) {
		struct vphyr_range *r = &out->range[i];

		r->addr = raw[i].addr;
		r->len = raw[i].len;
		r->flags = raw[i].flags;
		r->ic = decode_ic(raw[i].flags);
		r->mmio = raw[i].flags & VPHYR_RANGE_MMIO;
		r->pinned = raw[i].flags & VPHYR_RANGE_PINNED;
		r->via = out->kind == VPHYR_RANGES_KIND_DMA ?
			 decode_via(raw[i].flags) : VPHYR_VIA_NONE;
	}
	free(raw);
	return 0;
}

void vphyr_ranges_free(struct vphyr_ranges *r)
{
	if (!r)
		return;
	free(r->range);
	r->range = NULL;
	r->count = 0;
}

/* names in the order of the enums of libphyr.h */
static const char *const ic_names[] = { "host", "device", "p2p", "link" };
static const char *const via_names[] = {
	"-", "direct", "page", "bus", "host-bridge", "iommu", "link", "sg",
};
static const char *const placement_names[] = {
	NULL, "VRAM", "system", "imported", "userptr",
};

_Static_assert(sizeof(ic_names) / sizeof(ic_names[0]) == VPHYR_IC_LINK + 1,
	       "a name for every enum vphyr_ic");
_Static_assert(sizeof(via_names) / sizeof(via_names[0]) == VPHYR_VIA_UNKNOWN,
	       "a name for every enum vphyr_via but VPHYR_VIA_UNKNOWN");
_Static_assert(sizeof(placement_names) / sizeof(placement_names[0]) ==
	       VPHYR_PLACEMENT_USERPTR + 1, "a name for every enum vphyr_placement");

/* names[i], or "?" for a value without a name */
#define NAME_OF(names, i) \
	((unsigned int)(i) < sizeof(names) / sizeof((names)[0]) && \
	 (names)[(unsigned int)(i)] ? (names)[(unsigned int)(i)] : "?")

const char *vphyr_ic_name(enum vphyr_ic ic)
{
	return NAME_OF(ic_names, ic);
}

const char *vphyr_via_name(enum vphyr_via via)
{
	return NAME_OF(via_names, via);
}

const char *vphyr_placement_name(enum vphyr_placement placement)
{
	return NAME_OF(placement_names, placement);
}

/* ---- links ---- */

static int link_op(struct vphyr_dev *a, struct vphyr_dev *b, uint32_t flags)
{
	int ret = vphyr_uapi_link(a->fd, b->fd, flags);

	if (ret)
		return fail(ret, "%s %s %s %s",
			    flags & VPHYR_LINK_REMOVE ? "unlink" : "link",
			    a->name, flags & VPHYR_LINK_REMOVE ? "from" : "with",
			    b->name);
	return 0;
}

int vphyr_link(struct vphyr_dev *a, struct vphyr_dev *b)
{
	return link_op(a, b, 0);
}

int vphyr_unlink(struct vphyr_dev *a, struct vphyr_dev *b)
{
	return link_op(a, b, VPHYR_LINK_REMOVE);
}

/* ---- dma-bufs ---- */

int vphyr_dmabuf_info(int fd, struct vphyr_dmabuf_info *info)
{
	char path[64], line[128];
	struct stat st;
	off_t end;
	FILE *f;

	memset(info, 0, sizeof(*info));
	if (fstat(fd, &st))
		return fail(neg_errno(), "fstat of dma-buf fd %d", fd);
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return fail(neg_errno(), "size of dma-buf fd %d", fd);
	lseek(fd, 0, SEEK_SET);
	info->size = end;
	info->inode = st.st_ino;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "exp_name:", 9)) {
			char *s = line + 9;

			s += strspn(s, " \t");
			s[strcspn(s, "\n")] = '\0';
			snprintf(info->exporter, sizeof(info->exporter), "%s", s);
			break;
		}
	}
	fclose(f);
	return 0;
}

int vphyr_dmabuf_sync(int fd, unsigned int flags)
{
	struct dma_buf_sync s = { 0 };
	int ret;

	if (flags & VPHYR_SYNC_READ)
		s.flags |= DMA_BUF_SYNC_READ;
	if (flags & VPHYR_SYNC_WRITE)
		s.flags |= DMA_BUF_SYNC_WRITE;
	s.flags |= flags & VPHYR_SYNC_END ? DMA_BUF_SYNC_END :
					   DMA_BUF_SYNC_START;
	do {
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? neg_errno() : 0;
	} while (ret == -EINTR || ret == -EAGAIN);
	if (ret)
		return fail(ret, "DMA_BUF_IOCTL_SYNC on fd %d", fd);
	return 0;
}
