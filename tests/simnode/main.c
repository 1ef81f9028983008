/*
 * main.c: simnode's command line, signals and poll() loop.
 */
#include "tests/simnode/simnode.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_GENESIS 1704067200000ULL /* 2024-01-01T00:00:00Z */

static const struct sn_flavour_ops *const flavours[] = {
    &sn_cometbft_ops, &sn_substrate_ops, &sn_ethereum_ops,
    &sn_beacon_ops,   &sn_bitcoin_ops,
};

static int sigpipe_fds[2] = {-1, -1};

static void
usage(FILE *f)
{
	fputs(
	    "usage: simnode --flavour F [options]\n"
	    "A simulated chain node for tests: a deterministic timeline, the\n"
	    "RPC of one chain family, real log wording, a control endpoint.\n"
	    "\n"
	    "  --flavour F          "
	    "cometbft|substrate|ethereum|beacon|bitcoin\n"
	    "  --listen IP:PORT     RPC address (default 127.0.0.1 and the\n"
	    "                       family's port: 26657 9944 8545 5052 8332)\n"
	    "  --control IP:PORT    extra control-only listener; the control\n"
	    "                       verbs are always on the RPC port under\n"
	    "                       /_sim/ too\n"
	    "  --genesis UNIX_MS    timeline origin (default 1704067200000)\n"
	    "  --block-ms N         block time (default 1000); network tip =\n"
	    "                       (now - genesis) / block-ms\n"
	    "  --name NAME          moniker, journal node name (simnode)\n"
	    "  --network ID         chain id / chain name / chain (per "
	    "family)\n"
	    "  --peers N            peer count reported (default 8)\n"
	    "  --catchup-rate R     blocks/s when behind (default 50, or 5x\n"
	    "                       the block rate if faster)\n"
	    "  --session-blocks K   \"Running session N.\" every K blocks "
	    "(30)\n"
	    "  --finality-lag N     finalized = best - N (default 2)\n"
	    "  --major-sync-above N enter major sync by itself when more than\n"
	    "                       N behind, leave at N or less (0: off)\n"
	    "  --log FILE           append the log here (default stdout)\n"
	    "  --pidfile FILE       write the PID here, removed at exit\n"
	    "start state:\n"
	    "  --lag N              start N blocks behind (then catch up)\n"
	    "  --lag-hold           with --lag: stay N behind\n"
	    "  --stalled            start without importing\n"
	    "  --major-sync         start in major sync\n"
	    "  --hang               start with RPC hung\n"
	    "  --exit-after MS      die MS ms after start (a crash loop for\n"
	    "                       supervisors), status --exit-code N (1)\n"
	    "validator:\n"
	    "  --validator-key FILE priv_validator_key.json; signs each new\n"
	    "                       height only while this file exists\n"
	    "  --validator-set A,B  the active set's addresses: a key not in\n"
	    "                       it does not sign (default: any key signs)\n"
	    "  --state FILE         priv_validator_state.json: never signs at\n"
	    "                       or below its height; rewritten atomically\n"
	    "  --lease-file FILE    sign only before the deadline in FILE\n"
	    "                       (\"epoch=E expires_mono_ms=X\", X on\n"
	    "                       CLOCK_MONOTONIC, as the pilot writes it)\n"
	    "  --journal FILE       shared signing journal, one line per\n"
	    "                       signature: \"height round step address\n"
	    "                       node wall_ms [lease_epoch]\"\n"
	    "bitcoin:\n"
	    "  --rpcuser U --rpcpassword P   Basic auth credentials\n"
	    "  --cookie FILE        write \"__cookie__:<64 hex>\" at start\n"
	    "                       (new each start, removed at exit)\n"
	    "  --warmup-ms N        answer -28 \"Loading block index...\" for\n"
	    "                       N ms after start\n"
	    "\n"
	    "control (GET or POST, on the RPC port under /_sim/, or on\n"
	    "--control with or without the prefix):\n"
	    "  /_sim/state  /_sim/lag?blocks=N[&hold=1][&gradual=1]\n"
	    "  /_sim/stall  /_sim/resume  /_sim/hang  /_sim/unhang\n"
	    "  /_sim/crash[?code=N]  /_sim/major-sync/enter|leave\n"
	    "  /_sim/peers?n=N  /_sim/rate?blocks_per_s=R\n"
	    "SIGTERM or SIGINT: clean exit, status 0.\n",
	    f);
}

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("simnode: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t
opt_u64(const char *opt, const char *v, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < min ||
	    n > max)
		die("%s: expected an integer in [%" PRIu64 ", %" PRIu64
		    "], got \"%s\"",
		    opt, min, max, v);
	return n;
}

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sigpipe_fds[1], &c, 1) < 0) {
		/* the pipe is full: a signal is already pending */
	}
	errno = saved;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		die("pipe: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* Explicit handlers matter as PID 1 in a container, where the
	 * default action of SIGTERM is to be ignored. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
route(const struct sn_req *req, bool control, struct sn_resp *resp)
{
	const char *path = req->path;

	/* Answer with the chain as of now, not as of the last wakeup. */
	sn_chain_tick(sn_wall_ms(), sn_mono_ms());
	if (strncmp(path, "/_sim", 5) == 0 &&
	    (path[5] == '/' || path[5] == '\0')) {
		sn_control(path + 5, req, resp);
		return;
	}
	if (control) {
		sn_control(path, req, resp);
		return;
	}
	if (sn.hung) {
		resp->park = true;
		return;
	}
	sn.ops->serve(req, resp);
}

static void
write_pidfile(void)
{
	char buf[32];
	FILE *f;

	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	f = fopen(sn.pidfile, "we");
	if (f == NULL || fputs(buf, f) == EOF || fclose(f) == EOF)
		die("%s: %s", sn.pidfile, strerror(errno));
}

int
main(int argc, char **argv)
{
	const char *flavour = "cometbft", *listen_addr = NULL;
	uint64_t start_lag = 0, exit_after = 0, exit_code = 1;
	bool lag_hold = false, stalled = false, major = false, hang = false;
	char err[256];
	bool was_hung;

	sn.name = "simnode";
	sn.genesis_ms = DEFAULT_GENESIS;
	sn.block_ms = 1000;
	sn.catchup_rate = -1; /* default below, from the block time */
	sn.session_blocks = 30;
	sn.finality_lag = 2;
	sn.peers = 8;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL, *eq;
		char opt[64];
		size_t olen;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			printf("simnode %s\n", SN_VERSION);
			return 0;
		}
		if (strncmp(a, "--", 2) != 0)
			die("unexpected argument \"%s\" (see --help)", a);
		eq = strchr(a, '=');
		olen = eq ? (size_t)(eq - a) : strlen(a);
		if (olen >= sizeof(opt))
			die("unknown option \"%s\" (see --help)", a);
		memcpy(opt, a, olen);
		opt[olen] = '\0';

		/* flags without a value */
		if (strcmp(opt, "--lag-hold") == 0) {
			lag_hold = true;
			continue;
		} else if (strcmp(opt, "--stalled") == 0) {
			stalled = true;
			continue;
		} else if (strcmp(opt, "--major-sync") == 0) {
			major = true;
			continue;
		} else if (strcmp(opt, "--hang") == 0) {
			hang = true;
			continue;
		}
		if (eq != NULL)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			die("%s needs a value (see --help)", opt);

		if (strcmp(opt, "--flavour") == 0 ||
		    strcmp(opt, "--flavor") == 0)
			flavour = v;
		else if (strcmp(opt, "--listen") == 0)
			listen_addr = v;
		else if (strcmp(opt, "--control") == 0)
			sn.control = v;
		else if (strcmp(opt, "--genesis") == 0)
			sn.genesis_ms = opt_u64(opt, v, 0, UINT64_MAX / 4);
		else if (strcmp(opt, "--block-ms") == 0)
			sn.block_ms = opt_u64(opt, v, 1, 86400000);
		else if (strcmp(opt, "--name") == 0)
			sn.name = v;
		else if (strcmp(opt, "--log") == 0)
			sn.log_path = v;
		else if (strcmp(opt, "--network") == 0)
			sn.network = v;
		else if (strcmp(opt, "--peers") == 0)
			sn.peers = (uint32_t)opt_u64(opt, v, 0, 100000);
		else if (strcmp(opt, "--catchup-rate") == 0) {
			char *end;
			sn.catchup_rate = strtod(v, &end);
			if (v[0] == '\0' || *end != '\0' ||
			    !(sn.catchup_rate >= 0 && sn.catchup_rate <= 1e6))
				die("%s: expected blocks/s in [0, 1e6], got "
				    "\"%s\"",
				    opt, v);
		} else if (strcmp(opt, "--session-blocks") == 0)
			sn.session_blocks = opt_u64(opt, v, 1, 1000000000);
		else if (strcmp(opt, "--finality-lag") == 0)
			sn.finality_lag = opt_u64(opt, v, 0, 1000000);
		else if (strcmp(opt, "--major-sync-above") == 0)
			sn.major_sync_above = opt_u64(opt, v, 0, 1000000000);
		else if (strcmp(opt, "--lag") == 0)
			start_lag = opt_u64(opt, v, 0, 1000000000);
		else if (strcmp(opt, "--validator-key") == 0)
			sn.key_path = v;
		else if (strcmp(opt, "--validator-set") == 0)
			sn.validator_set = v;
		else if (strcmp(opt, "--state") == 0)
			sn.state_path = v;
		else if (strcmp(opt, "--lease-file") == 0)
			sn.lease_path = v;
		else if (strcmp(opt, "--journal") == 0)
			sn.journal_path = v;
		else if (strcmp(opt, "--rpcuser") == 0)
			sn.rpcuser = v;
		else if (strcmp(opt, "--rpcpassword") == 0)
			sn.rpcpassword = v;
		else if (strcmp(opt, "--cookie") == 0)
			sn.cookie_path = v;
		else if (strcmp(opt, "--warmup-ms") == 0)
			sn.warmup_ms = opt_u64(opt, v, 0, 86400000);
		else if (strcmp(opt, "--exit-after") == 0)
			exit_after = opt_u64(opt, v, 1, 86400000);
		else if (strcmp(opt, "--exit-code") == 0)
			exit_code = opt_u64(opt, v, 0, 255);
		else if (strcmp(opt, "--pidfile") == 0)
			sn.pidfile = v;
		else
			die("unknown option \"%s\" (see --help)", opt);
	}

	for (size_t i = 0; i < sizeof(flavours) / sizeof(flavours[0]); i++)
		if (strcmp(flavour, flavours[i]->name) == 0)
			sn.ops = flavours[i];
	if (sn.ops == NULL)
		die("--flavour: expected cometbft, substrate, ethereum, beacon "
		    "or bitcoin, got \"%s\"",
		    flavour);
	if (sn.network == NULL)
		sn.network = sn.ops->default_network;
	/* By default catch up at 50 blocks/s, or 5 times the block rate
	 * when that is faster, so a node can always get back to the tip. */
	if (sn.catchup_rate < 0) {
		sn.catchup_rate = 5000.0 / (double)sn.block_ms;
		if (sn.catchup_rate < 50)
			sn.catchup_rate = 50;
	}
	if ((sn.rpcuser == NULL) != (sn.rpcpassword == NULL))
		die("--rpcuser and --rpcpassword go together");
	if (strlen(sn.name) > 60)
		die("--name: at most 60 characters, got \"%s\"", sn.name);
	if (listen_addr != NULL)
		snprintf(sn.listen, sizeof(sn.listen), "%s", listen_addr);
	else
		snprintf(sn.listen, sizeof(sn.listen), "127.0.0.1:%u",
		         sn.ops->default_port);

	if (sn.log_path != NULL && sn_log_open(sn.log_path) < 0)
		die("--log %s: %s", sn.log_path, strerror(errno));
	if (sn_http_listen(sn.listen, false, err, sizeof(err)) < 0)
		die("--listen: %s", err);
	if (sn.control != NULL &&
	    sn_http_listen(sn.control, true, err, sizeof(err)) < 0)
		die("--control: %s", err);
	setup_signals();
	if (sn.pidfile != NULL)
		write_pidfile();
	if (sn.ops->init != NULL && sn.ops->init() < 0)
		exit(2);
	sn_http_set_handler(route);
	sn_sign_refresh();
	sn.hung = hang;
	sn_chain_init(start_lag, lag_hold, stalled, major);
	sn_log_sub("INFO", "simnode",
	           "%s node \"%s\" RPC on %s (port %u)%s%.0u, pid %d",
	           sn.ops->name, sn.name, sn.listen,
	           (unsigned)sn_http_port(false),
	           sn.control ? ", control on port " : "",
	           (unsigned)sn_http_port(true), (int)getpid());

	was_hung = sn.hung;
	for (;;) {
		struct pollfd fds[SN_MAX_CONNS + 8];
		uint64_t wall = sn_wall_ms(), mono = sn_mono_ms();
		size_t n;
		int rc, timeout;

		sn_chain_tick(wall, mono);
		fds[0].fd = sigpipe_fds[0];
		fds[0].events = POLLIN;
		fds[0].revents = 0;
		if (exit_after > 0 && mono - sn.start_mono_ms >= exit_after) {
			sn_log_sub("ERROR", "simnode",
			           "--exit-after %" PRIu64
			           " ms: exiting with status %" PRIu64,
			           exit_after, exit_code);
			_exit((int)exit_code);
		}
		n = 1 + sn_http_fill(fds + 1, SN_MAX_CONNS + 7);
		timeout = sn_chain_timeout(sn_wall_ms(), sn_mono_ms());
		if (exit_after > 0 &&
		    sn.start_mono_ms + exit_after - mono < (uint64_t)timeout)
			timeout = (int)(sn.start_mono_ms + exit_after - mono);
		rc = poll(fds, n, timeout);
		if (rc < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (rc > 0 && (fds[0].revents & POLLIN)) {
			unsigned char sig = 0;
			if (read(sigpipe_fds[0], &sig, 1) == 1)
				break;
		}
		/* Also on a timeout: idle and lingering connections expire. */
		sn_http_service(fds + 1, n - 1, sn_mono_ms());
		if (was_hung && !sn.hung)
			sn_http_unpark(sn_mono_ms());
		was_hung = sn.hung;
	}
	sn_log_sub("INFO", "simnode", "shutting down on signal, best #%" PRIu64,
	           sn.height);
	if (sn.ops->fini != NULL)
		sn.ops->fini();
	sn_http_close_all();
	if (sn.pidfile != NULL)
		unlink(sn.pidfile);
	return 0;
}
