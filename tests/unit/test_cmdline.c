/* libmini/cmdline.c: kernel-style splitting and boot.md's key grammar. */
#include <errno.h>

#include "mini.h"
#include "boot.h"
#include "unit.h"

static struct boot_plan p;

static int parse(const char *line)
{
	int r = boot_plan_parse(&p, line);
	return r ? r : boot_plan_check(&p);
}

TEST(split_quotes)
{
	char buf[] = "  a=1 loop=\"/my images/a.img\"\tb \"c d\"=e  ";
	char *w[8];
	ASSERT_EQ(cmdline_split(buf, w, 8), 4);
	ASSERT_STR(w[0], "a=1");
	ASSERT_STR(w[1], "loop=/my images/a.img");
	ASSERT_STR(w[2], "b");
	ASSERT_STR(w[3], "c d=e");
}

TEST(split_unterminated_quote)
{
	char buf[] = "x=\"a b";
	char *w[4];
	ASSERT_EQ(cmdline_split(buf, w, 4), 1);
	ASSERT_STR(w[0], "x=a b");
}

TEST(split_limits)
{
	char buf[] = "a b c";
	char *w[2];
	ASSERT_EQ(cmdline_split(buf, w, 2), -E2BIG);
	char e[] = "   ";
	ASSERT_EQ(cmdline_split(e, w, 2), 0);
}

TEST(defaults)
{
	ASSERT_EQ(parse("root=/dev/vda1"), 0);
	ASSERT_STR(p.root, "/dev/vda1");
	ASSERT_STR(p.loop, "");
	ASSERT_STR(p.loophost, "/host");
	ASSERT_STR(p.init, "/sbin/init");
	ASSERT_EQ(p.rw, 0);
	ASSERT_EQ(p.wait_ms, 30000);
	ASSERT_EQ(p.panic_s, -1);
	ASSERT_EQ(p.loopdio, DIO_AUTO);
	ASSERT_EQ(p.loopsector, 0);
	ASSERT_EQ(p.brk, BREAK_NONE);
	ASSERT_EQ(p.debug, 0);
}

TEST(full_image_line)
{
	ASSERT_EQ(parse("BOOT_IMAGE=/vmlinuz root=LABEL=HOST rootfstype=ext4 "
			"rootflags=noatime loop=\"/images/my root.img\" "
			"loopfstype=squashfs loopflags=nodev looppart=PARTLABEL=sys "
			"loopdio=on loopsector=4096 rw loophost=/mnt/host "
			"rootdelay=2.5 init=/lib/systemd/systemd panic=10 "
			"break=mount debug quiet"), 0);
	ASSERT_STR(p.root, "LABEL=HOST");
	ASSERT_STR(p.rootfstype, "ext4");
	ASSERT_STR(p.rootflags, "noatime");
	ASSERT_STR(p.loop, "/images/my root.img");
	ASSERT_STR(p.loopfstype, "squashfs");
	ASSERT_STR(p.loopflags, "nodev");
	ASSERT_STR(p.looppart, "PARTLABEL=sys");
	ASSERT_EQ(p.loopdio, DIO_ON);
	ASSERT_EQ(p.loopsector, 4096);
	ASSERT_EQ(p.rw, 1);
	ASSERT_STR(p.loophost, "/mnt/host");
	ASSERT_EQ(p.wait_ms, 2500);
	ASSERT_STR(p.init, "/lib/systemd/systemd");
	ASSERT_EQ(p.panic_s, 10);
	ASSERT_EQ(p.brk, BREAK_MOUNT);
	ASSERT_EQ(p.debug, 1);
}

TEST(partuuid_nroff_keeps_equals)
{
	ASSERT_EQ(parse("root=PARTUUID=0a1b2c3d-01/PARTNROFF=1 loop=/a.img"), 0);
	ASSERT_STR(p.root, "PARTUUID=0a1b2c3d-01/PARTNROFF=1");
}

TEST(offset_and_size)
{
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopoffset=1M loopsize=0x1000"), 0);
	ASSERT_EQ(p.loopoffset, 1048576);
	ASSERT_EQ(p.loopsize, 4096);
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopoffset=abc"), -EINVAL);
	ASSERT_STR(p.bad, "loopoffset=abc");
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopsize=0"), -EINVAL);
}

TEST(rootwait_forms)
{
	ASSERT_EQ(parse("root=/dev/vda rootwait"), 0);
	ASSERT_EQ(p.wait_ms, WAIT_FOREVER);
	ASSERT_EQ(parse("root=/dev/vda rootwait=7"), 0);
	ASSERT_EQ(p.wait_ms, 7000);
	/* Last one wins, as with every kernel parameter. */
	ASSERT_EQ(parse("root=/dev/vda rootwait rootdelay=3"), 0);
	ASSERT_EQ(p.wait_ms, 3000);
	ASSERT_EQ(parse("root=/dev/vda rootdelay=x"), -EINVAL);
}

TEST(ro_rw_last_wins)
{
	ASSERT_EQ(parse("root=/dev/vda rw ro"), 0);
	ASSERT_EQ(p.rw, 0);
	ASSERT_EQ(parse("root=/dev/vda ro rw"), 0);
	ASSERT_EQ(p.rw, 1);
}

TEST(dio_and_sector_values)
{
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopdio=off loopsector=auto"), 0);
	ASSERT_EQ(p.loopdio, DIO_OFF);
	ASSERT_EQ(p.loopsector, 0);
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopdio=maybe"), -EINVAL);
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopsector=1000"), -EINVAL);
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopsector=256"), -EINVAL);
	ASSERT_EQ(parse("root=/dev/vda loop=/x loopsector=512"), 0);
}

TEST(archiso_aliases)
{
	ASSERT_EQ(parse("img_label=ARCH_2024 img_loop=/arch/x.sfs img_flags=ro"), 0);
	ASSERT_STR(p.root, "LABEL=ARCH_2024");
	ASSERT_STR(p.loop, "/arch/x.sfs");
	ASSERT_STR(p.loopflags, "ro");
	ASSERT_EQ(parse("img_dev=/dev/disk/by-uuid/1234-ABCD img_loop=/a"), 0);
	ASSERT_STR(p.root, "UUID=1234-ABCD");
	ASSERT_EQ(parse("img_dev=/dev/disk/by-label/My\\x20Disk img_loop=/a"), 0);
	ASSERT_STR(p.root, "LABEL=My Disk");
	ASSERT_EQ(parse("img_dev=/dev/sda2 img_loop=/a"), 0);
	ASSERT_STR(p.root, "/dev/sda2");
}

TEST(loophost_none)
{
	ASSERT_EQ(parse("root=/dev/vda loop=/x loophost=none"), 0);
	ASSERT_STR(p.loophost, "");
	ASSERT_EQ(parse("root=/dev/vda loop=/x loophost=rel"), -EINVAL);
}

TEST(panic_values)
{
	ASSERT_EQ(parse("root=/dev/vda panic=0"), 0);
	ASSERT_EQ(p.panic_s, -1);
	ASSERT_EQ(parse("root=/dev/vda panic=-1"), 0);
	ASSERT_EQ(p.panic_s, 0);
	ASSERT_EQ(parse("root=/dev/vda panic=x"), -EINVAL);
}

TEST(break_phases)
{
	ASSERT_EQ(parse("root=/dev/vda break"), 0);
	ASSERT_EQ(p.brk, BREAK_PREMOUNT);
	ASSERT_EQ(parse("root=/dev/vda break=switch"), 0);
	ASSERT_EQ(p.brk, BREAK_SWITCH);
	ASSERT_EQ(parse("root=/dev/vda break=later"), -EINVAL);
	ASSERT_STR(p.bad, "break=later");
}

TEST(loopbox_debug)
{
	ASSERT_EQ(parse("root=/dev/vda loopbox.debug"), 0);
	ASSERT_EQ(p.debug, 1);
	ASSERT_EQ(parse("root=/dev/vda loopbox.debug=0"), 0);
	ASSERT_EQ(p.debug, 0);
}

TEST(consistency)
{
	ASSERT_EQ(parse("quiet loop=/x"), -EDESTADDRREQ);
	ASSERT_EQ(parse("root=/dev/vda looppart=2"), -EINVAL);
	ASSERT_EQ(parse("root=/dev/vda loopsector=4096"), -EINVAL);
	ASSERT_STR(p.bad, "loop options without loop=");
	ASSERT_EQ(parse("root=/dev/vda loop=/x looppart=2 loopoffset=512"), -EINVAL);
	ASSERT_EQ(parse("root=/dev/vda init=sbin/init"), -EINVAL);
}

TEST(double_dash_ends_keys)
{
	ASSERT_EQ(parse("root=/dev/vda -- root=/dev/other single"), 0);
	ASSERT_STR(p.root, "/dev/vda");
}

TEST(loop_namespace_is_not_ours)
{
	ASSERT_EQ(parse("root=/dev/vda loop.max_part=15"), 0);
	ASSERT_STR(p.loop, "");
}

TEST(too_long)
{
	static char big[BOOT_CMDLINE_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	ASSERT_EQ(boot_plan_parse(&p, big), -E2BIG);
}
