// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for cookie.c, which includes this file at its end: handshake
 * cookies made and checked, their layout, what the tag and the MAC cover,
 * and their life on the 64 s clock. The keys are the module's own (random
 * at load), so no test depends on a hash value: a tag that matches by
 * chance (1 in 256) is allowed for wherever it can happen.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

static const u64 tern_test_isns[] = {
	0, 1, 0x0123456789abcdefULL, 1ULL << 63, U64_MAX,
};

static const u16 tern_test_msses[] = {
	TERN_MIN_MSS, TERN_DEFAULT_MSS, 1220, 1440, 1460, 8960, 65535,
};

/* The cookie tern_cookie_make() gives, for any clock. */
static u64 tern_test_cookie_at(const struct sk_buff *skb, u64 isn, u16 mss,
			       u32 clock)
{
	return tern_cookie_hash(skb, isn, clock, mss, true) <<
	       TERN_COOKIE_MAC_SHIFT |
	       tern_cookie_hash(skb, 0, clock, mss, false) <<
	       TERN_COOKIE_TAG_SHIFT |
	       (u64)(clock & TERN_COOKIE_CLOCK_MASK) << TERN_COOKIE_CLOCK_SHIFT |
	       mss;
}

static u64 tern_test_tag(u64 cookie)
{
	return (cookie >> TERN_COOKIE_TAG_SHIFT) & TERN_COOKIE_TAG_MASK;
}

/*
 * Check a cookie made age ticks ago (negative: in the future), on the
 * same clock reading; tried again if the clock ticked in between.
 */
static enum tern_cookie_verdict
tern_test_check_aged(const struct sk_buff *skb, u64 isn, u16 mss, int age,
		     u16 *got_mss)
{
	enum tern_cookie_verdict v;
	int tries = 0;
	u32 now;

	do {
		now = tern_cookie_clock();
		v = tern_cookie_check(skb, tern_test_cookie_at(skb, isn, mss,
							       now - age),
				      isn, got_mss);
	} while (tern_cookie_clock() != now && ++tries < 3);
	return v;
}

/* What a listener sends, the client's next segment gets accepted for. */
static void tern_cookie_round_trip(struct kunit *test)
{
	int v6, i, j;
	u64 cookie;
	u16 mss;

	for (v6 = 0; v6 <= 1; v6++) {
		struct sk_buff *skb = tern_kunit_segment(test, v6, NULL, 0);

		for (i = 0; i < ARRAY_SIZE(tern_test_isns); i++) {
			for (j = 0; j < ARRAY_SIZE(tern_test_msses); j++) {
				u64 isn = tern_test_isns[i];

				cookie = tern_cookie_make(skb, isn,
							  tern_test_msses[j]);
				mss = 0;
				KUNIT_EXPECT_EQ_MSG(test, TERN_COOKIE_OK,
						    tern_cookie_check(skb, cookie,
								      isn, &mss),
						    "v6 %d isn %llx mss %u",
						    v6, isn, tern_test_msses[j]);
				KUNIT_EXPECT_EQ(test, mss, tern_test_msses[j]);
			}
		}
	}
}

/* MSS in bits 15..0, the clock's low bits in 19..16, as documented. */
static void tern_cookie_layout(struct kunit *test)
{
	struct sk_buff *skb = tern_kunit_segment(test, false, NULL, 0);
	int tries = 0;
	u64 cookie;
	u32 now;
	int j;

	for (j = 0; j < ARRAY_SIZE(tern_test_msses); j++) {
		u16 mss = tern_test_msses[j];

		do {
			now = tern_cookie_clock();
			cookie = tern_cookie_make(skb, 42, mss);
		} while (tern_cookie_clock() != now && ++tries < 3);
		KUNIT_EXPECT_EQ(test, cookie & 0xffff, mss);
		KUNIT_EXPECT_EQ(test, (cookie >> 16) & 0xf, now & 0xf);
		KUNIT_EXPECT_EQ(test, cookie,
				tern_test_cookie_at(skb, 42, mss, now));
	}
}

/* An MSS below the minimum is not one a listener puts in a cookie. */
static void tern_cookie_small_mss(struct kunit *test)
{
	struct sk_buff *skb = tern_kunit_segment(test, false, NULL, 0);
	static const u16 small[] = { 0, 1, TERN_MIN_MSS - 1 };
	u16 mss;
	int i;

	for (i = 0; i < ARRAY_SIZE(small); i++)
		KUNIT_EXPECT_EQ_MSG(test, TERN_COOKIE_BAD,
				    tern_test_check_aged(skb, 7, small[i], 0,
							 &mss),
				    "mss %u", small[i]);
}

/* Any tag bit wrong: not a cookie of this listener. */
static void tern_cookie_wrong_tag(struct kunit *test)
{
	struct sk_buff *skb = tern_kunit_segment(test, true, NULL, 0);
	u64 cookie = tern_cookie_make(skb, 1000, 1440);
	u16 mss;
	int bit;

	for (bit = TERN_COOKIE_TAG_SHIFT; bit < TERN_COOKIE_MAC_SHIFT; bit++)
		KUNIT_EXPECT_EQ_MSG(test, TERN_COOKIE_BAD,
				    tern_cookie_check(skb, cookie ^ BIT_ULL(bit),
						      1000, &mss),
				    "tag bit %d flipped", bit);
}

/*
 * A good tag with a wrong MAC is a later segment of the handshake (its
 * sequence number is not ISN + 1); the MSS still comes out of it.
 */
static void tern_cookie_wrong_mac(struct kunit *test)
{
	struct sk_buff *skb = tern_kunit_segment(test, false, NULL, 0);
	u64 cookie = tern_cookie_make(skb, 1000, 1440);
	u16 mss;
	int bit;

	for (bit = TERN_COOKIE_MAC_SHIFT; bit < 64; bit++) {
		mss = 0;
		KUNIT_EXPECT_EQ_MSG(test, TERN_COOKIE_LATER,
				    tern_cookie_check(skb, cookie ^ BIT_ULL(bit),
						      1000, &mss),
				    "MAC bit %d flipped", bit);
		KUNIT_EXPECT_EQ(test, mss, 1440);
	}
	KUNIT_EXPECT_EQ(test, TERN_COOKIE_LATER,
			tern_cookie_check(skb, cookie, 1001, &mss));
	KUNIT_EXPECT_EQ(test, TERN_COOKIE_LATER,
			tern_cookie_check(skb, cookie, 1000 + (1ULL << 63),
					  &mss));
}

/*
 * The tag leaves the ISN out: cookies for two ISNs differ in the MAC
 * only, and either one passes the tag for the other's segments.
 */
static void tern_cookie_tag_without_isn(struct kunit *test)
{
	struct sk_buff *skb = tern_kunit_segment(test, true, NULL, 0);
	u64 a, b;
	int tries = 0;
	u16 mss;
	u32 now;

	do {
		now = tern_cookie_clock();
		a = tern_cookie_make(skb, 5, 1220);
		b = tern_cookie_make(skb, 0x8000000000000005ULL, 1220);
	} while (tern_cookie_clock() != now && ++tries < 3);
	KUNIT_EXPECT_EQ(test, a & GENMASK_ULL(TERN_COOKIE_MAC_SHIFT - 1, 0),
			b & GENMASK_ULL(TERN_COOKIE_MAC_SHIFT - 1, 0));
	KUNIT_EXPECT_NE(test, a >> TERN_COOKIE_MAC_SHIFT,
			b >> TERN_COOKIE_MAC_SHIFT);
	KUNIT_EXPECT_EQ(test, TERN_COOKIE_LATER,
			tern_cookie_check(skb, a, 0x8000000000000005ULL,
					  &mss));
	KUNIT_EXPECT_EQ(test, TERN_COOKIE_LATER,
			tern_cookie_check(skb, b, 5, &mss));
}

/*
 * The tag and the MAC cover the addresses, the ports and the MSS: a
 * cookie is never good for another flow, and is BAD there unless the
 * two flows' tags happen to match (1 in 256).
 */
static void tern_cookie_other_flow(struct kunit *test)
{
	struct sk_buff *skb4 = tern_kunit_segment(test, false, NULL, 0);
	struct sk_buff *skb6 = tern_kunit_segment(test, true, NULL, 0);
	struct sk_buff *other[5], *mine;
	enum tern_cookie_verdict v;
	u64 cookie, theirs;
	int i, tries;
	u16 mss;
	u32 now;

	for (i = 0; i < ARRAY_SIZE(other); i++)
		other[i] = tern_kunit_segment(test, i == 4, NULL, 0);
	tern_hdr(other[0])->source = htons(40001);
	tern_hdr(other[1])->dest = htons(5001);
	ip_hdr(other[2])->saddr = htonl(0xc0000203);
	ip_hdr(other[3])->daddr = htonl(0xc0000203);
	ipv6_hdr(other[4])->daddr.s6_addr32[3] = htonl(3);

	for (i = 0; i < ARRAY_SIZE(other); i++) {
		mine = i == 4 ? skb6 : skb4;
		tries = 0;
		do {
			now = tern_cookie_clock();
			cookie = tern_cookie_make(mine, 9, 1400);
			theirs = tern_cookie_make(other[i], 9, 1400);
			v = tern_cookie_check(other[i], cookie, 9, &mss);
		} while (tern_cookie_clock() != now && ++tries < 3);
		KUNIT_EXPECT_NE_MSG(test, TERN_COOKIE_OK, v, "flow %d", i);
		KUNIT_EXPECT_EQ_MSG(test, v,
				    tern_test_tag(cookie) == tern_test_tag(theirs) ?
				    TERN_COOKIE_LATER : TERN_COOKIE_BAD,
				    "flow %d", i);
	}

	/* an IPv4 cookie on IPv6 segments */
	cookie = tern_cookie_make(skb4, 9, 1400);
	KUNIT_EXPECT_NE(test, TERN_COOKIE_OK,
			tern_cookie_check(skb6, cookie, 9, &mss));

	/* a raised MSS in a cookie of ours */
	cookie = tern_cookie_make(skb4, 9, 536);
	KUNIT_EXPECT_NE(test, TERN_COOKIE_OK,
			tern_cookie_check(skb4, (cookie & ~0xffffULL) | 1460,
					  9, &mss));
}

/*
 * Good for TERN_COOKIE_SLOTS ticks of the clock; older ones, ones from
 * the future and ones whose clock bits came round again are not.
 */
static void tern_cookie_expiry(struct kunit *test)
{
	struct sk_buff *skb = tern_kunit_segment(test, false, NULL, 0);
	int age;
	u16 mss;

	for (age = 0; age < TERN_COOKIE_SLOTS; age++) {
		KUNIT_EXPECT_EQ_MSG(test, TERN_COOKIE_OK,
				    tern_test_check_aged(skb, 77, 1460, age,
							 &mss),
				    "age %d", age);
		KUNIT_EXPECT_EQ(test, mss, 1460);
	}
	for (age = TERN_COOKIE_SLOTS; age <= TERN_COOKIE_CLOCK_MASK; age++)
		KUNIT_EXPECT_EQ_MSG(test, TERN_COOKIE_BAD,
				    tern_test_check_aged(skb, 77, 1460, age,
							 &mss),
				    "age %d", age);
	KUNIT_EXPECT_EQ(test, TERN_COOKIE_BAD,
			tern_test_check_aged(skb, 77, 1460, -1, &mss));
	/* same four clock bits as now or one tick ago, but older */
	for (age = TERN_COOKIE_CLOCK_MASK + 1; age < 4 * 16; age += 16) {
		KUNIT_EXPECT_NE_MSG(test, TERN_COOKIE_OK,
				    tern_test_check_aged(skb, 77, 1460, age,
							 &mss),
				    "age %d", age);
		KUNIT_EXPECT_NE_MSG(test, TERN_COOKIE_OK,
				    tern_test_check_aged(skb, 77, 1460,
							 age + 1, &mss),
				    "age %d", age + 1);
	}
}

static struct kunit_case tern_cookie_cases[] = {
	KUNIT_CASE(tern_cookie_round_trip),
	KUNIT_CASE(tern_cookie_layout),
	KUNIT_CASE(tern_cookie_small_mss),
	KUNIT_CASE(tern_cookie_wrong_tag),
	KUNIT_CASE(tern_cookie_wrong_mac),
	KUNIT_CASE(tern_cookie_tag_without_isn),
	KUNIT_CASE(tern_cookie_other_flow),
	KUNIT_CASE(tern_cookie_expiry),
	{}
};

static struct kunit_suite tern_cookie_suite = {
	.name = "tern_cookie",
	.test_cases = tern_cookie_cases,
};

kunit_test_suites(&tern_cookie_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
