/* dir.c: path_real() agrees with the C library's realpath() on a tree of
 * symlinks: relative and absolute targets, "..", loops, missing parts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mini.h"
#include "unit.h"

static char top[PATH_MAX];

/* top/d/e, top/f (a file), links: abs -> top/d, rel -> d/e, up -> ../,
 * chain -> rel, loop -> loop, dangling -> nowhere, d/back -> .. */
static void tree(void)
{
	char t[] = "/tmp/loopbox-dir.XXXXXX";
	ASSERT(mkdtemp(t));
	ASSERT(realpath(t, top));
	ASSERT_EQ(chdir(top), 0);
	char abs[PATH_MAX + 8];
	snprintf(abs, sizeof(abs), "%s/d", top);
	ASSERT_EQ(mkdir("d", 0755) | mkdir("d/e", 0755), 0);
	ASSERT_EQ(close(creat("f", 0644)), 0);
	ASSERT_EQ(symlink(abs, "abs") | symlink("d/e", "rel") | symlink("../", "up") |
		  symlink("rel", "chain") | symlink("loop", "loop") |
		  symlink("nowhere", "dangling") | symlink("..", "d/back"), 0);
}

static void same(const char *path)
{
	char ours[PATH_MAX], libc[PATH_MAX];
	errno = 0;
	int r = path_real(path, ours);
	const char *l = realpath(path, libc);
	if (!l) {
		ASSERT_EQ(r, -errno);
	} else {
		ASSERT_EQ(r, 0);
		ASSERT_STR(ours, libc);
	}
}

TEST(like_realpath) {
	static const char *const paths[] = {
		".", "..", "/", "//", "d", "d/", "./d/./e/", "d/e/../..", "abs",
		"abs/e", "rel", "rel/..", "up", "chain", "chain/../../f", "d/back/f",
		"d/back/d/back/abs/e", "f", "f/x", "loop", "loop/x", "dangling",
		"missing", "missing/x", "/proc/self/root", "/../..", "", "f/", "f/.",
		"abs/", "dangling/",
	};
	tree();
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		same(paths[i]);
	char abs[PATH_MAX + 16];
	snprintf(abs, sizeof(abs), "%s/chain/../up/abs/./e", top);
	same(abs);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ASSERT_EQ(chdir("/"), 0);
	ASSERT_EQ(system(cmd), 0);
}

TEST(too_long) {
	char path[PATH_MAX + 2], out[PATH_MAX];
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	ASSERT_EQ(path_real(path, out), -ENAMETOOLONG);
}
