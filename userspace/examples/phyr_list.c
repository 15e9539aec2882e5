// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr_list: the smallest program on the installed libphyr. It lists the
 * vphyr instances and is built outside the tree, the way any user of the
 * library builds:
 *
 *	cc -o phyr_list phyr_list.c $(pkg-config --cflags --libs libphyr)
 *
 * usage: phyr_list [--help]
 * Exit status: 0 (also when there is no vphyr instance), 1 when the
 * devices cannot be read, 2 for a bad command line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <libphyr.h>

#define MAX_DEVS 16

static void usage(FILE *f)
{
	fprintf(f,
		"usage: phyr_list [--help]\n"
		"List the vphyr instances through libphyr: number, render node,\n"
		"VRAM size. Prints \"N vphyr instance(s)\" last.\n");
}

int main(int argc, char **argv)
{
	struct vphyr_device_info devs[MAX_DEVS];
	char size[32];
	int i, n;

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
	for (i = 0; i < n && i < MAX_DEVS; i++)
		printf("instance %" PRIu32 "  %-20s  VRAM %s\n", devs[i].instance,
		       devs[i].node, devs[i].flags & VPHYR_DEV_VRAM ?
		       vphyr_size_name(devs[i].vram_size, size, sizeof(size)) :
		       "-");
	printf("%d vphyr instance(s)\n", n);
	return 0;
}
