// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr prime
 * Category: Core
 * Mega feature: phyr
 * Sub-category: dma-buf
 * Functionality: PRIME export and import, peer-to-peer DMA, IOMMU, move_notify
 * Description: dma-buf sharing of vphyr objects: with the same instance,
 *	between instances (system memory, and VRAM by PCI peer-to-peer as the
 *	VM's topology allows), with vgem both ways, through an IOMMU, and
 *	eviction under a dynamic importer. The importer's DMA range table is
 *	read back and the importing device reads and writes through it.
 * Test category: functionality test
 *
 * SUBTEST: self-import
 * Description: Importing an object into the instance that exported it
 *	gives back the same object: the same handle on the same file, the
 *	same ranges and data on another file, no migration.
 *
 * SUBTEST: cross-instance-system
 * Description: A system-memory object imported by another instance maps
 *	as host memory; the importer's DMA reads and writes are the
 *	exporter's bytes.
 *
 * SUBTEST: cross-instance-vram
 * Description: A VRAM object imported by another instance with VRAM, as
 *	the P2P topology of the machine (phyr_p2p=none|host|bus) says:
 *	migrated to system memory when P2P is refused, P2P MMIO through the
 *	host bridge, or by PCI bus address below a switch.
 *
 * SUBTEST: iommu-system-import
 * Description: On an instance whose DMA an IOMMU translates, a
 *	system-memory import maps through the IOMMU into one contiguous
 *	IOVA range, and the device reaches the bytes through it.
 *
 * SUBTEST: vgem-to-vphyr
 * Description: A vgem buffer imported into each instance maps as host
 *	memory through the exporter's scatterlist; DMA reads and writes match
 *	vgem's CPU mapping.
 *
 * SUBTEST: udmabuf-to-vphyr
 * Description: A udmabuf (memfd pages turned into a dma-buf by a second,
 *	non-DRM exporter) imported into each instance maps as host memory
 *	through the dma-buf core's range operations, not a scatterlist:
 *	pinned host ranges, mapped for the device (passthrough, page or
 *	IOMMU); DMA reads and writes match the memfd's mapping.
 *
 * SUBTEST: vphyr-to-vgem
 * Description: vphyr objects imported into vgem, which cannot reach VRAM:
 *	a VRAM object moves to system memory with its data.
 *
 * SUBTEST: evict-with-importer
 * Description: Evicting a VRAM object under a dynamic importer moves it to
 *	system memory, notifies the importer (its generation bumps), gives it
 *	a host-memory table, and keeps the data.
 *
 * SUBTEST: leak-prime
 * Description: Hundreds of export, import, map and close cycles leave no
 *	file descriptor or handle behind on either side.
 *
 * SUBTEST: export-bufinfo
 * Description: Exporting an object and then reading the dma-buf core's
 *	debugfs list (/sys/kernel/debug/dma_buf/bufinfo, which takes each
 *	buffer's reservation lock under the list lock) lists the dma-buf;
 *	lockdep must find no inversion between the two locks (an exporter
 *	that called dma_buf_export() under the reservation lock had one).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/udmabuf.h>

#include "igt_vphyr.h"

IGT_TEST_DESCRIPTION("vphyr dma-buf sharing: PRIME, P2P, vgem, IOMMU, eviction");

#define OBJ_PAGES		16
#define LEAK_PRIME_CYCLES	200
#define UDMABUF_SIZE		(1u << 20)
#define UDMABUF_DEV		"/dev/udmabuf"

static struct igt_vphyr_env env;

static uint64_t obj_size(void)
{
	return OBJ_PAGES * env.page;
}

static uint32_t own_placement(uint32_t flags)
{
	return flags == VPHYR_GEM_VRAM ? VPHYR_PLACE_VRAM : VPHYR_PLACE_SYSTEM;
}

static void test_self_import(int idx, uint32_t flags)
{
	int fd = env.dev[idx].fd, fd2, dmabuf;
	uint64_t size = obj_size();
	struct igt_vphyr_table t, t2;
	struct igt_vphyr_expect x;
	uint32_t h, h2;

	h = igt_vphyr_gem_create(fd, size, flags);
	igt_vphyr_write_cpu(fd, h, size, 41);
	igt_vphyr_get_table(fd, h, &t);

	dmabuf = prime_handle_to_fd(fd, h);
	igt_assert_eq_u64(prime_get_size(dmabuf), size);
	/* the same file gets its own handle back */
	igt_assert_eq_u32(prime_fd_to_handle(fd, dmabuf), h);

	/* another file of the same instance gets the object itself */
	fd2 = igt_vphyr_open_again(&env, idx);
	h2 = prime_fd_to_handle(fd2, dmabuf);
	close(dmabuf);
	igt_vphyr_get_table(fd2, h2, &t2);
	igt_vphyr_expect_own(&x, idx, own_placement(flags), size);
	igt_vphyr_check_table(&env, "self-import on another file", &t2, &x);
	igt_assert_f(igt_vphyr_same_table(&t, &t2),
		     "a self-import reads back other ranges than the object\n");
	igt_assert_eq_u32(t2.q.generation, t.q.generation);
	igt_vphyr_check_cpu("CPU mapping through the other file", fd2, h2, size,
			    41);
	igt_vphyr_check_dma("DMA through the other file", fd2, h2, 0, size, 41);
	igt_vphyr_write_dma(fd2, h2, 0, size, 42);
	igt_vphyr_check_cpu("exporter's view of a write through the other file",
			    fd, h, size, 42);
	close(fd2);

	/* closing the other file leaves the object to its first handle */
	igt_vphyr_check_dma("DMA after the other file closed", fd, h, 0, size,
			    42);
	igt_vphyr_table_fini(&t);
	igt_vphyr_table_fini(&t2);
	gem_close(fd, h);
}

static void test_cross_system(int a, int b)
{
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	uint32_t h, ih;

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_SYSTEM);
	igt_vphyr_write_cpu(fa, h, size, 11);
	ih = igt_vphyr_share(fa, h, fb);

	igt_vphyr_get_table(fb, ih, &t);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, IGT_VPHYR_VIA_HOSTMEM, size);
	igt_vphyr_check_table(&env, "system object imported", &t, &x);
	igt_assert_eq_u32(t.q.generation, 0);
	igt_vphyr_table_fini(&t);

	igt_vphyr_check_dma("importer's DMA read", fb, ih, 0, size, 11);
	igt_vphyr_write_dma(fb, ih, 0, size, 12);
	igt_vphyr_check_cpu("exporter's view of the importer's DMA write", fa, h,
			    size, 12);

	igt_vphyr_get_table(fa, h, &t);
	igt_vphyr_expect_own(&x, a, VPHYR_PLACE_SYSTEM, size);
	igt_vphyr_check_table(&env, "exporter", &t, &x);
	igt_vphyr_table_fini(&t);

	gem_close(fb, ih);
	gem_close(fa, h);
}

static void test_cross_vram(int a, int b)
{
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_table ti, te;
	struct igt_vphyr_expect x;
	uint32_t h, ih, via;

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_VRAM);
	igt_vphyr_write_cpu(fa, h, size, 13);
	ih = igt_vphyr_share(fa, h, fb);
	igt_vphyr_get_table(fb, ih, &ti);
	igt_vphyr_get_table(fa, h, &te);

	if (env.p2p == VPHYR_P2P_NONE) {
		/* no P2P path: the import moved the object to system memory */
		igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, IGT_VPHYR_VIA_HOSTMEM,
				     size);
		igt_vphyr_check_table(&env, "VRAM object imported without P2P",
				      &ti, &x);
		igt_vphyr_expect_own(&x, a, VPHYR_PLACE_SYSTEM, size);
		igt_vphyr_check_table(&env, "exporter after a non-P2P import", &te,
				      &x);
	} else {
		via = env.p2p == VPHYR_P2P_HOST ? VPHYR_RANGE_VIA_HOST_BRIDGE :
						  VPHYR_RANGE_VIA_BUS;
		igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_P2P, 1, IGT_VPHYR_VIA_BIT(via),
				     size);
		igt_vphyr_check_table(&env, "VRAM object imported by P2P", &ti,
				      &x);
		igt_assert_eq_u32(ti.q.generation, 0);
		igt_vphyr_expect_own(&x, a, VPHYR_PLACE_VRAM, size);
		igt_vphyr_check_table(&env, "exporter after a P2P import", &te, &x);
		igt_assert_eq_u32(te.q.generation, 0);
	}
	igt_vphyr_table_fini(&ti);
	igt_vphyr_table_fini(&te);

	igt_vphyr_check_dma("importer's DMA read", fb, ih, 0, size, 13);
	igt_vphyr_check_dma("exporter's DMA read after the import", fa, h, 0, size,
			    13);
	igt_vphyr_check_cpu("exporter's CPU read after the import", fa, h, size,
			    13);
	igt_vphyr_write_dma(fb, ih, 0, size, 14);
	igt_vphyr_check_cpu("exporter's view of the importer's DMA write", fa, h,
			    size, 14);
	gem_close(fb, ih);
	gem_close(fa, h);
}

static void test_iommu_import(int a, int b)
{
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = 64 * env.page;
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	uint32_t h, ih, i;

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_SYSTEM);
	igt_vphyr_write_cpu(fa, h, size, 31);
	ih = igt_vphyr_share(fa, h, fb);
	igt_vphyr_get_table(fb, ih, &t);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0,
			     IGT_VPHYR_VIA_BIT(VPHYR_RANGE_VIA_IOMMU), size);
	igt_vphyr_check_table(&env, "system object imported through an IOMMU", &t,
			      &x);
	/* one IOVA range, split only where the device's segment limit says */
	for (i = 1; i < t.q.count; i++)
		igt_assert_f(t.r[i].addr == t.r[i - 1].addr + t.r[i - 1].len,
			     "IOVA not contiguous: [%u] 0x%llx+0x%llx, [%u] at 0x%llx\n",
			     i - 1, (unsigned long long)t.r[i - 1].addr,
			     (unsigned long long)t.r[i - 1].len, i,
			     (unsigned long long)t.r[i].addr);
	igt_vphyr_table_fini(&t);

	igt_vphyr_check_dma("DMA read through the IOMMU", fb, ih, 0, size, 31);
	igt_vphyr_write_dma(fb, ih, 0, size, 32);
	igt_vphyr_check_cpu("exporter's view of a DMA write through the IOMMU", fa,
			    h, size, 32);
	gem_close(fb, ih);
	gem_close(fa, h);
}

static void test_vgem_to_vphyr(int idx)
{
	struct vgem_bo bo = { .width = 256, .height = 64, .bpp = 32 };
	int fd = env.dev[idx].fd;
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	unsigned char *map;
	uint32_t ih;

	vgem_create(env.vgem, &bo);
	map = vgem_mmap(env.vgem, &bo, PROT_READ | PROT_WRITE);
	phyr_pattern_fill(map, bo.size, 15, 0);
	ih = igt_vphyr_share(env.vgem, bo.handle, fd);

	igt_vphyr_get_table(fd, ih, &t);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0,
			     IGT_VPHYR_VIA_BIT(VPHYR_RANGE_VIA_SG), bo.size);
	igt_vphyr_check_table(&env, "vgem buffer imported", &t, &x);
	igt_assert_eq_u32(t.q.generation, 0);
	igt_vphyr_table_fini(&t);

	igt_vphyr_check_dma("DMA read of a vgem buffer", fd, ih, 0, bo.size, 15);
	igt_vphyr_write_dma(fd, ih, 0, bo.size, 16);
	igt_vphyr_assert_pattern("vgem's view of a DMA write", map, bo.size, 16,
				 0);
	gem_close(fd, ih);
	munmap(map, bo.size);
	gem_close(env.vgem, bo.handle);
}

/* A dma-buf of memfd pages, mapped for the CPU at *map. */
static int udmabuf_new(uint64_t size, unsigned char **map)
{
	struct udmabuf_create c = {
		.flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = size,
	};
	int dev, memfd, dmabuf;

	dev = open(UDMABUF_DEV, O_RDWR | O_CLOEXEC);
	igt_assert_f(dev >= 0, "open %s: %s\n", UDMABUF_DEV, strerror(errno));
	memfd = memfd_create("vphyr-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	igt_assert_f(memfd >= 0, "memfd_create: %s\n", strerror(errno));
	igt_assert_f(!ftruncate(memfd, size), "ftruncate: %s\n",
		     strerror(errno));
	/* udmabuf takes only memfds that cannot shrink */
	igt_assert_f(!fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK),
		     "F_SEAL_SHRINK: %s\n", strerror(errno));
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	igt_assert_f(*map != MAP_FAILED, "mmap of the memfd: %s\n",
		     strerror(errno));
	c.memfd = memfd;
	dmabuf = ioctl(dev, UDMABUF_CREATE, &c);
	igt_assert_f(dmabuf >= 0, "UDMABUF_CREATE: %s\n", strerror(errno));
	close(memfd);
	close(dev);
	return dmabuf;
}

static void test_udmabuf_to_vphyr(int idx)
{
	int fd = env.dev[idx].fd, dmabuf;
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	unsigned char *map;
	uint32_t ih;

	dmabuf = udmabuf_new(UDMABUF_SIZE, &map);
	phyr_pattern_fill(map, UDMABUF_SIZE, 43, 0);
	ih = prime_fd_to_handle(fd, dmabuf);

	igt_vphyr_get_table(fd, ih, &t);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, IGT_VPHYR_VIA_HOSTMEM,
			     UDMABUF_SIZE);
	igt_vphyr_check_table(&env, "udmabuf imported", &t, &x);
	for (uint32_t i = 0; i < t.q.count; i++)
		igt_assert_f(t.r[i].flags & VPHYR_RANGE_PINNED,
			     "udmabuf range %u not flagged pinned\n", i);
	igt_assert_eq_u32(t.q.generation, 0);
	igt_vphyr_table_fini(&t);

	igt_vphyr_check_dma("DMA read of a udmabuf", fd, ih, 0, UDMABUF_SIZE, 43);
	igt_vphyr_write_dma(fd, ih, 0, UDMABUF_SIZE, 44);
	igt_vphyr_assert_pattern("the memfd's view of a DMA write", map,
				 UDMABUF_SIZE, 44, 0);
	gem_close(fd, ih);
	close(dmabuf);
	munmap(map, UDMABUF_SIZE);
}

static void test_vphyr_to_vgem(int idx, uint32_t flags)
{
	int fd = env.dev[idx].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	struct vgem_bo bo;
	void *map;
	uint32_t h;

	h = igt_vphyr_gem_create(fd, size, flags);
	igt_vphyr_write_cpu(fd, h, size, 17);
	memset(&bo, 0, sizeof(bo));
	bo.handle = igt_vphyr_share(fd, h, env.vgem);
	bo.size = size;

	/* vgem cannot do P2P: a VRAM object moves to system memory */
	igt_vphyr_get_table(fd, h, &t);
	igt_vphyr_expect_own(&x, idx, VPHYR_PLACE_SYSTEM, size);
	igt_vphyr_check_table(&env, "exporter of a vgem import", &t, &x);
	igt_vphyr_table_fini(&t);
	igt_vphyr_check_dma("exporter's DMA read", fd, h, 0, size, 17);
	igt_vphyr_check_cpu("exporter's CPU read", fd, h, size, 17);

	map = __vgem_mmap(env.vgem, &bo, PROT_READ);
	if (map) {
		igt_vphyr_assert_pattern("vgem's view of the import", map, size,
					 17, 0);
		munmap(map, size);
	} else {
		igt_info("vgem does not map the imported buffer: checked through vphyr only\n");
	}
	gem_close(env.vgem, bo.handle);
	gem_close(fd, h);
}

static void test_evict_with_importer(int a, int b)
{
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	struct igt_vphyr_table te, ti, te2, ti2;
	uint64_t size = obj_size();
	struct igt_vphyr_expect x;
	uint32_t h, ih;

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_VRAM);
	igt_vphyr_write_cpu(fa, h, size, 19);
	ih = igt_vphyr_share(fa, h, fb);
	/* map it for the importer, then look at both sides */
	igt_vphyr_get_table(fb, ih, &ti);
	igt_vphyr_get_table(fa, h, &te);
	if (env.p2p != VPHYR_P2P_NONE)
		igt_assert_eq_u32(te.q.placement, VPHYR_PLACE_VRAM);

	igt_vphyr_gem_evict(fa, h);

	igt_vphyr_get_table(fa, h, &te2);
	igt_vphyr_expect_own(&x, a, VPHYR_PLACE_SYSTEM, size);
	igt_vphyr_check_table(&env, "exporter after eviction", &te2, &x);
	igt_vphyr_get_table(fb, ih, &ti2);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, IGT_VPHYR_VIA_HOSTMEM, size);
	igt_vphyr_check_table(&env, "importer after eviction", &ti2, &x);
	if (env.p2p == VPHYR_P2P_NONE) {
		/* the import already moved it: the eviction had nothing to do */
		igt_assert_eq_u32(te2.q.generation, te.q.generation);
		igt_assert_eq_u32(ti2.q.generation, ti.q.generation);
	} else {
		igt_assert_eq_u32(te2.q.generation, te.q.generation + 1);
		igt_assert_f(ti2.q.generation == ti.q.generation + 1,
			     "importer generation %u -> %u: no move_notify?\n",
			     ti.q.generation, ti2.q.generation);
	}
	igt_vphyr_table_fini(&te);
	igt_vphyr_table_fini(&ti);
	igt_vphyr_table_fini(&te2);
	igt_vphyr_table_fini(&ti2);

	igt_vphyr_check_dma("importer's DMA read after eviction", fb, ih, 0, size,
			    19);
	igt_vphyr_write_dma(fb, ih, 0, size, 20);
	igt_vphyr_check_cpu("exporter's CPU view of the importer's write", fa, h,
			    size, 20);
	igt_vphyr_check_dma("exporter's DMA view of the importer's write", fa, h,
			    0, size, 20);
	gem_close(fb, ih);
	gem_close(fa, h);
}

static void prime_cycle(int fa, int fb, uint32_t flags, int i,
			uint32_t *maxa, uint32_t *maxb)
{
	struct drm_vphyr_gem_ranges q;
	uint32_t h, ih, ih2;
	int dmabuf;

	igt_assert_eq(vphyr_uapi_gem_create(fa, 2 * env.page, flags, &h), 0);
	if (h > *maxa)
		*maxa = h;
	igt_assert_eq(vphyr_uapi_prime_export(fa, h, &dmabuf), 0);
	igt_assert_eq(vphyr_uapi_prime_import(fb, dmabuf, &ih), 0);
	if (ih > *maxb)
		*maxb = ih;
	/* the same dma-buf imported twice is one handle */
	igt_assert_eq(vphyr_uapi_prime_import(fb, dmabuf, &ih2), 0);
	igt_assert_f(ih2 == ih, "cycle %d: second import gave handle %u, first %u\n",
		     i, ih2, ih);
	/* map it for the importer too */
	memset(&q, 0, sizeof(q));
	q.handle = ih;
	igt_assert_eq(vphyr_uapi_gem_ranges(fb, &q), 0);
	igt_assert_eq(vphyr_uapi_gem_close(fb, ih), 0);
	igt_assert_eq(vphyr_uapi_gem_close(fa, h), 0);
	igt_assert_eq(close(dmabuf), 0);
}

static void test_leak_prime(void)
{
	uint32_t flags = VPHYR_GEM_SYSTEM, maxa = 0, maxb = 0;
	int a = 0, b = 1, fa, fb, fds0, i, left;

	if (env.nvram >= 2) {
		a = env.vram[0];
		b = env.vram[1];
		flags = VPHYR_GEM_VRAM;
	}
	/* files of our own: their handle tables hold only this test's */
	fa = igt_vphyr_open_again(&env, a);
	fb = igt_vphyr_open_again(&env, b);
	fds0 = igt_vphyr_count_fds();
	for (i = 0; i < LEAK_PRIME_CYCLES; i++)
		prime_cycle(fa, fb, flags, i, &maxa, &maxb);
	igt_assert_eq(igt_vphyr_count_fds(), fds0);
	left = igt_vphyr_count_handles(fa, maxa + 16);
	igt_assert_f(left == 0, "%d handle(s) left on the exporter %s\n", left,
		     env.dev[a].name);
	left = igt_vphyr_count_handles(fb, maxb + 16);
	igt_assert_f(left == 0, "%d handle(s) left on the importer %s\n", left,
		     env.dev[b].name);
	close(fa);
	close(fb);
}

/*
 * Export an object, then read the dma-buf debugfs list, which locks each
 * buffer's reservation object under the list lock: the new dma-buf must be
 * listed (by its inode number). A lock inversion with the export path is
 * lockdep's to report, and the run's kernel log check turns it red.
 */
static void test_export_bufinfo(void)
{
	const char *path = "/sys/kernel/debug/dma_buf/bufinfo";
	uint64_t size = 4 * env.page;
	char want[32], *text;
	int fd = env.dev[0].fd, dmabuf, bf;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	uint32_t h;

	bf = open(path, O_RDONLY | O_CLOEXEC);
	igt_require_f(bf >= 0, "%s: %s\n", path, strerror(errno));
	h = igt_vphyr_gem_create(fd, size, VPHYR_GEM_SYSTEM);
	dmabuf = prime_handle_to_fd(fd, h);
	igt_assert_eq(fstat(dmabuf, &st), 0);
	snprintf(want, sizeof(want), "\t%08lu\t", (unsigned long)st.st_ino);

	text = malloc(1 << 20);
	igt_assert(text);
	while (len < (1 << 20) - 1 &&
	       (n = read(bf, text + len, (1 << 20) - 1 - len)) > 0)
		len += n;
	text[len] = '\0';
	close(bf);
	igt_assert_f(strstr(text, want),
		     "the exported dma-buf (inode %lu) is not in %s\n",
		     (unsigned long)st.st_ino, path);
	free(text);
	close(dmabuf);
	gem_close(fd, h);
}

static bool has_iommu(int idx)
{
	return env.dev[idx].info.flags & VPHYR_INFO_IOMMU;
}

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("Importing into the exporting instance gives the same object back.");
	igt_subtest_with_dynamic("self-import") {
		igt_vphyr_require_dev(&env);
		for (int i = 0; i < env.ndev; i++) {
			if (igt_vphyr_has_vram(&env, i))
				igt_dynamic_f("%s-vram", env.dev[i].name)
					test_self_import(i, VPHYR_GEM_VRAM);
			igt_dynamic_f("%s-system", env.dev[i].name)
				test_self_import(i, VPHYR_GEM_SYSTEM);
		}
	}

	igt_describe("System-memory objects shared between instances map as host memory.");
	igt_subtest_with_dynamic("cross-instance-system") {
		igt_vphyr_require_devs(&env, 2);
		igt_vphyr_dynamic_pairs(&env, a, b)
			test_cross_system(a, b);
	}

	igt_describe("VRAM shared between instances follows the machine's P2P topology.");
	igt_subtest_with_dynamic("cross-instance-vram") {
		igt_vphyr_require_vram(&env, 2);
		igt_vphyr_require_p2p(&env);
		igt_vphyr_dynamic_vram_pairs(&env, a, b)
			test_cross_vram(a, b);
	}

	igt_describe("System memory imported behind an IOMMU maps into one IOVA range.");
	igt_subtest_with_dynamic("iommu-system-import") {
		bool any = false;

		igt_vphyr_require_devs(&env, 2);
		for (int b = 0; b < env.ndev; b++)
			any |= has_iommu(b);
		igt_require_f(any, "no vphyr instance behind an IOMMU (VPHYR_INFO_IOMMU)\n");
		for (int b = 0; b < env.ndev; b++)
			for (int a = 0; a < env.ndev; a++)
				if (a != b && has_iommu(b))
					igt_dynamic_f("%s-to-%s",
						      env.dev[a].name,
						      env.dev[b].name)
						test_iommu_import(a, b);
	}

	igt_describe("vgem buffers imported into vphyr map as host memory.");
	igt_subtest_with_dynamic("vgem-to-vphyr") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_require_vgem(&env);
		for (int i = 0; i < env.ndev; i++)
			igt_dynamic_f("to-%s", env.dev[i].name)
				test_vgem_to_vphyr(i);
	}

	igt_describe("udmabufs imported into vphyr map as host memory.");
	igt_subtest_with_dynamic("udmabuf-to-vphyr") {
		igt_vphyr_require_dev(&env);
		igt_require_f(access(UDMABUF_DEV, R_OK | W_OK) == 0,
			      "no %s: %s\n", UDMABUF_DEV, strerror(errno));
		for (int i = 0; i < env.ndev; i++)
			igt_dynamic_f("to-%s", env.dev[i].name)
				test_udmabuf_to_vphyr(i);
	}

	igt_describe("vphyr objects imported into vgem end up in system memory.");
	igt_subtest_with_dynamic("vphyr-to-vgem") {
		igt_vphyr_require_dev(&env);
		igt_vphyr_require_vgem(&env);
		for (int i = 0; i < env.ndev; i++) {
			igt_dynamic_f("%s-system", env.dev[i].name)
				test_vphyr_to_vgem(i, VPHYR_GEM_SYSTEM);
			if (igt_vphyr_has_vram(&env, i))
				igt_dynamic_f("%s-vram", env.dev[i].name)
					test_vphyr_to_vgem(i, VPHYR_GEM_VRAM);
		}
	}

	igt_describe("Eviction under a dynamic importer notifies it and keeps the data.");
	igt_subtest_with_dynamic("evict-with-importer") {
		igt_vphyr_require_vram(&env, 2);
		igt_vphyr_require_p2p(&env);
		igt_vphyr_dynamic_vram_pairs(&env, a, b)
			test_evict_with_importer(a, b);
	}

	igt_describe("PRIME export/import cycles leak no descriptor or handle.");
	igt_subtest("leak-prime") {
		igt_vphyr_require_devs(&env, 2);
		test_leak_prime();
	}

	igt_describe("Export, then read the dma-buf debugfs list: no lock inversion.");
	igt_subtest("export-bufinfo") {
		igt_vphyr_require_dev(&env);
		test_export_bufinfo();
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
