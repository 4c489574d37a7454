// SPDX-License-Identifier: GPL-2.0
/*
 * Tern selftests: hardening of a connection against a peer that sends what
 * a well-behaved Tern never would: RFC 5961 (old ACKs, blind resets and
 * SYNs), RFC 2018 section 8 (SACK reneging), data beyond the window, data
 * after shutdown(SHUT_RDWR), ACK storms, socket filters.
 *
 * The peer is a packet socket at the far end of a veth pair, in a network
 * namespace of its own: nothing there has the peer's address, forwarding
 * is off and a netem qdisc drops whatever that namespace's stack would
 * send, so only the segments forged here come back (the packet socket
 * sends past the qdisc, PACKET_QDISC_BYPASS). It sees every segment the
 * Tern socket under test sends, and answers as the case needs. Where
 * the behaviour can be seen from real sockets, TCP over loopback runs the
 * same assertions first, as the reference.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>

#include "conn_util.h"
#include "kselftest_harness.h"

/* How long a segment may take to come or go (bounded waits). */
#define DELIVERY_MS	3000

#define PEER_PORT	4242
#define PEER_ISN	0x5a5a000000000000ULL
#define PEER_WIN	65535
#define PEER_MSS	1000
#define LINK_MTU	9000	/* room for a segment larger than a window */

/* th-a is ours, th-b the peer's; static neighbours, no ARP or ND. */
static const unsigned char mac_here[ETH_ALEN] = { 2, 0, 0, 0, 0x78, 1 };
#define MAC_HERE	"02:00:00:00:78:01"
#define MAC_PEER	"02:00:00:00:78:02"

/* The forging end of one connection. */
struct peer {
	int fam;
	int fd;			/* AF_PACKET, SOCK_DGRAM, on th-b */
	int ifindex;		/* th-b, in the peer's namespace */
	__be16 eth;		/* ETH_P_IP or ETH_P_IPV6 */
	struct in6_addr here;	/* the Tern socket's address (either family) */
	struct in6_addr there;	/* the peer's */
	unsigned short lport;	/* the Tern socket's port */
	unsigned short pport;	/* the peer's */
	uint64_t snd_nxt;	/* the peer's next sequence number */
	uint64_t rcv_nxt;	/* what the peer acknowledges */
	uint32_t tern_win;	/* window of the Tern socket's last segment */
	uint32_t win;		/* the window the peer offers; 0: PEER_WIN */
	uint16_t mss;		/* the MSS its SYN-ACK announces; 0: PEER_MSS */
	int synack_delay_ms;	/* est(): wait this long before the SYN-ACK */
};

/* A segment to forge; the window is the peer's (PEER_WIN unless set). */
struct pseg {
	uint8_t flags;
	uint64_t seq, ack;
	const void *opt;	/* optlen bytes, a multiple of 4 */
	size_t optlen;
	const void *data;
	size_t len;
};

/* A segment the Tern socket sent. */
struct rseg {
	uint8_t flags;
	uint64_t seq, ack;
	uint32_t win;
	size_t len;		/* payload */
	int nsacks;		/* its SACK blocks, first to last */
	uint64_t sack[3][2];
};

/* The SACK blocks of the options from opt to end, into r. */
static void rseg_sacks(struct rseg *r, const uint8_t *opt, const uint8_t *end)
{
	int i;

	r->nsacks = 0;
	while (opt < end && *opt != TERN_OPT_END) {
		if (*opt == TERN_OPT_NOP) {
			opt++;
			continue;
		}
		if (end - opt < 2 || opt[1] < 2 || opt[1] > end - opt)
			return;
		if (*opt == TERN_OPT_SACK) {
			r->nsacks = (opt[1] - 2) / 16;
			if (r->nsacks > 3)
				r->nsacks = 3;
			for (i = 0; i < r->nsacks; i++) {
				memcpy(&r->sack[i][0], opt + 2 + 16 * i, 8);
				memcpy(&r->sack[i][1], opt + 10 + 16 * i, 8);
				r->sack[i][0] = be64toh(r->sack[i][0]);
				r->sack[i][1] = be64toh(r->sack[i][1]);
			}
		}
		opt += opt[1];
	}
}

/* The payload pattern: the byte at sequence number q. */
static uint8_t pat(uint64_t q)
{
	return (uint8_t)(q * 131 + 7);
}

static void fill_pat(unsigned char *buf, size_t len, uint64_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat(seq + i);
}

/* Index of the first byte of buf that is not the pattern from seq, or -1. */
static ssize_t check_pat(const unsigned char *buf, size_t len, uint64_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pat(seq + i))
			return i;
	return -1;
}

/*
 * The namespace behind th-a, holding th-b and the peer's packet socket.
 * Called and returning in the test's namespace. 0 or -errno.
 */
static int peer_open(struct peer *p, int fam, const char *here,
		     const char *there, const char *plen)
{
	int ours, theirs = -1, err = 0, one = 1, big = 8 << 20;
	struct sockaddr_ll sll;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->fam = fam;
	p->eth = htons(fam == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	p->pport = PEER_PORT;
	if (inet_pton(fam, here, &p->here) != 1 ||
	    inet_pton(fam, there, &p->there) != 1)
		return -EINVAL;
	ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ours < 0)
		return -errno;
	if (unshare(CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	theirs = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (theirs < 0)
		err = -errno;
	if (setns(ours, CLONE_NEWNET))
		err = -errno;
	if (err)
		goto out;
	if (ct_sh("ip link add th-a mtu %d address " MAC_HERE " type veth "
		  "peer name th-b mtu %d address " MAC_PEER " netns /proc/%d/fd/%d && "
		  "ip addr add %s/%s dev th-a && ip link set th-a up && "
		  "ip neigh replace %s lladdr " MAC_PEER " dev th-a nud permanent",
		  LINK_MTU, LINK_MTU, getpid(), theirs, here, plen, there)) {
		err = -EIO;
		goto out;
	}
	if (setns(theirs, CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	if (ct_sh("ip link set th-b up && tc qdisc add dev th-b root netem loss 100%%")) {
		err = -EIO;
	} else {
		p->ifindex = if_nametoindex("th-b");
		p->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, p->eth);
		memset(&sll, 0, sizeof(sll));
		sll.sll_family = AF_PACKET;
		sll.sll_protocol = p->eth;
		sll.sll_ifindex = p->ifindex;
		if (!p->ifindex || p->fd < 0 ||
		    bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) ||
		    setsockopt(p->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
			       sizeof(one)) ||
		    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
			       sizeof(big)))
			err = -errno;
	}
	if (setns(ours, CLONE_NEWNET) && !err)
		err = -errno;
out:
	if (theirs >= 0)
		close(theirs);
	close(ours);
	return err;
}

/* Forge s from the peer to the Tern socket: 0 or -errno. */
static int peer_send(struct peer *p, const struct pseg *s)
{
	static __thread unsigned char pkt[LINK_MTU];
	size_t iplen = p->fam == AF_INET ? 20 : 40;
	size_t hlen = TERN_HDR_LEN + s->optlen;
	size_t seglen = hlen + s->len;
	unsigned char *seg = pkt + iplen;
	struct ternhdr *th = (struct ternhdr *)seg;
	struct sockaddr_ll sll;
	uint16_t v;
	ssize_t n;

	if (iplen + seglen > sizeof(pkt) || s->optlen % 4)
		return -EMSGSIZE;
	memset(pkt, 0, iplen + hlen);
	th->source = htons(p->pport);
	th->dest = htons(p->lport);
	th->doff = hlen / 4;
	th->flags = s->flags;
	th->seq = htobe64(s->seq);
	th->ack_seq = htobe64(s->ack);
	th->window = htonl(p->win ? p->win : PEER_WIN);
	th->version = TERN_VERSION;
	if (s->optlen)
		memcpy(seg + TERN_HDR_LEN, s->opt, s->optlen);
	if (s->len)
		memcpy(seg + hlen, s->data, s->len);
	th->check = tern_segment_csum(p->fam, &p->there, &p->here, seg, seglen);
	if (p->fam == AF_INET) {
		pkt[0] = 0x45;
		v = htons(iplen + seglen);
		memcpy(pkt + 2, &v, 2);
		pkt[6] = 0x40;			/* DF */
		pkt[8] = 64;
		pkt[9] = IPPROTO_TERN;
		memcpy(pkt + 12, &p->there, 4);
		memcpy(pkt + 16, &p->here, 4);
		v = htons(tern_csum_fold(tern_csum_add(0, pkt, 20)));
		memcpy(pkt + 10, &v, 2);
	} else {
		pkt[0] = 0x60;
		v = htons(seglen);
		memcpy(pkt + 4, &v, 2);
		pkt[6] = IPPROTO_TERN;
		pkt[7] = 64;
		memcpy(pkt + 8, &p->there, 16);
		memcpy(pkt + 24, &p->here, 16);
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = p->eth;
	sll.sll_ifindex = p->ifindex;
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, mac_here, ETH_ALEN);
	n = sendto(p->fd, pkt, iplen + seglen, 0, (struct sockaddr *)&sll,
		   sizeof(sll));
	if (n < 0)
		return -errno;
	return (size_t)n == iplen + seglen ? 0 : -EIO;
}

/* A bare ACK of everything the peer has from the Tern socket. */
static int peer_ack(struct peer *p)
{
	struct pseg s = { .flags = TERN_FLAG_ACK, .seq = p->snd_nxt,
			  .ack = p->rcv_nxt };

	return peer_send(p, &s);
}

/* len bytes of the pattern at seq, acknowledging ack. */
static int peer_data(struct peer *p, uint64_t seq, uint64_t ack, size_t len)
{
	static __thread unsigned char data[LINK_MTU];
	struct pseg s = { .flags = TERN_FLAG_ACK, .seq = seq, .ack = ack,
			  .data = data, .len = len };

	if (len > sizeof(data))
		return -EMSGSIZE;
	fill_pat(data, len, seq);
	return peer_send(p, &s);
}

/*
 * The next segment the Tern socket sent the peer, within timeout_ms (0:
 * only what is already there): 1 with *r filled, or 0.
 */
static int peer_recv(struct peer *p, struct rseg *r, int timeout_ms)
{
	static unsigned char buf[65536];
	long long end = ct_now_ms() + timeout_ms;
	const struct ternhdr *th;
	struct sockaddr_ll sll;
	socklen_t slen;
	size_t off, tot;
	ssize_t n;

	for (;;) {
		long long left = end - ct_now_ms();

		slen = sizeof(sll);
		n = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&sll, &slen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return 0;
			if (left <= 0)
				return 0;
			ct_poll(p->fd, POLLIN, left);
			continue;
		}
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (p->fam == AF_INET) {
			if (n < 20 || buf[0] >> 4 != 4 || buf[9] != IPPROTO_TERN)
				continue;
			off = (buf[0] & 0x0f) * 4;
			tot = buf[2] << 8 | buf[3];
			if (memcmp(buf + 12, &p->here, 4) ||
			    memcmp(buf + 16, &p->there, 4))
				continue;
		} else {
			if (n < 40 || buf[0] >> 4 != 6 || buf[6] != IPPROTO_TERN)
				continue;
			off = 40;
			tot = 40 + (buf[4] << 8 | buf[5]);
			if (memcmp(buf + 8, &p->here, 16) ||
			    memcmp(buf + 24, &p->there, 16))
				continue;
		}
		if (tot > (size_t)n || tot < off + TERN_HDR_LEN)
			continue;
		th = (const struct ternhdr *)(buf + off);
		if (off + th->doff * 4 > tot)
			continue;
		if (ntohs(th->dest) != p->pport ||
		    (p->lport && ntohs(th->source) != p->lport))
			continue;
		r->flags = th->flags;
		r->seq = be64toh(th->seq);
		r->ack = be64toh(th->ack_seq);
		r->win = ntohl(th->window);
		r->len = tot - off - th->doff * 4;
		rseg_sacks(r, buf + off + TERN_HDR_LEN, buf + off + th->doff * 4);
		return 1;
	}
}

/* The next one with all of flags set; as peer_recv(). */
static int peer_recv_with(struct peer *p, struct rseg *r, uint8_t flags,
			  int timeout_ms)
{
	long long end = ct_now_ms() + timeout_ms;

	while (peer_recv(p, r, end - ct_now_ms()))
		if ((r->flags & flags) == flags)
			return 1;
	return 0;
}

/* Everything already received, counted. */
static int peer_drain(struct peer *p)
{
	struct rseg r;
	int n = 0;

	while (peer_recv(p, &r, 0))
		n++;
	return n;
}

/* ------------------------------------------------------------------
 * /proc/net/tern/sockets and /proc/net/tern/snmp
 */

/* The line of the socket whose local port is port: 0, or -ENOENT. */
static int sock_line(int port, char *out, size_t len)
{
	char line[512], *sp, *colon;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/net/tern/sockets", "re");
	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		colon = strrchr(line, ':');
		if (!colon || atoi(colon + 1) != port)
			continue;
		*sp = ' ';
		snprintf(out, len, "%s", line);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* Its state ("ESTAB", "SYN-RECV", ...) into buf; "none" without one. */
static const char *sock_state(int port, char *buf, size_t len)
{
	char line[512], *p;

	snprintf(buf, len, "none");
	if (sock_line(port, line, sizeof(line)))
		return buf;
	p = strchr(line, ' ');
	if (p)
		p = strchr(p + 1, ' ');
	if (p)
		snprintf(buf, len, "%.*s", (int)strcspn(p + 1, " \n"), p + 1);
	return buf;
}

#define NO_FIELD ULLONG_MAX

/* A numeric field ("rcv_nxt", "timer", ...) of its line, or NO_FIELD. */
static unsigned long long sock_num(int port, const char *key)
{
	char line[512], name[40], *p;

	snprintf(name, sizeof(name), " %s=", key);
	if (sock_line(port, line, sizeof(line)))
		return NO_FIELD;
	p = strstr(line, name);
	return p ? strtoull(p + strlen(name), NULL, 10) : NO_FIELD;
}

/* Wait up to wait_ms for the field to be want; what it was at the end. */
static unsigned long long sock_wait(int port, const char *key,
				    unsigned long long want, int wait_ms)
{
	long long end = ct_now_ms() + wait_ms;
	unsigned long long v;

	for (;;) {
		v = sock_num(port, key);
		if (v == want || ct_now_ms() >= end)
			return v;
		tern_msleep(10);
	}
}

/* Wait up to wait_ms for the state to be want; true when it is. */
static bool state_wait(int port, const char *want, int wait_ms)
{
	long long end = ct_now_ms() + wait_ms;
	char st[32];

	for (;;) {
		if (!strcmp(sock_state(port, st, sizeof(st)), want))
			return true;
		if (ct_now_ms() >= end)
			return false;
		tern_msleep(10);
	}
}

/*
 * A counter that the fix adds may not be there yet: that is a failure of
 * its own, with its name, and the checks that need it are skipped.
 */
static long long counter(struct __test_metadata *_metadata, const char *name)
{
	long long v = ct_counter(name);

	EXPECT_LE(0, v) {
		TH_LOG("counter %s is missing from " TERN_SNMP_PATH " (%s)",
		       name, strerror((int)-v));
	}
	return v;
}

#define COUNTER(name)	counter(_metadata, name)

/* Likewise a sysctl the fix adds: 0 when it was written. */
static int sysctl_set(struct __test_metadata *_metadata, const char *name,
		      const char *val)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/tern/%s", name);
	err = ct_sysctl_write(path, "%s", val);
	EXPECT_EQ(0, err) {
		TH_LOG("sysctl net.tern.%s = %s: %s", name, val, strerror(-err));
	}
	return err;
}

#define SYSCTL(name, val)	sysctl_set(_metadata, name, val)

/* Wait up to wait_ms until counter name is at least want; its value. */
static long long counter_wait(const char *name, long long want, int wait_ms)
{
	long long end = ct_now_ms() + wait_ms, v;

	for (;;) {
		v = ct_counter(name);
		if (v < 0 || v >= want || ct_now_ms() >= end)
			return v;
		tern_msleep(5);
	}
}

/* ------------------------------------------------------------------
 * Sockets
 */

static int inq(int fd)
{
	int n = -1;

	if (ioctl(fd, SIOCINQ, &n))
		return -errno;
	return n;
}

/* Read what is there now (no waiting); bytes read, the pattern checked. */
static ssize_t read_now(struct __test_metadata *_metadata, int fd,
			uint64_t seq)
{
	static unsigned char buf[65536];
	ssize_t n, total = 0, bad;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		bad = check_pat(buf, n, seq + total);
		EXPECT_EQ(-1, bad) {
			TH_LOG("byte %zd of the data is wrong", total + bad);
		}
		total += n;
	}
	return total;
}

/* Close with a reset: nothing lingers after the test. */
static void abort_close(int fd)
{
	struct linger lg = { 1, 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * Connect Tern socket s (options already set) to the peer and complete
 * the handshake, confirmation included; s is blocking afterwards, with
 * bounded timeouts. p->rcv_nxt is then s's snd_una, p->snd_nxt its
 * rcv_nxt.
 */
static void est(struct __test_metadata *_metadata, struct peer *p, int s,
		const char *there)
{
	uint16_t m = p->mss ? p->mss : PEER_MSS;
	const uint8_t mss[4] = { TERN_OPT_MSS, 4, m >> 8, m & 0xff };
	struct pseg synack = { .flags = TERN_FLAG_SYN | TERN_FLAG_ACK,
			       .seq = PEER_ISN, .opt = mss, .optlen = 4 };
	struct rseg r;

	ASSERT_EQ(0, ct_set_nonblock(s, 1));
	ASSERT_EQ(EINPROGRESS, ct_connect_fd(s, p->fam, there, p->pport));
	p->lport = ct_port_of(s, 0);
	ASSERT_LT(0, p->lport);
	ASSERT_EQ(1, peer_recv_with(p, &r, TERN_FLAG_SYN, DELIVERY_MS));
	p->rcv_nxt = r.seq + 1;
	synack.ack = p->rcv_nxt;
	if (p->synack_delay_ms)
		tern_msleep(p->synack_delay_ms);
	ASSERT_EQ(0, peer_send(p, &synack));
	p->snd_nxt = PEER_ISN + 1;
	do {	/* past a resent SYN, should the SYN-ACK have been late */
		ASSERT_EQ(1, peer_recv(p, &r, DELIVERY_MS));
	} while (r.flags & TERN_FLAG_SYN);
	ASSERT_EQ(TERN_FLAG_ACK, r.flags);
	ASSERT_EQ(p->snd_nxt, r.ack);
	ASSERT_EQ(p->rcv_nxt, r.seq);
	p->tern_win = r.win;
	ASSERT_EQ(POLLOUT, ct_wait_events(s, POLLOUT, DELIVERY_MS) & POLLOUT);
	ASSERT_EQ(0, ct_get_int(s, SOL_SOCKET, SO_ERROR));
	ASSERT_EQ(0, ct_set_nonblock(s, 0));
	ASSERT_EQ(0, ct_set_timeo(s, SO_RCVTIMEO, DELIVERY_MS));
	ASSERT_EQ(0, ct_set_timeo(s, SO_SNDTIMEO, DELIVERY_MS));
	/* the confirmation: the handshake's retransmission timer stops */
	ASSERT_EQ(0, peer_ack(p));
	ASSERT_EQ(0ULL, sock_wait(p->lport, "timer", 0, DELIVERY_MS));
	while (peer_recv(p, &r, 0))
		p->tern_win = r.win;
}

#define EST(s) est(_metadata, &self->p, (s), variant->peer)

static const char *proto_name(int proto)
{
	return proto == IPPROTO_TCP ? "TCP" : "Tern";
}

/* ------------------------------------------------------------------ */

FIXTURE(harden) {
	struct peer p;
};

FIXTURE_VARIANT(harden) {
	int family;
	const char *here;	/* ours, on th-a */
	const char *peer;	/* the peer's, behind th-a */
	const char *plen;
	const char *lo;		/* loopback, for the real-socket cases */
};

FIXTURE_VARIANT_ADD(harden, ipv4) {
	.family = AF_INET, .here = "198.51.100.1", .peer = "198.51.100.2",
	.plen = "24", .lo = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(harden, ipv6) {
	.family = AF_INET6, .here = "2001:db8:78::1", .peer = "2001:db8:78::2",
	.plen = "64 nodad", .lo = "::1",
};

FIXTURE_SETUP(harden)
{
	int err;

	self->p.fd = -1;
	/* the debug kernel's sample: each test in one family */
	if (!tern_sample_variant(_metadata->name, variant->family == AF_INET6, 2))
		SKIP(return, "not in the debug kernel's sample (TERN_SAMPLE=1)");
	ASSERT_EQ(0, tern_ensure_loaded());
	ASSERT_EQ(0, tern_new_netns());
	err = peer_open(&self->p, variant->family, variant->here,
			variant->peer, variant->plen);
	ASSERT_EQ(0, err) {
		TH_LOG("peer namespace: %s", strerror(-err));
	}
}

FIXTURE_TEARDOWN(harden)
{
	if (self->p.fd >= 0)
		close(self->p.fd);
}

/*
 * RFC 5961 5.2: an ACK older than snd_una - max_window is not of this
 * connection's present; the segment is dropped (its data too) and
 * answered with a challenge ACK. An old ACK within max_window is a
 * delayed segment: its data counts.
 */
TEST_F_TIMEOUT(harden, challenge_ack_on_old_ack, 90)
{
	struct peer *p = &self->p;
	uint64_t una, rcv;
	long long challenges;
	unsigned char buf[100];
	struct rseg r;
	int s, got, n;

	s = tern_socket(variant->family, SOCK_STREAM);
	ASSERT_LE(0, s);
	EST(s);
	una = p->rcv_nxt;
	rcv = p->snd_nxt;
	challenges = COUNTER("TernChallengeAcks");

	ASSERT_EQ(0, peer_data(p, rcv, una - (1ULL << 40), 100));
	got = peer_recv(p, &r, 1000);
	EXPECT_EQ(1, got) {
		TH_LOG("no answer to data whose ACK is 2^40 below snd_una");
	}
	if (got) {
		EXPECT_EQ(TERN_FLAG_ACK, r.flags);
		EXPECT_EQ(0, (int)r.len);
		EXPECT_EQ(rcv, r.ack) {
			TH_LOG("the data was acknowledged (%+lld): taken with an ACK 2^40 below snd_una",
			       (long long)(r.ack - rcv));
		}
	}
	n = inq(s);
	EXPECT_EQ(0, n) {
		TH_LOG("%d bytes delivered from a segment whose ACK is 2^40 below snd_una (max_window %d)",
		       n, PEER_WIN);
	}
	if (challenges >= 0)
		EXPECT_EQ(challenges + 1, ct_counter("TernChallengeAcks"));
	read_now(_metadata, s, rcv);
	peer_drain(p);

	/* an ACK older than snd_una, but within max_window: delivered */
	rcv = sock_num(p->lport, "rcv_nxt");
	ASSERT_NE(NO_FIELD, rcv);
	ASSERT_EQ(0, peer_data(p, rcv, una - 1000, 100));
	ASSERT_EQ(100, recv(s, buf, sizeof(buf), MSG_WAITALL)) {
		TH_LOG("data with an ACK 1000 below snd_una was not delivered");
	}
	EXPECT_EQ(-1, check_pat(buf, sizeof(buf), rcv));
	ASSERT_EQ(1, peer_recv(p, &r, DELIVERY_MS));
	EXPECT_EQ(rcv + 100, r.ack);
	abort_close(s);
}

/*
 * Simultaneous open: our SYN_SENT socket got a SYN (ISN X, maybe forged)
 * and sits in SYN_RECV, having acknowledged X + 1. A SYN-ACK with another
 * ISN, Y, far outside the window around X + 1, must not complete the
 * connection (RFC 5961 4: a challenge ACK instead); the ACK that belongs
 * to the simultaneous open (seq X + 1, ack ISN + 1) still does.
 */
TEST_F_TIMEOUT(harden, synrecv_checks_sequence, 90)
{
	struct peer *p = &self->p;
	const uint64_t x = PEER_ISN, y = PEER_ISN + (1ULL << 40);
	struct pseg seg = { 0 };
	struct rseg r;
	uint64_t c_isn;
	char st[32], buf[1];
	bool challenged = false;
	int s;

	s = tern_socket(variant->family, SOCK_STREAM);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ct_set_nonblock(s, 1));
	ASSERT_EQ(EINPROGRESS, ct_connect_fd(s, p->fam, variant->peer, p->pport));
	p->lport = ct_port_of(s, 0);
	ASSERT_LT(0, p->lport);
	ASSERT_EQ(1, peer_recv_with(p, &r, TERN_FLAG_SYN, DELIVERY_MS));
	c_isn = r.seq;

	/* the "attacker": a bare SYN; answered with SYN-ACK of X + 1 */
	seg.flags = TERN_FLAG_SYN;
	seg.seq = x;
	ASSERT_EQ(0, peer_send(p, &seg));
	ASSERT_EQ(1, peer_recv_with(p, &r, TERN_FLAG_SYN | TERN_FLAG_ACK,
				    DELIVERY_MS));
	ASSERT_EQ(c_isn, r.seq);
	ASSERT_EQ(x + 1, r.ack);
	ASSERT_TRUE(state_wait(p->lport, "SYN-RECV", DELIVERY_MS)) {
		TH_LOG("state %s after a SYN in SYN_SENT",
		       sock_state(p->lport, st, sizeof(st)));
	}

	/* the "real" SYN-ACK, ISN Y: challenged, not connected */
	seg.flags = TERN_FLAG_SYN | TERN_FLAG_ACK;
	seg.seq = y;
	seg.ack = c_isn + 1;
	ASSERT_EQ(0, peer_send(p, &seg));
	while (!challenged && peer_recv(p, &r, 1000)) {
		if (r.flags & (TERN_FLAG_SYN | TERN_FLAG_RST))
			continue;	/* a SYN-ACK resent on its timer */
		challenged = r.flags & TERN_FLAG_ACK;
	}
	EXPECT_TRUE(challenged) {
		TH_LOG("no ACK answered the SYN-ACK with an ISN outside the window");
	}
	if (challenged) {
		EXPECT_EQ(x + 1, r.ack);
		EXPECT_EQ(0, (int)r.len);
	}
	EXPECT_STREQ("SYN-RECV", sock_state(p->lport, st, sizeof(st))) {
		TH_LOG("a SYN-ACK with seq X + 2^40 completed the simultaneous open (rcv_nxt %llu = X + 1)",
		       sock_num(p->lport, "rcv_nxt"));
	}
	EXPECT_EQ(0, ct_get_int(s, SOL_SOCKET, SO_ERROR));

	/* the simultaneous open's own ACK connects it */
	seg.flags = TERN_FLAG_ACK;
	seg.seq = x + 1;
	seg.ack = c_isn + 1;
	ASSERT_EQ(0, peer_send(p, &seg));
	EXPECT_TRUE(state_wait(p->lport, "ESTAB", DELIVERY_MS)) {
		TH_LOG("state %s after the ACK of the simultaneous open",
		       sock_state(p->lport, st, sizeof(st)));
	}
	EXPECT_EQ(POLLOUT, ct_wait_events(s, POLLOUT, DELIVERY_MS) & POLLOUT);
	EXPECT_EQ(0, ct_get_int(s, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(x + 1, sock_num(p->lport, "rcv_nxt"));
	EXPECT_EQ(c_isn + 1, sock_num(p->lport, "una"));

	/* and data flows from X + 1 */
	p->snd_nxt = x + 1;
	p->rcv_nxt = c_isn + 1;
	ASSERT_EQ(0, ct_set_nonblock(s, 0));
	ASSERT_EQ(0, ct_set_timeo(s, SO_RCVTIMEO, DELIVERY_MS));
	ASSERT_EQ(0, peer_data(p, x + 1, c_isn + 1, 1));
	EXPECT_EQ(1, recv(s, buf, 1, 0));
	EXPECT_EQ(pat(x + 1), (uint8_t)buf[0]);
	abort_close(s);
}

/*
 * The client's last handshake ACK and its first data, sent from two
 * CPUs at once, both find the listener's request; one of them makes the
 * connection. The other must reach that connection (tcp_check_req()'s
 * req_stolen: look again), not be dropped: dropped data waits for the
 * client's retransmission timeout, which is how connect-request-close
 * over a clean link took timeouts. Each round sends the pair from two
 * threads on two CPUs released together, then waits for the ACK of the
 * data; the peer never resends, so without it the data was lost.
 */
#define RACE_ROUNDS	300
#define RACE_LEN	16

struct race_arg {
	struct peer *p;
	struct pseg seg;
	int cpu;
	atomic_int *go;
	int err;
};

static void *race_send(void *arg)
{
	struct race_arg *a = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(a->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	atomic_fetch_add(a->go, 1);
	while (atomic_load(a->go) < 2)
		;
	a->err = peer_send(a->p, &a->seg);
	return NULL;
}

/* One round from peer port pport: 1 when the data was acknowledged. */
static int race_round(struct __test_metadata *_metadata, struct peer *p,
		      int lfd, unsigned short pport)
{
	static const uint8_t mss[4] = { TERN_OPT_MSS, 4, PEER_MSS >> 8,
					PEER_MSS & 0xff };
	unsigned char data[RACE_LEN];
	uint64_t c = PEER_ISN + ((uint64_t)pport << 32);
	struct pseg syn = { .flags = TERN_FLAG_SYN, .seq = c, .opt = mss,
			    .optlen = 4 };
	struct race_arg a[2];
	pthread_t th[2];
	struct rseg r, last = { 0 };
	atomic_int go = 0;
	int i, n, fd, acked = 0;

	p->pport = pport;
	if (peer_send(p, &syn) ||
	    !peer_recv_with(p, &r, TERN_FLAG_SYN | TERN_FLAG_ACK, DELIVERY_MS))
		return -1;
	fill_pat(data, sizeof(data), c + 1);
	for (i = 0; i < 2; i++) {
		a[i] = (struct race_arg){ .p = p, .cpu = i, .go = &go,
			.seg = { .flags = TERN_FLAG_ACK, .seq = c + 1,
				 .ack = r.seq + 1 } };
		if (i) {
			a[i].seg.data = data;
			a[i].seg.len = sizeof(data);
		}
	}
	for (n = 0; n < 2; n++)
		if (pthread_create(&th[n], NULL, race_send, &a[n]))
			break;
	if (n < 2)
		atomic_fetch_add(&go, 2);	/* release the one started */
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (n < 2 || a[0].err || a[1].err)
		return -1;
	while (!acked && peer_recv(p, &r, DELIVERY_MS)) {
		acked = r.ack == c + 1 + RACE_LEN;
		if (!acked)	/* the confirmation, or a reset */
			last = r;
	}
	if (!acked)
		TH_LOG("port %u: the last segment had flags %#x, ack C + %lld",
		       pport, last.flags, (long long)(last.ack - c));
	fd = accept(lfd, NULL, NULL);
	EXPECT_LE(0, fd);
	if (fd >= 0 && acked)
		EXPECT_EQ(RACE_LEN, read_now(_metadata, fd, c + 1));
	abort_close(fd);
	return acked;
}

TEST_F_TIMEOUT(harden, handshake_ack_and_data_race, 120)
{
	int rounds = tern_sampled() ? RACE_ROUNDS / 6 : RACE_ROUNDS;
	struct peer *p = &self->p;
	int lfd, port, i, ok;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	lfd = ct_listener(variant->family, SOCK_STREAM, IPPROTO_TERN,
			  variant->here, 0, 64, 0, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, ct_set_nonblock(lfd, 1));
	p->lport = port;
	for (i = 0; i < rounds; i++) {
		ok = race_round(_metadata, p, lfd, 20000 + i);
		ASSERT_LE(0, ok) {
			TH_LOG("round %d: the handshake did not get that far", i);
		}
		ASSERT_EQ(1, ok) {
			TH_LOG("round %d of %d: the data that raced the handshake's last ACK was never acknowledged (dropped)",
			       i, rounds);
		}
	}
	close(lfd);
}

/* Which of the four segments from s0 r starts, or -1. */
static int seg_index(const struct rseg *r, uint64_t s0, size_t seg)
{
	uint64_t d = r->seq - s0;

	return d % seg == 0 && d / seg < 4 ? (int)(d / seg) : -1;
}

/*
 * RACK's reordering timer (RFC 8985 6.3): segments sent just before one
 * the peer SACKs, inside the reordering window (a quarter of the minimum
 * RTT, here about 50 ms from a SYN-ACK held back 200 ms), are not lost
 * when the SACK comes, but are once RACK.rtt + the window has passed;
 * at the end of a flight no further ACK comes to tell. The resend must
 * be RACK's (TernFastRetrans), not a retransmission timeout's: before
 * the timer, only the RTO found them (the tail loss probe stays quiet
 * when the last segment is SACKed).
 */
TEST_F_TIMEOUT(harden, rack_reorder_timer_not_rto, 90)
{
	struct peer *p = &self->p;
	const size_t seg = 100;
	uint8_t sack[20] = { TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_SACK, 18 };
	unsigned char buf[100];
	struct pseg dup = { 0 };
	bool seen[4] = { false }, again = false;
	long long rtos, fast, end;
	uint64_t s0, v;
	struct rseg r;
	int s, i, k;

	p->synack_delay_ms = 200;
	s = tern_socket(variant->family, SOCK_STREAM);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ct_set_int(s, SOL_TERN, TERN_NODELAY, 1));
	ASSERT_EQ(0, ct_set_int(s, SOL_TERN, TERN_MAXSEG, (int)seg));
	EST(s);
	s0 = p->rcv_nxt;
	for (i = 0; i < 4; i++) {
		fill_pat(buf, seg, s0 + i * seg);
		ASSERT_EQ((ssize_t)seg, send(s, buf, seg, 0));
	}
	end = ct_now_ms() + DELIVERY_MS;
	while (!(seen[0] && seen[1] && seen[2] && seen[3]) &&
	       peer_recv(p, &r, end - ct_now_ms())) {
		k = seg_index(&r, s0, seg);
		if (k >= 0 && r.len == seg)
			seen[k] = true;
	}
	ASSERT_TRUE(seen[0] && seen[1] && seen[2] && seen[3]);

	/* a duplicate ACK SACKing the last segment alone */
	v = htobe64(s0 + 3 * seg);
	memcpy(sack + 4, &v, 8);
	v = htobe64(s0 + 4 * seg);
	memcpy(sack + 12, &v, 8);
	dup.flags = TERN_FLAG_ACK;
	dup.seq = p->snd_nxt;
	dup.ack = s0;
	dup.opt = sack;
	dup.optlen = sizeof(sack);
	rtos = COUNTER("TernRTOs");
	fast = COUNTER("TernFastRetrans");
	ASSERT_EQ(0, peer_send(p, &dup));

	/* the first segment again: what sent it? */
	end = ct_now_ms() + DELIVERY_MS;
	while (!again && peer_recv(p, &r, end - ct_now_ms()))
		again = r.seq == s0 && r.len == seg;
	ASSERT_TRUE(again);
	EXPECT_EQ(rtos, COUNTER("TernRTOs")) {
		TH_LOG("the segments in the reordering window were resent by a retransmission timeout");
	}
	EXPECT_LT(fast, COUNTER("TernFastRetrans"));
	p->rcv_nxt = s0 + 4 * seg;
	ASSERT_EQ(0, peer_ack(p));
	abort_close(s);
}

/* A SACK option of one block, start to end, in opt[20]. */
static void put_sack(uint8_t *opt, uint64_t start, uint64_t end)
{
	uint64_t v;

	opt[0] = TERN_OPT_NOP;
	opt[1] = TERN_OPT_NOP;
	opt[2] = TERN_OPT_SACK;
	opt[3] = 18;
	v = htobe64(start);
	memcpy(opt + 4, &v, 8);
	v = htobe64(end);
	memcpy(opt + 12, &v, 8);
}

static void get_info(struct __test_metadata *_metadata, int fd,
		     struct tern_info *ti)
{
	socklen_t len = sizeof(*ti);

	ASSERT_EQ(0, getsockopt(fd, SOL_TERN, TERN_INFO, ti, &len));
	ASSERT_EQ(sizeof(*ti), len);
}

/*
 * A recovery on a new connection: four segments of 100 bytes, the peer
 * SACKs the last three, RACK resends the first, and the peer acknowledges
 * everything, with a D-SACK for the first when dsack (the resend was not
 * needed: the first had only been late). The window before the recovery,
 * and after it, in *before and *after.
 */
static void recovery(struct __test_metadata *_metadata, struct peer *p,
		     const char *there, bool dsack, struct tern_info *before,
		     struct tern_info *after)
{
	const size_t seg = 100;
	unsigned char buf[100];
	uint8_t sack[20];
	struct pseg ack = { .flags = TERN_FLAG_ACK, .opt = sack,
			    .optlen = sizeof(sack) };
	struct tern_info during;
	bool again = false;
	long long end;
	uint64_t s0;
	struct rseg r;
	int s, i;

	s = tern_socket(p->fam, SOCK_STREAM);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ct_set_int(s, SOL_TERN, TERN_NODELAY, 1));
	ASSERT_EQ(0, ct_set_int(s, SOL_TERN, TERN_MAXSEG, (int)seg));
	est(_metadata, p, s, there);
	s0 = p->rcv_nxt;
	for (i = 0; i < 4; i++) {
		fill_pat(buf, seg, s0 + i * seg);
		ASSERT_EQ((ssize_t)seg, send(s, buf, seg, 0));
	}
	end = ct_now_ms() + DELIVERY_MS;
	for (i = 0; i < 4 && peer_recv(p, &r, end - ct_now_ms()); )
		i += r.len == seg;
	ASSERT_EQ(4, i);
	get_info(_metadata, s, before);

	put_sack(sack, s0 + seg, s0 + 4 * seg);
	ack.seq = p->snd_nxt;
	ack.ack = s0;
	ASSERT_EQ(0, peer_send(p, &ack));
	end = ct_now_ms() + DELIVERY_MS;
	while (!again && peer_recv(p, &r, end - ct_now_ms()))
		again = r.seq == s0 && r.len == seg;
	ASSERT_TRUE(again);
	get_info(_metadata, s, &during);
	ASSERT_EQ(TERN_CA_RECOVERY, during.tern_ca_state);
	ASSERT_LT(during.tern_snd_cwnd, before->tern_snd_cwnd);

	p->rcv_nxt = s0 + 4 * seg;
	ack.ack = p->rcv_nxt;
	put_sack(sack, s0, s0 + seg);
	if (!dsack)
		ack.optlen = 0;
	ASSERT_EQ(0, peer_send(p, &ack));
	end = ct_now_ms() + DELIVERY_MS;
	for (;;) {
		get_info(_metadata, s, after);
		if (!after->tern_unacked || ct_now_ms() >= end)
			break;
		tern_msleep(10);
	}
	ASSERT_EQ(0U, after->tern_unacked);
	abort_close(s);
}

/*
 * A recovery whose every resend the peer reports received twice (D-SACK,
 * RFC 2883) was spurious: its reduction is undone (RFC 3708), as
 * tcp_try_undo_dsack(). One without the D-SACK keeps its reduction.
 */
TEST_F_TIMEOUT(harden, dsack_undoes_spurious_recovery, 90)
{
	struct tern_info before, after;
	long long undos = COUNTER("TernDSACKUndo");
	long long seen = COUNTER("TernDSACKRecv");

	recovery(_metadata, &self->p, variant->peer, false, &before, &after);
	EXPECT_LT(after.tern_snd_cwnd, before.tern_snd_cwnd);
	EXPECT_LT(after.tern_snd_ssthresh, before.tern_snd_ssthresh);
	EXPECT_EQ(undos, COUNTER("TernDSACKUndo"));

	recovery(_metadata, &self->p, variant->peer, true, &before, &after);
	EXPECT_EQ(TERN_CA_OPEN, after.tern_ca_state);
	EXPECT_GE(after.tern_snd_cwnd, before.tern_snd_cwnd);
	EXPECT_EQ(before.tern_snd_ssthresh, after.tern_snd_ssthresh);
	EXPECT_EQ(undos + 1, COUNTER("TernDSACKUndo"));
	EXPECT_EQ(seen + 1, COUNTER("TernDSACKRecv"));
}

/* The next ACK the peer gets that acknowledges ack; 1 with *r, or 0. */
static int peer_recv_ack(struct peer *p, struct rseg *r, uint64_t ack)
{
	long long end = ct_now_ms() + DELIVERY_MS;

	while (peer_recv(p, r, end - ct_now_ms()))
		if (r->ack == ack)
			return 1;
	return 0;
}

/*
 * Data that arrives twice is reported in the first SACK block of the ACK
 * it draws (a D-SACK, RFC 2883 4.1), as TCP's: a whole old segment, the
 * old start of one that brings new data as well, and a segment held out
 * of order (then inside the second block, which reports it held).
 */
TEST_F_TIMEOUT(harden, duplicate_data_dsacked, 90)
{
	struct peer *p = &self->p;
	long long sent = COUNTER("TernDSACKSent");
	unsigned char buf[200];
	uint64_t q;
	struct rseg r;
	int s;

	s = tern_socket(variant->family, SOCK_STREAM);
	ASSERT_LE(0, s);
	EST(s);
	q = p->snd_nxt;
	ASSERT_EQ(0, peer_data(p, q, p->rcv_nxt, 100));
	p->snd_nxt = q + 100;
	ASSERT_EQ(100, recv(s, buf, 100, MSG_WAITALL));

	ASSERT_EQ(0, peer_data(p, q, p->rcv_nxt, 100));
	ASSERT_EQ(1, peer_recv_ack(p, &r, q + 100));
	ASSERT_LE(1, r.nsacks);
	EXPECT_EQ(q, r.sack[0][0]);
	EXPECT_EQ(q + 100, r.sack[0][1]);

	ASSERT_EQ(0, peer_data(p, q + 50, p->rcv_nxt, 100));
	p->snd_nxt = q + 150;
	ASSERT_EQ(1, peer_recv_ack(p, &r, q + 150));
	ASSERT_LE(1, r.nsacks);
	EXPECT_EQ(q + 50, r.sack[0][0]);
	EXPECT_EQ(q + 100, r.sack[0][1]);

	ASSERT_EQ(0, peer_data(p, q + 250, p->rcv_nxt, 100));
	ASSERT_EQ(1, peer_recv_ack(p, &r, q + 150));
	ASSERT_EQ(1, r.nsacks);
	ASSERT_EQ(0, peer_data(p, q + 250, p->rcv_nxt, 100));
	ASSERT_EQ(1, peer_recv_ack(p, &r, q + 150));
	ASSERT_EQ(2, r.nsacks);
	EXPECT_EQ(q + 250, r.sack[0][0]);
	EXPECT_EQ(q + 350, r.sack[0][1]);
	EXPECT_EQ(q + 250, r.sack[1][0]);
	EXPECT_EQ(q + 350, r.sack[1][1]);
	EXPECT_EQ(sent + 3, COUNTER("TernDSACKSent"));
	abort_close(s);
}

/*
 * RFC 2018 section 8: SACK is advisory, the receiver may discard what it
 * SACKed. After a retransmission timeout the sender forgets its SACK
 * marks, so when the peer's cumulative ACK later stops short of data it
 * once SACKed, that data is sent again. Four segments of 100 bytes; the
 * peer SACKs 2-4, drops everything until a timeout has resent 1, then
 * acknowledges 1 alone and, from then on, each segment that arrives in
 * order.
 */
TEST_F_TIMEOUT(harden, sack_reneging_resent_after_rto, 120)
{
	struct peer *p = &self->p;
	const size_t seg = 100;
	uint8_t sack[20] = { TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_SACK, 18 };
	unsigned char buf[100];
	struct pseg dup = { 0 };
	bool seen[4] = { false }, s1_again = false;
	long long rtos, end;
	uint64_t s0, cum, v;
	struct rseg r;
	int s, i, k;

	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/rto_min_ms", "100"));
	s = tern_socket(variant->family, SOCK_STREAM);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ct_set_int(s, SOL_TERN, TERN_NODELAY, 1));
	ASSERT_EQ(0, ct_set_int(s, SOL_TERN, TERN_MAXSEG, (int)seg));
	EST(s);
	s0 = p->rcv_nxt;

	for (i = 0; i < 4; i++) {
		fill_pat(buf, seg, s0 + i * seg);
		ASSERT_EQ((ssize_t)seg, send(s, buf, seg, 0));
	}
	end = ct_now_ms() + DELIVERY_MS;
	while (!(seen[0] && seen[1] && seen[2] && seen[3]) &&
	       peer_recv(p, &r, end - ct_now_ms())) {
		k = seg_index(&r, s0, seg);
		if (k >= 0 && r.len == seg)
			seen[k] = true;
	}
	ASSERT_TRUE(seen[0] && seen[1] && seen[2] && seen[3]) {
		TH_LOG("four segments of %zu bytes expected, seen %d%d%d%d",
		       seg, seen[0], seen[1], seen[2], seen[3]);
	}

	/* a duplicate ACK SACKing 2-4 */
	v = htobe64(s0 + seg);
	memcpy(sack + 4, &v, 8);
	v = htobe64(s0 + 4 * seg);
	memcpy(sack + 12, &v, 8);
	dup.flags = TERN_FLAG_ACK;
	dup.seq = p->snd_nxt;
	dup.ack = s0;
	dup.opt = sack;
	dup.optlen = sizeof(sack);
	rtos = ct_counter("TernRTOs");
	ASSERT_LE(0, rtos);
	ASSERT_EQ(0, peer_send(p, &dup));

	/* nothing acknowledged until a timeout has resent segment 1 */
	end = ct_now_ms() + 8000;
	while (ct_now_ms() < end) {
		if (peer_recv(p, &r, 100) && r.seq == s0 && r.len)
			s1_again = true;
		if (s1_again && ct_counter("TernRTOs") > rtos)
			break;
	}
	ASSERT_TRUE(s1_again && ct_counter("TernRTOs") > rtos) {
		TH_LOG("segment 1 %s resent, %lld timeouts",
		       s1_again ? "was" : "was not",
		       ct_counter("TernRTOs") - rtos);
	}
	peer_drain(p);

	/* reneging: segment 1 acknowledged alone, no SACK */
	memset(seen, 0, sizeof(seen));
	cum = s0 + seg;
	p->rcv_nxt = cum;
	ASSERT_EQ(0, peer_ack(p));
	end = ct_now_ms() + 8000;
	while (!(seen[1] && seen[2] && seen[3]) && ct_now_ms() < end) {
		if (!peer_recv(p, &r, 100) || !r.len)
			continue;
		k = seg_index(&r, s0, seg);
		if (k >= 0)
			seen[k] = true;
		if (r.seq == cum) {
			cum += r.len;
			p->rcv_nxt = cum;
			ASSERT_EQ(0, peer_ack(p));
		}
	}
	for (i = 1; i < 4; i++) {
		EXPECT_TRUE(seen[i]) {
			TH_LOG("segment %d (SACKed, then reneged) was never sent again after the ACK of segment 1",
			       i + 1);
		}
	}
	abort_close(s);
}

/*
 * A segment at rcv_nxt that runs past the window: what lies beyond the
 * window is not taken (RFC 9293 3.10.7.4), only the window's worth is
 * acknowledged and read.
 */
TEST_F_TIMEOUT(harden, data_beyond_window_trimmed, 90)
{
	struct peer *p = &self->p;
	size_t w, len, got;
	uint64_t rcv;
	struct rseg r;
	int s, acked;

	s = tern_socket(variant->family, SOCK_STREAM);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ct_set_int(s, SOL_SOCKET, SO_RCVBUF, 2048));
	EST(s);
	rcv = p->snd_nxt;
	w = p->tern_win;
	len = w + 1024;
	ASSERT_LT(0, (int)w);
	ASSERT_GT(LINK_MTU - 100, (int)len) {
		TH_LOG("window %zu too large for one segment (rcvbuf %llu)", w,
		       sock_num(p->lport, "rcvbuf"));
	}

	ASSERT_EQ(0, peer_data(p, rcv, p->rcv_nxt, len));
	acked = peer_recv(p, &r, 1000);
	EXPECT_EQ(1, acked) {
		TH_LOG("no ACK for a segment of %zu bytes in a window of %zu",
		       len, w);
	}
	if (acked) {
		EXPECT_EQ(rcv + w, r.ack) {
			TH_LOG("window %zu, segment %zu: %lld bytes acknowledged",
			       w, len, (long long)(r.ack - rcv));
		}
	}
	got = read_now(_metadata, s, rcv);
	EXPECT_EQ(w, got) {
		TH_LOG("window %zu, segment %zu: the reader got %zu bytes", w,
		       len, got);
	}
	abort_close(s);
}

/*
 * After shutdown(SHUT_RDWR), new data from the peer aborts the connection
 * (RFC 1122 4.2.2.13, as TCP): the peer gets a reset, and the next call
 * on the socket fails with ECONNRESET. First recv(), then, on a second
 * connection, send(). TCP first: the reference.
 */
static void shutdown_then_data(struct __test_metadata *_metadata, int fam,
			       const char *lo, int proto, bool use_send)
{
	const char *what = use_send ? "send()" : "recv()";
	int l, c, a, port = 0, ev, err;
	char buf[4];
	ssize_t n;

	l = ct_listener(fam, SOCK_STREAM, proto, lo, 0, 1, 0, &port);
	ASSERT_LE(0, l);
	c = ct_connect_to(fam, SOCK_STREAM, proto, lo, port);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, DELIVERY_MS));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, ct_set_timeo(c, SO_RCVTIMEO, DELIVERY_MS));

	ASSERT_EQ(0, shutdown(a, SHUT_RDWR));
	ASSERT_EQ(0, recv(c, buf, sizeof(buf), 0)) {
		TH_LOG("%s: no FIN after shutdown(SHUT_RDWR)", proto_name(proto));
	}
	ASSERT_EQ(1, send(c, "x", 1, MSG_NOSIGNAL));
	ev = ct_wait_events(c, POLLERR, DELIVERY_MS);
	EXPECT_TRUE(ev & POLLERR) {
		TH_LOG("%s: the peer saw no reset for its data", proto_name(proto));
	}
	EXPECT_EQ(EPIPE, ct_get_int(c, SOL_SOCKET, SO_ERROR));

	errno = 0;
	if (use_send)
		n = send(a, "y", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	else
		n = recv(a, buf, sizeof(buf), MSG_DONTWAIT);
	err = n < 0 ? errno : 0;
	EXPECT_EQ(-1, n) {
		TH_LOG("%s: %s after the abort returned %zd%s, not ECONNRESET",
		       proto_name(proto), what, n, n ? "" : " (end of file)");
	}
	EXPECT_EQ(ECONNRESET, err) {
		TH_LOG("%s: %s after the abort: %s", proto_name(proto), what,
		       strerror(err));
	}
	close(a);
	close(c);
	close(l);
}

TEST_F_TIMEOUT(harden, data_after_shutdown_rdwr_resets, 90)
{
	static const int protos[] = { IPPROTO_TCP, IPPROTO_TERN };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(protos); i++) {
		shutdown_then_data(_metadata, variant->family, variant->lo,
				   protos[i], false);
		shutdown_then_data(_metadata, variant->family, variant->lo,
				   protos[i], true);
	}
}

/*
 * SOCK_SEQPACKET messages from the forging peer: where its data goes,
 * what the Tern socket's window lets it send next, the largest rmem and
 * rcvbuf seen (/proc/net/tern/sockets), whether a reset came.
 */
struct msg_feed {
	uint64_t seq;		/* the peer's next byte */
	uint64_t edge;		/* the right edge of the Tern socket's window */
	uint64_t acked;		/* the largest ACK from the Tern socket */
	size_t seg;		/* payload per segment, at most PEER_MSS */
	unsigned long long max_rmem, max_rcvbuf;
	int rst;
};

static void feed_sample(struct peer *p, struct msg_feed *f)
{
	unsigned long long v;

	v = sock_num(p->lport, "rmem");
	if (v != NO_FIELD && v > f->max_rmem)
		f->max_rmem = v;
	v = sock_num(p->lport, "rcvbuf");
	if (v != NO_FIELD && v > f->max_rcvbuf)
		f->max_rcvbuf = v;
}

/* What the Tern socket sent: the window's edge, or a reset. */
static void feed_answers(struct peer *p, struct msg_feed *f, int timeout_ms)
{
	struct rseg r;
	int got;

	for (got = peer_recv(p, &r, timeout_ms); got && !f->rst;
	     got = peer_recv(p, &r, 0)) {
		if (r.flags & TERN_FLAG_RST) {
			f->rst = 1;
			break;
		}
		if ((int64_t)(r.ack + r.win - f->edge) > 0)
			f->edge = r.ack + r.win;
		if ((int64_t)(r.ack - f->acked) > 0)
			f->acked = r.ack;
	}
}

/*
 * Send the message's bytes up to end (EOR on the last when eor) as the
 * window allows, f->seg at a time. Stops at end, at a reset, or when
 * the window stays closed for DELIVERY_MS; true when all was sent.
 */
static bool feed_msg(struct peer *p, struct msg_feed *f, uint64_t end,
		     bool eor)
{
	static unsigned char data[PEER_MSS];
	unsigned int n = 0;

	while (f->seq < end && !f->rst) {
		size_t len = end - f->seq;
		int64_t room = f->edge - f->seq;
		struct pseg s = { .flags = TERN_FLAG_ACK, .seq = f->seq,
				  .ack = p->rcv_nxt, .data = data };

		if (len > f->seg)
			len = f->seg;
		if (room <= 0) {
			feed_sample(p, f);
			feed_answers(p, f, DELIVERY_MS);
			if (f->edge == f->seq)
				break;	/* the window stays closed */
			continue;
		}
		if ((int64_t)len > room)
			len = room;
		if (eor && f->seq + len == end)
			s.flags |= TERN_FLAG_EOR;
		fill_pat(data, len, f->seq);
		s.len = len;
		if (peer_send(p, &s))
			break;
		f->seq += len;
		if (++n % 64 == 0)
			feed_sample(p, f);
		feed_answers(p, f, 0);
	}
	feed_sample(p, f);
	return f->seq == end;
}

/* A whole message of len bytes of the pattern from seq, with MSG_EOR. */
static void expect_msg(struct __test_metadata *_metadata, int s,
		       uint64_t seq, size_t len)
{
	static unsigned char buf[1 << 16];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	n = recvmsg(s, &msg, 0);
	EXPECT_EQ((ssize_t)len, n) {
		TH_LOG("a message of %zu bytes came as %zd (%s)", len, n,
		       n < 0 ? strerror(errno) : "");
	}
	EXPECT_EQ(MSG_EOR, msg.msg_flags & (MSG_EOR | MSG_TRUNC));
	if (n > 0)
		EXPECT_EQ(-1, check_pat(buf, n, seq));
}

#define MSG_FIRST	100	/* a message before the one tested */
#define MSG_RCVBUF	8192	/* SO_RCVBUF: messages up to that many bytes */
#define MSG_SMALL	100	/* segments that cost about 9 times their length */
#define RMEM_MAX	6291456	/* Tern's autotuning maximum (rmem[2]) */

/*
 * SOCK_SEQPACKET hands a message over whole, so a message in progress
 * may hold what the receive buffer can ever hold: SO_RCVBUF's value when
 * locked (rcvbuf is twice that), else half the autotuning maximum,
 * counted in payload. A peer that never ends its message gets a reset
 * there, counted in TernRcvMsgTooLong, with nothing past the bound ever
 * acknowledged; the message before it is still read whole, then the
 * reader gets EMSGSIZE and never a byte of the refused message. With
 * SO_RCVBUF, the segments are tiny (each costs about 9 times its
 * length): tern_msg_collapse() keeps rmem within rcvbuf, and nothing is
 * dropped for lack of memory. Left to autotuning, rcvbuf stops at the
 * maximum and rmem stays within it (it used to reach twice that).
 */
static void unending_message(struct __test_metadata *_metadata,
			     struct peer *p, int fam, const char *there,
			     int rcvbuf)
{
	uint64_t limit = rcvbuf ? rcvbuf : RMEM_MAX / 2, start;
	long long c0 = COUNTER("TernRcvMsgTooLong");
	long long d0 = COUNTER("TernRcvQDrops");
	struct msg_feed f = { .seg = rcvbuf ? MSG_SMALL : PEER_MSS };
	unsigned char buf[64];
	int s;

	s = socket(fam, SOCK_SEQPACKET, IPPROTO_TERN);
	ASSERT_LE(0, s);
	if (rcvbuf)
		ASSERT_EQ(0, ct_set_int(s, SOL_SOCKET, SO_RCVBUF, rcvbuf));
	est(_metadata, p, s, there);
	f.seq = p->snd_nxt;
	f.edge = p->snd_nxt + p->tern_win;
	ASSERT_TRUE(feed_msg(p, &f, f.seq + MSG_FIRST, true));
	start = f.seq;
	/* until the window stays closed: the first message is unread */
	feed_msg(p, &f, start + 2 * limit, false);
	expect_msg(_metadata, s, start - MSG_FIRST, MSG_FIRST);
	if (!f.rst)
		feed_msg(p, &f, start + 2 * limit, false);
	EXPECT_TRUE(f.rst) {
		TH_LOG("no reset after %llu bytes of one message (window edge +%llu)",
		       (unsigned long long)(f.seq - start),
		       (unsigned long long)(f.edge - start));
	}
	EXPECT_GT(start + limit, f.acked) {
		TH_LOG("%llu bytes of the message acknowledged, bound %llu",
		       (unsigned long long)(f.acked - start),
		       (unsigned long long)limit);
	}
	EXPECT_EQ(c0 + 1, COUNTER("TernRcvMsgTooLong"));
	if (rcvbuf)
		EXPECT_EQ(d0, COUNTER("TernRcvQDrops"));
	/* rmem within rcvbuf, but for the segment on its way in */
	EXPECT_GE(f.max_rcvbuf + 2048, f.max_rmem) {
		TH_LOG("rmem %llu over rcvbuf %llu", f.max_rmem, f.max_rcvbuf);
	}
	EXPECT_GE(rcvbuf ? 2ULL * rcvbuf : RMEM_MAX, f.max_rcvbuf);
	errno = 0;
	EXPECT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT)) {
		TH_LOG("recv() handed over a part of the refused message");
	}
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	close(s);
}

TEST_F_TIMEOUT(harden, seqpacket_unending_message_resets, 90)
{
	unending_message(_metadata, &self->p, variant->family, variant->peer,
			 MSG_RCVBUF);
}

/* The same with the buffer left to autotuning: bounded at 3 MiB. */
TEST_F_TIMEOUT(harden, seqpacket_unending_message_default_buffer, 180)
{
	unending_message(_metadata, &self->p, variant->family, variant->peer,
			 0);
}

/*
 * A message of exactly the bound, behind an unread one, in tiny segments
 * (each costs about 9 times its length): whole, with MSG_EOR, no reset,
 * nothing dropped. The window lets it reach the bound once it is all
 * there is to read (tern_msg_edge()), and tern_msg_collapse() keeps its
 * cost within the buffer.
 */
TEST_F_TIMEOUT(harden, seqpacket_message_at_bound_whole, 90)
{
	struct peer *p = &self->p;
	long long c0 = COUNTER("TernRcvMsgTooLong");
	long long d0 = COUNTER("TernRcvQDrops");
	struct msg_feed f = { .seg = MSG_SMALL };
	uint64_t start;
	int s;

	s = socket(variant->family, SOCK_SEQPACKET, IPPROTO_TERN);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, ct_set_int(s, SOL_SOCKET, SO_RCVBUF, MSG_RCVBUF));
	EST(s);
	f.seq = p->snd_nxt;
	f.edge = p->snd_nxt + p->tern_win;
	ASSERT_TRUE(feed_msg(p, &f, f.seq + MSG_FIRST, true));
	start = f.seq;
	if (!feed_msg(p, &f, start + MSG_RCVBUF, true)) {
		/* the window waits for the first message to be read */
		ASSERT_FALSE(f.rst);
		expect_msg(_metadata, s, start - MSG_FIRST, MSG_FIRST);
		EXPECT_TRUE(feed_msg(p, &f, start + MSG_RCVBUF, true)) {
			TH_LOG("%llu of %d bytes sent (window edge +%llu)%s",
			       (unsigned long long)(f.seq - start), MSG_RCVBUF,
			       (unsigned long long)(f.edge - start),
			       f.rst ? ", reset" : "");
		}
	} else {
		expect_msg(_metadata, s, start - MSG_FIRST, MSG_FIRST);
	}
	expect_msg(_metadata, s, start, MSG_RCVBUF);
	EXPECT_FALSE(f.rst);
	EXPECT_EQ(c0, COUNTER("TernRcvMsgTooLong"));
	EXPECT_EQ(d0, COUNTER("TernRcvQDrops"));
	EXPECT_GE(f.max_rcvbuf + 2048, f.max_rmem) {
		TH_LOG("rmem %llu over rcvbuf %llu", f.max_rmem, f.max_rcvbuf);
	}
	abort_close(s);
}

/*
 * Send n copies of tmpl (seq + i % spread) in rounds of 50, each once the
 * last has reached the protocol handler (TernInSegs), so that nothing is
 * lost in the backlog queues. Segments that arrived; *ms the time taken.
 */
static long long burst(struct peer *p, const struct pseg *tmpl, int n,
		       int spread, long long *ms)
{
	long long in0 = ct_counter("TernInSegs"), in = in0, t0 = ct_now_ms();
	struct pseg s = *tmpl;
	int i = 0, j;

	while (i < n) {
		for (j = 0; j < 50 && i < n; j++, i++) {
			s.seq = tmpl->seq + i % spread;
			if (peer_send(p, &s))
				n = i;	/* stop after this round */
		}
		in = counter_wait("TernInSegs", in0 + i, 2000);
		peer_drain(p);
	}
	*ms = ct_now_ms() - t0;
	return in - in0;
}

/*
 * Challenge ACKs are limited namespace-wide (net.tern.challenge_ack_limit
 * per second, RFC 5961 7), answers to out-of-window segments without data
 * per socket (one per net.tern.invalid_ratelimit_ms), as TCP does; old
 * data resent is answered every time.
 */
TEST_F_TIMEOUT(harden, challenge_ack_rate_limited, 300)
{
	struct peer *p = &self->p;
	const int limit = 100, nack = 300, ratelimit_ms = 500;
	/* fewer on the debug kernel (vm/check.sh sets TERN_HARDEN_RESETS) */
	const char *e = getenv("TERN_HARDEN_RESETS");
	const int nrst = e && atoi(e) > 0 ? atoi(e) : 3000;
	long long out0, skipped, arrived, ms, acks, bound;
	struct pseg tmpl = { 0 };
	unsigned char buf[300];
	uint64_t una, rcv;
	int s, i, answered = 0;
	char st[32];
	struct rseg r;

	s = tern_socket(variant->family, SOCK_STREAM);
	ASSERT_LE(0, s);
	EST(s);
	una = p->rcv_nxt;
	rcv = p->snd_nxt;
	/* 300 bytes that are old by the end of the test */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, peer_data(p, rcv + i * 100, una, 100));
	ASSERT_EQ(300, recv(s, buf, sizeof(buf), MSG_WAITALL));
	rcv += 300;
	ASSERT_EQ(1, peer_recv(p, &r, DELIVERY_MS));
	while (r.ack != rcv && peer_recv(p, &r, DELIVERY_MS))
		;
	ASSERT_EQ(rcv, r.ack);
	p->snd_nxt = rcv;
	tern_msleep(100);
	peer_drain(p);

	/* resets in the window, not at rcv_nxt: challenged, up to the limit */
	SYSCTL("challenge_ack_limit", "100");
	skipped = COUNTER("TernAckSkippedChallenge");
	out0 = ct_counter("TernOutSegs");
	tmpl.flags = TERN_FLAG_RST;
	tmpl.seq = rcv + 1;
	arrived = burst(p, &tmpl, nrst, 1000, &ms);
	tern_msleep(200);
	acks = ct_counter("TernOutSegs") - out0;
	bound = 2LL * limit * ((ms + 999) / 1000 + 1);
	TH_LOG("%lld resets of %d arrived in %lld ms, %lld challenge ACKs",
	       arrived, nrst, ms, acks);
	EXPECT_LT(0, acks) {
		TH_LOG("resets in the window drew no challenge ACK at all");
	}
	EXPECT_GT(bound, acks) {
		TH_LOG("%lld challenge ACKs in %lld ms with challenge_ack_limit %d: not limited",
		       acks, ms, limit);
	}
	if (skipped >= 0)
		EXPECT_LT(skipped, ct_counter("TernAckSkippedChallenge"));
	EXPECT_STREQ("ESTAB", sock_state(p->lport, st, sizeof(st)));
	peer_drain(p);

	/* pure ACKs far beyond the window: about one answer per ratelimit */
	SYSCTL("invalid_ratelimit_ms", "500");
	skipped = COUNTER("TernAckSkippedSeq");
	out0 = ct_counter("TernOutSegs");
	tmpl.flags = TERN_FLAG_ACK;
	tmpl.seq = rcv + (1ULL << 32);
	tmpl.ack = una;
	arrived = burst(p, &tmpl, nack, 50, &ms);
	tern_msleep(200);
	acks = ct_counter("TernOutSegs") - out0;
	bound = ms / ratelimit_ms + 3;
	TH_LOG("%lld out-of-window ACKs of %d arrived in %lld ms, %lld answers",
	       arrived, nack, ms, acks);
	EXPECT_GE(bound, acks) {
		TH_LOG("%lld answers to out-of-window ACKs in %lld ms: not limited to one per %d ms",
		       acks, ms, ratelimit_ms);
	}
	if (skipped >= 0)
		EXPECT_LT(skipped, ct_counter("TernAckSkippedSeq"));
	peer_drain(p);

	/* old data, resent: answered every time, limit or not */
	for (i = 0; i < 10; i++) {
		uint64_t seq = i % 2 ? rcv - 100 : rcv - 300;

		ASSERT_EQ(0, peer_data(p, seq, una, 100));
		if (peer_recv(p, &r, 1000) && r.ack == rcv && !r.len)
			answered++;
		else
			break;
	}
	EXPECT_EQ(10, answered) {
		TH_LOG("old data resent went unanswered (answer %d of 10)",
		       answered + 1);
	}
	EXPECT_STREQ("ESTAB", sock_state(p->lport, st, sizeof(st)));
	abort_close(s);
}

/* Classic BPF: drop every packet. */
static int attach_drop_all(int fd)
{
	static struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog)) ? -errno : 0;
}

static int detach_filter(int fd)
{
	int zero = 0;

	return setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero,
			  sizeof(zero)) ? -errno : 0;
}

/*
 * SO_ATTACH_FILTER: a filter that drops everything keeps the peer's data
 * from the socket (not queued, not acknowledged, TernFilterDrops);
 * detached, the retransmission gets through. TCP first, over loopback,
 * where its own retransmission does.
 */
TEST_F_TIMEOUT(harden, socket_filter_drops, 120)
{
	struct peer *p = &self->p;
	int l, c, a, s, port = 0, fam = variant->family, n, acked = 0;
	unsigned char buf[100];
	long long drops, in0;
	uint64_t una, rcv;
	struct rseg r;

	/* TCP */
	l = ct_listener(fam, SOCK_STREAM, IPPROTO_TCP, variant->lo, 0, 1, 0,
			&port);
	ASSERT_LE(0, l);
	c = ct_connect_to(fam, SOCK_STREAM, IPPROTO_TCP, variant->lo, port);
	ASSERT_LE(0, c);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, attach_drop_all(a));
	fill_pat(buf, sizeof(buf), 0);
	ASSERT_EQ(100, send(c, buf, sizeof(buf), 0));
	tern_msleep(300);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), MSG_DONTWAIT)) {
		TH_LOG("TCP: data got past a filter that drops everything");
	}
	ASSERT_EQ(0, detach_filter(a));
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 10000));
	EXPECT_EQ(100, recv(a, buf, sizeof(buf), MSG_WAITALL)) {
		TH_LOG("TCP: the retransmission did not arrive after SO_DETACH_FILTER");
	}
	close(a);
	close(c);
	close(l);

	/* Tern, with the forging peer */
	s = tern_socket(fam, SOCK_STREAM);
	ASSERT_LE(0, s);
	EST(s);
	una = p->rcv_nxt;
	rcv = p->snd_nxt;
	ASSERT_EQ(0, attach_drop_all(s));
	drops = COUNTER("TernFilterDrops");
	in0 = ct_counter("TernInSegs");
	ASSERT_EQ(0, peer_data(p, rcv, una, 100));
	counter_wait("TernInSegs", in0 + 1, DELIVERY_MS);
	while (peer_recv(p, &r, 300))
		acked |= r.ack != rcv;
	EXPECT_FALSE(acked) {
		TH_LOG("data dropped by the socket's filter was acknowledged");
	}
	n = inq(s);
	EXPECT_EQ(0, n) {
		TH_LOG("%d bytes got past a filter that drops everything", n);
	}
	if (drops >= 0)
		EXPECT_EQ(drops + 1, ct_counter("TernFilterDrops"));

	ASSERT_EQ(0, detach_filter(s));
	ASSERT_EQ(0, peer_data(p, rcv, una, 100));
	ASSERT_EQ(1, peer_recv(p, &r, DELIVERY_MS));
	EXPECT_EQ(rcv + 100, r.ack);
	ASSERT_EQ(100, recv(s, buf, sizeof(buf), MSG_WAITALL));
	EXPECT_EQ(-1, check_pat(buf, sizeof(buf), rcv));
	abort_close(s);
}

/* ------------------------------------------------------------------
 * ACK storm: a peer forces a small MSS, opens a large window, then sends
 * duplicate ACKs with SACK blocks.
 */

#define STORM_MSS	88		/* TERN_MIN_MSS */
#define STORM_WIN	(64U << 20)
/*
 * Segments in flight, small and large: a quarter of that on the debug
 * kernel (TERN_SAMPLE=1), where ramping up the flight costs minutes. The
 * ratio, which is what shows that the work stays flat, is the same.
 */
#define STORM_SMALL	(tern_sampled() ? 256U : 1024U)
#define STORM_LARGE	(tern_sampled() ? 2048U : 8192U)
#define STORM_ROUND	50		/* duplicate ACKs per timed round */
#define STORM_ROUNDS	40		/* rounds per connection */
/*
 * Segments an ACK may visit beyond those it newly SACKs or marks lost:
 * one at each end of each of its 3 SACK blocks, the one RACK stops at,
 * the one resending stops at.
 */
#define STORM_WALK_PER_ACK	(3 * 2 + 1 + 1)

struct storm {
	struct peer p;
	int s;
	unsigned int segs;	/* in flight */
	uint64_t far_lo, far_hi; /* the last quarter, SACKed */
	long long us[STORM_ROUNDS];
	long long acks;		/* duplicate ACKs of the storm processed */
	long long walked;	/* TernSackWalkSegs they added */
	long long newly;	/* segments they newly SACKed or marked lost */
};

/* Keep the send queue full. */
static void storm_fill(int s)
{
	static unsigned char buf[65536];

	while (send(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * Slow start to st->segs segments in flight: each ACK acknowledges two
 * segments and lets the window grow by two. 0, or -1 when it stalls.
 */
static int storm_ramp(struct storm *st)
{
	long long in = ct_counter("TernInSegs");
	unsigned long long nxt;
	int idle = 0;

	for (;;) {
		storm_fill(st->s);
		peer_drain(&st->p);
		nxt = sock_num(st->p.lport, "nxt");
		if (nxt == NO_FIELD)
			return -1;
		if (nxt >= (unsigned long long)st->segs * STORM_MSS)
			return 0;
		if (nxt < 2 * STORM_MSS) {
			if (++idle > 1000)
				return -1;
			tern_msleep(1);
			continue;
		}
		idle = 0;
		st->p.rcv_nxt += 2 * STORM_MSS;
		if (peer_ack(&st->p))
			return -1;
		in = counter_wait("TernInSegs", in + 1, DELIVERY_MS);
	}
}

/* A duplicate ACK with n SACK blocks. */
static int storm_dupack(struct storm *st, const uint64_t (*blk)[2], int n)
{
	uint8_t opt[4 + 16 * 3] = { TERN_OPT_NOP, TERN_OPT_NOP, TERN_OPT_SACK };
	struct pseg s = { .flags = TERN_FLAG_ACK, .seq = st->p.snd_nxt,
			  .ack = st->p.rcv_nxt, .opt = opt };
	uint64_t v;
	int i;

	opt[3] = 2 + 16 * n;
	for (i = 0; i < n; i++) {
		v = htobe64(blk[i][0]);
		memcpy(opt + 4 + 16 * i, &v, 8);
		v = htobe64(blk[i][1]);
		memcpy(opt + 12 + 16 * i, &v, 8);
	}
	s.optlen = 4 + 16 * n;
	return peer_send(&st->p, &s);
}

/*
 * A connection with st->segs segments in flight, its last quarter
 * SACKed: RACK marks the rest lost, and the sender resends what the
 * halved window allows, then has nothing more to send.
 */
static void storm_setup(struct __test_metadata *_metadata, struct storm *st,
			const char *there)
{
	int sndbuf = st->segs * 2048;	/* doubled: twice the flight */
	unsigned long long nxt;
	uint64_t blk[1][2];
	long long out;
	struct rseg r;
	int i;

	st->s = tern_socket(st->p.fam, SOCK_STREAM);
	ASSERT_LE(0, st->s);
	ASSERT_EQ(0, setsockopt(st->s, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
				sizeof(sndbuf)));
	st->p.win = STORM_WIN;
	st->p.mss = STORM_MSS;
	est(_metadata, &st->p, st->s, there);
	ASSERT_EQ(0, storm_ramp(st)) {
		TH_LOG("the flight did not grow to %u segments (%llu bytes)",
		       st->segs, sock_num(st->p.lport, "nxt"));
	}
	nxt = sock_num(st->p.lport, "nxt") / STORM_MSS;
	st->far_hi = st->p.rcv_nxt + nxt * STORM_MSS;
	st->far_lo = st->p.rcv_nxt + (nxt - st->segs / 4) * STORM_MSS;
	blk[0][0] = st->far_lo;
	blk[0][1] = st->far_hi;
	/*
	 * The same ACK again until the sender has resent all the window
	 * allows (a burst larger than the veth's backlog stops early).
	 */
	for (i = 0; i < 100; i++) {
		out = ct_counter("TernOutSegs");
		ASSERT_EQ(0, storm_dupack(st, blk, 1));
		while (peer_recv(&st->p, &r, 100))
			;
		if (ct_counter("TernOutSegs") == out)
			break;
	}
	ASSERT_GT(100, i);
	ASSERT_EQ(st->far_hi - st->far_lo,
		  sock_wait(st->p.lport, "sacked", st->far_hi - st->far_lo,
			    DELIVERY_MS));
}

/* TernSackWalkSegs once it stopped changing (the last ACK counted too). */
static long long storm_walk_settled(void)
{
	long long v = ct_counter("TernSackWalkSegs"), prev;
	int i;

	for (i = 0; i < 100; i++) {
		tern_msleep(2);
		prev = v;
		v = ct_counter("TernSackWalkSegs");
		if (v == prev)
			break;
	}
	return v;
}

/*
 * What a round of ACKs cost in work done: the segments they visited
 * (TernSackWalkSegs), less those they newly SACKed or marked lost.
 */
static int storm_account(struct storm *st, long long walk0,
			 unsigned long long lost0, unsigned long long sacked0)
{
	unsigned long long lost = sock_num(st->p.lport, "lost");
	unsigned long long sacked = sock_num(st->p.lport, "sacked");
	long long walk = storm_walk_settled();

	if (walk < 0 || lost == NO_FIELD || sacked == NO_FIELD)
		return -1;
	st->walked += walk - walk0;
	/* a lost segment newly SACKed counts once either way */
	st->newly += llabs((long long)(lost - lost0)) / STORM_MSS +
		     llabs((long long)(sacked - sacked0)) / STORM_MSS;
	st->acks += STORM_ROUND;
	return 0;
}

/*
 * One round of duplicate ACKs, each SACKing three random ranges: its
 * time (information only), and its work added to st's.
 */
static long long storm_round(struct storm *st, unsigned int *seed)
{
	uint64_t segs = (st->far_hi - st->far_lo) / STORM_MSS, a, b;
	long long in0 = ct_counter("TernInSegs"), t0, t1;
	unsigned long long lost0 = sock_num(st->p.lport, "lost");
	unsigned long long sacked0 = sock_num(st->p.lport, "sacked");
	long long walk0 = storm_walk_settled();
	uint64_t blk[STORM_ROUND][3][2];
	struct timespec ts;
	int i, j;

	if (walk0 < 0 || lost0 == NO_FIELD || sacked0 == NO_FIELD)
		return -1;

	for (i = 0; i < STORM_ROUND; i++)
		for (j = 0; j < 3; j++) {
			a = rand_r(seed) % segs;
			b = a + 1 + rand_r(seed) % (segs - a);
			blk[i][j][0] = st->far_lo + a * STORM_MSS;
			blk[i][j][1] = st->far_lo + b * STORM_MSS;
		}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	for (i = 0; i < STORM_ROUND; i++)
		if (storm_dupack(st, blk[i], 3))
			return -1;
	/* they are processed as they are sent, mostly: poll, no sleep */
	while (ct_counter("TernInSegs") < in0 + STORM_ROUND) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000000LL + ts.tv_nsec / 1000 - t0 >
		    DELIVERY_MS * 1000LL)
			return -1;
		sched_yield();
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	if (storm_account(st, walk0, lost0, sacked0))
		return -1;
	return t1 - t0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Median time of a round, per ACK, in nanoseconds. */
static long long storm_per_ack_ns(struct storm *st)
{
	qsort(st->us, STORM_ROUNDS, sizeof(st->us[0]), cmp_ll);
	return st->us[STORM_ROUNDS / 2] * 1000 / STORM_ROUND;
}

/* Segments visited per ACK beyond those it newly SACKed or marked lost. */
static double storm_extra_per_ack(const struct storm *st)
{
	return (double)(st->walked - st->newly) / st->acks;
}

/*
 * Work per ACK must not grow with what a peer controls. With MSS 88
 * (net.tern.min_snd_mss lowered, as an administrator may) and a large
 * window the peer keeps thousands of segments in flight, then sends
 * duplicate ACKs whose SACK blocks cover far segments, at random and
 * overlapping: the segments each ACK makes the sender visit
 * (TernSackWalkSegs: SACK tagging, the RACK walk, the lost-list walk),
 * less those it newly SACKs or marks lost, must stay within a small
 * constant whether 1024 or 8192 segments are in flight (tagging by
 * search, RACK from the oldest sent, resending from the lost list), not
 * a walk of the whole queue. Work done is counted, never time: the time
 * per ACK is printed for information. And an ACK that tells nothing new
 * makes the sender send nothing.
 */
TEST_F_TIMEOUT(harden, ack_storm_work_flat, 600)
{
	struct storm *small, *large;
	long long out, rtx, ns_small, ns_large;
	unsigned int seed = 1;
	int r;

	ASSERT_LE(0, COUNTER("TernSackWalkSegs"));
	ASSERT_EQ(0, SYSCTL("min_snd_mss", "88"));
	/* no timeout in the middle of the storm (nothing is acknowledged) */
	ASSERT_EQ(0, SYSCTL("rto_min_ms", "100000"));
	small = calloc(2, sizeof(*small));
	ASSERT_NE(NULL, small);
	large = small + 1;
	small->p = self->p;
	large->p = self->p;
	small->segs = STORM_SMALL;
	large->segs = STORM_LARGE;
	storm_setup(_metadata, small, variant->peer);
	storm_setup(_metadata, large, variant->peer);

	out = ct_counter("TernOutSegs");
	rtx = ct_counter("TernRetransSegs");
	for (r = 0; r < 2 * STORM_ROUNDS; r++) {
		struct storm *st = r % 2 ? large : small;

		st->us[r / 2] = storm_round(st, &seed);
		ASSERT_LE(0, st->us[r / 2]) {
			TH_LOG("round %d: the ACKs were not all processed", r);
		}
		peer_drain(&self->p);
	}
	/*
	 * The ACKs open no window and acknowledge nothing: the sender may
	 * only resend what RACK marked lost (on a slow kernel time passes
	 * between the SACKs, and RACK's reordering window is time), and
	 * answers no ACK with one of its own.
	 */
	out = ct_counter("TernOutSegs") - out;
	rtx = ct_counter("TernRetransSegs") - rtx;
	EXPECT_EQ(out, rtx) {
		TH_LOG("duplicate ACKs made the sender send %lld segments, %lld of them resent",
		       out, rtx);
	}
	EXPECT_LE(rtx, small->newly + large->newly);
	ns_small = storm_per_ack_ns(small);
	ns_large = storm_per_ack_ns(large);
	printf("# ACK storm: %.2f segments visited per ACK (%lld newly marked) with %u segments in flight, %.2f (%lld) with %u\n",
	       (double)small->walked / small->acks, small->newly, STORM_SMALL,
	       (double)large->walked / large->acks, large->newly, STORM_LARGE);
	printf("# ACK storm (information only): %lld ns per ACK with %u segments in flight, %lld ns with %u\n",
	       ns_small, STORM_SMALL, ns_large, STORM_LARGE);
	EXPECT_LE(storm_extra_per_ack(small), STORM_WALK_PER_ACK) {
		TH_LOG("an ACK visits %.1f segments beyond its work with %u in flight",
		       storm_extra_per_ack(small), STORM_SMALL);
	}
	EXPECT_LE(storm_extra_per_ack(large), STORM_WALK_PER_ACK) {
		TH_LOG("an ACK visits %.1f segments beyond its work with %u in flight",
		       storm_extra_per_ack(large), STORM_LARGE);
	}
	abort_close(small->s);
	abort_close(large->s);
	free(small);
}

TEST_HARNESS_MAIN
