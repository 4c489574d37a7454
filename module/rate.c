// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: delivery-rate samples, in the spirit of tcp_rate.c (and of
 * draft-cheng-iccrg-delivery-rate-estimation). Every segment records at
 * its send how much had been delivered (acknowledged or SACKed) and
 * when; an ACK that delivers data takes the most recently sent segment
 * it delivered, and its sample is the bytes delivered since that send
 * over the longer of the interval's send phase and its ACK phase (the
 * longer one keeps ACK compression or a burst of sends from inflating
 * it). Bytes, as Tern counts in sequence space. tcp_rate.c's marking of
 * application-limited samples is not here: the latest sample is kept,
 * whatever limited it.
 *
 * The segment keeps the low 32 bits of the counters (struct tern_skb_cb
 * has no room for more): differences in u32 hold while less than 4 GiB
 * is delivered, and less than 71 minutes pass, between a send and its ACK.
 */

#include "tern.h"

/* At every (re)send, after cb->sent_us is set (tcp_rate_skb_sent). */
void tern_rate_skb_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_sock *tsk = tern_sk(sk);

	/*
	 * Nothing in flight: the interval starts with this send, or the
	 * idle time before it would count as time taken to deliver.
	 */
	if (tsk->snd_una == tsk->snd_nxt || !tsk->stats.first_tx_us) {
		tsk->stats.first_tx_us = cb->sent_us;
		tsk->stats.delivered_us = cb->sent_us;
	}
	cb->tx_delivered = tsk->stats.delivered;
	cb->tx_delivered_us = tsk->stats.delivered_us;
	cb->tx_first_us = tsk->stats.first_tx_us;
	cb->sacked |= TERN_SKB_RATE_PENDING;
}

/* An ACK begins: no sample yet (tcp_ack() zeroes its rate_sample). */
void tern_rate_ack_start(struct tern_sock *tsk)
{
	memset(&tsk->stats.rs, 0, sizeof(tsk->stats.rs));
}

/*
 * The ACK delivers skb: it is acknowledged, or SACKed (then counted
 * once, not again when acknowledged). The most recently sent segment
 * of those the ACK delivers makes the sample (tcp_rate_skb_delivered).
 */
void tern_rate_skb_delivered(struct tern_sock *tsk, struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_rate_sample *rs = &tsk->stats.rs;

	if (!(cb->sacked & TERN_SKB_RATE_PENDING))
		return;
	cb->sacked &= ~TERN_SKB_RATE_PENDING;
	rs->acked += cb->end_seq - cb->seq;
	if (rs->valid && (cb->sent_us < rs->sent_us ||
			  (cb->sent_us == rs->sent_us &&
			   !tern_after(cb->end_seq, rs->end_seq))))
		return;
	rs->valid = true;
	rs->prior_delivered = cb->tx_delivered;
	rs->prior_us = cb->tx_delivered_us;
	rs->sent_us = cb->sent_us;
	rs->end_seq = cb->end_seq;
	rs->interval_us = (u32)cb->sent_us - cb->tx_first_us;
	/* the next interval's send phase starts at this send (as TCP) */
	tsk->stats.first_tx_us = cb->sent_us;
}

/* The ACK is processed: count what it delivered, keep its sample. */
void tern_rate_gen(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_rate_sample *rs = &tsk->stats.rs;
	u64 now = tern_clock_us();
	u32 delivered, ack_us, interval;

	if (!rs->acked)
		return;
	tsk->stats.delivered += rs->acked;
	tsk->stats.delivered_us = now;
	if (!rs->valid)
		return;
	delivered = (u32)tsk->stats.delivered - rs->prior_delivered;
	ack_us = (u32)now - rs->prior_us;
	interval = max(rs->interval_us, ack_us);
	/*
	 * Less than the lowest RTT seen: the ACK was for an earlier copy of
	 * a resent segment, and the interval is too short to mean anything
	 * (tcp_rate_gen() discards it too).
	 */
	if (!interval || interval < tsk->min_rtt_us)
		return;
	tsk->stats.rate_delivered = delivered;
	tsk->stats.rate_interval_us = interval;
}

/* The latest sample in bytes per second, 0 before the first. */
u64 tern_delivery_rate(const struct tern_sock *tsk)
{
	if (!tsk->stats.rate_interval_us)
		return 0;
	return div_u64(tsk->stats.rate_delivered * USEC_PER_SEC,
		       tsk->stats.rate_interval_us);
}
