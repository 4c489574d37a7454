// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: initial sequence numbers and handshake cookies.
 *
 * A listener whose request queue is full (or with net.tern.syncookies 2)
 * keeps no state for a handshake: its SYN-ACK's sequence number is a
 * cookie, keyed MACs over the addresses, the ports, a coarse clock and the
 * client's MSS, which the cookie also carries. The tag covers just
 * those; the MAC covers the client's initial sequence number as well. The
 * client's next segment acknowledges cookie + 1: a valid tag within the
 * clock window says the listener issued it, a valid MAC as well proves the
 * segment is the handshake's last one (sequence number ISN + 1).
 *
 *  63                             28 27       20 19   16 15            0
 * +---------------------------------+-----------+-------+---------------+
 * |          MAC (36 bits)          |  tag (8)  | clock |   MSS (16)    |
 * +---------------------------------+-----------+-------+---------------+
 *
 * The clock ticks every 64 s; a cookie is good for TERN_COOKIE_SLOTS ticks.
 * It carries the clock's low four bits; the MACs cover the whole clock,
 * so an old cookie does not come back valid when those bits wrap.
 * Initial sequence numbers are a keyed hash of the four-tuple plus a clock
 * in 64 ns units, as the kernel does for TCP (RFC 6528).
 */

#include <linux/bits.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/timekeeping.h>

#include "tern.h"

#define TERN_COOKIE_SHIFT	6	/* log2 of the clock tick, seconds */
#define TERN_COOKIE_SLOTS	2	/* ticks a cookie stays valid */

static siphash_aligned_key_t tern_isn_key;
static siphash_aligned_key_t tern_cookie_key;

void tern_cookie_init(void)
{
	get_random_bytes(&tern_isn_key, sizeof(tern_isn_key));
	get_random_bytes(&tern_cookie_key, sizeof(tern_cookie_key));
}

static u64 tern_isn_clock(void)
{
	return ktime_get_real_ns() >> 6;
}

u64 tern_isn_v4(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	u64 hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
				(__force u32)sport << 16 | (__force u32)dport,
				&tern_isn_key);

	return hash + tern_isn_clock();
}

struct tern_flow6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be16 sport;
	__be16 dport;
	u32 pad;
};

u64 tern_isn_v6(const struct in6_addr *saddr, const struct in6_addr *daddr,
		__be16 sport, __be16 dport)
{
	struct tern_flow6 f = {
		.saddr = *saddr,
		.daddr = *daddr,
		.sport = sport,
		.dport = dport,
	};

	return siphash(&f, sizeof(f), &tern_isn_key) + tern_isn_clock();
}

struct tern_cookie_in {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be16 sport;
	__be16 dport;
	u32 clock;	/* the whole clock, not just the bits in the cookie */
	u16 mss;
	u8 with_isn;	/* MAC (1) or tag (0) */
	u8 pad;
	u32 pad2;
	u64 peer_isn;
};

#define TERN_COOKIE_MAC_SHIFT	28	/* MAC: bits 63..28 */
#define TERN_COOKIE_TAG_SHIFT	20	/* tag: bits 27..20 */
#define TERN_COOKIE_TAG_BITS	(TERN_COOKIE_MAC_SHIFT - TERN_COOKIE_TAG_SHIFT)
#define TERN_COOKIE_TAG_MASK	GENMASK_ULL(TERN_COOKIE_TAG_BITS - 1, 0)
#define TERN_COOKIE_CLOCK_SHIFT	16	/* clock: bits 19..16 */
#define TERN_COOKIE_CLOCK_MASK	0xfU

/*
 * The MAC (with_isn) or the tag over what the segment says, in the
 * client's direction: the hash's top bits, as many as the cookie holds.
 */
static u64 tern_cookie_hash(const struct sk_buff *skb, u64 peer_isn,
			    u32 clock, u16 mss, bool with_isn)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_cookie_in in = {
		.sport = th->source,
		.dport = th->dest,
		.clock = clock,
		.mss = mss,
		.with_isn = with_isn,
		.peer_isn = with_isn ? peer_isn : 0,
	};
	u64 hash;

	if (skb->protocol == htons(ETH_P_IP)) {
		ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, &in.saddr);
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, &in.daddr);
	} else {
		in.saddr = ipv6_hdr(skb)->saddr;
		in.daddr = ipv6_hdr(skb)->daddr;
	}
	hash = siphash(&in, sizeof(in), &tern_cookie_key);
	if (with_isn)
		return hash >> TERN_COOKIE_MAC_SHIFT;
	return hash >> (64 - TERN_COOKIE_TAG_BITS);
}

static u32 tern_cookie_clock(void)
{
	return (u32)(ktime_get_seconds() >> TERN_COOKIE_SHIFT);
}

u64 tern_cookie_make(const struct sk_buff *skb, u64 peer_isn, u16 mss)
{
	u32 clock = tern_cookie_clock();

	return tern_cookie_hash(skb, peer_isn, clock, mss, true) <<
	       TERN_COOKIE_MAC_SHIFT |
	       tern_cookie_hash(skb, 0, clock, mss, false) <<
	       TERN_COOKIE_TAG_SHIFT |
	       (u64)(clock & TERN_COOKIE_CLOCK_MASK) << TERN_COOKIE_CLOCK_SHIFT |
	       mss;
}

/*
 * What a segment acknowledging cookie + 1 with sequence number
 * peer_isn + 1 is: the handshake's last segment (*mss set), a later one of
 * a handshake whose last segment was lost, or nothing this listener
 * issued. The cookie's four clock bits give its age; the whole clock the
 * MACs cover is the current one less that age.
 */
enum tern_cookie_verdict tern_cookie_check(const struct sk_buff *skb,
					   u64 cookie, u64 peer_isn, u16 *mss)
{
	u32 now = tern_cookie_clock();
	u32 age = (now - (u32)(cookie >> TERN_COOKIE_CLOCK_SHIFT)) &
		  TERN_COOKIE_CLOCK_MASK;
	u32 clock = now - age;

	*mss = cookie & 0xffff;
	if (age >= TERN_COOKIE_SLOTS || *mss < TERN_MIN_MSS ||
	    tern_cookie_hash(skb, 0, clock, *mss, false) !=
	    ((cookie >> TERN_COOKIE_TAG_SHIFT) & TERN_COOKIE_TAG_MASK))
		return TERN_COOKIE_BAD;
	if (tern_cookie_hash(skb, peer_isn, clock, *mss, true) !=
	    cookie >> TERN_COOKIE_MAC_SHIFT)
		return TERN_COOKIE_LATER;
	return TERN_COOKIE_OK;
}

#include "cookie_test.c"
