/* Boot mode: the kernel command line, module loading, waiting for the host
 * device and switching root. Used by applet/init.c and applet/switch_root.c.
 * Same rules as mini.h: 0 / -errno, no printing, no exiting. */
#ifndef LOOPBOX_BOOT_H
#define LOOPBOX_BOOT_H

#include <stdint.h>
#include <sys/types.h>

/* ---- cmdline.c: the kernel command line and boot.md's key grammar ----- */
#define BOOT_CMDLINE_MAX 4096
#define WAIT_FOREVER (-1)
enum { BREAK_NONE, BREAK_PREMOUNT, BREAK_MOUNT, BREAK_SWITCH };

struct boot_plan {
	/* Every string points into buf (or at a constant default), never NULL.
	 * str[] is the same nine strings in the order cmdline.c names them. */
	union {
		struct {
			const char *root;       /* host device spec (root= / img_dev= / img_label=) */
			const char *rootfstype; /* "" = probe */
			const char *rootflags;
			const char *loop;       /* "" = no image: root= is the root */
			const char *loopfstype; /* "" = probe */
			const char *loopflags;
			const char *looppart;   /* "" = whole image */
			const char *loophost;   /* "" = none; default "/host" */
			const char *init;       /* default "/sbin/init" */
		};
		const char *str[9];
	};
	uint64_t loopoffset, loopsize;
	int loopdio;            /* DIO_AUTO / DIO_ON / DIO_OFF */
	uint32_t loopsector;    /* 0 = auto */
	int rw;                 /* image (or root without loop=) read-write */
	int64_t wait_ms;        /* host wait; WAIT_FOREVER for bare rootwait */
	int panic_s;            /* -1: no panic=, rescue shell on failure */
	int brk;                /* BREAK_* */
	int debug;
	const char *bad;        /* after -EINVAL: the offending word */
	char buf[BOOT_CMDLINE_MAX];
	char spec[256];         /* root= rebuilt from img_label= or by-label */
};
/* Splits like the kernel: words separated by blanks, double quotes group
 * and are removed. Returns the number of words (at most max), stored as
 * pointers into buf, which is modified; -E2BIG past max. The words are
 * left one after the other in buf, each ended by a NUL: words may be NULL
 * (with max INT_MAX) to walk them from buf. */
int cmdline_split(char *buf, char **words, int max);
/* Fills plan from a command line (copied). Unknown words are ignored (they
 * belong to the kernel or to the real init). -EINVAL with plan->bad set for
 * a bad value; -E2BIG for a line longer than BOOT_CMDLINE_MAX. */
int boot_plan_parse(struct boot_plan *plan, const char *cmdline);
/* Consistency: -EDESTADDRREQ without root=, -EINVAL (plan->bad) for keys
 * that contradict each other (looppart= with loopoffset=). */
int boot_plan_check(struct boot_plan *plan);

/* ---- module.c: finit_module in list order ----------------------------- */
/* Loads one module file; .ko.xz/.ko.zst/.ko.gz are given to the kernel
 * with MODULE_INIT_COMPRESSED_FILE (5.17+). Already loaded counts as 0. */
int module_load(const char *path, const char *params);
/* Loads every module named in listfile (one path per line, dependencies
 * first, as initramfs/mkinitramfs writes it). cb, if set, is told about
 * each one with its result and how long it took. Returns the number of
 * failures, or -errno if the list cannot be read. */
typedef void (*module_cb)(const char *path, int err, uint64_t usec,
			  void *ctx);
int module_load_list(const char *listfile, module_cb cb, void *ctx);

/* ---- uevent.c: waiting for a block device ----------------------------- */
/* A netlink socket on kernel uevents, or -errno (the caller polls). */
int uevent_open(void);
/* Waits up to ms for a uevent of the block subsystem: 1 seen, 0 timeout. */
int uevent_wait_block(int fd, int ms);
/* Resolves spec with probe_find_dev, rescanning sysfs on every block
 * uevent and at least every 250 ms, until timeout_ms (WAIT_FOREVER).
 * -ETIMEDOUT when it never appeared; *waited_ms is set either way. */
int dev_wait(const char *spec, char *path, size_t size, int64_t timeout_ms,
	     uint64_t *waited_ms);

/* ---- switchroot.c: checks, then the switch ---------------------------- */
void console_reopen(const char *path);
struct sroot {
	const char *newroot;   /* a mount point, e.g. "/root" */
	const char *init;      /* path inside newroot */
	char *const *argv;     /* argv for init (argv[0] is set to init) */
	const char *host;      /* a mount to move into newroot, or NULL */
	const char *host_dst;  /* its place inside newroot, or NULL: detach;
				* sroot_check clears it when newroot has no
				* such directory */
	const char *console;   /* reopen 0/1/2 on this (inside newroot), or NULL */
	/* out, after a failure */
	const char *step;      /* the step that failed */
	char what[256];        /* the object of that step */
	int keep_going;        /* internal: set once deletion has started */
};
/* Everything that can be checked before anything is destroyed: pid 1,
 * "/" is ramfs/tmpfs, newroot is a different mount, init is an executable
 * file inside newroot (absolute symlinks resolved inside it), and the
 * mount points to move exist there (host_dst: see above). */
int sroot_check(struct sroot *r);
/* Moves /dev /proc /sys /run (those mounted) and the host, deletes the
 * initramfs without crossing mounts, moves newroot onto "/" (pivot_root
 * if MS_MOVE is refused), chroots and execs init. Returns only on
 * failure, with r->step set. */
int sroot_switch(struct sroot *r);
/* Resolves path inside root (absolute symlinks stay inside) into out. */
int path_in_root(const char *root, const char *path, char *out, size_t size);

#endif
