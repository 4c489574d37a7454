// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: NewReno in bytes (RFC 5681, RFC 6582; tcp_cong.c's tcp_reno):
 * slow start and congestion avoidance with appropriate byte counting
 * (RFC 3465), half the data in flight after a loss. Fast recovery's
 * window and the end of recovery are the framework's (cong.c).
 */

#include "tern.h"

/* RFC 5681 3.1 equation (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
u32 tern_reno_ssthresh(struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	return max_t(u32, (tsk->snd_nxt - tsk->snd_una) / 2,
		     2 * tsk->mss_cache);
}
EXPORT_SYMBOL_GPL(tern_reno_ssthresh);

/*
 * Below ssthresh, slow start; at or above it, one segment per window
 * acknowledged (RFC 5681 3.1, RFC 3465 2.1).
 */
static void tern_reno_cong_avoid(struct sock *sk, u32 acked)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tsk->cwnd < tsk->ssthresh) {
		acked = tern_slow_start(sk, acked);
		if (!acked)
			return;
	}
	tern_cong_avoid_ai(sk, tsk->cwnd, acked);
}

/* The window before the reduction proved spurious (tcp_reno_undo_cwnd). */
u32 tern_reno_undo_cwnd(struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	return max(tsk->cwnd, tsk->prior_cwnd);
}
EXPORT_SYMBOL_GPL(tern_reno_undo_cwnd);

struct tern_cong_ops tern_reno = {
	.flags		= TERN_CONG_NON_RESTRICTED,
	.name		= "reno",
	.owner		= NULL,		/* tern.ko: its sockets pin it */
	.ssthresh	= tern_reno_ssthresh,
	.cong_avoid	= tern_reno_cong_avoid,
	.undo_cwnd	= tern_reno_undo_cwnd,
};
