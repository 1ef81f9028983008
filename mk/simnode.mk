# mk/simnode.mk: simnode's unit tests.  tests/unit/simnode_*_test.c test
# simnode's own parsers, so they link the simnode sources (all but main.c)
# instead of the sextant libraries; these explicit rules take precedence
# over the generic $(B)/tests/% pattern rule.
SIMNODE_LIB_OBJ := $(call obj,$(filter-out tests/simnode/main.c,$(SIMNODE_SRC)))
SIMNODE_UNITS   := $(patsubst tests/unit/%.c,$(B)/tests/%,\
	$(wildcard tests/unit/simnode_*_test.c))

$(SIMNODE_UNITS): $(B)/tests/%: $(B)/obj/tests/unit/%.o $(SIMNODE_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lm
