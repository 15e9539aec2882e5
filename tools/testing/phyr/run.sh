#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# run.sh test|demo|bench|fuzz: install dependencies, build the kernel, boot
# the VM(s) and report. For "test" the last line is always "N passed, N failed".
# "fuzz" boots one VM of the first test VM's topology without KUnit and runs
# only the 60-fuzz hook: PHYR_FUZZ_CALLS calls (default 20000; 0: as many as
# PHYR_FUZZ_SECONDS allow) with seed PHYR_FUZZ_SEED (default: the date),
# without the call kinds in PHYR_FUZZ_SKIP.
# "bench" uses the kernel without debug options (variants/nodebug.config),
# whose timings are not distorted by KASAN, lockdep and DMA-API debug.
# Its VMs get 4 GiB with one 1 GiB huge page reserved at boot, for the
# user memory pinning benchmark (userspace/build/pin_bench).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
mode=${1:-test}
T=$PHYR_ROOT/tools/testing/phyr
# The IGT binaries whose outcome depends on the PCI topology (P2P refused,
# through the host bridge, by bus address): the IOMMU and switch VMs run
# only these; everything else runs once, in the first VM.
PHYR_TOPO_IGT=${PHYR_TOPO_IGT:-vphyr_prime vphyr_link vphyr_userptr@userptr-prime vphyr_generic@gbm-vram-share}
# make fuzz: calls per second to plan for (about half the slowest rate
# phyr_fuzz reached in a TCG guest with the debug options, 160), which sizes
# the hook's time limit
PHYR_FUZZ_MIN_RATE=${PHYR_FUZZ_MIN_RATE:-100}
# Call kinds the fuzz hook leaves out (KIND,...: a kind the kernel is
# known to get wrong, while it is being fixed; none today), in make fuzz,
# the swiotlb VM and the IOMMU VM. SKIP= (make fuzz) runs every kind.
PHYR_FUZZ_SKIP=${PHYR_FUZZ_SKIP-}
PHYR_FUZZ_SWIOTLB_SKIP=${PHYR_FUZZ_SWIOTLB_SKIP-}
PHYR_FUZZ_IOMMU_SKIP=${PHYR_FUZZ_IOMMU_SKIP-}
# make test: fuzz calls in the IOMMU VM (the swiotlb VM makes 20000)
PHYR_FUZZ_IOMMU_CALLS=${PHYR_FUZZ_IOMMU_CALLS:-5000}
start=$SECONDS

fail() {
	echo "[phyr] $*" >&2
	[[ $mode == test || $mode == fuzz ]] && echo "0 passed, 1 failed"
	exit 1
}

"$T/deps.sh" || fail "installing dependencies failed"
[[ $mode == bench ]] && export PHYR_EXTRA_CONFIG=$T/variants/nodebug.config
"$T/build-kernel.sh" || fail "kernel build failed"
build_s=$((SECONDS - start))
log "kernel ready after ${build_s}s"
make -s -C "$PHYR_ROOT/userspace" || fail "building userspace failed"
if [[ $mode != bench && $mode != fuzz ]]; then
	make -s -C "$PHYR_ROOT/igt-tests" || fail "building the IGT tests failed"
fi

case $mode in
test)
	res=$PHYR_CACHE/results
	# results of earlier runs must never be counted again
	rm -rf "$res/host" "$res/test" "$res/test-iommu" "$res/test-switch" \
		"$res/test-swiotlb"
	mkdir -p "$res/host"
	exp=$(mktemp -d)
	trap 'rm -rf "$exp"' EXIT

	# 0. on the host, in seconds: the result parser's self-test (every
	#    way a run must turn red, on synthetic inputs), the phyrctl
	#    cases that need no device, the book checked against the
	#    sources and built with zero warnings (make docs, 10-30 s)
	host=$res/host
	printf 'mode host\nresults selftest cli-host docs-check docs\n' >"$host/expect"
	echo "build $build_s" >"$host/timing"
	t0=$SECONDS
	python3 "$T/results.py" --selftest --results "$host/selftest.results" ||
		echo "[phyr] the result parser's self-test failed" >&2
	"$T/cli-host.sh" "$host" >/dev/null ||
		echo "[phyr] host CLI cases failed (see $host/cli-host.log)" >&2
	python3 "$T/docs-check.py" --results "$host/docs-check.results" >/dev/null ||
		echo "[phyr] the docs do not match the sources (see $host/docs-check.results)" >&2
	"$T/docs.sh" --results "$host/docs.results" >"$host/docs.log" 2>&1 ||
		echo "[phyr] the docs build failed (see $host/docs.log)" >&2
	echo "host-tests $((SECONDS - t0))" >>"$host/timing"

	accel=$("$T/vm.sh" --probe-accel)
	log "accelerator: $accel"
	export PHYR_ACCEL=${accel%% *} PHYR_ACCEL_WHY=${accel#* }

	topo_igt=$(echo "$PHYR_TOPO_IGT" | tr ' ' ',')
	topo_bins=$(echo "$PHYR_TOPO_IGT" | sed 's/@[^ ]*//g')
	# Every VM says up front what it must bring back (results.py checks
	# it): its KUnit suites, its hooks and their results, its IGT
	# binaries, and the skips its topology explains.
	# 1. everything that does not depend on the PCI topology, once: every
	#    KUnit suite, IGT and soft-RoCE; no IOMMU,
	#    ivshmem on the root bus with QEMU's max CPU, where P2P between
	#    them is refused
	cat >"$exp/test" <<-EOT
	mode test
	kunit *
	hook 30-igt igt
	hook 50-rdma rdma
	igt *
	# what this topology lacks: an IOMMU, forced bouncing, a third VRAM
	# instance (test-iommu, test-swiotlb run these)
	$(cat "$T/plain-vm.expect")
	skip-ok igt.vphyr_basic.vram-across-4g
	skip-ok igt.vphyr_prime.iommu-system-import
	skip-ok igt.vphyr_uapi.link-busy
	EOT
	# 2. under an emulated Intel IOMMU (translated), EPYC CPU: P2P through
	#    the host bridge; the DMA suite and the IGT binaries whose outcome
	#    depends on the topology; an 8 GiB BAR (sparse on the host) for
	#    ranges above and across 4 GiB; a shorter slice of the fuzz hook,
	#    whose mappings then take IOVAs (one per list) and P2P through the
	#    host bridge
	cat >"$exp/test-iommu" <<-EOT
	mode test
	kunit phyr_dma
	hook 30-igt igt
	hook 60-fuzz fuzz
	igt $topo_bins vphyr_basic
	# translated DMA never aliases the list; no forced bouncing
	skip-ok phyr_dma.phyr_dma_pci_passthrough
	skip-ok phyr_dma.phyr_dma_bounce
	EOT
	# 3. a translating IOMMU, ivshmem behind one PCIe switch: P2P by bus
	#    address while host memory gets IOVAs, so a bus address taken for
	#    an IOVA (or the reverse) reads wrong data; the same selection, and
	#    the phyrctl CLI suite (whose sharing cases then take the
	#    bus-address path)
	cat >"$exp/test-switch" <<-EOT
	mode test
	kunit phyr_dma
	hook 30-igt igt
	hook 40-phyrctl phyrctl
	igt $topo_bins
	# translated DMA never aliases the list; no forced bouncing; no
	# BAR of 8 GiB
	skip-ok phyr_dma.phyr_dma_pci_passthrough
	skip-ok phyr_dma.phyr_dma_bounce
	skip-ok phyr_dma.phyr_dma_p2p_above_4g
	EOT
	# 4. bouncing through swiotlb, forced for every device; three VRAM
	#    instances, so that a third one can find the other two linked;
	#    the random call sequences of the fuzz hook
	cat >"$exp/test-swiotlb" <<-EOT
	mode test
	kunit phyr_dma drm_phyr_gem
	hook 30-igt igt
	hook 60-fuzz fuzz
	igt vphyr_uapi
	EOT
	for f in "$exp"/*; do
		sed -i 's/^[[:space:]]*//' "$f"
	done
	app=${PHYR_VM_APPEND:-}
	# Two lanes, side by side: the first VM, then the swiotlb one; the
	# IOMMU VM, then the switch VM. A guest keeps about one vCPU busy, so
	# two of them share the host's two cores (PHYR_PARALLEL=0: one VM at
	# a time).
	lane1() {
		PHYR_VM_APPEND="drm_phyr_test.p2p=none phyr_p2p=none phyr_hooks=30-igt,50-rdma phyr_hook_timeout=1500 $app" \
			"$T/vm.sh" --mode test --timeout 2400 --name test --out "$res/test" \
			--expect "$exp/test" ||
			echo "[phyr] the test VM failed; its results are incomplete" >&2
		PHYR_VM_APPEND="kunit.filter_glob=*.*bounce swiotlb=force phyr_p2p=none phyr_hooks=30-igt,60-fuzz ${PHYR_FUZZ_SWIOTLB_SKIP:+phyr_fuzz_skip=$PHYR_FUZZ_SWIOTLB_SKIP }phyr_igt=vphyr_uapi@link-* phyr_hook_timeout=900 $app" \
			"$T/vm.sh" --mode test --timeout 1800 --ivshmem 64M,64M,64M --name test-swiotlb \
			--out "$res/test-swiotlb" --expect "$exp/test-swiotlb" ||
			echo "[phyr] the swiotlb VM failed; its results are incomplete" >&2
	}
	lane2() {
		PHYR_VM_APPEND="kunit.filter_glob=phyr_dma drm_phyr_test.p2p=host phyr_p2p=host phyr_hooks=30-igt,60-fuzz phyr_igt=$topo_igt,vphyr_basic@vram-across-4g phyr_fuzz_calls=$PHYR_FUZZ_IOMMU_CALLS ${PHYR_FUZZ_IOMMU_SKIP:+phyr_fuzz_skip=$PHYR_FUZZ_IOMMU_SKIP }phyr_hook_timeout=1200 $app" \
			"$T/vm.sh" --mode test --timeout 1800 --iommu --cpu EPYC --ivshmem 64M,8G --name test-iommu \
			--out "$res/test-iommu" --expect "$exp/test-iommu" ||
			echo "[phyr] the IOMMU VM failed; its results are incomplete" >&2
		PHYR_VM_APPEND="kunit.filter_glob=phyr_dma drm_phyr_test.p2p=bus phyr_p2p=bus phyr_hooks=30-igt,40-phyrctl phyr_igt=$topo_igt phyr_hook_timeout=1500 $app" \
			"$T/vm.sh" --mode test --timeout 2400 --iommu --switch --name test-switch \
			--out "$res/test-switch" --expect "$exp/test-switch" ||
			echo "[phyr] the switch VM failed; its results are incomplete" >&2
	}
	if [[ ${PHYR_PARALLEL:-1} != 0 ]]; then
		lane1 &
		lane2
		wait
	else
		lane1
		lane2
	fi
	log "VM runs done after $((SECONDS - start))s"
	python3 "$T/results.py" "$host" "$res/test" "$res/test-iommu" \
		"$res/test-switch" "$res/test-swiotlb"
	;;
fuzz)
	out=$PHYR_CACHE/results/fuzz
	rm -rf "$out"
	calls=${PHYR_FUZZ_CALLS:-}
	secs=${PHYR_FUZZ_SECONDS:-}
	seed=${PHYR_FUZZ_SEED:-$(date +%Y%m%d)}
	[[ -z $calls && -n $secs ]] && calls=0
	calls=${calls:-20000}
	[[ $calls =~ ^[0-9]+$ ]] || fail "CALLS=$calls is not a number"
	[[ $seed =~ ^[0-9]+$ ]] || fail "SEED=$seed is not a number"
	[[ -z $secs || $secs =~ ^[1-9][0-9]*$ ]] || fail "SECONDS=$secs is not a number of seconds"
	[[ $calls != 0 || -n $secs ]] || fail "CALLS=0 needs SECONDS="
	# the hook's limit: what was asked for, or room for the calls at
	# PHYR_FUZZ_MIN_RATE, plus the checks
	if [[ -n $secs ]]; then
		hook_s=$((secs + 120))
	else
		hook_s=$((calls / PHYR_FUZZ_MIN_RATE + 300))
	fi
	accel=$("$T/vm.sh" --probe-accel)
	log "accelerator: $accel"
	export PHYR_ACCEL=${accel%% *} PHYR_ACCEL_WHY=${accel#* }
	exp=$(mktemp)
	trap 'rm -f "$exp"' EXIT
	printf 'mode test\nhook 60-fuzz fuzz\n' >"$exp"
	log "fuzz: seed $seed, ${calls/#0/unlimited} calls${secs:+, at most $secs s}${PHYR_FUZZ_SKIP:+, without $PHYR_FUZZ_SKIP}"
	PHYR_VM_APPEND="kunit.enable=0 phyr_hooks=60-fuzz phyr_fuzz_calls=$calls phyr_fuzz_seed=$seed ${secs:+phyr_fuzz_seconds=$secs }${PHYR_FUZZ_SKIP:+phyr_fuzz_skip=$PHYR_FUZZ_SKIP }phyr_hook_timeout=$hook_s ${PHYR_VM_APPEND:-}" \
		"$T/vm.sh" --mode test --timeout $((hook_s + 600)) --name fuzz \
		--out "$out" --expect "$exp" ||
		echo "[phyr] the fuzz VM failed; its results are incomplete" >&2
	grep -E '^phyr_fuzz: (seed|FAIL|PASS|[0-9]+ calls|reproduce)' "$out/fuzz.log" 2>/dev/null
	python3 "$T/results.py" "$out"
	;;
demo)
	out=$PHYR_CACHE/results/demo
	exp=$(mktemp)
	trap 'rm -f "$exp"' EXIT
	echo "mode demo" >"$exp"
	"$T/vm.sh" --mode demo --switch --name demo --out "$out" --expect "$exp" || exit 1
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
		grep -v '^csv,' "$out/bench.txt"
	done
	# CSV, the target table and the scaling chart; the chart the docs
	# show is refreshed from this run
	python3 "$T/bench.py" "$PHYR_CACHE/results/bench-report" \
		"$PHYR_CACHE/results/bench" "$PHYR_CACHE/results/bench-iommu" || exit 1
	svg=$PHYR_CACHE/results/bench-report/bench-scaling.svg
	[[ -f $svg ]] && cp "$svg" "$PHYR_ROOT/docs/bench-scaling.svg"
	;;
*)
	die "usage: run.sh test|demo|bench|fuzz"
	;;
esac
