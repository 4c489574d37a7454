// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtern unit tests: tern_send_msg() and tern_recv_msg() over an AF_UNIX
 * SOCK_SEQPACKET socketpair, which cuts a message longer than the buffer
 * and drops the rest as Tern's SOCK_SEQPACKET does: every message must
 * come whole, the buffer growing to the largest one.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "tern/tern.h"
#include "tap.h"

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 31 + seed);
}

static void sizes(void *start, size_t start_cap, const char *what)
{
	static const size_t lens[] = {
		1, 1000, 1023, 1024, 1025, 4096, 5000, 65536, 100000, 3, 70000,
	};
	unsigned char *want = malloc(100000);
	size_t cap = start_cap, i, biggest = 0;
	void *buf = start;
	int sv[2];
	ssize_t n;

	if (!ok(!socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), "socketpair"))
		return;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		fill(want, lens[i], i);
		n = tern_send_msg(sv[1], want, lens[i], 0);
		ok(n == (ssize_t)lens[i], "%s: tern_send_msg(%zu) = %zd", what,
		   lens[i], n);
		n = tern_recv_msg(sv[0], &buf, &cap, 0);
		ok(n == (ssize_t)lens[i] && !memcmp(buf, want, lens[i]),
		   "%s: tern_recv_msg() = %zd, whole, buffer %zu", what, n, cap);
		if (lens[i] > biggest)
			biggest = lens[i];
		ok(cap >= biggest, "%s: the buffer grew to fit (%zu >= %zu)",
		   what, cap, biggest);
	}
	/* two queued, then the end: each whole, then 0 */
	fill(want, 3000, 7);
	tern_send_msg(sv[1], want, 3000, 0);
	tern_send_msg(sv[1], want, 10, MSG_DONTWAIT);
	close(sv[1]);
	n = tern_recv_msg(sv[0], &buf, &cap, 0);
	ok(n == 3000 && !memcmp(buf, want, 3000), "%s: a queued message: %zd",
	   what, n);
	n = tern_recv_msg(sv[0], &buf, &cap, MSG_DONTWAIT);
	ok(n == 10 && !memcmp(buf, want, 10), "%s: the next one: %zd", what, n);
	n = tern_recv_msg(sv[0], &buf, &cap, 0);
	ok(n == 0, "%s: end of stream: 0 (got %zd)", what, n);
	ok_errno(tern_send_msg(sv[0], want, 10, 0), EPIPE,
		 "tern_send_msg() to a closed peer, no SIGPIPE");
	close(sv[0]);
	free(buf);
	free(want);
}

int main(void)
{
	sizes(NULL, 0, "from no buffer");
	sizes(malloc(10), 10, "from 10 bytes");
	sizes(malloc(200000), 200000, "from a big one");
	return tap_done();
}
