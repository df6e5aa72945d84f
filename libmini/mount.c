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
		unescape_octal(f[4]);
		if ((dev && d != dev) || (dir && strcmp(f[4], dir)))
			continue;
		/* The last match is the one on top (mounts stack in order). */
		n++;
		uint64_t id = 0;
		parse_uint(f[0], INT32_MAX, &id);
		m->id = (int)id;
		m->dev = d;
		snprintf(m->dir, sizeof(m->dir), "%s", f[4]);
		m->type[0] = m->src[0] = 0;
		if (sep + 1 < nf)
			snprintf(m->type, sizeof(m->type), "%s", f[sep + 1]);
		if (sep + 2 < nf) {
			unescape_octal(f[sep + 2]);
			snprintf(m->src, sizeof(m->src), "%s", f[sep + 2]);
		}
	}
	lines_close(&l);
	return n;
}

/* ---- freeing and flushing --------------------------------------------- */

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
		sleep_ms(10);
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
