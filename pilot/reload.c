/*
 * reload.c: the SIGHUP comparison.  Sections are compared through the
 * normalized dump (-nv), so two spellings of one value ("60s", "1m") are
 * no change, and a new option in any section is caught without a list to
 * keep up to date here.
 */
#include "pilot/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of section name ("[policy]") in a dump, up to the next header:
 * a pointer into dump and its length, or NULL if absent. */
static const char *
section(const char *dump, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *p = dump, *end;

	for (;;) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '\n')
			break;
		if ((p = strchr(p, '\n')) == NULL)
			return NULL;
		p++;
	}
	for (end = p + nl + 1; *end;) {
		if (*end == '[')
			break;
		const char *nx = strchr(end, '\n');
		end = nx ? nx + 1 : end + strlen(end);
	}
	*len = (size_t)(end - p);
	return p;
}

static bool
differs(const char *a, const char *b, const char *name)
{
	size_t la = 0, lb = 0;
	const char *sa = section(a, name, &la), *sb = section(b, name, &lb);

	if (sa == NULL || sb == NULL)
		return sa != sb;
	return la != lb || memcmp(sa, sb, la) != 0;
}

static char *
dump(const struct pilot_conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	pilot_conf_dump(c, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Each header that appears in either dump, once. */
static void
note_restart(struct reload_plan *out, const char *a, const char *b)
{
	const char *dumps[2] = {a, b};

	for (int d = 0; d < 2; d++)
		for (const char *p = dumps[d]; p && *p;) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);
			char name[64];

			if (*p == '[' && l < sizeof(name)) {
				memcpy(name, p, l);
				name[l] = '\0';
				if (strcmp(name, "[policy]") != 0 &&
				    strcmp(name, "[reference]") != 0 &&
				    strstr(out->restart, name) == NULL &&
				    differs(a, b, name) &&
				    strlen(out->restart) + l + 2 <
				        sizeof(out->restart)) {
					if (out->restart[0])
						strcat(out->restart, " ");
					strcat(out->restart, name);
				}
			}
			p = nl ? nl + 1 : p + l;
		}
}

int
reload_plan(const struct pilot_conf *running, const struct pilot_conf *fresh,
            struct reload_plan *out)
{
	char *a = dump(running), *b = dump(fresh);

	memset(out, 0, sizeof(*out));
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	out->policy = differs(a, b, "[policy]");
	out->reference = differs(a, b, "[reference]");
	note_restart(out, a, b);
	/* the dump hides secrets; a new password is still a change */
	if (strcmp(running->node.password, fresh->node.password) != 0 &&
	    strstr(out->restart, "[node]") == NULL &&
	    strlen(out->restart) + 8 < sizeof(out->restart)) {
		if (out->restart[0])
			strcat(out->restart, " ");
		strcat(out->restart, "[node]");
	}
	free(a);
	free(b);
	return 0;
}

void
reload_apply(struct pilot_conf *running, const struct pilot_conf *fresh,
             const struct reload_plan *plan)
{
	if (plan->policy)
		running->policy = fresh->policy;
	if (plan->reference)
		running->reference = fresh->reference;
}
