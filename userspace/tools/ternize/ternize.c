// SPDX-License-Identifier: GPL-2.0
/*
 * ternize: run an unmodified TCP program over Tern.
 *
 *	ternize run [-d] CMD [ARGS...]
 *
 * Puts libternize.so in LD_PRELOAD (ahead of what is there) and execs CMD:
 * its TCP stream sockets become Tern sockets (see libternize.c and
 * ternize(8)). The library is TERNIZE_LIB if set, else found beside this
 * binary (the build tree), in ../lib/tern/ from it (an installed tree,
 * wherever DESTDIR put it), or in the LIBDIR it was built for.
 *
 * Exit status: CMD's; 2 for a usage error, 1 when the library is not
 * found, 126 when CMD cannot be run, 127 when it is not found (as env(1)).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TERNIZE_LIBDIR
#define TERNIZE_LIBDIR "/usr/local/lib/tern"
#endif
#define LIBNAME "libternize.so"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ternize run [-d] CMD [ARGS...]\n"
		"  run CMD with its TCP stream sockets turned into Tern sockets\n"
		"  (LD_PRELOAD=" LIBNAME ")\n"
		"  -d  debug: report each socket converted, and a fall back to TCP\n"
		"environment: TERNIZE_LIB (the library), TERNIZE_DEBUG=1 (as -d)\n");
}

/* TERNIZE_DEBUG set, not empty, not 0: as the library reads it */
static int debug_on(void)
{
	const char *e = getenv("TERNIZE_DEBUG");

	return e && *e && strcmp(e, "0");
}

/* an absolute, readable path for candidate, into out; 0 or -1 */
static int usable(const char *candidate, char out[PATH_MAX])
{
	if (!realpath(candidate, out))
		return -1;
	return access(out, R_OK);
}

static int find_lib(char out[PATH_MAX])
{
	static const char *const rel[] = { "/" LIBNAME, "/../lib/tern/" LIBNAME };
	char exe[PATH_MAX], cand[PATH_MAX + 32], *slash;
	const char *env = getenv("TERNIZE_LIB");
	ssize_t n;
	size_t i;

	if (env && *env) {
		if (usable(env, out) == 0)
			return 0;
		fprintf(stderr, "ternize: TERNIZE_LIB=%s: %s\n", env, strerror(errno));
		return -1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(cand, sizeof(cand), "%s%s", exe, rel[i]);
			if (usable(cand, out) == 0)
				return 0;
		}
	}
	if (usable(TERNIZE_LIBDIR "/" LIBNAME, out) == 0)
		return 0;
	fprintf(stderr, "ternize: cannot find %s beside the ternize binary, in ../lib/tern/ or in %s (set TERNIZE_LIB)\n",
		LIBNAME, TERNIZE_LIBDIR);
	return -1;
}

/* LD_PRELOAD=lib[:what was there], unless lib is there already */
static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *val;
	int ret;

	/* the dynamic loader splits LD_PRELOAD at spaces and colons */
	if (strpbrk(lib, ": \t")) {
		fprintf(stderr, "ternize: %s: a space or colon in the path cannot go in LD_PRELOAD\n",
			lib);
		return -1;
	}
	if (!old || !*old)
		return setenv("LD_PRELOAD", lib, 1);
	if (strstr(old, lib))
		return 0;
	if (asprintf(&val, "%s:%s", lib, old) < 0)
		return -1;
	ret = setenv("LD_PRELOAD", val, 1);
	free(val);
	return ret;
}

int main(int argc, char **argv)
{
	char lib[PATH_MAX];
	int i = 2;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "run")) {
		usage(stderr);
		return 2;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-d")) {
			fprintf(stderr, "ternize: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
		if (setenv("TERNIZE_DEBUG", "1", 1))
			return 1;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (find_lib(lib) || set_preload(lib)) {
		if (errno == ENOMEM)
			perror("ternize");
		return 1;
	}
	if (debug_on())
		fprintf(stderr, "ternize: LD_PRELOAD=%s %s\n", getenv("LD_PRELOAD"), argv[i]);
	execvp(argv[i], argv + i);
	fprintf(stderr, "ternize: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
