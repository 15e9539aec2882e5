#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build phyr's documentation as HTML with the kernel's own Sphinx setup
# (make docs).
#
#  1. install the Debian packages Sphinx and its kernel extensions need
#  2. extract linux-source-6.12 once and check the patch series out in it,
#     as the kernel build does: docs/ becomes Documentation/gpu/phyr/, next to
#     the sources its kernel-doc directives read
#  3. make htmldocs SPHINXDIRS=gpu/phyr, out of tree in
#     $PHYR_CACHE/build-<version>-docs, every page read again, with a
#     progress line every 15 s
#  4. count the warnings (Sphinx's and kernel-doc's); any one fails
#
# Only the phyr book is built, so every warning is one of its own.
# PHYR_DOCS_THEME picks the HTML theme (default sphinx_rtd_theme; the
# kernel's conf.py falls back to alabaster without it).
#
# usage: docs.sh [--results FILE]
#
# Prints the path of the HTML index on its last line. With --results, also
# writes FILE for make test's host run: a plan line "1..1" and one case,
# "PASS htmldocs [host] ..." or "FAIL htmldocs [host] reason".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

results=
case ${1:-} in
--results) [[ -n ${2:-} ]] || die "usage: docs.sh [--results FILE]"; results=$2 ;;
'') ;;
*) die "usage: docs.sh [--results FILE]" ;;
esac
# The case fails unless the end is reached: every way out below, die
# included, leaves a result line.
if [[ -n $results ]]; then
	echo 1..1 >"$results"
	trap '[[ $(wc -l <"$results") -gt 1 ]] || echo "FAIL htmldocs [host] stopped early (see the log)" >>"$results"' EXIT
fi
# fail REASON: the case's FAIL line, then stop
fail() {
	[[ -z $results ]] || echo "FAIL htmldocs [host] $*" >>"$results"
	die "$*"
}

book=gpu/phyr
theme=${PHYR_DOCS_THEME:-sphinx_rtd_theme}

# 1. Sphinx, the Read the Docs theme, Graphviz for kernel-figure's .dot
# files, PyYAML for the netlink specs every htmldocs run renders first
phyr_install_packages linux-source-6.12 build-essential git perl \
	python3 python3-sphinx python3-sphinx-rtd-theme python3-yaml graphviz

ver=$(phyr_kernel_version)
src=$(phyr_srcdir)
out=$PHYR_CACHE/build-$ver-docs

# 2. the tree, under the build lock while it is written
phyr_lock_cache
phyr_prune_cache "$ver"
phyr_extract_tree "$src" "$ver"
phyr_apply_overlay "$src" "$ver"
exec 9>&-

# 3. a clean output directory: Sphinx reports a page's warnings only when
# it reads the page, and pages that left the book must go
html=$out/Documentation/output/$book
rm -rf "$out/Documentation/output"
mkdir -p "$out"
dlog=$out/docs.log
log "building the phyr book ($book) in $out with Sphinx $(sphinx-build --version 2>&1 | awk '{ print $NF }')"
total=$(find "$src/Documentation/$book" -name '*.rst' | wc -l)
start=$SECONDS
make -C "$src" O="$out" -j"$PHYR_JOBS" SPHINXDIRS="$book" \
	SPHINXOPTS="-q -E" DOCS_THEME="$theme" htmldocs >"$dlog" 2>&1 &
pid=$!
docs_progress() {
	log "docs: $((SECONDS - start))s, $(find "$out/Documentation/output/.doctrees/$book" \
		-name '*.doctree' 2>/dev/null | wc -l) of $total pages read, $(find "$html" \
		-name '*.html' ! -path '*/_*' 2>/dev/null | wc -l) written"
}
phyr_watch_job "$pid" docs_progress
if ! wait "$pid"; then
	tail -n 30 "$dlog" >&2
	fail "htmldocs failed (full log: $dlog)"
fi

# 4. Sphinx writes "WARNING:" and "ERROR:", kernel-doc "warning:" and
# "error:", kfigure a missing tool as a warning
warn=$(grep -E 'WARNING|ERROR|CRITICAL|[Ww]arning:|[Ee]rror:' "$dlog" || true)
n=$(grep -c . <<<"$warn" || true)
[[ -n $warn ]] || n=0
[[ -f $html/index.html ]] || fail "no $html/index.html (full log: $dlog)"
pages=$(find "$html" -name '*.html' ! -path '*/_*' | wc -l)
if ((n)); then
	echo "$warn"
	fail "$n warning(s) in $((SECONDS - start))s (full log: $dlog)"
fi
done_msg="$pages pages, 0 warnings, $((SECONDS - start))s"
[[ -z $results ]] || echo "PASS htmldocs [host] $done_msg" >>"$results"
log "docs: $done_msg ($(grep -o 'Using [a-z_]* theme' "$dlog" || echo 'theme unknown'))"
log "docs: HTML in $html/"
echo "$html/index.html"
