#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: RDMA over soft-RoCE (rdma_rxe), rdma-core's own tools and
# userspace/build/phyr_rdma_test (RDMA into and out of vphyr dma-bufs).
#
# usage: 50-rdma.sh OUTDIR
#
# Runs only when the kernel command line carries phyr_rdma=1 and
# phyr_p2p=none|host|bus
# (PHYR_CMDLINE=FILE reads FILE instead of /proc/cmdline, to try the hook
# on a host). It brings up an rxe device on one end of a veth pair, whose
# IPv4 address gives the port a RoCE v2 GID, then runs the cases. Case
# lines (PASS, FAIL, SKIP) go to OUTDIR/rdma.results, commands and their
# output to OUTDIR/rdma.log:
#
#	rdma-setup        the veth pair, the address, rxe0 ACTIVE with a GID
#	rdma-ibv-devices  ibv_devices lists rxe0
#	rdma-rc-pingpong  ibv_rc_pingpong, server and client both on rxe0
#	rdma-*            the cases of phyr_rdma_test
#	rdma-teardown     rxe0 and the veth pair go away again
#
# A missing binary, or one that dies, times out or exits with anything but
# 0 or 1, adds a FAIL line of its own so the results never look clean by
# accident. Exit status: 0 when no case failed, 1 otherwise, 2 for a bad
# invocation.

out=${1:-}
if [ -z "$out" ] || [ ! -d "$out" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

cmdline=$(cat "${PHYR_CMDLINE:-/proc/cmdline}" 2>/dev/null) || cmdline=
p2p=
rdma=
for arg in $cmdline; do
	case $arg in
	phyr_p2p=*) p2p=${arg#phyr_p2p=} ;;
	phyr_rdma=*) rdma=${arg#phyr_rdma=} ;;
	esac
done
# rxe reaches memory with the CPU, so the PCI topology does not matter to
# it: make test runs this hook in one VM only (phyr_rdma=1)
[ -n "$p2p" ] && [ "$rdma" = 1 ] || exit 0

results=$out/rdma.results
log=$out/rdma.log
: >"$results"
: >"$log"
root=$(cd "$(dirname "$0")/../../../.." && pwd -P) || root=
bin=$root/userspace/build/phyr_rdma_test

rxe=rxe0
veth=veth0
peer=veth1
addr=10.77.0.1/24
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

# The GID index of the first RoCE v2 GID of an IPv4 address on port 1.
find_gid() {
	port=/sys/class/infiniband/$rxe/ports/1
	i=0
	while [ -e "$port/gids/$i" ]; do
		# unused entries have no type: reading it fails
		type=$(cat "$port/gid_attrs/types/$i" 2>/dev/null) &&
		[ "$type" = "RoCE v2" ] &&
		case $(cat "$port/gids/$i" 2>/dev/null) in
		0000:0000:0000:0000:0000:ffff:*) true ;;
		*) false ;;
		esac && {
			echo "$i"
			return 0
		}
		i=$((i + 1))
	done
	return 1
}

setup() {
	run ip link set lo up || return 1
	run ip link add "$veth" type veth peer name "$peer" || return 1
	# rxe follows the netdev's MTU: 9000 gives RoCE's largest, 4096, so a
	# 1 MiB transfer is 256 packets rather than 1024 under TCG
	run ip link set "$veth" mtu 9000 || return 1
	run ip link set "$veth" up || return 1
	run ip link set "$peer" up || return 1
	run ip addr add "$addr" dev "$veth" || return 1
	run rdma link add "$rxe" type rxe netdev "$veth" || return 1
	# the port and its GIDs come up asynchronously
	n=0
	while [ $n -lt 30 ]; do
		if ibv_devinfo -d "$rxe" 2>/dev/null | grep -q PORT_ACTIVE &&
		   gid=$(find_gid); then
			note "$rxe: port 1 active, RoCE v2 IPv4 GID index $gid"
			run ibv_devinfo -v -d "$rxe"
			return 0
		fi
		sleep 1
		n=$((n + 1))
	done
	run ibv_devinfo -v -d "$rxe"
	note "$rxe: no active port with a RoCE v2 IPv4 GID after 30 s"
	return 1
}

teardown() {
	ok=0
	if [ -n "$srv_pid" ]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
		srv_pid=
	fi
	if [ -e "/sys/class/infiniband/$rxe" ]; then
		run rdma link delete "$rxe" || ok=1
	fi
	if [ -e "/sys/class/net/$veth" ]; then
		run ip link delete "$veth" || ok=1
	fi
	return $ok
}

pingpong() {
	srv_log=$out/rdma-pingpong-server.log
	note "# timeout $pp_timeout ibv_rc_pingpong -d $rxe -g $gid -n 100 &"
	timeout "$pp_timeout" ibv_rc_pingpong -d "$rxe" -g "$gid" -n 100 \
		>"$srv_log" 2>&1 &
	srv_pid=$!
	# the client connects once: retry until the server listens
	tries=0
	while :; do
		sleep 1
		tries=$((tries + 1))
		run timeout "$pp_timeout" ibv_rc_pingpong -d "$rxe" -g "$gid" \
			-n 100 127.0.0.1
		crc=$?
		[ $crc -eq 0 ] && break
		[ $tries -lt 10 ] || break
		kill -0 "$srv_pid" 2>/dev/null || break
		# the client prints its local address after the error
		tail -n 3 "$log" | grep -q "Couldn't connect" || break
	done
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

trap 'teardown; exit 1' INT TERM

note "soft-RoCE: $rxe on $veth ($addr), peer $peer (phyr_p2p=$p2p)"
if ! setup; then
	fail rdma-setup "bringing up $rxe on $veth"
	teardown
	exit 1
fi
pass rdma-setup

if ibv_devices >>"$log" 2>&1 && ibv_devices 2>/dev/null | grep -qw "$rxe"; then
	pass rdma-ibv-devices
else
	fail rdma-ibv-devices "ibv_devices does not list $rxe"
fi

pingpong

if [ -z "$root" ] || [ ! -x "$bin" ]; then
	fail rdma-build "phyr_rdma_test not found at $bin: run make -C userspace on the host"
else
	# PHYR_RDMA_RUN="case ..." runs only those cases (make run's demo)
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
fi

if teardown; then
	pass rdma-teardown
else
	fail rdma-teardown "removing $rxe or $veth"
fi

grep -q '^FAIL ' "$results" && exit 1
exit 0
