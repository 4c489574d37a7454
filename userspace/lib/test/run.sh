#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libtern unit tests: run.sh OUT TEST...: each test program's TAP as a
# subtest, then whether the shared library exports exactly its API.
set -uo pipefail
out=$1
shift
n=0 failed=0
echo "TAP version 13"
for t in "$@"; do
	n=$((n + 1))
	echo "# Subtest: ${t##*/}"
	if timeout 120 "$t" 2>&1 | sed 's/^/    /'; then
		echo "ok $n - ${t##*/}"
	else
		echo "not ok $n - ${t##*/}"
		failed=$((failed + 1))
	fi
done
# -fvisibility=hidden and libtern.map: every dynamic symbol is tern_* at
# a TERN_1.x node, and the soname is libtern.so.1.
n=$((n + 1))
lib=$out/libtern.so.1
bad=$(nm -D --defined-only "$lib" | awk '$3 !~ /^TERN_1\.[0-9]+$/ && $3 !~ /^tern_[a-z_]+@@TERN_1\.[0-9]+$/ { print $3 }')
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ -z "$bad" ] && [ "$soname" = libtern.so.1 ]; then
	echo "ok $n - exports: only tern_* at TERN_1.x, soname $soname"
else
	echo "# exported beyond the API: $bad; soname: $soname"
	echo "not ok $n - exports"
	failed=$((failed + 1))
fi
echo "1..$n"
[ "$failed" = 0 ]
