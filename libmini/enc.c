/* On-disk identifiers turned into the strings blkid prints. */
#include <string.h>

#include "probe.h"

void enc_utf16(char *dst, size_t dsize, const unsigned char *src,
	       size_t nbytes, int be)
{
	size_t j = 0;
	for (size_t i = 0; i + 1 < nbytes; i += 2) {
		unsigned c = be ? be16(src + i) : le16(src + i);
		size_t need = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
		if (!c || j + need >= dsize)
			break;
		if (need == 1) {
			dst[j++] = (char)c;
		} else if (need == 2) {
			dst[j++] = (char)(0xc0 | c >> 6);
			dst[j++] = (char)(0x80 | (c & 0x3f));
		} else {
			dst[j++] = (char)(0xe0 | c >> 12);
			dst[j++] = (char)(0x80 | (c >> 6 & 0x3f));
			dst[j++] = (char)(0x80 | (c & 0x3f));
		}
	}
	while (j && strchr(" \t\n\v\f\r", dst[j - 1]))
		j--; /* blkid trims what it decoded, like any label */
	if (dsize)
		dst[j] = 0;
}

void enc_uuid(char *dst, const unsigned char *u, int guid)
{
	static const unsigned char gmap[16] = {3, 2, 1, 0, 5, 4, 7, 6,
					       8, 9, 10, 11, 12, 13, 14, 15};
	static const char hex[] = "0123456789abcdef";
	unsigned any = 0;
	for (int i = 0; i < 16; i++)
		any |= u[i];
	*dst = 0;
	if (!any)
		return;
	for (int i = 0; i < 16; i++) {
		unsigned b = u[guid ? gmap[i] : i];
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*dst++ = '-';
		*dst++ = hex[b >> 4];
		*dst++ = hex[b & 15];
	}
	*dst = 0;
}

void enc_label(char *dst, size_t dsize, const unsigned char *src, size_t len)
{
	size_t n = 0;
	if (!dsize)
		return;
	while (n < len && n + 1 < dsize && src[n])
		n++;
	memcpy(dst, src, n);
	while (n && strchr(" \t\n\v\f\r", src[n - 1]))
		n--;
	dst[n] = 0;
}
