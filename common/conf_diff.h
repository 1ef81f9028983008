/*
 * conf_diff.h: what changed between two loaded configurations, for a
 * SIGHUP reload.  Both daemons compare the normalized dumps (conf_dump,
 * as -nv prints them) section by section, so two spellings of one value
 * ("60s", "1m") are no change and an option added to any section is
 * caught without a list to keep up to date.  The dump hides secrets:
 * callers compare those by value on the side.
 */
#ifndef SEXTANT_CONF_DIFF_H
#define SEXTANT_CONF_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The dump print(cfg, f) writes, as a string the caller frees; NULL when
 * out of memory.  cfg is borrowed. */
char *conf_diff_text(void (*print)(const void *cfg, FILE *f), const void *cfg);

/*
 * Does section name ("[api]", "[channel hook]") differ between dumps a and
 * b?  A section in one dump only differs.  Lines that start with skip
 * (NULL: none) are left out of the comparison.
 */
bool conf_diff_section(const char *a, const char *b, const char *name,
                       const char *skip);

/* Call fn(name, arg) once for each section header in a or b whose text
 * differs (names as "[api]"); a header longer than 127 bytes is skipped. */
void conf_diff_each(const char *a, const char *b,
                    void (*fn)(const char *name, void *arg), void *arg);

/* Append item to list, a space-separated list of cap bytes, unless it is
 * there already; a list that is full ends in "...". */
void conf_diff_list_add(char *list, size_t cap, const char *item);

#endif
