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

/* Each operand is evaluated once: a failing call must not run again to
 * print its value (a second registry_open, say, sees a raised counter). */
#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);        \
		if (t_a_ != t_b_) {                                            \
			printf("  %s:%d: CHECK(%s == %s) failed: %lld != "     \
			       "%lld\n",                                       \
			       __FILE__, __LINE__, #a, #b, t_a_, t_b_);        \
			t_cur = 1;                                             \
		}                                                              \
	} while (0)
#define CHECK_EQ_STR(a, b)                                                     \
	do {                                                                   \
		const char *t_a_ = (a), *t_b_ = (b);                           \
		if (strcmp(t_a_, t_b_) != 0) {                                 \
			printf("  %s:%d: CHECK(%s == %s) failed: \"%s\" != "   \
			       "\"%s\"\n",                                     \
			       __FILE__, __LINE__, #a, #b, t_a_, t_b_);        \
			t_cur = 1;                                             \
		}                                                              \
	} while (0)

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
