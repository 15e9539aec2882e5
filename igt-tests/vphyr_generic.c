// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr generic
 * Category: Core
 * Mega feature: phyr
 * Sub-category: DRM core
 * Functionality: what the DRM core gives a render driver
 * Description: vphyr behaves as a generic render-capable DRM driver: its
 *	version, debugfs file, dumb buffers on the card node (in VRAM where
 *	the instance has some), sync objects with timelines and sync file
 *	import, master and authentication on the card node, and Mesa's GBM
 *	allocating VRAM through the dumb buffers, shared with another
 *	instance by dma-buf.
 * Test category: functionality test
 *
 * SUBTEST: version
 * Description: DRM_IOCTL_VERSION gives vphyr's name, description and
 *	version 1.1 or later on the card and render nodes; the syncobj and
 *	PRIME capabilities are reported.
 *
 * SUBTEST: debugfs-info
 * Description: dri/<card minor>/vphyr_info in debugfs names the instance
 *	and its VRAM; the bytes used grow by a dumb buffer's size and go back.
 *
 * SUBTEST: dumb-buffer
 * Description: A dumb buffer created on the card node lands in VRAM (system
 *	memory on the instance without VRAM), maps through MAP_DUMB, what the
 *	CPU writes the device reads by DMA and the other way round, and
 *	DESTROY_DUMB removes the handle.
 *
 * SUBTEST: dumb-bad-input
 * Description: Zero sizes, flags, overflowing sizes, a buffer larger than
 *	the VRAM, a full VRAM, the render node, unknown and imported handles
 *	fail with the errno the DRM core uses.
 *
 * SUBTEST: syncobj-binary
 * Description: Binary sync objects: create (signalled or not), signal,
 *	reset, wait, share by fd with another instance, destroy; bad flags,
 *	pads and handles fail.
 *
 * SUBTEST: syncobj-timeline
 * Description: Timeline sync objects: signal points, query the last one,
 *	wait for a point, transfer a binary fence to a point.
 *
 * SUBTEST: syncobj-sw-sync-import
 * Description: A sw_sync fence imported from its sync file into a sync
 *	object keeps it unsignalled until the timeline advances; the sync
 *	file exported back is signalled; a file that is no sync file fails.
 *
 * SUBTEST: master-auth
 * Description: The first opener of the card node is master; a second one,
 *	opened without CAP_SYS_ADMIN, is refused DRM_AUTH ioctls until the
 *	master (and only the master) authenticates its magic; the master can
 *	be dropped and taken over; the render node has no magic.
 *
 * SUBTEST: gbm-vram-share
 * Description: gbm_bo_create(LINEAR) on a VRAM instance's card node gives
 *	a VRAM buffer; what the CPU wrote through gbm_bo_map() another
 *	instance reads by DMA from the dma-buf of gbm_bo_get_fd(), as the
 *	P2P topology says, and its DMA write shows through GBM.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <xf86drm.h>
#ifndef VPHYR_NO_GBM
#include <gbm.h>
#endif

#include "igt_vphyr.h"

IGT_TEST_DESCRIPTION("vphyr as a generic DRM driver: version, dumb buffers, syncobj, master, GBM");

#define DUMB_ALIGN	64	/* vphyr's pitch alignment */
#define SW_SYNC_PATH	"/sys/kernel/debug/sync/sw_sync"

/* include/uapi/linux/sync_file.h has no sw_sync part: as in sw_sync.c */
struct sw_sync_create_fence_data {
	uint32_t value;
	char name[32];
	int32_t fence;
};

#define SW_SYNC_IOC_MAGIC	'W'
#define SW_SYNC_IOC_CREATE_FENCE \
	_IOWR(SW_SYNC_IOC_MAGIC, 0, struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC		_IOW(SW_SYNC_IOC_MAGIC, 1, uint32_t)

static struct igt_vphyr_env env;

/*
 * The card node files open now: a subtest that fails leaves its files
 * open, and the first file of a card node is its master, which the
 * master-auth subtest needs to be.
 */
static int cards[8];
static int ncards;

/* The card node of instance @i, opened anew. */
static int open_card(int i)
{
	char *name = drmGetPrimaryDeviceNameFromFd(env.dev[i].fd);
	int fd;

	igt_assert_f(name, "%s has no card node\n", env.dev[i].path);
	igt_assert(ncards < (int)(sizeof(cards) / sizeof(cards[0])));
	fd = open(name, O_RDWR | O_CLOEXEC);
	igt_assert_f(fd >= 0, "open %s: %s\n", name, strerror(errno));
	free(name);
	cards[ncards++] = fd;
	return fd;
}

static void close_card(int fd)
{
	for (int k = 0; k < ncards; k++) {
		if (cards[k] == fd) {
			cards[k] = cards[--ncards];
			break;
		}
	}
	close(fd);
}

/* Close what failed subtests left open. */
static void close_cards(void)
{
	while (ncards)
		close(cards[--ncards]);
}

static int card_minor(int card)
{
	char *name = drmGetDeviceNameFromFd2(card);
	int minor;

	igt_assert(name);
	igt_assert_f(sscanf(name, "/dev/dri/card%d", &minor) == 1,
		     "%s is no card node\n", name);
	free(name);
	return minor;
}

/* The VRAM instance with the least VRAM, or -1. */
static int smallest_vram(void)
{
	int best = -1;

	for (int k = 0; k < env.nvram; k++) {
		int i = env.vram[k];

		if (best < 0 ||
		    env.dev[i].info.vram_size < env.dev[best].info.vram_size)
			best = i;
	}
	return best;
}

static int __dumb_create(int fd, uint32_t width, uint32_t height,
			 uint32_t bpp, uint32_t flags,
			 struct drm_mode_create_dumb *c)
{
	*c = (struct drm_mode_create_dumb){
		.width = width, .height = height, .bpp = bpp, .flags = flags,
	};
	return drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, c) ? -errno : 0;
}

static int __dumb_map(int fd, uint32_t handle, uint64_t *offset)
{
	struct drm_mode_map_dumb m = { .handle = handle };

	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return -errno;
	*offset = m.offset;
	return 0;
}

static int __dumb_destroy(int fd, uint32_t handle)
{
	struct drm_mode_destroy_dumb d = { .handle = handle };

	return drmIoctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &d) ? -errno : 0;
}

static int __ranges_count(int fd, uint32_t handle)
{
	struct drm_vphyr_gem_ranges q = { .handle = handle };

	return drmIoctl(fd, DRM_IOCTL_VPHYR_GEM_RANGES, &q) ? -errno : 0;
}

/* ---- version ---- */

static void check_version(const char *node, int fd)
{
	drmVersionPtr v = drmGetVersion(fd);

	igt_assert_f(v, "%s: DRM_IOCTL_VERSION: %s\n", node, strerror(errno));
	igt_info("%s: %s %d.%d.%d \"%s\" date \"%s\"\n", node, v->name,
		 v->version_major, v->version_minor, v->version_patchlevel,
		 v->desc, v->date);
	igt_assert_f(!strcmp(v->name, "vphyr"), "%s: name %s\n", node,
		     v->name);
	igt_assert_f(!strcmp(v->desc, "phyr helper test driver"),
		     "%s: description %s\n", node, v->desc);
	/* the DRM core gives every driver a date, non-empty */
	igt_assert_f(v->date_len > 0 && v->date[0], "%s: empty date\n", node);
	igt_assert_eq(v->version_major, 1);
	igt_assert_f(v->version_minor >= 1,
		     "%s: version 1.%d has no syncobj or dumb buffers\n",
		     node, v->version_minor);
	drmFreeVersion(v);
}

static void check_cap(int fd, uint64_t cap, uint64_t want, const char *what)
{
	uint64_t value = ~0ull;

	igt_assert_f(drmGetCap(fd, cap, &value) == 0, "%s: %s\n", what,
		     strerror(errno));
	igt_assert_f(value == want, "%s: %" PRIu64 ", expected %" PRIu64 "\n",
		     what, value, want);
}

static void test_version(int i)
{
	int card = open_card(i);

	check_version(env.dev[i].path, env.dev[i].fd);
	check_version("card node", card);
	check_cap(env.dev[i].fd, DRM_CAP_SYNCOBJ, 1, "DRM_CAP_SYNCOBJ");
	check_cap(env.dev[i].fd, DRM_CAP_SYNCOBJ_TIMELINE, 1,
		  "DRM_CAP_SYNCOBJ_TIMELINE");
	check_cap(card, DRM_CAP_PRIME,
		  DRM_PRIME_CAP_IMPORT | DRM_PRIME_CAP_EXPORT, "DRM_CAP_PRIME");
	close_card(card);
}

/* ---- debugfs ---- */

/* The value of "key: N" in the instance's vphyr_info. */
static uint64_t info_value(int minor, const char *key)
{
	char path[128], line[128];
	uint64_t v = 0;
	bool found = false;
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%d/vphyr_info",
		 minor);
	f = fopen(path, "r");
	igt_assert_f(f, "open %s: %s\n", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtoull(line + n + 1, NULL, 0);
			found = true;
		}
	}
	fclose(f);
	igt_assert_f(found, "%s has no \"%s:\" line\n", path, key);
	return v;
}

static void test_debugfs(int i)
{
	const struct drm_vphyr_info *info = &env.dev[i].info;
	int card = open_card(i), minor = card_minor(card);
	struct drm_mode_create_dumb c;
	uint64_t used;

	igt_require_f(access("/sys/kernel/debug/dri", R_OK) == 0,
		      "debugfs not mounted or not readable\n");
	igt_assert_eq_u64(info_value(minor, "instance"), info->instance);
	igt_assert_eq_u64(info_value(minor, "vram_size"), info->vram_size);
	used = info_value(minor, "vram_used");
	igt_assert_lte_u64(used, info->vram_size);

	igt_assert_eq(__dumb_create(card, 256, 1024, 32, 0, &c), 0);
	if (igt_vphyr_has_vram(&env, i))
		igt_assert_eq_u64(info_value(minor, "vram_used"),
				  used + c.size);
	else
		igt_assert_eq_u64(info_value(minor, "vram_used"), 0);
	igt_assert_eq(__dumb_destroy(card, c.handle), 0);
	igt_assert_eq_u64(info_value(minor, "vram_used"), used);
	close_card(card);
}

/* ---- dumb buffers ---- */

static void test_dumb(int i)
{
	uint32_t place = igt_vphyr_has_vram(&env, i) ? VPHYR_PLACE_VRAM :
						   VPHYR_PLACE_SYSTEM;
	struct drm_mode_create_dumb c;
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	int card = open_card(i);
	uint64_t offset = 0;
	uint8_t *p;

	/* 300 XRGB8888 pixels: 1200 bytes a row, not a multiple of 64 */
	igt_assert_eq(__dumb_create(card, 300, 100, 32, 0, &c), 0);
	igt_assert_neq_u32(c.handle, 0);
	igt_assert_lte_u32(300 * 4, c.pitch);
	igt_assert_eq_u32(c.pitch % DUMB_ALIGN, 0);
	igt_assert_lte_u64((uint64_t)c.pitch * 100, c.size);
	igt_assert_eq_u64(c.size % env.page, 0);

	igt_vphyr_get_table(card, c.handle, &t);
	igt_vphyr_expect_own(&x, i, place, c.size);
	igt_vphyr_check_table(&env, "dumb buffer", &t, &x);
	igt_vphyr_table_fini(&t);

	igt_assert_eq(__dumb_map(card, c.handle, &offset), 0);
	p = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, card,
		 offset);
	igt_assert_f(p != MAP_FAILED, "mmap of the dumb buffer: %s\n",
		     strerror(errno));
	phyr_pattern_fill(p, c.size, 41, 0);
	igt_vphyr_check_dma("the device reads what the CPU wrote", card, c.handle,
			0, c.size, 41);
	igt_vphyr_write_dma(card, c.handle, 0, c.size, 42);
	igt_vphyr_assert_pattern("the CPU mapping shows the device's write", p,
			     c.size, 42, 0);
	munmap(p, c.size);

	igt_assert_eq(__dumb_destroy(card, c.handle), 0);
	igt_assert_eq(__ranges_count(card, c.handle), -ENOENT);
	close_card(card);
}

static void test_dumb_bad(void)
{
	int s = smallest_vram(), card = open_card(s), other, dmabuf;
	uint64_t vram = env.dev[s].info.vram_size, offset = 0;
	uint32_t held[64], n = 0, h, ih, rows;
	struct drm_mode_create_dumb c;
	int ret;

	igt_assert_eq(__dumb_create(card, 0, 64, 32, 0, &c), -EINVAL);
	igt_assert_eq(__dumb_create(card, 64, 0, 32, 0, &c), -EINVAL);
	igt_assert_eq(__dumb_create(card, 64, 64, 0, 0, &c), -EINVAL);
	igt_assert_eq(__dumb_create(card, 64, 64, 32, 1, &c), -EINVAL);
	igt_assert_eq(__dumb_create(card, 64, 64, 32, 1u << 31, &c), -EINVAL);
	/* pitch * height over 32 bits, bpp * width over 32 bits */
	igt_assert_eq(__dumb_create(card, 1u << 16, 1u << 16, 32, 0, &c),
		      -EINVAL);
	igt_assert_eq(__dumb_create(card, 0x7fffffff, 1, 32, 0, &c), -EINVAL);
	igt_assert_eq(__dumb_create(card, 64, 64, 0xffffffff, 0, &c),
		      -EINVAL);

	/* rows of 16 KiB: one more than the VRAM holds */
	rows = vram / 16384 + 1;
	igt_assert_eq(__dumb_create(card, 4096, rows, 32, 0, &c), -E2BIG);

	/* the VRAM filled by quarters: the fifth is out of memory */
	rows = vram / 4 / 16384;
	while (n < 64) {
		ret = __dumb_create(card, 4096, rows, 32, 0, &c);
		if (ret)
			break;
		held[n++] = c.handle;
	}
	igt_assert_f(n >= 1 && n <= 4, "%u quarters of the VRAM allocated\n",
		     n);
	igt_assert_eq(ret, -ENOMEM);
	while (n)
		igt_assert_eq(__dumb_destroy(card, held[--n]), 0);
	igt_assert_eq(__dumb_create(card, 4096, rows, 32, 0, &c), 0);
	igt_assert_eq(__dumb_destroy(card, c.handle), 0);

	/* dumb buffers are a card node feature */
	igt_assert_eq(__dumb_create(env.dev[s].fd, 64, 64, 32, 0, &c),
		      -EACCES);

	igt_assert_eq(__dumb_map(card, IGT_VPHYR_BAD_HANDLE, &offset), -ENOENT);
	igt_assert_eq(__dumb_destroy(card, IGT_VPHYR_BAD_HANDLE), -EINVAL);

	/* an imported buffer has no mmap offset of the importer */
	other = env.sys >= 0 && env.sys != s ? env.sys :
		(env.nvram > 1 ? env.vram[env.vram[0] == s ? 1 : 0] : -1);
	if (other >= 0) {
		h = igt_vphyr_gem_create(env.dev[other].fd, env.page,
				     VPHYR_GEM_SYSTEM);
		dmabuf = prime_handle_to_fd(env.dev[other].fd, h);
		ih = prime_fd_to_handle(card, dmabuf);
		close(dmabuf);
		igt_assert_eq(__dumb_map(card, ih, &offset), -EINVAL);
		igt_assert_eq(__dumb_destroy(card, ih), 0);
		gem_close(env.dev[other].fd, h);
	}
	close_card(card);
}

/* ---- sync objects ---- */

/* libdrm's plain ioctl wrappers return -1 and set errno */
static int errno_of(int ret)
{
	return ret ? -errno : 0;
}

static int wait_one(int fd, uint32_t h, int64_t timeout_ns, uint32_t flags)
{
	return drmSyncobjWait(fd, &h, 1, timeout_ns, flags, NULL);
}

static void test_syncobj_binary(void)
{
	int p = igt_vphyr_primary(&env), fd = env.dev[p].fd;
	struct drm_syncobj_create cr = { .flags = ~0u };
	struct drm_syncobj_destroy de = { .pad = 1 };
	uint32_t h, h2, ih;
	int other, sfd;

	igt_assert_eq(drmSyncobjCreate(fd, 0, &h), 0);
	/* no fence yet: waiting needs WAIT_FOR_SUBMIT, and times out */
	igt_assert_eq(wait_one(fd, h, 0, 0), -EINVAL);
	igt_assert_eq(wait_one(fd, h, 0,
			       DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT),
		      -ETIME);
	igt_assert_eq(drmSyncobjSignal(fd, &h, 1), 0);
	igt_assert_eq(wait_one(fd, h, 0, 0), 0);
	igt_assert_eq(drmSyncobjReset(fd, &h, 1), 0);
	igt_assert_eq(wait_one(fd, h, 0,
			       DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT),
		      -ETIME);

	igt_assert_eq(drmSyncobjCreate(fd, DRM_SYNCOBJ_CREATE_SIGNALED, &h2),
		      0);
	igt_assert_eq(wait_one(fd, h2, 0, 0), 0);

	/* shared by fd with another instance: the same object */
	other = env.ndev > 1 ? (p == 0 ? 1 : 0) : p;
	igt_assert_eq(drmSyncobjHandleToFD(fd, h, &sfd), 0);
	igt_assert_eq(drmSyncobjFDToHandle(env.dev[other].fd, sfd, &ih), 0);
	close(sfd);
	igt_assert_eq(drmSyncobjSignal(env.dev[other].fd, &ih, 1), 0);
	igt_assert_eq(wait_one(fd, h, 0, 0), 0);
	igt_assert_eq(drmSyncobjDestroy(env.dev[other].fd, ih), 0);

	/* bad flags, pad and handles */
	do_ioctl_err(fd, DRM_IOCTL_SYNCOBJ_CREATE, &cr, EINVAL);
	de.handle = h2;
	do_ioctl_err(fd, DRM_IOCTL_SYNCOBJ_DESTROY, &de, EINVAL);
	igt_assert_eq(errno_of(drmSyncobjDestroy(fd, IGT_VPHYR_BAD_HANDLE)),
		      -EINVAL);
	igt_assert_eq(wait_one(fd, IGT_VPHYR_BAD_HANDLE, 0, 0), -ENOENT);

	igt_assert_eq(drmSyncobjDestroy(fd, h), 0);
	igt_assert_eq(drmSyncobjDestroy(fd, h2), 0);
	igt_assert_eq(wait_one(fd, h, 0, 0), -ENOENT);
}

static uint64_t query_one(int fd, uint32_t h)
{
	uint64_t point = ~0ull;

	igt_assert_eq(drmSyncobjQuery(fd, &h, &point, 1), 0);
	return point;
}

static int timeline_wait_one(int fd, uint32_t h, uint64_t point,
			     uint32_t flags)
{
	return drmSyncobjTimelineWait(fd, &h, &point, 1, 0, flags, NULL);
}

static void test_syncobj_timeline(void)
{
	int fd = env.dev[igt_vphyr_primary(&env)].fd;
	uint64_t point = 3;
	uint32_t h, bin;

	igt_assert_eq(drmSyncobjCreate(fd, 0, &h), 0);
	igt_assert_eq_u64(query_one(fd, h), 0);
	igt_assert_eq(drmSyncobjTimelineSignal(fd, &h, &point, 1), 0);
	igt_assert_eq_u64(query_one(fd, h), 3);
	igt_assert_eq(timeline_wait_one(fd, h, 3, 0), 0);
	igt_assert_eq(timeline_wait_one(fd, h, 2, 0), 0);
	igt_assert_eq(timeline_wait_one(fd, h, 5,
					DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT),
		      -ETIME);
	point = 5;
	igt_assert_eq(drmSyncobjTimelineSignal(fd, &h, &point, 1), 0);
	igt_assert_eq_u64(query_one(fd, h), 5);
	igt_assert_eq(timeline_wait_one(fd, h, 5, 0), 0);

	/* a signalled binary fence becomes point 7 */
	igt_assert_eq(drmSyncobjCreate(fd, DRM_SYNCOBJ_CREATE_SIGNALED, &bin),
		      0);
	igt_assert_eq(drmSyncobjTransfer(fd, h, 7, bin, 0, 0), 0);
	igt_assert_eq_u64(query_one(fd, h), 7);
	igt_assert_eq(timeline_wait_one(fd, h, 7, 0), 0);

	igt_assert_eq(drmSyncobjDestroy(fd, bin), 0);
	igt_assert_eq(drmSyncobjDestroy(fd, h), 0);
}

static void test_sw_sync_import(void)
{
	int fd = env.dev[igt_vphyr_primary(&env)].fd, tl, out;
	struct sw_sync_create_fence_data f = { .value = 1, .name = "vphyr" };
	struct pollfd pfd = { .events = POLLIN };
	uint32_t h, inc = 1;

	tl = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	igt_require_f(tl >= 0, "open %s: %s (CONFIG_SW_SYNC, debugfs)\n",
		      SW_SYNC_PATH, strerror(errno));
	igt_assert_f(ioctl(tl, SW_SYNC_IOC_CREATE_FENCE, &f) == 0,
		     "SW_SYNC_IOC_CREATE_FENCE: %s\n", strerror(errno));

	igt_assert_eq(drmSyncobjCreate(fd, 0, &h), 0);
	igt_assert_eq(drmSyncobjImportSyncFile(fd, h, f.fence), 0);
	/* the fence waits for timeline value 1: not signalled yet */
	igt_assert_eq(wait_one(fd, h, 0, 0), -ETIME);
	igt_assert_f(ioctl(tl, SW_SYNC_IOC_INC, &inc) == 0,
		     "SW_SYNC_IOC_INC: %s\n", strerror(errno));
	igt_assert_eq(wait_one(fd, h, 0, 0), 0);

	igt_assert_eq(drmSyncobjExportSyncFile(fd, h, &out), 0);
	pfd.fd = out;
	igt_assert_eq(poll(&pfd, 1, 0), 1);
	igt_assert(pfd.revents & POLLIN);
	close(out);

	/* the timeline itself is no sync file */
	igt_assert_eq(errno_of(drmSyncobjImportSyncFile(fd, h, tl)), -EINVAL);

	igt_assert_eq(drmSyncobjDestroy(fd, h), 0);
	close(f.fence);
	close(tl);
}

/* ---- master and authentication ---- */

static int client_auth(int fd)
{
	int auth = -1, pid, uid;
	unsigned long magic, iocs;

	igt_assert_eq(drmGetClient(fd, 0, &auth, &pid, &uid, &magic, &iocs),
		      0);
	return auth;
}

/*
 * Set or clear CAP_SYS_ADMIN in the effective set (the permitted set keeps
 * it): the DRM core takes every file opened with it as authenticated.
 */
static void set_sys_admin(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	igt_assert_eq(syscall(SYS_capget, &hdr, data), 0);
	if (on)
		data[0].effective |= 1u << CAP_SYS_ADMIN;
	else
		data[0].effective &= ~(1u << CAP_SYS_ADMIN);
	igt_assert_eq(syscall(SYS_capset, &hdr, data), 0);
}

static int __flink(int fd, uint32_t handle)
{
	struct drm_gem_flink f = { .handle = handle };

	return drmIoctl(fd, DRM_IOCTL_GEM_FLINK, &f) ? -errno : 0;
}

static void test_master_auth(int i)
{
	struct drm_mode_create_dumb c;
	drm_magic_t magic = 0, rmagic;
	int master, other;

	close_cards();
	master = open_card(i);
	igt_require_f(drmIsMaster(master),
		      "another process is master of the card node\n");
	/* the second file is opened as a client without CAP_SYS_ADMIN */
	if (env.root)
		set_sys_admin(false);
	other = open_card(i);
	if (env.root)
		set_sys_admin(true);
	igt_assert(!drmIsMaster(other));
	igt_assert_eq(client_auth(master), 1);
	igt_assert_eq(client_auth(other), 0);

	/* unauthenticated: no DRM_AUTH ioctl such as GEM_FLINK */
	igt_assert_eq(__dumb_create(other, 64, 64, 32, 0, &c), 0);
	igt_assert_eq(__flink(other, c.handle), -EACCES);

	igt_assert_eq(drmGetMagic(other, &magic), 0);
	igt_assert_neq_u32(magic, 0);
	/* only the master authenticates, and only a magic it handed out */
	igt_assert_eq(drmAuthMagic(other, magic), -EACCES);
	igt_assert_eq(client_auth(other), 0);
	igt_assert_eq(drmAuthMagic(master, magic + 1000), -EINVAL);
	igt_assert_eq(drmAuthMagic(master, magic), 0);
	igt_assert_eq(client_auth(other), 1);
	igt_assert_eq(__flink(other, c.handle), 0);
	igt_assert_eq(__dumb_destroy(other, c.handle), 0);

	/* render nodes know no magic */
	igt_assert_neq(drmGetMagic(env.dev[i].fd, &rmagic), 0);

	/* dropped, the master can be taken by the other file */
	igt_assert_eq(drmDropMaster(master), 0);
	igt_assert(!drmIsMaster(master));
	if (env.root) {
		igt_assert_eq(drmSetMaster(other), 0);
		igt_assert(drmIsMaster(other));
		igt_assert_eq(drmDropMaster(other), 0);
	}
	close_card(other);
	close_card(master);
}

/* ---- GBM ---- */

#ifndef VPHYR_NO_GBM
static void test_gbm_share(int a, int b)
{
	uint32_t ih, stride, height = 64, width = 256, pitch;
	int card = open_card(a), dmabuf, fb = env.dev[b].fd;
	struct igt_vphyr_table te, ti;
	struct igt_vphyr_expect x;
	struct gbm_device *gbm;
	struct gbm_bo *bo;
	void *map = NULL;
	uint64_t len;
	uint8_t *p;

	gbm = gbm_create_device(card);
	igt_assert_f(gbm, "gbm_create_device on the card node of %s failed\n",
		     env.dev[a].name);
	igt_info("GBM backend %s\n", gbm_device_get_backend_name(gbm));
	bo = gbm_bo_create(gbm, width, height, GBM_FORMAT_XRGB8888,
			   GBM_BO_USE_LINEAR);
	igt_assert_f(bo, "gbm_bo_create(LINEAR): %s\n", strerror(errno));
	stride = gbm_bo_get_stride(bo);
	igt_assert_lte_u32(width * 4, stride);
	len = (uint64_t)stride * height;

	/* the buffer is a dumb buffer of the card node, in VRAM */
	igt_vphyr_get_table(card, gbm_bo_get_handle(bo).u32, &te);
	igt_assert_lte_u64(len, te.q.total_len);
	igt_vphyr_expect_own(&x, a, VPHYR_PLACE_VRAM, te.q.total_len);
	igt_vphyr_check_table(&env, "GBM buffer", &te, &x);
	igt_vphyr_table_fini(&te);

	p = gbm_bo_map(bo, 0, 0, width, height, GBM_BO_TRANSFER_WRITE, &pitch,
		       &map);
	igt_assert_f(p, "gbm_bo_map for writing: %s\n", strerror(errno));
	igt_assert_eq_u32(pitch, stride);
	phyr_pattern_fill(p, len, 51, 0);
	gbm_bo_unmap(bo, map);

	dmabuf = gbm_bo_get_fd(bo);
	igt_assert_f(dmabuf >= 0, "gbm_bo_get_fd: %s\n", strerror(errno));
	ih = prime_fd_to_handle(fb, dmabuf);
	igt_vphyr_get_table(fb, ih, &ti);
	if (env.p2p == VPHYR_P2P_NONE || !igt_vphyr_has_vram(&env, b)) {
		igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, IGT_VPHYR_VIA_HOSTMEM,
				 ti.q.total_len);
	} else {
		uint32_t via = env.p2p == VPHYR_P2P_HOST ?
			       VPHYR_RANGE_VIA_HOST_BRIDGE : VPHYR_RANGE_VIA_BUS;

		igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_P2P, 1, IGT_VPHYR_VIA_BIT(via),
				 ti.q.total_len);
	}
	igt_vphyr_check_table(&env, "GBM buffer imported", &ti, &x);
	igt_vphyr_table_fini(&ti);

	igt_vphyr_check_dma("the importer reads what the CPU wrote through GBM",
			fb, ih, 0, len, 51);
	igt_vphyr_write_dma(fb, ih, 0, len, 52);
	map = NULL;
	p = gbm_bo_map(bo, 0, 0, width, height, GBM_BO_TRANSFER_READ, &pitch,
		       &map);
	igt_assert_f(p, "gbm_bo_map for reading: %s\n", strerror(errno));
	igt_vphyr_assert_pattern("GBM's mapping shows the importer's DMA write", p,
			     len, 52, 0);
	gbm_bo_unmap(bo, map);

	gem_close(fb, ih);
	close(dmabuf);
	gbm_bo_destroy(bo);
	gbm_device_destroy(gbm);
	close_card(card);
}
#endif

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("DRM_IOCTL_VERSION and the core capabilities of every instance.");
	igt_subtest_with_dynamic("version") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_version(i);
	}

	igt_describe("The debugfs file of every instance describes it and its VRAM use.");
	igt_subtest_with_dynamic("debugfs-info") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_require_root(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_debugfs(i);
	}

	igt_describe("Dumb buffers live in VRAM and work by CPU and by DMA.");
	igt_subtest_with_dynamic("dumb-buffer") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_dumb(i);
	}

	igt_describe("Bad dumb buffer requests fail with the DRM core's errno.");
	igt_subtest("dumb-bad-input") {
		igt_vphyr_require_vram(&env, 1);
		test_dumb_bad();
	}

	igt_describe("Binary sync objects: signal, reset, wait, share, destroy.");
	igt_subtest("syncobj-binary") {
		igt_vphyr_require_dev(&env);
		test_syncobj_binary();
	}

	igt_describe("Timeline sync objects: points signalled, queried, waited for.");
	igt_subtest("syncobj-timeline") {
		igt_vphyr_require_dev(&env);
		test_syncobj_timeline();
	}

	igt_describe("A sw_sync fence imported into a sync object from its sync file.");
	igt_subtest("syncobj-sw-sync-import") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_require_root(&env);
		test_sw_sync_import();
	}

	igt_describe("Master and authentication on the card node.");
	igt_subtest_with_dynamic("master-auth") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_master_auth(i);
	}

	igt_describe("A GBM buffer on a VRAM instance's card node, shared with another instance.");
	igt_subtest_with_dynamic("gbm-vram-share") {
#ifdef VPHYR_NO_GBM
		igt_skip("built without libgbm\n");
#else
		igt_vphyr_require_vram(&env, 2);
		igt_vphyr_require_p2p(&env);
		igt_vphyr_dynamic_vram_pairs(&env, a, b)
			test_gbm_share(a, b);
#endif
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
