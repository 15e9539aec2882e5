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
# Each case is one phyrctl run with the exit status and what it must
# produce: the fields of the JSON document of --json, checked with python3
# (the data commands), or fragments of the text output (the text itself,
# the tour). It runs under one checker, named in its result line:
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
NA=
devices_case() {
	cli_n=$((cli_n + 1))
	[ -n "$cli_counting" ] && return 0
	cli_key=devices-present
	t0=$(date +%s)
	cli_run_json asan list --json
	cp "$tmp/json.$cli_key" "$tmp/list.json"
	{
		echo "=== devices-present (asan, $(($(date +%s) - t0))s): phyrctl list --json"
		cat "$tmp/list.json" "$tmp/out.$cli_key"
	} >"$tmp/l.$cli_key"
	why=
	if [ "$rc" -ne 0 ]; then
		why="phyrctl list --json exited with $rc"
		nodev="phyrctl list failed"
	fi
	# "S A B NODE-OF-A VGEM": the first system instance, the first two
	# with VRAM, "-" for what is missing
	# shellcheck disable=SC2046 # five words
	set -- $(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    d = {}
inst = d.get("instances", [])
s = [i["instance"] for i in inst if not i["vram"]]
v = [i for i in inst if i["vram"]]
print(s[0] if s else "-", v[0]["instance"] if v else "-",
      v[1]["instance"] if len(v) > 1 else "-", v[0]["node"] if v else "-",
      d.get("vgem") or "-")
' "$tmp/list.json" 2>/dev/null)
	[ "${1:--}" = - ] || S=$1
	[ "${2:--}" = - ] || A=$2
	[ "${3:--}" = - ] || B=$3
	[ "${4:--}" = - ] || NA=$4
	if [ -z "$nodev" ] && { [ -z "$S" ] || [ -z "$A" ] || [ -z "$B" ]; }; then
		nodev="needs a system and two VRAM instances"
		why="expected a system instance and two VRAM instances"
	elif [ -z "$why" ]; then
		case ${5:--} in
		/dev/dri/card*) ;;
		*) why="no vgem card node" ;;
		esac
	fi
	if [ -n "$why" ]; then
		cli_result FAIL devices-present asan "$why"
	else
		cli_result PASS devices-present asan
	fi
	cli_note "instances: system $S, VRAM $A ($NA) and $B"
}

# dj ...: as j, SKIP as d does
dj() {
	if [ -n "$nodev" ]; then
		cli_skip "$1" "$nodev"
		return
	fi
	case ,${PHYRCTL_ONLY:-$1}, in
	*",$1,"*) j "$@" ;;
	*) cli_skip "$1" "not in PHYRCTL_ONLY" ;;
	esac
}

# ---- what an import of VRAM by the other VRAM instance shows ----

# As Python expressions over the JSON document: the placement of the
# exporter's object, how the importer's DMA ranges reach it (of table t),
# what evict says. p2p_frags: the same in words (copy's import_summary).
place=VRAM
evict_py="d['evict']['placement_before'] == 'VRAM' and d['evict']['generation_before'] == 0 and d['evict']['generation_after'] == 1"
case $p2p in
host)
	p2p_frags="interconnect p2p, via host-bridge, mmio"
	p2p_py="ics(t) == ['p2p'] and vias(t) == ['host-bridge'] and mmio(t)"
	;;
bus)
	p2p_frags="interconnect p2p, via bus, mmio"
	p2p_py="ics(t) == ['p2p'] and vias(t) == ['bus'] and mmio(t)"
	;;
none)
	# no P2P: the import moves the object to system memory first
	p2p_frags="interconnect host, via "
	p2p_py="ics(t) == ['host'] and not mmio(t)"
	place=system
	evict_py="d['evict']['placement_before'] == 'system'"
	;;
esac
# p2p_all KIND INSTANCE: $p2p_py holds for every such table
p2p_all() {
	echo "all($p2p_py for t in tables('$1', $2)) and len(tables('$1', $2)) > 0"
}

# ---- the cases ----

# The main paths of libphyr and phyrctl under valgrind (a minute or more
# each under TCG), and Mesa's GBM loader (as long): in the background.
lane_valgrind() {
	dj alloc-share 0 $vg "tables('phys', $A)[-1]['placement'] == '$place'" \
		"$(p2p_all dma "$B")" "verified('instance $B')" "verified()" \
		"len(d['checks']) == 3" "[(i['from_instance'], i['instance']) for i in d['imports']] == [($A, $B)]" \
		"d['objects'][0]['size'] == 262144 and d['objects'][0]['region'] == 'vram'" -- \
		alloc --on "$A" --size 256K --export-to "$B" --show --verify
	dj evict-imported 0 $vg "$evict_py" "d['evict']['placement_after'] == 'system'" \
		"d['evict']['importers'][0]['instance'] == $B" \
		"verified(\"the exporter's CPU mapping follows the object\")" \
		"verified(\"the exporter sees the importer's write after the move\")" \
		"verified()" -- evict --on "$A" --size 256K --import-to "$B"
	dj error-paths 1 $vg "'ENODEV' in d['error']" "'objects' not in d" -- \
		alloc --on "$S" --vram --size 64K
	# GBM on A's card node: a dumb buffer in A's VRAM, shared with B
	dj gbm-import 0 asan "len(d['imports']) == 1 and d['imports'][0]['source'] == 'gbm'" \
		"d['imports'][0]['instance'] == $B" \
		"tables('phys', $A)[0]['placement'] == 'VRAM'" \
		"ics(tables('phys', $A)[0]) == ['device'] and mmio(tables('phys', $A)[0])" \
		"$(p2p_all dma "$B")" "len(tables('dma')) == 1" \
		"verified('the GBM mapping shows what the device wrote')" "verified()" -- \
		gbm-import --on "$A" --into "$B"
}

# The other cases that leave the link state alone, beside them.
lane_asan() {
	# the text output of list and of the tables, beside their JSON
	d list 0 asan "vphyr instance(s)" "vgem: /dev/dri/card" -- list
	dj list-json 0 asan "d['count'] == len(d['instances']) >= 3" \
		"d['with_vram'] == len([i for i in d['instances'] if i['vram']]) >= 2" \
		"[i['instance'] for i in d['instances']] == sorted(i['instance'] for i in d['instances'])" \
		"all(i['node'].startswith('/dev/dri/renderD') for i in d['instances'])" \
		"all((i['vram_size'] > 0) == i['vram'] for i in d['instances'])" \
		"d['vgem'].startswith('/dev/dri/card')" -- list
	dj copy-p2p 0 asan "verified('the destination through the CPU mapping')" \
		"verified('the source is unchanged')" "verified()" \
		"d['copy']['instance'] == $B and d['copy']['size'] == 262144" \
		"'$p2p_frags' in d['copy']['import_summary']" -- \
		copy --from "$A" --to "$B" --size 256K
	dj export-to-process 0 asan "d['child_status'] == 0 and d['child_signal'] is None" \
		"d['dmabuf']['exporter'] != '' and d['dmabuf']['size'] == 262144" \
		"verified(\"the exporter's CPU sees what the command wrote\")" \
		"verified(\"the exporter's device sees what the command wrote\")" \
		"all(c['seed'] == 6 for c in d['checks'])" -- \
		export --on "$A" --size 256K --seed 5 --expect 6 -- \
		"$cli_asan" import --fd 3 --into "$B" --write 6
	dj import-vgem 0 asan "d['dmabuf']['exporter'] == 'drm'" \
		"all(ics(t) == ['host'] and vias(t) == ['sg'] for t in tables('dma', $A))" \
		"d['write_seed'] == 9" "d['imports'][0]['source'] == 'vgem'" \
		"verified(\"the exporter's CPU mapping shows the write\")" "verified()" -- \
		import --from vgem --into "$A" --size 256K --write 9
	dj bench 0 asan "any(r['operation'].startswith('GEM_DMA read') for r in d['results'])" \
		"any('GEM_RANGES readback' in r['operation'] for r in d['results'])" \
		"all(r['count'] > 0 and r['ms'] >= 0 for r in d['results'])" \
		"any(r['mib_per_s'] for r in d['results'])" -- \
		bench --on "$A" --to "$B" --size 256K --iterations 2 --cycles 4
	dj ranges-p2p 0 asan "[(t['kind'], t['instance']) for t in d['tables']] == [('phys', $A), ('dma', $B), ('phys', $A)]" \
		"$(p2p_all dma "$B")" "tables('phys', $A)[0]['placement'] == 'VRAM'" \
		"tables('phys', $A)[-1]['placement'] == '$place'" \
		"all(t['total_len'] == 262144 == sum(r['len'] for r in t['ranges']) for t in d['tables'])" \
		"all(t['count'] == len(t['ranges']) for t in d['tables'])" -- \
		ranges --on "$A" --vram --size 256K --import-to "$B"
	d ranges-all-raw 0 asan "summary: interconnect host" "flags" -- \
		ranges --on "$S" --system --size 256K --import-to "$A" --all --raw
	# every entry, whatever --all says (the pages of a 4 MiB vgem buffer
	# are usually scattered into more ranges than the 16 rows of the text)
	dj ranges-json-all-entries 0 asan "len(tables('dma', $A)) == 1" \
		"all(t['count'] == len(t['ranges']) for t in tables('dma', $A))" \
		"all([r['index'] for r in t['ranges']] == list(range(t['count'])) for t in d['tables'])" \
		"all(t['total_len'] == 4194304 == sum(r['len'] for r in t['ranges']) for t in d['tables'])" -- \
		import --from vgem --into "$A" --size 4M --no-verify
	# instance 0 is no PCI device: importing VRAM moves it to system memory
	dj alloc-share-system 0 asan "tables('phys', $A)[-1]['placement'] == 'system'" \
		"all(ics(t) == ['host'] for t in tables('dma', $S))" "verified('instance $S')" \
		"verified()" -- alloc --on "$A" --size 256K --export-to "$S" --show --verify
	dj alloc-vram 0 asan "tables('phys', $A)[0]['placement'] == 'VRAM'" \
		"ics(tables('phys', $A)[0]) == ['device'] and mmio(tables('phys', $A)[0])" \
		"verified('its device reads it')" "verified()" "'imports' not in d" -- \
		alloc --on "$A" --size 256K --show --verify
	dj alloc-system 0 asan "tables('phys', $S)[0]['placement'] == 'system'" \
		"verified('its device reads it')" "d['objects'][0]['region'] == 'system'" -- \
		alloc --on "$S" --system --size 256K --show --verify
	dj alloc-by-node 0 asan "d['objects'][0]['instance'] == $A" \
		"d['objects'][0]['node'] == '$NA'" "verified()" -- \
		alloc --on "$NA" --size 64K --verify
	dj import-instance 0 asan "all(ics(t) == ['host'] for t in tables('dma', $A))" \
		"d['imports'][0]['from_instance'] == $S and d['imports'][0]['instance'] == $A" \
		"verified('instance $A')" -- import --from "$S" --into "$A" --size 256K
	if [ -n "$cli_counting" ] || [ -n "$nodev" ] || [ -e /dev/udmabuf ]; then
		dj import-udmabuf 0 asan "d['dmabuf']['exporter'] == 'udmabuf'" \
			"all(ics(t) == ['host'] and 'sg' not in vias(t) for t in tables('dma', $A))" \
			"verified(\"the exporter's CPU mapping shows the write\")" -- \
			import --from udmabuf --into "$A" --size 256K --write 4
	else
		cli_skip import-udmabuf "no /dev/udmabuf"
	fi
	dj copy-to-system 0 asan "verified('the destination through the CPU mapping')" \
		"verified()" "d['copy']['instance'] == $S" -- \
		copy --from "$A" --to "$S" --size 256K
	dj copy-fill-vram 0 asan "verified('the CPU mapping shows what the device wrote')" \
		"verified('the device reads what the CPU wrote')" \
		"d['objects'][0]['region'] == 'vram'" "'copy' not in d" -- \
		copy --fill --on "$A" --size 256K
	dj copy-fill-system 0 asan "verified('the device reads what the CPU wrote')" \
		"d['objects'][0]['region'] == 'system'" -- \
		copy --fill --on "$S" --system --size 256K
	dj evict-vram 0 asan "d['evict']['placement_before'] == 'VRAM'" \
		"d['evict']['placement_after'] == 'system'" \
		"(d['evict']['generation_before'], d['evict']['generation_after']) == (0, 1)" \
		"d['evict']['importers'] == []" -- evict --on "$A" --size 256K
	dj evict-system 0 asan "d['evict']['placement_before'] == 'system'" \
		"d['evict']['placement_after'] == 'system'" \
		"(d['evict']['generation_before'], d['evict']['generation_after']) == (0, 0)" -- \
		evict --on "$S" --system --size 256K
	dj no-instance 3 asan "'no vphyr instance 77' in d['error']" -- alloc --on 77 --size 64K
	dj vram-too-big 1 asan "'E2BIG' in d['error']" -- alloc --on "$A" --size 64G
}

# Links are state of the devices: one case at a time.
serial_link() {
	dj link 0 asan "d['link']['used'] and not d['link']['linked']" \
		"(d['link']['instance'], d['link']['peer']) == ($A, $B)" \
		"len(tables('dma')) == 2" \
		"all(ics(t) == ['link'] and vias(t) == ['link'] for t in tables('dma'))" \
		"verified('instance $B')" "verified('instance $A')" "verified()" -- \
		link --on "$A" --peer "$B" --size 256K
	if [ -z "$cli_counting" ] && [ -z "$nodev" ] &&
		! grep -q '^PASS link ' "$results"; then
		# a link the failed run left would change the later cases
		"$cli_bin" link --remove --on "$A" --peer "$B" >/dev/null 2>&1
	fi
	dj link-no-vram 1 asan "'ENODEV' in d['error']" -- link --on "$S" --peer "$A"
	dj unlink-not-linked 1 asan "'ENOENT' in d['error']" -- \
		link --remove --on "$A" --peer "$B"
	# step 7 (GBM) is gbm-import's code, checked above
	d tour 0 asan "tour: OK, 6 steps" "1. " "6. " "!MISMATCH" -- \
		tour --size 256K --no-gbm
	dj no-link-left 0 asan "d['linked'] == 0" \
		"all(i['link_peer'] is None for i in d['instances'])" -- list
}

# copy-progress: a copy whose stderr is a terminal (script(1) gives it a
# pty) draws a progress line there; the same copy with --json on a
# terminal, and with stderr in a file, draws none. The progress line shows
# at once with PHYRCTL_PROGRESS_DELAY_MS=0.
progress_case() {
	cli_n=$((cli_n + 1))
	[ -z "$cli_counting" ] || return 0
	name=copy-progress
	cli_key=$name
	ck=asan
	if [ -n "$nodev" ]; then
		cli_skip copy-progress "$nodev"
		return
	fi
	if ! command -v script >/dev/null 2>&1; then
		cli_skip copy-progress "no script(1) (util-linux)"
		return
	fi
	if [ ! -c /dev/pts/ptmx ]; then
		cli_skip copy-progress "no pseudo-terminals (devpts) in this kernel"
		return
	fi
	set -- copy --from "$A" --to "$S" --size 32M
	line='copy: *[0-9]*% ([0-9]* [KMG]*i*B* of 32 MiB)'
	t0=$(date +%s)
	PHYRCTL_PROGRESS_DELAY_MS=0
	export PHYRCTL_PROGRESS_DELAY_MS
	script -qec "$cli_asan $*" "$tmp/tty.$cli_key" </dev/null >/dev/null 2>&1
	tty_rc=$?
	script -qec "$cli_asan $* --json" "$tmp/ttyj.$cli_key" </dev/null \
		>/dev/null 2>&1
	json_rc=$?
	cli_run asan "$@"
	unset PHYRCTL_PROGRESS_DELAY_MS
	{
		echo "=== copy-progress (asan, $(($(date +%s) - t0))s): phyrctl $* on a terminal, with --json on a terminal, to a file"
		cat "$tmp/tty.$cli_key" "$tmp/ttyj.$cli_key" "$tmp/out.$cli_key"
	} >"$tmp/l.$cli_key"
	why=
	if [ "$tty_rc" -ne 0 ] || [ "$json_rc" -ne 0 ] || [ "$rc" -ne 0 ]; then
		why="exit status $tty_rc on a terminal, $json_rc with --json, $rc to a file"
	elif ! grep -q "$line" "$tmp/tty.$cli_key"; then
		why="no progress line on a terminal"
	elif grep -q "$line" "$tmp/ttyj.$cli_key"; then
		why="a progress line with --json"
	elif grep -q "$line" "$tmp/out.$cli_key"; then
		why="a progress line in a file"
	fi
	cli_end
}

cli_plan devices_case lane_valgrind lane_asan serial_link progress_case
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
progress_case
failed=$(cli_failed)
cli_note "phyrctl hook: $failed case(s) failed after $(($(date +%s) - start))s"
[ "$failed" -eq 0 ]
