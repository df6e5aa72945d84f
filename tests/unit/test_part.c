/* part.c: GPT and MBR tables built here byte by byte (so every corruption
 * case is exact), then the committed seed disks against util-linux partx. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "probe.h"
#include "unit.h"

static struct ptable pt;

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> 8 * i);
}
static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void mbr_entry(unsigned char *b, int i, int boot, int type,
		      uint32_t start, uint32_t n)
{
	unsigned char *e = b + 446 + 16 * i;
	e[0] = (unsigned char)boot;
	e[4] = (unsigned char)type;
	put32(e + 8, start);
	put32(e + 12, n);
	b[510] = 0x55;
	b[511] = 0xaa;
}

/* A GPT disk of `lbas` sectors of ssz bytes, 128 entries, with partitions
 * 1 (lba 40-99, "EFI é") and 3 (lba 100 to last usable, "root"). */
#define GUID1 "\x28\x73\x2a\xc1\x1f\xf8\xd2\x11\xba\x4b\x00\xa0\xc9\x3e\xc9\x3b"
static void gpt_header(unsigned char *d, uint32_t ssz, uint64_t lbas,
		       uint64_t my, uint64_t alt, uint64_t elba)
{
	unsigned char *h = d + my * ssz;
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x10000);
	put32(h + 12, 92);
	put64(h + 24, my);
	put64(h + 32, alt);
	put64(h + 40, 34);
	put64(h + 48, lbas - 34);
	for (int i = 0; i < 16; i++)
		h[56 + i] = (unsigned char)(0xa0 + i);
	put64(h + 72, elba);
	put32(h + 80, 128);
	put32(h + 84, 128);
	put32(h + 88, crc32_le(0, d + elba * ssz, 128 * 128));
	put32(h + 16, 0);
	put32(h + 16, crc32_le(0, h, 92));
}

static unsigned char *gpt_disk(uint32_t ssz, uint64_t lbas)
{
	unsigned char *d = calloc(lbas, ssz);
	mbr_entry(d, 0, 0, 0xee, 1, (uint32_t)(lbas - 1));
	unsigned char e[2][128] = {{0}};
	memcpy(e[0], GUID1, 16);
	memcpy(e[1], GUID1, 16);
	for (int i = 0; i < 16; i++)
		e[0][16 + i] = (unsigned char)i, e[1][16 + i] = (unsigned char)(0xf0 + i);
	put64(e[0] + 32, 40);
	put64(e[0] + 40, 99);
	put64(e[1] + 32, 100);
	put64(e[1] + 40, lbas - 34);
	const char *n = "EFI \xe9"; /* UTF-16 units, é as 0x00e9 */
	for (int i = 0; n[i]; i++)
		e[0][56 + 2 * i] = (unsigned char)n[i];
	memcpy(e[1] + 56, "r\0o\0o\0t\0", 8);
	for (uint64_t base = 2; base; base = base == 2 ? lbas - 33 : 0) {
		memcpy(d + base * ssz, e[0], 128);
		memcpy(d + base * ssz + 2 * 128, e[1], 128);
	}
	gpt_header(d, ssz, lbas, 1, lbas - 1, 2);
	gpt_header(d, ssz, lbas, lbas - 1, 1, lbas - 33);
	return d;
}

static int read_mem(unsigned char *d, uint64_t size)
{
	struct src s;
	src_mem(&s, d, size);
	return ptable_read(&s, &pt);
}

TEST(gpt_basic)
{
	unsigned char *d = gpt_disk(512, 2048);
	ASSERT_EQ(read_mem(d, 2048 * 512), 0);
	ASSERT_EQ(pt.type, PT_GPT);
	ASSERT_EQ(pt.sector, 512);
	ASSERT_EQ(pt.used_backup, 0);
	ASSERT_STR(pt.uuid, "a3a2a1a0-a5a4-a7a6-a8a9-aaabacadaeaf");
	ASSERT_EQ(pt.n, 2);
	ASSERT_EQ(pt.p[0].nr, 1);
	ASSERT_EQ(pt.p[0].start, 40 * 512);
	ASSERT_EQ(pt.p[0].size, 60 * 512);
	ASSERT_STR(pt.p[0].label, "EFI \xc3\xa9");
	ASSERT_STR(pt.p[0].type, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
	ASSERT_STR(pt.p[0].uuid, "03020100-0504-0706-0809-0a0b0c0d0e0f");
	ASSERT_EQ(pt.p[1].nr, 3); /* entry index + 1, as the kernel numbers */
	ASSERT_STR(pt.p[1].label, "root");
	free(d);
}

TEST(gpt_4096_sectors)
{
	unsigned char *d = gpt_disk(4096, 512);
	ASSERT_EQ(read_mem(d, 512 * 4096), 0);
	ASSERT_EQ(pt.sector, 4096);
	ASSERT_EQ(pt.p[0].start, 40 * 4096);
	free(d);
}

TEST(gpt_bad_primary_uses_backup)
{
	unsigned char *d = gpt_disk(512, 2048);
	d[512 + 60] ^= 1; /* header CRC now wrong */
	ASSERT_EQ(read_mem(d, 2048 * 512), 0);
	ASSERT_EQ(pt.used_backup, 1);
	ASSERT_EQ(pt.n, 2);
	memset(d + 512, 0, 512); /* primary wiped */
	ASSERT_EQ(read_mem(d, 2048 * 512), 0);
	ASSERT_EQ(pt.used_backup, 1);
	free(d);
}

TEST(gpt_bad_entries_crc_uses_backup)
{
	unsigned char *d = gpt_disk(512, 2048);
	d[2 * 512 + 57] ^= 1; /* a label byte: entry array CRC wrong */
	ASSERT_EQ(read_mem(d, 2048 * 512), 0);
	ASSERT_EQ(pt.used_backup, 1);
	ASSERT_STR(pt.p[0].label, "EFI \xc3\xa9");
	free(d);
}

TEST(gpt_both_bad)
{
	unsigned char *d = gpt_disk(512, 2048);
	d[512 + 60] ^= 1;
	d[2047 * 512 + 60] ^= 1;
	ASSERT_EQ(read_mem(d, 2048 * 512), -EBADMSG);
	ASSERT_EQ(pt.n, 0);
	free(d);
}

TEST(gpt_truncated_disk)
{
	/* The header says 2048 sectors; the file holds 1024: last usable LBA
	 * lies past the end, and the backup is gone. */
	unsigned char *d = gpt_disk(512, 2048);
	ASSERT_EQ(read_mem(d, 1024 * 512), -EBADMSG);
	free(d);
}

TEST(gpt_entry_outside_usable)
{
	unsigned char *d = gpt_disk(512, 2048);
	for (uint64_t base = 2; base; base = base == 2 ? 2048 - 33 : 0)
		put64(d + base * 512 + 32, 10); /* starts before first usable */
	gpt_header(d, 512, 2048, 1, 2047, 2);
	gpt_header(d, 512, 2048, 2047, 1, 2048 - 33);
	ASSERT_EQ(read_mem(d, 2048 * 512), -EBADMSG);
	free(d);
}

TEST(gpt_huge_entry_count)
{
	unsigned char *d = gpt_disk(512, 2048);
	put32(d + 512 + 80, 0x7fffffff); /* 256 GiB of entries: refused */
	put32(d + 512 + 16, 0);
	put32(d + 512 + 16, crc32_le(0, d + 512, 92));
	ASSERT_EQ(read_mem(d, 2048 * 512), 0);
	ASSERT_EQ(pt.used_backup, 1);
	free(d);
}

TEST(protective_mbr_without_gpt)
{
	unsigned char d[4096] = {0};
	mbr_entry(d, 0, 0, 0xee, 1, 7);
	ASSERT_EQ(read_mem(d, sizeof(d)), -EBADMSG);
}

TEST(mbr_primary_and_logicals)
{
	unsigned char *d = calloc(1024, 512);
	put32(d + 440, 0xdeadbeef);
	mbr_entry(d, 0, 0x80, 0x0c, 1, 99);
	mbr_entry(d, 1, 0, 0x05, 100, 900);
	/* EBR 1 at 100: logical at +2, link to EBR 2 at ext+300 */
	mbr_entry(d + 100 * 512, 0, 0, 0x83, 2, 100);
	mbr_entry(d + 100 * 512, 1, 0, 0x05, 300, 200);
	mbr_entry(d + 400 * 512, 0, 0, 0x82, 1, 50);
	ASSERT_EQ(read_mem(d, 1024 * 512), 0);
	ASSERT_EQ(pt.type, PT_MBR);
	ASSERT_STR(pt.uuid, "deadbeef");
	ASSERT_EQ(pt.n, 4);
	ASSERT_EQ(pt.p[0].nr, 1);
	ASSERT_STR(pt.p[0].uuid, "deadbeef-01");
	ASSERT_STR(pt.p[0].type, "0xc");
	ASSERT_EQ(pt.p[2].nr, 5);
	ASSERT_EQ(pt.p[2].start, 102 * 512);
	ASSERT_STR(pt.p[2].uuid, "deadbeef-05");
	ASSERT_EQ(pt.p[3].nr, 6);
	ASSERT_EQ(pt.p[3].start, 401 * 512);
	ASSERT_EQ(pt.p[3].size, 50 * 512);
	ASSERT_EQ(ptable_find(&pt, "6"), 3);
	ASSERT_EQ(ptable_find(&pt, "PARTUUID=DEADBEEF-05"), 2);
	ASSERT_EQ(ptable_find(&pt, "7"), -ENOENT);
	ASSERT_EQ(ptable_find(&pt, "x"), -EINVAL);
	free(d);
}

TEST(mbr_ebr_loop)
{
	unsigned char *d = calloc(1024, 512);
	mbr_entry(d, 0, 0, 0x0f, 100, 900);
	mbr_entry(d + 100 * 512, 0, 0, 0x83, 2, 10);
	mbr_entry(d + 100 * 512, 1, 0, 0x05, 300, 200);
	mbr_entry(d + 400 * 512, 0, 0, 0x83, 2, 10);
	mbr_entry(d + 400 * 512, 1, 0, 0x05, 300, 200); /* points at itself */
	ASSERT_EQ(read_mem(d, 1024 * 512), -EBADMSG);
	mbr_entry(d + 400 * 512, 1, 0, 0x05, 0, 200); /* back to the first */
	ASSERT_EQ(read_mem(d, 1024 * 512), -EBADMSG);
	free(d);
}

TEST(mbr_beyond_disk)
{
	unsigned char d[8192] = {0};
	put32(d + 440, 0x1234abcd);
	mbr_entry(d, 0, 0, 0x83, 1, 100);
	ASSERT_EQ(read_mem(d, sizeof(d)), -EBADMSG);
	ASSERT_EQ(pt.type, PT_MBR); /* still said, for messages and blkid */
	ASSERT_STR(pt.uuid, "1234abcd");
	ASSERT_EQ(pt.n, 0);
}

TEST(mbr_bad_boot_flag_is_no_table)
{
	unsigned char d[8192] = {0};
	mbr_entry(d, 0, 0x12, 0x83, 1, 4);
	ASSERT_EQ(read_mem(d, sizeof(d)), -ENOENT);
}

TEST(mbr_no_signature_no_partuuid)
{
	unsigned char d[8192] = {0};
	mbr_entry(d, 0, 0, 0x83, 1, 4);
	ASSERT_EQ(read_mem(d, sizeof(d)), 0);
	ASSERT_STR(pt.uuid, "");
	ASSERT_STR(pt.p[0].uuid, "");
}

TEST(no_table)
{
	unsigned char d[8192] = {0};
	ASSERT_EQ(read_mem(d, sizeof(d)), -ENOENT);
	ASSERT_EQ(read_mem(d, 100), -ENOENT);
}

TEST(fat_boot_sector_is_no_table)
{
	unsigned char d[8192] = {0};
	d[0] = 0xeb;
	memcpy(d + 0x36, "FAT12   ", 8);
	d[11] = 0, d[12] = 2;   /* 512-byte sectors */
	d[13] = 1, d[14] = 1;   /* 1 sector/cluster, 1 reserved */
	d[16] = 2, d[17] = 224; /* 2 FATs, 224 root entries */
	d[19] = 64;             /* 64 sectors */
	d[21] = 0xf8, d[22] = 1;
	d[510] = 0x55, d[511] = 0xaa;
	ASSERT_EQ(read_mem(d, sizeof(d)), -ENOENT);
}

/* util-linux partx on the committed seed disks, field by field. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		unsigned v;
		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
			*o++ = (char)v;
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

TEST(seed_disks_match_partx)
{
	static const char *const disks[] = {"tests/fuzz/corpus/part/gpt",
					    "tests/fuzz/corpus/part/gpt-backup",
					    "tests/fuzz/corpus/part/mbr"};
	if (system("partx -V >/dev/null 2>&1"))
		SKIP("util-linux partx not installed");
	for (size_t k = 0; k < 3; k++) {
		FILE *f = fopen(disks[k], "rb");
		if (!f)
			SKIP("seed disks missing (tests/fuzz/mkcorpus.sh)");
		static unsigned char d[1 << 20];
		size_t n = fread(d, 1, sizeof(d), f);
		fclose(f);
		ASSERT_EQ(read_mem(d, n), 0);
		char cmd[256], line[512];
		snprintf(cmd, sizeof(cmd),
			 "partx -g -r -o NR,START,SECTORS,UUID,TYPE,NAME %s", disks[k]);
		FILE *p = popen(cmd, "r");
		int i = 0;
		while (p && fgets(line, sizeof(line), p)) {
			unsigned nr;
			unsigned long long st, sz;
			char uuid[64], type[64], name[256] = "";
			line[strcspn(line, "\n")] = 0;
			int got = sscanf(line, "%u %llu %llu %63s %63s %255s", &nr, &st,
					 &sz, uuid, type, name);
			ASSERT(got >= 5);
			unescape(name);
			ASSERT(i < pt.n);
			ASSERT_EQ(pt.p[i].nr, nr);
			ASSERT_EQ(pt.p[i].start, st * 512);
			ASSERT_EQ(pt.p[i].size, sz * 512);
			ASSERT_STR(pt.p[i].uuid, uuid);
			ASSERT_STR(pt.p[i].type, type);
			ASSERT_STR(pt.p[i].label, name);
			i++;
		}
		if (p)
			pclose(p);
		ASSERT_EQ(i, pt.n);
	}
}
