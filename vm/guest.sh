#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Second stage inside Tern's VM, run by the initramfs in the overlay root:
# prepare the system, run the command from the host, report its exit
# status and the guest's kernel log through the 9p output share, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-dumb} LANG=C.UTF-8

# The host's / as it is before the guest's own /tmp and /run hide parts of
# it: a project checked out under /tmp (a CI clone, say) stays reachable.
mkdir -p /.tern-host && mount --bind / /.tern-host
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/pts /dev/shm /run/tern /run/netns
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 ternout /run/tern ||
	{ echo "tern-vm: cannot mount the output share" >/dev/ttyS0; echo o >/proc/sysrq-trigger; }
hostname tern-vm
ip link set lo up

out=/run/tern
# the command may leave files for the host there (make bench's raw data)
export TERN_VM_OUT=$out
# shellcheck source=/dev/null
. "$out/env"
case $TERN_CWD in
/tmp/* | /run/*)
	mkdir -p "$TERN_CWD" && mount --bind "/.tern-host$TERN_CWD" "$TERN_CWD" ||
		echo "tern-vm: cannot reach $TERN_CWD" >/dev/ttyS0
	;;
esac
# Power off now: the reboot syscall does not return. Nothing may run
# after it starts (an exec from the 9p root would fail once virtio is
# down, and PID 1 exiting panics the kernel).
poweroff_now() {
	sync
	exec /bin/busybox poweroff -f
}

kmemleak=/sys/kernel/debug/kmemleak
if [ "${TERN_KMEMLEAK:-0}" = 1 ] && [ -w $kmemleak ]; then
	# forget whatever boot left behind; only the command's leaks count
	echo scan >$kmemleak
	echo clear >$kmemleak
fi

if [ "${TERN_INTERACTIVE:-0}" = 1 ]; then
	echo "tern-vm: interactive shell; the project is at $TERN_CWD; exit to power off" >/dev/ttyS0
	cd "$TERN_CWD" && setsid -c bash -i </dev/ttyS0 >/dev/ttyS0 2>&1
	poweroff_now
fi

stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo "tern-vm: command starting" >/dev/kmsg
cd "$TERN_CWD" || { echo 127 >"$out/rc"; poweroff_now; }
bash "$out/cmd" </dev/null >/dev/ttyS1 2>&1
rc=$?
cd /

if [ "${TERN_KMEMLEAK:-0}" = 1 ] && [ -w $kmemleak ]; then
	echo "tern-selftest: kmemleak scan" >/dev/kmsg
	echo scan >$kmemleak
	sleep 6
	echo scan >$kmemleak
	cat $kmemleak >"$out/kmemleak"
	# make any report visible in the kernel log the host scans
	if [ -s "$out/kmemleak" ]; then
		while IFS= read -r l; do echo "kmemleak report: $l" >/dev/kmsg; done <"$out/kmemleak"
	fi
fi
dmesg >"$out/dmesg" 2>/dev/null
echo "$rc" >"$out/rc"
poweroff_now
