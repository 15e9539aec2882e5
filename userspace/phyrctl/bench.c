// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl bench: time device reads and writes through DMA addresses, CPU
 * access through mappings, and object create/share cycles. Timings only:
 * no pass or fail beyond errors.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phyrctl.h"

static void header(void)
{
	tprint("%-52s  %9s  %6s  %10s  %12s\n", "operation", "size", "count",
	       "per op", "throughput");
}

static void row(const char *what, uint64_t bytes, uint32_t count, double ms)
{
	char s[32] = "-", per[32], tp[32] = "-";
	double op = count ? ms / count : 0;
	struct jw w;

	if (bytes)
		vphyr_size_name(bytes, s, sizeof(s));
	if (op < 1.0)
		snprintf(per, sizeof(per), "%.1f us", op * 1e3);
	else
		snprintf(per, sizeof(per), "%.2f ms", op);
	if (bytes && ms > 0)
		snprintf(tp, sizeof(tp), "%.1f MiB/s",
			 (double)bytes * count / (1024.0 * 1024.0) / (ms / 1e3));
	tprint("%-52s  %9s  %6u  %10s  %12s\n", what, s, count, per, tp);
	fflush(stdout);
	if (!json_item("results", &w))
		return;
	jw_str(&w, "operation", what);
	jw_u64(&w, "size", bytes);
	jw_u64(&w, "count", count);
	jw_double(&w, "ms", ms);
	jw_double(&w, "ms_per_op", op);
	if (bytes && ms > 0)
		jw_double(&w, "mib_per_s",
			  (double)bytes * count / (1024.0 * 1024.0) / (ms / 1e3));
	else
		jw_null(&w, "mib_per_s");
	json_item_end(&w);
}

/* GEM_DMA reads and writes of a whole object, @iter times each */
static int bench_dma(struct vphyr_dev *dev, uint32_t h, uint64_t size,
		     uint32_t iter, const char *what, void *buf)
{
	char label[128];
	double t0;
	uint32_t i;

	struct progress p;

	snprintf(label, sizeof(label), "GEM_DMA read, %s", what);
	progress_begin(&p, label, iter, false);
	t0 = now_ms();
	for (i = 0; i < iter; i++) {
		if (vphyr_gem_read(dev, h, 0, buf, size)) {
			progress_end(&p);
			return lib_error();
		}
		progress_step(&p, i + 1);
	}
	progress_end(&p);
	row(label, size, iter, now_ms() - t0);
	snprintf(label, sizeof(label), "GEM_DMA write, %s", what);
	progress_begin(&p, label, iter, false);
	t0 = now_ms();
	for (i = 0; i < iter; i++) {
		if (vphyr_gem_write(dev, h, 0, buf, size)) {
			progress_end(&p);
			return lib_error();
		}
		progress_step(&p, i + 1);
	}
	progress_end(&p);
	row(label, size, iter, now_ms() - t0);
	return EXIT_OK;
}

/* CPU writes and reads of a whole object through its mapping */
static int bench_cpu(struct vphyr_dev *dev, uint32_t h, uint64_t size,
		     uint32_t iter, const char *what, void *buf)
{
	char label[128];
	uint32_t i;
	void *map;
	double t0;

	if (vphyr_gem_map(dev, h, size, &map))
		return lib_error();
	t0 = now_ms();
	for (i = 0; i < iter; i++)
		memcpy(map, buf, size);
	snprintf(label, sizeof(label), "CPU write through mmap, %s", what);
	row(label, size, iter, now_ms() - t0);
	t0 = now_ms();
	for (i = 0; i < iter; i++)
		memcpy(buf, map, size);
	snprintf(label, sizeof(label), "CPU read through mmap, %s", what);
	row(label, size, iter, now_ms() - t0);
	vphyr_gem_unmap(map, size);
	return EXIT_OK;
}

static int bench_own(struct vphyr_dev *dev, enum vphyr_region region,
		     uint64_t size, uint32_t iter, void *buf)
{
	const char *what = region == VPHYR_REGION_VRAM ? "own VRAM" :
							"own system memory";
	uint32_t h;
	int ret;

	if (vphyr_gem_create(dev, size, region, &h))
		return lib_error();
	ret = bench_dma(dev, h, size, iter, what, buf);
	if (!ret)
		ret = bench_cpu(dev, h, size, iter, what, buf);
	vphyr_gem_close(dev, h);
	return ret;
}

static int bench_import(struct vphyr_dev *a, struct vphyr_dev *b,
			enum vphyr_region region, uint64_t size, uint32_t iter,
			void *buf)
{
	char what[160], sum[224];
	uint32_t h, ih, dh;
	struct obj o = { 0 };
	struct progress p;
	double t0;
	uint32_t i;
	int ret;

	if (vphyr_gem_create(a, size, region, &h))
		return lib_error();
	o.dev = a;
	o.handle = h;
	o.size = size;
	ret = obj_share(&o, b, &ih);
	if (ret)
		goto close_obj;
	ret = import_summary(b, ih, "range", sum, sizeof(sum));
	if (ret)
		goto close_import;
	tprint("  (%s imports %s of instance %u: %s)\n", vphyr_dev_name(b),
	       region == VPHYR_REGION_VRAM ? "VRAM" : "system memory",
	       vphyr_dev_info(a)->instance, sum);
	snprintf(what, sizeof(what), "import of %s",
		 region == VPHYR_REGION_VRAM ? "peer VRAM" : "peer system memory");
	ret = bench_dma(b, ih, size, iter, what, buf);
	if (ret)
		goto close_import;
	if (vphyr_gem_create(b, size, vphyr_dev_info(b)->flags & VPHYR_DEV_VRAM ?
			     VPHYR_REGION_VRAM : VPHYR_REGION_SYSTEM, &dh)) {
		ret = lib_error();
		goto close_import;
	}
	snprintf(what, sizeof(what), "device copy, %s -> own memory",
		 region == VPHYR_REGION_VRAM ? "peer VRAM" : "peer system");
	progress_begin(&p, what, iter, false);
	t0 = now_ms();
	for (i = 0; i < iter && !ret; i++) {
		if (vphyr_gem_copy(b, ih, 0, dh, 0, size))
			ret = lib_error();
		progress_step(&p, i + 1);
	}
	progress_end(&p);
	if (!ret)
		row(what, size, iter, now_ms() - t0);
	vphyr_gem_close(b, dh);
close_import:
	vphyr_gem_close(b, ih);
close_obj:
	vphyr_gem_close(a, h);
	return ret;
}

static int bench_cycles(struct vphyr_dev *a, struct vphyr_dev *b,
			uint32_t cycles)
{
	uint64_t page = vphyr_page_size();
	enum vphyr_region ra;
	uint32_t i, h, ih, n = 0;
	struct vphyr_ranges t;
	struct progress p;
	char label[128];
	void *map;
	double t0;
	int fd;

	ra = vphyr_dev_info(a)->flags & VPHYR_DEV_VRAM ? VPHYR_REGION_VRAM :
						       VPHYR_REGION_SYSTEM;
	t0 = now_ms();
	for (i = 0; i < cycles; i++) {
		if (vphyr_gem_create(a, page, VPHYR_REGION_SYSTEM, &h))
			return lib_error();
		if (vphyr_gem_close(a, h))
			return lib_error();
	}
	row("create + close, system memory", page, cycles, now_ms() - t0);

	t0 = now_ms();
	for (i = 0; i < cycles; i++) {
		if (vphyr_gem_create(a, 2 * page, ra, &h))
			return lib_error();
		if (vphyr_gem_map(a, h, 2 * page, &map)) {
			vphyr_gem_close(a, h);
			return lib_error();
		}
		((volatile char *)map)[0] = 1;
		vphyr_gem_unmap(map, 2 * page);
		if (vphyr_gem_close(a, h))
			return lib_error();
	}
	snprintf(label, sizeof(label), "create + mmap + touch + close, %s",
		 ra == VPHYR_REGION_VRAM ? "VRAM" : "system memory");
	row(label, 2 * page, cycles, now_ms() - t0);

	snprintf(label, sizeof(label),
		 "create + export + import + map + close, %u -> %u",
		 vphyr_dev_info(a)->instance, vphyr_dev_info(b)->instance);
	progress_begin(&p, label, cycles, false);
	t0 = now_ms();
	for (i = 0; i < cycles; i++) {
		progress_step(&p, i);
		if (vphyr_gem_create(a, 2 * page, ra, &h))
			break;
		if (vphyr_gem_export(a, h, &fd)) {
			vphyr_gem_close(a, h);
			break;
		}
		if (vphyr_gem_import(b, fd, &ih)) {
			close(fd);
			vphyr_gem_close(a, h);
			break;
		}
		close(fd);
		if (vphyr_gem_ranges(b, ih, &t)) {
			vphyr_gem_close(b, ih);
			vphyr_gem_close(a, h);
			break;
		}
		vphyr_ranges_free(&t);
		vphyr_gem_close(b, ih);
		if (vphyr_gem_close(a, h))
			break;
	}
	progress_end(&p);
	if (i < cycles)
		return lib_error();
	row(label, 2 * page, cycles, now_ms() - t0);

	/* reading back a table with many entries */
	if (vphyr_gem_create(a, 256 * page, VPHYR_REGION_SYSTEM, &h))
		return lib_error();
	t0 = now_ms();
	for (i = 0; i < cycles; i++) {
		if (vphyr_gem_ranges(a, h, &t)) {
			vphyr_gem_close(a, h);
			return lib_error();
		}
		n = t.count;
		vphyr_ranges_free(&t);
	}
	snprintf(label, sizeof(label), "GEM_RANGES readback, %u entr%s", n,
		 n == 1 ? "y" : "ies");
	row(label, 0, cycles, now_ms() - t0);
	vphyr_gem_close(a, h);
	return EXIT_OK;
}

static int run_bench(const struct opts *opt)
{
	uint32_t iter = opt->iterations, cycles = opt->cycles;
	int on = opt->on, to = opt->to, ret;
	uint64_t size = opt->size;
	struct vphyr_dev *a, *b;
	struct devset ds;
	char s[32];
	void *buf;

	ret = devs_load(&ds);
	if (ret)
		return ret;
	if (on == NO_INSTANCE)
		on = devs_default_on(&ds);
	if (to == NO_INSTANCE)
		to = devs_default_peer(&ds, on);
	ret = devs_open(&ds, on, &a);
	if (!ret)
		ret = devs_open(&ds, to, &b);
	if (ret)
		goto out;
	/* zeroed: GEM_DMA reads fill it behind valgrind's back */
	buf = calloc(1, size);
	if (!buf) {
		ret = error("out of memory");
		goto out;
	}
	phyr_pattern_fill(buf, size, 1, 0);
	tprint("bench: %s -> %s, objects of %s, %u iterations, %u cycles\n",
	       vphyr_dev_name(a), vphyr_dev_name(b), vphyr_size_name(size, s, sizeof(s)),
	       iter, cycles);
	tprint("bench: wall-clock times on this machine, no pass or fail; under QEMU TCG compare rows, not absolute numbers\n");
	header();
	if (vphyr_dev_info(a)->flags & VPHYR_DEV_VRAM)
		ret = bench_own(a, VPHYR_REGION_VRAM, size, iter, buf);
	if (!ret)
		ret = bench_own(a, VPHYR_REGION_SYSTEM, size, iter, buf);
	if (!ret && a != b && (vphyr_dev_info(a)->flags & VPHYR_DEV_VRAM))
		ret = bench_import(a, b, VPHYR_REGION_VRAM, size, iter, buf);
	if (!ret && a != b)
		ret = bench_import(a, b, VPHYR_REGION_SYSTEM, size, iter, buf);
	if (!ret)
		ret = bench_cycles(a, b, cycles);
	free(buf);
out:
	devs_close(&ds);
	return ret;
}

const struct command cmd_bench = {
	.name = "bench",
	.synopsis = "[--on N] [--to M] [--size SIZE] [--iterations K] [--cycles C] [--json]",
	.summary = "time DMA, CPU access and create/share cycles (no pass/fail)",
	.help =
		"Time, on this machine: the device's GEM_DMA reads and writes of whole\n"
		"objects (own VRAM, own system memory, N's VRAM and system memory\n"
		"imported by M), device copies from an import into M's own memory, CPU\n"
		"writes and reads through mmap, and cycles of create + close, create +\n"
		"mmap + close, create + export + import + map + close, and range table\n"
		"readback. Prints time per operation and throughput; fails only when an\n"
		"operation fails.\n"
		"\n"
		"  -o, --on N         instance that creates (default: the first with VRAM)\n"
		"  -t, --to M         instance that imports (default: another one)\n"
		"  -s, --size SIZE    object size for the data moves (default 1M)\n"
		"      --iterations K data moves per measurement (default 8)\n"
		"      --cycles C     cycles per create/share measurement (default 50)\n"
		"\n"
		"Example: phyrctl bench --on 1 --to 2 --size 4M\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects, imports, results (operation, size, count, ms, ms_per_op,\n"
		"mib_per_s or null).\n",
	.options = OPT(ON) | OPT(TO) | OPT(SIZE) | OPT(ITERATIONS) | OPT(CYCLES) |
		   OPTS_DATA,
	.size = 1u << 20,
	.run = run_bench,
};
