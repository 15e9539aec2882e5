#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# run.sh test|demo: install dependencies, build the kernel, boot the VM(s)
# and report. For "test" the last line is always "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
mode=${1:-test}
T=$PHYR_ROOT/tools/testing/phyr
start=$SECONDS

fail() {
	echo "[phyr] $*" >&2
	[[ $mode == test ]] && echo "0 passed, 1 failed"
	exit 1
}

"$T/deps.sh" || fail "installing dependencies failed"
"$T/build-kernel.sh" || fail "kernel build failed"
log "kernel ready after $((SECONDS - start))s"

case $mode in
test)
	res=$PHYR_CACHE/results
	# every suite without an IOMMU, then the DMA suite again under an
	# emulated Intel IOMMU, translated and in identity (iommu=pt) mode
	"$T/vm.sh" --mode test --name test --out "$res/test" ||
		echo "[phyr] the test VM failed; its results are incomplete" >&2
	PHYR_VM_APPEND="kunit.filter_glob=phyr_dma ${PHYR_VM_APPEND:-}" \
		"$T/vm.sh" --mode test --iommu --name test-iommu --out "$res/test-iommu" ||
		echo "[phyr] the IOMMU VM failed; its results are incomplete" >&2
	PHYR_VM_APPEND="kunit.filter_glob=phyr_dma iommu=pt ${PHYR_VM_APPEND:-}" \
		"$T/vm.sh" --mode test --iommu --name test-iommu-pt --out "$res/test-iommu-pt" ||
		echo "[phyr] the iommu=pt VM failed; its results are incomplete" >&2
	log "VM runs done after $((SECONDS - start))s"
	python3 "$T/results.py" "$res/test" "$res/test-iommu" "$res/test-iommu-pt"
	;;
demo)
	out=$PHYR_CACHE/results/demo
	"$T/vm.sh" --mode demo --name demo --out "$out" || exit 1
	echo
	echo "=== phyr demo: lists built in the guest kernel (/sys/kernel/debug/phyr/demo) ==="
	cat "$out/demo.txt"
	echo "=== kernel checks (KASAN, lockdep, kmemleak, DMA-API debug, UBSAN) ==="
	if report=$(python3 "$T/results.py" "$out"); then
		echo "clean: no WARNING, BUG, KASAN, lockdep, UBSAN, DMA-API or kmemleak report in the guest"
	else
		echo "$report"
		exit 1
	fi
	;;
*)
	die "usage: run.sh test|demo"
	;;
esac
