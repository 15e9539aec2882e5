# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the guest hooks that need soft-RoCE (guest.d/50-rdma.sh,
# guest.d/60-fuzz.sh): an rxe device on one end of a veth pair, whose IPv4
# address gives the port a RoCE v2 GID. Not a hook itself.
#
# The caller defines note MSG (log a line), run CMD... (log a command and
# its output, return its status) and lap STEP (log the time STEP took).
#
#	rxe_setup	veth pair, address, rxe0 ACTIVE with a GID (sets gid)
#	rxe_teardown	rxe0 and the veth pair go away again
#
# Under TCG with KASAN every program started costs a good part of a
# second: the steps start as few as they can, and polls use shell builtins.

rxe=rxe0
veth=veth0
peer=veth1
addr=10.77.0.1/24
gid=

# wait_for TRIES CMD...: run CMD every 0.2 s until it succeeds
wait_for() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# the first line of a sysfs file, without starting a program
sysfs() {
	line=
	read -r line 2>/dev/null <"$1"
	echo "$line"
}

# The GID index of the first RoCE v2 GID of an IPv4 address on port 1.
find_gid() {
	port=/sys/class/infiniband/$rxe/ports/1
	i=0
	while [ -e "$port/gids/$i" ]; do
		# unused entries have no type: reading it fails
		type=
		read -r type 2>/dev/null <"$port/gid_attrs/types/$i"
		g=
		read -r g 2>/dev/null <"$port/gids/$i"
		if [ "$type" = "RoCE v2" ]; then
			case $g in
			0000:0000:0000:0000:0000:ffff:*)
				echo "$i"
				return 0
				;;
			esac
		fi
		i=$((i + 1))
	done
	return 1
}

# rxe0's port is up and has its GID (sets gid)
rxe_ready() {
	[ "$(sysfs "/sys/class/infiniband/$rxe/ports/1/state")" = "4: ACTIVE" ] &&
		gid=$(find_gid)
}

rxe_setup() {
	# one ip process for all of it; rxe follows the netdev's MTU: 9000
	# gives RoCE's largest, 4096, so a 1 MiB transfer is 256 packets
	# rather than 1024 under TCG
	note "# ip -batch -"
	ip -batch - >>"$log" 2>&1 <<-EOF || return 1
		link set lo up
		link add $veth type veth peer name $peer
		link set $veth mtu 9000
		link set $veth up
		link set $peer up
		addr add $addr dev $veth
	EOF
	lap "setup: veth pair"
	run rdma link add "$rxe" type rxe netdev "$veth" || return 1
	lap "setup: rdma link add"
	# the port and its GIDs come up asynchronously: up to 30 s
	if wait_for 150 rxe_ready; then
		note "$rxe: port 1 active, RoCE v2 IPv4 GID index $gid"
		return 0
	fi
	run ibv_devinfo -v -d "$rxe"
	note "$rxe: no active port with a RoCE v2 IPv4 GID after 30 s"
	return 1
}

rxe_teardown() {
	ok=0
	if [ -e "/sys/class/infiniband/$rxe" ]; then
		run rdma link delete "$rxe" || ok=1
		lap "teardown: rdma link delete"
	fi
	if [ -e "/sys/class/net/$veth" ]; then
		run ip link delete "$veth" || ok=1
		lap "teardown: ip link delete"
	fi
	return $ok
}
