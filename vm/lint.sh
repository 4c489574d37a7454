#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make lint: checkpatch --strict on module/ and uapi/, the module built with
# W=1 and sparse (C=2) against the stock 6.12 headers, the module built
# against Debian's 6.1 headers, the module with its KUnit tests built with
# W=1 and sparse against the debug kernel (when one is built: lint does not
# build it), the selftests and userspace with -Werror, libtern's unit tests
# on the host, what make install installs (vm/install-check.sh), shellcheck
# on every shell script.
# Any finding fails. Ends with "lint: N passed, N failed, N skipped".
set -uo pipefail
. "$(dirname "$0")/common.sh"
src=$(tern_src_tree)
cd "$TERN_TOP" || exit 1
n=0 failed=0 skipped=0
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

skip() {	# skip NAME REASON
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
	skipped=$((skipped + 1))
}

echo "TAP version 13"
# compat.h exists to hold LINUX_VERSION_CODE checks (one place for the
# 6.1/6.12 differences); that one checkpatch rule is for in-tree code.
# trace.h has the TRACE_EVENT() layout of include/trace/events/tcp.h,
# whose lines end in '(' and whose TP_* are not aligned to it.
checkpatch() {
	local cp=(perl "$src/scripts/checkpatch.pl" --strict --no-tree --terse --show-types -f)
	local files=() f
	for f in module/*.[ch]; do
		case $f in
		module/compat.h | module/trace.h) ;;
		*) files+=("$f") ;;
		esac
	done
	"${cp[@]}" "${files[@]}" uapi/linux/tern.h &&
		"${cp[@]}" --ignore LINUX_VERSION_CODE module/compat.h &&
		"${cp[@]}" --ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT module/trace.h
}
step "checkpatch --strict module/ uapi/" checkpatch
step "tern.ko W=1 C=2 (sparse) on 6.12" env TERN_KMOD_TAG=lint vm/kmod.sh stock W=1 C=2
step "tern.ko W=1 on 6.1" vm/kmod.sh 6.1 W=1
# The KUnit tests (module/*_test.c) compile only against a kernel with
# CONFIG_KUNIT: the debug kernel. Any one already built will do here.
kunit_kdir=
for d in "$TERN_CACHE"/debug-kernel/*/; do
	d=${d%/}
	[ -f "$d/.tern-complete" ] && grep -qx CONFIG_KUNIT=y "$d/.config" || continue
	if [ -z "$kunit_kdir" ] || [ "$d/.tern-complete" -nt "$kunit_kdir/.tern-complete" ]; then
		kunit_kdir=$d
	fi
done
if [ -n "$kunit_kdir" ]; then
	step "tern.ko and KUnit tests W=1 C=2 (sparse) on the debug kernel" \
		env KDIR="$kunit_kdir" TERN_KMOD_TAG=lint vm/kmod.sh debug W=1 C=2
else
	skip "tern.ko and KUnit tests W=1 C=2 (sparse) on the debug kernel" \
		"no debug kernel with CONFIG_KUNIT built yet (make check KERNEL=debug builds it)"
fi
step "selftests -Werror" make -s -C selftests KSFT_DIR="$src/tools/testing/selftests" \
	OUT="$TERN_TOP/build/lint/selftests" CFLAGS="-O2 -g -Werror" -B
step "userspace -Werror" make -s -C userspace OUT="$TERN_TOP/build/lint/userspace" \
	CFLAGS="-O2 -g -Werror" -B
# libtern's unit tests: the parts that need no Tern socket, on the host.
step "libtern unit tests (host)" make -s -C userspace OUT="$TERN_TOP/build/lint/userspace" test
# ternperf over the host's loopback: TCP (SCTP if the kernel has it), and
# --proto tern failing cleanly, as no module is loaded here.
step "ternperf host test (tcp loopback)" make -s -C userspace \
	OUT="$TERN_TOP/build/lint/userspace" test-ternperf
# ternss's filter compiler: its bytecode through a model of the kernel's
# audit and run (userspace/tools/ternss_filter_test.c), on the host.
step "ternss filter unit tests (host)" make -s -C userspace OUT="$TERN_TOP/build/lint/userspace" \
	CFLAGS="-O2 -g -Werror" test-ternss
step "make install DESTDIR= (vm/install-check.sh)" vm/install-check.sh
# make bench's report from made-up runs: tables, targets, gnuplot charts
step "bench report (host, bench/report-test.sh)" bench/report-test.sh
# Every shell script: *.sh, and files whose #! line names a shell.
shell_scripts() {
	local f
	while IFS= read -r -d '' f; do
		case $f in
		*.sh) ;;
		*) head -n1 "$f" | grep -qE '^#!.*[/ ](ba|da)?sh( |$)' || continue ;;
		esac
		echo "${f#./}"
	done < <(find . \( -path ./build -o -path ./.git \) -prune -o -type f -print0) | sort
}
shellcheck_all() {
	local scripts
	mapfile -t scripts < <(shell_scripts)
	echo "# ${#scripts[@]} scripts"
	shellcheck -f gcc "${scripts[@]}"
}
step "shellcheck (.shellcheckrc)" shellcheck_all
echo "1..$n"
echo "lint: $((n - failed - skipped)) passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
