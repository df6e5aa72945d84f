/* libmini/proc.c: who uses a device or a file, over the fake trees in
 * tests/files/proc-detach (a /proc) and tests/files/sys-detach (a /sys),
 * plus the real /proc for our own process and a child. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mini.h"
#include "unit.h"

static int open_tree(const char *name)
{
	const char *files = getenv("FILES");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", files ? files : "tests/files", name);
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		UNIT_FAIL("%s: %s (run from the top directory)", path, strerror(errno));
	return fd;
}

static void devs2(struct loop_devs *d, dev_t a, const char *na, dev_t b,
		  const char *nb)
{
	memset(d, 0, sizeof(*d));
	d->n = 2;
	d->dev[0] = a;
	d->dev[1] = b;
	d->partno[1] = 1;
	snprintf(d->name[0], sizeof(d->name[0]), "%s", na);
	snprintf(d->name[1], sizeof(d->name[1]), "%s", nb);
}

TEST(devs_partitions)
{
	int sys = open_tree("sys-detach");
	struct loop_devs d;
	ASSERT_EQ(loop_devs_get(sys, 3, &d), 3);
	ASSERT_EQ(d.dev[0], makedev(7, 3));
	ASSERT_STR(d.name[0], "loop3");
	ASSERT_EQ(d.partno[0], 0);
	/* readdir order is not sorted: find each partition. */
	int p1 = !strcmp(d.name[1], "loop3p1") ? 1 : 2, p2 = 3 - p1;
	ASSERT_STR(d.name[p1], "loop3p1");
	ASSERT_EQ(d.partno[p1], 1);
	ASSERT_EQ(d.dev[p1], makedev(259, 0));
	ASSERT_STR(d.name[p2], "loop3p2");
	ASSERT_EQ(d.partno[p2], 2);
	ASSERT_EQ(loop_devs_get(sys, 4, &d), 1);
	ASSERT_EQ(loop_devs_get(sys, 9, &d), -ENODEV);
	close(sys);
}

TEST(mount_by_majmin_unescaped)
{
	int proc = open_tree("proc-detach"), sys = open_tree("sys-detach");
	struct loop_devs d;
	char mnt[256];
	ASSERT_EQ(loop_devs_get(sys, 3, &d), 3);
	ASSERT_EQ(proc_find_mount(proc, &d, mnt, sizeof(mnt)), 1);
	ASSERT_STR(mnt, "/mnt/my disk");
	ASSERT_EQ(loop_devs_get(sys, 4, &d), 1);
	ASSERT_EQ(proc_find_mount(proc, &d, mnt, sizeof(mnt)), 0);
	close(proc);
	close(sys);
}

TEST(mountinfo_fields)
{
	/* The one mountinfo reader (proc_find_mount, mount_lookup). */
	int proc = open_tree("proc-detach");
	static struct lines l;
	struct mountinfo m;
	int n = 0, seen = 0;
	ASSERT_EQ(lines_open(&l, proc, "self/mountinfo"), 0);
	while (mountinfo_next(&l, &m)) {
		n++;
		if (m.dev != makedev(7, 3))
			continue;
		seen = 1;
		ASSERT_STR(m.dir, "/mnt/my disk");
		ASSERT_STR(m.type, "ext4");
		ASSERT_STR(m.src, "/dev/loop3");
	}
	lines_close(&l);
	ASSERT_EQ(n, 5);
	ASSERT(seen);
	close(proc);
}

TEST(mount_of_a_partition)
{
	int proc = open_tree("proc-detach");
	struct loop_devs d;
	char mnt[256];
	devs2(&d, makedev(7, 6), "loop6", makedev(259, 7), "loop6p1");
	ASSERT_EQ(proc_find_mount(proc, &d, mnt, sizeof(mnt)), 2);
	ASSERT_STR(mnt, "/data");
	close(proc);
}

TEST(mount_by_source_when_majmin_is_anonymous)
{
	/* btrfs shows 0:N in mountinfo: only the source names the device. */
	int proc = open_tree("proc-detach");
	struct loop_devs d;
	char mnt[256];
	devs2(&d, makedev(7, 5), "loop5", makedev(259, 3), "loop5p2");
	ASSERT_EQ(proc_find_mount(proc, &d, mnt, sizeof(mnt)), 2);
	ASSERT_STR(mnt, "/srv/pool");
	/* loop5 is not loop5p2's prefix match: loop50 must not hit. */
	devs2(&d, makedev(7, 50), "loop50", makedev(259, 9), "loop50p2");
	ASSERT_EQ(proc_find_mount(proc, &d, mnt, sizeof(mnt)), 0);
	close(proc);
}

TEST(mount_short_buffer)
{
	int proc = open_tree("proc-detach"), sys = open_tree("sys-detach");
	struct loop_devs d;
	char mnt[6];
	ASSERT_EQ(loop_devs_get(sys, 3, &d), 3);
	ASSERT_EQ(proc_find_mount(proc, &d, mnt, sizeof(mnt)), 1);
	ASSERT_STR(mnt, "/mnt/");
	close(proc);
	close(sys);
}

TEST(dm_holder_of_a_partition)
{
	int sys = open_tree("sys-detach");
	struct loop_devs d;
	char name[64];
	ASSERT_EQ(loop_devs_get(sys, 3, &d), 3);
	ASSERT_EQ(sys_find_holder(sys, &d, name, sizeof(name)), 1);
	ASSERT_STR(name, "dm-0 (vg-data)");
	ASSERT_EQ(loop_devs_get(sys, 4, &d), 1);
	ASSERT_EQ(sys_find_holder(sys, &d, name, sizeof(name)), 0);
	close(sys);
}

static void file_id(const char *name, struct stat *st)
{
	const char *files = getenv("FILES");
	char path[512];
	snprintf(path, sizeof(path), "%s/proc-detach/%s", files ? files : "tests/files",
		 name);
	if (stat(path, st) < 0)
		UNIT_FAIL("%s: %s", path, strerror(errno));
}

TEST(writer_from_fdinfo_flags)
{
	int proc = open_tree("proc-detach");
	struct stat st;
	pid_t pid = 0;
	file_id("image.img", &st);
	ASSERT_EQ(proc_find_writer_at(proc, st.st_dev, st.st_ino, &pid), 1);
	ASSERT_EQ(pid, 200);
	/* other.img is open only read-only (by 201). */
	file_id("other.img", &st);
	pid = 0;
	ASSERT_EQ(proc_find_writer_at(proc, st.st_dev, st.st_ino, &pid), 0);
	ASSERT_EQ(pid, 0);
	close(proc);
}

/* A fake /proc with one process, numbered pid, "fake-holder", that has
 * file open read-write as fd 7. */
static int fake_proc(char *dir, pid_t pid, const char *file)
{
	char path[512];
	snprintf(path, 256, "/tmp/loopbox-unit.XXXXXX");
	if (!mkdtemp(path))
		UNIT_FAIL("mkdtemp: %s", strerror(errno));
	strcpy(dir, path);
	snprintf(path, sizeof(path), "%s/%d", dir, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd", dir, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fdinfo", dir, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd/7", dir, (int)pid);
	if (symlink(file, path) < 0)
		UNIT_FAIL("symlink: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/%d/fdinfo/7", dir, (int)pid);
	FILE *f = fopen(path, "w");
	fputs("pos:\t0\nflags:\t02\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%d/comm", dir, (int)pid);
	f = fopen(path, "w");
	fputs("fake-holder\n", f);
	fclose(f);
	return open(dir, O_RDONLY | O_DIRECTORY);
}

static void rm_fake(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		UNIT_FAIL("%s failed", cmd);
}

TEST(writer_ignores_our_own_process)
{
	char dir[256], file[512];
	struct stat st;
	pid_t pid = 0;
	const char *files = getenv("FILES");
	snprintf(file, sizeof(file), "%s/proc-detach/image.img", files ? files : "tests/files");
	char *abs = realpath(file, NULL);
	ASSERT(abs);
	ASSERT_EQ(stat(abs, &st), 0);
	int proc = fake_proc(dir, getpid(), abs);
	int r = proc_find_writer_at(proc, st.st_dev, st.st_ino, &pid);
	close(proc);
	rm_fake(dir);
	ASSERT_EQ(r, 0);
	proc = fake_proc(dir, getpid() + 1, abs);
	r = proc_find_writer_at(proc, st.st_dev, st.st_ino, &pid);
	close(proc);
	rm_fake(dir);
	free(abs);
	ASSERT_EQ(r, 1);
	ASSERT_EQ(pid, getpid() + 1);
}

TEST(real_proc_writer_child)
{
	char path[] = "/tmp/loopbox-unit-w.XXXXXX";
	int fd = mkstemp(path); /* our own rw fd must not count */
	ASSERT(fd >= 0);
	struct stat st;
	ASSERT_EQ(fstat(fd, &st), 0);
	pid_t pid = -1;
	int r0 = proc_find_writer(st.st_dev, st.st_ino, &pid);
	int ready[2];
	ASSERT_EQ(pipe(ready), 0);
	pid_t child = fork();
	if (child == 0) {
		int w = open(path, O_WRONLY | O_APPEND);
		if (write(ready[1], "x", 1) < 0 || w < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	close(fd);
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	int r1 = proc_find_writer(st.st_dev, st.st_ino, &pid);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	unlink(path);
	ASSERT_EQ(r0, 0);
	ASSERT_EQ(r1, 1);
	ASSERT_EQ(pid, child);
}

/* Any block device node of this host: fd/ entries are matched by the
 * device number of what they open, so the fake fd must reach a real one. */
static int some_blockdev(char *path, size_t size, dev_t *rdev)
{
	DIR *d = opendir("/dev");
	struct dirent *e;
	struct stat st;
	int found = 0;
	while (d && !found && (e = readdir(d))) {
		snprintf(path, size, "/dev/%s", e->d_name);
		found = lstat(path, &st) == 0 && S_ISBLK(st.st_mode);
	}
	if (d)
		closedir(d);
	*rdev = found ? st.st_rdev : 0;
	return found;
}

TEST(openers_named)
{
	char dir[256], node[300];
	dev_t rdev;
	if (!some_blockdev(node, sizeof(node), &rdev))
		SKIP("no block device node in /dev");
	int proc = fake_proc(dir, 4242, node);
	struct loop_devs d;
	pid_t pid[4];
	char comm[4][17];
	devs2(&d, makedev(7, 200), "loop200", rdev, "loop200p1");
	int n = proc_find_openers(proc, &d, pid, comm, 4);
	/* Counted even when nothing can be stored. */
	int n0 = proc_find_openers(proc, &d, pid + 1, comm + 1, 0);
	devs2(&d, makedev(7, 200), "loop200", makedev(7, 201), "loop201");
	int none = proc_find_openers(proc, &d, pid + 1, comm + 1, 4);
	close(proc);
	rm_fake(dir);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(pid[0], 4242);
	ASSERT_STR(comm[0], "fake-holder");
	ASSERT_EQ(n0, 1);
	ASSERT_EQ(none, 0);
}

TEST(openers_in_the_fake_tree_are_not_block_devices)
{
	/* proc-detach has /dev/null, a dangling link and regular files open:
	 * none of them is a block device. */
	int proc = open_tree("proc-detach");
	struct loop_devs d;
	pid_t pid[2];
	char comm[2][17];
	struct stat st;
	file_id("image.img", &st);
	devs2(&d, st.st_dev, "loop200", makedev(1, 3), "loop200p1");
	ASSERT_EQ(proc_find_openers(proc, &d, pid, comm, 2), 0);
	close(proc);
}
