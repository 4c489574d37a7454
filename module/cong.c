// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the congestion control framework, after net/ipv4/tcp_cong.c. The
 * algorithms (struct tern_cong_ops, cong.h) are on a list under a
 * spinlock, looked up by name under RCU; each socket holds a reference
 * on the module of the one it runs. Built into tern.ko: NewReno
 * (cong_reno.c) and CUBIC (cong_cubic.c, the default); another module
 * adds one with tern_register_congestion_control().
 *
 * The framework keeps the state machine, as tcp_input.c does for TCP:
 * slow start and congestion avoidance while open, one reduction per
 * window of loss (fast recovery, RFC 6582, the window held until the
 * data outstanding at the loss is acknowledged), one segment after a
 * retransmission timeout (RFC 5681 3.1). The algorithm says how far the
 * window grows and how far it falls.
 */

#include <linux/capability.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>

#include "tern.h"

static DEFINE_SPINLOCK(tern_cong_lock);
static LIST_HEAD(tern_cong_list);

/* Under rcu_read_lock() or tern_cong_lock (tcp_ca_find). */
static struct tern_cong_ops *tern_cong_find(const char *name)
{
	struct tern_cong_ops *ca;

	list_for_each_entry_rcu(ca, &tern_cong_list, list,
				lockdep_is_held(&tern_cong_lock)) {
		if (!strcmp(ca->name, name))
			return ca;
	}
	return NULL;
}

/* Add an algorithm: -EINVAL without the required hooks or a name. */
int tern_register_congestion_control(struct tern_cong_ops *ca)
{
	int err = 0;

	if (!ca->ssthresh || !ca->undo_cwnd ||
	    !(ca->cong_avoid || ca->cong_control) || !ca->name[0] ||
	    strnlen(ca->name, TERN_CA_NAME_MAX) == TERN_CA_NAME_MAX) {
		pr_err("tern: congestion control %.*s: hooks or name missing\n",
		       TERN_CA_NAME_MAX, ca->name);
		return -EINVAL;
	}
	spin_lock(&tern_cong_lock);
	if (tern_cong_find(ca->name)) {
		pr_notice("tern: congestion control %s already registered\n",
			  ca->name);
		err = -EEXIST;
	} else {
		list_add_tail_rcu(&ca->list, &tern_cong_list);
	}
	spin_unlock(&tern_cong_lock);
	return err;
}
EXPORT_SYMBOL_GPL(tern_register_congestion_control);

/*
 * Remove it. No socket and no namespace default uses it: each holds a
 * reference on its module. Lookups in progress may still see it.
 */
void tern_unregister_congestion_control(struct tern_cong_ops *ca)
{
	spin_lock(&tern_cong_lock);
	list_del_rcu(&ca->list);
	spin_unlock(&tern_cong_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(tern_unregister_congestion_control);

/* The built-in ones, at module init (in this order) and exit (reverse). */
static struct tern_cong_ops *const tern_cong_builtin[] = {
	&tern_reno,
	&tern_cubic,
};

int tern_cong_init(void)
{
	int i, err;

	for (i = 0; i < ARRAY_SIZE(tern_cong_builtin); i++) {
		err = tern_register_congestion_control(tern_cong_builtin[i]);
		if (err)
			goto err_register;
	}
	return 0;

err_register:
	while (i--)
		tern_unregister_congestion_control(tern_cong_builtin[i]);
	return err;
}

void tern_cong_exit(void)
{
	int i = ARRAY_SIZE(tern_cong_builtin);

	while (i--)
		tern_unregister_congestion_control(tern_cong_builtin[i]);
}

/* ---- per namespace: net.tern.congestion_control ---- */

void tern_cong_net_init(struct tern_net *tn)
{
	/* built in: no module reference to hold */
	RCU_INIT_POINTER(tn->cong_default, &tern_cubic);
}

/* The namespace is gone: its default's module may go. */
void tern_cong_net_exit(struct tern_net *tn)
{
	const struct tern_cong_ops *ca;

	ca = rcu_dereference_protected(tn->cong_default, 1);
	module_put(ca->owner);
}

void tern_cong_get_default(struct tern_net *tn, char *name)
{
	const struct tern_cong_ops *ca;

	rcu_read_lock();
	ca = rcu_dereference(tn->cong_default);
	strscpy(name, ca->name, TERN_CA_NAME_MAX);
	rcu_read_unlock();
}

/*
 * The namespace's default (tcp_set_default_congestion_control): ENOENT
 * for an unknown name, EBUSY for a module on its way out, EPERM for a
 * restricted one outside the initial namespace. The chosen one becomes
 * unrestricted, as TCP's default does.
 */
int tern_cong_set_default(struct tern_net *tn, const char *name)
{
	struct tern_cong_ops *ca;
	const struct tern_cong_ops *prev;
	int err = 0;

	spin_lock(&tern_cong_lock);
	ca = tern_cong_find(name);
	if (!ca) {
		err = -ENOENT;
	} else if (!try_module_get(ca->owner)) {
		err = -EBUSY;
	} else if (tn != tern_pernet(&init_net) &&
		   !(ca->flags & TERN_CONG_NON_RESTRICTED)) {
		module_put(ca->owner);
		err = -EPERM;
	} else {
		prev = unrcu_pointer(xchg(&tn->cong_default,
					  RCU_INITIALIZER(ca)));
		module_put(prev->owner);
		ca->flags |= TERN_CONG_NON_RESTRICTED;
	}
	spin_unlock(&tern_cong_lock);
	return err;
}

/* net.tern.available_congestion_control: names, space-separated. */
void tern_cong_available(char *buf, size_t maxlen)
{
	struct tern_cong_ops *ca;
	size_t offs = 0;

	*buf = '\0';
	rcu_read_lock();
	list_for_each_entry_rcu(ca, &tern_cong_list, list) {
		offs += snprintf(buf + offs, maxlen - offs, "%s%s",
				 offs == 0 ? "" : " ", ca->name);
		if (WARN_ON_ONCE(offs >= maxlen))
			break;
	}
	rcu_read_unlock();
}

/* ---- per socket: TERN_CONGESTION ---- */

static void tern_cong_clear(struct sock *sk)
{
	inet_csk(sk)->icsk_ca_initialized = 0;
	memset(tern_ca_priv(sk), 0, TERN_CA_PRIV_SIZE);
}

/* A new socket runs its namespace's default (tcp_assign_congestion_control). */
void tern_cong_assign(struct sock *sk)
{
	const struct tern_cong_ops *ca;

	rcu_read_lock();
	ca = rcu_dereference(tern_pernet(sock_net(sk))->cong_default);
	/* replaced, and its module going away meanwhile */
	if (unlikely(!try_module_get(ca->owner)))
		ca = &tern_reno;
	tern_sk(sk)->ca_ops = ca;
	rcu_read_unlock();
	tern_cong_clear(sk);
}

/* A listener's child runs the listener's algorithm, its copy of the pointer. */
void tern_cong_child(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (unlikely(!try_module_get(tsk->ca_ops->owner)))
		tsk->ca_ops = &tern_reno;
	tern_cong_clear(sk);
}

/* The socket is destroyed (tcp_cleanup_congestion_control). */
void tern_cong_release(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct tern_cong_ops *ca = tsk->ca_ops;

	if (!ca)
		return;
	if (inet_csk(sk)->icsk_ca_initialized && ca->release)
		ca->release(sk);
	inet_csk(sk)->icsk_ca_initialized = 0;
	tsk->ca_ops = NULL;
	module_put(ca->owner);
}

static void tern_cong_start(struct sock *sk)
{
	const struct tern_cong_ops *ca = tern_sk(sk)->ca_ops;

	if (inet_csk(sk)->icsk_ca_initialized && ca->release)
		ca->release(sk);
	tern_cong_clear(sk);
	if (ca->init)
		ca->init(sk);
	inet_csk(sk)->icsk_ca_initialized = 1;
}

/*
 * TERN_CONGESTION (tcp_set_congestion_control), under the socket lock.
 * A connection switches at once and keeps its window; the new
 * algorithm starts from it.
 */
int tern_cong_set(struct sock *sk, const char *name)
{
	struct tern_net *tn = tern_pernet(sock_net(sk));
	/* asked first, outside RCU, as do_tcp_setsockopt() does */
	bool admin = ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN);
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_cong_ops *ca;
	int err = 0;

	rcu_read_lock();
	ca = tern_cong_find(name);
	if (ca == tsk->ca_ops)
		goto out;
	if (!ca) {
		err = -ENOENT;
	} else if (!(ca->flags & TERN_CONG_NON_RESTRICTED) &&
		   ca != rcu_access_pointer(tn->cong_default) && !admin) {
		err = -EPERM;
	} else if (!try_module_get(ca->owner)) {
		err = -EBUSY;
	} else {
		tern_cong_release(sk);
		tsk->ca_ops = ca;
		tern_cong_clear(sk);
		if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
			tern_cong_start(sk);
	}
out:
	rcu_read_unlock();
	return err;
}

/* ---- the state machine ---- */

/*
 * A connection begins (connect, handshake done, child): the initial
 * window (RFC 6928), no threshold, the algorithm's state fresh.
 */
void tern_cc_init(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (WARN_ON_ONCE(!tsk->ca_ops))
		tsk->ca_ops = &tern_reno;
	tsk->cwnd = TERN_INIT_CWND_SEGS * tsk->mss_cache;
	tsk->ssthresh = TERN_MAX_CWND;
	tsk->ca_acked = 0;
	tsk->ca_state = TERN_CA_OPEN;
	tsk->ca_cwnd_limited = 0;
	tsk->prior_cwnd = 0;
	tsk->prior_ssthresh = 0;
	tsk->undo_retrans = -1;
	tsk->dsack_dups = 0;
	tsk->reo_wnd_steps = 1;
	tsk->reo_wnd_persist = 0;
	tsk->reo_wnd_seq = tsk->snd_nxt;
	tern_cong_start(sk);
	tern_update_pacing_rate(sk);	/* from the handshake's RTT */
}

static void tern_cc_set_state(struct sock *sk, u8 state)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tsk->ca_ops->set_state)
		tsk->ca_ops->set_state(sk, state);
	tsk->ca_state = state;
}

void tern_cc_event(struct sock *sk, enum tern_ca_event ev)
{
	const struct tern_cong_ops *ca = tern_sk(sk)->ca_ops;

	if (ca->cwnd_event)
		ca->cwnd_event(sk, ev);
}

/*
 * May len more bytes go? Nothing in flight: any segment may. A sender
 * the window stops is cwnd-limited until what it had sent then is
 * acknowledged; only then may the window grow (tcp_is_cwnd_limited(),
 * RFC 7661): a window the sender does not fill says nothing about
 * the path, and grew without bound behind the peer's window.
 */
bool tern_cc_can_send(struct sock *sk, u32 len)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 in_flight = tern_in_flight(tsk);

	if (!in_flight) {
		if (tsk->snd_una == tsk->snd_nxt)
			tern_cc_event(sk, TERN_CA_EVENT_TX_START);
		return true;
	}
	if (in_flight + len <= tsk->cwnd)
		return true;
	tsk->ca_cwnd_limited = 1;
	tsk->ca_usage_seq = tsk->snd_nxt;
	return false;
}

static bool tern_cc_cwnd_limited(struct tern_sock *tsk)
{
	if (tsk->ca_cwnd_limited && tern_after(tsk->snd_una, tsk->ca_usage_seq))
		tsk->ca_cwnd_limited = 0;
	return tsk->ca_cwnd_limited;
}

/* Grow the send buffer with the window, unless the user fixed it. */
static void tern_sndbuf_expand(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	int want;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	want = min_t(u64, (u64)tsk->cwnd * 4, sk->sk_prot->sysctl_wmem[2]);
	if (want > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, want);
}

/*
 * Slow start (RFC 5681 3.1) with appropriate byte counting, L = 2
 * (RFC 3465 2.2): each ACK adds what it acknowledged, at most two
 * segments, up to ssthresh. Returns the bytes left over for congestion
 * avoidance once ssthresh is reached (tcp_slow_start()).
 */
u32 tern_slow_start(struct sock *sk, u32 acked)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 inc = min(acked, 2 * tsk->mss_cache);
	u32 room = tsk->ssthresh - tsk->cwnd;

	if (inc < room) {
		tsk->cwnd += inc;
		return 0;
	}
	tsk->cwnd = tsk->ssthresh;
	return acked - room;
}
EXPORT_SYMBOL_GPL(tern_slow_start);

/*
 * One segment more for every w bytes acknowledged (tcp_cong_avoid_ai()
 * in bytes; RFC 5681 3.1 with RFC 3465's byte counting when w is cwnd).
 */
void tern_cong_avoid_ai(struct sock *sk, u32 w, u32 acked)
{
	struct tern_sock *tsk = tern_sk(sk);
	u32 delta;

	w = max(w, 1U);
	/* w shrank since the bytes were counted: one step, start over */
	if (tsk->ca_acked >= w) {
		tsk->ca_acked = 0;
		tsk->cwnd += tsk->mss_cache;
	}
	tsk->ca_acked += acked;
	if (tsk->ca_acked >= w) {
		delta = tsk->ca_acked / w;
		tsk->ca_acked -= delta * w;
		tsk->cwnd = min_t(u64, (u64)tsk->cwnd + (u64)delta *
				  tsk->mss_cache, TERN_MAX_CWND);
	}
}
EXPORT_SYMBOL_GPL(tern_cong_avoid_ai);

/*
 * Is the reduction's episode over? Recovery, once everything outstanding
 * at the loss is acknowledged (RFC 6582 3.2 step 3, the full
 * acknowledgment). An ECN reduction, once data sent after it is: the
 * ACK of the last segment sent before it still echoes the marks it
 * answered, and must not start another (tcp_fastretrans_alert()).
 */
static bool tern_cc_episode_over(const struct tern_sock *tsk)
{
	if (tsk->ca_state == TERN_CA_CWR)
		return tern_after(tsk->snd_una, tsk->recover);
	return !tern_before(tsk->snd_una, tsk->recover);
}

/*
 * An ACK acknowledged acked new bytes; rtt_us is its RTT sample, or -1.
 * Recovery ends with the full acknowledgment (cwnd = ssthresh), an ECN
 * reduction a little later (tern_cc_episode_over()); until then the
 * window holds (no inflation, no reduction of the reduction).
 */
void tern_cc_on_ack(struct sock *sk, u32 acked, long rtt_us)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct tern_cong_ops *ca = tsk->ca_ops;

	if (ca->pkts_acked)
		ca->pkts_acked(sk, acked, rtt_us);
	if (tsk->ca_state != TERN_CA_OPEN && tern_cc_episode_over(tsk)) {
		if (tsk->ca_state == TERN_CA_RECOVERY)
			tsk->cwnd = max(tsk->ssthresh, 2 * tsk->mss_cache);
		tern_cc_set_state(sk, TERN_CA_OPEN);
	}
	/*
	 * fast recovery and an ECN reduction hold the window; after a
	 * timeout, slow start
	 */
	if (tsk->ca_state == TERN_CA_RECOVERY || tsk->ca_state == TERN_CA_CWR)
		return;
	if (!ca->cong_control && tern_cc_cwnd_limited(tsk))
		ca->cong_avoid(sk, acked);
	tsk->cwnd = min(tsk->cwnd, TERN_MAX_CWND);
	tern_sndbuf_expand(sk);
}

/* The delivery-rate sample of this ACK is taken (rate.c): model-based ones. */
void tern_cc_cong_control(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);
	const struct tern_cong_ops *ca = tsk->ca_ops;

	if (!ca->cong_control || !tsk->stats.rs.acked)
		return;
	ca->cong_control(sk, &tsk->stats.rs);
	tsk->cwnd = clamp(tsk->cwnd, 2 * tsk->mss_cache, TERN_MAX_CWND);
	tern_sndbuf_expand(sk);
}

/* A reduction: what undo goes back to, and the resends it must see D-SACKed. */
static void tern_cc_save_prior(struct tern_sock *tsk)
{
	tsk->prior_cwnd = tsk->cwnd;
	tsk->prior_ssthresh = tsk->ssthresh;
	tsk->undo_marker = tsk->snd_una;
	tsk->undo_retrans = -1;
}

/*
 * Loss found by SACK/RACK: one reduction per window of data (RFC 6582
 * 3.2 step 2, RFC 5681 3.2), by what the algorithm says.
 */
void tern_cc_enter_recovery(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	/* the window an ECN echo reduced is not reduced again (tcp_enter_recovery()) */
	if (tsk->ca_state == TERN_CA_CWR) {
		tsk->recover = tsk->snd_nxt;
		tern_cc_set_state(sk, TERN_CA_RECOVERY);
		return;
	}
	if (tsk->ca_state != TERN_CA_OPEN)
		return;
	tern_cc_save_prior(tsk);
	tern_rack_recovery_begins(tsk);
	tsk->ssthresh = tsk->ca_ops->ssthresh(sk);
	tsk->cwnd = tsk->ssthresh;
	tsk->ca_acked = 0;
	tsk->recover = tsk->snd_nxt;
	tern_cc_set_state(sk, TERN_CA_RECOVERY);
}

/*
 * An ECN echo (RFC 3168 6.1.2): the reduction a loss would make, once
 * per window of data, with nothing to resend; not undone, the
 * congestion was real. False if a reduction is already under way.
 */
bool tern_cc_enter_cwr(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tsk->ca_state != TERN_CA_OPEN)
		return false;
	tsk->prior_ssthresh = 0;
	tsk->ssthresh = tsk->ca_ops->ssthresh(sk);
	tsk->cwnd = tsk->ssthresh;
	tsk->ca_acked = 0;
	tsk->recover = tsk->snd_nxt;
	tern_cc_set_state(sk, TERN_CA_CWR);
	return true;
}

/*
 * A retransmission timeout: ssthresh from the algorithm (not again for
 * a timeout in the same episode), one segment in the window, then slow
 * start (RFC 5681 3.1 (4)), as tcp_enter_loss().
 */
void tern_cc_on_rto(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (tsk->ca_state != TERN_CA_LOSS) {
		tern_cc_save_prior(tsk);
		tsk->ssthresh = tsk->ca_ops->ssthresh(sk);
	}
	tsk->cwnd = tsk->mss_cache;
	tsk->ca_acked = 0;
	tsk->recover = tsk->snd_nxt;
	tern_cc_event(sk, TERN_CA_EVENT_LOSS);
	tern_cc_set_state(sk, TERN_CA_LOSS);
}

/*
 * The last reduction was spurious (the retransmission was not needed):
 * back to the window before it, as tcp_undo_cwnd_reduction().
 */
void tern_cc_undo(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (!tsk->prior_ssthresh)
		return;
	tsk->cwnd = tsk->ca_ops->undo_cwnd(sk);
	tsk->ssthresh = max(tsk->ssthresh, tsk->prior_ssthresh);
	tsk->prior_ssthresh = 0;
	tsk->ca_acked = 0;
	tern_cc_set_state(sk, TERN_CA_OPEN);
}

/*
 * Every segment resent since the last reduction arrived twice (D-SACKs,
 * tern_check_dsack()): the reduction was spurious, undo it, as
 * tcp_try_undo_dsack() (RFC 3708), once nothing is left to resend or
 * still out. Called after every ACK is processed, so the ACK that
 * acknowledges the last resend, or ends the episode, finds it so; a few
 * compares, and nothing while there is no D-SACKed reduction.
 */
void tern_cc_try_undo(struct sock *sk)
{
	struct tern_sock *tsk = tern_sk(sk);

	if (!tsk->prior_ssthresh || tsk->undo_retrans ||
	    tsk->lost_out || tsk->stats.retrans_out)
		return;
	tern_cc_undo(sk);
	TERN_INC_STATS(sock_net(sk), TERN_MIB_DSACKUNDO);
}

#include "cong_test.c"
