/*
 * sextant keygen: write a new Ed25519 identity, the secret to PATH (0600)
 * and the public line to PATH.pub, and print the public line so it can be
 * pasted into the commander's authorized_pilots or a pilot's config.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "common/keys.h"

static void
usage(FILE *f)
{
	fprintf(
	    f, "usage: sextant keygen -o PATH [-C COMMENT]\n"
	       "\n"
	       "Create an Ed25519 identity for a pilot or a commander.\n"
	       "Writes the secret seed to PATH (mode 0600) and the public key\n"
	       "to PATH.pub as one line 'sextant-ed25519 BASE64 COMMENT', and\n"
	       "prints that line.  Existing files are never overwritten.\n"
	       "\n"
	       "options:\n"
	       "  -o, --output PATH      where to write the secret key "
	       "(required)\n"
	       "  -C, --comment COMMENT  comment on the public line; in the\n"
	       "                         commander's authorized_pilots it is "
	       "the\n"
	       "                         pilot's node name (default: this "
	       "host's\n"
	       "                         short name)\n"
	       "  -h, --help             show this help and exit\n");
}

int
cli_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"comment", required_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char host[HOST_NAME_MAX + 1], line[KEYS_PUB_LINE_MAX];
	const char *path = NULL, *comment = NULL;
	struct keys_identity id;
	int c, rc;

	optind = 0; /* glibc: restart scanning for this argv */
	while ((c = getopt_long(argc, argv, "o:C:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 'C':
			comment = optarg;
			break;
		default: /* -h, or getopt's '?' */
			return cli_opts_usage(c, usage);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sextant keygen: unexpected argument '%s'\n",
		        argv[optind]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (path == NULL || path[0] == '\0') {
		fprintf(stderr, "sextant keygen: -o PATH is required\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (comment == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, ".")] = '\0';
		comment = host;
	}
	if (keys_generate(&id) != 0) {
		fprintf(stderr, "sextant keygen: libsodium failed to "
		                "initialise\n");
		return CLI_EXIT_FAIL;
	}
	rc = keys_write(path, &id, comment);
	if (rc == 0)
		keys_format_public(id.pk, comment, line, sizeof(line));
	keys_wipe(&id);
	switch (rc) {
	case 0:
		break;
	case -EEXIST:
		fprintf(stderr,
		        "sextant keygen: %s%s already exists; refusing to "
		        "overwrite a key\n",
		        path, access(path, F_OK) == 0 ? "" : ".pub");
		return CLI_EXIT_FAIL;
	case -EINVAL:
		fprintf(stderr,
		        "sextant keygen: comment '%s' has a control "
		        "character\n",
		        comment);
		return CLI_EXIT_FAIL;
	case -ENAMETOOLONG:
		fprintf(stderr,
		        "sextant keygen: %s: path or comment too long\n", path);
		return CLI_EXIT_FAIL;
	default:
		fprintf(stderr, "sextant keygen: %s: %s\n", path,
		        strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	fprintf(stderr,
	        "sextant keygen: wrote %s (secret, mode 0600) and "
	        "%s.pub\n",
	        path, path);
	printf("%s\n", line);
	return CLI_EXIT_OK;
}
