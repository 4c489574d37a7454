// SPDX-License-Identifier: GPL-2.0
/*
 * tern_synflood: a spoofed SYN flood, for flood_test.sh. Each segment is a
 * SYN (Tern's, or TCP's with -P tcp, as a reference) with a random source
 * address from a prefix, a random source port and a random sequence
 * number, sent through a raw socket that writes the IP header itself
 * (IP_HDRINCL, IPV6_HDRINCL), so any source goes.
 *
 *   tern_synflood -d DST -p PORT -S PREFIX/LEN [-I IFNAME] [-r RATE]
 *                 [-t SECONDS] [-c COUNT] [-P tern|tcp] [-s SEED]
 *
 *   -d DST      the listener's address (IPv4 or IPv6, as PREFIX)
 *   -p PORT     its port
 *   -S PREFIX   where the sources come from, e.g. 198.18.0.0/16: route
 *               it back toward the flooder, so the answers leave the
 *               listener's host (and die in the flooder's namespace)
 *   -I IFNAME   send through this interface (SO_BINDTODEVICE)
 *   -r RATE     segments per second (default 800; 0: as fast as it can)
 *   -t SECONDS  stop after this long (default 10)
 *   -c COUNT    stop after this many segments (default: no limit)
 *   -P PROTO    tern (default) or tcp
 *   -s SEED     for the random numbers (default: time and pid)
 *
 * It prints "flooding" once the socket is ready, and at the end (time,
 * count, SIGTERM or SIGINT) "sent N, failed M in MS ms". Exit status 0
 * when at least one segment went out, 1 on a failure, 2 on bad usage.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>

#include "tern_test.h"

#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL	36
#endif

#define TCP_HDR_LEN	20
#define SYN_MSS		1400

static const char *prog = "tern_synflood";
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void __attribute__((noreturn)) bad_usage(const char *what)
{
	fprintf(stderr, "%s: %s\n"
		"usage: %s -d DST -p PORT -S PREFIX/LEN [-I IFNAME] [-r RATE] [-t SECONDS]\n"
		"       [-c COUNT] [-P tern|tcp] [-s SEED]\n", prog, what, prog);
	exit(2);
}

static unsigned long long number(const char *opt, const char *arg,
				 unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*arg < '0' || *arg > '9')
		goto bad;
	v = strtoull(arg, &end, 0);
	if (errno || *end || v > max)
		goto bad;
	return v;
bad:
	fprintf(stderr, "%s: %s: '%s' is not a number up to %llu\n", prog, opt,
		arg, max);
	exit(2);
}

/* xorshift64*: plenty for addresses and ports */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A random address of prefix/plen into addr (len 4 or 16 bytes). */
static void random_addr(uint8_t *addr, const uint8_t *prefix, int plen,
			size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int bits = plen - (int)i * 8;
		uint8_t keep = bits >= 8 ? 0xff : bits <= 0 ? 0 :
			       (uint8_t)(0xff << (8 - bits));

		addr[i] = (prefix[i] & keep) | ((uint8_t)rng() & ~keep);
	}
	/* IPv4: no network or broadcast address of the prefix */
	if (len == 4 && plen <= 30) {
		uint32_t host;

		memcpy(&host, addr, 4);
		host = ntohl(host) & (0xffffffffu >> plen);

		if (!host || host == 0xffffffffu >> plen)
			addr[3] ^= 1;
	}
}

/* Pseudo-header checksum for protocol proto over seg (check field zero). */
static uint16_t l4_csum(int family, const void *saddr, const void *daddr,
			uint8_t proto, const void *seg, size_t len)
{
	uint8_t ph[40];
	uint32_t sum;

	memset(ph, 0, sizeof(ph));
	if (family == AF_INET) {
		memcpy(ph, saddr, 4);
		memcpy(ph + 4, daddr, 4);
		ph[9] = proto;
		ph[10] = len >> 8;
		ph[11] = len;
		sum = tern_csum_add(0, ph, 12);
	} else {
		memcpy(ph, saddr, 16);
		memcpy(ph + 16, daddr, 16);
		ph[34] = len >> 8;
		ph[35] = len;
		ph[39] = proto;
		sum = tern_csum_add(0, ph, 40);
	}
	return htons(tern_csum_fold(tern_csum_add(sum, seg, len)));
}

/* A SYN with an MSS option at seg; its length. */
static size_t build_syn(uint8_t *seg, int proto, int family, const void *saddr,
			const void *daddr, uint16_t sport, uint16_t dport)
{
	size_t len;

	if (proto == IPPROTO_TERN) {
		struct ternhdr *th = (struct ternhdr *)seg;
		uint8_t *opt = seg + TERN_HDR_LEN;

		len = TERN_HDR_LEN + 4;
		memset(seg, 0, len);
		th->source = htons(sport);
		th->dest = htons(dport);
		th->doff = len / 4;
		th->flags = TERN_FLAG_SYN;
		th->seq = htobe64(rng());
		th->window = htonl(65535);
		th->version = TERN_VERSION;
		opt[0] = TERN_OPT_MSS;
		opt[1] = 4;
		opt[2] = SYN_MSS >> 8;
		opt[3] = SYN_MSS & 0xff;
		th->check = l4_csum(family, saddr, daddr, IPPROTO_TERN, seg, len);
	} else {
		uint32_t seq = (uint32_t)rng();
		uint16_t check;

		/* ports, seq, ack 0, offset 6 words, SYN, window, csum, urg */
		len = TCP_HDR_LEN + 4;
		memset(seg, 0, len);
		seg[0] = sport >> 8;
		seg[1] = sport;
		seg[2] = dport >> 8;
		seg[3] = dport;
		seg[4] = seq >> 24;
		seg[5] = seq >> 16;
		seg[6] = seq >> 8;
		seg[7] = seq;
		seg[12] = (len / 4) << 4;
		seg[13] = 0x02;			/* SYN */
		seg[14] = 0xff;
		seg[15] = 0xff;
		seg[20] = 2;			/* MSS */
		seg[21] = 4;
		seg[22] = SYN_MSS >> 8;
		seg[23] = SYN_MSS & 0xff;
		check = l4_csum(family, saddr, daddr, IPPROTO_TCP, seg, len);
		memcpy(seg + 16, &check, 2);
	}
	return len;
}

/* The whole datagram, IP header first; its length. */
static size_t build_packet(uint8_t *pkt, int proto, int family,
			   const void *saddr, const void *daddr,
			   uint16_t sport, uint16_t dport)
{
	size_t hlen = family == AF_INET ? sizeof(struct iphdr) :
		      sizeof(struct ip6_hdr);
	size_t len = build_syn(pkt + hlen, proto, family, saddr, daddr, sport,
			       dport);

	if (family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)pkt;

		/* the kernel fills in tot_len, id and the checksum */
		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = 5;
		iph->ttl = 64;
		iph->protocol = proto;
		memcpy(&iph->saddr, saddr, 4);
		memcpy(&iph->daddr, daddr, 4);
	} else {
		struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;

		memset(ip6, 0, sizeof(*ip6));
		ip6->ip6_flow = htonl(6u << 28);
		ip6->ip6_plen = htons(len);
		ip6->ip6_nxt = proto;
		ip6->ip6_hlim = 64;
		memcpy(&ip6->ip6_src, saddr, 16);
		memcpy(&ip6->ip6_dst, daddr, 16);
	}
	return hlen + len;
}

static int raw_socket(int family, int proto, const char *ifname)
{
	int fd, one = 1, zero = 0;

	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if ((family == AF_INET &&
	     setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one))) ||
	    (ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				  strlen(ifname) + 1)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &zero, sizeof(zero))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *dst_arg = NULL, *src_arg = NULL, *ifname = NULL;
	unsigned long long rate = 800, secs = 10, count = ULLONG_MAX;
	unsigned long long sent = 0, failed = 0, i;
	union { struct in_addr v4; struct in6_addr v6; } dst, prefix, src;
	int family, proto = IPPROTO_TERN, plen, opt, fd, first_err = 0;
	struct sockaddr_storage ss;
	struct sigaction sa;
	long long t0, deadline;
	uint16_t dport = 0;
	uint8_t pkt[128];
	socklen_t sslen;
	char *slash;
	size_t len;

	rng_state = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
	while ((opt = getopt(argc, argv, "d:p:S:I:r:t:c:P:s:h")) != -1) {
		switch (opt) {
		case 'd': dst_arg = optarg; break;
		case 'p': dport = number("-p", optarg, 65535); break;
		case 'S': src_arg = optarg; break;
		case 'I':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ)
				bad_usage("-I: not an interface name");
			ifname = optarg;
			break;
		case 'r': rate = number("-r", optarg, 10000000); break;
		case 't': secs = number("-t", optarg, 86400); break;
		case 'c': count = number("-c", optarg, ULLONG_MAX); break;
		case 'P':
			if (!strcmp(optarg, "tcp"))
				proto = IPPROTO_TCP;
			else if (strcmp(optarg, "tern"))
				bad_usage("-P: tern or tcp");
			break;
		case 's': rng_state = number("-s", optarg, ULLONG_MAX); break;
		case 'h':
			bad_usage("a spoofed SYN flood");
		default:
			bad_usage("bad option");
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument");
	if (!dst_arg || !dport || !src_arg)
		bad_usage("-d, -p and -S are required");
	if (!rng_state)
		rng_state = 1;
	family = strchr(dst_arg, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, dst_arg, &dst) != 1)
		bad_usage("-d: not an address");
	slash = strchr(src_arg, '/');
	if (!slash)
		bad_usage("-S: PREFIX/LEN");
	*slash = '\0';
	plen = number("-S", slash + 1, family == AF_INET ? 32 : 128);
	if (inet_pton(family, src_arg, &prefix) != 1)
		bad_usage("-S: not an address of DST's family");

	fd = raw_socket(family, proto, ifname);
	if (fd < 0) {
		fprintf(stderr, "%s: raw socket: %s\n", prog, strerror(-fd));
		return 1;
	}
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = dst.v4;
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = dst.v6;
		sslen = sizeof(*sin6);
	}
	/* no SA_RESTART: a signal ends the sleep between segments */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("flooding\n");

	t0 = now_ns();
	deadline = t0 + (long long)secs * 1000000000LL;
	for (i = 0; i < count && !stop; i++) {
		long long due = rate ? t0 + (long long)(i * 1000000000ULL / rate) : 0;
		long long now = now_ns();
		uint16_t sport = 1024 + rng() % (65536 - 1024);

		if (now >= deadline || due >= deadline)
			break;
		if (due > now) {
			struct timespec ts = {
				.tv_sec = due / 1000000000LL,
				.tv_nsec = due % 1000000000LL,
			};

			if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) &&
			    stop)
				break;
		}
		random_addr((uint8_t *)&src, (const uint8_t *)&prefix, plen,
			    family == AF_INET ? 4 : 16);
		len = build_packet(pkt, proto, family, &src, &dst, sport, dport);
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sslen) ==
		    (ssize_t)len) {
			sent++;
		} else {
			if (!failed++)
				first_err = errno;
		}
	}
	close(fd);
	printf("sent %llu, failed %llu in %lld ms\n", sent, failed,
	       (now_ns() - t0) / 1000000);
	if (failed)
		fprintf(stderr, "%s: first failure: %s\n", prog, strerror(first_err));
	return sent ? 0 : 1;
}
