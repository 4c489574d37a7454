// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for pacing.c, which includes this file at its end: the
 * rate a window and RTT give (tern_update_pacing_rate()) and how far
 * each segment moves the next departure time (tern_pacing_stamp()).
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

static struct sock *tern_test_pacing_sock(struct kunit *test, u32 cwnd,
					  u32 ssthresh, u32 srtt_us)
{
	struct tern_sock *tsk = tern_kunit_sock(test);
	struct sock *sk = (struct sock *)tsk;

	tsk->cwnd = cwnd;
	tsk->ssthresh = ssthresh;
	tsk->srtt_us = srtt_us << 3;
	sk->sk_max_pacing_rate = ~0UL;
	sk->sk_pacing_rate = ~0UL;
	tern_update_pacing_rate(sk);
	return sk;
}

static unsigned long rate(struct kunit *test, u32 cwnd, u32 ssthresh,
			  u32 srtt_us)
{
	return tern_test_pacing_sock(test, cwnd, ssthresh, srtt_us)->sk_pacing_rate;
}

static void tern_pacing_rate_window(struct kunit *test)
{
	/* no RTT: no rate */
	KUNIT_EXPECT_EQ(test, rate(test, 14480, TERN_MAX_CWND, 0), ~0UL);
	/* slow start: twice 14480 bytes per 10 ms */
	KUNIT_EXPECT_EQ(test, rate(test, 14480, TERN_MAX_CWND, 10000), 2896000UL);
	/* congestion avoidance: 1.2 times */
	KUNIT_EXPECT_EQ(test, rate(test, 14480, 20000, 10000), 1737600UL);
	/* within half of ssthresh it still doubles, as TCP's */
	KUNIT_EXPECT_EQ(test, rate(test, 14480, 28962, 10000), 2896000UL);
	/* the largest window over a microsecond does not overflow */
	KUNIT_EXPECT_EQ(test, rate(test, TERN_MAX_CWND, TERN_MAX_CWND, 1),
			(unsigned long)TERN_MAX_CWND * 12 * USEC_PER_SEC / 10);
}

static void tern_test_model(struct sock *sk,
			    const struct tern_rate_sample *rs)
{
}

/* SO_MAX_PACING_RATE caps it; a model-based algorithm sets its own. */
static void tern_pacing_rate_bounds(struct kunit *test)
{
	static struct tern_cong_ops model = {
		.cong_control = tern_test_model,
	};
	struct sock *sk = tern_test_pacing_sock(test, 14480, 20000, 10000);

	sk->sk_max_pacing_rate = 1000000;
	tern_update_pacing_rate(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_pacing_rate, 1000000UL);
	tern_sk(sk)->ca_ops = &model;
	sk->sk_pacing_rate = 5;
	tern_update_pacing_rate(sk);
	KUNIT_EXPECT_EQ(test, sk->sk_pacing_rate, 5UL);
}

static struct sk_buff *tern_test_payload(struct kunit *test, u32 len)
{
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   tern_kunit_free_skb,
							   skb));
	skb_put_zero(skb, len);
	return skb;
}

/*
 * 1000 bytes at 1 MB/s: the next one leaves 1 ms later. A sender behind
 * its time gets half of that back at most; a socket nothing paces, and
 * the first ten segments, do not move the time at all.
 */
static void tern_pacing_stamp_advance(struct kunit *test)
{
	struct sock *sk = tern_test_pacing_sock(test, 14480, 20000, 10000);
	struct sk_buff *skb = tern_test_payload(test, 1000);
	struct tern_sock *tsk = tern_sk(sk);
	u64 t;

	sk->sk_pacing_rate = 1000000;
	sk->sk_pacing_status = SK_PACING_NEEDED;
	tsk->stats.data_segs_out = TERN_PACING_FREE_SEGS;
	tsk->wstamp_ns = ktime_get_ns() + NSEC_PER_SEC;	/* ahead of now */
	t = tsk->wstamp_ns;
	tern_pacing_stamp(sk, skb);
	KUNIT_EXPECT_EQ(test, ktime_to_ns(skb->tstamp), t);
	KUNIT_EXPECT_EQ(test, tsk->wstamp_ns, t + NSEC_PER_MSEC);

	tsk->wstamp_ns = 1;	/* long behind */
	tern_pacing_stamp(sk, skb);
	KUNIT_EXPECT_EQ(test, tsk->wstamp_ns,
			ktime_to_ns(skb->tstamp) + NSEC_PER_MSEC / 2);

	t = tsk->wstamp_ns + NSEC_PER_SEC;
	tsk->wstamp_ns = t;
	tsk->stats.data_segs_out = TERN_PACING_FREE_SEGS - 1;
	tern_pacing_stamp(sk, skb);
	KUNIT_EXPECT_EQ(test, tsk->wstamp_ns, t);
	tsk->stats.data_segs_out = TERN_PACING_FREE_SEGS;
	sk->sk_pacing_status = SK_PACING_NONE;
	tern_pacing_stamp(sk, skb);
	KUNIT_EXPECT_EQ(test, tsk->wstamp_ns, t);
}

static struct kunit_case tern_pacing_cases[] = {
	KUNIT_CASE(tern_pacing_rate_window),
	KUNIT_CASE(tern_pacing_rate_bounds),
	KUNIT_CASE(tern_pacing_stamp_advance),
	{}
};

static struct kunit_suite tern_pacing_suite = {
	.name = "tern_pacing",
	.test_cases = tern_pacing_cases,
};

kunit_test_suites(&tern_pacing_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
