// SPDX-License-Identifier: GPL-2.0
/*
 * tern_connect: one end of a two-way transfer, for transfer_test.sh.
 *
 *   tern_connect -l [options] [BIND_ADDR]	server: accept one connection
 *   tern_connect [options] ADDR		client: connect to ADDR
 *
 * Each side sends its input (-i, default stdin) and writes what it
 * receives to -o (default stdout), both directions at once. After its last
 * byte a side ends its direction with shutdown(SHUT_WR) and reads on until
 * the peer's end of data. Exit status 0 only if everything was sent, the
 * peer's data was received up to its end, and nothing failed; 1 on any
 * failure (with the reason on stderr), 2 on bad usage.
 *
 * SOCK_STREAM: send() and recv() sizes vary pseudo-randomly; nothing but
 * the bytes is checked (the caller compares the files).
 * SOCK_SEQPACKET: message sizes follow a pseudo-random sequence given by
 * the seed (-S, 1 to -M bytes); the last message may be shorter (the input
 * ran out). The receiver checks every message against the same sequence
 * and fails on a size that does not match, on a short message that is not
 * the last one, and on MSG_TRUNC. Both directions use the same sequence.
 *
 * Modes (-m):
 *   poll	one thread, non-blocking socket, poll(2) for both directions;
 *		connect() and accept() are non-blocking too
 *   blocking	a sender thread with blocking send(), recv() in the main one
 *   sendfile	as blocking, the sender uses sendfile(2) from the input (a
 *		regular file); SOCK_SEQPACKET: one sendfile() per message,
 *		which must send it whole. sendfile() hands the socket at
 *		most a pipe's worth of pages (16) per sendmsg(), with
 *		MSG_MORE on all but the last: a message over 61440 bytes
 *		may reach the protocol in two calls (SCTP makes two
 *		messages of them; transfer_test.sh stays under that)
 *
 * -w bounds the whole run (connection, transfer, close): after that many
 * seconds the tool says how far it got and exits 1.
 *
 * The protocol is Tern (253) unless -P says otherwise. TCP and SCTP are
 * there to validate the test itself against known-good transports. SCTP's
 * SOCK_SEQPACKET differs from what Tern offers in three ways, handled here
 * for SCTP only: its sockets are one-to-many (no accept(); the association
 * is peeled off into a socket of its own, on both sides), it has no
 * half-close (shutdown() does nothing; an SCTP SHUTDOWN ends both
 * directions), so a side ends its data with a one-byte message carrying
 * payload protocol id TC_EOF_PPID, and it delivers a large message in
 * pieces when the receive buffer is short (partial delivery; MSG_EOR marks
 * the last piece), which are joined before the size check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/sctp.h>
#include <linux/tern.h>

#define DEF_PORT	5253
#define DEF_WAIT	60		/* seconds */
#define DEF_MAXMSG	65536
#define STREAM_BUF	65536		/* stream send/recv buffer */
#define SENDFILE_MAX	(256 * 1024)	/* largest sendfile() count, stream */
#define TC_EOF_PPID	0x54454f46	/* "TEOF": SCTP end-of-data message */

enum mode { MODE_POLL, MODE_BLOCKING, MODE_SENDFILE };
static const char *const mode_names[] = { "poll", "blocking", "sendfile" };

static const char *prog = "tern_connect";
static const char *role = "client";

static struct {
	bool listen;
	int family;
	const char *addr;
	unsigned int port;
	int proto;
	int type;
	enum mode mode;
	const char *in, *out;
	int sndbuf, rcvbuf;
	unsigned int wait;
	uint64_t seed;
	size_t maxmsg;
	const char *ready;
	bool verbose;
	bool linger;
} cfg = {
	.port = DEF_PORT,
	.proto = IPPROTO_TERN,
	.type = SOCK_STREAM,
	.mode = MODE_POLL,
	.wait = DEF_WAIT,
	.seed = 1,
	.maxmsg = DEF_MAXMSG,
};

/* Progress, also read by the SIGALRM handler. */
static volatile uint64_t st_sent, st_sent_msgs, st_rcvd, st_rcvd_msgs;
static volatile sig_atomic_t st_sent_end, st_rcvd_end;
static const char *volatile st_phase = "starting";

static void __attribute__((noreturn, format(printf, 2, 3)))
die_err(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", prog, role);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

#define die(...) die_err(0, __VA_ARGS__)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -l [options] [BIND_ADDR]   (server)\n"
		"       %s [options] ADDR             (client)\n"
		"  -4, -6           address family (default: that of ADDR, else IPv4)\n"
		"  -p PORT          port (default %d)\n"
		"  -P PROTO         tern, tcp, sctp or a number (default tern = %d)\n"
		"  -t TYPE          stream or seqpacket (default stream)\n"
		"  -m MODE          poll, blocking or sendfile (default poll)\n"
		"  -i FILE          data to send (default stdin)\n"
		"  -o FILE          where the peer's data goes (default stdout)\n"
		"  -s BYTES         SO_SNDBUF\n"
		"  -r BYTES         SO_RCVBUF\n"
		"  -w SECONDS       give up after this long (default %d)\n"
		"  -S SEED          seqpacket message size sequence seed (default 1)\n"
		"  -M BYTES         largest seqpacket message (default %d)\n"
		"  -L               close() waits until the peer has acknowledged\n"
		"                   everything (SO_LINGER, for the time -w leaves)\n"
		"  --ready FILE     server: create FILE once listening\n"
		"  -v               print socket details\n",
		prog, prog, DEF_PORT, IPPROTO_TERN, DEF_WAIT, DEF_MAXMSG);
}

/*
 * -L: close() returns once the peer has acknowledged all our data and our
 * end, so the socket keeps its full retransmission budget until then
 * instead of an orphan's shorter one. The alarm stays armed and fires
 * first: a close still waiting at the deadline is reported as a time out.
 */
static void linger_on_close(int fd)
{
	unsigned int left = alarm(0) ? : 1;	/* 0: under half a second */
	struct linger l = { .l_onoff = 1, .l_linger = left + 1 };

	alarm(left);
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		die_err(errno, "setsockopt(SO_LINGER, %d)", l.l_linger);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s: see %s --help\n", prog, prog);
	exit(2);
}

static unsigned long long number(int opt, const char *arg,
				 unsigned long long min, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (!*arg || *arg == '-' || errno || *end || v < min || v > max)
		bad_usage("-%c: '%s' is not a number from %llu to %llu",
			  opt, arg, min, max);
	return v;
}

/* The timeout, in async-signal-safe pieces. */
static size_t put_str(char *b, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		b[n++] = *s++;
	return n;
}

static size_t put_u64(char *b, size_t n, size_t cap, uint64_t v)
{
	char t[24];
	int i = 0;

	do {
		t[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i && n < cap)
		b[n++] = t[--i];
	return n;
}

static void on_alarm(int sig)
{
	char b[512];
	size_t n = 0, c = sizeof(b) - 1;

	(void)sig;
	n = put_str(b, n, c, prog);
	n = put_str(b, n, c, ": ");
	n = put_str(b, n, c, role);
	n = put_str(b, n, c, ": timed out after ");
	n = put_u64(b, n, c, cfg.wait);
	n = put_str(b, n, c, " s while ");
	n = put_str(b, n, c, st_phase);
	n = put_str(b, n, c, ": sent ");
	n = put_u64(b, n, c, st_sent);
	n = put_str(b, n, c, " bytes");
	if (cfg.type == SOCK_SEQPACKET) {
		n = put_str(b, n, c, " (");
		n = put_u64(b, n, c, st_sent_msgs);
		n = put_str(b, n, c, " messages)");
	}
	n = put_str(b, n, c, st_sent_end ? " and the end, received "
				      : " but not the end, received ");
	n = put_u64(b, n, c, st_rcvd);
	n = put_str(b, n, c, " bytes");
	if (cfg.type == SOCK_SEQPACKET) {
		n = put_str(b, n, c, " (");
		n = put_u64(b, n, c, st_rcvd_msgs);
		n = put_str(b, n, c, " messages)");
	}
	n = put_str(b, n, c, st_rcvd_end ? " and the end" : " but not the end");
	b[n++] = '\n';
	if (write(STDERR_FILENO, b, n) < 0)
		_exit(1);
	_exit(1);
}

/* splitmix64: the same numbers on both sides for the same seed */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rng_upto(struct rng *r, size_t max)	/* 1..max */
{
	return 1 + rng_next(r) % max;
}

static bool is_sctp(void)
{
	return cfg.proto == IPPROTO_SCTP;
}

static bool seqpacket(void)
{
	return cfg.type == SOCK_SEQPACKET;
}

static const char *proto_name(void)
{
	static char b[16];

	switch (cfg.proto) {
	case IPPROTO_TERN: return "tern";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_SCTP: return "sctp";
	}
	snprintf(b, sizeof(b), "%d", cfg.proto);
	return b;
}

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK))
		die_err(errno, "fcntl(O_NONBLOCK)");
}

static void set_bufs(int fd)
{
	if (cfg.sndbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg.sndbuf, sizeof(int)))
		die_err(errno, "setsockopt(SO_SNDBUF, %d)", cfg.sndbuf);
	if (cfg.rcvbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg.rcvbuf, sizeof(int)))
		die_err(errno, "setsockopt(SO_RCVBUF, %d)", cfg.rcvbuf);
}

/* Wait for events on fd; the alarm bounds it. */
static short wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&p, 1, -1);

		if (n > 0)
			return p.revents;
		if (n < 0 && errno != EINTR)
			die_err(errno, "poll");
	}
}

static int sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

static socklen_t make_addr(struct sockaddr_storage *ss, const char *addr)
{
	memset(ss, 0, sizeof(*ss));
	if (cfg.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg.port);
		if (addr && inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			bad_usage("'%s' is not an IPv6 address", addr);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg.port);
		if (addr && inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			bad_usage("'%s' is not an IPv4 address", addr);
		return sizeof(*s4);
	}
}

static int new_socket(void)
{
	int fd = socket(cfg.family, cfg.type | SOCK_CLOEXEC, cfg.proto);

	if (fd < 0)
		die_err(errno, "socket(%s, %s, %s)",
			cfg.family == AF_INET6 ? "AF_INET6" : "AF_INET",
			seqpacket() ? "SOCK_SEQPACKET" : "SOCK_STREAM",
			proto_name());
	set_bufs(fd);
	return fd;
}

/* SCTP only: see the top of the file. */
static void sctp_rcvinfo_on(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one)))
		die_err(errno, "setsockopt(SCTP_RECVRCVINFO)");
}

static int sctp_peel(int fd, sctp_assoc_t id)
{
	sctp_peeloff_arg_t arg = { .associd = id };
	socklen_t len = sizeof(arg);

	/* returns the new descriptor, also in arg.sd */
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_SOCKOPT_PEELOFF, &arg, &len) < 0)
		die_err(errno, "SCTP peeloff of association %d", id);
	close(fd);
	sctp_rcvinfo_on(arg.sd);
	set_bufs(arg.sd);
	return arg.sd;
}

static int sctp_accept(int lfd)
{
	union {
		union sctp_notification sn;
		char b[1024];
	} u;
	struct iovec iov = { .iov_base = &u, .iov_len = sizeof(u) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	for (;;) {
		ssize_t n;

		msg.msg_flags = 0;
		n = recvmsg(lfd, &msg, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_err(errno, "SCTP: waiting for an association");
		if (!(msg.msg_flags & MSG_NOTIFICATION))
			die("SCTP: data before the association came up");
		if (u.sn.sn_header.sn_type == SCTP_ASSOC_CHANGE &&
		    u.sn.sn_assoc_change.sac_state == SCTP_COMM_UP)
			return sctp_peel(lfd, u.sn.sn_assoc_change.sac_assoc_id);
	}
}

static int sctp_connect(int fd, const struct sockaddr_storage *ss,
			socklen_t len)
{
	union {
		struct sctp_assoc_ids ids;
		char b[sizeof(struct sctp_assoc_ids) + 8 * sizeof(sctp_assoc_t)];
	} a;
	socklen_t alen = sizeof(a);

	if (connect(fd, (const struct sockaddr *)ss, len))
		die_err(errno, "connect to %s port %u", cfg.addr, cfg.port);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_ID_LIST, &a, &alen))
		die_err(errno, "getsockopt(SCTP_GET_ASSOC_ID_LIST)");
	if (a.ids.gaids_number_of_ids != 1)
		die("SCTP: %u associations after connect, expected 1",
		    a.ids.gaids_number_of_ids);
	return sctp_peel(fd, a.ids.gaids_assoc_id[0]);
}

static int do_accept(void)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, cfg.addr);
	int one = 1, lfd, fd;

	lfd = new_socket();
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die_err(errno, "setsockopt(SO_REUSEADDR)");
	if (bind(lfd, (struct sockaddr *)&ss, len))
		die_err(errno, "bind to %s port %u",
			cfg.addr ? cfg.addr : "any", cfg.port);
	if (is_sctp() && seqpacket()) {
		struct sctp_event ev = {
			.se_assoc_id = SCTP_FUTURE_ASSOC,
			.se_type = SCTP_ASSOC_CHANGE,
			.se_on = 1,
		};

		if (setsockopt(lfd, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)))
			die_err(errno, "setsockopt(SCTP_EVENT)");
	}
	if (listen(lfd, 1))
		die_err(errno, "listen on port %u", cfg.port);
	if (cfg.ready) {
		int r = open(cfg.ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (r < 0)
			die_err(errno, "create %s", cfg.ready);
		close(r);
	}

	st_phase = "accepting";
	if (is_sctp() && seqpacket())
		return sctp_accept(lfd);
	if (cfg.mode == MODE_POLL) {
		set_nonblock(lfd, true);
		for (;;) {
			wait_fd(lfd, POLLIN);
			fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd >= 0)
				break;
			if (errno != EAGAIN && errno != EINTR)
				die_err(errno, "accept");
		}
	} else {
		do
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		while (fd < 0 && errno == EINTR);
		if (fd < 0)
			die_err(errno, "accept");
	}
	close(lfd);
	set_bufs(fd);
	return fd;
}

static int do_connect(void)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, cfg.addr);
	int fd = new_socket(), err;

	st_phase = "connecting";
	if (is_sctp() && seqpacket())
		return sctp_connect(fd, &ss, len);
	if (cfg.mode != MODE_POLL) {
		while (connect(fd, (struct sockaddr *)&ss, len)) {
			if (errno != EINTR)
				die_err(errno, "connect to %s port %u",
					cfg.addr, cfg.port);
		}
		return fd;
	}
	set_nonblock(fd, true);
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	if (errno != EINPROGRESS)
		die_err(errno, "connect to %s port %u", cfg.addr, cfg.port);
	wait_fd(fd, POLLOUT);
	err = sock_error(fd);
	if (err)
		die_err(err, "connect to %s port %u", cfg.addr, cfg.port);
	return fd;
}

struct sender {
	int fd, in;
	char *buf;
	size_t cap, off, len;
	bool in_end, done;
	struct rng msgs, chunks;
};

struct receiver {
	int fd, out;
	char *buf;
	size_t cap, partial;
	bool done;
	uint64_t short_msg;	/* number of a shorter-than-expected message */
	size_t short_len, short_want;
	struct rng msgs, chunks;
};

/* Read up to len bytes, fewer only at the end of the input. */
static size_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_err(errno, "reading the input");
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

static void write_full(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_err(errno, "writing the output");
		buf += n;
		len -= n;
	}
}

/* End our direction: shutdown(SHUT_WR), or SCTP's end message. */
static int send_end(int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(struct sctp_sndinfo))];
		struct cmsghdr align;
	} c;
	struct sctp_sndinfo *si;
	struct cmsghdr *cm;
	struct iovec iov = { .iov_base = "E", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &c, .msg_controllen = sizeof(c),
	};

	if (!is_sctp())
		return shutdown(fd, SHUT_WR);
	memset(&c, 0, sizeof(c));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_SCTP;
	cm->cmsg_type = SCTP_SNDINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(*si));
	si = (struct sctp_sndinfo *)CMSG_DATA(cm);
	si->snd_ppid = htonl(TC_EOF_PPID);
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static void sent_end(struct sender *s)
{
	s->done = true;
	st_sent_end = 1;
}

/*
 * One step of sending: refill from the input if needed, send some (a whole
 * message for seqpacket), or end the direction once the input is done.
 * False when the socket would block.
 */
static bool send_step(struct sender *s)
{
	ssize_t n;

	if (s->len == 0 && !s->in_end) {
		s->off = 0;
		if (seqpacket()) {
			s->len = read_full(s->in, s->buf,
					   rng_upto(&s->msgs, cfg.maxmsg));
		} else {
			do
				n = read(s->in, s->buf, s->cap);
			while (n < 0 && errno == EINTR);
			if (n < 0)
				die_err(errno, "reading the input");
			s->len = n;
		}
		if (s->len == 0)
			s->in_end = true;
	}
	if (s->len == 0) {
		if (send_end(s->fd)) {
			if (errno == EAGAIN || errno == EINTR)
				return false;
			die_err(errno, "ending the data (%s)",
				is_sctp() ? "SCTP end message" : "shutdown");
		}
		sent_end(s);
		return true;
	}
	if (seqpacket()) {
		n = send(s->fd, s->buf, s->len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return false;
		if (n < 0)
			die_err(errno, "send of message %" PRIu64 " (%zu bytes)",
				st_sent_msgs + 1, s->len);
		if ((size_t)n != s->len)
			die("send of message %" PRIu64 " sent %zd of %zu bytes",
			    st_sent_msgs + 1, n, s->len);
		st_sent += n;
		st_sent_msgs++;
		s->len = 0;
		return true;
	}
	n = send(s->fd, s->buf + s->off, rng_upto(&s->chunks, s->len),
		 MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n < 0)
		die_err(errno, "send after %" PRIu64 " bytes", st_sent);
	s->off += n;
	s->len -= n;
	st_sent += n;
	return true;
}

static void send_file(struct sender *s)
{
	struct stat st;

	if (fstat(s->in, &st))
		die_err(errno, "fstat of the input");
	if (!S_ISREG(st.st_mode))
		die("sendfile mode needs a regular file as input");
	for (;;) {
		uint64_t left = st.st_size - st_sent;
		size_t want;
		ssize_t n;

		if (!left)
			break;
		want = rng_upto(seqpacket() ? &s->msgs : &s->chunks,
				seqpacket() ? cfg.maxmsg : SENDFILE_MAX);
		if (want > left)
			want = left;
		n = sendfile(s->fd, s->in, NULL, want);
		if (n < 0 && errno == EINTR && !seqpacket())
			continue;
		if (n < 0)
			die_err(errno, "sendfile of %zu bytes after %" PRIu64,
				want, st_sent);
		if (n == 0)
			die("sendfile: the input ended early, after %" PRIu64
			    " of %jd bytes", st_sent, (intmax_t)st.st_size);
		if (seqpacket() && (size_t)n != want)
			die("sendfile of message %" PRIu64 " sent %zd of %zu bytes",
			    st_sent_msgs + 1, n, want);
		st_sent += n;
		if (seqpacket())
			st_sent_msgs++;
	}
	while (send_end(s->fd)) {
		if (errno != EINTR)
			die_err(errno, "ending the data (%s)",
				is_sctp() ? "SCTP end message" : "shutdown");
	}
	sent_end(s);
}

static void got_end(struct receiver *r)
{
	r->done = true;
	st_rcvd_end = 1;
}

static void check_msg(struct receiver *r, size_t len)
{
	uint64_t nr = st_rcvd_msgs + 1;
	size_t want = rng_upto(&r->msgs, cfg.maxmsg);

	if (r->short_msg)
		die("message %" PRIu64 " (%zu bytes) came after message %" PRIu64
		    " of %zu bytes where %zu were expected: only the last message may be short",
		    nr, len, r->short_msg, r->short_len, r->short_want);
	if (len > want)
		die("message %" PRIu64 " has %zu bytes, expected %zu (at most, if the last)",
		    nr, len, want);
	if (len < want) {
		r->short_msg = nr;
		r->short_len = len;
		r->short_want = want;
	}
}

/* One step of receiving; false when the socket would block. */
static bool recv_step(struct receiver *r)
{
	union {
		char b[CMSG_SPACE(sizeof(struct sctp_rcvinfo))];
		struct cmsghdr align;
	} c;
	struct iovec iov;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	struct cmsghdr *cm;
	uint32_t ppid = 0;
	size_t len;
	ssize_t n;

	if (!seqpacket()) {
		n = recv(r->fd, r->buf, rng_upto(&r->chunks, r->cap), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return false;
		if (n < 0)
			die_err(errno, "recv after %" PRIu64 " bytes", st_rcvd);
		if (n == 0) {
			got_end(r);
			return true;
		}
		write_full(r->out, r->buf, n);
		st_rcvd += n;
		return true;
	}

	iov.iov_base = r->buf + r->partial;
	iov.iov_len = r->cap - r->partial;
	if (is_sctp()) {
		msg.msg_control = &c;
		msg.msg_controllen = sizeof(c);
	}
	n = recvmsg(r->fd, &msg, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n < 0)
		die_err(errno, "recvmsg of message %" PRIu64, st_rcvd_msgs + 1);
	if (msg.msg_flags & MSG_TRUNC)
		die("message %" PRIu64 " truncated (MSG_TRUNC): more than %zu bytes",
		    st_rcvd_msgs + 1, r->cap - 1);
	if (!is_sctp()) {
		if (n == 0) {
			got_end(r);
			return true;
		}
		len = n;
	} else {
		if (msg.msg_flags & MSG_NOTIFICATION)
			return true;
		if (n == 0) {
			if (r->partial)
				die("SCTP: the association ended inside message %" PRIu64,
				    st_rcvd_msgs + 1);
			got_end(r);	/* without the end message: cmp will tell */
			return true;
		}
		r->partial += n;
		if (!(msg.msg_flags & MSG_EOR)) {
			if (r->partial == r->cap)
				die("message %" PRIu64 " has more than %zu bytes",
				    st_rcvd_msgs + 1, r->cap - 1);
			return true;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == IPPROTO_SCTP &&
			    cm->cmsg_type == SCTP_RCVINFO)
				ppid = ntohl(((struct sctp_rcvinfo *)CMSG_DATA(cm))->rcv_ppid);
		len = r->partial;
		r->partial = 0;
		if (ppid == TC_EOF_PPID) {
			got_end(r);
			return true;
		}
	}
	check_msg(r, len);
	write_full(r->out, r->buf, len);
	st_rcvd += len;
	st_rcvd_msgs++;
	return true;
}

static void run_poll(struct sender *s, struct receiver *r)
{
	struct pollfd p = { .fd = s->fd };
	int i, err;

	set_nonblock(s->fd, true);
	while (!s->done || !r->done) {
		p.events = (s->done ? 0 : POLLOUT) | (r->done ? 0 : POLLIN);
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die_err(errno, "poll");
		}
		if (p.revents & POLLNVAL)
			die("poll: POLLNVAL");
		if (p.revents & POLLERR) {
			err = sock_error(s->fd);
			if (err)
				die_err(err, "poll: socket error after sending %" PRIu64
					" and receiving %" PRIu64 " bytes",
					st_sent, st_rcvd);
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			for (i = 0; i < 16 && !r->done && recv_step(r); i++)
				;
		if (p.revents & (POLLOUT | POLLHUP | POLLERR))
			for (i = 0; i < 16 && !s->done && send_step(s); i++)
				;
	}
}

static void *sender_thread(void *arg)
{
	struct sender *s = arg;

	if (cfg.mode == MODE_SENDFILE)
		send_file(s);
	else
		while (!s->done)
			send_step(s);
	return NULL;
}

static void run_threads(struct sender *s, struct receiver *r)
{
	pthread_t t;
	int err;

	err = pthread_create(&t, NULL, sender_thread, s);
	if (err)
		die_err(err, "pthread_create");
	while (!r->done)
		recv_step(r);
	err = pthread_join(t, NULL);
	if (err)
		die_err(err, "pthread_join");
}

static void parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	while ((c = getopt_long(argc, argv, "l46p:P:t:m:i:o:s:r:w:S:M:Lvh",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg.listen = true;
			role = "server";
			break;
		case '4':
			cfg.family = AF_INET;
			break;
		case '6':
			cfg.family = AF_INET6;
			break;
		case 'p':
			cfg.port = number(c, optarg, 1, 65535);
			break;
		case 'P':
			if (!strcmp(optarg, "tern"))
				cfg.proto = IPPROTO_TERN;
			else if (!strcmp(optarg, "tcp"))
				cfg.proto = IPPROTO_TCP;
			else if (!strcmp(optarg, "sctp"))
				cfg.proto = IPPROTO_SCTP;
			else
				cfg.proto = number(c, optarg, 0, 255);
			break;
		case 't':
			if (!strcmp(optarg, "stream"))
				cfg.type = SOCK_STREAM;
			else if (!strcmp(optarg, "seqpacket"))
				cfg.type = SOCK_SEQPACKET;
			else
				bad_usage("-t: '%s' is not stream or seqpacket", optarg);
			break;
		case 'm':
			for (i = 0; i < 3; i++)
				if (!strcmp(optarg, mode_names[i]))
					break;
			if (i == 3)
				bad_usage("-m: '%s' is not poll, blocking or sendfile", optarg);
			cfg.mode = i;
			break;
		case 'i':
			cfg.in = optarg;
			break;
		case 'o':
			cfg.out = optarg;
			break;
		case 's':
			cfg.sndbuf = number(c, optarg, 1, INT32_MAX);
			break;
		case 'r':
			cfg.rcvbuf = number(c, optarg, 1, INT32_MAX);
			break;
		case 'w':
			cfg.wait = number(c, optarg, 1, 86400);
			break;
		case 'S':
			cfg.seed = number(c, optarg, 0, UINT64_MAX);
			break;
		case 'M':
			cfg.maxmsg = number(c, optarg, 1, 64 << 20);
			break;
		case 'R':
			cfg.ready = optarg;
			break;
		case 'L':
			cfg.linger = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		cfg.addr = argv[optind++];
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	if (!cfg.listen && !cfg.addr)
		bad_usage("a client needs the address to connect to");
	if (!cfg.family)
		cfg.family = cfg.addr && strchr(cfg.addr, ':') ? AF_INET6 : AF_INET;
}

static int open_file(const char *path, int flags, int std)
{
	int fd;

	if (!path || !strcmp(path, "-"))
		return std;
	fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		die_err(errno, "open %s", path);
	return fd;
}

static void print_bufs(int fd)
{
	int snd = 0, rcv = 0;
	socklen_t len = sizeof(int);

	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len);
	fprintf(stderr, "%s: %s: %s %s %s, %s mode, SO_SNDBUF %d, SO_RCVBUF %d\n",
		prog, role, proto_name(),
		cfg.family == AF_INET6 ? "IPv6" : "IPv4",
		seqpacket() ? "seqpacket" : "stream", mode_names[cfg.mode],
		snd, rcv);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct sender s = { 0 };
	struct receiver r = { 0 };
	int fd;

	parse_opts(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGALRM, &sa, NULL);
	alarm(cfg.wait);

	s.in = open_file(cfg.in, O_RDONLY, STDIN_FILENO);
	r.out = open_file(cfg.out, O_WRONLY | O_CREAT | O_TRUNC, STDOUT_FILENO);
	s.cap = seqpacket() ? cfg.maxmsg : STREAM_BUF;
	r.cap = seqpacket() ? cfg.maxmsg + 1 : STREAM_BUF;
	s.buf = malloc(s.cap);
	r.buf = malloc(r.cap);
	if (!s.buf || !r.buf)
		die_err(ENOMEM, "buffers");
	s.msgs.s = r.msgs.s = cfg.seed;
	s.chunks.s = cfg.seed ^ 0x5e4d;
	r.chunks.s = cfg.seed ^ 0x7ec5;

	fd = cfg.listen ? do_accept() : do_connect();
	s.fd = r.fd = fd;
	if (cfg.verbose)
		print_bufs(fd);

	st_phase = "transferring";
	if (cfg.mode == MODE_POLL)
		run_poll(&s, &r);
	else
		run_threads(&s, &r);

	st_phase = "closing";
	if (cfg.linger)
		linger_on_close(fd);
	if (close(fd))
		die_err(errno, "close of the socket");
	if (r.out != STDOUT_FILENO && close(r.out))
		die_err(errno, "close of the output");
	alarm(0);

	if (seqpacket())
		fprintf(stderr, "%s: %s: sent %" PRIu64 " bytes in %" PRIu64
			" messages, received %" PRIu64 " bytes in %" PRIu64 " messages\n",
			prog, role, st_sent, st_sent_msgs, st_rcvd, st_rcvd_msgs);
	else
		fprintf(stderr, "%s: %s: sent %" PRIu64 " bytes, received %" PRIu64
			" bytes\n", prog, role, st_sent, st_rcvd);
	return 0;
}
