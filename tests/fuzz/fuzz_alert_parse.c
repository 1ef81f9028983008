/* fuzz_alert_parse: the alert parsers that read input from outside a
 * function's control: a POST /api/v1/silences body, a queued message's
 * JSON, and the saved router and engine state.  The first byte picks one;
 * none may crash, hang, leak or accept a field longer than its array. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commander/alert_route.h"
#include "commander/alerts.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n = size ? size - 1 : 0, bad = 0;
	char err[256];

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		struct alert_silence sil;

		if (alerts_silence_parse(s, n, 1700000000000ull, &sil, err,
		                         sizeof(err)) == 0) {
			if (strlen(sil.node) >= sizeof(sil.node) ||
			    strlen(sil.comment) >= sizeof(sil.comment))
				abort();
			alert_silence_check(&sil, 1700000000000ull, err,
			                    sizeof(err));
		}
		break;
	}
	case 1: {
		struct alert *v = NULL;
		size_t k = 0;

		if (alert_json_decode(s, n, 64, &v, &k) == 0) {
			char *back = NULL;

			if (k > 64)
				abort();
			for (size_t i = 0; i < k; i++)
				if (strlen(v[i].key) >= sizeof(v[i].key))
					abort();
			if (alert_json_encode(v, k, &back) == 0)
				free(back);
		}
		free(v);
		break;
	}
	case 2: {
		struct alert_router *r = alert_router_new();
		char *out = NULL;
		size_t len = 0;

		if (r && alert_router_import(r, s, n, &bad) == 0 &&
		    alert_router_export(r, &out, &len) == 0)
			free(out);
		alert_router_free(r);
		break;
	}
	case 3: {
		struct alert_conf c;
		struct alert_engine *e;
		char *out = NULL;
		size_t len = 0;

		alert_conf_defaults(&c);
		e = alert_engine_new(&c);
		if (e && alert_engine_import(e, s, n, &bad) == 0 &&
		    alert_engine_export(e, &out, &len) == 0)
			free(out);
		alert_engine_free(e);
		break;
	}
	}
	return 0;
}
