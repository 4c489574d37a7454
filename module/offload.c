// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: segmentation offloads (GSO, GRO), as tcp_offload.c is TCP's.
 *
 * A burst of segments goes down the stack as one skb: a head holding
 * only the Tern header, and the payload of each segment as one skb of
 * its frag_list (tern_burst_gso_skb() in output.c builds it). Software devices (veth,
 * loopback, bridges) pass it whole to the receiver, whose input treats
 * it as one segment of the summed length; before any other device the
 * stack calls tern_gso_segment() to cut it back into wire segments.
 *
 * The stack knows no GSO type for protocol 253, and a device that
 * claimed a hardware type (TSO, UDP) would cut our skb as a TCP or UDP
 * one. SCTP's type is the one no hardware offers, and its layout, one
 * segment per frag_list skb (GSO_BY_FRAGS), is ours: skb_segment()
 * makes the wire segments, this file only fixes their headers.
 *
 * One cost of borrowing the type: where a router forwards a burst whole
 * (a veth into a forwarding namespace), its MTU check takes our header
 * for SCTP's 12 bytes (skb_gso_transport_seglen()), 20 fewer than ours.
 * A next-hop MTU within those 20 bytes below the sender's path MTU lets
 * the burst through, to be cut into segments 20 bytes too large there.
 *
 * GRO goes the other way, as tcp_gro_receive(): consecutive wire segments
 * of a flow that a NAPI device takes in one poll go up the stack as one
 * skb, the first segment's headers with the others' payloads chained on
 * its frag_list (tern_gro_merge()). Its gso_size is the first payload's
 * length, every segment but the last has that length, so a router that
 * forwards it cuts it back into the same segments (skb_segment() with
 * that size, as for a TCP GRO packet).
 */

#include <net/gro.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/protocol.h>

#include "tern.h"

/*
 * Is skb laid out as tern_burst_gso_skb() lays it out? Anything else that
 * reaches us with protocol 253 (a forwarded skb from a guest, say) is
 * refused, never guessed at: skb_segment() would follow frag_list
 * blindly.
 */
static bool tern_gso_layout_ok(const struct sk_buff *skb)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	const struct sk_buff *iter;
	unsigned int len = 0;

	if (!(shinfo->gso_type & SKB_GSO_SCTP))
		return false;
	/*
	 * A GRO packet (tern_gro_complete()): segments of gso_size, which
	 * skb_segment() cuts as it cuts TCP's. No guest or packet socket
	 * can give the SCTP type a size (virtio_net_hdr has no such type).
	 */
	if (shinfo->gso_size != GSO_BY_FRAGS)
		return shinfo->gso_size && shinfo->gso_size <= TERN_MAX_SEG &&
		       !(shinfo->gso_type & SKB_GSO_DODGY);
	if (skb_headlen(skb) ||
	    shinfo->nr_frags || !skb_has_frag_list(skb))
		return false;
	skb_walk_frags(skb, iter) {
		if (!iter->len || skb_headlen(iter) != iter->len ||
		    iter->len > TERN_MAX_SEG)
			return false;
		len += iter->len;
	}
	return len == skb->len;
}

/*
 * The header of each wire segment: its sequence number, flags, checksum.
 * Fails only where the sum is finished here and that runs out of memory.
 */
static int tern_gso_fix_headers(struct sk_buff *segs, u32 oldlen,
				netdev_features_t features)
{
	struct sk_buff *seg;
	u64 seq;

	seq = be64_to_cpu(tern_hdr(segs)->seq);
	for (seg = segs; seg; seg = seg->next) {
		struct ternhdr *th = tern_hdr(seg);
		u32 len = seg->len - skb_transport_offset(seg);
		__wsum delta;

		th->seq = cpu_to_be64(seq);
		seq += len - th->doff * 4;
		/* a message or the stream ends with the last segment only */
		if (seg->next)
			th->flags &= ~(TERN_FLAG_EOR | TERN_FLAG_FIN);
		/* CWR once, on the first (as SKB_GSO_TCP_ECN) */
		if (seg != segs)
			th->flags &= ~TERN_FLAG_CWR;
		/*
		 * The head's check is the pseudo-header sum for its whole
		 * length; swap that length for this segment's (as
		 * tcp_gso_segment()).
		 */
		delta = (__force __wsum)htonl(oldlen + len);
		th->check = ~csum_fold(csum_add(csum_unfold(th->check), delta));
		seg->ip_summed = CHECKSUM_PARTIAL;
		seg->csum_start = skb_transport_header(seg) - seg->head;
		seg->csum_offset = offsetof(struct ternhdr, check);
		/*
		 * A device that cannot sum for us: finish it here. A
		 * segment left partial would leave with a wrong sum.
		 */
		if (!(features & NETIF_F_HW_CSUM) && skb_checksum_help(seg))
			return -ENOMEM;
	}
	return 0;
}

static struct sk_buff *tern_gso_segment(struct sk_buff *skb,
					netdev_features_t features)
{
	struct sk_buff *segs = ERR_PTR(-EINVAL);
	struct ternhdr *th;
	unsigned int thlen;
	u32 oldlen;

	if (!pskb_may_pull(skb, sizeof(*th)))
		goto out;
	th = tern_hdr(skb);
	thlen = th->doff * 4;
	if (thlen < sizeof(*th) || !pskb_may_pull(skb, thlen) ||
	    skb->ip_summed != CHECKSUM_PARTIAL ||
	    skb_checksum_start(skb) != skb_transport_header(skb))
		goto out;
	oldlen = ~skb->len;
	__skb_pull(skb, thlen);
	if (!tern_gso_layout_ok(skb))
		goto out;

	if (skb_gso_ok(skb, features | NETIF_F_GSO_ROBUST)) {
		/* the device takes it whole: only count for it */
		struct sk_buff *iter;

		if (skb_shinfo(skb)->gso_size != GSO_BY_FRAGS) {
			skb_shinfo(skb)->gso_segs =
				DIV_ROUND_UP(skb->len, skb_shinfo(skb)->gso_size);
		} else {
			skb_shinfo(skb)->gso_segs = 0;
			skb_walk_frags(skb, iter)
				skb_shinfo(skb)->gso_segs++;
		}
		segs = NULL;
		goto out;
	}
	/* every segment leaves skb_segment() partial: the sums are ours */
	segs = skb_segment(skb, features | NETIF_F_HW_CSUM);
	if (!IS_ERR(segs) && tern_gso_fix_headers(segs, oldlen, features)) {
		kfree_skb_list(segs);
		segs = ERR_PTR(-ENOMEM);
	}
out:
	return segs;
}

/* The held packet of skb's flow, if GRO holds one (tcp_gro_lookup()). */
static struct sk_buff *tern_gro_lookup(struct list_head *head,
				       const struct ternhdr *th)
{
	struct sk_buff *p;

	list_for_each_entry(p, head, list) {
		if (!NAPI_GRO_CB(p)->same_flow)
			continue;
		if (*(u32 *)&th->source ^ *(u32 *)&tern_hdr(p)->source) {
			NAPI_GRO_CB(p)->same_flow = 0;
			continue;
		}
		return p;
	}
	return NULL;
}

/*
 * May skb's segment follow p's? Everything but the sequence number, the
 * sum and the flags that end a merge must match: the acknowledgment,
 * window and options stand for every segment of the merged packet. A
 * CWR segment stands alone (tern_gso_fix_headers() gives CWR to the
 * first segment only); so does one that ends a message or the stream.
 * Nonzero: do not merge.
 */
static int tern_gro_flush(struct sk_buff *p, struct sk_buff *skb,
			  struct ternhdr *th, unsigned int thlen)
{
	const struct ternhdr *th2 = tern_hdr(p);
	unsigned int len = skb_gro_len(skb);
	unsigned int mss = skb_shinfo(p)->gso_size;
	int flush;

	flush = (u8)(th->flags & ~(TERN_FLAG_EOR | TERN_FLAG_FIN)) ^ th2->flags;
	flush |= th->flags & TERN_FLAG_CWR;
	flush |= th->doff ^ th2->doff;
	flush |= memcmp(&th->ack_seq, &th2->ack_seq,
			thlen - offsetof(struct ternhdr, ack_seq));
	flush |= tern_gro_network_flush(th, th2, p);
	/* no larger than the first; a smaller one is the last (below) */
	flush |= (len - 1) >= mss;
	flush |= be64_to_cpu(th2->seq) + skb_gro_len(p) != be64_to_cpu(th->seq);
	return flush;
}

/*
 * Chain skb's payload on p's frag_list (skb_gro_receive()'s frag_list
 * case, which is not exported): skb's headers go, its truesize moves to
 * p. Both are orphaned first: a veth's segment may still charge its
 * sender's socket (the TSQ destructor), and p's destructor must not
 * free more than it charged.
 */
static int tern_gro_merge(struct sk_buff *p, struct sk_buff *skb)
{
	unsigned int offset = skb_gro_offset(skb);
	unsigned int headlen = skb_headlen(skb);
	unsigned int len = skb_gro_len(skb);

	if (p->len + len >= TERN_GSO_MAX_SIZE || NAPI_GRO_CB(skb)->flush)
		return -E2BIG;
	skb_orphan(p);
	skb_orphan(skb);
	if (offset > headlen) {
		/* the headers sit in frags[0] (GRO's frag0) */
		unsigned int eat = offset - headlen;

		skb_frag_off_add(&skb_shinfo(skb)->frags[0], eat);
		skb_frag_size_sub(&skb_shinfo(skb)->frags[0], eat);
		skb->data_len -= eat;
		skb->len -= eat;
		offset = headlen;
	}
	__skb_pull(skb, offset);
	if (NAPI_GRO_CB(p)->last == p)
		skb_shinfo(p)->frag_list = skb;
	else
		NAPI_GRO_CB(p)->last->next = skb;
	NAPI_GRO_CB(p)->last = skb;
	__skb_header_release(skb);
	NAPI_GRO_CB(p)->count++;
	p->data_len += len;
	p->truesize += skb->truesize;
	p->len += len;
	NAPI_GRO_CB(skb)->same_flow = 1;
	return 0;
}

/*
 * One segment into GRO (its sum already checked): merged into the held
 * packet of its flow, held itself to take the next ones, or sent up
 * alone. Returns the held packet to send up now, if one must go.
 */
static struct sk_buff *tern_gro_receive(struct list_head *head,
					struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb);
	struct sk_buff *p, *pp = NULL;
	unsigned int thlen, len;
	unsigned int mss = 1;
	struct ternhdr *th;
	int flush;

	th = skb_gro_header(skb, off + sizeof(*th), off);
	if (!th)
		goto out;
	thlen = th->doff * 4;
	if (thlen < sizeof(*th))
		goto out;
	th = skb_gro_header(skb, off + thlen, off);
	if (!th)
		goto out;
	skb_gro_pull(skb, thlen);
	len = skb_gro_len(skb);

	p = tern_gro_lookup(head, th);
	/* a burst that is already one skb, or a tunnel's: not merged here */
	flush = skb_is_gso(skb) || NAPI_GRO_CB(skb)->encap_mark;
	if (!p)
		goto out_check_final;
	if (flush || tern_gro_flush(p, skb, th, thlen) ||
	    tern_gro_merge(p, skb))
		goto out_check_final;
	tern_hdr(p)->flags |= th->flags & (TERN_FLAG_EOR | TERN_FLAG_FIN);
	mss = skb_shinfo(p)->gso_size;

out_check_final:
	/* held no longer: a short segment, and those that end or reset */
	flush |= len < mss;
	flush |= th->flags & (TERN_FLAG_SYN | TERN_FLAG_RST | TERN_FLAG_FIN |
			      TERN_FLAG_EOR | TERN_FLAG_CWR);
	if (p && (!NAPI_GRO_CB(skb)->same_flow || flush))
		pp = p;
	NAPI_GRO_CB(skb)->flush |= (flush != 0);
	return pp;
out:
	NAPI_GRO_CB(skb)->flush = 1;
	return NULL;
}

/*
 * The sum of every segment is checked before it merges (a bad one goes up
 * alone, to be counted and dropped by tern_rcv()); the merged packet
 * leaves partial, its head's sum the pseudo-header's for its whole
 * length, as a local burst does (tern_gso_checksum()).
 */
static struct sk_buff *tern4_gro_receive(struct list_head *head,
					 struct sk_buff *skb)
{
	if (!NAPI_GRO_CB(skb)->flush &&
	    skb_gro_checksum_validate(skb, IPPROTO_TERN,
				      inet_gro_compute_pseudo)) {
		NAPI_GRO_CB(skb)->flush = 1;
		return NULL;
	}
	return tern_gro_receive(head, skb);
}

static void tern_gro_complete(struct sk_buff *skb, struct ternhdr *th)
{
	skb->csum_start = (unsigned char *)th - skb->head;
	skb->csum_offset = offsetof(struct ternhdr, check);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb_shinfo(skb)->gso_type |= SKB_GSO_SCTP;
	skb_shinfo(skb)->gso_segs = NAPI_GRO_CB(skb)->count;
}

static int tern4_gro_complete(struct sk_buff *skb, int thoff)
{
	const struct iphdr *iph = tern_gro_network_header(skb);
	struct ternhdr *th = (struct ternhdr *)(skb->data + thoff);

	th->check = ~csum_tcpudp_magic(iph->saddr, iph->daddr,
				       skb->len - thoff, IPPROTO_TERN, 0);
	tern_gro_complete(skb, th);
	return 0;
}

#if IS_ENABLED(CONFIG_IPV6)
static struct sk_buff *tern6_gro_receive(struct list_head *head,
					 struct sk_buff *skb)
{
	if (!NAPI_GRO_CB(skb)->flush &&
	    skb_gro_checksum_validate(skb, IPPROTO_TERN,
				      ip6_gro_compute_pseudo)) {
		NAPI_GRO_CB(skb)->flush = 1;
		return NULL;
	}
	return tern_gro_receive(head, skb);
}

static int tern6_gro_complete(struct sk_buff *skb, int thoff)
{
	const struct ipv6hdr *iph = tern_gro_network_header(skb);
	struct ternhdr *th = (struct ternhdr *)(skb->data + thoff);

	th->check = ~csum_ipv6_magic(&iph->saddr, &iph->daddr,
				     skb->len - thoff, IPPROTO_TERN, 0);
	tern_gro_complete(skb, th);
	return 0;
}

static const struct net_offload tern6_offload = {
	.callbacks = {
		.gso_segment	= tern_gso_segment,
		.gro_receive	= tern6_gro_receive,
		.gro_complete	= tern6_gro_complete,
	},
};
#endif

static const struct net_offload tern4_offload = {
	.callbacks = {
		.gso_segment	= tern_gso_segment,
		.gro_receive	= tern4_gro_receive,
		.gro_complete	= tern4_gro_complete,
	},
};

int tern_offload_init(void)
{
	int err;

	err = inet_add_offload(&tern4_offload, IPPROTO_TERN);
	if (err)
		return err;
#if IS_ENABLED(CONFIG_IPV6)
	err = inet6_add_offload(&tern6_offload, IPPROTO_TERN);
	if (err)
		inet_del_offload(&tern4_offload, IPPROTO_TERN);
#endif
	return err;
}

void tern_offload_exit(void)
{
#if IS_ENABLED(CONFIG_IPV6)
	inet6_del_offload(&tern6_offload, IPPROTO_TERN);
#endif
	inet_del_offload(&tern4_offload, IPPROTO_TERN);
}
