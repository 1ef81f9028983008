/*
 * reload.c: the commander's SIGHUP comparison.  Sections are compared
 * through the normalized dump (-nv), as the pilot's are, so a new option
 * in any section is caught without a list to keep up to date here; the
 * dump hides secrets, so those are compared by value on the side.
 */
#include "commander/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define API_LISTEN "listen = "

/* The text of section name ("[api]") in a dump, header included, up to
 * the next header: a pointer into dump and its length, or NULL. */
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
	for (end = p + nl + 1; *end && *end != '[';) {
		const char *nx = strchr(end, '\n');

		end = nx ? nx + 1 : end + strlen(end);
	}
	*len = (size_t)(end - p);
	return p;
}

/* Does section name differ between dumps a and b?  With skip, lines
 * starting with it are left out of the comparison. */
static bool
differs(const char *a, const char *b, const char *name, const char *skip)
{
	size_t la = 0, lb = 0, ls = skip ? strlen(skip) : 0;
	const char *sa = section(a, name, &la), *sb = section(b, name, &lb);
	const char *ea, *eb;

	if (sa == NULL || sb == NULL)
		return sa != sb;
	ea = sa + la;
	eb = sb + lb;
	for (;;) {
		const char *na, *nb;

		while (sa < ea && skip && strncmp(sa, skip, ls) == 0)
			sa = (na = memchr(sa, '\n', (size_t)(ea - sa))) ? na + 1
			                                                : ea;
		while (sb < eb && skip && strncmp(sb, skip, ls) == 0)
			sb = (nb = memchr(sb, '\n', (size_t)(eb - sb))) ? nb + 1
			                                                : eb;
		if (sa == ea || sb == eb)
			return sa != ea || sb != eb;
		na = memchr(sa, '\n', (size_t)(ea - sa));
		nb = memchr(sb, '\n', (size_t)(eb - sb));
		na = na ? na + 1 : ea;
		nb = nb ? nb + 1 : eb;
		if (na - sa != nb - sb || memcmp(sa, sb, (size_t)(na - sa)))
			return true;
		sa = na;
		sb = nb;
	}
}

/* The line starting with key in section name of dump ("" if none). */
static void
line_of(const char *dump, const char *name, const char *key, char *buf,
        size_t cap)
{
	size_t len = 0, kl = strlen(key);
	const char *s = section(dump, name, &len), *e;

	buf[0] = '\0';
	if (s == NULL)
		return;
	for (e = s + len; s < e;) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		size_t l = nl ? (size_t)(nl - s) : (size_t)(e - s);

		if (l >= kl && strncmp(s, key, kl) == 0) {
			snprintf(buf, cap, "%.*s", (int)l, s);
			return;
		}
		s = nl ? nl + 1 : e;
	}
}

static char *
dump(const struct commander_conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	commander_conf_dump(c, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Append item to a space-separated list once; a full list ends in
 * "...". */
static void
add(char *list, size_t cap, const char *item)
{
	size_t l = strlen(list), il = strlen(item);
	const char *p;

	for (p = list; (p = strstr(p, item)) != NULL; p += il)
		if ((p == list || p[-1] == ' ') &&
		    (p[il] == '\0' || p[il] == ' '))
			return;
	if (l >= 3 && strcmp(list + l - 3, "...") == 0)
		return;
	if (l + il + 2 + 4 > cap) {
		if (l + 5 <= cap)
			strcat(list, l ? " ..." : "...");
		return;
	}
	if (l)
		strcat(list, " ");
	strcat(list, item);
}

static bool
alerting(const char *name)
{
	return strcmp(name, "[alerts]") == 0 ||
	       strncmp(name, "[channel ", 9) == 0;
}

/* Each header in either dump, classified once. */
static void
classify(struct commander_reload_plan *out, const char *a, const char *b)
{
	const char *dumps[2] = {a, b};

	for (int d = 0; d < 2; d++)
		for (const char *p = dumps[d]; p && *p;) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);
			char name[128];

			if (*p == '[' && l < sizeof(name)) {
				memcpy(name, p, l);
				name[l] = '\0';
				if (strcmp(name, "[api]") == 0)
					; /* below */
				else if (alerting(name)) {
					if (differs(a, b, name, NULL)) {
						out->alerts = true;
						add(out->applied,
						    sizeof(out->applied), name);
					}
				} else if (differs(a, b, name, NULL))
					add(out->restart, sizeof(out->restart),
					    name);
			}
			p = nl ? nl + 1 : p + l;
		}
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
	char *a = dump(running), *b = dump(fresh);
	char la[300], lb[300];

	memset(out, 0, sizeof(*out));
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	classify(out, a, b);
	line_of(a, "[api]", API_LISTEN, la, sizeof(la));
	line_of(b, "[api]", API_LISTEN, lb, sizeof(lb));
	if (strcmp(la, lb) != 0)
		add(out->restart, sizeof(out->restart), "[api] listen");
	if (differs(a, b, "[api]", API_LISTEN) ||
	    secret_differs(running->api.token, fresh->api.token) ||
	    secret_differs(running->api.read_token, fresh->api.read_token)) {
		out->api = true;
		add(out->applied, sizeof(out->applied), "[api]");
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
		add(out->applied, sizeof(out->applied), name);
	}
	/* the same file names, new contents: still a restart */
	if (sodium_memcmp(running->id.pk, fresh->id.pk,
	                  sizeof(running->id.pk)) != 0)
		add(out->restart, sizeof(out->restart), "[commander] key");
	if (!registry_same(running->reg, fresh->reg))
		add(out->restart, sizeof(out->restart),
		    "[commander] authorized_pilots");
	free(a);
	free(b);
	return 0;
}
