#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: RDMA over soft-RoCE (rdma_rxe), rdma-core's own tools and
# userspace/build/phyr_rdma_test (RDMA into and out of vphyr dma-bufs).
#
# usage: 50-rdma.sh OUTDIR
#
# rxe reaches memory with the CPU, so the PCI topology does not matter to
# it: the caller picks the VMs it runs in (guest-init's phyr_hooks=). It
# brings up an rxe device on one end of a veth pair, whose IPv4 address
# gives the port a RoCE v2 GID (../guest-rxe.sh, which the fuzz hook uses
# too), then runs the cases. Case lines (PASS,
# FAIL, SKIP) go to OUTDIR/rdma.results after a plan line, commands, their
# output and the time of each step ("time: STEP N.NN s") to OUTDIR/rdma.log:
#
#	rdma-setup        the veth pair, the address, rxe0 ACTIVE with a GID
#	rdma-ibv-devices  ibv_devices lists rxe0
#	rdma-rc-pingpong  ibv_rc_pingpong, server and client both on rxe0
#	rdma-*            the cases of phyr_rdma_test
#	rdma-teardown     rxe0 and the veth pair go away again
#
# PHYR_RDMA_RUN="CASE ..." runs only those cases of phyr_rdma_test (make
# run's demo); PHYR_CMDLINE=FILE is read instead of /proc/cmdline for the
# phyr_p2p= it logs.
#
# A missing binary, or one that dies, times out or exits with anything but
# 0 or 1, adds a FAIL line of its own so the results never look clean by
# accident. Exit status: 0 when no case failed, 1 otherwise, 2 for a bad
# invocation (no OUTDIR: nothing can be written).

out=${1:-}
[ -d "$out" ] || {
	echo "usage: $0 OUTDIR" >&2
	exit 2
}
log=$out/rdma.log
results=$out/rdma.results
: >"$log"
: >"$results"
root=$(cd "$(dirname "$0")/../../../.." && pwd -P) || root=
bin=$root/userspace/build/phyr_rdma_test

p2p=
read -r cmdline 2>/dev/null <"${PHYR_CMDLINE:-/proc/cmdline}" || cmdline=
for arg in $cmdline; do
	case $arg in
	phyr_p2p=*) p2p=${arg#phyr_p2p=} ;;
	esac
done

# rxe, veth, addr, gid; rxe_setup, rxe_teardown, wait_for, sysfs
. "$(dirname "$0")/../guest-rxe.sh"
# ibv_rc_pingpong's TCP port, for seeing the server listen
pp_port=18515
# the whole hook must stay inside guest-init's limit (300 s by default)
test_timeout=${PHYR_RDMA_TIMEOUT:-200}
pp_timeout=60
srv_pid=

pass() { echo "PASS $1" >>"$results"; }
fail() {
	echo "FAIL $1" >>"$results"
	shift
	echo "FAILED: $*" >>"$log"
}
note() { echo "$*" >>"$log"; }

# run CMD...: log the command and its output, return its status
run() {
	note "# $*"
	"$@" >>"$log" 2>&1
}

# Under TCG with KASAN every program started costs a good part of a
# second (a libibverbs one several seconds, loading its providers): the
# steps below start as few as they can, and polls use shell builtins.

# lap STEP: log how long STEP took since the last lap (uptime, centiseconds)
centis() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}
lap_t=$(centis)
lap() {
	t=$(centis)
	d=$((t - lap_t))
	note "time: $1 $((d / 100)).$((d / 10 % 10))$((d % 10)) s"
	lap_t=$t
}

# something listens on TCP port $pp_port (state 0A in /proc/net/tcp*)
pp_hex=$(printf '%04X' "$pp_port")
pp_listening() {
	for f in /proc/net/tcp /proc/net/tcp6; do
		while read -r _ local _ st _; do
			case $local:$st in
			*:"$pp_hex":0A) return 0 ;;
			esac
		done <"$f"
	done 2>/dev/null
	return 1
}

teardown() {
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
		srv_pid=
	fi
	rxe_teardown
}

# rdma-core's RC ping-pong, both ends on rxe0: ten round trips of a 4 KiB
# message prove that sends and receives work; more prove nothing more
pingpong() {
	srv_log=$out/rdma-pingpong-server.log
	pp="ibv_rc_pingpong -d $rxe -g $gid -p $pp_port -n 10"
	note "# timeout $pp_timeout $pp &"
	# shellcheck disable=SC2086
	timeout "$pp_timeout" $pp >"$srv_log" 2>&1 &
	srv_pid=$!
	# the client connects once: start it when the server listens
	if wait_for 50 pp_listening; then
		# shellcheck disable=SC2086
		run timeout "$pp_timeout" $pp 127.0.0.1
		crc=$?
	else
		note "the ibv_rc_pingpong server did not listen on port $pp_port within 10 s"
		crc=1
		kill "$srv_pid" 2>/dev/null
	fi
	wait "$srv_pid"
	src=$?
	srv_pid=
	note "server (exit status $src):"
	cat "$srv_log" >>"$log"
	rm -f "$srv_log"
	if [ "$crc" -eq 0 ] && [ "$src" -eq 0 ]; then
		pass rdma-rc-pingpong
	else
		fail rdma-rc-pingpong "ibv_rc_pingpong: client exit status $crc, server $src"
	fi
}

# phyr_rdma_test, all its cases or those of PHYR_RDMA_RUN
rdma_test() {
	if [ -z "$root" ] || [ ! -x "$bin" ]; then
		fail rdma-build "phyr_rdma_test not found at $bin: run make -C userspace on the host"
		return
	fi
	set --
	for c in ${PHYR_RDMA_RUN:-}; do
		set -- "$@" --run "$c"
	done
	note "# $bin -d $rxe -g $gid $*"
	timeout -k 5 "$test_timeout" "$bin" -d "$rxe" -g "$gid" "$@" \
		>>"$results" 2>>"$log"
	rc=$?
	case $rc in
	0 | 1) ;;
	124 | 137) fail rdma-run "phyr_rdma_test timed out after ${test_timeout}s" ;;
	*) fail rdma-run "phyr_rdma_test exited with status $rc" ;;
	esac
}

trap 'teardown; exit 1' INT TERM

# the plan: setup, ibv_devices, pingpong, teardown and the test's cases
ncases=0
if [ -n "${PHYR_RDMA_RUN:-}" ]; then
	for c in $PHYR_RDMA_RUN; do
		ncases=$((ncases + 1))
	done
elif [ -x "$bin" ]; then
	ncases=$("$bin" --list 2>/dev/null | wc -l)
fi
echo "1..$((ncases + 4))" >>"$results"

note "soft-RoCE: $rxe on $veth ($addr), peer $peer (phyr_p2p=${p2p:-not given})"
if ! rxe_setup; then
	fail rdma-setup "bringing up $rxe on $veth"
	teardown
	exit 1
fi
pass rdma-setup
lap "setup: port active"

# once: every libibverbs program spends seconds loading its providers
devs=$(ibv_devices 2>&1)
drc=$?
note "# ibv_devices (exit status $drc)"
note "$devs"
if [ $drc -eq 0 ] && echo "$devs" | grep -qw "$rxe"; then
	pass rdma-ibv-devices
else
	fail rdma-ibv-devices "ibv_devices does not list $rxe"
fi
lap ibv-devices

pingpong
lap pingpong

rdma_test
lap phyr_rdma_test

if teardown; then
	pass rdma-teardown
else
	fail rdma-teardown "removing $rxe or $veth"
fi

grep -q '^FAIL ' "$results" && exit 1
exit 0
