#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the extracted linux-source-6.12 tree (kselftest harness, lib.sh,
# checkpatch.pl come from there, never copied into Tern's tree).
set -euo pipefail
. "$(dirname "$0")/common.sh"
tern_src_tree
