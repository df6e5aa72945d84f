/* Filesystem superblocks: the types loopbox boots from or mounts, each told
 * apart the way libblkid does it so TYPE/LABEL/UUID agree with blkid. The
 * probers run in libblkid's order and the first match wins. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fsprobe.h"

const unsigned char *pc_rd(struct pctx *c, uint64_t off, uint32_t len)
{
	if (off <= c->nhead && len <= c->nhead - off)
		return c->head + off;
	if (len > sizeof(c->buf) || src_read(c->s, off, c->buf, len))
		return NULL;
	return c->buf;
}

/* Common tail: label/uuid copied from the superblock as blkid does. */
static void set_lu(struct fsinfo *fi, const char *type,
		   const unsigned char *label, size_t llen,
		   const unsigned char *uuid)
{
	strcpy(fi->type, type);
	if (label)
		enc_label(fi->label, sizeof(fi->label), label, llen);
	if (uuid)
		enc_uuid(fi->uuid, uuid, 0);
}

/* ext2/3/4 and external journals. libblkid's tests, in its order: a test
 * filesystem is ext4dev; ext4 is whatever ext3 cannot handle; ext3 has a
 * journal; ext2 has none and only ext2 features. */
#define EXT_JOURNAL 0x0004u      /* compat: has_journal */
#define EXT_JDEV 0x0008u         /* incompat: journal_dev */
#define EXT_RO_SUPP 0x0007u      /* sparse_super, large_file, btree_dir */
#define EXT2_IN_SUPP 0x0012u     /* filetype, meta_bg */
#define EXT3_IN_SUPP 0x0016u     /* filetype, recover, meta_bg */
#define EXT_METADATA_CSUM 0x0400u

static int probe_ext(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *sb = pc_rd(c, 1024, 1024);
	if (!sb || le16(sb + 0x38) != 0xef53)
		return -1;
	uint32_t compat = le32(sb + 0x5c), in = le32(sb + 0x60);
	uint32_t ro = le32(sb + 0x64), logbs = le32(sb + 0x18);
	if ((ro & EXT_METADATA_CSUM) &&
	    crc32c_raw(~0u, sb, 0x3fc) != le32(sb + 0x3fc))
		return -1;
	int ext3ok = !(ro & ~EXT_RO_SUPP) && !(in & ~EXT3_IN_SUPP);
	const char *type;
	if (in & EXT_JDEV)
		type = "jbd";
	else if (le32(sb + 0x160) & 0x0004) /* EXT2_FLAGS_TEST_FILESYS */
		type = "ext4dev";
	else if (!ext3ok)
		type = "ext4";
	else if (compat & EXT_JOURNAL)
		type = "ext3";
	else if (!(ro & ~EXT_RO_SUPP) && !(in & ~EXT2_IN_SUPP))
		type = "ext2";
	else
		return -1;
	set_lu(fi, type, sb + 0x78, 16, sb + 0x68);
	if (!strcmp(type, "ext3"))
		strcpy(fi->sec_type, "ext2");
	if (logbs < 22)
		fi->block_size = 1024u << logbs;
	return 0;
}

static int probe_xfs(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *sb = pc_rd(c, 0, 120);
	if (!sb || memcmp(sb, "XFSB", 4))
		return -1;
	uint32_t bs = be32(sb + 4), ss = be16(sb + 102);
	if (bs < 512 || bs > 65536 || (bs & (bs - 1)) || ss < 512 ||
	    ss > 32768 || (ss & (ss - 1)) || !be32(sb + 88) ||
	    !(be32(sb + 8) | be32(sb + 12)))
		return -1;
	set_lu(fi, "xfs", sb + 108, 12, sb + 32);
	fi->block_size = ss;
	return 0;
}

/* The swap header sits at the end of the first page, whatever the page
 * size of the machine that made it was. */
static int probe_swap(struct pctx *c, struct fsinfo *fi)
{
	static const char *const magic[] = {
		"SWAP-SPACE", "SWAPSPACE2", "S1SUSPEND", "S2SUSPEND",
		"ULSUSPEND", "LINHIB0001", "\xed\xc3\x02\xe9\x98\x56\xe5\x0c"};
	for (uint32_t ps = 4096; ps <= 65536; ps <<= 1) {
		const unsigned char *m = pc_rd(c, ps - 10, 10);
		for (int i = 0; m && i < 7; i++) {
			if (memcmp(m, magic[i], strlen(magic[i])))
				continue;
			if (i == 0) { /* version 0: nothing else to read */
				strcpy(fi->type, "swap");
				return 0;
			}
			const unsigned char *h = pc_rd(c, 1024, 44);
			if (!h || (le32(h) != 1 && be32(h) != 1))
				return -1;
			set_lu(fi, i == 1 ? "swap" : "swsuspend", h + 28, 16, h + 12);
			return 0;
		}
	}
	return -1;
}

/* ISO 9660: UUID from the modification (else creation) date; the Joliet
 * label is used only where it says more than the 8-bit one. */
static void iso_date(struct fsinfo *fi, const unsigned char *d)
{
	int zeros = 0;
	for (int i = 0; i < 16; i++)
		zeros += d[i] == '0';
	if (zeros == 16 && !d[16])
		return;
	snprintf(fi->uuid, sizeof(fi->uuid), "%.4s-%.2s-%.2s-%.2s-%.2s-%.2s-%.2s",
		 d, d + 4, d + 6, d + 8, d + 10, d + 12, d + 14);
}

static int probe_iso(struct pctx *c, struct fsinfo *fi)
{
	unsigned char pvd[64];
	const unsigned char *v = pc_rd(c, 0x8000, 847);
	if (!v || memcmp(v + 1, "CD001", 5))
		return -1;
	strcpy(fi->type, "iso9660");
	fi->block_size = le16(v + 128);
	iso_date(fi, v + 830);
	if (!*fi->uuid)
		iso_date(fi, v + 813);
	memcpy(pvd, v + 40, 32);
	for (int i = 0; i < 16; i++) {
		v = pc_rd(c, 0x8800 + i * 0x800ull, 96);
		if (!v || v[0] == 0xff)
			break;
		if (v[0] != 2 || v[88] != '%' || v[89] != '/' ||
		    (v[90] != '@' && v[90] != 'C' && v[90] != 'E'))
			continue;
		int same = 1;
		for (int k = 0; k < 16; k++)
			same &= !v[40 + 2 * k] && v[41 + 2 * k] == pvd[k];
		if (same)
			break;
		enc_utf16(fi->label, sizeof(fi->label), v + 40, 32, 1);
		return 0;
	}
	enc_label(fi->label, sizeof(fi->label), pvd, 32);
	return 0;
}

static int probe_squashfs(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *sb = pc_rd(c, 0, 32);
	if (!sb)
		return -1;
	if (!memcmp(sb, "hsqs", 4))
		strcpy(fi->type, le16(sb + 28) >= 4 ? "squashfs" : "squashfs3");
	else if (!memcmp(sb, "sqsh", 4))
		strcpy(fi->type, "squashfs3");
	else
		return -1;
	return 0;
}

static int probe_btrfs(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *sb = pc_rd(c, 0x10000, 0x22b);
	if (!sb || memcmp(sb + 0x40, "_BHRfS_M", 8))
		return -1;
	set_lu(fi, "btrfs", sb + 0x12b, 256, sb + 0x20);
	enc_uuid(fi->uuid_sub, sb + 0x10b, 0);
	fi->block_size = le32(sb + 0x90);
	return 0;
}

static int probe_f2fs(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *sb = pc_rd(c, 1024, 124 + 1024);
	if (!sb || le32(sb) != 0xf2f52010)
		return -1;
	strcpy(fi->type, "f2fs");
	/* Version 1.0 had another layout: blkid reports only the type. */
	if (le16(sb + 4) == 1 && le16(sb + 6) == 0)
		return 0;
	enc_uuid(fi->uuid, sb + 108, 0);
	enc_utf16(fi->label, sizeof(fi->label), sb + 124, 1024, 0);
	if (le32(sb + 16) < 32)
		fi->block_size = 1u << le32(sb + 16);
	return 0;
}

static int probe_erofs(struct pctx *c, struct fsinfo *fi)
{
	const unsigned char *sb = pc_rd(c, 1024, 128);
	if (!sb || le32(sb) != 0xe0f5e1e2 || sb[12] < 9 || sb[12] > 16)
		return -1;
	set_lu(fi, "erofs", sb + 64, 16, sb + 48);
	fi->block_size = 1u << sb[12];
	return 0;
}

int fs_probe(struct src *s, struct fsinfo *fi)
{
	static int (*const probe[])(struct pctx *, struct fsinfo *) = {
		probe_vfat,  probe_swap,  probe_xfs,   probe_ext,
		probe_iso,   probe_squashfs, probe_btrfs, probe_exfat,
		probe_f2fs,  probe_erofs,
	};
	static struct pctx c; /* 8 KiB: off the (PID 1) stack */
	c.s = s;
	c.nhead = s->size < sizeof(c.head) ? (uint32_t)s->size : sizeof(c.head);
	if (src_read(s, 0, c.head, c.nhead))
		return -EIO;
	for (size_t i = 0; i < sizeof(probe) / sizeof(*probe); i++) {
		memset(fi, 0, sizeof(*fi));
		if (!probe[i](&c, fi)) {
			fi->has_label = !!*fi->label;
			fi->has_uuid = !!*fi->uuid;
			return 0;
		}
	}
	memset(fi, 0, sizeof(*fi));
	return -ENOENT;
}
