#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make lint: checkpatch --strict on module/ and uapi/, the module built with
# W=1 and sparse (C=2) against the stock 6.12 headers, the module built
# against Debian's 6.1 headers, the selftests with -Werror. Any finding
# fails. Ends with "lint: N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/common.sh"
src=$(tern_src_tree)
cd "$TERN_TOP" || exit 1
n=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

step() {	# step NAME CMD...: ok when CMD succeeds and prints no finding
	local name=$1
	shift
	n=$((n + 1))
	if "$@" >"$out" 2>&1 && ! grep -qE '(warning|error|WARNING|ERROR|CHECK):' "$out"; then
		echo "ok $n $name"
	else
		sed 's/^/# /' "$out"
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
# compat.h exists to hold LINUX_VERSION_CODE checks (one place for the
# 6.1/6.12 differences); that one checkpatch rule is for in-tree code.
checkpatch() {
	local cp=(perl "$src/scripts/checkpatch.pl" --strict --no-tree --terse --show-types -f)
	"${cp[@]}" $(ls module/*.[ch] | grep -v '^module/compat.h$') uapi/linux/tern.h &&
		"${cp[@]}" --ignore LINUX_VERSION_CODE module/compat.h
}
step "checkpatch --strict module/ uapi/" checkpatch
step "tern.ko W=1 C=2 (sparse) on 6.12" env TERN_KMOD_TAG=lint vm/kmod.sh stock W=1 C=2
step "tern.ko W=1 on 6.1" vm/kmod.sh 6.1 W=1
step "selftests -Werror" make -s -C selftests KSFT_DIR="$src/tools/testing/selftests" \
	OUT="$TERN_TOP/build/lint/selftests" CFLAGS="-O2 -g -Werror" -B
echo "1..$n"
echo "lint: $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
