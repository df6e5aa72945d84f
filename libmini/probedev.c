/* Devices by name: what the boot code waits for (root=LABEL=..., UUID=,
 * PARTUUID=) and what the blkid applet lists. Only /sys/class/block and
 * read-only opens of /dev/NAME: no udev, no cache, no libblkid. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mini.h"
#include "probe.h"

static struct ptable ptab; /* 28 KiB: static, never on the PID-1 stack */

/* A partition block device's entry in its disk's table: the disk is the
 * directory that /sys/dev/block/M:m links into (.../DISK/PART), and the
 * partition's number is its "partition" attribute. */
static int probe_part_entry(dev_t dev, struct part *out)
{
	char p[64], nr[24], link[512];
	struct src s;
	int n = snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/partition",
			 major(dev), minor(dev));
	if (sysfs_read_str(AT_FDCWD, p, nr, sizeof(nr)) < 0)
		return 0;
	p[n - 10] = 0;
	ssize_t l = readlink(p, link, sizeof(link) - 1);
	if (l <= 0)
		return 0;
	link[l] = 0;
	char *part = strrchr(link, '/'), *disk;
	if (!part)
		return 0;
	*part = 0;
	disk = strrchr(link, '/');
	snprintf(p, sizeof(p), "/dev/%s", disk ? disk + 1 : link);
	int fd = src_open(&s, p), i = -1;
	if (fd < 0)
		return 0;
	if (!ptable_read(&s, &ptab) && (i = ptable_find(&ptab, nr)) >= 0)
		*out = ptab.p[i];
	close(fd);
	return i >= 0;
}

int probe_window(const char *path, uint64_t off, uint64_t size,
		 struct probe_res *r)
{
	struct src s;
	struct stat st;
	memset(r, 0, sizeof(*r));
	int fd = src_open(&s, path);
	if (fd < 0)
		return fd;
	int whole = !off && !size;
	if (off > s.size)
		off = s.size;
	if (!size || size > s.size - off)
		size = s.size - off;
	src_fd(&s, fd, off, size);
	r->has_fs = !fs_probe(&s, &r->fs);
	/* A corrupt MBR is still "dos" to blkid; a protective MBR without a
	 * readable GPT is nothing. */
	int q = ptable_read(&s, &ptab);
	if (!q || (q == -EBADMSG && ptab.type == PT_MBR)) {
		r->pttype = ptab.type;
		memcpy(r->ptuuid, ptab.uuid, sizeof(r->ptuuid));
	}
	if (whole && !fstat(fd, &st) && S_ISBLK(st.st_mode))
		r->has_part = probe_part_entry(st.st_rdev, &r->part);
	close(fd);
	return 0;
}

int probe_path(const char *path, struct probe_res *r)
{
	return probe_window(path, 0, 0, r);
}

int probe_each_dev(int (*fn)(int sys, const char *name, uint64_t sectors,
			     void *arg), void *arg)
{
	int sys = sysfs_open();
	if (sys < 0)
		return sys;
	struct dirit d; /* no malloc: musl's fdopendir allocates */
	int r = dir_open(&d, sys, "class/block");
	if (r < 0) {
		close(sys);
		return r;
	}
	const char *name;
	while (!r && (name = dir_next(&d, NULL))) {
		char p[300];
		uint64_t size;
		if (name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "class/block/%s/size", name);
		if (sysfs_read_u64(sys, p, &size) < 0 || !size)
			continue;
		r = fn(sys, name, size, arg);
	}
	dir_close(&d);
	close(sys);
	return r;
}

struct want {
	const char *spec;  /* "KEY=value" (key upper-cased) */
	const char *val;   /* the value after KEY= */
	int key;           /* K_* */
	int nroff;         /* PARTNROFF */
	char *out;
	size_t size;
	dev_t dev;
};
enum { K_LABEL, K_UUID, K_PARTUUID, K_PARTLABEL, K_DEVNUM };

static int found(struct want *w, const char *name)
{
	snprintf(w->out, w->size, "/dev/%s", name);
	return 1;
}

/* Partition nr of disk name: its child directory whose partition says so. */
static int child_with_nr(int sys, const char *disk, int nr, struct want *w)
{
	char p[300];
	snprintf(p, sizeof(p), "class/block/%s", disk);
	struct dirit d;
	if (dir_open(&d, sys, p) < 0)
		return 0;
	const char *name;
	int r = 0;
	while (!r && (name = dir_next(&d, NULL))) {
		uint64_t v;
		snprintf(p, sizeof(p), "%s/partition", name);
		if (name[0] != '.' && !sysfs_read_u64(d.fd, p, &v) &&
		    v == (uint64_t)nr)
			r = found(w, name);
	}
	dir_close(&d);
	return r;
}

static int match(int sys, const char *name, uint64_t sectors, void *arg)
{
	struct want *w = arg;
	char p[300];
	struct src s;
	dev_t dev;
	int r = 0;

	if (w->key == K_DEVNUM) {
		snprintf(p, sizeof(p), "class/block/%s/dev", name);
		return !sysfs_read_devnum(sys, p, &dev) && dev == w->dev &&
		       found(w, name);
	}
	snprintf(p, sizeof(p), "/dev/%s", name);
	int fd = src_open(&s, p);
	if (fd < 0)
		return 0;
	if (w->key <= K_UUID) {
		struct fsinfo fi;
		if (!fs_probe(&s, &fi))
			r = w->key == K_LABEL ? fi.has_label && !strcmp(fi.label, w->val)
					      : fi.has_uuid && !strcasecmp(fi.uuid, w->val);
		r = r && found(w, name);
	} else {
		/* The disk's table, then the partition device of that entry. */
		snprintf(p, sizeof(p), "class/block/%s/partition", name);
		int i;
		if (!sysfs_exists(sys, p) && !ptable_read(&s, &ptab) &&
		    (i = ptable_find(&ptab, w->spec)) >= 0)
			r = child_with_nr(sys, name, ptab.p[i].nr + w->nroff, w);
	}
	close(fd);
	return r;
}

int probe_find_dev(const char *spec, char *devpath, size_t size)
{
	static const char keys[] = "LABEL=\0UUID=\0PARTUUID=\0PARTLABEL=\0";
	char buf[300];
	struct want w = {.out = devpath, .size = size, .key = K_LABEL};
	struct stat st;

	if (!strncmp(spec, "/dev/", 5)) {
		if (stat(spec, &st) || !S_ISBLK(st.st_mode))
			return -ENOENT;
		snprintf(devpath, size, "%s", spec);
		return 0;
	}
	for (const char *k = keys; *k; k += strlen(k) + 1, w.key++) {
		size_t n = strlen(k);
		if (!strncasecmp(spec, k, n)) {
			snprintf(buf, sizeof(buf), "%s%s", k, spec + n);
			w.spec = buf;
			w.val = buf + n;
			break;
		}
	}
	if (w.key == K_DEVNUM) {
		if (parse_devnum(spec, 10, &w.dev))
			return -EINVAL;
	} else {
		char *off = w.key == K_PARTUUID ? strchr(buf, '/') : NULL;
		if (off) {
			uint64_t n;
			*off++ = 0;
			int neg = !strncasecmp(off, "PARTNROFF=-", 11);
			if (strncasecmp(off, "PARTNROFF=", 10) ||
			    parse_uint(off + 10 + neg, 4 * PT_MAX, &n))
				return -EINVAL;
			w.nroff = neg ? -(int)n : (int)n;
		}
		if (!*w.val)
			return -EINVAL;
	}
	int r = probe_each_dev(match, &w);
	return r > 0 ? 0 : r < 0 ? r : -ENOENT;
}
