/* Library results in words, for the applets' messages: the applets print
 * them, so that losetup, loopmount and run say the same thing the same
 * way. */
#include <stdio.h>
#include <string.h>

#include "mini.h"

int attach_warning(const struct attach_res *res, unsigned *left, char *buf,
		   size_t size)
{
	/* losetup's order, which the tests know. */
	static const unsigned char order[] = {
		AW_RO_FALLBACK, AW_NOT_512, AW_BEYOND_EOF, AW_ALIAS, AW_WRITERS,
		AW_NO_PARTS, AW_DIO_FALLBACK,
	};
	unsigned w = 0;
	for (size_t i = 0; i < sizeof(order) && !w; i++)
		w = *left & res->warn & order[i];
	if (!w)
		return 0;
	*left &= ~w;
	switch (w) {
	case AW_RO_FALLBACK:
		snprintf(buf, size, "attached read-only: opening it read-write "
			 "failed: %s", strerror(res->ro_errno));
		break;
	case AW_ALIAS:
		snprintf(buf, size, "/dev/loop%d maps an overlapping range of "
			 "the same file: writes through both devices will "
			 "corrupt it", res->alias_nr);
		break;
	case AW_WRITERS:
		snprintf(buf, size, "process %d has the file open for writing: "
			 "its changes will not be seen through the loop device, "
			 "and writes through both will corrupt it",
			 (int)res->writer_pid);
		break;
	default:
		snprintf(buf, size, "%s",
			 w == AW_NOT_512 ? "file size is not a multiple of 512; "
			 "the end of the file will be ignored" :
			 w == AW_BEYOND_EOF ? "offset + size limit ends beyond "
			 "the end of the file" :
			 w == AW_NO_PARTS ? "the image has a partition table but "
			 "the kernel's partition scan created no partitions" :
			 "direct IO did not engage; using buffered IO");
	}
	return 1;
}

void pids_words(int n, const pid_t *pid, const char (*comm)[17], int max,
		char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = 0;
	/* 40: room for the " and N more" that may follow. */
	for (int i = 0; i < n && i < max && o + 40 < size; i++)
		o += snprintf(buf + o, size - o, "%s%d (%s)", i ? ", " : "",
			      (int)pid[i], comm[i]);
	if (n > max && o < size)
		snprintf(buf + o, size - o, " and %d more", n - max);
}
