#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tern's KUnit tests: module/NAME_test.c, which module/NAME.c includes at
# its end, checks NAME.c's pure logic (cookies, option parsing and
# writing, SACK blocks, sequence arithmetic and the receive window,
# listener scoring, SACK tagging, congestion window). On a
# kernel with CONFIG_KUNIT (the debug kernel) loading tern runs every
# suite. Each suite declared in module/*_test.c is one case here, from
# /sys/kernel/debug/kunit/SUITE/results (debugfs mounted if need be; the
# kernel log when the kernel keeps no results there): it fails when the
# suite did not run or any of its KUnit cases failed, and shows KUnit's
# messages. Without KUnit (Debian's stock kernel, where the tests compile
# away) the program is skipped: exit status 4.
source "$(dirname "$0")/lib.sh"
tern_require_cmd modprobe dmesg

top=$(cd "$(dirname "$0")/.." && pwd)
debugfs=/sys/kernel/debug

modprobe -q kunit 2>/dev/null	# in case it is a module
[ -d /sys/module/kunit ] || tern_skip_program "the kernel has no KUnit (CONFIG_KUNIT)"
grep -qw 'kunit.enable=0' /proc/cmdline && tern_skip_program "KUnit is disabled (kunit.enable=0)"

# The suites: every kunit_suite .name in module/*_test.c.
# (No process substitution: the VM has no /dev/fd.)
mapfile -t suites <<<"$(grep -ho '\.name[[:space:]]*=[[:space:]]*"tern_[a-z0-9_]*"' \
	"$top"/module/*_test.c | sed 's/.*"\(.*\)"/\1/' | sort -u)"
[ -n "${suites[0]}" ] || suites=()

tern_test_begin
[ ${#suites[@]} -gt 0 ] || { echo "Bail out! no KUnit suite in $top/module/*_test.c"; exit 1; }
mountpoint -q "$debugfs" || mount -t debugfs debugfs "$debugfs" 2>/dev/null
if grep -q '^tern ' /proc/modules; then
	modprobe -r tern || { echo "Bail out! tern is loaded and cannot be unloaded"; exit 1; }
fi

# The suites run while tern loads; the kernel log from here on has them.
marker="tern-kunit: $$ $(date +%s.%N)"
echo "$marker" >/dev/kmsg
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }
klog=$(dmesg | sed -n "/$marker/,\$p" | sed 's/^\[[^]]*\] \{0,1\}//')

# suite_results SUITE: its KTAP results, from debugfs or the kernel log
suite_results() {
	local f=$debugfs/kunit/$1/results

	if [ -r "$f" ]; then
		cat "$f"
	else
		awk -v s="$1" '
			$0 ~ "^    # Subtest: " s "$" { on = 1 }
			on { print }
			on && $0 ~ "^(not )?ok [0-9]+ " s "( |$)" { exit }' <<<"$klog"
	fi
}

for suite in "${suites[@]}"; do
	tern_case "kunit $suite"
	res=$(suite_results "$suite")
	verdict=$(grep -E "^(not )?ok [0-9]+ $suite( |\$)" <<<"$res" | tail -n1)
	if [ -z "$verdict" ]; then
		tern_fail "suite $suite did not run (tern.ko built without CONFIG_KUNIT, or its #include \"NAME_test.c\" missing?)"
		continue
	fi
	failed=$(sed -n 's/^    not ok [0-9]\{1,\} \([^ ]*\).*/\1/p' <<<"$res" | xargs)
	grep -E "^ *# $suite: pass:" <<<"$res" | sed 's/^ *//'
	if [ -z "$failed" ] && [[ $verdict == ok* ]]; then
		if [[ $verdict == *"# SKIP"* ]]; then
			tern_skip "${verdict#*# SKIP}"
		else
			tern_ok
		fi
		continue
	fi
	# KUnit's messages: what failed, where, with which values
	grep -vE "^ *(KTAP version|1\.\.[0-9]|# Subtest:|# module:|(not )?ok [0-9]|# (Totals|$suite): pass:)" \
		<<<"$res" | head -n 60 | sed 's/^/#   /'
	tern_fail "failed KUnit cases: ${failed:-none listed ($verdict)}"
done

tern_test_end
