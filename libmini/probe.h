/* Partition-table and filesystem probing without libblkid.
 * Everything read here is untrusted (hostile images, corrupt disks): every
 * offset and count read from disk is range-checked before use, and every
 * read is bounded by the size of the source. */
#ifndef LOOPBOX_PROBE_H
#define LOOPBOX_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* A bounded byte source: a file/device (fd >= 0) or memory (fuzzers,
 * unit tests). Offsets are relative to base; reads past size fail. */
struct src {
	int fd;                   /* -1 for memory */
	const unsigned char *mem; /* when fd < 0 */
	uint64_t base;            /* window start inside fd/mem */
	uint64_t size;            /* window length */
	uint64_t nread;           /* bytes read so far (for the speed report) */
};
void src_fd(struct src *s, int fd, uint64_t base, uint64_t size);
void src_mem(struct src *s, const void *mem, uint64_t size);
/* Reads exactly len bytes at off; -EIO past the end, -errno on failure. */
int src_read(struct src *s, uint64_t off, void *buf, uint32_t len);
/* Opens path read-only as a whole-file window (size from fstat, or
 * BLKGETSIZE64 for a block device); returns the fd (caller closes) or
 * -errno (-ENODEV for anything neither regular nor a block device). */
int src_open(struct src *s, const char *path);

/* ---- crc32.c ---- */
uint32_t crc32_le(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_raw(uint32_t crc, const void *buf, size_t len);

/* ---- enc.c: on-disk identifiers as blkid prints them ---- */
static inline uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const unsigned char *p)
{ return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static inline uint16_t be16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const unsigned char *p)
{ return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
/* UTF-16 (LE, or BE when be) -> UTF-8 the way libblkid does it: stops at a
 * NUL unit or when the next character does not fit; surrogates are not
 * paired (each unit is encoded on its own, as blkid prints them);
 * trailing whitespace is trimmed. */
void enc_utf16(char *dst, size_t dsize, const unsigned char *src,
	       size_t nbytes, int be);
/* 16 bytes as 8-4-4-4-12 lowercase hex; guid: first three fields LE. All
 * zero: empty string (blkid prints no UUID then). */
void enc_uuid(char *dst, const unsigned char *u, int guid);
/* Up to len bytes, to the first NUL, trailing whitespace trimmed. */
void enc_label(char *dst, size_t dsize, const unsigned char *src, size_t len);

/* ---- part.c: GPT and MBR ---- */
enum { PT_NONE, PT_MBR, PT_GPT };
#define PT_MAX 128
struct part {
	int nr;                /* 1-based, as the kernel numbers them */
	uint64_t start, size;  /* bytes */
	char uuid[37];         /* PARTUUID: GPT GUID, or MBR "xxxxxxxx-NN" */
	char label[109];       /* PARTLABEL (GPT name, UTF-8) */
	char type[37];         /* GPT type GUID, or MBR "0xNN" */
};
struct ptable {
	int type;              /* PT_* */
	uint32_t sector;       /* 512 or 4096 (GPT found at that LBA) */
	char uuid[37];         /* GPT disk GUID, or MBR signature "xxxxxxxx" */
	int used_backup;       /* GPT: primary bad, backup header used */
	int n;
	struct part p[PT_MAX];
};
/* 0 and a table; -ENOENT no table; -EBADMSG a table that is corrupt (bad
 * CRC with no good backup, entries beyond the disk, loops): then pt->type
 * (and for MBR pt->uuid) still say what was found, and pt->n is 0. */
int ptable_read(struct src *s, struct ptable *pt);
/* spec: "N", "PARTUUID=..." (case-insensitive), "PARTLABEL=...": the index
 * into pt->p, -ENOENT when no partition matches, -EINVAL for a spec that
 * is none of these forms. */
int ptable_find(const struct ptable *pt, const char *spec);

/* ---- fsprobe.c: filesystem superblocks ---- */
struct fsinfo {
	char type[16];         /* "ext4", "vfat", "squashfs", ... */
	char sec_type[16];     /* blkid SEC_TYPE (ext2 for ext3, msdos) */
	char label[256];       /* UTF-8 */
	char uuid[64];         /* as blkid prints it */
	uint32_t block_size;   /* blkid BLOCK_SIZE, 0 when blkid prints none */
	int has_label, has_uuid;
	char uuid_sub[37];     /* btrfs UUID_SUB (device UUID) */
	char label_fatboot[12]; /* vfat LABEL_FATBOOT (boot-sector label) */
};
/* 0 and the fs; -ENOENT when no known superblock is found. */
int fs_probe(struct src *s, struct fsinfo *fi);
/* 1 if a 512-byte sector 0 is a plausible FAT boot sector (libblkid's test,
 * used to tell a FAT volume from an MBR: both end in 55 AA). */
int fat_boot_valid(const unsigned char *b);

/* ---- probedev.c: block devices by name (boot code, blkid applet) ---- */
/* Everything blkid reports about one device or image file. */
struct probe_res {
	int has_fs;
	struct fsinfo fs;
	int pttype;            /* PT_* of the device's own table */
	char ptuuid[37];
	int has_part;          /* a partition: its entry in the parent table */
	struct part part;
};
/* Probes path (file or block device); for a partition block device also
 * reads the parent disk's table for PARTUUID/PARTLABEL. -errno when the
 * path cannot be opened; 0 otherwise (has_fs/pttype say what was found). */
int probe_path(const char *path, struct probe_res *r);
/* The same over the window [off, off+size) of path (size 0: to the end),
 * as blkid -O/-S; no parent-table lookup then. */
int probe_window(const char *path, uint64_t off, uint64_t size,
		 struct probe_res *r);
/* spec: LABEL=, UUID=, PARTUUID=[/PARTNROFF=n], PARTLABEL=, /dev/NAME or
 * MAJ:MIN; UUIDs compare case-insensitively. Scans /sys/class/block and
 * stores "/dev/NAME" in devpath. -ENOENT when nothing matches (yet: the
 * caller polls), -EINVAL for a malformed spec. */
int probe_find_dev(const char *spec, char *devpath, size_t size);
/* Calls fn for every block device with a non-zero size (in 512-byte
 * sectors), in /sys/class/block order, sys being /sys; stops at the first
 * fn that returns non-zero and returns that, 0 after the last device, or
 * -errno when /sys/class/block cannot be read. One scan loop for blkid,
 * the boot diagnostics and probe_find_dev. */
int probe_each_dev(int (*fn)(int sys, const char *name, uint64_t sectors,
			     void *arg), void *arg);

#endif
