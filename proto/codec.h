/*
 * codec.h: proto_msg <-> JSON bytes (cJSON).  Pure: no I/O, no clock.
 * The decoder is bounded: input longer than CODEC_MAX_JSON, nesting deeper
 * than the schema, a string that does not fit its field, a number out of
 * range, a missing required field or an unknown version are refused.
 * Unknown fields are ignored so a newer peer can add fields.
 */
#ifndef SEXTANT_PROTO_CODEC_H
#define SEXTANT_PROTO_CODEC_H

#include <stddef.h>

#include "proto/msg.h"

#define CODEC_MAX_JSON (48 * 1024)

/*
 * Encode m into buf (cap bytes, not NUL-terminated on output).
 * 0 and *len, or -EINVAL (bad enum in m, or any value the decoder would
 * refuse: a name with a space, a number out of range, a lease command
 * without its epoch...) / -ENOSPC (buf too small).  Text fields (error,
 * decision, reason) are informative: control characters in them become
 * spaces and invalid UTF-8 becomes '?', so they never make it fail.
 */
int codec_encode(const struct proto_msg *m, char *buf, size_t cap, size_t *len);

/*
 * Decode len bytes (need not be NUL-terminated) into *m, which is zeroed
 * first.  0, or -EMSGSIZE / -EBADMSG / -EPROTO (unknown version); err, if
 * not NULL, gets a short reason naming the bad field.
 */
int codec_decode(const char *buf, size_t len, struct proto_msg *m, char *err,
                 size_t errlen);

#endif
