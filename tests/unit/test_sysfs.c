/* sysfs.c and loop_state_get() against a fake tree (tests/files/sys-basic). */
#include <errno.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mini.h"
#include "unit.h"

static int tree(void)
{
	int fd = open("tests/files/sys-basic", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		SKIP("run from the top of the tree");
	return fd;
}

TEST(read_str_strips_newline) {
	char buf[64];
	int d = tree();
	ASSERT_EQ(sysfs_read_str(d, "block/loop0/dev", buf, sizeof(buf)), 3);
	ASSERT_STR(buf, "7:0");
	close(d);
}
TEST(read_str_truncates) {
	char buf[4];
	int d = tree();
	ASSERT_EQ(sysfs_read_str(d, "block/loop0/loop/backing_file", buf, sizeof(buf)), 3);
	ASSERT_STR(buf, "/im");
	close(d);
}
TEST(read_u64) {
	uint64_t v;
	int d = tree();
	ASSERT_EQ(sysfs_read_u64(d, "block/loop0/loop/offset", &v), 0);
	ASSERT_EQ(v, 1048576);
	ASSERT_EQ(sysfs_read_u64(d, "block/loop1/nonl", &v), 0);
	ASSERT_EQ(v, 4294967296LL);
	ASSERT_EQ(sysfs_read_u64(d, "block/loop1/bad_u64", &v), -EINVAL);
	ASSERT_EQ(sysfs_read_u64(d, "block/loop1/missing", &v), -ENOENT);
	close(d);
}
TEST(read_devnum) {
	dev_t dev;
	int d = tree();
	ASSERT_EQ(sysfs_read_devnum(d, "block/sda/dev", &dev), 0);
	ASSERT_EQ(major(dev), 8);
	ASSERT_EQ(minor(dev), 0);
	ASSERT_EQ(sysfs_read_devnum(d, "block/loop1/bad_dev", &dev), -EINVAL);
	close(d);
}
TEST(state_bound_from_sysfs) {
	struct loop_state st;
	int d = tree();
	/* nr 0 is a fake: the ioctl half sees whatever /dev/loop0 is, so
	 * pass an fd that is not a loop device to keep to sysfs. */
	int nul = open("/dev/null", O_RDONLY);
	ASSERT_EQ(loop_state_get(d, 0, nul, &st), 0);
	ASSERT_STR(st.back_file, "/img/a b.img (deleted)");
	ASSERT_EQ(st.offset, 1048576);
	ASSERT_EQ(st.sizelimit, 4194304);
	ASSERT_EQ(st.flags, LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO | LO_FLAGS_READ_ONLY);
	ASSERT_EQ(st.size, 8192 * 512);
	ASSERT_EQ(st.block_size, 4096);
	ASSERT_EQ(major(st.dev), 7);
	close(nul);
	close(d);
}
TEST(state_unbound_and_absent) {
	struct loop_state st;
	int d = tree();
	ASSERT_EQ(loop_state_get(d, 1, -1, &st), -ENXIO);
	ASSERT_EQ(loop_state_get(d, 7, -1, &st), -ENODEV);
	close(d);
}
TEST(list_bound) {
	int nrs[4], d = tree();
	ASSERT_EQ(loop_list_bound(d, nrs, 4), 1);
	ASSERT_EQ(nrs[0], 0);
	close(d);
}
TEST(parse_name) {
	ASSERT_EQ(loop_parse_name("/dev/loop12"), 12);
	ASSERT_EQ(loop_parse_name("loop3"), 3);
	ASSERT_EQ(loop_parse_name("/dev/loop/5"), 5);
	ASSERT_EQ(loop_parse_name("/dev/loopx"), -ENOENT);
	ASSERT_EQ(loop_parse_name("/dev/null"), -ENOTBLK);
	ASSERT_EQ(loop_parse_name("/dev/loop1x"), -EINVAL);
}
