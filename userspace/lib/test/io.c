// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern unit tests: tern_send_all() and tern_recv_exact() over an
 * AF_UNIX stream socketpair, where a peer thread makes every read and
 * write short, on blocking and non-blocking sockets; EOF; EPIPE without
 * SIGPIPE; a pipe (no socket).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tern/tern.h"
#include "tap.h"

#define BIG	(4 << 20)

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 10) * 13 + 1);
}

static void fill(unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(i);
}

static long first_wrong(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(i))
			return (long)i;
	return -1;
}

struct peer {
	int fd;
	size_t len;
	size_t chunk;		/* bytes per read()/write() */
	long result;		/* bytes moved, or -errno */
	long wrong;		/* reader: first wrong byte, -1 none */
	pthread_t thread;
};

static void pause_a_little(void)
{
	struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}

/* Write @len bytes of the pattern @chunk at a time, pausing now and then. */
static void *slow_writer(void *arg)
{
	struct peer *p = arg;
	unsigned char *buf = malloc(p->len);
	size_t done = 0, k = 0;
	ssize_t n;

	fill(buf, p->len);
	while (done < p->len) {
		n = write(p->fd, buf + done,
			  p->len - done < p->chunk ? p->len - done : p->chunk);
		if (n < 0) {
			p->result = -errno;
			break;
		}
		done += n;
		if (++k % 64 == 0)
			pause_a_little();
	}
	if (done == p->len)
		p->result = done;
	shutdown(p->fd, SHUT_WR);
	free(buf);
	return NULL;
}

/* Read until EOF @chunk at a time, checking the pattern. */
static void *slow_reader(void *arg)
{
	struct peer *p = arg;
	unsigned char *buf = malloc(p->len + 1);
	size_t done = 0, k = 0;
	ssize_t n;

	for (;;) {
		n = read(p->fd, buf + done, p->chunk);
		if (n <= 0) {
			p->result = n < 0 ? -errno : (long)done;
			break;
		}
		done += n;
		if (done > p->len) {
			p->result = -EMSGSIZE;
			break;
		}
		if (++k % 64 == 0)
			pause_a_little();
	}
	p->wrong = first_wrong(buf, done);
	free(buf);
	return NULL;
}

static int set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void recv_short_reads(int nonblock)
{
	unsigned char *buf = malloc(BIG);
	struct peer w = { .len = BIG, .chunk = 4093 };
	int sv[2];
	ssize_t n;

	if (!ok(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair"))
		return;
	if (nonblock)
		set_nonblock(sv[0]);
	w.fd = sv[1];
	pthread_create(&w.thread, NULL, slow_writer, &w);
	n = tern_recv_exact(sv[0], buf, 1000);
	ok(n == 1000, "%s tern_recv_exact(1000) = %zd", nonblock ?
	   "non-blocking:" : "blocking:", n);
	n = tern_recv_exact(sv[0], buf + 1000, BIG - 1000);
	ok(n == BIG - 1000, "tern_recv_exact(the rest) = %zd in writes of %zu",
	   n, w.chunk);
	ok(first_wrong(buf, BIG) < 0, "the bytes are the pattern, in order");
	n = tern_recv_exact(sv[0], buf, 10);
	ok(n == 0, "at EOF: 0 (got %zd)", n);
	pthread_join(w.thread, NULL);
	ok(w.result == BIG, "the writer wrote all (%ld)", w.result);
	close(sv[0]);
	close(sv[1]);
	free(buf);
}

static void send_short_writes(int nonblock)
{
	unsigned char *buf = malloc(BIG);
	struct peer r = { .len = BIG, .chunk = 1000 };
	int sv[2], small = 4096;
	ssize_t n;

	if (!ok(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair"))
		return;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	if (nonblock)
		set_nonblock(sv[0]);
	fill(buf, BIG);
	r.fd = sv[1];
	pthread_create(&r.thread, NULL, slow_reader, &r);
	n = tern_send_all(sv[0], buf, BIG);
	ok(n == BIG, "%s tern_send_all(4 MiB) through a 4 KiB buffer = %zd",
	   nonblock ? "non-blocking:" : "blocking:", n);
	shutdown(sv[0], SHUT_WR);
	pthread_join(r.thread, NULL);
	ok(r.result == BIG && r.wrong < 0,
	   "the reader got all of it, in order (%ld, first wrong %ld)",
	   r.result, r.wrong);
	close(sv[0]);
	close(sv[1]);
	free(buf);
}

static void eof_and_epipe(void)
{
	char buf[100];
	sigset_t set;
	int sv[2];
	ssize_t n;

	if (!ok(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair"))
		return;
	ok(tern_send_all(sv[1], "0123456789", 10) == 10, "send 10 bytes");
	shutdown(sv[1], SHUT_WR);
	n = tern_recv_exact(sv[0], buf, sizeof(buf));
	ok(n == 10 && !memcmp(buf, "0123456789", 10),
	   "tern_recv_exact(100) at EOF after 10: 10 (got %zd)", n);
	ok(tern_recv_exact(sv[0], buf, sizeof(buf)) == 0, "then 0");
	close(sv[0]);
	/* the default action of SIGPIPE would end this program */
	ok_errno(tern_send_all(sv[1], buf, sizeof(buf)), EPIPE,
		 "tern_send_all() to a closed peer");
	sigpending(&set);
	ok(!sigismember(&set, SIGPIPE), "and no SIGPIPE");
	close(sv[1]);
}

static void a_pipe(void)
{
	char buf[8];
	int p[2];

	if (!ok(!pipe(p), "pipe"))
		return;
	ok(tern_send_all(p[1], "pipe!", 5) == 5, "tern_send_all() on a pipe");
	close(p[1]);
	ok(tern_recv_exact(p[0], buf, 8) == 5 && !memcmp(buf, "pipe!", 5),
	   "tern_recv_exact() on a pipe: 5 then EOF");
	close(p[0]);
}

int main(void)
{
	recv_short_reads(0);
	recv_short_reads(1);
	send_short_writes(0);
	send_short_writes(1);
	eof_and_epipe();
	a_pipe();
	return tap_done();
}
