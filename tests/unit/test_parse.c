/* parse.c: sizes as util-linux's losetup accepts them, and the bad ones. */
#include <errno.h>

#include "mini.h"
#include "unit.h"

static long long size_of(const char *s)
{
	uint64_t v = 0;
	int r = parse_size(s, &v);
	return r < 0 ? r : (long long)v;
}

TEST(size_plain) { ASSERT_EQ(size_of("0"), 0); ASSERT_EQ(size_of("512"), 512); }
TEST(size_hex_octal) {
	ASSERT_EQ(size_of("0x200"), 512);
	ASSERT_EQ(size_of("0X1F"), 31);
	ASSERT_EQ(size_of("010"), 8); /* base 0, as strtoumax in util-linux */
}
TEST(size_binary_suffixes) {
	ASSERT_EQ(size_of("1K"), 1024);
	ASSERT_EQ(size_of("1k"), 1024);
	ASSERT_EQ(size_of("2M"), 2 << 20);
	ASSERT_EQ(size_of("3G"), 3LL << 30);
	ASSERT_EQ(size_of("1T"), 1LL << 40);
	ASSERT_EQ(size_of("1KiB"), 1024);
	ASSERT_EQ(size_of("1MiB"), 1 << 20);
	ASSERT_EQ(size_of("1gib"), 1LL << 30);
	ASSERT_EQ(size_of("1TiB"), 1LL << 40);
}
TEST(size_decimal_suffixes) {
	ASSERT_EQ(size_of("1KB"), 1000);
	ASSERT_EQ(size_of("1MB"), 1000000);
	ASSERT_EQ(size_of("1GB"), 1000000000);
	ASSERT_EQ(size_of("2TB"), 2000000000000LL);
}
TEST(size_rejects_garbage) {
	ASSERT_EQ(size_of(""), -EINVAL);
	ASSERT_EQ(size_of("-1"), -EINVAL);
	ASSERT_EQ(size_of(" 1"), -EINVAL);
	ASSERT_EQ(size_of("1x"), -EINVAL);
	ASSERT_EQ(size_of("1KiBx"), -EINVAL);
	ASSERT_EQ(size_of("1Q"), -EINVAL);
	ASSERT_EQ(size_of("K"), -EINVAL);
	ASSERT_EQ(size_of("0x"), -EINVAL);
	ASSERT_EQ(size_of("08"), -EINVAL);
	ASSERT_EQ(size_of("1.5M"), -EINVAL);
	ASSERT_EQ(size_of(NULL), -EINVAL);
}
TEST(size_overflow) {
	ASSERT_EQ(size_of("18446744073709551615"), -1LL); /* UINT64_MAX fits */
	ASSERT_EQ(size_of("18446744073709551616"), -ERANGE);
	ASSERT_EQ(size_of("16E"), -ERANGE);
	ASSERT_EQ(size_of("17179869184G"), -ERANGE);
	ASSERT_EQ(size_of("0x10000000000000000"), -ERANGE);
}
TEST(uint_bounds) {
	uint64_t v;
	ASSERT_EQ(parse_uint("42", 100, &v), 0);
	ASSERT_EQ(v, 42);
	ASSERT_EQ(parse_uint("101", 100, &v), -ERANGE);
	ASSERT_EQ(parse_uint("4x", 100, &v), -EINVAL);
	ASSERT_EQ(parse_uint("", 100, &v), -EINVAL);
	ASSERT_EQ(parse_uint("-1", 100, &v), -EINVAL);
}
TEST(msec) {
	uint64_t ms;
	ASSERT_EQ(parse_msec("5", &ms), 0);
	ASSERT_EQ(ms, 5000);
	ASSERT_EQ(parse_msec("0.25", &ms), 0);
	ASSERT_EQ(ms, 250);
	ASSERT_EQ(parse_msec(".5", &ms), 0);
	ASSERT_EQ(ms, 500);
	ASSERT_EQ(parse_msec("1.", &ms), -EINVAL);
	ASSERT_EQ(parse_msec("x", &ms), -EINVAL);
	ASSERT_EQ(parse_msec("", &ms), -EINVAL);
	ASSERT_EQ(parse_msec("1.2.3", &ms), -EINVAL);
}
