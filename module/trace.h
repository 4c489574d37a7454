/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern's tracepoints, the "tern" trace system, modelled on TCP's
 * (include/trace/events/tcp.h): tracefs (events/tern/), perf
 * (-e tern:tern_probe) and bpftrace (tracepoint:tern:*) see them. Addresses
 * are stored with their ports as a struct sockaddr_in or sockaddr_in6
 * (printed by %pISpc), as tcp_probe and tcp_send_reset do; sport, dport
 * and family are there again for filters. Sequence numbers are Tern's own,
 * 64 bits; cwnd, ssthresh and the windows are in bytes.
 *
 * module/trace.c defines CREATE_TRACE_POINTS and includes this header; it
 * is found through TRACE_INCLUDE_PATH and Kbuild's -I$(src)/module.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tern

#if !defined(_TERN_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TERN_TRACE_H

#include <linux/ipv6.h>
#include <linux/sock_diag.h>
#include <linux/tracepoint.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <trace/events/net_probe_common.h>

#include "tern.h"

#ifndef _TERN_TRACE_HELPERS
#define _TERN_TRACE_HELPERS

#define TERN_TRACE_ADDR_LEN	sizeof(struct sockaddr_in6)

/*
 * A segment's addresses and ports (IP header and Tern header), as
 * TP_STORE_ADDR_PORTS_SKB, whose form differs from kernel to kernel.
 * src and dst get the segment's source and destination: a reply passes
 * them swapped.
 */
static inline void tern_trace_skb_addrs(const struct sk_buff *skb, u8 *src,
					u8 *dst)
{
	const struct ternhdr *th = tern_hdr(skb);

	memset(src, 0, TERN_TRACE_ADDR_LEN);
	memset(dst, 0, TERN_TRACE_ADDR_LEN);
#if IS_ENABLED(CONFIG_IPV6)
	if (ip_hdr(skb)->version == 6) {
		struct sockaddr_in6 *s6 = (void *)src, *d6 = (void *)dst;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = th->source;
		s6->sin6_addr = ipv6_hdr(skb)->saddr;
		d6->sin6_family = AF_INET6;
		d6->sin6_port = th->dest;
		d6->sin6_addr = ipv6_hdr(skb)->daddr;
		return;
	}
#endif
	{
		struct sockaddr_in *s4 = (void *)src, *d4 = (void *)dst;

		s4->sin_family = AF_INET;
		s4->sin_port = th->source;
		s4->sin_addr.s_addr = ip_hdr(skb)->saddr;
		d4->sin_family = AF_INET;
		d4->sin_port = th->dest;
		d4->sin_addr.s_addr = ip_hdr(skb)->daddr;
	}
}

/* The family of the address stored by tern_trace_skb_addrs(). */
static inline u16 tern_trace_addr_family(const u8 *addr)
{
	return ((const struct sockaddr *)addr)->sa_family;
}

/* Its port, host order. */
static inline u16 tern_trace_addr_port(const u8 *addr)
{
	return ntohs(((const struct sockaddr_in *)addr)->sin_port);
}

/* The socket's cookie, as sock_diag reports it (made if it has none). */
static inline u64 tern_trace_cookie(struct sock *sk)
{
	u32 c[2];

	sock_diag_save_cookie(sk, c);
	return (u64)c[1] << 32 | c[0];
}

#endif /* _TERN_TRACE_HELPERS */

/*
 * The names a trace reader prints: enum values are exported to it (as
 * trace/events/sock.h does), the AF_* are plain numbers already.
 */
TRACE_DEFINE_ENUM(TCP_ESTABLISHED);
TRACE_DEFINE_ENUM(TCP_SYN_SENT);
TRACE_DEFINE_ENUM(TCP_SYN_RECV);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT1);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT2);
TRACE_DEFINE_ENUM(TCP_TIME_WAIT);
TRACE_DEFINE_ENUM(TCP_CLOSE);
TRACE_DEFINE_ENUM(TCP_CLOSE_WAIT);
TRACE_DEFINE_ENUM(TCP_LAST_ACK);
TRACE_DEFINE_ENUM(TCP_LISTEN);
TRACE_DEFINE_ENUM(TCP_CLOSING);
TRACE_DEFINE_ENUM(TCP_NEW_SYN_RECV);
TRACE_DEFINE_ENUM(TERN_CA_OPEN);
TRACE_DEFINE_ENUM(TERN_CA_RECOVERY);
TRACE_DEFINE_ENUM(TERN_CA_LOSS);
TRACE_DEFINE_ENUM(TERN_CA_CWR);

#define tern_show_family(val)						\
	__print_symbolic(val, { AF_INET, "AF_INET" }, { AF_INET6, "AF_INET6" })

#define tern_show_state(val)						\
	__print_symbolic(val,						\
			 { TCP_ESTABLISHED, "TCP_ESTABLISHED" },	\
			 { TCP_SYN_SENT, "TCP_SYN_SENT" },		\
			 { TCP_SYN_RECV, "TCP_SYN_RECV" },		\
			 { TCP_FIN_WAIT1, "TCP_FIN_WAIT1" },		\
			 { TCP_FIN_WAIT2, "TCP_FIN_WAIT2" },		\
			 { TCP_TIME_WAIT, "TCP_TIME_WAIT" },		\
			 { TCP_CLOSE, "TCP_CLOSE" },			\
			 { TCP_CLOSE_WAIT, "TCP_CLOSE_WAIT" },		\
			 { TCP_LAST_ACK, "TCP_LAST_ACK" },		\
			 { TCP_LISTEN, "TCP_LISTEN" },			\
			 { TCP_CLOSING, "TCP_CLOSING" },		\
			 { TCP_NEW_SYN_RECV, "TCP_NEW_SYN_RECV" })

#define tern_show_ca_state(val)						\
	__print_symbolic(val,						\
			 { TERN_CA_OPEN, "TERN_CA_OPEN" },		\
			 { TERN_CA_RECOVERY, "TERN_CA_RECOVERY" },	\
			 { TERN_CA_LOSS, "TERN_CA_LOSS" },		\
			 { TERN_CA_CWR, "TERN_CA_CWR" })

/*
 * Every ACK the sender takes in (tern_ack(), after cwnd and RTT are
 * updated), as tcp_probe: its payload length, the connection's send state.
 */
TRACE_EVENT(tern_probe,

	TP_PROTO(struct sock *sk, const struct sk_buff *skb),

	TP_ARGS(sk, skb),

	TP_STRUCT__entry(
		/* sockaddr_in6 is always bigger than sockaddr_in */
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__field(__u32, mark)
		__field(__u32, data_len)
		__field(__u64, snd_nxt)
		__field(__u64, snd_una)
		__field(__u32, snd_cwnd)
		__field(__u32, ssthresh)
		__field(__u32, snd_wnd)
		__field(__u32, srtt)
		__field(__u32, rcv_wnd)
		__field(__u64, sock_cookie)
		__field(__u32, in_flight)
		__field(__u64, pacing_rate)
		__field(__u8, ca_state)
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
	),

	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);
		const struct tern_sock *tsk = tern_sk(sk);

		memset(__entry->saddr, 0, sizeof(struct sockaddr_in6));
		memset(__entry->daddr, 0, sizeof(struct sockaddr_in6));

		TP_STORE_ADDR_PORTS(__entry, inet, sk);

		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->mark = skb->mark;
		__entry->family = sk->sk_family;

		__entry->data_len = tern_payload_len(skb);
		__entry->snd_nxt = tsk->snd_nxt;
		__entry->snd_una = tsk->snd_una;
		__entry->snd_cwnd = tsk->cwnd;
		__entry->ssthresh = tsk->ssthresh;
		__entry->snd_wnd = tsk->snd_wnd;
		__entry->srtt = tsk->srtt_us >> 3;
		__entry->rcv_wnd = tsk->rcv_wnd;
		__entry->sock_cookie = tern_trace_cookie(sk);
		__entry->in_flight = tern_in_flight(tsk);
		__entry->pacing_rate = READ_ONCE(sk->sk_pacing_rate);
		__entry->ca_state = tsk->ca_state;

		__entry->skbaddr = skb;
		__entry->skaddr = sk;
	),

	TP_printk("family=%s src=%pISpc dest=%pISpc mark=%#x data_len=%u snd_nxt=%llu snd_una=%llu snd_cwnd=%u ssthresh=%u snd_wnd=%u srtt=%u rcv_wnd=%u sock_cookie=%llx in_flight=%u pacing_rate=%llu ca_state=%s skbaddr=%p skaddr=%p",
		  tern_show_family(__entry->family),
		  __entry->saddr, __entry->daddr, __entry->mark,
		  __entry->data_len, __entry->snd_nxt, __entry->snd_una,
		  __entry->snd_cwnd, __entry->ssthresh, __entry->snd_wnd,
		  __entry->srtt, __entry->rcv_wnd, __entry->sock_cookie,
		  __entry->in_flight, __entry->pacing_rate,
		  tern_show_ca_state(__entry->ca_state),
		  __entry->skbaddr, __entry->skaddr)
);

/* Every segment sent again (tern_retransmit_skb()), as tcp_retransmit_skb. */
TRACE_EVENT(tern_retransmit_skb,

	TP_PROTO(const struct sock *sk, const struct sk_buff *skb),

	TP_ARGS(sk, skb),

	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
		__field(int, state)
		__field(__u8, ca_state)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
		__field(__u64, seq)
		__field(__u64, end_seq)
	),

	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skbaddr = skb;
		__entry->skaddr = sk;
		__entry->state = sk->sk_state;
		__entry->ca_state = tern_sk(sk)->ca_state;

		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->family = sk->sk_family;

		memset(__entry->saddr, 0, sizeof(struct sockaddr_in6));
		memset(__entry->daddr, 0, sizeof(struct sockaddr_in6));
		TP_STORE_ADDR_PORTS(__entry, inet, sk);

		__entry->seq = TERN_SKB_CB(skb)->seq;
		__entry->end_seq = TERN_SKB_CB(skb)->end_seq;
	),

	TP_printk("skbaddr=%p skaddr=%p family=%s src=%pISpc dest=%pISpc state=%s ca_state=%s seq=%llu end_seq=%llu",
		  __entry->skbaddr, __entry->skaddr,
		  tern_show_family(__entry->family),
		  __entry->saddr, __entry->daddr,
		  tern_show_state(__entry->state),
		  tern_show_ca_state(__entry->ca_state),
		  __entry->seq, __entry->end_seq)
);

/*
 * Every reset sent, as tcp_send_reset: by a socket (sk, no skb: an abort)
 * or in reply to skb (no socket, or one that does not own the segment).
 * A reply's addresses are those of skb reversed: the direction of the
 * reset. Zero state means no socket.
 */
TRACE_EVENT(tern_send_reset,

	TP_PROTO(const struct sock *sk__nullable,
		 const struct sk_buff *skb__nullable),

	TP_ARGS(sk__nullable, skb__nullable),

	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(const void *, skaddr)
		__field(int, state)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
	),

	TP_fast_assign(
		__entry->skbaddr = skb__nullable;
		__entry->skaddr = sk__nullable;
		__entry->state = sk__nullable ? sk__nullable->sk_state : 0;

		memset(__entry->saddr, 0, sizeof(struct sockaddr_in6));
		memset(__entry->daddr, 0, sizeof(struct sockaddr_in6));

		if (skb__nullable) {
			tern_trace_skb_addrs(skb__nullable, __entry->daddr,
					     __entry->saddr);
		} else if (sk__nullable && sk_fullsock(sk__nullable)) {
			const struct sock *sk = sk__nullable;
			const struct inet_sock *inet = inet_sk(sk);

			TP_STORE_ADDR_PORTS(__entry, inet, sk);
		}
		__entry->family = tern_trace_addr_family(__entry->saddr);
		__entry->sport = tern_trace_addr_port(__entry->saddr);
		__entry->dport = tern_trace_addr_port(__entry->daddr);
	),

	TP_printk("skbaddr=%p skaddr=%p family=%s src=%pISpc dest=%pISpc state=%s",
		  __entry->skbaddr, __entry->skaddr,
		  tern_show_family(__entry->family),
		  __entry->saddr, __entry->daddr,
		  __entry->state ? tern_show_state(__entry->state) : "UNKNOWN")
);

/* A valid reset taken (tern_reset()), as tcp_receive_reset. */
TRACE_EVENT(tern_receive_reset,

	TP_PROTO(struct sock *sk),

	TP_ARGS(sk),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(int, state)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
		__field(__u64, sock_cookie)
	),

	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skaddr = sk;
		__entry->state = sk->sk_state;

		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->family = sk->sk_family;

		memset(__entry->saddr, 0, sizeof(struct sockaddr_in6));
		memset(__entry->daddr, 0, sizeof(struct sockaddr_in6));
		TP_STORE_ADDR_PORTS(__entry, inet, sk);

		__entry->sock_cookie = tern_trace_cookie(sk);
	),

	TP_printk("family=%s src=%pISpc dest=%pISpc state=%s sock_cookie=%llx",
		  tern_show_family(__entry->family),
		  __entry->saddr, __entry->daddr,
		  tern_show_state(__entry->state),
		  __entry->sock_cookie)
);

/*
 * Every state change of a Tern socket (tern_set_state()), as
 * sock:inet_sock_set_state, which still fires too (inet_sk_set_state()).
 */
TRACE_EVENT(tern_set_state,

	TP_PROTO(const struct sock *sk, const int oldstate, const int newstate),

	TP_ARGS(sk, oldstate, newstate),

	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(int, oldstate)
		__field(int, newstate)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
	),

	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skaddr = sk;
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;

		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->family = sk->sk_family;

		memset(__entry->saddr, 0, sizeof(struct sockaddr_in6));
		memset(__entry->daddr, 0, sizeof(struct sockaddr_in6));
		TP_STORE_ADDR_PORTS(__entry, inet, sk);
	),

	TP_printk("family=%s src=%pISpc dest=%pISpc oldstate=%s newstate=%s skaddr=%p",
		  tern_show_family(__entry->family),
		  __entry->saddr, __entry->daddr,
		  tern_show_state(__entry->oldstate),
		  tern_show_state(__entry->newstate),
		  __entry->skaddr)
);

/*
 * A segment dropped for a bad checksum (ipv4.c, both families), as
 * tcp_bad_csum: the addresses and ports it carries.
 */
TRACE_EVENT(tern_bad_csum,

	TP_PROTO(const struct sk_buff *skb),

	TP_ARGS(skb),

	TP_STRUCT__entry(
		__field(const void *, skbaddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u16, family)
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
	),

	TP_fast_assign(
		__entry->skbaddr = skb;
		tern_trace_skb_addrs(skb, __entry->saddr, __entry->daddr);
		__entry->family = tern_trace_addr_family(__entry->saddr);
		__entry->sport = tern_trace_addr_port(__entry->saddr);
		__entry->dport = tern_trace_addr_port(__entry->daddr);
	),

	TP_printk("skbaddr=%p family=%s src=%pISpc dest=%pISpc",
		  __entry->skbaddr, tern_show_family(__entry->family),
		  __entry->saddr, __entry->daddr)
);

#endif /* _TERN_TRACE_H */

/* This part must be outside protection */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
