/* A printf without floating point. musl's vfprintf carries fmt_fp and its
 * tables (about 8 KiB of the static binary) for %f/%g/%a, which loopbox
 * never prints. In the product build (LOOPBOX_OWN_PRINTF) the standard
 * names below replace musl's: the static linker then never pulls its
 * vfprintf.o, and if something else in libc still needed it, the link
 * fails with a duplicate definition instead of silently growing.
 *
 * Supported: flags "-0+ #", width and precision (digits or *), lengths
 * hh h l ll z j t, conversions d i u o x X c s p %. Anything else (%f, %n)
 * prints as "%?" so a stray use is visible in the output and in tests. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

int mini_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {buf, size ? size - 1 : 0, 0};
	while (*fmt) {
		const char *pct = strchr(fmt, '%');
		if (!pct) {
			put(&s, fmt, strlen(fmt));
			break;
		}
		put(&s, fmt, (size_t)(pct - fmt));
		fmt = pct + 1;
		int left = 0, zero = 0, plus = 0, space = 0, alt = 0;
		for (;; fmt++) {
			if (*fmt == '-') left = 1;
			else if (*fmt == '0') zero = 1;
			else if (*fmt == '+') plus = 1;
			else if (*fmt == ' ') space = 1;
			else if (*fmt == '#') alt = 1;
			else break;
		}
		int width = 0, prec = -1;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = 1;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		int lng = 0; /* 0 int, 1 long, 2 long long / intmax / size */
		int shrt = 0; /* 1 short, 2 char */
		for (;; fmt++) {
			if (*fmt == 'h') shrt++;
			else if (*fmt == 'l') lng++;
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't') lng = 2;
			else break;
		}
		char c = *fmt ? *fmt++ : 0;
		char num[24];
		const char *str = num, *sign = "";
		size_t n;
		unsigned base = 10;
		uintmax_t u = 0;
		switch (c) {
		case '%':
			put(&s, "%", 1);
			continue;
		case 'c':
			num[0] = (char)va_arg(ap, int);
			n = 1;
			zero = 0;
			goto emit;
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			n = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
			zero = 0;
			goto emit;
		case 'd':
		case 'i': {
			intmax_t v = lng >= 2 ? va_arg(ap, long long)
				   : lng ? va_arg(ap, long) : va_arg(ap, int);
			if (shrt)
				v = shrt > 1 ? (signed char)v : (short)v;
			if (v < 0) {
				sign = "-";
				u = (uintmax_t)0 - (uintmax_t)v;
			} else {
				sign = plus ? "+" : space ? " " : "";
				u = (uintmax_t)v;
			}
			break;
		}
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			base = 16;
			sign = "0x";
			break;
		case 'o':
		case 'u':
		case 'x':
		case 'X':
			u = lng >= 2 ? va_arg(ap, unsigned long long)
			    : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			if (shrt)
				u = shrt > 1 ? (unsigned char)u : (unsigned short)u;
			base = c == 'o' ? 8 : c == 'u' ? 10 : 16;
			if (alt && u && base == 16)
				sign = c == 'X' ? "0X" : "0x";
			break;
		default:
			put(&s, "%?", 2);
			continue;
		}
		{
			const char *digits = c == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
			char *e = num + sizeof(num), *p = e;
			do
				*--p = digits[u % base];
			while (u /= base);
			if (prec == 0 && p[0] == '0' && p + 1 == e)
				p = e; /* "%.0d" of 0 prints nothing */
			str = p;
			n = (size_t)(e - p);
			int zeros = prec > (int)n ? prec - (int)n : 0;
			int total = (int)(strlen(sign) + n) + zeros;
			if (prec >= 0)
				zero = 0;
			if (!left && !zero)
				pad(&s, ' ', width - total);
			put(&s, sign, strlen(sign));
			if (!left && zero)
				pad(&s, '0', width - total);
			pad(&s, '0', zeros);
			put(&s, str, n);
			if (left)
				pad(&s, ' ', width - total);
			continue;
		}
	emit:
		if (!left)
			pad(&s, zero ? '0' : ' ', width - (int)n);
		put(&s, str, n);
		if (left)
			pad(&s, ' ', width - (int)n);
	}
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
/* Through a stack buffer: loopbox prints lines, not megabytes; a longer
 * result is cut at 4 KiB rather than allocated. */
static int to_file(FILE *f, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = mini_vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return n;
	size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	return fwrite(buf, 1, len, f) == len ? n : -1;
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
