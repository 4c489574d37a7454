# SPDX-License-Identifier: GPL-2.0
# ternss, ss for Tern over sock_diag (libmnl, libtern), included by ../Makefile
MNL_CFLAGS := $(shell pkg-config --cflags libmnl)
MNL_LIBS := $(shell pkg-config --libs libmnl)
USERSPACE_ALL += $(OUT)/ternss
USERSPACE_INSTALL += install-ternss
USERSPACE_INSTALLED += $(BINDIR)/ternss $(MANDIR)/man8/ternss.8

$(OUT)/ternss: tools/ternss.c lib/tern/tern.h $(UAPI)/linux/tern.h $(LIBTERN_A) | $(OUT)
	$(CC) $(TOOL_CFLAGS) $(MNL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBTERN_A) $(MNL_LIBS)

install-ternss: $(OUT)/ternss
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 $(OUT)/ternss $(DESTDIR)$(BINDIR)/ternss
	$(INSTALL) -m 0644 tools/ternss.8 $(DESTDIR)$(MANDIR)/man8/ternss.8

.PHONY: install-ternss
