#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the 6.12 kernel with the phyr overlay applied.
#
#  0. remove the source and build directories of other kernel versions
#  1. extract Debian's linux-source-6.12 once into $PHYR_CACHE/src-<version>,
#     a git repository whose first commit (tag phyr-base) is the tarball
#  2. commit the patch series (patches/series, tools/testing/phyr/series.py)
#     on top of it, as `make patches` sends it, and check it out: only
#     files whose content changed are rewritten
#  3. configure tinyconfig + kvm_guest.config + phyr.config in a build
#     directory keyed by version and config, verify every requested option
#     (PHYR_CONFIGURE_ONLY=1 stops here)
#  4. build bzImage out of tree (O=) with ccache, printing progress
#
# Prints the path of the build directory on its last line.
#
# make patches-check builds other trees with it: PHYR_SRC names a tree to
# build as it is (steps 0-2 are skipped), PHYR_OUT its build directory,
# PHYR_CONFIG_VERIFY=0 skips checking the fragment's options (those of
# code that a later patch adds do not exist yet), and PHYR_TARGETS builds
# other make targets than bzImage (directories, for a quick check).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ver=$(phyr_kernel_version)
src=${PHYR_SRC:-$(phyr_srcdir)}
out=${PHYR_OUT:-$(phyr_builddir)}
frag=$PHYR_ROOT/tools/testing/phyr/phyr.config

# One build at a time per cache: two (from two clones, or make test and
# make fuzz started together) would copy overlays over each other and
# race in the same build directory. The second one waits, then finds
# little or nothing left to do.
if [[ -z ${PHYR_SRC:-} ]]; then
	phyr_lock_cache

	# 0. only one kernel version is ever built: Debian's current one
	phyr_prune_cache "$ver"

	# 1. source tree, 2. the series checked out in it (see lib.sh)
	phyr_extract_tree "$src" "$ver"
	phyr_apply_overlay "$src" "$ver"
fi

# 3. configuration. The stamp holds the hash of everything configuring reads
# and is written only once the result has been verified; without a matching
# stamp (inputs changed, or a run stopped half way through tinyconfig or
# merge_config) the build directory is configured again from scratch.
export CCACHE_DIR=${CCACHE_DIR:-$PHYR_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=phyr KBUILD_BUILD_HOST=phyr
# the tree is a git repository: an empty LOCALVERSION keeps kbuild from
# appending "+" to the release
export LOCALVERSION=
# paths relative to $PHYR_CACHE, so that trees and build directories laid
# out alike (patches-check's) share cache entries
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PHYR_CACHE}
mk=(make -C "$src" O="$out" -j"$PHYR_JOBS" CC="ccache gcc" HOSTCC="ccache gcc")

stamp=$out/.phyr-config
want=$({
	echo "linux $ver"
	cat "$src/kernel/configs/tiny.config" "$src/arch/x86/configs/tiny.config" \
		"$src/kernel/configs/kvm_guest.config" "$frag" \
		${PHYR_EXTRA_CONFIG:+"$PHYR_EXTRA_CONFIG"}
	# of the series, only what it changes in Kconfig files: a change to
	# C code needs a rebuild, not a new configuration
	git -C "$src" diff phyr-base HEAD -- '*Kconfig*'
} | sha1sum | cut -d' ' -f1)

mkdir -p "$out"
if [[ ! -f $out/.config || $(cat "$stamp" 2>/dev/null) != "$want" ]]; then
	rm -f "$stamp" "$out/.config"
	log "configuring $out (tinyconfig + kvm_guest.config + phyr.config)"
	"${mk[@]}" -s tinyconfig >/dev/null
	(cd "$out" && "$src/scripts/kconfig/merge_config.sh" -m -O "$out" .config \
		"$src/kernel/configs/kvm_guest.config" "$frag" \
		${PHYR_EXTRA_CONFIG:+"$PHYR_EXTRA_CONFIG"} >/dev/null)
fi
"${mk[@]}" -s olddefconfig >/dev/null

bad=0
[[ ${PHYR_CONFIG_VERIFY:-1} == 1 ]] || frag=/dev/null
while IFS= read -r line; do
	case $line in
	CONFIG_*=n)
		sym=${line%=n}
		if grep -q "^$sym=" "$out/.config"; then
			echo "[phyr] config: $sym should be off but is $(grep "^$sym=" "$out/.config")"
			bad=1
		fi ;;
	CONFIG_*=*)
		grep -qx "$line" "$out/.config" ||
			{ echo "[phyr] config: $line requested but .config has: $(grep "^${line%%=*}[= ]" "$out/.config" || echo 'not set')"; bad=1; } ;;
	esac
done < <(cat "$frag" ${PHYR_EXTRA_CONFIG:+"$PHYR_EXTRA_CONFIG"} |
	awk -F= '/^CONFIG_/ { v[$1] = $0 } END { for (k in v) print v[k] }')
((bad == 0)) || die "config fragment not satisfied (missing dependency?)"
if [[ $(cat "$stamp" 2>/dev/null) != "$want" ]]; then
	echo "$want" >"$stamp.new"
	mv -f "$stamp.new" "$stamp"
fi
if [[ ${PHYR_CONFIGURE_ONLY:-0} == 1 ]]; then
	log "configured $out (PHYR_CONFIGURE_ONLY=1: not building)"
	echo "$out"
	exit 0
fi

# 4. build, with a progress line every 15 s so a long build never looks hung.
# Only bzImage: the guest loads no modules, so whatever the configuration
# leaves as =m is not built.
mods=$(grep -c '=m$' "$out/.config" || true)
if ((mods)); then
	log "not built: $mods option(s) configured as modules ($(grep '=m$' "$out/.config" |
		sed 's/=m$//' | paste -sd' ' | cut -c1-120))"
fi
log "building linux $ver in $out (ccache: $CCACHE_DIR)"
blog=$out/build.log
start=$SECONDS
# shellcheck disable=SC2086 # a list of targets
"${mk[@]}" ${PHYR_TARGETS:-bzImage} >"$blog" 2>&1 &
pid=$!
build_progress() {
	local n
	n=$(grep -c '^  CC' "$blog" || true)
	log "build: $((SECONDS - start))s, $n files compiled, last: $(tail -n 1 "$blog" | cut -c1-70)"
}
phyr_watch_job "$pid" build_progress
if ! wait "$pid"; then
	grep -E 'error|Error' "$blog" | head -n 40 >&2 || true
	tail -n 20 "$blog" >&2
	die "kernel build failed (full log: $blog)"
fi
grep -E 'warning:' "$blog" | grep -E 'drivers/gpu/drm/phyr|include/drm/drm_phyr' &&
	die "phyr code compiled with warnings (see above)"
if [[ -n ${PHYR_TARGETS:-} ]]; then
	log "built $PHYR_TARGETS in $((SECONDS - start))s"
else
	log "kernel built in $((SECONDS - start))s: $out/arch/x86/boot/bzImage"
fi
echo "$out"
