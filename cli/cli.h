/*
 * cli.h: the subcommands of `sextant`.  Each lives in cli/NAME.c and is one
 * row of the table in cli/main.c.  A subcommand gets argv with argv[0] set
 * to its own name, parses its flags with getopt, and returns the exit
 * status: 0 success, 1 failure, 2 usage error.
 */
#ifndef SEXTANT_CLI_H
#define SEXTANT_CLI_H

#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1
#define CLI_EXIT_USAGE 2

/* cli/keygen.c */
int cli_keygen(int argc, char **argv);
/* cli/probe.c */
int cli_probe(int argc, char **argv);
/* cli/supervise.c */
int cli_supervise(int argc, char **argv);
/* cli/status.c, cli/events.c, cli/node.c (the commander's API) */
int cli_status(int argc, char **argv);
int cli_events(int argc, char **argv);
int cli_node(int argc, char **argv);
/* cli/groups.c, cli/switchover.c (failover), cli/alert.c, cli/silence.c */
int cli_groups(int argc, char **argv);
int cli_switchover(int argc, char **argv);
int cli_alert(int argc, char **argv);
int cli_silence(int argc, char **argv);

#endif
