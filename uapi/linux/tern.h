/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Tern: reliable, ordered, congestion-controlled transport over IP
 * protocol 253 (RFC 3692 experimental).
 *
 *	fd = socket(AF_INET or AF_INET6, SOCK_STREAM or SOCK_SEQPACKET,
 *		    IPPROTO_TERN);
 */
#ifndef _UAPI_LINUX_TERN_H
#define _UAPI_LINUX_TERN_H

#include <linux/types.h>

/* IP protocol number, on the wire and in socket(). */
#ifndef IPPROTO_TERN
#define IPPROTO_TERN		253
#endif

/* setsockopt()/getsockopt() level, equal to the protocol as SOL_TCP is. */
#define SOL_TERN		IPPROTO_TERN

/*
 * Wire header, 32 bytes, all fields in network byte order, followed by
 * (doff * 4 - 32) bytes of options and then the payload.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source port          |       Destination port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data offset  |     Flags     |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                    Sequence number (64 bits)                  +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                 Acknowledgment number (64 bits)               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Receive window (bytes)                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Version    |                   Reserved                    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * source, dest	Ports, as TCP's. Zero is invalid in either field.
 * doff		Header length in 32-bit words, options included; at least
 *		8 (TERN_HDR_WORDS), at most the segment's length.
 * flags	TERN_FLAG_* below.
 * check	Internet checksum (RFC 1071) over a pseudo-header (source
 *		and destination address, segment length, protocol 253, laid
 *		out as for TCP over IPv4 or IPv6: RFC 9293 3.1, RFC 8200 8.1),
 *		the header with this field zero, the options and the payload.
 *		Always present and always verified: a segment that fails it
 *		is dropped and counted (TernInCsumErrors).
 * seq		Sequence number of the first payload byte. 64 bits, so it
 *		does not wrap within a connection's life.
 * ack_seq	Next sequence number expected (valid with TERN_FLAG_ACK).
 * window	Free receive space in bytes, from ack_seq on.
 * version	TERN_VERSION; a segment of another version is dropped and
 *		counted (TernInHdrErrors).
 * reserved	Zero when sent, ignored when received.
 */
struct ternhdr {
	__be16	source;
	__be16	dest;
	__u8	doff;
	__u8	flags;
	__sum16	check;
	__be64	seq;
	__be64	ack_seq;
	__be32	window;
	__u8	version;
	__u8	reserved[3];
};

#define TERN_VERSION		1
#define TERN_HDR_LEN		32	/* sizeof(struct ternhdr) */
#define TERN_HDR_WORDS		(TERN_HDR_LEN / 4)

/*
 * Options: kind (1 byte), length (1 byte, the whole option), data. The
 * option area ends at doff * 4; TERN_OPT_END ends it early, TERN_OPT_NOP
 * pads. An unknown kind is skipped by its length; a malformed length ends
 * parsing.
 */
#define TERN_OPT_END		0	/* end of options (1 byte) */
#define TERN_OPT_NOP		1	/* padding (1 byte) */
/* length 4: __be16, payload bytes the sender takes per segment (SYN) */
#define TERN_OPT_MSS		2
/*
 * length 2 + 16n, n <= 3: ranges of data received beyond ack_seq, each
 * __be64 start and __be64 end (exclusive)
 */
#define TERN_OPT_SACK		3

/* struct ternhdr.flags */
#define TERN_FLAG_SYN		0x01	/* synchronize sequence numbers */
#define TERN_FLAG_ACK		0x02	/* ack_seq is valid */
#define TERN_FLAG_FIN		0x04	/* no more data from sender */
#define TERN_FLAG_RST		0x08	/* reset the connection */
#define TERN_FLAG_EOR		0x10	/* last segment of a SOCK_SEQPACKET message */
#define TERN_FLAG_ECE		0x40	/* ECN echo (RFC 3168): SYN: ECN asked/given */
#define TERN_FLAG_CWR		0x80	/* congestion window reduced (RFC 3168) */

/*
 * Socket options at level SOL_TERN. Numbers, types and limits are TCP's
 * for the options TCP also has, so code moves over by changing the level.
 */
#define TERN_NODELAY		1	/* int: no Nagle delay */
#define TERN_MAXSEG		2	/* int: cap on payload per segment, 88-32767 */
#define TERN_KEEPIDLE		4	/* int: idle seconds before keepalives */
#define TERN_KEEPINTVL		5	/* int: seconds between keepalives */
#define TERN_KEEPCNT		6	/* int: keepalives before giving up */
#define TERN_SYNCNT		7	/* int: SYN retransmissions */
#define TERN_INFO		11	/* struct tern_info, read only */
/*
 * char[]: the congestion control algorithm by name, TCP_CONGESTION's
 * twin: set before or after connect() (a listener's children inherit
 * it), read back as a NUL-terminated name. setsockopt takes up to
 * TERN_CA_NAME_MAX - 1 bytes of name (the rest of a longer optval is
 * ignored, as TCP ignores it); ENOENT: no algorithm of that name,
 * EINVAL: optlen < 1, EPERM: an algorithm another user may not choose.
 * The namespace's default is net.tern.congestion_control; what exists,
 * net.tern.available_congestion_control.
 */
#define TERN_CONGESTION		13
#define TERN_USER_TIMEOUT	18	/* int: ms unacknowledged before ETIMEDOUT */

#define TERN_MAX_KEEPIDLE	32767
#define TERN_MAX_KEEPINTVL	32767
#define TERN_MAX_KEEPCNT	127
#define TERN_MAX_SYNCNT		127
#define TERN_CA_NAME_MAX	16	/* TERN_CONGESTION name, NUL included */

/* struct tern_info.tern_ca_state */
enum {
	TERN_CA_OPEN = 0,	/* no loss being repaired */
	TERN_CA_RECOVERY = 1,	/* fast recovery after SACK/RACK-detected loss */
	TERN_CA_LOSS = 2,	/* after a retransmission timeout */
	TERN_CA_CWR = 3,	/* window reduced for an ECN echo, no loss */
};

/* struct tern_info.tern_options */
#define TERN_INFO_OPT_ECN	0x01	/* ECN in use (RFC 3168) */

/*
 * getsockopt(fd, SOL_TERN, TERN_INFO, &info, &len), and the payload of
 * INET_DIAG_INFO in sock_diag answers for protocol 253. Versioned by
 * length as TCP_INFO is: the kernel copies min(len, its size) bytes and
 * returns that length; fields are only ever added at the end, so a
 * program reads what its header knows and checks len for newer fields.
 * Sequence-space quantities are in bytes (Tern's window is in bytes),
 * times in microseconds unless the name says otherwise, rates in bytes
 * per second. The tern_state values are TCP's (TCP_ESTABLISHED = 1 ...
 * TCP_NEW_SYN_RECV = 12) so tools print them as ss does.
 */
struct tern_info {
	__u8	tern_state;		/* TCP_* state */
	__u8	tern_ca_state;		/* TERN_CA_* */
	__u8	tern_retransmits;	/* consecutive timeouts unanswered */
	__u8	tern_probes;		/* unanswered keepalive/zero-window probes */
	__u8	tern_backoff;		/* RTO doublings in force */
	__u8	tern_options;		/* TERN_INFO_OPT_* */
	__u8	tern_reserved8[2];	/* zero */

	__u32	tern_rto;		/* retransmission timeout, us */
	__u32	tern_ato;		/* delayed-ACK timeout, us */
	__u32	tern_snd_mss;		/* payload bytes per segment sent */
	__u32	tern_rcv_mss;		/* the peer's announced MSS */

	__u32	tern_rtt;		/* smoothed RTT, us (RFC 6298 SRTT) */
	__u32	tern_rttvar;		/* RTT variation, us (RTTVAR) */
	__u32	tern_min_rtt;		/* lowest RTT seen, us; ~0U if none */
	__u32	tern_snd_cwnd;		/* congestion window, bytes */

	__u32	tern_snd_ssthresh;	/* slow-start threshold, bytes */
	__u32	tern_snd_wnd;		/* the peer's receive window, bytes */
	__u32	tern_rcv_wnd;		/* the window we last announced, bytes */
	__u32	tern_rcv_space;		/* receive autotuning's estimate, bytes */

	__u32	tern_unacked;		/* bytes sent and not acknowledged */
	__u32	tern_in_flight;		/* of those, neither SACKed nor lost */
	__u32	tern_sacked;		/* bytes the peer holds beyond snd_una */
	__u32	tern_lost;		/* bytes marked lost, not yet resent */

	__u32	tern_retrans;		/* bytes resent and not yet acknowledged */
	__u32	tern_notsent;		/* bytes queued and never sent */
	__u32	tern_last_data_sent;	/* ms since data was last sent */
	__u32	tern_last_data_recv;	/* ms since data was last received */

	__u32	tern_last_ack_recv;	/* ms since an ACK was last received */
	__u32	tern_reserved32;	/* zero */

	__u64	tern_total_retrans;	/* segments resent, ever */
	__u64	tern_pacing_rate;	/* bytes/s, ~0ULL: not paced */
	__u64	tern_max_pacing_rate;	/* SO_MAX_PACING_RATE, ~0ULL: none */
	__u64	tern_delivery_rate;	/* latest delivery-rate sample, bytes/s */
	__u64	tern_bytes_sent;	/* payload bytes sent, resends included */
	__u64	tern_bytes_retrans;	/* payload bytes resent */
	__u64	tern_bytes_acked;	/* payload bytes cumulatively acknowledged */
	__u64	tern_bytes_received;	/* payload bytes received in sequence */
	__u64	tern_segs_out;		/* segments sent, resends included */
	__u64	tern_segs_in;		/* segments received */
	__u64	tern_data_segs_out;	/* of those sent, carrying payload */
	__u64	tern_data_segs_in;	/* of those received, carrying payload */
	__u64	tern_busy_time;		/* us with data in flight */
	__u64	tern_rwnd_limited;	/* us stalled by the peer's window */
	__u64	tern_sndbuf_limited;	/* us stalled by the send buffer */
};

#endif /* _UAPI_LINUX_TERN_H */
