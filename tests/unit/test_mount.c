/* libmini/mount.c: -o parsing and the pieces that need no root. */
#include <errno.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "mini.h"
#include "unit.h"

TEST(opts_flags_and_data)
{
	unsigned long fl = 0;
	char data[64];
	ASSERT_EQ(mount_opts("ro,noatime,errors=remount-ro,nosuid,commit=5", &fl,
			     data, sizeof(data)), 0);
	ASSERT_EQ(fl, MS_RDONLY | MS_NOATIME | MS_NOSUID);
	ASSERT_STR(data, "errors=remount-ro,commit=5");
}

TEST(opts_later_wins)
{
	unsigned long fl = MS_RDONLY;
	char data[8];
	ASSERT_EQ(mount_opts("ro,rw,,defaults", &fl, data, sizeof(data)), 0);
	ASSERT_EQ(fl, 0);
	ASSERT_STR(data, "");
	ASSERT_EQ(mount_opts(NULL, &fl, data, sizeof(data)), 0);
	ASSERT_STR(data, "");
}

TEST(opts_prefix_is_not_a_flag)
{
	unsigned long fl = 0;
	char data[32];
	/* "rox" is not "ro": it goes to the filesystem as it is. */
	ASSERT_EQ(mount_opts("rox,nodevx", &fl, data, sizeof(data)), 0);
	ASSERT_EQ(fl, 0);
	ASSERT_STR(data, "rox,nodevx");
}

TEST(opts_too_long)
{
	unsigned long fl = 0;
	char data[8];
	ASSERT_EQ(mount_opts("a=12345678", &fl, data, sizeof(data)), -E2BIG);
}

TEST(lookup_root_is_mounted)
{
	struct mount_ent m;
	ASSERT(mount_lookup(0, "/", &m) >= 1);
	ASSERT_STR(m.dir, "/");
	ASSERT_EQ(mount_lookup(0, "/no/such/mount/point", &m), 0);
}

TEST(loop_of_dev_rejects_others)
{
	int part = -1;
	/* 1:3 is /dev/null's number: a char device, no block entry. */
	ASSERT_EQ(loop_of_dev(makedev(1, 3), &part), -ENODEV);
}
