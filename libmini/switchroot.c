/* Leaving the initramfs: shared by /init and the switch_root applet.
 * Rule (docs/boot.md): check everything before destroying anything. Once
 * the initramfs is being deleted there is no way back, so sroot_check()
 * carries every test that can fail for a reason the user can fix. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mini.h"
#include "boot.h"

#define RAMFS_MAGIC 0x858458f6
#define TMPFS_MAGIC 0x01021994

static const char *const api_mounts[] = {"/dev", "/proc", "/sys", "/run"};

/* err 0: errno. */
static int fail(struct sroot *r, int err, const char *step, const char *what)
{
	r->step = step;
	snprintf(r->what, sizeof(r->what), "%s", what);
	return -(err ? err : errno);
}

int path_in_root(const char *root, const char *path, char *out, size_t size)
{
	char cur[PATH_MAX], link[PATH_MAX];

	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
		return -ENAMETOOLONG;
	/* Same bound as the kernel's MAXSYMLINKS. */
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		if (snprintf(out, size, "%s%s%s", root, *cur == '/' ? "" : "/",
			     cur) >= (int)size)
			return -ENAMETOOLONG;
		if (lstat(out, &st) < 0)
			return -errno;
		if (!S_ISLNK(st.st_mode))
			return 0;
		ssize_t n = readlink(out, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = 0;
		/* Relative: against the link's own directory. */
		char *slash = strrchr(cur, '/');
		size_t dl = *link == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
		if (dl + (size_t)n >= sizeof(cur))
			return -ENAMETOOLONG;
		memcpy(cur + dl, link, (size_t)n + 1);
	}
	return -ELOOP;
}

/* A mount point: another device than "/" (bind mounts of "/" itself do
 * not occur in an initramfs). */
static int mounted(const char *path, dev_t rootdev)
{
	struct stat st;
	return stat(path, &st) == 0 && st.st_dev != rootdev;
}

/* sub must be a directory inside newroot (symlinks resolved in it). */
static int need_dir(struct sroot *r, const char *sub)
{
	char p[PATH_MAX];
	struct stat st;
	int e = path_in_root(r->newroot, sub, p, sizeof(p));
	if (!e)
		e = stat(p, &st) ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (e) {
		r->step = "mount point";
		snprintf(r->what, sizeof(r->what), "%s%s", r->newroot, sub);
	}
	return e;
}

int sroot_check(struct sroot *r)
{
	struct statfs sf;
	struct stat rs, ns, is;
	char p[PATH_MAX];
	int e;

	if (getpid() != 1)
		return fail(r, EPERM, "pid 1", "not process 1");
	if (statfs("/", &sf) < 0 || stat("/", &rs) < 0)
		return fail(r, 0, "stat", "/");
	if (sf.f_type != RAMFS_MAGIC && sf.f_type != TMPFS_MAGIC)
		return fail(r, EINVAL, "statfs", "/ is not ramfs/tmpfs");
	e = stat(r->newroot, &ns) ? errno : S_ISDIR(ns.st_mode) ? 0 : ENOTDIR;
	if (e)
		return fail(r, e, "stat", r->newroot);
	if (ns.st_dev == rs.st_dev)
		return fail(r, EINVAL, "new root", "not a mount point (same device as /)");
	e = path_in_root(r->newroot, r->init, p, sizeof(p));
	if (!e)
		e = stat(p, &is) ? -errno : !S_ISREG(is.st_mode) ? -EACCES
			: access(p, X_OK) ? -errno : 0;
	if (e)
		return fail(r, -e, "init", r->init);
	/* No place for the host in the new root: it is detached instead. */
	if (r->host_dst && need_dir(r, r->host_dst))
		r->host_dst = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(api_mounts); i++)
		if (mounted(api_mounts[i], rs.st_dev) &&
		    (e = need_dir(r, api_mounts[i])) < 0)
			return e;
	return 0;
}

/* Deletes a directory's contents, staying on dev and never following
 * symlinks. Errors are ignored: the memory is freed as far as possible and
 * the switch goes on. */
static void del_tree(int dfd, dev_t dev)
{
	/* No malloc: musl's fdopendir allocates. "." of dfd keeps the
	 * O_NOFOLLOW open below as the only open of a subdirectory by name. */
	struct dirit d;
	int err = dir_open(&d, dfd, ".");
	close(dfd);
	if (err < 0)
		return;
	const char *n;
	while ((n = dir_next(&d, NULL))) {
		struct stat st;
		if (fstatat(d.fd, n, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(d.fd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);
			if (sub >= 0)
				del_tree(sub, dev);
			unlinkat(d.fd, n, AT_REMOVEDIR);
		} else {
			unlinkat(d.fd, n, 0);
		}
	}
	dir_close(&d);
}

static int move_into(struct sroot *r, const char *m, const char *dst)
{
	char p[PATH_MAX];
	path_in_root(r->newroot, dst, p, sizeof(p));
	return mount(m, p, NULL, MS_MOVE, NULL) < 0 ? fail(r, 0, "MS_MOVE", m) : 0;
}

int sroot_switch(struct sroot *r)
{
	struct stat rs;
	int e;

	if (stat("/", &rs) < 0)
		return fail(r, 0, "stat", "/");
	for (size_t i = 0; i < ARRAY_SIZE(api_mounts); i++)
		if (mounted(api_mounts[i], rs.st_dev) &&
		    (e = move_into(r, api_mounts[i], api_mounts[i])) < 0)
			return e;
	if (r->host_dst && (e = move_into(r, r->host, r->host_dst)) < 0)
		return e;
	if (r->host && !r->host_dst)
		/* No place for it in the image: detach it from the tree; a loop
		 * device over one of its files keeps it alive. */
		umount2(r->host, MNT_DETACH);
	if (chdir(r->newroot) < 0)
		return fail(r, 0, "chdir", r->newroot);

	r->keep_going = 1;
	int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		del_tree(dfd, rs.st_dev);

	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) {
		e = errno;
		/* Not on rootfs (a tmpfs root set up by someone else): pivot
		 * with put_old on top of new root, then drop the old one. */
		if (syscall(SYS_pivot_root, ".", ".") < 0 ||
		    umount2(".", MNT_DETACH) < 0)
			return fail(r, e, "MS_MOVE", r->newroot);
	}
	if (chroot(".") < 0)
		return fail(r, 0, "chroot", r->newroot);
	if (chdir("/") < 0)
		return fail(r, 0, "chdir", "/");
	if (r->console)
		console_reopen(r->console);
	execv(r->init, r->argv);
	return fail(r, 0, "execve", r->init);
}

/* stdin, stdout and stderr onto a console; nothing changes if it cannot be
 * opened (a console that is not there is no reason to stop booting). */
void console_reopen(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}
