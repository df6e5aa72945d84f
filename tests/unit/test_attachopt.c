/* attachopt.c, words.c, path.c: what losetup, loopmount and run share. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mini.h"
#include "unit.h"

/* "id=value ..." of the options returned, then either the attach_req or
 * the error in words. */
static const char *run(const struct opt *tab, int argc, char **argv)
{
	static char buf[256];
	struct attach_req req = {.nr = -1};
	struct optstate st;
	struct optfail f;
	size_t o = 0;
	int c;
	opt_init(&st);
	while ((c = attach_opt_next(&st, argc, argv, tab, &req, &f)) > 0)
		o += snprintf(buf + o, sizeof(buf) - o, "%d=%s ", c, st.arg);
	if (c < 0)
		snprintf(buf + o, sizeof(buf) - o, "%s%s%s", f.pre, f.word, f.post);
	else
		snprintf(buf + o, sizeof(buf) - o, "r%d %llu %llu dio%d %s %s",
			 req.ro, (unsigned long long)req.offset,
			 (unsigned long long)req.sizelimit, req.dio,
			 req.partition ? req.partition : "-", req.ref ? req.ref : "-");
	return buf;
}
#define MOUNT(...) ({ char *a_[] = {"loopmount", __VA_ARGS__, NULL}; \
	run(attach_opts + 2, ARRAY_SIZE(a_) - 1, a_); })
#define RUN(...) ({ char *a_[] = {"run", __VA_ARGS__, NULL}; \
	run(attach_opts, ARRAY_SIZE(a_) - 1, a_); })

TEST(attach_options_stored) {
	ASSERT_STR(MOUNT("-r", "--offset=1K", "--sizelimit", "2M", "--partition",
			 "2", "--ref", "t", "--direct-io=off", "i", "d"),
		   "r1 1024 2097152 dio2 2 t");
}
TEST(direct_io_forms) {
	ASSERT_STR(MOUNT("--direct-io"), "r0 0 0 dio1 - -");
	ASSERT_STR(MOUNT("--direct-io=0"), "r0 0 0 dio2 - -");
	ASSERT_STR(MOUNT("--direct-io=auto"), "r0 0 0 dio0 - -");
	ASSERT_STR(MOUNT("--direct-io=maybe"),
		   "invalid --direct-io 'maybe': on, off or auto");
}
TEST(other_ids_returned) { ASSERT_STR(MOUNT("-t", "ext4", "-o", "ro"), "116=ext4 111=ro r0 0 0 dio0 - -"); }
TEST(bad_numbers) {
	ASSERT_STR(MOUNT("--offset", "1x"),
		   "invalid offset '1x': not a number (examples: 512, 1M, 0x200)");
	ASSERT_STR(MOUNT("--sizelimit", "99999999999999999999"),
		   "invalid size limit '99999999999999999999': number out of range");
}
TEST(opt_errors) {
	ASSERT_STR(MOUNT("--bogus"), "unrecognized option '--bogus' (try --help)");
	ASSERT_STR(MOUNT("--read-only=1"), "option '--read-only=1' takes no value");
	ASSERT_STR(MOUNT("--offset"), "option '--offset' requires a value");
}
/* run's own options exist for run only, and make --t ambiguous there. */
TEST(run_only_options) {
	ASSERT_STR(MOUNT("--mount", "x"), "unrecognized option '--mount' (try --help)");
	char want[64];
	snprintf(want, sizeof(want), "%d=x r0 0 0 dio0 - -", AO_MOUNT);
	ASSERT_STR(RUN("--mount", "x"), want);
	ASSERT_STR(MOUNT("--t", "x"), "116=x r0 0 0 dio0 - -");
	ASSERT_STR(RUN("--t", "x"), "unrecognized option '--t' (try --help)");
}

TEST(warnings_in_order) {
	struct attach_res res = {.warn = AW_ALIAS | AW_NOT_512 | AW_DIO_FALLBACK,
				 .alias_nr = 7};
	char buf[256];
	unsigned left = ~(unsigned)AW_DIO_FALLBACK;
	ASSERT(attach_warning(&res, &left, buf, sizeof(buf)));
	ASSERT_STR(buf, "file size is not a multiple of 512; the end of the file will be ignored");
	ASSERT(attach_warning(&res, &left, buf, sizeof(buf)));
	ASSERT_STR(buf, "/dev/loop7 maps an overlapping range of the same file: "
		   "writes through both devices will corrupt it");
	ASSERT(!attach_warning(&res, &left, buf, sizeof(buf)));
}

TEST(pids) {
	pid_t pid[3] = {10, 20, 30};
	char comm[3][17] = {"sh", "sleep", "cat"};
	char buf[64];
	pids_words(2, pid, comm, 3, buf, sizeof(buf));
	ASSERT_STR(buf, "10 (sh), 20 (sleep)");
	pids_words(5, pid, comm, 3, buf, sizeof(buf));
	ASSERT_STR(buf, "10 (sh), 20 (sleep), 30 (cat) and 2 more");
}

TEST(path_resolve_matches_realpath) {
	char want[PATH_MAX], got[PATH_MAX];
	const char *paths[] = {".", "..", "/", "/proc/self/../self", "tests/unit/../unit"};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (!realpath(paths[i], want))
			continue;
		ASSERT_EQ(path_resolve(paths[i], got, sizeof(got)), 0);
		ASSERT_STR(got, want);
	}
	ASSERT_EQ(path_resolve("/nonexistent/x", got, sizeof(got)), -ENOENT);
	ASSERT_EQ(path_resolve("/", got, 2), 0);
	ASSERT_STR(got, "/");
	ASSERT_EQ(path_resolve("/proc", got, 5), -ENAMETOOLONG);
	ASSERT_EQ(path_resolve("/proc", got, 6), 0);
}
