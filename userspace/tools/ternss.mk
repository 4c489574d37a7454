# SPDX-License-Identifier: GPL-2.0
# ternss, ss for Tern over sock_diag (libmnl, libtern), included by ../Makefile
MNL_CFLAGS := $(shell pkg-config --cflags libmnl)
MNL_LIBS := $(shell pkg-config --libs libmnl)
USERSPACE_ALL += $(OUT)/ternss
USERSPACE_INSTALL += install-ternss
USERSPACE_INSTALLED += $(BINDIR)/ternss $(MANDIR)/man8/ternss.8

$(OUT)/ternss: tools/ternss.c tools/ternss_filter.c tools/ternss_filter.h \
		lib/tern/tern.h $(UAPI)/linux/tern.h $(LIBTERN_A) | $(OUT)
	$(CC) $(TOOL_CFLAGS) $(MNL_CFLAGS) $(LDFLAGS) -o $@ tools/ternss.c \
		tools/ternss_filter.c $(LIBTERN_A) $(MNL_LIBS)

# The filter compiler's unit test, on the host (make lint runs it): the
# bytecode through a model of the kernel's audit and run.
$(OUT)/ternss_filter_test: tools/ternss_filter_test.c tools/ternss_filter.c \
		tools/ternss_filter.h | $(OUT)
	$(CC) $(TOOL_CFLAGS) $(LDFLAGS) -o $@ tools/ternss_filter_test.c \
		tools/ternss_filter.c

test-ternss: $(OUT)/ternss_filter_test
	$(OUT)/ternss_filter_test

install-ternss: $(OUT)/ternss
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 $(OUT)/ternss $(DESTDIR)$(BINDIR)/ternss
	$(INSTALL) -m 0644 tools/ternss.8 $(DESTDIR)$(MANDIR)/man8/ternss.8

.PHONY: install-ternss test-ternss
