#include "pilot/signer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/util.h"
#include "pilot/supervise.h"

/* Copy src to dst atomically with 0600, refusing a src others can read. */
static int
copy_key(const char *src, const char *dst, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = file_check_secrecy(src, err, errlen)) != 0)
		return rc;
	if ((rc = file_read_all(src, SIGNER_KEY_MAX, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", src, strerror(-rc));
		return rc;
	}
	rc = file_write_atomic(dst, buf, len, 0600);
	/* the key was in our memory only to be copied */
	explicit_bzero(buf, len);
	free(buf);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", dst, strerror(-rc));
	return rc;
}

static int
keyswap_promote(const struct signer_conf *c, char *err, size_t errlen)
{
	return copy_key(c->key_src, c->key_dst, err, errlen);
}

static int
keyswap_demote(const struct signer_conf *c, char *err, size_t errlen)
{
	if (c->standby_key[0])
		return copy_key(c->standby_key, c->key_dst, err, errlen);
	if (unlink(c->key_dst) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", c->key_dst, strerror(errno));
		return -errno;
	}
	return 0;
}

static int
keyswap_armed(const struct signer_conf *c, bool *armed, char *err,
              size_t errlen)
{
	char *a = NULL, *b = NULL;
	size_t la, lb;
	int rc;

	rc = file_read_all(c->key_dst, SIGNER_KEY_MAX, &b, &lb);
	if (rc == -ENOENT) {
		*armed = false;
		return 0;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", c->key_dst, strerror(-rc));
		return rc;
	}
	if ((rc = file_read_all(c->key_src, SIGNER_KEY_MAX, &a, &la)) != 0) {
		snprintf(err, errlen, "%s: %s", c->key_src, strerror(-rc));
		explicit_bzero(b, lb);
		free(b);
		return rc;
	}
	*armed = la == lb && memcmp(a, b, la) == 0;
	explicit_bzero(a, la);
	explicit_bzero(b, lb);
	free(a);
	free(b);
	return 0;
}

/* Run "prog arg ..." split on blanks (no shell, so no quoting). */
static int
run_cmd(const char *cmdline, uint32_t timeout_ms, char *err, size_t errlen)
{
	char buf[512], *argv[32], *save = NULL, *tok, text[256] = "";
	char *out = NULL;
	size_t n = 0, outlen;
	int status = 0, rc;

	if (util_strcpy_checked(buf, cmdline, sizeof(buf)) != 0)
		return -ENAMETOOLONG;
	for (tok = strtok_r(buf, " \t", &save); tok && n < 31;
	     tok = strtok_r(NULL, " \t", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if (n == 0) {
		snprintf(err, errlen, "empty command");
		return -EINVAL;
	}
	rc = supervise_run((const char *const *)argv,
	                   timeout_ms ? timeout_ms : 30000, 4096, &out, &outlen,
	                   &status, text, sizeof(text));
	free(out);
	if (rc == -ETIMEDOUT) {
		snprintf(err, errlen, "%s: timed out after %u ms", argv[0],
		         timeout_ms);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", argv[0],
		         text[0] ? text : strerror(-rc));
		return rc;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s: %s %d%s%s", argv[0],
		         WIFEXITED(status) ? "exited with status"
		                           : "killed by signal",
		         WIFEXITED(status) ? WEXITSTATUS(status)
		                           : WTERMSIG(status),
		         text[0] ? ": " : "", text);
		return -EIO;
	}
	return 0;
}

static int
command_promote(const struct signer_conf *c, char *err, size_t errlen)
{
	return run_cmd(c->promote_cmd, c->cmd_timeout_ms, err, errlen);
}

static int
command_demote(const struct signer_conf *c, char *err, size_t errlen)
{
	return run_cmd(c->demote_cmd, c->cmd_timeout_ms, err, errlen);
}

static int
command_armed(const struct signer_conf *c, bool *armed, char *err,
              size_t errlen)
{
	(void)c;
	(void)armed;
	(void)err;
	(void)errlen;
	return -ENOTSUP;
}

const struct signer_ops signer_keyswap_ops = {
    .name = "keyswap",
    .promote = keyswap_promote,
    .demote = keyswap_demote,
    .armed = keyswap_armed,
};

const struct signer_ops signer_command_ops = {
    .name = "command",
    .promote = command_promote,
    .demote = command_demote,
    .armed = command_armed,
};

const struct signer_ops *
signer_ops_for(const char *name)
{
	static const struct signer_ops *const all[] = {&signer_keyswap_ops,
	                                               &signer_command_ops};

	for (size_t i = 0; i < UTIL_NELEM(all); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

int
signer_check(const struct signer_conf *c, char *err, size_t errlen)
{
	const struct signer_ops *ops = signer_ops_for(c->backend);

	if (ops == NULL) {
		snprintf(err, errlen, "signer '%s': not keyswap or command",
		         c->backend);
		return -EINVAL;
	}
	if (ops == &signer_keyswap_ops) {
		if (!c->key_src[0] || !c->key_dst[0]) {
			snprintf(err, errlen,
			         "keyswap needs key_source and key_target");
			return -EINVAL;
		}
		if (strcmp(c->key_src, c->key_dst) == 0) {
			snprintf(err, errlen,
			         "key_source and key_target are "
			         "the same file '%s'",
			         c->key_src);
			return -EINVAL;
		}
		if (file_check_secrecy(c->key_src, err, errlen) != 0)
			return -EINVAL;
	} else if (!c->promote_cmd[0] || !c->demote_cmd[0]) {
		snprintf(err, errlen,
		         "command signer needs promote_command "
		         "and demote_command");
		return -EINVAL;
	}
	return 0;
}
