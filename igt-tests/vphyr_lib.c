// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr lib
 * Category: Core
 * Mega feature: phyr
 * Sub-category: dma-buf
 * Functionality: libphyr buffer objects
 * Description: The objects of libphyr (libphyr.h) on the vphyr instances:
 *	the handle table that gives one object per GEM handle, with a
 *	reference count, opening a device from a DRM file descriptor, and
 *	userptr objects. What the kernel holds is checked through the ioctls
 *	of libphyr_uapi.h, beside the library.
 * Test category: functionality test
 *
 * SUBTEST: bo-import-twice
 * Description: A dma-buf imported twice into another instance gives the
 *	same object; its GEM handle stays open until the last reference goes.
 *
 * SUBTEST: bo-import-own
 * Description: A dma-buf of an instance's own object imported back into it
 *	gives the object itself, one reference more.
 *
 * SUBTEST: dev-open-fd
 * Description: A device opened from a DRM fd works on a duplicate of it:
 *	the same instance, and the caller's fd stays open after the device
 *	closes. A non-vphyr fd and a closed fd are refused.
 *
 * SUBTEST: bo-userptr
 * Description: A userptr object has the size given, placement userptr,
 *	and the device reads the process's bytes through it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt_vphyr.h"
#include "libphyr.h"

IGT_TEST_DESCRIPTION("libphyr objects: handle table, open from fd, userptr");

#define OBJ_PAGES	4
#define SEED		0x11b0

static struct igt_vphyr_env env;

static uint64_t obj_size(void)
{
	return OBJ_PAGES * env.page;
}

/* a libphyr device on a duplicate of the test's fd of instance @idx */
static struct vphyr_dev *open_dev(int idx)
{
	struct vphyr_dev *dev;
	int ret;

	ret = vphyr_dev_open_fd(env.dev[idx].fd, &dev);
	igt_assert_f(!ret, "vphyr_dev_open_fd(%s): %s\n", env.dev[idx].name,
		     vphyr_last_error());
	return dev;
}

/* whether @handle is an open GEM handle of @dev (GEM_RANGES finds it) */
static bool handle_open(struct vphyr_dev *dev, uint32_t handle)
{
	struct drm_vphyr_gem_ranges q = { .handle = handle };
	int ret = vphyr_uapi_gem_ranges(vphyr_dev_fd(dev), &q);

	igt_assert_f(!ret || ret == -ENOENT, "GEM_RANGES of handle %u: %d\n",
		     handle, ret);
	return !ret;
}

static struct vphyr_bo *create_filled(struct vphyr_dev *dev)
{
	struct vphyr_bo *bo;
	void *p;

	igt_assert_f(!vphyr_bo_create(dev, obj_size(), VPHYR_REGION_SYSTEM,
				      &bo), "%s\n", vphyr_last_error());
	igt_assert_f(!vphyr_bo_map(bo, &p), "%s\n", vphyr_last_error());
	phyr_pattern_fill(p, obj_size(), SEED, 0);
	return bo;
}

static void expect_pattern(struct vphyr_bo *bo)
{
	uint8_t *buf = malloc(obj_size());

	igt_assert(buf);
	igt_assert_f(!vphyr_bo_read(bo, 0, buf, obj_size()), "%s\n",
		     vphyr_last_error());
	igt_assert_eq(phyr_pattern_check(buf, obj_size(), SEED, 0, NULL), 0);
	free(buf);
}

static void test_import_twice(int a, int b)
{
	struct vphyr_dev *exp = open_dev(a), *imp = open_dev(b);
	struct vphyr_bo *src = create_filled(exp), *x, *y;
	uint32_t handle;
	int fd;

	igt_assert_f(!vphyr_bo_export(src, &fd), "%s\n", vphyr_last_error());
	igt_assert_f(!vphyr_bo_import(imp, fd, &x), "%s\n", vphyr_last_error());
	igt_assert_f(!vphyr_bo_import(imp, fd, &y), "%s\n", vphyr_last_error());
	close(fd);
	igt_assert_f(x == y, "two imports of one dma-buf: two objects\n");
	igt_assert(vphyr_bo_dev(x) == imp);
	igt_assert_eq_u64(vphyr_bo_size(x), obj_size());
	igt_assert_eq(vphyr_bo_placement(x), VPHYR_PLACEMENT_IMPORTED);
	handle = vphyr_bo_handle(x);

	igt_assert_eq(vphyr_bo_unref(y), 0);
	igt_assert_f(handle_open(imp, handle),
		     "handle %u closed with a reference left\n", handle);
	expect_pattern(x);
	igt_assert_eq(vphyr_bo_unref(x), 0);
	igt_assert_f(!handle_open(imp, handle),
		     "handle %u still open after the last reference\n", handle);

	/* a new import after the last unref is a new object */
	igt_assert_f(!vphyr_bo_export(src, &fd), "%s\n", vphyr_last_error());
	igt_assert_f(!vphyr_bo_import(imp, fd, &x), "%s\n", vphyr_last_error());
	close(fd);
	expect_pattern(x);
	igt_assert_eq(vphyr_bo_unref(x), 0);
	igt_assert_eq(vphyr_bo_unref(src), 0);
	vphyr_dev_close(imp);
	vphyr_dev_close(exp);
}

static void test_import_own(int idx)
{
	struct vphyr_dev *dev = open_dev(idx);
	struct vphyr_bo *bo = create_filled(dev), *back;
	uint32_t handle = vphyr_bo_handle(bo);
	int fd;

	igt_assert_eq(vphyr_bo_placement(bo), VPHYR_PLACEMENT_SYSTEM);
	igt_assert_f(!vphyr_bo_export(bo, &fd), "%s\n", vphyr_last_error());
	igt_assert_f(!vphyr_bo_import(dev, fd, &back), "%s\n",
		     vphyr_last_error());
	close(fd);
	igt_assert_f(back == bo, "own dma-buf imported back: another object\n");
	igt_assert(vphyr_bo_ref(back) == bo);

	igt_assert_eq(vphyr_bo_unref(back), 0);
	igt_assert_eq(vphyr_bo_unref(back), 0);
	igt_assert_f(handle_open(dev, handle),
		     "handle %u closed with a reference left\n", handle);
	expect_pattern(bo);
	igt_assert_eq(vphyr_bo_unref(bo), 0);
	igt_assert_f(!handle_open(dev, handle),
		     "handle %u still open after the last reference\n", handle);
	vphyr_dev_close(dev);
}

static void test_open_fd(int idx)
{
	struct drm_vphyr_info info;
	struct vphyr_dev *dev = open_dev(idx);
	int fd = env.dev[idx].fd, bad;

	igt_assert_neq(vphyr_dev_fd(dev), fd);
	igt_assert_eq_u32(vphyr_dev_info(dev)->instance,
			  env.dev[idx].info.instance);
	igt_assert_f(vphyr_dev_info(dev)->node[0] == '/',
		     "node \"%s\"\n", vphyr_dev_info(dev)->node);
	vphyr_dev_close(dev);
	/* the caller's fd is still open and still the device */
	igt_assert_eq(vphyr_uapi_info(fd, &info), 0);
	igt_assert_eq_u32(info.instance, env.dev[idx].info.instance);

	bad = open("/dev/null", O_RDWR | O_CLOEXEC);
	igt_assert_fd(bad);
	igt_assert_eq(vphyr_dev_open_fd(bad, &dev), -ENODEV);
	igt_assert(!dev);
	close(bad);
	igt_assert_eq(vphyr_dev_open_fd(bad, &dev), -EBADF);
	igt_assert(!dev);
}

static void test_userptr(int idx)
{
	struct vphyr_dev *dev = open_dev(idx);
	struct vphyr_bo *bo;
	uint32_t handle;
	void *mem;

	mem = mmap(NULL, obj_size(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(mem != MAP_FAILED);
	phyr_pattern_fill(mem, obj_size(), SEED, 0);
	igt_assert_f(!vphyr_bo_userptr(dev, mem, obj_size(), &bo), "%s\n",
		     vphyr_last_error());
	handle = vphyr_bo_handle(bo);
	igt_assert_eq_u64(vphyr_bo_size(bo), obj_size());
	igt_assert_eq(vphyr_bo_placement(bo), VPHYR_PLACEMENT_USERPTR);
	expect_pattern(bo);
	igt_assert_eq(vphyr_bo_unref(bo), 0);
	igt_assert(!handle_open(dev, handle));
	munmap(mem, obj_size());
	vphyr_dev_close(dev);
}

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("One dma-buf imported twice is one object, one handle.");
	igt_subtest("bo-import-twice") {
		igt_vphyr_require_devs(&env, 2);
		test_import_twice(0, 1);
	}

	igt_describe("An own dma-buf imported back is the object itself.");
	igt_subtest("bo-import-own") {
		igt_vphyr_require_dev(&env);
		test_import_own(0);
	}

	igt_describe("A device opened from an fd works on a duplicate of it.");
	igt_subtest("dev-open-fd") {
		igt_vphyr_require_dev(&env);
		test_open_fd(0);
	}

	igt_describe("A userptr object reads the process's memory.");
	igt_subtest("bo-userptr") {
		igt_vphyr_require_dev(&env);
		test_userptr(0);
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
