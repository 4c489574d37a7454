# SPDX-License-Identifier: GPL-2.0
# ternperf, the benchmark (Tern, TCP, SCTP), included by ../Makefile
USERSPACE_ALL += $(OUT)/ternperf
USERSPACE_INSTALL += install-ternperf
USERSPACE_INSTALLED += $(BINDIR)/ternperf $(MANDIR)/man1/ternperf.1

$(OUT)/ternperf: tools/ternperf.c lib/tern/tern.h $(LIBTERN_A) | $(OUT)
	$(CC) $(TOOL_CFLAGS) -Werror -pthread $(LDFLAGS) -o $@ $< $(LIBTERN_A) -lm

install-ternperf: $(OUT)/ternperf
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 0755 $(OUT)/ternperf $(DESTDIR)$(BINDIR)/ternperf
	$(INSTALL) -m 0644 tools/ternperf.1 $(DESTDIR)$(MANDIR)/man1/ternperf.1

.PHONY: install-ternperf

# its host test: TCP (and SCTP where the kernel has it) over loopback,
# Tern failing cleanly where no module is loaded (make lint runs it)
test-ternperf: $(OUT)/ternperf
	@tools/ternperf-test.sh $(OUT)/ternperf

.PHONY: test-ternperf
