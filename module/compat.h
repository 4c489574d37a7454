/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern: every difference between the kernels Tern builds against
 * (Debian's 6.1 and 6.12) lives here, behind explicit version checks.
 */
#ifndef _TERN_COMPAT_H
#define _TERN_COMPAT_H

#include <linux/version.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <linux/ipv6.h>
#include <net/gro.h>

#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

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

/* proto.accept took flags, err and kern until 6.10's proto_accept_arg. */
struct sock *tern_accept_sk(struct sock *sk, int flags, int *err);

#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
static inline struct sock *tern_accept(struct sock *sk,
				       struct proto_accept_arg *arg)
{
	return tern_accept_sk(sk, arg->flags, &arg->err);
}
#else
static inline struct sock *tern_accept(struct sock *sk, int flags, int *err,
				       bool kern)
{
	return tern_accept_sk(sk, flags, err);
}
#endif

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

/* Sysctl tables: sized since 6.6, sentinel-terminated before. */
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
#define TERN_SYSCTL_END
#define TERN_SYSCTL_COUNT(t)	ARRAY_SIZE(t)
#else
#define TERN_SYSCTL_END		{}
#define TERN_SYSCTL_COUNT(t)	(ARRAY_SIZE(t) - 1)
#endif

static inline struct ctl_table_header *
tern_register_net_sysctl(struct net *net, const char *path,
			 struct ctl_table *table, size_t n)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* A proc_handler's table is const since 6.11 (sysctl.c). */
int tern_proc_congestion(void *data, int write, void *buffer, size_t *lenp,
			 loff_t *ppos);
int tern_proc_available(int write, void *buffer, size_t *lenp, loff_t *ppos);

#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
static inline int tern_proc_cong(const struct ctl_table *ctl, int write,
				 void *buffer, size_t *lenp, loff_t *ppos)
{
	return tern_proc_congestion(ctl->data, write, buffer, lenp, ppos);
}

static inline int tern_proc_cong_avail(const struct ctl_table *ctl, int write,
				       void *buffer, size_t *lenp, loff_t *ppos)
{
	return tern_proc_available(write, buffer, lenp, ppos);
}
#else
static inline int tern_proc_cong(struct ctl_table *ctl, int write,
				 void *buffer, size_t *lenp, loff_t *ppos)
{
	return tern_proc_congestion(ctl->data, write, buffer, lenp, ppos);
}

static inline int tern_proc_cong_avail(struct ctl_table *ctl, int write,
				       void *buffer, size_t *lenp, loff_t *ppos)
{
	return tern_proc_available(write, buffer, lenp, ppos);
}
#endif

/* The IPv6 flow label list moved from ipv6_pinfo to inet_sock in 6.6. */
static inline void tern_clear_ipv6_fl_list(struct sock *sk,
					   struct ipv6_pinfo *np)
{
#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
	RCU_INIT_POINTER(inet_sk(sk)->ipv6_fl_list, NULL);
#else
	RCU_INIT_POINTER(np->ipv6_fl_list, NULL);
#endif
}

/*
 * The drop reason that means "consumed, not dropped" came in 6.3; before
 * it a value no real reason has stands for it. tern_free_skb() consumes
 * or drops accordingly.
 */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define TERN_SKB_CONSUMED	SKB_CONSUMED
#else
#define TERN_SKB_CONSUMED	SKB_DROP_REASON_MAX
#endif

static inline void tern_free_skb(struct sk_buff *skb,
				 enum skb_drop_reason reason)
{
	if (reason == TERN_SKB_CONSUMED)
		consume_skb(skb);
	else
		kfree_skb_reason(skb, reason);
}

/*
 * An orphan gives back its namespace reference and becomes, for the
 * namespace, like a kernel socket. Since 6.12.y those hold a passive
 * reference (the struct net's memory, not the namespace) that the socket's
 * free gives back; 6.1 has none.
 */
static inline void tern_sk_net_release(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (!sk->sk_net_refcnt)
		return;
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
	net_passive_inc(net);
#endif
	sk->sk_net_refcnt = 0;
	sock_inuse_add(net, -1);
	put_net_track(net, &sk->ns_tracker);
}

/* Where sk_memory_allocated_add() and friends live. */
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
#include <net/proto_memory.h>
#endif

/*
 * inet_diag pins a handler's module since 6.9 (.owner); before, the table
 * mutex kept it.
 */
struct inet_diag_handler;
#if KERNEL_VERSION(6, 9, 0) <= LINUX_VERSION_CODE
#include <linux/inet_diag.h>
static inline void tern_diag_set_owner(struct inet_diag_handler *h,
				       struct module *owner)
{
	h->owner = owner;
}
#else
static inline void tern_diag_set_owner(struct inet_diag_handler *h,
				       struct module *owner)
{
}
#endif

/*
 * An earliest departure time on the monotonic clock (EDT, pacing.c):
 * 6.11 turned the mono bool into a clock type.
 */
static inline void tern_skb_set_edt(struct sk_buff *skb, u64 ns)
{
#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
	skb_set_delivery_time(skb, ns, SKB_CLOCK_MONOTONIC);
#else
	skb_set_delivery_time(skb, ns, true);
#endif
}

/*
 * GRO's checks of the network headers of two packets of a flow (TTL,
 * TOS and traffic class, DF, the IP ID's progress): 6.10 moved them from
 * the IP layer, which left a verdict in the held packet's cb, to helpers
 * the transport calls (tcp_gro_receive() in each). Nonzero: do not merge.
 */
static inline int tern_gro_network_flush(const void *th, const void *th2,
					 struct sk_buff *p)
{
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
	return gro_receive_network_flush(th, th2, p);
#else
	int flush = NAPI_GRO_CB(p)->flush;

	/* the second packet tells a fixed ID from an incrementing one */
	if (NAPI_GRO_CB(p)->flush_id != 1 || NAPI_GRO_CB(p)->count != 1 ||
	    !NAPI_GRO_CB(p)->is_atomic)
		flush |= NAPI_GRO_CB(p)->flush_id;
	else
		NAPI_GRO_CB(p)->is_atomic = false;
	return flush;
#endif
}

/* A merged packet's network header at gro_complete (an offset since 6.10). */
static inline void *tern_gro_network_header(struct sk_buff *skb)
{
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
	return skb->data + NAPI_GRO_CB(skb)->network_offsets[skb->encapsulation];
#else
	return skb_network_header(skb);
#endif
}

#endif /* _TERN_COMPAT_H */
