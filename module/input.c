// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: receive path from IPv4 and IPv6.
 *
 * Every segment is validated before anything looks at it: length, data
 * offset, version, ports and the checksum over the pseudo-header. Whatever
 * fails is counted in /proc/net/tern/snmp and dropped.
 */

#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

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

static int tern_rcv_finish(struct net *net, struct sk_buff *skb,
			   enum tern_verdict verdict)
{
	switch (verdict) {
	case TERN_SEG_HDR_ERR:
		TERN_INC_STATS(net, TERN_MIB_INHDRERRORS);
		break;
	case TERN_SEG_CSUM_ERR:
		TERN_INC_STATS(net, TERN_MIB_INCSUMERRORS);
		break;
	case TERN_SEG_OK:
		TERN_INC_STATS(net, TERN_MIB_INSEGS);
		/* No socket takes segments before connections exist. */
		TERN_INC_STATS(net, TERN_MIB_INNOSOCKET);
		break;
	}
	kfree_skb(skb);
	return 0;
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

/* IP protocol handler for IPv4 and IPv6. */
int tern_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	enum tern_verdict verdict;

	if (skb->pkt_type != PACKET_HOST) {
		TERN_INC_STATS(net, TERN_MIB_INADDRERRORS);
		kfree_skb(skb);
		return 0;
	}
	verdict = tern_check_header(skb);
	if (verdict == TERN_SEG_OK && tern_csum_bad(skb))
		verdict = TERN_SEG_CSUM_ERR;
	return tern_rcv_finish(net, skb, verdict);
}
