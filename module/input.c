// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the input path of a synchronized connection, as tcp_input.c: the
 * answer to our SYN, ACK processing (what the peer holds, the window, RTT),
 * data in and out of order, the FIN, and when to ACK. Segments reach it
 * validated and with the socket locked (ipv4.c).
 */

#include "tern.h"

/*
 * Free what the peer acknowledged; returns an RTT sample or -1. The
 * sample comes from the newest segment acknowledged, and there is none
 * when a resent segment is among them (Karn): its ACK may answer either
 * copy, and the segments behind a repaired hole waited for the repair.
 */
long tern_clean_acked(struct sock *sk, u64 ack)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 now = tern_clock_us();
	bool retrans = false;
	struct sk_buff *skb;
	long rtt = -1;

	while ((skb = skb_peek(&sk->sk_write_queue)) && skb != tsk->send_head) {
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);
		u32 len = cb->end_seq - cb->seq;

		if (tern_after(cb->end_seq, ack))
			break;
		if (cb->sacked & TERN_SKB_RETRANS)
			retrans = true;
		else
			rtt = now - cb->sent_us;
		if (cb->sacked & TERN_SKB_SACKED)
			tsk->sacked_out -= len;
		else
			tern_update_rack(tsk, skb);
		if (cb->sacked & TERN_SKB_LOST)
			tsk->lost_out -= len;
		__skb_unlink(skb, &sk->sk_write_queue);
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
		__kfree_skb(skb);
	}
	return retrans ? -1 : rtt;
}

/* Returns false when the segment must be dropped. */
static bool tern_ack(struct sock *sk, struct sk_buff *skb,
		     const struct tern_opts *o)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct ternhdr *th = tern_hdr(skb);
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u64 ack = be64_to_cpu(th->ack_seq);
	u32 win = ntohl(th->window);
	u64 prior_una = tsk->snd_una;
	long rtt;

	if (tern_after(ack, tsk->snd_nxt)) {
		tern_send_ack(sk);
		return false;
	}
	if (tern_before(ack, tsk->snd_una))
		return true;	/* old: the segment may still carry data */

	if (tern_before(tsk->snd_wl1, cb->seq) ||
	    (tsk->snd_wl1 == cb->seq && !tern_before(ack, tsk->snd_wl2))) {
		tsk->snd_wnd = win;
		tsk->max_window = max(tsk->max_window, win);
		tsk->snd_wl1 = cb->seq;
		tsk->snd_wl2 = ack;
		if (win && tsk->timer_kind == TERN_TIMER_PROBE) {
			tsk->timer_kind = TERN_TIMER_NONE;
			tsk->retries = 0;
			tsk->retrans_stamp = 0;
		}
	}
	/*
	 * A peer that answers our zero-window probes is alive: wait for its
	 * window as long as it answers (RFC 1122 4.2.2.17), as TCP does.
	 * An orphan still gives up after its retries, the user timeout
	 * still counts from the first probe.
	 */
	if (tsk->timer_kind == TERN_TIMER_PROBE && !tsk->snd_wnd &&
	    !sock_flag(sk, SOCK_DEAD))
		tsk->retries = 0;
	if (o->nsacks)
		tern_sacktag(sk, o);
	if (tern_after(ack, prior_una)) {
		rtt = tern_clean_acked(sk, ack);
		WRITE_ONCE(tsk->snd_una, ack);
		tsk->retries = 0;
		tsk->retrans_stamp = 0;
		if (rtt >= 0)
			tern_rtt_sample(sk, rtt);
		else
			inet_csk(sk)->icsk_rto = max(tsk->rto, tern_rto_min(sk));
		tern_cc_on_ack(sk, ack - prior_una);
		sk->sk_write_space(sk);
	}
	tern_rack_detect(sk);
	/*
	 * Only new data acknowledged restarts a running timeout (RFC 6298
	 * 5.3): duplicate ACKs, which keep coming while the peer sends, must
	 * not put off forever the retransmission that gets us going again.
	 */
	if (tern_after(ack, prior_una) ||
	    (tsk->lost_out && tsk->timer_kind != TERN_TIMER_RTO))
		tern_rearm_rto(sk);
	return true;
}

/* ---- receiving side: data, out-of-order queue, FIN ---- */

/* Free the out-of-order queue (a FIN in sequence, close, disconnect). */
void tern_ooo_purge(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct rb_node *node;

	while ((node = rb_first(&tsk->ooo_queue))) {
		struct sk_buff *skb = rb_to_skb(node);

		rb_erase(node, &tsk->ooo_queue);
		kfree_skb(skb);
	}
	tsk->ooo_len = 0;
}

static void tern_fin(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	WRITE_ONCE(tsk->fin_rcvd, 1);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	tsk->quickack = 1;
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		tern_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		tern_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		tern_send_ack(sk);
		tern_time_wait(sk);
		break;
	}
	tern_ooo_purge(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		if (sk->sk_shutdown == SHUTDOWN_MASK || sk->sk_state == TCP_CLOSE)
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
		else
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	}
}

static bool tern_rmem_fits(const struct sock *sk, const struct sk_buff *skb)
{
	return atomic_read(&sk->sk_rmem_alloc) + skb->truesize <=
	       2 * READ_ONCE(sk->sk_rcvbuf);
}

/*
 * A segment cut from a larger buffer (a clone on loopback, say) can cost
 * many times its length; copy its payload to a buffer of its own size.
 */
static struct sk_buff *tern_rmem_compact(struct sk_buff *skb)
{
	struct sk_buff *nskb;

	if (!skb->len || skb->truesize <= 2 * SKB_TRUESIZE(skb->len))
		return skb;
	nskb = alloc_skb(skb->len, GFP_ATOMIC);
	if (!nskb)
		return skb;
	if (skb_copy_bits(skb, 0, skb_put(nskb, skb->len), skb->len)) {
		kfree_skb(nskb);
		return skb;
	}
	memcpy(nskb->cb, skb->cb, sizeof(skb->cb));
	consume_skb(skb);
	return nskb;
}

/*
 * Charge a received segment (payload only) to the socket; NULL, with the
 * skb freed, if memory is short. In-sequence data into an empty receive
 * queue is always taken, as TCP does, so a tiny buffer still makes
 * progress.
 */
static struct sk_buff *tern_rmem_charge(struct sock *sk, struct sk_buff *skb)
{
	bool in_seq = !tern_after(TERN_SKB_CB(skb)->seq, tern_sk(sk)->rcv_nxt);
	bool first = in_seq && skb_queue_empty(&sk->sk_receive_queue);

	/* a bare FIN in sequence is never queued: always taken */
	if (!skb->len && in_seq)
		return skb;
	if (!tern_rmem_fits(sk, skb))
		skb = tern_rmem_compact(skb);
	if ((!tern_rmem_fits(sk, skb) && !first) ||
	    !sk_rmem_schedule(sk, skb, skb->truesize)) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_RCVQDROPS);
		kfree_skb(skb);
		return NULL;
	}
	skb_set_owner_r(skb, sk);
	return skb;
}

/* In-sequence data (and FIN) to the receive queue; takes the skb. */
static void tern_queue_in_order(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	bool fin = cb->flags & TERN_FLAG_FIN;

	WRITE_ONCE(tsk->rcv_nxt, cb->end_seq);
	if (cb->flags & TERN_FLAG_EOR)
		WRITE_ONCE(tsk->rcv_eor, cb->seq + skb->len);
	if (skb->len)
		__skb_queue_tail(&sk->sk_receive_queue, skb);
	else
		kfree_skb(skb);
	if (fin)
		tern_fin(sk);
}

/* Move what became in-sequence out of the out-of-order queue. */
static void tern_ooo_drain(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct rb_node *node;

	while ((node = rb_first(&tsk->ooo_queue))) {
		struct sk_buff *skb = rb_to_skb(node);
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);

		if (tern_after(cb->seq, tsk->rcv_nxt))
			break;
		rb_erase(node, &tsk->ooo_queue);
		tsk->ooo_len -= skb->len;
		if (!tern_after(cb->end_seq, tsk->rcv_nxt)) {
			kfree_skb(skb);		/* all of it arrived already */
			continue;
		}
		tern_queue_in_order(sk, skb);
		if (tsk->fin_rcvd)
			break;
	}
}

static void tern_ooo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct rb_node **p = &tsk->ooo_queue.rb_node, *parent = NULL;
	u64 seq = TERN_SKB_CB(skb)->seq;

	while (*p) {
		struct sk_buff *skb1 = rb_to_skb(*p);
		u64 seq1 = TERN_SKB_CB(skb1)->seq;

		parent = *p;
		if (seq == seq1) {
			/* a copy of what we hold: one of them is enough */
			TERN_INC_STATS(sock_net(sk), TERN_MIB_DUPSEGS);
			kfree_skb(skb);
			return;
		}
		p = tern_before(seq, seq1) ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &tsk->ooo_queue);
	tsk->ooo_len += skb->len;
	tsk->ooo_last_seq = seq;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_OFOQUEUE);
}

/*
 * SOCK_SEQPACKET: a message that does not fit in the receive buffer would
 * reach the user in parts. Unless SO_RCVBUF fixed the size, make room for
 * it (the next ACK announces it).
 */
static void tern_msg_room(struct sock *sk)
{
	int max = sk->sk_prot->sysctl_rmem[2];
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);

	if ((!tail || (TERN_SKB_CB(tail)->flags & TERN_FLAG_EOR)) &&
	    RB_EMPTY_ROOT(&tern_sk(sk)->ooo_queue))
		return;
	if ((sk->sk_userlocks & SOCK_RCVBUF_LOCK) || rcvbuf >= max ||
	    tern_rcv_space(sk) >= tern_sk(sk)->mss_cache * 4)
		return;
	WRITE_ONCE(sk->sk_rcvbuf, min(rcvbuf * 2, max));
}

/* A segment with payload or FIN, inside the window; takes the skb. */
static void tern_data_queue(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	bool had_ooo = !RB_EMPTY_ROOT(&tsk->ooo_queue);

	__skb_pull(skb, tern_hdr(skb)->doff * 4);
	skb_dst_drop(skb);
	skb = tern_rmem_charge(sk, skb);	/* may be a compact copy */
	if (!skb) {
		tern_send_ack(sk);
		return;
	}
	if (!tern_after(TERN_SKB_CB(skb)->seq, tsk->rcv_nxt)) {
		tern_queue_in_order(sk, skb);
		tern_ooo_drain(sk);
		tsk->ack_pending++;
		if (had_ooo)
			tsk->quickack = 1;
		if (tern_seqpacket(sk))
			tern_msg_room(sk);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_data_ready(sk);
		return;
	}
	tern_ooo_insert(sk, skb);
	tsk->ack_pending++;
	tsk->quickack = 1;
	if (tern_seqpacket(sk))
		tern_msg_room(sk);
}

/* ACK now (every other full segment, out of order, FIN) or a bit later. */
static void tern_ack_decide(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (!tsk->ack_pending)
		return;
	if (tsk->quickack || tsk->ack_pending >= 2) {
		tsk->quickack = 0;
		tern_send_ack(sk);
	} else {
		tern_schedule_ack(sk);
	}
}

/*
 * Is the segment inside the receive window? As TCP does, the window
 * starts at rcv_wup, the left edge last announced, so that an ACK that
 * was overtaken (reordering) still counts.
 */
static bool tern_seq_acceptable(const struct tern_sock *tsk,
				const struct tern_skb_cb *cb)
{
	u64 wnd_end = tsk->rcv_wup + tsk->rcv_wnd;

	if (tern_before(wnd_end, tsk->rcv_nxt))
		wnd_end = tsk->rcv_nxt;
	return !tern_before(cb->end_seq, tsk->rcv_wup) &&
	       !tern_after(cb->seq, wnd_end);
}

/* Our FIN was acknowledged. Returns false if the socket is gone. */
static bool tern_fin_acked(struct sock *sk)
{
	struct tern_net *tn = tern_pernet(sock_net(sk));

	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		tern_set_state(sk, TCP_FIN_WAIT2);
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
		if (sock_flag(sk, SOCK_DEAD))
			sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer, jiffies +
				       msecs_to_jiffies(tn->fin_timeout_ms));
		else
			sk->sk_state_change(sk);
		break;
	case TCP_CLOSING:
		tern_time_wait(sk);
		break;
	case TCP_LAST_ACK:
		tern_done(sk);
		return false;
	}
	return true;
}

/* Segments for a synchronized connection (RFC 9293 3.10.7.4). */
int tern_conn_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u8 flags = cb->flags;
	struct tern_opts o;
	u64 prior_una;

	tsk->rcv_tstamp = get_jiffies_64();
	inet_csk(sk)->icsk_probes_out = 0;

	if (flags & TERN_FLAG_SYN) {
		/* a SYN-ACK again (our handshake ACK was lost) or a stray SYN */
		tern_send_ack(sk);
		goto drop;
	}
	if (tsk->hs_pending) {
		/* the listener answered: the handshake's retries are over */
		tsk->hs_pending = 0;
		tsk->retries = 0;
		tsk->retrans_stamp = 0;
		inet_csk(sk)->icsk_rto = max(tsk->rto, tern_rto_min(sk));
		tern_rearm_rto(sk);
	}
	if (!tern_seq_acceptable(tsk, cb)) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_INWINDROPS);
		if (!(flags & TERN_FLAG_RST))
			tern_send_ack(sk);
		goto drop;
	}
	if (flags & TERN_FLAG_RST) {
		if (cb->seq == tsk->rcv_nxt) {
			TERN_INC_STATS(sock_net(sk), TERN_MIB_INRSTS);
			tern_reset(sk);
		} else {
			tern_send_ack(sk);	/* challenge ACK, RFC 5961 */
		}
		goto drop;
	}
	if (!(flags & TERN_FLAG_ACK))
		goto drop;
	tern_parse_options(skb, &o);
	prior_una = tsk->snd_una;
	if (!tern_ack(sk, skb, &o))
		goto drop;
	if (tsk->fin_queued && tsk->snd_una == tsk->write_seq &&
	    !tern_fin_acked(sk))
		goto drop;
	if (tsk->hs_confirm) {
		/*
		 * Until the client shows it heard us (data, or an ACK of
		 * ours), its bare ACK is its handshake ACK resent: our
		 * confirmation was lost, send it again. Once we have data in
		 * flight, that data (resent if need be) confirms instead.
		 */
		if (cb->end_seq != cb->seq || tsk->snd_una != prior_una ||
		    tsk->snd_nxt != tsk->snd_una) {
			tsk->hs_confirm = 0;
		} else if (cb->seq == tsk->rcv_nxt) {
			tsk->ack_pending++;
			tsk->quickack = 1;
		}
	}

	if (cb->end_seq != cb->seq && !tern_after(cb->end_seq, tsk->rcv_nxt)) {
		/* all of it arrived before: say so at once */
		TERN_INC_STATS(sock_net(sk), TERN_MIB_DUPSEGS);
		tsk->ack_pending++;
		tsk->quickack = 1;
		/*
		 * A FIN resent from CLOSING that also acks ours just took us
		 * to TIME_WAIT: the ACK it asks for is still owed.
		 */
		if (tsk->tw)
			tern_send_ack(sk);
		kfree_skb(skb);
	} else if (cb->end_seq != cb->seq &&
		   ((1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) &&
		   (sk->sk_shutdown & RCV_SHUTDOWN) &&
		   tern_after(cb->end_seq - !!(flags & TERN_FLAG_FIN),
			      tsk->rcv_nxt)) {
		/* new data for a socket the user closed: abort, as TCP */
		tern_send_active_reset(sk, GFP_ATOMIC);
		tern_done(sk);
		kfree_skb(skb);
		return 0;
	} else if (cb->end_seq != cb->seq &&
		   ((1 << sk->sk_state) &
		    (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2))) {
		tern_data_queue(sk, skb);
	} else {
		kfree_skb(skb);
	}
	if (sk->sk_state == TCP_CLOSE)
		return 0;
	tern_retransmit_lost(sk);
	tern_push(sk);
	tern_ack_decide(sk);
	return 0;

drop:
	kfree_skb(skb);
	return 0;
}

/* What the peer's SYN (or SYN-ACK) tells: its ISN, window and MSS. */
static void tern_learn_syn(struct sock *sk, const struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_opts o;

	tern_parse_options(skb, &o);
	tsk->peer_mss = o.mss ? : TERN_DEFAULT_MSS;
	WRITE_ONCE(tsk->rcv_nxt, cb->seq + 1);
	WRITE_ONCE(tsk->copied_seq, tsk->rcv_nxt);
	WRITE_ONCE(tsk->rcv_eor, tsk->rcv_nxt);
	tsk->rcv_wup = tsk->rcv_nxt;
	tsk->snd_wnd = ntohl(tern_hdr(skb)->window);
	tsk->max_window = tsk->snd_wnd;
	tsk->snd_wl1 = cb->seq;
}

/* The answer to our SYN. */
int tern_synsent_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u8 flags = cb->flags;
	long rtt;

	if (flags & TERN_FLAG_ACK) {
		if (be64_to_cpu(th->ack_seq) != tsk->snd_nxt) {
			tern_send_reset_reply(sock_net(sk), skb);
			goto drop;
		}
		if (flags & TERN_FLAG_RST) {
			TERN_INC_STATS(sock_net(sk), TERN_MIB_INRSTS);
			tern_reset(sk);
			goto drop;
		}
	}
	if ((flags & (TERN_FLAG_SYN | TERN_FLAG_ACK | TERN_FLAG_RST)) ==
	    TERN_FLAG_SYN) {
		/*
		 * Simultaneous open (or a connect to itself): answer with
		 * SYN-ACK, our SYN again with the ACK it now carries.
		 */
		tern_learn_syn(sk, skb);
		tern_set_state(sk, TCP_SYN_RECV);
		if (skb_peek(&sk->sk_write_queue))
			tern_retransmit_skb(sk, skb_peek(&sk->sk_write_queue));
		goto drop;
	}
	if ((flags & (TERN_FLAG_SYN | TERN_FLAG_ACK | TERN_FLAG_RST)) !=
	    (TERN_FLAG_SYN | TERN_FLAG_ACK))
		goto drop;

	tern_learn_syn(sk, skb);
	tsk->rcvq_space_seq = 0;
	tsk->snd_wl2 = tsk->snd_nxt;
	rtt = tern_clean_acked(sk, tsk->snd_nxt);
	WRITE_ONCE(tsk->snd_una, tsk->snd_nxt);
	tern_rtt_handshake(sk, rtt);
	tsk->retries = 0;
	tsk->retrans_stamp = 0;
	tern_sync_mss_now(sk);
	tern_cc_init(sk);
	tsk->rcv_tstamp = get_jiffies_64();
	tsk->hs_pending = 1;
	tern_set_state(sk, TCP_ESTABLISHED);
	tern_send_ack(sk);
	tern_rearm_rto(sk);
	tern_reset_keepalive(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
	tern_push(sk);
drop:
	kfree_skb(skb);
	return 0;
}

/* Simultaneous open: the peer's answer to our SYN-ACK (or its own). */
int tern_synrecv_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if (cb->flags & TERN_FLAG_RST) {
		if (cb->seq == tsk->rcv_nxt)
			tern_reset(sk);
		kfree_skb(skb);
		return 0;
	}
	if (!(cb->flags & TERN_FLAG_ACK) ||
	    be64_to_cpu(th->ack_seq) != tsk->snd_nxt) {
		if (!(cb->flags & TERN_FLAG_SYN))
			tern_send_reset_reply(sock_net(sk), skb);
		kfree_skb(skb);
		return 0;
	}
	tern_clean_acked(sk, tsk->snd_nxt);
	WRITE_ONCE(tsk->snd_una, tsk->snd_nxt);
	tsk->snd_wnd = ntohl(th->window);
	tsk->max_window = tsk->snd_wnd;
	tsk->snd_wl1 = cb->seq;
	tsk->snd_wl2 = tsk->snd_una;
	tsk->retries = 0;
	tsk->retrans_stamp = 0;
	tern_sync_mss_now(sk);
	tern_cc_init(sk);
	tsk->rcv_tstamp = get_jiffies_64();
	tern_set_state(sk, TCP_ESTABLISHED);
	tern_rearm_rto(sk);
	tern_reset_keepalive(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
	/*
	 * Closed, or shut down for writing, in SYN_RECV (simultaneous
	 * open): the FIN waited for the handshake to end.
	 */
	if ((sk->sk_shutdown & SEND_SHUTDOWN) && !tsk->fin_queued) {
		tern_set_state(sk, TCP_FIN_WAIT1);
		tern_send_fin(sk, GFP_ATOMIC);
		if (sk->sk_state == TCP_CLOSE) {
			kfree_skb(skb);
			return 0;
		}
	}
	if (cb->flags & TERN_FLAG_SYN) {
		tern_send_ack(sk);	/* the peer's SYN-ACK */
		kfree_skb(skb);
		return 0;
	}
	return tern_conn_rcv(sk, skb);
}
