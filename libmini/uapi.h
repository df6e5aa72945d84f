/* The loop and block UAPI, carried here so the build does not depend on
 * installed kernel headers knowing LOOP_CONFIGURE (5.8) or
 * LOOP_SET_BLOCK_SIZE (4.14). tests/unit/test_uapi.c checks these against
 * <linux/loop.h> and <linux/fs.h> where they are present. */
#ifndef LOOPBOX_UAPI_H
#define LOOPBOX_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* Loop ioctls are plain numbers, not _IOx-encoded. */
#define LOOP_SET_FD 0x4C00
#define LOOP_CLR_FD 0x4C01
#define LOOP_SET_STATUS64 0x4C04
#define LOOP_GET_STATUS64 0x4C05
#define LOOP_CHANGE_FD 0x4C06
#define LOOP_SET_CAPACITY 0x4C07
#define LOOP_SET_DIRECT_IO 0x4C08
#define LOOP_SET_BLOCK_SIZE 0x4C09
#define LOOP_CONFIGURE 0x4C0A
#define LOOP_CTL_ADD 0x4C80
#define LOOP_CTL_REMOVE 0x4C81
#define LOOP_CTL_GET_FREE 0x4C82

#define LO_FLAGS_READ_ONLY 1u
#define LO_FLAGS_AUTOCLEAR 4u
#define LO_FLAGS_PARTSCAN 8u
#define LO_FLAGS_DIRECT_IO 16u

#define LO_NAME_SIZE 64
#define LO_KEY_SIZE 32

#define LOOP_MAJOR 7
#define LOOP_CTL_MINOR 237 /* char 10:237 */

struct loop_info64 {
	uint64_t lo_device;
	uint64_t lo_inode;
	uint64_t lo_rdevice;
	uint64_t lo_offset;
	uint64_t lo_sizelimit;
	uint32_t lo_number;
	uint32_t lo_encrypt_type;
	uint32_t lo_encrypt_key_size;
	uint32_t lo_flags;
	uint8_t lo_file_name[LO_NAME_SIZE];
	uint8_t lo_crypt_name[LO_NAME_SIZE];
	uint8_t lo_encrypt_key[LO_KEY_SIZE];
	uint64_t lo_init[2];
};

struct loop_config {
	uint32_t fd;
	uint32_t block_size;
	struct loop_info64 info;
	uint64_t __reserved[8];
};

_Static_assert(sizeof(struct loop_info64) == 232, "loop_info64 is 232 bytes");
_Static_assert(sizeof(struct loop_config) == 304, "loop_config is 304 bytes");

/* Block ioctls, encoded with the libc's _IO/_IOR so the direction and
 * size bits are right on every architecture. */
#ifndef BLKROGET
#define BLKROGET _IO(0x12, 94)
#endif
#ifndef BLKRRPART
#define BLKRRPART _IO(0x12, 95)
#endif
#ifndef BLKFLSBUF
#define BLKFLSBUF _IO(0x12, 97)
#endif
#ifndef BLKSSZGET
#define BLKSSZGET _IO(0x12, 104)
#endif
#ifndef BLKPG
#define BLKPG _IO(0x12, 105)
#endif
#ifndef BLKPBSZGET
#define BLKPBSZGET _IO(0x12, 123)
#endif
#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif

#define BLKPG_ADD_PARTITION 1
#define BLKPG_DEL_PARTITION 2

struct blkpg_ioctl_arg {
	int op;
	int flags;
	int datalen;
	void *data;
};

struct blkpg_partition {
	long long start;
	long long length;
	int pno;
	char devname[64];
	char volname[64];
};

#endif
