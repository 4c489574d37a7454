// SPDX-License-Identifier: GPL-2.0
/*
 * Tern over IPv6: ICMPv6 errors, connect() (v4-mapped included), child
 * sockets of IPv6 listeners, and the IPv6 proto and proto_ops.
 */

#include <linux/icmpv6.h>
#include <net/inet6_connection_sock.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ndisc.h>
#include <net/transp_v6.h>

#include "tern.h"

#if IS_ENABLED(CONFIG_IPV6)

int tern_v6_err(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type,
		u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *hdr = (const struct ipv6hdr *)skb->data;
	struct net *net = dev_net(skb->dev);
	const struct ternhdr *th;
	bool mtu = type == ICMPV6_PKT_TOOBIG;
	struct sock *sk;
	u64 seq;
	int err;

	/* the quote must reach the sequence number (16 bytes) */
	if (!pskb_may_pull(skb, offset + TERN_ICMP_QUOTE))
		return -EINVAL;
	hdr = (const struct ipv6hdr *)skb->data;
	th = (const struct ternhdr *)(skb->data + offset);
	sk = tern_lookup_v6(net, &hdr->daddr, th->dest, &hdr->saddr,
			    th->source, inet6_iif(skb));
	if (!sk)
		return -ENOENT;
	TERN_INC_STATS(net, TERN_MIB_ICMPERRORS);
	if (sk->sk_state == TCP_TIME_WAIT) {
		tern_sk_put(sk);	/* nothing in flight to hear about */
		return 0;
	}
	seq = get_unaligned_be64(&th->seq);
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		/* as tcp_v6_err(): a fatal error ends a handshake */
		tern_req_err(sk, seq, icmpv6_err_convert(type, code, &err));
		tern_sk_put(sk);
		return 0;
	}
	bh_lock_sock(sk);
	if (sk->sk_state == TCP_LISTEN || !tern_icmp_seq_ok(sk, seq))
		goto out;
	if (type == NDISC_REDIRECT) {
		/* a better first hop: no error, the route learns it */
		if (!sock_owned_by_user(sk)) {
			struct dst_entry *dst;

			dst = __sk_dst_check(sk, inet6_sk(sk)->dst_cookie);
			if (dst)
				dst->ops->redirect(dst, sk, skb);
		}
		goto out;
	}
	icmpv6_err_convert(type, code, &err);
	if (err || mtu)
		tern_err(sk, err, mtu, ntohl(info));
out:
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}

static const struct inet_connection_sock_af_ops tern_ipv6_af_ops = {
	.queue_xmit	= inet6_csk_xmit,
	.rebuild_header	= inet6_sk_rebuild_header,
	.setsockopt	= ipv6_setsockopt,
	.getsockopt	= ipv6_getsockopt,
	.net_header_len	= sizeof(struct ipv6hdr),
	.sockaddr_len	= sizeof(struct sockaddr_in6),
};

/* An IPv6 socket talking to an IPv4 peer through a v4-mapped address. */
static const struct inet_connection_sock_af_ops tern_ipv6_mapped_af_ops = {
	.queue_xmit	= ip_queue_xmit,
	.rebuild_header	= inet_sk_rebuild_header,
	.setsockopt	= ipv6_setsockopt,
	.getsockopt	= ipv6_getsockopt,
	.net_header_len	= sizeof(struct iphdr),
	.sockaddr_len	= sizeof(struct sockaddr_in6),
};

void tern_v6_mapped_ops(struct sock *sk)
{
	inet_csk(sk)->icsk_af_ops = &tern_ipv6_mapped_af_ops;
	inet_csk(sk)->icsk_sync_mss = tern_sync_mss;
}

/*
 * A child of an IPv6 listener: its own IPv6 data, nothing shared (the
 * listener's options, multicast, anycast and flow label lists are its
 * own: a child freeing them would free them for all).
 */
void tern_v6_init_child(struct sock *sk, const struct sock *listener)
{
	struct tern6_sock *t6 = (struct tern6_sock *)sk;
	struct ipv6_pinfo *np = &t6->inet6;

	inet_sk(sk)->pinet6 = np;
	memcpy(np, inet6_sk(listener), sizeof(*np));
	np->ipv6_mc_list = NULL;
	np->ipv6_ac_list = NULL;
	tern_clear_ipv6_fl_list(sk, np);
	np->pktoptions = NULL;
	RCU_INIT_POINTER(np->opt, NULL);
	inet_csk(sk)->icsk_ext_hdr_len = 0;
}

/* The route of an IPv6 child, and its addresses from the request. */
struct dst_entry *tern_v6_route_child(struct sock *sk,
				      const struct sock *listener,
				      struct request_sock *req,
				      struct flowi *fl)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct dst_entry *dst;

	sk->sk_v6_daddr = ireq->ir_v6_rmt_addr;
	sk->sk_v6_rcv_saddr = ireq->ir_v6_loc_addr;
	inet6_sk(sk)->saddr = ireq->ir_v6_loc_addr;
	sk->sk_bound_dev_if = ireq->ir_iif;
	dst = inet6_csk_route_req(listener, &fl->u.ip6, req, IPPROTO_TERN);
	if (dst)
		ip6_dst_store(sk, dst, NULL, NULL);
	return dst;
}

static int tern_v6_connect(struct sock *sk, struct sockaddr *uaddr,
			   int addr_len)
{
	struct sockaddr_in6 *usin = (struct sockaddr_in6 *)uaddr;
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct ipv6_pinfo *np = inet6_sk(sk);
	struct in6_addr *saddr = NULL, *final_p, final;
	struct ipv6_txoptions *opt;
	struct dst_entry *dst;
	struct flowi6 fl6;
	int addr_type, err;

	if (addr_len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (usin->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (ipv6_addr_any(&usin->sin6_addr)) {
		if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
			ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK),
					       &usin->sin6_addr);
		else
			usin->sin6_addr = in6addr_loopback;
	}
	addr_type = ipv6_addr_type(&usin->sin6_addr);
	if (addr_type & IPV6_ADDR_MULTICAST)
		return -ENETUNREACH;
	if (addr_type & IPV6_ADDR_LINKLOCAL) {
		if (addr_len >= sizeof(struct sockaddr_in6) &&
		    usin->sin6_scope_id) {
			if (!sk_dev_equal_l3scope(sk, usin->sin6_scope_id))
				return -EINVAL;
			WRITE_ONCE(sk->sk_bound_dev_if, usin->sin6_scope_id);
		}
		if (!sk->sk_bound_dev_if)
			return -EINVAL;
	}
	if (addr_type & IPV6_ADDR_MAPPED) {
		if (ipv6_only_sock(sk))
			return -ENETUNREACH;
		tern_v6_mapped_ops(sk);
		err = tern_v4_connect_addr(sk, usin->sin6_addr.s6_addr32[3],
					   usin->sin6_port);
		if (err)
			icsk->icsk_af_ops = &tern_ipv6_af_ops;
		return err;
	}
	if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
		return -EAFNOSUPPORT;	/* bound to IPv4, connecting to IPv6 */
	if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		saddr = &sk->sk_v6_rcv_saddr;

	memset(&fl6, 0, sizeof(fl6));
	fl6.flowi6_proto = IPPROTO_TERN;
	fl6.daddr = usin->sin6_addr;
	fl6.saddr = saddr ? *saddr : np->saddr;
	fl6.flowi6_oif = sk->sk_bound_dev_if;
	fl6.flowi6_mark = sk->sk_mark;
	fl6.fl6_dport = usin->sin6_port;
	fl6.fl6_sport = inet->inet_sport;
	fl6.flowi6_uid = sk->sk_uid;
	opt = rcu_dereference_protected(np->opt, lockdep_sock_is_held(sk));
	final_p = fl6_update_dst(&fl6, opt, &final);
	security_sk_classify_flow(sk, flowi6_to_flowi_common(&fl6));
	dst = ip6_dst_lookup_flow(sock_net(sk), sk, &fl6, final_p);
	if (IS_ERR(dst))
		return PTR_ERR(dst);

	sk->sk_v6_daddr = usin->sin6_addr;
	if (!saddr) {
		saddr = &fl6.saddr;
		sk->sk_v6_rcv_saddr = *saddr;
	}
	np->saddr = *saddr;
	inet->inet_rcv_saddr = LOOPBACK4_IPV6;
	ip6_dst_store(sk, dst, NULL, NULL);
	icsk->icsk_ext_hdr_len = opt ? opt->opt_flen + opt->opt_nflen : 0;
	inet->inet_dport = usin->sin6_port;
	tern_set_state(sk, TCP_SYN_SENT);
	err = tern_connect_port(sk);
	if (err)
		goto failure;
	tern_sk(sk)->write_seq = tern_isn_v6(&np->saddr, &sk->sk_v6_daddr,
					     inet->inet_sport,
					     inet->inet_dport);
	err = tern_connect_start(sk);
	if (err)
		goto failure;
	return 0;

failure:
	tern_set_state(sk, TCP_CLOSE);
	inet->inet_dport = 0;
	sk->sk_route_caps = 0;
	return err;
}

static int tern_v6_init_sock(struct sock *sk)
{
	inet_csk(sk)->icsk_af_ops = &tern_ipv6_af_ops;
	tern_init_common(sk);
	return 0;
}

/*
 * The IPv6 proto is the IPv4 one but for what depends on the family; it is
 * built from it before either is registered.
 */
struct proto tern6_prot;

void tern6_prot_build(void)
{
	tern6_prot = tern_prot;
	strscpy(tern6_prot.name, "TERNv6", sizeof(tern6_prot.name));
	tern6_prot.connect = tern_v6_connect;
	tern6_prot.init = tern_v6_init_sock;
	tern6_prot.obj_size = sizeof(struct tern6_sock);
	tern6_prot.rsk_prot = &tern6_request_sock_ops;
	tern_set_ipv6_pinfo_offset(&tern6_prot,
				   offsetof(struct tern6_sock, inet6));
}

const struct proto_ops tern_inet6_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet6_getname,
	.poll		= tern_poll,
	.ioctl		= inet6_ioctl,
	.listen		= tern_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
	.set_rcvlowat	= tern_set_rcvlowat,
};
#endif
