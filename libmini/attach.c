/* The attach engine: every attach either yields exactly the device that was
 * asked for, verified against what the kernel reports, or fails with nothing
 * left bound. The traps it steers around are in shared/docs/kernel-loop.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mini.h"

/* GET_FREE reserves nothing: two callers can be handed the same device.
 * 64 tries with 10..160 ms jitter bound the wait at about 8 s, the same
 * order as util-linux (64 x 200 ms) and systemd (64 x 10-250 ms). */
#define ATTACH_TRIES 64

static int fail(struct attach_res *res, int err, const char *step,
		const char *fmt, ...)
{
	res->failed_step = step;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(res->why, sizeof(res->why), fmt, ap);
		va_end(ap);
	}
	return err;
}

struct backing {
	int fd;
	struct stat st;
	uint64_t size;      /* bytes: st_size, or BLKGETSIZE64 */
	uint32_t dio_align; /* the backing's DIO alignment, 0 = unknown */
	int direct;         /* fd has O_DIRECT */
};

static int open_backing(const struct attach_req *req, struct attach_res *res,
			int direct, struct backing *b)
{
	int flags = O_CLOEXEC | (direct ? O_DIRECT : 0);
	int ro = req->ro || (res->warn & AW_RO_FALLBACK);
	int fd = open(req->file, (ro ? O_RDONLY : O_RDWR) | flags);
	if (fd < 0 && !ro &&
	    (errno == EROFS || errno == EACCES || errno == EPERM)) {
		res->ro_errno = errno;
		fd = open(req->file, O_RDONLY | flags);
		if (fd >= 0)
			res->warn |= AW_RO_FALLBACK;
	}
	if (fd < 0)
		return -errno;
	b->fd = fd;
	b->direct = direct;
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
	char path[80];
	uint64_t v;
	/* A partition has no queue/ of its own: its disk's is one up. */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/logical_block_size",
		 major(dev), minor(dev));
	if (sysfs_read_u64(AT_FDCWD, path, &v) == 0)
		return (uint32_t)v;
	snprintf(path, sizeof(path),
		 "/sys/dev/block/%u:%u/../queue/logical_block_size", major(dev),
		 minor(dev));
	if (sysfs_read_u64(AT_FDCWD, path, &v) == 0)
		return (uint32_t)v;
	return 512;
}

static int stat_backing(const struct attach_req *req, struct attach_res *res,
			struct backing *b)
{
	if (fstat(b->fd, &b->st) < 0)
		return fail(res, -errno, "fstat", NULL);
	if (S_ISDIR(b->st.st_mode))
		return fail(res, -EISDIR, NULL, "is a directory");
	if (S_ISREG(b->st.st_mode)) {
		b->size = (uint64_t)b->st.st_size;
	} else if (S_ISBLK(b->st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0)
			return fail(res, -errno, "BLKGETSIZE64", NULL);
	} else {
		return fail(res, -EINVAL, NULL,
			    "not a regular file or block device");
	}
	if (b->size == 0)
		return fail(res, -EINVAL, NULL, "image is empty (0 bytes)");
	return 0;
}

static int check_window(const struct attach_req *req, struct attach_res *res,
			const struct backing *b)
{
	if (req->offset % 512)
		return fail(res, -EINVAL, NULL,
			    "offset %llu is not a multiple of 512",
			    (unsigned long long)req->offset);
	if (req->sizelimit % 512)
		return fail(res, -EINVAL, NULL,
			    "size limit %llu is not a multiple of 512",
			    (unsigned long long)req->sizelimit);
	if (req->offset >= b->size)
		return fail(res, -EINVAL, NULL,
			    "offset %llu is at or beyond the end of the file "
			    "(%llu bytes)",
			    (unsigned long long)req->offset,
			    (unsigned long long)b->size);
	uint32_t bs = req->block_size;
	if (bs && (bs < 512 || bs > 65536 || (bs & (bs - 1))))
		return fail(res, -EINVAL, NULL,
			    "sector size %u is not a power of two from 512 to "
			    "65536",
			    bs);
	if (S_ISBLK(b->st.st_mode) && !req->offset && !req->sizelimit &&
	    !req->partition && !req->block_size && !req->ro)
		return fail(res, -EINVAL, NULL,
			    "is a whole block device: use it directly, or give "
			    "--offset, --sizelimit, --sector-size or -r");
	if (b->size % 512)
		res->warn |= AW_NOT_512;
	if (req->sizelimit && req->offset + req->sizelimit > b->size)
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

/* Another bound device over the same file: two page caches over one
 * inode. Returns the aliasing device, or -1; *same is set when the
 * mapping is identical (offset and size limit), for -L reuse. */
static int find_alias(const struct attach_req *req, const struct backing *b,
		      int *same)
{
	int nrs[256], sysfd = sysfs_open();
	if (sysfd < 0)
		return -1;
	int n = loop_list_bound(sysfd, nrs, ARRAY_SIZE(nrs));
	int hit = -1;
	uint64_t end = req->sizelimit ? req->offset + req->sizelimit : UINT64_MAX;
	*same = 0;
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(nrs) && hit < 0; i++) {
		struct loop_state st;
		if (loop_state_get(sysfd, nrs[i], -1, &st) < 0)
			continue;
		int match = S_ISBLK(b->st.st_mode)
				    ? st.back_rdev == (uint64_t)b->st.st_rdev
				    : (st.back_dev == (uint64_t)b->st.st_dev &&
				       st.back_ino == (uint64_t)b->st.st_ino);
		if (!match)
			continue;
		uint64_t e2 = st.sizelimit ? st.offset + st.sizelimit : UINT64_MAX;
		if (st.offset >= end || req->offset >= e2)
			continue;
		hit = nrs[i];
		*same = st.offset == req->offset && st.sizelimit == req->sizelimit;
	}
	close(sysfd);
	return hit;
}

/* What the kernel must report after a correct attach. 5.8's
 * LOOP_CONFIGURE ignored lo_sizelimit and PARTSCAN; a silent DIO fallback
 * leaves DIRECT_IO clear. Returns 0, or a short name of what differs. */
static const char *verify(int fd, int nr, const struct loop_config *cfg,
			  const struct backing *b, struct loop_state *st)
{
	int sysfd = sysfs_open();
	int r = loop_state_get(sysfd, nr, fd, st);
	if (sysfd >= 0)
		close(sysfd);
	if (r < 0)
		return "state";
	const struct loop_info64 *in = &cfg->info;
	if (st->offset != in->lo_offset || st->sizelimit != in->lo_sizelimit)
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
	uint64_t got;
	if (ioctl(fd, BLKGETSIZE64, &got) == 0 && got != (want & ~511ULL))
		return "size";
	return NULL;
}

static void clear_dev(int fd)
{
	/* Only ever called on a device this process just bound. */
	loop_ioctl(fd, LOOP_CLR_FD, "LOOP_CLR_FD", NULL);
}

/* One bind on one free device. Returns 0, -EAGAIN to try another device,
 * or a final -errno. */
static int bind_one(const struct attach_req *req, struct attach_res *res,
		    int ctl, const struct loop_config *cfg,
		    const struct backing *b, int legacy)
{
	int nr = req->nr >= 0 ? req->nr : loop_get_free(ctl);
	if (nr < 0)
		return fail(res, nr, "LOOP_CTL_GET_FREE", NULL);
	/* O_RDWR always: the kernel forces READ_ONLY when the loop fd itself
	 * is not writable. */
	int fd = loop_open(nr, O_RDWR);
	if (fd < 0) {
		if (req->nr < 0 && (fd == -ENXIO || fd == -ENODEV || fd == -ENOENT))
			return -EAGAIN;
		return fail(res, fd, "open", NULL);
	}
	/* udev (and systemd) take LOCK_SH|LOCK_NB before probing: holding
	 * LOCK_EX keeps probers off the device until it is fully set up,
	 * which is what made SET_STATUS64 fail with EAGAIN (elbe#254). */
	flock(fd, LOCK_EX);
	struct loop_info64 probe;
	int r = loop_ioctl(fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64", &probe);
	if (r == 0) {
		close(fd);
		if (req->nr >= 0)
			return fail(res, -EBUSY, NULL,
				    "/dev/loop%d is already bound", nr);
		return -EAGAIN;
	}
	const char *step = legacy || !loop_have_configure(fd) ? "LOOP_SET_FD"
							     : "LOOP_CONFIGURE";
	r = legacy ? loop_configure_legacy(fd, cfg) : loop_configure(fd, cfg);
	if (r < 0) {
		close(fd);
		if ((r == -EBUSY || r == -EAGAIN) && req->nr < 0)
			return -EAGAIN;
		if (r == -EBUSY)
			return fail(res, r, NULL, "/dev/loop%d is busy", nr);
		return fail(res, r, step, NULL);
	}
	const char *bad = verify(fd, nr, cfg, b, &res->st);
	if (bad) {
		clear_dev(fd);
		close(fd);
		/* 5.8 as released: retry once through the legacy path. */
		if (!legacy)
			return -ENOTRECOVERABLE;
		return fail(res, -EIO, NULL,
			    "/dev/loop%d was configured wrongly (%s)", nr, bad);
	}
	flock(fd, LOCK_UN);
	res->nr = nr;
	if (req->keep_fd)
		res->fd = fd;
	else
		close(fd);
	return 0;
}

static int bind_loop(const struct attach_req *req, struct attach_res *res,
		     struct loop_config *cfg, const struct backing *b)
{
	int ctl = loop_ctl_open();
	if (ctl < 0 && req->nr < 0)
		return fail(res, ctl, NULL, "/dev/loop-control: %s",
			    strerror(-ctl));
	/* Cooperating loopbox processes queue here instead of racing for
	 * the same free device (firecracker-containerd#141). */
	if (ctl >= 0)
		flock(ctl, LOCK_EX);
	int r = -EAGAIN, legacy = 0;
	for (unsigned i = 0; i < ATTACH_TRIES && r == -EAGAIN; i++) {
		r = bind_one(req, res, ctl, cfg, b, legacy);
		if (r == -ENOTRECOVERABLE) {
			legacy = 1;
			r = -EAGAIN;
		} else if (r == -EAGAIN) {
			loop_backoff(i);
		}
	}
	if (r == -EAGAIN)
		r = fail(res, -EBUSY, NULL,
			 "no free loop device after %d tries", ATTACH_TRIES);
	if (ctl >= 0)
		close(ctl);
	return r;
}

static int attach_with(const struct attach_req *req, struct attach_res *res,
		       struct backing *b, int dio)
{
	struct loop_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)b->fd;
	cfg.block_size = req->block_size;
	cfg.info.lo_offset = req->offset;
	cfg.info.lo_sizelimit = req->sizelimit;
	if (req->ro || (res->warn & AW_RO_FALLBACK))
		cfg.info.lo_flags |= LO_FLAGS_READ_ONLY;
	if (req->autoclear)
		cfg.info.lo_flags |= LO_FLAGS_AUTOCLEAR;
	if (req->partscan)
		cfg.info.lo_flags |= LO_FLAGS_PARTSCAN;
	if (dio)
		cfg.info.lo_flags |= LO_FLAGS_DIRECT_IO;
	/* lo_file_name is whatever the binder chooses: the path (truncated,
	 * as util-linux does) or the caller's tag. */
	const char *name = req->ref ? req->ref : req->file;
	size_t len = strlen(name);
	if (len >= LO_NAME_SIZE) {
		if (req->ref)
			return fail(res, -ENAMETOOLONG, NULL,
				    "tag is longer than %d bytes", LO_NAME_SIZE - 1);
		name += len - (LO_NAME_SIZE - 1);
		len = LO_NAME_SIZE - 1;
	}
	memcpy(cfg.info.lo_file_name, name, len);

	/* Block size: explicit; else 4096 for a 4Kn GPT image; else what DIO
	 * needs (a loop block size below the backing's alignment silently
	 * disables DIO); else the kernel's 512. */
	if (!cfg.block_size && is_4kn_gpt(b->fd, req->offset))
		cfg.block_size = 4096;
	if (!cfg.block_size && dio && b->dio_align > 512)
		cfg.block_size = b->dio_align;
	return bind_loop(req, res, &cfg, b);
}

int loop_attach(const struct attach_req *req, struct attach_res *res)
{
	memset(res, 0, sizeof(*res));
	res->nr = -1;
	res->fd = -1;
	res->alias_nr = -1;
	struct backing b;
	memset(&b, 0, sizeof(b));
	b.fd = -1;

	int dio = req->dio != DIO_OFF;
	int r = open_backing(req, res, dio, &b);
	if (r == -EINVAL && dio) {
		/* No O_DIRECT on this filesystem (tmpfs before 6.6, ramfs). */
		if (req->dio == DIO_ON)
			return fail(res, r, NULL,
				    "direct IO is not supported by the filesystem "
				    "holding the file");
		dio = 0;
		r = open_backing(req, res, 0, &b);
	}
	if (r < 0)
		return fail(res, r, "open", NULL);
	r = stat_backing(req, res, &b);
	if (r == 0)
		r = check_window(req, res, &b);
	if (r < 0)
		goto out;
	if (dio) {
		b.dio_align = dio_alignment(&b);
		const char *why = NULL;
		if (req->offset % b.dio_align)
			why = "the offset is not aligned to";
		else if (req->block_size && req->block_size < b.dio_align)
			why = "the sector size is smaller than";
		if (why && req->dio == DIO_ON) {
			r = fail(res, -EINVAL, NULL,
				 "direct IO cannot engage: %s the backing "
				 "file's direct IO alignment (%u)",
				 why, b.dio_align);
			goto out;
		}
		if (why) {
			dio = 0;
			close(b.fd);
			b.fd = -1;
			r = open_backing(req, res, 0, &b);
			if (r < 0) {
				r = fail(res, r, "open", NULL);
				goto out;
			}
		}
	}

	int same = 0, alias = find_alias(req, &b, &same);
	if (alias >= 0 && req->nooverlap) {
		if (!same) {
			r = fail(res, -EBUSY, NULL,
				 "overlaps /dev/loop%d, which maps the same file",
				 alias);
			goto out;
		}
		/* util-linux -L: an identical mapping is reused, not doubled. */
		int sysfd = sysfs_open();
		loop_state_get(sysfd, alias, -1, &res->st);
		close(sysfd);
		res->nr = alias;
		res->reused = 1;
		goto out;
	}
	if (alias >= 0) {
		res->warn |= AW_ALIAS;
		res->alias_nr = alias;
	}

	r = attach_with(req, res, &b, dio);
	if (r == 0 && dio && !(res->st.flags & LO_FLAGS_DIRECT_IO)) {
		/* DIO fallback is silent in the kernel. Before 6.15 a device
		 * with DIO off over an O_DIRECT fd issued misaligned direct IO
		 * and failed: re-attach over a buffered fd. */
		int fd = res->fd >= 0 ? res->fd : loop_open(res->nr, O_RDWR);
		if (fd >= 0) {
			clear_dev(fd);
			close(fd);
		}
		res->fd = -1;
		res->nr = -1;
		if (req->dio == DIO_ON) {
			r = fail(res, -EINVAL, NULL,
				 "direct IO did not engage (the kernel turned it "
				 "off)");
			goto out;
		}
		res->warn |= AW_DIO_FALLBACK;
		close(b.fd);
		b.fd = -1;
		r = open_backing(req, res, 0, &b);
		if (r == 0)
			r = attach_with(req, res, &b, 0);
		else
			r = fail(res, r, "open", NULL);
	}
out:
	if (b.fd >= 0)
		close(b.fd);
	return r;
}
