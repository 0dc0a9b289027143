# Builds libkpaudit and installs it where C programs find it with pkg-config.
#
#   make                       release build; target/release/libkpaudit.so.1 for in-tree linking
#   make install               PREFIX=/usr/local, DESTDIR= (staging), LIBS="shared static"
#   make uninstall
#
# Installed: lib/libkpaudit.so.$(ABI).$(VERSION) with the links libkpaudit.so.$(ABI)
# (the SONAME) and libkpaudit.so, lib/libkpaudit.a, include/kpaudit.h and
# lib/pkgconfig/kpaudit.pc. LIBS=static installs the static library alone, for
# `pkg-config --static` builds; LIBS=shared the shared one alone.
#
# A Makefile rather than cargo-c: it needs nothing beyond cargo and make, and
# the SONAME follows the C ABI version, not the crate version.

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=
LIBS       ?= shared static
CARGO      ?= cargo
TARGET_DIR ?= $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR),target)

VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
ABI     := $(shell sed -n 's/^pub const KPAUDIT_ABI_VERSION: u32 = \([0-9]*\);/\1/p' src/ffi/result.rs)
RELEASE := $(TARGET_DIR)/release
SO      := libkpaudit.so.$(ABI).$(VERSION)

.PHONY: all build install uninstall
all: build

build:
	$(CARGO) build --release --lib
	ln -sf libkpaudit.so $(RELEASE)/libkpaudit.so.$(ABI)

install: build
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)
	install -m 644 include/kpaudit.h $(DESTDIR)$(INCLUDEDIR)/kpaudit.h
ifneq (,$(findstring shared,$(LIBS)))
	install -m 755 $(RELEASE)/libkpaudit.so $(DESTDIR)$(LIBDIR)/$(SO)
	ln -sf $(SO) $(DESTDIR)$(LIBDIR)/libkpaudit.so.$(ABI)
	ln -sf libkpaudit.so.$(ABI) $(DESTDIR)$(LIBDIR)/libkpaudit.so
endif
ifneq (,$(findstring static,$(LIBS)))
	install -m 644 $(RELEASE)/libkpaudit.a $(DESTDIR)$(LIBDIR)/libkpaudit.a
endif
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@ABI@|$(ABI)|' kpaudit.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/kpaudit.pc

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SO) $(DESTDIR)$(LIBDIR)/libkpaudit.so.$(ABI) \
	      $(DESTDIR)$(LIBDIR)/libkpaudit.so $(DESTDIR)$(LIBDIR)/libkpaudit.a \
	      $(DESTDIR)$(INCLUDEDIR)/kpaudit.h $(DESTDIR)$(LIBDIR)/pkgconfig/kpaudit.pc
