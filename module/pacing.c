// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: pacing. A socket's rate (sk_pacing_rate) follows its window and
 * RTT as TCP's does. Every segment leaves stamped with its earliest
 * departure time (EDT, skb->tstamp), which fq honours, and the next one's
 * time moves on by the segment's length at that rate. Where nothing below
 * paces (no fq) and the socket asked for a rate (SO_MAX_PACING_RATE: the
 * core marks it SK_PACING_NEEDED), an hrtimer holds the next burst until
 * its time: tcp_update_pacing_rate(), tcp_update_skb_after_send(),
 * tcp_pacing_check() and tcp_pace_kick() are the models.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <net/sock.h>

#include "tern.h"
#include "cong.h"

/* TCP's net.ipv4.tcp_pacing_ss_ratio and tcp_pacing_ca_ratio defaults */
#define TERN_PACING_SS_RATIO	200
#define TERN_PACING_CA_RATIO	120
/* the first data segments go at once, as TCP's initial window does */
#define TERN_PACING_FREE_SEGS	10

/*
 * cwnd per srtt, scaled so the window can grow: twice in slow start
 * (it doubles each round), 1.2 times in congestion avoidance, at most
 * what the user allowed (SO_MAX_PACING_RATE). Until an RTT is measured
 * the rate stays unset (~0UL: no pacing). An algorithm that models the
 * path (cong_control) sets the rate itself.
 */
void tern_update_pacing_rate(struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);
	u64 rate;

	if (!tsk->srtt_us || tsk->ca_ops->cong_control)
		return;
	/* bytes per second; srtt_us holds eight times the RTT */
	rate = (u64)tsk->cwnd * (USEC_PER_SEC / 100 << 3);
	rate *= tsk->cwnd < tsk->ssthresh / 2 ? TERN_PACING_SS_RATIO :
						 TERN_PACING_CA_RATIO;
	rate = div_u64(rate, tsk->srtt_us);
	WRITE_ONCE(sk->sk_pacing_rate,
		   min_t(u64, rate, READ_ONCE(sk->sk_max_pacing_rate)));
}

/*
 * Stamp skb with the socket's next departure time and, for payload, move
 * that time on by the payload's length at the pacing rate. A sender that
 * fell behind its time (it had nothing to send, or was held up) gets at
 * most half a segment's time back, so it does not burst to catch up.
 */
void tern_pacing_stamp(struct sock *sk, struct sk_buff *skb)
{
	unsigned long rate = READ_ONCE(sk->sk_pacing_rate);
	struct tern_sock *tsk = tern_sk(sk);
	u64 prior = tsk->wstamp_ns, len_ns;

	tsk->wstamp_ns = max(tsk->wstamp_ns, ktime_get_ns());
	tern_skb_set_edt(skb, tsk->wstamp_ns);
	if (!skb->len || READ_ONCE(sk->sk_pacing_status) == SK_PACING_NONE ||
	    !rate || rate == ~0UL ||
	    tsk->stats.data_segs_out < TERN_PACING_FREE_SEGS)
		return;
	len_ns = div64_ul((u64)skb->len * NSEC_PER_SEC, rate);
	len_ns -= min_t(u64, len_ns / 2, tsk->wstamp_ns - prior);
	tsk->wstamp_ns += len_ns;
}

/*
 * Must the next burst wait for its departure time? Only when the socket
 * asked for pacing and no fq does it (fq marks the sockets it paces
 * SK_PACING_FQ and holds their stamped skbs itself); then the timer sends.
 */
bool tern_pacing_wait(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (READ_ONCE(sk->sk_pacing_status) != SK_PACING_NEEDED ||
	    tsk->wstamp_ns <= ktime_get_ns())
		return false;
	if (!hrtimer_is_queued(&tsk->pacing_timer)) {
		hrtimer_start(&tsk->pacing_timer, ns_to_ktime(tsk->wstamp_ns),
			      HRTIMER_MODE_ABS_PINNED_SOFT);
		sock_hold(sk);
	}
	TERN_INC_STATS(sock_net(sk), TERN_MIB_PACINGWAITS);
	return true;
}

static void tern_pace_handler(struct sock *sk)
{
	tern_push(sk);
}

/* The departure time came: send (softirq; release_cb if the user has it). */
static enum hrtimer_restart tern_pace_kick(struct hrtimer *timer)
{
	struct tern_sock *tsk = container_of(timer, struct tern_sock,
					     pacing_timer);

	tern_timer_run((struct sock *)tsk, TERN_PACE_DEFERRED,
		       tern_pace_handler);
	return HRTIMER_NORESTART;
}

void tern_pacing_init_sock(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	hrtimer_init(&tsk->pacing_timer, CLOCK_MONOTONIC,
		     HRTIMER_MODE_ABS_PINNED_SOFT);
	tsk->pacing_timer.function = tern_pace_kick;
	tsk->wstamp_ns = 0;
}

/* The connection ends: no more sending, the next one starts on time. */
void tern_pacing_clear(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (hrtimer_try_to_cancel(&tsk->pacing_timer) == 1)
		__sock_put(sk);
	tsk->wstamp_ns = 0;
}

#include "pacing_test.c"
