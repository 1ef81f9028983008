/*
 * fuzz_sse: arbitrary bytes through the event-stream parser, whole and in
 * two pieces, must never crash, read out of bounds, or hand over data
 * longer than its bound; and through the API's query decoder, which must
 * never write past its buffer or return a string longer than it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commander/api.h"
#include "common/http_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX 512

static int
on_event(void *arg, const struct http_sse_event *ev)
{
	size_t *n = arg;

	if (ev->data_len > MAX || strlen(ev->data) != ev->data_len ||
	    strlen(ev->id) >= 64 || strlen(ev->event) >= 64)
		__builtin_trap();
	return ++*n > 1000; /* a callback may stop the parser */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_sse p;
	size_t n = 0, cut = size ? data[0] % (size + 1) : 0;
	char *q, buf[32];

	http_sse_init(&p, MAX, on_event, &n);
	http_sse_feed(&p, (const char *)data, size);
	http_sse_free(&p);

	http_sse_init(&p, MAX, on_event, &n);
	if (http_sse_feed(&p, (const char *)data, cut) == 0)
		http_sse_feed(&p, (const char *)data + cut, size - cut);
	http_sse_free(&p);

	if ((q = malloc(size + 1)) == NULL)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	if (api_query_get(q, "since", buf, sizeof(buf)) == 1 &&
	    strlen(buf) >= sizeof(buf))
		__builtin_trap();
	if (api_query_get(q, "", buf, sizeof(buf)) == 1 &&
	    strlen(buf) >= sizeof(buf))
		__builtin_trap();
	free(q);
	return 0;
}
