/* opt.c: the option forms util-linux scripts use. */
#include <errno.h>

#include "mini.h"
#include "unit.h"

enum { L_SHOW = 256, L_DIO };
static const struct opt tab[] = {
	{"find", 'f', OPT_NONE},   {"partscan", 'P', OPT_NONE},
	{"offset", 'o', OPT_REQ},  {"show", L_SHOW, OPT_NONE},
	{"direct-io", L_DIO, OPT_OPTIONAL}, {"sizelimit", 's', OPT_REQ},
	{"sector-size", 'b', OPT_REQ},
	{NULL, 0, 0},
};

/* Parses argv into "id[=arg] ... | operands" for easy comparison. */
static const char *run(int argc, char **argv)
{
	static char buf[256];
	struct optstate st;
	size_t o = 0;
	int c;
	opt_init(&st);
	while ((c = opt_next(&st, argc, argv, tab)) > 0)
		o += snprintf(buf + o, sizeof(buf) - o, "%d%s%s ", c,
			      st.arg ? "=" : "", st.arg ? st.arg : "");
	if (c < 0)
		o += snprintf(buf + o, sizeof(buf) - o, "ERR%d:%s ", c, st.bad);
	o += snprintf(buf + o, sizeof(buf) - o, "|");
	for (int i = 0; c == 0 && i < st.nopnd; i++)
		o += snprintf(buf + o, sizeof(buf) - o, " %s", argv[i]);
	return buf;
}
#define RUN(...) ({ char *a_[] = {"losetup", __VA_ARGS__, NULL}; run(ARRAY_SIZE(a_) - 1, a_); })

TEST(bundle) { ASSERT_STR(RUN("-fP", "x"), "102 80 | x"); }
TEST(short_value_attached) { ASSERT_STR(RUN("-o512"), "111=512 |"); }
TEST(short_value_separate) { ASSERT_STR(RUN("-o", "512", "f"), "111=512 | f"); }
TEST(bundle_then_value) { ASSERT_STR(RUN("-fo", "1M"), "102 111=1M |"); }
TEST(long_eq) { ASSERT_STR(RUN("--offset=4096"), "111=4096 |"); }
TEST(long_sep) { ASSERT_STR(RUN("--offset", "4096"), "111=4096 |"); }
TEST(long_prefix) { ASSERT_STR(RUN("--sh", "--part"), "256 80 |"); }
TEST(long_ambiguous) { ASSERT_STR(RUN("--s"), "ERR-2:--s |"); }
TEST(optional_value) { ASSERT_STR(RUN("--direct-io", "f"), "257 | f"); }
TEST(optional_value_eq) { ASSERT_STR(RUN("--direct-io=off"), "257=off |"); }
TEST(permute) { ASSERT_STR(RUN("a", "-f", "b", "--show"), "102 256 | a b"); }
TEST(dashdash) { ASSERT_STR(RUN("-f", "--", "-o", "x"), "102 | -o x"); }
TEST(lone_dash_operand) { ASSERT_STR(RUN("-"), "| -"); }
TEST(unknown_short) { ASSERT_STR(RUN("-fZ"), "102 ERR-2:-Z |"); }
TEST(unknown_long) { ASSERT_STR(RUN("--bogus"), "ERR-2:--bogus |"); }
TEST(missing_value) { ASSERT_STR(RUN("-o"), "ERR-22:-o |"); }
TEST(missing_long_value) { ASSERT_STR(RUN("--offset"), "ERR-22:--offset |"); }
TEST(value_to_flag) { ASSERT_STR(RUN("--show=1"), "ERR-7:--show=1 |"); }
