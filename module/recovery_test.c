// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for recovery.c, which includes this file at its end: the
 * RACK reference (tern_update_rack: the most recently sent segment
 * delivered, the highest end breaking a tie), SACK tagging by search of
 * rtx_queue (tern_sacktag: whole segments only, each counted once and
 * moved to sacked_queue, blocks outside what is in flight ignored, lost
 * marks cleared), RACK's walk of the in-flight list in send order
 * (tern_rack_detect: it stops at the first segment sent after the newest
 * delivered one), the lost list, and marking what is in flight lost
 * (tern_mark_all_lost, a timeout forgetting SACK marks), on queues built
 * here as the send path leaves them.
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

/* Tag with the n blocks of sack[][2]; how many segments were visited. */
static u32 tern_test_sack(struct tern_sock *tsk, const u64 (*sack)[2], int n)
{
	struct tern_opts o = { .nsacks = n };
	int i;

	for (i = 0; i < n; i++) {
		o.sack[i][0] = sack[i][0];
		o.sack[i][1] = sack[i][1];
	}
	return tern_sacktag((struct sock *)tsk, &o, 0);
}

/* The segments of a list (tsorted or lost) in order, as indexes of segs[]. */
static void tern_test_expect_list(struct kunit *test, struct list_head *head,
				  struct sk_buff **segs, int nsegs,
				  const int *want, int nwant)
{
	struct sk_buff *skb;
	int n = 0, k;

	list_for_each_entry(skb, head, tcp_tsorted_anchor) {
		for (k = 0; k < nsegs && segs[k] != skb; k++)
			;
		KUNIT_ASSERT_LT_MSG(test, k, nsegs, "entry %d unknown", n);
		if (n < nwant)
			KUNIT_EXPECT_EQ_MSG(test, k, want[n], "entry %d", n);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, nwant);
}

/* Which of segs[] are in root, as a bit mask; every node is one of them. */
static unsigned int tern_test_in_tree(struct kunit *test, struct rb_root *root,
				      struct sk_buff **segs, int nsegs)
{
	unsigned int mask = 0;
	struct sk_buff *skb;
	u64 prev = 0, seq;
	int k, n = 0;

	skb_rbtree_walk(skb, root) {
		for (k = 0; k < nsegs && segs[k] != skb; k++)
			;
		KUNIT_ASSERT_LT(test, k, nsegs);
		seq = TERN_SKB_CB(skb)->seq;
		if (n++)	/* in sequence order */
			KUNIT_EXPECT_TRUE(test, tern_before(prev, seq));
		prev = seq;
		mask |= BIT(k);
	}
	return mask;
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

	static const int left[] = { 0, 1, 4 };

	tern_test_sack(tsk, middle, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED),
			BIT(2) | BIT(3));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->rack_sent_us, 400);
	KUNIT_EXPECT_EQ(test, tsk->rack_end_seq, 5000);
	KUNIT_EXPECT_EQ(test, tern_in_flight(tsk), 3000);
	/* the SACKed ones moved to sacked_queue and off the in-flight list */
	KUNIT_EXPECT_EQ(test, tern_test_in_tree(test, &tsk->sacked_queue, segs,
						TERN_TEST_SEGS),
			BIT(2) | BIT(3));
	KUNIT_EXPECT_EQ(test, tern_test_in_tree(test, &tsk->rtx_queue, segs,
						TERN_TEST_SEGS),
			BIT(0) | BIT(1) | BIT(4));
	tern_test_expect_list(test, &tsk->tsorted, segs, TERN_TEST_SEGS, left,
			      ARRAY_SIZE(left));
	KUNIT_EXPECT_PTR_EQ(test, tern_rtx_head((struct sock *)tsk), segs[0]);

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
	KUNIT_EXPECT_EQ(test, tern_test_in_tree(test, &tsk->sacked_queue, segs,
						TERN_TEST_SEGS),
			BIT(2) | BIT(3) | BIT(4));
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

	static const int all_lost[] = { 1, 2, 3, 4 };
	static const int still_lost[] = { 3, 4 };

	tern_test_sack(tsk, first, 1);
	tern_mark_all_lost((struct sock *)tsk, false);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(1) | BIT(2) | BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 4000);
	KUNIT_EXPECT_EQ(test, tern_in_flight(tsk), 0);
	/* all on the lost list, in sequence order; none in flight */
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS, all_lost,
			      ARRAY_SIZE(all_lost));
	KUNIT_EXPECT_TRUE(test, list_empty(&tsk->tsorted));

	tern_test_sack(tsk, held, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED),
			BIT(0) | BIT(1) | BIT(2));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 3000);
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS,
			      still_lost, ARRAY_SIZE(still_lost));

	/* marked again: nothing counted twice, the list as it was */
	tern_mark_all_lost((struct sock *)tsk, false);
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 3000);
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS,
			      still_lost, ARRAY_SIZE(still_lost));
}

/*
 * What is not sent yet (on the send queue, from snd_nxt on) is neither
 * lost nor tagged.
 */
static void tern_recovery_unsent(struct kunit *test)
{
	static const u64 unsent[][2] = { { 3000, 5000 } };
	static const u64 sent[][2] = { { 3000, 4000 } };
	struct tern_sock *tsk = tern_kunit_sock(test);
	struct sk_buff *segs[TERN_TEST_SEGS];
	int k;

	for (k = 0; k < 3; k++)
		segs[k] = tern_kunit_sent(test, tsk, 1000 * (k + 1),
					  1000 * (k + 2), 100 * (k + 1));
	for (; k < TERN_TEST_SEGS; k++)
		segs[k] = tern_kunit_unsent(test, tsk, 1000 * (k + 1),
					    1000 * (k + 2));
	tsk->snd_una = 1000;
	tsk->snd_nxt = 4000;
	tern_mark_all_lost((struct sock *)tsk, false);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(0) | BIT(1) | BIT(2));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 3000);
	tern_test_sack(tsk, unsent, 1);		/* beyond snd_nxt: ignored */
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED), 0);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 0);
	tern_test_sack(tsk, sent, 1);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED), BIT(2));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 1000);
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 2000);
	KUNIT_EXPECT_EQ(test, skb_queue_len(&((struct sock *)tsk)->sk_write_queue),
			2);
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

#define TERN_TEST_MANY	64

/*
 * A block finds its first segment by a search of rtx_queue and visits
 * only what it covers and one segment at each end: what was SACKed
 * before is not in the tree, what comes before the block is not walked.
 */
static void tern_sacktag_search(struct kunit *test)
{
	static const u64 mid[][2] = { { 5000, 5400 } };
	static const u64 cut[][2] = { { 2050, 2300 } };
	static const u64 tail[][2] = { { 7000, 7400 } };
	struct tern_sock *tsk = tern_kunit_sock(test);
	struct sk_buff *segs[TERN_TEST_MANY];
	unsigned int n = 0;
	int k;

	/* 64 segments of 100 bytes from 1000, sent in order */
	for (k = 0; k < TERN_TEST_MANY; k++)
		segs[k] = tern_kunit_sent(test, tsk, 1000 + 100 * k,
					  1100 + 100 * k, 10 * (k + 1));
	tsk->snd_una = 1000;
	tsk->snd_nxt = 1000 + 100 * TERN_TEST_MANY;

	/* segments 40 to 43, and the 44th where the block ends */
	KUNIT_EXPECT_EQ(test, tern_test_sack(tsk, mid, 1), 5);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 400);
	/* again: one segment visited, the first after what it SACKed */
	KUNIT_EXPECT_EQ(test, tern_test_sack(tsk, mid, 1), 1);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 400);
	/* from inside segment 10: it is visited, not tagged; 11, 12 are */
	KUNIT_EXPECT_EQ(test, tern_test_sack(tsk, cut, 1), 4);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 600);
	/* up to snd_nxt: the walk ends with the tree */
	KUNIT_EXPECT_EQ(test, tern_test_sack(tsk, tail, 1), 4);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 1000);

	for (k = 0; k < TERN_TEST_MANY; k++)
		if (TERN_SKB_CB(segs[k])->sacked & TERN_SKB_SACKED)
			n++;
	KUNIT_EXPECT_EQ(test, n, 10);
	KUNIT_EXPECT_TRUE(test, TERN_SKB_CB(segs[11])->sacked &
				TERN_SKB_SACKED);
	KUNIT_EXPECT_FALSE(test, TERN_SKB_CB(segs[10])->sacked &
				 TERN_SKB_SACKED);
	KUNIT_EXPECT_TRUE(test, TERN_SKB_CB(segs[63])->sacked &
				TERN_SKB_SACKED);
	KUNIT_EXPECT_PTR_EQ(test, tern_rtx_head((struct sock *)tsk), segs[0]);
}

/*
 * RACK walks the in-flight list from the oldest sent and stops at the
 * first segment sent after the newest delivered one (less a reordering
 * window of min_rtt / 4): what it passes is marked lost and moves to the
 * lost list; a segment resent is the newest sent, whatever its sequence.
 */
static void tern_rack_stops(struct kunit *test)
{
	static const u64 third[][2] = { { 3000, 4000 } };
	static const u64 fourth[][2] = { { 4000, 5000 } };
	static const int lost01[] = { 0, 1 }, lost12[] = { 1, 2 };
	static const int sent34[] = { 3, 4 }, sent40[] = { 4, 0 };
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);

	KUNIT_EXPECT_EQ(test, tern_rack_detect((struct sock *)tsk), 0);
	tern_test_sack(tsk, third, 1);		/* sent at 300 */
	KUNIT_EXPECT_EQ(test, tern_rack_detect((struct sock *)tsk), 3);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(0) | BIT(1));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 2000);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_RECOVERY);
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS, lost01,
			      ARRAY_SIZE(lost01));
	tern_test_expect_list(test, &tsk->tsorted, segs, TERN_TEST_SEGS,
			      sent34, ARRAY_SIZE(sent34));
	/* nothing new: one segment visited, nothing marked */
	KUNIT_EXPECT_EQ(test, tern_rack_detect((struct sock *)tsk), 1);
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 2000);

	/* a reordering window of 100 us spares the segment sent at 300 */
	tsk = tern_test_in_flight(test, 1000, segs);
	tsk->min_rtt_us = 400;
	tern_test_sack(tsk, fourth, 1);		/* sent at 400 */
	KUNIT_EXPECT_EQ(test, tern_rack_detect((struct sock *)tsk), 3);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(0) | BIT(1));

	/* the first segment resent at 600: the newest sent, not lost */
	tsk = tern_test_in_flight(test, 1000, segs);
	TERN_SKB_CB(segs[0])->sent_us = 600;
	TERN_SKB_CB(segs[0])->sacked |= TERN_SKB_RETRANS;
	list_move_tail(&segs[0]->tcp_tsorted_anchor, &tsk->tsorted);
	tern_test_sack(tsk, fourth, 1);		/* sent at 400 */
	KUNIT_EXPECT_EQ(test, tern_rack_detect((struct sock *)tsk), 3);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(1) | BIT(2));
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS, lost12,
			      ARRAY_SIZE(lost12));
	tern_test_expect_list(test, &tsk->tsorted, segs, TERN_TEST_SEGS,
			      sent40, ARRAY_SIZE(sent40));
}

/*
 * The lost list: what RACK marked first, then what marking everything
 * lost adds in sequence order; a SACK takes a segment off it. A timeout
 * forgets every SACK mark (RFC 2018 8): all that is in flight is lost
 * again, in sequence order, and nothing is SACKed.
 */
static void tern_lost_list(struct kunit *test)
{
	static const u64 third[][2] = { { 3000, 4000 } };
	static const u64 second[][2] = { { 2000, 3000 } };
	static const int rack[] = { 0, 1 }, all[] = { 0, 1, 3, 4 };
	static const int held[] = { 0, 3, 4 }, rto[] = { 0, 1, 2, 3, 4 };
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);

	tern_test_sack(tsk, third, 1);
	tern_rack_detect((struct sock *)tsk);
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS, rack,
			      ARRAY_SIZE(rack));
	tern_mark_all_lost((struct sock *)tsk, false);
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS, all,
			      ARRAY_SIZE(all));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 4000);
	KUNIT_EXPECT_TRUE(test, list_empty(&tsk->tsorted));

	tern_test_sack(tsk, second, 1);
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS, held,
			      ARRAY_SIZE(held));
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 3000);
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 2000);

	tern_mark_all_lost((struct sock *)tsk, true);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_SACKED), 0);
	KUNIT_EXPECT_EQ(test, tern_test_marked(segs, TERN_SKB_LOST),
			BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4));
	KUNIT_EXPECT_EQ(test, tsk->sacked_out, 0);
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 5000);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&tsk->sacked_queue));
	KUNIT_EXPECT_EQ(test, tern_test_in_tree(test, &tsk->rtx_queue, segs,
						TERN_TEST_SEGS),
			BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4));
	tern_test_expect_list(test, &tsk->lost, segs, TERN_TEST_SEGS, rto,
			      ARRAY_SIZE(rto));
	KUNIT_EXPECT_TRUE(test, list_empty(&tsk->tsorted));
}

/*
 * The reordering timer (RFC 8985 6.3): segments sent before the newest
 * delivered one but inside the window are not lost at the ACK; the
 * oldest is due RACK.rtt + reo_wnd after it was sent, and
 * tern_rack_reo_left() says how long until then. Nothing is due when no
 * such segment waits. Send times are set just before now, so RACK.rtt
 * (taken from the clock when the reference is delivered) is real.
 */
static void tern_rack_reo_timer(struct kunit *test)
{
	static const u64 first[][2] = { { 1000, 2000 } };
	static const u64 fourth[][2] = { { 4000, 5000 } };
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);
	u64 now = tern_clock_us();
	u32 left;
	int k;

	/* sent at now - 5000, - 4900, ...: the reference at now - 4700 */
	for (k = 0; k < TERN_TEST_SEGS; k++)
		TERN_SKB_CB(segs[k])->sent_us = now - 5000 + 100 * k;
	tsk->min_rtt_us = 4000;		/* reo_wnd 1000 us */
	KUNIT_EXPECT_EQ(test, tern_rack_reo_left((struct sock *)tsk), 0);
	tern_test_sack(tsk, fourth, 1);
	KUNIT_EXPECT_EQ(test, tern_rack_detect((struct sock *)tsk), 1);
	KUNIT_EXPECT_EQ(test, tsk->lost_out, 0);
	/* the first: due at its send + (now - 4700 sent) + 1000 */
	left = tern_rack_reo_left((struct sock *)tsk);
	KUNIT_EXPECT_GT(test, left, 0);
	KUNIT_EXPECT_LE(test, left, 700);

	/* what is left in flight was sent after the reference: not due */
	tsk = tern_test_in_flight(test, 1000, segs);
	for (k = 0; k < TERN_TEST_SEGS; k++)
		TERN_SKB_CB(segs[k])->sent_us = now - 5000 + 100 * k;
	tern_test_sack(tsk, first, 1);
	KUNIT_EXPECT_EQ(test, tern_rack_reo_left((struct sock *)tsk), 0);
}

/*
 * D-SACKs (tern_check_dsack): a first block below the ACK, or inside the
 * second, is one; above the ACK alone it is not. One that covers the only
 * resend since a reduction undoes it and widens RACK's window a step; one
 * more than was ever resent is not believed.
 */
static void tern_dsack_undo(struct kunit *test)
{
	struct sk_buff *segs[TERN_TEST_SEGS];
	struct tern_sock *tsk = tern_test_in_flight(test, 1000, segs);
	struct sock *sk = (struct sock *)tsk;
	struct tern_opts o = { .nsacks = 1 };

	tsk->max_window = 65536;
	tsk->cwnd = 5000;
	tsk->ssthresh = TERN_MAX_CWND;
	tsk->min_rtt_us = 4000;
	tern_cc_enter_recovery(sk);
	KUNIT_ASSERT_LT(test, tsk->cwnd, 5000);
	tsk->undo_retrans = 1;		/* one resend */
	tsk->stats.total_retrans = 1;

	o.sack[0][0] = 2000;
	o.sack[0][1] = 3000;
	KUNIT_EXPECT_FALSE(test, tern_check_dsack(sk, &o, 1000));
	KUNIT_EXPECT_EQ(test, tsk->undo_retrans, 1);

	o.sack[0][0] = 1000;
	o.sack[0][1] = 2000;
	KUNIT_EXPECT_TRUE(test, tern_check_dsack(sk, &o, 2000));
	tern_cc_try_undo(sk);		/* as tern_ack() after it */
	KUNIT_EXPECT_EQ(test, tsk->cwnd, 5000);
	KUNIT_EXPECT_EQ(test, tsk->ssthresh, TERN_MAX_CWND);
	KUNIT_EXPECT_EQ(test, tsk->prior_ssthresh, 0);
	KUNIT_EXPECT_EQ(test, tsk->ca_state, TERN_CA_OPEN);
	KUNIT_EXPECT_EQ(test, tern_rack_reo_wnd(tsk), 2000);

	/* a second D-SACK, one resend in all: not believed, not undone */
	tern_cc_enter_recovery(sk);
	tsk->undo_retrans = 1;
	KUNIT_EXPECT_TRUE(test, tern_check_dsack(sk, &o, 2000));
	tern_cc_try_undo(sk);
	KUNIT_EXPECT_EQ(test, tsk->undo_retrans, 1);
	KUNIT_EXPECT_NE(test, tsk->prior_ssthresh, 0);

	/* inside the second block */
	o.nsacks = 2;
	o.sack[0][0] = 3000;
	o.sack[0][1] = 4000;
	o.sack[1][0] = 2000;
	o.sack[1][1] = 5000;
	KUNIT_EXPECT_TRUE(test, tern_check_dsack(sk, &o, 1000));
}

static struct kunit_case tern_recovery_cases[] = {
	KUNIT_CASE(tern_rack_newest),
	KUNIT_CASE(tern_sacktag_whole),
	KUNIT_CASE(tern_sacktag_invalid),
	KUNIT_CASE(tern_sacktag_lost),
	KUNIT_CASE(tern_recovery_unsent),
	KUNIT_CASE(tern_sacktag_wrap),
	KUNIT_CASE(tern_sacktag_search),
	KUNIT_CASE(tern_rack_stops),
	KUNIT_CASE(tern_lost_list),
	KUNIT_CASE(tern_rack_reo_timer),
	KUNIT_CASE(tern_dsack_undo),
	{}
};

static struct kunit_suite tern_recovery_suite = {
	.name = "tern_recovery",
	.test_cases = tern_recovery_cases,
};

kunit_test_suites(&tern_recovery_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
