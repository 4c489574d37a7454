# SPDX-License-Identifier: GPL-2.0
# terncat, netcat for Tern (libtern), included by ../Makefile
USERSPACE_ALL += $(OUT)/terncat
USERSPACE_INSTALL += install-terncat
USERSPACE_INSTALLED += $(BINDIR)/terncat $(MANDIR)/man1/terncat.1

$(OUT)/terncat: tools/terncat.c lib/tern/tern.h $(LIBTERN_A) | $(OUT)
	$(CC) $(TOOL_CFLAGS) -Werror $(LDFLAGS) -o $@ $< $(LIBTERN_A)

install-terncat: $(OUT)/terncat
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 0755 $(OUT)/terncat $(DESTDIR)$(BINDIR)/terncat
	$(INSTALL) -m 0644 tools/terncat.1 $(DESTDIR)$(MANDIR)/man1/terncat.1

.PHONY: install-terncat
