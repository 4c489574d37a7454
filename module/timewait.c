// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: TIME_WAIT, the concern of net/ipv4/inet_timewait_sock.c and of
 * tcp_timewait_state_process().
 *
 * A connection that enters TIME_WAIT leaves behind a struct tern_tw_sock
 * (tern.h): the four-tuple, namespace and device in its sock_common, the
 * sequence numbers it answers with, and a timer; a few hundred bytes
 * where the socket was some kilobytes. tern_hash_tw() puts it in the
 * established table in the socket's place and on its port's owners, as
 * inet_twsk_hashdance_schedule() does; the socket is then done with.
 *
 * Its life is its timer: whoever deletes the pending timer (or the timer
 * itself, when it runs) takes it out of the tables and drops the
 * reference they held (tern_tw_kill), as inet_twsk_deschedule_put(). It
 * holds no module reference and no namespace reference: tern_net_purge()
 * ends those of a namespace that goes, so a module with no socket left
 * unloads at once. The cache is SLAB_TYPESAFE_BY_RCU as the sockets' is,
 * for the lookups in hash.c.
 */

#include <linux/slab.h>
#include <linux/timer.h>
#include <net/sock.h>

#include "tern.h"

static struct kmem_cache *tern_tw_cachep __read_mostly;

int tern_tw_init(void)
{
	tern_tw_cachep = kmem_cache_create("tern_tw_sock",
					   sizeof(struct tern_tw_sock), 0,
					   SLAB_TYPESAFE_BY_RCU, NULL);
	return tern_tw_cachep ? 0 : -ENOMEM;
}

/* Every namespace's exit ended its TIME_WAITs (tern_net_purge). */
void tern_tw_exit(void)
{
	rcu_barrier();	/* lockless readers and RCU-freed slabs are done */
	kmem_cache_destroy(tern_tw_cachep);
}

void tern_tw_put(struct tern_tw_sock *tw)
{
	if (refcount_dec_and_test(&tw->tt_common.skc_refcnt))
		kmem_cache_free(tern_tw_cachep, tw);
}

/* The wait is over: out of the tables and the count, then let go. */
static void tern_tw_kill(struct tern_tw_sock *tw)
{
	struct net *net = read_pnet(&tw->tt_common.skc_net);

	tern_unhash_tw(tw);
	atomic_dec(&tern_pernet(net)->tw_count);
	tern_tw_put(tw);	/* the tables' and the timer's reference */
}

static void tern_tw_timer(struct timer_list *t)
{
	struct tern_tw_sock *tw = from_timer(tw, t, tt_timer);

	tern_tw_kill(tw);
}

/*
 * End a TIME_WAIT before its time (a new incarnation's SYN, the
 * namespace going). The caller holds a reference; when the timer is
 * running, it ends it itself.
 */
void tern_tw_end(struct sock *sk)
{
	struct tern_tw_sock *tw = tern_tw(sk);

	if (timer_delete_sync(&tw->tt_timer))
		tern_tw_kill(tw);
}

/*
 * A TIME_WAIT for sk: what its ACKs need and its key. The reference
 * count stays 0 (a lookup that meets the reused object skips it) until
 * tern_hash_tw() publishes it.
 */
static struct tern_tw_sock *tern_tw_alloc(struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_tw_sock *tw;
	struct sock_common *tc;

	tw = kmem_cache_alloc(tern_tw_cachep, GFP_ATOMIC);
	if (!tw)
		return NULL;
	tc = &tw->tt_common;
	tc->skc_daddr = sk->sk_daddr;
	tc->skc_rcv_saddr = sk->sk_rcv_saddr;
	tc->skc_hash = sk->sk_hash;
	tc->skc_dport = inet->inet_dport;
	tc->skc_num = inet->inet_num;
	tc->skc_family = sk->sk_family;
	tc->skc_state = TCP_TIME_WAIT;
	tc->skc_reuse = sk->sk_reuse;
	tc->skc_reuseport = sk->sk_reuseport;
	tc->skc_ipv6only = sk->sk_ipv6only;
	tc->skc_net_refcnt = 0;
	tc->skc_bound_dev_if = READ_ONCE(sk->sk_bound_dev_if);
	tc->skc_prot = sk->sk_prot;
	tc->skc_flags = 0;
	write_pnet(&tc->skc_net, sock_net(sk));
#if IS_ENABLED(CONFIG_IPV6)
	tc->skc_v6_daddr = sk->sk_v6_daddr;
	tc->skc_v6_rcv_saddr = sk->sk_v6_rcv_saddr;
#endif
	atomic64_set(&tc->skc_cookie, atomic64_read(&sk->sk_cookie));
	sk_node_init(&tc->skc_bind_node);
	tw->tt_port_shared = tsk->port_shared;
	tw->tt_rcv_wnd = tern_select_window(sk);
	tw->tt_mark = READ_ONCE(sk->sk_mark);
	tw->tt_snd_nxt = tsk->snd_nxt;
	tw->tt_rcv_nxt = tsk->rcv_nxt;
	timer_setup(&tw->tt_timer, tern_tw_timer, 0);
	return tw;
}

static unsigned long tern_tw_timeo(const struct net *net)
{
	return msecs_to_jiffies(READ_ONCE(tern_pernet(net)->tw_timeout_ms));
}

/*
 * The connection enters TIME_WAIT: a small structure takes its place in
 * the tables and the socket is done (tcp_time_wait). Past
 * net.tern.max_tw_buckets, or with no memory, it closes without
 * TIME_WAIT, as TCP's does (TCPTimeWaitOverflow). An orphan is freed
 * here: the caller's reference keeps the memory until it lets go.
 */
void tern_time_wait(struct sock *sk)
{
	struct tern_net *tn = tern_pernet(sock_net(sk));
	struct tern_tw_sock *tw = NULL;

	if (atomic_read(&tn->tw_count) < READ_ONCE(tn->max_tw_buckets))
		tw = tern_tw_alloc(sk);
	else
		TERN_INC_STATS(sock_net(sk), TERN_MIB_TIMEWAITOVERFLOW);
	if (tw) {
		atomic_inc(&tn->tw_count);
		if (!tern_hash_tw(tw, sk, tern_tw_timeo(sock_net(sk)))) {
			/* never published: nobody else can hold it */
			atomic_dec(&tn->tw_count);
			kmem_cache_free(tern_tw_cachep, tw);
		}
	}
	tern_done(sk);
}

/*
 * A SYN for a four-tuple in TIME_WAIT whose sequence number is beyond
 * the old connection's is a new incarnation (RFC 9293 3.10.7.4, TCP's
 * TCP_TW_SYN): end the TIME_WAIT, so that the listener takes the SYN and
 * a client reconnecting from the same port is not held up for the whole
 * TIME_WAIT. Returns true when it ended.
 */
bool tern_tw_recycle(struct sock *sk, const struct sk_buff *skb)
{
	const struct ternhdr *th = tern_hdr(skb);

	if ((th->flags & (TERN_FLAG_SYN | TERN_FLAG_ACK | TERN_FLAG_RST)) !=
	    TERN_FLAG_SYN ||
	    !tern_after(be64_to_cpu(th->seq), tern_tw(sk)->tt_rcv_nxt))
		return false;
	tern_tw_end(sk);
	return true;
}

/*
 * TIME_WAIT input, with no lock: what it reads never changes, and the
 * timer is only pushed back while still pending (mod_timer_pending), so
 * it never comes back once ended. All of the peer's data and its FIN
 * arrived, but a segment that takes sequence space (data or FIN) means
 * the peer never heard our cumulative ACK: ACK again, as TCP does. A
 * retransmitted FIN also restarts the wait. Resets are ignored
 * (RFC 1337); bare ACKs are dropped unanswered, so two ends in TIME_WAIT
 * cannot ACK each other forever. Takes the skb.
 */
int tern_tw_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct tern_skb_cb *cb = TERN_SKB_CB(skb);
	struct tern_tw_sock *tw = tern_tw(sk);

	if (!(cb->flags & (TERN_FLAG_RST | TERN_FLAG_SYN)) &&
	    cb->end_seq != cb->seq) {
		tern_send_tw_ack(skb, tw);
		if ((cb->flags & TERN_FLAG_FIN) && cb->end_seq == tw->tt_rcv_nxt)
			mod_timer_pending(&tw->tt_timer,
					  jiffies + tern_tw_timeo(sock_net(sk)));
	}
	consume_skb(skb);
	return 0;
}
