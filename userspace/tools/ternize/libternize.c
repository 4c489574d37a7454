// SPDX-License-Identifier: GPL-2.0
/*
 * libternize.so: preloaded by ternize(8) into an unmodified program, it
 * turns the program's TCP sockets into Tern sockets.
 *
 * socket(AF_INET or AF_INET6, SOCK_STREAM, 0 or IPPROTO_TCP) becomes
 * socket(..., IPPROTO_TERN), the SOCK_NONBLOCK and SOCK_CLOEXEC flags kept.
 * The descriptors so made (and what accept() returns on them, and their
 * dup()s) are marked in a bitmap; on those alone, options at level
 * SOL_TCP/IPPROTO_TCP are served from SOL_TERN: the ones Tern has by the
 * same number (Tern took TCP's numbers for them), TCP_INFO translated from
 * TERN_INFO, the rest of TCP's accepted and ignored on set and answered
 * with TCP's default on get, and numbers TCP does not know refused with
 * ENOPROTOOPT as TCP refuses them.
 *
 * When Tern is not there (socket() fails with EPROTONOSUPPORT or
 * ESOCKTNOSUPPORT: module not loadable) the program keeps TCP, for the
 * rest of its life; TERNIZE_DEBUG=1 says so once on stderr, and reports
 * every conversion.
 *
 * It is loaded into arbitrary programs: no dependency beyond libc, no
 * stdio (a program may have closed or redirected stdout), no allocation,
 * thread-safe through atomics, and errno as the call it wraps would leave
 * it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/tern.h>

#define EXPORT __attribute__((visibility("default")))

/* TCP option numbers newer than some libc headers */
#ifndef TCP_AO_ADD_KEY
#define TCP_AO_ADD_KEY		38
#define TCP_AO_DEL_KEY		39
#define TCP_AO_INFO		40
#define TCP_AO_GET_KEYS		41
#define TCP_AO_REPAIR		42
#endif
#ifndef TCP_IS_MPTCP
#define TCP_IS_MPTCP		43
#endif
#define TCP_CA_NAME_MAX		16	/* include/net/tcp.h */

/*
 * struct tcp_info as Linux 6.12 lays it out (include/uapi/linux/tcp.h).
 * Our own copy: libc's netinet/tcp.h and older kernel headers stop short
 * of the newer fields, and the layout is ABI, so it cannot move.
 */
struct ternize_tcp_info {
	uint8_t		tcpi_state;
	uint8_t		tcpi_ca_state;
	uint8_t		tcpi_retransmits;
	uint8_t		tcpi_probes;
	uint8_t		tcpi_backoff;
	uint8_t		tcpi_options;
	uint8_t		tcpi_wscale;	/* snd_wscale : 4, rcv_wscale : 4 */
	uint8_t		tcpi_flags;	/* app_limited : 1, fastopen_client_fail : 2 */
	uint32_t	tcpi_rto;
	uint32_t	tcpi_ato;
	uint32_t	tcpi_snd_mss;
	uint32_t	tcpi_rcv_mss;
	uint32_t	tcpi_unacked;
	uint32_t	tcpi_sacked;
	uint32_t	tcpi_lost;
	uint32_t	tcpi_retrans;
	uint32_t	tcpi_fackets;
	uint32_t	tcpi_last_data_sent;
	uint32_t	tcpi_last_ack_sent;
	uint32_t	tcpi_last_data_recv;
	uint32_t	tcpi_last_ack_recv;
	uint32_t	tcpi_pmtu;
	uint32_t	tcpi_rcv_ssthresh;
	uint32_t	tcpi_rtt;
	uint32_t	tcpi_rttvar;
	uint32_t	tcpi_snd_ssthresh;
	uint32_t	tcpi_snd_cwnd;
	uint32_t	tcpi_advmss;
	uint32_t	tcpi_reordering;
	uint32_t	tcpi_rcv_rtt;
	uint32_t	tcpi_rcv_space;
	uint32_t	tcpi_total_retrans;
	uint64_t	tcpi_pacing_rate;
	uint64_t	tcpi_max_pacing_rate;
	uint64_t	tcpi_bytes_acked;
	uint64_t	tcpi_bytes_received;
	uint32_t	tcpi_segs_out;
	uint32_t	tcpi_segs_in;
	uint32_t	tcpi_notsent_bytes;
	uint32_t	tcpi_min_rtt;
	uint32_t	tcpi_data_segs_in;
	uint32_t	tcpi_data_segs_out;
	uint64_t	tcpi_delivery_rate;
	uint64_t	tcpi_busy_time;
	uint64_t	tcpi_rwnd_limited;
	uint64_t	tcpi_sndbuf_limited;
	uint32_t	tcpi_delivered;
	uint32_t	tcpi_delivered_ce;
	uint64_t	tcpi_bytes_sent;
	uint64_t	tcpi_bytes_retrans;
	uint32_t	tcpi_dsack_dups;
	uint32_t	tcpi_reord_seen;
	uint32_t	tcpi_rcv_ooopack;
	uint32_t	tcpi_snd_wnd;
	uint32_t	tcpi_rcv_wnd;
	uint32_t	tcpi_rehash;
	uint16_t	tcpi_total_rto;
	uint16_t	tcpi_total_rto_recoveries;
	uint32_t	tcpi_total_rto_time;
};

_Static_assert(sizeof(struct ternize_tcp_info) == 248, "tcp_info of 6.12");
_Static_assert(offsetof(struct ternize_tcp_info, tcpi_total_retrans) == 100,
	       "tcp_info layout");

/* TCP's enum tcp_ca_state */
enum { CA_OPEN = 0, CA_CWR = 2, CA_RECOVERY = 3, CA_LOSS = 4 };
#define TCPI_SACK		2	/* TCPI_OPT_SACK */
#define TCPI_ECN		8	/* TCPI_OPT_ECN */
#define INFINITE_SSTHRESH	0x7fffffff	/* TCP_INFINITE_SSTHRESH */

/*
 * Descriptors we converted, one bit each. Past the bitmap's end a Tern
 * socket is recognized when the kernel refuses a TCP-level option on it
 * (tern_lazy()), which is also how one inherited across exec is found.
 */
#define MAP_FDS		65536
#define WORD_BITS	(8 * sizeof(unsigned long))
static unsigned long converted[MAP_FDS / WORD_BITS];

static bool fd_marked(int fd)
{
	if (fd < 0 || fd >= MAP_FDS)
		return false;
	return __atomic_load_n(&converted[fd / WORD_BITS], __ATOMIC_RELAXED) &
	       (1UL << (fd % WORD_BITS));
}

static void fd_mark(int fd, bool on)
{
	unsigned long bit;

	if (fd < 0 || fd >= MAP_FDS)
		return;
	bit = 1UL << (fd % WORD_BITS);
	if (on)
		__atomic_fetch_or(&converted[fd / WORD_BITS], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&converted[fd / WORD_BITS], ~bit, __ATOMIC_RELAXED);
}

/* The real functions, looked up on first use (RTLD_NEXT: libc's). */
static int (*real_socket)(int, int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_close)(int);
static int (*real_close_range)(unsigned int, unsigned int, int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static ssize_t (*real_sendto)(int, const void *, size_t, int,
			      const struct sockaddr *, socklen_t);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);

static void *resolve(void *volatile *slot, const char *name)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!p) {
		p = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, p, __ATOMIC_RELEASE);
	}
	return p;
}

/* REAL(fn): the real fn, or fail the call with ENOSYS if libc lacks it */
#define REAL(fn) ({							\
	__typeof__(real_##fn) f_ = resolve((void *volatile *)&real_##fn, #fn); \
	if (!f_) {							\
		errno = ENOSYS;						\
		return -1;						\
	}								\
	f_;								\
})

static int debug = -1;		/* TERNIZE_DEBUG, read once */
static int fallback;		/* 1: Tern unavailable, TCP for good */

static bool debugging(void)
{
	int d = __atomic_load_n(&debug, __ATOMIC_RELAXED);

	if (d < 0) {
		const char *e = getenv("TERNIZE_DEBUG");

		d = e && *e && strcmp(e, "0") != 0;
		__atomic_store_n(&debug, d, __ATOMIC_RELAXED);
	}
	return d;
}

/* say(): one line on stderr, "ternize[PID]: ...", errno untouched */
__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	char buf[256];
	int saved = errno, n, m;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "ternize[%d]: ", (int)getpid());
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += m;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;	/* truncated */
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		n = 0;	/* nowhere left to tell */
	errno = saved;
}

static const char *family_name(int domain)
{
	return domain == AF_INET ? "AF_INET" : "AF_INET6";
}

/* A TCP stream socket, the one kind we convert? */
static bool is_tcp(int domain, int type, int protocol)
{
	if (domain != AF_INET && domain != AF_INET6)
		return false;
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM)
		return false;
	return protocol == 0 || protocol == IPPROTO_TCP;
}

EXPORT int socket(int domain, int type, int protocol)
{
	int (*sock)(int, int, int) = REAL(socket);
	int fd;

	if (!is_tcp(domain, type, protocol) ||
	    __atomic_load_n(&fallback, __ATOMIC_RELAXED)) {
		fd = sock(domain, type, protocol);
		fd_mark(fd, false);
		return fd;
	}
	fd = sock(domain, type, IPPROTO_TERN);
	if (fd >= 0) {
		fd_mark(fd, true);
		if (debugging())
			say("socket(%s, SOCK_STREAM, %d): Tern, fd %d",
			    family_name(domain), protocol, fd);
		return fd;
	}
	if (errno != EPROTONOSUPPORT && errno != ESOCKTNOSUPPORT)
		return -1;	/* EMFILE, EACCES...: as TCP would fail */
	if (!__atomic_exchange_n(&fallback, 1, __ATOMIC_RELAXED) && debugging())
		say("Tern is not available (%s; is the tern module loadable?): using TCP",
		    strerror(errno));
	fd = sock(domain, type, protocol);
	fd_mark(fd, false);
	return fd;
}

static int accepted(int lfd, int fd)
{
	bool tern = fd_marked(lfd);

	fd_mark(fd, tern);
	if (fd >= 0 && tern && debugging())
		say("accept(%d): Tern, fd %d", lfd, fd);
	return fd;
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accepted(fd, REAL(accept)(fd, addr, len));
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return accepted(fd, REAL(accept4)(fd, addr, len, flags));
}

EXPORT int close(int fd)
{
	int (*cl)(int) = REAL(close);

	/* unmark first: the number may be reused as soon as it is closed */
	fd_mark(fd, false);
	return cl(fd);
}

EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	int (*cr)(unsigned int, unsigned int, int) = REAL(close_range);
	unsigned int fd;
	int ret = cr(first, last, flags);

	if (ret == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		for (fd = first; fd <= last && fd < MAP_FDS; fd++)
			fd_mark(fd, false);
	return ret;
}

/* the new descriptor is what the old one was */
static int duped(int oldfd, int newfd)
{
	if (newfd >= 0 && newfd != oldfd)
		fd_mark(newfd, fd_marked(oldfd));
	return newfd;
}

EXPORT int dup(int fd)
{
	return duped(fd, REAL(dup)(fd));
}

EXPORT int dup2(int oldfd, int newfd)
{
	return duped(oldfd, REAL(dup2)(oldfd, newfd));
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return duped(oldfd, REAL(dup3)(oldfd, newfd, flags));
}

/*
 * fcntl() is variadic: its third argument is an int, a long or a pointer,
 * and libc itself reads it as a pointer-sized word, as here.
 */
static int fcntl_common(int (*fc)(int, int, ...), int fd, int cmd, void *arg)
{
	int ret = fc(fd, cmd, arg);

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		duped(fd, ret);
	return ret;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	int (*fc)(int, int, ...) = REAL(fcntl);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fc, fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	int (*fc)(int, int, ...) = REAL(fcntl64);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fc, fd, cmd, arg);
}

/*
 * MSG_FASTOPEN (TCP Fast Open's sendto() on an unconnected socket, RFC
 * 7413): Tern has no data in its SYN, so connect first, then send, as
 * TCP does when it has no cookie (tcp_sendmsg_fastopen() falls back to
 * a plain SYN): a non-blocking socket fails with EINPROGRESS and the
 * program sends again once connected.
 */
static int fastopen_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!addr)
		return 0;
	if (connect(fd, addr, len) == 0 || errno == EISCONN)
		return 0;
	return -1;
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
		      const struct sockaddr *addr, socklen_t len)
{
	ssize_t (*st)(int, const void *, size_t, int, const struct sockaddr *,
		      socklen_t) = REAL(sendto);

	if (!(flags & MSG_FASTOPEN) || !fd_marked(fd))
		return st(fd, buf, n, flags, addr, len);
	if (fastopen_connect(fd, addr, len) < 0)
		return -1;
	return st(fd, buf, n, flags & ~MSG_FASTOPEN, NULL, 0);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t (*sm)(int, const struct msghdr *, int) = REAL(sendmsg);
	struct msghdr m;

	if (!(flags & MSG_FASTOPEN) || !fd_marked(fd) || !msg)
		return sm(fd, msg, flags);
	if (fastopen_connect(fd, msg->msg_name, msg->msg_namelen) < 0)
		return -1;
	m = *msg;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	return sm(fd, &m, flags & ~MSG_FASTOPEN);
}

/* How a TCP-level option is served on a Tern socket. */
enum tcpopt_kind {
	OPT_UNKNOWN,	/* TCP does not know it either: ENOPROTOOPT */
	OPT_TERN,	/* Tern has it, same number, same type */
	OPT_INFO,	/* TCP_INFO, from TERN_INFO */
	OPT_IGNORED,	/* set: accepted, no effect; get: TCP's default */
	OPT_REFUSED,	/* cannot be honoured (MD5, AO, repair, ...): ENOPROTOOPT */
	OPT_ULP,	/* TCP_ULP: no upper layer (kTLS) on Tern */
};

static enum tcpopt_kind tcpopt_kind(int optname)
{
	switch (optname) {
	case TCP_NODELAY:
	case TCP_MAXSEG:
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_SYNCNT:
	case TCP_USER_TIMEOUT:
		return OPT_TERN;
	case TCP_INFO:
		return OPT_INFO;
	case TCP_CORK:
	case TCP_LINGER2:
	case TCP_DEFER_ACCEPT:
	case TCP_WINDOW_CLAMP:
	case TCP_QUICKACK:
	case TCP_CONGESTION:
	case TCP_THIN_LINEAR_TIMEOUTS:
	case TCP_THIN_DUPACK:
	case TCP_FASTOPEN:
	case TCP_TIMESTAMP:
	case TCP_NOTSENT_LOWAT:
	case TCP_CC_INFO:
	case TCP_SAVE_SYN:
	case TCP_SAVED_SYN:
	case TCP_FASTOPEN_CONNECT:
	case TCP_FASTOPEN_NO_COOKIE:
	case TCP_INQ:
	case TCP_TX_DELAY:
	case TCP_IS_MPTCP:
		return OPT_IGNORED;
	case TCP_MD5SIG:
	case TCP_MD5SIG_EXT:
	case TCP_REPAIR:
	case TCP_REPAIR_QUEUE:
	case TCP_QUEUE_SEQ:
	case TCP_REPAIR_OPTIONS:
	case TCP_REPAIR_WINDOW:
	case TCP_FASTOPEN_KEY:
	case TCP_ZEROCOPY_RECEIVE:
	case TCP_AO_ADD_KEY:
	case TCP_AO_DEL_KEY:
	case TCP_AO_INFO:
	case TCP_AO_GET_KEYS:
	case TCP_AO_REPAIR:
		return OPT_REFUSED;
	case TCP_ULP:
		return OPT_ULP;
	}
	return OPT_UNKNOWN;
}

/*
 * Is fd, not marked, a Tern socket after all? Asked only when the kernel
 * has refused a TCP-level option on it: a Tern socket passes a level not
 * its own to the IP layer, whose setsockopt answers ENOPROTOOPT, and
 * whose getsockopt answers EOPNOTSUPP on IPv4 (do_ip_getsockopt()) and
 * ENOPROTOOPT on IPv6. One past the bitmap, or inherited across exec
 * from a ternized parent. errno is left as the refusal set it.
 */
static bool tern_lazy(int fd)
{
	int (*gso)(int, int, int, void *, socklen_t *) = real_getsockopt;
	int saved = errno, proto = 0, type = 0;
	socklen_t len = sizeof(proto);
	bool tern;

	if ((saved != ENOPROTOOPT && saved != EOPNOTSUPP) || !gso)
		return false;
	tern = gso(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_TERN;
	len = sizeof(type);
	tern = tern && gso(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_STREAM;
	if (tern)
		fd_mark(fd, true);
	errno = saved;
	return tern;
}

static int tcp_setsockopt(int fd, int optname, const void *val, socklen_t len)
{
	switch (tcpopt_kind(optname)) {
	case OPT_TERN:
		return real_setsockopt(fd, SOL_TERN, optname, val, len);
	case OPT_IGNORED:
		/* TCP reads an int (a name for TCP_CONGESTION) */
		if (optname == TCP_CONGESTION ? len < 1 : len < sizeof(int)) {
			errno = EINVAL;
			return -1;
		}
		if (!val) {
			errno = EFAULT;
			return -1;
		}
		if (debugging())
			say("setsockopt(%d, SOL_TCP, %d): ignored on Tern", fd, optname);
		return 0;
	case OPT_ULP:
		errno = ENOENT;		/* as TCP for an unknown ULP name */
		return -1;
	case OPT_INFO:
	case OPT_REFUSED:
	case OPT_UNKNOWN:
		break;
	}
	errno = ENOPROTOOPT;
	return -1;
}

EXPORT int setsockopt(int fd, int level, int optname, const void *val,
		      socklen_t len)
{
	int (*sso)(int, int, int, const void *, socklen_t) = REAL(setsockopt);
	int ret;

	resolve((void *volatile *)&real_getsockopt, "getsockopt");
	if (level != IPPROTO_TCP)
		return sso(fd, level, optname, val, len);
	if (fd_marked(fd))
		return tcp_setsockopt(fd, optname, val, len);
	ret = sso(fd, level, optname, val, len);
	if (ret < 0 && tern_lazy(fd))
		return tcp_setsockopt(fd, optname, val, len);
	return ret;
}

static uint32_t segs(uint64_t bytes, uint32_t mss)
{
	uint64_t n = mss ? (bytes + mss - 1) / mss : 0;

	return n > UINT32_MAX ? UINT32_MAX : n;
}

static uint32_t u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : v;
}

/*
 * struct tcp_info from struct tern_info, as tcp_get_info() would fill it.
 * Tern counts its windows and queues in bytes where TCP counts segments:
 * those are divided by the send MSS. The path MTU is estimated from the
 * MSS and the headers.
 */
static void tern_to_tcp_info(const struct tern_info *t, int family,
			     struct ternize_tcp_info *i)
{
	uint32_t mss = t->tern_snd_mss;

	memset(i, 0, sizeof(*i));
	i->tcpi_state = t->tern_state;
	i->tcpi_ca_state = t->tern_ca_state == TERN_CA_RECOVERY ? CA_RECOVERY :
			   t->tern_ca_state == TERN_CA_LOSS ? CA_LOSS :
			   t->tern_ca_state == TERN_CA_CWR ? CA_CWR : CA_OPEN;
	i->tcpi_retransmits = t->tern_retransmits;
	i->tcpi_probes = t->tern_probes;
	i->tcpi_backoff = t->tern_backoff;
	i->tcpi_options = TCPI_SACK;	/* Tern always SACKs */
	if (t->tern_options & TERN_INFO_OPT_ECN)
		i->tcpi_options |= TCPI_ECN;
	i->tcpi_rto = t->tern_rto;
	i->tcpi_ato = t->tern_ato;
	i->tcpi_snd_mss = mss;
	i->tcpi_rcv_mss = t->tern_rcv_mss;
	i->tcpi_unacked = segs(t->tern_unacked, mss);
	i->tcpi_sacked = segs(t->tern_sacked, mss);
	i->tcpi_lost = segs(t->tern_lost, mss);
	i->tcpi_retrans = segs(t->tern_retrans, mss);
	i->tcpi_last_data_sent = t->tern_last_data_sent;
	i->tcpi_last_data_recv = t->tern_last_data_recv;
	i->tcpi_last_ack_recv = t->tern_last_ack_recv;
	if (mss)
		i->tcpi_pmtu = mss + TERN_HDR_LEN + (family == AF_INET6 ? 40 : 20);
	i->tcpi_rcv_ssthresh = t->tern_rcv_wnd;
	i->tcpi_rtt = t->tern_rtt;
	i->tcpi_rttvar = t->tern_rttvar;
	i->tcpi_snd_ssthresh = t->tern_snd_ssthresh >= INFINITE_SSTHRESH || !mss ?
			       INFINITE_SSTHRESH : t->tern_snd_ssthresh / mss;
	i->tcpi_snd_cwnd = segs(t->tern_snd_cwnd, mss);
	i->tcpi_advmss = mss;
	i->tcpi_reordering = 3;		/* TCP's initial tp->reordering */
	i->tcpi_rcv_space = t->tern_rcv_space;
	i->tcpi_total_retrans = u32(t->tern_total_retrans);
	i->tcpi_pacing_rate = t->tern_pacing_rate;
	i->tcpi_max_pacing_rate = t->tern_max_pacing_rate;
	i->tcpi_bytes_acked = t->tern_bytes_acked;
	i->tcpi_bytes_received = t->tern_bytes_received;
	i->tcpi_segs_out = u32(t->tern_segs_out);
	i->tcpi_segs_in = u32(t->tern_segs_in);
	i->tcpi_notsent_bytes = t->tern_notsent;
	i->tcpi_min_rtt = t->tern_min_rtt;
	i->tcpi_data_segs_in = u32(t->tern_data_segs_in);
	i->tcpi_data_segs_out = u32(t->tern_data_segs_out);
	i->tcpi_delivery_rate = t->tern_delivery_rate;
	i->tcpi_busy_time = t->tern_busy_time;
	i->tcpi_rwnd_limited = t->tern_rwnd_limited;
	i->tcpi_sndbuf_limited = t->tern_sndbuf_limited;
	i->tcpi_delivered = segs(t->tern_bytes_acked, mss);
	i->tcpi_bytes_sent = t->tern_bytes_sent;
	i->tcpi_bytes_retrans = t->tern_bytes_retrans;
	i->tcpi_snd_wnd = t->tern_snd_wnd;
	i->tcpi_rcv_wnd = t->tern_rcv_wnd;
}

/* copy min(*len, size) bytes of src out, as TCP's getsockopt does */
static int put_opt(void *val, socklen_t *len, const void *src, size_t size)
{
	size_t n;

	if (!len || (int)*len < 0) {
		errno = len ? EINVAL : EFAULT;
		return -1;
	}
	n = *len < size ? *len : size;
	if (n && !val) {
		errno = EFAULT;
		return -1;
	}
	memcpy(val, src, n);
	*len = n;
	return 0;
}

static int tcp_info_get(int fd, void *val, socklen_t *len)
{
	struct ternize_tcp_info ti;
	struct tern_info info;
	socklen_t ilen = sizeof(info);
	int family = AF_INET;
	socklen_t flen = sizeof(family);

	memset(&info, 0, sizeof(info));	/* an older module: shorter */
	if (real_getsockopt(fd, SOL_TERN, TERN_INFO, &info, &ilen) < 0)
		return -1;
	if (real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &flen) < 0)
		family = AF_INET;
	tern_to_tcp_info(&info, family, &ti);
	return put_opt(val, len, &ti, sizeof(ti));
}

/* getsockopt of an option Tern ignores: what TCP answers by default */
static int tcp_default_get(int optname, void *val, socklen_t *len)
{
	char name[TCP_CA_NAME_MAX] = "reno";	/* Tern's congestion control */
	struct timespec ts;
	int v = 0;

	switch (optname) {
	case TCP_CONGESTION:
		return put_opt(val, len, name, sizeof(name));
	case TCP_CC_INFO:	/* Reno has no get_info: nothing */
	case TCP_SAVED_SYN:	/* none saved */
		return put_opt(val, len, name, 0);
	case TCP_LINGER2:
		v = 60;		/* net.ipv4.tcp_fin_timeout's default */
		break;
	case TCP_QUICKACK:
		v = 1;		/* not in pingpong (delayed-ACK) mode */
		break;
	case TCP_TIMESTAMP:	/* TCP's timestamp clock, in ms */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (int)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		break;
	}
	return put_opt(val, len, &v, sizeof(v));
}

static int tcp_getsockopt(int fd, int optname, void *val, socklen_t *len)
{
	char none = 0;

	switch (tcpopt_kind(optname)) {
	case OPT_TERN:
		return real_getsockopt(fd, SOL_TERN, optname, val, len);
	case OPT_INFO:
		return tcp_info_get(fd, val, len);
	case OPT_IGNORED:
		return tcp_default_get(optname, val, len);
	case OPT_ULP:		/* no upper layer: an empty name */
		return put_opt(val, len, &none, 0);
	case OPT_REFUSED:
	case OPT_UNKNOWN:
		break;
	}
	errno = ENOPROTOOPT;
	return -1;
}

EXPORT int getsockopt(int fd, int level, int optname, void *val,
		      socklen_t *len)
{
	int (*gso)(int, int, int, void *, socklen_t *) = REAL(getsockopt);
	int ret;

	if (level != IPPROTO_TCP)
		return gso(fd, level, optname, val, len);
	if (fd_marked(fd))
		return tcp_getsockopt(fd, optname, val, len);
	ret = gso(fd, level, optname, val, len);
	if (ret < 0 && tern_lazy(fd))
		return tcp_getsockopt(fd, optname, val, len);
	return ret;
}
