/* libmini/switchroot.c path resolution and refusals, libmini/module.c list
 * handling: the parts of boot mode that run without being PID 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mini.h"
#include "boot.h"
#include "unit.h"

static char root[64];

static void mkroot(void)
{
	char p[1024];
	strcpy(root, "/tmp/unit-boot.XXXXXX");
	if (!mkdtemp(root))
		SKIP("mkdtemp");
	snprintf(p, sizeof(p), "mkdir -p %s/usr/lib/systemd %s/sbin %s/bin && "
		 "printf x >%s/usr/lib/systemd/systemd && "
		 "ln -s /usr/lib/systemd/systemd %s/sbin/init && "
		 "ln -s ../usr/lib/systemd/systemd %s/bin/rel && "
		 "ln -s /sbin/loop1 %s/sbin/loop2 && ln -s /sbin/loop2 %s/sbin/loop1",
		 root, root, root, root, root, root, root, root);
	ASSERT_EQ(system(p), 0);
}

static void rmroot(void)
{
	char p[128];
	snprintf(p, sizeof(p), "rm -rf %s", root);
	ASSERT_EQ(system(p), 0);
}

TEST(absolute_symlink_stays_inside)
{
	char abs[512], rel[512], want_abs[512], want_rel[512], out[512];
	mkroot();
	/* Resolve everything first: the tree is removed before any ASSERT
	 * can jump out. */
	int ra = path_in_root(root, "/sbin/init", abs, sizeof(abs));
	int rr = path_in_root(root, "/bin/rel", rel, sizeof(rel));
	int rn = path_in_root(root, "/sbin/nope", out, sizeof(out));
	int rl = path_in_root(root, "/sbin/loop1", out, sizeof(out));
	snprintf(want_abs, sizeof(want_abs), "%s/usr/lib/systemd/systemd", root);
	/* Relative links resolve against the link's directory. */
	snprintf(want_rel, sizeof(want_rel), "%s/bin/../usr/lib/systemd/systemd", root);
	rmroot();
	ASSERT_EQ(ra, 0);
	ASSERT_STR(abs, want_abs);
	ASSERT_EQ(rr, 0);
	ASSERT_STR(rel, want_rel);
	ASSERT_EQ(rn, -ENOENT);
	ASSERT_EQ(rl, -ELOOP);
}

TEST(check_refuses_unless_pid1)
{
	struct sroot r;
	memset(&r, 0, sizeof(r));
	r.newroot = "/";
	r.init = "/sbin/init";
	if (getpid() == 1)
		SKIP("running as PID 1");
	ASSERT_EQ(sroot_check(&r), -EPERM);
	ASSERT_STR(r.step, "pid 1");
}

static int calls, last_err;
static void cb(const char *path, int err, uint64_t usec, void *ctx)
{
	calls++;
	last_err = err;
	(void)path;
	(void)usec;
	(void)ctx;
}

TEST(module_list_counts_failures)
{
	char list[] = "/tmp/unit-mods.XXXXXX";
	int fd = mkstemp(list);
	ASSERT(fd >= 0);
	const char *text = "# comment\n\n/nonexistent/a.ko\n/nonexistent/b.ko.xz opt=1\n";
	ASSERT_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	calls = 0;
	ASSERT_EQ(module_load_list(list, cb, NULL), 2);
	ASSERT_EQ(calls, 2);
	ASSERT_EQ(last_err, -ENOENT);
	unlink(list);
	ASSERT_EQ(module_load_list(list, cb, NULL), -ENOENT);
}
