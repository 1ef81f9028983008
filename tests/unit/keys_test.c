/*
 * keys_test: key files round-trip, and every bad file is refused with a
 * message that names the file and says what to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/keys.h"
#include "tests/test.h"

static char dir[64];
static char path[256], pubpath[264];
static char err[512];
static int nfile;

static void
next_path(void)
{
	snprintf(path, sizeof(path), "%s/id%d", dir, ++nfile);
	snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
}

static void
put(const char *p, const char *content, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, content, strlen(content)) < 0) {
		perror(p);
		abort();
	}
	fchmod(fd, mode);
	close(fd);
}

static mode_t
mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void
test_roundtrip(void)
{
	struct keys_identity id, back;
	uint8_t pk[KEYS_PK_BYTES];
	char comment[64];

	next_path();
	CHECK_EQ_INT(keys_generate(&id), 0);
	CHECK_EQ_INT(keys_write(path, &id, "pilot-1"), 0);
	CHECK_EQ_INT(mode_of(path), 0600);
	CHECK_EQ_INT(mode_of(pubpath), 0644);
	CHECKF(keys_load_secret(path, &back, err, sizeof(err)) == 0, "%s", err);
	CHECK(memcmp(back.pk, id.pk, KEYS_PK_BYTES) == 0);
	CHECK(memcmp(back.sk, id.sk, KEYS_SK_BYTES) == 0);
	CHECKF(keys_load_public(pubpath, pk, comment, sizeof(comment), err,
	                        sizeof(err)) == 0,
	       "%s", err);
	CHECK(memcmp(pk, id.pk, KEYS_PK_BYTES) == 0);
	CHECK_EQ_STR(comment, "pilot-1");
	keys_wipe(&id);
	keys_wipe(&back);
}

/* The exact bytes of the files, as PROTOCOL.md and keys.h describe them. */
static void
test_file_format(void)
{
	struct keys_identity id;
	char *want_pub = malloc(256), line[KEYS_PUB_LINE_MAX];
	char buf[256] = {0};
	int fd;
	ssize_t n;

	next_path();
	CHECK_EQ_INT(keys_generate(&id), 0);
	CHECK_EQ_INT(keys_write(path, &id, NULL), 0);
	fd = open(pubpath, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	snprintf(want_pub, 256, "%s\n",
	         keys_format_public(id.pk, NULL, line, sizeof(line)));
	CHECK(n > 0);
	CHECK_EQ_STR(buf, want_pub);
	CHECK(strncmp(buf, "sextant-ed25519 ", 16) == 0);
	CHECK_EQ_INT(strlen(buf), 16 + 44 + 1);

	memset(buf, 0, sizeof(buf));
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK_EQ_INT(n, strlen("sextant-ed25519-secret ") + 44 + 1);
	CHECK(strncmp(buf, "sextant-ed25519-secret ", 23) == 0);
	CHECK(buf[n - 1] == '\n');
	keys_wipe(&id);
	free(want_pub);
}

static void
test_group_readable_refused(void)
{
	struct keys_identity id;

	next_path();
	CHECK_EQ_INT(keys_generate(&id), 0);
	CHECK_EQ_INT(keys_write(path, &id, "x"), 0);
	chmod(path, 0644);
	CHECK_EQ_INT(keys_load_secret(path, &id, err, sizeof(err)), -EPERM);
	CHECKF(strstr(err, path) != NULL, "err '%s' lacks the path", err);
	CHECKF(strstr(err, "0644") != NULL, "err '%s' lacks the mode", err);
	CHECKF(strstr(err, "chmod 600") != NULL, "err '%s' lacks the fix", err);
	chmod(path, 0640);
	CHECK_EQ_INT(keys_load_secret(path, &id, err, sizeof(err)), -EPERM);
	chmod(path, 0602);
	CHECK_EQ_INT(keys_load_secret(path, &id, err, sizeof(err)), -EPERM);
	chmod(path, 0400);
	CHECK_EQ_INT(keys_load_secret(path, &id, err, sizeof(err)), 0);
	/* a refused load leaves no key material behind */
	chmod(path, 0644);
	keys_load_secret(path, &id, err, sizeof(err));
	{
		static const uint8_t zero[KEYS_SK_BYTES];

		CHECK(memcmp(id.sk, zero, sizeof(zero)) == 0);
	}
}

struct bad_secret {
	const char *content;
	const char *err_has;
};

static void
test_bad_secret_files(void)
{
	/* 43 characters of valid base64 and garbage, 31 and 33 bytes */
	static const struct bad_secret rows[] = {
	    {"sextant-ed25519-secret !!!!notbase64!!!!!!!!!!!!!!!!!!!!!!!!!"
	     "!!!!!\n",
	     "base64"},
	    {"sextant-ed25519-secret "
	     "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
	     "base64"},
	    {"sextant-ed25519-secret "
	     "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
	     "base64"},
	    {"sextant-ed25519-secret\n", "base64"},
	    {"ssh-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
	     "not a sextant secret key"},
	    {"sextant-ed25519 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
	     "not a sextant secret key"},
	    {"", "not a sextant secret key"},
	    {"sextant-ed25519-secret "
	     "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nmore\n",
	     "after the key"},
	};
	struct keys_identity id;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc;

		next_path();
		put(path, rows[i].content, 0600);
		err[0] = '\0';
		rc = keys_load_secret(path, &id, err, sizeof(err));
		CHECKF(rc == -EINVAL, "row %zu: rc %d (%s)", i, rc, err);
		CHECKF(strstr(err, path) != NULL, "row %zu: '%s' lacks path", i,
		       err);
		CHECKF(strstr(err, rows[i].err_has) != NULL,
		       "row %zu: '%s' lacks '%s'", i, err, rows[i].err_has);
		/* never echo what may be secret material */
		CHECKF(strstr(err, "AAECAwQF") == NULL &&
		           strstr(err, "!!!!") == NULL,
		       "row %zu: '%s' quotes the key", i, err);
	}
	/* the good variant of row 1 loads, also with CRLF */
	next_path();
	put(path,
	    "sextant-ed25519-secret "
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n",
	    0600);
	CHECKF(keys_load_secret(path, &id, err, sizeof(err)) == 0, "%s", err);
	CHECK(id.sk[0] == 0 && id.sk[31] == 31);

	/* a missing file names itself */
	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	CHECK_EQ_INT(keys_load_secret(path, &id, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) != NULL);
	/* so does a huge one */
	next_path();
	{
		char *big = malloc(10000);

		memset(big, 'A', 9999);
		big[9999] = '\0';
		put(path, big, 0600);
		free(big);
	}
	CHECK_EQ_INT(keys_load_secret(path, &id, err, sizeof(err)), -EFBIG);
	CHECK(strstr(err, path) != NULL);
}

static void
test_no_overwrite(void)
{
	struct keys_identity a, b, back;

	next_path();
	CHECK_EQ_INT(keys_generate(&a), 0);
	CHECK_EQ_INT(keys_generate(&b), 0);
	CHECK_EQ_INT(keys_write(path, &a, "a"), 0);
	CHECK_EQ_INT(keys_write(path, &b, "b"), -EEXIST);
	CHECK_EQ_INT(keys_load_secret(path, &back, err, sizeof(err)), 0);
	CHECK(memcmp(back.pk, a.pk, KEYS_PK_BYTES) == 0);

	/* only the .pub is there: still refused, and no secret is left */
	next_path();
	put(pubpath, "something\n", 0644);
	CHECK_EQ_INT(keys_write(path, &b, "b"), -EEXIST);
	CHECK(access(path, F_OK) != 0);

	/* a comment that would break the one-line format */
	next_path();
	CHECK_EQ_INT(keys_write(path, &b, "two\nlines"), -EINVAL);
	CHECK(access(path, F_OK) != 0 && access(pubpath, F_OK) != 0);

	/* an unwritable directory: no stray files, an errno */
	snprintf(path, sizeof(path), "%s/no/such/dir/id", dir);
	CHECK_EQ_INT(keys_write(path, &b, "b"), -ENOENT);
}

struct pub_row {
	const char *suffix; /* after the "sextant-ed25519 KEY" */
	int rc;
	const char *comment; /* or the error substring */
};

static void
test_parse_public(void)
{
	static const char *k = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	struct keys_identity id;
	char line[KEYS_PUB_LINE_MAX], in[400], comment[32];
	uint8_t pk[KEYS_PK_BYTES];
	const struct pub_row rows[] = {
	    {"", 0, ""},
	    {"\n", 0, ""},
	    {" val-1", 0, "val-1"},
	    {" val-1\n", 0, "val-1"},
	    {" val-1\r\n", 0, "val-1"},
	    {"   two words  \n", 0, "two words"},
	    {"\tvalidator@eu-1", 0, "validator@eu-1"},
	    {" 0123456789012345678901234567890", 0,
	     "0123456789012345678901234567890"},
	    {" 01234567890123456789012345678901", -EINVAL, "longer than"},
	    {" a\x01", -EINVAL, "control"},
	    {" a\rb", -EINVAL, "carriage"},
	};
	size_t i;

	CHECK_EQ_INT(keys_generate(&id), 0);
	keys_format_public(id.pk, "node-a", line, sizeof(line));
	CHECKF(keys_parse_public(line, pk, comment, sizeof(comment), err,
	                         sizeof(err)) == 0,
	       "%s", err);
	CHECK(memcmp(pk, id.pk, KEYS_PK_BYTES) == 0);
	CHECK_EQ_STR(comment, "node-a");
	CHECK_EQ_INT(keys_parse_public(line, pk, NULL, 0, err, sizeof(err)), 0);

	/* a real key is needed for the rows: use id's */
	keys_format_public(id.pk, NULL, line, sizeof(line));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc;

		snprintf(in, sizeof(in), "%s%s", line, rows[i].suffix);
		err[0] = '\0';
		rc = keys_parse_public(in, pk, comment, sizeof(comment), err,
		                       sizeof(err));
		CHECKF(rc == rows[i].rc, "row %zu: rc %d (%s)", i, rc, err);
		if (rc == 0)
			CHECKF(strcmp(comment, rows[i].comment) == 0,
			       "row %zu: comment '%s'", i, comment);
		else
			CHECKF(strstr(err, rows[i].comment) != NULL,
			       "row %zu: err '%s'", i, err);
	}

	/* refusals quote the bad value */
	snprintf(in, sizeof(in), "ssh-ed25519 %s x", k);
	CHECK_EQ_INT(keys_parse_public(in, pk, NULL, 0, err, sizeof(err)),
	             -EINVAL);
	CHECK(strstr(err, "'ssh-ed25519'") != NULL);
	CHECK_EQ_INT(keys_parse_public("sextant-ed25519 not*base64 x", pk, NULL,
	                               0, err, sizeof(err)),
	             -EINVAL);
	CHECK(strstr(err, "'not*base64'") != NULL);
	CHECK_EQ_INT(
	    keys_parse_public("sextant-ed25519", pk, NULL, 0, err, sizeof(err)),
	    -EINVAL);
	CHECK(strstr(err, "missing") != NULL);
	CHECK_EQ_INT(keys_parse_public("", pk, NULL, 0, err, sizeof(err)),
	             -EINVAL);
	/* 31 bytes */
	CHECK_EQ_INT(keys_parse_public("sextant-ed25519 "
	                               "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaG"
	                               "xwdHg==",
	                               pk, NULL, 0, err, sizeof(err)),
	             -EINVAL);
	/* well-formed but of small order: X25519 could not use it */
	CHECK_EQ_INT(
	    keys_parse_public("sextant-ed25519 "
	                      "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	                      "AAA=",
	                      pk, NULL, 0, err, sizeof(err)),
	    -EINVAL);
	CHECK(strstr(err, "Ed25519") != NULL);
	keys_wipe(&id);
}

static void
test_load_public_errors(void)
{
	uint8_t pk[KEYS_PK_BYTES];

	next_path();
	put(pubpath, "sextant-ed25519 bogus\n", 0644);
	CHECK_EQ_INT(keys_load_public(pubpath, pk, NULL, 0, err, sizeof(err)),
	             -EINVAL);
	CHECKF(strncmp(err, pubpath, strlen(pubpath)) == 0 &&
	           strstr(err, ":1: ") != NULL,
	       "'%s' should start with '%s:1: '", err, pubpath);
	CHECK_EQ_INT(
	    keys_load_public("/nonexistent.pub", pk, NULL, 0, err, sizeof(err)),
	    -ENOENT);
	CHECK(strstr(err, "/nonexistent.pub") != NULL);
}

static void
test_fingerprint(void)
{
	struct keys_identity id;
	char line[KEYS_PUB_LINE_MAX], fp[32];

	CHECK_EQ_INT(keys_generate(&id), 0);
	keys_format_public(id.pk, NULL, line, sizeof(line));
	keys_fingerprint(id.pk, fp, sizeof(fp));
	CHECK_EQ_INT(strlen(fp), 11);
	CHECK(strncmp(line + 16, fp, 11) == 0);
	keys_fingerprint(id.pk, fp, 5);
	CHECK_EQ_INT(strlen(fp), 4);
	keys_wipe(&id);
}

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	snprintf(dir, sizeof(dir), "%s/keys_test.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);
	if (keys_init() != 0)
		return 1;
	RUN(test_roundtrip);
	RUN(test_file_format);
	RUN(test_group_readable_refused);
	RUN(test_bad_secret_files);
	RUN(test_no_overwrite);
	RUN(test_parse_public);
	RUN(test_load_public_errors);
	RUN(test_fingerprint);
	rc = TEST_END();
	cleanup();
	return rc;
}
