/* GPT and MBR partition tables. The kernel's numbering is kept (GPT: entry
 * index + 1; MBR: primaries 1-4, logicals from 5 in chain order) so that
 * "partition N" here is /dev/loopXpN there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe.h"

#define GPT_MAX_ARRAY (1u << 20) /* 8192 entries of 128 bytes: far past 128 */

static struct part *add(struct ptable *pt, int nr, uint64_t start,
			uint64_t size)
{
	if (pt->n >= PT_MAX)
		return NULL;
	struct part *p = &pt->p[pt->n++];
	p->nr = nr;
	p->start = start;
	p->size = size;
	return p;
}

/* One GPT header at lba with sector size ssz, and its entry array. 0, or
 * -ENOENT (no signature), -EBADMSG (anything inconsistent). */
static int gpt_try(struct src *s, struct ptable *pt, uint32_t ssz, uint64_t lba)
{
	unsigned char h[512], buf[4096];
	uint64_t lbas = s->size / ssz;
	if (lba >= lbas || src_read(s, lba * ssz, h, sizeof(h)))
		return -ENOENT;
	if (memcmp(h, "EFI PART", 8))
		return -ENOENT;
	uint32_t hsz = le32(h + 12), hcrc = le32(h + 16);
	if (hsz < 92 || hsz > sizeof(h))
		return -EBADMSG;
	memset(h + 16, 0, 4);
	if (crc32_le(0, h, hsz) != hcrc || le64(h + 24) != lba)
		return -EBADMSG;
	uint64_t first = le64(h + 40), last = le64(h + 48), elba = le64(h + 72);
	uint32_t nent = le32(h + 80), esz = le32(h + 84), ecrc = le32(h + 88);
	if (first > last || last >= lbas || esz < 128 || esz > sizeof(buf) ||
	    esz % 8 || (uint64_t)nent * esz > GPT_MAX_ARRAY || elba >= lbas ||
	    (uint64_t)nent * esz > (lbas - elba) * ssz)
		return -EBADMSG;
	pt->n = 0;
	uint32_t crc = 0, per = sizeof(buf) / esz;
	for (uint32_t i = 0; i < nent; i += per) {
		uint32_t cnt = nent - i < per ? nent - i : per;
		if (src_read(s, elba * ssz + (uint64_t)i * esz, buf, cnt * esz))
			return -EBADMSG;
		crc = crc32_le(crc, buf, (size_t)cnt * esz);
		for (uint32_t k = 0; k < cnt; k++) {
			const unsigned char *e = buf + k * esz;
			static const unsigned char zero[16];
			if (!memcmp(e, zero, 16))
				continue;
			uint64_t a = le64(e + 32), b = le64(e + 40);
			if (a > b || a < first || b > last)
				return -EBADMSG;
			struct part *p = add(pt, (int)(i + k + 1), a * ssz,
					     (b - a + 1) * ssz);
			if (!p)
				continue;
			enc_uuid(p->type, e, 1);
			enc_uuid(p->uuid, e + 16, 1);
			enc_utf16(p->label, sizeof(p->label), e + 56, 72, 0);
		}
	}
	if (crc != ecrc)
		return -EBADMSG;
	pt->type = PT_GPT;
	pt->sector = ssz;
	enc_uuid(pt->uuid, h + 56, 1);
	return 0;
}

static int gpt_read(struct src *s, struct ptable *pt)
{
	static const uint32_t ssz[2] = {512, 4096};
	int r = -ENOENT;
	for (int i = 0; i < 2 && r; i++)
		r = gpt_try(s, pt, ssz[i], 1);
	/* The primary is gone or damaged: the backup sits in the last LBA. */
	for (int i = 0; i < 2 && r; i++)
		if (!(r = gpt_try(s, pt, ssz[i], s->size / ssz[i] - 1)))
			pt->used_backup = 1;
	if (r) {
		memset(pt, 0, sizeof(*pt));
		pt->type = PT_GPT;
	}
	return r ? -EBADMSG : 0;
}

static int is_ext(int t)
{
	return t == 0x05 || t == 0x0f || t == 0x85;
}

static void mbr_ids(struct ptable *pt, struct part *p, int type, uint32_t sig)
{
	snprintf(p->type, sizeof(p->type), "0x%x", type);
	if (sig)
		snprintf(p->uuid, sizeof(p->uuid), "%08x-%02x", sig, p->nr);
}

/* The EBR chain: each EBR holds one logical partition (relative to the EBR)
 * and a link to the next EBR (relative to the extended partition). */
static int mbr_logicals(struct src *s, struct ptable *pt, uint64_t ext,
			uint64_t extn, uint32_t sig)
{
	uint64_t seen[PT_MAX], cur = ext;
	int nr = 5;
	for (int hop = 0;; hop++) {
		unsigned char b[512];
		for (int i = 0; i < hop; i++)
			if (seen[i] == cur)
				return -EBADMSG; /* a loop in the chain */
		if (hop == PT_MAX)
			return 0; /* the kernel gives up too; keep what we have */
		seen[hop] = cur;
		if (src_read(s, cur * 512, b, sizeof(b)))
			return -EBADMSG;
		if (b[510] != 0x55 || b[511] != 0xaa)
			return 0;
		uint64_t next = 0;
		for (int i = 0; i < 4; i++) {
			const unsigned char *e = b + 446 + 16 * i;
			uint64_t st = le32(e + 8), n = le32(e + 12);
			if (!n)
				continue;
			if (is_ext(e[4])) {
				if (!next)
					next = ext + st;
				continue;
			}
			if (i >= 2) /* the kernel ignores entries 3-4 here too */
				continue;
			if (cur + st + n > ext + extn)
				return -EBADMSG;
			struct part *p = add(pt, nr++, (cur + st) * 512, n * 512);
			if (p)
				mbr_ids(pt, p, e[4], sig);
		}
		if (!next)
			return 0;
		if (next <= ext || next >= ext + extn)
			return -EBADMSG;
		cur = next;
	}
}

static int mbr_read(struct src *s, struct ptable *pt, const unsigned char *b)
{
	uint32_t sig = le32(b + 440);
	uint64_t lbas = s->size / 512;
	int r = 0, have_ext = 0;
	for (int i = 0; i < 4; i++)
		if (b[446 + 16 * i] & 0x7f)
			return -ENOENT; /* boot flag neither 0 nor 0x80 */
	pt->type = PT_MBR;
	pt->sector = 512;
	if (sig)
		snprintf(pt->uuid, sizeof(pt->uuid), "%08x", sig);
	for (int i = 0; i < 4 && !r; i++) {
		const unsigned char *e = b + 446 + 16 * i;
		uint64_t st = le32(e + 8), n = le32(e + 12);
		if (!n)
			continue;
		if (st + n > lbas)
			r = -EBADMSG;
		struct part *p = add(pt, i + 1, st * 512, n * 512);
		if (p)
			mbr_ids(pt, p, e[4], sig);
		if (!r && is_ext(e[4]) && !have_ext++)
			r = mbr_logicals(s, pt, st, n, sig);
	}
	if (r) {
		/* Keep what kind of table is corrupt (and its id) for the
		 * caller's message; the partitions are not to be used. */
		pt->n = 0;
		memset(pt->p, 0, sizeof(pt->p));
	}
	return r;
}

int ptable_read(struct src *s, struct ptable *pt)
{
	unsigned char b[512];
	memset(pt, 0, sizeof(*pt));
	if (src_read(s, 0, b, sizeof(b)) || b[510] != 0x55 || b[511] != 0xaa)
		return -ENOENT;
	for (int i = 0; i < 4; i++)
		if (b[446 + 16 * i + 4] == 0xee)
			return gpt_read(s, pt);
	/* A FAT boot sector carries 55 AA too; like libblkid, it is no table. */
	if (fat_boot_valid(b))
		return -ENOENT;
	return mbr_read(s, pt, b);
}

int ptable_find(const struct ptable *pt, const char *spec)
{
	int uuid = !strncasecmp(spec, "PARTUUID=", 9);
	int label = !strncmp(spec, "PARTLABEL=", 10);
	unsigned nr = 0;
	if (!uuid && !label) {
		/* By hand, not strtoul (~2 KiB of static libc), and not
		 * parse_uint, which the fuzz targets do not link. Saturates:
		 * a number that large matches no entry. */
		const char *d = spec;
		if (!*d)
			return -EINVAL;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -EINVAL;
			if (nr < 1000000)
				nr = nr * 10 + (unsigned)(*d - '0');
		}
		if (!nr)
			return -EINVAL;
	}
	for (int i = 0; i < pt->n; i++) {
		const struct part *p = &pt->p[i];
		if (uuid ? *p->uuid && !strcasecmp(p->uuid, spec + 9)
			 : label ? !strcmp(p->label, spec + 10)
				 : (unsigned)p->nr == nr)
			return i;
	}
	return -ENOENT;
}
