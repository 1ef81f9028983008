#include "common/conf.h"

#include <errno.h>
#include <inttypes.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define CONF_MAX_SEEN 1024

/* Where one key was set, to refuse a key set twice in one section. */
struct seen {
	const void *base;
	const struct conf_opt *opt;
	unsigned line;
};

struct parse_ctx {
	const char *name; /* file name for messages */
	const struct conf_section *sections;
	void *cfg;
	char *err;
	size_t errlen;
	int failed;
	unsigned line; /* line the reader last returned */
	/* reader state */
	FILE *fp;
	const char *text;
	size_t pos;
	/* section cache: inih hands us the section name on every key */
	char cur_name[128];
	const struct conf_section *cur_sec;
	void *cur_base;
	struct seen seen[CONF_MAX_SEEN];
	size_t nseen;
};

static void fail(struct parse_ctx *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct parse_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return; /* keep the first error: later ones are often echoes */
	c->failed = 1;
	n = snprintf(c->err, c->errlen, "%s:%u: ", c->name, line);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Parse val into the field of opt at base.  0, or -1 with msg filled. */
static int
set_value(const struct conf_opt *o, void *base, const char *val, char *msg,
          size_t msglen)
{
	void *field = (char *)base + o->off;
	uint64_t u;
	bool b;
	int rc;

	switch (o->type) {
	case CONF_STR:
		if (util_strlcpy(field, val, o->size) >= o->size) {
			snprintf(msg, msglen, "longer than %zu characters",
			         o->size - 1);
			((char *)field)[0] = '\0';
			return -1;
		}
		return 0;
	case CONF_U32:
	case CONF_U64:
		rc = util_parse_u64(val, o->min,
		                    o->max                ? o->max
		                    : o->type == CONF_U32 ? UINT32_MAX
		                                          : UINT64_MAX,
		                    &u);
		if (rc == -ERANGE) {
			snprintf(msg, msglen,
			         "out of range %" PRIu64 "..%" PRIu64, o->min,
			         o->max                ? o->max
			         : o->type == CONF_U32 ? UINT32_MAX
			                               : UINT64_MAX);
			return -1;
		}
		if (rc != 0) {
			snprintf(msg, msglen, "not a whole number");
			return -1;
		}
		if (o->type == CONF_U32)
			*(uint32_t *)field = (uint32_t)u;
		else
			*(uint64_t *)field = u;
		return 0;
	case CONF_DURATION_MS:
		if (util_parse_duration_ms(val, &u) != 0) {
			snprintf(msg, msglen,
			         "not a duration (like 500ms, 30s, 5m, 1h)");
			return -1;
		}
		if (u < o->min || (o->max && u > o->max)) {
			char lo[32], hi[32];

			snprintf(msg, msglen, "out of range %s..%s",
			         util_fmt_duration(o->min, lo, sizeof(lo)),
			         o->max
			             ? util_fmt_duration(o->max, hi, sizeof(hi))
			             : "any");
			return -1;
		}
		*(uint64_t *)field = u;
		return 0;
	case CONF_BOOL:
		if (util_parse_bool(val, &b) != 0) {
			snprintf(msg, msglen, "not yes/no/true/false/on/off");
			return -1;
		}
		*(bool *)field = b;
		return 0;
	case CONF_ENUM:
		for (int i = 0; o->names && o->names[i]; i++)
			if (strcmp(o->names[i], val) == 0) {
				*(int *)field = i;
				return 0;
			}
		{
			size_t n = (size_t)snprintf(msg, msglen, "not one of");

			for (int i = 0; o->names && o->names[i] && n < msglen;
			     i++)
				n += (size_t)snprintf(msg + n, msglen - n,
				                      "%s %s", i ? "," : "",
				                      o->names[i]);
		}
		return -1;
	case CONF_CUSTOM:
		if (o->parse == NULL) {
			snprintf(msg, msglen, "no parser");
			return -1;
		}
		return o->parse(field, val, msg, msglen) == 0 ? 0 : -1;
	}
	snprintf(msg, msglen, "bad option type");
	return -1;
}

static void
apply_defaults(struct parse_ctx *c, const struct conf_opt *opts, void *base)
{
	char msg[256];

	for (const struct conf_opt *o = opts; o->name; o++) {
		if (o->def == NULL)
			continue;
		if (set_value(o, base, o->def, msg, sizeof(msg)) != 0)
			fail(c, 0, "%s: built-in default '%s': %s", o->name,
			     o->def, msg);
	}
}

static const struct conf_section *
find_section(const struct conf_section *secs, const char *name, size_t len)
{
	for (const struct conf_section *s = secs; s->name; s++)
		if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
			return s;
	return NULL;
}

/* Resolve the struct a section's keys go to; NULL on error (reported). */
static void *
open_section(struct parse_ctx *c, const char *section)
{
	const struct conf_section *s;
	const char *sp = strchr(section, ' ');
	char inst[128], msg[256];
	void *base;
	size_t n;

	if (strcmp(section, c->cur_name) == 0 && c->cur_sec)
		return c->cur_base;
	c->cur_sec = NULL;
	if (sp == NULL) {
		s = find_section(c->sections, section, strlen(section));
		if (s == NULL || s->repeated) {
			fail(c, c->line, "unknown section '[%s]'%s", section,
			     s ? ": it needs a name, like [node NAME]" : "");
			return NULL;
		}
		base =
		    s->open ? s->open(c->cfg, NULL, msg, sizeof(msg)) : c->cfg;
		if (base == NULL) {
			fail(c, c->line, "[%s]: %s", section, msg);
			return NULL;
		}
	} else {
		s = find_section(c->sections, section, (size_t)(sp - section));
		if (s == NULL || !s->repeated) {
			fail(c, c->line, "unknown section '[%s]'", section);
			return NULL;
		}
		while (*sp == ' ')
			sp++;
		/* accept [node val1] and [node "val1"] */
		n = strlen(sp);
		if (n >= 2 && sp[0] == '"' && sp[n - 1] == '"') {
			sp++;
			n -= 2;
		}
		if (n == 0 || n >= sizeof(inst)) {
			fail(c, c->line, "bad section name '[%s]'", section);
			return NULL;
		}
		memcpy(inst, sp, n);
		inst[n] = '\0';
		if (s->open == NULL ||
		    (base = s->open(c->cfg, inst, msg, sizeof(msg))) == NULL) {
			fail(c, c->line, "[%s]: %s", section,
			     s->open ? msg : "cannot open");
			return NULL;
		}
		apply_defaults(c, s->opts, base);
	}
	util_strlcpy(c->cur_name, section, sizeof(c->cur_name));
	c->cur_sec = s;
	c->cur_base = base;
	return base;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	const struct conf_opt *o;
	char msg[256];
	void *base;

	if (c->failed)
		return 0;
	if (section[0] == '\0') {
		fail(c, c->line, "%s: key outside any section", name);
		return 0;
	}
	if ((base = open_section(c, section)) == NULL)
		return 0;
	for (o = c->cur_sec->opts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			break;
	if (o->name == NULL) {
		fail(c, c->line, "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	if (!o->multi) {
		for (size_t i = 0; i < c->nseen; i++)
			if (c->seen[i].base == base && c->seen[i].opt == o) {
				fail(c, c->line,
				     "%s: set twice (first at line "
				     "%u)",
				     name, c->seen[i].line);
				return 0;
			}
		if (c->nseen == CONF_MAX_SEEN) {
			fail(c, c->line, "too many keys");
			return 0;
		}
		c->seen[c->nseen++] = (struct seen){base, o, c->line};
	}
	if (set_value(o, base, value, msg, sizeof(msg)) != 0) {
		if (o->secret)
			fail(c, c->line, "%s: %s (value hidden)", name, msg);
		else
			fail(c, c->line, "%s: %s '%s'", name, msg, value);
		return 0;
	}
	return 1;
}

/*
 * inih calls the handler only for keys, so a section with no keys would go
 * unseen and a repeated "[node a]" would merge into the first.  Open every
 * section header as the reader passes it instead.
 */
static void
section_header(struct parse_ctx *c, const char *line)
{
	const char *p = line, *end;
	char name[128];
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '[' || (end = strchr(p, ']')) == NULL || c->failed)
		return;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	n = (size_t)(end - p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(name)) {
		fail(c, c->line, "bad section header");
		return;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	c->cur_name[0] = '\0';
	c->cur_sec = NULL;
	open_section(c, name);
}

/*
 * inih's reader: hands it one line at a time so we know the line number of
 * every key.  A line longer than inih's buffer is an error, not a split.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	size_t n = 0;
	int ch, toolong = 0;

	if (num < 2)
		return NULL;
	for (;;) {
		if (c->fp)
			ch = fgetc(c->fp);
		else
			ch = c->text[c->pos] ? (unsigned char)c->text[c->pos++]
			                     : EOF;
		if (ch == EOF) {
			if (n == 0 && !toolong)
				return NULL;
			break;
		}
		if (ch == '\0') {
			/* a NUL in a config is never intended; refuse it */
			c->line++;
			fail(c, c->line, "NUL byte in line");
			str[0] = '\0';
			return str;
		}
		if ((size_t)n < (size_t)num - 2)
			str[n++] = (char)ch;
		else if (ch != '\n')
			toolong = 1;
		if (ch == '\n')
			break;
	}
	str[n] = '\0';
	c->line++;
	if (toolong) {
		fail(c, c->line, "line longer than %d characters", num - 2);
		str[0] = '\0';
	}
	section_header(c, str);
	return str;
}

static int
load(struct parse_ctx *c)
{
	char msg[256];
	int rc;

	/* singleton defaults first; repeated sections get theirs on open */
	for (const struct conf_section *s = c->sections; s->name; s++) {
		void *base;

		if (s->repeated)
			continue;
		base =
		    s->open ? s->open(c->cfg, NULL, msg, sizeof(msg)) : c->cfg;
		if (base == NULL) {
			fail(c, 0, "[%s]: %s", s->name, msg);
			return -1;
		}
		apply_defaults(c, s->opts, base);
	}
	rc = ini_parse_stream(reader, c, handler, c);
	if (rc > 0 && !c->failed)
		fail(c, (unsigned)rc,
		     "syntax error (expected [section] or "
		     "key = value)");
	if (rc < 0 && !c->failed)
		fail(c, 0, "cannot read");
	if (c->failed)
		return -1;
	/* environment overrides, for secrets kept out of files */
	for (const struct conf_section *s = c->sections; s->name; s++) {
		void *base;

		if (s->repeated)
			continue;
		base =
		    s->open ? s->open(c->cfg, NULL, msg, sizeof(msg)) : c->cfg;
		for (const struct conf_opt *o = s->opts; o->name; o++) {
			const char *v;

			if (o->env == NULL || (v = getenv(o->env)) == NULL)
				continue;
			if (set_value(o, base, v, msg, sizeof(msg)) != 0) {
				snprintf(
				    c->err, c->errlen,
				    "environment %s: %s%s%s%s", o->env, msg,
				    o->secret ? " (value hidden)" : " '",
				    o->secret ? "" : v, o->secret ? "" : "'");
				return -1;
			}
		}
	}
	return 0;
}

int
conf_load(const char *path, const struct conf_section *sections, void *cfg,
          char *err, size_t errlen)
{
	struct parse_ctx *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	c->name = path;
	c->sections = sections;
	c->cfg = cfg;
	c->err = err;
	c->errlen = errlen;
	if ((c->fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(c);
		return -1;
	}
	rc = load(c);
	fclose(c->fp);
	free(c);
	return rc;
}

int
conf_load_string(const char *name, const char *text,
                 const struct conf_section *sections, void *cfg, char *err,
                 size_t errlen)
{
	struct parse_ctx *c;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	c->name = name;
	c->sections = sections;
	c->cfg = cfg;
	c->err = err;
	c->errlen = errlen;
	c->text = text;
	rc = load(c);
	free(c);
	return rc;
}

static void
dump_opts(const struct conf_opt *opts, const void *base, FILE *f)
{
	for (const struct conf_opt *o = opts; o->name; o++) {
		const void *field = (const char *)base + o->off;

		fprintf(f, "%s = ", o->name);
		/* an unset secret prints empty, so -nv output reads back */
		if (o->secret && !(o->type == CONF_STR &&
		                   ((const char *)field)[0] == '\0')) {
			fprintf(f, "(secret)\n");
			continue;
		}
		switch (o->type) {
		case CONF_STR:
			fprintf(f, "%s", (const char *)field);
			break;
		case CONF_U32:
			fprintf(f, "%" PRIu32, *(const uint32_t *)field);
			break;
		case CONF_U64:
			fprintf(f, "%" PRIu64, *(const uint64_t *)field);
			break;
		case CONF_DURATION_MS: {
			uint64_t ms = *(const uint64_t *)field;

			if (ms % 1000 == 0)
				fprintf(f, "%" PRIu64 "s", ms / 1000);
			else
				fprintf(f, "%" PRIu64 "ms", ms);
			break;
		}
		case CONF_BOOL:
			fprintf(f, "%s", *(const bool *)field ? "yes" : "no");
			break;
		case CONF_ENUM: {
			int v = *(const int *)field;
			int i;

			for (i = 0; o->names && o->names[i] && i < v; i++)
				;
			fprintf(f, "%s",
			        o->names && o->names[i] ? o->names[i] : "?");
			break;
		}
		case CONF_CUSTOM:
			if (o->print)
				o->print(field, f);
			else
				fprintf(f, "(set)");
			break;
		}
		fputc('\n', f);
	}
}

void
conf_dump(const struct conf_section *sections, const void *cfg, FILE *f)
{
	char msg[64];

	for (const struct conf_section *s = sections; s->name; s++) {
		if (!s->repeated) {
			const void *base = s->open ? s->open((void *)cfg, NULL,
			                                     msg, sizeof(msg))
			                           : cfg;

			if (base == NULL)
				continue;
			fprintf(f, "[%s]\n", s->name);
			dump_opts(s->opts, base, f);
			fputc('\n', f);
			continue;
		}
		if (s->count == NULL || s->get == NULL)
			continue;
		for (size_t i = 0, n = s->count(cfg); i < n; i++) {
			const char *inst = "";
			const void *base = s->get(cfg, i, &inst);

			fprintf(f, "[%s %s]\n", s->name, inst);
			dump_opts(s->opts, base, f);
			fputc('\n', f);
		}
	}
}
