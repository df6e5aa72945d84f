/* Loop device primitives: find, open, configure, read state. Each returns
 * 0 (or a number) / -errno and leaves no half-done work behind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"

int loop_ioctl(int fd, unsigned long req, const char *name, void *arg)
{
	if (ENABLE_FAULTS) {
		int f = fault_check(name);
		if (f)
			return f;
	}
	int r = ioctl(fd, req, arg);
	return r < 0 ? -errno : r;
}

/* Sleeps a random 10..base+10 ms: callers racing for one device must not
 * retry in lockstep. */
void loop_backoff(unsigned attempt)
{
	static unsigned seed;
	if (!seed)
		seed = (unsigned)getpid() ^ (unsigned)now_usec();
	seed = seed * 1103515245u + 12345u;
	unsigned cap = 10u << (attempt < 4 ? attempt : 4); /* 10..160 ms */
	unsigned ms = 5 + (seed >> 8) % cap;
	sleep_ms(ms);
}

int loop_lock(int fd, unsigned ms)
{
	for (unsigned waited = 0;; waited++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (waited >= ms)
			return -EWOULDBLOCK;
		sleep_ms(1);
	}
}

int loop_ctl_open(void)
{
	if (ENABLE_FAULTS && fault_check("open_ctl"))
		return -ENOENT;
	int fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* Static /dev without devtmpfs: the number sysfs gives, else
		 * the fixed 10:237, whose open loads the module when loop is
		 * not loaded yet (and sysfs has no entry). */
		dev_t dev = makedev(10, LOOP_CTL_MINOR);
		sysfs_read_devnum(AT_FDCWD, "/sys/class/misc/loop-control/dev", &dev);
		if (mknod("/dev/loop-control", S_IFCHR | 0600, dev) < 0 &&
		    errno != EEXIST)
			return -errno;
		fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int loop_get_free(int ctlfd)
{
	return loop_ioctl(ctlfd, LOOP_CTL_GET_FREE, "LOOP_CTL_GET_FREE", NULL);
}

void loop_path(int nr, char *buf, size_t size)
{
	/* Android and some old udev rules put the nodes in /dev/loop/N only:
	 * print the node that exists. */
	snprintf(buf, size, "/dev/loop/%d", nr);
	if (access(buf, F_OK) == 0 && access("/dev/loop0", F_OK) != 0)
		return;
	snprintf(buf, size, "/dev/loop%d", nr);
}

static int parse_nr(const char *s)
{
	uint64_t v;
	if (parse_uint(s, 1u << 20, &v))
		return -EINVAL;
	return (int)v;
}

/* "loopN...": where the digits start, else NULL. */
static const char *loop_digits(const char *s)
{
	return strncmp(s, "loop", 4) || s[4] < '0' || s[4] > '9' ? NULL : s + 4;
}

int loop_parse_name(const char *s)
{
	/* "/dev/loop/N" (Android), "/dev/loopN", "loopN" */
	const char *n = !strncmp(s, "/dev/", 5) ? s + 5 : s;
	if (!strncmp(n, "loop", 4) && n[4] == '/' && n > s)
		return parse_nr(n + 5);
	if ((n = loop_digits(n)))
		return parse_nr(n);
	/* Any other path (a udev symlink, a node elsewhere): ask sysfs which
	 * device that number is, never compute it from the minor. */
	struct stat st;
	if (stat(s, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	int part, nr = loop_of_dev(st.st_rdev, &part);
	return nr >= 0 && part ? -ENODEV : nr;
}

int loop_of_dev(dev_t dev, int *part)
{
	char link[64], target[256];
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -ENODEV;
	target[n] = 0;
	/* ".../block/loop3" or ".../block/loop3/loop3p1" */
	char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!loop_digits(base))
		return -ENODEV;
	char *p = strchr(base + 4, 'p');
	uint64_t nr, pn = 0;
	if (p)
		*p = 0;
	if (parse_uint(base + 4, 1u << 20, &nr) < 0 ||
	    (p && parse_uint(p + 1, 1u << 20, &pn) < 0))
		return -ENODEV;
	*part = (int)pn;
	return (int)nr;
}

int loop_open(int nr, int flags)
{
	char path[32];
	loop_path(nr, path, sizeof(path));
	int fd = (ENABLE_FAULTS && fault_check("open_dev")) ? (errno = ENOENT, -1)
							      : open(path, flags | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd < 0 ? -errno : fd;
	/* No node (static /dev, or a deleted node: util-linux#3197): create
	 * it from the number sysfs gives, which depends on max_part. */
	char attr[48];
	dev_t dev;
	snprintf(attr, sizeof(attr), "/sys/block/loop%d/dev", nr);
	int r = sysfs_read_devnum(AT_FDCWD, attr, &dev);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	snprintf(path, sizeof(path), "/dev/loop%d", nr);
	if (mknod(path, S_IFBLK | 0660, dev) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int loop_have_configure(int fd)
{
	static int have = -1;
	if (have < 0) {
		/* fget(-1) fails before anything else is looked at: EBADF
		 * means the ioctl exists (5.8+); EINVAL/ENOTTY mean it does
		 * not. */
		struct loop_config probe;
		memset(&probe, 0, sizeof(probe));
		probe.fd = (uint32_t)-1;
		int r = loop_ioctl(fd, LOOP_CONFIGURE, "LOOP_CONFIGURE", &probe);
		have = r == -EBADF;
	}
	return have;
}

/* EAGAIN (5.0-5.18, 4.14.y): the page cache was refilled by a prober
 * during invalidation. Retry with bounded, jittered backoff. */
int loop_ioctl_retry(int fd, unsigned long req, const char *name, void *arg)
{
	int r;
	for (unsigned i = 0; i < 64; i++) {
		r = loop_ioctl(fd, req, name, arg);
		if (r != -EAGAIN)
			return r;
		loop_backoff(i);
	}
	return r;
}

/* Kernels before 5.8: four ioctls with intermediate states. A failure
 * after LOOP_SET_FD clears the device again, so nobody sees a device bound
 * at the wrong offset (the toybox half-configured-device bug). */
int loop_configure_legacy(int fd, const struct loop_config *cfg)
{
	int r = loop_ioctl(fd, LOOP_SET_FD, "LOOP_SET_FD",
			   (void *)(uintptr_t)cfg->fd);
	if (r < 0)
		return r;
	struct loop_info64 info = cfg->info;
	/* READ_ONLY comes from the fd's mode; DIO has its own ioctl. */
	info.lo_flags &= LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
	/* The block size before the status: SET_STATUS64 with PARTSCAN scans
	 * the table, and GPT offsets are in logical blocks. */
	if (cfg->block_size)
		r = loop_ioctl_retry(fd, LOOP_SET_BLOCK_SIZE,
				     "LOOP_SET_BLOCK_SIZE",
				     (void *)(uintptr_t)cfg->block_size);
	if (r >= 0)
		r = loop_ioctl_retry(fd, LOOP_SET_STATUS64, "LOOP_SET_STATUS64",
				     &info);
	if (r >= 0 && (cfg->info.lo_flags & LO_FLAGS_DIRECT_IO)) {
		/* DIO refusal is not fatal here: the caller verifies the
		 * effective state and decides. */
		(void)loop_ioctl_retry(fd, LOOP_SET_DIRECT_IO,
				       "LOOP_SET_DIRECT_IO", (void *)1UL);
	}
	if (r < 0) {
		int saved = r;
		loop_ioctl(fd, LOOP_CLR_FD, "LOOP_CLR_FD", NULL);
		return saved;
	}
	return 0;
}

int loop_attr(int sysfd, int nr, const char *attr, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/block/loop%d/%s", nr, attr);
	return sysfs_read_str(sysfd < 0 ? AT_FDCWD : sysfd,
			      sysfd < 0 ? path : path + 5, buf, size);
}

/* The state as sysfs shows it: for callers without the device open (a
 * listing, maybe not as root). */
static int state_from_sysfs(int sysfd, int nr, struct loop_state *st)
{
	/* In the order of v[]; the last four are flags, with these bits. */
	static const char attr[] = "loop/offset\0loop/sizelimit\0size\0"
		"queue/logical_block_size\0ro\0loop/autoclear\0loop/partscan\0"
		"loop/dio";
	static const uint8_t bit[] = {LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR,
				      LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO};
	uint64_t v[8];
	const char *a = attr;
	char buf[32];
	if (loop_attr(sysfd, nr, "dev", buf, sizeof(buf)) < 0 ||
	    parse_devnum(buf, 10, &st->dev) < 0)
		return -ENODEV;
	if (loop_attr(sysfd, nr, "loop/backing_file", st->back_file,
		      sizeof(st->back_file)) == -ENOENT)
		return -ENXIO; /* loop/ exists only while bound */
	for (int i = 0; i < 8; i++, a += strlen(a) + 1) {
		v[i] = 0;
		if (loop_attr(sysfd, nr, a, buf, sizeof(buf)) >= 0)
			parse_uint(buf, UINT64_MAX, &v[i]);
		if (i >= 4 && v[i])
			st->flags |= bit[i - 4];
	}
	st->offset = v[0];
	st->sizelimit = v[1];
	st->size = v[2] * 512;
	st->block_size = (uint32_t)v[3];
	return 0;
}

int loop_state_get(int sysfd, int nr, int fd, struct loop_state *st)
{
	struct loop_info64 info;
	struct stat s;
	memset(st, 0, sizeof(*st));
	st->nr = nr;
	/* Held open (attach's verification, detach): everything but the
	 * full backing path (lo_file_name is the binder's choice, 64 bytes)
	 * comes from the fd, not from ten sysfs reads. An fd that is not a
	 * loop device falls back to sysfs. */
	int r = fd < 0 ? -EBADF
		       : loop_ioctl(fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64",
				    &info);
	if (r == -ENXIO)
		return r; /* unbound; 6.11+: unbinding, loop/ not yet gone */
	if (r == 0 && fstat(fd, &s) == 0 &&
	    ioctl(fd, BLKGETSIZE64, &st->size) == 0 &&
	    ioctl(fd, BLKSSZGET, &st->block_size) == 0) {
		st->dev = s.st_rdev;
		loop_attr(sysfd, nr, "loop/backing_file", st->back_file,
			  sizeof(st->back_file));
	} else {
		int e = state_from_sysfs(sysfd, nr, st);
		if (e < 0)
			return e;
		if (fd < 0) {
			/* Inode and device numbers exist only in the ioctl. */
			fd = loop_open(nr, O_RDONLY | O_NONBLOCK);
			r = fd < 0 ? fd
				   : loop_ioctl(fd, LOOP_GET_STATUS64,
						"LOOP_GET_STATUS64", &info);
			if (fd >= 0)
				close(fd);
			if (r == -ENXIO)
				return r;
		}
		if (r < 0)
			return 0; /* sysfs alone is enough for most callers */
	}
	st->back_dev = info.lo_device;
	st->back_ino = info.lo_inode;
	st->back_rdev = info.lo_rdevice;
	st->offset = info.lo_offset;
	st->sizelimit = info.lo_sizelimit;
	st->flags = info.lo_flags;
	memcpy(st->name, info.lo_file_name, LO_NAME_SIZE);
	st->name[LO_NAME_SIZE] = 0;
	if (!st->back_file[0])
		memcpy(st->back_file, st->name, LO_NAME_SIZE + 1);
	return 0;
}

int loop_list_bound(int sysfd, int *nrs, int max)
{
	struct dirit d; /* no malloc: musl's fdopendir allocates */
	int err = dir_open(&d, sysfd, "block");
	if (err < 0)
		return err;
	int n = 0;
	const char *name;
	while ((name = dir_next(&d, NULL))) {
		const char *digits = loop_digits(name);
		if (!digits)
			continue;
		char path[300];
		snprintf(path, sizeof(path), "block/%s/loop", name);
		int nr = parse_nr(digits);
		if (nr < 0 || !sysfs_exists(sysfd, path))
			continue;
		if (n < max)
			nrs[n] = nr;
		n++;
	}
	dir_close(&d);
	return n;
}

/* 1 on kernels where LOOP_CLR_FD only sets autoclear and the teardown
 * happens at the last close (6.11+). A kernel that says less but has the
 * change backported is treated as old, which is only slower. */
int loop_clr_fd_is_deferred(void)
{
	static int v = -1;
	if (v < 0) {
		/* "6.18.44-fc" -> 6.18; anything unreadable counts as old. */
		struct utsname u;
		unsigned n = 0, ver = 0;
		const char *s = uname(&u) == 0 ? u.release : "";
		for (; (*s >= '0' && *s <= '9') || (*s == '.' && !ver); s++)
			if (*s == '.')
				ver = n * 1000, n = 0;
			else
				n = n * 10 + (unsigned)(*s - '0');
		v = ver + n >= 6011;
	}
	return v;
}
