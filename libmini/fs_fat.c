/* FAT12/16/32 and exFAT, reported the way libblkid reports them: LABEL is
 * the volume-label entry of the root directory, LABEL_FATBOOT the copy in
 * the boot sector, UUID the volume serial as XXXX-XXXX. */
#include <stdio.h>
#include <string.h>

#include "fsprobe.h"

#define FAT12_MAX 0xff4u
#define FAT16_MAX 0xfff4u
#define FAT32_MAX 0x0ffffff6u

struct fatgeom {
	uint32_t ssz, clusters, fatsz, reserved;
};

static int pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int fat_geom(const unsigned char *b, struct fatgeom *g)
{
	static const char *const strong[] = {"MSWIN", "FAT32   "};
	static const char *const strong36[] = {"MSDOS", "FAT16   ", "FAT12   ",
					       "FAT     "};
	int magic = 0;
	for (int i = 0; i < 2; i++)
		magic |= !memcmp(b + 0x52, strong[i], strlen(strong[i]));
	for (int i = 0; i < 4; i++)
		magic |= !memcmp(b + 0x36, strong36[i], strlen(strong36[i]));
	if (!magic) {
		/* Weak magic (a jump or 55 AA): demand the signature and rule
		 * out the FAT-like pseudo header OS/2 puts on JFS and HPFS. */
		if (b[0] != 0xeb && b[0] != 0xe9 && b[510] != 0x55)
			return 0;
		if (b[510] != 0x55 || b[511] != 0xaa ||
		    !memcmp(b + 0x36, "JFS     ", 8) ||
		    !memcmp(b + 0x36, "HPFS    ", 8))
			return 0;
	}
	uint32_t ssz = le16(b + 11), csz = b[13], fats = b[16];
	uint32_t dirents = le16(b + 17), media = b[21];
	uint32_t sects = le16(b + 19), fatlen = le16(b + 22);
	g->reserved = le16(b + 14);
	if (!fats || !g->reserved || !(media >= 0xf8 || media == 0xf0) ||
	    !pow2(csz) || !pow2(ssz) || ssz < 512 || ssz > 4096)
		return 0;
	if (!sects)
		sects = le32(b + 32);
	if (!fatlen)
		fatlen = le32(b + 36);
	g->ssz = ssz;
	g->fatsz = fatlen * fats;
	uint32_t dirsz = (dirents * 32 + ssz - 1) / ssz;
	/* Unsigned wrap on a nonsense geometry fails the bound below. */
	g->clusters = (sects - (g->reserved + g->fatsz + dirsz)) / csz;
	return g->clusters <= (le16(b + 22) ? FAT16_MAX : FAT32_MAX);
}

int fat_boot_valid(const unsigned char *b)
{
	struct fatgeom g;
	return fat_geom(b, &g);
}

/* At most this many directory entries (256 KiB) are read looking for a
 * label, whatever a hostile boot sector or FAT claims. */
#define DIR_BUDGET 8192

/* The volume-label entry among n directory entries at off, read a sector
 * (16 entries) at a time; *budget counts down entries read. */
static int fat_dir_label(struct pctx *c, uint64_t off, uint32_t n, char *out,
			 uint32_t *budget)
{
	const unsigned char *blk = NULL;
	for (uint32_t i = 0; i < n; i++) {
		if (!*budget)
			return 0;
		--*budget;
		if (!(i % 16)) {
			uint32_t k = n - i < 16 ? n - i : 16;
			if (!(blk = pc_rd(c, off + i * 32ull, k * 32)))
				return 0;
		}
		const unsigned char *e = blk + i % 16 * 32;
		if (!e[0])
			return 0;
		if (e[0] == 0xe5 || le16(e + 20) || le16(e + 26) ||
		    (e[11] & 0x3f) == 0x0f)
			continue;
		if ((e[11] & 0x18) == 0x08) {
			unsigned char name[11];
			memcpy(name, e, 11);
			if (name[0] == 0x05)
				name[0] = 0xe5;
			enc_label(out, 256, name, 11);
			return 1;
		}
	}
	return 0;
}

/* The volume serial as blkid prints it. */
static void serial(struct fsinfo *fi, const unsigned char *p)
{
	if (le32(p))
		snprintf(fi->uuid, sizeof(fi->uuid), "%02X%02X-%02X%02X", p[3],
			 p[2], p[1], p[0]);
}

/* Sector 0 comes from the shared head, which later pc_rd() calls never
 * overwrite: b stays valid throughout. */
int probe_vfat(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *b = pc_rd(c, 0, 512), *serno, *blabel;
	struct fatgeom g;
	if (!b || !fat_geom(b, &g))
		return -1;
	uint64_t ssz = g.ssz;
	uint32_t budget = DIR_BUDGET;
	if (le16(b + 22)) {
		uint32_t root = (g.reserved + g.fatsz) * g.ssz;
		fat_dir_label(c, root, le16(b + 17), fi->label, &budget);
		blabel = b + 0x2b;
		serno = b + 0x27;
		strcpy(fi->sec_type, "msdos");
	} else if (le32(b + 36)) {
		uint32_t csz = b[13], start = g.reserved + g.fatsz;
		uint64_t nent = (uint64_t)le32(b + 36) * ssz / 4;
		uint32_t next = le32(b + 44);
		/* The root directory is a cluster chain: follow at most 100
		 * links, as libblkid does, so a looped FAT ends. */
		for (int loop = 99; next >= 2 && next < nent && loop-- && budget;) {
			uint64_t off = (start + (uint64_t)(next - 2) * csz) * ssz;
			if (fat_dir_label(c, off, csz * g.ssz / 32, fi->label, &budget))
				break;
			const unsigned char *f = pc_rd(c, g.reserved * ssz + next * 4ull, 4);
			if (!f)
				break;
			next = le32(f) & 0x0fffffff;
		}
		blabel = b + 0x47;
		serno = b + 0x43;
		uint32_t fsinfo = le16(b + 48);
		if (fsinfo) {
			const unsigned char *f = pc_rd(c, fsinfo * ssz, 488);
			if (!f || (memcmp(f, "RRaA", 4) && memcmp(f, "RRdA", 4) &&
				   le32(f)) ||
			    (memcmp(f + 484, "rrAa", 4) && le32(f + 484)))
				return -1;
		}
	} else {
		return -1;
	}
	strcpy(fi->type, "vfat");
	if (memcmp(blabel, "NO NAME    ", 11))
		enc_label(fi->label_fatboot, sizeof(fi->label_fatboot), blabel, 11);
	serial(fi, serno);
	fi->block_size = g.ssz;
	return 0;
}

int probe_exfat(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *b = pc_rd(c, 0, 512);
	static const unsigned char zero[53];
	if (!b || memcmp(b + 3, "EXFAT   ", 8))
		return -1;
	uint32_t sbits = b[108], cbits = b[109];
	if (memcmp(b, "\xeb\x76\x90", 3) || b[510] != 0x55 || b[511] != 0xaa ||
	    memcmp(b + 11, zero, sizeof(zero)) || (b[110] != 1 && b[110] != 2) ||
	    sbits < 9 || sbits > 12 || sbits + cbits > 25)
		return -1;
	uint64_t csize = 1ull << (sbits + cbits), heap = (uint64_t)le32(b + 88) << sbits;
	uint64_t fat = (uint64_t)le32(b + 80) << sbits;
	uint32_t cl = le32(b + 96);
	/* The root directory: stop at its end marker, a broken chain, or
	 * after DIR_BUDGET entries whatever the FAT says. */
	for (uint32_t i = 0, in = 0; i < DIR_BUDGET && cl >= 2 && cl <= 0xfffffff6u; i++) {
		const unsigned char *e = pc_rd(c, heap + (cl - 2) * csize + in, 32);
		if (!e || !e[0])
			break;
		if (e[0] == 0x83) {
			uint32_t n = e[1] * 2u;
			enc_utf16(fi->label, sizeof(fi->label), e + 2, n < 30 ? n : 30, 0);
			break;
		}
		if ((in += 32) == csize) {
			const unsigned char *f = pc_rd(c, fat + cl * 4ull, 4);
			cl = f ? le32(f) : 0;
			in = 0;
		}
	}
	strcpy(fi->type, "exfat");
	serial(fi, b + 100);
	fi->block_size = 1u << sbits;
	return 0;
}
