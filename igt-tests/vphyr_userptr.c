// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr userptr
 * Category: Core
 * Mega feature: phyr
 * Sub-category: userptr
 * Functionality: GEM objects of pinned user memory
 * Description: GEM_USERPTR pins a range of the caller's memory for the
 *	lifetime of an object. Its ranges are the physically contiguous runs
 *	of the pages (compared with /proc/self/pagemap as root), the device's
 *	DMA reaches exactly those pages, another instance can import the
 *	object, and invalid arguments are refused.
 * Test category: functionality test
 *
 * SUBTEST: userptr-basic
 * Description: Objects of 1, 3 and 16 pages, touched or not, are host
 *	memory with placement USERPTR, every range flagged IC_HOST | PINNED,
 *	lengths adding up to the size.
 *
 * SUBTEST: userptr-dma
 * Description: The device reads by DMA what the CPU wrote into the user
 *	memory, before and after GEM_USERPTR, and the CPU reads there what
 *	the device wrote, a short unaligned write included.
 *
 * SUBTEST: userptr-errors
 * Description: Unaligned addresses, zero or unaligned sizes, nonzero
 *	flags and wrapping ranges are EINVAL; unmapped, partly unmapped and
 *	read-only ranges EFAULT; more than half of RAM E2BIG.
 *
 * SUBTEST: userptr-thp
 * Description: A 2 MiB-aligned transparent huge page is one range of
 *	2 MiB.
 *
 * SUBTEST: userptr-prime
 * Description: A userptr object imported by another instance maps as
 *	host memory; the importer's DMA reads and writes are the user
 *	memory's bytes, also once the exporter's handle is closed.
 */
#include <sys/mman.h>

#include <linux/capability.h>

#include "igt_vphyr.h"
#include "vphyr_umem.h"

IGT_TEST_DESCRIPTION("vphyr userptr objects: pinned user memory, its ranges, DMA, PRIME and argument checks");

#define UPTR_PAGES	16

static struct vphyr_env env;

static uint64_t uptr_size(void)
{
	return UPTR_PAGES * env.page;
}

static unsigned char *anon_map(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	igt_assert_f(p != MAP_FAILED, "anonymous mmap of 0x%llx bytes: %s\n",
		     (unsigned long long)size, strerror(errno));
	return p;
}

static uint32_t userptr(int fd, const void *addr, uint64_t size)
{
	uint32_t h;
	int ret;

	ret = umem_userptr(fd, (uintptr_t)addr, size, 0, &h);
	igt_assert_f(ret == 0, "GEM_USERPTR of 0x%llx bytes at %p: %s\n",
		     (unsigned long long)size, addr, strerror(-ret));
	igt_assert_neq_u32(h, 0);
	return h;
}

/*
 * The table of userptr object h of instance idx: physical, host memory,
 * placement USERPTR, generation 0, and what umem_check_ranges() checks.
 */
static void check_userptr(int idx, uint32_t h, const char *what,
			  const struct umem_expect *x)
{
	struct vphyr_expect e;
	struct vphyr_table t;
	char msg[256];
	int r;

	vphyr_get_table(env.dev[idx].fd, h, &t);
	vphyr_expect_own(&e, idx, VPHYR_PLACE_USERPTR, x->size);
	e.max_ranges = x->max_ranges;
	vphyr_check_table(&env, what, &t, &e);
	igt_assert_eq_u32(t.q.generation, 0);
	r = umem_check_ranges(t.r, t.q.count, x, msg, sizeof(msg));
	igt_assert_f(r >= 0, "%s: %s\n", what, msg);
	igt_debug("%s: %u range(s)%s\n", what, t.q.count,
		  r > 0 ? ", as pagemap shows" : "");
	vphyr_table_fini(&t);
}

static void test_basic(int idx)
{
	const struct {
		uint64_t pages;
		bool touch;	/* written before GEM_USERPTR */
		const char *what;
	} shapes[] = {
		{ 1, true, "userptr object of 1 page" },
		{ 3, true, "userptr object of 3 pages" },
		{ UPTR_PAGES, true, "userptr object of 16 pages" },
		/* the pin faults the pages in */
		{ UPTR_PAGES, false, "userptr object of 16 untouched pages" },
	};
	int fd = env.dev[idx].fd;
	struct umem_expect x;
	unsigned char *m;
	uint64_t size;
	uint32_t h;
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		size = shapes[i].pages * env.page;
		m = anon_map(size);
		if (shapes[i].touch)
			memset(m, 0x11, size);
		h = userptr(fd, m, size);
		x = (struct umem_expect){
			.addr = m, .size = size, .unit = env.page,
		};
		check_userptr(idx, h, shapes[i].what, &x);
		gem_close(fd, h);
		munmap(m, size);
	}
}

static void test_dma(int idx)
{
	uint64_t size = uptr_size(), off = env.page - 5, len = 20;
	int fd = env.dev[idx].fd;
	unsigned char *m;
	uint32_t h;

	m = anon_map(size);
	vphyr_fill(m, size, 21, 0);
	h = userptr(fd, m, size);
	vphyr_check_dma("DMA read of what the CPU wrote before GEM_USERPTR",
			fd, h, 0, size, 21);
	vphyr_fill(m, size, 22, 0);
	vphyr_check_dma("DMA read of what the CPU wrote after GEM_USERPTR",
			fd, h, 0, size, 22);
	vphyr_write_dma(fd, h, 0, size, 23);
	vphyr_assert_pattern("user memory after a DMA write", m, size, 23, 0);

	/* a short write across a page boundary changes only its bytes */
	vphyr_write_dma(fd, h, off, len, 24);
	vphyr_assert_pattern("bytes before a short DMA write", m, off, 23, 0);
	vphyr_assert_pattern("a short DMA write", m + off, len, 24, off);
	vphyr_assert_pattern("bytes after a short DMA write", m + off + len,
			     size - off - len, 23, off + len);
	gem_close(fd, h);
	munmap(m, size);
}

static void test_errors(int idx)
{
	struct umem_bad b[UMEM_BAD_MAX];
	int fd = env.dev[idx].fd, n, i, ret, wrong = 0;
	void *area;
	uint32_t h;

	area = umem_bad_area();
	igt_assert_f(area, "mapping the test area: %s\n", strerror(errno));
	n = umem_bad_args(area, umem_has_cap(CAP_IPC_LOCK) > 0, b);
	for (i = 0; i < n; i++) {
		ret = umem_userptr(fd, b[i].addr, b[i].size, b[i].flags, &h);
		if (ret != b[i].err) {
			igt_warn("GEM_USERPTR of %s (addr 0x%llx size 0x%llx flags 0x%x): expected %s, got %s\n",
				 b[i].what, (unsigned long long)b[i].addr,
				 (unsigned long long)b[i].size, b[i].flags,
				 strerror(-b[i].err), strerror(-ret));
			wrong++;
		}
		if (ret)
			continue;
		if (h) {
			__vphyr_gem_close(fd, h);
		} else {
			igt_warn("GEM_USERPTR of %s gave handle 0\n",
				 b[i].what);
			wrong++;
		}
	}
	umem_bad_area_free(area);
	igt_assert_f(!wrong, "%d of %d GEM_USERPTR calls gave a wrong result\n",
		     wrong, n);
}

static void test_thp(int idx, unsigned char *m, uint64_t hp)
{
	int fd = env.dev[idx].fd;
	struct umem_expect x;
	long long kb;
	uint32_t h;

	h = userptr(fd, m, hp);
	kb = umem_anon_huge_kb(m);
	if (kb < (long long)(hp >> 10)) {
		__vphyr_gem_close(fd, h);
		igt_skip("the huge page was split or moved when pinned (AnonHugePages %lld kB)\n",
			 kb);
	}
	x = (struct umem_expect){
		.addr = m, .size = hp, .unit = hp, .max_ranges = 1,
	};
	check_userptr(idx, h, "userptr object of a transparent huge page", &x);
	vphyr_check_dma("DMA read of the huge page", fd, h, 0, hp, 31);
	gem_close(fd, h);
}

static void test_prime(int a, int b)
{
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = uptr_size();
	struct vphyr_expect x;
	struct vphyr_table t;
	unsigned char *m;
	uint32_t h, ih;

	m = anon_map(size);
	vphyr_fill(m, size, 41, 0);
	h = userptr(fa, m, size);
	ih = vphyr_share(fa, h, fb);

	vphyr_get_table(fb, ih, &t);
	vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, VPHYR_VIA_HOSTMEM, size);
	vphyr_check_table(&env, "imported userptr object", &t, &x);
	igt_assert_eq_u32(t.q.generation, 0);
	vphyr_table_fini(&t);

	vphyr_check_dma("importer's DMA read of the user memory", fb, ih, 0,
			size, 41);
	vphyr_write_dma(fb, ih, 0, size, 42);
	vphyr_assert_pattern("user memory after the importer's DMA write", m,
			     size, 42, 0);

	/* the import keeps the object and its pages without the handle */
	gem_close(fa, h);
	vphyr_fill(m, size, 43, 0);
	vphyr_check_dma("importer's DMA read after the exporter's handle closed",
			fb, ih, 0, size, 43);
	gem_close(fb, ih);
	munmap(m, size);
}

igt_main
{
	igt_fixture
		vphyr_env_open(&env);

	igt_describe("Userptr objects are pinned host memory described by its contiguous runs.");
	igt_subtest_with_dynamic("userptr-basic") {
		vphyr_require_dev(&env);
		for (int i = 0; i < env.ndev; i++)
			igt_dynamic(env.dev[i].name)
				test_basic(i);
	}

	igt_describe("CPU and device see each other's writes to userptr memory.");
	igt_subtest_with_dynamic("userptr-dma") {
		vphyr_require_dev(&env);
		for (int i = 0; i < env.ndev; i++)
			igt_dynamic(env.dev[i].name)
				test_dma(i);
	}

	igt_describe("GEM_USERPTR refuses invalid, unmapped and too large ranges.");
	igt_subtest_with_dynamic("userptr-errors") {
		vphyr_require_dev(&env);
		for (int i = 0; i < env.ndev; i++)
			igt_dynamic(env.dev[i].name)
				test_errors(i);
	}

	igt_describe("A transparent huge page is one range.");
	igt_subtest_with_dynamic("userptr-thp") {
		uint64_t hp = umem_thp_size();
		char msg[256];
		void *p;
		int ret;

		vphyr_require_dev(&env);
		ret = umem_thp_map(hp, &p, msg, sizeof(msg));
		igt_require_f(ret <= 0, "%s\n", msg);
		if (!ret)
			vphyr_fill(p, hp, 31, 0);
		/* only a dynamic subtest may fail: a failed mapping fails each */
		for (int i = 0; i < env.ndev; i++)
			igt_dynamic(env.dev[i].name) {
				igt_assert_f(ret == 0, "%s\n", msg);
				test_thp(i, p, hp);
			}
		if (!ret)
			munmap(p, hp);
	}

	igt_describe("Userptr objects shared between instances map as host memory.");
	igt_subtest_with_dynamic("userptr-prime") {
		igt_require_f(env.ndev >= 2, "needs two vphyr instances, found %d\n",
			      env.ndev);
		for (int a = 0; a < env.ndev; a++)
			for (int b = 0; b < env.ndev; b++)
				if (a != b)
					igt_dynamic_f("%s-to-%s",
						      env.dev[a].name,
						      env.dev[b].name)
						test_prime(a, b);
	}

	igt_fixture
		vphyr_env_close(&env);
}
