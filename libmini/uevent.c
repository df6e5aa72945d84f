/* Waiting for the host device: event-driven on kernel uevents (netlink),
 * with a sysfs rescan as the safety net, as Alpine's mkinitfs does.
 * There is no udev in our initramfs, and devtmpfs creates the node before
 * the kernel sends the "add" event, so the node is usable when we see it. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mini.h"
#include "probe.h"
#include "boot.h"

#ifndef NETLINK_KOBJECT_UEVENT
#define NETLINK_KOBJECT_UEVENT 15
#endif

/* <linux/netlink.h> is not visible to musl-gcc. */
struct nl_addr {
	unsigned short nl_family;
	unsigned short nl_pad;
	uint32_t nl_pid;
	uint32_t nl_groups;
};

int uevent_open(void)
{
	/* Raw: musl's socket() carries a fallback for kernels before 2.6.27,
	 * which had no SOCK_CLOEXEC. */
	int fd = (int)syscall(SYS_socket, AF_NETLINK,
			      SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			      NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	struct nl_addr a = {.nl_family = AF_NETLINK, .nl_groups = 1};
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* A kernel uevent is "ACTION@DEVPATH\0KEY=VALUE\0...". */
static int is_block(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, "SUBSYSTEM=block"))
			return 1;
	return 0;
}

int uevent_wait_block(int fd, int ms)
{
	char buf[4096];
	uint64_t end = now_usec() + (uint64_t)(ms < 0 ? 0 : ms) * 1000;

	for (;;) {
		ssize_t n;
		int block = 0;
		while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[n] = 0;
			block |= is_block(buf, (size_t)n);
		}
		/* ENOBUFS: we lost events; a rescan recovers, so say "seen". */
		if (n < 0 && errno == ENOBUFS)
			return 1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (block)
			return 1;
		uint64_t now = now_usec();
		if (now >= end)
			return 0;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)((end - now + 999) / 1000));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0)
			return 0;
	}
}

int dev_wait(const char *spec, char *path, size_t size, int64_t timeout_ms,
	     uint64_t *waited_ms)
{
	uint64_t t0 = now_usec();
	/* Open the socket before the first scan so nothing falls between. */
	int fd = uevent_open();
	int r;

	for (;;) {
		r = probe_find_dev(spec, path, size);
		if (r != -ENOENT)
			break;
		uint64_t el = (now_usec() - t0) / 1000;
		if (timeout_ms != WAIT_FOREVER && el >= (uint64_t)timeout_ms) {
			r = -ETIMEDOUT;
			break;
		}
		int slice = 250;
		if (timeout_ms != WAIT_FOREVER && (uint64_t)timeout_ms - el < 250)
			slice = (int)((uint64_t)timeout_ms - el);
		if (fd >= 0) {
			if (uevent_wait_block(fd, slice) < 0) {
				close(fd);
				fd = -1;
			}
		} else {
			/* No netlink (seccomp, odd kernel): poll sysfs. */
			sleep_ms(50);
		}
	}
	if (fd >= 0)
		close(fd);
	if (waited_ms)
		*waited_ms = (now_usec() - t0) / 1000;
	return r;
}
