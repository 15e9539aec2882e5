// SPDX-License-Identifier: GPL-2.0-only
/*
 * pin_bench: prepares three kinds of user memory and has the kernel pin
 * each of them two ways through /sys/kernel/debug/phyr/pin_bench: into a
 * phyr list (phyr_pin_user()) and into a page array described by a
 * scatterlist (pin_user_pages_fast() + sg_alloc_table_from_pages_segment()).
 *
 *   4k-fragmented  256 MiB of 4 KiB pages, no two virtually adjacent pages
 *                  physically adjacent
 *   thp-2m         256 MiB with transparent huge pages
 *   hugetlb-1g     one 1 GiB hugetlb page, mapped shared (pinned folio by
 *                  folio), or else hugetlb-2m: up to
 *                  1 GiB of 2 MiB hugetlb pages
 *
 * Prints what it got, the kernel's table and a summary table.
 *
 * usage: pin_bench [DEBUGFS_FILE]
 * Exit status: 0 every kind that could be prepared was measured, 1 a
 * measurement or preparation failed, 2 bad usage, 3 no pin_bench file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libphyr_test.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

#define DEFAULT_FILE "/sys/kernel/debug/phyr/pin_bench"
#define REGION_SIZE (256 * MiB)
#define HUGE_2M (2 * MiB)
#define HUGETLB_BYTES GiB	/* what the hugetlb kind aims for */

/* One kind of memory and what became of it. */
struct kind {
	char label[32];
	uint64_t size;
	char note[200];
	long runs;	/* physically contiguous runs (pagemap), -1 unknown */
	int err;	/* 0 measured, errno of the failure, -1 skipped */
};

/* One line of the kernel's table. */
struct row {
	char label[32];
	unsigned long long bytes, pages;
	unsigned long long phyr_ents, phyr_bytes, phyr_ns;
	unsigned long long sg_ents, sg_links, sg_bytes, array, sg_ns;
	double r_bytes, r_total, r_time;
};

static const char *bench_file = DEFAULT_FILE;
static size_t page_size;

static void fmt_size(uint64_t b, char *s, size_t n)
{
	if (b >= GiB && !(b % GiB))
		snprintf(s, n, "%" PRIu64 " GiB", b / GiB);
	else if (b >= MiB && !(b % MiB))
		snprintf(s, n, "%" PRIu64 " MiB", b / MiB);
	else if (b >= MiB)
		snprintf(s, n, "%.1f MiB", (double)b / MiB);
	else if (b >= KiB)
		snprintf(s, n, "%.1f KiB", (double)b / KiB);
	else
		snprintf(s, n, "%" PRIu64 " B", b);
}

static void fmt_time(unsigned long long ns, char *s, size_t n)
{
	if (ns >= 10000000ULL)
		snprintf(s, n, "%.1f ms", ns / 1e6);
	else
		snprintf(s, n, "%.1f us", ns / 1e3);
}

/*
 * Physically contiguous runs of pages in [addr, addr + len) according to
 * /proc/self/pagemap: what a list of ranges of them cannot go below.
 * -1 when the page frame numbers are not readable (not root) or a page is
 * not present.
 */
static long pagemap_runs(const void *addr, uint64_t len)
{
	size_t n = len / page_size, i;
	uint64_t *pfn;
	long runs = 0;

	pfn = malloc(n * sizeof(*pfn));
	if (!pfn)
		return -1;
	if (phyr_pagemap_pfns(addr, n, pfn))
		runs = -1;
	for (i = 0; runs >= 0 && i < n; i += phyr_pfn_run(pfn + i, n - i))
		runs++;
	free(pfn);
	return runs;
}

/* Write every page once, so that each is backed by its own memory. */
static void touch(char *p, uint64_t len, uint64_t step)
{
	uint64_t off;

	for (off = 0; off < len; off += step)
		p[off] = (char)off | 1;
}

/* Hand [p, p + k->size) to the kernel; the write returns when it is done. */
static void bench_range(struct kind *k, char *p)
{
	char buf[128], sz[32];
	int fd, len;

	fmt_size(k->size, sz, sizeof(sz));
	k->runs = pagemap_runs(p, k->size);
	if (k->runs >= 0)
		printf("pin_bench: %s: %s at %p, %ld physically contiguous runs (pagemap)\n",
		       k->label, sz, (void *)p, k->runs);
	else
		printf("pin_bench: %s: %s at %p (pagemap not readable)\n",
		       k->label, sz, (void *)p);
	fflush(stdout);

	len = snprintf(buf, sizeof(buf), "%#lx %" PRIu64 " %s\n",
		       (unsigned long)p, k->size, k->label);
	fd = open(bench_file, O_WRONLY);
	if (fd < 0) {
		k->err = errno;
		fprintf(stderr, "pin_bench: open %s: %s\n", bench_file,
			strerror(errno));
		return;
	}
	if (write(fd, buf, len) != len) {
		k->err = errno ? errno : EIO;
		fprintf(stderr, "pin_bench: %s: the kernel refused the range: %s\n",
			k->label, strerror(k->err));
	} else {
		k->err = 0;
	}
	close(fd);
}

/*
 * Anonymous memory; the hugetlb kinds map it MAP_SHARED, as a buffer in a
 * hugetlb memfd is, which phyr pins folio by folio.
 */
static void *map_anon(uint64_t len, int flags)
{
	int share = (flags & MAP_HUGETLB) ? MAP_SHARED : MAP_PRIVATE;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       share | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * 4 KiB pages faulted two regions in turn, page by page: consecutive
 * page frames from the allocator alternate between the regions, so no two
 * neighbours of one region are physically adjacent. The other region is
 * freed before the measurement.
 */
static void kind_fragmented(struct kind *k)
{
	char *a, *b;
	uint64_t off;

	snprintf(k->label, sizeof(k->label), "4k-fragmented");
	k->size = REGION_SIZE;
	a = map_anon(k->size, 0);
	b = map_anon(k->size, 0);
	if (!a || !b) {
		k->err = errno;
		fprintf(stderr, "pin_bench: %s: mmap: %s\n", k->label,
			strerror(errno));
		goto out;
	}
	if (madvise(a, k->size, MADV_NOHUGEPAGE) ||
	    madvise(b, k->size, MADV_NOHUGEPAGE)) {
		k->err = errno;
		fprintf(stderr, "pin_bench: %s: madvise(MADV_NOHUGEPAGE): %s\n",
			k->label, strerror(errno));
		goto out;
	}
	for (off = 0; off < k->size; off += page_size) {
		a[off] = 1;
		b[off] = 1;
	}
	munmap(b, k->size);
	b = NULL;
	snprintf(k->note, sizeof(k->note),
		 "4 KiB pages, MADV_NOHUGEPAGE, faulted interleaved with a second region");
	bench_range(k, a);
out:
	if (a)
		munmap(a, k->size);
	if (b)
		munmap(b, k->size);
}

/* 256 MiB, 2 MiB aligned, MADV_HUGEPAGE, every page written */
static void kind_thp(struct kind *k)
{
	char enabled[64], defrag[64];
	long long kb;
	bool wider;
	char *p;

	snprintf(k->label, sizeof(k->label), "thp-2m");
	k->size = REGION_SIZE;
	p = phyr_map_aligned(k->size, HUGE_2M);
	if (!p) {
		k->err = errno;
		fprintf(stderr, "pin_bench: %s: mmap: %s\n", k->label,
			strerror(errno));
		return;
	}

	if (madvise(p, k->size, MADV_HUGEPAGE)) {
		k->err = errno;
		fprintf(stderr, "pin_bench: %s: madvise(MADV_HUGEPAGE): %s\n",
			k->label, strerror(errno));
		munmap(p, k->size);
		return;
	}
	touch(p, k->size, page_size);

	phyr_thp_modes(enabled, defrag, sizeof(enabled));
	printf("pin_bench: THP enabled: %s, defrag: %s\n", enabled, defrag);
	kb = phyr_anon_huge_kb(p, k->size, &wider);
	if (kb < 0) {
		snprintf(k->note, sizeof(k->note),
			 "MADV_HUGEPAGE; AnonHugePages unknown (no /proc/self/smaps)");
	} else {
		snprintf(k->note, sizeof(k->note),
			 "MADV_HUGEPAGE; AnonHugePages %lld kB: %lld of %" PRIu64 " possible 2 MiB THPs%s",
			 kb, kb / 2048, k->size / HUGE_2M,
			 wider ? " (mapping wider than the range)" : "");
	}
	printf("pin_bench: %s: %s\n", k->label, k->note);
	bench_range(k, p);
	munmap(p, k->size);
}

/* The hugetlb pool of one page size, grown for the benchmark and restored. */
struct pool {
	char nr[128], free[128];
	unsigned long long old_nr;
	bool changed;
};

/*
 * Make up to @want pages of the pool free, growing it as root where it
 * holds fewer; returns how many are free (0 when the size is unsupported).
 */
static unsigned long pool_reserve(struct pool *pl, unsigned long kb,
				  unsigned long want)
{
	unsigned long long nfree;

	snprintf(pl->nr, sizeof(pl->nr),
		 "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", kb);
	snprintf(pl->free, sizeof(pl->free),
		 "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", kb);
	pl->changed = false;
	if (phyr_read_ull(pl->nr, &pl->old_nr) || phyr_read_ull(pl->free, &nfree))
		return 0;
	if (nfree < want && geteuid() == 0) {
		if (phyr_write_ull(pl->nr, pl->old_nr + (want - nfree)) == 0)
			pl->changed = true;
		if (phyr_read_ull(pl->free, &nfree))
			nfree = 0;
	}
	return nfree < want ? nfree : want;
}

static void pool_restore(struct pool *pl)
{
	if (pl->changed && phyr_write_ull(pl->nr, pl->old_nr))
		fprintf(stderr, "pin_bench: could not restore %s to %llu\n",
			pl->nr, pl->old_nr);
	pl->changed = false;
}

/* One 1 GiB hugetlb page, or else as many 2 MiB ones as make up 1 GiB. */
static void kind_hugetlb(struct kind *k)
{
	unsigned long n;
	struct pool pl;
	char *p;

	snprintf(k->label, sizeof(k->label), "hugetlb-1g");
	k->size = GiB;
	n = pool_reserve(&pl, 1024 * 1024, 1);
	p = n ? map_anon(k->size, MAP_HUGETLB | MAP_HUGE_1GB) : NULL;
	if (p) {
		snprintf(k->note, sizeof(k->note),
			 "MAP_SHARED | MAP_HUGETLB | MAP_HUGE_1GB: one 1 GiB hugetlb page");
		printf("pin_bench: %s: %s\n", k->label, k->note);
		touch(p, k->size, HUGE_2M);
		bench_range(k, p);
		munmap(p, k->size);
		pool_restore(&pl);
		return;
	}
	printf("pin_bench: no 1 GiB hugetlb page (%s): falling back to 2 MiB pages\n",
	       n ? strerror(errno) : "none free; boot with hugepagesz=1G hugepages=1");
	pool_restore(&pl);

	snprintf(k->label, sizeof(k->label), "hugetlb-2m");
	n = pool_reserve(&pl, 2048, HUGETLB_BYTES / HUGE_2M);
	if (!n) {
		k->err = -1;
		k->size = 0;
		snprintf(k->note, sizeof(k->note),
			 "skipped: no 2 MiB hugetlb page could be reserved");
		printf("pin_bench: %s: %s\n", k->label, k->note);
		pool_restore(&pl);
		return;
	}
	k->size = n * HUGE_2M;
	p = map_anon(k->size, MAP_HUGETLB | MAP_HUGE_2MB);
	if (!p) {
		k->err = errno;
		fprintf(stderr, "pin_bench: %s: mmap of %lu 2 MiB hugetlb pages: %s\n",
			k->label, n, strerror(errno));
		pool_restore(&pl);
		return;
	}
	snprintf(k->note, sizeof(k->note),
		 "MAP_SHARED | MAP_HUGETLB | MAP_HUGE_2MB: %lu hugetlb pages of 2 MiB%s", n,
		 pl.changed ? " (pool grown for the run, restored after)" : "");
	printf("pin_bench: %s: %s\n", k->label, k->note);
	touch(p, k->size, HUGE_2M);
	bench_range(k, p);
	munmap(p, k->size);
	pool_restore(&pl);
}

/* Print the kernel's table as it is and collect its lines. */
static int read_table(struct row *rows, int max)
{
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen(bench_file, "r");
	if (!f) {
		fprintf(stderr, "pin_bench: %s: %s\n", bench_file,
			strerror(errno));
		return -1;
	}
	printf("\n=== %s ===\n", bench_file);
	while (fgets(line, sizeof(line), f)) {
		struct row *r = &rows[n];

		fputs(line, stdout);
		if (line[0] == '#' || n == max)
			continue;
		if (sscanf(line, "%31s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %lf %lf %lf",
			   r->label, &r->bytes, &r->pages, &r->phyr_ents,
			   &r->phyr_bytes, &r->phyr_ns, &r->sg_ents,
			   &r->sg_links, &r->sg_bytes, &r->array, &r->sg_ns,
			   &r->r_bytes, &r->r_total, &r->r_time) == 14)
			n++;
	}
	fclose(f);
	return n;
}

/* The kernel's line for a kind that was measured, or NULL */
static const struct row *find_row(const struct kind *k, const struct row *rows,
				  int nrows)
{
	int i;

	for (i = 0; i < nrows && !k->err; i++)
		if (!strcmp(rows[i].label, k->label))
			return &rows[i];
	return NULL;
}

static void summary(const struct kind *kinds, int nkinds,
		    const struct row *rows, int nrows)
{
	int i;

	printf("\n=== pinning user memory: phyr list vs page array + scatterlist ===\n");
	printf("best of 5 each; time = pin + describe; sg B: scatterlist (+ the page array it is built from)\n");
	printf("%-14s %8s %9s %9s %10s %23s %10s %10s %11s %10s\n",
	       "memory", "size", "phyr ent", "sg ent", "phyr B",
	       "sg B (+ page array)", "phyr time", "sg time",
	       "B phyr/sg", "t phyr/sg");
	for (i = 0; i < nkinds; i++) {
		const struct kind *k = &kinds[i];
		const struct row *r = find_row(k, rows, nrows);
		char sz[32], pb[32], sb[32], ab[32], sgcol[80], pt[32], st[32];

		fmt_size(k->size, sz, sizeof(sz));
		if (k->err || !r) {
			printf("%-14s %8s  %s\n", k->label, k->size ? sz : "-",
			       k->err < 0 ? k->note :
			       k->err ? strerror(k->err) : "no result");
			continue;
		}
		fmt_size(r->phyr_bytes, pb, sizeof(pb));
		fmt_size(r->sg_bytes, sb, sizeof(sb));
		fmt_size(r->array, ab, sizeof(ab));
		snprintf(sgcol, sizeof(sgcol), "%s (+ %s)", sb, ab);
		fmt_time(r->phyr_ns, pt, sizeof(pt));
		fmt_time(r->sg_ns, st, sizeof(st));
		printf("%-14s %8s %9llu %9llu %10s %23s %10s %10s %11.3f %10.3f\n",
		       k->label, sz, r->phyr_ents, r->sg_ents, pb, sgcol, pt,
		       st, r->r_bytes, r->r_time);
	}
	printf("\n");
	for (i = 0; i < nkinds; i++) {
		const struct kind *k = &kinds[i];
		const struct row *r = find_row(k, rows, nrows);

		printf("%-14s %s", k->label, k->note);
		if (k->runs >= 0)
			printf("; %ld contiguous runs per pagemap", k->runs);
		if (r && k->runs >= 0 && r->phyr_ents != (unsigned long long)k->runs)
			printf(" (phyr entries differ: pages moved, or a bug)");
		if (r)
			printf("; phyr/(sg + page array) bytes %.3f", r->r_total);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	struct kind kinds[3] = { { .runs = -1 }, { .runs = -1 }, { .runs = -1 } };
	struct row rows[16];
	int i, nrows, rc = 0;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [DEBUGFS_FILE]   (default %s)\n",
			argv[0], DEFAULT_FILE);
		return 2;
	}
	if (argc == 2)
		bench_file = argv[1];
	if (access(bench_file, W_OK)) {
		printf("pin_bench: %s: %s: skipped\n", bench_file,
		       strerror(errno));
		return 3;
	}
	page_size = vphyr_page_size();
	setvbuf(stdout, NULL, _IOLBF, 0);

	kind_fragmented(&kinds[0]);
	kind_thp(&kinds[1]);
	kind_hugetlb(&kinds[2]);

	nrows = read_table(rows, 16);
	if (nrows < 0)
		return 1;
	summary(kinds, 3, rows, nrows);
	for (i = 0; i < 3; i++)
		if (kinds[i].err > 0)
			rc = 1;
	return rc;
}
