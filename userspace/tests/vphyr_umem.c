// SPDX-License-Identifier: GPL-2.0-only
/*
 * For builds that compile this file instead of linking libphyr: the parts
 * of libphyr that vphyr_umem.h names, which need nothing but libc.
 */
#include "../lib/libphyr_proc.c"
#include "../lib/libphyr_uapi.c"
