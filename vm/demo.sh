#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot the test kernel in the VM and show Tern between two
# network namespaces.
set -euo pipefail
. "$(dirname "$0")/common.sh"
kernel=${1:-stock}
case $kernel in stock|debug) flavor=$kernel ;; *) flavor=custom ;; esac
TERN_KO=$("$TERN_TOP/vm/kmod.sh" "$flavor")
TERN_MODINDEX=$("$TERN_TOP/vm/modindex.sh" \
	"$(tern_image_release "$(tern_kernel_image "$kernel")")" "$TERN_KO")
export TERN_KO TERN_MODINDEX
[ -t 1 ] && export TERN_COLOR=1
exec "$TERN_TOP/vm/run.sh" -k "$kernel" -o "$TERN_TOP/build/results/demo" -- vm/demo-guest.sh
