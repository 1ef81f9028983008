/*
 * json.c: validating JSON reader over spans, and the output buffer.
 */
#include "tests/simnode/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_value(const char *p, const char *end, int depth);

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *
skip_string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\')
			continue;
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			break;
		case 'u':
			if (end - p < 5)
				return NULL;
			for (int i = 1; i <= 4; i++)
				if (hexval(p[i]) < 0)
					return NULL;
			p += 4;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static const char *
skip_number(const char *p, const char *end)
{
	const char *start;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return NULL;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < end && *p == '.') {
		start = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		start = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return NULL;
	}
	return p;
}

static const char *
skip_literal(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
		return NULL;
	return p + n;
}

static const char *
skip_container(const char *p, const char *end, int depth, char close)
{
	bool obj = close == '}';

	p = skip_ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			p = skip_string(p, end);
			if (p == NULL)
				return NULL;
			p = skip_ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p = skip_ws(p + 1, end);
		}
		p = skip_value(p, end, depth + 1);
		if (p == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p >= end)
			return NULL;
		if (*p == close)
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1, end);
	}
}

static const char *
skip_value(const char *p, const char *end, int depth)
{
	if (p >= end || depth > SN_JSON_DEPTH)
		return NULL;
	switch (*p) {
	case '{':
		return skip_container(p, end, depth, '}');
	case '[':
		return skip_container(p, end, depth, ']');
	case '"':
		return skip_string(p, end);
	case 't':
		return skip_literal(p, end, "true");
	case 'f':
		return skip_literal(p, end, "false");
	case 'n':
		return skip_literal(p, end, "null");
	default:
		return skip_number(p, end);
	}
}

int
sn_json_parse(const char *s, size_t n, struct sn_json *root)
{
	const char *end = s + n, *p, *q;

	p = skip_ws(s, end);
	q = skip_value(p, end, 0);
	if (q == NULL || skip_ws(q, end) != end)
		return -1;
	root->p = p;
	root->n = (size_t)(q - p);
	return 0;
}

enum sn_jtype
sn_json_type(struct sn_json v)
{
	if (v.p == NULL || v.n == 0)
		return SN_J_INVALID;
	switch (v.p[0]) {
	case '{':
		return SN_J_OBJ;
	case '[':
		return SN_J_ARR;
	case '"':
		return SN_J_STR;
	case 't':
	case 'f':
		return SN_J_BOOL;
	case 'n':
		return SN_J_NULL;
	default:
		return SN_J_NUM;
	}
}

bool
sn_json_member(struct sn_json obj, const char *key, struct sn_json *out)
{
	const char *end = obj.p + obj.n, *p, *k, *kend, *v;
	size_t klen = strlen(key);

	if (sn_json_type(obj) != SN_J_OBJ)
		return false;
	p = skip_ws(obj.p + 1, end);
	while (p < end && *p == '"') {
		k = p;
		kend = skip_string(p, end);
		p = skip_ws(kend, end);
		v = skip_ws(p + 1, end); /* past ':' */
		p = skip_value(v, end, 0);
		if ((size_t)(kend - k) == klen + 2 &&
		    memcmp(k + 1, key, klen) == 0) {
			out->p = v;
			out->n = (size_t)(p - v);
			return true;
		}
		p = skip_ws(p, end);
		if (*p != ',')
			break;
		p = skip_ws(p + 1, end);
	}
	return false;
}

bool
sn_json_index(struct sn_json arr, size_t i, struct sn_json *out)
{
	const char *end = arr.p + arr.n, *p, *v;

	if (sn_json_type(arr) != SN_J_ARR)
		return false;
	p = skip_ws(arr.p + 1, end);
	if (*p == ']')
		return false;
	for (size_t k = 0;; k++) {
		v = p;
		p = skip_value(v, end, 0);
		if (k == i) {
			out->p = v;
			out->n = (size_t)(p - v);
			return true;
		}
		p = skip_ws(p, end);
		if (*p != ',')
			return false;
		p = skip_ws(p + 1, end);
	}
}

size_t
sn_json_count(struct sn_json arr)
{
	struct sn_json v;
	size_t n = 0;

	while (sn_json_index(arr, n, &v))
		n++;
	return n;
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned
hex4(const char *p)
{
	return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 |
	                  hexval(p[2]) << 4 | hexval(p[3]));
}

int
sn_json_str(struct sn_json v, char *buf, size_t size)
{
	const char *p, *end;
	size_t o = 0;
	char tmp[4];
	size_t k;

	if (sn_json_type(v) != SN_J_STR || size == 0)
		return -1;
	end = v.p + v.n - 1; /* the closing quote */
	for (p = v.p + 1; p < end; p++) {
		if (*p != '\\') {
			tmp[0] = *p;
			k = 1;
		} else {
			p++;
			switch (*p) {
			case 'b':
				tmp[0] = '\b';
				k = 1;
				break;
			case 'f':
				tmp[0] = '\f';
				k = 1;
				break;
			case 'n':
				tmp[0] = '\n';
				k = 1;
				break;
			case 'r':
				tmp[0] = '\r';
				k = 1;
				break;
			case 't':
				tmp[0] = '\t';
				k = 1;
				break;
			case 'u': {
				unsigned cp = hex4(p + 1), lo;
				p += 4;
				if (cp >= 0xd800 && cp < 0xdc00 &&
				    end - p >= 7 && p[1] == '\\' &&
				    p[2] == 'u') {
					lo = hex4(p + 3);
					if (lo >= 0xdc00 && lo < 0xe000) {
						cp = 0x10000 +
						     ((cp - 0xd800) << 10) +
						     (lo - 0xdc00);
						p += 6;
					}
				}
				if (cp == 0)
					return -1;
				k = put_utf8(tmp, cp);
				break;
			}
			default: /* '"', '\\', '/' */
				tmp[0] = *p;
				k = 1;
			}
		}
		if (o + k >= size)
			return -1;
		memcpy(buf + o, tmp, k);
		o += k;
	}
	buf[o] = '\0';
	return 0;
}

static int
parse_u64_text(const char *p, size_t n, bool allow_hex, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	int d;

	if (allow_hex && n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		n -= 2;
	}
	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		d = hexval(p[i]);
		if (d < 0 || (unsigned)d >= base)
			return -1;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -1;
		v = v * base + (unsigned)d;
	}
	*out = v;
	return 0;
}

int
sn_json_u64(struct sn_json v, bool allow_hex, uint64_t *out)
{
	switch (sn_json_type(v)) {
	case SN_J_NUM:
		return parse_u64_text(v.p, v.n, false, out);
	case SN_J_STR:
		return parse_u64_text(v.p + 1, v.n - 2, allow_hex, out);
	default:
		return -1;
	}
}

int
sn_json_bool(struct sn_json v, bool *out)
{
	if (sn_json_type(v) != SN_J_BOOL)
		return -1;
	*out = v.p[0] == 't';
	return 0;
}

static void
buf_grow(struct sn_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->len + need + 1 <= b->cap)
		return;
	while (cap < b->len + need + 1)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (b->p == NULL) {
		fputs("simnode: out of memory\n", stderr);
		abort();
	}
	b->cap = cap;
}

void
sn_buf_put(struct sn_buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
sn_buf_puts(struct sn_buf *b, const char *s)
{
	sn_buf_put(b, s, strlen(s));
}

void
sn_buf_printf(struct sn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
sn_buf_json_str(struct sn_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char esc[7];

	sn_buf_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sn_buf_put(b, esc, 2);
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			sn_buf_put(b, esc, 6);
		} else {
			sn_buf_put(b, s, 1);
		}
	}
	sn_buf_put(b, "\"", 1);
}

void
sn_buf_consume(struct sn_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	if (b->p != NULL)
		b->p[b->len] = '\0';
}

void
sn_buf_reset(struct sn_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
sn_buf_free(struct sn_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
