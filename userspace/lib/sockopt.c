// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern: typed SOL_TERN options. Values pass through unchecked: the
 * module validates them and its errno (EINVAL for a value out of range)
 * is what the caller gets, exactly as from setsockopt(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "tern/tern.h"
#include "internal.h"

static int set_int(int fd, int name, int val)
{
	return setsockopt(fd, SOL_TERN, name, &val, sizeof(val));
}

static int get_int(int fd, int name, int *val)
{
	socklen_t len = sizeof(*val);

	if (!val) {
		errno = EINVAL;
		return -1;
	}
	return getsockopt(fd, SOL_TERN, name, val, &len);
}

TERN_EXPORT int tern_set_nodelay(int fd, int on)
{
	return set_int(fd, TERN_NODELAY, on);
}

TERN_EXPORT int tern_get_nodelay(int fd, int *val)
{
	return get_int(fd, TERN_NODELAY, val);
}

TERN_EXPORT int tern_set_maxseg(int fd, int bytes)
{
	return set_int(fd, TERN_MAXSEG, bytes);
}

TERN_EXPORT int tern_get_maxseg(int fd, int *val)
{
	return get_int(fd, TERN_MAXSEG, val);
}

TERN_EXPORT int tern_set_keepidle(int fd, int seconds)
{
	return set_int(fd, TERN_KEEPIDLE, seconds);
}

TERN_EXPORT int tern_get_keepidle(int fd, int *val)
{
	return get_int(fd, TERN_KEEPIDLE, val);
}

TERN_EXPORT int tern_set_keepintvl(int fd, int seconds)
{
	return set_int(fd, TERN_KEEPINTVL, seconds);
}

TERN_EXPORT int tern_get_keepintvl(int fd, int *val)
{
	return get_int(fd, TERN_KEEPINTVL, val);
}

TERN_EXPORT int tern_set_keepcnt(int fd, int count)
{
	return set_int(fd, TERN_KEEPCNT, count);
}

TERN_EXPORT int tern_get_keepcnt(int fd, int *val)
{
	return get_int(fd, TERN_KEEPCNT, val);
}

TERN_EXPORT int tern_set_syncnt(int fd, int count)
{
	return set_int(fd, TERN_SYNCNT, count);
}

TERN_EXPORT int tern_get_syncnt(int fd, int *val)
{
	return get_int(fd, TERN_SYNCNT, val);
}

TERN_EXPORT int tern_set_user_timeout(int fd, unsigned int ms)
{
	return setsockopt(fd, SOL_TERN, TERN_USER_TIMEOUT, &ms, sizeof(ms));
}

TERN_EXPORT int tern_get_user_timeout(int fd, unsigned int *val)
{
	socklen_t len = sizeof(*val);

	if (!val) {
		errno = EINVAL;
		return -1;
	}
	return getsockopt(fd, SOL_TERN, TERN_USER_TIMEOUT, val, &len);
}

/*
 * TERN_INFO is versioned by length, as TCP_INFO: a module older than this
 * header fills a prefix, so the rest is zeroed first and the length the
 * kernel wrote is returned.
 */
TERN_EXPORT int tern_get_info(int fd, struct tern_info *info)
{
	socklen_t len = sizeof(*info);

	if (!info) {
		errno = EINVAL;
		return -1;
	}
	memset(info, 0, sizeof(*info));
	if (getsockopt(fd, SOL_TERN, TERN_INFO, info, &len))
		return -1;
	return (int)len;
}

TERN_EXPORT int tern_set_congestion(int fd, const char *name)
{
	if (!name) {
		errno = EINVAL;
		return -1;
	}
	/* as for TCP_CONGESTION: the name's length, no NUL needed */
	return setsockopt(fd, SOL_TERN, TERN_CONGESTION, name, strlen(name));
}

TERN_EXPORT int tern_get_congestion(int fd, char *buf, size_t size)
{
	char name[TERN_CA_NAME_MAX + 1];
	socklen_t len = TERN_CA_NAME_MAX;
	size_t n;

	if (!buf || !size) {
		errno = EINVAL;
		return -1;
	}
	memset(name, 0, sizeof(name));
	if (getsockopt(fd, SOL_TERN, TERN_CONGESTION, name, &len) < 0)
		return -1;
	n = strlen(name);
	if (n >= size) {
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, name, n + 1);
	return 0;
}
