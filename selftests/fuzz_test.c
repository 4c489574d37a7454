// SPDX-License-Identifier: GPL-2.0
/*
 * Tern packet fuzzer. Random and mutated segments go through a raw socket
 * over loopback (IPv4 and IPv6, the checksum computed here, right or
 * wrong on purpose) at:
 *
 *   listener     two listeners (stream, seqpacket), handshakes forged to
 *                completion (the client side is a TIME_WAIT socket, which
 *                stays silent, so the new connections live) with a fuzzed
 *                last segment and a few more after it, and the TIME_WAIT
 *                sockets themselves;
 *   established  both ends of a live connection (data flowing both ways
 *                from a helper thread), with sequence and acknowledgment
 *                numbers near the ones /proc/net/tern/sockets shows. The
 *                fuzz may reset or half-close it: a new one replaces it,
 *                stream and seqpacket in turn.
 *
 * Both also get ICMP and ICMPv6 errors quoting those sockets' segments.
 * Every flag combination and every data offset are sent, then random
 * segments: SACK blocks inside, across and outside what is in flight,
 * overlapping and reversed; MSS, unknown and truncated options, lengths
 * beyond the option area; odd lengths; version and port 0 errors; bits
 * flipped and segments cut short. Each segment is classified as
 * PROTOCOL.md's validation rules say (header error, checksum error,
 * valid) and after every batch the counters must agree: TernInHdrErrors
 * and TernInCsumErrors exactly, TernInSegs at least. At the end the
 * listeners still accept, a fresh connection moves 1 MiB each way
 * intact, and once all is closed no socket is left. Oopses, KASAN and
 * the like are caught by the VM's log scan.
 *
 * quiet_after_injection is what the fuzz ran into: one forged segment
 * of data in sequence must not set the two ends ACKing each other
 * without end.
 *
 * Environment:
 *   TERN_FUZZ_SEED  the seed (decimal or 0x...); the clock when unset.
 *                   Each case prints "# seed: N"; TERN_FUZZ_SEED=N makes
 *                   the same segments again (the live sequence numbers
 *                   they are relative to differ from run to run).
 *   TERN_FUZZ_SEGS  segments per run, shared by the cases; 100000 (the
 *                   debug kernel: fewer, set by vm/check.sh).
 */
#include <limits.h>
#include <linux/filter.h>

#include "conn_util.h"
#include "kselftest_harness.h"

#define FZ_CASES	4	/* fuzzing TEST_Fs times variants: they share the total */
#define FZ_BATCH	64	/* segments between two counter checks */
#define FZ_SWEEP	512	/* first: every flag combination, every doff */
#define FZ_SETTLE_MS	10000
#define FZ_XFER_LEN	(1 << 20)
#define FZ_TW_PORTS	8	/* TIME_WAIT clients the forged handshakes use */
#define FZ_TIMEOUT_S	900
#define FZ_IO_MS	120000	/* socket timeouts of the final transfer */
#define FZ_LOOP_DROPS	500	/* out-of-window drops per batch: an ACK loop */

/* ---------------------------------------------------------------------
 * Random numbers (splitmix64): one stream per case, from the seed.
 */
struct fz_rng {
	uint64_t s;
};

static uint64_t fz_u64(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), 0 when n is 0 (so n may be a span + 1 that wrapped). */
static uint64_t fz_below(struct fz_rng *r, uint64_t n)
{
	return n ? fz_u64(r) % n : 0;
}

static bool fz_one_in(struct fz_rng *r, uint64_t n)
{
	return fz_below(r, n) == 0;
}

static void fz_bytes(struct fz_rng *r, uint8_t *p, size_t len)
{
	uint64_t v;

	while (len >= sizeof(v)) {
		v = fz_u64(r);
		memcpy(p, &v, sizeof(v));
		p += sizeof(v);
		len -= sizeof(v);
	}
	if (len) {
		v = fz_u64(r);
		memcpy(p, &v, len);
	}
}

static unsigned long long fz_seed(void)
{
	const char *e = getenv("TERN_FUZZ_SEED");
	struct timespec ts;

	if (e && *e)
		return strtoull(e, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* This case's share of the run's segments. */
static long fz_case_segs(void)
{
	const char *e = getenv("TERN_FUZZ_SEGS");
	long total = 100000;	/* vm/check.sh sets fewer on the debug kernel */

	if (e && *e)
		total = strtol(e, NULL, 0);
	if (total < 0)
		total = 0;
	return (total + FZ_CASES - 1) / FZ_CASES;
}

/* ---------------------------------------------------------------------
 * Segments
 */

/* What a segment is, by PROTOCOL.md's validation rules. */
enum fz_verdict {
	FZ_VALID,
	FZ_HDR,		/* truncated, doff, version, port 0 */
	FZ_CSUM,
	FZ_NR_VERDICTS
};

enum fz_csum {
	FZ_CSUM_GOOD,
	FZ_CSUM_OFF,		/* the right one with bits changed */
	FZ_CSUM_ZERO,
	FZ_CSUM_ONES,
	FZ_CSUM_RANDOM,
};

/*
 * The socket a segment is aimed at, seen from its peer: the segment goes
 * sport -> dport, the target expects rcv_nxt next and has [una, nxt) in
 * flight (where acknowledgments and SACK blocks land).
 */
struct fz_target {
	uint16_t sport, dport;
	uint64_t rcv_nxt;
	uint64_t una, nxt;
};

struct fz_spec {
	const struct fz_target *t;
	uint16_t sport, dport;
	uint8_t doff, flags, version, reserved;
	uint64_t seq, ack;
	uint32_t window;
	size_t optlen;		/* option area written (doff may disagree) */
	size_t payload;
	enum fz_csum csum;
	bool mutate;		/* flip bits after building */
	size_t trunc;		/* send this many bytes; SIZE_MAX: all */
};

struct fz {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;			/* loopback: source and destination */
	const char *addr_str;
	int raw;		/* sends; a filter keeps its receive queue empty */
	int icmp;		/* raw ICMP or ICMPv6 socket, the same */
	struct fz_rng rng;
	unsigned long long seed;
	long nsegs;
	struct tern_snmp base;	/* the counters before the fuzz */
	long long n[FZ_NR_VERDICTS];
	long long sent, mutated, truncated, icmps;
	long long handshakes, synack_missing, children, reopens, loops;
	long long syn_to_request;	/* SYNs a pending request took */
	long long batches, inflight_batches, ooo_batches;
	long long t0;		/* ct_now_ms() at the start */
	bool insane;		/* a /proc/net/tern/sockets line out of range */
	char insane_line[768];
};

static uint8_t fz_buf[65536];

static const uint8_t fz_common_flags[] = {
	TERN_FLAG_ACK, TERN_FLAG_ACK, TERN_FLAG_ACK, TERN_FLAG_ACK,
	TERN_FLAG_ACK | TERN_FLAG_EOR, TERN_FLAG_ACK | TERN_FLAG_EOR,
	TERN_FLAG_ACK | TERN_FLAG_FIN, TERN_FLAG_ACK | TERN_FLAG_FIN | TERN_FLAG_EOR,
	TERN_FLAG_SYN, TERN_FLAG_SYN | TERN_FLAG_ACK,
	TERN_FLAG_RST, TERN_FLAG_RST | TERN_FLAG_ACK,
	0, TERN_FLAG_FIN, TERN_FLAG_EOR, TERN_FLAG_SYN | TERN_FLAG_FIN,
};

/* A number near base: equal, next to it, within span, far, anywhere. */
static uint64_t fz_near(struct fz_rng *r, uint64_t base, uint64_t span)
{
	switch (fz_below(r, 16)) {
	case 0: case 1: case 2: case 3:
		return base;
	case 4:
		return base - 1;
	case 5:
		return base + 1;
	case 6:
		return base + fz_below(r, span + 1);
	case 7:
		return base + span;
	case 8:
		return base + span + 1;
	case 9: case 10:
		return base + fz_below(r, 8192) - 4096;
	case 11:
		return base + fz_below(r, 1 << 22);
	case 12:
		return base - fz_below(r, 1 << 22);
	case 13:
		return base ^ (1ULL << fz_below(r, 64));
	case 14:
		return base + (1ULL << 63) - 1 + fz_below(r, 3);
	default:
		return fz_u64(r);
	}
}

static uint32_t fz_window(struct fz_rng *r)
{
	switch (fz_below(r, 8)) {
	case 0:
		return 0;
	case 1:
		return 1 + fz_below(r, 2000);
	case 2:
		return 0xffffffffu;
	case 3:
		return (uint32_t)fz_u64(r);
	default:
		return 65536 + fz_below(r, 1 << 22);
	}
}

static size_t fz_payload_len(struct fz_rng *r)
{
	switch (fz_below(r, 10)) {
	case 0: case 1: case 2: case 3:
		return 0;
	case 4: case 5:
		return 1 + fz_below(r, 64);
	case 6: case 7:
		return 64 + fz_below(r, 1500);
	case 8:
		return 1 + 2 * fz_below(r, 800);	/* odd */
	default:
		return 1500 + fz_below(r, 7500);
	}
}

/* One SACK block for t: in flight, all of it, overlapping, reversed, out of range. */
static void fz_sack_block(struct fz_rng *r, const struct fz_target *t,
			  const uint64_t prev[2], uint64_t b[2])
{
	uint64_t span = t->nxt - t->una, s, e;

	switch (fz_below(r, 10)) {
	case 0: case 1:
		s = t->una + fz_below(r, span + 1);
		e = s + fz_below(r, t->nxt - s + 1);
		break;
	case 2:
		s = t->una;
		e = t->nxt;
		break;
	case 3:
		s = prev[0];
		e = prev[1];
		break;
	case 4:
		s = prev[0] + fz_below(r, 4096) - 2048;
		e = prev[1] + fz_below(r, 4096) - 2048;
		break;
	case 5:		/* reversed or empty */
		e = t->una + fz_below(r, span + 1);
		s = e + fz_below(r, 3000);
		break;
	case 6:		/* below what is unacknowledged */
		e = t->una - fz_below(r, 1 << 20);
		s = e - 1 - fz_below(r, 1 << 16);
		break;
	case 7:		/* beyond what was sent */
		s = t->nxt + fz_below(r, 1 << 16);
		e = s + 1 + fz_below(r, 1 << 20);
		break;
	case 8:		/* around all of it */
		s = t->una - fz_below(r, 4096);
		e = t->nxt + fz_below(r, 4096);
		break;
	default:
		s = fz_u64(r);
		e = fz_one_in(r, 2) ? fz_u64(r) : s + fz_below(r, 1 << 20);
		break;
	}
	b[0] = s;
	b[1] = e;
}

static void fz_put_be64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * Fill an option area of len bytes: NOP, END with garbage after it, MSS
 * of any value and length, SACK with 0 to 15 blocks (and lengths that are
 * no multiple of 16), unknown kinds, lengths 0 and 1, lengths beyond the
 * area, random bytes. An option that does not fit is cut at the end.
 */
static void fz_options(struct fz_rng *r, const struct fz_target *t,
		       uint8_t *p, size_t len)
{
	static const uint16_t msses[] = { 0, 1, 87, 88, 536, 1400, 15360, 65535 };
	uint64_t prev[2] = { t->una, t->nxt };
	size_t off = 0;

	while (off < len) {
		size_t room = len - off, olen, n, i;
		uint8_t o[256];
		uint16_t mss;

		switch (fz_below(r, 12)) {
		case 0:
			o[0] = TERN_OPT_NOP;
			olen = 1;
			break;
		case 1:		/* END: what follows is not parsed */
			if (fz_one_in(r, 3)) {
				p[off++] = TERN_OPT_END;
				fz_bytes(r, p + off, len - off);
				return;
			}
			o[0] = TERN_OPT_NOP;
			olen = 1;
			break;
		case 2: case 3:
			mss = fz_one_in(r, 2) ? msses[fz_below(r, ARRAY_SIZE(msses))] :
						(uint16_t)fz_u64(r);
			o[0] = TERN_OPT_MSS;
			o[1] = fz_one_in(r, 6) ? fz_below(r, 8) : 4;
			o[2] = mss >> 8;
			o[3] = mss;
			olen = 4;
			break;
		case 4: case 5: case 6: case 7:
			n = fz_one_in(r, 6) ? fz_below(r, 16) : 1 + fz_below(r, 3);
			o[0] = TERN_OPT_SACK;
			olen = 2 + 16 * n;
			o[1] = olen;
			if (fz_one_in(r, 6))
				o[1] = fz_one_in(r, 2) ? olen + 1 + fz_below(r, 15) :
							 (uint8_t)fz_u64(r);
			for (i = 0; i < n; i++) {
				uint64_t b[2];

				fz_sack_block(r, t, prev, b);
				fz_put_be64(o + 2 + 16 * i, b[0]);
				fz_put_be64(o + 10 + 16 * i, b[1]);
				prev[0] = b[0];
				prev[1] = b[1];
			}
			break;
		case 8:		/* a kind nobody knows, skipped by its length */
			o[0] = 4 + fz_below(r, 252);
			olen = 2 + fz_below(r, 39);
			o[1] = olen;
			fz_bytes(r, o + 2, olen - 2);
			break;
		case 9:		/* length 0 or 1: parsing ends */
			o[0] = 2 + fz_below(r, 254);
			o[1] = fz_below(r, 2);
			olen = 2;
			break;
		case 10:	/* longer than what is left of the area */
			o[0] = fz_one_in(r, 2) ? TERN_OPT_SACK : (uint8_t)fz_u64(r);
			o[1] = room + 1 + fz_below(r, 20) > 255 ? 255 :
				room + 1 + fz_below(r, 20);
			olen = room < sizeof(o) ? room : sizeof(o);
			if (olen > 2)
				fz_bytes(r, o + 2, olen - 2);
			break;
		default:
			olen = 1 + fz_below(r, 16);
			fz_bytes(r, o, olen);
			break;
		}
		if (olen > room)
			olen = room;	/* a truncated option */
		memcpy(p + off, o, olen);
		off += olen;
	}
}

/* Everything random, numbers relative to t; RST kept one time in rst_keep. */
static void fz_random_spec(struct fz_rng *r, const struct fz_target *t,
			   struct fz_spec *s, unsigned int rst_keep)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->sport = fz_one_in(r, 64) ? 0 : t->sport;
	s->dport = fz_one_in(r, 64) ? 0 : t->dport;
	s->flags = fz_one_in(r, 4) ? (uint8_t)fz_u64(r) :
		   fz_common_flags[fz_below(r, ARRAY_SIZE(fz_common_flags))];
	if ((s->flags & TERN_FLAG_RST) && !fz_one_in(r, rst_keep))
		s->flags &= ~TERN_FLAG_RST;
	s->version = fz_one_in(r, 48) ? (uint8_t)fz_u64(r) : TERN_VERSION;
	s->reserved = fz_one_in(r, 4) ? (uint8_t)fz_u64(r) : 0;
	s->seq = fz_near(r, t->rcv_nxt, 65536);
	s->ack = fz_near(r, t->una, t->nxt - t->una);
	s->window = fz_window(r);
	switch (fz_below(r, 8)) {
	case 0: case 1: case 2: case 3:
		s->optlen = 0;
		break;
	case 4: case 5: case 6:
		s->optlen = 4 * (1 + fz_below(r, 12));
		break;
	default:
		s->optlen = 4 * fz_below(r, 248);	/* up to doff 255 */
		break;
	}
	s->doff = TERN_HDR_WORDS + s->optlen / 4;
	if (fz_one_in(r, 12))
		s->doff = (uint8_t)fz_u64(r);		/* anything */
	s->payload = fz_payload_len(r);
	switch (fz_below(r, 25)) {
	case 0: case 1:
		s->csum = FZ_CSUM_OFF;
		break;
	case 2:
		s->csum = FZ_CSUM_ZERO;
		break;
	case 3:
		s->csum = FZ_CSUM_ONES;
		break;
	case 4:
		s->csum = FZ_CSUM_RANDOM;
		break;
	default:
		s->csum = FZ_CSUM_GOOD;
		break;
	}
	s->mutate = fz_one_in(r, 10);
	s->trunc = fz_one_in(r, 24) ?
		   fz_below(r, TERN_HDR_LEN + s->optlen + s->payload + 1) : SIZE_MAX;
}

/*
 * Segment i of the systematic part, otherwise valid: flags i (i < 256),
 * then data offset i - 256 with an area exactly as long, a byte short,
 * or followed by an odd payload.
 */
static void fz_sweep_spec(struct fz_rng *r, const struct fz_target *t,
			  struct fz_spec *s, unsigned int i)
{
	fz_random_spec(r, t, s, 8);
	s->sport = t->sport;
	s->dport = t->dport;
	s->version = TERN_VERSION;
	s->csum = FZ_CSUM_GOOD;
	s->mutate = false;
	s->trunc = SIZE_MAX;
	if (i < 256) {
		s->flags = i;
		s->doff = TERN_HDR_WORDS + s->optlen / 4;
	} else {
		size_t hl = (i - 256) * 4, area = hl > TERN_HDR_LEN ? hl - TERN_HDR_LEN : 0;
		size_t body;

		switch (fz_below(r, 4)) {
		case 0:
			body = area;
			break;
		case 1:
			body = area ? area - 1 : fz_below(r, 40);
			break;
		case 2:
			body = area + 1 + 2 * fz_below(r, 200);
			break;
		default:
			body = area + fz_below(r, 64);
			break;
		}
		s->doff = i - 256;
		s->optlen = body < area ? body : area;
		s->payload = body - s->optlen;
	}
}

/* Checksum over the loopback pseudo-header, network order. */
static uint16_t fz_csum(const struct fz *z, const uint8_t *seg, size_t len)
{
	return tern_segment_csum(z->family, &z->addr, &z->addr, seg, len);
}

/* Build s into buf; the length to send. */
static size_t fz_build(struct fz *z, const struct fz_spec *s, uint8_t *buf)
{
	struct fz_rng *r = &z->rng;
	struct ternhdr *th = (struct ternhdr *)buf;
	size_t hlen = TERN_HDR_LEN + s->optlen, len = hlen + s->payload;
	uint16_t good;

	th->source = htons(s->sport);
	th->dest = htons(s->dport);
	th->doff = s->doff;
	th->flags = s->flags;
	th->check = 0;
	th->seq = htobe64(s->seq);
	th->ack_seq = htobe64(s->ack);
	th->window = htonl(s->window);
	th->version = s->version;
	memset(th->reserved, s->reserved, sizeof(th->reserved));
	fz_options(r, s->t, buf + TERN_HDR_LEN, s->optlen);
	fz_bytes(r, buf + hlen, s->payload);
	good = fz_csum(z, buf, len);
	switch (s->csum) {
	case FZ_CSUM_GOOD:
		th->check = good;
		break;
	case FZ_CSUM_OFF:
		th->check = good ^ htons(1 + fz_below(r, 0xffff));
		break;
	case FZ_CSUM_ZERO:
		th->check = 0;
		break;
	case FZ_CSUM_ONES:
		th->check = 0xffff;
		break;
	default:
		th->check = (uint16_t)fz_u64(r);
		break;
	}
	if (s->mutate) {
		unsigned int flips = 1 + fz_below(r, 4);

		z->mutated++;
		while (flips--) {
			size_t at = fz_one_in(r, 4) ? fz_below(r, len) : fz_below(r, hlen);

			buf[at] ^= 1 << fz_below(r, 8);
		}
		if (fz_one_in(r, 2)) {		/* and a checksum that fits */
			th->check = 0;
			th->check = fz_csum(z, buf, len);
		}
	}
	if (s->trunc < len) {
		z->truncated++;
		len = s->trunc;
	}
	return len;
}

/* What the receiver must make of seg (as sent: len bytes). */
static enum fz_verdict fz_classify(const struct fz *z, const uint8_t *seg,
				   size_t len)
{
	struct ternhdr th;

	if (len < TERN_HDR_LEN)
		return FZ_HDR;
	memcpy(&th, seg, sizeof(th));
	if (th.doff < TERN_HDR_WORDS || th.doff * 4u > len ||
	    th.version != TERN_VERSION || !th.source || !th.dest)
		return FZ_HDR;
	/* with its checksum field in, a right segment sums to 0xffff */
	return fz_csum(z, seg, len) ? FZ_CSUM : FZ_VALID;
}

/* Build, classify, send: 0 or -errno. */
static int fz_emit(struct fz *z, const struct fz_spec *s)
{
	size_t len = fz_build(z, s, fz_buf);
	enum fz_verdict v = fz_classify(z, fz_buf, len);
	int err;

	err = tern_raw_send(z->raw, z->family, &z->addr, fz_buf, len);
	if (err)
		return err;
	z->n[v]++;
	z->sent++;
	return 0;
}

static void fz_emit_ok(struct __test_metadata *_metadata, struct fz *z,
		       const struct fz_spec *s)
{
	int err = fz_emit(z, s);

	ASSERT_EQ(0, err) {
		TH_LOG("raw send: %s (seed %llu)", strerror(-err), z->seed);
	}
}

#define EMIT(spec) fz_emit_ok(_metadata, z, (spec))

/*
 * Wait for the counters to show every segment sent, then require that
 * each malformed one was counted once, and each valid one (TernInSegs
 * also counts the real traffic).
 */
static void fz_check_counts(struct __test_metadata *_metadata, struct fz *z)
{
	const long long delta[TERN_NR_COUNTERS] = {
		[TERN_IN_SEGS] = z->n[FZ_VALID],
		[TERN_IN_HDR_ERRORS] = z->n[FZ_HDR],
		[TERN_IN_CSUM_ERRORS] = z->n[FZ_CSUM],
	};
	struct tern_snmp now;
	long long got[TERN_NR_COUNTERS];
	int ret, i;

	ret = tern_snmp_wait(&z->base, delta, &now, FZ_SETTLE_MS);
	ASSERT_TRUE(ret == 0 || ret == -ETIMEDOUT) {
		TH_LOG("%s: %s", TERN_SNMP_PATH, strerror(-ret));
	}
	for (i = 0; i < TERN_NR_COUNTERS; i++)
		got[i] = now.v[i] - z->base.v[i];
	ASSERT_EQ(z->n[FZ_HDR], got[TERN_IN_HDR_ERRORS]) {
		TH_LOG("TernInHdrErrors moved by %lld for %lld malformed segments (seed %llu, after %lld segments)",
		       got[TERN_IN_HDR_ERRORS], z->n[FZ_HDR], z->seed, z->sent);
	}
	ASSERT_EQ(z->n[FZ_CSUM], got[TERN_IN_CSUM_ERRORS]) {
		TH_LOG("TernInCsumErrors moved by %lld for %lld bad checksums (seed %llu, after %lld segments)",
		       got[TERN_IN_CSUM_ERRORS], z->n[FZ_CSUM], z->seed, z->sent);
	}
	ASSERT_LE(z->n[FZ_VALID], got[TERN_IN_SEGS]) {
		TH_LOG("TernInSegs moved by %lld for %lld valid segments (seed %llu, after %lld segments)",
		       got[TERN_IN_SEGS], z->n[FZ_VALID], z->seed, z->sent);
	}
	ASSERT_EQ(0, got[TERN_IN_ADDR_ERRORS]);
}

/* ---------------------------------------------------------------------
 * ICMP errors quoting a segment the target sent
 */

/*
 * An ICMP (ICMPv6) error about a segment t's socket sent: unreachable of
 * every code, fragmentation needed (packet too big) with any MTU, time
 * exceeded, parameter problem, redirect; the quoted IP header with
 * options now and then; the quoted Tern header cut anywhere (the module
 * needs 16 bytes), its seq in or near what is in flight. The ICMP
 * checksum is right (the IPv6 stack computes it): the ICMP layer drops
 * the others before Tern sees them. Returns the length.
 */
static size_t fz_icmp_build(struct fz *z, const struct fz_target *t,
			    uint8_t *buf)
{
	static const uint16_t mtus4[] = { 0, 68, 500, 552, 576, 1280, 1500, 65535 };
	static const uint32_t mtus6[] = { 0, 1279, 1280, 1500, 9000, 65535, 1u << 20 };
	struct fz_rng *r = &z->rng;
	size_t qlen, ihl, len, i;
	struct ternhdr th;
	uint32_t info;
	uint16_t sum;

	memset(&th, 0, sizeof(th));
	th.source = htons(t->dport);	/* sent by the target */
	th.dest = htons(t->sport);
	th.doff = TERN_HDR_WORDS;
	th.flags = fz_common_flags[fz_below(r, ARRAY_SIZE(fz_common_flags))];
	th.seq = htobe64(fz_near(r, t->una, t->nxt - t->una));
	th.ack_seq = htobe64(t->rcv_nxt);
	th.window = htonl(fz_window(r));
	th.version = TERN_VERSION;
	qlen = fz_one_in(r, 4) ? fz_below(r, TERN_HDR_LEN + 1) : TERN_HDR_LEN;

	memset(buf, 0, 8);
	if (z->family == AF_INET) {
		switch (fz_below(r, 8)) {
		case 0: case 1:
			buf[0] = 3;				/* unreachable */
			buf[1] = fz_below(r, 16);
			break;
		case 2: case 3: case 4:
			buf[0] = 3;
			buf[1] = 4;				/* fragmentation needed */
			info = fz_one_in(r, 4) ? (uint16_t)fz_u64(r) :
						 mtus4[fz_below(r, ARRAY_SIZE(mtus4))];
			buf[6] = info >> 8;
			buf[7] = info;
			break;
		case 5:
			buf[0] = 11;				/* time exceeded */
			buf[1] = fz_below(r, 2);
			break;
		case 6:
			buf[0] = 12;				/* parameter problem */
			buf[4] = fz_below(r, 60);
			break;
		default:
			buf[0] = 5;				/* redirect */
			buf[1] = fz_below(r, 4);
			memcpy(buf + 4, &z->addr.v4, 4);
			break;
		}
		ihl = fz_one_in(r, 8) ? 5 + fz_below(r, 11) : 5;
		memset(buf + 8, 0, 20);
		memset(buf + 28, 1, ihl * 4 - 20);	/* IP options: NOP */
		buf[8] = 0x40 | ihl;
		len = ihl * 4 + TERN_HDR_LEN + fz_below(r, 1400);
		buf[10] = len >> 8;
		buf[11] = len;
		buf[16] = 64;				/* TTL */
		buf[17] = IPPROTO_TERN;
		buf[18] = buf[19] = 0;
		memcpy(buf + 20, &z->addr.v4, 4);	/* from the target's end */
		memcpy(buf + 24, &z->addr.v4, 4);
		sum = tern_csum_fold(tern_csum_add(0, buf + 8, ihl * 4));
		buf[18] = sum >> 8;
		buf[19] = sum;
		len = 8 + ihl * 4;
	} else {
		switch (fz_below(r, 8)) {
		case 0: case 1:
			buf[0] = 1;				/* unreachable */
			buf[1] = fz_below(r, 8);
			break;
		case 2: case 3: case 4:
			buf[0] = 2;				/* packet too big */
			info = fz_one_in(r, 4) ? (uint32_t)fz_u64(r) :
						 mtus6[fz_below(r, ARRAY_SIZE(mtus6))];
			for (i = 0; i < 4; i++)
				buf[4 + i] = info >> (24 - 8 * i);
			break;
		case 5: case 6:
			buf[0] = 3;				/* time exceeded */
			buf[1] = fz_below(r, 2);
			break;
		default:
			buf[0] = 4;				/* parameter problem */
			buf[1] = fz_below(r, 3);
			buf[7] = fz_below(r, 80);
			break;
		}
		memset(buf + 8, 0, 40);
		buf[8] = 0x60;
		len = TERN_HDR_LEN + fz_below(r, 1400);
		buf[12] = len >> 8;
		buf[13] = len;
		buf[14] = IPPROTO_TERN;
		buf[15] = 64;				/* hop limit */
		memcpy(buf + 16, &z->addr.v6, 16);
		memcpy(buf + 32, &z->addr.v6, 16);
		len = 8 + 40;
	}
	memcpy(buf + len, &th, qlen);
	len += qlen;
	if (z->family == AF_INET) {
		sum = tern_csum_fold(tern_csum_add(0, buf, len));
		buf[2] = sum >> 8;
		buf[3] = sum;
	}
	return len;
}

static void fz_icmp(struct __test_metadata *_metadata, struct fz *z,
		    const struct fz_target *t)
{
	static uint8_t buf[256];
	size_t len = fz_icmp_build(z, t, buf);
	int err;

	err = tern_raw_send(z->icmp, z->family, &z->addr, buf, len);
	ASSERT_EQ(0, err) {
		TH_LOG("ICMP send: %s (seed %llu)", strerror(-err), z->seed);
	}
	z->icmps++;
}

/* ---------------------------------------------------------------------
 * Sockets
 */

/* A classic BPF program on fd: 0 or -errno. */
static int fz_filter(int fd, struct sock_filter *f, unsigned short len)
{
	struct sock_fprog prog = { .len = len, .filter = f };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog)) ? -errno : 0;
}

/* Close with a reset (SO_LINGER 0): nothing lingers after the case. */
static void fz_abort_close(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* accept() within timeout_ms: fd or -errno. */
static int fz_accept(int l, int timeout_ms)
{
	int ev = ct_poll(l, POLLIN, timeout_ms), fd;

	if (ev < 0)
		return ev;
	if (!(ev & POLLIN))
		return -ETIMEDOUT;
	fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * The connection from port cport, within timeout_ms: fd or -errno. Others
 * waiting before it are reset: a forged segment that repeats the last one
 * of a young connection's handshake (seq C + 1, ack K + 1) creates a
 * connection once the first is gone, as it should.
 */
static int fz_accept_from(int l, int cport, int timeout_ms)
{
	long long end = ct_now_ms() + timeout_ms;
	int fd;

	for (;;) {
		fd = fz_accept(l, end > ct_now_ms() ? end - ct_now_ms() : 0);
		if (fd < 0 || ct_port_of(fd, 1) == cport)
			return fd;
		fz_abort_close(fd);
	}
}

/* Accept and reset whatever waits on l (read it first, sometimes). */
static long long fz_drain_accept(struct fz_rng *r, int l)
{
	static char buf[16384];
	long long n = 0;
	int a, tries;

	for (tries = 0; tries < 1000; tries++) {
		a = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (a < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			break;
		}
		if (fz_one_in(r, 2))
			while (recv(a, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
		fz_abort_close(a);
		n++;
	}
	return n;
}

/* A line of /proc/net/tern/sockets. */
struct fz_sock {
	char state[40];
	uint64_t una, nxt, rcv_nxt;	/* nxt as a sequence number */
	unsigned long long lost, sacked, inflight, ooo;
	long long rmem, wq;
	char line[768];
};

static int fz_token_port(const char *tok)
{
	const char *c = strrchr(tok, ':');

	return c ? atoi(c + 1) : -1;
}

static bool fz_field(const char *line, const char *key, unsigned long long *u,
		     long long *s)
{
	char k[32];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	p = strstr(line, k);
	if (!p)
		return false;
	p += strlen(k);
	if (*p == '+')
		p++;
	if (u)
		*u = strtoull(p, NULL, 10);
	if (s)
		*s = strtoll(p, NULL, 10);
	return true;
}

/* The socket with local port lport and remote port rport: 1, 0 or -errno. */
static int fz_sock_read(int lport, int rport, struct fz_sock *s)
{
	char local[80], remote[80];
	unsigned long long una, nxt, rcv;
	int found = 0;
	FILE *f;

	f = fopen("/proc/net/tern/sockets", "re");
	if (!f)
		return -errno;
	while (!found && fgets(s->line, sizeof(s->line), f)) {
		if (sscanf(s->line, "%79s %79s %39s", local, remote, s->state) != 3 ||
		    fz_token_port(local) != lport || fz_token_port(remote) != rport)
			continue;
		if (!fz_field(s->line, "una", &una, NULL) ||
		    !fz_field(s->line, "nxt", &nxt, NULL) ||
		    !fz_field(s->line, "rcv_nxt", &rcv, NULL) ||
		    !fz_field(s->line, "lost", &s->lost, NULL) ||
		    !fz_field(s->line, "sacked", &s->sacked, NULL) ||
		    !fz_field(s->line, "inflight", &s->inflight, NULL) ||
		    !fz_field(s->line, "ooo", &s->ooo, NULL) ||
		    !fz_field(s->line, "rmem", NULL, &s->rmem) ||
		    !fz_field(s->line, "wq", NULL, &s->wq))
			continue;
		s->una = una;
		s->nxt = una + nxt;
		s->rcv_nxt = rcv;
		found = 1;
	}
	fclose(f);
	return found;
}

/*
 * Byte counts that wrapped below zero (u32 or int accounting gone wrong)
 * cannot be a reading taken mid-update: remember the first such line.
 */
static void fz_sock_sane(struct fz *z, const struct fz_sock *s)
{
	const unsigned long long lim = 1ULL << 31;

	if (z->insane)
		return;
	if (s->lost >= lim || s->sacked >= lim || s->inflight >= lim ||
	    s->ooo >= lim || s->rmem < 0 || s->wq < 0 ||
	    s->nxt - s->una >= (1ULL << 40)) {
		z->insane = true;
		snprintf(z->insane_line, sizeof(z->insane_line), "%s", s->line);
	}
}

static void fz_target_from(struct fz_target *t, uint16_t sport, uint16_t dport,
			   const struct fz_sock *s)
{
	t->sport = sport;
	t->dport = dport;
	t->rcv_nxt = s->rcv_nxt;
	t->una = s->una;
	t->nxt = s->nxt;
}

static void fz_target_random(struct fz_rng *r, struct fz_target *t,
			     uint16_t sport, uint16_t dport)
{
	t->sport = sport;
	t->dport = dport;
	t->rcv_nxt = fz_u64(r);
	t->una = fz_u64(r);
	t->nxt = t->una + fz_below(r, 1 << 20);
}

/* ---------------------------------------------------------------------
 * A live connection, and the thread that keeps data moving on it
 */
struct fz_conn {
	int c, a;		/* connected, accepted */
	int lport, cport, type;
	bool open;
	int stop;		/* for the thread */
	pthread_t thread;
};

/*
 * Both ends send and receive, a little at a time, until told to stop or
 * until the connection is gone; what arrives is not checked (the fuzz
 * writes into the stream).
 */
static void *fz_pump(void *arg)
{
	struct fz_conn *k = arg;
	bool rd[2] = { true, true }, wr[2] = { true, true };
	int fd[2] = { k->c, k->a };
	char buf[16384];
	unsigned int turn = 0;

	memset(buf, 0x5a, sizeof(buf));
	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd[2];
		int i;

		for (i = 0; i < 2; i++) {
			pfd[i].fd = rd[i] || wr[i] ? fd[i] : -1;
			pfd[i].events = (rd[i] ? POLLIN : 0) | (wr[i] ? POLLOUT : 0);
			pfd[i].revents = 0;
		}
		if (poll(pfd, 2, 20) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (rd[i] && (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))) {
				n = recv(fd[i], buf, sizeof(buf), MSG_DONTWAIT);
				if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
					rd[i] = false;
			}
			if (wr[i] && (pfd[i].revents & (POLLOUT | POLLERR))) {
				turn = turn * 1103515245 + 12345;
				n = send(fd[i], buf, 1 + (turn >> 8) % sizeof(buf),
					 MSG_DONTWAIT | MSG_NOSIGNAL);
				if (n < 0 && errno != EAGAIN && errno != EINTR)
					wr[i] = false;
			}
		}
		tern_msleep(2);
	}
	return NULL;
}

static int fz_conn_open(struct fz_conn *k, const struct fz *z, int l,
			int lport, int type)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->lport = lport;
	k->type = type;
	k->c = ct_connect_to(z->family, type, IPPROTO_TERN, z->addr_str, lport);
	if (k->c < 0)
		return k->c;
	k->cport = ct_port_of(k->c, 0);
	k->a = fz_accept_from(l, k->cport, 10000);
	if (k->a < 0) {
		err = k->a;
		fz_abort_close(k->c);
		return err;
	}
	if (k->cport <= 0 || ct_set_nonblock(k->c, 1) || ct_set_nonblock(k->a, 1) ||
	    pthread_create(&k->thread, NULL, fz_pump, k)) {
		fz_abort_close(k->c);
		fz_abort_close(k->a);
		return -EIO;
	}
	k->open = true;
	return 0;
}

static void fz_conn_close(struct fz_conn *k)
{
	if (!k->open)
		return;
	__atomic_store_n(&k->stop, 1, __ATOMIC_RELEASE);
	pthread_join(k->thread, NULL);
	fz_abort_close(k->c);
	fz_abort_close(k->a);
	k->open = false;
}

static bool fz_state_live(const char *state)
{
	return !strncmp(state, "ESTAB", 5) || !strncmp(state, "CLOSE-WAIT", 10);
}

/* Both ends still worth fuzzing; their lines in *srv and *cli. */
static bool fz_conn_live(const struct fz_conn *k, struct fz_sock *srv,
			 struct fz_sock *cli)
{
	if (!k->open || fz_sock_read(k->lport, k->cport, srv) != 1 ||
	    fz_sock_read(k->cport, k->lport, cli) != 1)
		return false;
	if (!fz_state_live(srv->state) || !fz_state_live(cli->state))
		return false;
	return strncmp(srv->state, "CLOSE-WAIT", 10) ||
	       strncmp(cli->state, "CLOSE-WAIT", 10);
}

/* ---------------------------------------------------------------------
 * Afterwards: alive, counted, accepting, moving data
 */

/* A message each way over a new connection from listener l. */
static void fz_ping(struct __test_metadata *_metadata, const struct fz *z,
		    int l, int lport, int type)
{
	char buf[16];
	int c, a;

	c = ct_connect_to(z->family, type, IPPROTO_TERN, z->addr_str, lport);
	ASSERT_LE(0, c) {
		TH_LOG("connect to the fuzzed listener: %s (seed %llu)",
		       strerror(-c), z->seed);
	}
	a = fz_accept_from(l, ct_port_of(c, 0), 10000);
	ASSERT_LE(0, a) {
		TH_LOG("the fuzzed listener accepts nothing: %s (seed %llu)",
		       strerror(-a), z->seed);
	}
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, FZ_IO_MS));
	ASSERT_EQ(0, ct_set_timeo(c, SO_RCVTIMEO, FZ_IO_MS));
	ASSERT_EQ(5, send(c, "fuzz?", 5, MSG_NOSIGNAL));
	ASSERT_EQ(5, recv(a, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, "fuzz?", 5));
	ASSERT_EQ(5, send(a, "fuzz!", 5, MSG_NOSIGNAL));
	ASSERT_EQ(5, recv(c, buf, sizeof(buf), 0));
	ASSERT_EQ(0, memcmp(buf, "fuzz!", 5));
	fz_abort_close(c);	/* no TIME_WAIT: it would hold the namespace */
	fz_abort_close(a);
}

/* FZ_XFER_LEN bytes each way at once over a new stream connection. */
static void fz_transfer(struct __test_metadata *_metadata, const struct fz *z,
			int l, int lport)
{
	struct ct_xfer x[4];
	int c, a, i;
	char b;

	c = ct_connect_to(z->family, SOCK_STREAM, IPPROTO_TERN, z->addr_str, lport);
	ASSERT_LE(0, c) {
		TH_LOG("connect: %s (seed %llu)", strerror(-c), z->seed);
	}
	a = fz_accept_from(l, ct_port_of(c, 0), 10000);
	ASSERT_LE(0, a) {
		TH_LOG("accept: %s (seed %llu)", strerror(-a), z->seed);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ct_set_timeo(i ? a : c, SO_RCVTIMEO, FZ_IO_MS));
		ASSERT_EQ(0, ct_set_timeo(i ? a : c, SO_SNDTIMEO, FZ_IO_MS));
	}
	memset(x, 0, sizeof(x));
	x[0] = (struct ct_xfer){ .fd = c, .send = 1, .len = FZ_XFER_LEN,
				 .seed = 11, .chunk = 65536, .shut = 1 };
	x[1] = (struct ct_xfer){ .fd = a, .send = 0, .len = FZ_XFER_LEN, .seed = 11 };
	x[2] = (struct ct_xfer){ .fd = a, .send = 1, .len = FZ_XFER_LEN,
				 .seed = 22, .chunk = 65536, .shut = 1 };
	x[3] = (struct ct_xfer){ .fd = c, .send = 0, .len = FZ_XFER_LEN, .seed = 22 };
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, ct_xfer_start(&x[i]));
	for (i = 0; i < 4; i++)
		ct_xfer_join(&x[i]);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(FZ_XFER_LEN, x[i].result) {
			TH_LOG("%s %s: %zd (%s) (seed %llu)",
			       i < 2 ? "client to server" : "server to client",
			       x[i].send ? "sending" : "receiving", x[i].result,
			       x[i].result < 0 ? strerror(-x[i].result) : "short",
			       z->seed);
		}
	}
	EXPECT_EQ(0, recv(a, &b, 1, 0));
	EXPECT_EQ(0, recv(c, &b, 1, 0));
	fz_abort_close(c);
	fz_abort_close(a);
}

/* Lines of /proc/net/tern/sockets below its heading, or -errno. */
static int fz_sockets_left(void)
{
	char line[768];
	int n = -1;
	FILE *f;

	f = fopen("/proc/net/tern/sockets", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/*
 * Everything closed (reset, or TIME_WAIT of 1 ms): the namespace's
 * sockets must all go, none kept by what the fuzz did to it.
 */
static void fz_all_gone(struct __test_metadata *_metadata, const struct fz *z)
{
	long long end = ct_now_ms() + 10000;
	char line[768];
	FILE *f;
	int left;

	while ((left = fz_sockets_left()) > 0 && ct_now_ms() < end)
		tern_msleep(50);
	EXPECT_EQ(0, left) {
		TH_LOG("sockets left 10 s after every one was closed (seed %llu):",
		       z->seed);
		f = fopen("/proc/net/tern/sockets", "re");
		while (f && fgets(line, sizeof(line), f))
			TH_LOG("  %s", line);
		if (f)
			fclose(f);
	}
}

/* l[0], lport[0]: a stream listener; l[1], lport[1]: a seqpacket one. */
static void fz_final(struct __test_metadata *_metadata, struct fz *z,
		     const int l[2], const int lport[2])
{
	ASSERT_EQ(1, tern_module_loaded());
	/* the transfer's ends close in TIME_WAIT: let it be short */
	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "1"));
	fz_check_counts(_metadata, z);
	TH_LOG("%lld segments in %lld s: %lld valid, %lld header errors, %lld checksum errors; %lld mutated, %lld cut short",
	       z->sent, (ct_now_ms() - z->t0) / 1000, z->n[FZ_VALID],
	       z->n[FZ_HDR], z->n[FZ_CSUM], z->mutated, z->truncated);
	TH_LOG("TernInWinDrops %lld, TernDupSegs %lld, TernOfoQueue %lld, TernInRsts %lld, TernRcvQDrops %lld, TernCookiesFailed %lld, TernPassiveOpens %lld, TernFastRetrans %lld",
	       ct_counter("TernInWinDrops"), ct_counter("TernDupSegs"),
	       ct_counter("TernOfoQueue"), ct_counter("TernInRsts"),
	       ct_counter("TernRcvQDrops"), ct_counter("TernCookiesFailed"),
	       ct_counter("TernPassiveOpens"), ct_counter("TernFastRetrans"));
	TH_LOG("%lld ICMP errors sent: TernInIcmpErrors %lld, TernOutOfWindowIcmps %lld",
	       z->icmps, ct_counter("TernInIcmpErrors"),
	       ct_counter("TernOutOfWindowIcmps"));
	EXPECT_FALSE(z->insane) {
		TH_LOG("a byte count out of range (seed %llu): %s", z->seed,
		       z->insane_line);
	}
	fz_ping(_metadata, z, l[1], lport[1], SOCK_SEQPACKET);
	fz_ping(_metadata, z, l[0], lport[0], SOCK_STREAM);
	fz_transfer(_metadata, z, l[0], lport[0]);
	ASSERT_EQ(1, tern_module_loaded());
	fz_check_counts(_metadata, z);
}

/* ---------------------------------------------------------------------
 * The cases
 */

FIXTURE(fuzz) {
	struct fz z;
};

FIXTURE_VARIANT(fuzz) {
	int family;
	const char *addr;
};

FIXTURE_VARIANT_ADD(fuzz, ipv4) {
	.family = AF_INET, .addr = "127.0.0.1",
};

FIXTURE_VARIANT_ADD(fuzz, ipv6) {
	.family = AF_INET6, .addr = "::1",
};

FIXTURE_SETUP(fuzz)
{
	static struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct fz *z = &self->z;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a of the case's name */
	const char *p;
	int err;

	z->seed = fz_seed();
	fprintf(stderr, "# seed: %llu\n", z->seed);
	for (p = _metadata->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)variant->family) * 0x100000001b3ULL;
	z->rng.s = z->seed ^ h;
	z->nsegs = fz_case_segs();
	z->t0 = ct_now_ms();
	TH_LOG("TERN_FUZZ_SEED=%llu repeats this case; %ld segments", z->seed,
	       z->nsegs);

	ASSERT_EQ(0, tern_ensure_loaded());
	ASSERT_EQ(0, tern_new_netns());
	z->family = variant->family;
	z->addr_str = variant->addr;
	ASSERT_EQ(1, inet_pton(variant->family, variant->addr, &z->addr));
	z->raw = tern_raw_socket(variant->family, &z->addr);
	ASSERT_LE(0, z->raw) {
		TH_LOG("raw socket: %s", strerror(-z->raw));
	}
	err = fz_filter(z->raw, drop_all, ARRAY_SIZE(drop_all));
	ASSERT_EQ(0, err) {
		TH_LOG("SO_ATTACH_FILTER: %s", strerror(-err));
	}
	z->icmp = socket(variant->family, SOCK_RAW | SOCK_CLOEXEC,
			 variant->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	ASSERT_LE(0, z->icmp);
	ASSERT_EQ(0, fz_filter(z->icmp, drop_all, ARRAY_SIZE(drop_all)));
	/* a connect() to a broken listener fails in seconds, not minutes */
	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/syn_retries", "3"));
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->z.raw > 0)
		close(self->z.raw);
	if (self->z.icmp > 0)
		close(self->z.icmp);
}

/*
 * A client that went through TIME_WAIT on port *cport towards lport: the
 * forged handshakes come from its port, and it answers neither SYN-ACKs,
 * bare ACKs nor resets, so their connections live. 0 or -errno.
 */
static int fz_time_wait_client(const struct fz *z, int type, int l, int lport,
			       int *cport)
{
	struct fz_sock s;
	long long end;
	int c, a;
	char b;

	c = ct_connect_to(z->family, type, IPPROTO_TERN, z->addr_str, lport);
	if (c < 0)
		return c;
	*cport = ct_port_of(c, 0);
	a = fz_accept_from(l, *cport, 10000);
	if (a < 0) {
		fz_abort_close(c);
		return a;
	}
	close(c);		/* the client closes first: TIME_WAIT is its */
	ct_set_timeo(a, SO_RCVTIMEO, 10000);
	if (recv(a, &b, 1, 0) != 0) {
		fz_abort_close(a);
		return -EPROTO;
	}
	close(a);
	for (end = ct_now_ms() + 10000; ct_now_ms() < end; tern_msleep(10))
		if (fz_sock_read(*cport, lport, &s) == 1 &&
		    !strncmp(s.state, "TIME-WAIT", 9))
			return 0;
	return -ETIMEDOUT;
}

/*
 * A TIME_WAIT socket holds its namespace (and the module) until it ends:
 * with a short tw_timeout_ms, a FIN resent at its rcv_nxt starts the wait
 * again, and it ends at once. 0, or -ETIMEDOUT when one lives on.
 */
static int fz_end_time_wait(struct fz *z, const int *twport, const int *twlport)
{
	struct fz_target t;
	struct fz_spec s;
	struct fz_sock ss;
	long long end = ct_now_ms() + 5000;
	bool left;
	int i;

	if (ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "1"))
		return -EIO;
	do {
		left = false;
		for (i = 0; i < FZ_TW_PORTS; i++) {
			if (fz_sock_read(twport[i], twlport[i], &ss) != 1)
				continue;
			left = true;
			fz_target_from(&t, twlport[i], twport[i], &ss);
			memset(&s, 0, sizeof(s));
			s.t = &t;
			s.sport = twlport[i];
			s.dport = twport[i];
			s.doff = TERN_HDR_WORDS;
			s.flags = TERN_FLAG_ACK | TERN_FLAG_FIN;
			s.version = TERN_VERSION;
			s.seq = ss.rcv_nxt - 1;
			s.ack = ss.nxt;
			s.window = 65536;
			s.csum = FZ_CSUM_GOOD;
			s.trunc = SIZE_MAX;
			if (fz_emit(z, &s))
				return -EIO;
		}
		if (left)
			tern_msleep(50);
	} while (left && ct_now_ms() < end);
	return left ? -ETIMEDOUT : 0;
}

/*
 * A raw socket that keeps only SYN-ACKs from port p1 or p2 (the IPv4 one
 * sees the IP header first, the IPv6 one the segment).
 */
static int fz_synack_socket(const struct fz *z, int p1, int p2)
{
	struct sock_filter f[] = {
		z->family == AF_INET ? (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0) :
				       (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, p1, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, p2, 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, offsetof(struct ternhdr, flags)),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, TERN_FLAG_SYN | TERN_FLAG_ACK),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TERN_FLAG_SYN | TERN_FLAG_ACK, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
	};
	int fd = tern_raw_socket(z->family, &z->addr), err;

	if (fd < 0)
		return fd;
	err = fz_filter(fd, f, ARRAY_SIZE(f));
	if (!err)
		err = ct_set_nonblock(fd, 1) ? -EIO : 0;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* The SYN-ACK lport -> cport acknowledging c + 1; its seq in *k. 1 or 0. */
static int fz_synack(const struct fz *z, int fd, int lport, int cport,
		     uint64_t c, uint64_t *k, int timeout_ms)
{
	long long end = ct_now_ms() + timeout_ms;
	static uint8_t buf[2048];
	struct ternhdr th;
	size_t off;
	ssize_t n;

	while (ct_now_ms() < end) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			ct_poll(fd, POLLIN, 50);
			continue;
		}
		off = z->family == AF_INET ? (buf[0] & 0x0f) * 4 : 0;
		if ((size_t)n < off + TERN_HDR_LEN)
			continue;
		memcpy(&th, buf + off, sizeof(th));
		if (ntohs(th.source) == lport && ntohs(th.dest) == cport &&
		    be64toh(th.ack_seq) == c + 1) {
			*k = be64toh(th.seq);
			return 1;
		}
	}
	return 0;
}

/*
 * A handshake from cport (a TIME_WAIT client) to lport: a valid SYN with
 * random options, the cookie from the SYN-ACK, then the segment that
 * completes it carrying whatever else (data, FIN, EOR, options; now and
 * then a broken one), and a few random segments for the new connection.
 * The SYN-ACK goes to the client's TIME_WAIT, which swallows it (no
 * reset from this host kills the handshake). A SYN that meets a request
 * still pending for the four-tuple (an earlier handshake's last segment
 * fuzzed, a random SYN) rightly gets no SYN-ACK, as in TCP: counted
 * apart, by the listener's TernReqOutOfWindow.
 */
static void fz_handshake(struct __test_metadata *_metadata, struct fz *z,
			 int hs, int lport, int cport)
{
	struct fz_rng *r = &z->rng;
	struct fz_target t;
	struct fz_spec s;
	uint64_t c = fz_u64(r), k;
	long long oow;
	unsigned int i;

	while (recv(hs, fz_buf, sizeof(fz_buf), MSG_DONTWAIT) >= 0)
		;
	fz_target_random(r, &t, cport, lport);
	fz_random_spec(r, &t, &s, 1);
	s.sport = cport;
	s.dport = lport;
	s.flags = TERN_FLAG_SYN;
	s.seq = c;
	s.version = TERN_VERSION;
	s.doff = TERN_HDR_WORDS + s.optlen / 4;
	s.payload = 0;
	s.csum = FZ_CSUM_GOOD;
	s.mutate = false;
	s.trunc = SIZE_MAX;
	oow = ct_counter("TernReqOutOfWindow");
	EMIT(&s);
	if (ct_counter("TernReqOutOfWindow") != oow) {
		z->syn_to_request++;
		return;
	}
	if (!fz_synack(z, hs, lport, cport, c, &k, 3000)) {
		z->synack_missing++;
		return;
	}

	t.rcv_nxt = c + 1;
	t.una = k + 1;
	t.nxt = k + 1;
	fz_random_spec(r, &t, &s, 1);
	s.seq = c + 1;
	s.ack = k + 1;
	s.flags = TERN_FLAG_ACK;
	if (fz_one_in(r, 2))
		s.flags |= (uint8_t)fz_u64(r) & ~(TERN_FLAG_SYN | TERN_FLAG_RST);
	if (fz_one_in(r, 16))
		s.flags = (uint8_t)fz_u64(r);
	if (!fz_one_in(r, 8)) {
		s.sport = cport;
		s.dport = lport;
		s.version = TERN_VERSION;
		s.doff = TERN_HDR_WORDS + s.optlen / 4;
		s.csum = FZ_CSUM_GOOD;
		s.mutate = false;
		s.trunc = SIZE_MAX;
	}
	EMIT(&s);
	z->handshakes++;

	t.rcv_nxt = c + 1 + s.payload + !!(s.flags & TERN_FLAG_FIN);
	for (i = fz_below(r, 6); i; i--) {
		fz_random_spec(r, &t, &s, 8);
		EMIT(&s);
	}
}

/*
 * Listeners: random segments from anywhere (SYNs, ACKs of cookies never
 * issued, everything else), forged handshakes completed with fuzzed
 * segments, the TIME_WAIT clients fuzzed too.
 */
TEST_F_TIMEOUT(fuzz, listener, FZ_TIMEOUT_S)
{
	struct fz *z = &self->z;
	struct fz_rng *r = &z->rng;
	int l[2], lport[2] = { 0, 0 }, twport[FZ_TW_PORTS], twlport[FZ_TW_PORTS];
	int hs, i, err;
	struct fz_target tw[FZ_TW_PORTS], t;
	long long next_check = FZ_BATCH;
	struct fz_spec s;

	ASSERT_EQ(0, ct_sysctl_write("/proc/sys/net/tern/tw_timeout_ms", "3600000"));
	l[0] = ct_listener(z->family, SOCK_STREAM, IPPROTO_TERN, z->addr_str,
			   0, 16, 0, &lport[0]);
	ASSERT_LE(0, l[0]);
	l[1] = ct_listener(z->family, SOCK_SEQPACKET, IPPROTO_TERN, z->addr_str,
			   0, 16, 0, &lport[1]);
	ASSERT_LE(0, l[1]);
	for (i = 0; i < FZ_TW_PORTS; i++) {	/* half of them for each */
		twlport[i] = lport[i % 2];
		err = fz_time_wait_client(z, i % 2 ? SOCK_SEQPACKET : SOCK_STREAM,
					  l[i % 2], lport[i % 2], &twport[i]);
		ASSERT_EQ(0, err) {
			TH_LOG("a client in TIME_WAIT: %s", strerror(-err));
		}
	}
	ASSERT_EQ(0, ct_set_nonblock(l[0], 1));
	ASSERT_EQ(0, ct_set_nonblock(l[1], 1));
	hs = fz_synack_socket(z, lport[0], lport[1]);
	ASSERT_LE(0, hs) {
		TH_LOG("capture socket: %s", strerror(-hs));
	}
	for (i = 0; i < FZ_TW_PORTS; i++)
		fz_target_random(r, &tw[i], twlport[i], twport[i]);
	ASSERT_EQ(0, tern_snmp_read(&z->base));

	while (z->sent < z->nsegs) {
		unsigned int pick = fz_below(r, 16), j = fz_below(r, FZ_TW_PORTS);
		unsigned int which = fz_below(r, 2);

		if (z->sent < FZ_SWEEP) {
			fz_target_random(r, &t, 1 + fz_below(r, 65535), lport[which]);
			fz_sweep_spec(r, &t, &s, z->sent);
			EMIT(&s);
		} else if (pick < 2) {
			z->children += fz_drain_accept(r, l[0]);
			z->children += fz_drain_accept(r, l[1]);
			fz_handshake(_metadata, z, hs, twlport[j], twport[j]);
		} else if (pick < 4) {
			fz_random_spec(r, &tw[j], &s, 2);
			EMIT(&s);
			if (fz_one_in(r, 16))
				fz_icmp(_metadata, z, &tw[j]);
		} else {
			uint16_t sport = 1 + fz_below(r, 65535);
			uint16_t dport = lport[which];

			if (fz_one_in(r, 8))
				sport = twport[j];
			if (fz_one_in(r, 10))
				dport = 1 + fz_below(r, 65535);

			fz_target_random(r, &t, sport, dport);
			fz_random_spec(r, &t, &s, 2);
			EMIT(&s);
			if (fz_one_in(r, 64))
				fz_icmp(_metadata, z, &t);
		}
		if (z->sent >= next_check) {
			struct fz_sock ss;

			fz_check_counts(_metadata, z);
			for (i = 0; i < FZ_TW_PORTS; i++) {
				if (fz_sock_read(twport[i], twlport[i], &ss) == 1) {
					fz_sock_sane(z, &ss);
					fz_target_from(&tw[i], twlport[i], twport[i], &ss);
				}
			}
			next_check = z->sent + FZ_BATCH;
		}
	}
	z->children += fz_drain_accept(r, l[0]);
	z->children += fz_drain_accept(r, l[1]);
	TH_LOG("%lld handshakes forged up to a fuzzed last segment, %lld connections accepted, %lld SYNs met a pending request",
	       z->handshakes, z->children, z->syn_to_request);
	EXPECT_EQ(0, z->synack_missing) {
		TH_LOG("%lld valid SYNs got no SYN-ACK (seed %llu)",
		       z->synack_missing, z->seed);
	}
	ASSERT_EQ(0, ct_set_nonblock(l[0], 0));
	ASSERT_EQ(0, ct_set_nonblock(l[1], 0));
	err = fz_end_time_wait(z, twport, twlport);
	EXPECT_EQ(0, err) {
		TH_LOG("a TIME_WAIT client would not end (seed %llu)", z->seed);
	}
	fz_final(_metadata, z, l, lport);
	close(hs);
	close(l[0]);
	close(l[1]);
	fz_all_gone(_metadata, z);
}

/*
 * Both ends of a connection with data in flight, each segment aimed at
 * one of them with numbers near its live ones. A connection the fuzz
 * ends is replaced (stream and seqpacket in turn).
 */
TEST_F_TIMEOUT(fuzz, established, FZ_TIMEOUT_S)
{
	struct fz *z = &self->z;
	struct fz_rng *r = &z->rng;
	struct fz_conn k = { .open = false };
	int l[2], lport[2] = { 0, 0 }, stuck = 0, err;
	long long drops = 0, prev_drops;

	l[0] = ct_listener(z->family, SOCK_STREAM, IPPROTO_TERN, z->addr_str,
			   0, 8, 0, &lport[0]);
	ASSERT_LE(0, l[0]);
	l[1] = ct_listener(z->family, SOCK_SEQPACKET, IPPROTO_TERN, z->addr_str,
			   0, 8, 0, &lport[1]);
	ASSERT_LE(0, l[1]);
	ASSERT_EQ(0, tern_snmp_read(&z->base));

	while (z->sent < z->nsegs) {
		struct fz_sock ss, cs;
		struct fz_target srv, cli;
		struct fz_spec s;
		bool looping;
		int i;

		/*
		 * Data forged in sequence puts the ends out of step, and they
		 * may then ACK each other without end (quiet_after_injection):
		 * a new connection is worth more to the fuzz than that one.
		 */
		prev_drops = drops;
		drops = ct_counter("TernInWinDrops");
		looping = k.open && drops - prev_drops > FZ_LOOP_DROPS;
		z->loops += looping;
		if (looping || !fz_conn_live(&k, &ss, &cs)) {
			unsigned int w = z->reopens % 2;

			fz_conn_close(&k);
			ASSERT_GT(4, stuck++) {
				TH_LOG("new connections die before the fuzz reaches them (seed %llu)",
				       z->seed);
			}
			err = fz_conn_open(&k, z, l[w], lport[w],
					   w ? SOCK_SEQPACKET : SOCK_STREAM);
			ASSERT_EQ(0, err) {
				TH_LOG("a new connection: %s (seed %llu)",
				       strerror(-err), z->seed);
			}
			z->reopens++;
			drops = ct_counter("TernInWinDrops");
			continue;
		}
		stuck = 0;
		fz_sock_sane(z, &ss);
		fz_sock_sane(z, &cs);
		z->batches++;
		if (ss.nxt != ss.una || cs.nxt != cs.una)
			z->inflight_batches++;
		if (ss.ooo || cs.ooo)
			z->ooo_batches++;
		fz_target_from(&srv, k.cport, k.lport, &ss);
		fz_target_from(&cli, k.lport, k.cport, &cs);
		for (i = 0; i < FZ_BATCH && z->sent < z->nsegs; i++) {
			const struct fz_target *t = fz_one_in(r, 2) ? &srv : &cli;

			if (z->sent < FZ_SWEEP)
				fz_sweep_spec(r, t, &s, z->sent);
			else
				fz_random_spec(r, t, &s, 8);
			EMIT(&s);
			if (fz_one_in(r, 32))
				fz_icmp(_metadata, z, t);
		}
		fz_check_counts(_metadata, z);
	}
	fz_conn_close(&k);
	TH_LOG("%lld connections fuzzed (%lld replaced while their ends ACKed each other in a loop); of %lld batches, %lld began with data in flight, %lld with data out of order",
	       z->reopens, z->loops, z->batches, z->inflight_batches,
	       z->ooo_batches);
	fz_final(_metadata, z, l, lport);
	close(l[0]);
	close(l[1]);
	fz_all_gone(_metadata, z);
}

/*
 * A connection at rest stays at rest after a forged segment. One carrying
 * 100 bytes at the server's rcv_nxt (what the fuzz sends all the time,
 * and a blind attacker who guessed right) puts the server ahead of all
 * the client ever sent: the server's ACK then acknowledges data the
 * client never sent, the client answers it with an ACK whose sequence
 * number the server finds below its window, the server answers that...
 * Those answers must be limited (TCP: RFC 5961 and
 * net.ipv4.tcp_invalid_ratelimit) or the two ends ACK each other as fast
 * as they can, for as long as the connection lives.
 */
TEST_F(fuzz, quiet_after_injection)
{
	struct fz *z = &self->z;
	long long out, drops;
	struct fz_target t;
	struct fz_spec s;
	struct fz_sock ss;
	int l, c, a, lport = 0, cport;
	char b;

	l = ct_listener(z->family, SOCK_STREAM, IPPROTO_TERN, z->addr_str, 0, 1,
			0, &lport);
	ASSERT_LE(0, l);
	c = ct_connect_to(z->family, SOCK_STREAM, IPPROTO_TERN, z->addr_str, lport);
	ASSERT_LE(0, c);
	cport = ct_port_of(c, 0);
	ASSERT_LT(0, cport);
	a = fz_accept_from(l, cport, 10000);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, ct_set_timeo(a, SO_RCVTIMEO, 10000));
	ASSERT_EQ(1, send(c, "x", 1, 0));
	ASSERT_EQ(1, recv(a, &b, 1, 0));
	tern_msleep(300);	/* the delayed ACK goes by */
	ASSERT_EQ(1, fz_sock_read(lport, cport, &ss));

	fz_target_from(&t, cport, lport, &ss);
	memset(&s, 0, sizeof(s));
	s.t = &t;
	s.sport = cport;
	s.dport = lport;
	s.doff = TERN_HDR_WORDS;
	s.flags = TERN_FLAG_ACK;
	s.version = TERN_VERSION;
	s.seq = ss.rcv_nxt;
	s.ack = ss.una;
	s.window = 65536;
	s.payload = 100;
	s.csum = FZ_CSUM_GOOD;
	s.trunc = SIZE_MAX;
	EMIT(&s);
	tern_msleep(200);
	out = ct_counter("TernOutSegs");
	drops = ct_counter("TernInWinDrops");
	tern_msleep(1000);
	out = ct_counter("TernOutSegs") - out;
	drops = ct_counter("TernInWinDrops") - drops;
	EXPECT_GE(50, out) {
		TH_LOG("%lld segments sent in 1 s (%lld dropped as out of window) by a connection at rest after one forged data segment: its ends ACK each other in a loop",
		       out, drops);
	}
	fz_abort_close(c);
	fz_abort_close(a);
	close(l);
	fz_all_gone(_metadata, z);
}

TEST_HARNESS_MAIN
