// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr_uapi_test: the checks of a userptr object's ranges and the
 * invalid GEM_USERPTR arguments of libphyr_uapi.h, for tests (in
 * libphyr_test.a, not in libphyr.so). Needs nothing but libc and the
 * process helpers of libphyr_proc.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>

#include "libphyr_test.h"
#include "libphyr_uapi.h"
#include "libphyr_priv.h"

/* ---- the ranges of a userptr object ---- */

/* Compare the ranges with the physically contiguous runs pagemap shows. */
static int match_pagemap(const struct drm_vphyr_range *r, uint32_t count,
			 const struct phyr_userptr_expect *x, uint64_t page,
			 char *msg, size_t len)
{
	size_t n = x->size / page, i, j;
	uint64_t start, run, *pfn;
	uint32_t k = 0;
	int ret;

	pfn = malloc(n * sizeof(*pfn));
	if (!pfn)
		return phyr_say(-1, msg, len, "out of memory reading pagemap");
	ret = phyr_pagemap_pfns(x->addr, n, pfn);
	if (ret) {
		/* nothing to compare with: hidden, unmapped or no pagemap */
		free(pfn);
		return 0;
	}
	for (i = 0; i < n; i = j) {
		j = i + phyr_pfn_run(pfn + i, n - i);
		start = pfn[i] * page;
		run = (j - i) * page;
		if (k >= count) {
			ret = phyr_say(-1, msg, len,
				       "%u ranges, but pagemap shows more runs: user page %zu starts 0x%llx+0x%llx",
				       count, i, (unsigned long long)start,
				       (unsigned long long)run);
			goto out;
		}
		if (r[k].addr != start || r[k].len != run) {
			ret = phyr_say(-1, msg, len,
				       "[%u] 0x%llx+0x%llx, pagemap shows 0x%llx+0x%llx from user page %zu",
				       k, (unsigned long long)r[k].addr,
				       (unsigned long long)r[k].len,
				       (unsigned long long)start,
				       (unsigned long long)run, i);
			goto out;
		}
		k++;
	}
	if (k != count) {
		ret = phyr_say(-1, msg, len, "%u ranges, pagemap shows %u runs",
			       count, k);
		goto out;
	}
	ret = 1;
out:
	free(pfn);
	return ret;
}

int phyr_userptr_check_ranges(const struct drm_vphyr_range *r,
			      uint32_t count,
			      const struct phyr_userptr_expect *x, char *msg,
			      size_t len)
{
	uint64_t page = vphyr_page_size(), sum = 0;
	uint64_t unit = x->unit ? x->unit : page;
	uint32_t max = x->max_ranges, shown = 0, i;

	if (len)
		msg[0] = '\0';
	if (!max)
		max = x->size / unit;
	if (!count || count > max)
		return phyr_say(-1, msg, len,
				"%u ranges for 0x%llx bytes, expected 1 to %u",
				count, (unsigned long long)x->size, max);
	for (i = 0; i < count; i++) {
		const struct drm_vphyr_range *c = &r[i], *p = &r[i - !!i];

		if (c->flags != PHYR_USERPTR_RANGE_FLAGS)
			return phyr_say(-1, msg, len,
					"[%u] flags 0x%x, expected 0x%x (IC_HOST | PINNED)",
					i, c->flags, PHYR_USERPTR_RANGE_FLAGS);
		if (!c->len || c->len % unit)
			return phyr_say(-1, msg, len,
					"[%u] length 0x%llx is not a nonzero multiple of 0x%llx",
					i, (unsigned long long)c->len,
					(unsigned long long)unit);
		if (c->len > x->size - sum)
			return phyr_say(-1, msg, len,
					"[%u] lengths add up to more than the size 0x%llx",
					i, (unsigned long long)x->size);
		sum += c->len;
		if (!c->addr)
			continue;
		shown++;
		if (c->addr % unit)
			return phyr_say(-1, msg, len,
					"[%u] address 0x%llx is not a multiple of 0x%llx",
					i, (unsigned long long)c->addr,
					(unsigned long long)unit);
		if (i && p->addr && p->addr + p->len == c->addr)
			return phyr_say(-1, msg, len,
					"[%u] 0x%llx+0x%llx and [%u] 0x%llx+0x%llx are contiguous: one run reported as two",
					i - 1, (unsigned long long)p->addr,
					(unsigned long long)p->len, i,
					(unsigned long long)c->addr,
					(unsigned long long)c->len);
	}
	if (sum != x->size)
		return phyr_say(-1, msg, len,
				"lengths add up to 0x%llx, expected 0x%llx",
				(unsigned long long)sum,
				(unsigned long long)x->size);
	if (!shown)
		return 0;
	if (shown != count)
		return phyr_say(-1, msg, len, "addresses shown for %u of %u ranges",
				shown, count);
	return match_pagemap(r, count, x, page, msg, len);
}

/* ---- invalid GEM_USERPTR arguments ---- */

void *phyr_bad_area_map(void)
{
	uint64_t page = vphyr_page_size();
	char *p;
	int err;

	p = mmap(NULL, PHYR_BAD_AREA_PAGES * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* every mapped page present, the read-only one included */
	memset(p, 0x3c, PHYR_BAD_AREA_PAGES * page);
	if (munmap(p + 2 * page, 2 * page) ||
	    mprotect(p + 5 * page, page, PROT_READ)) {
		err = errno;
		munmap(p, PHYR_BAD_AREA_PAGES * page);
		errno = err;
		return NULL;
	}
	return p;
}

void phyr_bad_area_unmap(void *area)
{
	if (area)
		munmap(area, PHYR_BAD_AREA_PAGES * vphyr_page_size());
}

__attribute__((format(printf, 7, 8)))
static void add_bad(struct phyr_bad_userptr *b, int *n, uint64_t addr,
		    uint64_t size, uint32_t flags, int err, const char *fmt,
		    ...)
{
	struct phyr_bad_userptr *e;
	va_list ap;

	if (*n >= PHYR_BAD_ARGS_MAX)
		return;
	e = &b[(*n)++];
	e->addr = addr;
	e->size = size;
	e->flags = flags;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
}

int phyr_bad_userptr_args(const void *area, bool e2big,
			  struct phyr_bad_userptr *b)
{
	uint64_t page = vphyr_page_size(), a = (uintptr_t)area, top = -page;
	struct sysinfo si;
	int n = 0;

	add_bad(b, &n, a + 1, page, 0, -EINVAL, "address 1 byte into a page");
	add_bad(b, &n, a + page / 2, page, 0, -EINVAL,
		"address half a page into a page");
	add_bad(b, &n, a + page - 1, page, 0, -EINVAL,
		"address 1 byte before a page boundary");
	add_bad(b, &n, a, 0, 0, -EINVAL, "size 0");
	add_bad(b, &n, a, 1, 0, -EINVAL, "size 1");
	add_bad(b, &n, a, page - 1, 0, -EINVAL, "size of a page minus 1");
	add_bad(b, &n, a, page + 1, 0, -EINVAL, "size of a page plus 1");
	add_bad(b, &n, a, page, 1, -EINVAL, "flags 1");
	add_bad(b, &n, a, page, 1u << 31, -EINVAL, "flags 1 << 31");
	add_bad(b, &n, a, page, ~0u, -EINVAL, "flags ~0");
	add_bad(b, &n, top, 2 * page, 0, -EINVAL,
		"range from the last page wrapping past 2^64");
	add_bad(b, &n, top, page, 0, -EINVAL,
		"range ending exactly at 2^64");

	add_bad(b, &n, 0, page, 0, -EFAULT, "page 0, not mapped");
	if (sizeof(long) == 8)
		add_bad(b, &n, 0xffffffff80000000ull, page, 0, -EFAULT,
			"kernel address");
	add_bad(b, &n, a + 2 * page, 2 * page, 0, -EFAULT,
		"two unmapped pages");
	add_bad(b, &n, a + page, 2 * page, 0, -EFAULT,
		"a mapped page, then an unmapped one");
	add_bad(b, &n, a + 3 * page, 2 * page, 0, -EFAULT,
		"an unmapped page, then a mapped one");
	add_bad(b, &n, a, 5 * page, 0, -EFAULT,
		"two unmapped pages between mapped ones");
	add_bad(b, &n, a + 5 * page, page, 0, -EFAULT, "a read-only page");
	add_bad(b, &n, a + 4 * page, 2 * page, 0, -EFAULT,
		"a writable page, then a read-only one");

	add_bad(b, &n, a, 2 * page, 0, 0, "control: the first two pages");
	add_bad(b, &n, a + 4 * page, page, 0, 0,
		"control: the writable page after the hole");

	if (e2big && !sysinfo(&si)) {
		uint64_t pages = (uint64_t)si.totalram * si.mem_unit / page;

		add_bad(b, &n, a, (pages / 2 + 1) * page, 0, -E2BIG,
			"%llu pages, 1 more than half of RAM",
			(unsigned long long)(pages / 2 + 1));
	}
	return n;
}
