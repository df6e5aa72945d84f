/* Who uses a device or a file: mounts, stacked block devices, processes.
 * Detach refuses or names them; attach warns about writers. Everything is
 * read relative to a /proc and a /sys directory fd, so the unit tests run
 * the same code over tests/files/proc-* and sys-* trees. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mini.h"

int proc_open(void)
{
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int loop_devs_get(int sysfd, int nr, struct loop_devs *d)
{
	char dir[32], path[128];
	memset(d, 0, sizeof(*d));
	snprintf(dir, sizeof(dir), "block/loop%d", nr);
	snprintf(path, sizeof(path), "%s/dev", dir);
	if (sysfs_read_devnum(sysfd, path, &d->dev[0]) < 0)
		return -ENODEV;
	snprintf(d->name[0], sizeof(d->name[0]), "loop%d", nr);
	d->n = 1;
	/* Partitions are subdirectories named loopNpM with a `partition`
	 * attribute; their numbers may be in major 259 (beyond max_part). */
	struct dirit it;
	if (dir_open(&it, sysfd, dir) < 0)
		return d->n;
	size_t plen = strlen(d->name[0]);
	const char *name;
	while ((name = dir_next(&it, NULL)) && d->n < LOOP_DEVS_MAX) {
		if (strncmp(name, d->name[0], plen) || name[plen] != 'p' ||
		    strlen(name) >= sizeof(d->name[0]))
			continue;
		uint64_t pno;
		dev_t dev;
		snprintf(path, sizeof(path), "%s/%s/partition", dir, name);
		if (sysfs_read_u64(sysfd, path, &pno) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/dev", dir, name);
		if (sysfs_read_devnum(sysfd, path, &dev) < 0)
			continue;
		d->dev[d->n] = dev;
		d->partno[d->n] = (int)pno;
		strcpy(d->name[d->n], name);
		d->n++;
	}
	dir_close(&it);
	return d->n;
}

static int devs_index(const struct loop_devs *d, dev_t dev)
{
	for (int i = 0; i < d->n; i++)
		if (d->dev[i] == dev)
			return i;
	return -1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(const char *s, char *out, size_t size)
{
	size_t o = 0;
	while (*s && o + 1 < size) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			out[o++] = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					  (s[3] - '0'));
			s += 4;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = 0;
}

/* "MAJ:MIN" -> dev; -EINVAL if it is not that. */
static int parse_devnum(char *s, dev_t *dev)
{
	char *colon = strchr(s, ':');
	uint64_t ma, mi;
	if (!colon)
		return -EINVAL;
	*colon = 0;
	int r = parse_uint(s, 0xfff, &ma) || parse_uint(colon + 1, 0xfffff, &mi);
	*colon = ':';
	if (r)
		return -EINVAL;
	*dev = makedev((unsigned)ma, (unsigned)mi);
	return 0;
}

/* The index in d of a mountinfo line's device, or -1. The source is
 * compared too: btrfs reports an anonymous 0:N in the maj:min field. */
static int mount_match(char *line, const struct loop_devs *d, char **mnt)
{
	char *f[24];
	int n = split_fields(line, f, 24), dash = -1;
	for (int i = 6; i < n && dash < 0; i++)
		if (!strcmp(f[i], "-"))
			dash = i;
	if (n < 5)
		return -1;
	*mnt = f[4];
	dev_t dev;
	if (parse_devnum(f[2], &dev) == 0) {
		int i = devs_index(d, dev);
		if (i >= 0)
			return i;
	}
	if (dash < 0 || dash + 2 >= n || strncmp(f[dash + 2], "/dev/", 5))
		return -1;
	for (int i = 0; i < d->n; i++)
		if (!strcmp(f[dash + 2] + 5, d->name[i]))
			return i;
	return -1;
}

int proc_find_mount(int procfd, const struct loop_devs *d, char *mnt,
		    size_t size)
{
	struct lines l;
	int r = lines_open(&l, procfd, "self/mountinfo");
	if (r < 0)
		return r;
	char *line, *m;
	int hit = 0;
	while (!hit && (line = lines_next(&l))) {
		int i = mount_match(line, d, &m);
		if (i >= 0) {
			unescape(m, mnt, size);
			hit = i + 1;
		}
	}
	lines_close(&l);
	return hit;
}

int sys_find_holder(int sysfd, const struct loop_devs *d, char *name,
		    size_t size)
{
	char path[96];
	for (int i = 0; i < d->n; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "block/%s/holders", d->name[0]);
		else
			snprintf(path, sizeof(path), "block/%s/%s/holders",
				 d->name[0], d->name[i]);
		struct dirit it;
		if (dir_open(&it, sysfd, path) < 0)
			continue;
		const char *holder;
		/* (Dot files only exist in the test trees: git keeps no empty
		 * directory.) */
		while ((holder = dir_next(&it, NULL)) && holder[0] == '.')
			;
		if (!holder) {
			dir_close(&it);
			continue;
		}
		/* dm devices have a name users know them by (dmsetup ls). */
		char dmname[64] = "", attr[320];
		snprintf(attr, sizeof(attr), "block/%s/dm/name", holder);
		sysfs_read_str(sysfd, attr, dmname, sizeof(dmname));
		snprintf(name, size, "%s%s%s%s", holder, dmname[0] ? " (" : "",
			 dmname, dmname[0] ? ")" : "");
		dir_close(&it);
		return 1;
	}
	return 0;
}

static int is_pid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* The next process other than ours: its /proc directory fd and pid, or -1
 * at the end. Processes we may not look into (EACCES) or that exit
 * meanwhile hold nothing we could name: detach runs as root anyway. */
static int next_pid(int procfd, struct dirit *pd, pid_t self, pid_t *pid)
{
	const char *name;
	while ((name = dir_next(pd, NULL))) {
		if (!is_pid(name) || atoi(name) == (int)self)
			continue;
		int piddir = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (piddir < 0)
			continue;
		*pid = (pid_t)atoi(name);
		return piddir;
	}
	return -1;
}

/* 1 if one of the process's open files satisfies fn. fstatat follows the
 * fd/N magic links to the open file itself, even when its path was
 * deleted, renamed, or names a node outside our mount namespace. */
typedef int (*fd_fn)(int piddir, const char *fd, const struct stat *st,
		     const void *arg);

static int pid_has_fd(int piddir, fd_fn fn, const void *arg)
{
	struct dirit it;
	if (dir_open(&it, piddir, "fd") < 0)
		return 0;
	int hit = 0;
	const char *fd;
	struct stat st;
	while (!hit && (fd = dir_next(&it, NULL)))
		hit = fstatat(it.fd, fd, &st, 0) == 0 && fn(piddir, fd, &st, arg);
	dir_close(&it);
	return hit;
}

static int opener_fn(int piddir, const char *fd, const struct stat *st,
		     const void *arg)
{
	return S_ISBLK(st->st_mode) &&
	       devs_index((const struct loop_devs *)arg, st->st_rdev) >= 0;
}

int proc_find_openers(int procfd, const struct loop_devs *d, pid_t *pid,
		      char (*comm)[17], int max)
{
	struct dirit pd;
	int n = dir_open(&pd, procfd, "."), piddir;
	if (n < 0)
		return n;
	pid_t p, self = getpid();
	while ((piddir = next_pid(procfd, &pd, self, &p)) >= 0) {
		if (pid_has_fd(piddir, opener_fn, d)) {
			if (n < max) {
				pid[n] = p;
				if (sysfs_read_str(piddir, "comm", comm[n], 17) < 0)
					strcpy(comm[n], "?");
			}
			n++;
		}
		close(piddir);
	}
	dir_close(&pd);
	return n;
}

struct writer_arg {
	dev_t dev;
	ino_t ino;
};

static int writer_fn(int piddir, const char *fd, const struct stat *st,
		     const void *arg)
{
	const struct writer_arg *w = arg;
	if (!S_ISREG(st->st_mode) || st->st_dev != w->dev || st->st_ino != w->ino)
		return 0;
	char path[64], buf[256];
	snprintf(path, sizeof(path), "fdinfo/%s", fd);
	if (sysfs_read_str(piddir, path, buf, sizeof(buf)) < 0)
		return 0;
	/* "pos:\t0\nflags:\t0100002\n...": the open flags, in octal. Parsed
	 * by hand: strstr and strtoul each cost ~1.5 KiB of static libc. */
	const char *f = buf;
	while (strncmp(f, "flags:", 6)) {
		if (!(f = strchr(f, '\n')))
			return 0;
		f++;
	}
	for (f += 6; *f == ' ' || *f == '\t'; f++)
		;
	unsigned flags = 0;
	while (*f >= '0' && *f <= '7')
		flags = flags * 8 + (unsigned)(*f++ - '0');
	return (flags & O_ACCMODE) != O_RDONLY;
}

int proc_find_writer_at(int procfd, dev_t dev, ino_t ino, pid_t *pid)
{
	struct writer_arg w = {dev, ino};
	struct dirit pd;
	int hit = dir_open(&pd, procfd, "."), piddir;
	if (hit < 0)
		return hit;
	pid_t p, self = getpid();
	while (!hit && (piddir = next_pid(procfd, &pd, self, &p)) >= 0) {
		hit = pid_has_fd(piddir, writer_fn, &w);
		if (hit)
			*pid = p;
		close(piddir);
	}
	dir_close(&pd);
	return hit;
}

int proc_find_writer(dev_t dev, ino_t ino, pid_t *pid)
{
	int procfd = proc_open();
	if (procfd < 0)
		return procfd;
	int r = proc_find_writer_at(procfd, dev, ino, pid);
	close(procfd);
	return r;
}

/* Whether anyone may have PATH open for writing, without walking /proc: the
 * kernel grants a read lease only while nobody has the file open for
 * writing (a bound read-write loop device counts). 0: nobody; 1: someone
 * may; -errno: no answer (a filesystem without leases). The lease is
 * dropped at once; SIGIO, which a lease break would send, is ignored
 * meanwhile, since its default action would kill us. */
int file_maybe_written(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct sigaction ign, old;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGIO, &ign, &old);
	int r = fcntl(fd, F_SETLEASE, F_RDLCK), err = errno;
	if (r == 0)
		fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	sigaction(SIGIO, &old, NULL);
	if (r == 0)
		return 0;
	return err == EAGAIN ? 1 : -err;
}
