/*
 * reload.c: the SIGHUP comparison, section by section through the
 * normalized dumps (common/conf_diff.h says why).
 */
#include "pilot/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf_diff.h"

static void
print(const void *c, FILE *f)
{
	pilot_conf_dump(c, f);
}

/* Every changed section but the two a reload applies waits. */
static void
note_restart(const char *name, void *arg)
{
	struct reload_plan *out = arg;

	if (strcmp(name, "[policy]") != 0 && strcmp(name, "[reference]") != 0)
		conf_diff_list_add(out->restart, sizeof(out->restart), name);
}

int
reload_plan(const struct pilot_conf *running, const struct pilot_conf *fresh,
            struct reload_plan *out)
{
	char *a = conf_diff_text(print, running);
	char *b = conf_diff_text(print, fresh);

	memset(out, 0, sizeof(*out));
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	out->policy = conf_diff_section(a, b, "[policy]", NULL);
	out->reference = conf_diff_section(a, b, "[reference]", NULL);
	conf_diff_each(a, b, note_restart, out);
	/* the dump hides secrets; a new password is still a change */
	if (strcmp(running->node.password, fresh->node.password) != 0)
		conf_diff_list_add(out->restart, sizeof(out->restart),
		                   "[node]");
	free(a);
	free(b);
	return 0;
}

void
reload_apply(struct pilot_conf *running, const struct pilot_conf *fresh,
             const struct reload_plan *plan)
{
	if (plan->policy)
		running->policy = fresh->policy;
	if (plan->reference)
		running->reference = fresh->reference;
}
