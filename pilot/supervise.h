/*
 * supervise.h: starting, stopping and watching the node, whatever runs it.
 *
 * One const struct supervise_ops per backend (process, docker, systemd),
 * found by name with supervise_ops_for().  A backend handle (void *) comes
 * from ops->open() and goes back through ops->close().  Every call returns
 * 0 or -errno with a reason for a human in err, and never logs: the pilot
 * daemon decides what to log.  Handles are not thread-safe: one thread (the
 * pilot's main loop) makes every call.  Each call is bounded in time.
 *
 * Errors shared by the backends:
 *   -ENOENT     no such container / unit / program
 *   -EACCES     not allowed (docker socket permissions, polkit)
 *   -ECONNREFUSED  the container engine is not there or not answering
 *   -EBUSY      the engine refused because of the node's state (HTTP 409)
 *   -ETIMEDOUT  the engine or command did not answer in time
 *   -ECHILD     start: the node exited at once (status in state())
 *   -EPROTO     an answer that could not be parsed
 *   -ENOTSUP    this backend cannot do that with this config
 *   -EIO        anything else the engine reported
 * A start of a running node and a stop of a stopped one succeed (0).
 */
#ifndef SEXTANT_PILOT_SUPERVISE_H
#define SEXTANT_PILOT_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SUPERVISE_ERR_MAX    256  /* a good size for err buffers */
#define SUPERVISE_LINE_MAX   4096 /* longer log lines are cut there */
#define SUPERVISE_CURSOR_MAX 256

/*
 * What to supervise.  open() copies everything it keeps, so the caller may
 * free the conf afterwards.  Zero means "the default" for every number.
 */
struct supervise_conf {
	/* container name or id, unit name, or a label for the process */
	const char *target;
	uint32_t call_timeout_ms; /* per API call or command; 0: 10000 */
	uint32_t logs_max_lines;  /* lines per logs() call; 0: 2000 */

	/* process backend */
	const char *const
	    *argv; /* argv[0] is a path: no PATH search, no shell */
	const char *const *envp; /* the whole environment; NULL: the pilot's */
	const char *workdir;     /* NULL: the pilot's */
	const char *log_path;    /* node's stdout+stderr; NULL: none */
	uint64_t log_max_bytes;  /* rotate at this size; 0: 64 MiB */
	uint32_t log_keep;       /* rotated files kept; 0: 3 */
	uint32_t start_check_ms; /* watch for an early exit; 0: 300 */

	/* docker backend: "unix:///path"; NULL: $DOCKER_HOST, else
	 * /var/run/docker.sock, like the docker CLI */
	const char *docker_host;
};

struct supervise_state {
	bool running;            /* up and not paused */
	char status[48];         /* the backend's word: docker State.Status,
	                          * systemd "ActiveState/SubState", process
	                          * "created", "running" or "exited" */
	int64_t pid;             /* main process on the host, 0 if none */
	bool exited;             /* the fields below describe a last exit */
	int exit_code;           /* exit status, -1 if killed or unknown
	                          * (docker: as the engine says, 128+N when a
	                          * signal killed it) */
	int exit_signal;         /* signal that killed it, 0 if none */
	bool oom_killed;         /* docker only */
	uint64_t started_at_ms;  /* wall clock, 0 if unknown */
	uint64_t finished_at_ms; /* wall clock, 0 if unknown */
	uint32_t restart_count;  /* docker RestartCount, systemd NRestarts,
	                          * process: starts after the first */
	char health[16];         /* docker healthcheck status, or "" */
	char error[SUPERVISE_ERR_MAX]; /* the backend's own error, or "" */
};

enum supervise_stream { SUPERVISE_STDOUT = 1, SUPERVISE_STDERR = 2 };

/*
 * One log line, without its newline (and without the engine's timestamp);
 * line is valid only during the call.  Return nonzero to stop early (logs()
 * then returns that value).
 */
typedef int (*supervise_line_fn)(void *arg, enum supervise_stream stream,
                                 const char *line, size_t len);

/*
 * Where a logs() or events() read starts and, on return, where the next one
 * should start, so consecutive calls see each line or event once.  Zero it
 * and set since_ms (wall clock; 0: everything kept) before the first call;
 * pos is the backend's own and opaque.  The process backend's file has no
 * times: there since_ms only chooses between the current file's start and
 * its end (lines older than since_ms are never re-read, newer ones may be).
 */
struct supervise_cursor {
	uint64_t since_ms;
	char pos[SUPERVISE_CURSOR_MAX];
};

enum supervise_event_kind {
	SUPERVISE_EV_START = 1,
	SUPERVISE_EV_DIE,
	SUPERVISE_EV_OOM,
	SUPERVISE_EV_RESTART,
};

struct supervise_event {
	enum supervise_event_kind kind;
	uint64_t time_ms; /* wall clock */
	bool exit_known;
	int exit_code; /* DIE: as in supervise_state */
	int exit_signal;
};

/* Return nonzero to stop early (events() then returns that value). */
typedef int (*supervise_event_fn)(void *arg, const struct supervise_event *ev);

struct supervise_ops {
	const char *name; /* "process", "docker", "systemd" */
	/* Check c and make a handle (*h, released with close()). */
	int (*open)(const struct supervise_conf *c, void **h, char *err,
	            size_t errlen);
	/* Fill st (always fully written, even on error). */
	int (*state)(void *h, struct supervise_state *st, char *err,
	             size_t errlen);
	/* 0 once the node runs; a node that exits at once is -ECHILD. */
	int (*start)(void *h, char *err, size_t errlen);
	/* SIGTERM (or the engine's stop), SIGKILL after timeout_ms. */
	int (*stop)(void *h, uint32_t timeout_ms, char *err, size_t errlen);
	/* stop(timeout_ms) then start(); backoff is the policy's job. */
	int (*restart)(void *h, uint32_t timeout_ms, char *err, size_t errlen);
	/* New log lines after cur (see struct supervise_cursor), at most
	 * logs_max_lines of them; cur is advanced past what was delivered. */
	int (*logs)(void *h, struct supervise_cursor *cur, supervise_line_fn fn,
	            void *arg, char *err, size_t errlen);
	/* Start, die, oom and restart events since cur, without blocking:
	 * docker asks /events with since and until (podman: its own
	 * endpoint with stream=false), process reports its own reaps,
	 * systemd compares successive `systemctl show` answers (the first
	 * call only takes a baseline). */
	int (*events)(void *h, struct supervise_cursor *cur,
	              supervise_event_fn fn, void *arg, char *err,
	              size_t errlen);
	/* Release h (NULL is fine).  The process backend stops a running
	 * node first: the node never outlives its supervisor. */
	void (*close)(void *h);
};

extern const struct supervise_ops supervise_process_ops;
extern const struct supervise_ops supervise_docker_ops;
extern const struct supervise_ops supervise_systemd_ops;

/* The backend called name, or NULL. */
const struct supervise_ops *supervise_ops_for(const char *name);
/* The backends' names, NULL-terminated (for config enums and usage). */
extern const char *const supervise_backend_names[];

const char *supervise_event_name(enum supervise_event_kind k);

/*
 * Backend internals: helpers shared by the backends and pure parsers
 * exposed for tests and fuzzing.
 */

/*
 * In a freshly forked child, before exec: default signal dispositions and
 * an empty mask, its own process group, stdin/stdout/stderr from
 * in/out/errfd (-1: /dev/null), and every other descriptor closed except
 * *keep (-1: none; it may be moved, so it is updated).  Closing matters: the
 * pilot's sockets and keys must not leak into the node or into systemctl.
 * Async-signal-safe only.  0 or -errno.
 */
int supervise_child_setup(int in, int out, int errfd, int *keep);

/*
 * Run argv (execvp: PATH lookup, no shell) with stdin from /dev/null, for at
 * most timeout_ms, keeping at most max bytes of stdout in *out (a fresh
 * NUL-terminated buffer, caller frees) and the first bytes of stderr in
 * errtext.  *status is the wait status.  0 when the program ran to its end
 * (whatever its status); exec's -errno (-ENOENT...) if it could not be
 * executed (the reason in errtext), -ETIMEDOUT
 * (the program was killed), -EMSGSIZE (more than max bytes of stdout).
 */
int supervise_run(const char *const *argv, uint32_t timeout_ms, size_t max,
                  char **out, size_t *outlen, int *status, char *errtext,
                  size_t errtextlen);

/* supervise_docker.c: parsers of Engine API answers (pure, bounded). */

/* An inspect answer into st; *tty from Config.Tty.  0 or -EPROTO. */
int supervise_docker_parse_inspect(const char *body, size_t len,
                                   struct supervise_state *st, bool *tty,
                                   char *err, size_t errlen);
/*
 * A /events answer (a stream of JSON objects): call fn for each die, oom,
 * restart and start event whose timeNano is after *last_ns, and raise
 * *last_ns.  0, fn's nonzero, or -EPROTO (events before the bad one were
 * delivered).
 */
int supervise_docker_parse_events(const char *body, size_t len,
                                  uint64_t *last_ns, supervise_event_fn fn,
                                  void *arg);
/* "2020-01-06T09:06:59.461876391Z" (or +hh:mm) into ns since the epoch;
 * 0 or -EINVAL.  The zero time "0001-01-01T00:00:00Z" gives 0. */
int supervise_docker_parse_time(const char *s, size_t len, int64_t *ns);

/* supervise_systemd.c: a `systemctl show` answer into st; 0 or -ENOENT
 * (LoadState=not-found) or -EPROTO.  now_* convert the start time. */
int supervise_systemd_parse_show(const char *text, size_t len,
                                 uint64_t now_wall_ms, uint64_t now_mono_ms,
                                 struct supervise_state *st, char *err,
                                 size_t errlen);

#endif
