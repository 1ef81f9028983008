/*
 * keys.c: Ed25519 identities on disk (format in keys.h).
 *
 * The secret file holds the 32-byte seed, not libsodium's 64-byte sk: the
 * public half is derived again on load, so a file cannot pair a seed with
 * somebody else's public key.  Errors about a secret file never quote its
 * content.
 */
#include "common/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/fileio.h"
#include "common/util.h"

#define SECRET_TAG "sextant-ed25519-secret"
#define PUBLIC_TAG "sextant-ed25519"
#define KEY_B64    44 /* base64 of 32 bytes, padded */
#define FILE_MAX   4096

_Static_assert(KEYS_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(KEYS_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sk size");

int
keys_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int
keys_generate(struct keys_identity *id)
{
	if (keys_init() != 0)
		return -EIO;
	crypto_sign_keypair(id->pk, id->sk);
	return 0;
}

void
keys_wipe(struct keys_identity *id)
{
	if (id != NULL)
		sodium_memzero(id, sizeof(*id));
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A comment is one line of printable text: it ends up in logs and in the
 * authorized_pilots file, one entry per line. */
static bool
comment_ok(const char *c)
{
	for (; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/* Decode exactly KEY_B64 characters of padded base64 into 32 bytes. */
static int
key_from_b64(const char *s, size_t len, uint8_t out[32])
{
	size_t binlen = 0;
	const char *end = NULL;

	if (len != KEY_B64)
		return -EINVAL;
	if (sodium_base642bin(out, 32, s, len, NULL, &binlen, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen != 32 || end != s + len)
		return -EINVAL;
	return 0;
}

/*
 * Create path with buf, never replacing an existing file: a temp file is
 * written and fsynced, then link()ed to path, which fails with EEXIST
 * atomically where a rename would silently overwrite.
 */
static int
write_new(const char *path, const char *buf, size_t len, mode_t mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *p = buf;
	size_t left = len;
	int fd, dfd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	if (util_strcpy_checked(dir, path, sizeof(dir)) != 0)
		return -ENAMETOOLONG;
	if ((fd = mkstemp(tmp)) < 0)
		return -errno;
	if (fchmod(fd, mode) != 0)
		rc = -errno;
	while (rc == 0 && left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && link(tmp, path) != 0)
		rc = -errno;
	unlink(tmp);
	if (rc != 0)
		return rc;
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY)) < 0)
		return -errno;
	rc = fsync(dfd) != 0 ? -errno : 0;
	close(dfd);
	return rc;
}

int
keys_write(const char *path, const struct keys_identity *id,
           const char *comment)
{
	char pubpath[PATH_MAX], line[KEYS_PUB_LINE_MAX + 1];
	char secret[sizeof(SECRET_TAG) + KEY_B64 + 2];
	char b64[KEY_B64 + 1];
	struct stat st;
	size_t n;
	int rc;

	if (comment == NULL)
		comment = "";
	if (!comment_ok(comment))
		return -EINVAL;
	if ((size_t)snprintf(pubpath, sizeof(pubpath), "%s.pub", path) >=
	    sizeof(pubpath))
		return -ENAMETOOLONG;
	if (lstat(path, &st) == 0 || lstat(pubpath, &st) == 0)
		return -EEXIST;
	if (strlen(PUBLIC_TAG) + 1 + KEY_B64 + 1 + strlen(comment) >
	    KEYS_PUB_LINE_MAX - 1)
		return -ENAMETOOLONG;

	/* libsodium's sk is seed || pk: the seed is the first 32 bytes */
	sodium_bin2base64(b64, sizeof(b64), id->sk, 32,
	                  sodium_base64_VARIANT_ORIGINAL);
	n = (size_t)snprintf(secret, sizeof(secret), "%s %s\n", SECRET_TAG,
	                     b64);
	rc = write_new(path, secret, n, 0600);
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(secret, sizeof(secret));
	if (rc != 0)
		return rc;

	keys_format_public(id->pk, comment, line, sizeof(line) - 1);
	n = strlen(line);
	line[n++] = '\n';
	if ((rc = write_new(pubpath, line, n, 0644)) != 0) {
		/* no secret without its public half: we created it, remove */
		unlink(path);
		return rc;
	}
	return 0;
}

int
keys_load_secret(const char *path, struct keys_identity *id, char *err,
                 size_t errlen)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	char *buf = NULL, *p, *tok;
	size_t len = 0, toklen;
	int rc;

	memset(id, 0, sizeof(*id));
	if ((rc = keys_init()) != 0) {
		seterr(err, errlen, "%s: libsodium failed to initialise", path);
		return rc;
	}
	if ((rc = file_check_secrecy(path, err, errlen)) != 0)
		return rc;
	if ((rc = file_read_all(path, FILE_MAX, &buf, &len)) != 0) {
		if (rc == -EFBIG)
			seterr(err, errlen,
			       "%s: larger than %d bytes, not a key file", path,
			       FILE_MAX);
		else
			seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = -EINVAL;
	p = buf;
	if (strncmp(p, SECRET_TAG, strlen(SECRET_TAG)) != 0 ||
	    (strchr(" \t\r\n", p[strlen(SECRET_TAG)]) == NULL)) {
		seterr(err, errlen,
		       "%s:1: not a sextant secret key (expected '" SECRET_TAG
		       " BASE64'; made by 'sextant keygen')",
		       path);
		goto out;
	}
	p += strlen(SECRET_TAG);
	while (is_space(*p))
		p++;
	tok = p;
	while (*p != '\0' && !is_space(*p) && *p != '\n' && *p != '\r')
		p++;
	toklen = (size_t)(p - tok);
	if (key_from_b64(tok, toklen, seed) != 0) {
		seterr(err, errlen,
		       "%s:1: the key is not %d characters of base64 "
		       "encoding 32 bytes",
		       path, KEY_B64);
		goto out;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p != '\0') {
		seterr(err, errlen, "%s: unexpected data after the key", path);
		goto out;
	}
	if (crypto_sign_seed_keypair(id->pk, id->sk, seed) != 0) {
		seterr(err, errlen, "%s: cannot derive the key pair", path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(buf, len);
	free(buf);
	if (rc != 0)
		keys_wipe(id);
	return rc;
}

int
keys_parse_public(const char *line, uint8_t pk[KEYS_PK_BYTES], char *comment,
                  size_t commentcap, char *err, size_t errlen)
{
	uint8_t x[crypto_scalarmult_curve25519_BYTES], tmp[KEYS_PK_BYTES];
	const char *p = line, *tok, *end;
	size_t toklen, clen;

	if (comment != NULL && commentcap > 0)
		comment[0] = '\0';
	while (is_space(*p))
		p++;
	tok = p;
	while (*p != '\0' && !is_space(*p) && *p != '\n' && *p != '\r')
		p++;
	toklen = (size_t)(p - tok);
	if (toklen != strlen(PUBLIC_TAG) ||
	    strncmp(tok, PUBLIC_TAG, toklen) != 0) {
		seterr(err, errlen, "expected '" PUBLIC_TAG "', got '%.*s'",
		       (int)(toklen > 40 ? 40 : toklen), tok);
		return -EINVAL;
	}
	while (is_space(*p))
		p++;
	tok = p;
	while (*p != '\0' && !is_space(*p) && *p != '\n' && *p != '\r')
		p++;
	toklen = (size_t)(p - tok);
	if (toklen == 0) {
		seterr(err, errlen, "missing the key after '" PUBLIC_TAG "'");
		return -EINVAL;
	}
	if (key_from_b64(tok, toklen, tmp) != 0) {
		seterr(err, errlen,
		       "the key is not %d characters of base64 encoding 32 "
		       "bytes: '%.*s'",
		       KEY_B64, (int)(toklen > 60 ? 60 : toklen), tok);
		return -EINVAL;
	}
	/* refuse now what env_peer_init would refuse later, with a reason */
	if (keys_init() != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(x, tmp) != 0) {
		seterr(err, errlen, "not a usable Ed25519 public key: '%.*s'",
		       (int)toklen, tok);
		return -EINVAL;
	}
	while (is_space(*p))
		p++;
	end = p;
	while (*end != '\0' && *end != '\n' && *end != '\r')
		end++;
	if (*end == '\r' && end[1] != '\n' && end[1] != '\0') {
		seterr(err, errlen, "stray carriage return in the comment");
		return -EINVAL;
	}
	while (end > p && is_space(end[-1]))
		end--;
	clen = (size_t)(end - p);
	for (tok = p; tok < end; tok++)
		if ((unsigned char)*tok < 0x20 || *tok == 0x7f) {
			seterr(err, errlen, "control character in the comment");
			return -EINVAL;
		}
	if (comment != NULL) {
		if (clen >= commentcap) {
			seterr(err, errlen,
			       "comment longer than %zu bytes: '%.*s'",
			       commentcap ? commentcap - 1 : 0,
			       (int)(clen > 60 ? 60 : clen), p);
			return -EINVAL;
		}
		memcpy(comment, p, clen);
		comment[clen] = '\0';
	}
	memcpy(pk, tmp, KEYS_PK_BYTES);
	return 0;
}

int
keys_load_public(const char *path, uint8_t pk[KEYS_PK_BYTES], char *comment,
                 size_t commentcap, char *err, size_t errlen)
{
	char why[256];
	char *buf = NULL;
	int rc;

	if ((rc = file_read_all(path, FILE_MAX, &buf, NULL)) != 0) {
		if (rc == -EFBIG)
			seterr(
			    err, errlen,
			    "%s: larger than %d bytes, not a public key file",
			    path, FILE_MAX);
		else
			seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = keys_parse_public(buf, pk, comment, commentcap, why, sizeof(why));
	if (rc != 0)
		seterr(err, errlen, "%s:1: %s", path, why);
	free(buf);
	return rc;
}

char *
keys_format_public(const uint8_t pk[KEYS_PK_BYTES], const char *comment,
                   char *out, size_t cap)
{
	char b64[KEY_B64 + 1];

	sodium_bin2base64(b64, sizeof(b64), pk, KEYS_PK_BYTES,
	                  sodium_base64_VARIANT_ORIGINAL);
	if (cap > 0)
		snprintf(out, cap, "%s %s%s%s", PUBLIC_TAG, b64,
		         comment != NULL && comment[0] ? " " : "",
		         comment != NULL ? comment : "");
	return out;
}

char *
keys_fingerprint(const uint8_t pk[KEYS_PK_BYTES], char *out, size_t cap)
{
	char b64[KEY_B64 + 1];

	/* a prefix of the key as the .pub file spells it, so it greps */
	sodium_bin2base64(b64, sizeof(b64), pk, KEYS_PK_BYTES,
	                  sodium_base64_VARIANT_ORIGINAL);
	b64[11] = '\0';
	if (cap > 0)
		util_strlcpy(out, b64, cap);
	return out;
}

void
keys_hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
                     size_t len, char out[65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 65, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}
