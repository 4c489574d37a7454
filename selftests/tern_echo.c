// SPDX-License-Identifier: GPL-2.0
/*
 * tern_echo: the traffic of churn_test.sh, over Tern (or TCP, -P tcp, for
 * comparison). Every blocking call is bounded (SO_RCVTIMEO, SO_SNDTIMEO,
 * alarm), so nothing here can hang a test.
 *
 *   tern_echo server [-6] [-p PORT] [-n COUNT] [-T IDLE_S]
 *	listen on the wildcard address, print "ready", then serve COUNT
 *	connections one after the other (0: until IDLE_S seconds pass
 *	without a connection): read until EOF, echoing, then close.
 *	Exit 0 when COUNT were served without error.
 *   tern_echo client -a ADDR [-p PORT] [-n COUNT] [-s SIZE]
 *	COUNT short connections one after the other: connect, send SIZE
 *	bytes, read them back, check them, close. Exit 0 when all worked;
 *	otherwise print the first failure.
 *   tern_echo sink [-6] [-p PORT]
 *	accept one connection, print "ready", read and discard until EOF
 *	or an error.
 *   tern_echo blast -a ADDR [-p PORT] [-u USER_TIMEOUT_MS] [-T LIMIT_S]
 *	connect, print "connected", send until an error; print
 *	"error NAME after MS ms" and exit 0. Exit 2 when LIMIT_S seconds
 *	(default 60) pass without one.
 *
 *   -P tern|tcp   the protocol (default tern), SOCK_STREAM either way
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/tern.h>

#include "tern_test.h"

#ifndef TCP_USER_TIMEOUT
#define TCP_USER_TIMEOUT 18
#endif

static int protocol = IPPROTO_TERN;
static int level = SOL_TERN;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static const char *errname(int err)
{
	switch (err) {
	case ECONNRESET: return "ECONNRESET";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPIPE: return "EPIPE";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNABORTED: return "ECONNABORTED";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	default: return strerror(err);
	}
}

static void set_timeo(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* addr (NULL: wildcard of family) and port into *ss; its length or 0. */
static int listener(int family, int port, int idle_s)
{
	struct sockaddr_storage ss;
	socklen_t len = tern_sockaddr(&ss, family, NULL, port);
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM, protocol);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		perror("bind/listen");
		exit(1);
	}
	set_timeo(fd, idle_s * 1000);
	printf("ready\n");
	fflush(stdout);
	return fd;
}

static int connect_to(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = tern_sockaddr(&ss, strchr(addr, ':') ? AF_INET6 : AF_INET,
				    addr, port);
	int fd;

	if (!len) {
		fprintf(stderr, "bad address %s\n", addr);
		exit(1);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, protocol);
	if (fd < 0)
		return -errno;
	set_timeo(fd, 5000);
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static int serve(int family, int port, int count, int idle_s)
{
	int l = listener(family, port, idle_s), served = 0, failed = 0;
	char buf[65536];

	while (!count || served < count) {
		int fd = accept(l, NULL, NULL);
		ssize_t n;

		if (fd < 0) {
			fprintf(stderr, "server: accept: %s after %d connections\n",
				errname(errno), served);
			return 1;
		}
		set_timeo(fd, 5000);
		for (;;) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			if (send(fd, buf, n, MSG_NOSIGNAL) != n) {
				n = -1;
				break;
			}
		}
		if (n < 0 && !failed++)
			fprintf(stderr, "server: connection %d: %s\n", served + 1,
				errname(errno));
		close(fd);
		served++;
	}
	close(l);
	printf("served %d, %d failed\n", served, failed);
	return failed ? 1 : 0;
}

static int client(const char *addr, int port, int count, int size)
{
	char out[65536], in[65536];
	int i, j, fd;

	if (size > (int)sizeof(out))
		size = sizeof(out);
	for (i = 0; i < count; i++) {
		ssize_t got = 0, n;

		for (j = 0; j < size; j++)
			out[j] = (char)(i + j * 3);
		fd = connect_to(addr, port);
		if (fd < 0) {
			printf("connection %d: connect: %s\n", i + 1, errname(-fd));
			return 1;
		}
		if (send(fd, out, size, MSG_NOSIGNAL) != size) {
			printf("connection %d: send: %s\n", i + 1, errname(errno));
			return 1;
		}
		while (got < size) {
			n = recv(fd, in + got, size - got, 0);
			if (n <= 0) {
				printf("connection %d: recv: %s\n", i + 1,
				       n ? errname(errno) : "EOF");
				return 1;
			}
			got += n;
		}
		if (memcmp(in, out, size)) {
			printf("connection %d: echo differs\n", i + 1);
			return 1;
		}
		close(fd);
	}
	printf("ok %d\n", count);
	return 0;
}

static int sink(int family, int port)
{
	int l = listener(family, port, 30), fd;
	char buf[65536];
	long long total = 0;
	ssize_t n;

	fd = accept(l, NULL, NULL);
	if (fd < 0) {
		fprintf(stderr, "sink: accept: %s\n", errname(errno));
		return 1;
	}
	close(l);
	printf("accepted\n");
	fflush(stdout);
	set_timeo(fd, 60000);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		total += n;
	printf("sink: %lld bytes, then %s\n", total, n ? errname(errno) : "EOF");
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("no error after the time limit\n");
	fflush(stdout);
	_exit(2);
}

static int blast(const char *addr, int port, int user_timeout, int limit_s)
{
	static char buf[65536];
	long long t0, total = 0;
	int fd, err;
	ssize_t n;

	signal(SIGALRM, on_alarm);
	alarm(limit_s);
	fd = connect_to(addr, port);
	if (fd < 0) {
		printf("connect: %s\n", errname(-fd));
		return 1;
	}
	if (user_timeout &&
	    setsockopt(fd, level, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout))) {
		perror("TCP_USER_TIMEOUT");
		return 1;
	}
	/* sends block until the error: the alarm is the only bound */
	set_timeo(fd, 0);
	memset(buf, 'b', sizeof(buf));
	printf("connected\n");
	fflush(stdout);
	t0 = now_ms();
	for (;;) {
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0)
			break;
		total += n;
	}
	err = errno;
	printf("error %s after %lld ms, %lld bytes sent\n", errname(err),
	       now_ms() - t0, total);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *addr = NULL;
	int family = AF_INET, port = 7000, count = 1, size = 64, idle = 30;
	int user_timeout = 0, limit = 60, opt;

	optind = 2;
	while ((opt = getopt(argc, argv, "6a:p:n:s:T:u:P:")) != -1) {
		switch (opt) {
		case '6': family = AF_INET6; break;
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': count = atoi(optarg); break;
		case 's': size = atoi(optarg); break;
		case 'T': idle = limit = atoi(optarg); break;
		case 'u': user_timeout = atoi(optarg); break;
		case 'P':
			if (!strcmp(optarg, "tcp")) {
				protocol = IPPROTO_TCP;
				level = IPPROTO_TCP;
			}
			break;
		default:
			return 64;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "server"))
		return serve(family, port, count, idle);
	if (!strcmp(mode, "client") && addr)
		return client(addr, port, count, size);
	if (!strcmp(mode, "sink"))
		return sink(family, port);
	if (!strcmp(mode, "blast") && addr)
		return blast(addr, port, user_timeout, limit);
	fprintf(stderr, "usage: tern_echo server|client|sink|blast [options]\n");
	return 64;
}
