#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scan a guest kernel log for anything that must fail a run: warnings,
# BUGs, oopses, KASAN/UBSAN/KFENCE, lockdep, kmemleak, refcount, lockups.
# Each finding names the test that was running, from the
# "tern-selftest: PROGRAM CASE" lines selftests/run.sh writes to the log.
#   vm/logscan.sh LOG    prints findings, exits 1 if there are any
set -u
log=${1:?usage: vm/logscan.sh LOG}
[ -r "$log" ] || { echo "# cannot read $log"; exit 1; }
awk '
	/tern-selftest: / {
		t = $0
		sub(/.*tern-selftest: /, "", t)
		sub(/\r$/, "", t)
		test = t
		next
	}
	/WARNING:|BUG:|Oops|KASAN:|UBSAN:|KFENCE:|general protection fault|Kernel panic|refcount_t:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|unreferenced object|suspected memory leak|soft lockup|hard LOCKUP|blocked for more than|rcu_.*detected stall|self-detected stall|list_add corruption|list_del corruption|Call Trace:/ {
		line = $0
		sub(/\r$/, "", line)
		if (++found <= 40)
			printf "# %s  [during: %s]\n", line, (test == "" ? "boot" : test)
	}
	END {
		if (found > 40)
			printf "# ... and %d more lines\n", found - 40
		exit found > 0
	}' "$log"
