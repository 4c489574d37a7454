// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: socket operations, struct proto and struct proto_ops for IPv4 and
 * IPv6.
 *
 * Operations that need a connection (connect, listen, accept, sendmsg,
 * recvmsg) answer EOPNOTSUPP until the connection machinery lands; every
 * other operation behaves as it does on a TCP socket that is not
 * connected.
 */

#include <linux/poll.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/transp_v6.h>

#include "tern.h"

/*
 * Payload per segment for a path MTU: what is left after the network
 * header, its extensions and ours. IP and IPv6 socket options call this
 * when the extension headers change.
 */
static unsigned int tern_sync_mss(struct sock *sk, u32 pmtu)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int mss;

	mss = pmtu - icsk->icsk_af_ops->net_header_len -
	      icsk->icsk_ext_hdr_len - sizeof(struct ternhdr);
	mss = max(mss, 64);
	icsk->icsk_pmtu_cookie = pmtu;
	tern_sk(sk)->mss_cache = mss;
	return mss;
}

static const struct inet_connection_sock_af_ops tern_ipv4_af_ops = {
	.setsockopt	= ip_setsockopt,
	.getsockopt	= ip_getsockopt,
	.net_header_len	= sizeof(struct iphdr),
	.sockaddr_len	= sizeof(struct sockaddr_in),
};

static void tern_init_common(struct sock *sk)
{
	inet_csk(sk)->icsk_sync_mss = tern_sync_mss;
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
}

static int tern_v4_init_sock(struct sock *sk)
{
	inet_csk(sk)->icsk_af_ops = &tern_ipv4_af_ops;
	tern_init_common(sk);
	return 0;
}

static void tern_destroy_sock(struct sock *sk)
{
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
}

static void tern_unhash(struct sock *sk)
{
	tern_put_port(sk);
}

static void tern_close(struct sock *sk, long timeout)
{
	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	inet_sk_set_state(sk, TCP_CLOSE);
	release_sock(sk);
	sk_common_release(sk);
}

static int tern_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	if (level != SOL_TERN)
		return inet_csk(sk)->icsk_af_ops->setsockopt(sk, level, optname,
							     optval, optlen);
	return -ENOPROTOOPT;
}

static int tern_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	int len;

	if (level != SOL_TERN)
		return inet_csk(sk)->icsk_af_ops->getsockopt(sk, level, optname,
							     optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	return -ENOPROTOOPT;
}

/* The readiness a TCP socket in the same state reports. */
static __poll_t tern_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	u8 shutdown;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || inet_sk_state_load(sk) == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if ((shutdown & SEND_SHUTDOWN) || __sk_stream_is_writeable(sk, 1))
		mask |= EPOLLOUT | EPOLLWRNORM;	/* a writer learns EPIPE */
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

/* Queue sizes, as TCP reports them: nothing queued without a connection. */
int tern_ioctl_val(struct sock *sk, int cmd, int *karg)
{
	switch (cmd) {
	case SIOCINQ:
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		*karg = 0;
		return 0;
	}
	return -ENOIOCTLCMD;
}

struct proto tern_prot = {
	.name		= "TERN",
	.owner		= THIS_MODULE,
	.close		= tern_close,
	.ioctl		= tern_ioctl,
	.init		= tern_v4_init_sock,
	.destroy	= tern_destroy_sock,
	.setsockopt	= tern_setsockopt,
	.getsockopt	= tern_getsockopt,
	.unhash		= tern_unhash,
	.get_port	= tern_get_port,
	.put_port	= tern_put_port,
	.obj_size	= sizeof(struct tern_sock),
};

const struct proto_ops tern_inet_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= inet_getname,
	.poll		= tern_poll,
	.ioctl		= inet_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
};

#if IS_ENABLED(CONFIG_IPV6)
static const struct inet_connection_sock_af_ops tern_ipv6_af_ops = {
	.setsockopt	= ipv6_setsockopt,
	.getsockopt	= ipv6_getsockopt,
	.net_header_len	= sizeof(struct ipv6hdr),
	.sockaddr_len	= sizeof(struct sockaddr_in6),
};

static int tern_v6_init_sock(struct sock *sk)
{
	inet_csk(sk)->icsk_af_ops = &tern_ipv6_af_ops;
	tern_init_common(sk);
	return 0;
}

struct proto tern6_prot = {
	.name		= "TERNv6",
	.owner		= THIS_MODULE,
	.close		= tern_close,
	.ioctl		= tern_ioctl,
	.init		= tern_v6_init_sock,
	.destroy	= tern_destroy_sock,
	.setsockopt	= tern_setsockopt,
	.getsockopt	= tern_getsockopt,
	.unhash		= tern_unhash,
	.get_port	= tern_get_port,
	.put_port	= tern_put_port,
	.obj_size	= sizeof(struct tern6_sock),
};

const struct proto_ops tern_inet6_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= inet6_getname,
	.poll		= tern_poll,
	.ioctl		= inet6_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
};
#endif
