#include "common/conf_diff.h"

#include <stdlib.h>
#include <string.h>

char *
conf_diff_text(void (*print)(const void *cfg, FILE *f), const void *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	print(cfg, f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The text of section name in a dump, header included, up to the next
 * header: a pointer into dump and its length, or NULL if absent. */
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

/* The start of the line after the one at p, or end. */
static const char *
next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

bool
conf_diff_section(const char *a, const char *b, const char *name,
                  const char *skip)
{
	size_t la = 0, lb = 0, ls = skip ? strlen(skip) : 0;
	const char *sa = section(a, name, &la), *sb = section(b, name, &lb);
	const char *ea, *eb;

	if (sa == NULL || sb == NULL)
		return sa != sb;
	if (skip == NULL)
		return la != lb || memcmp(sa, sb, la) != 0;
	ea = sa + la;
	eb = sb + lb;
	for (;;) {
		const char *na, *nb;

		while (sa < ea && strncmp(sa, skip, ls) == 0)
			sa = next_line(sa, ea);
		while (sb < eb && strncmp(sb, skip, ls) == 0)
			sb = next_line(sb, eb);
		if (sa == ea || sb == eb)
			return sa != ea || sb != eb;
		na = next_line(sa, ea);
		nb = next_line(sb, eb);
		if (na - sa != nb - sb || memcmp(sa, sb, (size_t)(na - sa)))
			return true;
		sa = na;
		sb = nb;
	}
}

void
conf_diff_each(const char *a, const char *b,
               void (*fn)(const char *name, void *arg), void *arg)
{
	const char *dumps[2] = {a, b};

	for (int d = 0; d < 2; d++)
		for (const char *p = dumps[d]; p && *p;) {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p), n;
			char name[128];

			/* b's headers that a has too were seen with a */
			if (*p == '[' && l < sizeof(name)) {
				memcpy(name, p, l);
				name[l] = '\0';
				if ((d == 0 || section(a, name, &n) == NULL) &&
				    conf_diff_section(a, b, name, NULL))
					fn(name, arg);
			}
			p = nl ? nl + 1 : p + l;
		}
}

void
conf_diff_list_add(char *list, size_t cap, const char *item)
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
