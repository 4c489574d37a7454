/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern: every difference between the kernels Tern builds against
 * (Debian's 6.1 and 6.12) lives here, behind explicit version checks.
 */
#ifndef _TERN_COMPAT_H
#define _TERN_COMPAT_H

#include <linux/version.h>
#include <net/sock.h>

/*
 * Where struct proto finds the IPv6 socket data: 6.5 added
 * ipv6_pinfo_offset; before it the data had to be the object's last member
 * (struct tern6_sock keeps it last for both).
 */
static inline void tern_set_ipv6_pinfo_offset(struct proto *prot,
					      unsigned int offset)
{
#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
	prot->ipv6_pinfo_offset = offset;
#endif
}

/* proto.ioctl returns its value through int *karg since 6.5. */
int tern_ioctl_val(struct sock *sk, int cmd, int *karg);

#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
static inline int tern_ioctl(struct sock *sk, int cmd, int *karg)
{
	return tern_ioctl_val(sk, cmd, karg);
}
#else
static inline int tern_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	int karg, err = tern_ioctl_val(sk, cmd, &karg);

	return err ? : put_user(karg, (int __user *)arg);
}
#endif

#endif /* _TERN_COMPAT_H */
