// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for recovery.c, which includes this file at its end: the
 * RACK reference (tern_update_rack: the most recently sent segment
 * delivered, the highest end breaking a tie), SACK tagging of the write
 * queue (tern_sacktag: whole segments only, each counted once, blocks
 * outside what is in flight ignored, lost marks cleared) and marking what
 * is in flight lost (tern_mark_all_lost), on a write queue built here.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

#define TERN_TEST_SEGS	5

/*
 * A socket with TERN_TEST_SEGS 1000-byte segments in flight from base,
 * the k-th sent at 100 * (k + 1) us; their skbs in segs[].
 */
static struct tern_sock *tern_test_in_flight(struct kunit *test, u64 base,
					     struct sk_buff **segs)
{
	struct tern_sock *tsk = tern_kunit_sock(test);
	int k;

	for (k = 0; k < TERN_TEST_SEGS; k++)
		segs[k] = tern_kunit_sent(test, tsk, base + 1000 * k,
					  base + 1000 * (k + 1), 100 * (k + 1));
	tsk->snd_una = base;
	tsk->snd_nxt = base + 1000 * TERN_TEST_SEGS;
	tsk->mss_cache = 1000;
	return tsk;
}

/* Tag the write queue with the n blocks of sack[][2]. */
static void tern_test_sack(struct tern_sock *tsk, const u64 (*sack)[2], int n)
{
	struct tern_opts o = { .nsacks = n };
	int i;

	for (i = 0; i < n; i++) {
		o.sack[i][0] = sack[i][0];
		o.sack[i][1] = sack[i][1];
	}
	tern_sacktag((struct sock *)tsk, &o);
}

/* Which of segs[] carry flag, as a bit mask. */
static unsigned int tern_test_marked(struct sk_buff **segs, u8 flag)
{
	unsigned int mask = 0;
	int k;

	for (k = 0; k < TERN_TEST_SEGS; k++)
		if (TERN_SKB_CB(segs[k])->sacked & flag)
			mask |= BIT(k);
	return mask;
}

static void tern_rack_newest(struct kunit *test)
{
	struct tern_sock *tsk = tern_kunit_sock(test);
	static const struct {
		u64 sent_us, end;	/* a segment delivered */
		u64 rack_sent_us, rack_end;	/* the reference after it */
	} steps[] = {
		{ 1000, 2000, 1000, 2000 },
		{ 900, 5000, 1000, 2000 },	/* sent earlier */
		{ 1000, 3000, 1000, 3000 },	/* same time, ends later */
		{ 1000, 1500, 1000, 3000 },	/* same time, ends earlier */
		{ 1001, 100, 1001, 100 },	/* sent later, whatever its end */
		{ 1001, U64_MAX, 1001, 100 },	/* U64_MAX is before 100 */
		{ 1002, U64_MAX - 10, 1002, U64_MAX - 10 },
		{ 1002, 5, 1002, 5 },		/* ends later, across 2^64 */
		{ 1002, U64_MAX - 5, 1002, 5 },
	};
	struct sk_buff *skb;
	int i;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		skb = tern_kunit_sent(test, tsk, steps[i].end - 100,
				      steps[i].end, steps[i].sent_us);
		tern_update_rack(tsk, skb);
		KUNIT_EXPECT_EQ_MSG(test, tsk->rack_sent_us,
				    steps[i].rack_sent_us, "step %d", i);
		KUNIT_EXPECT_EQ_MSG(test, tsk->rack_end_seq, steps[i].rack_end,
				    "step %d", i);
	}
}

/* Whole segments inside a block are tagged, each counted once. */
static void tern_sacktag_whole(struct kunit *test)
{
	static const u64 middle[][2] = { { 3000, 5000 } };
	static const u64 straddle[][2] = { { 2500, 4000 }, { 5000, 5999 } };
	static const u64 last[][2] = { { 5000, 6000 } };
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);

	tern_test_sack(tsk, middle, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED),
			BIT(2) | BIT(3));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->rack_sent_us, 400);
	KUNIT_EXPECT_EQ(test, tsk->rack_end_seq, 5000);
	KUNIT_EXPECT_EQ(test, tern_in_flight(tsk), 3000);

	tern_test_sack(tsk, middle, 1);	/* heard again */
	tern_test_sack(tsk, straddle, 2);	/* no segment whole in it */
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED),
			BIT(2) | BIT(3));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 2000);

	tern_test_sack(tsk, last, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED),
			BIT(2) | BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 3000);
	KUNIT_EXPECT_EQ(test, tsk->rack_sent_us, 500);
	KUNIT_EXPECT_EQ(test, tsk->rack_end_seq, 6000);
}

/*
 * Blocks that are empty, reversed, already acknowledged or beyond what
 * was sent are ignored; the valid one beside them is not.
 */
static void tern_sacktag_invalid(struct kunit *test)
{
	static const u64 bad[][2] = {
		{ 4000, 4000 }, { 5000, 4000 }, { 0, 1000 },
	};
	static const u64 mixed[][2] = {
		{ 5000, 7000 }, { 2000, 3000 }, { 500, 1000 },
	};
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);

	tern_test_sack(tsk, bad, 3);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED), 0);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 0);
	KUNIT_EXPECT_EQ(test, tsk->rack_sent_us, 0);

	tern_test_sack(tsk, mixed, 3);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED), BIT(1));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 1000);
}

/*
 * Everything in flight is lost once, what the peer holds excepted; a
 * SACK for a lost segment takes it back from lost_out.
 */
static void tern_sacktag_lost(struct kunit *test)
{
	static const u64 held[][2] = { { 2000, 4000 } };
	static const u64 first[][2] = { { 1000, 2000 } };
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);

	tern_test_sack(tsk, first, 1);
	tern_mark_all_lost((struct sock *)tsk, false);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(1) | BIT(2) | BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 4000);
	KUNIT_EXPECT_EQ(test, tern_in_flight(tsk), 0);

	tern_test_sack(tsk, held, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED),
			BIT(0) | BIT(1) | BIT(2));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 3000);

	/* marked again: nothing counted twice */
	tern_mark_all_lost((struct sock *)tsk, false);
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 3000);
}

/* What is not sent yet (from send_head on) is neither lost nor tagged. */
static void tern_recovery_unsent(struct kunit *test)
{
	static const u64 unsent[][2] = { { 3000, 5000 } };
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);

	tsk->send_head = segs[3];
	tsk->snd_nxt = 4000;
	tern_mark_all_lost((struct sock *)tsk, false);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(0) | BIT(1) | BIT(2));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 3000);
	tern_test_sack(tsk, unsent, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED), 0);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 0);
}

/* In flight across 2^64: the same, modulo 2^64. */
static void tern_sacktag_wrap(struct kunit *test)
{
	static const u64 across[][2] = { { U64_MAX - 999, 1000 } };
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk;

	tsk = tern_test_in_flight(test, U64_MAX - 1999, segs);
	tern_test_sack(tsk, across, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED),
			BIT(1) | BIT(2));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->rack_end_seq, 1000);
	tern_mark_all_lost((struct sock *)tsk, false);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(0) | BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 3000);
}

static struct kunit_case tern_recovery_cases[] = {
	KUNIT_CASE(tern_rack_newest),
	KUNIT_CASE(tern_sacktag_whole),
	KUNIT_CASE(tern_sacktag_invalid),
	KUNIT_CASE(tern_sacktag_lost),
	KUNIT_CASE(tern_recovery_unsent),
	KUNIT_CASE(tern_sacktag_wrap),
	{}
};

static struct kunit_suite tern_recovery_suite = {
	.name = "tern_recovery",
	.test_cases = tern_recovery_cases,
};

kunit_test_suites(&tern_recovery_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
