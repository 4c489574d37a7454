// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: per-namespace sysctls, net.tern.*. Defaults are TCP's.
 */

#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "tern.h"

static int tern_one = 1;
static int tern_two = 2;
static int tern_max_syncnt = TERN_MAX_SYNCNT;
static int tern_max_retries = 255;
static int tern_max_ms = 3600 * 1000;
static int tern_max_keepidle = TERN_MAX_KEEPIDLE;
static int tern_max_keepcnt = TERN_MAX_KEEPCNT;
static int tern_int_max = INT_MAX;
static int tern_min_mss = TERN_MIN_MSS;
static int tern_max_seg = TERN_MAX_SEG;

#define TERN_SYSCTL(_name, _field, _min, _max)			\
	{							\
		.procname	= _name,			\
		.data		= &init_tern_net._field,	\
		.maxlen		= sizeof(int),			\
		.mode		= 0644,				\
		.proc_handler	= proc_dointvec_minmax,		\
		.extra1		= _min,				\
		.extra2		= _max,				\
	}

/* Only for offsets: each namespace points .data into its own tern_net. */
static struct tern_net init_tern_net;

static struct ctl_table tern_sysctl_table[] = {
	TERN_SYSCTL("syn_retries", syn_retries, &tern_one, &tern_max_syncnt),
	TERN_SYSCTL("retries", retries, &tern_one, &tern_max_retries),
	TERN_SYSCTL("fin_timeout_ms", fin_timeout_ms, &tern_one, &tern_max_ms),
	TERN_SYSCTL("tw_timeout_ms", tw_timeout_ms, &tern_one, &tern_max_ms),
	TERN_SYSCTL("keepalive_time", keepalive_time_s, &tern_one,
		    &tern_max_keepidle),
	TERN_SYSCTL("keepalive_intvl", keepalive_intvl_s, &tern_one,
		    &tern_max_keepidle),
	TERN_SYSCTL("keepalive_probes", keepalive_probes, &tern_one,
		    &tern_max_keepcnt),
	TERN_SYSCTL("rto_min_ms", rto_min_ms, &tern_one, &tern_max_ms),
	TERN_SYSCTL("challenge_ack_limit", challenge_ack_limit, &tern_one,
		    &tern_int_max),
	TERN_SYSCTL("invalid_ratelimit_ms", invalid_ratelimit_ms, SYSCTL_ZERO,
		    &tern_max_ms),
	TERN_SYSCTL("max_orphans", max_orphans, SYSCTL_ZERO, &tern_int_max),
	TERN_SYSCTL("min_snd_mss", min_snd_mss, &tern_min_mss, &tern_max_seg),
	TERN_SYSCTL("max_tw_buckets", max_tw_buckets, SYSCTL_ZERO,
		    &tern_int_max),
	TERN_SYSCTL("synack_retries", synack_retries, &tern_one,
		    &tern_max_syncnt),
	TERN_SYSCTL("max_syn_backlog", max_syn_backlog, &tern_one,
		    &tern_int_max),
	TERN_SYSCTL("syncookies", syncookies, SYSCTL_ZERO, &tern_two),
	TERN_SYSCTL("ecn", ecn, SYSCTL_ZERO, &tern_two),
	{
		.procname	= "congestion_control",
		.data		= &init_tern_net.cong_default,
		.maxlen		= TERN_CA_NAME_MAX,
		.mode		= 0644,
		.proc_handler	= tern_proc_cong,
	},
	{
		.procname	= "available_congestion_control",
		.data		= &init_tern_net.cong_default,	/* unused */
		.maxlen		= TERN_CA_BUF_MAX,
		.mode		= 0444,
		.proc_handler	= tern_proc_cong_avail,
	},
	TERN_SYSCTL_END
};

/*
 * net.tern.congestion_control (proc_tcp_congestion_control): the
 * namespace's default by name; an unknown one is ENOENT.
 */
int tern_proc_congestion(void *data, int write, void *buffer, size_t *lenp,
			 loff_t *ppos)
{
	struct tern_net *tn = container_of(data, struct tern_net, cong_default);
	char val[TERN_CA_NAME_MAX];
	struct ctl_table tbl = {
		.data	= val,
		.maxlen	= TERN_CA_NAME_MAX,
	};
	int err;

	tern_cong_get_default(tn, val);
	err = proc_dostring(&tbl, write, buffer, lenp, ppos);
	if (write && !err)
		err = tern_cong_set_default(tn, val);
	return err;
}

/* net.tern.available_congestion_control: read only, space-separated. */
int tern_proc_available(int write, void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ctl_table tbl = { .maxlen = TERN_CA_BUF_MAX };
	int err;

	tbl.data = kmalloc(tbl.maxlen, GFP_USER);
	if (!tbl.data)
		return -ENOMEM;
	tern_cong_available(tbl.data, TERN_CA_BUF_MAX);
	err = proc_dostring(&tbl, write, buffer, lenp, ppos);
	kfree(tbl.data);
	return err;
}

int tern_sysctl_net_init(struct net *net)
{
	struct tern_net *tn = tern_pernet(net);
	struct ctl_table *table;
	int i;

	tn->syn_retries = 6;
	tn->retries = 15;
	tn->fin_timeout_ms = 60 * 1000;
	tn->tw_timeout_ms = 60 * 1000;
	tn->keepalive_time_s = 2 * 60 * 60;
	tn->keepalive_intvl_s = 75;
	tn->keepalive_probes = 9;
	tn->rto_min_ms = 200;
	tn->challenge_ack_limit = 1000;
	tn->invalid_ratelimit_ms = 500;	/* TCP's tcp_invalid_ratelimit */
	tn->max_orphans = 16384;
	tn->min_snd_mss = TERN_DEFAULT_MSS;	/* IPv4's 576-byte datagram */
	tn->max_tw_buckets = 16384;
	tn->synack_retries = 5;		/* tcp_synack_retries */
	tn->max_syn_backlog = 4096;	/* tcp_max_syn_backlog's floor */
	tn->syncookies = 1;		/* cookies when the queue is full */
	tn->ecn = 2;			/* ECN when the client asks */
	atomic_set(&tn->tw_count, 0);
	tern_cong_net_init(tn);

	table = kmemdup(tern_sysctl_table, sizeof(tern_sysctl_table),
			GFP_KERNEL);
	if (!table)
		goto err_table;
	for (i = 0; i < TERN_SYSCTL_COUNT(tern_sysctl_table); i++)
		table[i].data = (char *)tn + ((char *)tern_sysctl_table[i].data -
					      (char *)&init_tern_net);
	tn->sysctl_hdr = tern_register_net_sysctl(net, "net/tern", table,
						  TERN_SYSCTL_COUNT(tern_sysctl_table));
	if (!tn->sysctl_hdr)
		goto err_register;
	return 0;

err_register:
	kfree(table);
err_table:
	tern_cong_net_exit(tn);
	return -ENOMEM;
}

void tern_sysctl_net_exit(struct net *net)
{
	struct tern_net *tn = tern_pernet(net);
	const struct ctl_table *table = tn->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(tn->sysctl_hdr);
	kfree(table);
	tern_cong_net_exit(tn);
}
