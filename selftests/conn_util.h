/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern selftests: helpers for connection tests (connect_test.c). Plain C,
 * no harness, on top of tern_test.h and libtern (<tern/tern.h>: Tern's
 * sockets are made, connected and tuned through the library, so every
 * test exercises it): every helper returns a value or -errno and leaves
 * the asserting to the caller.
 *
 *   addresses, sockets      ct_loopback(), ct_addr(), ct_listener(),
 *                           ct_connect_to(), ct_port_of()
 *   waiting                 ct_now_ms(), ct_poll(), ct_wait_events(),
 *                           ct_set_timeo()
 *   options                 ct_set_int(), ct_get_int()
 *   data                    ct_fill(), ct_check(), ct_send_pattern(),
 *                           ct_recv_pattern()
 *   signals                 ct_signals_init(), ct_sigpipe_taken()
 *   the namespace           ct_sysctl_write(), ct_sh(), ct_counter()
 */
#ifndef _CONN_UTIL_H
#define _CONN_UTIL_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "tern_test.h"

/* Addresses of the tests: loopback, and a silent peer on a veth link. */
#define CT_LO4		"127.0.0.1"
#define CT_LO6		"::1"
#define CT_MAPPED_LO	"::ffff:127.0.0.1"
#define CT_SILENT4	"192.0.2.2"
#define CT_SILENT6	"2001:db8::2"

static inline const char *ct_loopback(int family)
{
	return family == AF_INET ? CT_LO4 : CT_LO6;
}

static inline long long ct_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* addr:port into *ss; the length, 0 for a bad address. */
static inline socklen_t ct_addr(struct sockaddr_storage *ss, int family,
				const char *addr, unsigned short port)
{
	return tern_sockaddr(ss, family, addr, port);
}

/* The local (peer = 0) or remote port of fd, or -errno. */
static inline int ct_port_of(int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int ret;

	memset(&ss, 0, sizeof(ss));
	ret = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		     getsockname(fd, (struct sockaddr *)&ss, &len);
	if (ret)
		return -errno;
	return tern_sockaddr_port(&ss);
}

/* A port as getaddrinfo()'s service, for libtern. */
static inline const char *ct_service(char buf[8], unsigned short port)
{
	snprintf(buf, 8, "%u", port);
	return buf;
}

/*
 * A listening socket bound to addr:port (port 0: any), with SO_REUSEADDR
 * when reuse is set. fd, or -errno; *portp gets the port. Tern's through
 * libtern (tern_listen_host()), the TCP reference's by hand.
 */
static inline int ct_listener(int family, int type, int protocol,
			      const char *addr, unsigned short port,
			      int backlog, int reuse, int *portp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char serv[8];
	int fd, err;

	if (portp)
		*portp = 0;	/* on failure too: errno's sign is unknown to GCC */
	if (protocol == IPPROTO_TERN) {
		fd = tern_listen_host(addr, ct_service(serv, port), family, type,
				      backlog, reuse ? TERN_F_REUSEADDR : 0);
		if (fd < 0)
			return errno == ENOENT ? -EINVAL : -errno;
		goto out;
	}
	len = ct_addr(&ss, family, addr, port);
	if (!len)
		return -EINVAL;
	fd = socket(family, type, protocol);
	if (fd < 0)
		return -errno;
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse,
				sizeof(reuse)))
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog))
		goto fail;
out:
	if (portp)
		*portp = ct_port_of(fd, 0);
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* connect() of fd to addr:port: 0 or the errno (positive). */
static inline int ct_connect_fd(int fd, int family, const char *addr,
				unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len = ct_addr(&ss, family, addr, port);

	if (!len)
		return EFAULT;
	return connect(fd, (struct sockaddr *)&ss, len) ? errno : 0;
}

/*
 * A new socket connected (blocking) to addr:port: fd, or -errno. Tern's
 * through libtern (tern_connect_host()), the TCP reference's by hand.
 */
static inline int ct_connect_to(int family, int type, int protocol,
				const char *addr, unsigned short port)
{
	char serv[8];
	int fd, err;

	if (protocol == IPPROTO_TERN) {
		fd = tern_connect_host(addr, ct_service(serv, port), family,
				       type, -1, 0);
		if (fd < 0)
			return errno == ENOENT ? -EFAULT : -errno;
		return fd;
	}
	fd = socket(family, type, protocol);
	if (fd < 0)
		return -errno;
	err = ct_connect_fd(fd, family, addr, port);
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

/* setsockopt() of an int: 0 or the errno; SOL_TERN's through libtern. */
static inline int ct_set_int(int fd, int level, int name, int val)
{
	int ret;

	switch (level == SOL_TERN ? name : -1) {
	case TERN_NODELAY:
		ret = tern_set_nodelay(fd, val);
		break;
	case TERN_MAXSEG:
		ret = tern_set_maxseg(fd, val);
		break;
	case TERN_KEEPIDLE:
		ret = tern_set_keepidle(fd, val);
		break;
	case TERN_KEEPINTVL:
		ret = tern_set_keepintvl(fd, val);
		break;
	case TERN_KEEPCNT:
		ret = tern_set_keepcnt(fd, val);
		break;
	case TERN_SYNCNT:
		ret = tern_set_syncnt(fd, val);
		break;
	case TERN_USER_TIMEOUT:
		ret = tern_set_user_timeout(fd, (unsigned int)val);
		break;
	default:
		ret = setsockopt(fd, level, name, &val, sizeof(val));
	}
	return ret ? errno : 0;
}

/* An int option's value, or -errno; SOL_TERN's through libtern. */
static inline int ct_get_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	unsigned int uval;
	int val = -1, ret;

	switch (level == SOL_TERN ? name : -1) {
	case TERN_NODELAY:
		ret = tern_get_nodelay(fd, &val);
		break;
	case TERN_MAXSEG:
		ret = tern_get_maxseg(fd, &val);
		break;
	case TERN_KEEPIDLE:
		ret = tern_get_keepidle(fd, &val);
		break;
	case TERN_KEEPINTVL:
		ret = tern_get_keepintvl(fd, &val);
		break;
	case TERN_KEEPCNT:
		ret = tern_get_keepcnt(fd, &val);
		break;
	case TERN_SYNCNT:
		ret = tern_get_syncnt(fd, &val);
		break;
	case TERN_USER_TIMEOUT:
		ret = tern_get_user_timeout(fd, &uval);
		val = (int)uval;
		break;
	default:
		ret = getsockopt(fd, level, name, &val, &len);
	}
	return ret ? -errno : val;
}

/* SO_RCVTIMEO or SO_SNDTIMEO in milliseconds. */
static inline int ct_set_timeo(int fd, int name, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)) ? errno : 0;
}

static inline int ct_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) ? errno : 0;
}

/* revents of fd for events after at most timeout_ms, or -errno. */
static inline int ct_poll(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? pfd.revents : 0;
}

/* Every event poll() can report, for exact comparisons. */
#define CT_ALL_EVENTS	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | \
			 POLLWRNORM | POLLWRBAND | POLLMSG | POLLRDHUP)

/*
 * Wait at most timeout_ms until every bit of want is in fd's revents
 * (polled for every event). The last revents either way, or -errno.
 */
static inline int ct_wait_events(int fd, int want, int timeout_ms)
{
	long long end = ct_now_ms() + timeout_ms;
	int ev;

	for (;;) {
		ev = ct_poll(fd, CT_ALL_EVENTS, 0);
		if (ev < 0 || (ev & want) == want || ct_now_ms() >= end)
			return ev;
		tern_msleep(5);
	}
}

/* The pattern of the data tests: byte i of a stream seeded seed. */
static inline unsigned char ct_byte(size_t i, unsigned int seed)
{
	return (unsigned char)(i * 7 + (i >> 9) * 13 + seed);
}

static inline void ct_fill(void *buf, size_t len, size_t off, unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = ct_byte(off + i, seed);
}

/* Offset of the first byte off the pattern, or -1 when all match. */
static inline long ct_check(const void *buf, size_t len, size_t off,
			    unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ct_byte(off + i, seed))
			return (long)i;
	return -1;
}

/*
 * Send len bytes of the pattern (from offset off), in messages of at most
 * chunk bytes (SOCK_SEQPACKET keeps each one whole). Bytes sent, or
 * -errno when nothing could be.
 */
static inline ssize_t ct_send_pattern(int fd, size_t len, size_t off,
				      unsigned int seed, size_t chunk)
{
	static __thread unsigned char buf[65536];
	size_t done = 0;

	if (chunk > sizeof(buf))
		chunk = sizeof(buf);
	while (done < len) {
		size_t n = len - done < chunk ? len - done : chunk;
		ssize_t r;

		ct_fill(buf, n, off + done, seed);
		r = send(fd, buf, n, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -errno;
		}
		done += r;	/* after a partial send the pattern goes on */
	}
	return done;
}

/*
 * Receive len bytes and check them against the pattern. Bytes received
 * (fewer at EOF or an error after some), -EBADMSG when the data is wrong,
 * or -errno when nothing came.
 */
static inline ssize_t ct_recv_pattern(int fd, size_t len, size_t off,
				      unsigned int seed)
{
	static __thread unsigned char buf[65536];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t r = recv(fd, buf, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -errno;
		}
		if (r == 0)
			break;
		if (ct_check(buf, r, off + done, seed) >= 0)
			return -EBADMSG;
		done += r;
	}
	return done;
}

/* One direction of a transfer, for a thread. */
struct ct_xfer {
	int fd;
	int send;		/* 1: send, 0: receive */
	size_t len;
	unsigned int seed;
	size_t chunk;		/* send: message size */
	int shut;		/* send: shutdown(SHUT_WR) afterwards */
	ssize_t result;
	pthread_t thread;
};

static inline void *ct_xfer_run(void *arg)
{
	struct ct_xfer *x = arg;

	if (x->send) {
		x->result = ct_send_pattern(x->fd, x->len, 0, x->seed, x->chunk);
		if (x->shut)
			shutdown(x->fd, SHUT_WR);
	} else {
		x->result = ct_recv_pattern(x->fd, x->len, 0, x->seed);
	}
	return NULL;
}

static inline int ct_xfer_start(struct ct_xfer *x)
{
	return pthread_create(&x->thread, NULL, ct_xfer_run, x);
}

static inline void ct_xfer_join(struct ct_xfer *x)
{
	pthread_join(x->thread, NULL);
}

/*
 * Signals: SIGPIPE blocked, so a test sees whether one was sent; SIGALRM
 * caught without SA_RESTART, so alarm() interrupts a blocking call with
 * EINTR instead of killing the test.
 */
static inline void ct_alarm_handler(int sig)
{
	(void)sig;
}

static inline int ct_signals_init(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ct_alarm_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	return pthread_sigmask(SIG_BLOCK, &set, NULL) ? -EINVAL : 0;
}

/* Was a SIGPIPE sent to this thread (or process)? Takes it: 1 or 0. */
static inline int ct_sigpipe_taken(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	return sigtimedwait(&set, NULL, &zero) == SIGPIPE;
}

/* A short ITIMER_REAL (alarm() with milliseconds); 0 stops it. */
static inline void ct_alarm_ms(int ms)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Write a sysctl of the calling thread's namespace: 0 or -errno. */
static inline int ct_sysctl_write(const char *path, const char *fmt, ...)
{
	char val[64];
	va_list ap;
	int fd, ret = 0;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n != (ssize_t)strlen(val))
		ret = n < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

/*
 * Run a shell command (quiet unless it fails); its exit status, or -1
 * when it could not run or was killed.
 */
static inline int ct_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	st = system(cmd);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	if (WEXITSTATUS(st))
		fprintf(stderr, "# command failed (%d): %s\n", WEXITSTATUS(st), cmd);
	return WEXITSTATUS(st);
}

/*
 * A counter of /proc/net/tern/snmp by name (any counter, not only those
 * tern_test.h knows), or -errno.
 */
static inline long long ct_counter(const char *name)
{
	char line[256], n[128];
	unsigned long long v;
	long long ret = -ENOENT;
	FILE *f;

	f = fopen(TERN_SNMP_PATH, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %llu", n, &v) == 2 && !strcmp(n, name)) {
			ret = (long long)v;
			break;
		}
	fclose(f);
	return ret;
}

/* In-use count of two /proc/net/protocols entries (IPv4 plus IPv6). */
static inline long ct_inuse(const char *name4, const char *name6)
{
	long a = tern_proto_inuse(name4), b = tern_proto_inuse(name6);

	if (a < 0 && a != -ENOENT)
		return a;
	if (b < 0 && b != -ENOENT)
		return b;
	return (a > 0 ? a : 0) + (b > 0 ? b : 0);
}

/* Wait at most timeout_ms for the in-use count to be want; the last one. */
static inline long ct_wait_inuse(const char *name4, const char *name6,
				 long want, int timeout_ms)
{
	long long end = ct_now_ms() + timeout_ms;
	long n;

	for (;;) {
		n = ct_inuse(name4, name6);
		if (n == want || ct_now_ms() >= end)
			return n;
		tern_msleep(20);
	}
}

#endif /* _CONN_UTIL_H */
