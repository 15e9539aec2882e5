#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Check that every IGT entry point the test objects use is exported by the
# IGT library they will be linked with.
#
# usage: check-symbols.sh LIBIGT OBJECT...
#
# The IGT names an object refers to are its undefined symbols (nm -u) in
# IGT's namespaces: igt_*, __igt_*, and the function families the tests
# declare in igt_decls.h (drm_open*, __drm_open*, gem_*, prime_*, vgem_*,
# __vgem_*, __set_forced_driver), less igt_vphyr_*, the tests' own layer
# (lib/igt_vphyr.c, linked with them). Each must be a defined dynamic symbol of LIBIGT
# (nm -D --defined-only). A missing one is named, with the objects that
# use it, and the script fails: a declaration in igt_decls.h that IGT 1.27
# does not export breaks the build here instead of at run time.

set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 LIBIGT OBJECT..." >&2
	exit 2
fi
lib=$1
shift

if [ ! -r "$lib" ]; then
	echo "check-symbols: $lib not found: install Debian's intel-gpu-tools (libigt.so.0)" >&2
	exit 1
fi
command -v nm >/dev/null 2>&1 || {
	echo "check-symbols: nm not found: install binutils" >&2
	exit 1
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# "name" per line, version suffixes (name@@VER) dropped
if ! nm -D --defined-only "$lib" >"$tmp/nm.lib" 2>"$tmp/err"; then
	echo "check-symbols: nm -D $lib failed: $(cat "$tmp/err")" >&2
	exit 1
fi
awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' "$tmp/nm.lib" |
	sort -u >"$tmp/exported"
if [ ! -s "$tmp/exported" ]; then
	echo "check-symbols: $lib exports no symbols" >&2
	exit 1
fi

igt_re='^(__)?(igt_|drm_open|gem_|prime_|vgem_)|^__drm_open|^__set_forced_driver$'

: >"$tmp/used"
for obj in "$@"; do
	if ! nm -u "$obj" >"$tmp/nm.obj" 2>"$tmp/err"; then
		echo "check-symbols: nm -u $obj failed: $(cat "$tmp/err")" >&2
		exit 1
	fi
	awk '{ sub(/@.*/, "", $NF); print $NF }' "$tmp/nm.obj" |
		grep -E "$igt_re" | grep -v '^igt_vphyr_' |
		while read -r sym; do
			printf '%s %s\n' "$sym" "$(basename "$obj")"
		done >>"$tmp/used"
done

awk '{ print $1 }' "$tmp/used" | sort -u >"$tmp/names"
comm -23 "$tmp/names" "$tmp/exported" >"$tmp/missing"

n=$(wc -l <"$tmp/names")
if [ -s "$tmp/missing" ]; then
	while read -r sym; do
		users=$(awk -v s="$sym" '$1 == s { print $2 }' "$tmp/used" |
			sort -u | tr '\n' ' ')
		echo "check-symbols: $sym is not exported by $lib (used by: ${users% })" >&2
	done <"$tmp/missing"
	echo "check-symbols: $(wc -l <"$tmp/missing") of $n IGT symbol(s) missing: fix igt_decls.h or the tests" >&2
	exit 1
fi
echo "check-symbols: all $n IGT symbol(s) used by $# object(s) are exported by $lib"
