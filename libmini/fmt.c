/* A printf without floating point. musl's vfprintf carries fmt_fp and its
 * tables (about 8 KiB of the static binary) for %f/%g/%a, which loopbox
 * never prints. In the product build (LOOPBOX_OWN_PRINTF) the standard
 * names below replace musl's: the static linker then never pulls its
 * vfprintf.o, and if something else in libc still needed it, the link
 * fails with a duplicate definition instead of silently growing.
 *
 * Supported: flags "-0+ #", width and precision (digits or *), lengths
 * hh h l ll z j t, conversions d i u o x X c s %. Anything else (%f, %n,
 * %p) prints as "%?" so a stray use is visible in the output and in tests. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mini.h"

struct sink {
	char *buf;
	size_t size, len; /* len counts every byte, stored or not */
};

static void put(struct sink *s, const char *p, size_t n)
{
	if (s->len < s->size) {
		size_t room = s->size - s->len;
		memcpy(s->buf + s->len, p, n < room ? n : room);
	}
	s->len += n;
}

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, &c, 1);
}

/* A width or precision: digits, or '*' taken from the arguments. */
static int num(const char **f, va_list *ap)
{
	int n = 0;
	if (**f == '*') {
		++*f;
		return va_arg(*ap, int);
	}
	while (**f >= '0' && **f <= '9')
		n = n * 10 + (*(*f)++ - '0');
	return n;
}

int mini_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {buf, size ? size - 1 : 0, 0};
	va_list aq;
	va_copy(aq, ap); /* num() takes it by address: ap may be an array */
	while (*fmt) {
		if (*fmt != '%') {
			put(&s, fmt++, 1);
			continue;
		}
		const char *f;
		unsigned fl = 0; /* bits: 1 '-', 2 '0', 4 '+', 8 ' ', 16 '#' */
		while (*++fmt && (f = strchr("-0+ #", *fmt)))
			fl |= 1u << (f - "-0+ #");
		int width = num(&fmt, &aq), prec = -1;
		if (width < 0) {
			fl |= 1;
			width = -width;
		}
		if (*fmt == '.') {
			fmt++;
			prec = num(&fmt, &aq);
		}
		/* The argument's width in bits: h halves int, hh quarters it;
		 * a single l is long (64 or 32 bits), ll z j t are 64. */
		unsigned bits = 32;
		for (; *fmt && strchr("hlzjt", *fmt); fmt++)
			bits = *fmt == 'h' ? bits / 2
			       : *fmt != 'l' || fmt[1] == 'l' || fmt[-1] == 'l' ? 64
									 : sizeof(long) * 8;
		char c = *fmt ? *fmt++ : 0, num[24];
		const char *str = num, *sign = "";
		int n, zeros = 0;
		if (c == '%') {
			put(&s, "%", 1);
			continue;
		} else if (c == 'c') {
			num[0] = (char)va_arg(aq, int);
			n = 1;
			fl &= ~2u;
		} else if (c == 's') {
			str = va_arg(aq, const char *);
			if (!str)
				str = "(null)";
			for (n = 0; (prec < 0 || n < prec) && str[n]; n++)
				;
			fl &= ~2u;
		} else if (c && strchr("diouxX", c)) {
			uintmax_t u = bits > 32 ? va_arg(aq, unsigned long long)
						: va_arg(aq, unsigned);
			unsigned base = c == 'o' ? 8 : (c | 32) == 'x' ? 16 : 10;
			u <<= 64 - bits; /* keep the low bits, sign bit on top */
			if (c == 'd' || c == 'i') {
				intmax_t v = (intmax_t)u >> (64 - bits);
				u = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
				sign = v < 0 ? "-" : fl & 4 ? "+" : fl & 8 ? " " : "";
			} else {
				u >>= 64 - bits;
				if (fl & 16 && u && base == 16)
					sign = c == 'X' ? "0X" : "0x";
			}
			const char *digits = c == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
			char *e = num + sizeof(num), *p = e;
			do
				*--p = digits[u % base];
			while (u /= base);
			if (prec == 0 && *p == '0' && p + 1 == e)
				p = e; /* "%.0d" of 0 prints nothing */
			str = p;
			n = (int)(e - p);
			if (prec > n)
				zeros = prec - n;
			if (prec >= 0)
				fl &= ~2u;
		} else {
			put(&s, "%?", 2);
			continue;
		}
		int slen = (int)strlen(sign), fill = width - slen - zeros - n;
		if (!(fl & 3))
			pad(&s, ' ', fill);
		put(&s, sign, (size_t)slen);
		if ((fl & 3) == 2)
			pad(&s, '0', fill);
		pad(&s, '0', zeros);
		put(&s, str, (size_t)n);
		if (fl & 1)
			pad(&s, ' ', fill);
	}
	va_end(aq);
	if (size)
		buf[s.len < s.size ? s.len : s.size] = 0;
	return s.len > INT32_MAX ? -1 : (int)s.len;
}

int mini_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = mini_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

#ifdef LOOPBOX_OWN_PRINTF
/* Our own stdout and stderr. musl's FILE machinery (__fwritex, __overflow,
 * locks, __stdio_exit: about 3 KiB) serves streams loopbox never opens: it
 * only ever writes to fd 1 and 2. musl's <stdio.h> leaves struct _IO_FILE
 * incomplete, so this file completes it and defines every stdio name
 * loopbox uses (and the compiler may turn a printf into). Keep it that way:
 * a musl stdio object pulled in by a new call would see our struct as its
 * own; the ones defining these names collide with them at link time.
 * As with musl: stdout is buffered (line-buffered on a terminal), stderr
 * is not, exit() flushes stdout, _exit() in a forked child drops its copy. */
struct _IO_FILE {
	int fd;
	int err;   /* a write failed: ferror() */
	int lbf;   /* flush at '\n': 1 terminal, 0 not, -1 not known yet */
	size_t len;
	char *buf; /* NULL: unbuffered */
};

static char outbuf[1024];
static FILE out_file = {1, 0, -1, 0, outbuf}, err_file = {2, 0, 0, 0, NULL};
FILE *const stdout = &out_file, *const stderr = &err_file;

/* A failed write drops what it could not write, as musl's does. */
static int drain(FILE *f, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(f->fd, p, n);
		if (w < 0) {
			f->err = 1;
			return EOF;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int fflush(FILE *f)
{
	if (!f) /* fflush(NULL): stdout is the only buffered stream */
		f = stdout;
	size_t n = f->len;
	f->len = 0;
	return drain(f, f->buf, n);
}

static int fput(FILE *f, const char *p, size_t n)
{
	int rc = 0;
	if (!f->buf)
		return drain(f, p, n);
	if (f->lbf < 0) {
		struct winsize ws;
		f->lbf = !ioctl(f->fd, TIOCGWINSZ, &ws);
	}
	for (; n; n--) {
		char c = f->buf[f->len++] = *p++;
		if (f->len == sizeof(outbuf) || (c == '\n' && f->lbf))
			rc |= fflush(f);
	}
	return rc;
}

__attribute__((destructor)) static void flush_at_exit(void)
{
	fflush(stdout);
}

int ferror(FILE *f)
{
	return f->err;
}

size_t fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f)
{
	return fput(f, p, size * n) ? 0 : n;
}

int fputs(const char *restrict s, FILE *restrict f)
{
	return fput(f, s, strlen(s));
}

int puts(const char *s)
{
	return fputs(s, stdout) | fputc('\n', stdout);
}

int fputc(int c, FILE *f)
{
	char ch = (char)c;
	return fput(f, &ch, 1) ? EOF : (unsigned char)c;
}

int putc(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar(int c)
{
	return fputc(c, stdout);
}

/* Through a stack buffer: loopbox prints lines, not megabytes; a longer
 * result is cut at 4 KiB rather than allocated. */
static int to_file(FILE *f, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = mini_vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return n;
	size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	return fput(f, buf, len) ? -1 : n;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	return mini_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = mini_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
	return mini_vsnprintf(buf, 4096, fmt, ap);
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = mini_vsnprintf(buf, 4096, fmt, ap);
	va_end(ap);
	return n;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	return to_file(f, fmt, ap);
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = to_file(f, fmt, ap);
	va_end(ap);
	return n;
}

int vprintf(const char *restrict fmt, va_list ap)
{
	return to_file(stdout, fmt, ap);
}

int printf(const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = to_file(stdout, fmt, ap);
	va_end(ap);
	return n;
}

int vdprintf(int fd, const char *restrict fmt, va_list ap)
{
	char buf[4096];
	int n = mini_vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return n;
	size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	return write(fd, buf, len) == (ssize_t)len ? n : -1;
}

int dprintf(int fd, const char *restrict fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}
#endif
