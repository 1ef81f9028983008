/*
 * webhook_sink: a webhook receiver for integration tests.  Listens on
 * 127.0.0.1:PORT, answers every POST with 200 and appends one JSON line
 * per request to FILE: {"ms":<wall ms received>,"path":"...","body":"..."}
 * (body as a JSON string).  Writes PORT to PORTFILE once listening when
 * given.  Runs until SIGTERM or SIGINT.
 *
 *   webhook_sink PORT FILE [PORTFILE]
 */
#include <cjson/cJSON.h>
#include <signal.h>

#include "tests/unit/loopback_recv.h"

static FILE *out;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void
on_request(void *arg, const struct lr_request *r)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddNumberToObject(o, "ms", (double)r->wall_ms);
	cJSON_AddStringToObject(o, "path", r->path);
	cJSON_AddStringToObject(o, "body", r->body ? r->body : "");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		return;
	pthread_mutex_lock(&out_mu);
	fprintf(out, "%s\n", s);
	fflush(out);
	pthread_mutex_unlock(&out_mu);
	free(s);
}

int
main(int argc, char **argv)
{
	struct lr lr;
	sigset_t set;
	int sig;

	if (argc < 3) {
		fprintf(stderr, "usage: webhook_sink PORT FILE [PORTFILE]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((out = fopen(argv[2], "a")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	if (lr_start_hook(&lr, atoi(argv[1]), 200, "{}", on_request, NULL) !=
	    0) {
		perror("listen");
		return 1;
	}
	if (argc > 3) {
		FILE *pf = fopen(argv[3], "w");

		if (pf) {
			fprintf(pf, "%d\n", lr.port);
			fclose(pf);
		}
	}
	fprintf(stderr, "webhook_sink: listening on 127.0.0.1:%d\n", lr.port);
	sigwait(&set, &sig);
	lr_stop(&lr);
	fclose(out);
	return 0;
}
