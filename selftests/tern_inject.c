// SPDX-License-Identifier: GPL-2.0
/*
 * tern_inject: send crafted Tern segments through a raw socket, for the
 * shell selftests. Every field can be made wrong on purpose.
 *
 *   tern_inject [-4|-6] [-s SRC] -d DST [--sport N] [--dport N] [--len N]
 *               [--doff N] [--optlen N] [--version N] [--flags N]
 *               [--seq N] [--bad-csum] [--truncate N] [--count N]
 *               [-I IFNAME] [-v]
 *
 * Without -s the source is the address the kernel would pick for DST.
 * The checksum always covers the real pseudo-header (unless --bad-csum).
 * Exit status: 0 sent, 1 failed, 2 bad usage.
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>

#include "tern_test.h"

static const char *prog = "tern_inject";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-4|-6] [-s SRC] -d DST [options]\n"
		"  -4, -6           address family (default: that of DST)\n"
		"  -s SRC           source address, local (default: the route's)\n"
		"  -d DST           destination address\n"
		"  -I IFNAME        send through this interface\n"
		"  --sport N        source port (default 40000; 0 is invalid on the wire)\n"
		"  --dport N        destination port (default 5000)\n"
		"  --len N          payload bytes (default 0)\n"
		"  --doff N         data offset in 32-bit words (default 8 + optlen/4)\n"
		"  --optlen N       option bytes after the header (default doff*4-32)\n"
		"  --version N      version field (default %d)\n"
		"  --flags N        flags field (default 8, RST: never answered)\n"
		"  --seq N          sequence number of the first segment (default 1)\n"
		"  --bad-csum       store a wrong checksum\n"
		"  --truncate N     send only the first N bytes of each segment\n"
		"  --count N        segments to send (default 1)\n"
		"  -v               say what was sent\n",
		prog, TERN_VERSION);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s: see %s --help\n", prog, prog);
	exit(2);
}

/* A decimal or 0x number in [0, max], or bad usage. */
static unsigned long long number(const char *opt, const char *arg,
				 unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!*arg || *arg == '-' || *arg == '+' || isspace((unsigned char)*arg))
		bad_usage("%s: '%s' is not a number up to %llu", opt, arg, max);
	v = strtoull(arg, &end, 0);
	if (errno || *end || v > max)
		bad_usage("%s: '%s' is not a number up to %llu", opt, arg, max);
	return v;
}

/* The source address the kernel picks for dst (a UDP connect()). */
static int route_source(int family, const void *dst, const char *ifname,
			void *src)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				 strlen(ifname) + 1)) {
		ret = -errno;
		goto out;
	}
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(9);
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, dst, 4);
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(9);
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, dst, 16);
		len = sizeof(struct sockaddr_in6);
	}
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		ret = -errno;
		goto out;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len)) {
		ret = -errno;
		goto out;
	}
	if (family == AF_INET)
		memcpy(src, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(src, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
out:
	close(fd);
	return ret;
}

enum {
	OPT_SPORT = 256, OPT_DPORT, OPT_LEN, OPT_DOFF, OPT_OPTLEN, OPT_VERSION,
	OPT_FLAGS, OPT_SEQ, OPT_BAD_CSUM, OPT_TRUNCATE, OPT_COUNT,
};

static const struct option longopts[] = {
	{ "sport",	required_argument, NULL, OPT_SPORT },
	{ "dport",	required_argument, NULL, OPT_DPORT },
	{ "len",	required_argument, NULL, OPT_LEN },
	{ "doff",	required_argument, NULL, OPT_DOFF },
	{ "optlen",	required_argument, NULL, OPT_OPTLEN },
	{ "version",	required_argument, NULL, OPT_VERSION },
	{ "flags",	required_argument, NULL, OPT_FLAGS },
	{ "seq",	required_argument, NULL, OPT_SEQ },
	{ "bad-csum",	no_argument,	   NULL, OPT_BAD_CSUM },
	{ "truncate",	required_argument, NULL, OPT_TRUNCATE },
	{ "count",	required_argument, NULL, OPT_COUNT },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static unsigned char buf[65536];

int main(int argc, char **argv)
{
	const char *src_arg = NULL, *dst_arg = NULL, *ifname = NULL;
	union { struct in_addr v4; struct in6_addr v6; } src, dst;
	long long doff = -1, optlen = -1, truncate = -1;
	unsigned long long count = 1, i;
	struct tern_seg s;
	int family = 0, verbose = 0, opt, fd, err;
	ssize_t len;

	if (argv[0] && *argv[0])
		prog = argv[0];
	tern_seg_init(&s, 0, &src, &dst);
	while ((opt = getopt_long(argc, argv, "46s:d:I:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case '4':
			if (family == AF_INET6)
				bad_usage("-4 and -6 exclude each other");
			family = AF_INET;
			break;
		case '6':
			if (family == AF_INET)
				bad_usage("-4 and -6 exclude each other");
			family = AF_INET6;
			break;
		case 's':
			src_arg = optarg;
			break;
		case 'd':
			dst_arg = optarg;
			break;
		case 'I':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ)
				bad_usage("-I: '%s' is not an interface name", optarg);
			ifname = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case OPT_SPORT:
			s.sport = number("--sport", optarg, 65535);
			break;
		case OPT_DPORT:
			s.dport = number("--dport", optarg, 65535);
			break;
		case OPT_LEN:
			s.payload = number("--len", optarg, 65535);
			break;
		case OPT_DOFF:
			doff = number("--doff", optarg, 255);
			break;
		case OPT_OPTLEN:
			optlen = number("--optlen", optarg, 65535);
			break;
		case OPT_VERSION:
			s.version = number("--version", optarg, 255);
			break;
		case OPT_FLAGS:
			s.flags = number("--flags", optarg, 255);
			break;
		case OPT_SEQ:
			s.seq = number("--seq", optarg, ULLONG_MAX);
			break;
		case OPT_BAD_CSUM:
			s.bad_csum = true;
			break;
		case OPT_TRUNCATE:
			truncate = number("--truncate", optarg, 65535);
			break;
		case OPT_COUNT:
			count = number("--count", optarg, 1000000);
			if (!count)
				bad_usage("--count: at least one segment");
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	if (!dst_arg)
		bad_usage("-d DST is required");
	if (!family)
		family = strchr(dst_arg, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, dst_arg, &dst) != 1)
		bad_usage("-d: '%s' is not an IPv%c address", dst_arg,
			  family == AF_INET ? '4' : '6');
	if (src_arg && inet_pton(family, src_arg, &src) != 1)
		bad_usage("-s: '%s' is not an IPv%c address", src_arg,
			  family == AF_INET ? '4' : '6');

	/* the layout: doff and optlen follow each other unless both given */
	if (optlen < 0)
		optlen = doff > TERN_HDR_WORDS ? doff * 4 - TERN_HDR_LEN : 0;
	if (doff < 0) {
		if (optlen % 4 || optlen > 255 * 4 - TERN_HDR_LEN)
			bad_usage("--optlen %lld does not fit a data offset: give --doff too",
				  optlen);
		doff = TERN_HDR_WORDS + optlen / 4;
	}
	s.doff = doff;
	s.optlen = optlen;
	s.family = family;

	if (!src_arg) {
		err = route_source(family, &dst, ifname, &src);
		if (err) {
			fprintf(stderr, "%s: no route to %s: %s\n", prog, dst_arg,
				strerror(-err));
			return 1;
		}
	}
	fd = tern_raw_socket(family, &src);
	if (fd < 0) {
		char a[INET6_ADDRSTRLEN];

		fprintf(stderr, "%s: raw socket from %s: %s\n", prog,
			inet_ntop(family, &src, a, sizeof(a)), strerror(-fd));
		return 1;
	}
	if (ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				 strlen(ifname) + 1)) {
		fprintf(stderr, "%s: %s: %s\n", prog, ifname, strerror(errno));
		return 1;
	}
	if (family == AF_INET) {
		int one = 1, zero = 0;

		/* allowed to broadcast; multicast not looped back to us */
		if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero))) {
			fprintf(stderr, "%s: setsockopt: %s\n", prog, strerror(errno));
			return 1;
		}
	} else {
		int zero = 0;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero))) {
			fprintf(stderr, "%s: setsockopt: %s\n", prog, strerror(errno));
			return 1;
		}
	}

	for (i = 0; i < count; i++) {
		len = tern_build_segment(buf, sizeof(buf), &s);
		if (len < 0) {
			fprintf(stderr, "%s: a segment of %zu header and %zu payload bytes is too long\n",
				prog, (size_t)TERN_HDR_LEN + s.optlen, s.payload);
			return 2;
		}
		if (truncate >= 0 && truncate < len)
			len = truncate;
		err = tern_raw_send(fd, family, &dst, buf, len);
		if (err) {
			fprintf(stderr, "%s: send to %s: %s\n", prog, dst_arg,
				strerror(-err));
			return 1;
		}
		s.seq += s.payload;
	}
	if (verbose) {
		char a[INET6_ADDRSTRLEN];

		printf("sent %llu segment%s of %zd bytes, %s -> %s, ports %u -> %u\n",
		       count, count == 1 ? "" : "s", len,
		       inet_ntop(family, &src, a, sizeof(a)), dst_arg,
		       s.sport, s.dport);
	}
	close(fd);
	return 0;
}
