// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: per-namespace counters and /proc/net/tern/.
 *
 * /proc/net/tern/snmp has one "Name value" line per counter, the layout of
 * /proc/net/snmp6 and /proc/net/sctp/snmp, so nstat reads it:
 *   PROC_NET_SNMP6=/proc/net/tern/snmp nstat -a
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
	[TERN_MIB_ABORTONMEMORY] = "TernAbortOnMemory",
	[TERN_MIB_TIMEWAITOVERFLOW] = "TernTimeWaitOverflow",
	[TERN_MIB_SYNRETRANS]	= "TernSynRetrans",
	[TERN_MIB_REQQFULLDOCOOKIES] = "TernReqQFullDoCookies",
	[TERN_MIB_REQQFULLDROP]	= "TernReqQFullDrop",
	[TERN_MIB_SYNCOOKIESSENT] = "TernSyncookiesSent",
	[TERN_MIB_SYNCOOKIESRECV] = "TernSyncookiesRecv",
	[TERN_MIB_REQBADACK]	= "TernReqBadAck",
	[TERN_MIB_REQOUTOFWINDOW] = "TernReqOutOfWindow",
	[TERN_MIB_REQTIMEOUTS]	= "TernReqTimeouts",
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

/*
 * One line of /proc/net/tern/sockets (hash.c walks the table, holding sk:
 * ref= leaves out the walk's own reference).
 */
void tern_show_sock(struct seq_file *seq, struct sock *sk)
{	const struct tern_sock *tsk = tern_sk(sk);
	const struct inet_sock *inet = inet_sk(sk);

	if (sk->sk_family == AF_INET6)
		seq_printf(seq, "[%pI6c]:%u [%pI6c]:%u", &sk->sk_v6_rcv_saddr,
			   inet->inet_num, &sk->sk_v6_daddr,
			   ntohs(inet->inet_dport));
	else
		seq_printf(seq, "%pI4:%u %pI4:%u", &inet->inet_rcv_saddr,
			   inet->inet_num, &inet->inet_daddr,
			   ntohs(inet->inet_dport));
	seq_printf(seq, " %s%s timer=%u rto=%u retries=%u una=%llu nxt=+%llu write=+%llu rcv_nxt=%llu snd_wnd=%u cwnd=%u ssthresh=%u ca=%u lost=%u sacked=%u inflight=%u wq=%d rmem=%d rcvbuf=%d ooo=%u ref=%d\n",
		   tsk->tw ? "TIME-WAIT" : tern_state_name(sk->sk_state),
		   sock_flag(sk, SOCK_DEAD) ? "(orphan)" : "",
		   tsk->timer_kind, jiffies_to_msecs(inet_csk(sk)->icsk_rto),
		   tsk->retries, tsk->snd_una, tsk->snd_nxt - tsk->snd_una,
		   tsk->write_seq - tsk->snd_una, tsk->rcv_nxt, tsk->snd_wnd,
		   tsk->cwnd, tsk->ssthresh, tsk->ca_state, tsk->lost_out,
		   tsk->sacked_out, tern_in_flight(tsk), sk->sk_wmem_queued,
		   atomic_read(&sk->sk_rmem_alloc), sk->sk_rcvbuf, tsk->ooo_len,
		   refcount_read(&sk->sk_refcnt) - 1);
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
				    tern_sockets_seq_show, NULL))
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
