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
 * Description: Objects of 1, 3 and 16 pages, touched or not, and of 4
 *	pages inside a larger mapping, are host memory with placement
 *	USERPTR, every range flagged IC_HOST | PINNED, lengths adding up to
 *	the size; two objects of the same memory have the same ranges.
 *
 * SUBTEST: userptr-dma
 * Description: The device reads by DMA what the CPU wrote into the user
 *	memory, before and after GEM_USERPTR and at an unaligned offset, and
 *	the CPU reads there what the device wrote, a short unaligned write
 *	included; memory never touched reads as zeroes.
 *
 * SUBTEST: userptr-errors
 * Description: Unaligned addresses, zero or unaligned sizes, nonzero
 *	flags and wrapping ranges are EINVAL; unmapped, partly unmapped and
 *	read-only ranges EFAULT; more than half of RAM E2BIG. No refused call
 *	leaves a pin (VmPin) or a handle behind.
 *
 * SUBTEST: userptr-thp
 * Description: A 2 MiB-aligned transparent huge page is one range of
 *	2 MiB, and two pages inside it are one range too.
 *
 * SUBTEST: userptr-hugetlb
 * Description: Objects of one and of two 2 MiB hugetlb pages have one
 *	range per huge page at most; two pages across the boundary of two
 *	huge pages at most two ranges. The device reads the memory's bytes.
 *
 * SUBTEST: userptr-hugetlb-memfd
 * Description: The same objects over a hugetlb memfd mapped shared, which
 *	the kernel pins folio by folio (memfd_pin_folios()): one range per
 *	huge page at most, the device reads the bytes, and once the objects,
 *	the mapping and the memfd are gone every huge page is free again
 *	(a pin taken per folio and dropped per page, or the reverse, would
 *	leak them or underflow their count).
 *
 * SUBTEST: userptr-memlock
 * Description: Without CAP_IPC_LOCK, pins are charged to VmPin and bounded
 *	by RLIMIT_MEMLOCK: 1 MiB under a 64 KiB limit is ENOMEM, 32 KiB
 *	works, exactly the limit works and one page more is ENOMEM; closing
 *	gives the charge back.
 *
 * SUBTEST: userptr-munmap
 * Description: Unmapping the user memory keeps the object's pages pinned
 *	and its ranges and data unchanged; new memory mapped at the same
 *	address is not the object's. Closing the object releases the pin.
 *
 * SUBTEST: userptr-prime
 * Description: A userptr object imported by another instance maps as
 *	host memory; the importer's and the exporter's DMA reads and writes
 *	are the user memory's bytes, also once the exporter's handle is
 *	closed.
 *
 * SUBTEST: userptr-evict-noop
 * Description: GEM_EVICT of a userptr object succeeds and changes
 *	nothing: same ranges, the user's pages still shared with the device.
 *
 * SUBTEST: userptr-leak
 * Description: Hundreds of GEM_USERPTR and close cycles without
 *	CAP_IPC_LOCK: VmPin goes up by the object's size while it is open
 *	and back after, and no descriptor or handle is left behind.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/resource.h>

#include <linux/capability.h>

#include "igt_vphyr.h"

IGT_TEST_DESCRIPTION("vphyr userptr objects: pinned user memory, its ranges, DMA, PRIME and argument checks");

#define UPTR_PAGES		16
#define HUGETLB_DIR		"/sys/kernel/mm/hugepages/hugepages-2048kB"
/* the memfd flag has the mmap flag's value (linux/memfd.h) */
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB		MAP_HUGE_2MB
#endif
#define HUGETLB_SIZE		(2ull << 20)
#define HUGETLB_PAGES		2
#define MEMLOCK_LIMIT		(64u << 10)
#define MEMLOCK_SMALL		(32u << 10)
#define MEMLOCK_BIG		(1u << 20)
#define LEAK_USERPTR_CYCLES	300

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB		(21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

static struct igt_vphyr_env env;

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

	ret = vphyr_uapi_gem_userptr(fd, (uintptr_t)addr, size, 0, &h);
	igt_assert_f(ret == 0, "GEM_USERPTR of 0x%llx bytes at %p: %s\n",
		     (unsigned long long)size, addr, strerror(-ret));
	igt_assert_neq_u32(h, 0);
	return h;
}

/*
 * The table of userptr object h of instance idx: physical, host memory,
 * placement USERPTR, generation 0, and what phyr_userptr_check_ranges() checks.
 * The table is left in t (igt_vphyr_table_fini() it), or freed if t is NULL.
 */
static void check_userptr(int idx, uint32_t h, const char *what,
			  const struct phyr_userptr_expect *x, struct igt_vphyr_table *t)
{
	struct igt_vphyr_table own;
	struct igt_vphyr_expect e;
	char msg[256];
	int r;

	if (!t)
		t = &own;
	igt_vphyr_get_table(env.dev[idx].fd, h, t);
	igt_vphyr_expect_own(&e, idx, VPHYR_PLACE_USERPTR, x->size);
	e.max_ranges = x->max_ranges;
	igt_vphyr_check_table(&env, what, t, &e);
	igt_assert_eq_u32(t->q.generation, 0);
	r = phyr_userptr_check_ranges(t->r, t->q.count, x, msg, sizeof(msg));
	igt_assert_f(r >= 0, "%s: %s\n", what, msg);
	igt_debug("%s: %u range(s)%s\n", what, t->q.count,
		  r > 0 ? ", as pagemap shows" : "");
	if (t == &own)
		igt_vphyr_table_fini(t);
}

/* Memory holding pattern seed and a userptr object of it on idx. */
static unsigned char *userptr_filled(int idx, uint64_t size, uint32_t seed,
				     uint32_t *h)
{
	unsigned char *m = anon_map(size);

	phyr_pattern_fill(m, size, seed, 0);
	*h = userptr(env.dev[idx].fd, m, size);
	return m;
}

/* The device's DMA read of len bytes of object h must give the bytes at mem. */
static void check_dma_mem(const char *what, int fd, uint32_t h,
			  const void *mem, uint64_t len)
{
	unsigned char *buf = malloc(len);
	const unsigned char *c = mem;
	uint64_t i;
	int ret;

	igt_assert(buf);
	memset(buf, 0xa5, len);
	ret = vphyr_uapi_gem_dma(fd, h, VPHYR_DMA_READ, 0, len, buf);
	igt_assert_f(ret == 0, "%s: GEM_DMA read: %s\n", what, strerror(-ret));
	for (i = 0; i < len && buf[i] == c[i]; i++)
		;
	igt_assert_f(i == len,
		     "%s: the DMA read differs from the memory at offset 0x%llx: 0x%02x, expected 0x%02x\n",
		     what, (unsigned long long)i, buf[i < len ? i : 0],
		     c[i < len ? i : 0]);
	free(buf);
}

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

static void test_basic(int idx)
{
	const struct {
		uint64_t pages;		/* of the object */
		uint64_t map_pages;	/* of the mapping it is taken from */
		uint64_t first;		/* its first page in the mapping */
		bool touch;		/* written before GEM_USERPTR */
		const char *what;
	} shapes[] = {
		{ 1, 1, 0, true, "userptr object of 1 page" },
		{ 3, 3, 0, true, "userptr object of 3 pages" },
		{ UPTR_PAGES, UPTR_PAGES, 0, true,
		  "userptr object of 16 pages" },
		/* the pin faults the pages in */
		{ UPTR_PAGES, UPTR_PAGES, 0, false,
		  "userptr object of 16 untouched pages" },
		{ 4, UPTR_PAGES, 5, true,
		  "userptr object of 4 pages inside a 16-page mapping" },
	};
	int fd = env.dev[idx].fd;
	struct igt_vphyr_table t, t2;
	struct phyr_userptr_expect x;
	uint64_t size, len;
	unsigned char *m;
	uint32_t h, h2;
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		len = shapes[i].map_pages * env.page;
		size = shapes[i].pages * env.page;
		m = anon_map(len);
		if (shapes[i].touch)
			memset(m, 0x11, len);
		x = (struct phyr_userptr_expect){
			.addr = m + shapes[i].first * env.page, .size = size,
			.unit = env.page,
		};
		h = userptr(fd, x.addr, size);
		check_userptr(idx, h, shapes[i].what, &x, NULL);
		gem_close(fd, h);
		munmap(m, len);
	}

	/* the same memory twice: two objects with the same ranges */
	size = uptr_size();
	m = anon_map(size);
	memset(m, 0x22, size);
	x = (struct phyr_userptr_expect){ .addr = m, .size = size, .unit = env.page };
	h = userptr(fd, m, size);
	check_userptr(idx, h, "first userptr object of a range", &x, &t);
	h2 = userptr(fd, m, size);
	check_userptr(idx, h2, "second userptr object of the range", &x, &t2);
	igt_assert_f(h2 != h, "the second object got the first one's handle %u\n",
		     h);
	igt_assert_f(igt_vphyr_same_table(&t, &t2),
		     "two objects of the same memory have different ranges\n");
	igt_vphyr_table_fini(&t);
	igt_vphyr_table_fini(&t2);
	gem_close(fd, h2);
	gem_close(fd, h);
	munmap(m, size);
}

static void test_dma(int idx)
{
	uint64_t size = uptr_size(), off = env.page - 5, len = 20;
	unsigned char *m, *buf;
	int fd = env.dev[idx].fd, ret;
	uint32_t h;

	m = anon_map(size);
	phyr_pattern_fill(m, size, 21, 0);
	h = userptr(fd, m, size);
	igt_vphyr_check_dma("DMA read of what the CPU wrote before GEM_USERPTR",
			    fd, h, 0, size, 21);
	phyr_pattern_fill(m, size, 22, 0);
	igt_vphyr_check_dma("DMA read of what the CPU wrote after GEM_USERPTR",
			    fd, h, 0, size, 22);
	igt_vphyr_check_dma("DMA read at an unaligned offset", fd, h, 100,
			    2 * env.page + 13, 22);
	igt_vphyr_write_dma(fd, h, 0, size, 23);
	igt_vphyr_assert_pattern("user memory after a DMA write", m, size, 23, 0);

	/* a short write across a page boundary changes only its bytes */
	igt_vphyr_write_dma(fd, h, off, len, 24);
	igt_vphyr_assert_pattern("bytes before a short DMA write", m, off, 23, 0);
	igt_vphyr_assert_pattern("a short DMA write", m + off, len, 24, off);
	igt_vphyr_assert_pattern("bytes after a short DMA write", m + off + len,
				 size - off - len, 23, off + len);
	gem_close(fd, h);
	munmap(m, size);

	/* memory never touched: the pin faults in zeroed pages */
	m = anon_map(size);
	h = userptr(fd, m, size);
	buf = malloc(size);
	igt_assert(buf);
	memset(buf, 0xa5, size);
	ret = vphyr_uapi_gem_dma(fd, h, VPHYR_DMA_READ, 0, size, buf);
	igt_assert_f(ret == 0, "GEM_DMA read of untouched memory: %s\n",
		     strerror(-ret));
	igt_assert_f(all_zero(buf, size),
		     "DMA read of untouched memory is not all zero\n");
	free(buf);
	igt_vphyr_write_dma(fd, h, 0, size, 25);
	igt_vphyr_assert_pattern("untouched memory after a DMA write", m, size, 25,
				 0);
	gem_close(fd, h);
	munmap(m, size);
}

static void test_errors(int idx)
{
	struct phyr_bad_userptr b[PHYR_BAD_ARGS_MAX];
	int fd = igt_vphyr_open_again(&env, idx), n, i, ret, wrong = 0, left;
	long long pin0, pin1;
	uint32_t h, maxh = 0;
	void *area;

	area = phyr_bad_area_map();
	igt_assert_f(area, "mapping the test area: %s\n", strerror(errno));
	n = phyr_bad_userptr_args(area, phyr_has_cap(CAP_IPC_LOCK) > 0, b);
	pin0 = igt_vphyr_vmpin_kb();
	for (i = 0; i < n; i++) {
		ret = vphyr_uapi_gem_userptr(fd, b[i].addr, b[i].size, b[i].flags, &h);
		if (ret != b[i].err) {
			igt_warn("GEM_USERPTR of %s (addr 0x%llx size 0x%llx flags 0x%x): expected %s, got %s\n",
				 b[i].what, (unsigned long long)b[i].addr,
				 (unsigned long long)b[i].size, b[i].flags,
				 strerror(-b[i].err), strerror(-ret));
			wrong++;
		}
		if (ret)
			continue;
		if (h > maxh)
			maxh = h;
		if (h) {
			igt_assert_eq(vphyr_uapi_gem_close(fd, h), 0);
		} else {
			igt_warn("GEM_USERPTR of %s gave handle 0\n",
				 b[i].what);
			wrong++;
		}
	}
	phyr_bad_area_unmap(area);
	igt_assert_f(!wrong, "%d of %d GEM_USERPTR calls gave a wrong result\n",
		     wrong, n);
	pin1 = igt_vphyr_vmpin_kb();
	igt_assert_f(pin1 == pin0, "VmPin %lld kB before the calls, %lld kB after\n",
		     pin0, pin1);
	left = igt_vphyr_count_handles(fd, maxh + 16);
	igt_assert_f(left == 0, "%d handle(s) open after the calls\n", left);
	close(fd);
}

static void test_thp(int idx, unsigned char *m, uint64_t hp)
{
	int fd = env.dev[idx].fd;
	struct phyr_userptr_expect x;
	uint32_t h, h2;
	long long kb;

	h = userptr(fd, m, hp);
	kb = phyr_anon_huge_kb(m, 0, NULL);
	if (kb < (long long)(hp >> 10)) {
		vphyr_uapi_gem_close(fd, h);
		igt_skip("the huge page was split or moved when pinned (AnonHugePages %lld kB)\n",
			 kb);
	}
	x = (struct phyr_userptr_expect){
		.addr = m, .size = hp, .unit = hp, .max_ranges = 1,
	};
	check_userptr(idx, h, "userptr object of a transparent huge page", &x,
		      NULL);
	igt_vphyr_check_dma("DMA read of the huge page", fd, h, 0, hp, 31);

	/* a part of the huge page is physically contiguous too */
	h2 = userptr(fd, m + env.page, 2 * env.page);
	x = (struct phyr_userptr_expect){
		.addr = m + env.page, .size = 2 * env.page, .unit = env.page,
		.max_ranges = 1,
	};
	check_userptr(idx, h2,
		      "userptr object of 2 pages inside a transparent huge page",
		      &x, NULL);
	check_dma_mem("DMA read of 2 pages inside the huge page", fd, h2,
		      m + env.page, 2 * env.page);
	gem_close(fd, h2);
	gem_close(fd, h);
}

static void test_prime(int a, int b)
{
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = uptr_size();
	struct igt_vphyr_expect x;
	struct phyr_userptr_expect ux;
	struct igt_vphyr_table t;
	unsigned char *m;
	uint32_t h, ih;

	m = userptr_filled(a, size, 41, &h);
	ih = igt_vphyr_share(fa, h, fb);

	igt_vphyr_get_table(fb, ih, &t);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, IGT_VPHYR_VIA_HOSTMEM, size);
	igt_vphyr_check_table(&env, "imported userptr object", &t, &x);
	igt_assert_eq_u32(t.q.generation, 0);
	igt_vphyr_table_fini(&t);

	igt_vphyr_check_dma("importer's DMA read of the user memory", fb, ih, 0,
			    size, 41);
	igt_vphyr_write_dma(fb, ih, 0, size, 42);
	igt_vphyr_assert_pattern("user memory after the importer's DMA write", m,
				 size, 42, 0);
	phyr_pattern_fill(m, size, 44, 0);
	igt_vphyr_check_dma("importer's DMA read of a CPU write", fb, ih, 0, size,
			    44);
	igt_vphyr_check_dma("exporter's DMA read of a CPU write", fa, h, 0, size,
			    44);
	ux = (struct phyr_userptr_expect){ .addr = m, .size = size, .unit = env.page };
	check_userptr(a, h, "exporter of a userptr object", &ux, NULL);

	/* the import keeps the object and its pages without the handle */
	gem_close(fa, h);
	phyr_pattern_fill(m, size, 43, 0);
	igt_vphyr_check_dma("importer's DMA read after the exporter's handle closed",
			    fb, ih, 0, size, 43);
	igt_vphyr_write_dma(fb, ih, 0, size, 45);
	igt_vphyr_assert_pattern("user memory after a DMA write by the importer alone",
				 m, size, 45, 0);
	gem_close(fb, ih);
	munmap(m, size);
}

/* ---- hugetlb ---- */

static unsigned long long hugetlb_saved = ~0ull;

static int sysfs_ull(const char *name, unsigned long long *v)
{
	char path[128];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/%s", HUGETLB_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%llu", v);
	fclose(f);
	return n == 1 ? 0 : -EIO;
}

static int sysfs_set_nr_hugepages(unsigned long long v)
{
	FILE *f = fopen(HUGETLB_DIR "/nr_hugepages", "we");
	int ret = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%llu\n", v) < 0)
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
}

static void hugetlb_restore(int sig)
{
	(void)sig;
	if (hugetlb_saved == ~0ull)
		return;
	sysfs_set_nr_hugepages(hugetlb_saved);
	hugetlb_saved = ~0ull;
}

/*
 * Make sure n free 2 MiB hugetlb pages exist, reserving more as root;
 * nr_hugepages goes back with hugetlb_restore(). Skips if it cannot.
 */
static void require_huge_pages(unsigned long long n)
{
	unsigned long long nfree, nr, want;
	int ret;

	ret = sysfs_ull("free_hugepages", &nfree);
	igt_require_f(ret == 0, "no 2 MiB hugetlb pages (%s/free_hugepages: %s)\n",
		      HUGETLB_DIR, strerror(-ret));
	if (nfree >= n)
		return;
	igt_require_f(env.root,
		      "%llu free 2 MiB hugetlb pages, %llu needed, and only root may reserve more\n",
		      nfree, n);
	ret = sysfs_ull("nr_hugepages", &nr);
	igt_require_f(ret == 0, "reading nr_hugepages: %s\n", strerror(-ret));
	want = nr + n - nfree;
	hugetlb_saved = nr;
	igt_install_exit_handler(hugetlb_restore);
	ret = sysfs_set_nr_hugepages(want);
	igt_require_f(ret == 0, "writing %llu to nr_hugepages: %s\n", want,
		      strerror(-ret));
	ret = sysfs_ull("free_hugepages", &nfree);
	igt_require_f(ret == 0 && nfree >= n,
		      "asked for %llu 2 MiB hugetlb pages in all, %llu free\n",
		      want, ret ? 0 : nfree);
	igt_info("nr_hugepages %llu -> %llu for this subtest\n", nr, want);
}

static void test_hugetlb(int idx, unsigned char *m)
{
	const struct {
		uint64_t first;	/* bytes into the huge pages */
		uint64_t size;
		bool huge;	/* made of whole huge pages */
		const char *what;
	} parts[] = {
		{ 0, HUGETLB_SIZE, true, "userptr object of one hugetlb page" },
		{ 0, HUGETLB_PAGES * HUGETLB_SIZE, true,
		  "userptr object of two hugetlb pages" },
		{ HUGETLB_SIZE - env.page, 2 * env.page, false,
		  "userptr object of 2 pages across two hugetlb pages" },
	};
	int fd = env.dev[idx].fd;
	struct phyr_userptr_expect x;
	uint32_t h;
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		x = (struct phyr_userptr_expect){
			.addr = m + parts[i].first,
			.size = parts[i].size,
			/* one range per huge page, fewer where contiguous */
			.unit = parts[i].huge ? HUGETLB_SIZE : env.page,
			.max_ranges = parts[i].huge ?
				      parts[i].size / HUGETLB_SIZE : 2,
		};
		h = userptr(fd, x.addr, x.size);
		check_userptr(idx, h, parts[i].what, &x, NULL);
		check_dma_mem(parts[i].what, fd, h, x.addr, x.size);
		gem_close(fd, h);
	}
}

/* ---- pins charged to RLIMIT_MEMLOCK ---- */

/* GEM_USERPTR of [m, m + size) on fd: 0 or a negative errno */
static int userptr_try(int fd, const unsigned char *m, uint64_t size,
		       uint32_t *h)
{
	return vphyr_uapi_gem_userptr(fd, (uintptr_t)m, size, 0, h);
}

static void memlock_child(int idx)
{
	long long pin0, pin;
	unsigned char *m;
	struct rlimit rl;
	uint32_t h, h2;
	int fd, ret;

	ret = phyr_drop_cap(CAP_IPC_LOCK);
	igt_assert_f(ret == 0, "dropping CAP_IPC_LOCK: %s\n", strerror(-ret));
	igt_assert_eq(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	igt_assert_f(rl.rlim_max >= MEMLOCK_LIMIT,
		     "RLIMIT_MEMLOCK hard limit %llu below 64 KiB\n",
		     (unsigned long long)rl.rlim_max);
	rl.rlim_cur = MEMLOCK_LIMIT;
	igt_assert_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	fd = igt_vphyr_open_again(&env, idx);
	m = anon_map(MEMLOCK_BIG);
	memset(m, 0x33, MEMLOCK_BIG);
	pin0 = igt_vphyr_vmpin_kb();
	igt_assert_f(pin0 + MEMLOCK_SMALL / 1024 <= MEMLOCK_LIMIT / 1024,
		     "VmPin %lld kB at the start\n", pin0);

	ret = userptr_try(fd, m, MEMLOCK_BIG, &h);
	igt_assert_f(ret == -ENOMEM,
		     "GEM_USERPTR of 1 MiB with RLIMIT_MEMLOCK 64 KiB: %s\n",
		     strerror(-ret));
	pin = igt_vphyr_vmpin_kb();
	igt_assert_f(pin == pin0, "VmPin %lld kB after the refused pin, %lld kB before\n",
		     pin, pin0);

	ret = userptr_try(fd, m, MEMLOCK_SMALL, &h);
	igt_assert_f(ret == 0,
		     "GEM_USERPTR of 32 KiB with RLIMIT_MEMLOCK 64 KiB: %s\n",
		     strerror(-ret));
	pin = igt_vphyr_vmpin_kb();
	igt_assert_f(pin == pin0 + MEMLOCK_SMALL / 1024,
		     "VmPin %lld kB with 32 KiB pinned, %lld kB before\n", pin,
		     pin0);
	gem_close(fd, h);
	pin = igt_vphyr_vmpin_kb();
	igt_assert_f(pin == pin0,
		     "VmPin %lld kB after closing the 32 KiB object, %lld kB before\n",
		     pin, pin0);
	if (pin0) {
		igt_info("VmPin %lld kB at the start: the exact limit is not tried\n",
			 pin0);
		return;
	}

	/* up to the limit is fine, one page more is over it */
	ret = userptr_try(fd, m, MEMLOCK_LIMIT, &h);
	igt_assert_f(ret == 0, "GEM_USERPTR of exactly RLIMIT_MEMLOCK: %s\n",
		     strerror(-ret));
	ret = userptr_try(fd, m + MEMLOCK_LIMIT, env.page, &h2);
	igt_assert_f(ret == -ENOMEM,
		     "GEM_USERPTR of one page with RLIMIT_MEMLOCK used up: %s\n",
		     strerror(-ret));
	pin = igt_vphyr_vmpin_kb();
	igt_assert_f(pin == MEMLOCK_LIMIT / 1024,
		     "VmPin %lld kB with 64 KiB pinned and one page refused\n",
		     pin);
	gem_close(fd, h);
	pin = igt_vphyr_vmpin_kb();
	igt_assert_f(pin == 0, "VmPin %lld kB after closing everything\n", pin);
	close(fd);
}

/* ---- unmapped, evicted, leaked ---- */

static void test_munmap(int idx)
{
	uint64_t size = uptr_size();
	long long pin0, pin1, pin2, pin3;
	int fd = env.dev[idx].fd;
	struct igt_vphyr_table t0, t1;
	struct phyr_userptr_expect x;
	unsigned char *m, *n;
	uint32_t h;

	pin0 = igt_vphyr_vmpin_kb();
	m = userptr_filled(idx, size, 90, &h);
	x = (struct phyr_userptr_expect){ .addr = m, .size = size, .unit = env.page };
	check_userptr(idx, h, "userptr object before munmap", &x, &t0);
	pin1 = igt_vphyr_vmpin_kb();
	igt_assert_eq(munmap(m, size), 0);
	pin2 = igt_vphyr_vmpin_kb();
	igt_assert_f(pin2 == pin1,
		     "VmPin %lld kB before munmap, %lld kB after: the pages must stay pinned\n",
		     pin1, pin2);

	igt_vphyr_check_dma("DMA read after munmap", fd, h, 0, size, 90);
	igt_vphyr_get_table(fd, h, &t1);
	igt_assert_f(igt_vphyr_same_table(&t0, &t1),
		     "the ranges changed with munmap\n");
	igt_vphyr_table_fini(&t0);
	igt_vphyr_table_fini(&t1);

	/* new memory at the same address is not the object's */
	n = mmap(m, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (n != MAP_FAILED && n != m)
		munmap(n, size);
	if (n != m) {
		igt_info("the address was taken again meanwhile: new memory there not tried\n");
	} else {
		igt_assert_f(all_zero(n, size),
			     "new memory at the old address is not zero\n");
		igt_vphyr_write_dma(fd, h, 0, size, 91);
		igt_assert_f(all_zero(n, size),
			     "a DMA write to the object reached the new memory at its old address\n");
		igt_vphyr_check_dma("DMA read of a DMA write after munmap", fd, h,
				    0, size, 91);
		phyr_pattern_fill(n, size, 92, 0);
		igt_vphyr_check_dma("DMA read after the CPU wrote new memory at the old address",
				    fd, h, 0, size, 91);
		munmap(n, size);
	}

	gem_close(fd, h);
	pin3 = igt_vphyr_vmpin_kb();
	igt_assert_f(pin3 == pin0,
		     "VmPin %lld kB before GEM_USERPTR, %lld kB after closing the unmapped object\n",
		     pin0, pin3);
}

static void test_evict_noop(int idx)
{
	uint64_t size = uptr_size();
	int fd = env.dev[idx].fd, i;
	struct igt_vphyr_table t0, t1;
	struct phyr_userptr_expect x;
	unsigned char *m;
	char what[96];
	uint32_t h;

	m = userptr_filled(idx, size, 100, &h);
	x = (struct phyr_userptr_expect){ .addr = m, .size = size, .unit = env.page };
	check_userptr(idx, h, "userptr object before GEM_EVICT", &x, &t0);
	for (i = 1; i <= 2; i++) {
		snprintf(what, sizeof(what), "userptr object after GEM_EVICT #%d",
			 i);
		igt_vphyr_gem_evict(fd, h);
		check_userptr(idx, h, what, &x, &t1);
		igt_assert_f(igt_vphyr_same_table(&t0, &t1), "%s: the ranges changed\n",
			     what);
		igt_vphyr_table_fini(&t1);
	}
	igt_vphyr_table_fini(&t0);
	igt_vphyr_check_dma("DMA read after GEM_EVICT", fd, h, 0, size, 100);
	/* still the user's pages: CPU and device see each other's writes */
	phyr_pattern_fill(m, size, 101, 0);
	igt_vphyr_check_dma("DMA read of a CPU write after GEM_EVICT", fd, h, 0,
			    size, 101);
	igt_vphyr_write_dma(fd, h, 0, size, 102);
	igt_vphyr_assert_pattern("CPU read of a DMA write after GEM_EVICT", m, size,
				 102, 0);
	gem_close(fd, h);
	munmap(m, size);
}

/* In a child without CAP_IPC_LOCK: every pin is charged to VmPin. */
static void leak_child(int idx)
{
	uint64_t size = 8 * env.page;
	long long kb = size / 1024, pin0, pin;
	int fd, fds0, i, ret, left;
	struct drm_vphyr_gem_ranges q;
	uint32_t h, maxh = 0;
	unsigned char *m;

	ret = phyr_drop_cap(CAP_IPC_LOCK);
	igt_assert_f(ret == 0, "dropping CAP_IPC_LOCK: %s\n", strerror(-ret));
	fd = igt_vphyr_open_again(&env, idx);
	m = anon_map(size);
	memset(m, 0x44, size);
	fds0 = igt_vphyr_count_fds();
	pin0 = igt_vphyr_vmpin_kb();
	for (i = 0; i < LEAK_USERPTR_CYCLES; i++) {
		ret = userptr_try(fd, m, size, &h);
		igt_assert_f(ret == 0, "cycle %d: GEM_USERPTR: %s\n", i,
			     strerror(-ret));
		if (h > maxh)
			maxh = h;
		pin = igt_vphyr_vmpin_kb();
		igt_assert_f(pin == pin0 + kb,
			     "cycle %d: VmPin %lld kB with the object open, expected %lld\n",
			     i, pin, pin0 + kb);
		memset(&q, 0, sizeof(q));
		q.handle = h;
		igt_assert_eq(vphyr_uapi_gem_ranges(fd, &q), 0);
		igt_assert_eq(vphyr_uapi_gem_close(fd, h), 0);
	}
	pin = igt_vphyr_vmpin_kb();
	igt_assert_f(pin == pin0, "VmPin %lld kB before the cycles, %lld kB after\n",
		     pin0, pin);
	igt_assert_eq(igt_vphyr_count_fds(), fds0);
	left = igt_vphyr_count_handles(fd, maxh + 16);
	igt_assert_f(left == 0, "%d handle(s) left open on %s\n", left,
		     env.dev[idx].name);
	munmap(m, size);
	close(fd);
}

/*
 * The pins of a child without CAP_IPC_LOCK need this much RLIMIT_MEMLOCK
 * (a forked child starts with nothing pinned, whatever its parent holds).
 */
static void require_memlock(uint64_t bytes)
{
	struct rlimit rl;

	igt_assert_eq(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	igt_require_f(rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= bytes,
		      "RLIMIT_MEMLOCK %llu bytes, %llu needed\n",
		      (unsigned long long)rl.rlim_cur,
		      (unsigned long long)bytes);
}

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("Userptr objects are pinned host memory described by its contiguous runs.");
	igt_subtest_with_dynamic("userptr-basic") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_basic(i);
	}

	igt_describe("CPU and device see each other's writes to userptr memory.");
	igt_subtest_with_dynamic("userptr-dma") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_dma(i);
	}

	igt_describe("GEM_USERPTR refuses invalid, unmapped and too large ranges.");
	igt_subtest_with_dynamic("userptr-errors") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_errors(i);
	}

	igt_describe("A transparent huge page is one range.");
	igt_subtest_with_dynamic("userptr-thp") {
		uint64_t hp = phyr_thp_size();
		char msg[256];
		void *p;
		int ret;

		igt_vphyr_require_dev(&env);
		ret = phyr_thp_map(hp, &p, msg, sizeof(msg));
		igt_require_f(ret <= 0, "%s\n", msg);
		if (!ret)
			phyr_pattern_fill(p, hp, 31, 0);
		/* only a dynamic subtest may fail: a failed mapping fails each */
		igt_vphyr_dynamic_each(&env, i) {
			igt_assert_f(ret == 0, "%s\n", msg);
			test_thp(i, p, hp);
		}
		if (!ret)
			munmap(p, hp);
	}

	igt_describe("hugetlb pages are one range each at most.");
	igt_subtest_with_dynamic("userptr-hugetlb") {
		uint64_t size = HUGETLB_PAGES * HUGETLB_SIZE;
		void *p;
		int err;

		igt_vphyr_require_dev(&env);
		require_huge_pages(HUGETLB_PAGES);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 MAP_HUGE_2MB, -1, 0);
		err = p == MAP_FAILED ? errno : 0;
		if (!err)
			phyr_pattern_fill(p, size, 80, 0);
		igt_vphyr_dynamic_each(&env, i) {
			igt_assert_f(!err, "mmap of %d 2 MiB hugetlb pages: %s\n",
				     HUGETLB_PAGES, strerror(err));
			test_hugetlb(i, p);
		}
		if (!err)
			munmap(p, size);
		hugetlb_restore(0);
	}

	igt_describe("A shared hugetlb memfd is pinned folio by folio, and let go.");
	igt_subtest_with_dynamic("userptr-hugetlb-memfd") {
		uint64_t size = HUGETLB_PAGES * HUGETLB_SIZE;
		unsigned long long free0 = 0, free1 = 0;
		void *p = MAP_FAILED;
		int err = 0, mfd;

		igt_vphyr_require_dev(&env);
		require_huge_pages(HUGETLB_PAGES);
		igt_assert_eq(sysfs_ull("free_hugepages", &free0), 0);
		mfd = memfd_create("phyr-hugetlb", MFD_CLOEXEC | MFD_HUGETLB |
				   MFD_HUGE_2MB);
		if (mfd < 0 || ftruncate(mfd, size))
			err = errno;
		else
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 mfd, 0);
		if (!err && p == MAP_FAILED)
			err = errno;
		if (!err)
			phyr_pattern_fill(p, size, 81, 0);
		igt_vphyr_dynamic_each(&env, i) {
			igt_assert_f(!err, "hugetlb memfd of %d 2 MiB pages: %s\n",
				     HUGETLB_PAGES, strerror(err));
			test_hugetlb(i, p);
		}
		if (p != MAP_FAILED)
			munmap(p, size);
		if (mfd >= 0)
			close(mfd);
		igt_assert_eq(sysfs_ull("free_hugepages", &free1), 0);
		igt_assert_f(free1 == free0,
			     "%llu 2 MiB hugetlb pages free before the memfd, %llu after it and every object are gone\n",
			     free0, free1);
		hugetlb_restore(0);
	}

	igt_describe("Pins without CAP_IPC_LOCK count against RLIMIT_MEMLOCK.");
	igt_subtest("userptr-memlock") {
		igt_vphyr_require_dev(&env);
		igt_fork(child, 1)
			memlock_child(igt_vphyr_primary(&env));
		igt_waitchildren();
	}

	igt_describe("Unmapping the memory of a userptr object leaves the object whole.");
	igt_subtest_with_dynamic("userptr-munmap") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_munmap(i);
	}

	igt_describe("Userptr objects shared between instances map as host memory.");
	igt_subtest_with_dynamic("userptr-prime") {
		igt_vphyr_require_devs(&env, 2);
		igt_vphyr_dynamic_pairs(&env, a, b)
			test_prime(a, b);
	}

	igt_describe("Evicting a userptr object changes nothing.");
	igt_subtest_with_dynamic("userptr-evict-noop") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_evict_noop(i);
	}

	igt_describe("GEM_USERPTR and close cycles leave no pin, descriptor or handle.");
	igt_subtest("userptr-leak") {
		igt_vphyr_require_dev(&env);
		require_memlock(8 * env.page);
		igt_fork(child, 1)
			leak_child(igt_vphyr_primary(&env));
		igt_waitchildren();
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
