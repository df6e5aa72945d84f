/* Filesystems on loop devices: mount with a probed type, find mounts and
 * the processes that keep them busy, wait for an autoclear device to be
 * freed, and flush its backing file to storage. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* snprintf: libmini/fmt.c in product builds */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"
#include "probe.h"

/* ---- -o OPTS ------------------------------------------------------------ */

static const struct {
	const char *name;
	unsigned long set, clear;
} mflags[] = {
	{"ro", MS_RDONLY, 0},          {"rw", 0, MS_RDONLY},
	{"nosuid", MS_NOSUID, 0},      {"suid", 0, MS_NOSUID},
	{"nodev", MS_NODEV, 0},        {"dev", 0, MS_NODEV},
	{"noexec", MS_NOEXEC, 0},      {"exec", 0, MS_NOEXEC},
	{"sync", MS_SYNCHRONOUS, 0},   {"async", 0, MS_SYNCHRONOUS},
	{"dirsync", MS_DIRSYNC, 0},    {"noatime", MS_NOATIME, 0},
	{"atime", 0, MS_NOATIME},      {"nodiratime", MS_NODIRATIME, 0},
	{"diratime", 0, MS_NODIRATIME}, {"relatime", MS_RELATIME, 0},
	{"norelatime", 0, MS_RELATIME}, {"strictatime", MS_STRICTATIME, 0},
	{"lazytime", MS_LAZYTIME, 0},  {"nolazytime", 0, MS_LAZYTIME},
	{"defaults", 0, 0},
};

int mount_opts(const char *opts, unsigned long *flags, char *data, size_t size)
{
	size_t o = 0;
	if (size)
		data[0] = 0;
	while (opts && *opts) {
		size_t len = strcspn(opts, ",");
		size_t i;
		for (i = 0; i < ARRAY_SIZE(mflags); i++)
			if (strlen(mflags[i].name) == len &&
			    !strncmp(mflags[i].name, opts, len))
				break;
		if (i < ARRAY_SIZE(mflags)) {
			*flags = (*flags & ~mflags[i].clear) | mflags[i].set;
		} else if (len) {
			/* Anything else is the filesystem's own option. */
			if (o + len + 2 > size)
				return -E2BIG;
			if (o)
				data[o++] = ',';
			memcpy(data + o, opts, len);
			o += len;
			data[o] = 0;
		}
		opts += len + (opts[len] == ',');
	}
	return 0;
}

/* ---- mount with a probed type ------------------------------------------ */

static int why(struct mount_res *res, int err, const char *step,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int why(struct mount_res *res, int err, const char *step,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	res->failed_step = step;
	return err;
}

int loop_mount(const struct mount_req *req, struct mount_res *res)
{
	memset(res, 0, sizeof(*res));
	unsigned long flags = req->ro ? MS_RDONLY : 0;
	char data[4096];
	if (mount_opts(req->opts, &flags, data, sizeof(data)) < 0)
		return why(res, -E2BIG, "options", "mount options are too long");
	if (req->ro)
		flags |= MS_RDONLY;

	/* Probe even with -t: when the mount fails, what is really on the
	 * device is the most useful thing to tell. */
	uint64_t size = 0;
	struct src s;
	struct fsinfo fi;
	if (ioctl(req->fd, BLKGETSIZE64, &size) == 0) {
		src_fd(&s, req->fd, 0, size);
		if (fs_probe(&s, &fi) == 0)
			snprintf(res->probed, sizeof(res->probed), "%s", fi.type);
	}
	if (req->type)
		snprintf(res->type, sizeof(res->type), "%s", req->type);
	else if (res->probed[0])
		memcpy(res->type, res->probed, sizeof(res->type));
	else
		return why(res, -ENOENT, "probe",
			   "no known filesystem found on %s (%llu bytes); "
			   "give -t TYPE if there is one",
			   req->dev, (unsigned long long)size);

	if (mount(req->dev, req->dir, res->type, flags, data[0] ? data : NULL) == 0)
		return 0;
	int err = errno;
	char found[128] = "the probe found no known filesystem";
	if (res->probed[0] && !strcmp(res->probed, res->type))
		snprintf(found, sizeof(found), "the probe found %s too: bad "
			 "options or a damaged filesystem, see dmesg", res->probed);
	else if (res->probed[0])
		snprintf(found, sizeof(found), "the probe found %s", res->probed);
	if (err == ENODEV)
		return why(res, -err, "mount",
			   "mount %s on %s: this kernel has no %s filesystem (%s)",
			   req->dev, req->dir, res->type, found);
	return why(res, -err, "mount", "mount %s on %s as %s: %s (%s)", req->dev,
		   req->dir, res->type, strerror(err), found);
}

/* ---- /proc/self/mountinfo --------------------------------------------- */

/* Mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* "MAJ:MIN" (decimal, mountinfo) or "maj:min" (hex, maps). */
static int parse_devnum(const char *s, int base, dev_t *dev)
{
	char *end;
	unsigned long ma = strtoul(s, &end, base);
	if (*end != ':')
		return -EINVAL;
	unsigned long mi = strtoul(end + 1, &end, base);
	if (*end)
		return -EINVAL;
	*dev = makedev(ma, mi);
	return 0;
}

int mount_lookup(dev_t dev, const char *dir, struct mount_ent *m)
{
	/* Static: 4 KiB of buffer, and this is never called concurrently. */
	static struct lines l;
	int r = lines_open(&l, AT_FDCWD, "/proc/self/mountinfo");
	if (r < 0)
		return r;
	int n = 0;
	char *line;
	while ((line = lines_next(&l))) {
		/* id parent maj:min root mountpoint opts [tags...] - type source */
		char *f[24];
		int nf = split_fields(line, f, 24), sep = 6;
		dev_t d;
		while (sep < nf && strcmp(f[sep], "-"))
			sep++;
		if (nf < 5 || parse_devnum(f[2], 10, &d) < 0)
			continue;
		unescape(f[4]);
		if ((dev && d != dev) || (dir && strcmp(f[4], dir)))
			continue;
		/* The last match is the one on top (mounts stack in order). */
		n++;
		m->id = atoi(f[0]);
		m->dev = d;
		snprintf(m->dir, sizeof(m->dir), "%s", f[4]);
		m->type[0] = m->src[0] = 0;
		if (sep + 1 < nf)
			snprintf(m->type, sizeof(m->type), "%s", f[sep + 1]);
		if (sep + 2 < nf) {
			unescape(f[sep + 2]);
			snprintf(m->src, sizeof(m->src), "%s", f[sep + 2]);
		}
	}
	lines_close(&l);
	return n;
}

int loop_of_dev(dev_t dev, int *part)
{
	char link[64], target[256];
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -ENODEV;
	target[n] = 0;
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	char *end;
	if (strncmp(base, "loop", 4) || base[4] < '0' || base[4] > '9')
		return -ENODEV;
	long nr = strtol(base + 4, &end, 10);
	*part = 0;
	if (*end == 'p')
		*part = (int)strtol(end + 1, &end, 10);
	return *end ? -ENODEV : (int)nr;
}

/* ---- who keeps it busy -------------------------------------------------- */

static int hit(const char *path, dev_t fsdev, dev_t rdev)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	if (rdev && S_ISBLK(st.st_mode) && st.st_rdev == rdev)
		return 1;
	return fsdev && st.st_dev == fsdev;
}

static int maps_hit(int pid, dev_t fsdev)
{
	static struct lines l;
	char path[64], *line;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (lines_open(&l, AT_FDCWD, path) < 0)
		return 0;
	int found = 0;
	while (!found && (line = lines_next(&l))) {
		/* addr perms offset maj:min inode [path] */
		char *f[6];
		dev_t d;
		if (split_fields(line, f, 6) >= 5 && parse_devnum(f[3], 16, &d) == 0 &&
		    d && d == fsdev)
			found = 1;
	}
	lines_close(&l);
	return found;
}

static int pid_uses(int pid, dev_t fsdev, dev_t rdev)
{
	static const char *const links[] = {"cwd", "root", "exe"};
	char path[300];
	for (size_t i = 0; fsdev && i < ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, links[i]);
		if (hit(path, fsdev, 0))
			return 1;
	}
	if (fsdev && maps_hit(pid, fsdev))
		return 1;
	struct dirit it;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if (dir_open(&it, AT_FDCWD, path) < 0)
		return 0;
	int found = 0;
	const char *name;
	while (!found && (name = dir_next(&it, NULL))) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%.250s", pid, name);
		found = hit(path, fsdev, rdev);
	}
	dir_close(&it);
	return found;
}

int proc_users(dev_t fsdev, dev_t rdev, struct users *u)
{
	memset(u, 0, sizeof(*u));
	struct dirit it;
	int r = dir_open(&it, AT_FDCWD, "/proc");
	if (r < 0)
		return r;
	const char *name;
	while ((name = dir_next(&it, NULL))) {
		int pid = atoi(name);
		if (pid <= 0 || pid == (int)getpid() || !pid_uses(pid, fsdev, rdev))
			continue;
		if (u->n < USERS_MAX) {
			char path[64];
			u->pid[u->n] = (pid_t)pid;
			snprintf(path, sizeof(path), "/proc/%d/comm", pid);
			if (sysfs_read_str(AT_FDCWD, path, u->comm[u->n],
					   sizeof(u->comm[0])) < 0)
				snprintf(u->comm[u->n], sizeof(u->comm[0]), "?");
		}
		u->n++;
	}
	dir_close(&it);
	return u->n;
}

/* ---- freeing and flushing --------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int loop_bind_id(int nr, struct loop_bind *b)
{
	char path[64];
	memset(b, 0, sizeof(*b));
	snprintf(path, sizeof(path), "/sys/block/loop%d/diskseq", nr);
	sysfs_read_u64(AT_FDCWD, path, &b->diskseq); /* 5.15+ */
	snprintf(path, sizeof(path), "/sys/block/loop%d/loop/backing_file", nr);
	int r = sysfs_read_str(AT_FDCWD, path, b->back_file, sizeof(b->back_file));
	return r == -ENOENT ? -ENXIO : r < 0 ? r : 0;
}

int loop_wait_free(int nr, const struct loop_bind *was, uint64_t timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	for (;;) {
		struct loop_bind now;
		int r = loop_bind_id(nr, &now);
		if (r == -ENXIO || r == -ENODEV || r == -ENOENT)
			return 0;
		/* Freed and already bound again by someone else: ours is
		 * gone all the same, and theirs must not be touched. Before
		 * diskseq (5.15) only the path can tell, and a rebind to the
		 * same file looks like ours until the timeout. */
		if (r == 0 && (was->diskseq ? now.diskseq != was->diskseq
					    : !!strcmp(now.back_file, was->back_file)))
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

int backing_open(const struct loop_state *st)
{
	int fd = open(st->back_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat s;
	int same = fstat(fd, &s) == 0 &&
		   (st->back_rdev ? S_ISBLK(s.st_mode) &&
					    (uint64_t)s.st_rdev == st->back_rdev
				  : (uint64_t)s.st_dev == st->back_dev &&
					    (uint64_t)s.st_ino == st->back_ino);
	if (!same) {
		close(fd);
		return -ESTALE; /* the path names another file now */
	}
	return fd;
}

int backing_sync(int fd)
{
	if (fsync(fd) < 0)
		return -errno;
	if (syncfs(fd) < 0)
		return -errno;
	return 0;
}
