/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern: every difference between the kernels Tern builds against
 * (Debian's 6.1 and 6.12) lives here, behind explicit version checks.
 */
#ifndef _TERN_COMPAT_H
#define _TERN_COMPAT_H

#include <linux/version.h>

/*
 * Where struct proto finds the IPv6 socket data: 6.5 added
 * ipv6_pinfo_offset; before it the data had to be the object's last member
 * (struct tern6_sock keeps it last for both).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define TERN_PROTO_IPV6_PINFO_OFFSET(type, member) \
	.ipv6_pinfo_offset = offsetof(type, member),
#else
#define TERN_PROTO_IPV6_PINFO_OFFSET(type, member)
#endif

#endif /* _TERN_COMPAT_H */
