/*
 * codec.c: proto_msg <-> JSON, driven by one field table per object so that
 * the encoder, the decoder and PROTOCOL.md describe the same schema.
 *
 * Decoding uses cJSON after a cheap pre-scan that bounds nesting and refuses
 * raw control bytes and "\u0000" (cJSON would silently cut a string there).
 * Encoding is a small bounded writer instead of a cJSON tree: no allocation
 * per field, and the output is exactly what the table says.
 *
 * 64-bit integers travel as decimal strings ("18446744073709551615"):
 * JSON numbers are doubles in most clients and lose precision above 2^53.
 * The decoder also takes a plain JSON integer below 2^53 for them: every
 * double in that range is an exact integer, so nothing was rounded.
 */
#include "proto/codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define CODEC_MAX_DEPTH 8   /* the schema needs 4; room for new fields */
#define PATH_LEN        128 /* "cmds[7].watermark.height" */
#define SAFE_INT_MAX    9007199254740991.0 /* 2^53 - 1, JavaScript's too */

enum fkind {
	F_U64,    /* decimal string, or a JSON integer below 2^53 */
	F_U32,    /* JSON integer in [min, max] */
	F_I32,    /* JSON integer in [min, max] */
	F_BOOL,   /* true / false */
	F_NAME,   /* printable ASCII without spaces: names, ids, hashes */
	F_TEXT,   /* UTF-8 without control characters: human text */
	F_CHAIN,  /* enum proto_chain by name */
	F_ROLE,   /* enum proto_role by name */
	F_VERB,   /* enum proto_verb by name */
	F_SIGN,   /* object: struct proto_sign_state */
	F_STATUS, /* object: struct proto_status */
	F_CMDS,   /* array of struct proto_cmd, in struct proto_reply */
};

#define REQ      0x1 /* must be present */
#define NONEMPTY 0x2 /* string must not be "" */

struct field {
	const char *name;
	enum fkind kind;
	size_t off;  /* from the start of the decoded struct */
	size_t size; /* strings: the array, NUL included */
	int64_t min; /* numbers: inclusive bounds */
	uint64_t max;
	unsigned flags;
};

struct schema {
	const struct field *f;
	size_t n;
};

#define FLD(st, nm, k, fl)                                                     \
	{                                                                      \
		.name = #nm, .kind = (k), .off = offsetof(st, nm),             \
		.size = sizeof(((st *)0)->nm), .min = 0, .max = UINT64_MAX,    \
		.flags = (fl)                                                  \
	}
#define NUM(st, nm, k, lo, hi, fl)                                             \
	{                                                                      \
		.name = #nm, .kind = (k), .off = offsetof(st, nm),             \
		.size = sizeof(((st *)0)->nm), .min = (lo), .max = (hi),       \
		.flags = (fl)                                                  \
	}

static const struct field sign_f[] = {
    FLD(struct proto_sign_state, height, F_U64, REQ),
    NUM(struct proto_sign_state, round, F_I32, 0, INT32_MAX, REQ),
    NUM(struct proto_sign_state, step, F_I32, 0, 3, REQ),
};

static const struct field hello_f[] = {
    FLD(struct proto_hello, node, F_NAME, REQ | NONEMPTY),
    FLD(struct proto_hello, version, F_TEXT, REQ),
    FLD(struct proto_hello, chain, F_CHAIN, REQ),
    FLD(struct proto_hello, role, F_ROLE, REQ),
    FLD(struct proto_hello, network, F_NAME, REQ),
    FLD(struct proto_hello, group, F_NAME, 0),
};

static const struct field status_f[] = {
    FLD(struct proto_status, time_ms, F_U64, REQ),
    FLD(struct proto_status, up, F_BOOL, REQ),
    FLD(struct proto_status, reachable, F_BOOL, REQ),
    FLD(struct proto_status, syncing, F_BOOL, REQ),
    FLD(struct proto_status, height, F_U64, REQ),
    FLD(struct proto_status, height_seen_ms, F_U64, 0),
    FLD(struct proto_status, tip_hash, F_NAME, 0),
    FLD(struct proto_status, ref_height, F_U64, 0),
    NUM(struct proto_status, refs_ok, F_U32, 0, UINT32_MAX, 0),
    NUM(struct proto_status, peers, F_U32, 0, UINT32_MAX, 0),
    FLD(struct proto_status, peers_known, F_BOOL, 0),
    NUM(struct proto_status, restarts, F_U32, 0, UINT32_MAX, 0),
    FLD(struct proto_status, decision, F_TEXT, 0),
    FLD(struct proto_status, error, F_TEXT, 0),
    NUM(struct proto_status, disk_used_pct, F_U32, 0, 100, 0),
    NUM(struct proto_status, mem_used_pct, F_U32, 0, 100, 0),
    NUM(struct proto_status, load1_x100, F_U32, 0, UINT32_MAX, 0),
    FLD(struct proto_status, signing, F_BOOL, 0),
    FLD(struct proto_status, lease_epoch, F_U64, 0),
    FLD(struct proto_status, sign, F_SIGN, 0),
};

static const struct field hb_f[] = {
    FLD(struct proto_heartbeat, seq, F_U64, REQ),
    FLD(struct proto_heartbeat, st, F_STATUS, REQ),
    FLD(struct proto_heartbeat, restart_wanted, F_BOOL, 0),
    FLD(struct proto_heartbeat, restart_reason, F_TEXT, 0),
    FLD(struct proto_heartbeat, demoted_epoch, F_U64, 0),
};

#define TTL_MAX      3600000u  /* 1 h: a lease is renewed every heartbeat */
#define INTERVAL_MAX 86400000u /* 1 d */

static const struct field cmd_f[] = {
    FLD(struct proto_cmd, verb, F_VERB, REQ),
    FLD(struct proto_cmd, group, F_NAME, 0),
    FLD(struct proto_cmd, epoch, F_U64, 0),
    NUM(struct proto_cmd, ttl_ms, F_U32, 0, TTL_MAX, 0),
    FLD(struct proto_cmd, watermark, F_SIGN, 0),
    FLD(struct proto_cmd, reason, F_TEXT, 0),
};
/* indices into cmd_f, for the per-verb rules */
enum { CMD_VERB, CMD_GROUP, CMD_EPOCH, CMD_TTL, CMD_WATERMARK, CMD_REASON };

static const struct field reply_f[] = {
    NUM(struct proto_reply, status, F_I32, 0, INT32_MAX, REQ),
    FLD(struct proto_reply, fleet_ref_height, F_U64, 0),
    NUM(struct proto_reply, interval_ms, F_U32, 0, INTERVAL_MAX, 0),
    FLD(struct proto_reply, cmds, F_CMDS, 0),
};

#define SCHEMA(a) ((struct schema){(a), sizeof(a) / sizeof((a)[0])})

static const struct schema *
body_schema(enum proto_type t)
{
	static const struct schema hello = SCHEMA(hello_f);
	static const struct schema hb = SCHEMA(hb_f);
	static const struct schema reply = SCHEMA(reply_f);

	switch (t) {
	case PROTO_HELLO:
		return &hello;
	case PROTO_HEARTBEAT:
		return &hb;
	case PROTO_REPLY:
		return &reply;
	}
	return NULL;
}

static const struct schema *
sub_schema(enum fkind k)
{
	static const struct schema sign = SCHEMA(sign_f);
	static const struct schema status = SCHEMA(status_f);
	static const struct schema cmd = SCHEMA(cmd_f);

	switch (k) {
	case F_SIGN:
		return &sign;
	case F_STATUS:
		return &status;
	case F_CMDS:
		return &cmd;
	default:
		return NULL;
	}
}

/* ---- shared rules ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* NULL if s is a valid value of kind k, else why not. */
static const char *
string_problem(enum fkind k, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, l;

	for (i = 0; i < len; i += l) {
		if (k == F_NAME) {
			if (u[i] < 0x21 || u[i] > 0x7e)
				return "only printable ASCII without spaces "
				       "is allowed";
			l = 1;
			continue;
		}
		if (u[i] < 0x20 || u[i] == 0x7f)
			return "control character";
		if ((l = utf8_len(u + i, len - i)) == 0)
			return "invalid UTF-8";
	}
	return NULL;
}

/*
 * Rules that span fields of a command: a lease command names its group and
 * epoch, and a grant its ttl and watermark, so a pilot never acts on a
 * half-filled lease.  present: bit i set when cmd_f[i] was given.
 */
static const char *
cmd_problem(const struct proto_cmd *c, uint64_t present)
{
	if (c->verb != VERB_LEASE_GRANT && c->verb != VERB_LEASE_REVOKE)
		return NULL;
	if (!(present & (1u << CMD_GROUP)) || c->group[0] == '\0')
		return "group: required by lease commands";
	if (!(present & (1u << CMD_EPOCH)) || c->epoch == 0)
		return "epoch: lease commands need an epoch >= 1";
	if (c->verb == VERB_LEASE_REVOKE)
		return NULL;
	if (!(present & (1u << CMD_TTL)) || c->ttl_ms == 0)
		return "ttl_ms: lease_grant needs a ttl >= 1";
	if (!(present & (1u << CMD_WATERMARK)))
		return "watermark: required by lease_grant";
	return NULL;
}

/* ---- encoder ---- */

struct jw {
	char *buf;
	size_t cap, len;
	int rc; /* first error */
};

static void
jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->rc != 0)
		return;
	if (n > w->cap - w->len) {
		w->rc = -ENOSPC;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
jw_s(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

static void jw_fmt(struct jw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
jw_fmt(struct jw *w, const char *fmt, ...)
{
	char tmp[48];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		w->rc = w->rc ? w->rc : -EINVAL;
		return;
	}
	jw_raw(w, tmp, (size_t)n);
}

static void
jw_fail(struct jw *w, int rc)
{
	if (w->rc == 0)
		w->rc = rc;
}

/*
 * A JSON string.  Names were checked by the caller.  Text is informative
 * (probe errors can quote a node's output), so a control character becomes
 * a space and a byte that is not UTF-8 a '?': a heartbeat must not fail
 * because a node printed a newline.
 */
static void
jw_str(struct jw *w, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, start, l;

	jw_raw(w, "\"", 1);
	for (i = start = 0; i < len; i += l) {
		const char *rep = NULL;

		l = 1;
		if (u[i] == '"')
			rep = "\\\"";
		else if (u[i] == '\\')
			rep = "\\\\";
		else if (u[i] < 0x20 || u[i] == 0x7f)
			rep = " ";
		else if ((l = utf8_len(u + i, len - i)) == 0) {
			rep = "?";
			l = 1;
		}
		if (rep != NULL) {
			jw_raw(w, s + start, i - start);
			jw_s(w, rep);
			start = i + l;
		}
	}
	jw_raw(w, s + start, len - start);
	jw_raw(w, "\"", 1);
}

static void enc_obj(struct jw *w, const struct schema *sc, const void *base);

static void
enc_field(struct jw *w, const struct field *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	const char *name;
	uint64_t u;
	int64_t i;
	size_t len, k;

	jw_raw(w, "\"", 1);
	jw_s(w, f->name);
	jw_raw(w, "\":", 2);
	switch (f->kind) {
	case F_U64:
		memcpy(&u, p, sizeof(u));
		if (u < (uint64_t)f->min || u > f->max)
			jw_fail(w, -EINVAL);
		jw_fmt(w, "\"%" PRIu64 "\"", u);
		break;
	case F_U32:
		u = *(const uint32_t *)(const void *)p;
		if (u < (uint64_t)f->min || u > f->max)
			jw_fail(w, -EINVAL);
		jw_fmt(w, "%" PRIu64, u);
		break;
	case F_I32:
		i = *(const int32_t *)(const void *)p;
		if (i < f->min || (i > 0 && (uint64_t)i > f->max))
			jw_fail(w, -EINVAL);
		jw_fmt(w, "%" PRId64, i);
		break;
	case F_BOOL:
		jw_s(w, *(const bool *)(const void *)p ? "true" : "false");
		break;
	case F_NAME:
	case F_TEXT:
		len = strnlen(p, f->size);
		if (len == f->size || ((f->flags & NONEMPTY) && len == 0) ||
		    (f->kind == F_NAME && string_problem(F_NAME, p, len)))
			jw_fail(w, -EINVAL);
		jw_str(w, p, len);
		break;
	case F_CHAIN:
	case F_ROLE:
	case F_VERB:
		i = *(const int *)(const void *)p;
		if (f->kind == F_CHAIN && proto_chain_valid((int)i))
			name = proto_chain_str((enum proto_chain)i);
		else if (f->kind == F_ROLE && proto_role_valid((int)i))
			name = proto_role_str((enum proto_role)i);
		else if (f->kind == F_VERB && proto_verb_valid((int)i))
			name = proto_verb_str((enum proto_verb)i);
		else {
			jw_fail(w, -EINVAL);
			break;
		}
		jw_str(w, name, strlen(name));
		break;
	case F_SIGN:
	case F_STATUS:
		enc_obj(w, sub_schema(f->kind), p);
		break;
	case F_CMDS: {
		const struct proto_reply *r = base;

		if (r->ncmds > PROTO_MAX_CMDS) {
			jw_fail(w, -EINVAL);
			break;
		}
		jw_raw(w, "[", 1);
		for (k = 0; k < r->ncmds; k++) {
			if (k > 0)
				jw_raw(w, ",", 1);
			if (cmd_problem(&r->cmds[k], UINT64_MAX) != NULL)
				jw_fail(w, -EINVAL);
			enc_obj(w, sub_schema(F_CMDS), &r->cmds[k]);
		}
		jw_raw(w, "]", 1);
		break;
	}
	}
}

static void
enc_fields(struct jw *w, const struct schema *sc, const void *base)
{
	size_t i;

	for (i = 0; i < sc->n; i++) {
		jw_raw(w, ",", 1);
		enc_field(w, &sc->f[i], base);
	}
}

static void
enc_obj(struct jw *w, const struct schema *sc, const void *base)
{
	size_t i;

	jw_raw(w, "{", 1);
	for (i = 0; i < sc->n; i++) {
		if (i > 0)
			jw_raw(w, ",", 1);
		enc_field(w, &sc->f[i], base);
	}
	jw_raw(w, "}", 1);
}

int
codec_encode(const struct proto_msg *m, char *buf, size_t cap, size_t *len)
{
	struct jw w = {.buf = buf, .cap = cap};
	const struct schema *sc;

	if (!proto_type_valid((int)m->type) ||
	    (sc = body_schema(m->type)) == NULL)
		return -EINVAL;
	if (m->type == PROTO_REPLY && !proto_status_valid(m->u.reply.status))
		return -EINVAL;
	jw_fmt(&w, "{\"v\":%d,\"type\":", PROTO_VERSION);
	jw_str(&w, proto_type_str(m->type), strlen(proto_type_str(m->type)));
	enc_fields(&w, sc, &m->u);
	jw_raw(&w, "}", 1);
	if (w.rc == 0 && w.len > CODEC_MAX_JSON)
		w.rc = -EINVAL;
	if (w.rc != 0)
		return w.rc;
	*len = w.len;
	return 0;
}

/* ---- decoder ---- */

struct derr {
	char *buf;
	size_t len;
	char path[PATH_LEN]; /* scratch for pstr() */
};

/*
 * Where a value sits, as a chain up to the message: built on the stack as
 * the decoder descends and printed only when something is refused (a
 * snprintf per field would cost more than the parse).
 */
struct path {
	const struct path *up;
	const char *name; /* member name; NULL for an array element */
	unsigned index;
};

static size_t
path_fmt(const struct path *p, char *buf, size_t len)
{
	size_t n;
	int w;

	if (p == NULL)
		return 0;
	n = path_fmt(p->up, buf, len);
	if (n >= len)
		return n;
	if (p->name != NULL)
		w = snprintf(buf + n, len - n, "%s%s", n ? "." : "", p->name);
	else
		w = snprintf(buf + n, len - n, "[%u]", p->index);
	return n + (w > 0 ? (size_t)w : 0);
}

static const char *
pstr(struct derr *e, const struct path *p)
{
	e->path[0] = '\0';
	path_fmt(p, e->path, sizeof(e->path));
	return e->path[0] ? e->path : "message";
}

static int fail(struct derr *e, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct derr *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (e->buf != NULL && e->len > 0) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/*
 * Before cJSON sees the bytes: bound the nesting (cJSON recurses up to
 * 1000 levels), refuse raw control bytes (invalid JSON that cJSON lets into
 * strings) and the \u0000 escape (cJSON would end the C string there, so a
 * name could silently change).
 */
static int
prescan(const char *buf, size_t len, struct derr *e)
{
	const unsigned char *u = (const unsigned char *)buf;
	bool in_str = false;
	size_t i, depth = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = u[i];

		if (in_str) {
			if (c < 0x20)
				return fail(
				    e, -EBADMSG,
				    "control byte 0x%02x in a string at "
				    "offset %zu",
				    c, i);
			if (c == '"')
				in_str = false;
			else if (c == '\\' && i + 1 < len) {
				if (u[i + 1] == 'u' && i + 5 < len &&
				    memcmp(u + i + 2, "0000", 4) == 0)
					return fail(
					    e, -EBADMSG,
					    "\\u0000 in a string at offset "
					    "%zu",
					    i);
				i++;
			}
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			break;
		case '{':
		case '[':
			if (++depth > CODEC_MAX_DEPTH)
				return fail(e, -EBADMSG,
				            "nested deeper than %d levels",
				            CODEC_MAX_DEPTH);
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				return fail(
				    e, -EBADMSG,
				    "byte 0x%02x outside a string at offset "
				    "%zu",
				    c, i);
		}
	}
	return 0;
}

/* "0" or [1-9][0-9]* up to UINT64_MAX; nothing else (no sign, no space). */
static int
parse_u64_strict(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A JSON number that is an integer in [lo, hi] (hi < 2^53). */
static int
json_int(const cJSON *it, double lo, double hi, int64_t *out)
{
	double d;

	if (!cJSON_IsNumber(it))
		return -EINVAL;
	d = it->valuedouble;
	if (!(d >= lo && d <= hi)) /* also refuses NaN and infinities */
		return -ERANGE;
	if ((double)(int64_t)d != d)
		return -EINVAL;
	*out = (int64_t)d;
	return 0;
}

static int dec_obj(const cJSON *obj, const struct schema *sc, void *base,
                   const struct path *path, struct derr *e, uint64_t *present);

static int
dec_cmds(const cJSON *arr, struct proto_reply *r, const struct path *path,
         struct derr *e)
{
	struct path sub = {.up = path};
	const cJSON *it;
	uint64_t present;
	const char *why;
	int rc;

	if (!cJSON_IsArray(arr))
		return fail(e, -EBADMSG, "%s: expected an array",
		            pstr(e, path));
	for (it = arr->child; it != NULL; it = it->next) {
		if (r->ncmds == PROTO_MAX_CMDS)
			return fail(e, -EBADMSG, "%s: more than %d commands",
			            pstr(e, path), PROTO_MAX_CMDS);
		sub.index = r->ncmds;
		rc = dec_obj(it, sub_schema(F_CMDS), &r->cmds[r->ncmds], &sub,
		             e, &present);
		if (rc != 0)
			return rc;
		if ((why = cmd_problem(&r->cmds[r->ncmds], present)) != NULL)
			return fail(e, -EBADMSG, "%s.%s", pstr(e, &sub), why);
		r->ncmds++;
	}
	return 0;
}

static int
dec_field(const struct field *f, const cJSON *it, void *base,
          const struct path *path, struct derr *e)
{
	char *p = (char *)base + f->off;
	const char *why;
	uint64_t u;
	int64_t i;
	size_t len;
	int rc, v;

	switch (f->kind) {
	case F_U64:
		if (cJSON_IsString(it)) {
			rc = parse_u64_strict(it->valuestring, &u);
			if (rc == -ERANGE)
				return fail(e, -EBADMSG,
				            "%s: out of range for 64 bits",
				            pstr(e, path));
			if (rc != 0)
				return fail(e, -EBADMSG,
				            "%s: expected a decimal string",
				            pstr(e, path));
		} else if ((rc = json_int(it, 0, SAFE_INT_MAX, &i)) == 0)
			u = (uint64_t)i;
		else
			return fail(
			    e, -EBADMSG, "%s: expected a decimal string%s",
			    pstr(e, path),
			    rc == -ERANGE ? " (numbers from 2^53 up lose "
			                    "precision)"
			                  : "");
		if (u < (uint64_t)f->min || u > f->max)
			return fail(e, -EBADMSG, "%s: out of range",
			            pstr(e, path));
		memcpy(p, &u, sizeof(u));
		return 0;
	case F_U32:
	case F_I32:
		rc = json_int(it, (double)f->min, (double)f->max, &i);
		if (rc == -ERANGE)
			return fail(e, -EBADMSG,
			            "%s: out of range [%" PRId64 ", %" PRIu64
			            "]",
			            pstr(e, path), f->min, f->max);
		if (rc != 0)
			return fail(e, -EBADMSG, "%s: expected an integer",
			            pstr(e, path));
		if (f->kind == F_U32)
			*(uint32_t *)(void *)p = (uint32_t)i;
		else
			*(int32_t *)(void *)p = (int32_t)i;
		return 0;
	case F_BOOL:
		if (!cJSON_IsBool(it))
			return fail(e, -EBADMSG, "%s: expected true or false",
			            pstr(e, path));
		*(bool *)(void *)p = cJSON_IsTrue(it);
		return 0;
	case F_NAME:
	case F_TEXT:
		if (!cJSON_IsString(it) || it->valuestring == NULL)
			return fail(e, -EBADMSG, "%s: expected a string",
			            pstr(e, path));
		len = strlen(it->valuestring);
		if (len >= f->size)
			return fail(e, -EBADMSG,
			            "%s: %zu bytes, longer than %zu",
			            pstr(e, path), len, f->size - 1);
		if ((f->flags & NONEMPTY) && len == 0)
			return fail(e, -EBADMSG, "%s: must not be empty",
			            pstr(e, path));
		if ((why = string_problem(f->kind, it->valuestring, len)))
			return fail(e, -EBADMSG, "%s: %s", pstr(e, path), why);
		memcpy(p, it->valuestring, len + 1);
		return 0;
	case F_CHAIN:
	case F_ROLE:
	case F_VERB:
		if (!cJSON_IsString(it) || it->valuestring == NULL)
			return fail(e, -EBADMSG, "%s: expected a string",
			            pstr(e, path));
		if (f->kind == F_CHAIN)
			rc = proto_chain_parse(it->valuestring,
			                       (enum proto_chain *)(void *)p);
		else if (f->kind == F_ROLE)
			rc = proto_role_parse(it->valuestring,
			                      (enum proto_role *)(void *)p);
		else
			rc = proto_verb_parse(it->valuestring,
			                      (enum proto_verb *)(void *)p);
		if (rc != 0) {
			v = (int)strnlen(it->valuestring, 32);
			return fail(e, -EBADMSG, "%s: unknown value '%.*s'",
			            pstr(e, path), v, it->valuestring);
		}
		return 0;
	case F_SIGN:
	case F_STATUS:
		return dec_obj(it, sub_schema(f->kind), p, path, e, &u);
	case F_CMDS:
		return dec_cmds(it, base, path, e);
	}
	return fail(e, -EBADMSG, "%s: internal: bad field kind", pstr(e, path));
}

/*
 * Fill base from obj by the table.  Unknown members are skipped so that a
 * newer peer can add fields; a known member given twice is refused, since
 * two parsers could disagree on which one counts.
 */
static int
dec_obj(const cJSON *obj, const struct schema *sc, void *base,
        const struct path *path, struct derr *e, uint64_t *present)
{
	struct path sub = {.up = path};
	const cJSON *it;
	uint64_t seen = 0;
	size_t i;
	int rc;

	if (!cJSON_IsObject(obj))
		return fail(e, -EBADMSG, "%s: expected an object",
		            pstr(e, path));
	for (it = obj->child; it != NULL; it = it->next) {
		if (it->string == NULL)
			continue;
		for (i = 0; i < sc->n; i++)
			if (strcmp(it->string, sc->f[i].name) == 0)
				break;
		if (i == sc->n)
			continue;
		sub.name = sc->f[i].name;
		if (seen & ((uint64_t)1 << i))
			return fail(e, -EBADMSG, "%s: given twice",
			            pstr(e, &sub));
		seen |= (uint64_t)1 << i;
		if ((rc = dec_field(&sc->f[i], it, base, &sub, e)) != 0)
			return rc;
	}
	for (i = 0; i < sc->n; i++)
		if ((sc->f[i].flags & REQ) && !(seen & ((uint64_t)1 << i))) {
			sub.name = sc->f[i].name;
			return fail(e, -EBADMSG, "%s: missing", pstr(e, &sub));
		}
	*present = seen;
	return 0;
}

/* The one member called name, or NULL; *dup set when there are several. */
static const cJSON *
member(const cJSON *obj, const char *name, bool *dup)
{
	const cJSON *it, *found = NULL;

	*dup = false;
	for (it = obj->child; it != NULL; it = it->next) {
		if (it->string == NULL || strcmp(it->string, name) != 0)
			continue;
		if (found != NULL)
			*dup = true;
		found = it;
	}
	return found;
}

static int
dec_root(const cJSON *root, struct proto_msg *m, struct derr *e)
{
	const cJSON *v, *t;
	const struct schema *sc;
	uint64_t present;
	int64_t ver;
	bool dup;
	int rc;

	if (!cJSON_IsObject(root))
		return fail(e, -EBADMSG, "message: expected an object");
	v = member(root, "v", &dup);
	if (v == NULL || dup)
		return fail(e, -EBADMSG, "v: %s",
		            dup ? "given twice" : "missing");
	if ((rc = json_int(v, 0, INT32_MAX, &ver)) != 0)
		return fail(e, rc == -ERANGE ? -EPROTO : -EBADMSG,
		            "v: expected a version number");
	if (ver != PROTO_VERSION)
		return fail(e, -EPROTO,
		            "v: version %" PRId64
		            " not supported (this side speaks %d)",
		            ver, PROTO_VERSION);
	t = member(root, "type", &dup);
	if (t == NULL || dup)
		return fail(e, -EBADMSG, "type: %s",
		            dup ? "given twice" : "missing");
	if (!cJSON_IsString(t) || t->valuestring == NULL ||
	    proto_type_parse(t->valuestring, &m->type) != 0)
		return fail(e, -EBADMSG, "type: unknown message type");
	sc = body_schema(m->type);
	if ((rc = dec_obj(root, sc, &m->u, NULL, e, &present)) != 0)
		return rc;
	if (m->type == PROTO_REPLY && !proto_status_valid(m->u.reply.status))
		return fail(e, -EBADMSG, "status: unknown value %" PRId32,
		            m->u.reply.status);
	return 0;
}

int
codec_decode(const char *buf, size_t len, struct proto_msg *m, char *err,
             size_t errlen)
{
	struct derr e = {.buf = err, .len = errlen};
	const char *end = NULL;
	cJSON *root;
	size_t i;
	int rc;

	memset(m, 0, sizeof(*m));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > CODEC_MAX_JSON)
		return fail(&e, -EMSGSIZE, "%zu bytes, more than %d", len,
		            CODEC_MAX_JSON);
	if (len == 0)
		return fail(&e, -EBADMSG, "empty message");
	if ((rc = prescan(buf, len, &e)) != 0)
		return rc;
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (root == NULL)
		return fail(&e, -EBADMSG, "not JSON (at offset %zu)",
		            end != NULL && end >= buf && end <= buf + len
		                ? (size_t)(end - buf)
		                : (size_t)0);
	for (i = (size_t)(end - buf); i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r') {
			cJSON_Delete(root);
			return fail(
			    &e, -EBADMSG,
			    "trailing bytes after the JSON value at offset "
			    "%zu",
			    i);
		}
	rc = dec_root(root, m, &e);
	cJSON_Delete(root);
	if (rc != 0) /* never hand back a half-decoded message */
		memset(m, 0, sizeof(*m));
	return rc;
}
