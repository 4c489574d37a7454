// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern: errors in Tern's words. socket(AF_INET, ..., 253) fails with
 * EPROTONOSUPPORT (or ESOCKTNOSUPPORT) when no module has registered
 * protocol 253, which strerror() can only call "Protocol not supported";
 * and a silent peer is most often a firewall dropping an unknown protocol.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "tern/tern.h"
#include "internal.h"

#define TERN_SYSFS_MODULES	"/sys/module"
#define TERN_SYSFS_MODULE	"/sys/module/tern"

static const struct {
	int err;
	const char *text;
} tern_errors[] = {
	{ EPROTONOSUPPORT, "Tern module not loaded (modprobe tern)" },
	{ ESOCKTNOSUPPORT, "Tern module not loaded (modprobe tern)" },
	{ EACCES, "Permission denied: blocked by policy (a security module or seccomp denies IP protocol 253)" },
	{ EPERM, "Operation not permitted: blocked by policy (a security module, seccomp or a firewall denies IP protocol 253)" },
	{ EAFNOSUPPORT, "Address family not supported (IPv6 disabled, or not AF_INET/AF_INET6)" },
	{ ECONNREFUSED, "Connection refused (no Tern listener there: the peer answered with a reset)" },
	{ ETIMEDOUT, "Connection timed out (no answer: is a firewall dropping IP protocol 253?)" },
	{ ENOENT, "Host or service not found" },
	{ EMSGSIZE, "Message too long (a SOCK_SEQPACKET message must fit the send buffer)" },
};

TERN_EXPORT const char *tern_strerror(int err)
{
	size_t i;

	if (err < 0)
		err = -err;	/* -errno, as the kernel and selftests use */
	for (i = 0; i < sizeof(tern_errors) / sizeof(tern_errors[0]); i++)
		if (tern_errors[i].err == err)
			return tern_errors[i].text;
	return strerror(err);
}

TERN_EXPORT int tern_available(void)
{
	struct stat st;

	if (stat(TERN_SYSFS_MODULES, &st))
		return -1;	/* no sysfs: cannot tell */
	if (!stat(TERN_SYSFS_MODULE, &st))
		return 1;
	if (errno == ENOENT)
		return 0;
	return -1;
}
