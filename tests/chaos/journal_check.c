/*
 * journal_check: the judge of a chaos run.  Reads the signing journal that
 * every simnode of a run appends to (tests/simnode/sign.c: one line per
 * signature, "height round step address node wall_ms") and checks what
 * FAILOVER.md promises:
 *
 *   - no height signed twice by one validator address, whether by two
 *     nodes or twice by the same one (DOUBLE);
 *   - no signature below the validator's own high-water mark, in journal
 *     order: appends are serialised by flock(), so the order of the lines
 *     is the order of the signatures, except for a node frozen between
 *     deciding and appending, which its wall_ms shows (REGRESSION; at the
 *     mark it is a DOUBLE);
 *   - no signature at or below a watermark given by the test (BELOW);
 *   - with lease epochs (the 7th field): one node per epoch (SHARED), and
 *     no signature under an epoch older than one already signing
 *     (OVERLAP): the old lease must end before the new one starts;
 *   - no line it cannot read (MALFORMED): a line it skipped could hide a
 *     double sign.
 *
 * It also prints each node's first and last signature, the gaps in the
 * signed heights, and with --failed-at the time from the primary's failure
 * to the first signature of another node.  The last line is always
 *   SUMMARY result=ok|fail key=value ...
 * for scripts.  Exit 0 when every invariant holds, 1 when one does not, 2
 * on a usage or I/O error.  libc only.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 512      /* longer lines are malformed */
#define MAX_SIGS     50000000 /* a bound on what we hold in memory */
#define ADDR_MAX     64
#define NODE_MAX     64
#define MAX_RULES    4096
#define MAX_NODES    256
#define SHOW_MAX     20 /* violations and gaps printed in full */

struct sig {
	uint64_t height;
	uint64_t wall_ms;
	uint64_t epoch; /* lease epoch (7th field), if has_epoch */
	bool has_epoch;
	size_t line; /* 1-based line in the journal */
	int round, step;
	int node;  /* index into nodes[] */
	int vaddr; /* index into addrs[] */
};

/* "no signature at or below height (by node) (at or after since_ms)" */
struct rule {
	uint64_t height;
	uint64_t since_ms; /* 0: always */
	char node[NODE_MAX];
	char where[128]; /* file:line or the option, for the report */
};

struct nodeinfo {
	char name[NODE_MAX];
	size_t first, last; /* indexes into sigs[] */
	size_t count;
};

static struct sig *sigs;
static size_t nsigs, capsigs;
static struct nodeinfo nodes[MAX_NODES];
static int nnodes;
static char addrs[MAX_NODES][ADDR_MAX];
static int naddrs;
static struct rule rules[MAX_RULES];
static size_t nrules;
static bool quiet;

static void
usage(FILE *f)
{
	fputs("usage: journal_check [options] JOURNAL\n"
	      "  --watermark FILE       rules, one a line: HEIGHT [NODE|* "
	      "[SINCE_WALL_MS]]\n"
	      "                         no signature at or below HEIGHT (by "
	      "NODE, at or\n"
	      "                         after SINCE_WALL_MS); '#' comments\n"
	      "  --watermark-height H   the rule \"H\": nothing signed at or "
	      "below H\n"
	      "  --failed-at WALL_MS    the primary failed then: report the "
	      "time to the\n"
	      "                         first signature by another node\n"
	      "  --primary NODE         the primary (default: the node of "
	      "the first line)\n"
	      "  --expect-failover MS   fail unless another node signed "
	      "within MS of\n"
	      "                         --failed-at\n"
	      "  --expect-signing MS    fail if, after --failed-at, the "
	      "journal shows no\n"
	      "                         signature for longer than MS (a "
	      "liveness bound)\n"
	      "  --until WALL_MS        end of the observed window (for "
	      "--expect-signing)\n"
	      "  -q                     only violations and the SUMMARY "
	      "line\n"
	      "Exit 0: invariants hold; 1: a violation; 2: usage or I/O "
	      "error.\n",
	      f);
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* The next blank-separated field of *p, NUL-terminated in place. */
static char *
field(char **p)
{
	char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return NULL;
	e = s;
	while (*e != '\0' && *e != ' ' && *e != '\t')
		e++;
	if (*e != '\0')
		*e++ = '\0';
	*p = e;
	return s;
}

static int
intern(char (*names)[ADDR_MAX], int *n, const char *s)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	if (*n == MAX_NODES)
		return -1;
	snprintf(names[*n], ADDR_MAX, "%s", s);
	return (*n)++;
}

static int
node_index(const char *name)
{
	for (int i = 0; i < nnodes; i++)
		if (strcmp(nodes[i].name, name) == 0)
			return i;
	if (nnodes == MAX_NODES)
		return -1;
	snprintf(nodes[nnodes].name, NODE_MAX, "%s", name);
	nodes[nnodes].count = 0;
	return nnodes++;
}

static bool
is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F') ||
		      (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int
small_int(const char *s, int *out)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

/* One journal line (no newline).  NULL, or why it is malformed. */
static const char *
parse_line(char *text, size_t lineno)
{
	char *p = text, *f[6], *epoch;
	struct sig s;
	int n;

	for (n = 0; n < 6; n++)
		if ((f[n] = field(&p)) == NULL)
			return "fewer than 6 fields";
	/* A 7th field is the lease epoch; any later ones do not matter. */
	epoch = field(&p);
	memset(&s, 0, sizeof(s));
	s.line = lineno;
	if (epoch != NULL) {
		if (parse_u64(epoch, &s.epoch) < 0)
			return "lease epoch is not a decimal integer";
		s.has_epoch = true;
	}
	if (parse_u64(f[0], &s.height) < 0)
		return "height is not a decimal integer";
	if (small_int(f[1], &s.round) < 0)
		return "round is not a small integer";
	if (small_int(f[2], &s.step) < 0)
		return "step is not a small integer";
	if (strlen(f[3]) == 0 || strlen(f[3]) >= ADDR_MAX || !is_hex(f[3]))
		return "address is not 1-63 hex digits";
	if (strlen(f[4]) >= NODE_MAX)
		return "node name longer than 63 bytes";
	if (parse_u64(f[5], &s.wall_ms) < 0)
		return "wall_ms is not a decimal integer";
	for (char *c = f[3]; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	if ((s.vaddr = intern(addrs, &naddrs, f[3])) < 0)
		return "too many addresses";
	if ((s.node = node_index(f[4])) < 0)
		return "too many nodes";
	if (nsigs == MAX_SIGS)
		return "too many signatures";
	if (nsigs == capsigs) {
		size_t nc = capsigs ? capsigs * 2 : 1024;
		struct sig *ns = realloc(sigs, nc * sizeof(*ns));

		if (ns == NULL)
			return "out of memory";
		sigs = ns;
		capsigs = nc;
	}
	if (nodes[s.node].count++ == 0)
		nodes[s.node].first = nsigs;
	nodes[s.node].last = nsigs;
	sigs[nsigs++] = s;
	return NULL;
}

/* Returns the number of malformed lines, or -1 if the file cannot be
 * read. */
static long
read_journal(const char *path)
{
	FILE *f = fopen(path, "re");
	char buf[LINE_MAX_LEN + 2];
	size_t lineno = 0;
	long bad = 0;
	bool skipping = false;

	if (f == NULL) {
		fprintf(stderr, "journal_check: %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		size_t len = strlen(buf);
		bool whole = len > 0 && buf[len - 1] == '\n';
		const char *why;

		if (skipping) { /* the rest of an over-long line */
			skipping = !whole;
			continue;
		}
		lineno++;
		if (!whole && !feof(f)) {
			skipping = true;
			why = "longer than 512 bytes";
		} else if (!whole) {
			why = "no newline at the end (cut short?)";
		} else {
			buf[--len] = '\0';
			if (memchr(buf, '\0', len) != NULL)
				why = "NUL byte in the line";
			else
				why = parse_line(buf, lineno);
		}
		if (why != NULL) {
			bad++;
			if (bad <= SHOW_MAX)
				printf("MALFORMED %s:%zu: %s\n", path, lineno,
				       why);
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "journal_check: %s: read error\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return bad;
}

/* Rules: "HEIGHT [NODE|* [SINCE_WALL_MS]]".  0, or -1 after printing the
 * file, the line and the bad value. */
static int
read_rules(const char *path)
{
	FILE *f = fopen(path, "re");
	char buf[LINE_MAX_LEN + 2];
	size_t lineno = 0;

	if (f == NULL) {
		fprintf(stderr, "journal_check: --watermark %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		char *p = buf, *h, *node, *since, *extra, *hash;
		size_t len = strlen(buf);
		struct rule *r;

		lineno++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		else if (!feof(f)) {
			fprintf(stderr,
			        "journal_check: %s:%zu: line too long\n", path,
			        lineno);
			goto bad;
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		if ((h = field(&p)) == NULL)
			continue;
		node = field(&p);
		since = field(&p);
		extra = field(&p);
		if (nrules == MAX_RULES) {
			fprintf(stderr,
			        "journal_check: %s:%zu: over %d rules\n", path,
			        lineno, MAX_RULES);
			goto bad;
		}
		r = &rules[nrules];
		memset(r, 0, sizeof(*r));
		if (parse_u64(h, &r->height) < 0) {
			fprintf(stderr,
			        "journal_check: %s:%zu: height: expected a "
			        "decimal integer, got \"%s\"\n",
			        path, lineno, h);
			goto bad;
		}
		if (node != NULL && strcmp(node, "*") != 0) {
			if (strlen(node) >= NODE_MAX) {
				fprintf(stderr,
				        "journal_check: %s:%zu: node name "
				        "over 63 bytes\n",
				        path, lineno);
				goto bad;
			}
			snprintf(r->node, sizeof(r->node), "%s", node);
		}
		if (since != NULL && parse_u64(since, &r->since_ms) < 0) {
			fprintf(stderr,
			        "journal_check: %s:%zu: since: expected wall "
			        "ms, got \"%s\"\n",
			        path, lineno, since);
			goto bad;
		}
		if (extra != NULL) {
			fprintf(stderr,
			        "journal_check: %s:%zu: unexpected \"%s\" "
			        "(HEIGHT [NODE|* [SINCE_WALL_MS]])\n",
			        path, lineno, extra);
			goto bad;
		}
		snprintf(r->where, sizeof(r->where), "%.100s:%zu", path,
		         lineno);
		nrules++;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -1;
}

static int
cmp_addr_height(const void *a, const void *b)
{
	const struct sig *x = *(const struct sig *const *)a;
	const struct sig *y = *(const struct sig *const *)b;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	if (x->height != y->height)
		return x->height < y->height ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

struct result {
	long malformed;
	size_t doubles;      /* (address, height) pairs signed more than once */
	size_t regressions;  /* below the address's high-water mark */
	size_t late;         /* below it, but decided before it was set */
	size_t epoch_faults; /* an epoch shared, or an old one after a new */
	size_t below;        /* at or below a given watermark */
	size_t gaps, missing;
	bool failover_seen;
	uint64_t failover_ms;   /* failed-at -> other node's first sig */
	uint64_t primary_after; /* failed-at -> primary's last sig, or 0 */
	uint64_t max_silence;   /* longest time without a sig after failed */
	bool liveness_fail, failover_fail;
};

static void
check_doubles(struct sig **by, struct result *res)
{
	for (size_t i = 0; i < nsigs;) {
		size_t j = i + 1;

		while (j < nsigs && by[j]->vaddr == by[i]->vaddr &&
		       by[j]->height == by[i]->height)
			j++;
		if (j - i > 1) {
			res->doubles++;
			if (res->doubles <= SHOW_MAX) {
				printf("DOUBLE #%" PRIu64 " address %s:",
				       by[i]->height, addrs[by[i]->vaddr]);
				for (size_t k = i; k < j; k++)
					printf(" %s(line %zu, %" PRIu64 ")",
					       nodes[by[k]->node].name,
					       by[k]->line, by[k]->wall_ms);
				printf("\n");
			}
		}
		i = j;
	}
}

/*
 * A signature below the address's high-water mark is a regression when it
 * was decided (its wall_ms) no earlier than the signature that set the
 * mark.  One decided earlier and appended later (its node froze between
 * the two) is not: at the time it was made the mark was lower.
 */
static void
check_regressions(struct result *res)
{
	uint64_t high[MAX_NODES], high_wall[MAX_NODES];
	size_t high_line[MAX_NODES];
	bool seen[MAX_NODES] = {false};

	for (size_t i = 0; i < nsigs; i++) {
		const struct sig *s = &sigs[i];
		int a = s->vaddr;

		/* Equal heights are doubles, reported as such. */
		if (seen[a] && s->height < high[a] &&
		    s->wall_ms >= high_wall[a]) {
			res->regressions++;
			if (res->regressions <= SHOW_MAX)
				printf("REGRESSION #%" PRIu64
				       " by %s (line %zu, %" PRIu64
				       "): address %s had signed #%" PRIu64
				       " (line %zu, %" PRIu64 ")\n",
				       s->height, nodes[s->node].name, s->line,
				       s->wall_ms, addrs[a], high[a],
				       high_line[a], high_wall[a]);
			continue;
		}
		if (seen[a] && s->height < high[a]) {
			res->late++;
			if (!quiet && res->late <= SHOW_MAX)
				printf("late: #%" PRIu64 " by %s (line %zu) "
				       "decided at %" PRIu64
				       ", before #%" PRIu64 " (line %zu)\n",
				       s->height, nodes[s->node].name, s->line,
				       s->wall_ms, high[a], high_line[a]);
			continue;
		}
		if (seen[a] && s->height == high[a])
			continue;
		seen[a] = true;
		high[a] = s->height;
		high_wall[a] = s->wall_ms;
		high_line[a] = s->line;
	}
}

/*
 * With lease epochs in the journal: one epoch is one holder, so two nodes
 * signing under one epoch is a fault (SHARED), and so is a node signing
 * under an older epoch once a newer one has signed (OVERLAP): the old
 * lease had to be over before the new one was granted.  A line decided
 * before the newer epoch's first signature is only late, as above.
 */
#define MAX_EPOCHS 65536
struct epoch_seen {
	int vaddr, node;
	uint64_t epoch, first_wall;
	size_t first_line;
};

static void
check_epochs(struct result *res)
{
	static struct epoch_seen seen[MAX_EPOCHS];
	size_t nseen = 0;

	for (size_t i = 0; i < nsigs; i++) {
		const struct sig *s = &sigs[i];
		const struct epoch_seen *newer = NULL, *same = NULL;

		if (!s->has_epoch)
			continue;
		for (size_t k = 0; k < nseen; k++) {
			const struct epoch_seen *e = &seen[k];

			if (e->vaddr != s->vaddr)
				continue;
			if (e->epoch == s->epoch)
				same = e;
			else if (e->epoch > s->epoch &&
			         s->wall_ms >= e->first_wall &&
			         (newer == NULL || e->epoch > newer->epoch))
				newer = e;
		}
		if (same != NULL && same->node != s->node) {
			res->epoch_faults++;
			if (res->epoch_faults <= SHOW_MAX)
				printf("SHARED epoch %" PRIu64 ": #%" PRIu64
				       " by %s (line %zu), but "
				       "%s signed under it first (line %zu)\n",
				       s->epoch, s->height, nodes[s->node].name,
				       s->line, nodes[same->node].name,
				       same->first_line);
		} else if (newer != NULL) {
			res->epoch_faults++;
			if (res->epoch_faults <= SHOW_MAX)
				printf("OVERLAP #%" PRIu64 " by %s (line %zu, "
				       "%" PRIu64 ") under epoch %" PRIu64
				       ", after %s signed under epoch %" PRIu64
				       " (line %zu, %" PRIu64 ")\n",
				       s->height, nodes[s->node].name, s->line,
				       s->wall_ms, s->epoch,
				       nodes[newer->node].name, newer->epoch,
				       newer->first_line, newer->first_wall);
		}
		if (same == NULL && nseen < MAX_EPOCHS)
			seen[nseen++] = (struct epoch_seen){
			    .vaddr = s->vaddr,
			    .node = s->node,
			    .epoch = s->epoch,
			    .first_wall = s->wall_ms,
			    .first_line = s->line,
			};
	}
}

static void
check_rules(struct result *res)
{
	for (size_t i = 0; i < nsigs; i++) {
		const struct sig *s = &sigs[i];

		for (size_t k = 0; k < nrules; k++) {
			const struct rule *r = &rules[k];

			if (s->height > r->height ||
			    (r->node[0] != '\0' &&
			     strcmp(r->node, nodes[s->node].name) != 0) ||
			    s->wall_ms < r->since_ms)
				continue;
			res->below++;
			if (res->below <= SHOW_MAX)
				printf("BELOW #%" PRIu64
				       " by %s (line %zu, %" PRIu64
				       "): watermark %" PRIu64 " (%s)\n",
				       s->height, nodes[s->node].name, s->line,
				       s->wall_ms, r->height, r->where);
			break;
		}
	}
}

static void
report_gaps(struct sig **by, struct result *res)
{
	for (size_t i = 1; i < nsigs; i++) {
		const struct sig *a = by[i - 1], *b = by[i];

		if (a->vaddr != b->vaddr || b->height <= a->height + 1)
			continue;
		res->gaps++;
		res->missing += b->height - a->height - 1;
		if (!quiet && res->gaps <= SHOW_MAX)
			printf("gap: #%" PRIu64 "..#%" PRIu64
			       " unsigned (%" PRIu64 " heights), #%" PRIu64
			       " by %s -> #%" PRIu64 " by %s, %" PRId64 " ms\n",
			       a->height + 1, b->height - 1,
			       b->height - a->height - 1, a->height,
			       nodes[a->node].name, b->height,
			       nodes[b->node].name,
			       (int64_t)(b->wall_ms - a->wall_ms));
	}
	if (!quiet && res->gaps > SHOW_MAX)
		printf("gap: ... %zu more\n", res->gaps - SHOW_MAX);
}

static void
measure_failover(const char *primary, uint64_t failed_at, uint64_t until,
                 struct result *res)
{
	uint64_t last = failed_at;

	for (size_t i = 0; i < nsigs; i++) {
		const struct sig *s = &sigs[i];
		bool is_primary = strcmp(nodes[s->node].name, primary) == 0;

		if (s->wall_ms < failed_at)
			continue;
		if (s->wall_ms > last && s->wall_ms - last > res->max_silence)
			res->max_silence = s->wall_ms - last;
		if (s->wall_ms > last)
			last = s->wall_ms;
		if (is_primary)
			res->primary_after = s->wall_ms - failed_at;
		else if (!res->failover_seen) {
			res->failover_seen = true;
			res->failover_ms = s->wall_ms - failed_at;
			if (!quiet)
				printf("failover: %s failed at %" PRIu64
				       "; first signature by %s at %" PRIu64
				       " (#%" PRIu64 ", line %zu): %" PRIu64
				       " ms\n",
				       primary, failed_at, nodes[s->node].name,
				       s->wall_ms, s->height, s->line,
				       res->failover_ms);
		}
	}
	if (until > last && until - last > res->max_silence)
		res->max_silence = until - last;
	if (!quiet && !res->failover_seen)
		printf("failover: %s failed at %" PRIu64
		       "; no other node signed after it\n",
		       primary, failed_at);
}

int
main(int argc, char **argv)
{
	const char *journal = NULL, *primary = NULL;
	uint64_t failed_at = 0, expect_failover = 0, expect_signing = 0;
	uint64_t until = 0;
	bool have_failed = false;
	struct result res;
	struct sig **by = NULL;
	bool ok;

	memset(&res, 0, sizeof(res));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t *num = NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "-q") == 0) {
			quiet = true;
			continue;
		}
		if (a[0] != '-') {
			if (journal != NULL) {
				fprintf(stderr,
				        "journal_check: one journal only, "
				        "got \"%s\" too\n",
				        a);
				return 2;
			}
			journal = a;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "journal_check: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--watermark") == 0) {
			if (read_rules(v) < 0)
				return 2;
		} else if (strcmp(a, "--watermark-height") == 0) {
			if (nrules == MAX_RULES)
				return 2;
			memset(&rules[nrules], 0, sizeof(rules[0]));
			snprintf(rules[nrules].where,
			         sizeof(rules[nrules].where),
			         "--watermark-height");
			num = &rules[nrules++].height;
		} else if (strcmp(a, "--failed-at") == 0) {
			num = &failed_at;
			have_failed = true;
		} else if (strcmp(a, "--primary") == 0) {
			primary = v;
		} else if (strcmp(a, "--expect-failover") == 0) {
			num = &expect_failover;
		} else if (strcmp(a, "--expect-signing") == 0) {
			num = &expect_signing;
		} else if (strcmp(a, "--until") == 0) {
			num = &until;
		} else {
			fprintf(stderr,
			        "journal_check: unknown option \"%s\" (see "
			        "--help)\n",
			        a);
			return 2;
		}
		if (num != NULL && parse_u64(v, num) < 0) {
			fprintf(stderr,
			        "journal_check: %s: expected a decimal "
			        "integer, got \"%s\"\n",
			        a, v);
			return 2;
		}
	}
	if (journal == NULL) {
		usage(stderr);
		return 2;
	}
	if ((expect_failover || expect_signing) && !have_failed) {
		fprintf(stderr, "journal_check: --expect-failover and "
		                "--expect-signing need --failed-at\n");
		return 2;
	}
	if ((res.malformed = read_journal(journal)) < 0)
		return 2;

	if (nsigs > 0 && (by = malloc(nsigs * sizeof(*by))) == NULL) {
		fprintf(stderr, "journal_check: out of memory\n");
		return 2;
	}
	for (size_t i = 0; i < nsigs; i++)
		by[i] = &sigs[i];
	if (nsigs > 0)
		qsort(by, nsigs, sizeof(*by), cmp_addr_height);

	check_doubles(by, &res);
	check_regressions(&res);
	check_epochs(&res);
	check_rules(&res);

	if (!quiet) {
		printf("journal %s: %zu signatures, %d node(s), %d "
		       "address(es)\n",
		       journal, nsigs, nnodes, naddrs);
		for (int i = 0; i < nnodes; i++) {
			const struct sig *f = &sigs[nodes[i].first];
			const struct sig *l = &sigs[nodes[i].last];

			printf("node %s: %zu signatures, first #%" PRIu64
			       " at %" PRIu64 " (line %zu), last #%" PRIu64
			       " at %" PRIu64 " (line %zu)\n",
			       nodes[i].name, nodes[i].count, f->height,
			       f->wall_ms, f->line, l->height, l->wall_ms,
			       l->line);
		}
	}
	report_gaps(by, &res);

	if (have_failed) {
		if (primary == NULL)
			primary = nsigs > 0 ? nodes[sigs[0].node].name : "";
		measure_failover(primary, failed_at, until, &res);
		if (expect_failover &&
		    (!res.failover_seen || res.failover_ms > expect_failover)) {
			res.failover_fail = true;
			printf("LATE failover: expected another node to sign "
			       "within %" PRIu64 " ms of %" PRIu64 "\n",
			       expect_failover, failed_at);
		}
		if (expect_signing && res.max_silence > expect_signing) {
			res.liveness_fail = true;
			printf("SILENT %" PRIu64 " ms without a signature "
			       "after %" PRIu64 " (bound %" PRIu64 " ms)\n",
			       res.max_silence, failed_at, expect_signing);
		}
	}

	ok = res.malformed == 0 && res.doubles == 0 && res.regressions == 0 &&
	     res.epoch_faults == 0 && res.below == 0 && !res.failover_fail &&
	     !res.liveness_fail;
	printf("SUMMARY result=%s signatures=%zu nodes=%d addresses=%d "
	       "double_signs=%zu regressions=%zu below_watermark=%zu "
	       "epoch_faults=%zu malformed=%ld gaps=%zu missing=%zu late=%zu",
	       ok ? "ok" : "fail", nsigs, nnodes, naddrs, res.doubles,
	       res.regressions, res.below, res.epoch_faults, res.malformed,
	       res.gaps, res.missing, res.late);
	if (have_failed) {
		if (res.failover_seen)
			printf(" failover_ms=%" PRIu64, res.failover_ms);
		else
			printf(" failover_ms=none");
		printf(" primary_after_ms=%" PRIu64 " max_silence_ms=%" PRIu64,
		       res.primary_after, res.max_silence);
	}
	for (int i = 0; i < nnodes; i++)
		printf(" first_%s=%" PRIu64, nodes[i].name,
		       sigs[nodes[i].first].wall_ms);
	printf("\n");
	free(by);
	free(sigs);
	return ok ? 0 : 1;
}
