// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: per-namespace counters and /proc/net/tern/.
 *
 * /proc/net/tern/snmp has one "Name value" line per counter, the layout of
 * /proc/net/snmp6 and /proc/net/sctp/snmp, so nstat reads it:
 *   PROC_NET_SNMP6=/proc/net/tern/snmp nstat -a
 * /proc/net/tern/sockstat is the TCP line of /proc/net/sockstat.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/ip.h>
#include <net/net_namespace.h>

#include "tern.h"

static const char *tern_state_name(int state)
{
	static const char * const names[] = {
		[TCP_ESTABLISHED] = "ESTAB", [TCP_SYN_SENT] = "SYN-SENT",
		[TCP_SYN_RECV] = "SYN-RECV", [TCP_FIN_WAIT1] = "FIN-WAIT-1",
		[TCP_FIN_WAIT2] = "FIN-WAIT-2", [TCP_TIME_WAIT] = "TIME-WAIT",
		[TCP_CLOSE] = "UNCONN", [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
		[TCP_LAST_ACK] = "LAST-ACK", [TCP_LISTEN] = "LISTEN",
		[TCP_CLOSING] = "CLOSING",
	};

	return state < ARRAY_SIZE(names) && names[state] ? names[state] : "?";
}

static const char * const tern_mib_names[TERN_MIB_MAX] = {
	[TERN_MIB_INSEGS]	= "TernInSegs",
	[TERN_MIB_INHDRERRORS]	= "TernInHdrErrors",
	[TERN_MIB_INCSUMERRORS]	= "TernInCsumErrors",
	[TERN_MIB_INADDRERRORS]	= "TernInAddrErrors",
	[TERN_MIB_INNOSOCKET]	= "TernInNoSocket",
	[TERN_MIB_OUTSEGS]	= "TernOutSegs",
	[TERN_MIB_RETRANSSEGS]	= "TernRetransSegs",
	[TERN_MIB_OUTRSTS]	= "TernOutRsts",
	[TERN_MIB_INRSTS]	= "TernInRsts",
	[TERN_MIB_ACTIVEOPENS]	= "TernActiveOpens",
	[TERN_MIB_PASSIVEOPENS]	= "TernPassiveOpens",
	[TERN_MIB_ATTEMPTFAILS]	= "TernAttemptFails",
	[TERN_MIB_ESTABRESETS]	= "TernEstabResets",
	[TERN_MIB_COOKIESSENT]	= "TernCookiesSent",
	[TERN_MIB_COOKIESFAILED] = "TernCookiesFailed",
	[TERN_MIB_LISTENOVERFLOWS] = "TernListenOverflows",
	[TERN_MIB_INWINDROPS]	= "TernInWinDrops",
	[TERN_MIB_OFOQUEUE]	= "TernOfoQueue",
	[TERN_MIB_DUPSEGS]	= "TernDupSegs",
	[TERN_MIB_RCVQDROPS]	= "TernRcvQDrops",
	[TERN_MIB_BACKLOGDROPS]	= "TernBacklogDrops",
	[TERN_MIB_RTOS]		= "TernRTOs",
	[TERN_MIB_TLPS]		= "TernTLPs",
	[TERN_MIB_FASTRETRANS]	= "TernFastRetrans",
	[TERN_MIB_TIMEOUTS]	= "TernTimeouts",
	[TERN_MIB_KEEPALIVEPROBES] = "TernKeepAliveProbes",
	[TERN_MIB_ZEROWINPROBES] = "TernZeroWinProbes",
	[TERN_MIB_ICMPERRORS]	= "TernInIcmpErrors",
	[TERN_MIB_OUTOFWINDOWICMPS] = "TernOutOfWindowIcmps",
	[TERN_MIB_FILTERDROPS]	= "TernFilterDrops",
	[TERN_MIB_CHALLENGEACKS] = "TernChallengeAcks",
	[TERN_MIB_ACKSKIPPEDCHALLENGE] = "TernAckSkippedChallenge",
	[TERN_MIB_ACKSKIPPEDSEQ] = "TernAckSkippedSeq",
	[TERN_MIB_SACKRENEGING]	= "TernSackReneging",
	[TERN_MIB_SACKWALKSEGS]	= "TernSackWalkSegs",
	[TERN_MIB_ABORTONMEMORY] = "TernAbortOnMemory",
	[TERN_MIB_TIMEWAITOVERFLOW] = "TernTimeWaitOverflow",
	[TERN_MIB_RCVMSGTOOLONG] = "TernRcvMsgTooLong",
	[TERN_MIB_SYNRETRANS]	= "TernSynRetrans",
	[TERN_MIB_REQQFULLDOCOOKIES] = "TernReqQFullDoCookies",
	[TERN_MIB_REQQFULLDROP]	= "TernReqQFullDrop",
	[TERN_MIB_SYNCOOKIESSENT] = "TernSyncookiesSent",
	[TERN_MIB_SYNCOOKIESRECV] = "TernSyncookiesRecv",
	[TERN_MIB_REQBADACK]	= "TernReqBadAck",
	[TERN_MIB_REQOUTOFWINDOW] = "TernReqOutOfWindow",
	[TERN_MIB_REQTIMEOUTS]	= "TernReqTimeouts",
	[TERN_MIB_PACINGWAITS]	= "TernPacingWaits",
	[TERN_MIB_INCESEGS]	= "TernInCESegs",
	[TERN_MIB_ECNREDUCTIONS] = "TernEcnReductions",
	[TERN_MIB_DSACKSENT]	= "TernDSACKSent",
	[TERN_MIB_DSACKRECV]	= "TernDSACKRecv",
	[TERN_MIB_DSACKUNDO]	= "TernDSACKUndo",
};

static int tern_snmp_seq_show(struct seq_file *seq, void *v)
{
	struct tern_net *tn = tern_pernet(seq_file_single_net(seq));
	int i;

	for (i = 0; i < TERN_MIB_MAX; i++)
		seq_printf(seq, "%-32s\t%lu\n", tern_mib_names[i],
			   snmp_fold_field(tn->mib, i));
	return 0;
}

/* Both ends, from the sock_common a TIME_WAIT has too. */
static void tern_show_addrs(struct seq_file *seq, const struct sock *sk)
{
	if (sk->sk_family == AF_INET6)
		seq_printf(seq, "[%pI6c]:%u [%pI6c]:%u", &sk->sk_v6_rcv_saddr,
			   sk->sk_num, &sk->sk_v6_daddr, ntohs(sk->sk_dport));
	else
		seq_printf(seq, "%pI4:%u %pI4:%u", &sk->sk_rcv_saddr,
			   sk->sk_num, &sk->sk_daddr, ntohs(sk->sk_dport));
}

/*
 * A TIME_WAIT, in a socket's layout (readers parse both alike): all it
 * sent is acknowledged (una is its snd_nxt, nothing in flight), nothing
 * queued; left= is the time to its end in ms.
 */
static void tern_show_tw(struct seq_file *seq, struct sock *sk)
{
	const struct tern_tw_sock *tw = tern_tw(sk);
	long left = READ_ONCE(tw->tt_timer.expires) - jiffies;

	seq_printf(seq, " TIME-WAIT timer=0 rto=0 retries=0 una=%llu nxt=+0 write=+0 rcv_nxt=%llu snd_wnd=0 cwnd=0 ssthresh=0 ca=0 lost=0 sacked=0 inflight=0 wq=0 rmem=0 rcvbuf=0 ooo=0 ref=%d rcv_wnd=%u left=%u\n",
		   tw->tt_snd_nxt, tw->tt_rcv_nxt,
		   refcount_read(&sk->sk_refcnt) - 1, tw->tt_rcv_wnd,
		   jiffies_to_msecs(max(left, 0L)));
}

/*
 * One line of /proc/net/tern/sockets (hash.c walks the table, holding sk:
 * ref= leaves out the walk's own reference).
 */
void tern_show_sock(struct seq_file *seq, struct sock *sk)
{
	const struct tern_sock *tsk = tern_sk(sk);

	tern_show_addrs(seq, sk);
	if (sk->sk_state == TCP_TIME_WAIT) {
		tern_show_tw(seq, sk);
		return;
	}
	seq_printf(seq, " %s%s timer=%u rto=%u retries=%u una=%llu nxt=+%llu write=+%llu rcv_nxt=%llu snd_wnd=%u cwnd=%u ssthresh=%u ca=%u lost=%u sacked=%u inflight=%u wq=%d rmem=%d rcvbuf=%d ooo=%u ref=%d\n",
		   tern_state_name(sk->sk_state),
		   sock_flag(sk, SOCK_DEAD) ? "(orphan)" : "",
		   tsk->timer_kind, jiffies_to_msecs(inet_csk(sk)->icsk_rto),
		   tsk->retries, tsk->snd_una, tsk->snd_nxt - tsk->snd_una,
		   tsk->write_seq - tsk->snd_una, tsk->rcv_nxt, tsk->snd_wnd,
		   tsk->cwnd, tsk->ssthresh, tsk->ca_state, tsk->lost_out,
		   tsk->sacked_out, tern_in_flight(tsk), sk->sk_wmem_queued,
		   atomic_read(&sk->sk_rmem_alloc), sk->sk_rcvbuf, tsk->ooo_len,
		   refcount_read(&sk->sk_refcnt) - 1);
}

/* As TCP's line of /proc/net/sockstat: TIME_WAIT costs no socket. */
static int tern_sockstat_seq_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);
	int inuse = sock_prot_inuse_get(net, &tern_prot);

#if IS_ENABLED(CONFIG_IPV6)
	inuse += sock_prot_inuse_get(net, &tern6_prot);
#endif
	seq_printf(seq, "TERN: inuse %d orphan %u tw %d\n", inuse,
		   tern_orphans(), atomic_read(&tern_pernet(net)->tw_count));
	return 0;
}

static int tern_sockets_seq_show(struct seq_file *seq, void *v)
{
	seq_puts(seq, "local remote state details\n");
	tern_show_bound(seq, seq_file_single_net(seq));
	return 0;
}

int tern_proc_net_init(struct net *net)
{
	struct tern_net *tn = tern_pernet(net);

	tn->mib = alloc_percpu(struct tern_mib);
	if (!tn->mib)
		return -ENOMEM;
	tn->proc_dir = proc_net_mkdir(net, "tern", net->proc_net);
	if (!tn->proc_dir)
		goto err_mkdir;
	if (!proc_create_net_single("snmp", 0444, tn->proc_dir,
				    tern_snmp_seq_show, NULL) ||
	    !proc_create_net_single("sockets", 0444, tn->proc_dir,
				    tern_sockets_seq_show, NULL) ||
	    !proc_create_net_single("sockstat", 0444, tn->proc_dir,
				    tern_sockstat_seq_show, NULL))
		goto err_snmp;
	return 0;

err_snmp:
	/* whichever file was made is in it: the directory is not empty */
	remove_proc_subtree("tern", net->proc_net);
err_mkdir:
	free_percpu(tn->mib);
	return -ENOMEM;
}

void tern_proc_net_exit(struct net *net)
{
	struct tern_net *tn = tern_pernet(net);

	remove_proc_subtree("tern", net->proc_net);
	free_percpu(tn->mib);
}
