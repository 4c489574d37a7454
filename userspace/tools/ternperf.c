// SPDX-License-Identifier: GPL-2.0
/*
 * ternperf: one benchmark for Tern, TCP and SCTP through the same code.
 *
 *   ternperf -s [-46] [-p port] [--proto P] [--seqpacket]
 *   ternperf -c host [-46] [-p port] [--proto P] [-m bulk|rr|crr|many]
 *            [-t s | -n bytes] [-l bytes] [-P n] [-i s] [--bidir] [--cc name]
 *            [--json]
 *
 * Every connection starts with a struct hello from the client saying what
 * the server is to do; a bulk run ends with a struct result from the
 * server (the receiver's count), as the last bytes before its EOF. The
 * socket calls are the same for every protocol: only socket()'s third
 * argument and the info/congestion options differ (struct proto_ops).
 * Exit codes: 0 done, 1 a run failed, 2 bad usage, 3 the protocol (or
 * --cc) is not available on this host. See ternperf(1).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/sctp.h>

#include <tern/tern.h>

#define PERF_MAGIC	0x54505246u	/* "TPRF" */
#define PERF_VERSION	1
#define DEFAULT_PORT	"5253"
#define CC_LEN		16		/* TCP_CA_NAME_MAX */
#define BULK_LEN	131072
#define MANY_DEFAULT	100
#define MANY_IDLE_US	1000000		/* "many": idle this long first */
#define MAX_PARALLEL	10000
#define MAX_MSG		(16 << 20)
#define MAX_INTERVALS	100000

#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_UNAVAIL	3

enum proto { P_TERN, P_TCP, P_SCTP };
enum mode { M_BULK, M_RR, M_CRR, M_MANY };

static const char *const proto_names[] = { "tern", "tcp", "sctp" };
static const char *const mode_names[] = { "bulk", "rr", "crr", "many" };

#define F_BIDIR		0x1
#define F_BYTES		0x2	/* bulk: duration_ms is a byte count (-n) */

/* Client to server, the first bytes of every connection (network order). */
struct hello {
	uint32_t magic;
	uint8_t version, mode, flags, reserved;
	uint32_t msg_len;
	uint32_t duration_ms;	/* or, with F_BYTES, bytes each way */
	char cc[CC_LEN];	/* the server's socket's congestion control */
};

/* Server to client at the end of a bulk run: what the receiver counted. */
struct result {
	uint32_t magic;
	uint32_t reserved;
	uint64_t bytes;
	uint64_t elapsed_us;
	uint64_t retrans;	/* the server socket's, for --bidir */
};

static const char *prog = "ternperf";

static struct {
	enum proto proto;
	enum mode mode;
	int family;
	bool server, bidir, seqpacket, json, verbose;
	const char *host, *port, *cc;
	double duration, interval;	/* seconds */
	size_t msg_len;
	uint64_t bytes;		/* -n: bulk of this many bytes, not -t */
	int parallel;
	int timeout_ms;
} opt = { .proto = P_TERN, .mode = M_BULK, .family = AF_UNSPEC,
	  .port = DEFAULT_PORT, .duration = 10, .parallel = 0,
	  .timeout_ms = 10000 };

/* The connected peer, resolved once: crr connects to it again and again. */
static struct sockaddr_storage peer;
static socklen_t peer_len;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -s [-46v] [-p port] [--proto P] [--seqpacket] [-T s]\n"
		"       %s -c host [-46] [-p port] [--proto P] [--seqpacket]\n"
		"          [-m bulk|rr|crr|many] [-t s | -n bytes] [-l bytes] [-P n]\n"
		"          [-i s] [--bidir] [--cc name] [--json] [-T s]\n"
		"  --proto tern|tcp|sctp   transport (default tern)\n"
		"  -m MODE     bulk (default), rr, crr, many\n"
		"  -t SECONDS  duration (default 10)\n"
		"  -n BYTES    bulk: send this many (each way with --bidir), then stop\n"
		"  -l BYTES    write size (bulk, default 131072) or request size\n"
		"  -P N        parallel connections (many: connections, default 100)\n"
		"  -i SECONDS  interval samples\n"
		"  -T SECONDS  timeout of every blocking step (default 10)\n"
		"  --bidir     bulk both ways    --cc NAME  congestion control\n"
		"  --json      one JSON object on stdout\n", prog, prog);
}

static const char *err_name(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

static const char *err_text(int err)
{
	if (opt.proto == P_TERN)
		return tern_strerror(err);
	if (opt.proto == P_SCTP && (err == EPROTONOSUPPORT ||
				    err == ESOCKTNOSUPPORT))
		return "SCTP not available in this kernel (modprobe sctp)";
	return strerror(err);
}

/* "what: ENAME: text" on stderr; the exit code says what kind of failure. */
static void __attribute__((format(printf, 2, 0)))
vsay(int err, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "%s: ", prog);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (err && n < (int)sizeof(line))
		snprintf(line + n, sizeof(line) - n, ": %s: %s", err_name(err),
			 err_text(err));
	fprintf(stderr, "%s\n", line);
}

static void __attribute__((format(printf, 2, 3)))
warn_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(err, fmt, ap);
	va_end(ap);
}

static bool unavailable(int err)
{
	return err == EPROTONOSUPPORT || err == ESOCKTNOSUPPORT ||
	       err == EAFNOSUPPORT || err == ENOPROTOOPT;
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(err, fmt, ap);
	va_end(ap);
	exit(unavailable(err) ? EXIT_UNAVAIL : EXIT_FAIL);
}

/* Exit code 3 whatever @err is: --cc names something this host lacks. */
static void __attribute__((noreturn, format(printf, 2, 3)))
die_unavail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(err, fmt, ap);
	va_end(ap);
	exit(EXIT_UNAVAIL);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(0, fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ---- latency histogram: 32 buckets per power of two (~3 %), no malloc */

#define HIST_SUB_BITS	5
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t n, sum, min, max;
};

static unsigned int hist_index(uint64_t us)
{
	unsigned int e;

	if (us < 2 * HIST_SUB)
		return (unsigned int)us;
	e = 63 - __builtin_clzll(us);
	return (e - HIST_SUB_BITS + 1) * HIST_SUB +
	       (unsigned int)((us >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* The middle of bucket @b, in microseconds. */
static uint64_t hist_value(unsigned int b)
{
	unsigned int e = b / HIST_SUB + HIST_SUB_BITS - 1;
	uint64_t low, width;

	if (b < 2 * HIST_SUB)
		return b;
	width = 1ULL << (e - HIST_SUB_BITS);
	low = (uint64_t)(HIST_SUB + b % HIST_SUB) << (e - HIST_SUB_BITS);
	return low + width / 2;
}

static void hist_add(struct hist *h, uint64_t us)
{
	h->count[hist_index(us)]++;
	if (!h->n || us < h->min)
		h->min = us;
	if (us > h->max)
		h->max = us;
	h->n++;
	h->sum += us;
}

static void hist_merge(struct hist *to, const struct hist *from)
{
	unsigned int b;

	if (!from->n)
		return;
	for (b = 0; b < HIST_BUCKETS; b++)
		to->count[b] += from->count[b];
	if (!to->n || from->min < to->min)
		to->min = from->min;
	if (from->max > to->max)
		to->max = from->max;
	to->n += from->n;
	to->sum += from->sum;
}

/* The @pct percentile, clamped to the exact extremes. */
static uint64_t hist_pct(const struct hist *h, double pct)
{
	uint64_t want = (uint64_t)ceil(h->n * pct / 100.0), seen = 0, v;
	unsigned int b;

	if (!h->n)
		return 0;
	if (!want)
		want = 1;
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += h->count[b];
		if (seen >= want)
			break;
	}
	v = hist_value(b < HIST_BUCKETS ? b : HIST_BUCKETS - 1);
	return v < h->min ? h->min : v > h->max ? h->max : v;
}

/* ---- the protocols: socket(), congestion control, info */

/* What the info sockopts tell of the sending side, valid if ok. */
struct info {
	bool ok;
	uint64_t cwnd;		/* bytes */
	uint64_t rtt_us;
	uint64_t retrans;	/* segments (chunks for SCTP) resent */
};

static int proto_number(void)
{
	return opt.proto == P_TERN ? IPPROTO_TERN :
	       opt.proto == P_SCTP ? IPPROTO_SCTP : IPPROTO_TCP;
}

static int sock_type(void)
{
	return opt.seqpacket ? SOCK_SEQPACKET : SOCK_STREAM;
}

static int proto_socket(int family)
{
	if (opt.proto == P_TERN)
		return tern_socket(family, sock_type() | SOCK_CLOEXEC);
	return socket(family, sock_type() | SOCK_CLOEXEC, proto_number());
}

/* TCP_CONGESTION, or Tern's twin TERN_CONGESTION through libtern. */
static int set_cc(int fd, const char *name)
{
	if (!name || !*name)
		return 0;
	if (opt.proto == P_TCP)
		return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
				  strlen(name));
	if (opt.proto == P_TERN)
		return tern_set_congestion(fd, name);
	errno = ENOPROTOOPT;
	return -1;
}

static int set_nodelay(int fd)
{
	int on = 1;

	if (opt.proto == P_TERN)
		return tern_set_nodelay(fd, 1);
	if (opt.proto == P_SCTP)
		return setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on));
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

static void info_tcp(int fd, struct info *in)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return;
	in->ok = true;
	in->cwnd = (uint64_t)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
	in->rtt_us = ti.tcpi_rtt;
	in->retrans = ti.tcpi_total_retrans;
}

static void info_sctp(int fd, struct info *in)
{
	struct sctp_status st;
	struct sctp_assoc_stats as;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &st, &len))
		return;
	in->ok = true;
	in->cwnd = st.sstat_primary.spinfo_cwnd;
	in->rtt_us = (uint64_t)st.sstat_primary.spinfo_srtt * 1000;
	memset(&as, 0, sizeof(as));
	len = sizeof(as);
	if (!getsockopt(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_STATS, &as, &len))
		in->retrans = as.sas_rtxchunks;
}

static void sock_info(int fd, struct info *in)
{
	struct tern_info ti;

	memset(in, 0, sizeof(*in));
	if (opt.proto == P_TCP) {
		info_tcp(fd, in);
	} else if (opt.proto == P_SCTP) {
		info_sctp(fd, in);
	} else if (tern_get_info(fd, &ti) > 0) {
		in->ok = true;
		in->cwnd = ti.tern_snd_cwnd;
		in->rtt_us = ti.tern_rtt;
		in->retrans = ti.tern_total_retrans;
	}
}

static int set_rcvtimeo(int fd, long long ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* SO_RCVTIMEO and SO_SNDTIMEO: no blocking call waits longer than -T. */
static int set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = opt.timeout_ms / 1000,
			      .tv_usec = (opt.timeout_ms % 1000) * 1000 };

	if (set_rcvtimeo(fd, opt.timeout_ms) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	return 0;
}

/* ---- blocking I/O with timeouts (EAGAIN from a timeout: ETIMEDOUT) */

static int io_errno(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
}

/* All of @len: 0, or -errno. A message socket sends it as one message. */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -io_errno();
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Exactly @len: 1, 0 at EOF before any byte, -errno (EPIPE: EOF inside). */
static int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(fd, p + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -io_errno();
		}
		if (n == 0)
			return got ? -EPIPE : 0;
		got += (size_t)n;
	}
	return 1;
}

/* ---- per-connection counters over time (-i) */

struct sample {
	uint64_t tx, rx, trans;
	struct info info;	/* at the end of the interval */
};

struct worker {
	int id;
	int fd;
	pthread_t thread;
	char *buf;
	size_t buf_len;		/* -l: what is sent */
	size_t rx_len;		/* bulk: what recv() is offered, after that */
	int64_t start;		/* us */
	int64_t end;
	int64_t dur_us;		/* -t, or the client's, in the server */
	uint64_t limit;		/* -n: bytes to send (0: until dur_us) */
	uint64_t tx, rx, trans;
	uint64_t conns;
	struct hist hist;
	struct info info;	/* the sending socket's at the end */
	struct result res;	/* bulk: the server's count */
	uint64_t rev_bytes;	/* --bidir: what we received */
	int64_t rev_elapsed;
	struct sample *iv;	/* -i: MAX_INTERVALS at most */
	size_t niv, cur;
	int err;
};

static size_t n_intervals(void)
{
	double n;

	if (opt.interval <= 0)
		return 0;
	n = ceil(opt.duration / opt.interval);
	return n < 1 ? 1 : n > MAX_INTERVALS ? MAX_INTERVALS : (size_t)n;
}

static size_t interval_of(const struct worker *w, int64_t t)
{
	int64_t i = (int64_t)((double)(t - w->start) / (opt.interval * 1e6));

	if (i < 0)
		return 0;
	return (size_t)i >= w->niv ? w->niv - 1 : (size_t)i;
}

/*
 * Count @tx/@rx bytes and @trans transactions at time @t; on entering a
 * new interval, sample the socket's info for the one that ended. @fd < 0:
 * count only (the receiving half of --bidir, crr between connections).
 */
static void account(struct worker *w, int fd, int64_t t, uint64_t tx,
		    uint64_t rx, uint64_t trans)
{
	size_t i;

	if (!w->niv)
		return;
	i = interval_of(w, t);
	if (fd >= 0 && i != w->cur) {	/* only the sender moves cur */
		sock_info(fd, &w->iv[w->cur].info);
		w->cur = i;
	}
	/*
	 * --bidir's halves count into the same sample from two threads:
	 * each writes only its own field (an "rx += 0" would race).
	 */
	if (tx)
		w->iv[i].tx += tx;
	if (rx)
		w->iv[i].rx += rx;
	if (trans)
		w->iv[i].trans += trans;
}

/* The last interval's info, when the run ends inside it. */
static void account_end(struct worker *w, int fd)
{
	if (w->niv && fd >= 0)
		sock_info(fd, &w->iv[w->cur].info);
}

/* ---- connections */

/* The first address of -c host that answers becomes the peer. */
static struct addrinfo *resolve(const char *host, bool passive)
{
	struct addrinfo hints, *res = NULL;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = opt.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	err = getaddrinfo(host, opt.port, &hints, &res);
	if (err == EAI_SYSTEM)
		die(errno, "%s port %s", host ? host : "*", opt.port);
	if (err) {
		fprintf(stderr, "%s: %s port %s: %s\n", prog, host ? host : "*",
			opt.port, gai_strerror(err));
		exit(EXIT_FAIL);
	}
	return res;
}

/* Non-blocking connect(), poll() for up to -T, then blocking again. */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int fl = fcntl(fd, F_GETFL), err = 0, n;
	socklen_t elen = sizeof(err);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	if (connect(fd, sa, len) && errno != EINPROGRESS && errno != EINTR)
		return -errno;
	do
		n = poll(&pfd, 1, opt.timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		return -errno;
	if (err)
		return -err;
	if (fcntl(fd, F_SETFL, fl))
		return -errno;
	return 0;
}

/* A socket set up as every connection of this run wants it, or -errno. */
static int new_socket(int family)
{
	int fd = proto_socket(family), err;

	if (fd < 0)
		return -errno;
	if (set_timeouts(fd))
		goto fail;
	if (opt.mode != M_BULK && set_nodelay(fd))
		goto fail;
	if (set_cc(fd, opt.cc)) {
		err = errno;
		close(fd);
		die_unavail(err, "--cc %s%s", opt.cc,
		    err == ENOPROTOOPT && opt.proto == P_TERN ?
		    ": not supported yet (no TERN_CONGESTION)" :
		    err == ENOPROTOOPT ? ": not supported for SCTP" :
		    err == ENOENT ? ": not in this kernel (see "
		    "net.ipv4.tcp_available_congestion_control)" : "");
	}
	return fd;
fail:
	err = errno;
	close(fd);
	return -err;
}

static int connect_peer(void)
{
	int fd = new_socket(peer.ss_family), err;

	if (fd < 0)
		return fd;
	err = connect_wait(fd, (struct sockaddr *)&peer, peer_len);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Resolve -c host and connect to each address in turn; keep the first. */
static int connect_first(void)
{
	struct addrinfo *res = resolve(opt.host, false), *ai;
	int fd = -EHOSTUNREACH;

	for (ai = res; ai; ai = ai->ai_next) {
		memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
		peer_len = ai->ai_addrlen;
		fd = connect_peer();
		if (fd >= 0 || unavailable(-fd))
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die(-fd, "connect to %s port %s (%s)", opt.host, opt.port,
		    proto_names[opt.proto]);
	return fd;
}

static void hello_fill(struct hello *h, enum mode mode)
{
	memset(h, 0, sizeof(*h));
	h->magic = htonl(PERF_MAGIC);
	h->version = PERF_VERSION;
	h->mode = (uint8_t)mode;
	h->flags = opt.bidir ? F_BIDIR : 0;
	h->msg_len = htonl((uint32_t)opt.msg_len);
	h->duration_ms = htonl((uint32_t)(opt.duration * 1000));
	if (opt.bytes && mode == M_BULK) {
		h->flags |= F_BYTES;
		h->duration_ms = htonl((uint32_t)opt.bytes);
	}
	if (opt.cc)
		snprintf(h->cc, sizeof(h->cc), "%s", opt.cc);
}

static void __attribute__((noreturn)) die_io(int err, const char *what)
{
	die(err, "%s (%s, %s)", what, proto_names[opt.proto],
	    mode_names[opt.mode]);
}

static void send_hello(int fd, enum mode mode)
{
	struct hello h;
	int err;

	hello_fill(&h, mode);
	err = send_all(fd, &h, sizeof(h));
	if (err)
		die_io(-err, "send hello");
}

/* ---- client and server halves of the modes */

/* Bulk: -l bytes a write until @until, or -n bytes in all; 0 or -errno. */
static int send_for(struct worker *w, int64_t until)
{
	size_t len = w->buf_len;
	int64_t t;
	int err;

	for (t = now_us(); w->limit ? w->tx < w->limit : t < until;
	     t = now_us()) {
		if (w->limit && w->limit - w->tx < len)
			len = (size_t)(w->limit - w->tx);
		err = send_all(w->fd, w->buf, len);
		if (err)
			return err;
		w->tx += len;
		account(w, w->fd, now_us(), len, 0, 0);
	}
	w->end = now_us();
	account_end(w, w->fd);
	return 0;
}

/* Keep the last sizeof(*tail) bytes of the stream in @tail. */
static void keep_tail(struct result *tail, const char *buf, size_t n)
{
	char *t = (char *)tail;
	size_t keep = sizeof(*tail);

	if (n >= keep) {
		memcpy(t, buf + n - keep, keep);
	} else {
		memmove(t, t + n, keep - n);
		memcpy(t + keep - n, buf, n);
	}
}

/*
 * SCTP has no half-close (RFC 9260 section 9.2: after SHUTDOWN the peer
 * may send no new data), so the server could not send its result after a
 * client's SHUT_WR. The client ends its bulk data with this message
 * instead; the data messages are zeros, so a whole 4-byte message saying
 * it can only be the end.
 */
static const char sctp_end[4] = { 'T', 'E', 'N', 'D' };

/* recv(), or for the server of SCTP, recvmsg() that sees sctp_end as EOF. */
static ssize_t recv_data(struct worker *w, char *buf, size_t len,
			 size_t *msg_off)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (opt.proto != P_SCTP || !opt.server)
		return recv(w->fd, buf, len, 0);
	n = recvmsg(w->fd, &mh, 0);
	if (n <= 0)
		return n;
	if (!*msg_off && (mh.msg_flags & MSG_EOR) && n == sizeof(sctp_end) &&
	    !memcmp(buf, sctp_end, sizeof(sctp_end)))
		return 0;
	*msg_off = mh.msg_flags & MSG_EOR ? 0 : *msg_off + (size_t)n;
	return n;
}

/* The client's end of its bulk data: SHUT_WR, or SCTP's end message. */
static void end_of_data(struct worker *w)
{
	if (opt.proto == P_SCTP)
		send_all(w->fd, sctp_end, sizeof(sctp_end));
	else
		shutdown(w->fd, SHUT_WR);
}

/*
 * Count what arrives until EOF into *@bytes; 0 or -errno. With @tail, the
 * last bytes are the result, not data: -i's counts leave them out.
 */
static int recv_to_eof(struct worker *w, char *buf, size_t len,
		       struct result *tail, uint64_t *bytes)
{
	uint64_t held = 0, keep = tail ? sizeof(*tail) : 0;
	size_t msg_off = 0;
	ssize_t n;

	*bytes = 0;
	for (;;) {
		n = recv_data(w, buf, len, &msg_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -io_errno();
		}
		if (n == 0)
			return 0;
		if (tail)
			keep_tail(tail, buf, (size_t)n);
		*bytes += (uint64_t)n;
		held += (uint64_t)n;
		if (held > keep) {
			account(w, -1, now_us(), 0, held - keep, 0);
			held = keep;
		}
	}
}

/* Room for a whole message: -l bytes, or the result (SOCK_SEQPACKET). */
static size_t rx_len(size_t len)
{
	return len > sizeof(struct result) ? len : sizeof(struct result);
}

static int64_t run_until(const struct worker *w)
{
	return w->start + w->dur_us;
}

/* --bidir's sending half, in a thread of its own; the client's ends with
 * SHUT_WR (SCTP: sctp_end), which ends the server's receiving half. */
static void *bulk_sender(void *arg)
{
	struct worker *w = arg;

	w->err = send_for(w, run_until(w));
	if (!opt.server) {
		/* SCTP's info is gone with the association: keep this one */
		sock_info(w->fd, &w->info);
		end_of_data(w);
	}
	return NULL;
}

static void result_decode(struct worker *w, const struct result *r)
{
	w->res.magic = ntohl(r->magic);
	w->res.bytes = be64toh(r->bytes);
	w->res.elapsed_us = be64toh(r->elapsed_us);
	w->res.retrans = be64toh(r->retrans);
}

static void client_bulk(struct worker *w)
{
	struct info in;
	struct result tail;
	pthread_t th;
	uint64_t got;
	int err;

	memset(&tail, 0, sizeof(tail));
	w->start = now_us();
	if (opt.bidir) {
		err = pthread_create(&th, NULL, bulk_sender, w);
		if (err)
			die(err, "pthread_create");
	} else {
		bulk_sender(w);
	}
	err = recv_to_eof(w, w->buf + w->buf_len, w->rx_len, &tail, &got);
	w->rev_elapsed = now_us() - w->start;
	if (opt.bidir)
		pthread_join(th, NULL);
	if (w->err)
		die_io(-w->err, "send");
	if (err)
		die_io(-err, "recv result");
	result_decode(w, &tail);
	if (got < sizeof(tail) || w->res.magic != PERF_MAGIC)
		die(EPROTO, "no result from the server");
	w->rev_bytes = got - sizeof(tail);
	sock_info(w->fd, &in);
	if (in.ok)
		w->info = in;
}

/* One request out, its response in, timed from @t0. */
static void transact(struct worker *w, int fd, int64_t t0, const char *out,
		     size_t out_len)
{
	size_t len = opt.msg_len;
	int64_t t1;
	int err;

	err = send_all(fd, out, out_len);
	if (err)
		die_io(-err, "send request");
	err = recv_all(fd, w->buf, len);
	if (err <= 0)
		die_io(err ? -err : EPIPE, "recv response");
	t1 = now_us();
	hist_add(&w->hist, (uint64_t)(t1 - t0));
	w->trans++;
	w->tx += len;
	w->rx += len;
	account(w, fd, t1, len, len, 1);
}

/* The request: after room for a hello, which crr sends along with it. */
static char *request(const struct worker *w)
{
	return w->buf + sizeof(struct hello);
}

/* SHUT_WR, then wait (up to -T) for the server's EOF, then close. */
static void finish(int fd)
{
	char buf[256];
	ssize_t n;

	shutdown(fd, SHUT_WR);
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n > 0 || (n < 0 && errno == EINTR));
	close(fd);
}

static void client_rr(struct worker *w)
{
	int64_t t;

	w->start = now_us();
	for (t = w->start; t < run_until(w); t = now_us())
		transact(w, w->fd, t, request(w), opt.msg_len);
	w->end = now_us();
	account_end(w, w->fd);
	sock_info(w->fd, &w->info);
}

/* connect, request (with the hello), response, close: per transaction. */
static void client_crr(struct worker *w)
{
	struct info in;
	int64_t t;
	int fd;

	w->start = now_us();
	for (t = w->start; t < run_until(w); t = now_us()) {
		fd = connect_peer();
		if (fd < 0)
			die_io(-fd, "connect");
		hello_fill((struct hello *)w->buf, M_CRR);
		if (opt.seqpacket) {
			send_hello(fd, M_CRR);
			transact(w, fd, t, request(w), opt.msg_len);
		} else {
			transact(w, fd, t, w->buf,
				 sizeof(struct hello) + opt.msg_len);
		}
		sock_info(fd, &in);
		w->info.ok |= in.ok;
		w->info.retrans += in.retrans;
		if (w->niv)	/* the interval's last connection */
			w->iv[interval_of(w, now_us())].info = in;
		close(fd);
	}
	w->end = now_us();
}

/* Kernel slab memory, bytes (/proc/meminfo Slab:), or -1. */
static int64_t slab_bytes(void)
{
	char line[128];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static int64_t mem_per_conn = -1;

/*
 * -P connections (the first already open), idle for a moment, then one
 * transaction on each in turn. The slab growth over opening them is the
 * memory per connection (both ends when the server is on this host).
 */
static void client_many(struct worker *w, int64_t slab0)
{
	int n = opt.parallel, i, fd;
	int *fds = calloc((size_t)n, sizeof(*fds));
	int64_t t, slab1;
	struct info in;

	if (!fds)
		die(ENOMEM, "calloc");
	fds[0] = w->fd;
	for (i = 1; i < n; i++) {
		fd = connect_peer();
		if (fd < 0)
			die_io(-fd, "connect");
		send_hello(fd, M_MANY);
		fds[i] = fd;
	}
	usleep(MANY_IDLE_US);
	slab1 = slab_bytes();
	if (slab0 >= 0 && slab1 >= slab0)
		mem_per_conn = (slab1 - slab0) / n;
	w->start = now_us();
	for (t = w->start, i = 0; t < run_until(w); t = now_us(), i = (i + 1) % n)
		transact(w, fds[i], t, request(w), opt.msg_len);
	w->end = now_us();
	account_end(w, fds[i]);
	for (i = 0; i < n; i++) {
		sock_info(fds[i], &in);
		w->info.ok |= in.ok;
		w->info.retrans += in.retrans;
		if (i)
			finish(fds[i]);
	}
	free(fds);
}

/* The server's side of bulk: count until EOF, then say so. */
static int serve_bulk(struct worker *w, bool bidir)
{
	struct result r;
	struct info in;
	pthread_t th;
	uint64_t got;
	int err;

	w->start = now_us();
	if (bidir) {
		err = pthread_create(&th, NULL, bulk_sender, w);
		if (err)
			return -err;
	}
	err = recv_to_eof(w, w->buf + w->buf_len, w->rx_len, NULL, &got);
	r.elapsed_us = htobe64((uint64_t)(now_us() - w->start));
	if (bidir)
		pthread_join(th, NULL);
	if (err || (err = w->err))
		return err;
	sock_info(w->fd, &in);
	r.magic = htonl(PERF_MAGIC);
	r.reserved = 0;
	r.bytes = htobe64(got);
	r.retrans = htobe64(in.retrans);
	return send_all(w->fd, &r, sizeof(r));
}

/* Echo -l byte requests until EOF. */
static int serve_rr(struct worker *w)
{
	int err;

	if (set_nodelay(w->fd))
		return -errno;
	for (;;) {
		err = recv_all(w->fd, w->buf, w->buf_len);
		if (err <= 0)
			return err;
		err = send_all(w->fd, w->buf, w->buf_len);
		if (err)
			return err;
	}
}

/* The hello: what to do, how long, how much; 1, 0 at EOF, -errno. */
static int serve_hello(struct worker *w, struct hello *h)
{
	int r = recv_all(w->fd, h, sizeof(*h));
	size_t len;

	if (r <= 0)
		return r;
	if (ntohl(h->magic) != PERF_MAGIC || h->version != PERF_VERSION ||
	    h->mode > M_MANY)
		return -EPROTO;
	len = ntohl(h->msg_len);
	if (!len || len > MAX_MSG)
		return -EMSGSIZE;
	h->cc[CC_LEN - 1] = '\0';
	if (set_cc(w->fd, h->cc))
		return -errno;
	w->dur_us = ntohl(h->duration_ms) * 1000LL;
	if (h->flags & F_BYTES) {
		w->limit = ntohl(h->duration_ms);
		w->dur_us = 0;
		if (!w->limit)
			return -EINVAL;
	}
	/* "many" turns to each connection only once in a round */
	if (h->mode == M_MANY &&
	    set_rcvtimeo(w->fd, opt.timeout_ms + MANY_IDLE_US / 1000 +
			 w->dur_us / 1000))
		return -errno;
	w->buf_len = len;
	w->rx_len = rx_len(len);
	w->buf = malloc(len + w->rx_len);
	return w->buf ? 1 : -ENOMEM;
}

static void *serve(void *arg)
{
	struct worker *w = arg;
	struct hello h = { .mode = 0xff };
	int err;

	err = serve_hello(w, &h);
	if (err > 0) {
		if (h.mode == M_BULK)
			err = serve_bulk(w, h.flags & F_BIDIR);
		else
			err = serve_rr(w);
	}
	if (err < 0)
		warn_err(-err, "connection %d (%s)", w->id,
			 err == -EPROTO ? "not a ternperf client" :
			 h.mode <= M_MANY ? mode_names[h.mode] : "?");
	else if (opt.verbose)
		fprintf(stderr, "%s: connection %d done\n", prog, w->id);
	close(w->fd);
	free(w->buf);
	free(w);
	return NULL;
}

static unsigned int port_number(void)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(opt.port, &end, 10);
	if (errno || *end || end == opt.port || v < 0 || v > 65535)
		die_usage("-p: bad port: %s", opt.port);
	return (unsigned int)v;
}

/* Every address of @family; AF_INET6 takes IPv4-mapped ones as well. */
static int listen_on(int family, unsigned int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int fd = proto_socket(family), on = 1, off = 0;

	if (fd < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		sin->sin_port = htons((uint16_t)port);
	else
		sin6->sin6_port = htons((uint16_t)port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    (family == AF_INET6 && opt.family == AF_UNSPEC &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) ||
	    bind(fd, (struct sockaddr *)&ss, family == AF_INET ?
		 sizeof(*sin) : sizeof(*sin6)) ||
	    listen(fd, 4096)) {
		on = errno;
		close(fd);
		return -on;
	}
	return fd;
}

static unsigned int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* One thread per connection (small stacks: "many" opens thousands). */
static void spawn_server_thread(int fd, int id)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_attr_t attr;
	pthread_t th;
	int err = w ? 0 : ENOMEM;

	if (!err && set_timeouts(fd))
		err = errno;
	if (!err) {
		w->fd = fd;
		w->id = id;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 << 10);
		err = pthread_create(&th, &attr, serve, w);
		pthread_attr_destroy(&attr);
	}
	if (err) {
		warn_err(err, "connection %d", id);
		close(fd);
		free(w);
	}
}

static void __attribute__((noreturn)) server(void)
{
	int family = opt.family == AF_INET ? AF_INET : AF_INET6;
	int lfd = listen_on(family, port_number()), fd, id = 0;

	if (lfd == -EAFNOSUPPORT && opt.family == AF_UNSPEC)
		lfd = listen_on(AF_INET, port_number());
	if (lfd < 0)
		die(-lfd, "listen on port %s (%s)", opt.port,
		    proto_names[opt.proto]);
	printf("%s: %s server listening on port %u\n", prog,
	       proto_names[opt.proto], bound_port(lfd));
	fflush(stdout);
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			spawn_server_thread(fd, ++id);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		warn_err(errno, "accept");
		/* EMFILE, ENOBUFS: give the connections time to end */
		usleep(100000);
	}
}

/* ---- the report */

struct total {
	double secs;			/* the client's, longest connection */
	uint64_t tx, rx, trans;
	uint64_t peer_bytes;		/* bytes of ours the server got */
	double peer_secs;
	uint64_t rev_bytes;		/* --bidir */
	double rev_secs;
	double done_secs;		/* bulk: until the server's EOF */
	bool has_info;
	uint64_t retrans;
	struct hist hist;
	struct sample *iv;		/* summed over the workers */
	size_t niv;
	unsigned int *iv_ok;		/* workers whose info each has */
};

static struct total tot;

static double fmax2(double a, double b)
{
	return a > b ? a : b;
}

static void total_intervals(const struct worker *w)
{
	size_t i;

	for (i = 0; i < w->niv && i < tot.niv; i++) {
		tot.iv[i].tx += w->iv[i].tx;
		tot.iv[i].rx += w->iv[i].rx;
		tot.iv[i].trans += w->iv[i].trans;
		if (!w->iv[i].info.ok)
			continue;
		tot.iv[i].info.ok = true;
		tot.iv[i].info.cwnd += w->iv[i].info.cwnd;
		tot.iv[i].info.rtt_us += w->iv[i].info.rtt_us;
		tot.iv[i].info.retrans += w->iv[i].info.retrans;
		tot.iv_ok[i]++;
	}
}

static void total_add(const struct worker *w)
{
	tot.secs = fmax2(tot.secs, (w->end - w->start) / 1e6);
	tot.tx += w->tx;
	tot.rx += w->rx;
	tot.trans += w->trans;
	if (opt.mode == M_BULK) {
		tot.peer_bytes += w->res.bytes;
		tot.peer_secs = fmax2(tot.peer_secs, w->res.elapsed_us / 1e6);
		tot.rev_bytes += w->rev_bytes;
		tot.rev_secs = fmax2(tot.rev_secs, w->rev_elapsed / 1e6);
		tot.done_secs = fmax2(tot.done_secs, w->rev_elapsed / 1e6);
		tot.retrans += w->res.retrans;
	} else {
		tot.peer_bytes += w->tx;
		tot.peer_secs = tot.secs;
	}
	tot.has_info |= w->info.ok;
	tot.retrans += w->info.retrans;
	hist_merge(&tot.hist, &w->hist);
	total_intervals(w);
}

static double mbit(uint64_t bytes, double secs)
{
	return secs > 0 ? bytes * 8 / secs / 1e6 : 0;
}

static double per_s(uint64_t n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

/* Interval @i: its start and end in seconds (the last one may be short). */
static void iv_times(size_t i, double *a, double *b)
{
	*a = i * opt.interval;
	*b = (i + 1) * opt.interval;
	if (*b > tot.secs && tot.secs > *a)
		*b = tot.secs;
}

/* Retransmits in interval @i (the sampled totals are cumulative); only
 * where the same sockets are sampled throughout (bulk, rr). */
static bool iv_retrans(size_t i, uint64_t *r)
{
	uint64_t prev = i ? tot.iv[i - 1].info.retrans : 0;

	if (!tot.iv[i].info.ok || (opt.mode != M_BULK && opt.mode != M_RR) ||
	    (i && !tot.iv[i - 1].info.ok))
		return false;
	*r = tot.iv[i].info.retrans >= prev ? tot.iv[i].info.retrans - prev : 0;
	return true;
}

static const char *family_name(void)
{
	return peer.ss_family == AF_INET6 ? "ipv6" : "ipv4";
}

static void print_intervals_table(void)
{
	double a, b;
	uint64_t r;
	size_t i;

	if (!tot.niv)
		return;
	printf("%-13s %14s %10s %10s %6s %10s %8s\n", "interval_s",
	       "bytes_sent", "Mbit/s", "trans/s", "retr", "cwnd", "rtt_us");
	for (i = 0; i < tot.niv; i++) {
		iv_times(i, &a, &b);
		printf("%6.2f-%-6.2f %14llu %10.2f %10.0f ", a, b,
		       (unsigned long long)tot.iv[i].tx,
		       mbit(tot.iv[i].tx, b - a), per_s(tot.iv[i].trans, b - a));
		if (iv_retrans(i, &r))
			printf("%6llu ", (unsigned long long)r);
		else
			printf("%6s ", "-");
		if (tot.iv[i].info.ok)
			printf("%10llu %8llu\n",
			       (unsigned long long)tot.iv[i].info.cwnd,
			       (unsigned long long)(tot.iv[i].info.rtt_us /
						    tot.iv_ok[i]));
		else
			printf("%10s %8s\n", "-", "-");
	}
}

static void print_table(void)
{
	const struct hist *h = &tot.hist;
	bool lat = opt.mode != M_BULK;

	print_intervals_table();
	printf("%-5s %-4s %-4s %5s %8s %14s %10s %10s %8s %8s %8s %6s\n",
	       "proto", "mode", "dir", "conns", "seconds", "bytes", "Mbit/s",
	       opt.mode == M_CRR ? "conns/s" : "trans/s", "p50_us", "p90_us",
	       "p99_us", "retr");
	printf("%-5s %-4s %-4s %5d %8.2f %14llu %10.2f ", proto_names[opt.proto],
	       mode_names[opt.mode], "send", opt.parallel, tot.peer_secs,
	       (unsigned long long)tot.peer_bytes,
	       mbit(tot.peer_bytes, tot.peer_secs));
	if (lat)
		printf("%10.0f %8llu %8llu %8llu ", per_s(tot.trans, tot.secs),
		       (unsigned long long)hist_pct(h, 50),
		       (unsigned long long)hist_pct(h, 90),
		       (unsigned long long)hist_pct(h, 99));
	else
		printf("%10s %8s %8s %8s ", "-", "-", "-", "-");
	if (tot.has_info)
		printf("%6llu\n", (unsigned long long)tot.retrans);
	else
		printf("%6s\n", "-");
	if (opt.bidir)
		printf("%-5s %-4s %-4s %5d %8.2f %14llu %10.2f\n",
		       proto_names[opt.proto], mode_names[opt.mode], "recv",
		       opt.parallel, tot.rev_secs,
		       (unsigned long long)tot.rev_bytes,
		       mbit(tot.rev_bytes, tot.rev_secs));
	if (opt.mode == M_MANY && mem_per_conn < 0)
		printf("memory per connection: unknown (no /proc/meminfo)\n");
	else if (opt.mode == M_MANY)
		printf("memory per connection: %lld bytes of kernel slab (both ends if the server is local)\n",
		       (long long)mem_per_conn);
}

/* "key": number or null, for the JSON object's stable set of keys. */
static void j_u64(const char *key, bool ok, uint64_t v, bool more)
{
	if (ok)
		printf("\"%s\":%llu%s", key, (unsigned long long)v, more ? "," : "");
	else
		printf("\"%s\":null%s", key, more ? "," : "");
}

static void j_num(const char *key, bool ok, double v, bool more)
{
	if (ok)
		printf("\"%s\":%.3f%s", key, v, more ? "," : "");
	else
		printf("\"%s\":null%s", key, more ? "," : "");
}

static void json_intervals(void)
{
	double a, b;
	uint64_t r = 0;
	size_t i;
	bool ok;

	printf("\"intervals\":[");
	for (i = 0; i < tot.niv; i++) {
		iv_times(i, &a, &b);
		ok = tot.iv[i].info.ok;
		printf("%s{", i ? "," : "");
		j_num("start", true, a, true);
		j_num("end", true, b, true);
		j_u64("bytes_sent", true, tot.iv[i].tx, true);
		j_u64("bytes_received", true, tot.iv[i].rx, true);
		j_num("mbit_s", true, mbit(tot.iv[i].tx, b - a), true);
		j_u64("transactions", true, tot.iv[i].trans, true);
		j_num("trans_s", true, per_s(tot.iv[i].trans, b - a), true);
		j_u64("cwnd", ok, tot.iv[i].info.cwnd, true);
		j_u64("rtt_us", ok, ok ? tot.iv[i].info.rtt_us / tot.iv_ok[i] : 0,
		      true);
		ok = iv_retrans(i, &r);
		j_u64("retransmits", ok, r, false);
		printf("}");
	}
	printf("]");
}

static void json_latency(void)
{
	const struct hist *h = &tot.hist;

	if (opt.mode == M_BULK || !h->n) {
		printf("\"latency_us\":null,");
		return;
	}
	printf("\"latency_us\":{");
	j_u64("p50", true, hist_pct(h, 50), true);
	j_u64("p90", true, hist_pct(h, 90), true);
	j_u64("p99", true, hist_pct(h, 99), true);
	j_u64("min", true, h->min, true);
	j_u64("max", true, h->max, true);
	j_num("mean", true, (double)h->sum / h->n, false);
	printf("},");
}

static void print_json(void)
{
	bool rr = opt.mode != M_BULK;

	printf("{\"ternperf\":%d,\"proto\":\"%s\",\"mode\":\"%s\",\"family\":\"%s\",",
	       PERF_VERSION, proto_names[opt.proto], mode_names[opt.mode],
	       family_name());
	printf("\"seqpacket\":%s,\"bidir\":%s,", opt.seqpacket ? "true" : "false",
	       opt.bidir ? "true" : "false");
	if (opt.cc)	/* names are [a-z0-9_]: nothing to escape */
		printf("\"cc\":\"%s\",", opt.cc);
	else
		printf("\"cc\":null,");
	j_u64("connections", true, (uint64_t)opt.parallel, true);
	j_u64("msg_len", true, opt.msg_len, true);
	j_num("duration", true, opt.duration, true);
	j_num("seconds", true, tot.secs, true);
	j_u64("bytes_sent", true, tot.tx, true);
	j_u64("bytes_received", true, tot.peer_bytes, true);
	j_num("mbit_s", true, mbit(tot.peer_bytes, tot.peer_secs), true);
	j_u64("reverse_bytes", opt.bidir, tot.rev_bytes, true);
	j_num("reverse_mbit_s", opt.bidir, mbit(tot.rev_bytes, tot.rev_secs), true);
	j_u64("transactions", rr, tot.trans, true);
	j_num("trans_s", rr, per_s(tot.trans, tot.secs), true);
	j_num("conns_s", opt.mode == M_CRR, per_s(tot.trans, tot.secs), true);
	j_num("completion_s", opt.mode == M_BULK, tot.done_secs, true);
	json_latency();
	j_u64("retransmits", tot.has_info, tot.retrans, true);
	j_u64("mem_per_conn_bytes", mem_per_conn >= 0, (uint64_t)mem_per_conn,
	      true);
	json_intervals();
	printf("}\n");
}

/* ---- the client */

static void worker_init(struct worker *w, int id)
{
	size_t len = opt.msg_len;

	w->id = id;
	w->fd = -1;
	w->dur_us = (int64_t)(opt.duration * 1e6);
	w->limit = opt.mode == M_BULK ? opt.bytes : 0;
	w->buf_len = len;
	w->rx_len = rx_len(len);
	w->buf = calloc(1, sizeof(struct hello) + len + w->rx_len);
	w->niv = n_intervals();
	w->iv = w->niv ? calloc(w->niv, sizeof(*w->iv)) : NULL;
	if (!w->buf || (w->niv && !w->iv))
		die(ENOMEM, "calloc");
}

static void *client_thread(void *arg)
{
	struct worker *w = arg;

	if (opt.mode == M_BULK)
		client_bulk(w);
	else if (opt.mode == M_RR)
		client_rr(w);
	else
		client_crr(w);
	return NULL;
}

/* Connect every worker's connection first, then run them together. */
static void run_workers(struct worker *ws, int n)
{
	int i, err;

	for (i = 0; i < n; i++) {
		if (opt.mode == M_CRR)
			continue;
		ws[i].fd = i ? connect_peer() : ws[0].fd;
		if (ws[i].fd < 0)
			die_io(-ws[i].fd, "connect");
		if (i)
			send_hello(ws[i].fd, opt.mode);
	}
	for (i = 0; i < n; i++) {
		err = pthread_create(&ws[i].thread, NULL, client_thread, &ws[i]);
		if (err)
			die(err, "pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].fd >= 0)
			finish(ws[i].fd);
	}
}

static void client(void)
{
	int n = opt.mode == M_MANY ? 1 : opt.parallel, i;
	struct worker *ws = calloc((size_t)n, sizeof(*ws));
	int64_t slab0 = slab_bytes();

	if (!ws)
		die(ENOMEM, "calloc");
	for (i = 0; i < n; i++)
		worker_init(&ws[i], i);
	ws[0].fd = connect_first();
	if (opt.mode == M_CRR) {
		close(ws[0].fd);	/* it found the address: no hello */
		ws[0].fd = -1;
	} else {
		send_hello(ws[0].fd, opt.mode);
	}
	if (opt.mode == M_MANY) {
		client_many(&ws[0], slab0);
		finish(ws[0].fd);
	} else {
		run_workers(ws, n);
	}
	tot.niv = n_intervals();
	tot.iv = tot.niv ? calloc(tot.niv, sizeof(*tot.iv)) : NULL;
	tot.iv_ok = tot.niv ? calloc(tot.niv, sizeof(*tot.iv_ok)) : NULL;
	if (tot.niv && (!tot.iv || !tot.iv_ok))
		die(ENOMEM, "calloc");
	for (i = 0; i < n; i++)
		total_add(&ws[i]);
	if (opt.json)
		print_json();
	else
		print_table();
}

/* ---- options */

static double seconds_arg(int o, const char *arg, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || end == arg || !(v >= min) || v > 86400)
		die_usage("-%c: bad number of seconds: %s", o, arg);
	return v;
}

static long long count_arg(int o, const char *arg, long long min,
			   long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || *end || end == arg || v < min || v > max)
		die_usage("-%c: not a number from %lld to %lld: %s", o, min, max,
			  arg);
	return v;
}

static int name_index(const char *const *names, int n, const char *what,
		      const char *arg)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], arg))
			return i;
	die_usage("%s: unknown: %s", what, arg);
}

static const char *cc_arg(const char *arg)
{
	size_t i, n = strlen(arg);

	if (!n || n >= CC_LEN)
		die_usage("--cc: bad name: %s", arg);
	for (i = 0; i < n; i++)
		if (!(arg[i] == '_' || arg[i] == '-' ||
		      (arg[i] >= 'a' && arg[i] <= 'z') ||
		      (arg[i] >= 'A' && arg[i] <= 'Z') ||
		      (arg[i] >= '0' && arg[i] <= '9')))
			die_usage("--cc: bad name: %s", arg);
	return arg;
}

enum { O_PROTO = 256, O_SEQPACKET, O_BIDIR, O_CC, O_JSON, O_HELP };

static const struct option long_opts[] = {
	{ "proto", required_argument, NULL, O_PROTO },
	{ "seqpacket", no_argument, NULL, O_SEQPACKET },
	{ "bidir", no_argument, NULL, O_BIDIR },
	{ "cc", required_argument, NULL, O_CC },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, O_HELP },
	{ "server", no_argument, NULL, 's' },
	{ "client", required_argument, NULL, 'c' },
	{ "port", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, 'm' },
	{ "time", required_argument, NULL, 't' },
	{ "bytes", required_argument, NULL, 'n' },
	{ "length", required_argument, NULL, 'l' },
	{ "parallel", required_argument, NULL, 'P' },
	{ "interval", required_argument, NULL, 'i' },
	{ "timeout", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

static void parse_long(int o, const char *arg)
{
	switch (o) {
	case O_PROTO:
		opt.proto = name_index(proto_names, 3, "--proto", arg);
		break;
	case O_SEQPACKET:
		opt.seqpacket = true;
		break;
	case O_BIDIR:
		opt.bidir = true;
		break;
	case O_CC:
		opt.cc = cc_arg(arg);
		break;
	case O_JSON:
		opt.json = true;
		break;
	case O_HELP:
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		exit(EXIT_USAGE);
	}
}

static void parse_one(int o, const char *arg)
{
	switch (o) {
	case '4':
		opt.family = AF_INET;
		break;
	case '6':
		opt.family = AF_INET6;
		break;
	case 's':
		opt.server = true;
		break;
	case 'c':
		opt.host = arg;
		break;
	case 'v':
		opt.verbose = true;
		break;
	case 'p':
		opt.port = arg;
		break;
	case 'm':
		opt.mode = name_index(mode_names, 4, "-m", arg);
		break;
	case 't':
		opt.duration = seconds_arg(o, arg, 0.001);
		break;
	case 'i':
		opt.interval = seconds_arg(o, arg, 0.01);
		break;
	case 'T':
		opt.timeout_ms = (int)(seconds_arg(o, arg, 0.001) * 1000);
		break;
	case 'n':
		opt.bytes = (uint64_t)count_arg(o, arg, 1, UINT32_MAX);
		break;
	case 'l':
		opt.msg_len = (size_t)count_arg(o, arg, 1, MAX_MSG);
		break;
	case 'P':
		opt.parallel = (int)count_arg(o, arg, 1, MAX_PARALLEL);
		break;
	default:
		parse_long(o, arg);
	}
}

/* What the options leave to the mode, and what makes no sense together. */
static void check_opts(void)
{
	if (opt.server == !!opt.host)
		die_usage("one of -s and -c host is needed (--help)");
	if (opt.seqpacket && opt.proto != P_TERN)
		die_usage("--seqpacket is for --proto tern only");
	if (opt.bidir && opt.mode != M_BULK)
		die_usage("--bidir is for -m bulk only");
	if (opt.bytes && opt.mode != M_BULK)
		die_usage("-n is for -m bulk only");
	if (!opt.msg_len)
		opt.msg_len = opt.mode == M_BULK ? BULK_LEN : 1;
	if (!opt.parallel)
		opt.parallel = opt.mode == M_MANY ? MANY_DEFAULT : 1;
}

/* "many" needs two descriptors a connection on one host. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	int o;

	while ((o = getopt_long(argc, argv, "46sc:vp:m:t:n:i:T:l:P:", long_opts,
				NULL)) != -1)
		parse_one(o, optarg);
	if (optind < argc)
		die_usage("unexpected argument: %s", argv[optind]);
	check_opts();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (opt.server)
		server();
	client();
	return 0;
}
