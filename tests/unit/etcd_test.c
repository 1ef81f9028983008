/*
 * etcd_test: the bounded parsers of the etcd v3 JSON gateway's replies
 * (commander/etcd.h), with replies captured from etcd 3.4 and malformed,
 * truncated, oversized and hostile ones; and the request helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commander/etcd.h"
#include "tests/test.h"

#define S(x) x, strlen(x)

/* captured from etcd 3.4.23 */
static const char grant_ok[] =
    "{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":"
    "\"13668033151171901709\",\"revision\":\"1\",\"raft_term\":\"2\"},"
    "\"ID\":\"4111120160691128581\",\"TTL\":\"2\"}";
static const char ka_ok[] =
    "{\"result\":{\"header\":{\"cluster_id\":\"15118495548433857066\","
    "\"member_id\":\"13668033151171901709\",\"revision\":\"1\","
    "\"raft_term\":\"2\"},\"ID\":\"4111120160691128583\",\"TTL\":\"2\"}}\n";
static const char ka_gone[] =
    "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\","
    "\"revision\":\"1\",\"raft_term\":\"2\"},\"ID\":\"12345\"}}";
static const char txn_won[] =
    "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":"
    "\"2\",\"raft_term\":\"2\"},\"succeeded\":true,\"responses\":[{"
    "\"response_put\":{\"header\":{\"revision\":\"2\"}}}]}";
static const char txn_lost[] =
    "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":"
    "\"2\",\"raft_term\":\"2\"},\"responses\":[{\"response_range\":{"
    "\"header\":{\"revision\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\","
    "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\","
    "\"value\":\"YmFy\",\"lease\":\"7\"}],\"count\":\"1\"}}]}";
static const char range_empty[] =
    "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":"
    "\"3\",\"raft_term\":\"2\"}}";

static void
grant(void)
{
	int64_t id, ttl;

	CHECK_EQ_INT(etcd_parse_grant(S(grant_ok), &id, &ttl), 0);
	CHECK(id == 4111120160691128581LL);
	CHECK_EQ_INT(ttl, 2);
	/* numbers, not strings: accepted when exact */
	CHECK_EQ_INT(etcd_parse_grant(S("{\"ID\":7,\"TTL\":5}"), &id, &ttl), 0);
	CHECK(id == 7 && ttl == 5);
	/* an error field, a zero id, no TTL */
	CHECK_EQ_INT(etcd_parse_grant(S("{\"ID\":\"7\",\"TTL\":\"5\","
	                                "\"error\":\"too many\"}"),
	                              &id, &ttl),
	             -EINVAL);
	CHECK(id == 0 && ttl == 0);
	CHECK_EQ_INT(etcd_parse_grant(S("{\"TTL\":\"5\"}"), &id, &ttl),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_grant(S("{\"ID\":\"7\"}"), &id, &ttl), -EINVAL);
	CHECK_EQ_INT(
	    etcd_parse_grant(S("{\"ID\":\"7\",\"TTL\":\"-1\"}"), &id, &ttl),
	    -EINVAL);
}

static void
keepalive(void)
{
	int64_t id, ttl;

	CHECK_EQ_INT(etcd_parse_keepalive(S(ka_ok), &id, &ttl), 0);
	CHECK(id == 4111120160691128583LL && ttl == 2);
	/* TTL omitted: the lease is gone */
	CHECK_EQ_INT(etcd_parse_keepalive(S(ka_gone), &id, &ttl), 0);
	CHECK(id == 12345 && ttl == 0);
	CHECK_EQ_INT(
	    etcd_parse_keepalive(
	        S("{\"result\":{\"ID\":\"1\",\"TTL\":\"-1\"}}"), &id, &ttl),
	    0);
	CHECK_EQ_INT(ttl, 0);
	/* a stream: only the first line counts, the rest may be cut */
	CHECK_EQ_INT(
	    etcd_parse_keepalive(
	        S("{\"result\":{\"ID\":\"1\",\"TTL\":\"9\"}}\n{\"resu"), &id,
	        &ttl),
	    0);
	CHECK(id == 1 && ttl == 9);
	/* unwrapped (a gateway that does not wrap) */
	CHECK_EQ_INT(
	    etcd_parse_keepalive(S("{\"ID\":\"1\",\"TTL\":\"9\"}"), &id, &ttl),
	    0);
	CHECK_EQ_INT(ttl, 9);
	CHECK_EQ_INT(etcd_parse_keepalive(
	                 S("{\"error\":{\"grpc_code\":5,\"message\":\"x\"}}"),
	                 &id, &ttl),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_keepalive(S("{\"result\":[1]}"), &id, &ttl),
	             -EINVAL);
	CHECK_EQ_INT(
	    etcd_parse_keepalive(S("{\"result\":{\"TTL\":true}}"), &id, &ttl),
	    -EINVAL);
	CHECK(id == 0 && ttl == 0);
}

static void
txn(void)
{
	struct etcd_kv kv;
	bool ok, have;
	int64_t rev;

	CHECK_EQ_INT(etcd_parse_txn(S(txn_won), &ok, &rev, &kv, &have), 0);
	CHECK(ok && rev == 2 && !have);
	/* a failed txn has no "succeeded" */
	CHECK_EQ_INT(etcd_parse_txn(S(txn_lost), &ok, &rev, &kv, &have), 0);
	CHECK(!ok && rev == 2 && have);
	CHECK_EQ_STR(kv.key, "foo");
	CHECK(kv.vlen == 3 && memcmp(kv.value, "bar", 3) == 0);
	CHECK(kv.create_rev == 2 && kv.mod_rev == 2 && kv.version == 1 &&
	      kv.lease == 7);
	/* the holder's key is gone by the time of the range */
	CHECK_EQ_INT(etcd_parse_txn(S("{\"responses\":[{\"response_range\":"
	                              "{\"header\":{}}}]}"),
	                            &ok, &rev, &kv, &have),
	             0);
	CHECK(!ok && !have);
	CHECK_EQ_INT(
	    etcd_parse_txn(S("{\"succeeded\":\"yes\"}"), &ok, &rev, &kv, &have),
	    -EINVAL);
	CHECK_EQ_INT(etcd_parse_txn(S("{\"succeeded\":true,\"responses\":{}}"),
	                            &ok, &rev, &kv, &have),
	             -EINVAL);
	CHECK(!ok); /* a refusal is never a success */
	/* two kvs for one key asked */
	CHECK_EQ_INT(
	    etcd_parse_txn(S("{\"responses\":[{\"response_range\":{\"kvs\":["
	                     "{\"key\":\"YQ==\"},{\"key\":\"Yg==\"}]}}]}"),
	                   &ok, &rev, &kv, &have),
	    -EMSGSIZE);
	CHECK(!have);
}

static void
range(void)
{
	struct etcd_kv kvs[2];
	int64_t rev;
	size_t n;

	CHECK_EQ_INT(etcd_parse_range(S(range_empty), kvs, 2, &n, &rev), 0);
	CHECK(n == 0 && rev == 3);
	CHECK_EQ_INT(etcd_parse_range(S("{\"kvs\":[{\"key\":\"YQ==\",\"value\":"
	                                "\"eA==\"},{\"key\":\"Yg==\"}]}"),
	                              kvs, 2, &n, &rev),
	             0);
	CHECK(n == 2 && strcmp(kvs[0].key, "a") == 0 &&
	      strcmp(kvs[1].key, "b") == 0 && kvs[1].vlen == 0);
	/* more than room for */
	CHECK_EQ_INT(etcd_parse_range(
	                 S("{\"kvs\":[{\"key\":\"YQ==\"},{\"key\":\"Yg==\"},"
	                   "{\"key\":\"Yw==\"}]}"),
	                 kvs, 2, &n, &rev),
	             -EMSGSIZE);
	CHECK(n == 0);
	CHECK_EQ_INT(etcd_parse_header(S(range_empty), &rev), 0);
	CHECK_EQ_INT(rev, 3);
}

/* Malformed, truncated, hostile: refused, never half-read. */
static void
hostile(void)
{
	static const char *bad[] = {
	    "",
	    "null",
	    "[]",
	    "\"x\"",
	    "{",
	    "{\"kvs\":",
	    "{\"kvs\":{}}",
	    "{\"kvs\":[1]}",
	    "{\"kvs\":[{}]}",                 /* no key */
	    "{\"kvs\":[{\"key\":\"!!!!\"}]}", /* not base64 */
	    "{\"kvs\":[{\"key\":\"YQBi\"}]}", /* "a\0b" */
	    "{\"kvs\":[{\"key\":7}]}",        /* not a string */
	    "{\"kvs\":[{\"key\":\"YQ==\",\"version\":\"-1\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"1e3\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"lease\":\"99999999999999999999\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"lease\":1.5}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"lease\":1e300}]}",
	    "{\"header\":[]}",
	    "{\"header\":{\"revision\":{}}}",
	};
	struct etcd_kv kvs[4];
	int64_t rev, id, ttl;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = etcd_parse_range(S(bad[i]), kvs, 4, &n, &rev);

		CHECKF(rc != 0 && n == 0 && rev == 0, "row %zu '%s': %d", i,
		       bad[i], rc);
		CHECKF(etcd_parse_grant(S(bad[i]), &id, &ttl) != 0, "row %zu",
		       i);
	}
	/* truncations of a good reply never parse as something else */
	for (size_t l = 0; l + 1 < sizeof(txn_lost) - 1; l++) {
		struct etcd_kv kv;
		bool ok, have;
		int rc = etcd_parse_txn(txn_lost, l, &ok, &rev, &kv, &have);

		CHECKF(rc != 0 && !ok && !have, "cut at %zu: %d", l, rc);
	}
	/* a key longer than ours, a value over the bound, a huge reply */
	{
		size_t big = ETCD_VAL_MAX * 2;
		char *b = malloc(big * 2 + 64), *p;

		p = b + sprintf(b, "{\"kvs\":[{\"key\":\"");
		for (size_t i = 0; i < ETCD_KEY_MAX * 4 / 3 + 8; i++)
			*p++ = 'Q';
		strcpy(p, "\"}]}");
		CHECK(etcd_parse_range(b, strlen(b), kvs, 4, &n, &rev) ==
		      -EMSGSIZE);
		p = b + sprintf(b, "{\"kvs\":[{\"key\":\"YQ==\",\"value\":\"");
		for (size_t i = 0; i < big; i++)
			*p++ = 'Q';
		strcpy(p, "\"}]}");
		CHECK(etcd_parse_range(b, strlen(b), kvs, 4, &n, &rev) ==
		      -EMSGSIZE);
		free(b);
		b = calloc(1, ETCD_REPLY_MAX + 2);
		memset(b, ' ', ETCD_REPLY_MAX + 1);
		b[0] = '{';
		b[ETCD_REPLY_MAX] = '}';
		CHECK(etcd_parse_header(b, ETCD_REPLY_MAX + 1, &rev) ==
		      -EMSGSIZE);
		/* deep nesting */
		memset(b, '[', 100000);
		b[100000] = '\0';
		CHECK(etcd_parse_header(b, 100000, &rev) == -EINVAL);
		free(b);
	}
	CHECK(etcd_parse_header(NULL, 0, &rev) != 0);
}

static void
client_init(void)
{
	const char *eps[] = {"http://127.0.0.1:2379/", "http://10.0.0.2:2379"};
	const char *none[] = {""};
	struct etcd c;
	char b[16];

	CHECK_EQ_INT(etcd_init(&c, eps, 2, 0), 0);
	CHECK_EQ_STR(c.ep[0], "http://127.0.0.1:2379");
	CHECK(c.nep == 2 && c.timeout_ms > 0);
	CHECK_EQ_INT(etcd_init(&c, eps, 0, 0), -EINVAL);
	CHECK_EQ_INT(etcd_init(&c, none, 1, 0), -EINVAL);
	CHECK_EQ_INT(etcd_b64("foo", 3, b, sizeof(b)), 0);
	CHECK_EQ_STR(b, "Zm9v");
	CHECK_EQ_INT(etcd_b64("foofoofoofoofoo", 15, b, sizeof(b)), -ENOSPC);
}

/* Nothing listens: every call fails cleanly after trying each endpoint. */
static void
client_unreachable(void)
{
	const char *eps[] = {"http://127.0.0.1:1", "http://127.0.0.1:2"};
	struct etcd c;
	char err[256];
	int64_t id, ttl;
	bool won, have;
	struct etcd_kv *kv = malloc(sizeof(*kv));
	int64_t rev;

	etcd_init(&c, eps, 2, 300);
	CHECK_EQ_INT(etcd_lease_grant(&c, 2, &id, &ttl, err, sizeof(err)),
	             -EIO);
	CHECK(strstr(err, "127.0.0.1:") != NULL);
	CHECK_EQ_INT(etcd_campaign(&c, "/x/leader", "c1", 7, &won, &rev, kv,
	                           &have, err, sizeof(err)),
	             -EIO);
	CHECK(!won);
	CHECK_EQ_INT(etcd_put_fenced(&c, "/x/leader", "c1", 0, "/x/k", "v", 1,
	                             &won, err, sizeof(err)),
	             -EINVAL); /* no fence revision: refused before I/O */
	free(kv);
}

/* captured from etcd 3.4.23 with auth enabled */
static const char auth_ok[] =
    "{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":"
    "\"13668033151171901709\",\"revision\":\"1\",\"raft_term\":\"2\"},"
    "\"token\":\"YWDSQvHwCPyebQvA.10\"}";
static const char auth_refused[] =
    "{\"error\":\"etcdserver: authentication failed, invalid user ID or "
    "password\",\"message\":\"etcdserver: authentication failed, invalid "
    "user ID or password\",\"code\":3}";
static const char token_invalid[] =
    "{\"error\":\"etcdserver: invalid auth token\",\"message\":"
    "\"etcdserver: invalid auth token\",\"code\":16}";
static const char no_user[] =
    "{\"error\":\"etcdserver: user name is empty\",\"message\":"
    "\"etcdserver: user name is empty\",\"code\":3}";

static void
auth_replies(void)
{
	char tok[64], msg[128];
	int code;

	CHECK_EQ_INT(etcd_parse_auth(S(auth_ok), tok, sizeof(tok)), 0);
	CHECK_EQ_STR(tok, "YWDSQvHwCPyebQvA.10");
	/* too long for the buffer, an error, no token, an empty one, one
	 * that would end the header line */
	CHECK_EQ_INT(etcd_parse_auth(S(auth_ok), tok, 8), -EMSGSIZE);
	CHECK_EQ_STR(tok, "");
	CHECK_EQ_INT(etcd_parse_auth(S(auth_refused), tok, sizeof(tok)),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_auth(S("{\"token\":\"a\",\"error\":\"x\"}"),
	                             tok, sizeof(tok)),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_auth(S("{\"token\":\"\"}"), tok, sizeof(tok)),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_auth(S("{\"token\":7}"), tok, sizeof(tok)),
	             -EINVAL);
	CHECK_EQ_INT(etcd_parse_auth(S("{\"token\":\"a\\r\\nX-Evil: 1\"}"), tok,
	                             sizeof(tok)),
	             -EINVAL);
	CHECK_EQ_INT(
	    etcd_parse_auth(S("{\"token\":\"a b\"}"), tok, sizeof(tok)),
	    -EINVAL);
	CHECK_EQ_INT(etcd_parse_auth(S("{\"token\":\"ab"), tok, sizeof(tok)),
	             -EINVAL);
	CHECK_EQ_STR(tok, "");

	CHECK_EQ_INT(etcd_parse_error(S(auth_refused), msg, sizeof(msg), &code),
	             0);
	CHECK_EQ_STR(msg, "etcdserver: authentication failed, invalid user "
	                  "ID or password");
	CHECK_EQ_INT(code, 3);
	CHECK_EQ_INT(etcd_parse_error(S(token_invalid), msg, 20, &code), 0);
	CHECK_EQ_STR(msg, "etcdserver: invalid");
	CHECK_EQ_INT(code, 16);
	/* message only, no code; control bytes are not copied */
	CHECK_EQ_INT(etcd_parse_error(S("{\"message\":\"a\\nb\"}"), msg,
	                              sizeof(msg), &code),
	             0);
	CHECK_EQ_STR(msg, "a?b");
	CHECK_EQ_INT(code, -1);
	CHECK_EQ_INT(etcd_parse_error(S(grant_ok), msg, sizeof(msg), &code),
	             -EINVAL);
	CHECK_EQ_INT(
	    etcd_parse_error(S("{\"error\":\"x\""), msg, sizeof(msg), &code),
	    -EINVAL);

	CHECK(etcd_reply_token_invalid(401, S(token_invalid)));
	CHECK(etcd_reply_token_invalid(401, S("")));
	CHECK(etcd_reply_token_invalid(400, S(token_invalid)));
	CHECK(etcd_reply_token_invalid(
	    400, S("{\"error\":\"etcdserver: revision of auth store is "
	           "old\",\"code\":3}")));
	CHECK(!etcd_reply_token_invalid(400, S(auth_refused)));
	CHECK(!etcd_reply_token_invalid(400, S(no_user)));
	CHECK(!etcd_reply_token_invalid(500, NULL, 0));
}

/* ---- a fake etcd: authenticate, and a lease grant that wants a valid
 * token, one request per connection ---- */

struct fake {
	int lfd;
	int port;
	pthread_t th;
	pthread_mutex_t mu;
	int valid;   /* the token number etcd accepts now */
	int issued;  /* tokens handed out */
	int auths;   /* /v3/auth/authenticate requests */
	int grants;  /* /v3/lease/grant requests */
	int refused; /* requests answered 401 */
	char last_auth_hdr[128];
};

static void
reply(int fd, int status, const char *body)
{
	char h[256];
	int n = snprintf(h, sizeof(h),
	                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	                 status, strlen(body));

	if (write(fd, h, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	char buf[8192], out[512];
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		size_t len = 0;
		ssize_t r;
		char *hend, *cl, *auth;
		size_t want = 0;

		/* headers, then Content-Length bytes */
		for (;;) {
			r = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (r <= 0)
				break;
			len += (size_t)r;
			buf[len] = '\0';
			if ((hend = strstr(buf, "\r\n\r\n")) == NULL)
				continue;
			cl = strcasestr(buf, "Content-Length:");
			want = (size_t)(hend + 4 - buf) +
			       (cl ? strtoul(cl + 15, NULL, 10) : 0);
			if (len >= want)
				break;
		}
		buf[len] = '\0';
		pthread_mutex_lock(&f->mu);
		auth = strcasestr(buf, "\r\nAuthorization:");
		f->last_auth_hdr[0] = '\0';
		if (auth)
			sscanf(auth + 2, "%127[^\r]", f->last_auth_hdr);
		if (strncmp(buf, "POST /v3/auth/authenticate", 26) == 0) {
			f->auths++;
			if (strstr(buf, "{\"name\":\"root\",\"password\":"
			                "\"p\\\"w\"}") != NULL) {
				f->issued++;
				snprintf(out, sizeof(out),
				         "{\"header\":{},\"token\":\"tok.%d\"}",
				         f->issued);
				reply(fd, 200, out);
			} else {
				reply(fd, 400, auth_refused);
			}
		} else {
			char want_hdr[64];

			f->grants++;
			snprintf(want_hdr, sizeof(want_hdr),
			         "Authorization: tok.%d", f->valid);
			if (strcmp(f->last_auth_hdr, want_hdr) == 0) {
				reply(fd, 200, grant_ok);
			} else {
				f->refused++;
				reply(fd, 401, token_invalid);
			}
		}
		pthread_mutex_unlock(&f->mu);
		close(fd);
	}
	return NULL;
}

static int
fake_start(struct fake *f)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(f->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(f->lfd, 8) != 0 ||
	    getsockname(f->lfd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	f->port = ntohs(a.sin_port);
	return pthread_create(&f->th, NULL, fake_main, f) == 0 ? 0 : -1;
}

static void
fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	close(f->lfd);
	pthread_join(f->th, NULL);
	pthread_mutex_destroy(&f->mu);
}

/* The token is fetched before the first request and sent as
 * "Authorization: TOKEN"; an expired one is replaced once and the request
 * retried; a refused password is -EACCES quoting etcd, never a request. */
static void
client_auth(void)
{
	static struct fake f;
	char url[64], err[512];
	const char *eps[] = {url};
	struct etcd c;
	int64_t id, ttl;

	if (fake_start(&f) != 0) {
		CHECK(0);
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f.port);
	CHECK_EQ_INT(etcd_init(&c, eps, 1, 2000), 0);
	CHECK_EQ_INT(etcd_set_auth(&c, "root", "p\"w"), 0);
	f.valid = 1;
	CHECK_EQ_INT(etcd_lease_grant(&c, 5, &id, &ttl, err, sizeof(err)), 0);
	CHECK(f.auths == 1 && f.grants == 1 && f.refused == 0);
	CHECK_EQ_STR(f.last_auth_hdr, "Authorization: tok.1");
	/* the token still good: no new authenticate */
	CHECK_EQ_INT(etcd_lease_grant(&c, 5, &id, &ttl, err, sizeof(err)), 0);
	CHECK(f.auths == 1 && f.grants == 2);
	/* expired (etcd now wants the next token): one re-auth, one retry */
	pthread_mutex_lock(&f.mu);
	f.valid = 2;
	pthread_mutex_unlock(&f.mu);
	CHECK_EQ_INT(etcd_lease_grant(&c, 5, &id, &ttl, err, sizeof(err)), 0);
	CHECK(f.auths == 2 && f.grants == 4 && f.refused == 1);
	CHECK(id == 4111120160691128581LL);
	/* a token etcd never accepts: retried once only, then the error */
	pthread_mutex_lock(&f.mu);
	f.valid = 99;
	pthread_mutex_unlock(&f.mu);
	CHECK_EQ_INT(etcd_lease_grant(&c, 5, &id, &ttl, err, sizeof(err)),
	             -EIO);
	CHECK(f.auths == 3 && f.grants == 6);
	CHECKF(strstr(err, "invalid auth token") != NULL, "%s", err);
	/* a wrong password: -EACCES naming etcd's reason; no grant sent */
	CHECK_EQ_INT(etcd_set_auth(&c, "root", "wrong"), 0);
	CHECK_EQ_INT(etcd_lease_grant(&c, 5, &id, &ttl, err, sizeof(err)),
	             -EACCES);
	CHECK(f.grants == 6);
	CHECKF(strstr(err, "etcd refused user 'root': etcdserver: "
	                   "authentication failed") != NULL &&
	           strstr(err, "wrong") == NULL,
	       "%s", err);
	etcd_wipe(&c);
	CHECK(c.password[0] == '\0' && c.token[0] == '\0');
	CHECK_EQ_INT(etcd_set_auth(&c, "", "x"), -EINVAL);
	CHECK_EQ_INT(etcd_set_auth(&c, "root", ""), -EINVAL);
	CHECK(c.user[0] == '\0');
	fake_stop(&f);
}

int
main(void)
{
	RUN(grant);
	RUN(keepalive);
	RUN(txn);
	RUN(range);
	RUN(hostile);
	RUN(client_init);
	RUN(client_unreachable);
	RUN(auth_replies);
	RUN(client_auth);
	return TEST_END();
}
