// SPDX-License-Identifier: GPL-2.0
/*
 * Tern selftests for connections: connect, listen, accept, data, close,
 * shutdown, poll, the queue ioctls and the SOL_TERN options, held to one
 * rule: a Tern socket answers every call as a TCP socket in the same state
 * does.
 *
 * Every test runs for Tern (SOCK_STREAM over IPv4 and IPv6, SOCK_SEQPACKET
 * over IPv4) and for TCP itself (IPv4 and IPv6) with the same code, and
 * every expectation is TCP's: the TCP variants show that each one is what
 * TCP does, so a Tern variant that fails has found a difference.
 *
 * Every test runs in a network namespace of its own (so sysctls and
 * counters are the test's), ends with the protocol's in-use count of
 * /proc/net/protocols back where it started, and bounds every wait (poll
 * timeouts, SO_RCVTIMEO/SO_SNDTIMEO, alarms).
 *
 * A silent peer is made two ways: for connect(), an address on a veth link
 * with ARP off whose far end drops every frame (not addressed to it); for
 * an established connection, netem dropping everything on lo.
 */
#include <limits.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <linux/sockios.h>

#include "conn_util.h"
#include "kselftest_harness.h"

#ifndef TCP_USER_TIMEOUT
#define TCP_USER_TIMEOUT 18
#endif

/* What differs between the protocols, besides the protocol number. */
struct ct_proto {
	int protocol;
	int sol;			/* option level */
	const char *inuse4, *inuse6;	/* /proc/net/protocols names */
	const char *syn_retries;	/* sysctls */
	const char *retries;
	const char *keepalive_time;
	const char *keepalive_intvl;
	const char *keepalive_probes;
};

static const struct ct_proto tern_proto = {
	.protocol = IPPROTO_TERN,
	.sol = SOL_TERN,
	.inuse4 = "TERN",
	.inuse6 = "TERNv6",
	.syn_retries = "/proc/sys/net/tern/syn_retries",
	.retries = "/proc/sys/net/tern/retries",
	.keepalive_time = "/proc/sys/net/tern/keepalive_time",
	.keepalive_intvl = "/proc/sys/net/tern/keepalive_intvl",
	.keepalive_probes = "/proc/sys/net/tern/keepalive_probes",
};

static const struct ct_proto tcp_proto = {
	.protocol = IPPROTO_TCP,
	.sol = SOL_TCP,
	.inuse4 = "TCP",
	.inuse6 = "TCPv6",
	.syn_retries = "/proc/sys/net/ipv4/tcp_syn_retries",
	.retries = "/proc/sys/net/ipv4/tcp_retries2",
	.keepalive_time = "/proc/sys/net/ipv4/tcp_keepalive_time",
	.keepalive_intvl = "/proc/sys/net/ipv4/tcp_keepalive_intvl",
	.keepalive_probes = "/proc/sys/net/ipv4/tcp_keepalive_probes",
};

#define PORT		5000	/* fixed ports of the tests */
#define CLOSED_PORT	5999	/* nobody listens there */
#define WAIT_MS		3000	/* the longest a loopback event may take */
#define BULK		(4 << 20)

/* errno of a call that returned ret: 0 on success */
static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

FIXTURE(conn) {
	long inuse0;
	int dropping;		/* netem drops everything on lo */
};

FIXTURE_VARIANT(conn) {
	int family;
	int type;
	const struct ct_proto *p;
};

FIXTURE_VARIANT_ADD(conn, tern_stream4) {
	.family = AF_INET, .type = SOCK_STREAM, .p = &tern_proto,
};

FIXTURE_VARIANT_ADD(conn, tern_stream6) {
	.family = AF_INET6, .type = SOCK_STREAM, .p = &tern_proto,
};

FIXTURE_VARIANT_ADD(conn, tern_seqpacket4) {
	.family = AF_INET, .type = SOCK_SEQPACKET, .p = &tern_proto,
};

/* the references: every expectation holds for TCP */
FIXTURE_VARIANT_ADD(conn, tcp4) {
	.family = AF_INET, .type = SOCK_STREAM, .p = &tcp_proto,
};

FIXTURE_VARIANT_ADD(conn, tcp6) {
	.family = AF_INET6, .type = SOCK_STREAM, .p = &tcp_proto,
};

FIXTURE_SETUP(conn)
{
	if (variant->p != &tern_proto && !tern_reference_runs())
		SKIP(return, "the TCP reference runs on the stock kernel");
	/*
	 * The sample: IPv4 by seqpacket, IPv6 by stream, each test in one
	 * of the two.
	 */
	if (variant->p == &tern_proto &&
	    ((variant->family == AF_INET && variant->type == SOCK_STREAM) ||
	     !tern_sample_variant(_metadata->name, variant->family == AF_INET6, 2)))
		SKIP(return, "not in the debug kernel's sample (TERN_SAMPLE=1)");
	ASSERT_EQ(0, tern_ensure_loaded());
	ASSERT_EQ(0, tern_new_netns());
	ASSERT_EQ(0, ct_signals_init());
	/*
	 * Closed connections end quickly, so the in-use count is back at
	 * its start when the test ends: a Tern socket in TIME_WAIT is a
	 * full socket and counts (a TCP one is a timewait sock and does
	 * not), and an orphan in FIN_WAIT2 counts for both.
	 */
	if (variant->p == &tern_proto) {
		ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "200"));
		ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/fin_timeout_ms", "1000"));
	} else {
		ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/ipv4/tcp_fin_timeout", "1"));
	}
	self->dropping = 0;
	self->inuse0 = ct_inuse(variant->p->inuse4, variant->p->inuse6);
	ASSERT_LE(0, self->inuse0);
}

FIXTURE_TEARDOWN(conn)
{
	long n;

	ct_alarm_ms(0);
	if (self->dropping)
		ct_sh("tc qdisc del dev lo root");
	syscall(SYS_close_range, 3, ~0U, 0);
	n = ct_wait_inuse(variant->p->inuse4, variant->p->inuse6,
			  self->inuse0, 5000);
	EXPECT_EQ(self->inuse0, n) {
		TH_LOG("%s/%s in use: %ld after the test, %ld before",
		       variant->p->inuse4, variant->p->inuse6, n, self->inuse0);
		ct_sh("cat /proc/net/tern/sockets >&2");
	}
}

/* ------------------------------------------------------------------
 * Helpers: sockets of the variant's kind
 */

#define FAM		(variant->family)
#define LO		ct_loopback(variant->family)
#define SOL		(variant->p->sol)
#define SEQPACKET	(variant->type == SOCK_SEQPACKET)

/* A socket of the variant's type and protocol in family fam. */
#define SOCK(fam) ({ \
	int __fd = socket((fam), variant->type, variant->p->protocol); \
	ASSERT_LE(0, __fd) { \
		TH_LOG("socket: %s", strerror(errno)); \
	} \
	__fd; \
})

/* A listener on addr:port of family fam (port 0: any); its port in *portp. */
#define LISTENER(fam, addr, port, backlog, reuse, portp) ({ \
	int __fd = ct_listener((fam), variant->type, variant->p->protocol, \
			       (addr), (port), (backlog), (reuse), (portp)); \
	ASSERT_LE(0, __fd) { \
		TH_LOG("listener on %s port %d: %s", (addr), (port), \
		       strerror(-__fd)); \
	} \
	__fd; \
})

struct pair {
	int l, c, a;	/* listener, client, accepted */
	int port;	/* the listener's */
};

/*
 * A connection over loopback of family fam: l listening, c connected
 * (blocking connect), a accepted. Every socket gets 10 s receive and send
 * timeouts, so no call of the test blocks for long.
 */
static void make_pair(struct __test_metadata *_metadata,
		      const FIXTURE_VARIANT(conn) *variant, int fam,
		      struct pair *p)
{
	p->l = ct_listener(fam, variant->type, variant->p->protocol,
			   ct_loopback(fam), 0, 8, 0, &p->port);
	ASSERT_LE(0, p->l) {
		TH_LOG("listener: %s", strerror(-p->l));
	}
	ASSERT_LT(0, p->port);
	p->c = socket(fam, variant->type, variant->p->protocol);
	ASSERT_LE(0, p->c);
	ASSERT_EQ(0, ct_connect_fd(p->c, fam, ct_loopback(fam), p->port));
	ASSERT_EQ(0, ct_set_timeo(p->l, SO_RCVTIMEO, 10000));
	p->a = accept(p->l, NULL, NULL);
	ASSERT_LE(0, p->a) {
		TH_LOG("accept: %s", strerror(errno));
	}
	ASSERT_EQ(0, ct_set_timeo(p->c, SO_RCVTIMEO, 10000));
	ASSERT_EQ(0, ct_set_timeo(p->c, SO_SNDTIMEO, 10000));
	ASSERT_EQ(0, ct_set_timeo(p->a, SO_RCVTIMEO, 10000));
	ASSERT_EQ(0, ct_set_timeo(p->a, SO_SNDTIMEO, 10000));
}

#define PAIR(p) make_pair(_metadata, variant, FAM, (p))

/*
 * A link where nobody answers: veth ct-va (192.0.2.1/24, 2001:db8::1/64,
 * ARP off) whose peer ct-vb drops every frame, as none is addressed to
 * it. CT_SILENT4 and CT_SILENT6 are on that link.
 */
static void silent_link(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, ct_sh("ip link add ct-va type veth peer name ct-vb && "
			   "ip link set ct-va arp off && "
			   "ip addr add 192.0.2.1/24 dev ct-va && "
			   "ip -6 addr add 2001:db8::1/64 dev ct-va nodad && "
			   "ip link set ct-va up && ip link set ct-vb up"));
}

static const char *silent_addr(int fam)
{
	return fam == AF_INET ? CT_SILENT4 : CT_SILENT6;
}

/* From now on lo drops everything: the peer of every connection is gone. */
static void drop_all(struct __test_metadata *_metadata, FIXTURE_DATA(conn) *self)
{
	ASSERT_EQ(0, ct_sh("tc qdisc add dev lo root netem loss 100%%"));
	self->dropping = 1;
}

static void drop_none(struct __test_metadata *_metadata, FIXTURE_DATA(conn) *self)
{
	EXPECT_EQ(0, ct_sh("tc qdisc del dev lo root"));
	self->dropping = 0;
}

static int so_error(int fd)
{
	return ct_get_int(fd, SOL_SOCKET, SO_ERROR);
}

static int ioctl_val(int fd, unsigned long cmd)
{
	int v = -1;

	if (ioctl(fd, cmd, &v))
		return -errno;
	return v;
}

/* Wait at most timeout_ms until ioctl cmd on fd answers want; the last answer. */
static int wait_ioctl(int fd, unsigned long cmd, int want, int timeout_ms)
{
	long long end = ct_now_ms() + timeout_ms;
	int v;

	for (;;) {
		v = ioctl_val(fd, cmd);
		if (v == want || ct_now_ms() >= end)
			return v;
		tern_msleep(5);
	}
}

/* revents now, for every event */
static int revents(int fd)
{
	return ct_poll(fd, CT_ALL_EVENTS, 0);
}

/* The address of fd's local (peer = 0) or remote end as text, and its port. */
static int name_of(int fd, int peer, char *buf, size_t len, int *family,
		   socklen_t *alen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int ret;

	memset(&ss, 0, sizeof(ss));
	ret = peer ? getpeername(fd, (struct sockaddr *)&ss, &sl) :
		     getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (ret)
		return -errno;
	if (family)
		*family = ss.ss_family;
	if (alen)
		*alen = sl;
	if (!tern_sockaddr_addr(&ss, buf, len))
		return -EINVAL;
	return tern_sockaddr_port(&ss);
}

/* bind() to addr:port (NULL: the wildcard): 0 or the errno */
static int bind_to(int fd, int fam, const char *addr, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = ct_addr(&ss, fam, addr, port);

	return bind(fd, (struct sockaddr *)&ss, len) ? errno : 0;
}

static socklen_t sa_len(int fam)
{
	return fam == AF_INET ? sizeof(struct sockaddr_in) :
				sizeof(struct sockaddr_in6);
}

/* ------------------------------------------------------------------
 * connect()
 */

/* A closed port: ECONNREFUSED, and the socket can connect again. */
TEST_F(conn, connect_refused)
{
	int fd = SOCK(FAM), l, a;
	char addr[INET6_ADDRSTRLEN];

	EXPECT_EQ(ECONNREFUSED, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
	EXPECT_EQ(0, so_error(fd));
	EXPECT_EQ(-ENOTCONN, name_of(fd, 1, addr, sizeof(addr), NULL, NULL));
	EXPECT_EQ(ECONNREFUSED, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));

	l = LISTENER(FAM, LO, CLOSED_PORT, 1, 0, NULL);
	EXPECT_EQ(0, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 5000));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(ct_port_of(fd, 0), ct_port_of(a, 1));
}

/*
 * Nonblocking: EINPROGRESS, then POLLOUT with POLLERR and POLLHUP, and
 * SO_ERROR says ECONNREFUSED once. A connect() after that finds the
 * attempt over: ECONNABORTED when SO_ERROR was taken, the error when not.
 */
TEST_F(conn, connect_refused_nonblocking)
{
	int fd = SOCK(FAM);

	ASSERT_EQ(0, ct_set_nonblock(fd, 1));
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP, ct_poll(fd, POLLOUT, WAIT_MS));
	EXPECT_EQ(ECONNREFUSED, so_error(fd));
	EXPECT_EQ(0, so_error(fd));
	EXPECT_EQ(ECONNABORTED, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));

	/* back to unconnected: a new attempt, not read out this time */
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP, ct_poll(fd, POLLOUT, WAIT_MS));
	EXPECT_EQ(ECONNREFUSED, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
	EXPECT_EQ(0, so_error(fd));
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
}

/* Routes that refuse: the route's error, at once, blocking or not. */
TEST_F(conn, connect_route_errors)
{
	static const struct {
		const char *type, *net4, *dst4, *net6, *dst6;
		int err;
	} routes[] = {
		{ "blackhole", "192.0.2.0/24", "192.0.2.1",
		  "2001:db8:1::/64", "2001:db8:1::1", EINVAL },
		{ "unreachable", "198.51.100.0/24", "198.51.100.1",
		  "2001:db8:2::/64", "2001:db8:2::1", EHOSTUNREACH },
		{ "prohibit", "203.0.113.0/24", "203.0.113.1",
		  "2001:db8:3::/64", "2001:db8:3::1", EACCES },
	};
	unsigned int i;
	int nb;

	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		const char *dst = FAM == AF_INET ? routes[i].dst4 : routes[i].dst6;

		ASSERT_EQ(0, ct_sh("ip %s route add %s %s",
				   FAM == AF_INET ? "-4" : "-6", routes[i].type,
				   FAM == AF_INET ? routes[i].net4 : routes[i].net6));
		for (nb = 0; nb < 2; nb++) {
			int fd = SOCK(FAM);

			ASSERT_EQ(0, ct_set_nonblock(fd, nb));
			EXPECT_EQ(routes[i].err, ct_connect_fd(fd, FAM, dst, PORT)) {
				TH_LOG("%s route, %s connect", routes[i].type,
				       nb ? "nonblocking" : "blocking");
			}
			EXPECT_EQ(0, so_error(fd));
			/* nothing started: the socket is as new */
			if (nb) {
				EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
				ct_poll(fd, POLLOUT, WAIT_MS);
				EXPECT_EQ(ECONNREFUSED, so_error(fd));
			} else {
				EXPECT_EQ(ECONNREFUSED, ct_connect_fd(fd, FAM, LO, CLOSED_PORT));
			}
			close(fd);
		}
	}
}

/* A peer that never answers, TCP_SYNCNT 1: ETIMEDOUT after the retries. */
TEST_F(conn, connect_timeout_syncnt)
{
	char addr[INET6_ADDRSTRLEN];
	long long t0, ms;
	int fd, err;

	silent_link(_metadata);
	fd = SOCK(FAM);
	ASSERT_EQ(0, ct_set_int(fd, SOL, TCP_SYNCNT, 1));
	EXPECT_EQ(1, ct_get_int(fd, SOL, TCP_SYNCNT));
	t0 = ct_now_ms();
	alarm(20);
	err = ct_connect_fd(fd, FAM, silent_addr(FAM), PORT);
	alarm(0);
	ms = ct_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, err) {
		TH_LOG("connect to a silent host: %s after %lld ms", strerror(err), ms);
	}
	/* a SYN and one retransmission, 1 s apart, then 2 s more */
	EXPECT_LE(1500, ms);
	EXPECT_EQ(0, so_error(fd));
	EXPECT_EQ(-ENOTCONN, name_of(fd, 1, addr, sizeof(addr), NULL, NULL));
}

/* The namespace's syn_retries sysctl, nonblocking: SO_ERROR ETIMEDOUT. */
TEST_F(conn, connect_timeout_sysctl)
{
	long long t0, ms;
	int fd, ev;

	silent_link(_metadata);
	ASSERT_EQ(0, ct_sysctl_write(variant->p->syn_retries, "1"));
	fd = SOCK(FAM);
	EXPECT_EQ(1, ct_get_int(fd, SOL, TCP_SYNCNT));
	ASSERT_EQ(0, ct_set_nonblock(fd, 1));
	t0 = ct_now_ms();
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, silent_addr(FAM), PORT));
	EXPECT_EQ(0, revents(fd));
	/* the wakeup comes with the attempt over: all three at once */
	ev = ct_poll(fd, POLLOUT, 15000);
	ms = ct_now_ms() - t0;
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP, ev) {
		TH_LOG("revents 0x%x after %lld ms", ev, ms);
	}
	EXPECT_EQ(ETIMEDOUT, so_error(fd));
	EXPECT_LE(1500, ms);
}

/*
 * A reader that pauses leaves the writer facing a zero window. Its probes
 * are answered, so it waits as long as the reader does, well past the
 * budget of unanswered retries (net.tern.retries, tcp_retries2: 3 here,
 * about 3 s of backed-off probes), and every byte arrives afterwards. The
 * small receive buffer is the listener's, so the window is small from
 * the start and never has to shrink.
 */
TEST_F(conn, zero_window_outlives_retries)
{
	long long probes = 0;
	ssize_t sent, more;
	int l, c, a, port;

	ASSERT_EQ(0, ct_sysctl_write(variant->p->retries, "3"));
	l = SOCK(FAM);
	ASSERT_EQ(0, ct_set_int(l, SOL_SOCKET, SO_RCVBUF, 4096));
	ASSERT_EQ(0, bind_to(l, FAM, LO, 0));
	ASSERT_EQ(0, listen(l, 1));
	port = ct_port_of(l, 0);
	c = ct_connect_to(FAM, variant->type, variant->p->protocol, LO, port);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, WAIT_MS));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 10000));
	ASSERT_EQ(0, ct_set_nonblock(c, 1));
	sent = ct_send_pattern(c, 16 << 20, 0, 9, 4096);
	ASSERT_LT(0, sent);
	tern_msleep(500);
	/* what the window took made room in the send buffer: fill it again */
	more = ct_send_pattern(c, 16 << 20, sent, 9, 4096);
	if (more > 0)
		sent += more;
	if (variant->p == &tern_proto) {
		/* the 4th probe is one more than the retries allow */
		long long end = ct_now_ms() + 15000;

		while ((probes = ct_counter("TernZeroWinProbes")) < 4 &&
		       ct_now_ms() < end)
			tern_msleep(100);
		EXPECT_LE(4, probes);
	} else {
		tern_msleep(4500);
	}
	TH_LOG("%zd bytes queued, %lld zero-window probes", sent, probes);
	EXPECT_EQ(0, so_error(c));
	EXPECT_EQ(sent, ct_recv_pattern(a, sent, 0, 9));
	EXPECT_EQ(0, so_error(c));
	close(a);
	close(c);
	close(l);
}

/* Nonblocking to a listener: EINPROGRESS, POLLOUT, then 0, then EISCONN. */
TEST_F(conn, connect_nonblocking)
{
	int l, fd, a, port;

	l = LISTENER(FAM, LO, 0, 1, 0, &port);
	fd = SOCK(FAM);
	ASSERT_EQ(0, ct_set_nonblock(fd, 1));
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, LO, port));
	EXPECT_EQ(POLLOUT | POLLWRNORM, ct_poll(fd, CT_ALL_EVENTS & ~POLLIN, WAIT_MS));
	EXPECT_EQ(0, so_error(fd));
	/* the attempt succeeded: the next connect() says so, then EISCONN */
	EXPECT_EQ(0, ct_connect_fd(fd, FAM, LO, port));
	EXPECT_EQ(EISCONN, ct_connect_fd(fd, FAM, LO, port));
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 5000));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(ct_port_of(fd, 0), ct_port_of(a, 1));
	EXPECT_EQ(4, send(fd, "ping", 4, MSG_NOSIGNAL));
}

/*
 * While the handshake is pending: EALREADY, nothing to poll, empty
 * queues, EAGAIN for data, ENOTCONN for the peer's name, EINVAL for
 * listen() and accept(); shutdown() aborts the attempt (ECONNRESET).
 */
TEST_F(conn, connect_in_progress)
{
	char addr[INET6_ADDRSTRLEN], buf[8];
	int fd, port, fam;

	silent_link(_metadata);
	fd = SOCK(FAM);
	ASSERT_EQ(0, ct_set_nonblock(fd, 1));
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, silent_addr(FAM), PORT));
	EXPECT_EQ(EALREADY, ct_connect_fd(fd, FAM, silent_addr(FAM), PORT));
	EXPECT_EQ(EALREADY, ct_connect_fd(fd, FAM, LO, PORT));
	EXPECT_EQ(0, revents(fd));
	EXPECT_EQ(0, ioctl_val(fd, SIOCINQ));
	EXPECT_EQ(0, ioctl_val(fd, SIOCOUTQ));
	EXPECT_EQ(EAGAIN, err_of(send(fd, "x", 1, MSG_NOSIGNAL)));
	EXPECT_EQ(EAGAIN, err_of(recv(fd, buf, sizeof(buf), 0)));
	EXPECT_EQ(-ENOTCONN, name_of(fd, 1, addr, sizeof(addr), NULL, NULL));
	/* the local end is chosen: the link's address, an ephemeral port */
	port = name_of(fd, 0, addr, sizeof(addr), &fam, NULL);
	EXPECT_LT(0, port);
	EXPECT_EQ(FAM, fam);
	EXPECT_STREQ(FAM == AF_INET ? "192.0.2.1" : "2001:db8::1", addr);
	EXPECT_EQ(EINVAL, err_of(listen(fd, 1)));
	EXPECT_EQ(EINVAL, err_of(accept(fd, NULL, NULL)));
	EXPECT_EQ(0, so_error(fd));

	EXPECT_EQ(0, err_of(shutdown(fd, SHUT_RDWR)));
	EXPECT_EQ(ECONNRESET, so_error(fd));
	/* and the socket is unconnected again */
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd, FAM, silent_addr(FAM), PORT));
}

/* connect() on a connected, an accepted or a listening socket: EISCONN. */
TEST_F(conn, connect_eisconn)
{
	char buf[8];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(EISCONN, ct_connect_fd(p.c, FAM, LO, p.port));
	EXPECT_EQ(EISCONN, ct_connect_fd(p.c, FAM, LO, CLOSED_PORT));
	EXPECT_EQ(EISCONN, ct_connect_fd(p.a, FAM, LO, p.port));
	EXPECT_EQ(EISCONN, ct_connect_fd(p.l, FAM, LO, p.port));
	EXPECT_EQ(EINVAL, err_of(listen(p.c, 1)));
	EXPECT_EQ(EINVAL, err_of(listen(p.a, 1)));
	EXPECT_EQ(EINVAL, err_of(accept(p.c, NULL, NULL)));
	EXPECT_EQ(EINVAL, err_of(accept(p.a, NULL, NULL)));
	/* the connection is unharmed */
	EXPECT_EQ(2, send(p.c, "ok", 2, MSG_NOSIGNAL));
	EXPECT_EQ(2, recv(p.a, buf, sizeof(buf), 0));
}

/*
 * A blocking connect interrupted by a signal says EINTR and goes on in
 * the background (EALREADY); with SO_SNDTIMEO it gives up waiting with
 * EINPROGRESS, or EALREADY when it was already under way.
 */
TEST_F(conn, connect_interrupted)
{
	long long t0, ms;
	int fd, fd2;

	silent_link(_metadata);
	fd = SOCK(FAM);
	t0 = ct_now_ms();
	ct_alarm_ms(300);
	EXPECT_EQ(EINTR, ct_connect_fd(fd, FAM, silent_addr(FAM), PORT));
	ms = ct_now_ms() - t0;
	EXPECT_LE(250, ms);
	ASSERT_EQ(0, ct_set_nonblock(fd, 1));
	EXPECT_EQ(EALREADY, ct_connect_fd(fd, FAM, silent_addr(FAM), PORT));
	ASSERT_EQ(0, ct_set_nonblock(fd, 0));
	ASSERT_EQ(0, ct_set_timeo(fd, SO_SNDTIMEO, 300));
	t0 = ct_now_ms();
	EXPECT_EQ(EALREADY, ct_connect_fd(fd, FAM, silent_addr(FAM), PORT));
	EXPECT_LE(250, ct_now_ms() - t0);

	fd2 = SOCK(FAM);
	ASSERT_EQ(0, ct_set_timeo(fd2, SO_SNDTIMEO, 300));
	t0 = ct_now_ms();
	EXPECT_EQ(EINPROGRESS, ct_connect_fd(fd2, FAM, silent_addr(FAM), PORT));
	ms = ct_now_ms() - t0;
	EXPECT_LE(250, ms);
	EXPECT_GE(5000, ms);
}

/* connect(AF_UNSPEC) resets the connection; the socket can connect again. */
TEST_F(conn, connect_af_unspec)
{
	struct sockaddr_storage unspec;
	char addr[INET6_ADDRSTRLEN], buf[8];
	struct pair p;
	int a2;

	PAIR(&p);
	memset(&unspec, 0, sizeof(unspec));
	unspec.ss_family = AF_UNSPEC;
	EXPECT_EQ(0, err_of(connect(p.c, (struct sockaddr *)&unspec, sizeof(unspec))));
	EXPECT_EQ(ECONNRESET, so_error(p.c));
	EXPECT_EQ(-ENOTCONN, name_of(p.c, 1, addr, sizeof(addr), NULL, NULL));
	EXPECT_NE(0, ct_wait_events(p.a, POLLERR, WAIT_MS) & POLLERR) {
		if (variant->p == &tern_proto)
			TH_LOG("no reset arrived; TernInHdrErrors %lld, TernInRsts %lld",
			       ct_counter("TernInHdrErrors"), ct_counter("TernInRsts"));
	}
	EXPECT_EQ(ECONNRESET, err_of(recv(p.a, buf, sizeof(buf), MSG_DONTWAIT)));

	EXPECT_EQ(0, ct_connect_fd(p.c, FAM, LO, p.port));
	a2 = accept(p.l, NULL, NULL);
	ASSERT_LE(0, a2);
	EXPECT_EQ(3, send(p.c, "new", 3, MSG_NOSIGNAL));
	ASSERT_EQ(0, ct_set_timeo(a2, SO_RCVTIMEO, 5000));
	EXPECT_EQ(3, recv(a2, buf, sizeof(buf), 0));
}

/*
 * A socket connecting to itself (bound to the port it connects to):
 * TCP's simultaneous open makes it a connection to itself.
 */
TEST_F(conn, self_connect)
{
	char buf[8];
	int fd, err;

	fd = SOCK(FAM);
	ASSERT_EQ(0, ct_set_int(fd, SOL, TCP_SYNCNT, 1));
	ASSERT_EQ(0, bind_to(fd, FAM, LO, PORT));
	alarm(20);
	err = ct_connect_fd(fd, FAM, LO, PORT);
	alarm(0);
	ASSERT_EQ(0, err) {
		TH_LOG("connect to itself: %s", strerror(err));
	}
	EXPECT_EQ(PORT, ct_port_of(fd, 1));
	ASSERT_EQ(0, ct_set_timeo(fd, SO_RCVTIMEO, 5000));
	EXPECT_EQ(4, send(fd, "self", 4, MSG_NOSIGNAL));
	EXPECT_EQ(4, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "self", 4));
}

/* ------------------------------------------------------------------
 * listen() and accept()
 */

/*
 * listen(fd, 1) queues backlog + 1 connections; the next handshake waits
 * (its SYN is dropped and sent again) and completes once accept() makes
 * room. accept() hands connections out in order.
 */
TEST_F(conn, listen_backlog)
{
	int l, port, c[3], a[3], i;

	l = LISTENER(FAM, LO, 0, 1, 0, &port);
	EXPECT_EQ(1, ct_get_int(l, SOL_SOCKET, SO_ACCEPTCONN));
	for (i = 0; i < 3; i++) {
		c[i] = SOCK(FAM);
		ASSERT_EQ(0, ct_set_nonblock(c[i], 1));
		EXPECT_EQ(EINPROGRESS, ct_connect_fd(c[i], FAM, LO, port));
		if (i < 2) {
			EXPECT_EQ(POLLOUT, ct_poll(c[i], POLLOUT, WAIT_MS)) {
				TH_LOG("connection %d of a backlog of 1 did not complete", i + 1);
			}
			EXPECT_NE(0, ct_wait_events(l, POLLIN, WAIT_MS) & POLLIN);
			/* its last handshake segment reaches the listener too */
			tern_msleep(200);
		}
	}
	/* the queue is full: the third waits */
	EXPECT_EQ(0, ct_poll(c[2], POLLOUT, 500)) {
		TH_LOG("a third connection completed with listen(fd, 1)");
	}
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 10000));
	a[0] = accept(l, NULL, NULL);
	ASSERT_LE(0, a[0]);
	/* room again: its next SYN gets through */
	EXPECT_EQ(POLLOUT, ct_poll(c[2], POLLOUT, 10000));
	EXPECT_EQ(0, so_error(c[2]));
	for (i = 1; i < 3; i++) {
		a[i] = accept(l, NULL, NULL);
		ASSERT_LE(0, a[i]) {
			TH_LOG("accept %d: %s", i + 1, strerror(errno));
		}
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(ct_port_of(c[i], 0), ct_port_of(a[i], 1)) {
			TH_LOG("accept %d returned another connection", i + 1);
		}
	}
}

struct delayed_connect {
	int family, type, protocol, port, delay_ms;
	int fd;
	const char *addr;
};

static void *delayed_connect_run(void *arg)
{
	struct delayed_connect *d = arg;

	tern_msleep(d->delay_ms);
	d->fd = ct_connect_to(d->family, d->type, d->protocol, d->addr, d->port);
	return NULL;
}

/* A blocking accept() waits for the connection; accept4() flags apply. */
TEST_F(conn, accept_blocking)
{
	struct delayed_connect d = {
		.family = FAM, .type = variant->type,
		.protocol = variant->p->protocol, .delay_ms = 200, .addr = LO,
	};
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	pthread_t th;
	long long t0;
	int l, a;

	l = LISTENER(FAM, LO, 0, 1, 0, &d.port);
	ASSERT_EQ(0, pthread_create(&th, NULL, delayed_connect_run, &d));
	t0 = ct_now_ms();
	alarm(10);
	a = accept4(l, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	alarm(0);
	EXPECT_LE(150, ct_now_ms() - t0);
	pthread_join(th, NULL);
	ASSERT_LE(0, a) {
		TH_LOG("accept: %s", strerror(errno));
	}
	ASSERT_LE(0, d.fd);
	EXPECT_EQ(sa_len(FAM), len);
	EXPECT_EQ(FAM, ss.ss_family);
	EXPECT_EQ(ct_port_of(d.fd, 0), tern_sockaddr_port(&ss));
	EXPECT_EQ(O_NONBLOCK, fcntl(a, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD) & FD_CLOEXEC);
	/* the listener's own flags are not the connection's */
	EXPECT_EQ(0, fcntl(l, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, ct_get_int(a, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(variant->type, ct_get_int(a, SOL_SOCKET, SO_TYPE));
	EXPECT_EQ(variant->p->protocol, ct_get_int(a, SOL_SOCKET, SO_PROTOCOL));
}

/* Nonblocking accept: EAGAIN on an empty queue; POLLIN when not empty. */
TEST_F(conn, accept_nonblocking)
{
	int l, c, a, port;

	l = LISTENER(FAM, LO, 0, 4, 0, &port);
	ASSERT_EQ(0, ct_set_nonblock(l, 1));
	EXPECT_EQ(EAGAIN, err_of(accept(l, NULL, NULL)));
	EXPECT_EQ(0, revents(l));
	c = ct_connect_to(FAM, variant->type, variant->p->protocol, LO, port);
	ASSERT_LE(0, c);
	EXPECT_EQ(POLLIN | POLLRDNORM, ct_wait_events(l, POLLIN, WAIT_MS));
	a = accept(l, NULL, NULL);
	EXPECT_LE(0, a);
	EXPECT_EQ(EAGAIN, err_of(accept(l, NULL, NULL)));
	EXPECT_EQ(0, revents(l));
	/* accept4(SOCK_NONBLOCK) does not make a blocking listener nonblocking */
	ASSERT_EQ(0, ct_set_nonblock(l, 0));
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 200));
	EXPECT_EQ(EAGAIN, err_of(accept4(l, NULL, NULL, SOCK_NONBLOCK)));
}

/* SO_RCVTIMEO bounds a blocking accept(): EAGAIN after the timeout. */
TEST_F(conn, accept_rcvtimeo)
{
	long long t0, ms;
	int l;

	l = LISTENER(FAM, LO, 0, 1, 0, NULL);
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 300));
	t0 = ct_now_ms();
	alarm(10);
	EXPECT_EQ(EAGAIN, err_of(accept(l, NULL, NULL)));
	alarm(0);
	ms = ct_now_ms() - t0;
	EXPECT_LE(250, ms);
	EXPECT_GE(5000, ms);
}

struct blocked_accept {
	int l;
	int ret, err;
};

static void *blocked_accept_run(void *arg)
{
	struct blocked_accept *b = arg;

	b->ret = accept(b->l, NULL, NULL);
	b->err = b->ret < 0 ? errno : 0;
	return NULL;
}

/* shutdown(SHUT_RD) of a listener stops it and wakes accept() (EINVAL). */
TEST_F(conn, listener_shutdown)
{
	struct blocked_accept b;
	pthread_t th;
	int port;

	b.l = LISTENER(FAM, LO, 0, 1, 0, &port);
	ASSERT_EQ(0, ct_set_timeo(b.l, SO_RCVTIMEO, 5000));
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_accept_run, &b));
	tern_msleep(200);
	EXPECT_EQ(0, err_of(shutdown(b.l, SHUT_RD)));
	pthread_join(th, NULL);
	EXPECT_EQ(-1, b.ret);
	EXPECT_EQ(EINVAL, b.err);
	EXPECT_EQ(0, ct_get_int(b.l, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(ECONNREFUSED, -ct_connect_to(FAM, variant->type,
					       variant->p->protocol, LO, port));
}

/* Closing a listener resets the connections nobody accepted. */
TEST_F(conn, listener_close_resets_queue)
{
	char buf[8];
	int l, c, port;

	l = LISTENER(FAM, LO, 0, 4, 0, &port);
	c = ct_connect_to(FAM, variant->type, variant->p->protocol, LO, port);
	ASSERT_LE(0, c);
	EXPECT_NE(0, ct_wait_events(l, POLLIN, WAIT_MS) & POLLIN);
	close(l);
	EXPECT_NE(0, ct_wait_events(c, POLLERR, WAIT_MS) & POLLERR);
	EXPECT_EQ(ECONNRESET, err_of(recv(c, buf, sizeof(buf), MSG_DONTWAIT)));
}

/* ------------------------------------------------------------------
 * Names
 */

TEST_F(conn, names)
{
	char addr[INET6_ADDRSTRLEN];
	int fam, port, low = 0, high = 0;
	socklen_t alen;
	struct pair p;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%d %d", &low, &high));
	fclose(f);

	PAIR(&p);
	/* the client: loopback and an ephemeral port, to the listener's */
	port = name_of(p.c, 0, addr, sizeof(addr), &fam, &alen);
	EXPECT_LE(low, port);
	EXPECT_GE(high, port);
	EXPECT_EQ(FAM, fam);
	EXPECT_EQ(sa_len(FAM), alen);
	EXPECT_STREQ(LO, addr);
	EXPECT_EQ(p.port, name_of(p.c, 1, addr, sizeof(addr), &fam, &alen));
	EXPECT_EQ(FAM, fam);
	EXPECT_EQ(sa_len(FAM), alen);
	EXPECT_STREQ(LO, addr);
	/* the accepted socket: the mirror image */
	EXPECT_EQ(p.port, name_of(p.a, 0, addr, sizeof(addr), &fam, &alen));
	EXPECT_STREQ(LO, addr);
	EXPECT_EQ(sa_len(FAM), alen);
	EXPECT_EQ(port, name_of(p.a, 1, addr, sizeof(addr), &fam, &alen));
	EXPECT_STREQ(LO, addr);
	EXPECT_EQ(FAM, fam);
	/* the listener has no peer */
	EXPECT_EQ(p.port, name_of(p.l, 0, addr, sizeof(addr), NULL, NULL));
	EXPECT_EQ(-ENOTCONN, name_of(p.l, 1, addr, sizeof(addr), NULL, NULL));
	/* a half-closed connection still has both names */
	EXPECT_EQ(0, shutdown(p.c, SHUT_WR));
	EXPECT_NE(0, ct_wait_events(p.a, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	EXPECT_EQ(port, name_of(p.a, 1, addr, sizeof(addr), NULL, NULL));
	EXPECT_EQ(p.port, name_of(p.c, 1, addr, sizeof(addr), NULL, NULL));
}

/* ------------------------------------------------------------------
 * Data
 */

TEST_F(conn, data_small)
{
	char buf[16];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(4, send(p.c, "ping", 4, MSG_NOSIGNAL));
	EXPECT_EQ(4, recv(p.a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	EXPECT_EQ(5, write(p.a, "pong!", 5));
	EXPECT_EQ(5, read(p.c, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "pong!", 5));
	EXPECT_EQ(0, ioctl_val(p.c, SIOCINQ));
	EXPECT_EQ(0, ioctl_val(p.a, SIOCINQ));
}

/* A few MB each way at once, every byte checked. */
TEST_F(conn, data_bulk)
{
	struct ct_xfer x[4];
	size_t chunk = SEQPACKET ? 60000 : 65536;
	struct pair p;
	int i;

	PAIR(&p);
	memset(x, 0, sizeof(x));
	x[0] = (struct ct_xfer){ .fd = p.c, .send = 1, .len = BULK, .seed = 1, .chunk = chunk };
	x[1] = (struct ct_xfer){ .fd = p.a, .send = 0, .len = BULK, .seed = 1 };
	x[2] = (struct ct_xfer){ .fd = p.a, .send = 1, .len = BULK, .seed = 2, .chunk = chunk };
	x[3] = (struct ct_xfer){ .fd = p.c, .send = 0, .len = BULK, .seed = 2 };
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, ct_xfer_start(&x[i]));
	}
	for (i = 0; i < 4; i++)
		ct_xfer_join(&x[i]);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(BULK, x[i].result) {
			TH_LOG("%s %s: %zd (%s)", i & 1 ? "receive" : "send",
			       i < 2 ? "client to server" : "server to client",
			       x[i].result, x[i].result < 0 ?
			       strerror(-x[i].result) : "bytes");
		}
	}
}

/* recvmsg() into buf; *msg_flags gets what it returned in msg_flags. */
static ssize_t ct_recv_flags(int fd, void *buf, size_t len, int flags,
			     int *msg_flags)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &msg, flags);

	*msg_flags = msg.msg_flags;
	return n;
}

/*
 * sendfile() from a file and splice() from a pipe into the socket: the
 * peer gets every byte; on SOCK_SEQPACKET each call is one message.
 */
TEST_F(conn, sendfile_splice)
{
	size_t flen = SEQPACKET ? 40000 : 200000, plen = 30000;
	static unsigned char buf[200000];
	int mfd, pfd[2], f = 0;
	off_t off = 0;
	struct pair p;
	size_t done;
	ssize_t n;

	PAIR(&p);
	mfd = memfd_create("tern-sendfile", 0);
	ASSERT_LE(0, mfd);
	ct_fill(buf, flen, 0, 11);
	ASSERT_EQ((ssize_t)flen, write(mfd, buf, flen));
	for (done = 0; done < flen; done += n) {
		n = sendfile(p.c, mfd, &off, flen - done);
		ASSERT_LT(0, n) TH_LOG("sendfile: %s", strerror(errno));
		if (SEQPACKET)
			ASSERT_EQ((ssize_t)flen, n);
	}
	EXPECT_EQ((off_t)flen, off);
	close(mfd);

	ASSERT_EQ(0, pipe(pfd));
	ct_fill(buf, plen, 0, 12);
	ASSERT_EQ((ssize_t)plen, write(pfd[1], buf, plen));
	for (done = 0; done < plen; done += n) {
		n = splice(pfd[0], NULL, p.c, NULL, plen - done, 0);
		ASSERT_LT(0, n) TH_LOG("splice: %s", strerror(errno));
		if (SEQPACKET)
			ASSERT_EQ((ssize_t)plen, n);
	}
	close(pfd[0]);
	close(pfd[1]);

	if (!SEQPACKET) {
		EXPECT_EQ((ssize_t)flen, ct_recv_pattern(p.a, flen, 0, 11));
		EXPECT_EQ((ssize_t)plen, ct_recv_pattern(p.a, plen, 0, 12));
		return;
	}
	n = ct_recv_flags(p.a, buf, sizeof(buf), 0, &f);
	EXPECT_EQ((ssize_t)flen, n);
	EXPECT_EQ(MSG_EOR, f & (MSG_EOR | MSG_TRUNC));
	EXPECT_EQ(-1, ct_check(buf, flen, 0, 11));
	n = ct_recv_flags(p.a, buf, sizeof(buf), 0, &f);
	EXPECT_EQ((ssize_t)plen, n);
	EXPECT_EQ(MSG_EOR, f & (MSG_EOR | MSG_TRUNC));
	EXPECT_EQ(-1, ct_check(buf, plen, 0, 12));
}

/* SOCK_SEQPACKET: each message arrives whole and alone, with MSG_EOR. */
TEST_F(conn, seqpacket_boundaries)
{
	static const size_t sizes[] = { 1, 1000, 60000, 2, 16384, 16385 };
	static unsigned char buf[100000];
	struct pair p;
	unsigned int i;

	if (!SEQPACKET)
		SKIP(return, "SOCK_SEQPACKET only");
	PAIR(&p);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ct_fill(buf, sizes[i], 0, i);
		EXPECT_EQ((ssize_t)sizes[i], send(p.c, buf, sizes[i], MSG_NOSIGNAL));
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		memset(buf, 0, sizes[i]);
		n = recvmsg(p.a, &msg, 0);
		EXPECT_EQ((ssize_t)sizes[i], n) {
			TH_LOG("message %u of %zu bytes came as %zd", i, sizes[i], n);
		}
		EXPECT_EQ(MSG_EOR, msg.msg_flags & (MSG_EOR | MSG_TRUNC));
		if (n > 0)
			EXPECT_EQ(-1, ct_check(buf, n, 0, i));
	}
}

/*
 * SOCK_SEQPACKET with a buffer smaller than the message: what fits, with
 * MSG_TRUNC, and the rest of that message is dropped (as AF_UNIX
 * SOCK_SEQPACKET and the issue ask); MSG_TRUNC in flags returns the real
 * length; MSG_PEEK drops nothing. No byte of the next message mixes in.
 */
TEST_F(conn, seqpacket_short_buffer)
{
	unsigned char buf[2000];
	struct pair p;
	int f;

	if (!SEQPACKET)
		SKIP(return, "SOCK_SEQPACKET only");
	PAIR(&p);
	ct_fill(buf, 1000, 0, 7);
	ASSERT_EQ(1000, send(p.c, buf, 1000, MSG_NOSIGNAL));
	ct_fill(buf, 1500, 0, 8);
	ASSERT_EQ(1500, send(p.c, buf, 1500, MSG_NOSIGNAL));
	ASSERT_EQ(4, send(p.c, "next", 4, MSG_NOSIGNAL));
	ASSERT_EQ(0, send(p.c, buf, 0, MSG_NOSIGNAL));
	ASSERT_EQ(3, send(p.c, "end", 3, MSG_NOSIGNAL));
	EXPECT_NE(0, ct_wait_events(p.a, POLLIN, WAIT_MS) & POLLIN);

	/* peek: truncated view, nothing consumed */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(10, ct_recv_flags(p.a, buf, 10, MSG_PEEK, &f));
	EXPECT_EQ(MSG_TRUNC, f & MSG_TRUNC);
	EXPECT_EQ(-1, ct_check(buf, 10, 0, 7));

	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(100, ct_recv_flags(p.a, buf, 100, 0, &f));
	EXPECT_EQ(MSG_TRUNC, f & MSG_TRUNC);
	EXPECT_EQ(-1, ct_check(buf, 100, 0, 7));

	/* MSG_TRUNC asks for the real length */
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(1500, ct_recv_flags(p.a, buf, 200, MSG_TRUNC, &f));
	EXPECT_EQ(MSG_TRUNC, f & MSG_TRUNC);
	EXPECT_EQ(-1, ct_check(buf, 200, 0, 8));

	/* a message that fits: whole, MSG_EOR, no MSG_TRUNC */
	EXPECT_EQ(4, ct_recv_flags(p.a, buf, sizeof(buf), 0, &f));
	EXPECT_EQ(MSG_EOR, f & (MSG_EOR | MSG_TRUNC));
	EXPECT_EQ(0, memcmp(buf, "next", 4));

	/* a zero-length send is no message; the next one follows */
	EXPECT_NE(0, ct_wait_events(p.a, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(3, ct_recv_flags(p.a, buf, sizeof(buf), MSG_DONTWAIT, &f));
	EXPECT_EQ(MSG_EOR, f & (MSG_EOR | MSG_TRUNC));
	EXPECT_EQ(0, memcmp(buf, "end", 3));
	EXPECT_EQ(-1, ct_recv_flags(p.a, buf, sizeof(buf), MSG_DONTWAIT, &f));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, ioctl_val(p.a, SIOCINQ));
}

#define RMEM_MAX	6291456	/* Tern's autotuning maximum (rmem[2]) */

/*
 * One SOCK_SEQPACKET connection over loopback in family fam, the
 * receiver's SO_RCVBUF locked at rcvbuf (0: left to autotuning): a short
 * message, then one of the bound plus extra bytes, the bound being what
 * the receive buffer can ever hold in payload (SO_RCVBUF's value, or half
 * the autotuning maximum). Both are sent before anything is read, so the
 * long one starts behind the short one.
 */
static void msg_at_bound(struct __test_metadata *_metadata, int fam,
			 int rcvbuf, size_t extra)
{
	long long c0 = ct_counter("TernRcvMsgTooLong");
	int l, c, a, port, f, big = 32 << 20;
	size_t bound = rcvbuf ? rcvbuf : RMEM_MAX / 2;
	size_t len = bound + extra;
	unsigned char *buf;
	char end[8];
	ssize_t n;

	buf = malloc(len + 1);
	ASSERT_NE(NULL, buf);
	l = ct_listener(fam, SOCK_SEQPACKET, IPPROTO_TERN, ct_loopback(fam),
			0, 1, 0, &port);
	ASSERT_LE(0, l);
	if (rcvbuf) {
		ASSERT_EQ(0, ct_set_int(l, SOL_SOCKET, SO_RCVBUF, rcvbuf));
		ASSERT_EQ(2 * rcvbuf, ct_get_int(l, SOL_SOCKET, SO_RCVBUF));
	}
	c = socket(fam, SOCK_SEQPACKET, IPPROTO_TERN);
	ASSERT_LE(0, c);
	/* a send buffer that takes the message whole */
	ASSERT_EQ(0, ct_set_int(c, SOL_SOCKET, SO_SNDBUFFORCE, big));
	ASSERT_EQ(0, ct_connect_fd(c, fam, ct_loopback(fam), port));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 10000));
	ASSERT_EQ(0, ct_set_timeo(c, SO_SNDTIMEO, 10000));

	ct_fill(buf, 10, 0, 3);
	ASSERT_EQ(10, send(c, buf, 10, MSG_NOSIGNAL));
	ct_fill(buf, len, 0, 4);
	ASSERT_EQ((ssize_t)len, send(c, buf, len, MSG_NOSIGNAL));
	if (!extra)
		ASSERT_EQ(3, send(c, "end", 3, MSG_NOSIGNAL));

	/* the first message, whole, whatever became of the next */
	memset(buf, 0, 10);
	EXPECT_EQ(10, ct_recv_flags(a, buf, len + 1, 0, &f));
	EXPECT_EQ(MSG_EOR, f & (MSG_EOR | MSG_TRUNC));
	EXPECT_EQ(-1, ct_check(buf, 10, 0, 3));
	memset(buf, 0, len + 1);
	n = ct_recv_flags(a, buf, len + 1, 0, &f);
	if (!extra) {
		EXPECT_EQ((ssize_t)len, n) {
			TH_LOG("%s, SO_RCVBUF %d: a message of %zu bytes came as %zd (%s)",
			       fam == AF_INET ? "IPv4" : "IPv6", rcvbuf, len,
			       n, n < 0 ? strerror(errno) : "");
		}
		EXPECT_EQ(MSG_EOR, f & (MSG_EOR | MSG_TRUNC));
		if (n > 0)
			EXPECT_EQ(-1, ct_check(buf, n, 0, 4));
		EXPECT_EQ(3, ct_recv_flags(a, end, sizeof(end), 0, &f));
		EXPECT_EQ(0, memcmp(end, "end", 3));
		EXPECT_EQ(c0, ct_counter("TernRcvMsgTooLong"));
	} else {
		/* no byte of it: EMSGSIZE, then the end of the connection */
		EXPECT_EQ(-1, n) {
			TH_LOG("%s, SO_RCVBUF %d: %zd bytes of a message over the bound",
			       fam == AF_INET ? "IPv4" : "IPv6", rcvbuf, n);
		}
		EXPECT_EQ(EMSGSIZE, errno);
		EXPECT_EQ(0, recv(a, buf, len + 1, 0));
		EXPECT_EQ(c0 + 1, ct_counter("TernRcvMsgTooLong"));
		/* the sender was reset */
		EXPECT_NE(0, ct_wait_events(c, POLLERR, WAIT_MS) & POLLERR);
		EXPECT_EQ(ECONNRESET, so_error(c));
	}
	close(a);
	close(c);
	close(l);
	free(buf);
}

/*
 * SOCK_SEQPACKET, both families, over loopback where the MSS is about
 * 64 KiB and a segment costs about twice its length (a split one far
 * more): a message as long as the receive buffer can hold (SO_RCVBUF
 * 4096, rmem_max's 212992, or half the autotuning maximum) arrives whole
 * even behind an unread one; one byte more resets the connection,
 * TernRcvMsgTooLong, EMSGSIZE for the reader and ECONNRESET for the
 * sender, with no part of the message handed over.
 */
TEST_F_TIMEOUT(conn, seqpacket_message_bound, 120)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	static const int bufs[] = { 4096, 212992, 0 };
	unsigned int i, j;
	size_t extra;

	if (!SEQPACKET)
		SKIP(return, "SOCK_SEQPACKET only");
	for (i = 0; i < ARRAY_SIZE(fams); i++)
		for (j = 0; j < ARRAY_SIZE(bufs); j++)
			for (extra = 0; extra < 2; extra++)
				msg_at_bound(_metadata, fams[i], bufs[j], extra);
}

/* shutdown(SHUT_WR): the peer reads EOF and can still answer. */
TEST_F(conn, half_close)
{
	struct ct_xfer x;
	char buf[16];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(7, send(p.c, "request", 7, MSG_NOSIGNAL));
	EXPECT_EQ(0, err_of(shutdown(p.c, SHUT_WR)));
	EXPECT_EQ(0, err_of(shutdown(p.c, SHUT_WR)));
	EXPECT_EQ(7, recv(p.a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(p.a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(p.a, buf, sizeof(buf), 0));
	/* the other direction still works, up to its own EOF */
	x = (struct ct_xfer){ .fd = p.a, .send = 1, .len = 1 << 20, .seed = 3,
			      .chunk = SEQPACKET ? 60000 : 65536, .shut = 1 };
	ASSERT_EQ(0, ct_xfer_start(&x));
	EXPECT_EQ(1 << 20, ct_recv_pattern(p.c, (1 << 20) + 1, 0, 3));
	ct_xfer_join(&x);
	EXPECT_EQ(1 << 20, x.result);
	EXPECT_EQ(0, recv(p.c, buf, sizeof(buf), 0));
	/* writing after SHUT_WR: EPIPE and SIGPIPE */
	EXPECT_EQ(EPIPE, err_of(send(p.c, "x", 1, 0)));
	EXPECT_EQ(1, ct_sigpipe_taken());
	EXPECT_EQ(EPIPE, err_of(send(p.c, "x", 1, MSG_NOSIGNAL)));
	EXPECT_EQ(0, ct_sigpipe_taken());
	/* both directions are closed: nothing left to shut down */
	EXPECT_EQ(ENOTCONN, err_of(shutdown(p.c, SHUT_WR)));
}

/* close() after sending: the peer gets every byte, then EOF. */
TEST_F(conn, orderly_close)
{
	struct ct_xfer x;
	char buf[8];
	struct pair p;

	PAIR(&p);
	x = (struct ct_xfer){ .fd = p.a, .send = 0, .len = (300 << 10) + 1, .seed = 4 };
	ASSERT_EQ(0, ct_xfer_start(&x));
	EXPECT_EQ(300 << 10, ct_send_pattern(p.c, 300 << 10, 0, 4,
					     SEQPACKET ? 60000 : 65536));
	EXPECT_EQ(0, close(p.c));
	ct_xfer_join(&x);
	EXPECT_EQ(300 << 10, x.result);
	EXPECT_EQ(0, recv(p.a, buf, sizeof(buf), 0));
	EXPECT_EQ(0, so_error(p.a));
}

/* close() with unread data resets the connection: ECONNRESET, then EOF. */
TEST_F(conn, close_unread_resets)
{
	char buf[8];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(6, send(p.a, "unread", 6, MSG_NOSIGNAL));
	EXPECT_NE(0, ct_wait_events(p.c, POLLIN, WAIT_MS) & POLLIN);
	close(p.c);
	EXPECT_NE(0, ct_wait_events(p.a, POLLERR, WAIT_MS) & POLLERR);
	EXPECT_EQ(ECONNRESET, err_of(recv(p.a, buf, sizeof(buf), 0)));
	EXPECT_EQ(0, recv(p.a, buf, sizeof(buf), 0));
	EXPECT_EQ(EPIPE, err_of(send(p.a, "x", 1, MSG_NOSIGNAL)));
}

/*
 * The server closes first and its orphan's FIN_WAIT2 runs out (after 1 s
 * here). What the client sends next reaches the listener (TCP: what is
 * left of the FIN_WAIT2), which answers with a reset: the client learns
 * at once instead of retransmitting into silence.
 */
TEST_F(conn, stale_segment_reset_by_listener)
{
	const char *in4 = variant->p->inuse4, *in6 = variant->p->inuse6;
	char buf[8];
	struct pair p;
	long n0, n;

	PAIR(&p);
	n0 = ct_inuse(in4, in6);
	close(p.a);
	EXPECT_NE(0, ct_wait_events(p.c, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	EXPECT_EQ(0, recv(p.c, buf, sizeof(buf), 0));
	n = ct_wait_inuse(in4, in6, n0 - 1, WAIT_MS);
	/*
	 * Except with TCP, when the ACK of the FIN reached the server while
	 * close() still held its socket: the orphan's FIN_WAIT2 then runs
	 * out on its keepalive timer, which resets the peer itself
	 * (tcp_keepalive_timer()), and both sockets are gone.
	 */
	if (variant->p->protocol != IPPROTO_TCP || n != n0 - 2) {
		EXPECT_EQ(n0 - 1, n);
		EXPECT_EQ(1, send(p.c, "x", 1, MSG_NOSIGNAL));
	}
	EXPECT_NE(0, ct_wait_events(p.c, POLLERR, WAIT_MS) & POLLERR);
	/* a reset in CLOSE_WAIT is EPIPE (tcp_reset()) */
	EXPECT_EQ(EPIPE, so_error(p.c));
}

/* SO_LINGER {1, 0}: close() resets. */
TEST_F(conn, linger_zero_resets)
{
	struct linger lg = { 1, 0 };
	char buf[8];
	struct pair p;

	PAIR(&p);
	ASSERT_EQ(0, setsockopt(p.c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	EXPECT_EQ(2, send(p.c, "hi", 2, MSG_NOSIGNAL));
	EXPECT_NE(0, ct_wait_events(p.a, POLLIN, WAIT_MS) & POLLIN);
	close(p.c);
	EXPECT_NE(0, ct_wait_events(p.a, POLLERR, WAIT_MS) & POLLERR);
	/* what came before the reset is still read, then the error, then EOF */
	EXPECT_EQ(2, recv(p.a, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, err_of(recv(p.a, buf, sizeof(buf), 0)));
	EXPECT_EQ(0, recv(p.a, buf, sizeof(buf), 0));
}

/*
 * After a reset: the first write says ECONNRESET, the next ones EPIPE
 * with SIGPIPE, unless MSG_NOSIGNAL.
 */
TEST_F(conn, write_after_reset)
{
	struct linger lg = { 1, 0 };
	struct iovec iov = { "x", 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pair p;

	PAIR(&p);
	ASSERT_EQ(0, setsockopt(p.a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(p.a);
	EXPECT_NE(0, ct_wait_events(p.c, POLLERR, WAIT_MS) & POLLERR);
	EXPECT_EQ(ECONNRESET, err_of(send(p.c, "x", 1, MSG_NOSIGNAL)));
	EXPECT_EQ(0, ct_sigpipe_taken());
	EXPECT_EQ(EPIPE, err_of(send(p.c, "x", 1, MSG_NOSIGNAL)));
	EXPECT_EQ(0, ct_sigpipe_taken());
	EXPECT_EQ(EPIPE, err_of(sendmsg(p.c, &msg, MSG_NOSIGNAL)));
	EXPECT_EQ(0, ct_sigpipe_taken());
	EXPECT_EQ(EPIPE, err_of(send(p.c, "x", 1, 0)));
	EXPECT_EQ(1, ct_sigpipe_taken());
	EXPECT_EQ(EPIPE, err_of(write(p.c, "x", 1)));
	EXPECT_EQ(1, ct_sigpipe_taken());
	EXPECT_EQ(EPIPE, err_of(sendmsg(p.c, &msg, 0)));
	EXPECT_EQ(1, ct_sigpipe_taken());
}

/*
 * Writing to a peer that closed: the write is taken, the peer's orphan
 * answers it with a reset (it reads no more), the next write is EPIPE
 * with SIGPIPE.
 */
TEST_F(conn, write_after_peer_close)
{
	char buf[8];
	struct pair p;

	PAIR(&p);
	close(p.c);
	EXPECT_NE(0, ct_wait_events(p.a, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	EXPECT_EQ(0, recv(p.a, buf, sizeof(buf), 0));
	EXPECT_EQ(4, send(p.a, "late", 4, MSG_NOSIGNAL));
	EXPECT_NE(0, ct_wait_events(p.a, POLLERR, WAIT_MS) & POLLERR) {
		TH_LOG("no reset for data sent to a closed socket");
	}
	EXPECT_EQ(EPIPE, err_of(send(p.a, "more", 4, 0)));
	EXPECT_EQ(1, ct_sigpipe_taken());
}

/* MSG_PEEK returns the data and leaves it. */
TEST_F(conn, msg_peek)
{
	char buf[32];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(8, send(p.c, "peekaboo", 8, MSG_NOSIGNAL));
	EXPECT_EQ(8, wait_ioctl(p.a, SIOCINQ, 8, WAIT_MS));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(4, recv(p.a, buf, 4, MSG_PEEK));
	EXPECT_STREQ("peek", buf);
	EXPECT_EQ(8, ioctl_val(p.a, SIOCINQ));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(8, recv(p.a, buf, 8, MSG_PEEK));
	EXPECT_STREQ("peekaboo", buf);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(8, recv(p.a, buf, 8, 0));
	EXPECT_STREQ("peekaboo", buf);
	EXPECT_EQ(0, ioctl_val(p.a, SIOCINQ));
	EXPECT_EQ(EAGAIN, err_of(recv(p.a, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT)));
	/* a peek for more than there is returns what there is */
	EXPECT_EQ(5, send(p.c, "again", 5, MSG_NOSIGNAL));
	EXPECT_EQ(5, wait_ioctl(p.a, SIOCINQ, 5, WAIT_MS));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(5, recv(p.a, buf, sizeof(buf), MSG_PEEK));
	EXPECT_STREQ("again", buf);
	EXPECT_EQ(5, recv(p.a, buf, sizeof(buf), 0));
}

struct paced_send {
	int fd, pieces, size, gap_ms, shut;
	pthread_t th;
};

static void *paced_send_run(void *arg)
{
	struct paced_send *s = arg;
	unsigned char buf[4096];
	int i;

	for (i = 0; i < s->pieces; i++) {
		tern_msleep(s->gap_ms);
		ct_fill(buf, s->size, (size_t)i * s->size, 5);
		send(s->fd, buf, s->size, MSG_NOSIGNAL);
	}
	if (s->shut)
		shutdown(s->fd, SHUT_WR);
	return NULL;
}

/* MSG_WAITALL waits for the whole length, or less at EOF. */
TEST_F(conn, msg_waitall)
{
	static unsigned char buf[4096];
	struct paced_send s = { .pieces = 4, .size = 250, .gap_ms = 50 };
	struct pair p;

	if (SEQPACKET)
		SKIP(return, "a byte stream rule");
	PAIR(&p);
	s.fd = p.c;
	ASSERT_EQ(0, pthread_create(&s.th, NULL, paced_send_run, &s));
	EXPECT_EQ(1000, recv(p.a, buf, 1000, MSG_WAITALL));
	EXPECT_EQ(-1, ct_check(buf, 1000, 0, 5));
	pthread_join(s.th, NULL);

	s.pieces = 1;
	s.size = 100;
	s.shut = 1;
	ASSERT_EQ(0, pthread_create(&s.th, NULL, paced_send_run, &s));
	EXPECT_EQ(100, recv(p.a, buf, 1000, MSG_WAITALL));
	pthread_join(s.th, NULL);
	EXPECT_EQ(0, recv(p.a, buf, 1000, MSG_WAITALL));
}

/* Nothing to read: EAGAIN with MSG_DONTWAIT or O_NONBLOCK. */
TEST_F(conn, msg_dontwait)
{
	char buf[8];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(EAGAIN, err_of(recv(p.a, buf, sizeof(buf), MSG_DONTWAIT)));
	EXPECT_EQ(EAGAIN, err_of(recv(p.c, buf, sizeof(buf), MSG_DONTWAIT)));
	ASSERT_EQ(0, ct_set_nonblock(p.a, 1));
	EXPECT_EQ(EAGAIN, err_of(read(p.a, buf, sizeof(buf))));
	EXPECT_EQ(1, send(p.c, "z", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
	EXPECT_NE(0, ct_wait_events(p.a, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(1, recv(p.a, buf, sizeof(buf), MSG_DONTWAIT));
}

/* SO_RCVTIMEO bounds recv(): EAGAIN after the timeout. */
TEST_F(conn, recv_rcvtimeo)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);
	long long t0, ms;
	char buf[8];
	struct pair p;

	PAIR(&p);
	ASSERT_EQ(0, ct_set_timeo(p.a, SO_RCVTIMEO, 300));
	ASSERT_EQ(0, getsockopt(p.a, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	EXPECT_EQ(0, tv.tv_sec);
	EXPECT_EQ(300000, tv.tv_usec);
	t0 = ct_now_ms();
	EXPECT_EQ(EAGAIN, err_of(recv(p.a, buf, sizeof(buf), 0)));
	ms = ct_now_ms() - t0;
	EXPECT_LE(250, ms);
	EXPECT_GE(5000, ms);
}

/*
 * A peer that does not read, small buffers: a send with SO_SNDTIMEO takes
 * what fits and returns that count; the next one waits the timeout and
 * says EAGAIN. Then the sender's SIOCOUTQ plus the receiver's SIOCINQ is
 * exactly what was taken, and the receiver gets exactly those bytes.
 */
TEST_F(conn, send_sndtimeo)
{
	size_t big = SEQPACKET ? 1000 : 4 << 20;
	long long t0, ms;
	ssize_t taken = 0, n;
	unsigned char *buf;
	int l, c, a, port, outq, inq;

	buf = malloc(big);
	ASSERT_NE(NULL, buf);
	l = LISTENER(FAM, LO, 0, 1, 0, &port);
	ASSERT_EQ(0, ct_set_int(l, SOL_SOCKET, SO_RCVBUF, 4096));
	c = SOCK(FAM);
	ASSERT_EQ(0, ct_set_int(c, SOL_SOCKET, SO_SNDBUF, 4096));
	ASSERT_EQ(0, ct_connect_fd(c, FAM, LO, port));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, ct_set_timeo(c, SO_SNDTIMEO, 300));
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 5000));

	if (SEQPACKET) {
		/* whole messages until one does not fit */
		for (;;) {
			ct_fill(buf, big, taken, 6);
			n = send(c, buf, big, MSG_NOSIGNAL);
			if (n < 0)
				break;
			ASSERT_EQ((ssize_t)big, n);
			taken += n;
			ASSERT_GT(64 << 20, taken);
		}
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_LT(0, taken);
	} else {
		int i;

		/* what fits, then (once acknowledgments stop freeing room) EAGAIN */
		for (i = 0; i < 20; i++) {
			ct_fill(buf, big, taken, 6);
			t0 = ct_now_ms();
			n = send(c, buf, big, MSG_NOSIGNAL);
			ms = ct_now_ms() - t0;
			if (n < 0)
				break;
			EXPECT_GT((ssize_t)big, n);
			taken += n;
		}
		EXPECT_EQ(-1, n);
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_LT(0, taken);
		EXPECT_LE(250, ms);
		EXPECT_GE(5000, ms);
	}
	EXPECT_EQ(EAGAIN, err_of(send(c, buf, SEQPACKET ? big : 1,
				      MSG_DONTWAIT | MSG_NOSIGNAL)));
	EXPECT_EQ(0, ct_poll(c, POLLOUT, 0));

	/* every byte taken is in one of the two queues, once */
	t0 = ct_now_ms();
	do {
		outq = ioctl_val(c, SIOCOUTQ);
		inq = ioctl_val(a, SIOCINQ);
		if (outq + inq == taken)
			break;
		tern_msleep(10);
	} while (ct_now_ms() < t0 + WAIT_MS);
	EXPECT_EQ(taken, outq + inq) {
		TH_LOG("SIOCOUTQ %d + SIOCINQ %d, %zd taken", outq, inq, taken);
	}
	if (SEQPACKET) {
		ssize_t got = 0;

		while (got < taken) {
			n = recv(a, buf, big, 0);
			EXPECT_EQ((ssize_t)big, n);
			if (n <= 0)
				break;
			EXPECT_EQ(-1, ct_check(buf, n, got, 6));
			got += n;
		}
	} else {
		n = ct_recv_pattern(a, taken, 0, 6);
		EXPECT_EQ(taken, n);
		if (n != taken) {
			struct linger lg = { 1, 0 };

			/*
			 * The rest will not come: reset the connection, or
			 * its sender would outlive the test, an orphan that
			 * keeps waiting for room.
			 */
			TH_LOG("%zd of %zd bytes came; resetting the connection", n, taken);
			if (variant->p == &tern_proto)
				ct_sh("cat /proc/net/tern/sockets >&2; grep -E "
				      "'RcvQDrops|InWinDrops|RTOs' /proc/net/tern/snmp >&2");
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
	}
	EXPECT_EQ(EAGAIN, err_of(recv(a, buf, 1, MSG_DONTWAIT)));
	EXPECT_NE(0, ct_wait_events(c, POLLOUT, WAIT_MS) & POLLOUT);
	free(buf);
}

/* SIOCINQ and SIOCOUTQ: what is unread, what is unacknowledged. */
TEST_F(conn, ioctl_queues)
{
	char buf[3000];
	struct pair p;
	int i;

	PAIR(&p);
	EXPECT_EQ(-EINVAL, ioctl_val(p.l, SIOCINQ));
	EXPECT_EQ(-EINVAL, ioctl_val(p.l, SIOCOUTQ));
	EXPECT_EQ(0, ioctl_val(p.c, SIOCINQ));
	EXPECT_EQ(0, ioctl_val(p.c, SIOCOUTQ));
	memset(buf, 'q', sizeof(buf));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(1000, send(p.c, buf, 1000, MSG_NOSIGNAL));
	}
	EXPECT_EQ(3000, wait_ioctl(p.a, SIOCINQ, 3000, WAIT_MS));
	EXPECT_EQ(0, wait_ioctl(p.c, SIOCOUTQ, 0, WAIT_MS));
	EXPECT_EQ(1000, recv(p.a, buf, 1000, 0));
	EXPECT_EQ(2000, ioctl_val(p.a, SIOCINQ));
	/* the FIN is no byte to read */
	EXPECT_EQ(0, shutdown(p.c, SHUT_WR));
	EXPECT_NE(0, ct_wait_events(p.a, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	EXPECT_EQ(2000, ioctl_val(p.a, SIOCINQ));
	EXPECT_EQ(1000, recv(p.a, buf, 1000, 0));
	EXPECT_EQ(1000, recv(p.a, buf, 1000, 0));
	EXPECT_EQ(0, ioctl_val(p.a, SIOCINQ));
	EXPECT_EQ(0, recv(p.a, buf, 1000, 0));
	EXPECT_EQ(0, ioctl_val(p.a, SIOCINQ));
	EXPECT_EQ(0, wait_ioctl(p.c, SIOCOUTQ, 0, WAIT_MS));
}

/* shutdown(SHUT_RD): what is queued is read, then EOF at once. */
TEST_F(conn, shutdown_rd)
{
	char buf[8];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(3, send(p.a, "abc", 3, MSG_NOSIGNAL));
	EXPECT_NE(0, ct_wait_events(p.c, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(0, err_of(shutdown(p.c, SHUT_RD)));
	EXPECT_EQ(POLLIN | POLLRDNORM | POLLRDHUP, revents(p.c) &
		  (POLLIN | POLLRDNORM | POLLRDHUP | POLLHUP));
	EXPECT_EQ(3, recv(p.c, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(p.c, buf, sizeof(buf), 0));
	/* writing still works */
	EXPECT_EQ(2, send(p.c, "up", 2, MSG_NOSIGNAL));
	EXPECT_EQ(2, recv(p.a, buf, sizeof(buf), 0));
}

/* ------------------------------------------------------------------
 * poll and epoll
 */

#define RD	(POLLIN | POLLRDNORM)
#define WR	(POLLOUT | POLLWRNORM)

/* The exact revents of each state, as tcp_poll() gives them. */
TEST_F(conn, poll_states)
{
	char buf[16];
	struct pair p;

	PAIR(&p);
	EXPECT_EQ(0, revents(p.l));
	EXPECT_EQ(WR, revents(p.c));
	EXPECT_EQ(WR, revents(p.a));
	/* data */
	EXPECT_EQ(10, send(p.a, "0123456789", 10, MSG_NOSIGNAL));
	EXPECT_EQ(RD | WR, ct_wait_events(p.c, POLLIN, WAIT_MS));
	EXPECT_EQ(10, recv(p.c, buf, sizeof(buf), 0));
	EXPECT_EQ(WR, revents(p.c));
	/* the peer's FIN */
	EXPECT_EQ(0, shutdown(p.a, SHUT_WR));
	EXPECT_EQ(RD | POLLRDHUP | WR, ct_wait_events(p.c, POLLRDHUP, WAIT_MS));
	EXPECT_EQ(WR, revents(p.a));
	EXPECT_EQ(0, recv(p.c, buf, sizeof(buf), 0));
	EXPECT_EQ(RD | POLLRDHUP | WR, revents(p.c));
	/* both directions closed */
	EXPECT_EQ(0, shutdown(p.c, SHUT_WR));
	EXPECT_EQ(POLLHUP | RD | POLLRDHUP | WR, ct_wait_events(p.c, POLLHUP, WAIT_MS));
	EXPECT_EQ(POLLHUP | RD | POLLRDHUP | WR, ct_wait_events(p.a, POLLHUP, WAIT_MS));
}

/* After a reset: POLLERR until SO_ERROR is read, POLLHUP for good. */
TEST_F(conn, poll_reset)
{
	struct linger lg = { 1, 0 };
	char addr[INET6_ADDRSTRLEN], buf[8];
	struct pair p;

	PAIR(&p);
	ASSERT_EQ(0, setsockopt(p.a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(p.a);
	EXPECT_EQ(POLLERR | POLLHUP | RD | POLLRDHUP | WR,
		  ct_wait_events(p.c, POLLERR, WAIT_MS));
	EXPECT_EQ(ECONNRESET, so_error(p.c));
	EXPECT_EQ(0, so_error(p.c));
	EXPECT_EQ(POLLHUP | RD | POLLRDHUP | WR, revents(p.c));
	EXPECT_EQ(0, recv(p.c, buf, sizeof(buf), 0));
	EXPECT_EQ(-ENOTCONN, name_of(p.c, 1, addr, sizeof(addr), NULL, NULL));
	EXPECT_EQ(ENOTCONN, err_of(shutdown(p.c, SHUT_WR)));
	/* still a connected socket to connect() */
	EXPECT_EQ(EISCONN, ct_connect_fd(p.c, FAM, LO, p.port));
}

/* epoll, edge-triggered: one event per change. */
TEST_F(conn, epoll_edges)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	struct epoll_event out[4];
	struct linger lg = { 1, 0 };
	char buf[8];
	struct pair p;
	int ep;

	PAIR(&p);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, p.c, &ev));
	ASSERT_EQ(1, epoll_wait(ep, out, 4, 0));
	EXPECT_EQ(EPOLLOUT, (int)out[0].events);
	EXPECT_EQ(0, epoll_wait(ep, out, 4, 0));

	EXPECT_EQ(5, send(p.a, "hello", 5, MSG_NOSIGNAL));
	ASSERT_EQ(1, epoll_wait(ep, out, 4, WAIT_MS));
	EXPECT_EQ(EPOLLIN | EPOLLOUT, (int)out[0].events);
	EXPECT_EQ(5, recv(p.c, buf, sizeof(buf), 0));

	EXPECT_EQ(0, shutdown(p.a, SHUT_WR));
	ASSERT_EQ(1, epoll_wait(ep, out, 4, WAIT_MS));
	EXPECT_EQ(EPOLLIN | EPOLLOUT | EPOLLRDHUP, (int)out[0].events);

	ASSERT_EQ(0, setsockopt(p.a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(p.a);
	ASSERT_EQ(1, epoll_wait(ep, out, 4, WAIT_MS));
	EXPECT_EQ(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLERR | EPOLLHUP, (int)out[0].events);
}

/* ------------------------------------------------------------------
 * Keepalive, user timeout, the other options
 */

/* Keepalive 1/1/2 s and a peer gone silent: ETIMEDOUT in about 3 s. */
TEST_F(conn, keepalive_timeout)
{
	long long t0, ms;
	char buf[8];
	struct pair p;

	PAIR(&p);
	ASSERT_EQ(0, ct_set_int(p.c, SOL_SOCKET, SO_KEEPALIVE, 1));
	ASSERT_EQ(0, ct_set_int(p.c, SOL, TCP_KEEPIDLE, 1));
	ASSERT_EQ(0, ct_set_int(p.c, SOL, TCP_KEEPINTVL, 1));
	ASSERT_EQ(0, ct_set_int(p.c, SOL, TCP_KEEPCNT, 2));
	EXPECT_EQ(1, ct_get_int(p.c, SOL_SOCKET, SO_KEEPALIVE));
	EXPECT_EQ(1, ct_get_int(p.c, SOL, TCP_KEEPIDLE));
	EXPECT_EQ(1, ct_get_int(p.c, SOL, TCP_KEEPINTVL));
	EXPECT_EQ(2, ct_get_int(p.c, SOL, TCP_KEEPCNT));
	/* the peer's keepalive settings are its own */
	EXPECT_EQ(0, ct_get_int(p.a, SOL_SOCKET, SO_KEEPALIVE));
	EXPECT_EQ(7200, ct_get_int(p.a, SOL, TCP_KEEPIDLE));
	drop_all(_metadata, self);
	ASSERT_EQ(0, ct_set_timeo(p.c, SO_RCVTIMEO, 20000));
	t0 = ct_now_ms();
	EXPECT_EQ(ETIMEDOUT, err_of(recv(p.c, buf, sizeof(buf), 0)));
	ms = ct_now_ms() - t0;
	TH_LOG("keepalive gave up after %lld ms", ms);
	EXPECT_LE(1500, ms);
	EXPECT_GE(15000, ms);
	drop_none(_metadata, self);
}

/*
 * TCP_USER_TIMEOUT 3 s and a peer gone silent: ETIMEDOUT once the data
 * has gone unacknowledged that long. TCP counts from the first
 * transmission and cuts its last backoff short to end at the timeout
 * (tcp_clamp_rto_to_user_timeout()), not at the next retransmission
 * after it; 2.5 s of slack are for a busy (emulated) machine.
 */
TEST_F(conn, user_timeout_vanished)
{
	long long t0, ms;
	char buf[1000];
	struct pair p;

	PAIR(&p);
	ASSERT_EQ(0, ct_set_int(p.c, SOL, TCP_USER_TIMEOUT, 3000));
	drop_all(_metadata, self);
	ASSERT_EQ(0, ct_set_timeo(p.c, SO_RCVTIMEO, 20000));
	memset(buf, 'u', sizeof(buf));
	t0 = ct_now_ms();
	EXPECT_EQ(1000, send(p.c, buf, sizeof(buf), MSG_NOSIGNAL));
	EXPECT_EQ(ETIMEDOUT, err_of(recv(p.c, buf, sizeof(buf), 0)));
	ms = ct_now_ms() - t0;
	TH_LOG("user timeout of 3000 ms ended the connection after %lld ms", ms);
	EXPECT_LE(2700, ms);
	EXPECT_GE(5500, ms);
	EXPECT_EQ(EPIPE, err_of(send(p.c, buf, 1, MSG_NOSIGNAL)));
	drop_none(_metadata, self);
}

/* An int option's accepted range: each value, and whether it is taken. */
struct range_case {
	int val;
	int err;	/* 0: taken, read back as itself */
};

static void check_range(struct __test_metadata *_metadata, int fd, int level,
			int name, const char *what,
			const struct range_case *cases, unsigned int n)
{
	unsigned int i;
	int before;

	for (i = 0; i < n; i++) {
		before = ct_get_int(fd, level, name);
		EXPECT_EQ(cases[i].err, ct_set_int(fd, level, name, cases[i].val)) {
			TH_LOG("%s = %d", what, cases[i].val);
		}
		EXPECT_EQ(cases[i].err ? before : cases[i].val,
			  ct_get_int(fd, level, name)) {
			TH_LOG("%s after setting %d", what, cases[i].val);
		}
	}
}

TEST_F(conn, keepalive_options)
{
	static const struct range_case idle[] = {
		{ 0, EINVAL }, { -1, EINVAL }, { 1, 0 }, { 32767, 0 },
		{ 32768, EINVAL }, { INT_MIN, EINVAL }, { 60, 0 },
	};
	static const struct range_case cnt[] = {
		{ 0, EINVAL }, { -1, EINVAL }, { 1, 0 }, { 127, 0 },
		{ 128, EINVAL }, { 5, 0 },
	};
	struct pair p;
	int fd = SOCK(FAM);

	/* the defaults are the namespace's */
	EXPECT_EQ(7200, ct_get_int(fd, SOL, TCP_KEEPIDLE));
	EXPECT_EQ(75, ct_get_int(fd, SOL, TCP_KEEPINTVL));
	EXPECT_EQ(9, ct_get_int(fd, SOL, TCP_KEEPCNT));
	ASSERT_EQ(0, ct_sysctl_write(variant->p->keepalive_time, "100"));
	ASSERT_EQ(0, ct_sysctl_write(variant->p->keepalive_intvl, "10"));
	ASSERT_EQ(0, ct_sysctl_write(variant->p->keepalive_probes, "3"));
	EXPECT_EQ(100, ct_get_int(fd, SOL, TCP_KEEPIDLE));
	EXPECT_EQ(10, ct_get_int(fd, SOL, TCP_KEEPINTVL));
	EXPECT_EQ(3, ct_get_int(fd, SOL, TCP_KEEPCNT));

	check_range(_metadata, fd, SOL, TCP_KEEPIDLE, "KEEPIDLE", idle, ARRAY_SIZE(idle));
	check_range(_metadata, fd, SOL, TCP_KEEPINTVL, "KEEPINTVL", idle, ARRAY_SIZE(idle));
	check_range(_metadata, fd, SOL, TCP_KEEPCNT, "KEEPCNT", cnt, ARRAY_SIZE(cnt));
	/* set on the socket: the sysctls no longer matter */
	ASSERT_EQ(0, ct_sysctl_write(variant->p->keepalive_time, "200"));
	EXPECT_EQ(60, ct_get_int(fd, SOL, TCP_KEEPIDLE));
	/* and on a connected socket too */
	PAIR(&p);
	EXPECT_EQ(200, ct_get_int(p.c, SOL, TCP_KEEPIDLE));
	check_range(_metadata, p.c, SOL, TCP_KEEPIDLE, "KEEPIDLE",
		    idle, ARRAY_SIZE(idle));
	EXPECT_EQ(0, ct_set_int(p.c, SOL_SOCKET, SO_KEEPALIVE, 1));
}

TEST_F(conn, syncnt_option)
{
	static const struct range_case cases[] = {
		{ 0, EINVAL }, { -1, EINVAL }, { 1, 0 }, { 127, 0 },
		{ 128, EINVAL }, { 3, 0 },
	};
	int fd = SOCK(FAM), fd2;

	EXPECT_EQ(6, ct_get_int(fd, SOL, TCP_SYNCNT));
	ASSERT_EQ(0, ct_sysctl_write(variant->p->syn_retries, "2"));
	EXPECT_EQ(2, ct_get_int(fd, SOL, TCP_SYNCNT));
	check_range(_metadata, fd, SOL, TCP_SYNCNT, "SYNCNT", cases, ARRAY_SIZE(cases));
	fd2 = SOCK(FAM);
	EXPECT_EQ(2, ct_get_int(fd2, SOL, TCP_SYNCNT));
}

TEST_F(conn, nodelay_option)
{
	struct pair p;
	char buf[8];
	int fd = SOCK(FAM);

	EXPECT_EQ(0, ct_get_int(fd, SOL, TCP_NODELAY));
	EXPECT_EQ(0, ct_set_int(fd, SOL, TCP_NODELAY, 1));
	EXPECT_EQ(1, ct_get_int(fd, SOL, TCP_NODELAY));
	EXPECT_EQ(0, ct_set_int(fd, SOL, TCP_NODELAY, 0));
	EXPECT_EQ(0, ct_get_int(fd, SOL, TCP_NODELAY));
	EXPECT_EQ(0, ct_set_int(fd, SOL, TCP_NODELAY, 42));
	EXPECT_EQ(1, ct_get_int(fd, SOL, TCP_NODELAY));
	EXPECT_EQ(0, ct_set_int(fd, SOL, TCP_NODELAY, -1));
	EXPECT_EQ(1, ct_get_int(fd, SOL, TCP_NODELAY));
	PAIR(&p);
	EXPECT_EQ(0, ct_set_int(p.c, SOL, TCP_NODELAY, 1));
	EXPECT_EQ(1, send(p.c, "a", 1, MSG_NOSIGNAL));
	EXPECT_EQ(1, send(p.c, "b", 1, MSG_NOSIGNAL));
	EXPECT_EQ(SEQPACKET ? 1 : 2, recv(p.a, buf, 2, MSG_WAITALL));
}

/*
 * TCP_MAXSEG: 0 or 88..32767; an unconnected socket reads 536 until set,
 * then what was set; a connection's segments are no larger, and the
 * data still arrives.
 */
TEST_F(conn, maxseg_option)
{
	static const struct range_case cases[] = {
		{ 87, EINVAL }, { -1, EINVAL }, { 88, 0 }, { 32767, 0 },
		{ 32768, EINVAL }, { 20000, 0 }, { 1000, 0 },
	};
	struct ct_xfer x;
	int fd = SOCK(FAM), l, c, a, port, mss;

	EXPECT_EQ(536, ct_get_int(fd, SOL, TCP_MAXSEG));
	check_range(_metadata, fd, SOL, TCP_MAXSEG, "MAXSEG", cases, ARRAY_SIZE(cases));
	EXPECT_EQ(0, ct_set_int(fd, SOL, TCP_MAXSEG, 0));
	EXPECT_EQ(536, ct_get_int(fd, SOL, TCP_MAXSEG));

	l = LISTENER(FAM, LO, 0, 1, 0, &port);
	EXPECT_EQ(0, ct_set_int(l, SOL, TCP_MAXSEG, 1000));
	EXPECT_EQ(1000, ct_get_int(l, SOL, TCP_MAXSEG));
	c = SOCK(FAM);
	EXPECT_EQ(0, ct_set_int(c, SOL, TCP_MAXSEG, 1000));
	ASSERT_EQ(0, ct_connect_fd(c, FAM, LO, port));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	mss = ct_get_int(c, SOL, TCP_MAXSEG);
	EXPECT_LT(0, mss);
	EXPECT_GE(1000, mss);
	mss = ct_get_int(a, SOL, TCP_MAXSEG);
	EXPECT_LT(0, mss);
	EXPECT_GE(1000, mss);
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 10000));
	x = (struct ct_xfer){ .fd = c, .send = 1, .len = 200000, .seed = 8,
			      .chunk = SEQPACKET ? 30000 : 65536, .shut = 1 };
	ASSERT_EQ(0, ct_xfer_start(&x));
	EXPECT_EQ(200000, ct_recv_pattern(a, 200001, 0, 8));
	ct_xfer_join(&x);
	EXPECT_EQ(200000, x.result);
}

TEST_F(conn, user_timeout_option)
{
	static const struct range_case cases[] = {
		{ -1, EINVAL }, { INT_MIN, EINVAL }, { 0, 0 }, { 1, 0 },
		{ 1000, 0 }, { INT_MAX, 0 }, { 30000, 0 },
	};
	int fd = SOCK(FAM);

	EXPECT_EQ(0, ct_get_int(fd, SOL, TCP_USER_TIMEOUT));
	check_range(_metadata, fd, SOL, TCP_USER_TIMEOUT, "USER_TIMEOUT",
		    cases, ARRAY_SIZE(cases));
}

/* An option the level does not have: ENOPROTOOPT, after the length check. */
TEST_F(conn, unknown_option)
{
	static const int names[] = { 100, 1000, 12345, INT_MAX, -1 };
	unsigned int i;
	int fd = SOCK(FAM), val = 1;
	socklen_t len;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_EQ(ENOPROTOOPT, err_of(setsockopt(fd, SOL, names[i], &val,
							 sizeof(val)))) {
			TH_LOG("setsockopt %d", names[i]);
		}
		len = sizeof(val);
		EXPECT_EQ(ENOPROTOOPT, err_of(getsockopt(fd, SOL, names[i], &val, &len))) {
			TH_LOG("getsockopt %d", names[i]);
		}
		/* the length is checked first */
		EXPECT_EQ(EINVAL, err_of(setsockopt(fd, SOL, names[i], &val, 2))) {
			TH_LOG("setsockopt %d with optlen 2", names[i]);
		}
		EXPECT_EQ(EINVAL, err_of(setsockopt(fd, SOL, names[i], NULL, 0))) {
			TH_LOG("setsockopt %d with optlen 0", names[i]);
		}
		len = -1;
		EXPECT_EQ(EINVAL, err_of(getsockopt(fd, SOL, names[i], &val, &len)));
	}
}

/* Option lengths: short is EINVAL for set, truncates for get. */
TEST_F(conn, option_lengths)
{
	static const int names[] = {
		TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL,
		TCP_KEEPCNT, TCP_SYNCNT, TCP_USER_TIMEOUT,
	};
	unsigned int i;
	int fd = SOCK(FAM);

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		long long big = 100;	/* the int at its start is valid for all */
		int val = 5, full;
		unsigned char b[8];
		socklen_t len;

		EXPECT_EQ(EINVAL, err_of(setsockopt(fd, SOL, names[i], &val, 3))) {
			TH_LOG("option %d, optlen 3", names[i]);
		}
		EXPECT_EQ(EINVAL, err_of(setsockopt(fd, SOL, names[i], NULL, 0)));
		/* longer is fine: the int at the start is taken */
		EXPECT_EQ(0, err_of(setsockopt(fd, SOL, names[i], &big, sizeof(big)))) {
			TH_LOG("option %d, optlen 8", names[i]);
		}
		full = ct_get_int(fd, SOL, names[i]);
		memset(b, 0xee, sizeof(b));
		len = 2;
		EXPECT_EQ(0, err_of(getsockopt(fd, SOL, names[i], b, &len)));
		EXPECT_EQ(2u, len);
		EXPECT_EQ(0, memcmp(b, &full, 2));
		EXPECT_EQ(0xee, b[2]);
		len = 0;
		EXPECT_EQ(0, err_of(getsockopt(fd, SOL, names[i], b, &len)));
		EXPECT_EQ(0u, len);
		len = sizeof(b);
		EXPECT_EQ(0, err_of(getsockopt(fd, SOL, names[i], b, &len)));
		EXPECT_EQ(sizeof(int), len);
		len = -1;
		EXPECT_EQ(EINVAL, err_of(getsockopt(fd, SOL, names[i], b, &len)));
	}
}

/* ------------------------------------------------------------------
 * IPv4 and IPv6 together
 */

/* An IPv6 socket reaches an IPv4 listener at ::ffff:127.0.0.1. */
TEST_F(conn, v4mapped_connect)
{
	char addr[INET6_ADDRSTRLEN], buf[8];
	int l, c, a, port, cport, fam, v6only;

	l = LISTENER(AF_INET, CT_LO4, 0, 1, 0, &port);
	c = SOCK(AF_INET6);
	ASSERT_EQ(0, ct_connect_fd(c, AF_INET6, CT_MAPPED_LO, port));
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 5000));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	cport = name_of(c, 0, addr, sizeof(addr), &fam, NULL);
	EXPECT_EQ(AF_INET6, fam);
	EXPECT_STREQ(CT_MAPPED_LO, addr);
	EXPECT_EQ(port, name_of(c, 1, addr, sizeof(addr), &fam, NULL));
	EXPECT_STREQ(CT_MAPPED_LO, addr);
	EXPECT_EQ(cport, name_of(a, 1, addr, sizeof(addr), &fam, NULL));
	EXPECT_EQ(AF_INET, fam);
	EXPECT_STREQ(CT_LO4, addr);
	EXPECT_EQ(2, send(c, "v6", 2, MSG_NOSIGNAL));
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 5000));
	EXPECT_EQ(2, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(2, send(a, "v4", 2, MSG_NOSIGNAL));
	ASSERT_EQ(0, ct_set_timeo(c, SO_RCVTIMEO, 5000));
	EXPECT_EQ(2, recv(c, buf, sizeof(buf), 0));

	/* not from an IPV6_V6ONLY socket */
	v6only = SOCK(AF_INET6);
	ASSERT_EQ(0, ct_set_int(v6only, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	EXPECT_EQ(ENETUNREACH, ct_connect_fd(v6only, AF_INET6, CT_MAPPED_LO, port));
}

/* A dual-stack IPv6 listener accepts IPv4 clients, as ::ffff:a.b.c.d. */
TEST_F(conn, dualstack_accepts_v4)
{
	char addr[INET6_ADDRSTRLEN], buf[8];
	int l, c4, c6, a, port, fam;

	l = SOCK(AF_INET6);
	ASSERT_EQ(0, ct_set_int(l, IPPROTO_IPV6, IPV6_V6ONLY, 0));
	ASSERT_EQ(0, bind_to(l, AF_INET6, NULL, 0));
	ASSERT_EQ(0, listen(l, 4));
	port = ct_port_of(l, 0);
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 5000));

	c4 = ct_connect_to(AF_INET, variant->type, variant->p->protocol, CT_LO4, port);
	ASSERT_LE(0, c4) {
		TH_LOG("IPv4 client: %s", strerror(-c4));
	}
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(ct_port_of(c4, 0), name_of(a, 1, addr, sizeof(addr), &fam, NULL));
	EXPECT_EQ(AF_INET6, fam);
	EXPECT_STREQ(CT_MAPPED_LO, addr);
	EXPECT_EQ(port, name_of(a, 0, addr, sizeof(addr), &fam, NULL));
	EXPECT_STREQ(CT_MAPPED_LO, addr);
	EXPECT_EQ(3, send(c4, "hey", 3, MSG_NOSIGNAL));
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 5000));
	EXPECT_EQ(3, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(2, send(a, "yo", 2, MSG_NOSIGNAL));
	ASSERT_EQ(0, ct_set_timeo(c4, SO_RCVTIMEO, 5000));
	EXPECT_EQ(2, recv(c4, buf, sizeof(buf), 0));

	c6 = ct_connect_to(AF_INET6, variant->type, variant->p->protocol, CT_LO6, port);
	ASSERT_LE(0, c6);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(ct_port_of(c6, 0), name_of(a, 1, addr, sizeof(addr), NULL, NULL));
	EXPECT_STREQ(CT_LO6, addr);
}

/* An IPV6_V6ONLY listener: IPv4 clients are refused. */
TEST_F(conn, v6only_refuses_v4)
{
	int l, c6, port;

	l = SOCK(AF_INET6);
	ASSERT_EQ(0, ct_set_int(l, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	ASSERT_EQ(0, bind_to(l, AF_INET6, NULL, 0));
	ASSERT_EQ(0, listen(l, 4));
	port = ct_port_of(l, 0);
	EXPECT_EQ(-ECONNREFUSED, ct_connect_to(AF_INET, variant->type,
					       variant->p->protocol, CT_LO4, port));
	c6 = ct_connect_to(AF_INET6, variant->type, variant->p->protocol, CT_LO6, port);
	EXPECT_LE(0, c6);
}

/* ------------------------------------------------------------------
 * TIME_WAIT and SO_REUSEADDR
 */

/*
 * Two SO_REUSEPORT listeners on one port share incoming connections (by
 * the hash of the four-tuple, as TCP does): 32 connections from as many
 * source ports all get accepted, and both listeners take some.
 */
TEST_F(conn, reuseport_listeners_share)
{
	struct sockaddr_storage ss;
	int l[2], c[32], got[2] = { 0, 0 };
	int i, j, port = 0, one = 1;
	long long deadline;
	socklen_t len;

	for (i = 0; i < 2; i++) {
		l[i] = SOCK(FAM);
		ASSERT_EQ(0, setsockopt(l[i], SOL_SOCKET, SO_REUSEPORT, &one,
					sizeof(one)));
		len = ct_addr(&ss, FAM, LO, port);
		ASSERT_EQ(0, bind(l[i], (struct sockaddr *)&ss, len));
		ASSERT_EQ(0, listen(l[i], 64));
		port = ct_port_of(l[i], 0);
		ASSERT_EQ(0, ct_set_nonblock(l[i], 1));
	}
	for (j = 0; j < 32; j++) {
		c[j] = SOCK(FAM);
		ASSERT_EQ(0, ct_connect_fd(c[j], FAM, LO, port));
	}
	deadline = ct_now_ms() + WAIT_MS;
	while (got[0] + got[1] < 32 && ct_now_ms() < deadline) {
		for (i = 0; i < 2; i++) {
			int fd;

			if (!(ct_poll(l[i], POLLIN, 50) & POLLIN))
				continue;
			fd = accept(l[i], NULL, NULL);
			if (fd >= 0) {
				got[i]++;
				close(fd);
			}
		}
	}
	TH_LOG("connections accepted: %d and %d", got[0], got[1]);
	EXPECT_EQ(32, got[0] + got[1]);
	EXPECT_LT(0, got[0]);
	EXPECT_LT(0, got[1]);
	for (j = 0; j < 32; j++)
		close(c[j]);
	close(l[0]);
	close(l[1]);
}

/*
 * The side that closes first keeps the port in TIME_WAIT: a new listener
 * binds it only with SO_REUSEADDR (set on the old listener as well).
 */
TEST_F(conn, reuseaddr_time_wait)
{
	char buf[8];
	int l, c, a, s1, s2, port = PORT + 1;

	if (variant->p == &tern_proto)
		ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "3000"));
	l = LISTENER(FAM, LO, port, 1, 1, NULL);
	c = ct_connect_to(FAM, variant->type, variant->p->protocol, LO, port);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, 5000));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	/* the server closes first: its end waits in TIME_WAIT */
	close(a);
	EXPECT_NE(0, ct_wait_events(c, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_EQ(0, ct_set_timeo(c, SO_RCVTIMEO, 5000));
	EXPECT_EQ(0, recv(c, buf, sizeof(buf), 0));
	close(c);
	tern_msleep(200);
	close(l);

	s1 = SOCK(FAM);
	EXPECT_EQ(EADDRINUSE, bind_to(s1, FAM, LO, port));
	close(s1);
	s2 = LISTENER(FAM, LO, port, 1, 1, NULL);
	c = ct_connect_to(FAM, variant->type, variant->p->protocol, LO, port);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ct_set_timeo(s2, SO_RCVTIMEO, 5000));
	a = accept(s2, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(4, send(c, "anew", 4, MSG_NOSIGNAL));
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 5000));
	EXPECT_EQ(4, recv(a, buf, sizeof(buf), 0));
}

TEST_HARNESS_MAIN
