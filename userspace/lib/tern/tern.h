/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtern: helpers for Tern sockets (IP protocol 253).
 *
 * Every function returns -1 (or NULL) and sets errno on failure, as the
 * system calls do; tern_strerror() explains Tern's own conditions (module
 * not loaded, protocol blocked) where strerror() cannot.
 */
#ifndef _TERN_TERN_H
#define _TERN_TERN_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <linux/tern.h>

#ifdef __cplusplus
extern "C" {
#endif

/* tern_connect_host()/tern_listen_host() flags */
#define TERN_F_NONBLOCK		0x1	/* leave the returned socket non-blocking */
#define TERN_F_REUSEADDR	0x2	/* tern_listen_host(): SO_REUSEADDR first */

/* A Tern socket of @family (AF_INET, AF_INET6) and @type (SOCK_STREAM,
 * SOCK_SEQPACKET, optionally | SOCK_NONBLOCK | SOCK_CLOEXEC). */
int tern_socket(int family, int type);

/*
 * Connect to @host/@service (names or numbers, getaddrinfo) trying each
 * address in turn; @family AF_UNSPEC for either. @timeout_ms < 0 waits as
 * long as the kernel does; otherwise ETIMEDOUT after that long.
 */
int tern_connect_host(const char *host, const char *service, int family,
		      int type, int timeout_ms, int flags);

/*
 * A listening socket on @host/@service (@host NULL: every address; with
 * AF_UNSPEC and no host, IPv6 accepting IPv4-mapped as well).
 */
int tern_listen_host(const char *host, const char *service, int family,
		     int type, int backlog, int flags);

/* accept() with a timeout (@timeout_ms < 0: none). */
int tern_accept_timeout(int lfd, struct sockaddr *addr, socklen_t *addrlen,
			int timeout_ms);

/* Stream helpers: all of @len, or -1 (errno) having moved a part. */
ssize_t tern_send_all(int fd, const void *buf, size_t len);
/* Exactly @len bytes, or fewer only at end of stream (0 at once: EOF). */
ssize_t tern_recv_exact(int fd, void *buf, size_t len);

/* SOCK_SEQPACKET: one message, whole. */
ssize_t tern_send_msg(int fd, const void *buf, size_t len, int flags);
/*
 * One whole message into *@buf (malloc'd, grown as needed, *@cap its
 * size): the length, 0 at end of stream, -1 and errno on error. Uses
 * MSG_TRUNC|MSG_PEEK to learn the size, so no message is ever cut.
 */
ssize_t tern_recv_msg(int fd, void **buf, size_t *cap, int flags);

/* Typed SOL_TERN options; getters store into *@val. */
int tern_set_nodelay(int fd, int on);
int tern_get_nodelay(int fd, int *val);
int tern_set_maxseg(int fd, int bytes);
int tern_get_maxseg(int fd, int *val);
int tern_set_keepidle(int fd, int seconds);
int tern_get_keepidle(int fd, int *val);
int tern_set_keepintvl(int fd, int seconds);
int tern_get_keepintvl(int fd, int *val);
int tern_set_keepcnt(int fd, int count);
int tern_get_keepcnt(int fd, int *val);
int tern_set_syncnt(int fd, int count);
int tern_get_syncnt(int fd, int *val);
int tern_set_user_timeout(int fd, unsigned int ms);
int tern_get_user_timeout(int fd, unsigned int *val);
/*
 * TERN_CONGESTION, the congestion control algorithm by name ("cubic",
 * "reno", ...). The getter stores the NUL-terminated name in @buf
 * (@size bytes; TERN_CA_NAME_MAX always suffices): ERANGE if it does
 * not fit.
 */
int tern_set_congestion(int fd, const char *name);
int tern_get_congestion(int fd, char *buf, size_t size);

/*
 * TERN_INFO. Returns the number of bytes the kernel filled (an older
 * module fills fewer: fields past that are zero), -1 and errno on error.
 */
int tern_get_info(int fd, struct tern_info *info);
/*
 * @info (@len valid bytes) as ss -i prints TCP's: "rto:204 rtt:0.05/0.02
 * mss:1448 cwnd:14480 ...", fields past @len left out. Returns what
 * snprintf() would.
 */
int tern_info_format(const struct tern_info *info, size_t len, char *buf,
		     size_t size);
/* "ESTAB", "SYN-SENT", ... as ss names the TCP_* states. */
const char *tern_state_name(int state);

/*
 * strerror() for @err, with what it means for Tern: EPROTONOSUPPORT and
 * ESOCKTNOSUPPORT from socket() mean the module is not loaded ("modprobe
 * tern"), EACCES/EPERM a security policy blocking protocol 253, ...
 */
const char *tern_strerror(int err);

/* Whether the tern module is loaded (1), not (0); -1 and errno if unknown. */
int tern_available(void);

#ifdef __cplusplus
}
#endif

#endif /* _TERN_TERN_H */
