// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the tables of bound ports and of connections.
 *
 * Tern keeps its own tables, as SCTP does: the inet_hashinfo helpers go
 * through TCP's table. A bound socket (listeners and connections included)
 * sits on sk_bind_node in the bucket of (namespace, port); a bucket's lock
 * serialises every bind to that port, and listeners are found there. A
 * connection also sits on sk_node in the connection table, keyed by its
 * four-tuple. Lookups take the bucket lock and return a held socket.
 */

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <net/addrconf.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/sock.h>

#include "tern.h"

#define TERN_BHASH_BITS	10
#define TERN_EHASH_BITS	12

struct tern_bind_bucket {
	spinlock_t lock;	/* protects chain */
	struct hlist_head chain;
};

static struct tern_bind_bucket tern_bhash[1 << TERN_BHASH_BITS];
static struct tern_bind_bucket tern_ehash[1 << TERN_EHASH_BITS];

void tern_hash_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tern_bhash); i++) {
		spin_lock_init(&tern_bhash[i].lock);
		INIT_HLIST_HEAD(&tern_bhash[i].chain);
	}
	for (i = 0; i < ARRAY_SIZE(tern_ehash); i++) {
		spin_lock_init(&tern_ehash[i].lock);
		INIT_HLIST_HEAD(&tern_ehash[i].chain);
	}
}

static struct tern_bind_bucket *tern_bucket(const struct net *net, u16 port)
{
	return &tern_bhash[hash_32(net_hash_mix(net) ^ port, TERN_BHASH_BITS)];
}

static bool tern_dev_overlap(const struct sock *sk, const struct sock *sk2)
{
	int a = READ_ONCE(sk->sk_bound_dev_if);
	int b = READ_ONCE(sk2->sk_bound_dev_if);

	return !a || !b || a == b;
}

/*
 * May sk take a port sk2 already holds? The rules are TCP's: two sockets
 * conflict when their bound addresses and devices overlap, unless both set
 * SO_REUSEADDR and sk2 is not listening, or both set SO_REUSEPORT under
 * the same owner.
 */
static bool tern_bind_conflict(const struct sock *sk, const struct sock *sk2)
{
	if (!tern_dev_overlap(sk, sk2))
		return false;
	if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
		return false;
	if (sk->sk_reuseport && sk2->sk_reuseport &&
	    uid_eq(sock_i_uid((struct sock *)sk), sock_i_uid((struct sock *)sk2)))
		return false;
	return inet_rcv_saddr_equal(sk, sk2, true);
}

/* Called with the bucket locked. */
static bool tern_port_in_use(const struct tern_bind_bucket *b,
			     const struct sock *sk, u16 port, bool any_owner)
{
	const struct net *net = sock_net(sk);
	struct sock *sk2;

	sk_for_each_bound(sk2, &b->chain) {
		if (sk2 == sk || !net_eq(sock_net(sk2), net) ||
		    inet_sk(sk2)->inet_num != port)
			continue;
		if (any_owner || tern_bind_conflict(sk, sk2))
			return true;
	}
	return false;
}

static void tern_bind_locked(struct tern_bind_bucket *b, struct sock *sk,
			     u16 port)
{
	inet_sk(sk)->inet_num = port;
	sk_add_bind_node(sk, &b->chain);
}

/*
 * Bind sk to snum, or to a free ephemeral port when snum is zero.
 * An ephemeral port is one no socket of the namespace holds at all, so
 * that an explicit bind elsewhere never collides with it.
 */
int tern_get_port(struct sock *sk, unsigned short snum)
{
	struct net *net = sock_net(sk);
	struct tern_bind_bucket *b;
	int low, high, remaining;
	u32 offset;
	u16 port;

	if (snum) {
		b = tern_bucket(net, snum);
		spin_lock_bh(&b->lock);
		if (tern_port_in_use(b, sk, snum, false)) {
			spin_unlock_bh(&b->lock);
			return -EADDRINUSE;
		}
		tern_bind_locked(b, sk, snum);
		spin_unlock_bh(&b->lock);
		return 0;
	}

	inet_sk_get_local_port_range(sk, &low, &high);
	remaining = high - low + 1;
	offset = get_random_u32_below(remaining);
	for (; remaining > 0; remaining--, offset++) {
		port = low + offset % (high - low + 1);
		if (inet_is_local_reserved_port(net, port))
			continue;
		b = tern_bucket(net, port);
		spin_lock_bh(&b->lock);
		if (!tern_port_in_use(b, sk, port, true)) {
			tern_bind_locked(b, sk, port);
			spin_unlock_bh(&b->lock);
			return 0;
		}
		spin_unlock_bh(&b->lock);
		cond_resched();
	}
	return -EADDRINUSE;	/* as TCP's bind() when the range is exhausted */
}

/* Release the port sk holds, if any. */
void tern_put_port(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct tern_bind_bucket *b;

	if (!inet->inet_num)
		return;
	b = tern_bucket(sock_net(sk), inet->inet_num);
	spin_lock_bh(&b->lock);
	hlist_del_init(&sk->sk_bind_node);
	inet->inet_num = 0;
	spin_unlock_bh(&b->lock);
	inet->inet_sport = 0;
}

/* A child connection holds its listener's port, as in TCP. */
int tern_bind_child(struct sock *child, const struct sock *listener)
{
	u16 port = inet_sk(listener)->inet_num;
	struct tern_bind_bucket *b = tern_bucket(sock_net(child), port);

	sk_node_init(&child->sk_bind_node);
	spin_lock_bh(&b->lock);
	tern_bind_locked(b, child, port);
	spin_unlock_bh(&b->lock);
	return 0;
}

/*
 * Connections are keyed by (namespace, remote address, remote port, local
 * port). Both address families hash the IPv6 form of the remote address
 * (v4-mapped for IPv4), so a v4-mapped IPv6 socket and an IPv4 segment meet.
 */
static u32 tern_ehash_secret __read_mostly;

/* Keyed, so that nobody can aim segments at one bucket (as inet_ehashfn). */
static u32 tern_ehashfn(const struct net *net, const struct in6_addr *raddr,
			__be16 rport, u16 lport)
{
	net_get_random_once(&tern_ehash_secret, sizeof(tern_ehash_secret));
	return jhash_3words((__force u32)(raddr->s6_addr32[3] ^
					  raddr->s6_addr32[2] ^
					  raddr->s6_addr32[1] ^
					  raddr->s6_addr32[0]),
			    (__force u32)rport << 16 | lport,
			    net_hash_mix(net), tern_ehash_secret);
}

static struct tern_bind_bucket *tern_ebucket_sk(const struct sock *sk)
{
	struct in6_addr raddr;

	if (sk->sk_family == AF_INET)
		ipv6_addr_set_v4mapped(inet_sk(sk)->inet_daddr, &raddr);
	else
		raddr = sk->sk_v6_daddr;
	return &tern_ehash[hash_32(tern_ehashfn(sock_net(sk), &raddr,
						inet_sk(sk)->inet_dport,
						inet_sk(sk)->inet_num),
				   TERN_EHASH_BITS)];
}

/* Add a connection whose four-tuple is set; -EADDRNOTAVAIL if taken. */
int tern_hash_conn(struct sock *sk)
{
	struct tern_bind_bucket *b = tern_ebucket_sk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	struct sock *sk2;

	spin_lock_bh(&b->lock);
	sk_for_each(sk2, &b->chain) {
		const struct inet_sock *inet2 = inet_sk(sk2);

		if (!net_eq(sock_net(sk2), sock_net(sk)) ||
		    inet2->inet_num != inet->inet_num ||
		    inet2->inet_dport != inet->inet_dport ||
		    sk2->sk_family != sk->sk_family)
			continue;
		if (sk->sk_family == AF_INET ?
		    inet2->inet_daddr == inet->inet_daddr &&
		    inet2->inet_rcv_saddr == inet->inet_rcv_saddr :
		    ipv6_addr_equal(&sk2->sk_v6_daddr, &sk->sk_v6_daddr) &&
		    ipv6_addr_equal(&sk2->sk_v6_rcv_saddr,
				    &sk->sk_v6_rcv_saddr)) {
			spin_unlock_bh(&b->lock);
			return -EADDRNOTAVAIL;
		}
	}
	sk_add_node(sk, &b->chain);
	spin_unlock_bh(&b->lock);
	return 0;
}

void tern_unhash_conn(struct sock *sk)
{
	struct tern_bind_bucket *b;

	if (sk_unhashed(sk))
		return;
	b = tern_ebucket_sk(sk);
	spin_lock_bh(&b->lock);
	sk_del_node_init(sk);
	spin_unlock_bh(&b->lock);
}

static bool tern_dev_match(const struct sock *sk, int dif)
{
	int bound = READ_ONCE(sk->sk_bound_dev_if);

	return !bound || bound == dif;
}

/* Addresses as the segment carries them: s = remote, d = local. */
struct tern_tuple {
	struct net *net;
	bool v4;
	__be32 saddr4, daddr4;
	const struct in6_addr *saddr6, *daddr6;
	__be16 sport, dport;
	int dif;
};

static bool tern_conn_match(const struct sock *sk, const struct tern_tuple *t)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (!net_eq(sock_net(sk), t->net) || inet->inet_dport != t->sport ||
	    inet->inet_num != ntohs(t->dport) || !tern_dev_match(sk, t->dif))
		return false;
	if (t->v4)
		return (sk->sk_family == AF_INET ||
			ipv6_addr_v4mapped(&sk->sk_v6_daddr)) &&
		       inet->inet_daddr == t->saddr4 &&
		       inet->inet_rcv_saddr == t->daddr4;
	return sk->sk_family == AF_INET6 &&
	       ipv6_addr_equal(&sk->sk_v6_daddr, t->saddr6) &&
	       ipv6_addr_equal(&sk->sk_v6_rcv_saddr, t->daddr6);
}

/* How well a listener fits: 0 not at all, higher is more specific. */
static int tern_listener_score(const struct sock *sk,
			       const struct tern_tuple *t)
{
	const struct inet_sock *inet = inet_sk(sk);
	int score = 1;

	if (sk->sk_state != TCP_LISTEN || !net_eq(sock_net(sk), t->net) ||
	    inet->inet_num != ntohs(t->dport) || !tern_dev_match(sk, t->dif))
		return 0;
	if (t->v4) {
		if (sk->sk_family == AF_INET6) {
			if (ipv6_only_sock(sk))
				return 0;
			if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr) &&
			    !ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
				return 0;
		} else {
			score++;
		}
		if (inet->inet_rcv_saddr) {
			if (inet->inet_rcv_saddr != t->daddr4)
				return 0;
			score += 4;
		}
	} else {
		if (sk->sk_family != AF_INET6)
			return 0;
		if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr)) {
			if (!ipv6_addr_equal(&sk->sk_v6_rcv_saddr, t->daddr6))
				return 0;
			score += 4;
		}
	}
	if (READ_ONCE(sk->sk_bound_dev_if))
		score += 2;
	return score;
}

static struct sock *tern_lookup(const struct tern_tuple *t)
{
	struct in6_addr raddr;
	struct tern_bind_bucket *b;
	struct sock *sk, *best = NULL;
	int score, best_score = 0;
	u16 lport = ntohs(t->dport);
	u32 hash, group = 0;

	if (t->v4)
		ipv6_addr_set_v4mapped(t->saddr4, &raddr);
	else
		raddr = *t->saddr6;
	hash = tern_ehashfn(t->net, &raddr, t->sport, lport);
	b = &tern_ehash[hash_32(hash, TERN_EHASH_BITS)];
	spin_lock(&b->lock);
	sk_for_each(sk, &b->chain) {
		if (tern_conn_match(sk, t)) {
			sock_hold(sk);
			spin_unlock(&b->lock);
			return sk;
		}
	}
	spin_unlock(&b->lock);

	b = tern_bucket(t->net, lport);
	spin_lock(&b->lock);
	sk_for_each_bound(sk, &b->chain) {
		score = tern_listener_score(sk, t);
		if (score > best_score) {
			best = sk;
			best_score = score;
			group = 0;
		}
		if (score == best_score && sk->sk_reuseport)
			group++;
	}
	/*
	 * SO_REUSEPORT listeners that fit equally well share the
	 * connections: the four-tuple's hash picks one, as in TCP.
	 */
	if (best && best->sk_reuseport && group > 1) {
		group = reciprocal_scale(hash, group);
		sk_for_each_bound(sk, &b->chain) {
			if (!sk->sk_reuseport ||
			    tern_listener_score(sk, t) != best_score)
				continue;
			if (!group--) {
				best = sk;
				break;
			}
		}
	}
	if (best)
		sock_hold(best);
	spin_unlock(&b->lock);
	return best;
}

/* The connection, else the best listener, for a segment; held. */
struct sock *tern_lookup_v4(struct net *net, __be32 saddr, __be16 sport,
			    __be32 daddr, __be16 dport, int dif)
{
	struct tern_tuple t = {
		.net = net, .v4 = true, .saddr4 = saddr, .daddr4 = daddr,
		.sport = sport, .dport = dport, .dif = dif,
	};

	return tern_lookup(&t);
}

struct sock *tern_lookup_v6(struct net *net, const struct in6_addr *saddr,
			    __be16 sport, const struct in6_addr *daddr,
			    __be16 dport, int dif)
{
	struct tern_tuple t = {
		.net = net, .saddr6 = saddr, .daddr6 = daddr,
		.sport = sport, .dport = dport, .dif = dif,
	};

	return tern_lookup(&t);
}

/*
 * connect() on an unbound socket: an ephemeral port (one no socket of the
 * namespace holds), then the four-tuple. TIME_WAIT sockets keep their
 * ports, so a quick reconnect never meets its own old incarnation.
 */
int tern_connect_port(struct sock *sk)
{
	int err;

	if (!inet_sk(sk)->inet_num) {
		err = tern_get_port(sk, 0);
		if (err)
			return err == -EADDRINUSE ? -EADDRNOTAVAIL : err;
		inet_sk(sk)->inet_sport = htons(inet_sk(sk)->inet_num);
	}
	return tern_hash_conn(sk);
}

/* Show each bound socket of net (listeners, connections). */
void tern_show_bound(struct seq_file *seq, struct net *net)
{
	unsigned int i;
	struct sock *sk;

	for (i = 0; i < ARRAY_SIZE(tern_bhash); i++) {
		struct tern_bind_bucket *b = &tern_bhash[i];

		if (hlist_empty(&b->chain))
			continue;
		spin_lock_bh(&b->lock);
		sk_for_each_bound(sk, &b->chain) {
			if (net_eq(sock_net(sk), net))
				tern_show_sock(seq, sk);
		}
		spin_unlock_bh(&b->lock);
	}
}
