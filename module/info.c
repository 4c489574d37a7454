// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: struct tern_info, one fill for the TERN_INFO socket option and
 * for sock_diag's INET_DIAG_INFO (as tcp_get_info() serves TCP_INFO and
 * tcp_diag).
 */
#include <linux/log2.h>

#include "tern.h"

static u32 tern_ms_since(u64 stamp)
{
	return stamp ? jiffies_to_msecs(get_jiffies_64() - stamp) : 0;
}

static void tern_info_send(const struct sock *sk, struct tern_info *info)
{
	const struct tern_sock *tsk = tern_sk(sk);
	u64 unacked = tsk->snd_nxt - tsk->snd_una;

	info->tern_snd_mss = tsk->mss_cache;
	info->tern_rcv_mss = tsk->peer_mss;
	info->tern_snd_cwnd = tsk->cwnd;
	info->tern_snd_ssthresh = tsk->ssthresh;
	info->tern_snd_wnd = tsk->snd_wnd;
	info->tern_unacked = min_t(u64, unacked, U32_MAX);
	info->tern_in_flight = tern_in_flight(tsk);
	info->tern_sacked = tsk->sacked_out;
	info->tern_lost = tsk->lost_out;
	info->tern_retrans = tsk->stats.retrans_out;
	info->tern_notsent = min_t(u64, tsk->write_seq - tsk->snd_nxt,
				   U32_MAX);
}

static void tern_info_rtt(const struct sock *sk, struct tern_info *info)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tern_sock *tsk = tern_sk(sk);

	info->tern_retransmits = tsk->retries;
	info->tern_probes = icsk->icsk_probes_out;
	if (tsk->rto && icsk->icsk_rto > tsk->rto)
		info->tern_backoff = ilog2(icsk->icsk_rto / tsk->rto);
	info->tern_rto = jiffies_to_usecs(icsk->icsk_rto);
	info->tern_ato = tern_delack_us();
	info->tern_rtt = tsk->srtt_us >> 3;
	info->tern_rttvar = tsk->rttvar_us >> 2;
	info->tern_min_rtt = tsk->srtt_us ? tsk->min_rtt_us : ~0U;
}

/* The chronographs, the one running included (tcp_get_info_chrono_stats). */
static void tern_info_chrono(const struct tern_sock *tsk,
			     struct tern_info *info)
{
	u64 stat[ARRAY_SIZE(tsk->stats.chrono_stat)];
	int i;

	for (i = 0; i < ARRAY_SIZE(stat); i++) {
		stat[i] = tsk->stats.chrono_stat[i];
		if (tsk->stats.chrono_type == i + 1)
			stat[i] += tern_clock_us() - tsk->stats.chrono_start;
	}
	info->tern_busy_time = stat[TERN_CHRONO_BUSY - 1] +
			       stat[TERN_CHRONO_RWND_LIMITED - 1] +
			       stat[TERN_CHRONO_SNDBUF_LIMITED - 1];
	info->tern_rwnd_limited = stat[TERN_CHRONO_RWND_LIMITED - 1];
	info->tern_sndbuf_limited = stat[TERN_CHRONO_SNDBUF_LIMITED - 1];
}

/* Counters and ages. segs_in is written in softirq: READ_ONCE. */
static void tern_info_counters(const struct tern_sock *tsk,
			       struct tern_info *info)
{
	info->tern_last_data_sent = tern_ms_since(tsk->stats.data_sent_stamp);
	info->tern_last_data_recv = tern_ms_since(tsk->stats.data_rcvd_stamp);
	info->tern_last_ack_recv = tern_ms_since(tsk->stats.ack_rcvd_stamp);
	info->tern_total_retrans = tsk->stats.total_retrans;
	info->tern_delivery_rate = tern_delivery_rate(tsk);
	info->tern_bytes_sent = tsk->stats.bytes_sent;
	info->tern_bytes_retrans = tsk->stats.bytes_retrans;
	info->tern_bytes_acked = tsk->stats.bytes_acked;
	info->tern_bytes_received = tsk->stats.bytes_received;
	info->tern_segs_out = tsk->stats.segs_out;
	info->tern_segs_in = READ_ONCE(tsk->stats.segs_in);
	info->tern_data_segs_out = tsk->stats.data_segs_out;
	info->tern_data_segs_in = READ_ONCE(tsk->stats.data_segs_in);
	tern_info_chrono(tsk, info);
}

/* sk_pacing_rate and its cap, ~0 meaning none (as tcp_get_info()). */
static u64 tern_info_rate(unsigned long rate)
{
	return rate != ~0UL ? rate : ~0ULL;
}

/*
 * Fill @info for @sk. A listener reports its state and little else, as
 * TCP_INFO does. The socket lock keeps the numbers of one moment
 * together; sock_diag calls this unlocked, so take it here (fast path,
 * as tcp_get_info()).
 */
void tern_get_info(struct sock *sk, struct tern_info *info)
{
	const struct tern_sock *tsk = tern_sk(sk);
	bool slow;

	memset(info, 0, sizeof(*info));
	info->tern_state = inet_sk_state_load(sk);
	info->tern_pacing_rate = tern_info_rate(READ_ONCE(sk->sk_pacing_rate));
	info->tern_max_pacing_rate =
		tern_info_rate(READ_ONCE(sk->sk_max_pacing_rate));
	if (info->tern_state == TCP_LISTEN)
		return;

	slow = lock_sock_fast(sk);
	info->tern_ca_state = tsk->ca_state;
	if (tsk->ecn_flags & TERN_ECN_OK)
		info->tern_options |= TERN_INFO_OPT_ECN;
	tern_info_rtt(sk, info);
	tern_info_send(sk, info);
	info->tern_rcv_wnd = tsk->rcv_wnd;
	info->tern_rcv_space = tern_rcv_space(sk);
	tern_info_counters(tsk, info);
	unlock_sock_fast(sk, slow);
}
