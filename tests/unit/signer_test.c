/* signer_test: the sign-state file (parse, raise), the lease deadline file,
 * and the keyswap and command signer backends against real files and
 * programs. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "pilot/signer.h"
#include "pilot/signstate.h"
#include "tests/test.h"

static char dir[] = "/tmp/sxt-signer-XXXXXX";

static const char *
path(const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
test_parse_rows(void)
{
	static const struct {
		const char *json;
		int ok;
		uint64_t h;
		int r, s;
	} rows[] = {
	    {"{\"height\":\"36\",\"round\":0,\"step\":3,\"signature\":"
	     "\"N8==\",\"signbytes\":\"76\"}",
	     1, 36, 0, 3},
	    {"{\"height\":\"0\",\"round\":0,\"step\":0}", 1, 0, 0, 0},
	    {"{\"height\":\"9223372036854775807\",\"round\":2,\"step\":1}", 1,
	     9223372036854775807ull, 2, 1},
	    {"{\"height\":36,\"round\":0,\"step\":3}", 0, 0, 0, 0},
	    {"{\"height\":\"-1\",\"round\":0,\"step\":3}", 0, 0, 0, 0},
	    {"{\"height\":\"36\",\"round\":-1,\"step\":3}", 0, 0, 0, 0},
	    {"{\"height\":\"36\",\"round\":0,\"step\":4}", 0, 0, 0, 0},
	    {"{\"height\":\"36\",\"round\":0.5,\"step\":1}", 0, 0, 0, 0},
	    {"{\"height\":\"36\",\"step\":1}", 0, 0, 0, 0},
	    {"{\"height\":\"99999999999999999999\",\"round\":0,\"step\":1}", 0,
	     0, 0, 0},
	    {"[]", 0, 0, 0, 0},
	    {"{\"height\":\"36\",\"round\":0,\"st", 0, 0, 0, 0},
	    {"", 0, 0, 0, 0},
	};
	char err[128];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct proto_sign_state st;
		int rc = signstate_parse(rows[i].json, strlen(rows[i].json),
		                         &st, err, sizeof(err));

		CHECKF((rc == 0) == rows[i].ok, "row %zu: rc %d (%s)", i, rc,
		       err);
		if (rows[i].ok)
			CHECKF(st.height == rows[i].h &&
			           st.round == rows[i].r &&
			           st.step == rows[i].s,
			       "row %zu values", i);
	}
}

static void
test_raise(void)
{
	struct proto_sign_state floor = {.height = 100, .round = 1, .step = 2},
	                        now;
	char err[128];
	const char *p = path("priv_validator_state.json");

	/* missing: written at the floor */
	CHECK(signstate_raise(p, &floor, &now, err, sizeof(err)) == 0);
	CHECK(now.height == 100 && now.round == 1 && now.step == 2);
	CHECK(signstate_read(p, &now, err, sizeof(err)) == 0);
	CHECK(now.height == 100 && now.step == 2);
	/* higher local state stays */
	floor.height = 90;
	CHECK(signstate_raise(p, &floor, &now, err, sizeof(err)) == 0);
	CHECK(now.height == 100);
	/* same height, later step raises */
	floor.height = 100;
	floor.step = 3;
	CHECK(signstate_raise(p, &floor, &now, err, sizeof(err)) == 0);
	CHECK(now.step == 3);
	/* corrupt: refuse, and leave the file alone */
	CHECK(file_write_atomic(p, "{garbage", 8, 0600) == 0);
	floor.height = 500;
	CHECK(signstate_raise(p, &floor, &now, err, sizeof(err)) == -EBADMSG);
	CHECK(strstr(err, p) != NULL);
	char *buf;
	size_t len;
	CHECK(file_read_all(p, 100, &buf, &len) == 0 &&
	      strcmp(buf, "{garbage") == 0);
	free(buf);
}

static void
test_lease_file(void)
{
	char err[128], *buf;
	uint64_t e, x;
	size_t len;

	CHECK(signstate_write_lease(path("lease"), 7, 123456789, err,
	                            sizeof(err)) == 0);
	CHECK(file_read_all(path("lease"), 100, &buf, &len) == 0);
	CHECK(signstate_parse_lease(buf, &e, &x) == 0 && e == 7 &&
	      x == 123456789);
	free(buf);
	CHECK(signstate_parse_lease("epoch=1 expires_mono_ms=", &e, &x) ==
	      -EBADMSG);
	CHECK(signstate_parse_lease("epoch=1 expires_mono_ms=5 junk", &e, &x) ==
	      -EBADMSG);
	CHECK(signstate_parse_lease("", &e, &x) == -EBADMSG);
}

static void
test_keyswap(void)
{
	struct signer_conf c = {.backend = "keyswap"};
	const struct signer_ops *ops = signer_ops_for("keyswap");
	char err[256];
	bool armed = true;
	struct stat st;

	snprintf(c.key_src, sizeof(c.key_src), "%s", path("consensus.json"));
	snprintf(c.key_dst, sizeof(c.key_dst), "%s", path("node_key.json"));
	CHECK(file_write_atomic(c.key_src, "SECRET", 6, 0600) == 0);
	CHECK(signer_check(&c, err, sizeof(err)) == 0);
	CHECK(ops->armed(&c, &armed, err, sizeof(err)) == 0 && !armed);
	CHECK(ops->promote(&c, err, sizeof(err)) == 0);
	CHECK(stat(c.key_dst, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(ops->armed(&c, &armed, err, sizeof(err)) == 0 && armed);
	CHECK(ops->demote(&c, err, sizeof(err)) == 0);
	CHECK(access(c.key_dst, F_OK) != 0);
	CHECK(ops->demote(&c, err, sizeof(err)) == 0); /* idempotent */
	/* a standby (non-validator) key instead of nothing */
	snprintf(c.standby_key, sizeof(c.standby_key), "%s",
	         path("standby.json"));
	CHECK(file_write_atomic(c.standby_key, "STANDBY", 7, 0600) == 0);
	CHECK(ops->promote(&c, err, sizeof(err)) == 0);
	CHECK(ops->demote(&c, err, sizeof(err)) == 0);
	CHECK(ops->armed(&c, &armed, err, sizeof(err)) == 0 && !armed);
	/* a key others can read is refused, and not copied */
	chmod(c.key_src, 0644);
	CHECK(signer_check(&c, err, sizeof(err)) != 0);
	CHECK(strstr(err, "chmod 600") != NULL);
	CHECK(ops->promote(&c, err, sizeof(err)) != 0);
	CHECK(ops->armed(&c, &armed, err, sizeof(err)) == 0 && !armed);
	/* same file twice is a config error */
	snprintf(c.key_dst, sizeof(c.key_dst), "%s", c.key_src);
	CHECK(signer_check(&c, err, sizeof(err)) == -EINVAL);
}

static void
test_command(void)
{
	struct signer_conf c = {.backend = "command", .cmd_timeout_ms = 2000};
	const struct signer_ops *ops = signer_ops_for("command");
	char err[256];

	CHECK(signer_check(&c, err, sizeof(err)) == -EINVAL);
	snprintf(c.promote_cmd, sizeof(c.promote_cmd), "/bin/true promote");
	snprintf(c.demote_cmd, sizeof(c.demote_cmd), "/bin/false");
	CHECK(signer_check(&c, err, sizeof(err)) == 0);
	CHECK(ops->promote(&c, err, sizeof(err)) == 0);
	CHECK(ops->demote(&c, err, sizeof(err)) == -EIO);
	CHECK(strstr(err, "exited with status 1") != NULL);
	snprintf(c.promote_cmd, sizeof(c.promote_cmd), "/bin/sleep 5");
	c.cmd_timeout_ms = 200;
	CHECK(ops->promote(&c, err, sizeof(err)) == -ETIMEDOUT);
	snprintf(c.promote_cmd, sizeof(c.promote_cmd), "/nonexistent/x");
	CHECK(ops->promote(&c, err, sizeof(err)) != 0);
	CHECK(signer_ops_for("hsm") == NULL);
}

int
main(void)
{
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_parse_rows);
	RUN(test_raise);
	RUN(test_lease_file);
	RUN(test_keyswap);
	RUN(test_command);
	rc = TEST_END();
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
