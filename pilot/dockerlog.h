/*
 * dockerlog.h: the Engine API's log stream, cut into lines.
 *
 * With Tty false the body of /containers/ID/logs is a sequence of frames:
 * an 8-byte header (stream 0/1/2, three zero bytes, a big-endian 32-bit
 * payload length) and the payload.  Frames split lines and reads split
 * frames, so the demuxer is incremental: feed it bytes as they come, in any
 * chunks, and it calls back once per complete line of each stream.  With
 * Tty true the body is raw text.  Pure: no I/O, no allocation, bounded
 * memory (a line longer than SUPERVISE_LINE_MAX is cut there and the rest of
 * it dropped, so a line's tail never poses as a line of its own).
 */
#ifndef SEXTANT_PILOT_DOCKERLOG_H
#define SEXTANT_PILOT_DOCKERLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pilot/supervise.h"

struct dockerlog_line {
	char buf[SUPERVISE_LINE_MAX];
	size_t len;
	bool dropping; /* cut: skipping to the next newline */
};

struct dockerlog {
	bool raw;    /* Tty: no frames */
	bool broken; /* a bad header was seen: no more output */
	uint8_t hdr[8];
	size_t hdr_have;
	uint32_t left;                 /* payload bytes left in this frame */
	int stream;                    /* of the current frame: 1 or 2 */
	struct dockerlog_line line[2]; /* stdout (and stdin), stderr */
	int stopped;                   /* fn's nonzero answer */
	uint64_t frames;
	uint64_t cut; /* lines cut at SUPERVISE_LINE_MAX */
};

/* Ready d for a new body; raw for a Tty container. */
void dockerlog_init(struct dockerlog *d, bool raw);

/*
 * Demultiplex len bytes.  fn gets each complete line (a trailing '\r' is
 * removed too).  0, or fn's nonzero answer (fn is not called again for this
 * body; later bytes are consumed silently), or -EPROTO on a header that is
 * not a frame header (the stream is out of step; later feeds return -EPROTO
 * too).
 */
int dockerlog_feed(struct dockerlog *d, const void *buf, size_t len,
                   supervise_line_fn fn, void *arg);

/*
 * End of body: deliver each stream's unterminated last line.  0, fn's
 * nonzero, or -EPROTO if the body ended inside a frame header or payload
 * (what arrived was still delivered).
 */
int dockerlog_finish(struct dockerlog *d, supervise_line_fn fn, void *arg);

#endif
