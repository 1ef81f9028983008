/*
 * logrules.c: log-line signals and the bounded line splitter.  Pure.
 */
#include "pilot/logrules.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "common/util.h"

enum { P_LIT, P_NUM, P_HASH };

static const char *const signal_names[LOGRULE_SIGNAL_COUNT] = {
    [LOGRULE_MAJOR_SYNC_ON] = "major_sync_on",
    [LOGRULE_MAJOR_SYNC_OFF] = "major_sync_off",
    [LOGRULE_PRODUCED] = "produced",
    [LOGRULE_SESSION] = "session",
    [LOGRULE_IMPORTED] = "imported",
};

static const char *const default_rules[] = {
    "major_sync_on: Switched to major sync state.",
    "major_sync_off: No longer in major sync state.",
    "session: Running session {n}.",
    "produced: Prepared block for proposing at {n}",
    "imported: Imported #{n} ({hash}",
    "imported: Imported: #{n} ({hash}",
    "imported: best: #{n} ({hash}",
};

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *
logrule_signal_str(enum logrule_signal s)
{
	if ((unsigned)s >= LOGRULE_SIGNAL_COUNT)
		return "?";
	return signal_names[s];
}

int
logrule_signal_from_str(const char *s, size_t len)
{
	int i;

	for (i = 0; i < LOGRULE_SIGNAL_COUNT; i++)
		if (strlen(signal_names[i]) == len &&
		    memcmp(s, signal_names[i], len) == 0)
			return i;
	return -1;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Cut text into pieces: literals ({{ and }} are braces), {n}, {hash}. */
static int
compile(struct logrule *r, char *err, size_t errlen)
{
	const char *p = r->text;
	size_t lo = 0;
	bool have_num = false, have_hash = false;

	r->npieces = 0;
	while (*p != '\0') {
		unsigned kind;

		if (p[0] == '{' && p[1] != '{') {
			if (strncmp(p, "{n}", 3) == 0) {
				kind = P_NUM;
				p += 3;
			} else if (strncmp(p, "{hash}", 6) == 0) {
				kind = P_HASH;
				p += 6;
			} else {
				fail(err, errlen,
				     "unknown capture at '%.20s' in '%s' (use "
				     "{n}, {hash}, or {{ for a brace)",
				     p, r->text);
				return -1;
			}
			if (r->npieces == 0) {
				fail(err, errlen,
				     "pattern must start with literal text: "
				     "'%s'",
				     r->text);
				return -1;
			}
			if (r->piece[r->npieces - 1].kind != P_LIT) {
				fail(err, errlen,
				     "captures need literal text between them: "
				     "'%s'",
				     r->text);
				return -1;
			}
			if ((kind == P_NUM && have_num) ||
			    (kind == P_HASH && have_hash)) {
				fail(err, errlen, "%s captured twice in '%s'",
				     kind == P_NUM ? "{n}" : "{hash}", r->text);
				return -1;
			}
			have_num |= kind == P_NUM;
			have_hash |= kind == P_HASH;
			r->piece[r->npieces].kind = (uint8_t)kind;
			r->piece[r->npieces].off = 0;
			r->piece[r->npieces].len = 0;
			r->npieces++;
			continue;
		}
		/* a literal byte; open a literal piece if needed */
		if (r->npieces == 0 || r->piece[r->npieces - 1].kind != P_LIT) {
			if (r->npieces == UTIL_NELEM(r->piece)) {
				fail(err, errlen, "too many pieces in '%s'",
				     r->text);
				return -1;
			}
			r->piece[r->npieces].kind = P_LIT;
			r->piece[r->npieces].off = (uint16_t)lo;
			r->piece[r->npieces].len = 0;
			r->npieces++;
		}
		r->lit[lo++] = *p; /* lo < strlen(text): always fits */
		r->piece[r->npieces - 1].len++;
		p += (p[0] == '{' || (p[0] == '}' && p[1] == '}')) ? 2 : 1;
	}
	if (r->npieces == 0) {
		fail(err, errlen, "empty pattern");
		return -1;
	}
	switch (r->signal) {
	case LOGRULE_SESSION:
	case LOGRULE_IMPORTED:
		if (!have_num) {
			fail(err, errlen, "%s needs a {n} capture: '%s'",
			     signal_names[r->signal], r->text);
			return -1;
		}
		break;
	case LOGRULE_MAJOR_SYNC_ON:
	case LOGRULE_MAJOR_SYNC_OFF:
		if (have_num || have_hash) {
			fail(err, errlen, "%s takes no capture: '%s'",
			     signal_names[r->signal], r->text);
			return -1;
		}
		break;
	default:
		break;
	}
	if (have_hash && r->signal != LOGRULE_IMPORTED) {
		fail(err, errlen, "{hash} only applies to imported: '%s'",
		     r->text);
		return -1;
	}
	return 0;
}

int
logrules_parse_rule(const char *val, struct logrule *out, char *err,
                    size_t errlen)
{
	const char *colon, *name, *pat;
	size_t nlen, plen;
	int sig;

	memset(out, 0, sizeof(*out));
	if (val == NULL || (colon = strchr(val, ':')) == NULL) {
		fail(err, errlen, "expected 'signal: pattern', got '%s'",
		     val ? val : "");
		return -1;
	}
	for (name = val; is_space(*name); name++)
		;
	for (nlen = (size_t)(colon - name);
	     nlen > 0 && is_space(name[nlen - 1]); nlen--)
		;
	sig = logrule_signal_from_str(name, nlen);
	if (sig < 0) {
		fail(err, errlen,
		     "unknown signal '%.*s' (one of major_sync_on, "
		     "major_sync_off, produced, session, imported)",
		     (int)(nlen > 40 ? 40 : nlen), name);
		return -1;
	}
	for (pat = colon + 1; is_space(*pat); pat++)
		;
	for (plen = strlen(pat); plen > 0 && is_space(pat[plen - 1]); plen--)
		;
	if (plen == 0) {
		fail(err, errlen, "empty pattern in '%s'", val);
		return -1;
	}
	if (plen >= sizeof(out->text)) {
		fail(err, errlen, "pattern longer than %zu bytes: '%.40s...'",
		     sizeof(out->text) - 1, pat);
		return -1;
	}
	out->signal = (enum logrule_signal)sig;
	memcpy(out->text, pat, plen);
	out->text[plen] = '\0';
	return compile(out, err, errlen);
}

void
logrules_init(struct logrules *r)
{
	memset(r, 0, sizeof(*r));
}

int
logrules_add(struct logrules *r, const struct logrule *rule)
{
	if (r->n >= LOGRULES_MAX)
		return -1;
	r->rule[r->n++] = *rule;
	return 0;
}

void
logrules_add_defaults(struct logrules *r)
{
	struct logrule rule;
	size_t i;

	for (i = 0; i < UTIL_NELEM(default_rules); i++)
		if (logrules_parse_rule(default_rules[i], &rule, NULL, 0) == 0)
			(void)logrules_add(r, &rule);
}

int
logrules_conf_parse(void *field, const char *val, char *err, size_t errlen)
{
	struct logrules *r = field;
	struct logrule rule;

	if (logrules_parse_rule(val, &rule, err, errlen) != 0)
		return -1;
	if (logrules_add(r, &rule) != 0) {
		fail(err, errlen, "more than %d log rules: '%s'", LOGRULES_MAX,
		     val);
		return -1;
	}
	return 0;
}

void
logrules_conf_print(const void *field, FILE *f)
{
	const struct logrules *r = field;
	unsigned i;

	if (r->n == 0)
		fprintf(f, "(none)");
	for (i = 0; i < r->n; i++)
		fprintf(f, "%s%s: %s", i ? "\n" LOGRULES_CONF_KEY " = " : "",
		        signal_names[r->rule[i].signal], r->rule[i].text);
}

/* ---- matching ---- */

struct capture {
	bool has_num;
	uint64_t num;
	size_t hash_len;
	char hash[LOGRULES_HASH_MAX];
};

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/*
 * A hash as nodes print it: "0x" and hex, possibly shortened with "." or
 * "…" (UTF-8 E2 80 A6).  Returns its length, 0 if none, and refuses one
 * longer than the capture buffer rather than cutting it.
 */
static size_t
scan_hash(const char *s, size_t n)
{
	size_t i = 2;

	if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    !is_hex((unsigned char)s[2]))
		return 0;
	while (i < n) {
		if (is_hex((unsigned char)s[i]) || s[i] == '.')
			i++;
		else if (n - i >= 3 && memcmp(s + i, "\xe2\x80\xa6", 3) == 0)
			i += 3;
		else
			break;
	}
	return i < LOGRULES_HASH_MAX ? i : 0;
}

/* Match the pieces after the first literal from pos. */
static bool
match_rest(const struct logrule *r, const char *line, size_t len, size_t pos,
           struct capture *cap)
{
	unsigned i;

	for (i = 1; i < r->npieces; i++) {
		size_t l = r->piece[i].len, h;
		uint64_t v = 0;
		size_t d = 0;

		switch (r->piece[i].kind) {
		case P_LIT:
			if (len - pos < l ||
			    memcmp(line + pos, r->lit + r->piece[i].off, l) !=
			        0)
				return false;
			pos += l;
			break;
		case P_NUM:
			while (pos < len && line[pos] >= '0' &&
			       line[pos] <= '9') {
				unsigned dig = (unsigned)(line[pos] - '0');

				/* an overflowing number is no height */
				if (v > (UINT64_MAX - dig) / 10)
					return false;
				v = v * 10 + dig;
				pos++;
				d++;
			}
			if (d == 0)
				return false;
			cap->has_num = true;
			cap->num = v;
			break;
		case P_HASH:
			h = scan_hash(line + pos, len - pos);
			if (h == 0)
				return false;
			memcpy(cap->hash, line + pos, h);
			cap->hash[h] = '\0';
			cap->hash_len = h;
			pos += h;
			break;
		}
	}
	return true;
}

static bool
match(const struct logrule *r, const char *line, size_t len,
      struct capture *cap)
{
	const char *first = r->lit + r->piece[0].off;
	size_t flen = r->piece[0].len, pos = 0;
	const char *hit;

	while (pos < len &&
	       (hit = memmem(line + pos, len - pos, first, flen)) != NULL) {
		size_t at = (size_t)(hit - line);

		memset(cap, 0, sizeof(*cap));
		if (match_rest(r, line, len, at + flen, cap))
			return true;
		pos = at + 1;
	}
	return false;
}

static void
apply(const struct logrule *r, struct logrules_state *st,
      const struct capture *cap, uint64_t now_ms)
{
	switch (r->signal) {
	case LOGRULE_MAJOR_SYNC_ON:
		st->major_sync = true;
		break;
	case LOGRULE_MAJOR_SYNC_OFF:
		st->major_sync = false;
		break;
	case LOGRULE_PRODUCED:
		st->producing = true;
		st->produced_ms = now_ms;
		if (cap->has_num)
			st->produced_height = cap->num;
		break;
	case LOGRULE_SESSION:
		/* "producing" means in this session: a new one clears it */
		if (!st->session_known || st->session != cap->num)
			st->producing = false;
		st->session_known = true;
		st->session = cap->num;
		break;
	case LOGRULE_IMPORTED:
		st->imported_height = cap->num;
		memcpy(st->imported_hash, cap->hash, cap->hash_len + 1);
		st->last_import_ms = now_ms;
		break;
	default:
		break;
	}
}

unsigned
logrules_feed(const struct logrules *r, struct logrules_state *st,
              const char *line, size_t len, uint64_t now_ms)
{
	struct capture cap;
	unsigned i, fired = 0;

	st->lines++;
	for (i = 0; i < r->n && i < LOGRULES_MAX; i++) {
		const struct logrule *rule = &r->rule[i];

		if (rule->npieces == 0 || rule->piece[0].kind != P_LIT)
			continue; /* not compiled */
		if (!match(rule, line, len, &cap))
			continue;
		apply(rule, st, &cap, now_ms);
		fired |= 1u << rule->signal;
	}
	if (fired)
		st->matched++;
	return fired;
}

/* ---- splitter ---- */

enum { ESC_NONE, ESC_SEEN, ESC_CSI };

void
logsplit_init(struct logsplit *sp, size_t max)
{
	memset(sp, 0, offsetof(struct logsplit, buf));
	if (max == 0)
		max = LOGSPLIT_LINE_DEFAULT;
	sp->max = max < LOGSPLIT_LINE_MAX ? max : LOGSPLIT_LINE_MAX;
}

void
logsplit_reset(struct logsplit *sp)
{
	sp->len = 0;
	sp->cutting = false;
	sp->esc = ESC_NONE;
}

static void
emit(struct logsplit *sp, logsplit_fn *fn, void *arg)
{
	size_t n = sp->len;

	while (n > 0 && sp->buf[n - 1] == '\r')
		n--;
	sp->lines++;
	sp->len = 0;
	fn(arg, sp->buf, n);
}

void
logsplit_feed(struct logsplit *sp, const void *data, size_t len,
              logsplit_fn *fn, void *arg)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '\n') {
			sp->esc = ESC_NONE; /* a broken escape ends here */
			if (sp->cutting)
				sp->cutting = false;
			else
				emit(sp, fn, arg);
			continue;
		}
		/* ANSI colours (nodes on a tty): ESC [ params final */
		if (sp->esc == ESC_SEEN) {
			sp->esc = c == '[' ? ESC_CSI : ESC_NONE;
			continue;
		}
		if (sp->esc == ESC_CSI) {
			if (c >= 0x40 && c <= 0x7e)
				sp->esc = ESC_NONE;
			continue;
		}
		if (c == 0x1b) {
			sp->esc = ESC_SEEN;
			continue;
		}
		if (sp->cutting)
			continue;
		if (sp->len == sp->max) {
			/* overlong: hand over the head, drop the rest */
			sp->truncated++;
			emit(sp, fn, arg);
			sp->cutting = true;
			continue;
		}
		sp->buf[sp->len++] = (char)c;
	}
}

void
logsplit_flush(struct logsplit *sp, logsplit_fn *fn, void *arg)
{
	if (sp->len > 0 && !sp->cutting)
		emit(sp, fn, arg);
	logsplit_reset(sp);
}

struct chunk_ctx {
	const struct logrules *r;
	struct logrules_state *st;
	uint64_t now_ms;
	unsigned fired;
};

static void
chunk_line(void *arg, const char *line, size_t len)
{
	struct chunk_ctx *c = arg;

	c->fired |= logrules_feed(c->r, c->st, line, len, c->now_ms);
}

unsigned
logrules_feed_chunk(const struct logrules *r, struct logrules_state *st,
                    struct logsplit *sp, const void *data, size_t len,
                    uint64_t now_ms)
{
	struct chunk_ctx c = {r, st, now_ms, 0};

	logsplit_feed(sp, data, len, chunk_line, &c);
	return c.fired;
}
