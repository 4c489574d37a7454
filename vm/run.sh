#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel in qemu with the host's userspace (read-only 9p root plus a
# tmpfs overlay), run one command in the current directory, return its
# exit status. The guest's full kernel log is saved in the output folder.
#
#   vm/run.sh [-k stock|debug|/path/bzImage] [-o OUTDIR] [-i] [--kmemleak] -- CMD...
#
# Environment: TERN_ACCEL=kvm|tcg (default: KVM when it works, else TCG),
# TERN_VM_MEM (MiB), TERN_VM_CPUS, TERN_VM_TIMEOUT (seconds, default 3600).
set -euo pipefail
. "$(dirname "$0")/common.sh"

kernel=stock out='' interactive=0 kmemleak=0
while [ $# -gt 0 ]; do
	case $1 in
	-k) kernel=$2; shift 2 ;;
	-o) out=$2; shift 2 ;;
	-i) interactive=1; shift ;;
	--kmemleak) kmemleak=1; shift ;;
	--) shift; break ;;
	*) die "usage: vm/run.sh [-k stock|debug|IMAGE] [-o OUTDIR] [-i] [--kmemleak] -- CMD..." ;;
	esac
done
[ $# -gt 0 ] || [ $interactive = 1 ] || die "no command given"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (run: make deps)"

image=$(tern_kernel_image "$kernel")
[ -r "$image" ] || die "cannot read kernel image $image"
release=$(tern_image_release "$image")
[ -n "$release" ] || die "$image does not look like a bzImage"

# initramfs: static busybox, our init, and the modules 9p/overlay need when
# the kernel has them as modules. Cached per release and init script.
busybox=/bin/busybox
[ -x $busybox ] && file -L $busybox 2>/dev/null | grep -q static ||
	busybox=$(command -v busybox) || die "busybox-static is missing (run: make deps)"
key=$( { echo "$release"; cat "$TERN_TOP/vm/initramfs-init"; } | sha256sum | cut -c1-16)
initrd=$TERN_CACHE/initramfs/$release-$key.cpio.gz
if [ ! -f "$initrd" ]; then
	tmp=$(mktemp -d)
	mkdir -p "$tmp/bin" "$tmp/modules"
	cp "$busybox" "$tmp/bin/busybox"
	cp "$TERN_TOP/vm/initramfs-init" "$tmp/init"
	chmod 755 "$tmp/init"
	mdir=/lib/modules/$release
	for m in netfs 9pnet 9pnet_virtio 9p overlay; do
		f=$(find "$mdir" -name "$m.ko*" 2>/dev/null | head -n1 || true)
		case $f in
		"") ;;
		*.xz) xz -dc "$f" >"$tmp/modules/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$tmp/modules/$m.ko" ;;
		*.gz) gzip -dc "$f" >"$tmp/modules/$m.ko" ;;
		*) cp "$f" "$tmp/modules/$m.ko" ;;
		esac
	done
	mkdir -p "$(dirname "$initrd")"
	(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$tmp"
fi

# KVM when it really runs a guest (nested KVM can fail with emulation
# errors), probed once per host boot; TCG otherwise.
pick_accel() {
	local cache probe
	case ${TERN_ACCEL:-} in kvm|tcg) echo "$TERN_ACCEL"; return ;; esac
	[ -w /dev/kvm ] || { echo tcg; return; }
	cache=$TERN_CACHE/accel-$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)
	if [ ! -f "$cache" ]; then
		probe=$(mktemp -d)
		printf '#!/bin/busybox sh\n/bin/busybox echo TERN-KVM-OK >/dev/ttyS0\n/bin/busybox poweroff -f\n' >"$probe/init"
		chmod 755 "$probe/init"
		mkdir "$probe/bin" && cp "$busybox" "$probe/bin/busybox"
		(cd "$probe" && find init bin | cpio -o -H newc --quiet) >"$probe/initrd"
		if timeout 60 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults -display none \
			-no-reboot -kernel "$image" -initrd "$probe/initrd" \
			-append "console=ttyS0 panic=-1 rdinit=/init" -serial stdio </dev/null 2>&1 |
			grep -q TERN-KVM-OK; then
			echo kvm >"$cache"
		else
			echo tcg >"$cache"
		fi
		rm -rf "$probe"
	fi
	cat "$cache"
}
accel=$(pick_accel)
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host)
else
	accel_args=(-accel "tcg,thread=multi" -cpu max)
fi

if [ -z "$out" ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/tern-vm.XXXXXX")
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/rc" "$out/console.log" "$out/dmesg" "$out/kmemleak"
# One argument is a shell command line; several are a command and its
# arguments, quoted as given.
if [ $# = 1 ]; then
	printf '%s\n' "$1" >"$out/cmd"
else
	printf '%q ' "$@" >"$out/cmd"
	echo >>"$out/cmd"
fi
{
	printf 'TERN_CWD=%q\n' "$PWD"
	printf 'TERN_INTERACTIVE=%q\n' "$interactive"
	printf 'TERN_KMEMLEAK=%q\n' "$kmemleak"
	printf 'TERN_KERNEL=%q\n' "$kernel"
	for v in $(compgen -e | grep -E '^(TERN_|KSFT_|V$)' || true); do
		case $v in TERN_CWD|TERN_INTERACTIVE|TERN_KMEMLEAK|TERN_KERNEL) continue ;; esac
		printf 'export %s=%q\n' "$v" "${!v}"
	done
} >"$out/env"

mem=${TERN_VM_MEM:-2048}
[ "$kernel" = debug ] && mem=${TERN_VM_MEM:-4096}
# no5lvl: TCG's -cpu max offers LA57, and the debug kernel booting with
# 5-level paging once took an interrupt while identify_cpu() was
# rebuilding the CPU's feature bits: KASAN, which looks at LA57 for where
# its shadow starts, reported a "wild-memory-access" in the IRQ lock
# during boot. Four levels, as on most real machines.
cmdline="console=ttyS0 panic=-1 no5lvl acpi=noirq rdinit=/init ternvm_guest=$TERN_TOP/vm/guest.sh"
qemu=(qemu-system-x86_64 "${accel_args[@]}" -smp "${TERN_VM_CPUS:-2}" -m "$mem"
	-nodefaults -no-reboot -display none -nic none
	-kernel "$image" -initrd "$initrd" -append "$cmdline"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$out,mount_tag=ternout,security_model=none,multidevs=remap")

# One VM at a time on this machine: two TCG guests on two cores starve
# each other into timeouts (and parallel checkouts would do just that).
mkdir -p "$TERN_CACHE"
exec 9>"$TERN_CACHE/vm.lock"
if ! flock -n 9; then
	say "waiting for the VM already running on this machine"
	flock 9
fi
say "booting $release ($accel) -> $out"
if [ $interactive = 1 ]; then
	"${qemu[@]}" -serial mon:stdio
	exit 0
fi
# A guest that dies before the command starts (TCG has been seen to trip
# over its own code patching during boot) is booted again, twice at most.
set +e
for attempt in 1 2 3; do
	timeout "${TERN_VM_TIMEOUT:-3600}" "${qemu[@]}" -serial "file:$out/console.log" -serial stdio </dev/null
	qrc=$?
	[ -f "$out/rc" ] && break
	grep -q "tern-vm: command starting" "$out/console.log" && break
	cp "$out/console.log" "$out/console.boot$attempt.log"
	say "the guest died while booting (attempt $attempt, log: $out/console.boot$attempt.log)"
done
set -e
if [ ! -f "$out/rc" ]; then
	[ "$qrc" = 124 ] && say "the VM timed out after ${TERN_VM_TIMEOUT:-3600} s"
	say "the guest did not report an exit status; the kernel log is $out/console.log"
	tail -n 20 "$out/console.log" >&2 || true
	exit 125
fi
exit "$(cat "$out/rc")"
