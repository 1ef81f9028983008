/*
 * probe.c: the registry of probe families, the one place they reach the
 * network (probe_call), and the reference height: several endpoints asked
 * at once, the median of those that answered.
 */
#include "pilot/probe.h"
#include "pilot/probe_int.h"
#include "pilot/probe_parse.h"

#include "common/http.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_REF_MAX 32
/* Probe threads only parse JSON and drive curl: 256 KiB is ample. */
#define PROBE_THREAD_STACK (256 * 1024)

static const struct probe_ops *const probe_families[] = {
    [CHAIN_COMETBFT] = &probe_cometbft_ops,
    [CHAIN_SUBSTRATE] = &probe_substrate_ops,
    [CHAIN_ETHEREUM] = &probe_ethereum_ops,
    [CHAIN_BEACON] = &probe_beacon_ops,
    [CHAIN_BITCOIN] = &probe_bitcoin_ops,
    [CHAIN_COMMAND] = &probe_command_ops,
};

const struct probe_ops *
probe_ops_for(enum proto_chain chain)
{
	if ((unsigned)chain >= UTIL_NELEM(probe_families))
		return NULL;
	return probe_families[chain];
}

const struct probe_ops *
probe_ops_by_name(const char *name)
{
	size_t i;

	for (i = 0; name && i < UTIL_NELEM(probe_families); i++) {
		if (probe_families[i] &&
		    strcmp(probe_families[i]->name, name) == 0)
			return probe_families[i];
	}
	return NULL;
}

int
probe_run(const struct probe_target *t, struct probe_result *r)
{
	const struct probe_ops *ops = probe_ops_for(t->chain);
	int rc;

	memset(r, 0, sizeof(*r));
	if (ops == NULL) {
		probe_seterr(r, "no probe for chain %d", (int)t->chain);
		return -1;
	}
	rc = ops->probe(t, r);
	r->reachable = rc == 0;
	if (rc == 0)
		r->error[0] = '\0';
	else if (r->error[0] == '\0')
		probe_seterr(r, "%s: probe failed", ops->name);
	return rc == 0 ? 0 : -1;
}

/* base + path, without doubling the slash between them. */
static int
join_url(char *dst, size_t size, const char *base, const char *path)
{
	size_t n = strlen(base);

	if (n > 0 && base[n - 1] == '/' && path[0] == '/')
		n--;
	if ((size_t)snprintf(dst, size, "%.*s%s", (int)n, base, path) >= size)
		return -1;
	return 0;
}

/* Whether body looks like a JSON-RPC error reply, so that a non-200 status
 * still goes to the parser, which quotes the node's own message. */
static bool
is_rpc_error_body(const struct http_resp *resp)
{
	const char *p = resp->body;

	if (p == NULL)
		return false;
	while (isspace((unsigned char)*p))
		p++;
	return *p == '{' && strstr(p, "\"error\"") != NULL;
}

int
probe_call(const struct probe_target *t, const struct probe_call *c,
           struct http_resp *resp, struct probe_result *r)
{
	struct http_req req = {0};
	char url[512], err[128];
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (join_url(url, sizeof(url), t->url, c->path) != 0) {
		probe_seterr(r, "%s: URL too long", c->what);
		return -1;
	}
	req.method = c->method;
	req.url = url;
	req.body = c->body;
	req.body_len = c->body ? strlen(c->body) : 0;
	req.user = c->user;
	req.password = c->password;
	req.timeout_ms =
	    t->timeout_ms ? t->timeout_ms : PROBE_DEFAULT_TIMEOUT_MS;
	req.max_body = c->max_body ? c->max_body : PROBE_PARSE_MAX;
	if ((rc = http_do(&req, resp, err, sizeof(err))) != 0) {
		probe_seterr(r, "%s: %s", c->what, err);
		return -1;
	}
	if (resp->status == 200 || c->any_status || is_rpc_error_body(resp))
		return 0;
	probe_seterr(r, "%s: HTTP %ld", c->what, resp->status);
	return -1;
}

int
probe_jsonrpc(const struct probe_target *t, const char *version,
              const char *method, const char *params, const char *user,
              const char *password, struct http_resp *resp,
              struct probe_result *r)
{
	char body[512];
	struct probe_call c = {
	    .what = method,
	    .method = "POST",
	    .path = "",
	    .body = body,
	    .user = user,
	    .password = password,
	};

	memset(resp, 0, sizeof(*resp));
	if ((size_t)snprintf(body, sizeof(body),
	                     "{\"jsonrpc\":\"%s\",\"id\":1,\"method\":\"%s\","
	                     "\"params\":%s}",
	                     version, method,
	                     params ? params : "[]") >= sizeof(body)) {
		probe_seterr(r, "%s: request too long", method);
		return -1;
	}
	return probe_call(t, &c, resp, r);
}

int
probe_check_status(const struct http_resp *resp, const char *what,
                   struct probe_result *r)
{
	if (resp->status == 200)
		return 0;
	probe_seterr(r, "%s: HTTP %ld", what, resp->status);
	return -1;
}

struct ref_job {
	const struct probe_target *t;
	struct probe_result *r;
	int rc;
};

static void *
ref_thread(void *arg)
{
	struct ref_job *j = arg;

	j->rc = probe_run(j->t, j->r);
	return NULL;
}

unsigned
probe_reference_all(const struct probe_target *refs, unsigned n,
                    struct probe_result *out)
{
	struct ref_job jobs[PROBE_REF_MAX];
	pthread_t tid[PROBE_REF_MAX];
	bool started[PROBE_REF_MAX] = {false};
	pthread_attr_t attr;
	unsigned i, answered = 0;
	bool have_attr;

	if (n > PROBE_REF_MAX)
		n = PROBE_REF_MAX;
	/* Curl's global init is not thread-safe: do it before the threads. */
	http_init();
	have_attr = pthread_attr_init(&attr) == 0;
	if (have_attr)
		(void)pthread_attr_setstacksize(&attr, PROBE_THREAD_STACK);
	for (i = 0; i < n; i++) {
		jobs[i] = (struct ref_job){.t = &refs[i], .r = &out[i]};
		/* The last one runs here: one thread fewer to make. */
		if (i + 1 < n)
			started[i] =
			    pthread_create(&tid[i], have_attr ? &attr : NULL,
			                   ref_thread, &jobs[i]) == 0;
		if (!started[i] && i + 1 < n)
			ref_thread(&jobs[i]); /* no thread: ask serially */
	}
	if (n > 0)
		ref_thread(&jobs[n - 1]);
	for (i = 0; i < n; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		if (jobs[i].rc == 0)
			answered++;
	}
	if (have_attr)
		pthread_attr_destroy(&attr);
	return answered;
}

int
probe_reference(const struct probe_target *refs, unsigned n, uint64_t *median,
                uint32_t *answered)
{
	struct probe_result res[PROBE_REF_MAX];
	uint64_t h[PROBE_REF_MAX];
	unsigned i, k = 0;

	*answered = 0;
	*median = 0;
	if (n > PROBE_REF_MAX)
		n = PROBE_REF_MAX;
	probe_reference_all(refs, n, res);
	for (i = 0; i < n; i++) {
		if (!res[i].reachable)
			continue;
		*answered |= 1u << i;
		h[k++] = res[i].height;
	}
	if (k == 0)
		return -1;
	*median = util_median_u64(h, k);
	return 0;
}
