# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for Tern's VM and build scripts. Sourced, never run.

TERN_CACHE=${TERN_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/tern}
TERN_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "tern: $*" >&2; exit 1; }
say() { echo "tern: $*" >&2; }

# Newest installed Debian 6.12 amd64 image that also has its headers.
tern_stock_abi() {
	local d abi best=
	for d in /usr/src/linux-headers-6.12.*-amd64; do
		[ -d "$d" ] || continue
		abi=${d#/usr/src/linux-headers-}
		[ -f "/boot/vmlinuz-$abi" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$abi" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || return 1
	echo "$best"
}

# Pristine linux-source-6.12 tree, extracted once per package version.
tern_src_tree() {
	local ver dir tmp
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		die "linux-source-6.12 is not installed (run: make deps)"
	dir=$TERN_CACHE/src/linux-source-6.12-$ver
	if [ ! -f "$dir/.tern-complete" ]; then
		mkdir -p "$TERN_CACHE/src"
		# one extraction at a time (CI builds the debug kernel
		# while lint runs); the others wait and use it
		exec 8>"$TERN_CACHE/src/.lock"
		flock 8
		if [ ! -f "$dir/.tern-complete" ]; then
			say "extracting linux-source-6.12 $ver into $dir"
			tmp=$(mktemp -d "$TERN_CACHE/src/.extract.XXXXXX")
			tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$tmp" ||
				{ rm -rf "$tmp"; die "cannot extract linux-source-6.12"; }
			rm -rf "$dir"
			mv "$tmp/linux-source-6.12" "$dir"
			rmdir "$tmp"
			touch "$dir/.tern-complete"
		fi
		exec 8>&-
	fi
	echo "$dir"
}

# The kernel image for stock, debug or a path.
tern_kernel_image() {
	local abi
	case $1 in
	stock)
		abi=$(tern_stock_abi) || die "no Debian 6.12 image with headers installed (run: make deps)"
		echo "/boot/vmlinuz-$abi" ;;
	debug)
		echo "$("$TERN_TOP/vm/debug-kernel.sh")/arch/x86/boot/bzImage" ;;
	*)
		echo "$1" ;;
	esac
}

# The kernel release a bzImage was built as, from its setup header.
tern_image_release() {
	local off
	off=$(od -An -j 526 -N 2 -t u2 "$1" | tr -d ' ')
	dd if="$1" bs=1 skip=$((off + 512)) count=256 2>/dev/null |
		tr '\0' '\n' | head -n1 | cut -d' ' -f1
}
