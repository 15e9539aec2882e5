/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyrctl: shared declarations of the command-line tool over libphyr.
 */
#ifndef PHYRCTL_H
#define PHYRCTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libphyr_test.h"

/* exit statuses */
#define EXIT_OK		0	/* done, data verified */
#define EXIT_FAIL	1	/* an operation failed or data did not match */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_ABSENT	3	/* a device or feature it needs is not there */

#define MAX_DEVS	64
#define NO_INSTANCE	(-1)

#ifndef PHYR_VERSION
#define PHYR_VERSION	"unknown"
#endif

struct opts;

struct command {
	const char *name;
	const char *synopsis;	/* options, one line or more */
	const char *summary;	/* one line for the command list */
	const char *help;	/* what it does and its options */
	uint64_t options;	/* OPT() bits of the options it takes */
	bool takes_command;	/* a command to run may follow "--" */
	uint64_t size;		/* default --size (0: 4 MiB) */
	uint32_t seed;		/* default --seed (0: 1) */
	int rows;		/* default table rows (0: SHOW_DEFAULT_ROWS) */
	int (*run)(const struct opts *o);
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
/* "phyrctl CMD: ..." on stderr; returns @status */
int message(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* the same and a hint to --help; returns EXIT_USAGE */
#define usage_error(...)	message(EXIT_USAGE, __VA_ARGS__)
/* returns EXIT_FAIL */
#define error(...)		message(EXIT_FAIL, __VA_ARGS__)
/* returns EXIT_ABSENT */
#define absent(...)		message(EXIT_ABSENT, __VA_ARGS__)
/* report vphyr_last_error(); returns EXIT_FAIL */
int lib_error(void);
/* a monotonic clock in milliseconds */
double now_ms(void);

/* ---- progress (progress.c) ---- */

/*
 * A progress line on stderr for a long operation: only when stderr is a
 * terminal and --json is off, and only once the operation has taken half a
 * second (PHYRCTL_PROGRESS_DELAY_MS in the environment changes that: 0
 * shows it at once); progress_end() erases it, so that what follows starts on a clean
 * line.
 */
struct progress {
	const char *what;
	uint64_t total;		/* bytes or steps */
	bool bytes;		/* print sizes, else counts */
	bool on;		/* a terminal, no --json */
	bool shown;
	double t0, last, delay;
};

void progress_begin(struct progress *p, const char *what, uint64_t total,
		    bool bytes);
void progress_step(struct progress *p, uint64_t done);
void progress_end(struct progress *p);

/* ---- JSON (json.c) ---- */

/* --json given: text output off, one JSON document at the end */
extern bool json_mode;

/* a writer of the members of an object or the elements of an array */
struct jw {
	FILE *f;
	bool first;
};

/* members (@key NULL for an array element); a NULL string is null */
void jw_str(struct jw *w, const char *key, const char *v);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_int(struct jw *w, const char *key, long long v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_double(struct jw *w, const char *key, double v);
void jw_null(struct jw *w, const char *key);
/* a nested object ('{', '}') or array ('[', ']') written through @inner */
void jw_open(struct jw *w, const char *key, char bracket, struct jw *inner);
void jw_close(struct jw *inner, char bracket);
/* @s as a JSON string, escaped */
void json_string(FILE *f, const char *s);

/* start the document; 0 or -1 */
int json_begin(void);
/* the top-level object, for the command's own members */
struct jw *json_top(void);
/*
 * Start an object at the end of the top-level array @array (a string
 * literal); false, writing nothing, unless --json is on.
 */
bool json_item(const char *array, struct jw *obj);
void json_item_end(struct jw *obj);
/* add a message to the document's "error" */
void json_error(const char *fmt, va_list ap);
/* write the document of @command, which exits with @status */
void json_finish(const char *command, int status);
/* printf() for the text output, which --json turns off */
int tprint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* the JSON of what commands have in common (phyrctl.c) */
void json_object(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
		 enum vphyr_region region, const uint32_t *seed);
void json_import(struct vphyr_dev *from, uint32_t from_handle,
		 const char *source, struct vphyr_dev *into, uint32_t handle);
void json_check(const char *what, uint64_t size, uint32_t seed, uint64_t bad,
		uint64_t first_bad);

/* ---- parsing ---- */

int parse_size(const char *s, uint64_t *out);
int parse_u32(const char *s, uint32_t *out);
/* an instance number; messages name @opt; EXIT_OK or EXIT_USAGE */
int get_instance(const char *opt, const char *s, int *out);

/* ---- devices ---- */

struct devset {
	int n;
	struct vphyr_device_info info[MAX_DEVS];
	struct vphyr_dev *dev[MAX_DEVS];
};

/* find the instances; EXIT_ABSENT with a message when there is none */
int devs_load(struct devset *ds);
/* open an instance (once); EXIT_OK, EXIT_ABSENT or EXIT_FAIL */
int devs_open(struct devset *ds, int instance, struct vphyr_dev **dev);
void devs_close(struct devset *ds);
const struct vphyr_device_info *devs_info(const struct devset *ds,
					  int instance);
/* first instance with VRAM that is not @not, else -1 */
int devs_vram(const struct devset *ds, int not);
/* default "on": first VRAM instance, else the first one */
int devs_default_on(const struct devset *ds);
/* default peer of @on: another VRAM instance, else any other, else @on */
int devs_default_peer(const struct devset *ds, int on);
/* the region to use: @want, or VRAM when the instance has it */
enum vphyr_region devs_region(const struct devset *ds, int instance,
			      int want);

/* ---- objects and checks ---- */

struct obj {
	struct vphyr_dev *dev;
	uint32_t handle;
	uint64_t size;
	enum vphyr_region region;
};

/* create an object, fill it from the CPU with @seed; exit status */
int obj_create_filled(struct vphyr_dev *dev, uint64_t size,
		      enum vphyr_region region, uint32_t seed, struct obj *o);
/* export from @o and import into @into; exit status */
int obj_share(const struct obj *o, struct vphyr_dev *into, uint32_t *handle);
/* CPU writes the pattern through a mapping; exit status */
int fill_cpu(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
	     uint32_t seed);
/* check through a CPU mapping / the device's DMA; exit status, prints */
int verify_cpu(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
	       uint32_t seed, const char *what);
int verify_dma(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
	       uint32_t seed, const char *what);
int verify_mem(const void *mem, uint64_t size, uint32_t seed,
	       const char *what);
/* the device writes the pattern by DMA; exit status */
int fill_dma(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
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
int show_ranges(struct vphyr_dev *dev, uint32_t handle,
		const struct show_opts *o, struct vphyr_ranges *out);
/* one word for what a table says: "p2p via host-bridge" etc. */
void table_summary(const struct vphyr_ranges *t, char *buf, size_t len);
/* "N @noun(s), <summary>" of the table of @handle on @dev; exit status */
int import_summary(struct vphyr_dev *dev, uint32_t handle, const char *noun,
		   char *buf, size_t len);

/* ---- options (one table in phyrctl.c; each command lists its own) ---- */

enum opt_id {
	O_ON, O_FROM, O_SOURCE, O_TO, O_INTO, O_INTO_ALL, O_PEER,
	O_EXPORT_TO, O_IMPORT_TO, O_SIZE, O_VRAM, O_SYSTEM, O_SRC, O_DST,
	O_SEED, O_EVICT, O_SHOW, O_VERIFY, O_NO_VERIFY, O_HOLD, O_ALL, O_RAW,
	O_EXPECT, O_FD, O_FD_NUMBER, O_WRITE, O_FILL, O_KEEP, O_REMOVE,
	O_ITERATIONS, O_CYCLES, O_NODE, O_WIDTH, O_HEIGHT, O_VERBOSE,
	O_NO_LINK, O_NO_GBM, O_JSON,
	O_COUNT
};

#define OPT(id)		(UINT64_C(1) << (O_##id))
#define OPTS_TABLE	(OPT(ALL) | OPT(RAW))
/* what every command that prints data takes */
#define OPTS_DATA	OPT(JSON)

struct instances {
	int n;
	int v[MAX_DEVS];
};

/* what the command line said, defaults filled in */
struct opts {
	uint64_t given;			/* OPT() bits of the options seen */
	int on, to, peer;		/* NO_INSTANCE when not given */
	struct instances peers;		/* --export-to, --import-to, --into */
	const char *source;		/* import --from */
	const char *node;		/* gbm-import --node */
	uint64_t size;
	int region, src, dst;		/* enum vphyr_region, 0: default */
	uint32_t seed, hold, expect, fd, fd_number, write;
	uint32_t iterations, cycles, width, height;
	bool evict, show, verify, no_verify, fill, keep, remove;
	bool verbose, no_link, no_gbm, json;
	struct show_opts table;
	char **cmd;			/* export: what follows "--" */
};

static inline bool opt_given(const struct opts *o, enum opt_id id)
{
	return o->given & (UINT64_C(1) << id);
}

/* ---- GBM (gbm.c) ---- */

struct gbm_opts {
	const char *node;	/* NULL: the card node of the allocating instance */
	uint32_t width, height;
	uint32_t seed;
	bool verbose;
	struct show_opts show;
};

/*
 * Allocate a GBM buffer on the card node of @on (or on @o->node), show
 * that it is in @on's VRAM, import it into each of @devs and check it both
 * ways; exit status (EXIT_ABSENT without the node or without GBM support).
 */
int gbm_import(struct vphyr_dev *on, struct vphyr_dev **devs, int ndev,
	       const struct gbm_opts *o);

#endif /* PHYRCTL_H */
