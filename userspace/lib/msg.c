// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern: SOCK_SEQPACKET messages. A message longer than the buffer given
 * to recv() is cut and the rest dropped (as AF_UNIX SOCK_SEQPACKET); so the
 * receiver first peeks with MSG_TRUNC, which returns the message's real
 * length (recv(2), MSG_TRUNC), grows the buffer to it, then reads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>

#include "tern/tern.h"
#include "internal.h"

#define TERN_MSG_MIN_CAP	1024

/* After a failed call: 0 to try again, -1 to give up (errno kept). */
static int retry(int fd, short events, int flags)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	if (flags & MSG_DONTWAIT)
		return -1;
	return tern__wait(fd, events, -1) < 0 ? -1 : 0;
}

TERN_EXPORT ssize_t tern_send_msg(int fd, const void *buf, size_t len,
				  int flags)
{
	ssize_t n;

	if (!buf && len) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		n = send(fd, buf, len, flags | MSG_NOSIGNAL);
		if (n >= 0 || retry(fd, POLLOUT, flags))
			return n;
	}
}

/* *@buf at least @want bytes: 0, or -1 (ENOMEM) leaving it as it was. */
static int grow(void **buf, size_t *cap, size_t want)
{
	size_t n = TERN_MSG_MIN_CAP;
	void *p;

	while (n < want && n <= SSIZE_MAX / 2)
		n *= 2;
	if (n < want)
		n = want;
	p = realloc(*buf, n);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	*buf = p;
	*cap = n;
	return 0;
}

TERN_EXPORT ssize_t tern_recv_msg(int fd, void **buf, size_t *cap, int flags)
{
	ssize_t n;

	if (!buf || !cap || (!*buf && *cap) || (flags & MSG_TRUNC)) {
		errno = EINVAL;
		return -1;
	}
	if (!*buf && grow(buf, cap, TERN_MSG_MIN_CAP))
		return -1;
	for (;;) {
		n = recv(fd, *buf, *cap, flags | MSG_PEEK | MSG_TRUNC);
		if (n < 0) {
			if (retry(fd, POLLIN, flags))
				return -1;
			continue;
		}
		if ((size_t)n <= *cap)
			break;
		if (grow(buf, cap, n))
			return -1;
	}
	/* the whole message now fits: take it (end of stream: 0 again) */
	for (;;) {
		n = recv(fd, *buf, *cap, flags | MSG_TRUNC);
		if (n >= 0 || retry(fd, POLLIN, flags))
			break;
	}
	if (n > 0 && (size_t)n > *cap) {
		/* another reader took the peeked one; this one was cut */
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}
