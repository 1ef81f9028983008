/*
 * ha_run.c: the election thread (ha.h): runs the pure machine of ha.c,
 * making each etcd call it names, and the leader's fenced record writes.
 * Daemon code: it logs changes of role.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "commander/ha.h"
#include "common/fileio.h"
#include "common/http.h"
#include "common/log.h"
#include "common/util.h"

#define WAIT_MAX_MS 1000
/* An etcd failure that persists is logged again this often. */
#define ERR_REPEAT_MS (60 * 1000)

struct ha {
	struct ha_conf conf;
	char leader_key[HA_PREFIX_MAX + 16];
	pthread_t th;
	bool running;
	pthread_mutex_t mu; /* sm, stop */
	pthread_cond_t cv;
	bool stop;
	struct ha_sm sm;
	struct etcd el;  /* the election thread's */
	struct etcd rec; /* the records' (the core's tick thread) */
	/* the election thread's last failure logged, and when */
	char last_err[256];
	uint64_t last_err_at;
};

int
ha_read_password(const char *path, char *out, size_t size, char *err,
                 size_t errlen)
{
	char why[256], *buf = NULL;
	size_t len, n;
	int rc;

	if (size > 0)
		out[0] = '\0';
	if (file_check_secrecy(path, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if ((rc = file_read_all(path, 4096, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return -1;
	}
	n = len;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	rc = -1;
	if (n == 0)
		snprintf(err, errlen, "%s: empty (the password on one line)",
		         path);
	else if (memchr(buf, '\n', n) != NULL || strlen(buf) != n)
		snprintf(err, errlen,
		         "%s: more than one line (the password on one line)",
		         path);
	else if (n >= size)
		snprintf(err, errlen, "%s: longer than %zu bytes", path,
		         size - 1);
	else {
		memcpy(out, buf, n + 1);
		rc = 0;
	}
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

/* An etcd call failed: say so at warning level, since a commander that
 * cannot use etcd never leads (a wrong password, an untrusted certificate
 * are operator errors), but once per distinct failure and minute, not
 * every retry.  ok: the call worked; forget the last failure. */
static void
note_err(struct ha *h, bool ok, const char *what, const char *err)
{
	char line[sizeof(h->last_err)];
	uint64_t now = clock_mono_ms();

	if (ok) {
		if (h->last_err[0])
			log_info("ha: %s: etcd answers again", h->conf.id);
		h->last_err[0] = '\0';
		return;
	}
	snprintf(line, sizeof(line), "%s: %s", what, err);
	if (strcmp(line, h->last_err) == 0 &&
	    now - h->last_err_at < ERR_REPEAT_MS)
		return;
	util_strlcpy(h->last_err, line, sizeof(h->last_err));
	h->last_err_at = now;
	log_warnx("ha: %s cannot use etcd: %s", h->conf.id, line);
}

const char *
ha_id(const struct ha *h)
{
	return h->conf.id;
}

static void
log_change(struct ha *h, enum ha_role was, const struct ha_sm *s,
           const char *why)
{
	if (was == s->role)
		return;
	if (s->role == HA_LEADER)
		log_info("ha: %s leads (term %" PRIu64 ", key %s rev %" PRId64
		         ")",
		         h->conf.id, s->term, h->leader_key, s->rev);
	else if (was == HA_LEADER)
		log_warnx("ha: %s no longer leads: %s", h->conf.id, why);
}

/* One action, made without the lock, its outcome fed back with it. */
static void
act(struct ha *h, enum ha_action a)
{
	char err[256] = "", holder[HA_ID_MAX] = "";
	struct etcd_kv *cur = NULL;
	int64_t lease, id = 0, ttl = 0, rev = 0, ttl_s;
	uint64_t sent;
	enum ha_role was;
	bool won = false, have = false;
	const char *why = "";
	int rc;

	pthread_mutex_lock(&h->mu);
	lease = a == HA_ACT_REVOKE ? h->sm.revoke_lease : h->sm.lease;
	ttl_s = (int64_t)((h->sm.p.ttl_ms + 999) / 1000);
	pthread_mutex_unlock(&h->mu);
	sent = clock_mono_ms();
	switch (a) {
	case HA_ACT_GRANT:
		rc = etcd_lease_grant(&h->el, ttl_s, &id, &ttl, err,
		                      sizeof(err));
		note_err(h, rc == 0, "lease grant", err);
		pthread_mutex_lock(&h->mu);
		ha_sm_granted(&h->sm, sent, clock_mono_ms(), rc == 0, id, ttl);
		pthread_mutex_unlock(&h->mu);
		return;
	case HA_ACT_CAMPAIGN:
		if ((cur = malloc(sizeof(*cur))) == NULL)
			return;
		rc = etcd_campaign(&h->el, h->leader_key, h->conf.id, lease,
		                   &won, &rev, cur, &have, err, sizeof(err));
		note_err(h, rc == 0, "campaign", err);
		/* our own put, applied by an earlier try whose answer was
		 * lost (post() tries the next endpoint): the key is ours */
		if (rc == 0 && !won && have && cur->lease == lease &&
		    lease != 0 &&
		    strcmp((const char *)cur->value, h->conf.id) == 0) {
			won = true;
			rev = cur->mod_rev;
			have = false;
		}
		if (have)
			util_strlcpy(holder, (const char *)cur->value,
			             sizeof(holder));
		free(cur);
		pthread_mutex_lock(&h->mu);
		was = h->sm.role;
		if (!won && holder[0] && strcmp(holder, h->sm.leader) != 0) {
			if (strcmp(holder, h->conf.id) == 0)
				/* killed and restarted within a ttl */
				log_info(
				    "ha: the leader key still holds an "
				    "earlier %s's lease; waiting for it to "
				    "run out",
				    holder);
			else
				log_info("ha: %s leads; %s stands by", holder,
				         h->conf.id);
		}
		ha_sm_campaigned(&h->sm, clock_mono_ms(), rc == 0, won, rev,
		                 holder);
		log_change(h, was, &h->sm, "");
		pthread_mutex_unlock(&h->mu);
		return;
	case HA_ACT_KEEPALIVE:
		rc =
		    etcd_lease_keepalive(&h->el, lease, &ttl, err, sizeof(err));
		if (rc != 0)
			log_warnx("ha: lease keepalive: %s", err);
		pthread_mutex_lock(&h->mu);
		rev = h->sm.role == HA_LEADER ? h->sm.rev : 0;
		pthread_mutex_unlock(&h->mu);
		/* A live lease is not enough: a leader key deleted by hand
		 * (or overwritten) lets a standby win while our keepalives
		 * still succeed, and two leaders could then grant two
		 * pilots.  The key must still be ours, at our revision. */
		if (rc == 0 && ttl > 0 && rev != 0 &&
		    (cur = malloc(sizeof(*cur))) != NULL) {
			if (etcd_get(&h->el, h->leader_key, cur, &have, err,
			             sizeof(err)) == 0 &&
			    (!have || cur->mod_rev != rev ||
			     strcmp((const char *)cur->value, h->conf.id) != 0))
				why = "the leader key is no longer ours";
			free(cur);
		}
		pthread_mutex_lock(&h->mu);
		was = h->sm.role;
		if (rc == 0 && ttl <= 0)
			why = "etcd dropped our lease";
		if (why[0] && rc == 0 && ttl > 0)
			ha_sm_fenced_out(&h->sm, clock_mono_ms());
		else
			ha_sm_kept(&h->sm, sent, clock_mono_ms(), rc == 0, ttl);
		log_change(h, was, &h->sm, why);
		pthread_mutex_unlock(&h->mu);
		return;
	case HA_ACT_REVOKE:
		/* best effort: if etcd cannot hear it the lease just runs
		 * out */
		if (lease != 0 &&
		    etcd_lease_revoke(&h->el, lease, err, sizeof(err)) != 0)
			log_debug("ha: lease revoke: %s", err);
		pthread_mutex_lock(&h->mu);
		ha_sm_revoked(&h->sm, clock_mono_ms());
		pthread_mutex_unlock(&h->mu);
		return;
	case HA_ACT_WAIT:
	default:
		return;
	}
}

static void *
ha_main(void *arg)
{
	struct ha *h = arg;
	struct timespec ts;
	uint64_t wait;
	enum ha_action a;
	enum ha_role was;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		was = h->sm.role;
		a = ha_sm_next(&h->sm, clock_mono_ms(), &wait);
		log_change(h, was, &h->sm,
		           "past the leadership deadline (no "
		           "keepalive answered in time)");
		if (a != HA_ACT_WAIT) {
			pthread_mutex_unlock(&h->mu);
			act(h, a);
			pthread_mutex_lock(&h->mu);
			continue;
		}
		if (wait > WAIT_MAX_MS)
			wait = WAIT_MAX_MS;
		if (wait == 0)
			wait = 1;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(wait / 1000);
		ts.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	/* resigning: let a standby take over now, not at lease expiry */
	if (h->sm.revoke_lease != 0) {
		pthread_mutex_unlock(&h->mu);
		act(h, HA_ACT_REVOKE);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	http_thread_cleanup();
	return NULL;
}

int
ha_start(const struct ha_conf *conf, struct ha **out, char *err, size_t errlen)
{
	const char *eps[ETCD_MAX_ENDPOINTS];
	struct ha_params p;
	pthread_condattr_t ca;
	struct ha *h;
	int rc;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->conf = *conf;
	for (size_t i = 0; i < conf->nendpoints && i < ETCD_MAX_ENDPOINTS; i++)
		eps[i] = conf->endpoints[i];
	if (etcd_init(&h->el, eps, conf->nendpoints,
	              (uint32_t)conf->timeout_ms) != 0 ||
	    etcd_init(&h->rec, eps, conf->nendpoints,
	              (uint32_t)conf->timeout_ms) != 0) {
		snprintf(err, errlen, "[ha] endpoint: unusable list");
		free(h);
		return -1;
	}
	if (etcd_set_tls(&h->el, conf->ca_file, conf->cert_file,
	                 conf->key_file) != 0 ||
	    etcd_set_tls(&h->rec, conf->ca_file, conf->cert_file,
	                 conf->key_file) != 0) {
		snprintf(err, errlen,
		         "[ha] ca_file, cert_file, key_file: "
		         "path too long");
		free(h);
		return -1;
	}
	if (conf->user[0]) {
		char pw[ETCD_PASSWORD_MAX], why[ETCD_PATH_MAX + 128];

		rc = ha_read_password(conf->password_file, pw, sizeof(pw), why,
		                      sizeof(why));
		if (rc == 0 && (etcd_set_auth(&h->el, conf->user, pw) != 0 ||
		                etcd_set_auth(&h->rec, conf->user, pw) != 0)) {
			snprintf(why, sizeof(why), "unusable user or password");
			rc = -1;
		}
		sodium_memzero(pw, sizeof(pw));
		if (rc != 0) {
			snprintf(err, errlen, "[ha] password_file: %s", why);
			etcd_wipe(&h->el);
			etcd_wipe(&h->rec);
			free(h);
			return -1;
		}
	}
	snprintf(h->leader_key, sizeof(h->leader_key), "%s/leader",
	         conf->prefix);
	p = (struct ha_params){.ttl_ms = conf->ttl_ms,
	                       .margin_ms = conf->margin_ms,
	                       .retry_ms = 500};
	ha_sm_init(&h->sm, &p, clock_mono_ms());
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&h->th, NULL, ha_main, h)) != 0) {
		snprintf(err, errlen, "ha: cannot start a thread: %s",
		         strerror(rc));
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		etcd_wipe(&h->el);
		etcd_wipe(&h->rec);
		free(h);
		return -1;
	}
	h->running = true;
	*out = h;
	return 0;
}

void
ha_stop(struct ha *h)
{
	if (h == NULL)
		return;
	if (h->running) {
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		ha_sm_resign(&h->sm, clock_mono_ms());
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->th, NULL);
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	etcd_wipe(&h->el);
	etcd_wipe(&h->rec);
	free(h);
}

uint64_t
ha_leading(struct ha *h, uint64_t now)
{
	uint64_t t;

	pthread_mutex_lock(&h->mu);
	t = ha_sm_leading(&h->sm, now);
	pthread_mutex_unlock(&h->mu);
	return t;
}

void
ha_get_view(struct ha *h, uint64_t now, struct ha_view *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&h->mu);
	out->role = h->sm.role;
	out->term = h->sm.term;
	if (ha_sm_leading(&h->sm, now)) {
		util_strlcpy(out->leader, h->conf.id, sizeof(out->leader));
		out->deadline_in_ms = h->sm.deadline - now;
	} else {
		util_strlcpy(out->leader, h->sm.leader, sizeof(out->leader));
		if (out->role == HA_LEADER)
			out->role = HA_CANDIDATE; /* past its deadline */
	}
	pthread_mutex_unlock(&h->mu);
}

static int
record_key(const struct ha *h, const char *name, char *key, size_t size)
{
	if ((size_t)snprintf(key, size, "%s/failover/%s", h->conf.prefix,
	                     name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int
ha_put_record(struct ha *h, uint64_t term, const char *name, const char *val,
              char *err, size_t errlen)
{
	char key[ETCD_KEY_MAX];
	int64_t rev;
	bool ok = false;
	int rc;

	if ((rc = record_key(h, name, key, sizeof(key))) != 0) {
		snprintf(err, errlen, "group name too long for a key");
		return rc;
	}
	pthread_mutex_lock(&h->mu);
	if (ha_sm_leading(&h->sm, clock_mono_ms()) != term) {
		pthread_mutex_unlock(&h->mu);
		snprintf(err, errlen, "not the leader (term %" PRIu64 ")",
		         term);
		return -EPERM;
	}
	rev = h->sm.rev;
	pthread_mutex_unlock(&h->mu);
	/* the write lands only if our leader key is still the one we put:
	 * a deposed leader can never write an epoch */
	rc = etcd_put_fenced(&h->rec, h->leader_key, h->conf.id, rev, key, val,
	                     strlen(val), &ok, err, errlen);
	if (rc != 0)
		return -EIO;
	if (!ok) {
		pthread_mutex_lock(&h->mu);
		if (h->sm.term == term && h->sm.role == HA_LEADER) {
			ha_sm_fenced_out(&h->sm, clock_mono_ms());
			log_warnx("ha: %s no longer leads: the leader key "
			          "changed under it",
			          h->conf.id);
			pthread_cond_broadcast(&h->cv);
		}
		pthread_mutex_unlock(&h->mu);
		snprintf(err, errlen,
		         "the leader key changed: not the "
		         "leader any more");
		return -EPERM;
	}
	return 0;
}

int
ha_get_record(struct ha *h, const char *name, char *val, size_t size,
              bool *found, char *err, size_t errlen)
{
	char key[ETCD_KEY_MAX];
	struct etcd_kv *kv;
	int rc;

	*found = false;
	if ((rc = record_key(h, name, key, sizeof(key))) != 0) {
		snprintf(err, errlen, "group name too long for a key");
		return rc;
	}
	if ((kv = malloc(sizeof(*kv))) == NULL)
		return -ENOMEM;
	rc = etcd_get(&h->rec, key, kv, found, err, errlen);
	if (rc == 0 && *found) {
		if (kv->vlen >= size) {
			snprintf(err, errlen, "record %s: %zu bytes, too long",
			         key, kv->vlen);
			rc = -EMSGSIZE;
			*found = false;
		} else {
			memcpy(val, kv->value, kv->vlen);
			val[kv->vlen] = '\0';
		}
	}
	free(kv);
	return rc != 0 ? (rc == -EMSGSIZE ? rc : -EIO) : 0;
}
