// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: sock_diag (inet_diag) for IP protocol 253, as tcp_diag.c serves
 * TCP: dumps of a namespace's sockets filtered by state, family and the
 * requester's bytecode, exact lookups, INET_DIAG_INFO (struct tern_info)
 * and SOCK_DESTROY. Tern keeps its own tables, so the walk is its own
 * (tern_diag_bucket()), resumed across dump calls by position as
 * inet_diag_dump_icsk() does: nothing is held between calls.
 */
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <net/inet_timewait_sock.h>
#include <net/netlink.h>

#include "tern.h"
#include "compat.h"

/* Entries taken from a bucket at a time, filled with no lock held. */
#define TERN_DIAG_BATCH	16

/* What the dump keeps in cb->args between calls. */
enum {
	TERN_DIAG_ARG_TABLE,	/* TERN_DIAG_LISTEN, TERN_DIAG_CONN, then done */
	TERN_DIAG_ARG_BUCKET,
	TERN_DIAG_ARG_NUM,	/* entries of the bucket already dumped */
};

struct tern_diag_filter {
	const struct inet_diag_req_v2 *r;
	const struct nlattr *bc;
};

/*
 * inet_diag_bc_sk() reads a TIME_WAIT's mark as an inet_timewait_sock's:
 * Tern's is smaller, so run the bytecode on a copy shaped like one.
 */
static int tern_diag_bc_tw(const struct nlattr *bc, struct sock *sk)
{
	struct inet_timewait_sock tw;

	memset(&tw, 0, sizeof(tw));
	memcpy(&tw.__tw_common, sk, sizeof(tw.__tw_common));
	tw.tw_mark = tern_tw(sk)->tt_mark;
	return inet_diag_bc_sk(bc, (struct sock *)&tw);
}

/* The request's filters, as inet_diag_dump_icsk() applies them. */
static bool tern_diag_match(struct sock *sk, void *arg)
{
	const struct tern_diag_filter *f = arg;
	const struct inet_diag_req_v2 *r = f->r;
	int state = sk->sk_state;

	if (state == TCP_NEW_SYN_RECV)
		state = TCP_SYN_RECV;
	if (!(r->idiag_states & BIT(state)))
		return false;
	if (r->sdiag_family != AF_UNSPEC && sk->sk_family != r->sdiag_family)
		return false;
	if (r->id.idiag_sport && r->id.idiag_sport != htons(sk->sk_num))
		return false;
	if (r->id.idiag_dport && r->id.idiag_dport != sk->sk_dport)
		return false;
	if (!f->bc)
		return true;
	if (sk->sk_state == TCP_TIME_WAIT)
		return tern_diag_bc_tw(f->bc, sk);
	return inet_diag_bc_sk(f->bc, sk);
}

/*
 * A request or a TIME_WAIT, as inet_req_diag_fill() and
 * inet_twsk_diag_fill() report them: addresses, state, timer; no owner,
 * queues nor info.
 */
static int tern_diag_fill_mini(struct sock *sk, struct sk_buff *skb,
			       struct netlink_callback *cb, u16 flags,
			       bool net_admin)
{
	struct inet_diag_msg *r;
	struct nlmsghdr *nlh;
	unsigned long expires;
	u32 mark;

	nlh = nlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			cb->nlh->nlmsg_type, sizeof(*r), flags);
	if (!nlh)
		return -EMSGSIZE;
	r = nlmsg_data(nlh);
	inet_diag_msg_common_fill(r, sk);
	if (sk->sk_state == TCP_TIME_WAIT) {
		r->idiag_state = TCP_TIME_WAIT;
		r->idiag_timer = 3;
		r->idiag_retrans = 0;
		expires = READ_ONCE(tern_tw(sk)->tt_timer.expires);
		mark = tern_tw(sk)->tt_mark;
	} else {
		struct request_sock *req = inet_reqsk(sk);

		r->idiag_state = TCP_SYN_RECV;
		r->idiag_timer = 1;
		r->idiag_retrans = req->num_retrans;
		expires = READ_ONCE(req->rsk_timer.expires);
		mark = inet_rsk(req)->ir_mark;
	}
	r->idiag_expires = jiffies_delta_to_msecs(expires - jiffies);
	r->idiag_rqueue = 0;
	r->idiag_wqueue = 0;
	r->idiag_uid = 0;
	r->idiag_inode = 0;
	if (net_admin && nla_put_u32(skb, INET_DIAG_MARK, mark)) {
		nlmsg_cancel(skb, nlh);
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	return 0;
}

static int tern_diag_fill(struct sock *sk, struct sk_buff *skb,
			  struct netlink_callback *cb,
			  const struct inet_diag_req_v2 *r, u16 flags,
			  bool net_admin)
{
	if (!sk_fullsock(sk))
		return tern_diag_fill_mini(sk, skb, cb, flags, net_admin);
	return inet_sk_diag_fill(sk, inet_csk(sk), skb, cb, r, flags,
				 net_admin);
}

/*
 * The queues as ss shows TCP's (tcp_diag_get_info): a listener's accept
 * queue and backlog, a connection's unread and unacknowledged bytes.
 */
static void tern_diag_get_info(struct sock *sk, struct inet_diag_msg *r,
			       void *info)
{
	const struct tern_sock *tsk = tern_sk(sk);

	if (inet_sk_state_load(sk) == TCP_LISTEN) {
		r->idiag_rqueue = READ_ONCE(sk->sk_ack_backlog);
		r->idiag_wqueue = READ_ONCE(sk->sk_max_ack_backlog);
	} else {
		u64 unacked = READ_ONCE(tsk->write_seq) - READ_ONCE(tsk->snd_una);

		r->idiag_rqueue = tern_inq(sk);
		r->idiag_wqueue = min_t(u64, unacked, U32_MAX);
	}
	if (info)
		tern_get_info(sk, info);
}

/*
 * INET_DIAG_CONG with INET_DIAG_INFO: the algorithm's name, which
 * inet_sk_diag_fill() takes from icsk_ca_ops for TCP (Tern's is its own).
 * A switch may race: the name read under RCU stays valid, as an
 * algorithm's module unregisters after synchronize_rcu().
 */
static int tern_diag_get_aux(struct sock *sk, bool net_admin,
			     struct sk_buff *skb)
{
	const struct tern_cong_ops *ca;
	int err = 0;

	if (sk->sk_state >= TCP_TIME_WAIT)	/* as TCP: no listener, no closing */
		return 0;
	rcu_read_lock();
	ca = READ_ONCE(tern_sk(sk)->ca_ops);
	if (ca)
		err = nla_put_string(skb, INET_DIAG_CONG, ca->name);
	rcu_read_unlock();
	return err;
}

static size_t tern_diag_get_aux_size(struct sock *sk, bool net_admin)
{
	return nla_total_size(TERN_CA_NAME_MAX);
}

/*
 * The entries of one bucket from the saved position on; false when the
 * message is full (the position then names the entry that did not fit).
 */
static bool tern_diag_dump_bucket(struct sk_buff *skb,
				  struct netlink_callback *cb,
				  const struct inet_diag_req_v2 *r,
				  struct tern_diag_filter *f, int table,
				  unsigned int i)
{
	bool net_admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	struct net *net = sock_net(cb->skb->sk);
	struct sock *batch[TERN_DIAG_BATCH];
	unsigned int idx[TERN_DIAG_BATCH];
	unsigned int j, n;
	int err = 0;

	do {
		n = tern_diag_bucket(table, i, net,
				     cb->args[TERN_DIAG_ARG_NUM],
				     tern_diag_match, f, batch, idx,
				     TERN_DIAG_BATCH);
		for (j = 0; j < n; j++) {
			if (!err) {
				err = tern_diag_fill(batch[j], skb, cb, r,
						     NLM_F_MULTI, net_admin);
				cb->args[TERN_DIAG_ARG_NUM] = idx[j] + !err;
			}
			tern_sk_put(batch[j]);
		}
		cond_resched();
	} while (!err && n == TERN_DIAG_BATCH);
	return !err;
}

/* Listeners first, then the rest, as inet_diag_dump_icsk(). */
static void tern_diag_dump(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct inet_diag_req_v2 *r)
{
	struct inet_diag_dump_data *data = cb->data;
	struct tern_diag_filter f = {
		.r = r,
		.bc = data->inet_diag_nla_bc,
	};
	unsigned int i, n;
	int table;

	for (table = cb->args[TERN_DIAG_ARG_TABLE]; table <= TERN_DIAG_CONN;
	     table++) {
		u32 want = table == TERN_DIAG_LISTEN ? TCPF_LISTEN : ~TCPF_LISTEN;

		n = (r->idiag_states & want) ? tern_diag_buckets(table) : 0;
		for (i = cb->args[TERN_DIAG_ARG_BUCKET]; i < n; i++) {
			if (!tern_diag_dump_bucket(skb, cb, r, &f, table, i)) {
				cb->args[TERN_DIAG_ARG_TABLE] = table;
				cb->args[TERN_DIAG_ARG_BUCKET] = i;
				return;
			}
			cb->args[TERN_DIAG_ARG_NUM] = 0;
		}
		cb->args[TERN_DIAG_ARG_BUCKET] = 0;
	}
	cb->args[TERN_DIAG_ARG_TABLE] = table;
}

/*
 * The socket a request names, held, its cookie checked, as
 * inet_diag_find_one_icsk(): the lookup of a segment from the peer
 * (a listener's peer is the wildcard).
 */
static struct sock *tern_diag_find(struct net *net,
				   const struct inet_diag_req_v2 *req)
{
	const struct inet_diag_sockid *id = &req->id;
	struct sock *sk;

	if (req->sdiag_family == AF_INET) {
		sk = tern_lookup_v4(net, id->idiag_dst[0], id->idiag_dport,
				    id->idiag_src[0], id->idiag_sport,
				    id->idiag_if);
#if IS_ENABLED(CONFIG_IPV6)
	} else if (req->sdiag_family == AF_INET6) {
		const struct in6_addr *src = (const struct in6_addr *)id->idiag_src;
		const struct in6_addr *dst = (const struct in6_addr *)id->idiag_dst;

		if (ipv6_addr_v4mapped(src) && ipv6_addr_v4mapped(dst))
			sk = tern_lookup_v4(net, id->idiag_dst[3],
					    id->idiag_dport, id->idiag_src[3],
					    id->idiag_sport, id->idiag_if);
		else
			sk = tern_lookup_v6(net, dst, id->idiag_dport, src,
					    id->idiag_sport, id->idiag_if);
#endif
	} else {
		return ERR_PTR(-EINVAL);
	}
	if (!sk)
		return ERR_PTR(-ENOENT);
	if (sock_diag_check_cookie(sk, id->idiag_cookie)) {
		tern_sk_put(sk);
		return ERR_PTR(-ENOENT);
	}
	return sk;
}

static int tern_diag_dump_one(struct netlink_callback *cb,
			      const struct inet_diag_req_v2 *req)
{
	struct sk_buff *in_skb = cb->skb;
	bool net_admin = netlink_net_capable(in_skb, CAP_NET_ADMIN);
	struct net *net = sock_net(in_skb->sk);
	struct sk_buff *rep;
	struct sock *sk;
	int err;

	sk = tern_diag_find(net, req);
	if (IS_ERR(sk))
		return PTR_ERR(sk);
	rep = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rep) {
		err = -ENOMEM;
		goto out;
	}
	err = tern_diag_fill(sk, rep, cb, req, 0, net_admin);
	if (err) {
		nlmsg_free(rep);
		goto out;
	}
	err = nlmsg_unicast(net->diag_nlsk, rep, NETLINK_CB(in_skb).portid);
out:
	tern_sk_put(sk);
	return err;
}

/* SOCK_DESTROY: sock_diag_destroy() checks CAP_NET_ADMIN, then tern_abort. */
static int tern_diag_destroy(struct sk_buff *in_skb,
			     const struct inet_diag_req_v2 *req)
{
	struct sock *sk = tern_diag_find(sock_net(in_skb->sk), req);
	int err;

	if (IS_ERR(sk))
		return PTR_ERR(sk);
	err = sock_diag_destroy(sk, ECONNABORTED);
	tern_sk_put(sk);
	return err;
}

/* States in which an abort tells the peer (tcp_need_reset()). */
#define TERN_ABORT_RESET	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | \
				 TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | \
				 TCPF_SYN_RECV)

/*
 * Reset and close sk with err for its user, as tcp_abort(): a request is
 * dropped, a TIME_WAIT ended, a listener stops listening, a connection
 * sends a reset and is done (an orphan is freed).
 */
int tern_abort(struct sock *sk, int err)
{
	int state = inet_sk_state_load(sk);
	bool dead;

	if (state == TCP_NEW_SYN_RECV) {
		/* the path of a fatal ICMP error quoting its SYN-ACK */
		tern_req_err(sk, tern_rsk(inet_reqsk(sk))->snt_isn, true);
		return 0;
	}
	if (state == TCP_TIME_WAIT) {
		tern_tw_end(sk);
		return 0;
	}

	lock_sock(sk);
	if (sk->sk_state == TCP_CLOSE) {
		release_sock(sk);
		return -ENOENT;
	}
	if (sk->sk_state == TCP_LISTEN) {
		tern_set_state(sk, TCP_CLOSE);
		tern_listen_stop(sk);
	}
	local_bh_disable();
	bh_lock_sock(sk);
	dead = sock_flag(sk, SOCK_DEAD);
	if (BIT(sk->sk_state) & TERN_ABORT_RESET)
		tern_send_active_reset(sk, GFP_ATOMIC);
	WRITE_ONCE(sk->sk_err, err);
	tern_done(sk);
	if (!dead)
		sk_error_report(sk);
	bh_unlock_sock(sk);
	local_bh_enable();
	if (!dead)
		tern_write_queue_purge(sk);
	release_sock(sk);
	return 0;
}

static struct inet_diag_handler tern_diag_handler = {
	.dump		= tern_diag_dump,
	.dump_one	= tern_diag_dump_one,
	.idiag_get_info	= tern_diag_get_info,
	.idiag_get_aux	= tern_diag_get_aux,
	.idiag_get_aux_size = tern_diag_get_aux_size,
	.destroy	= tern_diag_destroy,
	.idiag_type	= IPPROTO_TERN,
	.idiag_info_size = sizeof(struct tern_info),
};

int tern_diag_init(void)
{
	tern_diag_set_owner(&tern_diag_handler, THIS_MODULE);
	return inet_diag_register(&tern_diag_handler);
}

void tern_diag_exit(void)
{
	inet_diag_unregister(&tern_diag_handler);
}

/* sock_diag loads the handler of (family, protocol) by these names. */
MODULE_ALIAS_NET_PF_PROTO_NAME(PF_NETLINK, NETLINK_SOCK_DIAG,
			       "-type-" __stringify(AF_INET) "-" __stringify(IPPROTO_TERN));
MODULE_ALIAS_NET_PF_PROTO_NAME(PF_NETLINK, NETLINK_SOCK_DIAG,
			       "-type-" __stringify(AF_INET6) "-" __stringify(IPPROTO_TERN));
