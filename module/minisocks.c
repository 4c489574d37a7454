// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the listener's side of a connection: handshake cookies, child
 * creation (TIME_WAIT is timewait.c).
 */

#include <linux/security.h>
#include <net/inet6_hashtables.h>
#include <net/inet_connection_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/transp_v6.h>

#include "tern.h"

static void tern_req_destructor(struct request_sock *req)
{
}

/* Requests carry no options or saved SYN of their own yet. */
struct request_sock_ops tern_request_sock_ops = {
	.family		= PF_INET,
	.obj_size	= sizeof(struct inet_request_sock),
	.destructor	= tern_req_destructor,
};

#if IS_ENABLED(CONFIG_IPV6)
struct request_sock_ops tern6_request_sock_ops = {
	.family		= PF_INET6,
	.obj_size	= sizeof(struct inet_request_sock),
	.destructor	= tern_req_destructor,
};
#endif

/*
 * What a child is cloned from: the handshake as inet_csk_clone_lock(), the
 * route lookup and the LSM hooks read it (addresses, ports, interface,
 * mark, the security label). With no request queue, it lives only while
 * the child is made.
 */
static struct request_sock *tern_child_req(struct sock *listener,
					   struct sk_buff *skb)
{
	struct inet_request_sock *ireq;
	struct request_sock *req;

	req = inet_reqsk_alloc(listener->sk_prot->rsk_prot, listener, false);
	if (!req)
		return NULL;
	ireq = inet_rsk(req);
	ireq->ir_rmt_port = tern_hdr(skb)->source;
	ireq->ir_num = inet_sk(listener)->inet_num;
	ireq->ir_iif = READ_ONCE(listener->sk_bound_dev_if);
	ireq->ir_mark = inet_request_mark(listener, skb);
	if (skb->protocol == htons(ETH_P_IP)) {
		ireq->ir_loc_addr = ip_hdr(skb)->daddr;
		ireq->ir_rmt_addr = ip_hdr(skb)->saddr;
#if IS_ENABLED(CONFIG_IPV6)
	} else {
		ireq->ir_v6_loc_addr = ipv6_hdr(skb)->daddr;
		ireq->ir_v6_rmt_addr = ipv6_hdr(skb)->saddr;
		/* a link-local peer is reached where it was heard */
		if (!ireq->ir_iif &&
		    ipv6_addr_type(&ireq->ir_v6_rmt_addr) & IPV6_ADDR_LINKLOCAL)
			ireq->ir_iif = TERN_SKB_CB(skb)->iif;
#endif
	}
	if (security_inet_conn_request(listener, skb, req)) {
		reqsk_free(req);
		return NULL;
	}
	return req;
}

/* An IPv6 listener's child talking IPv4 sees its addresses v4-mapped. */
static void tern_child_v4mapped(struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family != AF_INET6)
		return;
	ipv6_addr_set_v4mapped(inet_sk(sk)->inet_daddr, &sk->sk_v6_daddr);
	ipv6_addr_set_v4mapped(inet_sk(sk)->inet_saddr, &sk->sk_v6_rcv_saddr);
	inet6_sk(sk)->saddr = sk->sk_v6_rcv_saddr;
#endif
}

/*
 * The child's addresses and route, and from the route its MSS; never
 * from skb->dev, of which the listener's backlog holds no reference.
 */
static int tern_child_route(struct sock *sk, const struct sock *listener,
			    struct request_sock *req, bool v4)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst;
	struct flowi fl;

	rcu_read_lock();
	if (v4) {
		inet->inet_daddr = ireq->ir_rmt_addr;
		inet->inet_rcv_saddr = ireq->ir_loc_addr;
		inet->inet_saddr = ireq->ir_loc_addr;
		tern_child_v4mapped(sk);
		dst = inet_csk_route_child_sock(listener, sk, req);
		if (dst)
			sk_setup_caps(sk, dst);
#if IS_ENABLED(CONFIG_IPV6)
	} else {
		inet->inet_daddr = LOOPBACK4_IPV6;
		inet->inet_rcv_saddr = LOOPBACK4_IPV6;
		inet->inet_saddr = LOOPBACK4_IPV6;
		dst = tern_v6_route_child(sk, listener, req, &fl);
#endif
	}
	rcu_read_unlock();
	if (!dst)
		return -EHOSTUNREACH;
	tern_sync_mss(sk, dst_mtu(dst));
	return 0;
}

/* The child's sequence space and window, from the handshake. */
static void tern_child_seq(struct sock *sk, const struct sk_buff *skb,
			   u64 cookie, u16 mss)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_sock *tsk = tern_sk(sk);

	WRITE_ONCE(tsk->snd_una, cookie + 1);
	WRITE_ONCE(tsk->snd_nxt, cookie + 1);
	WRITE_ONCE(tsk->write_seq, cookie + 1);
	WRITE_ONCE(tsk->rcv_nxt, cb->seq);
	WRITE_ONCE(tsk->copied_seq, cb->seq);
	WRITE_ONCE(tsk->rcv_eor, cb->seq);
	tsk->rcv_wup = cb->seq;
	tsk->snd_wnd = ntohl(tern_hdr(skb)->window);
	tsk->max_window = tsk->snd_wnd;
	tsk->snd_wl1 = cb->seq;
	tsk->snd_wl2 = tsk->snd_una;
	tsk->peer_mss = mss;
	tsk->rcv_tstamp = get_jiffies_64();
}

/*
 * A connection for a valid handshake, ready for accept(). The clone
 * shares nothing the listener owns: IP options and multicast lists stay
 * the listener's (a child freeing them freed them for every sibling).
 * inet_csk_clone_lock() leaves it in SYN_RECV from the start: a clone
 * still in the listener's TCP_LISTEN, on the port's chain before its
 * state changed, was taken for a listener by a lookup on another CPU and
 * freed under it when the four-tuple turned out to be taken (a SYN
 * flood during handshakes: use-after-free in tern_send_synack_reply).
 */
static struct sock *tern_create_child(struct sock *listener,
				      struct sk_buff *skb, u64 cookie, u16 mss)
{
	bool v4 = skb->protocol == htons(ETH_P_IP);
	struct request_sock *req;
	struct sock *sk;

	req = tern_child_req(listener, skb);
	if (!req)
		return NULL;
	sk = inet_csk_clone_lock(listener, req, GFP_ATOMIC);
	if (!sk)
		goto out;
	RCU_INIT_POINTER(inet_sk(sk)->inet_opt, NULL);
	tern_sock_init_conn(sk);
	tern_sk(sk)->deferred = 0;	/* the listener's bits hold no child's refs */
	sk->sk_ack_backlog = 0;
	atomic_set(&inet_sk(sk)->inet_id, get_random_u16());
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		tern_v6_init_child(sk, listener);
		if (v4)
			tern_v6_mapped_ops(sk);
	}
#endif
	tern_child_seq(sk, skb, cookie, mss);
	if (tern_child_route(sk, listener, req, v4))
		goto fail;
	tern_cc_init(sk);
	tern_bind_child(sk, listener);
	if (tern_hash_conn(sk)) {
		tern_put_port(sk);
		goto fail;
	}
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	tern_set_state(sk, TCP_ESTABLISHED);
	tern_reset_keepalive(sk);
	list_add_tail(&tern_sk(sk)->accept_node,
		      &tern_sk(listener)->accept_queue);
	sk_acceptq_added(listener);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_PASSIVEOPENS);
out:
	reqsk_free(req);
	return sk;

fail:
	sk_dst_reset(sk);
	sk_free_unlock_clone(sk);
	sk = NULL;
	goto out;
}

/* A listener keeps no state until the handshake's last segment. */
/* A SYN: answered with a SYN-ACK whose sequence number is the cookie. */
static enum skb_drop_reason tern_listen_syn(struct sock *sk,
					    struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_opts o;
	u64 cookie;

	if (cb->flags & TERN_FLAG_ACK) {
		tern_send_reset_reply(sock_net(sk), skb);
		return SKB_DROP_REASON_TCP_FLAGS;
	}
	if (sk_acceptq_is_full(sk)) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_LISTENOVERFLOWS);
		return SKB_DROP_REASON_SOCKET_BACKLOG;
	}
	tern_parse_options(skb, &o);
	cookie = tern_cookie_make(skb, cb->seq, o.mss ? : TERN_DEFAULT_MSS);
	tern_send_synack_reply(sk, skb, cookie);
	return TERN_SKB_CONSUMED;
}

int tern_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	enum tern_cookie_verdict verdict;
	enum skb_drop_reason reason;
	struct sock *child;
	u16 mss;

	reason = SKB_DROP_REASON_TCP_FLAGS;
	if (cb->flags & TERN_FLAG_RST)
		goto drop;
	if (cb->flags & TERN_FLAG_SYN) {
		reason = tern_listen_syn(sk, skb);
		goto drop;
	}
	if (!(cb->flags & TERN_FLAG_ACK))
		goto drop;
	verdict = tern_cookie_check(skb, be64_to_cpu(th->ack_seq) - 1,
				    cb->seq - 1, &mss);
	if (verdict != TERN_COOKIE_OK) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_COOKIESFAILED);
		/*
		 * A later segment of a handshake whose last one was lost
		 * waits for the client to resend from its first byte. Any
		 * other is from a connection gone (an orphan's FIN_WAIT2
		 * ran out, a TIME_WAIT ended) or a forgery: reset, as TCP.
		 */
		if (verdict == TERN_COOKIE_BAD)
			tern_send_reset_reply(sock_net(sk), skb);
		reason = SKB_DROP_REASON_NO_SOCKET;
		goto drop;
	}
	reason = SKB_DROP_REASON_SOCKET_BACKLOG;
	if (sk_acceptq_is_full(sk)) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_LISTENOVERFLOWS);
		goto drop;
	}
	child = tern_create_child(sk, skb, be64_to_cpu(th->ack_seq) - 1, mss);
	if (!child)
		goto drop;
	__acquire(&child->sk_lock.slock);	/* sk_clone_lock() took it */
	/* confirm at once: the client resends its ACK until it hears us */
	tern_sk(child)->quickack = 1;
	tern_sk(child)->ack_pending = 1;
	tern_sk(child)->hs_confirm = 1;
	tern_conn_rcv(child, skb);
	bh_unlock_sock(child);
	sock_put(child);
	sk->sk_data_ready(sk);
	return 0;

drop:
	tern_free_skb(skb, reason);
	return 0;
}
