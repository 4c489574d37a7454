// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: loss detection and repair on the sending side: SACK tagging
 * (RFC 2018), RACK (RFC 8985 6.2), marking everything lost after a
 * timeout, and resending what was marked.
 *
 * What a peer sends must not make an ACK cost work in proportion to
 * what is in flight (a small MSS and a large window make that a lot):
 * a SACK block finds its first segment by a search of rtx_queue and
 * walks only what it covers, RACK walks the in-flight list from the
 * oldest sent and stops at the first segment that cannot be lost yet,
 * and resending takes segments off the lost list (see tern.h).
 */

#include "tern.h"

/*
 * The newest delivered segment is RACK's reference. A resent segment
 * delivered sooner than the minimum RTT after its resend was most
 * likely the original arriving: its send time tells nothing (RFC 8985
 * 6.2 step 2, as tcp_rack_advance()).
 */
void tern_update_rack(struct tern_sock *tsk, const struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if ((cb->sacked & TERN_SKB_RETRANS) &&
	    tern_clock_us() - cb->sent_us < tsk->min_rtt_us)
		return;
	if (cb->sent_us > tsk->rack_sent_us ||
	    (cb->sent_us == tsk->rack_sent_us &&
	     tern_after(cb->end_seq, tsk->rack_end_seq))) {
		tsk->rack_sent_us = cb->sent_us;
		tsk->rack_end_seq = cb->end_seq;
		tsk->rack_rtt_us = tern_clock_us() - cb->sent_us;
	}
}

/* The first segment of rtx_queue that ends after seq (tcp_sacktag_bsearch). */
static struct sk_buff *tern_rtx_find(const struct tern_sock *tsk, u64 seq)
{
	struct rb_node *node = tsk->rtx_queue.rb_node;
	struct sk_buff *found = NULL;

	while (node) {
		struct sk_buff *skb = rb_to_skb(node);

		if (tern_after(TERN_SKB_CB(skb)->end_seq, seq)) {
			found = skb;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return found;
}

/* The peer holds skb: off its list, over to sacked_queue. */
static void tern_sacktag_one(struct tern_sock *tsk, struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u32 len = cb->end_seq - cb->seq;

	tern_skb_unmark(tsk, skb, TERN_SKB_LOST | TERN_SKB_RETRANS_OUT);
	tern_rate_skb_delivered(tsk, skb);
	list_del_init(&skb->tcp_tsorted_anchor);
	rb_erase(&skb->rbnode, &tsk->rtx_queue);
	cb->sacked |= TERN_SKB_SACKED;
	tsk->sacked_out += len;
	tern_rtx_insert(&tsk->sacked_queue, skb);
	tern_update_rack(tsk, skb);
}

/*
 * Mark what the peer's SACK blocks cover, from block first on (a D-SACK,
 * tern_check_dsack(), tags nothing). rtx_queue holds no SACKed segment,
 * so a block visits the segments it tags and at most one more at each
 * end, however much of it was SACKed before. Returns how many segments
 * the blocks visited (the search that finds the first is O(log n) and
 * not counted).
 */
u32 tern_sacktag(struct sock *sk, const struct tern_opts *o, int first)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb, *next;
	u32 visited = 0;
	int i;

	for (i = first; i < o->nsacks; i++) {
		u64 start = o->sack[i][0], end = o->sack[i][1];

		if (!tern_before(start, end) || !tern_after(end, tsk->snd_una) ||
		    tern_after(end, tsk->snd_nxt))
			continue;
		for (skb = tern_rtx_find(tsk, start); skb; skb = next) {
			struct tern_skb_cb *cb = TERN_SKB_CB(skb);

			visited++;
			if (tern_after(cb->end_seq, end))
				break;
			next = skb_rb_next(skb);
			/* only whole segments count: one may start before */
			if (!tern_before(cb->seq, start))
				tern_sacktag_one(tsk, skb);
		}
	}
	return visited;
}

/*
 * A D-SACK (RFC 2883 4): the first block reports data that arrived twice,
 * below the cumulative ACK or inside the second block. Each says a resend
 * was not needed (or the network duplicated a segment): the resends since
 * the last reduction it covers count down toward an undo (RFC 3708, as
 * tcp_check_dsack()'s count of data already forgotten; tern_ack() tries
 * the undo once the ACK is processed), and the RACK
 * window grows a step, once a round trip (RFC 8985 6.2.4). Ranges larger
 * than a window, or more D-SACKed segments than were ever resent, are
 * not believed (tcp_dsack_seen()). Returns whether the first block was a
 * D-SACK.
 */
bool tern_check_dsack(struct sock *sk, const struct tern_opts *o, u64 ack)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 start = o->sack[0][0], end = o->sack[0][1];
	u32 segs;

	if (!o->nsacks || !tern_before(start, end))
		return false;
	if (tern_after(end, ack) &&
	    (o->nsacks < 2 || tern_before(start, o->sack[1][0]) ||
	     tern_after(end, o->sack[1][1])))
		return false;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_DSACKRECV);
	if (end - start > tsk->max_window)
		return true;
	segs = DIV_ROUND_UP(end - start, tsk->mss_cache);
	tsk->dsack_dups += segs;
	if (tsk->dsack_dups > tsk->stats.total_retrans)
		return true;
	if (!tern_before(ack, tsk->reo_wnd_seq)) {
		tsk->reo_wnd_steps = min_t(u32, tsk->reo_wnd_steps + 1, U8_MAX);
		tsk->reo_wnd_persist = TERN_REO_WND_PERSIST;
		tsk->reo_wnd_seq = tsk->snd_nxt;
	}
	if (tsk->undo_retrans > 0 && tern_after(end, tsk->undo_marker))
		tsk->undo_retrans = max_t(int, tsk->undo_retrans - segs, 0);
	return true;
}

/*
 * RACK's reordering window: a quarter of the minimum RTT, a step more for
 * each round trip that brought D-SACKs, never above the smoothed RTT
 * (RFC 8985 6.2.4, tcp_rack_reo_wnd()).
 */
u32 tern_rack_reo_wnd(const struct tern_sock *tsk)
{
	u32 wnd = tsk->min_rtt_us / 4 * tsk->reo_wnd_steps;

	return tsk->srtt_us ? min(wnd, tsk->srtt_us >> 3) : wnd;
}

/* The steps last 16 recoveries after the D-SACK that gave the last one. */
void tern_rack_recovery_begins(struct tern_sock *tsk)
{
	if (tsk->reo_wnd_persist)
		tsk->reo_wnd_persist--;
	else
		tsk->reo_wnd_steps = 1;
}

static void tern_mark_lost(struct tern_sock *tsk, struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	/* a resent copy marked lost is no longer out (tcp_mark_skb_lost) */
	tern_skb_unmark(tsk, skb, TERN_SKB_RETRANS_OUT);
	if (!(cb->sacked & TERN_SKB_LOST)) {
		cb->sacked |= TERN_SKB_LOST;
		tsk->lost_out += cb->end_seq - cb->seq;
	}
	list_move_tail(&skb->tcp_tsorted_anchor, &tsk->lost);
}

/*
 * RACK (RFC 8985 6.2): a segment sent a reordering window before the
 * most recently delivered one is lost. The in-flight list is in the
 * order sent: the walk ends at the first segment sent too late to tell,
 * and every segment it passes is marked and leaves the list. Returns
 * how many segments it visited: those it marked, and the one it stopped
 * at.
 */
u32 tern_rack_detect(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 reo_wnd = tern_rack_reo_wnd(tsk);
	struct sk_buff *skb, *tmp;
	u32 visited = 0, marked = 0;

	if (!tsk->rack_sent_us)
		return 0;
	list_for_each_entry_safe(skb, tmp, &tsk->tsorted, tcp_tsorted_anchor) {
		visited++;
		if (TERN_SKB_CB(skb)->sent_us + reo_wnd >= tsk->rack_sent_us)
			break;
		tern_mark_lost(tsk, skb);
		marked++;
	}
	if (marked) {
		tern_cc_enter_recovery(sk);
		TERN_INC_STATS(sock_net(sk), TERN_MIB_FASTRETRANS);
	}
	return visited;
}

/* Was skb sent before RACK's reference (RFC 8985 RACK_sent_after())? */
static bool tern_rack_sent_before(const struct tern_sock *tsk,
				  const struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	return cb->sent_us < tsk->rack_sent_us ||
	       (cb->sent_us == tsk->rack_sent_us &&
		tern_before(cb->end_seq, tsk->rack_end_seq));
}

/*
 * The oldest segment in flight, sent before the newest delivered one but
 * inside the reordering window, is lost once RACK.rtt + reo_wnd has
 * passed since it was sent (RFC 8985 6.2 step 5). How many us until
 * then, or 0 when there is no such segment: the reordering timer (RFC
 * 8985 6.3, as tcp_rack_reo_timeout()). Without it such a segment waited
 * for the next ACK, and at the end of a flight there is none: the
 * retransmission timeout found it.
 */
u32 tern_rack_reo_left(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;
	u64 due, now;

	skb = list_first_entry_or_null(&tsk->tsorted, struct sk_buff,
				       tcp_tsorted_anchor);
	if (!skb || !tsk->rack_sent_us || !tern_rack_sent_before(tsk, skb))
		return 0;
	due = TERN_SKB_CB(skb)->sent_us + tsk->rack_rtt_us +
	      tern_rack_reo_wnd(tsk);
	now = tern_clock_us();
	return due > now ? due - now : 1;
}

/*
 * The reordering timer fired: what was sent before the newest delivered
 * segment and has had RACK.rtt + reo_wnd since is lost (RFC 8985 6.3);
 * resend it.
 */
void tern_rack_timeout(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 reo_wnd = tern_rack_reo_wnd(tsk);
	u64 now = tern_clock_us();
	struct sk_buff *skb, *tmp;
	u32 visited = 0, marked = 0;

	list_for_each_entry_safe(skb, tmp, &tsk->tsorted, tcp_tsorted_anchor) {
		visited++;
		if (!tern_rack_sent_before(tsk, skb) ||
		    TERN_SKB_CB(skb)->sent_us + tsk->rack_rtt_us + reo_wnd > now)
			break;
		tern_mark_lost(tsk, skb);
		marked++;
	}
	TERN_ADD_STATS(sock_net(sk), TERN_MIB_SACKWALKSEGS, visited);
	if (!marked)
		return;
	tern_cc_enter_recovery(sk);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_FASTRETRANS);
	tern_retransmit_lost(sk);
}

/* Forget every SACK mark: the SACKed segments go back to rtx_queue. */
static bool tern_sack_renege(struct tern_sock *tsk)
{
	struct rb_node *node;
	bool reneged = false;

	while ((node = rb_first(&tsk->sacked_queue))) {
		struct sk_buff *skb = rb_to_skb(node);
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);

		rb_erase(node, &tsk->sacked_queue);
		cb->sacked &= ~TERN_SKB_SACKED;
		tsk->sacked_out -= cb->end_seq - cb->seq;
		tern_rtx_insert(&tsk->rtx_queue, skb);
		reneged = true;
	}
	return reneged;
}

/*
 * Every unacknowledged segment is lost: after a retransmission timeout
 * (timeout: SACK marks are forgotten too, RFC 2018 section 8, as
 * tcp_timeout_mark_lost(): the peer may have dropped what it SACKed, and
 * a mark nobody clears would keep a segment from ever being resent), or
 * after the path MTU fell (what the peer holds stays held). Once per
 * timeout or MTU drop, so a walk of all that is in flight. The lost
 * list comes out in sequence order: resending starts at the oldest.
 */
void tern_mark_all_lost(struct sock *sk, bool timeout)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;

	if (timeout && tern_sack_renege(tsk))
		TERN_INC_STATS(sock_net(sk), TERN_MIB_SACKRENEGING);
	skb_rbtree_walk(skb, &tsk->rtx_queue)
		tern_mark_lost(tsk, skb);
}

/*
 * Resend what loss detection marked, as the window allows. Every segment
 * visited is resent but the one the walk stops at. What it visited goes
 * to TernSackWalkSegs in one add, as tern_ack() adds what SACK tagging
 * and RACK visited: together, the work a peer's ACK costs.
 */
void tern_retransmit_lost(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;
	u32 visited = 0;

	/* a segment resent leaves the lost list for the in-flight one */
	while ((skb = list_first_entry_or_null(&tsk->lost, struct sk_buff,
					       tcp_tsorted_anchor))) {
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);

		visited++;
		if (!tern_cc_can_send(sk, cb->end_seq - cb->seq))
			break;
		if (tern_retransmit_skb(sk, skb))
			break;
	}
	if (visited)
		TERN_ADD_STATS(sock_net(sk), TERN_MIB_SACKWALKSEGS, visited);
}

#include "recovery_test.c"
