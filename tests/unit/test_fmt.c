/* fmt.c: our printf agrees with the C library's on every form we use. */
#include <stdarg.h>
#include <stdio.h>

#include "mini.h"
#include "unit.h"

static char ours[256], libc[256];
static int n_ours, n_libc;

static void both(const char *fmt, ...)
{
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	n_ours = mini_vsnprintf(ours, sizeof(ours), fmt, ap);
	n_libc = vsnprintf(libc, sizeof(libc), fmt, aq);
	va_end(aq);
	va_end(ap);
}
#define SAME(...) do { both(__VA_ARGS__); ASSERT_STR(ours, libc); ASSERT_EQ(n_ours, n_libc); } while (0)

TEST(strings) {
	SAME("plain");
	SAME("%s|%10s|%-10s|%.3s|%*s|%-*s|", "abc", "abc", "abc", "abcdef", 5, "x", 4, "y");
	SAME("%c%c%%", 'a', 'b');
	SAME("%5c|%-3c|", 'z', 'q');
}
TEST(integers) {
	SAME("%d %i %u %x %X %o", -42, 42, 42u, 255u, 255u, 8u);
	SAME("%5d|%-5d|%05d|%+d|% d|%.3d|%8.3d|%-8.3d|", 42, 42, 42, 42, 42, 7, 7, 7);
	SAME("%ld %lu %lld %llu %zu %jd", -1L, 1UL << 40, -(1LL << 62), ~0ULL, (size_t)77, (intmax_t)-9);
	SAME("%#x %#X %02x %04llu", 255u, 255u, 7u, 53ULL);
	SAME("%hhu %hu", 300, 70000);
	SAME("%d %d", -2147483647 - 1, 2147483647);
	SAME("%.0d|%5.0d|", 0, 0);
	SAME("[%8u:%-3u] [%3u:%-3u]", 254u, 0u, 7u, 1234u);
	SAME("%hhd %hd %hhx %hX", 200, 40000, -1, -1);
	SAME("%ld %li %lx %llx %zd %td", -5L, 1L << 40, ~0UL, 1ULL << 63, (ssize_t)-3, (ptrdiff_t)-4);
	SAME("%-05d|%-+6d|%+05d|% 05d|%#08x|%#o|%o", 3, 4, -5, 6, 255u, 0u, 64u);
	SAME("%.5x|%8.5X|%-8.5u|%*d|%.*d", 171u, 171u, 9u, -6, 1, -1, 42);
}
TEST(truncation) {
	char small[6];
	ASSERT_EQ(mini_snprintf(small, sizeof(small), "%s", "abcdefgh"), 8);
	ASSERT_STR(small, "abcde");
	ASSERT_EQ(mini_snprintf(NULL, 0, "%d", 12345), 5);
}
TEST(unsupported_is_visible) {
	mini_snprintf(ours, sizeof(ours), "a%fb", 1.0);
	ASSERT_STR(ours, "a%?b");
	const char *stray = "%p|%"; /* not a literal: -Wformat would object */
	mini_snprintf(ours, sizeof(ours), stray, (void *)ours);
	ASSERT_STR(ours, "%?|%?");
}
