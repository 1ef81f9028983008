/*
 * sextant: the operator's tool.  One table of subcommands; a new one is a
 * row here, a prototype in cli/cli.h and a file cli/NAME.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help; /* one line for `sextant --help` */
};

static const struct cli_cmd cmds[] = {
    {
        .name = "keygen",
        .fn = cli_keygen,
        .help = "create an Ed25519 identity: -o PATH [-C comment]",
    },
    {.name = "probe", .fn = cli_probe, .help = "probe a node once, print JSON"},
    {.name = "supervise",
     .fn = cli_supervise,
     .help = "run supervision verbs (state, restart, logs...) on a node"},
    {.name = "status", .fn = cli_status, .help = "the fleet as a table"},
    {.name = "events",
     .fn = cli_events,
     .help = "event history; --follow streams new ones"},
    {.name = "node", .fn = cli_node, .help = "one node in detail: NAME"},
    {.name = "groups",
     .fn = cli_groups,
     .help = "failover groups: lease epoch, holder, members"},
    {.name = "switchover",
     .fn = cli_switchover,
     .help = "move a group's signing lease: GROUP [--to NODE]"},
    {.name = "alert", .fn = cli_alert, .help = "alerts: test [CHANNEL] | list"},
    {.name = "silence",
     .fn = cli_silence,
     .help = "hold back alerts: add | list | rm ID"},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sextant COMMAND [options]\n"
	           "       sextant COMMAND --help\n"
	           "       sextant --help\n"
	           "\n"
	           "commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\noptions:\n"
	           "  -h, --help   show this help and exit\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sextant: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
