/* alert_route.c: routing, grouping and silences (see alert_route.h). */
#include "commander/alert_route.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* What one channel was told: the conditions whose trigger it got. */
struct chan {
	char name[PROTO_NAME_MAX];
	struct alert *v; /* sorted by key */
	size_t n, cap;
	uint64_t last_resend;
	bool seen;
};

struct alert_router {
	struct chan *c;
	size_t n, cap;
};

static const char *const msg_kinds[] = {
    [ALERT_MSG_ALERTS] = "alerts",
    [ALERT_MSG_RESEND] = "resend",
    [ALERT_MSG_TEST] = "test",
};

const char *
alert_msg_kind_str(enum alert_msg_kind k)
{
	return (unsigned)k < UTIL_NELEM(msg_kinds) ? msg_kinds[k] : "?";
}

int
alert_msg_kind_parse(const char *s, enum alert_msg_kind *k)
{
	for (size_t i = 0; i < UTIL_NELEM(msg_kinds); i++)
		if (strcmp(s, msg_kinds[i]) == 0) {
			*k = (enum alert_msg_kind)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- silences ---- */

static bool
has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int
alert_silence_check(const struct alert_silence *s, uint64_t now, char *err,
                    size_t errlen)
{
	const char *m[4] = {s->rule, s->node, s->group, s->network};
	static const char *const names[4] = {"rule", "node", "group",
	                                     "network"};
	enum alert_rule r;
	bool any = false;

	for (int i = 0; i < 4; i++) {
		if (!m[i][0])
			continue;
		any = true;
		if (has_ctl(m[i])) {
			snprintf(err, errlen, "%s: control character",
			         names[i]);
			return -EINVAL;
		}
	}
	if (!any) {
		snprintf(err, errlen,
		         "a silence needs at least one of rule, node, group, "
		         "network");
		return -EINVAL;
	}
	/* a rule is a name or a pattern that names at least one rule */
	if (s->rule[0]) {
		bool hit = false;

		for (int i = 0; i < AR__COUNT && !hit; i++)
			hit =
			    fnmatch(s->rule, alert_rule_str((enum alert_rule)i),
			            0) == 0;
		if (!hit && alert_rule_parse(s->rule, &r) != 0) {
			snprintf(err, errlen, "rule: no rule matches '%s'",
			         s->rule);
			return -EINVAL;
		}
	}
	if (s->expires_ms <= now) {
		snprintf(err, errlen, "expiry is not in the future");
		return -EINVAL;
	}
	if (has_ctl(s->comment) || has_ctl(s->author)) {
		snprintf(err, errlen, "comment or author: control character");
		return -EINVAL;
	}
	return 0;
}

/* An empty matcher matches anything; a set one never matches a field the
 * alert lacks (a group's alert has no node: "node=*" is not about it). */
static bool
pat(const char *p, const char *v)
{
	return !p[0] || (v[0] && fnmatch(p, v, 0) == 0);
}

bool
alert_silence_matches(const struct alert_silence *s, const struct alert *a,
                      uint64_t now)
{
	if (now >= s->expires_ms)
		return false;
	if (!s->rule[0] && !s->node[0] && !s->group[0] && !s->network[0])
		return false;
	return pat(s->rule, alert_rule_str(a->rule)) && pat(s->node, a->node) &&
	       pat(s->group, a->group) && pat(s->network, a->network);
}

static bool
silenced(const struct alert_route_in *in, const struct alert *a)
{
	for (size_t i = 0; i < in->nsilences; i++)
		if (alert_silence_matches(&in->silences[i], a, in->now_ms))
			return true;
	return false;
}

/* ---- lists ---- */

void
alert_msg_list_free(struct alert_msg_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].v);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
push(struct alert **v, size_t *n, size_t *cap, const struct alert *a)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		struct alert *nv = realloc(*v, c * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *a;
	return 0;
}

/* Split batch into messages of at most max alerts each. */
static int
emit(struct alert_msg_list *out, size_t sink, enum alert_msg_kind kind,
     const struct alert *v, size_t n, size_t max)
{
	if (max == 0)
		max = 1;
	for (size_t off = 0; off < n; off += max) {
		size_t k = n - off < max ? n - off : max;
		struct alert_msg *m;

		if (out->n == out->cap) {
			size_t c = out->cap ? 2 * out->cap : 8;
			struct alert_msg *nv = realloc(out->v, c * sizeof(*nv));

			if (nv == NULL)
				return -ENOMEM;
			out->v = nv;
			out->cap = c;
		}
		m = &out->v[out->n];
		if ((m->v = malloc(k * sizeof(*m->v))) == NULL)
			return -ENOMEM;
		memcpy(m->v, v + off, k * sizeof(*m->v));
		m->n = k;
		m->sink = sink;
		m->kind = kind;
		out->n++;
	}
	return 0;
}

/* ---- the notified set of a channel, sorted by key ---- */

static size_t
lower_bound(const struct chan *c, const char *key, bool *found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < c->n && strcmp(c->v[lo].key, key) == 0;
	return lo;
}

static bool
notified(const struct chan *c, const char *key)
{
	bool found;

	lower_bound(c, key, &found);
	return found;
}

static int
note(struct chan *c, const struct alert *a)
{
	bool found;
	size_t i = lower_bound(c, a->key, &found);

	if (found) {
		c->v[i] = *a;
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct alert *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	memmove(&c->v[i + 1], &c->v[i], (c->n - i) * sizeof(c->v[0]));
	c->v[i] = *a;
	c->n++;
	return 0;
}

static void
forget(struct chan *c, const char *key)
{
	bool found;
	size_t i = lower_bound(c, key, &found);

	if (!found)
		return;
	memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(c->v[0]));
	c->n--;
}

static struct chan *
chan_find(struct alert_router *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->c[i].name, name) == 0)
			return &r->c[i];
	return NULL;
}

static struct chan *
chan_get(struct alert_router *r, const char *name)
{
	struct chan *c = chan_find(r, name);

	if (c)
		return c;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct chan *v = realloc(r->c, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		r->c = v;
		r->cap = cap;
	}
	c = &r->c[r->n++];
	memset(c, 0, sizeof(*c));
	util_strlcpy(c->name, name, sizeof(c->name));
	return c;
}

struct alert_router *
alert_router_new(void)
{
	return calloc(1, sizeof(struct alert_router));
}

void
alert_router_free(struct alert_router *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->c[i].v);
	free(r->c);
	free(r);
}

size_t
alert_router_notified(struct alert_router *r, const char *channel)
{
	struct chan *c = chan_find(r, channel);

	return c ? c->n : 0;
}

/* ---- routing ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
in_keys(const char **keys, size_t n, const char *key)
{
	return n && bsearch(&key, keys, n, sizeof(*keys), cmp_str) != NULL;
}

/* Route for one channel. */
static int
route_one(struct chan *ch, size_t si, const struct alert_route_in *in,
          const char **live, size_t nlive, struct alert_msg_list *out)
{
	const struct sink_conf *sc = &in->sinks[si];
	const struct sink_ops *ops = sink_ops_for(sc->type);
	size_t max = ops ? ops->max_batch : 1;
	struct alert *b = NULL, *rs = NULL;
	size_t nb = 0, capb = 0, nrs = 0, caprs = 0;
	int rc = 0;

	for (size_t i = 0; i < in->nalerts && rc == 0; i++) {
		const struct alert *a = &in->alerts[i];

		if (!sink_accepts(sc, a))
			continue;
		if (a->notice) {
			if (!silenced(in, a))
				rc = push(&b, &nb, &capb, a);
			continue;
		}
		if (a->kind == ALERT_RESOLVE) {
			/* only where the trigger went, silenced or not */
			if (notified(ch, a->key)) {
				rc = push(&b, &nb, &capb, a);
				forget(ch, a->key);
			}
			continue;
		}
		if (silenced(in, a))
			continue;
		if ((rc = push(&b, &nb, &capb, a)) == 0)
			rc = note(ch, a);
	}
	/* firing and not told yet: silence over, or a new channel */
	for (size_t i = 0; i < in->nactive && rc == 0; i++) {
		struct alert a = in->active[i];
		bool found;
		size_t k = lower_bound(ch, a.key, &found);

		if (a.notice || !sink_accepts(sc, &a))
			continue;
		if (found) { /* keep the latest summary for re-sends */
			util_strlcpy(ch->v[k].summary, a.summary,
			             sizeof(ch->v[k].summary));
			continue;
		}
		if (silenced(in, &a))
			continue;
		a.kind = ALERT_FIRE;
		a.time_ms = in->now_ms;
		if ((rc = push(&b, &nb, &capb, &a)) == 0)
			rc = note(ch, &a);
	}
	/* told, but no longer firing and no resolve came: resolve it */
	for (size_t i = 0; i < ch->n && rc == 0;) {
		struct alert a = ch->v[i];

		if (in_keys(live, nlive, a.key)) {
			i++;
			continue;
		}
		a.kind = ALERT_RESOLVE;
		a.ended_ms = a.time_ms = in->now_ms;
		a.source_event = 0;
		rc = push(&b, &nb, &capb, &a);
		forget(ch, a.key);
	}
	if (rc == 0)
		rc = emit(out, si, ALERT_MSG_ALERTS, b, nb, max);
	/* Alertmanager forgets what is not re-sent (resolve_timeout) */
	if (rc == 0 && sc->type == SINK_ALERTMANAGER && in->am_resend_ms &&
	    in->now_ms >= ch->last_resend + in->am_resend_ms) {
		for (size_t i = 0; i < ch->n && rc == 0; i++) {
			struct alert a = ch->v[i];
			bool dup = false;

			for (size_t j = 0; j < nb && !dup; j++)
				dup = strcmp(b[j].key, a.key) == 0;
			if (dup)
				continue;
			a.kind = ALERT_REPEAT;
			a.time_ms = in->now_ms;
			rc = push(&rs, &nrs, &caprs, &a);
		}
		ch->last_resend = in->now_ms;
		if (rc == 0)
			rc = emit(out, si, ALERT_MSG_RESEND, rs, nrs, max);
	}
	free(b);
	free(rs);
	return rc;
}

int
alert_route(struct alert_router *r, const struct alert_route_in *in,
            struct alert_msg_list *out)
{
	const char **live;
	size_t nlive = 0, w;
	int rc = 0;

	/* what counts as firing now: the engine's active set, plus what
	 * this evaluation fired or repeated */
	live = malloc((in->nactive + in->nalerts + 1) * sizeof(*live));
	if (live == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < in->nactive; i++)
		live[nlive++] = in->active[i].key;
	for (size_t i = 0; i < in->nalerts; i++)
		if (in->alerts[i].kind != ALERT_RESOLVE)
			live[nlive++] = in->alerts[i].key;
	qsort(live, nlive, sizeof(*live), cmp_str);

	for (size_t i = 0; i < r->n; i++)
		r->c[i].seen = false;
	for (size_t i = 0; i < in->nsinks && rc == 0; i++) {
		struct chan *ch = chan_get(r, in->sinks[i].name);

		if (ch == NULL) {
			rc = -ENOMEM;
			break;
		}
		ch->seen = true;
		rc = route_one(ch, i, in, live, nlive, out);
	}
	free(live);
	if (rc)
		return rc;
	/* a channel taken out of the config takes its state with it */
	for (size_t i = 0; i < r->n; i++) {
		if (r->c[i].seen)
			continue;
		free(r->c[i].v);
		r->c[i].v = NULL;
		r->c[i].n = r->c[i].cap = 0;
	}
	for (size_t i = w = 0; i < r->n; i++)
		if (r->c[i].seen)
			r->c[w++] = r->c[i];
	r->n = w;
	return 0;
}

/* ---- save / restore ---- */

static bool
clean_field(const char *s)
{
	return strpbrk(s, "\t\n\r") == NULL;
}

int
alert_router_export(struct alert_router *r, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		const struct chan *c = &r->c[i];

		fprintf(f, "C\t%s\t%" PRIu64 "\n", c->name, c->last_resend);
		for (size_t j = 0; j < c->n; j++) {
			const struct alert *a = &c->v[j];
			char sum[sizeof(a->summary)];

			if (!clean_field(a->key) || !clean_field(a->node) ||
			    !clean_field(a->group) || !clean_field(a->network))
				continue;
			util_strlcpy(sum, a->summary, sizeof(sum));
			for (char *p = sum; *p; p++)
				if ((unsigned char)*p < 0x20)
					*p = ' ';
			fprintf(f,
			        "N\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%" PRIu64
			        "\t%" PRIu64 "\t%s\n",
			        c->name, alert_rule_str(a->rule),
			        event_severity_str(a->severity), a->key,
			        a->node, a->group, a->network, a->started_ms,
			        a->time_ms, sum);
		}
	}
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

static size_t
split_tabs(char *line, char **f, size_t n)
{
	size_t k = 0;

	while (k < n) {
		f[k++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return k;
}

static bool
fits(const char *s, size_t cap)
{
	return strlen(s) < cap;
}

static int
import_line(struct alert_router *r, char *line)
{
	char *f[11];
	size_t k = split_tabs(line, f, 11);
	struct chan *c;
	struct alert a;
	uint64_t u, t;

	if (k == 3 && strcmp(f[0], "C") == 0) {
		if (!fits(f[1], PROTO_NAME_MAX) || !f[1][0] ||
		    util_parse_u64(f[2], 0, UINT64_MAX, &u) != 0)
			return -EINVAL;
		if ((c = chan_get(r, f[1])) == NULL)
			return -ENOMEM;
		c->last_resend = u;
		return 0;
	}
	if (k != 11 || strcmp(f[0], "N") != 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.kind = ALERT_FIRE;
	if (!fits(f[1], PROTO_NAME_MAX) || !f[1][0] ||
	    alert_rule_parse(f[2], &a.rule) != 0 ||
	    event_severity_parse(f[3], &a.severity) != 0 ||
	    !fits(f[4], sizeof(a.key)) || !f[4][0] ||
	    !fits(f[5], sizeof(a.node)) || !fits(f[6], sizeof(a.group)) ||
	    !fits(f[7], sizeof(a.network)) ||
	    util_parse_u64(f[8], 0, UINT64_MAX, &u) != 0 ||
	    util_parse_u64(f[9], 0, UINT64_MAX, &t) != 0)
		return -EINVAL;
	util_strlcpy(a.key, f[4], sizeof(a.key));
	util_strlcpy(a.node, f[5], sizeof(a.node));
	util_strlcpy(a.group, f[6], sizeof(a.group));
	util_strlcpy(a.network, f[7], sizeof(a.network));
	util_strlcpy(a.summary, f[10], sizeof(a.summary));
	a.started_ms = u;
	a.time_ms = t;
	if ((c = chan_get(r, f[1])) == NULL || note(c, &a) != 0)
		return -ENOMEM;
	return 0;
}

int
alert_router_import(struct alert_router *r, const char *buf, size_t len,
                    size_t *bad)
{
	char line[2048];
	size_t pos = 0;

	*bad = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = (nl ? (size_t)(nl - buf) : len) - pos;
		int rc;

		if (l >= sizeof(line) || memchr(buf + pos, '\0', l)) {
			(*bad)++;
			pos += l + 1;
			continue;
		}
		memcpy(line, buf + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (l == 0)
			continue;
		if ((rc = import_line(r, line)) == -ENOMEM)
			return rc;
		if (rc)
			(*bad)++;
	}
	return 0;
}

/* ---- JSON ---- */

cJSON *
alert_to_cjson(const struct alert *a)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (!cJSON_AddStringToObject(o, "kind", alert_kind_str(a->kind)) ||
	    !cJSON_AddStringToObject(o, "rule", alert_rule_str(a->rule)) ||
	    !cJSON_AddStringToObject(o, "severity",
	                             event_severity_str(a->severity)) ||
	    !cJSON_AddBoolToObject(o, "notice", a->notice) ||
	    !cJSON_AddStringToObject(o, "key", a->key) ||
	    !cJSON_AddStringToObject(o, "node", a->node) ||
	    !cJSON_AddStringToObject(o, "group", a->group) ||
	    !cJSON_AddStringToObject(o, "network", a->network) ||
	    !cJSON_AddStringToObject(o, "summary", a->summary) ||
	    !cJSON_AddNumberToObject(o, "started_ms", (double)a->started_ms) ||
	    !cJSON_AddNumberToObject(o, "ended_ms", (double)a->ended_ms) ||
	    !cJSON_AddNumberToObject(o, "time_ms", (double)a->time_ms) ||
	    !cJSON_AddNumberToObject(o, "source_event",
	                             (double)a->source_event)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
alert_json_encode(const struct alert *v, size_t n, char **out)
{
	cJSON *arr = cJSON_CreateArray();
	char *s;

	if (arr == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = alert_to_cjson(&v[i]);

		if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			cJSON_Delete(arr);
			return -ENOMEM;
		}
	}
	s = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (s == NULL)
		return -ENOMEM;
	*out = s;
	return 0;
}

static int
get_str(const cJSON *o, const char *name, char *dst, size_t cap)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return -EINVAL;
	return util_strcpy_checked(dst, it->valuestring, cap) == 0 ? 0
	                                                           : -EINVAL;
}

static int
get_u64(const cJSON *o, const char *name, uint64_t *dst)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	/* ms and ids stay far below 2^53, where doubles are exact */
	if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
	    it->valuedouble > 9007199254740992.0)
		return -EINVAL;
	*dst = (uint64_t)it->valuedouble;
	return 0;
}

static int
from_cjson(const cJSON *o, struct alert *a)
{
	char s[32];
	const cJSON *b;

	memset(a, 0, sizeof(*a));
	if (!cJSON_IsObject(o) || get_str(o, "kind", s, sizeof(s)))
		return -EINVAL;
	if (strcmp(s, "firing") == 0)
		a->kind = ALERT_FIRE;
	else if (strcmp(s, "repeat") == 0)
		a->kind = ALERT_REPEAT;
	else if (strcmp(s, "resolved") == 0)
		a->kind = ALERT_RESOLVE;
	else
		return -EINVAL;
	if (get_str(o, "rule", s, sizeof(s)) ||
	    alert_rule_parse(s, &a->rule) != 0 ||
	    get_str(o, "severity", s, sizeof(s)) ||
	    event_severity_parse(s, &a->severity) != 0)
		return -EINVAL;
	b = cJSON_GetObjectItemCaseSensitive(o, "notice");
	if (!cJSON_IsBool(b))
		return -EINVAL;
	a->notice = cJSON_IsTrue(b);
	if (get_str(o, "key", a->key, sizeof(a->key)) ||
	    get_str(o, "node", a->node, sizeof(a->node)) ||
	    get_str(o, "group", a->group, sizeof(a->group)) ||
	    get_str(o, "network", a->network, sizeof(a->network)) ||
	    get_str(o, "summary", a->summary, sizeof(a->summary)) ||
	    get_u64(o, "started_ms", &a->started_ms) ||
	    get_u64(o, "ended_ms", &a->ended_ms) ||
	    get_u64(o, "time_ms", &a->time_ms) ||
	    get_u64(o, "source_event", &a->source_event))
		return -EINVAL;
	return 0;
}

int
alert_json_decode(const char *text, size_t len, size_t max, struct alert **out,
                  size_t *n)
{
	cJSON *arr, *it;
	struct alert *v;
	size_t cnt, i = 0;

	*out = NULL;
	*n = 0;
	if ((arr = cJSON_ParseWithLength(text, len)) == NULL)
		return -EINVAL;
	if (!cJSON_IsArray(arr) ||
	    (cnt = (size_t)cJSON_GetArraySize(arr)) > max) {
		cJSON_Delete(arr);
		return -EINVAL;
	}
	if ((v = calloc(cnt ? cnt : 1, sizeof(*v))) == NULL) {
		cJSON_Delete(arr);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(it, arr)
	{
		if (from_cjson(it, &v[i++]) != 0) {
			free(v);
			cJSON_Delete(arr);
			return -EINVAL;
		}
	}
	cJSON_Delete(arr);
	*out = v;
	*n = cnt;
	return 0;
}
