#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Kernel style check of phyr's kernel sources (make check): checkpatch.pl
# --strict and kernel-doc -Wall on every .c and .h file of the clone under
# drivers/ and include/, or on the files named on the command line.
#
# The checkers are the 6.12 tree's own: those of the extracted source tree
# when the kernel has been built, else the few scripts they need, taken once
# from /usr/src/linux-source-6.12.tar.xz into $PHYR_CACHE/kcheck.
#
# Prints every finding, then "kcheck: N files, N problems". Exit status: 0
# when there is no problem, 1 when there is one, 2 when it could not check.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

fail() {
	echo "kcheck: $*" >&2
	exit 2
}

# Prints the directory holding checkpatch.pl and kernel-doc.
checkers() {
	local ver src dir=$PHYR_CACHE/kcheck tmp
	ver=$(phyr_kernel_version) || return 1
	src=$PHYR_CACHE/src-$ver
	if [[ -d $src/.git && -f $src/scripts/checkpatch.pl ]]; then
		echo "$src/scripts"
		return
	fi
	if [[ $(cat "$dir/version" 2>/dev/null) != "$ver" ]]; then
		echo "kcheck: taking checkpatch.pl and kernel-doc from linux $ver (once)" >&2
		tmp=$(mktemp -d "$PHYR_CACHE/kcheck.XXXXXX") || return 1
		if ! tar -xJf "$PHYR_TARBALL" -C "$tmp" --strip-components=1 --wildcards \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch' '*/scripts/kernel-doc'; then
			rm -rf "$tmp"
			return 1
		fi
		echo "$ver" >"$tmp/version"
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	echo "$dir/scripts"
}

if [[ ! -f $PHYR_TARBALL ]]; then
	"$PHYR_ROOT/tools/testing/phyr/deps.sh" >&2 ||
		fail "cannot install linux-source-6.12 (run: make deps)"
fi
mkdir -p "$PHYR_CACHE" || fail "cannot create $PHYR_CACHE"
scripts=$(checkers) || fail "cannot find checkpatch.pl and kernel-doc"

cd "$PHYR_ROOT" || fail "no $PHYR_ROOT"
if (($#)); then
	files=("$@")
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked files and new ones not yet added: the build copies both
	mapfile -t files < <(git ls-files -co --exclude-standard -- \
		'drivers/*.[ch]' 'include/*.[ch]' | LC_ALL=C sort -u)
else
	mapfile -t files < <(find drivers include -name '*.[ch]' -type f | LC_ALL=C sort)
fi

checked=()
for f in "${files[@]}"; do
	if [[ -f $f ]]; then
		checked+=("$f")
	elif (($#)); then
		fail "no such file: $f"
	fi
done

# Each file on its own: kernel-doc carries line numbers over from one file
# to the next. Findings are one line each: FILE:LINE: ERROR|WARNING|CHECK:
# TYPE: message from checkpatch.pl, FILE:LINE: warning|error: message from
# kernel-doc; any other output (a perl warning) counts as well.
problems=0
for f in "${checked[@]}"; do
	out=$(perl "$scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types --no-summary --file "$f" 2>&1)
	(($? <= 1)) || fail "checkpatch.pl stopped on $f: $out"
	if grep -q '^/\*\*' "$f"; then
		doc=$(perl "$scripts/kernel-doc" -none -Wall "$f" 2>&1)
		[[ -z $doc ]] || out+=${out:+$'\n'}$doc
	fi
	if [[ -n $out ]]; then
		echo "$out"
		problems=$((problems + $(grep -c . <<<"$out")))
	fi
done
echo "kcheck: ${#checked[@]} files, $problems problems"
((problems == 0)) || exit 1
