#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# run.sh test|demo|bench: install dependencies, build the kernel, boot the
# VM(s) and report. For "test" the last line is always "N passed, N failed".
# "bench" uses the kernel without debug options (variants/nodebug.config),
# whose timings are not distorted by KASAN, lockdep and DMA-API debug.
# Its VMs get 4 GiB with one 1 GiB huge page reserved at boot, for the
# user memory pinning benchmark (userspace/build/pin_bench).
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
[[ $mode == bench ]] && export PHYR_EXTRA_CONFIG=$T/variants/nodebug.config
"$T/build-kernel.sh" || fail "kernel build failed"
log "kernel ready after $((SECONDS - start))s"
make -s -C "$PHYR_ROOT/userspace" || fail "building userspace failed"
if [[ $mode != bench ]]; then
	make -s -C "$PHYR_ROOT/igt-tests" || fail "building the IGT tests failed"
fi

case $mode in
test)
	res=$PHYR_CACHE/results
	# results of earlier runs must never be counted again
	rm -rf "$res/test" "$res/test-iommu" "$res/test-iommu-pt" "$res/test-swiotlb"
	# 1. every suite; no IOMMU; ivshmem on the root bus with QEMU's max
	#    CPU model, where P2P between them is refused
	# 2. the DMA suite under an emulated Intel IOMMU (translated), with an
	#    EPYC CPU model: P2P through the host bridge
	# 3. the DMA suite with iommu=pt (identity), ivshmem behind one PCIe
	#    switch: P2P by bus address
	# The vphyr userspace suite and the IGT tests run in all three
	# (phyr_p2p= tells them what the topology allows); the phyrctl CLI
	# suite, slow under TCG, in the third; soft-RoCE (RDMA into vphyr
	# dma-bufs, CPU copies that do not depend on the topology) in the first.
	app=${PHYR_VM_APPEND:-}
	PHYR_VM_APPEND="drm_phyr_test.p2p=none phyr_p2p=none phyr_rdma=1 $app" \
		"$T/vm.sh" --mode test --timeout 1800 --name test --out "$res/test" ||
		echo "[phyr] the test VM failed; its results are incomplete" >&2
	PHYR_VM_APPEND="kunit.filter_glob=phyr_dma drm_phyr_test.p2p=host phyr_p2p=host $app" \
		"$T/vm.sh" --mode test --timeout 1800 --iommu --cpu EPYC --name test-iommu \
		--out "$res/test-iommu" ||
		echo "[phyr] the IOMMU VM failed; its results are incomplete" >&2
	PHYR_VM_APPEND="kunit.filter_glob=phyr_dma iommu=pt drm_phyr_test.p2p=bus phyr_p2p=bus phyr_phyrctl=1 phyr_hook_timeout=1200 $app" \
		"$T/vm.sh" --mode test --timeout 1800 --iommu --switch --name test-iommu-pt \
		--out "$res/test-iommu-pt" ||
		echo "[phyr] the iommu=pt VM failed; its results are incomplete" >&2
	# 4. bouncing through swiotlb, forced for every device
	PHYR_VM_APPEND="kunit.filter_glob=phyr_dma.phyr_dma_bounce swiotlb=force $app" \
		"$T/vm.sh" --mode test --timeout 1800 --name test-swiotlb --out "$res/test-swiotlb" ||
		echo "[phyr] the swiotlb VM failed; its results are incomplete" >&2
	log "VM runs done after $((SECONDS - start))s"
	python3 "$T/results.py" "$res/test" "$res/test-iommu" "$res/test-iommu-pt" \
		"$res/test-swiotlb"
	;;
demo)
	out=$PHYR_CACHE/results/demo
	"$T/vm.sh" --mode demo --switch --name demo --out "$out" || exit 1
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
bench)
	app=${PHYR_VM_APPEND:-}
	for iommu in "" --iommu; do
		out=$PHYR_CACHE/results/bench${iommu:+-iommu}
		PHYR_VM_APPEND="hugepagesz=1G hugepages=1 $app" \
			"$T/vm.sh" --mode bench $iommu --mem 4G \
			--name "bench${iommu:+-iommu}" --out "$out" || exit 1
		echo
		cat "$out/bench.txt"
	done
	;;
*)
	die "usage: run.sh test|demo|bench"
	;;
esac
