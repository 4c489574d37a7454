// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: socket options (SOL_TERN), ioctls and SO_RCVLOWAT.
 */

#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/sock.h>

#include "tern.h"

int tern_ioctl_val(struct sock *sk, int cmd, int *karg)
{
	struct tern_sock *tsk = tern_sk(sk);

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		*karg = tern_inq(sk);
		release_sock(sk);
		return 0;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			*karg = 0;	/* the SYN is no data */
		else if (cmd == SIOCOUTQ)
			*karg = READ_ONCE(tsk->write_seq) -
				READ_ONCE(tsk->snd_una);
		else
			*karg = READ_ONCE(tsk->write_seq) -
				READ_ONCE(tsk->snd_nxt);
		return 0;
	}
	return -ENOIOCTLCMD;
}

static int tern_setsockopt_int(struct sock *sk, int optname, int val)
{
	struct tern_sock *tsk = tern_sk(sk);

	switch (optname) {
	case TERN_NODELAY:
		tsk->nodelay = !!val;
		if (val)
			tern_push(sk);
		return 0;
	case TERN_MAXSEG:
		if (val && (val < TERN_MIN_MSS || val > TERN_MAX_MAXSEG))
			return -EINVAL;
		tsk->max_seg = val;
		return 0;
	case TERN_KEEPIDLE:
		if (val < 1 || val > TERN_MAX_KEEPIDLE)
			return -EINVAL;
		tsk->keepalive_time = val * HZ;
		if (sock_flag(sk, SOCK_KEEPOPEN))
			tern_set_keepalive(sk, 1);
		return 0;
	case TERN_KEEPINTVL:
		if (val < 1 || val > TERN_MAX_KEEPINTVL)
			return -EINVAL;
		tsk->keepalive_intvl = val * HZ;
		return 0;
	case TERN_KEEPCNT:
		if (val < 1 || val > TERN_MAX_KEEPCNT)
			return -EINVAL;
		tsk->keepalive_probes = val;
		return 0;
	case TERN_SYNCNT:
		if (val < 1 || val > TERN_MAX_SYNCNT)
			return -EINVAL;
		tsk->syn_retries = val;
		return 0;
	case TERN_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		tsk->user_timeout = val;
		return 0;
	}
	return -ENOPROTOOPT;
}

/*
 * TERN_CONGESTION, as TCP_CONGESTION: a name of up to TERN_CA_NAME_MAX - 1
 * bytes, the rest ignored; EINVAL for an empty optval, ENOENT for a name
 * no algorithm has.
 */
static int tern_setsockopt_cong(struct sock *sk, sockptr_t optval,
				unsigned int optlen)
{
	char name[TERN_CA_NAME_MAX];
	long len;
	int err;

	if (optlen < 1)
		return -EINVAL;
	len = strncpy_from_sockptr(name, optval,
				   min_t(long, TERN_CA_NAME_MAX - 1, optlen));
	if (len < 0)
		return -EFAULT;
	name[len] = '\0';
	lock_sock(sk);
	err = tern_cong_set(sk, name);
	release_sock(sk);
	return err;
}

int tern_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	int val, err;

	if (level != SOL_TERN)
		return inet_csk(sk)->icsk_af_ops->setsockopt(sk, level, optname,
							     optval, optlen);
	if (optname == TERN_CONGESTION)
		return tern_setsockopt_cong(sk, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;	/* TCP checks the length first, too */
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	err = tern_setsockopt_int(sk, optname, val);
	release_sock(sk);
	return err;
}

/* TERN_INFO: as much of struct tern_info as the caller has room for. */
static int tern_getsockopt_info(struct sock *sk, char __user *optval,
				int __user *optlen, int len)
{
	struct tern_info info;

	tern_get_info(sk, &info);
	len = min_t(unsigned int, len, sizeof(info));
	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

/* TERN_CONGESTION: the name, NUL-padded, as much as the caller has room for. */
static int tern_getsockopt_cong(struct sock *sk, char __user *optval,
				int __user *optlen, int len)
{
	char name[TERN_CA_NAME_MAX];

	lock_sock(sk);	/* the algorithm may be changing */
	memcpy(name, tern_sk(sk)->ca_ops->name, sizeof(name));
	release_sock(sk);
	len = min_t(unsigned int, len, sizeof(name));
	if (put_user(len, optlen) || copy_to_user(optval, name, len))
		return -EFAULT;
	return 0;
}

int tern_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct tern_sock *tsk = tern_sk(sk);
	struct tern_net *tn = tern_pernet(sock_net(sk));
	int len, val;

	if (level != SOL_TERN)
		return inet_csk(sk)->icsk_af_ops->getsockopt(sk, level, optname,
							     optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (optname == TERN_INFO)
		return tern_getsockopt_info(sk, optval, optlen, len);
	if (optname == TERN_CONGESTION)
		return tern_getsockopt_cong(sk, optval, optlen, len);
	switch (optname) {
	case TERN_NODELAY:
		val = tsk->nodelay;
		break;
	case TERN_MAXSEG:
		val = tsk->max_seg ? : tsk->mss_cache;
		break;
	case TERN_KEEPIDLE:
		val = (tsk->keepalive_time ? :
		       tn->keepalive_time_s * HZ) / HZ;
		break;
	case TERN_KEEPINTVL:
		val = (tsk->keepalive_intvl ? :
		       tn->keepalive_intvl_s * HZ) / HZ;
		break;
	case TERN_KEEPCNT:
		val = tsk->keepalive_probes ? : tn->keepalive_probes;
		break;
	case TERN_SYNCNT:
		val = tsk->syn_retries ? : tn->syn_retries;
		break;
	case TERN_USER_TIMEOUT:
		val = tsk->user_timeout;
		break;
	default:
		return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/* SO_RCVLOWAT: proto_ops.set_rcvlowat */
int tern_set_rcvlowat(struct sock *sk, int val)
{
	WRITE_ONCE(sk->sk_rcvlowat, val ? : 1);
	return 0;
}
