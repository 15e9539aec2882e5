// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr_proc: what a process can learn about its own memory and files
 * (page frames, transparent huge pages, pinned memory, open files,
 * capabilities), and the test patterns. See libphyr_test.h. Needs nothing
 * but libc.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "libphyr_test.h"
#include "libphyr_priv.h"

#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define PM_PRESENT	(1ull << 63)
#define PM_PFN_MASK	((1ull << 55) - 1)

/* ---- page frames ---- */

int phyr_pagemap_pfns(const void *addr, size_t pages, uint64_t *pfn)
{
	uint64_t page = vphyr_page_size();
	size_t want = pages * sizeof(*pfn), done = 0, i;
	off_t off = (off_t)((uintptr_t)addr / page * sizeof(*pfn));
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
	for (i = 0; i < pages; i++) {
		if (!(pfn[i] & PM_PRESENT))
			return -ENXIO;
		pfn[i] &= PM_PFN_MASK;
		any |= pfn[i] != 0;
	}
	return any ? 0 : -EPERM;
}

size_t phyr_pfn_run(const uint64_t *pfn, size_t n)
{
	size_t i;

	for (i = 1; i < n && pfn[i] == pfn[i - 1] + 1; i++)
		;
	return n ? i : 0;
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

uint64_t phyr_thp_size(void)
{
	unsigned long long v;
	char line[64];

	if (read_line(THP_DIR "/hpage_pmd_size", line, sizeof(line)) ||
	    sscanf(line, "%llu", &v) != 1)
		return 0;
	return v;
}

void phyr_thp_modes(char *enabled, char *defrag, size_t len)
{
	thp_mode(THP_DIR "/enabled", enabled, len);
	thp_mode(THP_DIR "/defrag", defrag, len);
}

long long phyr_anon_huge_kb(const void *addr, size_t len, bool *wider)
{
	unsigned long long lo, hi, kb;
	uintptr_t a = (uintptr_t)addr, end = a + (len ? len : 1);
	FILE *f = fopen("/proc/self/smaps", "re");
	long long total = 0;
	bool in = false, found = false;
	char *line = NULL;
	size_t cap = 0;
	int n;

	if (wider)
		*wider = false;
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		n = 0;
		/* a mapping's header: "lo-hi perms offset dev inode path" */
		if (sscanf(line, "%llx-%llx %n", &lo, &hi, &n) == 2 && n) {
			in = lo < end && hi > a;
			found |= in;
			if (in && wider && (lo < a || hi > end))
				*wider = true;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			total += kb;
	}
	free(line);
	fclose(f);
	return found ? total : -ENOENT;
}

void *phyr_map_aligned(size_t size, size_t align)
{
	uintptr_t raw, p;
	size_t extra;
	void *m;

	if (!align || align & (align - 1) || size > SIZE_MAX - align) {
		errno = EINVAL;
		return NULL;
	}
	/* map one alignment unit more and trim to an aligned range */
	m = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	raw = (uintptr_t)m;
	p = (raw + align - 1) & ~(uintptr_t)(align - 1);
	if (p > raw)
		munmap(m, p - raw);
	extra = raw + size + align - (p + size);
	if (extra)
		munmap((void *)(p + size), extra);
	return (void *)p;
}

int phyr_thp_map(uint64_t size, void **out, char *msg, size_t len)
{
	uint64_t hp = phyr_thp_size();
	char enabled[128], defrag[128];
	long long kb;
	void *p;
	int err;

	*out = NULL;
	if (!hp)
		return phyr_say(1, msg, len,
				"no transparent huge pages (%s unreadable)",
				THP_DIR "/hpage_pmd_size");
	phyr_thp_modes(enabled, defrag, sizeof(enabled));
	if (!strcmp(enabled, "never"))
		return phyr_say(1, msg, len,
				"transparent huge pages disabled (%s: never)",
				THP_DIR "/enabled");
	if (!size || size % hp)
		return phyr_say(-EINVAL, msg, len,
				"0x%llx bytes is not a multiple of the huge page size 0x%llx",
				(unsigned long long)size, (unsigned long long)hp);

	p = phyr_map_aligned(size, hp);
	if (!p) {
		err = errno;
		return phyr_say(-err, msg, len, "mmap of 0x%llx bytes: %s",
				(unsigned long long)(size + hp), strerror(err));
	}
	if (madvise(p, size, MADV_HUGEPAGE)) {
		err = errno;
		munmap(p, size);
		return phyr_say(1, msg, len, "madvise(MADV_HUGEPAGE): %s",
				strerror(err));
	}
	memset(p, 0x5a, size);

	kb = phyr_anon_huge_kb(p, size, NULL);
	if (kb < 0) {
		munmap(p, size);
		return phyr_say(1, msg, len,
				"cannot read AnonHugePages of the mapping in /proc/self/smaps: %s",
				strerror((int)-kb));
	}
	if ((unsigned long long)kb < size / 1024) {
		munmap(p, size);
		return phyr_say(1, msg, len,
				"no huge page given: AnonHugePages %lld kB of %llu kB (THP enabled: %s, defrag: %s)",
				kb, (unsigned long long)(size / 1024), enabled,
				defrag);
	}
	*out = p;
	return 0;
}

/* ---- /proc/self and small files ---- */

int phyr_count_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

int phyr_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int c, n = 0;

	if (!f)
		return -errno;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

long long phyr_status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	size_t klen = strlen(key);
	long long ret = -ENOENT, v;
	char line[256];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		if (sscanf(line + klen + 1, "%lld kB", &v) == 1)
			ret = v;
		else
			ret = -EINVAL;
		break;
	}
	fclose(f);
	return ret;
}

int phyr_read_ull(const char *path, unsigned long long *value)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (fscanf(f, "%llu", value) != 1)
		ret = -EINVAL;
	fclose(f);
	return ret;
}

int phyr_write_ull(const char *path, unsigned long long value)
{
	char buf[32];
	int fd, len, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%llu\n", value);
	errno = 0;
	if (write(fd, buf, len) != len)
		ret = errno ? -errno : -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
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

int phyr_has_cap(int cap)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int ret = caps_read(cap, d);

	if (ret)
		return ret;
	return !!(d[cap / 32].effective & (1u << (cap % 32)));
}

int phyr_drop_cap(int cap)
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
	ret = phyr_has_cap(cap);
	return ret > 0 ? -EPERM : ret;
}

/* ---- test patterns ---- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t pattern_word(uint32_t seed, uint64_t pos)
{
	return mix64(((uint64_t)seed << 40) ^ (pos >> 3));
}

uint8_t phyr_pattern_byte(uint32_t seed, uint64_t pos)
{
	return pattern_word(seed, pos) >> ((pos & 7) * 8);
}

void phyr_pattern_fill(void *buf, size_t len, uint32_t seed, uint64_t pos)
{
	unsigned char *c = buf;
	size_t i = 0;
	uint64_t w;
	int k;

	for (; i < len && ((pos + i) & 7); i++)
		c[i] = phyr_pattern_byte(seed, pos + i);
	/* whole words: byte k of word w is byte (w >> 8k) */
	for (; i + 8 <= len; i += 8) {
		w = pattern_word(seed, pos + i);
		for (k = 0; k < 8; k++)
			c[i + k] = w >> (8 * k);
	}
	for (; i < len; i++)
		c[i] = phyr_pattern_byte(seed, pos + i);
}

size_t phyr_pattern_check(const void *buf, size_t len, uint32_t seed,
			  uint64_t pos, size_t *first_bad)
{
	const unsigned char *c = buf;
	size_t i = 0, bad = 0;
	uint64_t w;
	int k;

	for (; i < len; i++) {
		if (!((pos + i) & 7) && i + 8 <= len) {
			w = pattern_word(seed, pos + i);
			for (k = 0; k < 8; k++) {
				if (c[i + k] != (unsigned char)(w >> (8 * k)) &&
				    !bad++ && first_bad)
					*first_bad = i + k;
			}
			i += 7;
			continue;
		}
		if (c[i] != phyr_pattern_byte(seed, pos + i) && !bad++ &&
		    first_bad)
			*first_bad = i;
	}
	return bad;
}
