#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Run phyr's KUnit suites the way kernel developers do, with the kernel's
# own tools/testing/kunit/kunit.py (make kunit):
#
#  1. install what kunit.py needs to build UML and x86_64 kernels and boot
#     the latter in QEMU
#  2. extract linux-source-6.12 once and copy the overlay into it, patches
#     included, as the kernel build does
#  3. um: the core suites, which need no device, under UML
#     (drivers/gpu/drm/phyr/tests/.kunitconfig)
#  4. x86_64: every suite, those that map memory for devices included, in
#     QEMU with TCG (tests/x86_64.kunitconfig), on a q35 machine with an
#     Intel IOMMU, two ivshmem devices (64 MiB and 1 GiB BARs) and an NVMe
#     controller memory buffer added to kunit.py's QEMU command line
#
# Each architecture builds out of tree in
# $PHYR_CACHE/build-<version>-kunit_<arch> with ccache, printing a progress
# line every 15 s, then kunit.py's report. Each run ends with a line
# "kunit <arch>: Testing complete. Ran N tests: passed: N ..." or FAILED,
# the script with "kunit: <archs>: passed" or an error naming the failed
# ones. This is not part of make test, whose VM kernel runs the same
# suites built in.
#
# usage: kunit.sh [um] [x86_64]   (default: both)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

archs=("$@")
((${#archs[@]})) || archs=(um x86_64)
for a in "${archs[@]}"; do
	[[ $a == um || $a == x86_64 ]] || die "usage: kunit.sh [um] [x86_64]"
done

# 1. UML and x86_64 kernels are built by the host compiler; kunit.py
# boots x86_64 with qemu-system-x86 and its qboot.rom
phyr_install_packages linux-source-6.12 build-essential flex bison bc \
	libelf-dev libssl-dev rsync patch ccache python3 qemu-system-x86
export CCACHE_DIR=${CCACHE_DIR:-$PHYR_CACHE/ccache}

# 2. the tree, under the build lock while it is written
ver=$(phyr_kernel_version)
src=$(phyr_srcdir)
phyr_lock_cache
phyr_prune_cache "$ver"
phyr_extract_tree "$src" "$ver"
phyr_apply_overlay "$src" "$ver"
exec 9>&-

tests=drivers/gpu/drm/phyr/tests
failed=()

# kunit_run ARCH ARGS...: one kunit.py run, its output in the build
# directory's kunit.log, printed when it ends
kunit_run() {
	local arch=$1 out rc=0 klog start pid
	shift
	out=$PHYR_CACHE/build-$ver-kunit_$arch
	klog=$out/kunit.log
	mkdir -p "$out"
	touch "$out/.kunit-start"
	log "kunit $arch: kunit.py run $* (build in $out)"
	start=$SECONDS
	(cd "$src" && exec python3 tools/testing/kunit/kunit.py run \
		--build_dir="$out" --jobs="$PHYR_JOBS" \
		--make_options="CC=ccache gcc" "$@") >"$klog" 2>&1 &
	pid=$!
	kunit_progress() {
		local objs
		if grep -aq 'Starting KUnit Kernel' "$klog"; then
			log "kunit $arch: $((SECONDS - start))s, running: $(grep -a -v '^\s*$' \
				"$klog" | tail -n 1 | cut -c1-100)"
			return
		fi
		objs=$(find "$out" -name '*.o' -newer "$out/.kunit-start" \
			-printf '%T@ %P\n' 2>/dev/null | sort -n)
		log "kunit $arch: $((SECONDS - start))s, $(grep -c . <<<"$objs") files compiled, last: $(tail -n 1 <<<"$objs" | cut -d' ' -f2)"
	}
	phyr_watch_job "$pid" kunit_progress
	wait "$pid" || rc=$?
	cat "$klog"
	if ((rc)); then
		log "kunit $arch: FAILED (kunit.py exit status $rc, $((SECONDS - start))s; log: $klog)"
		failed+=("$arch")
	else
		log "kunit $arch: $(grep -a 'Testing complete' "$klog" | tail -n 1) in $((SECONDS - start))s: passed"
	fi
}

for a in "${archs[@]}"; do
	case $a in
	um)
		# 3. UML: kunit.py's default architecture
		kunit_run um --kunitconfig="$tests"
		;;
	x86_64)
		# 4. x86_64 in QEMU: the devices the phyr_dma suite maps for
		kunit_run x86_64 --arch=x86_64 --timeout=1200 \
			--kunitconfig="$tests/x86_64.kunitconfig" \
			--kernel_args=intel_iommu=on \
			--qemu_args="-machine q35 -device intel-iommu" \
			--qemu_args="-object memory-backend-ram,id=phyr_shm0,size=64M,share=on" \
			--qemu_args="-device ivshmem-plain,memdev=phyr_shm0" \
			--qemu_args="-object memory-backend-ram,id=phyr_shm1,size=1G,share=on" \
			--qemu_args="-device ivshmem-plain,memdev=phyr_shm1" \
			--qemu_args="-device nvme,serial=phyr-cmb,cmb_size_mb=16"
		;;
	esac
done

((${#failed[@]} == 0)) || die "kunit: failed on ${failed[*]}"
log "kunit: ${archs[*]}: passed"
