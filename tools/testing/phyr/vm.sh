#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot the phyr kernel in a TCG QEMU guest and collect results.
#
# The guest's root is the host's / (virtio-9p, read-only) and its init is
# guest-init.sh; results come back through a second, writable 9p share
# into the output directory.  This script only runs the VM; results.py
# interprets what it leaves behind.
#
# Exit status: 0 when the guest finished (wrote its "done" marker) without
# a panic, nonzero when the VM hung, panicked or stopped early.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
usage: $(basename "$0") [--iommu] [--ivshmem N] [--mode test|demo|bench] [--out DIR]
                        [--timeout SECS] [--name NAME] [--mem SIZE] [--expect FILE]
                        [--accel auto|kvm|tcg]
       $(basename "$0") --probe-accel

  --iommu         q35 with an emulated Intel IOMMU (intel_iommu=on)
  --ivshmem LIST  ivshmem-plain devices: a count of 64 MiB devices, or a
                  comma-separated list of BAR sizes (default 64M,1G; the
                  memory is a sparse file in /dev/shm)
  --mode MODE     test: KUnit results and guest.d hooks (default)
                  demo: read /sys/kernel/debug/phyr/demo
                  bench: read /sys/kernel/debug/phyr/bench, run
                        userspace/build/pin_bench
  --out DIR       results directory (default \$PHYR_CACHE/results/NAME)
  --timeout SECS  kill the VM after SECS seconds (default 600)
  --name NAME     run name (default MODE, plus -iommu with --iommu)
  --cpu MODEL     QEMU CPU model (default max). It decides PCI P2P through
                  the host bridge: max gives none, EPYC allows it
  --cmb MB        size of the NVMe controller memory buffer, published by
                  the guest's NVMe driver as p2pmem (default 16; 0: no NVMe)
  --switch        put the ivshmem devices behind one emulated PCIe switch
                  (x3130 upstream + xio3130 downstream ports): P2P by
                  PCI bus address
  --mem SIZE      guest memory, QEMU's -m with an M or G suffix
                  (default 2G)
  --expect FILE   copy FILE into the results directory as "expect": what
                  results.py must find there (see results.py)
  --accel A       kvm, tcg, or auto (default, or \$PHYR_ACCEL): KVM when a
                  probe boots this kernel under KVM, TCG otherwise
  --probe-accel   print the accelerator auto picks (kvm or tcg) and why

Extra kernel command line arguments can be given in \$PHYR_VM_APPEND;
\$PHYR_KERNEL boots another image than the build's bzImage (a copy of an
older build, to see a test fail on the code before a fix).
EOF
}

iommu=0
nshm=64M,1G
cpu=max
switch=0
cmb=16
mem=2G
mode="test"
out=
timeout_s=600
name=
expect=
accel=${PHYR_ACCEL:-auto}
probe=0

while (($#)); do
	case $1 in
	--iommu) iommu=1 ;;
	--cpu) cpu=${2-}; shift ;;
	--switch) switch=1 ;;
	--cmb) cmb=${2-}; shift ;;
	--mem) mem=${2-}; shift ;;
	--ivshmem) nshm=${2-}; shift ;;
	--mode) mode=${2-}; shift ;;
	--out) out=${2-}; shift ;;
	--timeout) timeout_s=${2-}; shift ;;
	--name) name=${2-}; shift ;;
	--expect) expect=${2-}; shift ;;
	--accel) accel=${2-}; shift ;;
	--probe-accel) probe=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
	shift
done

if [[ $nshm =~ ^[0-9]+$ ]]; then
	shm_sizes=()
	for ((i = 0; i < nshm; i++)); do
		shm_sizes+=(64M)
	done
elif [[ $nshm =~ ^[0-9]+[MG](,[0-9]+[MG])*$ ]]; then
	IFS=, read -r -a shm_sizes <<<"$nshm"
else
	die "--ivshmem wants a count or sizes like 64M,1G, got '$nshm'"
fi
[[ $cmb =~ ^[0-9]+$ ]] || die "--cmb wants a size in MiB, got '$cmb'"
[[ $mem =~ ^[1-9][0-9]*[MG]$ ]] || die "--mem wants a size like 2G or 4096M, got '$mem'"
[[ $cpu =~ ^[A-Za-z0-9_.-]+$ ]] || die "--cpu wants a QEMU CPU model, got '$cpu'"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "--timeout wants seconds, got '$timeout_s'"
case $mode in test | demo | bench) ;; *) die "--mode must be test, demo or bench, got '$mode'" ;; esac
if [[ -z $name ]]; then
	name=$mode
	((iommu)) && name+=-iommu
fi
[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "--name may only use letters, digits, '.', '_' and '-'"
out=${out:-$PHYR_CACHE/results/$name}

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (run make deps)"
kernel=${PHYR_KERNEL:-$(phyr_builddir)/arch/x86/boot/bzImage}
[[ -f $kernel ]] || die "no kernel at $kernel: run make kernel"

# KVM only counts as working when this kernel gets as far as mounting its
# root under it: /dev/kvm can exist and run trivial code, yet hang a real
# kernel. Without a root the kernel panics and QEMU exits (-no-reboot).
probe_kvm() {
	local con
	if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
		echo "tcg (no usable /dev/kvm)"
		return
	fi
	con=$(mktemp)
	timeout -k 5 20 qemu-system-x86_64 -machine q35 -accel kvm -cpu max \
		-smp 1 -m 512M -nographic -no-reboot -nic none -monitor none \
		-serial "file:$con" -kernel "$kernel" \
		-append "console=ttyS0 panic=-1 root=/dev/phyr-none kunit.enable=0" \
		</dev/null >/dev/null 2>&1 || true
	if grep -q 'Unable to mount root\|VFS: Cannot open root' "$con"; then
		echo "kvm (the kernel booted under KVM)"
	elif [[ -s $con ]]; then
		echo "tcg (the kernel did not get to its root under KVM in 20 s)"
	else
		echo "tcg (QEMU could not start the kernel under KVM)"
	fi
	[[ -n ${PHYR_KEEP_PROBE:-} ]] && cp "$con" "$PHYR_KEEP_PROBE"
	rm -f "$con"
}
# The answer holds for this kernel image on this host until it reboots.
probe_kvm_cached() {
	local key cache=$PHYR_CACHE/accel.probe
	key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $(sha1sum <"$kernel" | cut -c1-16)"
	if [[ -f $cache && $(head -n 1 "$cache") == "$key" ]]; then
		sed -n 2p "$cache"
		return
	fi
	local answer
	answer=$(probe_kvm)
	printf '%s\n%s\n' "$key" "$answer" >"$cache"
	echo "$answer"
}
if ((probe)); then
	probe_kvm_cached
	exit 0
fi
case $accel in
kvm | tcg)
	accel_why=${PHYR_ACCEL_WHY:-as asked}
	accel_why=${accel_why#(}
	accel_why=${accel_why%)}
	;;
auto)
	accel_why=$(probe_kvm_cached)
	accel=${accel_why%% *}
	accel_why=${accel_why#* (}
	accel_why=${accel_why%)}
	;;
*) die "--accel must be auto, kvm or tcg, got '$accel'" ;;
esac
init=$PHYR_ROOT/tools/testing/phyr/guest-init.sh
[[ -x $init ]] || die "$init is missing or not executable"

# Start from an empty results directory.  Refuse to wipe a non-empty
# directory that does not look like an earlier run's results.
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -n $(ls -A "$out") && ! -e $out/console.log ]]; then
	die "$out is not empty and holds no console.log; not cleaning it"
fi
find "$out" -mindepth 1 -delete
console=$out/console.log
: >"$console"
echo "$mode" >"$out/mode"
if [[ -n $expect ]]; then
	cp "$expect" "$out/expect" || die "cannot copy $expect"
fi

# QEMU option values escape ',' by doubling it.
qesc() { printf '%s' "${1//,/,,}"; }

shm_files=()
qemu_pid=
cleanup() {
	if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	((${#shm_files[@]})) && rm -f "${shm_files[@]}"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

append="console=ttyS0 panic=-1 log_buf_len=4M"
append+=" root=/dev/root rootfstype=9p ro"
# The root is read-only and does not change during a run: let the guest
# cache it (each test process loads its libraries over 9p).
append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose"
append+=" init=$init phyr_mode=$mode"
# QEMU's "max" CPU offers 5-level paging; with it, KASAN reported a wild
# access in rcu_is_watching() when an interrupt hit during cpu_detect() at
# boot (intermittent, before any phyr code runs). 4-level paging avoids it.
append+=" no5lvl"
# The lockup and stall detectors are calibrated for hardware; this guest
# runs kernel code 20-50 times slower (TCG, KASAN) and shares two host
# cores with a second guest. Soft lockups are reported after 60 s instead
# of 20, RCU stalls after 60 s instead of 21: still far stricter than the
# same code on hardware.
append+=" watchdog_thresh=30 rcupdate.rcu_cpu_stall_timeout=60"
# The demo and the benchmark do not need the boot-time KUnit run.
[[ $mode != test ]] && append+=" kunit.enable=0"
append+=${PHYR_VM_APPEND:+ $PHYR_VM_APPEND}

qemu=(qemu-system-x86_64
	-machine q35 -accel "$accel" -cpu "$cpu" -smp 2 -m "$mem"
	-nographic -no-reboot -nic none -monitor none
	-serial "file:$(qesc "$console")")
if ((iommu)); then
	# intel-iommu has to come before the other devices.
	qemu+=(-device intel-iommu)
	append+=" intel_iommu=on"
fi
# shellcheck disable=SC2054 # commas belong to QEMU option values
qemu+=(-kernel "$kernel" -append "$append"
	-fsdev local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=rootfs,mount_tag=/dev/root
	-fsdev "local,id=outfs,path=$(qesc "$out"),security_model=none"
	-device virtio-9p-pci,fsdev=outfs,mount_tag=phyrout)
if ((switch)); then
	# root port -> switch upstream port -> one downstream port per device
	qemu+=(-device pcie-root-port,id=phyr_rp,chassis=1,slot=1
		-device x3130-upstream,id=phyr_up,bus=phyr_rp)
fi
for ((i = 0; i < ${#shm_sizes[@]}; i++)); do
	f=/dev/shm/phyr-$name-$$-$i
	shm_files+=("$f")
	bus=
	if ((switch)); then
		qemu+=(-device "xio3130-downstream,id=phyr_dn$i,bus=phyr_up,chassis=$((i + 2)),slot=0")
		bus=",bus=phyr_dn$i"
	fi
	qemu+=(-object "memory-backend-file,id=ivshmem$i,size=${shm_sizes[i]},share=on,mem-path=$(qesc "$f")"
		-device "ivshmem-plain,memdev=ivshmem$i$bus")
done

if ((cmb)); then
	# a controller without namespaces: only its memory buffer matters
	qemu+=(-device "nvme,serial=phyr-cmb,cmb_size_mb=$cmb")
fi

log "vm $name: booting (mode $mode, accel $accel: $accel_why, cpu $cpu, memory $mem, iommu $iommu, ivshmem $nshm, switch $switch, timeout ${timeout_s}s)"
log "vm $name: console: $console"
printf '%q ' "${qemu[@]}" >"$out/qemu.cmd"
echo >>"$out/qemu.cmd"

start=$SECONDS
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
next=15
while kill -0 "$qemu_pid" 2>/dev/null; do
	sleep 1
	el=$((SECONDS - start))
	if ((el >= next)); then
		last=$(tail -n 1 "$console" 2>/dev/null | tr -cd '[:print:]' | cut -c1-70)
		log "vm $name: ${el}s, ${last:-(no console output yet)}"
		next=$((next + 15))
	fi
done
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=
el=$((SECONDS - start))
echo "$el" >"$out/vm.seconds"

show() { sed 's/\r$//; s/^/    /' | tr -cd '[:print:]\n\t'; }

if ((rc == 124 || rc == 137)); then
	log "vm $name: FAILED: VM hung: no exit after ${timeout_s}s; last 30 console lines:"
	tail -n 30 "$console" | show
	exit 1
fi
if grep -q 'Kernel panic' "$console"; then
	log "vm $name: FAILED: guest panicked after ${el}s:"
	grep -B 20 -A 5 'Kernel panic' "$console" | head -n 80 | show
	exit 1
fi
if ((rc != 0)); then
	log "vm $name: FAILED: qemu exited with status $rc:"
	show <"$out/qemu.log"
	tail -n 30 "$console" | show
	exit 1
fi
if [[ ! -e $out/done ]]; then
	log "vm $name: FAILED: guest did not finish (no done marker); last 30 console lines:"
	tail -n 30 "$console" | show
	exit 1
fi
log "vm $name: finished in ${el}s, results in $out"
