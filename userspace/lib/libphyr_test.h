/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libphyr_test: what the tests of the tree need beyond the device API of
 * libphyr.h, in build/libphyr_test.a: data patterns that depend on their
 * position, what this process can learn about its own memory and files
 * (pagemap, transparent huge pages, /proc/self counts, capabilities), and
 * test cases run in child processes with checks that record failures.
 *
 * Not installed and not part of libphyr.so. Needs only libc; link
 * libphyr_test.a before libphyr.a.
 */
#ifndef LIBPHYR_TEST_H
#define LIBPHYR_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libphyr.h"

#if defined(__cplusplus)
extern "C" {
#endif

/* ---- test patterns ---- */

/*
 * Bytes that depend on a seed and on their position in an object: a copy
 * moved by the wrong offset or taken from the wrong pages does not match.
 */

/* phyr_pattern_byte() - the byte at position @pos for @seed */
uint8_t phyr_pattern_byte(uint32_t seed, uint64_t pos);

/* phyr_pattern_fill() - fill @buf with the bytes at positions @pos... */
void phyr_pattern_fill(void *buf, size_t len, uint32_t seed, uint64_t pos);

/**
 * phyr_pattern_check() - compare @buf with the pattern
 * @buf: bytes to check
 * @len: their number
 * @seed: the pattern
 * @pos: position of @buf[0] in the pattern
 * @first_bad: receives the index of the first differing byte (if any and
 *	not NULL)
 *
 * Return: the number of bytes that differ.
 */
size_t phyr_pattern_check(const void *buf, size_t len, uint32_t seed,
			  uint64_t pos, size_t *first_bad);

/* ---- this process: memory, files, capabilities ---- */

/**
 * phyr_pagemap_pfns() - page frame numbers from /proc/self/pagemap
 * @addr: a page aligned address of this process
 * @pages: how many pages from there
 * @pfn: receives @pages page frame numbers
 *
 * Return: 0; -EPERM when pagemap hides them (no CAP_SYS_ADMIN); -ENXIO if
 * a page is not present; another negative errno.
 */
int phyr_pagemap_pfns(const void *addr, size_t pages, uint64_t *pfn);

/* phyr_pfn_run() - how many of the @n frames from @pfn[0] are consecutive */
size_t phyr_pfn_run(const uint64_t *pfn, size_t n);

/* phyr_thp_size() - the PMD huge page size, 0 without THP support */
uint64_t phyr_thp_size(void);

/*
 * phyr_thp_modes() - the selected words of the THP "enabled" and "defrag"
 * files ("always", "madvise", ...; "unknown" when unreadable)
 */
void phyr_thp_modes(char *enabled, char *defrag, size_t len);

/**
 * phyr_anon_huge_kb() - AnonHugePages of some mappings of this process
 * @addr: start of a range
 * @len: its length (0 counts as 1: the mapping containing @addr)
 * @wider: set when a mapping overlapping the range reaches beyond it (its
 *	whole count is included then); may be NULL
 *
 * Return: the sum, in kB, over the mappings of /proc/self/smaps that
 * overlap the range; -ENOENT when none does; another negative errno.
 */
long long phyr_anon_huge_kb(const void *addr, size_t len, bool *wider);

/*
 * phyr_map_aligned() - @size bytes of private anonymous read-write memory
 * at a multiple of @align (a power of two); NULL with errno set on failure
 */
void *phyr_map_aligned(size_t size, size_t align);

/**
 * phyr_thp_map() - memory backed by transparent huge pages
 * @size: bytes, a multiple of phyr_thp_size()
 * @out: receives the mapping (munmap() it)
 * @msg: receives why there is none
 * @len: room in @msg
 *
 * Maps @size bytes aligned to the huge page size, asks for huge pages
 * (MADV_HUGEPAGE), writes every page and checks AnonHugePages.
 *
 * Return: 0; 1 if no huge pages can be had (a reason to skip); a negative
 * errno.
 */
int phyr_thp_map(uint64_t size, void **out, char *msg, size_t len);

/* phyr_count_fds() - open file descriptors of this process, or -errno */
int phyr_count_fds(void);

/* phyr_count_maps() - lines of /proc/self/maps, or -errno */
int phyr_count_maps(void);

/* phyr_status_kb() - N of a "Key: N kB" line of /proc/self/status, or -errno */
long long phyr_status_kb(const char *key);

/* phyr_read_ull(), phyr_write_ull() - a number in a small (sysfs) file */
int phyr_read_ull(const char *path, unsigned long long *value);
int phyr_write_ull(const char *path, unsigned long long value);

/* phyr_has_cap() - 1 if @cap is in this thread's effective set, 0, or -errno */
int phyr_has_cap(int cap);

/*
 * phyr_drop_cap() - remove @cap from this thread's effective, permitted and
 * inheritable sets, for good (drop it in a child to keep it); 0 or -errno
 */
int phyr_drop_cap(int cap);

/* ---- unplugging a vphyr instance ---- */

#define PHYR_VPHYR_PCI_DRIVER	"/sys/bus/pci/drivers/vphyr"

/*
 * phyr_pci_unbind(), phyr_pci_bind() - write @pci ("0000:00:03.0") to the
 * unbind or bind file of vphyr's PCI driver. Needs root.
 * Return: 0, -EIO for a short write, or the negative errno of open or write.
 */
int phyr_pci_unbind(const char *pci);
int phyr_pci_bind(const char *pci);

/*
 * phyr_iomem_reserved() - whether /proc/iomem has a region starting at
 * @start whose name starts with @owner (e.g. "vphyr"): 1 or 0, or a
 * negative errno when /proc/iomem cannot be read. Addresses read as 0
 * without CAP_SYS_ADMIN.
 */
int phyr_iomem_reserved(uint64_t start, const char *owner);

/* ---- test cases in child processes ---- */

enum phyr_case_result {
	PHYR_CASE_PASS,
	PHYR_CASE_FAIL,
	PHYR_CASE_SKIP,
};

/*
 * A case body: runs in the child, returns its result and, for a skip,
 * writes the reason into @reason (@len bytes).
 */
typedef enum phyr_case_result (*phyr_case_fn)(const void *arg, char *reason,
					      size_t len);

/**
 * phyr_case_run() - run one test case in a child process
 * @name: the case name printed
 * @timeout_s: the child is killed (SIGALRM) after this many seconds
 * @body: what the child runs
 * @arg: passed to @body
 *
 * Prints "PASS name", "SKIP name reason" or "FAIL name" on stdout once the
 * child is gone; a child that dies, times out, exits nonzero or reports
 * nothing failed. Whatever the case takes goes away with the child.
 *
 * Return: the result printed.
 */
enum phyr_case_result phyr_case_run(const char *name, unsigned int timeout_s,
				    phyr_case_fn body, const void *arg);

/*
 * The state of the running case, for bodies that check as they go: the
 * first failed check makes the case fail, phyr_case_skip() makes it skip
 * (unless something failed), and phyr_case_end() gives the result. Checks
 * and notes go to stderr as "CASE: file:line: FAILED (expr): message" and
 * "CASE: note: message".
 */

/* phyr_case_begin() - start case @name (kept, not copied) with a clean state */
void phyr_case_begin(const char *name);

/* phyr_case_name() - the running case, "-" outside one */
const char *phyr_case_name(void);

/* phyr_case_failed() - whether a check of the running case failed */
bool phyr_case_failed(void);

/* phyr_case_skip_reason() - why the case skips, NULL if it does not */
const char *phyr_case_skip_reason(void);

/* phyr_case_end() - the result, with the skip reason copied to @reason */
enum phyr_case_result phyr_case_end(char *reason, size_t len);

void phyr_case_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void phyr_case_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* phyr_case_check() - record a failure unless @ok; returns @ok */
bool phyr_case_check(bool ok, const char *file, int line, const char *expr,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* phyr_case_expect_ret() - check that @got (0 or -errno) is @want */
bool phyr_case_expect_ret(const char *file, int line, int got, int want,
			  const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* PHYR_CHECK(cond, fmt, ...): record a failure if cond is false; cond */
#define PHYR_CHECK(cond, ...) \
	phyr_case_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
/* PHYR_REQUIRE(cond, fmt, ...): as PHYR_CHECK, and return when false */
#define PHYR_REQUIRE(cond, ...) \
	do { \
		if (!PHYR_CHECK(cond, __VA_ARGS__)) \
			return; \
	} while (0)
/* PHYR_EXPECT_RET(ret, -EINVAL, fmt, ...): ret is 0 or a negative errno */
#define PHYR_EXPECT_RET(got, want, ...) \
	phyr_case_expect_ret(__FILE__, __LINE__, (got), (want), __VA_ARGS__)
/* PHYR_SKIP(fmt, ...): skip the case, and return */
#define PHYR_SKIP(...) \
	do { \
		phyr_case_skip(__VA_ARGS__); \
		return; \
	} while (0)

#if defined(__cplusplus)
}
#endif

#endif /* LIBPHYR_TEST_H */
