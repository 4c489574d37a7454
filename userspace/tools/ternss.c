// SPDX-License-Identifier: GPL-2.0
/*
 * ternss: ss for Tern (IP protocol 253). iproute2's ss asks sock_diag
 * about a fixed list of protocols; this asks about Tern's sockets the same
 * way (inet_diag dumps for AF_INET and AF_INET6, the filter compiled to
 * inet_diag bytecode so that the kernel applies it) and prints them as
 * ss -t prints TCP's. See ternss(8).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>

#include "tern/tern.h"
#include "ternss_filter.h"

/* TCP_* states as bits, as ss's SS_* */
#define ST(s)		(1U << (s))
#define ST_ALL		(0xfffU & ~ST(0))
#define ST_CONN		(ST_ALL & ~(ST(TCP_LISTEN) | ST(TCP_CLOSE) | \
			 ST(TCP_TIME_WAIT) | ST(TCP_SYN_RECV)))

struct sockrec {
	struct inet_diag_msg msg;
	bool has_mem, has_skmem, has_info, has_shut;
	struct inet_diag_meminfo mem;
	uint32_t skmem[SK_MEMINFO_VARS];
	struct tern_info info;
	size_t info_len;
	char cong[TERN_CA_NAME_MAX];	/* INET_DIAG_CONG, "" if none */
	uint8_t shutdown;
};

static struct {
	bool numeric, procs, ext, info, mem, noheader, kill, dump_bc;
	int family;		/* AF_UNSPEC: both */
	unsigned int states;
	struct sockrec *recs;
	size_t nrecs, cap;
} opt;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ternss [-anlH46peimK] [FILTER]\n"
		"  -a all sockets   -l listening   -n numeric   -H no header\n"
		"  -4 IPv4 only     -6 IPv6 only   -p processes -e extended\n"
		"  -i internal info -m memory      -K kill the matching sockets\n"
		"FILTER := [ state NAME | exclude NAME ]... [ EXPR ]\n"
		"EXPR := EXPR { and | && | , } EXPR | EXPR { or | || } EXPR |\n"
		"        { not | ! } EXPR | ( EXPR ) |\n"
		"        { sport | dport } [ = | != | > | < | >= | <= ] [:]PORT |\n"
		"        { src | dst } [ = | != ] ADDR[/PREFIX][:PORT]\n");
}

/* ---- the filter: states, and bytecode for the rest ---- */

static const struct {
	const char *name;
	unsigned int bits;
} state_names[] = {
	{ "all", ST_ALL },
	{ "connected", ST_ALL & ~(ST(TCP_LISTEN) | ST(TCP_CLOSE)) },
	{ "synchronized", ST_ALL & ~(ST(TCP_LISTEN) | ST(TCP_CLOSE) | ST(TCP_SYN_SENT)) },
	{ "bucket", ST(TCP_SYN_RECV) | ST(TCP_TIME_WAIT) },
	{ "big", ST_ALL & ~(ST(TCP_SYN_RECV) | ST(TCP_TIME_WAIT)) },
	{ "established", ST(TCP_ESTABLISHED) },
	{ "syn-sent", ST(TCP_SYN_SENT) },
	{ "syn-recv", ST(TCP_SYN_RECV) },
	{ "fin-wait-1", ST(TCP_FIN_WAIT1) },
	{ "fin-wait-2", ST(TCP_FIN_WAIT2) },
	{ "time-wait", ST(TCP_TIME_WAIT) },
	{ "closed", ST(TCP_CLOSE) },
	{ "close-wait", ST(TCP_CLOSE_WAIT) },
	{ "last-ack", ST(TCP_LAST_ACK) },
	{ "listening", ST(TCP_LISTEN) },
	{ "closing", ST(TCP_CLOSING) },
};

static int state_bits(const char *name, unsigned int *bits)
{
	size_t i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!strcasecmp(name, state_names[i].name)) {
			*bits = state_names[i].bits;
			return 0;
		}
	}
	fprintf(stderr, "ternss: wrong state name: %s\n", name);
	return -1;
}

static unsigned char *bc;
static size_t bc_len;

static int parse_filter(int argc, char **argv)
{
	unsigned int bits, states = 0;
	bool any = false;
	char err[256];
	int i = 0;

	while (i < argc && (!strcmp(argv[i], "state") ||
			    !strcmp(argv[i], "exclude") ||
			    !strcmp(argv[i], "excl"))) {
		if (i + 1 >= argc || state_bits(argv[i + 1], &bits))
			return -1;
		if (argv[i][0] == 's') {
			states |= bits;
			any = true;
		} else {
			if (!any)
				states = opt.states;
			states &= ~bits;
			any = true;
		}
		i += 2;
	}
	if (any)
		opt.states = states;
	if (tf_compile(argc - i, argv + i, &bc, &bc_len, err, sizeof(err))) {
		fprintf(stderr, "ternss: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- the dump ---- */

static struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ternss: sock_diag: %s\n", strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct sockrec *r = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case INET_DIAG_MEMINFO:
		if (len >= sizeof(r->mem)) {
			memcpy(&r->mem, mnl_attr_get_payload(a), sizeof(r->mem));
			r->has_mem = true;
		}
		break;
	case INET_DIAG_SKMEMINFO:
		memcpy(r->skmem, mnl_attr_get_payload(a),
		       len < sizeof(r->skmem) ? len : sizeof(r->skmem));
		r->has_skmem = true;
		break;
	case INET_DIAG_INFO:
		r->info_len = len < sizeof(r->info) ? len : sizeof(r->info);
		memcpy(&r->info, mnl_attr_get_payload(a), r->info_len);
		r->has_info = true;
		break;
	case INET_DIAG_CONG:
		snprintf(r->cong, sizeof(r->cong), "%.*s", (int)len,
			 (const char *)mnl_attr_get_payload(a));
		break;
	case INET_DIAG_SHUTDOWN:
		r->shutdown = mnl_attr_get_u8(a);
		r->has_shut = true;
		break;
	}
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sockrec *r;

	(void)data;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return MNL_CB_ERROR;
	if (opt.nrecs == opt.cap) {
		size_t cap = opt.cap ? 2 * opt.cap : 256;
		struct sockrec *n = realloc(opt.recs, cap * sizeof(*n));

		if (!n)
			return MNL_CB_ERROR;
		opt.recs = n;
		opt.cap = cap;
	}
	r = &opt.recs[opt.nrecs++];
	memset(r, 0, sizeof(*r));
	memcpy(&r->msg, mnl_nlmsg_get_payload(nlh), sizeof(r->msg));
	mnl_attr_parse(nlh, sizeof(r->msg), attr_cb, r);
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *nl, int family)
{
	/* the request with the longest bytecode, and replies */
	static char buf[2 * 65536];
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	unsigned int seq = (unsigned int)time(NULL) + (unsigned int)family;
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TERN;
	req->idiag_states = opt.states;
	if (opt.states & ST(TCP_SYN_RECV))
		req->idiag_states |= ST(TCP_CLOSING + 1);	/* NEW_SYN_RECV */
	req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	if (opt.mem)
		req->idiag_ext |= 1 << (INET_DIAG_MEMINFO - 1) |
				  1 << (INET_DIAG_SKMEMINFO - 1);
	if (bc_len)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, bc_len, bc);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto err;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			goto err;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, msg_cb, NULL);
		if (ret < 0)
			goto err;
		if (ret == MNL_CB_STOP)
			return 0;
	}
err:
	if (errno == ENOENT) {
		/* no handler for protocol 253: the module is not loaded */
		fprintf(stderr, "ternss: no Tern sock_diag (is the tern module loaded?)\n");
	} else {
		fprintf(stderr, "ternss: dump: %s\n", strerror(errno));
	}
	return -1;
}

/* SOCK_DESTROY for one socket, named as the dump named it. */
static int kill_one(struct mnl_socket *nl, const struct sockrec *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	unsigned int seq = (unsigned int)time(NULL);
	ssize_t n;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = r->msg.idiag_family;
	req->sdiag_protocol = IPPROTO_TERN;
	req->idiag_states = ~0U;
	req->id = r->msg.id;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl),
			  NULL, NULL) < 0 ? -1 : 0;
}

/* ---- -p: the owners, from /proc/PID/fd ---- */

struct owner {
	unsigned int ino;
	int pid, fd;
	char comm[32];
};

static struct owner *owners;
static size_t nowners;

static void add_owner(unsigned int ino, int pid, int fd, const char *comm)
{
	static size_t cap;
	struct owner *o;

	if (nowners == cap) {
		size_t c = cap ? 2 * cap : 256;

		o = realloc(owners, c * sizeof(*o));
		if (!o)
			return;
		owners = o;
		cap = c;
	}
	o = &owners[nowners++];
	o->ino = ino;
	o->pid = pid;
	o->fd = fd;
	snprintf(o->comm, sizeof(o->comm), "%s", comm);
}

static void scan_pid(int pid)
{
	char path[64], link[64], comm[32] = "";
	struct dirent *d;
	unsigned int ino;
	FILE *f;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	fds = opendir(path);
	if (!fds)
		return;
	while ((d = readdir(fds))) {
		char fdpath[320];
		ssize_t n;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, d->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%u]", &ino) == 1)
			add_owner(ino, pid, atoi(d->d_name), comm);
	}
	closedir(fds);
}

static void scan_procs(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;

	if (!proc)
		return;
	while ((d = readdir(proc)))
		if (isdigit((unsigned char)d->d_name[0]))
			scan_pid(atoi(d->d_name));
	closedir(proc);
}

/* ---- printing ---- */

static void fmt_addr(char *out, size_t size, int family, const __be32 *a,
		     __be16 port, int ifindex)
{
	char host[INET6_ADDRSTRLEN + 2] = "", ifn[IF_NAMESIZE + 1] = "";
	char serv[32];
	unsigned int p = ntohs(port);
	bool any = family == AF_INET ? !a[0] : !(a[0] | a[1] | a[2] | a[3]);

	if (family == AF_INET) {
		if (any)
			strcpy(host, "0.0.0.0");
		else
			inet_ntop(AF_INET, a, host, sizeof(host));
	} else {
		char t[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, a, t, sizeof(t));
		snprintf(host, sizeof(host), "[%s]", t);
	}
	if (ifindex && if_indextoname((unsigned int)ifindex, ifn + 1))
		ifn[0] = '%';
	if (!p) {
		strcpy(serv, "*");
	} else {
		struct servent *se = opt.numeric ? NULL :
				     getservbyport(port, "tcp");

		if (se)
			snprintf(serv, sizeof(serv), "%s", se->s_name);
		else
			snprintf(serv, sizeof(serv), "%u", p);
	}
	snprintf(out, size, "%s%s:%s", host, ifn, serv);
}

static void print_addr(const char *s, int width)
{
	const char *colon = strrchr(s, ':');
	int hl = (int)(colon - s);
	int pw = 5;

	/* the address right-aligned, the port left-aligned, as ss */
	printf("%*.*s:%-*s", width - pw - 1 > hl ? width - pw - 1 : hl, hl, s,
	       pw, colon + 1);
}

static void print_owners(unsigned int ino)
{
	size_t i;
	bool first = true;

	for (i = 0; i < nowners; i++) {
		if (owners[i].ino != ino)
			continue;
		printf("%s(\"%s\",pid=%d,fd=%d)", first ? " users:(" : ",",
		       owners[i].comm, owners[i].pid, owners[i].fd);
		first = false;
	}
	if (!first)
		printf(")");
}

static void print_rec(const struct sockrec *r)
{
	const struct inet_diag_msg *m = &r->msg;
	char local[96], peer[96];
	int state = m->idiag_state;

	fmt_addr(local, sizeof(local), m->idiag_family, m->id.idiag_src,
		 m->id.idiag_sport, m->id.idiag_if);
	fmt_addr(peer, sizeof(peer), m->idiag_family, m->id.idiag_dst,
		 m->id.idiag_dport, 0);
	printf("%-10s %-6u %-6u ", tern_state_name(state), m->idiag_rqueue,
	       m->idiag_wqueue);
	print_addr(local, 26);
	printf(" ");
	print_addr(peer, 26);
	if (opt.procs)
		print_owners(m->idiag_inode);
	if (opt.ext) {
		unsigned long long cookie =
			(unsigned long long)m->id.idiag_cookie[1] << 32 |
			m->id.idiag_cookie[0];

		if (m->idiag_uid || m->idiag_inode)
			printf(" uid:%u", m->idiag_uid);
		printf(" ino:%u sk:%llx", m->idiag_inode, cookie);
		if (r->has_shut && r->shutdown)
			printf(" %c-%c", r->shutdown & 1 ? '-' : '<',
			       r->shutdown & 2 ? '-' : '>');
	}
	if (opt.mem && r->has_skmem)
		printf("\n\t skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u,bl%u,d%u)",
		       r->skmem[SK_MEMINFO_RMEM_ALLOC],
		       r->skmem[SK_MEMINFO_RCVBUF],
		       r->skmem[SK_MEMINFO_WMEM_ALLOC],
		       r->skmem[SK_MEMINFO_SNDBUF],
		       r->skmem[SK_MEMINFO_FWD_ALLOC],
		       r->skmem[SK_MEMINFO_WMEM_QUEUED],
		       r->skmem[SK_MEMINFO_OPTMEM],
		       r->skmem[SK_MEMINFO_BACKLOG],
		       r->skmem[SK_MEMINFO_DROPS]);
	else if (opt.mem && r->has_mem)
		printf("\n\t mem:(r%u,w%u,f%u,t%u)", r->mem.idiag_rmem,
		       r->mem.idiag_wmem, r->mem.idiag_fmem, r->mem.idiag_tmem);
	if (opt.info && r->has_info) {
		char buf[1024];

		tern_info_format(&r->info, r->info_len, buf, sizeof(buf));
		/* ss -i: the algorithm first ("cubic rto:204 ...") */
		printf("\n\t %s%s%s", r->cong, r->cong[0] ? " " : "", buf);
	}
	printf("\n");
}

static int parse_opts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "listening", no_argument, NULL, 'l' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "processes", no_argument, NULL, 'p' },
		{ "extended", no_argument, NULL, 'e' },
		{ "info", no_argument, NULL, 'i' },
		{ "memory", no_argument, NULL, 'm' },
		{ "no-header", no_argument, NULL, 'H' },
		{ "kill", no_argument, NULL, 'K' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "help", no_argument, NULL, 'h' },
		/* for debugging: print the filter's bytecode, ask nothing */
		{ "dump-bytecode", no_argument, NULL, 'B' },
		{ }
	};
	int c;

	opt.states = ST_CONN;
	while ((c = getopt_long(argc, argv, "alnpeimHK46th", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'a': opt.states = ST_ALL; break;
		case 'l': opt.states = ST(TCP_LISTEN); break;
		case 'n': opt.numeric = true; break;
		case 'p': opt.procs = true; break;
		case 'e': opt.ext = true; break;
		case 'i': opt.info = true; break;
		case 'm': opt.mem = true; break;
		case 'H': opt.noheader = true; break;
		case 'K': opt.kill = true; break;
		case '4': opt.family = AF_INET; break;
		case '6': opt.family = AF_INET6; break;
		case 't': break;	/* ss -t habit: Tern is TCP-like */
		case 'h': usage(stdout); exit(0);
		case 'B': opt.dump_bc = true; break;
		default: usage(stderr); return -1;
		}
	}
	return parse_filter(argc - optind, argv + optind);
}

int main(int argc, char **argv)
{
	struct mnl_socket *nl;
	int err = 0;
	size_t i;

	if (parse_opts(argc, argv))
		return 1;
	if (opt.dump_bc) {
		tf_dump(stdout, bc, bc_len);
		free(bc);
		return 0;
	}
	nl = nl_open();
	if (!nl)
		return 1;
	if ((opt.family != AF_INET6 && dump(nl, AF_INET)) ||
	    (opt.family != AF_INET && dump(nl, AF_INET6))) {
		mnl_socket_close(nl);
		return 1;
	}
	if (opt.procs)
		scan_procs();
	if (!opt.noheader)
		printf("%-10s %-6s %-6s %26s %26s%s\n", "State", "Recv-Q",
		       "Send-Q", "Local Address:Port ", "Peer Address:Port ",
		       opt.procs ? " Process" : "");
	for (i = 0; i < opt.nrecs; i++) {
		if (opt.kill && kill_one(nl, &opt.recs[i])) {
			if (errno == ENOENT)	/* gone meanwhile */
				continue;
			fprintf(stderr, "ternss: SOCK_DESTROY: %s\n",
				strerror(errno));
			err = 1;
			break;
		}
		print_rec(&opt.recs[i]);
	}
	mnl_socket_close(nl);
	free(bc);
	free(opt.recs);
	free(owners);
	return err;
}
