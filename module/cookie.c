// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: initial sequence numbers and handshake cookies.
 *
 * A listener keeps no state for a handshake: its SYN-ACK's sequence number
 * is a cookie, a keyed MAC over the addresses, the ports, the client's
 * initial sequence number, a coarse clock and the client's MSS, which the
 * cookie also carries. The client's next segment acknowledges cookie + 1;
 * a valid MAC within the clock window proves the client saw the SYN-ACK.
 *
 *  63                                     24 23       16 15            0
 * +-----------------------------------------+-----------+---------------+
 * |           MAC (40 bits)                 | clock (8) |   MSS (16)    |
 * +-----------------------------------------+-----------+---------------+
 *
 * The clock ticks every 64 s; a cookie is good for TERN_COOKIE_SLOTS ticks.
 * Initial sequence numbers are a keyed hash of the four-tuple plus a clock
 * in 64 ns units, as the kernel does for TCP (RFC 6528).
 */

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
	u16 mss;
	u8 clock;
	u8 pad;
	u64 peer_isn;
};

/* The MAC over what the segment says, in the client's direction. */
static u64 tern_cookie_mac(const struct sk_buff *skb, u64 peer_isn, u8 clock,
			   u16 mss)
{
	const struct ternhdr *th = tern_hdr(skb);
	struct tern_cookie_in in = {
		.sport = th->source,
		.dport = th->dest,
		.mss = mss,
		.clock = clock,
		.peer_isn = peer_isn,
	};

	if (skb->protocol == htons(ETH_P_IP)) {
		ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, &in.saddr);
		ipv6_addr_set_v4mapped(ip_hdr(skb)->daddr, &in.daddr);
	} else {
		in.saddr = ipv6_hdr(skb)->saddr;
		in.daddr = ipv6_hdr(skb)->daddr;
	}
	return siphash(&in, sizeof(in), &tern_cookie_key) >> 24;
}

static u8 tern_cookie_clock(void)
{
	return (u8)(ktime_get_seconds() >> TERN_COOKIE_SHIFT);
}

u64 tern_cookie_make(const struct sk_buff *skb, u64 peer_isn, u16 mss)
{
	u8 clock = tern_cookie_clock();

	return tern_cookie_mac(skb, peer_isn, clock, mss) << 24 |
	       (u64)clock << 16 | mss;
}

bool tern_cookie_check(const struct sk_buff *skb, u64 cookie, u64 peer_isn,
		       u16 *mss)
{
	u8 clock = (cookie >> 16) & 0xff;
	u8 age = tern_cookie_clock() - clock;

	*mss = cookie & 0xffff;
	if (age >= TERN_COOKIE_SLOTS || *mss < TERN_MIN_MSS)
		return false;
	return tern_cookie_mac(skb, peer_isn, clock, *mss) == cookie >> 24;
}
