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
 * range.
 */
/* The contiguous range that node ends; returns the next range's node. */
static struct rb_node *tern_ooo_range(struct rb_node *node, u64 *start,
				      u64 *end)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(rb_to_skb(node));

	*start = cb->seq;
	*end = cb->end_seq;
	for (node = rb_prev(node); node; node = rb_prev(node)) {
		cb = TERN_SKB_CB(rb_to_skb(node));
		if (tern_before(cb->end_seq, *start))
			break;
		if (tern_before(cb->seq, *start))
			*start = cb->seq;
		if (tern_after(cb->end_seq, *end))
			*end = cb->end_seq;
	}
	return node;
}

static int tern_sack_blocks(struct sock *sk, __be64 *blocks, int max)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 last = tsk->ooo_last_seq, first = 0;
	struct rb_node *node;
	u64 start, end;
	int n = 0;

	for (node = rb_last(&tsk->ooo_queue); node && max;) {
		node = tern_ooo_range(node, &start, &end);
		if (!tern_before(last, start) && tern_before(last, end)) {
			blocks[0] = cpu_to_be64(start);
			blocks[1] = cpu_to_be64(end);
			first = start;
			n = 1;
			break;
		}
	}
	for (node = rb_last(&tsk->ooo_queue); node && n < max;) {
		node = tern_ooo_range(node, &start, &end);
		if (n && start == first)
			continue;
		blocks[2 * n] = cpu_to_be64(start);
		blocks[2 * n + 1] = cpu_to_be64(end);
		n++;
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
