#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# PID 1 of the phyr test VM (started by vm.sh via init=).
#
# The guest root is the host's / shared read-only over virtio-9p; results
# go to a second, writable 9p share (mount tag "phyrout").  The mode comes
# from the kernel command line (phyr_mode=test|demo|bench), which the kernel
# hands to init as an environment variable.
#
#   test: KUnit debugfs results -> kunit/<suite>.ktap; the guest.d hooks
#         named by phyr_hooks=NAME,... (default: every guest.d/*.sh), each
#         with a line "NAME.sh STATUS SECONDS" in guest.d.status
#   demo: /sys/kernel/debug/phyr/demo -> demo.txt
#   bench: /sys/kernel/debug/phyr/bench, then userspace/build/pin_bench
#          (pinning user memory, best booted with hugepagesz=1G
#          hugepages=1) -> bench.txt
#   all:  kmemleak.txt and kmemleak.status (ok, or why the scans did not
#         run), dmesg.txt, lockdep_stats.txt, uname, cmdline, timing
#         (seconds: boot = uptime when init started, kmemleak, uptime at
#         the end), and finally "done"
#
# As PID 1 this script must never exit: it always ends by powering off,
# with a sleep loop as the last resort.

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

PHYR_TAG=phyrout
OUT=/run/out
DBG=/sys/kernel/debug
PHYR_DIR=$(dirname "$0")
BB=/bin/busybox

log() { echo "phyr-init: $*"; }

is_mounted() { grep -q " $1 " /proc/mounts 2>/dev/null; }

mnt() {
	# mnt TYPE SOURCE TARGET [OPTIONS]
	is_mounted "$3" && return 0
	if [ -n "$4" ]; then
		mount -t "$1" -o "$4" "$2" "$3"
	else
		mount -t "$1" "$2" "$3"
	fi || { log "mount $1 on $3 failed"; return 1; }
}

setup() {
	# The root is the host's / over 9p, so /proc, /sys and /dev first show
	# the host's files: mount the guest's own proc before anything reads
	# /proc (is_mounted() included).
	mount -t proc proc /proc || log "mount proc failed"
	mnt sysfs sysfs /sys
	mnt devtmpfs devtmpfs /dev
	# pseudo-terminals, where the kernel has them (script(1) in the tests)
	if grep -qw devpts /proc/filesystems; then
		mkdir -p /dev/pts
		mnt devpts devpts /dev/pts
	fi
	mnt debugfs debugfs "$DBG"
	mnt tmpfs tmpfs /run mode=0755
	# The project may live under /tmp, which gets a tmpfs of its own next:
	# keep reaching it (hooks, test programs) through a bind mount.
	root=$(cd "$PHYR_DIR/../../.." && pwd -P)
	mkdir -p /run/phyr
	if mount --bind "$root" /run/phyr; then
		PHYR_DIR=/run/phyr/tools/testing/phyr
	else
		log "bind mount of $root failed"
	fi
	mnt tmpfs tmpfs /tmp mode=1777
	mkdir -p "$OUT"
	if ! mnt 9p "$PHYR_TAG" "$OUT" trans=virtio,version=9p2000.L,msize=512000; then
		log "results share unavailable, results stay in the guest"
	fi
}

get_mode() {
	mode=${phyr_mode:-}
	if [ -z "$mode" ]; then
		read -r cmdline </proc/cmdline
		for arg in $cmdline; do
			case $arg in phyr_mode=*) mode=${arg#phyr_mode=} ;; esac
		done
	fi
	echo "${mode:-test}"
}

collect_kunit() {
	mkdir -p "$OUT/kunit"
	n=0
	for res in "$DBG"/kunit/*/results; do
		[ -r "$res" ] || continue
		suite=$(basename "$(dirname "$res")")
		cat "$res" >"$OUT/kunit/$suite.ktap"
		n=$((n + 1))
	done
	log "collected $n KUnit suite result(s)"
}

# now_s: seconds since boot, with hundredths
now_s() { cut -d' ' -f1 /proc/uptime; }

# elapsed START: seconds since START (a now_s value), whole seconds
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%d", b - a + 0.5 }'; }

timing() { echo "$1 $2" >>"$OUT/timing"; }

# One line per hook in guest.d.status: "NAME STATUS SECONDS", where STATUS
# is its exit code, "not-executable" or "missing". Every hook that should
# run gets a line, so that a hook that could not run is never silent.
run_hooks() {
	hookdir=$PHYR_DIR/guest.d
	: >"$OUT/guest.d.status"
	if [ -n "${phyr_hooks:-}" ]; then
		# phyr_hooks=30-igt,50-rdma: exactly these, in this order
		hooks=$(echo "$phyr_hooks" | tr ',' ' ')
		# phyr_hooks=none: KUnit only
		[ "$hooks" = none ] && hooks=
	else
		hooks=
		for hook in "$hookdir"/*.sh; do
			[ -e "$hook" ] && hooks="$hooks $(basename "$hook" .sh)"
		done
	fi
	for name in $hooks; do
		hook=$hookdir/$name.sh
		if [ ! -f "$hook" ]; then
			log "hook $name.sh is missing"
			echo "$name.sh missing 0" >>"$OUT/guest.d.status"
			continue
		fi
		if [ ! -x "$hook" ]; then
			log "hook $name.sh is not executable"
			echo "$name.sh not-executable 0" >>"$OUT/guest.d.status"
			continue
		fi
		log "running hook $name.sh"
		t0=$(now_s)
		if command -v timeout >/dev/null 2>&1; then
			timeout -k 10 "${phyr_hook_timeout:-300}" "$hook" "$OUT"
		else
			"$hook" "$OUT"
		fi
		rc=$?
		secs=$(elapsed "$t0")
		echo "$name.sh $rc $secs" >>"$OUT/guest.d.status"
		log "hook $name.sh exited with $rc after ${secs}s"
	done
}

collect_demo() {
	if [ -r "$DBG/phyr/demo" ]; then
		cat "$DBG/phyr/demo" >"$OUT/demo.txt"
		log "demo report written ($(wc -l <"$OUT/demo.txt") lines)"
	else
		echo "phyr demo: $DBG/phyr/demo is missing" >"$OUT/demo.txt"
		log "$DBG/phyr/demo is missing"
	fi
	demo=$PHYR_DIR/../../../userspace/build/vphyr_demo
	if [ -x "$demo" ]; then
		log "running vphyr_demo"
		{
			echo
			echo "=== vphyr: VRAM exported by one device, imported by another ==="
			"$demo" 2>&1
		} >>"$OUT/demo.txt"
	fi
	rdma=$PHYR_DIR/guest.d/50-rdma.sh
	if [ -x "$rdma" ]; then
		log "running the soft-RoCE demo"
		d=$OUT/rdma-demo
		mkdir -p "$d"
		echo "phyr_p2p=demo" >"$d/cmdline"
		PHYR_CMDLINE=$d/cmdline \
			PHYR_RDMA_RUN="rdma-write-vram rdma-evict-invalidates" \
			"$rdma" "$d"
		{
			echo
			echo "=== soft-RoCE: RDMA into a vphyr dma-buf in VRAM (rdma_rxe + rdma-core) ==="
			grep -E '^(soft-RoCE|rxe0:)' "$d/rdma.log"
			sed -n 's/^\([0-9]* bytes in .*\)/ibv_rc_pingpong on rxe0: \1/p' \
				"$d/rdma.log"
			grep -E 'rdma-[a-z-]*: note: (RDMA|after)' "$d/rdma.log"
			grep -E "^(PASS|FAIL|SKIP) " "$d/rdma.results"
		} >>"$OUT/demo.txt"
	fi
	phyrctl=$PHYR_DIR/../../../userspace/build/phyrctl
	if [ -x "$phyrctl" ]; then
		log "running phyrctl tour"
		{
			echo
			echo "=== phyrctl tour ==="
			"$phyrctl" tour 2>&1
		} >>"$OUT/demo.txt"
	fi
}

collect_bench() {
	if [ -r "$DBG/phyr/bench" ]; then
		log "running the benchmark"
		cat "$DBG/phyr/bench" >"$OUT/bench.txt"
	else
		echo "phyr bench: $DBG/phyr/bench is missing" >"$OUT/bench.txt"
	fi
	pin=$PHYR_DIR/../../../userspace/build/pin_bench
	if [ -x "$pin" ]; then
		log "running pin_bench"
		{
			echo
			echo "=== pinning user memory: phyr_pin_user() vs pin_user_pages_fast() + sg_alloc_table_from_pages_segment() ==="
			if command -v timeout >/dev/null 2>&1; then
				timeout -k 10 "${phyr_hook_timeout:-300}" "$pin" 2>&1
			else
				"$pin" 2>&1
			fi
			echo "pin_bench exit status $?"
		} >>"$OUT/bench.txt"
	else
		echo "pin_bench: $pin is missing (make -C userspace)" >>"$OUT/bench.txt"
		log "$pin is missing"
	fi
}

collect_kmemleak() {
	kml=$DBG/kmemleak
	if [ ! -e "$kml" ]; then
		echo "kmemleak: $kml is missing" >"$OUT/kmemleak.txt"
		echo "missing: $kml" >"$OUT/kmemleak.status"
		log "kmemleak not available"
		return 0
	fi
	# An object is only reported once its checksum is stable across two
	# scans, so scan twice. A scan that cannot run (kmemleak disabled
	# itself) is recorded: a leak check that did not happen is a failure.
	t0=$(now_s)
	st=ok
	log "kmemleak scan (1/2)"
	echo scan >"$kml" || st="scan failed"
	sleep 5
	log "kmemleak scan (2/2)"
	echo scan >"$kml" || st="scan failed"
	cat "$kml" >"$OUT/kmemleak.txt" || st="reading $kml failed"
	echo "$st" >"$OUT/kmemleak.status"
	timing kmemleak "$(elapsed "$t0")"
	log "kmemleak: $st, $(grep -c '^unreferenced object' "$OUT/kmemleak.txt") unreferenced object(s)"
}

collect_common() {
	if [ -x /bin/dmesg ]; then
		/bin/dmesg >"$OUT/dmesg.txt"
	else
		$BB dmesg >"$OUT/dmesg.txt"
	fi
	uname -r >"$OUT/uname"
	cat /proc/cmdline >"$OUT/cmdline"
	# debug_locks drops to 0 when lockdep turns itself off
	if [ -r /proc/lockdep_stats ]; then
		cat /proc/lockdep_stats >"$OUT/lockdep_stats.txt"
	fi
}

main() {
	setup
	: >"$OUT/timing"
	timing boot "$(now_s)"
	mode=$(get_mode)
	log "mode $mode, kernel $(uname -r), results in $OUT"
	case $mode in
	test)
		collect_kunit
		run_hooks
		;;
	demo)
		collect_demo
		;;
	bench)
		collect_bench
		;;
	*)
		log "unknown mode '$mode'"
		echo "unknown mode '$mode'" >"$OUT/error"
		;;
	esac
	collect_kmemleak
	collect_common
	timing uptime "$(now_s)"
	touch "$OUT/done"
	log "done"
}

# Run the work in a subshell: whatever goes wrong there, PID 1 itself
# carries on to power off.
(main)
sync
umount "$OUT" 2>/dev/null
log "powering off"
$BB poweroff -f 2>/dev/null || poweroff -f 2>/dev/null
echo o >/proc/sysrq-trigger 2>/dev/null
while :; do
	sleep 60
done
