// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl: a progress line on stderr for long operations, shown only on a
 * terminal and never with --json.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "phyrctl.h"

/*
 * Nothing for operations shorter than this (PHYRCTL_PROGRESS_DELAY_MS
 * overrides it, for tests), then one update per period.
 */
#define PROGRESS_DELAY_MS	500.0
#define PROGRESS_PERIOD_MS	100.0

static double progress_delay(void)
{
	const char *env = getenv("PHYRCTL_PROGRESS_DELAY_MS");

	return env && *env ? atof(env) : PROGRESS_DELAY_MS;
}

void progress_begin(struct progress *p, const char *what, uint64_t total,
		    bool bytes)
{
	*p = (struct progress){
		.what = what,
		.total = total,
		.bytes = bytes,
		.on = !json_mode && isatty(STDERR_FILENO),
	};
	if (p->on) {
		p->t0 = p->last = now_ms();
		p->delay = progress_delay();
	}
}

void progress_step(struct progress *p, uint64_t done)
{
	char d[32], t[32];
	double now;

	if (!p->on || !p->total)
		return;
	now = now_ms();
	if (now - p->t0 < p->delay ||
	    (p->shown && now - p->last < PROGRESS_PERIOD_MS))
		return;
	p->last = now;
	p->shown = true;
	if (p->bytes)
		fprintf(stderr, "\r%s: %3u%% (%s of %s)\033[K", p->what,
			(unsigned int)(done * 100 / p->total),
			vphyr_size_name(done, d, sizeof(d)),
			vphyr_size_name(p->total, t, sizeof(t)));
	else
		fprintf(stderr, "\r%s: %3u%% (%llu of %llu)\033[K", p->what,
			(unsigned int)(done * 100 / p->total),
			(unsigned long long)done,
			(unsigned long long)p->total);
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->shown = false;
}
