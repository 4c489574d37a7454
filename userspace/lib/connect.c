// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern: Tern sockets, connect and listen by name (getaddrinfo), accept,
 * with timeouts. A timeout is a non-blocking connect() and a poll() for
 * POLLOUT, as TCP programs do it (connect(2), "EINPROGRESS").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tern/tern.h"
#include "internal.h"

long long tern__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int tern__left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - tern__now_ms();
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

int tern__wait(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	if (fd < 0) {
		errno = EBADF;	/* poll() would ignore it and wait */
		return -1;
	}
	for (;;) {
		n = poll(&pfd, 1, tern__left_ms(deadline));
		if (n > 0)
			return pfd.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

bool tern__type_ok(int type)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	return base == SOCK_STREAM || base == SOCK_SEQPACKET;
}

static long long deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : tern__now_ms() + timeout_ms;
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

TERN_EXPORT int tern_socket(int family, int type)
{
	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (!tern__type_ok(type)) {
		errno = EINVAL;
		return -1;
	}
	return socket(family, type, IPPROTO_TERN);
}

/* getaddrinfo()'s EAI_* as an errno (the mapping is in tern_connect_host.3). */
static int gai_errno(int err)
{
	switch (err) {
	case EAI_SYSTEM:
		return errno;
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
	case EAI_SERVICE:
		return ENOENT;
	case EAI_AGAIN:
		return EAGAIN;
	case EAI_MEMORY:
		return ENOMEM;
	case EAI_FAMILY:
		return EAFNOSUPPORT;
	case EAI_FAIL:
		return EIO;
	default:
		return EINVAL;
	}
}

/*
 * Check the common arguments and resolve them. Tern ports are TCP's, so
 * service names are looked up as TCP services (SOCK_STREAM hints).
 */
static struct addrinfo *resolve(const char *host, const char *service,
				int family, int type, int passive)
{
	struct addrinfo hints, *res = NULL;
	int err;

	if (!service || !*service) {
		errno = EINVAL;
		return NULL;
	}
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	if (!tern__type_ok(type)) {
		errno = EINVAL;
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	err = getaddrinfo(host, service, &hints, &res);
	if (err) {
		errno = gai_errno(err);
		return NULL;
	}
	return res;
}

/* The socket's pending error once connect() has been waited for. */
static int connect_result(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

/*
 * One address: blocking connect() without a timeout, else non-blocking and
 * poll() until @deadline. A signal interrupting connect() leaves the
 * handshake running (connect(2), EINTR): wait for it then as well.
 */
static int connect_one(const struct addrinfo *ai, int type, long long deadline,
		       int flags)
{
	int fd, err, ev;

	fd = socket(ai->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    IPPROTO_TERN);
	if (fd < 0)
		return -1;
	if (deadline < 0 && set_nonblock(fd, 0))
		goto fail;
	if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
		goto done;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	ev = tern__wait(fd, POLLOUT, deadline);
	if (ev < 0)
		goto fail;
	if (!ev) {
		errno = ETIMEDOUT;
		goto fail;
	}
	err = connect_result(fd);
	if (err) {
		errno = err;
		goto fail;
	}
done:
	if (set_nonblock(fd, !!(flags & TERN_F_NONBLOCK)))
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

TERN_EXPORT int tern_connect_host(const char *host, const char *service,
				  int family, int type, int timeout_ms,
				  int flags)
{
	struct addrinfo *res, *ai;
	int fd = -1, err = EINVAL;

	if (flags & ~TERN_F_NONBLOCK) {
		errno = EINVAL;
		return -1;
	}
	res = resolve(host, service, family, type, 0);
	if (!res)
		return -1;
	type &= ~SOCK_NONBLOCK;	/* TERN_F_NONBLOCK says it */
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = connect_one(ai, type, deadline_of(timeout_ms), flags);
		if (fd < 0)
			err = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = err;
	return fd;
}

static int listen_one(int family, const struct sockaddr *sa, socklen_t len,
		      int type, int backlog, int flags, int v6only)
{
	int fd, one = 1, err;

	fd = socket(family, type | SOCK_CLOEXEC, IPPROTO_TERN);
	if (fd < 0)
		return -1;
	if ((flags & TERN_F_REUSEADDR) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (v6only >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
				      sizeof(v6only)))
		goto fail;
	if (bind(fd, sa, len) || listen(fd, backlog))
		goto fail;
	if (set_nonblock(fd, !!(flags & TERN_F_NONBLOCK)))
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* No host, either family: [::] taking IPv4 as well, 0.0.0.0 without IPv6. */
static int listen_any(const char *service, int type, int backlog, int flags)
{
	struct addrinfo *res;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	in_port_t port;
	int fd;

	res = resolve(NULL, service, AF_INET6, type, 1);
	if (!res)
		return -1;
	port = ((struct sockaddr_in6 *)res->ai_addr)->sin6_port;
	freeaddrinfo(res);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = port;
	sin6.sin6_addr = in6addr_any;
	fd = listen_one(AF_INET6, (struct sockaddr *)&sin6, sizeof(sin6), type,
			backlog, flags, 0);
	if (fd >= 0 || errno != EAFNOSUPPORT)
		return fd;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = port;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	return listen_one(AF_INET, (struct sockaddr *)&sin, sizeof(sin), type,
			  backlog, flags, -1);
}

TERN_EXPORT int tern_listen_host(const char *host, const char *service,
				 int family, int type, int backlog, int flags)
{
	struct addrinfo *res, *ai;
	int fd = -1, err = EINVAL;

	if (flags & ~(TERN_F_NONBLOCK | TERN_F_REUSEADDR)) {
		errno = EINVAL;
		return -1;
	}
	type &= ~SOCK_NONBLOCK;
	if (!host && family == AF_UNSPEC && tern__type_ok(type))
		return listen_any(service, type, backlog, flags);
	res = resolve(host, service, family, type, 1);
	if (!res)
		return -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = listen_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen, type,
				backlog, flags, -1);
		if (fd < 0)
			err = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = err;
	return fd;
}

TERN_EXPORT int tern_accept_timeout(int lfd, struct sockaddr *addr,
				    socklen_t *addrlen, int timeout_ms)
{
	long long deadline = deadline_of(timeout_ms);
	int fd, ev;

	if (addr && !addrlen) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		ev = tern__wait(lfd, POLLIN, deadline);
		if (ev < 0)
			return -1;
		if (!ev) {
			errno = ETIMEDOUT;
			return -1;
		}
		fd = accept4(lfd, addr, addrlen, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
		/* gone again (a reset) before a non-blocking accept() */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
	}
}
