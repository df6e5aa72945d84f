/* Directory iteration over getdents64 into a buffer inside the iterator:
 * musl's opendir mallocs its DIR, and malloc alone is ~6 KiB of a static
 * binary that otherwise never allocates. */
#include <errno.h>
#include <fcntl.h>
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
