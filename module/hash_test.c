// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for hash.c, which includes this file at its end: how a
 * segment's addresses pick a socket once its chain is found. Listeners
 * are scored (tern_listener_score: 0 does not fit, more specific fits
 * better, as TCP's lookup prefers); connections match their four-tuple
 * one way round only, IPv4 segments reaching v4-mapped IPv6 sockets
 * (tern_conn_match). No table is touched: the sockets are built here.
 */
#if IS_ENABLED(CONFIG_KUNIT)

#include <net/transp_v6.h>

#include "tern_kunit.h"

#define TERN_TEST_CLIENT4	htonl(0xc0000201)	/* 192.0.2.1 */
#define TERN_TEST_LOCAL4	htonl(0xc0000202)	/* 192.0.2.2 */
#define TERN_TEST_OTHER4	htonl(0xc0000203)	/* 192.0.2.3 */

/* 2001:db8::last */
static void tern_test_addr6(struct in6_addr *a, u32 last)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr32[0] = htonl(0x20010db8);
	a->s6_addr32[3] = htonl(last);
}

/* A segment from 40000 to 5000, on interface 3, in init_net. */
static void tern_test_tuple(struct kunit *test, struct tern_tuple *t,
			    bool v4)
{
	struct in6_addr *s6, *d6;

	s6 = kunit_kzalloc(test, sizeof(*s6), GFP_KERNEL);
	d6 = kunit_kzalloc(test, sizeof(*d6), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s6);
	KUNIT_ASSERT_NOT_NULL(test, d6);
	tern_test_addr6(s6, 1);
	tern_test_addr6(d6, 2);
	memset(t, 0, sizeof(*t));
	t->net = &init_net;
	t->v4 = v4;
	t->saddr4 = TERN_TEST_CLIENT4;
	t->daddr4 = TERN_TEST_LOCAL4;
	t->saddr6 = s6;
	t->daddr6 = d6;
	t->sport = htons(40000);
	t->dport = htons(5000);
	t->dif = 3;
}

/*
 * A socket of family in state on local port 5000, in init_net, bound to
 * the IPv4 address addr4 (0: any) or, for AF_INET6, to the IPv6 address
 * v6 (NULL: any, or v4-mapped addr4 when addr4 is set).
 */
static struct sock *tern_test_hsock(struct kunit *test, int family, int state,
				    __be32 addr4, const struct in6_addr *v6)
{
	struct sock *sk = (struct sock *)tern_kunit_sock(test);

	sk->sk_family = family;
	sk->sk_state = state;
	sock_net_set(sk, &init_net);
	inet_sk(sk)->inet_num = 5000;
	sk->sk_rcv_saddr = addr4;
	if (family == AF_INET6) {
		if (v6)
			sk->sk_v6_rcv_saddr = *v6;
		else if (addr4)
			ipv6_addr_set_v4mapped(addr4, &sk->sk_v6_rcv_saddr);
	}
	return sk;
}

static struct sock *tern_test_listener(struct kunit *test, int family,
				       __be32 addr4,
				       const struct in6_addr *v6)
{
	return tern_test_hsock(test, family, TCP_LISTEN, addr4, v6);
}

/* IPv4 segments: a bound address first, then a device, then the family. */
static void tern_listener_v4(struct kunit *test)
{
	struct in6_addr native;
	struct tern_tuple t;
	int any4, addr4, dev4, any6, mapped6;
	struct sock *sk;

	tern_test_tuple(test, &t, true);
	tern_test_addr6(&native, 2);

	any4 = tern_listener_score(tern_test_listener(test, AF_INET, 0, NULL),
				   &t);
	addr4 = tern_listener_score(tern_test_listener(test, AF_INET,
						       TERN_TEST_LOCAL4, NULL),
				    &t);
	sk = tern_test_listener(test, AF_INET, 0, NULL);
	sk->sk_bound_dev_if = 3;
	dev4 = tern_listener_score(sk, &t);
	any6 = tern_listener_score(tern_test_listener(test, AF_INET6, 0, NULL),
				   &t);
	mapped6 = tern_listener_score(tern_test_listener(test, AF_INET6,
							 TERN_TEST_LOCAL4,
							 NULL),
				      &t);
	KUNIT_EXPECT_GT(test, any6, 0);
	KUNIT_EXPECT_GT(test, any4, any6);	/* IPv4 before dual-stack */
	KUNIT_EXPECT_GT(test, dev4, any4);
	KUNIT_EXPECT_GT(test, mapped6, dev4);	/* an address before all */
	KUNIT_EXPECT_GT(test, addr4, mapped6);

	/* device and address both */
	sk = tern_test_listener(test, AF_INET, TERN_TEST_LOCAL4, NULL);
	sk->sk_bound_dev_if = 3;
	KUNIT_EXPECT_GT(test, tern_listener_score(sk, &t), addr4);

	/* what does not fit */
	KUNIT_EXPECT_EQ(test, 0,
			tern_listener_score(tern_test_listener(test, AF_INET,
							       TERN_TEST_OTHER4,
							       NULL), &t));
	KUNIT_EXPECT_EQ(test, 0,
			tern_listener_score(tern_test_listener(test, AF_INET6,
							       TERN_TEST_OTHER4,
							       NULL), &t));
	/* bound to an IPv6 address (inet_rcv_saddr is then 127.0.0.6) */
	KUNIT_EXPECT_EQ(test, 0,
			tern_listener_score(tern_test_listener(test, AF_INET6,
							       LOOPBACK4_IPV6,
							       &native), &t));
	sk = tern_test_listener(test, AF_INET6, 0, NULL);
	sk->sk_ipv6only = 1;
	KUNIT_EXPECT_EQ(test, 0, tern_listener_score(sk, &t));
	sk = tern_test_listener(test, AF_INET, TERN_TEST_LOCAL4, NULL);
	sk->sk_bound_dev_if = 4;
	KUNIT_EXPECT_EQ(test, 0, tern_listener_score(sk, &t));
}

/* IPv6 segments: IPv6 listeners only, v6-only or not alike. */
static void tern_listener_v6(struct kunit *test)
{
	struct in6_addr local, other;
	int any, addr, dev;
	struct tern_tuple t;
	struct sock *sk;

	tern_test_tuple(test, &t, false);
	tern_test_addr6(&local, 2);
	tern_test_addr6(&other, 3);

	any = tern_listener_score(tern_test_listener(test, AF_INET6, 0, NULL),
				  &t);
	addr = tern_listener_score(tern_test_listener(test, AF_INET6,
						      LOOPBACK4_IPV6, &local),
				   &t);
	sk = tern_test_listener(test, AF_INET6, 0, NULL);
	sk->sk_bound_dev_if = 3;
	dev = tern_listener_score(sk, &t);
	KUNIT_EXPECT_GT(test, any, 0);
	KUNIT_EXPECT_GT(test, dev, any);
	KUNIT_EXPECT_GT(test, addr, dev);
	sk = tern_test_listener(test, AF_INET6, 0, NULL);
	sk->sk_ipv6only = 1;
	KUNIT_EXPECT_EQ(test, tern_listener_score(sk, &t), any);

	KUNIT_EXPECT_EQ(test, 0,
			tern_listener_score(tern_test_listener(test, AF_INET, 0,
							       NULL), &t));
	KUNIT_EXPECT_EQ(test, 0,
			tern_listener_score(tern_test_listener(test, AF_INET6,
							       LOOPBACK4_IPV6,
							       &other), &t));
	KUNIT_EXPECT_EQ(test, 0,
			tern_listener_score(tern_test_listener(test, AF_INET6,
							       TERN_TEST_LOCAL4,
							       NULL), &t));
	sk = tern_test_listener(test, AF_INET6, 0, NULL);
	sk->sk_bound_dev_if = 4;
	KUNIT_EXPECT_EQ(test, 0, tern_listener_score(sk, &t));
}

/* Only a listener on the port, namespace and device of the segment. */
static void tern_listener_elsewhere(struct kunit *test)
{
	static const int states[] = {
		TCP_ESTABLISHED, TCP_SYN_RECV, TCP_CLOSE, TCP_TIME_WAIT,
	};
	struct tern_tuple t;
	struct net *other;
	struct sock *sk;
	int i;

	tern_test_tuple(test, &t, true);
	sk = tern_test_listener(test, AF_INET, TERN_TEST_LOCAL4, NULL);
	KUNIT_ASSERT_GT(test, tern_listener_score(sk, &t), 0);

	for (i = 0; i < ARRAY_SIZE(states); i++) {
		sk->sk_state = states[i];
		KUNIT_EXPECT_EQ_MSG(test, 0, tern_listener_score(sk, &t),
				    "state %d", states[i]);
	}
	sk->sk_state = TCP_LISTEN;

	t.dport = htons(5001);
	KUNIT_EXPECT_EQ(test, 0, tern_listener_score(sk, &t));
	t.dport = htons(40000);	/* the source port is not the listener's */
	KUNIT_EXPECT_EQ(test, 0, tern_listener_score(sk, &t));
	t.dport = htons(5000);

	if (IS_ENABLED(CONFIG_NET_NS)) {
		other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, other);
		sock_net_set(sk, other);
		KUNIT_EXPECT_EQ(test, 0, tern_listener_score(sk, &t));
		sock_net_set(sk, &init_net);
	}

	sk->sk_bound_dev_if = 3;
	t.dif = 0;
	KUNIT_EXPECT_EQ(test, 0, tern_listener_score(sk, &t));
	t.dif = 3;
	KUNIT_EXPECT_GT(test, tern_listener_score(sk, &t), 0);
}

/* A connection from 5000 to the client's 40000, as the segment's reply. */
static struct sock *tern_test_conn(struct kunit *test, int family, bool v4)
{
	struct sock *sk;

	sk = tern_test_hsock(test, family, TCP_ESTABLISHED,
			     v4 ? TERN_TEST_LOCAL4 : LOOPBACK4_IPV6, NULL);
	inet_sk(sk)->inet_dport = htons(40000);
	if (v4) {
		sk->sk_daddr = TERN_TEST_CLIENT4;
		if (family == AF_INET6)
			ipv6_addr_set_v4mapped(TERN_TEST_CLIENT4,
					       &sk->sk_v6_daddr);
	} else {
		sk->sk_daddr = LOOPBACK4_IPV6;
		tern_test_addr6(&sk->sk_v6_daddr, 1);
		tern_test_addr6(&sk->sk_v6_rcv_saddr, 2);
	}
	return sk;
}

static void tern_conn_four_tuple(struct kunit *test)
{
	struct sock *c4 = tern_test_conn(test, AF_INET, true);
	struct sock *mapped = tern_test_conn(test, AF_INET6, true);
	struct sock *c6 = tern_test_conn(test, AF_INET6, false);
	struct tern_tuple t4, t6, t;

	tern_test_tuple(test, &t4, true);
	tern_test_tuple(test, &t6, false);

	KUNIT_EXPECT_TRUE(test, tern_conn_match(c4, &t4));
	KUNIT_EXPECT_TRUE(test, tern_conn_match(mapped, &t4));
	KUNIT_EXPECT_TRUE(test, tern_conn_match(c6, &t6));
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c4, &t6));
	KUNIT_EXPECT_FALSE(test, tern_conn_match(mapped, &t6));
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c6, &t4));

	/* the other way round: ports, then addresses, swapped */
	t = t4;
	t.sport = t4.dport;
	t.dport = t4.sport;
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c4, &t));
	t = t4;
	t.saddr4 = t4.daddr4;
	t.daddr4 = t4.saddr4;
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c4, &t));
	KUNIT_EXPECT_FALSE(test, tern_conn_match(mapped, &t));
	t = t6;
	t.saddr6 = t6.daddr6;
	t.daddr6 = t6.saddr6;
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c6, &t));

	/* another client port or address */
	t = t4;
	t.sport = htons(40001);
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c4, &t));
	t = t4;
	t.saddr4 = TERN_TEST_OTHER4;
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c4, &t));
	KUNIT_EXPECT_FALSE(test, tern_conn_match(mapped, &t));

	/* a device: the segment's, or none */
	c4->sk_bound_dev_if = 3;
	KUNIT_EXPECT_TRUE(test, tern_conn_match(c4, &t4));
	c4->sk_bound_dev_if = 4;
	KUNIT_EXPECT_FALSE(test, tern_conn_match(c4, &t4));
}

static struct kunit_case tern_hash_cases[] = {
	KUNIT_CASE(tern_listener_v4),
	KUNIT_CASE(tern_listener_v6),
	KUNIT_CASE(tern_listener_elsewhere),
	KUNIT_CASE(tern_conn_four_tuple),
	{}
};

static struct kunit_suite tern_hash_suite = {
	.name = "tern_hash",
	.test_cases = tern_hash_cases,
};

kunit_test_suites(&tern_hash_suite);

#endif /* IS_ENABLED(CONFIG_KUNIT) */
