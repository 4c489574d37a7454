#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build tern.ko for one kernel in build/kmod/FLAVOR/ (a copy of the module
# sources, so builds for several kernels never share objects) and print the
# path of tern.ko.
#   vm/kmod.sh stock|debug|6.1|running [make args...]
# KDIR= overrides the kernel tree of any flavor.
set -euo pipefail
. "$(dirname "$0")/common.sh"

flavor=${1:?usage: vm/kmod.sh stock|debug|6.1|running [make args...]}
shift
if [ -z "${KDIR:-}" ]; then
	case $flavor in
	stock)
		abi=$(tern_stock_abi) || die "no Debian 6.12 headers installed (run: make deps)"
		KDIR=/usr/src/linux-headers-$abi ;;
	debug)
		KDIR=$("$TERN_TOP/vm/debug-kernel.sh") ;;
	6.1)
		KDIR=$(compgen -G '/usr/src/linux-headers-6.1.0-*-amd64' | sort -V | tail -n1)
		[ -n "$KDIR" ] || die "no Debian 6.1 headers installed (run: make deps)" ;;
	running)
		KDIR=/lib/modules/$(uname -r)/build ;;
	*)
		die "unknown kernel flavor '$flavor'" ;;
	esac
fi
[ -f "$KDIR/Makefile" ] || die "$KDIR is not a kernel build tree"

dir=$TERN_TOP/build/kmod/$flavor${TERN_KMOD_TAG:+-$TERN_KMOD_TAG}
mkdir -p "$dir"
rsync -a --delete --include='Kbuild' --include='module/***' --include='uapi/***' \
	--exclude='*' "$TERN_TOP/" "$dir/"
# Build messages name the files in the tree, not in the copy.
set +e
make -C "$KDIR" M="$dir" "$@" 2>&1 | sed "s|$dir/||g" >&2
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || die "tern.ko did not build for $flavor ($KDIR)"
echo "$dir/tern.ko"
