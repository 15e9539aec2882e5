// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr_case: one test case in a child process of its own. See
 * libphyr.h. Needs nothing but libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libphyr.h"

#define CASE_MSG	300

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
