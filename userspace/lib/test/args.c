// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern unit tests: argument checking and errno, tern_strerror() and
 * tern_available(). No Tern socket is needed (the host has no module).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tern/tern.h"
#include "tap.h"

static void sockets(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ok_errno(tern_socket(AF_UNIX, SOCK_STREAM), EAFNOSUPPORT,
		 "tern_socket(AF_UNIX)");
	ok_errno(tern_socket(AF_UNSPEC, SOCK_STREAM), EAFNOSUPPORT,
		 "tern_socket(AF_UNSPEC)");
	ok_errno(tern_socket(AF_INET, SOCK_DGRAM), EINVAL,
		 "tern_socket(SOCK_DGRAM)");
	ok_errno(tern_socket(AF_INET6, SOCK_SEQPACKET | 0x100), EINVAL,
		 "tern_socket(unknown type flag)");
	ok_errno(tern_connect_host("127.0.0.1", "5000", AF_UNIX, SOCK_STREAM,
				   -1, 0), EAFNOSUPPORT,
		 "tern_connect_host(AF_UNIX)");
	ok_errno(tern_connect_host("127.0.0.1", "5000", AF_INET, SOCK_RAW,
				   -1, 0), EINVAL,
		 "tern_connect_host(SOCK_RAW)");
	ok_errno(tern_connect_host("127.0.0.1", NULL, AF_INET, SOCK_STREAM,
				   -1, 0), EINVAL,
		 "tern_connect_host(no service)");
	ok_errno(tern_connect_host("127.0.0.1", "5000", AF_INET, SOCK_STREAM,
				   -1, 0x80), EINVAL,
		 "tern_connect_host(unknown flag)");
	ok_errno(tern_connect_host("127.0.0.1", "5000", AF_INET, SOCK_STREAM,
				   -1, TERN_F_REUSEADDR), EINVAL,
		 "tern_connect_host(TERN_F_REUSEADDR)");
	ok_errno(tern_connect_host("127.0.0.1", "no-such-service-tern",
				   AF_INET, SOCK_STREAM, -1, 0), ENOENT,
		 "tern_connect_host(unknown service)");
	ok_errno(tern_connect_host("::1", "5000", AF_INET, SOCK_STREAM, -1, 0),
		 ENOENT, "tern_connect_host(IPv6 address, AF_INET)");
	ok_errno(tern_listen_host(NULL, "5000", AF_PACKET, SOCK_STREAM, 1, 0),
		 EAFNOSUPPORT, "tern_listen_host(AF_PACKET)");
	ok_errno(tern_listen_host(NULL, "5000", AF_UNSPEC, SOCK_DGRAM, 1, 0),
		 EINVAL, "tern_listen_host(SOCK_DGRAM)");
	ok_errno(tern_listen_host(NULL, "", AF_INET, SOCK_STREAM, 1, 0),
		 EINVAL, "tern_listen_host(empty service)");
	ok_errno(tern_listen_host(NULL, "5000", AF_INET, SOCK_STREAM, 1, 0x40),
		 EINVAL, "tern_listen_host(unknown flag)");
	ok_errno(tern_accept_timeout(0, (struct sockaddr *)&ss, NULL, 0),
		 EINVAL, "tern_accept_timeout(addr without addrlen)");
	ok_errno(tern_accept_timeout(-1, (struct sockaddr *)&ss, &len, 0),
		 EBADF, "tern_accept_timeout(-1)");
}

static void buffers(void)
{
	void *buf = NULL;
	size_t cap = 0;
	int sv[2];

	if (!ok(!socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), "socketpair"))
		return;
	ok_errno(tern_send_all(sv[0], NULL, 5), EINVAL, "tern_send_all(NULL, 5)");
	ok(tern_send_all(sv[0], NULL, 0) == 0, "tern_send_all(NULL, 0) sends nothing");
	ok_errno(tern_recv_exact(sv[0], NULL, 5), EINVAL, "tern_recv_exact(NULL, 5)");
	ok_errno(tern_send_msg(sv[0], NULL, 5, 0), EINVAL, "tern_send_msg(NULL, 5)");
	ok_errno(tern_recv_msg(sv[0], NULL, &cap, 0), EINVAL, "tern_recv_msg(NULL buf)");
	ok_errno(tern_recv_msg(sv[0], &buf, NULL, 0), EINVAL, "tern_recv_msg(NULL cap)");
	cap = 64;
	ok_errno(tern_recv_msg(sv[0], &buf, &cap, 0), EINVAL,
		 "tern_recv_msg(*buf NULL, *cap 64)");
	cap = 0;
	ok_errno(tern_recv_msg(sv[0], &buf, &cap, MSG_TRUNC), EINVAL,
		 "tern_recv_msg(MSG_TRUNC)");
	ok_errno(tern_recv_msg(sv[0], &buf, &cap, MSG_DONTWAIT), EAGAIN,
		 "tern_recv_msg(MSG_DONTWAIT), nothing queued");
	ok(buf && cap >= 1024, "the buffer was allocated (%zu bytes)", cap);
	free(buf);
	close(sv[0]);
	close(sv[1]);
}

static void options(void)
{
	struct tern_info info;
	char name[TERN_CA_NAME_MAX];
	unsigned int u;
	int v;

	ok_errno(tern_set_nodelay(-1, 1), EBADF, "tern_set_nodelay(-1)");
	ok_errno(tern_get_maxseg(-1, &v), EBADF, "tern_get_maxseg(-1)");
	ok_errno(tern_get_keepidle(0, NULL), EINVAL, "tern_get_keepidle(NULL)");
	ok_errno(tern_get_user_timeout(0, NULL), EINVAL,
		 "tern_get_user_timeout(NULL)");
	ok_errno(tern_set_user_timeout(-1, 10), EBADF,
		 "tern_set_user_timeout(-1)");
	ok_errno(tern_get_user_timeout(-1, &u), EBADF,
		 "tern_get_user_timeout(-1)");
	ok_errno(tern_get_info(0, NULL), EINVAL, "tern_get_info(NULL)");
	ok_errno(tern_get_info(-1, &info), EBADF, "tern_get_info(-1)");
	ok_errno(tern_set_congestion(0, NULL), EINVAL,
		 "tern_set_congestion(NULL)");
	ok_errno(tern_set_congestion(-1, "cubic"), EBADF,
		 "tern_set_congestion(-1)");
	ok_errno(tern_get_congestion(0, NULL, 16), EINVAL,
		 "tern_get_congestion(NULL)");
	ok_errno(tern_get_congestion(0, name, 0), EINVAL,
		 "tern_get_congestion(size 0)");
	ok_errno(tern_get_congestion(-1, name, sizeof(name)), EBADF,
		 "tern_get_congestion(-1)");
}

static int has(const char *text, const char *part)
{
	return text && strstr(text, part);
}

static void strerror_texts(void)
{
	struct stat st;
	int avail, fd;

	ok(has(tern_strerror(EPROTONOSUPPORT), "modprobe tern"),
	   "EPROTONOSUPPORT: %s", tern_strerror(EPROTONOSUPPORT));
	ok(has(tern_strerror(ESOCKTNOSUPPORT), "Tern module not loaded"),
	   "ESOCKTNOSUPPORT: %s", tern_strerror(ESOCKTNOSUPPORT));
	ok(has(tern_strerror(-EPROTONOSUPPORT), "modprobe tern"),
	   "-EPROTONOSUPPORT as EPROTONOSUPPORT");
	ok(has(tern_strerror(EACCES), "policy"), "EACCES: %s",
	   tern_strerror(EACCES));
	ok(has(tern_strerror(EPERM), "policy"), "EPERM: %s",
	   tern_strerror(EPERM));
	ok(has(tern_strerror(ECONNREFUSED), "refused"), "ECONNREFUSED: %s",
	   tern_strerror(ECONNREFUSED));
	ok(has(tern_strerror(ETIMEDOUT), "timed out"), "ETIMEDOUT: %s",
	   tern_strerror(ETIMEDOUT));
	ok(has(tern_strerror(ENOENT), "not found"), "ENOENT: %s",
	   tern_strerror(ENOENT));
	ok(!strcmp(tern_strerror(EIO), strerror(EIO)), "EIO as strerror()");
	ok(!strcmp(tern_strerror(EPIPE), strerror(EPIPE)), "EPIPE as strerror()");
	ok(tern_strerror(99999) != NULL, "an unknown errno: %s",
	   tern_strerror(99999));

	avail = tern_available();
	if (stat("/sys/module", &st))
		ok(avail == -1, "tern_available() without sysfs: -1");
	else
		ok(avail == !stat("/sys/module/tern", &st),
		   "tern_available() = %d, as /sys/module/tern says", avail);
	if (avail != 0)
		return;
	/* no module on this kernel: what a user without it sees */
	fd = tern_connect_host("127.0.0.1", "5000", AF_INET, SOCK_STREAM, 100, 0);
	ok(fd < 0 && (errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT) &&
	   has(tern_strerror(errno), "modprobe tern"),
	   "no module: tern_connect_host() says %s",
	   fd < 0 ? tern_strerror(errno) : "connected");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	sockets();
	buffers();
	options();
	strerror_texts();
	return tap_done();
}
