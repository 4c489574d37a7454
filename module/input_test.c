// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for input.c, which includes this file at its end: the
 * wrap-safe sequence comparisons the receive path relies on
 * (tern_before/tern_after, tern.h) and the receive window check built on
 * them (tern_seq_acceptable), at its edges and across 2^64.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

/* ---- sequence numbers: 64 bits, compared modulo 2^64 ---- */

static void tern_seq_order(struct kunit *test)
{
	static const u64 bases[] = {
		0, 1, 1000, (1ULL << 63) - 1, 1ULL << 63, (1ULL << 63) + 1,
		U64_MAX - 1, U64_MAX,
	};
	static const u64 steps[] = {
		1, 2, 1000, 1ULL << 32, (1ULL << 62), (1ULL << 63) - 1,
	};
	int i, j;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		u64 a = bases[i];

		KUNIT_EXPECT_FALSE(test, tern_before(a, a));
		KUNIT_EXPECT_FALSE(test, tern_after(a, a));
		for (j = 0; j < ARRAY_SIZE(steps); j++) {
			u64 b = a + steps[j];	/* may wrap */

			KUNIT_EXPECT_TRUE_MSG(test, tern_before(a, b),
					      "%llx before %llx", a, b);
			KUNIT_EXPECT_FALSE_MSG(test, tern_before(b, a),
					       "%llx not before %llx", b, a);
			KUNIT_EXPECT_TRUE_MSG(test, tern_after(b, a),
					      "%llx after %llx", b, a);
			KUNIT_EXPECT_FALSE_MSG(test, tern_after(a, b),
					       "%llx not after %llx", a, b);
		}
	}
}

static void tern_seq_wrap(struct kunit *test)
{
	/* across 2^64 */
	KUNIT_EXPECT_TRUE(test, tern_before(U64_MAX, 0));
	KUNIT_EXPECT_TRUE(test, tern_after(0, U64_MAX));
	KUNIT_EXPECT_TRUE(test, tern_before(U64_MAX - 1000, 5));
	KUNIT_EXPECT_TRUE(test, tern_after(5, U64_MAX - 1000));
	/* across 2^63, less than half the space apart: unsigned order */
	KUNIT_EXPECT_TRUE(test, tern_before((1ULL << 63) - 1, 1ULL << 63));
	KUNIT_EXPECT_TRUE(test, tern_after((1ULL << 63) + 1, (1ULL << 63) - 1));
	KUNIT_EXPECT_TRUE(test, tern_before(1, 1ULL << 63));
	KUNIT_EXPECT_TRUE(test, tern_before(2, (1ULL << 63) + 1));
	/* more than half the space apart: the other way round */
	KUNIT_EXPECT_TRUE(test, tern_after(0, (1ULL << 63) + 1));
	KUNIT_EXPECT_TRUE(test, tern_before((1ULL << 63) + 1, 0));
	KUNIT_EXPECT_TRUE(test, tern_after(1, U64_MAX - (1ULL << 62)));
	/* exactly half apart is ambiguous: each is before the other */
	KUNIT_EXPECT_TRUE(test, tern_before(0, 1ULL << 63));
	KUNIT_EXPECT_TRUE(test, tern_before(1ULL << 63, 0));
}

static struct kunit_case tern_seq_cases[] = {
	KUNIT_CASE(tern_seq_order),
	KUNIT_CASE(tern_seq_wrap),
	{}
};

static struct kunit_suite tern_seq_suite = {
	.name = "tern_seq",
	.test_cases = tern_seq_cases,
};

/* ---- the receive window ---- */

/* Is [seq, end) acceptable to a socket in this receive state? */
static bool tern_test_acceptable(struct tern_sock *tsk, u64 seq, u64 end)
{
	struct tern_skb_cb cb = { .seq = seq, .end_seq = end };

	return tern_seq_acceptable(tsk, &cb);
}

/*
 * A segment is acceptable when it ends at or after rcv_wup (the left
 * edge last announced) and starts at or before the right edge.
 */
static void tern_window_edges(struct kunit *test)
{
	struct tern_sock *tsk = tern_kunit_sock(test);

	tsk->rcv_wup = 1000;
	tsk->rcv_nxt = 1000;
	tsk->rcv_wnd = 500;
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1000, 1100));
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1400, 1600));
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1500, 1600));
	KUNIT_EXPECT_FALSE(test, tern_test_acceptable(tsk, 1501, 1600));
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 900, 1000));
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 500, 2000));
	KUNIT_EXPECT_FALSE(test, tern_test_acceptable(tsk, 800, 999));
	/* an empty segment (a pure ACK) at either edge */
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1000, 1000));
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1500, 1500));
	KUNIT_EXPECT_FALSE(test, tern_test_acceptable(tsk, 999, 999));

	/* the left edge is rcv_wup, not rcv_nxt: an overtaken ACK counts */
	tsk->rcv_nxt = 1200;
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1000, 1000));
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1500, 1500));
	KUNIT_EXPECT_FALSE(test, tern_test_acceptable(tsk, 1501, 1501));
}

/* A window closed or overrun: the right edge is at least rcv_nxt. */
static void tern_window_closed(struct kunit *test)
{
	struct tern_sock *tsk = tern_kunit_sock(test);

	tsk->rcv_wup = 1000;
	tsk->rcv_nxt = 1000;
	tsk->rcv_wnd = 0;
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1000, 1000));
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1000, 2000));
	KUNIT_EXPECT_FALSE(test, tern_test_acceptable(tsk, 1001, 1001));

	tsk->rcv_nxt = 1300;	/* taken beyond what was announced */
	tsk->rcv_wnd = 100;
	KUNIT_EXPECT_TRUE(test, tern_test_acceptable(tsk, 1300, 1400));
	KUNIT_EXPECT_FALSE(test, tern_test_acceptable(tsk, 1301, 1400));
}

/* The same edges with the window across 2^64 and across 2^63. */
static void tern_window_wrap(struct kunit *test)
{
	static const u64 bases[] = { U64_MAX - 99, 1ULL << 63, 0 };
	struct tern_sock *tsk = tern_kunit_sock(test);
	int i;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		u64 b = bases[i];

		tsk->rcv_wup = b;
		tsk->rcv_nxt = b;
		tsk->rcv_wnd = 1000;
		KUNIT_EXPECT_TRUE_MSG(test,
				      tern_test_acceptable(tsk, b, b + 100),
				      "base %llx", b);
		KUNIT_EXPECT_TRUE_MSG(test,
				      tern_test_acceptable(tsk, b + 1000,
							   b + 1100),
				      "base %llx", b);
		KUNIT_EXPECT_FALSE_MSG(test,
				       tern_test_acceptable(tsk, b + 1001,
							    b + 1100),
				       "base %llx", b);
		KUNIT_EXPECT_TRUE_MSG(test,
				      tern_test_acceptable(tsk, b - 100, b),
				      "base %llx", b);
		KUNIT_EXPECT_FALSE_MSG(test,
				       tern_test_acceptable(tsk, b - 100,
							    b - 1),
				       "base %llx", b);
		/* half the sequence space away is behind, not ahead */
		KUNIT_EXPECT_FALSE_MSG(test,
				       tern_test_acceptable(tsk,
							    b + (1ULL << 63) + 1,
							    b + (1ULL << 63) + 2),
				       "base %llx", b);
	}
}

static struct kunit_case tern_input_cases[] = {
	KUNIT_CASE(tern_window_edges),
	KUNIT_CASE(tern_window_closed),
	KUNIT_CASE(tern_window_wrap),
	{}
};

static struct kunit_suite tern_input_suite = {
	.name = "tern_input",
	.test_cases = tern_input_cases,
};

kunit_test_suites(&tern_seq_suite, &tern_input_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
