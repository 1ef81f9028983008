#include "pilot/promote.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void say(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

void
promote_begin(struct promote *p, const struct lease_state *l)
{
	memset(p, 0, sizeof(*p));
	p->phase = PROMOTE_RAISE;
	p->epoch = l->epoch;
}

void
promote_reset(struct promote *p)
{
	p->phase = PROMOTE_IDLE;
}

bool
promote_active(const struct promote *p)
{
	return p->phase != PROMOTE_IDLE;
}

static enum promote_event failed(struct promote *p, struct lease_state *l,
                                 bool enabled, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum promote_event
failed(struct promote *p, struct lease_state *l, bool enabled, const char *fmt,
       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	lease_promote_failed(l, p->msg);
	p->phase = PROMOTE_IDLE;
	/* the file may say "sign until T": take it back too */
	return enabled || p->file_written ? PROMOTE_EV_DEMOTE
	                                  : PROMOTE_EV_FAILED;
}

enum promote_event
promote_step(struct promote *p, struct lease_state *l,
             const struct promote_ops *ops, void *arg, uint64_t now_ms)
{
	char err[PROTO_TEXT_MAX] = "";
	int rc;

	if (p->phase == PROMOTE_IDLE)
		return PROMOTE_EV_NONE;
	if (!l->promoting || !l->holding || l->epoch != p->epoch) {
		/* revoked or expired meanwhile: lease_tick asks for DEMOTE */
		say(p->msg, sizeof(p->msg), "promotion of epoch %llu ended: %s",
		    (unsigned long long)p->epoch, l->reason);
		p->phase = PROMOTE_IDLE;
		return PROMOTE_EV_DEMOTE;
	}
	for (;;) {
		switch (p->phase) {
		case PROMOTE_IDLE:
			return PROMOTE_EV_NONE;
		case PROMOTE_RAISE: {
			struct proto_sign_state floor = l->watermark;
			uint64_t h = ops->height ? ops->height(arg) : 0;

			/* never sign below the chain's head either: a lagging
			 * secondary must not vote on old heights */
			if (h > floor.height) {
				floor.height = h;
				floor.round = 0;
				floor.step = 0;
			}
			if (ops->raise &&
			    ops->raise(arg, &floor, err, sizeof(err)) != 0)
				return failed(p, l, false,
				              "cannot raise the sign state: %s",
				              err);
			p->raised = floor;
			p->phase =
			    ops->doppel_begin ? PROMOTE_DOPPEL : PROMOTE_LEASE;
			if (ops->doppel_begin &&
			    ops->doppel_begin(arg, err, sizeof(err)) != 0)
				return failed(p, l, false,
				              "doppelganger check: %s", err);
			break;
		}
		case PROMOTE_DOPPEL:
			if (now_ms < p->next_poll_ms)
				return PROMOTE_EV_NONE;
			p->next_poll_ms = now_ms + PROMOTE_POLL_MS;
			rc = ops->doppel_poll(arg, err, sizeof(err));
			if (rc == DOPPEL_SEEN)
				return failed(p, l, false, "doppelganger: %s",
				              err);
			if (rc != DOPPEL_CLEAR) {
				/* not committed yet, or the node did not
				 * answer: the lease's end bounds the wait */
				if (err[0])
					say(p->msg, sizeof(p->msg),
					    "doppelganger check: %s", err);
				return PROMOTE_EV_NONE;
			}
			p->phase = PROMOTE_LEASE;
			break;
		case PROMOTE_LEASE:
			if (ops->lease_file) {
				if (ops->lease_file(arg, l->epoch,
				                    l->expires_ms, err,
				                    sizeof(err)) != 0)
					return failed(p, l, false,
					              "lease file: %s", err);
				p->file_written = true;
			}
			p->phase = PROMOTE_ENABLE;
			break;
		case PROMOTE_ENABLE:
			if (ops->enable(arg, err, sizeof(err)) != 0)
				return failed(p, l, true, "signer promote: %s",
				              err);
			p->phase = PROMOTE_RESTART;
			break;
		case PROMOTE_RESTART:
			if (ops->restart_node &&
			    ops->restart_node(arg, err, sizeof(err)) != 0)
				return failed(p, l, true,
				              "node restart after promote: %s",
				              err);
			p->phase = PROMOTE_IDLE;
			if (!lease_promoted(l, now_ms)) {
				say(p->msg, sizeof(p->msg), "%s", l->reason);
				return PROMOTE_EV_DEMOTE;
			}
			say(p->msg, sizeof(p->msg), "%s", l->reason);
			return PROMOTE_EV_SIGNING;
		}
	}
}

int
promote_demote(struct promote *p, struct lease_state *l,
               const struct promote_ops *ops, void *arg, char *err,
               size_t errlen)
{
	char e1[PROTO_TEXT_MAX] = "", e2[PROTO_TEXT_MAX] = "";
	int rc;

	p->phase = PROMOTE_IDLE;
	err[0] = '\0';
	if (ops->lease_file &&
	    ops->lease_file(arg, l->epoch, 0, e1, sizeof(e1)) == 0)
		p->file_written = false;
	if ((rc = ops->disable(arg, e2, sizeof(e2))) != 0) {
		say(err, errlen, "signer demote: %s%s%s", e2,
		    e1[0] ? "; lease file: " : "", e1);
		return rc;
	}
	e2[0] = '\0';
	if (ops->restart_node && ops->restart_node(arg, e2, sizeof(e2)) != 0)
		say(err, errlen, "node restart after demote: %s", e2);
	if (e1[0])
		say(err + strlen(err), errlen - strlen(err), "%slease file: %s",
		    err[0] ? "; " : "", e1);
	lease_demoted(l);
	return 0;
}

int
promote_renewed(struct promote *p, const struct lease_state *l,
                const struct promote_ops *ops, void *arg, char *err,
                size_t errlen)
{
	if (!p->file_written || ops->lease_file == NULL)
		return 0;
	return ops->lease_file(arg, l->epoch, l->expires_ms, err, errlen);
}

const char *
promote_phase_str(enum promote_phase ph)
{
	switch (ph) {
	case PROMOTE_IDLE:
		return "idle";
	case PROMOTE_RAISE:
		return "raise";
	case PROMOTE_DOPPEL:
		return "doppelganger";
	case PROMOTE_LEASE:
		return "lease";
	case PROMOTE_ENABLE:
		return "enable";
	case PROMOTE_RESTART:
		return "restart";
	}
	return "?";
}
