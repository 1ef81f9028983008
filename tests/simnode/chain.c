/*
 * chain.c: the network timeline (tip = (now - genesis) / block time, the
 * same in every simnode of a chain) and this node's height on it.
 *
 * The node imports each new block while it follows; when it is further
 * behind than FOLLOW_SLACK it catches up at catchup_rate blocks/s and does
 * not sign what it imports that way (a real validator votes only at the
 * head it follows, never on blocks it downloads).
 */
#include "tests/simnode/simnode.h"
#include "tests/simnode/hash.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define FOLLOW_SLACK 2    /* blocks imported one by one, signing */
#define MAX_PER_TICK 5000 /* catch-up imports per tick (log volume) */
#define INFORMANT_MS 5000 /* Substrate's informant period */

struct simnode sn;

static bool major_auto; /* major sync entered by --major-sync-above */
static uint64_t informant_height;

uint64_t
sn_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
sn_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
sn_tip(uint64_t wall_ms)
{
	if (wall_ms <= sn.genesis_ms)
		return 0;
	return (wall_ms - sn.genesis_ms) / sn.block_ms;
}

uint64_t
sn_tip_now(void)
{
	return sn_tip(sn_wall_ms());
}

void
sn_block_hash(uint64_t height, uint8_t out[32])
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "simnode|%s|%s|%" PRIu64,
	                 sn.ops->name, sn.network, height);

	sn_sha256(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
	          out);
}

void
sn_block_hash_hex(uint64_t height, bool upper, char *out)
{
	uint8_t h[32];

	sn_block_hash(height, h);
	sn_hex(h, sizeof(h), upper, out);
}

uint64_t
sn_block_time_ms(uint64_t height)
{
	return sn.genesis_ms + height * sn.block_ms;
}

uint64_t
sn_finalized(void)
{
	return sn.height > sn.finality_lag ? sn.height - sn.finality_lag : 0;
}

/* Substrate prints H256 as "0x1f20…c3b2". */
static const char *
short_hash(uint64_t height, char out[16])
{
	char hex[65];

	sn_block_hash_hex(height, false, hex);
	snprintf(out, 16, "0x%.4s\xe2\x80\xa6%s", hex, hex + 60);
	return out;
}

static void
announce_session(void)
{
	uint64_t s = sn.height / sn.session_blocks;

	if (sn.session_known && s == sn.session)
		return;
	sn.session = s;
	sn.session_known = true;
	sn_log_sub("INFO", "aleph-party", "Running session %" PRIu64 ".", s);
}

static void
import_block(uint64_t h, bool following)
{
	char sh[16];

	sn.height = h;
	if (following && !sn.major_sync && sn.key_path != NULL)
		sn_sign_height(h);
	if (!sn.major_sync) {
		sn_log_sub("INFO", "substrate",
		           "\xe2\x9c\xa8 Imported #%" PRIu64 " (%s)", h,
		           short_hash(h, sh));
		announce_session();
	}
	if (sn.ops->log_block != NULL)
		sn.ops->log_block(h);
}

static uint64_t
follow_target(uint64_t tip)
{
	if (sn.follow == SN_FOLLOW_HOLD)
		return tip > sn.lag_blocks ? tip - sn.lag_blocks : 0;
	return tip;
}

static void
informant(uint64_t tip, uint64_t mono_ms)
{
	char best[16], fin[16];
	double bps;

	if (mono_ms - sn.last_informant_mono < INFORMANT_MS)
		return;
	bps = (double)(sn.height - informant_height) * 1000.0 /
	      (double)(mono_ms - sn.last_informant_mono);
	if (sn.height < informant_height)
		bps = 0;
	sn.last_informant_mono = mono_ms;
	informant_height = sn.height;
	short_hash(sn.height, best);
	short_hash(sn_finalized(), fin);
	if (sn.major_sync)
		sn_log_sub("INFO", "substrate",
		           "\xe2\x9a\x99\xef\xb8\x8f  Syncing %.1f bps, "
		           "target=#%" PRIu64 " (%u peers), best: #%" PRIu64
		           " (%s), finalized #%" PRIu64
		           " (%s), \xe2\xac\x87 1.2kiB/s \xe2\xac\x86 0.4kiB/s",
		           bps, tip, sn.peers, sn.height, best, sn_finalized(),
		           fin);
	else
		sn_log_sub("INFO", "substrate",
		           "\xf0\x9f\x92\xa4 Idle (%u peers), best: #%" PRIu64
		           " (%s), finalized #%" PRIu64
		           " (%s), \xe2\xac\x87 1.2kiB/s \xe2\xac\x86 0.4kiB/s",
		           sn.peers, sn.height, best, sn_finalized(), fin);
}

void
sn_chain_major_sync(bool on)
{
	major_auto = false;
	if (on == sn.major_sync)
		return;
	sn.major_sync = on;
	if (on) {
		sn.sync_start = sn.height;
		sn_log_sub("INFO", "aleph-sync",
		           "Switched to major sync state.");
	} else {
		sn_log_sub("INFO", "aleph-sync",
		           "No longer in major sync state.");
		sn.session_known = false;
		announce_session();
	}
}

void
sn_chain_init(uint64_t lag, bool hold, bool stalled, bool major_sync)
{
	uint64_t tip = sn_tip_now();
	char hex[65];

	sn.start_wall_ms = sn_wall_ms();
	sn.start_mono_ms = sn.last_step_mono = sn.last_informant_mono =
	    sn_mono_ms();
	sn.height = tip > lag ? tip - lag : 0;
	informant_height = sn.height;
	sn.sync_start = sn.height;
	sn.follow =
	    stalled ? SN_FOLLOW_STALL : (hold ? SN_FOLLOW_HOLD : SN_FOLLOW_TIP);
	sn.lag_blocks = hold ? lag : 0;

	sn_block_hash_hex(0, false, hex);
	sn_log_sub("INFO", "sc_cli::runner", "Substrate Node");
	sn_log_sub("INFO", "sc_cli::runner",
	           "\xe2\x9c\x8c\xef\xb8\x8f  version %s-simnode-%s",
	           SN_VERSION, sn.ops->name);
	sn_log_sub("INFO", "sc_cli::runner",
	           "\xf0\x9f\x93\x8b Chain specification: %s", sn.network);
	sn_log_sub("INFO", "sc_cli::runner", "\xf0\x9f\x8f\xb7  Node name: %s",
	           sn.name);
	sn_log_sub("INFO", "sc_cli::runner", "\xf0\x9f\x91\xa4 Role: %s",
	           sn.key_path != NULL ? "AUTHORITY" : "FULL");
	sn_log_sub("INFO", "sc_service::builder",
	           "\xf0\x9f\x94\xa8 Initializing Genesis block/state "
	           "(header-hash: 0x%s)",
	           hex);
	sn_log_sub("INFO", "simnode",
	           "network tip #%" PRIu64 ", local best #%" PRIu64
	           " (genesis %" PRIu64 " ms, block %" PRIu64 " ms)",
	           tip, sn.height, sn.genesis_ms, sn.block_ms);
	if (major_sync)
		sn_chain_major_sync(true);
	else
		announce_session();
}

void
sn_chain_tick(uint64_t wall_ms, uint64_t mono_ms)
{
	uint64_t tip = sn_tip(wall_ms), tgt, gap, k;
	uint64_t dt = mono_ms - sn.last_step_mono;

	sn.last_step_mono = mono_ms;
	if (sn.major_sync_above > 0) {
		uint64_t lag = tip > sn.height ? tip - sn.height : 0;
		if (lag > sn.major_sync_above && !sn.major_sync) {
			sn_chain_major_sync(true);
			major_auto = true;
		} else if (lag <= sn.major_sync_above && sn.major_sync &&
		           major_auto) {
			sn_chain_major_sync(false);
		}
	}
	tgt = follow_target(tip);
	if (sn.pending_lag > 0) {
		if (tip < sn.height + sn.pending_lag)
			tgt = sn.height; /* falling behind on purpose */
		else
			sn.pending_lag = 0;
	}
	if (sn.follow == SN_FOLLOW_STALL || sn.height >= tgt) {
		sn.credit = 0;
	} else if ((gap = tgt - sn.height) <= FOLLOW_SLACK) {
		sn.credit = 0;
		while (sn.height < tgt)
			import_block(sn.height + 1, true);
	} else {
		sn.credit += (double)dt * sn.catchup_rate / 1000.0;
		k = (uint64_t)floor(sn.credit);
		if (k > gap)
			k = gap;
		if (k > MAX_PER_TICK)
			k = MAX_PER_TICK;
		sn.credit -= (double)k;
		if (sn.credit > MAX_PER_TICK)
			sn.credit = MAX_PER_TICK;
		while (k-- > 0)
			import_block(sn.height + 1, false);
	}
	informant(tip, mono_ms);
}

int
sn_chain_timeout(uint64_t wall_ms, uint64_t mono_ms)
{
	uint64_t tip = sn_tip(wall_ms), next, ms, tgt;

	next = sn.genesis_ms + (tip + 1) * sn.block_ms;
	ms = next > wall_ms ? next - wall_ms + 1 : 1;
	tgt = follow_target(tip);
	if (sn.follow != SN_FOLLOW_STALL && sn.pending_lag == 0 &&
	    tgt > sn.height + FOLLOW_SLACK && sn.catchup_rate > 0) {
		double need = (1.0 - sn.credit) * 1000.0 / sn.catchup_rate;
		uint64_t c = need < 1 ? 1 : (uint64_t)ceil(need);
		if (c < ms)
			ms = c;
	}
	if (sn.last_informant_mono + INFORMANT_MS > mono_ms &&
	    sn.last_informant_mono + INFORMANT_MS - mono_ms < ms)
		ms = sn.last_informant_mono + INFORMANT_MS - mono_ms;
	if (ms < 1)
		ms = 1;
	return ms > 1000 ? 1000 : (int)ms;
}

void
sn_chain_lag(uint64_t blocks, bool hold, bool gradual)
{
	uint64_t tip = sn_tip_now();

	sn.follow = hold ? SN_FOLLOW_HOLD : SN_FOLLOW_TIP;
	sn.lag_blocks = hold ? blocks : 0;
	sn.pending_lag = 0;
	sn.credit = 0;
	sn.last_step_mono = sn_mono_ms();
	if (gradual)
		sn.pending_lag = blocks;
	else if (sn.height + blocks > tip)
		/* Tests want the lag now, not blocks * block time later. */
		sn.height = tip > blocks ? tip - blocks : 0;
}

void
sn_chain_stall(void)
{
	sn.follow = SN_FOLLOW_STALL;
	sn.pending_lag = 0;
	sn.credit = 0;
}

void
sn_chain_resume(void)
{
	sn.follow = SN_FOLLOW_TIP;
	sn.lag_blocks = 0;
	sn.pending_lag = 0;
	sn.credit = 0;
	sn.last_step_mono = sn_mono_ms();
}

const char *
sn_mode_str(void)
{
	if (sn.follow == SN_FOLLOW_STALL)
		return "stalled";
	if (sn.follow == SN_FOLLOW_HOLD || sn.pending_lag > 0)
		return "lagging";
	return sn.height >= sn_tip_now() ? "synced" : "catching_up";
}
