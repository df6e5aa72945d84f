/* Directories and paths without malloc: musl's opendir mallocs its DIR,
 * its realpath and getcwd strdup, and malloc alone is kilobytes of a static
 * binary that otherwise never allocates. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mini.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int dir_open(struct dirit *it, int dirfd, const char *path)
{
	it->pos = it->len = 0;
	it->fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return it->fd < 0 ? -errno : 0;
}

const char *dir_next(struct dirit *it, unsigned char *type)
{
	for (;;) {
		if (it->pos >= it->len) {
			long n = syscall(SYS_getdents64, it->fd, it->buf, sizeof(it->buf));
			if (n <= 0)
				return NULL;
			it->len = (int)n;
			it->pos = 0;
		}
		struct linux_dirent64 *d = (void *)(it->buf + it->pos);
		it->pos += d->d_reclen;
		if (d->d_name[0] == '.' &&
		    (!d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2])))
			continue;
		if (type)
			*type = d->d_type;
		return d->d_name;
	}
}

void dir_close(struct dirit *it)
{
	if (it->fd >= 0)
		close(it->fd);
	it->fd = -1;
}

/* Each component is looked at in turn, so out always holds a path free of
 * symlinks and ".." can simply drop its last component. */
int path_real(const char *path, char *out)
{
	char rest[PATH_MAX], link[PATH_MAX];
	size_t n = 0, len = strlen(path);
	int hops = 0;
	if (!len)
		return -ENOENT;
	if (len >= sizeof(rest))
		return -ENAMETOOLONG;
	memcpy(rest, path, len + 1);
	if (*path != '/') {
		if (syscall(SYS_getcwd, out, PATH_MAX) < 0)
			return -errno;
		if (*out != '/')
			return -ENOENT; /* "(unreachable)": cwd outside our root */
		n = strlen(out);
		if (n == 1)
			n = 0;
	}
	for (char *p = rest;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		for (len = 0; p[len] && p[len] != '/'; len++)
			;
		if (len <= 2 && p[0] == '.' && p[len - 1] == '.') {
			if (len == 2)
				while (n && out[--n] != '/')
					;
			p += len;
			continue;
		}
		if (n + 1 + len >= PATH_MAX)
			return -ENAMETOOLONG;
		out[n] = '/';
		memcpy(out + n + 1, p, len);
		out[n + 1 + len] = 0;
		p += len;
		ssize_t k = readlink(out, link, sizeof(link));
		if (k < 0 && errno != EINVAL)
			return -errno;
		if (k < 0) { /* not a symlink: a directory if a '/' follows */
			n += 1 + len;
			if (*p != '/')
				continue;
			if (n + 1 >= PATH_MAX)
				return -ENAMETOOLONG;
			out[n] = '/';
			out[n + 1] = 0;
			int r = (int)syscall(SYS_faccessat, AT_FDCWD, out, F_OK);
			out[n] = 0;
			if (r < 0)
				return -errno;
			continue;
		}
		/* A symlink: its target takes its place in what is left. */
		size_t tail = strlen(p);
		if (++hops > 40)
			return -ELOOP;
		if ((size_t)k + tail >= sizeof(rest))
			return -ENAMETOOLONG;
		memmove(rest + k, p, tail + 1);
		memcpy(rest, link, (size_t)k);
		p = rest;
		if (*link == '/')
			n = 0;
	}
	if (!n)
		out[n++] = '/';
	out[n] = 0;
	return 0;
}
