// SPDX-License-Identifier: GPL-2.0
/*
 * Tern selftests for module/input.c: crafted segments, sent through a raw
 * socket over loopback, are validated (length, data offset, version,
 * ports, checksum over the pseudo-header) and counted in
 * /proc/net/tern/snmp. Every test runs in a network namespace of its own,
 * so its counters start at zero and nothing else moves them.
 */
#include <ctype.h>
#include <limits.h>
#include <linux/filter.h>

#include "conn_util.h"
#include "kselftest_harness.h"

/* How long a segment may take to reach the handler (bounded wait). */
#define DELIVERY_MS	3000

FIXTURE(input) {
	int fd;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} saddr, daddr;
	struct tern_snmp base;
};

FIXTURE_VARIANT(input) {
	int family;
	const char *saddr;	/* loopback; the raw socket is bound to it */
	const char *daddr;
	const char *other;	/* another local address */
};

FIXTURE_VARIANT_ADD(input, ipv4) {
	.family = AF_INET, .saddr = "127.0.0.1", .daddr = "127.0.0.1",
	.other = "127.0.0.2",
};

FIXTURE_VARIANT_ADD(input, ipv6) {
	.family = AF_INET6, .saddr = "::1", .daddr = "::1",
	.other = "::2",
};

FIXTURE_SETUP(input)
{
	/* the debug kernel's sample: each test in one family */
	if (!tern_sample_variant(_metadata->name, variant->family == AF_INET6, 2))
		SKIP(return, "not in the debug kernel's sample (TERN_SAMPLE=1)");
	ASSERT_EQ(0, tern_ensure_loaded());
	ASSERT_EQ(0, tern_new_netns());
	ASSERT_EQ(1, inet_pton(variant->family, variant->saddr, &self->saddr));
	ASSERT_EQ(1, inet_pton(variant->family, variant->daddr, &self->daddr));
	self->fd = tern_raw_socket(variant->family, &self->saddr);
	ASSERT_LE(0, self->fd) {
		TH_LOG("raw socket: %s", strerror(-self->fd));
	}
	ASSERT_EQ(0, tern_snmp_read(&self->base));
}

FIXTURE_TEARDOWN(input)
{
	close(self->fd);
}

/* A valid segment from the variant's source to its destination. */
#define SEG(s) tern_seg_init((s), variant->family, &self->saddr, &self->daddr)

static unsigned char segbuf[65536];

/* Build *s and send its first sendlen bytes (all of it when sendlen < 0). */
static void send_seg(struct __test_metadata *_metadata, int fd, int family,
		     const void *daddr, const struct tern_seg *s, ssize_t sendlen)
{
	ssize_t len = tern_build_segment(segbuf, sizeof(segbuf), s);

	ASSERT_LT(0, len);
	if (sendlen >= 0)
		len = sendlen;
	ASSERT_EQ(0, tern_raw_send(fd, family, daddr, segbuf, len));
}

#define SEND(s) send_seg(_metadata, self->fd, variant->family, &self->daddr, (s), -1)
#define SEND_LEN(s, n) send_seg(_metadata, self->fd, variant->family, &self->daddr, (s), (n))
/* Send the segment already in segbuf as it is. */
#define SEND_RAW(n) ASSERT_EQ(0, tern_raw_send(self->fd, variant->family, \
					       &self->daddr, segbuf, (n)))

/*
 * Wait until the counters have moved by at least delta, then require that
 * they moved by exactly delta: every counter not named stays where it was.
 */
static void expect_deltas(struct __test_metadata *_metadata,
			  struct tern_snmp *base, long long segs, long long hdr,
			  long long csum, long long addr, long long nosock)
{
	const long long delta[TERN_NR_COUNTERS] = {
		[TERN_IN_SEGS] = segs,
		[TERN_IN_HDR_ERRORS] = hdr,
		[TERN_IN_CSUM_ERRORS] = csum,
		[TERN_IN_ADDR_ERRORS] = addr,
		[TERN_IN_NO_SOCKET] = nosock,
	};
	struct tern_snmp now;
	int i, ret;

	ret = tern_snmp_wait(base, delta, &now, DELIVERY_MS);
	ASSERT_NE(-ENOENT, ret);
	ASSERT_NE(-EPROTO, ret);
	for (i = 0; i < TERN_NR_COUNTERS; i++) {
		EXPECT_EQ(base->v[i] + delta[i], now.v[i]) {
			TH_LOG("%s moved by %lld, expected %lld",
			       tern_counter_names[i], now.v[i] - base->v[i],
			       delta[i]);
		}
	}
	*base = now;
}

#define EXPECT_DELTAS(segs, hdr, csum, addr, nosock) \
	expect_deltas(_metadata, &self->base, segs, hdr, csum, addr, nosock)
#define EXPECT_VALID(n)		EXPECT_DELTAS(n, 0, 0, 0, n)
#define EXPECT_HDR_ERRORS(n)	EXPECT_DELTAS(0, n, 0, 0, 0)
#define EXPECT_CSUM_ERRORS(n)	EXPECT_DELTAS(0, 0, n, 0, 0)

/*
 * One "Name<blanks>value" line per counter, the five counters each present
 * once (in the order of enum tern_counter), all zero in a new namespace.
 */
TEST_F(input, snmp_format)
{
	int seen[TERN_NR_COUNTERS] = { 0 }, i, lines = 0, last = -1;
	char line[256];
	FILE *f;

	f = fopen(TERN_SNMP_PATH, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *name_end;

		lines++;
		while (isalnum((unsigned char)*p))
			p++;
		name_end = p;
		EXPECT_LT(0, name_end - line) {
			TH_LOG("no counter name: %s", line);
		}
		EXPECT_TRUE(*p == ' ' || *p == '\t') {
			TH_LOG("no blank after the name: %s", line);
		}
		while (*p == ' ' || *p == '\t')
			p++;
		EXPECT_TRUE(isdigit((unsigned char)*p)) {
			TH_LOG("no value: %s", line);
		}
		EXPECT_EQ(0, strtoll(p, &p, 10));
		EXPECT_STREQ("\n", p);
		*name_end = '\0';
		for (i = 0; i < TERN_NR_COUNTERS; i++) {
			if (strcmp(line, tern_counter_names[i]))
				continue;
			seen[i]++;
			EXPECT_LT(last, i) {
				TH_LOG("%s out of order", line);
			}
			last = i;
		}
	}
	fclose(f);
	for (i = 0; i < TERN_NR_COUNTERS; i++) {
		EXPECT_EQ(1, seen[i]) {
			TH_LOG("%s appears %d times", tern_counter_names[i], seen[i]);
		}
	}
	EXPECT_LE(TERN_NR_COUNTERS, lines);
	EXPECT_EQ(0, tern_snmp_get("TernInSegs"));
	EXPECT_EQ(-ENOENT, tern_snmp_get("TernNoSuchCounter"));
}

TEST_F(input, valid)
{
	struct tern_seg s;

	SEG(&s);
	SEND(&s);
	EXPECT_VALID(1);
}

TEST_F(input, valid_many)
{
	struct tern_seg s;
	int i;

	SEG(&s);
	for (i = 0; i < 20; i++) {
		s.seq = i * 1000;
		s.sport = 1024 + i;
		SEND(&s);
	}
	EXPECT_VALID(20);
}

/* Options (doff 10) and payloads of odd length: the checksum pads. */
TEST_F(input, valid_options_odd_payload)
{
	static const size_t payloads[] = { 1, 3, 1001 };
	struct tern_seg s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(payloads); i++) {
		SEG(&s);
		s.doff = 10;
		s.optlen = 8;
		s.payload = payloads[i];
		SEND(&s);
		EXPECT_VALID(1);
	}
	/* options only */
	SEG(&s);
	s.doff = 9;
	s.optlen = 4;
	SEND(&s);
	EXPECT_VALID(1);
}

/* The largest header (doff 255), and a large payload. */
TEST_F(input, valid_limits)
{
	struct tern_seg s;

	SEG(&s);
	s.doff = 255;
	s.optlen = 255 * 4 - TERN_HDR_LEN;
	SEND(&s);
	EXPECT_VALID(1);

	SEG(&s);
	s.payload = 60001;
	SEND(&s);
	EXPECT_VALID(1);

	/* the highest ports */
	SEG(&s);
	s.sport = 65535;
	s.dport = 65535;
	SEND(&s);
	EXPECT_VALID(1);
}

/* Flags, sequence numbers and reserved bytes do not make it invalid. */
TEST_F(input, valid_any_flags_reserved)
{
	struct tern_seg s;

	SEG(&s);
	s.flags = 0xff;
	s.reserved = 0xff;
	s.seq = ~0ULL;
	s.ack_seq = 0x0123456789abcdefULL;
	s.window = 0;
	s.payload = 10;
	SEND(&s);
	EXPECT_VALID(1);
}

TEST_F(input, bad_csum)
{
	struct tern_seg s;

	SEG(&s);
	s.bad_csum = true;
	SEND(&s);
	EXPECT_CSUM_ERRORS(1);

	SEG(&s);
	s.bad_csum = true;
	s.doff = 10;
	s.optlen = 8;
	s.payload = 999;
	SEND(&s);
	EXPECT_CSUM_ERRORS(1);
}

/* The checksum covers the header, the options and every payload byte. */
TEST_F(input, bad_csum_covers_segment)
{
	struct tern_seg s;
	ssize_t len;

	SEG(&s);
	s.doff = 10;
	s.optlen = 8;
	s.payload = 101;
	len = tern_build_segment(segbuf, sizeof(segbuf), &s);
	ASSERT_LT(0, len);

	segbuf[len - 1] ^= 0x01;		/* the last, odd, payload byte */
	SEND_RAW(len);
	EXPECT_CSUM_ERRORS(1);
	segbuf[len - 1] ^= 0x01;

	segbuf[TERN_HDR_LEN + 3] ^= 0x80;	/* an option byte */
	SEND_RAW(len);
	EXPECT_CSUM_ERRORS(1);
	segbuf[TERN_HDR_LEN + 3] ^= 0x80;

	segbuf[offsetof(struct ternhdr, window) + 1] ^= 0x10;
	SEND_RAW(len);
	EXPECT_CSUM_ERRORS(1);
	segbuf[offsetof(struct ternhdr, window) + 1] ^= 0x10;

	/* a zero checksum field means no checksum in UDP, not here */
	((struct ternhdr *)segbuf)->check = 0;
	SEND_RAW(len);
	EXPECT_CSUM_ERRORS(1);

	/* and the buffer was otherwise right */
	len = tern_build_segment(segbuf, sizeof(segbuf), &s);
	SEND_RAW(len);
	EXPECT_VALID(1);
}

/* The checksum covers the pseudo-header: addresses, protocol, length. */
TEST_F(input, bad_csum_pseudo_header)
{
	union { struct in_addr v4; struct in6_addr v6; } other;
	struct tern_seg s;
	ssize_t len;
	uint16_t good;
	uint32_t tcp;

	ASSERT_EQ(1, inet_pton(variant->family, variant->other, &other));

	/* for another destination */
	SEG(&s);
	s.daddr = &other;
	SEND(&s);
	EXPECT_CSUM_ERRORS(1);

	/* for another source */
	SEG(&s);
	s.saddr = &other;
	SEND(&s);
	EXPECT_CSUM_ERRORS(1);

	/* with the segment's length left out of the pseudo-header */
	SEG(&s);
	s.payload = 8;
	len = tern_build_segment(segbuf, sizeof(segbuf), &s);
	ASSERT_LT(0, len);
	good = ((struct ternhdr *)segbuf)->check;
	((struct ternhdr *)segbuf)->check = 0;
	((struct ternhdr *)segbuf)->check =
		htons(tern_csum_fold(tern_csum_add(0, segbuf, len) +
		      (IPPROTO_TERN) +
		      (variant->family == AF_INET ?
		       tern_csum_add(0, &self->saddr, 4) + tern_csum_add(0, &self->daddr, 4) :
		       tern_csum_add(0, &self->saddr, 16) + tern_csum_add(0, &self->daddr, 16))));
	ASSERT_NE(good, ((struct ternhdr *)segbuf)->check);
	SEND_RAW(len);
	EXPECT_CSUM_ERRORS(1);

	/* with TCP's protocol number in it */
	tcp = ntohs(good) + (IPPROTO_TERN - IPPROTO_TCP);
	((struct ternhdr *)segbuf)->check = htons((tcp & 0xffff) + (tcp >> 16));
	ASSERT_NE(good, ((struct ternhdr *)segbuf)->check);
	SEND_RAW(len);
	EXPECT_CSUM_ERRORS(1);

	/* the same segment with its own checksum */
	((struct ternhdr *)segbuf)->check = good;
	SEND_RAW(len);
	EXPECT_VALID(1);
}

/*
 * IPv4 options or an IPv6 extension header in front of the segment: the
 * pseudo-header and length are still the segment's own.
 */
TEST_F(input, ip_options)
{
	static const unsigned char v4opts[4] = { 1, 1, 1, 0 };	/* NOP NOP NOP END */
	static const unsigned char v6dstopts[8] = { 0, 0, 1, 4, 0, 0, 0, 0 }; /* PadN */
	struct tern_seg s;

	if (variant->family == AF_INET) {
		ASSERT_EQ(0, setsockopt(self->fd, IPPROTO_IP, IP_OPTIONS,
					v4opts, sizeof(v4opts)));
	} else {
		ASSERT_EQ(0, setsockopt(self->fd, IPPROTO_IPV6, IPV6_DSTOPTS,
					v6dstopts, sizeof(v6dstopts)));
	}
	SEG(&s);
	s.payload = 77;
	SEND(&s);
	EXPECT_VALID(1);
	s.bad_csum = true;
	SEND(&s);
	EXPECT_CSUM_ERRORS(1);
	s.bad_csum = false;
	s.version = 0;
	SEND(&s);
	EXPECT_HDR_ERRORS(1);
}

/* Shorter than the 32-byte header. */
TEST_F(input, truncated)
{
	static const ssize_t lens[] = { 0, 1, 2, 4, 8, 20, 31 };
	struct tern_seg s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		SEG(&s);
		SEND_LEN(&s, lens[i]);
		EXPECT_HDR_ERRORS(1);
	}
	/* 32 bytes are enough */
	SEG(&s);
	SEND_LEN(&s, 32);
	EXPECT_VALID(1);
}

TEST_F(input, doff_too_small)
{
	static const uint8_t doffs[] = { 0, 1, 4, 7 };
	struct tern_seg s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(doffs); i++) {
		SEG(&s);
		s.doff = doffs[i];
		s.payload = 16;		/* data that could pass for options */
		SEND(&s);
		EXPECT_HDR_ERRORS(1);
	}
}

/* doff * 4 beyond the segment's end. */
TEST_F(input, doff_beyond_length)
{
	struct tern_seg s;

	SEG(&s);
	s.doff = 9;			/* 36 > 32 */
	SEND(&s);
	EXPECT_HDR_ERRORS(1);

	SEG(&s);
	s.doff = 11;			/* 44 > 43 */
	s.optlen = 8;
	s.payload = 3;
	SEND(&s);
	EXPECT_HDR_ERRORS(1);

	SEG(&s);
	s.doff = 255;
	s.payload = 500;
	SEND(&s);
	EXPECT_HDR_ERRORS(1);

	/* doff * 4 equal to the length is a segment without payload */
	SEG(&s);
	s.doff = 11;
	s.optlen = 12;
	SEND(&s);
	EXPECT_VALID(1);
}

TEST_F(input, bad_version)
{
	static const uint8_t versions[] = { 0, 2, 0x81, 255 };
	struct tern_seg s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(versions); i++) {
		SEG(&s);
		s.version = versions[i];
		SEND(&s);
		EXPECT_HDR_ERRORS(1);
	}
}

TEST_F(input, port_zero)
{
	struct tern_seg s;

	SEG(&s);
	s.sport = 0;
	SEND(&s);
	EXPECT_HDR_ERRORS(1);

	SEG(&s);
	s.dport = 0;
	SEND(&s);
	EXPECT_HDR_ERRORS(1);

	SEG(&s);
	s.sport = 0;
	s.dport = 0;
	s.payload = 5;
	SEND(&s);
	EXPECT_HDR_ERRORS(1);
}

/* A burst of every kind: each lands in its own counter. */
TEST_F(input, mixed_burst)
{
	struct tern_seg s;
	int i;

	for (i = 0; i < 5; i++) {
		SEG(&s);
		SEND(&s);			/* valid */
		SEG(&s);
		s.bad_csum = true;
		SEND(&s);			/* checksum */
		SEG(&s);
		s.version = 3;
		SEND(&s);			/* header */
		SEG(&s);
		SEND_LEN(&s, 16);		/* header */
	}
	EXPECT_DELTAS(5, 10, 5, 0, 5);
}

/* ------------------------------------------------------------------
 * TIME_WAIT, seen through the raw socket
 */

/*
 * The next segment sport -> dport that reaches fd (a raw socket sees
 * every segment delivered to its address, both directions on loopback):
 * 1 with its header in *th and its payload length in *payload, 0 when
 * none came within timeout_ms.
 */
static int recv_seg(int fd, int family, unsigned short sport,
		    unsigned short dport, struct ternhdr *th, size_t *payload,
		    int timeout_ms)
{
	long long deadline = ct_now_ms() + timeout_ms;
	static unsigned char buf[65536];
	size_t off;
	ssize_t n;

	for (;;) {
		long long left = deadline - ct_now_ms();

		if (left <= 0)
			return 0;
		if (!(ct_poll(fd, POLLIN, left) & POLLIN))
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		/* IPv4 raw sockets get the IP header, IPv6 ones do not */
		off = family == AF_INET ? (buf[0] & 0x0f) * 4 : 0;
		if ((size_t)n < off + TERN_HDR_LEN)
			continue;
		memcpy(th, buf + off, sizeof(*th));
		if (ntohs(th->source) != sport || ntohs(th->dest) != dport)
			continue;
		*payload = n - off - th->doff * 4;
		return 1;
	}
}

/* The next segment sport -> dport with all of flags set; as recv_seg(). */
static int recv_seg_with(int fd, int family, unsigned short sport,
			 unsigned short dport, uint8_t flags, struct ternhdr *th,
			 size_t *payload, int timeout_ms)
{
	long long deadline = ct_now_ms() + timeout_ms;
	long long left;

	while ((left = deadline - ct_now_ms()) > 0) {
		if (!recv_seg(fd, family, sport, dport, th, payload, left))
			return 0;
		if ((th->flags & flags) == flags)
			return 1;
	}
	return 0;
}

/*
 * A Tern stream connection over loopback: l listening, c connected, a
 * accepted, with bounded receive timeouts; lport and cport their ports.
 */
static void open_conn(struct __test_metadata *_metadata, int fam,
		      const char *addr, int *l, int *c, int *a, int *lport,
		      int *cport)
{
	*l = ct_listener(fam, SOCK_STREAM, IPPROTO_TERN, addr, 0, 1, 0, lport);
	ASSERT_LE(0, *l);
	*c = ct_connect_to(fam, SOCK_STREAM, IPPROTO_TERN, addr, *lport);
	ASSERT_LE(0, *c);
	*cport = ct_port_of(*c, 0);
	ASSERT_LT(0, *cport);
	ASSERT_EQ(0, ct_set_timeo(*l, SO_RCVTIMEO, DELIVERY_MS));
	*a = accept(*l, NULL, NULL);
	ASSERT_LE(0, *a);
	ASSERT_EQ(0, ct_set_timeo(*a, SO_RCVTIMEO, DELIVERY_MS));
	ASSERT_EQ(0, ct_set_timeo(*c, SO_RCVTIMEO, DELIVERY_MS));
}

#define OPEN_CONN(l, c, a, lport, cport) \
	open_conn(_metadata, variant->family, variant->saddr, (l), (c), (a), \
		  (lport), (cport))

/*
 * The server closes first and waits in TIME_WAIT, the client is gone. A
 * retransmission of the client's data (its ACK of our FIN was lost, say)
 * is answered with an ACK of everything, as is a retransmitted FIN; a
 * bare ACK is not answered, or two ends in TIME_WAIT would ACK each
 * other forever.
 */
TEST_F(input, time_wait_acks_retransmission)
{
	int l, c, a, lport = 0, cport, fam = variant->family;
	uint64_t data_seq, fin_seq, fin_ack;
	bool acked = false;
	struct ternhdr th;
	struct tern_seg s;
	size_t plen;
	char buf[8];

	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "3000"));
	OPEN_CONN(&l, &c, &a, &lport, &cport);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	ASSERT_EQ(5, recv(a, buf, 5, MSG_WAITALL));
	close(a);
	ASSERT_EQ(0, recv(c, buf, sizeof(buf), 0));
	close(c);

	/* the client's data and FIN, then the server's ACK of that FIN */
	do {
		ASSERT_EQ(1, recv_seg(self->fd, fam, cport, lport, &th, &plen,
				      DELIVERY_MS));
	} while (!plen);
	data_seq = be64toh(th.seq);
	ASSERT_EQ(1, recv_seg_with(self->fd, fam, cport, lport, TERN_FLAG_FIN,
				   &th, &plen, DELIVERY_MS));
	fin_seq = be64toh(th.seq) + plen;
	fin_ack = be64toh(th.ack_seq);
	while (!acked) {
		ASSERT_EQ(1, recv_seg(self->fd, fam, lport, cport, &th, &plen,
				      DELIVERY_MS));
		acked = be64toh(th.ack_seq) == fin_seq + 1;
	}

	/* the client's data again: ACKed up to and including its FIN */
	SEG(&s);
	s.sport = cport;
	s.dport = lport;
	s.flags = TERN_FLAG_ACK;
	s.seq = data_seq;
	s.ack_seq = fin_ack;
	s.payload = 5;
	SEND(&s);
	ASSERT_EQ(1, recv_seg(self->fd, fam, lport, cport, &th, &plen,
			      DELIVERY_MS)) {
		TH_LOG("TIME_WAIT left a retransmission of data unanswered");
	}
	EXPECT_EQ(fin_seq + 1, be64toh(th.ack_seq));
	EXPECT_EQ(TERN_FLAG_ACK, th.flags);
	EXPECT_EQ(0, (int)plen);

	/* the FIN again */
	s.flags = TERN_FLAG_ACK | TERN_FLAG_FIN;
	s.seq = fin_seq;
	s.payload = 0;
	SEND(&s);
	ASSERT_EQ(1, recv_seg(self->fd, fam, lport, cport, &th, &plen,
			      DELIVERY_MS));
	EXPECT_EQ(fin_seq + 1, be64toh(th.ack_seq));

	/* a bare ACK, old or current: no answer */
	s.flags = TERN_FLAG_ACK;
	s.seq = fin_seq + 1;
	SEND(&s);
	s.seq = data_seq;
	SEND(&s);
	EXPECT_EQ(0, recv_seg(self->fd, fam, lport, cport, &th, &plen, 500));
	close(l);
}

/*
 * A listener answers a segment that acknowledges nothing it issued (a
 * connection gone, a forgery) with a reset, as TCP does, so a peer still
 * holding the connection learns at once.
 */
TEST_F(input, listener_resets_foreign_ack)
{
	int l, lport = 0, fam = variant->family;
	long long failed = ct_counter("TernCookiesFailed");
	struct ternhdr th;
	struct tern_seg s;
	size_t plen;

	l = ct_listener(fam, SOCK_STREAM, IPPROTO_TERN, variant->saddr, 0, 1,
			0, &lport);
	ASSERT_LE(0, l);
	SEG(&s);
	s.dport = lport;
	s.flags = TERN_FLAG_ACK;
	s.seq = 0x1122334455667788ULL;
	s.ack_seq = 0x0123456789abcdefULL;
	s.payload = 3;
	SEND(&s);
	ASSERT_EQ(1, recv_seg(self->fd, fam, lport, s.sport, &th, &plen,
			      DELIVERY_MS));
	EXPECT_EQ(TERN_FLAG_RST, th.flags);
	EXPECT_EQ(s.ack_seq, be64toh(th.seq));
	EXPECT_EQ(failed + 1, ct_counter("TernCookiesFailed"));
	close(l);
}

/*
 * The listener's confirmation of a new connection may be lost: the client
 * then resends its handshake ACK, a bare ACK with sequence number C + 1
 * acknowledging K + 1, and the connection answers it. Once the client
 * has sent data, a bare ACK is no such thing and gets no answer.
 */
TEST_F(input, handshake_ack_resent_is_answered)
{
	int l, c, a, lport = 0, cport, fam = variant->family;
	uint64_t c_isn, k;
	struct ternhdr th;
	struct tern_seg s;
	size_t plen;
	char buf[4];

	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "1000"));
	OPEN_CONN(&l, &c, &a, &lport, &cport);
	ASSERT_EQ(1, recv_seg_with(self->fd, fam, cport, lport, TERN_FLAG_SYN,
				   &th, &plen, DELIVERY_MS));
	c_isn = be64toh(th.seq);
	ASSERT_EQ(1, recv_seg_with(self->fd, fam, lport, cport, TERN_FLAG_SYN,
				   &th, &plen, DELIVERY_MS));
	k = be64toh(th.seq);
	/* the confirmation, and anything else on the way, goes by first */
	while (recv_seg(self->fd, fam, lport, cport, &th, &plen, 300))
		;

	SEG(&s);
	s.sport = cport;
	s.dport = lport;
	s.flags = TERN_FLAG_ACK;
	s.seq = c_isn + 1;
	s.ack_seq = k + 1;
	SEND(&s);
	ASSERT_EQ(1, recv_seg(self->fd, fam, lport, cport, &th, &plen,
			      DELIVERY_MS)) {
		TH_LOG("a resent handshake ACK went unanswered");
	}
	EXPECT_EQ(TERN_FLAG_ACK, th.flags);
	EXPECT_EQ(c_isn + 1, be64toh(th.ack_seq));
	EXPECT_EQ(k + 1, be64toh(th.seq));

	/* the client has spoken: a bare ACK now is just an ACK */
	ASSERT_EQ(1, send(c, "x", 1, 0));
	ASSERT_EQ(1, recv(a, buf, sizeof(buf), 0));
	while (recv_seg(self->fd, fam, lport, cport, &th, &plen, 300))
		;
	s.seq = c_isn + 2;
	SEND(&s);
	EXPECT_EQ(0, recv_seg(self->fd, fam, lport, cport, &th, &plen, 500));
	close(a);
	close(c);
	close(l);
}

/*
 * A field ("rto", "retries", "una") of the line of /proc/net/tern/sockets
 * whose local port is port, once it equals want, waiting up to wait_ms;
 * what it was at the end, or NO_FIELD when there is no such socket.
 */
#define NO_FIELD ULLONG_MAX
static unsigned long long sock_field(int port, const char *key,
				     unsigned long long want, int wait_ms)
{
	long long end = ct_now_ms() + wait_ms;
	unsigned long long v;
	char line[512], name[32], *rest, *colon, *p;
	FILE *f;

	snprintf(name, sizeof(name), " %s=", key);
	for (;;) {
		v = NO_FIELD;
		f = fopen("/proc/net/tern/sockets", "r");
		if (!f)
			return NO_FIELD;
		while (fgets(line, sizeof(line), f)) {
			rest = strchr(line, ' ');
			if (!rest)
				continue;
			*rest++ = '\0';
			colon = strrchr(line, ':');
			if (!colon || atoi(colon + 1) != port)
				continue;
			p = strstr(rest, name);
			if (p)
				v = strtoull(p + strlen(name), NULL, 10);
			break;
		}
		fclose(f);
		if (v == want || ct_now_ms() >= end)
			return v;
		tern_msleep(20);
	}
}

/* The two ends of far_peer()'s veth pair: ours, and the far peer's. */
static const char *far_addr(int fam, bool far)
{
	if (fam == AF_INET)
		return far ? "10.77.0.2" : "10.77.0.1";
	return far ? "2001:db8:77::2" : "2001:db8:77::1";
}

/*
 * A second namespace behind a veth pair (ti-a here, ti-b there, static
 * neighbours), for a peer whose segments must come from elsewhere than
 * loopback: a raw socket there bound to far_addr(fam, true). Everything
 * sent from here over the pair is dropped (netem loss 100 % on ti-a).
 * The raw socket, or -errno; called and returning in our namespace, the
 * other one goes with the raw socket.
 */
static int far_peer(int fam)
{
	const char *a = far_addr(fam, false), *b = far_addr(fam, true);
	const char *plen = fam == AF_INET ? "24" : "64 nodad";
	int ours, theirs = -1, raw = -EIO;
	struct in6_addr baddr;

	if (inet_pton(fam, b, &baddr) != 1)
		return -EINVAL;
	ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ours < 0)
		return -errno;
	if (unshare(CLONE_NEWNET))
		goto fail;
	theirs = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (theirs < 0 || setns(ours, CLONE_NEWNET))
		goto fail;
	if (ct_sh("ip link add ti-a address 02:00:00:00:77:01 type veth peer "
		  "name ti-b address 02:00:00:00:77:02 netns /proc/%d/fd/%d && "
		  "ip addr add %s/%s dev ti-a && ip link set ti-a up && "
		  "ip neigh replace %s lladdr 02:00:00:00:77:02 dev ti-a nud permanent && "
		  "tc qdisc add dev ti-a root netem loss 100%%",
		  getpid(), theirs, a, plen, b))
		goto out;
	if (setns(theirs, CLONE_NEWNET))
		goto fail;
	if (!ct_sh("ip addr add %s/%s dev ti-b && ip link set ti-b up && "
		   "ip neigh replace %s lladdr 02:00:00:00:77:01 dev ti-b nud permanent",
		   b, plen, a))
		raw = tern_raw_socket(fam, &baddr);
	if (setns(ours, CLONE_NEWNET)) {
		if (raw >= 0)
			close(raw);
		goto fail;
	}
	goto out;
fail:
	raw = -errno;
out:
	if (theirs >= 0)
		close(theirs);
	close(ours);
	return raw;
}

/*
 * A listener keeps nothing of a handshake until the segment completing it
 * arrives, and the cookie that segment carries expires a minute or two
 * after it was issued. A client whose SYN had to be resent starts with a
 * 3 s RTO (RFC 6298 5.7), not the SYN's backed-off one, and until the
 * listener confirms the connection it backs off no further than 8 s.
 * Everything the client sends is lost; its peer is a raw socket in another
 * namespace, which forges the SYN-ACK.
 */
TEST_F(input, unconfirmed_handshake_resends_often)
{
	const int lport = 4242, fam = variant->family;
	const uint64_t k = 0x5000000000000000ULL;
	struct linger abort_now = { 1, 0 };
	struct in6_addr here, there;	/* room for either family */
	unsigned long long c_isn;
	struct tern_seg s;
	int raw, c, cport;

	ASSERT_EQ(1, inet_pton(fam, far_addr(fam, false), &here));
	ASSERT_EQ(1, inet_pton(fam, far_addr(fam, true), &there));
	raw = far_peer(fam);
	ASSERT_LE(0, raw) {
		TH_LOG("second namespace: %s", strerror(-raw));
	}
	c = socket(fam, SOCK_STREAM, IPPROTO_TERN);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ct_set_nonblock(c, 1));
	ASSERT_EQ(EINPROGRESS, ct_connect_fd(c, fam, far_addr(fam, true), lport));
	cport = ct_port_of(c, 0);
	ASSERT_LT(0, cport);
	c_isn = sock_field(cport, "una", 0, 0);
	ASSERT_NE(NO_FIELD, c_isn);
	/* the SYN and two retransmissions, 1 s and 2 s later */
	ASSERT_EQ(2ULL, sock_field(cport, "retries", 2, 5000));

	tern_seg_init(&s, fam, &there, &here);
	s.sport = lport;
	s.dport = cport;
	s.flags = TERN_FLAG_SYN | TERN_FLAG_ACK;
	s.seq = k;
	s.ack_seq = c_isn + 1;
	s.window = 65536;
	send_seg(_metadata, raw, fam, &here, &s, -1);
	ASSERT_EQ(POLLOUT, ct_wait_events(c, POLLOUT, DELIVERY_MS) & POLLOUT);
	ASSERT_EQ(0, ct_get_int(c, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(3000ULL, sock_field(cport, "rto", 3000, 0));

	/* resent after 3 s, then after 6 s; the next wait is 8 s, not 12 */
	ASSERT_EQ(1, send(c, "x", 1, 0));
	EXPECT_EQ(6000ULL, sock_field(cport, "rto", 6000, 3000 + DELIVERY_MS));
	EXPECT_EQ(8000ULL, sock_field(cport, "rto", 8000, 6000 + DELIVERY_MS));
	EXPECT_EQ(2ULL, sock_field(cport, "retries", 2, 0));

	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_LINGER, &abort_now,
				sizeof(abort_now)));
	close(c);
	close(raw);
}

/* Classic BPF: drop every packet. */
static int attach_drop_all(int fd)
{
	static struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = drop };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog)) ? -errno : 0;
}

/*
 * The raw socket plays a client from port *port of addr. What the
 * listener sends it also reaches Tern here, which would answer with a
 * reset (and end the handshake): a listener on that port whose filter
 * drops everything takes those segments silently. Its fd.
 */
static int raw_client_port(struct __test_metadata *_metadata, int fam,
			   const char *addr, int *port)
{
	int sink = ct_listener(fam, SOCK_STREAM, IPPROTO_TERN, addr, 0, 1, 0,
			       port);

	EXPECT_LE(0, sink);
	if (sink >= 0)
		EXPECT_EQ(0, attach_drop_all(sink));
	return sink;
}

/* Send a SYN sport -> dport with sequence number isn. */
static void send_syn(struct __test_metadata *_metadata, int fd, int fam,
		     const void *saddr, const void *daddr, int sport,
		     int dport, uint64_t isn)
{
	struct tern_seg s;

	tern_seg_init(&s, fam, saddr, daddr);
	s.sport = sport;
	s.dport = dport;
	s.flags = TERN_FLAG_SYN;
	s.seq = isn;
	send_seg(_metadata, fd, fam, daddr, &s, -1);
}

/* Send the handshake's last segment: seq, ack, no data. */
static void send_ack(struct __test_metadata *_metadata, int fd, int fam,
		     const void *saddr, const void *daddr, int sport,
		     int dport, uint64_t seq, uint64_t ack)
{
	struct tern_seg s;

	tern_seg_init(&s, fam, saddr, daddr);
	s.sport = sport;
	s.dport = dport;
	s.flags = TERN_FLAG_ACK;
	s.seq = seq;
	s.ack_seq = ack;
	send_seg(_metadata, fd, fam, daddr, &s, -1);
}

/* The next SYN-ACK lport -> cport acknowledging isn + 1: its seq, or 0. */
static uint64_t recv_synack(int fd, int fam, int lport, int cport,
			    uint64_t isn, int timeout_ms)
{
	long long deadline = ct_now_ms() + timeout_ms;
	struct ternhdr th;
	long long left;
	size_t plen;

	while ((left = deadline - ct_now_ms()) > 0) {
		if (!recv_seg_with(fd, fam, lport, cport,
				   TERN_FLAG_SYN | TERN_FLAG_ACK, &th, &plen,
				   left))
			return 0;
		if (be64toh(th.ack_seq) == isn + 1)
			return be64toh(th.seq);
	}
	return 0;
}

#define RAW_SYN(sp, dp, isn) send_syn(_metadata, self->fd, variant->family, \
				      &self->saddr, &self->daddr, (sp), (dp), (isn))
#define RAW_ACK(sp, dp, seq, ack) send_ack(_metadata, self->fd, variant->family, \
					   &self->saddr, &self->daddr, (sp), (dp), \
					   (seq), (ack))

/*
 * A listener keeps a request for a handshake and resends its SYN-ACK on
 * a timer (1 s, then doubling), and at once for a repeated SYN, as TCP;
 * an ACK of the wrong number is reset and leaves the request be; the
 * right ACK, even after the SYN-ACK was resent, makes the connection.
 */
TEST_F(input, listener_resends_synack)
{
	const uint64_t isn = 0x1000000000000000ULL;
	int l, a, sink, lport = 0, cport = 0, fam = variant->family;
	long long retrans = ct_counter("TernSynRetrans");
	long long badack = ct_counter("TernReqBadAck");
	long long cookies = ct_counter("TernSyncookiesSent");
	struct ternhdr th;
	uint64_t k, k2;
	size_t plen;

	l = ct_listener(fam, SOCK_STREAM, IPPROTO_TERN, variant->daddr, 0, 8,
			0, &lport);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, DELIVERY_MS));
	sink = raw_client_port(_metadata, fam, variant->saddr, &cport);
	ASSERT_LE(0, sink);

	RAW_SYN(cport, lport, isn);
	k = recv_synack(self->fd, fam, lport, cport, isn, DELIVERY_MS);
	ASSERT_NE(0ULL, k);
	/* a repeated SYN: the same SYN-ACK at once */
	RAW_SYN(cport, lport, isn);
	k2 = recv_synack(self->fd, fam, lport, cport, isn, 500);
	EXPECT_EQ(k, k2);
	/* our ACK is lost: the listener resends by itself after 1 s */
	k2 = recv_synack(self->fd, fam, lport, cport, isn, 1000 + DELIVERY_MS);
	EXPECT_EQ(k, k2) {
		TH_LOG("the listener did not resend its SYN-ACK");
	}
	EXPECT_LE(retrans + 2, ct_counter("TernSynRetrans"));

	/* an ACK of something else: reset, counted */
	RAW_ACK(cport, lport, isn + 1, k + 2);
	ASSERT_EQ(1, recv_seg_with(self->fd, fam, lport, cport, TERN_FLAG_RST,
				   &th, &plen, DELIVERY_MS));
	EXPECT_EQ(k + 2, be64toh(th.seq));
	EXPECT_EQ(badack + 1, ct_counter("TernReqBadAck"));

	RAW_ACK(cport, lport, isn + 1, k + 1);
	a = accept(l, NULL, NULL);
	EXPECT_LE(0, a) {
		TH_LOG("accept: %s", strerror(errno));
	}
	EXPECT_EQ(cookies, ct_counter("TernSyncookiesSent"));
	if (a >= 0)
		close(a);
	close(sink);
	close(l);
}

/*
 * A request lives for net.tern.synack_retries resends (here 1: at 1 s),
 * then goes (at 3 s) and is counted; its ACK after that finds no
 * request and no cookie, and is reset.
 */
TEST_F(input, listener_request_expires)
{
	const uint64_t isn = 0x2000000000000000ULL;
	int l, sink, lport = 0, cport = 0, fam = variant->family;
	long long retrans = ct_counter("TernSynRetrans");
	long long timeouts = ct_counter("TernReqTimeouts");
	long long deadline;
	struct ternhdr th;
	size_t plen;
	uint64_t k;

	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/synack_retries", "1"));
	l = ct_listener(fam, SOCK_STREAM, IPPROTO_TERN, variant->daddr, 0, 8,
			0, &lport);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, ct_set_nonblock(l, 1));
	sink = raw_client_port(_metadata, fam, variant->saddr, &cport);
	ASSERT_LE(0, sink);

	RAW_SYN(cport, lport, isn);
	k = recv_synack(self->fd, fam, lport, cport, isn, DELIVERY_MS);
	ASSERT_NE(0ULL, k);
	EXPECT_EQ(k, recv_synack(self->fd, fam, lport, cport, isn,
				 1000 + DELIVERY_MS));
	deadline = ct_now_ms() + 2000 + DELIVERY_MS;
	while (ct_counter("TernReqTimeouts") == timeouts &&
	       ct_now_ms() < deadline)
		tern_msleep(50);
	EXPECT_EQ(timeouts + 1, ct_counter("TernReqTimeouts"));
	EXPECT_EQ(retrans + 1, ct_counter("TernSynRetrans"));
	/* no third SYN-ACK */
	EXPECT_EQ(0ULL, recv_synack(self->fd, fam, lport, cport, isn, 300));

	RAW_ACK(cport, lport, isn + 1, k + 1);
	ASSERT_EQ(1, recv_seg_with(self->fd, fam, lport, cport, TERN_FLAG_RST,
				   &th, &plen, DELIVERY_MS));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(sink);
	close(l);
}

/*
 * net.tern.syncookies with the request queue full (backlog 1, one
 * handshake left hanging): 0 drops the next SYN (counted), 1 answers it
 * with a cookie whose ACK makes a connection, 2 answers every SYN with a
 * cookie and never keeps a request (no resent SYN-ACK).
 */
static void syncookies_mode(struct __test_metadata *_metadata, int fd,
			    int fam, const char *addr, const void *saddr,
			    const void *daddr, int mode)
{
	const uint64_t isn1 = 0x3000000000000000ULL, isn2 = 0x4000000000000000ULL;
	int l, a, sink1, sink2, lport = 0, p1 = 0, p2 = 0;
	long long sent = ct_counter("TernSyncookiesSent");
	long long recvd = ct_counter("TernSyncookiesRecv");
	long long dropped = ct_counter("TernReqQFullDrop");
	long long docookies = ct_counter("TernReqQFullDoCookies");
	long long retrans = ct_counter("TernSynRetrans");
	uint64_t k1, k2;

	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/syncookies", "%d",
				     mode));
	l = ct_listener(fam, SOCK_STREAM, IPPROTO_TERN, addr, 0, 1, 0, &lport);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, ct_set_timeo(l, SO_RCVTIMEO, DELIVERY_MS));
	sink1 = raw_client_port(_metadata, fam, addr, &p1);
	sink2 = raw_client_port(_metadata, fam, addr, &p2);
	ASSERT_LE(0, sink1);
	ASSERT_LE(0, sink2);

	send_syn(_metadata, fd, fam, saddr, daddr, p1, lport, isn1);
	k1 = recv_synack(fd, fam, lport, p1, isn1, DELIVERY_MS);
	ASSERT_NE(0ULL, k1);
	send_syn(_metadata, fd, fam, saddr, daddr, p2, lport, isn2);
	k2 = recv_synack(fd, fam, lport, p2, isn2, mode ? DELIVERY_MS : 1000);
	switch (mode) {
	case 0:
		EXPECT_EQ(0ULL, k2);
		EXPECT_EQ(dropped + 1, ct_counter("TernReqQFullDrop"));
		EXPECT_EQ(sent, ct_counter("TernSyncookiesSent"));
		break;
	case 1:
		ASSERT_NE(0ULL, k2);
		EXPECT_EQ(docookies + 1, ct_counter("TernReqQFullDoCookies"));
		EXPECT_EQ(sent + 1, ct_counter("TernSyncookiesSent"));
		break;
	case 2:
		ASSERT_NE(0ULL, k2);
		EXPECT_EQ(sent + 2, ct_counter("TernSyncookiesSent"));
		EXPECT_EQ(docookies, ct_counter("TernReqQFullDoCookies"));
		/* no request: nothing resends the first SYN-ACK */
		EXPECT_EQ(0ULL, recv_synack(fd, fam, lport, p1, isn1,
					    1000 + 1000));
		EXPECT_EQ(retrans, ct_counter("TernSynRetrans"));
		break;
	}
	EXPECT_EQ(dropped + !mode, ct_counter("TernReqQFullDrop"));
	if (mode) {
		send_ack(_metadata, fd, fam, saddr, daddr, p2, lport, isn2 + 1,
			 k2 + 1);
		a = accept(l, NULL, NULL);
		EXPECT_LE(0, a) {
			TH_LOG("accept of the cookie's connection: %s",
			       strerror(errno));
		}
		if (a >= 0)
			close(a);
		EXPECT_EQ(recvd + 1, ct_counter("TernSyncookiesRecv"));
	}
	close(sink1);
	close(sink2);
	close(l);
}

TEST_F(input, syncookies_0_drops_when_full)
{
	syncookies_mode(_metadata, self->fd, variant->family, variant->saddr,
			&self->saddr, &self->daddr, 0);
}

TEST_F(input, syncookies_1_cookies_when_full)
{
	syncookies_mode(_metadata, self->fd, variant->family, variant->saddr,
			&self->saddr, &self->daddr, 1);
}

TEST_F(input, syncookies_2_cookies_always)
{
	syncookies_mode(_metadata, self->fd, variant->family, variant->saddr,
			&self->saddr, &self->daddr, 2);
}

/* The Internet checksum of len bytes (RFC 1071). */
static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * Send, over loopback, an ICMP "host unreachable" quoting a segment
 * 127.0.0.1:sport -> 127.0.0.1:dport with sequence number seq.
 */
static int send_icmp_unreach(int sport, int dport, uint64_t seq)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t msg[8 + 20 + TERN_HDR_LEN] = { 0 };
	uint8_t *ip = msg + 8, *th = ip + 20;
	uint16_t csum;
	uint64_t be;
	int fd, ret;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	msg[0] = 3;		/* destination unreachable */
	msg[1] = 1;		/* host unreachable: fatal to a handshake */
	ip[0] = 0x45;
	ip[3] = 20 + TERN_HDR_LEN;
	ip[8] = 64;
	ip[9] = IPPROTO_TERN;
	inet_pton(AF_INET, "127.0.0.1", ip + 12);
	inet_pton(AF_INET, "127.0.0.1", ip + 16);
	csum = inet_csum(ip, 20);
	memcpy(ip + 10, &csum, 2);
	th[0] = sport >> 8;
	th[1] = sport & 0xff;
	th[2] = dport >> 8;
	th[3] = dport & 0xff;
	be = htobe64(seq);
	memcpy(th + offsetof(struct ternhdr, seq), &be, 8);
	csum = inet_csum(msg, sizeof(msg));
	memcpy(msg + 2, &csum, 2);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ret = sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to,
		     sizeof(to)) == sizeof(msg) ? 0 : -errno;
	close(fd);
	return ret;
}

/*
 * An ICMP error quoting a request's SYN-ACK: with another sequence number
 * it is ignored and counted, with ours a fatal one ends the handshake
 * (as tcp_req_err()), so its ACK then finds nothing and is reset.
 */
TEST_F(input, icmp_error_drops_request)
{
	const uint64_t isn = 0x5000000000000000ULL;
	int l, sink, lport = 0, cport = 0, fam = variant->family;
	long long oow = ct_counter("TernOutOfWindowIcmps");
	long long icmps = ct_counter("TernInIcmpErrors");
	long long deadline;
	struct ternhdr th;
	size_t plen;
	uint64_t k;

	if (fam != AF_INET)
		SKIP(return, "the ICMP is built for IPv4 only");
	l = ct_listener(fam, SOCK_STREAM, IPPROTO_TERN, variant->daddr, 0, 8,
			0, &lport);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, ct_set_nonblock(l, 1));
	sink = raw_client_port(_metadata, fam, variant->saddr, &cport);
	ASSERT_LE(0, sink);

	RAW_SYN(cport, lport, isn);
	k = recv_synack(self->fd, fam, lport, cport, isn, DELIVERY_MS);
	ASSERT_NE(0ULL, k);
	ASSERT_EQ(0, send_icmp_unreach(lport, cport, k + 7));
	deadline = ct_now_ms() + DELIVERY_MS;
	while (ct_counter("TernOutOfWindowIcmps") == oow &&
	       ct_now_ms() < deadline)
		tern_msleep(20);
	EXPECT_EQ(oow + 1, ct_counter("TernOutOfWindowIcmps"));
	/* the request lives: a repeated SYN gets its SYN-ACK */
	RAW_SYN(cport, lport, isn);
	EXPECT_EQ(k, recv_synack(self->fd, fam, lport, cport, isn,
				 DELIVERY_MS));

	ASSERT_EQ(0, send_icmp_unreach(lport, cport, k));
	deadline = ct_now_ms() + DELIVERY_MS;
	while (ct_counter("TernInIcmpErrors") < icmps + 2 &&
	       ct_now_ms() < deadline)
		tern_msleep(20);
	EXPECT_EQ(icmps + 2, ct_counter("TernInIcmpErrors"));
	RAW_ACK(cport, lport, isn + 1, k + 1);
	ASSERT_EQ(1, recv_seg_with(self->fd, fam, lport, cport, TERN_FLAG_RST,
				   &th, &plen, DELIVERY_MS)) {
		TH_LOG("the request outlived a fatal ICMP error");
	}
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	close(sink);
	close(l);
}

TEST_HARNESS_MAIN
