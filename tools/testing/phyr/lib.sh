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
	for d in "$PHYR_CACHE"/src-* "$PHYR_CACHE"/build-* \
		"$PHYR_CACHE"/check/src-* "$PHYR_CACHE"/check/build-*; do
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
		ccache | kcheck | kcheck.* | check | patches-*) ;;
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

# The kernel tree is a git repository: its first commit, tagged phyr-base,
# is the pristine tarball, and branch phyr-series holds the patch series
# (patches/series, see series.py) on top of it. Every build, the docs and
# `make patches` take the code from that series and nowhere else.

# Makes $1 the git repository of linux $2 once: extracts the tarball, or
# adopts a tree that an earlier build extracted (its files stay as they
# are, so that its build directories stay valid).
phyr_extract_tree() {
	python3 "$PHYR_ROOT/tools/testing/phyr/series.py" init "$1" "$PHYR_TARBALL" "$2" ||
		die "cannot make $1 a git repository of linux $2"
}

# Commits the series onto tree $1 (linux $2) and checks it out: only files
# whose content changed are rewritten, so an unchanged series never
# triggers a rebuild. Run it under phyr_lock_cache.
phyr_apply_overlay() {
	python3 "$PHYR_ROOT/tools/testing/phyr/series.py" checkout "$1" >/dev/null ||
		die "the patch series does not apply to linux $2"
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
