#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The phyrctl cases that need no vphyr device, run on the build host: help,
# usage errors, bad numbers and sizes, unknown options, options that
# exclude each other. The cases that need devices run in the test VM
# (guest.d/40-phyrctl.sh, which takes the case runner below from this file).
# Then the installed library: make install into temporary directories,
# the soname, the exported symbols against libphyr.h, and
# userspace/examples/phyr_list.c built with pkg-config against the
# installation and against the copy below DESTDIR, and run (the lib-*
# cases, checker "host").
#
# usage: cli-host.sh OUTDIR
#
# Runs userspace/build/phyrctl-asan (PHYRCTL_BUILD=DIR: DIR/phyrctl-asan,
# and the library installed from DIR), built with AddressSanitizer,
# LeakSanitizer and UBSan: a memory error or a leak fails the case. Writes OUTDIR/cli-host.results, a plan line "1..N"
# and one line per case:
#
#	PASS name [host-asan|host]
#	FAIL name [host-asan|host] reason
#
# and every command with its output to OUTDIR/cli-host.log.
# Exit status: 0 when every case passed, 1 otherwise, 2 for a bad
# invocation.

# ---- the case runner, shared with guest.d/40-phyrctl.sh ----
#
# Set before use: $results, $log, $tmp (an empty directory), $root (the
# project). A case is one phyrctl run with the exit status and the output
# fragments it must produce; it runs under one checker:
#   valgrind  $cli_vg "$cli_bin" (memcheck; status 99 is its report)
#   asan      "$cli_asan" (status 99 is a sanitizer's report)
#   host-asan the same, on the build host
# The result line names the checker. A lane (cli_lane FUNCTION) runs a
# function's cases in the background, beside the cases that follow it.
# A JSON case (j) runs the command with --json and checks the fields of
# the document it prints, with python3.

cli_n=0		# cases seen (counting or running)
cli_key=	# the running case: names its files in $tmp
cli_counting=	# set: only count the cases (for the plan line)
cli_vg=		# the valgrind command line
cli_bin=	# phyrctl, for valgrind
cli_asan=	# phyrctl-asan
cli_case_timeout=${PHYRCTL_CASE_TIMEOUT:-600}
rc=0		# exit status of the last run

cli_note() {
	echo "# $*" >>"$log"
}

# cli_limit SECS CMD...: CMD, killed after SECS seconds
cli_limit() {
	lim=$1
	shift
	timeout -k 5 "$lim" "$@"
}

# j NAME STATUS CHECKER [EXPR]... -- COMMAND ARGS...
#   run "phyrctl COMMAND --json ARGS" under CHECKER; it must exit with
#   STATUS and print one JSON document, with "command" COMMAND and
#   "status" STATUS, for which every Python expression EXPR is true
#   (see cli_json_py)
j() {
	cli_begin exprs "$@" || return 0
	shift "$cli_used"
	jcmd=$1
	shift
	cli_run_json "$ck" "$jcmd" --json "$@"
	{
		echo "=== $name ($ck, $(($(date +%s) - t0))s): phyrctl $jcmd --json $*"
		cat "$tmp/json.$cli_key" "$tmp/out.$cli_key"
	} >"$tmp/l.$cli_key"
	why=$(cli_why "$want" "$ck")
	if [ -z "$why" ]; then
		# one expression a line: read them back as arguments
		set -- "$tmp/json.$cli_key" "$jcmd" "$want"
		while IFS= read -r e; do
			set -- "$@" "$e"
		done <"$tmp/exprs.$cli_key"
		why=$(python3 -c "$cli_json_py" "$@" 2>&1 | tail -n 1)
	fi
	cli_end
}

# cli_begin LIST NAME STATUS CHECKER [ITEM]... [-- ...]: count a case, and
# unless counting, start it: $name, $cli_key, $want, $ck, $t0 set, the
# ITEMs one a line in $tmp/LIST.$cli_key (LIST: frags or exprs; both are
# emptied first), $cli_used the arguments the caller gave up to and with
# the --, for it to shift. Fails while counting.
cli_begin() {
	cli_n=$((cli_n + 1))
	[ -z "$cli_counting" ] || return 1
	list=$1
	name=$2
	cli_key=$2
	want=$3
	ck=$4
	shift 4
	cli_used=3
	: >"$tmp/frags.$cli_key"
	: >"$tmp/exprs.$cli_key"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		printf '%s\n' "$1" >>"$tmp/$list.$cli_key"
		shift
		cli_used=$((cli_used + 1))
	done
	[ $# -gt 0 ] && cli_used=$((cli_used + 1))
	t0=$(date +%s)
}

# cli_end: the result of the case begun, from $why (empty: it passed)
cli_end() {
	if [ -n "$why" ]; then
		cli_result FAIL "$name" "$ck" "$why"
	else
		cli_result PASS "$name" "$ck"
	fi
}

# cli_result STATUS NAME CHECKER [REASON]: the result line of the case
# and its log (a case's lines are appended at once, so that lanes running
# side by side do not mix them)
cli_result() {
	echo "--- $1 $2${4:+ ($4)}" >>"$tmp/l.$cli_key"
	cat "$tmp/l.$cli_key" >>"$log"
	echo "$1 $2 [$3]${4:+ $4}" >>"$results"
}

# cli_skip NAME REASON
cli_skip() {
	cli_n=$((cli_n + 1))
	[ -n "$cli_counting" ] && return 0
	echo "SKIP $1 $2" >>"$results"
}

# cli_run CHECKER ARGS...: phyrctl ARGS under CHECKER; output in
# $tmp/out.$cli_key, status in $rc
cli_run() {
	checker=$1
	shift
	case $checker in
	valgrind)
		# shellcheck disable=SC2086 # $cli_vg is a command line
		cli_limit "$cli_case_timeout" $cli_vg "$cli_bin" "$@" ;;
	*)
		cli_limit "$cli_case_timeout" "$cli_asan" "$@" ;;
	esac >"$tmp/out.$cli_key" 2>&1
	rc=$?
}

# cli_run_json CHECKER ARGS...: as cli_run, stdout alone in
# $tmp/json.$cli_key, stderr in $tmp/out.$cli_key
cli_run_json() {
	checker=$1
	shift
	case $checker in
	valgrind)
		# shellcheck disable=SC2086 # $cli_vg is a command line
		cli_limit "$cli_case_timeout" $cli_vg "$cli_bin" "$@" ;;
	*)
		cli_limit "$cli_case_timeout" "$cli_asan" "$@" ;;
	esac >"$tmp/json.$cli_key" 2>"$tmp/out.$cli_key"
	rc=$?
}

# The checks of a JSON case: argv[1] the document, argv[2] the command,
# argv[3] the exit status, then Python expressions over d (the document)
# and the helpers below, each of which must be true. Prints why not.
cli_json_py='
import json, os, sys
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
except ValueError as e:
    sys.exit("not one JSON document on stdout: %s" % e)
def tables(kind=None, inst=None):
    return [t for t in d.get("tables", []) if kind in (None, t["kind"])
            and inst in (None, t["instance"])]
def ics(t):
    return sorted(set(r["ic"] for r in t["ranges"]))
def vias(t):
    return sorted(set(r["via"] for r in t["ranges"]))
def mmio(t):
    return bool(t["ranges"]) and all(r["mmio"] for r in t["ranges"])
def verified(what=""):
    c = [c for c in d.get("checks", []) if what in c["what"]]
    return bool(c) and all(x["ok"] and x["bad"] == 0 for x in c)
env = dict(d=d, os=os, tables=tables, ics=ics, vias=vias, mmio=mmio,
           verified=verified)
want = [("d[\"command\"] == %r" % sys.argv[2]),
        ("d[\"status\"] == %s" % sys.argv[3]),
        "d[\"ok\"] == (d[\"status\"] == 0)",
        "d[\"version\"] != \"\""]
for expr in want + sys.argv[4:]:
    try:
        ok = eval(expr, env)
    except Exception as e:
        sys.exit("%s: %s: %s" % (expr, type(e).__name__, e))
    if not ok:
        sys.exit("not true: %s" % expr)
'

# cli_why WANT CHECKER: why the run of the case failed, or nothing
cli_why() {
	if [ "$rc" -eq 99 ]; then
		echo "$2 reported errors or leaks"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "TIMEOUT after ${cli_case_timeout}s"
	elif [ "$rc" -ne "$1" ]; then
		echo "exit status $rc, expected $1"
	else
		while IFS= read -r f; do
			case $f in
			!*) ! grep -qF -e "${f#!}" "$tmp/out.$cli_key" ||
				{ echo "the output has '${f#!}'" && return; } ;;
			*) grep -qF -e "$f" "$tmp/out.$cli_key" ||
				{ echo "the output lacks '$f'" && return; } ;;
			esac
		done <"$tmp/frags.$cli_key"
	fi
}

# t NAME STATUS CHECKER [FRAGMENT]... -- ARGS...
#   run "phyrctl ARGS" under CHECKER; it must exit with STATUS and print
#   every FRAGMENT (a FRAGMENT starting with ! must not appear)
t() {
	cli_begin frags "$@" || return 0
	shift "$cli_used"
	cli_run "$ck" "$@"
	{
		echo "=== $name ($ck, $(($(date +%s) - t0))s): phyrctl $*"
		cat "$tmp/out.$cli_key"
	} >"$tmp/l.$cli_key"
	why=$(cli_why "$want" "$ck")
	cli_end
}

# cli_plan FUNCTION...: the plan line for the cases of the functions
cli_plan() {
	cli_counting=1
	cli_n=0
	for f in "$@"; do
		"$f"
	done
	cli_counting=
	echo "1..$cli_n" >>"$results"
	cli_n=0
}

# cli_lane FUNCTION: run FUNCTION's cases in the background
cli_lane() {
	"$1" &
}

# cli_failed: how many cases of $results failed
cli_failed() {
	grep -cv '^\(PASS\|SKIP\|1\.\.\)' "$results"
}

# ---- the host cases ----

cli_host_cases() {
	t help 0 host-asan "usage: phyrctl COMMAND" "gbm-import" "tour" "Exit status" -- --help
	t help-short 0 host-asan "usage: phyrctl COMMAND" -- -h
	t help-no-command 0 host-asan "usage: phyrctl COMMAND" -- help
	for c in list alloc export import ranges copy evict link gbm-import bench; do
		t "help-$c" 0 host-asan "usage: phyrctl $c" "--json" -- "$c" --help
	done
	t help-tour 0 host-asan "usage: phyrctl tour" "!--json" -- tour --help
	t version 0 host-asan "phyrctl 2.0.0" -- --version
	t help-json 0 host-asan "--json" "render" "node" -- --help
	t help-command 0 host-asan "usage: phyrctl ranges" -- help ranges
	t help-before-bad-option 0 host-asan "usage: phyrctl alloc" -- alloc --bogus -h
	t help-bad-command 2 host-asan "unknown command 'frob'" "Try 'phyrctl --help'" -- help frob
	t no-command 2 host-asan "usage: phyrctl" --
	t bad-command 2 host-asan "unknown command 'frobnicate'" -- frobnicate
	t bad-option 2 host-asan "phyrctl alloc: unknown option '--bogus'" \
		"Try 'phyrctl alloc --help'" -- alloc --bogus
	t bad-short-option 2 host-asan "unknown option '-x'" -- alloc -x
	t option-of-another-command 2 host-asan "phyrctl ranges: unknown option '--hold'" -- \
		ranges --hold 3
	t flag-with-value 2 host-asan "unknown option '--raw=3'" -- evict --raw=3
	t list-option 2 host-asan "phyrctl list: unknown option '--all'" -- list --all
	t missing-value 2 host-asan "option '--size' needs a value" -- alloc --size
	t missing-value-short 2 host-asan "option '-o' needs a value" -- evict -o
	t bad-size 2 host-asan "--size: 12345 is not a nonzero multiple of the page size" -- \
		alloc --size 12345
	t zero-size 2 host-asan "not a nonzero multiple of the page size" -- alloc --size 0
	t bad-size-text 2 host-asan "--size: 'lots' is not a size" -- ranges --size lots
	t bad-size-short 2 host-asan "--size: '1Q' is not a size" -- copy -s 1Q
	t size-overflow 2 host-asan "is not a size" -- alloc --size 99999999999T
	t bad-instance 2 host-asan "--on: 'x' is not an instance number" -- alloc --on x
	t bad-instance-large 2 host-asan "--peer: '65536' is not an instance number" -- \
		link --peer 65536
	t bad-export-to 2 host-asan "--export-to: 'x' is not an instance number" -- alloc -e x
	t bad-seed 2 host-asan "--seed: '-1' is not a number" -- alloc --seed -1
	t bad-seed-large 2 host-asan "--seed: '4294967296' is not a number" -- \
		evict --seed 4294967296
	t bad-region 2 host-asan "--src: 'bogus' is neither vram nor system" -- copy --src bogus
	t unexpected-argument 2 host-asan "unexpected argument 'extra'" -- list extra
	t unexpected-after-dashes 2 host-asan "phyrctl alloc: unexpected argument 'extra'" -- \
		alloc -- extra
	t import-no-source 2 host-asan "exactly one of --fd K and --from SOURCE" -- import
	t import-two-sources 2 host-asan "exactly one of --fd K and --from SOURCE" -- \
		import --fd 1 --from 1
	t import-bad-from 2 host-asan "--from: 'x' is not an instance number" -- import --from x
	t import-bad-fd 2 host-asan "--fd 99: not an open file descriptor" -- import --fd 99
	export PHYR_SEED=z
	t import-bad-env-seed 2 host-asan "PHYR_SEED='z' is not a number" -- import --fd 1
	unset PHYR_SEED
	t link-keep-remove 2 host-asan "--keep and --remove exclude each other" -- \
		link --keep --remove
	t copy-fill-to 2 host-asan "--fill works on one object" -- copy --fill --to 1
	t copy-vram-without-fill 2 host-asan "--vram and --system go with --fill" -- copy --vram
	t export-expect-no-command 2 host-asan "--expect needs a command" -- export --expect 3
	t export-argument-without-dashes 2 host-asan \
		"unexpected argument 'true' (a command to run goes after --)" -- export true
	t export-fd-number-low 2 host-asan "--fd-number: use 3 to 1000" -- export --fd-number 2
	t export-fd-number-high 2 host-asan "--fd-number: use 3 to 1000" -- \
		export --fd-number 1001
	t bench-iterations-zero 2 host-asan "--iterations: at least 1" -- bench --iterations 0
	t bench-cycles-zero 2 host-asan "--cycles: at least 1" -- bench --cycles 0
	t gbm-width-zero 2 host-asan "--width: 1 to 16384" -- gbm-import --width 0
	t gbm-height-large 2 host-asan "--height: 1 to 16384" -- gbm-import --height 16385
	t tour-json 2 host-asan "phyrctl tour: unknown option '--json'" -- tour --json
	# --json: a document also when the command fails, and with any bytes
	j json-no-device 3 host-asan "d['error'].startswith('no vphyr devices')" \
		"'instances' not in d" -- list
	j json-usage-error 2 host-asan \
		"d['error'] == '--size: 12345 is not a nonzero multiple of the page size (4096 bytes)'" \
		-- alloc --size 12345
	j json-not-a-node 3 host-asan \
		"d['error'] == '--on: /dev/null is not the render node of a vphyr instance (see phyrctl list)'" \
		-- alloc --on /dev/null
	PHYR_ODD=$(printf '/nonexistent/"q\\\t\001\037\nx \303\251 \342\202\254 \360\237\230\200')
	export PHYR_ODD
	j json-escapes 3 host-asan \
		"d['error'] == '--on: ' + os.environ['PHYR_ODD'] + ': No such file or directory'" \
		-- alloc --on "$PHYR_ODD"
	j json-not-utf8 3 host-asan "'/nonexistent/a\ufffdb\ufffd\ufffd' in d['error']" \
		-- alloc --on "$(printf '/nonexistent/a\377b\300\257')"
	unset PHYR_ODD
	t tour-bad-size 2 host-asan "--size: 1 is not a nonzero multiple of the page size" -- \
		tour --size 1
}

# ---- the installed library ----

# h NAME FUNCTION: a case that runs FUNCTION (output to the log) and passes
# when it returns 0; its last line of output is the reason of a failure
h() {
	cli_n=$((cli_n + 1))
	[ -n "$cli_counting" ] && return 0
	cli_key=$1
	t0=$(date +%s)
	"$2" >"$tmp/out.$cli_key" 2>&1
	rc=$?
	{
		echo "=== $1 (host, $(($(date +%s) - t0))s): $2"
		cat "$tmp/out.$cli_key"
	} >"$tmp/l.$cli_key"
	if [ "$rc" -ne 0 ]; then
		cli_result FAIL "$1" host "$(tail -n 1 "$tmp/out.$cli_key")"
	else
		cli_result PASS "$1" host
	fi
}

# where lib_install puts the library: PREFIX=$lib_prefix, and
# DESTDIR=$lib_dest with PREFIX=/opt/phyr
lib_prefix=
lib_dest=

# make install, twice: into a prefix and below a DESTDIR
lib_install() {
	for f in lib/libphyr.so.2 lib/libphyr.so lib/pkgconfig/libphyr.pc \
		include/libphyr.h bin/phyrctl; do
		set -- "$@" "$f"
	done
	make -s -C "$root/userspace" OUT="$build" install PREFIX="$lib_prefix" ||
		{ echo "make install PREFIX=$lib_prefix failed" && return 1; }
	make -s -C "$root/userspace" OUT="$build" install DESTDIR="$lib_dest" \
		PREFIX=/opt/phyr ||
		{ echo "make install DESTDIR=$lib_dest PREFIX=/opt/phyr failed" &&
			return 1; }
	for f; do
		[ -e "$lib_prefix/$f" ] || { echo "$lib_prefix/$f is missing" && return 1; }
		[ -e "$lib_dest/opt/phyr/$f" ] ||
			{ echo "$lib_dest/opt/phyr/$f is missing" && return 1; }
	done
	# the headers for tests stay in the tree
	for f in libphyr_test.h libphyr_uapi.h libphyr_priv.h; do
		[ ! -e "$lib_prefix/include/$f" ] ||
			{ echo "$f is installed" && return 1; }
	done
	[ "$(readlink "$lib_prefix/lib/libphyr.so")" = libphyr.so.2 ] ||
		{ echo "libphyr.so does not link to libphyr.so.2" && return 1; }
	grep -qx 'prefix=/opt/phyr' "$lib_dest/opt/phyr/lib/pkgconfig/libphyr.pc" ||
		{ echo "libphyr.pc below DESTDIR lacks prefix=/opt/phyr" && return 1; }
	grep -qx 'Requires.private: libdrm' "$lib_prefix/lib/pkgconfig/libphyr.pc" ||
		{ echo "libphyr.pc lacks Requires.private: libdrm" && return 1; }
}

lib_soname() {
	readelf -d "$lib_prefix/lib/libphyr.so.2" | tee "$tmp/dyn"
	grep -q 'Library soname: \[libphyr\.so\.2\]' "$tmp/dyn" ||
		{ echo "the soname of libphyr.so.2 is not libphyr.so.2" && return 1; }
}

# exported: exactly the functions the installed libphyr.h declares
lib_exports() {
	nm -D --defined-only "$lib_prefix/lib/libphyr.so.2" |
		awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort >"$tmp/exported"
	grep -o '^[a-z][^(]*[ *]vphyr_[a-z0-9_]*(' "$lib_prefix/include/libphyr.h" |
		sed 's/.*[ *]\(vphyr_[a-z0-9_]*\)(/\1/' | sort -u >"$tmp/declared"
	echo "exported: $(wc -l <"$tmp/exported"), declared: $(wc -l <"$tmp/declared")"
	[ -s "$tmp/declared" ] || { echo "no function found in libphyr.h" && return 1; }
	if ! diff "$tmp/declared" "$tmp/exported"; then
		echo "the exports of libphyr.so.2 differ from libphyr.h (< declared only, > exported only)"
		return 1
	fi
}

# the example, built as a user of the installed library builds it
lib_example() {
	pc=$lib_prefix/lib/pkgconfig
	flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs libphyr) ||
		{ echo "pkg-config --cflags --libs libphyr failed" && return 1; }
	echo "pkg-config: $flags"
	# shellcheck disable=SC2086 # $flags is a list of options
	cc -Wall -Wextra -Werror -o "$tmp/phyr_list" \
		"$root/userspace/examples/phyr_list.c" $flags ||
		{ echo "the example does not build against the installed libphyr" &&
			return 1; }
	readelf -d "$tmp/phyr_list" | grep -q 'Shared library: \[libphyr\.so\.2\]' ||
		{ echo "the example does not need libphyr.so.2" && return 1; }
	LD_LIBRARY_PATH=$lib_prefix/lib "$tmp/phyr_list" --help ||
		{ echo "phyr_list --help exited with $?" && return 1; }
	# on the host there is no vphyr instance: it must say so, not fail
	LD_LIBRARY_PATH=$lib_prefix/lib "$tmp/phyr_list" | tee "$tmp/list"
	grep -q 'vphyr instance(s)$' "$tmp/list" ||
		{ echo "phyr_list did not print its count" && return 1; }
}

# the example again, built against the copy installed below DESTDIR, as a
# package build finds it (PKG_CONFIG_SYSROOT_DIR): it must take the
# header and the library from there, and use the object API of libphyr.so.2
lib_example_destdir() {
	pc=$lib_dest/opt/phyr/lib/pkgconfig
	flags=$(PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$lib_dest \
		pkg-config --cflags --libs libphyr) ||
		{ echo "pkg-config --cflags --libs libphyr below DESTDIR failed" &&
			return 1; }
	echo "pkg-config: $flags"
	case " $flags " in
	*" -I$lib_dest/opt/phyr/include "*) ;;
	*) echo "pkg-config gives no -I$lib_dest/opt/phyr/include" && return 1 ;;
	esac
	# shellcheck disable=SC2086 # $flags is a list of options
	cc -Wall -Wextra -Werror -o "$tmp/phyr_list_dest" \
		"$root/userspace/examples/phyr_list.c" $flags ||
		{ echo "the example does not build against the DESTDIR copy" &&
			return 1; }
	nm -D --undefined-only "$tmp/phyr_list_dest" | tee "$tmp/undef"
	for sym in vphyr_list_devices vphyr_dev_open vphyr_bo_create \
		vphyr_bo_import vphyr_bo_unref; do
		grep -q " $sym@LIBPHYR_2\$" "$tmp/undef" ||
			{ echo "the example does not use $sym@LIBPHYR_2" && return 1; }
	done
	LD_LIBRARY_PATH=$lib_dest/opt/phyr/lib "$tmp/phyr_list_dest" |
		tee "$tmp/list"
	grep -q 'vphyr instance(s)$' "$tmp/list" ||
		{ echo "phyr_list did not print its count" && return 1; }
}

cli_lib_cases() {
	h lib-install lib_install
	h lib-soname lib_soname
	h lib-exports lib_exports
	h lib-example lib_example
	h lib-example-destdir lib_example_destdir
}

cli_host_main() {
	out=${1:-}
	if [ -z "$out" ] || [ ! -d "$out" ]; then
		echo "usage: $0 OUTDIR" >&2
		exit 2
	fi
	root=$(cd "$(dirname "$0")/../../.." && pwd -P) || exit 2
	build=${PHYRCTL_BUILD:-$root/userspace/build}
	cli_asan=$build/phyrctl-asan
	results=$out/cli-host.results
	log=$out/cli-host.log
	: >"$results"
	: >"$log"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli-host.XXXXXX") || exit 2
	trap 'rm -rf "$tmp"' EXIT
	lib_prefix=$tmp/prefix
	lib_dest=$tmp/dest
	cli_plan cli_host_cases cli_lib_cases
	if [ ! -x "$cli_asan" ]; then
		echo "FAIL phyrctl-asan-build [host-asan] $cli_asan is missing" >>"$results"
		cli_note "build it: make -C userspace"
		exit 1
	fi
	ASAN_OPTIONS=exitcode=99:detect_leaks=1
	UBSAN_OPTIONS=exitcode=99:print_stacktrace=1
	LSAN_OPTIONS=suppressions=$root/userspace/phyrctl/phyrctl.lsan:print_suppressions=0
	export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	cli_host_cases
	cli_lib_cases
	failed=$(cli_failed)
	cli_note "cli-host: $failed case(s) failed"
	[ "$failed" -eq 0 ]
}

[ -n "${PHYR_CLI_LIB:-}" ] || cli_host_main "$@"
