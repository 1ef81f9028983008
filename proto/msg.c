#include "proto/msg.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"

/* Wire names: PROTOCOL.md lists the same strings; changing one is a new
 * protocol version. */
static const char *const chain_names[CHAIN__COUNT] = {
    [CHAIN_COMETBFT] = "cometbft", [CHAIN_SUBSTRATE] = "substrate",
    [CHAIN_ETHEREUM] = "ethereum", [CHAIN_BEACON] = "beacon",
    [CHAIN_BITCOIN] = "bitcoin",   [CHAIN_COMMAND] = "command",
};

static const char *const role_names[ROLE__COUNT] = {
    [ROLE_VALIDATOR] = "validator",
    [ROLE_SENTRY] = "sentry",
    [ROLE_RPC] = "rpc",
};

static const char *const verb_names[VERB__COUNT] = {
    [VERB_RESTART_GRANT] = "restart_grant",
    [VERB_RESTART_DENY] = "restart_deny",
    [VERB_LEASE_GRANT] = "lease_grant",
    [VERB_LEASE_REVOKE] = "lease_revoke",
};

static const char *const type_names[] = {
    [PROTO_HELLO] = "hello",
    [PROTO_HEARTBEAT] = "heartbeat",
    [PROTO_REPLY] = "reply",
};

static const char *const status_names[] = {
    [PROTO_ST_OK] = "ok",
    [PROTO_ST_UNKNOWN_NODE] = "unknown_node",
    [PROTO_ST_NEED_HELLO] = "need_hello",
    [PROTO_ST_BAD_REQUEST] = "bad_request",
};

static const char *
lookup(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n || names[v] == NULL)
		return NULL;
	return names[v];
}

static int
rlookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

#define STR_OR(s, dflt) ((s) != NULL ? (s) : (dflt))

const char *
proto_chain_str(enum proto_chain c)
{
	return STR_OR(lookup(chain_names, UTIL_NELEM(chain_names), (int)c),
	              "unknown");
}

const char *
proto_role_str(enum proto_role r)
{
	return STR_OR(lookup(role_names, UTIL_NELEM(role_names), (int)r),
	              "unknown");
}

const char *
proto_verb_str(enum proto_verb v)
{
	return STR_OR(lookup(verb_names, UTIL_NELEM(verb_names), (int)v),
	              "unknown");
}

const char *
proto_type_str(enum proto_type t)
{
	return STR_OR(lookup(type_names, UTIL_NELEM(type_names), (int)t),
	              "unknown");
}

const char *
proto_status_str(int32_t st)
{
	return STR_OR(lookup(status_names, UTIL_NELEM(status_names), (int)st),
	              "unknown");
}

bool
proto_chain_valid(int c)
{
	return lookup(chain_names, UTIL_NELEM(chain_names), c) != NULL;
}

bool
proto_role_valid(int r)
{
	return lookup(role_names, UTIL_NELEM(role_names), r) != NULL;
}

bool
proto_verb_valid(int v)
{
	return lookup(verb_names, UTIL_NELEM(verb_names), v) != NULL;
}

bool
proto_type_valid(int t)
{
	return lookup(type_names, UTIL_NELEM(type_names), t) != NULL;
}

bool
proto_status_valid(int32_t st)
{
	return lookup(status_names, UTIL_NELEM(status_names), (int)st) != NULL;
}

int
proto_chain_parse(const char *s, enum proto_chain *out)
{
	int v = rlookup(chain_names, UTIL_NELEM(chain_names), s);

	if (v < 0)
		return v;
	*out = (enum proto_chain)v;
	return 0;
}

int
proto_role_parse(const char *s, enum proto_role *out)
{
	int v = rlookup(role_names, UTIL_NELEM(role_names), s);

	if (v < 0)
		return v;
	*out = (enum proto_role)v;
	return 0;
}

int
proto_verb_parse(const char *s, enum proto_verb *out)
{
	int v = rlookup(verb_names, UTIL_NELEM(verb_names), s);

	if (v < 0)
		return v;
	*out = (enum proto_verb)v;
	return 0;
}

int
proto_type_parse(const char *s, enum proto_type *out)
{
	int v = rlookup(type_names, UTIL_NELEM(type_names), s);

	if (v < 0)
		return v;
	*out = (enum proto_type)v;
	return 0;
}

int
proto_sign_cmp(const struct proto_sign_state *a,
               const struct proto_sign_state *b)
{
	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	if (a->round != b->round)
		return a->round < b->round ? -1 : 1;
	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	return 0;
}
