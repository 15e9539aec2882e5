/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the vphyr userspace tests: device discovery, ioctl
 * wrappers, checks, and resources that are released after every case.
 */
#ifndef VPHYR_UTIL_H
#define VPHYR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xf86drm.h>

#include "libphyr.h"
#include "libphyr_uapi.h"

#define MAX_DEVS	16
#define NO_PEER		(~0u)

enum p2p_mode {
	P2P_UNKNOWN,
	P2P_NONE,
	P2P_HOST,
	P2P_BUS,
};

struct vdev {
	char path[64];
	struct drm_vphyr_info info;	/* as found at discovery */
	int fd;				/* opened for the running case */
};

struct globals {
	struct vdev dev[MAX_DEVS];	/* sorted by instance */
	int ndev;
	int sys;			/* index of the instance without VRAM */
	int vram[MAX_DEVS];		/* indices of VRAM instances */
	int nvram;
	char vgem_path[64];		/* card node of vgem, "" if none */
	int vgem_fd;
	enum p2p_mode p2p;
	bool p2p_from_cmdline;
	uint64_t page;
	const char *case_name;
};

extern struct globals g;

/* ---- case state and checks (libphyr's, see libphyr.h) ---- */

/* start case @name: libphyr's case state and g.case_name */
void t_reset(const char *name);

#define t_failed	phyr_case_failed
#define t_skip_reason	phyr_case_skip_reason
#define t_note		phyr_case_note
#define t_check		phyr_case_check
#define t_expect_ret	phyr_case_expect_ret
#define t_skip		phyr_case_skip

#define CHECK		PHYR_CHECK
#define REQUIRE		PHYR_REQUIRE
#define EXPECT_RET	PHYR_EXPECT_RET
#define SKIP		PHYR_SKIP

/* errname(-EINVAL) or errname(EINVAL): "EINVAL"; errname(0): "success" */
#define errname		phyr_errname

/* ---- resources released by t_cleanup() ---- */

int t_track_fd(int fd);
void t_close_fd(int fd);
void t_track_handle(int fd, uint32_t handle);
int t_close_handle(int fd, uint32_t handle);
void t_track_map(void *addr, size_t len);
void t_unmap(void *addr, size_t len);
void t_track_link(int fd, int peer_fd);
int t_unlink(int fd, int peer_fd);
void *t_alloc(size_t len);
void t_restore_ull(const char *path, unsigned long long value);
void t_cleanup(void);

/*
 * Run body(arg) as case @name with phyr_case_run(), with t_reset() before
 * and t_cleanup() after it. Returns 'P', 'S' or 'F'.
 */
char t_run_forked(const char *name, unsigned int timeout_s,
		  void (*body)(const void *), const void *arg);

/* ---- devices ---- */

void discover(void);
int open_devices(void);
int vgem_fd(void);
int dev_by_instance(uint32_t instance);
const char *dev_name(int idx);
bool has_vram(int idx);
void reset_links(void);

/* ---- libphyr under the names the suite uses ---- */

#define count_open_fds	phyr_count_fds
#define count_maps	phyr_count_maps
#define proc_status_kb	phyr_status_kb
#define read_ull	phyr_read_ull
#define write_ull	phyr_write_ull

#define vp_info		phyr_uapi_info
#define vp_create	phyr_uapi_gem_create
#define vp_mmap_offset	phyr_uapi_gem_mmap
#define vp_ranges	phyr_uapi_gem_ranges
#define vp_dma		phyr_uapi_gem_dma
#define vp_evict	phyr_uapi_gem_evict
#define vp_link		phyr_uapi_link
#define gem_close	phyr_uapi_gem_close
#define prime_export	phyr_uapi_prime_export
#define prime_import	phyr_uapi_prime_import

/* ---- objects (tracked) ---- */

int obj_create(int dev, uint64_t size, uint32_t flags, uint32_t *handle);
void *obj_map(int fd, uint32_t handle, uint64_t size);
int obj_share(int exp_fd, uint32_t handle, int imp_fd, uint32_t *imp_handle);
int stale_handle(int fd);
void *unmapped_address(void);

/* ---- range tables ---- */

struct table {
	struct drm_vphyr_gem_ranges q;
	struct drm_vphyr_range *r;	/* q.count entries */
};

int get_table(int fd, uint32_t handle, struct table *t);

#define VIA_BIT(via)	(1u << (((via) & VPHYR_RANGE_VIA_MASK) >> 4))
#define VIA_HOSTMEM	(VIA_BIT(VPHYR_RANGE_VIA_DIRECT) | \
			 VIA_BIT(VPHYR_RANGE_VIA_PAGE) | \
			 VIA_BIT(VPHYR_RANGE_VIA_IOMMU))

struct expect {
	uint32_t kind;		/* VPHYR_RANGES_* */
	uint32_t placement;	/* VPHYR_PLACE_* */
	uint64_t total;		/* object size */
	uint32_t ic;		/* VPHYR_RANGE_IC_* of every entry */
	int mmio;		/* 1: set, 0: clear, -1: either */
	uint32_t via;		/* VIA_BIT() set allowed for DMA tables */
	int in_dev;		/* >= 0: addresses inside this device's VRAM */
	bool out_vram;		/* addresses outside every VRAM region */
	uint32_t max_ranges;	/* 0: no limit */
};

bool check_table(const char *what, const struct table *t,
		 const struct expect *e);
bool same_table(const struct table *a, const struct table *b);
void expect_own(struct expect *e, int dev, uint32_t placement,
		uint64_t size);
void expect_dma(struct expect *e, uint32_t ic, int mmio, uint32_t via,
		uint64_t size);

/* ---- data ---- */

#define fill_pattern	phyr_pattern_fill
bool check_pattern(const char *what, const void *buf, size_t len,
		   uint32_t seed, uint64_t pos);
bool write_obj_cpu(int fd, uint32_t handle, uint64_t size, uint32_t seed);
bool check_obj_cpu(const char *what, int fd, uint32_t handle, uint64_t size,
		   uint32_t seed);
bool write_obj_dma(int fd, uint32_t handle, uint64_t off, uint64_t len,
		   uint32_t seed);
bool check_obj_dma(const char *what, int fd, uint32_t handle, uint64_t off,
		   uint64_t len, uint32_t seed);

#endif /* VPHYR_UTIL_H */
