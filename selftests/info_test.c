// SPDX-License-Identifier: GPL-2.0
/*
 * Tern selftests for TERN_INFO (struct tern_info): the socket option's
 * lengths and errnos, held to TCP_INFO's, and every counter checked
 * against what the test did and against the namespace's counters.
 *
 * Every case runs over loopback in a network namespace of its own, for
 * both families and both socket types; a connection is alone in its
 * namespace (its listener closed once it is accepted), so the
 * namespace's TernOutSegs, TernInSegs and TernRetransSegs are its two
 * sockets' sums: the counters of struct tern_info must add up to them.
 * Loss comes from netem on lo with a 1500-byte MTU (many segments, so
 * some are lost); the ACKs are lost too, and it does not matter.
 *
 * "Nothing resent" is asserted on a clean path: no segment out of order
 * or dropped by the receiver (on a VM, loopback reorders now and then
 * and the sender's RACK resends); otherwise resends must still add up.
 *
 * Nothing asserts on time: the chronographs are checked to have run
 * (> 0) while a limit held and to stand still once all is acknowledged.
 */
#include <netinet/tcp.h>

#include "conn_util.h"
#include "kselftest_harness.h"

#define WAIT_MS		10000	/* the longest a loopback wait may take */
#define INFO_LEN	((socklen_t)sizeof(struct tern_info))

/* Bytes of the transfers: smaller on the debug kernel (TERN_SAMPLE=1). */
static size_t bulk_len(void)
{
	return tern_sampled() ? (1 << 20) : (4 << 20);
}

FIXTURE(info) {
	int l, c, a;		/* listener (closed once accepted), client, accepted */
	int port;
};

FIXTURE_VARIANT(info) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(info, stream4) {
	.family = AF_INET, .type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(info, stream6) {
	.family = AF_INET6, .type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(info, seqpacket4) {
	.family = AF_INET, .type = SOCK_SEQPACKET,
};

FIXTURE_VARIANT_ADD(info, seqpacket6) {
	.family = AF_INET6, .type = SOCK_SEQPACKET,
};

FIXTURE_SETUP(info)
{
	self->l = self->c = self->a = -1;
	/* the sample: IPv4 by seqpacket, IPv6 by stream */
	if (tern_sampled() && (variant->family == AF_INET) ==
	    (variant->type == SOCK_STREAM))
		SKIP(return, "not in the debug kernel's sample (TERN_SAMPLE=1)");
	ASSERT_EQ(0, tern_ensure_loaded());
	ASSERT_EQ(0, tern_new_netns());
	ASSERT_EQ(0, ct_signals_init());
	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "200"));
}

FIXTURE_TEARDOWN(info)
{
	ct_alarm_ms(0);
	syscall(SYS_close_range, 3, ~0U, 0);
}

#define FAM		(variant->family)
#define SEQPACKET	(variant->type == SOCK_SEQPACKET)

/* TERN_INFO of fd, all of it: 0 or -errno (-EPROTO: a short answer). */
static int get_info(int fd, struct tern_info *ti)
{
	socklen_t len = INFO_LEN;

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, SOL_TERN, TERN_INFO, ti, &len))
		return -errno;
	return len == INFO_LEN ? 0 : -EPROTO;
}

#define INFO(fd, ti) ASSERT_EQ(0, get_info((fd), (ti)))

/* fd bound to loopback, any port, and listening: 0 or -errno. */
static int listen_lo(int fd, int family)
{
	struct sockaddr_storage ss;
	socklen_t len = ct_addr(&ss, family, ct_loopback(family), 0);

	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4))
		return -errno;
	return 0;
}

/*
 * A connection over loopback: self->c connected to self->a, the
 * listener closed (the namespace's counters are then the connection's
 * alone). rcvbuf/sndbuf: SO_RCVBUF of the accepted socket (set on the
 * listener, which its children inherit) and SO_SNDBUF of the client, 0
 * for the defaults.
 */
static void make_conn(struct __test_metadata *_metadata,
		      const FIXTURE_VARIANT(info) *variant,
		      FIXTURE_DATA(info) *self, int rcvbuf, int sndbuf)
{
	self->l = socket(FAM, variant->type, IPPROTO_TERN);
	ASSERT_LE(0, self->l);
	if (rcvbuf) {
		ASSERT_EQ(0, ct_set_int(self->l, SOL_SOCKET, SO_RCVBUF, rcvbuf));
	}
	ASSERT_EQ(0, listen_lo(self->l, FAM));
	self->port = ct_port_of(self->l, 0);
	ASSERT_LT(0, self->port);
	self->c = socket(FAM, variant->type, IPPROTO_TERN);
	ASSERT_LE(0, self->c);
	if (sndbuf) {
		ASSERT_EQ(0, ct_set_int(self->c, SOL_SOCKET, SO_SNDBUF, sndbuf));
	}
	ASSERT_EQ(0, ct_connect_fd(self->c, FAM, ct_loopback(FAM), self->port));
	ASSERT_EQ(0, ct_set_timeo(self->l, SO_RCVTIMEO, WAIT_MS));
	self->a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, self->a);
	close(self->l);
	self->l = -1;
	ASSERT_EQ(0, ct_set_timeo(self->c, SO_RCVTIMEO, WAIT_MS));
	ASSERT_EQ(0, ct_set_timeo(self->c, SO_SNDTIMEO, WAIT_MS));
	ASSERT_EQ(0, ct_set_timeo(self->a, SO_RCVTIMEO, WAIT_MS));
	ASSERT_EQ(0, ct_set_timeo(self->a, SO_SNDTIMEO, WAIT_MS));
}

#define CONN(rcvbuf, sndbuf) make_conn(_metadata, variant, self, rcvbuf, sndbuf)

/* Messages of SOCK_SEQPACKET transfers; len must be a multiple. */
#define MSG_CHUNK	16384

/*
 * len bytes of the pattern from self->c to self->a, the receiver in a
 * thread. Asserts that all arrived intact.
 */
static void transfer(struct __test_metadata *_metadata,
		     const FIXTURE_VARIANT(info) *variant,
		     FIXTURE_DATA(info) *self, size_t len)
{
	struct ct_xfer rx = { .fd = self->a, .send = 0, .len = len, .seed = 1 };
	ssize_t sent;

	ASSERT_EQ(0, ct_xfer_start(&rx));
	sent = ct_send_pattern(self->c, len, 0, 1,
			       SEQPACKET ? MSG_CHUNK : 65536);
	ct_xfer_join(&rx);
	ASSERT_EQ((ssize_t)len, sent);
	ASSERT_EQ((ssize_t)len, rx.result);
}

#define TRANSFER(len) transfer(_metadata, variant, self, (len))

/*
 * Wait until everything fd sent is acknowledged; its TERN_INFO then.
 * 0, or -ETIMEDOUT.
 */
static int wait_acked(int fd, struct tern_info *ti)
{
	long long end = ct_now_ms() + WAIT_MS;

	for (;;) {
		if (get_info(fd, ti))
			return -EIO;
		if (!ti->tern_unacked && !ti->tern_notsent)
			return 0;
		if (ct_now_ms() >= end)
			return -ETIMEDOUT;
		tern_msleep(5);
	}
}

/* The namespace's counters the sockets' must add up to. */
struct ns_counts {
	long long out, in, retrans;
};

static int ns_read(struct ns_counts *n)
{
	n->out = ct_counter("TernOutSegs");
	n->in = ct_counter("TernInSegs");
	n->retrans = ct_counter("TernRetransSegs");
	return n->out < 0 || n->in < 0 || n->retrans < 0 ? -1 : 0;
}

/*
 * Read both sockets' TERN_INFO at a moment when no segment is between
 * them: the namespace's counters are the same before and after, and,
 * when nothing was lost, what one socket sent the other received (the
 * client received the SYN-ACK, which the listener sent). A window
 * update may still be on its way after the data's last ACK: try again
 * until then. 0, or -ETIMEDOUT (the last readings in *na, *ta, *tb).
 */
static int settle(int a, int b, bool lossless, struct ns_counts *na,
		  struct tern_info *ta, struct tern_info *tb)
{
	long long end = ct_now_ms() + 3000;
	struct ns_counts nb;

	for (;;) {
		if (ns_read(na) || get_info(a, ta) || get_info(b, tb) ||
		    ns_read(&nb))
			return -EIO;
		if (!memcmp(na, &nb, sizeof(nb)) &&
		    (!lossless || ta->tern_segs_out + tb->tern_segs_out + 1 ==
				  ta->tern_segs_in + tb->tern_segs_in))
			return 0;
		if (ct_now_ms() >= end)
			return -ETIMEDOUT;
		tern_msleep(10);
	}
}

static void log_info(struct __test_metadata *_metadata, const char *who,
		     const struct tern_info *ti)
{
	TH_LOG("%s: state %u ca %u rto %u ato %u mss %u/%u rtt %u/%u min %u "
	       "cwnd %u ssthresh %u unacked %u inflight %u sacked %u lost %u "
	       "retrans %u total %llu bytes sent %llu retrans %llu acked %llu "
	       "received %llu segs %llu/%llu data %llu/%llu busy %llu rwnd %llu "
	       "sndbuf %llu rate %llu", who, ti->tern_state,
	       ti->tern_ca_state, ti->tern_rto, ti->tern_ato, ti->tern_snd_mss,
	       ti->tern_rcv_mss, ti->tern_rtt, ti->tern_rttvar,
	       ti->tern_min_rtt, ti->tern_snd_cwnd, ti->tern_snd_ssthresh,
	       ti->tern_unacked, ti->tern_in_flight, ti->tern_sacked,
	       ti->tern_lost, ti->tern_retrans,
	       (unsigned long long)ti->tern_total_retrans,
	       (unsigned long long)ti->tern_bytes_sent,
	       (unsigned long long)ti->tern_bytes_retrans,
	       (unsigned long long)ti->tern_bytes_acked,
	       (unsigned long long)ti->tern_bytes_received,
	       (unsigned long long)ti->tern_segs_out,
	       (unsigned long long)ti->tern_segs_in,
	       (unsigned long long)ti->tern_data_segs_out,
	       (unsigned long long)ti->tern_data_segs_in,
	       (unsigned long long)ti->tern_busy_time,
	       (unsigned long long)ti->tern_rwnd_limited,
	       (unsigned long long)ti->tern_sndbuf_limited,
	       (unsigned long long)ti->tern_delivery_rate);
}

/* ------------------------------------------------------------------
 * The option itself: lengths, states, errnos
 */

/* What one getsockopt()/setsockopt() call gave. */
struct call {
	int ret, err;
	long len;	/* optlen after it; -2: equal to the struct's size */
};

/*
 * The calls whose answers must be TCP_INFO's: lengths 0, 4, -1, larger
 * than the struct, no buffer, no length; setsockopt() with an int, with
 * length 0, with the whole struct.
 */
#define NCALLS 9

static void info_calls(int fd, int level, int name, socklen_t size,
		       struct call *c)
{
	static const int lens[] = { 0, 4, -1 };
	char buf[1024];
	socklen_t len;
	int i, val = 1;

	for (i = 0; i < 3; i++) {
		len = lens[i];
		c[i].ret = getsockopt(fd, level, name, buf, &len);
		c[i].err = c[i].ret ? errno : 0;
		c[i].len = (int)len;
	}
	len = size + 16;
	c[3].ret = getsockopt(fd, level, name, buf, &len);
	c[3].err = c[3].ret ? errno : 0;
	c[3].len = len == size ? -2 : (long)len;
	len = size;
	c[4].ret = getsockopt(fd, level, name, NULL, &len);
	c[4].err = c[4].ret ? errno : 0;
	c[4].len = len == size ? -2 : (long)len;
	c[5].ret = getsockopt(fd, level, name, buf, NULL);
	c[5].err = c[5].ret ? errno : 0;
	c[5].len = 0;
	c[6].ret = setsockopt(fd, level, name, &val, sizeof(val));
	c[6].err = c[6].ret ? errno : 0;
	c[7].ret = setsockopt(fd, level, name, &val, 0);
	c[7].err = c[7].ret ? errno : 0;
	memset(buf, 0, sizeof(buf));
	c[8].ret = setsockopt(fd, level, name, buf, size);
	c[8].err = c[8].ret ? errno : 0;
	c[6].len = c[7].len = c[8].len = 0;
}

/* The size of the running kernel's struct tcp_info, or -errno. */
static int tcp_info_len(int fd)
{
	char big[1024];
	socklen_t len = sizeof(big);

	if (getsockopt(fd, SOL_TCP, TCP_INFO, big, &len))
		return -errno;
	return len < sizeof(big) ? (int)len : -E2BIG;
}

/* TCP_INFO's answers (checked against TCP itself when it runs). */
static const struct call tcp_answers[NCALLS] = {
	{ 0, 0, 0 }, { 0, 0, 4 }, { -1, EINVAL, -1 }, { 0, 0, -2 },
	{ -1, EFAULT, -2 }, { -1, EFAULT, 0 },
	{ -1, ENOPROTOOPT, 0 }, { -1, EINVAL, 0 }, { -1, ENOPROTOOPT, 0 },
};

static void expect_calls(struct __test_metadata *_metadata, const char *what,
			 const struct call *got, const struct call *want)
{
	int i;

	for (i = 0; i < NCALLS; i++) {
		EXPECT_EQ(want[i].ret, got[i].ret) {
			TH_LOG("%s: call %d returned %d (errno %d)", what, i,
			       got[i].ret, got[i].err);
		}
		EXPECT_EQ(want[i].err, got[i].err) {
			TH_LOG("%s: call %d: errno %d, not %d", what, i,
			       got[i].err, want[i].err);
		}
		EXPECT_EQ(want[i].len, got[i].len) {
			TH_LOG("%s: call %d: optlen %ld, not %ld", what, i,
			       got[i].len, want[i].len);
		}
	}
}

/*
 * A fresh (closed) socket and a listener answer every call as TCP's do;
 * a listener reports its state.
 */
TEST_F(info, errnos_as_tcp)
{
	struct call got[NCALLS], tcp[NCALLS];
	struct tern_info ti;
	socklen_t tcp_len;
	int fd, t;

	fd = socket(FAM, variant->type, IPPROTO_TERN);
	ASSERT_LE(0, fd);
	info_calls(fd, SOL_TERN, TERN_INFO, INFO_LEN, got);
	expect_calls(_metadata, "closed socket", got, tcp_answers);
	INFO(fd, &ti);
	EXPECT_EQ(TCP_CLOSE, ti.tern_state);
	EXPECT_EQ(~0U, ti.tern_min_rtt);
	EXPECT_EQ(0u, ti.tern_bytes_sent + ti.tern_segs_out + ti.tern_segs_in);
	ASSERT_EQ(0, listen_lo(fd, FAM));
	info_calls(fd, SOL_TERN, TERN_INFO, INFO_LEN, got);
	expect_calls(_metadata, "listener", got, tcp_answers);
	INFO(fd, &ti);
	EXPECT_EQ(TCP_LISTEN, ti.tern_state);
	close(fd);

	if (!tern_reference_runs() || variant->type != SOCK_STREAM)
		return;
	/* the expectations are TCP's: TCP gives them too */
	t = socket(FAM, SOCK_STREAM, IPPROTO_TCP);
	ASSERT_LE(0, t);
	/* the kernel's struct tcp_info, newer than libc's: ask its size */
	tcp_len = tcp_info_len(t);
	ASSERT_LT(0, (int)tcp_len);
	info_calls(t, SOL_TCP, TCP_INFO, tcp_len, tcp);
	expect_calls(_metadata, "TCP closed socket", tcp, tcp_answers);
	ASSERT_EQ(0, listen(t, 4));
	info_calls(t, SOL_TCP, TCP_INFO, tcp_len, tcp);
	expect_calls(_metadata, "TCP listener", tcp, tcp_answers);
	close(t);
}

/*
 * The server's side takes its first RTT sample from the handshake (the
 * SYN-ACK's, as TCP's tcp_synack_rtt_meas()): before any data, the
 * accepted socket has an RTT and an RTO from it, not the initial second,
 * so its first lost data does not wait a second. TCP's accepted socket
 * shows the same.
 */
TEST_F(info, accepted_has_handshake_rtt)
{
	struct tern_info ti;
	struct tcp_info tcp;
	socklen_t len = sizeof(tcp);
	int l, c, a;

	CONN(0, 0);
	INFO(self->a, &ti);
	EXPECT_LT(0u, ti.tern_rtt);
	EXPECT_NE(~0U, ti.tern_min_rtt);
	EXPECT_GT(1000000u, ti.tern_rto);
	INFO(self->c, &ti);
	EXPECT_LT(0u, ti.tern_rtt);

	if (!tern_reference_runs() || variant->type != SOCK_STREAM)
		return;
	l = socket(FAM, SOCK_STREAM, IPPROTO_TCP);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, listen_lo(l, FAM));
	c = socket(FAM, SOCK_STREAM, IPPROTO_TCP);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ct_connect_fd(c, FAM, ct_loopback(FAM), ct_port_of(l, 0)));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, getsockopt(a, SOL_TCP, TCP_INFO, &tcp, &len));
	EXPECT_LT(0u, tcp.tcpi_rtt);
	EXPECT_GT(1000000u, tcp.tcpi_rto);
	close(a);
	close(c);
	close(l);
}

/*
 * Versioned by length: a short length gets that prefix of the struct
 * and is returned as it was; a longer one gets the struct's size, and
 * nothing past it is written.
 */
TEST_F(info, length_versioning)
{
	static const socklen_t lens[] = {
		1, 4, 8, offsetof(struct tern_info, tern_rto),
		offsetof(struct tern_info, tern_total_retrans),
		offsetof(struct tern_info, tern_sndbuf_limited),
		INFO_LEN - 1, INFO_LEN, INFO_LEN + 1, INFO_LEN + 64,
	};
	unsigned char buf[sizeof(struct tern_info) + 64];
	struct tern_info full;
	unsigned int i, j;
	socklen_t len;

	CONN(0, 0);
	INFO(self->c, &full);
	EXPECT_EQ(TCP_ESTABLISHED, full.tern_state);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		socklen_t want = lens[i] < INFO_LEN ? lens[i] : INFO_LEN;

		memset(buf, 0xa5, sizeof(buf));
		len = lens[i];
		ASSERT_EQ(0, getsockopt(self->c, SOL_TERN, TERN_INFO, buf, &len));
		EXPECT_EQ(want, len);
		/* the first fields do not change on an idle connection */
		EXPECT_EQ(TCP_ESTABLISHED, buf[0]);
		if (len >= offsetof(struct tern_info, tern_rto)) {
			EXPECT_EQ(0, memcmp(buf, &full,
					    offsetof(struct tern_info, tern_rto)));
		}
		for (j = len; j < sizeof(buf); j++)
			if (buf[j] != 0xa5)
				break;
		EXPECT_EQ(sizeof(buf), j) {
			TH_LOG("length %u: byte %u written", lens[i], j);
		}
	}
}

/* ------------------------------------------------------------------
 * The counters
 */

/*
 * A clean transfer: every byte acknowledged and received, nothing
 * resent, the segment counts the namespace's, RTT, RTO, MSS and cwnd
 * plausible, the chronograph and the rate measured.
 */
/*
 * Segments that came out of order (TernOfoQueue: loopback reorders when
 * the sender moves to another CPU while segments wait in the first
 * one's backlog) or that the receiver dropped for want of memory, so
 * far: either makes the sender resend, the path was not clean.
 */
static long long disorder(void)
{
	return ct_counter("TernOfoQueue") + ct_counter("TernRcvQDrops") +
	       ct_counter("TernBacklogDrops");
}

/* The namespace's counters that are not zero, into the test's log. */
static void dump_counters(void)
{
	ct_sh("awk '$2 != 0' /proc/net/tern/snmp | tr '\\n' ' ' >&2; echo >&2");
}

TEST_F(info, clean_transfer)
{
	struct tern_info s0, r0, s, r;
	struct ns_counts n0, n;
	size_t len = bulk_len();
	long long drops;

	CONN(0, 0);
	ASSERT_EQ(0, settle(self->c, self->a, true, &n0, &s0, &r0));
	drops = disorder();
	TRANSFER(len);
	ASSERT_EQ(0, wait_acked(self->c, &s));
	drops = disorder() - drops;
	EXPECT_EQ(0, settle(self->c, self->a, !drops, &n, &s, &r)) {
		log_info(_metadata, "sender", &s);
		log_info(_metadata, "receiver", &r);
	}

	/* bytes */
	EXPECT_EQ(len, s.tern_bytes_acked);
	EXPECT_EQ(len + s.tern_bytes_retrans, s.tern_bytes_sent);
	EXPECT_EQ(len, r.tern_bytes_received);
	EXPECT_EQ(0u, s.tern_bytes_received);
	EXPECT_EQ(0u, r.tern_bytes_sent);
	EXPECT_EQ(0u, r.tern_bytes_acked);
	EXPECT_EQ(n.retrans - n0.retrans,
		  (long long)(s.tern_total_retrans + r.tern_total_retrans));
	EXPECT_EQ(0u, s.tern_retrans);
	EXPECT_EQ(0u, r.tern_total_retrans);
	/*
	 * Nothing lost, nothing resent, unless segments came out of order
	 * or the receiver dropped some (disorder()): then the path was not
	 * clean, and the resends are what the checks above hold to the
	 * namespace's count.
	 */
	if (drops) {
		TH_LOG("not a clean path: %lld segments out of order or dropped",
		       drops);
		dump_counters();
	} else {
		EXPECT_EQ(0u, s.tern_total_retrans);
		EXPECT_EQ(0u, s.tern_bytes_retrans);
		EXPECT_EQ(s.tern_segs_out, r.tern_segs_in);
		EXPECT_EQ(s.tern_data_segs_out, r.tern_data_segs_in);
	}
	EXPECT_EQ(0u, s.tern_unacked + s.tern_in_flight + s.tern_sacked +
		     s.tern_lost + s.tern_notsent);
	/* segments: each side's out are the other's in, the namespace's sum */
	EXPECT_EQ(n.out - n0.out, (long long)(s.tern_segs_out + r.tern_segs_out -
					      s0.tern_segs_out - r0.tern_segs_out));
	EXPECT_EQ(n.in - n0.in, (long long)(s.tern_segs_in + r.tern_segs_in -
					    s0.tern_segs_in - r0.tern_segs_in));
	EXPECT_EQ(0u, r.tern_data_segs_out);
	EXPECT_EQ(0u, s.tern_data_segs_in);
	EXPECT_LE((len + s.tern_snd_mss - 1) / s.tern_snd_mss,
		  s.tern_data_segs_out);
	EXPECT_LT(s.tern_data_segs_out, s.tern_segs_out);
	/* the path */
	EXPECT_LT(0u, s.tern_rtt);
	EXPECT_LT(0u, s.tern_min_rtt);
	EXPECT_LE(s.tern_min_rtt, s.tern_rtt);
	EXPECT_LE(200000u, s.tern_rto);
	EXPECT_GE(120000000u, s.tern_rto);
	EXPECT_LT(0u, s.tern_ato);
	EXPECT_LE(88u, s.tern_snd_mss);
	EXPECT_GE(16384u, s.tern_snd_mss);
	EXPECT_LT(0u, s.tern_rcv_mss);
	EXPECT_LE(s.tern_snd_mss, s.tern_snd_cwnd);
	EXPECT_LT(0u, s.tern_snd_ssthresh);
	EXPECT_EQ(0u, s.tern_ca_state);
	/* the measurements */
	EXPECT_LT(0u, s.tern_busy_time);
	EXPECT_EQ(0u, r.tern_busy_time);
	EXPECT_LT(0u, s.tern_delivery_rate);
	/* the window's rate (cong_test checks how much), no cap set */
	EXPECT_NE(~0ULL, s.tern_pacing_rate);
	EXPECT_LT(0ULL, s.tern_pacing_rate);
	EXPECT_EQ(~0ULL, s.tern_max_pacing_rate);
	EXPECT_GT((unsigned int)WAIT_MS, s.tern_last_data_sent);
	EXPECT_GT((unsigned int)WAIT_MS, s.tern_last_ack_recv);
	EXPECT_GT((unsigned int)WAIT_MS, r.tern_last_data_recv);
	if (!__test_passed(_metadata)) {
		log_info(_metadata, "sender", &s);
		log_info(_metadata, "receiver", &r);
		dump_counters();
	}
}

/*
 * The nstat view of the same: over the connection's whole life, the
 * namespace's TernOutSegs are the two sockets' segs_out plus the
 * listener's SYN-ACK, and TernInSegs their segs_in (the SYN counts for
 * the accepted socket, as TCP's child counts it). Read through nstat,
 * as a user would.
 */
static long long nstat_get(const char *name)
{
	char cmd[256], line[256], n[128];
	long long v, ret = -ENOENT;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "PROC_NET_SNMP6=/proc/net/tern/snmp nstat -asz %s 2>/dev/null",
		 name);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%127s %lld", n, &v) == 2 && !strcmp(n, name))
			ret = v;
	pclose(p);
	return ret;
}

TEST_F(info, nstat_matches_segs)
{
	long long out0, in0, out, in;
	struct ns_counts n;
	struct tern_info s, r;

	if (ct_sh("command -v nstat >/dev/null"))
		SKIP(return, "no nstat (iproute2)");
	out0 = nstat_get("TernOutSegs");
	in0 = nstat_get("TernInSegs");
	ASSERT_LE(0, out0);
	ASSERT_LE(0, in0);
	CONN(0, 0);
	TRANSFER(bulk_len() / 4);
	ASSERT_EQ(0, wait_acked(self->c, &s));
	ASSERT_EQ(0, settle(self->c, self->a, true, &n, &s, &r));
	out = nstat_get("TernOutSegs");
	in = nstat_get("TernInSegs");
	EXPECT_EQ(n.out, out);
	EXPECT_EQ(n.in, in);
	EXPECT_EQ(out - out0, (long long)(s.tern_segs_out + r.tern_segs_out) + 1);
	EXPECT_EQ(in - in0, (long long)(s.tern_segs_in + r.tern_segs_in));
	/* the handshake: SYN and ACK each way, the SYN-ACK the listener's */
	EXPECT_EQ(s.tern_segs_out, r.tern_segs_in);
	EXPECT_EQ(r.tern_segs_out + 1, s.tern_segs_in);
	if (!__test_passed(_metadata)) {
		log_info(_metadata, "sender", &s);
		log_info(_metadata, "receiver", &r);
		dump_counters();
	}
}

/*
 * With loss: segments resent, counted as the namespace counts them,
 * and once all is acknowledged none is counted as out.
 */
TEST_F(info, lossy_transfer)
{
	size_t len = tern_sampled() ? (256 << 10) : (1 << 20), done = 0;
	struct ns_counts n0, n;
	struct tern_info s, r;
	int round;

	ASSERT_EQ(0, ct_sh("ip link set lo mtu 1500"));
	CONN(0, 0);
	ASSERT_EQ(0, ns_read(&n0));
	ASSERT_EQ(0, ct_sh("tc qdisc add dev lo root netem loss 3%%"));
	/* loss is random: a round that lost nothing is followed by another */
	for (round = 0; round < 8; round++) {
		TRANSFER(len);
		done += len;
		ASSERT_EQ(0, get_info(self->c, &s));
		if (s.tern_total_retrans)
			break;
	}
	ASSERT_EQ(0, ct_sh("tc qdisc del dev lo root"));
	ASSERT_EQ(0, wait_acked(self->c, &s));
	EXPECT_EQ(0, settle(self->c, self->a, false, &n, &s, &r));

	EXPECT_LT(0u, s.tern_total_retrans);
	EXPECT_EQ(n.retrans - n0.retrans,
		  (long long)(s.tern_total_retrans + r.tern_total_retrans));
	EXPECT_EQ(0u, r.tern_total_retrans);
	EXPECT_EQ(0u, s.tern_retrans);
	EXPECT_EQ(0u, s.tern_unacked + s.tern_sacked + s.tern_lost);
	EXPECT_LT(0u, s.tern_bytes_retrans);
	EXPECT_EQ(done, s.tern_bytes_acked);
	EXPECT_EQ(done, r.tern_bytes_received);
	EXPECT_EQ(done + s.tern_bytes_retrans, s.tern_bytes_sent);
	/* lost on the way: data, and maybe some of the rest */
	EXPECT_LE(r.tern_data_segs_in, s.tern_data_segs_out);
	EXPECT_LE(s.tern_data_segs_out - r.tern_data_segs_in,
		  s.tern_segs_out - r.tern_segs_in);
	EXPECT_GE(1448u, s.tern_snd_mss);
	EXPECT_LT(0u, s.tern_busy_time);
	if (!__test_passed(_metadata)) {
		log_info(_metadata, "sender", &s);
		log_info(_metadata, "receiver", &r);
		dump_counters();
	}
}

/*
 * While resends are out, retrans counts them; it follows them to zero as
 * they are acknowledged. Sampled during a lossy transfer: never more
 * than what is unacknowledged.
 */
TEST_F(info, retrans_within_unacked)
{
	size_t len = tern_sampled() ? (256 << 10) : (1 << 20);
	struct ct_xfer rx = { .send = 0, .seed = 1 };
	struct tern_info s;
	int seen = 0, samples = 0;
	ssize_t sent;

	ASSERT_EQ(0, ct_sh("ip link set lo mtu 1500"));
	CONN(0, 0);
	ASSERT_EQ(0, ct_sh("tc qdisc add dev lo root netem loss 5%%"));
	rx.fd = self->a;
	rx.len = len;
	ASSERT_EQ(0, ct_xfer_start(&rx));
	ASSERT_EQ(0, ct_set_nonblock(self->c, 1));
	for (sent = 0; (size_t)sent < len;) {
		ssize_t n = ct_send_pattern(self->c, SEQPACKET ? MSG_CHUNK :
					    len - sent, sent, 1, MSG_CHUNK);

		if (n > 0)
			sent += n;
		else if (n != -EAGAIN)
			break;
		ASSERT_EQ(0, get_info(self->c, &s));
		samples++;
		EXPECT_GE(s.tern_unacked, s.tern_retrans);
		EXPECT_GE(s.tern_in_flight, s.tern_retrans);
		if (s.tern_retrans)
			seen = 1;
		if (n <= 0)
			ct_poll(self->c, POLLOUT, 50);
	}
	ASSERT_EQ((ssize_t)len, sent);
	ct_xfer_join(&rx);
	ASSERT_EQ((ssize_t)len, rx.result);
	ASSERT_EQ(0, ct_sh("tc qdisc del dev lo root"));
	ASSERT_EQ(0, wait_acked(self->c, &s));
	EXPECT_EQ(0u, s.tern_retrans);
	EXPECT_LT(0, samples);
	TH_LOG("%d samples, resends seen out: %s", samples, seen ? "yes" : "no");
}

/*
 * A receiver that does not read: its window closes and the sender's
 * data waits for it (rwnd_limited grows, within busy_time). Once the
 * receiver reads and all is acknowledged the chronographs stop.
 */
TEST_F(info, rwnd_limited)
{
	size_t chunk = SEQPACKET ? 4096 : 65536, queued = 0;
	struct tern_info s, s2;
	ssize_t n;

	CONN(8192, 0);
	ASSERT_EQ(0, ct_set_nonblock(self->c, 1));
	for (;;) {
		n = ct_send_pattern(self->c, chunk, queued, 1, chunk);
		if (n <= 0)
			break;
		queued += n;
		ASSERT_GT(64u << 20, queued);
	}
	ASSERT_EQ(-EAGAIN, n);
	ASSERT_EQ(0, get_info(self->c, &s));
	ASSERT_LT(0u, s.tern_notsent) {
		log_info(_metadata, "sender", &s);
	}
	tern_msleep(20);	/* the window stays shut meanwhile */
	ASSERT_EQ(0, get_info(self->c, &s));
	EXPECT_LT(0u, s.tern_rwnd_limited) {
		log_info(_metadata, "sender", &s);
	}
	EXPECT_LE(s.tern_rwnd_limited, s.tern_busy_time);

	ASSERT_EQ(0, ct_set_nonblock(self->c, 0));
	EXPECT_EQ((ssize_t)queued, ct_recv_pattern(self->a, queued, 0, 1));
	ASSERT_EQ(0, wait_acked(self->c, &s));
	EXPECT_EQ(queued, s.tern_bytes_acked);
	EXPECT_LT(0u, s.tern_rwnd_limited);
	EXPECT_LE(s.tern_rwnd_limited, s.tern_busy_time);
	/* nothing to send or acknowledge: they stand still */
	tern_msleep(20);
	ASSERT_EQ(0, get_info(self->c, &s2));
	EXPECT_EQ(s.tern_busy_time, s2.tern_busy_time);
	EXPECT_EQ(s.tern_rwnd_limited, s2.tern_rwnd_limited);
	EXPECT_EQ(s.tern_sndbuf_limited, s2.tern_sndbuf_limited);
}

/*
 * A small SO_SNDBUF and a receiver with room that reads slowly: the
 * sender waits for buffer space with everything sent (sndbuf_limited
 * grows), not for the window.
 */
TEST_F(info, sndbuf_limited)
{
	size_t len = tern_sampled() ? (64 << 10) : (256 << 10);
	struct ct_xfer rx = { .send = 0, .seed = 1 };
	struct tern_info s, s2;
	ssize_t sent;

	CONN(1 << 20, 16384);
	/* no Nagle: what is queued goes, and the buffer is what waits */
	ASSERT_EQ(0, ct_set_int(self->c, SOL_TERN, TERN_NODELAY, 1));
	rx.fd = self->a;
	rx.len = len;
	ASSERT_EQ(0, ct_xfer_start(&rx));
	/* a message costs over half the buffer: each waits for the last's ACK */
	sent = ct_send_pattern(self->c, len, 0, 1, SEQPACKET ? 8192 : 16384);
	ct_xfer_join(&rx);
	ASSERT_EQ((ssize_t)len, sent);
	ASSERT_EQ((ssize_t)len, rx.result);
	ASSERT_EQ(0, wait_acked(self->c, &s));
	EXPECT_LT(0u, s.tern_sndbuf_limited) {
		log_info(_metadata, "sender", &s);
	}
	EXPECT_LE(s.tern_sndbuf_limited + s.tern_rwnd_limited, s.tern_busy_time);
	EXPECT_EQ(len, s.tern_bytes_acked);
	tern_msleep(20);
	ASSERT_EQ(0, get_info(self->c, &s2));
	EXPECT_EQ(s.tern_busy_time, s2.tern_busy_time);
	EXPECT_EQ(s.tern_sndbuf_limited, s2.tern_sndbuf_limited);
}

/*
 * Both directions at once, then a reset from the peer: the counters
 * hold on the closed socket, and each side's data is the other's.
 */
TEST_F(info, both_ways_then_closed)
{
	size_t len = bulk_len() / 4;
	struct ct_xfer tx = { .send = 1, .seed = 1 };
	struct ct_xfer rx = { .send = 0, .seed = 1 };
	struct linger lg = { 1, 0 };
	struct tern_info s, r;
	long long drops;
	ssize_t got;

	CONN(0, 0);
	drops = disorder();
	tx.fd = self->a;
	tx.len = len;
	tx.chunk = SEQPACKET ? MSG_CHUNK : 65536;
	rx.fd = self->a;
	rx.len = len;
	ASSERT_EQ(0, ct_xfer_start(&tx));
	ASSERT_EQ(0, ct_xfer_start(&rx));
	ASSERT_EQ((ssize_t)len, ct_send_pattern(self->c, len, 0, 1, tx.chunk));
	got = ct_recv_pattern(self->c, len, 0, 1);
	ct_xfer_join(&tx);
	ct_xfer_join(&rx);
	ASSERT_EQ((ssize_t)len, got);
	ASSERT_EQ((ssize_t)len, tx.result);
	ASSERT_EQ((ssize_t)len, rx.result);
	ASSERT_EQ(0, wait_acked(self->c, &s));
	ASSERT_EQ(0, wait_acked(self->a, &r));
	/* the peer aborts: self->c is closed, its counters stay */
	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(self->a);
	self->a = -1;
	ASSERT_EQ(POLLHUP, ct_wait_events(self->c, POLLHUP, WAIT_MS) & POLLHUP);
	ASSERT_EQ(0, get_info(self->c, &s));
	EXPECT_EQ(TCP_CLOSE, s.tern_state);
	EXPECT_EQ(len, s.tern_bytes_acked);
	EXPECT_EQ(len, s.tern_bytes_received);
	EXPECT_EQ(len + s.tern_bytes_retrans, s.tern_bytes_sent);
	if (disorder() == drops) {
		EXPECT_EQ(0u, s.tern_total_retrans);
	}
	EXPECT_LT(0u, s.tern_data_segs_in);
	EXPECT_LT(0u, s.tern_data_segs_out);
	/* closed: nothing will be sent, the chronograph has stopped */
	r = s;
	tern_msleep(20);
	ASSERT_EQ(0, get_info(self->c, &s));
	EXPECT_EQ(r.tern_busy_time, s.tern_busy_time);
}

TEST_HARNESS_MAIN
