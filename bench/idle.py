#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold N idle connections for make bench's memory scenario.

    idle.py listen PROTO PORT N          accept N, then hold them
    idle.py connect PROTO ADDR PORT N GO open N once file GO exists, hold

PROTO is tern (IP protocol 253), tcp or sctp (one-to-one style). One
process, one thread, no buffer per connection: what the kernel keeps for a
connection is all that grows (bench/guest.sh reads Slab: before and after).
Prints "listening" / "ready" when set up, "accepted N" / "connected N" when
done, then sleeps until killed.
"""
import os
import resource
import signal
import socket
import sys
import time

PROTOS = {"tern": 253, "tcp": socket.IPPROTO_TCP, "sctp": 132}


def new_socket(proto):
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, PROTOS[proto])


def say(msg):
    print(msg, flush=True)


def hold():
    while True:
        signal.pause()


def listen(proto, port, n):
    s = new_socket(proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(min(n, 4096))
    say("listening")
    conns = [s.accept()[0] for _ in range(n)]
    say("accepted %d" % len(conns))
    hold()


def connect(proto, addr, port, n, go):
    say("ready")
    while not os.path.exists(go):
        time.sleep(0.01)
    conns = []
    for _ in range(n):
        c = new_socket(proto)
        c.connect((addr, port))
        conns.append(c)
    say("connected %d" % len(conns))
    hold()


def main(argv):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if len(argv) == 5 and argv[1] == "listen":
        listen(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 7 and argv[1] == "connect":
        connect(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
