// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: module registration.
 *
 * Tern owns IP protocol 253 (RFC 3692 experimental) for IPv4 and IPv6 and
 * offers it through socket(AF_INET or AF_INET6, SOCK_STREAM or
 * SOCK_SEQPACKET, IPPROTO_TERN). Exit undoes init step by step in reverse.
 */

#include <linux/module.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/protocol.h>
#include <net/net_namespace.h>

#include "tern.h"

unsigned int tern_net_id __read_mostly;

static int __net_init tern_net_init(struct net *net)
{
	struct tern_net *tn = tern_pernet(net);
	int err;

	err = tern_sysctl_net_init(net);
	if (err)
		return err;
	err = tern_proc_net_init(net);
	if (err)
		goto err_proc;
	err = inet_ctl_sock_create(&tn->ctl_sk, PF_INET, SOCK_RAW,
				   IPPROTO_TERN, net);
	if (err)
		goto err_ctl;
#if IS_ENABLED(CONFIG_IPV6)
	if (ipv6_mod_enabled()) {
		err = inet_ctl_sock_create(&tn->ctl_sk6, PF_INET6, SOCK_RAW,
					   IPPROTO_TERN, net);
		if (err)
			goto err_ctl6;
	}
#endif
	return 0;

#if IS_ENABLED(CONFIG_IPV6)
err_ctl6:
	inet_ctl_sock_destroy(tn->ctl_sk);
#endif
err_ctl:
	tern_proc_net_exit(net);
err_proc:
	tern_sysctl_net_exit(net);
	return err;
}

static void __net_exit tern_net_exit(struct net *net)
{
	struct tern_net *tn = tern_pernet(net);

	/* no TIME_WAIT begins once the purge may have passed its port */
	WRITE_ONCE(tn->dying, true);
	tern_net_purge(net);	/* first: its sockets count and send here */
#if IS_ENABLED(CONFIG_IPV6)
	if (tn->ctl_sk6)
		inet_ctl_sock_destroy(tn->ctl_sk6);
#endif
	inet_ctl_sock_destroy(tn->ctl_sk);
	tern_proc_net_exit(net);
	tern_sysctl_net_exit(net);
}

static struct pernet_operations tern_net_ops = {
	.init	= tern_net_init,
	.exit	= tern_net_exit,
	.id	= &tern_net_id,
	.size	= sizeof(struct tern_net),
};

static struct inet_protosw tern_protosw[] = {
	{
		.type		= SOCK_STREAM,
		.protocol	= IPPROTO_TERN,
		.prot		= &tern_prot,
		.ops		= &tern_inet_ops,
		.flags		= INET_PROTOSW_ICSK,
	},
	{
		.type		= SOCK_SEQPACKET,
		.protocol	= IPPROTO_TERN,
		.prot		= &tern_prot,
		.ops		= &tern_inet_ops,
		.flags		= INET_PROTOSW_ICSK,
	},
};

static const struct net_protocol tern_protocol = {
	.handler	= tern_rcv,
	.err_handler	= tern_v4_err,
	.no_policy	= 1,
};

static void tern_unregister_protosw(struct inet_protosw *sw, int n)
{
	while (n--)
		inet_unregister_protosw(&sw[n]);
}

#if IS_ENABLED(CONFIG_IPV6)
static struct inet_protosw tern6_protosw[] = {
	{
		.type		= SOCK_STREAM,
		.protocol	= IPPROTO_TERN,
		.prot		= &tern6_prot,
		.ops		= &tern_inet6_ops,
		.flags		= INET_PROTOSW_ICSK,
	},
	{
		.type		= SOCK_SEQPACKET,
		.protocol	= IPPROTO_TERN,
		.prot		= &tern6_prot,
		.ops		= &tern_inet6_ops,
		.flags		= INET_PROTOSW_ICSK,
	},
};

static const struct inet6_protocol tern6_protocol = {
	.handler	= tern_rcv,
	.err_handler	= tern_v6_err,
	.flags		= INET6_PROTO_NOPOLICY | INET6_PROTO_FINAL,
};

static void tern6_unregister_protosw(struct inet_protosw *sw, int n)
{
	while (n--)
		inet6_unregister_protosw(&sw[n]);
}

/* The IPv6 half, skipped as a whole when IPv6 is disabled at boot. */
static bool tern_ipv6;

static int tern6_init(void)
{
	int i, err;

	if (!ipv6_mod_enabled())
		return 0;
	err = proto_register(&tern6_prot, 1);
	if (err)
		return err;
	for (i = 0; i < ARRAY_SIZE(tern6_protosw); i++) {
		err = inet6_register_protosw(&tern6_protosw[i]);
		if (err)
			goto err_protosw;
	}
	err = inet6_add_protocol(&tern6_protocol, IPPROTO_TERN);
	if (err) {
		err = -EBUSY;
		goto err_protosw;
	}
	tern_ipv6 = true;
	return 0;

err_protosw:
	tern6_unregister_protosw(tern6_protosw, i);
	proto_unregister(&tern6_prot);
	return err;
}

static void tern6_exit(void)
{
	if (!tern_ipv6)
		return;
	inet6_del_protocol(&tern6_protocol, IPPROTO_TERN);
	tern6_unregister_protosw(tern6_protosw, ARRAY_SIZE(tern6_protosw));
	proto_unregister(&tern6_prot);
}
#else
static int tern6_init(void)
{
	return 0;
}

static void tern6_exit(void)
{
}
#endif

static int __init tern_init(void)
{
	int i, err;

	BUILD_BUG_ON(sizeof(struct tern_skb_cb) >
		     sizeof_field(struct sk_buff, cb));
	err = tern_hash_init();
	if (err)
		return err;
	err = tern_tw_init();
	if (err)
		goto err_tw;
	tern_cookie_init();
	tern_memory_init();
#if IS_ENABLED(CONFIG_IPV6)
	tern6_prot_build();	/* from tern_prot, before it is registered */
#endif

	err = tern_cong_init();	/* before a namespace names its default */
	if (err)
		goto err_cong;
	err = tern_offload_init();	/* before a socket can send a burst */
	if (err)
		goto err_offload;
	err = tern_tsq_init();
	if (err)
		goto err_tsq;
	err = proto_register(&tern_prot, 1);
	if (err)
		goto err_proto;
	err = register_pernet_subsys(&tern_net_ops);
	if (err)
		goto err_pernet;
	for (i = 0; i < ARRAY_SIZE(tern_protosw); i++)
		inet_register_protosw(&tern_protosw[i]);
	if (inet_add_protocol(&tern_protocol, IPPROTO_TERN)) {
		pr_err("tern: IP protocol %d is taken\n", IPPROTO_TERN);
		err = -EBUSY;
		goto err_protocol;
	}
	err = tern6_init();
	if (err)
		goto err_ipv6;
	err = tern_diag_init();
	if (err)
		goto err_diag;
	return 0;

err_diag:
	tern6_exit();
err_ipv6:
	inet_del_protocol(&tern_protocol, IPPROTO_TERN);
err_protocol:
	tern_unregister_protosw(tern_protosw, ARRAY_SIZE(tern_protosw));
	unregister_pernet_subsys(&tern_net_ops);
err_pernet:
	proto_unregister(&tern_prot);
err_proto:
	tern_tsq_exit();
err_tsq:
	tern_offload_exit();
err_offload:
	tern_cong_exit();
err_cong:
	tern_tw_exit();
err_tw:
	tern_hash_exit();
	return err;
}

static void __exit tern_exit(void)
{
	tern_diag_exit();
	tern6_exit();
	inet_del_protocol(&tern_protocol, IPPROTO_TERN);
	tern_unregister_protosw(tern_protosw, ARRAY_SIZE(tern_protosw));
	unregister_pernet_subsys(&tern_net_ops);
	proto_unregister(&tern_prot);
	tern_tsq_exit();
	tern_offload_exit();
	tern_cong_exit();
	tern_tw_exit();
	tern_hash_exit();
}

module_init(tern_init);
module_exit(tern_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Tern: reliable ordered transport over IP protocol 253");
MODULE_AUTHOR("The Tern developers");
/* socket(PF_INET{,6}, SOCK_STREAM (1) or SOCK_SEQPACKET (5), 253) */
MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_INET, IPPROTO_TERN, 1);
MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_INET, IPPROTO_TERN, 5);
MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_INET6, IPPROTO_TERN, 1);
MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_INET6, IPPROTO_TERN, 5);
