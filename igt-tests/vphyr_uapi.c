// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr uapi
 * Category: Core
 * Mega feature: phyr
 * Sub-category: uAPI
 * Functionality: ioctl argument checking
 * Description: Every vphyr ioctl refuses what its uAPI forbids: unknown
 *	flags, nonzero pads, sizes that are zero, unaligned, too large or
 *	overflowing, handles that do not exist, unreachable user pointers,
 *	and file descriptors that are not vphyr devices; and a refused call
 *	changes nothing.
 * Test category: negative test
 *
 * SUBTEST: create-invalid-flags
 * Description: GEM_CREATE needs exactly one known placement flag (EINVAL).
 *
 * SUBTEST: create-invalid-size
 * Description: GEM_CREATE refuses a zero or unaligned size (EINVAL).
 *
 * SUBTEST: create-vram-too-big
 * Description: A VRAM object larger than the instance's VRAM is E2BIG.
 *
 * SUBTEST: create-vram-no-vram
 * Description: A VRAM object on the instance without VRAM is ENODEV.
 *
 * SUBTEST: mmap-invalid-pad
 * Description: GEM_MMAP with a nonzero pad is EINVAL.
 *
 * SUBTEST: mmap-invalid-handle
 * Description: GEM_MMAP of a handle that never existed or was closed is
 *	ENOENT.
 *
 * SUBTEST: mmap-imported
 * Description: GEM_MMAP of an imported object is EINVAL.
 *
 * SUBTEST: ranges-invalid-flags
 * Description: GEM_RANGES with nonzero flags is EINVAL.
 *
 * SUBTEST: ranges-invalid-handle
 * Description: GEM_RANGES of a missing handle is ENOENT.
 *
 * SUBTEST: ranges-efault
 * Description: GEM_RANGES into unmapped memory is EFAULT.
 *
 * SUBTEST: dma-invalid-flags
 * Description: GEM_DMA needs exactly one known direction (EINVAL).
 *
 * SUBTEST: dma-invalid-size
 * Description: GEM_DMA of zero bytes, past the end of the object, or with
 *	an offset + size that wraps is EINVAL; up to the end is fine.
 *
 * SUBTEST: dma-efault
 * Description: GEM_DMA from or to unmapped memory is EFAULT.
 *
 * SUBTEST: dma-invalid-handle
 * Description: GEM_DMA of a missing handle is ENOENT.
 *
 * SUBTEST: evict-invalid-flags
 * Description: GEM_EVICT with nonzero flags is EINVAL and moves nothing.
 *
 * SUBTEST: evict-invalid-handle
 * Description: GEM_EVICT of a missing handle is ENOENT.
 *
 * SUBTEST: evict-imported
 * Description: GEM_EVICT of an imported object is EINVAL.
 *
 * SUBTEST: link-invalid-flags
 * Description: LINK with unknown flags is EINVAL and links nothing.
 *
 * SUBTEST: link-invalid-fd
 * Description: LINK to a closed or invalid descriptor is EBADF, to a pipe
 *	or a vgem file EINVAL.
 *
 * SUBTEST: link-self
 * Description: LINK of an instance with itself is EINVAL.
 *
 * SUBTEST: link-no-vram
 * Description: LINK with the instance without VRAM is ENODEV.
 *
 * SUBTEST: link-remove-not-linked
 * Description: Removing a link that does not exist is ENOENT.
 *
 * SUBTEST: link-busy
 * Description: LINK of an instance already linked elsewhere is EBUSY.
 *
 * SUBTEST: ranges-unprivileged
 * Description: A caller without CAP_SYS_ADMIN reads no address: the
 *	physical ranges of its own object, the DMA table of an imported one
 *	(physical addresses without an IOMMU) and the VRAM base read as 0;
 *	lengths, flags and counts are the same as for root.
 *
 * SUBTEST: create-vram-enospc
 * Description: Filling VRAM ends in ENOSPC, never in more VRAM objects
 *	than fit, and freeing them gives the space back.
 */
#include <unistd.h>
#include <sys/mman.h>

#include "igt_vphyr.h"

IGT_TEST_DESCRIPTION("vphyr ioctls refuse invalid flags, pads, sizes, handles and pointers");

#define OBJ_PAGES	4
#define MAX_FILL	4096

static struct igt_vphyr_env env;

static uint64_t obj_size(void)
{
	return OBJ_PAGES * env.page;
}

static const char *errname(int err)
{
	static char buf[32];

	switch (err < 0 ? -err : err) {
	case 0: return "success";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case E2BIG: return "E2BIG";
	case ENOTTY: return "ENOTTY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(buf, sizeof(buf), "errno %d", err < 0 ? -err : err);
	return buf;
}

/* ret (0 or -errno) must be -err (err 0: success) */
#define assert_ret(ret, err, f, ...) do { \
	int __ret = (ret), __want = -(err); \
	igt_assert_f(__ret == __want, f ": expected %s, got %s\n", \
		     ##__VA_ARGS__, errname(__want), errname(__ret)); \
} while (0)

/* The instance the error checks use: one with VRAM if there is one. */
static int primary_fd(void)
{
	return env.dev[igt_vphyr_primary(&env)].fd;
}

/* ---- GEM_CREATE ---- */

static void test_create_invalid_flags(int idx)
{
	const uint32_t bad[] = {
		0, VPHYR_GEM_VRAM | VPHYR_GEM_SYSTEM, 1u << 2,
		VPHYR_GEM_SYSTEM | 1u << 2, VPHYR_GEM_SYSTEM | 1u << 31,
		VPHYR_GEM_VRAM | 1u << 2, VPHYR_GEM_VRAM | 1u << 31,
	};
	int fd = env.dev[idx].fd;
	uint32_t h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_ret(vphyr_uapi_gem_create(fd, env.page, bad[i], &h), EINVAL,
			   "%s: GEM_CREATE flags 0x%x", env.dev[idx].name,
			   bad[i]);
}

static void test_create_invalid_size(int idx)
{
	const uint64_t bad[] = {
		0, 1, env.page - 1, env.page + 1, 3 * env.page + 512,
	};
	int fd = env.dev[idx].fd;
	uint32_t h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_ret(vphyr_uapi_gem_create(fd, bad[i], VPHYR_GEM_SYSTEM, &h),
			   EINVAL, "%s: system object of 0x%llx bytes",
			   env.dev[idx].name, (unsigned long long)bad[i]);
		if (igt_vphyr_has_vram(&env, idx))
			assert_ret(vphyr_uapi_gem_create(fd, bad[i],
							 VPHYR_GEM_VRAM, &h),
				   EINVAL, "%s: VRAM object of 0x%llx bytes",
				   env.dev[idx].name,
				   (unsigned long long)bad[i]);
	}
}

static void test_create_vram_too_big(int idx)
{
	uint64_t vs = env.dev[idx].info.vram_size;
	int fd = env.dev[idx].fd;
	uint32_t h;

	assert_ret(vphyr_uapi_gem_create(fd, vs + env.page, VPHYR_GEM_VRAM, &h),
		   E2BIG, "VRAM object of vram_size + 1 page");
	assert_ret(vphyr_uapi_gem_create(fd, 2 * vs, VPHYR_GEM_VRAM, &h), E2BIG,
		   "VRAM object of 2 * vram_size");
}

static void test_create_vram_enospc(int idx)
{
	uint64_t vs = env.dev[idx].info.vram_size, chunk, total = 0;
	int fd = igt_vphyr_open_again(&env, idx), n = 0, i, ret;
	bool full = false;
	uint32_t *hs, h;

	hs = calloc(MAX_FILL, sizeof(*hs));
	igt_assert(hs);
	chunk = (vs / 4) & ~(env.page - 1);
	if (!chunk)
		chunk = env.page;
	while (n < MAX_FILL) {
		ret = vphyr_uapi_gem_create(fd, chunk, VPHYR_GEM_VRAM, &h);
		if (!ret) {
			hs[n++] = h;
			total += chunk;
			/* more than fits: something left VRAM behind our back */
			igt_assert_f(total <= vs,
				     "0x%llx bytes of VRAM objects in 0x%llx of VRAM\n",
				     (unsigned long long)total,
				     (unsigned long long)vs);
			continue;
		}
		assert_ret(ret, ENOSPC,
			   "VRAM object of 0x%llx bytes with 0x%llx of 0x%llx in use",
			   (unsigned long long)chunk, (unsigned long long)total,
			   (unsigned long long)vs);
		if (chunk == env.page) {
			full = true;
			break;
		}
		chunk = (chunk / 2) & ~(env.page - 1);
		if (chunk < env.page)
			chunk = env.page;
	}
	igt_info("%s: %d objects, 0x%llx of 0x%llx bytes before ENOSPC\n",
		 env.dev[idx].name, n, (unsigned long long)total,
		 (unsigned long long)vs);
	igt_assert_f(full, "never got ENOSPC after %d objects\n", n);
	igt_assert(total > 0);
	/* every handle closes, then the file; the space comes back */
	for (i = 0; i < n; i++)
		assert_ret(vphyr_uapi_gem_close(fd, hs[i]), 0, "closing handle %u",
			   hs[i]);
	close(fd);
	free(hs);
	fd = env.dev[idx].fd;
	h = igt_vphyr_gem_create(fd, (vs / 2) & ~(env.page - 1), VPHYR_GEM_VRAM);
	gem_close(fd, h);
}

/* ---- GEM_MMAP ---- */

static void test_mmap_invalid_pad(void)
{
	int fd = primary_fd();
	uint64_t off;
	uint32_t h;

	h = igt_vphyr_gem_create(fd, env.page, VPHYR_GEM_SYSTEM);
	assert_ret(vphyr_uapi_gem_mmap(fd, h, 1, &off), EINVAL,
		   "GEM_MMAP pad 1");
	assert_ret(vphyr_uapi_gem_mmap(fd, h, 1u << 31, &off), EINVAL,
		   "GEM_MMAP pad 1 << 31");
	assert_ret(vphyr_uapi_gem_mmap(fd, h, 0, &off), 0,
		   "GEM_MMAP pad 0");
	gem_close(fd, h);
}

static void test_mmap_invalid_handle(void)
{
	int fd = primary_fd();
	uint64_t off;
	uint32_t stale;

	assert_ret(vphyr_uapi_gem_mmap(fd, IGT_VPHYR_BAD_HANDLE, 0, &off),
		   ENOENT, "GEM_MMAP of handle 0x%x", IGT_VPHYR_BAD_HANDLE);
	assert_ret(vphyr_uapi_gem_mmap(fd, 0, 0, &off), ENOENT,
		   "GEM_MMAP of handle 0");
	stale = igt_vphyr_stale_handle(&env, fd);
	assert_ret(vphyr_uapi_gem_mmap(fd, stale, 0, &off), ENOENT,
		   "GEM_MMAP of closed handle %u", stale);
}

static void import_pair(int *a, int *b)
{
	*a = env.sys >= 0 ? env.sys : 0;
	*b = igt_vphyr_primary(&env) != *a ? igt_vphyr_primary(&env) :
					 (*a + 1) % env.ndev;
}

static void test_mmap_imported(void)
{
	int a, b, fa, fb;
	uint32_t h, ih;
	uint64_t off;

	import_pair(&a, &b);
	fa = env.dev[a].fd;
	fb = env.dev[b].fd;
	h = igt_vphyr_gem_create(fa, obj_size(), VPHYR_GEM_SYSTEM);
	ih = igt_vphyr_share(fa, h, fb);
	assert_ret(vphyr_uapi_gem_mmap(fb, ih, 0, &off), EINVAL,
		   "GEM_MMAP of an object of %s imported into %s",
		   env.dev[a].name, env.dev[b].name);
	gem_close(fb, ih);
	gem_close(fa, h);
}

/* ---- GEM_RANGES ---- */

static void test_ranges_invalid_flags(void)
{
	const uint32_t bad[] = { 1, 1u << 1, 1u << 31 };
	struct drm_vphyr_gem_ranges q;
	int fd = primary_fd();
	uint32_t h;
	size_t i;

	h = igt_vphyr_gem_create(fd, env.page, VPHYR_GEM_SYSTEM);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&q, 0, sizeof(q));
		q.handle = h;
		q.flags = bad[i];
		assert_ret(vphyr_uapi_gem_ranges(fd, &q), EINVAL,
			   "GEM_RANGES flags 0x%x", bad[i]);
	}
	memset(&q, 0, sizeof(q));
	q.handle = h;
	assert_ret(vphyr_uapi_gem_ranges(fd, &q), 0, "GEM_RANGES flags 0");
	gem_close(fd, h);
}

static void test_ranges_invalid_handle(void)
{
	struct drm_vphyr_gem_ranges q;
	int fd = primary_fd();
	uint32_t stale;

	memset(&q, 0, sizeof(q));
	q.handle = IGT_VPHYR_BAD_HANDLE;
	assert_ret(vphyr_uapi_gem_ranges(fd, &q), ENOENT,
		   "GEM_RANGES of handle 0x%x", IGT_VPHYR_BAD_HANDLE);
	stale = igt_vphyr_stale_handle(&env, fd);
	memset(&q, 0, sizeof(q));
	q.handle = stale;
	assert_ret(vphyr_uapi_gem_ranges(fd, &q), ENOENT,
		   "GEM_RANGES of closed handle %u", stale);
}

static void ranges_efault(int fd, uint32_t flags)
{
	struct drm_vphyr_gem_ranges q;
	uint32_t h;

	h = igt_vphyr_gem_create(fd, obj_size(), flags);
	memset(&q, 0, sizeof(q));
	q.handle = h;
	assert_ret(vphyr_uapi_gem_ranges(fd, &q), 0, "counting the ranges");
	igt_assert_f(q.count > 0, "an object without ranges\n");
	memset(&q, 0, sizeof(q));
	q.handle = h;
	q.count = 1;
	q.ranges_ptr = (uintptr_t)igt_vphyr_unmapped_address(&env);
	assert_ret(vphyr_uapi_gem_ranges(fd, &q), EFAULT,
		   "GEM_RANGES of a %s object into unmapped memory",
		   flags == VPHYR_GEM_VRAM ? "VRAM" : "system");
	gem_close(fd, h);
}

static void test_ranges_efault(void)
{
	int idx = igt_vphyr_primary(&env);

	ranges_efault(env.dev[idx].fd, VPHYR_GEM_SYSTEM);
	if (igt_vphyr_has_vram(&env, idx))
		ranges_efault(env.dev[idx].fd, VPHYR_GEM_VRAM);
}

/* ---- GEM_DMA ---- */

/* Try one GEM_DMA on a system and (if possible) a VRAM object. */
static void dma_expect(int err, uint32_t flags, uint64_t off, uint64_t len,
		       bool bad_ptr)
{
	int idx = igt_vphyr_primary(&env), fd = env.dev[idx].fd;
	uint32_t placements[] = { VPHYR_GEM_SYSTEM, VPHYR_GEM_VRAM };
	uint64_t size = obj_size();
	void *buf, *ptr;
	uint32_t h;
	size_t i;

	buf = calloc(1, 2 * size);
	igt_assert(buf);
	for (i = 0; i < 2; i++) {
		if (placements[i] == VPHYR_GEM_VRAM &&
		    !igt_vphyr_has_vram(&env, idx))
			continue;
		h = igt_vphyr_gem_create(fd, size, placements[i]);
		ptr = bad_ptr ? igt_vphyr_unmapped_address(&env) : buf;
		assert_ret(vphyr_uapi_gem_dma(fd, h, flags, off, len, ptr), err,
			   "%s object of 0x%llx bytes: GEM_DMA flags 0x%x offset 0x%llx size 0x%llx%s",
			   placements[i] == VPHYR_GEM_VRAM ? "VRAM" : "system",
			   (unsigned long long)size, flags,
			   (unsigned long long)off, (unsigned long long)len,
			   bad_ptr ? " with an unmapped buffer" : "");
		gem_close(fd, h);
	}
	free(buf);
}

static void test_dma_invalid_flags(void)
{
	dma_expect(EINVAL, 0, 0, env.page, false);
	dma_expect(EINVAL, VPHYR_DMA_READ | VPHYR_DMA_WRITE, 0, env.page,
		   false);
	dma_expect(EINVAL, 1u << 2, 0, env.page, false);
	dma_expect(EINVAL, VPHYR_DMA_READ | 1u << 2, 0, env.page, false);
	dma_expect(EINVAL, VPHYR_DMA_WRITE | 1u << 31, 0, env.page, false);
}

static void test_dma_invalid_size(void)
{
	const uint32_t dirs[] = { VPHYR_DMA_READ, VPHYR_DMA_WRITE };
	uint64_t size = obj_size();
	size_t i;

	for (i = 0; i < 2; i++) {
		dma_expect(EINVAL, dirs[i], 0, 0, false);
		dma_expect(EINVAL, dirs[i], env.page, 0, false);
		/* past the end */
		dma_expect(EINVAL, dirs[i], size - env.page, 2 * env.page,
			   false);
		dma_expect(EINVAL, dirs[i], size, 1, false);
		dma_expect(EINVAL, dirs[i], 0, size + 1, false);
		dma_expect(EINVAL, dirs[i], size + env.page, env.page, false);
		/* offset + size wraps past 2^64 to a small value */
		dma_expect(EINVAL, dirs[i], UINT64_MAX - env.page + 1,
			   2 * env.page, false);
		dma_expect(EINVAL, dirs[i], UINT64_MAX, 2, false);
		/* ending exactly at the end is fine */
		dma_expect(0, dirs[i], size - env.page, env.page, false);
		dma_expect(0, dirs[i], 0, size, false);
	}
}

static void test_dma_efault(void)
{
	dma_expect(EFAULT, VPHYR_DMA_READ, 0, env.page, true);
	dma_expect(EFAULT, VPHYR_DMA_WRITE, 0, env.page, true);
}

static void test_dma_invalid_handle(void)
{
	int fd = primary_fd();
	uint32_t stale;
	void *buf;

	buf = calloc(1, env.page);
	igt_assert(buf);
	assert_ret(vphyr_uapi_gem_dma(fd, IGT_VPHYR_BAD_HANDLE, VPHYR_DMA_READ, 0,
				      env.page, buf),
		   ENOENT, "GEM_DMA read of handle 0x%x", IGT_VPHYR_BAD_HANDLE);
	assert_ret(vphyr_uapi_gem_dma(fd, IGT_VPHYR_BAD_HANDLE, VPHYR_DMA_WRITE, 0,
				      env.page, buf),
		   ENOENT, "GEM_DMA write of handle 0x%x", IGT_VPHYR_BAD_HANDLE);
	stale = igt_vphyr_stale_handle(&env, fd);
	assert_ret(vphyr_uapi_gem_dma(fd, stale, VPHYR_DMA_READ, 0, env.page,
				      buf),
		   ENOENT, "GEM_DMA read of closed handle %u", stale);
	assert_ret(vphyr_uapi_gem_dma(fd, stale, VPHYR_DMA_WRITE, 0, env.page,
				      buf),
		   ENOENT, "GEM_DMA write of closed handle %u", stale);
	free(buf);
}

/* ---- GEM_EVICT ---- */

static void test_evict_invalid_flags(void)
{
	const uint32_t bad[] = { 1, 1u << 31 };
	int idx = igt_vphyr_primary(&env), fd = env.dev[idx].fd;
	bool vram = igt_vphyr_has_vram(&env, idx);
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	uint32_t h;
	size_t i;

	h = igt_vphyr_gem_create(fd, obj_size(),
				 vram ? VPHYR_GEM_VRAM : VPHYR_GEM_SYSTEM);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_ret(vphyr_uapi_gem_evict(fd, h, bad[i]), EINVAL,
			   "GEM_EVICT flags 0x%x", bad[i]);
	/* and nothing moved */
	igt_vphyr_get_table(fd, h, &t);
	igt_vphyr_expect_own(&x, idx, vram ? VPHYR_PLACE_VRAM : VPHYR_PLACE_SYSTEM,
			     obj_size());
	igt_vphyr_check_table(&env, "after refused evictions", &t, &x);
	igt_assert_eq_u32(t.q.generation, 0);
	igt_vphyr_table_fini(&t);
	gem_close(fd, h);
}

static void test_evict_invalid_handle(void)
{
	int fd = primary_fd();
	uint32_t stale;

	assert_ret(vphyr_uapi_gem_evict(fd, IGT_VPHYR_BAD_HANDLE, 0), ENOENT,
		   "GEM_EVICT of handle 0x%x", IGT_VPHYR_BAD_HANDLE);
	stale = igt_vphyr_stale_handle(&env, fd);
	assert_ret(vphyr_uapi_gem_evict(fd, stale, 0), ENOENT,
		   "GEM_EVICT of closed handle %u", stale);
}

static void test_evict_imported(void)
{
	struct vgem_bo bo = { .width = 256, .height = 4, .bpp = 32 };
	int a, b, fa, fb, tried = 0;
	uint32_t h, ih;

	if (env.ndev >= 2) {
		import_pair(&a, &b);
		fa = env.dev[a].fd;
		fb = env.dev[b].fd;
		h = igt_vphyr_gem_create(fa, obj_size(), VPHYR_GEM_SYSTEM);
		ih = igt_vphyr_share(fa, h, fb);
		assert_ret(vphyr_uapi_gem_evict(fb, ih, 0), EINVAL,
			   "GEM_EVICT of an object of %s imported into %s",
			   env.dev[a].name, env.dev[b].name);
		gem_close(fb, ih);
		gem_close(fa, h);
		tried++;
	}
	if (env.vgem >= 0) {
		fb = primary_fd();
		vgem_create(env.vgem, &bo);
		ih = igt_vphyr_share(env.vgem, bo.handle, fb);
		assert_ret(vphyr_uapi_gem_evict(fb, ih, 0), EINVAL,
			   "GEM_EVICT of a vgem buffer imported into %s",
			   env.dev[igt_vphyr_primary(&env)].name);
		gem_close(fb, ih);
		gem_close(env.vgem, bo.handle);
		tried++;
	}
	igt_require_f(tried, "needs two vphyr instances or vgem\n");
}

/* ---- LINK ---- */

static void expect_peer(int idx, uint32_t peer)
{
	struct drm_vphyr_info info;

	igt_vphyr_info(env.dev[idx].fd, &info);
	igt_assert_f(info.link_peer == peer, "%s: link_peer 0x%x, expected 0x%x\n",
		     env.dev[idx].name, info.link_peer, peer);
}

static void require_link(int nvram)
{
	igt_vphyr_require_vram(&env, nvram);
	igt_vphyr_require_root(&env);
	igt_vphyr_reset_links(&env);
}

static void test_link_invalid_flags(void)
{
	const uint32_t bad[] = {
		1u << 1, 1u << 31, VPHYR_LINK_REMOVE | 1u << 1,
	};
	int a = env.vram[0], b = env.vram[1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_ret(vphyr_uapi_link(env.dev[a].fd, env.dev[b].fd, bad[i]),
			   EINVAL, "LINK flags 0x%x", bad[i]);
	expect_peer(a, IGT_VPHYR_NO_PEER);
	expect_peer(b, IGT_VPHYR_NO_PEER);
}

static void test_link_invalid_fd(void)
{
	int a = env.vram[0], fa = env.dev[a].fd, fd, p[2];

	assert_ret(vphyr_uapi_link(fa, -1, 0), EBADF, "LINK with peer_fd -1");
	fd = dup(fa);
	igt_assert_fd(fd);
	close(fd);
	assert_ret(vphyr_uapi_link(fa, fd, 0), EBADF,
		   "LINK with the closed peer_fd %d", fd);
	igt_assert_eq(pipe(p), 0);
	assert_ret(vphyr_uapi_link(fa, p[0], 0), EINVAL,
		   "LINK with the read end of a pipe");
	assert_ret(vphyr_uapi_link(fa, p[1], 0), EINVAL,
		   "LINK with the write end of a pipe");
	close(p[0]);
	close(p[1]);
	if (env.vgem >= 0)
		assert_ret(vphyr_uapi_link(fa, env.vgem, 0), EINVAL,
			   "LINK with a vgem file");
	expect_peer(a, IGT_VPHYR_NO_PEER);
}

static void test_link_self(void)
{
	int a = env.vram[0], fa = env.dev[a].fd, fd;

	assert_ret(vphyr_uapi_link(fa, fa, 0), EINVAL, "LINK with its own file");
	fd = igt_vphyr_open_again(&env, a);
	assert_ret(vphyr_uapi_link(fa, fd, 0), EINVAL,
		   "LINK with another file of the same instance");
	close(fd);
	expect_peer(a, IGT_VPHYR_NO_PEER);
}

static void test_link_no_vram(void)
{
	int a = env.vram[0], s = env.sys;

	assert_ret(vphyr_uapi_link(env.dev[s].fd, env.dev[a].fd, 0), ENODEV,
		   "LINK %s with %s", env.dev[s].name, env.dev[a].name);
	assert_ret(vphyr_uapi_link(env.dev[a].fd, env.dev[s].fd, 0), ENODEV,
		   "LINK %s with %s", env.dev[a].name, env.dev[s].name);
	expect_peer(a, IGT_VPHYR_NO_PEER);
	expect_peer(s, IGT_VPHYR_NO_PEER);
}

static void test_link_remove_not_linked(void)
{
	int fa = env.dev[env.vram[0]].fd, fb = env.dev[env.vram[1]].fd;

	assert_ret(vphyr_uapi_link(fa, fb, VPHYR_LINK_REMOVE), ENOENT,
		   "unlink, never linked");
	assert_ret(vphyr_uapi_link(fb, fa, VPHYR_LINK_REMOVE), ENOENT,
		   "unlink the other way, never linked");
	igt_vphyr_link(fa, fb);
	igt_vphyr_unlink(fa, fb);
	assert_ret(vphyr_uapi_link(fa, fb, VPHYR_LINK_REMOVE), ENOENT,
		   "unlink again");
}

static void test_link_busy(void)
{
	int a = env.vram[0], b = env.vram[1], c = env.vram[2];
	int fa = env.dev[a].fd, fb = env.dev[b].fd, fc = env.dev[c].fd;

	igt_vphyr_link(fa, fb);
	assert_ret(vphyr_uapi_link(fa, fc, 0), EBUSY,
		   "LINK %s, already linked, with %s", env.dev[a].name,
		   env.dev[c].name);
	assert_ret(vphyr_uapi_link(fc, fb, 0), EBUSY,
		   "LINK %s with %s, already linked", env.dev[c].name,
		   env.dev[b].name);
	expect_peer(a, env.dev[b].info.instance);
	expect_peer(b, env.dev[a].info.instance);
	expect_peer(c, IGT_VPHYR_NO_PEER);
	igt_vphyr_unlink(fa, fb);
}

/* Whether every range of @t has address 0, a length and the same flags. */
static void expect_hidden(const char *what, const struct igt_vphyr_table *t,
			  const struct igt_vphyr_table *root)
{
	igt_assert_f(t->q.count == root->q.count && t->q.kind == root->q.kind &&
		     t->q.total_len == root->q.total_len,
		     "%s: %u ranges of kind %u, root sees %u of kind %u\n", what,
		     t->q.count, t->q.kind, root->q.count, root->q.kind);
	for (uint32_t i = 0; i < t->q.count; i++)
		igt_assert_f(!t->r[i].addr && t->r[i].len == root->r[i].len &&
			     t->r[i].flags == root->r[i].flags,
			     "%s: range %u reads 0x%llx+0x%llx flags 0x%x\n", what, i,
			     (unsigned long long)t->r[i].addr,
			     (unsigned long long)t->r[i].len, t->r[i].flags);
}

static void test_ranges_unprivileged(void)
{
	int a = env.nvram ? env.vram[0] : 0, b = a ? 0 : 1;
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	struct igt_vphyr_table own, imp;
	uint32_t h, hi;

	h = igt_vphyr_gem_create(fa, obj_size(),
				 env.nvram ? VPHYR_GEM_VRAM : VPHYR_GEM_SYSTEM);
	hi = igt_vphyr_share(fa, h, fb);
	igt_vphyr_get_table(fa, h, &own);
	igt_vphyr_get_table(fb, hi, &imp);
	igt_assert_eq_u32(imp.q.kind, VPHYR_RANGES_DMA);
	igt_assert_f(own.q.count && own.r[0].addr && imp.q.count && imp.r[0].addr,
		     "root reads no address: nothing to hide\n");

	igt_fork(child, 1) {
		struct igt_vphyr_table t;
		struct drm_vphyr_info info;

		igt_assert_eq(setgid(65534), 0);
		igt_assert_eq(setuid(65534), 0);
		igt_vphyr_info(fa, &info);
		igt_assert_f(!info.vram_base, "%s: VRAM base 0x%llx\n",
			     env.dev[a].name, (unsigned long long)info.vram_base);
		igt_vphyr_get_table(fa, h, &t);
		expect_hidden("own object", &t, &own);
		igt_vphyr_table_fini(&t);
		igt_vphyr_get_table(fb, hi, &t);
		expect_hidden("imported object", &t, &imp);
		igt_vphyr_table_fini(&t);
	}
	igt_waitchildren();
	igt_vphyr_table_fini(&own);
	igt_vphyr_table_fini(&imp);
	gem_close(fb, hi);
	gem_close(fa, h);
}

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("GEM_CREATE refuses flags other than exactly one placement.");
	igt_subtest_with_dynamic("create-invalid-flags") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_create_invalid_flags(i);
	}

	igt_describe("GEM_CREATE refuses zero and unaligned sizes.");
	igt_subtest_with_dynamic("create-invalid-size") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_create_invalid_size(i);
	}

	igt_describe("GEM_CREATE refuses VRAM objects larger than the VRAM.");
	igt_subtest_with_dynamic("create-vram-too-big") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_dynamic_each_vram(&env, i)
			test_create_vram_too_big(i);
	}

	igt_describe("No address reaches a caller without CAP_SYS_ADMIN.");
	igt_subtest("ranges-unprivileged") {
		igt_vphyr_require_devs(&env, 2);
		igt_vphyr_require_root(&env);
		test_ranges_unprivileged();
	}

	igt_describe("GEM_CREATE refuses VRAM objects where there is no VRAM.");
	igt_subtest("create-vram-no-vram") {
		uint32_t h;

		igt_vphyr_require_sys(&env);
		assert_ret(vphyr_uapi_gem_create(env.dev[env.sys].fd, env.page,
						 VPHYR_GEM_VRAM, &h),
			   ENODEV, "VRAM object on %s", env.dev[env.sys].name);
	}

	igt_describe("GEM_MMAP refuses a nonzero pad.");
	igt_subtest("mmap-invalid-pad") {
		igt_vphyr_require_dev(&env);
		test_mmap_invalid_pad();
	}

	igt_describe("GEM_MMAP refuses handles that do not exist.");
	igt_subtest("mmap-invalid-handle") {
		igt_vphyr_require_dev(&env);
		test_mmap_invalid_handle();
	}

	igt_describe("GEM_MMAP refuses imported objects.");
	igt_subtest("mmap-imported") {
		igt_vphyr_require_devs(&env, 2);
		test_mmap_imported();
	}

	igt_describe("GEM_RANGES refuses nonzero flags.");
	igt_subtest("ranges-invalid-flags") {
		igt_vphyr_require_dev(&env);
		test_ranges_invalid_flags();
	}

	igt_describe("GEM_RANGES refuses handles that do not exist.");
	igt_subtest("ranges-invalid-handle") {
		igt_vphyr_require_dev(&env);
		test_ranges_invalid_handle();
	}

	igt_describe("GEM_RANGES into unmapped memory is EFAULT.");
	igt_subtest("ranges-efault") {
		igt_vphyr_require_dev(&env);
		test_ranges_efault();
	}

	igt_describe("GEM_DMA refuses anything but exactly one direction.");
	igt_subtest("dma-invalid-flags") {
		igt_vphyr_require_dev(&env);
		test_dma_invalid_flags();
	}

	igt_describe("GEM_DMA refuses empty, out-of-bounds and wrapping accesses.");
	igt_subtest("dma-invalid-size") {
		igt_vphyr_require_dev(&env);
		test_dma_invalid_size();
	}

	igt_describe("GEM_DMA with an unmapped user buffer is EFAULT.");
	igt_subtest("dma-efault") {
		igt_vphyr_require_dev(&env);
		test_dma_efault();
	}

	igt_describe("GEM_DMA refuses handles that do not exist.");
	igt_subtest("dma-invalid-handle") {
		igt_vphyr_require_dev(&env);
		test_dma_invalid_handle();
	}

	igt_describe("GEM_EVICT refuses nonzero flags and then moves nothing.");
	igt_subtest("evict-invalid-flags") {
		igt_vphyr_require_dev(&env);
		test_evict_invalid_flags();
	}

	igt_describe("GEM_EVICT refuses handles that do not exist.");
	igt_subtest("evict-invalid-handle") {
		igt_vphyr_require_dev(&env);
		test_evict_invalid_handle();
	}

	igt_describe("GEM_EVICT refuses imported objects.");
	igt_subtest("evict-imported") {
		igt_vphyr_require_dev(&env);
		test_evict_imported();
	}

	igt_describe("LINK refuses unknown flags.");
	igt_subtest("link-invalid-flags") {
		require_link(2);
		test_link_invalid_flags();
	}

	igt_describe("LINK refuses descriptors that are not vphyr devices.");
	igt_subtest("link-invalid-fd") {
		require_link(1);
		test_link_invalid_fd();
	}

	igt_describe("LINK refuses to link an instance with itself.");
	igt_subtest("link-self") {
		require_link(1);
		test_link_self();
	}

	igt_describe("LINK refuses the instance without VRAM.");
	igt_subtest("link-no-vram") {
		require_link(1);
		igt_vphyr_require_sys(&env);
		test_link_no_vram();
	}

	igt_describe("Removing a link that does not exist is ENOENT.");
	igt_subtest("link-remove-not-linked") {
		require_link(2);
		test_link_remove_not_linked();
	}

	igt_describe("LINK refuses an instance already linked elsewhere.");
	igt_subtest("link-busy") {
		igt_require_f(env.nvram >= 3,
			      "needs three vphyr instances with VRAM, found %d (boot the VM with --ivshmem 64M,64M,64M)\n",
			      env.nvram);
		require_link(3);
		test_link_busy();
	}

	/* last: a failure here may leave the VRAM full */
	igt_describe("Full VRAM is ENOSPC, and freeing it makes room again.");
	igt_subtest_with_dynamic("create-vram-enospc") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_dynamic_each_vram(&env, i)
			test_create_vram_enospc(i);
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
