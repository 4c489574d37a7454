/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtern: what the library's files share and do not export.
 */
#ifndef _TERN_INTERNAL_H
#define _TERN_INTERNAL_H

#include <stdbool.h>

#define TERN_EXPORT	__attribute__((visibility("default")))

/* CLOCK_MONOTONIC milliseconds. */
long long tern__now_ms(void);

/*
 * Milliseconds left before @deadline (a tern__now_ms() value), 0 once
 * passed; -1 (wait forever) when @deadline is negative.
 */
int tern__left_ms(long long deadline);

/*
 * poll() @fd for @events until @deadline (see tern__left_ms()), restarting
 * after EINTR. The revents, 0 on timeout, -1 and errno on error.
 */
int tern__wait(int fd, short events, long long deadline);

/* Whether @type (with SOCK_NONBLOCK/SOCK_CLOEXEC) is one Tern offers. */
bool tern__type_ok(int type);

#endif /* _TERN_INTERNAL_H */
