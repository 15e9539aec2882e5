/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Code shared by the vphyr IGT tests: the --p2p option, finding the
 * instances, the
 * vphyr ioctls (a __ variant returning 0 or -errno, a plain one asserting
 * success), range tables with the checks every test applies, and data
 * patterns compared through the CPU and through the device's DMA.
 */
#ifndef IGT_VPHYR_H
#define IGT_VPHYR_H

#include <stdbool.h>
#include <stdint.h>

#include "igt_decls.h"
#include "libphyr_test.h"
#include "libphyr_uapi.h"
#include "vphyr_drm.h"

#define IGT_VPHYR_MAX_DEVS		16
#define IGT_VPHYR_NO_PEER		(~0u)
#define IGT_VPHYR_BAD_HANDLE	0x7ffffff0u

enum igt_vphyr_p2p {
	VPHYR_P2P_UNKNOWN,
	VPHYR_P2P_NONE,		/* P2P refused: importing VRAM migrates it */
	VPHYR_P2P_HOST,		/* through the host bridge */
	VPHYR_P2P_BUS,		/* by PCI bus address below a switch */
};

struct igt_vphyr_dev {
	char path[64];
	char name[24];		/* "vphyr<instance>", used in subtest names */
	int fd;			/* open for the whole binary */
	struct drm_vphyr_info info;
};

struct igt_vphyr_env {
	struct igt_vphyr_dev dev[IGT_VPHYR_MAX_DEVS];	/* sorted by instance */
	int ndev;
	int sys;		/* index of the instance without VRAM, or -1 */
	int vram[IGT_VPHYR_MAX_DEVS];	/* indices of the VRAM instances */
	int nvram;
	int vgem;		/* fd of vgem's card node, or -1 */
	enum igt_vphyr_p2p p2p;	/* from --p2p */
	bool in_vm;		/* --p2p was given: the test VM's layout applies */
	bool root;
	uint64_t page;
};

/* ---- environment ---- */

/*
 * main() of a vphyr test: igt_main with the --p2p=none|host|bus option,
 * the P2P path between VRAM instances the machine is expected to have.
 */
extern const struct option igt_vphyr_long_opts[];
extern const char igt_vphyr_help_str[];
int igt_vphyr_opt_handler(int opt, int opt_index, void *data);
#define igt_vphyr_main \
	igt_main_args(NULL, igt_vphyr_long_opts, igt_vphyr_help_str, \
		      igt_vphyr_opt_handler, NULL)

void igt_vphyr_env_open(struct igt_vphyr_env *e);
void igt_vphyr_env_close(struct igt_vphyr_env *e);
const char *igt_vphyr_p2p_name(enum igt_vphyr_p2p p);
int igt_vphyr_open_again(const struct igt_vphyr_env *e, int idx);
bool igt_vphyr_has_vram(const struct igt_vphyr_env *e, int idx);
int igt_vphyr_primary(const struct igt_vphyr_env *e);
int igt_vphyr_by_instance(const struct igt_vphyr_env *e, uint32_t instance);
void igt_vphyr_reset_links(const struct igt_vphyr_env *e);

/*
 * One dynamic subtest, named after the instance, per instance (its index
 * in i) or per instance with VRAM; the statement that follows is its body.
 */
#define igt_vphyr_dynamic_each(e, i) \
	for (int i = 0; i < (e)->ndev; i++) \
		igt_dynamic((e)->dev[i].name)
#define igt_vphyr_dynamic_each_vram(e, i) \
	for (int i##_k = 0, i = 0; \
	     i##_k < (e)->nvram && ((i = (e)->vram[i##_k]), true); i##_k++) \
		igt_dynamic((e)->dev[i].name)

/*
 * One dynamic subtest "A-to-B" per ordered pair of distinct instances (a
 * exports, b imports), or of distinct instances with VRAM.
 */
#define igt_vphyr_dynamic_pairs(e, a, b) \
	for (int a = 0; a < (e)->ndev; a++) \
		for (int b = 0; b < (e)->ndev; b++) \
			if (a != b) \
				igt_dynamic_f("%s-to-%s", (e)->dev[a].name, \
					      (e)->dev[b].name)
#define igt_vphyr_dynamic_vram_pairs(e, a, b) \
	for (int a##_k = 0, a = 0; a##_k < (e)->nvram && \
	     ((a = (e)->vram[a##_k]), true); a##_k++) \
		for (int b##_k = 0, b = 0; b##_k < (e)->nvram && \
		     ((b = (e)->vram[b##_k]), true); b##_k++) \
			if (a != b) \
				igt_dynamic_f("%s-to-%s", (e)->dev[a].name, \
					      (e)->dev[b].name)

void igt_vphyr_require_dev(const struct igt_vphyr_env *e);
void igt_vphyr_require_devs(const struct igt_vphyr_env *e, int n);
void igt_vphyr_require_vram(const struct igt_vphyr_env *e, int n);
void igt_vphyr_require_sys(const struct igt_vphyr_env *e);
void igt_vphyr_require_vgem(const struct igt_vphyr_env *e);
void igt_vphyr_require_p2p(const struct igt_vphyr_env *e);
void igt_vphyr_require_root(const struct igt_vphyr_env *e);

/*
 * ---- ioctls ----
 *
 * libphyr's vphyr_uapi_*() (libphyr_uapi.h) issue them one by one and
 * return 0 or a negative errno; these assert success.
 */

void igt_vphyr_info(int fd, struct drm_vphyr_info *info);
uint32_t igt_vphyr_gem_create(int fd, uint64_t size, uint32_t flags);
void *igt_vphyr_gem_mmap(int fd, uint32_t handle, uint64_t size);
void igt_vphyr_gem_evict(int fd, uint32_t handle);
void igt_vphyr_link(int fd, int peer_fd);
void igt_vphyr_unlink(int fd, int peer_fd);
uint32_t igt_vphyr_share(int exp_fd, uint32_t handle, int imp_fd);

/* ---- range tables ---- */

struct igt_vphyr_table {
	struct drm_vphyr_gem_ranges q;
	struct drm_vphyr_range *r;	/* q.count entries */
};

#define IGT_VPHYR_VIA(f)	(((f) & VPHYR_RANGE_VIA_MASK) >> 4)
#define IGT_VPHYR_VIA_BIT(via)	(1u << IGT_VPHYR_VIA(via))
#define IGT_VPHYR_VIA_HOSTMEM	(IGT_VPHYR_VIA_BIT(VPHYR_RANGE_VIA_DIRECT) | \
				 IGT_VPHYR_VIA_BIT(VPHYR_RANGE_VIA_PAGE) | \
				 IGT_VPHYR_VIA_BIT(VPHYR_RANGE_VIA_IOMMU))

struct igt_vphyr_expect {
	uint32_t kind;		/* VPHYR_RANGES_* */
	uint32_t placement;	/* VPHYR_PLACE_* */
	uint64_t total;		/* object size */
	uint32_t ic;		/* VPHYR_RANGE_IC_* of every entry */
	int mmio;		/* 1: set, 0: clear, -1: either */
	uint32_t via;		/* IGT_VPHYR_VIA_BIT() mask, DMA tables only */
	int in_dev;		/* >= 0: inside this instance's VRAM */
	bool out_vram;		/* outside every VRAM region */
	uint32_t max_ranges;	/* 0: at most one per page */
};

void igt_vphyr_get_table(int fd, uint32_t handle, struct igt_vphyr_table *t);
void igt_vphyr_table_fini(struct igt_vphyr_table *t);
void igt_vphyr_dump_table(const char *what, const struct igt_vphyr_table *t);
void igt_vphyr_check_table(const struct igt_vphyr_env *e, const char *what,
			   const struct igt_vphyr_table *t,
			   const struct igt_vphyr_expect *x);
bool igt_vphyr_same_table(const struct igt_vphyr_table *a,
			  const struct igt_vphyr_table *b);
void igt_vphyr_expect_own(struct igt_vphyr_expect *x, int idx, uint32_t placement,
			  uint64_t size);
void igt_vphyr_expect_dma(struct igt_vphyr_expect *x, uint32_t ic, int mmio,
			  uint32_t via, uint64_t size);

/* ---- data: libphyr's patterns (phyr_pattern_fill() writes one) ---- */

void igt_vphyr_assert_pattern(const char *what, const void *buf, size_t len,
			      uint32_t seed, uint64_t pos);
void igt_vphyr_write_cpu(int fd, uint32_t handle, uint64_t size, uint32_t seed);
void igt_vphyr_check_cpu(const char *what, int fd, uint32_t handle,
			 uint64_t size, uint32_t seed);
void igt_vphyr_write_dma(int fd, uint32_t handle, uint64_t offset, uint64_t len,
			 uint32_t seed);
void igt_vphyr_check_dma(const char *what, int fd, uint32_t handle,
			 uint64_t offset, uint64_t len, uint32_t seed);

/* ---- resources ---- */

int igt_vphyr_count_fds(void);
int igt_vphyr_count_maps(void);
int igt_vphyr_count_handles(int fd, uint32_t max);
long long igt_vphyr_vmpin_kb(void);
uint32_t igt_vphyr_stale_handle(const struct igt_vphyr_env *e, int fd);
void *igt_vphyr_unmapped_address(const struct igt_vphyr_env *e);

#endif /* IGT_VPHYR_H */
