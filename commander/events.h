/*
 * events.h: the commander's event record and a growable list of them.
 * Owner: fleet/store helper (commander/events.[ch]).
 *
 * Pure modules (fleet, budget, later failover) append events to a caller's
 * event_list; the caller stores them (store.h) and logs them, outside any
 * lock it holds.  Every field is a fixed array so an event copies with '='
 * and needs no deep free.
 */
#ifndef SEXTANT_COMMANDER_EVENTS_H
#define SEXTANT_COMMANDER_EVENTS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"

#define EVENT_MSG_MAX     256  /* human sentence, incl. NUL */
#define EVENT_DETAILS_MAX 1024 /* one JSON object as text, incl. NUL */

/* The stored name of each type is its *_str(); never renumber: the store
 * keeps the name, the API filters on it. */
enum event_type {
	EV_STATE_CHANGE = 0,  /* node state machine moved */
	EV_RESTART_REQUESTED, /* a pilot asked the budget */
	EV_RESTART_GRANTED,
	EV_RESTART_DENIED,
	EV_RESTART_DONE, /* grant released: node healthy again / timeout */
	EV_DECISION,     /* a pilot reported a new restart decision */
	EV_REGISTERED,   /* hello accepted (or refused: severity warn) */
	EV_UNREACHABLE,  /* heartbeats stopped */
	EV_REORG,        /* a second hash at a height already seen */
	EV_STALE_TIP,    /* no new height in a network (or resumed) */
	EV_LEASE_CHANGE, /* failover: epoch/holder changed */
	EV_ALERT,        /* alert router output */
	EV_COMMANDER,    /* commander start/stop, config reload */
	EV__COUNT
};

enum event_severity { SEV_INFO = 0, SEV_WARNING, SEV_CRITICAL, SEV__COUNT };

struct event {
	uint64_t id;      /* set by the store; 0 before */
	uint64_t time_ms; /* wall-clock ms since the epoch */
	enum event_type type;
	enum event_severity severity;
	char node[PROTO_NAME_MAX];    /* "" = not about a node */
	char group[PROTO_NAME_MAX];   /* "" = none */
	char network[PROTO_NAME_MAX]; /* "" = none */
	char message[EVENT_MSG_MAX];
	char details[EVENT_DETAILS_MAX]; /* JSON object or "" */
};

/* "state_change", "restart_granted", ...; "?" when out of range. */
const char *event_type_str(enum event_type);
/* "info", "warning", "critical"; "?" when out of range. */
const char *event_severity_str(enum event_severity);
/* Reverse lookups (exact names above): 0, or -EINVAL. */
int event_type_parse(const char *, enum event_type *);
int event_severity_parse(const char *, enum event_severity *);

/*
 * Fill ev (zeroing it first): names are truncated to fit (they come from
 * already-bounded wire/config fields), message is printf-formatted and
 * truncated at EVENT_MSG_MAX.  details is set to "" (see event_details()).
 */
void event_make(struct event *ev, uint64_t time_ms, enum event_type type,
                enum event_severity sev, const char *node, const char *group,
                const char *network, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/*
 * Set ev->details to a JSON object built from key/value pairs, terminated
 * by NULL: event_details(ev, "from", "up", "to", "down", NULL).  Values are
 * strings (escaped here).  Numbers: pass them preformatted with the key
 * prefixed by '#': event_details(ev, "#height", "123", NULL) stores
 * {"height":123}.  0, or -ENOSPC if it does not fit (details then "").
 */
int event_details(struct event *ev, ...);

/*
 * The event as a JSON object {id,time_ms,type,severity,node,group,network,
 * message,details}; details is embedded as an object when it parses, else
 * as a string.  Caller frees with cJSON_Delete.  NULL on ENOMEM.
 */
struct cJSON *event_to_json(const struct event *ev);

/* A growable array of events.  Zero-initialise it ({0}); event_list_free
 * frees the storage (accepts NULL); event_list_clear keeps it for reuse. */
struct event_list {
	struct event *v;
	size_t n;
	size_t cap;
};

/* Append a copy of ev: 0, or -ENOMEM (list unchanged). */
int event_list_push(struct event_list *, const struct event *ev);
/* Append a new zeroed slot and return it, or NULL on ENOMEM.  The pointer
 * is valid until the next push. */
struct event *event_list_add(struct event_list *);
void event_list_clear(struct event_list *);
void event_list_free(struct event_list *);

#endif
