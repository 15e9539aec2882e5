# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# Shared settings for the phyr build and VM scripts (sourced, not run).

PHYR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
PHYR_CACHE=${PHYR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/phyr}
PHYR_TARBALL=${PHYR_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
PHYR_JOBS=${PHYR_JOBS:-$(nproc)}

log() { printf '[phyr %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[phyr] error: %s\n' "$*" >&2; exit 1; }

# Kernel version of the Debian linux-source tarball, e.g. 6.12.117.
phyr_kernel_version() {
	local v
	v=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed (run: make deps)"
	echo "${v%%-*}"
}

phyr_srcdir() { echo "$PHYR_CACHE/src-$(phyr_kernel_version)"; }

# The build directory is keyed by kernel version (which fixes tinyconfig and
# kvm_guest.config) and by the phyr config fragments.
# PHYR_EXTRA_CONFIG names an optional fragment merged last (used to measure
# what the debug options cost, see variants/).
phyr_builddir() {
	local key
	key=$(cat "$PHYR_ROOT/tools/testing/phyr/phyr.config" \
		${PHYR_EXTRA_CONFIG:+"$PHYR_EXTRA_CONFIG"} | sha1sum | cut -c1-10)
	echo "$PHYR_CACHE/build-$(phyr_kernel_version)-$key"
}

# Prints the kernel version of a cache entry named src-<version>[.tmp] or
# build-<version>-<key>; fails for any other name.
phyr_cache_version() {
	local v
	case $1 in
	src-*) v=${1#src-}; v=${v%.tmp} ;;
	build-*-*) v=${1#build-}; v=${v%-*} ;;
	*) return 1 ;;
	esac
	[[ $v =~ ^[0-9]+(\.[0-9]+)+$ ]] && echo "$v"
}

# Removes the source and build directories of kernel versions other than $1
# under $PHYR_CACHE: Debian moves linux-source-6.12 on with security
# updates, and each tree takes gigabytes.
phyr_prune_cache() {
	local d v
	for d in "$PHYR_CACHE"/src-* "$PHYR_CACHE"/build-*; do
		[[ -d $d ]] || continue
		v=$(phyr_cache_version "${d##*/}") || continue
		[[ $v != "$1" ]] || continue
		log "removing $d (linux $v; the current version is $1)"
		rm -rf -- "$d"
	done
}

# Removes what the project builds inside the clone, and the VM results.
phyr_clean() {
	local d
	for d in userspace igt-tests; do
		make -s -C "$PHYR_ROOT/$d" clean || die "make -C $d clean failed"
	done
	find "$PHYR_ROOT" -path "$PHYR_ROOT/.git" -prune -o \
		\( -name __pycache__ -o -name '*.pyc' -o -name '*.o' \) -print0 |
		xargs -0r rm -rf --
	rm -rf -- "$PHYR_CACHE/results"
	log "removed the userspace and IGT builds and $PHYR_CACHE/results"
}

# phyr_clean, then everything else the build keeps under $PHYR_CACHE: kernel
# sources and build directories of every version, the compiler cache and the
# style checkers.
phyr_distclean() {
	local d
	phyr_clean
	for d in "$PHYR_CACHE"/*; do
		case ${d##*/} in
		ccache | kcheck | kcheck.*) ;;
		*) phyr_cache_version "${d##*/}" >/dev/null || continue ;;
		esac
		rm -rf -- "$d"
		log "removed $d"
	done
	rmdir -- "$PHYR_CACHE" 2>/dev/null || true
}

# Takes the cache's build lock (file descriptor 9) for the rest of the
# calling script, waiting for a holder: two scripts copying the overlay
# into one source tree at once would copy over each other.
phyr_lock_cache() {
	mkdir -p "$PHYR_CACHE"
	exec 9>"$PHYR_CACHE/.build.lock"
	if ! flock -n 9; then
		log "another kernel build holds $PHYR_CACHE/.build.lock: waiting for it"
		flock 9
	fi
}

# Extracts linux $2 from $PHYR_TARBALL into $1 once. An empty overlay list
# says that no overlay file is in the tree yet.
phyr_extract_tree() {
	local src=$1 ver=$2
	[[ -f $src/.phyr-extracted ]] && return
	log "extracting linux $ver into $src (once)"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$PHYR_TARBALL" -C "$src.tmp" --strip-components=1 ||
		die "cannot extract $PHYR_TARBALL"
	: >"$src.tmp/.phyr-overlay"
	touch "$src.tmp/.phyr-extracted"
	mv "$src.tmp" "$src"
}

# The overlay: each entry is a directory of the clone, or CLONE_DIR:TREE_DIR
# for one that goes elsewhere in the kernel tree (the docs become a book of
# the GPU guide).
PHYR_OVERLAY=(drivers/gpu/drm/phyr include docs:Documentation/gpu/phyr)

# Prints "CLONE_PATH TREE_PATH" for every file of the overlay, sorted by
# tree path.
phyr_overlay_files() {
	local e from to f
	for e in "${PHYR_OVERLAY[@]}"; do
		from=${e%%:*}
		to=${e#*:}
		(cd "$PHYR_ROOT" && find "$from" -type f) | while IFS= read -r f; do
			echo "$f $to${f#"$from"}"
		done
	done | LC_ALL=C sort -k2
}

# Writes file $2 from file $1 through a new inode: the tree may share its
# files with another through hard links.
phyr_put_file() {
	mkdir -p "$(dirname "$2")"
	cp -p "$1" "$2.phyr-new"
	mv -f "$2.phyr-new" "$2"
}

# A tree that predates the overlay list: take the upstream files the overlay
# replaces from the tarball, and drop headers that neither the tarball nor
# the overlay has (left by an earlier overlay). Uses phyr_apply_overlay's
# $src, $upstream and cur[].
phyr_adopt_tree() {
	local tmp f
	log "recording the overlay's files in $src (once)"
	tmp=$(mktemp -d)
	tar -xJf "$PHYR_TARBALL" -C "$tmp" --strip-components=1 --wildcards '*/include/*' ||
		{ rm -rf "$tmp"; die "cannot read include/ from $PHYR_TARBALL"; }
	while IFS= read -r f; do
		if [[ -n ${cur[$f]:-} ]]; then
			if [[ -f $tmp/$f && ! -f $upstream/$f ]]; then
				phyr_put_file "$tmp/$f" "$upstream/$f"
			fi
		elif [[ ! -e $tmp/$f ]]; then
			log "overlay: removing $f (not upstream, not in the overlay)"
			rm -f -- "$src/$f"
		fi
	done < <(cd "$src" && find include -type f)
	rm -rf "$tmp"
}

# Copies the overlay into the extracted tree $1 (linux $2), hooks it into
# the tree's Kconfig, drivers/gpu/drm/Makefile and the GPU guide's table of
# contents, and applies patches/*.patch. Idempotent, and rewrites only files
# whose content changed, so that an unchanged overlay never triggers a
# rebuild.
#
# $src/.phyr-overlay lists the files the last copy put into the tree and
# $src/.phyr-upstream holds the upstream files it replaced, so a file that
# leaves the overlay leaves the tree too, or gets its upstream content back.
# The list is rewritten before copying: a copy interrupted half way is
# repeated, never taken for upstream content.
phyr_apply_overlay() {
	local src=$1 ver=$2
	local olist=$src/.phyr-overlay upstream=$src/.phyr-upstream
	local pristine=$src/.phyr-pristine
	local e f from to ptmp p idx
	local -a files=() patches=()
	local -A cur=() prev=()

	while read -r from to; do
		files+=("$to")
		cur[$to]=1
	done < <(phyr_overlay_files)
	if [[ -f $olist ]]; then
		while IFS= read -r f; do prev[$f]=1; done <"$olist"
	else
		phyr_adopt_tree
		for f in "${files[@]}"; do prev[$f]=1; done
	fi
	for f in "${!prev[@]}"; do
		[[ -n ${cur[$f]:-} ]] && continue
		if [[ -f $upstream/$f ]]; then
			log "overlay: $f left the overlay, upstream version restored"
			phyr_put_file "$upstream/$f" "$src/$f"
		elif [[ -e $src/$f ]]; then
			log "overlay: $f left the overlay, removed"
			rm -f -- "$src/$f"
			(cd "$src" && rmdir -p --ignore-fail-on-non-empty -- "$(dirname "$f")")
		fi
	done
	for f in "${files[@]}"; do
		if [[ -z ${prev[$f]:-} && -f $src/$f && ! -f $upstream/$f ]]; then
			phyr_put_file "$src/$f" "$upstream/$f"
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

	for e in "${PHYR_OVERLAY[@]}"; do
		from=${e%%:*}
		to=${e#*:}
		mkdir -p "$src/$to"
		rsync -rc "$PHYR_ROOT/$from/" "$src/$to/"
	done
	rsync -c "$PHYR_ROOT/Kconfig" "$src/Kconfig.phyr"
	grep -q '^source "Kconfig.phyr"' "$src/Kconfig" ||
		printf '\nsource "Kconfig.phyr"\n' >>"$src/Kconfig"
	# shellcheck disable=SC2016 # a make variable, written as it is
	grep -q 'CONFIG_DRM_PHYR.*phyr/' "$src/drivers/gpu/drm/Makefile" ||
		printf '\nobj-$(CONFIG_DRM_PHYR) += phyr/\n' >>"$src/drivers/gpu/drm/Makefile"
	# the book goes into the GPU guide after the driver chapters
	idx=$src/Documentation/gpu/index.rst
	if [[ -f $idx ]] && ! grep -qx '   phyr/index' "$idx"; then
		awk '{ print } /^   drivers$/ && !done { print "   phyr/index"; done = 1 }
		     END { if (!done) print "\n.. toctree::\n\n   phyr/index" }' \
			"$idx" >"$idx.phyr-new"
		mv -f "$idx.phyr-new" "$idx"
	fi

	# Patches against the tree itself (patches/*.patch, in order). They are
	# applied to pristine copies of the files they touch, kept in
	# $src/.phyr-pristine, so that a changed or removed patch takes effect;
	# rsync -c then rewrites only files whose content changed.
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
	[[ -d $pristine ]] || return 0
	ptmp=$(mktemp -d)
	cp -a "$pristine/." "$ptmp/"
	for p in "${patches[@]}"; do
		patch -p1 -d "$ptmp" -s -N --no-backup-if-mismatch -r - <"$p" ||
			{ rm -rf "$ptmp"; die "patch ${p#"$PHYR_ROOT"/} does not apply to linux $ver"; }
		log "patch applied: ${p#"$PHYR_ROOT"/}"
	done
	rsync -rc "$ptmp/" "$src/"
	rm -rf "$ptmp"
}

# Installs the Debian packages named that are not installed yet; apt-get
# runs only when one is missing.
phyr_install_packages() {
	local p sudo=
	local -a missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[[ $(id -u) == 0 ]] || sudo=sudo
	echo "[phyr] installing: ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
	echo "[phyr] dependencies installed"
}

# Wait while background job $1 runs, calling the command $2... every 15
# seconds (a progress line, so that a long step never looks hung). The
# caller collects the job's status with wait afterwards.
phyr_watch_job() {
	local pid=$1
	shift
	while kill -0 "$pid" 2>/dev/null; do
		for _ in $(seq 15); do
			sleep 1
			kill -0 "$pid" 2>/dev/null || break
		done
		kill -0 "$pid" 2>/dev/null || break
		"$@"
	done
}
