// SPDX-License-Identifier: GPL-2.0
/*
 * Tern selftests for module/main.c: loading, registration of both halves
 * (TERN and TERNv6 in /proc/net/protocols), unloading, autoloading through
 * socket(), and the module pinned by open sockets.
 *
 * Needs $TERN_KO, and tern installed where modprobe finds it (run.sh does
 * both). Every test leaves tern unloaded.
 */
#include <sys/wait.h>

#include "tern_test.h"
#include "kselftest_harness.h"

/* Tern unloaded and fully gone, or the test fails here. */
static void assert_unloaded(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, tern_ensure_unloaded());
	ASSERT_EQ(0, tern_module_loaded());
	ASSERT_EQ(-ENOENT, tern_proto_inuse("TERN"));
	ASSERT_EQ(-ENOENT, tern_proto_inuse("TERNv6"));
	ASSERT_FALSE(tern_path_exists(TERN_SYSFS_DIR));
	ASSERT_FALSE(tern_path_exists(TERN_SNMP_PATH));
}

/* Tern loaded with both halves registered and nothing in use. */
static void expect_loaded(struct __test_metadata *_metadata)
{
	EXPECT_EQ(1, tern_module_loaded());
	EXPECT_EQ(0, tern_proto_inuse("TERN"));
	EXPECT_EQ(0, tern_proto_inuse("TERNv6"));
	EXPECT_TRUE(tern_path_exists(TERN_SYSFS_DIR));
	EXPECT_TRUE(tern_path_exists(TERN_SNMP_PATH));
	EXPECT_EQ(0, tern_module_refcnt());
}

TEST(load_registers_protocols)
{
	assert_unloaded(_metadata);
	ASSERT_EQ(0, tern_load());
	expect_loaded(_metadata);
	EXPECT_EQ(0, tern_unload());
}

TEST(load_twice_eexist)
{
	int fd;

	assert_unloaded(_metadata);
	ASSERT_EQ(0, tern_load());
	EXPECT_EQ(-EEXIST, tern_load());
	/* the first instance is untouched and works */
	expect_loaded(_metadata);
	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TERN);
	EXPECT_LE(0, fd);
	EXPECT_EQ(1, tern_proto_inuse("TERN"));
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, tern_unload_wait(2000));
}

TEST(unload_removes_protocols)
{
	assert_unloaded(_metadata);
	ASSERT_EQ(0, tern_load());
	ASSERT_EQ(1, tern_module_loaded());
	EXPECT_EQ(0, tern_unload());
	EXPECT_EQ(0, tern_module_loaded());
	EXPECT_EQ(-ENOENT, tern_proto_inuse("TERN"));
	EXPECT_EQ(-ENOENT, tern_proto_inuse("TERNv6"));
	EXPECT_FALSE(tern_path_exists(TERN_SYSFS_DIR));
	EXPECT_FALSE(tern_path_exists("/proc/net/tern"));
	/* unloading what is not loaded */
	EXPECT_EQ(-ENOENT, tern_unload());
}

/* Load and unload again and again: exit must undo init completely. */
TEST(load_unload_cycles)
{
	int i, fd;

	assert_unloaded(_metadata);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, tern_load());
		fd = socket(AF_INET6, SOCK_SEQPACKET, IPPROTO_TERN);
		ASSERT_LE(0, fd);
		close(fd);
		ASSERT_EQ(0, tern_unload_wait(2000));
		ASSERT_EQ(-ENOENT, tern_proto_inuse("TERNv6"));
	}
}

FIXTURE(autoload) {
};

FIXTURE_VARIANT(autoload) {
	int family;
	int type;
	const char *proto;	/* its /proc/net/protocols line */
};

FIXTURE_VARIANT_ADD(autoload, inet_stream) {
	.family = AF_INET, .type = SOCK_STREAM, .proto = "TERN",
};

FIXTURE_VARIANT_ADD(autoload, inet_seqpacket) {
	.family = AF_INET, .type = SOCK_SEQPACKET, .proto = "TERN",
};

FIXTURE_VARIANT_ADD(autoload, inet6_stream) {
	.family = AF_INET6, .type = SOCK_STREAM, .proto = "TERNv6",
};

FIXTURE_VARIANT_ADD(autoload, inet6_seqpacket) {
	.family = AF_INET6, .type = SOCK_SEQPACKET, .proto = "TERNv6",
};

FIXTURE_SETUP(autoload)
{
	assert_unloaded(_metadata);
}

FIXTURE_TEARDOWN(autoload)
{
	EXPECT_EQ(0, tern_ensure_unloaded());
}

/* socket() of an unloaded Tern loads it (net-pf-F-proto-253-type-T). */
TEST_F(autoload, socket_loads_module)
{
	int fd, val;
	socklen_t len = sizeof(val);

	fd = socket(variant->family, variant->type, IPPROTO_TERN);
	ASSERT_LE(0, fd) {
		TH_LOG("socket(%d, %d, 253): %s", variant->family,
		       variant->type, strerror(errno));
	}
	EXPECT_EQ(1, tern_module_loaded());
	EXPECT_EQ(1, tern_proto_inuse(variant->proto));
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &val, &len));
	EXPECT_EQ(IPPROTO_TERN, val);
	close(fd);
	EXPECT_EQ(0, tern_proto_inuse(variant->proto));
	EXPECT_EQ(0, tern_unload_wait(2000));
}

/* Run CMD through the shell; its exit status, its output in out. */
static int run_cmd(const char *cmd, char *out, size_t outlen)
{
	size_t n = 0;
	FILE *p;
	int st;

	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < outlen && fgets(out + n, outlen - n, p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 256;
}

/*
 * Every socket pins the module: delete_module() answers EWOULDBLOCK (the
 * kernel's "in use"), rmmod fails saying so, refcnt counts the sockets;
 * once they are closed the module unloads.
 */
TEST(unload_with_open_sockets)
{
	static const int kinds[][2] = {
		{ AF_INET, SOCK_STREAM }, { AF_INET, SOCK_SEQPACKET },
		{ AF_INET6, SOCK_STREAM }, { AF_INET6, SOCK_SEQPACKET },
	};
	int fds[4], i, n, status;
	long per_socket;
	char out[512];

	assert_unloaded(_metadata);
	ASSERT_EQ(0, tern_load());
	ASSERT_EQ(0, tern_module_refcnt());
	for (n = 0; n < 4; n++) {
		fds[n] = socket(kinds[n][0], kinds[n][1], IPPROTO_TERN);
		ASSERT_LE(0, fds[n]);
	}

	/*
	 * Each socket holds the module twice, like SCTP's or DCCP's: once
	 * for its struct proto (sk_alloc) and once for its proto_ops
	 * (__sock_create). Measure one, then check it scales.
	 */
	per_socket = tern_module_refcnt() / 4;
	EXPECT_EQ(2, per_socket);
	EXPECT_EQ(4 * per_socket, tern_module_refcnt());

	EXPECT_EQ(-EWOULDBLOCK, tern_unload());
	EXPECT_EQ(1, tern_module_loaded());
	EXPECT_EQ(2, tern_proto_inuse("TERN"));
	EXPECT_EQ(2, tern_proto_inuse("TERNv6"));

	status = run_cmd("rmmod tern 2>&1", out, sizeof(out));
	EXPECT_NE(0, status);
	EXPECT_NE(NULL, strstr(out, "in use")) {
		TH_LOG("rmmod said: %s", out);
	}
	EXPECT_EQ(1, tern_module_loaded());

	/* the count follows the sockets down */
	for (i = n - 1; i > 0; i--) {
		close(fds[i]);
		EXPECT_EQ(i * per_socket, tern_module_refcnt());
		EXPECT_EQ(-EWOULDBLOCK, tern_unload());
	}
	close(fds[0]);
	EXPECT_EQ(0, tern_module_refcnt());
	EXPECT_EQ(0, tern_sockets_in_use());
	EXPECT_EQ(0, tern_unload_wait(2000));
	EXPECT_EQ(0, tern_module_loaded());
}

/* A socket in another network namespace pins the module just as well. */
TEST(unload_with_socket_in_other_netns)
{
	int fd;

	assert_unloaded(_metadata);
	ASSERT_EQ(0, tern_load());
	ASSERT_EQ(0, tern_new_netns());
	fd = socket(AF_INET6, SOCK_STREAM, IPPROTO_TERN);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, tern_unload());
	EXPECT_EQ(1, tern_module_loaded());
	close(fd);
	EXPECT_EQ(0, tern_unload_wait(2000));
}

TEST_HARNESS_MAIN
