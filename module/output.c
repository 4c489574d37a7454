// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: output. Segments on the write queue stay there until they are
 * acknowledged; what goes to IP is a clone with the header pushed in
 * front. Replies without a connection (resets, SYN-ACKs with a cookie) go
 * out through the namespace's control sockets.
 */

#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>

#include "tern.h"
#include "trace.h"

/*
 * The one MSS formula: payload that fits an MTU behind hdrs bytes of
 * network headers, no more than max_seg (TERN_MAXSEG) when set.
 */
static int tern_mss_for_mtu(int mtu, int hdrs, u32 max_seg)
{
	int mss = mtu - hdrs - (int)sizeof(struct ternhdr);

	if (max_seg)
		mss = min_t(int, mss, max_seg);
	return clamp_t(int, mss, TERN_MIN_MSS, TERN_MAX_SEG);
}

/* Payload per segment for a path MTU (also IP's icsk_sync_mss hook). */
unsigned int tern_sync_mss(struct sock *sk, u32 pmtu)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tern_sock *tsk = tern_sk(sk);
	int mss;

	mss = tern_mss_for_mtu(pmtu, icsk->icsk_af_ops->net_header_len +
			       icsk->icsk_ext_hdr_len, tsk->max_seg);
	/*
	 * The peer's MSS, but never below net.tern.min_snd_mss (as TCP's
	 * tcp_min_snd_mss): a peer announcing a tiny MSS would make us cut
	 * everything into tiny segments, and every ACK walk over them.
	 */
	if (tsk->peer_mss)
		mss = min_t(int, mss,
			    max_t(int, tsk->peer_mss,
				  READ_ONCE(tern_pernet(sock_net(sk))->min_snd_mss)));
	icsk->icsk_pmtu_cookie = pmtu;
	tsk->mss_cache = mss;
	return mss;
}

void tern_sync_mss_now(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);

	if (dst)
		tern_sync_mss(sk, dst_mtu(dst));
}

/* The MSS we announce: what our side of the path can take. */
u16 tern_advmss(struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get(sk);

	return tern_mss_for_mtu(dst ? dst_mtu(dst) : IPV6_MIN_MTU,
				inet_csk(sk)->icsk_af_ops->net_header_len,
				tern_sk(sk)->max_seg);
}

/* Payload bytes the receive buffer can still take. */
int tern_rcv_space(const struct sock *sk)
{
	int free = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);

	return max(free, 0) / 2;
}

/*
 * SOCK_SEQPACKET: the longest message the receive buffer can ever hold,
 * in payload: the window an empty buffer offers (tern_rcv_space()) at the
 * largest the buffer may get, the SO_RCVBUF the user locked (which is
 * then exactly what the user asked for) or the autotuning maximum.
 */
u32 tern_msg_limit(const struct sock *sk)
{
	int max = (sk->sk_userlocks & SOCK_RCVBUF_LOCK) ?
		  READ_ONCE(sk->sk_rcvbuf) : sk->sk_prot->sysctl_rmem[2];

	return max / 2;
}

/*
 * SOCK_SEQPACKET: while the message being received is all there is left
 * to read, its reader can free nothing until it ends, so what it holds is
 * counted in payload, not truesize: the window may always reach its start
 * plus what an empty buffer of the present size offers (at most
 * tern_msg_limit()). Whatever its segments cost, a message that fits is
 * never stuck behind a window it filled itself; tern_msg_collapse() keeps
 * their cost near their length. 0 when no message is being received, or
 * something before it is still to be read (reading that makes room).
 */
u64 tern_msg_edge(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);
	u64 start = READ_ONCE(tsk->rcv_eor);

	if (!tern_seqpacket(sk) || READ_ONCE(tsk->fin_rcvd) ||
	    READ_ONCE(tsk->copied_seq) != start ||
	    READ_ONCE(tsk->rcv_nxt) == start)
		return 0;
	return start + min_t(u32, READ_ONCE(sk->sk_rcvbuf) / 2,
			     tern_msg_limit(sk));
}

/*
 * The window to announce. It never shrinks (the right edge only moves
 * right), and it only grows by a useful amount (receiver-side silly window
 * avoidance, RFC 1122 4.2.3.3), or to the edge a SOCK_SEQPACKET message
 * is owed (tern_msg_edge(): one step per message, not a silly window).
 */
u32 tern_select_window(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 edge = tsk->rcv_wup + tsk->rcv_wnd;
	u32 space = tern_rcv_space(sk);
	u64 new_edge = tsk->rcv_nxt + space;
	u64 msg_edge = tern_msg_edge(sk);

	if (tern_after(edge, tsk->rcv_nxt) &&
	    (tern_before(new_edge, edge) ||
	     new_edge - edge < min_t(u32, tsk->mss_cache,
				     READ_ONCE(sk->sk_rcvbuf) / 4)))
		new_edge = edge;
	if (msg_edge && tern_after(msg_edge, new_edge))
		new_edge = msg_edge;
	tsk->rcv_wnd = new_edge - tsk->rcv_nxt;
	tsk->rcv_wup = tsk->rcv_nxt;
	return tsk->rcv_wnd;
}

static void tern_v4_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr)
{
	struct ternhdr *th = tern_hdr(skb);

	th->check = 0;
	th->check = csum_tcpudp_magic(saddr, daddr, skb->len, IPPROTO_TERN,
				      csum_partial(th, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
}

static void tern_v6_checksum(struct sk_buff *skb, const struct in6_addr *saddr,
			     const struct in6_addr *daddr)
{
	struct ternhdr *th = tern_hdr(skb);

	th->check = 0;
	th->check = csum_ipv6_magic(saddr, daddr, skb->len, IPPROTO_TERN,
				    csum_partial(th, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * A GSO head carries the pseudo-header sum alone, for its whole length
 * (tern_gso_segment() swaps in each segment's): a software device hands
 * it on partial, as TCP's, and the receiver takes that as checked.
 */
static void tern_gso_checksum(struct sock *sk, struct sk_buff *skb)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct ternhdr *th = tern_hdr(skb);

	if (inet_csk(sk)->icsk_af_ops->net_header_len == sizeof(struct iphdr))
		th->check = ~csum_tcpudp_magic(inet->inet_saddr,
					       inet->inet_daddr, skb->len,
					       IPPROTO_TERN, 0);
	else
		th->check = ~csum_ipv6_magic(&inet6_sk(sk)->saddr,
					     &sk->sk_v6_daddr, skb->len,
					     IPPROTO_TERN, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct ternhdr, check);
}

static void tern_checksum(struct sock *sk, struct sk_buff *skb)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (skb_is_gso(skb))
		tern_gso_checksum(sk, skb);
	else if (inet_csk(sk)->icsk_af_ops->net_header_len ==
		 sizeof(struct iphdr))
		tern_v4_checksum(skb, inet->inet_saddr, inet->inet_daddr);
	else
		tern_v6_checksum(skb, &inet6_sk(sk)->saddr, &sk->sk_v6_daddr);
}

/*
 * TSQ, as TCP's small queues (tcp_small_queue_check(), tcp_wfree()):
 * what a socket has below it, in qdiscs and device queues, is held to
 * about two bursts. Its sent copies are charged to sk_wmem_alloc until
 * they are freed; past the limit the rest waits in the write queue,
 * still under cwnd and the window, and goes once a copy is freed (the
 * work below). Without it one flow filled a shared bottleneck's qdisc to
 * its cwnd and crowded the others out: a TCP flow that keeps one
 * millisecond there lost to it at every drop (bench fairness, Jain 0.57).
 */
#define TERN_TSQ_MAX	(16 * 65536)	/* TCP's tcp_limit_output_bytes */

static struct workqueue_struct *tern_tsq_wq;

static void tern_tsq_work(struct work_struct *work)
{
	struct tern_sock *tsk = container_of(work, struct tern_sock, tsq_work);
	struct sock *sk = (struct sock *)tsk;

	lock_sock(sk);
	/* from here a freed copy may queue the work again */
	clear_bit(TSQ_QUEUED, &sk->sk_tsq_flags);
	tern_push(sk);
	release_sock(sk);
	sk_free(sk);	/* the byte tern_wfree() kept */
}

/*
 * A sent copy is freed. If the socket waits for that (TSQ_THROTTLED),
 * the work sends; one byte of the copy's charge keeps the socket (whose
 * sk_free() waits for sk_wmem_alloc) until it has run.
 */
static void tern_wfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	unsigned long oval, nval;

	/* pairs with the barrier in tern_tsq_throttled() */
	oval = smp_load_acquire(&sk->sk_tsq_flags);
	do {
		if (!(oval & TSQF_THROTTLED) || (oval & TSQF_QUEUED)) {
			sock_wfree(skb);
			return;
		}
		nval = (oval & ~TSQF_THROTTLED) | TSQF_QUEUED;
	} while (!try_cmpxchg(&sk->sk_tsq_flags, &oval, nval));
	WARN_ON_ONCE(refcount_sub_and_test(skb->truesize - 1,
					   &sk->sk_wmem_alloc));
	if (!queue_work(tern_tsq_wq, &tern_sk(sk)->tsq_work))
		sk_free(sk);
}

/* skb_set_owner_w(), freed through tern_wfree() */
static void tern_set_owner_w(struct sk_buff *skb, struct sock *sk)
{
	skb_orphan(skb);
	skb->sk = sk;
	skb->destructor = tern_wfree;
	skb_set_hash_from_sk(skb, sk);
	refcount_add(skb->truesize, &sk->sk_wmem_alloc);
}

/*
 * Must the next burst wait for copies below to be freed? The limit is
 * two bursts of goal bytes of payload, in truesize (about twice the
 * payload), at most TERN_TSQ_MAX. With nothing in flight it never waits:
 * no copy of ours is there to be freed.
 */
static bool tern_tsq_throttled(struct sock *sk, u32 goal)
{
	const struct tern_sock *tsk = tern_sk(sk);
	u32 limit = min_t(u32, 4 * goal, TERN_TSQ_MAX);

	if (refcount_read(&sk->sk_wmem_alloc) <= limit ||
	    tsk->snd_una == tsk->snd_nxt)
		return false;
	set_bit(TSQ_THROTTLED, &sk->sk_tsq_flags);
	/*
	 * a copy freed before the bit was set did not see it: look again
	 * (pairs with the acquire in tern_wfree())
	 */
	smp_mb__after_atomic();
	return refcount_read(&sk->sk_wmem_alloc) > limit;
}

void tern_tsq_init_sock(struct sock *sk)
{
	INIT_WORK(&tern_sk(sk)->tsq_work, tern_tsq_work);
	sk->sk_tsq_flags = 0;
}

int tern_tsq_init(void)
{
	tern_tsq_wq = alloc_workqueue("tern_tsq", 0, 0);
	return tern_tsq_wq ? 0 : -ENOMEM;
}

/* after every socket: a work that freed its socket may still be running */
void tern_tsq_exit(void)
{
	destroy_workqueue(tern_tsq_wq);
}

/*
 * Push the header onto skb (owned by us: a clone or a fresh control
 * segment) and hand it to IP. fresh: new data, sent for the first time.
 */
static int tern_xmit(struct sock *sk, struct sk_buff *skb, u8 flags, u64 seq,
		     bool fresh)
{
	u16 segs = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1;
	struct tern_sock *tsk = tern_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	u8 opt[TERN_MAX_OPT_LEN];
	struct ternhdr *th;
	int room, olen, err;

	room = TERN_MAX_OPT_LEN;
	if (skb->len) {
		room = min_t(int, room,
			     (int)tsk->mss_cache - (int)skb->len);
		/* the payload, before the header goes on (tcp_event_data_sent) */
		tsk->stats.data_segs_out += segs;
		tsk->stats.bytes_sent += skb->len;
		tsk->stats.data_sent_stamp = get_jiffies_64();
	}
	tern_pacing_stamp(sk, skb);
	flags |= tern_ecn_send(sk, skb, flags, fresh);
	room = max(room, 0);
	olen = tern_write_options(sk, opt, flags, room, tern_advmss(sk));

	th = skb_push(skb, sizeof(*th) + olen);
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	memcpy(th + 1, opt, olen);
	th->source = inet->inet_sport;
	th->dest = inet->inet_dport;
	th->doff = (sizeof(*th) + olen) / 4;
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= TERN_FLAG_ACK;
	th->flags = flags;
	th->seq = cpu_to_be64(seq);
	th->window = htonl(tern_select_window(sk));
	th->version = TERN_VERSION;
	if (flags & TERN_FLAG_ACK) {
		th->ack_seq = cpu_to_be64(tsk->rcv_nxt);
		tsk->ack_pending = 0;
		if (inet_csk(sk)->icsk_ack.pending & ICSK_ACK_TIMER) {
			inet_csk(sk)->icsk_ack.pending = 0;
			sk_stop_timer(sk, &inet_csk(sk)->icsk_delack_timer);
		}
	}
	tern_checksum(sk, skb);

	memset(skb->cb, 0, sizeof(skb->cb));
	skb->protocol = inet_csk(sk)->icsk_af_ops->net_header_len ==
			sizeof(struct iphdr) ? htons(ETH_P_IP) : htons(ETH_P_IPV6);
	tern_set_owner_w(skb, sk);
	skb->priority = READ_ONCE(sk->sk_priority);
	skb->mark = READ_ONCE(sk->sk_mark);

	TERN_ADD_STATS(sock_net(sk), TERN_MIB_OUTSEGS, segs);
	tsk->stats.segs_out += segs;
	if (flags & TERN_FLAG_RST)
		TERN_INC_STATS(sock_net(sk), TERN_MIB_OUTRSTS);
	err = inet_csk(sk)->icsk_af_ops->queue_xmit(sk, skb, &inet->cork.fl);
	return net_xmit_eval(err);
}

/* Put a sent segment into rtx_queue or sacked_queue, by sequence number. */
void tern_rtx_insert(struct rb_root *root, struct sk_buff *skb)
{
	struct rb_node **p = &root->rb_node, *parent = NULL;
	u64 seq = TERN_SKB_CB(skb)->seq;

	while (*p) {
		parent = *p;
		if (tern_before(seq, TERN_SKB_CB(rb_to_skb(parent))->seq))
			p = &parent->rb_left;
		else
			p = &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, root);
}

/* The oldest segment sent and not acknowledged, SACKed or not, or NULL. */
struct sk_buff *tern_rtx_head(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb = skb_rb_first(&tsk->rtx_queue);
	struct sk_buff *sacked = skb_rb_first(&tsk->sacked_queue);

	if (!skb || (sacked && tern_before(TERN_SKB_CB(sacked)->seq,
					   TERN_SKB_CB(skb)->seq)))
		return sacked;
	return skb;
}

/* Free a sent segment (acknowledged, or the socket is going away). */
void tern_rtx_unlink_free(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);

	list_del(&skb->tcp_tsorted_anchor);
	/* the anchor lives where the dst and destructor do: clear them */
	skb->_skb_refdst = 0UL;
	skb->destructor = NULL;
	rb_erase(&skb->rbnode, TERN_SKB_CB(skb)->sacked & TERN_SKB_SACKED ?
			       &tsk->sacked_queue : &tsk->rtx_queue);
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	__kfree_skb(skb);
}

/* The rest of a split segment goes where the segment is, right after it. */
static void tern_queue_after(struct sock *sk, struct sk_buff *skb,
			     struct sk_buff *nskb)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (!tern_before(TERN_SKB_CB(skb)->seq, tsk->snd_nxt)) {
		__skb_queue_after(&sk->sk_write_queue, skb, nskb);
		return;
	}
	/* sent: same tree, and sent at the same time, lost or not alike */
	tern_rtx_insert(TERN_SKB_CB(skb)->sacked & TERN_SKB_SACKED ?
			&tsk->sacked_queue : &tsk->rtx_queue, nskb);
	if (list_empty(&skb->tcp_tsorted_anchor))
		INIT_LIST_HEAD(&nskb->tcp_tsorted_anchor);
	else
		list_add(&nskb->tcp_tsorted_anchor, &skb->tcp_tsorted_anchor);
}

/*
 * Cut a segment after len payload bytes (the path MTU fell, or the
 * window takes only part of it); the rest becomes the next segment,
 * sent or not as the segment was. Message ends move with it.
 */
int tern_split_skb(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u32 rest = skb->len - len;
	struct sk_buff *nskb;

	nskb = alloc_skb_fclone(MAX_TERN_HEADER + rest, GFP_ATOMIC);
	if (!nskb)
		return -ENOMEM;
	if (!sk_wmem_schedule(sk, nskb->truesize)) {
		__kfree_skb(nskb);
		return -ENOMEM;
	}
	skb_reserve(nskb, MAX_TERN_HEADER);
	skb_put_data(nskb, skb->data + len, rest);
	*TERN_SKB_CB(nskb) = *cb;
	TERN_SKB_CB(nskb)->seq = cb->seq + len;
	cb->end_seq = cb->seq + len;
	cb->flags &= ~TERN_FLAG_EOR;
	skb_trim(skb, len);
	sk_wmem_queued_add(sk, nskb->truesize);
	sk_mem_charge(sk, nskb->truesize);
	tern_queue_after(sk, skb, nskb);
	return 0;
}

/*
 * The copy of a segment of the write queue that goes to IP, no larger
 * than the MSS; its send time noted. NULL: no memory.
 */
static struct sk_buff *tern_copy_for_xmit(struct sock *sk, struct sk_buff *skb,
					  gfp_t gfp)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	unsigned long refdst;
	struct sk_buff *nskb;

	/* the path MTU fell since it was queued: never send it oversized */
	if (unlikely(skb->len > tern_sk(sk)->mss_cache) &&
	    tern_split_skb(sk, skb, tern_sk(sk)->mss_cache))
		return NULL;
	if (!cb->first_tx)
		cb->first_tx = jiffies | 1;
	/*
	 * skb->tcp_tsorted_anchor shares its room with the dst: the copy
	 * must not take it for one (tcp_skb_tsorted_save() does the same).
	 */
	refdst = skb->_skb_refdst;
	skb->_skb_refdst = 0UL;
	if (unlikely(skb_cloned(skb)))
		nskb = pskb_copy(skb, gfp);
	else
		nskb = skb_clone(skb, gfp);
	skb->_skb_refdst = refdst;
	if (!nskb)
		return NULL;
	/* skb->dev of a segment in an rb-tree is its rbnode.rb_left */
	nskb->dev = NULL;
	cb->sent_us = tern_clock_us();
	tern_rate_skb_sent(sk, skb);
	return nskb;
}

/* Send (a copy of) a segment of the write queue, no larger than the MSS. */
static int tern_transmit_skb(struct sock *sk, struct sk_buff *skb, gfp_t gfp)
{
	struct sk_buff *nskb = tern_copy_for_xmit(sk, skb, gfp);

	if (!nskb)
		return -ENOBUFS;
	return tern_xmit(sk, nskb, TERN_SKB_CB(skb)->flags,
			 TERN_SKB_CB(skb)->seq, false);
}

int tern_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_sock *tsk = tern_sk(sk);
	int err;

	if (cb->flags & TERN_FLAG_SYN)
		tern_ecn_syn_resent(skb);
	err = tern_transmit_skb(sk, skb, GFP_ATOMIC);
	if (err)
		return err;
	tern_skb_unmark(tsk, skb, TERN_SKB_LOST);
	cb->sacked |= TERN_SKB_RETRANS;
	/* counted once while a resent copy is out (TCPCB_SACKED_RETRANS) */
	if (!(cb->sacked & TERN_SKB_RETRANS_OUT)) {
		cb->sacked |= TERN_SKB_RETRANS_OUT;
		tsk->stats.retrans_out += cb->end_seq - cb->seq;
	}
	/* in flight again, and the newest sent (RFC 8985 6.1) */
	list_move_tail(&skb->tcp_tsorted_anchor, &tsk->tsorted);
	/* one more the peer must D-SACK for an undo (tcp_retransmit_skb()) */
	if (tsk->prior_ssthresh)
		tsk->undo_retrans = max(tsk->undo_retrans, 0) + 1;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_RETRANSSEGS);
	tsk->stats.total_retrans++;
	tsk->stats.bytes_retrans += skb->len;
	trace_tern_retransmit_skb(sk, skb);
	return 0;
}

/* Nagle: hold a small segment while data is unacknowledged. */
static bool tern_nagle_holds(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);

	return !tsk->nodelay && cb->end_seq - cb->seq < tsk->mss_cache &&
	       !(cb->flags & TERN_FLAG_FIN) && tsk->snd_nxt != tsk->snd_una &&
	       skb_queue_is_last(&sk->sk_write_queue, skb);
}

/* New data went out: from the send queue to rtx_queue, in flight. */
static void tern_new_data_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);

	__skb_unlink(skb, &sk->sk_write_queue);
	tern_rtx_insert(&tsk->rtx_queue, skb);
	list_add_tail(&skb->tcp_tsorted_anchor, &tsk->tsorted);
	WRITE_ONCE(tsk->snd_nxt, TERN_SKB_CB(skb)->end_seq);
}

/*
 * New segments going out together: the copies of consecutive segments
 * of the write queue, linked by ->next, sent as one GSO skb (offload.c)
 * when the route takes one.
 */
struct tern_burst {
	struct sk_buff	*first;
	struct sk_buff	*last;
	u64		seq;	/* of the first */
	u32		len;	/* payload in all */
	u32		goal;	/* the most payload it may take */
	u16		segs;
};

/*
 * The most one burst may carry: about a millisecond of data at the
 * pacing rate (pacing.c: cwnd per srtt, twice in slow start), as TCP
 * sizes its TSO skbs (tcp_tso_autosize()), at least two segments, at
 * most what the route's GSO takes. On a slow path the 44 segments of a
 * 64 KB burst reach the bottleneck's queue in one train, and a drop
 * there takes them all at once: one loss event where TCP's smaller skbs
 * would have shown the loss segment by segment.
 */
static u32 tern_burst_goal(struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);
	unsigned long rate = READ_ONCE(sk->sk_pacing_rate);
	u32 max = min_t(u32, READ_ONCE(sk->sk_gso_max_size), TERN_GSO_MAX_SIZE) -
		  MAX_TERN_HEADER;

	if (rate == ~0UL)
		return max;
	return clamp_t(unsigned long, rate >> READ_ONCE(sk->sk_pacing_shift),
		       2 * tsk->mss_cache, max);
}

/*
 * The burst's copies under a head that carries only the header. Its
 * headroom is the least a data segment has (TERN_MIN_HEADROOM): cut in
 * software, each wire segment takes the head's headers and headroom in
 * front of a copy's payload (skb_segment()), and more than the copy has
 * would move it to a buffer of the next kmalloc size.
 */
static struct sk_buff *tern_burst_gso_skb(struct sock *sk,
					  const struct tern_burst *b)
{
	struct sk_buff *head = alloc_skb(TERN_MIN_HEADROOM, GFP_ATOMIC), *iter;

	if (!head)
		return NULL;
	skb_reserve(head, TERN_MIN_HEADROOM);
	skb_shinfo(head)->frag_list = b->first;
	skb_walk_frags(head, iter) {
		head->len += iter->len;
		head->data_len += iter->len;
		head->truesize += iter->truesize;
	}
	skb_shinfo(head)->gso_type = SKB_GSO_SCTP;
	skb_shinfo(head)->gso_size = GSO_BY_FRAGS;
	skb_shinfo(head)->gso_segs = b->segs;
	return head;
}

static void tern_burst_flush(struct sock *sk, struct tern_burst *b)
{
	u8 flags = b->first ? TERN_SKB_CB(b->last)->flags : 0;
	struct sk_buff *skb = b->first, *head;

	if (!skb)
		return;
	head = b->segs > 1 ? tern_burst_gso_skb(sk, b) : NULL;
	b->first = NULL;
	if (head) {
		tern_xmit(sk, head, flags, b->seq, true);
		return;
	}
	/* one segment, or no memory for a head: each on its own */
	while (skb) {
		struct sk_buff *next = skb->next;

		skb->next = NULL;
		tern_xmit(sk, skb, TERN_SKB_CB(skb)->flags,
			  TERN_SKB_CB(skb)->seq, true);
		skb = next;
	}
}

/* Can nskb, carrying payload, join the burst (one GSO skb, in order)? */
static bool tern_burst_takes(struct sock *sk, const struct tern_burst *b,
			     const struct sk_buff *nskb)
{
	return b->first && nskb->len && b->len && sk_can_gso(sk) &&
	       b->len + nskb->len <= b->goal &&
	       b->segs < READ_ONCE(sk->sk_gso_max_segs);
}

/*
 * Add a copy of a new segment to the burst. A segment that ends a
 * message or the stream ends the burst: only a burst's last segment
 * keeps those flags (tern_gso_segment()).
 */
static int tern_burst_add(struct sock *sk, struct tern_burst *b,
			  struct sk_buff *skb, gfp_t gfp)
{
	struct sk_buff *nskb = tern_copy_for_xmit(sk, skb, gfp);

	if (!nskb)
		return -ENOBUFS;
	if (tern_burst_takes(sk, b, nskb)) {
		b->last->next = nskb;
	} else {
		tern_burst_flush(sk, b);
		b->first = nskb;
		b->seq = TERN_SKB_CB(skb)->seq;
		b->len = 0;
		b->segs = 0;
	}
	b->last = nskb;
	b->len += nskb->len;
	b->segs++;
	if (TERN_SKB_CB(skb)->flags & (TERN_FLAG_EOR | TERN_FLAG_FIN))
		tern_burst_flush(sk, b);
	return 0;
}

/* Send what the window, cwnd and Nagle allow. */
void tern_push(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	bool sent = false, rwnd_limited = false;
	struct tern_burst burst = {};
	struct sk_buff *skb;

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_CLOSE | TCPF_LISTEN))
		return;
	burst.goal = tern_burst_goal(sk);
	while ((skb = tern_send_head(sk))) {
		struct tern_skb_cb *cb = TERN_SKB_CB(skb);
		u32 len = cb->end_seq - cb->seq;

		if (!(cb->flags & TERN_FLAG_FIN) || skb->len) {
			u64 wnd_end = tsk->snd_una + tsk->snd_wnd;
			u64 avail = tern_after(wnd_end, cb->seq) ?
				    wnd_end - cb->seq : 0;

			/*
			 * Sender silly window avoidance (RFC 1122 4.2.3.4):
			 * fill a window that is at least half the largest.
			 */
			if (tern_after(cb->end_seq, wnd_end) && avail &&
			    avail >= max(tsk->max_window / 2, 1U) &&
			    avail < skb->len && !tern_split_skb(sk, skb, avail))
				len = cb->end_seq - cb->seq;
			if (tern_after(cb->end_seq, wnd_end)) {
				rwnd_limited = true;
				if (tsk->snd_nxt == tsk->snd_una &&
				    tsk->timer_kind == TERN_TIMER_NONE)
					tern_arm_timer(sk, TERN_TIMER_PROBE,
						       inet_csk(sk)->icsk_rto);
				break;
			}
			if (!tern_cc_can_send(sk, len))
				break;
			if (tern_nagle_holds(sk, skb))
				break;
		}
		/* a new burst starts: is it its time, is there room below? */
		if ((!burst.first || burst.len + skb->len > burst.goal) &&
		    (tern_pacing_wait(sk) ||
		     tern_tsq_throttled(sk, burst.goal)))
			break;
		if (tern_burst_add(sk, &burst, skb,
				   sk_gfp_mask(sk, GFP_ATOMIC))) {
			/*
			 * Not sent (no route, no memory). With nothing in
			 * flight no ACK will come: the probe timer retries,
			 * backs off and gives up as a retransmission would.
			 */
			if (tsk->snd_nxt == tsk->snd_una &&
			    tsk->timer_kind == TERN_TIMER_NONE)
				tern_arm_timer(sk, TERN_TIMER_PROBE,
					       inet_csk(sk)->icsk_rto);
			break;
		}
		tern_new_data_sent(sk, skb);
		sent = true;
	}
	tern_burst_flush(sk, &burst);
	/* a running timeout, or the reordering timer, stays (RFC 6298 5.1) */
	if (sent && tsk->timer_kind != TERN_TIMER_RTO &&
	    tsk->timer_kind != TERN_TIMER_REO)
		tern_rearm_rto(sk);
	/* as tcp_write_xmit() */
	if (rwnd_limited)
		tern_chrono_start(sk, TERN_CHRONO_RWND_LIMITED);
	else
		tern_chrono_stop(sk, TERN_CHRONO_RWND_LIMITED);
	tern_chrono_sndbuf_check(sk);
}

/*
 * Chronographs, as tcp_chrono_start() and tcp_chrono_stop(): while there
 * is data to send or acknowledge one runs, the one of the highest
 * priority among the limits that hold (TERN_CHRONO_*); TERN_INFO reports
 * their sums, busy_time being all three. In microseconds: a transfer on
 * a fast path can be over within a jiffy.
 */
static void tern_chrono_set(struct tern_sock *tsk, int type)
{
	struct tern_stats *st = &tsk->stats;
	u64 now = tern_clock_us();

	if (st->chrono_type > TERN_CHRONO_NONE)
		st->chrono_stat[st->chrono_type - 1] += now - st->chrono_start;
	st->chrono_start = now;
	st->chrono_type = type;
}

void tern_chrono_start(struct sock *sk, int type)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (type > tsk->stats.chrono_type)
		tern_chrono_set(tsk, type);
}

/* Nothing left to send or to be acknowledged, or never will be. */
static bool tern_chrono_idle(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	return sk->sk_state == TCP_CLOSE ||
	       (!tern_send_head(sk) && RB_EMPTY_ROOT(&tsk->rtx_queue) &&
		RB_EMPTY_ROOT(&tsk->sacked_queue));
}

/* A limit ended: back to busy, or to none when all is done. */
void tern_chrono_stop(struct sock *sk, int type)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tern_chrono_idle(sk)) {
		if (tsk->stats.chrono_type != TERN_CHRONO_NONE)
			tern_chrono_set(tsk, TERN_CHRONO_NONE);
	} else if (type == tsk->stats.chrono_type) {
		tern_chrono_set(tsk, TERN_CHRONO_BUSY);
	}
}

/*
 * Everything queued is sent and awaits its ACK, and the writer waits for
 * room (SOCK_NOSPACE): the send buffer is the limit (the test of
 * tcp_cwnd_validate()). An ACK that makes room ends it (tern_ack()).
 */
void tern_chrono_sndbuf_check(struct sock *sk)
{
	if (!tern_send_head(sk) && !tern_chrono_idle(sk) && sk->sk_socket &&
	    test_bit(SOCK_NOSPACE, &sk->sk_socket->flags) &&
	    (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
		tern_chrono_start(sk, TERN_CHRONO_SNDBUF_LIMITED);
}

static struct sk_buff *tern_alloc_ctl(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(MAX_TERN_HEADER, gfp);

	if (skb)
		skb_reserve(skb, MAX_TERN_HEADER);
	return skb;
}

/* An ACK with the current window (and SACK blocks), not queued. */
void tern_send_ack(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;

	if (sk->sk_state == TCP_CLOSE || sk->sk_state == TCP_LISTEN)
		return;
	skb = tern_alloc_ctl(sk, GFP_ATOMIC);
	if (!skb) {
		tern_schedule_ack(sk);
		return;
	}
	tern_xmit(sk, skb, 0, tsk->snd_nxt, false);
}

/*
 * Zero-window probe and keepalive: a segment with an old sequence number,
 * which the peer must answer with an ACK carrying its window.
 */
void tern_send_probe(struct sock *sk)
{
	struct sk_buff *skb = tern_alloc_ctl(sk, GFP_ATOMIC);

	if (skb)
		tern_xmit(sk, skb, 0, tern_sk(sk)->snd_una - 1, false);
}

void tern_send_active_reset(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb = tern_alloc_ctl(sk, gfp);

	if (!skb)
		return;
	trace_tern_send_reset(sk, NULL);
	tern_xmit(sk, skb, TERN_FLAG_RST, tern_sk(sk)->snd_nxt, false);
}

/* Queue a control segment (SYN, FIN) that takes one sequence number. */
static struct sk_buff *tern_queue_ctl(struct sock *sk, u8 flags, gfp_t gfp)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;

	skb = alloc_skb_fclone(MAX_TERN_HEADER, gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_TERN_HEADER);
	TERN_SKB_CB(skb)->seq = tsk->write_seq;
	TERN_SKB_CB(skb)->end_seq = tsk->write_seq + 1;
	TERN_SKB_CB(skb)->flags = flags;
	TERN_SKB_CB(skb)->sacked = 0;
	TERN_SKB_CB(skb)->first_tx = 0;
	if (!sk_wmem_schedule(sk, skb->truesize)) {
		kfree_skb(skb);
		return NULL;
	}
	WRITE_ONCE(tsk->write_seq, tsk->write_seq + 1);
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	__skb_queue_tail(&sk->sk_write_queue, skb);
	return skb;
}

int tern_send_syn(struct sock *sk)
{
	struct sk_buff *skb;

	skb = tern_queue_ctl(sk, TERN_FLAG_SYN | tern_ecn_syn_flags(sk),
			     sk->sk_allocation);
	if (!skb)
		return -ENOBUFS;
	tern_new_data_sent(sk, skb);
	tern_transmit_skb(sk, skb, sk->sk_allocation);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_ACTIVEOPENS);
	tern_rearm_rto(sk);
	return 0;
}

void tern_send_fin(struct sock *sk, gfp_t gfp)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tsk->fin_queued)
		return;
	if (!tern_queue_ctl(sk, TERN_FLAG_FIN, gfp)) {
		/* No memory for a FIN: end it with a reset instead. */
		tern_send_active_reset(sk, gfp);
		tern_done(sk);
		return;
	}
	tsk->fin_queued = 1;
	tern_push(sk);
}

/*
 * Replies for which there is no socket: a reset, a listener's SYN-ACK
 * (the cookie is its sequence number), a TIME_WAIT's ACK. The reply
 * mirrors the segment's addresses and goes out through the control
 * socket.
 */
struct tern_reply {
	u8	flags;
	u64	seq;
	u64	ack;
	u32	window;
	u32	max_seg;	/* SYN-ACK: the listener's TERN_MAXSEG */
	__be16	sport;		/* ours */
	__be16	dport;		/* the peer's */
	u32	mark;		/* routing mark */
	int	oif;		/* a bound device to leave by (TIME_WAIT), or 0 */
	int	iif;		/* where the peer was heard: IPv6 link-local */
};

/* The reply's header; its MSS option (SYN) from the route's MTU. */
static struct sk_buff *tern_reply_build(const struct tern_reply *r,
					const struct dst_entry *dst, int nhlen)
{
	int hlen = sizeof(struct ternhdr) + ((r->flags & TERN_FLAG_SYN) ? 4 : 0);
	struct sk_buff *skb;
	struct ternhdr *th;

	skb = alloc_skb(MAX_TERN_HEADER + hlen, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_TERN_HEADER + hlen);
	th = skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	memset(th, 0, hlen);
	th->source = r->sport;
	th->dest = r->dport;
	th->doff = hlen / 4;
	th->flags = r->flags;
	th->seq = cpu_to_be64(r->seq);
	th->ack_seq = cpu_to_be64(r->ack);
	th->window = htonl(r->window);
	th->version = TERN_VERSION;
	if (r->flags & TERN_FLAG_SYN) {
		u8 *opt = (u8 *)(th + 1);

		opt[0] = TERN_OPT_MSS;
		opt[1] = 4;
		put_unaligned_be16(tern_mss_for_mtu(dst_mtu(dst), nhlen,
						    r->max_seg), opt + 2);
	}
	return skb;
}

/* From saddr (ours) to daddr, through the control socket. */
static void tern_reply_v4(struct net *net, __be32 saddr, __be32 daddr,
			  const struct tern_reply *r)
{
	struct sk_buff *skb;
	struct flowi4 fl4;
	struct rtable *rt;

	flowi4_init_output(&fl4, r->oif, r->mark, 0, RT_SCOPE_UNIVERSE,
			   IPPROTO_TERN, 0, daddr, saddr,
			   r->dport, r->sport, sock_net_uid(net, NULL));
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return;
	skb = tern_reply_build(r, &rt->dst, sizeof(struct iphdr));
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	tern_v4_checksum(skb, saddr, daddr);
	skb_dst_set(skb, &rt->dst);
	ip_build_and_send_pkt(skb, tern_pernet(net)->ctl_sk, saddr, daddr,
			      NULL, 0);
}

#if IS_ENABLED(CONFIG_IPV6)
static void tern_reply_v6(struct net *net, const struct in6_addr *saddr,
			  const struct in6_addr *daddr,
			  const struct tern_reply *r)
{
	struct sock *ctl_sk = tern_pernet(net)->ctl_sk6;
	struct dst_entry *dst;
	struct sk_buff *skb;
	struct flowi6 fl6 = {
		.daddr = *daddr,
		.saddr = *saddr,
		.flowi6_proto = IPPROTO_TERN,
		.flowi6_mark = r->mark,
		.flowi6_oif = r->oif,
		.fl6_dport = r->dport,
		.fl6_sport = r->sport,
	};

	if (!ctl_sk)
		return;
	if (!fl6.flowi6_oif &&
	    ipv6_addr_type(&fl6.daddr) & IPV6_ADDR_LINKLOCAL)
		fl6.flowi6_oif = r->iif;
	dst = ip6_dst_lookup_flow(net, ctl_sk, &fl6, NULL);
	if (IS_ERR(dst))
		return;
	skb = tern_reply_build(r, dst, sizeof(struct ipv6hdr));
	if (!skb) {
		dst_release(dst);
		return;
	}
	tern_v6_checksum(skb, &fl6.saddr, &fl6.daddr);
	skb_dst_set(skb, dst);
	ip6_xmit(ctl_sk, skb, &fl6, r->mark, NULL, 0, 0);
}
#endif

static void tern_reply_count(struct net *net, const struct tern_reply *r)
{
	TERN_INC_STATS(net, TERN_MIB_OUTSEGS);
	if (r->flags & TERN_FLAG_RST)
		TERN_INC_STATS(net, TERN_MIB_OUTRSTS);
}

/* A reply to in: its addresses and ports mirrored. */
static void tern_send_reply(struct net *net, struct sk_buff *in,
			    struct tern_reply *r)
{
	r->sport = tern_hdr(in)->dest;
	r->dport = tern_hdr(in)->source;
	r->iif = TERN_SKB_CB(in)->iif;
#if IS_ENABLED(CONFIG_IPV6)
	if (in->protocol != htons(ETH_P_IP))
		tern_reply_v6(net, &ipv6_hdr(in)->daddr, &ipv6_hdr(in)->saddr,
			      r);
	else
#endif
		tern_reply_v4(net, ip_hdr(in)->daddr, ip_hdr(in)->saddr, r);
	tern_reply_count(net, r);
}

/* RFC 9293 3.10.7.1: the reset a closed port sends. */
void tern_send_reset_reply(struct net *net, struct sk_buff *skb)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_reply r = { .flags = TERN_FLAG_RST, .mark = skb->mark };

	if (th->flags & TERN_FLAG_RST)
		return;
	if (th->flags & TERN_FLAG_ACK) {
		r.seq = be64_to_cpu(th->ack_seq);
	} else {
		r.flags |= TERN_FLAG_ACK;
		r.ack = TERN_SKB_CB(skb)->end_seq;
	}
	trace_tern_send_reset(NULL, skb);
	tern_send_reply(net, skb, &r);
}

void tern_send_synack_reply(struct sock *listener, struct sk_buff *skb,
			    u64 cookie)
{
	struct tern_reply r = {
		.flags = TERN_FLAG_SYN | TERN_FLAG_ACK,
		.seq = cookie,
		.ack = TERN_SKB_CB(skb)->seq + 1,
		.window = tern_rcv_space(listener),
		.max_seg = READ_ONCE(tern_sk(listener)->max_seg),
		.mark = skb->mark,
	};
	struct net *net = sock_net(listener);

	tern_send_reply(net, skb, &r);
	TERN_INC_STATS(net, TERN_MIB_COOKIESSENT);
}

/*
 * A TIME_WAIT's ACK, to a segment that took sequence space: its sequence
 * numbers and window, its device and mark (tcp_v4_timewait_ack).
 */
void tern_send_tw_ack(struct sk_buff *skb, const struct tern_tw_sock *tw)
{
	struct tern_reply r = {
		.flags = TERN_FLAG_ACK,
		.seq = tw->tt_snd_nxt,
		.ack = tw->tt_rcv_nxt,
		.window = tw->tt_rcv_wnd,
		.mark = tw->tt_mark,
		.oif = tw->tt_common.skc_bound_dev_if,
	};

	tern_send_reply(read_pnet(&tw->tt_common.skc_net), skb, &r);
}

/*
 * A request's SYN-ACK, first or again (its timer, a repeated SYN), from
 * what the request keeps: no segment to mirror (tcp_v4_send_synack).
 */
void tern_send_synack_req(struct sock *listener, struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	struct tern_request_sock *treq = tern_rsk(req);
	struct net *net = sock_net(listener);
	struct tern_reply r = {
		.flags = TERN_FLAG_SYN | TERN_FLAG_ACK,
		.seq = treq->snt_isn,
		.ack = treq->rcv_isn + 1,
		.window = tern_rcv_space(listener),
		.max_seg = READ_ONCE(tern_sk(listener)->max_seg),
		.sport = htons(ireq->ir_num),
		.dport = ireq->ir_rmt_port,
		.mark = ireq->ir_mark,
		.iif = ireq->ir_iif,
	};

	if (ireq->ecn_ok)
		r.flags |= TERN_FLAG_ECE;

#if IS_ENABLED(CONFIG_IPV6)
	if (req->rsk_ops->family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&ireq->ir_v6_rmt_addr))
		tern_reply_v6(net, &ireq->ir_v6_loc_addr, &ireq->ir_v6_rmt_addr,
			      &r);
	else
#endif
		tern_reply_v4(net, ireq->ir_loc_addr, ireq->ir_rmt_addr, &r);
	tern_reply_count(net, &r);
}

#include "output_test.c"
