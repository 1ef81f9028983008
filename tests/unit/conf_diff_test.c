/*
 * conf_diff_test: the section comparison both daemons' SIGHUP reloads
 * rest on: a section in one dump only, a header that is a prefix of
 * another, lines left out by prefix, each changed header reported once,
 * and a full list ending in "...".
 */
#include <stdlib.h>

#include "common/conf_diff.h"
#include "tests/test.h"

static const char A[] = "[commander]\nlisten = tcp://127.0.0.1:7400\n"
                        "[api]\nlisten = http://127.0.0.1:7401\nrate = 10\n"
                        "[channel a]\nurl = (secret)\n"
                        "[channel ab]\nmin = info\n";

static void
test_section(void)
{
	static const struct {
		const char *what, *b, *name, *skip;
		bool differs;
	} rows[] = {
	    {"same text", A, "[api]", NULL, false},
	    {"a value changed",
	     "[commander]\nlisten = tcp://127.0.0.1:7400\n"
	     "[api]\nlisten = http://127.0.0.1:7401\nrate = 11\n",
	     "[api]", NULL, true},
	    {"only the skipped line changed",
	     "[api]\nlisten = http://127.0.0.1:9999\nrate = 10\n", "[api]",
	     "listen = ", false},
	    {"skipped line gone, the rest the same", "[api]\nrate = 10\n",
	     "[api]", "listen = ", false},
	    {"a line added after a skipped one",
	     "[api]\nlisten = x\nrate = 10\nburst = 2\n", "[api]",
	     "listen = ", true},
	    {"section only in a", "[commander]\n", "[api]", NULL, true},
	    {"section in neither", A, "[ha]", NULL, false},
	    /* "[channel a]" must not match the header "[channel ab]" */
	    {"a header that prefixes another",
	     "[channel ab]\nmin = info\n[channel a]\nurl = (secret)\n",
	     "[channel a]", NULL, false},
	    {"no final newline",
	     "[api]\nlisten = http://127.0.0.1:7401\nrate = 10", "[api]", NULL,
	     true},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool d =
		    conf_diff_section(A, rows[i].b, rows[i].name, rows[i].skip);
		bool r =
		    conf_diff_section(rows[i].b, A, rows[i].name, rows[i].skip);

		CHECKF(d == rows[i].differs && r == d, "%s: %d/%d, want %d",
		       rows[i].what, d, r, rows[i].differs);
	}
}

static void
collect(const char *name, void *arg)
{
	conf_diff_list_add(arg, 256, name);
}

static void
test_each(void)
{
	char list[256] = "";
	static const char B[] = "[commander]\nlisten = tcp://127.0.0.1:7400\n"
	                        "[api]\nlisten = http://127.0.0.1:7401\n"
	                        "rate = 12\n"
	                        "[channel ab]\nmin = warning\n"
	                        "[ha]\nid = c1\n";

	conf_diff_each(A, B, collect, list);
	/* [channel a] gone, [ha] new, two changed; [commander] the same */
	CHECKF(strcmp(list, "[api] [channel a] [channel ab] [ha]") == 0, "'%s'",
	       list);
	list[0] = '\0';
	conf_diff_each(A, A, collect, list);
	CHECKF(list[0] == '\0', "'%s'", list);
}

static void
test_list_full(void)
{
	char list[24] = "";

	conf_diff_list_add(list, sizeof(list), "[node]");
	conf_diff_list_add(list, sizeof(list), "[node]");
	CHECKF(strcmp(list, "[node]") == 0, "'%s'", list);
	/* "[node v1]" contains "[node" but is another item */
	conf_diff_list_add(list, sizeof(list), "[node v1]");
	CHECKF(strcmp(list, "[node] [node v1]") == 0, "'%s'", list);
	conf_diff_list_add(list, sizeof(list), "[commander]");
	conf_diff_list_add(list, sizeof(list), "[ha]");
	CHECKF(strcmp(list, "[node] [node v1] ...") == 0, "'%s'", list);
	CHECK(strlen(list) < sizeof(list));
}

static void
print_text(const void *cfg, FILE *f)
{
	fputs(cfg, f);
}

static void
test_text(void)
{
	char *t = conf_diff_text(print_text, A);

	CHECK(t != NULL && strcmp(t, A) == 0);
	free(t);
}

int
main(void)
{
	RUN(test_section);
	RUN(test_each);
	RUN(test_list_full);
	RUN(test_text);
	return TEST_END();
}
