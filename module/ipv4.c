// SPDX-License-Identifier: GPL-2.0
/*
 * Tern over IPv4, and the receive entry both families share.
 *
 * Every segment is validated before anything looks at it: length, data
 * offset, version, ports and the checksum over the pseudo-header. Whatever
 * fails is counted in /proc/net/tern/snmp and dropped. A valid segment goes
 * to its connection under the socket's spinlock, or to the socket's
 * backlog while the owner holds it (TCP's scheme); to a listener or a
 * handshake in progress (a request) without any socket lock, as TCP's
 * lockless listener; with no socket it is answered with a reset. ICMP
 * errors, connect() and the IPv4 proto and proto_ops live here too, as in
 * tcp_ipv4.c.
 */

#include <linux/icmp.h>
#include <linux/filter.h>
#include <net/icmp.h>
#include <net/ip6_route.h>
#include <net/inet6_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/xfrm.h>

#include "tern.h"
#include "trace.h"

/* Length, offset, version, ports; the header is linear afterwards. */
static bool tern_header_ok(struct sk_buff *skb)
{
	const struct ternhdr *th;
	unsigned int hlen;

	if (!pskb_may_pull(skb, sizeof(struct ternhdr)))
		return false;
	th = tern_hdr(skb);
	hlen = th->doff * 4;
	if (hlen < sizeof(struct ternhdr) || hlen > skb->len)
		return false;
	if (th->version != TERN_VERSION || !th->source || !th->dest)
		return false;
	if (!pskb_may_pull(skb, hlen))
		return false;
	return true;
}

/* Checksum over the pseudo-header of the segment's IP version. */
static bool tern_csum_bad(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (skb->protocol == htons(ETH_P_IPV6))
		return skb_checksum_init(skb, IPPROTO_TERN, ip6_compute_pseudo) ||
		       skb_checksum_complete(skb);
#endif
	return skb_checksum_init(skb, IPPROTO_TERN, inet_compute_pseudo) ||
	       skb_checksum_complete(skb);
}

/* proto.backlog_rcv, and the direct path: the socket is ours. */
int tern_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	int ret;

	switch (sk->sk_state) {
	case TCP_LISTEN:
		/*
		 * From the backlog this runs with BHs on, but a child's
		 * spinlock is taken in softirq too: keep them off (lockdep).
		 */
		local_bh_disable();
		ret = tern_listen_rcv(sk, skb);
		local_bh_enable();
		if (ret == -EAGAIN)	/* no lookup again from here */
			kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
		return 0;
	case TCP_SYN_SENT:
		return tern_synsent_rcv(sk, skb);
	case TCP_SYN_RECV:
		return tern_synrecv_rcv(sk, skb);
	case TCP_CLOSE:
		/*
		 * Closed while the segment waited in the backlog (it went to
		 * TIME_WAIT, whose structure now answers for the four-tuple,
		 * or it was reset): discarded, as tcp_rcv_state_process()
		 * does. A reset here would tell the peer of a connection that
		 * ended well that it did not.
		 */
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_CLOSE);
		return 0;
	default:
		return tern_conn_rcv(sk, skb);
	}
}

/*
 * Only segments addressed to this host alone (uapi/PROTOCOL.md): not a
 * frame for another host, nor an IP broadcast or multicast destination
 * carried in a unicast frame.
 */
static bool tern_unicast_dst(const struct sk_buff *skb)
{
	if (skb->pkt_type != PACKET_HOST)
		return false;
#if IS_ENABLED(CONFIG_IPV6)
	if (skb->protocol == htons(ETH_P_IPV6))
		return ipv6_unicast_destination(skb);
#endif
	return !(skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST));
}

/* Is the segment fit to look at? Counts and names what is not. */
static enum skb_drop_reason tern_validate(struct net *net, struct sk_buff *skb)
{
	if (!tern_unicast_dst(skb)) {
		TERN_INC_STATS(net, TERN_MIB_INADDRERRORS);
		return SKB_DROP_REASON_OTHERHOST;
	}
	if (!tern_header_ok(skb)) {
		TERN_INC_STATS(net, TERN_MIB_INHDRERRORS);
		return SKB_DROP_REASON_PKT_TOO_SMALL;
	}
	if (tern_csum_bad(skb)) {
		trace_tern_bad_csum(skb);
		TERN_INC_STATS(net, TERN_MIB_INCSUMERRORS);
		return SKB_DROP_REASON_TCP_CSUM;
	}
	TERN_ADD_STATS(net, TERN_MIB_INSEGS, tern_skb_segs(skb));
	return SKB_NOT_DROPPED_YET;
}

static void tern_fill_cb(struct sk_buff *skb, int iif)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	cb->seq = be64_to_cpu(th->seq);
	cb->end_seq = cb->seq + tern_payload_len(skb) +
		      !!(th->flags & TERN_FLAG_SYN) +
		      !!(th->flags & TERN_FLAG_FIN);
	cb->sent_us = 0;
	cb->flags = th->flags;
	cb->sacked = 0;
	cb->ip_ecn = tern_ecn_field(skb);
	cb->iif = iif;
}

static bool tern_policy_ok(struct sock *sk, struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (skb->protocol == htons(ETH_P_IPV6))
		return xfrm6_policy_check(sk, XFRM_POLICY_IN, skb);
#endif
	return xfrm4_policy_check(sk, XFRM_POLICY_IN, skb);
}

/* The connection, else the listener, for a segment (held); its iif. */
static struct sock *tern_lookup_skb(struct net *net, struct sk_buff *skb,
				    int *iif)
{
	const struct ternhdr *th = tern_hdr(skb);

#if IS_ENABLED(CONFIG_IPV6)
	if (skb->protocol == htons(ETH_P_IPV6)) {
		*iif = inet6_iif(skb);
		return tern_lookup_v6(net, &ipv6_hdr(skb)->saddr, th->source,
				      &ipv6_hdr(skb)->daddr, th->dest, *iif);
	}
#endif
	*iif = inet_iif(skb);
	return tern_lookup_v4(net, ip_hdr(skb)->saddr, th->source,
			      ip_hdr(skb)->daddr, th->dest, *iif);
}

/*
 * A segment for a TIME_WAIT: no socket to lock, no socket policy or
 * filter to apply (tcp_v4_rcv's do_time_wait).
 */
static int tern_rcv_tw(struct sock *sk, struct sk_buff *skb, int iif)
{
	if (!tern_policy_ok(NULL, skb)) {
		tern_sk_put(sk);
		kfree_skb_reason(skb, SKB_DROP_REASON_XFRM_POLICY);
		return 0;
	}
	tern_fill_cb(skb, iif);
	tern_tw_rcv(sk, skb);
	tern_sk_put(sk);
	return 0;
}

/*
 * A segment for a handshake in progress: the listener's policy and
 * filter, then the request, with no socket lock (tcp_v4_rcv()'s
 * TCP_NEW_SYN_RECV case). -EAGAIN, the skb untouched (its IP control
 * block back in place): another CPU made the connection meanwhile, look
 * again.
 */
static int tern_rcv_req(struct net *net, struct sock *sk, struct sk_buff *skb,
			int iif)
{
	struct sock *listener = inet_reqsk(sk)->rsk_listener;
	char ipcb[sizeof(skb->cb)];
	enum skb_drop_reason reason;
	int err;

	if (!tern_policy_ok(listener, skb)) {
		reason = SKB_DROP_REASON_XFRM_POLICY;
		goto drop;
	}
	if (sk_filter_trim_cap(listener, skb, tern_hdr(skb)->doff * 4)) {
		TERN_INC_STATS(net, TERN_MIB_FILTERDROPS);
		reason = SKB_DROP_REASON_SOCKET_FILTER;
		goto drop;
	}
	memcpy(ipcb, skb->cb, sizeof(ipcb));
	tern_fill_cb(skb, iif);
	nf_reset_ct(skb);
	err = tern_req_rcv(sk, skb);
	if (err == -EAGAIN)
		memcpy(skb->cb, ipcb, sizeof(ipcb));
	tern_sk_put(sk);
	return err;

drop:
	tern_sk_put(sk);
	kfree_skb_reason(skb, reason);
	return 0;
}

/*
 * A segment for a listener, which is not locked (TCP's lockless
 * listener): SYNs never wait in its backlog while accept() holds it, and
 * what tern_listen_rcv() touches has locks of its own. Puts the
 * listener. -EAGAIN as tern_rcv_req().
 */
static int tern_rcv_listener(struct sock *sk, struct sk_buff *skb, int iif)
{
	char ipcb[sizeof(skb->cb)];
	int err;

	memcpy(ipcb, skb->cb, sizeof(ipcb));
	tern_fill_cb(skb, iif);
	nf_reset_ct(skb);
	err = tern_listen_rcv(sk, skb);
	if (err == -EAGAIN)
		memcpy(skb->cb, ipcb, sizeof(ipcb));
	sock_put(sk);
	return err;
}

/*
 * IP protocol handler for IPv4 and IPv6. The IPsec policy check reads
 * the IP control block, so it comes before tern_fill_cb() overwrites it;
 * the socket filter may trim the segment, so it comes before too (the
 * order of tcp_v4_rcv()).
 */
int tern_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	enum skb_drop_reason reason;
	bool again = true;
	struct sock *sk;
	int iif;

	reason = tern_validate(net, skb);
	if (reason)
		goto drop;
lookup:
	sk = tern_lookup_skb(net, skb, &iif);
	if (sk && sk->sk_state == TCP_NEW_SYN_RECV) {
		if (unlikely(tern_req_stale(sk))) {
			tern_sk_put(sk);
			goto lookup;
		}
		if (tern_rcv_req(net, sk, skb, iif) != -EAGAIN)
			return 0;
		goto stolen;
	}
	if (sk && sk->sk_state == TCP_TIME_WAIT && tern_tw_recycle(sk, skb)) {
		tern_sk_put(sk);
		goto lookup;	/* the listener's now, or a request's */
	}
	if (sk && sk->sk_state == TCP_TIME_WAIT)
		return tern_rcv_tw(sk, skb, iif);
	/* the protocol is registered without policy: IPsec checks here */
	if (!tern_policy_ok(sk, skb)) {
		reason = SKB_DROP_REASON_XFRM_POLICY;
		goto put;
	}
	if (!sk) {
		TERN_INC_STATS(net, TERN_MIB_INNOSOCKET);
		tern_fill_cb(skb, iif);
		tern_send_reset_reply(net, skb);
		reason = SKB_DROP_REASON_NO_SOCKET;
		goto drop;
	}
	if (sk_filter_trim_cap(sk, skb, tern_hdr(skb)->doff * 4)) {
		TERN_INC_STATS(net, TERN_MIB_FILTERDROPS);
		reason = SKB_DROP_REASON_SOCKET_FILTER;
		goto put;
	}
	if (sk->sk_state == TCP_LISTEN) {
		if (tern_rcv_listener(sk, skb, iif) != -EAGAIN)
			return 0;
		goto stolen;
	}
	tern_fill_cb(skb, iif);
	nf_reset_ct(skb);
	bh_lock_sock_nested(sk);
	tern_segs_in(tern_sk(sk), skb);
	if (!sock_owned_by_user(sk)) {
		tern_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, 2 * READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf) + 65536)) {
		TERN_INC_STATS(net, TERN_MIB_BACKLOGDROPS);
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_BACKLOG);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;

put:
	if (sk)
		tern_sk_put(sk);
drop:
	kfree_skb_reason(skb, reason);
	return 0;

stolen:
	/*
	 * Another segment of the same handshake, on another CPU, made the
	 * connection since our lookup: it is in the table now, take the
	 * segment there. Once: should the table change again, drop.
	 */
	reason = SKB_DROP_REASON_NO_SOCKET;
	if (!again)
		goto drop;
	again = false;
	goto lookup;
}

/* The path MTU fell: segment smaller from now on, resend what was lost. */
void tern_mtu_reduced(struct sock *sk, u32 mtu)
{
	struct dst_entry *dst;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	if (inet_csk(sk)->icsk_af_ops->net_header_len == sizeof(struct iphdr))
		dst = inet_csk_update_pmtu(sk, mtu);
#if IS_ENABLED(CONFIG_IPV6)
	else
		dst = inet6_csk_update_pmtu(sk, mtu);
#endif
	if (!dst)
		return;
	if (inet_csk(sk)->icsk_pmtu_cookie > dst_mtu(dst)) {
		tern_sync_mss(sk, dst_mtu(dst));
		tern_mark_all_lost(sk, false);
		tern_retransmit_lost(sk);
	}
}

/*
 * Does an ICMP error quote a segment we sent and that is not yet
 * acknowledged (RFC 5927 4.1, as tcp_v4_err)? Blind errors are ignored.
 */
bool tern_icmp_seq_ok(const struct sock *sk, u64 seq)
{
	const struct tern_sock *tsk = tern_sk(sk);

	if (!tern_before(seq, tsk->snd_una) && !tern_after(seq, tsk->snd_nxt))
		return true;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_OUTOFWINDOWICMPS);
	return false;
}

void tern_err(struct sock *sk, int err, bool mtu, u32 info)
{
	if (sock_owned_by_user(sk)) {
		/* as TCP: the MTU waits for release_sock(), errors are soft */
		if (!mtu) {
			WRITE_ONCE(sk->sk_err_soft, err);
		} else {
			WRITE_ONCE(tern_sk(sk)->mtu_info, info);
			if (!test_and_set_bit(TERN_MTU_DEFERRED,
					      &tern_sk(sk)->deferred))
				sock_hold(sk);
		}
		return;
	}
	if (mtu) {
		tern_mtu_reduced(sk, info);
		return;
	}
	if (sk->sk_state == TCP_SYN_SENT) {
		/* a hard error while connecting ends the attempt */
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
		TERN_INC_STATS(sock_net(sk), TERN_MIB_ATTEMPTFAILS);
		tern_done(sk);
		return;
	}
	WRITE_ONCE(sk->sk_err_soft, err);
}

int tern_v4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct net *net = dev_net(skb->dev);
	const int type = icmp_hdr(skb)->type;
	const int code = icmp_hdr(skb)->code;
	const struct ternhdr *th;
	bool mtu = false;
	struct sock *sk;
	u64 seq;
	int err;

	/* the quote must reach the sequence number (16 bytes) */
	if (!pskb_may_pull(skb, iph->ihl * 4 + TERN_ICMP_QUOTE))
		return -EINVAL;
	iph = (const struct iphdr *)skb->data;
	th = (const struct ternhdr *)(skb->data + iph->ihl * 4);
	sk = tern_lookup_v4(net, iph->daddr, th->dest, iph->saddr, th->source,
			    inet_iif(skb));
	if (!sk)
		return -ENOENT;
	TERN_INC_STATS(net, TERN_MIB_ICMPERRORS);
	if (sk->sk_state == TCP_TIME_WAIT) {
		tern_sk_put(sk);	/* nothing in flight to hear about */
		return 0;
	}
	seq = get_unaligned_be64(&th->seq);
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		/* the fatal errors of tcp_v4_err() end a handshake */
		tern_req_err(sk, seq, type == ICMP_PARAMETERPROB ||
			     type == ICMP_TIME_EXCEEDED ||
			     (type == ICMP_DEST_UNREACH &&
			      (code == ICMP_NET_UNREACH ||
			       code == ICMP_HOST_UNREACH)));
		tern_sk_put(sk);
		return 0;
	}
	if (type == ICMP_REDIRECT) {
		bh_lock_sock(sk);
		if (!sock_owned_by_user(sk) && sk->sk_state != TCP_LISTEN &&
		    tern_icmp_seq_ok(sk, seq)) {
			struct dst_entry *dst = __sk_dst_check(sk, 0);

			if (dst)
				dst->ops->redirect(dst, sk, skb);
		}
		bh_unlock_sock(sk);
		sock_put(sk);
		return 0;
	}
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH) {
			err = 0;
			break;
		}
		if (code == ICMP_FRAG_NEEDED) {
			mtu = true;
			err = EMSGSIZE;
			break;
		}
		err = icmp_err_convert[code].errno;
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		break;
	default:
		err = 0;
	}
	if (err && sk->sk_state != TCP_LISTEN) {
		bh_lock_sock(sk);
		if (tern_icmp_seq_ok(sk, seq))
			tern_err(sk, err, mtu, info);
		bh_unlock_sock(sk);
	}
	sock_put(sk);
	return 0;
}

static const struct inet_connection_sock_af_ops tern_ipv4_af_ops = {
	.queue_xmit	= ip_queue_xmit,
	.rebuild_header	= inet_sk_rebuild_header,
	.setsockopt	= ip_setsockopt,
	.getsockopt	= ip_getsockopt,
	.net_header_len	= sizeof(struct iphdr),
	.sockaddr_len	= sizeof(struct sockaddr_in),
};

int tern_v4_init_sock(struct sock *sk)
{
	inet_csk(sk)->icsk_af_ops = &tern_ipv4_af_ops;
	tern_init_common(sk);
	return 0;
}

/* IPv4 (and v4-mapped IPv6) connect; the socket is locked. */
int tern_v4_connect_addr(struct sock *sk, __be32 daddr, __be16 dport)
{
	struct inet_sock *inet = inet_sk(sk);
	__be16 orig_sport = inet->inet_sport;
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	struct rtable *rt;
	int err;

	rt = ip_route_connect(fl4, daddr, inet->inet_saddr,
			      sk->sk_bound_dev_if, IPPROTO_TERN, orig_sport,
			      dport, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	if (!inet->inet_saddr)
		inet->inet_saddr = fl4->saddr;
	sk_rcv_saddr_set(sk, inet->inet_saddr);
	inet->inet_dport = dport;
	sk_daddr_set(sk, daddr);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		ipv6_addr_set_v4mapped(daddr, &sk->sk_v6_daddr);
		ipv6_addr_set_v4mapped(inet->inet_saddr, &sk->sk_v6_rcv_saddr);
		inet6_sk(sk)->saddr = sk->sk_v6_rcv_saddr;
	}
#endif
	inet_csk(sk)->icsk_ext_hdr_len = 0;
	tern_set_state(sk, TCP_SYN_SENT);
	err = tern_connect_port(sk);
	if (err)
		goto failure;
	rt = ip_route_newports(fl4, rt, orig_sport, dport, inet->inet_sport,
			       inet->inet_dport, sk);
	if (IS_ERR(rt)) {
		err = PTR_ERR(rt);
		rt = NULL;
		goto failure;
	}
	sk_setup_caps(sk, &rt->dst);
	rt = NULL;
	tern_sk(sk)->write_seq = tern_isn_v4(inet->inet_saddr, daddr,
					     inet->inet_sport, dport);
	atomic_set(&inet->inet_id, get_random_u16());
	err = tern_connect_start(sk);
	if (err)
		goto failure;
	return 0;

failure:
	tern_set_state(sk, TCP_CLOSE);
	ip_rt_put(rt);
	sk->sk_route_caps = 0;
	inet->inet_dport = 0;
	return err;
}

int tern_v4_connect(struct sock *sk, struct sockaddr *uaddr,
		    int addr_len)
{
	struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;

	if (addr_len < sizeof(struct sockaddr_in))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	return tern_v4_connect_addr(sk, usin->sin_addr.s_addr, usin->sin_port);
}
