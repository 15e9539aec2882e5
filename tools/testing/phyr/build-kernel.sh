#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the 6.12 kernel with the phyr overlay applied.
#
#  0. remove the source and build directories of other kernel versions
#  1. extract Debian's linux-source-6.12 once into $PHYR_CACHE/src-<version>
#  2. copy the overlay (drivers/gpu/drm/phyr/, include/, Kconfig) into that
#     tree, removing what left the overlay since the last copy, and hook it
#     into the tree's Kconfig and drivers/gpu/drm/Makefile (idempotent);
#     apply patches/*.patch (the rxe dma-buf MR patch) to pristine copies
#  3. configure tinyconfig + kvm_guest.config + phyr.config in a build
#     directory keyed by version and config, verify every requested option
#     (PHYR_CONFIGURE_ONLY=1 stops here)
#  4. build bzImage out of tree (O=) with ccache, printing progress
#
# Prints the path of the build directory on its last line.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ver=$(phyr_kernel_version)
src=$(phyr_srcdir)
out=$(phyr_builddir)
frag=$PHYR_ROOT/tools/testing/phyr/phyr.config

# One build at a time per cache: two (from two clones, or make test and
# make fuzz started together) would copy overlays over each other and
# race in the same build directory. The second one waits, then finds
# little or nothing left to do.
mkdir -p "$PHYR_CACHE"
exec 9>"$PHYR_CACHE/.build.lock"
if ! flock -n 9; then
	log "another kernel build holds $PHYR_CACHE/.build.lock: waiting for it"
	flock 9
fi

# 0. only one kernel version is ever built: Debian's current one
phyr_prune_cache "$ver"

# 1. source tree; an empty overlay list says that no overlay file is in it yet
if [[ ! -f $src/.phyr-extracted ]]; then
	log "extracting linux $ver into $src (once)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$PHYR_TARBALL" -C "$src.tmp" --strip-components=1
	: >"$src.tmp/.phyr-overlay"
	touch "$src.tmp/.phyr-extracted"
	mv "$src.tmp" "$src"
fi

# 2. overlay. $src/.phyr-overlay lists the files the last copy put into the
# tree and $src/.phyr-upstream holds the upstream files it replaced, so a
# file that leaves the overlay leaves the tree too, or gets its upstream
# content back. The list is rewritten before copying: a copy interrupted
# half way is repeated, never taken for upstream content.
overlay_dirs=(drivers/gpu/drm/phyr include)
olist=$src/.phyr-overlay
upstream=$src/.phyr-upstream

# Writes file $2 from file $1 through a new inode: the tree may share its
# files with another through hard links.
put_file() {
	mkdir -p "$(dirname "$2")"
	cp -p "$1" "$2.phyr-new"
	mv -f "$2.phyr-new" "$2"
}

# A tree that predates the overlay list: take the upstream files the overlay
# replaces from the tarball, and drop headers that neither the tarball nor
# the overlay has (left by an earlier overlay).
adopt_tree() {
	local tmp f
	log "recording the overlay's files in $src (once)"
	tmp=$(mktemp -d)
	tar -xJf "$PHYR_TARBALL" -C "$tmp" --strip-components=1 --wildcards '*/include/*' ||
		{ rm -rf "$tmp"; die "cannot read include/ from $PHYR_TARBALL"; }
	while IFS= read -r f; do
		if [[ -n ${cur[$f]:-} ]]; then
			if [[ -f $tmp/$f && ! -f $upstream/$f ]]; then
				put_file "$tmp/$f" "$upstream/$f"
			fi
		elif [[ ! -e $tmp/$f ]]; then
			log "overlay: removing $f (not upstream, not in the overlay)"
			rm -f -- "$src/$f"
		fi
	done < <(cd "$src" && find include -type f)
	rm -rf "$tmp"
}

mapfile -t files < <(cd "$PHYR_ROOT" && find "${overlay_dirs[@]}" -type f | LC_ALL=C sort)
declare -A cur=() prev=()
for f in "${files[@]}"; do cur[$f]=1; done
if [[ -f $olist ]]; then
	while IFS= read -r f; do prev[$f]=1; done <"$olist"
else
	adopt_tree
	for f in "${files[@]}"; do prev[$f]=1; done
fi
for f in "${!prev[@]}"; do
	[[ -n ${cur[$f]:-} ]] && continue
	if [[ -f $upstream/$f ]]; then
		log "overlay: $f left the overlay, upstream version restored"
		put_file "$upstream/$f" "$src/$f"
	elif [[ -e $src/$f ]]; then
		log "overlay: $f left the overlay, removed"
		rm -f -- "$src/$f"
		(cd "$src" && rmdir -p --ignore-fail-on-non-empty -- "$(dirname "$f")")
	fi
done
for f in "${files[@]}"; do
	if [[ -z ${prev[$f]:-} && -f $src/$f && ! -f $upstream/$f ]]; then
		put_file "$src/$f" "$upstream/$f"
	fi
done
printf '%s\n' "${files[@]}" >"$olist.new"
mv -f "$olist.new" "$olist"
if [[ -d $upstream ]]; then
	while IFS= read -r f; do
		if [[ -z ${cur[$f]:-} ]]; then
			rm -f -- "$upstream/$f"
		fi
	done < <(cd "$upstream" && find . -type f -printf '%P\n')
fi

# rsync -c rewrites only files whose content changed, so an unchanged
# overlay never triggers a rebuild.
for d in "${overlay_dirs[@]}"; do
	rsync -rc "$PHYR_ROOT/$d/" "$src/$d/"
done
rsync -c "$PHYR_ROOT/Kconfig" "$src/Kconfig.phyr"
grep -q '^source "Kconfig.phyr"' "$src/Kconfig" ||
	printf '\nsource "Kconfig.phyr"\n' >>"$src/Kconfig"
# shellcheck disable=SC2016 # a make variable, written as it is
grep -q 'CONFIG_DRM_PHYR.*phyr/' "$src/drivers/gpu/drm/Makefile" ||
	printf '\nobj-$(CONFIG_DRM_PHYR) += phyr/\n' >>"$src/drivers/gpu/drm/Makefile"

# 2b. patches against the tree itself (patches/*.patch, in order). They are
# applied to pristine copies of the files they touch, kept in
# $src/.phyr-pristine, so that a changed or removed patch takes effect;
# rsync -c then rewrites only files whose content changed.
pristine=$src/.phyr-pristine
ptmp=$(mktemp -d)
shopt -s nullglob
patches=("$PHYR_ROOT"/patches/*.patch)
shopt -u nullglob
for p in "${patches[@]}"; do
	while IFS= read -r f; do
		if [[ ! -f $pristine/$f && -f $src/$f ]]; then
			mkdir -p "$(dirname "$pristine/$f")"
			cp -p "$src/$f" "$pristine/$f"
		fi
	done < <(sed -n 's|^+++ b/||p' "$p")
done
if [[ -d $pristine ]]; then
	cp -a "$pristine/." "$ptmp/"
	for p in "${patches[@]}"; do
		patch -p1 -d "$ptmp" -s -N --no-backup-if-mismatch -r - <"$p" ||
			{ rm -rf "$ptmp"; die "patch ${p#"$PHYR_ROOT"/} does not apply to linux $ver"; }
		log "patch applied: ${p#"$PHYR_ROOT"/}"
	done
	rsync -rc "$ptmp/" "$src/"
fi
rm -rf "$ptmp"

# 3. configuration. The stamp holds the hash of everything configuring reads
# and is written only once the result has been verified; without a matching
# stamp (inputs changed, or a run stopped half way through tinyconfig or
# merge_config) the build directory is configured again from scratch.
export CCACHE_DIR=${CCACHE_DIR:-$PHYR_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
export KBUILD_BUILD_USER=phyr KBUILD_BUILD_HOST=phyr
mk=(make -C "$src" O="$out" -j"$PHYR_JOBS" CC="ccache gcc" HOSTCC="ccache gcc")

stamp=$out/.phyr-config
want=$({
	echo "linux $ver"
	cat "$src/kernel/configs/tiny.config" "$src/arch/x86/configs/tiny.config" \
		"$src/kernel/configs/kvm_guest.config" "$frag" \
		${PHYR_EXTRA_CONFIG:+"$PHYR_EXTRA_CONFIG"} "$src/Kconfig.phyr"
	# of the patches, only what they change in Kconfig files: a change to
	# C code needs a rebuild, not a new configuration
	for p in "${patches[@]}"; do
		awk '/^diff |^--- /{k=0} /^[+][+][+] b\/.*Kconfig[^\/]*$/{k=1} k' "$p"
	done
	cd "$PHYR_ROOT" && find drivers/gpu/drm/phyr -name 'Kconfig*' -type f |
		LC_ALL=C sort | xargs -r cat
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
"${mk[@]}" bzImage >"$blog" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	for _ in $(seq 15); do
		sleep 1
		kill -0 "$pid" 2>/dev/null || break
	done
	kill -0 "$pid" 2>/dev/null || break
	n=$(grep -c '^  CC' "$blog" || true)
	log "build: $((SECONDS - start))s, $n files compiled, last: $(tail -n 1 "$blog" | cut -c1-70)"
done
if ! wait "$pid"; then
	grep -E 'error|Error' "$blog" | head -n 40 >&2 || true
	tail -n 20 "$blog" >&2
	die "kernel build failed (full log: $blog)"
fi
grep -E 'warning:' "$blog" | grep -E 'drivers/gpu/drm/phyr|include/drm/drm_phyr' &&
	die "phyr code compiled with warnings (see above)"
log "kernel built in $((SECONDS - start))s: $out/arch/x86/boot/bzImage"
echo "$out"
