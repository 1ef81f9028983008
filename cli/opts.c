#include "cli/opts.h"

#include "cli/cli.h"

int
cli_opts_take(struct cli_opts *opts, int ch, const char *arg,
              void (*usage)(FILE *))
{
	switch (ch) {
	case CLI_OPT_JSON:
		opts->json = true;
		return CLI_OPTS_TAKEN;
	case CLI_OPT_API:
		opts->api_url = arg;
		return CLI_OPTS_TAKEN;
	case CLI_OPT_TOKEN_FILE:
		opts->token_file = arg;
		return CLI_OPTS_TAKEN;
	default:
		return cli_opts_usage(ch, usage);
	}
}

int
cli_opts_usage(int ch, void (*usage)(FILE *))
{
	if (ch == 'h') {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	usage(stderr);
	return CLI_EXIT_USAGE;
}
