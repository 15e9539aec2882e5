// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr basic
 * Category: Core
 * Mega feature: phyr
 * Sub-category: GEM objects
 * Functionality: object creation, CPU mapping, range readback, device DMA, eviction
 * Description: GEM objects of the vphyr test driver in VRAM (an ivshmem
 *	BAR without struct pages) and in system memory: their phyr lists,
 *	CPU mappings, the device's view through DMA addresses, eviction and
 *	resource leaks.
 * Test category: functionality test
 *
 * SUBTEST: devices
 * Description: The vphyr instances the machine should have are there: one
 *	without VRAM and, when the kernel command line names a P2P topology,
 *	at least two with VRAM, and vgem.
 *
 * SUBTEST: info
 * Description: VPHYR_INFO of each instance is consistent: known flags,
 *	VRAM size and base, no link at start, zero pad.
 *
 * SUBTEST: create-system
 * Description: System-memory objects of several sizes on each instance
 *	read back as page-aligned host-memory ranges adding up to the size.
 *
 * SUBTEST: create-vram
 * Description: VRAM objects on each instance with VRAM read back as
 *	device-local MMIO ranges inside that instance's BAR.
 *
 * SUBTEST: mmap-dma-system
 * Description: What the CPU writes through a mapping of a system-memory
 *	object the device reads by DMA address, and the other way round.
 *
 * SUBTEST: mmap-dma-vram
 * Description: What the CPU writes through a mapping of a VRAM object the
 *	device reads by DMA address, and the other way round.
 *
 * SUBTEST: large-object
 * Description: One object of all the VRAM of the largest instance (1 GiB
 *	with the default VM) is one or two device-local ranges; the CPU and
 *	the device see each other's writes to its first and last page.
 *
 * SUBTEST: vram-across-4g
 * Description: On an instance with 8 GiB of VRAM or more, an object of
 *	4 GiB + 2 MiB holds the 4 GiB line of the BAR; the device writes and
 *	reads 128 KiB around that line through its DMA addresses (pieces cut
 *	on the line) and the CPU mapping agrees, both ways.
 *
 * SUBTEST: ranges-truncated
 * Description: Reading the ranges of an object with several (a system
 *	object, or a userptr object of scattered pages) into a short array
 *	reports the full count and writes only the entries there is room
 *	for.
 *
 * SUBTEST: evict-vram
 * Description: Evicting a VRAM object moves it to system memory once,
 *	bumps its generation and keeps its data.
 *
 * SUBTEST: evict-system-noop
 * Description: Evicting a system-memory object leaves it alone.
 *
 * SUBTEST: evict-mmap-follows
 * Description: A CPU mapping made before an eviction follows the object
 *	to system memory.
 *
 * SUBTEST: evict-racing-mmap-writer
 * Description: A thread writes every word of a VRAM object once, through
 *	a CPU mapping faulted in beforehand, while the object is evicted:
 *	each write lands either in VRAM before the copy or in system memory
 *	after it, none is lost. Repeated until three evictions fell inside
 *	the writer's run (it wrote during the eviction and after it).
 *
 * SUBTEST: leak-create-close
 * Description: Hundreds of create, map and close cycles, and of opening
 *	and closing the device, leave no file descriptor, mapping or handle
 *	behind.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/mman.h>

#include "igt_vphyr.h"

IGT_TEST_DESCRIPTION("vphyr GEM objects: creation, mapping, ranges, DMA, eviction");

#define OBJ_PAGES		16
#define LEAK_CYCLES		512
#define LEAK_OPEN_CYCLES	64

static struct igt_vphyr_env env;

static uint64_t obj_size(void)
{
	return OBJ_PAGES * env.page;
}

static const char *place_name(uint32_t flags)
{
	return flags == VPHYR_GEM_VRAM ? "VRAM" : "system";
}

static void test_devices(void)
{
	int i;

	if (!env.in_vm)
		igt_vphyr_require_dev(&env);
	for (i = 0; i < env.ndev; i++)
		igt_info("%s: %s, flags 0x%x, VRAM 0x%llx bytes\n",
			 env.dev[i].name, env.dev[i].path,
			 env.dev[i].info.flags,
			 (unsigned long long)env.dev[i].info.vram_size);
	igt_assert_f(env.ndev > 0, "no vphyr device found\n");
	igt_assert_f(env.sys >= 0, "no vphyr instance without VRAM\n");
	if (!env.in_vm)
		return;
	igt_assert_f(env.p2p != VPHYR_P2P_UNKNOWN,
		     "phyr_p2p= on the kernel command line is not none, host or bus\n");
	igt_assert_f(env.nvram >= 2,
		     "%d instance(s) with VRAM; phyr_p2p=%s is about P2P between two\n",
		     env.nvram, igt_vphyr_p2p_name(env.p2p));
	igt_assert_f(env.vgem >= 0, "no vgem card node under /dev/dri\n");
}

static void test_info(int idx)
{
	const struct igt_vphyr_dev *d = &env.dev[idx];
	struct drm_vphyr_info info;
	int j;

	igt_vphyr_info(d->fd, &info);
	igt_assert_eq_u32(info.instance, d->info.instance);
	for (j = 0; j < env.ndev; j++)
		igt_assert_f(j == idx ||
			     env.dev[j].info.instance != info.instance,
			     "%s: instance number also used by %s\n", d->name,
			     env.dev[j].path);
	igt_assert_f(!(info.flags & ~(VPHYR_INFO_VRAM | VPHYR_INFO_IOMMU)),
		     "%s: unknown flags 0x%x\n", d->name, info.flags);
	igt_assert_eq_u32(info.pad, 0);
	igt_assert_f(info.link_peer == IGT_VPHYR_NO_PEER,
		     "%s: linked to %u at start\n", d->name, info.link_peer);
	if (!(info.flags & VPHYR_INFO_VRAM)) {
		igt_assert_eq_u32(info.instance, 0);
		igt_assert_eq_u64(info.vram_size, 0);
		igt_assert_eq_u64(info.vram_base, 0);
		return;
	}
	igt_assert_neq_u32(info.instance, 0);
	igt_assert_f(info.vram_size && !(info.vram_size % env.page),
		     "%s: vram_size 0x%llx\n", d->name,
		     (unsigned long long)info.vram_size);
	if (env.root)
		igt_assert_f(info.vram_base && !(info.vram_base % env.page),
			     "%s: vram_base 0x%llx reported to root\n",
			     d->name, (unsigned long long)info.vram_base);
	else
		igt_assert_eq_u64(info.vram_base, 0);
}

static void test_create(int idx, uint32_t flags)
{
	const uint64_t sizes[] = {
		env.page, 3 * env.page, OBJ_PAGES * env.page, 256 * env.page,
	};
	uint32_t place = flags == VPHYR_GEM_VRAM ? VPHYR_PLACE_VRAM :
						   VPHYR_PLACE_SYSTEM;
	int fd = env.dev[idx].fd;
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	char what[96];
	uint32_t h;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(what, sizeof(what), "%s object of 0x%llx bytes",
			 place_name(flags), (unsigned long long)sizes[i]);
		h = igt_vphyr_gem_create(fd, sizes[i], flags);
		igt_vphyr_get_table(fd, h, &t);
		igt_vphyr_expect_own(&x, idx, place, sizes[i]);
		igt_vphyr_check_table(&env, what, &t, &x);
		igt_assert_eq_u32(t.q.generation, 0);
		igt_vphyr_table_fini(&t);
		gem_close(fd, h);
	}
}

/* CPU writes through mmap, the device reads by DMA, and the other way. */
static void test_mmap_dma(int idx, uint32_t flags)
{
	uint64_t size = obj_size(), poff = env.page - 7, plen = 30;
	int fd = env.dev[idx].fd;
	unsigned char *map, *buf;
	uint32_t h;

	h = igt_vphyr_gem_create(fd, size, flags);
	map = igt_vphyr_gem_mmap(fd, h, size);
	buf = malloc(size);
	igt_assert(buf);

	phyr_pattern_fill(map, size, 1, 0);
	igt_vphyr_check_dma("DMA read of what the CPU wrote", fd, h, 0, size, 1);
	igt_vphyr_check_dma("DMA read at an unaligned offset", fd, h, 100,
			    2 * env.page + 13, 1);

	igt_vphyr_write_dma(fd, h, 0, size, 2);
	memcpy(buf, map, size);
	igt_vphyr_assert_pattern("CPU read of what the device wrote", buf, size,
				 2, 0);

	/* a short write across a page boundary changes only those bytes */
	igt_vphyr_write_dma(fd, h, poff, plen, 3);
	memcpy(buf, map, size);
	igt_vphyr_assert_pattern("bytes before a short DMA write", buf, poff, 2, 0);
	igt_vphyr_assert_pattern("a short DMA write across a page boundary",
				 buf + poff, plen, 3, poff);
	igt_vphyr_assert_pattern("bytes after a short DMA write", buf + poff + plen,
				 size - poff - plen, 2, poff + plen);

	free(buf);
	munmap(map, size);
	gem_close(fd, h);
}

/* All the VRAM of the instance with the most, in one object. */
static void test_large_object(void)
{
	int idx = env.vram[0], i, fd;
	unsigned char *map, *buf;
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	uint64_t size, last;
	uint32_t h;

	for (i = 1; i < env.nvram; i++)
		if (env.dev[env.vram[i]].info.vram_size >
		    env.dev[idx].info.vram_size)
			idx = env.vram[i];
	fd = env.dev[idx].fd;
	size = env.dev[idx].info.vram_size & ~(env.page - 1);
	igt_assert_f(size >= 2 * env.page, "%s: VRAM of 0x%llx bytes\n",
		     env.dev[idx].name, (unsigned long long)size);
	last = size - env.page;
	igt_info("%s: one object of 0x%llx bytes\n", env.dev[idx].name,
		 (unsigned long long)size);

	h = igt_vphyr_gem_create(fd, size, VPHYR_GEM_VRAM);
	igt_vphyr_get_table(fd, h, &t);
	igt_vphyr_expect_own(&x, idx, VPHYR_PLACE_VRAM, size);
	x.max_ranges = 2;
	igt_vphyr_check_table(&env, "an object of all the VRAM", &t, &x);
	igt_vphyr_table_fini(&t);

	map = igt_vphyr_gem_mmap(fd, h, size);
	buf = malloc(env.page);
	igt_assert(buf);
	phyr_pattern_fill(map, env.page, 27, 0);
	phyr_pattern_fill(map + last, env.page, 27, last);
	igt_vphyr_check_dma("DMA read of the first page", fd, h, 0, env.page, 27);
	igt_vphyr_check_dma("DMA read of the last page", fd, h, last, env.page, 27);

	igt_vphyr_write_dma(fd, h, 0, env.page, 28);
	memcpy(buf, map, env.page);
	igt_vphyr_assert_pattern("CPU view of a DMA write to the first page", buf,
				 env.page, 28, 0);
	igt_vphyr_write_dma(fd, h, last, env.page, 28);
	memcpy(buf, map + last, env.page);
	igt_vphyr_assert_pattern("CPU view of a DMA write to the last page", buf,
				 env.page, 28, last);
	free(buf);
	munmap(map, size);
	gem_close(fd, h);
}

/*
 * A system object with several ranges: a large one if the allocator
 * hands out pieces, else one allocated after freeing every other page of
 * a set of small objects.
 */
static uint32_t multi_range_object(int fd, struct igt_vphyr_table *t)
{
	const uint64_t sizes[] = { 64 * env.page, 512 * env.page };
	uint32_t small[64], h;
	size_t i;
	int n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		h = igt_vphyr_gem_create(fd, sizes[i], VPHYR_GEM_SYSTEM);
		igt_vphyr_get_table(fd, h, t);
		if (t->q.count >= 3)
			return h;
		igt_vphyr_table_fini(t);
		gem_close(fd, h);
	}
	for (n = 0; n < 64; n++)
		small[n] = igt_vphyr_gem_create(fd, env.page, VPHYR_GEM_SYSTEM);
	for (n = 0; n < 64; n += 2)
		gem_close(fd, small[n]);
	h = igt_vphyr_gem_create(fd, 32 * env.page, VPHYR_GEM_SYSTEM);
	for (n = 1; n < 64; n += 2)
		gem_close(fd, small[n]);
	igt_vphyr_get_table(fd, h, t);
	return h;
}

/*
 * A userptr object of 64 pages faulted in even pages first, then odd
 * ones: neighbours come from different rounds of the page allocator, so
 * the object has many ranges. *mem receives the memory to unmap.
 */
static uint32_t scattered_userptr(int fd, unsigned char **mem,
				  struct igt_vphyr_table *t)
{
	const int pages = 64;
	uint64_t size = pages * env.page;
	unsigned char *m;
	uint32_t h;
	int i, ret;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert_f(m != MAP_FAILED, "mmap: %s\n", strerror(errno));
	madvise(m, size, MADV_NOHUGEPAGE);
	for (i = 0; i < 2 * pages; i += 2)
		m[(i % pages + i / pages) * env.page] = i;
	ret = vphyr_uapi_gem_userptr(fd, (uintptr_t)m, size, 0, &h);
	igt_assert_f(ret == 0, "GEM_USERPTR of 64 pages: %s\n", strerror(-ret));
	igt_vphyr_get_table(fd, h, t);
	*mem = m;
	return h;
}

static void read_truncated(int fd, uint32_t h, const struct igt_vphyr_table *full,
			   uint32_t room)
{
	struct drm_vphyr_gem_ranges q = { .handle = h, .count = room };
	uint32_t n = full->q.count, i;
	struct drm_vphyr_range *r;
	unsigned char *c;

	r = malloc((room + 1) * sizeof(*r));
	igt_assert(r);
	memset(r, 0xa5, (room + 1) * sizeof(*r));
	q.ranges_ptr = (uintptr_t)r;
	igt_assert_eq(vphyr_uapi_gem_ranges(fd, &q), 0);
	igt_assert_f(q.count == n, "room for %u: count %u, expected %u\n",
		     room, q.count, n);
	igt_assert_f(q.total_len == full->q.total_len &&
		     q.kind == full->q.kind &&
		     q.placement == full->q.placement,
		     "room for %u: total, kind or placement differ from a full read\n",
		     room);
	for (i = 0; i < room && i < n; i++)
		igt_assert_f(!memcmp(&r[i], &full->r[i], sizeof(r[i])),
			     "room for %u: entry %u differs from a full read\n",
			     room, i);
	/* nothing written past min(room, count) */
	c = (unsigned char *)&r[room < n ? room : n];
	for (i = 0; i < (room + 1 - (room < n ? room : n)) * sizeof(*r); i++)
		igt_assert_f(c[i] == 0xa5,
			     "room for %u of %u: written past the entries owed\n",
			     room, n);
	free(r);
}

static void test_ranges_truncated(void)
{
	int idx = env.sys >= 0 ? env.sys : igt_vphyr_primary(&env);
	unsigned char *mem = NULL;
	int fd = env.dev[idx].fd;
	struct igt_vphyr_table t;
	uint32_t h, n;

	h = multi_range_object(fd, &t);
	if (t.q.count < 3) {
		/* the allocator hands out whole blocks: user memory then */
		igt_vphyr_table_fini(&t);
		gem_close(fd, h);
		h = scattered_userptr(fd, &mem, &t);
	}
	n = t.q.count;
	igt_info("object with %u range(s) on %s\n", n, env.dev[idx].name);
	read_truncated(fd, h, &t, 0);
	read_truncated(fd, h, &t, n + 4);
	igt_require_f(n >= 2,
		      "no object with several ranges: only room 0 and more than enough were tried\n");
	read_truncated(fd, h, &t, 1);
	read_truncated(fd, h, &t, n - 1);
	igt_vphyr_table_fini(&t);
	gem_close(fd, h);
	if (mem)
		munmap(mem, 64 * env.page);
}

static void test_evict_vram(int idx)
{
	int fd = env.dev[idx].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_table t, t2;
	struct igt_vphyr_expect x;
	uint32_t h;

	h = igt_vphyr_gem_create(fd, size, VPHYR_GEM_VRAM);
	igt_vphyr_write_cpu(fd, h, size, 6);
	igt_vphyr_gem_evict(fd, h);

	igt_vphyr_get_table(fd, h, &t);
	igt_vphyr_expect_own(&x, idx, VPHYR_PLACE_SYSTEM, size);
	igt_vphyr_check_table(&env, "evicted VRAM object", &t, &x);
	igt_assert_eq_u32(t.q.generation, 1);
	igt_vphyr_check_dma("DMA read after eviction", fd, h, 0, size, 6);
	igt_vphyr_check_cpu("CPU read after eviction", fd, h, size, 6);
	igt_vphyr_write_dma(fd, h, 0, size, 7);
	igt_vphyr_check_cpu("CPU read of a DMA write after eviction", fd, h, size,
			    7);

	/* a second eviction leaves it alone */
	igt_vphyr_gem_evict(fd, h);
	igt_vphyr_get_table(fd, h, &t2);
	igt_assert_f(igt_vphyr_same_table(&t, &t2),
		     "the ranges changed on a second eviction\n");
	igt_assert_eq_u32(t2.q.generation, 1);
	igt_vphyr_table_fini(&t);
	igt_vphyr_table_fini(&t2);
	gem_close(fd, h);
}

static void test_evict_system_noop(int idx)
{
	int fd = env.dev[idx].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_table before, after;
	struct igt_vphyr_expect x;
	uint32_t h;

	h = igt_vphyr_gem_create(fd, size, VPHYR_GEM_SYSTEM);
	igt_vphyr_write_cpu(fd, h, size, 5);
	igt_vphyr_get_table(fd, h, &before);
	igt_vphyr_gem_evict(fd, h);
	igt_vphyr_get_table(fd, h, &after);
	igt_vphyr_expect_own(&x, idx, VPHYR_PLACE_SYSTEM, size);
	igt_vphyr_check_table(&env, "system object after GEM_EVICT", &after, &x);
	igt_assert_f(igt_vphyr_same_table(&before, &after),
		     "evicting a system object changed its ranges\n");
	igt_assert_eq_u32(after.q.generation, before.q.generation);
	igt_vphyr_check_dma("DMA read after GEM_EVICT", fd, h, 0, size, 5);
	igt_vphyr_table_fini(&before);
	igt_vphyr_table_fini(&after);
	gem_close(fd, h);
}

/* A mapping made before the eviction must follow the object. */
static void test_evict_mmap_follows(void)
{
	int idx = env.vram[0], fd = env.dev[idx].fd;
	uint64_t size = obj_size();
	unsigned char *map, *buf;
	uint32_t h;

	h = igt_vphyr_gem_create(fd, size, VPHYR_GEM_VRAM);
	map = igt_vphyr_gem_mmap(fd, h, size);
	buf = malloc(size);
	igt_assert(buf);
	phyr_pattern_fill(map, size, 8, 0);
	igt_vphyr_gem_evict(fd, h);

	/* the old VRAM still holds seed 8: a stale mapping would show it */
	igt_vphyr_write_dma(fd, h, 0, size, 9);
	memcpy(buf, map, size);
	igt_vphyr_assert_pattern("old mapping after eviction and a DMA write",
				 buf, size, 9, 0);
	phyr_pattern_fill(map, size, 10, 0);
	igt_vphyr_check_dma("DMA read of a write through the old mapping", fd, h,
			    0, size, 10);
	free(buf);
	munmap(map, size);
	gem_close(fd, h);
}

static void test_vram_across_4g(void)
{
	const uint64_t line = 4ull << 30, span = 128 << 10;
	uint64_t size = line + (2ull << 20), off = line - span / 2;
	struct igt_vphyr_table t;
	unsigned char *map;
	int idx = -1, fd;
	uint32_t h;

	for (int i = 0; i < env.nvram; i++)
		if (env.dev[env.vram[i]].info.vram_size >= 2 * line)
			idx = env.vram[i];
	igt_require_f(idx >= 0, "no instance with 8 GiB of VRAM (boot the VM with --ivshmem 64M,8G)\n");
	fd = env.dev[idx].fd;

	h = igt_vphyr_gem_create(fd, size, VPHYR_GEM_VRAM);
	igt_vphyr_get_table(fd, h, &t);
	for (uint32_t i = 0; i < t.q.count; i++)
		igt_info("%s: range %u: 0x%llx + 0x%llx\n", env.dev[idx].name, i,
			 (unsigned long long)t.r[i].addr,
			 (unsigned long long)t.r[i].len);
	igt_vphyr_table_fini(&t);
	map = igt_vphyr_gem_mmap(fd, h, size);

	igt_vphyr_write_dma(fd, h, off, span, 31);
	igt_vphyr_assert_pattern("CPU read of a DMA write across 4 GiB", map + off,
				 span, 31, off);
	phyr_pattern_fill(map + off, span, 32, off);
	igt_vphyr_check_dma("DMA read of a CPU write across 4 GiB", fd, h, off,
			    span, 32);
	munmap(map, size);
	gem_close(fd, h);
}

/* A thread writing each word of a mapping once, pausing after each page. */
struct racer {
	volatile uint64_t *map;
	uint64_t words, words_per_page;
	uint64_t tag;
	long pause_ns;
	atomic_uint_fast64_t pos;	/* words written so far */
};

static uint64_t racer_value(const struct racer *r, uint64_t i)
{
	return r->tag ^ (i * 0x9e3779b97f4a7c15ull);
}

static void racer_pause(long ns)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000l +
		 (t.tv_nsec - t0.tv_nsec) < ns);
}

static void *racer_run(void *arg)
{
	struct racer *r = arg;

	for (uint64_t i = 0; i < r->words; i++) {
		r->map[i] = racer_value(r, i);
		if ((i + 1) % r->words_per_page == 0) {
			atomic_store(&r->pos, i + 1);
			racer_pause(r->pause_ns);
		}
	}
	atomic_store(&r->pos, r->words);
	return NULL;
}

/*
 * Every write through a CPU mapping survives an eviction that races it:
 * the eviction must stop CPU access before it copies, not after.
 */
static void test_evict_racing_mmap_writer(int idx)
{
	int fd = env.dev[idx].fd, inside = 0, round;
	uint64_t size = 8ull << 20;
	long pause_ns = 20000;

	for (round = 0; round < 10 && inside < 3; round++) {
		struct racer r = {
			.words = size / 8, .words_per_page = env.page / 8,
			.tag = 0x5eed0000ull + round, .pause_ns = pause_ns,
		};
		uint64_t before, after, bad = 0, first = 0;
		struct igt_vphyr_table t;
		struct igt_vphyr_expect x;
		pthread_t th;
		uint32_t h;

		h = igt_vphyr_gem_create(fd, size, VPHYR_GEM_VRAM);
		r.map = igt_vphyr_gem_mmap(fd, h, size);
		/*
		 * Fault every page in first: the writer then stores through
		 * mapped PTEs and never waits for the reservation lock, as
		 * a GPU client writing a mapped buffer does.
		 */
		for (uint64_t i = 0; i < r.words; i += r.words_per_page)
			r.map[i] = 0;
		igt_assert_eq(pthread_create(&th, NULL, racer_run, &r), 0);
		while (atomic_load(&r.pos) < r.words / 16)
			sched_yield();
		before = atomic_load(&r.pos);
		igt_vphyr_gem_evict(fd, h);
		after = atomic_load(&r.pos);
		igt_assert_eq(pthread_join(th, NULL), 0);

		igt_vphyr_get_table(fd, h, &t);
		igt_vphyr_expect_own(&x, idx, VPHYR_PLACE_SYSTEM, size);
		igt_vphyr_check_table(&env, "object evicted under a writer", &t, &x);
		igt_vphyr_table_fini(&t);

		for (uint64_t i = 0; i < r.words; i++) {
			if (r.map[i] != racer_value(&r, i) && !bad++)
				first = i;
		}
		igt_info("round %d: eviction while %" PRIu64 "..%" PRIu64
			 " of %" PRIu64 " words were written (pause %ld ns): %" PRIu64
			 " words lost\n", round, before, after, r.words,
			 pause_ns, bad);
		igt_assert_f(!bad,
			     "%" PRIu64 " writes lost, the first at byte %" PRIu64
			     ": 0x%" PRIx64 " instead of 0x%" PRIx64 "\n",
			     bad, first * 8, r.map[first], racer_value(&r, first));
		munmap((void *)r.map, size);
		gem_close(fd, h);

		/* the writer wrote during the eviction and went on after it */
		if (after > before && after < r.words)
			inside++;
		else if (after >= r.words)
			pause_ns *= 4;	/* the writer finished first: slow it */
	}
	igt_assert_f(inside >= 3,
		     "only %d of %d evictions fell inside the writer's run\n",
		     inside, round);
}

static void leak_cycle(int fd, uint32_t flags, int i, uint32_t *maxh)
{
	uint64_t size = 2 * env.page, off, *p;
	uint32_t h;

	igt_assert_eq(vphyr_uapi_gem_create(fd, size, flags, &h), 0);
	if (h > *maxh)
		*maxh = h;
	igt_assert_eq(vphyr_uapi_gem_mmap(fd, h, 0, &off), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	igt_assert_f(p != MAP_FAILED, "cycle %d: mmap: %s\n", i,
		     strerror(errno));
	p[0] = 0x1000 + i;
	p[size / 8 - 1] = 0x2000 + i;
	igt_assert_f(p[0] == 0x1000u + i && p[size / 8 - 1] == 0x2000u + i,
		     "cycle %d: read back 0x%llx 0x%llx\n", i,
		     (unsigned long long)p[0],
		     (unsigned long long)p[size / 8 - 1]);
	igt_assert_eq(munmap(p, size), 0);
	igt_assert_eq(vphyr_uapi_gem_close(fd, h), 0);
}

static void test_leak_create_close(void)
{
	int idx = igt_vphyr_primary(&env), fd, fds0, maps0, i, left;
	uint32_t maxh = 0, h, flags;

	/* a file of our own: its handle table holds only this test's */
	fd = igt_vphyr_open_again(&env, idx);
	fds0 = igt_vphyr_count_fds();
	maps0 = igt_vphyr_count_maps();
	for (i = 0; i < LEAK_CYCLES; i++) {
		flags = igt_vphyr_has_vram(&env, idx) && (i & 1) ?
			VPHYR_GEM_VRAM : VPHYR_GEM_SYSTEM;
		leak_cycle(fd, flags, i, &maxh);
	}
	igt_assert_eq(igt_vphyr_count_fds(), fds0);
	igt_assert_eq(igt_vphyr_count_maps(), maps0);
	left = igt_vphyr_count_handles(fd, maxh + 16);
	igt_assert_f(left == 0, "%d handle(s) left open on %s\n", left,
		     env.dev[idx].name);
	close(fd);

	/* files closed with objects and mappings still in them */
	fds0 = igt_vphyr_count_fds();
	for (i = 0; i < LEAK_OPEN_CYCLES; i++) {
		uint64_t off;
		void *p;

		fd = igt_vphyr_open_again(&env, idx);
		h = igt_vphyr_gem_create(fd, env.page, VPHYR_GEM_SYSTEM);
		igt_vphyr_gem_create(fd, env.page, VPHYR_GEM_SYSTEM);
		igt_assert_eq(vphyr_uapi_gem_mmap(fd, h, 0, &off), 0);
		p = mmap(NULL, env.page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, off);
		igt_assert(p != MAP_FAILED);
		close(fd);
		/* the mapping keeps the object alive after the close */
		*(volatile uint32_t *)p = i;
		igt_assert_eq(munmap(p, env.page), 0);
	}
	igt_assert_eq(igt_vphyr_count_fds(), fds0);
	igt_assert_eq(igt_vphyr_count_maps(), maps0);
}

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("The expected vphyr instances and vgem are present.");
	igt_subtest("devices")
		test_devices();

	igt_describe("VPHYR_INFO of each instance is consistent.");
	igt_subtest_with_dynamic("info") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_info(i);
	}

	igt_describe("System-memory objects read back as host ranges of the right size.");
	igt_subtest_with_dynamic("create-system") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_create(i, VPHYR_GEM_SYSTEM);
	}

	igt_describe("VRAM objects read back as MMIO ranges inside the instance's BAR.");
	igt_subtest_with_dynamic("create-vram") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_dynamic_each_vram(&env, i)
			test_create(i, VPHYR_GEM_VRAM);
	}

	igt_describe("CPU and device DMA see the same bytes of a system-memory object.");
	igt_subtest_with_dynamic("mmap-dma-system") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_mmap_dma(i, VPHYR_GEM_SYSTEM);
	}

	igt_describe("CPU and device DMA see the same bytes of a VRAM object.");
	igt_subtest_with_dynamic("mmap-dma-vram") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_dynamic_each_vram(&env, i)
			test_mmap_dma(i, VPHYR_GEM_VRAM);
	}

	igt_describe("An object of all the VRAM maps and reaches its last page.");
	igt_subtest("large-object") {
		igt_vphyr_require_vram(&env, 1);
		test_large_object();
	}

	igt_describe("A short range array gets the full count and only what fits.");
	igt_subtest("ranges-truncated") {
		igt_vphyr_require_dev(&env);
		test_ranges_truncated();
	}

	igt_describe("Eviction moves a VRAM object to system memory with its data.");
	igt_subtest_with_dynamic("evict-vram") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_dynamic_each_vram(&env, i)
			test_evict_vram(i);
	}

	igt_describe("Eviction leaves a system-memory object alone.");
	igt_subtest_with_dynamic("evict-system-noop") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_dynamic_each(&env, i)
			test_evict_system_noop(i);
	}

	igt_describe("A CPU mapping follows its object out of VRAM.");
	igt_subtest("evict-mmap-follows") {
		igt_vphyr_require_vram(&env, 1);
		test_evict_mmap_follows();
	}

	igt_describe("DMA and CPU agree on an object across the 4 GiB line of a BAR.");
	igt_subtest("vram-across-4g") {
		igt_vphyr_require_vram(&env, 1);
		test_vram_across_4g();
	}

	igt_describe("Writes through a CPU mapping racing an eviction are kept.");
	igt_subtest_with_dynamic("evict-racing-mmap-writer") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_dynamic_each_vram(&env, i)
			test_evict_racing_mmap_writer(i);
	}

	igt_describe("Create/map/close and open/close cycles leak nothing.");
	igt_subtest("leak-create-close") {
		igt_vphyr_require_dev(&env);
		test_leak_create_close();
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
