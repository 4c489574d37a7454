// SPDX-License-Identifier: GPL-2.0
/*
 * ternss's filter compiler on the host, no kernel: expressions are
 * compiled by tf_compile() and the bytecode goes through a model of the
 * kernel's inet_diag_bc_audit() and inet_diag_bc_run()
 * (net/ipv4/inet_diag.c, 6.12), over synthetic sockets (family,
 * addresses, ports). Checked: fixed truth tables (and/or/not, precedence,
 * parentheses, every spelling of every comparison), random expressions
 * against a direct evaluation of the tree they were printed from, the
 * errors (each names the offending word), and the length limit.
 * TAP; TF_SEED=N repeats a random run.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <sys/socket.h>

#include "test/tap.h"
#include "ternss_filter.h"

/* ---- the kernel's side, modelled ---- */

struct ent {
	int family;
	uint32_t saddr[4], daddr[4];	/* network order, as the kernel's */
	unsigned int sport, dport;
};

static bool prefix_match(const uint32_t *a, const uint32_t *b, int bits)
{
	int i;

	for (i = 0; bits > 0; i++, bits -= 32) {
		uint32_t mask = bits >= 32 ? ~0U : ~0U << (32 - bits);

		if ((ntohl(a[i]) ^ ntohl(b[i])) & mask)
			return false;
	}
	return true;
}

/* S_COND/D_COND, as inet_diag_bc_run(): a v4 condition matches a mapped
 * address of an IPv6 socket.
 */
static bool k_hostcond(const struct inet_diag_hostcond *hc,
		       const uint32_t *caddr, const struct ent *e, bool src)
{
	const uint32_t *addr = src ? e->saddr : e->daddr;

	if (hc->port != -1 && (unsigned int)hc->port != (src ? e->sport : e->dport))
		return false;
	if (hc->family != AF_UNSPEC && hc->family != e->family)
		return e->family == AF_INET6 && hc->family == AF_INET &&
		       !addr[0] && !addr[1] && addr[2] == htonl(0xffff) &&
		       prefix_match(addr + 3, caddr, hc->prefix_len);
	return !hc->prefix_len || prefix_match(addr, caddr, hc->prefix_len);
}

static bool k_op(const unsigned char *bc, const struct ent *e)
{
	struct inet_diag_bc_op op, arg = { 0 };
	struct inet_diag_hostcond hc;
	uint32_t caddr[4] = { 0 };

	memcpy(&op, bc, sizeof(op));
	/* the port of a comparison: the audit saw 8 bytes there */
	if ((op.code >= INET_DIAG_BC_S_GE && op.code <= INET_DIAG_BC_D_LE) ||
	    op.code == INET_DIAG_BC_S_EQ || op.code == INET_DIAG_BC_D_EQ)
		memcpy(&arg, bc + 4, sizeof(arg));
	switch (op.code) {
	case INET_DIAG_BC_NOP: return true;
	case INET_DIAG_BC_JMP: return false;
	case INET_DIAG_BC_S_EQ: return e->sport == arg.no;
	case INET_DIAG_BC_S_GE: return e->sport >= arg.no;
	case INET_DIAG_BC_S_LE: return e->sport <= arg.no;
	case INET_DIAG_BC_D_EQ: return e->dport == arg.no;
	case INET_DIAG_BC_D_GE: return e->dport >= arg.no;
	case INET_DIAG_BC_D_LE: return e->dport <= arg.no;
	case INET_DIAG_BC_S_COND:
	case INET_DIAG_BC_D_COND:
		memcpy(&hc, bc + 4, sizeof(hc));
		memcpy(caddr, bc + 4 + sizeof(hc),
		       hc.family == AF_INET ? 4 : hc.family == AF_INET6 ? 16 : 0);
		return k_hostcond(&hc, caddr, e, op.code == INET_DIAG_BC_S_COND);
	}
	return true;	/* the kernel lets the others pass too */
}

/* inet_diag_bc_run(): accepted when the end is reached exactly. */
static bool k_run(const unsigned char *bc, int len, const struct ent *e)
{
	while (len > 0) {
		struct inet_diag_bc_op op;
		int step;

		memcpy(&op, bc, sizeof(op));
		step = k_op(bc, e) ? op.yes : op.no;
		bc += step;
		len -= step;
	}
	return len == 0;
}

/* valid_cc(): @cc bytes before the end is where an operation starts,
 * walking from the start by "yes".
 */
static bool k_valid_cc(const unsigned char *bc, int len, int cc)
{
	while (len >= 0) {
		struct inet_diag_bc_op op;

		if (cc > len)
			return false;
		if (cc == len)
			return true;
		memcpy(&op, bc, sizeof(op));
		if (op.yes < 4 || op.yes & 3)
			return false;
		len -= op.yes;
		bc += op.yes;
	}
	return false;
}

static int k_min_len(const unsigned char *bc, int len)
{
	struct inet_diag_hostcond hc;

	switch (bc[0]) {
	case INET_DIAG_BC_S_COND:
	case INET_DIAG_BC_D_COND:
		if (len < 4 + (int)sizeof(hc))
			return -1;
		memcpy(&hc, bc + 4, sizeof(hc));
		if (hc.family == AF_UNSPEC)
			return hc.prefix_len ? -1 : 4 + (int)sizeof(hc);
		if (hc.family == AF_INET)
			return hc.prefix_len > 32 ? -1 : 4 + (int)sizeof(hc) + 4;
		if (hc.family == AF_INET6)
			return hc.prefix_len > 128 ? -1 : 4 + (int)sizeof(hc) + 16;
		return -1;
	case INET_DIAG_BC_S_EQ: case INET_DIAG_BC_S_GE: case INET_DIAG_BC_S_LE:
	case INET_DIAG_BC_D_EQ: case INET_DIAG_BC_D_GE: case INET_DIAG_BC_D_LE:
		return 8;
	case INET_DIAG_BC_JMP: case INET_DIAG_BC_NOP: case INET_DIAG_BC_AUTO:
		return 4;
	}
	return -1;
}

/* inet_diag_bc_audit(): 0 or why not */
static const char *k_audit(const unsigned char *bytecode, int bytecode_len)
{
	const unsigned char *bc = bytecode;
	int len = bytecode_len;

	if (len < 4)
		return "shorter than an operation";
	while (len > 0) {
		struct inet_diag_bc_op op;
		int min_len = k_min_len(bc, len);

		memcpy(&op, bc, sizeof(op));
		if (min_len < 0 || len < min_len)
			return "a bad operation";
		if (op.code != INET_DIAG_BC_NOP) {
			if (op.no < min_len || op.no > len + 4 || op.no & 3)
				return "a bad no";
			if (op.no < len &&
			    !k_valid_cc(bytecode, bytecode_len, len - op.no))
				return "a no off the operations";
		}
		if (op.yes < min_len || op.yes > len + 4 || op.yes & 3)
			return "a bad yes";
		bc += op.yes;
		len -= op.yes;
	}
	return len ? "a yes past the end" : NULL;
}

/* ---- sockets ---- */

static struct ent mk(const char *src, unsigned int sport, const char *dst,
		     unsigned int dport)
{
	struct ent e = { .sport = sport, .dport = dport };

	e.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(e.family, src, e.saddr) != 1 ||
	    inet_pton(e.family, dst, e.daddr) != 1)
		abort();
	return e;
}

static const char *const addrs4[] = {
	"10.0.0.1", "10.1.2.3", "192.0.2.1", "192.0.2.200", "198.51.100.7",
};
static const char *const addrs6[] = {
	"2001:db8::1", "2001:db8:1::5", "fe80::1", "::ffff:10.0.0.1",
	"::ffff:192.0.2.1", "2001:db8::2",
};
static const unsigned int ports[] = {
	0, 1, 21, 22, 23, 79, 80, 81, 1023, 1024, 1025, 5000, 65534, 65535,
};

#define N_OF(a)	(sizeof(a) / sizeof((a)[0]))

static struct ent rand_ent(void)
{
	bool v6 = rand() & 1;
	const char *const *set = v6 ? addrs6 : addrs4;
	size_t n = v6 ? N_OF(addrs6) : N_OF(addrs4);

	return mk(set[rand() % n], ports[rand() % N_OF(ports)],
		  set[rand() % n], ports[rand() % N_OF(ports)]);
}

/* tf_compile() on @expr split at spaces (@split) or as one argv word */
static int compile(const char *expr, bool split, unsigned char **bc,
		   size_t *len, char *err, size_t errsize)
{
	char *copy = strdup(expr), **argv, *save = NULL, *w;
	int argc = 0, ret;

	argv = calloc(strlen(expr) / 2 + 2, sizeof(*argv));
	if (!copy || !argv)
		abort();
	if (split) {
		for (w = strtok_r(copy, " ", &save); w;
		     w = strtok_r(NULL, " ", &save))
			argv[argc++] = w;
	} else {
		argv[argc++] = copy;
	}
	ret = tf_compile(argc, argv, bc, len, err, errsize);
	free(argv);
	free(copy);
	return ret;
}

/* ---- the reference: what the expression means ---- */

/* @e's source (@src) or destination address is in ADDR/@plen of family
 * @fam (0: any); an IPv4 prefix also holds the IPv4-mapped addresses of
 * an IPv6 socket, as ss documents
 */
static bool ref_in(const struct ent *e, bool src, int fam, const char *addr,
		   int plen)
{
	const unsigned char *a = (const void *)(src ? e->saddr : e->daddr);
	unsigned char p[16];
	int i;

	if (!fam)
		return true;
	if (inet_pton(fam, addr, p) != 1)
		abort();
	if (fam != e->family) {
		static const unsigned char mapped[12] = {
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (fam != AF_INET || memcmp(a, mapped, 12))
			return false;
		a += 12;
	}
	for (i = 0; i < plen; i++)
		if ((a[i / 8] ^ p[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

#define S	(e->sport)
#define D	(e->dport)
#define SRC(a, p) ref_in(e, true, strchr(a, ':') ? AF_INET6 : AF_INET, a, p)
#define DST(a, p) ref_in(e, false, strchr(a, ':') ? AF_INET6 : AF_INET, a, p)
#define PRED(name, body) \
	static bool name(const struct ent *e) { (void)e; return body; }

PRED(p_or22, S == 22 || D == 22)
PRED(p_prec_or_and, S == 22 || (D == 22 && SRC("10.0.0.0", 8)))
PRED(p_paren_or_and, (S == 22 || D == 22) && SRC("10.0.0.0", 8))
PRED(p_not_and, !(S == 22) && D == 80)
PRED(p_not_paren, !(S == 22 || D == 22))
PRED(p_mixed_ops, S < 1024 || (D > 1024 && D != 5000))
PRED(p_gt, S > 1024)
PRED(p_ge, S >= 1024)
PRED(p_lt, S < 1024)
PRED(p_le, S <= 1024)
PRED(p_eq, D == 80)
PRED(p_ne, D != 80)
PRED(p_dgt, D > 0)
PRED(p_dle, D <= 65534)
PRED(p_range, S >= 1000 && S <= 2000)
PRED(p_outside, S < 21 || S > 23)
PRED(p_src8, SRC("10.0.0.0", 8))
PRED(p_dst_ne, !DST("192.0.2.1", 32))
PRED(p_v6, SRC("2001:db8::", 32) || DST("2001:db8::", 32))
PRED(p_v6_port, DST("2001:db8::2", 128) && D == 80)
PRED(p_v4_port, SRC("10.0.0.1", 32) && S == 22)
PRED(p_dport22, D == 22)
PRED(p_true, true)
PRED(p_false, false)
PRED(p_s22, S == 22)
PRED(p_and3, S == 22 && D == 80 && SRC("10.0.0.0", 8))
PRED(p_or3, S == 22 || D == 22 || SRC("10.0.0.0", 8))
PRED(p_mix, (S == 22 || S == 80) && !(D >= 1024 && D <= 5000))
PRED(p_s22_d80, S == 22 && D == 80)
PRED(p_or_of_ands, (S == 22 && D == 80) || (S == 80 && D == 22) || D == 0)

static const struct {
	const char *expr;
	bool (*want)(const struct ent *e);
} cases[] = {
	{ "sport = :22 or dport = :22", p_or22 },
	{ "( sport = :22 or dport = :22 )", p_or22 },
	{ "(sport = :22 || dport = :22)", p_or22 },
	{ "sport == 22 | dport eq :22", p_or22 },
	{ "sport = :22 or dport = :22 and src 10.0.0.0/8", p_prec_or_and },
	{ "( sport = :22 or dport = :22 ) and src 10.0.0.0/8", p_paren_or_and },
	{ "(sport = :22 or dport = :22) src 10.0.0.0/8", p_paren_or_and },
	{ "not sport = :22 and dport = :80", p_not_and },
	{ "! sport = :22 dport = :80", p_not_and },
	{ "!sport = :22, dport = :80", p_not_and },
	{ "! ( sport = :22 or dport = :22 )", p_not_paren },
	{ "not(sport = :22 || dport = :22)", p_not_paren },
	{ "!(sport = :22) && !(dport = :22)", p_not_paren },
	{ "sport < 1024 || dport > 1024 && dport != 5000", p_mixed_ops },
	{ "sport > :1024", p_gt }, { "sport gt 1024", p_gt },
	{ "sport>1024", p_gt }, { "not sport <= :1024", p_gt },
	{ "sport >= :1024", p_ge }, { "sport ge 1024", p_ge },
	{ "sport geq :1024", p_ge }, { "sport>=1024", p_ge },
	{ "sport < :1024", p_lt }, { "sport lt 1024", p_lt },
	{ "sport<:1024", p_lt },
	{ "sport <= :1024", p_le }, { "sport le 1024", p_le },
	{ "sport leq :1024", p_le }, { "sport<=1024", p_le },
	{ "dport = :80", p_eq }, { "dport == 80", p_eq },
	{ "dport eq :80", p_eq }, { "dport :80", p_eq }, { "dport 80", p_eq },
	{ "dport=80", p_eq },
	{ "dport != :80", p_ne }, { "dport ne 80", p_ne },
	{ "dport neq :80", p_ne }, { "dport!=80", p_ne },
	{ "dport > 0", p_dgt }, { "dport < 65535", p_dle },
	{ "sport >= :1000 and sport <= :2000", p_range },
	{ "not ( sport >= 21 and sport <= 23 )", p_outside },
	{ "sport < 21 or sport > 23", p_outside },
	{ "src 10.0.0.0/8", p_src8 }, { "src = 10.0.0.0/8", p_src8 },
	{ "src eq 10.0.0.0/8", p_src8 },
	{ "dst != 192.0.2.1", p_dst_ne }, { "not dst 192.0.2.1/32", p_dst_ne },
	{ "dst neq 192.0.2.1", p_dst_ne },
	{ "src 2001:db8::/32 or dst 2001:db8::/32", p_v6 },
	{ "dst [2001:db8::2]:80", p_v6_port },
	{ "dst 2001:db8::2 and dport = :80", p_v6_port },
	{ "src 10.0.0.1:22", p_v4_port },
	{ "dst *:22", p_dport22 }, { "dst :22", p_dport22 },
	{ "sport = :*", p_true }, { "sport = *", p_true },
	{ "sport != :*", p_false }, { "not src *", p_false },
	{ "not not sport = :22", p_s22 }, { "!!sport = :22", p_s22 },
	{ "((((sport = :22))))", p_s22 },
	{ "sport = :22 , dport = :80 , src 10.0.0.0/8", p_and3 },
	{ "sport = :22 && dport = :80 & src 10.0.0.0/8", p_and3 },
	{ "sport = :22 dport = :80 src 10.0.0.0/8", p_and3 },
	{ "sport = :22 | dport = :22 || src 10.0.0.0/8", p_or3 },
	{ "sport = :22 or (dport = :22 or src 10.0.0.0/8)", p_or3 },
	{ "( sport = :22 or sport = :80 ) and not ( dport >= :1024 and dport <= :5000 )",
	  p_mix },
	{ "(sport = :22 or sport = :80) !(dport >= :1024 && dport <= :5000)",
	  p_mix },
	{ "not ( not sport = :22 or dport != :80 )", p_s22_d80 },
	{ "((sport = :22)) and ((dport = :80))", p_s22_d80 },
	{ "sport = :22 and dport = :80 or sport = :80 and dport = :22 or dport = :0",
	  p_or_of_ands },
};

static struct ent table_ents[2000];
static size_t n_table_ents;

static void make_table_ents(void)
{
	static const char *const pairs[][2] = {
		{ "10.0.0.1", "192.0.2.1" }, { "192.0.2.1", "10.1.2.3" },
		{ "2001:db8::1", "2001:db8::2" },
		{ "::ffff:10.0.0.1", "::ffff:192.0.2.1" },
		{ "fe80::1", "2001:db8:1::5" },
	};
	size_t p, i, j;

	for (p = 0; p < N_OF(pairs); p++)
		for (i = 0; i < N_OF(ports); i++)
			for (j = 0; j < N_OF(ports); j++)
				table_ents[n_table_ents++] =
					mk(pairs[p][0], ports[i], pairs[p][1], ports[j]);
}

static void show_ent(const struct ent *e)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	inet_ntop(e->family, e->saddr, s, sizeof(s));
	inet_ntop(e->family, e->daddr, d, sizeof(d));
	printf("# socket %s:%u -> %s:%u\n", s, e->sport, d, e->dport);
}

/* @bc decides every socket of @ents as @want (or @want_v) does */
static bool agrees(const unsigned char *bc, size_t len, const struct ent *ents,
		   size_t n, bool (*want)(const struct ent *e),
		   const bool *want_v)
{
	const char *why = k_audit(bc, (int)len);
	size_t i;

	if (why) {
		printf("# the audit refuses it: %s\n", why);
		tf_dump(stdout, bc, len);
		return false;
	}
	for (i = 0; i < n; i++) {
		bool w = want ? want(&ents[i]) : want_v[i];

		if (k_run(bc, (int)len, &ents[i]) != w) {
			show_ent(&ents[i]);
			printf("# bytecode says %s, want %s\n", w ? "no" : "yes",
			       w ? "yes" : "no");
			tf_dump(stdout, bc, len);
			return false;
		}
	}
	return true;
}

/* each expression as separate words and as one word: the same program */
static void test_cases(void)
{
	size_t i;

	make_table_ents();
	for (i = 0; i < N_OF(cases); i++) {
		unsigned char *bc = NULL, *bc1 = NULL;
		size_t len = 0, len1 = 0;
		char err[256];
		bool good;

		good = !compile(cases[i].expr, true, &bc, &len, err, sizeof(err));
		if (!good)
			printf("# %s\n", err);
		good = good && agrees(bc, len, table_ents, n_table_ents,
				      cases[i].want, NULL);
		if (good && (compile(cases[i].expr, false, &bc1, &len1, err,
				     sizeof(err)) ||
			     len1 != len || memcmp(bc, bc1, len))) {
			printf("# as one word: another program\n");
			good = false;
		}
		ok(good, "'%s' (%zu bytes) on %zu sockets", cases[i].expr, len,
		   n_table_ents);
		free(bc);
		free(bc1);
	}
}

/* ---- random expressions, printed as a user might write them ---- */

enum { G_LEAF, G_AND, G_OR, G_NOT };
enum { C_EQ, C_NE, C_GT, C_LT, C_GE, C_LE };

struct gnode {
	int kind;
	struct gnode *a, *b;
	bool port, src;		/* a leaf: port or address, sport/src */
	int cmp, val;		/* val -1: '*' */
	int host;		/* an index in hosts[] */
};

static const struct {
	const char *text;
	int fam;
	const char *addr;
	int plen, port;
} hosts[] = {
	{ "10.0.0.0/8", AF_INET, "10.0.0.0", 8, -1 },
	{ "10.0.0.1", AF_INET, "10.0.0.1", 32, -1 },
	{ "192.0.2.0/24", AF_INET, "192.0.2.0", 24, -1 },
	{ "192.0.2.1:22", AF_INET, "192.0.2.1", 32, 22 },
	{ "10.0.0.1/32:1024", AF_INET, "10.0.0.1", 32, 1024 },
	{ "0.0.0.0/0", AF_INET, "0.0.0.0", 0, -1 },
	{ "2001:db8::/32", AF_INET6, "2001:db8::", 32, -1 },
	{ "2001:db8::1", AF_INET6, "2001:db8::1", 128, -1 },
	{ "[2001:db8::2]:80", AF_INET6, "2001:db8::2", 128, 80 },
	{ "[2001:db8::]/33:5000", AF_INET6, "2001:db8::", 33, 5000 },
	{ "fe80::/10", AF_INET6, "fe80::", 10, -1 },
	{ "::/0", AF_INET6, "::", 0, -1 },
	{ "*:22", 0, NULL, 0, 22 },
	{ ":80", 0, NULL, 0, 80 },
	{ "*", 0, NULL, 0, -1 },
};

static const char *const cmp_words[][4] = {
	[C_EQ] = { "=", "==", "eq", "" },
	[C_NE] = { "!=", "ne", "neq", NULL },
	[C_GT] = { ">", "gt", NULL },
	[C_LT] = { "<", "lt", NULL },
	[C_GE] = { ">=", "ge", "geq", NULL },
	[C_LE] = { "<=", "le", "leq", NULL },
};

static struct gnode pool[256];
static size_t npool;

static struct gnode *gen(int depth)
{
	struct gnode *g = &pool[npool++];
	int r = rand() % 10;

	memset(g, 0, sizeof(*g));
	if (depth <= 0 || r < 3) {
		g->kind = G_LEAF;
		g->port = rand() % 5 < 3;
		g->src = rand() & 1;
		if (g->port) {
			g->val = rand() % 20 ? (int)ports[rand() % N_OF(ports)] : -1;
			g->cmp = g->val < 0 ? rand() % 2 : rand() % 6;
		} else {
			g->host = rand() % (int)N_OF(hosts);
			g->cmp = rand() % 2;
		}
		return g;
	}
	g->kind = r < 6 ? G_AND : r < 9 ? G_OR : G_NOT;
	g->a = gen(depth - 1);
	if (g->kind != G_NOT)
		g->b = gen(depth - 1);
	return g;
}

static bool geval(const struct gnode *g, const struct ent *e)
{
	unsigned int p;
	bool r;

	switch (g->kind) {
	case G_AND: return geval(g->a, e) && geval(g->b, e);
	case G_OR: return geval(g->a, e) || geval(g->b, e);
	case G_NOT: return !geval(g->a, e);
	}
	p = g->src ? e->sport : e->dport;
	if (!g->port) {
		r = (hosts[g->host].port < 0 || (unsigned int)hosts[g->host].port == p) &&
		    ref_in(e, g->src, hosts[g->host].fam, hosts[g->host].addr,
			   hosts[g->host].plen);
		return g->cmp == C_EQ ? r : !r;
	}
	if (g->val < 0)
		return g->cmp == C_EQ;
	switch (g->cmp) {
	case C_EQ: return p == (unsigned int)g->val;
	case C_NE: return p != (unsigned int)g->val;
	case C_GT: return p > (unsigned int)g->val;
	case C_LT: return p < (unsigned int)g->val;
	case C_GE: return p >= (unsigned int)g->val;
	default: return p <= (unsigned int)g->val;
	}
}

static const char *pick(const char *const *words)
{
	size_t n = 0;

	while (n < 4 && words[n])
		n++;
	return words[rand() % n];
}

static void put_leaf(char *out, const struct gnode *g)
{
	const char *op = pick(cmp_words[g->cmp]);
	bool sym = strchr("=!<>", op[0]) && op[0];
	const char *sp = sym && rand() % 3 == 0 ? "" : " ";
	char val[32];

	if (!g->port && (g->cmp == C_EQ ? rand() % 3 == 0 : false))
		op = "";
	if (g->port && g->val < 0)
		snprintf(val, sizeof(val), "%s*", rand() & 1 ? ":" : "");
	else if (g->port)
		snprintf(val, sizeof(val), "%s%d", rand() & 1 ? ":" : "", g->val);
	else
		snprintf(val, sizeof(val), "%s", hosts[g->host].text);
	sprintf(out + strlen(out), "%s%s%s%s%s",
		g->port ? g->src ? "sport" : "dport" : g->src ? "src" : "dst",
		*op ? sp : "", op, *op ? sp : " ", val);
}

/* @g at a place that binds @prec (1 or, 2 and, 3 not): parentheses
 * where needed, and now and then where not
 */
static void put(char *out, const struct gnode *g, int prec)
{
	static const char *const ors[] = { " or ", " || ", " | ", "||" };
	static const char *const ands[] = { " and ", " && ", " & ", " , ", ", ", " " };
	static const char *const nots[] = { "not ", "! ", "!", "not " };
	int mine = g->kind == G_OR ? 1 : g->kind == G_AND ? 2 : 3;
	bool paren = mine < prec || rand() % 8 == 0;
	bool tight = rand() & 1;

	if (paren)
		strcat(out, tight ? "(" : "( ");
	switch (g->kind) {
	case G_LEAF:
		put_leaf(out, g);
		break;
	case G_NOT:
		strcat(out, nots[rand() % 4]);
		put(out, g->a, 3);
		break;
	default:
		put(out, g->a, mine);
		strcat(out, g->kind == G_OR ? ors[rand() % 4] :
		       ands[rand() % N_OF(ands)]);
		put(out, g->b, mine);
		break;
	}
	if (paren)
		strcat(out, tight ? ")" : " )");
}

static void test_random(unsigned int seed, int rounds)
{
	struct ent ents[64];
	int i, bad = 0, refused = 0;
	size_t j, bytes = 0;

	srand(seed);
	for (i = 0; i < rounds && bad < 3; i++) {
		static char text[65536];
		bool want[N_OF(ents)];
		unsigned char *bc;
		size_t len;
		char err[256];
		const struct gnode *g;

		npool = 0;
		g = gen(rand() % 7);
		text[0] = '\0';
		put(text, g, 0);
		for (j = 0; j < N_OF(ents); j++) {
			ents[j] = rand_ent();
			want[j] = geval(g, &ents[j]);
		}
		if (compile(text, rand() & 1, &bc, &len, err, sizeof(err))) {
			printf("# '%s': %s\n", text, err);
			refused++;
			bad++;
			continue;
		}
		bytes += len;
		if (!agrees(bc, len, ents, N_OF(ents), NULL, want)) {
			printf("# in '%s'\n", text);
			bad++;
		}
		free(bc);
	}
	ok(!bad, "random (TF_SEED=%u): %d expressions, %zu bytes of bytecode, on %zu sockets each: %d wrong, %d refused",
	   seed, i, bytes, N_OF(ents), bad - refused, refused);
}

/* ---- errors ---- */

static const struct {
	const char *expr, *says;
} errors[] = {
	{ "sport = :22 or", "ends after 'or'" },
	{ "sport = :22 and", "ends after 'and'" },
	{ "not", "ends after 'not'" },
	{ "( sport = :22", "unbalanced '('" },
	{ "((sport = :22) or dport = :1", "unbalanced '('" },
	{ "sport = :22 )", "unbalanced ')'" },
	{ "(sport = :22)) or (dport = :1", "unbalanced ')'" },
	{ "( )", "unexpected ')' (empty parentheses)" },
	{ "sport = :22 or ( )", "empty parentheses" },
	{ "sport = :notaport", "':notaport'" },
	{ "sport = :70000", "':70000'" },
	{ "dport > -1", "bad port '-1'" },
	{ "sport = 10.0.0.1:22", "'10.0.0.1:22'" },
	{ "src > 10.0.0.1", "not '>'" },
	{ "dst ge 10.0.0.1", "not 'ge'" },
	{ "src 10.0.0.0/33", "'10.0.0.0/33'" },
	{ "dst 2001:db8::/129", "'2001:db8::/129'" },
	{ "dst [2001:db8::1", "'[2001:db8::1'" },
	{ "dst nosuchhost", "'nosuchhost'" },
	{ "sport > *", "'*'" },
	{ "foo = :22", "unexpected 'foo'" },
	{ "and sport = :22", "unexpected 'and'" },
	{ "sport = :22 and and dport = :1", "unexpected 'and'" },
	{ "sport = :22 or or dport = :1", "unexpected 'or'" },
	{ "sport = :22 dport", "no value after 'dport'" },
	{ "sport", "no value after 'sport'" },
	{ "sport =", "no value after 'sport'" },
	{ "sport = ( :22 )", "no value after 'sport', but (" },
	{ "sport = :22 =", "unexpected '='" },
	{ "sport === 22", "unknown comparison '===' after 'sport'" },
	{ "dport =< 22", "unknown comparison '=<' after 'dport'" },
	{ "state established", "unexpected 'state'" },
};

static void test_errors(void)
{
	size_t i;

	for (i = 0; i < N_OF(errors); i++) {
		unsigned char *bc = (void *)1;
		size_t len = 1;
		char err[256] = "";
		int r = compile(errors[i].expr, true, &bc, &len, err, sizeof(err));

		ok(r == -1 && !bc && !len && strstr(err, errors[i].says),
		   "'%s': refused, \"%s\"", errors[i].expr, err);
	}
}

/* ---- limits ---- */

/* @n terms "KEY CMP :K" (K from 1) joined by @join: compile it */
static int long_expr(int n, const char *term, const char *join,
		     unsigned char **bc, size_t *len, char *err)
{
	size_t size = (size_t)n * (strlen(term) + strlen(join) + 8) + 1;
	char *text = malloc(size), *p = text;
	int i, r;

	if (!text)
		abort();
	for (i = 1; i <= n; i++)
		p += sprintf(p, "%s%s:%d", i > 1 ? join : "", term, i % 65536);
	r = compile(text, true, bc, len, err, 256);
	free(text);
	return r;
}

static void test_limits(void)
{
	/* an or of N: 12 bytes a term (the test and a JMP), 8 the last */
	int n_or = (TF_BC_MAX - 8) / 12 + 1, n_and = TF_BC_MAX / 8;
	struct ent e[4] = {
		mk("10.0.0.1", 1, "10.0.0.2", (unsigned int)n_or),
		mk("10.0.0.1", 1, "10.0.0.2", (unsigned int)n_or + 1),
		mk("10.0.0.1", 1, "10.0.0.2", 1),
		mk("10.0.0.1", 1, "10.0.0.2", 0),
	};
	static const bool want_or[4] = { true, false, true, false };
	static const bool want_and[4] = { false, false, false, false };
	unsigned char *bc;
	size_t len;
	char err[256], want[64];
	int r;

	r = long_expr(n_or, "dport = ", " or ", &bc, &len, err);
	ok(!r && len == TF_BC_MAX && agrees(bc, len, e, 4, NULL, want_or),
	   "an or of %d ports: %zu bytes, the most the kernel takes", n_or, len);
	if (!r)
		free(bc);
	/* its term n_or is no more the last: 12 bytes, not 8 */
	snprintf(want, sizeof(want), "term %d ('dport') is past", n_or);
	r = long_expr(n_or + 1, "dport = ", " or ", &bc, &len, err);
	ok(r == -1 && strstr(err, "filter too long") && strstr(err, want),
	   "an or of %d ports is refused: \"%s\"", n_or + 1, err);
	r = long_expr(n_and, "dport >= ", " and ", &bc, &len, err);
	ok(!r && len == TF_BC_MAX && agrees(bc, len, e, 4, NULL, want_and),
	   "an and of %d: %zu bytes", n_and, len);
	if (!r)
		free(bc);
	snprintf(want, sizeof(want), "term %d ('sport') is past", n_and + 1);
	r = long_expr(n_and + 1, "sport <= ", " ", &bc, &len, err);
	ok(r == -1 && strstr(err, want), "an and of %d is refused: \"%s\"",
	   n_and + 1, err);
}

static void test_depth(void)
{
	char text[4 * TF_DEPTH_MAX + 64] = "";
	unsigned char *bc;
	size_t len;
	char err[256];
	int i, r;

	for (i = 0; i < TF_DEPTH_MAX; i++)
		strcat(text, i & 1 ? "( " : "! ");
	strcat(text, "sport = :22");
	for (i = 0; i < TF_DEPTH_MAX / 2; i++)
		strcat(text, " )");
	r = compile(text, true, &bc, &len, err, sizeof(err));
	ok(!r && !k_audit(bc, (int)len), "%d nested nots and parentheses",
	   TF_DEPTH_MAX);
	if (!r)
		free(bc);
	memmove(text + 2, text, strlen(text) + 1);
	memcpy(text, "( ", 2);
	strcat(text, " )");
	r = compile(text, true, &bc, &len, err, sizeof(err));
	ok(r == -1 && strstr(err, "nested more than"), "%d deep: \"%s\"",
	   TF_DEPTH_MAX + 1, err);
	r = compile("", true, &bc, &len, err, sizeof(err));
	ok(!r && !bc && !len, "an empty expression: no bytecode");
}

int main(void)
{
	const char *s = getenv("TF_SEED");
	unsigned int seed = s ? (unsigned int)strtoul(s, NULL, 0) : 253;

	test_cases();
	test_random(seed, 3000);
	test_errors();
	test_limits();
	test_depth();
	return tap_done();
}
