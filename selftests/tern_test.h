/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tern selftests: helpers shared by the C tests and tern_inject. Plain C,
 * no harness: every helper returns a value or -errno and leaves the
 * asserting to the caller.
 *
 *   /proc/net/tern/snmp counters       tern_snmp_get(), tern_snmp_read()
 *   /proc/net/protocols in-use counts  tern_proto_inuse(), tern_sockets_in_use()
 *   the module                         tern_module_loaded(), tern_load(),
 *                                      tern_unload(), tern_ensure_loaded(),
 *                                      tern_module_refcnt()
 *   a private network namespace        tern_new_netns(), tern_link_up()
 *   segments                           tern_csum_*(), tern_build_segment()
 */
#ifndef _TERN_TEST_H
#define _TERN_TEST_H

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/tern.h>
#include <tern/tern.h>

/*
 * kselftest_harness.h of 6.12 keeps TEST_F()'s child pid in a plain local
 * across setjmp(); with -Wextra, GCC flags it whenever it inlines a test
 * body into that wrapper. Include this file before the harness.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#define TERN_SNMP_PATH		"/proc/net/tern/snmp"
#define TERN_PROTOCOLS_PATH	"/proc/net/protocols"
#define TERN_SYSFS_DIR		"/sys/module/tern"
#define TERN_REFCNT_PATH	"/sys/module/tern/refcnt"

/* The counters of /proc/net/tern/snmp, in the order the file lists them. */
enum tern_counter {
	TERN_IN_SEGS,
	TERN_IN_HDR_ERRORS,
	TERN_IN_CSUM_ERRORS,
	TERN_IN_ADDR_ERRORS,
	TERN_IN_NO_SOCKET,
	TERN_NR_COUNTERS
};

static const char * const tern_counter_names[TERN_NR_COUNTERS] = {
	[TERN_IN_SEGS]		= "TernInSegs",
	[TERN_IN_HDR_ERRORS]	= "TernInHdrErrors",
	[TERN_IN_CSUM_ERRORS]	= "TernInCsumErrors",
	[TERN_IN_ADDR_ERRORS]	= "TernInAddrErrors",
	[TERN_IN_NO_SOCKET]	= "TernInNoSocket",
};

struct tern_snmp {
	long long v[TERN_NR_COUNTERS];
};

/*
 * Read every counter of the calling thread's network namespace. Returns 0,
 * or -errno when the file cannot be read, or -EPROTO when a counter is
 * missing, repeated or malformed.
 */
static inline int tern_snmp_read(struct tern_snmp *s)
{
	char line[256], name[128];
	bool seen[TERN_NR_COUNTERS] = { false };
	unsigned long long val;
	FILE *f;
	int i, err = 0;

	f = fopen(TERN_SNMP_PATH, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu", name, &val) != 2) {
			err = -EPROTO;
			break;
		}
		for (i = 0; i < TERN_NR_COUNTERS; i++)
			if (!strcmp(name, tern_counter_names[i]))
				break;
		if (i == TERN_NR_COUNTERS)
			continue;	/* a counter newer than these tests */
		if (seen[i]) {
			err = -EPROTO;
			break;
		}
		seen[i] = true;
		s->v[i] = (long long)val;
	}
	fclose(f);
	for (i = 0; !err && i < TERN_NR_COUNTERS; i++)
		if (!seen[i])
			err = -EPROTO;
	return err;
}

/* One counter by name, or a negative errno. */
static inline long long tern_snmp_get(const char *name)
{
	struct tern_snmp s;
	int i, err;

	err = tern_snmp_read(&s);
	if (err)
		return err;
	for (i = 0; i < TERN_NR_COUNTERS; i++)
		if (!strcmp(name, tern_counter_names[i]))
			return s.v[i];
	return -ENOENT;
}

static inline void tern_msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Wait, at most about timeout_ms, until every counter is at least
 * base + delta; delivery to the protocol handler is asynchronous. Fills
 * *now with the last reading either way (the caller asserts on it).
 * Returns 0 when the deltas were reached, -ETIMEDOUT when not, or the
 * error of tern_snmp_read().
 */
static inline int tern_snmp_wait(const struct tern_snmp *base,
				 const long long delta[TERN_NR_COUNTERS],
				 struct tern_snmp *now, unsigned int timeout_ms)
{
	unsigned int waited = 0;
	int i, err;

	for (;;) {
		err = tern_snmp_read(now);
		if (err)
			return err;
		for (i = 0; i < TERN_NR_COUNTERS; i++)
			if (now->v[i] < base->v[i] + delta[i])
				break;
		if (i == TERN_NR_COUNTERS)
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		tern_msleep(10);
		waited += 10;
	}
}

/*
 * Sockets in use of one struct proto ("TERN", "TERNv6", "TCP"...) in the
 * calling thread's namespace: column 3 of /proc/net/protocols. -ENOENT
 * when the protocol is not registered.
 */
static inline long tern_proto_inuse(const char *proto)
{
	char line[512], name[64];
	long inuse, ret = -ENOENT;
	FILE *f;

	f = fopen(TERN_PROTOCOLS_PATH, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %*s %ld", name, &inuse) != 2)
			continue;
		if (!strcmp(name, proto)) {
			ret = inuse;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* TERN plus TERNv6 sockets in use (an unregistered one counts as 0). */
static inline long tern_sockets_in_use(void)
{
	long v4 = tern_proto_inuse("TERN"), v6 = tern_proto_inuse("TERNv6");

	if (v4 < 0 && v4 != -ENOENT)
		return v4;
	if (v6 < 0 && v6 != -ENOENT)
		return v6;
	return (v4 > 0 ? v4 : 0) + (v6 > 0 ? v6 : 0);
}

/* Is module NAME in /proc/modules? 1, 0 or -errno. */
static inline int tern_module_is_loaded(const char *mod)
{
	char line[512];
	size_t n = strlen(mod);
	int ret = 0;
	FILE *f;

	f = fopen("/proc/modules", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, mod, n) && line[n] == ' ') {
			ret = 1;
			break;
		}
	}
	fclose(f);
	return ret;
}

static inline int tern_module_loaded(void)
{
	return tern_module_is_loaded("tern");
}

/* /sys/module/tern/refcnt, or -errno. */
static inline long tern_module_refcnt(void)
{
	long v;
	FILE *f;

	f = fopen(TERN_REFCNT_PATH, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EPROTO;
	fclose(f);
	return v;
}

/*
 * The module's reference count once it settles at want, or what it is
 * after 2 s: a socket closed a moment ago is freed after an RCU grace
 * period (listeners) or when its last timer has run, and holds its
 * module reference until then. A leak never settles.
 */
static inline long tern_module_refcnt_settled(long want)
{
	long v = tern_module_refcnt();
	int i;

	for (i = 0; i < 200 && v != want; i++) {
		usleep(10000);
		v = tern_module_refcnt();
	}
	return v;
}

/*
 * Whether cases that run TCP as the reference for a Tern case run:
 * TERN_REFERENCE=0 (vm/check.sh sets it on the debug kernel, which hunts
 * bugs in Tern, not in TCP) skips them.
 */
static inline bool tern_reference_runs(void)
{
	const char *v = getenv("TERN_REFERENCE");

	return !v || strcmp(v, "0");
}

/*
 * Whether only the debug kernel's sample of cases runs: TERN_SAMPLE=1
 * (vm/check.sh sets it there, where every case costs many times as
 * much); a case left out of it reports a skip.
 */
static inline bool tern_sampled(void)
{
	const char *v = getenv("TERN_SAMPLE");

	return v && !strcmp(v, "1");
}

/*
 * In the debug kernel's sample, a test that runs in n equivalent variants
 * (families, socket types) runs in one of them, index of n, chosen by
 * the test's name: every variant keeps its share of the tests, and a run
 * is repeatable. Always true outside the sample.
 */
static inline bool tern_sample_variant(const char *test, int index, int n)
{
	unsigned int h = 5381;

	if (!tern_sampled())
		return true;
	while (*test)
		h = h * 33 + (unsigned char)*test++;
	return h % n == (unsigned int)index;
}

static inline bool tern_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* finit_module() of $TERN_KO: 0 or -errno (-EEXIST when loaded). */
static inline int tern_load(void)
{
	const char *ko = getenv("TERN_KO");
	int fd, ret;

	if (!ko || !*ko)
		return -ENOENT;
	/*
	 * tern.ko uses inet_diag's symbols (sock_diag for protocol 253):
	 * load it first, as modprobe would (it stays loaded: TCP's diag
	 * uses it too).
	 */
	if (!tern_module_is_loaded("inet_diag") &&
	    system("modprobe -q inet_diag") != 0)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* delete_module("tern", O_NONBLOCK): 0 or -errno (-EWOULDBLOCK in use). */
static inline int tern_unload(void)
{
	return syscall(SYS_delete_module, "tern", O_NONBLOCK) ? -errno : 0;
}

/*
 * Unload, retrying briefly while the module is busy: a socket's last
 * reference may be dropped just after close() returns. 0 or -errno.
 */
static inline int tern_unload_wait(unsigned int timeout_ms)
{
	unsigned int waited = 0;
	int ret;

	for (;;) {
		ret = tern_unload();
		if (ret != -EWOULDBLOCK || waited >= timeout_ms)
			return ret;
		tern_msleep(10);
		waited += 10;
	}
}

static inline int tern_ensure_loaded(void)
{
	int ret = tern_load();

	return ret == -EEXIST ? 0 : ret;
}

static inline int tern_ensure_unloaded(void)
{
	int ret = tern_module_loaded();

	if (ret <= 0)
		return ret;
	return tern_unload_wait(2000);
}

/* Bring interface IFNAME up in the calling thread's namespace. */
static inline int tern_link_up(const char *ifname)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(fd);
	return ret;
}

/* Move the calling process into a new network namespace with lo up. */
static inline int tern_new_netns(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return tern_link_up("lo");
}

/* ---------------------------------------------------------------------
 * Addresses
 */

/* Fill *ss from family, a numeric address (NULL: wildcard) and a port. */
static inline socklen_t tern_sockaddr(struct sockaddr_storage *ss, int family,
				      const char *addr, unsigned short port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (addr && inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return 0;
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (addr && inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return 0;
		return sizeof(*sin6);
	}
}

static inline unsigned short tern_sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* The address of *ss as text (into buf), or NULL. */
static inline const char *tern_sockaddr_addr(const struct sockaddr_storage *ss,
					     char *buf, size_t len)
{
	const void *a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	return inet_ntop(ss->ss_family, a, buf, len);
}

/* ---------------------------------------------------------------------
 * Checksums (RFC 1071) and segments
 */

/* Add len bytes at data to a 32-bit one's complement accumulator. */
static inline uint32_t tern_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		if (sum & 0x80000000u)
			sum = (sum & 0xffff) + (sum >> 16);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;	/* odd byte, padded with zero */
	return sum;
}

/* Fold and complement: the value for the checksum field, host order. */
static inline uint16_t tern_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Checksum of a whole segment (its check field must be zero) for the
 * addresses saddr/daddr of family (struct in_addr or in6_addr): the
 * pseudo-header of TCP over IPv4 (RFC 9293 3.1) or IPv6 (RFC 8200 8.1)
 * with protocol IPPROTO_TERN. Network byte order, ready for th->check.
 */
static inline uint16_t tern_segment_csum(int family, const void *saddr,
					 const void *daddr, const void *seg,
					 size_t len)
{
	uint32_t sum = 0;
	uint8_t ph[40];

	memset(ph, 0, sizeof(ph));
	if (family == AF_INET) {
		memcpy(ph, saddr, 4);
		memcpy(ph + 4, daddr, 4);
		ph[9] = IPPROTO_TERN;
		ph[10] = len >> 8;
		ph[11] = len;
		sum = tern_csum_add(sum, ph, 12);
	} else {
		memcpy(ph, saddr, 16);
		memcpy(ph + 16, daddr, 16);
		ph[32] = len >> 24;
		ph[33] = len >> 16;
		ph[34] = len >> 8;
		ph[35] = len;
		ph[39] = IPPROTO_TERN;
		sum = tern_csum_add(sum, ph, 40);
	}
	sum = tern_csum_add(sum, seg, len);
	return htons(tern_csum_fold(sum));
}

/* What tern_build_segment() writes. */
struct tern_seg {
	int family;		/* AF_INET or AF_INET6, for the checksum */
	const void *saddr;	/* struct in_addr or in6_addr */
	const void *daddr;
	uint16_t sport, dport;	/* host order */
	uint8_t doff;		/* written as is, even when it is wrong */
	size_t optlen;		/* option bytes after the 32-byte header */
	uint8_t flags;
	uint8_t version;
	uint8_t reserved;	/* written to all three reserved bytes */
	uint64_t seq, ack_seq;
	uint32_t window;
	size_t payload;		/* payload bytes after the options */
	bool bad_csum;		/* store the right checksum plus one */
};

/*
 * Build a segment into buf: the 32-byte header, optlen bytes of options
 * (a pattern), the payload (another pattern), then the checksum over the
 * pseudo-header. doff is written as given, so a caller can make it
 * disagree with optlen. Returns the segment's length, or -EMSGSIZE when
 * it does not fit in buflen or in an IP datagram.
 */
static inline ssize_t tern_build_segment(void *buf, size_t buflen,
					 const struct tern_seg *s)
{
	struct ternhdr *th = buf;
	size_t hlen = TERN_HDR_LEN + s->optlen;
	size_t len = hlen + s->payload, i;
	uint8_t *p = buf;
	uint16_t check;

	if (len > buflen || len > 0xffff - 60)
		return -EMSGSIZE;
	memset(th, 0, sizeof(*th));
	th->source = htons(s->sport);
	th->dest = htons(s->dport);
	th->doff = s->doff;
	th->flags = s->flags;
	th->seq = htobe64(s->seq);
	th->ack_seq = htobe64(s->ack_seq);
	th->window = htonl(s->window);
	th->version = s->version;
	memset(th->reserved, s->reserved, sizeof(th->reserved));
	for (i = TERN_HDR_LEN; i < hlen; i++)
		p[i] = 0xa0 + (i & 0x0f);
	for (i = hlen; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	check = tern_segment_csum(s->family, s->saddr, s->daddr, buf, len);
	if (s->bad_csum)
		check = htons(ntohs(check) + 1);
	th->check = check;
	return len;
}

/* Defaults for a valid segment: ports 40000 -> 5000, version 1. */
static inline void tern_seg_init(struct tern_seg *s, int family,
				 const void *saddr, const void *daddr)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->saddr = saddr;
	s->daddr = daddr;
	s->sport = 40000;
	s->dport = 5000;
	s->doff = TERN_HDR_WORDS;
	s->version = TERN_VERSION;
	s->window = 65535;
	s->seq = 1;
	/* a reset: valid, and nobody answers it, whatever the port */
	s->flags = TERN_FLAG_RST;
}

/*
 * A raw socket for protocol 253 bound to saddr (so the kernel's source
 * address is the one the checksum covers). fd or -errno.
 */
static inline int tern_raw_socket(int family, const void *saddr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, saddr, 4);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, saddr, 16);
		len = sizeof(*sin6);
	}
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TERN);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Send len bytes of segment to daddr through a raw socket: 0 or -errno. */
static inline int tern_raw_send(int fd, int family, const void *daddr,
				const void *seg, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t alen;
	ssize_t n;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, daddr, 4);
		alen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, daddr, 16);
		alen = sizeof(*sin6);
	}
	n = sendto(fd, seg, len, 0, (struct sockaddr *)&ss, alen);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

#endif /* _TERN_TEST_H */
