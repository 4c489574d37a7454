#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the debug kernel from Debian's linux-source-6.12 with
# vm/debug.config, and print the build directory. The directory holds
# arch/x86/boot/bzImage and is a valid KDIR for out-of-tree modules.
# The cache key covers the fragment, the source version and the compiler,
# so editing vm/debug.config or upgrading linux-source rebuilds.
set -euo pipefail
. "$(dirname "$0")/common.sh"

frag=$TERN_TOP/vm/debug.config
src=$(tern_src_tree)
cc=${CC:-gcc}
key=$( { cat "$frag"; echo "$src"; $cc --version | head -n1; } | sha256sum | cut -c1-16)
out=$TERN_CACHE/debug-kernel/$key

if [ -f "$out/.tern-complete" ]; then
	echo "$out"
	exit 0
fi

# One build at a time: .ci/run starts it early in the background, and a
# later caller waits here for it to finish.
mkdir -p "$TERN_CACHE/debug-kernel"
exec 9>"$TERN_CACHE/debug-kernel/.lock"
flock 9
if [ -f "$out/.tern-complete" ]; then
	echo "$out"
	exit 0
fi

jobs=${JOBS:-$(( $(nproc) + 1 ))}
say "building debug kernel in $out (cold build: ~20 min with -j$jobs on 2 cores, ~3 GB)"
rm -rf "$out"
mkdir -p "$out"
log=$out/build.log
start=$(date +%s)
{
	make -C "$src" O="$out" x86_64_defconfig kvm_guest.config
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag"
	make -C "$src" O="$out" olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "debug kernel configuration failed (log: $log)"; }

# Every symbol of the fragment must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case $line in CONFIG_*=*) ;; *) continue ;; esac
	sym=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		grep -q "^# $sym is not set" "$out/.config" && continue
	else
		grep -qx "$sym=$val" "$out/.config" && continue
	fi
	echo "tern: $line did not survive olddefconfig" >&2
	bad=1
done <"$frag"
[ $bad = 0 ] || die "debug kernel config is not what vm/debug.config asks for"

make -C "$src" O="$out" -j"$jobs" bzImage modules >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "debug kernel build failed (log: $log)"; }
make -C "$src" O="$out" modules_prepare >>"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "debug kernel modules_prepare failed (log: $log)"; }
touch "$out/.tern-complete"
say "debug kernel built in $(( $(date +%s) - start )) s"
echo "$out"
