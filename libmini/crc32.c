/* CRC-32 (IEEE 802.3, reflected, as GPT uses). The table is built at first
 * use into .bss instead of being a 1 KiB initialised array in the binary. */
#include "probe.h"

uint32_t crc32_le(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t tab[256];
	const unsigned char *p = buf;
	if (!tab[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
			tab[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = tab[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* CRC-32C (Castagnoli) without the final inversion, as ext4 stores its
 * superblock checksum. Bitwise: it only ever runs over one 1 KiB block. */
uint32_t crc32c_raw(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & -(crc & 1));
	}
	return crc;
}
