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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static struct boot_plan plan;
static struct boot {
	uint64_t t0;           /* /init start, microseconds */
	char hostdev[256];
	char hosttype[32];
	char image[PATH_MAX];  /* the image path inside the initramfs */
	uint64_t image_size;
	uint64_t offset;       /* the window attached */
	char loopdev[64];
	int loopfd;            /* held until the image is mounted */
	char fstype[32];
	int host_mounted, root_mounted;
	char **argv;           /* our argv: the kernel's extra words for init */
} b;

/* BREAK_PREMOUNT..BREAK_SWITCH: the phase a break= stops before. */
static const char *const phases[][2] = {
	{"waiting for the host", "premount"},
	{"mounting", "mount"},
	{"switch_root", "switch"},
};

/* printf into buf at *len, which stays below size (truncating). */
static void vadd(char *buf, size_t size, size_t *len, const char *fmt,
		 va_list ap)
{
	int n = vsnprintf(buf + *len, size - *len, fmt, ap);
	if (n > 0)
		*len += (size_t)n;
	if (*len >= size)
		*len = size - 1;
}

/* A failure paragraph: built up with para(), printed at once by fail(). */
static char why[4096];
static size_t whylen;

static void para(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void para(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(why, sizeof(why), &whylen, fmt, ap);
	va_end(ap);
}

/* "[0.123] host: found ..." on the console, one write per line. It is
 * formatted after the paragraph being built, which stays as it was. */
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
	if (!plan.debug)
		return;
	size_t n = whylen;
	uint64_t ms = (now_usec() - b.t0) / 1000;
	para("[%llu.%03llu] ", (unsigned long long)(ms / 1000),
	     (unsigned long long)(ms % 1000));
	va_list ap;
	va_start(ap, fmt);
	vadd(why, sizeof(why), &whylen, fmt, ap);
	va_end(ap);
	why[whylen] = '\n';
	(void)!write(2, why + n, whylen + 1 - n);
	whylen = n;
}

static const char *human(uint64_t bytes, char *buf)
{
	static const char u[] = "BKMGTPE";
	int i = 0;
	uint64_t x = bytes;
	while (x >= 1024 && !(x % 1024) && i < 6) {
		x /= 1024;
		i++;
	}
	snprintf(buf, 32, i ? "%llu %ciB" : "%llu bytes", (unsigned long long)x,
		 u[i]);
	return buf;
}

static void para_part(const struct part *q)
{
	para(" PARTUUID=%s%s%s%s", q->uuid, q->label[0] ? " PARTLABEL=\"" : "",
	     q->label, q->label[0] ? "\"" : "");
}

static void para_fs(const struct fsinfo *fs)
{
	if (fs->has_label)
		para(" LABEL=\"%s\"", fs->label);
	if (fs->has_uuid)
		para(" UUID=%s", fs->uuid);
}

/* "vda (8 GiB, gpt), vda1 (ext4 LABEL=HOST UUID=...)": what a user needs
 * to correct root=. Uses our own probes, not udev. */
static int para_dev(int sys, const char *name, uint64_t sectors, void *arg)
{
	char path[300], sz[32];
	struct probe_res pr;
	snprintf(path, sizeof(path), "/dev/%s", name);
	int r = probe_path(path, &pr);
	para("\n    %s: %s", path, human(sectors * 512, sz));
	if (r < 0)
		para(", cannot open: %s", strerror(-r));
	if (pr.pttype)
		para(", %s table", pr.pttype == PT_GPT ? "gpt" : "dos");
	if (pr.has_fs) {
		para(", %s", pr.fs.type);
		para_fs(&pr.fs);
	}
	if (pr.has_part)
		para_part(&pr.part);
	if (!r && !pr.pttype && !pr.has_fs)
		para(", no filesystem or partition table found");
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

/* ---- what happens after a failure ------------------------------------ */

/* Runs /bin/sh on the console; returns when it exits. Without one, says
 * so and what happens instead. */
static int shell(const char *instead)
{
	static char *const argv[] = {"sh", NULL};
	if (access("/bin/sh", X_OK) < 0) {
		msg("no /bin/sh in this initramfs: %s", instead);
		return -1;
	}
	pid_t w, pid = _Fork(); /* see mini.h */
	if (pid == 0) {
		/* Its own session with the console as controlling tty, so ^C
		 * reaches the shell's children and not us. */
		setsid();
		ioctl(0, TIOCSCTTY, 1);
		execv("/bin/sh", argv);
		_exit(127);
	}
	/* PID 1 reaps every orphan while it waits for its shell. */
	while (pid > 0 && (w = wait(NULL)) != pid && (w > 0 || errno != ECHILD))
		;
	return pid > 0 ? 0 : -1;
}

static _Noreturn void hang(void)
{
	for (;;)
		sleep_ms(~0u);
}

/* Prints the paragraph, then rescue: the shell returns here so the boot
 * can be retried; panic= and "nothing to do" never return. */
static void fail(void)
{
	int s = plan.panic_s;
	why[whylen] = 0;
	msg("%s", why);
	whylen = 0;
	if (s >= 0) {
		msg("rebooting in %d s (panic=%d)", s, s);
		while (s-- > 0)
			sleep_ms(1000);
		sync();
		reboot(RB_AUTOBOOT);
		hang();
	}
	msg("starting a rescue shell; exit retries the boot (with "
	    RESCUE_CMDLINE " if written)");
	if (shell("waiting (panic=<s> reboots instead)") == 0)
		return;
	hang();
}

static void break_shell(int phase)
{
	if (plan.brk != phase)
		return;
	const char *const *ph = phases[phase - BREAK_PREMOUNT];
	msg("break before %s (break=%s): starting a shell; exit it to continue",
	    ph[0], ph[1]);
	shell("continuing");
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

/* The first line of path into buf (BOOT_CMDLINE_MAX bytes): one read,
 * as for a sysfs attribute. */
static int read_cmdline(const char *path, char *buf)
{
	int r = sysfs_read_str(AT_FDCWD, path, buf, BOOT_CMDLINE_MAX);
	if (r >= 0)
		buf[strcspn(buf, "\n")] = 0;
	return r;
}

static void module_done(const char *path, int err, uint64_t usec, void *ctx)
{
	/* Not fatal by itself: a missing driver shows as a missing device,
	 * and the failure paragraph lists what was seen. */
	const char *name = strrchr(path, '/');
	if (err < 0)
		msg_errno(err, "module %s: finit_module", path);
	else
		trace("module: %s loaded in %llu ms", name ? name + 1 : path,
		      (unsigned long long)(usec / 1000));
}

/* Whether key occurs in list; a loop, not strstr, whose two-way search
 * is 1.3 KiB of the static binary. */
static int has_key(const char *list, const char *key)
{
	for (; *list; list++)
		if (!strncmp(list, key, strlen(key)))
			return 1;
	return 0;
}

/* A filesystem's modules, the first time that type is mounted. */
static void load_fs(const char *type)
{
	static char done[512]; /* "/ext4//squashfs/" */
	char path[64], key[40];
	size_t n = strlen(done);

	snprintf(key, sizeof(key), "/%s/", type);
	if (strchr(type, '/') || has_key(done, key))
		return;
	if (n + strlen(key) < sizeof(done))
		strcpy(done + n, key);
	/* Built in, or not in this initramfs: no list, nothing to do. */
	snprintf(path, sizeof(path), FS_MODULES "/%s", type);
	module_load_list(path, module_done, NULL);
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

/* How long the host is waited for, in words. */
static const char *wait_words(char *buf)
{
	if (plan.wait_ms == WAIT_FOREVER)
		return "forever (rootwait)";
	snprintf(buf, 32, "up to %lld ms", (long long)plan.wait_ms);
	return buf;
}

static int wait_host(void)
{
	uint64_t waited = 0;
	char lim[32];
	trace("host: waiting for %s, %s", plan.root, wait_words(lim));
	int r = dev_wait(plan.root, b.hostdev, sizeof(b.hostdev), plan.wait_ms,
			 &waited);
	if (r == 0) {
		trace("host: found %s (%s) after %llu ms", b.hostdev, plan.root,
		      (unsigned long long)waited);
		return 0;
	}
	if (r == -ETIMEDOUT)
		para("host: root=%s did not appear within %lld ms", plan.root,
		     (long long)plan.wait_ms);
	else
		para("host: root=%s: %s", plan.root, r == -EINVAL ?
		     "not a device spec (/dev/NAME, UUID=, PARTUUID=, LABEL=, "
		     "PARTLABEL=, MAJ:MIN)" : strerror(-r));
	para_devices();
	return -1;
}

/* rootflags= (host, or root without loop=) or loopflags= (image) as MS_*
 * flags and data (BOOT_CMDLINE_MAX bytes: the options are part of the
 * command line, so they always fit). Read-only unless asked for: the
 * image by rw, the host also by rw in rootflags=; ro in them always wins. */
static unsigned long mount_flags(int image, char *data)
{
	const char *opts = image ? plan.loopflags : plan.rootflags;
	unsigned long a = 0, r = MS_RDONLY;
	mount_opts(opts, &a, data, BOOT_CMDLINE_MAX);
	mount_opts(opts, &r, data, BOOT_CMDLINE_MAX);
	/* a and r differ only when the options say neither ro nor rw. */
	int rw = (a ^ r) & MS_RDONLY ? plan.rw
				     : !(a & MS_RDONLY) && (plan.rw || !image);
	return a | (rw ? 0 : MS_RDONLY);
}

static const char *ro_word(unsigned long flags)
{
	return flags & MS_RDONLY ? "ro" : "rw";
}

/* What is really at the image window: for "wrong fstype" and "no fs". */
static void para_probe_loop(void)
{
	struct probe_res pr;
	if (probe_path(b.loopdev, &pr) == 0 && pr.has_fs) {
		para("\n  the probe sees %s there", pr.fs.type);
		para_fs(&pr.fs);
		return;
	}
	unsigned char buf[16];
	int fd = open(b.loopdev, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf), 0) : -1;
	close(fd);
	para("\n  no known filesystem or partition table at offset %llu of "
	     "the image%s; its first bytes are", (unsigned long long)b.offset,
	     pr.pttype ? " (it has a partition table: looppart=N?)" : "");
	for (ssize_t i = 0; i < n; i++)
		para(" %02x", buf[i]);
}

/* Mounts the host (or root= without loop=) or the image: with the given
 * type(s), else the probed type, else (host only) every block filesystem
 * the kernel knows, as the kernel itself does. */
static int mount_step(int image)
{
	const char *what = image ? "image" : *plan.loop ? "host" : "root";
	const char *dev = image ? b.loopdev : b.hostdev;
	const char *dir = image || !*plan.loop ? NEWROOT : HOST_DIR;
	const char *types = image ? plan.loopfstype : plan.rootfstype;
	char *used = image ? b.fstype : b.hosttype;
	char data[BOOT_CMDLINE_MAX], list[512];
	unsigned long flags = mount_flags(image, data);
	struct probe_res pr;
	int r = -ENODEV;

	if (!*types) {
		if (probe_path(dev, &pr) == 0 && pr.has_fs) {
			types = pr.fs.type;
			trace("%s: probed %s", what, types);
		} else if (image) {
			para("image: %s (%llu bytes) attached as %s: no filesystem "
			     "found", b.image, (unsigned long long)b.image_size, dev);
			para_probe_loop();
			return -1;
		} else {
			/* "nodev" lines are virtual filesystems: skip them. */
			struct lines f; /* not stdio: fopen mallocs */
			char *line;
			size_t o = 0;
			load_all_fs();
			list[0] = 0;
			if (!lines_open(&f, AT_FDCWD, "/proc/filesystems")) {
				while ((line = lines_next(&f)))
					if (strncmp(line, "nodev", 5) && o < sizeof(list))
						o += (size_t)snprintf(list + o, sizeof(list) - o,
								      "%s,", line + 1);
				lines_close(&f);
			}
			types = list;
		}
	}
	mkdir(dir, 0755);
	for (const char *t = types; *t;) {
		size_t n = strcspn(t, ",");
		snprintf(used, 32, "%.*s", (int)n, t);
		t += n + (t[n] == ',');
		load_fs(used);
		r = mount(dev, dir, used, flags, data) ? -errno : 0;
		/* Read-only media refused rw: the kernel's fallback too. */
		if ((r == -EROFS || r == -EACCES) && !(flags & MS_RDONLY) &&
		    mount(dev, dir, used, flags | MS_RDONLY, data) == 0) {
			msg_warn("%s is read-only: mounted ro", dev);
			flags |= MS_RDONLY;
			r = 0;
		}
		if (!r)
			break;
	}
	if (r < 0) {
		para("%s: mount %s (%s) on %s as %s (%s%s%s): %s", what, dev,
		     image ? b.image : plan.root, dir, types == list ? "any type" : types,
		     ro_word(flags), *data ? "," : "", data, strerror(-r));
		if (image)
			para_probe_loop();
		else
			para_devices();
		return -1;
	}
	if (image || !*plan.loop)
		b.root_mounted = 1;
	else
		b.host_mounted = 1;
	trace("%s: mounted %s (%s, %s) on %s", what, dev, used, ro_word(flags),
	      dir);
	return 0;
}

static void image_path(void)
{
	snprintf(b.image, sizeof(b.image), HOST_DIR "%s%s",
		 *plan.loop == '/' ? "" : "/", plan.loop);
}

static int stat_image(void)
{
	struct src s;

	image_path();
	int fd = src_open(&s, b.image);
	if (fd >= 0) {
		close(fd);
		b.image_size = s.size;
		if (s.size)
			return 0;
		para("image: loop=%s on %s (%s) is 0 bytes", plan.loop, b.hostdev,
		     b.hosttype);
		return -1;
	}
	para("image: loop=%s: %s on the host %s (%s)", plan.loop,
	     fd == -ENODEV ? "not a file or block device" : strerror(-fd),
	     b.hostdev, b.hosttype);
	char *slash = strrchr(b.image, '/');
	*slash = 0;
	struct dirit d; /* no malloc: musl's opendir allocates */
	const char *name = NULL;
	int n = 0, err = dir_open(&d, AT_FDCWD, b.image);
	if (err < 0) {
		para("\n  %s: %s", b.image, strerror(-err));
	} else {
		para("\n  %s contains:", b.image);
		while ((name = dir_next(&d, NULL)) && n++ < 20)
			para(" %s", name);
		para(name ? " ..." : n ? "" : " nothing");
		dir_close(&d);
	}
	*slash = '/';
	return -1;
}

/* looppart= not found: the partitions the image has, read with our own
 * table parser (the attach engine only counts them). */
static void para_parts(void)
{
	static struct ptable pt;
	struct src s;
	int fd = src_open(&s, b.image);
	if (fd >= 0 && !ptable_read(&s, &pt)) {
		para("\n  its %s table has:", pt.type == PT_GPT ? "gpt" : "dos");
		for (const struct part *q = pt.p; q < pt.p + pt.n; q++) {
			para("\n    %d: start %llu, %llu bytes,", q->nr,
			     (unsigned long long)q->start,
			     (unsigned long long)q->size);
			para_part(q);
		}
	}
	close(fd);
}

static int attach_image(void)
{
	struct attach_req req = {
		.file = b.image,
		.offset = plan.loopoffset,
		.sizelimit = plan.loopsize,
		.partition = *plan.looppart ? plan.looppart : NULL,
		.block_size = plan.loopsector,
		.dio = plan.loopdio,
		.nr = -1,
		.ro = !plan.rw,
		/* Freed by the kernel when the root is unmounted at shutdown.
		 * The kernel clears an autoclear device at its last close, so
		 * we hold it open until the mount holds it (or a failure
		 * drops it). */
		.autoclear = 1,
		.keep_fd = 1,
	};
	struct attach_res res;
	int r = loop_attach(&req, &res);
	if (r < 0) {
		para("image: attach %s (%llu bytes, offset %llu, size %llu%s%s): %s%s%s",
		     b.image, (unsigned long long)b.image_size,
		     (unsigned long long)plan.loopoffset,
		     (unsigned long long)plan.loopsize,
		     *plan.looppart ? ", looppart=" : "", plan.looppart,
		     res.failed_step ? res.failed_step : "",
		     res.failed_step ? ": " : "", res.why[0] ? res.why : strerror(-r));
		if (req.partition)
			para_parts();
		return -1;
	}
	b.loopfd = res.fd;
	b.offset = res.st.offset;
	loop_path(res.nr, b.loopdev, sizeof(b.loopdev));
	if (plan.rw && (res.warn & AW_RO_FALLBACK))
		msg_warn("%s: rw refused (%s): attached read-only", b.image,
			 strerror(res.ro_errno));
	trace("image: %s attached as %s (offset %llu, %llu bytes, %s, dio %s, "
	      "%u-byte sectors)", b.image, b.loopdev,
	      (unsigned long long)b.offset, (unsigned long long)res.st.size,
	      res.st.flags & LO_FLAGS_READ_ONLY ? "ro" : "rw",
	      res.st.flags & LO_FLAGS_DIRECT_IO ? "on" : "off",
	      res.st.block_size);
	return 0;
}

/* Closing the last opener of an autoclear device unbinds it: after the
 * mount that is the mount; before, it is a failed attempt's cleanup. */
static void release_image(void)
{
	if (b.loopfd >= 0)
		close(b.loopfd);
	b.loopfd = -1;
}

static int switch_to(void)
{
	struct sroot sr = {
		.newroot = NEWROOT,
		.init = plan.init,
		.console = "/dev/console",
		.argv = b.argv,
	};
	b.argv[0] = (char *)plan.init;
	if (b.host_mounted) {
		sr.host = HOST_DIR;
		sr.host_dst = *plan.loophost ? plan.loophost : NULL;
	}
	int r = sroot_check(&sr);
	if (r == 0) {
		if (sr.host)
			trace("switch: host %s: %s", b.hostdev, sr.host_dst ?
			      sr.host_dst : "detached (no loophost dir)");
		trace("switch: exec %s after %llu ms", plan.init,
		      (unsigned long long)((now_usec() - b.t0) / 1000));
		r = sroot_switch(&sr); /* only a failure comes back */
	}
	para("switch: %s: %s: %s", sr.step, sr.what, strerror(-r));
	if (!strcmp(sr.step, "init"))
		para(" (init=%s inside %s, %s %s)", plan.init,
		     b.host_mounted ? b.image : b.hostdev,
		     b.host_mounted ? b.loopdev : b.hosttype,
		     b.host_mounted ? b.fstype : "");
	if (sr.keep_going)
		para("\n  the initramfs is already deleted: no rescue shell");
	return -1;
}

static int boot_once(void)
{
	b.loopfd = -1;
	break_shell(BREAK_PREMOUNT);
	if (wait_host() < 0)
		return -1;
	break_shell(BREAK_MOUNT);
	if (mount_step(0) < 0)
		return -1;
	if (*plan.loop) {
		if (stat_image() < 0 || attach_image() < 0)
			return -1;
		int r = mount_step(1);
		release_image();
		if (r < 0)
			return -1;
	}
	break_shell(BREAK_SWITCH);
	return switch_to();
}

/* Undoes a failed attempt so the rescue shell's "exit" can retry. */
static void undo(void)
{
	if (b.root_mounted)
		umount2(NEWROOT, MNT_DETACH);
	release_image();
	if (b.host_mounted)
		umount2(HOST_DIR, MNT_DETACH);
	b.root_mounted = b.host_mounted = 0;
}

/* Why a command line cannot be used, as the start of a paragraph. */
static void para_plan(int r)
{
	para("cmdline: %s: %s", r == -EDESTADDRREQ ? "no root= (or img_dev=/img_label=)"
				: r == -E2BIG ? "longer than 4095 bytes" : plan.bad,
	     r == -EDESTADDRREQ ? "nothing to boot" : "invalid");
}

static int dry_run(const char *cmdline)
{
	static const char dio[][5] = {"auto", "on", "off"};
	const struct boot_plan *p = &plan;
	char data[BOOT_CMDLINE_MAX], s1[32];
	int image = *p->loop != 0;

	out("cmdline: %s\n"
	    "modules: " MODULE_LIST " (if present), " FS_MODULES "/TYPE before "
	    "mounting TYPE\n"
	    "host: wait for %s %s\n", cmdline, p->root, wait_words(s1));
	out("%s: mount %s on %s as %s, %s%s%s\n", image ? "host" : "root",
	    p->root, image ? HOST_DIR : NEWROOT,
	    *p->rootfstype ? p->rootfstype : "(probed)",
	    ro_word(mount_flags(0, data)),
	    *p->rootflags ? ", options " : "", p->rootflags);
	if (image) {
		image_path();
		out("image: %s\n", b.image);
		if (*p->looppart)
			out("image: partition %s\n", p->looppart);
		else
			out("image: offset %llu, size %s\n",
			    (unsigned long long)p->loopoffset,
			    p->loopsize ? human(p->loopsize, s1) : "to the end");
		snprintf(s1, sizeof(s1), "%u", p->loopsector);
		out("image: attach %s, dio %s, sector %s\n", p->rw ? "rw" : "ro",
		    dio[p->loopdio], p->loopsector ? s1 : "auto");
		out("image: mount on " NEWROOT " as %s, %s%s%s\n"
		    "switch: host %s%s%s\n",
		    *p->loopfstype ? p->loopfstype : "(probed)",
		    ro_word(mount_flags(1, data)),
		    *p->loopflags ? ", options " : "", p->loopflags,
		    *p->loophost ? "moves to " : "is not kept (loophost=none)",
		    p->loophost, *p->loophost ? " if the image has that directory" : "");
	}
	out("switch: exec %s\n", p->init);
	if (p->brk)
		out("break: shell before %s\n", phases[p->brk - BREAK_PREMOUNT][0]);
	if (p->panic_s >= 0)
		out("failure: reboot after %d s (panic)\n", p->panic_s);
	else
		out("failure: rescue shell if /bin/sh exists, else wait\n");
	out("debug: %s\n", p->debug ? "on" : "off");
	return out_flush() < 0 ? EXIT_FAIL : EXIT_OK;
}

int init_main(int argc, char **argv)
{
	static const struct opt tab[] = {
		{"dry-run", 'n', OPT_NONE},
		{"cmdline", 'c', OPT_REQ},
		{"help", 'h', OPT_NONE},
		{NULL, 0, 0},
	};
	static char line[BOOT_CMDLINE_MAX];
	const char *cmdline = NULL;
	int r, dry = 0;

	b.t0 = now_usec();
	/* As PID 1 our argv holds the kernel's extra words for the real init:
	 * never parse them as options. */
	if (getpid() != 1) {
		struct optstate st;
		opt_init(&st);
		while ((r = opt_next(&st, argc, argv, tab)) != 0) {
			if (r == 'n')
				dry = 1;
			else if (r == 'c')
				cmdline = st.arg;
			else if (r == 'h')
				usage_exit("usage: init (as PID 1) | init --dry-run "
					   "[--cmdline LINE]", 1);
			else
				die(EXIT_USAGE, "%s: unknown option or missing value",
				    st.bad ? st.bad : "?");
		}
		if (!dry)
			die(EXIT_USAGE, "not PID 1: use --dry-run [--cmdline ...] "
					"to check a command line");
		if (!cmdline) {
			r = read_cmdline(PROC_CMDLINE, line);
			if (r < 0)
				die_errno(r, PROC_CMDLINE);
			cmdline = line;
		}
		r = boot_plan_parse(&plan, cmdline);
		if (r || (r = boot_plan_check(&plan))) {
			para_plan(r);
			die(EXIT_FAIL, "%s", why);
		}
		return dry_run(cmdline);
	}

	mount_basics();
	b.argv = argv;
	for (;;) {
		/* A corrected line written from the rescue shell wins. */
		const char *src = RESCUE_CMDLINE;
		if (read_cmdline(src, line) < 0) {
			src = PROC_CMDLINE;
			if (read_cmdline(src, line) < 0)
				line[0] = 0;
		}
		r = boot_plan_parse(&plan, line);
		if (!r)
			r = boot_plan_check(&plan);
		trace("loopbox " LOOPBOX_VERSION " init: %s: %s", src, line);
		if (r == 0) {
			r = module_load_list(MODULE_LIST, module_done, NULL);
			if (r == -ENOENT)
				trace("modules: no " MODULE_LIST ", none loaded");
			else if (r < 0)
				msg_errno(r, MODULE_LIST);
			boot_once(); /* returns only on failure */
			undo();
		} else {
			para_plan(r);
			para("\n  cmdline (%s): %s", src, line);
		}
		fail();
		mount_basics();
	}
}
