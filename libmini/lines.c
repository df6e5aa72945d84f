/* Line-by-line reading of /proc and /sys files without stdio's FILE (which
 * mallocs). A line longer than the buffer is returned cut, and the rest of
 * it skipped: the files we read (mountinfo, modules.dep, cmdline) have no
 * such lines in practice, and a cut line fails to parse instead of being
 * misread. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mini.h"

int lines_open(struct lines *l, int dirfd, const char *path)
{
	l->start = l->len = 0;
	l->eof = 0;
	l->fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	return l->fd < 0 ? -errno : 0;
}

static int fill(struct lines *l)
{
	if (l->start) {
		memmove(l->buf, l->buf + l->start, l->len - l->start);
		l->len -= l->start;
		l->start = 0;
	}
	while (!l->eof && l->len < sizeof(l->buf) - 1) {
		ssize_t n = read(l->fd, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			l->eof = 1;
			break;
		}
		l->len += (size_t)n;
		if (memchr(l->buf + l->len - n, '\n', (size_t)n))
			break;
	}
	return (int)l->len;
}

char *lines_next(struct lines *l)
{
	char *nl = memchr(l->buf + l->start, '\n', l->len - l->start);
	if (!nl) {
		fill(l);
		if (l->start >= l->len)
			return NULL;
		nl = memchr(l->buf + l->start, '\n', l->len - l->start);
	}
	char *line = l->buf + l->start;
	if (nl) {
		*nl = 0;
		l->start = (size_t)(nl - l->buf) + 1;
		return line;
	}
	/* No newline: the last line, or a line longer than the buffer. */
	l->buf[l->len] = 0;
	int cut = !l->eof;
	l->start = l->len;
	if (cut) {
		char c;
		while (read(l->fd, &c, 1) == 1 && c != '\n')
			;
	}
	return line;
}

void lines_close(struct lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int split_fields(char *line, char **f, int max)
{
	int n = 0;
	while (*line && n < max) {
		while (*line == ' ' || *line == '\t')
			*line++ = 0;
		if (!*line)
			break;
		f[n++] = line;
		while (*line && *line != ' ' && *line != '\t')
			line++;
	}
	while (*line == ' ' || *line == '\t')
		*line++ = 0;
	return n;
}

/* /proc/self/mountinfo writes space, tab, newline and backslash as \ooo. */
void unescape_octal(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}
