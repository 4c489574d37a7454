#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make dkms-check: dkms.conf works. On the host, without touching the
# system's DKMS tree or /lib/modules (never loads anything): copies the
# sources dkms.conf needs (dkms.conf, Kbuild, module/, uapi/) into a
# temporary directory, and there runs dkms add, build and install with
# --dkmstree, --sourcetree and --installtree inside it, for the newest
# installed Debian 6.12 headers and the newest 6.1 headers. Each kernel's
# installed tern.ko must exist and modinfo must show that kernel's
# vermagic. The signing key dkms makes (it signs on Debian) goes to the
# temporary directory too. Ends with "dkms: N passed, N failed, N skipped".
#   vm/dkms.sh [KERNEL_VERSION...]   (default: the 6.12 and 6.1 headers)
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$TERN_TOP" || exit 1

command -v dkms >/dev/null || die "dkms is not installed (run: make deps)"
ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' dkms.conf)
[ -n "$ver" ] || die "no PACKAGE_VERSION in dkms.conf"

kernels=("$@")
if [ ${#kernels[@]} = 0 ]; then
	for g in '/usr/src/linux-headers-6.12.*-amd64' '/usr/src/linux-headers-6.1.0-*-amd64'; do
		d=$(compgen -G "$g" | sort -V | tail -n1)
		[ -n "$d" ] && kernels+=("${d#/usr/src/linux-headers-}")
	done
fi
[ ${#kernels[@]} -gt 0 ] || die "no 6.12 or 6.1 headers in /usr/src (run: make deps)"

tmp=$(mktemp -d /tmp/tern-dkms.XXXXXX) || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src/tern-$ver
mkdir -p "$src" "$tmp/dkms" "$tmp/lib/modules" "$tmp/tmp"
cp -r dkms.conf Kbuild module uapi "$src/" || die "cannot copy the sources"
# the copy holds sources only: no objects from an in-tree build
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' \) -delete
# dkms's own trees, all in $tmp; its signing key and certificate too
# (prepare_signing takes them from the environment before its defaults)
trees=(--dkmstree "$tmp/dkms" --sourcetree "$tmp/src" --installtree "$tmp/lib/modules")
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub TMPDIR=$tmp/tmp

n=0 failed=0
result() {	# result OK NAME [LOG]
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n $2"
	else
		[ -n "${3:-}" ] && [ -f "$3" ] && sed 's/^/# /' "$3"
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
ok=0
dkms add "${trees[@]}" -m tern -v "$ver" >"$tmp/add.log" 2>&1 && ok=1
result $ok "dkms add tern/$ver" "$tmp/add.log"
for k in "${kernels[@]}"; do
	kdir=/usr/src/linux-headers-$k
	log=$tmp/$k.log
	ok=0
	if [ -f "$kdir/Makefile" ] &&
	   dkms build "${trees[@]}" tern/"$ver" -k "$k" --kernelsourcedir "$kdir" >"$log" 2>&1; then
		ok=1
	else
		[ -f "$kdir/Makefile" ] || echo "no headers in $kdir" >>"$log"
		find "$tmp/dkms" -name make.log -exec cat {} + >>"$log" 2>/dev/null
	fi
	result $ok "dkms build for $k" "$log"
	[ $ok = 1 ] || continue

	ok=0
	mkdir -p "$tmp/lib/modules/$k"
	dkms install "${trees[@]}" tern/"$ver" -k "$k" --kernelsourcedir "$kdir" \
		--no-depmod >"$log" 2>&1 && ok=1
	ko=$(find "$tmp/lib/modules/$k" -name 'tern.ko*' | head -n1)
	if [ $ok = 1 ] && [ -z "$ko" ]; then
		ok=0
		echo "no tern.ko under $tmp/lib/modules/$k" >>"$log"
	fi
	result $ok "dkms install for $k: ${ko#"$tmp/lib/modules/"}" "$log"
	[ $ok = 1 ] || continue

	# vermagic starts with the kernel's release
	vm=$(modinfo -F vermagic "$ko" 2>&1)
	ok=0
	[[ $vm == "$k "* ]] && ok=1
	echo "vermagic $vm" >"$log"
	result $ok "modinfo vermagic of tern.ko is $k" "$log"
done
echo "1..$n"
echo "dkms: $((n - failed)) passed, $failed failed, 0 skipped"
[ $failed = 0 ]
