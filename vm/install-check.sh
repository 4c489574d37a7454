#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make lint's install check, on the host: "make install DESTDIR=tmp" (and
# with PREFIX=/usr) puts exactly the files userspace's fragments declare
# (USERSPACE_INSTALLED, "make -C userspace installed-files") in place,
# programs executable, man pages free of groff warnings; the installed
# ternize finds its installed libternize.so, which exports only its
# wrappers, needs nothing but libc, and turns a TCP socket into a Tern
# one (or, with no tern module, as on this host, falls back to TCP and
# says so once). Prints "failed: ..." lines and exits 1 on any finding.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$TERN_TOP" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
fail() { echo "failed: $*"; bad=1; }

# install_tree PREFIX: install into $tmp/PREFIX-name, compare with the list
install_tree() {
	local prefix=$1 root f want got msg
	root=$tmp/root${prefix//\//-}
	make -s -C userspace install DESTDIR="$root" PREFIX="$prefix" \
		OUT="$tmp/build${prefix//\//-}" >"$tmp/log" 2>&1 ||
		{ sed 's/^/# /' "$tmp/log"; fail "make install PREFIX=$prefix"; return 1; }
	want=$(make -s -C userspace installed-files PREFIX="$prefix" | sort)
	got=$(cd "$root" && find . -type f -o -type l | sed 's/^\.//' | sort)
	[ "$want" = "$got" ] ||
		fail "PREFIX=$prefix: installed files differ from USERSPACE_INSTALLED:" \
			"$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
	for f in $want; do
		case $f in
		*/bin/*|*/sbin/*) [ -x "$root$f" ] || fail "$f is not executable" ;;
		*/man/man[1-8]/*)	# from the man root, as man(1) resolves .so links
			msg=$(cd "$root${f%/man[1-8]/*}" && groff -man -ww -z "$root$f" 2>&1)
			[ -z "$msg" ] || fail "$f: $(head -n1 <<<"$msg")" ;;
		esac
	done
	echo "$root"
}

root=$(install_tree /usr/local | tail -n1) || exit 1
install_tree /usr >/dev/null
echo "# installed: $(cd "$root" && find . -type f | wc -l) files"

ternize=$root/usr/local/bin/ternize
lib=$root/usr/local/lib/tern/libternize.so
[ -x "$ternize" ] && [ -f "$lib" ] || { fail "ternize or libternize.so not installed"; exit 1; }
# found relative to the installed binary (the built-in LIBDIR is not there)
got=$(env -u TERNIZE_LIB "$ternize" run env | sed -n 's/^LD_PRELOAD=//p')
[ "$got" = "$lib" ] || fail "installed ternize preloads '$got', not $lib"
# only the wrappers exported, only libc (libdl) needed
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
[ "$exported" = "accept accept4 close close_range dup dup2 dup3 fcntl fcntl64 getsockopt sendmsg sendto setsockopt socket " ] ||
	fail "libternize.so exports: $exported"
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -vxE 'libc\.so\.6|libdl\.so\.2')
[ -z "$needed" ] || fail "libternize.so needs $needed"
# a TCP socket under the installed ternize: Tern, or TCP and one notice
out=$(env -u TERNIZE_LIB "$ternize" run -d python3 -c '
import socket
a = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM | socket.SOCK_NONBLOCK, socket.IPPROTO_TCP)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print("proto", a.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL),
      b.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL),
      u.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL))' 2>&1)
case $out in
*"proto 253 253 17"*) [ "$(grep -c ': Tern, fd' <<<"$out")" = 2 ] || fail "ternize -d: $out" ;;
*"proto 6 6 17"*) [ "$(grep -c 'Tern is not available' <<<"$out")" = 1 ] || fail "ternize -d fallback: $out" ;;
*) fail "under ternize: $out" ;;
esac
"$ternize" run /nonexistent/cmd 2>/dev/null
[ $? = 127 ] || fail "ternize run of a missing command: not 127"
"$ternize" 2>/dev/null
[ $? = 2 ] || fail "ternize without arguments: not 2"
[ $bad = 0 ] && echo "# install check: ok"
exit $bad
