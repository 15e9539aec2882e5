// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyrctl: the object commands: alloc, export, import, ranges, copy,
 * evict, link.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/udmabuf.h>
#include <xf86drm.h>

#include "phyrctl.h"

/* the options of the commands that make an object */
#define OPTS_OBJECT (OPT(ON) | OPT(SIZE) | OPT(VRAM) | OPT(SYSTEM) | OPT(SEED))

/*
 * Find the instances and make an object on --on (default: the first with
 * VRAM) in --vram, --system or its default place, filled from the CPU with
 * @seed. The caller closes @ds, also after a failure.
 */
static int create_on(struct devset *ds, const struct opts *opt, uint32_t seed,
		     struct vphyr_dev **dev, struct obj *o)
{
	int on = opt->on, ret;

	ret = devs_load(ds);
	if (ret)
		return ret;
	if (on == NO_INSTANCE)
		on = devs_default_on(ds);
	ret = devs_open(ds, on, dev);
	if (ret)
		return ret;
	return obj_create_filled(*dev, opt->size, devs_region(ds, on, opt->region),
				 seed, o);
}

/* import @o into @instance; prints "@what into INSTANCE as handle H" */
static int share_with(struct devset *ds, const struct obj *o, int instance,
		      struct vphyr_dev **imp, uint32_t *ih, const char *what)
{
	int ret;

	ret = devs_open(ds, instance, imp);
	if (!ret)
		ret = obj_share(o, *imp, ih);
	if (!ret)
		tprint("%s into %s as handle %u\n", what, vphyr_dev_name(*imp),
		       *ih);
	return ret;
}

/* share_with() each instance of @peers in turn, into @imp[i] as @ih[i] */
static int share_all(struct devset *ds, const struct obj *o,
		     const struct instances *peers, struct vphyr_dev **imp,
		     uint32_t *ih, const char *what)
{
	int i, ret = EXIT_OK;

	for (i = 0; i < peers->n && !ret; i++)
		ret = share_with(ds, o, peers->v[i], &imp[i], &ih[i], what);
	return ret;
}

/*
 * Each importer reads the object through its (@new) DMA addresses; nonzero
 * when one of them does not see @seed.
 */
static int verify_importers(struct vphyr_dev **imp, const uint32_t *ih, int n,
			    uint64_t size, uint32_t seed, const char *new)
{
	char what[200];
	int i, ret = 0;

	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what),
			 "%s reads it through its %sDMA addresses",
			 vphyr_dev_name(imp[i]), new);
		ret |= verify_dma(imp[i], ih[i], size, seed, what);
	}
	return ret;
}

/* the "dmabuf" member: what the kernel tells about it */
static void json_dmabuf(const struct vphyr_dmabuf_info *di, const char *from)
{
	struct jw w;

	if (!json_mode)
		return;
	jw_open(json_top(), "dmabuf", '{', &w);
	jw_u64(&w, "size", di->size);
	jw_u64(&w, "inode", di->inode);
	jw_str(&w, "exporter", di->exporter);
	if (from)
		jw_str(&w, "from", from);
	jw_close(&w, '}');
}

static const char *region_name(enum vphyr_region r)
{
	return r == VPHYR_REGION_VRAM ? "VRAM" : "system memory";
}

/* ---- alloc ---- */

static int run_alloc(const struct opts *opt)
{
	int nto = opt->peers.n, i, ret;
	uint32_t seed = opt->seed, ih[MAX_DEVS];
	struct vphyr_dev *dev, *imp[MAX_DEVS];
	uint64_t size = opt->size;
	struct devset ds;
	struct obj o;
	char s[32];

	ret = create_on(&ds, opt, seed, &dev, &o);
	if (ret)
		goto out;
	tprint("alloc: handle %u on %s: %s in %s, filled by the CPU with pattern %u\n",
	       o.handle, vphyr_dev_name(dev), vphyr_size_name(size, s, sizeof(s)),
	       region_name(o.region), seed);
	ret = share_all(&ds, &o, &opt->peers, imp, ih, "alloc: exported as a dma-buf and imported");
	if (ret)
		goto out;
	if (opt->evict) {
		if (vphyr_gem_evict(dev, o.handle)) {
			ret = lib_error();
			goto out;
		}
		tprint("alloc: evicted handle %u to system memory\n", o.handle);
	}
	if (json_mode)
		jw_bool(json_top(), "evicted", opt->evict);
	if (opt->show) {
		ret = show_ranges(dev, o.handle, &opt->table, NULL);
		for (i = 0; i < nto && !ret; i++)
			ret = show_ranges(imp[i], ih[i], &opt->table, NULL);
		if (ret)
			goto out;
	}
	if (opt->verify) {
		ret = verify_cpu(dev, o.handle, size, seed,
				 "the CPU reads it through its mapping");
		ret |= verify_dma(dev, o.handle, size, seed,
				  "its device reads it through its DMA addresses");
		ret |= verify_importers(imp, ih, nto, size, seed, "");
		ret = ret ? EXIT_FAIL : EXIT_OK;
	}
	if (opt->hold) {
		tprint("alloc: holding everything for %u s\n", opt->hold);
		fflush(stdout);
		sleep(opt->hold);
	}
out:
	devs_close(&ds);
	return ret;
}

const struct command cmd_alloc = {
	.name = "alloc",
	.synopsis = "[--on N] [--size SIZE] [--vram|--system] [--seed S]\n"
		    "                     [--export-to M]... [--evict] [--show] [--verify]\n"
		    "                     [--hold SECONDS] [--all] [--raw] [--json]",
	.summary = "create an object, fill it, share it, show and check it",
	.help =
		"Create an object on instance N and fill it from the CPU (through mmap)\n"
		"with a pattern. Everything else happens in the same process, since the\n"
		"object goes away when phyrctl exits: share it with other instances,\n"
		"evict it, print the tables, check the data.\n"
		"\n"
		"  -o, --on N          instance that creates it (default: the first one\n"
		"                      with VRAM)\n"
		"  -s, --size SIZE     bytes, a multiple of the page size (default 4M)\n"
		"      --vram          in VRAM (default when the instance has VRAM)\n"
		"      --system        in system memory\n"
		"      --seed S        pattern seed (default 1)\n"
		"  -e, --export-to M   export it as a dma-buf and import it into\n"
		"                      instance M (repeatable)\n"
		"      --evict         then evict it to system memory\n"
		"  -S, --show          print its phyr list and each importer's\n"
		"                      dma_range table\n"
		"  -V, --verify        check it through the CPU mapping and let every\n"
		"                      holder read it through its DMA addresses\n"
		"      --hold SECONDS  keep it all alive that long before exiting\n"
		"      --all           print every table entry (default: the first 16)\n"
		"      --raw           add the raw flag bits to the tables\n"
		"\n"
		"Example: phyrctl alloc --on 1 --size 4M --vram --export-to 2 --show --verify\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects, imports, tables (with --show), checks (with --verify),\n"
		"evicted.\n",
	.options = OPTS_OBJECT | OPT(EXPORT_TO) | OPT(EVICT) | OPT(SHOW) |
		   OPT(VERIFY) | OPT(HOLD) | OPTS_TABLE |
		   OPTS_DATA,
	.run = run_alloc,
};

/* ---- export ---- */

static int run_command(int dmabuf, int fdnum, uint64_t size, uint32_t seed,
		       char **cmd)
{
	char num[32];
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return error("fork: %s", strerror(errno));
	if (!pid) {
		/* under --json, stdout is the document's */
		if (json_mode && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		if (dmabuf == fdnum) {
			if (fcntl(dmabuf, F_SETFD, 0) < 0)
				_exit(127);
		} else if (dup2(dmabuf, fdnum) < 0) {
			_exit(127);
		}
		snprintf(num, sizeof(num), "%d", fdnum);
		setenv("PHYR_DMABUF_FD", num, 1);
		snprintf(num, sizeof(num), "%" PRIu64, size);
		setenv("PHYR_DMABUF_SIZE", num, 1);
		snprintf(num, sizeof(num), "%u", seed);
		setenv("PHYR_SEED", num, 1);
		execvp(cmd[0], cmd);
		fprintf(stderr, "phyrctl export: cannot run %s: %s\n", cmd[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return error("waitpid: %s", strerror(errno));
	}
	if (WIFSIGNALED(status)) {
		tprint("export: %s was killed by signal %d\n", cmd[0],
		       WTERMSIG(status));
		if (json_mode) {
			jw_null(json_top(), "child_status");
			jw_int(json_top(), "child_signal", WTERMSIG(status));
		}
		return EXIT_FAIL;
	}
	tprint("export: %s exited with status %d\n", cmd[0],
	       WEXITSTATUS(status));
	if (json_mode) {
		jw_int(json_top(), "child_status", WEXITSTATUS(status));
		jw_null(json_top(), "child_signal");
	}
	return WEXITSTATUS(status);
}

static int run_export(const struct opts *opt)
{
	bool have_expect = opt_given(opt, O_EXPECT);
	uint32_t seed = opt->seed, ih;
	struct vphyr_dmabuf_info di;
	uint64_t size = opt->size;
	char **cmd = opt->cmd;
	struct vphyr_dev *dev;
	char s[32], what[160];
	int i, ret, fd = -1;
	struct devset ds;
	struct obj o;

	if (have_expect && !cmd)
		return usage_error("--expect needs a command (after --) that writes the object");

	ret = create_on(&ds, opt, seed, &dev, &o);
	if (ret)
		goto out;
	if (vphyr_gem_export(dev, o.handle, &fd) || vphyr_dmabuf_info(fd, &di)) {
		ret = lib_error();
		goto out;
	}
	tprint("export: handle %u on %s (%s in %s, pattern %u) is dma-buf fd %d\n",
	       o.handle, vphyr_dev_name(dev), vphyr_size_name(size, s, sizeof(s)),
	       region_name(o.region), seed, fd);
	tprint("export: dma-buf: %" PRIu64 " bytes, inode %" PRIu64 ", exporter \"%s\"\n",
	       di.size, di.inode, di.exporter);
	json_dmabuf(&di, NULL);
	ret = show_ranges(dev, o.handle, &opt->table, NULL);
	for (i = 0; i < opt->peers.n && !ret; i++) {
		struct vphyr_dev *imp;

		ret = share_with(&ds, &o, opt->peers.v[i], &imp, &ih,
				 "export: imported");
		if (ret)
			break;
		ret = show_ranges(imp, ih, &opt->table, NULL);
		snprintf(what, sizeof(what), "%s reads it through its DMA addresses",
			 vphyr_dev_name(imp));
		ret = ret ? ret : verify_dma(imp, ih, size, seed, what);
	}
	if (ret || !cmd)
		goto out;

	tprint("export: running %s with the dma-buf as fd %u\n", cmd[0],
	       opt->fd_number);
	ret = run_command(fd, opt->fd_number, size, seed, cmd);
	if (have_expect) {
		int r;

		r = verify_cpu(dev, o.handle, size, opt->expect,
			       "the exporter's CPU sees what the command wrote");
		r |= verify_dma(dev, o.handle, size, opt->expect,
				"the exporter's device sees what the command wrote");
		if (r && !ret)
			ret = EXIT_FAIL;
	}
out:
	if (fd >= 0)
		close(fd);
	devs_close(&ds);
	return ret;
}

const struct command cmd_export = {
	.name = "export",
	.synopsis = "[--on N] [--size SIZE] [--vram|--system] [--seed S]\n"
		    "                      [--import-to M]... [--all] [--raw] [--json]\n"
		    "                      [--fd-number K] [--expect S2] [-- COMMAND [ARG]...]",
	.summary = "export an object as a dma-buf, optionally to another program",
	.help =
		"Create an object on instance N, fill it from the CPU with pattern S,\n"
		"export it as a dma-buf and print what the kernel says about the dma-buf\n"
		"(size, inode, exporter) and the object's phyr list.\n"
		"\n"
		"  -o, --on N          exporting instance (default: the first with VRAM)\n"
		"  -s, --size SIZE     bytes (default 4M)\n"
		"      --vram|--system placement (default: VRAM when the instance has it)\n"
		"      --seed S        pattern seed (default 1)\n"
		"  -i, --import-to M   import the dma-buf into instance M here, print its\n"
		"                      table and check the data (repeatable)\n"
		"      --all, --raw    table options (see alloc)\n"
		"\n"
		"With a COMMAND after --, run it with the dma-buf open as file descriptor\n"
		"K (--fd-number, default 3) and PHYR_DMABUF_FD=K, PHYR_DMABUF_SIZE=bytes,\n"
		"PHYR_SEED=S in its environment; exit with its status. The object lives\n"
		"until the command ends. --expect S2 then checks that the object holds\n"
		"pattern S2 (what the command wrote) through the CPU and by DMA.\n"
		"\n"
		"Example, sharing between two processes:\n"
		"  phyrctl export --on 1 --size 1M --expect 7 -- \\\n"
		"      phyrctl import --fd 3 --into 2 --write 7\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects, imports, tables, checks, dmabuf (size, inode, exporter),\n"
		"and with a COMMAND child_status and child_signal (one of them null);\n"
		"the COMMAND's stdout goes to stderr.\n",
	.options = OPTS_OBJECT | OPT(IMPORT_TO) | OPT(FD_NUMBER) | OPT(EXPECT) |
		   OPTS_TABLE |
		   OPTS_DATA,
	.takes_command = true,
	.run = run_export,
};

/* ---- import ---- */

/* where the dma-buf comes from */
struct source {
	const char *desc;
	int fd;			/* the dma-buf */
	uint64_t size;
	/* what is needed to check writes, and to release it */
	struct vphyr_dev *dev;	/* --from N */
	uint32_t handle;
	int vgem_fd;		/* --from vgem */
	int memfd;		/* --from udmabuf */
	void *map;		/* vgem or memfd mapping */
	uint64_t map_size;
	char descbuf[160];
};

static void source_release(struct source *src)
{
	if (src->map)
		munmap(src->map, src->map_size);
	if (src->fd >= 0)
		close(src->fd);
	if (src->vgem_fd >= 0)
		close(src->vgem_fd);
	if (src->memfd >= 0)
		close(src->memfd);
}

static int source_vgem(struct source *src, uint64_t size, uint32_t seed)
{
	struct drm_mode_create_dumb c = { 0 };
	struct drm_mode_map_dumb m = { 0 };
	char node[64];
	void *p;

	if (vphyr_find_drm_node("vgem", true, node, sizeof(node)))
		return absent("%s", vphyr_last_error());
	src->vgem_fd = open(node, O_RDWR | O_CLOEXEC);
	if (src->vgem_fd < 0)
		return error("open %s: %s", node, strerror(errno));
	/* rows of 4096 bytes: 1024 pixels of 32 bits */
	c.width = 1024;
	c.height = size / 4096;
	c.bpp = 32;
	if (!c.height || size % 4096)
		return usage_error("--size: vgem buffers here are multiples of 4096 bytes");
	if (drmIoctl(src->vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		return error("vgem: CREATE_DUMB %ux%u: %s", c.width, c.height,
			     strerror(errno));
	m.handle = c.handle;
	if (drmIoctl(src->vgem_fd, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return error("vgem: MAP_DUMB: %s", strerror(errno));
	p = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 src->vgem_fd, m.offset);
	if (p == MAP_FAILED)
		return error("vgem: mmap: %s", strerror(errno));
	src->map = p;
	src->map_size = c.size;
	src->size = c.size;
	phyr_pattern_fill(p, c.size, seed, 0);
	if (drmPrimeHandleToFD(src->vgem_fd, c.handle, DRM_CLOEXEC | DRM_RDWR,
			       &src->fd)) {
		src->fd = -1;
		return error("vgem: PRIME export: %s", strerror(errno));
	}
	snprintf(src->descbuf, sizeof(src->descbuf),
		 "a vgem dumb buffer (%s, %ux%u, 32 bpp)", node, c.width,
		 c.height);
	src->desc = src->descbuf;
	return EXIT_OK;
}

static int source_udmabuf(struct source *src, uint64_t size, uint32_t seed)
{
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC, .offset = 0, .size = size,
	};
	int ub;
	void *p;

	ub = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (ub < 0)
		return absent("/dev/udmabuf: %s", strerror(errno));
	src->memfd = memfd_create("phyrctl", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (src->memfd < 0 || ftruncate(src->memfd, size) ||
	    fcntl(src->memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		close(ub);
		return error("memfd for udmabuf: %s", strerror(errno));
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, src->memfd, 0);
	if (p == MAP_FAILED) {
		close(ub);
		return error("mmap memfd: %s", strerror(errno));
	}
	src->map = p;
	src->map_size = size;
	src->size = size;
	phyr_pattern_fill(p, size, seed, 0);
	create.memfd = src->memfd;
	src->fd = ioctl(ub, UDMABUF_CREATE, &create);
	close(ub);
	if (src->fd < 0) {
		src->fd = -1;
		return error("UDMABUF_CREATE: %s", strerror(errno));
	}
	src->desc = "a udmabuf (memfd pages)";
	return EXIT_OK;
}

static int run_import(const struct opts *opt)
{
	struct source src = { .fd = -1, .vgem_fd = -1, .memfd = -1 };
	bool have_fd = opt_given(opt, O_FD);
	int into = opt->to, from = NO_INSTANCE, ret;
	uint32_t seed = opt->seed, fdarg = opt->fd, wseed, ih;
	const char *from_arg = opt->source, *env;
	struct vphyr_dmabuf_info di;
	uint64_t size = opt->size;
	struct vphyr_dev *dev;
	char s[32], what[200];
	struct devset ds;
	struct obj o;

	if (have_fd == !!from_arg)
		return usage_error("give exactly one of --fd K and --from SOURCE");
	if (from_arg && strcmp(from_arg, "vgem") && strcmp(from_arg, "udmabuf")) {
		ret = get_instance("--from", from_arg, &from);
		if (ret)
			return ret;
	}
	if (have_fd) {
		if (fcntl(fdarg, F_GETFD) < 0)
			return usage_error("--fd %u: not an open file descriptor",
					   fdarg);
		env = getenv("PHYR_SEED");
		if (!opt_given(opt, O_SEED) && env && parse_u32(env, &seed))
			return usage_error("PHYR_SEED='%s' is not a number", env);
	}

	ret = devs_load(&ds);
	if (ret)
		return ret;
	if (into == NO_INSTANCE)
		into = from != NO_INSTANCE ? devs_default_peer(&ds, from) :
					     devs_default_on(&ds);
	ret = devs_open(&ds, into, &dev);
	if (ret)
		goto out;

	if (have_fd) {
		/* a duplicate, so that closing it here leaves the caller's */
		src.fd = fcntl(fdarg, F_DUPFD_CLOEXEC, 3);
		if (src.fd < 0) {
			ret = error("dup of fd %u: %s", fdarg, strerror(errno));
			goto out;
		}
		snprintf(src.descbuf, sizeof(src.descbuf),
			 "inherited file descriptor %u", fdarg);
		src.desc = src.descbuf;
	} else if (from != NO_INSTANCE) {
		ret = devs_open(&ds, from, &src.dev);
		if (ret)
			goto out;
		ret = obj_create_filled(src.dev, size,
					devs_region(&ds, from, opt->region),
					seed, &o);
		if (ret)
			goto out;
		src.handle = o.handle;
		if (vphyr_gem_export(src.dev, o.handle, &src.fd)) {
			ret = lib_error();
			goto out;
		}
		snprintf(src.descbuf, sizeof(src.descbuf),
			 "handle %u on %s (%s)", o.handle,
			 vphyr_dev_name(src.dev), region_name(o.region));
		src.desc = src.descbuf;
	} else if (!strcmp(from_arg, "vgem")) {
		ret = source_vgem(&src, size, seed);
	} else {
		ret = source_udmabuf(&src, size, seed);
	}
	if (ret)
		goto out;
	if (vphyr_dmabuf_info(src.fd, &di)) {
		ret = lib_error();
		goto out;
	}
	src.size = di.size;
	tprint("import: dma-buf from %s: %s, exporter \"%s\", inode %" PRIu64 "\n",
	       src.desc, vphyr_size_name(di.size, s, sizeof(s)), di.exporter,
	       di.inode);
	json_dmabuf(&di, src.desc);
	if (vphyr_gem_import(dev, src.fd, &ih)) {
		ret = lib_error();
		goto out;
	}
	tprint("import: imported into %s as handle %u\n", vphyr_dev_name(dev),
	       ih);
	json_import(src.dev, src.handle, have_fd ? "fd" : from_arg, dev, ih);
	ret = show_ranges(dev, ih, &opt->table, NULL);
	if (ret)
		goto out;
	if (!opt->no_verify) {
		snprintf(what, sizeof(what),
			 "%s reads the dma-buf through its DMA addresses",
			 vphyr_dev_name(dev));
		ret = verify_dma(dev, ih, src.size, seed, what);
	}
	if (ret || !opt_given(opt, O_WRITE))
		goto out;

	wseed = opt->write;
	ret = fill_dma(dev, ih, src.size, wseed);
	if (ret)
		goto out;
	tprint("import: %s wrote pattern %u through its DMA addresses\n",
	       vphyr_dev_name(dev), wseed);
	if (json_mode)
		jw_u64(json_top(), "write_seed", wseed);
	if (src.dev)
		ret = verify_cpu(src.dev, src.handle, src.size, wseed,
				 "the exporter's CPU mapping shows the write");
	else if (src.map)
		ret = verify_mem(src.map, src.size, wseed,
				 "the exporter's CPU mapping shows the write");
	else
		ret = verify_dma(dev, ih, src.size, wseed,
				 "the importer reads its write back (the exporting process checks its side)");
out:
	source_release(&src);
	devs_close(&ds);
	return ret;
}

const struct command cmd_import = {
	.name = "import",
	.synopsis = "(--fd K | --from SOURCE) [--into M] [--size SIZE]\n"
		    "                      [--vram|--system] [--seed S] [--write S2]\n"
		    "                      [--no-verify] [--all] [--raw] [--json]",
	.summary = "import a dma-buf (inherited, vphyr, vgem, udmabuf) and check it",
	.help =
		"Import a dma-buf into instance M, print the dma_range table M uses for\n"
		"it, and let M read it through those DMA addresses and compare.\n"
		"\n"
		"  -i, --into M       importing instance (default: the first with VRAM;\n"
		"                     with --from N, another instance than N)\n"
		"      --fd K         a dma-buf inherited as file descriptor K, e.g. from\n"
		"                     'phyrctl export -- phyrctl import --fd 3'; its\n"
		"                     pattern seed comes from PHYR_SEED unless --seed\n"
		"  -f, --from SOURCE  make the dma-buf here: an instance number (an\n"
		"                     object in VRAM when it has VRAM, see --system),\n"
		"                     \"vgem\" (a dumb buffer of vgem) or \"udmabuf\" (memfd\n"
		"                     pages through /dev/udmabuf)\n"
		"  -s, --size SIZE    size of what --from makes (default 1M)\n"
		"      --vram|--system  placement of what --from N makes\n"
		"      --seed S       the pattern it holds (default 1)\n"
		"      --write S2     then let M write pattern S2 by DMA and check it on\n"
		"                     the exporter's side (CPU mapping)\n"
		"      --no-verify    do not read it back\n"
		"      --all, --raw   table options (see alloc)\n"
		"\n"
		"Examples: phyrctl import --from 1 --into 2\n"
		"          phyrctl import --from vgem --into 1 --write 9\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects (--from N), imports, tables, checks, dmabuf (size, inode,\n"
		"exporter, from), write_seed (with --write).\n",
	.options = OPT(INTO) | OPT(FD) | OPT(SOURCE) | OPT(SIZE) | OPT(VRAM) |
		   OPT(SYSTEM) | OPT(SEED) | OPT(WRITE) | OPT(NO_VERIFY) |
		   OPTS_TABLE |
		   OPTS_DATA,
	.size = 1u << 20,
	.run = run_import,
};

/* ---- ranges ---- */

static int run_ranges(const struct opts *opt)
{
	const struct show_opts *so = &opt->table;
	int nto = opt->peers.n, i, ret;
	struct vphyr_dev *dev, *imp[MAX_DEVS];
	uint32_t ih[MAX_DEVS];
	struct devset ds;
	struct obj o;
	char s[32];

	ret = create_on(&ds, opt, 1, &dev, &o);
	if (ret)
		goto out;
	tprint("ranges: handle %u on %s: %s in %s\n", o.handle,
	       vphyr_dev_name(dev), vphyr_size_name(o.size, s, sizeof(s)),
	       region_name(o.region));
	ret = show_ranges(dev, o.handle, so, NULL);
	for (i = 0; i < nto && !ret; i++) {
		ret = share_with(&ds, &o, opt->peers.v[i], &imp[i], &ih[i],
				 "ranges: imported");
		if (!ret)
			ret = show_ranges(imp[i], ih[i], so, NULL);
	}
	if (!ret && nto) {
		tprint("ranges: the exporter after the import%s\n",
		       nto > 1 ? "s" : "");
		ret = show_ranges(dev, o.handle, so, NULL);
	}
	if (ret || !opt->evict)
		goto out;
	if (vphyr_gem_evict(dev, o.handle)) {
		ret = lib_error();
		goto out;
	}
	tprint("ranges: after evicting handle %u to system memory\n", o.handle);
	ret = show_ranges(dev, o.handle, so, NULL);
	for (i = 0; i < nto && !ret; i++)
		ret = show_ranges(imp[i], ih[i], so, NULL);
out:
	devs_close(&ds);
	return ret;
}

const struct command cmd_ranges = {
	.name = "ranges",
	.synopsis = "[--on N] [--size SIZE] [--vram|--system] [--import-to M]...\n"
		    "                      [--evict] [--all] [--raw] [--json]",
	.summary = "print phyr lists and DMA range tables",
	.help =
		"Create an object on instance N and print its phyr list (physical\n"
		"ranges); with --import-to M, share it with M and print the dma_range\n"
		"table M uses for it, then the exporter's list again (an importer that\n"
		"cannot reach VRAM makes the object move to system memory first).\n"
		"\n"
		"Each entry: index, address (physical, or DMA for an import; physical\n"
		"addresses read 0 without CAP_SYS_ADMIN), length, interconnect (host,\n"
		"device, p2p, link), mmio, pinned, and for DMA ranges how the range was\n"
		"mapped (direct, page, bus = PCI bus address, host-bridge, iommu, link,\n"
		"sg = taken from a foreign exporter's scatterlist). A summary line ends\n"
		"each table, e.g. \"summary: interconnect p2p, via host-bridge, mmio\".\n"
		"\n"
		"  -o, --on N          exporting instance (default: the first with VRAM)\n"
		"  -s, --size SIZE     bytes (default 4M)\n"
		"      --vram|--system placement (default: VRAM when the instance has it)\n"
		"  -i, --import-to M   importing instance (repeatable)\n"
		"      --evict         then evict the object and print the tables again\n"
		"      --all           print every entry (default: the first 16)\n"
		"      --raw           add the raw flag bits\n"
		"\n"
		"Example: phyrctl ranges --on 1 --vram --size 4M --import-to 2\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects, imports, tables (in the order printed).\n",
	.options = OPT(ON) | OPT(SIZE) | OPT(VRAM) | OPT(SYSTEM) |
		   OPT(IMPORT_TO) | OPT(EVICT) | OPTS_TABLE |
		   OPTS_DATA,
	.run = run_ranges,
};

/* ---- copy ---- */

static int copy_fill(struct devset *ds, int on, uint64_t size,
		     enum vphyr_region region, uint32_t seed)
{
	struct vphyr_dev *dev;
	uint32_t h;
	char s[32];
	int ret;

	ret = devs_open(ds, on, &dev);
	if (ret)
		return ret;
	region = devs_region(ds, on, region);
	if (vphyr_gem_create(dev, size, region, &h))
		return lib_error();
	tprint("copy: handle %u on %s: %s in %s\n", h, vphyr_dev_name(dev),
	       vphyr_size_name(size, s, sizeof(s)), region_name(region));
	json_object(dev, h, size, region, &seed);
	ret = fill_dma(dev, h, size, seed);
	if (ret)
		return ret;
	tprint("copy: the device wrote pattern %u through its DMA addresses\n",
	       seed);
	ret = verify_cpu(dev, h, size, seed,
			 "the CPU mapping shows what the device wrote");
	if (ret)
		return ret;
	ret = fill_cpu(dev, h, size, seed + 1);
	if (ret)
		return ret;
	tprint("copy: the CPU wrote pattern %u through its mapping\n",
	       seed + 1);
	return verify_dma(dev, h, size, seed + 1,
			  "the device reads what the CPU wrote");
}

/* the "copy" member: who copied what how fast */
static void json_copy(struct vphyr_dev *dev, uint32_t src, uint32_t dst,
		      uint64_t size, double ms, const char *summary)
{
	struct jw w;

	if (!json_mode)
		return;
	jw_open(json_top(), "copy", '{', &w);
	jw_u64(&w, "instance", vphyr_dev_info(dev)->instance);
	jw_u64(&w, "src_handle", src);
	jw_u64(&w, "dst_handle", dst);
	jw_str(&w, "import_summary", summary);
	jw_u64(&w, "size", size);
	jw_double(&w, "ms", ms);
	jw_double(&w, "mib_per_s",
		  ms > 0 ? size / (1024.0 * 1024.0) / (ms / 1e3) : 0.0);
	jw_close(&w, '}');
}

/* a device copy of @size bytes in steps, with a progress line */
static int copy_steps(struct vphyr_dev *dev, uint32_t src, uint32_t dst,
		      uint64_t size)
{
	const uint64_t step = 16u << 20;
	struct progress p;
	uint64_t done, n;
	int ret = 0;

	progress_begin(&p, "copy", size, true);
	for (done = 0; done < size && !ret; done += n) {
		n = size - done < step ? size - done : step;
		ret = vphyr_gem_copy(dev, src, done, dst, done, n);
		progress_step(&p, done + n);
	}
	progress_end(&p);
	return ret;
}

static int run_copy(const struct opts *opt)
{
	enum vphyr_region sreg = opt->src, dreg = opt->dst;
	int from = opt->on, to = opt->to, ret;
	uint32_t seed = opt->seed, ih, dh;
	struct vphyr_dev *sdev, *ddev;
	uint64_t size = opt->size;
	char s[32], sum[224];
	bool fill = opt->fill;
	struct devset ds;
	struct obj src;
	double t0, ms;

	if (fill && (to != NO_INSTANCE || sreg || dreg))
		return usage_error("--fill works on one object: use --on, --vram or --system");
	if (!fill && opt->region)
		return usage_error("--vram and --system go with --fill; use --src and --dst");

	ret = devs_load(&ds);
	if (ret)
		return ret;
	if (from == NO_INSTANCE)
		from = devs_default_on(&ds);
	if (fill) {
		ret = copy_fill(&ds, from, size, opt->region, seed);
		goto out;
	}
	if (to == NO_INSTANCE)
		to = devs_default_peer(&ds, from);
	ret = devs_open(&ds, from, &sdev);
	if (!ret)
		ret = devs_open(&ds, to, &ddev);
	if (ret)
		goto out;
	sreg = devs_region(&ds, from, sreg);
	dreg = devs_region(&ds, to, dreg);

	ret = obj_create_filled(sdev, size, sreg, seed, &src);
	if (ret)
		goto out;
	tprint("copy: source: handle %u on %s, %s in %s, pattern %u\n",
	       src.handle, vphyr_dev_name(sdev), vphyr_size_name(size, s, sizeof(s)),
	       region_name(sreg), seed);
	if (vphyr_gem_create(ddev, size, dreg, &dh)) {
		ret = lib_error();
		goto out;
	}
	/* something else in the destination, so a copy that did nothing fails */
	ret = fill_cpu(ddev, dh, size, ~seed);
	if (ret)
		goto out;
	tprint("copy: destination: handle %u on %s, %s in %s\n", dh,
	       vphyr_dev_name(ddev), vphyr_size_name(size, s, sizeof(s)),
	       region_name(dreg));
	json_object(ddev, dh, size, dreg, NULL);
	if (sdev != ddev) {
		ret = obj_share(&src, ddev, &ih);
		if (!ret)
			ret = import_summary(ddev, ih, "DMA range", sum,
					     sizeof(sum));
		if (ret)
			goto out;
		tprint("copy: %s imports the source as handle %u: %s\n",
		       vphyr_dev_name(ddev), ih, sum);
	} else {
		ih = src.handle;
	}
	t0 = now_ms();
	if (copy_steps(ddev, ih, dh, size)) {
		ret = lib_error();
		goto out;
	}
	ms = now_ms() - t0;
	json_copy(ddev, ih, dh, size, ms, sdev != ddev ? sum : NULL);
	tprint("copy: %s copied %s by DMA (reading the source, writing the destination through their DMA addresses) in %.2f ms, %.1f MiB/s\n",
	       vphyr_dev_name(ddev), vphyr_size_name(size, s, sizeof(s)), ms,
	       ms > 0 ? size / (1024.0 * 1024.0) / (ms / 1e3) : 0.0);
	ret = verify_cpu(ddev, dh, size, seed,
			 "the destination through the CPU mapping");
	ret |= verify_cpu(sdev, src.handle, size, seed,
			  "the source is unchanged");
	ret = ret ? EXIT_FAIL : EXIT_OK;
out:
	devs_close(&ds);
	return ret;
}

const struct command cmd_copy = {
	.name = "copy",
	.synopsis = "[--from N] [--to M] [--size SIZE] [--src vram|system]\n"
		    "                    [--dst vram|system] [--seed S] [--json]\n"
		    "       phyrctl copy --fill [--on N] [--size SIZE] [--vram|--system] [--seed S]\n"
		    "                    [--json]",
	.summary = "device copy through DMA addresses, or fill and verify",
	.help =
		"Device copy: a source object on instance N, filled by the CPU, and a\n"
		"destination object on instance M. M imports the source (when N != M)\n"
		"and copies it: the device reads the source and writes the destination\n"
		"through their DMA addresses (GEM_DMA, 1 MiB at a time). The CPU then\n"
		"checks the destination through its mapping. Prints the time taken.\n"
		"\n"
		"  -f, --from N        source instance (default: the first with VRAM)\n"
		"  -t, --to M          copying instance, owner of the destination\n"
		"                      (default: another instance, with VRAM if any)\n"
		"  -s, --size SIZE     bytes (default 4M)\n"
		"      --src, --dst    vram or system (default: VRAM where there is some)\n"
		"      --seed S        pattern seed (default 1)\n"
		"\n"
		"With --fill, one object on instance N (--on): the device writes a\n"
		"pattern by DMA and the CPU checks it, then the CPU writes another and\n"
		"the device checks it.\n"
		"\n"
		"Examples: phyrctl copy --from 1 --to 2 --size 4M\n"
		"          phyrctl copy --fill --on 0 --system\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects, imports, checks, copy (instance, src_handle, dst_handle,\n"
		"import_summary: what the import shows, null on one instance; size, ms,\n"
		"mib_per_s; not with --fill).\n",
	.options = OPT(FROM) | OPT(TO) | OPT(ON) | OPT(SIZE) | OPT(SRC) |
		   OPT(DST) | OPT(VRAM) | OPT(SYSTEM) | OPT(SEED) | OPT(FILL) |
		   OPTS_DATA,
	.run = run_copy,
};

/* ---- evict ---- */

static int run_evict(const struct opts *opt)
{
	struct vphyr_ranges eb = { 0 }, ea = { 0 }, ib[MAX_DEVS], ia[MAX_DEVS];
	const struct show_opts *so = &opt->table;
	int nto = opt->peers.n, i, ret;
	struct vphyr_dev *dev, *imp[MAX_DEVS];
	uint32_t seed = opt->seed, ih[MAX_DEVS];
	uint64_t size = opt->size;
	char s[32], sb[192], sa[192];
	struct jw je, jis, ji;
	struct devset ds;
	struct obj o;

	memset(ib, 0, sizeof(ib));
	memset(ia, 0, sizeof(ia));
	ret = create_on(&ds, opt, seed, &dev, &o);
	if (ret)
		goto out;
	tprint("evict: handle %u on %s: %s in %s, pattern %u\n", o.handle,
	       vphyr_dev_name(dev), vphyr_size_name(size, s, sizeof(s)),
	       region_name(o.region), seed);
	ret = share_all(&ds, &o, &opt->peers, imp, ih, "evict: imported");
	if (ret)
		goto out;

	tprint("evict: before\n");
	for (i = 0; i < nto && !ret; i++)
		ret = show_ranges(imp[i], ih[i], so, &ib[i]);
	ret = ret ? ret : show_ranges(dev, o.handle, so, &eb);
	if (ret)
		goto out;

	if (vphyr_gem_evict(dev, o.handle)) {
		ret = lib_error();
		goto out;
	}
	tprint("evict: GEM_EVICT of handle %u on %s done\n", o.handle,
	       vphyr_dev_name(dev));
	tprint("evict: after\n");
	ret = show_ranges(dev, o.handle, so, &ea);
	for (i = 0; i < nto && !ret; i++)
		ret = show_ranges(imp[i], ih[i], so, &ia[i]);
	if (ret)
		goto out;

	tprint("evict: exporter: placement %s -> %s, generation %u -> %u\n",
	       vphyr_placement_name(eb.placement),
	       vphyr_placement_name(ea.placement), eb.generation, ea.generation);
	if (json_mode) {
		jw_open(json_top(), "evict", '{', &je);
		jw_str(&je, "placement_before", vphyr_placement_name(eb.placement));
		jw_str(&je, "placement_after", vphyr_placement_name(ea.placement));
		jw_u64(&je, "generation_before", eb.generation);
		jw_u64(&je, "generation_after", ea.generation);
		jw_open(&je, "importers", '[', &jis);
	}
	for (i = 0; i < nto; i++) {
		table_summary(&ib[i], sb, sizeof(sb));
		table_summary(&ia[i], sa, sizeof(sa));
		tprint("evict: importer %s: generation %u -> %u, %s -> %s\n",
		       vphyr_dev_name(imp[i]), ib[i].generation,
		       ia[i].generation, sb, sa);
		if (!json_mode)
			continue;
		jw_open(&jis, NULL, '{', &ji);
		jw_u64(&ji, "instance", vphyr_dev_info(imp[i])->instance);
		jw_u64(&ji, "handle", ih[i]);
		jw_u64(&ji, "generation_before", ib[i].generation);
		jw_u64(&ji, "generation_after", ia[i].generation);
		jw_str(&ji, "summary_before", sb);
		jw_str(&ji, "summary_after", sa);
		jw_close(&ji, '}');
	}
	if (json_mode) {
		jw_close(&jis, ']');
		jw_close(&je, '}');
	}
	if (ea.placement != VPHYR_PLACEMENT_SYSTEM)
		ret = error("the object is still in %s after GEM_EVICT",
			    vphyr_placement_name(ea.placement));

	ret |= verify_cpu(dev, o.handle, size, seed,
			  "the exporter's CPU mapping follows the object");
	ret |= verify_dma(dev, o.handle, size, seed,
			  "the exporter's device reads it at its new place");
	ret |= verify_importers(imp, ih, nto, size, seed, "new ");
	if (!ret && nto) {
		/* and writes through the new table land in the new place */
		ret = fill_dma(imp[nto - 1], ih[nto - 1], size, seed + 1);
		if (!ret)
			ret = verify_cpu(dev, o.handle, size, seed + 1,
					 "the exporter sees the importer's write after the move");
	}
	ret = ret ? EXIT_FAIL : EXIT_OK;
out:
	vphyr_ranges_free(&eb);
	vphyr_ranges_free(&ea);
	for (i = 0; i < nto; i++) {
		vphyr_ranges_free(&ib[i]);
		vphyr_ranges_free(&ia[i]);
	}
	devs_close(&ds);
	return ret;
}

const struct command cmd_evict = {
	.name = "evict",
	.synopsis = "[--on N] [--size SIZE] [--vram|--system] [--import-to M]...\n"
		    "                     [--seed S] [--all] [--raw] [--json]",
	.summary = "evict an object (imported or not) and check it follows",
	.help =
		"Create an object on instance N (in VRAM by default), fill it, import it\n"
		"into each M, then evict it to system memory while imported: the\n"
		"importers are told (move_notify) and map it again. Prints the tables\n"
		"before and after, then one line each:\n"
		"  evict: exporter: placement VRAM -> system, generation 0 -> 1\n"
		"  evict: importer ...: generation 0 -> 1, <summary before> -> <after>\n"
		"and checks the data through the exporter's CPU mapping (made before\n"
		"the move), the exporter's DMA and each importer's new DMA addresses,\n"
		"then lets the last importer write and the exporter's CPU check it.\n"
		"\n"
		"  -o, --on N          exporting instance (default: the first with VRAM)\n"
		"  -s, --size SIZE     bytes (default 4M)\n"
		"      --vram|--system placement (default: VRAM when the instance has it)\n"
		"  -i, --import-to M   importing instance (repeatable)\n"
		"      --seed S        pattern seed (default 1)\n"
		"      --all, --raw    table options (see alloc)\n"
		"\n"
		"Example: phyrctl evict --on 1 --size 4M --import-to 2\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects, imports, tables, checks, evict (placement_before,\n"
		"placement_after, generation_before, generation_after, importers:\n"
		"instance, handle, generation_before, generation_after, summary_before,\n"
		"summary_after).\n",
	.options = OPTS_OBJECT | OPT(IMPORT_TO) | OPTS_TABLE |
		   OPTS_DATA,
	.run = run_evict,
};

/* ---- link ---- */

static int link_share(struct vphyr_dev *a, struct vphyr_dev *b, uint64_t size,
		      uint32_t seed, const struct show_opts *so)
{
	char what[200];
	uint32_t ih;
	struct obj o;
	int ret;

	ret = obj_create_filled(a, size, VPHYR_REGION_VRAM, seed, &o);
	if (ret)
		return ret;
	ret = obj_share(&o, b, &ih);
	if (ret)
		goto close_obj;
	tprint("link: VRAM handle %u of %s imported into %s as handle %u\n",
	       o.handle, vphyr_dev_name(a), vphyr_dev_name(b), ih);
	ret = show_ranges(b, ih, so, NULL);
	if (ret)
		goto close_import;
	snprintf(what, sizeof(what), "%s reads it over the link",
		 vphyr_dev_name(b));
	ret = verify_dma(b, ih, size, seed, what);
	if (ret)
		goto close_import;
	ret = fill_dma(b, ih, size, seed + 1);
	if (!ret)
		ret = verify_cpu(a, o.handle, size, seed + 1,
				 "the exporter's CPU sees a write made over the link");
close_import:
	vphyr_gem_close(b, ih);
close_obj:
	vphyr_gem_close(a, o.handle);
	return ret;
}

/*
 * The "link" member: the two instances, whether the link worked (@used:
 * linked, shown in INFO, VRAM shared over it) and whether it is still
 * there (@left).
 */
static void json_link(struct vphyr_dev *a, struct vphyr_dev *b, bool used,
		      bool left)
{
	struct jw w;

	if (!json_mode)
		return;
	jw_open(json_top(), "link", '{', &w);
	jw_u64(&w, "instance", vphyr_dev_info(a)->instance);
	jw_u64(&w, "peer", vphyr_dev_info(b)->instance);
	jw_bool(&w, "used", used);
	jw_bool(&w, "linked", left);
	jw_close(&w, '}');
}

static int run_link(const struct opts *opt)
{
	const struct show_opts *so = &opt->table;
	int on = opt->on, peer = opt->peer, ret, r;
	bool keep = opt->keep, remove = opt->remove;
	struct vphyr_device_info ia, ib;
	uint64_t size = opt->size;
	struct vphyr_dev *a, *b;
	struct devset ds;

	if (keep && remove)
		return usage_error("--keep and --remove exclude each other");

	ret = devs_load(&ds);
	if (ret)
		return ret;
	if (on == NO_INSTANCE)
		on = devs_default_on(&ds);
	if (peer == NO_INSTANCE)
		peer = devs_vram(&ds, on);
	if (peer < 0) {
		ret = absent("a link needs two instances with VRAM");
		goto out;
	}
	ret = devs_open(&ds, on, &a);
	if (!ret)
		ret = devs_open(&ds, peer, &b);
	if (ret)
		goto out;
	if (remove) {
		if (vphyr_unlink(a, b)) {
			ret = lib_error();
			goto out;
		}
		tprint("link: %s and %s unlinked\n", vphyr_dev_name(a),
		       vphyr_dev_name(b));
		json_link(a, b, false, false);
		goto out;
	}

	if (vphyr_link(a, b)) {
		ret = lib_error();
		goto out;
	}
	if (vphyr_dev_query(a, &ia) || vphyr_dev_query(b, &ib)) {
		ret = lib_error();
		goto unlink;
	}
	tprint("link: %s and %s are linked (link peers: %u and %u)\n",
	       vphyr_dev_name(a), vphyr_dev_name(b), ia.link_peer, ib.link_peer);
	if (ia.link_peer != ib.instance || ib.link_peer != ia.instance)
		ret = error("INFO does not show the link");
	if (!ret)
		ret = link_share(a, b, size, 1, so);
	if (!ret)
		ret = link_share(b, a, size, 3, so);
unlink:
	if (keep) {
		tprint("link: left in place; remove it with: phyrctl link --remove --on %d --peer %d\n",
		       on, peer);
		json_link(a, b, !ret, true);
		goto out;
	}
	r = vphyr_unlink(a, b);
	if (r) {
		r = lib_error();
		ret = ret ? ret : r;
	} else {
		tprint("link: unlinked\n");
	}
	json_link(a, b, !ret, r != EXIT_OK);
out:
	devs_close(&ds);
	return ret;
}

const struct command cmd_link = {
	.name = "link",
	.synopsis = "[--on N] [--peer M] [--size SIZE] [--keep | --remove]\n"
		    "                    [--all] [--raw] [--json]",
	.summary = "link two VRAM instances and share VRAM over the link",
	.help =
		"Declare a (simulated) GPU-to-GPU link between instances N and M, both\n"
		"with VRAM. Then share a VRAM object each way: the importer's table shows\n"
		"\"interconnect link, via link\" (link addresses instead of PCI), the data\n"
		"is checked by DMA both ways. Then unlink. Needs CAP_SYS_ADMIN.\n"
		"\n"
		"  -o, --on N        one instance (default: the first with VRAM)\n"
		"  -p, --peer M      the other (default: the next with VRAM)\n"
		"  -s, --size SIZE   size of the objects shared (default 1M)\n"
		"      --keep        leave the link in place: it belongs to the devices\n"
		"                    and outlives phyrctl (phyrctl list shows it), so\n"
		"                    later commands share over it\n"
		"      --remove      only remove an existing link between N and M\n"
		"      --all, --raw  table options (see alloc)\n"
		"\n"
		"Example: phyrctl link --on 1 --peer 2\n"
		"\n"
		"--json: one JSON document instead of the text (see phyrctl --help)\n"
		"with objects, imports, tables, checks, link (instance, peer, used:\n"
		"linked and shared over, linked: still linked at exit).\n",
	.options = OPT(ON) | OPT(PEER) | OPT(SIZE) | OPT(KEEP) | OPT(REMOVE) |
		   OPTS_TABLE |
		   OPTS_DATA,
	.size = 1u << 20,
	.run = run_link,
};
