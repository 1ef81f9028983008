/*
 * opts.h: the options the API subcommands (status, events, node, groups,
 * switchover, alert, silence) share: --api, --token-file, --json (where
 * the subcommand lists it) and -h/--help.  Such a subcommand ends its
 * getopt_long table with CLI_OPTS_LONGOPTS, handles its own options in its
 * switch and hands every other result to cli_opts_take:
 *
 *	default:
 *		rc = cli_opts_take(&opts, ch, optarg, usage);
 *		if (rc != CLI_OPTS_TAKEN)
 *			return rc;
 *
 * keygen, probe and supervise, which take no API options, end their
 * switch with cli_opts_usage alone.
 */
#ifndef SEXTANT_CLI_OPTS_H
#define SEXTANT_CLI_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/api_client.h"

struct cli_opts {
	const char *api_url;    /* --api; NULL: $SEXTANT_API or the default */
	const char *token_file; /* --token-file; NULL: $SEXTANT_TOKEN */
	bool json;              /* --json */
};

/* getopt_long values of the shared options; 'j' so that "j" in a short
 * option string makes -j mean --json too */
#define CLI_OPT_JSON       'j'
#define CLI_OPT_API        1001
#define CLI_OPT_TOKEN_FILE 1002

/*
 * The table's last rows, ending it.  --json, which not every subcommand
 * takes, is a row before them: {"json", no_argument, NULL, CLI_OPT_JSON}.
 */
/* clang-format off */
#define CLI_OPTS_LONGOPTS                                                \
	{"help", no_argument, NULL, 'h'},                                \
	{"api", required_argument, NULL, CLI_OPT_API},                   \
	{"token-file", required_argument, NULL, CLI_OPT_TOKEN_FILE},     \
	{NULL, 0, NULL, 0}
/* clang-format on */

/* The last lines of the usage text. */
#define CLI_OPTS_USAGE                                                         \
	"      --api URL[,URL]   the commander's API (default $SEXTANT_API "   \
	"or\n"                                                                 \
	"                        " CLI_API_DEFAULT "); with HA, every\n"       \
	"                        commander's: the leader is asked\n"           \
	"      --token-file FILE bearer token (mode 0600); default: the\n"     \
	"                        environment SEXTANT_TOKEN\n"                  \
	"  -h, --help            show this help and exit\n"

#define CLI_OPTS_TAKEN (-1)

/*
 * One getopt_long result ch (and arg, its optarg) that is not the
 * subcommand's own.  CLI_OPTS_TAKEN after recording --api, --token-file
 * or --json into *opts; otherwise what the subcommand exits with now, as
 * cli_opts_usage.
 */
int cli_opts_take(struct cli_opts *opts, int ch, const char *arg,
                  void (*usage)(FILE *));

/*
 * -h: usage on stdout, CLI_EXIT_OK.  Anything else (getopt's '?', after
 * it printed why): usage on stderr, CLI_EXIT_USAGE.
 */
int cli_opts_usage(int ch, void (*usage)(FILE *));

#endif
