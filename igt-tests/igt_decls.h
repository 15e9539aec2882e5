/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The part of IGT's public API that the vphyr tests use.
 *
 * Debian ships IGT's library (libigt.so.0, package intel-gpu-tools) but not
 * its headers, so the entry points are declared here, with the same names,
 * signatures and macro expansions as IGT 1.27's lib/igt_core.h,
 * lib/drmtest.h, lib/ioctl_wrappers.h and lib/igt_vgem.h. Everything runs
 * in the real library: subtest selection, --list-subtests, --run-subtest,
 * the SUCCESS/FAIL/SKIP lines, dynamic subtests, exit codes, logging.
 *
 * Every function and variable declared here must be exported by
 * libigt.so.0: the build checks the objects' undefined symbols against the
 * library (check-symbols.sh) before linking.
 */
#ifndef VPHYR_IGT_DECLS_H
#define VPHYR_IGT_DECLS_H

#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef IGT_LOG_DOMAIN
#define IGT_LOG_DOMAIN (NULL)
#endif

#ifndef __noreturn
#define __noreturn __attribute__((noreturn))
#endif

/* ---- exit codes (igt_core.h) ---- */

#define IGT_EXIT_SUCCESS	0
#define IGT_EXIT_SKIP		77
#define IGT_EXIT_INVALID	79
#define IGT_EXIT_FAILURE	98
#define IGT_EXIT_ABORT		112

/* ---- test description ---- */

/*
 * The library refers to this weakly (--help-description, --describe);
 * IGT_TEST_DESCRIPTION() defines it in the test binary.
 */
extern const char *__igt_test_description __attribute__((weak));
#define IGT_TEST_DESCRIPTION(str) const char *__igt_test_description = str

__attribute__((format(printf, 1, 2)))
void igt_describe_f(const char *fmt, ...);
#define igt_describe(dsc) igt_describe_f("%s", dsc)

/* ---- token pasting ---- */

#define __igt_tokencat2(x, y) x ## y
#define igt_tokencat(x, y) __igt_tokencat2(x, y)
#define igt_unique(prefix) \
	igt_tokencat(igt_tokencat(__igt_unique__, prefix), __LINE__)

/* ---- subtest infrastructure ---- */

/*
 * IGT declares these as jmp_buf; on glibc jmp_buf and sigjmp_buf are the
 * same type (struct __jmp_buf_tag[1], 200 bytes on x86-64, the size the
 * library exports them with).
 */
extern sigjmp_buf igt_subtest_jmpbuf;
extern sigjmp_buf igt_dynamic_jmpbuf;

typedef int (*igt_opt_handler_t)(int opt, int opt_index, void *data);
#define IGT_OPT_HANDLER_SUCCESS	0
#define IGT_OPT_HANDLER_ERROR	-2

int igt_subtest_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const struct option *extra_long_opts,
				const char *help_str,
				igt_opt_handler_t extra_opt_handler,
				void *handler_data);

bool __igt_fixture(void);
void __igt_fixture_complete(void);
__noreturn void __igt_fixture_end(void);

bool __igt_run_subtest(const char *subtest_name, const char *file,
		       const int line);
bool __igt_enter_dynamic_container(void);
bool __igt_run_dynamic_subtest(const char *dynamic_subtest_name);

void __igt_subtest_group_save(int *save, int *desc);
void __igt_subtest_group_restore(int save, int desc);

const char *igt_subtest_name(void);
const char *igt_test_name(void);
bool igt_only_list_subtests(void);

__noreturn __attribute__((format(printf, 1, 2)))
void igt_skip(const char *f, ...);
__noreturn __attribute__((format(printf, 5, 6)))
void __igt_skip_check(const char *file, const int line, const char *func,
		      const char *check, const char *format, ...);
void igt_success(void);
bool igt_can_fail(void);
__noreturn void igt_fail(int exitcode);
__noreturn __attribute__((format(printf, 6, 7)))
void __igt_fail_assert(const char *domain, const char *file, const int line,
		       const char *func, const char *assertion,
		       const char *format, ...);
__noreturn void igt_exit(void);

typedef void (*igt_exit_handler_t)(int sig);
void igt_install_exit_handler(igt_exit_handler_t fn);

/*
 * igt_main: main() parses IGT's options (--list-subtests, --run-subtest,
 * --describe, --debug, ...), runs the body and exits through igt_exit(),
 * which computes the exit code from the subtest results.
 */
#define igt_main_args(short_opts, long_opts, help_str, opt_handler, \
		      handler_data) \
	static void igt_unique(__real_main)(void); \
	int main(int argc, char **argv); \
	int main(int argc, char **argv) \
	{ \
		igt_subtest_init_parse_opts(&argc, argv, short_opts, \
					    long_opts, help_str, \
					    opt_handler, handler_data); \
		igt_unique(__real_main)(); \
		igt_exit(); \
	} \
	static void igt_unique(__real_main)(void)

#define igt_main igt_main_args(NULL, NULL, NULL, NULL, NULL)

/* setup code outside subtests: skipped when only listing subtests */
#define igt_fixture \
	for (volatile int igt_unique(__tmpint) = 0; \
	     igt_unique(__tmpint) < 1 && \
	     (__igt_fixture() && \
	      (sigsetjmp(igt_subtest_jmpbuf, 1) == 0)); \
	     igt_unique(__tmpint)++, __igt_fixture_complete())

#define igt_subtest(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       (sigsetjmp(igt_subtest_jmpbuf, 1) == 0); \
	     igt_success())

#define __igt_subtest_f(tmp, format...) \
	for (char tmp[256]; \
	     snprintf(tmp, sizeof(tmp), format), \
	     __igt_run_subtest(tmp, __FILE__, __LINE__) && \
	     (sigsetjmp(igt_subtest_jmpbuf, 1) == 0); \
	     igt_success())
#define igt_subtest_f(f...) __igt_subtest_f(igt_unique(__tmpchar), f)

/*
 * A subtest whose results are its dynamic subtests: it fails if one of
 * them fails and skips if none ran. Only igt_dynamic blocks may fail;
 * igt_require()/igt_skip() are fine outside them.
 */
#define igt_subtest_with_dynamic(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       __igt_enter_dynamic_container() && \
	       (sigsetjmp(igt_subtest_jmpbuf, 1) == 0); \
	     igt_success())

#define igt_dynamic(name) \
	for (; __igt_run_dynamic_subtest((name)) && \
	       (sigsetjmp(igt_dynamic_jmpbuf, 1) == 0); \
	     igt_success())

#define __igt_dynamic_f(tmp, format...) \
	for (char tmp[256]; \
	     snprintf(tmp, sizeof(tmp), format), \
	     __igt_run_dynamic_subtest(tmp) && \
	     (sigsetjmp(igt_dynamic_jmpbuf, 1) == 0); \
	     igt_success())
#define igt_dynamic_f(f...) __igt_dynamic_f(igt_unique(__tmpchar), f)

/* fixtures and requirements inside a group only affect the group */
#define igt_subtest_group \
	for (int igt_unique(__tmpint) = 0, igt_unique(__save) = 0, \
	     igt_unique(__desc) = 0; \
	     igt_unique(__tmpint) < 1 && \
	     (__igt_subtest_group_save(&igt_unique(__save), \
				       &igt_unique(__desc)), true); \
	     igt_unique(__tmpint)++, \
	     __igt_subtest_group_restore(igt_unique(__save), \
					 igt_unique(__desc)))

/*
 * Run the body in num_children child processes (child is the index); an
 * assertion failing in a child ends that child only. igt_waitchildren()
 * then fails the subtest if any child failed.
 */
bool __igt_fork(void);
#define igt_fork(child, num_children) \
	for (int child = 0; child < (num_children); child++) \
		for (; __igt_fork(); exit(0))
void igt_waitchildren(void);

/* ---- requirements ---- */

#define igt_skip_check(E, F...) \
	__igt_skip_check(__FILE__, __LINE__, __func__, E, F)

#define igt_require(expr) do { \
	if (!(expr)) \
		igt_skip_check(#expr, NULL); \
	else \
		igt_debug("Test requirement passed: %s\n", #expr); \
} while (0)

#define igt_require_f(expr, f...) do { \
	if (!(expr)) \
		igt_skip_check(#expr, f); \
	else \
		igt_debug("Test requirement passed: %s\n", #expr); \
} while (0)

#define igt_skip_on(expr) do { \
	if ((expr)) \
		igt_skip_check("!(" #expr ")", NULL); \
	else \
		igt_debug("Test requirement passed: !(%s)\n", #expr); \
} while (0)

#define igt_skip_on_f(expr, f...) do { \
	if ((expr)) \
		igt_skip_check("!(" #expr ")", f); \
	else \
		igt_debug("Test requirement passed: !(%s)\n", #expr); \
} while (0)

/* ---- assertions ---- */

#define igt_assert(expr) do { \
	if (!(expr)) \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #expr, NULL); \
} while (0)

#define igt_assert_f(expr, f...) do { \
	if (!(expr)) \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #expr, f); \
} while (0)

#define igt_fail_on(expr) igt_assert(!(expr))
#define igt_fail_on_f(expr, f...) igt_assert_f(!(expr), f)

#define igt_assert_cmpint(n1, cmp, ncmp, n2) do { \
	int __n1 = (n1), __n2 = (n2); \
	if (__n1 cmp __n2) \
		; \
	else \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #n1 " " #cmp " " #n2, \
				  "error: %d " #ncmp " %d\n", __n1, __n2); \
} while (0)

#define igt_assert_cmpuint(n1, cmp, ncmp, n2) do { \
	uint32_t __n1 = (n1), __n2 = (n2); \
	if (__n1 cmp __n2) \
		; \
	else \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #n1 " " #cmp " " #n2, \
				  "error: %#x " #ncmp " %#x\n", __n1, __n2); \
} while (0)

#define igt_assert_cmpu64(n1, cmp, ncmp, n2) do { \
	uint64_t __n1 = (n1), __n2 = (n2); \
	if (__n1 cmp __n2) \
		; \
	else \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #n1 " " #cmp " " #n2, \
				  "error: %#llx " #ncmp " %#llx\n", \
				  (unsigned long long)__n1, \
				  (unsigned long long)__n2); \
} while (0)

#define igt_assert_eq(n1, n2) igt_assert_cmpint(n1, ==, !=, n2)
#define igt_assert_neq(n1, n2) igt_assert_cmpint(n1, !=, ==, n2)
#define igt_assert_lte(n1, n2) igt_assert_cmpint(n1, <=, >, n2)
#define igt_assert_lt(n1, n2) igt_assert_cmpint(n1, <, >=, n2)
#define igt_assert_eq_u32(n1, n2) igt_assert_cmpuint(n1, ==, !=, n2)
#define igt_assert_neq_u32(n1, n2) igt_assert_cmpuint(n1, !=, ==, n2)
#define igt_assert_lte_u32(n1, n2) igt_assert_cmpuint(n1, <=, >, n2)
#define igt_assert_eq_u64(n1, n2) igt_assert_cmpu64(n1, ==, !=, n2)
#define igt_assert_lte_u64(n1, n2) igt_assert_cmpu64(n1, <=, >, n2)
#define igt_assert_fd(fd) \
	igt_assert_f(fd >= 0, "file descriptor " #fd " failed\n")

/* ---- logging ---- */

enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

__attribute__((format(printf, 3, 4)))
void igt_log(const char *domain, enum igt_log_level level,
	     const char *format, ...);

#define igt_debug(f...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_DEBUG, f)
#define igt_info(f...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_INFO, f)
#define igt_warn(f...) igt_log(IGT_LOG_DOMAIN, IGT_LOG_WARN, f)

/* ---- drmtest.h ---- */

#define DRIVER_VGEM	(1 << 2)
/* every driver but vgem, those IGT knows no flag for included */
#define DRIVER_ANY	~(DRIVER_VGEM)

/* The first card node of a matching driver, or -1 (no skip). */
int __drm_open_driver(int chipset);
/*
 * The card node of device idx: the one the idx-th --device filter (or
 * IGT_DEVICE) names, or without such a filter the first matching node
 * not opened as an earlier idx; -1 if there is none (no skip).
 */
int __drm_open_driver_another(int idx, int chipset);
/* how many --device filters were given */
int igt_device_filter_count(void);
/* like IGT_FORCE_DRIVER: DRIVER_ANY opens only this driver's devices */
void __set_forced_driver(const char *name);

/* ---- ioctl_wrappers.h ---- */

/* drmIoctl() unless a test swaps it: -1 and errno on failure */
extern int (*igt_ioctl)(int fd, unsigned long request, void *arg);

#define do_ioctl(fd, ioc, ioc_data) do { \
	igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), 0); \
	errno = 0; \
} while (0)

#define do_ioctl_err(fd, ioc, ioc_data, err) do { \
	igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), -1); \
	igt_assert_eq(errno, err); \
	errno = 0; \
} while (0)

/* DRM_IOCTL_GEM_CLOSE, asserting success */
void gem_close(int fd, uint32_t handle);

/* PRIME export (DRM_CLOEXEC) and import, asserting success */
int prime_handle_to_fd(int fd, uint32_t handle);
uint32_t prime_fd_to_handle(int fd, int dma_buf_fd);
off_t prime_get_size(int dma_buf_fd);

/* ---- igt_vgem.h ---- */

struct vgem_bo {
	uint32_t handle;
	uint32_t width, height;
	uint32_t bpp, pitch;
	uint64_t size;
};

/* dumb buffer of width x height x bpp: fills handle, pitch and size */
int __vgem_create(int fd, struct vgem_bo *bo);
void vgem_create(int fd, struct vgem_bo *bo);
/* map a vgem buffer (also an imported one): NULL on failure / asserts */
void *__vgem_mmap(int fd, struct vgem_bo *bo, unsigned int prot);
void *vgem_mmap(int fd, struct vgem_bo *bo, unsigned int prot);

#endif /* VPHYR_IGT_DECLS_H */
