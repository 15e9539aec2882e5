/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interfaces between the files of the drm_phyr_selftest module: the
 * debugfs demo and benchmarks, which use only the exported phyr API.
 */
#ifndef __PHYR_SELFTEST_H__
#define __PHYR_SELFTEST_H__

struct dentry;

void phyr_bench_register(struct dentry *dir);
void phyr_pin_bench_register(struct dentry *dir);

#endif
