# mk/dashboard.mk: embed commander/dashboard.html into the commander.
# The page becomes a C array (od + sed: no xxd needed) compiled into
# libsxcommander.a, so editing the page rebuilds the array, the library and
# every program linking it.

DASHBOARD_HTML := commander/dashboard.html
DASHBOARD_C    := $(B)/gen/dashboard_html.c
DASHBOARD_O    := $(B)/obj/gen/dashboard_html.o

$(DASHBOARD_C): $(DASHBOARD_HTML) mk/dashboard.mk
	@mkdir -p $(@D)
	{ echo '/* generated from $(DASHBOARD_HTML) by mk/dashboard.mk */'; \
	  echo '#include <stddef.h>'; \
	  echo 'const unsigned char api_dashboard_html[] = {'; \
	  od -An -v -tx1 $(DASHBOARD_HTML) | \
	    sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' -e '/^$$/d'; \
	  echo '0x00 };'; \
	  echo 'const size_t api_dashboard_html_len ='; \
	  echo '    sizeof(api_dashboard_html) - 1;'; \
	} > $@.tmp && mv $@.tmp $@

$(DASHBOARD_O): $(DASHBOARD_C)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# An extra prerequisite of the library lands in its `ar rcs $@ $^`.
$(LIBCOMMANDER): $(DASHBOARD_O)

# The libFuzzer build (mk/fuzz.mk) archives every library source into its
# own library; the page goes in there too, or targets reaching api.c would
# not link.
FUZZ_B ?= build-fuzz
ifneq ($(B),$(FUZZ_B))
$(FUZZ_B)/obj/gen/dashboard_html.o: $(DASHBOARD_C)
	@mkdir -p $(@D)
	$(FUZZ_CC) -c -o $@ $<
$(FUZZ_B)/libsxfuzz.a: $(FUZZ_B)/obj/gen/dashboard_html.o
endif
