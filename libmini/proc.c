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
#include <sys/syscall.h>
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

int loop_del_parts(int fd, const struct loop_devs *d, int *bad)
{
	for (int i = 1; i < d->n; i++) {
		struct blkpg_partition part;
		memset(&part, 0, sizeof(part));
		part.pno = d->partno[i];
		struct blkpg_ioctl_arg arg = {BLKPG_DEL_PARTITION, 0, sizeof(part),
					      &part};
		int r = loop_ioctl(fd, BLKPG, "BLKPG", &arg);
		if (r < 0 && r != -ENXIO) {
			*bad = i;
			return r;
		}
	}
	return 0;
}

static int devs_index(const struct loop_devs *d, dev_t dev)
{
	for (int i = 0; i < d->n; i++)
		if (d->dev[i] == dev)
			return i;
	return -1;
}

int mountinfo_next(struct lines *l, struct mountinfo *m)
{
	static char none[1]; /* a missing field; writable for unescape */
	char *line, *f[24];
	while ((line = lines_next(l))) {
		/* id parent maj:min root mountpoint opts [tags...] - type source */
		int nf = split_fields(line, f, 24), sep = 6;
		while (sep < nf && strcmp(f[sep], "-"))
			sep++;
		if (nf < 5 || parse_devnum(f[2], 10, &m->dev) < 0)
			continue;
		m->dir = f[4];
		m->type = sep + 1 < nf ? f[sep + 1] : none;
		m->src = sep + 2 < nf ? f[sep + 2] : none;
		unescape_octal(m->dir);
		unescape_octal(m->src);
		return 1;
	}
	return 0;
}

/* The source is compared too: btrfs reports an anonymous 0:N in the
 * maj:min field. */
int proc_find_mount(int procfd, const struct loop_devs *d, char *mnt,
		    size_t size)
{
	static struct lines l; /* 4 KiB: not on the stack, never reentered */
	struct mountinfo m;
	int r = lines_open(&l, procfd, "self/mountinfo"), hit = 0;
	if (r < 0)
		return r;
	while (!hit && mountinfo_next(&l, &m)) {
		int i = devs_index(d, m.dev);
		for (int j = 0; i < 0 && j < d->n; j++)
			if (!strncmp(m.src, "/dev/", 5) && !strcmp(m.src + 5, d->name[j]))
				i = j;
		if (i >= 0) {
			snprintf(mnt, size, "%s", m.dir);
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
		/* block/loopN/./holders is the device's own. */
		snprintf(path, sizeof(path), "block/%s/%s/holders", d->name[0],
			 i ? d->name[i] : ".");
		struct dirit it;
		if (dir_open(&it, sysfd, path) < 0)
			continue;
		const char *holder;
		/* (Dot files only exist in the test trees: git keeps no empty
		 * directory.) */
		while ((holder = dir_next(&it, NULL)) && holder[0] == '.')
			;
		if (holder) {
			/* dm devices have a name users know them by (dmsetup
			 * ls). */
			char dmname[64] = "", attr[320];
			snprintf(attr, sizeof(attr), "block/%s/dm/name", holder);
			sysfs_read_str(sysfd, attr, dmname, sizeof(dmname));
			snprintf(name, size, "%s%s%s%s", holder,
				 dmname[0] ? " (" : "", dmname, dmname[0] ? ")" : "");
		}
		dir_close(&it);
		if (holder)
			return 1;
	}
	return 0;
}

/* The next process other than ours: its /proc directory fd and pid, or -1
 * at the end. Processes we may not look into (EACCES) or that exit
 * meanwhile hold nothing we could name: detach runs as root anyway. */
static int next_pid(int procfd, struct dirit *pd, pid_t self, pid_t *pid)
{
	const char *name;
	uint64_t v;
	while ((name = dir_next(pd, NULL))) {
		if (parse_uint(name, INT32_MAX, &v) < 0 || v == (uint64_t)self)
			continue;
		int piddir = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (piddir < 0)
			continue;
		*pid = (pid_t)v;
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

/* Every process but ours for which fn holds: the count, the first max
 * pids (and names, when comm is given) stored; first_only stops at one. */
typedef int (*pid_fn)(int piddir, const void *arg);

static int walk_pids(int procfd, pid_fn fn, const void *arg, pid_t *pid,
		     char (*comm)[17], int max, int first_only)
{
	struct dirit pd;
	int n = dir_open(&pd, procfd, "."), piddir;
	if (n < 0)
		return n;
	pid_t p, self = getpid();
	while ((piddir = next_pid(procfd, &pd, self, &p)) >= 0) {
		int hit = fn(piddir, arg);
		if (hit && n < max) {
			pid[n] = p;
			if (comm && sysfs_read_str(piddir, "comm", comm[n], 17) < 0)
				strcpy(comm[n], "?");
		}
		n += hit;
		close(piddir);
		if (hit && first_only)
			break;
	}
	dir_close(&pd);
	return n;
}

static int has_opener(int piddir, const void *d)
{
	return pid_has_fd(piddir, opener_fn, d);
}

int proc_find_openers(int procfd, const struct loop_devs *d, pid_t *pid,
		      char (*comm)[17], int max)
{
	return walk_pids(procfd, has_opener, d, pid, comm, max, 0);
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

static int has_writer(int piddir, const void *w)
{
	return pid_has_fd(piddir, writer_fn, w);
}

int proc_find_writer_at(int procfd, dev_t dev, ino_t ino, pid_t *pid)
{
	struct writer_arg w = {dev, ino};
	return walk_pids(procfd, has_writer, &w, pid, NULL, 1, 1);
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
	/* Raw fcntl: musl's wrapper is 400 bytes of cases we never use. */
	int r = (int)syscall(SYS_fcntl, fd, F_SETLEASE, F_RDLCK), err = errno;
	if (r == 0)
		syscall(SYS_fcntl, fd, F_SETLEASE, F_UNLCK);
	close(fd);
	sigaction(SIGIO, &old, NULL);
	if (r == 0)
		return 0;
	return err == EAGAIN ? 1 : -err;
}

/* ---- who keeps a mounted filesystem or a device busy (loopumount, run) - */

struct users_arg {
	dev_t fsdev, rdev;
};

static int users_fd_fn(int piddir, const char *fd, const struct stat *st,
		       const void *arg)
{
	const struct users_arg *a = arg;
	return (a->rdev && S_ISBLK(st->st_mode) && st->st_rdev == a->rdev) ||
	       (a->fsdev && st->st_dev == a->fsdev);
}

/* A mapped file (a running binary, a library) keeps a mount busy too. */
static int maps_hit(int piddir, dev_t fsdev)
{
	static struct lines l; /* 4 KiB: not on the stack, never reentered */
	char *line, *f[6];
	dev_t d;
	int found = 0;
	if (lines_open(&l, piddir, "maps") < 0)
		return 0;
	/* addr perms offset maj:min inode [path] */
	while (!found && (line = lines_next(&l)))
		found = split_fields(line, f, 6) >= 5 &&
			parse_devnum(f[3], 16, &d) == 0 && d && d == fsdev;
	lines_close(&l);
	return found;
}

static int uses(int piddir, const void *arg)
{
	static const char *const links[] = {"cwd", "root", "exe"};
	const struct users_arg *a = arg;
	struct stat st;
	for (size_t i = 0; a->fsdev && i < ARRAY_SIZE(links); i++)
		if (fstatat(piddir, links[i], &st, 0) == 0 && st.st_dev == a->fsdev)
			return 1;
	if (a->fsdev && maps_hit(piddir, a->fsdev))
		return 1;
	return pid_has_fd(piddir, users_fd_fn, a);
}

int proc_users(dev_t fsdev, dev_t rdev, struct users *u)
{
	struct users_arg a = {fsdev, rdev};
	memset(u, 0, sizeof(*u));
	int procfd = proc_open();
	if (procfd < 0)
		return procfd;
	int n = walk_pids(procfd, uses, &a, u->pid, u->comm, USERS_MAX, 0);
	close(procfd);
	u->n = n < 0 ? 0 : n;
	return n;
}
