// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr_case: one test case in a child process of its own, and the
 * state of the running case. See libphyr.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libphyr_test.h"

#define CASE_MSG	300

/* ---- the running case ---- */

static struct {
	const char *name;
	bool failed;
	bool skipped;
	char skip[256];
} cur;

void phyr_case_begin(const char *name)
{
	memset(&cur, 0, sizeof(cur));
	cur.name = name;
}

const char *phyr_case_name(void)
{
	return cur.name ? cur.name : "-";
}

bool phyr_case_failed(void)
{
	return cur.failed;
}

const char *phyr_case_skip_reason(void)
{
	return cur.skipped ? cur.skip : NULL;
}

enum phyr_case_result phyr_case_end(char *reason, size_t len)
{
	if (cur.failed)
		return PHYR_CASE_FAIL;
	if (!cur.skipped)
		return PHYR_CASE_PASS;
	snprintf(reason, len, "%s", cur.skip);
	return PHYR_CASE_SKIP;
}

static void vsay(const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void phyr_case_note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: note: ", phyr_case_name());
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void phyr_case_skip(const char *fmt, ...)
{
	va_list ap;

	cur.skipped = true;
	va_start(ap, fmt);
	vsnprintf(cur.skip, sizeof(cur.skip), fmt, ap);
	va_end(ap);
}

static void vfailed(const char *file, int line, const char *expr,
		    const char *fmt, va_list ap)
{
	const char *base = strrchr(file, '/');

	cur.failed = true;
	fprintf(stderr, "%s: %s:%d: FAILED (%s): ", phyr_case_name(),
		base ? base + 1 : file, line, expr);
	vsay(fmt, ap);
}

bool phyr_case_check(bool ok, const char *file, int line, const char *expr,
		     const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vfailed(file, line, expr, fmt, ap);
	va_end(ap);
	return false;
}

bool phyr_case_expect_ret(const char *file, int line, int got, int want,
			  const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (got == want)
		return true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return phyr_case_check(false, file, line, "return value",
			       "%s: expected %s, got %s", what,
			       vphyr_errname(want), vphyr_errname(got));
}

/* ---- a case in a child process ---- */

/* Child: run the case, send "P", "F" or "S<reason>" up the pipe. */
static void __attribute__((noreturn))
case_child(unsigned int timeout_s, phyr_case_fn body, const void *arg,
	   int wfd)
{
	char msg[CASE_MSG], reason[CASE_MSG - 1] = "";
	enum phyr_case_result res;
	int len;

	alarm(timeout_s);
	res = body(arg, reason, sizeof(reason));
	if (res == PHYR_CASE_PASS)
		len = snprintf(msg, sizeof(msg), "P");
	else if (res == PHYR_CASE_SKIP)
		len = snprintf(msg, sizeof(msg), "S%s", reason);
	else
		len = snprintf(msg, sizeof(msg), "F");
	if (len > (int)sizeof(msg) - 1)
		len = sizeof(msg) - 1;
	fflush(stdout);
	fflush(stderr);
	_exit(write(wfd, msg, len) == len ? 0 : 3);
}

/* Parent: what the child said, "" when it said nothing. */
static void case_read(int rfd, char *msg, size_t len)
{
	size_t n = 0;
	ssize_t got;

	while (n < len - 1) {
		got = read(rfd, msg + n, len - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += got;
	}
	msg[n] = '\0';
}

static enum phyr_case_result case_print(const char *name, char *msg)
{
	char *s;

	for (s = msg; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
	if (msg[0] == 'P')
		printf("PASS %s\n", name);
	else if (msg[0] == 'S')
		printf("SKIP %s %s\n", name, msg[1] ? msg + 1 : "(no reason)");
	else
		printf("FAIL %s\n", name);
	fflush(stdout);
	if (msg[0] == 'P')
		return PHYR_CASE_PASS;
	return msg[0] == 'S' ? PHYR_CASE_SKIP : PHYR_CASE_FAIL;
}

enum phyr_case_result phyr_case_run(const char *name, unsigned int timeout_s,
				    phyr_case_fn body, const void *arg)
{
	char msg[CASE_MSG] = "F";
	int p[2], status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe2(p, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe: %s\n", name, strerror(errno));
		return case_print(name, msg);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", name, strerror(errno));
		close(p[0]);
		close(p[1]);
		return case_print(name, msg);
	}
	if (!pid) {
		close(p[0]);
		case_child(timeout_s, body, arg, p[1]);
	}
	close(p[1]);
	case_read(p[0], msg, sizeof(msg));
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	/* a child that died or said nothing failed, whatever it wrote */
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !msg[0]) {
		if (WIFSIGNALED(status))
			fprintf(stderr, "%s: %s (signal %d)\n", name,
				WTERMSIG(status) == SIGALRM ? "timed out" :
				"killed", WTERMSIG(status));
		else
			fprintf(stderr, "%s: exited with status %d, result '%s'\n",
				name, WEXITSTATUS(status), msg);
		snprintf(msg, sizeof(msg), "F");
	}
	return case_print(name, msg);
}
