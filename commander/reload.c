/*
 * reload.c: the commander's SIGHUP comparison, section by section through
 * the normalized dumps as the pilot's (common/conf_diff.h says why); the
 * dump hides secrets, so those are compared by value on the side.
 */
#include "commander/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/conf_diff.h"

#define API_LISTEN "listen = "

static void
print(const void *c, FILE *f)
{
	commander_conf_dump(c, f);
}

static bool
alerting(const char *name)
{
	return strcmp(name, "[alerts]") == 0 ||
	       strncmp(name, "[channel ", 9) == 0;
}

/* A changed section: alerting applies, [api] is judged apart (its
 * listen waits), the rest waits for a restart. */
static void
classify(const char *name, void *arg)
{
	struct commander_reload_plan *out = arg;

	if (strcmp(name, "[api]") == 0)
		return;
	if (alerting(name)) {
		out->alerts = true;
		conf_diff_list_add(out->applied, sizeof(out->applied), name);
	} else
		conf_diff_list_add(out->restart, sizeof(out->restart), name);
}

static bool
secret_differs(const char *x, const char *y)
{
	size_t lx = strlen(x), ly = strlen(y);

	return lx != ly || sodium_memcmp(x, y, lx) != 0;
}

static const struct sink_conf *
channel(const struct alerts_conf *ac, const char *name)
{
	for (size_t i = 0; i < ac->nchan; i++)
		if (strcmp(ac->chan[i].name, name) == 0)
			return &ac->chan[i];
	return NULL;
}

int
commander_reload_plan(const struct commander_conf *running,
                      const struct commander_conf *fresh,
                      struct commander_reload_plan *out)
{
	char *a = conf_diff_text(print, running);
	char *b = conf_diff_text(print, fresh);

	memset(out, 0, sizeof(*out));
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	conf_diff_each(a, b, classify, out);
	if (strcmp(running->api.listen, fresh->api.listen) != 0)
		conf_diff_list_add(out->restart, sizeof(out->restart),
		                   "[api] listen");
	if (conf_diff_section(a, b, "[api]", API_LISTEN) ||
	    secret_differs(running->api.token, fresh->api.token) ||
	    secret_differs(running->api.read_token, fresh->api.read_token)) {
		out->api = true;
		conf_diff_list_add(out->applied, sizeof(out->applied), "[api]");
	}
	for (size_t i = 0; i < fresh->alerts.nchan; i++) {
		const struct sink_conf *n = &fresh->alerts.chan[i];
		const struct sink_conf *o = channel(&running->alerts, n->name);
		char name[PROTO_NAME_MAX + 16];

		if (o == NULL || (!secret_differs(o->url, n->url) &&
		                  !secret_differs(o->token, n->token) &&
		                  !secret_differs(o->secret, n->secret)))
			continue;
		snprintf(name, sizeof(name), "[channel %s]", n->name);
		out->alerts = true;
		conf_diff_list_add(out->applied, sizeof(out->applied), name);
	}
	/* the same file names, new contents: still a restart */
	if (sodium_memcmp(running->id.pk, fresh->id.pk,
	                  sizeof(running->id.pk)) != 0)
		conf_diff_list_add(out->restart, sizeof(out->restart),
		                   "[commander] key");
	if (!registry_same(running->reg, fresh->reg))
		conf_diff_list_add(out->restart, sizeof(out->restart),
		                   "[commander] authorized_pilots");
	free(a);
	free(b);
	return 0;
}
