// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for phyr GEM objects on a mock DRM device.
 *
 * The "VRAM" region here is a block of system RAM flagged as device-local
 * memory without %PHYR_F_MMIO, so the test can look at its contents through
 * the direct map and the helpers access it the way they access RAM.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/swiotlb.h>
#include <linux/workqueue.h>
#include <kunit/device.h>
#include <kunit/test.h>

#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_phyr.h>

#define VRAM_ORDER	8	/* 1 MiB */
#define VRAM_SIZE	(PAGE_SIZE << VRAM_ORDER)

struct gem_test {
	struct drm_device *drm;
	struct drm_phyr_region region;
	struct page *pages;
};

static void gem_test_free_pages(void *page)
{
	__free_pages(page, VRAM_ORDER);
}

static void gem_test_region_fini(void *r)
{
	drm_phyr_region_fini(r);
}

static int gem_test_init(struct kunit *test)
{
	struct gem_test *g = kunit_kzalloc(test, sizeof(*g), GFP_KERNEL);
	struct device *dev;

	KUNIT_ASSERT_NOT_NULL(test, g);
	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	g->drm = __drm_kunit_helper_alloc_drm_device(test, dev, sizeof(*g->drm),
						     0, DRIVER_GEM);
	KUNIT_ASSERT_FALSE(test, IS_ERR(g->drm));

	g->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, VRAM_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, g->pages);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, gem_test_free_pages, g->pages));
	KUNIT_ASSERT_EQ(test, 0,
			drm_phyr_region_init(&g->region, dev, page_to_phys(g->pages),
					     VRAM_SIZE, PHYR_IC_DEVICE));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, gem_test_region_fini, &g->region));
	test->priv = g;
	return 0;
}

static void gem_test_put(void *obj)
{
	drm_gem_object_put(obj);
}

static struct drm_phyr_gem_object *gem_test_create(struct kunit *test, size_t size,
						   enum drm_phyr_placement place)
{
	struct gem_test *g = test->priv;
	struct drm_phyr_gem_object *pobj;

	pobj = drm_phyr_gem_create(g->drm, &g->region, size, place);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(pobj), "create: %ld", PTR_ERR(pobj));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, gem_test_put,
							   &pobj->base));
	return pobj;
}

/* Read or write @len bytes of an object through its list and the direct map. */
static void gem_test_rw(struct kunit *test, const struct phyr_list *l,
			u8 *buf, size_t len, bool write)
{
	struct phyr_iter it;
	struct phyr seg;

	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		size_t n = min_t(u64, len, phyr_len(&seg));
		void *v = phys_to_virt(phyr_addr(&seg));

		KUNIT_ASSERT_TRUE(test, pfn_valid(PHYS_PFN(phyr_addr(&seg))));
		if (write)
			memcpy(v, buf, n);
		else
			memcpy(buf, v, n);
		buf += n;
		len -= n;
		if (!len)
			break;
	}
	KUNIT_EXPECT_EQ(test, len, 0);
}

static void expect_list(struct kunit *test, const struct phyr_list *l,
			unsigned int flags, u64 size, phys_addr_t lo, phys_addr_t hi)
{
	struct phyr_iter it;
	struct phyr seg;

	KUNIT_EXPECT_EQ(test, phyr_list_length(l), size);
	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		KUNIT_EXPECT_EQ(test, phyr_flags(&seg), flags);
		if (hi) {
			KUNIT_EXPECT_GE(test, phyr_addr(&seg), lo);
			KUNIT_EXPECT_LE(test, phyr_end(&seg), hi);
		}
	}
}

static void drm_phyr_gem_vram_evict(struct kunit *test)
{
	struct gem_test *g = test->priv;
	phys_addr_t base = g->region.base;
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_256K,
							   DRM_PHYR_PLACE_VRAM);
	struct dma_resv *resv = pobj->base.resv;
	u8 *pattern, *back;
	size_t i;

	pattern = kunit_kmalloc(test, SZ_256K, GFP_KERNEL);
	back = kunit_kzalloc(test, SZ_256K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pattern);
	KUNIT_ASSERT_NOT_NULL(test, back);
	for (i = 0; i < SZ_256K; i++)
		pattern[i] = i * 7 + (i >> 12);

	dma_resv_lock(resv, NULL);
	KUNIT_EXPECT_EQ(test, drm_phyr_gem_placement(pobj), DRM_PHYR_PLACE_VRAM);
	KUNIT_EXPECT_EQ(test, phyr_list_nents(drm_phyr_gem_list(pobj)), 1);
	expect_list(test, drm_phyr_gem_list(pobj), PHYR_IC_DEVICE, SZ_256K,
		    base, base + VRAM_SIZE);
	KUNIT_EXPECT_EQ(test, g->region.mm.avail, VRAM_SIZE - SZ_256K);
	/* new VRAM is cleared */
	gem_test_rw(test, drm_phyr_gem_list(pobj), back, SZ_256K, false);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(back, 0, SZ_256K));
	gem_test_rw(test, drm_phyr_gem_list(pobj), pattern, SZ_256K, true);

	KUNIT_ASSERT_EQ(test, 0, drm_phyr_gem_evict(pobj));
	KUNIT_EXPECT_EQ(test, drm_phyr_gem_placement(pobj), DRM_PHYR_PLACE_SYSTEM);
	KUNIT_EXPECT_EQ(test, pobj->generation, 1);
	expect_list(test, drm_phyr_gem_list(pobj), PHYR_IC_HOST, SZ_256K, 0, 0);
	gem_test_rw(test, drm_phyr_gem_list(pobj), back, SZ_256K, false);
	KUNIT_EXPECT_EQ(test, 0, memcmp(back, pattern, SZ_256K));
	/* nothing maps the old VRAM: it went back to the region */
	KUNIT_EXPECT_EQ(test, g->region.mm.avail, VRAM_SIZE);

	/* system memory stays where it is */
	KUNIT_EXPECT_EQ(test, 0, drm_phyr_gem_evict(pobj));
	KUNIT_EXPECT_EQ(test, pobj->generation, 1);
	dma_resv_unlock(resv);
}

static void drm_phyr_gem_vmap_pins(struct kunit *test)
{
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_64K,
							   DRM_PHYR_PLACE_VRAM);
	struct drm_gem_object *obj = &pobj->base;
	struct iosys_map map, map2;
	u8 *back;
	size_t i;

	back = kunit_kzalloc(test, SZ_64K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, back);

	KUNIT_ASSERT_EQ(test, 0, drm_gem_vmap_unlocked(obj, &map));
	KUNIT_ASSERT_EQ(test, 0, drm_gem_vmap_unlocked(obj, &map2));
	KUNIT_EXPECT_PTR_EQ(test, map.vaddr, map2.vaddr);
	for (i = 0; i < SZ_64K; i++)
		iosys_map_wr(&map, i, u8, i ^ 0x5a);

	dma_resv_lock(obj->resv, NULL);
	gem_test_rw(test, drm_phyr_gem_list(pobj), back, SZ_64K, false);
	for (i = 0; i < SZ_64K; i++)
		if (back[i] != (u8)(i ^ 0x5a))
			break;
	KUNIT_EXPECT_EQ(test, i, SZ_64K);
	/* a kernel mapping pins the object */
	KUNIT_EXPECT_EQ(test, -EBUSY, drm_phyr_gem_evict(pobj));
	dma_resv_unlock(obj->resv);

	drm_gem_vunmap_unlocked(obj, &map2);
	dma_resv_lock(obj->resv, NULL);
	KUNIT_EXPECT_EQ(test, -EBUSY, drm_phyr_gem_evict(pobj));
	dma_resv_unlock(obj->resv);

	drm_gem_vunmap_unlocked(obj, &map);
	dma_resv_lock(obj->resv, NULL);
	KUNIT_EXPECT_EQ(test, pobj->vmap_count, 0);
	KUNIT_EXPECT_EQ(test, pobj->pin_count, 0);
	KUNIT_EXPECT_EQ(test, 0, drm_phyr_gem_evict(pobj));
	dma_resv_unlock(obj->resv);

	/* and a mapping of the moved object shows the same bytes */
	KUNIT_ASSERT_EQ(test, 0, drm_gem_vmap_unlocked(obj, &map));
	for (i = 0; i < SZ_64K; i++)
		if (iosys_map_rd(&map, i, u8) != (u8)(i ^ 0x5a))
			break;
	KUNIT_EXPECT_EQ(test, i, SZ_64K);
	drm_gem_vunmap_unlocked(obj, &map);
}

static void drm_phyr_gem_create_errors(struct kunit *test)
{
	struct gem_test *g = test->priv;
	struct drm_phyr_region *r = &g->region;
	struct drm_phyr_gem_object *pobj;
	size_t huge = (totalram_pages() + 1) << PAGE_SHIFT;

	KUNIT_EXPECT_EQ(test, -EINVAL,
			PTR_ERR(drm_phyr_gem_create(g->drm, r, 0, DRM_PHYR_PLACE_VRAM)));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			PTR_ERR(drm_phyr_gem_create(g->drm, r, 100, DRM_PHYR_PLACE_SYSTEM)));
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(drm_phyr_gem_create(g->drm, r, SZ_4K, 0)));
	KUNIT_EXPECT_EQ(test, -ENODEV,
			PTR_ERR(drm_phyr_gem_create(g->drm, NULL, SZ_4K, DRM_PHYR_PLACE_VRAM)));
	KUNIT_EXPECT_EQ(test, -E2BIG,
			PTR_ERR(drm_phyr_gem_create(g->drm, r, 2 * VRAM_SIZE,
						    DRM_PHYR_PLACE_VRAM)));
	KUNIT_EXPECT_EQ(test, -E2BIG,
			PTR_ERR(drm_phyr_gem_create(g->drm, NULL, huge, DRM_PHYR_PLACE_SYSTEM)));

	pobj = gem_test_create(test, VRAM_SIZE - SZ_4K, DRM_PHYR_PLACE_VRAM);
	KUNIT_EXPECT_EQ(test, -ENOSPC,
			PTR_ERR(drm_phyr_gem_create(g->drm, r, SZ_8K, DRM_PHYR_PLACE_VRAM)));
	/* a failed create leaves the region as it was */
	KUNIT_EXPECT_EQ(test, r->mm.avail, SZ_4K);
	KUNIT_EXPECT_TRUE(test, drm_phyr_gem_is_phyr(&pobj->base));
}

/* The importer side of the umem tests: what its invalidate callback saw. */
struct umem_test_owner {
	struct phyr_umem *umem;
	unsigned int calls;
	bool mapped_at_call;
};

static void umem_test_invalidate(struct phyr_umem *umem, void *priv)
{
	struct umem_test_owner *o = priv;

	dma_resv_assert_held(umem->dmabuf->resv);
	o->calls++;
	/* told before the mapping goes away, so it can stop using it */
	o->mapped_at_call = umem->mapped;
}

static const struct phyr_umem_ops umem_test_ops = {
	.invalidate = umem_test_invalidate,
};

/*
 * The last reference of a dma-buf goes through delayed fput in a kthread;
 * release it now, while the mock DRM device it refers to still exists.
 */
static void umem_test_dmabuf_put(void *dmabuf)
{
	dma_buf_put(dmabuf);
	flush_delayed_fput();
}

static struct dma_buf *umem_test_export(struct kunit *test,
					struct drm_phyr_gem_object *pobj)
{
	struct dma_buf *dmabuf = drm_phyr_gem_prime_export(&pobj->base, O_RDWR);

	int ret;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	ret = kunit_add_action_or_reset(test, umem_test_dmabuf_put, dmabuf);
	KUNIT_ASSERT_EQ(test, 0, ret);
	return dmabuf;
}

static struct device *umem_test_cpu_device(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "phyr-umem-sw");

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	dev->dma_mask = NULL;	/* reaches memory with the CPU, like rxe */
	return dev;
}

/*
 * A software RDMA device imports VRAM: it stays in VRAM, its bytes are
 * copied by the CPU, and an eviction invalidates the umem before the old
 * VRAM can be reused.
 */
static void phyr_umem_dmabuf_vram(struct kunit *test)
{
	struct gem_test *g = test->priv;
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_256K,
							   DRM_PHYR_PLACE_VRAM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	struct device *dev = umem_test_cpu_device(test);
	struct umem_test_owner o = { };
	u8 *buf, *back;
	size_t i;

	buf = kunit_kmalloc(test, SZ_64K, GFP_KERNEL);
	back = kunit_kzalloc(test, SZ_256K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, back);
	for (i = 0; i < SZ_64K; i++)
		buf[i] = i * 3 + 1;

	o.umem = phyr_umem_get_dmabuf(dev, dmabuf, SZ_64K, SZ_128K,
				      PHYR_UMEM_WRITE, &umem_test_ops, &o);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(o.umem), "get: %ld",
			       PTR_ERR(o.umem));
	KUNIT_EXPECT_TRUE(test, o.umem->cpu);
	KUNIT_EXPECT_EQ(test, phyr_list_length(&o.umem->list), SZ_128K);
	expect_list(test, &o.umem->list, PHYR_IC_DEVICE, SZ_128K,
		    g->region.base, g->region.base + VRAM_SIZE);
	KUNIT_EXPECT_EQ(test, 0, phyr_umem_copy(o.umem, SZ_4K + 5, buf, SZ_64K,
						true));

	dma_resv_lock(pobj->base.resv, NULL);
	/* the import did not move the object, and the bytes are in VRAM */
	KUNIT_EXPECT_EQ(test, drm_phyr_gem_placement(pobj), DRM_PHYR_PLACE_VRAM);
	gem_test_rw(test, drm_phyr_gem_list(pobj), back, SZ_256K, false);
	KUNIT_EXPECT_EQ(test, 0, memcmp(back + SZ_64K + SZ_4K + 5, buf, SZ_64K));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(back, 0, SZ_64K + SZ_4K + 5));

	KUNIT_ASSERT_EQ(test, 0, drm_phyr_gem_evict(pobj));
	KUNIT_EXPECT_EQ(test, o.calls, 1);
	KUNIT_EXPECT_TRUE(test, o.mapped_at_call);
	KUNIT_EXPECT_FALSE(test, o.umem->mapped);
	KUNIT_EXPECT_EQ(test, o.umem->invalidations, 1);
	/* the umem held the only other reference: the VRAM is free again */
	KUNIT_EXPECT_EQ(test, g->region.mm.avail, VRAM_SIZE);
	dma_resv_unlock(pobj->base.resv);

	KUNIT_EXPECT_EQ(test, -EFAULT, phyr_umem_copy(o.umem, 0, back, 16,
						      false));
	KUNIT_EXPECT_EQ(test, 0, phyr_umem_best_pgsz(o.umem, SZ_4K, 0));

	/* mapped again, the umem describes system memory with the same bytes */
	KUNIT_ASSERT_EQ(test, 0, phyr_umem_map(o.umem));
	expect_list(test, &o.umem->list, PHYR_IC_HOST, SZ_128K, 0, 0);
	memset(back, 0, SZ_64K);
	KUNIT_EXPECT_EQ(test, 0, phyr_umem_copy(o.umem, SZ_4K + 5, back, SZ_64K,
						false));
	KUNIT_EXPECT_EQ(test, 0, memcmp(back, buf, SZ_64K));
	phyr_umem_release(o.umem);
	KUNIT_EXPECT_EQ(test, o.calls, 1);
}

/* A pinned import keeps the object where it is: eviction is refused. */
static void phyr_umem_dmabuf_pinned(struct kunit *test)
{
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_64K,
							   DRM_PHYR_PLACE_VRAM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	struct device *dev = umem_test_cpu_device(test);
	struct phyr_block_iter bi;
	struct phyr_umem *umem;
	unsigned long n = 0;

	umem = phyr_umem_get_dmabuf(dev, dmabuf, 0, SZ_64K, 0, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	/* one 64 KiB buddy block: a 64 KiB device page fits */
	KUNIT_EXPECT_EQ(test, phyr_umem_best_pgsz(umem, SZ_4K | SZ_64K, 0),
			SZ_64K);
	phyr_umem_for_each_block(umem, &bi, SZ_4K)
		n++;
	KUNIT_EXPECT_EQ(test, n, SZ_64K / SZ_4K);
	KUNIT_EXPECT_EQ(test, -EACCES, phyr_umem_copy(umem, 0, &n, 1, true));

	dma_resv_lock(pobj->base.resv, NULL);
	KUNIT_EXPECT_EQ(test, pobj->pin_count, 1);
	KUNIT_EXPECT_EQ(test, -EBUSY, drm_phyr_gem_evict(pobj));
	dma_resv_unlock(pobj->base.resv);
	phyr_umem_release(umem);

	dma_resv_lock(pobj->base.resv, NULL);
	KUNIT_EXPECT_EQ(test, pobj->pin_count, 0);
	KUNIT_EXPECT_EQ(test, 0, drm_phyr_gem_evict(pobj));
	dma_resv_unlock(pobj->base.resv);
}

/* A DMA device gets DMA ranges through the attachment, sliced. */
static void phyr_umem_dmabuf_dma(struct kunit *test)
{
	struct gem_test *g = test->priv;
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_128K,
							   DRM_PHYR_PLACE_SYSTEM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	struct umem_test_owner o = { };
	struct phyr_umem *umem;

	umem = phyr_umem_get_dmabuf(g->drm->dev, dmabuf, SZ_8K, SZ_16K,
				    PHYR_UMEM_WRITE, &umem_test_ops, &o);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	KUNIT_EXPECT_FALSE(test, umem->cpu);
	KUNIT_EXPECT_EQ(test, phyr_list_length(&umem->list), SZ_16K);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, phyr_umem_copy(umem, 0, &o, 1,
							  false));
	phyr_umem_release(umem);
	KUNIT_EXPECT_EQ(test, o.calls, 0);
}

static void phyr_umem_dmabuf_errors(struct kunit *test)
{
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_64K,
							   DRM_PHYR_PLACE_SYSTEM);
	struct dma_buf *d = umem_test_export(test, pobj);
	struct device *dev = umem_test_cpu_device(test);
	struct phyr_umem *u;

	u = phyr_umem_get_dmabuf(dev, d, SZ_4K, SZ_64K, 0, NULL, NULL);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(u));
	u = phyr_umem_get_dmabuf(dev, d, U64_MAX, 2, 0, NULL, NULL);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(u));
	u = phyr_umem_get_dmabuf(dev, d, 0, 0, 0, NULL, NULL);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(u));
	u = phyr_umem_get_dmabuf(dev, d, 0, SZ_4K, 0x80, NULL, NULL);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(u));
	u = phyr_umem_get_dmabuf(NULL, d, 0, SZ_4K, 0, NULL, NULL);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(u));
	u = phyr_umem_get_dmabuf_fd(dev, -1, 0, SZ_4K, 0, NULL, NULL);
	KUNIT_EXPECT_EQ(test, -EBADF, PTR_ERR(u));
	/* nothing was left attached */
	KUNIT_EXPECT_TRUE(test, list_empty(&d->attachments));
}

/*
 * A dynamic importer that reaches the object with the CPU (no DMA mask).
 * Its move_notify finishes one last write through the mapping it has, as
 * a device finishing an in-flight DMA would, and then drops the mapping.
 */
struct evict_test_importer {
	struct drm_phyr_attachment pa;
	struct dma_buf_attachment *attach;
	u64 offset;		/* where the last write goes */
	u8 stamp;
	unsigned int notified;
	bool wrote;
};

static void evict_test_move_notify(struct dma_buf_attachment *attach)
{
	struct evict_test_importer *imp = attach->importer_priv;
	const struct phyr_list *l;
	struct phyr_iter it;
	struct phyr seg;

	dma_resv_assert_held(attach->dmabuf->resv);
	imp->notified++;
	if (imp->pa.mapped && !drm_phyr_attachment_map_phys(&imp->pa, &l) &&
	    !phyr_iter_init_slice(l, imp->offset, SZ_4K, &it) &&
	    phyr_iter_next(&it, &seg) && pfn_valid(PHYS_PFN(phyr_addr(&seg)))) {
		memset(phys_to_virt(phyr_addr(&seg)), imp->stamp, phyr_len(&seg));
		imp->wrote = true;
	}
	drm_phyr_attachment_unmap(&imp->pa);
}

static const struct dma_buf_attach_ops evict_test_importer_ops = {
	.allow_peer2peer = true,
	.move_notify = evict_test_move_notify,
};

static void evict_test_detach(void *p)
{
	struct evict_test_importer *imp = p;
	struct dma_buf *dmabuf = imp->attach->dmabuf;

	dma_resv_lock(dmabuf->resv, NULL);
	drm_phyr_attachment_unmap(&imp->pa);
	dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, imp->attach);
}

static struct evict_test_importer *evict_test_attach(struct kunit *test,
						     struct dma_buf *dmabuf,
						     struct device *dev)
{
	struct evict_test_importer *imp = kunit_kzalloc(test, sizeof(*imp),
							GFP_KERNEL);
	struct dma_buf_attachment *attach;

	KUNIT_ASSERT_NOT_NULL(test, imp);
	attach = dma_buf_dynamic_attach(dmabuf, dev, &evict_test_importer_ops,
					imp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	imp->attach = attach;
	drm_phyr_attachment_init(&imp->pa, attach);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, evict_test_detach,
							   imp));
	return imp;
}

/*
 * Eviction invalidates before it copies: whatever an importer writes
 * while it is being told to stop (move_notify) lands in the new backing
 * store, and so does every byte written before.
 */
static void drm_phyr_gem_evict_invalidates_first(struct kunit *test)
{
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_64K,
							   DRM_PHYR_PLACE_VRAM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	struct evict_test_importer *imp;
	const struct phyr_list *l;
	u8 *back;

	back = kunit_kzalloc(test, SZ_64K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, back);
	imp = evict_test_attach(test, dmabuf, umem_test_cpu_device(test));
	imp->offset = SZ_16K;
	imp->stamp = 0xa5;

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_attachment_map_phys(&imp->pa, &l));
	memset(back, 0x11, SZ_64K);
	gem_test_rw(test, l, back, SZ_64K, true);

	KUNIT_ASSERT_EQ(test, 0, drm_phyr_gem_evict(pobj));
	KUNIT_EXPECT_EQ(test, imp->notified, 1);
	KUNIT_EXPECT_TRUE(test, imp->wrote);
	KUNIT_EXPECT_FALSE(test, imp->pa.mapped);
	KUNIT_EXPECT_EQ(test, drm_phyr_gem_placement(pobj), DRM_PHYR_PLACE_SYSTEM);
	gem_test_rw(test, drm_phyr_gem_list(pobj), back, SZ_64K, false);
	dma_resv_unlock(dmabuf->resv);

	KUNIT_EXPECT_TRUE(test, !memchr_inv(back, 0x11, SZ_16K));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(back + SZ_16K, 0xa5, SZ_4K));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(back + SZ_16K + SZ_4K, 0x11,
					    SZ_64K - SZ_16K - SZ_4K));
}

/* A kernel fence that signals from a worker some time after it is armed. */
struct late_fence {
	struct dma_fence base;
	spinlock_t lock;	/* the fence's lock */
	struct delayed_work work;
};

static const char *late_fence_name(struct dma_fence *f)
{
	return "phyr-test-late";
}

static const struct dma_fence_ops late_fence_ops = {
	.get_driver_name = late_fence_name,
	.get_timeline_name = late_fence_name,
};

static void late_fence_signal(struct work_struct *work)
{
	struct late_fence *lf = container_of(work, typeof(*lf), work.work);

	dma_fence_signal(&lf->base);
	dma_fence_put(&lf->base);
}

static void late_fence_put(void *p)
{
	struct late_fence *lf = p;

	if (cancel_delayed_work_sync(&lf->work)) {
		dma_fence_signal(&lf->base);
		dma_fence_put(&lf->base);
	}
	dma_fence_put(&lf->base);
}

/*
 * Add to @resv a fence of @usage (a kernel fence is what an exporter
 * clearing or moving memory asynchronously adds) that signals @ms
 * milliseconds from now.
 */
static struct dma_fence *late_fence_add(struct kunit *test, struct dma_resv *resv,
					unsigned int ms, enum dma_resv_usage usage)
{
	struct late_fence *lf = kzalloc(sizeof(*lf), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, lf);
	spin_lock_init(&lf->lock);
	dma_fence_init(&lf->base, &late_fence_ops, &lf->lock,
		       dma_fence_context_alloc(1), 1);
	INIT_DELAYED_WORK(&lf->work, late_fence_signal);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, late_fence_put, lf));

	dma_resv_lock(resv, NULL);
	KUNIT_ASSERT_EQ(test, 0, dma_resv_reserve_fences(resv, 1));
	dma_resv_add_fence(resv, &lf->base, usage);
	dma_resv_unlock(resv);
	dma_fence_get(&lf->base);	/* the worker's */
	schedule_delayed_work(&lf->work, msecs_to_jiffies(ms));
	return &lf->base;
}

/*
 * An importer gets a mapping only once the exporter's kernel fences have
 * signalled (moves and clears in flight), for DMA and CPU importers alike.
 */
static void drm_phyr_gem_import_waits_kernel_fences(struct kunit *test)
{
	struct gem_test *g = test->priv;
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_64K,
							   DRM_PHYR_PLACE_SYSTEM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	struct evict_test_importer *dma, *cpu;
	const struct phyr_list *l;
	struct dma_fence *f;

	dma = evict_test_attach(test, dmabuf, g->drm->dev);
	cpu = evict_test_attach(test, dmabuf, umem_test_cpu_device(test));

	f = late_fence_add(test, dmabuf->resv, 200, DMA_RESV_USAGE_KERNEL);
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, 0, drm_phyr_attachment_map(&dma->pa, DMA_TO_DEVICE));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	dma_resv_unlock(dmabuf->resv);

	f = late_fence_add(test, dmabuf->resv, 200, DMA_RESV_USAGE_KERNEL);
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, 0, drm_phyr_attachment_map_phys(&cpu->pa, &l));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	dma_resv_unlock(dmabuf->resv);
}

/*
 * CPU access through the dma-buf waits for the device work it must follow:
 * a read for a writer still running, a write for a reader too.
 */
static void drm_phyr_gem_cpu_access_waits(struct kunit *test)
{
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_16K,
							   DRM_PHYR_PLACE_SYSTEM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	struct dma_fence *f;

	f = late_fence_add(test, dmabuf->resv, 200, DMA_RESV_USAGE_WRITE);
	KUNIT_ASSERT_EQ(test, 0, dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, 0, dma_buf_end_cpu_access(dmabuf, DMA_FROM_DEVICE));

	f = late_fence_add(test, dmabuf->resv, 200, DMA_RESV_USAGE_READ);
	KUNIT_ASSERT_EQ(test, 0, dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(f));
	KUNIT_EXPECT_EQ(test, 0, dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL));
}

/* An exporter of real pages that only knows scatterlists. */
static struct sg_table *page_sg_map(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir)
{
	struct page *page = attach->dmabuf->priv;
	struct sg_table *sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	int ret;

	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		goto err_free;
	sg_set_page(sgt->sgl, page, PAGE_SIZE, 0);
	ret = dma_map_sgtable(attach->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void page_sg_unmap(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_unmap_sgtable(attach->dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(sgt);
	kfree(sgt);
}

static void page_sg_release(struct dma_buf *dmabuf)
{
	__free_page(dmabuf->priv);
}

static const struct dma_buf_ops page_sg_ops = {
	.map_dma_buf = page_sg_map,
	.unmap_dma_buf = page_sg_unmap,
	.release = page_sg_release,
};

/*
 * A table taken over from a scatterlist exporter is synced through that
 * scatterlist: with bouncing forced (the VM that boots with swiotlb=force),
 * what the device wrote into its bounce buffer reaches the page at
 * phyr_dma_sync_for_cpu(), and what the CPU wrote reaches the bounce
 * buffer at phyr_dma_sync_for_device().
 */
static void drm_phyr_gem_foreign_sync_bounce(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "phyr-bounce");
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct evict_test_importer *imp;
	struct dma_range_iter it;
	struct dma_buf *dmabuf;
	struct dma_range r;
	struct page *page;
	void *bounce;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	KUNIT_ASSERT_EQ(test, 0, dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	if (!is_swiotlb_force_bounce(dev))
		kunit_skip(test, "swiotlb does not force bouncing (boot with swiotlb=force)");
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, page);
	exp_info.ops = &page_sg_ops;
	exp_info.size = PAGE_SIZE;
	exp_info.priv = page;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf))
		__free_page(page);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, umem_test_dmabuf_put,
							   dmabuf));
	imp = evict_test_attach(test, dmabuf, dev);

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_attachment_map(&imp->pa, DMA_BIDIRECTIONAL));
	dma_range_iter_init(&imp->pa.table, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_ASSERT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_SG);
	bounce = phys_to_virt(dma_to_phys(dev, r.addr));
	KUNIT_ASSERT_PTR_NE(test, bounce, page_address(page));

	phyr_dma_sync_for_device(&imp->pa.table);
	memset(bounce, 0xa5, PAGE_SIZE);	/* the device writes */
	phyr_dma_sync_for_cpu(&imp->pa.table);
	KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(page_address(page), 0xa5, PAGE_SIZE),
			      "the device's write did not reach the page");
	memset(page_address(page), 0x3c, PAGE_SIZE);
	phyr_dma_sync_for_device(&imp->pa.table);
	KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(bounce, 0x3c, PAGE_SIZE),
			      "the CPU's write did not reach the device");
	drm_phyr_attachment_unmap(&imp->pa);
	dma_resv_unlock(dmabuf->resv);
}

/*
 * Revoking a region (its device is going away) withdraws its objects from
 * everyone: a dynamic importer is told to move and cannot map again, and
 * eviction, kernel mappings and new VRAM objects fail with -ENODEV.
 */
static void drm_phyr_gem_revoked_region(struct kunit *test)
{
	struct gem_test *g = test->priv;
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_64K,
							   DRM_PHYR_PLACE_VRAM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	struct evict_test_importer *imp;
	const struct phyr_list *l;
	struct iosys_map map;

	imp = evict_test_attach(test, dmabuf, umem_test_cpu_device(test));
	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_attachment_map_phys(&imp->pa, &l));
	dma_resv_unlock(dmabuf->resv);

	drm_phyr_gem_revoke_region(&g->region);
	KUNIT_EXPECT_EQ(test, imp->notified, 1);
	KUNIT_EXPECT_FALSE(test, imp->pa.mapped);

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, -ENODEV, drm_phyr_attachment_map_phys(&imp->pa, &l));
	KUNIT_EXPECT_EQ(test, -ENODEV, drm_phyr_gem_evict(pobj));
	dma_resv_unlock(dmabuf->resv);
	KUNIT_EXPECT_EQ(test, -ENODEV, drm_gem_vmap_unlocked(&pobj->base, &map));
	KUNIT_EXPECT_EQ(test, -ENODEV,
			PTR_ERR(drm_phyr_gem_create(g->drm, &g->region, SZ_4K,
						    DRM_PHYR_PLACE_VRAM)));
	/* revoking twice changes nothing */
	drm_phyr_gem_revoke_region(&g->region);
	KUNIT_EXPECT_EQ(test, imp->notified, 1);
}

/* A minimal exporter without range operations: one fake DMA segment. */
static struct sg_table *sg_only_map(struct dma_buf_attachment *attach,
				    enum dma_data_direction dir)
{
	struct sg_table *sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);

	if (!sgt)
		return ERR_PTR(-ENOMEM);
	if (sg_alloc_table(sgt, 1, GFP_KERNEL)) {
		kfree(sgt);
		return ERR_PTR(-ENOMEM);
	}
	sg_dma_address(sgt->sgl) = 0x10000000;
	sg_dma_len(sgt->sgl) = SZ_64K;
	return sgt;
}

static void sg_only_unmap(struct dma_buf_attachment *attach,
			  struct sg_table *sgt, enum dma_data_direction dir)
{
	sg_free_table(sgt);
	kfree(sgt);
}

static void sg_only_release(struct dma_buf *dmabuf)
{
}

static const struct dma_buf_ops sg_only_ops = {
	.map_dma_buf = sg_only_map,
	.unmap_dma_buf = sg_only_unmap,
	.release = sg_only_release,
};

/*
 * Importers ask the dma-buf core for range tables: a phyr exporter fills
 * one (its entries say how the memory is reached, none comes from a
 * scatterlist), an exporter without range operations answers -EOPNOTSUPP
 * and drm_phyr_attachment_map() takes its scatterlist instead.
 */
static void drm_phyr_gem_ranges_through_core(struct kunit *test)
{
	struct gem_test *g = test->priv;
	struct drm_phyr_gem_object *pobj = gem_test_create(test, SZ_64K,
							   DRM_PHYR_PLACE_SYSTEM);
	struct dma_buf *dmabuf = umem_test_export(test, pobj);
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct evict_test_importer *imp, *sg;
	struct dma_range_table *t;
	struct dma_range_iter it;
	struct dma_buf *other;
	struct dma_range r;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	imp = evict_test_attach(test, dmabuf, g->drm->dev);

	dma_resv_lock(dmabuf->resv, NULL);
	KUNIT_ASSERT_EQ(test, 0, dma_buf_map_attachment_ranges(imp->attach,
							       DMA_TO_DEVICE, t));
	KUNIT_EXPECT_EQ(test, dma_range_table_length(t), SZ_64K);
	dma_range_iter_init(t, &it);
	dma_range_for_each(r, &it)
		KUNIT_EXPECT_NE(test, dma_range_via(&r), DMA_RANGE_VIA_SG);
	dma_buf_unmap_attachment_ranges(imp->attach, t, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_attachment_map(&imp->pa, DMA_TO_DEVICE));
	KUNIT_EXPECT_TRUE(test, imp->pa.ranges);
	drm_phyr_attachment_unmap(&imp->pa);
	dma_resv_unlock(dmabuf->resv);

	exp_info.ops = &sg_only_ops;
	exp_info.size = SZ_64K;
	exp_info.priv = g;
	other = dma_buf_export(&exp_info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, umem_test_dmabuf_put,
							   other));
	sg = evict_test_attach(test, other, g->drm->dev);
	dma_resv_lock(other->resv, NULL);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			dma_buf_map_attachment_ranges(sg->attach, DMA_TO_DEVICE, t));
	KUNIT_ASSERT_EQ(test, 0, drm_phyr_attachment_map(&sg->pa, DMA_TO_DEVICE));
	KUNIT_EXPECT_FALSE(test, sg->pa.ranges);
	dma_range_iter_init(&sg->pa.table, &it);
	KUNIT_ASSERT_TRUE(test, dma_range_iter_next(&it, &r));
	KUNIT_EXPECT_EQ(test, r.addr, 0x10000000);
	KUNIT_EXPECT_EQ(test, dma_range_via(&r), DMA_RANGE_VIA_SG);
	drm_phyr_attachment_unmap(&sg->pa);
	dma_resv_unlock(other->resv);
}

static struct kunit_case drm_phyr_gem_cases[] = {
	KUNIT_CASE(drm_phyr_gem_vram_evict),
	KUNIT_CASE(drm_phyr_gem_vmap_pins),
	KUNIT_CASE(drm_phyr_gem_create_errors),
	KUNIT_CASE(phyr_umem_dmabuf_vram),
	KUNIT_CASE(phyr_umem_dmabuf_pinned),
	KUNIT_CASE(phyr_umem_dmabuf_dma),
	KUNIT_CASE(phyr_umem_dmabuf_errors),
	KUNIT_CASE(drm_phyr_gem_evict_invalidates_first),
	KUNIT_CASE(drm_phyr_gem_import_waits_kernel_fences),
	KUNIT_CASE(drm_phyr_gem_cpu_access_waits),
	KUNIT_CASE(drm_phyr_gem_foreign_sync_bounce),
	KUNIT_CASE(drm_phyr_gem_revoked_region),
	KUNIT_CASE(drm_phyr_gem_ranges_through_core),
	{ }
};

static struct kunit_suite drm_phyr_gem_suite = {
	.name = "drm_phyr_gem",
	.init = gem_test_init,
	.test_cases = drm_phyr_gem_cases,
};

kunit_test_suite(drm_phyr_gem_suite);
