// SPDX-License-Identifier: GPL-2.0
/*
 * ternss's FILTER: ss(8)'s expression grammar, parsed by recursive
 * descent into a tree, then compiled to inet_diag bytecode.
 *
 *   expr  := and { ( or | || | '|' ) and }
 *   and   := unary { [ and | && | '&' | ',' ] unary }
 *   unary := ( not | ! ) unary | '(' expr ')' | term
 *   term  := ( sport | dport ) [ CMP ] PORT | ( src | dst ) [ = | != ] HOST
 *
 * so not binds tighter than and, and tighter than or, as in ss. The
 * bytecode (net/ipv4/inet_diag.c: inet_diag_bc_run()) has one kind of
 * conditional: an operation that holds goes on to the next ("yes" is
 * its own length), one that fails jumps forward by "no"; JMP always
 * jumps. Reaching the end exactly accepts the socket, landing 4 bytes past
 * it rejects. inet_diag_bc_audit() wants every jump forward, a multiple of
 * 4, and onto an operation or the end (or the reject). So every node is
 * compiled in one of two shapes, as a compiler does for && and ||: "jump
 * to T if true, else fall through" or "jump to F if false, else fall
 * through"; a not swaps the shape, an and/or passes its target to its
 * last operand and a label just past itself to the others. Each leaf is
 * emitted once: the program grows linearly with the expression.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <sys/socket.h>

#include "ternss_filter.h"

enum tf_kind { TF_LEAF, TF_NOT, TF_AND, TF_OR };

/* A leaf's operation: inet_diag_bc_op, then a hostcond and its address. */
#define TF_OP_MAX	(sizeof(struct inet_diag_bc_op) + \
			 sizeof(struct inet_diag_hostcond) + 16)

struct tf_node {
	enum tf_kind kind;
	struct tf_node *kid, *last;	/* operands: one for not */
	struct tf_node *next;		/* the next operand of the parent */
	struct tf_node *all;		/* every node, to free them */
	const char *word;		/* where it came from, for errors */
	size_t leaf;			/* a leaf's number, from 1 */
	size_t size[2];			/* code size, jumping on false/true */
	unsigned char op[TF_OP_MAX];	/* a leaf's operation, "no" unset */
	size_t oplen;
};

struct tf_ctx {
	char **tok;
	size_t ntok, cap, pos;
	int depth;
	size_t leaves;
	struct tf_node *nodes;
	char *err;
	size_t errsize;
};

static const char *const tf_or_words[] = { "or", "||", "|", NULL };
static const char *const tf_and_words[] = { "and", "&&", "&", ",", NULL };
static const char *const tf_not_words[] = { "not", "!", NULL };

enum tf_cmp { TF_EQ, TF_NE, TF_GT, TF_LT, TF_GE, TF_LE, TF_NONE };

static const struct {
	const char *word;
	enum tf_cmp cmp;
} tf_cmps[] = {
	{ "=", TF_EQ }, { "==", TF_EQ }, { "eq", TF_EQ },
	{ "!=", TF_NE }, { "ne", TF_NE }, { "neq", TF_NE },
	{ ">", TF_GT }, { "gt", TF_GT },
	{ "<", TF_LT }, { "lt", TF_LT },
	{ ">=", TF_GE }, { "ge", TF_GE }, { "geq", TF_GE },
	{ "<=", TF_LE }, { "le", TF_LE }, { "leq", TF_LE },
};

static __attribute__((format(printf, 2, 3)))
void *tf_fail(struct tf_ctx *c, const char *fmt, ...)
{
	va_list ap;

	/* the first error is the one to tell */
	if (c->err[0])
		return NULL;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errsize, fmt, ap);
	va_end(ap);
	return NULL;
}

static bool tf_in(const char *t, const char *const *words)
{
	for (; t && *words; words++)
		if (!strcmp(t, *words))
			return true;
	return false;
}

static enum tf_cmp tf_cmp_of(const char *t)
{
	size_t i;

	for (i = 0; t && i < sizeof(tf_cmps) / sizeof(tf_cmps[0]); i++)
		if (!strcmp(t, tf_cmps[i].word))
			return tf_cmps[i].cmp;
	return TF_NONE;
}

/* ---- words to tokens ---- */

/* The length of the token at @s: parentheses and commas stand alone
 * wherever they are, and so do &&, ||, !, and the comparison signs.
 */
static size_t tf_toklen(const char *s)
{
	if (strchr("(),", *s))
		return 1;
	if (*s == '&' || *s == '|')
		return s[1] == *s ? 2 : 1;
	if (*s == '!' && s[1] != '=')
		return 1;
	if (strchr("<>=!", *s))
		return 1 + strspn(s + 1, "<>=");
	return strcspn(s, " \t\n()<>=!&|,");
}

static int tf_tokenize(struct tf_ctx *c, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *s = argv[i];

		while (*s) {
			size_t n;

			if (isspace((unsigned char)*s)) {
				s++;
				continue;
			}
			n = tf_toklen(s);
			if (c->ntok == c->cap) {
				size_t cap = c->cap ? 2 * c->cap : 32;
				char **t = realloc(c->tok, cap * sizeof(*t));

				if (!t)
					goto nomem;
				c->tok = t;
				c->cap = cap;
			}
			c->tok[c->ntok] = strndup(s, n);
			if (!c->tok[c->ntok])
				goto nomem;
			c->ntok++;
			s += n;
		}
	}
	return 0;
nomem:
	tf_fail(c, "filter: out of memory");
	return -1;
}

static const char *tf_peek(const struct tf_ctx *c)
{
	return c->pos < c->ntok ? c->tok[c->pos] : NULL;
}

/* ---- the tree ---- */

static struct tf_node *tf_node(struct tf_ctx *c, enum tf_kind kind,
			       const char *word)
{
	struct tf_node *n = calloc(1, sizeof(*n));

	if (!n)
		return tf_fail(c, "filter: out of memory");
	n->kind = kind;
	n->word = word;
	n->all = c->nodes;
	c->nodes = n;
	return n;
}

static struct tf_node *tf_not(struct tf_ctx *c, const char *word,
			      struct tf_node *kid)
{
	struct tf_node *n = kid ? tf_node(c, TF_NOT, word) : NULL;

	if (n)
		n->kid = kid;
	return n;
}

/* @a and @b (or: @a or @b), flattened: an and of ands is one and. */
static struct tf_node *tf_join(struct tf_ctx *c, enum tf_kind kind,
			       struct tf_node *a, struct tf_node *b)
{
	if (a->kind != kind) {
		struct tf_node *p = tf_node(c, kind, a->word);

		if (!p)
			return NULL;
		p->kid = a;
		p->last = a;
		a = p;
	}
	a->last->next = b;
	a->last = b;
	return a;
}

/* A leaf: operation @code with @arglen bytes of argument. */
static struct tf_node *tf_leaf(struct tf_ctx *c, const char *word, int code,
			       const void *arg, size_t arglen)
{
	struct inet_diag_bc_op op = {
		.code = (unsigned char)code,
		.yes = (unsigned char)(sizeof(op) + arglen),
	};
	struct tf_node *n = tf_node(c, TF_LEAF, word);

	if (!n)
		return NULL;
	memcpy(n->op, &op, sizeof(op));
	memcpy(n->op + sizeof(op), arg, arglen);
	n->oplen = sizeof(op) + arglen;
	n->leaf = ++c->leaves;
	/* no leaf is under 8 bytes: stop early on a huge expression */
	if (c->leaves * 8 > TF_BC_MAX)
		return tf_fail(c, "filter too long: term %zu ('%s') is past the kernel's %d bytes of bytecode",
			       c->leaves, word, TF_BC_MAX);
	return n;
}

/* PORT: [:]NUMBER, [:]SERVICE, or * (any, -1) */
static int tf_port(const char *v, int *port)
{
	struct servent *se;
	char *end;
	long n;

	if (*v == ':')
		v++;
	if (!strcmp(v, "*")) {
		*port = -1;
		return 0;
	}
	if (!*v)
		return -1;
	n = strtol(v, &end, 10);
	if (*end) {
		se = getservbyname(v, "tcp");
		if (!se)
			return -1;
		n = ntohs((uint16_t)se->s_port);
	}
	if (n < 0 || n > 65535)
		return -1;
	*port = (int)n;
	return 0;
}

/* sport/dport CMP PORT: S_EQ, S_GE, S_LE (D_ for dport); !=, > and < are
 * their negations, as ss compiles them.
 */
static struct tf_node *tf_port_term(struct tf_ctx *c, const char *key,
				    enum tf_cmp cmp, const char *val)
{
	bool s = key[0] == 's';
	struct inet_diag_hostcond any = { .family = AF_UNSPEC, .port = -1 };
	struct inet_diag_bc_op arg = { 0 };
	int port, eq, ge, le;

	if (tf_port(val, &port))
		return tf_fail(c, "filter: bad port '%s' after '%s' (want :PORT, PORT or a service)",
			       val, key);
	eq = s ? INET_DIAG_BC_S_EQ : INET_DIAG_BC_D_EQ;
	ge = s ? INET_DIAG_BC_S_GE : INET_DIAG_BC_D_GE;
	le = s ? INET_DIAG_BC_S_LE : INET_DIAG_BC_D_LE;
	if (port < 0) {
		if (cmp != TF_EQ && cmp != TF_NE)
			return tf_fail(c, "filter: '%s' compares with '*' only by = or !=", key);
		return cmp == TF_EQ ?
			tf_leaf(c, key, s ? INET_DIAG_BC_S_COND : INET_DIAG_BC_D_COND,
				&any, sizeof(any)) :
			tf_not(c, key, tf_leaf(c, key, s ? INET_DIAG_BC_S_COND :
					       INET_DIAG_BC_D_COND, &any, sizeof(any)));
	}
	arg.no = (unsigned short)port;
	switch (cmp) {
	case TF_EQ:
		return tf_leaf(c, key, eq, &arg, sizeof(arg));
	case TF_NE:
		return tf_not(c, key, tf_leaf(c, key, eq, &arg, sizeof(arg)));
	case TF_GE:
		return tf_leaf(c, key, ge, &arg, sizeof(arg));
	case TF_LE:
		return tf_leaf(c, key, le, &arg, sizeof(arg));
	case TF_GT:
		return tf_not(c, key, tf_leaf(c, key, le, &arg, sizeof(arg)));
	default:
		return tf_not(c, key, tf_leaf(c, key, ge, &arg, sizeof(arg)));
	}
}

/* HOST: [ADDR][/PREFIX][:PORT], an IPv6 address in brackets before a port
 * ([ADDR]:PORT, [ADDR/PREFIX]:PORT or [ADDR]/PREFIX:PORT; a bare IPv6
 * address has more than one colon). Splits @buf in place.
 */
static int tf_host_split(char *buf, char **a, char **pfx, char **p)
{
	char *rb;

	*a = buf;
	*pfx = NULL;
	*p = NULL;
	if (buf[0] == '[') {
		rb = strchr(buf, ']');
		if (!rb)
			return -1;
		*rb++ = '\0';
		*a = buf + 1;
		if (*rb == '/')
			*pfx = rb + 1;
		else if (*rb && *rb != ':')
			return -1;
		*p = strchr(rb, ':');
	} else if (strchr(buf, ':') == strrchr(buf, ':')) {
		*p = strchr(buf, ':');
	}
	if (*p)
		*(*p)++ = '\0';
	if (!*pfx && strchr(*a, '/')) {
		*pfx = strchr(*a, '/');
		*(*pfx)++ = '\0';
	}
	return 0;
}

static int tf_host(const char *v, struct inet_diag_hostcond *hc,
		   unsigned char *addr)
{
	char buf[128], *a, *pfx, *p, *end;
	long n;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	if (tf_host_split(buf, &a, &pfx, &p))
		return -1;
	hc->port = -1;
	if (p && *p && tf_port(p, &hc->port))
		return -1;
	if (!*a || !strcmp(a, "*"))
		return pfx ? -1 : 0;
	if (inet_pton(AF_INET, a, addr) == 1)
		hc->family = AF_INET;
	else if (inet_pton(AF_INET6, a, addr) == 1)
		hc->family = AF_INET6;
	else
		return -1;
	hc->prefix_len = hc->family == AF_INET ? 32 : 128;
	if (!pfx)
		return 0;
	n = strtol(pfx, &end, 10);
	if (!*pfx || *end || n < 0 || n > hc->prefix_len)
		return -1;
	hc->prefix_len = (uint8_t)n;
	return 0;
}

/* src/dst [=|!=] HOST: S_COND or D_COND, negated for != */
static struct tf_node *tf_host_term(struct tf_ctx *c, const char *key,
				    enum tf_cmp cmp, const char *opword,
				    const char *val)
{
	unsigned char arg[sizeof(struct inet_diag_hostcond) + 16] = { 0 };
	struct inet_diag_hostcond hc = { .family = AF_UNSPEC };
	int code = key[0] == 's' ? INET_DIAG_BC_S_COND : INET_DIAG_BC_D_COND;
	size_t alen;
	struct tf_node *n;

	if (cmp != TF_EQ && cmp != TF_NE)
		return tf_fail(c, "filter: '%s' compares by = or !=, not '%s'", key, opword);
	if (tf_host(val, &hc, arg + sizeof(hc)))
		return tf_fail(c, "filter: bad address '%s' after '%s' (want ADDR[/PREFIX][:PORT])",
			       val, key);
	alen = hc.family == AF_INET ? 4 : hc.family == AF_INET6 ? 16 : 0;
	memcpy(arg, &hc, sizeof(hc));
	n = tf_leaf(c, key, code, arg, sizeof(hc) + alen);
	return cmp == TF_NE ? tf_not(c, key, n) : n;
}

/* term := KEY [CMP] VALUE */
static struct tf_node *tf_term(struct tf_ctx *c)
{
	const char *key = c->tok[c->pos++], *opword = "=", *val;
	enum tf_cmp cmp = TF_EQ;
	bool port = !strcmp(key, "sport") || !strcmp(key, "dport");

	if (!port && strcmp(key, "src") && strcmp(key, "dst"))
		return tf_fail(c, "filter: unexpected '%s' (want sport, dport, src, dst, not or '(')",
			       key);
	val = tf_peek(c);
	if (tf_cmp_of(val) != TF_NONE) {
		opword = val;
		cmp = tf_cmp_of(val);
		c->pos++;
		val = tf_peek(c);
	}
	if (val && strchr("=<>!", val[0]) && strcmp(val, "!"))
		return tf_fail(c, "filter: unknown comparison '%s' after '%s'", val, key);
	if (!val || strchr("(),&|!", val[0]))
		return tf_fail(c, "filter: no value after '%s'%s%s", key,
			       val ? ", but " : "", val ? val : "");
	c->pos++;
	return port ? tf_port_term(c, key, cmp, val) :
		      tf_host_term(c, key, cmp, opword, val);
}

static struct tf_node *tf_or(struct tf_ctx *c);

static struct tf_node *tf_unary(struct tf_ctx *c)
{
	const char *t = tf_peek(c);
	struct tf_node *n;

	if (!t)
		return tf_fail(c, "filter: the expression ends after '%s'",
			       c->tok[c->ntok - 1]);
	if (!strcmp(t, ")"))
		return tf_fail(c, "filter: unexpected ')'%s", c->pos &&
			       !strcmp(c->tok[c->pos - 1], "(") ? " (empty parentheses)" : "");
	if (strcmp(t, "(") && !tf_in(t, tf_not_words))
		return tf_term(c);
	if (++c->depth > TF_DEPTH_MAX)
		return tf_fail(c, "filter: '%s' nested more than %d deep", t, TF_DEPTH_MAX);
	c->pos++;
	if (t[0] == '(') {
		n = tf_or(c);
		if (n && !tf_peek(c))
			return tf_fail(c, "filter: unbalanced '(': no ')' closes it");
		c->pos++;	/* tf_or() stops only at the end or a ')' */
	} else {
		n = tf_not(c, t, tf_unary(c));
	}
	c->depth--;
	return n;
}

static struct tf_node *tf_and(struct tf_ctx *c)
{
	struct tf_node *n = tf_unary(c);
	const char *t;

	while (n && (t = tf_peek(c)) && strcmp(t, ")") &&
	       !tf_in(t, tf_or_words)) {
		struct tf_node *m;

		if (tf_in(t, tf_and_words))
			c->pos++;
		m = tf_unary(c);
		n = m ? tf_join(c, TF_AND, n, m) : NULL;
	}
	return n;
}

static struct tf_node *tf_or(struct tf_ctx *c)
{
	struct tf_node *n = tf_and(c);

	while (n && tf_in(tf_peek(c), tf_or_words)) {
		struct tf_node *m;

		c->pos++;
		m = tf_and(c);
		n = m ? tf_join(c, TF_OR, n, m) : NULL;
	}
	return n;
}

/* ---- the bytecode ---- */

struct tf_emitter {
	unsigned char *bc;
	size_t pos;
	const struct tf_node *over;	/* the first leaf past TF_BC_MAX */
};

/*
 * The code of @n that jumps when @n is true (@jt) or false (!@jt):
 * operands of an and but the last jump when false, of an or when true.
 */
static size_t tf_size(struct tf_node *n, int jt)
{
	struct tf_node *k;
	size_t s = 0;

	if (n->size[jt])
		return n->size[jt];
	switch (n->kind) {
	case TF_LEAF:
		s = n->oplen + (jt ? sizeof(struct inet_diag_bc_op) : 0);
		break;
	case TF_NOT:
		s = tf_size(n->kid, !jt);
		break;
	default:
		for (k = n->kid; k; k = k->next)
			s += tf_size(k, k->next ? n->kind == TF_OR : jt);
		break;
	}
	n->size[jt] = s;
	return s;
}

/*
 * A leaf that jumps to @target when false: the operation, "no" to the
 * target. When true: the operation, "no" over a JMP to the target (the
 * JMP's "yes" is never taken, but the audit walks it).
 */
static void tf_emit_leaf(struct tf_emitter *e, const struct tf_node *n,
			 int jt, size_t target)
{
	struct inet_diag_bc_op op, jmp = { .code = INET_DIAG_BC_JMP };

	memcpy(&op, n->op, sizeof(op));
	op.no = (unsigned short)(jt ? n->oplen + sizeof(jmp) : target - e->pos);
	memcpy(e->bc + e->pos, n->op, n->oplen);
	memcpy(e->bc + e->pos, &op, sizeof(op));
	e->pos += n->oplen;
	if (jt) {
		jmp.yes = sizeof(jmp);
		jmp.no = (unsigned short)(target - e->pos);
		memcpy(e->bc + e->pos, &jmp, sizeof(jmp));
		e->pos += sizeof(jmp);
	}
	if (e->pos > TF_BC_MAX && !e->over)
		e->over = n;
}

static void tf_emit(struct tf_emitter *e, struct tf_node *n, int jt,
		    size_t target)
{
	struct tf_node *k;
	size_t end = e->pos + tf_size(n, jt);
	int kjt = n->kind == TF_OR;

	switch (n->kind) {
	case TF_LEAF:
		tf_emit_leaf(e, n, jt, target);
		break;
	case TF_NOT:
		tf_emit(e, n->kid, !jt, target);
		break;
	default:
		/* the others jump past the whole unless they decide it */
		for (k = n->kid; k; k = k->next)
			tf_emit(e, k, k->next ? kjt : jt,
				!k->next || kjt == jt ? target : end);
		break;
	}
}

/* The whole: the root jumps when false to the reject, 4 past the end. */
static int tf_program(struct tf_ctx *c, struct tf_node *root,
		      unsigned char **bc, size_t *len)
{
	size_t total = tf_size(root, 0);
	struct tf_emitter e = { .bc = malloc(total) };

	if (!e.bc) {
		tf_fail(c, "filter: out of memory");
		return -1;
	}
	tf_emit(&e, root, 0, total + sizeof(struct inet_diag_bc_op));
	if (total > TF_BC_MAX) {
		tf_fail(c, "filter too long: %zu bytes of bytecode, the kernel takes %d; term %zu ('%s') is past that",
			total, TF_BC_MAX, e.over->leaf, e.over->word);
		free(e.bc);
		return -1;
	}
	*bc = e.bc;
	*len = total;
	return 0;
}

int tf_compile(int argc, char **argv, unsigned char **bc, size_t *len,
	       char *err, size_t errsize)
{
	struct tf_ctx c = { .err = err, .errsize = errsize };
	struct tf_node *root;
	int ret = -1;
	size_t i;

	*bc = NULL;
	*len = 0;
	err[0] = '\0';
	if (tf_tokenize(&c, argc, argv))
		goto out;
	if (!c.ntok) {
		ret = 0;
		goto out;
	}
	root = tf_or(&c);
	if (root && c.pos < c.ntok)	/* tf_or() stops only at a ')' */
		tf_fail(&c, "filter: unbalanced ')': no '(' before it");
	else if (root)
		ret = tf_program(&c, root, bc, len);
out:
	while (c.nodes) {
		struct tf_node *n = c.nodes;

		c.nodes = n->all;
		free(n);
	}
	for (i = 0; i < c.ntok; i++)
		free(c.tok[i]);
	free(c.tok);
	return ret;
}

/* ---- --dump-bytecode ---- */

static const char *const tf_code_names[] = {
	"NOP", "JMP", "S_GE", "S_LE", "D_GE", "D_LE", "AUTO", "S_COND",
	"D_COND", "DEV_COND", "MARK_COND", "S_EQ", "D_EQ", "CGROUP_COND",
};

/* An operation's argument: a port, or a hostcond's address and port. */
static void tf_dump_arg(FILE *f, const unsigned char *bc, size_t len,
			size_t pos, unsigned int code)
{
	struct inet_diag_hostcond hc;
	struct inet_diag_bc_op arg;
	char a[INET6_ADDRSTRLEN] = "*";

	if (code == INET_DIAG_BC_S_COND || code == INET_DIAG_BC_D_COND) {
		if (pos + 4 + sizeof(hc) > len)
			return;
		memcpy(&hc, bc + pos + 4, sizeof(hc));
		if ((hc.family == AF_INET || hc.family == AF_INET6) &&
		    pos + 4 + sizeof(hc) + (hc.family == AF_INET ? 4 : 16) <= len)
			inet_ntop(hc.family, bc + pos + 4 + sizeof(hc), a, sizeof(a));
		fprintf(f, " %s/%u port %d", a, hc.prefix_len, hc.port);
	} else if (code != INET_DIAG_BC_JMP && code != INET_DIAG_BC_NOP &&
		   code != INET_DIAG_BC_AUTO && pos + 8 <= len) {
		memcpy(&arg, bc + pos + 4, sizeof(arg));
		fprintf(f, " %u", arg.no);
	}
}

void tf_dump(FILE *f, const unsigned char *bc, size_t len)
{
	size_t pos = 0;

	while (pos + sizeof(struct inet_diag_bc_op) <= len) {
		struct inet_diag_bc_op op;
		size_t to;

		memcpy(&op, bc + pos, sizeof(op));
		to = pos + op.no;
		fprintf(f, "%5zu %s", pos, op.code < sizeof(tf_code_names) /
			sizeof(tf_code_names[0]) ? tf_code_names[op.code] : "?");
		tf_dump_arg(f, bc, len, pos, op.code);
		fprintf(f, op.code == INET_DIAG_BC_JMP ? " to " : ", else ");
		if (to == len)
			fprintf(f, "accept\n");
		else if (to == len + 4)
			fprintf(f, "reject\n");
		else
			fprintf(f, "%zu\n", to);
		pos += op.yes ? op.yes : sizeof(op);
	}
	fprintf(f, "%5zu accept\n", len);
}
