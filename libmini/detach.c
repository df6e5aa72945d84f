/* Teardown. (A first version: flush, clear, wait until unbound. The full
 * mounted/holders/lazy/remove logic is issue 4's.) */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int loop_detach(const struct detach_req *req, struct detach_res *res)
{
	memset(res, 0, sizeof(*res));
	int fd = loop_open(req->nr, O_RDONLY);
	if (fd < 0) {
		res->failed_step = "open";
		return fd;
	}
	struct loop_info64 info;
	int r = loop_ioctl(fd, LOOP_GET_STATUS64, "LOOP_GET_STATUS64", &info);
	if (r < 0) {
		close(fd);
		res->failed_step = "LOOP_GET_STATUS64";
		return r;
	}
	/* Up to 6.10 a sole opener's LOOP_CLR_FD tears down without writing
	 * the device's dirty pages back (the osbuild data loss). */
	fsync(fd);
	ioctl(fd, BLKFLSBUF, 0);
	r = loop_ioctl(fd, LOOP_CLR_FD, "LOOP_CLR_FD", NULL);
	close(fd);
	if (r < 0) {
		res->failed_step = "LOOP_CLR_FD";
		return r;
	}
	uint64_t end = now_ms() + req->timeout_ms;
	int sysfd = sysfs_open();
	for (;;) {
		struct loop_state st;
		r = loop_state_get(sysfd, req->nr, -1, &st);
		if (r == -ENXIO || r == -ENODEV)
			break;
		if (now_ms() >= end) {
			close(sysfd);
			res->failed_step = "wait";
			return -EBUSY;
		}
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	close(sysfd);
	return 0;
}

int loop_flush(int nr, struct detach_res *res)
{
	memset(res, 0, sizeof(*res));
	int fd = loop_open(nr, O_RDONLY);
	if (fd < 0)
		return fd;
	int r = fsync(fd) < 0 ? -errno : 0;
	if (r == 0 && ioctl(fd, BLKFLSBUF, 0) < 0)
		r = -errno;
	close(fd);
	return r;
}
