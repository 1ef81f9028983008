/*
 * policy_test: the restart policy, one table row per rule and boundary,
 * then sequences that drive time across many checks.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "pilot/policy.h"
#include "tests/test.h"

#define T0 ((uint64_t)100000000) /* the final check of every row */
#define S  ((uint64_t)1000)
#define M  ((uint64_t)60000)

/* Input flags: zero is a healthy, running, reachable, idle node. */
#define F_DOWN    0x01
#define F_UNREACH 0x02
#define F_SYNC    0x04
#define F_PROD    0x08

struct step {
	char kind; /* 'c' check, 'r' executed restart, 0 end */
	uint64_t t;
	uint64_t h, ref;
	unsigned f;
};

struct row {
	const char *name;
	/* conf tweaks over policy_conf_defaults() */
	unsigned off; /* bitmask of 1 << rule: disabled */
	bool dry_run;
	bool no_cap, no_backoff;
	uint32_t exited_checks;
	uint64_t stall_min_lag;
	struct step pre[12];
	/* the check under test at T0 */
	uint64_t h, ref;
	unsigned f;
	/* expected */
	enum policy_action act;
	enum policy_rule rule;
	enum policy_hold hold;
	int64_t wait; /* -1: not checked */
};

#define R(x) (1u << POLICY_RULE_##x)
#define CHK(t, h, r)                                                           \
	{                                                                      \
		'c', (t), (h), (r), 0                                          \
	}
#define CHKF(t, h, r, f)                                                       \
	{                                                                      \
		'c', (t), (h), (r), (f)                                        \
	}
#define RST(t)                                                                 \
	{                                                                      \
		'r', (t), 0, 0, 0                                              \
	}

#define NONE_    POLICY_NONE
#define RESTART_ POLICY_RESTART
#define CAPPED_  POLICY_CAPPED

static const struct row rows[] = {
    /* lag boundaries, fresh state */
    {"lag 0", .h = 5000, .ref = 5000, .act = NONE_, .rule = POLICY_RULE_NONE,
     .hold = POLICY_HOLD_HEALTHY, .wait = -1},
    {"ahead of reference", .h = 5010, .ref = 5000, .act = NONE_,
     .rule = POLICY_RULE_NONE, .hold = POLICY_HOLD_HEALTHY, .wait = -1},
    {"lag moderate-1", .h = 5000, .ref = 5019, .act = NONE_,
     .rule = POLICY_RULE_NONE, .hold = POLICY_HOLD_HEALTHY, .wait = -1},
    {"lag moderate", .h = 5000, .ref = 5020, .act = RESTART_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_NONE, .wait = 0},
    {"lag severe-1", .h = 5000, .ref = 5099, .act = RESTART_,
     .rule = POLICY_RULE_MODERATE_LAG, .wait = -1},
    {"lag severe", .h = 5000, .ref = 5100, .act = RESTART_,
     .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},

    /* major sync x producing, at moderate and at severe lag */
    {"moderate, major sync", .h = 5000, .ref = 5050, .f = F_SYNC, .act = NONE_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_MAJOR_SYNC,
     .wait = -1},
    {"moderate, producing", .h = 5000, .ref = 5050, .f = F_PROD, .act = NONE_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_PRODUCING,
     .wait = -1},
    {"moderate, sync and producing", .h = 5000, .ref = 5050,
     .f = F_SYNC | F_PROD, .act = NONE_, .rule = POLICY_RULE_MODERATE_LAG,
     .hold = POLICY_HOLD_MAJOR_SYNC, .wait = -1},
    {"moderate, neither", .h = 5000, .ref = 5050, .act = RESTART_,
     .rule = POLICY_RULE_MODERATE_LAG, .wait = -1},
    {"severe, major sync", .h = 5000, .ref = 5100, .f = F_SYNC, .act = RESTART_,
     .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"severe, producing", .h = 5000, .ref = 5100, .f = F_PROD, .act = RESTART_,
     .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"severe, sync and producing", .h = 5000, .ref = 5100, .f = F_SYNC | F_PROD,
     .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},

    /* unknown heights never restart on lag */
    {"unknown reference", .h = 5000, .ref = 0, .act = NONE_,
     .rule = POLICY_RULE_NONE, .hold = POLICY_HOLD_LAG_UNKNOWN, .wait = -1},
    {"unknown local height", .h = 0, .ref = 9000, .act = NONE_,
     .rule = POLICY_RULE_NONE, .hold = POLICY_HOLD_LAG_UNKNOWN, .wait = -1},
    {"unknown reference after severe lag",
     .pre = {CHK(T0 - 4 * M, 5000, 9000), CHK(T0 - 2 * M, 5000, 9000)},
     .h = 5000, .ref = 0, .act = NONE_, .rule = POLICY_RULE_STALL,
     .hold = POLICY_HOLD_LAG_UNKNOWN, .wait = -1},

    /* cooldown edge */
    {"cooldown -1ms", .pre = {RST(T0 - 300 * S + 1)}, .h = 5000, .ref = 5200,
     .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG, .hold = POLICY_HOLD_COOLDOWN,
     .wait = 1},
    {"cooldown exact", .pre = {RST(T0 - 300 * S)}, .h = 5000, .ref = 5200,
     .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"cooldown +1ms", .pre = {RST(T0 - 300 * S - 1)}, .h = 5000, .ref = 5200,
     .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"cooldown, healthy", .pre = {RST(T0 - 10 * S)}, .h = 5000, .ref = 5000,
     .act = NONE_, .rule = POLICY_RULE_NONE, .hold = POLICY_HOLD_HEALTHY,
     .wait = -1},
    {"cooldown covers exited", .pre = {RST(T0 - 60 * S)}, .f = F_DOWN,
     .act = NONE_, .rule = POLICY_RULE_EXITED, .hold = POLICY_HOLD_COOLDOWN,
     .wait = 240 * S},

    /* stall: severe off so the stall rule is what speaks; major sync
     * excuses moderate lag but not a stall */
    {"stall window -1ms", .off = R(SEVERE_LAG),
     .pre = {CHK(T0 - 180 * S + 1, 5000, 5200)}, .h = 5000, .ref = 5200,
     .f = F_SYNC, .act = NONE_, .rule = POLICY_RULE_MODERATE_LAG,
     .hold = POLICY_HOLD_MAJOR_SYNC, .wait = -1},
    {"stall window exact", .off = R(SEVERE_LAG),
     .pre = {CHK(T0 - 180 * S, 5000, 5200)}, .h = 5000, .ref = 5200,
     .f = F_SYNC, .act = RESTART_, .rule = POLICY_RULE_STALL, .wait = -1},
    {"stall after progress", .off = R(SEVERE_LAG),
     .pre = {CHK(T0 - 300 * S, 4990, 5200), CHK(T0 - 179 * S, 5000, 5200)},
     .h = 5000, .ref = 5200, .f = F_SYNC, .act = NONE_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_MAJOR_SYNC,
     .wait = -1},
    {"stall, producing", .off = R(SEVERE_LAG) | R(MODERATE_LAG),
     .pre = {CHK(T0 - 200 * S, 5000, 5200)}, .h = 5000, .ref = 5200,
     .f = F_PROD, .act = NONE_, .rule = POLICY_RULE_STALL,
     .hold = POLICY_HOLD_PRODUCING, .wait = -1},
    {"stall, lag below severe", .off = R(MODERATE_LAG),
     .pre = {CHK(T0 - 200 * S, 5000, 5050)}, .h = 5000, .ref = 5050,
     .act = NONE_, .rule = POLICY_RULE_STALL, .hold = POLICY_HOLD_LAG_LOW,
     .wait = -1},
    {"stall, stall_min_lag lowered", .off = R(MODERATE_LAG),
     .stall_min_lag = 30, .pre = {CHK(T0 - 200 * S, 5000, 5050)}, .h = 5000,
     .ref = 5050, .act = RESTART_, .rule = POLICY_RULE_STALL, .wait = -1},
    {"stall, severe on: severe speaks", .pre = {CHK(T0 - 200 * S, 5000, 5200)},
     .h = 5000, .ref = 5200, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG,
     .wait = -1},
    {"stall disabled", .off = R(SEVERE_LAG) | R(STALL),
     .pre = {CHK(T0 - 200 * S, 5000, 5200)}, .h = 5000, .ref = 5200,
     .f = F_SYNC, .act = NONE_, .rule = POLICY_RULE_MODERATE_LAG,
     .hold = POLICY_HOLD_MAJOR_SYNC, .wait = -1},
    {"stall with rules off",
     .off = R(SEVERE_LAG) | R(MODERATE_LAG) | R(STALL) | R(TREND),
     .pre = {CHK(T0 - 200 * S, 5000, 5200)}, .h = 5000, .ref = 5200,
     .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG, .hold = POLICY_HOLD_DISABLED,
     .wait = -1},

    /* trend over 300 s; the height moves, so it is no stall */
    {"trend rising", .off = R(SEVERE_LAG),
     .pre = {CHK(T0 - 5 * M, 5000, 5110), CHK(T0 - 4 * M, 5010, 5130),
             CHK(T0 - 3 * M, 5020, 5150), CHK(T0 - 2 * M, 5030, 5170),
             CHK(T0 - 1 * M, 5040, 5190)},
     .h = 5050, .ref = 5210, .f = F_SYNC, .act = RESTART_,
     .rule = POLICY_RULE_TREND, .wait = -1},
    {"trend flat", .off = R(SEVERE_LAG),
     .pre = {CHK(T0 - 5 * M, 5000, 5150), CHK(T0 - 4 * M, 5010, 5160),
             CHK(T0 - 3 * M, 5020, 5170), CHK(T0 - 2 * M, 5030, 5180),
             CHK(T0 - 1 * M, 5040, 5190)},
     .h = 5050, .ref = 5200, .f = F_SYNC, .act = NONE_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_MAJOR_SYNC,
     .wait = -1},
    {"trend falling", .off = R(SEVERE_LAG),
     .pre = {CHK(T0 - 5 * M, 5000, 5200), CHK(T0 - 4 * M, 5020, 5210),
             CHK(T0 - 3 * M, 5040, 5220), CHK(T0 - 2 * M, 5060, 5230),
             CHK(T0 - 1 * M, 5080, 5240)},
     .h = 5100, .ref = 5250, .f = F_SYNC, .act = NONE_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_MAJOR_SYNC,
     .wait = -1},
    {"trend window not covered", .off = R(SEVERE_LAG),
     .pre = {CHK(T0 - 4 * M, 5010, 5130), CHK(T0 - 3 * M, 5020, 5150),
             CHK(T0 - 2 * M, 5030, 5170), CHK(T0 - 1 * M, 5040, 5190)},
     .h = 5050, .ref = 5210, .f = F_SYNC, .act = NONE_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_MAJOR_SYNC,
     .wait = -1},
    {"trend rising, producing", .off = R(SEVERE_LAG) | R(MODERATE_LAG),
     .pre = {CHK(T0 - 5 * M, 5000, 5110), CHK(T0 - 4 * M, 5010, 5130),
             CHK(T0 - 3 * M, 5020, 5150), CHK(T0 - 2 * M, 5030, 5170),
             CHK(T0 - 1 * M, 5040, 5190)},
     .h = 5050, .ref = 5210, .f = F_PROD, .act = NONE_,
     .rule = POLICY_RULE_TREND, .hold = POLICY_HOLD_PRODUCING, .wait = -1},
    {"trend rising, lag below severe", .off = R(MODERATE_LAG),
     .pre = {CHK(T0 - 5 * M, 5000, 5030), CHK(T0 - 4 * M, 5010, 5050),
             CHK(T0 - 3 * M, 5020, 5070), CHK(T0 - 2 * M, 5030, 5090),
             CHK(T0 - 1 * M, 5040, 5110)},
     .h = 5050, .ref = 5130, .act = NONE_, .rule = POLICY_RULE_TREND,
     .hold = POLICY_HOLD_LAG_LOW, .wait = -1},
    {"trend disabled", .off = R(SEVERE_LAG) | R(TREND),
     .pre = {CHK(T0 - 5 * M, 5000, 5110), CHK(T0 - 4 * M, 5010, 5130),
             CHK(T0 - 3 * M, 5020, 5150), CHK(T0 - 2 * M, 5030, 5170),
             CHK(T0 - 1 * M, 5040, 5190)},
     .h = 5050, .ref = 5210, .f = F_SYNC, .act = NONE_,
     .rule = POLICY_RULE_MODERATE_LAG, .hold = POLICY_HOLD_MAJOR_SYNC,
     .wait = -1},

    /* down: process exited, RPC unreachable */
    {"exited", .f = F_DOWN, .act = RESTART_, .rule = POLICY_RULE_EXITED,
     .wait = -1},
    {"exited 1/2 checks", .exited_checks = 2, .f = F_DOWN, .act = NONE_,
     .rule = POLICY_RULE_EXITED, .hold = POLICY_HOLD_COUNTING, .wait = -1},
    {"exited 2/2 checks", .exited_checks = 2,
     .pre = {CHKF(T0 - M, 0, 0, F_DOWN)}, .f = F_DOWN, .act = RESTART_,
     .rule = POLICY_RULE_EXITED, .wait = -1},
    {"exited disabled", .off = R(EXITED), .f = F_DOWN, .act = NONE_,
     .rule = POLICY_RULE_EXITED, .hold = POLICY_HOLD_DISABLED, .wait = -1},
    {"exited ignores stale lag", .off = R(EXITED), .h = 5000, .ref = 5500,
     .f = F_DOWN, .act = NONE_, .rule = POLICY_RULE_EXITED,
     .hold = POLICY_HOLD_DISABLED, .wait = -1},
    {"unreachable 1/3", .h = 0, .ref = 5000, .f = F_UNREACH, .act = NONE_,
     .rule = POLICY_RULE_UNREACHABLE, .hold = POLICY_HOLD_COUNTING, .wait = -1},
    {"unreachable 2/3", .pre = {CHKF(T0 - M, 0, 5000, F_UNREACH)}, .ref = 5000,
     .f = F_UNREACH, .act = NONE_, .rule = POLICY_RULE_UNREACHABLE,
     .hold = POLICY_HOLD_COUNTING, .wait = -1},
    {"unreachable 3/3",
     .pre = {CHKF(T0 - 2 * M, 0, 5000, F_UNREACH),
             CHKF(T0 - M, 0, 5000, F_UNREACH)},
     .ref = 5000, .f = F_UNREACH, .act = RESTART_,
     .rule = POLICY_RULE_UNREACHABLE, .wait = -1},
    {"unreachable run broken",
     .pre = {CHKF(T0 - 3 * M, 0, 5000, F_UNREACH),
             CHKF(T0 - 2 * M, 0, 5000, F_UNREACH), CHK(T0 - M, 5000, 5000)},
     .ref = 5000, .f = F_UNREACH, .act = NONE_, .rule = POLICY_RULE_UNREACHABLE,
     .hold = POLICY_HOLD_COUNTING, .wait = -1},
    {"unreachable, severe lag from logs", .h = 5000, .ref = 5300,
     .f = F_UNREACH, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG,
     .wait = -1},
    {"unreachable disabled", .off = R(UNREACHABLE),
     .pre = {CHKF(T0 - 2 * M, 0, 5000, F_UNREACH),
             CHKF(T0 - M, 0, 5000, F_UNREACH)},
     .ref = 5000, .f = F_UNREACH, .act = NONE_, .rule = POLICY_RULE_UNREACHABLE,
     .hold = POLICY_HOLD_DISABLED, .wait = -1},

    /* crash-loop cap: 3 per hour (backoff off to isolate it) */
    {"cap: restart N", .no_backoff = true,
     .pre = {RST(T0 - 50 * M), RST(T0 - 40 * M)}, .h = 5000, .ref = 5200,
     .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"cap: restart N+1", .no_backoff = true,
     .pre = {RST(T0 - 50 * M), RST(T0 - 40 * M), RST(T0 - 30 * M)}, .h = 5000,
     .ref = 5200, .act = CAPPED_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_CAP, .wait = 10 * M},
    {"cap: window -1ms", .no_backoff = true,
     .pre = {RST(T0 - 60 * M + 1), RST(T0 - 40 * M), RST(T0 - 30 * M)},
     .h = 5000, .ref = 5200, .act = CAPPED_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_CAP, .wait = 1},
    {"cap: window expiry frees it", .no_backoff = true,
     .pre = {RST(T0 - 60 * M), RST(T0 - 40 * M), RST(T0 - 30 * M)}, .h = 5000,
     .ref = 5200, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"cap: off", .no_backoff = true, .no_cap = true,
     .pre = {RST(T0 - 50 * M), RST(T0 - 40 * M), RST(T0 - 30 * M),
             RST(T0 - 20 * M), RST(T0 - 10 * M)},
     .h = 5000, .ref = 5200, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG,
     .wait = -1},
    {"cap: healthy is not capped", .no_backoff = true,
     .pre = {RST(T0 - 50 * M), RST(T0 - 40 * M), RST(T0 - 30 * M)}, .h = 5000,
     .ref = 5000, .act = NONE_, .rule = POLICY_RULE_NONE,
     .hold = POLICY_HOLD_HEALTHY, .wait = -1},
    {"cap: cooldown first", .no_backoff = true,
     .pre = {RST(T0 - 50 * M), RST(T0 - 40 * M), RST(T0 - 1 * M)}, .h = 5000,
     .ref = 5200, .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_COOLDOWN, .wait = 4 * M},

    /* backoff: base 300 s doubling to 1 h (cap off to isolate it) */
    {"backoff level 1", .no_cap = true, .pre = {RST(T0 - 300 * S)}, .h = 5000,
     .ref = 5200, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"backoff level 2 -1ms", .no_cap = true,
     .pre = {RST(T0 - 1500 * S), RST(T0 - 600 * S + 1)}, .h = 5000, .ref = 5200,
     .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG, .hold = POLICY_HOLD_BACKOFF,
     .wait = 1},
    {"backoff level 2", .no_cap = true,
     .pre = {RST(T0 - 1500 * S), RST(T0 - 600 * S)}, .h = 5000, .ref = 5200,
     .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"backoff level 3 doubles", .no_cap = true,
     .pre = {RST(T0 - 3000 * S), RST(T0 - 2000 * S), RST(T0 - 1000 * S)},
     .h = 5000, .ref = 5200, .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_BACKOFF, .wait = 200 * S},
    {"backoff capped at max", .no_cap = true,
     .pre = {RST(T0 - 20000 * S), RST(T0 - 19000 * S), RST(T0 - 18000 * S),
             RST(T0 - 17000 * S), RST(T0 - 16000 * S), RST(T0 - 15000 * S),
             RST(T0 - 14000 * S), RST(T0 - 3600 * S + 1)},
     .h = 5000, .ref = 5200, .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_BACKOFF, .wait = 1},
    {"backoff at max elapsed", .no_cap = true,
     .pre = {RST(T0 - 20000 * S), RST(T0 - 19000 * S), RST(T0 - 18000 * S),
             RST(T0 - 17000 * S), RST(T0 - 16000 * S), RST(T0 - 15000 * S),
             RST(T0 - 14000 * S), RST(T0 - 3600 * S)},
     .h = 5000, .ref = 5200, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG,
     .wait = -1},
    {"backoff kept while unhealthy", .no_cap = true,
     .pre = {RST(T0 - 3200 * S), RST(T0 - 2900 * S), RST(T0 - 2600 * S),
             RST(T0 - 2300 * S), RST(T0 - 2000 * S),
             CHK(T0 - 1000 * S, 5000, 5050), CHK(T0 - 600 * S, 5010, 5060)},
     .h = 5000, .ref = 5200, .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_BACKOFF, .wait = 1600 * S},
    {"backoff reset after healthy 300s", .no_cap = true,
     .pre = {RST(T0 - 3200 * S), RST(T0 - 2900 * S), RST(T0 - 2600 * S),
             RST(T0 - 2300 * S), RST(T0 - 2000 * S),
             CHK(T0 - 1000 * S, 5000, 5000), CHK(T0 - 700 * S, 5010, 5010)},
     .h = 5000, .ref = 5200, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG,
     .wait = -1},
    {"backoff not reset after healthy 299s", .no_cap = true,
     .pre = {RST(T0 - 3200 * S), RST(T0 - 2900 * S), RST(T0 - 2600 * S),
             RST(T0 - 2300 * S), RST(T0 - 2000 * S),
             CHK(T0 - 1000 * S, 5000, 5000), CHK(T0 - 701 * S, 5010, 5010)},
     .h = 5000, .ref = 5200, .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_BACKOFF, .wait = 1600 * S},

    /* dry-run decides the same, flagged */
    {"dry-run severe", .dry_run = true, .h = 5000, .ref = 5200, .act = RESTART_,
     .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
    {"dry-run healthy", .dry_run = true, .h = 5000, .ref = 5000, .act = NONE_,
     .rule = POLICY_RULE_NONE, .hold = POLICY_HOLD_HEALTHY, .wait = -1},

    /* each rule disabled */
    {"severe disabled: moderate speaks", .off = R(SEVERE_LAG), .h = 5000,
     .ref = 5200, .act = RESTART_, .rule = POLICY_RULE_MODERATE_LAG,
     .wait = -1},
    {"severe disabled, producing", .off = R(SEVERE_LAG), .h = 5000, .ref = 5200,
     .f = F_PROD, .act = NONE_, .rule = POLICY_RULE_MODERATE_LAG,
     .hold = POLICY_HOLD_PRODUCING, .wait = -1},
    {"severe and moderate disabled", .off = R(SEVERE_LAG) | R(MODERATE_LAG),
     .h = 5000, .ref = 5200, .act = NONE_, .rule = POLICY_RULE_SEVERE_LAG,
     .hold = POLICY_HOLD_DISABLED, .wait = -1},
    {"moderate disabled", .off = R(MODERATE_LAG), .h = 5000, .ref = 5050,
     .act = NONE_, .rule = POLICY_RULE_MODERATE_LAG,
     .hold = POLICY_HOLD_DISABLED, .wait = -1},
    {"moderate disabled, severe still", .off = R(MODERATE_LAG), .h = 5000,
     .ref = 5100, .act = RESTART_, .rule = POLICY_RULE_SEVERE_LAG, .wait = -1},
};

static void
apply_conf(const struct row *r, struct policy_conf *c)
{
	int i;

	policy_conf_defaults(c);
	for (i = 1; i < POLICY_RULE_COUNT; i++)
		if (r->off & (1u << i))
			c->enabled[i] = false;
	c->dry_run = r->dry_run;
	if (r->no_cap)
		c->cap_restarts = 0;
	if (r->no_backoff)
		c->backoff_base_ms = 0;
	if (r->exited_checks)
		c->exited_checks = r->exited_checks;
	c->stall_min_lag = r->stall_min_lag;
}

static struct policy_input
mkin(uint64_t t, uint64_t h, uint64_t ref, unsigned f)
{
	struct policy_input in = {
	    .now_ms = t,
	    .up = !(f & F_DOWN),
	    .reachable = !(f & (F_DOWN | F_UNREACH)),
	    .height = h,
	    .ref_height = ref,
	    .major_sync = f & F_SYNC,
	    .producing = f & F_PROD,
	    .session = 7,
	};
	return in;
}

static void
test_table(void)
{
	size_t i, j;

	for (i = 0; i < UTIL_NELEM(rows); i++) {
		const struct row *r = &rows[i];
		struct policy_conf c;
		struct policy_state s;
		struct policy_decision d;
		struct policy_input in;
		char err[128];

		apply_conf(r, &c);
		CHECKF(policy_conf_check(&c, err, sizeof(err)) == 0,
		       "row \"%s\": conf: %s", r->name, err);
		policy_state_init(&s);
		for (j = 0; j < UTIL_NELEM(r->pre) && r->pre[j].kind; j++) {
			const struct step *st = &r->pre[j];

			if (st->kind == 'r') {
				policy_restarted(&s, st->t);
				continue;
			}
			in = mkin(st->t, st->h, st->ref, st->f);
			policy_decide(&c, &s, &in, &d);
		}
		in = mkin(T0, r->h, r->ref, r->f);
		policy_decide(&c, &s, &in, &d);
		CHECKF(d.action == r->act && d.rule == r->rule &&
		           d.hold == r->hold,
		       "row \"%s\": got %s/%s/%s, want %s/%s/%s (%s)", r->name,
		       policy_action_str(d.action), policy_rule_str(d.rule),
		       policy_hold_str(d.hold), policy_action_str(r->act),
		       policy_rule_str(r->rule), policy_hold_str(r->hold),
		       d.reason);
		CHECKF(r->wait < 0 || d.wait_ms == (uint64_t)r->wait,
		       "row \"%s\": wait %" PRIu64 ", want %" PRId64, r->name,
		       d.wait_ms, r->wait);
		CHECKF(d.dry_run == r->dry_run, "row \"%s\": dry_run flag",
		       r->name);
		CHECKF(d.reason[0] != '\0', "row \"%s\": empty reason",
		       r->name);
	}
}

/* Reasons quote the figures an operator needs. */
static void
test_reasons(void)
{
	struct policy_conf c;
	struct policy_state s;
	struct policy_decision d;
	struct policy_input in;

	policy_conf_defaults(&c);
	policy_state_init(&s);
	in = mkin(T0, 5000, 5150, 0);
	policy_decide(&c, &s, &in, &d);
	CHECKF(strstr(d.reason, "lag 150") && strstr(d.reason, "severe 100"),
	       "%s", d.reason);

	policy_state_init(&s);
	in = mkin(T0, 5000, 5050, F_PROD);
	policy_decide(&c, &s, &in, &d);
	CHECKF(strstr(d.reason, "produced a block in session 7"), "%s",
	       d.reason);

	policy_state_init(&s);
	policy_restarted(&s, T0 - 120 * S);
	in = mkin(T0, 5000, 5150, 0);
	policy_decide(&c, &s, &in, &d);
	CHECKF(strstr(d.reason, "cooldown") && strstr(d.reason, "3m00s left") &&
	           strstr(d.reason, "lag 150"),
	       "%s", d.reason);

	policy_state_init(&s);
	in = mkin(T0, 5000, 5005, 0);
	policy_decide(&c, &s, &in, &d);
	CHECKF(strstr(d.reason, "lag 5 < moderate 20"), "%s", d.reason);

	policy_state_init(&s);
	in = mkin(T0, 5000, 0, 0);
	policy_decide(&c, &s, &in, &d);
	CHECKF(strstr(d.reason, "no reference height"), "%s", d.reason);

	c.enabled[POLICY_RULE_SEVERE_LAG] = false;
	c.enabled[POLICY_RULE_MODERATE_LAG] = false;
	policy_state_init(&s);
	in = mkin(T0, 5000, 5150, 0);
	policy_decide(&c, &s, &in, &d);
	CHECKF(strstr(d.reason, "rule severe_lag is disabled"), "%s", d.reason);
}

static void
test_strings(void)
{
	int i;

	for (i = 1; i < POLICY_RULE_COUNT; i++)
		CHECK_EQ_INT(policy_rule_from_str(policy_rule_str(i)), i);
	CHECK_EQ_INT(policy_rule_from_str("bogus"), -1);
	CHECK_EQ_INT(policy_rule_from_str("none"), -1);
	CHECK_EQ_STR(policy_rule_str(POLICY_RULE_COUNT), "?");
	CHECK_EQ_STR(policy_hold_str(POLICY_HOLD_CAP), "crash_loop");
	CHECK_EQ_STR(policy_action_str(POLICY_CAPPED), "capped");
}

static void
test_conf_check(void)
{
	struct policy_conf c;
	char err[128];

	policy_conf_defaults(&c);
	CHECK(policy_conf_check(&c, err, sizeof(err)) == 0);
	CHECK_EQ_INT(c.moderate_lag, 20);
	CHECK_EQ_INT(c.severe_lag, 100);
	CHECK_EQ_INT(c.cooldown_ms, 300000);
	CHECK_EQ_INT(c.stall_ms, 180000);
	CHECK_EQ_INT(c.trend_ms, 300000);
	CHECK(!c.dry_run);

	c.moderate_lag = 100;
	CHECK(policy_conf_check(&c, err, sizeof(err)) == -1);
	CHECKF(strstr(err, "moderate_lag 100") && strstr(err, "severe_lag 100"),
	       "%s", err);
	policy_conf_defaults(&c);
	c.cap_restarts = POLICY_CAP_MAX + 1;
	CHECK(policy_conf_check(&c, err, sizeof(err)) == -1);
	CHECKF(strstr(err, "33"), "%s", err);
	policy_conf_defaults(&c);
	c.backoff_max_ms = 1000;
	CHECK(policy_conf_check(&c, err, sizeof(err)) == -1);
	policy_conf_defaults(&c);
	c.unreachable_checks = 0;
	CHECK(policy_conf_check(&c, err, sizeof(err)) == -1);
	CHECKF(strstr(err, "unreachable_checks"), "%s", err);
}

static void
test_backoff_ms(void)
{
	struct policy_conf c;

	policy_conf_defaults(&c);
	CHECK_EQ_INT(policy_backoff_ms(&c, 0), 0);
	CHECK_EQ_INT(policy_backoff_ms(&c, 1), 300000);
	CHECK_EQ_INT(policy_backoff_ms(&c, 2), 600000);
	CHECK_EQ_INT(policy_backoff_ms(&c, 3), 1200000);
	CHECK_EQ_INT(policy_backoff_ms(&c, 4), 2400000);
	CHECK_EQ_INT(policy_backoff_ms(&c, 5), 3600000);
	CHECK_EQ_INT(policy_backoff_ms(&c, 6), 3600000);
	CHECK_EQ_INT(policy_backoff_ms(&c, UINT32_MAX), 3600000);
	c.backoff_max_ms = UINT64_MAX;
	CHECK_EQ_INT(policy_backoff_ms(&c, 200) == UINT64_MAX, 1);
	c.backoff_base_ms = 0;
	CHECK_EQ_INT(policy_backoff_ms(&c, 5), 0);
}

/* The catch-up figures: lag, caught up, rate, ETA, "fully caught up". */
static void
test_progress(void)
{
	struct policy_conf c;
	struct policy_state s;
	struct policy_decision d;
	struct policy_input in;
	const struct policy_progress *p = &d.progress;
	char line[160];

	policy_conf_defaults(&c);
	c.enabled[POLICY_RULE_SEVERE_LAG] = false;
	c.enabled[POLICY_RULE_MODERATE_LAG] = false;
	policy_state_init(&s);

	in = mkin(T0, 1000, 1200, F_SYNC);
	policy_decide(&c, &s, &in, &d);
	CHECK(p->lag_known);
	CHECK_EQ_INT(p->lag, 200);
	CHECK(!p->delta_known);
	CHECK(!p->eta_known);
	CHECK_EQ_STR(policy_progress_str(p, line, sizeof(line)),
	             "lag 200 blocks");

	/* 60 s later: imported 300, the chain made 60: lag 200 -> 20 */
	in = mkin(T0 + 60 * S, 1300, 1320, F_SYNC);
	policy_decide(&c, &s, &in, &d);
	CHECK(p->delta_known);
	CHECK_EQ_INT(p->caught_up, 300);
	CHECKF(fabs(p->rate - 5.0) < 1e-9, "rate %f", p->rate);
	CHECKF(fabs(p->closing_rate - 3.0) < 1e-9, "closing %f",
	       p->closing_rate);
	CHECK(p->eta_known);
	CHECKF(p->eta_ms >= 6666 && p->eta_ms <= 6667, "eta %" PRIu64,
	       p->eta_ms);
	CHECK(!p->synced);
	CHECK_EQ_STR(
	    policy_progress_str(p, line, sizeof(line)),
	    "lag 20 blocks, caught up 300 blocks, sync rate 5.00 blocks/s, "
	    "ETA 6.6s");

	/* then caught up: the event fires once, with the height */
	in = mkin(T0 + 120 * S, 1380, 1380, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK_EQ_INT(p->lag, 0);
	CHECK(p->synced);
	CHECK_EQ_INT(p->synced_height, 1380);
	CHECK_EQ_STR(policy_progress_str(p, line, sizeof(line)),
	             "fully caught up at block #1380");
	CHECK(!p->eta_known);
	in = mkin(T0 + 180 * S, 1440, 1440, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK(!p->synced);

	/* a lag of a few blocks and back is no catch-up event */
	in = mkin(T0 + 240 * S, 1495, 1500, 0);
	policy_decide(&c, &s, &in, &d);
	in = mkin(T0 + 300 * S, 1560, 1560, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK(!p->synced);

	/* lag growing: no ETA, negative closing rate */
	in = mkin(T0 + 360 * S, 1570, 1620, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK(p->closing_rate < 0);
	CHECK(!p->eta_known);
	CHECKF(strstr(policy_progress_str(p, line, sizeof(line)),
	              "ETA none (not gaining)"),
	       "%s", line);

	/* a stalled height: caught_up 0, rate 0, stalled time grows */
	in = mkin(T0 + 420 * S, 1570, 1680, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK_EQ_INT(p->caught_up, 0);
	CHECK(p->rate == 0);
	CHECK_EQ_INT(p->stalled_ms, 60 * S);

	/* a height going back (resync from a snapshot) counts as negative */
	in = mkin(T0 + 480 * S, 1500, 1740, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK_EQ_INT(p->caught_up, -70);
	CHECK_EQ_INT(p->stalled_ms, 0);

	/* time going backwards never divides by zero or wraps */
	in = mkin(T0, 1510, 1740, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK(!p->delta_known);
}

/* Live: a node stuck at severe lag, checked every 60 s for 3 hours. */
static void
test_seq_crash_loop(void)
{
	struct policy_conf c;
	struct policy_state s;
	struct policy_decision d;
	struct policy_input in;
	uint64_t t, restarts[16] = {0}, ncap = 0, ncapnew = 0, first_cap = 0;
	unsigned n = 0;

	policy_conf_defaults(&c);
	policy_state_init(&s);
	for (t = 0; t <= 3 * 3600 * S; t += 60 * S) {
		in = mkin(T0 + t, 5000 + t / 1000, 5300 + t / 1000, 0);
		policy_decide(&c, &s, &in, &d);
		CHECKF(!d.dry_run, "t=%" PRIu64, t);
		if (d.action == POLICY_RESTART) {
			if (n < 16)
				restarts[n] = t / S;
			n++;
			policy_restarted(&s, in.now_ms);
		} else if (d.action == POLICY_CAPPED) {
			if (ncap++ == 0)
				first_cap = t / S;
			ncapnew += d.cap_new;
		}
	}
	/*
	 * 0; then 300 (cooldown, backoff 300 s); 900 (backoff 600 s); the
	 * 4th is capped from 1200 s until the restart at 0 leaves the hour
	 * at 3600 (backoff 1200 s has passed); then 6000 (backoff 2400 s,
	 * only 3600 in the window) and 9600 (backoff at its 1 h max).
	 */
	CHECK(n >= 4);
	CHECK_EQ_INT(restarts[0], 0);
	CHECK_EQ_INT(restarts[1], 300);
	CHECK_EQ_INT(restarts[2], 900);
	CHECK_EQ_INT(first_cap, 1200);
	CHECK_EQ_INT(restarts[3], 3600);
	CHECK_EQ_INT(restarts[4], 6000); /* level 4: 2400 s after 3600 */
	CHECK_EQ_INT(restarts[5], 9600); /* level 5: max 3600 s */
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_INT(ncapnew, 1);
	CHECK(ncap > 0);
	CHECK_EQ_INT(s.total_restarts, 6);
}

/* Dry-run: the same timeline, nothing executed, every RESTART flagged. */
static void
test_seq_dry_run(void)
{
	struct policy_conf c;
	struct policy_state s;
	struct policy_decision d;
	struct policy_input in;
	uint64_t t, at[8];
	unsigned n = 0;

	policy_conf_defaults(&c);
	c.dry_run = true;
	policy_state_init(&s);
	for (t = 0; t <= 3600 * S; t += 60 * S) {
		in = mkin(T0 + t, 5000, 5300 + t / 1000, 0);
		policy_decide(&c, &s, &in, &d);
		CHECK(d.dry_run);
		if (d.action == POLICY_RESTART && n < 8)
			at[n++] = t / S;
	}
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(at[0], 0);
	CHECK_EQ_INT(at[1], 300);
	CHECK_EQ_INT(at[2], 900);
	CHECK_EQ_INT(at[3], 3600);
}

/* Operator reset frees the cap at once (the cooldown still holds). */
static void
test_seq_operator_reset(void)
{
	struct policy_conf c;
	struct policy_state s;
	struct policy_decision d;
	struct policy_input in;

	policy_conf_defaults(&c);
	policy_state_init(&s);
	policy_restarted(&s, T0 - 50 * M);
	policy_restarted(&s, T0 - 40 * M);
	policy_restarted(&s, T0 - 20 * M);
	in = mkin(T0, 5000, 5300, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK_EQ_INT(d.action, POLICY_CAPPED);
	CHECK(d.cap_new);
	CHECKF(strstr(d.reason, "crash loop"), "%s", d.reason);
	in = mkin(T0 + M, 5000, 5360, 0);
	policy_decide(&c, &s, &in, &d);
	CHECK_EQ_INT(d.action, POLICY_CAPPED);
	CHECK(!d.cap_new);
	policy_reset(&s);
	in = mkin(T0 + 2 * M, 5000, 5420, 0);
	policy_decide(&c, &s, &in, &d);
	CHECKF(d.action == POLICY_RESTART, "%s", d.reason);
}

/*
 * A node that falls behind, is restarted, catches up and stays healthy,
 * then gets stuck later: one restart each time, one "fully caught up"
 * event per recovery, and the backoff forgotten in between so the second
 * failure is restarted after the cooldown alone.
 */
static void
test_seq_recovery(void)
{
	struct policy_conf c;
	struct policy_state s;
	struct policy_decision d;
	struct policy_input in;
	uint64_t t, h = 10000, ref = 10000, at[4] = {0}, synced_at[4] = {0};
	unsigned restarts = 0, synced = 0;
	enum { FALLING, CATCHING, STUCK } mode = FALLING;

	policy_conf_defaults(&c);
	policy_state_init(&s);
	for (t = 0; t <= 7200 * S; t += 60 * S) {
		ref += 60; /* 1 block/s */
		if (t == 5400 * S)
			mode = STUCK;
		if (mode == FALLING)
			h += 55;
		else if (mode == CATCHING)
			h += 120 < ref - h ? 120 : ref - h;
		in = mkin(T0 + t, h, ref, 0);
		policy_decide(&c, &s, &in, &d);
		if (d.progress.synced && synced < 4)
			synced_at[synced++] = d.progress.synced_height;
		if (d.action == POLICY_RESTART) {
			if (restarts == 1) /* forgotten after 300 s healthy */
				CHECK_EQ_INT(s.backoff_level, 0);
			if (restarts < 4)
				at[restarts] = t / S;
			restarts++;
			policy_restarted(&s, in.now_ms);
			mode = CATCHING;
		}
	}
	/* lag 5/check reaches moderate 20 at 180 s; stuck at 5400 s, the
	 * lag is 60 at once; healthy again after that, backoff forgotten */
	CHECK_EQ_INT(restarts, 2);
	CHECK_EQ_INT(at[0], 180);
	CHECK_EQ_INT(at[1], 5400);
	CHECK_EQ_INT(synced, 2);
	CHECK(synced_at[0] > 10000 && synced_at[1] > synced_at[0]);
	CHECK_EQ_INT(s.backoff_level, 0);
}

/* Checks every second for 20 minutes: the trend ring thins samples and
 * still sees a 300 s window; the stall clock works at 1 s resolution. */
static void
test_seq_fast_checks(void)
{
	struct policy_conf c;
	struct policy_state s;
	struct policy_decision d;
	struct policy_input in;
	uint64_t t, first_trend = 0, first_stall = 0;

	policy_conf_defaults(&c);
	c.enabled[POLICY_RULE_SEVERE_LAG] = false;
	c.stall_min_lag = 1;
	policy_state_init(&s);
	/* lag rises 1 block per 2 s from 150; the node is in major sync */
	for (t = 0; t < 20 * M; t += S) {
		in = mkin(T0 + t, 100000 + t / S / 2, 100150 + t / S, F_SYNC);
		policy_decide(&c, &s, &in, &d);
		if (d.progress.rising && first_trend == 0)
			first_trend = t;
		if (d.action == POLICY_RESTART) {
			CHECKF(d.rule == POLICY_RULE_TREND, "%s", d.reason);
			break;
		}
	}
	CHECKF(first_trend >= 300 * S && first_trend <= 310 * S,
	       "trend seen at %" PRIu64 "ms", first_trend);
	CHECK(s.hist_n <= POLICY_HIST);

	/* stall at 1 s checks */
	policy_state_init(&s);
	for (t = 0; t < 20 * M; t += S) {
		in = mkin(T0 + t, 100000, 100150 + t / S, F_SYNC);
		policy_decide(&c, &s, &in, &d);
		if (d.action == POLICY_RESTART) {
			first_stall = t;
			CHECKF(d.rule == POLICY_RULE_STALL, "%s", d.reason);
			break;
		}
	}
	CHECK_EQ_INT(first_stall, 180 * S);
}

int
main(void)
{
	RUN(test_table);
	RUN(test_reasons);
	RUN(test_strings);
	RUN(test_conf_check);
	RUN(test_backoff_ms);
	RUN(test_progress);
	RUN(test_seq_crash_loop);
	RUN(test_seq_dry_run);
	RUN(test_seq_operator_reset);
	RUN(test_seq_recovery);
	RUN(test_seq_fast_checks);
	return TEST_END();
}
