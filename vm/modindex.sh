#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# depmod for the guest, run on the host: the module index of kernel
# release REL with tern.ko added as extra/tern.ko. depmod inside a TCG guest
# reads every module through 9p and takes minutes; here it takes seconds
# and is cached by what the index depends on (tern.ko's aliases and
# dependencies), so rebuilding tern.ko does not redo it. Prints the folder
# holding the modules.* files; the guest copies them into
# /lib/modules/REL/ next to extra/tern.ko.
#   vm/modindex.sh REL /path/to/tern.ko
set -euo pipefail
. "$(dirname "$0")/common.sh"
rel=${1:?usage: vm/modindex.sh REL KO}
ko=${2:?usage: vm/modindex.sh REL KO}
key=$( { echo "$rel"; modinfo -F alias "$ko"; modinfo -F depends "$ko";
	 ls -l --time-style=+%s "/lib/modules/$rel/modules.order" 2>/dev/null || true; } |
	sha256sum | cut -c1-16)
out=$TERN_CACHE/modindex/$rel-$key
if [ ! -f "$out/modules.dep.bin" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	base=$tmp/lib/modules/$rel
	mkdir -p "$base/extra"
	# the module lists of a kernel built here sit in its build tree
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -n "${KDIR:-}" ] && [ -f "$KDIR/$f" ] && cp "$KDIR/$f" "$base/"
	done
	if [ -d "/lib/modules/$rel/kernel" ]; then
		ln -s "/lib/modules/$rel/kernel" "$base/kernel"
		for f in modules.order modules.builtin modules.builtin.modinfo; do
			[ -f "/lib/modules/$rel/$f" ] && cp "/lib/modules/$rel/$f" "$base/"
		done
	fi
	cp "$ko" "$base/extra/tern.ko"
	[ -f "$base/modules.order" ] || : >"$base/modules.order"
	[ -f "$base/modules.builtin" ] || : >"$base/modules.builtin"
	[ -f "$base/modules.builtin.modinfo" ] || : >"$base/modules.builtin.modinfo"
	depmod -b "$tmp" "$rel"
	mkdir -p "$out"
	cp "$base"/modules.* "$out/"
fi
echo "$out"
