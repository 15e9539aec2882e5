// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl tour: a guided demonstration of phyr through vphyr, each step
 * explained in one line and followed by what the kernel reports.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phyrctl.h"

#define SEED 11

struct tour {
	struct devset ds;
	struct vphyr_dev *a, *b;
	uint64_t size;
	struct show_opts so;
	int step;
	int failed;
	int skipped;
	bool broken;	/* a step of the 2-5 chain failed */
	bool said;	/* the step said why it is skipped */
	/* the object of steps 2 to 5 */
	struct obj o;
	uint32_t ih;
};

static void step(struct tour *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void step(struct tour *t, const char *fmt, ...)
{
	va_list ap;

	printf("\n%d. ", ++t->step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int result(struct tour *t, int ret)
{
	if (ret == EXIT_ABSENT) {
		if (!t->said)
			printf("   (skipped)\n");
		t->said = false;
		t->skipped++;
		return EXIT_OK;
	}
	if (ret) {
		printf("   step %d FAILED\n", t->step);
		t->failed++;
	}
	return ret;
}

static int skip(struct tour *t, const char *why)
{
	printf("   (skipped: %s)\n", why);
	t->said = true;
	return EXIT_ABSENT;
}

static void show_devices(const struct tour *t)
{
	const struct vphyr_device_info *d;
	char s[32];
	int i;

	for (i = 0; i < t->ds.n; i++) {
		d = &t->ds.info[i];
		printf("   instance %u  %-20s  %-20s  %s%s\n", d->instance,
		       d->node, d->bus[0] ? d->bus : "?",
		       d->flags & VPHYR_DEV_VRAM ? "VRAM " : "system memory only",
		       d->flags & VPHYR_DEV_VRAM ?
		       vphyr_size_name(d->vram_size, s, sizeof(s)) : "");
	}
}

/* What the importer's table and the exporter's placement mean. */
static void explain(const struct vphyr_ranges *imp, const struct vphyr_ranges *exp)
{
	enum vphyr_via via = imp->count ? imp->range[0].via : VPHYR_VIA_NONE;
	enum vphyr_ic ic = imp->count ? imp->range[0].ic : VPHYR_IC_HOST;

	if (ic == VPHYR_IC_P2P && via == VPHYR_VIA_HOST_BRIDGE)
		printf("   => peer-to-peer through the host bridge: the importer's DMA reaches the exporter's BAR (dma_map_resource)\n");
	else if (ic == VPHYR_IC_P2P && via == VPHYR_VIA_BUS)
		printf("   => peer-to-peer by PCI bus address: both devices sit below one PCIe switch\n");
	else if (ic == VPHYR_IC_P2P)
		printf("   => peer-to-peer, mapped via %s\n", vphyr_via_name(via));
	else if (ic == VPHYR_IC_LINK)
		printf("   => over the GPU-to-GPU link\n");
	else if (exp->placement == VPHYR_PLACEMENT_SYSTEM)
		printf("   => no peer-to-peer path between the two: the exporter moved the object to system memory, which the importer reaches via %s\n",
		       vphyr_via_name(via));
	else
		printf("   => through system memory (%s)\n", vphyr_via_name(via));
}

static int step_alloc(struct tour *t)
{
	enum vphyr_region r = vphyr_dev_info(t->a)->flags & VPHYR_DEV_VRAM ?
			     VPHYR_REGION_VRAM : VPHYR_REGION_SYSTEM;
	char s[32];
	int ret;

	step(t, "Allocate %s of %s on instance %u and fill it from the CPU through mmap; its phyr list says where it lives.",
	     vphyr_size_name(t->size, s, sizeof(s)),
	     r == VPHYR_REGION_VRAM ? "VRAM" : "system memory",
	     vphyr_dev_info(t->a)->instance);
	ret = obj_create_filled(t->a, t->size, r, SEED, &t->o);
	if (!ret)
		ret = show_ranges(t->a, t->o.handle, &t->so, NULL);
	return ret;
}

static int step_share(struct tour *t)
{
	struct vphyr_ranges ti = { 0 }, te = { 0 };
	char what[160];
	int ret;

	step(t, "Export it as a dma-buf and import it into instance %u: the importer's dma_range table says how it reaches the memory.",
	     vphyr_dev_info(t->b)->instance);
	if (t->broken)
		return skip(t, "it needs the object of the step that failed");
	ret = obj_share(&t->o, t->b, &t->ih);
	if (!ret)
		ret = show_ranges(t->b, t->ih, &t->so, &ti);
	if (!ret)
		ret = show_ranges(t->a, t->o.handle, &t->so, &te);
	if (!ret)
		explain(&ti, &te);
	vphyr_ranges_free(&ti);
	vphyr_ranges_free(&te);
	if (ret)
		return ret;
	snprintf(what, sizeof(what), "instance %u reads it through those DMA addresses",
		 vphyr_dev_info(t->b)->instance);
	return verify_dma(t->b, t->ih, t->size, SEED, what);
}

static int step_copy(struct tour *t)
{
	enum vphyr_region r = vphyr_dev_info(t->b)->flags & VPHYR_DEV_VRAM ?
			     VPHYR_REGION_VRAM : VPHYR_REGION_SYSTEM;
	char s[32];
	uint32_t dh;
	double t0;
	int ret;

	step(t, "Instance %u copies it into its own %s by DMA (reads through the import, writes its own object); the CPU checks the copy.",
	     vphyr_dev_info(t->b)->instance,
	     r == VPHYR_REGION_VRAM ? "VRAM" : "system memory");
	if (t->broken)
		return skip(t, "it needs the object of the step that failed");
	if (vphyr_gem_create(t->b, t->size, r, &dh))
		return lib_error();
	ret = fill_cpu(t->b, dh, t->size, ~SEED);
	if (ret)
		goto close;
	t0 = now_ms();
	if (vphyr_gem_copy(t->b, t->ih, 0, dh, 0, t->size)) {
		ret = lib_error();
		goto close;
	}
	printf("   copied %s in %.2f ms\n", vphyr_size_name(t->size, s, sizeof(s)),
	       now_ms() - t0);
	ret = verify_cpu(t->b, dh, t->size, SEED,
			 "the copy, through the CPU mapping");
close:
	vphyr_gem_close(t->b, dh);
	return ret;
}

static int step_evict(struct tour *t)
{
	struct vphyr_ranges eb = { 0 }, ea = { 0 }, ib = { 0 }, ia = { 0 };
	char sb[192], sa[192], what[160];
	int ret;

	step(t, "Evict the object to system memory while instance %u holds it: the importer is told (move_notify) and maps the new place.",
	     vphyr_dev_info(t->b)->instance);
	if (t->broken)
		return skip(t, "it needs the object of the step that failed");
	if (vphyr_gem_ranges(t->a, t->o.handle, &eb) ||
	    vphyr_gem_ranges(t->b, t->ih, &ib)) {
		ret = lib_error();
		goto out;
	}
	if (vphyr_gem_evict(t->a, t->o.handle)) {
		ret = lib_error();
		goto out;
	}
	ret = show_ranges(t->a, t->o.handle, &t->so, &ea);
	if (!ret)
		ret = show_ranges(t->b, t->ih, &t->so, &ia);
	if (ret)
		goto out;
	table_summary(&ib, sb, sizeof(sb));
	table_summary(&ia, sa, sizeof(sa));
	printf("   exporter: placement %s -> %s, generation %u -> %u\n",
	       vphyr_placement_name(eb.placement),
	       vphyr_placement_name(ea.placement), eb.generation, ea.generation);
	printf("   importer: generation %u -> %u, %s -> %s\n", ib.generation,
	       ia.generation, sb, sa);
	if (eb.placement == VPHYR_PLACEMENT_SYSTEM)
		printf("   (it was in system memory already: nothing moved)\n");
	ret = verify_cpu(t->a, t->o.handle, t->size, SEED,
			 "the exporter's CPU mapping follows the object");
	snprintf(what, sizeof(what), "instance %u reads it at the new place",
		 vphyr_dev_info(t->b)->instance);
	ret |= verify_dma(t->b, t->ih, t->size, SEED, what);
	ret = ret ? EXIT_FAIL : EXIT_OK;
out:
	vphyr_ranges_free(&eb);
	vphyr_ranges_free(&ea);
	vphyr_ranges_free(&ib);
	vphyr_ranges_free(&ia);
	return ret;
}

static int step_link(struct tour *t)
{
	uint64_t size = t->size < (1u << 20) ? t->size : (1u << 20);
	uint32_t ia = vphyr_dev_info(t->a)->instance;
	uint32_t ib = vphyr_dev_info(t->b)->instance;
	struct obj o;
	uint32_t ih;
	int ret, r;

	step(t, "Link instances %u and %u (a simulated GPU-to-GPU link): a new import of VRAM uses link addresses instead of PCI.",
	     ia, ib);
	if (!(vphyr_dev_info(t->a)->flags & VPHYR_DEV_VRAM) ||
	    !(vphyr_dev_info(t->b)->flags & VPHYR_DEV_VRAM)) {
		return skip(t, "it needs two instances with VRAM");
	}
	r = vphyr_link(t->a, t->b);
	if (r == -EPERM)
		return skip(t, "linking needs CAP_SYS_ADMIN");
	if (r)
		return lib_error();
	ret = obj_create_filled(t->a, size, VPHYR_REGION_VRAM, SEED + 2, &o);
	if (ret)
		goto unlink;
	ret = obj_share(&o, t->b, &ih);
	if (!ret) {
		ret = show_ranges(t->b, ih, &t->so, NULL);
		if (!ret)
			ret = verify_dma(t->b, ih, size, SEED + 2,
					 "the importer reads it over the link");
		vphyr_gem_close(t->b, ih);
	}
	vphyr_gem_close(t->a, o.handle);
unlink:
	if (vphyr_unlink(t->a, t->b))
		ret = lib_error();
	else
		printf("   unlinked\n");
	return ret;
}

static int step_gbm(struct tour *t, bool verbose)
{
	struct gbm_opts o = {
		.width = 256, .height = 64, .seed = SEED + 4,
		.verbose = verbose, .show = t->so,
	};

	step(t, "Allocate a GBM buffer (Mesa's kms_swrast over dumb buffers, linear XRGB8888) on the card node of instance %u: it lands in VRAM; share it with instance %u.",
	     vphyr_dev_info(t->a)->instance, vphyr_dev_info(t->b)->instance);
	if (!(vphyr_dev_info(t->a)->flags & VPHYR_DEV_VRAM))
		return skip(t, "the exporter has no VRAM");
	return gbm_import(t->a, &t->b, 1, &o);
}

static int run_tour(const struct opts *opt)
{
	int on = opt->on, to = opt->to, ret;
	struct tour *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return error("out of memory");
	t->size = opt->size;
	t->so = opt->table;
	t->so.indent = "   ";

	check_indent = "   ";
	note_indent = "   ";
	printf("phyrctl tour: phyr, physical address range lists, seen through the vphyr test driver\n");
	step(t, "Find the vphyr instances: instance 0 has only system memory, the others have VRAM (an ivshmem BAR: PCI memory without struct page).");
	ret = devs_load(&t->ds);
	if (ret) {
		free(t);
		return ret;
	}
	show_devices(t);
	if (on == NO_INSTANCE)
		on = devs_default_on(&t->ds);
	if (to == NO_INSTANCE)
		to = devs_default_peer(&t->ds, on);
	ret = devs_open(&t->ds, on, &t->a);
	if (!ret)
		ret = devs_open(&t->ds, to, &t->b);
	if (ret)
		goto out;
	printf("   exporter: %s, importer: %s\n", vphyr_dev_name(t->a),
	       vphyr_dev_name(t->b));

	/* steps 2 to 5 build on each other: after a failure, skip the rest */
	t->broken = result(t, step_alloc(t));
	t->broken |= result(t, step_share(t));
	t->broken |= result(t, step_copy(t));
	result(t, step_evict(t));
	if (t->o.handle)
		vphyr_gem_close(t->a, t->o.handle);
	if (t->ih && t->b != t->a)
		vphyr_gem_close(t->b, t->ih);
	if (!opt->no_link)
		result(t, step_link(t));
	if (!opt->no_gbm)
		result(t, step_gbm(t, opt->verbose));

	printf("\ntour: %s, %d step%s", t->failed ? "FAILED" : "OK", t->step,
	       t->step == 1 ? "" : "s");
	if (t->failed)
		printf(", %d failed", t->failed);
	if (t->skipped)
		printf(", %d skipped", t->skipped);
	printf("\n");
	ret = t->failed ? EXIT_FAIL : EXIT_OK;
out:
	devs_close(&t->ds);
	free(t);
	return ret;
}

const struct command cmd_tour = {
	.name = "tour",
	.synopsis = "[--on N] [--to M] [--size SIZE] [--no-link] [--no-gbm]\n"
		    "                    [--verbose] [--all] [--raw]",
	.summary = "a guided tour: VRAM, P2P import, copy, eviction, link, GBM",
	.help =
		"A guided demonstration, each step explained in one line and followed\n"
		"by what the kernel reports:\n"
		"  1. the vphyr instances\n"
		"  2. VRAM allocated on N and filled by the CPU: its phyr list\n"
		"  3. exported and imported into M (P2P where the topology allows):\n"
		"     both tables and what they mean; M reads it by DMA\n"
		"  4. M copies it into its own memory by DMA; the CPU checks the copy\n"
		"  5. eviction to system memory while imported: both tables again,\n"
		"     generations, the data checked by both\n"
		"  6. a GPU-to-GPU link between N and M: an import over the link\n"
		"  7. a GBM buffer allocated on N's card node (Mesa over dumb buffers,\n"
		"     in VRAM) imported into M, checked both ways\n"
		"Steps that need what is missing (a second VRAM instance, GBM,\n"
		"CAP_SYS_ADMIN) are skipped. Ends with \"tour: OK\" or \"tour: FAILED\".\n"
		"\n"
		"  -o, --on N      exporter (default: the first instance with VRAM)\n"
		"  -t, --to M      importer (default: another, with VRAM if any)\n"
		"  -s, --size SIZE object size (default 4M)\n"
		"      --no-link   leave out step 6\n"
		"      --no-gbm    leave out step 7\n"
		"  -v, --verbose   show what Mesa prints while it looks for a driver\n"
		"      --all, --raw  table options (see alloc)\n",
	.options = OPT(ON) | OPT(TO) | OPT(SIZE) | OPT(NO_LINK) | OPT(NO_GBM) |
		   OPT(VERBOSE) | OPTS_TABLE,
	.rows = 8,
	.run = run_tour,
};
