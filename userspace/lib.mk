# SPDX-License-Identifier: GPL-2.0
# libtern (lib/ has its own Makefile), included by Makefile. The tools
# link $(LIBTERN_A) (no run-time dependency on the installed library).
LIBTERN_OUT := $(OUT)/lib
LIBTERN_A := $(LIBTERN_OUT)/libtern.a
LIBTERN_MANS := $(notdir $(wildcard lib/man/*.3))
USERSPACE_ALL += libtern
USERSPACE_INSTALL += install-libtern
USERSPACE_INSTALLED += $(LIBDIR)/libtern.so.1.0.0 $(LIBDIR)/libtern.so.1 \
	$(LIBDIR)/libtern.so $(LIBDIR)/libtern.a \
	$(PREFIX)/include/tern/tern.h $(PREFIX)/include/linux/tern.h \
	$(LIBDIR)/pkgconfig/libtern.pc \
	$(addprefix $(MANDIR)/man3/,$(LIBTERN_MANS))

libtern:
	@$(MAKE) -s -C lib OUT=$(LIBTERN_OUT) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR)

$(LIBTERN_A): libtern

test:
	@$(MAKE) -s -C lib OUT=$(LIBTERN_OUT) test

install-libtern: libtern
	@$(MAKE) -s -C lib OUT=$(LIBTERN_OUT) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
		MANDIR=$(MANDIR) install

.PHONY: libtern test install-libtern
