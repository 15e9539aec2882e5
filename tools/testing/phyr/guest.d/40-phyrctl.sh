#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: exercise phyrctl (userspace/build/phyrctl), the command-line
# tool over libphyr, against the vphyr instances of the test VM.
#
# usage: 40-phyrctl.sh OUTDIR
#
# Runs only when the kernel command line carries phyr_p2p=none|host|bus
# (PHYR_CMDLINE=FILE reads FILE instead of /proc/cmdline, to try the hook
# on a host). Each case is one phyrctl invocation with the exit status and
# the output fragments it must produce. One line per case goes to
# OUTDIR/phyrctl.results:
#
#	PASS name
#	FAIL name
#	SKIP name reason
#
# and every command with its output, and the reason of each failure, to
# OUTDIR/phyrctl.log.
#
# Cases marked "vg" run under valgrind's memcheck when valgrind is
# installed: any memory error or definitely lost block fails the case
# (reports from Mesa are suppressed by userspace/phyrctl/phyrctl.supp).
# valgrind is slow under TCG: once the hook has run for PHYRCTL_VG_BUDGET
# seconds (default 60) the remaining cases run without it, and a valgrind
# run that exceeds PHYRCTL_VG_TIMEOUT seconds (default 90) is run again
# without it. PHYRCTL_VALGRIND=0 turns valgrind off. Without valgrind a
# case gets PHYRCTL_CASE_TIMEOUT seconds (default 180). PHYRCTL=PATH runs
# another phyrctl binary.
#
# Exit status: 0 when no case failed, 1 otherwise, 2 for a bad invocation.

out=${1:-}
if [ -z "$out" ] || [ ! -d "$out" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

cmdfile=${PHYR_CMDLINE:-/proc/cmdline}
cmdline=$(cat "$cmdfile" 2>/dev/null) || cmdline=
p2p=
enabled=
for arg in $cmdline; do
	case $arg in
	phyr_p2p=*) p2p=${arg#phyr_p2p=} ;;
	phyr_phyrctl=1) enabled=1 ;;
	esac
done
# Each phyrctl run loads libdrm, GBM and, for gbm-import, Mesa's software
# driver over 9p under TCG: seconds apiece. The suite runs in the VM that
# asks for it with phyr_phyrctl=1 (make test: the switch topology).
[ -n "$p2p" ] && [ -n "$enabled" ] || exit 0

results=$out/phyrctl.results
log=$out/phyrctl.log
: >"$results"
: >"$log"
root=$(cd "$(dirname "$0")/../../../.." && pwd -P) || root=
bin=${PHYRCTL:-$root/userspace/build/phyrctl}
supp=$root/userspace/phyrctl/phyrctl.supp
failed=0

note() {
	echo "# $*" >>"$log"
}

result() {
	# result PASS|FAIL|SKIP NAME [REASON]
	echo "$1 $2${3:+ $3}" >>"$results"
	echo "--- $1 $2${3:+ ($3)}" >>"$log"
	if [ "$1" = FAIL ]; then
		failed=$((failed + 1))
	fi
}

case $p2p in
none | host | bus) ;;
*)
	result FAIL phyrctl-p2p-mode
	note "phyr_p2p=$p2p is none of none, host, bus"
	exit 1
	;;
esac

if [ -z "$root" ] || [ ! -x "$bin" ]; then
	result FAIL phyrctl-build
	note "phyrctl not found at $bin: run make -C userspace on the host"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/phyrctl.XXXXXX" 2>/dev/null) || tmp=
if [ -z "$tmp" ]; then
	tmp=$out/phyrctl.tmp
	mkdir -p "$tmp" || exit 1
fi
trap 'rm -rf "$tmp"' EXIT

have_timeout=
if command -v timeout >/dev/null 2>&1; then
	have_timeout=1
fi
start=$(date +%s)
vg_budget=${PHYRCTL_VG_BUDGET:-60}
vg_timeout=${PHYRCTL_VG_TIMEOUT:-90}
case_timeout=${PHYRCTL_CASE_TIMEOUT:-180}

# run LIMIT CMD...: CMD, killed after LIMIT seconds when timeout(1) exists
run() {
	limit=$1
	shift
	if [ -n "$have_timeout" ]; then
		timeout -k 5 "$limit" "$@"
	else
		"$@"
	fi
}

vg=
if [ "${PHYRCTL_VALGRIND:-1}" = 0 ]; then
	note "valgrind: turned off by PHYRCTL_VALGRIND=0"
elif ! command -v valgrind >/dev/null 2>&1; then
	note "valgrind: not installed, every case runs without it"
elif ! run "$vg_timeout" valgrind -q --error-exitcode=99 --vgdb=no true \
	>"$tmp/vgprobe" 2>&1; then
	note "valgrind: does not work here, every case runs without it:"
	cat "$tmp/vgprobe" >>"$log"
else
	vg="valgrind -q --error-exitcode=99 --vgdb=no --num-callers=40"
	vg="$vg --leak-check=full --show-leak-kinds=definite"
	vg="$vg --errors-for-leak-kinds=definite --suppressions=$supp"
	note "valgrind: $vg"
fi

# Cases that do not run under valgrind run phyrctl-asan, built with
# AddressSanitizer, LeakSanitizer and UBSan (PHYRCTL_ASAN=0: plain phyrctl).
plain_bin=$bin
used_asan=
asan_bin=$root/userspace/build/phyrctl-asan
if [ -z "${PHYRCTL:-}" ] && [ "${PHYRCTL_ASAN:-1}" != 0 ] && [ -x "$asan_bin" ]; then
	plain_bin=$asan_bin
	ASAN_OPTIONS=exitcode=99:detect_leaks=1
	UBSAN_OPTIONS=exitcode=99:print_stacktrace=1
	LSAN_OPTIONS=suppressions=$root/userspace/phyrctl/phyrctl.lsan:print_suppressions=0
	export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	note "sanitizers: cases without valgrind run $asan_bin"
fi

# phyrctl MODE ARGS...: run it (under valgrind when MODE is vg and valgrind
# is usable); output in $tmp/out, status in $rc, $used_vg set when it ran
# under valgrind
phyrctl() {
	mode=$1
	shift
	used_vg=
	if [ "$mode" = vg ] && [ -n "$vg" ]; then
		if [ $(($(date +%s) - start)) -ge "$vg_budget" ]; then
			note "valgrind: budget of ${vg_budget}s spent, the remaining cases run without it"
			vg=
		fi
	fi
	if [ "$mode" = vg ] && [ -n "$vg" ]; then
		used_vg=1
		# shellcheck disable=SC2086 # $vg is a command line
		run "$vg_timeout" $vg "$bin" "$@" >"$tmp/out" 2>&1
		rc=$?
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			note "valgrind: took more than ${vg_timeout}s: running the case again without it, and the remaining ones too"
			cat "$tmp/out" >>"$log"
			vg=
			used_vg=
			# a link the killed run made would stay
			if [ -n "$A" ] && [ -n "$B" ]; then
				"$bin" link --remove --on "$A" --peer "$B" >/dev/null 2>&1
			fi
		fi
	fi
	used_asan=
	if [ -z "$used_vg" ]; then
		run "$case_timeout" "$plain_bin" "$@" >"$tmp/out" 2>&1
		rc=$?
		[ "$plain_bin" = "$bin" ] || used_asan=1
	fi
}

# t NAME STATUS MODE [FRAGMENT]... -- ARGS...
#   run "phyrctl ARGS"; it must exit with STATUS and print every FRAGMENT
#   (a FRAGMENT starting with ! must not appear). MODE: vg or plain.
t() {
	name=$1
	want=$2
	mode=$3
	shift 3
	: >"$tmp/frags"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		printf '%s\n' "$1" >>"$tmp/frags"
		shift
	done
	[ $# -gt 0 ] && shift
	phyrctl "$mode" "$@"
	echo "=== $name: phyrctl $*${used_vg:+ (under valgrind)}${used_asan:+ (sanitizers)}" >>"$log"
	cat "$tmp/out" >>"$log"
	why=
	if [ -n "$used_vg" ] && [ "$rc" -eq 99 ]; then
		why="valgrind reported errors or leaks"
	elif [ -n "$used_asan" ] && [ "$rc" -eq 99 ]; then
		why="a sanitizer reported errors or leaks"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out"
	elif [ "$rc" -ne "$want" ]; then
		why="exit status $rc, expected $want"
	else
		while IFS= read -r f; do
			case $f in
			!*)
				if grep -qF -e "${f#!}" "$tmp/out"; then
					why="the output has '${f#!}'"
					break
				fi
				;;
			*)
				if ! grep -qF -e "$f" "$tmp/out"; then
					why="the output lacks '$f'"
					break
				fi
				;;
			esac
		done <"$tmp/frags"
	fi
	if [ -n "$why" ]; then
		note "$name: $why"
		result FAIL "$name"
	else
		result PASS "$name"
	fi
}

# d ...: as t, for cases that need vphyr devices (SKIP without any)
d() {
	if [ -n "$nodev" ]; then
		result SKIP "$1" "$nodev"
		return
	fi
	t "$@"
}

note "phyrctl hook: phyr_p2p=$p2p, $bin"
A=
B=

# ---- the command line itself ----

t help 0 plain "usage: phyrctl COMMAND" "gbm-import" "tour" "Exit status" -- --help
for c in list alloc export import ranges copy evict link gbm-import bench tour; do
	t "help-$c" 0 plain "usage: phyrctl $c" -- "$c" --help
done
t help-command 0 plain "usage: phyrctl ranges" -- help ranges
t no-command 2 plain "usage: phyrctl" --
t bad-command 2 plain "unknown command 'frobnicate'" -- frobnicate
t bad-option 2 plain "phyrctl alloc: unknown option '--bogus'" "Try 'phyrctl alloc --help'" -- alloc --bogus
t missing-value 2 plain "needs a value" -- alloc --size
t bad-size 2 plain "not a nonzero multiple of the page size" -- alloc --size 12345
t bad-size-text 2 plain "is not a size" -- ranges --size lots
t bad-instance 2 plain "not an instance number" -- alloc --on x
t unexpected-argument 2 plain "unexpected argument 'extra'" -- list extra
t import-no-source 2 plain "exactly one of --fd K and --from SOURCE" -- import
t import-bad-fd 2 plain "not an open file descriptor" -- import --fd 99
t link-keep-remove 2 plain "exclude each other" -- link --keep --remove
t copy-fill-to 2 plain "--fill works on one object" -- copy --fill --to 1
t export-expect-no-command 2 plain "--expect needs a command" -- export --expect 3

# ---- the devices ----

phyrctl plain list
cp "$tmp/out" "$tmp/list"
echo "=== list: phyrctl list" >>"$log"
cat "$tmp/list" >>"$log"
nodev=
S=
nvram=0
if [ "$rc" -eq 3 ]; then
	nodev="no vphyr devices"
	result FAIL devices-present
	note "devices-present: phyrctl list found no vphyr device, but phyr_p2p= says this is the test VM"
elif [ "$rc" -ne 0 ]; then
	nodev="phyrctl list failed"
	result FAIL devices-present
	note "devices-present: phyrctl list exited with $rc"
else
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
	nvram=$(sed -n 's/^[0-9]* vphyr instance(s), \([0-9]*\) with VRAM.*/\1/p' "$tmp/list")
	note "instances: system $S, VRAM $A and $B ($nvram with VRAM)"
	if [ -n "$S" ] && [ -n "$A" ] && [ -n "$B" ] && [ "${nvram:-0}" -ge 2 ] &&
		grep -q '^vgem: /dev/dri/card' "$tmp/list"; then
		result PASS devices-present
	else
		result FAIL devices-present
		note "devices-present: expected a system instance, two VRAM instances and vgem"
		[ -n "$S" ] && [ -n "$A" ] && [ -n "$B" ] || nodev="needs a system and two VRAM instances"
	fi
fi

# what an import of VRAM by the other VRAM instance shows
exp_place="placement VRAM"
case $p2p in
host)
	p2p_frags="interconnect p2p, via host-bridge, mmio"
	evict_frag="exporter: placement VRAM -> system, generation 0 -> 1"
	;;
bus)
	p2p_frags="interconnect p2p, via bus, mmio"
	evict_frag="exporter: placement VRAM -> system, generation 0 -> 1"
	;;
none)
	# no P2P: the import moves the object to system memory first
	p2p_frags="interconnect host, via "
	exp_place="placement system"
	evict_frag="exporter: placement system -> system"
	;;
esac

# under valgrind (slow under TCG): the main paths of libphyr and phyrctl
d list 0 vg "vphyr instance(s)" "vgem: /dev/dri/card" -- list
d alloc-share 0 vg "$exp_place" "$p2p_frags" "verified: instance $B" \
	"!MISMATCH" -- alloc --on "$A" --size 1M --export-to "$B" --show --verify
d export-to-process 0 plain "exited with status 0" \
	"verified: the exporter's CPU sees what the command wrote" \
	"verified: the exporter's device sees what the command wrote" -- \
	export --on "$A" --size 1M --seed 5 --expect 6 -- \
	"$bin" import --fd 3 --into "$B" --write 6
d import-vgem 0 plain "interconnect host, via sg" \
	"verified: the exporter's CPU mapping shows the write" -- \
	import --from vgem --into "$A" --size 1M --write 9
d copy-p2p 0 vg "verified: the destination through the CPU mapping" \
	"verified: the source is unchanged" "$p2p_frags" -- \
	copy --from "$A" --to "$B" --size 1M
d evict-imported 0 vg "$evict_frag" \
	"verified: the exporter's CPU mapping follows the object" \
	"verified: the exporter sees the importer's write after the move" -- \
	evict --on "$A" --size 1M --import-to "$B"
d link 0 plain "interconnect link, via link" "verified: instance $B" \
	"verified: instance $A" "link: unlinked" -- \
	link --on "$A" --peer "$B" --size 256K
d bench 0 plain "MiB/s" "GEM_RANGES readback" -- \
	bench --on "$A" --to "$B" --size 256K --iterations 2 --cycles 4
d error-paths 1 vg "ENODEV" -- alloc --on "$S" --vram --size 64K
d gbm-import 0 plain "interconnect host, via sg" \
	"verified: the GBM mapping shows what the device wrote" -- \
	gbm-import --into "$A" --into "$S"

# without valgrind
d ranges-p2p 0 plain "phyr list of handle" "dma_range table of handle" \
	"$p2p_frags" -- ranges --on "$A" --vram --size 1M --import-to "$B"
d ranges-all-raw 0 plain "summary: interconnect host" "flags" -- \
	ranges --on "$S" --system --size 1M --import-to "$A" --all --raw
# instance 0 is no PCI device: importing VRAM moves it to system memory
d alloc-share-system 0 plain "placement system" "interconnect host, via " \
	"verified: instance $S" "!MISMATCH" -- \
	alloc --on "$A" --size 1M --export-to "$S" --show --verify
d alloc-vram 0 plain "placement VRAM" "interconnect device, mmio" \
	"verified: its device reads it" -- alloc --on "$A" --size 1M --show --verify
d alloc-system 0 plain "placement system" "verified: its device reads it" -- \
	alloc --on "$S" --system --size 1M --show --verify
d import-instance 0 plain "interconnect host, via " "verified: instance $A" -- \
	import --from "$S" --into "$A" --size 256K
if [ -n "$nodev" ]; then
	result SKIP import-udmabuf "$nodev"
elif [ -e /dev/udmabuf ]; then
	t import-udmabuf 0 plain "interconnect host, via sg" \
		"verified: the exporter's CPU mapping shows the write" -- \
		import --from udmabuf --into "$A" --size 1M --write 4
else
	result SKIP import-udmabuf "no /dev/udmabuf"
fi
d copy-to-system 0 plain "verified: the destination through the CPU mapping" -- \
	copy --from "$A" --to "$S" --size 1M
d copy-fill-vram 0 plain "verified: the CPU mapping shows what the device wrote" \
	"verified: the device reads what the CPU wrote" -- copy --fill --on "$A" --size 1M
d copy-fill-system 0 plain "verified: the device reads what the CPU wrote" -- \
	copy --fill --on "$S" --system --size 256K
d evict-vram 0 plain "exporter: placement VRAM -> system, generation 0 -> 1" -- \
	evict --on "$A" --size 1M
d evict-system 0 plain "exporter: placement system -> system, generation 0 -> 0" -- \
	evict --on "$S" --system --size 256K
d no-instance 3 plain "no vphyr instance 77" -- alloc --on 77 --size 64K
d vram-too-big 1 plain "E2BIG" -- alloc --on "$A" --size 64G
d link-no-vram 1 plain "ENODEV" -- link --on "$S" --peer "$A"
d unlink-not-linked 1 plain "ENOENT" -- link --remove --on "$A" --peer "$B"
d tour 0 plain "tour: OK" "1. " "7. " "!MISMATCH" -- tour --size 1M
d no-link-left 0 plain ", 0 linked" -- list

note "phyrctl hook: $failed case(s) failed after $(($(date +%s) - start))s"
[ "$failed" -eq 0 ]
