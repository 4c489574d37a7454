# SPDX-License-Identifier: GPL-2.0
"""ternss_holder: holds Tern sockets in known states for ternss_test.sh.

  ternss_holder.py states NS_A NS_B DIR   every state, both families
  ternss_holder.py big NS DIR NTW NEST    NTW TIME-WAIT, NEST connections

It joins the namespaces itself (setns through ctypes), so one process owns
every socket. It writes DIR/expect, one line per socket it made:
"NS STATE LOCAL PEER RECVQ SENDQ" ("-": not checked), the addresses as
ternss prints them, then DIR/ready, and waits. On SIGUSR1 it writes
DIR/errors: "NAME SO_ERROR-errno-name" for its named sockets. SIGTERM
ends it. Its name (comm) is "ternholder", for ternss -p.
"""
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import time

TERN = 253
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, b"ternholder", 0, 0, 0)	# PR_SET_NAME

named = {}
expect = []
keep = []
outdir = ""


def netns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)


def fmt(af, addr, port):
    host = "[%s]" % addr if af == socket.AF_INET6 else addr
    return "%s:%s" % (host, port if port else "*")


def ex(ns, state, sock_or_tuple, rq="-", sq="-"):
    """Expect a line for a socket (its own addresses) or (af, l, lp, r, rp)."""
    if isinstance(sock_or_tuple, tuple):
        af, la, lp, ra, rp = sock_or_tuple
    else:
        s = sock_or_tuple
        af = s.family
        la, lp = s.getsockname()[:2]
        try:
            ra, rp = s.getpeername()[:2]
        except OSError:
            ra, rp = ("::" if af == socket.AF_INET6 else "0.0.0.0"), 0
    expect.append("%s %s %s %s %s %s" % (ns, state, fmt(af, la, lp),
                                         fmt(af, ra, rp), rq, sq))


def sock(af, name=None):
    s = socket.socket(af, socket.SOCK_STREAM, TERN)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    keep.append(s)
    if name:
        named[name] = s
    return s


def wait_eof(s):
    s.settimeout(10)
    return s.recv(10) == b""


def one_family(a, b, af, base):
    """Every state for family af; base: the first of its ports."""
    v6 = af == socket.AF_INET6
    ea, eb = ("2001:db8::1", "2001:db8::2") if v6 else ("192.0.2.1", "192.0.2.2")
    a11 = "2001:db8::11" if v6 else "192.0.2.11"
    hole = "2001:db8::3" if v6 else "192.0.2.3"
    f = "6" if v6 else "4"

    netns(b)
    lis = sock(af, "lis" + f)
    lis.bind((eb, base))
    lis.listen(8)
    lis2 = sock(af)
    lis2.bind((eb, base + 1))
    lis2.listen(8)
    lis3 = sock(af)	# tern_synflood's requests wait here
    lis3.bind((eb, base + 2))
    lis3.listen(8)
    ex(b, "LISTEN", lis3, "-", 8)

    # ESTAB, 100 bytes unread on B's side
    netns(a)
    c1 = sock(af, "est" + f)
    c1.bind((ea, 0))	# not .11, which goes away
    c1.connect((eb, base))
    c1.sendall(b"x" * 100)
    s1 = lis.accept()[0]
    keep.append(s1)
    named["estpeer" + f] = s1
    ex(a, "ESTAB", c1, 0, 0)
    ex(b, "ESTAB", s1, 100, 0)

    # FIN-WAIT-2 / CLOSE-WAIT
    netns(a)
    c4 = sock(af)
    c4.bind((a11, 0))
    c4.connect((eb, base + 1))
    s4 = lis2.accept()[0]
    keep.append(s4)
    c4.shutdown(socket.SHUT_WR)
    wait_eof(s4)
    ex(a, "FIN-WAIT-2", c4, 0, 0)
    ex(b, "CLOSE-WAIT", s4, 0, 0)

    # FIN-WAIT-2 / LAST-ACK: the address gone, B's FIN is never answered
    netns(a)
    c5 = sock(af)
    c5.bind((a11, 0))
    c5.connect((eb, base + 1))
    s5 = lis2.accept()[0]
    c5.shutdown(socket.SHUT_WR)
    wait_eof(s5)
    ex(a, "FIN-WAIT-2", c5, 0, 0)
    ex(b, "LAST-ACK", s5, 0, "-")
    peer5 = s5.getpeername()[:2]
    lport5 = s5.getsockname()[1]

    # TIME-WAIT on A: A closes first
    netns(a)
    c6 = sock(af)
    c6.bind((ea, 0))
    c6.connect((eb, base + 1))
    s6 = lis2.accept()[0]
    tw = (af, c6.getsockname()[0], c6.getsockname()[1], eb, base + 1)
    c6.close()
    keep.remove(c6)
    wait_eof(s6)
    s6.close()
    ex(a, "TIME-WAIT", tw, 0, 0)

    # SYN-SENT toward an address nobody answers for
    netns(a)
    c3 = sock(af, "synsent" + f)
    c3.bind((ea, 0))
    c3.setblocking(False)
    try:
        c3.connect((hole, 7000))
    except BlockingIOError:
        pass
    # (no peer name yet: getpeername() fails until it connects)
    ex(a, "SYN-SENT", (af, ea, c3.getsockname()[1], hole, 7000))

    # a connection nobody accepted: the listener's accept queue is 1 of 8
    netns(a)
    c2 = sock(af, "queued" + f)
    c2.bind((ea, 0))
    c2.connect((eb, base))
    ex(a, "ESTAB", c2, 0, 0)
    ex(b, "ESTAB", (af, eb, base, c2.getsockname()[0],
                    c2.getsockname()[1]), 0, 0)
    ex(b, "LISTEN", lis, 1, 8)
    ex(b, "LISTEN", lis2, 0, 8)
    return s5, (af, eb, lport5) + peer5, a11


def states(a, b):
    last = []
    for af, base in ((socket.AF_INET, 5000), (socket.AF_INET6, 6000)):
        last.append(one_family(a, b, af, base))
    # the FIN-WAIT-2 sides lose their addresses: B's FINs go unanswered
    for s5, _, a11 in last:
        plen = "64" if ":" in a11 else "24"
        subprocess.run(["ip", "-n", a, "addr", "del", a11 + "/" + plen,
                        "dev", "veth-a"], check=True)
    for s5, _, _ in last:
        s5.close()


def big(ns, ntw, nest):
    netns(ns)
    lis = sock(socket.AF_INET6, "biglis")
    lis.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    lis.bind(("::", 7100))
    lis.listen(4096)
    for i in range(ntw):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, TERN)
        c.connect(("127.0.0.1", 7100))
        s = lis.accept()[0]
        c.close()
        wait_eof(s)
        s.close()
    for i in range(nest):
        af = socket.AF_INET6 if i % 2 else socket.AF_INET
        c = socket.socket(af, socket.SOCK_STREAM, TERN)
        c.connect(("::1" if i % 2 else "127.0.0.1", 7100))
        keep.append(c)
        keep.append(lis.accept()[0])


def on_usr1(signum, frame):
    lines = []
    for name, s in sorted(named.items()):
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        lines.append("%s %s" % (name, errno.errorcode.get(e, "0")))
    with open(os.path.join(outdir, "errors.tmp"), "w") as f:
        f.write("\n".join(lines) + "\n")
    os.rename(os.path.join(outdir, "errors.tmp"),
              os.path.join(outdir, "errors"))


def main():
    global outdir
    if sys.argv[1] == "states":
        outdir = sys.argv[4]
        states(sys.argv[2], sys.argv[3])
    else:
        outdir = sys.argv[3]
        big(sys.argv[2], int(sys.argv[4]), int(sys.argv[5]))
    with open(os.path.join(outdir, "expect"), "w") as f:
        f.write("\n".join(expect) + ("\n" if expect else ""))
    signal.signal(signal.SIGUSR1, on_usr1)
    with open(os.path.join(outdir, "ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
