#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: run the vphyr userspace tests (userspace/build/vphyr_test).
#
# usage: 20-userspace.sh OUTDIR
#
# Runs only when the kernel command line carries phyr_p2p=none|host|bus,
# the P2P topology the test binary checks against. Case lines (PASS, FAIL,
# SKIP) go to OUTDIR/userspace.results, diagnostics to OUTDIR/userspace.log.
# A missing binary, or a binary that dies or exits with anything but 0 or 1,
# adds a FAIL line of its own so the results never look clean by accident.

out=${1:-}
if [ -z "$out" ] || [ ! -d "$out" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

p2p=
read -r cmdline </proc/cmdline || cmdline=
for arg in $cmdline; do
	case $arg in
	phyr_p2p=*) p2p=${arg#phyr_p2p=} ;;
	esac
done
[ -n "$p2p" ] || exit 0

results=$out/userspace.results
log=$out/userspace.log
root=$(cd "$(dirname "$0")/../../../.." && pwd -P) || root=
bin=$root/userspace/build/vphyr_test

if [ -z "$root" ] || [ ! -x "$bin" ]; then
	echo "FAIL userspace-build missing binary" >"$results"
	echo "vphyr_test not found at $bin: run make -C userspace on the host" >"$log"
	exit 1
fi

echo "running $bin (phyr_p2p=$p2p)" >"$log"
"$bin" >"$results" 2>>"$log"
rc=$?
case $rc in
0 | 1) ;;
*)
	echo "FAIL userspace-run exit status $rc" >>"$results"
	echo "vphyr_test exited with status $rc" >>"$log"
	;;
esac
exit "$rc"
