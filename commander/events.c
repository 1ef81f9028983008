/*
 * events.c: event names, construction, JSON form and the event list.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "commander/events.h"
#include "common/util.h"

static const char *const type_names[EV__COUNT] = {
    [EV_STATE_CHANGE] = "state_change",
    [EV_RESTART_REQUESTED] = "restart_requested",
    [EV_RESTART_GRANTED] = "restart_granted",
    [EV_RESTART_DENIED] = "restart_denied",
    [EV_RESTART_DONE] = "restart_done",
    [EV_DECISION] = "decision",
    [EV_REGISTERED] = "registered",
    [EV_UNREACHABLE] = "unreachable",
    [EV_REORG] = "reorg",
    [EV_STALE_TIP] = "stale_tip",
    [EV_LEASE_CHANGE] = "lease_change",
    [EV_ALERT] = "alert",
    [EV_COMMANDER] = "commander",
};

static const char *const sev_names[SEV__COUNT] = {
    [SEV_INFO] = "info",
    [SEV_WARNING] = "warning",
    [SEV_CRITICAL] = "critical",
};

const char *
event_type_str(enum event_type t)
{
	if ((unsigned)t >= EV__COUNT)
		return "?";
	return type_names[t];
}

const char *
event_severity_str(enum event_severity s)
{
	if ((unsigned)s >= SEV__COUNT)
		return "?";
	return sev_names[s];
}

int
event_type_parse(const char *s, enum event_type *out)
{
	for (int i = 0; s != NULL && i < EV__COUNT; i++)
		if (strcmp(s, type_names[i]) == 0) {
			*out = (enum event_type)i;
			return 0;
		}
	return -EINVAL;
}

int
event_severity_parse(const char *s, enum event_severity *out)
{
	for (int i = 0; s != NULL && i < SEV__COUNT; i++)
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum event_severity)i;
			return 0;
		}
	return -EINVAL;
}

void
event_make(struct event *ev, uint64_t time_ms, enum event_type type,
           enum event_severity sev, const char *node, const char *group,
           const char *network, const char *fmt, ...)
{
	va_list ap;

	memset(ev, 0, sizeof(*ev));
	ev->time_ms = time_ms;
	ev->type = type;
	ev->severity = sev;
	util_strlcpy(ev->node, node ? node : "", sizeof(ev->node));
	util_strlcpy(ev->group, group ? group : "", sizeof(ev->group));
	util_strlcpy(ev->network, network ? network : "", sizeof(ev->network));
	va_start(ap, fmt);
	vsnprintf(ev->message, sizeof(ev->message), fmt, ap);
	va_end(ap);
}

/* Append JSON-escaped s to buf at *len; false when it does not fit. */
static bool
put_escaped(char *buf, size_t size, size_t *len, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[7];
		size_t k = 0;

		if (c == '"' || c == '\\') {
			tmp[k++] = '\\';
			tmp[k++] = (char)c;
		} else if (c < 0x20) {
			tmp[k++] = '\\';
			tmp[k++] = 'u';
			tmp[k++] = '0';
			tmp[k++] = '0';
			tmp[k++] = hex[c >> 4];
			tmp[k++] = hex[c & 15];
		} else
			tmp[k++] = (char)c;
		if (*len + k >= size)
			return false;
		memcpy(buf + *len, tmp, k);
		*len += k;
	}
	return true;
}

static bool
put_raw(char *buf, size_t size, size_t *len, const char *s)
{
	size_t k = strlen(s);

	if (*len + k >= size)
		return false;
	memcpy(buf + *len, s, k);
	*len += k;
	return true;
}

/* A number value must look like one: digits, sign, point, exponent. */
static bool
is_number(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (strchr("0123456789-+.eE", *s) == NULL)
			return false;
	return true;
}

int
event_details(struct event *ev, ...)
{
	char buf[EVENT_DETAILS_MAX];
	size_t len = 0;
	bool ok = true, first = true;
	const char *k, *v;
	va_list ap;

	ok = put_raw(buf, sizeof(buf), &len, "{");
	va_start(ap, ev);
	while (ok && (k = va_arg(ap, const char *)) != NULL) {
		bool num = (k[0] == '#');

		v = va_arg(ap, const char *);
		if (v == NULL)
			v = "";
		if (num) {
			k++;
			if (!is_number(v))
				num = false;
		}
		ok = (first || put_raw(buf, sizeof(buf), &len, ",")) &&
		     put_raw(buf, sizeof(buf), &len, "\"") &&
		     put_escaped(buf, sizeof(buf), &len, k) &&
		     put_raw(buf, sizeof(buf), &len, num ? "\":" : "\":\"") &&
		     (num ? put_raw(buf, sizeof(buf), &len, v)
		          : put_escaped(buf, sizeof(buf), &len, v)) &&
		     (num || put_raw(buf, sizeof(buf), &len, "\""));
		first = false;
	}
	va_end(ap);
	if (ok)
		ok = put_raw(buf, sizeof(buf), &len, "}");
	if (!ok) {
		ev->details[0] = '\0';
		return -ENOSPC;
	}
	buf[len] = '\0';
	memcpy(ev->details, buf, len + 1);
	return 0;
}

struct cJSON *
event_to_json(const struct event *ev)
{
	cJSON *o = cJSON_CreateObject(), *d = NULL;

	if (o == NULL)
		return NULL;
	if (ev->details[0] != '\0') {
		d = cJSON_Parse(ev->details);
		if (d != NULL && !cJSON_IsObject(d)) {
			cJSON_Delete(d);
			d = NULL;
		}
		if (d == NULL)
			d = cJSON_CreateString(ev->details);
	} else
		d = cJSON_CreateObject();
	/* Ids and times stay below 2^53, so doubles carry them exactly. */
	if (d == NULL || !cJSON_AddNumberToObject(o, "id", (double)ev->id) ||
	    !cJSON_AddNumberToObject(o, "time_ms", (double)ev->time_ms) ||
	    !cJSON_AddStringToObject(o, "type", event_type_str(ev->type)) ||
	    !cJSON_AddStringToObject(o, "severity",
	                             event_severity_str(ev->severity)) ||
	    !cJSON_AddStringToObject(o, "node", ev->node) ||
	    !cJSON_AddStringToObject(o, "group", ev->group) ||
	    !cJSON_AddStringToObject(o, "network", ev->network) ||
	    !cJSON_AddStringToObject(o, "message", ev->message) ||
	    !cJSON_AddItemToObject(o, "details", d)) {
		/* d is owned by o only once added */
		if (d != NULL && cJSON_GetObjectItem(o, "details") != d)
			cJSON_Delete(d);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

struct event *
event_list_add(struct event_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct event *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

int
event_list_push(struct event_list *l, const struct event *ev)
{
	struct event copy = *ev; /* ev may live in l->v, which may move */
	struct event *slot = event_list_add(l);

	if (slot == NULL)
		return -ENOMEM;
	*slot = copy;
	return 0;
}

void
event_list_clear(struct event_list *l)
{
	if (l != NULL)
		l->n = 0;
}

void
event_list_free(struct event_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
