// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for cong.c, which includes this file at its end: the
 * framework's window arithmetic with NewReno (cong_reno.c) — slow start,
 * congestion avoidance, fast recovery, the retransmission timeout, undo,
 * growth only while cwnd-limited — and the registry, on a zeroed socket
 * with a 1000-byte MSS.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

#define TERN_TEST_MSS	1000

/* The send buffer may grow to 1 MiB. */
static int tern_test_wmem[3] = { 4096, 16384, 1 << 20 };
static struct proto tern_test_prot = {
	.name		= "TERN-KUNIT",
	.sysctl_wmem	= tern_test_wmem,
};

/* The window stopped a send: it may grow for a long while. */
static void tern_test_cwnd_limited(struct tern_sock *tsk)
{
	tsk->ca_cwnd_limited = 1;
	tsk->ca_usage_seq = tsk->snd_una + (1ULL << 40);
}

/*
 * A NewReno socket after tern_cc_init(), snd_una and snd_nxt at 100000,
 * cwnd-limited.
 */
static struct sock *tern_test_cc_sock(struct kunit *test)
{
	struct tern_sock *tsk = tern_kunit_sock(test);
	struct sock *sk = (struct sock *)tsk;

	sk->sk_prot = &tern_test_prot;
	tsk->mss_cache = TERN_TEST_MSS;
	tsk->snd_una = 100000;
	tsk->snd_nxt = 100000;
	tsk->ca_ops = &tern_reno;
	tern_cc_init(sk);
	tern_test_cwnd_limited(tsk);
	return sk;
}

static void tern_cc_initial_window(struct kunit *test)
{
	struct tern_sock *tsk = tern_sk(tern_test_cc_sock(test));

	KUNIT_EXPECT_EQ(test, tsk->cwnd, 10 * TERN_TEST_MSS);	/* RFC 6928 */
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, TERN_MAX_CWND);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	KUNIT_EXPECT_EQ(test, tsk->ca_acked, 0);
}

/* Each ACK adds what it acknowledged, at most two segments (RFC 3465). */
static void tern_cc_slow_start(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 11 * TERN_TEST_MSS);
	tern_cc_on_ack(sk, 500, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 11 * TERN_TEST_MSS + 500);
	tern_cc_on_ack(sk, 5 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 13 * TERN_TEST_MSS + 500);
	KUNIT_EXPECT_EQ(test, tsk->ca_acked, 0);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);

	/* doubles per round: a window's worth of ACKs, one per segment */
	tsk->cwnd = 10 * TERN_TEST_MSS;
	while (tsk->snd_una < 100000 + 10 * TERN_TEST_MSS) {
		tsk->snd_una += TERN_TEST_MSS;
		tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	}
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
}

/* At ssthresh and above: one segment more per window acknowledged. */
static void tern_cc_avoidance(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);
	int i;

	tsk->ssthresh = 10 * TERN_TEST_MSS;
	tern_cc_on_ack(sk, 4 * TERN_TEST_MSS, -1);
	tern_cc_on_ack(sk, 4 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 10 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ca_acked, 8 * TERN_TEST_MSS);
	tern_cc_on_ack(sk, 4 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 11 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ca_acked, 2 * TERN_TEST_MSS);

	/* ten windows of one-segment ACKs: ten segments more */
	tsk->cwnd = 20 * TERN_TEST_MSS;
	tsk->ca_acked = 0;
	for (i = 0; i < 10; i++) {
		u32 cwnd = tsk->cwnd;

		while (cwnd >= TERN_TEST_MSS) {
			tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
			cwnd -= TERN_TEST_MSS;
		}
	}
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 30 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ca_acked, 0);
}

/* The window stops at TERN_MAX_CWND; the send buffer follows it. */
static void tern_cc_limits(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, 4 * 11 * TERN_TEST_MSS);
	tsk->cwnd = TERN_MAX_CWND - TERN_TEST_MSS / 2;
	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, TERN_MAX_CWND);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, tern_test_wmem[2]);

	/* SO_SNDBUF fixed it */
	tsk->cwnd = 10 * TERN_TEST_MSS;
	sk->sk_sndbuf = 8192;
	sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, sk->sk_sndbuf, 8192);
}

/*
 * Loss found by SACK/RACK: half the data in flight (at least two
 * segments), once per window; the window holds until snd_una passes
 * what was in flight, then congestion avoidance from ssthresh.
 */
static void tern_cc_recovery(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tsk->cwnd = 50 * TERN_TEST_MSS;
	tsk->snd_nxt = tsk->snd_una + 40 * TERN_TEST_MSS;
	tsk->ca_acked = 123;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_RECOVERY);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ca_acked, 0);
	KUNIT_EXPECT_EQ(test, tsk->recover, tsk->snd_nxt);

	/* more loss in the same window: no second decrease */
	tsk->snd_nxt += 10 * TERN_TEST_MSS;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->recover, 100000 + 40 * TERN_TEST_MSS);

	/* partial ACKs hold the window */
	tsk->snd_una += 30 * TERN_TEST_MSS;
	tern_cc_on_ack(sk, 30 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_RECOVERY);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);

	/* recover acknowledged: open again, avoidance from ssthresh */
	tsk->snd_una += 10 * TERN_TEST_MSS;
	tern_cc_on_ack(sk, 10 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ca_acked, 10 * TERN_TEST_MSS);

	/* the next loss halves again */
	tsk->snd_nxt = tsk->snd_una + 30 * TERN_TEST_MSS;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 15 * TERN_TEST_MSS);
}

static void tern_cc_recovery_floor(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tsk->snd_nxt = tsk->snd_una + TERN_TEST_MSS;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 2 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 2 * TERN_TEST_MSS);

	/* recovery ends with at least two segments */
	tsk->ssthresh = TERN_TEST_MSS;
	tsk->snd_una = tsk->snd_nxt;
	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	KUNIT_EXPECT_GE(test, tsk->cwnd, 2 * TERN_TEST_MSS);
}

/*
 * A timeout: ssthresh halves (not again for a timeout in the same
 * episode), one segment in the window, then slow start; SACK loss does
 * not reduce it further until the episode ends.
 */
static void tern_cc_rto(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tsk->cwnd = 40 * TERN_TEST_MSS;
	tsk->snd_nxt = tsk->snd_una + 40 * TERN_TEST_MSS;
	tern_cc_on_rto(sk);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_LOSS);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->recover, tsk->snd_nxt);

	/* backed-off timeouts: the window stays at one segment */
	tsk->snd_nxt += 4 * TERN_TEST_MSS;
	tern_cc_on_rto(sk);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, TERN_TEST_MSS);
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_LOSS);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, TERN_TEST_MSS);

	/* slow start while the lost data is resent */
	tsk->snd_una += TERN_TEST_MSS;
	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 2 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_LOSS);

	/* all of it acknowledged: open, the window kept */
	tsk->snd_una = tsk->snd_nxt;
	tern_cc_on_ack(sk, 2 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 4 * TERN_TEST_MSS);
}

/*
 * A timeout in fast recovery ends it: ssthresh is half the data in
 * flight (RFC 5681 (4)), not half the window recovery left.
 */
static void tern_cc_rto_in_recovery(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tsk->cwnd = 40 * TERN_TEST_MSS;
	tsk->snd_nxt = tsk->snd_una + 40 * TERN_TEST_MSS;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 20 * TERN_TEST_MSS);
	tern_cc_on_rto(sk);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_LOSS);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 20 * TERN_TEST_MSS);
}

/* Nothing in flight: any segment may go; else what the window leaves. */
static void tern_cc_send_allowance(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tsk->cwnd = TERN_TEST_MSS;
	KUNIT_EXPECT_TRUE(test, tern_cc_can_send(sk, 16 * TERN_TEST_MSS));
	tsk->cwnd = 10 * TERN_TEST_MSS;
	tsk->snd_nxt = tsk->snd_una + 8 * TERN_TEST_MSS;
	KUNIT_EXPECT_TRUE(test, tern_cc_can_send(sk, 2 * TERN_TEST_MSS));
	KUNIT_EXPECT_FALSE(test, tern_cc_can_send(sk, 2 * TERN_TEST_MSS + 1));
	/* what the peer holds or was lost is not in flight */
	tsk->sacked_out = 3 * TERN_TEST_MSS;
	tsk->lost_out = 2 * TERN_TEST_MSS;
	KUNIT_EXPECT_TRUE(test, tern_cc_can_send(sk, 7 * TERN_TEST_MSS));
	KUNIT_EXPECT_FALSE(test, tern_cc_can_send(sk, 7 * TERN_TEST_MSS + 1));
	tsk->sacked_out = 8 * TERN_TEST_MSS;
	KUNIT_EXPECT_TRUE(test, tern_cc_can_send(sk, 16 * TERN_TEST_MSS));
}

/*
 * A window the sender does not fill does not grow (RFC 7661, as
 * tcp_is_cwnd_limited()): only once a send found it full, and until
 * what was in flight then is acknowledged.
 */
static void tern_cc_app_limited(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tsk->ca_cwnd_limited = 0;
	tsk->snd_nxt = tsk->snd_una + 4 * TERN_TEST_MSS;
	tsk->snd_una += TERN_TEST_MSS;
	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 10 * TERN_TEST_MSS);

	/* a full window stops a send: limited until snd_nxt then is acked */
	tsk->snd_nxt = tsk->snd_una + 10 * TERN_TEST_MSS;
	KUNIT_EXPECT_FALSE(test, tern_cc_can_send(sk, TERN_TEST_MSS));
	KUNIT_EXPECT_EQ(test, tsk->ca_cwnd_limited, 1);
	KUNIT_EXPECT_EQ(test, tsk->ca_usage_seq, tsk->snd_nxt);
	tsk->snd_una += 10 * TERN_TEST_MSS;
	tern_cc_on_ack(sk, 10 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 12 * TERN_TEST_MSS);
	tsk->snd_nxt += TERN_TEST_MSS;
	tsk->snd_una += TERN_TEST_MSS;
	tern_cc_on_ack(sk, TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_cwnd_limited, 0);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 12 * TERN_TEST_MSS);
}

/* A spurious reduction undone: the window and threshold before it. */
static void tern_cc_undo_reduction(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tern_cc_undo(sk);	/* nothing to undo */
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 10 * TERN_TEST_MSS);
	tsk->cwnd = 40 * TERN_TEST_MSS;
	tsk->ssthresh = 30 * TERN_TEST_MSS;
	tsk->snd_nxt = tsk->snd_una + 40 * TERN_TEST_MSS;
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	tern_cc_undo(sk);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 40 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 30 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->prior_ssthresh, 0);
}

/*
 * An ECN echo (RFC 3168 6.1.2): the loss reduction, once per window,
 * the window held until what was out then is acknowledged; a loss
 * found meanwhile does not reduce again; nothing to undo.
 */
static void tern_cc_ecn_reduction(struct kunit *test)
{
	struct sock *sk = tern_test_cc_sock(test);
	struct tern_sock *tsk = tern_sk(sk);

	tsk->cwnd = 40 * TERN_TEST_MSS;
	tsk->snd_nxt = tsk->snd_una + 40 * TERN_TEST_MSS;
	KUNIT_EXPECT_TRUE(test, tern_cc_enter_cwr(sk));
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_CWR);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_FALSE(test, tern_cc_enter_cwr(sk));	/* same window */
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	tsk->snd_una += 10 * TERN_TEST_MSS;
	tern_cc_on_ack(sk, 10 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);	/* held */
	tern_cc_enter_recovery(sk);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_RECOVERY);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, 20 * TERN_TEST_MSS);
	tern_cc_undo(sk);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 20 * TERN_TEST_MSS);
	tsk->snd_una = tsk->snd_nxt;
	tern_cc_on_ack(sk, 30 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	tsk->snd_nxt = tsk->snd_una + 20 * TERN_TEST_MSS;
	KUNIT_EXPECT_TRUE(test, tern_cc_enter_cwr(sk));	/* a new window */
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 10 * TERN_TEST_MSS);

	/* what went before the reduction, all acknowledged: still held */
	tsk->snd_una = tsk->snd_nxt;
	tern_cc_on_ack(sk, 20 * TERN_TEST_MSS, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_CWR);
	KUNIT_EXPECT_FALSE(test, tern_cc_enter_cwr(sk));
	/* and one byte sent after it */
	tsk->snd_nxt++;
	tsk->snd_una++;
	tern_cc_on_ack(sk, 1, -1);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 10 * TERN_TEST_MSS);
}

static int tern_test_inits, tern_test_releases;

static void tern_cong_avoid_ai_test(struct sock *sk, u32 acked)
{
	tern_cong_avoid_ai(sk, tern_sk(sk)->cwnd, acked);
}

static void tern_test_ca_init(struct sock *sk)
{
	tern_test_inits++;
}

static void tern_test_ca_release(struct sock *sk)
{
	tern_test_releases++;
}

static struct tern_cong_ops tern_test_ca = {
	.name		= "kunit-test",
	.ssthresh	= tern_reno_ssthresh,
	.cong_avoid	= tern_cong_avoid_ai_test,
	.undo_cwnd	= tern_reno_undo_cwnd,
	.init		= tern_test_ca_init,
	.release	= tern_test_ca_release,
	.flags		= TERN_CONG_NON_RESTRICTED,
};

/*
 * The registry: one name once, hooks required; a socket switches by
 * name (its old algorithm released, the new one started), a name no one
 * registered is ENOENT; available lists them in order.
 */
static void tern_cc_registry(struct kunit *test)
{
	struct tern_cong_ops bad = { .name = "kunit-bad" };
	struct sock *sk = tern_test_cc_sock(test);
	char *buf;

	KUNIT_EXPECT_EQ(test, tern_register_congestion_control(&bad), -EINVAL);
	KUNIT_ASSERT_EQ(test, tern_register_congestion_control(&tern_test_ca), 0);
	KUNIT_EXPECT_EQ(test, tern_register_congestion_control(&tern_test_ca),
			-EEXIST);
	buf = kunit_kzalloc(test, TERN_CA_BUF_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	tern_cong_available(buf, TERN_CA_BUF_MAX);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "reno cubic"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, " kunit-test"));

	sk->sk_state = TCP_ESTABLISHED;
	tern_test_inits = 0;
	tern_test_releases = 0;
	KUNIT_EXPECT_EQ(test, tern_cong_set(sk, "kunit-test"), 0);
	KUNIT_EXPECT_PTR_EQ(test, tern_sk(sk)->ca_ops, &tern_test_ca);
	KUNIT_EXPECT_EQ(test, tern_test_inits, 1);
	KUNIT_EXPECT_EQ(test, tern_cong_set(sk, "kunit-test"), 0);
	KUNIT_EXPECT_EQ(test, tern_test_inits, 1);
	KUNIT_EXPECT_EQ(test, tern_cong_set(sk, "no-such-cc"), -ENOENT);
	KUNIT_EXPECT_EQ(test, tern_cong_set(sk, "reno"), 0);
	KUNIT_EXPECT_EQ(test, tern_test_releases, 1);
	KUNIT_EXPECT_PTR_EQ(test, tern_sk(sk)->ca_ops, &tern_reno);
	tern_unregister_congestion_control(&tern_test_ca);
	KUNIT_EXPECT_EQ(test, tern_cong_set(sk, "kunit-test"), -ENOENT);
}

static struct kunit_case tern_cc_cases[] = {
	KUNIT_CASE(tern_cc_initial_window),
	KUNIT_CASE(tern_cc_slow_start),
	KUNIT_CASE(tern_cc_avoidance),
	KUNIT_CASE(tern_cc_limits),
	KUNIT_CASE(tern_cc_recovery),
	KUNIT_CASE(tern_cc_recovery_floor),
	KUNIT_CASE(tern_cc_rto),
	KUNIT_CASE(tern_cc_rto_in_recovery),
	KUNIT_CASE(tern_cc_send_allowance),
	KUNIT_CASE(tern_cc_app_limited),
	KUNIT_CASE(tern_cc_undo_reduction),
	KUNIT_CASE(tern_cc_ecn_reduction),
	KUNIT_CASE(tern_cc_registry),
	{}
};

static struct kunit_suite tern_cc_suite = {
	.name = "tern_cc",
	.test_cases = tern_cc_cases,
};

kunit_test_suites(&tern_cc_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
