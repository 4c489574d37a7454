#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what Tern's build, VM and tests need, only what is missing.
# Idempotent: a machine that has everything runs no apt-get at all.
#   vm/deps.sh            install missing packages
#   vm/deps.sh --check    list what is missing, exit 1 if anything is
set -euo pipefail

base=(make gcc libc6-dev bc bison flex libssl-dev libelf-dev cpio kmod rsync
      xz-utils zstd file perl python3 git
      qemu-system-x86 busybox-static iproute2 iperf3 socat tshark sparse
      ethtool procps psmisc shellcheck linux-source-6.12
      libmnl-dev pkg-config dkms bpftrace curl gnuplot-nox)

missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in "${base[@]}"; do
	installed "$p" || missing+=("$p")
done

# Kernel image and headers: the newest Debian 6.12 amd64 ABI offering both,
# and the newest 6.1 headers (compile check only). Already having one pair
# installed is enough; KDIR=/KERNEL= users bring their own.
have_pair() {
	local h
	for h in /usr/src/linux-headers-6.12.*-amd64; do
		[ -d "$h" ] && [ -f "/boot/vmlinuz-${h#/usr/src/linux-headers-}" ] && return 0
	done
	return 1
}
have_61() { compgen -G '/usr/src/linux-headers-6.1.0-*-amd64' >/dev/null; }

apt_updated=0
apt_update() {
	[ $apt_updated = 1 ] && return
	apt-get update -qq
	apt_updated=1
}
newest() {	# newest package name matching an extended regex
	apt-cache search --names-only "$1" | cut -d' ' -f1 | grep -E "$1" | sort -V | tail -n1
}

if [ "${1:-}" = --check ]; then
	have_pair || missing+=("linux-image-6.12.*-amd64-unsigned+headers")
	have_61 || missing+=("linux-headers-6.1.0-*-amd64")
	[ ${#missing[@]} = 0 ] && exit 0
	echo "missing: ${missing[*]}"
	exit 1
fi

if ! have_pair || ! have_61 || [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "tern: need root to install: ${missing[*]} (and kernel packages)" >&2; exit 1; }
	apt_update
	if ! have_pair; then
		img=$(newest '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$')
		[ -n "$img" ] || { echo "tern: no linux-image-6.12.*-amd64-unsigned in apt" >&2; exit 1; }
		abi=${img#linux-image-}
		abi=${abi%-unsigned}
		missing+=("$img" "linux-headers-$abi")
	fi
	if ! have_61; then
		hdr=$(newest '^linux-headers-6\.1\.0-[0-9]+-amd64$')
		[ -n "$hdr" ] || { echo "tern: no linux-headers-6.1.0-*-amd64 in apt" >&2; exit 1; }
		missing+=("$hdr")
	fi
	echo "tern: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi
