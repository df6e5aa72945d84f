/* realpath(3) from the kernel: it already knows the canonical path of an
 * open file, so there is no need for musl's symlink walk in user space
 * (1.6 KB with getcwd). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mini.h"

/* Without /proc (early boot), getcwd(2) after fchdir names a directory.
 * Returns 0 or an errno. Raw syscalls: musl's fchdir falls back to /proc,
 * the very thing missing here, and costs 300 bytes for it. */
static int dir_path(int fd, char *buf, size_t size)
{
	int cwd = open(".", O_PATH | O_CLOEXEC), err = 0;
	if (cwd < 0)
		return errno;
	if (syscall(SYS_fchdir, fd) < 0 || syscall(SYS_getcwd, buf, size) < 0)
		err = errno;
	else if (buf[0] != '/')
		err = ENOENT; /* "(unreachable)/...": outside our root */
	if (syscall(SYS_fchdir, cwd) < 0 && !err)
		err = errno;
	close(cwd);
	return err;
}

int path_resolve(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char link[32];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	long n = readlink(link, buf, size);
	int err = 0;
	if (n >= 0 && n < (long)size)
		buf[n] = 0;
	else if (n >= 0)
		err = ENAMETOOLONG;
	else if ((err = errno) == ENOENT)
		err = dir_path(fd, buf, size);
	close(fd);
	return -err;
}
