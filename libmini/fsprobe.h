/* Internal to the filesystem probers (fsprobe.c, fs_fat.c). */
#ifndef LOOPBOX_FSPROBE_H
#define LOOPBOX_FSPROBE_H

#include "probe.h"

/* The first 4 KiB are read once and shared; anything else goes through buf,
 * so a pointer from pc_rd() is only good until the next call. */
struct pctx {
	struct src *s;
	uint32_t nhead;
	unsigned char head[4096], buf[4096];
};
/* len bytes at off, or NULL when they are not all inside the source. */
const unsigned char *pc_rd(struct pctx *c, uint64_t off, uint32_t len);

/* Each returns 0 and fills fi, or -1 for "not this filesystem". */
int probe_vfat(struct pctx *c, struct fsinfo *fi);
int probe_exfat(struct pctx *c, struct fsinfo *fi);

#endif
