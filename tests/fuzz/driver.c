/*
 * driver.c: runs a libFuzzer target without libFuzzer, so `make test`
 * exercises every fuzz target under the normal (and the asan) build.
 *
 * build/tests/fuzz_NAME [SEED_DIR_OR_FILE...]
 *
 * Feeds the target each seed in tests/fuzz/seeds/NAME/ (or the arguments),
 * then FUZZ_RUNS (default 20000) mutations of them drawn from a PRNG with a
 * fixed seed, so a failure reproduces.  A crash or abort in the target is
 * the failure; the driver prints one PASS line per phase.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define MAX_SEEDS        512
#define MAX_SEED_SIZE    (1 << 20)
#define DRIVER_MAX_INPUT (256 * 1024)

struct input {
	uint8_t *data;
	size_t len;
	char *name;
};

static struct input seeds[MAX_SEEDS];
static size_t nseeds;
static uint64_t rng = 0x5eed5eed5eed5eedULL;

static uint64_t
next(void)
{
	/* xorshift64*: deterministic, good enough to pick mutations */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static size_t
below(size_t n)
{
	return n == 0 ? 0 : (size_t)(next() % n);
}

static int
add_file(const char *path)
{
	struct input *in;
	FILE *f;
	long sz;

	if (nseeds == MAX_SEEDS)
		return 0;
	if ((f = fopen(path, "rb")) == NULL)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    sz > MAX_SEED_SIZE || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -EFBIG;
	}
	in = &seeds[nseeds];
	in->len = (size_t)sz;
	in->data = malloc(in->len ? in->len : 1);
	in->name = strdup(path);
	if (in->data == NULL || in->name == NULL ||
	    fread(in->data, 1, in->len, f) != in->len) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nseeds++;
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->name,
	              ((const struct input *)b)->name);
}

static int
add_path(const char *path)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	DIR *d;
	int rc = 0;

	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return add_file(path);
	if ((d = opendir(path)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL && rc == 0) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		                     de->d_name) >= sizeof(sub))
			continue;
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode))
			rc = add_file(sub);
	}
	closedir(d);
	return rc;
}

/* Run one input from a buffer of exactly its size, so that the sanitizers
 * see any read past the end. */
static void
run(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static const char *const tokens[] = {
    "\\u0000",
    "\\ud800",
    "1e999",
    "-1",
    "18446744073709551616",
    "9007199254740993",
    "null",
    "true",
    "[[[[[[[[[[",
    "{\"\":{}}",
    "\"\"",
    "\"v\":1",
    "\"v\":2",
    "0.5",
    "\xc3\x28",
    "\xff\xff\xff\xff",
    "SXTE\x01\x01\0\0",
    "SXTE\x01\x02\0\0",
};

static size_t
mutate(uint8_t *buf, size_t len, size_t cap)
{
	size_t n = 1 + below(8), i, at, l;

	for (i = 0; i < n; i++) {
		switch (below(9)) {
		case 0: /* flip a bit */
			if (len)
				buf[below(len)] ^= (uint8_t)(1u << below(8));
			break;
		case 1: /* random byte */
			if (len)
				buf[below(len)] = (uint8_t)next();
			break;
		case 2: /* an interesting byte */
			if (len)
				buf[below(len)] =
				    (uint8_t) "\0\xff\"{[]}\\,:09 -.e"[below(
				        17)];
			break;
		case 3: /* insert a byte */
			if (len < cap) {
				at = below(len + 1);
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (uint8_t)next();
				len++;
			}
			break;
		case 4: /* delete a range */
			if (len) {
				at = below(len);
				l = 1 + below(len - at);
				memmove(buf + at, buf + at + l, len - at - l);
				len -= l;
			}
			break;
		case 5: /* duplicate a range */
			if (len) {
				at = below(len);
				l = 1 + below(len - at);
				if (l > cap - len)
					l = cap - len;
				memmove(buf + at + l, buf + at, len - at);
				len += l;
			}
			break;
		case 6: /* truncate */
			len = below(len + 1);
			break;
		case 7: { /* splice in part of another seed */
			const struct input *o = &seeds[below(nseeds)];

			if (o->len) {
				size_t from = below(o->len);

				l = 1 + below(o->len - from);
				at = below(len + 1);
				if (at + l > cap)
					l = cap - at;
				memcpy(buf + at, o->data + from, l);
				if (at + l > len)
					len = at + l;
			}
			break;
		}
		case 8: { /* overwrite with a token */
			const char *t =
			    tokens[below(sizeof(tokens) / sizeof(tokens[0]))];

			l = strlen(t) ? strlen(t) : 1;
			if (t[0] == 'S')
				l = 8; /* the envelope prefixes hold NULs */
			at = below(len + 1);
			if (at + l > cap)
				break;
			memcpy(buf + at, t, l);
			if (at + l > len)
				len = at + l;
			break;
		}
		}
	}
	return len;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/'), *env;
	char name[256], dir[512];
	uint8_t *buf;
	long runs = 20000, i;
	size_t k;
	int rc;

	base = base ? base + 1 : argv[0];
	snprintf(name, sizeof(name), "%s",
	         strncmp(base, "fuzz_", 5) == 0 ? base + 5 : base);
	if ((env = getenv("FUZZ_RUNS")) != NULL)
		runs = strtol(env, NULL, 10);
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if ((rc = add_path(argv[i])) != 0)
				fprintf(stderr, "%s: %s\n", argv[i],
				        strerror(-rc));
	} else {
		snprintf(dir, sizeof(dir), "tests/fuzz/seeds/%s", name);
		if ((rc = add_path(dir)) != 0)
			fprintf(stderr,
			        "%s: %s (run from the top of the "
			        "tree)\n",
			        dir, strerror(-rc));
	}
	if (nseeds == 0) {
		printf("FAIL fuzz_%s_seeds: no seed inputs\n", name);
		return 1;
	}
	qsort(seeds, nseeds, sizeof(seeds[0]), cmp_name);

	run((const uint8_t *)"", 0);
	for (k = 0; k < nseeds; k++)
		run(seeds[k].data, seeds[k].len);
	printf("PASS fuzz_%s_seeds (%zu inputs)\n", name, nseeds);
	fflush(stdout);

	if ((buf = malloc(DRIVER_MAX_INPUT)) == NULL)
		return 1;
	for (i = 0; i < runs; i++) {
		const struct input *s = &seeds[below(nseeds)];
		size_t len =
		    s->len < DRIVER_MAX_INPUT ? s->len : DRIVER_MAX_INPUT;

		memcpy(buf, s->data, len);
		len = mutate(buf, len, DRIVER_MAX_INPUT);
		run(buf, len);
	}
	free(buf);
	printf("PASS fuzz_%s_mutations (%ld inputs, seed %#llx)\n", name, runs,
	       0x5eed5eed5eed5eedULL);
	for (k = 0; k < nseeds; k++) {
		free(seeds[k].data);
		free(seeds[k].name);
	}
	return 0;
}
