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
 * tern_sock: zeroed, with an empty out-of-order queue and write queue,
 * freed (queues and all) when the test ends.
 */
static inline void tern_kunit_free_sock(void *p)
{
	struct tern_sock *tsk = p;
	struct rb_node *node;

	while ((node = rb_first(&tsk->ooo_queue))) {
		rb_erase(node, &tsk->ooo_queue);
		kfree_skb(rb_to_skb(node));
	}
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
	tsk->ooo_queue = RB_ROOT;
	skb_queue_head_init(&((struct sock *)tsk)->sk_write_queue);
	return tsk;
}

/*
 * Queue [seq, end) on the write queue as sent at sent_us, as the send
 * path does; returns the skb (freed with the socket).
 */
static inline struct sk_buff *tern_kunit_sent(struct kunit *test,
					      struct tern_sock *tsk, u64 seq,
					      u64 end, u64 sent_us)
{
	struct sk_buff *skb = alloc_skb(0, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	TERN_SKB_CB(skb)->seq = seq;
	TERN_SKB_CB(skb)->end_seq = end;
	TERN_SKB_CB(skb)->sent_us = sent_us;
	TERN_SKB_CB(skb)->sacked = 0;
	__skb_queue_tail(&((struct sock *)tsk)->sk_write_queue, skb);
	return skb;
}

/*
 * Queue [seq, end) out of order as the receive path does: ordered by
 * sequence number, and remembered as the segment that arrived last.
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
	tsk->ooo_last_seq = seq;
}

#endif /* _TERN_KUNIT_H */
