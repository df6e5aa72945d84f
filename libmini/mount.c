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

/* Bit 31 is no MS_ flag: here it marks the options that clear theirs. */
#define CLR 0x80000000u
static const struct {
	char name[12];
	uint32_t flag;
} mflags[] = {
	{"ro", MS_RDONLY},          {"rw", CLR | MS_RDONLY},
	{"nosuid", MS_NOSUID},      {"suid", CLR | MS_NOSUID},
	{"nodev", MS_NODEV},        {"dev", CLR | MS_NODEV},
	{"noexec", MS_NOEXEC},      {"exec", CLR | MS_NOEXEC},
	{"sync", MS_SYNCHRONOUS},   {"async", CLR | MS_SYNCHRONOUS},
	{"dirsync", MS_DIRSYNC},    {"noatime", MS_NOATIME},
	{"atime", CLR | MS_NOATIME}, {"nodiratime", MS_NODIRATIME},
	{"diratime", CLR | MS_NODIRATIME}, {"relatime", MS_RELATIME},
	{"norelatime", CLR | MS_RELATIME}, {"strictatime", MS_STRICTATIME},
	{"lazytime", MS_LAZYTIME},  {"nolazytime", CLR | MS_LAZYTIME},
	{"defaults", 0},
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
			uint32_t f = mflags[i].flag;
			*flags = f & CLR ? *flags & ~(unsigned long)(f & ~CLR)
					 : *flags | f;
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
	struct mountinfo mi;
	int r = lines_open(&l, AT_FDCWD, "/proc/self/mountinfo"), n = 0;
	if (r < 0)
		return r;
	while (mountinfo_next(&l, &mi)) {
		if ((dev && mi.dev != dev) || (dir && strcmp(mi.dir, dir)))
			continue;
		/* The last match is the one on top (mounts stack in order). */
		n++;
		m->dev = mi.dev;
		snprintf(m->dir, sizeof(m->dir), "%s", mi.dir);
		snprintf(m->type, sizeof(m->type), "%s", mi.type);
		snprintf(m->src, sizeof(m->src), "%s", mi.src);
	}
	lines_close(&l);
	return n;
}

/* ---- freeing and flushing --------------------------------------------- */

int loop_bind_id(int nr, struct loop_bind *b)
{
	char seq[32];
	memset(b, 0, sizeof(*b));
	if (loop_attr(-1, nr, "diskseq", seq, sizeof(seq)) >= 0) /* 5.15+ */
		parse_uint(seq, UINT64_MAX, &b->diskseq);
	int r = loop_attr(-1, nr, "loop/backing_file", b->back_file,
			  sizeof(b->back_file));
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
