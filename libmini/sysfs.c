/* sysfs attribute readers relative to a directory fd, so the same code reads
 * /sys on a machine and tests/files/sys-* trees in the unit tests. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mini.h"

int sysfs_open(void)
{
	int fd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int sysfs_read_str(int dirfd, const char *path, char *buf, size_t size)
{
	if (size < 1)
		return -EINVAL;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	int err = errno;
	close(fd);
	if (n < 0)
		return -err;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == 0))
		n--;
	buf[n] = 0;
	return (int)n;
}

int sysfs_read_u64(int dirfd, const char *path, uint64_t *v)
{
	char buf[32];
	int n = sysfs_read_str(dirfd, path, buf, sizeof(buf));
	if (n < 0)
		return n;
	return parse_uint(buf, UINT64_MAX, v);
}

int sysfs_read_devnum(int dirfd, const char *path, dev_t *dev)
{
	char buf[32];
	int n = sysfs_read_str(dirfd, path, buf, sizeof(buf));
	return n < 0 ? n : parse_devnum(buf, 10, dev);
}

/* The raw call: musl's faccessat also links its AT_EACCESS fork-and-pipe
 * path (~1 KiB of the static binary), which F_OK never takes. */
int sysfs_exists(int dirfd, const char *path)
{
	return syscall(SYS_faccessat, dirfd, path, F_OK) == 0;
}
