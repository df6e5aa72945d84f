/* libmini: the library under every loopbox applet.
 *
 * Rules: every function returns 0 (or a count/index) on success and -errno
 * on failure; nothing here prints or exits, except err.c, which is the
 * message shape the applets use. Prototypes are grouped by the file that
 * defines them, so this header is also the index of the library. */
#ifndef LOOPBOX_MINI_H
#define LOOPBOX_MINI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi.h"

#ifndef LOOPBOX_VERSION
#define LOOPBOX_VERSION "0.1"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Feature switches come from configs/<name>.mk as -DENABLE_X=0/1. They are
 * used in plain `if`, so disabled code is still compiled and type-checked
 * before the linker drops it. */
#ifndef ENABLE_FAULTS
#define ENABLE_FAULTS 0
#endif

/* ---- fmt.c: printf without floating point ------------------------------
 * The product build also gives these to the standard printf names. */
int mini_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int mini_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- fault.c: injected failures in CONFIG=test builds -------------------
 * -errno when LOOPBOX_FAULT asks NAME's current call to fail, else 0. */
int fault_check(const char *name);

/* ---- err.c: the one message shape (applets only) ----------------------
 * "loopbox: APPLET: <text>[: strerror]" on stderr. Exit codes are fixed. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };
extern const char *applet_name;
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void msg_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void die_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void usage_exit(const char *text, int asked);
/* printf to stdout that remembers a write error, checked at exit. */
int out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int out_flush(void);

/* ---- opt.c: table-driven option parser ---------------------------------
 * Short options bundle (-fP), take values as -o512 or -o 512; long options
 * take --opt=value or --opt value. Operands are collected in order into
 * argv[0..n) (GNU-style permutation: options may follow operands); "--" ends
 * option parsing. Long-only options use ids >= 256. */
enum { OPT_NONE, OPT_REQ, OPT_OPTIONAL };
struct opt {
	const char *lng; /* long name without "--", or NULL */
	int id;          /* short option character, or >= 256 */
	int arg;         /* OPT_NONE / OPT_REQ / OPT_OPTIONAL */
};
struct optstate {
	int ind;          /* next argv index to read */
	int nopnd;        /* operands collected so far (stored in argv) */
	int pos;          /* position inside a short-option bundle */
	const char *arg;  /* value of the option just returned, or NULL */
	const char *bad;  /* the offending word, after an error */
	int done;         /* "--" seen */
};
void opt_init(struct optstate *st);
/* Returns the option id, 0 at the end (operands are argv[0..st->nopnd)),
 * -ENOENT for an unknown option, -EINVAL for a missing value, -E2BIG for a
 * value given to an option that takes none. */
int opt_next(struct optstate *st, int argc, char **argv,
	     const struct opt *tab);

/* ---- parse.c: numbers ---------------------------------------------------
 * parse_size: like util-linux: base 0 (0x hex; leading 0 is octal), then an
 * optional suffix K M G T P E (binary), KiB..EiB (binary) or KB..EB
 * (decimal), case-insensitive. Empty, negative, garbage: -EINVAL; overflow:
 * -ERANGE. */
int parse_size(const char *s, uint64_t *out);
/* Plain unsigned decimal (no suffix), bounded by max. */
int parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Seconds with an optional fraction ("5", "0.25"), into milliseconds. */
int parse_msec(const char *s, uint64_t *ms);
/* "MAJ:MIN" in base 10 (sysfs, mountinfo) or 16 (/proc/PID/maps). */
int parse_devnum(const char *s, unsigned base, dev_t *dev);

/* ---- sysfs.c: attribute readers relative to a directory fd -------------
 * dirfd is usually sysfs_open() (/sys); unit tests pass a fake tree. */
int sysfs_open(void);
/* Reads one attribute, strips the trailing newline; returns the length. */
int sysfs_read_str(int dirfd, const char *path, char *buf, size_t size);
int sysfs_read_u64(int dirfd, const char *path, uint64_t *v);
/* "MAJ:MIN\n" as in every sysfs dev file. */
int sysfs_read_devnum(int dirfd, const char *path, dev_t *dev);
/* 1 if path exists (faccessat F_OK), else 0. */
int sysfs_exists(int dirfd, const char *path);

/* ---- clock.c: CLOCK_MONOTONIC and short sleeps ------------------------- */
/* Processes: loopbox calls _Fork(), not fork(): it has no threads and no
 * atfork handlers, and fork()'s locking pulls 1.7 KiB of musl. */
uint64_t now_usec(void);
uint64_t now_ms(void);
void sleep_ms(unsigned ms);

/* ---- dir.c: directory iteration without malloc ------------------------ */
struct dirit {
	int fd, pos, len;
	char buf[2048] __attribute__((aligned(8))); /* dirents are 8-aligned */
};
int dir_open(struct dirit *it, int dirfd, const char *path);
/* The next name ("." and ".." skipped), or NULL at the end. */
const char *dir_next(struct dirit *it, unsigned char *type);
void dir_close(struct dirit *it);

/* ---- lines.c: reading text files line by line without stdio ------------ */
struct lines {
	int fd, eof;
	size_t start, len;
	char buf[4096];
};
int lines_open(struct lines *l, int dirfd, const char *path);
/* The next line without its newline, or NULL at the end. */
char *lines_next(struct lines *l);
void lines_close(struct lines *l);
/* Splits on blanks in place; returns the number of fields (at most max). */
int split_fields(char *line, char **f, int max);
/* Undoes mountinfo's \ooo escapes in place. */
void unescape_octal(char *s);

/* ---- loop.c: loop device primitives ------------------------------------ */
struct loop_state {
	int nr;
	uint64_t offset, sizelimit;
	uint32_t flags;        /* effective LO_FLAGS_* */
	uint64_t back_dev;     /* lo_device: st_dev of the backing file */
	uint64_t back_ino;     /* lo_inode */
	uint64_t back_rdev;    /* lo_rdevice: set for block-device backing */
	uint32_t block_size;   /* logical block size (queue/) */
	uint64_t size;         /* device size in bytes */
	dev_t dev;             /* the loop device's own number */
	char back_file[4096];  /* sysfs backing_file, else lo_file_name */
	char name[LO_NAME_SIZE + 1]; /* lo_file_name as set by the binder */
};
/* /dev/loop-control, creating the node from its known number if the
 * system has no devtmpfs (c 10:237 is fixed by the kernel). */
int loop_ctl_open(void);
int loop_get_free(int ctlfd);
/* Device number -> "/dev/loopN" (or "/dev/loop/N" where only that exists). */
void loop_path(int nr, char *buf, size_t size);
/* "/dev/loop3", "loop3" or "3" -> 3; anything else -EINVAL. */
int loop_parse_name(const char *s);
/* Block device number -> N for loopN, and loopNpM (*part = M); -ENODEV. */
int loop_of_dev(dev_t dev, int *part);
/* Opens /dev/loopN, creating the node from sysfs `dev` when missing. */
int loop_open(int nr, int flags);
/* The state of a bound device. With fd (the device held open): from the
 * fd, sysfs only for the backing path. Without (or fd no loop device):
 * sysfs first, then LOOP_GET_STATUS64 on a fresh open. sysfd -1 reads
 * /sys itself. -ENXIO when unbound, -ENODEV if absent. */
int loop_state_get(int sysfd, int nr, int fd, struct loop_state *st);
/* Numbers of every bound loop device in /sys/block's readdir order (the
 * order util-linux lists them in); returns the count (may exceed max: only
 * max are stored). */
int loop_list_bound(int sysfd, int *nrs, int max);
/* sysfs_read_str of /sys/block/loopN/ATTR, relative to sysfd (a fake tree
 * in the unit tests), or from /sys itself when sysfd is -1. */
int loop_attr(int sysfd, int nr, const char *attr, char *buf, size_t size);
/* ioctl with fault injection (CONFIG=test): the result or -errno. */
int loop_ioctl(int fd, unsigned long req, const char *name, void *arg);
/* Jittered sleep for retry number attempt (10 to 160 ms cap). */
void loop_backoff(unsigned attempt);
/* loop_ioctl, retried with loop_backoff while it says EAGAIN (64 tries). */
int loop_ioctl_retry(int fd, unsigned long req, const char *name, void *arg);
/* flock(LOCK_EX), waiting at most about ms: 0, -EWOULDBLOCK, -errno. */
int loop_lock(int fd, unsigned ms);
/* For kernels without LOOP_CONFIGURE (EINVAL; ENOTTY via compat), and the
 * 5.8 fallback: LOOP_SET_FD + LOOP_SET_BLOCK_SIZE + LOOP_SET_STATUS64 +
 * LOOP_SET_DIRECT_IO, clearing the device again if a later step fails. */
int loop_configure_legacy(int fd, const struct loop_config *cfg);
/* 1 where LOOP_CLR_FD only sets autoclear, the teardown being at the
 * last close (6.11+). */
int loop_clr_fd_is_deferred(void);
/* 1 if LOOP_CONFIGURE exists (probed once with fd = -1: EBADF), else 0. */
int loop_have_configure(int fd);

/* ---- proc.c: who uses a device or a file -------------------------------
 * procfd is proc_open() (/proc), sysfd sysfs_open() (/sys), or fake trees in
 * the unit tests. Our own process is never counted. */
#define LOOP_DEVS_MAX 256 /* DISK_MAX_PARTS */
struct loop_devs {             /* a loop device and its partitions */
	int n;                 /* [0] is the device itself */
	dev_t dev[LOOP_DEVS_MAX];
	int partno[LOOP_DEVS_MAX];   /* 0 for the device */
	char name[LOOP_DEVS_MAX][24]; /* "loop3", "loop3p1" */
};
int proc_open(void);
/* block/loopN/dev and its loopNpM/ partitions; the count, -ENODEV (d is
 * cleared first in any case). */
int loop_devs_get(int sysfd, int nr, struct loop_devs *d);
/* BLKPG_DEL_PARTITION of d's partitions on fd (ENXIO, gone already, is
 * fine): 0, or -errno and *bad, the index of the one that stayed. */
int loop_del_parts(int fd, const struct loop_devs *d, int *bad);
/* The next entry of a mountinfo file opened with lines_open(), split in
 * place, mountpoint and source unescaped: 1, or 0 at the end. */
struct mountinfo {
	dev_t dev;
	char *dir, *type, *src; /* "" when missing */
};
int mountinfo_next(struct lines *l, struct mountinfo *m);
/* self/mountinfo: 1 + the index in d of the first mounted one (mountpoint
 * unescaped into mnt), 0 if none is mounted. */
int proc_find_mount(int procfd, const struct loop_devs *d, char *mnt,
		    size_t size);
/* holders/ of the device or a partition (dm, md, bcache): 1 and the
 * holder's name ("dm-0 (vg-data)"), or 0. */
int sys_find_holder(int sysfd, const struct loop_devs *d, char *name,
		    size_t size);
/* Processes with the device or a partition open (PID/fd/N): the count (may
 * exceed max; max pids and comms are stored). */
int proc_find_openers(int procfd, const struct loop_devs *d, pid_t *pid,
		      char (*comm)[17], int max);
/* A process with the file (st_dev, st_ino) open for writing (fdinfo
 * flags): 1 and *pid, or 0. */
int proc_find_writer_at(int procfd, dev_t dev, ino_t ino, pid_t *pid);
int proc_find_writer(dev_t dev, ino_t ino, pid_t *pid);
/* 0 when nobody has path open for writing (a read lease was granted), 1
 * when someone may, -errno when the filesystem cannot say. */
int file_maybe_written(const char *path);
/* Processes with a file, cwd, root or mapping on filesystem fsdev, or
 * with block device rdev open (either may be 0): the count, up to
 * USERS_MAX stored. */
#define USERS_MAX 8
struct users {
	int n;
	pid_t pid[USERS_MAX];
	char comm[USERS_MAX][17];
};
int proc_users(dev_t fsdev, dev_t rdev, struct users *u);
/* (err.c, applets only) "OBJ: WHAT PID (comm), ... and N more". */
void msg_users(const char *obj, const char *what, const struct users *u);

/* ---- mount.c: filesystems on loop devices ------------------------------
 * mount_opts: "ro,noatime,errors=remount-ro" -> MS_* flags, the rest as the
 * filesystem's data string; -E2BIG when that does not fit. */
int mount_opts(const char *opts, unsigned long *flags, char *data, size_t size);
struct mount_req {
	int fd;                /* the open loop device: the probe reads it */
	const char *dev;       /* its path, as mount(2) gets it */
	const char *dir;
	const char *type;      /* -t, or NULL: fs_probe decides */
	const char *opts;      /* -o, or NULL */
	unsigned ro : 1;
};
struct mount_res {
	char type[32];         /* the type mounted (or tried) */
	char probed[32];       /* what fs_probe found, "" for nothing */
	const char *failed_step; /* "probe", "mount", "options" */
	char why[400];         /* the reason in words */
};
int loop_mount(const struct mount_req *req, struct mount_res *res);
/* Mounts in /proc/self/mountinfo of device dev (0: any) at dir (NULL:
 * any): the count; *m is the last match, the one on top. */
struct mount_ent {
	dev_t dev;
	char dir[4096], type[32], src[256];
};
int mount_lookup(dev_t dev, const char *dir, struct mount_ent *m);
/* What identifies one binding of /dev/loopN: diskseq (5.15+, 0 before)
 * and the backing path. -ENXIO when unbound. */
struct loop_bind {
	uint64_t diskseq;
	char back_file[4096];
};
int loop_bind_id(int nr, struct loop_bind *b);
/* Polls until the binding *was is gone (unbound, or rebound by someone
 * else): 0, or -ETIMEDOUT. Never touches the device. */
int loop_wait_free(int nr, const struct loop_bind *was, uint64_t timeout_ms);
/* The backing file of st, opened read-only and checked to be the same
 * inode (or block device): the fd, -ESTALE when the path names another
 * file now (or was deleted). */
int backing_open(const struct loop_state *st);
/* fsync of the file, then syncfs of the filesystem holding it. */
int backing_sync(int fd);

/* ---- attach.c: the attach engine --------------------------------------- */
enum { DIO_AUTO, DIO_ON, DIO_OFF };
struct attach_req {
	const char *file;
	uint64_t offset, sizelimit;
	uint32_t block_size;   /* 0: probe (see README) */
	int dio;               /* DIO_AUTO / DIO_ON / DIO_OFF */
	int nr;                /* a given device, or -1 for the first free */
	unsigned ro : 1, autoclear : 1, partscan : 1, nooverlap : 1;
	unsigned keep_fd : 1;  /* leave res->fd open for the caller */
	const char *ref;       /* tag stored in lo_file_name, or NULL */
	const char *partition; /* "N", "PARTUUID=..", "PARTLABEL=..", or NULL */
};
/* Warnings an attach can raise; the applet words them. */
enum {
	AW_RO_FALLBACK = 1 << 0,  /* opened read-only: rw was refused */
	AW_ALIAS = 1 << 1,        /* another device maps an overlapping range */
	AW_NOT_512 = 1 << 2,      /* file size not a multiple of 512 */
	AW_BEYOND_EOF = 1 << 3,   /* offset+sizelimit ends beyond EOF */
	AW_DIO_FALLBACK = 1 << 4, /* auto: DIO did not engage, buffered used */
	AW_WRITERS = 1 << 5,      /* another process has the file open rw */
	AW_NO_PARTS = 1 << 6,     /* -P on a partitioned image found nothing */
};
struct attach_res {
	int nr;
	int fd;                /* open device fd when req->keep_fd, else -1 */
	int reused;            /* -L found an identical mapping */
	int ro_errno;          /* why rw was refused (AW_RO_FALLBACK) */
	int alias_nr;          /* the aliasing device (AW_ALIAS), or -1 */
	pid_t writer_pid;      /* a writer (AW_WRITERS) */
	unsigned warn;         /* AW_* */
	const char *failed_step; /* the call that failed, for the message */
	char why[200];         /* or, when set, the reason in words */
	struct loop_state st;  /* verified state after attach */
};
int loop_attach(const struct attach_req *req, struct attach_res *res);

/* ---- path.c: realpath(3) without musl's -------------------------------
 * The canonical absolute path of an existing file (without /proc: of an
 * existing directory) into buf: 0, or -errno. */
int path_resolve(const char *path, char *buf, size_t size);

/* ---- attachopt.c: the attach options of the applets -------------------- */
enum { AO_OFFSET = 256, AO_SIZELIMIT, AO_DIO, AO_PARTITION, AO_REF, AO_MOUNT,
       AO_TIMEOUT, AO_NEXT /* the first id free for an applet */ };
/* run's options; loopmount's are attach_opts + 2 (all but --mount and
 * --timeout). Ids: 'h', 'o' (--options), 'r', 't' and AO_*. */
extern const struct opt attach_opts[];
/* The --help lines of the long attach options, for loopmount and run. */
extern const char attach_usage[];
/* A bad command line in words: msg("%s%s%s", pre, word, post). */
struct optfail {
	const char *pre, *word, *post;
};
/* The words for opt_next's error err: -EINVAL. */
int optfail_of(int err, const struct optstate *st, struct optfail *f);
/* One attach option (-r, AO_OFFSET..AO_REF) into req: 1; 0 if id is not
 * one; -EINVAL and *f for a bad value. */
int attach_opt(struct attach_req *req, int id, const char *arg,
	       struct optfail *f);
/* opt_next that stores the attach options in req and returns the other
 * ids; 0 at the end; -EINVAL and *f for any bad option or value. */
int attach_opt_next(struct optstate *st, int argc, char **argv,
		    const struct opt *tab, struct attach_req *req,
		    struct optfail *f);

/* ---- words.c: library results in words, for the applets' messages ----- */
/* The next warning of res in *left (AW_* bits, cleared as they are
 * given) as text in buf: 1, or 0 when there is none left. */
int attach_warning(const struct attach_res *res, unsigned *left, char *buf,
		   size_t size);
/* "PID (comm), PID (comm) and N more" of n processes, max of them known. */
void pids_words(int n, const pid_t *pid, const char (*comm)[17], int max,
		char *buf, size_t size);
/* (err.c, applets only) loop_attach, then its failure or the warnings in
 * warn (AW_* bits) as messages about req->file, as losetup, loopmount and
 * run all report them; returns loop_attach's result. */
int attach_reported(const struct attach_req *req, struct attach_res *res,
		    unsigned warn);

/* ---- detach.c: synchronous, durable teardown --------------------------- */
struct detach_req {
	int nr;
	uint64_t timeout_ms;   /* how long to wait for unbinding */
	unsigned lazy : 1;     /* autoclear + flush, do not wait */
	unsigned remove : 1;   /* LOOP_CTL_REMOVE afterwards */
};
#define DETACH_MAX_HOLDERS 8
struct detach_res {
	const char *failed_step;
	char why[200];          /* the reason in words, when set */
	char mountpoint[4096];  /* -EBUSY: mounted here */
	char dm_holder[64];     /* -EBUSY: used by this holder (holders/) */
	int nholders;           /* -EBUSY: processes holding it open */
	pid_t holder_pid[DETACH_MAX_HOLDERS];
	char holder_comm[DETACH_MAX_HOLDERS][17];
	int lazy_done;          /* autoclear set, will free at last close */
};
int loop_detach(const struct detach_req *req, struct detach_res *res);
/* fsync + BLKFLSBUF: a non-mounted device shows its backing file again. */
int loop_flush(int nr, struct detach_res *res);

#endif
