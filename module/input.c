// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: receive path from IPv4 and IPv6.
 *
 * Every segment is validated before anything looks at it: length, data
 * offset, version, ports and the checksum over the pseudo-header. Whatever
 * fails is counted in /proc/net/tern/snmp and dropped. A valid segment goes
 * to its connection or listener under the socket's spinlock, or to the
 * socket's backlog while the owner holds it (TCP's scheme); with no socket
 * it is answered with a reset.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/icmp.h>
#include <net/inet6_connection_sock.h>
#include <net/inet6_hashtables.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/ndisc.h>
#include <net/transp_v6.h>
#include <net/xfrm.h>

#include "tern.h"

enum tern_verdict {
	TERN_SEG_OK,
	TERN_SEG_HDR_ERR,
	TERN_SEG_CSUM_ERR,
};

/* Length, offset, version, ports; the header is linear afterwards. */
static enum tern_verdict tern_check_header(struct sk_buff *skb)
{
	const struct ternhdr *th;
	unsigned int hlen;

	if (!pskb_may_pull(skb, sizeof(struct ternhdr)))
		return TERN_SEG_HDR_ERR;
	th = tern_hdr(skb);
	hlen = th->doff * 4;
	if (hlen < sizeof(struct ternhdr) || hlen > skb->len)
		return TERN_SEG_HDR_ERR;
	if (th->version != TERN_VERSION || !th->source || !th->dest)
		return TERN_SEG_HDR_ERR;
	if (!pskb_may_pull(skb, hlen))
		return TERN_SEG_HDR_ERR;
	return TERN_SEG_OK;
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

/* Options: the MSS, and SACK blocks handed to a callback. */
struct tern_opts {
	u16 mss;
	int nsacks;
	u64 sack[TERN_MAX_SACKS][2];
};

static void tern_parse_options(const struct sk_buff *skb, struct tern_opts *o)
{
	const struct ternhdr *th = tern_hdr(skb);
	const u8 *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - sizeof(*th);
	int i;

	memset(o, 0, sizeof(*o));
	while (len > 0) {
		u8 kind = p[0], olen;

		if (kind == TERN_OPT_END)
			break;
		if (kind == TERN_OPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2)
			break;
		olen = p[1];
		if (olen < 2 || olen > len)
			break;
		if (kind == TERN_OPT_MSS && olen == 4) {
			/* a tiny (or zero) MSS is raised to the minimum */
			o->mss = max_t(u16, get_unaligned_be16(p + 2),
				       TERN_MIN_MSS);
		} else if (kind == TERN_OPT_SACK && (olen - 2) % 16 == 0) {
			o->nsacks = min((olen - 2) / 16, TERN_MAX_SACKS);
			for (i = 0; i < o->nsacks; i++) {
				o->sack[i][0] = get_unaligned_be64(p + 2 + 16 * i);
				o->sack[i][1] = get_unaligned_be64(p + 10 + 16 * i);
			}
		}
		p += olen;
		len -= olen;
	}
}

static u32 tern_payload_len(const struct sk_buff *skb)
{
	return skb->len - tern_hdr(skb)->doff * 4;
}

/* ---- sending side: ACK processing, SACK, loss detection ---- */

static void tern_update_rack(struct tern_sock *tsk, const struct sk_buff *skb)
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
static void tern_sacktag(struct sock *sk, const struct tern_opts *o)
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
			if (tern_after(cb->end_seq, tsk->high_sacked))
				tsk->high_sacked = cb->end_seq;
			tern_update_rack(tsk, skb);
		}
	}
}

/*
 * RACK (RFC 8985 6.2): a segment sent a reordering window before the most
 * recently delivered one is lost.
 */
static void tern_rack_detect(struct sock *sk)
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
 * Free what the peer acknowledged; returns an RTT sample or -1. The
 * sample comes from the newest segment acknowledged, and there is none
 * when a resent segment is among them (Karn): its ACK may answer either
 * copy, and the segments behind a repaired hole waited for the repair.
 */
static long tern_clean_acked(struct sock *sk, u64 ack)
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

/* Resend what loss detection marked, as the window allows. */
static void tern_retransmit_lost(struct sock *sk)
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

/* Every unacknowledged, unSACKed segment is lost (after a timeout). */
void tern_mark_all_lost(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);

		if (skb == tsk->send_head)
			break;
		if (cb->sacked & (TERN_SKB_SACKED | TERN_SKB_LOST))
			continue;
		cb->sacked |= TERN_SKB_LOST;
		tsk->lost_out += cb->end_seq - cb->seq;
	}
}

/* ---- receiving side: data, out-of-order queue, FIN ---- */

static void tern_ooo_purge(struct sock *sk)
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
static int tern_conn_rcv(struct sock *sk, struct sk_buff *skb)
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
static int tern_synsent_rcv(struct sock *sk, struct sk_buff *skb)
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
static int tern_synrecv_rcv(struct sock *sk, struct sk_buff *skb)
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
static int tern_listen_rcv(struct sock *sk, struct sk_buff *skb)
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
static int tern_tw_rcv(struct sock *sk, struct sk_buff *skb)
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
		return ret;
	case TCP_SYN_SENT:
		return tern_synsent_rcv(sk, skb);
	case TCP_SYN_RECV:
		return tern_synrecv_rcv(sk, skb);
	case TCP_CLOSE:
		if (tern_sk(sk)->tw)
			return tern_tw_rcv(sk, skb);
		tern_send_reset_reply(sock_net(sk), skb);
		kfree_skb(skb);
		return 0;
	default:
		return tern_conn_rcv(sk, skb);
	}
}

static int tern_rcv_finish(struct net *net, struct sk_buff *skb,
			   enum tern_verdict verdict)
{
	TERN_INC_STATS(net, verdict == TERN_SEG_HDR_ERR ?
		       TERN_MIB_INHDRERRORS : TERN_MIB_INCSUMERRORS);
	kfree_skb(skb);
	return 0;
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

/* IP protocol handler for IPv4 and IPv6. */
int tern_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	enum tern_verdict verdict;
	const struct ternhdr *th;
	struct sock *sk;
	int iif;

	if (skb->pkt_type != PACKET_HOST) {
		TERN_INC_STATS(net, TERN_MIB_INADDRERRORS);
		kfree_skb(skb);
		return 0;
	}
	verdict = tern_check_header(skb);
	if (verdict == TERN_SEG_OK && tern_csum_bad(skb))
		verdict = TERN_SEG_CSUM_ERR;
	if (verdict != TERN_SEG_OK)
		return tern_rcv_finish(net, skb, verdict);
	TERN_INC_STATS(net, TERN_MIB_INSEGS);

	th = tern_hdr(skb);
	if (IS_ENABLED(CONFIG_IPV6) && skb->protocol == htons(ETH_P_IPV6)) {
		iif = inet6_iif(skb);
		sk = tern_lookup_v6(net, &ipv6_hdr(skb)->saddr, th->source,
				    &ipv6_hdr(skb)->daddr, th->dest, iif);
	} else {
		iif = inet_iif(skb);
		sk = tern_lookup_v4(net, ip_hdr(skb)->saddr, th->source,
				    ip_hdr(skb)->daddr, th->dest, iif);
	}
	tern_fill_cb(skb, iif);
	/* the protocol is registered without policy: IPsec checks here */
	if (!tern_policy_ok(sk, skb)) {
		if (sk)
			sock_put(sk);
		kfree_skb(skb);
		return 0;
	}
	if (!sk) {
		TERN_INC_STATS(net, TERN_MIB_INNOSOCKET);
		tern_send_reset_reply(net, skb);
		kfree_skb(skb);
		return 0;
	}
	nf_reset_ct(skb);

	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		tern_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, 2 * READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf) + 65536)) {
		TERN_INC_STATS(net, TERN_MIB_BACKLOGDROPS);
		kfree_skb(skb);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}

/* ---- ICMP errors ---- */

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
		tern_mark_all_lost(sk);
		tern_retransmit_lost(sk);
	}
}

/*
 * Does an ICMP error quote a segment we sent and that is not yet
 * acknowledged (RFC 5927 4.1, as tcp_v4_err)? Blind errors are ignored.
 */
static bool tern_icmp_seq_ok(const struct sock *sk, u64 seq)
{
	const struct tern_sock *tsk = tern_sk(sk);

	if (!tern_before(seq, tsk->snd_una) && !tern_after(seq, tsk->snd_nxt))
		return true;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_OUTOFWINDOWICMPS);
	return false;
}

static void tern_err(struct sock *sk, int err, bool mtu, u32 info)
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
	seq = get_unaligned_be64(&th->seq);
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
	seq = get_unaligned_be64(&th->seq);
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
#endif
