// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the lookup tables, built as TCP's (net/ipv4/inet_hashtables.c).
 *
 * Tern keeps its own tables, as SCTP does: the inet_hashinfo helpers go
 * through TCP's. There are three:
 *
 * - established: every connection on sk_nulls_node, every TIME_WAIT
 *   (struct tern_tw_sock, whose sock_common is laid out as a socket's)
 *   and every handshake a listener keeps (a request sock, in
 *   TCP_NEW_SYN_RECV: sock_common is its first member), keyed by a
 *   siphash of the namespace, both addresses and both ports. Its size is
 *   set at load (thash_entries). Lookups take no lock: the slabs of all
 *   three are SLAB_TYPESAFE_BY_RCU, so a reader takes a reference
 *   with refcount_inc_not_zero() and checks the key again, and the nulls
 *   value ending each chain tells it when it strayed onto another one.
 *   Writers take one lock of an array that covers the buckets.
 * - listeners: on sk_nulls_node too (a socket is in one of the two tables
 *   at a time, tern_sock.listen_hashed says which), keyed by (namespace,
 *   port), walked under RCU. Listeners are SOCK_RCU_FREE, as TCP's, so
 *   they stay what they are while a reader scores them.
 * - bound ports: one tern_bind_bucket per (namespace, port) in use, with
 *   every socket (and TIME_WAIT) holding the port on its owners list
 *   (sk_bind_node). Only writers look here, under the lock of the
 *   bucket's chain: bind conflicts, ephemeral ports, and the walk of a
 *   namespace's sockets.
 *
 * Lookups return a held socket, request (TCP_NEW_SYN_RECV) or TIME_WAIT
 * (TCP_TIME_WAIT), the last two not sk_fullsock(): tern_sk_put() lets go
 * of any of them. Lock order: bound ports, then an established lock; the
 * listener locks nest with neither.
 */

#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <net/addrconf.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/sock.h>

#include "tern.h"

static unsigned long thash_entries;
module_param(thash_entries, ulong, 0444);
MODULE_PARM_DESC(thash_entries,
		 "Connection table buckets (0: scaled with memory); reads back the size in use");

/* The default: one bucket per 128 KiB of memory, as TCP's, within these. */
#define TERN_EHASH_SCALE	17
#define TERN_EHASH_MIN		BIT(10)
#define TERN_EHASH_MAX		BIT(19)
#define TERN_EHASH_PARAM_MAX	BIT(22)		/* thash_entries= */

/* Ports in the connect() scan's perturbation table (RFC 6056, 3.3.5). */
#define TERN_PERTURB_SIZE	256

struct tern_lhead {
	spinlock_t lock;	/* writers of head */
	struct hlist_nulls_head head;
};

struct tern_bhead {
	spinlock_t lock;	/* chain, and every bucket's owners on it */
	struct hlist_head chain;
};

/* A port of a namespace in use, and who holds it. */
struct tern_bind_bucket {
	possible_net_t net;
	struct hlist_node node;		/* on tern_bhead.chain */
	struct hlist_head owners;	/* sockets, by sk_bind_node */
	unsigned int fixed;		/* owners not from connect()'s scan */
	u16 port;
};

static struct hlist_nulls_head *tern_ehash __read_mostly;
static unsigned int tern_ehash_mask __read_mostly;
static spinlock_t *tern_ehash_locks __read_mostly;
static unsigned int tern_ehash_locks_mask __read_mostly;
static struct tern_lhead *tern_lhash __read_mostly;
static unsigned int tern_lhash_mask __read_mostly;
static struct tern_bhead *tern_bhash __read_mostly;
static unsigned int tern_bhash_mask __read_mostly;
static struct kmem_cache *tern_bind_cachep __read_mostly;

static siphash_key_t tern_ehash_secret __read_mostly;
static siphash_key_t tern_port_secret __read_mostly;
static u32 tern_port_perturb[TERN_PERTURB_SIZE];

/* The listener chains end in nulls values of their own. */
static unsigned int tern_lnulls(unsigned int slot)
{
	return tern_ehash_mask + 1 + slot;
}

static unsigned long tern_ehash_entries(void)
{
	unsigned long n = thash_entries;

	if (!n) {
		n = nr_free_buffer_pages() >> (TERN_EHASH_SCALE - PAGE_SHIFT);
		n = clamp(n, TERN_EHASH_MIN, TERN_EHASH_MAX);
	}
	return roundup_pow_of_two(clamp(n, 1UL, TERN_EHASH_PARAM_MAX));
}

int tern_hash_init(void)
{
	unsigned long n = tern_ehash_entries(), nlocks;
	unsigned int i;

	get_random_bytes(&tern_ehash_secret, sizeof(tern_ehash_secret));
	get_random_bytes(&tern_port_secret, sizeof(tern_port_secret));
	get_random_bytes(tern_port_perturb, sizeof(tern_port_perturb));

	tern_ehash = kvmalloc_array(n, sizeof(*tern_ehash), GFP_KERNEL);
	if (!tern_ehash)
		return -ENOMEM;
	tern_ehash_mask = n - 1;
	for (i = 0; i < n; i++)
		INIT_HLIST_NULLS_HEAD(&tern_ehash[i], i);

	/* as inet_ehash_locks_alloc: a few cache lines of locks per CPU */
	nlocks = max_t(unsigned long, 2 * L1_CACHE_BYTES / sizeof(spinlock_t), 1);
	nlocks = roundup_pow_of_two(nlocks * num_possible_cpus() * 2);
	nlocks = min(nlocks, n);
	tern_ehash_locks = kvmalloc_array(nlocks, sizeof(*tern_ehash_locks),
					  GFP_KERNEL);
	if (!tern_ehash_locks)
		goto err_locks;
	tern_ehash_locks_mask = nlocks - 1;
	for (i = 0; i < nlocks; i++)
		spin_lock_init(&tern_ehash_locks[i]);

	n = clamp(n >> 4, 32UL, 1UL << 16);
	tern_lhash = kvmalloc_array(n, sizeof(*tern_lhash), GFP_KERNEL);
	if (!tern_lhash)
		goto err_lhash;
	tern_lhash_mask = n - 1;
	for (i = 0; i < n; i++) {
		spin_lock_init(&tern_lhash[i].lock);
		INIT_HLIST_NULLS_HEAD(&tern_lhash[i].head, tern_lnulls(i));
	}

	n = clamp((tern_ehash_mask + 1UL) >> 2, 256UL, 1UL << 16);
	tern_bhash = kvmalloc_array(n, sizeof(*tern_bhash), GFP_KERNEL);
	if (!tern_bhash)
		goto err_bhash;
	tern_bhash_mask = n - 1;
	for (i = 0; i < n; i++) {
		spin_lock_init(&tern_bhash[i].lock);
		INIT_HLIST_HEAD(&tern_bhash[i].chain);
	}

	tern_bind_cachep = kmem_cache_create("tern_bind_bucket",
					     sizeof(struct tern_bind_bucket),
					     0, SLAB_HWCACHE_ALIGN, NULL);
	if (!tern_bind_cachep)
		goto err_cache;
	thash_entries = tern_ehash_mask + 1UL;
	return 0;

err_cache:
	kvfree(tern_bhash);
err_bhash:
	kvfree(tern_lhash);
err_lhash:
	kvfree(tern_ehash_locks);
err_locks:
	kvfree(tern_ehash);
	return -ENOMEM;
}

/*
 * Every socket is gone (each pins the module), every TIME_WAIT too (the
 * namespaces' exits end them): only the tables are left.
 */
void tern_hash_exit(void)
{
	kmem_cache_destroy(tern_bind_cachep);
	kvfree(tern_bhash);
	kvfree(tern_lhash);
	kvfree(tern_ehash_locks);
	kvfree(tern_ehash);
}

/* ---- bound ports ---- */

static struct tern_bhead *tern_bhead(const struct net *net, u16 port)
{
	return &tern_bhash[(port + net_hash_mix(net)) & tern_bhash_mask];
}

/* Called with head->lock. */
static struct tern_bind_bucket *tern_bb_find(const struct tern_bhead *head,
					     const struct net *net, u16 port)
{
	struct tern_bind_bucket *tb;

	hlist_for_each_entry(tb, &head->chain, node) {
		if (tb->port == port && net_eq(read_pnet(&tb->net), net))
			return tb;
	}
	return NULL;
}

static struct tern_bind_bucket *tern_bb_get(struct tern_bhead *head,
					    struct net *net, u16 port)
{
	struct tern_bind_bucket *tb = tern_bb_find(head, net, port);

	if (tb)
		return tb;
	tb = kmem_cache_alloc(tern_bind_cachep, GFP_ATOMIC);
	if (!tb)
		return NULL;
	write_pnet(&tb->net, net);
	tb->port = port;
	tb->fixed = 0;
	INIT_HLIST_HEAD(&tb->owners);
	hlist_add_head(&tb->node, &head->chain);
	return tb;
}

static void tern_bb_put(struct tern_bind_bucket *tb)
{
	if (hlist_empty(&tb->owners)) {
		hlist_del(&tb->node);
		kmem_cache_free(tern_bind_cachep, tb);
	}
}

/*
 * sk takes tb's port. shared: connect()'s scan chose it, and other
 * connections may share it as long as the four-tuples differ.
 */
static void tern_bb_add(struct tern_bind_bucket *tb, struct sock *sk,
			bool shared)
{
	inet_sk(sk)->inet_num = tb->port;
	tern_sk(sk)->port_shared = shared;
	if (!shared)
		tb->fixed++;
	sk_add_bind_node(sk, &tb->owners);
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
	/* a TIME_WAIT has no owner (nor sk_uid): as inet_bind_conflict() */
	if (sk->sk_reuseport && sk2->sk_reuseport &&
	    (sk2->sk_state == TCP_TIME_WAIT ||
	     uid_eq(sock_i_uid((struct sock *)sk), sock_i_uid((struct sock *)sk2))))
		return false;
	return inet_rcv_saddr_equal(sk, sk2, true);
}

/* Called with the bucket's head locked. */
static bool tern_bb_conflict(const struct tern_bind_bucket *tb,
			     const struct sock *sk)
{
	struct sock *sk2;

	sk_for_each_bound(sk2, &tb->owners) {
		if (sk2 != sk && tern_bind_conflict(sk, sk2))
			return true;
	}
	return false;
}

/*
 * Bind sk to snum, or to a free ephemeral port when snum is zero (bind()
 * to port 0, listen() on an unbound socket). Such a port is one no socket
 * of the namespace holds at all, so that an explicit bind elsewhere never
 * collides with it; connect() shares ports instead (tern_connect_port).
 */
int tern_get_port(struct sock *sk, unsigned short snum)
{
	struct net *net = sock_net(sk);
	struct tern_bind_bucket *tb;
	struct tern_bhead *head;
	int low, high, remaining;
	u32 offset;
	u16 port;

	if (snum) {
		int err = 0;

		head = tern_bhead(net, snum);
		spin_lock_bh(&head->lock);
		tb = tern_bb_find(head, net, snum);
		if (tb && tern_bb_conflict(tb, sk)) {
			err = -EADDRINUSE;
		} else {
			tb = tern_bb_get(head, net, snum);
			if (tb)
				tern_bb_add(tb, sk, false);
			else
				err = -ENOMEM;
		}
		spin_unlock_bh(&head->lock);
		return err;
	}

	inet_sk_get_local_port_range(sk, &low, &high);
	remaining = high - low + 1;
	offset = get_random_u32_below(remaining);
	for (; remaining > 0; remaining--, offset++) {
		port = low + offset % (high - low + 1);
		if (inet_is_local_reserved_port(net, port))
			continue;
		head = tern_bhead(net, port);
		spin_lock_bh(&head->lock);
		if (!tern_bb_find(head, net, port)) {
			tb = tern_bb_get(head, net, port);
			if (tb)
				tern_bb_add(tb, sk, false);
			spin_unlock_bh(&head->lock);
			return tb ? 0 : -ENOMEM;
		}
		spin_unlock_bh(&head->lock);
		cond_resched();
	}
	return -EADDRINUSE;	/* as TCP's bind() when the range is exhausted */
}

/* Release the port sk holds, if any. */
void tern_put_port(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct tern_bind_bucket *tb;
	struct tern_bhead *head;

	if (!inet->inet_num)
		return;
	head = tern_bhead(net, inet->inet_num);
	spin_lock_bh(&head->lock);
	if (!hlist_unhashed(&sk->sk_bind_node)) {
		tb = tern_bb_find(head, net, inet->inet_num);
		hlist_del_init(&sk->sk_bind_node);
		if (!tern_sk(sk)->port_shared)
			tb->fixed--;
		tern_bb_put(tb);
	}
	inet->inet_num = 0;
	spin_unlock_bh(&head->lock);
	inet->inet_sport = 0;
}

/*
 * A child connection holds its listener's port, as in TCP. It starts as
 * a copy of the listener: none of the listener's table state is its own.
 */
int tern_bind_child(struct sock *child, const struct sock *listener)
{
	u16 port = inet_sk(listener)->inet_num;
	struct net *net = sock_net(child);
	struct tern_bhead *head = tern_bhead(net, port);
	struct tern_bind_bucket *tb;

	sk_node_init(&child->sk_bind_node);
	tern_sk(child)->listen_hashed = 0;
	tern_sk(child)->port_shared = 0;
	sock_reset_flag(child, SOCK_RCU_FREE);	/* a listener's, not ours */

	spin_lock_bh(&head->lock);
	tb = tern_bb_get(head, net, port);
	if (tb)
		tern_bb_add(tb, child, false);
	spin_unlock_bh(&head->lock);
	return tb ? 0 : -ENOMEM;
}

/* ---- connections ---- */

/* Keyed (as inet_ehashfn), so that nobody can aim segments at a bucket. */
static u32 tern_ehashfn4(const struct net *net, __be32 laddr, u16 lport,
			 __be32 raddr, __be16 rport)
{
	return (u32)siphash_4u32((__force u32)laddr, (__force u32)raddr,
				 (u32)lport << 16 | (__force u16)rport,
				 net_hash_mix(net), &tern_ehash_secret);
}

struct tern_key6 {
	struct in6_addr laddr;
	struct in6_addr raddr;
	u32 ports;
	u32 net;
} __aligned(SIPHASH_ALIGNMENT);

static u32 tern_ehashfn6(const struct net *net, const struct in6_addr *laddr,
			 u16 lport, const struct in6_addr *raddr,
			 __be16 rport)
{
	struct tern_key6 key = {
		.laddr = *laddr,
		.raddr = *raddr,
		.ports = (u32)lport << 16 | (__force u16)rport,
		.net = net_hash_mix(net),
	};

	return (u32)siphash(&key, sizeof(key), &tern_ehash_secret);
}

/*
 * A connection to an IPv4 peer, from an IPv4 socket or an IPv6 one through
 * a v4-mapped address, is keyed by its IPv4 addresses: the segments that
 * belong to it arrive as IPv4.
 */
static bool tern_sk_v4(const struct sock *sk)
{
	return sk->sk_family == AF_INET || ipv6_addr_v4mapped(&sk->sk_v6_daddr);
}

static u32 tern_sk_ehashfn(const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (tern_sk_v4(sk))
		return tern_ehashfn4(sock_net(sk), inet->inet_rcv_saddr,
				     inet->inet_num, inet->inet_daddr,
				     inet->inet_dport);
	return tern_ehashfn6(sock_net(sk), &sk->sk_v6_rcv_saddr,
			     inet->inet_num, &sk->sk_v6_daddr,
			     inet->inet_dport);
}

static spinlock_t *tern_ehash_lock(u32 hash)
{
	return &tern_ehash_locks[hash & tern_ehash_locks_mask];
}

/* Do two connections have the same four-tuple in the same namespace? */
static bool tern_same_tuple(const struct sock *a, const struct sock *b)
{
	const struct inet_sock *ia = inet_sk(a), *ib = inet_sk(b);
	bool v4 = tern_sk_v4(a);

	if (ia->inet_num != ib->inet_num || ia->inet_dport != ib->inet_dport ||
	    v4 != tern_sk_v4(b) || !net_eq(sock_net(a), sock_net(b)))
		return false;
	if (v4)
		return ia->inet_daddr == ib->inet_daddr &&
		       ia->inet_rcv_saddr == ib->inet_rcv_saddr;
	return ipv6_addr_equal(&a->sk_v6_daddr, &b->sk_v6_daddr) &&
	       ipv6_addr_equal(&a->sk_v6_rcv_saddr, &b->sk_v6_rcv_saddr);
}

/*
 * Put sk in the established table unless its four-tuple is there
 * already (-EADDRNOTAVAIL); hold: the table takes a reference of its own.
 */
static int tern_ehash_add_unique(struct sock *sk, bool hold)
{
	u32 hash = tern_sk_ehashfn(sk);
	struct hlist_nulls_head *head = &tern_ehash[hash & tern_ehash_mask];
	spinlock_t *lock = tern_ehash_lock(hash);
	struct hlist_nulls_node *node;
	struct sock *sk2;
	int err = 0;

	spin_lock_bh(lock);
	sk_nulls_for_each(sk2, node, head) {
		if (sk2->sk_hash == hash && tern_same_tuple(sk, sk2)) {
			err = -EADDRNOTAVAIL;
			goto out;
		}
	}
	sk->sk_hash = hash;
	if (hold)
		sk_nulls_add_node_rcu(sk, head);
	else
		__sk_nulls_add_node_rcu(sk, head);
out:
	spin_unlock_bh(lock);
	return err;
}

/*
 * Add a connection whose four-tuple is set and whose port is bound;
 * -EADDRNOTAVAIL if another connection has the four-tuple.
 */
int tern_hash_conn(struct sock *sk)
{
	if (hlist_unhashed(&sk->sk_bind_node))
		return -EADDRNOTAVAIL;	/* its port was never bound */
	return tern_ehash_add_unique(sk, true);
}

/*
 * A request (TCP_NEW_SYN_RECV) joins the table like a connection, so
 * that the handshake's last segment finds it without the listener; the
 * caller's references already count the table's. -EADDRNOTAVAIL if the
 * four-tuple is taken (a SYN for it raced on another CPU).
 */
int tern_hash_req(struct sock *sk)
{
	return tern_ehash_add_unique(sk, false);
}

/*
 * Take a request out of the table; true for the one caller that did,
 * which then owns the table's reference.
 */
bool tern_unhash_req(struct sock *sk)
{
	spinlock_t *lock = tern_ehash_lock(sk->sk_hash);
	bool done = false;

	spin_lock_bh(lock);
	if (!sk_unhashed(sk)) {
		__sk_nulls_del_node_init_rcu(sk);
		done = true;
	}
	spin_unlock_bh(lock);
	return done;
}

/*
 * The child sk takes the place of its request osk in one step under the
 * bucket's lock, as inet_ehash_insert() with osk: a lookup finds one or
 * the other, never neither. False if osk was gone already (another CPU
 * completed or dropped it): sk is not added. The caller owns osk's
 * table reference on success.
 */
bool tern_hash_replace(struct sock *sk, struct sock *osk)
{
	u32 hash = osk->sk_hash;
	spinlock_t *lock = tern_ehash_lock(hash);
	bool done = false;

	if (hlist_unhashed(&sk->sk_bind_node))
		return false;	/* its port was never bound */
	spin_lock_bh(lock);
	if (!sk_unhashed(osk)) {
		/*
		 * In place, as sk_nulls_replace_node_init_rcu() (whose put
		 * of osk is the caller's here): removed, then added at the
		 * head, both would be missed by a lookup that ran between,
		 * and the segment go to the listener, which resets it.
		 */
		sk->sk_hash = hash;
		sock_hold(sk);
		hlist_nulls_replace_init_rcu(&osk->sk_nulls_node,
					     &sk->sk_nulls_node);
		done = true;
	}
	spin_unlock_bh(lock);
	return done;
}

static void tern_unhash_listener(struct sock *sk)
{
	struct tern_lhead *lh = &tern_lhash[sk->sk_hash & tern_lhash_mask];

	spin_lock_bh(&lh->lock);
	__sk_nulls_del_node_init_rcu(sk);
	tern_sk(sk)->listen_hashed = 0;
	spin_unlock_bh(&lh->lock);
}

/* Take sk out of the connection or the listener table, if it is in one. */
void tern_unhash_conn(struct sock *sk)
{
	if (sk_unhashed(sk))
		return;
	if (tern_sk(sk)->listen_hashed) {
		tern_unhash_listener(sk);
		return;
	}
	spin_lock_bh(tern_ehash_lock(sk->sk_hash));
	sk_nulls_del_node_init_rcu(sk);
	spin_unlock_bh(tern_ehash_lock(sk->sk_hash));
}

/*
 * sk enters TIME_WAIT: tw takes its place on its port and in the
 * established table, with its timer armed (timeo jiffies), as
 * inet_twsk_hashdance_schedule(): tw goes in before sk comes out, under
 * the bucket's lock, so a lookup always finds one of them; and the
 * timer is armed under the locks a purge or a lookup's end would need,
 * so none of them meets a TIME_WAIT it cannot end. False, with tw not
 * published, when sk is not in the table or its namespace is going.
 */
bool tern_hash_tw(struct tern_tw_sock *tw, struct sock *sk,
		  unsigned long timeo)
{
	u16 port = inet_sk(sk)->inet_num;
	struct net *net = sock_net(sk);
	struct tern_bhead *bhead = tern_bhead(net, port);
	struct sock *twsk = (struct sock *)tw;
	struct tern_bind_bucket *tb;
	spinlock_t *lock = tern_ehash_lock(sk->sk_hash);
	bool ok = false;

	spin_lock_bh(&bhead->lock);
	/* tern_net_exit() sets it before its purge walks the ports */
	if (READ_ONCE(tern_pernet(net)->dying) || sk_unhashed(sk) ||
	    tern_sk(sk)->listen_hashed || hlist_unhashed(&sk->sk_bind_node))
		goto out;
	tb = tern_bb_find(bhead, net, port);
	if (WARN_ON_ONCE(!tb))
		goto out;
	if (!tw->tt_port_shared)
		tb->fixed++;
	sk_add_bind_node(twsk, &tb->owners);

	spin_lock(lock);
	/* the fields first, then the count that lets a lookup hold it */
	smp_wmb();
	refcount_set(&tw->tt_common.skc_refcnt, 1);
	mod_timer(&tw->tt_timer, jiffies + timeo);
	hlist_nulls_add_head_rcu(&tw->tt_common.skc_nulls_node,
				 &tern_ehash[sk->sk_hash & tern_ehash_mask]);
	sk_nulls_del_node_init_rcu(sk);		/* the table's reference */
	spin_unlock(lock);
	ok = true;
out:
	spin_unlock_bh(&bhead->lock);
	return ok;
}

/* The TIME_WAIT is over: out of the established table and off its port. */
void tern_unhash_tw(struct tern_tw_sock *tw)
{
	struct sock *twsk = (struct sock *)tw;
	struct net *net = sock_net(twsk);
	u16 port = tw->tt_common.skc_num;
	struct tern_bhead *bhead = tern_bhead(net, port);
	spinlock_t *lock = tern_ehash_lock(twsk->sk_hash);
	struct tern_bind_bucket *tb;

	spin_lock_bh(&bhead->lock);
	spin_lock(lock);
	hlist_nulls_del_init_rcu(&tw->tt_common.skc_nulls_node);
	spin_unlock(lock);
	tb = tern_bb_find(bhead, net, port);
	hlist_del_init(&twsk->sk_bind_node);
	if (!WARN_ON_ONCE(!tb)) {
		if (!tw->tt_port_shared)
			tb->fixed--;
		tern_bb_put(tb);
	}
	spin_unlock_bh(&bhead->lock);
}

/* ---- listeners ---- */

static unsigned int tern_lslot(const struct net *net, u16 port)
{
	return (port + net_hash_mix(net)) & tern_lhash_mask;
}

/* A bound socket starts listening: segments to its port may find it. */
void tern_hash_listen(struct sock *sk)
{
	unsigned int slot = tern_lslot(sock_net(sk), inet_sk(sk)->inet_num);
	struct tern_lhead *lh = &tern_lhash[slot];

	if (tern_sk(sk)->listen_hashed)
		return;
	tern_unhash_conn(sk);	/* never both: one node for the two tables */
	/* readers score listeners without a reference (as TCP's) */
	sock_set_flag(sk, SOCK_RCU_FREE);
	spin_lock_bh(&lh->lock);
	sk->sk_hash = slot;
	tern_sk(sk)->listen_hashed = 1;
	__sk_nulls_add_node_rcu(sk, &lh->head);
	spin_unlock_bh(&lh->lock);
}

/* ---- lookups ---- */

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

/*
 * The connection of a four-tuple, held, or NULL; under RCU. The object a
 * reader is on may be freed and reused meanwhile (SLAB_TYPESAFE_BY_RCU):
 * a match counts only once it holds a reference and matches still, and a
 * walk that ends on another chain's nulls value starts again.
 */
static struct sock *tern_ehash_lookup(const struct tern_tuple *t, u32 hash)
{
	unsigned int slot = hash & tern_ehash_mask;
	struct hlist_nulls_node *node;
	struct sock *sk;

begin:
	sk_nulls_for_each_rcu(sk, node, &tern_ehash[slot]) {
		if (sk->sk_hash != hash || !tern_conn_match(sk, t))
			continue;
		if (unlikely(!refcount_inc_not_zero(&sk->sk_refcnt)))
			return NULL;	/* being freed: gone from the table */
		if (unlikely(hlist_nulls_unhashed_lockless(&sk->sk_nulls_node) ||
			     sk->sk_hash != hash || !tern_conn_match(sk, t))) {
			tern_sk_put(sk);
			goto begin;
		}
		return sk;
	}
	if (get_nulls_value(node) != slot)
		goto begin;
	return NULL;
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

/* The listener that fits a segment best, held, or NULL; under RCU. */
static struct sock *tern_listener_lookup(const struct tern_tuple *t, u32 hash)
{
	unsigned int slot = tern_lslot(t->net, ntohs(t->dport));
	struct hlist_nulls_head *head = &tern_lhash[slot].head;
	struct hlist_nulls_node *node;
	struct sock *sk, *best;
	int score, best_score;
	u32 group;

begin:
	best = NULL;
	best_score = 0;
	group = 0;
	sk_nulls_for_each_rcu(sk, node, head) {
		score = tern_listener_score(sk, t);
		if (!score)
			continue;
		if (score > best_score) {
			best = sk;
			best_score = score;
			group = 0;
		}
		if (score == best_score && sk->sk_reuseport)
			group++;
	}
	/* a listener moved to another chain took the walk with it */
	if (get_nulls_value(node) != tern_lnulls(slot))
		goto begin;
	/*
	 * SO_REUSEPORT listeners that fit equally well share the
	 * connections: the four-tuple's hash picks one, as in TCP.
	 */
	if (best && best->sk_reuseport && group > 1) {
		group = reciprocal_scale(hash, group);
		sk_nulls_for_each_rcu(sk, node, head) {
			if (!sk->sk_reuseport ||
			    tern_listener_score(sk, t) != best_score)
				continue;
			if (!group--) {
				best = sk;
				break;
			}
		}
	}
	/* SOCK_RCU_FREE: best is still a socket; is it still listening? */
	if (!best || !refcount_inc_not_zero(&best->sk_refcnt))
		return NULL;
	if (unlikely(tern_listener_score(best, t) != best_score)) {
		sock_put(best);
		return NULL;
	}
	return best;
}

/* The connection, else the best listener, for a segment; held. */
static struct sock *tern_lookup(const struct tern_tuple *t, u32 hash)
{
	struct sock *sk;

	rcu_read_lock();
	sk = tern_ehash_lookup(t, hash);
	if (!sk)
		sk = tern_listener_lookup(t, hash);
	rcu_read_unlock();
	return sk;
}

struct sock *tern_lookup_v4(struct net *net, __be32 saddr, __be16 sport,
			    __be32 daddr, __be16 dport, int dif)
{
	struct tern_tuple t = {
		.net = net, .v4 = true, .saddr4 = saddr, .daddr4 = daddr,
		.sport = sport, .dport = dport, .dif = dif,
	};

	return tern_lookup(&t, tern_ehashfn4(net, daddr, ntohs(dport), saddr,
					     sport));
}

struct sock *tern_lookup_v6(struct net *net, const struct in6_addr *saddr,
			    __be16 sport, const struct in6_addr *daddr,
			    __be16 dport, int dif)
{
	struct tern_tuple t = {
		.net = net, .saddr6 = saddr, .daddr6 = daddr,
		.sport = sport, .dport = dport, .dif = dif,
	};
	u32 hash;

	/* a v4-mapped peer is keyed as IPv4, as the sockets are */
	if (ipv6_addr_v4mapped(saddr))
		hash = tern_ehashfn4(net, daddr->s6_addr32[3], ntohs(dport),
				     saddr->s6_addr32[3], sport);
	else
		hash = tern_ehashfn6(net, daddr, ntohs(dport), saddr, sport);
	return tern_lookup(&t, hash);
}

/*
 * Let go of what a lookup or a walk returned, by what it is: a socket, a
 * request or a TIME_WAIT (neither of which is a socket: sock_put() would
 * free them as one).
 */
void tern_sk_put(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_NEW_SYN_RECV:
		reqsk_put(inet_reqsk(sk));
		break;
	case TCP_TIME_WAIT:
		tern_tw_put(tern_tw(sk));
		break;
	default:
		sock_put(sk);
	}
}

/* ---- connect() ---- */

/* Where connect()'s scan starts for a destination (RFC 6056, 3.3.4). */
static u64 tern_port_offset(const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct tern_key6 key;

	if (tern_sk_v4(sk))
		return siphash_4u32((__force u32)inet->inet_rcv_saddr,
				    (__force u32)inet->inet_daddr,
				    (__force u16)inet->inet_dport,
				    net_hash_mix(sock_net(sk)),
				    &tern_port_secret);
	memset(&key, 0, sizeof(key));
	key.laddr = sk->sk_v6_rcv_saddr;
	key.raddr = sk->sk_v6_daddr;
	key.ports = (__force u16)inet->inet_dport;
	key.net = net_hash_mix(sock_net(sk));
	return siphash(&key, sizeof(key), &tern_port_secret);
}

/*
 * connect() on a socket with no port: the first port from a
 * per-destination offset that no bind(), listener or listener's child
 * holds and that gives a four-tuple no other connection has, as
 * __inet_hash_connect. Connections to different peers share ports, so a
 * namespace is not limited to one connection per ephemeral port; TIME_WAIT
 * keeps its four-tuple, so a quick reconnect never meets its old self.
 */
static int tern_hash_connect(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct tern_bind_bucket *tb;
	struct tern_bhead *head;
	u32 index, offset, range;
	int low, high, err;
	u64 port_offset;
	u32 i, step;
	u16 port;

	inet_sk_get_local_port_range(sk, &low, &high);
	range = high - low + 1;
	port_offset = tern_port_offset(sk);
	index = port_offset & (TERN_PERTURB_SIZE - 1);
	offset = (READ_ONCE(tern_port_perturb[index]) +
		  (u32)(port_offset >> 32)) % range;

	for (i = 0; i < range; i++) {
		port = low + (offset + i) % range;
		if (inet_is_local_reserved_port(net, port))
			continue;
		head = tern_bhead(net, port);
		spin_lock_bh(&head->lock);
		tb = tern_bb_find(head, net, port);
		if (tb && tb->fixed)
			goto next;	/* bound on purpose: not to share */
		if (!tb) {
			tb = tern_bb_get(head, net, port);
			if (!tb) {
				spin_unlock_bh(&head->lock);
				return -ENOMEM;
			}
		}
		tern_bb_add(tb, sk, true);
		inet->inet_sport = htons(port);
		err = tern_hash_conn(sk);
		if (!err) {
			spin_unlock_bh(&head->lock);
			/* the next scan for this offset starts further on */
			step = max_t(u32, i, get_random_u32_below(8)) + 1;
			WRITE_ONCE(tern_port_perturb[index],
				   READ_ONCE(tern_port_perturb[index]) + step);
			return 0;
		}
		hlist_del_init(&sk->sk_bind_node);
		tern_bb_put(tb);
		inet->inet_num = 0;
		inet->inet_sport = 0;
next:
		spin_unlock_bh(&head->lock);
		cond_resched();
	}
	return -EADDRNOTAVAIL;
}

/*
 * connect(): a socket bound already needs its four-tuple free; one with
 * no port gets one that makes it so.
 */
int tern_connect_port(struct sock *sk)
{
	if (inet_sk(sk)->inet_num)
		return tern_hash_conn(sk);
	return tern_hash_connect(sk);
}

/* ---- walking a namespace's sockets ---- */

#define TERN_WALK_BATCH	32

static bool tern_walk_take(struct sock *sk, struct sock **batch,
			   unsigned int *n)
{
	if (refcount_inc_not_zero(&sk->sk_refcnt))
		batch[(*n)++] = sk;
	return *n < TERN_WALK_BATCH;
}

/*
 * Up to TERN_WALK_BATCH sockets of net bound in head, held: those after
 * cursor if it is still bound there, else those after the first skip.
 * Called with head->lock.
 */
static unsigned int tern_walk_fill(struct tern_bhead *head,
				   const struct net *net, struct sock *cursor,
				   unsigned int skip, struct sock **batch)
{
	struct tern_bind_bucket *tb = NULL;
	struct sock *sk = cursor;
	unsigned int n = 0;

	if (cursor && !hlist_unhashed(&cursor->sk_bind_node))
		tb = tern_bb_find(head, net, inet_sk(cursor)->inet_num);
	if (tb) {
		hlist_for_each_entry_continue(sk, sk_bind_node) {
			if (!tern_walk_take(sk, batch, &n))
				return n;
		}
		hlist_for_each_entry_continue(tb, node) {
			if (!net_eq(read_pnet(&tb->net), net))
				continue;
			sk_for_each_bound(sk, &tb->owners) {
				if (!tern_walk_take(sk, batch, &n))
					return n;
			}
		}
		return n;
	}
	hlist_for_each_entry(tb, &head->chain, node) {
		if (!net_eq(read_pnet(&tb->net), net))
			continue;
		sk_for_each_bound(sk, &tb->owners) {
			if (skip) {
				skip--;
				continue;
			}
			if (!tern_walk_take(sk, batch, &n))
				return n;
		}
	}
	return n;
}

/*
 * Call fn on every socket of net that holds a port (listeners,
 * connections, sockets only bound) and every TIME_WAIT (not
 * sk_fullsock()), each held for the call and
 * with no table lock taken: fn may lock the socket, sleep, close or reset
 * it. A socket bound or released during the walk may be missed or seen
 * twice, as in an inet_diag dump; but one that fn itself releases counts
 * for nothing, so a walk that releases each socket it is given (a purge)
 * sees them all.
 */
void tern_walk_sockets(struct net *net,
		       void (*fn)(struct sock *sk, void *arg), void *arg)
{
	struct sock *batch[TERN_WALK_BATCH], *cursor;
	unsigned int i, j, n, done;

	for (i = 0; i <= tern_bhash_mask; i++) {
		struct tern_bhead *head = &tern_bhash[i];

		if (hlist_empty(&head->chain))
			continue;
		cursor = NULL;
		done = 0;
		do {
			spin_lock_bh(&head->lock);
			n = tern_walk_fill(head, net, cursor, done, batch);
			spin_unlock_bh(&head->lock);
			if (cursor)
				tern_sk_put(cursor);
			cursor = NULL;
			for (j = 0; j < n; j++) {
				fn(batch[j], arg);
				if (!hlist_unhashed_lockless(&batch[j]->sk_bind_node))
					done++;
				if (j == TERN_WALK_BATCH - 1)
					cursor = batch[j];	/* keep it held */
				else
					tern_sk_put(batch[j]);
			}
			cond_resched();
		} while (cursor);
	}
}

static void tern_show_one(struct sock *sk, void *seq)
{
	tern_show_sock(seq, sk);
}

/* Show each bound socket of net (listeners, connections). */
void tern_show_bound(struct seq_file *seq, struct net *net)
{
	tern_walk_sockets(net, tern_show_one, seq);
}

/* ---- sock_diag's walk (diag.c) ---- */

/* Buckets of the listener table (TERN_DIAG_LISTEN) or the other. */
unsigned int tern_diag_buckets(int table)
{
	return table == TERN_DIAG_LISTEN ? tern_lhash_mask + 1 :
					   tern_ehash_mask + 1;
}

/*
 * Up to max entries of net in bucket i of table, from its skip-th on
 * (counting every entry of net, matched or not, so that a dump can resume
 * where it stopped without holding anything across calls, as
 * inet_diag_dump_icsk's num), that match() accepts: held, with their
 * indices in idx. match() runs under the bucket's lock.
 */
unsigned int tern_diag_bucket(int table, unsigned int i, const struct net *net,
			      unsigned int skip,
			      bool (*match)(struct sock *sk, void *arg),
			      void *arg, struct sock **batch,
			      unsigned int *idx, unsigned int max)
{
	struct hlist_nulls_head *head;
	struct hlist_nulls_node *node;
	unsigned int num = 0, n = 0;
	spinlock_t *lock;	/* the bucket's writers' */
	struct sock *sk;

	if (table == TERN_DIAG_LISTEN) {
		head = &tern_lhash[i].head;
		lock = &tern_lhash[i].lock;
	} else {
		head = &tern_ehash[i];
		lock = &tern_ehash_locks[i & tern_ehash_locks_mask];
	}
	if (hlist_nulls_empty(head))
		return 0;
	spin_lock_bh(lock);
	sk_nulls_for_each(sk, node, head) {
		if (!net_eq(sock_net(sk), net))
			continue;
		if (num++ < skip || !match(sk, arg))
			continue;
		if (!refcount_inc_not_zero(&sk->sk_refcnt))
			continue;
		idx[n] = num - 1;
		batch[n++] = sk;
		if (n == max)
			break;
	}
	spin_unlock_bh(lock);
	return n;
}

#include "hash_test.c"
