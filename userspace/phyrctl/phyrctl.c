// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl: look at and exercise vphyr, the test DRM driver of phyr, from
 * the command line.
 *
 * Objects live only as long as the process that holds their handles or
 * dma-bufs, so every subcommand is a complete flow: it creates what it
 * needs, shares it between instances, shows the tables, checks the data
 * and releases everything before it exits.
 *
 * This file: the command table, messages, parsing, devices, objects and
 * checks shared by the subcommands, and "list".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "phyrctl.h"

#define CHUNK (1u << 20)

const struct command *current;
const char *check_indent = "  ";
const char *note_indent = "";

static const struct command *const commands[] = {
	&cmd_list, &cmd_alloc, &cmd_export, &cmd_import, &cmd_ranges,
	&cmd_copy, &cmd_evict, &cmd_link, &cmd_gbm_import, &cmd_bench,
	&cmd_tour,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ---- messages ---- */

int message(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "phyrctl%s%s: ", current ? " " : "",
		current ? current->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (json_mode) {
		va_start(ap, fmt);
		json_error(fmt, ap);
		va_end(ap);
	}
	if (status == EXIT_USAGE)
		fprintf(stderr, "Try 'phyrctl %s%s--help'.\n",
			current ? current->name : "", current ? " " : "");
	return status;
}

int lib_error(void)
{
	return error("%s", vphyr_last_error());
}

void print_help(const struct command *c, FILE *f)
{
	fprintf(f, "usage: phyrctl %s %s\n\n%s", c->name, c->synopsis, c->help);
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: phyrctl COMMAND [OPTIONS]\n"
		"       phyrctl help [COMMAND]\n"
		"       phyrctl COMMAND --help\n"
		"       phyrctl --version\n"
		"\n"
		"Look at and exercise vphyr, the test DRM driver of phyr: objects in VRAM\n"
		"or system memory, shared as dma-bufs between instances, their phyr lists\n"
		"and DMA range tables, device reads and writes through DMA addresses.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(f,
		"\n"
		"Objects live only as long as the process holding them: each command is a\n"
		"whole flow in one invocation (create, share with --export-to/--import-to,\n"
		"show, check, release). To hand a dma-buf to another program, run it\n"
		"under 'phyrctl export -- COMMAND' (it inherits the dma-buf as fd 3).\n"
		"Links made with 'phyrctl link --keep' belong to the devices and stay.\n"
		"\n"
		"Instances are named by their number (phyrctl list): 0 has system memory\n"
		"only, the others have VRAM. Wherever an instance is asked for, its render\n"
		"node works too (--on /dev/dri/renderD129). Sizes take K, M, G suffixes\n"
		"(powers of 2) and must be multiples of the page size.\n"
		"\n"
		"--json (every command but tour): instead of the text, one JSON document\n"
		"on stdout when the command is done, also when it fails. Members of every\n"
		"document: command, version, status (the exit status), ok (status 0),\n"
		"error (the messages of stderr, or null); then, where the command has\n"
		"them: objects (created: instance, node, handle, size, region, seed),\n"
		"imports (instance, node, handle, from_instance, from_handle, source),\n"
		"tables (as printed by --show: instance, node, handle, kind phys|dma,\n"
		"placement, generation, count, total_len, summary, and ranges: every\n"
		"entry, --all or not, with index, addr, len, ic, via, mmio, pinned,\n"
		"flags), checks (what, ok, size, seed, bad, first_bad) and the members\n"
		"of each command, listed in its --help. Numbers are integers (addresses\n"
		"and sizes in bytes) except milliseconds and MiB/s.\n"
		"\n"
		"Progress: when stderr is a terminal and --json is off, operations that\n"
		"take more than half a second (copy, bench) show a progress line on\n"
		"stderr and erase it when done (PHYRCTL_PROGRESS_DELAY_MS=N: after N ms).\n"
		"\n"
		"Exit status: 0 done (and data verified), 1 an operation failed or data\n"
		"did not match, 2 bad command line, 3 a device or feature it needs is\n"
		"missing (no vphyr device, no second VRAM instance, no vgem, ...).\n");
}

/* ---- parsing ---- */

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	}
	if (shift) {
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
	} else if (!strcmp(end, "B")) {
		end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

static int get_size(const char *opt, const char *s, uint64_t *out)
{
	uint64_t page = vphyr_page_size();

	if (parse_size(s, out))
		return usage_error("%s: '%s' is not a size (e.g. 4096, 64K, 4M, 1G)",
				   opt, s);
	if (!*out || *out % page)
		return usage_error("%s: %s is not a nonzero multiple of the page size (%" PRIu64 " bytes)",
				   opt, s, page);
	return EXIT_OK;
}

static int get_u32(const char *opt, const char *s, uint32_t *out)
{
	if (parse_u32(s, out))
		return usage_error("%s: '%s' is not a number", opt, s);
	return EXIT_OK;
}

/* the instance whose render node is @path (or a link to it) */
static int node_instance(const char *opt, const char *path, int *out)
{
	struct vphyr_device_info devs[MAX_DEVS];
	struct stat want, st;
	int n, i;

	if (stat(path, &want))
		return absent("%s: %s: %s", opt, path, strerror(errno));
	n = vphyr_list_devices(devs, MAX_DEVS);
	if (n < 0)
		return lib_error();
	for (i = 0; i < n && i < MAX_DEVS; i++) {
		if (!stat(devs[i].node, &st) && st.st_rdev == want.st_rdev &&
		    S_ISCHR(st.st_mode) && S_ISCHR(want.st_mode)) {
			*out = devs[i].instance;
			return EXIT_OK;
		}
	}
	return absent("%s: %s is not the render node of a vphyr instance (see phyrctl list)",
		      opt, path);
}

int get_instance(const char *opt, const char *s, int *out)
{
	uint32_t v;

	if (s && s[0] == '/')
		return node_instance(opt, s, out);
	if (parse_u32(s, &v) || v > 0xffff)
		return usage_error("%s: '%s' is not an instance number or render node (see phyrctl list)",
				   opt, s);
	*out = v;
	return EXIT_OK;
}

static int get_region(const char *opt, const char *s, int *out)
{
	if (!strcmp(s, "vram") || !strcmp(s, "VRAM"))
		*out = VPHYR_REGION_VRAM;
	else if (!strcmp(s, "system") || !strcmp(s, "sys"))
		*out = VPHYR_REGION_SYSTEM;
	else
		return usage_error("%s: '%s' is neither vram nor system", opt, s);
	return EXIT_OK;
}

/* ---- options ---- */

enum opt_kind {
	ARG_FLAG,	/* sets a bool */
	ARG_SET,	/* sets an int to .value */
	ARG_INSTANCE,	/* int */
	ARG_INSTANCES,	/* appends to a struct instances (repeatable) */
	ARG_SIZE,	/* uint64_t, a nonzero multiple of the page size */
	ARG_U32,	/* uint32_t within .min and .max (.max 0: no limit) */
	ARG_REGION,	/* int: vram or system */
	ARG_STRING,	/* const char * */
};

struct opt_def {
	const char *name;
	char short_name;
	enum opt_kind kind;
	size_t field;		/* offset in struct opts */
	int value;		/* ARG_SET */
	uint32_t min, max;	/* ARG_U32 */
	const char *limits;	/* message when outside them */
};

#define FIELD(f) offsetof(struct opts, f)

/*
 * Every option of every command. A name may stand twice with different
 * meanings ("--from" is an instance for copy, a source for import) as long
 * as no command takes both.
 */
static const struct opt_def opt_defs[O_COUNT] = {
	[O_ON] = { "on", 'o', ARG_INSTANCE, FIELD(on) },
	[O_FROM] = { "from", 'f', ARG_INSTANCE, FIELD(on) },
	[O_SOURCE] = { "from", 'f', ARG_STRING, FIELD(source) },
	[O_TO] = { "to", 't', ARG_INSTANCE, FIELD(to) },
	[O_INTO] = { "into", 'i', ARG_INSTANCE, FIELD(to) },
	[O_INTO_ALL] = { "into", 'i', ARG_INSTANCES, FIELD(peers) },
	[O_PEER] = { "peer", 'p', ARG_INSTANCE, FIELD(peer) },
	[O_EXPORT_TO] = { "export-to", 'e', ARG_INSTANCES, FIELD(peers) },
	[O_IMPORT_TO] = { "import-to", 'i', ARG_INSTANCES, FIELD(peers) },
	[O_SIZE] = { "size", 's', ARG_SIZE, FIELD(size) },
	[O_VRAM] = { "vram", 0, ARG_SET, FIELD(region), VPHYR_REGION_VRAM },
	[O_SYSTEM] = { "system", 0, ARG_SET, FIELD(region), VPHYR_REGION_SYSTEM },
	[O_SRC] = { "src", 0, ARG_REGION, FIELD(src) },
	[O_DST] = { "dst", 0, ARG_REGION, FIELD(dst) },
	[O_SEED] = { "seed", 0, ARG_U32, FIELD(seed) },
	[O_EVICT] = { "evict", 0, ARG_FLAG, FIELD(evict) },
	[O_SHOW] = { "show", 'S', ARG_FLAG, FIELD(show) },
	[O_VERIFY] = { "verify", 'V', ARG_FLAG, FIELD(verify) },
	[O_NO_VERIFY] = { "no-verify", 0, ARG_FLAG, FIELD(no_verify) },
	[O_HOLD] = { "hold", 0, ARG_U32, FIELD(hold) },
	[O_ALL] = { "all", 0, ARG_SET, FIELD(table.max_rows), 0 },
	[O_RAW] = { "raw", 0, ARG_FLAG, FIELD(table.raw) },
	[O_EXPECT] = { "expect", 0, ARG_U32, FIELD(expect) },
	[O_FD] = { "fd", 0, ARG_U32, FIELD(fd) },
	[O_FD_NUMBER] = { "fd-number", 0, ARG_U32, FIELD(fd_number),
			  .min = 3, .max = 1000, .limits = "use 3 to 1000" },
	[O_WRITE] = { "write", 0, ARG_U32, FIELD(write) },
	[O_FILL] = { "fill", 0, ARG_FLAG, FIELD(fill) },
	[O_KEEP] = { "keep", 0, ARG_FLAG, FIELD(keep) },
	[O_REMOVE] = { "remove", 0, ARG_FLAG, FIELD(remove) },
	[O_ITERATIONS] = { "iterations", 0, ARG_U32, FIELD(iterations),
			   .min = 1, .limits = "at least 1" },
	[O_CYCLES] = { "cycles", 0, ARG_U32, FIELD(cycles),
		       .min = 1, .limits = "at least 1" },
	[O_NODE] = { "node", 0, ARG_STRING, FIELD(node) },
	[O_WIDTH] = { "width", 0, ARG_U32, FIELD(width),
		      .min = 1, .max = 16384, .limits = "1 to 16384" },
	[O_HEIGHT] = { "height", 0, ARG_U32, FIELD(height),
		       .min = 1, .max = 16384, .limits = "1 to 16384" },
	[O_VERBOSE] = { "verbose", 'v', ARG_FLAG, FIELD(verbose) },
	[O_NO_LINK] = { "no-link", 0, ARG_FLAG, FIELD(no_link) },
	[O_NO_GBM] = { "no-gbm", 0, ARG_FLAG, FIELD(no_gbm) },
	[O_JSON] = { "json", 0, ARG_FLAG, FIELD(json) },
};

/* the help of the running command, when -h or --help comes before "--" */
static bool want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			print_help(current, stdout);
			return true;
		}
	}
	return false;
}

static int add_instance(const char *opt, const char *arg,
			struct instances *l)
{
	int ret;

	if (l->n >= MAX_DEVS)
		return usage_error("%s: too many", opt);
	ret = get_instance(opt, arg, &l->v[l->n]);
	if (!ret)
		l->n++;
	return ret;
}

/* whether --json comes before "--" */
static bool want_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--json"))
			return true;
	}
	return false;
}

/* store the value of option @d, given as @arg, in @o */
static int apply_option(const struct opt_def *d, const char *arg,
			struct opts *o)
{
	void *f = (char *)o + d->field;
	char opt[32];
	int ret;

	snprintf(opt, sizeof(opt), "--%s", d->name);
	switch (d->kind) {
	case ARG_FLAG:
		*(bool *)f = true;
		return EXIT_OK;
	case ARG_SET:
		*(int *)f = d->value;
		return EXIT_OK;
	case ARG_INSTANCE:
		return get_instance(opt, arg, f);
	case ARG_INSTANCES:
		return add_instance(opt, arg, f);
	case ARG_SIZE:
		return get_size(opt, arg, f);
	case ARG_REGION:
		return get_region(opt, arg, f);
	case ARG_STRING:
		*(const char **)f = arg;
		return EXIT_OK;
	case ARG_U32:
		break;
	}
	ret = get_u32(opt, arg, f);
	if (!ret && (*(uint32_t *)f < d->min ||
		     (d->max && *(uint32_t *)f > d->max)))
		ret = usage_error("%s: %s", opt, d->limits);
	return ret;
}

/* the option a short letter stands for in @c, or -1 */
static int short_option(const struct command *c, int letter)
{
	int id;

	for (id = 0; id < O_COUNT; id++)
		if ((c->options & (UINT64_C(1) << id)) &&
		    opt_defs[id].short_name == letter)
			return id;
	return -1;
}

/* getopt_long()'s tables for the options of @c */
static void getopt_tables(const struct command *c, struct option *lo,
			  char *so)
{
	int id, n = 0;

	*so++ = '+';
	*so++ = ':';
	for (id = 0; id < O_COUNT; id++) {
		const struct opt_def *d = &opt_defs[id];
		bool arg = d->kind != ARG_FLAG && d->kind != ARG_SET;

		if (!(c->options & (UINT64_C(1) << id)))
			continue;
		lo[n++] = (struct option){ d->name, arg ? required_argument :
						 no_argument, NULL, 256 + id };
		if (d->short_name) {
			*so++ = d->short_name;
			if (arg)
				*so++ = ':';
		}
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	*so = '\0';
}

static void opts_init(const struct command *c, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->on = o->to = o->peer = NO_INSTANCE;
	o->size = c->size ? c->size : 4u << 20;
	o->seed = c->seed ? c->seed : 1;
	o->table.max_rows = c->rows ? c->rows : SHOW_DEFAULT_ROWS;
	o->fd_number = 3;
	o->iterations = 8;
	o->cycles = 50;
	o->width = 256;
	o->height = 64;
}

#define EXIT_HELP (-1)	/* help printed */

/*
 * Parse the options of @c in @argv[1..]; EXIT_OK, EXIT_HELP or EXIT_USAGE
 * (message printed).
 */
static int parse_options(const struct command *c, int argc, char **argv,
			 struct opts *o)
{
	struct option lo[O_COUNT + 1];
	char so[3 * O_COUNT + 3];
	const char *arg;
	int ch, id, ret;

	opts_init(c, o);
	if (want_help(argc, argv))
		return EXIT_HELP;
	getopt_tables(c, lo, so);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		id = ch >= 256 ? ch - 256 : short_option(c, ch);
		if (ch == ':' || ch == '?' || id < 0) {
			arg = optind > 0 && optind <= argc ? argv[optind - 1] :
							     "?";
			if (ch == ':')
				return usage_error("option '%s' needs a value",
						   arg);
			return usage_error("unknown option '%s'", arg);
		}
		ret = apply_option(&opt_defs[id], optarg, o);
		if (ret)
			return ret;
		o->given |= UINT64_C(1) << id;
	}
	if (optind >= argc)
		return EXIT_OK;
	if (!c->takes_command)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (strcmp(argv[optind - 1], "--"))
		return usage_error("unexpected argument '%s' (a command to run goes after --)",
				   argv[optind]);
	o->cmd = &argv[optind];
	return EXIT_OK;
}

/* ---- devices ---- */

int devs_load(struct devset *ds)
{
	int n;

	memset(ds, 0, sizeof(*ds));
	n = vphyr_list_devices(ds->info, MAX_DEVS);
	if (n < 0)
		return lib_error();
	ds->n = n < MAX_DEVS ? n : MAX_DEVS;
	if (!ds->n)
		return absent("no vphyr devices (is the vphyr driver loaded? this runs in the phyr test VM)");
	return EXIT_OK;
}

static int devs_index(const struct devset *ds, int instance)
{
	int i;

	for (i = 0; i < ds->n; i++)
		if ((int)ds->info[i].instance == instance)
			return i;
	return -1;
}

const struct vphyr_device_info *devs_info(const struct devset *ds,
					  int instance)
{
	int i = devs_index(ds, instance);

	return i < 0 ? NULL : &ds->info[i];
}

int devs_open(struct devset *ds, int instance, struct vphyr_dev **dev)
{
	char have[160] = "";
	size_t len;
	int i, ret;

	*dev = NULL;
	i = devs_index(ds, instance);
	if (i < 0) {
		for (i = 0; i < ds->n; i++) {
			len = strlen(have);
			snprintf(have + len, sizeof(have) - len, "%s%u",
				 i ? ", " : "", ds->info[i].instance);
		}
		return absent("no vphyr instance %d (there are: %s)", instance,
			      have);
	}
	if (!ds->dev[i]) {
		ret = vphyr_dev_open_node(ds->info[i].node, &ds->dev[i]);
		if (ret)
			return lib_error();
	}
	*dev = ds->dev[i];
	return EXIT_OK;
}

void devs_close(struct devset *ds)
{
	int i;

	for (i = 0; i < ds->n; i++) {
		vphyr_dev_close(ds->dev[i]);
		ds->dev[i] = NULL;
	}
}

int devs_vram(const struct devset *ds, int not)
{
	int i;

	for (i = 0; i < ds->n; i++)
		if ((ds->info[i].flags & VPHYR_DEV_VRAM) &&
		    (int)ds->info[i].instance != not)
			return ds->info[i].instance;
	return -1;
}

int devs_default_on(const struct devset *ds)
{
	int v = devs_vram(ds, NO_INSTANCE);

	if (v >= 0)
		return v;
	return ds->n ? (int)ds->info[0].instance : NO_INSTANCE;
}

int devs_default_peer(const struct devset *ds, int on)
{
	int v = devs_vram(ds, on), i;

	if (v >= 0)
		return v;
	for (i = 0; i < ds->n; i++)
		if ((int)ds->info[i].instance != on)
			return ds->info[i].instance;
	return on;
}

enum vphyr_region devs_region(const struct devset *ds, int instance, int want)
{
	const struct vphyr_device_info *info = devs_info(ds, instance);

	if (want)
		return want;
	return info && (info->flags & VPHYR_DEV_VRAM) ? VPHYR_REGION_VRAM :
						       VPHYR_REGION_SYSTEM;
}

/* ---- objects and checks ---- */

void json_check(const char *what, uint64_t size, uint32_t seed, uint64_t bad,
		uint64_t first_bad)
{
	struct jw w;

	if (!json_item("checks", &w))
		return;
	jw_str(&w, "what", what);
	jw_bool(&w, "ok", !bad);
	jw_u64(&w, "size", size);
	jw_u64(&w, "seed", seed);
	jw_u64(&w, "bad", bad);
	if (bad)
		jw_u64(&w, "first_bad", first_bad);
	else
		jw_null(&w, "first_bad");
	json_item_end(&w);
}

/* map @handle for the CPU and allocate a buffer of one chunk */
static int map_chunked(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
		       unsigned char **map, unsigned char **buf)
{
	if (vphyr_gem_map(dev, handle, size, (void **)map))
		return lib_error();
	*buf = malloc(size < CHUNK ? size : CHUNK);
	if (*buf)
		return EXIT_OK;
	vphyr_gem_unmap(*map, size);
	return error("out of memory");
}

void json_object(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
		 enum vphyr_region region, const uint32_t *seed)
{
	const struct vphyr_device_info *info = vphyr_dev_info(dev);
	struct jw w;

	if (!json_item("objects", &w))
		return;
	jw_u64(&w, "instance", info->instance);
	jw_str(&w, "node", info->node);
	jw_u64(&w, "handle", handle);
	jw_u64(&w, "size", size);
	jw_str(&w, "region", region == VPHYR_REGION_VRAM ? "vram" : "system");
	if (seed)
		jw_u64(&w, "seed", *seed);
	else
		jw_null(&w, "seed");
	json_item_end(&w);
}

void json_import(struct vphyr_dev *from, uint32_t from_handle,
		 const char *source, struct vphyr_dev *into, uint32_t handle)
{
	const struct vphyr_device_info *info = vphyr_dev_info(into);
	struct jw w;

	if (!json_item("imports", &w))
		return;
	jw_u64(&w, "instance", info->instance);
	jw_str(&w, "node", info->node);
	jw_u64(&w, "handle", handle);
	if (from) {
		jw_u64(&w, "from_instance", vphyr_dev_info(from)->instance);
		jw_u64(&w, "from_handle", from_handle);
	} else {
		jw_null(&w, "from_instance");
		jw_null(&w, "from_handle");
	}
	jw_str(&w, "source", source);
	json_item_end(&w);
}

int obj_create_filled(struct vphyr_dev *dev, uint64_t size,
		      enum vphyr_region region, uint32_t seed, struct obj *o)
{
	int ret;

	memset(o, 0, sizeof(*o));
	if (vphyr_gem_create(dev, size, region, &o->handle))
		return lib_error();
	o->dev = dev;
	o->size = size;
	o->region = region;
	ret = fill_cpu(dev, o->handle, size, seed);
	if (ret) {
		vphyr_gem_close(dev, o->handle);
		memset(o, 0, sizeof(*o));
		return ret;
	}
	json_object(dev, o->handle, size, region, &seed);
	return ret;
}

int obj_share(const struct obj *o, struct vphyr_dev *into, uint32_t *handle)
{
	int fd, ret;

	if (vphyr_gem_export(o->dev, o->handle, &fd))
		return lib_error();
	ret = vphyr_gem_import(into, fd, handle) ? lib_error() : EXIT_OK;
	close(fd);
	if (!ret)
		json_import(o->dev, o->handle, "vphyr", into, *handle);
	return ret;
}

/* A mismatch report, or "verified"; @pos: offset of the first bad byte. */
static int report_check(const char *what, uint64_t size, size_t bad,
			uint64_t pos, uint32_t seed, uint8_t got)
{
	char s[32];

	json_check(what, size, seed, bad, pos);
	if (!bad) {
		tprint("%sverified: %s (%s, pattern %u)\n", check_indent, what,
		       vphyr_size_name(size, s, sizeof(s)), seed);
		return EXIT_OK;
	}
	tprint("%sMISMATCH: %s: %zu of %" PRIu64 " bytes differ, first at offset 0x%" PRIx64 ": expected 0x%02x, got 0x%02x\n",
	       check_indent, what, bad, size, pos, phyr_pattern_byte(seed, pos), got);
	return EXIT_FAIL;
}

int verify_mem(const void *mem, uint64_t size, uint32_t seed,
	       const char *what)
{
	size_t first = 0, bad;

	bad = phyr_pattern_check(mem, size, seed, 0, &first);
	return report_check(what, size, bad, first, seed,
			    bad ? ((const uint8_t *)mem)[first] : 0);
}

/* the count of bad bytes and the first of them, over the chunks of a check */
struct check {
	size_t bad;
	uint64_t pos;
	uint8_t got;
};

static void check_chunk(struct check *c, const unsigned char *buf,
			uint64_t n, uint32_t seed, uint64_t off)
{
	size_t first = 0, b;

	b = phyr_pattern_check(buf, n, seed, off, &first);
	if (b && !c->bad) {
		c->pos = off + first;
		c->got = buf[first];
	}
	c->bad += b;
}

/*
 * Through a CPU mapping, in whole chunks (it may be uncached or
 * write-combined): write the pattern, or with @c, read it back and check.
 */
static int cpu_pass(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
		    uint32_t seed, struct check *c)
{
	unsigned char *map, *buf;
	uint64_t off, n;
	int ret;

	ret = map_chunked(dev, handle, size, &map, &buf);
	if (ret)
		return ret;
	for (off = 0; off < size; off += n) {
		n = size - off < CHUNK ? size - off : CHUNK;
		if (c) {
			memcpy(buf, map + off, n);
			check_chunk(c, buf, n, seed, off);
		} else {
			phyr_pattern_fill(buf, n, seed, off);
			memcpy(map + off, buf, n);
		}
	}
	free(buf);
	vphyr_gem_unmap(map, size);
	return EXIT_OK;
}

int fill_cpu(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
	     uint32_t seed)
{
	return cpu_pass(dev, handle, size, seed, NULL);
}

int verify_cpu(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
	       uint32_t seed, const char *what)
{
	struct check c = { 0 };
	int ret;

	ret = cpu_pass(dev, handle, size, seed, &c);
	if (ret)
		return ret;
	return report_check(what, size, c.bad, c.pos, seed, c.got);
}

int verify_dma(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
	       uint32_t seed, const char *what)
{
	struct check c = { 0 };
	unsigned char *buf;
	uint64_t off, n;
	int ret = EXIT_OK;

	/* zeroed: the kernel fills it, valgrind must see defined bytes */
	buf = calloc(1, size < CHUNK ? size : CHUNK);
	if (!buf)
		return error("out of memory");
	for (off = 0; off < size; off += n) {
		n = size - off < CHUNK ? size - off : CHUNK;
		if (vphyr_gem_read(dev, handle, off, buf, n)) {
			ret = lib_error();
			break;
		}
		check_chunk(&c, buf, n, seed, off);
	}
	free(buf);
	if (ret)
		return ret;
	return report_check(what, size, c.bad, c.pos, seed, c.got);
}

int fill_dma(struct vphyr_dev *dev, uint32_t handle, uint64_t size,
	     uint32_t seed)
{
	uint64_t off, n;
	void *buf;
	int ret = EXIT_OK;

	buf = malloc(size < CHUNK ? size : CHUNK);
	if (!buf)
		return error("out of memory");
	for (off = 0; off < size; off += n) {
		n = size - off < CHUNK ? size - off : CHUNK;
		phyr_pattern_fill(buf, n, seed, off);
		if (vphyr_gem_write(dev, handle, off, buf, n)) {
			ret = lib_error();
			break;
		}
	}
	free(buf);
	return ret;
}

/* ---- range tables ---- */

static void add_word(char *buf, size_t len, const char *w)
{
	size_t n = strlen(buf);
	const char *p = buf;

	/* already there as a whole word? */
	while ((p = strstr(p, w))) {
		size_t l = strlen(w);

		if ((p == buf || p[-1] == '+') && (p[l] == '\0' || p[l] == '+'))
			return;
		p += l;
	}
	snprintf(buf + n, len - n, "%s%s", n ? "+" : "", w);
}

void table_summary(const struct vphyr_ranges *t, char *buf, size_t len)
{
	char ic[64] = "", via[96] = "";
	uint32_t i, mmio = 0;

	for (i = 0; i < t->count; i++) {
		add_word(ic, sizeof(ic), vphyr_ic_name(t->range[i].ic));
		if (t->kind == VPHYR_RANGES_KIND_DMA)
			add_word(via, sizeof(via),
				 vphyr_via_name(t->range[i].via));
		mmio += t->range[i].mmio;
	}
	snprintf(buf, len, "interconnect %s%s%s%s", t->count ? ic : "none",
		 via[0] ? ", via " : "", via,
		 !mmio ? "" : mmio == t->count ? ", mmio" : ", partly mmio");
}

int import_summary(struct vphyr_dev *dev, uint32_t handle, const char *noun,
		   char *buf, size_t len)
{
	struct vphyr_ranges t;
	char sum[192];

	if (vphyr_gem_ranges(dev, handle, &t))
		return lib_error();
	table_summary(&t, sum, sizeof(sum));
	snprintf(buf, len, "%u %s%s, %s", t.count, noun,
		 t.count == 1 ? "" : "s", sum);
	vphyr_ranges_free(&t);
	return EXIT_OK;
}

static void json_table(struct vphyr_dev *dev, uint32_t handle,
		       const struct vphyr_ranges *t, const char *summary)
{
	const struct vphyr_device_info *info = vphyr_dev_info(dev);
	struct jw w, rs, r;
	uint32_t i;

	if (!json_item("tables", &w))
		return;
	jw_u64(&w, "instance", info->instance);
	jw_str(&w, "node", info->node);
	jw_u64(&w, "handle", handle);
	jw_str(&w, "kind", t->kind == VPHYR_RANGES_KIND_DMA ? "dma" : "phys");
	jw_str(&w, "placement", vphyr_placement_name(t->placement));
	jw_u64(&w, "generation", t->generation);
	jw_u64(&w, "count", t->count);
	jw_u64(&w, "total_len", t->total_len);
	jw_str(&w, "summary", summary);
	jw_open(&w, "ranges", '[', &rs);
	for (i = 0; i < t->count; i++) {
		const struct vphyr_range *e = &t->range[i];

		jw_open(&rs, NULL, '{', &r);
		jw_u64(&r, "index", i);
		jw_u64(&r, "addr", e->addr);
		jw_u64(&r, "len", e->len);
		jw_str(&r, "ic", vphyr_ic_name(e->ic));
		jw_str(&r, "via", vphyr_via_name(e->via));
		jw_bool(&r, "mmio", e->mmio);
		jw_bool(&r, "pinned", e->pinned);
		jw_u64(&r, "flags", e->flags);
		jw_close(&r, '}');
	}
	jw_close(&rs, ']');
	json_item_end(&w);
}

int show_ranges(struct vphyr_dev *dev, uint32_t handle,
		const struct show_opts *o, struct vphyr_ranges *out)
{
	const char *in = o && o->indent ? o->indent : "  ";
	int max = o ? o->max_rows : SHOW_DEFAULT_ROWS;
	struct vphyr_ranges t;
	char s[32], sum[192];
	uint32_t i, shown;

	if (vphyr_gem_ranges(dev, handle, &t))
		return lib_error();
	tprint("%s%s of handle %u on %s: placement %s, %u %s, %s, generation %u\n",
	       in, t.kind == VPHYR_RANGES_KIND_DMA ? "dma_range table" : "phyr list",
	       handle, vphyr_dev_name(dev), vphyr_placement_name(t.placement),
	       t.count, t.count == 1 ? "entry" : "entries",
	       vphyr_size_name(t.total_len, s, sizeof(s)), t.generation);
	tprint("%s  %4s  %-18s  %-18s  %-9s  %-6s  %-4s  %-6s  %s\n", in,
	       "idx", t.kind == VPHYR_RANGES_KIND_DMA ? "dma address" : "phys address",
	       "length", "size", "ic", "mmio", "pinned",
	       o && o->raw ? "via          flags" : "via");
	shown = max > 0 && t.count > (uint32_t)max ? (uint32_t)max : t.count;
	for (i = 0; i < shown; i++) {
		const struct vphyr_range *r = &t.range[i];
		char via[32];

		if (o && o->raw)
			snprintf(via, sizeof(via), "%-11s  0x%02x",
				 vphyr_via_name(r->via), r->flags);
		else
			snprintf(via, sizeof(via), "%s", vphyr_via_name(r->via));
		tprint("%s  %4u  0x%016" PRIx64 "  0x%016" PRIx64 "  %-9s  %-6s  %-4s  %-6s  %s\n",
		       in, i, r->addr, r->len, vphyr_size_name(r->len, s, sizeof(s)),
		       vphyr_ic_name(r->ic), r->mmio ? "yes" : "no",
		       r->pinned ? "yes" : "no", via);
	}
	if (shown < t.count)
		tprint("%s  ... %u more (--all shows every entry)\n", in,
		       t.count - shown);
	table_summary(&t, sum, sizeof(sum));
	tprint("%s  summary: %s\n", in, sum);
	json_table(dev, handle, &t, sum);
	if (out)
		*out = t;
	else
		vphyr_ranges_free(&t);
	return EXIT_OK;
}

/* ---- list ---- */

static void json_instance(const struct vphyr_device_info *d)
{
	struct jw w;

	if (!json_item("instances", &w))
		return;
	jw_u64(&w, "instance", d->instance);
	jw_str(&w, "node", d->node);
	jw_str(&w, "bus", d->bus[0] ? d->bus : NULL);
	jw_bool(&w, "vram", d->flags & VPHYR_DEV_VRAM);
	jw_u64(&w, "vram_size", d->vram_size);
	if (d->vram_base)
		jw_u64(&w, "vram_base", d->vram_base);
	else
		jw_null(&w, "vram_base");
	jw_bool(&w, "iommu", d->flags & VPHYR_DEV_IOMMU);
	if (d->link_peer != VPHYR_NO_PEER)
		jw_u64(&w, "link_peer", d->link_peer);
	else
		jw_null(&w, "link_peer");
	json_item_end(&w);
}

static int run_list(const struct opts *o)
{
	struct vphyr_device_info *d;
	char vgem[64], s[32], base[32], peer[16];
	int i, nvram = 0, nlinked = 0, ret;
	struct devset *ds;
	bool vgem_found;

	(void)o;
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return error("out of memory");
	ret = devs_load(ds);
	if (ret) {
		free(ds);
		return ret;
	}
	tprint("%-8s  %-20s  %-20s  %-9s  %-18s  %-5s  %s\n", "instance",
	       "node", "bus", "VRAM", "VRAM base", "IOMMU", "link");
	for (i = 0; i < ds->n; i++) {
		d = &ds->info[i];
		if (d->flags & VPHYR_DEV_VRAM) {
			nvram++;
			vphyr_size_name(d->vram_size, s, sizeof(s));
		} else {
			snprintf(s, sizeof(s), "-");
		}
		if (d->vram_base)
			snprintf(base, sizeof(base), "0x%" PRIx64, d->vram_base);
		else
			snprintf(base, sizeof(base), "%s",
				 d->flags & VPHYR_DEV_VRAM ? "(root only)" : "-");
		if (d->link_peer != VPHYR_NO_PEER) {
			nlinked++;
			snprintf(peer, sizeof(peer), "%u", d->link_peer);
		} else {
			snprintf(peer, sizeof(peer), "-");
		}
		tprint("%-8u  %-20s  %-20s  %-9s  %-18s  %-5s  %s\n",
		       d->instance, d->node, d->bus[0] ? d->bus : "?", s, base,
		       d->flags & VPHYR_DEV_IOMMU ? "yes" : "no", peer);
		json_instance(d);
	}
	vgem_found = !vphyr_find_drm_node("vgem", true, vgem, sizeof(vgem));
	tprint("vgem: %s\n", vgem_found ? vgem : "none");
	tprint("%d vphyr instance(s), %d with VRAM, %d linked\n", ds->n, nvram,
	       nlinked);
	if (json_mode) {
		jw_str(json_top(), "vgem", vgem_found ? vgem : NULL);
		jw_int(json_top(), "count", ds->n);
		jw_int(json_top(), "with_vram", nvram);
		jw_int(json_top(), "linked", nlinked);
	}
	free(ds);
	return EXIT_OK;
}

const struct command cmd_list = {
	.name = "list",
	.synopsis = "[--json]",
	.summary = "list the vphyr instances (and vgem)",
	.help =
		"List the vphyr instances: number, render node, bus, VRAM size and\n"
		"physical base (shown to root only), whether an IOMMU translates its\n"
		"DMA, and the instance it is linked with. Then vgem's card node (used\n"
		"by gbm-import) and a count: \"N vphyr instance(s), M with VRAM, L linked\".\n"
		"\n"
		"      --json          print a JSON document instead (see phyrctl --help):\n"
		"                      instances (instance, node, bus, vram, vram_size,\n"
		"                      vram_base or null, iommu, link_peer or null), vgem\n"
		"                      (its card node or null), count, with_vram, linked\n"
		"\n"
		"Exits 3 with \"no vphyr devices\" when there is none.\n",
	.options = OPTS_DATA,
	.run = run_list,
};

/* ---- main ---- */

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *c;
	struct opts o;
	int ret;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("phyrctl %s\n", PHYR_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return EXIT_OK;
		}
		c = find_command(argv[2]);
		if (!c)
			return usage_error("unknown command '%s'", argv[2]);
		print_help(c, stdout);
		return EXIT_OK;
	}
	c = find_command(argv[1]);
	if (!c)
		return usage_error("unknown command '%s'", argv[1]);
	current = c;
	/* on before parsing, so that a bad option is reported in JSON too */
	if ((c->options & OPT(JSON)) && want_json(argc - 1, argv + 1)) {
		if (json_begin())
			return error("out of memory");
		json_mode = true;
	}
	ret = parse_options(c, argc - 1, argv + 1, &o);
	if (ret == EXIT_HELP)
		return EXIT_OK;
	if (!ret)
		ret = c->run(&o);
	if (json_mode)
		json_finish(c->name, ret);
	return ret;
}
