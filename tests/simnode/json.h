/*
 * json.h: a bounded JSON reader over a byte span and a growable output
 * buffer.  simnode links nothing but libc, so it cannot use cJSON.
 *
 * sn_json_parse() validates a whole document once (depth <= SN_JSON_DEPTH);
 * the accessors then walk spans of that validated text without copying.
 */
#ifndef SIMNODE_JSON_H
#define SIMNODE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SN_JSON_DEPTH 32

enum sn_jtype {
	SN_J_INVALID,
	SN_J_NULL,
	SN_J_BOOL,
	SN_J_NUM,
	SN_J_STR,
	SN_J_ARR,
	SN_J_OBJ,
};

/* A span of one JSON value inside a validated document (not owned). */
struct sn_json {
	const char *p;
	size_t n;
};

/* Validate s[0..n) as exactly one JSON value (whitespace around it is
 * allowed); on success *root spans the value.  0 or -1. */
int sn_json_parse(const char *s, size_t n, struct sn_json *root);
enum sn_jtype sn_json_type(struct sn_json v);
/* Member of an object by key (keys compared as raw text, first match). */
bool sn_json_member(struct sn_json obj, const char *key, struct sn_json *out);
/* Element i of an array. */
bool sn_json_index(struct sn_json arr, size_t i, struct sn_json *out);
/* Number of elements of an array (0 for anything else). */
size_t sn_json_count(struct sn_json arr);
/* Decode a string value into buf (NUL-terminated); -1 if v is not a
 * string, holds a NUL or does not fit. */
int sn_json_str(struct sn_json v, char *buf, size_t size);
/* An unsigned integer given as a number, a decimal string, or (when
 * allow_hex) a "0x" hex string.  0 or -1. */
int sn_json_u64(struct sn_json v, bool allow_hex, uint64_t *out);
/* true/false; -1 if v is not a boolean. */
int sn_json_bool(struct sn_json v, bool *out);

/* Growable output buffer.  Allocation failure aborts: simnode is a test
 * tool and has nothing sensible to do without memory. */
struct sn_buf {
	char *p;
	size_t len;
	size_t cap;
};

void sn_buf_put(struct sn_buf *b, const void *data, size_t n);
void sn_buf_puts(struct sn_buf *b, const char *s);
void sn_buf_printf(struct sn_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a quoted JSON string, escaping what JSON requires. */
void sn_buf_json_str(struct sn_buf *b, const char *s);
/* Drop the first n bytes. */
void sn_buf_consume(struct sn_buf *b, size_t n);
void sn_buf_reset(struct sn_buf *b);
/* Frees the storage; accepts a zeroed buffer. */
void sn_buf_free(struct sn_buf *b);

#endif
