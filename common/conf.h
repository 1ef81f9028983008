/*
 * conf.h: INI configuration through inih, driven by option tables.
 *
 * A daemon describes its config as tables of struct conf_opt (name, type,
 * bounds, default, offset into its config struct) grouped in conf_section
 * rows.  conf_load() parses a file into a fresh struct: defaults first, then
 * the file, then environment overrides (for secrets).  Every error names the
 * file, the line and quotes the bad value:
 *     pilot.ini:12: check_interval: not a duration '6O'
 * The daemon then validates the whole struct in its own finish step and only
 * then swaps it in (never a partial config).  conf_dump() prints the
 * normalized config for `-nv`; secrets print as "(secret)".
 *
 * Sections: a singleton section is "[name]"; a repeated section is
 * "[kind NAME]" (e.g. "[node val1]"): its open() callback returns where that
 * instance's fields live.
 */
#ifndef SEXTANT_CONF_H
#define SEXTANT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum conf_type {
	CONF_STR,         /* char[size]; too long is an error, not truncated */
	CONF_U32,         /* uint32_t in [min, max] */
	CONF_U64,         /* uint64_t in [min, max] */
	CONF_DURATION_MS, /* uint64_t ms from "250ms", "5s", "2m", "1h", "60" */
	CONF_BOOL,        /* bool */
	CONF_ENUM,        /* int, index into names[] */
	CONF_CUSTOM,      /* parse() decides; may be repeated (lists) */
};

struct conf_opt {
	const char *name;
	enum conf_type type;
	size_t off;  /* offsetof() into the section's struct */
	size_t size; /* CONF_STR: sizeof the char array */
	uint64_t min, max;
	const char *def;          /* default, as text; NULL: none (zero) */
	const char *env;          /* environment variable overriding it */
	bool secret;              /* never printed or logged */
	bool multi;               /* may appear more than once (CUSTOM) */
	const char *const *names; /* CONF_ENUM: NULL-terminated */
	/* CONF_CUSTOM: parse val into field; 0 or -1 with err filled */
	int (*parse)(void *field, const char *val, char *err, size_t errlen);
	/* CONF_CUSTOM, for conf_dump: print the field's value */
	void (*print)(const void *field, FILE *f);
	const char *help; /* one line, for docs and -nv comments */
};
#define CONF_END                                                               \
	{                                                                      \
		.name = NULL                                                   \
	}

struct conf_section {
	const char *name; /* "pilot", or the kind: "node" */
	bool repeated;    /* "[name INSTANCE]" */
	const struct conf_opt *opts;
	/*
	 * Repeated sections: make room for instance `inst` in cfg and return
	 * a pointer to its struct (its fields at opts[].off), or NULL with
	 * err set (e.g. a duplicate name or too many).  Singletons: NULL
	 * open means opts are offsets into cfg itself; otherwise open returns
	 * the sub-struct (inst is NULL).
	 */
	void *(*open)(void *cfg, const char *inst, char *err, size_t errlen);
	/* Repeated sections, for conf_dump: how many, and instance i. */
	size_t (*count)(const void *cfg);
	void *(*get)(const void *cfg, size_t i, const char **inst);
};
#define CONF_SECTIONS_END                                                      \
	{                                                                      \
		.name = NULL                                                   \
	}

/*
 * Parse path into cfg (caller zeroed it).  0, or -1 with err holding
 * "path:line: message 'value'".  Unknown sections and keys are errors, so
 * a typo never silently keeps a default.
 */
int conf_load(const char *path, const struct conf_section *sections, void *cfg,
              char *err, size_t errlen);
/* Same, from a string (tests, fuzzing); name is used in messages. */
int conf_load_string(const char *name, const char *text,
                     const struct conf_section *sections, void *cfg, char *err,
                     size_t errlen);

/* Print the normalized config, one "key = value" per line, sections in
 * table order.  Secrets print as "(secret)". */
void conf_dump(const struct conf_section *sections, const void *cfg, FILE *f);

#endif
