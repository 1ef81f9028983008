/*
 * sign.c: the simulated validator.  It signs a height only while its key
 * file is in place and only above every height in its sign state file
 * (CometBFT's priv_validator_state.json), which it rewrites atomically
 * before the signature counts; then it appends the signature to the
 * journal that every simnode of a test shares, one write() under flock().
 */
#include "tests/simnode/simnode.h"
#include "tests/simnode/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE 65536

/* Read a small file whole (NUL-terminated).  0, 1 when it does not exist,
 * -1 on any other failure (errno set). */
static int
read_small(const char *path, char *buf, size_t size, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == size - 1) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return 0;
}

void
sn_node_id(const char *name, char out[41])
{
	char buf[160];
	uint8_t h[32];

	snprintf(buf, sizeof(buf), "node|%s", name);
	sn_sha256(buf, strlen(buf), h);
	sn_hex(h, 20, false, out);
}

static void
derived_identity(void)
{
	char buf[160];
	uint8_t h[32];

	snprintf(buf, sizeof(buf), "nonvalidator|%s", sn.name);
	sn_sha256(buf, strlen(buf), h);
	sn_hex(h, 20, true, sn.address);
	sn_base64(h, 32, sn.pubkey);
}

/* Parse a priv_validator_key.json: the address is what the node signs as.
 * Returns NULL or a reason. */
static const char *
parse_key(const char *text, size_t len, char addr[41], char pub[64])
{
	struct sn_json root, v, pk;
	char tmp[64];

	if (sn_json_parse(text, len, &root) < 0)
		return "not JSON";
	if (!sn_json_member(root, "address", &v) ||
	    sn_json_str(v, tmp, sizeof(tmp)) < 0 || strlen(tmp) != 40)
		return "no 40-hex-digit \"address\"";
	for (int i = 0; i < 40; i++) {
		char c = tmp[i];
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return "\"address\" is not hex";
		addr[i] = c;
	}
	addr[40] = '\0';
	pub[0] = '\0';
	if (sn_json_member(root, "pub_key", &pk) &&
	    sn_json_member(pk, "value", &v))
		sn_json_str(v, pub, 64);
	return NULL;
}

static bool
in_validator_set(const char *addr)
{
	const char *p = sn.validator_set;

	if (p == NULL)
		return true;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n == 40 && strncasecmp(p, addr, 40) == 0)
			return true;
		p += n;
		p += strspn(p, ", ");
	}
	return false;
}

void
sn_sign_refresh(void)
{
	static int last = -2; /* last outcome logged: 0 ok, 1 absent, -1 bad */
	static char last_addr[41];
	char *text, addr[41], pub[64];
	const char *why = NULL;
	size_t len = 0;
	int rc;

	if (sn.key_path == NULL) {
		if (sn.address[0] == '\0')
			derived_identity();
		return;
	}
	text = malloc(MAX_FILE);
	if (text == NULL)
		return;
	rc = read_small(sn.key_path, text, MAX_FILE, &len);
	if (rc == 0 && (why = parse_key(text, len, addr, pub)) != NULL)
		rc = -1;
	else if (rc < 0)
		why = strerror(errno);
	free(text);

	if (rc == 0) {
		sn.key_present = true;
		sn.in_set = in_validator_set(addr);
		memcpy(sn.address, addr, sizeof(addr));
		if (pub[0] != '\0')
			memcpy(sn.pubkey, pub, sizeof(pub));
		if (last != 0 || strcmp(last_addr, addr) != 0)
			sn_log_sub("INFO", "simnode",
			           "validator key %s present (address %s): %s",
			           sn.key_path, addr,
			           sn.in_set ? "signing enabled"
			                     : "not in the validator set, "
			                       "not signing");
		memcpy(last_addr, addr, sizeof(addr));
	} else {
		sn.key_present = false;
		sn.in_set = false;
		derived_identity();
		if (rc != last)
			sn_log_sub("WARN", "simnode",
			           "validator key %s %s%s: signing disabled",
			           sn.key_path,
			           rc > 0 ? "absent" : "unusable: ",
			           rc > 0 ? "" : why);
	}
	last = rc;
}

/* The height in the sign state file: 0 with *h set, 1 if there is no
 * file, -1 with why set if it cannot be trusted. */
static int
read_state(uint64_t *h, const char **why)
{
	char text[4096];
	struct sn_json root, v;
	size_t len;
	int rc = read_small(sn.state_path, text, sizeof(text), &len);

	if (rc != 0) {
		*why = strerror(errno);
		return rc;
	}
	if (sn_json_parse(text, len, &root) < 0 ||
	    sn_json_type(root) != SN_J_OBJ) {
		*why = "not a JSON object";
		return -1;
	}
	if (!sn_json_member(root, "height", &v) ||
	    sn_json_u64(v, false, h) < 0) {
		*why = "no integer \"height\"";
		return -1;
	}
	return 0;
}

static int
write_state(uint64_t h, const char *sig, const char *signbytes)
{
	char tmp[4096], dir[4096], body[512];
	int fd, n;

	n = snprintf(body, sizeof(body),
	             "{\n  \"height\": \"%" PRIu64 "\",\n  \"round\": 0,\n"
	             "  \"step\": 3,\n  \"signature\": \"%s\",\n"
	             "  \"signbytes\": \"%s\"\n}",
	             h, sig, signbytes);
	if (snprintf(tmp, sizeof(tmp), "%s.simnode-tmp", sn.state_path) >=
	    (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, body, (size_t)n) != n || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, sn.state_path) < 0) {
		unlink(tmp);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", sn.state_path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* The pilot's lease file ("epoch=E expires_mono_ms=X", X on the shared
 * CLOCK_MONOTONIC): signing is allowed only before X.  Absent, unreadable,
 * revoked (X = 0) or expired: refused, with why set. */
static int
lease_valid(uint64_t *epoch, const char **why)
{
	static char reason[128];
	unsigned long long e, x;
	char buf[256];
	size_t len;
	int used = 0, rc;

	rc = read_small(sn.lease_path, buf, sizeof(buf), &len);
	if (rc != 0) {
		*why = rc > 0 ? "absent" : strerror(errno);
		return -1;
	}
	if (sscanf(buf, "epoch=%llu expires_mono_ms=%llu%n", &e, &x, &used) !=
	        2 ||
	    (buf[used] != '\n' && buf[used] != '\0')) {
		*why = "unreadable";
		return -1;
	}
	*epoch = e;
	if (x == 0) {
		snprintf(reason, sizeof(reason), "epoch %llu revoked", e);
		*why = reason;
		return -1;
	}
	if (x <= sn_mono_ms()) {
		snprintf(reason, sizeof(reason), "epoch %llu expired", e);
		*why = reason;
		return -1;
	}
	return 0;
}

/* Log a lease refusal only when its reason changes: it repeats every
 * block while the node is a standby. */
static void
lease_note(const char *why)
{
	static char last[160] = "-";

	if (strcmp(last, why ? why : "") == 0)
		return;
	snprintf(last, sizeof(last), "%s", why ? why : "");
	if (why == NULL)
		sn_log_sub("INFO", "simnode", "lease %s valid: signing allowed",
		           sn.lease_path);
	else
		sn_log_sub("WARN", "simnode", "lease %s %s: not signing",
		           sn.lease_path, why);
}

static int
journal_append(uint64_t h, uint64_t wall)
{
	char line[256], node[64];
	int fd, n, rc = 0;

	/* A name with blanks would break the one-line-one-signature format. */
	snprintf(node, sizeof(node), "%s", sn.name);
	for (char *p = node; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			*p = '_';
	/* With a lease, its epoch is a 7th field (readers skip extras). */
	if (sn.lease_path != NULL)
		n = snprintf(line, sizeof(line),
		             "%" PRIu64 " 0 3 %s %s %" PRIu64 " %" PRIu64 "\n",
		             h, sn.address, node, wall, sn.lease_epoch);
	else
		n = snprintf(line, sizeof(line),
		             "%" PRIu64 " 0 3 %s %s %" PRIu64 "\n", h,
		             sn.address, node, wall);
	fd = open(sn.journal_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	          0644);
	if (fd < 0)
		return -1;
	/* O_APPEND makes each write land at the end; the lock keeps
	 * readers from seeing a line half written. */
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	if (write(fd, line, (size_t)n) != n)
		rc = -1;
	flock(fd, LOCK_UN);
	close(fd);
	return rc;
}

void
sn_sign_height(uint64_t h)
{
	uint64_t wm = sn.signed_height, st = 0, wall = sn_wall_ms();
	const char *why = NULL;
	char in[128], sig[96], sb[65], full[65];
	uint8_t d[64];

	sn_sign_refresh();
	if (!sn.key_present || !sn.in_set)
		return;
	if (sn.lease_path != NULL) {
		int rc = lease_valid(&sn.lease_epoch, &why);
		lease_note(rc < 0 ? why : NULL);
		if (rc < 0) {
			sn.refusals++;
			return;
		}
		why = NULL;
	}
	if (sn.state_path != NULL) {
		int rc = read_state(&st, &why);
		if (rc < 0) {
			sn.refusals++;
			sn_log_sub("WARN", "simnode",
			           "refusing to sign #%" PRIu64
			           ": sign state %s: %s",
			           h, sn.state_path, why);
			return;
		}
		if (rc == 0 && st > wm)
			wm = st;
	}
	if (h <= wm) {
		sn.refusals++;
		sn_log_sub("WARN", "simnode",
		           "refusing to sign #%" PRIu64
		           ": at or below sign state height %" PRIu64,
		           h, wm);
		return;
	}
	snprintf(in, sizeof(in), "sig|%s|%" PRIu64, sn.address, h);
	sn_sha256(in, strlen(in), d);
	sn_sha256(d, 32, d + 32);
	sn_base64(d, 64, sig);
	snprintf(in, sizeof(in), "vote|%s|%" PRIu64, sn.network, h);
	sn_sha256(in, strlen(in), d);
	sn_hex(d, 32, true, sb);
	if (sn.state_path != NULL && write_state(h, sig, sb) < 0) {
		sn.refusals++;
		sn_log_sub("WARN", "simnode",
		           "refusing to sign #%" PRIu64
		           ": cannot write sign state %s: %s",
		           h, sn.state_path, strerror(errno));
		return;
	}
	/* The state write may have taken a while (fsync): a lease-aware
	 * signer checks the deadline again before it lets the vote out. */
	if (sn.lease_path != NULL && lease_valid(&sn.lease_epoch, &why) < 0) {
		lease_note(why);
		sn.refusals++;
		return;
	}
	if (sn.journal_path != NULL && journal_append(h, wall) < 0)
		sn_log_sub("WARN", "simnode",
		           "signed #%" PRIu64 " but journal %s: %s", h,
		           sn.journal_path, strerror(errno));
	sn.signed_height = h;
	sn.signatures++;
	sn_block_hash_hex(h, false, full);
	sn_block_hash_hex(h > 0 ? h - 1 : 0, false, sb);
	sn_log_sub("INFO", "sc_basic_authorship::basic_authorship",
	           "\xf0\x9f\x8e\x81 Prepared block for proposing at %" PRIu64
	           " (0 ms) [hash: 0x%s; parent_hash: 0x%.4s\xe2\x80\xa6%s; "
	           "extrinsics (1): [0x%.4s\xe2\x80\xa6%s]]",
	           h, full, sb, sb + 60, sb + 4, sb + 60);
}

size_t
sn_journal_signers(uint64_t h, struct sn_sig *out, size_t max)
{
	FILE *f;
	char line[512];
	size_t n = 0;

	if (sn.journal_path == NULL || max == 0)
		return 0;
	f = fopen(sn.journal_path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		uint64_t lh, wall;
		int round, step;
		char addr[41], node[64];
		bool dup = false;

		if (sscanf(line, "%" SCNu64 " %d %d %40s %63s %" SCNu64, &lh,
		           &round, &step, addr, node, &wall) != 6 ||
		    lh != h)
			continue;
		for (size_t i = 0; i < n; i++)
			if (strcmp(out[i].address, addr) == 0)
				dup = true;
		if (dup)
			continue;
		memcpy(out[n].address, addr, sizeof(addr));
		memcpy(out[n].node, node, sizeof(node));
		out[n].wall_ms = wall;
		if (++n == max)
			break;
	}
	fclose(f);
	return n;
}
