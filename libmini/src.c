/* Bounded byte sources for the probers. A probe never reads outside the
 * window [base, base+size), whatever offsets the bytes on disk claim. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mini.h"
#include "probe.h"

void src_fd(struct src *s, int fd, uint64_t base, uint64_t size)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->base = base;
	s->size = size;
}

void src_mem(struct src *s, const void *mem, uint64_t size)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->mem = mem;
	s->size = size;
}

int src_read(struct src *s, uint64_t off, void *buf, uint32_t len)
{
	/* off + len cannot wrap: len < 2^32 and off <= size is checked first. */
	if (off > s->size || len > s->size - off)
		return -EIO;
	if (s->fd < 0) {
		memcpy(buf, s->mem + s->base + off, len);
		s->nread += len;
		return 0;
	}
	unsigned char *p = buf;
	uint32_t done = 0;
	while (done < len) {
		ssize_t n = pread(s->fd, p + done, len - done,
				  (off_t)(s->base + off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank under us */
		done += (uint32_t)n;
	}
	s->nread += len;
	return 0;
}

int src_open(struct src *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	uint64_t size = 0;
	if (fstat(fd, &st) < 0 ||
	    (S_ISBLK(st.st_mode) ? ioctl(fd, BLKGETSIZE64, &size) < 0
				 : !S_ISREG(st.st_mode) && (errno = ENODEV))) {
		int err = errno;
		close(fd);
		return -err;
	}
	if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	src_fd(s, fd, 0, size);
	return fd;
}
