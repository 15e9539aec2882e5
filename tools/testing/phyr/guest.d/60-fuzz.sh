#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: random call sequences over every vphyr instance and vgem
# (userspace/build/phyr_fuzz), checked against a model of what each call
# may return. As root it also unbinds PCI instances from the vphyr driver
# and binds them again (the "replug" kind); a run that fails while one is
# unbound leaves it so, and the hook binds every ivshmem device without a
# driver again before it returns. For the RDMA kinds (dma-buf MRs on
# soft-RoCE) it brings up rxe0 on a veth pair first (../guest-rxe.sh, as
# the soft-RoCE hook does) and takes it down at the end; without rxe, or
# with rdma-reg skipped, those kinds are not run and the summary says so.
#
# usage: 60-fuzz.sh OUTDIR
#
# Kernel command line (PHYR_CMDLINE=FILE reads FILE instead of
# /proc/cmdline, to try the hook by hand):
#
#	phyr_fuzz_calls=N	calls to make (default 20000)
#	phyr_fuzz_seed=S	the seed (default: the date, YYYYMMDD, so that
#				a day's runs repeat one sequence)
#	phyr_fuzz_seconds=N	stop after N seconds even if calls are left
#				(default: the hook's limit, phyr_hook_timeout,
#				less 60 s for the final checks)
#	phyr_fuzz_skip=KIND,...	call kinds to leave out (phyr_fuzz --help
#				lists them)
#	phyr_hook_timeout=S	the hook's own limit (default 300), which
#				guest-init enforces
#
# OUTDIR/fuzz.results gets a plan line "1..1" and one case:
#
#	PASS fuzz seed S, N calls (R calls/s)[, stopped by the time limit]
#	FAIL fuzz seed S call N: the call: what went wrong
#
# OUTDIR/fuzz.log gets phyr_fuzz's output: the seed, the devices, the
# calls per kind, and on a failure the calls before it and the command that
# repeats the run; every call with its result is in OUTDIR/fuzz.calls.log
# (the last 2000 lines of it when the run passed).

out=${1:-}
if [ -z "$out" ] || [ ! -d "$out" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

results=$out/fuzz.results
log=$out/fuzz.log
: >"$results" || exit 1
: >"$log" || exit 1

cmdline=$(cat "${PHYR_CMDLINE:-/proc/cmdline}" 2>/dev/null) || cmdline=
calls=20000
seed=$(date +%Y%m%d)
seconds=
skip=
for arg in $cmdline; do
	case $arg in
	phyr_fuzz_calls=*) calls=${arg#phyr_fuzz_calls=} ;;
	phyr_fuzz_seed=*) seed=${arg#phyr_fuzz_seed=} ;;
	phyr_fuzz_seconds=*) seconds=${arg#phyr_fuzz_seconds=} ;;
	phyr_fuzz_skip=*) skip=${arg#phyr_fuzz_skip=} ;;
	esac
done
limit=${phyr_hook_timeout:-300}
if [ -z "$seconds" ]; then
	seconds=$((limit - 60))
	[ "$seconds" -gt 0 ] || seconds=1
fi

here=$(cd "$(dirname "$0")" && pwd -P) || exit 1
fuzz=$here/../../../../userspace/build/phyr_fuzz
if [ ! -x "$fuzz" ]; then
	echo "1..1" >"$results"
	echo "FAIL fuzz $fuzz is missing: run make -C userspace on the host" >>"$results"
	exit 1
fi

# soft-RoCE for the RDMA kinds
note() { echo "$*" >>"$log"; }
run() {
	note "# $*"
	"$@" >>"$log" 2>&1
}
lap() { :; }
. "$here/../guest-rxe.sh"
rdma=0
case ,$skip, in
*,rdma-reg,*) ;;
*)
	if command -v rdma >/dev/null && rxe_setup; then
		rdma=1
	else
		note "no soft-RoCE device: the RDMA kinds will not run"
		rxe_teardown
	fi
	;;
esac

set -- --seed "$seed" --calls "$calls" --seconds "$seconds"
[ -n "$skip" ] && set -- "$@" --skip "$skip"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/phyr-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

echo "1..1" >"$results"
echo "FAIL fuzz seed $seed: interrupted (the hook ran out of time)" >>"$results"
echo "phyr_fuzz $*" >>"$log"
t0=$(date +%s)
# the call log stays in the guest's memory until the end
"$fuzz" "$@" --log "$tmp/calls.log" >"$tmp/out" 2>&1 </dev/null
rc=$?
cat "$tmp/out" >>"$log"
echo "phyr_fuzz exited with $rc after $(($(date +%s) - t0)) s" >>"$log"
# an instance a failed run left unbound (ivshmem: 1af4:1110)
for dev in /sys/bus/pci/devices/*; do
	[ -e "$dev/driver" ] && continue
	[ "$(cat "$dev/vendor" 2>/dev/null)" = 0x1af4 ] || continue
	[ "$(cat "$dev/device" 2>/dev/null)" = 0x1110 ] || continue
	echo "binding ${dev##*/} to vphyr again" >>"$log"
	echo "${dev##*/}" >/sys/bus/pci/drivers/vphyr/bind 2>>"$log"
done
[ "$rdma" = 1 ] && rxe_teardown
if [ "$rc" -eq 0 ]; then
	tail -n 2000 "$tmp/calls.log" >"$out/fuzz.calls.log"
else
	cp "$tmp/calls.log" "$out/fuzz.calls.log"
fi

summary=$(sed -n 's/^phyr_fuzz: \([0-9]* calls in .*\)$/\1/p' "$tmp/out")
fail=$(sed -n 's/^phyr_fuzz: FAIL //p' "$tmp/out" | head -n 1)
echo "1..1" >"$results.new"
if [ "$rc" -eq 0 ] && grep -q '^phyr_fuzz: PASS ' "$tmp/out"; then
	echo "PASS fuzz seed $seed, $summary" >>"$results.new"
elif [ -n "$fail" ]; then
	echo "FAIL fuzz $fail" >>"$results.new"
else
	echo "FAIL fuzz seed $seed: phyr_fuzz exited with $rc: $(tail -n 1 "$tmp/out")" >>"$results.new"
fi
mv -f "$results.new" "$results"
[ "$rc" -eq 0 ]
