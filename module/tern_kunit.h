/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern: helpers for the KUnit tests. module/NAME.c includes its tests,
 * module/NAME_test.c, at its end, so they reach its static functions;
 * all of it compiles away without CONFIG_KUNIT.
 */
#ifndef _TERN_KUNIT_H
#define _TERN_KUNIT_H

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/rbtree.h>
#include <linux/skbuff.h>

#include "tern.h"

static inline void tern_kunit_free_skb(void *skb)
{
	kfree_skb(skb);
}

/*
 * A received segment as the receive path sees it: IPv4 192.0.2.1 to
 * 192.0.2.2 or IPv6 2001:db8::1 to 2001:db8::2, port 40000 to 5000, the
 * network and transport headers set, then optlen bytes of options (a
 * multiple of 4) copied from opt. Freed when the test ends.
 */
static inline struct sk_buff *tern_kunit_segment(struct kunit *test, bool v6,
						 const u8 *opt, int optlen)
{
	struct sk_buff *skb;
	struct ternhdr *th;

	KUNIT_ASSERT_EQ(test, optlen % 4, 0);
	KUNIT_ASSERT_LE(test, optlen, 255 * 4 - TERN_HDR_LEN);
	skb = alloc_skb(MAX_TERN_HEADER + sizeof(*th) + optlen, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   tern_kunit_free_skb,
							   skb));
	skb_reserve(skb, MAX_TERN_HEADER);

	th = skb_put_zero(skb, sizeof(*th) + optlen);
	if (optlen)
		memcpy(th + 1, opt, optlen);
	skb_reset_transport_header(skb);
	th->source = htons(40000);
	th->dest = htons(5000);
	th->doff = (sizeof(*th) + optlen) / 4;
	th->flags = TERN_FLAG_ACK;
	th->version = TERN_VERSION;

	if (v6) {
		struct ipv6hdr *ip6h = skb_push(skb, sizeof(*ip6h));

		memset(ip6h, 0, sizeof(*ip6h));
		ip6h->version = 6;
		ip6h->nexthdr = IPPROTO_TERN;
		ip6h->payload_len = htons(sizeof(*th) + optlen);
		ip6h->saddr.s6_addr32[0] = htonl(0x20010db8);
		ip6h->saddr.s6_addr32[3] = htonl(1);
		ip6h->daddr.s6_addr32[0] = htonl(0x20010db8);
		ip6h->daddr.s6_addr32[3] = htonl(2);
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		struct iphdr *iph = skb_push(skb, sizeof(*iph));

		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->protocol = IPPROTO_TERN;
		iph->tot_len = htons(sizeof(*iph) + sizeof(*th) + optlen);
		iph->saddr = htonl(0xc0000201);
		iph->daddr = htonl(0xc0000202);
		skb->protocol = htons(ETH_P_IP);
	}
	skb_reset_network_header(skb);
	skb_pull(skb, skb_transport_offset(skb));
	return skb;
}

/*
 * A socket for the functions that only read a few fields of struct
 * tern_sock: zeroed, in init_net (for its MIB counters), with empty
 * queues (send queue, rtx_queue and sacked_queue, the in-flight and lost
 * lists, the out-of-order queue), freed (queues and all) when the test
 * ends.
 */
static inline void tern_kunit_free_tree(struct rb_root *root)
{
	struct rb_node *node;

	while ((node = rb_first(root))) {
		struct sk_buff *skb = rb_to_skb(node);

		rb_erase(node, root);
		/* tcp_tsorted_anchor shares its room with the dst */
		if (skb->tcp_tsorted_anchor.next)
			list_del(&skb->tcp_tsorted_anchor);
		skb->_skb_refdst = 0UL;
		skb->destructor = NULL;
		kfree_skb(skb);
	}
}

static inline void tern_kunit_free_sock(void *p)
{
	struct tern_sock *tsk = p;

	tern_kunit_free_tree(&tsk->ooo_queue);
	tern_kunit_free_tree(&tsk->rtx_queue);
	tern_kunit_free_tree(&tsk->sacked_queue);
	__skb_queue_purge(&((struct sock *)tsk)->sk_write_queue);
	kfree(tsk);
}

static inline struct tern_sock *tern_kunit_sock(struct kunit *test)
{
	struct tern_sock *tsk = kzalloc(sizeof(*tsk), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tsk);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   tern_kunit_free_sock,
							   tsk));
	sock_net_set((struct sock *)tsk, &init_net);
	tsk->ooo_queue = RB_ROOT;
	tsk->rtx_queue = RB_ROOT;
	tsk->sacked_queue = RB_ROOT;
	INIT_LIST_HEAD(&tsk->tsorted);
	INIT_LIST_HEAD(&tsk->lost);
	skb_queue_head_init(&((struct sock *)tsk)->sk_write_queue);
	tsk->ca_ops = &tern_reno;	/* recovery calls into congestion control */
	tsk->reo_wnd_steps = 1;		/* as tern_cc_init() */
	tsk->undo_retrans = -1;
	return tsk;
}

static inline struct sk_buff *tern_kunit_skb(struct kunit *test, u64 seq,
					     u64 end, u64 sent_us)
{
	struct sk_buff *skb = alloc_skb(0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	TERN_SKB_CB(skb)->seq = seq;
	TERN_SKB_CB(skb)->end_seq = end;
	TERN_SKB_CB(skb)->sent_us = sent_us;
	TERN_SKB_CB(skb)->sacked = 0;
	return skb;
}

/*
 * [seq, end) sent at sent_us, as tern_new_data_sent() leaves it: in
 * rtx_queue by sequence, at the tail of the in-flight list (the newest
 * sent). Returns the skb (freed with the socket).
 */
static inline struct sk_buff *tern_kunit_sent(struct kunit *test,
					      struct tern_sock *tsk, u64 seq,
					      u64 end, u64 sent_us)
{
	struct sk_buff *skb = tern_kunit_skb(test, seq, end, sent_us);

	tern_rtx_insert(&tsk->rtx_queue, skb);
	list_add_tail(&skb->tcp_tsorted_anchor, &tsk->tsorted);
	return skb;
}

/* [seq, end) queued and not sent yet: on the send queue. */
static inline struct sk_buff *tern_kunit_unsent(struct kunit *test,
						struct tern_sock *tsk,
						u64 seq, u64 end)
{
	struct sk_buff *skb = tern_kunit_skb(test, seq, end, 0);

	__skb_queue_tail(&((struct sock *)tsk)->sk_write_queue, skb);
	return skb;
}

/*
 * Queue [seq, end) out of order as tern_ooo_insert() does: ordered by
 * sequence number, and its SACK block brought up to date.
 */
static inline void tern_kunit_ooo_add(struct kunit *test,
				      struct tern_sock *tsk, u64 seq, u64 end)
{
	struct rb_node **p = &tsk->ooo_queue.rb_node, *parent = NULL;
	struct sk_buff *skb;
	u64 seq1;

	while (*p) {
		parent = *p;
		seq1 = TERN_SKB_CB(rb_to_skb(parent))->seq;
		KUNIT_ASSERT_NE_MSG(test, seq, seq1, "queued twice");
		p = tern_before(seq, seq1) ? &parent->rb_left :
					     &parent->rb_right;
	}
	skb = alloc_skb(0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	TERN_SKB_CB(skb)->seq = seq;
	TERN_SKB_CB(skb)->end_seq = end;
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &tsk->ooo_queue);
	tern_sack_new_ofo(tsk, seq, end);
}

/*
 * rcv_nxt moves to rcv_nxt, as tern_data_queue() after tern_ooo_drain():
 * the out-of-order segments it reached leave the queue (as read), then
 * the SACK blocks are brought up to date.
 */
static inline void tern_kunit_rcv_nxt(struct tern_sock *tsk, u64 rcv_nxt)
{
	struct rb_node *node;

	tsk->rcv_nxt = rcv_nxt;
	while ((node = rb_first(&tsk->ooo_queue)) &&
	       !tern_after(TERN_SKB_CB(rb_to_skb(node))->seq, rcv_nxt)) {
		rb_erase(node, &tsk->ooo_queue);
		kfree_skb(rb_to_skb(node));
	}
	tern_sack_remove(tsk);
}

#endif /* _TERN_KUNIT_H */
