/* fsprobe.c/fs_fat.c/enc.c: the committed seed images (real mkfs output,
 * cut down), hostile variants of them, and the string encoders. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "probe.h"
#include "unit.h"

static unsigned char img[1 << 18];
static struct fsinfo fi;
static uint64_t nread;

static size_t load(const char *name)
{
	char p[128];
	snprintf(p, sizeof(p), "tests/fuzz/corpus/fs/%s", name);
	FILE *f = fopen(p, "rb");
	if (!f)
		return 0;
	memset(img, 0, sizeof(img));
	size_t n = fread(img, 1, sizeof(img), f);
	fclose(f);
	return n;
}

static int probe(size_t n)
{
	struct src s;
	src_mem(&s, img, n);
	int r = fs_probe(&s, &fi);
	nread = s.nread;
	return r;
}

#define SEED(name) \
	size_t n = load(name); \
	if (!n) \
		SKIP("seed " name " missing (tests/fuzz/mkcorpus.sh)")

static const struct {
	const char *seed, *type, *label, *sec;
	uint32_t bs;
} seeds[] = {
	{"ext2", "ext2", "e2", "", 1024},
	{"ext3", "ext3", "e3", "ext2", 1024},
	{"ext4", "ext4", "e4", "", 1024},
	{"jbd", "jbd", "", "", 1024},
	{"vfat12", "vfat", "FAT12LAB", "msdos", 512},
	{"vfat16", "vfat", "FAT16LAB", "msdos", 512},
	{"vfat32", "vfat", "FAT32LAB", "", 512},
	{"exfat", "exfat", "exlab", "", 512},
	{"btrfs", "btrfs", "btr", "", 4096},
	{"xfs", "xfs", "xfslab", "", 512},
	{"squashfs", "squashfs", "", "", 0},
	{"erofs", "erofs", "", "", 4096},
	{"iso9660", "iso9660", "ISOLAB", "", 2048},
	{"iso-joliet", "iso9660", "Joliet label, long", "", 2048},
	{"f2fs", "f2fs", "f2lab", "", 4096},
	{"swap", "swap", "swp", "", 0},
};

TEST(seeds_identified)
{
	for (size_t i = 0; i < sizeof(seeds) / sizeof(*seeds); i++) {
		size_t n = load(seeds[i].seed);
		if (!n)
			SKIP("seed images missing (tests/fuzz/mkcorpus.sh)");
		ASSERT_EQ(probe(n), 0);
		ASSERT_STR(fi.type, seeds[i].type);
		ASSERT_STR(fi.label, seeds[i].label);
		ASSERT_STR(fi.sec_type, seeds[i].sec);
		ASSERT_EQ(fi.block_size, seeds[i].bs);
		ASSERT_EQ(fi.has_label, !!*seeds[i].label);
		/* A few KiB per probe; btrfs and the FAT root walk read more. */
		ASSERT(nread <= 8192 + 4096);
	}
}

TEST(every_prefix_of_every_seed)
{
	/* Truncated anywhere: never a crash or an overread (ASan), and no
	 * answer that needs bytes which are not there. */
	for (size_t i = 0; i < sizeof(seeds) / sizeof(*seeds); i++) {
		size_t n = load(seeds[i].seed);
		if (!n)
			SKIP("seed images missing");
		for (size_t k = 0; k < n; k += k < 4096 ? 7 : 509) {
			unsigned char *copy = malloc(k + 1);
			memcpy(copy, img, k);
			struct src s;
			src_mem(&s, copy, k);
			fs_probe(&s, &fi);
			ASSERT(s.nread <= 1 << 20);
			free(copy);
		}
	}
}

TEST(ext_metadata_csum_checked)
{
	SEED("ext4");
	ASSERT_EQ(probe(n), 0);
	img[1024 + 0x78] ^= 1; /* label byte: checksum no longer matches */
	ASSERT_EQ(probe(n), -ENOENT);
}

TEST(ext_huge_block_size_field)
{
	SEED("ext2");
	img[1024 + 0x18] = 200; /* 1024 << 200 must not be computed */
	ASSERT_EQ(probe(n), 0);
	ASSERT_EQ(fi.block_size, 0);
}

TEST(fat32_root_chain_loop_ends)
{
	SEED("vfat32");
	/* Wipe the label entry and make cluster 2 point at itself. */
	uint32_t res = img[14] | img[15] << 8;
	memset(img + (res + 16) * 512, 0xe5, 32 * 16);
	img[res * 512 + 8] = 2, img[res * 512 + 9] = 0;
	img[res * 512 + 10] = 0, img[res * 512 + 11] = 0;
	ASSERT_EQ(probe(n), 0);
	ASSERT_STR(fi.type, "vfat");
	ASSERT_STR(fi.label, "");
	ASSERT_STR(fi.label_fatboot, "FAT32LAB");
	ASSERT(nread < 64 * 1024);
}

TEST(fat_no_name_boot_label)
{
	SEED("vfat16");
	memcpy(img + 0x2b, "NO NAME    ", 11);
	ASSERT_EQ(probe(n), 0);
	ASSERT_STR(fi.label_fatboot, "");
	ASSERT_STR(fi.label, "FAT16LAB"); /* the root entry still says so */
}

TEST(exfat_label_chain_garbage)
{
	SEED("exfat");
	ASSERT_EQ(probe(n), 0);
	ASSERT_STR(fi.label, "exlab");
	ASSERT(fi.uuid[4] == '-' && strlen(fi.uuid) == 9);
	img[96] = 0xff, img[97] = 0xff, img[98] = 0xff, img[99] = 0x7f;
	ASSERT_EQ(probe(n), 0); /* root cluster far outside: no label */
	ASSERT_STR(fi.label, "");
}

TEST(iso_joliet_same_as_pvd_uses_pvd)
{
	SEED("iso-joliet");
	ASSERT_EQ(probe(n), 0);
	ASSERT_STR(fi.label, "Joliet label, long");
	ASSERT_EQ(strlen(fi.uuid), 22);
}

TEST(nothing_in_zeros)
{
	memset(img, 0, sizeof(img));
	ASSERT_EQ(probe(sizeof(img)), -ENOENT);
	ASSERT_EQ(probe(0), -ENOENT);
	ASSERT_STR(fi.type, "");
}

TEST(src_bounds)
{
	unsigned char b[8];
	struct src s;
	src_mem(&s, img, 100);
	ASSERT_EQ(src_read(&s, 92, b, 8), 0);
	ASSERT_EQ(src_read(&s, 93, b, 8), -EIO);
	ASSERT_EQ(src_read(&s, UINT64_MAX - 2, b, 8), -EIO);
	ASSERT_EQ(s.nread, 8);
}

TEST(enc_uuid_forms)
{
	unsigned char u[16];
	char out[37];
	for (int i = 0; i < 16; i++)
		u[i] = (unsigned char)(i * 17);
	enc_uuid(out, u, 0);
	ASSERT_STR(out, "00112233-4455-6677-8899-aabbccddeeff");
	enc_uuid(out, u, 1);
	ASSERT_STR(out, "33221100-5544-7766-8899-aabbccddeeff");
	memset(u, 0, 16);
	enc_uuid(out, u, 0);
	ASSERT_STR(out, "");
}

TEST(enc_utf16_like_blkid)
{
	char out[16];
	/* A, e-acute, euro, a surrogate pair (kept as two 3-byte units) */
	const unsigned char s[] = {'A', 0, 0xe9, 0, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde, 0, 0};
	enc_utf16(out, sizeof(out), s, sizeof(s), 0);
	ASSERT_STR(out, "A\xc3\xa9\xe2\x82\xac\xed\xa0\xbd\xed\xb8\x80");
	enc_utf16(out, 6, s, sizeof(s), 0); /* the euro sign does not fit */
	ASSERT_STR(out, "A\xc3\xa9");
	const unsigned char be[] = {0, 'h', 0, 'i', 0, ' ', 0, ' '};
	enc_utf16(out, sizeof(out), be, sizeof(be), 1);
	ASSERT_STR(out, "hi");
}

TEST(enc_label_trims)
{
	char out[8];
	enc_label(out, sizeof(out), (const unsigned char *)"AB  \0xx", 7);
	ASSERT_STR(out, "AB");
	enc_label(out, sizeof(out), (const unsigned char *)"0123456789", 10);
	ASSERT_STR(out, "0123456");
}

TEST(crc32_known_values)
{
	ASSERT_EQ(crc32_le(0, "123456789", 9), 0xcbf43926u);
	ASSERT_EQ(~crc32c_raw(~0u, "123456789", 9), 0xe3069283u);
}
