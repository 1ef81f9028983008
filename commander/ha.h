/*
 * ha.h: commander HA on etcd.  Several commanders share one etcd cluster;
 * one at a time is the leader, and only the leader serves pilots and runs
 * failover.  The rest wait (they do not listen for pilots) and take over
 * when the leader's etcd lease expires.
 *
 * Election (protocols.md §8): each commander grants itself an etcd lease
 * of ttl seconds and campaigns with txn If(create_revision(P/leader) == 0)
 * Then(put P/leader = id, lease).  The winner keeps its lease alive every
 * ttl/3; a commander that dies or loses etcd lets the lease run out, and
 * etcd deletes the key with it.
 *
 * The leadership deadline: a commander acts as leader only until
 *     (when it SENT the last keepalive that etcd answered) + ttl - margin,
 * and etcd cannot expire the lease before (when etcd RECEIVED it) + ttl,
 * which is later.  So a leader cut off from etcd stops acting (no lease
 * renewal to any pilot, no failover, ingest closed) before etcd can let
 * another commander win.  The margin absorbs clock-rate differences
 * between this host and etcd's.
 *
 * Two halves: ha_sm_* is the PURE state machine (now as an argument, no
 * I/O), table-tested in tests/unit/ha_test.c; ha_start() runs it on a
 * thread of its own that makes the etcd calls (etcd.h).
 */
#ifndef SEXTANT_COMMANDER_HA_H
#define SEXTANT_COMMANDER_HA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commander/etcd.h"

#define HA_ID_MAX     64
#define HA_PREFIX_MAX 128

/* ---- the pure state machine ---- */

enum ha_role {
	HA_FOLLOWER = 0, /* no lease: grant one */
	HA_CANDIDATE,    /* a lease, not the leader key: campaign */
	HA_LEADER,       /* holds the leader key, within the deadline */
};

enum ha_action {
	HA_ACT_WAIT = 0,  /* nothing due before ha_sm.next (see ha_sm_next) */
	HA_ACT_GRANT,     /* etcd_lease_grant(ttl) -> ha_sm_granted */
	HA_ACT_CAMPAIGN,  /* etcd_campaign -> ha_sm_campaigned */
	HA_ACT_KEEPALIVE, /* etcd_lease_keepalive -> ha_sm_kept */
	HA_ACT_REVOKE,    /* etcd_lease_revoke(revoke_lease), best effort,
	                   * then ha_sm_revoked */
};

struct ha_params {
	uint64_t ttl_ms;    /* etcd lease TTL (whole seconds) */
	uint64_t margin_ms; /* subtracted from every deadline */
	uint64_t retry_ms;  /* after a failed call; follower poll period */
};

struct ha_sm {
	struct ha_params p;
	enum ha_role role;
	int64_t lease;          /* our etcd lease; 0 none */
	uint64_t lease_until;   /* our lease surely alive before this */
	uint64_t deadline;      /* LEADER: act as leader before this */
	int64_t rev;            /* LEADER: mod revision of our leader key */
	uint64_t term;          /* how many times we became leader */
	uint64_t next_ka;       /* when the next keepalive is due */
	uint64_t next_try;      /* when the next grant/campaign is due */
	int64_t revoke_lease;   /* a lease to give up (0 none) */
	uint64_t last;          /* time never runs backwards here */
	char leader[HA_ID_MAX]; /* who holds the key, as last seen; "" */
};

/* A follower at now, about to grant a lease. */
void ha_sm_init(struct ha_sm *, const struct ha_params *p, uint64_t now);

/* What to do at now; *wait_ms: how long until something is due (WAIT).
 * Also steps a leader past its deadline down (see ha_sm_leading). */
enum ha_action ha_sm_next(struct ha_sm *, uint64_t now, uint64_t *wait_ms);

/* A lease grant sent at sent, answered at now: ok with id and ttl_s (etcd
 * may raise a TTL, never is it taken longer than asked here). */
void ha_sm_granted(struct ha_sm *, uint64_t sent, uint64_t now, bool ok,
                   int64_t id, int64_t ttl_s);
/* A campaign answered at now: ok (etcd answered), won with rev, else the
 * holder's id (NUL-terminated, may be ""). */
void ha_sm_campaigned(struct ha_sm *, uint64_t now, bool ok, bool won,
                      int64_t rev, const char *holder);
/* A keepalive sent at sent, answered at now: ok with ttl_s (0: the lease
 * is gone), or !ok (no answer: the deadline stays where it was). */
void ha_sm_kept(struct ha_sm *, uint64_t sent, uint64_t now, bool ok,
                int64_t ttl_s);
/* The revoke was tried (whatever came of it). */
void ha_sm_revoked(struct ha_sm *, uint64_t now);
/* A fenced write found the leader key changed: someone else leads; step
 * down at once. */
void ha_sm_fenced_out(struct ha_sm *, uint64_t now);
/* Give up: step down and revoke the lease (shutdown). */
void ha_sm_resign(struct ha_sm *, uint64_t now);

/* The term (> 0) while leading at now, else 0.  A leader past its
 * deadline is not leading, whatever ha_sm_next has yet to notice. */
uint64_t ha_sm_leading(const struct ha_sm *, uint64_t now);

const char *ha_role_str(enum ha_role);

/* ---- the running election ---- */

struct ha_conf {
	char endpoints[ETCD_MAX_ENDPOINTS][ETCD_URL_MAX];
	size_t nendpoints;          /* 0: HA off */
	char prefix[HA_PREFIX_MAX]; /* keys: PREFIX/leader, PREFIX/failover/G */
	char id[HA_ID_MAX];         /* this commander, in the leader key */
	uint64_t ttl_ms;
	uint64_t margin_ms;
	uint64_t timeout_ms; /* one etcd request */
	/* etcd auth: user "" = none; the password is read from
	 * password_file (ha_read_password) by ha_start, never kept here */
	char user[ETCD_USER_MAX];
	char password_file[ETCD_PATH_MAX];
	/* https endpoints: "" = libcurl's defaults (the system CAs) */
	char ca_file[ETCD_PATH_MAX];
	char cert_file[ETCD_PATH_MAX];
	char key_file[ETCD_PATH_MAX]; /* mode 0600 or stricter */
};

/*
 * The etcd password from path: a secret file (file_check_secrecy: ours,
 * mode 0600 or stricter), one line, its trailing newline dropped, into
 * out[size].  0, or -1 with err naming the file.  The caller wipes out
 * (sodium_memzero).
 */
int ha_read_password(const char *path, char *out, size_t size, char *err,
                     size_t errlen);

struct ha;

/* Start the election thread.  0 with *out (ha_stop), or -1 with err. */
int ha_start(const struct ha_conf *conf, struct ha **out, char *err,
             size_t errlen);
/* Resign (revoke our lease, so a standby takes over at once), stop the
 * thread, free; accepts NULL. */
void ha_stop(struct ha *);

/* The term (> 0) while this commander leads at now (monotonic ms). */
uint64_t ha_leading(struct ha *, uint64_t now);

struct ha_view {
	enum ha_role role;
	uint64_t term;
	char leader[HA_ID_MAX]; /* who leads, as last seen ("" unknown) */
	uint64_t deadline_in_ms;
};
void ha_get_view(struct ha *, uint64_t now, struct ha_view *out);

/*
 * The leader's durable records (the failover groups' epochs) live under
 * PREFIX/failover/NAME.  ha_put_record writes one only while this
 * commander still holds the leader key in term (a txn comparing the key's
 * value and mod revision): 0 written, -EPERM (not the leader in that term
 * any more; the election steps down), -EIO with err.  Call from one
 * thread (the core's tick); it has its own etcd client.
 */
int ha_put_record(struct ha *, uint64_t term, const char *name, const char *val,
                  char *err, size_t errlen);
/* 0 with *found, -EIO with err. */
int ha_get_record(struct ha *, const char *name, char *val, size_t size,
                  bool *found, char *err, size_t errlen);

const char *ha_id(const struct ha *);

#endif
