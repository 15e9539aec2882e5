#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make patches: the phyr series as `git format-patch` files with a cover
# letter, against the kernel the build uses (Debian's linux-source-6.12),
# each checked with the tree's scripts/checkpatch.pl --strict.
#
# The series comes from patches/series (see series.py); the commits are
# built in $PHYR_CACHE/src-<version> without touching its files, authored
# and signed off by PHYR_AUTHOR="Name <email>" or the clone's git identity.
# Prints the directory of the series on its last line; exits non-zero when
# a patch has checkpatch findings.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ver=$(phyr_kernel_version)
src=$(phyr_srcdir)
dir=${PHYR_PATCHES_DIR:-$PHYR_CACHE/patches-$ver}

if ! git -C "$src" rev-parse -q --verify phyr-base >/dev/null 2>&1; then
	phyr_lock_cache
	phyr_extract_tree "$src" "$ver"
	exec 9>&-
fi
python3 "$PHYR_ROOT/tools/testing/phyr/series.py" format "$src" "$dir" "$ver" >/dev/null ||
	die "cannot write the series"
n=$(find "$dir" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | wc -l)
log "series: $n patches and a cover letter against linux $ver (Debian linux-source-6.12)"

# checkpatch from the tree the series applies to. FILE_PATH_CHANGES (new
# files without a MAINTAINERS change in the same patch) is left out: the
# series adds its MAINTAINERS entry in a patch of its own.
bad=0
for p in "$dir"/[0-9][0-9][0-9][0-9]-*.patch; do
	[[ ${p##*/} == 0000-* ]] && continue
	out=$(cd "$src" && perl scripts/checkpatch.pl --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES "$p" 2>&1 | grep -E ': (ERROR|WARNING|CHECK):' || true)
	if [[ -n $out ]]; then
		echo "$out" | sed "s|^|${p##*/}: |"
		bad=$((bad + $(grep -c . <<<"$out")))
	fi
done
if ((bad)); then
	log "checkpatch --strict: $bad problem(s) in the series"
else
	log "checkpatch --strict: all $n patches clean"
fi
log "send with: git send-email --to=... $dir/*.patch"
echo "$dir"
((bad == 0))
