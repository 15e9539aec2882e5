/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyrctl: shared declarations of the command-line tool over libphyr.
 */
#ifndef PHYRCTL_H
#define PHYRCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libphyr.h"

/* exit statuses */
#define EXIT_OK		0	/* done, data verified */
#define EXIT_FAIL	1	/* an operation failed or data did not match */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_ABSENT	3	/* a device or feature it needs is not there */

#define MAX_DEVS	64
#define NO_INSTANCE	(-1)

struct command {
	const char *name;
	const char *synopsis;	/* options, one line or more */
	const char *summary;	/* one line for the command list */
	const char *help;	/* what it does and its options */
	int (*run)(int argc, char **argv);
};

extern const struct command cmd_list, cmd_alloc, cmd_export, cmd_import,
	cmd_ranges, cmd_copy, cmd_bench, cmd_evict, cmd_link, cmd_gbm_import,
	cmd_tour;

/* ---- messages ---- */

/* the running command, for messages */
extern const struct command *current;
/* leads "verified:" and "MISMATCH:" lines ("  "; the tour indents more) */
extern const char *check_indent;
/* leads the progress lines of shared code such as "gbm: ..." ("") */
extern const char *note_indent;

void print_help(const struct command *c, FILE *f);
/* "phyrctl CMD: ..." and a hint; returns EXIT_USAGE */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "phyrctl CMD: ..."; returns EXIT_FAIL */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "phyrctl CMD: ..."; returns EXIT_ABSENT */
int absent(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* report phyr_last_error(); returns EXIT_FAIL */
int lib_error(void);
/* true when --help or -h is among the arguments: help printed */
bool want_help(int argc, char **argv);
/* after getopt_long() returned @c, unknown or without its value */
int bad_option(int c, int argc, char **argv);
/* EXIT_USAGE when arguments are left after the options */
int no_more_args(int argc, char **argv);
/* a monotonic clock in milliseconds */
double now_ms(void);

/* ---- parsing ---- */

int parse_size(const char *s, uint64_t *out);
int parse_u32(const char *s, uint32_t *out);
/* parse_size() and a page-multiple check; messages; EXIT_OK or EXIT_USAGE */
int get_size(const char *opt, const char *s, uint64_t *out);
int get_u32(const char *opt, const char *s, uint32_t *out);
int get_instance(const char *opt, const char *s, int *out);
int get_region(const char *opt, const char *s, enum phyr_region *out);
const char *fmt_size(uint64_t v, char *buf, size_t len);

/* ---- devices ---- */

struct devset {
	int n;
	struct phyr_device_info info[MAX_DEVS];
	struct phyr_dev *dev[MAX_DEVS];
};

/* find the instances; EXIT_ABSENT with a message when there is none */
int devs_load(struct devset *ds);
/* open an instance (once); EXIT_OK, EXIT_ABSENT or EXIT_FAIL */
int devs_open(struct devset *ds, int instance, struct phyr_dev **dev);
void devs_close(struct devset *ds);
const struct phyr_device_info *devs_info(const struct devset *ds,
					 int instance);
/* first instance with VRAM that is not @not, else -1 */
int devs_vram(const struct devset *ds, int not);
/* default "on": first VRAM instance, else the first one */
int devs_default_on(const struct devset *ds);
/* default peer of @on: another VRAM instance, else any other, else @on */
int devs_default_peer(const struct devset *ds, int on);
/* the region to use: @want, or VRAM when the instance has it */
enum phyr_region devs_region(const struct devset *ds, int instance,
			     int want);

/* ---- objects and checks ---- */

struct obj {
	struct phyr_dev *dev;
	uint32_t handle;
	uint64_t size;
	enum phyr_region region;
};

/* create an object, fill it from the CPU with @seed; exit status */
int obj_create_filled(struct phyr_dev *dev, uint64_t size,
		      enum phyr_region region, uint32_t seed, struct obj *o);
/* export from @o and import into @into; exit status */
int obj_share(const struct obj *o, struct phyr_dev *into, uint32_t *handle);
/* CPU writes the pattern through a mapping; exit status */
int fill_cpu(struct phyr_dev *dev, uint32_t handle, uint64_t size,
	     uint32_t seed);
/* check through a CPU mapping / the device's DMA; exit status, prints */
int verify_cpu(struct phyr_dev *dev, uint32_t handle, uint64_t size,
	       uint32_t seed, const char *what);
int verify_dma(struct phyr_dev *dev, uint32_t handle, uint64_t size,
	       uint32_t seed, const char *what);
int verify_mem(const void *mem, uint64_t size, uint32_t seed,
	       const char *what);
/* the device writes the pattern by DMA; exit status */
int fill_dma(struct phyr_dev *dev, uint32_t handle, uint64_t size,
	     uint32_t seed);

/* ---- range tables ---- */

struct show_opts {
	int max_rows;		/* 0: all */
	bool raw;		/* add the raw flags */
	const char *indent;
};

#define SHOW_DEFAULT_ROWS 16

/*
 * Print the table of @handle on @dev; @out (optional) keeps it. Exit
 * status.
 */
int show_ranges(struct phyr_dev *dev, uint32_t handle,
		const struct show_opts *o, struct phyr_ranges *out);
/* one word for what a table says: "p2p via host-bridge" etc. */
void table_summary(const struct phyr_ranges *t, char *buf, size_t len);

/* ---- GBM (gbm.c) ---- */

struct gbm_opts {
	const char *node;	/* NULL: vgem's card node */
	uint32_t width, height;
	uint32_t seed;
	bool verbose;
	struct show_opts show;
};

/*
 * Allocate a GBM buffer, import it into each of @devs and check it both
 * ways; exit status (EXIT_ABSENT without vgem or without GBM support).
 */
int gbm_import(struct phyr_dev **devs, int ndev, const struct gbm_opts *o);

#endif /* PHYRCTL_H */
