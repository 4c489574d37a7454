// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the listener's side of a connection: requests for handshakes in
 * progress, cookies when their queue is full, child creation (TIME_WAIT
 * is timewait.c).
 */

#include <linux/security.h>
#include <net/inet6_hashtables.h>
#include <net/inet_connection_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/transp_v6.h>

#include "tern.h"

/* A request's SYN-ACK timer: RFC 6298's 1 s, doubling, as TCP's. */
#define TERN_SYNACK_TIMEOUT	HZ
#define TERN_SYNACK_TIMEOUT_MAX	(120 * HZ)

static void tern_req_destructor(struct request_sock *req)
{
}

/* Requests carry no options or saved SYN of their own yet. */
struct request_sock_ops tern_request_sock_ops = {
	.family		= PF_INET,
	.obj_size	= sizeof(struct tern_request_sock),
	.destructor	= tern_req_destructor,
};

#if IS_ENABLED(CONFIG_IPV6)
struct request_sock_ops tern6_request_sock_ops = {
	.family		= PF_INET6,
	.obj_size	= sizeof(struct tern_request_sock),
	.destructor	= tern_req_destructor,
};
#endif

/*
 * What a child is cloned from: the handshake as inet_csk_clone_lock(), the
 * route lookup and the LSM hooks read it (addresses, ports, interface,
 * mark, the security label). A queued request keeps it for the whole
 * handshake; a cookie's lives only while the child is made. An IPv6
 * listener's request from an IPv4 peer has its addresses v4-mapped too,
 * as the connection table keys and matches them.
 */
static struct request_sock *tern_child_req(struct sock *listener,
					   struct sk_buff *skb, bool queued)
{
	struct inet_request_sock *ireq;
	struct request_sock *req;

	req = inet_reqsk_alloc(listener->sk_prot->rsk_prot, listener, queued);
	if (!req)
		return NULL;
	ireq = inet_rsk(req);
	ireq->ir_rmt_port = tern_hdr(skb)->source;
	ireq->ir_num = inet_sk(listener)->inet_num;
	ireq->ir_iif = READ_ONCE(listener->sk_bound_dev_if);
	/* from a queued request's SYN; a cookie's SYN-ACK never offers it */
	ireq->ecn_ok = queued && tern_ecn_req_ok(listener, skb);
	ireq->ir_mark = inet_request_mark(listener, skb);
	if (skb->protocol == htons(ETH_P_IP)) {
		ireq->ir_loc_addr = ip_hdr(skb)->daddr;
		ireq->ir_rmt_addr = ip_hdr(skb)->saddr;
#if IS_ENABLED(CONFIG_IPV6)
		ipv6_addr_set_v4mapped(ireq->ir_loc_addr, &ireq->ir_v6_loc_addr);
		ipv6_addr_set_v4mapped(ireq->ir_rmt_addr, &ireq->ir_v6_rmt_addr);
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
	/* TERN_INFO: the ages count from here; the SYN was received */
	tsk->stats.data_sent_stamp = tsk->rcv_tstamp;
	tsk->stats.data_rcvd_stamp = tsk->rcv_tstamp;
	tsk->stats.ack_rcvd_stamp = tsk->rcv_tstamp;
	tsk->stats.segs_in = 1;
}

/*
 * A request leaves the listener's queue once; only then does it stop
 * counting toward the queue's bound.
 */
static void tern_req_unqueue(struct sock *listener,
			     struct tern_request_sock *treq)
{
	struct tern_sock *tl = tern_sk(listener);

	spin_lock_bh(&tl->accept_lock);
	if (!list_empty(&treq->node)) {
		list_del_init(&treq->node);
		atomic_dec(&tl->req_qlen);
	}
	spin_unlock_bh(&tl->accept_lock);
}

/*
 * Drop a request from the table, the queue and its timer, each reference
 * put by whoever took the request out of where it held one (as
 * inet_csk_reqsk_queue_drop()). The caller holds a reference of its own.
 */
static void tern_req_drop(struct request_sock *req)
{
	if (tern_unhash_req(req_to_sk(req))) {
		tern_req_unqueue(req->rsk_listener, tern_rsk(req));
		reqsk_put(req);
	}
	if (timer_delete(&req->rsk_timer))
		reqsk_put(req);
}

/*
 * The child takes its request's place in the table; the request is done.
 * False if another CPU completed or dropped it first.
 */
static bool tern_req_complete(struct sock *child, struct request_sock *req)
{
	if (!tern_hash_replace(child, req_to_sk(req)))
		return false;
	tern_req_unqueue(req->rsk_listener, tern_rsk(req));
	reqsk_put(req);		/* the table's */
	if (timer_delete(&req->rsk_timer))
		reqsk_put(req);
	return true;
}

/*
 * What a queued request hands its child: whether ECN was agreed
 * (ecn.c), its SYN-ACKs resent, as
 * tcp_create_openreq_child() counts them, and the handshake's RTT when
 * none was (Karn's rule: the ACK of a resent one is ambiguous), as
 * tcp_synack_rtt_meas(). Without it the first data the server sends
 * waits the initial second (RFC 6298 2.1) for a timeout if it is lost. A
 * cookie keeps no send time, and gives no sample.
 */
static void tern_child_from_req(struct sock *sk,
				const struct request_sock *req)
{
	tern_sk(sk)->ecn_flags = inet_rsk(req)->ecn_ok ? TERN_ECN_OK : 0;
	tern_sk(sk)->stats.total_retrans = req->num_retrans;
	if (!req->num_retrans)
		tern_rtt_sample(sk, tern_clock_us() -
				tern_rsk(req)->snt_synack_us);
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
 * qreq is the queued request the handshake completes, or NULL for a
 * cookie. Returns the child locked, not yet on the accept queue; NULL
 * with *stolen set when another segment of the same handshake, on
 * another CPU, made the connection first (tcp_check_req()'s req_stolen).
 */
static struct sock *tern_create_child(struct sock *listener,
				      struct sk_buff *skb, u64 isn, u16 mss,
				      struct request_sock *qreq, bool *stolen)
{
	bool v4 = skb->protocol == htons(ETH_P_IP);
	struct request_sock *req = qreq;
	struct sock *sk;

	if (!req)
		req = tern_child_req(listener, skb, false);
	if (!req)
		return NULL;
	sk = inet_csk_clone_lock(listener, req, GFP_ATOMIC);
	if (!sk)
		goto out;
	RCU_INIT_POINTER(inet_sk(sk)->inet_opt, NULL);
	tern_cong_child(sk);	/* the listener's algorithm */
	tern_sock_init_conn(sk);
	/* the listener's lock may have been held while it was copied */
	spin_lock_init(&tern_sk(sk)->accept_lock);
	INIT_LIST_HEAD(&tern_sk(sk)->req_list);
	atomic_set(&tern_sk(sk)->req_qlen, 0);
	tern_sk(sk)->deferred = 0;	/* the listener's bits hold no child's refs */
	tern_tsq_init_sock(sk);
	sk->sk_ack_backlog = 0;
	atomic_set(&inet_sk(sk)->inet_id, get_random_u16());
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		tern_v6_init_child(sk, listener);
		if (v4)
			tern_v6_mapped_ops(sk);
	}
#endif
	tern_child_seq(sk, skb, isn, mss);
	/*
	 * The window our SYN-ACK offered is open (tcp_create_openreq_child()
	 * takes rsk_rcv_wnd): the client may send into it before it hears
	 * from us, and the segment that completes the handshake may be its
	 * first data, not trimmed to a window of nothing.
	 */
	tern_sk(sk)->rcv_wnd = tern_rcv_space(listener);
	if (qreq)
		tern_child_from_req(sk, qreq);
	if (tern_child_route(sk, listener, req, v4))
		goto fail;
	tern_cc_init(sk);
	if (tern_bind_child(sk, listener))
		goto fail;	/* no memory: the client resends */
	if (qreq ? !tern_req_complete(sk, qreq) : !!tern_hash_conn(sk)) {
		*stolen = true;
		tern_put_port(sk);
		goto fail;
	}
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	tern_set_state(sk, TCP_ESTABLISHED);
	tern_reset_keepalive(sk);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_PASSIVEOPENS);
out:
	if (!qreq)
		reqsk_free(req);
	return sk;

fail:
	tern_cong_release(sk);	/* no destroy for a raw clone */
	sk_dst_reset(sk);
	sk_free_unlock_clone(sk);
	sk = NULL;
	goto out;
}

/*
 * The child joins the accept queue, unless the listener closed meanwhile
 * (checked under the queue's lock, as inet_csk_reqsk_queue_add(): its
 * close empties the queue under it), and takes the handshake's last
 * segment. Called with the child locked (sk_clone_lock()); unlocks it.
 */
static void tern_child_ready(struct sock *listener, struct sock *child,
			     struct sk_buff *skb)
	__releases(&child->sk_lock.slock)
{
	struct tern_sock *tl = tern_sk(listener);
	bool queued = false;

	spin_lock(&tl->accept_lock);
	if (READ_ONCE(listener->sk_state) == TCP_LISTEN) {
		list_add_tail(&tern_sk(child)->accept_node, &tl->accept_queue);
		sk_acceptq_added(listener);
		queued = true;
	}
	spin_unlock(&tl->accept_lock);
	if (!queued) {
		tern_child_forget(child);
		bh_unlock_sock(child);
		sock_put(child);
		tern_free_skb(skb, SKB_DROP_REASON_NO_SOCKET);
		return;
	}
	/* confirm at once: the client resends its ACK until it hears us */
	tern_sk(child)->quickack = 1;
	tern_sk(child)->ack_pending = 1;
	tern_sk(child)->hs_confirm = 1;
	tern_segs_in(tern_sk(child), skb);
	tern_conn_rcv(child, skb);
	bh_unlock_sock(child);
	sock_put(child);
	listener->sk_data_ready(listener);
}

/*
 * A request's timer: resend the SYN-ACK with exponential backoff from
 * 1 s (RFC 6298), net.tern.synack_retries times, then give up (as
 * reqsk_timer_handler()). A listener that closed takes its requests
 * along. The timer holds a reference of its own.
 */
static void tern_req_timer(struct timer_list *t)
{
	struct request_sock *req = from_timer(req, t, rsk_timer);
	struct sock *listener = req->rsk_listener;
	struct net *net = sock_net(listener);
	unsigned int shift;
	unsigned long when;

	if (inet_sk_state_load(listener) != TCP_LISTEN ||
	    sk_unhashed(req_to_sk(req)))
		goto drop;
	if (req->num_timeout >= READ_ONCE(tern_pernet(net)->synack_retries)) {
		TERN_INC_STATS(net, TERN_MIB_REQTIMEOUTS);
		goto drop;
	}
	tern_send_synack_req(listener, req);
	TERN_INC_STATS(net, TERN_MIB_SYNRETRANS);
	TERN_INC_STATS(net, TERN_MIB_RETRANSSEGS);
	req->num_retrans++;
	req->num_timeout++;
	shift = min_t(unsigned int, req->num_timeout, 8);
	when = min_t(unsigned long, TERN_SYNACK_TIMEOUT << shift,
		     TERN_SYNACK_TIMEOUT_MAX);
	mod_timer(&req->rsk_timer, jiffies + when);
	/*
	 * A drop that ran meanwhile found no timer pending to cancel: with
	 * the timer armed again, the request would hold its listener (and
	 * the module) until it fired. Cancel it here instead.
	 */
	if (inet_sk_state_load(listener) == TCP_LISTEN &&
	    !sk_unhashed(req_to_sk(req)))
		return;
	if (!timer_delete(&req->rsk_timer))
		return;		/* whoever cancelled it put its reference */

drop:
	if (tern_unhash_req(req_to_sk(req))) {
		tern_req_unqueue(listener, tern_rsk(req));
		reqsk_put(req);
	}
	reqsk_put(req);
}

/* Is the listener's request queue full (as inet_csk_reqsk_queue_is_full)? */
static bool tern_reqq_full(const struct sock *sk)
{
	int max = min_t(int, READ_ONCE(sk->sk_max_ack_backlog),
			READ_ONCE(tern_pernet(sock_net(sk))->max_syn_backlog));

	return atomic_read(&tern_sk(sk)->req_qlen) >= max;
}

static u64 tern_req_isn(const struct inet_request_sock *ireq)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (ireq->ireq_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&ireq->ir_v6_rmt_addr))
		return tern_isn_v6(&ireq->ir_v6_loc_addr, &ireq->ir_v6_rmt_addr,
				   htons(ireq->ir_num), ireq->ir_rmt_port);
#endif
	return tern_isn_v4(ireq->ir_loc_addr, ireq->ir_rmt_addr,
			   htons(ireq->ir_num), ireq->ir_rmt_port);
}

/*
 * A SYN with room in the queue: a request, in the listener's queue and
 * the connection table, and its SYN-ACK (tcp_conn_request()). References:
 * the table's, the timer's and ours.
 */
static int tern_conn_request(struct sock *sk, struct sk_buff *skb, u16 mss)
{
	struct tern_sock *tl = tern_sk(sk);
	struct tern_request_sock *treq;
	struct request_sock *req;
	int err = -EINVAL;

	req = tern_child_req(sk, skb, true);
	if (!req)
		return -ENOMEM;
	treq = tern_rsk(req);
	treq->rcv_isn = TERN_SKB_CB(skb)->seq;
	treq->snt_isn = tern_req_isn(inet_rsk(req));
	treq->mss = mss;
	INIT_LIST_HEAD(&treq->node);
	timer_setup(&req->rsk_timer, tern_req_timer, TIMER_PINNED);
	refcount_set(&req->rsk_refcnt, 3);

	spin_lock(&tl->accept_lock);
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		list_add_tail(&treq->node, &tl->req_list);
		atomic_inc(&tl->req_qlen);
		err = 0;
	}
	spin_unlock(&tl->accept_lock);
	if (!err)
		err = tern_hash_req(req_to_sk(req));
	if (err) {
		/* never hashed, timer never armed: those references go */
		tern_req_unqueue(sk, treq);
		reqsk_put(req);
		reqsk_put(req);
		reqsk_put(req);
		return err;
	}
	mod_timer(&req->rsk_timer, jiffies + TERN_SYNACK_TIMEOUT);
	treq->snt_synack_us = tern_clock_us();
	tern_send_synack_req(sk, req);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_COOKIESSENT);
	reqsk_put(req);
	return 0;
}

/*
 * A SYN: a request while the queue has room, else per net.tern.syncookies
 * as TCP's: 0 drop, 1 (default) a SYN-ACK whose sequence number is a
 * cookie, 2 cookies always (no request at all).
 */
static enum skb_drop_reason tern_listen_syn(struct sock *sk,
					    struct sk_buff *skb)
{
	int mode = READ_ONCE(tern_pernet(sock_net(sk))->syncookies);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_opts o;
	u64 cookie;
	u16 mss;

	if (cb->flags & TERN_FLAG_ACK) {
		tern_send_reset_reply(sock_net(sk), skb);
		return SKB_DROP_REASON_TCP_FLAGS;
	}
	if (sk_acceptq_is_full(sk)) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_LISTENOVERFLOWS);
		return SKB_DROP_REASON_SOCKET_BACKLOG;
	}
	tern_parse_options(skb, &o);
	mss = o.mss ? : TERN_DEFAULT_MSS;
	if (mode != 2 && !tern_reqq_full(sk)) {
		if (tern_conn_request(sk, skb, mss))
			return SKB_DROP_REASON_NOMEM;
		return TERN_SKB_CONSUMED;
	}
	if (!mode) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_REQQFULLDROP);
		return SKB_DROP_REASON_SOCKET_BACKLOG;
	}
	if (mode == 1)
		TERN_INC_STATS(sock_net(sk), TERN_MIB_REQQFULLDOCOOKIES);
	cookie = tern_cookie_make(skb, cb->seq, mss);
	tern_send_synack_reply(sk, skb, cookie);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_SYNCOOKIESSENT);
	return TERN_SKB_CONSUMED;
}

/*
 * The last segment of a handshake no request holds: a cookie's, if
 * cookies are on. Anything else reaching a listener without SYN is
 * counted and, unless it may be a later segment of a cookie's handshake,
 * reset as TCP does. *stolen as tern_create_child().
 */
static enum skb_drop_reason tern_listen_ack(struct sock *sk,
					    struct sk_buff *skb, bool *stolen)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	enum tern_cookie_verdict verdict = TERN_COOKIE_BAD;
	struct sock *child;
	u16 mss;

	if (READ_ONCE(tern_pernet(sock_net(sk))->syncookies))
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
		return SKB_DROP_REASON_NO_SOCKET;
	}
	if (sk_acceptq_is_full(sk)) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_LISTENOVERFLOWS);
		return SKB_DROP_REASON_SOCKET_BACKLOG;
	}
	child = tern_create_child(sk, skb, be64_to_cpu(th->ack_seq) - 1, mss,
				  NULL, stolen);
	if (!child)
		return SKB_DROP_REASON_NOMEM;
	__acquire(&child->sk_lock.slock);	/* sk_clone_lock() took it */
	TERN_INC_STATS(sock_net(sk), TERN_MIB_SYNCOOKIESRECV);
	tern_child_ready(sk, child, skb);
	return SKB_NOT_DROPPED_YET;
}

/*
 * Segments to a listener. Run without the listener's lock (as TCP's
 * lockless listener): what it touches is the accept and request queues,
 * under accept_lock, and what inet_csk_clone_lock() copies. Takes the
 * skb, except -EAGAIN: another segment of the handshake made the
 * connection meanwhile, the caller gives the skb to it (tern_rcv()).
 */
int tern_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	enum skb_drop_reason reason;
	bool stolen = false;

	reason = SKB_DROP_REASON_TCP_FLAGS;
	if (cb->flags & TERN_FLAG_RST)
		goto drop;
	if (cb->flags & TERN_FLAG_SYN) {
		reason = tern_listen_syn(sk, skb);
		goto drop;
	}
	if (!(cb->flags & TERN_FLAG_ACK))
		goto drop;
	reason = tern_listen_ack(sk, skb, &stolen);
	if (stolen)
		return -EAGAIN;
	if (reason == SKB_NOT_DROPPED_YET)
		return 0;
drop:
	tern_free_skb(skb, reason);
	return 0;
}

/*
 * A segment for a request (tcp_check_req()): a repeated SYN gets the
 * SYN-ACK again; a reset in sequence ends the handshake; an ACK of
 * anything but our ISN + 1 is reset and counted; an ACK in sequence
 * makes the child. The caller holds a reference to the request; the
 * listener's lock is not taken. Takes the skb, except -EAGAIN: the
 * request is gone, completed or dropped on another CPU since the lookup
 * found it (the client's last handshake ACK and its first data, sent
 * from two CPUs, race here), and the caller looks again (as tcp_v4_rcv()
 * on req_stolen): dropped, the data would wait for a retransmission
 * timeout.
 */
int tern_req_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct request_sock *req = inet_reqsk(sk);
	struct tern_request_sock *treq = tern_rsk(req);
	struct sock *listener = req->rsk_listener;
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct net *net = sock_net(listener);
	enum skb_drop_reason reason;
	bool stolen = false;
	struct sock *child;

	reason = SKB_DROP_REASON_TCP_FLAGS;
	if (cb->flags & TERN_FLAG_RST) {
		if (cb->seq == treq->rcv_isn + 1)
			tern_req_drop(req);	/* RFC 9293 3.10.7.3: back to LISTEN */
		else
			TERN_INC_STATS(net, TERN_MIB_REQOUTOFWINDOW);
		goto drop;
	}
	if (cb->flags & TERN_FLAG_SYN) {
		if (cb->seq == treq->rcv_isn && !(cb->flags & TERN_FLAG_ACK)) {
			/* our SYN-ACK was lost: say it again (as TCP) */
			tern_send_synack_req(listener, req);
			TERN_INC_STATS(net, TERN_MIB_SYNRETRANS);
			TERN_INC_STATS(net, TERN_MIB_RETRANSSEGS);
			req->num_retrans++;
			consume_skb(skb);
			return 0;
		}
		TERN_INC_STATS(net, TERN_MIB_REQOUTOFWINDOW);
		goto drop;
	}
	if (!(cb->flags & TERN_FLAG_ACK))
		goto drop;
	if (be64_to_cpu(tern_hdr(skb)->ack_seq) != treq->snt_isn + 1) {
		TERN_INC_STATS(net, TERN_MIB_REQBADACK);
		tern_send_reset_reply(net, skb);
		reason = SKB_DROP_REASON_TCP_ACK_UNSENT_DATA;
		goto drop;
	}
	/* a later segment: the client resends from its first byte */
	reason = SKB_DROP_REASON_TCP_INVALID_SEQUENCE;
	if (cb->seq != treq->rcv_isn + 1) {
		TERN_INC_STATS(net, TERN_MIB_REQOUTOFWINDOW);
		goto drop;
	}
	reason = SKB_DROP_REASON_SOCKET_BACKLOG;
	if (sk_acceptq_is_full(listener)) {
		TERN_INC_STATS(net, TERN_MIB_LISTENOVERFLOWS);
		goto drop;
	}
	reason = SKB_DROP_REASON_NOMEM;
	child = tern_create_child(listener, skb, treq->snt_isn, treq->mss, req,
				  &stolen);
	if (stolen)
		return -EAGAIN;
	if (!child)
		goto drop;
	__acquire(&child->sk_lock.slock);	/* sk_clone_lock() took it */
	tern_child_ready(listener, child, skb);
	return 0;

drop:
	tern_free_skb(skb, reason);
	return 0;
}

/*
 * Is the request's listener gone? Then so is the request, and the
 * segment looks again (tcp_v4_rcv() with a listener no longer in
 * TCP_LISTEN).
 */
bool tern_req_stale(struct sock *sk)
{
	struct request_sock *req = inet_reqsk(sk);

	if (inet_sk_state_load(req->rsk_listener) == TCP_LISTEN)
		return false;
	tern_req_drop(req);
	return true;
}

/*
 * An ICMP error quoting a request's SYN-ACK: a fatal one ends the
 * handshake, as tcp_req_err(); one quoting another sequence number is
 * ignored and counted.
 */
void tern_req_err(struct sock *sk, u64 seq, bool abort)
{
	struct request_sock *req = inet_reqsk(sk);

	if (seq != tern_rsk(req)->snt_isn)
		TERN_INC_STATS(sock_net(sk), TERN_MIB_OUTOFWINDOWICMPS);
	else if (abort)
		tern_req_drop(req);
}

/*
 * A listener closes: its requests go with it now, not when their timers
 * next fire (each holds the listener, and so the namespace and module).
 */
void tern_listen_purge_reqs(struct sock *sk)
{
	struct tern_sock *tl = tern_sk(sk);
	struct tern_request_sock *treq;

	for (;;) {
		spin_lock_bh(&tl->accept_lock);
		treq = list_first_entry_or_null(&tl->req_list,
						struct tern_request_sock, node);
		if (treq) {
			list_del_init(&treq->node);
			atomic_dec(&tl->req_qlen);
			/* on the list, it holds the table's reference still */
			refcount_inc(&treq->ireq.req.rsk_refcnt);
		}
		spin_unlock_bh(&tl->accept_lock);
		if (!treq)
			break;
		tern_req_drop(&treq->ireq.req);
		reqsk_put(&treq->ireq.req);
	}
}
