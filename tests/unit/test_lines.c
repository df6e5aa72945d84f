/* dir.c and lines.c on real files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mini.h"
#include "unit.h"

static char tmpdir[] = "/tmp/lb-unit-XXXXXX";

static const char *mkfile(const char *name, const char *text)
{
	static char path[128];
	if (!tmpdir[0] || !strchr(tmpdir, 'X') || mkdtemp(tmpdir)) {}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		SKIP("cannot write in /tmp");
	(void)!write(fd, text, strlen(text));
	close(fd);
	return path;
}

TEST(lines_basic) {
	struct lines l;
	ASSERT_EQ(lines_open(&l, AT_FDCWD, mkfile("a", "one\ntwo\n\nthree")), 0);
	ASSERT_STR(lines_next(&l), "one");
	ASSERT_STR(lines_next(&l), "two");
	ASSERT_STR(lines_next(&l), "");
	ASSERT_STR(lines_next(&l), "three");
	ASSERT(lines_next(&l) == NULL);
	lines_close(&l);
}
TEST(lines_long_line_is_cut) {
	static char text[10000];
	memset(text, 'x', 9000);
	memcpy(text + 9000, "\nnext\n", 7);
	struct lines l;
	ASSERT_EQ(lines_open(&l, AT_FDCWD, mkfile("b", text)), 0);
	char *first = lines_next(&l);
	ASSERT(first && strlen(first) == sizeof(l.buf) - 1);
	ASSERT_STR(lines_next(&l), "next");
	ASSERT(lines_next(&l) == NULL);
	lines_close(&l);
}
TEST(lines_missing) {
	struct lines l;
	ASSERT_EQ(lines_open(&l, AT_FDCWD, "/nonexistent/x"), -2);
}
TEST(fields) {
	char line[] = "  36 25 7:0  / /mnt rw - ext4 /dev/loop0 rw ";
	char *f[16];
	ASSERT_EQ(split_fields(line, f, 16), 10);
	ASSERT_STR(f[0], "36");
	ASSERT_STR(f[2], "7:0");
	ASSERT_STR(f[9], "rw");
	char two[] = "a b c";
	ASSERT_EQ(split_fields(two, f, 2), 2);
	ASSERT_STR(f[1], "b");
}
TEST(dir_lists_all_but_dots) {
	mkfile("c", "");
	mkfile("d", "");
	struct dirit it;
	int n = 0, c = 0;
	ASSERT_EQ(dir_open(&it, AT_FDCWD, tmpdir), 0);
	const char *name;
	while ((name = dir_next(&it, NULL))) {
		n++;
		c += !strcmp(name, "c");
		ASSERT(strcmp(name, ".") && strcmp(name, ".."));
	}
	dir_close(&it);
	ASSERT_EQ(c, 1);
	ASSERT(n >= 2);
}
TEST(dir_many_entries) {
	struct dirit it;
	int n = 0;
	ASSERT_EQ(dir_open(&it, AT_FDCWD, "/proc"), 0);
	while (dir_next(&it, NULL))
		n++;
	dir_close(&it);
	ASSERT(n > 50); /* more than one 2 KiB getdents buffer */
}
