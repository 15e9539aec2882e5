#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: the phyrctl cases that need vphyr devices, run against the
# instances of the test VM. The cases that need no device (help, usage
# errors) run on the build host: tools/testing/phyr/cli-host.sh, which also
# holds the case runner used here.
#
# usage: 40-phyrctl.sh OUTDIR
#
# The kernel command line must carry phyr_p2p=none|host|bus, what the PCI
# topology allows between the two VRAM instances (PHYR_CMDLINE=FILE reads
# FILE instead of /proc/cmdline). Without it the hook writes one FAIL line
# and exits 1.
#
# Each case is one phyrctl run with the exit status and the output fragments
# it must produce, under one checker, named in its result line:
#   valgrind  the main paths (create, fill, share, both tables, checks by
#             CPU and DMA; eviction under an importer; an ioctl error
#             path): valgrind memcheck; any memory error or definitely
#             lost block fails the case
#   asan      every other case: phyrctl-asan (AddressSanitizer,
#             LeakSanitizer, UBSan); an error or a leak fails the case
# Reports from Mesa are suppressed (userspace/phyrctl/phyrctl.supp and
# phyrctl.lsan). OUTDIR/phyrctl.results gets a plan line "1..N" and one line
# per case:
#
#	PASS name [valgrind|asan]
#	FAIL name [valgrind|asan] reason
#	SKIP name reason
#
# OUTDIR/phyrctl.log gets every command with its output, the seconds it
# took, and the reason of each failure.
#
# The valgrind cases and gbm-import (Mesa's loader is about as slow) run in
# the background beside the other cases (the VM has two CPUs); the cases
# that link, unlink or look at the link state run after both, one at a
# time. PHYRCTL_JOBS=1 runs one case at a time.
# PHYRCTL_ONLY=NAME,... runs only those cases (the others SKIP, by hand).
# PHYRCTL_BUILD=DIR takes phyrctl and phyrctl-asan from DIR (default
# userspace/build). PHYRCTL_CASE_TIMEOUT (default 600) limits each case.
#
# Exit status: 0 when no case failed, 1 otherwise, 2 for a bad invocation.

# shellcheck disable=SC2030,SC2031 # lanes and counts number cases in subshells
out=${1:-}
if [ -z "$out" ] || [ ! -d "$out" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd -P) || exit 2
# shellcheck disable=SC2034 # read by cli-host.sh: define, do not run
PHYR_CLI_LIB=1
# shellcheck source-path=SCRIPTDIR source=../cli-host.sh
. "$here/../cli-host.sh"

root=$(cd "$here/../../../.." && pwd -P) || exit 2
results=$out/phyrctl.results
log=$out/phyrctl.log
: >"$results"
: >"$log"
build=${PHYRCTL_BUILD:-$root/userspace/build}
cli_bin=$build/phyrctl
cli_asan=$build/phyrctl-asan

# a single failure that stops the hook before its cases
give_up() {
	echo "1..1" >>"$results"
	echo "FAIL $1 $2" >>"$results"
	cli_note "$1: $2"
	exit 1
}

cmdline=$(cat "${PHYR_CMDLINE:-/proc/cmdline}" 2>/dev/null) || cmdline=
p2p=
for arg in $cmdline; do
	case $arg in
	phyr_p2p=*) p2p=${arg#phyr_p2p=} ;;
	esac
done
case $p2p in
none | host | bus) ;;
'') give_up phyrctl-p2p-mode "phyr_p2p= is missing from the kernel command line" ;;
*) give_up phyrctl-p2p-mode "phyr_p2p=$p2p is none of none, host, bus" ;;
esac
for b in "$cli_bin" "$cli_asan"; do
	[ -x "$b" ] || give_up phyrctl-build "$b is missing: run make -C userspace on the host"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/phyrctl.XXXXXX") || give_up phyrctl-tmp "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

if command -v valgrind >/dev/null 2>&1; then
	cli_vg="valgrind -q --error-exitcode=99 --vgdb=no --num-callers=40"
	cli_vg="$cli_vg --leak-check=full --show-leak-kinds=definite"
	cli_vg="$cli_vg --errors-for-leak-kinds=definite"
	cli_vg="$cli_vg --suppressions=$root/userspace/phyrctl/phyrctl.supp"
	vg=valgrind
else
	cli_note "valgrind is not installed: the valgrind cases run phyrctl-asan"
	vg=asan
fi
ASAN_OPTIONS=exitcode=99:detect_leaks=1
UBSAN_OPTIONS=exitcode=99:print_stacktrace=1
LSAN_OPTIONS=suppressions=$root/userspace/phyrctl/phyrctl.lsan:print_suppressions=0
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# d ...: as t, SKIP when the instances it needs are missing or when
# PHYRCTL_ONLY=NAME,NAME... leaves the case out
d() {
	if [ -n "$nodev" ]; then
		cli_skip "$1" "$nodev"
		return
	fi
	case ,${PHYRCTL_ONLY:-$1}, in
	*",$1,"*) t "$@" ;;
	*) cli_skip "$1" "not in PHYRCTL_ONLY" ;;
	esac
}

# ---- the instances: system memory only ($S) and two with VRAM ($A, $B) ----

A=
B=
S=
nodev=
devices_case() {
	cli_n=$((cli_n + 1))
	[ -n "$cli_counting" ] && return 0
	cli_key=devices-present
	t0=$(date +%s)
	cli_run asan list
	cp "$tmp/out.$cli_key" "$tmp/list"
	{
		echo "=== devices-present (asan, $(($(date +%s) - t0))s): phyrctl list"
		cat "$tmp/list"
	} >"$tmp/l.$cli_key"
	why=
	if [ "$rc" -ne 0 ]; then
		why="phyrctl list exited with $rc"
		nodev="phyrctl list failed"
	fi
	while read -r inst _node _bus vram _rest; do
		case $inst in
		'' | *[!0-9]*) continue ;;
		esac
		if [ "$vram" = - ]; then
			[ -n "$S" ] || S=$inst
		elif [ -z "$A" ]; then
			A=$inst
		elif [ -z "$B" ]; then
			B=$inst
		fi
	done <"$tmp/list"
	if [ -z "$nodev" ] && { [ -z "$S" ] || [ -z "$A" ] || [ -z "$B" ]; }; then
		nodev="needs a system and two VRAM instances"
		why="expected a system instance and two VRAM instances"
	elif [ -z "$why" ] && ! grep -q '^vgem: /dev/dri/card' "$tmp/list"; then
		why="no vgem card node"
	fi
	if [ -n "$why" ]; then
		cli_result FAIL devices-present asan "$why"
	else
		cli_result PASS devices-present asan
	fi
	cli_note "instances: system $S, VRAM $A and $B"
}

# ---- what an import of VRAM by the other VRAM instance shows ----

exp_place="placement VRAM"
evict_frag="exporter: placement VRAM -> system, generation 0 -> 1"
case $p2p in
host) p2p_frags="interconnect p2p, via host-bridge, mmio" ;;
bus) p2p_frags="interconnect p2p, via bus, mmio" ;;
none)
	# no P2P: the import moves the object to system memory first
	p2p_frags="interconnect host, via "
	exp_place="placement system"
	evict_frag="exporter: placement system -> system"
	;;
esac

# ---- the cases ----

# The main paths of libphyr and phyrctl under valgrind (a minute or more
# each under TCG), and Mesa's GBM loader (as long): in the background.
lane_valgrind() {
	d alloc-share 0 $vg "$exp_place" "$p2p_frags" "verified: instance $B" \
		"!MISMATCH" -- alloc --on "$A" --size 256K --export-to "$B" --show --verify
	d evict-imported 0 $vg "$evict_frag" \
		"verified: the exporter's CPU mapping follows the object" \
		"verified: the exporter sees the importer's write after the move" -- \
		evict --on "$A" --size 256K --import-to "$B"
	d error-paths 1 $vg "ENODEV" -- alloc --on "$S" --vram --size 64K
	d gbm-import 0 asan "interconnect host, via sg" \
		"verified: the GBM mapping shows what the device wrote" -- \
		gbm-import --into "$A" --into "$S"
}

# The other cases that leave the link state alone, beside them.
lane_asan() {
	d list 0 asan "vphyr instance(s)" "vgem: /dev/dri/card" -- list
	d copy-p2p 0 asan "verified: the destination through the CPU mapping" \
		"verified: the source is unchanged" "$p2p_frags" -- \
		copy --from "$A" --to "$B" --size 256K
	d export-to-process 0 asan "exited with status 0" \
		"verified: the exporter's CPU sees what the command wrote" \
		"verified: the exporter's device sees what the command wrote" -- \
		export --on "$A" --size 256K --seed 5 --expect 6 -- \
		"$cli_asan" import --fd 3 --into "$B" --write 6
	d import-vgem 0 asan "interconnect host, via sg" \
		"verified: the exporter's CPU mapping shows the write" -- \
		import --from vgem --into "$A" --size 256K --write 9
	d bench 0 asan "MiB/s" "GEM_RANGES readback" -- \
		bench --on "$A" --to "$B" --size 256K --iterations 2 --cycles 4
	d ranges-p2p 0 asan "phyr list of handle" "dma_range table of handle" \
		"$p2p_frags" -- ranges --on "$A" --vram --size 256K --import-to "$B"
	d ranges-all-raw 0 asan "summary: interconnect host" "flags" -- \
		ranges --on "$S" --system --size 256K --import-to "$A" --all --raw
	# instance 0 is no PCI device: importing VRAM moves it to system memory
	d alloc-share-system 0 asan "placement system" "interconnect host, via " \
		"verified: instance $S" "!MISMATCH" -- \
		alloc --on "$A" --size 256K --export-to "$S" --show --verify
	d alloc-vram 0 asan "placement VRAM" "interconnect device, mmio" \
		"verified: its device reads it" -- alloc --on "$A" --size 256K --show --verify
	d alloc-system 0 asan "placement system" "verified: its device reads it" -- \
		alloc --on "$S" --system --size 256K --show --verify
	d import-instance 0 asan "interconnect host, via " "verified: instance $A" -- \
		import --from "$S" --into "$A" --size 256K
	if [ -n "$cli_counting" ] || [ -n "$nodev" ] || [ -e /dev/udmabuf ]; then
		d import-udmabuf 0 asan "interconnect host, via" "!via sg" \
			"verified: the exporter's CPU mapping shows the write" -- \
			import --from udmabuf --into "$A" --size 256K --write 4
	else
		cli_skip import-udmabuf "no /dev/udmabuf"
	fi
	d copy-to-system 0 asan "verified: the destination through the CPU mapping" -- \
		copy --from "$A" --to "$S" --size 256K
	d copy-fill-vram 0 asan "verified: the CPU mapping shows what the device wrote" \
		"verified: the device reads what the CPU wrote" -- \
		copy --fill --on "$A" --size 256K
	d copy-fill-system 0 asan "verified: the device reads what the CPU wrote" -- \
		copy --fill --on "$S" --system --size 256K
	d evict-vram 0 asan "exporter: placement VRAM -> system, generation 0 -> 1" -- \
		evict --on "$A" --size 256K
	d evict-system 0 asan "exporter: placement system -> system, generation 0 -> 0" -- \
		evict --on "$S" --system --size 256K
	d no-instance 3 asan "no vphyr instance 77" -- alloc --on 77 --size 64K
	d vram-too-big 1 asan "E2BIG" -- alloc --on "$A" --size 64G
}

# Links are state of the devices: one case at a time.
serial_link() {
	d link 0 asan "interconnect link, via link" "verified: instance $B" \
		"verified: instance $A" "link: unlinked" -- \
		link --on "$A" --peer "$B" --size 256K
	if [ -z "$cli_counting" ] && [ -z "$nodev" ] &&
		! grep -q '^PASS link ' "$results"; then
		# a link the failed run left would change the later cases
		"$cli_bin" link --remove --on "$A" --peer "$B" >/dev/null 2>&1
	fi
	d link-no-vram 1 asan "ENODEV" -- link --on "$S" --peer "$A"
	d unlink-not-linked 1 asan "ENOENT" -- link --remove --on "$A" --peer "$B"
	# step 7 (GBM) is gbm-import's code, checked above
	d tour 0 asan "tour: OK, 6 steps" "1. " "6. " "!MISMATCH" -- \
		tour --size 256K --no-gbm
	d no-link-left 0 asan ", 0 linked" -- list
}

cli_plan devices_case lane_valgrind lane_asan serial_link
cli_note "phyrctl hook: phyr_p2p=$p2p, $cli_bin, $cli_asan"
start=$(date +%s)
devices_case
if [ "${PHYRCTL_JOBS:-2}" = 1 ]; then
	lane_valgrind
else
	cli_lane lane_valgrind
fi
lane_asan
wait
serial_link
failed=$(cli_failed)
cli_note "phyrctl hook: $failed case(s) failed after $(($(date +%s) - start))s"
[ "$failed" -eq 0 ]
