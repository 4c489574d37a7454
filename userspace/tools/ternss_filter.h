/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ternss's FILTER expression (ss(8)'s grammar: and, or, not, parentheses,
 * sport/dport comparisons, src/dst prefixes), compiled to the inet_diag
 * bytecode that net/ipv4/inet_diag.c audits (inet_diag_bc_audit()) and
 * runs on every socket of a dump (inet_diag_bc_run()). Kept apart from
 * ternss.c so that the host unit test (ternss_filter_test.c) compiles
 * expressions without a kernel.
 */
#ifndef _TERNSS_FILTER_H
#define _TERNSS_FILTER_H

#include <stddef.h>
#include <stdio.h>

/*
 * The longest program: a jump's "no" is 16 bits and the farthest target
 * (the reject, 4 bytes past the end) must fit; the netlink attribute's
 * length is 16 bits too. A multiple of 4, as every operation is.
 */
#define TF_BC_MAX	65528

/* Parentheses and nots nested deeper than this are refused. */
#define TF_DEPTH_MAX	256

/*
 * Compile the words @argv[0..@argc) of an expression (words may hold
 * several tokens: "(sport = :22" is three). On success 0, *@bc a
 * malloc()ed program of *@len bytes (NULL and 0 for an empty expression:
 * no bytecode, every socket). On error -1, and @err holds a message that
 * names the offending word.
 */
int tf_compile(int argc, char **argv, unsigned char **bc, size_t *len,
	       char *err, size_t errsize);

/* Print a program, one operation a line, as ternss --dump-bytecode. */
void tf_dump(FILE *f, const unsigned char *bc, size_t len);

#endif /* _TERNSS_FILTER_H */
