// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the states around a connection: the listener (handshake cookies,
 * child creation) and TIME_WAIT.
 */

#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/transp_v6.h>

#include "tern.h"

/* A connection for a valid handshake, ready for accept(). */
static struct sock *tern_create_child(struct sock *listener,
				      struct sk_buff *skb, u64 cookie, u16 mss)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct sock *sk;
	struct tern_sock *tsk;
	struct inet_sock *inet;

	sk = sk_clone_lock(listener, GFP_ATOMIC);
	if (!sk)
		return NULL;
	tsk = tern_sk(sk);
	inet = inet_sk(sk);
	tern_sock_init_conn(sk);
	tsk->deferred = 0;	/* the listener's bits hold no child's refs */
	sk->sk_ack_backlog = 0;
	inet->inet_dport = th->source;
	atomic_set(&inet->inet_id, get_random_u16());

	if (skb->protocol == htons(ETH_P_IP)) {
		inet->inet_daddr = ip_hdr(skb)->saddr;
		inet->inet_rcv_saddr = ip_hdr(skb)->daddr;
		inet->inet_saddr = ip_hdr(skb)->daddr;
#if IS_ENABLED(CONFIG_IPV6)
		if (sk->sk_family == AF_INET6) {
			tern_v6_init_child(sk, listener);
			ipv6_addr_set_v4mapped(inet->inet_daddr,
					       &sk->sk_v6_daddr);
			ipv6_addr_set_v4mapped(inet->inet_saddr,
					       &sk->sk_v6_rcv_saddr);
			inet6_sk(sk)->saddr = sk->sk_v6_rcv_saddr;
			tern_v6_mapped_ops(sk);
		}
	} else {
		tern_v6_init_child(sk, listener);
		sk->sk_v6_daddr = ipv6_hdr(skb)->saddr;
		sk->sk_v6_rcv_saddr = ipv6_hdr(skb)->daddr;
		inet6_sk(sk)->saddr = ipv6_hdr(skb)->daddr;
		inet->inet_daddr = LOOPBACK4_IPV6;
		inet->inet_rcv_saddr = LOOPBACK4_IPV6;
		inet->inet_saddr = LOOPBACK4_IPV6;
		if (ipv6_addr_type(&sk->sk_v6_daddr) & IPV6_ADDR_LINKLOCAL)
			sk->sk_bound_dev_if = cb->iif;
#endif
	}

	WRITE_ONCE(tsk->snd_una, cookie + 1);
	WRITE_ONCE(tsk->snd_nxt, cookie + 1);
	WRITE_ONCE(tsk->write_seq, cookie + 1);
	WRITE_ONCE(tsk->rcv_nxt, cb->seq);
	WRITE_ONCE(tsk->copied_seq, cb->seq);
	WRITE_ONCE(tsk->rcv_eor, cb->seq);
	tsk->rcv_wup = cb->seq;
	tsk->snd_wnd = ntohl(th->window);
	tsk->max_window = tsk->snd_wnd;
	tsk->snd_wl1 = cb->seq;
	tsk->snd_wl2 = tsk->snd_una;
	tsk->peer_mss = mss;
	tern_sync_mss(sk, skb->dev ? READ_ONCE(skb->dev->mtu) : IPV6_MIN_MTU);
	tern_cc_init(sk);
	tsk->rcv_tstamp = get_jiffies_64();

	tern_bind_child(sk, listener);
	if (tern_hash_conn(sk)) {
		tern_put_port(sk);
		sk_free_unlock_clone(sk);
		return NULL;
	}
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	tern_set_state(sk, TCP_ESTABLISHED);
	tern_reset_keepalive(sk);
	list_add_tail(&tsk->accept_node, &tern_sk(listener)->accept_queue);
	sk_acceptq_added(listener);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_PASSIVEOPENS);
	return sk;
}

/* A listener keeps no state until the handshake's last segment. */
int tern_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	enum tern_cookie_verdict verdict;
	struct tern_opts o;
	struct sock *child;
	u64 cookie;
	u16 mss;

	if (cb->flags & TERN_FLAG_RST)
		goto drop;
	if (cb->flags & TERN_FLAG_SYN) {
		if (cb->flags & TERN_FLAG_ACK) {
			tern_send_reset_reply(sock_net(sk), skb);
			goto drop;
		}
		if (sk_acceptq_is_full(sk)) {
			TERN_INC_STATS(sock_net(sk), TERN_MIB_LISTENOVERFLOWS);
			goto drop;
		}
		tern_parse_options(skb, &o);
		cookie = tern_cookie_make(skb, cb->seq,
					  o.mss ? : TERN_DEFAULT_MSS);
		tern_send_synack_reply(sk, skb, cookie);
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
		goto drop;
	}
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
	kfree_skb(skb);
	return 0;
}

/*
 * TIME_WAIT: all of the peer's data and its FIN arrived, but a segment
 * that takes sequence space (data or FIN) means the peer never heard our
 * cumulative ACK: ACK again, as TCP does. A peer retransmitting only
 * from its oldest unacknowledged byte would otherwise wait until we are
 * gone. A retransmitted FIN also restarts the wait. Resets are ignored
 * (RFC 1337); bare ACKs are dropped unanswered, so two ends in TIME_WAIT
 * cannot ACK each other forever.
 */
int tern_tw_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if (!(cb->flags & (TERN_FLAG_RST | TERN_FLAG_SYN)) &&
	    cb->end_seq != cb->seq) {
		tern_send_ack(sk);
		if ((cb->flags & TERN_FLAG_FIN) &&
		    cb->end_seq == tern_sk(sk)->rcv_nxt)
			tern_time_wait(sk);
	}
	kfree_skb(skb);
	return 0;
}

/*
 * TIME_WAIT. The kernel takes a socket in state TCP_TIME_WAIT for an
 * inet_timewait_sock (sk_fullsock() is false), so a full Tern socket
 * waits in TCP_CLOSE with tsk->tw set, still hashed: it answers a
 * retransmitted FIN and holds its four-tuple until the timer ends it.
 */
void tern_time_wait(struct sock *sk)
{
	struct tern_net *tn = tern_pernet(sock_net(sk));

	tern_sk(sk)->tw = 1;
	inet_sk_set_state(sk, TCP_CLOSE);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	tern_stop_retransmit_timer(sk);
	sk_stop_timer(sk, &inet_csk(sk)->icsk_delack_timer);
	sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer,
		       jiffies + msecs_to_jiffies(tn->tw_timeout_ms));
}
