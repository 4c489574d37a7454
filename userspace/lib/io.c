// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern: whole buffers over a stream. A short send() or recv() is
 * normal on a stream socket (send(2), recv(2)); these loop until all of
 * it moved, across signals (EINTR) and, on a non-blocking socket, by
 * waiting in poll() instead of failing with EAGAIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "tern/tern.h"
#include "internal.h"

/* send(), or write() when @fd is no socket (a pipe, a file). */
static ssize_t send_some(int fd, const void *buf, size_t len)
{
	ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

	if (n < 0 && errno == ENOTSOCK)
		n = write(fd, buf, len);
	return n;
}

static ssize_t recv_some(int fd, void *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len, 0);

	if (n < 0 && errno == ENOTSOCK)
		n = read(fd, buf, len);
	return n;
}

/* After EINTR or EAGAIN: 0 to try again, -1 (errno set) to give up. */
static int retry(int fd, short events)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return tern__wait(fd, events, -1) < 0 ? -1 : 0;
}

TERN_EXPORT ssize_t tern_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;
	ssize_t n;

	if (!buf && len) {
		errno = EINVAL;
		return -1;
	}
	if (len > SSIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	while (done < len) {
		n = send_some(fd, p + done, len - done);
		if (n < 0) {
			if (retry(fd, POLLOUT))
				return -1;
			continue;
		}
		done += n;
	}
	return done;
}

TERN_EXPORT ssize_t tern_recv_exact(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;
	ssize_t n;

	if (!buf && len) {
		errno = EINVAL;
		return -1;
	}
	if (len > SSIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	while (done < len) {
		n = recv_some(fd, p + done, len - done);
		if (n < 0) {
			if (retry(fd, POLLIN))
				return -1;
			continue;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}
