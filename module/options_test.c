// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for options.c, which includes this file at its end: option
 * parsing (tern_parse_options) on well-formed, padded, truncated and
 * oversized option areas; the SACK blocks kept for our ACKs as segments
 * are queued out of order here (tern_sack_new_ofo: the block holding the
 * segment queued last first, then the others from the most recently
 * changed, the least recently changed forgotten when a new one finds all
 * taken; touching, overlapping and spanning segments merged, modulo
 * 2^64) and as rcv_nxt passes them (tern_sack_remove); the option area
 * they go out in (tern_write_options); and what is written read back.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include "tern_kunit.h"

/* Parse an option area of len bytes (padded with END to a word). */
static void tern_test_parse(struct kunit *test, const u8 *opt, int len,
			    struct tern_opts *o)
{
	u8 area[TERN_MAX_OPT_LEN * 2] = {};
	int padded = ALIGN(len, 4);

	KUNIT_ASSERT_LE(test, padded, sizeof(area));
	if (len)
		memcpy(area, opt, len);
	memset(o, 0xa5, sizeof(*o));
	tern_parse_options(tern_kunit_segment(test, false, area, padded), o);
}

static void tern_opt_none(struct kunit *test)
{
	struct tern_opts o;

	tern_test_parse(test, NULL, 0, &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
	KUNIT_EXPECT_EQ(test, o.nsacks, 0);
}

static void tern_opt_mss(struct kunit *test)
{
	static const u8 mss[] = { TERN_OPT_MSS, 4, 0x05, 0xb4 };
	static const u8 padded[] = {
		TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_NOP,
		TERN_OPT_NOP, TERN_OPT_MSS, 4, 0x23, 0x28, TERN_OPT_NOP,
	};
	static const u8 largest[] = { TERN_OPT_MSS, 4, 0xff, 0xff };
	struct tern_opts o;

	tern_test_parse(test, mss, sizeof(mss), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 1460);
	KUNIT_EXPECT_EQ(test, o.nsacks, 0);
	tern_test_parse(test, padded, sizeof(padded), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 9000);
	tern_test_parse(test, largest, sizeof(largest), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 65535);
}

/* A zero or tiny MSS is raised to the minimum; a wrong length ignored. */
static void tern_opt_mss_odd(struct kunit *test)
{
	static const u8 zero[] = { TERN_OPT_MSS, 4, 0, 0 };
	static const u8 tiny[] = { TERN_OPT_MSS, 4, 0, TERN_MIN_MSS - 1 };
	static const u8 min[] = { TERN_OPT_MSS, 4, 0, TERN_MIN_MSS };
	static const u8 len3[] = { TERN_OPT_MSS, 3, 0x05, TERN_OPT_NOP };
	static const u8 len6[] = { TERN_OPT_MSS, 6, 0x05, 0xb4, 0, 0 };
	struct tern_opts o;

	tern_test_parse(test, zero, sizeof(zero), &o);
	KUNIT_EXPECT_EQ(test, o.mss, TERN_MIN_MSS);
	tern_test_parse(test, tiny, sizeof(tiny), &o);
	KUNIT_EXPECT_EQ(test, o.mss, TERN_MIN_MSS);
	tern_test_parse(test, min, sizeof(min), &o);
	KUNIT_EXPECT_EQ(test, o.mss, TERN_MIN_MSS);
	tern_test_parse(test, len3, sizeof(len3), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
	tern_test_parse(test, len6, sizeof(len6), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
}

/* END ends the area; an unknown kind is stepped over by its length. */
static void tern_opt_end_and_unknown(struct kunit *test)
{
	static const u8 end[] = {
		TERN_OPT_END, TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_NOP,
		TERN_OPT_MSS, 4, 0x05, 0xb4,
	};
	static const u8 unknown[] = {
		99, 6, TERN_OPT_MSS, 4, 0x01, 0x00,
		TERN_OPT_MSS, 4, 0x05, 0xb4,
	};
	static const u8 unknown_short[] = { 200, 2, TERN_OPT_MSS, 4, 2, 0 };
	struct tern_opts o;

	tern_test_parse(test, end, sizeof(end), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
	tern_test_parse(test, unknown, sizeof(unknown), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 1460);
	tern_test_parse(test, unknown_short, sizeof(unknown_short), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 512);
}

/* NOP NOP SACK(2 + 16n) with blocks [base + 2000k, base + 2000k + 1000) */
static int tern_test_sack_opt(u8 *p, int olen, int nblocks, u64 base)
{
	int k;

	p[0] = TERN_OPT_NOP;
	p[1] = TERN_OPT_NOP;
	p[2] = TERN_OPT_SACK;
	p[3] = olen;
	for (k = 0; k < nblocks; k++) {
		put_unaligned_be64(base + 2000 * k, p + 4 + 16 * k);
		put_unaligned_be64(base + 2000 * k + 1000, p + 12 + 16 * k);
	}
	return 4 + 16 * nblocks;
}

static void tern_opt_sack(struct kunit *test)
{
	u64 base = 0xfedcba9876543210ULL;
	u8 opt[4 + 16 * 3];
	struct tern_opts o;
	int n, k, len;

	for (n = 0; n <= TERN_MAX_SACKS; n++) {
		len = tern_test_sack_opt(opt, 2 + 16 * n, n, base);
		tern_test_parse(test, opt, len, &o);
		KUNIT_EXPECT_EQ(test, o.mss, 0);
		KUNIT_ASSERT_EQ(test, o.nsacks, n);
		for (k = 0; k < n; k++) {
			KUNIT_EXPECT_EQ(test, o.sack[k][0], base + 2000 * k);
			KUNIT_EXPECT_EQ(test, o.sack[k][1],
					base + 2000 * k + 1000);
		}
	}
}

/* More blocks than TERN_MAX_SACKS: the first three count. */
static void tern_opt_sack_too_many(struct kunit *test)
{
	u8 opt[4 + 16 * 5];
	struct tern_opts o;
	int n, k, len;

	for (n = TERN_MAX_SACKS + 1; n <= 5; n++) {
		len = tern_test_sack_opt(opt, 2 + 16 * n, n, 1000);
		tern_test_parse(test, opt, len, &o);
		KUNIT_ASSERT_EQ(test, o.nsacks, TERN_MAX_SACKS);
		for (k = 0; k < TERN_MAX_SACKS; k++) {
			KUNIT_EXPECT_EQ(test, o.sack[k][0], 1000 + 2000 * k);
			KUNIT_EXPECT_EQ(test, o.sack[k][1], 2000 + 2000 * k);
		}
	}
}

/* A SACK length that is not 2 + 16n is skipped; what follows is read. */
static void tern_opt_sack_bad_length(struct kunit *test)
{
	u8 opt[4 + 32 + 4];
	struct tern_opts o;
	int len;

	len = tern_test_sack_opt(opt, 2 + 16 + 8, 2, 1000) - 8;
	opt[len++] = TERN_OPT_MSS;
	opt[len++] = 4;
	opt[len++] = 0x05;
	opt[len++] = 0xb4;
	tern_test_parse(test, opt, len, &o);
	KUNIT_EXPECT_EQ(test, o.nsacks, 0);
	KUNIT_EXPECT_EQ(test, o.mss, 1460);
}

/*
 * An option longer than what is left of the area, or with a length below
 * 2 (which would never advance), ends parsing: what came before stays.
 */
static void tern_opt_truncated(struct kunit *test)
{
	static const u8 mss_cut[] = {
		TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_MSS,
	};
	static const u8 mss_long[] = { TERN_OPT_MSS, 8, 0x05, 0xb4 };
	static const u8 len0[] = {
		99, 0, TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_MSS, 4, 0x05, 0xb4,
	};
	static const u8 len1[] = {
		TERN_OPT_MSS, 1, TERN_OPT_NOP, TERN_OPT_NOP,
		TERN_OPT_MSS, 4, 0x05, 0xb4,
	};
	u8 opt[4 + 4 + 16 * 3];
	struct tern_opts o;
	int len;

	tern_test_parse(test, mss_cut, sizeof(mss_cut), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
	tern_test_parse(test, mss_long, sizeof(mss_long), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
	tern_test_parse(test, len0, sizeof(len0), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);
	tern_test_parse(test, len1, sizeof(len1), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 0);

	/* MSS, then a SACK option claiming three blocks but holding one */
	opt[0] = TERN_OPT_MSS;
	opt[1] = 4;
	put_unaligned_be16(1220, opt + 2);
	len = 4 + tern_test_sack_opt(opt + 4, 2 + 16 * 3, 1, 5000);
	tern_test_parse(test, opt, len, &o);
	KUNIT_EXPECT_EQ(test, o.mss, 1220);
	KUNIT_EXPECT_EQ(test, o.nsacks, 0);
}

/* A long area (128 bytes, mostly NOPs) is walked to its end. */
static void tern_opt_long_area(struct kunit *test)
{
	u8 opt[TERN_MAX_OPT_LEN * 2];
	struct tern_opts o;

	memset(opt, TERN_OPT_NOP, sizeof(opt));
	opt[sizeof(opt) - 4] = TERN_OPT_MSS;
	opt[sizeof(opt) - 3] = 4;
	put_unaligned_be16(1400, opt + sizeof(opt) - 2);
	tern_test_parse(test, opt, sizeof(opt), &o);
	KUNIT_EXPECT_EQ(test, o.mss, 1400);
	KUNIT_EXPECT_EQ(test, o.nsacks, 0);
}

static struct kunit_case tern_options_parse_cases[] = {
	KUNIT_CASE(tern_opt_none),
	KUNIT_CASE(tern_opt_mss),
	KUNIT_CASE(tern_opt_mss_odd),
	KUNIT_CASE(tern_opt_end_and_unknown),
	KUNIT_CASE(tern_opt_sack),
	KUNIT_CASE(tern_opt_sack_too_many),
	KUNIT_CASE(tern_opt_sack_bad_length),
	KUNIT_CASE(tern_opt_truncated),
	KUNIT_CASE(tern_opt_long_area),
	{}
};

static struct kunit_suite tern_options_parse_suite = {
	.name = "tern_options_parse",
	.test_cases = tern_options_parse_cases,
};

/* ---- SACK blocks and the option area written ---- */

struct tern_test_range {
	u64 start;
	u64 end;
};

/* The blocks kept (tsk->sacks, in the order they go out) against want[]. */
static void tern_test_expect_blocks(struct kunit *test,
				    const struct tern_sock *tsk,
				    const struct tern_test_range *want,
				    int nwant)
{
	int n = tsk->num_sacks, i;

	KUNIT_EXPECT_EQ(test, n, nwant);
	for (i = 0; n != nwant && i < n; i++)
		kunit_info(test, "block %d: [%llu, %llu)", i,
			   tsk->sacks[i].start, tsk->sacks[i].end);
	for (i = 0; i < min(n, nwant); i++) {
		KUNIT_EXPECT_EQ_MSG(test, tsk->sacks[i].start, want[i].start,
				    "block %d start", i);
		KUNIT_EXPECT_EQ_MSG(test, tsk->sacks[i].end, want[i].end,
				    "block %d end", i);
	}
}

/*
 * [7000, 8000) [1000, 2000) [5000, 6000) [3000, 4000) queued in that
 * order, except that last comes last: four ranges, three blocks kept.
 */
static struct tern_sock *tern_test_four_ranges(struct kunit *test, u64 last)
{
	static const u64 order[] = { 7000, 1000, 5000, 3000 };
	struct tern_sock *tsk = tern_kunit_sock(test);
	int i;

	for (i = 0; i < ARRAY_SIZE(order); i++)
		if (order[i] != last)
			tern_kunit_ooo_add(test, tsk, order[i], order[i] + 1000);
	tern_kunit_ooo_add(test, tsk, last, last + 1000);
	return tsk;
}

/*
 * The block of the segment queued last first, then the others from the
 * most recently queued; with a fourth range the oldest is forgotten
 * (RFC 2018 4: over successive ACKs the sender hears of the newest).
 */
static void tern_sack_last_arrived_first(struct kunit *test)
{
	static const struct tern_test_range middle[] = {
		{ 3000, 4000 }, { 5000, 6000 }, { 1000, 2000 },
	};
	static const struct tern_test_range highest[] = {
		{ 7000, 8000 }, { 3000, 4000 }, { 5000, 6000 },
	};
	static const struct tern_test_range lowest[] = {
		{ 1000, 2000 }, { 3000, 4000 }, { 5000, 6000 },
	};
	struct tern_sock *tsk;

	tsk = tern_test_four_ranges(test, 3000);
	tern_test_expect_blocks(test, tsk, middle, 3);
	tsk = tern_test_four_ranges(test, 7000);
	tern_test_expect_blocks(test, tsk, highest, 3);
	tsk = tern_test_four_ranges(test, 1000);
	tern_test_expect_blocks(test, tsk, lowest, 3);
}

/*
 * A segment that extends an older block brings that block first; the
 * one changed least recently is the one forgotten next.
 */
static void tern_sack_recently_changed(struct kunit *test)
{
	static const struct tern_test_range grown[] = {
		{ 1000, 2500 }, { 5000, 6000 }, { 3000, 4000 },
	};
	static const struct tern_test_range fourth[] = {
		{ 7000, 8000 }, { 1000, 2500 }, { 5000, 6000 },
	};
	static const struct tern_test_range again[] = {
		{ 5000, 6000 }, { 7000, 8000 }, { 1000, 2500 },
	};
	struct tern_sock *tsk = tern_kunit_sock(test);

	tern_kunit_ooo_add(test, tsk, 1000, 2000);
	tern_kunit_ooo_add(test, tsk, 3000, 4000);
	tern_kunit_ooo_add(test, tsk, 5000, 6000);
	tern_kunit_ooo_add(test, tsk, 2000, 2500);
	tern_test_expect_blocks(test, tsk, grown, 3);
	tern_kunit_ooo_add(test, tsk, 7000, 8000);
	tern_test_expect_blocks(test, tsk, fourth, 3);
	/* queued again inside a block: that block first, nothing new */
	tern_kunit_ooo_add(test, tsk, 5500, 6000);
	tern_test_expect_blocks(test, tsk, again, 3);
}

/*
 * Blocks rcv_nxt reached are dropped, the others keep their order; none
 * is left once the out-of-order queue is empty.
 */
static void tern_sack_rcv_nxt_passes(struct kunit *test)
{
	static const struct tern_test_range two[] = {
		{ 3000, 4000 }, { 5000, 6000 },
	};
	static const struct tern_test_range three[] = {
		{ 3000, 4000 }, { 5000, 6000 }, { 1000, 2000 },
	};
	static const struct tern_test_range one[] = { { 5000, 6000 } };
	struct tern_sock *tsk = tern_test_four_ranges(test, 3000);

	tern_kunit_rcv_nxt(tsk, 500);		/* before every block */
	tern_test_expect_blocks(test, tsk, three, 3);
	tern_kunit_rcv_nxt(tsk, 2000);
	tern_test_expect_blocks(test, tsk, two, 2);
	tern_kunit_rcv_nxt(tsk, 4000);
	tern_test_expect_blocks(test, tsk, one, 1);
	/* [7000, 8000) is still queued but was forgotten: not announced */
	tern_kunit_rcv_nxt(tsk, 6000);
	tern_test_expect_blocks(test, tsk, NULL, 0);
	tern_kunit_rcv_nxt(tsk, 8000);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&tsk->ooo_queue));
	tern_test_expect_blocks(test, tsk, NULL, 0);

	/* the queue emptied: whatever the blocks said, none is left */
	tsk = tern_kunit_sock(test);
	tern_kunit_ooo_add(test, tsk, 1000, 2000);
	tern_kunit_rcv_nxt(tsk, 2000);
	tern_test_expect_blocks(test, tsk, NULL, 0);
}

static void tern_sack_single(struct kunit *test)
{
	static const struct tern_test_range want[] = { { 100, 200 } };
	struct tern_sock *tsk = tern_kunit_sock(test);

	tern_kunit_ooo_add(test, tsk, 100, 200);
	tern_test_expect_blocks(test, tsk, want, 1);
}

/* Segments that touch or overlap are one range. */
static void tern_sack_merge(struct kunit *test)
{
	static const struct tern_test_range adjacent[] = {
		{ 1000, 3000 }, { 5000, 7000 },
	};
	static const struct tern_test_range overlap[] = {
		{ 5000, 9000 }, { 1000, 3000 },
	};
	static const struct tern_test_range contained[] = { { 1000, 3000 } };
	static const struct tern_test_range bridged[] = {
		{ 1000, 7000 }, { 9000, 9500 },
	};
	struct tern_sock *tsk;

	tsk = tern_kunit_sock(test);
	tern_kunit_ooo_add(test, tsk, 5000, 6000);
	tern_kunit_ooo_add(test, tsk, 1000, 2000);
	tern_kunit_ooo_add(test, tsk, 6000, 7000);
	tern_kunit_ooo_add(test, tsk, 2000, 3000);
	tern_test_expect_blocks(test, tsk, adjacent, 2);

	/* the segment between them makes the two blocks one */
	tern_kunit_ooo_add(test, tsk, 9000, 9500);
	tern_kunit_ooo_add(test, tsk, 3000, 5000);
	tern_test_expect_blocks(test, tsk, bridged, 2);

	tsk = tern_kunit_sock(test);
	tern_kunit_ooo_add(test, tsk, 1000, 2500);
	tern_kunit_ooo_add(test, tsk, 2000, 3000);
	tern_kunit_ooo_add(test, tsk, 7000, 9000);
	tern_kunit_ooo_add(test, tsk, 5000, 7500);
	tern_test_expect_blocks(test, tsk, overlap, 2);

	tsk = tern_kunit_sock(test);
	tern_kunit_ooo_add(test, tsk, 1000, 3000);
	tern_kunit_ooo_add(test, tsk, 1500, 2500);
	tern_test_expect_blocks(test, tsk, contained, 1);
}

/*
 * A segment covering several later-starting ones with gaps between them
 * (a resend cut at other boundaries) is still one range.
 */
static void tern_sack_merge_spanning(struct kunit *test)
{
	static const struct tern_test_range want[] = {
		{ 1000, 5000 }, { 6000, 7000 },
	};
	static const struct tern_test_range all[] = { { 500, 8000 } };
	struct tern_sock *tsk = tern_kunit_sock(test);

	tern_kunit_ooo_add(test, tsk, 1500, 2000);
	tern_kunit_ooo_add(test, tsk, 3000, 4000);
	tern_kunit_ooo_add(test, tsk, 6000, 7000);
	tern_kunit_ooo_add(test, tsk, 1000, 5000);
	tern_test_expect_blocks(test, tsk, want, 2);
	/* one segment over every block and beyond both ends */
	tern_kunit_ooo_add(test, tsk, 500, 8000);
	tern_test_expect_blocks(test, tsk, all, 1);
}

/* Ranges across 2^64 are merged, and dropped, modulo 2^64. */
static void tern_sack_wrap(struct kunit *test)
{
	static const struct tern_test_range want[] = {
		{ 5000, 6000 }, { U64_MAX - 999, 1000 },
	};
	static const struct tern_test_range left[] = { { 5000, 6000 } };
	struct tern_sock *tsk = tern_kunit_sock(test);

	tsk->rcv_nxt = U64_MAX - 2999;
	tern_kunit_ooo_add(test, tsk, 0, 1000);
	tern_kunit_ooo_add(test, tsk, U64_MAX - 999, 0);
	tern_kunit_ooo_add(test, tsk, 5000, 6000);
	tern_test_expect_blocks(test, tsk, want, 2);
	tern_kunit_rcv_nxt(tsk, U64_MAX - 1999);	/* not there yet */
	tern_test_expect_blocks(test, tsk, want, 2);
	tern_kunit_rcv_nxt(tsk, 1000);
	tern_test_expect_blocks(test, tsk, left, 1);
}

/* Check one SACK option as tern_write_options() wrote it at opt. */
static void tern_test_expect_sack_opt(struct kunit *test, const u8 *opt,
				      const struct tern_test_range *want,
				      int nwant)
{
	int i;

	KUNIT_EXPECT_EQ(test, opt[0], TERN_OPT_NOP);
	KUNIT_EXPECT_EQ(test, opt[1], TERN_OPT_NOP);
	KUNIT_EXPECT_EQ(test, opt[2], TERN_OPT_SACK);
	KUNIT_EXPECT_EQ(test, opt[3], 2 + 16 * nwant);
	for (i = 0; i < nwant; i++) {
		KUNIT_EXPECT_EQ(test, get_unaligned_be64(opt + 4 + 16 * i),
				want[i].start);
		KUNIT_EXPECT_EQ(test, get_unaligned_be64(opt + 12 + 16 * i),
				want[i].end);
	}
}

static void tern_write_syn(struct kunit *test)
{
	u8 opt[TERN_MAX_OPT_LEN];

	memset(opt, 0xa5, sizeof(opt));
	KUNIT_EXPECT_EQ(test, 4, tern_write_options(NULL, opt, TERN_FLAG_SYN,
						    TERN_MAX_OPT_LEN, 1460));
	KUNIT_EXPECT_EQ(test, opt[0], TERN_OPT_MSS);
	KUNIT_EXPECT_EQ(test, opt[1], 4);
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(opt + 2), 1460);
	KUNIT_EXPECT_EQ(test, opt[4], 0xa5);

	/* nothing out of order, nothing to say */
	KUNIT_EXPECT_EQ(test, 0, tern_write_options(NULL, opt, TERN_FLAG_ACK,
						    TERN_MAX_OPT_LEN, 1460));
	KUNIT_EXPECT_EQ(test, 0,
			tern_write_options((struct sock *)tern_kunit_sock(test),
					   opt, TERN_FLAG_ACK,
					   TERN_MAX_OPT_LEN, 1460));
}

/* As many blocks as the room takes (up to three), in SACK order. */
static void tern_write_sack(struct kunit *test)
{
	static const struct tern_test_range want[] = {
		{ 3000, 4000 }, { 5000, 6000 }, { 1000, 2000 },
	};
	struct sock *sk = (struct sock *)tern_test_four_ranges(test, 3000);
	static const int rooms[] = { TERN_MAX_OPT_LEN, 52, 51, 36, 20, 19,
				     4, 0 };
	u8 opt[TERN_MAX_OPT_LEN];
	int i, len, n;

	for (i = 0; i < ARRAY_SIZE(rooms); i++) {
		n = min((rooms[i] - 4) / 16, TERN_MAX_SACKS);
		n = max(n, 0);
		len = tern_write_options(sk, opt, TERN_FLAG_ACK, rooms[i], 1460);
		KUNIT_EXPECT_EQ_MSG(test, len, n ? 4 + 16 * n : 0,
				    "room %d", rooms[i]);
		KUNIT_EXPECT_LE(test, len, rooms[i]);
		KUNIT_EXPECT_EQ(test, len % 4, 0);
		if (n && len)
			tern_test_expect_sack_opt(test, opt, want, n);
	}
}

/*
 * A D-SACK goes first, before the out-of-order queue's blocks, and on one
 * ACK only (RFC 2883 4).
 */
static void tern_write_dsack(struct kunit *test)
{
	static const struct tern_test_range with[] = {
		{ 100, 200 }, { 3000, 4000 }, { 5000, 6000 },
	};
	static const struct tern_test_range after[] = {
		{ 3000, 4000 }, { 5000, 6000 }, { 1000, 2000 },
	};
	struct tern_sock *tsk = tern_test_four_ranges(test, 3000);
	struct sock *sk = (struct sock *)tsk;
	u8 opt[TERN_MAX_OPT_LEN];

	tern_dsack_set(sk, 100, 200);
	KUNIT_ASSERT_EQ(test, 4 + 16 * 3,
			tern_write_options(sk, opt, TERN_FLAG_ACK,
					   TERN_MAX_OPT_LEN, 1460));
	tern_test_expect_sack_opt(test, opt, with, 3);
	KUNIT_ASSERT_EQ(test, 4 + 16 * 3,
			tern_write_options(sk, opt, TERN_FLAG_ACK,
					   TERN_MAX_OPT_LEN, 1460));
	tern_test_expect_sack_opt(test, opt, after, 3);

	/* with nothing out of order, the D-SACK alone */
	tsk->num_sacks = 0;
	tern_dsack_set(sk, 100, 200);
	KUNIT_ASSERT_EQ(test, 4 + 16,
			tern_write_options(sk, opt, TERN_FLAG_ACK,
					   TERN_MAX_OPT_LEN, 1460));
	tern_test_expect_sack_opt(test, opt, with, 1);
	KUNIT_EXPECT_EQ(test, 0, tern_write_options(sk, opt, TERN_FLAG_ACK,
						    TERN_MAX_OPT_LEN, 1460));
}

/* Parse opt back and check the SACK blocks against want[]. */
static void tern_test_read_back(struct kunit *test, const u8 *opt, int len,
				u16 mss, const struct tern_test_range *want,
				int nwant)
{
	struct tern_opts o;
	int k;

	tern_test_parse(test, opt, len, &o);
	KUNIT_EXPECT_EQ(test, o.mss, mss);
	KUNIT_ASSERT_EQ(test, o.nsacks, nwant);
	for (k = 0; k < nwant; k++) {
		KUNIT_EXPECT_EQ_MSG(test, o.sack[k][0], want[k].start,
				    "block %d start", k);
		KUNIT_EXPECT_EQ_MSG(test, o.sack[k][1], want[k].end,
				    "block %d end", k);
	}
}

/*
 * What tern_write_options() writes, tern_parse_options() reads back: a
 * SYN's MSS alone or with the SACK blocks, and the blocks alone in every
 * room, in their order.
 */
static void tern_opt_round_trip(struct kunit *test)
{
	static const u16 msses[] = {
		TERN_MIN_MSS, TERN_DEFAULT_MSS, 1220, 1460, 8960, 65535,
	};
	static const struct tern_test_range want[] = {
		{ 3000, 4000 }, { 5000, 6000 }, { 1000, 2000 },
	};
	struct sock *sk = (struct sock *)tern_test_four_ranges(test, 3000);
	u8 opt[TERN_MAX_OPT_LEN];
	int i, n, len;

	for (i = 0; i < ARRAY_SIZE(msses); i++) {
		len = tern_write_options(NULL, opt, TERN_FLAG_SYN,
					 TERN_MAX_OPT_LEN, msses[i]);
		tern_test_read_back(test, opt, len, msses[i], NULL, 0);
		len = tern_write_options(sk, opt,
					 TERN_FLAG_SYN | TERN_FLAG_ACK,
					 TERN_MAX_OPT_LEN, msses[i]);
		KUNIT_EXPECT_EQ(test, len, 4 + 4 + 16 * ARRAY_SIZE(want));
		tern_test_read_back(test, opt, len, msses[i], want,
				    ARRAY_SIZE(want));
	}
	for (n = 1; n <= TERN_MAX_SACKS; n++) {
		len = tern_write_options(sk, opt, TERN_FLAG_ACK, 4 + 16 * n,
					 1460);
		KUNIT_EXPECT_EQ(test, len, 4 + 16 * n);
		tern_test_read_back(test, opt, len, 0, want, n);
	}
}

/* Ranges across 2^64 go out and come back as they were. */
static void tern_opt_round_trip_wrap(struct kunit *test)
{
	static const struct tern_test_range want[] = {
		{ U64_MAX - 999, 1000 }, { 5000, 6000 },
	};
	struct tern_sock *tsk = tern_kunit_sock(test);
	u8 opt[TERN_MAX_OPT_LEN];
	int len;

	tern_kunit_ooo_add(test, tsk, 5000, 6000);
	tern_kunit_ooo_add(test, tsk, U64_MAX - 999, 0);
	tern_kunit_ooo_add(test, tsk, 0, 1000);
	len = tern_write_options((struct sock *)tsk, opt, TERN_FLAG_ACK,
				 TERN_MAX_OPT_LEN, 1460);
	KUNIT_EXPECT_EQ(test, len, 4 + 16 * 2);
	tern_test_read_back(test, opt, len, 0, want, 2);
}

static struct kunit_case tern_options_write_cases[] = {
	KUNIT_CASE(tern_sack_last_arrived_first),
	KUNIT_CASE(tern_sack_recently_changed),
	KUNIT_CASE(tern_sack_rcv_nxt_passes),
	KUNIT_CASE(tern_sack_single),
	KUNIT_CASE(tern_sack_merge),
	KUNIT_CASE(tern_sack_merge_spanning),
	KUNIT_CASE(tern_sack_wrap),
	KUNIT_CASE(tern_write_syn),
	KUNIT_CASE(tern_write_sack),
	KUNIT_CASE(tern_write_dsack),
	KUNIT_CASE(tern_opt_round_trip),
	KUNIT_CASE(tern_opt_round_trip_wrap),
	{}
};

static struct kunit_suite tern_options_write_suite = {
	.name = "tern_options_write",
	.test_cases = tern_options_write_cases,
};

kunit_test_suites(&tern_options_parse_suite, &tern_options_write_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
