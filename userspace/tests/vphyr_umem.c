// SPDX-License-Identifier: GPL-2.0-only
/*
 * User memory helpers of the vphyr tests, built into both the userspace
 * suite and the IGT tests: see vphyr_umem.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <linux/capability.h>

#include "vphyr_umem.h"

#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define PM_PRESENT	(1ull << 63)
#define PM_PFN_MASK	((1ull << 55) - 1)

static uint64_t page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (uint64_t)page : 4096;
}

/* Write a message into msg and return ret. */
__attribute__((format(printf, 4, 5)))
static int report(int ret, char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!len)
		return ret;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return ret;
}

int umem_userptr(int fd, uint64_t addr, uint64_t size, uint32_t flags,
		 uint32_t *handle)
{
	struct drm_vphyr_gem_userptr u = {
		.addr = addr,
		.size = size,
		.flags = flags,
	};
	int ret;

	/* restarted like drmIoctl() does; this file needs nothing but libc */
	do {
		ret = ioctl(fd, DRM_IOCTL_VPHYR_GEM_USERPTR, &u) ? -errno : 0;
	} while (ret == -EINTR || ret == -EAGAIN);
	*handle = ret ? 0 : u.handle;
	return ret;
}

/* ---- ranges ---- */

/*
 * The page frame numbers of the n pages from addr: 0; -EPERM when pagemap
 * hides them (no CAP_SYS_ADMIN), -ENXIO if a page is not present, or
 * another negative errno.
 */
static int read_pfns(uintptr_t addr, size_t n, uint64_t page, uint64_t *pfn)
{
	size_t want = n * sizeof(*pfn), done = 0, i;
	off_t off = (off_t)(addr / page * sizeof(*pfn));
	bool any = false;
	int fd, ret = 0;
	ssize_t got;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < want) {
		got = pread(fd, (char *)pfn + done, want - done,
			    off + (off_t)done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			ret = got ? -errno : -EIO;
			break;
		}
		done += got;
	}
	close(fd);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		if (!(pfn[i] & PM_PRESENT))
			return -ENXIO;
		pfn[i] &= PM_PFN_MASK;
		any |= pfn[i] != 0;
	}
	return any ? 0 : -EPERM;
}

/* Compare the ranges with the physically contiguous runs pagemap shows. */
static int match_pagemap(const struct drm_vphyr_range *r, uint32_t count,
			 const struct umem_expect *x, uint64_t page, char *msg,
			 size_t len)
{
	size_t n = x->size / page, i, j;
	uint64_t start, run, *pfn;
	uint32_t k = 0;
	int ret;

	pfn = malloc(n * sizeof(*pfn));
	if (!pfn)
		return report(-1, msg, len, "out of memory reading pagemap");
	ret = read_pfns((uintptr_t)x->addr, n, page, pfn);
	if (ret) {
		/* nothing to compare with: hidden, unmapped or no pagemap */
		free(pfn);
		return 0;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && pfn[j] == pfn[j - 1] + 1; j++)
			;
		start = pfn[i] * page;
		run = (j - i) * page;
		if (k >= count) {
			ret = report(-1, msg, len,
				     "%u ranges, but pagemap shows more runs: user page %zu starts 0x%llx+0x%llx",
				     count, i, (unsigned long long)start,
				     (unsigned long long)run);
			goto out;
		}
		if (r[k].addr != start || r[k].len != run) {
			ret = report(-1, msg, len,
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
		ret = report(-1, msg, len, "%u ranges, pagemap shows %u runs",
			     count, k);
		goto out;
	}
	ret = 1;
out:
	free(pfn);
	return ret;
}

int umem_check_ranges(const struct drm_vphyr_range *r, uint32_t count,
		      const struct umem_expect *x, char *msg, size_t len)
{
	uint64_t page = page_size(), unit = x->unit ? x->unit : page, sum = 0;
	uint32_t max = x->max_ranges, shown = 0, i;

	if (len)
		msg[0] = '\0';
	if (!max)
		max = x->size / unit;
	if (!count || count > max)
		return report(-1, msg, len,
			      "%u ranges for 0x%llx bytes, expected 1 to %u",
			      count, (unsigned long long)x->size, max);
	for (i = 0; i < count; i++) {
		const struct drm_vphyr_range *c = &r[i], *p = &r[i - !!i];

		if (c->flags != UMEM_RANGE_FLAGS)
			return report(-1, msg, len,
				      "[%u] flags 0x%x, expected 0x%x (IC_HOST | PINNED)",
				      i, c->flags, UMEM_RANGE_FLAGS);
		if (!c->len || c->len % unit)
			return report(-1, msg, len,
				      "[%u] length 0x%llx is not a nonzero multiple of 0x%llx",
				      i, (unsigned long long)c->len,
				      (unsigned long long)unit);
		if (c->len > x->size - sum)
			return report(-1, msg, len,
				      "[%u] lengths add up to more than the size 0x%llx",
				      i, (unsigned long long)x->size);
		sum += c->len;
		if (!c->addr)
			continue;
		shown++;
		if (c->addr % unit)
			return report(-1, msg, len,
				      "[%u] address 0x%llx is not a multiple of 0x%llx",
				      i, (unsigned long long)c->addr,
				      (unsigned long long)unit);
		if (i && p->addr && p->addr + p->len == c->addr)
			return report(-1, msg, len,
				      "[%u] 0x%llx+0x%llx and [%u] 0x%llx+0x%llx are contiguous: one run reported as two",
				      i - 1, (unsigned long long)p->addr,
				      (unsigned long long)p->len, i,
				      (unsigned long long)c->addr,
				      (unsigned long long)c->len);
	}
	if (sum != x->size)
		return report(-1, msg, len,
			      "lengths add up to 0x%llx, expected 0x%llx",
			      (unsigned long long)sum,
			      (unsigned long long)x->size);
	if (!shown)
		return 0;
	if (shown != count)
		return report(-1, msg, len, "addresses shown for %u of %u ranges",
			      shown, count);
	return match_pagemap(r, count, x, page, msg, len);
}

/* ---- transparent huge pages ---- */

/* The first line of a small file, without its newline: 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

/* The selected word of a THP mode file: "always [madvise] never" -> "madvise" */
static void thp_mode(const char *path, char *buf, size_t len)
{
	char *a, *b;

	if (read_line(path, buf, len)) {
		snprintf(buf, len, "unknown");
		return;
	}
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (b) {
		*b = '\0';
		memmove(buf, a + 1, b - a);
	}
}

uint64_t umem_thp_size(void)
{
	unsigned long long v;
	char line[64];

	if (read_line(THP_DIR "/hpage_pmd_size", line, sizeof(line)) ||
	    sscanf(line, "%llu", &v) != 1)
		return 0;
	return v;
}

long long umem_anon_huge_kb(const void *addr)
{
	unsigned long long lo, hi, kb;
	uintptr_t a = (uintptr_t)addr;
	FILE *f = fopen("/proc/self/smaps", "re");
	long long ret = -ENOENT;
	bool in = false;
	char *line = NULL;
	size_t cap = 0;
	int n;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		n = 0;
		/* a mapping's header: "lo-hi perms offset dev inode path" */
		if (sscanf(line, "%llx-%llx %n", &lo, &hi, &n) == 2 && n) {
			if (in)
				break;
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) {
			ret = (long long)kb;
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

int umem_thp_map(uint64_t size, void **out, char *msg, size_t len)
{
	uint64_t hp = umem_thp_size(), extra;
	char enabled[128], defrag[128];
	uintptr_t raw, p;
	long long kb;
	void *m;
	int err;

	*out = NULL;
	if (!hp)
		return report(1, msg, len,
			      "no transparent huge pages (%s unreadable)",
			      THP_DIR "/hpage_pmd_size");
	thp_mode(THP_DIR "/enabled", enabled, sizeof(enabled));
	thp_mode(THP_DIR "/defrag", defrag, sizeof(defrag));
	if (!strcmp(enabled, "never"))
		return report(1, msg, len,
			      "transparent huge pages disabled (%s: never)",
			      THP_DIR "/enabled");
	if (!size || size % hp)
		return report(-EINVAL, msg, len,
			      "0x%llx bytes is not a multiple of the huge page size 0x%llx",
			      (unsigned long long)size,
			      (unsigned long long)hp);

	/* map one huge page more and trim to an aligned range */
	m = mmap(NULL, size + hp, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		err = errno;
		return report(-err, msg, len, "mmap of 0x%llx bytes: %s",
			      (unsigned long long)(size + hp), strerror(err));
	}
	raw = (uintptr_t)m;
	p = (raw + hp - 1) & ~(uintptr_t)(hp - 1);
	if (p > raw)
		munmap(m, p - raw);
	extra = raw + size + hp - (p + size);
	if (extra)
		munmap((void *)(p + size), extra);

	if (madvise((void *)p, size, MADV_HUGEPAGE)) {
		err = errno;
		munmap((void *)p, size);
		return report(1, msg, len, "madvise(MADV_HUGEPAGE): %s",
			      strerror(err));
	}
	memset((void *)p, 0x5a, size);

	kb = umem_anon_huge_kb((void *)p);
	if (kb < 0) {
		munmap((void *)p, size);
		return report(1, msg, len,
			      "cannot read AnonHugePages of the mapping in /proc/self/smaps: %s",
			      strerror((int)-kb));
	}
	if ((unsigned long long)kb < size / 1024) {
		munmap((void *)p, size);
		return report(1, msg, len,
			      "no huge page given: AnonHugePages %lld kB of %llu kB (THP enabled: %s, defrag: %s)",
			      kb, (unsigned long long)(size / 1024), enabled,
			      defrag);
	}
	*out = (void *)p;
	return 0;
}

/* ---- invalid arguments ---- */

void *umem_bad_area(void)
{
	uint64_t page = page_size();
	char *p;
	int err;

	p = mmap(NULL, UMEM_BAD_PAGES * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* every mapped page present, the read-only one included */
	memset(p, 0x3c, UMEM_BAD_PAGES * page);
	if (munmap(p + 2 * page, 2 * page) ||
	    mprotect(p + 5 * page, page, PROT_READ)) {
		err = errno;
		munmap(p, UMEM_BAD_PAGES * page);
		errno = err;
		return NULL;
	}
	return p;
}

void umem_bad_area_free(void *area)
{
	if (area)
		munmap(area, UMEM_BAD_PAGES * page_size());
}

__attribute__((format(printf, 7, 8)))
static void add_bad(struct umem_bad *b, int *n, uint64_t addr, uint64_t size,
		    uint32_t flags, int err, const char *fmt, ...)
{
	struct umem_bad *e;
	va_list ap;

	if (*n >= UMEM_BAD_MAX)
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

int umem_bad_args(const void *area, bool e2big, struct umem_bad *b)
{
	uint64_t page = page_size(), a = (uintptr_t)area, top = -page;
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

/* ---- capabilities ---- */

static int caps_io(bool set, struct __user_cap_data_struct *d)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};

	return syscall(set ? SYS_capset : SYS_capget, &h, d) ? -errno : 0;
}

/* This thread's capability sets, for a valid cap: 0 or -errno */
static int caps_read(int cap, struct __user_cap_data_struct *d)
{
	if (cap < 0 || cap >= 32 * _LINUX_CAPABILITY_U32S_3)
		return -EINVAL;
	memset(d, 0, _LINUX_CAPABILITY_U32S_3 * sizeof(*d));
	return caps_io(false, d);
}

int umem_has_cap(int cap)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int ret = caps_read(cap, d);

	if (ret)
		return ret;
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

int umem_drop_cap(int cap)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1u << (cap % 32);
	int ret = caps_read(cap, d);

	if (ret)
		return ret;
	d[cap / 32].effective &= ~bit;
	d[cap / 32].permitted &= ~bit;
	d[cap / 32].inheritable &= ~bit;
	ret = caps_io(true, d);
	if (ret)
		return ret;
	ret = umem_has_cap(cap);
	return ret > 0 ? -EPERM : ret;
}
