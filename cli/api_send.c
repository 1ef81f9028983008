#include "cli/api_send.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "common/http.h"

int
cli_api_send(struct cli_api *a, const char *prog, const char *method,
             const char *path, const char *body, long *status, cJSON **out)
{
	struct http_resp resp;
	const cJSON *e;
	cJSON *o;

	*out = NULL;
	*status = 0;
	if (cli_api_request(a, prog, method, path, body, &resp) != 0)
		return CLI_EXIT_FAIL;
	*status = resp.status;
	o = cJSON_ParseWithLength(resp.body, resp.len);
	if (resp.status < 200 || resp.status > 299) {
		e = o ? cJSON_GetObjectItemCaseSensitive(o, "error") : NULL;
		fprintf(stderr, "%s: HTTP %ld: %s\n", prog, resp.status,
		        cJSON_IsString(e) ? e->valuestring : "(no error text)");
		if (resp.status == 401 && a->token[0] == '\0')
			fprintf(stderr,
			        "%s: set SEXTANT_TOKEN or pass --token-file\n",
			        prog);
		if (resp.status == 403 && a->token[0] != '\0')
			fprintf(stderr,
			        "%s: the commander has no [api] token, or this "
			        "one is the read token\n",
			        prog);
		cJSON_Delete(o);
		http_resp_free(&resp);
		return CLI_EXIT_FAIL;
	}
	http_resp_free(&resp);
	*out = o;
	return CLI_EXIT_OK;
}

int
cli_api_path_segment(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (n + 4 >= size)
			return -1;
		if (isalnum(*p) || strchr("-._~", *p))
			buf[n++] = (char)*p;
		else {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 15];
		}
	}
	if (n >= size)
		return -1;
	buf[n] = '\0';
	return 0;
}
