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
 * SACK blocks for our ACKs (RFC 2018 4), kept as data arrives rather
 * than rebuilt from the out-of-order queue for every ACK (as TCP's
 * selective_acks): the block holding the segment queued last comes
 * first, then the others from the most recently changed, and when a
 * new block finds them all taken the oldest is forgotten.
 */

/* Does [seq, end) touch the block? Then the block covers both. */
static bool tern_sack_extend(struct tern_sack_block *b, u64 seq, u64 end)
{
	if (tern_after(seq, b->end) || tern_after(b->start, end))
		return false;
	if (tern_before(seq, b->start))
		b->start = seq;
	if (tern_after(end, b->end))
		b->end = end;
	return true;
}

/* The first block grew: merge the others it reaches into it. */
static void tern_sack_coalesce(struct tern_sock *tsk)
{
	int i = 1;

	while (i < tsk->num_sacks) {
		if (!tern_sack_extend(&tsk->sacks[0], tsk->sacks[i].start,
				      tsk->sacks[i].end)) {
			i++;
			continue;
		}
		tsk->num_sacks--;
		memmove(&tsk->sacks[i], &tsk->sacks[i + 1],
			(tsk->num_sacks - i) * sizeof(tsk->sacks[0]));
	}
}

/* [seq, end) was queued out of order: its block goes first. */
void tern_sack_new_ofo(struct tern_sock *tsk, u64 seq, u64 end)
{
	struct tern_sack_block b = { .start = seq, .end = end };
	int i;

	for (i = 0; i < tsk->num_sacks; i++) {
		if (tern_sack_extend(&tsk->sacks[i], seq, end)) {
			b = tsk->sacks[i];
			break;
		}
	}
	if (i == tsk->num_sacks && tsk->num_sacks < TERN_MAX_SACKS)
		tsk->num_sacks++;
	i = min(i, tsk->num_sacks - 1);
	memmove(&tsk->sacks[1], &tsk->sacks[0], i * sizeof(b));
	tsk->sacks[0] = b;
	tern_sack_coalesce(tsk);
}

/* rcv_nxt moved: blocks it reached are in sequence now, not SACKed. */
void tern_sack_remove(struct tern_sock *tsk)
{
	int i, n = 0;

	for (i = 0; i < tsk->num_sacks; i++)
		if (tern_after(tsk->sacks[i].start, tsk->rcv_nxt))
			tsk->sacks[n++] = tsk->sacks[i];
	tsk->num_sacks = RB_EMPTY_ROOT(&tsk->ooo_queue) ? 0 : n;
}

/*
 * Data from seq to end arrived again: the next ACK reports it in its first
 * SACK block (a D-SACK, RFC 2883), which tells the sender its resend was
 * not needed. One range is kept, the newest, as tcp_dsack_set().
 */
void tern_dsack_set(struct sock *sk, u64 seq, u64 end)
{
	struct tern_sock *tsk = tern_sk(sk);

	tsk->dsack.start = seq;
	tsk->dsack.end = end;
	tsk->quickack = 1;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_DSACKSENT);
}

static void tern_put_sack(u8 *p, const struct tern_sack_block *b)
{
	put_unaligned_be64(b->start, p);
	put_unaligned_be64(b->end, p + 8);
}

/*
 * Write the options for a segment; returns their padded length. A D-SACK
 * goes first and once (RFC 2883 4), then the blocks of the out-of-order
 * queue.
 */
int tern_write_options(struct sock *sk, u8 *opt, u8 flags, int room,
		       u16 mss)
{
	struct tern_sock *tsk = sk ? tern_sk(sk) : NULL;
	int len = 0, n, max, i, d = 0;

	if (flags & TERN_FLAG_SYN) {
		opt[0] = TERN_OPT_MSS;
		opt[1] = 4;
		put_unaligned_be16(mss, opt + 2);
		len = 4;
	}
	max = min((room - len - 4) / 16, TERN_MAX_SACKS);
	if (!tsk || max <= 0)
		return len;
	if (tern_before(tsk->dsack.start, tsk->dsack.end)) {
		tern_put_sack(opt + len + 4, &tsk->dsack);
		tsk->dsack.end = tsk->dsack.start;
		d = 1;
	}
	n = d + min_t(int, tsk->num_sacks, max - d);
	if (!n)
		return len;
	opt[len] = TERN_OPT_NOP;
	opt[len + 1] = TERN_OPT_NOP;
	opt[len + 2] = TERN_OPT_SACK;
	opt[len + 3] = 2 + 16 * n;
	for (i = d; i < n; i++)
		tern_put_sack(opt + len + 4 + 16 * i, &tsk->sacks[i - d]);
	return len + 4 + 16 * n;
}

#include "options_test.c"
