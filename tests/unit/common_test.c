/* common_test: number and duration parsing, bounded copies, median, atomic
 * writes, bounded reads and the key-file secrecy check. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/util.h"
#include "tests/test.h"

static void
test_parse_numbers(void)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} rows[] = {
	    {"0", 0, 0},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"18446744073709551616", -ERANGE, 0},
	    {"", -EINVAL, 0},
	    {"-1", -EINVAL, 0},
	    {" 1", -EINVAL, 0},
	    {"1 ", -EINVAL, 0},
	    {"12a", -EINVAL, 0},
	    {"+5", -EINVAL, 0},
	};
	uint64_t v;

	for (size_t i = 0; i < UTIL_NELEM(rows); i++) {
		v = 0;
		CHECKF(util_parse_u64(rows[i].s, 0, UINT64_MAX, &v) ==
		           rows[i].rc,
		       "row %zu '%s'", i, rows[i].s);
		if (rows[i].rc == 0)
			CHECKF(v == rows[i].v, "row %zu", i);
	}
	CHECK(util_parse_u64("5", 6, 9, &v) == -ERANGE);
	int64_t s;
	CHECK(util_parse_i64("-42", -100, 100, &s) == 0 && s == -42);
	CHECK(util_parse_i64("-", -100, 100, &s) == -EINVAL);
}

static void
test_parse_hex(void)
{
	uint64_t v;

	CHECK(util_parse_hex_u64("0x92a3df", false, &v) == 0 && v == 0x92a3df);
	CHECK(util_parse_hex_u64("0X0", false, &v) == 0 && v == 0);
	CHECK(util_parse_hex_u64("0xffffffffffffffff", false, &v) == 0 &&
	      v == UINT64_MAX);
	CHECK(util_parse_hex_u64("0x000000000000000000001", false, &v) == 0 &&
	      v == 1);
	CHECK(util_parse_hex_u64("0x10000000000000000", false, &v) == -ERANGE);
	CHECK(util_parse_hex_u64("0x", false, &v) == -EINVAL);
	CHECK(util_parse_hex_u64("ff", false, &v) == -EINVAL);
	CHECK(util_parse_hex_u64("ff", true, &v) == 0 && v == 255);
	CHECK(util_parse_hex_u64("0xfg", false, &v) == -EINVAL);
}

static void
test_durations(void)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t ms;
	} rows[] = {
	    {"60", 0, 60000},
	    {"60s", 0, 60000},
	    {"250ms", 0, 250},
	    {"5m", 0, 300000},
	    {"1h", 0, 3600000},
	    {"0", 0, 0},
	    {"s", -EINVAL, 0},
	    {"5x", -EINVAL, 0},
	    {"-5s", -EINVAL, 0},
	    {"5 s", -EINVAL, 0},
	    {"99999999999999999999h", -ERANGE, 0},
	};
	uint64_t ms;
	char buf[32];

	for (size_t i = 0; i < UTIL_NELEM(rows); i++) {
		ms = 0;
		CHECKF(util_parse_duration_ms(rows[i].s, &ms) == rows[i].rc,
		       "row %zu '%s'", i, rows[i].s);
		if (rows[i].rc == 0)
			CHECKF(ms == rows[i].ms, "row %zu", i);
	}
	CHECK_EQ_STR(util_fmt_duration(1500, buf, sizeof(buf)), "1.5s");
	CHECK_EQ_STR(util_fmt_duration(200000, buf, sizeof(buf)), "3m20s");
}

static void
test_strings_and_median(void)
{
	char b[4];
	uint64_t v[] = {9, 1, 5, 7};

	CHECK(util_strlcpy(b, "abcdef", sizeof(b)) == 6);
	CHECK_EQ_STR(b, "abc");
	CHECK(util_strcpy_checked(b, "abcd", sizeof(b)) == -ENAMETOOLONG);
	CHECK_EQ_STR(b, "");
	CHECK(util_strcpy_checked(b, "abc", sizeof(b)) == 0);
	CHECK(util_median_u64(v, 4) == 5); /* lower median: a real value */
	CHECK(util_median_u64(v, 3) == 5);
	CHECK(util_median_u64(v, 0) == 0);
}

static void
test_atomic_write_and_read(void)
{
	char dir[] = "/tmp/sxt-common-XXXXXX", path[64], *buf;
	size_t len;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	CHECK(file_write_atomic(path, "one", 3, 0600) == 0);
	CHECK(file_write_atomic(path, "second", 6, 0640) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK(file_read_all(path, 100, &buf, &len) == 0);
	CHECK(len == 6 && strcmp(buf, "second") == 0);
	free(buf);
	CHECK(file_read_all(path, 5, &buf, &len) == -EFBIG);
	CHECK(file_read_all(dir, 5, &buf, &len) == -EINVAL);
	CHECK(file_read_all("/nonexistent/x", 5, &buf, &len) == -ENOENT);
	/* no temp files left behind */
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
	CHECK(system(cmd) == 0);
	CHECK(file_write_atomic("/nonexistent/dir/x", "a", 1, 0600) == -ENOENT);
	unlink(path);
	rmdir(dir);
}

static void
test_secrecy(void)
{
	char dir[] = "/tmp/sxt-common-XXXXXX", path[64], err[256];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/key", dir);
	CHECK(file_write_atomic(path, "k", 1, 0600) == 0);
	CHECK(file_check_secrecy(path, err, sizeof(err)) == 0);
	chmod(path, 0644);
	CHECK(file_check_secrecy(path, err, sizeof(err)) == -EPERM);
	CHECK(strstr(err, "0644") != NULL && strstr(err, path) != NULL);
	chmod(path, 0620);
	CHECK(file_check_secrecy(path, err, sizeof(err)) == -EPERM);
	CHECK(file_check_secrecy(dir, err, sizeof(err)) == -EPERM);
	unlink(path);
	CHECK(file_check_secrecy(path, err, sizeof(err)) == -ENOENT);
	rmdir(dir);
}

static void
test_pct_decode(void)
{
	char b[16];

	CHECK_EQ_INT(util_pct_decode("a%20b%2fc", 9, false, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "a b/c");
	CHECK_EQ_INT(util_pct_decode("a+b", 3, true, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "a b");
	CHECK_EQ_INT(util_pct_decode("a+b", 3, false, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "a+b");
	/* truncated, not hex, NUL, too long */
	CHECK_EQ_INT(util_pct_decode("ab%2", 4, false, b, sizeof(b)), -EINVAL);
	CHECK_EQ_INT(util_pct_decode("%", 1, false, b, sizeof(b)), -EINVAL);
	CHECK_EQ_INT(util_pct_decode("%zz", 3, false, b, sizeof(b)), -EINVAL);
	CHECK_EQ_INT(util_pct_decode("a%00b", 5, false, b, sizeof(b)), -EINVAL);
	CHECK_EQ_INT(
	    util_pct_decode("0123456789abcdef", 16, false, b, sizeof(b)),
	    -ENOSPC);
	/* only n bytes are read */
	CHECK_EQ_INT(util_pct_decode("ab%41", 2, false, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "ab");
}

int
main(void)
{
	RUN(test_parse_numbers);
	RUN(test_parse_hex);
	RUN(test_durations);
	RUN(test_strings_and_median);
	RUN(test_atomic_write_and_read);
	RUN(test_secrecy);
	RUN(test_pct_decode);
	return TEST_END();
}
