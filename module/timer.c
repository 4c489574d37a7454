// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: timers.
 *
 * icsk_retransmit_timer	retransmission timeout (RFC 6298), tail loss
 *				probe (RFC 8985), zero-window probe; which one
 *				is armed is tsk->timer_kind
 * icsk_delack_timer		delayed ACK
 * icsk_keepalive_timer		keepalive, FIN_WAIT2 of an orphan
 *
 * A timer that finds the socket owned by the user leaves its work to
 * release_cb, holding a reference until then (TCP's pattern).
 */

#include <net/inet_connection_sock.h>

#include "tern.h"

#define TERN_RTO_MAX		(120 * HZ)
#define TERN_RTO_INIT		HZ
#define TERN_RTO_FALLBACK	(3 * HZ)	/* RFC 6298 5.7 */
/*
 * Until the listener confirms a new connection it holds nothing of it,
 * and the cookie our segments carry expires 64 to 128 s after it was
 * issued: while unconfirmed, resend at least this often, so that the
 * segment that completes the handshake gets many chances in that time.
 */
#define TERN_HS_RTO_MAX		(8 * HZ)
#define TERN_DELACK_MAX		(HZ / 25)
#define TERN_TLP_MIN_US		10000
#define TERN_ORPHAN_RETRIES	8

u32 tern_rto_min(const struct sock *sk)
{
	return msecs_to_jiffies(tern_pernet(sock_net(sk))->rto_min_ms);
}

/* One RTT measurement (RFC 6298 2.2, 2.3; RTTVAR and SRTT scaled). */
void tern_rtt_sample(struct sock *sk, long rtt_us)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 rto_us;
	long err;

	rtt_us = max(rtt_us, 1L);
	if (!tsk->srtt_us) {
		tsk->srtt_us = rtt_us << 3;
		tsk->rttvar_us = rtt_us << 1;
		tsk->min_rtt_us = rtt_us;
	} else {
		err = rtt_us - (tsk->srtt_us >> 3);
		tsk->srtt_us += err;
		tsk->rttvar_us += abs(err) - (tsk->rttvar_us >> 2);
		tsk->min_rtt_us = min_t(u32, tsk->min_rtt_us, rtt_us);
	}
	rto_us = (tsk->srtt_us >> 3) + max_t(u32, tsk->rttvar_us, 1000);
	inet_csk(sk)->icsk_rto = clamp_t(u32, usecs_to_jiffies(rto_us),
					 tern_rto_min(sk), TERN_RTO_MAX);
	tsk->rto = inet_csk(sk)->icsk_rto;
}

/*
 * The handshake is over: the RTO from its RTT, or 3 s when the SYN had to
 * be resent and gave no sample (RFC 6298 5.7), not the SYN's backed-off
 * timeout.
 */
void tern_rtt_handshake(struct sock *sk, long rtt_us)
{
	if (rtt_us >= 0) {
		tern_rtt_sample(sk, rtt_us);
		return;
	}
	inet_csk(sk)->icsk_rto = TERN_RTO_FALLBACK;
	tern_sk(sk)->rto = TERN_RTO_FALLBACK;	/* until the first sample */
}

/* Jiffies left before TERN_USER_TIMEOUT ends the connection, or 0. */
static unsigned long tern_user_timeout_left(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *head = tern_rtx_head(sk) ? : tern_send_head(sk);
	u32 start, elapsed, limit;

	if (!tsk->user_timeout)
		return 0;
	/* first_tx holds the low 32 bits of jiffies: compare in u32 */
	if (head && TERN_SKB_CB(head)->first_tx)
		start = TERN_SKB_CB(head)->first_tx;
	else if (tsk->retrans_stamp)
		start = (u32)tsk->retrans_stamp;
	else
		return 0;
	elapsed = (u32)jiffies - start;
	limit = msecs_to_jiffies(tsk->user_timeout);
	return elapsed < limit ? limit - elapsed : 1;
}

void tern_arm_timer(struct sock *sk, int kind, unsigned long when)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	unsigned long left = tern_user_timeout_left(sk);

	/* never sleep past the user timeout (TCP clamps the same way) */
	if (left && kind != TERN_TIMER_TLP)
		when = min(when, left);

	tern_sk(sk)->timer_kind = kind;
	icsk->icsk_timeout = jiffies + when;
	sk_reset_timer(sk, &icsk->icsk_retransmit_timer, icsk->icsk_timeout);
}

void tern_stop_retransmit_timer(struct sock *sk)
{
	tern_sk(sk)->timer_kind = TERN_TIMER_NONE;
	sk_stop_timer(sk, &inet_csk(sk)->icsk_retransmit_timer);
}

/*
 * After sending or an ACK: a tail loss probe when it can help, otherwise
 * the retransmission timeout; nothing when nothing is outstanding.
 */
void tern_rearm_rto(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 rto = inet_csk(sk)->icsk_rto;
	u32 pto;

	if (tsk->snd_una == tsk->snd_nxt && !tsk->hs_pending) {
		if (tsk->timer_kind != TERN_TIMER_PROBE)
			tern_stop_retransmit_timer(sk);
		return;
	}
	if (sk->sk_state == TCP_ESTABLISHED && tsk->srtt_us &&
	    (tsk->ca_state == TERN_CA_OPEN || tsk->ca_state == TERN_CA_CWR) &&
	    !tsk->hs_pending &&
	    tsk->timer_kind != TERN_TIMER_RTO) {
		pto = usecs_to_jiffies(max_t(u32, tsk->srtt_us >> 2,
					     TERN_TLP_MIN_US)) +
		      TERN_DELACK_MAX;
		if (pto < rto) {
			tern_arm_timer(sk, TERN_TIMER_TLP, pto);
			return;
		}
	}
	tern_arm_timer(sk, TERN_TIMER_RTO, rto);
}

/*
 * After an ACK: the reordering timer when a segment waits out RACK's
 * window (tern_rack_reo_left()), unless the timer armed fires first
 * anyway. It stands in for the RTO timer, which its expiry rearms, as
 * tcp_rack_reo_timeout() does; each expiry marks at least the segment it
 * was armed for, so duplicate ACKs cannot put the timeout off for long.
 */
void tern_arm_reo(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	unsigned long when;
	u32 left;

	if (sk->sk_state == TCP_SYN_SENT)
		return;
	left = tern_rack_reo_left(sk);
	if (!left)
		return;
	when = usecs_to_jiffies(left) + 1;
	if (tsk->timer_kind != TERN_TIMER_NONE &&
	    tsk->timer_kind != TERN_TIMER_REO &&
	    time_before(inet_csk(sk)->icsk_timeout, jiffies + when))
		return;
	tern_arm_timer(sk, TERN_TIMER_REO, when);
}

static void tern_reo_expired(struct sock *sk)
{
	tern_rack_timeout(sk);
	tern_rearm_rto(sk);
	tern_arm_reo(sk);
}

/* Give up on the connection: the error the user sees is ETIMEDOUT. */
static void tern_timeout(struct sock *sk)
{
	bool dead = sock_flag(sk, SOCK_DEAD);

	/* no reset: the peer is unreachable or gone (as TCP) */
	WRITE_ONCE(sk->sk_err, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_TIMEOUTS);
	if (sk->sk_state == TCP_SYN_SENT)
		TERN_INC_STATS(sock_net(sk), TERN_MIB_ATTEMPTFAILS);
	tern_done(sk);
	/* wake the user once the socket is closed, so poll sees it all */
	if (!dead)
		sk_error_report(sk);
}

static bool tern_out_of_retries(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_net *tn = tern_pernet(sock_net(sk));
	int limit;

	if (sk->sk_state == TCP_SYN_SENT)
		limit = tsk->syn_retries ? : tn->syn_retries;
	else
		limit = tn->retries;
	/* nobody waits for an orphan: give up sooner, as TCP does */
	if (sock_flag(sk, SOCK_DEAD))
		limit = min(limit, TERN_ORPHAN_RETRIES);
	if (tsk->user_timeout) {
		if (tern_user_timeout_left(sk) == 1)
			return true;
		if (sk->sk_state != TCP_SYN_SENT)
			return false;
	}
	return tsk->retries >= limit;
}

/* One more retry, or, when they are used up, the end (true). */
static bool tern_retry_or_give_up(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (!tsk->retrans_stamp)
		tsk->retrans_stamp = get_jiffies_64();
	if (tern_out_of_retries(sk)) {
		tern_timeout(sk);
		return true;
	}
	tsk->retries++;
	return false;
}

static void tern_rto_expired(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;
	u32 rto_max;

	if (tern_retry_or_give_up(sk))
		return;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_RTOS);

	if (sk->sk_state != TCP_SYN_SENT && tern_rtx_head(sk)) {
		tern_mark_all_lost(sk, true);
		tern_cc_on_rto(sk);
	}
	/* the oldest segment the peer does not hold */
	skb = skb_rb_first(&tsk->rtx_queue);
	if (skb) {
		tern_retransmit_skb(sk, skb);
	} else if (tsk->hs_pending) {
		/* the handshake's last ACK, until the server confirms */
		tern_send_ack(sk);
	}
	rto_max = TERN_RTO_MAX;
	if (tsk->hs_pending)
		rto_max = max_t(u32, TERN_HS_RTO_MAX, tsk->rto);
	icsk->icsk_rto = min_t(u32, icsk->icsk_rto << 1, rto_max);
	tern_arm_timer(sk, TERN_TIMER_RTO, icsk->icsk_rto);
}

/* Tail loss probe: the last segment sent goes again (RFC 8985 7.3). */
static void tern_tlp_fire(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb = skb_rb_last(&tsk->rtx_queue);
	struct sk_buff *sacked = skb_rb_last(&tsk->sacked_queue);

	/* none when the peer holds the last one (it is SACKed) */
	if (skb && !(sacked && tern_after(TERN_SKB_CB(sacked)->seq,
					  TERN_SKB_CB(skb)->seq))) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_TLPS);
		tern_retransmit_skb(sk, skb);
	}
	tern_arm_timer(sk, TERN_TIMER_RTO, inet_csk(sk)->icsk_rto);
}

/* Zero-window probe: ask for the window until it opens. */
static void tern_probe_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tern_sock *tsk = tern_sk(sk);

	if (!tern_send_head(sk) || tsk->snd_nxt != tsk->snd_una)
		return;
	if (tsk->snd_wnd) {
		/* a window smaller than the segment: send what fits */
		struct sk_buff *skb = tern_send_head(sk);

		if (skb->len > tsk->snd_wnd)
			tern_split_skb(sk, skb, tsk->snd_wnd);
		tern_push(sk);
		if (tsk->snd_nxt != tsk->snd_una)
			return;
		/* nothing went out (no route, no memory): retry, back off */
	}
	if (tern_retry_or_give_up(sk))
		return;
	if (!tsk->snd_wnd) {
		TERN_INC_STATS(sock_net(sk), TERN_MIB_ZEROWINPROBES);
		tern_send_probe(sk);
	}
	icsk->icsk_rto = min_t(u32, icsk->icsk_rto << 1, TERN_RTO_MAX);
	tern_arm_timer(sk, TERN_TIMER_PROBE, icsk->icsk_rto);
}

static void tern_retransmit_handler(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tern_sock *tsk = tern_sk(sk);
	int kind = tsk->timer_kind;

	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	if (kind == TERN_TIMER_NONE)
		return;
	if (time_after(icsk->icsk_timeout, jiffies)) {
		sk_reset_timer(sk, &icsk->icsk_retransmit_timer,
			       icsk->icsk_timeout);
		return;
	}
	tsk->timer_kind = TERN_TIMER_NONE;
	switch (kind) {
	case TERN_TIMER_RTO:
		tern_rto_expired(sk);
		break;
	case TERN_TIMER_TLP:
		tern_tlp_fire(sk);
		break;
	case TERN_TIMER_PROBE:
		tern_probe_timer(sk);
		break;
	case TERN_TIMER_REO:
		tern_reo_expired(sk);
		break;
	}
}

static void tern_delack_handler(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (!(icsk->icsk_ack.pending & ICSK_ACK_TIMER))
		return;
	icsk->icsk_ack.pending &= ~ICSK_ACK_TIMER;
	if (tern_sk(sk)->ack_pending)
		tern_send_ack(sk);
}

/* The delayed-ACK timeout (TERN_INFO's ato). */
u32 tern_delack_us(void)
{
	return jiffies_to_usecs(max_t(unsigned long, TERN_DELACK_MAX, 1));
}

void tern_schedule_ack(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ack.pending & ICSK_ACK_TIMER)
		return;
	icsk->icsk_ack.pending |= ICSK_ACK_TIMER;
	sk_reset_timer(sk, &icsk->icsk_delack_timer,
		       jiffies + max_t(unsigned long, TERN_DELACK_MAX, 1));
}

static u32 tern_keepalive_time(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	return tsk->keepalive_time ? :
	       tern_pernet(sock_net(sk))->keepalive_time_s * HZ;
}

static u32 tern_keepalive_intvl(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	return tsk->keepalive_intvl ? :
	       tern_pernet(sock_net(sk))->keepalive_intvl_s * HZ;
}

/* (Re)start or stop keepalive; on: SO_KEEPALIVE, which the core sets
 * only after calling proto.keepalive.
 */
void tern_set_keepalive(struct sock *sk, int on)
{
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT)
		return;
	if (on)
		sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer,
			       jiffies + tern_keepalive_time(sk));
	else
		sk_stop_timer(sk, &inet_csk(sk)->icsk_keepalive_timer);
}

void tern_reset_keepalive(struct sock *sk)
{
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_CLOSE_WAIT)
		return;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer,
			       jiffies + tern_keepalive_time(sk));
	else
		sk_stop_timer(sk, &inet_csk(sk)->icsk_keepalive_timer);
}

static void tern_keepalive_handler(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 idle;
	int probes;

	switch (sk->sk_state) {
	case TCP_FIN_WAIT2:
		/* an orphan's FIN_WAIT2 timed out */
		if (sock_flag(sk, SOCK_DEAD))
			tern_done(sk);
		return;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		break;
	default:
		return;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN))
		return;
	if (tsk->snd_una != tsk->snd_nxt || tern_send_head(sk)) {
		/* data outstanding: retransmission rules, not keepalive */
		sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer,
			       jiffies + tern_keepalive_time(sk));
		return;
	}
	idle = get_jiffies_64() - tsk->rcv_tstamp;
	if (idle < tern_keepalive_time(sk)) {
		sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer,
			       jiffies + tern_keepalive_time(sk) - idle);
		return;
	}
	probes = tsk->keepalive_probes ? :
		 tern_pernet(sock_net(sk))->keepalive_probes;
	if (inet_csk(sk)->icsk_probes_out >= probes) {
		tern_timeout(sk);
		return;
	}
	inet_csk(sk)->icsk_probes_out++;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_KEEPALIVEPROBES);
	tern_send_probe(sk);
	sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer, jiffies + tern_keepalive_intvl(sk));
}

/* Timer callbacks: run now, or leave it to release_cb. */
void tern_timer_run(struct sock *sk, int bit,
		    void (*handler)(struct sock *sk))
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		handler(sk);
	else if (!test_and_set_bit(bit, &tern_sk(sk)->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

static void tern_retransmit_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_retransmit_timer);

	tern_timer_run(&icsk->icsk_inet.sk, TERN_RETRANS_DEFERRED,
		       tern_retransmit_handler);
}

static void tern_delack_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_delack_timer);

	tern_timer_run(&icsk->icsk_inet.sk, TERN_DELACK_DEFERRED,
		       tern_delack_handler);
}

static void tern_keepalive_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_keepalive_timer);

	tern_timer_run(&icsk->icsk_inet.sk, TERN_KEEPALIVE_DEFERRED,
		       tern_keepalive_handler);
}

/* proto.release_cb: the timer and ICMP work that found the socket busy. */
void tern_release_cb(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (test_and_clear_bit(TERN_RETRANS_DEFERRED, &tsk->deferred)) {
		tern_retransmit_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TERN_DELACK_DEFERRED, &tsk->deferred)) {
		tern_delack_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TERN_KEEPALIVE_DEFERRED, &tsk->deferred)) {
		tern_keepalive_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(TERN_MTU_DEFERRED, &tsk->deferred)) {
		tern_mtu_reduced(sk, READ_ONCE(tsk->mtu_info));
		__sock_put(sk);
	}
	if (test_and_clear_bit(TERN_PACE_DEFERRED, &tsk->deferred)) {
		tern_push(sk);
		__sock_put(sk);
	}
}

void tern_init_timers(struct sock *sk)
{
	inet_csk_init_xmit_timers(sk, tern_retransmit_timer, tern_delack_timer,
				  tern_keepalive_timer);
	inet_csk(sk)->icsk_rto = TERN_RTO_INIT;
	tern_sk(sk)->rto = TERN_RTO_INIT;
	tern_pacing_init_sock(sk);
}

void tern_clear_timers(struct sock *sk)
{
	tern_sk(sk)->timer_kind = TERN_TIMER_NONE;
	inet_csk_clear_xmit_timers(sk);
	tern_pacing_clear(sk);
}
