// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for cong_cubic.c, which includes this file at its end:
 * CUBIC's window function, K, the Reno-friendly region and fast
 * convergence (RFC 9438), HyStart++'s rounds (RFC 9406), on a zeroed
 * socket with a 1000-byte MSS.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

#define TERN_CT_MSS	1000

static int tern_ct_wmem[3] = { 4096, 16384, 1 << 20 };
static struct proto tern_ct_prot = {
	.name		= "TERN-KUNIT-CUBIC",
	.sysctl_wmem	= tern_ct_wmem,
};

/* A CUBIC socket after tern_cc_init(), at 100000, cwnd-limited. */
static struct sock *tern_ct_sock(struct kunit *test)
{
	struct tern_sock *tsk = tern_kunit_sock(test);
	struct sock *sk = (struct sock *)tsk;

	sk->sk_prot = &tern_ct_prot;
	tsk->mss_cache = TERN_CT_MSS;
	tsk->snd_una = 100000;
	tsk->snd_nxt = 100000;
	tsk->ca_ops = &tern_cubic;
	tern_cc_init(sk);
	tsk->ca_cwnd_limited = 1;
	tsk->ca_usage_seq = tsk->snd_una + (1ULL << 40);
	return sk;
}

static void tern_cubic_cbrt_values(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, tern_cbrt(0), 0);
	KUNIT_EXPECT_EQ(test, tern_cbrt(1), 1);
	KUNIT_EXPECT_EQ(test, tern_cbrt(7), 1);
	KUNIT_EXPECT_EQ(test, tern_cbrt(8), 2);
	KUNIT_EXPECT_EQ(test, tern_cbrt(26), 2);
	KUNIT_EXPECT_EQ(test, tern_cbrt(27), 3);
	KUNIT_EXPECT_EQ(test, tern_cbrt(1000000000000ULL), 10000);
	KUNIT_EXPECT_EQ(test, tern_cbrt(1ULL << 63), 1U << 21);
	KUNIT_EXPECT_EQ(test, tern_cbrt(U64_MAX), 1U << 21);
}

/*
 * W_max 100 segments, cwnd_epoch 70: K = cbrt(30 / 0.4) s = 4.2172 s,
 * 4318 in 1/1024 s; W_cubic is cwnd_epoch at 0, W_max at K, and C * d^3
 * segments away from it d seconds either side (RFC 9438 4.2).
 */
static void tern_cubic_window_function(struct kunit *test)
{
	u32 w_max = 100 * TERN_CT_MSS, k;

	k = tern_cubic_k(w_max, 70 * TERN_CT_MSS, TERN_CT_MSS);
	KUNIT_EXPECT_EQ(test, k, 4318);
	KUNIT_EXPECT_EQ(test, tern_cubic_k(w_max, w_max, TERN_CT_MSS), 0);
	KUNIT_EXPECT_EQ(test, tern_cubic_k(w_max, w_max + 1, TERN_CT_MSS), 0);

	KUNIT_EXPECT_EQ(test, tern_cubic_w(w_max, k, k, TERN_CT_MSS), w_max);
	KUNIT_EXPECT_EQ(test, tern_cubic_w(w_max, k, k + 1024, TERN_CT_MSS),
			w_max + 400);
	KUNIT_EXPECT_EQ(test, tern_cubic_w(w_max, k, k - 1024, TERN_CT_MSS),
			w_max - 400);
	KUNIT_EXPECT_EQ(test, tern_cubic_w(w_max, k, k + 2048, TERN_CT_MSS),
			w_max + 3200);
	/* at 0: cwnd_epoch, less K's rounding (under a segment) */
	KUNIT_EXPECT_GE(test, tern_cubic_w(w_max, k, 0, TERN_CT_MSS),
			70 * TERN_CT_MSS);
	KUNIT_EXPECT_LT(test, tern_cubic_w(w_max, k, 0, TERN_CT_MSS),
			71 * TERN_CT_MSS);
	/* concave then convex: slower near W_max than far from it */
	KUNIT_EXPECT_LT(test, tern_cubic_w(w_max, k, k, TERN_CT_MSS) -
			tern_cubic_w(w_max, k, k - 512, TERN_CT_MSS),
			tern_cubic_w(w_max, k, 512, TERN_CT_MSS) -
			tern_cubic_w(w_max, k, 0, TERN_CT_MSS));
	/* far beyond: bounded, no overflow */
	KUNIT_EXPECT_EQ(test, tern_cubic_w(w_max, 0, U32_MAX, 65535),
			TERN_MAX_CWND);
	KUNIT_EXPECT_EQ(test, tern_cubic_w(w_max, U32_MAX, 0, 65535), 0);
}

/*
 * A loss at 100 segments, 100 in flight: ssthresh 70 segments (beta
 * 0.7, RFC 9438 4.6), W_max 100; a second loss at 80, short of W_max:
 * fast convergence takes W_max to 80 * (1 + 0.7) / 2 = 68 (RFC 9438 4.7).
 */
static void tern_cubic_decrease(struct kunit *test)
{
	struct sock *sk = tern_ct_sock(test);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);

	tsk->cwnd = 100 * TERN_CT_MSS;
	tsk->snd_nxt = tsk->snd_una + 100 * TERN_CT_MSS;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 100 * TERN_CT_MSS * 717 / 1024);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, tsk->ssthresh);
	KUNIT_EXPECT_EQ(test, ca->w_max, 100 * TERN_CT_MSS);
	KUNIT_EXPECT_EQ(test, ca->cwnd_prior, 100 * TERN_CT_MSS);
	KUNIT_EXPECT_EQ(test, ca->hs_state, TERN_HS_DONE);

	tsk->snd_una = tsk->snd_nxt;
	tern_cc_on_ack(sk, TERN_CT_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	tsk->cwnd = 80 * TERN_CT_MSS;
	tsk->snd_nxt = tsk->snd_una + 80 * TERN_CT_MSS;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, ca->w_max, 80 * TERN_CT_MSS * 1741 / 2048);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 80 * TERN_CT_MSS * 717 / 1024);

	/* a timeout: the next epoch starts at K = 0 (RFC 9438 4.8) */
	tern_cc_on_rto(sk);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, TERN_CT_MSS);
	KUNIT_EXPECT_EQ(test, ca->w_max, 0);
	KUNIT_EXPECT_EQ(test, ca->epoch_start, 0);
}

/* Acknowledge a window's worth in one-segment ACKs; the sender keeps it full. */
static void tern_ct_ack_window(struct sock *sk, long rtt_us)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 n = tsk->cwnd / TERN_CT_MSS;

	while (n--) {
		tsk->snd_una += TERN_CT_MSS;
		tern_cc_on_ack(sk, TERN_CT_MSS, rtt_us);
		tsk->snd_nxt = tsk->snd_una + tsk->cwnd;
	}
}

/*
 * Right after a loss at 100 segments, W_cubic(t) is near cwnd_epoch
 * while W_est has grown alpha_cubic = 0.53 segments in a window: the
 * Reno-friendly region, cwnd follows W_est (RFC 9438 4.3).
 */
static void tern_cubic_reno_friendly(struct kunit *test)
{
	struct sock *sk = tern_ct_sock(test);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u32 epoch;

	tsk->cwnd = 100 * TERN_CT_MSS;
	tsk->snd_nxt = tsk->snd_una + 100 * TERN_CT_MSS;
	tern_cc_enter_recovery(sk);
	tsk->snd_una = tsk->snd_nxt;
	epoch = tsk->ssthresh;
	tern_cc_on_ack(sk, TERN_CT_MSS, -1);	/* recovery ends, epoch begins */
	KUNIT_EXPECT_EQ(test, epoch, 70019);
	KUNIT_EXPECT_GE(test, tsk->cwnd, epoch);
	KUNIT_EXPECT_LT(test, tsk->cwnd, epoch + 100);
	KUNIT_EXPECT_NE(test, ca->epoch_start, 0);
	KUNIT_EXPECT_EQ(test, ca->origin, 100 * TERN_CT_MSS);
	KUNIT_EXPECT_EQ(test, ca->k,
			tern_cubic_k(100 * TERN_CT_MSS, epoch, TERN_CT_MSS));
	tern_ct_ack_window(sk, -1);
	KUNIT_EXPECT_GE(test, tsk->cwnd, epoch + 500);
	KUNIT_EXPECT_LE(test, tsk->cwnd, epoch + 560);
}

/*
 * Beyond K the window is convex: two seconds past it, W_cubic is 3.2
 * segments over W_max, and a window of ACKs brings cwnd toward it.
 */
static void tern_cubic_convex(struct kunit *test)
{
	struct sock *sk = tern_ct_sock(test);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u64 now = tern_clock_us();

	tsk->ssthresh = 70 * TERN_CT_MSS;
	tsk->cwnd = 100 * TERN_CT_MSS;
	ca->hs_state = TERN_HS_DONE;
	ca->origin = 100 * TERN_CT_MSS;
	ca->k = 4318;
	ca->epoch_start = now - div_u64((4318ULL + 2048) * USEC_PER_SEC, 1024);
	ca->w_est = 70ULL * TERN_CT_MSS << 10;
	ca->cwnd_prior = 100 * TERN_CT_MSS;
	tern_ct_ack_window(sk, -1);
	KUNIT_EXPECT_GT(test, tsk->cwnd, 101 * TERN_CT_MSS);
	KUNIT_EXPECT_LE(test, tsk->cwnd, 104 * TERN_CT_MSS);
}

/*
 * HyStart++ (RFC 9406 4.2): steady RTTs keep slow start; a round whose
 * minimum RTT is RttThresh (here the 4 ms floor) over the last one's
 * moves to CSS, where growth is a quarter; CSS_ROUNDS rounds later,
 * congestion avoidance at the window reached.
 */
static void tern_hystart_exit(struct kunit *test)
{
	struct sock *sk = tern_ct_sock(test);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	int rounds;
	u32 cwnd;

	tsk->snd_nxt = tsk->snd_una + tsk->cwnd;
	tern_ct_ack_window(sk, 10000);
	tern_ct_ack_window(sk, 10000);
	KUNIT_EXPECT_EQ(test, ca->hs_state, TERN_HS_SS);
	KUNIT_EXPECT_EQ(test, ca->last_round_min_rtt, 10000);
	/* under the threshold: still slow start */
	tern_ct_ack_window(sk, 13999);
	KUNIT_EXPECT_EQ(test, ca->hs_state, TERN_HS_SS);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, TERN_MAX_CWND);
	tern_ct_ack_window(sk, 18000);
	KUNIT_ASSERT_EQ(test, ca->hs_state, TERN_HS_CSS);
	KUNIT_EXPECT_EQ(test, ca->css_baseline_min_rtt, 18000);

	cwnd = tsk->cwnd;
	tsk->snd_una += TERN_CT_MSS;
	tern_cc_on_ack(sk, TERN_CT_MSS, 18000);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, cwnd + TERN_CT_MSS / 4);

	for (rounds = 0; rounds < 10 && ca->hs_state == TERN_HS_CSS; rounds++)
		tern_ct_ack_window(sk, 18000);
	KUNIT_EXPECT_EQ(test, ca->hs_state, TERN_HS_DONE);
	KUNIT_EXPECT_LE(test, rounds, TERN_HS_CSS_ROUNDS);
	KUNIT_EXPECT_LT(test, tsk->ssthresh, TERN_MAX_CWND);
	KUNIT_EXPECT_GE(test, tsk->cwnd, tsk->ssthresh);
}

/* In CSS, a round's minimum RTT under the baseline: back to slow start. */
static void tern_hystart_spurious(struct kunit *test)
{
	struct sock *sk = tern_ct_sock(test);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u32 cwnd;
	int i;

	tsk->snd_nxt = tsk->snd_una + tsk->cwnd;
	tern_ct_ack_window(sk, 10000);
	tern_ct_ack_window(sk, 10000);
	/* the round the RTT grows in holds older samples: one more */
	for (i = 0; i < 3 && ca->hs_state != TERN_HS_CSS; i++)
		tern_ct_ack_window(sk, 20000);
	KUNIT_ASSERT_EQ(test, ca->hs_state, TERN_HS_CSS);
	tern_ct_ack_window(sk, 12000);
	KUNIT_EXPECT_EQ(test, ca->hs_state, TERN_HS_SS);
	KUNIT_EXPECT_EQ(test, ca->css_baseline_min_rtt, U32_MAX);
	cwnd = tsk->cwnd;
	tsk->snd_una += TERN_CT_MSS;
	tern_cc_on_ack(sk, TERN_CT_MSS, 12000);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, cwnd + TERN_CT_MSS);
}

/* Fewer than N_RTT_SAMPLE samples in a round decide nothing. */
static void tern_hystart_few_samples(struct kunit *test)
{
	struct sock *sk = tern_ct_sock(test);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	int i;

	tsk->snd_nxt = tsk->snd_una + tsk->cwnd;
	tern_ct_ack_window(sk, 10000);
	tern_ct_ack_window(sk, 10000);
	/* a round of ACKs without RTT samples but seven */
	for (i = 0; i < 40; i++) {
		tsk->snd_una += TERN_CT_MSS;
		tern_cc_on_ack(sk, TERN_CT_MSS, i < 7 ? 30000 : -1);
		tsk->snd_nxt = tsk->snd_una + tsk->cwnd;
	}
	KUNIT_EXPECT_EQ(test, ca->hs_state, TERN_HS_SS);
	/* a loss in slow start ends HyStart++ (RFC 9406 4.2) */
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, ca->hs_state, TERN_HS_DONE);
}

static struct kunit_case tern_cubic_cases[] = {
	KUNIT_CASE(tern_cubic_cbrt_values),
	KUNIT_CASE(tern_cubic_window_function),
	KUNIT_CASE(tern_cubic_decrease),
	KUNIT_CASE(tern_cubic_reno_friendly),
	KUNIT_CASE(tern_cubic_convex),
	KUNIT_CASE(tern_hystart_exit),
	KUNIT_CASE(tern_hystart_spurious),
	KUNIT_CASE(tern_hystart_few_samples),
	{}
};

static struct kunit_suite tern_cubic_suite = {
	.name = "tern_cubic",
	.test_cases = tern_cubic_cases,
};

kunit_test_suites(&tern_cubic_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
