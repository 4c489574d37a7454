// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: CUBIC (RFC 9438) in bytes, with HyStart++ (RFC 9406) to leave
 * the initial slow start before the queue overflows. The model is
 * net/ipv4/tcp_cubic.c; the window function is the RFC's, in bytes, with
 * time in units of 1/1024 s:
 *
 *	W_cubic(t) = C * (t - K)^3 * MSS + W_max		(RFC 9438 4.2)
 *	K = cbrt((W_max - cwnd_epoch) / (C * MSS))
 *
 * C = 0.4, beta_cubic = 0.7 (717/1024 as TCP), t counted from the start
 * of the congestion avoidance epoch, idle time left out.
 */

#include <linux/math64.h>

#include "tern.h"

#define TERN_CUBIC_BETA		717	/* beta_cubic * 1024 (RFC 9438 4.6) */
/* alpha_cubic = 3 * (1 - beta) / (1 + beta), * 1024 (RFC 9438 4.3) */
#define TERN_CUBIC_ALPHA	(3 * (1024 - TERN_CUBIC_BETA) * 1024 / \
				 (1024 + TERN_CUBIC_BETA))
#define TERN_CUBIC_HZ		1024	/* time unit: 1/1024 s */
#define TERN_CUBIC_MAX_T	BIT(18)		/* |t - K| bound: 256 s */

/* HyStart++ constants (RFC 9406 4.3), times in us */
#define TERN_HS_MIN_RTT_THRESH	4000
#define TERN_HS_MAX_RTT_THRESH	16000
#define TERN_HS_MIN_RTT_DIVISOR	8
#define TERN_HS_N_RTT_SAMPLE	8
#define TERN_HS_CSS_GROWTH_DIV	4
#define TERN_HS_CSS_ROUNDS	5

enum {
	TERN_HS_SS,		/* standard slow start, delay watched */
	TERN_HS_CSS,		/* conservative slow start */
	TERN_HS_DONE,		/* not the initial slow start any more */
};

struct tern_cubic {
	u32	w_max;		/* bytes: W_max, fast convergence applied */
	u32	cwnd_prior;	/* cwnd at the last congestion event */
	u32	origin;		/* W_max of this epoch (cwnd_epoch if above) */
	u32	k;		/* K, 1/1024 s */
	u64	epoch_start;	/* us, 0: no epoch yet */
	u64	w_est;		/* Reno-friendly window, bytes << 10 */
	/* HyStart++ (RFC 9406 4.2) */
	u64	window_end;	/* the round ends when snd_una reaches it */
	u32	last_round_min_rtt;	/* us, U32_MAX: none */
	u32	cur_round_min_rtt;
	u32	css_baseline_min_rtt;
	u8	rtt_samples;
	u8	css_rounds;
	u8	hs_state;	/* TERN_HS_* */
};

static struct tern_cubic *tern_cubic_ca(const struct sock *sk)
{
	return tern_ca_priv(sk);
}

/* Integer cube root: the largest r with r^3 <= x. */
static u32 tern_cbrt(u64 x)
{
	u32 lo = 0, hi = 1U << 21, mid;	/* (2^21)^3 = 2^63 */

	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if ((u64)mid * mid * mid <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * K in 1/1024 s (RFC 9438 4.2 equation 2): the time the window takes
 * from cwnd_epoch back to W_max. K^3 = (W_max - cwnd_epoch) / (C * MSS)
 * s^3 = diff * 5 * 2^29 / MSS in (1/1024 s)^3.
 */
static u32 tern_cubic_k(u32 w_max, u32 cwnd_epoch, u32 mss)
{
	if (cwnd_epoch >= w_max)
		return 0;
	return tern_cbrt(div_u64((u64)(w_max - cwnd_epoch) * 5 << 29, mss));
}

/*
 * W_cubic(t) in bytes (RFC 9438 4.2 equation 1), t and K in 1/1024 s:
 * C * d^3 * MSS / 2^30 = d^3 * 2 * MSS / (5 * 2^30).
 */
static u32 tern_cubic_w(u32 origin, u32 k, u32 t, u32 mss)
{
	u32 d = min_t(u32, t > k ? t - k : k - t, TERN_CUBIC_MAX_T);
	u64 delta = (u64)d * d * d;

	delta = div_u64(mul_u64_u32_shr(delta, 2 * mss, 20), 5 << 10);
	if (t < k)
		return origin - min_t(u64, delta, origin);
	return min_t(u64, (u64)origin + delta, TERN_MAX_CWND);
}

static void tern_hystart_reset(struct sock *sk)
{
	struct tern_cubic *ca = tern_cubic_ca(sk);

	ca->window_end = tern_sk(sk)->snd_nxt;
	ca->last_round_min_rtt = U32_MAX;
	ca->cur_round_min_rtt = U32_MAX;
	ca->css_baseline_min_rtt = U32_MAX;
	ca->rtt_samples = 0;
	ca->css_rounds = 0;
	ca->hs_state = TERN_HS_SS;
}

static void tern_cubic_init(struct sock *sk)
{
	struct tern_cubic *ca = tern_cubic_ca(sk);

	BUILD_BUG_ON(sizeof(struct tern_cubic) > TERN_CA_PRIV_SIZE);
	ca->w_max = 0;
	ca->epoch_start = 0;
	tern_hystart_reset(sk);
	/*
	 * HyStart++ is for the initial slow start only (RFC 9406 4.2): a
	 * later one stops at the ssthresh the first one found.
	 */
	if (tern_sk(sk)->ssthresh < TERN_MAX_CWND)
		ca->hs_state = TERN_HS_DONE;
}

/*
 * A round ends (RFC 9406 4.2): the last round's minimum RTT is kept, a
 * new one begins with what is sent from now on. CSS lasts at most
 * CSS_ROUNDS rounds, the one it began in counted; then congestion
 * avoidance from the window reached.
 */
static void tern_hystart_round(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);

	ca->last_round_min_rtt = ca->cur_round_min_rtt;
	ca->cur_round_min_rtt = U32_MAX;
	ca->rtt_samples = 0;
	ca->window_end = tsk->snd_nxt;
	if (ca->hs_state == TERN_HS_CSS &&
	    ++ca->css_rounds >= TERN_HS_CSS_ROUNDS) {
		tsk->ssthresh = tsk->cwnd;
		ca->hs_state = TERN_HS_DONE;
	}
}

/*
 * One ACK's RTT sample in the initial slow start (RFC 9406 4.2): a
 * round whose minimum RTT exceeds the last one's by RttThresh moves to
 * CSS; in CSS, a round whose minimum falls below the baseline says the
 * exit was spurious and slow start resumes.
 */
static void tern_hystart_sample(struct sock *sk, long rtt_us)
{
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u32 thresh;

	if (!tern_before(tern_sk(sk)->snd_una, ca->window_end))
		tern_hystart_round(sk);
	if (rtt_us < 0 || ca->hs_state == TERN_HS_DONE)
		return;
	ca->cur_round_min_rtt = min_t(u32, ca->cur_round_min_rtt, rtt_us);
	if (ca->rtt_samples < U8_MAX)
		ca->rtt_samples++;
	if (ca->rtt_samples < TERN_HS_N_RTT_SAMPLE)
		return;
	if (ca->hs_state == TERN_HS_CSS) {
		if (ca->cur_round_min_rtt < ca->css_baseline_min_rtt) {
			ca->css_baseline_min_rtt = U32_MAX;
			ca->hs_state = TERN_HS_SS;
		}
		return;
	}
	if (ca->last_round_min_rtt == U32_MAX)
		return;
	thresh = clamp(ca->last_round_min_rtt / TERN_HS_MIN_RTT_DIVISOR,
		       TERN_HS_MIN_RTT_THRESH, TERN_HS_MAX_RTT_THRESH);
	if (ca->cur_round_min_rtt >= ca->last_round_min_rtt + thresh) {
		ca->css_baseline_min_rtt = ca->cur_round_min_rtt;
		ca->css_rounds = 0;
		ca->hs_state = TERN_HS_CSS;
	}
}

static void tern_cubic_pkts_acked(struct sock *sk, u32 acked, long rtt_us)
{
	const struct tern_sock *tsk = tern_sk(sk);

	if (tsk->cwnd < tsk->ssthresh && tsk->ca_state == TERN_CA_OPEN &&
	    tern_cubic_ca(sk)->hs_state != TERN_HS_DONE)
		tern_hystart_sample(sk, rtt_us);
}

/* A new epoch: the first ACK of congestion avoidance (RFC 9438 4.2). */
static void tern_cubic_epoch(struct sock *sk, u64 now)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);

	ca->epoch_start = max(now, 1ULL);
	ca->w_est = (u64)tsk->cwnd << 10;
	tsk->ca_acked = 0;
	/*
	 * Above W_max (slow start ended without a loss, or the first epoch
	 * after a timeout, RFC 9438 4.8): K = 0, W_max = cwnd_epoch.
	 */
	if (ca->w_max <= tsk->cwnd) {
		ca->k = 0;
		ca->origin = tsk->cwnd;
	} else {
		ca->k = tern_cubic_k(ca->w_max, tsk->cwnd, tsk->mss_cache);
		ca->origin = ca->w_max;
	}
}

/*
 * The Reno-friendly window (RFC 9438 4.3 equation 4): alpha_cubic
 * segments per window acknowledged, 1 once W_est passed cwnd_prior.
 */
static u32 tern_cubic_w_est(struct sock *sk, u32 acked)
{
	const struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u32 alpha = TERN_CUBIC_ALPHA;

	if ((ca->w_est >> 10) >= ca->cwnd_prior)
		alpha = 1024;
	ca->w_est += div_u64((u64)alpha * acked * tsk->mss_cache, tsk->cwnd);
	return min_t(u64, ca->w_est >> 10, TERN_MAX_CWND);
}

/*
 * Congestion avoidance (RFC 9438 4.2-4.5): the window heads for
 * W_cubic(t + RTT), at most 1.5 cwnd, so that it gets there within an
 * RTT; in the Reno-friendly region (W_cubic(t) < W_est) it is W_est.
 */
static void tern_cubic_avoid(struct sock *sk, u32 acked)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u32 mss = tsk->mss_cache, cwnd = tsk->cwnd, t, target, w_est;
	u64 now = tern_clock_us(), w;

	if (!ca->epoch_start)
		tern_cubic_epoch(sk, now);
	t = div_u64((now - ca->epoch_start) * TERN_CUBIC_HZ, USEC_PER_SEC);
	w_est = tern_cubic_w_est(sk, acked);
	if (tern_cubic_w(ca->origin, ca->k, t, mss) < w_est) {
		if (w_est > cwnd)
			tsk->cwnd = w_est;
		return;
	}
	t += div_u64((u64)(tsk->srtt_us >> 3) * TERN_CUBIC_HZ, USEC_PER_SEC);
	target = tern_cubic_w(ca->origin, ca->k, t, mss);
	target = min_t(u64, target, (u64)cwnd * 3 / 2);
	/* bytes acked per segment more; below it, very slowly (tcp_cubic) */
	if (target <= cwnd)
		w = 100ULL * cwnd;
	else
		w = div_u64((u64)cwnd * mss, target - cwnd);
	tern_cong_avoid_ai(sk, min_t(u64, w, U32_MAX), acked);
}

static void tern_cubic_cong_avoid(struct sock *sk, u32 acked)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);

	if (tsk->cwnd < tsk->ssthresh) {
		/* CSS: a quarter of slow start's growth (RFC 9406 4.2) */
		if (ca->hs_state == TERN_HS_CSS) {
			tsk->cwnd += min(acked, 2 * tsk->mss_cache) /
				     TERN_HS_CSS_GROWTH_DIV;
			return;
		}
		acked = tern_slow_start(sk, acked);
		if (!acked)
			return;
	}
	tern_cubic_avoid(sk, acked);
}

/*
 * A congestion event (RFC 9438 4.6, 4.7): ssthresh = beta * flight
 * size; W_max is the window now, less with fast convergence when it
 * did not reach the last W_max (another flow took bandwidth).
 */
static u32 tern_cubic_ssthresh(struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u64 flight = tsk->snd_nxt - tsk->snd_una;

	ca->epoch_start = 0;
	ca->hs_state = TERN_HS_DONE;	/* RFC 9406 4.2: loss ends it */
	if (tsk->cwnd < ca->w_max)
		ca->w_max = (u64)tsk->cwnd * (1024 + TERN_CUBIC_BETA) / 2048;
	else
		ca->w_max = tsk->cwnd;
	ca->cwnd_prior = tsk->cwnd;
	return max_t(u64, flight * TERN_CUBIC_BETA / 1024,
		     2 * tsk->mss_cache);
}

/*
 * A timeout: the next epoch starts from the window it reaches, K = 0
 * (RFC 9438 4.8). The first send after idle: the epoch moves by the
 * idle time, which is no time the window had to grow (RFC 9438 5.8,
 * tcp_cubic's CA_EVENT_TX_START).
 */
static void tern_cubic_event(struct sock *sk, enum tern_ca_event ev)
{
	struct tern_cubic *ca = tern_cubic_ca(sk);
	u64 idle, now;

	if (ev == TERN_CA_EVENT_LOSS) {
		ca->w_max = 0;
		ca->epoch_start = 0;
		ca->hs_state = TERN_HS_DONE;
		return;
	}
	if (ev != TERN_CA_EVENT_TX_START || !ca->epoch_start)
		return;
	now = tern_clock_us();
	idle = jiffies_to_usecs(get_jiffies_64() -
				tern_sk(sk)->stats.data_sent_stamp);
	ca->epoch_start = min(ca->epoch_start + idle, now);
}

struct tern_cong_ops tern_cubic = {
	.flags		= TERN_CONG_NON_RESTRICTED,
	.name		= "cubic",
	.owner		= NULL,		/* tern.ko: its sockets pin it */
	.init		= tern_cubic_init,
	.ssthresh	= tern_cubic_ssthresh,
	.cong_avoid	= tern_cubic_cong_avoid,
	.pkts_acked	= tern_cubic_pkts_acked,
	.cwnd_event	= tern_cubic_event,
	.undo_cwnd	= tern_reno_undo_cwnd,
};

#include "cong_cubic_test.c"
