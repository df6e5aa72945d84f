/* The attach engine: every attach either yields exactly the device that was
 * asked for, verified against what the kernel reports, or fails with nothing
 * left bound. The traps it steers around are in shared/docs/kernel-loop.md.
 *
 * Order of work: open the backing file (rw, else ro) without O_DIRECT and
 * probe it (window, --partition, 4Kn GPT, partition table for -P); turn
 * O_DIRECT on with fcntl where DIO is wanted; look for aliases (under the
 * lock below when -L must act on them); then, under the /dev/loop-control
 * lock, bind: GET_FREE -> open -> lock -> check unbound -> drop stale
 * partitions -> configure -> verify (-> buffered re-attach, or the legacy
 * path when the kernel got it wrong). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"
#include "probe.h"

/* GET_FREE reserves nothing: two callers can be handed the same device.
 * 64 tries with 5..165 ms of jitter (loop_backoff) bound the wait at
 * about 10 s (5 s on average), the same order as util-linux (64 x 200 ms)
 * and systemd (64 x 10-250 ms); then "no free loop device after 64 tries". */
#define ATTACH_TRIES 64
/* How long to wait for the cooperating-loopbox lock on /dev/loop-control
 * before going on without it (it is advisory: the retries keep us right),
 * and for the lock on a device (a holder of LOCK_EX is setting it up). */
#define CTL_LOCK_MS 10000
#define DEV_LOCK_MS 500
/* How long -P waits for partition nodes before creating them itself:
 * devtmpfs makes them within the scan, so only a /dev filled by a
 * hotplug helper (mdev) or by nobody (static) ever waits. */
#define PART_NODE_MS 500
/* Private codes between bind_one() and its callers. */
#define TRY_NEXT (-EAGAIN)          /* this device was taken: another one */
#define TRY_LEGACY (-ENOTRECOVERABLE) /* 5.8 LOOP_CONFIGURE misconfigured */
#define TRY_NO_DIO (-EMEDIUMTYPE)   /* DIO did not engage */

/* A failed call: the message names it, with strerror(-err). */
static int failed(struct attach_res *res, int err, const char *step)
{
	res->failed_step = step;
	return err;
}

/* A failure the call's errno would not explain: the reason in words. */
static int fail(struct attach_res *res, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct attach_res *res, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	return err;
}

struct backing {
	int fd;
	struct stat st;
	uint64_t size;      /* bytes: st_size, or BLKGETSIZE64 */
	uint32_t dio_align; /* the backing's DIO alignment */
	int direct;         /* fd has O_DIRECT */
	int has_parts;      /* the window holds a partition table with entries */
	uint32_t pt_sector; /* --partition: the table's sector size */
	int maybe_written;  /* a read lease was refused: look for writers */
};

/* The request as it is carried out: --partition turns into offset and
 * size limit, -b auto into a number. */
struct plan {
	uint64_t offset, sizelimit;
	uint32_t block_size;
	int dio;
};

static int open_backing(const struct attach_req *req, struct attach_res *res,
			struct backing *b)
{
	/* Before our own read-write open, which would make the answer yes. */
	b->maybe_written = file_maybe_written(req->file) != 0;
	int fd = open(req->file, (req->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0 && !req->ro &&
	    (errno == EROFS || errno == EACCES || errno == EPERM)) {
		res->ro_errno = errno;
		fd = open(req->file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			res->warn |= AW_RO_FALLBACK;
	}
	if (fd < 0)
		return failed(res, -errno, "open");
	b->fd = fd;
	return 0;
}

/* O_DIRECT is switched with fcntl rather than at open: the probes before
 * it read with unaligned buffers, and the buffered fallback then needs no
 * second open (which could meet another file under the same name). */
static int set_direct(struct backing *b, int on)
{
	/* Raw fcntl: musl's wrapper is 400 bytes of cases we never use. */
	long fl = syscall(SYS_fcntl, b->fd, F_GETFL);
	if (fl < 0 || syscall(SYS_fcntl, b->fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) < 0)
		return -errno;
	b->direct = on;
	return 0;
}

/* The alignment O_DIRECT needs on the backing file: statx's
 * STATX_DIOALIGN (6.1+) where the filesystem reports it, else the logical
 * block size of the device the file lives on, else 512. */
struct statx_dio {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad1;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	uint64_t ts[8];
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align, stx_dio_offset_align;
	uint64_t spare[12];
};
_Static_assert(sizeof(struct statx_dio) == 256, "struct statx is 256 bytes");
#define STATX_DIOALIGN_BIT 0x2000u

static uint32_t dio_alignment(const struct backing *b)
{
	struct statx_dio sx;
	memset(&sx, 0, sizeof(sx));
#ifdef SYS_statx
	if (syscall(SYS_statx, b->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN_BIT,
		    &sx) == 0 &&
	    (sx.stx_mask & STATX_DIOALIGN_BIT) && sx.stx_dio_offset_align)
		return sx.stx_dio_offset_align;
#endif
	dev_t dev = S_ISBLK(b->st.st_mode) ? b->st.st_rdev : b->st.st_dev;
	char path[96];
	uint64_t v;
	/* A partition has no queue/ of its own: its disk's is one up. */
	for (int up = 0; up < 2; up++) {
		snprintf(path, sizeof(path),
			 "/sys/dev/block/%u:%u/%squeue/logical_block_size",
			 major(dev), minor(dev), up ? "../" : "");
		if (sysfs_read_u64(AT_FDCWD, path, &v) == 0 && v)
			return (uint32_t)v;
	}
	return 512;
}

static int stat_backing(struct attach_res *res, struct backing *b)
{
	if (fstat(b->fd, &b->st) < 0)
		return failed(res, -errno, "fstat");
	if (S_ISDIR(b->st.st_mode))
		return fail(res, -EISDIR, "is a directory");
	if (S_ISREG(b->st.st_mode)) {
		b->size = (uint64_t)b->st.st_size;
	} else if (S_ISBLK(b->st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0)
			return failed(res, -errno, "BLKGETSIZE64");
	} else {
		return fail(res, -EINVAL,
			    "not a regular file or block device");
	}
	if (b->size == 0)
		return fail(res, -EINVAL, "image is empty (0 bytes)");
	return 0;
}

static struct ptable pt; /* 128 entries: too big for the stack */

/* The image's bytes from off: up to sizelimit, or the rest of the file. */
static uint64_t window(struct src *s, const struct backing *b, uint64_t off,
		       uint64_t sizelimit)
{
	uint64_t win = b->size - off;
	if (sizelimit && sizelimit < win)
		win = sizelimit;
	src_fd(s, b->fd, off, win);
	return win;
}

/* --partition: the image's own table, read through the window the user
 * gave (offset, and size limit or the rest of the file). */
static int resolve_partition(const struct attach_req *req,
			     struct attach_res *res, struct backing *b,
			     struct plan *pl)
{
	struct src s;
	uint64_t win = window(&s, b, req->offset, req->sizelimit);
	int r = ptable_read(&s, &pt), truncated = 0;
	if (r == -EBADMSG) {
		/* A table that is only inconsistent with the file's size is a
		 * truncated image: read it as if the disk were whole, to name
		 * the partition that is cut off. */
		src_fd(&s, b->fd, req->offset, UINT64_C(1) << 60);
		if (ptable_read(&s, &pt) == 0)
			r = 0, truncated = 1;
	}
	if (r == -ENOENT)
		return fail(res, -ENOENT,
			    "no partition table (GPT or MBR) found%s",
			    req->offset ? " at the given offset" : "");
	if (r < 0)
		return fail(res, -EBADMSG,
			    "corrupt partition table (bad CRC or entries "
			    "outside the disk, and no usable backup)");
	int i = ptable_find(&pt, req->partition);
	if (i == -EINVAL)
		return fail(res, -EINVAL,
			    "bad --partition '%s': N, PARTUUID=... or PARTLABEL=...",
			    req->partition);
	if (i < 0)
		return fail(res, -ENOENT, "partition %s not found in the %s "
			    "table (%d partitions)", req->partition,
			    pt.type == PT_GPT ? "GPT" : "MBR", pt.n);
	const struct part *p = &pt.p[i];
	if (truncated && p->start + p->size > win)
		return fail(res, -ERANGE,
			    "partition %d (bytes %llu-%llu) extends beyond the end "
			    "of the file (%llu bytes)",
			    p->nr, (unsigned long long)(req->offset + p->start),
			    (unsigned long long)(req->offset + p->start + p->size),
			    (unsigned long long)b->size);
	pl->offset = req->offset + p->start;
	pl->sizelimit = p->size;
	b->pt_sector = pt.sector;
	return 0;
}

/* -P wants a warning when the kernel's scan finds nothing on an image
 * that has a table: remember whether it has one. */
static void probe_has_parts(const struct plan *pl, struct backing *b)
{
	struct src s;
	window(&s, b, pl->offset, pl->sizelimit);
	b->has_parts = ptable_read(&s, &pt) == 0 && pt.n > 0;
}

static int check_window(const struct attach_req *req, struct attach_res *res,
			const struct backing *b, const struct plan *pl)
{
	const unsigned long long win[2] = {pl->offset, pl->sizelimit};
	for (int i = 0; i < 2; i++)
		if (win[i] % 512)
			return fail(res, -EINVAL, "%s %llu is not a multiple of 512",
				    i ? "size limit" : "offset", win[i]);
	if (pl->offset >= b->size)
		return fail(res, -EINVAL,
			    "offset %llu is at or beyond the end of the file "
			    "(%llu bytes)",
			    (unsigned long long)pl->offset,
			    (unsigned long long)b->size);
	uint32_t bs = req->block_size;
	if (bs && (bs < 512 || bs > 65536 || (bs & (bs - 1))))
		return fail(res, -EINVAL,
			    "sector size %u is not a power of two from 512 to "
			    "65536",
			    bs);
	if (S_ISBLK(b->st.st_mode) && !req->offset && !req->sizelimit &&
	    !req->partition && !req->block_size && !req->ro)
		return fail(res, -EINVAL,
			    "is a whole block device: use it directly, or give "
			    "--offset, --sizelimit, --sector-size or -r");
	if (b->size % 512)
		res->warn |= AW_NOT_512;
	if (pl->sizelimit && pl->offset + pl->sizelimit > b->size)
		res->warn |= AW_BEYOND_EOF;
	return 0;
}

/* A 4Kn image carries its GPT header at byte 4096 (LBA 1 of 4096-byte
 * sectors) and nothing at byte 512: it must be looped with 4096-byte
 * sectors or its partitions are misread. */
static int is_4kn_gpt(int fd, uint64_t off)
{
	char sig[8];
	if (pread(fd, sig, 8, (off_t)(off + 512)) == 8 && !memcmp(sig, "EFI PART", 8))
		return 0;
	return pread(fd, sig, 8, (off_t)(off + 4096)) == 8 &&
	       !memcmp(sig, "EFI PART", 8);
}

/* DIO: on where the filesystem takes O_DIRECT and the window is aligned
 * to what it needs; the block size is raised to that alignment, since a
 * smaller one makes the kernel turn DIO off without a word. */
static int plan_dio(const struct attach_req *req, struct attach_res *res,
		    struct backing *b, struct plan *pl)
{
	if (req->dio == DIO_OFF)
		return 0;
	int r = set_direct(b, 1);
	if (r < 0) {
		/* EINVAL: no O_DIRECT here (ramfs; tmpfs before 6.6). */
		if (req->dio == DIO_ON)
			return fail(res, -EINVAL,
				    "direct IO is not supported by the filesystem "
				    "holding the file");
		res->warn |= AW_DIO_FALLBACK;
		return 0;
	}
	b->dio_align = dio_alignment(b);
	const char *why = NULL;
	if (b->dio_align > 65536)
		why = "the loop driver cannot match";
	else if (pl->offset % b->dio_align)
		why = "the offset is not aligned to";
	else if (pl->block_size && pl->block_size < b->dio_align)
		why = "the sector size is smaller than";
	if (why && req->dio == DIO_ON)
		return fail(res, -EINVAL,
			    "direct IO cannot engage: %s the backing file's "
			    "direct IO alignment (%u)",
			    why, b->dio_align);
	if (why) {
		res->warn |= AW_DIO_FALLBACK;
		return set_direct(b, 0) < 0 ? failed(res, -errno, "fcntl") : 0;
	}
	if (!pl->block_size && b->dio_align > 512)
		pl->block_size = b->dio_align;
	pl->dio = 1;
	return 0;
}

/* Another bound device over the same file: two page caches over one
 * inode. Returns the aliasing device, or -1; *same is set when the
 * mapping is identical (offset and size limit), for -L reuse. */
static int find_alias(const struct plan *pl, const struct backing *b,
		      int *same)
{
	static int nrs[4096];
	int sysfd = sysfs_open();
	*same = 0;
	if (sysfd < 0)
		return -1;
	int n = loop_list_bound(sysfd, nrs, ARRAY_SIZE(nrs));
	int hit = -1;
	uint64_t end = pl->sizelimit ? pl->offset + pl->sizelimit : UINT64_MAX;
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(nrs); i++) {
		/* The ioctl alone: inode numbers are not in sysfs, and with
		 * hundreds of devices bound the sysfs reads of loop_state_get
		 * would dominate every attach. */
		struct loop_info64 st;
		int fd = loop_open(nrs[i], O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			continue;
		int r = loop_ioctl(fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64", &st);
		close(fd);
		if (r < 0)
			continue;
		int match = S_ISBLK(b->st.st_mode)
				    ? st.lo_rdevice == (uint64_t)b->st.st_rdev
				    : (st.lo_device == (uint64_t)b->st.st_dev &&
				       st.lo_inode == (uint64_t)b->st.st_ino);
		if (!match)
			continue;
		uint64_t e2 = st.lo_sizelimit ? st.lo_offset + st.lo_sizelimit
					       : UINT64_MAX;
		if (st.lo_offset >= end || pl->offset >= e2)
			continue;
		int eq = st.lo_offset == pl->offset && st.lo_sizelimit == pl->sizelimit;
		/* An identical mapping wins over a mere overlap: -L reuses it. */
		if (hit < 0 || (eq && !*same)) {
			hit = nrs[i];
			*same = eq;
		}
	}
	close(sysfd);
	return hit;
}

/* The device's partitions as sysfs lists them (a device of its own on
 * failure). Static: struct loop_devs is large, and attach is never
 * reentered. */
static struct loop_devs *parts_of(int nr)
{
	static struct loop_devs d;
	int sysfd = sysfs_open();
	if (sysfd < 0 || loop_devs_get(sysfd, nr, &d) < 0)
		d.n = 1;
	if (sysfd >= 0)
		close(sysfd);
	return &d;
}

/* What the kernel must report after a correct attach. 5.8's
 * LOOP_CONFIGURE ignored lo_sizelimit and PARTSCAN. Returns NULL, or a
 * short name of what differs. DIO is left to the caller. */
static const char *verify(int fd, int nr, const struct loop_config *cfg,
			  const struct backing *b, struct loop_state *st)
{
	if (ENABLE_FAULTS && fault_check("verify"))
		return "injected";
	if (loop_state_get(-1, nr, fd, st) < 0)
		return "state";
	const struct loop_info64 *in = &cfg->info;
	if (st->offset != in->lo_offset)
		return "offset";
	if (st->sizelimit != in->lo_sizelimit)
		return "size limit";
	if ((st->flags ^ in->lo_flags) & (LO_FLAGS_PARTSCAN | LO_FLAGS_AUTOCLEAR))
		return "flags";
	if ((in->lo_flags & LO_FLAGS_READ_ONLY) && !(st->flags & LO_FLAGS_READ_ONLY))
		return "read-only";
	if (cfg->block_size && st->block_size && st->block_size != cfg->block_size)
		return "block size";
	uint64_t want = b->size - in->lo_offset;
	if (in->lo_sizelimit && in->lo_sizelimit < want)
		want = in->lo_sizelimit;
	/* Rounded down to 512 bytes; some kernels may round to the logical
	 * block size as well. */
	uint64_t bs = cfg->block_size ? cfg->block_size : 512;
	if (st->size != (want & ~511ULL) && st->size != (want & ~(bs - 1)))
		return "size";
	return NULL;
}

static int ctl_add(int ctl, int nr)
{
	return loop_ioctl(ctl, LOOP_CTL_ADD, "LOOP_CTL_ADD", (void *)(uintptr_t)nr);
}

/* The device that bind_one() works on: the given one (created with
 * LOOP_CTL_ADD if it does not exist yet, see open_device), or the first
 * free one (a new one when GET_FREE fails). */
static int pick_device(const struct attach_req *req, struct attach_res *res,
		       int ctl, unsigned attempt)
{
	if (req->nr >= 0)
		return req->nr;
	int nr = loop_get_free(ctl);
	if (nr == -EAGAIN || nr == -EBUSY)
		return nr;
	/* GET_FREE keeps naming a device that others hold (a non-loopbox
	 * binder racing us, or a systemd LOCK_EX): past a few tries, or
	 * when the kernel would not make a device (an error other than a
	 * transient one), add the next number sysfs does not have. */
	if (nr >= 0 && attempt != 16)
		return nr;
	int first = nr >= 0 ? -EBUSY : nr;
	for (int i = 0; i < 1 << 20; i++) {
		char path[48];
		snprintf(path, sizeof(path), "/sys/block/loop%d", i);
		if (access(path, F_OK) == 0)
			continue;
		int r = ctl_add(ctl, i);
		if (r >= 0 || r != -EEXIST)
			return r >= 0 ? i : failed(res, r, "LOOP_CTL_ADD");
	}
	return failed(res, first, "LOOP_CTL_GET_FREE");
}

static int open_device(const struct attach_req *req, int ctl, int nr)
{
	/* O_RDWR always: the kernel forces READ_ONLY when the loop fd itself
	 * is not writable. */
	int fd = loop_open(nr, O_RDWR);
	if (fd == -ENODEV && req->nr >= 0 && ctl >= 0) {
		/* losetup /dev/loop300 FILE: make loop300 first. */
		int r = ctl_add(ctl, nr);
		if (r < 0 && r != -EEXIST)
			return r;
		fd = loop_open(nr, O_RDWR);
	}
	return fd;
}

/* Requested partitions have a /dev node: devtmpfs makes them during the
 * scan, udev-managed or static /dev may not. Wait (bounded), then make
 * the missing ones from sysfs numbers. Returns how many partitions the
 * device has. */
static int part_nodes(int nr)
{
	for (unsigned waited = 0;; waited += 10) {
		struct loop_devs *d = parts_of(nr);
		int missing = 0;
		for (int i = 1; i < d->n; i++) {
			char node[40];
			struct stat st;
			snprintf(node, sizeof(node), "/dev/%s", d->name[i]);
			if (stat(node, &st) == 0 && S_ISBLK(st.st_mode) &&
			    st.st_rdev == d->dev[i])
				continue;
			missing++;
			if (waited >= PART_NODE_MS) {
				unlink(node);
				mknod(node, S_IFBLK | 0660, d->dev[i]);
			}
		}
		if (!missing || waited >= PART_NODE_MS)
			return d->n - 1;
		sleep_ms(10);
	}
}

static void fill_config(const struct attach_req *req, const struct attach_res *res,
			const struct backing *b, const struct plan *pl,
			struct loop_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fd = (uint32_t)b->fd;
	cfg->block_size = pl->block_size;
	cfg->info.lo_offset = pl->offset;
	cfg->info.lo_sizelimit = pl->sizelimit;
	if (req->ro || (res->warn & AW_RO_FALLBACK))
		cfg->info.lo_flags |= LO_FLAGS_READ_ONLY;
	if (req->autoclear)
		cfg->info.lo_flags |= LO_FLAGS_AUTOCLEAR;
	if (req->partscan)
		cfg->info.lo_flags |= LO_FLAGS_PARTSCAN;
	if (pl->dio && b->direct)
		cfg->info.lo_flags |= LO_FLAGS_DIRECT_IO;
	/* lo_file_name is whatever the binder chooses: the path (its tail
	 * when too long, as util-linux does) or the caller's tag. */
	const char *name = req->ref ? req->ref : req->file;
	size_t len = strlen(name);
	if (len >= LO_NAME_SIZE) {
		name += len - (LO_NAME_SIZE - 1);
		len = LO_NAME_SIZE - 1;
	}
	memcpy(cfg->info.lo_file_name, name, len);
}

/* Before 5.8 a binding takes several calls, and a SIGKILL between
 * LOOP_SET_FD and LOOP_SET_STATUS64 leaves the device bound at offset 0
 * with the whole file (measured: 43 of 200 killed legacy attaches). The
 * calls run in a child in its own session, which holds the device fd and
 * its lock: killing the caller, or its process group, cannot stop the
 * binding halfway. (Fault counters are per process: the child's calls
 * always count from 1.) */
static int configure_legacy_detached(int fd, const struct loop_config *cfg)
{
	pid_t pid = _Fork(); /* see mini.h: no threads, no atfork handlers */
	if (pid < 0)
		return loop_configure_legacy(fd, cfg);
	if (pid == 0) {
		setsid();
		int r = loop_configure_legacy(fd, cfg);
		_exit(r < 0 && -r < 256 ? -r : r < 0 ? EIO : 0);
	}
	int status = 0;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	/* ECHILD (the caller ignores SIGCHLD): verify() tells. */
	if (w < 0 || (WIFEXITED(status) && !WEXITSTATUS(status)))
		return 0;
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
}

/* The steps on the opened device nr: 0, TRY_* or -errno. The caller
 * closes fd, or hands it over. */
static int bind_fd(const struct attach_req *req, struct attach_res *res,
		   const struct loop_config *cfg, const struct backing *b,
		   int fd, int nr, int legacy)
{
	int given = req->nr >= 0;
	/* udev (and systemd) take LOCK_SH|LOCK_NB before probing: holding
	 * LOCK_EX keeps probers off the device until it is fully set up,
	 * which is what made SET_STATUS64 fail with EAGAIN (elbe#254). A
	 * device someone else holds LOCK_EX on is theirs. */
	if (loop_lock(fd, DEV_LOCK_MS) == -EWOULDBLOCK)
		return given ? fail(res, -EBUSY, "/dev/loop%d is locked by "
				    "another process setting it up", nr)
			     : TRY_NEXT;
	/* Bound (0), or 6.11+ still tearing down (ENXIO comes only when
	 * unbound, so anything else counts as taken). */
	struct loop_info64 probe;
	if (loop_ioctl(fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64", &probe) != -ENXIO)
		return given ? fail(res, -EBUSY, "/dev/loop%d is already "
				    "bound", nr)
			     : TRY_NEXT;
	/* Partitions added with BLKPG outlive the binding (only PARTSCAN
	 * drops them at detach): a "free" device can still show the last
	 * user's loopNpM. Remove them before the device gets new content. */
	struct loop_devs *d = parts_of(nr);
	int bad, r = loop_del_parts(fd, d, &bad);
	if (r < 0)
		return fail(res, r, "/dev/loop%d is free but its stale "
			    "partition %s cannot be removed: %s", nr,
			    d->name[bad], strerror(-r));
	int have = !legacy && loop_have_configure(fd);
	r = have ? loop_ioctl_retry(fd, LOOP_CONFIGURE, "LOOP_CONFIGURE",
				    (void *)cfg)
		 : configure_legacy_detached(fd, cfg);
	if (r < 0) {
		/* EBUSY: another binder won the race for this device (it was
		 * never ours: nothing to clear). ENXIO/ENODEV: removed. */
		if (r == -EAGAIN ||
		    (!given && (r == -EBUSY || r == -ENXIO || r == -ENODEV)))
			return TRY_NEXT;
		if (r == -EBUSY)
			return fail(res, r, "/dev/loop%d is busy", nr);
		return failed(res, r, have ? "LOOP_CONFIGURE"
					   : "LOOP_SET_FD/SET_STATUS64");
	}
	const char *wrong = verify(fd, nr, cfg, b, &res->st);
	/* "dio_off": a test build's stand-in for a kernel that says no. */
	if (ENABLE_FAULTS && !wrong && fault_check("dio_off"))
		res->st.flags &= ~LO_FLAGS_DIRECT_IO;
	/* The kernel turns DIO off silently; before 6.15 a device with DIO
	 * off over an O_DIRECT fd then issues misaligned direct IO and
	 * fails. Undo before anyone saw the device. */
	int no_dio = cfg->info.lo_flags & ~res->st.flags & LO_FLAGS_DIRECT_IO;
	if (wrong || no_dio) {
		/* Ours: this process just bound it and holds its lock. */
		loop_ioctl(fd, LOOP_CLR_FD, "LOOP_CLR_FD", NULL);
		if (!wrong)
			return TRY_NO_DIO;
		/* 5.8 as released: once more through the legacy path. */
		if (!legacy)
			return TRY_LEGACY;
		return fail(res, -EIO,
			    "/dev/loop%d was configured wrongly (%s)", nr, wrong);
	}
	res->nr = nr;
	if (req->partscan && part_nodes(nr) == 0 && b->has_parts)
		res->warn |= AW_NO_PARTS;
	flock(fd, LOCK_UN);
	return 0;
}

/* One bind on one device. Returns 0, TRY_NEXT to try again (another or
 * the same free device), TRY_LEGACY / TRY_NO_DIO, or a final -errno. */
static int bind_one(const struct attach_req *req, struct attach_res *res,
		    int ctl, const struct loop_config *cfg,
		    const struct backing *b, int legacy, unsigned attempt)
{
	int nr = pick_device(req, res, ctl, attempt);
	if (nr == -EAGAIN || nr == -EBUSY)
		return TRY_NEXT;
	if (nr < 0)
		return nr;
	int fd = open_device(req, ctl, nr);
	if (fd < 0) {
		/* Removed (LOOP_CTL_REMOVE) between GET_FREE and open. */
		if (req->nr < 0 && (fd == -ENXIO || fd == -ENODEV || fd == -ENOENT))
			return TRY_NEXT;
		if (fd == -ENODEV)
			return fail(res, fd, "/dev/loop%d does not exist and "
				    "could not be created", nr);
		return failed(res, fd, "open");
	}
	int r = bind_fd(req, res, cfg, b, fd, nr, legacy);
	if (r == 0 && req->keep_fd)
		res->fd = fd;
	else
		close(fd);
	return r;
}

static int bind_loop(const struct attach_req *req, struct attach_res *res,
		     const struct loop_config *cfg, const struct backing *b,
		     int ctl)
{
	int r = TRY_NEXT, legacy = 0;
	unsigned i;
	for (i = 0; i < ATTACH_TRIES && r == TRY_NEXT; i++) {
		r = bind_one(req, res, ctl, cfg, b, legacy, i);
		if (r == TRY_LEGACY) {
			legacy = 1;
			r = TRY_NEXT;
		} else if (r == TRY_NEXT) {
			loop_backoff(i);
		}
	}
	if (r == TRY_NEXT && req->nr >= 0)
		r = fail(res, -EBUSY, "/dev/loop%d stayed busy after %u tries",
			 req->nr, i);
	else if (r == TRY_NEXT)
		r = fail(res, -EBUSY, "no free loop device after %u tries (others "
			 "kept taking them)", i);
	return r;
}

/* Under the /dev/loop-control lock: the -L alias check (there, so that
 * two loopbox -L racing over one file end with one device), then bind. */
static int attach_locked(const struct attach_req *req, struct attach_res *res,
			 struct backing *b, struct plan *pl, int ctl)
{
	int same = 0, alias = res->alias_nr;
	if (req->nooverlap)
		alias = find_alias(pl, b, &same);
	if (alias >= 0 && req->nooverlap) {
		if (!same)
			return fail(res, -EBUSY,
				    "overlaps /dev/loop%d, which maps the same "
				    "file (-L)", alias);
		/* util-linux -L: an identical mapping is reused, not doubled. */
		int r = loop_state_get(-1, alias, -1, &res->st);
		if (r < 0)
			return fail(res, r, "/dev/loop%d went away", alias);
		res->nr = alias;
		res->reused = 1;
		return 0;
	}
	if (alias >= 0) {
		res->warn |= AW_ALIAS;
		res->alias_nr = alias;
	}
	/* At most twice: TRY_NO_DIO needs DIO asked for, which the second
	 * round does not. */
	for (;;) {
		struct loop_config cfg;
		fill_config(req, res, b, pl, &cfg);
		int r = bind_loop(req, res, &cfg, b, ctl);
		if (r != TRY_NO_DIO)
			return r;
		if (req->dio == DIO_ON)
			return fail(res, -EINVAL,
				    "direct IO did not engage (the kernel turned "
				    "it off for this file)");
		res->warn |= AW_DIO_FALLBACK;
		if ((r = set_direct(b, 0)) < 0)
			return failed(res, r, "fcntl");
		pl->dio = 0;
	}
}

static int attach_fd(const struct attach_req *req, struct attach_res *res,
		     struct backing *b)
{
	struct plan pl = {req->offset, req->sizelimit, req->block_size, 0};
	int r = stat_backing(res, b);
	if (r == 0 && req->partition)
		r = resolve_partition(req, res, b, &pl);
	if (r == 0)
		r = check_window(req, res, b, &pl);
	if (r < 0)
		return r;
	/* A process writing the file directly (a VM using the image) is not
	 * seen through the loop's page cache, and both writing corrupts it. */
	if (S_ISREG(b->st.st_mode) && b->maybe_written &&
	    proc_find_writer(b->st.st_dev, b->st.st_ino, &res->writer_pid) > 0)
		res->warn |= AW_WRITERS;
	if (req->ref && strlen(req->ref) >= LO_NAME_SIZE)
		return fail(res, -ENAMETOOLONG, "tag is longer than %d bytes",
			    LO_NAME_SIZE - 1);
	/* -b auto (and no -b): 4096 for a 4Kn GPT image (or a partition
	 * taken from one); else what DIO needs (plan_dio); else 512. */
	if (!pl.block_size && req->partition && b->pt_sector > 512)
		pl.block_size = b->pt_sector;
	if (!pl.block_size && !req->partition && is_4kn_gpt(b->fd, pl.offset))
		pl.block_size = 4096;
	if (req->partscan)
		probe_has_parts(&pl, b);
	if ((r = plan_dio(req, res, b, &pl)) < 0)
		return r;

	/* Without -L an alias only warns: look outside the lock, which
	 * every cooperating attach would otherwise wait on for the scan. */
	int same;
	if (!req->nooverlap)
		res->alias_nr = find_alias(&pl, b, &same);

	int ctl = loop_ctl_open();
	if (ctl < 0 && req->nr < 0)
		return fail(res, ctl, "/dev/loop-control: %s (is the loop "
			    "driver loaded?)", strerror(-ctl));
	/* Cooperating loopbox processes queue here instead of racing for
	 * the same free device (firecracker-containerd#141), and -L sees
	 * every mapping another loopbox is making. */
	if (ctl >= 0)
		loop_lock(ctl, CTL_LOCK_MS);
	r = attach_locked(req, res, b, &pl, ctl);
	if (ctl >= 0)
		close(ctl);
	return r;
}

int loop_attach(const struct attach_req *req, struct attach_res *res)
{
	memset(res, 0, sizeof(*res));
	res->nr = -1;
	res->fd = -1;
	res->alias_nr = -1;
	struct backing b;
	memset(&b, 0, sizeof(b));
	int r = open_backing(req, res, &b);
	if (r < 0)
		return r;
	r = attach_fd(req, res, &b);
	close(b.fd);
	return r;
}
