// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: segmentation offload (GSO), as tcp_offload.c is TCP's.
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
 */

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

	if (!(shinfo->gso_type & SKB_GSO_SCTP) ||
	    shinfo->gso_size != GSO_BY_FRAGS || skb_headlen(skb) ||
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

		skb_shinfo(skb)->gso_segs = 0;
		skb_walk_frags(skb, iter)
			skb_shinfo(skb)->gso_segs++;
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

static const struct net_offload tern_offload = {
	.callbacks = {
		.gso_segment	= tern_gso_segment,
	},
};

int tern_offload_init(void)
{
	int err;

	err = inet_add_offload(&tern_offload, IPPROTO_TERN);
	if (err)
		return err;
#if IS_ENABLED(CONFIG_IPV6)
	err = inet6_add_offload(&tern_offload, IPPROTO_TERN);
	if (err)
		inet_del_offload(&tern_offload, IPPROTO_TERN);
#endif
	return err;
}

void tern_offload_exit(void)
{
#if IS_ENABLED(CONFIG_IPV6)
	inet6_del_offload(&tern_offload, IPPROTO_TERN);
#endif
	inet_del_offload(&tern_offload, IPPROTO_TERN);
}
