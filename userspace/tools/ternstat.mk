# SPDX-License-Identifier: GPL-2.0
# ternstat (a shell script: checked, not built), included by ../Makefile
USERSPACE_ALL += ternstat-check
USERSPACE_INSTALL += install-ternstat
USERSPACE_INSTALLED += $(BINDIR)/ternstat $(MANDIR)/man8/ternstat.8

ternstat-check:
	@bash -n tools/ternstat

install-ternstat: ternstat-check
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 tools/ternstat $(DESTDIR)$(BINDIR)/ternstat
	$(INSTALL) -m 0644 tools/ternstat.8 $(DESTDIR)$(MANDIR)/man8/ternstat.8

.PHONY: ternstat-check install-ternstat
