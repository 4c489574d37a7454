// SPDX-License-Identifier: GPL-2.0
/*
 * Tern selftests for libtern (userspace/lib) on real Tern sockets: connect
 * and listen by name and by number, both families, both socket types;
 * connect and accept timeouts (ETIMEDOUT once the timeout has passed, on a
 * link where nobody answers); the next address after a refused or silent
 * one; whole data and whole messages; the typed options and TERN_INFO.
 * The parts that need no Tern socket are unit tests run on the host
 * (userspace/lib/test, make lint).
 *
 * Every test runs in its own network and mount namespace, with tern
 * loaded, names from a private /etc/hosts:
 *   tern-lo      127.0.0.1 and ::1
 *   tern-multi   ::1 (nobody listens there: refused), then 127.0.0.1
 *   tern-silent  2001:db8::2 (on a link where nobody answers), 127.0.0.1
 */
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "conn_util.h"
#include "kselftest_harness.h"

#define HOSTS \
	"127.0.0.1 tern-lo\n::1 tern-lo\n" \
	"::1 tern-multi\n127.0.0.1 tern-multi\n" \
	"2001:db8::2 tern-silent\n127.0.0.1 tern-silent\n"
#define HOSTS_FILE	"/tmp/libtern_test.hosts"
#define TIMEOUT_MS	300
/* bytes of whole_data's stream: less on the debug kernel (TERN_SAMPLE=1) */
#define XFER		(tern_sampled() ? 256 << 10 : 1 << 20)

FIXTURE(lib) {
	int l, c, a;
	char port[8];		/* the listener's, as a service */
};

FIXTURE_VARIANT(lib) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(lib, ipv4_stream) {
	.family = AF_INET, .type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(lib, ipv6_stream) {
	.family = AF_INET6, .type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(lib, ipv4_seqpacket) {
	.family = AF_INET, .type = SOCK_SEQPACKET,
};

FIXTURE_VARIANT_ADD(lib, ipv6_seqpacket) {
	.family = AF_INET6, .type = SOCK_SEQPACKET,
};

/* Our own /etc/hosts, seen by this test process only. */
static void private_hosts(struct __test_metadata *_metadata)
{
	FILE *f;

	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_EQ(0, mount("tmpfs", "/tmp", "tmpfs", 0, NULL));
	f = fopen(HOSTS_FILE, "we");
	ASSERT_NE(NULL, f);
	fputs(HOSTS, f);
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, mount(HOSTS_FILE, "/etc/hosts", NULL, MS_BIND, NULL));
}

/* veth ct-va: 192.0.2.0/24 and 2001:db8::/64, its peer silent (no ARP). */
static void silent_link(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, ct_sh("ip link add ct-va type veth peer name ct-vb && "
			   "ip link set ct-va arp off && "
			   "ip addr add 192.0.2.1/24 dev ct-va && "
			   "ip -6 addr add 2001:db8::1/64 dev ct-va nodad && "
			   "ip link set ct-va up && ip link set ct-vb up"));
}

FIXTURE_SETUP(lib)
{
	self->l = self->c = self->a = -1;
	/*
	 * Not in the debug kernel's sample: a userspace library's test,
	 * whose socket paths in the kernel are connect_test's (as the
	 * tools' tests, lib.sh tern_tool_program).
	 */
	if (tern_sampled())
		SKIP(return, "a userspace library's test: its socket paths are connect_test's (debug sample)");
	ASSERT_EQ(0, tern_ensure_loaded());
	ASSERT_EQ(0, tern_new_netns());
	private_hosts(_metadata);
	silent_link(_metadata);
}

FIXTURE_TEARDOWN(lib)
{
	syscall(SYS_close_range, 3, ~0U, 0);
	EXPECT_EQ(0, ct_wait_inuse("TERN", "TERNv6", 0, 5000));
}

#define FAM		(variant->family)
#define TYPE		(variant->type)
#define LO		ct_loopback(variant->family)
#define SILENT		(FAM == AF_INET ? CT_SILENT4 : CT_SILENT6)

/* A listener on host (any port) into self->l and self->port. */
static void listen_on(struct __test_metadata *_metadata,
		      FIXTURE_DATA(lib) *self, const char *host, int family,
		      int type, int flags)
{
	self->l = tern_listen_host(host, "0", family, type, 8, flags);
	ASSERT_LE(0, self->l) {
		TH_LOG("tern_listen_host(%s): %s", host, tern_strerror(errno));
	}
	ASSERT_LT(0, ct_port_of(self->l, 0));
	ct_service(self->port, ct_port_of(self->l, 0));
}

#define LISTEN(host, family, flags) \
	listen_on(_metadata, self, (host), (family), TYPE, (flags))

static int fd_flags(int fd)
{
	return fcntl(fd, F_GETFL);
}

static int fd_cloexec(int fd)
{
	return fcntl(fd, F_GETFD) & FD_CLOEXEC;
}

/* What the kernel made: family, type, protocol Tern. */
static void expect_tern(struct __test_metadata *_metadata,
			const FIXTURE_VARIANT(lib) *variant, int fd, int family)
{
	EXPECT_EQ(family, ct_get_int(fd, SOL_SOCKET, SO_DOMAIN));
	EXPECT_EQ(TYPE, ct_get_int(fd, SOL_SOCKET, SO_TYPE));
	EXPECT_EQ(IPPROTO_TERN, ct_get_int(fd, SOL_SOCKET, SO_PROTOCOL));
}

/* ------------------------------------------------------------------ */

TEST_F(lib, available)
{
	int fd;

	EXPECT_EQ(1, tern_available());
	fd = tern_socket(FAM, TYPE | SOCK_CLOEXEC);
	ASSERT_LE(0, fd);
	expect_tern(_metadata, variant, fd, FAM);
	EXPECT_TRUE(fd_cloexec(fd));
	close(fd);
}

/* By name, both ends; the sockets are blocking and close-on-exec. */
TEST_F(lib, connect_listen_by_name)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[64];

	LISTEN("tern-lo", FAM, TERN_F_REUSEADDR);
	EXPECT_EQ(1, ct_get_int(self->l, SOL_SOCKET, SO_REUSEADDR));
	self->c = tern_connect_host("tern-lo", self->port, FAM, TYPE,
				    TIMEOUT_MS * 10, 0);
	ASSERT_LE(0, self->c) {
		TH_LOG("tern_connect_host: %s", tern_strerror(errno));
	}
	self->a = tern_accept_timeout(self->l, (struct sockaddr *)&ss, &len,
				      5000);
	ASSERT_LE(0, self->a);
	EXPECT_EQ(FAM, ss.ss_family);
	EXPECT_STREQ(LO, tern_sockaddr_addr(&ss, buf, sizeof(buf)));
	EXPECT_EQ(ct_port_of(self->c, 0), tern_sockaddr_port(&ss));
	expect_tern(_metadata, variant, self->c, FAM);
	expect_tern(_metadata, variant, self->a, FAM);
	EXPECT_EQ(0, fd_flags(self->c) & O_NONBLOCK);
	EXPECT_EQ(0, fd_flags(self->l) & O_NONBLOCK);
	EXPECT_TRUE(fd_cloexec(self->c));
	EXPECT_TRUE(fd_cloexec(self->l));
	EXPECT_TRUE(fd_cloexec(self->a));
}

/* By number, a service by name (echo is 7/tcp), TERN_F_NONBLOCK. */
TEST_F(lib, numbers_service_nonblock)
{
	LISTEN(LO, FAM, TERN_F_NONBLOCK);
	EXPECT_EQ(O_NONBLOCK, fd_flags(self->l) & O_NONBLOCK);
	self->c = tern_connect_host(LO, self->port, FAM, TYPE, -1,
				    TERN_F_NONBLOCK);
	ASSERT_LE(0, self->c);
	EXPECT_EQ(O_NONBLOCK, fd_flags(self->c) & O_NONBLOCK);
	EXPECT_EQ(0, ct_get_int(self->c, SOL_SOCKET, SO_ERROR));
	self->a = tern_accept_timeout(self->l, NULL, NULL, 5000);
	ASSERT_LE(0, self->a);
	/* accept4() does not pass the listener's O_NONBLOCK on */
	EXPECT_EQ(0, fd_flags(self->a) & O_NONBLOCK);
	close(self->a);
	close(self->c);
	close(self->l);

	self->l = tern_listen_host("tern-lo", "echo", FAM, TYPE, 1, 0);
	ASSERT_LE(0, self->l);
	EXPECT_EQ(7, ct_port_of(self->l, 0));
	self->c = tern_connect_host("tern-lo", "echo", FAM, TYPE, 5000, 0);
	ASSERT_LE(0, self->c);
	EXPECT_EQ(7, ct_port_of(self->c, 1));
}

/* Errors: refused (the peer's reset), a name of the other family. */
TEST_F(lib, refused)
{
	LISTEN(LO, FAM, 0);
	close(self->l);		/* its port is closed now */
	EXPECT_EQ(-1, tern_connect_host(LO, self->port, FAM, TYPE, 5000, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(-1, tern_connect_host(LO, self->port, FAM, TYPE, -1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_NE(NULL, strstr(tern_strerror(errno), "reset"));
	EXPECT_EQ(-1, tern_connect_host(FAM == AF_INET ? "::1" : "127.0.0.1",
					"5000", FAM, TYPE, -1, 0));
	EXPECT_EQ(ENOENT, errno);
}

/* A silent peer: ETIMEDOUT once the timeout has passed, not before. */
TEST_F(lib, connect_timeout)
{
	long long t0 = ct_now_ms(), t;

	EXPECT_EQ(-1, tern_connect_host(SILENT, "5000", FAM, TYPE, TIMEOUT_MS,
					0));
	t = ct_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(TIMEOUT_MS, t);
	/* the kernel alone would keep trying for minutes (6 SYNs) */
	EXPECT_GT(20000, t);
	EXPECT_EQ(-1, tern_connect_host(SILENT, "5000", FAM, TYPE, 0, 0));
	EXPECT_EQ(ETIMEDOUT, errno);
}

/* Nothing to accept: ETIMEDOUT after the timeout, blocking or not. */
TEST_F(lib, accept_timeout)
{
	long long t0;

	LISTEN(LO, FAM, 0);
	t0 = ct_now_ms();
	EXPECT_EQ(-1, tern_accept_timeout(self->l, NULL, NULL, TIMEOUT_MS));
	EXPECT_EQ(ETIMEDOUT, errno);
	EXPECT_LE(TIMEOUT_MS, ct_now_ms() - t0);
	EXPECT_EQ(-1, tern_accept_timeout(self->l, NULL, NULL, 0));
	EXPECT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(0, ct_set_nonblock(self->l, 1));
	EXPECT_EQ(-1, tern_accept_timeout(self->l, NULL, NULL, TIMEOUT_MS));
	EXPECT_EQ(ETIMEDOUT, errno);
	/* and a connection comes out of it at once */
	self->c = tern_connect_host(LO, self->port, FAM, TYPE, 5000, 0);
	ASSERT_LE(0, self->c);
	self->a = tern_accept_timeout(self->l, NULL, NULL, 5000);
	EXPECT_LE(0, self->a);
}

/* The next address after a refused one (::1) and a silent one. */
TEST_F(lib, next_address)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[64];
	long long t0;

	LISTEN("127.0.0.1", AF_INET, 0);
	self->c = tern_connect_host("tern-multi", self->port, AF_UNSPEC, TYPE,
				    5000, 0);
	ASSERT_LE(0, self->c) {
		TH_LOG("tern-multi: %s", tern_strerror(errno));
	}
	EXPECT_EQ(AF_INET, ct_get_int(self->c, SOL_SOCKET, SO_DOMAIN));
	close(self->c);
	self->a = tern_accept_timeout(self->l, NULL, NULL, 5000);
	EXPECT_LE(0, self->a);
	close(self->a);

	/* only the IPv6 address with AF_INET6: refused */
	EXPECT_EQ(-1, tern_connect_host("tern-multi", self->port, AF_INET6,
					TYPE, 5000, 0));
	EXPECT_EQ(ECONNREFUSED, errno);

	t0 = ct_now_ms();
	self->c = tern_connect_host("tern-silent", self->port, AF_UNSPEC,
				    TYPE, TIMEOUT_MS, 0);
	ASSERT_LE(0, self->c) {
		TH_LOG("tern-silent: %s", tern_strerror(errno));
	}
	TH_LOG("tern-silent connected after %lld ms", ct_now_ms() - t0);
	ASSERT_EQ(0, getpeername(self->c, (struct sockaddr *)&ss, &len));
	EXPECT_STREQ("127.0.0.1", tern_sockaddr_addr(&ss, buf, sizeof(buf)));
}

/* No host, AF_UNSPEC: [::] taking IPv4 (mapped) as well. */
TEST_F(lib, listen_any)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char buf[64];
	int c4, c6;

	self->l = tern_listen_host(NULL, "0", AF_UNSPEC, TYPE, 8, 0);
	ASSERT_LE(0, self->l);
	EXPECT_EQ(AF_INET6, ct_get_int(self->l, SOL_SOCKET, SO_DOMAIN));
	EXPECT_EQ(0, ct_get_int(self->l, IPPROTO_IPV6, IPV6_V6ONLY));
	ct_service(self->port, ct_port_of(self->l, 0));
	c4 = tern_connect_host("127.0.0.1", self->port, AF_INET, TYPE, 5000, 0);
	ASSERT_LE(0, c4);
	self->a = tern_accept_timeout(self->l, (struct sockaddr *)&ss, &len,
				      5000);
	ASSERT_LE(0, self->a);
	EXPECT_STREQ(CT_MAPPED_LO, tern_sockaddr_addr(&ss, buf, sizeof(buf)));
	c6 = tern_connect_host("::1", self->port, AF_INET6, TYPE, 5000, 0);
	ASSERT_LE(0, c6);
	EXPECT_LE(0, tern_accept_timeout(self->l, NULL, NULL, 5000));
}

struct sender {
	int fd;
	int type;
	ssize_t result;
	pthread_t thread;
};

static const size_t msg_lens[] = { 1, 100, 1500, 5000, 65536, 200000, 3 };

/* The other end: XFER bytes of the pattern, or the messages; then close. */
static void *send_side(void *arg)
{
	struct sender *s = arg;
	unsigned char *buf = malloc(XFER);
	size_t i;

	ct_fill(buf, XFER, 0, 5);
	if (s->type == SOCK_STREAM) {
		s->result = tern_send_all(s->fd, buf, XFER);
	} else {
		s->result = 0;
		for (i = 0; i < sizeof(msg_lens) / sizeof(msg_lens[0]); i++) {
			if (tern_send_msg(s->fd, buf, msg_lens[i], 0) !=
			    (ssize_t)msg_lens[i]) {
				s->result = -1;
				break;
			}
			s->result += msg_lens[i];
		}
	}
	shutdown(s->fd, SHUT_WR);
	free(buf);
	return NULL;
}

/* Whole data one way: every byte (stream), every message whole. */
TEST_F(lib, whole_data)
{
	struct sender s = { .type = TYPE };
	unsigned char *buf = malloc(XFER);
	void *msg = NULL;
	size_t cap = 0, i, total = 0;
	ssize_t n;

	LISTEN(LO, FAM, 0);
	self->c = tern_connect_host(LO, self->port, FAM, TYPE, 5000, 0);
	ASSERT_LE(0, self->c);
	self->a = tern_accept_timeout(self->l, NULL, NULL, 5000);
	ASSERT_LE(0, self->a);
	ASSERT_EQ(0, ct_set_timeo(self->a, SO_RCVTIMEO, 20000));
	s.fd = self->c;
	ASSERT_EQ(0, pthread_create(&s.thread, NULL, send_side, &s));
	if (TYPE == SOCK_STREAM) {
		EXPECT_EQ(XFER, tern_recv_exact(self->a, buf, XFER));
		EXPECT_EQ(-1, ct_check(buf, XFER, 0, 5));
		EXPECT_EQ(0, tern_recv_exact(self->a, buf, 1));
		total = XFER;
	} else {
		for (i = 0; i < sizeof(msg_lens) / sizeof(msg_lens[0]); i++) {
			n = tern_recv_msg(self->a, &msg, &cap, 0);
			EXPECT_EQ((ssize_t)msg_lens[i], n);
			if (n > 0)
				EXPECT_EQ(-1, ct_check(msg, n, 0, 5));
			EXPECT_LE(msg_lens[i], cap);
			total += msg_lens[i];
		}
		EXPECT_EQ(0, tern_recv_msg(self->a, &msg, &cap, 0));
	}
	pthread_join(s.thread, NULL);
	EXPECT_EQ((ssize_t)total, s.result);
	free(msg);
	free(buf);
}

/* The typed options reach the module; its errno comes back unchanged. */
TEST_F(lib, options)
{
	struct tern_info info;
	unsigned int u;
	int fd, v, len, sv[2];

	fd = tern_socket(FAM, TYPE);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, tern_set_nodelay(fd, 1));
	EXPECT_EQ(0, tern_get_nodelay(fd, &v));
	EXPECT_EQ(1, v);
	EXPECT_EQ(0, tern_set_keepidle(fd, 100));
	EXPECT_EQ(0, tern_get_keepidle(fd, &v));
	EXPECT_EQ(100, v);
	EXPECT_EQ(0, tern_set_keepintvl(fd, 10));
	EXPECT_EQ(0, tern_get_keepintvl(fd, &v));
	EXPECT_EQ(10, v);
	EXPECT_EQ(0, tern_set_keepcnt(fd, 3));
	EXPECT_EQ(0, tern_get_keepcnt(fd, &v));
	EXPECT_EQ(3, v);
	EXPECT_EQ(0, tern_set_syncnt(fd, 2));
	EXPECT_EQ(0, tern_get_syncnt(fd, &v));
	EXPECT_EQ(2, v);
	EXPECT_EQ(0, tern_set_user_timeout(fd, 3000));
	EXPECT_EQ(0, tern_get_user_timeout(fd, &u));
	EXPECT_EQ(3000U, u);
	EXPECT_EQ(0, tern_set_maxseg(fd, 1000));
	EXPECT_EQ(0, tern_get_maxseg(fd, &v));
	/* out of range: the module's EINVAL */
	EXPECT_EQ(-1, tern_set_keepcnt(fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, tern_set_syncnt(fd, TERN_MAX_SYNCNT + 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, tern_set_keepidle(fd, TERN_MAX_KEEPIDLE + 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	LISTEN(LO, FAM, 0);
	self->c = tern_connect_host(LO, self->port, FAM, TYPE, 5000, 0);
	ASSERT_LE(0, self->c);
	len = tern_get_info(self->c, &info);
	EXPECT_LT(0, len);
	EXPECT_GE((int)sizeof(info), len);
	EXPECT_EQ(TCP_ESTABLISHED, info.tern_state);
	len = tern_get_info(self->l, &info);
	EXPECT_LT(0, len);
	EXPECT_EQ(TCP_LISTEN, info.tern_state);

	/* not a Tern socket */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	EXPECT_EQ(-1, tern_get_info(sv[0], &info));
	EXPECT_EQ(-1, tern_set_nodelay(sv[0], 1));
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
