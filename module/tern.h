/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern: internal declarations shared by the module's files.
 */
#ifndef _TERN_H
#define _TERN_H

#include <linux/skbuff.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include <net/snmp.h>
#include <linux/tern.h>

#include "compat.h"

/* A Tern socket: TCP-like connection state on inet_connection_sock. */
struct tern_sock {
	struct inet_connection_sock icsk;	/* must be first */
	u32 mss_cache;		/* payload bytes per segment on this path */
};

/* IPv6 sockets add the IPv6 data, last (see compat.h). */
struct tern6_sock {
	struct tern_sock tsk;
	struct ipv6_pinfo inet6;
};

static inline struct tern_sock *tern_sk(const struct sock *sk)
{
	return (struct tern_sock *)sk;
}

static inline struct ternhdr *tern_hdr(const struct sk_buff *skb)
{
	return (struct ternhdr *)skb_transport_header(skb);
}

/* Counters, per network namespace: /proc/net/tern/snmp (proc.c). */
enum tern_mib_field {
	TERN_MIB_INSEGS,	/* valid segments received */
	TERN_MIB_INHDRERRORS,	/* truncated, bad offset, version, port */
	TERN_MIB_INCSUMERRORS,	/* checksum failed */
	TERN_MIB_INADDRERRORS,	/* not addressed to this host alone */
	TERN_MIB_INNOSOCKET,	/* valid, but no socket for it */
	TERN_MIB_MAX
};

struct tern_mib {
	unsigned long mibs[TERN_MIB_MAX];
};

/* Per network namespace state (net_generic). */
struct tern_net {
	struct tern_mib __percpu *mib;
	struct proc_dir_entry *proc_dir;
};

extern unsigned int tern_net_id;

static inline struct tern_net *tern_pernet(const struct net *net)
{
	return net_generic(net, tern_net_id);
}

#define TERN_INC_STATS(net, field) \
	SNMP_INC_STATS(tern_pernet(net)->mib, field)

/* socket.c */
extern struct proto tern_prot;
extern const struct proto_ops tern_inet_ops;
#if IS_ENABLED(CONFIG_IPV6)
extern struct proto tern6_prot;
extern const struct proto_ops tern_inet6_ops;
#endif

/* hash.c: bound ports */
void tern_hash_init(void);
int tern_get_port(struct sock *sk, unsigned short snum);
void tern_put_port(struct sock *sk);

/* input.c */
int tern_rcv(struct sk_buff *skb);

/* proc.c */
int tern_proc_net_init(struct net *net);
void tern_proc_net_exit(struct net *net);

#endif /* _TERN_H */
