// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the socket layer: struct proto and struct proto_ops for IPv4 and
 * IPv6, connect, listen, accept, send, receive, close and options.
 */

#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/inet6_connection_sock.h>
#include <net/inet_common.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/transp_v6.h>

#include "tern.h"
#include "trace.h"

/* Memory accounting, as TCP's (net.tern.mem is not a sysctl yet). */
static atomic_long_t tern_memory_allocated;
static DEFINE_PER_CPU(int, tern_memory_per_cpu_fw_alloc);
static unsigned long tern_memory_pressure;
static long sysctl_tern_mem[3];
static int sysctl_tern_rmem[3] = { 4096, 131072, 6291456 };
static int sysctl_tern_wmem[3] = { 4096, 65536, 4194304 };
static DEFINE_PER_CPU(unsigned int, tern_orphan_count);

static void tern_enter_memory_pressure(struct sock *sk)
{
	WRITE_ONCE(tern_memory_pressure, 1);
}

void tern_memory_init(void)
{
	unsigned long limit = nr_free_buffer_pages() / 16;

	limit = max(limit, 128UL);
	sysctl_tern_mem[0] = limit / 4 * 3;
	sysctl_tern_mem[1] = limit;
	sysctl_tern_mem[2] = sysctl_tern_mem[0] * 2;
}

void tern_set_state(struct sock *sk, int state)
{
	trace_tern_set_state(sk, sk->sk_state, state);
	if (state == TCP_CLOSE) {
		tern_unhash_conn(sk);
		if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			tern_put_port(sk);
	}
	inet_sk_set_state(sk, state);
}

/*
 * Orphans cost memory nobody accounts to a user: past net.tern.max_orphans
 * (counted across the host, as TCP's tcp_max_orphans) an orphan is reset
 * and freed at once instead of finishing its close (tcp_out_of_resources).
 */
unsigned int tern_orphans(void)
{
	unsigned int n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(tern_orphan_count, cpu);
	return n;
}

bool tern_too_many_orphans(struct sock *sk)
{
	int max = READ_ONCE(tern_pernet(sock_net(sk))->max_orphans);

	if ((int)tern_orphans() <= max)
		return false;
	TERN_INC_STATS(sock_net(sk), TERN_MIB_ABORTONMEMORY);
	return true;
}

/*
 * An orphan no longer holds its namespace: deleting the namespace must
 * not wait for its close to run its course (TCP's orphans do hold theirs).
 * tern_net_purge() ends it with the namespace instead.
 */
static void tern_orphan(struct sock *sk)
{
	sock_orphan(sk);
	this_cpu_inc(*sk->sk_prot->orphan_count);
	tern_sk_net_release(sk);
}

static void tern_purge_one(struct sock *sk, void *arg)
{
	if (sk->sk_state == TCP_TIME_WAIT) {
		tern_tw_end(sk);
		return;
	}
	lock_sock(sk);
	if (sock_flag(sk, SOCK_DEAD) && sk->sk_state != TCP_CLOSE) {
		local_bh_disable();
		tern_done(sk);
		local_bh_enable();
	}
	release_sock(sk);
}

/*
 * The namespace is going: its last reference is gone, so every Tern
 * socket left in it is an orphan or in TIME_WAIT. End them now, as TCP's
 * inet_twsk_purge() does for TIME_WAIT, instead of letting their timers
 * run in a namespace that no longer exists; the module can go then too.
 */
void tern_net_purge(struct net *net)
{
	tern_walk_sockets(net, tern_purge_one, NULL);
}

/*
 * The connection is over. A socket the user still holds stays until
 * close(); an orphan is freed here. Called with the socket locked.
 */
void tern_done(struct sock *sk)
{
	tern_set_state(sk, TCP_CLOSE);
	tern_clear_timers(sk);
	tern_chrono_stop(sk, TERN_CHRONO_BUSY);	/* nothing more will go */
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		return;
	}
	tern_put_port(sk);
	inet_csk_destroy_sock(sk);
}

/* The peer reset the connection (RFC 9293 3.10.7.4, errors as TCP). */
void tern_reset(struct sock *sk)
{
	bool dead = sock_flag(sk, SOCK_DEAD);
	int err;

	trace_tern_receive_reset(sk);
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		err = ECONNREFUSED;
		TERN_INC_STATS(sock_net(sk), TERN_MIB_ATTEMPTFAILS);
		break;
	case TCP_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		err = ECONNRESET;
		TERN_INC_STATS(sock_net(sk), TERN_MIB_ESTABRESETS);
	}
	WRITE_ONCE(sk->sk_err, err);
	tern_done(sk);
	/* wake the user once the socket is closed, so poll sees it all */
	if (!dead)
		sk_error_report(sk);
}

/* sk_write_space: wake writers once a third of the buffer is free. */
void tern_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !sk_stream_is_writeable(sk))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
					   EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

void tern_write_queue_purge(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue))) {
		sk_wmem_queued_add(sk, -skb->truesize);
		sk_mem_uncharge(sk, skb->truesize);
		__kfree_skb(skb);
	}
	while ((skb = tern_rtx_head(sk)))
		tern_rtx_unlink_free(sk, skb);
	tsk->sacked_out = 0;
	tsk->lost_out = 0;
	tsk->stats.retrans_out = 0;
	tsk->fin_queued = 0;
	tern_chrono_stop(sk, TERN_CHRONO_BUSY);
}

/* Connection state as a fresh socket (or a fresh child) has it. */
void tern_sock_init_conn(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	tsk->rtx_queue = RB_ROOT;
	tsk->sacked_queue = RB_ROOT;
	INIT_LIST_HEAD(&tsk->tsorted);
	INIT_LIST_HEAD(&tsk->lost);
	tsk->ooo_queue = RB_ROOT;
	tsk->ooo_len = 0;
	tsk->num_sacks = 0;
	tsk->dsack = (struct tern_sack_block){};
	tsk->srtt_us = 0;
	tsk->rttvar_us = 0;
	tsk->min_rtt_us = 0;
	tsk->timer_kind = TERN_TIMER_NONE;
	tsk->retries = 0;
	tsk->retrans_stamp = 0;
	tsk->rack_sent_us = 0;
	tsk->rack_end_seq = 0;
	tsk->rack_rtt_us = 0;
	tsk->sacked_out = 0;
	tsk->lost_out = 0;
	tsk->last_oow_ack = 0;
	tsk->ack_pending = 0;
	tsk->quickack = 0;
	tsk->hs_pending = 0;
	tsk->hs_confirm = 0;
	tsk->fin_queued = 0;
	WRITE_ONCE(tsk->fin_rcvd, 0);
	tsk->ecn_flags = 0;
	tsk->peer_mss = 0;
	tsk->rcv_wnd = 0;
	tsk->max_window = 0;
	tsk->rcvq_space_seq = 0;
	tsk->rcvq_space_time = 0;
	memset(&tsk->stats, 0, sizeof(tsk->stats));
	INIT_LIST_HEAD(&tsk->accept_queue);
	INIT_LIST_HEAD(&tsk->accept_node);
	tern_init_timers(sk);
	tsk->mss_cache = TERN_DEFAULT_MSS;	/* as TCP's, until a route */
}

void tern_init_common(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	inet_csk(sk)->icsk_sync_mss = tern_sync_mss;
	tern_sock_init_conn(sk);
	spin_lock_init(&tsk->accept_lock);
	INIT_LIST_HEAD(&tsk->req_list);
	atomic_set(&tsk->req_qlen, 0);
	tsk->deferred = 0;
	tern_tsq_init_sock(sk);
	tsk->nodelay = 0;
	tsk->syn_retries = 0;
	tsk->keepalive_time = 0;
	tsk->keepalive_intvl = 0;
	tsk->keepalive_probes = 0;
	tsk->user_timeout = 0;
	tsk->max_seg = 0;
	/* bursts go down as one skb where the route can take it (offload.c) */
	sk->sk_gso_type = SKB_GSO_SCTP;
	sk->sk_write_space = tern_write_space;
	WRITE_ONCE(sk->sk_sndbuf, sysctl_tern_wmem[1]);
	WRITE_ONCE(sk->sk_rcvbuf, sysctl_tern_rmem[1]);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	tern_cong_assign(sk);
}

static void tern_destroy_sock(struct sock *sk)
{
	tern_cong_release(sk);
	tern_clear_timers(sk);
	tern_write_queue_purge(sk);
	tern_ooo_purge(sk);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
}

static void tern_unhash(struct sock *sk)
{
	tern_unhash_conn(sk);
	tern_put_port(sk);
}

/* ---- connect ---- */

int tern_connect_start(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	WRITE_ONCE(tsk->snd_una, tsk->write_seq);
	WRITE_ONCE(tsk->snd_nxt, tsk->write_seq);
	tsk->snd_wnd = 0;
	tsk->peer_mss = 0;
	tern_sync_mss_now(sk);
	tern_cc_init(sk);
	inet_csk(sk)->icsk_rto = HZ;
	tsk->retries = 0;
	tsk->retrans_stamp = 0;
	return tern_send_syn(sk);
}

/* connect(AF_UNSPEC), a failed connect: back to a fresh socket. */
static int tern_disconnect(struct sock *sk, int flags)
{
	struct inet_sock *inet = inet_sk(sk);
	struct tern_sock *tsk = tern_sk(sk);
	int old_state = sk->sk_state;

	/* the reset goes out while the four-tuple is still the socket's */
	if ((1 << old_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |
				TCPF_CLOSING | TCPF_LAST_ACK | TCPF_SYN_RECV)) {
		tern_send_active_reset(sk, sk->sk_allocation);
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	} else if (old_state == TCP_SYN_SENT) {
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	}
	if (old_state != TCP_CLOSE)
		tern_set_state(sk, TCP_CLOSE);
	if (old_state == TCP_LISTEN)
		tern_listen_stop(sk);
	tern_clear_timers(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	tern_write_queue_purge(sk);
	tern_ooo_purge(sk);
	inet->inet_dport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		inet_reset_saddr(sk);
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	tern_sock_init_conn(sk);
	WRITE_ONCE(tsk->snd_una, 0);
	WRITE_ONCE(tsk->snd_nxt, 0);
	WRITE_ONCE(tsk->write_seq, 0);
	WRITE_ONCE(tsk->rcv_nxt, 0);
	WRITE_ONCE(tsk->copied_seq, 0);
	WRITE_ONCE(tsk->rcv_eor, 0);
	tsk->rcv_compact = 0;
	sk_dst_reset(sk);
	sk_error_report(sk);
	return 0;
}

/* ---- listen and accept ---- */

int tern_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sock->state != SS_UNCONNECTED)
		goto out;
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN)
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	if (sk->sk_state == TCP_LISTEN) {
		err = 0;
		goto out;
	}
	if (!inet_sk(sk)->inet_num) {
		err = tern_get_port(sk, 0);
		if (err)
			goto out;
		inet_sk(sk)->inet_sport = htons(inet_sk(sk)->inet_num);
	}
	tern_set_state(sk, TCP_LISTEN);
	tern_hash_listen(sk);
	err = 0;
out:
	release_sock(sk);
	return err;
}

/*
 * A child no one will accept (its listener closed): reset and freed.
 * Called with the child locked, BHs off.
 */
void tern_child_forget(struct sock *csk)
{
	tern_orphan(csk);
	if (csk->sk_state != TCP_CLOSE) {
		tern_send_active_reset(csk, GFP_ATOMIC);
		tern_done(csk);
	} else {
		tern_put_port(csk);
		inet_csk_destroy_sock(csk);
	}
}

/*
 * Close a listener (its state is no longer TCP_LISTEN): handshakes in
 * progress are dropped, connections nobody accepted are reset, as
 * inet_csk_listen_stop(). Segments to the listener run without its lock
 * and add to the queues only while it listens, under accept_lock.
 */
void tern_listen_stop(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_sock *child, *tmp;
	LIST_HEAD(children);

	tern_listen_purge_reqs(sk);
	spin_lock_bh(&tsk->accept_lock);
	list_splice_init(&tsk->accept_queue, &children);
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	spin_unlock_bh(&tsk->accept_lock);
	list_for_each_entry_safe(child, tmp, &children, accept_node) {
		struct sock *csk = (struct sock *)child;

		list_del_init(&child->accept_node);
		sock_hold(csk);
		local_bh_disable();
		bh_lock_sock(csk);
		tern_child_forget(csk);
		bh_unlock_sock(csk);
		local_bh_enable();
		sock_put(csk);
	}
}

static int tern_wait_for_connection(struct sock *sk, long timeo)
{
	struct tern_sock *tsk = tern_sk(sk);
	DEFINE_WAIT(wait);
	int err;

	for (;;) {
		prepare_to_wait_exclusive(sk_sleep(sk), &wait,
					  TASK_INTERRUPTIBLE);
		release_sock(sk);
		if (list_empty_careful(&tsk->accept_queue))
			timeo = schedule_timeout(timeo);
		/*
		 * A child queued between prepare_to_wait and the check: we
		 * did not sleep and are still TASK_INTERRUPTIBLE. lock_sock()
		 * may sleep; the loop checks again, so that is fine (as
		 * inet_csk_wait_for_connect() says to the debug checks).
		 */
		sched_annotate_sleep();
		lock_sock(sk);
		err = 0;
		if (!list_empty(&tsk->accept_queue))
			break;
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			break;
		err = sock_intr_errno(timeo);
		if (signal_pending(current))
			break;
		err = -EAGAIN;
		if (!timeo)
			break;
	}
	finish_wait(sk_sleep(sk), &wait);
	return err;
}

struct sock *tern_accept_sk(struct sock *sk, int flags, int *err)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_sock *child;
	long timeo;

	lock_sock(sk);
	*err = -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		goto out_err;
	if (list_empty(&tsk->accept_queue)) {
		timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
		*err = -EAGAIN;
		if (!timeo)
			goto out_err;
		*err = tern_wait_for_connection(sk, timeo);
		if (*err)
			goto out_err;
	}
	/* children join in softirq without the socket lock: accept_lock */
	spin_lock_bh(&tsk->accept_lock);
	child = list_first_entry(&tsk->accept_queue, struct tern_sock,
				 accept_node);
	list_del_init(&child->accept_node);
	sk_acceptq_removed(sk);
	spin_unlock_bh(&tsk->accept_lock);
	release_sock(sk);
	*err = 0;
	return (struct sock *)child;

out_err:
	release_sock(sk);
	return NULL;
}

/* ---- close and shutdown ---- */

/* Move to the state after close or shutdown; true if a FIN must go. */
static bool tern_close_state(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		tern_set_state(sk, TCP_FIN_WAIT1);
		return true;
	case TCP_CLOSE_WAIT:
		tern_set_state(sk, TCP_LAST_ACK);
		return true;
	case TCP_SYN_SENT:
		tern_set_state(sk, TCP_CLOSE);
		return false;
	default:
		return false;
	}
}

static void tern_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
	    tern_close_state(sk))
		tern_send_fin(sk, sk->sk_allocation);
}

static void tern_close(struct sock *sk, long timeout)
{
	struct tern_sock *tsk = tern_sk(sk);
	bool unread;
	int state;

	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sk->sk_state == TCP_LISTEN) {
		tern_set_state(sk, TCP_CLOSE);
		tern_listen_stop(sk);
		goto adjudge;
	}
	unread = tsk->rcv_nxt - tsk->copied_seq > tsk->fin_rcvd;
	__skb_queue_purge(&sk->sk_receive_queue);
	tern_ooo_purge(sk);
	if (sk->sk_state == TCP_CLOSE)
		goto adjudge;
	if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		/* RFC 2525 2.17: unread data or SO_LINGER 0 abort */
		if (sk->sk_state != TCP_SYN_SENT)
			tern_send_active_reset(sk, sk->sk_allocation);
		tern_set_state(sk, TCP_CLOSE);
		tern_clear_timers(sk);
	} else if (tern_close_state(sk)) {
		tern_send_fin(sk, sk->sk_allocation);
	}
	sk_stream_wait_close(sk, timeout);

adjudge:
	state = sk->sk_state;
	sock_hold(sk);
	tern_orphan(sk);
	release_sock(sk);

	local_bh_disable();
	bh_lock_sock(sk);
	/* the backlog or a timer finished it (TIME_WAIT too) and freed it */
	if (state != TCP_CLOSE && sk->sk_state == TCP_CLOSE)
		goto out;
	if (sk->sk_state == TCP_FIN_WAIT2) {
		unsigned int ms = tern_pernet(sock_net(sk))->fin_timeout_ms;

		sk_reset_timer(sk, &inet_csk(sk)->icsk_keepalive_timer,
			       jiffies + msecs_to_jiffies(ms));
	}
	if (sk->sk_state != TCP_CLOSE && tern_too_many_orphans(sk)) {
		tern_send_active_reset(sk, GFP_ATOMIC);
		tern_done(sk);
		goto out;
	}
	if (sk->sk_state == TCP_CLOSE) {
		tern_clear_timers(sk);
		tern_unhash(sk);
		inet_csk_destroy_sock(sk);
	}
out:
	bh_unlock_sock(sk);
	local_bh_enable();
	sock_put(sk);
}

/* ---- send ---- */

/*
 * Headroom for a data segment of size bytes: room for every header
 * (MAX_TERN_HEADER), unless less would keep the buffer in a smaller
 * kmalloc size. An Ethernet MSS is the case: 1448 bytes behind the full
 * headroom need 4 KiB, behind 280 bytes they fit 2 KiB, and the segment
 * costs the send and receive buffers 1.6 times its payload, not 3.
 * Never less than TERN_MIN_HEADROOM (link, IPv6 and our header with
 * every option); a device wanting more makes IP copy the header.
 */
static u32 tern_data_headroom(u32 size)
{
	size_t need = SKB_DATA_ALIGN(TERN_MIN_HEADROOM + size) +
		      SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	size_t fits = SKB_WITH_OVERHEAD(kmalloc_size_roundup(need));

	return min_t(size_t, MAX_TERN_HEADER, fits - size);
}

static struct sk_buff *tern_alloc_data_skb(struct sock *sk, u32 size)
{
	u32 room = tern_data_headroom(size);
	struct sk_buff *skb;

	skb = alloc_skb_fclone(room + size, sk->sk_allocation);
	if (!skb)
		return NULL;
	if (!sk_wmem_schedule(sk, skb->truesize)) {
		__kfree_skb(skb);
		return NULL;
	}
	skb_reserve(skb, room);
	return skb;
}

/* Append an skb already charged to the socket (sk_mem_charge). */
static void tern_queue_charged_skb(struct sock *sk, struct sk_buff *skb)
{
	struct tern_sock *tsk = tern_sk(sk);

	TERN_SKB_CB(skb)->seq = tsk->write_seq;
	TERN_SKB_CB(skb)->end_seq = tsk->write_seq + skb->len;
	TERN_SKB_CB(skb)->flags = 0;
	TERN_SKB_CB(skb)->sacked = 0;
	TERN_SKB_CB(skb)->first_tx = 0;
	WRITE_ONCE(tsk->write_seq, tsk->write_seq + skb->len);
	sk_wmem_queued_add(sk, skb->truesize);
	__skb_queue_tail(&sk->sk_write_queue, skb);
	tern_chrono_start(sk, TERN_CHRONO_BUSY);
}

static void tern_queue_skb(struct sock *sk, struct sk_buff *skb)
{
	sk_mem_charge(sk, skb->truesize);
	tern_queue_charged_skb(sk, skb);
}

/* The truesize of tern_alloc_data_skb(size), as __alloc_skb makes it. */
static size_t tern_skb_cost(u32 size)
{
	size_t head = SKB_DATA_ALIGN(tern_data_headroom(size) + size) +
		      SKB_DATA_ALIGN(sizeof(struct skb_shared_info));

	return SKB_TRUESIZE(SKB_WITH_OVERHEAD(kmalloc_size_roundup(head)));
}

/* What a message of len bytes costs in send buffer. */
static int tern_msg_cost(const struct sock *sk, size_t len)
{
	u32 mss = tern_sk(sk)->mss_cache;
	size_t full = len / mss, rest = len % mss;
	size_t cost = full * tern_skb_cost(mss);

	if (rest || !len)
		cost += tern_skb_cost(rest);
	return min_t(size_t, INT_MAX, cost);
}

static int tern_wait_sndbuf(struct sock *sk, int need, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue(sk_sleep(sk), &wait);
	while (READ_ONCE(sk->sk_sndbuf) - READ_ONCE(sk->sk_wmem_queued) < need) {
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = -EPIPE;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		tern_chrono_sndbuf_check(sk);
		sk->sk_write_pending++;
		sk_wait_event(sk, timeo, sk->sk_err ||
			      (sk->sk_shutdown & SEND_SHUTDOWN) ||
			      READ_ONCE(sk->sk_sndbuf) -
			      READ_ONCE(sk->sk_wmem_queued) >= need, &wait);
		sk->sk_write_pending--;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/* SOCK_SEQPACKET: the whole message goes in at once, or not at all. */
static int tern_send_message(struct sock *sk, struct msghdr *msg, size_t size,
			     long *timeo)
{
	struct tern_sock *tsk = tern_sk(sk);
	int need = tern_msg_cost(sk, size);
	struct sk_buff_head segs;
	size_t left = size;
	struct sk_buff *skb;
	int max, err;

	max = (sk->sk_userlocks & SOCK_SNDBUF_LOCK) ?
	      READ_ONCE(sk->sk_sndbuf) : sk->sk_prot->sysctl_wmem[2];
	if (need > max)
		return -EMSGSIZE;
	if (need > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, need);
	err = tern_wait_sndbuf(sk, need, timeo);
	if (err)
		return err;
	/* build the message aside: a failure leaves nothing of it queued */
	__skb_queue_head_init(&segs);
	do {
		u32 copy = min_t(size_t, left, tsk->mss_cache);

		skb = tern_alloc_data_skb(sk, copy);
		if (!skb) {
			err = -ENOBUFS;
			goto fail;
		}
		sk_mem_charge(sk, skb->truesize);
		__skb_queue_tail(&segs, skb);
		if (copy && !copy_from_iter_full(skb_put(skb, copy), copy,
						 &msg->msg_iter)) {
			err = -EFAULT;
			goto fail;
		}
		left -= copy;
	} while (left);
	while ((skb = __skb_dequeue(&segs)))
		tern_queue_charged_skb(sk, skb);
	TERN_SKB_CB(skb_peek_tail(&sk->sk_write_queue))->flags |= TERN_FLAG_EOR;
	return size;

fail:
	while ((skb = __skb_dequeue(&segs))) {
		sk_mem_uncharge(sk, skb->truesize);
		__kfree_skb(skb);
	}
	return err;
}

/*
 * A long write sends as it goes once a burst's worth is queued unsent
 * (half the largest window, as TCP's forced_push(), or one GSO skb);
 * the rest goes at its end, in bursts (tern_push()).
 */
static bool tern_forced_push(const struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	return tsk->write_seq - tsk->snd_nxt >=
	       min_t(u32, max(tsk->max_window / 2, tsk->mss_cache),
		     TERN_GSO_MAX_SIZE / 2);
}

/* SOCK_STREAM: fill the tail segment, then new ones, waiting for room. */
static int tern_send_stream(struct sock *sk, struct msghdr *msg, size_t size,
			    long *timeo)
{
	struct tern_sock *tsk = tern_sk(sk);
	int copied = 0, err;

	while (msg_data_left(msg)) {
		struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
		u32 mss = tsk->mss_cache;
		u32 copy;

		if (!skb ||
		    (TERN_SKB_CB(skb)->flags & TERN_FLAG_FIN) ||
		    skb->len >= mss || !skb_tailroom(skb)) {
			if (!sk_stream_memory_free(sk))
				goto wait_for_space;
			skb = tern_alloc_data_skb(sk, mss);
			if (!skb)
				goto wait_for_space;
			tern_queue_skb(sk, skb);
		}
		copy = min_t(size_t, msg_data_left(msg),
			     min_t(u32, mss - skb->len, skb_tailroom(skb)));
		if (!copy_from_iter_full(skb_put(skb, copy), copy,
					 &msg->msg_iter)) {
			skb_trim(skb, skb->len - copy);
			err = -EFAULT;
			goto error;
		}
		TERN_SKB_CB(skb)->end_seq += copy;
		WRITE_ONCE(tsk->write_seq, tsk->write_seq + copy);
		copied += copy;
		if (skb->len >= mss && tern_forced_push(sk))
			tern_push(sk);
		continue;

wait_for_space:
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		tern_push(sk);
		err = sk_stream_wait_memory(sk, timeo);
		if (err)
			goto error;
	}
	return copied;

error:
	return copied ? : err;
}

static int tern_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	int flags = msg->msg_flags;
	long timeo;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto out_err;
	}
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto out_err;
	tern_sync_mss_now(sk);
	if (tern_seqpacket(sk) && !size)
		err = 0;	/* no empty messages: recv() 0 means EOF */
	else if (tern_seqpacket(sk))
		err = tern_send_message(sk, msg, size, &timeo);
	else
		err = tern_send_stream(sk, msg, size, &timeo);
	if (err > 0 || (err == 0 && !size)) {
		if (!(flags & MSG_MORE) || tern_seqpacket(sk))
			tern_push(sk);
		release_sock(sk);
		return err;
	}
out_err:
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/* ---- receive ---- */

/*
 * SOCK_SEQPACKET: the end of the message at seq, or 0 while its last
 * segment has not arrived. With the socket locked.
 */
static u64 tern_msg_end(const struct sock *sk, u64 seq)
{
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		const struct tern_skb_cb *cb = TERN_SKB_CB(skb);

		if (!tern_after(cb->seq + skb->len, seq))
			continue;
		if (cb->flags & TERN_FLAG_EOR)
			return cb->seq + skb->len;
	}
	return 0;
}

/*
 * SOCK_SEQPACKET: can a receive go ahead? Yes when the current message
 * is complete, or nothing more will come. A message never comes in
 * parts: one larger than the buffer may ever hold ends the connection
 * (tern_msg_over()).
 */
static bool tern_msg_ready(const struct sock *sk, u64 seq)
{
	const struct tern_sock *tsk = tern_sk(sk);

	if (!tern_after(READ_ONCE(tsk->rcv_nxt) - READ_ONCE(tsk->fin_rcvd),
			seq))
		return false;
	/* messages arrive in order: a later end means this one is whole */
	return tern_after(READ_ONCE(tsk->rcv_eor), seq) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/* After reading: announce the window if it grew by enough. */
static void tern_cleanup_rbuf(struct sock *sk, int copied)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 edge = tsk->rcv_wup + tsk->rcv_wnd;
	u32 cur = tern_after(edge, tsk->rcv_nxt) ? edge - tsk->rcv_nxt : 0;
	u32 space, step;
	u64 msg_edge;

	if (copied <= 0 || (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	if (tern_seqpacket(sk))
		tern_msg_room(sk);	/* what is left may be all a message */
	space = tern_rcv_space(sk);
	msg_edge = tern_msg_edge(sk);
	step = min_t(u32, tsk->mss_cache, READ_ONCE(sk->sk_rcvbuf) / 4);

	/*
	 * A closed window that opens, or one that at least doubles; or a
	 * SOCK_SEQPACKET message that is now all there is to read, owed a
	 * window to its edge (tern_msg_edge()): without it, its reader
	 * waits for the message and its sender for the window.
	 */
	if ((space > cur && space - cur >= step && (!cur || space >= 2 * cur)) ||
	    (msg_edge && tern_after(msg_edge, edge)))
		tern_send_ack(sk);
}

/*
 * Receive buffer autotuning: per round trip, room for twice what the
 * application read, unless SO_RCVBUF fixed the size.
 */
static void tern_rcv_space_adjust(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	u64 now = tern_clock_us();
	u32 rtt = tsk->srtt_us ? tsk->srtt_us >> 3 : 100000;
	u64 copied;
	int want;

	if (!tsk->rcvq_space_time) {
		tsk->rcvq_space_time = now;
		tsk->rcvq_space_seq = tsk->copied_seq;
		return;
	}
	if (now - tsk->rcvq_space_time < rtt)
		return;
	copied = tsk->copied_seq - tsk->rcvq_space_seq;
	tsk->rcvq_space_time = now;
	tsk->rcvq_space_seq = tsk->copied_seq;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		return;
	want = min_t(u64, copied * 4, sk->sk_prot->sysctl_rmem[2]);
	if (want > READ_ONCE(sk->sk_rcvbuf))
		WRITE_ONCE(sk->sk_rcvbuf, want);
}

static int tern_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			int flags, int *addr_len)
{
	struct tern_sock *tsk = tern_sk(sk);
	bool seqpacket = tern_seqpacket(sk);
	bool peek = flags & MSG_PEEK;
	u64 peek_seq, start, *seq;
	int copied = 0, truncated = 0, target, err;
	struct sk_buff *skb;
	long timeo;

	if (flags & MSG_OOB)
		return -EINVAL;
	if (flags & MSG_ERRQUEUE)
		return inet_recv_error(sk, msg, len, addr_len);

	lock_sock(sk);
	err = -ENOTCONN;
	if (sk->sk_state == TCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	peek_seq = tsk->copied_seq;
	start = tsk->copied_seq;
	seq = peek ? &peek_seq : &tsk->copied_seq;
	target = seqpacket ? 1 : sock_rcvlowat(sk, flags & MSG_WAITALL, len);

	for (;;) {
		bool ready = seqpacket ? tern_msg_ready(sk, *seq) :
			     tern_after(READ_ONCE(tsk->rcv_nxt) - tsk->fin_rcvd,
					*seq);

		if (ready && (!seqpacket || copied == 0))
			goto copy;
		if (copied >= target && !sk->sk_backlog.tail)
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE) && !tern_inq(sk))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN) {
				if (!tern_inq(sk))
					break;
				goto copy;
			}
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		tern_cleanup_rbuf(sk, copied);
		/*
		 * Sleep until something is appended (or a wakeup). A
		 * disconnect meanwhile (connect(AF_UNSPEC), maybe a new
		 * connection since) ends the read: what follows is not the
		 * data this read began on.
		 */
		err = sk_wait_data(sk, &timeo,
				   skb_peek_tail(&sk->sk_receive_queue));
		if (err < 0) {
			copied = copied ? : err;
			goto done;
		}
		continue;

copy:
		skb_queue_walk(&sk->sk_receive_queue, skb) {
			struct tern_skb_cb *cb = TERN_SKB_CB(skb);
			u32 offset, used;

			if (!tern_after(cb->seq + skb->len, *seq))
				continue;
			offset = *seq - cb->seq;
			used = min_t(size_t, skb->len - offset, len - copied);
			if (skb_copy_datagram_msg(skb, offset, msg, used)) {
				if (!copied)
					copied = -EFAULT;
				goto done;
			}
			WRITE_ONCE(*seq, *seq + used);
			copied += used;
			if (offset + used < skb->len)
				break;
			if (seqpacket && (cb->flags & TERN_FLAG_EOR)) {
				msg->msg_flags |= MSG_EOR;
				goto done;
			}
			if (copied >= len)
				break;
		}
		if (seqpacket) {
			u64 end = tern_msg_end(sk, *seq);

			/*
			 * The message is longer than the buffer: MSG_TRUNC,
			 * and the rest of it is dropped (as AF_UNIX
			 * SOCK_SEQPACKET); with MSG_TRUNC in flags the
			 * message's real length is returned.
			 */
			if (end) {
				msg->msg_flags |= MSG_TRUNC | MSG_EOR;
				if (flags & MSG_TRUNC)
					truncated = end - *seq;
				WRITE_ONCE(*seq, end);
			}
		}
		if (seqpacket || copied >= len)
			goto done;
	}
done:
	if (!peek && tsk->copied_seq != start) {
		while ((skb = skb_peek(&sk->sk_receive_queue)) &&
		       !tern_after(TERN_SKB_CB(skb)->seq + skb->len,
				   tsk->copied_seq))
			sk_eat_skb(sk, skb);
		tern_rcv_space_adjust(sk);
		tern_cleanup_rbuf(sk, tsk->copied_seq - start);
	}
	err = copied > 0 ? copied + truncated : copied;
out:
	release_sock(sk);
	return err;
}

/* ---- poll, ioctl, options ---- */

__poll_t tern_poll(struct file *file, struct socket *sock, poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		return list_empty_careful(&tern_sk(sk)->accept_queue) ?
		       0 : EPOLLIN | EPOLLRDNORM;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	/* nothing to read or write before the handshake ends (as tcp_poll) */
	if (!((1 << state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))) {
		if (tern_seqpacket(sk) ?
		    tern_msg_ready(sk, READ_ONCE(tern_sk(sk)->copied_seq)) :
		    tern_inq(sk) >= (u32)sock_rcvlowat(sk, 0, INT_MAX))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (sk_stream_is_writeable(sk)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* pairs with the write space wakeup: recheck */
				smp_mb__after_atomic();
				if (sk_stream_is_writeable(sk))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

struct proto tern_prot = {
	.name			= "TERN",
	.owner			= THIS_MODULE,
	.close			= tern_close,
	.connect		= tern_v4_connect,
	.disconnect		= tern_disconnect,
	.accept			= tern_accept,
	.ioctl			= tern_ioctl,
	.init			= tern_v4_init_sock,
	.destroy		= tern_destroy_sock,
	.shutdown		= tern_shutdown,
	.setsockopt		= tern_setsockopt,
	.getsockopt		= tern_getsockopt,
	.keepalive		= tern_set_keepalive,
	.sendmsg		= tern_sendmsg,
	.recvmsg		= tern_recvmsg,
	.backlog_rcv		= tern_do_rcv,
	.release_cb		= tern_release_cb,
	.unhash			= tern_unhash,
	.get_port		= tern_get_port,
	.put_port		= tern_put_port,
	.diag_destroy		= tern_abort,
	.enter_memory_pressure	= tern_enter_memory_pressure,
	.memory_pressure	= &tern_memory_pressure,
	.memory_allocated	= &tern_memory_allocated,
	.per_cpu_fw_alloc	= &tern_memory_per_cpu_fw_alloc,
	.orphan_count		= &tern_orphan_count,
	.sysctl_mem		= sysctl_tern_mem,
	.sysctl_wmem		= sysctl_tern_wmem,
	.sysctl_rmem		= sysctl_tern_rmem,
	.max_header		= MAX_TERN_HEADER,
	.obj_size		= sizeof(struct tern_sock),
	.rsk_prot		= &tern_request_sock_ops,
	.slab_flags		= SLAB_TYPESAFE_BY_RCU,	/* lockless lookups */
	.no_autobind		= true,
};

const struct proto_ops tern_inet_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet_getname,
	.poll		= tern_poll,
	.ioctl		= inet_ioctl,
	.listen		= tern_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
	.set_rcvlowat	= tern_set_rcvlowat,
};
