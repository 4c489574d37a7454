// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern: struct tern_info as text, in the words and units ss -i uses
 * for TCP's tcp_info (times in ms, rates in bps), and the TCP state
 * names ss prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <netinet/tcp.h>

#include "tern/tern.h"

/* Whether field @f of struct tern_info lies within the first @len bytes. */
#define HAS(len, f) \
	(offsetof(struct tern_info, f) + sizeof(((struct tern_info *)0)->f) <= (len))

struct out {
	char *buf;
	size_t size;
	size_t n;	/* what snprintf would have written so far */
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	size_t room = o->n < o->size ? o->size - o->n : 0;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(room ? o->buf + o->n : NULL, room, fmt, ap);
	va_end(ap);
	if (r > 0)
		o->n += (size_t)r;
}

/* A rate as ss prints one: 1.2Mbps, 345Kbps, 12bps. */
static void put_rate(struct out *o, const char *name, unsigned long long bytes_s)
{
	double bps = (double)bytes_s * 8;

	if (bps >= 1e9)
		put(o, " %s %.1fGbps", name, bps / 1e9);
	else if (bps >= 1e6)
		put(o, " %s %.1fMbps", name, bps / 1e6);
	else if (bps >= 1e3)
		put(o, " %s %.1fKbps", name, bps / 1e3);
	else
		put(o, " %s %.0fbps", name, bps);
}

static void format_rtt(struct out *o, const struct tern_info *i, size_t len)
{
	/* options first, as ss prints "sack ecn" before the timers */
	if (HAS(len, tern_options) && (i->tern_options & TERN_INFO_OPT_ECN))
		put(o, " ecn");
	if (HAS(len, tern_rto) && i->tern_rto)
		put(o, " rto:%g", i->tern_rto / 1000.0);
	if (HAS(len, tern_backoff) && i->tern_backoff)
		put(o, " backoff:%u", i->tern_backoff);
	if (HAS(len, tern_rttvar) && i->tern_rtt)
		put(o, " rtt:%g/%g", i->tern_rtt / 1000.0, i->tern_rttvar / 1000.0);
	if (HAS(len, tern_ato) && i->tern_ato)
		put(o, " ato:%g", i->tern_ato / 1000.0);
	if (HAS(len, tern_snd_mss) && i->tern_snd_mss)
		put(o, " mss:%u", i->tern_snd_mss);
	if (HAS(len, tern_rcv_mss) && i->tern_rcv_mss)
		put(o, " rcvmss:%u", i->tern_rcv_mss);
	if (HAS(len, tern_snd_cwnd) && i->tern_snd_cwnd)
		put(o, " cwnd:%u", i->tern_snd_cwnd);
	if (HAS(len, tern_snd_ssthresh) && i->tern_snd_ssthresh &&
	    i->tern_snd_ssthresh < 0x7fffffff)
		put(o, " ssthresh:%u", i->tern_snd_ssthresh);
}

static void format_bytes(struct out *o, const struct tern_info *i, size_t len)
{
	if (HAS(len, tern_bytes_sent) && i->tern_bytes_sent)
		put(o, " bytes_sent:%llu", (unsigned long long)i->tern_bytes_sent);
	if (HAS(len, tern_bytes_retrans) && i->tern_bytes_retrans)
		put(o, " bytes_retrans:%llu", (unsigned long long)i->tern_bytes_retrans);
	if (HAS(len, tern_bytes_acked) && i->tern_bytes_acked)
		put(o, " bytes_acked:%llu", (unsigned long long)i->tern_bytes_acked);
	if (HAS(len, tern_bytes_received) && i->tern_bytes_received)
		put(o, " bytes_received:%llu", (unsigned long long)i->tern_bytes_received);
	if (HAS(len, tern_segs_out) && i->tern_segs_out)
		put(o, " segs_out:%llu", (unsigned long long)i->tern_segs_out);
	if (HAS(len, tern_segs_in) && i->tern_segs_in)
		put(o, " segs_in:%llu", (unsigned long long)i->tern_segs_in);
	if (HAS(len, tern_data_segs_out) && i->tern_data_segs_out)
		put(o, " data_segs_out:%llu", (unsigned long long)i->tern_data_segs_out);
	if (HAS(len, tern_data_segs_in) && i->tern_data_segs_in)
		put(o, " data_segs_in:%llu", (unsigned long long)i->tern_data_segs_in);
}

static void format_times(struct out *o, const struct tern_info *i, size_t len)
{
	if (HAS(len, tern_last_data_sent))
		put(o, " lastsnd:%u", i->tern_last_data_sent);
	if (HAS(len, tern_last_data_recv))
		put(o, " lastrcv:%u", i->tern_last_data_recv);
	if (HAS(len, tern_last_ack_recv))
		put(o, " lastack:%u", i->tern_last_ack_recv);
	if (HAS(len, tern_pacing_rate) && i->tern_pacing_rate &&
	    i->tern_pacing_rate != ~0ULL)
		put_rate(o, "pacing_rate", i->tern_pacing_rate);
	if (HAS(len, tern_delivery_rate) && i->tern_delivery_rate)
		put_rate(o, "delivery_rate", i->tern_delivery_rate);
	if (HAS(len, tern_busy_time) && i->tern_busy_time)
		put(o, " busy:%llums", (unsigned long long)i->tern_busy_time / 1000);
	if (HAS(len, tern_rwnd_limited) && i->tern_rwnd_limited)
		put(o, " rwnd_limited:%llums", (unsigned long long)i->tern_rwnd_limited / 1000);
	if (HAS(len, tern_sndbuf_limited) && i->tern_sndbuf_limited)
		put(o, " sndbuf_limited:%llums", (unsigned long long)i->tern_sndbuf_limited / 1000);
}

static void format_queue(struct out *o, const struct tern_info *i, size_t len)
{
	if (HAS(len, tern_unacked) && i->tern_unacked)
		put(o, " unacked:%u", i->tern_unacked);
	if (HAS(len, tern_total_retrans) &&
	    (i->tern_retrans || i->tern_total_retrans))
		put(o, " retrans:%u/%llu", i->tern_retrans,
		    (unsigned long long)i->tern_total_retrans);
	if (HAS(len, tern_lost) && i->tern_lost)
		put(o, " lost:%u", i->tern_lost);
	if (HAS(len, tern_sacked) && i->tern_sacked)
		put(o, " sacked:%u", i->tern_sacked);
	if (HAS(len, tern_notsent) && i->tern_notsent)
		put(o, " notsent:%u", i->tern_notsent);
	if (HAS(len, tern_min_rtt) && i->tern_min_rtt && i->tern_min_rtt != ~0U)
		put(o, " minrtt:%g", i->tern_min_rtt / 1000.0);
	if (HAS(len, tern_snd_wnd) && i->tern_snd_wnd)
		put(o, " snd_wnd:%u", i->tern_snd_wnd);
	if (HAS(len, tern_rcv_wnd) && i->tern_rcv_wnd)
		put(o, " rcv_wnd:%u", i->tern_rcv_wnd);
	if (HAS(len, tern_rcv_space) && i->tern_rcv_space)
		put(o, " rcv_space:%u", i->tern_rcv_space);
}

int tern_info_format(const struct tern_info *info, size_t len, char *buf,
		     size_t size)
{
	struct out o = { .buf = buf, .size = size };

	if (size)
		buf[0] = '\0';
	format_rtt(&o, info, len);
	format_bytes(&o, info, len);
	format_times(&o, info, len);
	format_queue(&o, info, len);
	/* no leading blank */
	if (o.n && buf && size) {
		size_t k;

		for (k = 0; k + 1 < size && buf[k + 1]; k++)
			buf[k] = buf[k + 1];
		buf[k] = '\0';
	}
	return o.n ? (int)o.n - 1 : 0;
}

const char *tern_state_name(int state)
{
	static const char *const names[] = {
		[TCP_ESTABLISHED] = "ESTAB",
		[TCP_SYN_SENT] = "SYN-SENT",
		[TCP_SYN_RECV] = "SYN-RECV",
		[TCP_FIN_WAIT1] = "FIN-WAIT-1",
		[TCP_FIN_WAIT2] = "FIN-WAIT-2",
		[TCP_TIME_WAIT] = "TIME-WAIT",
		[TCP_CLOSE] = "UNCONN",
		[TCP_CLOSE_WAIT] = "CLOSE-WAIT",
		[TCP_LAST_ACK] = "LAST-ACK",
		[TCP_LISTEN] = "LISTEN",
		[TCP_CLOSING] = "CLOSING",
		[TCP_CLOSING + 1] = "NEW-SYN-RECV",
	};

	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])) ||
	    !names[state])
		return "UNKNOWN";
	return names[state];
}
