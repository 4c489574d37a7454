// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for output.c, which includes this file at its end: how
 * much one GSO burst may carry (tern_burst_goal()), a millisecond of
 * data at the pacing rate, between two segments and the route's GSO
 * size.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

#define TERN_TEST_MSS	1448

/* A socket on a route that takes 64 KB GSO skbs. */
static struct sock *tern_test_burst_sock(struct kunit *test, u32 cwnd,
					 u32 ssthresh, u32 srtt_ms)
{
	struct tern_sock *tsk = tern_kunit_sock(test);
	struct sock *sk = (struct sock *)tsk;

	sk->sk_gso_max_size = 65536;
	tsk->mss_cache = TERN_TEST_MSS;
	tsk->cwnd = cwnd;
	tsk->ssthresh = ssthresh;
	tsk->srtt_us = srtt_ms * USEC_PER_MSEC << 3;
	sk->sk_pacing_shift = 10;
	sk->sk_max_pacing_rate = ~0UL;
	sk->sk_pacing_rate = ~0UL;
	tern_update_pacing_rate(sk);
	return sk;
}

static u32 goal(struct kunit *test, u32 cwnd, u32 ssthresh, u32 srtt_ms)
{
	return tern_burst_goal(tern_test_burst_sock(test, cwnd, ssthresh,
						    srtt_ms));
}

static void tern_burst_goal_rate(struct kunit *test)
{
	u32 max = 65536 - MAX_TERN_HEADER;

	/* no RTT yet: the route's limit */
	KUNIT_EXPECT_EQ(test, goal(test, 100000, TERN_MAX_CWND, 0), max);
	/* slow start, 100 kB per 20 ms: twice 5 MB/s, for 1/1024 s */
	KUNIT_EXPECT_EQ(test, goal(test, 100000, TERN_MAX_CWND, 20), 9765);
	/* congestion avoidance: 1.2 times the rate */
	KUNIT_EXPECT_EQ(test, goal(test, 100000, 50000, 20), 5859);
	/* a slow path: never less than two segments */
	KUNIT_EXPECT_EQ(test, goal(test, 10000, 5000, 100), 2 * TERN_TEST_MSS);
	/* a fast one: never more than the route takes */
	KUNIT_EXPECT_EQ(test, goal(test, 4 << 20, 1 << 20, 1), max);
	/* the largest window and RTT do not overflow */
	KUNIT_EXPECT_EQ(test, goal(test, TERN_MAX_CWND, TERN_MAX_CWND, 1), max);
}

/* SO_MAX_PACING_RATE bounds the burst as it bounds the rate. */
static void tern_burst_goal_max_rate(struct kunit *test)
{
	struct sock *sk = tern_test_burst_sock(test, 100000, TERN_MAX_CWND, 20);

	sk->sk_max_pacing_rate = 4000000;
	tern_update_pacing_rate(sk);
	KUNIT_EXPECT_EQ(test, tern_burst_goal(sk), 3906);
}

/* A route with a smaller GSO size bounds the burst as well. */
static void tern_burst_goal_route(struct kunit *test)
{
	struct sock *sk = tern_test_burst_sock(test, 4 << 20, TERN_MAX_CWND, 1);

	sk->sk_gso_max_size = 16384;
	KUNIT_EXPECT_EQ(test, tern_burst_goal(sk), 16384 - MAX_TERN_HEADER);
}

static struct kunit_case tern_output_cases[] = {
	KUNIT_CASE(tern_burst_goal_rate),
	KUNIT_CASE(tern_burst_goal_route),
	KUNIT_CASE(tern_burst_goal_max_rate),
	{}
};

static struct kunit_suite tern_output_suite = {
	.name = "tern_output",
	.test_cases = tern_output_cases,
};

kunit_test_suites(&tern_output_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
