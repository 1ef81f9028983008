/*
 * report_test: the pilot's side of the channel against an in-process
 * commander endpoint: a round trip, the request counter that only grows
 * (across reopen, in blocks, with the wall-clock floor), a refused corrupt
 * counter file, bounded waits with no commander, and cancellation.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commander/ingest.h"
#include "commander/registry.h"
#include "common/fileio.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/util.h"
#include "pilot/report.h"
#include "tests/test.h"

static struct keys_identity cmd_id, pilot_id;
static struct registry *reg;
static struct ingest *in;
static char url[64], dir[64];

static struct report_params
params(const char *u, uint32_t timeout_ms)
{
	struct report_params p = {
	    .url = u,
	    .server_pk = cmd_id.pk,
	    .id = &pilot_id,
	    .state_dir = dir,
	    .timeout_ms = timeout_ms,
	    .reconnect_min_ms = 20,
	    .reconnect_max_ms = 200,
	};
	return p;
}

static uint64_t
counter_file(void)
{
	char path[128], *text;
	uint64_t v = 0;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, REPORT_COUNTER_FILE);
	if (file_read_all(path, 64, &text, &len) != 0)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	util_parse_u64(text, 0, UINT64_MAX, &v);
	free(text);
	return v;
}

static void
hello(struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_HELLO;
	util_strlcpy(m->u.hello.node, "p1", sizeof(m->u.hello.node));
	util_strlcpy(m->u.hello.network, "n", sizeof(m->u.hello.network));
	m->u.hello.chain = CHAIN_COMETBFT;
	m->u.hello.role = ROLE_RPC;
}

static void
test_round_trip(void)
{
	struct report_params p = params(url, 3000);
	struct report *r = NULL;
	struct proto_msg m, reply;
	uint64_t sent = 0, before;
	char err[256];

	CHECK(report_open(&p, &r, err, sizeof(err)) == 0);
	if (r == NULL)
		return;
	hello(&m);
	before = clock_mono_ms();
	CHECKF(report_exchange(r, &m, &reply, &sent, err, sizeof(err)) ==
	           REPORT_OK,
	       "%s", err);
	CHECK_EQ_INT(reply.type, PROTO_REPLY);
	CHECK_EQ_INT(reply.u.reply.status, PROTO_ST_OK);
	CHECK(sent >= before && sent <= clock_mono_ms());
	m.type = PROTO_HEARTBEAT;
	memset(&m.u.hb, 0, sizeof(m.u.hb));
	m.u.hb.seq = 1;
	CHECK(report_exchange(r, &m, &reply, NULL, err, sizeof(err)) ==
	      REPORT_OK);
	CHECK_EQ_INT(reply.u.reply.status, PROTO_ST_OK);
	report_close(r);
}

static void
test_counter_grows_across_reopen(void)
{
	struct report_params p = params(url, 3000);
	struct report *r = NULL;
	struct proto_msg m, reply;
	uint64_t first, mark, second;
	char err[256];

	CHECK(report_open(&p, &r, err, sizeof(err)) == 0);
	if (r == NULL)
		return;
	first = report_next_counter(r);
	mark = counter_file();
	/* reserved in a block, persisted before use */
	CHECK_EQ_INT(mark, first + REPORT_COUNTER_BLOCK - 1);
	/* above the wall clock in microseconds */
	CHECK(first > (clock_wall_ms() - 60000) * 1000);
	hello(&m);
	CHECK(report_exchange(r, &m, &reply, NULL, err, sizeof(err)) ==
	      REPORT_OK);
	CHECK_EQ_INT(report_next_counter(r), first + 1);
	/* no write per message */
	CHECK_EQ_INT(counter_file(), mark);
	report_close(r);

	/* a file mark far in the future wins over the clock */
	{
		char path[128], buf[32];
		int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n",
		                 (uint64_t)(first + 1000000000000ULL));

		snprintf(path, sizeof(path), "%s/%s", dir, REPORT_COUNTER_FILE);
		CHECK(file_write_atomic(path, buf, (size_t)n, 0600) == 0);
	}
	CHECK(report_open(&p, &r, err, sizeof(err)) == 0);
	if (r == NULL)
		return;
	second = report_next_counter(r);
	CHECK_EQ_INT(second, first + 1000000000000ULL + 1);
	/* the commander accepts it: above the last one it saw */
	CHECK(report_exchange(r, &m, &reply, NULL, err, sizeof(err)) ==
	      REPORT_OK);
	report_close(r);
}

static void
test_block_rollover_persists(void)
{
	struct report_params p = params(url, 3000);
	struct report *r = NULL;
	struct proto_msg m, reply;
	uint64_t mark;
	char err[256];
	int ok = 1;

	CHECK(report_open(&p, &r, err, sizeof(err)) == 0);
	if (r == NULL)
		return;
	mark = counter_file();
	hello(&m);
	CHECK(report_exchange(r, &m, &reply, NULL, err, sizeof(err)) ==
	      REPORT_OK);
	m.type = PROTO_HEARTBEAT;
	memset(&m.u.hb, 0, sizeof(m.u.hb));
	/* spend one whole block: the next request must move the mark */
	for (int i = 0; i < REPORT_COUNTER_BLOCK + 1 && ok; i++)
		ok = report_exchange(r, &m, &reply, NULL, err, sizeof(err)) ==
		     REPORT_OK;
	CHECKF(ok, "%s", err);
	CHECK(counter_file() >= mark + REPORT_COUNTER_BLOCK);
	CHECK(report_next_counter(r) <= counter_file() + 1);
	report_close(r);
}

static void
test_corrupt_counter_refused(void)
{
	struct report_params p = params(url, 3000);
	struct report *r = NULL;
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, REPORT_COUNTER_FILE);
	CHECK(file_write_atomic(path, "12x\n", 4, 0600) == 0);
	CHECK(report_open(&p, &r, err, sizeof(err)) == -EINVAL);
	CHECK(r == NULL);
	CHECK(strstr(err, "not a counter") != NULL);
	unlink(path);
}

static void
test_no_commander_bounded(void)
{
	struct report_params p = params("tcp://127.0.0.1:1", 300);
	struct report *r = NULL;
	struct proto_msg m, reply;
	uint64_t t0;
	char err[256];

	CHECK(report_open(&p, &r, err, sizeof(err)) == 0);
	if (r == NULL)
		return;
	hello(&m);
	t0 = clock_mono_ms();
	CHECK_EQ_INT(report_exchange(r, &m, &reply, NULL, err, sizeof(err)),
	             REPORT_E_SEND);
	CHECK(clock_mono_ms() - t0 < 2000);
	report_close(r);
}

static void
test_wrong_commander_key(void)
{
	struct keys_identity other;
	struct report_params p = params(url, 500);
	struct report *r = NULL;
	struct proto_msg m, reply;
	char err[256];

	/* pinned to another key: the commander cannot open our request
	 * (dropped: no reply), and could not forge a reply either */
	CHECK(keys_generate(&other) == 0);
	p.server_pk = other.pk;
	CHECK(report_open(&p, &r, err, sizeof(err)) == 0);
	if (r == NULL)
		return;
	hello(&m);
	CHECK_EQ_INT(report_exchange(r, &m, &reply, NULL, err, sizeof(err)),
	             REPORT_E_TIMEOUT);
	report_close(r);
	keys_wipe(&other);
}

static void *
cancel_later(void *arg)
{
	struct timespec ts = {0, 200 * 1000000L};

	nanosleep(&ts, NULL);
	report_cancel(arg);
	return NULL;
}

static void
test_cancel(void)
{
	struct report_params p = params("tcp://127.0.0.1:1", 10000);
	struct report *r = NULL;
	struct proto_msg m, reply;
	pthread_t t;
	uint64_t t0;
	char err[256];

	CHECK(report_open(&p, &r, err, sizeof(err)) == 0);
	if (r == NULL)
		return;
	hello(&m);
	pthread_create(&t, NULL, cancel_later, r);
	t0 = clock_mono_ms();
	CHECK_EQ_INT(report_exchange(r, &m, &reply, NULL, err, sizeof(err)),
	             REPORT_E_CANCELED);
	CHECK(clock_mono_ms() - t0 < 3000);
	pthread_join(t, NULL);
	CHECK_EQ_INT(report_exchange(r, &m, &reply, NULL, err, sizeof(err)),
	             REPORT_E_CANCELED);
	report_close(r);
}

int
main(void)
{
	char err[256], line[KEYS_PUB_LINE_MAX], text[512];
	struct ingest_params ip;

	log_init("report_test", 1, 0);
	snprintf(dir, sizeof(dir), "/tmp/report_test.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	if (keys_init() != 0 || keys_generate(&cmd_id) != 0 ||
	    keys_generate(&pilot_id) != 0)
		return 1;
	snprintf(text, sizeof(text), "%s\n",
	         keys_format_public(pilot_id.pk, "p1", line, sizeof(line)));
	if ((reg = registry_parse("authorized", text, cmd_id.sk, err,
	                          sizeof(err))) == NULL)
		return 1;
	memset(&ip, 0, sizeof(ip));
	ip.listen = "tcp://127.0.0.1:0";
	ip.window_ms = 60000;
	ip.reg = reg;
	ip.id = &cmd_id;
	if (ingest_start(&ip, &in, err, sizeof(err)) != 0) {
		printf("FAIL setup: %s\n", err);
		return 1;
	}
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ingest_port(in));

	RUN(test_round_trip);
	RUN(test_counter_grows_across_reopen);
	RUN(test_block_rollover_persists);
	RUN(test_corrupt_counter_refused);
	RUN(test_no_commander_bounded);
	RUN(test_wrong_commander_key);
	RUN(test_cancel);

	ingest_stop(in);
	registry_free(reg);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", dir, REPORT_COUNTER_FILE);
		unlink(path);
		rmdir(dir);
	}
	return TEST_END();
}
