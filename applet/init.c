/* init: the /init of an initramfs that boots a root filesystem from an
 * image file on a disk (docs/boot.md), or root= directly without loop=.
 *
 * usage: init                         (as PID 1, from the initramfs)
 *        loopbox init --dry-run [--cmdline "..."]
 *
 * PID 1 must never exit: every failure prints one paragraph that says what
 * was asked and what was found, then runs /bin/sh if the initramfs has
 * one, reboots after panic=<s>, or waits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"
#include "probe.h"
#include "boot.h"
#include "applets.h"

#define MODULE_LIST "/etc/loopbox/modules"
#define FS_MODULES "/etc/loopbox/fs"   /* FS_MODULES/TYPE: loaded on demand */
#define HOST_DIR "/host"
#define NEWROOT "/root"
#define PROC_CMDLINE "/proc/cmdline"
/* Written from the rescue shell to retry with other keys. */
#define RESCUE_CMDLINE "/etc/loopbox/cmdline"

struct boot {
	struct boot_plan plan;
	uint64_t t0;           /* /init start, microseconds */
	char hostdev[256];
	char hosttype[32];
	char image[PATH_MAX];  /* the image path inside the initramfs */
	uint64_t image_size;
	uint64_t offset, size; /* the window attached */
	char loopdev[64];
	int loopnr;
	int loopfd;            /* held until the image is mounted */
	char fstype[32];
	int host_mounted, root_mounted;
	char **argv;           /* our argv: the kernel's extra words for init */
};

static int debug;
static uint64_t t_start;

/* "[0.123] host: found ..." on the console, one write per line. */
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	if (!debug)
		return;
	char buf[1024];
	uint64_t t = now_usec() - t_start;
	int n = snprintf(buf, sizeof(buf), "[%llu.%03llu] ",
			 (unsigned long long)(t / 1000000),
			 (unsigned long long)(t / 1000 % 1000));
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n += m < 0 ? 0 : (m >= (int)sizeof(buf) - n - 1 ? (int)sizeof(buf) - n - 2 : m);
	buf[n++] = '\n';
	(void)!write(2, buf, (size_t)n);
}

static unsigned long long ms_since(uint64_t t)
{
	return (unsigned long long)((now_usec() - t) / 1000);
}

/* A failure paragraph: built up with para(), printed at once by fail(). */
static char why[4096];
static size_t whylen;

static void para(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void para(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(why + whylen, sizeof(why) - whylen, fmt, ap);
	va_end(ap);
	if (n > 0)
		whylen += (size_t)n < sizeof(why) - whylen ? (size_t)n
							   : sizeof(why) - whylen - 1;
}

static const char *human(uint64_t b, char *buf, size_t size)
{
	static const char u[] = "BKMGTPE";
	int i = 0;
	uint64_t x = b;
	while (x >= 1024 && !(x % 1024) && i < 6) {
		x /= 1024;
		i++;
	}
	if (i)
		snprintf(buf, size, "%llu %ciB", (unsigned long long)x, u[i]);
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)b);
	return buf;
}

/* "vda (8 GiB, gpt), vda1 (ext4 LABEL=HOST UUID=...)": what a user needs
 * to correct root=. Uses our own probes, not udev. */
static int para_dev(int sys, const char *name, uint64_t sectors, void *arg)
{
	char path[300], sz[32];
	snprintf(path, sizeof(path), "/dev/%s", name);
	struct probe_res pr;
	memset(&pr, 0, sizeof(pr));
	int r = probe_path(path, &pr);
	para("\n    %s: %s", path, human(sectors * 512, sz, sizeof(sz)));
	if (r < 0) {
		para(", cannot open: %s", strerror(-r));
	} else {
		if (pr.pttype)
			para(", %s table", pr.pttype == PT_GPT ? "gpt" : "dos");
		if (pr.has_fs) {
			para(", %s", pr.fs.type);
			if (pr.fs.has_label)
				para(" LABEL=\"%s\"", pr.fs.label);
			if (pr.fs.has_uuid)
				para(" UUID=%s", pr.fs.uuid);
		}
		if (pr.has_part) {
			para(" PARTUUID=%s", pr.part.uuid);
			if (pr.part.label[0])
				para(" PARTLABEL=\"%s\"", pr.part.label);
		}
		if (!pr.pttype && !pr.has_fs)
			para(", no filesystem or partition table found");
	}
	++*(int *)arg;
	return 0;
}

/* Unbound loop devices and empty drives (size 0) are left out. */
static void para_devices(void)
{
	int n = 0;
	para("\n  block devices seen:");
	if (probe_each_dev(para_dev, &n) < 0)
		para(" none (no /sys/class/block)");
	else if (!n)
		para(" none (is the disk driver in the initramfs?)");
}

/* The entries of a directory, for "image not found". */
static void para_listing(const char *dir)
{
	struct dirit d; /* no malloc: musl's opendir allocates */
	const char *name = NULL;
	int n = 0, err = dir_open(&d, AT_FDCWD, dir);
	if (err < 0) {
		para("\n  %s: %s", dir, strerror(-err));
		return;
	}
	para("\n  %s contains:", dir);
	while (n < 20 && (name = dir_next(&d, NULL))) {
		para(" %s", name);
		n++;
	}
	if (n == 20 && dir_next(&d, NULL))
		para(" ...");
	if (!n)
		para(" nothing");
	dir_close(&d);
}

/* ---- what happens after a failure ------------------------------------ */

/* Runs /bin/sh on the console; returns when it exits. */
static int shell(void)
{
	if (access("/bin/sh", X_OK) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* Its own session with the console as controlling tty, so ^C
		 * reaches the shell's children and not us. */
		setsid();
		ioctl(0, TIOCSCTTY, 1);
		signal(SIGINT, SIG_DFL);
		execl("/bin/sh", "sh", (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	/* PID 1 reaps every orphan while it waits for its shell. */
	for (;;) {
		int st;
		pid_t w = wait(&st);
		if (w == pid || (w < 0 && errno == ECHILD))
			return 0;
	}
}

static _Noreturn void reboot_after(int s)
{
	msg("rebooting in %d s (panic=%d)", s, s);
	if (s > 0)
		sleep((unsigned)s);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* Prints the paragraph, then rescue: the shell returns here so the boot
 * can be retried; panic= and "nothing to do" never return. */
static void fail(struct boot *b)
{
	why[whylen] = 0;
	msg("%s", why);
	whylen = 0;
	if (b->plan.panic_s >= 0)
		reboot_after(b->plan.panic_s);
	msg("starting a rescue shell; exit it to retry the boot (to change "
	    "the keys, write a command line to " RESCUE_CMDLINE " first)");
	if (shell() == 0)
		return;
	msg("no /bin/sh in this initramfs: waiting (add panic=<s> to the "
	    "kernel command line to reboot instead)");
	for (;;)
		pause();
}

static void break_shell(const char *phase)
{
	msg("break before %s: starting a shell; exit it to continue", phase);
	if (shell() < 0)
		msg("break before %s: no /bin/sh in this initramfs, continuing",
		    phase);
}

/* ---- the steps -------------------------------------------------------- */

/* proc, sysfs and devtmpfs stack when mounted twice, so a retry after
 * the rescue shell (or the shell's own mounts) must not mount them again. */
static void mount_once(const char *type, const char *dir, unsigned long fl,
		       const char *data)
{
	struct stat r, d;
	mkdir(dir, 0755);
	if (stat("/", &r) == 0 && stat(dir, &d) == 0 && r.st_dev != d.st_dev)
		return;
	mount(type, dir, type, fl, data);
}

static void mount_basics(void)
{
	mount_once("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_once("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_once("devtmpfs", "/dev", MS_NOSUID, "mode=0755");
	/* The kernel opened /dev/console before devtmpfs existed, possibly
	 * failing ("unable to open an initial console"): open it again. */
	console_reopen("/dev/console");
}

static int read_cmdline(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int parse_plan(struct boot_plan *p, const char *line)
{
	int r = boot_plan_parse(p, line);
	return r ? r : boot_plan_check(p);
}

static void module_done(const char *path, int err, uint64_t usec, void *ctx)
{
	const char *name = strrchr(path, '/');
	name = name ? name + 1 : path;
	if (err < 0) {
		/* Not fatal by itself: a missing driver shows as a missing
		 * device, and the failure paragraph lists what was seen. */
		msg("module %s: finit_module: %s", path, strerror(-err));
		*(int *)ctx += 1;
	} else {
		trace("module: %s loaded in %llu ms", name,
		      (unsigned long long)(usec / 1000));
	}
}

static void load_modules(void)
{
	uint64_t t = now_usec();
	int bad = 0;
	int r = module_load_list(MODULE_LIST, module_done, &bad);
	if (r == -ENOENT)
		trace("modules: no %s, none loaded", MODULE_LIST);
	else if (r < 0)
		msg_errno(r, "%s", MODULE_LIST);
	else
		trace("modules: done in %llu ms%s", ms_since(t),
		      bad ? " (with failures)" : "");
}

/* Whether key occurs in list; a loop, not strstr, whose two-way search
 * is 1.3 KiB of the static binary. */
static int has_key(const char *list, const char *key)
{
	size_t n = strlen(key);
	for (; *list; list++)
		if (!strncmp(list, key, n))
			return 1;
	return 0;
}

/* A filesystem's modules, the first time that type is mounted. */
static void load_fs(const char *type)
{
	static char done[512];
	char path[300], key[40];
	int bad = 0;

	snprintf(key, sizeof(key), "/%s/", type);
	if (has_key(done, key) || strchr(type, '/'))
		return;
	if (strlen(done) + strlen(key) < sizeof(done))
		strcat(done, key);
	snprintf(path, sizeof(path), FS_MODULES "/%s", type);
	if (access(path, R_OK) < 0)
		return; /* built in, or not in this initramfs */
	uint64_t t = now_usec();
	module_load_list(path, module_done, &bad);
	trace("modules: %s ready in %llu ms", type, ms_since(t));
}

/* Unknown type: every filesystem the initramfs carries. */
static void load_all_fs(void)
{
	struct dirit d; /* no malloc: musl's opendir allocates */
	const char *name;
	if (dir_open(&d, AT_FDCWD, FS_MODULES) < 0)
		return;
	while ((name = dir_next(&d, NULL)))
		if (name[0] != '.')
			load_fs(name);
	dir_close(&d);
}

static int wait_host(struct boot *b)
{
	const struct boot_plan *p = &b->plan;
	uint64_t waited = 0;
	char lim[32];
	if (p->wait_ms == WAIT_FOREVER)
		snprintf(lim, sizeof(lim), "forever (rootwait)");
	else
		snprintf(lim, sizeof(lim), "%lld ms",
			 (long long)p->wait_ms);
	trace("host: waiting for %s, up to %s", p->root, lim);
	int r = dev_wait(p->root, b->hostdev, sizeof(b->hostdev), p->wait_ms,
			 &waited);
	if (r == 0) {
		trace("host: found %s (%s) after %llu ms", b->hostdev, p->root,
		      (unsigned long long)waited);
		return 0;
	}
	if (r == -ETIMEDOUT)
		para("host: root=%s did not appear within %s (waited %llu ms)",
		     p->root, lim, (unsigned long long)waited);
	else if (r == -EINVAL)
		para("host: root=%s is not a device spec (use /dev/NAME, "
		     "UUID=, PARTUUID=[/PARTNROFF=n], LABEL=, PARTLABEL= or "
		     "MAJ:MIN)", p->root);
	else
		para("host: root=%s: %s", p->root, strerror(-r));
	para_devices();
	return -1;
}

/* Mounts dev on dir: with the given type(s), else the probed type, else
 * every block filesystem the kernel knows, as the kernel itself does. */
static int mount_any(const char *dev, const char *dir, const char *types,
		     unsigned long flags, const char *data, char *used,
		     size_t usedsize)
{
	char list[512];
	int r = -ENODEV;

	if (!*types) {
		struct probe_res pr;
		memset(&pr, 0, sizeof(pr));
		if (probe_path(dev, &pr) == 0 && pr.has_fs) {
			snprintf(list, sizeof(list), "%s", pr.fs.type);
		} else {
			load_all_fs();
			/* "nodev" lines are virtual filesystems: skip them. */
			struct lines f; /* not stdio: fopen mallocs */
			char *line;
			size_t o = 0;
			list[0] = 0;
			int err = lines_open(&f, AT_FDCWD, "/proc/filesystems");
			while (!err && (line = lines_next(&f))) {
				if (!strncmp(line, "nodev", 5))
					continue;
				const char *t = line + strspn(line, " \t");
				o += (size_t)snprintf(list + o, sizeof(list) - o,
						      "%s%s", o ? "," : "", t);
				if (o >= sizeof(list))
					break;
			}
			lines_close(&f);
		}
	} else {
		snprintf(list, sizeof(list), "%s", types);
	}
	for (char *t = strtok(list, ","); t; t = strtok(NULL, ",")) {
		snprintf(used, usedsize, "%s", t);
		load_fs(t);
		if (mount(dev, dir, t, flags, data) == 0)
			return 0;
		r = -errno;
		/* Read-only media refused rw: the kernel's fallback too. */
		if ((r == -EROFS || r == -EACCES) && !(flags & MS_RDONLY) &&
		    mount(dev, dir, t, flags | MS_RDONLY, data) == 0)
			return 1;
	}
	return r;
}

/* mount_opts() with ro/rw reported apart (-1: neither given), because the
 * host's mode also depends on the image's. */
static int opts_rw(const char *opts, unsigned long *flags, char *data,
		   size_t size, int *rw)
{
	unsigned long a = 0, b = MS_RDONLY;
	int r = mount_opts(opts, &a, data, size);
	if (r == 0)
		r = mount_opts(opts, &b, data, size);
	if (r < 0)
		return r;
	*rw = (a ^ b) & MS_RDONLY ? -1 : !(a & MS_RDONLY);
	*flags |= a & ~(unsigned long)MS_RDONLY;
	return 0;
}

static const char *ro_word(unsigned long flags)
{
	return flags & MS_RDONLY ? "ro" : "rw";
}

static int mount_host(struct boot *b)
{
	const struct boot_plan *p = &b->plan;
	unsigned long flags = 0;
	char data[512];
	int rw;
	int image = *p->loop != 0;
	const char *dir = image ? HOST_DIR : NEWROOT;

	if (opts_rw(p->rootflags, &flags, data, sizeof(data), &rw) < 0) {
		para("host: rootflags=%s is too long", p->rootflags);
		return -1;
	}
	/* The host is rw only when the image (or root itself) is rw or
	 * rootflags asks for it: a ro host can be remounted at shutdown. */
	if (!(p->rw || rw == 1) || rw == 0)
		flags |= MS_RDONLY;
	mkdir(dir, 0755);
	uint64_t t = now_usec();
	int r = mount_any(b->hostdev, dir, p->rootfstype, flags, data,
			  b->hosttype, sizeof(b->hosttype));
	if (r < 0) {
		para("host: mount %s on %s (type %s, %s%s%s): %s", b->hostdev,
		     dir, *p->rootfstype ? p->rootfstype : "probed",
		     ro_word(flags), *data ? "," : "", data, strerror(-r));
		para_devices();
		return -1;
	}
	if (r == 1) {
		msg_warn("%s is read-only: mounted ro", b->hostdev);
		flags |= MS_RDONLY;
	}
	b->host_mounted = image;
	b->root_mounted = !image;
	trace("%s: mounted %s (%s, %s) on %s in %llu ms", image ? "host" : "root",
	      b->hostdev, b->hosttype, ro_word(flags), dir, ms_since(t));
	return 0;
}

/* looppart=: the partition's window, read with our own table parser so
 * the message can say which partitions exist. */
static int find_partition(struct boot *b, int fd)
{
	struct src s;
	static struct ptable pt;
	src_fd(&s, fd, 0, b->image_size);
	int r = ptable_read(&s, &pt);
	if (r < 0) {
		para("image: %s (%llu bytes) has %s; looppart=%s needs a GPT or "
		     "MBR table", b->image, (unsigned long long)b->image_size,
		     r == -EBADMSG ? "a corrupt partition table"
				   : "no partition table",
		     b->plan.looppart);
		return -1;
	}
	int i = ptable_find(&pt, b->plan.looppart);
	if (i < 0) {
		para("image: %s has no partition %s; its %s table has:",
		     b->image, b->plan.looppart, pt.type == PT_GPT ? "gpt" : "dos");
		for (int k = 0; k < pt.n; k++)
			para("\n    %d: start %llu, %llu bytes, PARTUUID=%s%s%s%s",
			     pt.p[k].nr, (unsigned long long)pt.p[k].start,
			     (unsigned long long)pt.p[k].size, pt.p[k].uuid,
			     pt.p[k].label[0] ? " PARTLABEL=\"" : "",
			     pt.p[k].label, pt.p[k].label[0] ? "\"" : "");
		return -1;
	}
	b->offset = pt.p[i].start;
	b->size = pt.p[i].size;
	trace("image: partition %s is #%d at %llu, %llu bytes", b->plan.looppart,
	      pt.p[i].nr, (unsigned long long)b->offset,
	      (unsigned long long)b->size);
	return 0;
}

static int stat_image(struct boot *b)
{
	const struct boot_plan *p = &b->plan;
	struct stat st;

	snprintf(b->image, sizeof(b->image), "%s%s%s", HOST_DIR,
		 *p->loop == '/' ? "" : "/", p->loop);
	int fd = open(b->image, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		para("image: loop=%s: %s on the host %s (%s)", p->loop,
		     strerror(e), b->hostdev, b->hosttype);
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", b->image);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			para_listing(dir);
		}
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISBLK(st.st_mode))
		ioctl(fd, BLKGETSIZE64, &b->image_size);
	else
		b->image_size = (uint64_t)st.st_size;
	int r = 0;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		para("image: loop=%s on %s is not a regular file", p->loop,
		     b->hostdev);
		r = -1;
	} else if (!b->image_size) {
		para("image: loop=%s on %s (%s) is 0 bytes", p->loop,
		     b->hostdev, b->hosttype);
		r = -1;
	} else if (*p->looppart) {
		r = find_partition(b, fd);
	} else {
		b->offset = p->loopoffset;
		b->size = p->loopsize;
		if (b->offset >= b->image_size ||
		    (b->size && b->offset + b->size > b->image_size)) {
			para("image: loop=%s is %llu bytes: loopoffset=%llu "
			     "loopsize=%llu is outside it", p->loop,
			     (unsigned long long)b->image_size,
			     (unsigned long long)b->offset,
			     (unsigned long long)b->size);
			r = -1;
		}
	}
	close(fd);
	return r;
}

static int attach_image(struct boot *b)
{
	const struct boot_plan *p = &b->plan;
	struct attach_req req;
	struct attach_res res;
	memset(&req, 0, sizeof(req));
	req.file = b->image;
	req.offset = b->offset;
	req.sizelimit = b->size;
	req.block_size = p->loopsector;
	req.dio = p->loopdio;
	req.nr = -1;
	req.ro = !p->rw;
	/* Freed by the kernel when the root is unmounted at shutdown. The
	 * kernel clears an autoclear device at its last close, so we hold
	 * it open until the mount holds it (or a failure drops it). */
	req.autoclear = 1;
	req.keep_fd = 1;
	uint64_t t = now_usec();
	int r = loop_attach(&req, &res);
	if (r < 0) {
		para("image: attach %s (%llu bytes, offset %llu, size %llu): ",
		     b->image, (unsigned long long)b->image_size,
		     (unsigned long long)b->offset, (unsigned long long)b->size);
		if (res.why[0])
			para("%s", res.why);
		else
			para("%s%s%s", res.failed_step ? res.failed_step : "",
			     res.failed_step ? ": " : "", strerror(-r));
		return -1;
	}
	b->loopnr = res.nr;
	b->loopfd = res.fd;
	loop_path(res.nr, b->loopdev, sizeof(b->loopdev));
	if (p->rw && (res.warn & AW_RO_FALLBACK))
		msg_warn("%s: rw refused (%s): attached read-only", b->image,
			 strerror(res.ro_errno));
	trace("image: %s attached as %s (%s, dio %s, %u-byte sectors) in %llu ms",
	      b->image, b->loopdev,
	      res.st.flags & LO_FLAGS_READ_ONLY ? "ro" : "rw",
	      res.st.flags & LO_FLAGS_DIRECT_IO ? "on" : "off",
	      res.st.block_size, ms_since(t));
	return 0;
}

/* Closing the last opener of an autoclear device unbinds it: after the
 * mount that is the mount; before, it is a failed attempt's cleanup. */
static void release_image(struct boot *b)
{
	if (b->loopfd >= 0)
		close(b->loopfd);
	b->loopfd = -1;
	b->loopnr = -1;
}

/* What is really at the image window: for "wrong fstype" and "no fs". */
static void para_probe_loop(struct boot *b)
{
	struct probe_res pr;
	memset(&pr, 0, sizeof(pr));
	if (probe_path(b->loopdev, &pr) == 0 && pr.has_fs) {
		para("\n  the probe sees %s there", pr.fs.type);
		if (pr.fs.has_label)
			para(" LABEL=\"%s\"", pr.fs.label);
		if (pr.fs.has_uuid)
			para(" UUID=%s", pr.fs.uuid);
		return;
	}
	unsigned char buf[16];
	int fd = open(b->loopdev, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
	if (fd >= 0)
		close(fd);
	para("\n  no known filesystem or partition table at offset %llu of "
	     "the image%s", (unsigned long long)b->offset,
	     pr.pttype ? " (it has a partition table: looppart=N?)" : "");
	if (n > 0) {
		para("; its first bytes are");
		for (ssize_t i = 0; i < n; i++)
			para(" %02x", buf[i]);
	}
}

static int mount_image(struct boot *b)
{
	const struct boot_plan *p = &b->plan;
	unsigned long flags = 0;
	char data[512];
	int rw;

	if (opts_rw(p->loopflags, &flags, data, sizeof(data), &rw) < 0) {
		para("image: loopflags=%s is too long", p->loopflags);
		return -1;
	}
	if (!p->rw || rw == 0)
		flags |= MS_RDONLY;
	if (!*p->loopfstype) {
		struct probe_res pr;
		memset(&pr, 0, sizeof(pr));
		if (probe_path(b->loopdev, &pr) < 0 || !pr.has_fs) {
			para("image: %s (%llu bytes) attached as %s: no filesystem "
			     "found", b->image, (unsigned long long)b->image_size,
			     b->loopdev);
			para_probe_loop(b);
			return -1;
		}
		snprintf(b->fstype, sizeof(b->fstype), "%s", pr.fs.type);
		trace("image: probed %s", b->fstype);
	}
	mkdir(NEWROOT, 0755);
	uint64_t t = now_usec();
	int r = mount_any(b->loopdev, NEWROOT,
			  *p->loopfstype ? p->loopfstype : b->fstype, flags,
			  data, b->fstype, sizeof(b->fstype));
	if (r < 0) {
		para("image: mount %s (%s) on %s as %s (%s%s%s): %s", b->loopdev,
		     b->image, NEWROOT, *p->loopfstype ? p->loopfstype : b->fstype,
		     ro_word(flags), *data ? "," : "", data, strerror(-r));
		para_probe_loop(b);
		return -1;
	}
	b->root_mounted = 1;
	release_image(b);
	trace("image: mounted %s (%s, %s) on %s in %llu ms", b->loopdev,
	      b->fstype, ro_word(flags | (r == 1 ? MS_RDONLY : 0)), NEWROOT,
	      ms_since(t));
	return 0;
}

static int switch_to(struct boot *b)
{
	const struct boot_plan *p = &b->plan;
	struct sroot sr;
	char hdst[PATH_MAX];
	memset(&sr, 0, sizeof(sr));
	sr.newroot = NEWROOT;
	sr.init = p->init;
	sr.console = "/dev/console";
	b->argv[0] = (char *)p->init;
	sr.argv = b->argv;
	if (b->host_mounted) {
		sr.host = HOST_DIR;
		struct stat st;
		if (*p->loophost && path_in_root(NEWROOT, p->loophost, hdst,
						 sizeof(hdst)) == 0 &&
		    stat(hdst, &st) == 0 && S_ISDIR(st.st_mode)) {
			sr.host_dst = p->loophost;
			trace("switch: host %s moves to %s", b->hostdev, p->loophost);
		} else {
			trace("switch: no %s in the image: host %s stays mounted "
			      "but unreachable", *p->loophost ? p->loophost : "loophost",
			      b->hostdev);
		}
	}
	int r = sroot_check(&sr);
	if (r < 0) {
		para("switch: %s: %s: %s", sr.step, sr.what, strerror(-r));
		if (!strcmp(sr.step, "init"))
			para(" (init=%s inside %s, %s %s)", p->init,
			     b->host_mounted ? b->image : b->hostdev,
			     b->host_mounted ? b->loopdev : b->hosttype,
			     b->host_mounted ? b->fstype : "");
		return -1;
	}
	trace("switch: exec %s after %llu ms", p->init,
	      ms_since(b->t0));
	r = sroot_switch(&sr);
	/* Only a failure comes back. */
	para("switch: %s %s: %s", sr.step, sr.what, strerror(-r));
	if (sr.keep_going)
		para("\n  the initramfs is already deleted: no rescue shell");
	return -1;
}

/* Undoes a failed attempt so the rescue shell's "exit" can retry. */
static void undo(struct boot *b)
{
	if (b->root_mounted)
		umount2(NEWROOT, MNT_DETACH);
	release_image(b);
	if (b->host_mounted)
		umount2(HOST_DIR, MNT_DETACH);
	b->root_mounted = b->host_mounted = 0;
}

static int boot_once(struct boot *b)
{
	const struct boot_plan *p = &b->plan;

	b->loopnr = b->loopfd = -1;
	if (p->brk == BREAK_PREMOUNT)
		break_shell("waiting for the host (break=premount)");
	if (wait_host(b) < 0)
		return -1;
	if (p->brk == BREAK_MOUNT)
		break_shell("mounting (break=mount)");
	if (mount_host(b) < 0)
		return -1;
	if (*p->loop) {
		if (stat_image(b) < 0 || attach_image(b) < 0)
			return -1;
		if (mount_image(b) < 0)
			return -1;
	}
	if (p->brk == BREAK_SWITCH)
		break_shell("switch_root (break=switch)");
	return switch_to(b);
}

static const char *dio_word(int d)
{
	return d == DIO_ON ? "on" : d == DIO_OFF ? "off" : "auto";
}

static int dry_run(struct boot_plan *p, const char *cmdline)
{
	char s1[32];
	out("cmdline: %s\n", cmdline);
	out("modules: load %s (dependency order) if present, and %s/TYPE "
	    "before mounting TYPE\n", MODULE_LIST, FS_MODULES);
	if (p->wait_ms == WAIT_FOREVER)
		out("host: wait for %s forever (rootwait)\n", p->root);
	else
		out("host: wait for %s up to %lld ms\n", p->root,
		    (long long)p->wait_ms);
	int image = *p->loop != 0;
	unsigned long fl = 0;
	char data[512];
	int rw = -1;
	opts_rw(p->rootflags, &fl, data, sizeof(data), &rw);
	int host_rw = (p->rw || rw == 1) && rw != 0;
	out("%s: mount %s on %s as %s, %s%s%s\n", image ? "host" : "root",
	    p->root, image ? HOST_DIR : NEWROOT,
	    *p->rootfstype ? p->rootfstype : "(probed)", host_rw ? "rw" : "ro",
	    *p->rootflags ? ", options " : "", p->rootflags);
	if (image) {
		out("image: %s%s%s\n", HOST_DIR, *p->loop == '/' ? "" : "/", p->loop);
		if (*p->looppart)
			out("image: partition %s\n", p->looppart);
		else
			out("image: offset %llu, size %s\n",
			    (unsigned long long)p->loopoffset,
			    p->loopsize ? human(p->loopsize, s1, sizeof(s1))
					: "to the end");
		out("image: attach %s, dio %s, sector %s\n", p->rw ? "rw" : "ro",
		    dio_word(p->loopdio),
		    p->loopsector ? (snprintf(s1, sizeof(s1), "%u", p->loopsector), s1)
				  : "auto");
		out("image: mount on %s as %s, %s%s%s\n", NEWROOT,
		    *p->loopfstype ? p->loopfstype : "(probed)",
		    p->rw ? "rw" : "ro", *p->loopflags ? ", options " : "",
		    p->loopflags);
		if (*p->loophost)
			out("switch: host moves to %s if the image has that directory\n",
			    p->loophost);
		else
			out("switch: host is not kept (loophost=none)\n");
	}
	out("switch: exec %s\n", p->init);
	if (p->brk)
		out("break: shell before %s\n",
		    p->brk == BREAK_PREMOUNT ? "waiting for the host"
		    : p->brk == BREAK_MOUNT ? "mounting" : "switch_root");
	if (p->panic_s >= 0)
		out("failure: reboot after %d s (panic=%d)\n", p->panic_s,
		    p->panic_s);
	else
		out("failure: rescue shell if /bin/sh exists, else wait\n");
	out("debug: %s\n", p->debug ? "on" : "off");
	return out_flush() < 0 ? EXIT_FAIL : EXIT_OK;
}

static const char usage_text[] =
	"usage: init (as PID 1) | init --dry-run [--cmdline \"KERNEL COMMAND LINE\"]";

static _Noreturn void usage(int asked)
{
	usage_exit(usage_text, asked);
}

int init_main(int argc, char **argv)
{
	static const struct opt tab[] = {
		{"dry-run", 'n', OPT_NONE},
		{"cmdline", 'c', OPT_REQ},
		{"help", 'h', OPT_NONE},
		{NULL, 0, 0},
	};
	static struct boot b;
	const char *cmdline = NULL;
	int dry = 0;

	t_start = b.t0 = now_usec();
	/* As PID 1 our argv holds the kernel's extra words for the real init:
	 * never parse them as options. */
	if (getpid() != 1) {
		struct optstate st;
		int c;
		opt_init(&st);
		while ((c = opt_next(&st, argc, argv, tab)) != 0) {
			if (c == 'n')
				dry = 1;
			else if (c == 'c')
				cmdline = st.arg;
			else if (c == 'h')
				usage(1);
			else
				die(EXIT_USAGE, "%s: unknown option or missing value",
				    st.bad ? st.bad : "?");
		}
		if (!dry)
			die(EXIT_USAGE, "not PID 1: use --dry-run [--cmdline ...] "
					"to check a command line");
	}
	char line[BOOT_CMDLINE_MAX];
	struct boot_plan *p = &b.plan;
	int r;
	if (dry) {
		if (!cmdline) {
			r = read_cmdline(PROC_CMDLINE, line, sizeof(line));
			if (r < 0)
				die_errno(r, PROC_CMDLINE);
			cmdline = line;
		}
		r = parse_plan(p, cmdline);
		if (r == -EDESTADDRREQ)
			die(EXIT_FAIL, "cmdline: no root= (or img_dev=/img_label=): "
				       "nothing to boot");
		if (r == -E2BIG)
			die(EXIT_FAIL, "cmdline: longer than %d bytes",
			    BOOT_CMDLINE_MAX - 1);
		if (r < 0)
			die(EXIT_FAIL, "cmdline: %s: invalid", p->bad);
		return dry_run(p, cmdline);
	}

	mount_basics();
	b.argv = argv;
	for (;;) {
		/* A corrected line written from the rescue shell wins. */
		const char *src = RESCUE_CMDLINE;
		if (read_cmdline(src, line, sizeof(line)) < 0) {
			src = PROC_CMDLINE;
			if (read_cmdline(src, line, sizeof(line)) < 0)
				line[0] = 0;
		}
		r = parse_plan(p, line);
		debug = p->debug;
		trace("loopbox " LOOPBOX_VERSION " init: %s: %s", src, line);
		if (r == 0) {
			load_modules();
			boot_once(&b); /* returns only on failure */
			undo(&b);
		} else if (r == -EDESTADDRREQ) {
			para("cmdline: no root= (or img_dev=/img_label=) in %s: "
			     "nothing to boot\n  cmdline: %s", src, line);
		} else {
			para("cmdline: %s: invalid\n  cmdline (%s): %s",
			     r == -E2BIG ? "too long" : p->bad, src, line);
		}
		fail(&b);
		mount_basics();
	}
}
