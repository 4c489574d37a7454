// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: Explicit Congestion Notification, RFC 3168's rules on Tern's
 * header (ECE 0x40, CWR 0x80, as TCP numbers them; uapi/PROTOCOL.md).
 *
 * Negotiation: a client whose namespace has net.tern.ecn 1 sends its SYN
 * with ECE and CWR; a listener whose namespace has ecn 1 or 2 (the
 * default, as TCP's) answers from a request with ECE alone, and both ends
 * then use ECN. A cookie's SYN-ACK never offers it: the cookie has no
 * room to remember the SYN asked, and one end using ECN alone would
 * ignore the other's congestion. A SYN sent again goes without ECE and
 * CWR, in case something on the path drops them (TCP's ecn_fallback).
 *
 * Then new data leaves ECT(0); ACKs, SYNs, FINs without data and
 * resent data leave Not-ECT (RFC 3168 6.1.4, 6.1.5). A receiver that
 * gets data marked CE sets ECE on every ACK until data with CWR arrives
 * (6.1.3); the sender reduces its window once per window of data, as for
 * a loss (6.1.2), and sets CWR on the next new data.
 */

#include <net/inet_ecn.h>

#include "tern.h"

static int tern_ecn_mode(const struct sock *sk)
{
	return READ_ONCE(tern_pernet(sock_net(sk))->ecn);
}

/* The flags of a client's first SYN: ECE and CWR to ask for ECN. */
u8 tern_ecn_syn_flags(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	tsk->ecn_flags = 0;
	if (tern_ecn_mode(sk) != 1)
		return 0;
	tsk->ecn_flags = TERN_ECN_OK;	/* unless the SYN-ACK says no */
	return TERN_FLAG_ECE | TERN_FLAG_CWR;
}

/* The SYN goes again: without asking, in case the asking was dropped. */
void tern_ecn_syn_resent(struct sk_buff *skb)
{
	TERN_SKB_CB(skb)->flags &= ~(TERN_FLAG_ECE | TERN_FLAG_CWR);
}

/* The SYN-ACK: ECN holds if it has ECE and not CWR (6.1.1). */
void tern_ecn_rcv_synack(struct sock *sk, u8 flags)
{
	if ((flags & (TERN_FLAG_ECE | TERN_FLAG_CWR)) != TERN_FLAG_ECE)
		tern_sk(sk)->ecn_flags = 0;
}

/* A listener's request: does the SYN ask for ECN, and may we give it? */
bool tern_ecn_req_ok(const struct sock *listener, const struct sk_buff *syn)
{
	u8 both = TERN_FLAG_ECE | TERN_FLAG_CWR;

	return (TERN_SKB_CB(syn)->flags & both) == both &&
	       tern_ecn_mode(listener);
}

/*
 * Before a segment leaves: the IP ECN field (the socket's TOS or traffic
 * class, as INET_ECN_xmit() keeps it) and the flags to add. fresh: new
 * data, never sent before.
 */
u8 tern_ecn_send(struct sock *sk, const struct sk_buff *skb, u8 flags,
		 bool fresh)
{
	struct tern_sock *tsk = tern_sk(sk);
	u8 add = 0;

	if (!(tsk->ecn_flags & TERN_ECN_OK) || (flags & TERN_FLAG_SYN))
		return 0;
	if (fresh && skb->len) {
		INET_ECN_xmit(sk);
		if (tsk->ecn_flags & TERN_ECN_QUEUE_CWR) {
			tsk->ecn_flags &= ~TERN_ECN_QUEUE_CWR;
			add |= TERN_FLAG_CWR;
		}
	} else {
		INET_ECN_dontxmit(sk);
	}
	if (tsk->ecn_flags & TERN_ECN_DEMAND_CWR)
		add |= TERN_FLAG_ECE;
	return add;
}

/* The IP ECN field of a received segment, for its TERN_SKB_CB. */
u8 tern_ecn_field(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (skb->protocol == htons(ETH_P_IPV6))
		return ipv6_get_dsfield(ipv6_hdr(skb)) & INET_ECN_MASK;
#endif
	return ip_hdr(skb)->tos & INET_ECN_MASK;
}

/*
 * Data arrived in the window: CWR ends the echo, CE (re)starts it, and
 * the ACK that first echoes goes at once (tcp_ecn_check_ce()).
 */
void tern_ecn_rcv_data(struct sock *sk, const struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_sock *tsk = tern_sk(sk);

	if (!(tsk->ecn_flags & TERN_ECN_OK))
		return;
	if (cb->flags & TERN_FLAG_CWR)
		tsk->ecn_flags &= ~TERN_ECN_DEMAND_CWR;
	if (cb->ip_ecn != INET_ECN_CE)
		return;
	TERN_ADD_STATS(sock_net(sk), TERN_MIB_INCESEGS, tern_skb_segs(skb));
	if (!(tsk->ecn_flags & TERN_ECN_DEMAND_CWR))
		tsk->quickack = 1;
	tsk->ecn_flags |= TERN_ECN_DEMAND_CWR;
}

/* An acceptable ACK with ECE: reduce once per window, then say CWR. */
void tern_ecn_rcv_ack(struct sock *sk, const struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (!(tsk->ecn_flags & TERN_ECN_OK) ||
	    !(TERN_SKB_CB(skb)->flags & TERN_FLAG_ECE))
		return;
	if (tern_cc_enter_cwr(sk)) {
		tsk->ecn_flags |= TERN_ECN_QUEUE_CWR;
		TERN_INC_STATS(sock_net(sk), TERN_MIB_ECNREDUCTIONS);
	}
}
