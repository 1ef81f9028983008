/*
 * fuzz_supervise_parse.c: the parsers of engine and systemctl answers
 * (docker inspect, /events, timestamps, `systemctl show`) on the same
 * bytes.  Besides "no crash, no overrun" it checks their contract: every
 * string in the state is terminated, a refusal says why, and events only
 * move forward.
 */
#include "pilot/supervise.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPECT(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void
check_state(const struct supervise_state *st)
{
	EXPECT(memchr(st->status, '\0', sizeof(st->status)) != NULL);
	EXPECT(memchr(st->health, '\0', sizeof(st->health)) != NULL);
	EXPECT(memchr(st->error, '\0', sizeof(st->error)) != NULL);
	EXPECT(st->pid >= 0 && st->pid <= INT32_MAX);
}

static int
on_event(void *arg, const struct supervise_event *ev)
{
	unsigned *n = arg;

	EXPECT(ev->kind >= SUPERVISE_EV_START &&
	       ev->kind <= SUPERVISE_EV_RESTART);
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct supervise_state st;
	char err[SUPERVISE_ERR_MAX];
	uint64_t last = 0, before;
	unsigned n = 0;
	int64_t ns;
	bool tty;
	int rc;

	err[0] = '\0';
	rc = supervise_docker_parse_inspect(s, size, &st, &tty, err,
	                                    sizeof(err));
	EXPECT(rc == 0 || rc == -EPROTO);
	if (rc != 0)
		EXPECT(err[0] != '\0');
	check_state(&st);

	rc = supervise_docker_parse_events(s, size, &last, on_event, &n);
	EXPECT(rc == 0 || rc == -EPROTO);
	/* a second pass over the same answer finds nothing new */
	before = last;
	n = 0;
	supervise_docker_parse_events(s, size, &last, on_event, &n);
	EXPECT(last == before && n == 0);

	rc = supervise_docker_parse_time(s, size, &ns);
	EXPECT(rc == 0 || rc == -EINVAL);
	EXPECT(rc != 0 || ns >= 0);

	err[0] = '\0';
	rc = supervise_systemd_parse_show(s, size, 1000000000000ULL, 100000,
	                                  &st, err, sizeof(err));
	EXPECT(rc == 0 || rc == -EPROTO || rc == -ENOENT);
	if (rc == -EPROTO)
		EXPECT(err[0] != '\0');
	check_state(&st);
	EXPECT(st.started_at_ms <= 1000000000000ULL);
	return 0;
}
