#include "commander/registry.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/util.h"

#define LINE_MAX_LEN   1024
#define FLEET_CACHE    32
#define FLEET_CACHE_MS 500

struct fleet_cache {
	char network[PROTO_NAME_MAX];
	uint64_t median;
	uint64_t at_mono; /* 0 = empty */
};

struct registry {
	pthread_mutex_t mu;
	size_t n;
	struct registry_pilot *pilots;
	uint32_t *slots; /* index + 1, 0 = empty */
	size_t nslots;
	uint64_t fresh_ms;
	uint32_t interval_ms;
	struct fleet_cache cache[FLEET_CACHE];
	uint64_t *scratch; /* n heights for medians */
	uint64_t start_wall_ms;
};

static void perr(char *err, size_t errlen, const char *name, unsigned line,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
perr(char *err, size_t errlen, const char *name, unsigned line, const char *fmt,
     ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s:%u: ", name, line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool
name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

static size_t
slot_of(const struct registry *reg, const uint8_t pk[KEYS_PK_BYTES])
{
	uint64_t h;

	/* keys are uniformly random: their first bytes are a fine hash */
	memcpy(&h, pk, sizeof(h));
	return (size_t)(h & (reg->nslots - 1));
}

struct registry_pilot *
registry_find(struct registry *reg, const uint8_t pk[KEYS_PK_BYTES])
{
	size_t i = slot_of(reg, pk);

	for (;;) {
		uint32_t v = reg->slots[i];

		if (v == 0)
			return NULL;
		if (memcmp(reg->pilots[v - 1].pk, pk, KEYS_PK_BYTES) == 0)
			return &reg->pilots[v - 1];
		i = (i + 1) & (reg->nslots - 1);
	}
}

static int
grow(struct registry *reg, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	struct registry_pilot *np;

	if ((np = realloc(reg->pilots, ncap * sizeof(*np))) == NULL)
		return -ENOMEM;
	reg->pilots = np;
	*cap = ncap;
	return 0;
}

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* "line N" of the file, or the place a key came from. */
static const char *
place(const struct registry_pilot *p, char *buf, size_t size)
{
	if (p->line)
		snprintf(buf, size, "line %u", p->line);
	else
		snprintf(buf, size, "%s", p->src);
	return buf;
}

static void dup_err(char *err, size_t errlen, const char *name,
                    const struct registry_pilot *p, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* An error about pilot p: "file:line: ..." or "src: ...". */
static void
dup_err(char *err, size_t errlen, const char *name,
        const struct registry_pilot *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->line)
		n = snprintf(err, errlen, "%s:%u: ", name, p->line);
	else
		n = snprintf(err, errlen, "%s: ", p->src);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * Index the keys for lookups, and refuse a key or a node name listed twice
 * (in file order, so the message names the later line).  Hash tables, not
 * pairwise comparison: fleets of 10,000 pilots load in well under a second.
 * 0, -ENOMEM, or -EEXIST with err filled.
 */
static int
build_index(struct registry *reg, const char *name, char *err, size_t errlen)
{
	size_t ns = 16, mask;
	uint32_t *names;
	char fp[32], where[128];

	while (ns < reg->n * 2)
		ns *= 2;
	mask = ns - 1;
	if ((reg->slots = calloc(ns, sizeof(*reg->slots))) == NULL ||
	    (reg->scratch =
	         calloc(reg->n ? reg->n : 1, sizeof(*reg->scratch))) == NULL)
		return -ENOMEM;
	reg->nslots = ns;
	if ((names = calloc(ns, sizeof(*names))) == NULL)
		return -ENOMEM;
	for (size_t k = 0; k < reg->n; k++) {
		const struct registry_pilot *p = &reg->pilots[k];
		size_t i = slot_of(reg, p->pk);

		for (; reg->slots[i] != 0; i = (i + 1) & mask) {
			const struct registry_pilot *q =
			    &reg->pilots[reg->slots[i] - 1];

			if (memcmp(q->pk, p->pk, KEYS_PK_BYTES) == 0) {
				dup_err(
				    err, errlen, name, p,
				    "key already listed at %s '%s'",
				    place(q, where, sizeof(where)),
				    keys_fingerprint(p->pk, fp, sizeof(fp)));
				free(names);
				return -EEXIST;
			}
		}
		reg->slots[i] = (uint32_t)(k + 1);
		for (i = name_hash(p->name) & mask; names[i] != 0;
		     i = (i + 1) & mask) {
			const struct registry_pilot *q =
			    &reg->pilots[names[i] - 1];

			if (strcmp(q->name, p->name) == 0) {
				dup_err(err, errlen, name, p,
				        "node name already listed at %s "
				        "'%s'",
				        place(q, where, sizeof(where)),
				        p->name);
				free(names);
				return -EEXIST;
			}
		}
		names[i] = (uint32_t)(k + 1);
	}
	free(names);
	return 0;
}

/* One line, trimmed, into p.  1 if it holds a key, 0 if blank/comment,
 * -1 on error (reported). */
static int
parse_line(struct registry *reg, const char *name, unsigned lineno, char *line,
           const uint8_t my_sk[KEYS_SK_BYTES], struct registry_pilot *p,
           char *err, size_t errlen)
{
	char comment[KEYS_PUB_LINE_MAX], msg[160], *s = line, *e;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 &&
	       (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		s[--len] = '\0';
	if (*s == '\0' || *s == '#')
		return 0;
	memset(p, 0, sizeof(*p));
	if (keys_parse_public(s, p->pk, comment, sizeof(comment), msg,
	                      sizeof(msg)) != 0) {
		perr(err, errlen, name, lineno, "%s '%.80s'", msg, s);
		return -1;
	}
	/* the comment is the node name: one word */
	e = comment;
	while (*e == ' ' || *e == '\t')
		e++;
	if (*e == '\0') {
		perr(err, errlen, name, lineno, "missing node name '%.80s'", s);
		return -1;
	}
	if (!name_ok(e)) {
		perr(err, errlen, name, lineno,
		     "node name: letters, digits, '.', '_' or '-' '%.80s'", e);
		return -1;
	}
	if (util_strcpy_checked(p->name, e, sizeof(p->name)) != 0) {
		perr(err, errlen, name, lineno,
		     "node name longer than %d characters '%.80s'",
		     PROTO_NAME_MAX - 1, e);
		return -1;
	}
	if (env_peer_init(&p->peer, my_sk, p->pk) != 0) {
		env_peer_wipe(&p->peer);
		perr(err, errlen, name, lineno, "unusable public key '%.80s'",
		     s);
		return -1;
	}
	p->line = lineno;
	return 1;
}

/* One extra key into p: 0, or -1 with err filled. */
static int
parse_extra(const struct registry_extra *x, const uint8_t my_sk[KEYS_SK_BYTES],
            struct registry_pilot *p, char *err, size_t errlen)
{
	char comment[KEYS_PUB_LINE_MAX], msg[160];

	memset(p, 0, sizeof(*p));
	if ((p->src = strdup(x->src)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", x->src);
		return -1;
	}
	if (keys_parse_public(x->line, p->pk, comment, sizeof(comment), msg,
	                      sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s '%.80s'", x->src, msg, x->line);
		return -1;
	}
	if (!name_ok(x->name) ||
	    util_strcpy_checked(p->name, x->name, sizeof(p->name)) != 0) {
		snprintf(err, errlen, "%s: bad node name '%.80s'", x->src,
		         x->name);
		return -1;
	}
	if (env_peer_init(&p->peer, my_sk, p->pk) != 0) {
		env_peer_wipe(&p->peer);
		snprintf(err, errlen, "%s: unusable public key '%.80s'", x->src,
		         x->line);
		return -1;
	}
	return 0;
}

static struct registry *
build(const char *name, const char *text, const struct registry_extra *extra,
      size_t nextra, const uint8_t my_sk[KEYS_SK_BYTES], char *err,
      size_t errlen)
{
	struct registry *reg;
	const char *p = text ? text : "", *nl;
	char line[LINE_MAX_LEN];
	unsigned lineno = 0;
	size_t cap = 0;
	int rc;

	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		goto nomem;
	pthread_mutex_init(&reg->mu, NULL);
	reg->fresh_ms = 30000;
	reg->start_wall_ms = clock_wall_ms();
	while (*p) {
		size_t len;

		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			perr(err, errlen, name, lineno,
			     "line longer than %d characters '%.40s...'",
			     LINE_MAX_LEN - 1, p);
			goto fail;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : p + len;
		if (reg->n == cap && grow(reg, &cap) != 0)
			goto nomem;
		rc = parse_line(reg, name, lineno, line, my_sk,
		                &reg->pilots[reg->n], err, errlen);
		if (rc < 0)
			goto fail;
		if (rc > 0)
			reg->n++;
		if (reg->n > UINT32_MAX / 4) {
			perr(err, errlen, name, lineno, "too many pilots");
			goto fail;
		}
	}
	for (size_t i = 0; i < nextra; i++) {
		if (reg->n == cap && grow(reg, &cap) != 0)
			goto nomem;
		/* counted even when it fails: its src is freed with the rest */
		rc = parse_extra(&extra[i], my_sk, &reg->pilots[reg->n], err,
		                 errlen);
		reg->n++;
		if (rc != 0)
			goto fail;
	}
	if ((rc = build_index(reg, name, err, errlen)) != 0) {
		if (rc == -ENOMEM)
			goto nomem;
		goto fail;
	}
	return reg;
nomem:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	registry_free(reg);
	return NULL;
}

struct registry *
registry_parse(const char *name, const char *text,
               const uint8_t my_sk[KEYS_SK_BYTES], char *err, size_t errlen)
{
	return build(name, text, NULL, 0, my_sk, err, errlen);
}

struct registry *
registry_load_with(const char *path, const struct registry_extra *extra,
                   size_t nextra, const uint8_t my_sk[KEYS_SK_BYTES], char *err,
                   size_t errlen)
{
	struct registry *reg;
	char *text = NULL;
	size_t len;
	int rc;

	if (path == NULL || path[0] == '\0')
		return build("(no authorized_pilots)", NULL, extra, nextra,
		             my_sk, err, errlen);
	if ((rc = file_read_all(path, REGISTRY_MAX_FILE, &text, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path,
		         rc == -EFBIG ? "file too large" : strerror(-rc));
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in file", path);
		free(text);
		return NULL;
	}
	reg = build(path, text, extra, nextra, my_sk, err, errlen);
	free(text);
	return reg;
}

struct registry *
registry_load(const char *path, const uint8_t my_sk[KEYS_SK_BYTES], char *err,
              size_t errlen)
{
	return registry_load_with(path, NULL, 0, my_sk, err, errlen);
}

void
registry_free(struct registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t k = 0; k < reg->n; k++) {
		env_peer_wipe(&reg->pilots[k].peer);
		free(reg->pilots[k].src);
	}
	free(reg->pilots);
	free(reg->slots);
	free(reg->scratch);
	pthread_mutex_destroy(&reg->mu);
	free(reg);
}

size_t
registry_count(const struct registry *reg)
{
	return reg->n;
}

bool
registry_same(struct registry *a, struct registry *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct registry_pilot *q =
		    registry_find(b, a->pilots[i].pk);

		/* keys are unique in each table, so equal counts and every
		 * key of a in b make a one-to-one match */
		if (q == NULL || strcmp(q->name, a->pilots[i].name) != 0)
			return false;
	}
	return true;
}

void
registry_set_fresh_ms(struct registry *reg, uint64_t ms)
{
	pthread_mutex_lock(&reg->mu);
	reg->fresh_ms = ms;
	pthread_mutex_unlock(&reg->mu);
}

void
registry_set_interval_ms(struct registry *reg, uint32_t ms)
{
	pthread_mutex_lock(&reg->mu);
	reg->interval_ms = ms;
	pthread_mutex_unlock(&reg->mu);
}

enum env_err
registry_open(struct registry *reg, struct registry_pilot *p,
              uint64_t now_wall_ms, uint64_t window_ms, const uint8_t *frame,
              size_t len, uint8_t *pt, size_t cap, size_t *ptlen,
              struct env_req_ctx *ctx)
{
	enum env_err e;

	/* the counter check and its raise must not interleave with another
	 * context holding a copy of the same frame */
	pthread_mutex_lock(&reg->mu);
	/*
	 * The counters are not kept across a commander restart, so until a
	 * pilot's first request after start raises its counter, a frame
	 * captured before the restart would pass the counter check.  Such a
	 * frame is older than our start: narrow the window to refuse it.
	 */
	if (p->last_counter == 0 && now_wall_ms >= reg->start_wall_ms) {
		uint64_t since =
		    now_wall_ms - reg->start_wall_ms + REGISTRY_START_GRACE_MS;

		if (since < window_ms)
			window_ms = since;
	}
	e = env_open_request(&p->peer, &p->last_counter, now_wall_ms, window_ms,
	                     frame, len, pt, cap, ptlen, ctx);
	pthread_mutex_unlock(&reg->mu);
	return e;
}

static bool
healthy(const struct registry *reg, const struct registry_pilot *p,
        uint64_t now_mono)
{
	return p->registered && p->have_status && p->st.reachable &&
	       !p->st.syncing && p->st.height > 0 &&
	       (p->seen_mono >= now_mono ||
	        now_mono - p->seen_mono <= reg->fresh_ms);
}

/* Call locked. */
static uint64_t
fleet_ref_locked(struct registry *reg, const char *network, uint64_t now)
{
	struct fleet_cache *slot = NULL, *oldest = &reg->cache[0];
	size_t n = 0;

	for (size_t i = 0; i < FLEET_CACHE; i++) {
		struct fleet_cache *c = &reg->cache[i];

		if (c->at_mono != 0 && strcmp(c->network, network) == 0) {
			slot = c;
			break;
		}
		if (c->at_mono < oldest->at_mono)
			oldest = c;
	}
	/* a per-heartbeat scan of the whole fleet would be quadratic */
	if (slot && now - slot->at_mono < FLEET_CACHE_MS)
		return slot->median;
	for (size_t k = 0; k < reg->n; k++) {
		const struct registry_pilot *p = &reg->pilots[k];

		if (healthy(reg, p, now) &&
		    strcmp(p->hello.network, network) == 0)
			reg->scratch[n++] = p->st.height;
	}
	if (slot == NULL) {
		slot = oldest;
		util_strlcpy(slot->network, network, sizeof(slot->network));
	}
	/* the upper median: with two nodes, one of them lagging, the fleet
	 * reference should be the one that keeps up */
	slot->median = 0;
	if (n > 0) {
		util_median_u64(reg->scratch, n); /* sorts */
		slot->median = reg->scratch[n / 2];
	}
	slot->at_mono = now ? now : 1;
	return slot->median;
}

uint64_t
registry_fleet_ref(struct registry *reg, const char *network, uint64_t now_mono)
{
	uint64_t m;

	pthread_mutex_lock(&reg->mu);
	m = fleet_ref_locked(reg, network, now_mono);
	pthread_mutex_unlock(&reg->mu);
	return m;
}

void
registry_on_hello(struct registry *reg, struct registry_pilot *p,
                  const struct proto_hello *h, const char *addr,
                  uint64_t now_mono, struct proto_reply *reply)
{
	bool again;

	memset(reply, 0, sizeof(*reply));
	if (strcmp(h->node, p->name) != 0) {
		/* the key is listed for another node: a copied key or a
		 * misconfigured pilot; either way not this node */
		log_warnx("pilot %s (authorized_pilots line %u) from %s calls "
		          "itself '%s': refused",
		          p->name, p->line, addr, h->node);
		reply->status = PROTO_ST_UNKNOWN_NODE;
		return;
	}
	pthread_mutex_lock(&reg->mu);
	again = p->registered;
	p->registered = true;
	p->hello = *h;
	util_strlcpy(p->addr, addr, sizeof(p->addr));
	p->registered_mono = now_mono;
	p->seen_mono = now_mono;
	reply->interval_ms = reg->interval_ms;
	reply->fleet_ref_height = fleet_ref_locked(reg, h->network, now_mono);
	pthread_mutex_unlock(&reg->mu);
	reply->status = PROTO_ST_OK;
	log_info("pilot %s %sregistered from %s (%s %s, network %s%s%s)",
	         p->name, again ? "re-" : "", addr, proto_chain_str(h->chain),
	         proto_role_str(h->role), h->network,
	         h->group[0] ? ", group " : "", h->group);
}

void
registry_on_heartbeat(struct registry *reg, struct registry_pilot *p,
                      const struct proto_heartbeat *hb, const char *addr,
                      uint64_t now_mono, struct proto_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	pthread_mutex_lock(&reg->mu);
	if (!p->registered) {
		pthread_mutex_unlock(&reg->mu);
		reply->status = PROTO_ST_NEED_HELLO;
		return;
	}
	p->st = hb->st;
	p->have_status = true;
	p->seen_mono = now_mono;
	p->heartbeats++;
	if (strcmp(p->addr, addr) != 0)
		util_strlcpy(p->addr, addr, sizeof(p->addr));
	reply->status = PROTO_ST_OK;
	reply->interval_ms = reg->interval_ms;
	reply->fleet_ref_height =
	    fleet_ref_locked(reg, p->hello.network, now_mono);
	p->fleet_ref = reply->fleet_ref_height;
	pthread_mutex_unlock(&reg->mu);
	log_debug("heartbeat from %s seq %llu height %llu accepted", p->name,
	          (unsigned long long)hb->seq,
	          (unsigned long long)hb->st.height);
}

size_t
registry_snapshot(struct registry *reg, struct registry_view *out, size_t n)
{
	size_t k;

	pthread_mutex_lock(&reg->mu);
	for (k = 0; k < reg->n && k < n; k++) {
		const struct registry_pilot *p = &reg->pilots[k];
		struct registry_view *v = &out[k];

		memcpy(v->name, p->name, sizeof(v->name));
		v->registered = p->registered;
		v->hello = p->hello;
		memcpy(v->addr, p->addr, sizeof(v->addr));
		v->seen_mono = p->seen_mono;
		v->have_status = p->have_status;
		v->st = p->st;
		v->heartbeats = p->heartbeats;
		v->fleet_ref = p->fleet_ref;
	}
	pthread_mutex_unlock(&reg->mu);
	return k;
}
