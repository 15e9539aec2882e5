#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest hook: run the vphyr IGT tests (igt-tests/build/*).
#
# usage: 30-igt.sh OUTDIR
#
# Kernel command line (PHYR_CMDLINE=FILE reads FILE instead of
# /proc/cmdline, to try the hook by hand):
#
#	phyr_p2p=none|host|bus	the P2P topology of the VM, passed to every
#				binary as --p2p; without it the hook fails
#	phyr_igt=NAME[,NAME...]	run only these binaries (default: all);
#				NAME@GLOB runs only the subtests of NAME that
#				match GLOB (--run-subtest GLOB)
#	phyr_igt_device=FILTERS	IGT device filters (IGT_DEVICE, e.g.
#				drm:/dev/dri/card1;drm:/dev/dri/card2): only
#				the vphyr instances they name are tested
#	phyr_igt_bindir=DIR	run the binaries in DIR (default
#				igt-tests/build), e.g. a build of a changed
#				copy of the tests
#	phyr_igt_timeout=S	seconds per binary (default 300)
#	phyr_hook_timeout=S	the hook's own limit (default 300), which
#				guest-init enforces
#
# Before running anything, OUTDIR/igt.results gets a plan line "1..N":
# N is the number of subtests the selected binaries list (--list-subtests,
# filtered by GLOB), plus one for each selected binary that is missing.
# Then IGT's result lines
#
#	Subtest NAME: SUCCESS|FAIL|SKIP|CRASH|... (TIME)
#	Dynamic subtest NAME: ...
#
# become one line per subtest, or per dynamic subtest where a subtest has
# them, so that a subtest gives at least one line:
#
#	PASS binary.subtest[.dynamic]
#	FAIL binary.subtest[.dynamic] [what IGT reported instead of FAIL]
#	SKIP binary.subtest[.dynamic] reason
#
# One failure is one FAIL line: a failing dynamic subtest is not counted
# again for its subtest, and a binary that dies in a subtest fails that
# subtest with its exit status. Subtests a binary listed but never reported
# run again one by one, and fail if they still do not report. A binary
# that ends with a status other than 0, 77 or 98 without a failure to show
# for it adds "FAIL binary.run exit N". Output goes to OUTDIR/igt.log, with
# the time each binary took.

out=${1:-}
if [ -z "$out" ] || [ ! -d "$out" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

results=$out/igt.results
log=$out/igt.log
: >"$results" || exit 1
: >"$log" || exit 1
logn() { echo "$*" >>"$log"; }

cmdline_file=${PHYR_CMDLINE:-/proc/cmdline}
cmdline=
if [ -r "$cmdline_file" ]; then
	read -r cmdline <"$cmdline_file" || [ -n "$cmdline" ] || cmdline=
fi
p2p=
select=
igt_timeout=
bindir=
for arg in $cmdline; do
	case $arg in
	phyr_p2p=*) p2p=${arg#phyr_p2p=} ;;
	phyr_igt=*) select=${arg#phyr_igt=} ;;
	phyr_igt_timeout=*) igt_timeout=${arg#phyr_igt_timeout=} ;;
	phyr_igt_device=*) IGT_DEVICE=${arg#phyr_igt_device=} && export IGT_DEVICE ;;
	phyr_igt_bindir=*) bindir=${arg#phyr_igt_bindir=} ;;
	esac
done
case $p2p in
none | host | bus) ;;
*)
	echo "FAIL igt.p2p phyr_p2p=none|host|bus is not on the kernel command line (got '${p2p}')" >>"$results"
	logn "phyr_p2p= missing or invalid in $cmdline_file: the tests need the VM's P2P topology"
	exit 1
	;;
esac

here=$(cd "$(dirname "$0")" && pwd -P) || exit 1
igtdir=$here/../../../../igt-tests
igtdir=$(cd "$igtdir" 2>/dev/null && pwd -P) || igtdir=$here/../../../../igt-tests
bindir=${bindir:-$igtdir/build}

per_bin=${igt_timeout:-${phyr_igt_timeout:-300}}
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

# OUTDIR/igt.results = plan, what is known so far, plus a FAIL line for
# the binary now running: if the hook is killed, that binary still counts
publish() {
	{
		cat "$tmp/plan" "$acc"
		if [ -n "${1:-}" ]; then
			echo "$1"
		fi
	} >"$results.new" || return
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

# append the output of a run to the log
log_run() {
	logn "--- stdout"
	cat "$1" >>"$log"
	logn "--- stderr"
	cat "$2" >>"$log"
}

# list_binary NAME GLOB: its subtests matching GLOB into $tmp/NAME.list,
# from NAME.subtests (written by the build) unless the binary is newer
list_binary() {
	name=$1
	glob=$2
	if [ -s "$bindir/$name.subtests" ] && [ -z "$(find "$bindir/$name" \
		-newer "$bindir/$name.subtests" 2>/dev/null)" ]; then
		cp "$bindir/$name.subtests" "$tmp/$name.all" || return 1
	else
		run_with_limit 120 "$tmp/$name.all" "$tmp/$name.listerr" \
			"$bindir/$name" --list-subtests
		rc=$?
		if [ "$rc" -ne 0 ] || [ ! -s "$tmp/$name.all" ]; then
			logn "### $name --list-subtests: exit $rc"
			cat "$tmp/$name.listerr" >>"$log"
			return 1
		fi
	fi
	: >"$tmp/$name.list"
	while read -r sub; do
		# shellcheck disable=SC2254
		case $sub in
		$glob) echo "$sub" >>"$tmp/$name.list" ;;
		esac
	done <"$tmp/$name.all"
	return 0
}

# run_binary NAME GLOB: run it, parse it, append result lines
run_binary() {
	name=$1
	glob=$2
	bin=$bindir/$name
	list=$tmp/$name.list
	miss=$tmp/$name.missing
	set -- --p2p="$p2p"
	[ "$glob" = "*" ] || set -- "$@" --run-subtest "$glob"

	limit=$(time_left "$per_bin")
	if [ "$limit" -le 0 ]; then
		while read -r sub; do
			echo "FAIL $name.$sub not run: out of time" >>"$acc"
		done <"$list"
		return
	fi
	t0=$(date +%s)
	run_with_limit "$limit" "$tmp/$name.out" "$tmp/$name.err" "$bin" "$@"
	rc=$?
	logn "### $name $*: exit $rc after $(($(date +%s) - t0)) s (limit $limit s)"
	log_run "$tmp/$name.out" "$tmp/$name.err"

	: >"$miss"
	nfail0=$(grep -c '^FAIL ' "$acc")
	parse_igt "$name" "$list" "$miss" <"$tmp/$name.out" >>"$acc"

	# the subtest it died in fails; the others run again one by one
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
		run_with_limit "$limit" "$tmp/one.out" "$tmp/one.err" "$bin" \
			--p2p="$p2p" --run-subtest "$sub"
		src=$?
		logn "### $name --run-subtest $sub: exit $src"
		log_run "$tmp/one.out" "$tmp/one.err"
		parse_igt "$name" "$tmp/one.list" "$tmp/one.missing" <"$tmp/one.out" >>"$acc"
		if [ -s "$tmp/one.missing" ]; then
			echo "FAIL $name.$sub no result (exit $src)" >>"$acc"
		fi
	done <"$miss"

	case $rc in
	0 | 77 | 98) ;;
	*)
		# a status no failure line explains is a failure of its own
		if [ "$(grep -c '^FAIL ' "$acc")" -eq "$nfail0" ]; then
			echo "FAIL $name.run exit $rc" >>"$acc"
		fi
		;;
	esac
}

logn "phyr IGT run: phyr_p2p=$p2p, phyr_igt=${select:-(all)}, IGT_DEVICE=${IGT_DEVICE:-(all)}, binaries from $bindir, $per_bin s per binary"

# what to run: "NAME GLOB" lines
if [ -n "$select" ]; then
	echo "$select" | tr ',' '\n' | while read -r item; do
		[ -n "$item" ] || continue
		case $item in
		*@*) echo "${item%%@*} ${item#*@}" ;;
		*) echo "$item *" ;;
		esac
	done >"$tmp/selected"
else
	for src in "$igtdir"/*.c; do
		[ -f "$src" ] && echo "$(basename "$src" .c) *"
	done >"$tmp/selected"
fi

# the plan, and a FAIL line for what cannot run at all
nplan=0
: >"$tmp/torun"
while read -r name glob; do
	if [ ! -f "$bindir/$name" ] || [ ! -x "$bindir/$name" ]; then
		if [ -f "$igtdir/$name.c" ]; then
			echo "FAIL $name.build missing binary: run make -C igt-tests on the host" >>"$acc"
		else
			echo "FAIL $name.run no such IGT test in $igtdir" >>"$acc"
		fi
		nplan=$((nplan + 1))
		continue
	fi
	if ! list_binary "$name" "$glob"; then
		echo "FAIL $name.run --list-subtests failed" >>"$acc"
		nplan=$((nplan + 1))
		continue
	fi
	n=$(wc -l <"$tmp/$name.list")
	if [ "$n" -eq 0 ]; then
		echo "FAIL $name.run no subtest matches '$glob'" >>"$acc"
		nplan=$((nplan + 1))
		continue
	fi
	nplan=$((nplan + n))
	echo "$name $glob" >>"$tmp/torun"
done <"$tmp/selected"
if [ "$nplan" -eq 0 ]; then
	echo "FAIL igt.run nothing selected (phyr_igt=$select)" >>"$acc"
	nplan=1
fi
echo "1..$nplan" >"$tmp/plan"
publish

while read -r name glob; do
	publish "FAIL $name.run interrupted: the hook ran out of time"
	run_binary "$name" "$glob"
	publish
done <"$tmp/torun"

npass=$(grep -c '^PASS ' "$acc")
nfail=$(grep -c '^FAIL ' "$acc")
nskip=$(grep -c '^SKIP ' "$acc")
logn "phyr IGT run: $npass passed, $nfail failed, $nskip skipped in $(($(date +%s) - start)) s"
[ "$nfail" -eq 0 ]
