/* A small TEST/ASSERT/SKIP harness in the spirit of kselftest_harness.h.
 * Tests register themselves through constructors; main() runs them all and
 * prints one PASS/FAIL/SKIP line each, then "N passed, N failed, N skipped". */
#ifndef LOOPBOX_UNIT_H
#define LOOPBOX_UNIT_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

static struct unit_test *unit_head, **unit_tail = &unit_head;
static jmp_buf unit_jmp;
static char unit_skipbuf[256];
static char unit_why[512];

#define TEST(name)                                                         \
	static void test_##name(void);                                     \
	static struct unit_test unit_##name = {#name, test_##name, NULL};  \
	__attribute__((constructor)) static void reg_##name(void)          \
	{                                                                  \
		*unit_tail = &unit_##name;                                 \
		unit_tail = &unit_##name.next;                             \
	}                                                                  \
	static void test_##name(void)

#define UNIT_FAIL(...)                                                     \
	do {                                                               \
		snprintf(unit_why, sizeof(unit_why), __VA_ARGS__);         \
		longjmp(unit_jmp, 1);                                      \
	} while (0)

#define ASSERT(c)                                                          \
	do {                                                               \
		if (!(c))                                                  \
			UNIT_FAIL("%s:%d: ASSERT(%s)", __FILE__, __LINE__, #c); \
	} while (0)

#define ASSERT_EQ(a, b)                                                    \
	do {                                                               \
		long long ua_ = (long long)(a), ub_ = (long long)(b);      \
		if (ua_ != ub_)                                            \
			UNIT_FAIL("%s:%d: %s == %lld, expected %s == %lld", \
				  __FILE__, __LINE__, #a, ua_, #b, ub_);   \
	} while (0)

#define ASSERT_STR(a, b)                                                   \
	do {                                                               \
		const char *sa_ = (a), *sb_ = (b);                         \
		if (!sa_ || !sb_ || strcmp(sa_, sb_))                      \
			UNIT_FAIL("%s:%d: %s == \"%s\", expected \"%s\"",  \
				  __FILE__, __LINE__, #a, sa_ ? sa_ : "(null)", \
				  sb_ ? sb_ : "(null)");                   \
	} while (0)

#define SKIP(why)                                                          \
	do {                                                               \
		snprintf(unit_skipbuf, sizeof(unit_skipbuf), "%s", (why)); \
		longjmp(unit_jmp, 2);                                      \
	} while (0)

int main(int argc, char **argv)
{
	/* Statics: setjmp/longjmp may not preserve locals. */
	static int pass, fail, skip;
	static struct unit_test *t;
	const char *only = argc > 1 ? argv[1] : NULL;
	for (t = unit_head; t; t = t->next) {
		if (only && strcmp(only, t->name))
			continue;
		switch (setjmp(unit_jmp)) {
		case 0:
			t->fn();
			printf("PASS: %s\n", t->name);
			pass++;
			break;
		case 1:
			printf("FAIL: %s\n  %s\n", t->name, unit_why);
			fail++;
			break;
		default:
			printf("SKIP: %s: %s\n", t->name, unit_skipbuf);
			skip++;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", pass, fail, skip);
	return fail ? 1 : 0;
}

#endif
