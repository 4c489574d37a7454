// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: header options, parsed and written in one place: the MSS (SYN and
 * SYN-ACK) and SACK blocks (RFC 2018), as they appear on the wire in
 * uapi/PROTOCOL.md.
 */

#include "tern.h"

void tern_parse_options(const struct sk_buff *skb, struct tern_opts *o)
{
	const struct ternhdr *th = tern_hdr(skb);
	const u8 *p = (const u8 *)(th + 1);
	int len = th->doff * 4 - sizeof(*th);
	int i;

	memset(o, 0, sizeof(*o));
	while (len > 0) {
		u8 kind = p[0], olen;

		if (kind == TERN_OPT_END)
			break;
		if (kind == TERN_OPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2)
			break;
		olen = p[1];
		if (olen < 2 || olen > len)
			break;
		if (kind == TERN_OPT_MSS && olen == 4) {
			/* a tiny (or zero) MSS is raised to the minimum */
			o->mss = max_t(u16, get_unaligned_be16(p + 2),
				       TERN_MIN_MSS);
		} else if (kind == TERN_OPT_SACK && (olen - 2) % 16 == 0) {
			o->nsacks = min((olen - 2) / 16, TERN_MAX_SACKS);
			for (i = 0; i < o->nsacks; i++) {
				o->sack[i][0] = get_unaligned_be64(p + 2 + 16 * i);
				o->sack[i][1] = get_unaligned_be64(p + 10 + 16 * i);
			}
		}
		p += olen;
		len -= olen;
	}
}

/*
 * SACK blocks for the out-of-order queue (RFC 2018 4): first the range
 * holding the segment that arrived last, then the others from the
 * highest down, so that over successive ACKs the sender hears of every
 * range. The queue is walked in sequence order: a segment that covers
 * later-starting ones with gaps between them (a resend cut at other
 * boundaries) merges them into one range wherever their ends fall.
 */
struct tern_sack_walk {
	u64 last;			/* ooo_last_seq */
	u64 mine[2];			/* the range holding it */
	bool found;
	u64 ring[TERN_MAX_SACKS][2];	/* the highest other ranges */
	int head;			/* next slot of ring */
	int count;			/* ranges in ring */
	int max;
};

static void tern_sack_range(struct tern_sack_walk *w, u64 start, u64 end)
{
	if (!w->found && !tern_before(w->last, start) &&
	    tern_before(w->last, end)) {
		w->mine[0] = start;
		w->mine[1] = end;
		w->found = true;
		return;
	}
	w->ring[w->head][0] = start;
	w->ring[w->head][1] = end;
	w->head = (w->head + 1) % w->max;
	w->count = min(w->count + 1, w->max);
}

static int tern_sack_blocks(struct sock *sk, __be64 *blocks, int max)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_sack_walk w = {
		.last = tsk->ooo_last_seq,
		.max = min(max, TERN_MAX_SACKS),
	};
	struct rb_node *node = rb_first(&tsk->ooo_queue);
	const struct tern_skb_cb *cb;
	int n = 0, i, k;
	u64 start, end;

	if (!node || w.max <= 0)
		return 0;
	cb = TERN_SKB_CB(rb_to_skb(node));
	start = cb->seq;
	end = cb->end_seq;
	for (node = rb_next(node); node; node = rb_next(node)) {
		cb = TERN_SKB_CB(rb_to_skb(node));
		if (tern_after(cb->seq, end)) {
			tern_sack_range(&w, start, end);
			start = cb->seq;
			end = cb->end_seq;
		} else if (tern_after(cb->end_seq, end)) {
			end = cb->end_seq;
		}
	}
	tern_sack_range(&w, start, end);

	if (w.found) {
		blocks[0] = cpu_to_be64(w.mine[0]);
		blocks[1] = cpu_to_be64(w.mine[1]);
		n = 1;
	}
	for (i = 1; i <= w.count && n < w.max; i++, n++) {
		k = (w.head - i + w.max) % w.max;
		blocks[2 * n] = cpu_to_be64(w.ring[k][0]);
		blocks[2 * n + 1] = cpu_to_be64(w.ring[k][1]);
	}
	return n;
}

/* Write the options for a segment; returns their padded length. */
int tern_write_options(struct sock *sk, u8 *opt, u8 flags, int room,
		       u16 mss)
{
	__be64 blocks[2 * TERN_MAX_SACKS];
	int len = 0, n, max;

	if (flags & TERN_FLAG_SYN) {
		opt[0] = TERN_OPT_MSS;
		opt[1] = 4;
		put_unaligned_be16(mss, opt + 2);
		len = 4;
	}
	max = min((room - len - 4) / 16, TERN_MAX_SACKS);
	if (sk && !RB_EMPTY_ROOT(&tern_sk(sk)->ooo_queue) && max > 0) {
		n = tern_sack_blocks(sk, blocks, max);
		opt[len] = TERN_OPT_NOP;
		opt[len + 1] = TERN_OPT_NOP;
		opt[len + 2] = TERN_OPT_SACK;
		opt[len + 3] = 2 + 16 * n;
		memcpy(opt + len + 4, blocks, 16 * n);
		len += 4 + 16 * n;
	}
	return len;
}

#include "options_test.c"
