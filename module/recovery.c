// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: loss detection and repair on the sending side: SACK tagging
 * (RFC 2018), RACK (RFC 8985 6.2), marking everything lost after a
 * timeout, and resending what was marked.
 */

#include "tern.h"

void tern_update_rack(struct tern_sock *tsk, const struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	if (cb->sent_us > tsk->rack_sent_us ||
	    (cb->sent_us == tsk->rack_sent_us &&
	     tern_after(cb->end_seq, tsk->rack_end_seq))) {
		tsk->rack_sent_us = cb->sent_us;
		tsk->rack_end_seq = cb->end_seq;
	}
}

/* Mark what the peer's SACK blocks cover. */
void tern_sacktag(struct sock *sk, const struct tern_opts *o)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;
	int i;

	for (i = 0; i < o->nsacks; i++) {
		u64 start = o->sack[i][0], end = o->sack[i][1];

		if (!tern_before(start, end) || !tern_after(end, tsk->snd_una) ||
		    tern_after(end, tsk->snd_nxt))
			continue;
		skb_queue_walk(&sk->sk_write_queue, skb) {
			struct tern_skb_cb *cb = TERN_SKB_CB(skb);
			u32 len = cb->end_seq - cb->seq;

			if (skb == tsk->send_head)
				break;
			if (tern_before(cb->seq, start))
				continue;
			if (tern_after(cb->end_seq, end))
				break;
			if (cb->sacked & TERN_SKB_SACKED)
				continue;
			cb->sacked |= TERN_SKB_SACKED;
			tsk->sacked_out += len;
			if (cb->sacked & TERN_SKB_LOST) {
				cb->sacked &= ~TERN_SKB_LOST;
				tsk->lost_out -= len;
			}
			tern_update_rack(tsk, skb);
		}
	}
}

/*
 * RACK (RFC 8985 6.2): a segment sent a reordering window before the most
 * recently delivered one is lost.
 */
void tern_rack_detect(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 reo_wnd = tsk->min_rtt_us / 4;
	struct sk_buff *skb;
	bool lost = false;

	if (!tsk->rack_sent_us)
		return;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);

		if (skb == tsk->send_head)
			break;
		if (cb->sacked & (TERN_SKB_SACKED | TERN_SKB_LOST))
			continue;
		if (!tern_after(tsk->rack_end_seq, cb->end_seq) ||
		    cb->sent_us + reo_wnd >= tsk->rack_sent_us)
			continue;
		cb->sacked |= TERN_SKB_LOST;
		tsk->lost_out += cb->end_seq - cb->seq;
		lost = true;
	}
	if (lost) {
		tern_cc_enter_recovery(sk);
		TERN_INC_STATS(sock_net(sk), TERN_MIB_FASTRETRANS);
	}
}

/*
 * Every unacknowledged segment is lost: after a retransmission timeout
 * (timeout: SACK marks are forgotten too, RFC 2018 section 8, as
 * tcp_timeout_mark_lost(): the peer may have dropped what it SACKed, and
 * a mark nobody clears would keep a segment from ever being resent), or
 * after the path MTU fell (what the peer holds stays held).
 */
void tern_mark_all_lost(struct sock *sk, bool timeout)
{
	struct tern_sock *tsk = tern_sk(sk);
	bool reneged = false;
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);
		u32 len = cb->end_seq - cb->seq;

		if (skb == tsk->send_head)
			break;
		if (timeout && (cb->sacked & TERN_SKB_SACKED)) {
			cb->sacked &= ~TERN_SKB_SACKED;
			tsk->sacked_out -= len;
			reneged = true;
		}
		if (cb->sacked & (TERN_SKB_SACKED | TERN_SKB_LOST))
			continue;
		cb->sacked |= TERN_SKB_LOST;
		tsk->lost_out += len;
	}
	if (reneged)
		TERN_INC_STATS(sock_net(sk), TERN_MIB_SACKRENEGING);
}

/* Resend what loss detection marked, as the window allows. */
void tern_retransmit_lost(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;

	if (!tsk->lost_out)
		return;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);

		if (skb == tsk->send_head)
			break;
		if (!(cb->sacked & TERN_SKB_LOST))
			continue;
		if (!tern_cc_can_send(sk, cb->end_seq - cb->seq))
			break;
		if (tern_retransmit_skb(sk, skb))
			break;
	}
}

#include "recovery_test.c"
