// SPDX-License-Identifier: GPL-2.0
/*
 * terncat: netcat for Tern (IP protocol 253), on libtern.
 *
 *   terncat [-46klsv] [-q seconds] [-w timeout] [host] port
 *
 * stdin goes to the socket and the socket to stdout; at EOF on stdin the
 * socket is shut down for writing (as OpenBSD nc -N), and terncat ends
 * once both directions are done. Options and exit codes are OpenBSD nc's:
 * 0 on success, 1 on an error, said on stderr with tern_strerror().
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tern/tern.h>

#define BUF_SIZE	65536

static const char *prog = "terncat";

static struct {
	int family;
	bool listen, keep, verbose;
	int type;
	int quit_ms;		/* -q: after EOF on stdin; < 0: never */
	int timeout_ms;		/* -w: connect and idle; < 0: none */
	const char *host, *port;
} opt = { .family = AF_UNSPEC, .type = SOCK_STREAM, .quit_ms = -1,
	  .timeout_ms = -1 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-46klsv] [-q seconds] [-w timeout] [host] port\n"
		"  -4, -6      IPv4 or IPv6 only\n"
		"  -l          listen for a connection instead of connecting\n"
		"  -k          with -l, accept the next one when one ends\n"
		"  -s          SOCK_SEQPACKET: each read of stdin is one message\n"
		"  -q seconds  after EOF on stdin, quit that long after\n"
		"  -w timeout  seconds to connect, and to stay idle\n"
		"  -v          say what happens on stderr\n", prog);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", tern_strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static int seconds_ms(int o, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v > INT_MAX / 1000 ||
	    v < INT_MIN / 1000)
		die(0, "-%c: bad number of seconds: %s", o, arg);
	return (int)v * 1000;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* One connection's state; stdin's is kept across -k's connections. */
struct conn {
	int fd;
	bool net_in;		/* the socket may still send us data */
	bool shut;		/* SHUT_WR done */
	char ibuf[BUF_SIZE];	/* from stdin, not yet sent */
	size_t ilen, ioff;
	void *obuf;		/* from the socket (tern_recv_msg's buffer) */
	size_t ocap;
};

static bool stdin_open = true;
static long long stdin_eof_at = -1;

static void read_stdin(struct conn *c)
{
	ssize_t n = read(STDIN_FILENO, c->ibuf, sizeof(c->ibuf));

	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		die(errno, "stdin");
	}
	if (n == 0) {
		stdin_open = false;
		stdin_eof_at = now_ms();
		return;
	}
	c->ilen = n;
	c->ioff = 0;
}

/* Without blocking, as the peer may be sending to us meanwhile. */
static void send_pending(struct conn *c)
{
	ssize_t n;

	if (opt.type == SOCK_SEQPACKET)
		n = tern_send_msg(c->fd, c->ibuf, c->ilen, MSG_DONTWAIT);
	else
		n = send(c->fd, c->ibuf + c->ioff, c->ilen - c->ioff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		/*
		 * A message goes whole or not at all: poll() may say
		 * writable while there is no room for this one yet.
		 */
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (opt.type == SOCK_SEQPACKET)
				usleep(1000);
			return;
		}
		if (errno == EINTR)
			return;
		die(errno, "send");
	}
	c->ioff += n;
	if (opt.type == SOCK_SEQPACKET || c->ioff == c->ilen)
		c->ilen = c->ioff = 0;
}

static void recv_some(struct conn *c)
{
	ssize_t n;

	if (opt.type == SOCK_SEQPACKET) {
		n = tern_recv_msg(c->fd, &c->obuf, &c->ocap, MSG_DONTWAIT);
	} else {
		if (!c->obuf) {
			c->obuf = malloc(BUF_SIZE);
			if (!c->obuf)
				die(ENOMEM, "recv");
			c->ocap = BUF_SIZE;
		}
		n = recv(c->fd, c->obuf, c->ocap, MSG_DONTWAIT);
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		die(errno, "recv");
	}
	if (n == 0) {
		c->net_in = false;
		return;
	}
	if (tern_send_all(STDOUT_FILENO, c->obuf, n) < 0)
		die(errno, "stdout");
}

/* Milliseconds poll() may wait: the idle timeout, -q's end. */
static int wait_ms(void)
{
	long long left;
	int ms = opt.timeout_ms;

	if (!stdin_open && opt.quit_ms >= 0) {
		left = stdin_eof_at + opt.quit_ms - now_ms();
		if (left < 0)
			left = 0;
		if (ms < 0 || left < ms)
			ms = (int)left;
	}
	return ms;
}

/* Move data both ways until both are done, -q's time, or idle for -w. */
static void relay(struct conn *c)
{
	struct pollfd pfd[2];
	int n;

	c->net_in = true;
	c->shut = false;
	c->ilen = c->ioff = 0;
	for (;;) {
		if (!stdin_open && !c->ilen && !c->shut) {
			if (shutdown(c->fd, SHUT_WR) && errno != ENOTCONN)
				die(errno, "shutdown");
			c->shut = true;
		}
		if (c->shut && !c->net_in)
			return;
		if (!stdin_open && opt.quit_ms >= 0 &&
		    now_ms() >= stdin_eof_at + opt.quit_ms)
			return;
		pfd[0].fd = stdin_open && !c->ilen ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->fd;
		pfd[1].events = (c->net_in ? POLLIN : 0) | (c->ilen ? POLLOUT : 0);
		if (!pfd[1].events)
			pfd[1].fd = -1;	/* else a hang-up wakes us forever */
		n = poll(pfd, 2, wait_ms());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(errno, "poll");
		}
		if (n == 0) {
			if (!stdin_open && opt.quit_ms >= 0)
				return;		/* -q's time is up */
			if (opt.verbose)
				fprintf(stderr, "%s: idle for %d s\n", prog,
					opt.timeout_ms / 1000);
			return;			/* -w: idle, as nc */
		}
		if (pfd[0].revents)
			read_stdin(c);
		if (c->net_in && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			recv_some(c);
		if (c->ilen && (pfd[1].revents & (POLLOUT | POLLHUP | POLLERR)))
			send_pending(c);
	}
}

static const char *peer_name(const struct sockaddr_storage *ss, socklen_t len,
			     char *buf, size_t size)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host),
			serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		return "?";
	snprintf(buf, size, "%s port %s", host, serv);
	return buf;
}

static void serve(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char name[NI_MAXHOST + NI_MAXSERV + 8];
	int lfd;

	lfd = tern_listen_host(opt.host, opt.port, opt.family, opt.type,
			       opt.keep ? 16 : 1, TERN_F_REUSEADDR);
	if (lfd < 0)
		die(errno, "listen on %s port %s", opt.host ? opt.host : "*",
		    opt.port);
	if (opt.verbose)
		fprintf(stderr, "%s: listening on %s port %s\n", prog,
			opt.host ? opt.host : "*", opt.port);
	do {
		len = sizeof(ss);
		c->fd = tern_accept_timeout(lfd, (struct sockaddr *)&ss, &len,
					    -1);
		if (c->fd < 0)
			die(errno, "accept");
		if (!opt.keep)
			close(lfd);	/* no one else, as nc */
		if (opt.verbose)
			fprintf(stderr, "%s: connection received from %s\n",
				prog, peer_name(&ss, len, name, sizeof(name)));
		relay(c);
		close(c->fd);
	} while (opt.keep);
}

static void client(struct conn *c)
{
	c->fd = tern_connect_host(opt.host, opt.port, opt.family, opt.type,
				  opt.timeout_ms, 0);
	if (c->fd < 0)
		die(errno, "connect to %s port %s", opt.host, opt.port);
	if (opt.verbose)
		fprintf(stderr, "%s: connected to %s port %s\n", prog,
			opt.host, opt.port);
	relay(c);
	close(c->fd);
}

int main(int argc, char **argv)
{
	static struct conn c;
	int o;

	while ((o = getopt(argc, argv, "46hklq:svw:")) != -1) {
		switch (o) {
		case '4':
			opt.family = AF_INET;
			break;
		case '6':
			opt.family = AF_INET6;
			break;
		case 'k':
			opt.keep = true;
			break;
		case 'l':
			opt.listen = true;
			break;
		case 'q':
			opt.quit_ms = seconds_ms(o, optarg);
			break;
		case 's':
			opt.type = SOCK_SEQPACKET;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'w':
			opt.timeout_ms = seconds_ms(o, optarg);
			if (opt.timeout_ms <= 0)
				die(0, "-w: the timeout must be positive");
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (opt.listen && argc == 1) {
		opt.port = argv[0];
	} else if (argc == 2) {
		opt.host = argv[0];
		opt.port = argv[1];
	} else {
		usage(stderr);
		return 1;
	}
	if (opt.keep && !opt.listen)
		die(0, "-k needs -l");
	if (opt.listen)
		serve(&c);
	else
		client(&c);
	free(c.obuf);
	return 0;
}
