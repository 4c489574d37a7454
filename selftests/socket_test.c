// SPDX-License-Identifier: GPL-2.0
/*
 * Tern selftests for module/socket.c and module/hash.c: which socket()
 * calls make a Tern socket and which errno the others get, the socket's
 * identity and flags, the in-use count, bind() and the port table, socket
 * options, and what an unconnected socket answers.
 *
 * The principle: a Tern socket answers as a TCP socket in the same state
 * would. The bind tests therefore run three times, for Tern SOCK_STREAM,
 * Tern SOCK_SEQPACKET and TCP itself: the TCP run shows that every
 * expectation is TCP's behaviour.
 *
 * Every test runs in its own network namespace, with tern loaded.
 */
#include <grp.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <linux/sockios.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "tern_test.h"
#include "kselftest_harness.h"

#ifndef SOCK_DCCP
#define SOCK_DCCP 6
#endif
#ifndef SIN6_LEN_RFC2133
#define SIN6_LEN_RFC2133 24
#endif

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

#define NOBODY 65534

/* tern loaded, this test process in a namespace of its own with lo up */
static void tern_setup(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, tern_ensure_loaded());
	ASSERT_EQ(0, tern_new_netns());
	ASSERT_EQ(0, tern_sockets_in_use());
}

/* errno of a call that returned ret: 0 on success */
static int err_of(int ret)
{
	return ret < 0 ? errno : 0;
}

/* socket(): 0 and the fd closed, or its errno */
static int socket_errno(int family, int type, int protocol)
{
	int fd = socket(family, type, protocol);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int getsockopt_int(int fd, int level, int name)
{
	int val = INT_MIN;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, level, name, &val, &len))
		return -errno;
	return val;
}

static int setsockopt_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? errno : 0;
}

/* bind() to addr:port (addr NULL: wildcard): 0 or errno */
static int bind_to(int fd, int family, const char *addr, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = tern_sockaddr(&ss, family, addr, port);

	if (!len)
		return EFAULT;	/* a bad address in the test itself */
	return err_of(bind(fd, (struct sockaddr *)&ss, len));
}

/* The port getsockname() reports, or -errno. */
static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	return tern_sockaddr_port(&ss);
}

/* Run fn(arg) in a child without privileges (uid/gid 65534); its result. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(254);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int read_port_range(int *low, int *high)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%d %d", low, high);
	fclose(f);
	return n == 2 ? 0 : -EPROTO;
}

static int write_sysctl(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------
 * socket(): the family x type x protocol matrix
 */

FIXTURE(create) {
};

FIXTURE_VARIANT(create) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(create, inet_stream) { AF_INET, SOCK_STREAM };
FIXTURE_VARIANT_ADD(create, inet_seqpacket) { AF_INET, SOCK_SEQPACKET };
FIXTURE_VARIANT_ADD(create, inet_dgram) { AF_INET, SOCK_DGRAM };
FIXTURE_VARIANT_ADD(create, inet_rdm) { AF_INET, SOCK_RDM };
FIXTURE_VARIANT_ADD(create, inet_dccp) { AF_INET, SOCK_DCCP };
FIXTURE_VARIANT_ADD(create, inet_packet) { AF_INET, SOCK_PACKET };
FIXTURE_VARIANT_ADD(create, inet6_stream) { AF_INET6, SOCK_STREAM };
FIXTURE_VARIANT_ADD(create, inet6_seqpacket) { AF_INET6, SOCK_SEQPACKET };
FIXTURE_VARIANT_ADD(create, inet6_dgram) { AF_INET6, SOCK_DGRAM };
FIXTURE_VARIANT_ADD(create, inet6_rdm) { AF_INET6, SOCK_RDM };
FIXTURE_VARIANT_ADD(create, inet6_dccp) { AF_INET6, SOCK_DCCP };
FIXTURE_VARIANT_ADD(create, inet6_packet) { AF_INET6, SOCK_PACKET };

FIXTURE_SETUP(create)
{
	/*
	 * The debug kernel's sample: the types Tern serves. The others'
	 * answers come from paths Tern never enters (the stock kernel runs
	 * them all).
	 */
	if (tern_sampled() && variant->type != SOCK_STREAM &&
	    variant->type != SOCK_SEQPACKET)
		SKIP(return, "not in the debug kernel's sample (TERN_SAMPLE=1)");
	tern_setup(_metadata);
}

FIXTURE_TEARDOWN(create)
{
}

/*
 * What inet_create()/inet6_create() answer (as root) with tern loaded:
 * a protocol the type's list lacks is EPROTONOSUPPORT when the list has
 * entries, ESOCKTNOSUPPORT when it is empty. SOCK_STREAM has TCP and Tern,
 * SOCK_SEQPACKET Tern (and SCTP when loaded), SOCK_DGRAM UDP, UDP-Lite and
 * ping, SOCK_DCCP DCCP only when dccp is loaded, SOCK_RDM nothing, and
 * AF_INET6 SOCK_PACKET nothing. AF_INET SOCK_PACKET is turned into an
 * AF_PACKET socket by __sock_create() before inet_create() is asked.
 */
static int expected_errno(int family, int type, int protocol)
{
	switch (type) {
	case SOCK_STREAM:
	case SOCK_SEQPACKET:
		return protocol == IPPROTO_TERN ? 0 : EPROTONOSUPPORT;
	case SOCK_DGRAM:
		return EPROTONOSUPPORT;
	case SOCK_DCCP:
		return tern_proto_inuse(family == AF_INET ? "DCCP" : "DCCPv6") >= 0 ?
			EPROTONOSUPPORT : ESOCKTNOSUPPORT;
	case SOCK_PACKET:
		return family == AF_INET ? 0 : ESOCKTNOSUPPORT;
	default:
		return ESOCKTNOSUPPORT;
	}
}

TEST_F(create, matrix)
{
	static const int protocols[] = { IPPROTO_TERN, 252, 254 };
	int family = variant->family, type = variant->type;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(protocols); i++) {
		int protocol = protocols[i];
		int want = expected_errno(family, type, protocol);
		int fd, got;

		fd = socket(family, type, protocol);
		got = fd < 0 ? errno : 0;
		EXPECT_EQ(want, got) {
			TH_LOG("socket(%d, %d, %d): want %s, got %s", family,
			       type, protocol, strerror(want), strerror(got));
		}
		if (fd < 0)
			continue;
		if (family == AF_INET && type == SOCK_PACKET) {
			/* an AF_PACKET socket, not a Tern one */
			EXPECT_EQ(AF_PACKET, getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN));
			EXPECT_EQ(0, tern_sockets_in_use());
		} else {
			EXPECT_EQ(family, getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN));
			EXPECT_EQ(type, getsockopt_int(fd, SOL_SOCKET, SO_TYPE));
			EXPECT_EQ(protocol, getsockopt_int(fd, SOL_SOCKET, SO_PROTOCOL));
			EXPECT_EQ(1, tern_sockets_in_use());
		}
		close(fd);
		EXPECT_EQ(0, tern_sockets_in_use());
	}

	/*
	 * The analogous TCP socket: IPPROTO_TCP in place of IPPROTO_TERN
	 * gets the same answer for every type but SOCK_SEQPACKET (which
	 * Tern offers and TCP does not).
	 */
	if (type != SOCK_SEQPACKET)
		EXPECT_EQ(socket_errno(family, type, IPPROTO_TCP),
			  socket_errno(family, type, IPPROTO_TERN));
	EXPECT_EQ(0, tern_sockets_in_use());
}

/* Without CAP_NET_RAW, AF_INET SOCK_PACKET is EPERM, for Tern as for TCP. */
static int packet_unprivileged(void *arg)
{
	int tern = socket_errno(AF_INET, SOCK_PACKET, IPPROTO_TERN);
	int tcp = socket_errno(AF_INET, SOCK_PACKET, IPPROTO_TCP);

	return tern == tcp ? tern : 253;
}

TEST_F(create, unprivileged)
{
	int family = variant->family, type = variant->type;

	if (family == AF_INET && type == SOCK_PACKET) {
		EXPECT_EQ(EPERM, as_nobody(packet_unprivileged, NULL));
		return;
	}
	/* needs no privilege: the same answers as root */
	EXPECT_EQ(0, setgroups(0, NULL));
	EXPECT_EQ(0, setgid(NOBODY));
	ASSERT_EQ(0, setuid(NOBODY));
	EXPECT_EQ(expected_errno(family, type, IPPROTO_TERN),
		  socket_errno(family, type, IPPROTO_TERN));
	EXPECT_EQ(expected_errno(family, type, 252),
		  socket_errno(family, type, 252));
}

/* ------------------------------------------------------------------
 * Identity, flags, in-use count
 */

TEST(identity)
{
	static const int kinds[][2] = {
		{ AF_INET, SOCK_STREAM }, { AF_INET, SOCK_SEQPACKET },
		{ AF_INET6, SOCK_STREAM }, { AF_INET6, SOCK_SEQPACKET },
	};
	unsigned int i;

	tern_setup(_metadata);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		int fd = socket(kinds[i][0], kinds[i][1], IPPROTO_TERN);

		ASSERT_LE(0, fd);
		EXPECT_EQ(IPPROTO_TERN, getsockopt_int(fd, SOL_SOCKET, SO_PROTOCOL));
		EXPECT_EQ(kinds[i][1], getsockopt_int(fd, SOL_SOCKET, SO_TYPE));
		EXPECT_EQ(kinds[i][0], getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN));
		EXPECT_EQ(0, getsockopt_int(fd, SOL_SOCKET, SO_ERROR));
		EXPECT_EQ(0, getsockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN));
		close(fd);
	}
}

TEST(flags)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;

	tern_setup(_metadata);
	for (i = 0; i < ARRAY_SIZE(families); i++) {
		int plain, nb, ce, both;

		plain = socket(families[i], SOCK_STREAM, IPPROTO_TERN);
		nb = socket(families[i], SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TERN);
		ce = socket(families[i], SOCK_SEQPACKET | SOCK_CLOEXEC, IPPROTO_TERN);
		both = socket(families[i], SOCK_SEQPACKET | SOCK_NONBLOCK |
			      SOCK_CLOEXEC, IPPROTO_TERN);
		ASSERT_LE(0, plain);
		ASSERT_LE(0, nb);
		ASSERT_LE(0, ce);
		ASSERT_LE(0, both);

		EXPECT_EQ(0, fcntl(plain, F_GETFL) & O_NONBLOCK);
		EXPECT_EQ(0, fcntl(plain, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(O_NONBLOCK, fcntl(nb, F_GETFL) & O_NONBLOCK);
		EXPECT_EQ(0, fcntl(nb, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(0, fcntl(ce, F_GETFL) & O_NONBLOCK);
		EXPECT_EQ(FD_CLOEXEC, fcntl(ce, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(O_NONBLOCK, fcntl(both, F_GETFL) & O_NONBLOCK);
		EXPECT_EQ(FD_CLOEXEC, fcntl(both, F_GETFD) & FD_CLOEXEC);
		/* the flags are not part of the type */
		EXPECT_EQ(SOCK_STREAM, getsockopt_int(nb, SOL_SOCKET, SO_TYPE));
		EXPECT_EQ(SOCK_SEQPACKET, getsockopt_int(both, SOL_SOCKET, SO_TYPE));
		close(plain);
		close(nb);
		close(ce);
		close(both);
	}
}

TEST(inuse_count)
{
	int a, b, c, d, e, dup_a;

	tern_setup(_metadata);
	ASSERT_EQ(0, tern_proto_inuse("TERN"));
	ASSERT_EQ(0, tern_proto_inuse("TERNv6"));

	a = socket(AF_INET, SOCK_STREAM, IPPROTO_TERN);
	ASSERT_LE(0, a);
	EXPECT_EQ(1, tern_proto_inuse("TERN"));
	EXPECT_EQ(0, tern_proto_inuse("TERNv6"));
	b = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_TERN);
	ASSERT_LE(0, b);
	EXPECT_EQ(2, tern_proto_inuse("TERN"));
	c = socket(AF_INET6, SOCK_STREAM, IPPROTO_TERN);
	ASSERT_LE(0, c);
	d = socket(AF_INET6, SOCK_SEQPACKET | SOCK_NONBLOCK, IPPROTO_TERN);
	ASSERT_LE(0, d);
	EXPECT_EQ(2, tern_proto_inuse("TERN"));
	EXPECT_EQ(2, tern_proto_inuse("TERNv6"));

	/* a refused socket() counts nothing */
	EXPECT_GT(0, socket(AF_INET, SOCK_DGRAM, IPPROTO_TERN));
	EXPECT_EQ(4, tern_sockets_in_use());

	/* a duplicate fd is the same socket */
	dup_a = dup(a);
	ASSERT_LE(0, dup_a);
	EXPECT_EQ(2, tern_proto_inuse("TERN"));
	close(a);
	EXPECT_EQ(2, tern_proto_inuse("TERN"));
	close(dup_a);
	EXPECT_EQ(1, tern_proto_inuse("TERN"));

	/* a bound socket too */
	EXPECT_EQ(0, bind_to(c, AF_INET6, "::1", 0));
	close(c);
	EXPECT_EQ(1, tern_proto_inuse("TERNv6"));
	close(b);
	close(d);
	EXPECT_EQ(0, tern_proto_inuse("TERN"));
	EXPECT_EQ(0, tern_proto_inuse("TERNv6"));

	/* the count is per network namespace */
	e = socket(AF_INET, SOCK_STREAM, IPPROTO_TERN);
	ASSERT_LE(0, e);
	EXPECT_EQ(1, tern_proto_inuse("TERN"));
	ASSERT_EQ(0, tern_new_netns());
	EXPECT_EQ(0, tern_proto_inuse("TERN"));
	close(e);
	EXPECT_EQ(0, tern_proto_inuse("TERN"));
}

/* ------------------------------------------------------------------
 * bind(), getsockname(), getpeername(): Tern and TCP side by side
 */

FIXTURE(bind) {
};

FIXTURE_VARIANT(bind) {
	int type;
	int protocol;
};

FIXTURE_VARIANT_ADD(bind, tern_stream) { SOCK_STREAM, IPPROTO_TERN };
FIXTURE_VARIANT_ADD(bind, tern_seqpacket) { SOCK_SEQPACKET, IPPROTO_TERN };
/* the reference: every expectation must hold for TCP too */
FIXTURE_VARIANT_ADD(bind, tcp) { SOCK_STREAM, IPPROTO_TCP };

FIXTURE_SETUP(bind)
{
	if (variant->protocol == IPPROTO_TCP && !tern_reference_runs())
		SKIP(return, "the TCP reference runs on the stock kernel");
	/* the debug kernel's sample: both types bind through the same code */
	if (tern_sampled() && variant->type == SOCK_SEQPACKET)
		SKIP(return, "not in the debug kernel's sample (TERN_SAMPLE=1)");
	tern_setup(_metadata);
}

FIXTURE_TEARDOWN(bind)
{
}

#define PORT 5000

/* A socket of the variant's kind, or the test ends. */
#define SK(family) ({ \
	int __fd = socket((family), variant->type, variant->protocol); \
	ASSERT_LE(0, __fd) { \
		TH_LOG("socket: %s", strerror(errno)); \
	} \
	__fd; \
})

TEST_F(bind, port0_ephemeral)
{
	static const struct { int family; const char *addr; } cases[] = {
		{ AF_INET, NULL }, { AF_INET, "127.0.0.1" },
		{ AF_INET6, NULL }, { AF_INET6, "::1" },
	};
	int low, high, ports[4];
	unsigned int i, j;

	ASSERT_EQ(0, read_port_range(&low, &high));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = SK(cases[i].family);

		ASSERT_EQ(0, bind_to(fd, cases[i].family, cases[i].addr, 0));
		ports[i] = local_port(fd);
		EXPECT_LE(low, ports[i]);
		EXPECT_GE(high, ports[i]);
		/* all four hold their ports at once: no two share one */
		for (j = 0; j < i; j++) {
			EXPECT_NE(ports[j], ports[i]);
		}
	}
}

/*
 * Port 0 takes the free ports of ip_local_port_range, skipping
 * ip_local_reserved_ports, until none is left (EADDRINUSE).
 */
TEST_F(bind, ephemeral_exhaustion)
{
	int fds[4], i, j, seen[4], fd;

	ASSERT_EQ(0, write_sysctl("/proc/sys/net/ipv4/ip_local_port_range",
				  "40000 40003"));
	for (i = 0; i < 4; i++) {
		fds[i] = SK(AF_INET);
		ASSERT_EQ(0, bind_to(fds[i], AF_INET, NULL, 0));
		seen[i] = local_port(fds[i]);
		EXPECT_LE(40000, seen[i]);
		EXPECT_GE(40003, seen[i]);
		for (j = 0; j < i; j++) {
			EXPECT_NE(seen[j], seen[i]);
		}
	}
	fd = SK(AF_INET);
	EXPECT_EQ(EADDRINUSE, bind_to(fd, AF_INET, NULL, 0));
	/* the failed bind left fd unbound */
	EXPECT_EQ(0, local_port(fd));

	/* a port freed by close is taken again */
	close(fds[2]);
	EXPECT_EQ(0, bind_to(fd, AF_INET, NULL, 0));
	EXPECT_EQ(seen[2], local_port(fd));
	close(fd);
	for (i = 0; i < 4; i++)
		if (i != 2)
			close(fds[i]);

	/* reserved ports are never handed out */
	ASSERT_EQ(0, write_sysctl("/proc/sys/net/ipv4/ip_local_reserved_ports",
				  "40001-40002"));
	for (i = 0; i < 2; i++) {
		fds[i] = SK(i ? AF_INET6 : AF_INET);
		ASSERT_EQ(0, bind_to(fds[i], i ? AF_INET6 : AF_INET, NULL, 0));
		seen[i] = local_port(fds[i]);
		EXPECT_TRUE(seen[i] == 40000 || seen[i] == 40003) {
			TH_LOG("got reserved or out of range port %d", seen[i]);
		}
	}
	EXPECT_NE(seen[0], seen[1]);
	fd = SK(AF_INET);
	EXPECT_EQ(EADDRINUSE, bind_to(fd, AF_INET, NULL, 0));
	/* an explicit bind may take a reserved port */
	EXPECT_EQ(0, bind_to(fd, AF_INET, NULL, 40001));
}

TEST_F(bind, getsockname)
{
	static const struct { int family; const char *addr, *want; } cases[] = {
		{ AF_INET, NULL, "0.0.0.0" },
		{ AF_INET, "127.0.0.1", "127.0.0.1" },
		{ AF_INET, "127.0.0.2", "127.0.0.2" },
		{ AF_INET6, NULL, "::" },
		{ AF_INET6, "::1", "::1" },
		{ AF_INET6, "::ffff:127.0.0.1", "::ffff:127.0.0.1" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char buf[INET6_ADDRSTRLEN];
		int fd = SK(cases[i].family);

		ASSERT_EQ(0, bind_to(fd, cases[i].family, cases[i].addr, PORT + i));
		ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&ss, &len));
		EXPECT_EQ(cases[i].family, ss.ss_family);
		EXPECT_EQ(cases[i].family == AF_INET ? sizeof(struct sockaddr_in) :
			  sizeof(struct sockaddr_in6), len);
		EXPECT_EQ(PORT + i, tern_sockaddr_port(&ss));
		ASSERT_NE(NULL, tern_sockaddr_addr(&ss, buf, sizeof(buf)));
		EXPECT_STREQ(cases[i].want, buf);
		close(fd);
	}
}

TEST_F(bind, getsockname_unbound)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char buf[INET6_ADDRSTRLEN];
		int fd = SK(families[i]);

		memset(&ss, 0xff, sizeof(ss));
		ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&ss, &len));
		EXPECT_EQ(families[i], ss.ss_family);
		EXPECT_EQ(0, tern_sockaddr_port(&ss));
		ASSERT_NE(NULL, tern_sockaddr_addr(&ss, buf, sizeof(buf)));
		EXPECT_STREQ(families[i] == AF_INET ? "0.0.0.0" : "::", buf);
		close(fd);
	}
}

TEST_F(bind, getpeername_enotconn)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = SK(families[i]);

		EXPECT_EQ(ENOTCONN, err_of(getpeername(fd, (struct sockaddr *)&ss, &len)));
		ASSERT_EQ(0, bind_to(fd, families[i], NULL, PORT));
		len = sizeof(ss);
		EXPECT_EQ(ENOTCONN, err_of(getpeername(fd, (struct sockaddr *)&ss, &len)));
		close(fd);
	}
}

TEST_F(bind, twice_einval)
{
	int fd4 = SK(AF_INET), fd6 = SK(AF_INET6);

	ASSERT_EQ(0, bind_to(fd4, AF_INET, "127.0.0.1", PORT));
	EXPECT_EQ(EINVAL, bind_to(fd4, AF_INET, "127.0.0.1", PORT + 1));
	EXPECT_EQ(EINVAL, bind_to(fd4, AF_INET, NULL, 0));
	EXPECT_EQ(PORT, local_port(fd4));
	ASSERT_EQ(0, bind_to(fd6, AF_INET6, NULL, 0));
	EXPECT_EQ(EINVAL, bind_to(fd6, AF_INET6, "::1", PORT + 2));
	/* the failed binds took nothing */
	close(fd4);
	fd4 = SK(AF_INET);
	EXPECT_EQ(0, bind_to(fd4, AF_INET, NULL, PORT + 1));
	fd4 = SK(AF_INET6);
	EXPECT_EQ(0, bind_to(fd4, AF_INET6, NULL, PORT + 2));
}

TEST_F(bind, same_port_eaddrinuse)
{
	static const struct { int family; const char *addr; } cases[] = {
		{ AF_INET, NULL }, { AF_INET, "127.0.0.1" },
		{ AF_INET6, NULL }, { AF_INET6, "::1" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int a = SK(cases[i].family), b = SK(cases[i].family);

		ASSERT_EQ(0, bind_to(a, cases[i].family, cases[i].addr, PORT));
		EXPECT_EQ(EADDRINUSE, bind_to(b, cases[i].family, cases[i].addr, PORT));
		/* b is still unbound and can go elsewhere */
		EXPECT_EQ(0, local_port(b));
		EXPECT_EQ(0, bind_to(b, cases[i].family, cases[i].addr, PORT + 1));
		close(a);
		close(b);
	}
}

TEST_F(bind, reuseaddr)
{
	int a = SK(AF_INET), b = SK(AF_INET), c = SK(AF_INET);
	int d = SK(AF_INET6), e = SK(AF_INET6);

	/* both set: allowed */
	ASSERT_EQ(0, setsockopt_int(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, setsockopt_int(b, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(0, bind_to(a, AF_INET, NULL, PORT));
	EXPECT_EQ(0, bind_to(b, AF_INET, NULL, PORT));
	/* only the newcomer: refused */
	ASSERT_EQ(0, bind_to(d, AF_INET6, "::1", PORT + 1));
	ASSERT_EQ(0, setsockopt_int(e, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(EADDRINUSE, bind_to(e, AF_INET6, "::1", PORT + 1));
	/* only the holder: refused */
	EXPECT_EQ(EADDRINUSE, bind_to(c, AF_INET, "127.0.0.1", PORT));
	EXPECT_EQ(1, getsockopt_int(a, SOL_SOCKET, SO_REUSEADDR));
}

TEST_F(bind, reuseport)
{
	int a = SK(AF_INET), b = SK(AF_INET), c = SK(AF_INET);
	int d = SK(AF_INET6), e = SK(AF_INET6);

	ASSERT_EQ(0, setsockopt_int(a, SOL_SOCKET, SO_REUSEPORT, 1));
	ASSERT_EQ(0, setsockopt_int(b, SOL_SOCKET, SO_REUSEPORT, 1));
	EXPECT_EQ(0, bind_to(a, AF_INET, "127.0.0.1", PORT));
	EXPECT_EQ(0, bind_to(b, AF_INET, "127.0.0.1", PORT));
	EXPECT_EQ(EADDRINUSE, bind_to(c, AF_INET, "127.0.0.1", PORT));
	ASSERT_EQ(0, bind_to(d, AF_INET6, NULL, PORT + 1));
	ASSERT_EQ(0, setsockopt_int(e, SOL_SOCKET, SO_REUSEPORT, 1));
	EXPECT_EQ(EADDRINUSE, bind_to(e, AF_INET6, NULL, PORT + 1));
}

struct reuseport_arg {
	int type, protocol;
};

static int reuseport_bind(void *p)
{
	struct reuseport_arg *arg = p;
	int fd = socket(AF_INET, arg->type, arg->protocol);

	if (fd < 0)
		return 250;
	if (setsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1))
		return 251;
	return bind_to(fd, AF_INET, NULL, PORT);
}

/* SO_REUSEPORT shares a port only among sockets of one owner. */
TEST_F(bind, reuseport_other_owner)
{
	struct reuseport_arg arg = { variant->type, variant->protocol };
	int a = SK(AF_INET);

	ASSERT_EQ(0, setsockopt_int(a, SOL_SOCKET, SO_REUSEPORT, 1));
	ASSERT_EQ(0, bind_to(a, AF_INET, NULL, PORT));
	EXPECT_EQ(EADDRINUSE, as_nobody(reuseport_bind, &arg));
	close(a);
	/* and once the port is free the other owner gets it */
	EXPECT_EQ(0, as_nobody(reuseport_bind, &arg));
}

TEST_F(bind, wildcard_vs_specific)
{
	static const struct { int family; const char *specific; } cases[] = {
		{ AF_INET, "127.0.0.1" }, { AF_INET6, "::1" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int f = cases[i].family;
		int a = SK(f), b = SK(f), c = SK(f), d = SK(f);

		/* wildcard first */
		ASSERT_EQ(0, bind_to(a, f, NULL, PORT));
		EXPECT_EQ(EADDRINUSE, bind_to(b, f, cases[i].specific, PORT));
		/* specific first */
		ASSERT_EQ(0, bind_to(c, f, cases[i].specific, PORT + 1));
		EXPECT_EQ(EADDRINUSE, bind_to(d, f, NULL, PORT + 1));
		close(a);
		close(b);
		close(c);
		close(d);
	}
}

TEST_F(bind, distinct_specific_addresses)
{
	int a = SK(AF_INET), b = SK(AF_INET), c = SK(AF_INET6);

	EXPECT_EQ(0, bind_to(a, AF_INET, "127.0.0.1", PORT));
	EXPECT_EQ(0, bind_to(b, AF_INET, "127.0.0.2", PORT));
	/* an IPv6 address does not overlap the IPv4 ones */
	EXPECT_EQ(0, bind_to(c, AF_INET6, "::1", PORT));
}

/* [::]:P covers 0.0.0.0:P unless IPV6_V6ONLY is set, in either order. */
TEST_F(bind, v6_any_vs_v4_any)
{
	int v6 = SK(AF_INET6), v4 = SK(AF_INET);

	ASSERT_EQ(0, bind_to(v6, AF_INET6, NULL, PORT));
	EXPECT_EQ(EADDRINUSE, bind_to(v4, AF_INET, NULL, PORT));
	EXPECT_EQ(EADDRINUSE, bind_to(v4, AF_INET, "127.0.0.1", PORT));
	close(v6);
	close(v4);

	v6 = SK(AF_INET6);
	v4 = SK(AF_INET);
	ASSERT_EQ(0, bind_to(v4, AF_INET, NULL, PORT + 1));
	EXPECT_EQ(EADDRINUSE, bind_to(v6, AF_INET6, NULL, PORT + 1));
	close(v6);
	close(v4);

	v6 = SK(AF_INET6);
	v4 = SK(AF_INET);
	ASSERT_EQ(0, setsockopt_int(v6, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	ASSERT_EQ(0, bind_to(v6, AF_INET6, NULL, PORT + 2));
	EXPECT_EQ(0, bind_to(v4, AF_INET, NULL, PORT + 2));
	close(v6);
	close(v4);

	v6 = SK(AF_INET6);
	v4 = SK(AF_INET);
	ASSERT_EQ(0, bind_to(v4, AF_INET, NULL, PORT + 3));
	ASSERT_EQ(0, setsockopt_int(v6, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	EXPECT_EQ(0, bind_to(v6, AF_INET6, NULL, PORT + 3));
	close(v6);
	close(v4);

	/* a specific IPv6 address is IPv6 only */
	v6 = SK(AF_INET6);
	v4 = SK(AF_INET);
	ASSERT_EQ(0, bind_to(v6, AF_INET6, "::1", PORT + 4));
	EXPECT_EQ(0, bind_to(v4, AF_INET, NULL, PORT + 4));
	EXPECT_EQ(1, getsockopt_int(v6, IPPROTO_IPV6, IPV6_V6ONLY));
}

TEST_F(bind, v4mapped)
{
	int v6 = SK(AF_INET6), v4 = SK(AF_INET), v4any = SK(AF_INET);
	int only = SK(AF_INET6), far = SK(AF_INET6), other = SK(AF_INET6);

	ASSERT_EQ(0, bind_to(v6, AF_INET6, "::ffff:127.0.0.1", PORT));
	EXPECT_EQ(PORT, local_port(v6));
	/* it is 127.0.0.1:PORT for IPv4 sockets */
	EXPECT_EQ(EADDRINUSE, bind_to(v4, AF_INET, "127.0.0.1", PORT));
	EXPECT_EQ(EADDRINUSE, bind_to(v4any, AF_INET, NULL, PORT));
	EXPECT_EQ(0, bind_to(v4, AF_INET, "127.0.0.2", PORT));
	/* and not an IPv6 address */
	EXPECT_EQ(0, bind_to(other, AF_INET6, "::1", PORT));
	/* no v4-mapped address on an IPv6-only socket */
	ASSERT_EQ(0, setsockopt_int(only, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	EXPECT_EQ(EINVAL, bind_to(only, AF_INET6, "::ffff:127.0.0.1", PORT + 1));
	/* the IPv4 address must be local */
	EXPECT_EQ(EADDRNOTAVAIL, bind_to(far, AF_INET6, "::ffff:192.0.2.1", PORT + 1));
}

TEST_F(bind, wrong_family)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	socklen_t len;
	int v4 = SK(AF_INET), v6 = SK(AF_INET6);

	/* IPv4 socket, IPv6 address */
	len = tern_sockaddr(&ss, AF_INET6, "::1", PORT);
	EXPECT_EQ(EAFNOSUPPORT, err_of(bind(v4, (struct sockaddr *)&ss, len)));
	/* IPv4 socket, AF_UNSPEC: only the wildcard is accepted as AF_INET */
	len = tern_sockaddr(&ss, AF_INET, "127.0.0.1", PORT);
	ss.ss_family = AF_UNSPEC;
	EXPECT_EQ(EAFNOSUPPORT, err_of(bind(v4, (struct sockaddr *)&ss, len)));
	len = tern_sockaddr(&ss, AF_INET, NULL, PORT);
	ss.ss_family = AF_UNSPEC;
	EXPECT_EQ(0, err_of(bind(v4, (struct sockaddr *)&ss, len)));
	EXPECT_EQ(PORT, local_port(v4));

	/* IPv6 socket, IPv4 address: too short for a sockaddr_in6 */
	len = tern_sockaddr(&ss, AF_INET, "127.0.0.1", PORT + 1);
	EXPECT_EQ(EINVAL, err_of(bind(v6, (struct sockaddr *)&ss, len)));
	/* IPv6 socket, long enough but AF_INET */
	memset(&ss, 0, sizeof(ss));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PORT + 1);
	memcpy(&ss, &sin, sizeof(sin));
	EXPECT_EQ(EAFNOSUPPORT, err_of(bind(v6, (struct sockaddr *)&ss,
					    sizeof(struct sockaddr_in6))));
	EXPECT_EQ(0, local_port(v6));
}

TEST_F(bind, short_addrlen)
{
	struct sockaddr_storage ss;
	int v4 = SK(AF_INET), v6 = SK(AF_INET6);

	tern_sockaddr(&ss, AF_INET, "127.0.0.1", PORT);
	EXPECT_EQ(EINVAL, err_of(bind(v4, (struct sockaddr *)&ss, 0)));
	EXPECT_EQ(EINVAL, err_of(bind(v4, (struct sockaddr *)&ss, 2)));
	EXPECT_EQ(EINVAL, err_of(bind(v4, (struct sockaddr *)&ss,
				      sizeof(struct sockaddr_in) - 1)));
	EXPECT_EQ(0, err_of(bind(v4, (struct sockaddr *)&ss,
				 sizeof(struct sockaddr_in))));

	tern_sockaddr(&ss, AF_INET6, "::1", PORT);
	EXPECT_EQ(EINVAL, err_of(bind(v6, (struct sockaddr *)&ss, 0)));
	EXPECT_EQ(EINVAL, err_of(bind(v6, (struct sockaddr *)&ss,
				      SIN6_LEN_RFC2133 - 1)));
	/* RFC 2133's sockaddr_in6, without sin6_scope_id, is enough */
	EXPECT_EQ(0, err_of(bind(v6, (struct sockaddr *)&ss, SIN6_LEN_RFC2133)));
	EXPECT_EQ(PORT, local_port(v6));
}

TEST_F(bind, nonlocal_address)
{
	int v4 = SK(AF_INET), v6 = SK(AF_INET6);
	int fb4 = SK(AF_INET), fb6 = SK(AF_INET6);

	EXPECT_EQ(EADDRNOTAVAIL, bind_to(v4, AF_INET, "192.0.2.1", PORT));
	EXPECT_EQ(EADDRNOTAVAIL, bind_to(v6, AF_INET6, "2001:db8::1", PORT));
	EXPECT_EQ(0, local_port(v4));
	EXPECT_EQ(0, local_port(v6));
	/* unless the socket asks for it */
	ASSERT_EQ(0, setsockopt_int(fb4, IPPROTO_IP, IP_FREEBIND, 1));
	ASSERT_EQ(0, setsockopt_int(fb6, IPPROTO_IPV6, IPV6_FREEBIND, 1));
	EXPECT_EQ(0, bind_to(fb4, AF_INET, "192.0.2.1", PORT));
	EXPECT_EQ(0, bind_to(fb6, AF_INET6, "2001:db8::1", PORT));
}

struct priv_arg {
	int family, type, protocol;
	unsigned short port;
};

static int priv_bind(void *p)
{
	struct priv_arg *arg = p;
	int fd = socket(arg->family, arg->type, arg->protocol), ret;

	if (fd < 0)
		return 250;
	ret = bind_to(fd, arg->family, NULL, arg->port);
	close(fd);
	return ret;
}

TEST_F(bind, privileged_port)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		struct priv_arg arg = {
			families[i], variant->type, variant->protocol, 0,
		};

		arg.port = 80;
		EXPECT_EQ(EACCES, as_nobody(priv_bind, &arg));
		arg.port = 1023;
		EXPECT_EQ(EACCES, as_nobody(priv_bind, &arg));
		arg.port = 1024;
		EXPECT_EQ(0, as_nobody(priv_bind, &arg));
		arg.port = 0;
		EXPECT_EQ(0, as_nobody(priv_bind, &arg));
		/* and root may */
		arg.port = 80;
		EXPECT_EQ(0, priv_bind(&arg));
	}
}

TEST_F(bind, port_free_after_close)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		int a = SK(families[i]), b;

		ASSERT_EQ(0, bind_to(a, families[i], NULL, PORT));
		close(a);
		b = SK(families[i]);
		EXPECT_EQ(0, bind_to(b, families[i], NULL, PORT));
		close(b);
	}
}

TEST_F(bind, netns_no_conflict)
{
	int a = SK(AF_INET), b = SK(AF_INET6), c, d;

	ASSERT_EQ(0, bind_to(a, AF_INET, NULL, PORT));
	ASSERT_EQ(0, bind_to(b, AF_INET6, NULL, PORT + 1));
	ASSERT_EQ(0, tern_new_netns());
	c = SK(AF_INET);
	d = SK(AF_INET6);
	EXPECT_EQ(0, bind_to(c, AF_INET, NULL, PORT));
	EXPECT_EQ(0, bind_to(d, AF_INET6, NULL, PORT + 1));
	/* still one port table per namespace */
	close(c);
	c = SK(AF_INET);
	EXPECT_EQ(EADDRINUSE, bind_to(c, AF_INET, "127.0.0.1", PORT + 1));
}

/*
 * The same ports bound in many namespaces. The port table is shared by all
 * namespaces and a bucket is picked by a per-namespace random mix of the
 * port, so some (namespace, port) pairs of different namespaces share a
 * bucket, where only the namespace tells them apart. 12 namespaces of 256
 * ports spread over the whole range make that all but certain.
 */
TEST_F(bind, netns_no_conflict_many)
{
	const int nets = 12, ports = 256;
	struct rlimit rl = { nets * ports + 64, nets * ports + 64 };
	int k, i, fd, fails = 0, fail_port = 0;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (k = 0; k < nets; k++) {
		if (k)
			ASSERT_EQ(0, tern_new_netns());
		for (i = 0; i < ports; i++) {
			int port = 1024 + i * 251;

			fd = SK(i & 1 ? AF_INET6 : AF_INET);
			if (bind_to(fd, i & 1 ? AF_INET6 : AF_INET, NULL, port)) {
				fails++;
				fail_port = port;
			}
		}
	}
	EXPECT_EQ(0, fails) {
		TH_LOG("%d binds refused, e.g. port %d", fails, fail_port);
	}
	/* and each namespace still sees its own */
	fd = SK(AF_INET);
	EXPECT_EQ(EADDRINUSE, bind_to(fd, AF_INET, "127.0.0.1", 1024 + 3 * 251));
}

/* SO_BINDTODEVICE: sockets on different devices do not overlap. */
TEST_F(bind, bindtodevice)
{
	int a = SK(AF_INET), b = SK(AF_INET), c = SK(AF_INET), d = SK(AF_INET);
	int e = SK(AF_INET6), f = SK(AF_INET6);

	ASSERT_EQ(0, system("ip link add tern-t0 type veth peer name tern-t1"));
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_BINDTODEVICE, "tern-t0", 8));
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_BINDTODEVICE, "tern-t1", 8));
	ASSERT_EQ(0, setsockopt(d, SOL_SOCKET, SO_BINDTODEVICE, "tern-t0", 8));
	EXPECT_EQ(0, bind_to(a, AF_INET, NULL, PORT));
	EXPECT_EQ(0, bind_to(b, AF_INET, NULL, PORT));
	/* no device overlaps every device */
	EXPECT_EQ(EADDRINUSE, bind_to(c, AF_INET, NULL, PORT));
	EXPECT_EQ(EADDRINUSE, bind_to(d, AF_INET, NULL, PORT));
	ASSERT_EQ(0, bind_to(c, AF_INET, NULL, PORT + 1));
	ASSERT_EQ(0, setsockopt(e, SOL_SOCKET, SO_BINDTODEVICE, "tern-t1", 8));
	EXPECT_EQ(EADDRINUSE, bind_to(e, AF_INET6, NULL, PORT + 1));
	ASSERT_EQ(0, setsockopt(f, SOL_SOCKET, SO_BINDTODEVICE, "tern-t1", 8));
	EXPECT_EQ(EADDRINUSE, bind_to(f, AF_INET6, NULL, PORT));
}

/* The per-socket IP_LOCAL_PORT_RANGE narrows what port 0 picks. */
TEST_F(bind, ip_local_port_range_sockopt)
{
	static const int families[] = { AF_INET, AF_INET6 };
	unsigned int i;
	int fds[2], port;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		fds[i] = SK(families[i]);
		ASSERT_EQ(0, setsockopt_int(fds[i], IPPROTO_IP, IP_LOCAL_PORT_RANGE,
					    45001 << 16 | 45000));
		ASSERT_EQ(0, bind_to(fds[i], families[i], NULL, 0));
		port = local_port(fds[i]);
		EXPECT_TRUE(port == 45000 || port == 45001) {
			TH_LOG("port %d outside 45000-45001", port);
		}
	}
	EXPECT_NE(local_port(fds[0]), local_port(fds[1]));
	fds[0] = SK(AF_INET);
	ASSERT_EQ(0, setsockopt_int(fds[0], IPPROTO_IP, IP_LOCAL_PORT_RANGE,
				    45001 << 16 | 45000));
	EXPECT_EQ(EADDRINUSE, bind_to(fds[0], AF_INET, NULL, 0));
}

/* One port space for both Tern types: the wire has one protocol 253. */
TEST(stream_and_seqpacket_share_ports)
{
	int a, b, c, d;

	tern_setup(_metadata);
	a = socket(AF_INET, SOCK_STREAM, IPPROTO_TERN);
	b = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_TERN);
	c = socket(AF_INET6, SOCK_SEQPACKET, IPPROTO_TERN);
	d = socket(AF_INET6, SOCK_STREAM, IPPROTO_TERN);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, bind_to(a, AF_INET, NULL, PORT));
	EXPECT_EQ(EADDRINUSE, bind_to(b, AF_INET, NULL, PORT));
	ASSERT_EQ(0, bind_to(c, AF_INET6, "::1", PORT + 1));
	EXPECT_EQ(EADDRINUSE, bind_to(d, AF_INET6, NULL, PORT + 1));
}

/* Tern has its own port table: TCP's and UDP's ports do not matter. */
TEST(own_port_table)
{
	int tcp, udp, tern4, tern6;

	tern_setup(_metadata);
	tcp = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	udp = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	tern4 = socket(AF_INET, SOCK_STREAM, IPPROTO_TERN);
	tern6 = socket(AF_INET6, SOCK_SEQPACKET, IPPROTO_TERN);
	ASSERT_LE(0, tcp);
	ASSERT_LE(0, udp);
	ASSERT_LE(0, tern4);
	ASSERT_LE(0, tern6);
	ASSERT_EQ(0, bind_to(tcp, AF_INET6, NULL, PORT));
	ASSERT_EQ(0, listen(tcp, 1));
	ASSERT_EQ(0, bind_to(udp, AF_INET, NULL, PORT + 1));
	EXPECT_EQ(0, bind_to(tern4, AF_INET, NULL, PORT));
	EXPECT_EQ(0, bind_to(tern6, AF_INET6, NULL, PORT + 1));
}

/* ------------------------------------------------------------------
 * Socket options
 */

FIXTURE(opts) {
	int fd;
};

FIXTURE_VARIANT(opts) {
	int family;
	int type;
	int protocol;
};

FIXTURE_VARIANT_ADD(opts, inet_stream) { AF_INET, SOCK_STREAM, IPPROTO_TERN };
FIXTURE_VARIANT_ADD(opts, inet_seqpacket) { AF_INET, SOCK_SEQPACKET, IPPROTO_TERN };
FIXTURE_VARIANT_ADD(opts, inet6_stream) { AF_INET6, SOCK_STREAM, IPPROTO_TERN };
FIXTURE_VARIANT_ADD(opts, inet6_seqpacket) { AF_INET6, SOCK_SEQPACKET, IPPROTO_TERN };

FIXTURE_SETUP(opts)
{
	tern_setup(_metadata);
	self->fd = socket(variant->family, variant->type, variant->protocol);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(opts)
{
	close(self->fd);
}

/* Options whose value must not move when a SOL_TERN call is refused. */
struct opt_snapshot {
	int v[8];
};

static void snapshot(int fd, int family, struct opt_snapshot *s)
{
	s->v[0] = getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF);
	s->v[1] = getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF);
	s->v[2] = getsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR);
	s->v[3] = getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE);
	s->v[4] = getsockopt_int(fd, SOL_SOCKET, SO_PRIORITY);
	s->v[5] = getsockopt_int(fd, SOL_SOCKET, SO_ERROR);
	s->v[6] = family == AF_INET ? getsockopt_int(fd, IPPROTO_IP, IP_TOS) :
		  getsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY);
	s->v[7] = local_port(fd);
}

TEST_F(opts, sol_tern_unknown)
{
	/* names Tern does not define (1, 2, 4-7, 11, 13 and 18 it does) */
	static const int names[] = { 0, 3, 14, 42, 255, 1024, INT_MAX, -1 };
	struct opt_snapshot before, after;
	unsigned int i, j;

	snapshot(self->fd, variant->family, &before);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		unsigned char buf[64];
		socklen_t len;
		int one = 1;

		EXPECT_EQ(ENOPROTOOPT, err_of(setsockopt(self->fd, SOL_TERN,
							 names[i], &one, sizeof(one))));
		/* as TCP: a length too short for an int fails first */
		EXPECT_EQ(EINVAL, err_of(setsockopt(self->fd, SOL_TERN,
						    names[i], NULL, 0)));
		memset(buf, 0xa5, sizeof(buf));
		len = sizeof(buf);
		EXPECT_EQ(ENOPROTOOPT, err_of(getsockopt(self->fd, SOL_TERN,
							 names[i], buf, &len)));
		/* the caller's buffer and length are left alone */
		EXPECT_EQ(sizeof(buf), len);
		for (j = 0; j < sizeof(buf); j++)
			if (buf[j] != 0xa5)
				break;
		EXPECT_EQ(sizeof(buf), j);
		len = 0;
		EXPECT_EQ(ENOPROTOOPT, err_of(getsockopt(self->fd, SOL_TERN,
							 names[i], buf, &len)));
		EXPECT_EQ(0u, len);
	}
	snapshot(self->fd, variant->family, &after);
	for (i = 0; i < ARRAY_SIZE(before.v); i++) {
		EXPECT_EQ(before.v[i], after.v[i]) {
			TH_LOG("snapshot value %u changed", i);
		}
	}
	/* and the socket still works */
	EXPECT_EQ(0, bind_to(self->fd, variant->family, NULL, 0));
}

TEST_F(opts, getsockopt_negative_optlen)
{
	int val = 0, tcp;
	socklen_t len = -1;

	EXPECT_EQ(EINVAL, err_of(getsockopt(self->fd, SOL_TERN, 1, &val, &len)));
	len = -1;
	EXPECT_EQ(EINVAL, err_of(getsockopt(self->fd, SOL_SOCKET, SO_RCVBUF,
					    &val, &len)));
	len = -1;
	EXPECT_EQ(EINVAL, err_of(getsockopt(self->fd, IPPROTO_IP, IP_TOS,
					    &val, &len)));
	/* as TCP answers at its own level */
	tcp = socket(variant->family, SOCK_STREAM, IPPROTO_TCP);
	ASSERT_LE(0, tcp);
	len = -1;
	EXPECT_EQ(EINVAL, err_of(getsockopt(tcp, SOL_TCP, TCP_NODELAY, &val, &len)));
	close(tcp);
}

TEST_F(opts, so_rcvbuf)
{
	int tcp = socket(variant->family, SOCK_STREAM, IPPROTO_TCP);

	ASSERT_LE(0, tcp);
	ASSERT_EQ(0, setsockopt_int(self->fd, SOL_SOCKET, SO_RCVBUF, 65536));
	/* the kernel doubles it for its overhead */
	EXPECT_EQ(131072, getsockopt_int(self->fd, SOL_SOCKET, SO_RCVBUF));
	ASSERT_EQ(0, setsockopt_int(self->fd, SOL_SOCKET, SO_SNDBUF, 32768));
	EXPECT_EQ(65536, getsockopt_int(self->fd, SOL_SOCKET, SO_SNDBUF));
	/* the minimum is TCP's */
	ASSERT_EQ(0, setsockopt_int(self->fd, SOL_SOCKET, SO_RCVBUF, 1));
	ASSERT_EQ(0, setsockopt_int(tcp, SOL_SOCKET, SO_RCVBUF, 1));
	EXPECT_EQ(getsockopt_int(tcp, SOL_SOCKET, SO_RCVBUF),
		  getsockopt_int(self->fd, SOL_SOCKET, SO_RCVBUF));
	close(tcp);
}

TEST_F(opts, ip_level)
{
	if (variant->family == AF_INET) {
		EXPECT_EQ(0, getsockopt_int(self->fd, IPPROTO_IP, IP_TOS));
		ASSERT_EQ(0, setsockopt_int(self->fd, IPPROTO_IP, IP_TOS, 0x10));
		EXPECT_EQ(0x10, getsockopt_int(self->fd, IPPROTO_IP, IP_TOS));
		ASSERT_EQ(0, setsockopt_int(self->fd, IPPROTO_IP, IP_TTL, 7));
		EXPECT_EQ(7, getsockopt_int(self->fd, IPPROTO_IP, IP_TTL));
		return;
	}
	EXPECT_EQ(0, getsockopt_int(self->fd, IPPROTO_IPV6, IPV6_V6ONLY));
	ASSERT_EQ(0, setsockopt_int(self->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	EXPECT_EQ(1, getsockopt_int(self->fd, IPPROTO_IPV6, IPV6_V6ONLY));
	ASSERT_EQ(0, setsockopt_int(self->fd, IPPROTO_IPV6, IPV6_V6ONLY, 0));
	EXPECT_EQ(0, getsockopt_int(self->fd, IPPROTO_IPV6, IPV6_V6ONLY));
	ASSERT_EQ(0, setsockopt_int(self->fd, IPPROTO_IPV6, IPV6_TCLASS, 0x20));
	EXPECT_EQ(0x20, getsockopt_int(self->fd, IPPROTO_IPV6, IPV6_TCLASS));
	/* IPv4 options on an IPv6 socket work too, as on TCP */
	ASSERT_EQ(0, setsockopt_int(self->fd, IPPROTO_IP, IP_TOS, 0x10));
	EXPECT_EQ(0x10, getsockopt_int(self->fd, IPPROTO_IP, IP_TOS));
	/* IPV6_V6ONLY is fixed once bound, as on TCP */
	ASSERT_EQ(0, bind_to(self->fd, AF_INET6, NULL, 0));
	EXPECT_EQ(EINVAL, setsockopt_int(self->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	EXPECT_EQ(0, getsockopt_int(self->fd, IPPROTO_IPV6, IPV6_V6ONLY));
}

/* ------------------------------------------------------------------
 * Unconnected sockets
 */

TEST_F(opts, shutdown_enotconn)
{
	static const int hows[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hows); i++) {
		int fd = socket(variant->family, variant->type, IPPROTO_TERN);

		ASSERT_LE(0, fd);
		EXPECT_EQ(ENOTCONN, err_of(shutdown(fd, hows[i])));
		close(fd);
	}
	EXPECT_EQ(EINVAL, err_of(shutdown(self->fd, 3)));
	EXPECT_EQ(EINVAL, err_of(shutdown(self->fd, -1)));
	ASSERT_EQ(0, bind_to(self->fd, variant->family, NULL, 0));
	EXPECT_EQ(ENOTCONN, err_of(shutdown(self->fd, SHUT_RDWR)));
}

/* Was a SIGPIPE sent to this thread? Takes it: 1 or 0 (SIGPIPE blocked). */
static int sigpipe_taken(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	return sigtimedwait(&set, NULL, &zero) == SIGPIPE;
}

/*
 * What an unconnected socket fd answers (unbound, then bound to PORT):
 * sending is EPIPE with SIGPIPE unless MSG_NOSIGNAL (tcp_sendmsg() ->
 * sk_stream_wait_connect() -> sk_stream_error()), receiving ENOTCONN even
 * when it would block (tcp_recvmsg() on TCP_CLOSE), accept() EINVAL
 * (inet_csk_accept() off TCP_LISTEN), connect() to a closed port
 * ECONNREFUSED. Once listening: connect() is EISCONN, accept() EAGAIN when
 * nonblocking, sending still EPIPE, receiving still ENOTCONN.
 */
static void check_unconnected(struct __test_metadata *_metadata, int fd,
			      int family, const char *what)
{
	struct sockaddr_storage ss, closed;
	struct msghdr msg;
	struct iovec iov;
	char buf[16] = "tern";
	socklen_t len, alen, clen;
	int round, failed = _metadata->exit_code;

	alen = tern_sockaddr(&ss, family,
			     family == AF_INET ? "127.0.0.1" : "::1", PORT);
	clen = tern_sockaddr(&closed, family,
			     family == AF_INET ? "127.0.0.1" : "::1", PORT + 1);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;

	for (round = 0; round < 2; round++) {
		EXPECT_EQ(EPIPE, err_of(send(fd, buf, 4, MSG_NOSIGNAL)));
		EXPECT_EQ(EPIPE, err_of(sendto(fd, buf, 4, MSG_NOSIGNAL,
					       (struct sockaddr *)&ss, alen)));
		EXPECT_EQ(EPIPE, err_of(sendmsg(fd, &msg, MSG_NOSIGNAL)));
		EXPECT_EQ(0, sigpipe_taken());
		EXPECT_EQ(EPIPE, err_of(send(fd, buf, 4, 0)));
		EXPECT_EQ(1, sigpipe_taken());
		EXPECT_EQ(EPIPE, err_of(write(fd, buf, 4)));
		EXPECT_EQ(1, sigpipe_taken());
		EXPECT_EQ(ENOTCONN, err_of(recv(fd, buf, sizeof(buf), MSG_DONTWAIT)));
		EXPECT_EQ(ENOTCONN, err_of(recv(fd, buf, sizeof(buf), 0)));
		EXPECT_EQ(ENOTCONN, err_of(recvmsg(fd, &msg, 0)));
		EXPECT_EQ(ENOTCONN, err_of(read(fd, buf, sizeof(buf))));
		len = sizeof(ss);
		EXPECT_EQ(EINVAL, err_of(accept(fd, (struct sockaddr *)&ss, &len)));
		EXPECT_EQ(EINVAL, err_of(accept4(fd, NULL, NULL, SOCK_NONBLOCK)));
		EXPECT_EQ(0, getsockopt_int(fd, SOL_SOCKET, SO_ERROR));
		if (_metadata->exit_code != failed) {
			TH_LOG("the failures above: %s socket, %s", what,
			       round ? "bound" : "unbound");
			failed = _metadata->exit_code;
		}
		if (!round)
			ASSERT_EQ(0, bind_to(fd, family, NULL, PORT));
	}
	/* nobody listens on PORT + 1: refused, and the socket stays as it was */
	EXPECT_EQ(ECONNREFUSED, err_of(connect(fd, (struct sockaddr *)&closed, clen)));
	EXPECT_EQ(0, getsockopt_int(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(PORT, local_port(fd));
	EXPECT_EQ(ENOTCONN, err_of(recv(fd, buf, sizeof(buf), MSG_DONTWAIT)));

	/* listening */
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(1, getsockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, listen(fd, 4));
	EXPECT_EQ(EISCONN, err_of(connect(fd, (struct sockaddr *)&closed, clen)));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(EAGAIN, err_of(accept(fd, NULL, NULL)));
	EXPECT_EQ(EPIPE, err_of(send(fd, buf, 4, MSG_NOSIGNAL)));
	EXPECT_EQ(ENOTCONN, err_of(recv(fd, buf, sizeof(buf), 0)));
	EXPECT_EQ(0, sigpipe_taken());
	if (_metadata->exit_code != failed)
		TH_LOG("the failures above: %s socket, listening", what);
}

/* An unconnected socket answers as an unconnected TCP socket does. */
TEST_F(opts, unconnected_ops)
{
	sigset_t set;
	int tcp;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	check_unconnected(_metadata, self->fd, variant->family, "tern");
	/* the failed accept()s took and gave back their module references */
	EXPECT_EQ(2, tern_module_refcnt_settled(2));
	EXPECT_EQ(1, tern_sockets_in_use());
	/* the same answers from TCP */
	tcp = socket(variant->family, SOCK_STREAM, IPPROTO_TCP);
	ASSERT_LE(0, tcp);
	check_unconnected(_metadata, tcp, variant->family, "tcp");
	close(tcp);
}

/* The queue-size ioctls of an unconnected socket answer as TCP's do. */
TEST_F(opts, ioctl_queues_like_tcp)
{
	static const struct { unsigned long cmd; const char *name; } cmds[] = {
		{ SIOCINQ, "SIOCINQ" }, { SIOCOUTQ, "SIOCOUTQ" },
		{ SIOCOUTQNSD, "SIOCOUTQNSD" },
	};
	int tcp = socket(variant->family, SOCK_STREAM, IPPROTO_TCP);
	unsigned int i;

	ASSERT_LE(0, tcp);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		int tern_val = -1, tcp_val = -1, tern_err, tcp_err;

		tern_err = err_of(ioctl(self->fd, cmds[i].cmd, &tern_val));
		tcp_err = err_of(ioctl(tcp, cmds[i].cmd, &tcp_val));
		EXPECT_EQ(tcp_err, tern_err) {
			TH_LOG("%s: tern %s, tcp %s", cmds[i].name,
			       strerror(tern_err), strerror(tcp_err));
		}
		if (!tcp_err && !tern_err)
			EXPECT_EQ(tcp_val, tern_val);
	}
	close(tcp);
}

/* revents of fd for every event there is, without waiting */
static int poll_now(int fd)
{
	struct pollfd pfd = {
		.fd = fd,
		.events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND |
			  POLLWRNORM | POLLWRBAND | POLLMSG | POLLRDHUP,
	};

	if (poll(&pfd, 1, 0) < 0)
		return -errno;
	return pfd.revents;
}

/* A fresh Tern socket polls as a fresh TCP socket of its family. */
TEST_F(opts, poll_fresh_like_tcp)
{
	int tcp = socket(variant->family, SOCK_STREAM, IPPROTO_TCP);
	int tern_ev, tcp_ev;

	ASSERT_LE(0, tcp);
	tern_ev = poll_now(self->fd);
	tcp_ev = poll_now(tcp);
	EXPECT_EQ(tcp_ev, tern_ev) {
		TH_LOG("fresh socket revents: tern 0x%x, tcp 0x%x", tern_ev, tcp_ev);
	}
	/* bound makes no difference */
	ASSERT_EQ(0, bind_to(self->fd, variant->family, NULL, 0));
	ASSERT_EQ(0, bind_to(tcp, variant->family, NULL, 0));
	tern_ev = poll_now(self->fd);
	tcp_ev = poll_now(tcp);
	EXPECT_EQ(tcp_ev, tern_ev) {
		TH_LOG("bound socket revents: tern 0x%x, tcp 0x%x", tern_ev, tcp_ev);
	}
	close(tcp);
}

/*
 * shutdown() of an unconnected socket says ENOTCONN but still marks the
 * directions shut (inet_shutdown()); poll() then reports what TCP does.
 */
TEST_F(opts, poll_after_shutdown_like_tcp)
{
	static const int hows[] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
	static const char * const names[] = { "SHUT_RD", "SHUT_WR", "SHUT_RDWR" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hows); i++) {
		int tern = socket(variant->family, variant->type, IPPROTO_TERN);
		int tcp = socket(variant->family, SOCK_STREAM, IPPROTO_TCP);
		int tern_ev, tcp_ev;

		ASSERT_LE(0, tern);
		ASSERT_LE(0, tcp);
		EXPECT_EQ(ENOTCONN, err_of(shutdown(tern, hows[i])));
		EXPECT_EQ(ENOTCONN, err_of(shutdown(tcp, hows[i])));
		tern_ev = poll_now(tern);
		tcp_ev = poll_now(tcp);
		EXPECT_EQ(tcp_ev, tern_ev) {
			TH_LOG("after %s: tern 0x%x, tcp 0x%x", names[i],
			       tern_ev, tcp_ev);
		}
		close(tern);
		close(tcp);
	}
}

TEST_HARNESS_MAIN
