#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: run the vphyr IGT tests (igt-tests/build/*).
#
# usage: 30-igt.sh OUTDIR
#
# Runs only when the kernel command line carries phyr_p2p=..., the P2P
# topology the tests check against (PHYR_CMDLINE=FILE reads FILE instead
# of /proc/cmdline; the tests honour it too). Every executable in
# igt-tests/build/ runs once as a whole; IGT's own result lines
#
#	Subtest NAME: SUCCESS|FAIL|SKIP|CRASH|... (TIME)
#	Dynamic subtest NAME: ...
#
# become one line per subtest, or per dynamic subtest where a subtest has
# them, in OUTDIR/igt.results:
#
#	PASS binary.subtest[.dynamic]
#	FAIL binary.subtest[.dynamic] [what IGT reported instead of FAIL]
#	SKIP binary.subtest[.dynamic] reason
#
# Their stdout and stderr go to OUTDIR/igt.log. A binary that exits with
# anything but 0, 77 (all skipped) or 98 (a subtest failed) adds
# "FAIL binary.run exit N"; a subtest it listed (--list-subtests) but never
# reported is run again on its own, and fails if it still does not report.
# A test source in igt-tests/ without its binary adds
# "FAIL igt.build missing binaries: ...".
#
# Time: phyr_igt_timeout (seconds per binary, default 150) and the hook's
# own limit, phyr_hook_timeout (default 300), both from the kernel command
# line like every phyr_* setting.

out=${1:-}
if [ -z "$out" ] || [ ! -d "$out" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

cmdline_file=${PHYR_CMDLINE:-/proc/cmdline}
cmdline=
if [ -r "$cmdline_file" ]; then
	read -r cmdline <"$cmdline_file" || [ -n "$cmdline" ] || cmdline=
fi
p2p=
found=
for arg in $cmdline; do
	case $arg in
	phyr_p2p=*)
		found=1
		p2p=${arg#phyr_p2p=}
		;;
	esac
done
[ -n "$found" ] || exit 0

here=$(cd "$(dirname "$0")" && pwd -P) || exit 1
igtdir=$here/../../../../igt-tests
igtdir=$(cd "$igtdir" 2>/dev/null && pwd -P) || igtdir=$here/../../../../igt-tests
bindir=$igtdir/build
results=$out/igt.results
log=$out/igt.log
: >"$results" || exit 1
: >"$log" || exit 1

per_bin=${phyr_igt_timeout:-150}
hook_limit=${phyr_hook_timeout:-300}
start=$(date +%s)
deadline=$((start + hook_limit - 20))

tmp=$(mktemp -d "${TMPDIR:-/tmp}/phyr-igt.XXXXXX") || {
	echo "FAIL igt.run cannot create a temporary directory" >>"$results"
	exit 1
}
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
acc=$tmp/results
: >"$acc"

logn() { echo "$*" >>"$log"; }

# OUTDIR/igt.results = what is known so far, plus a FAIL line for the
# binary now running: if the hook is killed, that binary still counts
publish() {
	cp "$acc" "$results.new" || return
	[ -n "${1:-}" ] && echo "$1" >>"$results.new"
	mv -f "$results.new" "$results"
}

# seconds left before the deadline, at most $1
time_left() {
	left=$((deadline - $(date +%s)))
	[ "$left" -gt "$1" ] && left=$1
	echo "$left"
}

# run_with_limit SECONDS OUTFILE ERRFILE CMD...: exit status of CMD
run_with_limit() {
	limit=$1
	o=$2
	e=$3
	shift 3
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 10 "$limit" "$@" <"/dev/null" >"$o" 2>"$e"
	else
		"$@" <"/dev/null" >"$o" 2>"$e"
	fi
}

# IGT's output -> result lines (stdout); listed subtests without a result
# -> "MISSING name" or "RUNNING name" (died in it) lines in the file $missing
parse_igt() {
	awk -v bin="$1" -v listfile="$2" -v missing="$3" '
	function clean(s) {
		gsub(/\033\[[0-9;]*[A-Za-z]/, "", s)
		sub(/\r$/, "", s)
		return s
	}
	function emit(status, name, reason,    l) {
		l = status " " bin "." name
		if (reason != "")
			l = l " " reason
		print l
	}
	function verdict(res, name, reason) {
		if (res == "SUCCESS")
			emit("PASS", name, "")
		else if (res == "SKIP")
			emit("SKIP", name, reason == "" ? "skipped" : reason)
		else
			emit("FAIL", name, res == "FAIL" ? "" : res)
	}
	# "NAME: RESULT (TIME)" -> name in rname, result in rres
	function split_result(s) {
		rname = s
		sub(/: .*/, "", rname)
		rres = s
		sub(/^[^ ]*: /, "", rres)
		sub(/ .*/, "", rres)
	}
	BEGIN {
		n = 0
		while ((getline l < listfile) > 0) {
			l = clean(l)
			if (l != "" && !(l in listed)) {
				listed[l] = 1
				order[++n] = l
			}
		}
		cur = ""
		insub = 0
		indyn = 0
	}
	{
		line = clean($0)
		if (line ~ /^Starting subtest: /) {
			cur = substr(line, 19)
			insub = 1
			indyn = 0
			msg = ""
			next
		}
		if (line ~ /^Starting dynamic subtest: /) {
			indyn = 1
			dmsg = ""
			next
		}
		if (line ~ /^Dynamic subtest [^ ]+: [A-Z]+/) {
			split_result(substr(line, 17))
			hasdyn[cur] = 1
			if (rres != "SUCCESS" && rres != "SKIP")
				dynfail[cur] = 1
			verdict(rres, cur "." rname, dmsg)
			indyn = 0
			next
		}
		if (line ~ /^Subtest [^ ]+: [A-Z]+/) {
			split_result(substr(line, 9))
			reported[rname] = 1
			if (!hasdyn[rname])
				verdict(rres, rname,
					insub && rname == cur ? msg : outer)
			else if (rres != "SUCCESS" && rres != "SKIP" &&
				 !dynfail[rname])
				emit("FAIL", rname, rres " outside its dynamic subtests")
			insub = 0
			cur = ""
			next
		}
		# the last message line is the reason of a skip
		if (line ~ /^[ \t]*$/ || line ~ /^IGT-Version: / ||
		    line ~ /^Stack trace:/ || line ~ /^ +#[0-9]/ ||
		    line ~ /^Test requirement not met in function /)
			next
		if (indyn)
			dmsg = line
		else if (insub)
			msg = line
		else
			outer = line
	}
	END {
		for (i = 1; i <= n; i++)
			if (!(order[i] in reported))
				print (insub && order[i] == cur ? "RUNNING " : "MISSING ") order[i] > missing
	}'
}

# run_binary PATH: run it, parse it, append result lines
run_binary() {
	bin=$1
	name=$(basename "$bin")
	list=$tmp/$name.list
	miss=$tmp/$name.missing

	limit=$(time_left 60)
	if [ "$limit" -le 0 ]; then
		echo "FAIL $name.run not run: out of time" >>"$acc"
		return
	fi
	run_with_limit "$limit" "$list" "$tmp/$name.listerr" "$bin" --list-subtests
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$list" ]; then
		logn "### $name --list-subtests: exit $rc"
		cat "$tmp/$name.listerr" >>"$log"
		echo "FAIL $name.run exit $rc" >>"$acc"
		return
	fi

	limit=$(time_left "$per_bin")
	if [ "$limit" -le 0 ]; then
		while read -r sub; do
			[ -n "$sub" ] && echo "FAIL $name.$sub not run: out of time" >>"$acc"
		done <"$list"
		return
	fi
	t0=$(date +%s)
	run_with_limit "$limit" "$tmp/$name.out" "$tmp/$name.err" "$bin"
	rc=$?
	logn "### $name: exit $rc after $(($(date +%s) - t0)) s (limit $limit s)"
	logn "--- stdout"
	cat "$tmp/$name.out" >>"$log"
	logn "--- stderr"
	cat "$tmp/$name.err" >>"$log"

	: >"$miss"
	parse_igt "$name" "$list" "$miss" <"$tmp/$name.out" >>"$acc"
	case $rc in
	0 | 77 | 98) ;;
	*) echo "FAIL $name.run exit $rc" >>"$acc" ;;
	esac

	# what the whole run did not report: the subtest it died in fails,
	# the others run again one by one
	while read -r state sub; do
		if [ "$state" = RUNNING ]; then
			echo "FAIL $name.$sub no result: the binary ended in it (exit $rc)" >>"$acc"
			continue
		fi
		limit=$(time_left "$per_bin")
		if [ "$limit" -le 0 ]; then
			echo "FAIL $name.$sub not run: out of time" >>"$acc"
			continue
		fi
		echo "$sub" >"$tmp/one.list"
		: >"$tmp/one.missing"
		run_with_limit "$limit" "$tmp/one.out" "$tmp/one.err" "$bin" --run-subtest "$sub"
		src=$?
		logn "### $name --run-subtest $sub: exit $src"
		logn "--- stdout"
		cat "$tmp/one.out" >>"$log"
		logn "--- stderr"
		cat "$tmp/one.err" >>"$log"
		parse_igt "$name" "$tmp/one.list" "$tmp/one.missing" <"$tmp/one.out" >>"$acc"
		if [ -s "$tmp/one.missing" ]; then
			echo "FAIL $name.$sub no result (exit $src)" >>"$acc"
		fi
	done <"$miss"
}

logn "phyr IGT run: phyr_p2p=$p2p, binaries from $bindir, $per_bin s per binary"

missing_bins=
for src in "$igtdir"/*.c; do
	[ -f "$src" ] || continue
	b=$(basename "$src" .c)
	[ -x "$bindir/$b" ] || missing_bins="$missing_bins $b"
done
nbin=0
for bin in "$bindir"/*; do
	[ -f "$bin" ] && [ -x "$bin" ] && nbin=$((nbin + 1))
done
if [ "$nbin" -eq 0 ] && [ -z "$missing_bins" ]; then
	missing_bins=" (none built)"
fi
if [ -n "$missing_bins" ]; then
	echo "FAIL igt.build missing binaries:$missing_bins" >>"$acc"
	logn "missing in $bindir:$missing_bins: run make -C igt-tests on the host"
fi

publish
for bin in "$bindir"/*; do
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	publish "FAIL $(basename "$bin").run interrupted: the hook ran out of time"
	run_binary "$bin"
	publish
done

npass=$(grep -c '^PASS ' "$acc")
nfail=$(grep -c '^FAIL ' "$acc")
nskip=$(grep -c '^SKIP ' "$acc")
logn "phyr IGT run: $npass passed, $nfail failed, $nskip skipped in $(($(date +%s) - start)) s"
[ "$nfail" -eq 0 ]
