// SPDX-License-Identifier: GPL-2.0-only
/**
 * TEST: vphyr link
 * Category: Core
 * Mega feature: phyr
 * Sub-category: dma-buf
 * Functionality: GPU-to-GPU links
 * Description: Two vphyr instances with VRAM declared linked (VPHYR_LINK)
 *	map each other's VRAM through the link instead of PCI: link
 *	interconnect and link addresses in the importer's table, data through
 *	them, eviction under a linked importer. Every subtest removes the
 *	link again, whatever happens.
 * Test category: functionality test
 *
 * SUBTEST: link-info
 * Description: Linking shows the peer in VPHYR_INFO of both instances;
 *	unlinking from either side clears it on both.
 *
 * SUBTEST: link-prime
 * Description: VRAM imported by a linked instance maps through the link
 *	(IC_LINK, via LINK) and stays in VRAM; reads and writes over the link
 *	are the exporter's bytes.
 *
 * SUBTEST: link-keeps-old-mapping
 * Description: An import mapped before the link was declared keeps its
 *	table and its data when the link appears.
 *
 * SUBTEST: link-evict
 * Description: Evicting a VRAM object under a linked importer moves it to
 *	system memory, notifies the importer, which then maps host memory,
 *	and keeps the data.
 */
#include "igt_vphyr.h"

IGT_TEST_DESCRIPTION("vphyr GPU-to-GPU links: link ranges, data, eviction");

#define OBJ_PAGES	16

static struct igt_vphyr_env env;

static uint64_t obj_size(void)
{
	return OBJ_PAGES * env.page;
}

static void expect_peer(int idx, uint32_t peer)
{
	struct drm_vphyr_info info;

	igt_vphyr_info(env.dev[idx].fd, &info);
	igt_assert_f(info.link_peer == peer, "%s: link_peer 0x%x, expected 0x%x\n",
		     env.dev[idx].name, info.link_peer, peer);
}

/* Every link subtest starts from no link at all. */
static void require_link_pair(void)
{
	igt_vphyr_require_vram(&env, 2);
	igt_vphyr_require_root(&env);
	igt_vphyr_reset_links(&env);
}

static void assert_unlinked(void)
{
	expect_peer(env.vram[0], IGT_VPHYR_NO_PEER);
	expect_peer(env.vram[1], IGT_VPHYR_NO_PEER);
}

static void test_link_info(void)
{
	int a = env.vram[0], b = env.vram[1];
	int fa = env.dev[a].fd, fb = env.dev[b].fd;

	igt_vphyr_link(fa, fb);
	expect_peer(a, env.dev[b].info.instance);
	expect_peer(b, env.dev[a].info.instance);
	igt_vphyr_unlink(fa, fb);
	expect_peer(a, IGT_VPHYR_NO_PEER);
	expect_peer(b, IGT_VPHYR_NO_PEER);

	/* the other way round, removed from the side that did not link */
	igt_vphyr_link(fb, fa);
	expect_peer(a, env.dev[b].info.instance);
	expect_peer(b, env.dev[a].info.instance);
	igt_vphyr_unlink(fa, fb);
	expect_peer(a, IGT_VPHYR_NO_PEER);
	expect_peer(b, IGT_VPHYR_NO_PEER);
}

static void link_share(int a, int b)
{
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_expect x;
	struct igt_vphyr_table t;
	uint32_t h, ih;

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_VRAM);
	igt_vphyr_write_cpu(fa, h, size, 21);
	ih = igt_vphyr_share(fa, h, fb);

	igt_vphyr_get_table(fb, ih, &t);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_LINK, -1,
			     IGT_VPHYR_VIA_BIT(VPHYR_RANGE_VIA_LINK), size);
	igt_vphyr_check_table(&env, "VRAM imported over a link", &t, &x);
	igt_vphyr_table_fini(&t);
	igt_vphyr_get_table(fa, h, &t);
	igt_vphyr_expect_own(&x, a, VPHYR_PLACE_VRAM, size);
	igt_vphyr_check_table(&env, "exporter of a linked import", &t, &x);
	igt_assert_eq_u32(t.q.generation, 0);
	igt_vphyr_table_fini(&t);

	igt_vphyr_check_dma("DMA read over the link", fb, ih, 0, size, 21);
	igt_vphyr_write_dma(fb, ih, 0, size, 22);
	igt_vphyr_check_cpu("exporter's view of a write over the link", fa, h,
			    size, 22);
	gem_close(fb, ih);
	gem_close(fa, h);
}

static void test_link_keeps_old_mapping(void)
{
	int a = env.vram[0], b = env.vram[1];
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_table t0, t1;
	uint32_t h, ih;

	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_VRAM);
	igt_vphyr_write_cpu(fa, h, size, 23);
	ih = igt_vphyr_share(fa, h, fb);
	igt_vphyr_get_table(fb, ih, &t0);

	igt_vphyr_link(fa, fb);
	igt_vphyr_get_table(fb, ih, &t1);
	igt_assert_f(igt_vphyr_same_table(&t0, &t1) &&
		     t0.q.generation == t1.q.generation,
		     "a mapping made before the link changed (entry 0 flags 0x%x -> 0x%x, generation %u -> %u)\n",
		     t0.r[0].flags, t1.r[0].flags, t0.q.generation,
		     t1.q.generation);
	igt_vphyr_check_dma("DMA read after linking", fb, ih, 0, size, 23);
	igt_vphyr_table_fini(&t0);
	igt_vphyr_table_fini(&t1);
	gem_close(fb, ih);
	gem_close(fa, h);
	igt_vphyr_unlink(fa, fb);
}

static void test_link_evict(void)
{
	int a = env.vram[0], b = env.vram[1];
	int fa = env.dev[a].fd, fb = env.dev[b].fd;
	uint64_t size = obj_size();
	struct igt_vphyr_table te, ti, ti2;
	struct igt_vphyr_expect x;
	uint32_t h, ih;

	igt_vphyr_link(fa, fb);
	h = igt_vphyr_gem_create(fa, size, VPHYR_GEM_VRAM);
	igt_vphyr_write_cpu(fa, h, size, 25);
	ih = igt_vphyr_share(fa, h, fb);
	igt_vphyr_get_table(fb, ih, &ti);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_LINK, -1,
			     IGT_VPHYR_VIA_BIT(VPHYR_RANGE_VIA_LINK), size);
	igt_vphyr_check_table(&env, "linked import before eviction", &ti, &x);

	igt_vphyr_gem_evict(fa, h);

	igt_vphyr_get_table(fa, h, &te);
	igt_vphyr_expect_own(&x, a, VPHYR_PLACE_SYSTEM, size);
	igt_vphyr_check_table(&env, "exporter after eviction", &te, &x);
	igt_assert_eq_u32(te.q.generation, 1);
	igt_vphyr_get_table(fb, ih, &ti2);
	igt_vphyr_expect_dma(&x, VPHYR_RANGE_IC_HOST, 0, IGT_VPHYR_VIA_HOSTMEM, size);
	igt_vphyr_check_table(&env, "linked import after eviction", &ti2, &x);
	igt_assert_f(ti2.q.generation == ti.q.generation + 1,
		     "importer generation %u -> %u: no move_notify?\n",
		     ti.q.generation, ti2.q.generation);
	igt_vphyr_table_fini(&te);
	igt_vphyr_table_fini(&ti);
	igt_vphyr_table_fini(&ti2);

	igt_vphyr_check_dma("importer's DMA read after eviction", fb, ih, 0, size,
			    25);
	gem_close(fb, ih);
	gem_close(fa, h);
	igt_vphyr_unlink(fa, fb);
}

igt_vphyr_main
{
	igt_fixture
		igt_vphyr_env_open(&env);

	igt_describe("VPHYR_INFO shows a link on both sides while it exists.");
	igt_subtest("link-info") {
		require_link_pair();
		assert_unlinked();
		test_link_info();
	}

	igt_describe("VRAM imported by a linked instance maps over the link.");
	igt_subtest_with_dynamic("link-prime") {
		int a, b;

		require_link_pair();
		a = env.vram[0];
		b = env.vram[1];
		igt_dynamic_f("%s-to-%s", env.dev[a].name, env.dev[b].name) {
			assert_unlinked();
			igt_vphyr_link(env.dev[a].fd, env.dev[b].fd);
			link_share(a, b);
			igt_vphyr_unlink(env.dev[a].fd, env.dev[b].fd);
		}
		igt_vphyr_reset_links(&env);
		igt_dynamic_f("%s-to-%s", env.dev[b].name, env.dev[a].name) {
			assert_unlinked();
			igt_vphyr_link(env.dev[a].fd, env.dev[b].fd);
			link_share(b, a);
			igt_vphyr_unlink(env.dev[a].fd, env.dev[b].fd);
		}
		igt_vphyr_reset_links(&env);
	}

	igt_describe("A link leaves mappings made before it alone.");
	igt_subtest("link-keeps-old-mapping") {
		require_link_pair();
		assert_unlinked();
		test_link_keeps_old_mapping();
	}

	igt_describe("Eviction under a linked importer remaps it to host memory.");
	igt_subtest("link-evict") {
		require_link_pair();
		assert_unlinked();
		test_link_evict();
	}

	igt_fixture
		igt_vphyr_env_close(&env);
}
