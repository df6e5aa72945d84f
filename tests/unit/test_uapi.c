/* Our loop/block UAPI against the installed kernel headers, where they are
 * new enough to have LOOP_CONFIGURE (5.8). The kernel's values are taken
 * first, then its names are released for uapi.h. */
#include <stddef.h>
#include <sys/ioctl.h>
#if __has_include(<linux/loop.h>)
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/loop.h>
#endif

#ifdef LOOP_CONFIGURE
#define HAVE_HEADERS 1
static const long k_ioctl[] = {LOOP_SET_FD, LOOP_CLR_FD, LOOP_SET_STATUS64,
	LOOP_GET_STATUS64, LOOP_CHANGE_FD, LOOP_SET_CAPACITY, LOOP_SET_DIRECT_IO,
	LOOP_SET_BLOCK_SIZE, LOOP_CONFIGURE, LOOP_CTL_ADD, LOOP_CTL_REMOVE,
	LOOP_CTL_GET_FREE, BLKFLSBUF, BLKSSZGET, BLKPG, BLKPBSZGET, BLKGETSIZE64,
	BLKRRPART};
static const long k_flags[] = {LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR,
	LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO};
static const size_t k_size[] = {sizeof(struct loop_info64),
	sizeof(struct loop_config), offsetof(struct loop_info64, lo_offset),
	offsetof(struct loop_info64, lo_flags),
	offsetof(struct loop_info64, lo_file_name),
	offsetof(struct loop_info64, lo_init), offsetof(struct loop_config, info),
	offsetof(struct loop_config, block_size)};
#else
#define HAVE_HEADERS 0
#endif
#undef LOOP_SET_FD
#undef LOOP_CLR_FD
#undef LOOP_SET_STATUS64
#undef LOOP_GET_STATUS64
#undef LOOP_CHANGE_FD
#undef LOOP_SET_CAPACITY
#undef LOOP_SET_DIRECT_IO
#undef LOOP_SET_BLOCK_SIZE
#undef LOOP_CONFIGURE
#undef LOOP_CTL_ADD
#undef LOOP_CTL_REMOVE
#undef LOOP_CTL_GET_FREE
#undef LO_NAME_SIZE
#undef LO_KEY_SIZE
#undef BLKFLSBUF
#undef BLKSSZGET
#undef BLKPG
#undef BLKPBSZGET
#undef BLKGETSIZE64
#undef BLKRRPART
#undef BLKROGET
#undef BLKPG_ADD_PARTITION
#undef BLKPG_DEL_PARTITION
#define loop_info64 lb_loop_info64
#define loop_config lb_loop_config
#define blkpg_ioctl_arg lb_blkpg_ioctl_arg
#define blkpg_partition lb_blkpg_partition
#include "uapi.h"
#include "unit.h"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

TEST(sizes) {
	ASSERT_EQ(sizeof(struct lb_loop_info64), 232);
	ASSERT_EQ(sizeof(struct lb_loop_config), 304);
	ASSERT_EQ(sizeof(struct lb_blkpg_partition), 152);
}
#if HAVE_HEADERS
TEST(match_kernel_headers) {
	const long ours[] = {LOOP_SET_FD, LOOP_CLR_FD, LOOP_SET_STATUS64,
		LOOP_GET_STATUS64, LOOP_CHANGE_FD, LOOP_SET_CAPACITY,
		LOOP_SET_DIRECT_IO, LOOP_SET_BLOCK_SIZE, LOOP_CONFIGURE,
		LOOP_CTL_ADD, LOOP_CTL_REMOVE, LOOP_CTL_GET_FREE, BLKFLSBUF,
		BLKSSZGET, BLKPG, BLKPBSZGET, BLKGETSIZE64, BLKRRPART};
	/* uapi.h's macros now shadow the kernel's enum names. */
	const long flags[] = {LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR,
		LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO};
	const size_t size[] = {sizeof(struct lb_loop_info64),
		sizeof(struct lb_loop_config),
		offsetof(struct lb_loop_info64, lo_offset),
		offsetof(struct lb_loop_info64, lo_flags),
		offsetof(struct lb_loop_info64, lo_file_name),
		offsetof(struct lb_loop_info64, lo_init),
		offsetof(struct lb_loop_config, info),
		offsetof(struct lb_loop_config, block_size)};
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
		ASSERT_EQ(ours[i], k_ioctl[i]);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		ASSERT_EQ(flags[i], k_flags[i]);
	for (size_t i = 0; i < ARRAY_SIZE(size); i++)
		ASSERT_EQ(size[i], k_size[i]);
}
#else
TEST(match_kernel_headers) { SKIP("no kernel headers with LOOP_CONFIGURE (linux-libc-dev >= 5.8)"); }
#endif
