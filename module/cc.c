// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: congestion control, Reno-style in bytes (RFC 5681): slow start,
 * congestion avoidance with appropriate byte counting (RFC 3465), one
 * multiplicative decrease per window of loss, and a one-segment window
 * after a retransmission timeout. A pluggable framework replaces this.
 */

#include "tern.h"

#define TERN_INIT_CWND_SEGS	10	/* RFC 6928 */
#define TERN_MAX_CWND		(64U << 20)

void tern_cc_init(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	tsk->cwnd = TERN_INIT_CWND_SEGS * tsk->mss_cache;
	tsk->ssthresh = TERN_MAX_CWND;
	tsk->ca_acked = 0;
	tsk->ca_state = TERN_CA_OPEN;
}

bool tern_cc_can_send(const struct sock *sk, u32 len)
{
	const struct tern_sock *tsk = tern_sk(sk);
	u32 in_flight = tern_in_flight(tsk);

	return !in_flight || in_flight + len <= tsk->cwnd;
}

/* Grow the send buffer with the window, unless the user fixed it. */
static void tern_sndbuf_expand(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	int want;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	want = min_t(u64, (u64)tsk->cwnd * 4, sk->sk_prot->sysctl_wmem[2]);
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, want);
}

void tern_cc_on_ack(struct sock *sk, u32 acked)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 mss = tsk->mss_cache;

	if (tsk->ca_state != TERN_CA_OPEN &&
	    !tern_before(tsk->snd_una, tsk->recover)) {
		if (tsk->ca_state == TERN_CA_RECOVERY)
			tsk->cwnd = max(tsk->ssthresh, 2 * mss);
		tsk->ca_state = TERN_CA_OPEN;
	}
	/* fast recovery holds the window; after a timeout, slow start */
	if (tsk->ca_state == TERN_CA_RECOVERY)
		return;
	if (tsk->cwnd < tsk->ssthresh) {
		tsk->cwnd += min(acked, 2 * mss);
	} else {
		tsk->ca_acked += acked;
		if (tsk->ca_acked >= tsk->cwnd) {
			tsk->ca_acked -= tsk->cwnd;
			tsk->cwnd += mss;
		}
	}
	tsk->cwnd = min(tsk->cwnd, TERN_MAX_CWND);
	tern_sndbuf_expand(sk);
}

static u32 tern_cc_halve(const struct tern_sock *tsk)
{
	return max_t(u32, (tsk->snd_nxt - tsk->snd_una) / 2,
		     2 * tsk->mss_cache);
}

/* Loss found by SACK/RACK: halve once per window of data. */
void tern_cc_enter_recovery(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tsk->ca_state != TERN_CA_OPEN)
		return;
	tsk->ssthresh = tern_cc_halve(tsk);
	tsk->cwnd = tsk->ssthresh;
	tsk->ca_acked = 0;
	tsk->recover = tsk->snd_nxt;
	tsk->ca_state = TERN_CA_RECOVERY;
}

void tern_cc_on_rto(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tsk->ca_state != TERN_CA_LOSS)
		tsk->ssthresh = tern_cc_halve(tsk);
	tsk->cwnd = tsk->mss_cache;
	tsk->ca_acked = 0;
	tsk->recover = tsk->snd_nxt;
	tsk->ca_state = TERN_CA_LOSS;
}

#include "cc_test.c"
