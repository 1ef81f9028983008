# mk/probe.mk: `sextant probe` (cli/probe.c) runs the pilot's probes, so the
# CLI also links the pilot library.  It comes after libsxcommon on the
# command line, hence libsxcommon again after it.
$(B)/sextant: $(LIBPILOT)
$(B)/sextant: LDLIBS := $(LIBPILOT) $(LIBCOMMON) $(LDLIBS)
