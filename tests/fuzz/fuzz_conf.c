/* fuzz_conf: the INI loader over arbitrary bytes must never crash, hang or
 * leak, whatever the table. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

struct fz {
	char s[16];
	uint32_t u;
	uint64_t d;
	bool b;
	int e;
	char inst[4][16];
	uint32_t prio[4];
	size_t n;
};

static const char *const names[] = {"a", "bb", NULL};

static const struct conf_opt opts[] = {
    {.name = "s",
     .type = CONF_STR,
     .off = offsetof(struct fz, s),
     .size = 16,
     .def = "x"},
    {.name = "u",
     .type = CONF_U32,
     .off = offsetof(struct fz, u),
     .min = 1,
     .max = 99,
     .def = "5"},
    {.name = "d", .type = CONF_DURATION_MS, .off = offsetof(struct fz, d)},
    {.name = "b", .type = CONF_BOOL, .off = offsetof(struct fz, b)},
    {.name = "e",
     .type = CONF_ENUM,
     .off = offsetof(struct fz, e),
     .names = names},
    CONF_END};

static const struct conf_opt nopts[] = {
    {.name = "p", .type = CONF_U32, .off = 0, .def = "1"}, CONF_END};

static void *
nopen(void *cfg, const char *inst, char *err, size_t errlen)
{
	struct fz *f = cfg;

	if (f->n == 4) {
		strncpy(err, "full", errlen);
		return NULL;
	}
	strncpy(f->inst[f->n], inst, 15);
	return &f->prio[f->n++];
}

static const struct conf_section secs[] = {
    {.name = "m", .opts = opts},
    {.name = "n", .repeated = true, .opts = nopts, .open = nopen},
    CONF_SECTIONS_END};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;
	char err[256];
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&f, 0, sizeof(f));
	(void)conf_load_string("fuzz.ini", text, secs, &f, err, sizeof(err));
	free(text);
	return 0;
}
