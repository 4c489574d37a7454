# SPDX-License-Identifier: GPL-2.0
# ternize and libternize.so (tools/ternize/), included by ../Makefile.
# ternize looks for the library beside itself, in ../lib/tern/ from
# itself, then in the TERNIZE_LIBDIR it was built with.
TERNIZE_DIR := tools/ternize
TERNIZE_LIBDIR := $(LIBDIR)/tern
USERSPACE_ALL += $(OUT)/ternize $(OUT)/libternize.so
USERSPACE_INSTALL += install-ternize
USERSPACE_INSTALLED += $(BINDIR)/ternize $(TERNIZE_LIBDIR)/libternize.so \
	$(MANDIR)/man8/ternize.8

$(OUT)/ternize: $(TERNIZE_DIR)/ternize.c | $(OUT)
	$(CC) $(TOOL_CFLAGS) -DTERNIZE_LIBDIR='"$(TERNIZE_LIBDIR)"' \
		$(LDFLAGS) -o $@ $<

# Preloaded into any program: only the wrappers are exported, and nothing
# but libc (and libdl, for older glibc) is needed.
$(OUT)/libternize.so: $(TERNIZE_DIR)/libternize.c $(UAPI)/linux/tern.h | $(OUT)
	$(CC) $(TOOL_CFLAGS) -fPIC -shared -fvisibility=hidden \
		-Wl,--no-undefined -Wl,-z,now $(LDFLAGS) -o $@ $< -ldl

install-ternize: $(OUT)/ternize $(OUT)/libternize.so
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(TERNIZE_LIBDIR) \
		$(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 $(OUT)/ternize $(DESTDIR)$(BINDIR)/ternize
	$(INSTALL) -m 0644 $(OUT)/libternize.so $(DESTDIR)$(TERNIZE_LIBDIR)/libternize.so
	$(INSTALL) -m 0644 $(TERNIZE_DIR)/ternize.8 $(DESTDIR)$(MANDIR)/man8/ternize.8

.PHONY: install-ternize
