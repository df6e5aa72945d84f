/* libFuzzer target: every filesystem superblock reader (fs_probe) over an
 * untrusted image in memory; the results must be proper strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fsinfo fi;
	struct src s;
	unsigned char *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	src_mem(&s, copy, size);
	if (fs_probe(&s, &fi) == 0) {
		if (!fi.type[0] || memchr(fi.type, 0, sizeof(fi.type)) == NULL ||
		    memchr(fi.label, 0, sizeof(fi.label)) == NULL ||
		    memchr(fi.uuid, 0, sizeof(fi.uuid)) == NULL ||
		    memchr(fi.label_fatboot, 0, sizeof(fi.label_fatboot)) == NULL)
			abort();
	}
	if (s.nread > (1u << 20))
		abort(); /* a hostile FAT or exFAT chain must not run away */
	free(copy);
	return 0;
}
