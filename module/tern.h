/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern: internal declarations shared by the module's files.
 */
#ifndef _TERN_H
#define _TERN_H

#include <linux/hrtimer.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <net/inet_connection_sock.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include <net/snmp.h>
#include <linux/tern.h>

#include "compat.h"
#include "cong.h"

/* Room for link, network and Tern headers with every option. */
#define TERN_MAX_OPT_LEN	64
#define MAX_TERN_HEADER		(MAX_HEADER + 128)
/* The least a data segment keeps: Ethernet, IPv6, our header, options. */
#define TERN_MIN_HEADROOM	(HH_DATA_MOD + sizeof(struct ipv6hdr) + \
				 TERN_HDR_LEN + TERN_MAX_OPT_LEN)
/* Largest payload in one segment, whatever the MTU (linear buffers). */
#define TERN_MAX_SEG		16384
#define TERN_MIN_MSS		88
/* Bytes of our header an ICMP error must quote: up to the seq field. */
#define TERN_ICMP_QUOTE		(offsetof(struct ternhdr, seq) + 8)
#define TERN_DEFAULT_MSS	536
#define TERN_MAX_MAXSEG		32767	/* TERN_MAXSEG accepts what TCP_MAXSEG does */

#define TERN_MAX_SACKS		3	/* SACK ranges per segment */
#define TERN_REO_WND_PERSIST	16	/* recoveries a grown RACK window lasts */

/* 64-bit sequence numbers, compared wrap-safe all the same. */
static inline bool tern_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

#define tern_after(a, b)	tern_before(b, a)

/* A range of sequence numbers held beyond a hole: [start, end). */
struct tern_sack_block {
	u64 start;
	u64 end;
};

/* What a segment's options say (options.c). */
struct tern_opts {
	u16 mss;
	int nsacks;
	u64 sack[TERN_MAX_SACKS][2];
};

/* Per-skb state, sent and received. */
struct tern_skb_cb {
	u64	seq;		/* first sequence number */
	u64	end_seq;	/* seq + SYN + FIN + payload length */
	u64	sent_us;	/* last (re)transmission, tern_clock_us() */
	u8	flags;		/* TERN_FLAG_* */
	u8	sacked;		/* TERN_SKB_* */
	u8	ip_ecn;		/* received: the IP ECN field (ecn.c) */
	union {
		int	iif;		/* received: the input interface */
		u32	first_tx;	/* sent: jiffies of the first send */
	};
	/*
	 * sent: the delivery-rate state at the last send (rate.c, as
	 * tcp_skb_cb.tx); times are the low 32 bits of tern_clock_us()
	 */
	u32	tx_delivered;	/* tern_stats.delivered then */
	u32	tx_delivered_us; /* tern_stats.delivered_us then */
	u32	tx_first_us;	/* tern_sock.first_tx_us then */
};

#define TERN_SKB_CB(skb)	((struct tern_skb_cb *)&((skb)->cb[0]))

#define TERN_SKB_SACKED		0x01	/* the peer holds it (SACK) */
#define TERN_SKB_LOST		0x02	/* marked lost, not yet resent */
#define TERN_SKB_RETRANS	0x04	/* resent at least once */
#define TERN_SKB_RETRANS_OUT	0x08	/* a resent copy is in flight (retrans_out) */
#define TERN_SKB_RATE_PENDING	0x10	/* sent, not yet counted as delivered */

/* tern_sock.ecn_flags */
#define TERN_ECN_OK		0x01	/* negotiated */
#define TERN_ECN_QUEUE_CWR	0x02	/* sender: CWR on the next new data */
#define TERN_ECN_DEMAND_CWR	0x04	/* receiver: ECE until data with CWR */

/* What a timer found the socket busy with, done later in release_cb. */
enum {
	TERN_RETRANS_DEFERRED,
	TERN_DELACK_DEFERRED,
	TERN_KEEPALIVE_DEFERRED,
	TERN_MTU_DEFERRED,	/* an ICMP "too big" came while owned */
	TERN_PACE_DEFERRED,	/* the pacing timer's send (pacing.c) */
};

/* Congestion state: TERN_CA_* in the uapi header (struct tern_info). */

/* What the retransmit timer is armed for. */
enum {
	TERN_TIMER_NONE,
	TERN_TIMER_RTO,
	TERN_TIMER_TLP,
	TERN_TIMER_PROBE,	/* zero-window probe */
	TERN_TIMER_REO,		/* RACK reordering window (RFC 8985 6.3) */
};

/*
 * One ACK's delivery-rate sample (rate.c, as struct rate_sample): from
 * the most recently sent segment it delivered.
 */
struct tern_rate_sample {
	u32	prior_delivered; /* tern_stats.delivered when it was sent (low bits) */
	u32	prior_us;	/* tern_stats.delivered_us then (low bits) */
	u64	sent_us;	/* its send time */
	u64	end_seq;	/* its end (a tie-break) */
	u32	interval_us;	/* its send phase */
	u32	acked;		/* bytes this ACK delivered */
	bool	valid;		/* a segment this ACK delivered was timed */
};

/*
 * What TERN_INFO reports beyond a socket's state (info.c), kept as TCP
 * keeps its tcp_info sources. Sequence-space bytes count SYN
 * and FIN as one, as sacked_out and lost_out do; payload counters
 * do not. segs_in and data_segs_in are written in softirq under
 * the socket spinlock alone (tern_segs_in()).
 */
struct tern_stats {
	u32	retrans_out;	/* bytes resent, not yet acked, SACKed or lost */
	u64	total_retrans;	/* segments resent */
	u64	bytes_sent;	/* payload sent, resends included */
	u64	bytes_retrans;	/* payload resent */
	u64	bytes_acked;	/* payload cumulatively acknowledged */
	u64	bytes_received;	/* payload received in sequence */
	u64	segs_out;
	u64	segs_in;
	u64	data_segs_out;
	u64	data_segs_in;
	u64	data_sent_stamp; /* jiffies64 of the last data segment sent */
	u64	data_rcvd_stamp; /* of the last data segment taken */
	u64	ack_rcvd_stamp;	/* of the last acceptable ACK */
	/* delivery rate (rate.c, as tcp_rate.c), bytes and tern_clock_us() */
	u64	delivered;	/* bytes acknowledged or SACKed, ever */
	u64	delivered_us;	/* when delivered last grew */
	u64	first_tx_us;	/* send time the current interval starts at */
	struct tern_rate_sample rs;	/* the ACK being processed */
	u64	rate_delivered;	/* the latest sample: bytes */
	u32	rate_interval_us; /* over this long */
	/* chronographs (tern_chrono_start(), as tcp_chrono_start()), us */
	u8	chrono_type;	/* TERN_CHRONO_* */
	u64	chrono_start;	/* tern_clock_us() when it began */
	u64	chrono_stat[3];	/* per TERN_CHRONO_* - 1 */
};

/* A Tern socket: TCP-like connection state on inet_connection_sock. */
struct tern_sock {
	struct inet_connection_sock icsk;	/* must be first */

	/* send side */
	u64	snd_una;	/* first byte not acknowledged */
	u64	snd_nxt;	/* next byte to send */
	u64	write_seq;	/* end of what the user queued */
	u64	snd_wl1;	/* seq of the segment that last set snd_wnd */
	u64	snd_wl2;	/* its ack */
	u32	snd_wnd;	/* the peer's window, bytes from snd_una */
	u32	max_window;	/* the largest it has been */
	/*
	 * Segments not yet sent wait on sk_write_queue. Once sent, a
	 * segment is in one of two trees by sequence number: rtx_queue
	 * until the peer SACKs it, sacked_queue after. Through
	 * skb->tcp_tsorted_anchor a segment of rtx_queue is on one list:
	 * tsorted while in flight, in the order sent (RACK), or lost once
	 * marked lost, until it is resent. A SACK block, RACK and a resend
	 * thus visit only the segments they act on, whatever the peer
	 * makes us keep (as TCP's rtx queue and tsorted_sent_queue).
	 */
	struct rb_root rtx_queue;
	struct rb_root sacked_queue;
	struct list_head tsorted;
	struct list_head lost;
	u32	mss_cache;	/* payload bytes per segment on this path */
	u32	peer_mss;	/* what the peer announced */

	/* receive side */
	u64	rcv_nxt;	/* next byte expected */
	u64	copied_seq;	/* next byte for the user */
	u64	rcv_eor;	/* end of the last whole message in sequence */
	u64	rcv_compact;	/* tern_msg_collapse() has looked up to here */
	u64	rcv_wup;	/* rcv_nxt when the window was last sent */
	u32	rcv_wnd;	/* the window sent then */
	u64	rcvq_space_seq;	/* autotuning: copied_seq at round start */
	u64	rcvq_space_time; /* autotuning: round start, us */
	struct rb_root ooo_queue;	/* out-of-order segments by seq */
	u32	ooo_len;	/* bytes in ooo_queue */
	/* SACK blocks for our ACKs, the most recently changed first */
	struct tern_sack_block sacks[TERN_MAX_SACKS];
	/* data that arrived twice, for the next ACK (RFC 2883); empty: none */
	struct tern_sack_block dsack;
	u8	num_sacks;
	u8	ack_pending;	/* segments received since the last ACK */
	u8	quickack;	/* ACK the next segments at once */

	/* RTT and retransmission (RFC 6298) */
	u32	srtt_us;	/* smoothed RTT << 3, 0 until measured */
	u32	rttvar_us;	/* RTT variation << 2 */
	u32	min_rtt_us;
	u32	rto;		/* jiffies, before backoff */
	u8	timer_kind;	/* TERN_TIMER_* */
	u8	retries;	/* consecutive timeouts/probes unanswered */
	u64	retrans_stamp;	/* jiffies64 of the first unanswered timeout */

	/* loss detection (RACK-TLP, RFC 8985) and congestion control */
	u64	rack_sent_us;	/* send time of the newest delivered segment */
	u64	rack_end_seq;	/* its end */
	u32	rack_rtt_us;	/* its RTT (RFC 8985 RACK.rtt) */
	u32	cwnd;		/* bytes */
	u32	ssthresh;	/* bytes */
	u32	ca_acked;	/* bytes acked toward the next cwnd increase */
	u64	recover;	/* snd_nxt when recovery began */
	u8	ca_state;	/* TERN_CA_* */
	u8	ecn_flags;	/* TERN_ECN_* (ecn.c) */
	u8	ca_cwnd_limited; /* cong.c: the window stopped a send ... */
	u64	ca_usage_seq;	/* ... and snd_nxt was here then */
	u32	prior_cwnd;	/* before the last reduction (undo) */
	u32	prior_ssthresh;	/* 0: nothing to undo */
	u64	undo_marker;	/* snd_una at the last reduction */
	int	undo_retrans;	/* resent since, not shown spurious; -1: none */
	u32	dsack_dups;	/* segments D-SACKed (tp->dsack_dups) */
	u8	reo_wnd_steps;	/* RACK's window in min_rtt/4 steps (RFC 8985 6.2.4) */
	u8	reo_wnd_persist; /* recoveries before the steps fall back to 1 */
	u64	reo_wnd_seq;	/* snd_nxt when the steps last grew */
	/* the algorithm (cong.c); its state in icsk_ca_priv */
	const struct tern_cong_ops *ca_ops;
	u32	sacked_out;	/* bytes the peer holds beyond snd_una */
	u32	lost_out;	/* bytes marked lost and not resent */

	/* options */
	u8	nodelay;
	u8	hs_pending;	/* client: handshake not confirmed yet */
	u8	hs_confirm;	/* server: the client may not have heard us */
	u8	fin_queued;	/* a FIN is on the write queue */
	u8	fin_rcvd;	/* the peer's FIN is in sequence */
	u8	port_shared;	/* hash.c: port from connect(), shared by four-tuple */
	u8	listen_hashed;	/* hash.c: sk_nulls_node is in the listener table */
	u8	syn_retries;	/* 0: the namespace default */
	u32	keepalive_time;	/* jiffies, 0: default */
	u32	keepalive_intvl;
	u8	keepalive_probes;
	u32	user_timeout;	/* ms, 0: retries decide */
	u32	max_seg;	/* TERN_MAXSEG, 0: path decides */
	u64	rcv_tstamp;	/* jiffies64 of the last segment received */
	u32	last_oow_ack;	/* jiffies of the last out-of-window answer */

	unsigned long deferred;	/* TERN_*_DEFERRED bits */
	u32	mtu_info;	/* the MTU of a deferred "too big" */
	/* sends again once TSQ's limit is freed (sk_tsq_flags, output.c) */
	struct work_struct tsq_work;
	/* pacing.c: the next segment's departure time, the pacer's timer */
	u64	wstamp_ns;
	struct hrtimer pacing_timer;

	/* listener: children ready for accept(); child: its entry */
	struct list_head accept_queue;
	struct list_head accept_node;
	/*
	 * listener: handshakes in progress (tern_request_sock.node). Both
	 * lists and sk_ack_backlog are under accept_lock, not the socket
	 * lock: segments to a listener are handled without it (as TCP's
	 * icsk_accept_queue.rskq_lock).
	 */
	spinlock_t accept_lock;
	struct list_head req_list;
	atomic_t req_qlen;

	/* what TERN_INFO reports beyond the state above (info.c) */
	struct tern_stats stats;
};

/* What a socket with data to send waits for; the higher wins (tcp_chrono). */
enum {
	TERN_CHRONO_NONE,
	TERN_CHRONO_BUSY,	/* data queued or in flight */
	TERN_CHRONO_RWND_LIMITED, /* the peer's window stops sending */
	TERN_CHRONO_SNDBUF_LIMITED, /* all sent, the writer waits for room */
};

/*
 * A handshake in progress (TCP_NEW_SYN_RECV), in the connection table
 * until its last segment makes the child or its timer gives up (as
 * tcp_request_sock). sock_common is at offset 0: lookups see it as a sock.
 */
struct tern_request_sock {
	struct inet_request_sock ireq;		/* must be first */
	u64	snt_isn;	/* our initial sequence number */
	u64	rcv_isn;	/* the peer's */
	u16	mss;		/* the peer's MSS option, or the default */
	u64	snt_synack_us;	/* when the first SYN-ACK went */
	struct list_head node;	/* on the listener's req_list */
};

static inline struct tern_request_sock *tern_rsk(const struct request_sock *req)
{
	return (struct tern_request_sock *)req;
}

/* IPv6 sockets add the IPv6 data, last (see compat.h). */
struct tern6_sock {
	struct tern_sock tsk;
	struct ipv6_pinfo inet6;
};

static inline struct tern_sock *tern_sk(const struct sock *sk)
{
	return (struct tern_sock *)sk;
}

static inline struct ternhdr *tern_hdr(const struct sk_buff *skb)
{
	return (struct ternhdr *)skb_transport_header(skb);
}

static inline u32 tern_payload_len(const struct sk_buff *skb)
{
	return skb->len - tern_hdr(skb)->doff * 4;
}

/* A segment received for sk (socket spinlock held), as tcp_segs_in(). */
/* Wire segments an skb stands for: a GSO skb (offload.c) for several. */
static inline u16 tern_skb_segs(const struct sk_buff *skb)
{
	return max_t(u16, 1, skb_shinfo(skb)->gso_segs);
}

static inline void tern_segs_in(struct tern_sock *tsk, const struct sk_buff *skb)
{
	u16 segs = tern_skb_segs(skb);

	WRITE_ONCE(tsk->stats.segs_in, tsk->stats.segs_in + segs);
	if (tern_payload_len(skb))
		WRITE_ONCE(tsk->stats.data_segs_in,
			   tsk->stats.data_segs_in + segs);
}

static inline u64 tern_clock_us(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

static inline bool tern_seqpacket(const struct sock *sk)
{
	return sk->sk_type == SOCK_SEQPACKET;
}

/* Bytes readable: everything in sequence but a FIN. */
static inline u32 tern_inq(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	return READ_ONCE(tsk->rcv_nxt) - READ_ONCE(tsk->copied_seq) -
	       READ_ONCE(tsk->fin_rcvd);
}

/* Bytes sent and not yet acknowledged nor known to be held or lost. */
static inline u32 tern_in_flight(const struct tern_sock *tsk)
{
	u64 out = tsk->snd_nxt - tsk->snd_una;

	return out - min_t(u64, out, tsk->sacked_out + tsk->lost_out);
}

/*
 * Take the marks in @marks (TERN_SKB_LOST, TERN_SKB_RETRANS_OUT) off skb,
 * and its length off the counts they hold it in (lost_out, retrans_out):
 * when it is acked, SACKed, resent, or its resent copy is marked lost.
 */
static inline void tern_skb_unmark(struct tern_sock *tsk, struct sk_buff *skb,
				   u8 marks)
{
	struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	u32 len = cb->end_seq - cb->seq;

	marks &= cb->sacked;
	if (marks & TERN_SKB_LOST)
		tsk->lost_out -= len;
	if (marks & TERN_SKB_RETRANS_OUT)
		tsk->stats.retrans_out -= len;
	cb->sacked &= ~marks;
}

/* The first segment not yet sent, or NULL. */
static inline struct sk_buff *tern_send_head(const struct sock *sk)
{
	return skb_peek(&sk->sk_write_queue);
}

/* Counters, per network namespace: /proc/net/tern/snmp (proc.c). */
enum tern_mib_field {
	TERN_MIB_INSEGS,	/* valid segments received */
	TERN_MIB_INHDRERRORS,	/* truncated, bad offset, version, port */
	TERN_MIB_INCSUMERRORS,	/* checksum failed */
	TERN_MIB_INADDRERRORS,	/* not addressed to this host alone */
	TERN_MIB_INNOSOCKET,	/* valid, but no socket for it */
	TERN_MIB_OUTSEGS,	/* segments sent */
	TERN_MIB_RETRANSSEGS,	/* segments sent again */
	TERN_MIB_OUTRSTS,	/* resets sent */
	TERN_MIB_INRSTS,	/* resets accepted */
	TERN_MIB_ACTIVEOPENS,	/* connect() started a handshake */
	TERN_MIB_PASSIVEOPENS,	/* a listener created a connection */
	TERN_MIB_ATTEMPTFAILS,	/* handshakes that failed */
	TERN_MIB_ESTABRESETS,	/* established connections reset */
	TERN_MIB_COOKIESSENT,	/* SYN-ACKs sent */
	TERN_MIB_COOKIESFAILED,	/* handshake ACKs with a bad cookie */
	TERN_MIB_LISTENOVERFLOWS, /* accept queue full */
	TERN_MIB_INWINDROPS,	/* segments outside the window */
	TERN_MIB_OFOQUEUE,	/* segments queued out of order */
	TERN_MIB_DUPSEGS,	/* duplicate segments received */
	TERN_MIB_RCVQDROPS,	/* dropped for lack of receive memory */
	TERN_MIB_BACKLOGDROPS,	/* dropped, socket backlog full */
	TERN_MIB_RTOS,		/* retransmission timeouts */
	TERN_MIB_TLPS,		/* tail loss probes */
	TERN_MIB_FASTRETRANS,	/* retransmissions from SACK/RACK */
	TERN_MIB_TIMEOUTS,	/* connections timed out */
	TERN_MIB_KEEPALIVEPROBES,
	TERN_MIB_ZEROWINPROBES,
	TERN_MIB_ICMPERRORS,	/* ICMP errors for Tern segments */
	TERN_MIB_OUTOFWINDOWICMPS, /* ignored: quoted seq not in flight */
	TERN_MIB_FILTERDROPS,	/* dropped by the socket's filter */
	TERN_MIB_CHALLENGEACKS,	/* challenge ACKs sent (RFC 5961) */
	TERN_MIB_ACKSKIPPEDCHALLENGE, /* not sent: over the global limit */
	TERN_MIB_ACKSKIPPEDSEQ,	/* out-of-window ACK not sent: rate limit */
	TERN_MIB_SACKRENEGING,	/* SACK marks cleared by a timeout */
	TERN_MIB_SACKWALKSEGS,	/* segments ACKs made SACK, RACK, resend visit */
	TERN_MIB_ABORTONMEMORY,	/* orphans reset: over net.tern.max_orphans */
	TERN_MIB_TIMEWAITOVERFLOW, /* closed without TIME_WAIT: over the max */
	TERN_MIB_RCVMSGTOOLONG,	/* reset: a message the buffer can't hold */
	TERN_MIB_SYNRETRANS,	/* SYN-ACKs sent again by a request */
	TERN_MIB_REQQFULLDOCOOKIES, /* request queue full: a cookie instead */
	TERN_MIB_REQQFULLDROP,	/* request queue full, no cookies: dropped */
	TERN_MIB_SYNCOOKIESSENT, /* SYN-ACKs carrying a cookie */
	TERN_MIB_SYNCOOKIESRECV, /* connections made from a cookie */
	TERN_MIB_REQBADACK,	/* handshake ACK with a wrong number: reset */
	TERN_MIB_REQOUTOFWINDOW, /* segment to a request out of sequence */
	TERN_MIB_REQTIMEOUTS,	/* requests dropped after synack_retries */
	TERN_MIB_PACINGWAITS,	/* sends held for the internal pacer */
	TERN_MIB_INCESEGS,	/* data segments received marked CE */
	TERN_MIB_ECNREDUCTIONS,	/* window reductions for an ECN echo */
	TERN_MIB_DSACKSENT,	/* D-SACKs sent for data received twice */
	TERN_MIB_DSACKRECV,	/* D-SACKs received */
	TERN_MIB_DSACKUNDO,	/* reductions undone: every resend D-SACKed */
	TERN_MIB_MAX
};

struct tern_mib {
	unsigned long mibs[TERN_MIB_MAX];
};

/* Per network namespace state (net_generic). */
struct tern_net {
	struct tern_mib __percpu *mib;
	struct proc_dir_entry *proc_dir;
	struct sock *ctl_sk;		/* stateless replies, IPv4 */
	struct sock *ctl_sk6;		/* and IPv6 */
	struct ctl_table_header *sysctl_hdr;
	/* sysctls (net.tern.*) */
	int syn_retries;
	int retries;
	int fin_timeout_ms;
	int tw_timeout_ms;
	int keepalive_time_s;
	int keepalive_intvl_s;
	int keepalive_probes;
	int rto_min_ms;
	int challenge_ack_limit;
	int invalid_ratelimit_ms;
	int max_orphans;
	int min_snd_mss;
	int max_tw_buckets;
	int synack_retries;
	int max_syn_backlog;
	int syncookies;
	int ecn;
	/* net.tern.congestion_control: holds its module (cong.c) */
	const struct tern_cong_ops __rcu *cong_default;
	atomic_t tw_count;		/* connections in TIME_WAIT */
	bool dying;			/* tern_net_exit() began: no new TIME_WAIT */
	/* RFC 5961 challenge ACKs left this second (input.c) */
	u32 challenge_stamp;
	u32 challenge_count;
};

extern unsigned int tern_net_id;

static inline struct tern_net *tern_pernet(const struct net *net)
{
	return net_generic(net, tern_net_id);
}

#define TERN_INC_STATS(net, field) \
	SNMP_INC_STATS(tern_pernet(net)->mib, field)
#define TERN_ADD_STATS(net, field, val) \
	SNMP_ADD_STATS(tern_pernet(net)->mib, field, val)

/* ipv4.c: receive entry (both families), ICMP, IPv4 connect */
int tern_rcv(struct sk_buff *skb);
int tern_do_rcv(struct sock *sk, struct sk_buff *skb);
int tern_v4_err(struct sk_buff *skb, u32 info);
void tern_mtu_reduced(struct sock *sk, u32 mtu);
bool tern_icmp_seq_ok(const struct sock *sk, u64 seq);
void tern_err(struct sock *sk, int err, bool mtu, u32 info);
int tern_v4_init_sock(struct sock *sk);
int tern_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
int tern_v4_connect_addr(struct sock *sk, __be32 daddr, __be16 dport);

/* ipv6.c */
#if IS_ENABLED(CONFIG_IPV6)
extern struct proto tern6_prot;
extern const struct proto_ops tern_inet6_ops;
void tern6_prot_build(void);
int tern_v6_err(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type,
		u8 code, int offset, __be32 info);
void tern_v6_mapped_ops(struct sock *sk);
void tern_v6_init_child(struct sock *sk, const struct sock *listener);
struct dst_entry *tern_v6_route_child(struct sock *sk,
				      const struct sock *listener,
				      struct request_sock *req,
				      struct flowi *fl);
#endif

/* socket.c: the socket calls */
extern struct proto tern_prot;
extern const struct proto_ops tern_inet_ops;
void tern_set_state(struct sock *sk, int state);
void tern_done(struct sock *sk);
void tern_reset(struct sock *sk);
void tern_write_space(struct sock *sk);
void tern_sock_init_conn(struct sock *sk);
void tern_init_common(struct sock *sk);
int tern_connect_start(struct sock *sk);
void tern_write_queue_purge(struct sock *sk);
void tern_ooo_purge(struct sock *sk);
void tern_listen_stop(struct sock *sk);
void tern_child_forget(struct sock *child);
bool tern_too_many_orphans(struct sock *sk);
unsigned int tern_orphans(void);
void tern_net_purge(struct net *net);
int tern_listen(struct socket *sock, int backlog);
__poll_t tern_poll(struct file *file, struct socket *sock, poll_table *wait);
void tern_memory_init(void);

/* sockopt.c */
int tern_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int tern_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);
int tern_set_rcvlowat(struct sock *sk, int val);

/* info.c */
void tern_get_info(struct sock *sk, struct tern_info *info);

/* rate.c: delivery-rate samples (as tcp_rate.c) */
void tern_rate_skb_sent(struct sock *sk, struct sk_buff *skb);
void tern_rate_ack_start(struct tern_sock *tsk);
void tern_rate_skb_delivered(struct tern_sock *tsk, struct sk_buff *skb);
void tern_rate_gen(struct sock *sk);
u64 tern_delivery_rate(const struct tern_sock *tsk);

/* hash.c: bound ports, connections, listeners */
int tern_hash_init(void);
void tern_hash_exit(void);
int tern_get_port(struct sock *sk, unsigned short snum);
void tern_put_port(struct sock *sk);
int tern_bind_child(struct sock *child, const struct sock *listener);
int tern_hash_conn(struct sock *sk);
void tern_unhash_conn(struct sock *sk);
void tern_hash_listen(struct sock *sk);
struct sock *tern_lookup_v4(struct net *net, __be32 saddr, __be16 sport,
			    __be32 daddr, __be16 dport, int dif);
struct sock *tern_lookup_v6(struct net *net, const struct in6_addr *saddr,
			    __be16 sport, const struct in6_addr *daddr,
			    __be16 dport, int dif);
int tern_connect_port(struct sock *sk);
void tern_show_bound(struct seq_file *seq, struct net *net);
int tern_hash_req(struct sock *sk);
bool tern_unhash_req(struct sock *sk);
bool tern_hash_replace(struct sock *sk, struct sock *osk);
void tern_sk_put(struct sock *sk);
void tern_walk_sockets(struct net *net,
		       void (*fn)(struct sock *sk, void *arg), void *arg);
struct tern_tw_sock;
bool tern_hash_tw(struct tern_tw_sock *tw, struct sock *sk,
		  unsigned long timeo);
void tern_unhash_tw(struct tern_tw_sock *tw);
#define TERN_DIAG_LISTEN	0	/* tern_diag_bucket(): the listeners */
#define TERN_DIAG_CONN		1	/* connections, requests, TIME_WAIT */
unsigned int tern_diag_buckets(int table);
unsigned int tern_diag_bucket(int table, unsigned int i, const struct net *net,
			      unsigned int skip,
			      bool (*match)(struct sock *sk, void *arg),
			      void *arg, struct sock **batch,
			      unsigned int *idx, unsigned int max);

/* offload.c: GSO and GRO for protocol 253 */
#define TERN_GSO_MAX_SIZE	65536	/* an IPv4 datagram's, BIG TCP aside */
int tern_offload_init(void);
void tern_offload_exit(void);

/* diag.c: sock_diag (inet_diag) for protocol 253 */
int tern_diag_init(void);
void tern_diag_exit(void);
int tern_abort(struct sock *sk, int err);

/* cookie.c: initial sequence numbers and handshake cookies */
void tern_cookie_init(void);
u64 tern_isn_v4(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
u64 tern_isn_v6(const struct in6_addr *saddr, const struct in6_addr *daddr,
		__be16 sport, __be16 dport);
u64 tern_cookie_make(const struct sk_buff *skb, u64 peer_isn, u16 mss);
enum tern_cookie_verdict {
	TERN_COOKIE_OK,		/* the handshake's last segment */
	TERN_COOKIE_LATER,	/* one after it: the last one was lost */
	TERN_COOKIE_BAD,	/* not a cookie of ours */
};

enum tern_cookie_verdict tern_cookie_check(const struct sk_buff *skb,
					   u64 cookie, u64 peer_isn, u16 *mss);

/* minisocks.c: the listener, its requests, cookies, children */
extern struct request_sock_ops tern_request_sock_ops;
extern struct request_sock_ops tern6_request_sock_ops;
int tern_listen_rcv(struct sock *sk, struct sk_buff *skb);
int tern_req_rcv(struct sock *sk, struct sk_buff *skb);
void tern_req_err(struct sock *sk, u64 seq, bool abort);
bool tern_req_stale(struct sock *sk);
void tern_listen_purge_reqs(struct sock *listener);

/*
 * timewait.c: TIME_WAIT, a small structure of its own (the idea of
 * inet_timewait_sock). It begins with the sock_common a socket begins
 * with, so the established table's lockless lookups read it as they read
 * a socket (same key fields at the same offsets, same refcount) and
 * return it as a struct sock in state TCP_TIME_WAIT (not sk_fullsock()):
 * give it back with tern_sk_put(). It holds no module reference, no
 * namespace reference: module and namespace exits end it.
 */
struct tern_tw_sock {
	struct sock_common	tt_common;	/* must be first */
	u8			tt_port_shared;	/* as tern_sock.port_shared */
	u32			tt_rcv_wnd;	/* the window its ACKs announce */
	u32			tt_mark;	/* the socket's mark, for them */
	u64			tt_snd_nxt;	/* the sequence number of its ACKs */
	u64			tt_rcv_nxt;	/* all the peer sent, FIN included */
	struct timer_list	tt_timer;	/* the end of the wait */
};

static inline struct tern_tw_sock *tern_tw(const struct sock *sk)
{
	return (struct tern_tw_sock *)sk;
}

int tern_tw_init(void);
void tern_tw_exit(void);
void tern_time_wait(struct sock *sk);
int tern_tw_rcv(struct sock *sk, struct sk_buff *skb);
bool tern_tw_recycle(struct sock *sk, const struct sk_buff *skb);
void tern_tw_end(struct sock *sk);
void tern_tw_put(struct tern_tw_sock *tw);

/* input.c: a synchronized connection's input */
int tern_synsent_rcv(struct sock *sk, struct sk_buff *skb);
int tern_synrecv_rcv(struct sock *sk, struct sk_buff *skb);
int tern_conn_rcv(struct sock *sk, struct sk_buff *skb);
void tern_send_challenge_ack(struct sock *sk);
void tern_msg_room(struct sock *sk);
long tern_clean_acked(struct sock *sk, u64 ack);

/* options.c */
void tern_parse_options(const struct sk_buff *skb, struct tern_opts *o);
void tern_sack_new_ofo(struct tern_sock *tsk, u64 seq, u64 end);
void tern_sack_remove(struct tern_sock *tsk);
void tern_dsack_set(struct sock *sk, u64 seq, u64 end);
int tern_write_options(struct sock *sk, u8 *opt, u8 flags, int room, u16 mss);

/* recovery.c: SACK, RACK, lost segments */
void tern_update_rack(struct tern_sock *tsk, const struct sk_buff *skb);
u32 tern_sacktag(struct sock *sk, const struct tern_opts *o, int first);
bool tern_check_dsack(struct sock *sk, const struct tern_opts *o, u64 ack);
u32 tern_rack_reo_wnd(const struct tern_sock *tsk);
void tern_rack_recovery_begins(struct tern_sock *tsk);
u32 tern_rack_detect(struct sock *sk);
u32 tern_rack_reo_left(struct sock *sk);
void tern_rack_timeout(struct sock *sk);
void tern_mark_all_lost(struct sock *sk, bool timeout);
void tern_retransmit_lost(struct sock *sk);

/* output.c */
int tern_rcv_space(const struct sock *sk);
u32 tern_msg_limit(const struct sock *sk);
u64 tern_msg_edge(const struct sock *sk);
void tern_push(struct sock *sk);
int tern_tsq_init(void);
void tern_tsq_exit(void);
void tern_tsq_init_sock(struct sock *sk);
int tern_send_syn(struct sock *sk);
void tern_send_ack(struct sock *sk);
void tern_send_probe(struct sock *sk);
void tern_send_fin(struct sock *sk, gfp_t gfp);
void tern_send_active_reset(struct sock *sk, gfp_t gfp);
void tern_send_reset_reply(struct net *net, struct sk_buff *skb);
void tern_send_tw_ack(struct sk_buff *skb, const struct tern_tw_sock *tw);
void tern_send_synack_reply(struct sock *listener, struct sk_buff *skb,
			    u64 cookie);
void tern_send_synack_req(struct sock *listener, struct request_sock *req);
int tern_retransmit_skb(struct sock *sk, struct sk_buff *skb);
void tern_rtx_insert(struct rb_root *root, struct sk_buff *skb);
void tern_rtx_unlink_free(struct sock *sk, struct sk_buff *skb);
struct sk_buff *tern_rtx_head(const struct sock *sk);
int tern_split_skb(struct sock *sk, struct sk_buff *skb, u32 len);
u32 tern_select_window(struct sock *sk);
void tern_sync_mss_now(struct sock *sk);
unsigned int tern_sync_mss(struct sock *sk, u32 pmtu);
u16 tern_advmss(struct sock *sk);
void tern_chrono_start(struct sock *sk, int type);
void tern_chrono_stop(struct sock *sk, int type);
void tern_chrono_sndbuf_check(struct sock *sk);

/* timer.c */
void tern_init_timers(struct sock *sk);
void tern_clear_timers(struct sock *sk);
void tern_stop_retransmit_timer(struct sock *sk);
void tern_rearm_rto(struct sock *sk);
void tern_arm_reo(struct sock *sk);
void tern_arm_timer(struct sock *sk, int kind, unsigned long when);
void tern_schedule_ack(struct sock *sk);
void tern_reset_keepalive(struct sock *sk);
void tern_set_keepalive(struct sock *sk, int on);
void tern_release_cb(struct sock *sk);
void tern_timer_run(struct sock *sk, int bit,
		    void (*handler)(struct sock *sk));
void tern_rtt_sample(struct sock *sk, long rtt_us);
u32 tern_rto_min(const struct sock *sk);
void tern_rtt_handshake(struct sock *sk, long rtt_us);
u32 tern_delack_us(void);

/* ecn.c */
u8 tern_ecn_syn_flags(struct sock *sk);
void tern_ecn_syn_resent(struct sk_buff *skb);
void tern_ecn_rcv_synack(struct sock *sk, u8 flags);
bool tern_ecn_req_ok(const struct sock *listener, const struct sk_buff *syn);
u8 tern_ecn_send(struct sock *sk, const struct sk_buff *skb, u8 flags,
		 bool fresh);
u8 tern_ecn_field(const struct sk_buff *skb);
void tern_ecn_rcv_data(struct sock *sk, const struct sk_buff *skb);
void tern_ecn_rcv_ack(struct sock *sk, const struct sk_buff *skb);

/* pacing.c */
void tern_update_pacing_rate(struct sock *sk);
void tern_pacing_stamp(struct sock *sk, struct sk_buff *skb);
bool tern_pacing_wait(struct sock *sk);
void tern_pacing_init_sock(struct sock *sk);
void tern_pacing_clear(struct sock *sk);

/* cong.c: the congestion control framework (cong.h: the algorithms) */
void tern_cc_init(struct sock *sk);
void tern_cc_on_ack(struct sock *sk, u32 acked, long rtt_us);
void tern_cc_enter_recovery(struct sock *sk);
bool tern_cc_enter_cwr(struct sock *sk);
void tern_cc_on_rto(struct sock *sk);
bool tern_cc_can_send(struct sock *sk, u32 len);

/* proc.c */
void tern_show_sock(struct seq_file *seq, struct sock *sk);
int tern_proc_net_init(struct net *net);
void tern_proc_net_exit(struct net *net);

/* sysctl.c */
int tern_sysctl_net_init(struct net *net);
void tern_sysctl_net_exit(struct net *net);

#endif /* _TERN_H */
