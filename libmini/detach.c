/* Synchronous, durable teardown. When loop_detach() returns 0 the device is
 * unbound and every byte written through it is in the backing file and
 * flushed to the backing file's storage. Other losetups return 0 while a
 * mounted or held-open device stays bound (shared/docs/peers.md).
 *
 * Kernel facts this is built on (shared/docs/kernel-loop.md, Teardown):
 * - Up to 6.10 a sole opener's LOOP_CLR_FD tears down inside the ioctl
 *   without writing the device's dirty pages back (the osbuild data loss);
 *   with other openers it only sets AUTOCLEAR.
 * - From 6.11 LOOP_CLR_FD only sets AUTOCLEAR; teardown happens at last
 *   close, and GET_STATUS64 says ENXIO while loop/ still exists.
 * - fsync() of the loop device writes its page cache back and sends a
 *   flush, which the loop driver turns into vfs_fsync() of the backing
 *   file: that is what makes the data durable, not the teardown.
 * - Partitions added by BLKPG (partx, addpart) survive the unbind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"

struct ctx {
	const struct detach_req *req;
	struct detach_res *res;
	int fd, sysfd, procfd, backfd;
	uint64_t end;                /* deadline, CLOCK_MONOTONIC ms */
	struct loop_info64 info;
	struct loop_devs devs;
};

static int fail(struct ctx *c, int err, const char *step)
{
	c->res->failed_step = step;
	return err;
}

/* The device and its partitions; without /sys, the device alone. */
static void get_devs(struct ctx *c)
{
	struct stat st;
	/* loop_devs_get clears devs first, also when it fails. */
	if (loop_devs_get(c->sysfd, c->req->nr, &c->devs) > 0 ||
	    fstat(c->fd, &st) < 0)
		return;
	c->devs.n = 1;
	c->devs.dev[0] = st.st_rdev;
	snprintf(c->devs.name[0], sizeof(c->devs.name[0]), "loop%d", c->req->nr);
}

/* The backing file, opened now so it can be fsynced after the unbind,
 * when sysfs no longer names it. The sysfs path is the file's current
 * path (d_path follows renames), but it may be " (deleted)", or belong to
 * another mount namespace, or be a new file at the old path: only a file
 * whose identity matches lo_device/lo_inode (lo_rdevice for a block
 * device) is used. Without it durability still holds: fsync of the loop
 * device already made the driver vfs_fsync() its own backing file. */
static void open_backing(struct ctx *c)
{
	struct loop_state st;
	int fd = loop_state_get(c->sysfd, c->req->nr, c->fd, &st) == 0
			 ? backing_open(&st) : -1;
	c->backfd = fd < 0 ? -1 : fd;
}

/* Partitions have page caches of their own: write each back and drop it
 * too. A node that does not exist cannot have been written through. */
static int flush_parts(struct ctx *c)
{
	int r = 0;
	for (int i = 1; i < c->devs.n; i++) {
		char path[40];
		snprintf(path, sizeof(path), "/dev/%s", c->devs.name[i]);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) &&
		    st.st_rdev == c->devs.dev[i]) {
			if (fsync(fd) < 0 && !r)
				r = -errno;
			ioctl(fd, BLKFLSBUF, 0);
		}
		close(fd);
	}
	return r;
}

/* Everything written through the device so far reaches the backing file
 * and its storage. BLKFLSBUF also drops the device's clean cache; it needs
 * CAP_SYS_ADMIN, and the fsync alone is what durability needs: only
 * loop_flush, whose point is the dropped cache, fails without it. */
static int flush(struct ctx *c, int drop)
{
	int r = flush_parts(c);
	if (r < 0)
		return fail(c, r, "fsync");
	if (fsync(c->fd) < 0)
		return fail(c, -errno, "fsync");
	if (ioctl(c->fd, BLKFLSBUF, 0) < 0 && drop)
		return fail(c, -errno, "BLKFLSBUF");
	return 0;
}

/* Autoclear through SET_STATUS64: the teardown then happens at the last
 * close, which writes the page cache back first, on every kernel.
 * (LOOP_CLR_FD would do the same while others hold the device, but up to
 * 6.10 it tears down at once, unsynced, if they close in between.) 7.0
 * refuses SET_STATUS64 under an exclusive opener: LOOP_CLR_FD then. */
static int set_autoclear(struct ctx *c)
{
	struct loop_info64 info = c->info;
	info.lo_flags |= LO_FLAGS_AUTOCLEAR;
	int r = loop_ioctl_retry(c->fd, LOOP_SET_STATUS64, "LOOP_SET_STATUS64",
				 &info);
	if (r < 0)
		r = loop_ioctl(c->fd, LOOP_CLR_FD, "LOOP_CLR_FD", NULL);
	return r == -ENXIO ? 0 : r;
}

static int is_unbound(struct ctx *c)
{
	char path[48];
	if (c->sysfd >= 0) {
		snprintf(path, sizeof(path), "block/loop%d/loop", c->req->nr);
		return !sysfs_exists(c->sysfd, path);
	}
	/* No /sys (an early initramfs): ask the device. Opening it delays a
	 * 6.11+ teardown only until we close it again. */
	int fd = loop_open(c->req->nr, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return 1;
	struct loop_info64 info;
	int r = loop_ioctl(fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64", &info);
	close(fd);
	return r == -ENXIO;
}

static int wait_unbound(struct ctx *c)
{
	for (long ms = 1; !is_unbound(c); ms = ms < 64 ? ms * 2 : 64) {
		if (now_ms() >= c->end)
			return 0;
		sleep_ms(ms);
	}
	return 1;
}

/* Processes with the device open (none without /proc). */
static int openers(struct ctx *c)
{
	return proc_find_openers(c->procfd, &c->devs, c->res->holder_pid,
				 c->res->holder_comm, DETACH_MAX_HOLDERS);
}

/* Names whoever still keeps the device bound after the wait. */
static int report_busy(struct ctx *c)
{
	struct detach_res *res = c->res;
	int n = openers(c);
	res->lazy_done = 1;
	if (n > 0) {
		res->nholders = n < DETACH_MAX_HOLDERS ? n : DETACH_MAX_HOLDERS;
		return -EBUSY;
	}
	snprintf(res->why, sizeof(res->why),
		 "still bound after %llu ms, but no process has it open (a "
		 "mount in another namespace, swap, or another loop device "
		 "over it?); autoclear is set: it is freed at its last close",
		 (unsigned long long)c->req->timeout_ms);
	return -EBUSY;
}

/* Mounted, or (with holders) stacked under dm/md: refuse, the user has to
 * undo that. */
static int check_users(struct ctx *c, int holders)
{
	struct detach_res *res = c->res;
	char mnt[sizeof(res->mountpoint) - 64];
	/* (Without /proc or /sys these fail, which counts as nothing.) */
	int i = proc_find_mount(c->procfd, &c->devs, mnt, sizeof(mnt));
	if (i > 1)
		snprintf(res->mountpoint, sizeof(res->mountpoint),
			 "%s (through /dev/%s)", mnt, c->devs.name[i - 1]);
	else if (i == 1)
		snprintf(res->mountpoint, sizeof(res->mountpoint), "%s", mnt);
	if (i > 0)
		return -EBUSY;
	if (holders && sys_find_holder(c->sysfd, &c->devs, res->dm_holder,
				       sizeof(res->dm_holder)) > 0)
		return -EBUSY;
	return 0;
}

/* LOOP_CTL_REMOVE is EBUSY while anyone has the device open, which udev
 * does for a moment after the unbind's uevent. */
static int remove_dev(struct ctx *c)
{
	int ctl = loop_ctl_open();
	if (ctl < 0)
		return fail(c, ctl, "open /dev/loop-control");
	int r;
	for (unsigned i = 0;; i++) {
		r = loop_ioctl(ctl, LOOP_CTL_REMOVE, "LOOP_CTL_REMOVE",
			       (void *)(uintptr_t)c->req->nr);
		if (r != -EBUSY || (i >= 8 && now_ms() >= c->end) || i >= 64)
			break;
		loop_backoff(i);
	}
	close(ctl);
	if (r == -ENODEV)
		r = 0;
	return r < 0 ? fail(c, r, "LOOP_CTL_REMOVE") : 0;
}

/* After the unbind: the backing file's own fsync, then --remove. */
static int finish(struct ctx *c)
{
	if (c->backfd >= 0 && fsync(c->backfd) < 0 && errno != EINVAL)
		return fail(c, -errno, "fsync backing file");
	return c->req->remove ? remove_dev(c) : 0;
}

static int detach(struct ctx *c)
{
	struct detach_res *res = c->res;
	int r;
	if (!c->req->lazy && (r = check_users(c, 1)) < 0)
		return r;
	open_backing(c);
	/* Before 6.11 a sole opener's LOOP_CLR_FD tears down at once: if a
	 * holder closed between our flush and it, the holder's last writes
	 * would be dropped, so with holders we only set autoclear. From 6.11
	 * LOOP_CLR_FD itself only sets autoclear and the teardown (with its
	 * sync) is at the last close: the /proc walk is needed only if the
	 * device then stays bound (report_busy). */
	int held = loop_clr_fd_is_deferred() ? 0 : openers(c);
	if ((r = flush(c, 0)) < 0)
		return r;

	if (c->req->lazy || held > 0) {
		if ((r = set_autoclear(c)) < 0)
			return fail(c, r, "LOOP_SET_STATUS64");
		/* The data is already in the file; make it durable now, since
		 * nobody will fsync the file at the holders' last close. */
		if (c->backfd >= 0)
			fsync(c->backfd);
		close(c->fd);
		c->fd = -1;
		if (c->req->lazy) {
			res->lazy_done = !is_unbound(c);
			return res->lazy_done ? 0 : finish(c);
		}
	} else {
		/* Partitions added with BLKPG stay after the unbind, on a
		 * free device. */
		int bad;
		if ((r = loop_del_parts(c->fd, &c->devs, &bad)) < 0)
			return fail(c, r, "BLKPG_DEL_PARTITION");
		r = loop_ioctl(c->fd, LOOP_CLR_FD, "LOOP_CLR_FD", NULL);
		if (r < 0 && r != -ENXIO)
			return fail(c, r, "LOOP_CLR_FD");
		/* 6.11+: the teardown happens in this close. */
		close(c->fd);
		c->fd = -1;
	}
	if (!wait_unbound(c))
		return report_busy(c);
	res->nholders = 0;
	return finish(c);
}

/* The device (locked for a detach), its state and partitions, and the
 * /sys and /proc they are looked up in; ctx_close undoes it all. */
static int ctx_open(struct ctx *c, const struct detach_req *req,
		    struct detach_res *res, int lock)
{
	memset(res, 0, sizeof(*res));
	memset(c, 0, sizeof(*c));
	c->req = req;
	c->res = res;
	c->end = now_ms() + req->timeout_ms;
	c->sysfd = c->procfd = c->backfd = -1;
	c->fd = loop_open(req->nr, O_RDONLY);
	if (c->fd < 0)
		return fail(c, c->fd, "open");
	c->sysfd = sysfs_open();
	c->procfd = proc_open();
	/* udev and systemd take LOCK_SH|LOCK_NB before probing and skip a
	 * locked device, so holding LOCK_EX keeps probers from opening it
	 * while we tear it down. A lock that is never released belongs to
	 * a process that has the device open: the opener scan names it, so
	 * after a second at most we go on without the lock. */
	if (lock)
		loop_lock(c->fd, req->timeout_ms < 1000 ? (unsigned)req->timeout_ms
							 : 1000);
	int r = loop_ioctl(c->fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64", &c->info);
	if (r < 0)
		return fail(c, r, "LOOP_GET_STATUS64");
	get_devs(c);
	return 0;
}

static void ctx_close(struct ctx *c)
{
	int *fds[] = {&c->fd, &c->backfd, &c->sysfd, &c->procfd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

int loop_detach(const struct detach_req *req, struct detach_res *res)
{
	struct ctx c;
	int r = ctx_open(&c, req, res, 1);
	if (r == 0)
		r = detach(&c);
	ctx_close(&c);
	return r;
}

/* A loop device has its own page cache: after the backing file was changed
 * directly, reads through the device still return what it cached. Writing
 * it back and dropping it makes the device show the file again; a mounted
 * filesystem keeps its own state, so that is refused. */
int loop_flush(int nr, struct detach_res *res)
{
	struct detach_req req = {.nr = nr};
	struct ctx c;
	int r = ctx_open(&c, &req, res, 0);
	if (r == 0)
		r = check_users(&c, 0); /* dm reads bypass the loop's cache */
	if (r == 0)
		r = flush(&c, 1);
	ctx_close(&c);
	return r;
}
