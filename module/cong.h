/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern: pluggable congestion control (cong.c), Tern's own twin of
 * struct tcp_congestion_ops (include/net/tcp.h): TCP's ops cannot serve a
 * socket that is not a tcp_sock. An algorithm fills a struct
 * tern_cong_ops and registers it; a socket runs the algorithm its
 * namespace's net.tern.congestion_control names, or the one TERN_CONGESTION
 * chose. Windows are in bytes, as Tern counts in sequence space.
 */
#ifndef _TERN_CONG_H
#define _TERN_CONG_H

#include <linux/list.h>
#include <linux/module.h>
#include <net/inet_connection_sock.h>
#include <linux/tern.h>

struct sock;
struct tern_rate_sample;

#define TERN_CA_BUF_MAX		2048	/* net.tern.available_congestion_control */
#define TERN_INIT_CWND_SEGS	10	/* RFC 6928 */
#define TERN_MAX_CWND		(64U << 20)

/* What cwnd_event() is told (as enum tcp_ca_event). */
enum tern_ca_event {
	TERN_CA_EVENT_TX_START,	/* first send with nothing in flight */
	TERN_CA_EVENT_LOSS,	/* retransmission timeout: loss state */
};

/* tern_cong_ops.flags */
#define TERN_CONG_NON_RESTRICTED	0x1	/* any user may choose it */

/*
 * Hooks run under the socket lock (or in softirq with the socket
 * spinlock held, the socket not owned by the user), as TCP's do.
 */
struct tern_cong_ops {
	/* slow-start threshold after a congestion event (required) */
	u32 (*ssthresh)(struct sock *sk);
	/*
	 * grow cwnd: acked bytes were newly acknowledged, the sender was
	 * cwnd-limited, and no loss is being repaired (required unless
	 * cong_control is set)
	 */
	void (*cong_avoid)(struct sock *sk, u32 acked);
	/* before ca_state changes to new_state, a TERN_CA_* (optional) */
	void (*set_state)(struct sock *sk, u8 new_state);
	/* TERN_CA_EVENT_* (optional) */
	void (*cwnd_event)(struct sock *sk, enum tern_ca_event ev);
	/*
	 * every ACK that acknowledges new data: bytes, and the RTT of the
	 * newest segment it acknowledged that was sent once, -1 if none
	 * (optional)
	 */
	void (*pkts_acked)(struct sock *sk, u32 acked, long rtt_us);
	/*
	 * every ACK that delivered data (acknowledged or SACKed), after
	 * the delivery-rate sample is taken (rate.c), in place of
	 * cong_avoid: for model-based algorithms (optional)
	 */
	void (*cong_control)(struct sock *sk,
			     const struct tern_rate_sample *rs);
	/* cwnd to go back to when a reduction proves spurious (required) */
	u32 (*undo_cwnd)(struct sock *sk);
	/* private state in tern_ca_priv() (optional) */
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);

	char			name[TERN_CA_NAME_MAX];
	struct module		*owner;	/* NULL: built into tern.ko */
	struct list_head	list;
	u32			flags;	/* TERN_CONG_* */
};

int tern_register_congestion_control(struct tern_cong_ops *ca);
void tern_unregister_congestion_control(struct tern_cong_ops *ca);

/* An algorithm's private state: as much as TCP's (icsk_ca_priv). */
#define TERN_CA_PRIV_SIZE	ICSK_CA_PRIV_SIZE

static inline void *tern_ca_priv(const struct sock *sk)
{
	return (void *)inet_csk(sk)->icsk_ca_priv;
}

/* The slow-start rule the algorithms share (RFC 5681 3.1, RFC 3465). */
u32 tern_slow_start(struct sock *sk, u32 acked);
/* One segment more per cwnd bytes acked: appropriate byte counting. */
void tern_cong_avoid_ai(struct sock *sk, u32 w, u32 acked);

/* NewReno's, for other algorithms to reuse (cong_reno.c) */
u32 tern_reno_ssthresh(struct sock *sk);
u32 tern_reno_undo_cwnd(struct sock *sk);

/* module init/exit, the namespaces, the sockets (cong.c) */
extern struct tern_cong_ops tern_reno;
extern struct tern_cong_ops tern_cubic;
int tern_cong_init(void);
void tern_cong_exit(void);
struct tern_net;
void tern_cong_net_init(struct tern_net *tn);
void tern_cong_net_exit(struct tern_net *tn);
void tern_cong_assign(struct sock *sk);
void tern_cong_child(struct sock *sk);
void tern_cong_release(struct sock *sk);
int tern_cong_set(struct sock *sk, const char *name);
void tern_cong_get_default(struct tern_net *tn, char *name);
int tern_cong_set_default(struct tern_net *tn, const char *name);
void tern_cong_available(char *buf, size_t maxlen);
void tern_cc_event(struct sock *sk, enum tern_ca_event ev);
void tern_cc_cong_control(struct sock *sk);
void tern_cc_undo(struct sock *sk);
void tern_cc_try_undo(struct sock *sk);

#endif /* _TERN_CONG_H */
