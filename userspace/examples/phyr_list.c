// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_list: the smallest program on the installed libphyr. It lists the
 * vphyr instances, makes a one-page object on each and shares it with
 * itself, and is built outside the tree, the way any user of the library
 * builds:
 *
 *	cc -o phyr_list phyr_list.c $(pkg-config --cflags --libs libphyr)
 *
 * usage: phyr_list [--help]
 * Exit status: 0 (also when there is no vphyr instance), 1 when the
 * devices cannot be read or an object cannot be made and shared, 2 for a
 * bad command line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libphyr.h>

#define MAX_DEVS 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: phyr_list [--help]\n"
		"List the vphyr instances through libphyr: number, render node,\n"
		"VRAM size, and a one-page object made on each, exported and\n"
		"imported back (the same object). Prints \"N vphyr instance(s)\"\n"
		"last.\n");
}

/* one page in system memory, exported and imported back: the same object */
static int try_object(uint32_t instance)
{
	struct vphyr_bo *bo, *back = NULL;
	struct vphyr_dev *dev;
	int fd, ret;

	ret = vphyr_dev_open(instance, &dev);
	if (ret)
		return ret;
	ret = vphyr_bo_create(dev, vphyr_page_size(), VPHYR_REGION_SYSTEM, &bo);
	if (ret)
		goto out_close;
	ret = vphyr_bo_export(bo, &fd);
	if (ret)
		goto out_unref;
	ret = vphyr_bo_import(dev, fd, &back);
	close(fd);
	if (ret)
		goto out_unref;
	printf("  object: handle %" PRIu32 ", %s, %s\n", vphyr_bo_handle(bo),
	       vphyr_placement_name(vphyr_bo_placement(bo)),
	       back == bo ? "imported back as itself" : "imported back as another");
	if (back != bo)
		ret = -1;
	vphyr_bo_unref(back);
out_unref:
	vphyr_bo_unref(bo);
out_close:
	vphyr_dev_close(dev);
	return ret;
}

int main(int argc, char **argv)
{
	struct vphyr_device_info devs[MAX_DEVS];
	char size[32];
	int i, n, ret = 0;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	n = vphyr_list_devices(devs, MAX_DEVS);
	if (n < 0) {
		fprintf(stderr, "phyr_list: %s\n", vphyr_last_error());
		return 1;
	}
	for (i = 0; i < n && i < MAX_DEVS; i++) {
		printf("instance %" PRIu32 "  %-20s  VRAM %s\n", devs[i].instance,
		       devs[i].node, devs[i].flags & VPHYR_DEV_VRAM ?
		       vphyr_size_name(devs[i].vram_size, size, sizeof(size)) :
		       "-");
		if (try_object(devs[i].instance)) {
			fprintf(stderr, "phyr_list: %s\n", vphyr_last_error());
			ret = 1;
		}
	}
	printf("%d vphyr instance(s)\n", n);
	return ret;
}
