// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the table of bound ports.
 *
 * Tern keeps its own tables, as SCTP does: the inet_hashinfo helpers go
 * through TCP's table. A bound socket sits on sk_bind_node in the bucket
 * of (namespace, port); a bucket's lock serialises every bind to that port.
 */

#include <linux/hash.h>
#include <linux/random.h>
#include <net/addrconf.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/sock.h>

#include "tern.h"

#define TERN_BHASH_BITS	10

struct tern_bind_bucket {
	spinlock_t lock;	/* protects chain */
	struct hlist_head chain;
};

static struct tern_bind_bucket tern_bhash[1 << TERN_BHASH_BITS];

void tern_hash_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tern_bhash); i++) {
		spin_lock_init(&tern_bhash[i].lock);
		INIT_HLIST_HEAD(&tern_bhash[i].chain);
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
