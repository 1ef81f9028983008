#include "cli/api_client.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "cli/cli.h"
#include "common/fileio.h"
#include "common/http.h"
#include "common/util.h"

#define TOKEN_FILE_MAX 4096

static int
read_token_file(struct cli_api *a, const char *prog, const char *path)
{
	char why[300], *buf = NULL, *p, *e;
	size_t len;
	int rc;

	if (file_check_secrecy(path, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: --token-file: %s\n", prog, why);
		return -1;
	}
	if ((rc = file_read_all(path, TOKEN_FILE_MAX, &buf, &len)) != 0) {
		fprintf(stderr, "%s: --token-file '%s': %s\n", prog, path,
		        strerror(-rc));
		return -1;
	}
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	rc = util_strcpy_checked(a->token, p, sizeof(a->token));
	sodium_memzero(buf, len);
	free(buf);
	if (rc != 0 || a->token[0] == '\0') {
		fprintf(stderr, "%s: --token-file '%s': %s\n", prog, path,
		        rc ? "token too long" : "empty");
		return -1;
	}
	return 0;
}

/* One URL of the --api list into out (no trailing slash): 0 or -1. */
static int
base_of(const char *prog, const char *url, size_t len, char *out, size_t size)
{
	if (len >= size) {
		fprintf(stderr, "%s: --api: URL too long\n", prog);
		return -1;
	}
	memcpy(out, url, len);
	out[len] = '\0';
	if (strncmp(out, "http://", 7) != 0 &&
	    strncmp(out, "https://", 8) != 0) {
		fprintf(stderr, "%s: --api: not an http:// URL '%s'\n", prog,
		        out);
		return -1;
	}
	while (len > 0 && out[len - 1] == '/')
		out[--len] = '\0';
	return 0;
}

/* Does the commander at base lead (GET /api/v1/ha says it serves)? */
static bool
leads(const struct cli_api *a, const char *base)
{
	char url[CLI_API_BASE_MAX + 16], err[256];
	struct http_req req = {.method = "GET", .url = url};
	struct http_resp resp;
	const cJSON *s;
	cJSON *o;
	bool yes;

	if ((size_t)snprintf(url, sizeof(url), "%s/api/v1/ha", base) >=
	    sizeof(url))
		return false;
	req.bearer = a->token[0] ? a->token : NULL;
	req.timeout_ms = 2000; /* a dead commander must not hold us long */
	req.max_body = 64 << 10;
	if (http_do(&req, &resp, err, sizeof(err)) != 0)
		return false;
	o = resp.status == 200 ? cJSON_ParseWithLength(resp.body, resp.len)
	                       : NULL;
	s = o ? cJSON_GetObjectItemCaseSensitive(o, "serving") : NULL;
	yes = cJSON_IsTrue(s);
	cJSON_Delete(o);
	http_resp_free(&resp);
	return yes;
}

/*
 * With HA, --api (or SEXTANT_API) may list every commander, separated by
 * commas: the one that leads is asked, as only it holds the fleet.  With
 * none leading, the first is asked and the user told.
 */
static int
pick_leader(struct cli_api *a, const char *prog, const char *list)
{
	char cand[8][CLI_API_BASE_MAX];
	size_t n = 0;

	for (const char *p = list;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (n == sizeof(cand) / sizeof(cand[0])) {
			fprintf(stderr, "%s: --api: more than %zu URLs\n", prog,
			        n);
			return -1;
		}
		if (base_of(prog, p, len, cand[n], sizeof(cand[n])) != 0)
			return -1;
		n++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	util_strlcpy(a->base, cand[0], sizeof(a->base));
	if (n == 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (leads(a, cand[i])) {
			util_strlcpy(a->base, cand[i], sizeof(a->base));
			return 0;
		}
	fprintf(stderr, "%s: no commander of --api leads now; asking %s\n",
	        prog, a->base);
	return 0;
}

int
cli_api_setup(struct cli_api *a, const char *prog, const char *api_url,
              const char *token_file)
{
	const char *url = api_url, *env;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = 10000;
	if (url == NULL && (env = getenv("SEXTANT_API")) != NULL && *env)
		url = env;
	if (url == NULL)
		url = CLI_API_DEFAULT;
	if (token_file != NULL) {
		if (read_token_file(a, prog, token_file) != 0)
			return -1;
	} else if ((env = getenv("SEXTANT_TOKEN")) != NULL && *env &&
	           util_strcpy_checked(a->token, env, sizeof(a->token)) != 0) {
		fprintf(stderr, "%s: SEXTANT_TOKEN: too long\n", prog);
		return -1;
	}
	/* the token first: asking who leads may need it */
	return pick_leader(a, prog, url);
}

void
cli_api_clear(struct cli_api *a)
{
	sodium_memzero(a->token, sizeof(a->token));
}

int
cli_api_request(struct cli_api *a, const char *prog, const char *method,
                const char *path, const char *body, struct http_resp *resp)
{
	char url[2048], err[512];
	struct http_req req = {.method = method, .url = url};

	if ((size_t)snprintf(url, sizeof(url), "%s%s", a->base, path) >=
	    sizeof(url)) {
		fprintf(stderr, "%s: request URL too long\n", prog);
		return -1;
	}
	req.bearer = a->token[0] ? a->token : NULL;
	req.timeout_ms = a->timeout_ms;
	req.max_body = 16u << 20;
	if (body != NULL) {
		req.body = body;
		req.body_len = strlen(body);
		req.content_type = "application/json";
	}
	if (http_do(&req, resp, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	return 0;
}

int
cli_api_get(struct cli_api *a, const char *prog, const char *path, cJSON **out)
{
	struct http_resp resp;
	const cJSON *e;
	cJSON *o;

	*out = NULL;
	if (cli_api_request(a, prog, "GET", path, NULL, &resp) != 0)
		return CLI_EXIT_FAIL;
	o = cJSON_ParseWithLength(resp.body, resp.len);
	if (resp.status != 200) {
		e = o ? cJSON_GetObjectItemCaseSensitive(o, "error") : NULL;
		fprintf(stderr, "%s: %s%s: HTTP %ld: %s\n", prog, a->base, path,
		        resp.status,
		        cJSON_IsString(e) ? e->valuestring : "(no error text)");
		if (resp.status == 401 && a->token[0] == '\0')
			fprintf(stderr,
			        "%s: set SEXTANT_TOKEN or pass "
			        "--token-file\n",
			        prog);
		cJSON_Delete(o);
		http_resp_free(&resp);
		return CLI_EXIT_FAIL;
	}
	http_resp_free(&resp);
	if (o == NULL) {
		fprintf(stderr, "%s: %s%s: the answer is not JSON\n", prog,
		        a->base, path);
		return CLI_EXIT_FAIL;
	}
	*out = o;
	return CLI_EXIT_OK;
}

void
cli_api_query_add(char *q, size_t size, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(q);
	const unsigned char *v;

	if (n + strlen(name) + 2 >= size)
		return;
	n += (size_t)snprintf(q + n, size - n, "%s%s=", n ? "&" : "?", name);
	for (v = (const unsigned char *)value; *v && n + 4 < size; v++) {
		if (isalnum(*v) || strchr("-._~", *v))
			q[n++] = (char)*v;
		else {
			q[n++] = '%';
			q[n++] = hex[*v >> 4];
			q[n++] = hex[*v & 15];
		}
	}
	q[n] = '\0';
}

void
cli_json_print(const cJSON *o)
{
	char *s = cJSON_Print(o);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

const char *
cli_json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

double
cli_json_num(const cJSON *o, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : def;
}

const char *
cli_fmt_time(uint64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "-");
	return buf;
}

const char *
cli_fmt_ago(uint64_t ms, uint64_t now_ms, char *buf, size_t size)
{
	char d[32];

	if (ms == 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	if (ms + 1000 > now_ms) {
		snprintf(buf, size, "now");
		return buf;
	}
	/* whole seconds read better in a table than "1.234s" */
	util_fmt_duration((now_ms - ms) / 1000 * 1000, d, sizeof(d));
	snprintf(buf, size, "%s ago", d);
	return buf;
}
