#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# make patches-check: is the series bisectable and clean?
#
#  1. make patches: the series, each patch through checkpatch --strict
#  2. a second tree, $PHYR_CACHE/check/src-<version> (a git worktree of the
#     build's tree), goes to the pristine tarball, then forward one patch
#     at a time; after each, build-kernel.sh builds it in
#     $PHYR_CACHE/check/build-<version>-check (laid out as the build's own
#     tree and build directory, so that ccache, with CCACHE_BASEDIR, serves
#     both from the same entries) (tinyconfig + kvm_guest.config +
#     phyr.config, incremental between patches, with ccache). Every option
#     of phyr.config is checked on the last patch only: the code behind
#     some of them comes with later patches.
#  3. the last kernel boots in a VM (vm.sh --mode test, phyr_hooks=none:
#     KUnit only) and results.py checks that every phyr suite passed.
#
# Ends with a summary: per patch its build time and result, checkpatch,
# KUnit. Exit status 0 only when everything passed. PHYR_CHECK_NO_VM=1
# skips step 3. PHYR_CHECK_QUICK=1 builds, for every patch but the last,
# only the directories of the C files it changes and drivers/gpu/drm/phyr/
# (no link): minutes instead of a kernel per patch, for compile errors.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
T=$PHYR_ROOT/tools/testing/phyr

ver=$(phyr_kernel_version)
src=$(phyr_srcdir)
chk=$PHYR_CACHE/check/src-$ver
out=$PHYR_CACHE/check/build-$ver-check
logs=$out/patches-check
start_all=$SECONDS

# 1. the series and checkpatch
mkdir -p "$logs"
cp_status=0
PHYR_PATCHES_DIR=$out/patches "$T/patches.sh" 2>&1 | tee "$logs/patches.log" ||
	cp_status=1
dir=$(tail -n 1 "$logs/patches.log")
[[ -d $dir ]] || die "make patches failed"
tip=$(git -C "$src" rev-parse phyr-series) || die "no series in $src"
mapfile -t commits < <(git -C "$src" rev-list --reverse phyr-base.."$tip")

# 2. the check tree: a worktree sharing the build tree's objects
if [[ ! -e $chk/.git ]]; then
	log "creating $chk, a worktree of $src at the pristine tarball (once)"
	rm -rf "$chk"
	mkdir -p "${chk%/*}"
	git -C "$src" worktree prune
	git -C "$src" worktree add -q --detach "$chk" phyr-base ||
		die "cannot create the worktree $chk"
fi
rm -f "$logs"/[0-9]*.log "$logs"/vm.log "$logs"/kunit.log

declare -a result=() secs=()
failed=0
n=${#commits[@]}
for ((i = 0; i <= n; i++)); do
	if ((i == 0)); then
		c=$(git -C "$src" rev-parse phyr-base)
		name="base: linux $ver"
	else
		c=${commits[i - 1]}
		name=$(git -C "$src" log -1 --format=%s "$c")
	fi
	git -C "$chk" checkout -q -f --detach "$c" && git -C "$chk" clean -fdq ||
		die "cannot check out $c in $chk"
	log "[$i/$n] building: $name"
	t0=$SECONDS
	verify=0
	targets=
	if ((i == n)); then
		verify=1
	elif [[ ${PHYR_CHECK_QUICK:-0} == 1 ]]; then
		targets=$({
			echo drivers/gpu/drm/phyr/
			((i)) && git -C "$chk" diff --name-only "$c~1" "$c" -- '*.c' |
				sed 's|/[^/]*$|/|'
		} | sort -u | paste -sd' ')
		[[ -e $chk/drivers/gpu/drm/phyr/Makefile ]] ||
			targets=${targets/drivers\/gpu\/drm\/phyr\//}
		targets=${targets:-init/}
	fi
	if PHYR_SRC=$chk PHYR_OUT=$out PHYR_CONFIG_VERIFY=$verify PHYR_TARGETS=$targets \
		"$T/build-kernel.sh" >"$logs/$(printf %02d "$i").log" 2>&1; then
		result[i]=ok
	else
		result[i]=FAILED
		failed=1
	fi
	secs[i]=$((SECONDS - t0))
	log "[$i/$n] ${result[i]} in ${secs[i]}s ($(grep -c '^  CC' "$out/build.log" 2>/dev/null || true) files compiled)"
	if [[ ${result[i]} != ok ]]; then
		tail -n 15 "$logs/$(printf %02d "$i").log" >&2
		break
	fi
done

# 3. KUnit on the last kernel
kunit=skipped
if ((!failed)) && [[ ${PHYR_CHECK_NO_VM:-0} != 1 ]]; then
	res=$out/kunit-results
	rm -rf "$res"
	mkdir -p "$res"
	# the cases that need an IOMMU, forced bouncing or an 8 GiB BAR skip
	# in this VM (make test runs them in VMs of their own; its first VM
	# shares this list)
	{
		printf '%s\n' 'mode test' 'kunit *'
		cat "$T/plain-vm.expect"
	} >"$res.expect"
	log "booting the last kernel for the KUnit suites (vm.sh --mode test, phyr_hooks=none)"
	if PHYR_KERNEL=$out/arch/x86/boot/bzImage PHYR_VM_APPEND=phyr_hooks=none \
		"$T/vm.sh" --mode test --name patches-check --out "$res" \
		--expect "$res.expect" >"$logs/vm.log" 2>&1 &&
		python3 "$T/results.py" "$res" >"$logs/kunit.log" 2>&1; then
		kunit="passed: $(tail -n 1 "$logs/kunit.log")"
	else
		kunit="FAILED: $(tail -n 1 "$logs/kunit.log" 2>/dev/null) (see $logs/vm.log, $logs/kunit.log)"
		failed=1
	fi
fi

echo
echo "patches-check: linux $ver + ${n} patches ($dir)"
for ((i = 0; i <= n; i++)); do
	[[ -n ${result[i]:-} ]] || { printf '  %2d  %-8s %s\n' "$i" "-" "not built"; continue; }
	if ((i == 0)); then
		name="base: linux $ver"
	else
		name=$(git -C "$src" log -1 --format=%s "${commits[i - 1]}")
	fi
	printf '  %2d  %-6s %5ss  %s\n' "$i" "${result[i]}" "${secs[i]}" "$name"
done
if ((cp_status)); then
	echo "  checkpatch --strict: problems (see above)"
	failed=1
else
	echo "  checkpatch --strict: clean"
fi
echo "  KUnit: $kunit"
echo "  build logs: $logs; total $((SECONDS - start_all))s"
if ((failed)); then
	echo "patches-check: FAILED"
	exit 1
fi
echo "patches-check: passed"
