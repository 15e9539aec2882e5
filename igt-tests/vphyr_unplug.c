// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr unplug
 * Category: Core
 * Mega feature: phyr
 * Sub-category: dma-buf
 * Functionality: revocation on unbind
 * Description: Unbinding a vphyr instance from its ivshmem device while its
 *	VRAM is CPU-mapped, exported and imported by another instance
 *	revokes every use of the memory: the CPU mapping faults with
 *	SIGBUS, the importer's next use fails with ENODEV, ioctls on the
 *	instance fail with ENODEV, and the BAR stays reserved until the last
 *	user is gone. Binding the device again gives a working instance.
 * Test category: functionality test
 *
 * SUBTEST: unbind-while-shared
 * Description: Unbind under a CPU mapping, an exported dma-buf and an
 *	importing instance; every use is revoked (a live instance cannot
 *	take the unbound one as link peer), the BAR is released only
 *	after the last file closed, and binding again gives an instance
 *	whose VRAM works, through the CPU and through device DMA.
 *
 * SUBTEST: unbind-importer
 * Description: Unbind an instance that has a dma-buf of another instance
 *	and, where vgem is there, a vgem buffer (whose exporter caches its
 *	scatterlist until detach) imported and mapped: the unbind unmaps
 *	them (the DMA API debug dump lists no mapping of the unbound device), closing the
 *	importer's file lets go of the import, the exporter keeps working, and binding again gives
 *	an instance that imports and reads a buffer of the exporter.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "igt_vphyr.h"

IGT_TEST_DESCRIPTION("vphyr unbind: revocation of mappings, exports and imports");

#define OBJ_PAGES	16

static struct igt_vphyr_env env;
static sigjmp_buf bus_jmp;

/*
 * What the subtest holds while a device is unbound, so that the exit
 * handler can let go of it and bind the device again even after a
 * failure: the hooks that run after this binary need every instance.
 */
static struct {
	char pci[64];
	void *map;
	size_t size;
	int fd[2];
} held = { .fd = { -1, -1 } };

static void on_sigbus(int sig __attribute__((unused)))
{
	siglongjmp(bus_jmp, 1);
}

/* Whether reading @p raises SIGBUS. */
static bool read_faults(const volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile bool faulted = false;

	sigemptyset(&sa.sa_mask);
	igt_assert_eq(sigaction(SIGBUS, &sa, &old), 0);
	if (sigsetjmp(bus_jmp, 1) == 0)
		(void)*p;
	else
		faulted = true;
	igt_assert_eq(sigaction(SIGBUS, &old, NULL), 0);
	return faulted;
}

/* The PCI address (0000:00:03.0) of the device behind a DRM node. */
static void pci_name_of(const char *node, char *name, size_t size)
{
	char lpath[PATH_MAX], target[PATH_MAX];
	const char *base = strrchr(node, '/');
	ssize_t n;

	snprintf(lpath, sizeof(lpath), "/sys/class/drm/%s/device",
		 base ? base + 1 : node);
	n = readlink(lpath, target, sizeof(target) - 1);
	igt_assert_f(n > 0, "readlink %s: %s\n", lpath, strerror(errno));
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	igt_assert_f(strlen(base) < size, "PCI name %s too long\n", base);
	memcpy(name, base, strlen(base) + 1);
}

static void pci_unbind(const char *pci)
{
	int ret = phyr_pci_unbind(pci);

	igt_assert_f(!ret, "unbind %s: %s\n", pci, strerror(-ret));
}

static void pci_bind(const char *pci)
{
	int ret = phyr_pci_bind(pci);

	igt_assert_f(!ret, "bind %s: %s\n", pci, strerror(-ret));
}

static void rebind_on_exit(int sig __attribute__((unused)))
{
	int ret;

	if (!held.pci[0])
		return;
	if (held.map)
		munmap(held.map, held.size);
	for (int i = 0; i < 2; i++)
		if (held.fd[i] >= 0)
			close(held.fd[i]);
	igt_vphyr_env_close(&env);
	ret = phyr_pci_bind(held.pci);
	if (ret)
		igt_warn("binding %s again: %s\n", held.pci, strerror(-ret));
	held.pci[0] = '\0';
}

/* Whether /proc/iomem shows [start, ...] reserved by vphyr. */
static bool bar_reserved(uint64_t start)
{
	int ret = phyr_iomem_reserved(start, "vphyr");

	igt_assert_f(ret >= 0, "/proc/iomem: %s\n", strerror(-ret));
	return ret;
}

/* The instance whose VRAM starts at @base, after a new scan, or -1. */
static int instance_at(uint64_t base)
{
	for (int i = 0; i < env.ndev; i++)
		if (igt_vphyr_has_vram(&env, i) && env.dev[i].info.vram_base == base)
			return i;
	return -1;
}

static void test_unbind_while_shared(void)
{
	int a = env.vram[0], b = a ? 0 : 1;
	int fa = env.dev[a].fd, fb = env.dev[b].fd, dmabuf, ret, again;
	uint64_t size = OBJ_PAGES * env.page, base, offset;
	char pci[64];
	uint8_t *map, *buf;
	uint32_t h, hb, h2;

	base = env.dev[a].info.vram_base;
	igt_require_f(base, "no VRAM base (needs root)\n");
	pci_name_of(env.dev[a].path, pci, sizeof(pci));
	igt_info("unbinding %s (%s), importer %s\n", env.dev[a].name, pci,
		 env.dev[b].name);
	igt_assert(bar_reserved(base));

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_VRAM);
	map = igt_vphyr_gem_mmap(fa, h, size);
	phyr_pattern_fill(map, size, 21, 0);
	hb = igt_vphyr_share(fa, h, fb);
	igt_vphyr_check_dma("importer's read before unbind", fb, hb, 0, size, 21);
	dmabuf = prime_handle_to_fd(fa, h);

	held.map = map;
	held.size = size;
	held.fd[0] = dmabuf;
	held.fd[1] = fa;
	memcpy(held.pci, pci, sizeof(held.pci));
	igt_install_exit_handler(rebind_on_exit);
	pci_unbind(pci);

	igt_assert_f(read_faults(map), "the CPU mapping still reads VRAM\n");
	igt_assert_f(read_faults(map + size - 1),
		     "the end of the CPU mapping still reads VRAM\n");
	buf = malloc(size);
	igt_assert(buf);
	ret = vphyr_uapi_gem_dma(fb, hb, VPHYR_DMA_READ, 0, size, buf);
	igt_assert_f(ret == -ENODEV,
		     "the importer's DMA read after unbind gave %d, not -ENODEV\n",
		     ret);
	ret = vphyr_uapi_gem_create(fa, size, VPHYR_GEM_VRAM, &h2);
	igt_assert_f(ret == -ENODEV, "GEM_CREATE after unbind gave %d\n", ret);
	ret = vphyr_uapi_gem_mmap(fa, h, 0, &offset);
	igt_assert_f(ret == -ENODEV, "GEM_MMAP after unbind gave %d\n", ret);
	/* a live VRAM instance must not take the unbound one as link peer */
	if (env.nvram > 1) {
		ret = vphyr_uapi_link(env.dev[env.vram[1]].fd, fa, 0);
		igt_assert_f(ret == -ENODEV,
			     "LINK with the unbound instance as peer gave %d\n",
			     ret);
	}
	/* somebody still holds the memory: the BAR stays reserved */
	igt_assert_f(bar_reserved(base),
		     "the BAR was released while it was still mapped\n");

	munmap(map, size);
	close(dmabuf);
	gem_close(fb, hb);
	close(fa);
	env.dev[a].fd = -1;
	held.map = NULL;
	held.fd[0] = held.fd[1] = -1;
	igt_assert_f(!bar_reserved(base),
		     "the BAR is still reserved after the last user went\n");

	pci_bind(pci);
	held.pci[0] = '\0';
	igt_vphyr_env_close(&env);
	igt_vphyr_env_open(&env);
	again = instance_at(base);
	igt_assert_f(again >= 0, "no instance with VRAM at 0x%" PRIx64
		     " after binding again\n", base);
	h = igt_vphyr_gem_create(env.dev[again].fd, size, VPHYR_GEM_VRAM);
	igt_vphyr_write_cpu(env.dev[again].fd, h, size, 22);
	igt_vphyr_check_dma("device read after binding again", env.dev[again].fd,
			    h, 0, size, 22);
	gem_close(env.dev[again].fd, h);
	free(buf);
}

/* Mappings the DMA API debug dump lists for the PCI device @pci. */
static int dma_debug_mappings(const char *pci)
{
	char line[512], want[80];
	int n = 0;
	FILE *f;

	snprintf(want, sizeof(want), " %s ", pci);
	f = fopen("/sys/kernel/debug/dma-api/dump", "r");
	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want))
			n++;
	fclose(f);
	return n;
}

static void test_unbind_importer(void)
{
	int b = env.vram[0], a = env.sys;
	int fa = env.dev[a].fd, fb = env.dev[b].fd, ret, again;
	uint64_t size = OBJ_PAGES * env.page, base = env.dev[b].info.vram_base;
	struct vgem_bo vbo = { .width = 256, .height = 64, .bpp = 32 };
	uint32_t h, hb, h2, hv = 0;
	char pci[64];
	uint8_t *buf;

	igt_require_f(!access("/sys/kernel/debug/dma-api/dump", R_OK),
		      "no DMA API debug (CONFIG_DMA_API_DEBUG)\n");
	pci_name_of(env.dev[b].path, pci, sizeof(pci));
	igt_info("unbinding importer %s (%s), exporter %s\n", env.dev[b].name,
		 pci, env.dev[a].name);

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_SYSTEM);
	igt_vphyr_write_cpu(fa, h, size, 31);
	hb = igt_vphyr_share(fa, h, fb);
	igt_vphyr_check_dma("importer's read before unbind", fb, hb, 0, size, 31);
	if (env.vgem >= 0) {
		uint8_t *vmap;

		vgem_create(env.vgem, &vbo);
		vmap = vgem_mmap(env.vgem, &vbo, PROT_READ | PROT_WRITE);
		phyr_pattern_fill(vmap, vbo.size, 34, 0);
		munmap(vmap, vbo.size);
		hv = igt_vphyr_share(env.vgem, vbo.handle, fb);
		igt_vphyr_check_dma("importer's read of a vgem buffer", fb, hv, 0,
				    vbo.size, 34);
	}
	igt_info("%d DMA API mappings of %s before the unbind\n",
		 dma_debug_mappings(pci), pci);

	held.fd[1] = fb;
	memcpy(held.pci, pci, sizeof(held.pci));
	igt_install_exit_handler(rebind_on_exit);
	pci_unbind(pci);

	ret = dma_debug_mappings(pci);
	igt_assert_f(ret == 0, "%d DMA mappings of %s outlive its unbind\n",
		     ret, pci);
	buf = malloc(size);
	igt_assert(buf);
	ret = vphyr_uapi_gem_dma(fb, hb, VPHYR_DMA_READ, 0, size, buf);
	igt_assert_f(ret == -ENODEV,
		     "the importer's DMA read after unbind gave %d\n", ret);
	/* the exporter does not notice */
	igt_vphyr_write_cpu(fa, h, size, 32);
	igt_vphyr_check_dma("exporter's own read", fa, h, 0, size, 32);

	/* the DRM core refuses every ioctl of an unplugged device */
	ret = igt_ioctl(fb, DRM_IOCTL_GEM_CLOSE, &(struct drm_gem_close){ .handle = hb });
	igt_assert_f(ret == -1 && errno == ENODEV,
		     "GEM_CLOSE on the unbound importer gave %d (%s)\n", ret,
		     strerror(errno));
	/* closing the file lets go of the imports */
	close(fb);
	if (hv)
		gem_close(env.vgem, vbo.handle);
	env.dev[b].fd = -1;
	held.fd[1] = -1;
	igt_assert_f(!bar_reserved(base),
		     "the BAR is still reserved after the last user went\n");

	pci_bind(pci);
	held.pci[0] = '\0';
	igt_vphyr_env_close(&env);
	igt_vphyr_env_open(&env);
	again = instance_at(base);
	igt_assert_f(again >= 0, "no instance with VRAM at 0x%" PRIx64
		     " after binding again\n", base);
	a = env.sys;
	h = igt_vphyr_gem_create(env.dev[a].fd, size, VPHYR_GEM_SYSTEM);
	igt_vphyr_write_cpu(env.dev[a].fd, h, size, 33);
	h2 = igt_vphyr_share(env.dev[a].fd, h, env.dev[again].fd);
	igt_vphyr_check_dma("read by the new instance", env.dev[again].fd, h2, 0,
			    size, 33);
	gem_close(env.dev[again].fd, h2);
	gem_close(env.dev[a].fd, h);
	free(buf);
}

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("Unbind revokes CPU mappings, exports and imports; bind works again.");
	igt_subtest("unbind-while-shared") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_require_devs(&env, 2);
		igt_vphyr_require_root(&env);
		test_unbind_while_shared();
	}

	igt_describe("Unbinding an importer unmaps its imports; bind imports again.");
	igt_subtest("unbind-importer") {
		igt_vphyr_require_vram(&env, 1);
		igt_vphyr_require_sys(&env);
		igt_vphyr_require_root(&env);
		test_unbind_importer();
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
