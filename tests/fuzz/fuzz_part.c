/* libFuzzer target: the GPT/MBR reader over an untrusted disk image held
 * in memory. Any crash, sanitizer report or read outside the input fails. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ptable pt;
	struct src s;
	/* A heap copy of exactly size bytes, so ASan sees any overread. */
	unsigned char *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	src_mem(&s, copy, size);
	if (ptable_read(&s, &pt) == 0) {
		if (pt.n < 0 || pt.n > PT_MAX)
			abort();
		for (int i = 0; i < pt.n; i++) {
			const struct part *p = &pt.p[i];
			if (p->start > size || p->size > size - p->start ||
			    strlen(p->label) >= sizeof(p->label) ||
			    strlen(p->uuid) >= sizeof(p->uuid))
				abort(); /* a partition outside the disk */
		}
		ptable_find(&pt, "1");
		ptable_find(&pt, "PARTLABEL=root");
		if (pt.n)
			ptable_find(&pt, "PARTUUID=00000000-01");
	}
	if (s.nread > (5u << 20))
		abort(); /* 4 GPT tries of at most 1 MiB each, plus an EBR chain */
	free(copy);
	return 0;
}
