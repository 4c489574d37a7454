/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtern unit tests: plain TAP (https://testanything.org), one line per
 * check, the plan at the end; the exit status says whether all passed.
 */
#ifndef _TERN_TAP_H
#define _TERN_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 2, 3)))
int tap_ok(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!pass)
		tap_failed++;
	return pass;
}

#define ok(cond, ...)	tap_ok(!!(cond), __VA_ARGS__)

/* @call fails with -1 and errno @err. */
#define ok_errno(call, err, desc) do {					\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(call);						\
	__e = errno;							\
	tap_ok(__r == -1 && __e == (err), "%s: -1 %s (got %ld, %s)",	\
	       (desc), strerrorname_np(err), __r,			\
	       strerrorname_np(__e) ? strerrorname_np(__e) : "0");	\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* _TERN_TAP_H */
