/*
 * test.h: the unit-test harness.  Each test binary runs its cases with RUN()
 * and prints one "PASS name" or "FAIL name" line per case; tests/run.sh adds
 * them up.  A case keeps running after a failed CHECK so one run shows every
 * broken row of a table.
 */
#ifndef SEXTANT_TEST_H
#define SEXTANT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail, t_cur;

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			printf("  %s:%d: CHECK(%s) failed\n", __FILE__,        \
			       __LINE__, #c);                                  \
			t_cur = 1;                                             \
		}                                                              \
	} while (0)

/* CHECKF: a check that explains itself, for table rows. */
#define CHECKF(c, ...)                                                         \
	do {                                                                   \
		if (!(c)) {                                                    \
			printf("  %s:%d: CHECK(%s) failed: ", __FILE__,        \
			       __LINE__, #c);                                  \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			t_cur = 1;                                             \
		}                                                              \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                     \
	CHECKF((long long)(a) == (long long)(b), "%lld != %lld",               \
	       (long long)(a), (long long)(b))
#define CHECK_EQ_STR(a, b)                                                     \
	CHECKF(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))

static inline void
t_run(const char *name, void (*fn)(void))
{
	t_cur = 0;
	fn();
	if (t_cur) {
		t_fail++;
		printf("FAIL %s\n", name);
	} else {
		t_pass++;
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

#define RUN(fn) t_run(#fn, fn)
#define TEST_END()                                                             \
	(printf("# %d passed, %d failed\n", t_pass, t_fail), t_fail ? 1 : 0)

#endif
