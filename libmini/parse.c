/* Number parsing with the suffixes util-linux's losetup accepts, so a
 * script's "-o 1MiB" or "--sizelimit 0x100000" means the same here. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "mini.h"

/* Digits in base 0 (strtoull's rules), without strtoull's quiet acceptance
 * of leading spaces and a minus sign. */
static int digits(const char **sp, uint64_t *v)
{
	const char *s = *sp;
	unsigned base = 10;
	uint64_t x = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
	}
	const char *start = s;
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		if (x > (UINT64_MAX - d) / base)
			return -ERANGE;
		x = x * base + d;
	}
	if (s == start)
		return -EINVAL;
	*sp = s;
	*v = x;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGTPE";
	uint64_t v;
	if (!s || !*s)
		return -EINVAL;
	int r = digits(&s, &v);
	if (r)
		return r;
	if (!*s) {
		*out = v;
		return 0;
	}
	const char *u = strchr(units, *s & ~0x20);
	if (!u || !*u)
		return -EINVAL;
	unsigned power = u - units + 1;
	unsigned mult = 1024;
	if (!strcasecmp(s + 1, "iB") || !s[1])
		mult = 1024;
	else if (!strcasecmp(s + 1, "B"))
		mult = 1000;
	else
		return -EINVAL;
	while (power--) {
		if (v > UINT64_MAX / mult)
			return -ERANGE;
		v *= mult;
	}
	*out = v;
	return 0;
}

int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_msec(const char *s, uint64_t *ms)
{
	char whole[24];
	const char *dot = s ? strchr(s, '.') : NULL;
	uint64_t sec, frac = 0;
	size_t n = dot ? (size_t)(dot - s) : (s ? strlen(s) : 0);
	if (!s || n >= sizeof(whole) || (!n && !dot))
		return -EINVAL;
	memcpy(whole, s, n);
	whole[n] = 0;
	int r = n ? parse_uint(whole, UINT64_MAX / 1000 - 1, &sec) : (sec = 0, 0);
	if (r)
		return r;
	if (dot) {
		unsigned scale = 100;
		if (!dot[1])
			return -EINVAL;
		for (const char *p = dot + 1; *p; p++, scale /= 10) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			frac += (*p - '0') * scale;
		}
	}
	*ms = sec * 1000 + frac;
	return 0;
}

/* "MAJ:MIN" in base 10 (sysfs dev files, mountinfo) or 16 (maps). */
int parse_devnum(const char *s, unsigned base, dev_t *dev)
{
	unsigned long v[2] = {0, 0};
	for (int i = 0; i < 2; i++) {
		const char *start = s;
		for (;; s++) {
			unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0')
				   : (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f'
					   ? (unsigned)((*s | 0x20) - 'a' + 10) : 99;
			if (d >= base)
				break;
			v[i] = v[i] * base + d;
			if (v[i] > 0xfffff)
				return -EINVAL;
		}
		if (s == start || *s != (i ? 0 : ':'))
			return -EINVAL;
		s++;
	}
	if (v[0] > 0xfff)
		return -EINVAL;
	*dev = makedev((unsigned)v[0], (unsigned)v[1]);
	return 0;
}
