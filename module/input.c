// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the input path of a synchronized connection, as tcp_input.c: the
 * answer to our SYN, ACK processing (what the peer holds, the window, RTT),
 * data in and out of order, the FIN, and when to ACK. Segments reach it
 * validated and with the socket locked (ipv4.c).
 */

#include <linux/security.h>

#include "tern.h"
#include "trace.h"

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

	/* the oldest first, SACKed or not: they go in sequence order */
	while ((skb = tern_rtx_head(sk))) {
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
		tern_skb_unmark(tsk, skb, TERN_SKB_LOST | TERN_SKB_RETRANS_OUT);
		tern_rate_skb_delivered(tsk, skb);
		tern_rtx_unlink_free(sk, skb);
	}
	return retrans ? -1 : rtt;
}

/*
 * The peer's window (RFC 9293 3.10.7.4 SND.WL1/WL2). A window that opens
 * far enough for the head segment ends the zero-window probing, as
 * tcp_ack_probe(): one that only flickers open (0, 1, 0 ...) would
 * otherwise reset an orphan's retries forever.
 */
static void tern_ack_update_window(struct sock *sk, const struct sk_buff *skb,
				   u64 ack)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u32 win = ntohl(tern_hdr(skb)->window);
	struct sk_buff *head = tern_send_head(sk);

	if (tern_before(tsk->snd_wl1, cb->seq) ||
	    (tsk->snd_wl1 == cb->seq && !tern_before(ack, tsk->snd_wl2))) {
		tsk->snd_wnd = win;
		tsk->max_window = max(tsk->max_window, win);
		tsk->snd_wl1 = cb->seq;
		tsk->snd_wl2 = ack;
		if (win && tsk->timer_kind == TERN_TIMER_PROBE &&
		    (!head || !tern_after(TERN_SKB_CB(head)->end_seq,
					  ack + win))) {
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
}

/*
 * Process the acknowledgment; false when the segment must be dropped.
 * RFC 5961 5.2: an ACK of data never sent, or older than the largest
 * window the peer ever offered behind snd_una, is a blind injection or
 * garbage: challenge and drop, data and all. An old ACK inside that
 * range is a reordered segment whose data still counts.
 */
static bool tern_ack(struct sock *sk, struct sk_buff *skb,
		     const struct tern_opts *o)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 ack = be64_to_cpu(tern_hdr(skb)->ack_seq);
	u64 prior_una = tsk->snd_una;
	u32 walked = 0;
	long rtt;

	if (tern_after(ack, tsk->snd_nxt) ||
	    tern_before(ack, prior_una - tsk->max_window)) {
		tern_send_challenge_ack(sk);
		return false;
	}
	if (tern_before(ack, prior_una))
		return true;

	tsk->stats.ack_rcvd_stamp = get_jiffies_64();
	tern_rate_ack_start(tsk);
	tern_ack_update_window(sk, skb, ack);
	if (o->nsacks)
		walked = tern_sacktag(sk, o, tern_check_dsack(sk, o, ack));
	if (tern_after(ack, prior_una)) {
		rtt = tern_clean_acked(sk, ack);
		WRITE_ONCE(tsk->snd_una, ack);
		/* payload: not the FIN's sequence number, if this acks it */
		tsk->stats.bytes_acked += ack - prior_una -
				    (tsk->fin_queued && ack == tsk->write_seq);
		tsk->retries = 0;
		tsk->retrans_stamp = 0;
		if (rtt >= 0)
			tern_rtt_sample(sk, rtt);
		else
			inet_csk(sk)->icsk_rto = max(tsk->rto, tern_rto_min(sk));
		tern_cc_on_ack(sk, ack - prior_una, rtt);
		sk->sk_write_space(sk);
		/* as tcp_clean_rtx_queue() and tcp_check_space() */
		if (!sk->sk_socket ||
		    !test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
			tern_chrono_stop(sk, TERN_CHRONO_SNDBUF_LIMITED);
		else
			tern_chrono_stop(sk, TERN_CHRONO_BUSY);
	}
	tern_cc_try_undo(sk);
	tern_rate_gen(sk);
	tern_cc_cong_control(sk);
	tern_ecn_rcv_ack(sk, skb);
	/* what the ACK cost in segments visited: one per-cpu add */
	walked += tern_rack_detect(sk);
	tern_update_pacing_rate(sk);
	if (walked)
		TERN_ADD_STATS(sock_net(sk), TERN_MIB_SACKWALKSEGS, walked);
	/*
	 * Only new data acknowledged restarts a running timeout (RFC 6298
	 * 5.3): duplicate ACKs, which keep coming while the peer sends, must
	 * not put off forever the retransmission that gets us going again.
	 */
	if (tern_after(ack, prior_una) ||
	    (tsk->lost_out && tsk->timer_kind != TERN_TIMER_RTO))
		tern_rearm_rto(sk);
	tern_arm_reo(sk);
	/* what the ACK left: cwnd, RTT, window (tcp_probe) */
	trace_tern_probe(sk, skb);
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
	tsk->num_sacks = 0;
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

/*
 * SOCK_SEQPACKET: would this segment in sequence make its message longer
 * than the receive buffer can ever hold (tern_msg_limit())? A message of
 * exactly that length ends with its last byte (EOR rides on data), so
 * one that reaches it without its end is longer too.
 */
static bool tern_msg_over(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u64 len;

	if (!tern_seqpacket(sk) || !skb->len)
		return false;
	len = cb->seq + skb->len - tern_sk(sk)->rcv_eor;
	return len + !(cb->flags & TERN_FLAG_EOR) > tern_msg_limit(sk);
}

/*
 * In-sequence data (and FIN) to the receive queue; takes the skb. False,
 * the skb freed, for a SOCK_SEQPACKET message that can never fit.
 */
static bool tern_queue_in_order(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	bool fin = cb->flags & TERN_FLAG_FIN;

	if (tern_msg_over(sk, skb)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return false;
	}
	tsk->stats.bytes_received += cb->end_seq - tsk->rcv_nxt - fin;
	WRITE_ONCE(tsk->rcv_nxt, cb->end_seq);
	if (cb->flags & TERN_FLAG_EOR)
		WRITE_ONCE(tsk->rcv_eor, cb->seq + skb->len);
	if (skb->len)
		__skb_queue_tail(&sk->sk_receive_queue, skb);
	else
		consume_skb(skb);	/* a bare FIN, taken: not a drop */
	if (fin)
		tern_fin(sk);
	return true;
}

/*
 * Move what became in-sequence out of the out-of-order queue. False as
 * tern_queue_in_order().
 */
static bool tern_ooo_drain(struct sock *sk)
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
		if (!tern_queue_in_order(sk, skb))
			return false;
		if (tsk->fin_rcvd)
			break;
	}
	return true;
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
			tern_dsack_set(sk, seq, TERN_SKB_CB(skb)->end_seq);
			kfree_skb(skb);
			return;
		}
		p = tern_before(seq, seq1) ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &tsk->ooo_queue);
	tsk->ooo_len += skb->len;
	tern_sack_new_ofo(tsk, seq, TERN_SKB_CB(skb)->end_seq);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_OFOQUEUE);
}

/*
 * SOCK_SEQPACKET: the message being received, all there is left to read,
 * is owed a window up to what an empty buffer offers (tern_msg_edge()).
 * Unless SO_RCVBUF fixed the size, let the buffer grow toward the
 * autotuning maximum when the message comes near that edge (the next ACK
 * announces it): a reader that cannot read until the message ends cannot
 * drive tern_rcv_space_adjust(). Never past tern_msg_limit() in payload.
 * After data in sequence, and after a read that left only such a message.
 */
void tern_msg_room(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	int max = sk->sk_prot->sysctl_rmem[2];
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	u64 edge;

	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		return;
	while ((edge = tern_msg_edge(sk)) && rcvbuf < max &&
	       (!tern_after(edge, tsk->rcv_nxt) ||
		edge - tsk->rcv_nxt < tsk->mss_cache * 4)) {
		rcvbuf = min(rcvbuf * 2, max);
		WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
	}
}

/* A segment that costs much more than its payload (as tcp_collapse()). */
static bool tern_skb_wasteful(const struct sk_buff *skb)
{
	return skb->truesize > skb->len + skb->len / 4;
}

/*
 * Copy the queued bytes from skb (the first of a run) up to end into
 * page-sized buffers put in their place, freeing each old one once it is
 * copied, as tcp_collapse(). Returns the first skb after the run, or NULL
 * when memory is short (what is queued stays whole and in order).
 */
static struct sk_buff *tern_collapse_run(struct sock *sk, struct sk_buff *skb,
					 u64 end)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	u64 seq = TERN_SKB_CB(skb)->seq;

	while (tern_before(seq, end)) {
		u32 size = min_t(u64, SKB_MAX_ORDER(0, 0), end - seq);
		struct sk_buff *nskb = alloc_skb(size, GFP_ATOMIC);

		if (!nskb)
			return NULL;
		/* charged before its sources are freed: make sure it can be */
		if (!sk_rmem_schedule(sk, nskb, nskb->truesize)) {
			kfree_skb(nskb);
			return NULL;
		}
		memcpy(nskb->cb, skb->cb, sizeof(skb->cb));
		TERN_SKB_CB(nskb)->seq = seq;
		TERN_SKB_CB(nskb)->end_seq = seq + size;
		TERN_SKB_CB(nskb)->flags &= ~(TERN_FLAG_FIN | TERN_FLAG_EOR);
		__skb_queue_before(q, skb, nskb);
		skb_set_owner_r(nskb, sk);
		while (size) {
			u64 skb_end = TERN_SKB_CB(skb)->seq + skb->len;
			u32 off = seq - TERN_SKB_CB(skb)->seq;
			u32 n = min_t(u64, size, skb_end - seq);
			struct sk_buff *next = skb->next;

			WARN_ON_ONCE(skb_copy_bits(skb, off, skb_put(nskb, n), n));
			seq += n;
			size -= n;
			if (seq == skb_end) {
				__skb_unlink(skb, q);
				consume_skb(skb);
				skb = next;
			}
		}
	}
	return skb;
}

/*
 * SOCK_SEQPACKET: once the queue costs more than the buffer (the trigger
 * of tcp_prune_queue()), make the message being received as compact as
 * it can be: its reader can free none of it until it ends, and what it
 * may pin is counted in payload (tern_msg_edge()), so its overhead (a
 * loopback clone of a 64 KiB buffer for a few bytes, tiny segments) must
 * not come on top. Runs of wasteful segments become page-sized buffers;
 * those already compact stay. Each call looks only at what came since
 * the last one (rcv_compact), and the last page it filled, so the work
 * per segment does not grow with the message.
 */
static void tern_msg_collapse(struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	struct tern_sock *tsk = tern_sk(sk);
	u64 start = tsk->rcv_eor;
	struct sk_buff *skb, *last;

	if (atomic_read(&sk->sk_rmem_alloc) <= READ_ONCE(sk->sk_rcvbuf))
		return;
	if (tsk->rcv_compact && tern_after(tsk->rcv_compact, start))
		start = tsk->rcv_compact;
	/* the message's segments: at the tail, from start on */
	skb = skb_peek_tail(q);
	if (!skb || tern_before(TERN_SKB_CB(skb)->seq, start))
		return;
	while (!skb_queue_is_first(q, skb) &&
	       !tern_before(TERN_SKB_CB(skb->prev)->seq, start))
		skb = skb->prev;
	while (skb != (struct sk_buff *)q) {
		if (!tern_skb_wasteful(skb)) {
			skb = skb->next;
			continue;
		}
		last = skb;
		while (!skb_queue_is_last(q, last) &&
		       tern_skb_wasteful(last->next))
			last = last->next;
		skb = tern_collapse_run(sk, skb, TERN_SKB_CB(last)->seq +
					last->len);
		if (!skb)
			break;	/* memory is short: the rest stays as it is */
	}
	/* next time from the last page, should it be only partly filled */
	skb = skb_peek_tail(q);
	tsk->rcv_compact = tern_skb_wasteful(skb) ? TERN_SKB_CB(skb)->seq :
			   tsk->rcv_nxt;
}

/*
 * End the connection from the receive path: a reset to the peer, err for
 * a user still holding the socket.
 */
static void tern_abort_rcv(struct sock *sk, int err)
{
	bool dead = sock_flag(sk, SOCK_DEAD);

	tern_send_active_reset(sk, GFP_ATOMIC);
	WRITE_ONCE(sk->sk_err, err);
	tern_done(sk);
	if (!dead)
		sk_error_report(sk);
}

/*
 * SOCK_SEQPACKET hands a message over whole, never in parts. One longer
 * than the receive buffer can ever hold (tern_msg_over()) can never be
 * handed over, and the window let it reach that length whatever its
 * segments cost (tern_msg_edge()): rather than let the peer pin the
 * buffer, the connection ends, a reset to the peer, counted, and none of
 * the message for the user (the messages before it can still be read).
 * The user's error is EMSGSIZE, not ECONNRESET: the peer did not abort
 * (a Tern sender with a larger buffer may send such a message in good
 * faith); the receiver's buffer was too small for the message, and
 * EMSGSIZE says that, as it does for a message too large to send.
 */
static void tern_msg_refuse(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 start = tsk->rcv_eor;
	struct sk_buff *skb;

	TERN_INC_STATS(sock_net(sk), TERN_MIB_RCVMSGTOOLONG);
	/*
	 * What it has queued is at the tail. A segment that began before
	 * start is a resent copy of bytes queued before it, the end of the
	 * last message: dropping it loses nothing.
	 */
	while ((skb = skb_peek_tail(&sk->sk_receive_queue)) &&
	       tern_after(TERN_SKB_CB(skb)->seq + skb->len, start)) {
		__skb_unlink(skb, &sk->sk_receive_queue);
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
	}
	tern_ooo_purge(sk);
	tsk->stats.bytes_received -= tsk->rcv_nxt - start;
	WRITE_ONCE(tsk->rcv_nxt, start);
	tern_abort_rcv(sk, EMSGSIZE);
}

/* A segment with payload or FIN, inside the window; takes the skb. */
static void tern_data_queue(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	bool had_ooo = !RB_EMPTY_ROOT(&tsk->ooo_queue);
	/* a GSO skb is many segments: ACK it as TCP would (every other) */
	u16 segs = tern_skb_segs(skb);

	__skb_pull(skb, tern_hdr(skb)->doff * 4);
	skb_dst_drop(skb);
	skb = tern_rmem_charge(sk, skb);	/* may be a compact copy */
	if (!skb) {
		tern_send_ack(sk);
		return;
	}
	if (skb->len)
		tsk->stats.data_rcvd_stamp = get_jiffies_64();
	if (!tern_after(TERN_SKB_CB(skb)->seq, tsk->rcv_nxt)) {
		/* its start arrived before (RFC 2883 4.1.1's partial case) */
		if (tern_before(TERN_SKB_CB(skb)->seq, tsk->rcv_nxt))
			tern_dsack_set(sk, TERN_SKB_CB(skb)->seq, tsk->rcv_nxt);
		if (!tern_queue_in_order(sk, skb) || !tern_ooo_drain(sk)) {
			tern_msg_refuse(sk);
			return;
		}
		tsk->ack_pending = min_t(u32, tsk->ack_pending + segs, U8_MAX);
		if (had_ooo) {
			tern_sack_remove(tsk);
			tsk->quickack = 1;
		}
		if (tern_seqpacket(sk) && !tsk->fin_rcvd) {
			tern_msg_collapse(sk);
			tern_msg_room(sk);
		}
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_data_ready(sk);
		return;
	}
	tern_ooo_insert(sk, skb);
	tsk->ack_pending++;
	tsk->quickack = 1;
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

/* At most one such answer per net.tern.invalid_ratelimit_ms. */
static bool __tern_oow_rate_limited(struct sock *sk, int mib)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 limit = msecs_to_jiffies(tern_pernet(sock_net(sk))->invalid_ratelimit_ms);
	u32 now = jiffies;

	if (tsk->last_oow_ack && now - tsk->last_oow_ack < limit) {
		TERN_INC_STATS(sock_net(sk), mib);
		return true;
	}
	tsk->last_oow_ack = now ? : 1;
	return false;
}

/*
 * The challenge ACK of RFC 5961 (3.2, 4.2, 5.2): limited per socket, and
 * per namespace to about net.tern.challenge_ack_limit a second, a count
 * drawn at random each second (as TCP since CVE-2016-5696) so that an
 * off-path attacker cannot count the answers to learn the window.
 */
void tern_send_challenge_ack(struct sock *sk)
{
	struct tern_net *tn = tern_pernet(sock_net(sk));
	u32 limit = READ_ONCE(tn->challenge_ack_limit);
	u32 now = jiffies / HZ, count;

	if (__tern_oow_rate_limited(sk, TERN_MIB_ACKSKIPPEDCHALLENGE))
		return;
	if (now != READ_ONCE(tn->challenge_stamp)) {
		u32 half = (limit + 1) / 2;

		WRITE_ONCE(tn->challenge_stamp, now);
		WRITE_ONCE(tn->challenge_count,
			   half + get_random_u32_below(limit + 1));
	}
	count = READ_ONCE(tn->challenge_count);
	if (!count) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_ACKSKIPPEDCHALLENGE);
		return;
	}
	WRITE_ONCE(tn->challenge_count, count - 1);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_CHALLENGEACKS);
	tern_send_ack(sk);
}

/*
 * Answers to segments outside the window are limited per socket, as
 * tcp_oow_rate_limited(): a pure ACK (or SYN) out of window answered
 * with an ACK, answered with one again, is how two ends loop. Data is
 * never part of such a loop and is always answered.
 */
static bool tern_oow_rate_limited(struct sock *sk, const struct sk_buff *skb,
				  int mib)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if (cb->seq != cb->end_seq && !(cb->flags & TERN_FLAG_SYN))
		return false;
	return __tern_oow_rate_limited(sk, mib);
}

/*
 * Data past the right edge of the window is trimmed off (a FIN there
 * goes with it): only the first byte was checked for acceptability.
 */
static void tern_trim_to_window(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u64 edge = tsk->rcv_wup + tsk->rcv_wnd;
	u32 keep;

	if (tern_before(edge, tsk->rcv_nxt))
		edge = tsk->rcv_nxt;
	if (!tern_after(cb->end_seq, edge) || tern_after(cb->seq, edge))
		return;
	keep = edge - cb->seq;
	if (pskb_trim(skb, tern_hdr(skb)->doff * 4 + keep))
		return;
	cb->flags &= ~(TERN_FLAG_FIN | TERN_FLAG_EOR);
	cb->end_seq = edge;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_INWINDROPS);
	tsk->quickack = 1;	/* tell the peer what was taken */
	tsk->ack_pending++;
}

/* Our FIN was acknowledged. Returns false if the socket is gone. */
static bool tern_fin_acked(struct sock *sk, const struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
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
		/* a FIN resent with the ACK of ours still asks for its ACK */
		if (cb->end_seq != cb->seq &&
		    !tern_after(cb->end_seq, tern_sk(sk)->rcv_nxt))
			tern_send_ack(sk);
		tern_time_wait(sk);	/* the socket is done */
		return false;
	case TCP_LAST_ACK:
		tern_done(sk);
		return false;
	}
	return true;
}

/*
 * Is the segment acceptable at all (RFC 9293 3.10.7.4 first to fourth
 * checks, RFC 5961)? Answers what must be answered; the reason when not.
 */
static enum skb_drop_reason tern_validate_incoming(struct sock *sk,
						   struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if (!tern_seq_acceptable(tsk, cb)) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_INWINDROPS);
		if (cb->flags & TERN_FLAG_SYN)
			tern_send_challenge_ack(sk);
		else if (!(cb->flags & TERN_FLAG_RST) &&
			 !tern_oow_rate_limited(sk, skb,
						TERN_MIB_ACKSKIPPEDSEQ))
			tern_send_ack(sk);
		return SKB_DROP_REASON_TCP_INVALID_SEQUENCE;
	}
	if (cb->flags & TERN_FLAG_RST) {
		if (cb->seq != tsk->rcv_nxt) {
			tern_send_challenge_ack(sk);	/* RFC 5961 3.2 */
			return SKB_DROP_REASON_TCP_RESET;
		}
		TERN_INC_STATS(sock_net(sk), TERN_MIB_INRSTS);
		tern_reset(sk);
		return TERN_SKB_CONSUMED;
	}
	if (cb->flags & TERN_FLAG_SYN) {
		/*
		 * A SYN in a synchronized state (RFC 5961 4.2); also a SYN-ACK
		 * again, whose sender lost our handshake ACK: either way the
		 * answer is an ACK.
		 */
		tern_send_challenge_ack(sk);
		return SKB_DROP_REASON_TCP_INVALID_SYN;
	}
	if (!(cb->flags & TERN_FLAG_ACK))
		return SKB_DROP_REASON_TCP_FLAGS;
	tern_trim_to_window(sk, skb);
	return SKB_NOT_DROPPED_YET;
}

/* The segment passed every check: the peer is alive and heard us. */
static void tern_heard_peer(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	tsk->rcv_tstamp = get_jiffies_64();
	inet_csk(sk)->icsk_probes_out = 0;
	if (tsk->hs_pending) {
		/* the listener answered: the handshake's retries are over */
		tsk->hs_pending = 0;
		tsk->retries = 0;
		tsk->retrans_stamp = 0;
		inet_csk(sk)->icsk_rto = max(tsk->rto, tern_rto_min(sk));
		tern_rearm_rto(sk);
	}
}

/*
 * Until the client shows it heard us (data, or an ACK of ours), its bare
 * ACK is its handshake ACK resent: our confirmation was lost, send it
 * again. Once we have data in flight, that data (resent if need be)
 * confirms instead.
 */
static void tern_confirm_handshake(struct sock *sk, const struct sk_buff *skb,
				   u64 prior_una)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if (cb->end_seq != cb->seq || tsk->snd_una != prior_una ||
	    tsk->snd_nxt != tsk->snd_una) {
		tsk->hs_confirm = 0;
	} else if (cb->seq == tsk->rcv_nxt) {
		tsk->ack_pending++;
		tsk->quickack = 1;
	}
}

/* The payload (or FIN) of an acceptable segment; takes the skb. */
static void tern_conn_data(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if (cb->end_seq == cb->seq) {
		consume_skb(skb);
	} else if (!tern_after(cb->end_seq, tsk->rcv_nxt)) {
		/* all of it arrived before: say so at once, and what */
		TERN_INC_STATS(sock_net(sk), TERN_MIB_DUPSEGS);
		tern_dsack_set(sk, cb->seq, cb->end_seq);
		tsk->ack_pending++;
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_OLD_DATA);
	} else if (((1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) &&
		   (sk->sk_shutdown & RCV_SHUTDOWN) &&
		   tern_after(cb->end_seq - !!(cb->flags & TERN_FLAG_FIN),
			      tsk->rcv_nxt)) {
		/* as TCP: the user shut reading down for good */
		tern_abort_rcv(sk, ECONNRESET);
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_CLOSE);
	} else if ((1 << sk->sk_state) &
		   (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)) {
		tern_ecn_rcv_data(sk, skb);
		tern_data_queue(sk, skb);
	} else {
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_CLOSE);
	}
}

/* Segments for a synchronized connection (RFC 9293 3.10.7.4). */
int tern_conn_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	enum skb_drop_reason reason;
	struct tern_opts o;
	u64 prior_una;

	reason = tern_validate_incoming(sk, skb);
	if (reason)
		goto drop;
	tern_parse_options(skb, &o);
	prior_una = tsk->snd_una;
	if (!tern_ack(sk, skb, &o)) {
		reason = SKB_DROP_REASON_TCP_TOO_OLD_ACK;
		goto drop;
	}
	tern_heard_peer(sk);
	if (tsk->fin_queued && tsk->snd_una == tsk->write_seq &&
	    !tern_fin_acked(sk, skb)) {
		consume_skb(skb);
		return 0;
	}
	if (tsk->hs_confirm)
		tern_confirm_handshake(sk, skb, prior_una);
	tern_conn_data(sk, skb);
	if (sk->sk_state == TCP_CLOSE)
		return 0;
	tern_retransmit_lost(sk);
	tern_push(sk);
	tern_ack_decide(sk);
	return 0;

drop:
	tern_free_skb(skb, reason);
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

/* The handshake is over, whichever way it went: the connection is up. */
static void tern_finish_connect(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	tsk->retries = 0;
	tsk->retrans_stamp = 0;
	tern_sync_mss_now(sk);
	tern_cc_init(sk);
	tsk->rcv_tstamp = get_jiffies_64();
	/* the ages TERN_INFO reports count from here until data moves */
	tsk->stats.data_sent_stamp = tsk->rcv_tstamp;
	tsk->stats.data_rcvd_stamp = tsk->rcv_tstamp;
	tsk->stats.ack_rcvd_stamp = tsk->rcv_tstamp;
	tern_set_state(sk, TCP_ESTABLISHED);
	tern_rearm_rto(sk);
	tern_reset_keepalive(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
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
		/* no ECN: our SYN goes again without asking (ecn.c) */
		tern_ecn_rcv_synack(sk, 0);
		if (tern_rtx_head(sk))
			tern_retransmit_skb(sk, tern_rtx_head(sk));
		goto drop;
	}
	if ((flags & (TERN_FLAG_SYN | TERN_FLAG_ACK | TERN_FLAG_RST)) !=
	    (TERN_FLAG_SYN | TERN_FLAG_ACK))
		goto drop;

	tern_learn_syn(sk, skb);
	tern_ecn_rcv_synack(sk, flags);
	tsk->rcvq_space_seq = 0;
	tsk->snd_wl2 = tsk->snd_nxt;
	rtt = tern_clean_acked(sk, tsk->snd_nxt);
	WRITE_ONCE(tsk->snd_una, tsk->snd_nxt);
	tern_rtt_handshake(sk, rtt);
	security_inet_conn_established(sk, skb);
	tsk->hs_pending = 1;
	tern_finish_connect(sk);
	tern_send_ack(sk);
	tern_push(sk);
	consume_skb(skb);
	return 0;
drop:
	kfree_skb_reason(skb, SKB_DROP_REASON_TCP_FLAGS);
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
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_RESET);
		return 0;
	}
	if (!tern_seq_acceptable(tsk, cb)) {
		/*
		 * Not from the peer whose SYN we answered: a forged SYN that
		 * took us here must not let a SYN-ACK with another initial
		 * sequence number complete the handshake.
		 */
		TERN_INC_STATS(sock_net(sk), TERN_MIB_INWINDROPS);
		tern_send_challenge_ack(sk);
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_INVALID_SEQUENCE);
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
	tern_finish_connect(sk);
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

#include "input_test.c"
