// SPDX-License-Identifier: GPL-2.0-only
/*
 * libphyr_test: binding vphyr's PCI devices and reading /proc/iomem, for
 * the tests that unplug an instance. See libphyr_test.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libphyr_test.h"

/* write @pci to @file ("bind" or "unbind") of vphyr's PCI driver */
static int driver_write(const char *file, const char *pci)
{
	char path[128];
	size_t len = strlen(pci);
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), PHYR_VPHYR_PCI_DRIVER "/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, pci, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int phyr_pci_unbind(const char *pci)
{
	return driver_write("unbind", pci);
}

int phyr_pci_bind(const char *pci)
{
	return driver_write("bind", pci);
}

int phyr_iomem_reserved(uint64_t start, const char *owner)
{
	char line[256], want[32];
	const char *p, *name;
	bool found = false;
	FILE *f;

	snprintf(want, sizeof(want), "%" PRIx64 "-", start);
	f = fopen("/proc/iomem", "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		name = strstr(p, " : ");
		found = !strncmp(p, want, strlen(want)) && name &&
			!strncmp(name + 3, owner, strlen(owner));
	}
	fclose(f);
	return found;
}
