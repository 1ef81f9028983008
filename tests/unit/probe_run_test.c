/*
 * probe_run_test.c: the probes' I/O paths that simnode and anvil do not
 * reach: the command probe (exit status, signal, hard timeout, bounded
 * output, a leftover daemon, no inherited descriptors), Bitcoin's cookie
 * re-read after a 401, error bodies on non-200 replies, the beacon health
 * codes, and the reference median asked concurrently.
 */
#include "pilot/probe.h"

#include "common/util.h"

#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[64];
static int srv_port;
static atomic_bool srv_stop;
static atomic_int btc_requests;
static char cookie_path[128];

/* ---- a tiny HTTP server with canned answers per path ---- */

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
reply(int fd, int status, const char *body)
{
	char head[256];

	snprintf(head, sizeof(head),
	         "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n"
	         "\r\n",
	         status, strlen(body));
	send_all(fd, head, strlen(head));
	send_all(fd, body, strlen(body));
}

#define NEW_COOKIE                                                             \
	"__cookie__:"                                                          \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
/* base64(NEW_COOKIE) */
#define NEW_COOKIE_B64                                                         \
	"X19jb29raWVfXzowMDExMjIzMzQ0NTU2Njc3ODg5OWFhYmJjY2RkZWVmZjAwMTEy"     \
	"MjMzNDQ1NTY2Nzc4ODk5YWFiYmNjZGRlZWZm"

/* Bitcoin behind a cookie that changes under the client: the first
 * request finds the node "restarted" with NEW_COOKIE on disk. */
static void
serve_bitcoin(int fd, const char *req, bool never_accept)
{
	const char *auth = strcasestr(req, "\r\nAuthorization: Basic ");
	int n = atomic_fetch_add(&btc_requests, 1);

	if (n == 0) {
		FILE *f = fopen(cookie_path, "w");

		if (f) {
			fputs(NEW_COOKIE, f);
			fclose(f);
		}
	}
	if (never_accept || auth == NULL ||
	    strncmp(auth + 23, NEW_COOKIE_B64, strlen(NEW_COOKIE_B64)) != 0) {
		reply(fd, 401, "");
		return;
	}
	if (strstr(req, "getblockchaininfo"))
		reply(fd, 200,
		      "{\"result\":{\"chain\":\"regtest\",\"blocks\":321,"
		      "\"headers\":321,\"bestblockhash\":\"00ff\","
		      "\"initialblockdownload\":false},\"error\":null,"
		      "\"id\":1}");
	else
		reply(fd, 200,
		      "{\"result\":{\"connections\":4},\"error\":null,"
		      "\"id\":1}");
}

static void *
conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[8192], path[128] = "";
	size_t len = 0;

	for (;;) {
		ssize_t n = recv(fd, req + len, sizeof(req) - 1 - len, 0);
		char *end;

		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (end) {
			const char *cl = strcasestr(req, "\r\nContent-Length:");
			size_t want = cl ? (size_t)atoi(cl + 17) : 0;

			if (len - (size_t)(end + 4 - req) >= want)
				break;
		}
		if (len == sizeof(req) - 1)
			break;
	}
	req[len] = '\0';
	sscanf(req, "%*s %127s", path);

	if (strcmp(path, "/btc") == 0) {
		serve_bitcoin(fd, req, false);
	} else if (strcmp(path, "/btc-never") == 0) {
		serve_bitcoin(fd, req, true);
	} else if (strcmp(path, "/cmt500/status") == 0) {
		reply(
		    fd, 500,
		    "{\"jsonrpc\":\"2.0\",\"id\":-1,\"error\":{\"code\":-32603,"
		    "\"message\":\"Internal error\",\"data\":\"boom\"}}");
	} else if (strcmp(path, "/cmt404/status") == 0) {
		reply(fd, 404, "<html>not here</html>");
	} else if (strncmp(path, "/beacon", 7) == 0) {
		int code = atoi(path + 7);

		if (strstr(path, "/node/syncing"))
			reply(fd, 200,
			      "{\"data\":{\"head_slot\":\"900\","
			      "\"sync_distance\":\"0\",\"is_syncing\":false}}");
		else if (strstr(path, "/node/health"))
			reply(fd, code, "");
		else
			reply(fd, 200, "{\"data\":{\"connected\":\"3\"}}");
	} else if (strncmp(path, "/eth", 4) == 0) {
		/* /ethN answers height N; /eth-hang never answers. */
		char body[128];

		if (strcmp(path, "/eth-hang") == 0) {
			while (!atomic_load(&srv_stop))
				poll(NULL, 0, 10);
		} else if (strstr(req, "eth_blockNumber")) {
			snprintf(body, sizeof(body),
			         "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":"
			         "\"0x%x\"}",
			         atoi(path + 4));
			reply(fd, 200, body);
		} else if (strstr(req, "eth_syncing")) {
			reply(
			    fd, 200,
			    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":false}");
		} else {
			reply(
			    fd, 200,
			    "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":"
			    "-32601,\"message\":\"Method not found\"}}");
		}
	} else {
		reply(fd, 404, "");
	}
	close(fd);
	return NULL;
}

static void *
accept_thread(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	while (!atomic_load(&srv_stop)) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		pthread_t t;
		int fd;

		if (poll(&p, 1, 50) <= 0 || (fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		if (pthread_create(&t, NULL, conn_thread,
		                   (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	close(lfd);
	return NULL;
}

static pthread_t srv;

static int
server_start(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0)
		return -1;
	srv_port = ntohs(sin.sin_port);
	return pthread_create(&srv, NULL, accept_thread, (void *)(intptr_t)fd);
}

static void
target(struct probe_target *t, enum proto_chain chain, const char *path,
       uint32_t tmo)
{
	memset(t, 0, sizeof(*t));
	t->chain = chain;
	t->timeout_ms = tmo;
	snprintf(t->url, sizeof(t->url), "http://127.0.0.1:%d%s", srv_port,
	         path);
}

/* ---- command probe ---- */

static void
script(const char *name, const char *body, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "#!/bin/sh\n%s\n", body);
		fclose(f);
	}
	chmod(path, 0755);
}

static void
test_command(void)
{
	static const struct {
		const char *name, *body, *args, *err;
		uint64_t height;
		uint64_t max_ms;
	} t[] = {
	    {"ok", "echo 42", "", NULL, 42, 1500},
	    {"args", "echo $#", " a  b\tc", NULL, 3, 1500},
	    {"exit3", "echo 1; exit 3", "", "command: exit status 3", 0, 1500},
	    {"signal", "kill -9 $$", "", "command: killed by signal 9", 0,
	     1500},
	    {"words", "echo syncing", "", "command: output not a number", 0,
	     1500},
	    {"silent", "true", "", "command: no output", 0, 1500},
	    {"hang", "sleep 30", "", "command: timeout after 300 ms", 0, 1300},
	    {"hang-quiet", "exec >&-; sleep 30", "",
	     "command: timeout after 300 ms", 0, 1300},
	    {"flood", "while :; do echo 1111111111111111; done", "",
	     "command: output over 4096 bytes", 0, 1300},
	    /* A daemon left holding stdout: the answer still counts. */
	    {"daemon", "sleep 30 & echo 7", "", NULL, 7, 1300},
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(t); i++) {
		struct probe_target tg = {.chain = CHAIN_COMMAND,
		                          .timeout_ms = 300};
		struct probe_result r;
		char path[128];
		uint64_t t0, dt;
		int rc;

		script(t[i].name, t[i].body, path, sizeof(path));
		snprintf(tg.command, sizeof(tg.command), "%s%s", path,
		         t[i].args);
		t0 = clock_mono_ms();
		rc = probe_run(&tg, &r);
		dt = clock_mono_ms() - t0;
		CHECKF(dt < t[i].max_ms, "%s: took %llu ms", t[i].name,
		       (unsigned long long)dt);
		if (t[i].err == NULL) {
			CHECKF(rc == 0 && r.reachable, "%s: rc %d \"%s\"",
			       t[i].name, rc, r.error);
			CHECKF(r.height == t[i].height, "%s: height %llu",
			       t[i].name, (unsigned long long)r.height);
		} else {
			CHECKF(rc == -1 && !r.reachable, "%s: rc %d", t[i].name,
			       rc);
			CHECKF(strstr(r.error, t[i].err) != NULL,
			       "%s: \"%s\" lacks \"%s\"", t[i].name, r.error,
			       t[i].err);
		}
	}
	/* Nothing the probe started is left: no child to reap. */
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

static void
test_command_cannot_run(void)
{
	struct probe_target tg = {.chain = CHAIN_COMMAND, .timeout_ms = 500};
	struct probe_result r;

	snprintf(tg.command, sizeof(tg.command), "%s/does-not-exist", tmpdir);
	CHECK_EQ_INT(probe_run(&tg, &r), -1);
	CHECKF(strstr(r.error, "cannot run") &&
	           strstr(r.error, "No such file or directory"),
	       "\"%s\"", r.error);
	tg.command[0] = '\0';
	CHECK_EQ_INT(probe_run(&tg, &r), -1);
	CHECK(r.error[0] != '\0');
}

/* The pilot's descriptors (sockets, key files) never reach the program. */
static void
test_command_no_fd_leak(void)
{
	struct probe_target tg = {.chain = CHAIN_COMMAND, .timeout_ms = 1000};
	struct probe_result r;
	char path[128];
	int fd = open("/dev/null", O_RDONLY); /* no CLOEXEC */

	script("fdcheck",
	       "if [ -e /proc/$$/fd/$1 ]; then echo 1; "
	       "else echo 0; fi",
	       path, sizeof(path));
	snprintf(tg.command, sizeof(tg.command), "%s %d", path, fd);
	CHECK_EQ_INT(probe_run(&tg, &r), 0);
	CHECKF(r.height == 0, "fd %d visible to the program", fd);
	/* The check itself works: fd 1 is open in the program. */
	snprintf(tg.command, sizeof(tg.command), "%s 1", path);
	CHECK_EQ_INT(probe_run(&tg, &r), 0);
	CHECK_EQ_INT(r.height, 1);
	close(fd);
}

/* ---- network probes against the canned server ---- */

static void
test_bitcoin_cookie_reread(void)
{
	struct probe_target t;
	struct probe_result r;
	FILE *f;

	snprintf(cookie_path, sizeof(cookie_path), "%s/.cookie", tmpdir);
	if ((f = fopen(cookie_path, "w")) != NULL) {
		fputs(
		    "__cookie__:"
		    "ffeeddccbbaa99887766554433221100ffeeddccbbaa9988776655443"
		    "3221100",
		    f);
		fclose(f);
	}
	target(&t, CHAIN_BITCOIN, "/btc", 2000);
	snprintf(t.cookie_file, sizeof(t.cookie_file), "%s", cookie_path);
	atomic_store(&btc_requests, 0);
	CHECKF(probe_run(&t, &r) == 0, "\"%s\"", r.error);
	CHECK_EQ_INT(r.height, 321);
	CHECK_EQ_INT(r.peers, 4);
	CHECK(r.peers_known);
	/* 401 with the stale cookie, the retry, then getnetworkinfo */
	CHECK_EQ_INT(atomic_load(&btc_requests), 3);

	/* A node that refuses even the fresh cookie: one retry, no more. */
	target(&t, CHAIN_BITCOIN, "/btc-never", 2000);
	snprintf(t.cookie_file, sizeof(t.cookie_file), "%s", cookie_path);
	atomic_store(&btc_requests, 1);
	CHECK_EQ_INT(probe_run(&t, &r), -1);
	CHECKF(strstr(r.error, "HTTP 401 with a fresh cookie") != NULL, "%s",
	       r.error);
	CHECK_EQ_INT(atomic_load(&btc_requests), 3);

	/* With a password instead, a 401 is not retried. */
	target(&t, CHAIN_BITCOIN, "/btc-never", 2000);
	snprintf(t.user, sizeof(t.user), "alice");
	snprintf(t.password, sizeof(t.password), "wrong");
	atomic_store(&btc_requests, 1);
	CHECK_EQ_INT(probe_run(&t, &r), -1);
	CHECKF(strstr(r.error, "HTTP 401 (check rpcuser/rpcpassword)") != NULL,
	       "%s", r.error);
	CHECK_EQ_INT(atomic_load(&btc_requests), 2);
}

static void
test_error_bodies(void)
{
	struct probe_target t;
	struct probe_result r;

	target(&t, CHAIN_COMETBFT, "/cmt500", 2000);
	CHECK_EQ_INT(probe_run(&t, &r), -1);
	CHECK_EQ_STR(r.error, "status: RPC error -32603: Internal error");
	target(&t, CHAIN_COMETBFT, "/cmt404/", 2000); /* slash joined once */
	CHECK_EQ_INT(probe_run(&t, &r), -1);
	CHECK_EQ_STR(r.error, "status: HTTP 404");
}

static void
test_beacon_health_codes(void)
{
	static const struct {
		const char *path;
		int rc;
		bool syncing;
		const char *err;
	} t[] = {
	    {"/beacon200", 0, false, ""},
	    {"/beacon206", 0, true, ""},
	    {"/beacon503", -1, false, "health: HTTP 503"},
	    {"/beacon500", -1, false, "health: HTTP 500"},
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(t); i++) {
		struct probe_target tg;
		struct probe_result r;

		target(&tg, CHAIN_BEACON, t[i].path, 2000);
		CHECKF(probe_run(&tg, &r) == t[i].rc, "%s: \"%s\"", t[i].path,
		       r.error);
		CHECKF(r.syncing == t[i].syncing, "%s", t[i].path);
		CHECKF(strncmp(r.error, t[i].err, strlen(t[i].err)) == 0,
		       "%s: \"%s\"", t[i].path, r.error);
		if (t[i].rc == 0) {
			CHECK_EQ_INT(r.height, 900);
			CHECK_EQ_INT(r.peers, 3);
		}
	}
}

static void
test_reference_median(void)
{
	struct probe_target refs[6];
	uint64_t med = 0, t0, dt;
	uint32_t answered = 0;

	target(&refs[0], CHAIN_ETHEREUM, "/eth120", 600);
	target(&refs[1], CHAIN_ETHEREUM, "/eth-hang", 600);
	target(&refs[2], CHAIN_ETHEREUM, "/eth100", 600);
	target(&refs[3], CHAIN_ETHEREUM, "/eth-hang", 600);
	target(&refs[4], CHAIN_ETHEREUM, "/eth110", 600);
	target(&refs[5], CHAIN_ETHEREUM, "/eth-hang", 600);
	t0 = clock_mono_ms();
	CHECK_EQ_INT(probe_reference(refs, 6, &med, &answered), 0);
	dt = clock_mono_ms() - t0;
	CHECK_EQ_INT(med, 110);
	CHECK_EQ_INT(answered, 0x15);
	/* Three hung endpoints cost one timeout, not three: concurrent. */
	CHECKF(dt < 1100, "took %llu ms", (unsigned long long)dt);

	/* Two answers: the lower median, a height one of them reported. */
	CHECK_EQ_INT(probe_reference(refs + 2, 3, &med, &answered), 0);
	CHECK_EQ_INT(med, 100);
	CHECK_EQ_INT(answered, 0x5);

	/* None answers. */
	CHECK_EQ_INT(probe_reference(refs + 1, 1, &med, &answered), -1);
	CHECK_EQ_INT(answered, 0);
	CHECK_EQ_INT(probe_reference(refs, 0, &med, &answered), -1);
}

int
main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sxt-probe-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || server_start() != 0) {
		printf("FAIL setup\n");
		return 1;
	}
	RUN(test_command);
	RUN(test_command_cannot_run);
	RUN(test_command_no_fd_leak);
	RUN(test_bitcoin_cookie_reread);
	RUN(test_error_bodies);
	RUN(test_beacon_health_codes);
	RUN(test_reference_median);
	atomic_store(&srv_stop, true);
	pthread_join(srv, NULL);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return TEST_END();
}
